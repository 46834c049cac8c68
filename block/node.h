/*
 * Named block nodes: QEMU's -blockdev and QMP blockdev-add/blockdev-del.
 *
 * A -blockdev builds one node of the block graph (a "file" protocol node,
 * or a raw/qcow2 format node whose file= is another node, named or given
 * inline).  Top-level nodes live in a table by node-name; a device takes
 * one with drive=NODE-NAME, which makes an anonymous BlockBackend over it
 * (block/block.h), as QEMU does.  Nodes are opened through the same
 * BlockDriver code as -drive images.
 */
#ifndef BLOCK_NODE_H
#define BLOCK_NODE_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "block/block.h"

/* -blockdev OPTS: the dotted key=value form (implied first key driver=,
 * "file.driver=file") or, when it starts with '{', the JSON form. */
bool blockdev_add_str(const char *opts, GError **errp);
/* QMP blockdev-add: the arguments object (not consumed). */
bool blockdev_add_json(JsonObject *opts, GError **errp);
/* QMP blockdev-del: only a top-level node no device or node uses. */
bool blockdev_del(const char *node_name, GError **errp);

/* A node by node-name among the -blockdev nodes and their children. */
BlockDriverState *bdrv_find_node(const char *node_name);
/* drive=NODE-NAME of a device: an anonymous drive over the node, which
 * is then in use by user (the device model's name).  NULL and no error
 * if no such node; NULL with an error if it is already in use. */
BlockBackend *blockdev_backend_for_node(const char *node_name, const char *user, GError **errp);

/* Every node once: the -blockdev graph and the images of the drives
 * (query-named-block-nodes). */
void bdrv_node_foreach(void (*fn)(BlockDriverState *bs, void *opaque), void *opaque);
const char *bdrv_node_name(BlockDriverState *bs);
BlockDriverState *bdrv_file_child(BlockDriverState *bs);
int bdrv_open_flags(BlockDriverState *bs);

#endif
