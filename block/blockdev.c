/*
 * -drive and its shortcuts: parse the options as QEMU does, open the image
 * into a named BlockBackend, and keep a table the machine reads to give
 * each drive to its controller.
 */
#include "block/blockdev.h"
#include "block/node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/keyval.h"

static const char *const if_names[IF__MAX] = {
    [IF_NONE] = "none", [IF_IDE] = "ide", [IF_FLOPPY] = "floppy",
    [IF_VIRTIO] = "virtio", [IF_PFLASH] = "pflash",
};
/* Units per bus (QEMU's if_max_devs): IDE master/slave, two floppies on
 * one controller; the others have one unit per bus. */
static const int if_max_devs[IF__MAX] = {
    [IF_IDE] = 2, [IF_FLOPPY] = 2,
};

static GPtrArray *drives;
static bool default_snapshot;

const char *drive_if_name(BlockInterfaceType type)
{
    return type < IF__MAX ? if_names[type] : "?";
}

void drive_set_default_snapshot(bool on)
{
    default_snapshot = on;
}

DriveInfo *drive_get(BlockInterfaceType type, int bus, int unit)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = drives->pdata[i];
        if (d->type == type && d->bus == bus && d->unit == unit) {
            return d;
        }
    }
    return NULL;
}

static void drive_info_free(DriveInfo *d)
{
    g_free(d->id);
    g_free(d->serial);
    g_free(d->filename);
    g_free(d);
}

DriveInfo *drive_get_by_blk(BlockBackend *blk)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = drives->pdata[i];
        if (d->blk == blk) {
            return d;
        }
    }
    return NULL;
}

int drive_get_max_bus(BlockInterfaceType type)
{
    int max = -1;
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = drives->pdata[i];
        if (d->type == type && d->bus > max) {
            max = d->bus;
        }
    }
    return max;
}

void drive_foreach(void (*fn)(DriveInfo *dinfo, void *opaque), void *opaque)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        fn(drives->pdata[i], opaque);
    }
}

bool drive_check_all_claimed(GError **errp)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = drives->pdata[i];
        if (d->claimed || d->type == IF_NONE || d->type == IF_PFLASH) {
            continue;
        }
        if (d->blk && blk_get_attached_dev(d->blk)) {
            continue;
        }
        vireo_set_error(errp, "machine type does not support if=%s,bus=%d,unit=%d",
                        if_names[d->type], d->bus, d->unit);
        return false;
    }
    return true;
}

static bool parse_int_opt(const char *name, const char *v, int max, int *out, GError **errp)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 0);
    if (errno || end == v || *end || n < 0 || n > max) {
        vireo_set_error(errp, "invalid %s '%s'", name, v);
        return false;
    }
    *out = n;
    return true;
}

DriveInfo *drive_add(const char *opts, GError **errp)
{
    KeyVal *kv = keyval_parse(opts, NULL, errp);
    if (!kv) {
        return NULL;
    }
    DriveInfo *ret = NULL;
    DriveInfo *d = g_new0(DriveInfo, 1);
    const char *file = keyval_take(kv, "file");
    const char *iface = keyval_take(kv, "if");
    const char *media = keyval_take(kv, "media");
    const char *format = keyval_take(kv, "format");
    const char *cache = keyval_take(kv, "cache");
    const char *id = keyval_take(kv, "id");
    const char *serial = keyval_take(kv, "serial");
    const char *index_s = keyval_take(kv, "index");
    const char *bus_s = keyval_take(kv, "bus");
    const char *unit_s = keyval_take(kv, "unit");
    const char *aio = keyval_take(kv, "aio");
    const char *discard = keyval_take(kv, "discard");
    const char *werror = keyval_take(kv, "werror");
    const char *rerror = keyval_take(kv, "rerror");
    /* the null-co protocol's options (block/null.c) */
    const char *null_size = keyval_take(kv, "file.size");
    const char *null_zeroes = keyval_take(kv, "file.read-zeroes");
    g_autoptr(GString) null_name = NULL;
    bool readonly, snapshot, auto_read_only;
    int flags = BDRV_O_RDWR;
    int index = -1, bus = 0, unit = -1;

    if (!keyval_take_bool(kv, "readonly", false, &readonly, errp) ||
        !keyval_take_bool(kv, "snapshot", default_snapshot, &snapshot, errp) ||
        !keyval_take_bool(kv, "auto-read-only", false, &auto_read_only, errp)) {
        goto out;
    }
    const char *unused = keyval_unused(kv);
    if (unused) {
        vireo_set_error(errp, "Invalid parameter '%s'", unused);
        goto out;
    }
    d->type = IF_IDE;
    if (iface) {
        int t;
        for (t = 0; t < IF__MAX; t++) {
            if (!strcmp(iface, if_names[t])) {
                break;
            }
        }
        if (t == IF__MAX) {
            vireo_set_error(errp, "unsupported bus type '%s'", iface);
            goto out;
        }
        d->type = t;
    }
    if (media && strcmp(media, "disk") && strcmp(media, "cdrom")) {
        vireo_set_error(errp, "'%s' invalid media", media);
        goto out;
    }
    d->is_cdrom = media && !strcmp(media, "cdrom");
    if (d->is_cdrom && d->type != IF_IDE && d->type != IF_NONE) {
        vireo_set_error(errp, "media=cdrom is only supported with if=ide or if=none");
        goto out;
    }
    if (aio && strcmp(aio, "threads") && strcmp(aio, "native") && strcmp(aio, "io_uring")) {
        vireo_set_error(errp, "invalid aio option '%s'", aio);
        goto out;
    }
    if (discard && strcmp(discard, "ignore") && strcmp(discard, "off") &&
        strcmp(discard, "unmap") && strcmp(discard, "on")) {
        vireo_set_error(errp, "Invalid discard option '%s'", discard);
        goto out;
    }
    BlockdevOnError on_read = BLOCKDEV_ON_ERROR_REPORT, on_write = BLOCKDEV_ON_ERROR_ENOSPC;
    if ((werror && !blockdev_on_error_parse(werror, false, &on_write, errp)) ||
        (rerror && !blockdev_on_error_parse(rerror, true, &on_read, errp))) {
        goto out;
    }
    /* the floppy reads and writes synchronously, as QEMU's, without a policy */
    if (d->type == IF_FLOPPY && (werror || rerror)) {
        vireo_set_error(errp, "%s is not supported by this bus type", werror ? "werror" : "rerror");
        goto out;
    }
    if (cache && !bdrv_parse_cache(cache, &flags, errp)) {
        goto out;
    }
    int max_devs = if_max_devs[d->type];
    if (index_s) {
        if (bus_s || unit_s) {
            vireo_set_error(errp, "index cannot be used with bus and unit");
            goto out;
        }
        if (!parse_int_opt("index", index_s, 1024, &index, errp)) {
            goto out;
        }
        bus = max_devs ? index / max_devs : index;
        unit = max_devs ? index % max_devs : 0;
    } else {
        if (bus_s && !parse_int_opt("bus", bus_s, 1024, &bus, errp)) {
            goto out;
        }
        if (unit_s && !parse_int_opt("unit", unit_s, 1024, &unit, errp)) {
            goto out;
        }
    }
    if (unit < 0) {
        /* the first free unit, moving to the next bus when one is full */
        unit = 0;
        while (drive_get(d->type, bus, unit)) {
            unit++;
            if (max_devs && unit >= max_devs) {
                unit = 0;
                bus++;
            }
        }
    }
    if (max_devs && unit >= max_devs) {
        vireo_set_error(errp, "unit %d too big (max is %d)", unit, max_devs - 1);
        goto out;
    }
    if (drive_get(d->type, bus, unit)) {
        vireo_set_error(errp, "drive with bus=%d, unit=%d (index=%d) exists", bus, unit,
                        max_devs ? bus * max_devs + unit : bus);
        goto out;
    }
    d->bus = bus;
    d->unit = unit;
    if (id) {
        d->id = g_strdup(id);
    } else if (d->type == IF_IDE) {
        d->id = g_strdup_printf("ide%d-%s%d", bus, d->is_cdrom ? "cd" : "hd", unit);
    } else if (max_devs) {
        d->id = g_strdup_printf("%s%d", if_names[d->type], bus * max_devs + unit);
    } else {
        d->id = g_strdup_printf("%s%d", if_names[d->type], bus);
    }
    /* QEMU keeps drive ids and node-names in one namespace */
    if (bdrv_find_node(d->id)) {
        vireo_set_error(errp, "id=%s is conflicting with a node-name", d->id);
        goto out;
    }
    d->serial = g_strdup(serial);
    if (file && !*file) {
        file = NULL;         /* QEMU: file= empty is an empty drive */
    }
    if (null_size || null_zeroes) {
        if (!file || !g_str_has_prefix(file, "null-co:")) {
            vireo_set_error(errp, "Invalid parameter '%s' (only for file=null-co://)",
                            null_size ? "file.size" : "file.read-zeroes");
            goto out;
        }
        null_name = g_string_new("null-co://");
        if (null_size) {
            g_string_append(null_name, "size=");
            keyval_append_escaped(null_name, null_size);
        }
        if (null_zeroes) {
            g_string_append(null_name, null_size ? ",read-zeroes=" : "read-zeroes=");
            keyval_append_escaped(null_name, null_zeroes);
        }
        file = null_name->str;
    }
    d->filename = g_strdup(file);

    if (d->type == IF_PFLASH) {
        /* firmware flash: the machine maps the file itself */
        if (!file || !g_file_test(file, G_FILE_TEST_IS_REGULAR)) {
            vireo_set_error(errp, "could not open flash image '%s'", file ? file : "");
            goto out;
        }
        if (format && strcmp(format, "raw")) {
            vireo_set_error(errp, "format=%s: only raw is supported for pflash", format);
            goto out;
        }
        d->claimed = true;
    } else {
        if (!file && !d->is_cdrom) {
            /* an empty floppy drive, as QEMU's -drive if=floppy */
            if (d->type != IF_NONE && d->type != IF_FLOPPY) {
                vireo_set_error(errp, "drive '%s' has no file= (only a CD-ROM or floppy may be empty)",
                                d->id);
                goto out;
            }
        }
        if (d->is_cdrom || readonly) {
            flags &= ~BDRV_O_RDWR;
        }
        /* auto-read-only=on: a file the user may not write opens read-only
         * instead of failing (as -blockdev's) */
        if (auto_read_only && file && (flags & BDRV_O_RDWR) && access(file, W_OK) < 0 &&
            access(file, R_OK) == 0) {
            flags &= ~BDRV_O_RDWR;
        }
        if (snapshot && file) {
            flags |= BDRV_O_SNAPSHOT;
            flags |= BDRV_O_RDWR;    /* the overlay takes the guest's writes */
            if (d->is_cdrom || readonly) {
                flags &= ~(BDRV_O_SNAPSHOT | BDRV_O_RDWR);
            }
        }
        d->blk = blk_new_open(d->id, file, format, flags, errp);
        if (!d->blk) {
            goto out;
        }
        if (d->is_cdrom || d->type == IF_FLOPPY) {
            blk_set_removable(d->blk, true);
        }
        blk_set_on_error(d->blk, on_read, on_write);
        blk_set_discard_ignore(d->blk, !discard || !strcmp(discard, "ignore") ||
                                       !strcmp(discard, "off"));
    }
    if (!drives) {
        drives = g_ptr_array_new();
    }
    g_ptr_array_add(drives, d);
    ret = d;
    d = NULL;
out:
    if (d) {
        drive_info_free(d);
    }
    keyval_free(kv);
    return ret;
}

/* Forget the drive: its DriveInfo and, unless a device still holds it,
 * its BlockBackend. */
static void drive_forget(DriveInfo *d)
{
    g_ptr_array_remove(drives, d);
    if (!blk_get_attached_dev(d->blk)) {
        blk_unref(d->blk);
    }
    drive_info_free(d);
}

bool drive_del(const char *id, GError **errp)
{
    BlockBackend *blk = blk_by_name(id);
    DriveInfo *d = blk ? drive_get_by_blk(blk) : NULL;
    if (!d) {
        vireo_set_error(errp, "Device '%s' not found", id);
        return false;
    }
    blk_drain_all();
    if (blk_get_attached_dev(blk)) {
        /* the device keeps an anonymous, empty drive until it goes away */
        blk_remove_name(blk);
        blk_drop_medium(blk);
    }
    drive_forget(d);
    return true;
}

void drive_release(BlockBackend *blk, void *dev)
{
    if (!blk) {
        return;
    }
    blk_drain_all();
    blk_detach_dev(blk, dev);
    DriveInfo *d = drive_get_by_blk(blk);
    if (d) {
        drive_forget(d);        /* a -drive goes with its device, as in QEMU */
    } else if (!*blk_name(blk)) {
        blk_unref(blk);         /* anonymous: a -blockdev node's, or drive_del'ed */
    }
}
