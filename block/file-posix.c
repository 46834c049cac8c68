/*
 * The "file" protocol: a host file or block device.
 *
 * cache=none opens with O_DIRECT; a request whose offset, length or
 * buffers are not aligned to the host's block size goes through an aligned
 * bounce buffer (read-modify-write at the edges), because guest buffers
 * (virtio iovecs) have no alignment of their own.
 *
 * Locking follows QEMU's scheme, so Vireo and QEMU keep each other from
 * corrupting an image: OFD locks on byte 100 + p mean "I use permission
 * p", on byte 200 + p "I do not let others use p".  Permissions:
 * 0 consistent read, 1 write.  Like QEMU's defaults, every user forbids
 * others to write, and a writer also writes: so a second writer, a reader
 * of an image being written and a writer of an image being read are all
 * refused with "Failed to get ... lock".  BDRV_O_NO_LOCK (vireo-img -U,
 * backing images) takes and checks nothing.
 */
#define _GNU_SOURCE
#include "block/block_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/iov.h"

#define LOCK_PERM_BASE   100
#define LOCK_SHARED_BASE 200
#define PERM_CONSISTENT_READ 0
#define PERM_WRITE           1

typedef struct FileState {
    int fd;
    bool is_blockdev;
    size_t align;            /* O_DIRECT: alignment of offsets, lengths, buffers */
} FileState;

static void *file_memalign(size_t align, size_t len)
{
    void *p = NULL;
    return posix_memalign(&p, MAX(align, sizeof(void *)), len) == 0 ? p : NULL;
}

static int file_lock_byte(int fd, int cmd, short type, off_t byte)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_type = type,
    };
    if (fcntl(fd, cmd, &fl) < 0) {
        return -errno;
    }
    return cmd == F_OFD_GETLK && fl.l_type != F_UNLCK ? -EAGAIN : 0;
}

/* Take our locks, after checking nobody holds a conflicting one. */
static bool file_lock(BlockDriverState *bs, int fd, GError **errp)
{
    bool write = !bs->read_only;
    /* what others must not be doing: writing (if we write, or read
     * consistently as every user does), and forbidding what we use */
    struct { off_t byte; const char *what; } checks[] = {
        { LOCK_PERM_BASE + PERM_WRITE, "write" },
        { LOCK_SHARED_BASE + PERM_CONSISTENT_READ, "consistent read" },
        { LOCK_SHARED_BASE + PERM_WRITE, "write" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(checks); i++) {
        /* a reader tolerates another reader that forbids writing */
        if (!write && checks[i].byte == LOCK_SHARED_BASE + PERM_WRITE) {
            continue;
        }
        int ret = file_lock_byte(fd, F_OFD_GETLK, F_WRLCK, checks[i].byte);
        if (ret == -EAGAIN) {
            vireo_set_error(errp, "Failed to get %s\"write\" lock on '%s': is another process "
                            "using the image?", write ? "" : "shared ", bs->filename);
            return false;
        }
        if (ret < 0 && ret != -EINVAL && ret != -ENOTSUP) {
            vireo_set_error(errp, "could not lock '%s': %s", bs->filename, g_strerror(-ret));
            return false;
        }
        if (ret < 0) {
            return true;     /* a filesystem without OFD locks: go unlocked */
        }
    }
    off_t take[4];
    int n = 0;
    take[n++] = LOCK_PERM_BASE + PERM_CONSISTENT_READ;
    take[n++] = LOCK_SHARED_BASE + PERM_WRITE;      /* nobody writes under us */
    if (write) {
        take[n++] = LOCK_PERM_BASE + PERM_WRITE;
    }
    for (int i = 0; i < n; i++) {
        int ret = file_lock_byte(fd, F_OFD_SETLK, F_RDLCK, take[i]);
        if (ret < 0 && ret != -EINVAL && ret != -ENOTSUP) {
            vireo_set_error(errp, "Failed to lock '%s': %s", bs->filename, g_strerror(-ret));
            return false;
        }
    }
    return true;
}

static int file_open(BlockDriverState *bs, int flags, GError **errp)
{
    FileState *s = bs->opaque;
    int oflags = O_CLOEXEC | ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY);
    if (flags & BDRV_O_NOCACHE) {
        oflags |= O_DIRECT;
    }
    int fd = open(bs->filename, oflags);
    if (fd < 0 && errno == EINVAL && (oflags & O_DIRECT)) {
        vireo_set_error(errp, "could not open '%s': cache=none needs O_DIRECT, which its "
                        "file system does not support", bs->filename);
        return -EINVAL;
    }
    if (fd < 0) {
        int err = errno;
        vireo_set_error(errp, "could not open '%s': %s", bs->filename, g_strerror(err));
        return -err;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        vireo_set_error(errp, "could not open '%s': %s", bs->filename,
                        S_ISDIR(st.st_mode) ? "Is a directory" : g_strerror(errno));
        close(fd);
        return -EISDIR;
    }
    s->is_blockdev = S_ISBLK(st.st_mode);
    s->align = 1;
    if (flags & BDRV_O_NOCACHE) {
        int bsz = 0;
        if (s->is_blockdev && ioctl(fd, BLKSSZGET, &bsz) == 0 && bsz > 0) {
            s->align = bsz;
        } else {
            s->align = MAX(st.st_blksize, 512);
            if (s->align > 4096) {
                s->align = 4096;
            }
        }
    }
    if (!(flags & BDRV_O_NO_LOCK) && !file_lock(bs, fd, errp)) {
        close(fd);
        return -EAGAIN;
    }
    s->fd = fd;
    return 0;
}

static void file_close(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    close(s->fd);    /* drops the OFD locks */
}

static int64_t file_getlength(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (s->is_blockdev) {
        uint64_t size;
        if (ioctl(s->fd, BLKGETSIZE64, &size) < 0) {
            return -errno;
        }
        return size;
    }
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

static bool file_aligned(FileState *s, uint64_t offset, uint64_t bytes, const struct iovec *iov,
                         int niov)
{
    if (s->align == 1) {
        return true;
    }
    if ((offset | bytes) & (s->align - 1)) {
        return false;
    }
    for (int i = 0; i < niov; i++) {
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (s->align - 1)) {
            return false;
        }
    }
    return true;
}

/* preadv/pwritev until done; a read past the end of the file gives zeros
 * (a qcow2 file may end inside its last cluster). */
static int file_rw_vec(FileState *s, bool write, uint64_t offset, const struct iovec *iov,
                       int niov, uint64_t bytes)
{
    struct iovec local[64];
    struct iovec *v = niov <= 64 ? local : g_new(struct iovec, niov);
    memcpy(v, iov, niov * sizeof(*v));
    int ret = 0;
    int i = 0;
    while (bytes > 0 && i < niov) {
        int cnt = MIN(niov - i, IOV_MAX);
        ssize_t n = write ? pwritev(s->fd, v + i, cnt, offset) : preadv(s->fd, v + i, cnt, offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ret = -errno;
            break;
        }
        if (n == 0) {
            if (write) {
                ret = -EIO;
                break;
            }
            /* end of file: the rest reads as zeros */
            for (; i < niov; i++) {
                memset(v[i].iov_base, 0, v[i].iov_len);
            }
            break;
        }
        offset += n;
        bytes -= n;
        while (n > 0 && i < niov) {
            if ((size_t)n >= v[i].iov_len) {
                n -= v[i].iov_len;
                i++;
            } else {
                v[i].iov_base = (char *)v[i].iov_base + n;
                v[i].iov_len -= n;
                n = 0;
            }
        }
    }
    if (v != local) {
        g_free(v);
    }
    return ret;
}

static int file_bounce(FileState *s, bool write, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov)
{
    uint64_t start = offset & ~(uint64_t)(s->align - 1);
    uint64_t end = (offset + bytes + s->align - 1) & ~(uint64_t)(s->align - 1);
    size_t len = end - start;
    void *buf = file_memalign(s->align, len);
    if (!buf) {
        return -ENOMEM;
    }
    struct iovec biov = { .iov_base = buf, .iov_len = len };
    int ret = 0;
    if (write && (start != offset || end != offset + bytes)) {
        ret = file_rw_vec(s, false, start, &biov, 1, len);     /* read-modify-write */
    }
    if (ret == 0 && write) {
        iov_to_buf(iov, niov, 0, (char *)buf + (offset - start), bytes);
        ret = file_rw_vec(s, true, start, &biov, 1, len);
    } else if (ret == 0) {
        ret = file_rw_vec(s, false, start, &biov, 1, len);
        if (ret == 0) {
            iov_from_buf(iov, niov, 0, (char *)buf + (offset - start), bytes);
        }
    }
    free(buf);
    return ret;
}

static int file_rw(BlockDriverState *bs, bool write, uint64_t offset, uint64_t bytes,
                   const struct iovec *iov, int niov)
{
    FileState *s = bs->opaque;
    if (!file_aligned(s, offset, bytes, iov, niov)) {
        return file_bounce(s, write, offset, bytes, iov, niov);
    }
    return file_rw_vec(s, write, offset, iov, niov, bytes);
}

static int file_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov)
{
    return file_rw(bs, false, offset, bytes, iov, niov);
}

static int file_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        const struct iovec *iov, int niov)
{
    return file_rw(bs, true, offset, bytes, iov, niov);
}

/* One preadv2 with RWF_NOWAIT: the kernel copies from its page cache and
 * answers EAGAIN rather than start disk I/O.  O_DIRECT (cache=none) always
 * goes to the disk, so it never tries; a short read (part cached, or the
 * end of the file) is left to file_preadv too. */
static int file_preadv_nowait(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                              const struct iovec *iov, int niov)
{
    FileState *s = bs->opaque;
    if (s->align != 1 || s->is_blockdev || niov > IOV_MAX) {
        return -EAGAIN;
    }
#ifdef RWF_NOWAIT
    ssize_t n = preadv2(s->fd, iov, niov, offset, RWF_NOWAIT);
    return n >= 0 && (uint64_t)n == bytes ? 0 : -EAGAIN;
#else
    return -EAGAIN;
#endif
}

static int file_flush(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    return fdatasync(s->fd) < 0 ? -errno : 0;
}

static int file_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    FileState *s = bs->opaque;
    if (s->is_blockdev) {
        uint64_t range[2] = { offset, bytes };
        return ioctl(s->fd, BLKDISCARD, range) < 0 ? -errno : 0;
    }
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, bytes) < 0) {
        return errno == EOPNOTSUPP ? 0 : -errno;
    }
    return 0;
}

static int file_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    FileState *s = bs->opaque;
    if (!s->is_blockdev) {
        if (fallocate(s->fd, FALLOC_FL_ZERO_RANGE, offset, bytes) == 0) {
            return 0;
        }
        if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, bytes) == 0) {
            return 0;
        }
    }
    /* no fallocate: write zeros */
    size_t chunk = MIN(bytes, (uint64_t)1 << 20);
    chunk = MAX(chunk, s->align);
    void *zero = file_memalign(s->align, chunk);
    if (!zero) {
        return -ENOMEM;
    }
    memset(zero, 0, chunk);
    int ret = 0;
    while (bytes && ret == 0) {
        size_t n = MIN(bytes, (uint64_t)chunk);
        struct iovec iov = { .iov_base = zero, .iov_len = n };
        ret = file_rw(bs, true, offset, n, &iov, 1);
        offset += n;
        bytes -= n;
    }
    free(zero);
    return ret;
}

static int file_truncate(BlockDriverState *bs, uint64_t size, GError **errp)
{
    FileState *s = bs->opaque;
    if (s->is_blockdev) {
        vireo_set_error(errp, "cannot resize block device '%s'", bs->filename);
        return -ENOTSUP;
    }
    if (ftruncate(s->fd, size) < 0) {
        int err = errno;
        vireo_set_error(errp, "could not resize '%s': %s", bs->filename, g_strerror(err));
        return -err;
    }
    return 0;
}

/* Holes read as zeros: SEEK_DATA/SEEK_HOLE tell where they are. */
static int file_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                             uint64_t *pnum)
{
    FileState *s = bs->opaque;
    off_t data = lseek(s->fd, offset, SEEK_DATA);
    if (data < 0) {
        if (errno == ENXIO) {              /* only a hole up to EOF */
            *pnum = bytes;
            return 0;
        }
        *pnum = bytes;
        return 1;
    }
    if ((uint64_t)data > offset) {
        *pnum = MIN(bytes, (uint64_t)data - offset);
        return 0;
    }
    off_t hole = lseek(s->fd, offset, SEEK_HOLE);
    if (hole < 0 || (uint64_t)hole <= offset) {
        *pnum = bytes;
        return 1;
    }
    *pnum = MIN(bytes, (uint64_t)hole - offset);
    return 1;
}

static int64_t file_allocated_size(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

static bool file_create(const char *filename, uint64_t size, const char *opts, GError **errp)
{
    int fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        vireo_set_error(errp, "could not create '%s': %s", filename, g_strerror(errno));
        return false;
    }
    bool ok = ftruncate(fd, size) == 0;
    if (!ok) {
        vireo_set_error(errp, "could not resize '%s': %s", filename, g_strerror(errno));
    }
    close(fd);
    return ok;
}

static const BlockDriver bdrv_file = {
    .format_name = "file",
    .is_protocol = true,
    .instance_size = sizeof(FileState),
    .open = file_open,
    .close = file_close,
    .getlength = file_getlength,
    .preadv = file_preadv,
    .pwritev = file_pwritev,
    .preadv_nowait = file_preadv_nowait,
    .flush = file_flush,
    .pdiscard = file_pdiscard,
    .pwrite_zeroes = file_pwrite_zeroes,
    .truncate = file_truncate,
    .block_status = file_block_status,
    .allocated_size = file_allocated_size,
    .create = file_create,
};
BLOCK_DRIVER_REGISTER(bdrv_file)
