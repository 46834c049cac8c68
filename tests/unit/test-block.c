/*
 * The block layer's core: raw images through the "file" protocol, drive
 * requests completing in the main loop, the checks every request passes
 * (end of medium, read-only, empty drive), cache=none with unaligned guest
 * buffers, image locks between two users, and -drive parsing (QEMU's
 * default ids, index/bus/unit, error messages).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "block/block_int.h"
#include "block/blockdev.h"
#include "util/bh.h"

static char *tmpdir;

static char *make_image(const char *name, size_t size, uint8_t fill)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    uint8_t *buf = g_malloc(size);
    for (size_t i = 0; i < size; i++) {
        buf[i] = fill ? fill : (uint8_t)(i * 7 + (i >> 9));
    }
    g_assert_true(g_file_set_contents(path, (char *)buf, size, NULL));
    g_free(buf);
    return path;
}

typedef struct Done {
    int ret;
    bool done;
} Done;

static void done_cb(void *opaque, int ret)
{
    Done *d = opaque;
    d->ret = ret;
    d->done = true;
}

static int wait_done(Done *d)
{
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!d->done && g_get_monotonic_time() < end) {
        if (!bh_poll()) {
            g_usleep(100);
        }
    }
    g_assert_true(d->done);
    return d->ret;
}

static void test_raw_aio(void)
{
    char *path = make_image("raw.img", 1 << 20, 0);
    GError *err = NULL;
    BlockBackend *blk = blk_new_open("t-raw", path, "raw", BDRV_O_RDWR, &err);
    g_assert_no_error(err);
    g_assert_cmpint(blk_getlength(blk), ==, 1 << 20);
    g_assert_cmpuint(blk_nb_sectors(blk), ==, 2048);
    g_assert_true(blk_by_name("t-raw") == blk);

    /* a read split over three buffers sees the file's bytes */
    uint8_t a[100], b[412], c[512];
    struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
    Done d = { 0 };
    blk_aio_preadv(blk, 4096, iov, 3, done_cb, &d);
    g_assert_cmpint(blk_in_flight(blk), ==, 1);
    g_assert_cmpint(wait_done(&d), ==, 0);
    g_assert_cmpint(blk_in_flight(blk), ==, 0);
    for (size_t i = 0; i < 1024; i++) {
        uint8_t want = (uint8_t)((4096 + i) * 7 + ((4096 + i) >> 9));
        uint8_t got = i < 100 ? a[i] : i < 512 ? b[i - 100] : c[i - 512];
        g_assert_cmpint(got, ==, want);
    }

    /* a write is in the file afterwards, and counted */
    memset(c, 0xab, sizeof(c));
    struct iovec w = { c, 512 };
    d = (Done){ 0 };
    blk_aio_pwritev(blk, 512, &w, 1, done_cb, &d);
    g_assert_cmpint(wait_done(&d), ==, 0);
    d = (Done){ 0 };
    blk_aio_flush(blk, done_cb, &d);
    g_assert_cmpint(wait_done(&d), ==, 0);
    gchar *contents;
    gsize len;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpint(len, ==, 1 << 20);
    g_assert_cmpint((uint8_t)contents[512], ==, 0xab);
    g_assert_cmpint((uint8_t)contents[1023], ==, 0xab);
    g_assert_cmpint((uint8_t)contents[1024], ==, (uint8_t)(1024 * 7 + 2));
    g_free(contents);
    const BlockAcctStats *st = blk_stats(blk);
    g_assert_cmpuint(st->nr_ops[BLOCK_ACCT_READ], ==, 1);
    g_assert_cmpuint(st->nr_bytes[BLOCK_ACCT_READ], ==, 1024);
    g_assert_cmpuint(st->nr_ops[BLOCK_ACCT_WRITE], ==, 1);
    g_assert_cmpuint(st->nr_ops[BLOCK_ACCT_FLUSH], ==, 1);

    /* past the end: -EIO, never reaching the file; nothing is written */
    d = (Done){ 0 };
    struct iovec big = { c, 512 };
    blk_aio_pwritev(blk, (1 << 20) - 256, &big, 1, done_cb, &d);
    g_assert_cmpint(wait_done(&d), ==, -EIO);
    d = (Done){ 0 };
    blk_aio_preadv(blk, UINT64_MAX - 100, &big, 1, done_cb, &d);
    g_assert_cmpint(wait_done(&d), ==, -EIO);
    g_assert_cmpuint(blk_stats(blk)->failed_ops[BLOCK_ACCT_WRITE], ==, 1);
    g_assert_cmpint(blk_pread(blk, 1 << 20, c, 1), ==, -EIO);
    g_assert_cmpint(blk_pread(blk, 0, c, 512), ==, 0);

    blk_unref(blk);
    g_assert_null(blk_by_name("t-raw"));
    g_free(path);
}

/* blk_set_inline_completion: a read of data the host has cached completes
 * before blk_aio_preadv returns, with the file's bytes; writes, reads past
 * the end and drives without it still complete later, through the bottom
 * half (QEMU's contract for every other device). */
static void test_inline_read(void)
{
    char *path = make_image("inline.img", 1 << 20, 0);    /* just written: cached */
    GError *err = NULL;
    BlockBackend *blk = blk_new_open("t-inline", path, "raw", BDRV_O_RDWR, &err);
    g_assert_no_error(err);
    uint8_t a[700], b[3396];
    struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

    Done d = { 0 };
    blk_aio_preadv(blk, 8192, iov, 2, done_cb, &d);
    g_assert_false(d.done);                     /* off by default */
    g_assert_cmpint(wait_done(&d), ==, 0);

    /* a host file system without RWF_NOWAIT reads has no inline path */
    int fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    struct iovec probe = { a, sizeof(a) };
    bool nowait = preadv2(fd, &probe, 1, 0, RWF_NOWAIT) == sizeof(a);
    close(fd);
    if (!nowait) {
        g_test_skip("the file system of $TMPDIR has no RWF_NOWAIT reads");
        blk_unref(blk);
        g_free(path);
        return;
    }

    blk_set_inline_completion(blk, true);
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    d = (Done){ 0 };
    blk_aio_preadv(blk, 12288 + 5, iov, 2, done_cb, &d);
    g_assert_true(d.done);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpint(blk_in_flight(blk), ==, 0);
    for (size_t i = 0; i < sizeof(a) + sizeof(b); i++) {
        size_t off = 12288 + 5 + i;
        g_assert_cmpint(i < sizeof(a) ? a[i] : b[i - sizeof(a)], ==, (uint8_t)(off * 7 + (off >> 9)));
    }
    g_assert_cmpuint(blk_stats(blk)->nr_ops[BLOCK_ACCT_READ], ==, 2);

    /* a read that ends past the medium is refused the usual way */
    d = (Done){ 0 };
    blk_aio_preadv(blk, (1 << 20) - 100, iov, 1, done_cb, &d);
    g_assert_false(d.done);
    g_assert_cmpint(wait_done(&d), ==, -EIO);

    /* writes still go to a worker */
    memset(a, 0x5a, sizeof(a));
    d = (Done){ 0 };
    blk_aio_pwritev(blk, 0, iov, 1, done_cb, &d);
    g_assert_false(d.done);
    g_assert_cmpint(wait_done(&d), ==, 0);
    memset(a, 0, sizeof(a));
    d = (Done){ 0 };
    blk_aio_preadv(blk, 0, iov, 1, done_cb, &d);
    g_assert_true(d.done);
    g_assert_cmpint(a[0], ==, 0x5a);
    g_assert_cmpint(a[sizeof(a) - 1], ==, 0x5a);

    blk_unref(blk);
    g_free(path);
}

static void test_read_only_and_empty(void)
{
    char *path = make_image("ro.img", 64 * 1024, 0x5a);
    GError *err = NULL;
    BlockBackend *blk = blk_new_open("t-ro", path, "raw", 0, &err);
    g_assert_no_error(err);
    g_assert_true(blk_is_read_only(blk));
    uint8_t buf[512] = { 0 };
    struct iovec iov = { buf, sizeof(buf) };
    Done d = { 0 };
    blk_aio_pwritev(blk, 0, &iov, 1, done_cb, &d);
    g_assert_cmpint(wait_done(&d), ==, -EROFS);
    g_assert_cmpint(blk_pwrite(blk, 0, buf, 512), ==, -EROFS);
    blk_unref(blk);

    /* an empty drive (a CD-ROM without a disc) */
    blk = blk_new_open("t-empty", NULL, NULL, 0, &err);
    g_assert_no_error(err);
    g_assert_false(blk_is_inserted(blk));
    g_assert_cmpint(blk_getlength(blk), ==, 0);
    d = (Done){ 0 };
    blk_aio_preadv(blk, 0, &iov, 1, done_cb, &d);
    g_assert_cmpint(wait_done(&d), ==, -ENOMEDIUM);
    /* a disc goes in only through a device that can take it */
    g_assert_false(blk_change_medium(blk, path, "raw", true, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    blk_unref(blk);
    g_free(path);
}

static int media_events[2];
static void change_cb(void *dev, bool load)
{
    media_events[load]++;
}
static bool locked_flag;
static bool is_locked(void *dev)
{
    return locked_flag;
}
static const BlockDevOps cd_ops = { .change_media_cb = change_cb, .is_medium_locked = is_locked };

static void test_change_medium(void)
{
    char *a = make_image("cd-a.iso", 8192, 0x11);
    char *b = make_image("cd-b.iso", 16384, 0x22);
    GError *err = NULL;
    BlockBackend *blk = blk_new_open("t-cd", a, "raw", 0, &err);
    g_assert_no_error(err);
    blk_set_removable(blk, true);
    int dev;
    g_assert_true(blk_attach_dev(blk, &dev, "cd0", &err));
    g_assert_false(blk_attach_dev(blk, &dev, "cd1", &err));
    g_clear_error(&err);
    blk_set_dev_ops(blk, &cd_ops, &dev);
    g_assert_true(blk_by_dev_name("cd0") == blk);

    locked_flag = true;
    g_assert_false(blk_eject(blk, false, &err));
    g_assert_nonnull(strstr(err->message, "is locked"));
    g_clear_error(&err);
    g_assert_true(blk_is_inserted(blk));
    g_assert_true(blk_eject(blk, true, &err));
    g_assert_false(blk_is_inserted(blk));
    g_assert_cmpint(media_events[0], ==, 1);

    g_assert_true(blk_change_medium(blk, b, "raw", true, &err));
    g_assert_no_error(err);
    g_assert_cmpint(media_events[1], ==, 1);
    g_assert_cmpint(blk_getlength(blk), ==, 16384);
    uint8_t buf[512];
    g_assert_cmpint(blk_pread(blk, 0, buf, 512), ==, 0);
    g_assert_cmpint(buf[0], ==, 0x22);
    /* a missing file leaves the old disc in */
    g_assert_false(blk_change_medium(blk, "/nonexistent/x.iso", "raw", true, &err));
    g_assert_nonnull(strstr(err->message, "/nonexistent/x.iso"));
    g_clear_error(&err);
    g_assert_true(blk_is_inserted(blk));
    blk_unref(blk);
    g_free(a);
    g_free(b);
}

/* cache=none: O_DIRECT with buffers and offsets no disk would accept */
static void test_nocache_unaligned(void)
{
    char *path = make_image("direct.img", 1 << 20, 0);
    GError *err = NULL;
    int flags = BDRV_O_RDWR;
    g_assert_true(bdrv_parse_cache("none", &flags, &err));
    BlockDriverState *bs = bdrv_open(path, "raw", flags, &err);
    if (!bs && err && strstr(err->message, "O_DIRECT")) {
        g_test_skip("tmpfs has no O_DIRECT");
        g_clear_error(&err);
        g_free(path);
        return;
    }
    g_assert_no_error(err);
    uint8_t *mem = g_malloc(8192);
    g_assert_cmpint(bdrv_pread(bs, 1001, mem + 3, 3000), ==, 0);
    for (int i = 0; i < 3000; i++) {
        g_assert_cmpint(mem[3 + i], ==, (uint8_t)((1001 + i) * 7 + ((1001 + i) >> 9)));
    }
    memset(mem + 1, 0xcd, 700);
    g_assert_cmpint(bdrv_pwrite(bs, 4097, mem + 1, 700), ==, 0);
    g_assert_cmpint(bdrv_pread(bs, 4096, mem, 702), ==, 0);
    g_assert_cmpint(mem[0], ==, (uint8_t)(4096 * 7 + 8));      /* untouched neighbour */
    g_assert_cmpint(mem[1], ==, 0xcd);
    g_assert_cmpint(mem[700], ==, 0xcd);
    g_assert_cmpint(mem[701], ==, (uint8_t)(4797 * 7 + (4797 >> 9)));
    g_free(mem);
    bdrv_close(bs);
    g_free(path);
}

static void test_locking(void)
{
    char *path = make_image("lock.img", 4096, 1);
    GError *err = NULL;
    BlockDriverState *w = bdrv_open(path, "raw", BDRV_O_RDWR, &err);
    g_assert_no_error(err);
    /* a second writer and a reader are refused while it writes ... */
    g_assert_null(bdrv_open(path, "raw", BDRV_O_RDWR, &err));
    g_assert_nonnull(strstr(err->message, "\"write\" lock"));
    g_clear_error(&err);
    g_assert_null(bdrv_open(path, "raw", 0, &err));
    g_assert_nonnull(strstr(err->message, "shared \"write\" lock"));
    g_clear_error(&err);
    /* ... unless the user asked for no locking (vireo-img -U) */
    BlockDriverState *u = bdrv_open(path, "raw", BDRV_O_NO_LOCK, &err);
    g_assert_no_error(err);
    bdrv_close(u);
    bdrv_close(w);
    /* two readers share it; a writer then waits for both to go */
    BlockDriverState *r1 = bdrv_open(path, "raw", 0, &err);
    BlockDriverState *r2 = bdrv_open(path, "raw", 0, &err);
    g_assert_no_error(err);
    g_assert_null(bdrv_open(path, "raw", BDRV_O_RDWR, &err));
    g_clear_error(&err);
    bdrv_close(r1);
    bdrv_close(r2);
    w = bdrv_open(path, "raw", BDRV_O_RDWR, &err);
    g_assert_no_error(err);
    bdrv_close(w);
    g_free(path);
}

static void test_open_errors(void)
{
    GError *err = NULL;
    g_assert_null(bdrv_open("/nonexistent/disk.img", "raw", 0, &err));
    g_assert_cmpstr(err->message, ==, "could not open '/nonexistent/disk.img': No such file or directory");
    g_clear_error(&err);
    g_assert_null(bdrv_open(tmpdir, "raw", 0, &err));
    g_assert_nonnull(strstr(err->message, "Is a directory"));
    g_clear_error(&err);
    char *path = make_image("fmt.img", 4096, 1);
    g_assert_null(bdrv_open(path, "vmdk-nope", 0, &err));
    g_assert_nonnull(strstr(err->message, "unknown image format 'vmdk-nope'"));
    g_clear_error(&err);
    int flags = 0;
    g_assert_false(bdrv_parse_cache("sometimes", &flags, &err));
    g_assert_nonnull(strstr(err->message, "invalid cache option 'sometimes'"));
    g_clear_error(&err);
    g_free(path);
}

/* snapshot=on: the guest's writes go to a temporary overlay and the image
 * stays as it was, until HMP commit writes them back */
static void test_snapshot_commit(void)
{
    char *path = make_image("snap.img", 1 << 20, 0x33);
    GError *err = NULL;
    BlockBackend *blk = blk_new_open("t-snap", path, "raw", BDRV_O_RDWR | BDRV_O_SNAPSHOT, &err);
    g_assert_no_error(err);
    uint8_t buf[4096];
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmpint(blk_pwrite(blk, 8192, buf, sizeof(buf)), ==, 0);
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(blk_pread(blk, 8192, buf, sizeof(buf)), ==, 0);
    g_assert_cmpint(buf[0], ==, 0xee);
    g_assert_cmpint(buf[4095], ==, 0xee);
    gchar *contents;
    gsize len;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpint((uint8_t)contents[8192], ==, 0x33);        /* untouched */
    g_free(contents);
    g_assert_true(blk_commit(blk, &err));
    g_assert_no_error(err);
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpint(len, ==, 1 << 20);
    g_assert_cmpint((uint8_t)contents[8191], ==, 0x33);
    g_assert_cmpint((uint8_t)contents[8192], ==, 0xee);
    g_assert_cmpint((uint8_t)contents[8192 + 4095], ==, 0xee);
    g_assert_cmpint((uint8_t)contents[8192 + 4096], ==, 0x33);
    g_free(contents);
    /* still readable after the commit, through the reopened base */
    g_assert_cmpint(blk_pread(blk, 8190, buf, 4), ==, 0);
    g_assert_cmpint(buf[1], ==, 0x33);
    g_assert_cmpint(buf[2], ==, 0xee);
    /* a drive without a backing image has nothing to commit to */
    char *plain = make_image("plain.img", 4096, 1);
    BlockBackend *p2 = blk_new_open("t-plain", plain, "raw", BDRV_O_RDWR, &err);
    g_assert_false(blk_commit(p2, &err));
    g_assert_nonnull(strstr(err->message, "no backing file"));
    g_clear_error(&err);
    blk_unref(p2);
    blk_unref(blk);
    g_free(plain);
    g_free(path);
}

/* null-co: QEMU's sizeable nothing (libqos's virtio-blk tests use it) */
static void test_null_co(void)
{
    GError *err = NULL;
    g_assert_true(drive_add("if=none,id=nz,file=null-co://,file.size=1048576,"
                            "file.read-zeroes=on,format=raw,auto-read-only=off", &err));
    g_assert_no_error(err);
    BlockBackend *blk = blk_by_name("nz");
    g_assert_cmpint(blk_getlength(blk), ==, 1048576);
    uint8_t buf[4096];
    memset(buf, 0xaa, sizeof(buf));
    g_assert_cmpint(blk_pwrite(blk, 0, buf, sizeof(buf)), >=, 0);     /* dropped */
    g_assert_cmpint(blk_pread(blk, 0, buf, sizeof(buf)), >=, 0);
    for (size_t i = 0; i < sizeof(buf); i++) {
        g_assert_cmpint(buf[i], ==, 0);
    }
    /* without read-zeroes the buffer is left as it was; 1 GiB by default */
    g_assert_true(drive_add("if=none,id=nn,file=null-co://,format=raw", &err));
    blk = blk_by_name("nn");
    g_assert_cmpint(blk_getlength(blk), ==, 1ll << 30);
    memset(buf, 0xaa, sizeof(buf));
    g_assert_cmpint(blk_pread(blk, 4096, buf, sizeof(buf)), >=, 0);
    g_assert_cmpint(buf[0], ==, 0xaa);
    g_assert_cmpint(buf[4095], ==, 0xaa);
    /* sizes take QEMU's suffixes */
    g_assert_true(drive_add("if=none,id=nm,file=null-co://,file.size=2M,format=raw", &err));
    g_assert_no_error(err);
    g_assert_cmpint(blk_getlength(blk_by_name("nm")), ==, 2 << 20);
    /* the file. options belong to null-co only; auto-read-only is a boolean */
    g_assert_false(drive_add("if=none,id=nx,file=x.img,file.size=4096", &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'file.size' (only for file=null-co://)");
    g_clear_error(&err);
    g_assert_false(drive_add("if=none,id=ny,file=null-co://,file.size=big", &err));
    g_assert_nonnull(strstr(err->message, "size"));
    g_clear_error(&err);
    g_assert_false(drive_add("if=none,id=nw,file=null-co://,auto-read-only=maybe", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
}

static void test_drive_options(void)
{
    char *hd = make_image("hd.img", 65536, 3);
    char *cd = make_image("cd.iso", 65536, 4);
    GError *err = NULL;
    char *o;

    o = g_strdup_printf("file=%s,format=raw", hd);          /* if=ide, first free unit */
    g_assert_true(drive_add(o, &err));
    g_free(o);
    o = g_strdup_printf("file=%s,format=raw,if=ide,index=2,media=cdrom", cd);
    g_assert_true(drive_add(o, &err));
    g_free(o);
    g_assert_true(drive_add("if=ide,bus=1,unit=1,media=cdrom", &err));   /* empty CD */
    g_assert_no_error(err);

    DriveInfo *d = drive_get(IF_IDE, 0, 0);
    g_assert_nonnull(d);
    g_assert_cmpstr(d->id, ==, "ide0-hd0");
    g_assert_false(d->is_cdrom);
    g_assert_false(blk_is_read_only(d->blk));
    d = drive_get(IF_IDE, 1, 0);
    g_assert_cmpstr(d->id, ==, "ide1-cd0");
    g_assert_true(d->is_cdrom);
    g_assert_true(blk_is_read_only(d->blk));
    g_assert_true(blk_is_removable(d->blk));
    d = drive_get(IF_IDE, 1, 1);
    g_assert_cmpstr(d->id, ==, "ide1-cd1");
    g_assert_false(blk_is_inserted(d->blk));
    g_assert_cmpint(drive_get_max_bus(IF_IDE), ==, 1);

    o = g_strdup_printf("file=%s,format=raw,index=0", hd);   /* taken */
    g_assert_false(drive_add(o, &err));
    g_assert_cmpstr(err->message, ==, "drive with bus=0, unit=0 (index=0) exists");
    g_clear_error(&err);
    g_free(o);
    g_assert_false(drive_add("file=x,if=scsi", &err));
    g_assert_cmpstr(err->message, ==, "unsupported bus type 'scsi'");
    g_clear_error(&err);
    g_assert_false(drive_add("file=x,if=ide,unit=2", &err));
    g_assert_cmpstr(err->message, ==, "unit 2 too big (max is 1)");
    g_clear_error(&err);
    g_assert_false(drive_add("file=x,cyls=3", &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'cyls'");
    g_clear_error(&err);
    g_assert_false(drive_add("file=x,media=tape", &err));
    g_assert_cmpstr(err->message, ==, "'tape' invalid media");
    g_clear_error(&err);
    g_assert_false(drive_add("if=virtio", &err));
    g_assert_nonnull(strstr(err->message, "has no file="));
    g_clear_error(&err);

    o = g_strdup_printf("file=%s,format=raw,if=virtio", hd);
    g_assert_false(drive_add(o, &err));              /* ide0-hd0 has it open for writing */
    g_assert_nonnull(strstr(err->message, "lock"));
    g_clear_error(&err);
    g_free(o);
    o = g_strdup_printf("file=%s,format=raw,if=virtio,readonly=on,id=vd", cd);
    g_assert_true(drive_add(o, &err));               /* two readers share */
    g_free(o);
    d = drive_get(IF_VIRTIO, 0, 0);
    g_assert_cmpstr(d->id, ==, "vd");
    g_assert_true(blk_by_name("vd") == d->blk);

    /* nobody claimed them: the machine refuses to start */
    g_assert_false(drive_check_all_claimed(&err));
    g_assert_cmpstr(err->message, ==, "machine type does not support if=ide,bus=0,unit=0");
    g_clear_error(&err);
    g_free(hd);
    g_free(cd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("vireo-test-block-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/block/raw-aio", test_raw_aio);
    g_test_add_func("/block/null-co", test_null_co);
    g_test_add_func("/block/inline-read", test_inline_read);
    g_test_add_func("/block/read-only-and-empty", test_read_only_and_empty);
    g_test_add_func("/block/change-medium", test_change_medium);
    g_test_add_func("/block/nocache-unaligned", test_nocache_unaligned);
    g_test_add_func("/block/locking", test_locking);
    g_test_add_func("/block/open-errors", test_open_errors);
    g_test_add_func("/block/snapshot-commit", test_snapshot_commit);
    g_test_add_func("/block/drive-options", test_drive_options);
    int ret = g_test_run();
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
    return ret;
}
