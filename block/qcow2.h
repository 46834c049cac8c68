/*
 * What the qcow2 driver offers beyond the BlockDriver interface: writing
 * compressed clusters (vireo-img convert -c) and its check's report lines.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdio.h>

#include "block/block.h"

/* True if bs is an open qcow2 image. */
bool qcow2_is_qcow2(BlockDriverState *bs);
/* Its cluster size in bytes (0 if bs is not qcow2). */
uint64_t qcow2_cluster_size(BlockDriverState *bs);
/* Write one whole cluster (offset cluster-aligned; bytes the cluster size,
 * or what is left of the image in its last cluster) zlib-compressed, as
 * QEMU does.  Data that does not shrink, or a cluster that is already
 * allocated, is written uncompressed.  0 or -errno. */
int qcow2_pwrite_compressed(BlockDriverState *bs, uint64_t offset, const void *buf,
                            uint64_t bytes);
/* Where check() prints one line per problem ("Leaked cluster 5 refcount=1
 * reference=0", as QEMU's); NULL (the default: stderr) or a stream.  The
 * fuzz harness silences it with quiet = true. */
void qcow2_set_check_quiet(bool quiet);

#endif
