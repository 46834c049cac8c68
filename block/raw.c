/*
 * The "raw" format: the guest sees the file's bytes as they are.  Every
 * call passes through to the "file" protocol below it.  Probing picks raw
 * only when no other format claims the file (score 1).
 */
#include "block/block_int.h"

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return 1;
}

static int raw_open(BlockDriverState *bs, int flags, GError **errp)
{
    return 0;
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file);
}

static int raw_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov)
{
    return bdrv_preadv(bs->file, offset, iov, niov);
}

static int raw_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov)
{
    return bdrv_pwritev(bs->file, offset, iov, niov);
}

static int raw_preadv_nowait(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                             const struct iovec *iov, int niov)
{
    return bdrv_preadv_nowait(bs->file, offset, iov, niov);
}

static int raw_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    return bdrv_pdiscard(bs->file, offset, bytes);
}

static int raw_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    return bdrv_pwrite_zeroes(bs->file, offset, bytes);
}

static int raw_truncate(BlockDriverState *bs, uint64_t size, GError **errp)
{
    return bdrv_truncate(bs->file, size, errp);
}

static int raw_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                            uint64_t *pnum)
{
    return bdrv_block_status(bs->file, offset, bytes, pnum);
}

static bool raw_create(const char *filename, uint64_t size, const char *opts, GError **errp)
{
    const BlockDriver *file = bdrv_find_format("file");
    return file->create(filename, size, opts, errp);
}

static const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .probe = raw_probe,
    .open = raw_open,
    .getlength = raw_getlength,
    .preadv = raw_preadv,
    .pwritev = raw_pwritev,
    .preadv_nowait = raw_preadv_nowait,
    .pdiscard = raw_pdiscard,
    .pwrite_zeroes = raw_pwrite_zeroes,
    .truncate = raw_truncate,
    .block_status = raw_block_status,
    .create = raw_create,
};
BLOCK_DRIVER_REGISTER(bdrv_raw)
