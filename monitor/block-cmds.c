/*
 * The monitor's view of the drives: QMP query-block, query-blockstats,
 * eject and blockdev-change-medium, and the HMP forms (info block, info
 * blockstats, eject, change, commit).  Shapes and wording follow QEMU's,
 * so management tools and people used to QEMU read them unchanged.
 */
#include "monitor/monitor-int.h"

#include <string.h>

#include "block/block_int.h"
#include "block/blockdev.h"
#include "block/node.h"
#include "util/error.h"
#include <inttypes.h>

/* "device" names a drive (its id), "id" the device it is attached to. */
static BlockBackend *find_blk(const char *device, const char *id, GError **errp)
{
    BlockBackend *blk = NULL;
    if (device) {
        blk = blk_by_name(device);
    } else if (id) {
        blk = blk_by_dev_name(id);
    }
    if (!blk) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found",
                    device ? device : id);
    }
    return blk;
}

/* ---- query-block ---- */

static JsonObject *image_info_json(BlockDriverState *bs)
{
    JsonObject *img = json_object_new();
    json_object_set_string_member(img, "filename", bdrv_filename(bs));
    json_object_set_string_member(img, "format", bdrv_format_name(bs));
    int64_t len = bdrv_getlength(bs);
    json_object_set_int_member(img, "virtual-size", len < 0 ? 0 : len);
    int64_t alloc = bdrv_allocated_size(bs);
    if (alloc >= 0) {
        json_object_set_int_member(img, "actual-size", alloc);
    }
    json_object_set_boolean_member(img, "dirty-flag", false);
    if (bdrv_backing(bs)) {
        json_object_set_string_member(img, "backing-filename", bdrv_filename(bdrv_backing(bs)));
        json_object_set_object_member(img, "backing-image", image_info_json(bdrv_backing(bs)));
    }
    return img;
}

static void query_block_one(BlockBackend *blk, void *opaque)
{
    JsonArray *arr = opaque;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "device", blk_name(blk));
    if (blk_attached_dev_name(blk)) {
        json_object_set_string_member(o, "qdev", blk_attached_dev_name(blk));
    }
    json_object_set_boolean_member(o, "locked", blk_dev_is_medium_locked(blk));
    json_object_set_boolean_member(o, "removable", blk_is_removable(blk));
    if (blk_is_removable(blk)) {
        json_object_set_boolean_member(o, "tray_open", blk_dev_is_tray_open(blk));
    }
    json_object_set_string_member(o, "type", "unknown");
    if (blk_attached_dev_name(blk)) {
        json_object_set_string_member(o, "io-status", blk_iostatus_name(blk));
    }
    BlockDriverState *bs = blk_bs(blk);
    if (bs) {
        int flags = blk_open_flags(blk);
        JsonObject *ins = json_object_new();
        json_object_set_string_member(ins, "file", bdrv_filename(bs));
        json_object_set_string_member(ins, "node-name", blk_name(blk));
        json_object_set_boolean_member(ins, "ro", blk_is_read_only(blk));
        json_object_set_string_member(ins, "drv", bdrv_format_name(bs));
        if (bdrv_backing(bs)) {
            json_object_set_string_member(ins, "backing_file", bdrv_filename(bdrv_backing(bs)));
        }
        int depth = 0;
        for (BlockDriverState *b = bdrv_backing(bs); b; b = bdrv_backing(b)) {
            depth++;
        }
        json_object_set_int_member(ins, "backing_file_depth", depth);
        json_object_set_boolean_member(ins, "encrypted", false);
        json_object_set_string_member(ins, "detect_zeroes", "off");
        json_object_set_int_member(ins, "bps", 0);
        json_object_set_int_member(ins, "bps_rd", 0);
        json_object_set_int_member(ins, "bps_wr", 0);
        json_object_set_int_member(ins, "iops", 0);
        json_object_set_int_member(ins, "iops_rd", 0);
        json_object_set_int_member(ins, "iops_wr", 0);
        json_object_set_int_member(ins, "write_threshold", 0);
        JsonObject *cache = json_object_new();
        json_object_set_boolean_member(cache, "writeback", !(flags & BDRV_O_WRITETHROUGH));
        json_object_set_boolean_member(cache, "direct", !!(flags & BDRV_O_NOCACHE));
        json_object_set_boolean_member(cache, "no-flush", !!(flags & BDRV_O_NO_FLUSH));
        json_object_set_object_member(ins, "cache", cache);
        json_object_set_object_member(ins, "image", image_info_json(bs));
        json_object_set_object_member(o, "inserted", ins);
    }
    json_array_add_object_element(arr, o);
}

JsonNode *monitor_query_block(void)
{
    JsonArray *arr = json_array_new();
    blk_foreach(query_block_one, arr);
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, arr);
    return n;
}

/* ---- query-blockstats ---- */

static void query_blockstats_one(BlockBackend *blk, void *opaque)
{
    JsonArray *arr = opaque;
    const BlockAcctStats *st = blk_stats(blk);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "device", blk_name(blk));
    if (blk_attached_dev_name(blk)) {
        json_object_set_string_member(o, "qdev", blk_attached_dev_name(blk));
    }
    JsonObject *s = json_object_new();
    json_object_set_int_member(s, "rd_bytes", st->nr_bytes[BLOCK_ACCT_READ]);
    json_object_set_int_member(s, "wr_bytes", st->nr_bytes[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(s, "unmap_bytes", st->nr_bytes[BLOCK_ACCT_DISCARD]);
    json_object_set_int_member(s, "rd_operations", st->nr_ops[BLOCK_ACCT_READ]);
    json_object_set_int_member(s, "wr_operations", st->nr_ops[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(s, "flush_operations", st->nr_ops[BLOCK_ACCT_FLUSH]);
    json_object_set_int_member(s, "unmap_operations", st->nr_ops[BLOCK_ACCT_DISCARD]);
    json_object_set_int_member(s, "rd_total_time_ns", st->total_time_ns[BLOCK_ACCT_READ]);
    json_object_set_int_member(s, "wr_total_time_ns", st->total_time_ns[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(s, "flush_total_time_ns", st->total_time_ns[BLOCK_ACCT_FLUSH]);
    json_object_set_int_member(s, "unmap_total_time_ns", st->total_time_ns[BLOCK_ACCT_DISCARD]);
    json_object_set_int_member(s, "rd_merged", st->merged[BLOCK_ACCT_READ]);
    json_object_set_int_member(s, "wr_merged", st->merged[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(s, "unmap_merged", st->merged[BLOCK_ACCT_DISCARD]);
    json_object_set_int_member(s, "failed_rd_operations", st->failed_ops[BLOCK_ACCT_READ]);
    json_object_set_int_member(s, "failed_wr_operations", st->failed_ops[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(s, "failed_flush_operations", st->failed_ops[BLOCK_ACCT_FLUSH]);
    json_object_set_int_member(s, "failed_unmap_operations", st->failed_ops[BLOCK_ACCT_DISCARD]);
    json_object_set_int_member(s, "invalid_rd_operations", 0);
    json_object_set_int_member(s, "invalid_wr_operations", 0);
    json_object_set_int_member(s, "invalid_flush_operations", 0);
    json_object_set_int_member(s, "invalid_unmap_operations", 0);
    json_object_set_boolean_member(s, "account_invalid", false);
    json_object_set_boolean_member(s, "account_failed", true);
    json_object_set_array_member(s, "timed_stats", json_array_new());
    json_object_set_object_member(o, "stats", s);
    json_array_add_object_element(arr, o);
}

JsonNode *monitor_query_blockstats(void)
{
    JsonArray *arr = json_array_new();
    blk_foreach(query_blockstats_one, arr);
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, arr);
    return n;
}

/* ---- block_resize ---- */

bool monitor_do_block_resize(const char *device, const char *node_name, int64_t size,
                             GError **errp)
{
    BlockBackend *blk = NULL;
    if (!!device == !!node_name) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                    "Need exactly one of 'device' and 'node-name'");
        return false;
    }
    if (device) {
        blk = find_blk(device, NULL, errp);
        if (!blk) {
            return false;
        }
    } else {
        BlockDriverState *bs = bdrv_find_node(node_name);
        blk = bs ? blk_by_root_node(bs) : NULL;
        if (!blk) {
            g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                        bs ? "Node '%s' is not the top node of a drive"
                           : "Cannot find device='' nor node-name='%s'", node_name);
            return false;
        }
    }
    if (size < 0) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC, "Parameter 'size' must not be negative");
        return false;
    }
    GError *err = NULL;
    if (!blk_truncate(blk, size, &err)) {
        monitor_generic_error(errp, err);
        return false;
    }
    return true;
}

/* ---- media ---- */

bool monitor_do_eject(const char *device, const char *id, bool force, GError **errp)
{
    BlockBackend *blk = find_blk(device, id, errp);
    if (!blk) {
        return false;
    }
    GError *err = NULL;
    if (!blk_eject(blk, force, &err)) {
        monitor_generic_error(errp, err);
        return false;
    }
    return true;
}

bool monitor_do_change_medium(const char *device, const char *id, const char *filename,
                              const char *format, const char *ro_mode, GError **errp)
{
    BlockBackend *blk = find_blk(device, id, errp);
    if (!blk) {
        return false;
    }
    bool read_only = blk_is_read_only(blk);
    if (ro_mode && !strcmp(ro_mode, "read-only")) {
        read_only = true;
    } else if (ro_mode && !strcmp(ro_mode, "read-write")) {
        read_only = false;
    } else if (ro_mode && strcmp(ro_mode, "retain")) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                    "Parameter 'read-only-mode' does not accept value '%s'", ro_mode);
        return false;
    }
    GError *err = NULL;
    if (!blk_change_medium(blk, filename, format, read_only, &err)) {
        monitor_generic_error(errp, err);
        return false;
    }
    return true;
}

static void commit_one(BlockBackend *blk, void *opaque)
{
    GString *out = opaque;
    GError *err = NULL;
    if (blk_bs(blk) && bdrv_backing(blk_bs(blk)) && !blk_commit(blk, &err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
}

void hmp_commit(const char *device, GString *out)
{
    if (!strcmp(device, "all")) {
        blk_foreach(commit_one, out);
        return;
    }
    BlockBackend *blk = blk_by_name(device);
    GError *err = NULL;
    if (!blk) {
        g_string_append_printf(out, "Error: Device '%s' not found\n", device);
    } else if (!blk_commit(blk, &err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
}

/* HMP qemu-io DEVICE "COMMAND": the blkdebug breakpoint commands of
 * QEMU's qemu-io (break EVENT TAG, remove_break TAG, resume TAG,
 * wait_break TAG), which its qtests use to hold a request in flight. */
void hmp_qemu_io(const char *args, GString *out)
{
    gchar **argv = NULL, **cmd = NULL;
    GError *err = NULL;
    int argc = 0, n = 0;
    if (!g_shell_parse_argv(args, &argc, &argv, NULL) || argc < 2 ||
        (argc == 3 && strcmp(argv[0], "-d")) || argc > 3 ||
        !g_shell_parse_argv(argv[argc - 1], &n, &cmd, NULL)) {
        g_string_append(out, "qemu-io: usage: qemu-io [-d] device \"command\"\n");
        goto out;
    }
    const char *dev = argv[argc - 2];
    BlockBackend *blk = blk_by_name(dev);
    if (!blk) {
        blk = blk_by_dev_name(dev);
    }
    if (!blk || !blk_bs(blk)) {
        g_string_append_printf(out, "Error: %s '%s'\n", blk ? "No medium in" : "Device not found:", dev);
        goto out;
    }
    BlockDriverState *bs = blk_bs(blk);
    bool ok;
    if (!strcmp(cmd[0], "break") && n == 3) {
        ok = bdrv_debug_op(bs, BDRV_DEBUG_BREAK, cmd[1], cmd[2], &err);
    } else if (!strcmp(cmd[0], "remove_break") && n == 2) {
        ok = bdrv_debug_op(bs, BDRV_DEBUG_REMOVE_BREAK, NULL, cmd[1], &err);
    } else if (!strcmp(cmd[0], "resume") && n == 2) {
        ok = bdrv_debug_op(bs, BDRV_DEBUG_RESUME, NULL, cmd[1], &err);
    } else if (!strcmp(cmd[0], "wait_break") && n == 2) {
        /* the request reaches the breakpoint in a worker thread: no main
         * loop needed; give up after 10 s rather than hang the monitor */
        ok = false;
        for (int i = 0; i < 10000 && !ok; i++) {
            ok = bdrv_debug_op(bs, BDRV_DEBUG_IS_SUSPENDED, NULL, cmd[1], NULL);
            if (!ok) {
                g_usleep(1000);
            }
        }
        if (!ok) {
            vireo_set_error(&err, "no request reached tag '%s' in 10 s", cmd[1]);
        }
    } else {
        g_string_append_printf(out, "qemu-io: '%s': Vireo's qemu-io has break EVENT TAG, "
                               "remove_break TAG, resume TAG and wait_break TAG\n", argv[argc - 1]);
        goto out;
    }
    if (!ok) {
        g_string_append_printf(out, "qemu-io: %s\n", err->message);
        g_error_free(err);
    }
out:
    g_strfreev(argv);
    g_strfreev(cmd);
}

/* ---- HMP text ---- */

static void info_block_one(BlockBackend *blk, void *opaque)
{
    GString *out = opaque;
    BlockDriverState *bs = blk_bs(blk);
    if (bs) {
        g_string_append_printf(out, "%s: %s (%s%s)\n", blk_name(blk), bdrv_filename(bs),
                               bdrv_format_name(bs), blk_is_read_only(blk) ? ", read-only" : "");
    } else {
        g_string_append_printf(out, "%s: [not inserted]\n", blk_name(blk));
    }
    if (blk_attached_dev_name(blk)) {
        g_string_append_printf(out, "    Attached to:      %s\n", blk_attached_dev_name(blk));
    }
    if (blk_is_removable(blk)) {
        g_string_append_printf(out, "    Removable device: %slocked, tray %s\n",
                               blk_dev_is_medium_locked(blk) ? "" : "not ",
                               blk_dev_is_tray_open(blk) ? "open" : "closed");
    }
    if (strcmp(blk_iostatus_name(blk), "ok")) {
        g_string_append_printf(out, "    I/O status:       %s\n", blk_iostatus_name(blk));
    }
    if (bs) {
        g_string_append_printf(out, "    Cache mode:       %s%s%s\n",
                               (blk_open_flags(blk) & BDRV_O_WRITETHROUGH) ? "writethrough"
                                                                             : "writeback",
                               (blk_open_flags(blk) & BDRV_O_NOCACHE) ? ", direct" : "",
                               (blk_open_flags(blk) & BDRV_O_NO_FLUSH) ? ", ignore flushes" : "");
        int depth = 0;
        for (BlockDriverState *b = bdrv_backing(bs); b; b = bdrv_backing(b)) {
            depth++;
        }
        if (depth) {
            g_string_append_printf(out, "    Backing file:     %s (chain depth: %d)\n",
                                   bdrv_filename(bdrv_backing(bs)), depth);
        }
    }
    g_string_append(out, "\n");
}

void hmp_info_block(GString *out)
{
    blk_foreach(info_block_one, out);
}

static void info_blockstats_one(BlockBackend *blk, void *opaque)
{
    GString *out = opaque;
    const BlockAcctStats *st = blk_stats(blk);
    g_string_append_printf(out,
        "%s: rd_bytes=%" PRIu64 " wr_bytes=%" PRIu64 " rd_operations=%" PRIu64
        " wr_operations=%" PRIu64 " flush_operations=%" PRIu64 " wr_total_time_ns=%" PRIu64
        " rd_total_time_ns=%" PRIu64 " flush_total_time_ns=%" PRIu64 " rd_merged=%" PRIu64
        " wr_merged=%" PRIu64 " failed_rd_operations=%" PRIu64 " failed_wr_operations=%" PRIu64
        "\n", blk_name(blk),
        st->nr_bytes[BLOCK_ACCT_READ], st->nr_bytes[BLOCK_ACCT_WRITE],
        st->nr_ops[BLOCK_ACCT_READ], st->nr_ops[BLOCK_ACCT_WRITE], st->nr_ops[BLOCK_ACCT_FLUSH],
        st->total_time_ns[BLOCK_ACCT_WRITE], st->total_time_ns[BLOCK_ACCT_READ],
        st->total_time_ns[BLOCK_ACCT_FLUSH], st->merged[BLOCK_ACCT_READ],
        st->merged[BLOCK_ACCT_WRITE], st->failed_ops[BLOCK_ACCT_READ],
        st->failed_ops[BLOCK_ACCT_WRITE]);
}

void hmp_info_blockstats(GString *out)
{
    blk_foreach(info_blockstats_one, out);
}

/* ---- -blockdev nodes: blockdev-add, blockdev-del, query-named-block-nodes ---- */

bool monitor_blockdev_add(JsonObject *args, GError **errp)
{
    GError *local = NULL;
    if (!blockdev_add_json(args, &local)) {
        monitor_generic_error(errp, local);
        return false;
    }
    return true;
}

bool monitor_blockdev_del(const char *node_name, GError **errp)
{
    GError *local = NULL;
    if (!blockdev_del(node_name, &local)) {
        monitor_generic_error(errp, local);
        return false;
    }
    return true;
}

/* One BlockDeviceInfo per node, QEMU's field names; the throttling
 * fields are zero because Vireo has no I/O throttling. */
static void named_node_one(BlockDriverState *bs, void *opaque)
{
    JsonArray *arr = opaque;
    JsonObject *o = json_object_new();
    int flags = bdrv_open_flags(bs);
    int depth = 0;
    for (BlockDriverState *b = bdrv_backing(bs); b; b = bdrv_backing(b)) {
        depth++;
    }
    json_object_set_string_member(o, "file", bdrv_filename(bs));
    json_object_set_string_member(o, "node-name", bdrv_node_name(bs));
    json_object_set_boolean_member(o, "ro", bdrv_is_read_only(bs));
    json_object_set_string_member(o, "drv", bdrv_format_name(bs));
    if (bdrv_backing(bs)) {
        json_object_set_string_member(o, "backing_file", bdrv_filename(bdrv_backing(bs)));
    }
    json_object_set_int_member(o, "backing_file_depth", depth);
    json_object_set_boolean_member(o, "encrypted", false);
    json_object_set_string_member(o, "detect_zeroes", "off");
    static const char *const throttle[] = { "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr" };
    for (size_t i = 0; i < G_N_ELEMENTS(throttle); i++) {
        json_object_set_int_member(o, throttle[i], 0);
    }
    JsonObject *cache = json_object_new();
    json_object_set_boolean_member(cache, "writeback", !(flags & BDRV_O_WRITETHROUGH));
    json_object_set_boolean_member(cache, "direct", !!(flags & BDRV_O_NOCACHE));
    json_object_set_boolean_member(cache, "no-flush", !!(flags & BDRV_O_NO_FLUSH));
    json_object_set_object_member(o, "cache", cache);
    json_object_set_int_member(o, "write_threshold", 0);
    json_object_set_object_member(o, "image", image_info_json(bs));
    json_array_add_object_element(arr, o);
}

JsonNode *monitor_query_named_block_nodes(void)
{
    JsonArray *arr = json_array_new();
    bdrv_node_foreach(named_node_one, arr);
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, arr);
    return n;
}
