/*
 * The drives as the monitor shows them: QMP query-block / query-blockstats
 * shapes (QEMU's member names), eject and blockdev-change-medium on a
 * removable drive (refused on a fixed disk, "locked" asks the guest), and
 * HMP info block / eject / change, in-process without a machine.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "block/block.h"
#include "block/blockdev.h"
#include "monitor/monitor.h"

#include "qmp-test-util.h"

static JsonObject *qmp(Monitor *m, Sink *s, const char *cmd)
{
    monitor_feed(m, (const uint8_t *)cmd, strlen(cmd));
    return next_msg(s);
}

static char *hmp(const char *line)
{
    GString *out = g_string_new(NULL);
    hmp_execute_line(line, out);
    return g_string_free(out, FALSE);
}

static char *tmpdir, *iso_a, *iso_b, *disk;
static int loads, unloads;
static bool guest_locked;

static void change_cb(void *dev, bool load)
{
    if (load) {
        loads++;
    } else {
        unloads++;
    }
}

static bool medium_locked(void *dev)
{
    return guest_locked;
}

static const BlockDevOps cd_ops = { .change_media_cb = change_cb, .is_medium_locked = medium_locked };

static char *make_file(const char *name, size_t size)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    char *buf = g_malloc0(size);
    g_assert_true(g_file_set_contents(path, buf, size, NULL));
    g_free(buf);
    return path;
}

static JsonObject *find_dev(JsonArray *arr, const char *name)
{
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);
        if (!strcmp(json_object_get_string_member(o, "device"), name)) {
            return o;
        }
    }
    return NULL;
}

static void test_block_monitor(void)
{
    GError *err = NULL;
    char *opts = g_strdup_printf("file=%s,format=raw,if=none,id=disk0,cache=writethrough", disk);
    g_assert_true(drive_add(opts, &err));
    g_free(opts);
    opts = g_strdup_printf("file=%s,format=raw,if=none,id=cd0,media=cdrom", iso_a);
    g_assert_true(drive_add(opts, &err));
    g_free(opts);
    g_assert_no_error(err);
    BlockBackend *cd = blk_by_name("cd0");
    static int dev;
    g_assert_true(blk_attach_dev(cd, &dev, "mycd", &err));
    blk_set_dev_ops(cd, &cd_ops, &dev);

    Sink s = { g_string_new(NULL) };
    Monitor *m = monitor_new_qmp_custom(sink_out, &s);
    json_object_unref(next_msg(&s));
    json_object_unref(qmp(m, &s, "{\"execute\":\"qmp_capabilities\"}"));

    JsonObject *r = qmp(m, &s, "{\"execute\":\"query-block\"}");
    JsonArray *arr = json_object_get_array_member(r, "return");
    JsonObject *d = find_dev(arr, "disk0");
    g_assert_nonnull(d);
    g_assert_false(json_object_get_boolean_member(d, "removable"));
    JsonObject *ins = json_object_get_object_member(d, "inserted");
    g_assert_cmpstr(json_object_get_string_member(ins, "file"), ==, disk);
    g_assert_cmpstr(json_object_get_string_member(ins, "drv"), ==, "raw");
    g_assert_false(json_object_get_boolean_member(ins, "ro"));
    JsonObject *cache = json_object_get_object_member(ins, "cache");
    g_assert_false(json_object_get_boolean_member(cache, "direct"));
    g_assert_false(json_object_get_boolean_member(cache, "writeback"));
    JsonObject *img = json_object_get_object_member(ins, "image");
    g_assert_cmpint(json_object_get_int_member(img, "virtual-size"), ==, 1 << 20);
    d = find_dev(arr, "cd0");
    g_assert_true(json_object_get_boolean_member(d, "removable"));
    g_assert_cmpstr(json_object_get_string_member(d, "qdev"), ==, "mycd");
    g_assert_true(json_object_get_boolean_member(
        json_object_get_object_member(d, "inserted"), "ro"));
    json_object_unref(r);

    /* a fixed disk cannot be ejected; an unknown name is DeviceNotFound */
    r = qmp(m, &s, "{\"execute\":\"eject\",\"arguments\":{\"device\":\"disk0\"}}");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "error"),
                                                  "desc"), ==, "Device 'disk0' is not removable");
    json_object_unref(r);
    r = qmp(m, &s, "{\"execute\":\"eject\",\"arguments\":{\"device\":\"nope\"}}");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "error"),
                                                  "class"), ==, "DeviceNotFound");
    json_object_unref(r);

    /* the guest locked the tray: refused without force */
    guest_locked = true;
    r = qmp(m, &s, "{\"execute\":\"eject\",\"arguments\":{\"id\":\"mycd\"}}");
    g_assert_true(json_object_has_member(r, "error"));
    json_object_unref(r);
    g_assert_true(blk_is_inserted(cd));
    r = qmp(m, &s, "{\"execute\":\"eject\",\"arguments\":{\"id\":\"mycd\",\"force\":true}}");
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    g_assert_false(blk_is_inserted(cd));
    g_assert_cmpint(unloads, ==, 1);
    guest_locked = false;

    r = qmp(m, &s, "{\"execute\":\"query-block\"}");
    d = find_dev(json_object_get_array_member(r, "return"), "cd0");
    g_assert_false(json_object_has_member(d, "inserted"));
    json_object_unref(r);

    char *cmd = g_strdup_printf("{\"execute\":\"blockdev-change-medium\",\"arguments\":"
                                "{\"device\":\"cd0\",\"filename\":\"%s\",\"format\":\"raw\"}}",
                                iso_b);
    r = qmp(m, &s, cmd);
    g_free(cmd);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    g_assert_cmpint(loads, ==, 1);
    g_assert_cmpint(blk_getlength(cd), ==, 4096);

    /* blockstats counts what the drive did */
    uint8_t buf[512];
    g_assert_cmpint(blk_pread(cd, 0, buf, 512), ==, 0);
    r = qmp(m, &s, "{\"execute\":\"query-blockstats\"}");
    d = find_dev(json_object_get_array_member(r, "return"), "cd0");
    JsonObject *st = json_object_get_object_member(d, "stats");
    g_assert_cmpint(json_object_get_int_member(st, "rd_operations"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(st, "rd_bytes"), ==, 512);
    g_assert_cmpint(json_object_get_int_member(st, "wr_operations"), ==, 0);
    json_object_unref(r);

    /* HMP */
    char *out = hmp("info block");
    char *want = g_strdup_printf("disk0: %s (raw)\n    Cache mode:       writethrough\n", disk);
    g_assert_nonnull(strstr(out, want));
    g_free(want);
    want = g_strdup_printf("cd0: %s (raw, read-only)\n    Attached to:      mycd\n"
                           "    Removable device: not locked, tray closed\n", iso_b);
    g_assert_nonnull(strstr(out, want));
    g_free(want);
    g_free(out);
    out = hmp("eject cd0");
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    out = hmp("info block");
    g_assert_nonnull(strstr(out, "cd0: [not inserted]\n"));
    g_free(out);
    out = hmp("eject disk0");
    g_assert_cmpstr(out, ==, "Error: Device 'disk0' is not removable\n");
    g_free(out);
    cmd = g_strdup_printf("change cd0 %s raw", iso_a);
    out = hmp(cmd);
    g_free(cmd);
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    g_assert_cmpint(blk_getlength(cd), ==, 8192);
    out = hmp("change cd0 /nonexistent.iso");
    g_assert_cmpstr(out, ==, "Error: could not open '/nonexistent.iso': No such file or directory\n");
    g_free(out);
    out = hmp("info blockstats");
    g_assert_nonnull(strstr(out, "cd0: rd_bytes=512 wr_bytes=0 rd_operations=1 wr_operations=0"));
    g_free(out);
    monitor_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("vireo-test-blkmon-XXXXXX", NULL);
    iso_a = make_file("a.iso", 8192);
    iso_b = make_file("b.iso", 4096);
    disk = make_file("disk.img", 1 << 20);
    g_test_add_func("/block-monitor/qmp-hmp", test_block_monitor);
    int ret = g_test_run();
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
    return ret;
}
