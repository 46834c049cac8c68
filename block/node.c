/*
 * -blockdev / blockdev-add: parse a node's options (dotted keyval or
 * JSON, both turned into one JSON object tree), open the node through the
 * block drivers, and keep the table of top-level nodes by node-name.
 * Option names, defaults and error wording follow QEMU's BlockdevOptions
 * (qapi/block-core.json) where Vireo's block layer has the feature.
 */
#include "block/node.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "block/block_int.h"
#include "util/error.h"
#include "util/keyval.h"

static GPtrArray *nodes;          /* BlockDriverState *: top-level, monitor-owned */

/* ---- options: a JSON object and the members a parser took ---- */

typedef struct Opts {
    JsonObject *o;
    GHashTable *used;             /* member names taken */
    const char *prefix;           /* "file." for an inline child, for messages */
} Opts;

static void opts_init(Opts *op, JsonObject *o, const char *prefix)
{
    op->o = o;
    op->used = g_hash_table_new(g_str_hash, g_str_equal);
    op->prefix = prefix;
}

static void opts_done(Opts *op)
{
    g_hash_table_destroy(op->used);
}

static JsonNode *opts_take(Opts *op, const char *key)
{
    JsonNode *n = json_object_get_member(op->o, key);
    if (n) {
        g_hash_table_add(op->used, (gpointer)key);
    }
    return n;
}

static bool opts_str(Opts *op, const char *key, const char **out, GError **errp)
{
    JsonNode *n = opts_take(op, key);
    *out = NULL;
    if (!n) {
        return true;
    }
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
        *out = json_node_get_string(n);
        return true;
    }
    vireo_set_error(errp, "Invalid parameter type for '%s%s', expected: string", op->prefix, key);
    return false;
}

/* JSON true/false, or the keyval spellings on/off/yes/no/true/false. */
static bool opts_bool(Opts *op, const char *key, bool def, bool *out, GError **errp)
{
    JsonNode *n = opts_take(op, key);
    *out = def;
    if (!n) {
        return true;
    }
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN) {
        *out = json_node_get_boolean(n);
        return true;
    }
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
        const char *v = json_node_get_string(n);
        if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
            *out = true;
            return true;
        }
        if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
            *out = false;
            return true;
        }
    }
    vireo_set_error(errp, "Parameter '%s%s' expects 'on' or 'off'", op->prefix, key);
    return false;
}

/* One of a fixed set of values (QEMU's enums). */
static bool opts_enum(Opts *op, const char *key, const char *const *allowed, const char **out,
                      GError **errp)
{
    if (!opts_str(op, key, out, errp)) {
        return false;
    }
    if (!*out) {
        return true;
    }
    for (const char *const *a = allowed; *a; a++) {
        if (!strcmp(*a, *out)) {
            return true;
        }
    }
    vireo_set_error(errp, "Parameter '%s%s' does not accept value '%s'", op->prefix, key, *out);
    return false;
}

static bool opts_check_unused(Opts *op, GError **errp)
{
    GList *members = json_object_get_members(op->o);
    bool ok = true;
    for (GList *m = members; m && ok; m = m->next) {
        if (!g_hash_table_contains(op->used, m->data)) {
            vireo_set_error(errp, "Parameter '%s%s' is unexpected", op->prefix,
                            (const char *)m->data);
            ok = false;
        }
    }
    g_list_free(members);
    return ok;
}

/* ---- the node graph ---- */

static void walk(BlockDriverState *bs, GHashTable *seen,
                 void (*fn)(BlockDriverState *bs, void *opaque), void *opaque)
{
    if (!bs || g_hash_table_contains(seen, bs)) {
        return;
    }
    g_hash_table_add(seen, bs);
    fn(bs, opaque);
    walk(bs->file, seen, fn, opaque);
    walk(bs->backing, seen, fn, opaque);
}

typedef struct WalkCtx {
    GHashTable *seen;
    void (*fn)(BlockDriverState *bs, void *opaque);
    void *opaque;
} WalkCtx;

static void walk_blk(BlockBackend *blk, void *opaque)
{
    WalkCtx *c = opaque;
    walk(blk_bs(blk), c->seen, c->fn, c->opaque);
}

void bdrv_node_foreach(void (*fn)(BlockDriverState *bs, void *opaque), void *opaque)
{
    WalkCtx c = { g_hash_table_new(NULL, NULL), fn, opaque };
    for (guint i = 0; nodes && i < nodes->len; i++) {
        walk(nodes->pdata[i], c.seen, fn, opaque);
    }
    blk_foreach(walk_blk, &c);
    g_hash_table_destroy(c.seen);
}

typedef struct FindCtx {
    const char *name;
    BlockDriverState *found;
} FindCtx;

static void find_one(BlockDriverState *bs, void *opaque)
{
    FindCtx *c = opaque;
    if (!c->found && !strcmp(bs->node_name, c->name)) {
        c->found = bs;
    }
}

BlockDriverState *bdrv_find_node(const char *node_name)
{
    FindCtx c = { node_name, NULL };
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    for (guint i = 0; nodes && i < nodes->len && !c.found; i++) {
        walk(nodes->pdata[i], seen, find_one, &c);
    }
    g_hash_table_destroy(seen);
    return c.found;
}

const char *bdrv_node_name(BlockDriverState *bs)
{
    return bs->node_name;
}

BlockDriverState *bdrv_file_child(BlockDriverState *bs)
{
    return bs->file;
}

int bdrv_open_flags(BlockDriverState *bs)
{
    return bs->open_flags;
}

/* QEMU's rule: letters, digits, '-', '.', '_', starting with a letter, at
 * most 31 characters; so a user name never clashes with "#block..." */
static bool node_name_valid(const char *s)
{
    if (!g_ascii_isalpha(s[0]) || strlen(s) > 31) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_') {
            return false;
        }
    }
    return true;
}

static void name_clash(BlockDriverState *bs, void *opaque)
{
    FindCtx *c = opaque;
    if (!c->found && !strcmp(bs->node_name, c->name)) {
        c->found = bs;
    }
}

static bool node_name_free(const char *name, GError **errp)
{
    if (!node_name_valid(name)) {
        vireo_set_error(errp, "Invalid node-name: '%s'", name);
        return false;
    }
    FindCtx c = { name, NULL };
    bdrv_node_foreach(name_clash, &c);
    if (c.found) {
        vireo_set_error(errp, "Duplicate nodes with node-name='%s'", name);
        return false;
    }
    if (blk_by_name(name)) {
        vireo_set_error(errp, "node-name=%s is conflicting with a device id", name);
        return false;
    }
    return true;
}

/* ---- opening a node ---- */

static BlockDriverState *node_open(JsonObject *o, const char *prefix, const char *parent,
                                   bool top, GError **errp);

static const char *const discard_vals[] = { "ignore", "off", "unmap", "on", NULL };
static const char *const detect_zeroes_vals[] = { "off", "on", "unmap", NULL };
static const char *const locking_vals[] = { "auto", "on", "off", NULL };
static const char *const aio_vals[] = { "threads", "native", "io_uring", NULL };

/* file= of a format node: a node-name, or an inline node (JSON object or
 * dotted "file.driver=..."), which gets "#blockNNN" unless it names itself. */
static BlockDriverState *node_open_child(Opts *op, const char *key, const char *parent,
                                         GError **errp)
{
    JsonNode *n = opts_take(op, key);
    if (!n) {
        vireo_set_error(errp, "Parameter '%s%s' is missing", op->prefix, key);
        return NULL;
    }
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        g_autofree char *prefix = g_strdup_printf("%s%s.", op->prefix, key);
        return node_open(json_node_get_object(n), prefix, parent, false, errp);
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
        vireo_set_error(errp, "Invalid parameter type for '%s%s', expected: a node-name "
                        "or an object", op->prefix, key);
        return NULL;
    }
    const char *ref = json_node_get_string(n);
    BlockDriverState *child = bdrv_find_node(ref);
    if (!child) {
        vireo_set_error(errp, "Cannot find device='%s' nor node-name='%s'", ref, ref);
        return NULL;
    }
    if (child->user) {
        vireo_set_error(errp, "Node '%s' is already in use by %s", ref, child->user);
        return NULL;
    }
    child->user = g_strdup(parent);
    return bdrv_ref(child);
}

static BlockDriverState *node_open(JsonObject *o, const char *prefix, const char *parent,
                                   bool top, GError **errp)
{
    Opts op;
    opts_init(&op, o, prefix);
    BlockDriverState *bs = NULL, *file = NULL;
    const char *driver, *node_name, *discard, *detect_zeroes;
    bool read_only, auto_read_only, force_share;
    bool cache_direct = false, cache_no_flush = false;
    JsonNode *cache;
    const BlockDriver *drv;
    int flags = 0;
    g_autofree char *me = NULL;

    if (!opts_str(&op, "driver", &driver, errp) || !opts_str(&op, "node-name", &node_name, errp) ||
        !opts_bool(&op, "read-only", false, &read_only, errp) ||
        !opts_bool(&op, "auto-read-only", false, &auto_read_only, errp) ||
        !opts_bool(&op, "force-share", false, &force_share, errp) ||
        !opts_enum(&op, "discard", discard_vals, &discard, errp) ||
        !opts_enum(&op, "detect-zeroes", detect_zeroes_vals, &detect_zeroes, errp)) {
        goto out;
    }
    if (!driver) {
        vireo_set_error(errp, "Parameter '%sdriver' is missing", prefix);
        goto out;
    }
    drv = bdrv_find_format(driver);
    if (!drv) {
        vireo_set_error(errp, "Parameter '%sdriver' does not accept value '%s' "
                        "(Vireo has file, raw and qcow2)", prefix, driver);
        goto out;
    }
    if (top && !node_name) {
        vireo_set_error(errp, "'node-name' must be specified for the root node");
        goto out;
    }
    if (node_name && !node_name_free(node_name, errp)) {
        goto out;
    }
    if (detect_zeroes && strcmp(detect_zeroes, "off")) {
        vireo_set_error(errp, "Parameter '%sdetect-zeroes': only 'off' is supported, not '%s'",
                        prefix, detect_zeroes);
        goto out;
    }
    /* cache.direct / cache.no-flush: a nested object in either syntax */
    cache = opts_take(&op, "cache");
    if (cache) {
        if (!JSON_NODE_HOLDS_OBJECT(cache)) {
            vireo_set_error(errp, "Invalid parameter type for '%scache', expected: object", prefix);
            goto out;
        }
        Opts cop;
        g_autofree char *cprefix = g_strdup_printf("%scache.", prefix);
        opts_init(&cop, json_node_get_object(cache), cprefix);
        bool ok = opts_bool(&cop, "direct", false, &cache_direct, errp) &&
                  opts_bool(&cop, "no-flush", false, &cache_no_flush, errp) &&
                  opts_check_unused(&cop, errp);
        opts_done(&cop);
        if (!ok) {
            goto out;
        }
    }
    me = g_strdup_printf("node '%s'", node_name ? node_name : driver);
    if (!read_only) {
        flags |= BDRV_O_RDWR;
    }
    if (cache_direct) {
        flags |= BDRV_O_NOCACHE;
    }
    if (cache_no_flush) {
        flags |= BDRV_O_NO_FLUSH;
    }
    if (force_share) {
        if (!read_only) {
            vireo_set_error(errp, "force-share=on can only be used with read-only images");
            goto out;
        }
        flags |= BDRV_O_NO_LOCK;
    }

    if (drv->is_protocol && !strcmp(driver, "null-co")) {
        /* its options travel in the file name (block/null.c) */
        JsonNode *size = opts_take(&op, "size");
        bool zeroes;
        if (!opts_bool(&op, "read-zeroes", false, &zeroes, errp) || !opts_check_unused(&op, errp)) {
            goto out;
        }
        g_autoptr(GString) fname = g_string_new("null-co://");
        g_string_append_printf(fname, "read-zeroes=%s", zeroes ? "on" : "off");
        if (size && JSON_NODE_HOLDS_VALUE(size) && json_node_get_value_type(size) == G_TYPE_INT64) {
            g_string_append_printf(fname, ",size=%" G_GINT64_FORMAT, json_node_get_int(size));
        } else if (size && JSON_NODE_HOLDS_VALUE(size) &&
                   json_node_get_value_type(size) == G_TYPE_STRING) {
            g_string_append(fname, ",size=");
            keyval_append_escaped(fname, json_node_get_string(size));
        } else if (size) {
            vireo_set_error(errp, "Invalid parameter type for '%ssize', expected: integer", prefix);
            goto out;
        }
        bs = bdrv_open_node(drv, fname->str, NULL, flags, errp);
    } else if (drv->is_protocol) {
        const char *filename, *locking, *aio;
        if (!opts_str(&op, "filename", &filename, errp) ||
            !opts_enum(&op, "locking", locking_vals, &locking, errp) ||
            !opts_enum(&op, "aio", aio_vals, &aio, errp)) {
            goto out;
        }
        if (!opts_check_unused(&op, errp)) {
            goto out;
        }
        if (!filename) {
            vireo_set_error(errp, "Parameter '%sfilename' is missing", prefix);
            goto out;
        }
        if (locking && !strcmp(locking, "off")) {
            flags |= BDRV_O_NO_LOCK;
        }
        /* auto-read-only: a file the user may not write opens read-only
         * instead of failing, as libvirt expects */
        if (auto_read_only && (flags & BDRV_O_RDWR) && access(filename, W_OK) < 0 &&
            access(filename, R_OK) == 0) {
            flags &= ~BDRV_O_RDWR;
        }
        bs = bdrv_open_node(drv, filename, NULL, flags, errp);
    } else {
        JsonNode *backing = opts_take(&op, "backing");
        if (backing) {
            /* null (JSON) or "" (keyval): do not open the image's backing
             * file; naming another node as backing is not supported */
            bool is_null = JSON_NODE_HOLDS_NULL(backing) ||
                           (JSON_NODE_HOLDS_VALUE(backing) &&
                            json_node_get_value_type(backing) == G_TYPE_STRING &&
                            !*json_node_get_string(backing));
            if (!is_null) {
                vireo_set_error(errp, "Parameter '%sbacking': only null is supported (the "
                                "image's own backing file is opened when it is absent)", prefix);
                goto out;
            }
            flags |= BDRV_O_NO_BACKING;
        }
        /* file= is checked after the other options, so a typo is reported
         * before a child is opened */
        JsonNode *fn = json_object_get_member(o, "file");
        if (fn) {
            g_hash_table_add(op.used, "file");
        }
        if (!opts_check_unused(&op, errp)) {
            goto out;
        }
        g_hash_table_remove(op.used, "file");
        file = node_open_child(&op, "file", me, errp);
        if (!file) {
            goto out;
        }
        if ((flags & BDRV_O_RDWR) && file->read_only) {
            if (!auto_read_only) {
                vireo_set_error(errp, "%s: its file node '%s' is read-only (use read-only=on)",
                                me, file->node_name);
                goto out;
            }
            flags &= ~BDRV_O_RDWR;
        }
        bs = bdrv_open_node(drv, NULL, file, flags, errp);
    }
    if (!bs) {
        goto out;
    }
    /* QEMU's default is discard=ignore: the guest's discards are dropped */
    bs->discard_unmap = discard && (!strcmp(discard, "unmap") || !strcmp(discard, "on"));
    if (node_name) {
        g_free(bs->node_name);
        bs->node_name = g_strdup(node_name);
    }
    if (!top) {
        bs->user = g_strdup(parent);
    }
out:
    if (file && !bs) {
        /* a referenced node is free again; an inline one goes */
        g_free(file->user);
        file->user = NULL;
        bdrv_close(file);
    } else if (file) {
        bdrv_close(file);        /* bs holds its own reference */
    }
    opts_done(&op);
    return bs;
}

static bool blockdev_add_tree(JsonObject *o, GError **errp)
{
    BlockDriverState *bs = node_open(o, "", NULL, true, errp);
    if (!bs) {
        return false;
    }
    bs->monitor_owned = true;
    if (!nodes) {
        nodes = g_ptr_array_new();
    }
    g_ptr_array_add(nodes, bs);
    return true;
}

bool blockdev_add_json(JsonObject *opts, GError **errp)
{
    return blockdev_add_tree(opts, errp);
}

/* "file.driver=file" -> {"file": {"driver": "file"}}: the dotted keys of
 * QEMU's keyval syntax, all values strings. */
typedef struct DotCtx {
    JsonObject *root;
    GError *err;
} DotCtx;

static void dotted_one(const char *key, const char *val, void *opaque)
{
    DotCtx *c = opaque;
    if (c->err) {
        return;
    }
    gchar **parts = g_strsplit(key, ".", -1);
    JsonObject *o = c->root;
    for (gchar **p = parts; *p; p++) {
        if (!**p) {
            vireo_set_error(&c->err, "Invalid parameter '%s'", key);
            break;
        }
        if (!p[1]) {
            JsonNode *old = json_object_get_member(o, *p);
            if (old && JSON_NODE_HOLDS_OBJECT(old)) {
                vireo_set_error(&c->err, "Parameters '%s.*' used inconsistently", key);
            } else {
                json_object_set_string_member(o, *p, val);
            }
            break;
        }
        JsonNode *sub = json_object_get_member(o, *p);
        if (!sub) {
            JsonObject *n = json_object_new();
            json_object_set_object_member(o, *p, n);
            o = n;
        } else if (JSON_NODE_HOLDS_OBJECT(sub)) {
            o = json_node_get_object(sub);
        } else {
            vireo_set_error(&c->err, "Parameters '%s.*' used inconsistently", *p);
            break;
        }
    }
    g_strfreev(parts);
}

bool blockdev_add_str(const char *str, GError **errp)
{
    JsonObject *root = NULL;
    bool ok = false;
    if (str[strspn(str, " \t\n")] == '{') {
        JsonParser *p = json_parser_new();
        GError *jerr = NULL;
        if (!json_parser_load_from_data(p, str, -1, &jerr)) {
            vireo_set_error(errp, "JSON parse error: %s", jerr->message);
            g_error_free(jerr);
            g_object_unref(p);
            return false;
        }
        JsonNode *r = json_parser_get_root(p);
        if (!r || !JSON_NODE_HOLDS_OBJECT(r)) {
            vireo_set_error(errp, "the JSON form must be an object");
            g_object_unref(p);
            return false;
        }
        root = json_object_ref(json_node_get_object(r));
        g_object_unref(p);
    } else {
        KeyVal *kv = keyval_parse(str, "driver", errp);
        if (!kv) {
            return false;
        }
        DotCtx c = { json_object_new(), NULL };
        keyval_foreach(kv, dotted_one, &c);
        keyval_free(kv);
        root = c.root;
        if (c.err) {
            g_propagate_error(errp, c.err);
            goto out;
        }
    }
    ok = blockdev_add_tree(root, errp);
out:
    json_object_unref(root);
    return ok;
}

bool blockdev_del(const char *node_name, GError **errp)
{
    for (guint i = 0; nodes && i < nodes->len; i++) {
        BlockDriverState *bs = nodes->pdata[i];
        if (strcmp(bs->node_name, node_name)) {
            continue;
        }
        if (bs->refcnt > 1 || bs->user) {
            vireo_set_error(errp, "Node '%s' is busy: in use by %s", node_name,
                            bs->user ? bs->user : "a device");
            return false;
        }
        g_ptr_array_remove_index(nodes, i);
        bdrv_close(bs);
        return true;
    }
    if (bdrv_find_node(node_name)) {
        vireo_set_error(errp, "Node %s is not owned by the monitor", node_name);
    } else {
        vireo_set_error(errp, "Failed to find node with node-name='%s'", node_name);
    }
    return false;
}

BlockBackend *blockdev_backend_for_node(const char *node_name, const char *user, GError **errp)
{
    BlockDriverState *bs = bdrv_find_node(node_name);
    if (!bs) {
        return NULL;
    }
    if (bs->user) {
        vireo_set_error(errp, "Node '%s' is already in use by %s", node_name, bs->user);
        return NULL;
    }
    int flags = bs->open_flags & (BDRV_O_NOCACHE | BDRV_O_NO_FLUSH);
    if (!bs->read_only) {
        flags |= BDRV_O_RDWR;
    }
    bs->user = g_strdup(user);
    return blk_new_with_bs("", bs, flags);
}
