/*
 * The "null-co" protocol: a device of a given size with nothing behind it,
 * as QEMU's, for tests and for measuring a device model without the host's
 * storage.  Writes are dropped; reads leave the guest's buffer as it was,
 * or fill it with zeroes with read-zeroes=on.
 *
 *   -drive file=null-co://,file.size=1G,file.read-zeroes=on,format=raw
 *   -blockdev driver=null-co,node-name=n0,size=1G,read-zeroes=on
 *
 * The options travel in the file name ("null-co://size=1G,read-zeroes=on",
 * written by -drive and -blockdev from their options), so the node opens
 * like any other protocol named by a prefix.
 */
#include "block/block_int.h"
#include "util/error.h"
#include "util/keyval.h"

#define NULL_DEFAULT_SIZE (1ULL << 30)     /* QEMU's default: 1 GiB */

typedef struct {
    uint64_t size;
    bool read_zeroes;
} BDRVNullState;

static int null_open(BlockDriverState *bs, int flags, GError **errp)
{
    BDRVNullState *s = bs->opaque;
    const char *opts = bs->filename;
    if (g_str_has_prefix(opts, "null-co://")) {
        opts += strlen("null-co://");
    } else if (g_str_has_prefix(opts, "null-co:")) {
        opts += strlen("null-co:");
    }
    KeyVal *kv = keyval_parse(opts, NULL, errp);
    if (!kv) {
        return -1;
    }
    int ret = -1;
    if (!keyval_take_size(kv, "size", NULL_DEFAULT_SIZE, &s->size, errp) ||
        !keyval_take_bool(kv, "read-zeroes", false, &s->read_zeroes, errp)) {
        goto out;
    }
    const char *unused = keyval_unused(kv);
    if (unused) {
        vireo_set_error(errp, "null-co: Invalid parameter '%s'", unused);
        goto out;
    }
    if (s->size > INT64_MAX) {
        vireo_set_error(errp, "null-co: size %llu is too large", (unsigned long long)s->size);
        goto out;
    }
    ret = 0;
out:
    keyval_free(kv);
    return ret;
}

static int64_t null_getlength(BlockDriverState *bs)
{
    return ((BDRVNullState *)bs->opaque)->size;
}

static int null_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov)
{
    if (((BDRVNullState *)bs->opaque)->read_zeroes) {
        for (int i = 0; i < niov; i++) {
            memset(iov[i].iov_base, 0, iov[i].iov_len);
        }
    }
    return 0;
}

static int null_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        const struct iovec *iov, int niov)
{
    return 0;
}

static int null_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    return 0;
}

static const BlockDriver bdrv_null_co = {
    .format_name = "null-co",
    .is_protocol = true,
    .protocol_prefix = "null-co",
    .instance_size = sizeof(BDRVNullState),
    .open = null_open,
    .getlength = null_getlength,
    .preadv = null_preadv,
    .pwritev = null_pwritev,
    .pdiscard = null_pdiscard,
    .pwrite_zeroes = null_pdiscard,
};
BLOCK_DRIVER_REGISTER(bdrv_null_co)
