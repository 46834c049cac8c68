/*
 * vireo-img: create, inspect, convert, check and resize disk images (raw
 * and qcow2), with qemu-img's command line, output and exit codes, so
 * scripts written for qemu-img work with it.
 *
 * Errors are one line, "vireo-img: ...", and exit status 1.  check exits
 * as qemu-img check does: 0 clean, 2 corruptions, 3 leaks only, 1 check
 * not completed, 63 format without checks.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block/block_int.h"
#include "block/qcow2.h"

static bool quiet;

static void G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN die(const char *fmt, ...)
{
    va_list ap;
    fputs("vireo-img: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void G_GNUC_NORETURN die_err(GError *err)
{
    die("%s", err ? err->message : "unknown error");
}

static void usage(void)
{
    printf("Usage: vireo-img COMMAND [options]\n"
           "Commands (as qemu-img's):\n"
           "  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]\n"
           "  info [-f fmt] [--output=human|json] [-U] [--backing-chain] filename\n"
           "  convert [-q] [-p] [-c] [-U] [-f fmt] [-O output_fmt] [-o options] filename output_filename\n"
           "  check [-q] [-f fmt] [-r leaks|all] [--output=human|json] [-U] filename\n"
           "  resize [-q] [-f fmt] [--shrink] filename [+|-]size\n"
           "  snapshot -l [-U] [-f fmt] filename\n"
           "Formats: raw, qcow2.  Sizes take k, M, G, T, P, E suffixes (powers of 1024).\n"
           "qcow2 options (-o): cluster_size, preallocation=off|metadata|falloc|full,\n"
           "  compat=0.10|1.1, lazy_refcounts=off, refcount_bits, backing_file, backing_fmt\n");
}

/* "10G", "512", "1.5M": bytes; false if not a size. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = g_ascii_strtod(s, &end);
    if (end == s || errno || v < 0 || !isfinite(v)) {
        return false;
    }
    uint64_t mul = 1;
    switch (*end) {
    case 0: break;
    case 'b': case 'B': end++; break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    case 't': case 'T': mul = 1ull << 40; end++; break;
    case 'p': case 'P': mul = 1ull << 50; end++; break;
    case 'e': case 'E': mul = 1ull << 60; end++; break;
    default: return false;
    }
    if (*end || v * mul >= 18446744073709551616.0) {
        return false;
    }
    /* a fraction is only meaningful with a suffix, and must land on bytes */
    double bytes = v * mul;
    if (bytes != floor(bytes)) {
        return false;
    }
    *out = (uint64_t)bytes;
    return true;
}

/* qemu's size_to_str: three significant digits, binary units. */
static char *size_to_str(uint64_t val)
{
    static const char *const suffixes[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    int i;
    frexp(val / (1000.0 / 1024.0), &i);
    i = (i - 1) / 10;
    if (i < 0) {
        i = 0;
    }
    if (i > 6) {
        i = 6;
    }
    uint64_t div = 1ull << (i * 10);
    return g_strdup_printf("%0.3g %sB", (double)val / div, suffixes[i]);
}

/* The format of a file named without -f: qcow2 by its magic, else raw.
 * (bdrv_open would probe too, but warns about raw as the emulator must.) */
static const char *probe_format(const char *filename)
{
    FILE *f = fopen(filename, "rb");
    if (!f) {
        die("Could not open '%s': %s", filename, g_strerror(errno));
    }
    uint8_t b[8] = { 0 };
    size_t n = fread(b, 1, 8, f);
    fclose(f);
    if (n == 8 && !memcmp(b, "QFI\xfb", 4) && b[4] == 0 && b[5] == 0 && b[6] == 0 &&
        (b[7] == 2 || b[7] == 3)) {
        return "qcow2";
    }
    return "raw";
}

static BlockDriverState *open_image(const char *filename, const char *fmt, int flags)
{
    GError *err = NULL;
    if (!fmt) {
        fmt = probe_format(filename);
    }
    BlockDriverState *bs = bdrv_open(filename, fmt, flags, &err);
    if (!bs) {
        die_err(err);
    }
    return bs;
}

/* backing_file relative to the image's directory, as the format resolves it */
static char *backing_path(const char *image, const char *backing)
{
    if (g_path_is_absolute(backing)) {
        return g_strdup(backing);
    }
    char *dir = g_path_get_dirname(image);
    char *p = strcmp(dir, ".") ? g_build_filename(dir, backing, NULL) : g_strdup(backing);
    g_free(dir);
    return p;
}

static void append_escaped(GString *s, const char *v)
{
    for (; *v; v++) {
        g_string_append_c(s, *v);
        if (*v == ',') {
            g_string_append_c(s, ',');
        }
    }
}

/* ---- create ---- */

static int cmd_create(int argc, char **argv)
{
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    GString *opts = g_string_new(NULL);
    bool unsafe = false;
    int c;
    static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
    while ((c = getopt_long(argc, argv, "hqf:b:F:o:u", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'f': fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'u': unsafe = true; break;
        case 'o':
            if (opts->len) {
                g_string_append_c(opts, ',');
            }
            g_string_append(opts, optarg);
            break;
        case 'h': usage(); exit(0);
        default: exit(1);
        }
    }
    if (optind >= argc) {
        die("Expecting image file name");
    }
    const char *filename = argv[optind++];
    uint64_t size = 0;
    bool have_size = false;
    if (optind < argc) {
        if (!parse_size(argv[optind], &size)) {
            die("Invalid image size specified. You may use k, M, G, T, P or E suffixes for "
                "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        have_size = true;
        optind++;
    }
    if (optind < argc) {
        die("Unexpected argument: %s", argv[optind]);
    }
    const BlockDriver *drv = bdrv_find_format(fmt);
    if (!drv || drv->is_protocol) {
        die("Unknown file format '%s'", fmt);
    }
    if (backing) {
        if (strcmp(fmt, "qcow2")) {
            die("Format '%s' does not support backing files", fmt);
        }
        if (!unsafe || !have_size) {
            char *path = backing_path(filename, backing);
            BlockDriverState *b = open_image(path, backing_fmt, BDRV_O_NO_LOCK);
            if (!backing_fmt) {
                backing_fmt = g_strdup(bdrv_format_name(b));
            }
            if (!have_size) {
                int64_t len = bdrv_getlength(b);
                if (len < 0) {
                    die("Could not get the size of backing file '%s'", path);
                }
                size = len;
                have_size = true;
            }
            bdrv_close(b);
            g_free(path);
        }
        if (opts->len) {
            g_string_append_c(opts, ',');
        }
        g_string_append(opts, "backing_file=");
        append_escaped(opts, backing);
        if (backing_fmt) {
            g_string_append_printf(opts, ",backing_fmt=%s", backing_fmt);
        }
    } else if (backing_fmt) {
        die("-F needs -b backing_file");
    }
    if (!have_size) {
        die("Image creation needs a size parameter");
    }
    if (!quiet) {
        printf("Formatting '%s', fmt=%s size=%" PRIu64 "%s%s\n", filename, fmt, size,
               opts->len ? " " : "", opts->str);
    }
    GError *err = NULL;
    if (!bdrv_create(fmt, filename, size, opts->str, &err)) {
        die("%s: %s", filename, err->message);
    }
    g_string_free(opts, TRUE);
    return 0;
}

/* ---- info ---- */

/* The format's fields (cluster-size, dirty-flag, format-specific), parsed
 * from the fragment bdrv_info_json appends. */
static JsonObject *format_fields(BlockDriverState *bs, JsonParser *parser)
{
    GString *js = g_string_new("{\"_\": 0");
    bdrv_info_json(bs, js);
    g_string_append_c(js, '}');
    JsonObject *o = NULL;
    if (json_parser_load_from_data(parser, js->str, -1, NULL)) {
        o = json_node_get_object(json_parser_get_root(parser));
    }
    g_string_free(js, TRUE);
    return o;
}

static void json_str(GString *out, const char *s)
{
    char *e = g_strescape(s, NULL);
    g_string_append_printf(out, "\"%s\"", e);
    g_free(e);
}

static void json_node_out(GString *out, JsonNode *n, int indent)
{
    JsonGenerator *g = json_generator_new();
    json_generator_set_pretty(g, TRUE);
    json_generator_set_indent(g, 4);
    json_generator_set_root(g, n);
    char *s = json_generator_to_data(g, NULL);
    /* re-indent nested lines to where the member sits */
    char **lines = g_strsplit(s, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (i) {
            g_string_append_c(out, '\n');
            for (int k = 0; k < indent; k++) {
                g_string_append_c(out, ' ');
            }
        }
        /* json-glib writes "key" : value; QEMU writes "key": value */
        char *fixed = lines[i];
        char *colon = strstr(fixed, "\" : ");
        if (colon) {
            GString *t = g_string_new_len(fixed, colon - fixed + 1);
            g_string_append(t, colon + 2);
            g_string_append(out, t->str);
            g_string_free(t, TRUE);
        } else {
            g_string_append(out, fixed);
        }
    }
    g_strfreev(lines);
    g_free(s);
    g_object_unref(g);
}

static void info_json_one(GString *out, BlockDriverState *bs, const char *filename,
                          const BdrvSnapshotInfo *snaps, int nsnaps)
{
    JsonParser *parser = json_parser_new();
    JsonObject *ff = format_fields(bs, parser);
    GPtrArray *m = g_ptr_array_new_with_free_func(g_free);
    GString *v = g_string_new(NULL);
#define MEMBER(...) g_ptr_array_add(m, g_strdup_printf(__VA_ARGS__))
    if (bs->backing_file && bs->backing_format) {
        json_str(v, bs->backing_format);
        MEMBER("\"backing-filename-format\": %s", v->str);
        g_string_truncate(v, 0);
    }
    if (nsnaps > 0) {
        GString *a = g_string_new("\"snapshots\": [");
        for (int i = 0; i < nsnaps; i++) {
            g_string_append(a, i ? ",\n        {\n" : "\n        {\n");
            g_string_append_printf(a, "            \"icount\": %u,\n", snaps[i].icount);
            g_string_append_printf(a, "            \"vm-clock-nsec\": %" PRIu64 ",\n",
                                   snaps[i].vm_clock_nsec % 1000000000);
            g_string_append(a, "            \"name\": ");
            json_str(a, snaps[i].name);
            g_string_append_printf(a, ",\n            \"date-sec\": %u,\n", snaps[i].date_sec);
            g_string_append_printf(a, "            \"date-nsec\": %u,\n", snaps[i].date_nsec);
            g_string_append_printf(a, "            \"vm-clock-sec\": %" PRIu64 ",\n",
                                   snaps[i].vm_clock_nsec / 1000000000);
            g_string_append(a, "            \"id\": ");
            json_str(a, snaps[i].id);
            g_string_append_printf(a, ",\n            \"vm-state-size\": %" PRIu64 "\n        }",
                                   snaps[i].vm_state_size);
        }
        g_string_append(a, "\n    ]");
        g_ptr_array_add(m, g_string_free(a, FALSE));
    }
    MEMBER("\"virtual-size\": %" PRId64, bdrv_getlength(bs));
    json_str(v, filename);
    MEMBER("\"filename\": %s", v->str);
    g_string_truncate(v, 0);
    if (ff && json_object_has_member(ff, "cluster-size")) {
        MEMBER("\"cluster-size\": %" PRId64, json_object_get_int_member(ff, "cluster-size"));
    }
    json_str(v, bdrv_format_name(bs));
    MEMBER("\"format\": %s", v->str);
    g_string_truncate(v, 0);
    int64_t alloc = bdrv_allocated_size(bs);
    if (alloc >= 0) {
        MEMBER("\"actual-size\": %" PRId64, alloc);
    }
    if (ff && json_object_has_member(ff, "format-specific")) {
        GString *t = g_string_new("\"format-specific\": ");
        json_node_out(t, json_object_get_member(ff, "format-specific"), 4);
        g_ptr_array_add(m, g_string_free(t, FALSE));
    }
    if (bs->backing_file) {
        char *full = backing_path(filename, bs->backing_file);
        json_str(v, full);
        MEMBER("\"full-backing-filename\": %s", v->str);
        g_string_truncate(v, 0);
        g_free(full);
        json_str(v, bs->backing_file);
        MEMBER("\"backing-filename\": %s", v->str);
        g_string_truncate(v, 0);
    }
    bool dirty = ff && json_object_has_member(ff, "dirty-flag") &&
                 json_object_get_boolean_member(ff, "dirty-flag");
    MEMBER("\"dirty-flag\": %s", dirty ? "true" : "false");
#undef MEMBER
    g_string_append(out, "{\n");
    for (guint i = 0; i < m->len; i++) {
        g_string_append_printf(out, "    %s%s\n", (char *)g_ptr_array_index(m, i),
                               i + 1 < m->len ? "," : "");
    }
    g_string_append(out, "}");
    g_ptr_array_free(m, TRUE);
    g_string_free(v, TRUE);
    g_object_unref(parser);
}

static void print_snapshot_table(const BdrvSnapshotInfo *sn, int n)
{
    printf("%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
    for (int i = 0; i < n; i++) {
        char date[64];
        time_t t = sn[i].date_sec;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        uint64_t secs = sn[i].vm_clock_nsec / 1000000000;
        char clock[64];
        snprintf(clock, sizeof(clock), "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
                 secs / 3600, (secs / 60) % 60, secs % 60,
                 (sn[i].vm_clock_nsec / 1000000) % 1000);
        char *vmsize = size_to_str(sn[i].vm_state_size);
        printf("%-9s %-16s %8s%20s%13s%11u\n", sn[i].id, sn[i].name, vmsize, date, clock,
               sn[i].icount);
        g_free(vmsize);
    }
}

static void free_snapshots(BdrvSnapshotInfo *sn, int n)
{
    for (int i = 0; i < n; i++) {
        g_free(sn[i].id);
        g_free(sn[i].name);
    }
    g_free(sn);
}

static void info_human_one(BlockDriverState *bs, const char *filename,
                           const BdrvSnapshotInfo *snaps, int nsnaps)
{
    JsonParser *parser = json_parser_new();
    JsonObject *ff = format_fields(bs, parser);
    int64_t len = bdrv_getlength(bs);
    char *vs = size_to_str(len < 0 ? 0 : len);
    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRId64 " bytes)\n", filename,
           bdrv_format_name(bs), vs, len);
    g_free(vs);
    int64_t alloc = bdrv_allocated_size(bs);
    if (alloc >= 0) {
        char *ds = size_to_str(alloc);
        printf("disk size: %s\n", ds);
        g_free(ds);
    } else {
        printf("disk size: unavailable\n");
    }
    if (ff && json_object_has_member(ff, "cluster-size")) {
        printf("cluster_size: %" PRId64 "\n", json_object_get_int_member(ff, "cluster-size"));
    }
    if (bs->backing_file) {
        char *full = backing_path(filename, bs->backing_file);
        if (strcmp(full, bs->backing_file)) {
            printf("backing file: %s (actual path: %s)\n", bs->backing_file, full);
        } else {
            printf("backing file: %s\n", bs->backing_file);
        }
        g_free(full);
        if (bs->backing_format) {
            printf("backing file format: %s\n", bs->backing_format);
        }
    }
    if (ff && json_object_has_member(ff, "dirty-flag") &&
        json_object_get_boolean_member(ff, "dirty-flag")) {
        printf("cleanly shut down: no\n");
    }
    if (nsnaps > 0) {
        printf("Snapshot list:\n");
        print_snapshot_table(snaps, nsnaps);
    }
    if (ff && json_object_has_member(ff, "format-specific")) {
        JsonObject *fs = json_object_get_object_member(ff, "format-specific");
        JsonObject *data = json_object_has_member(fs, "data") ?
                           json_object_get_object_member(fs, "data") : NULL;
        if (data) {
            printf("Format specific information:\n");
            GList *names = json_object_get_members(data);
            for (GList *l = names; l; l = l->next) {
                const char *k = l->data;
                JsonNode *n = json_object_get_member(data, k);
                char *key = g_strdup(k);
                g_strdelimit(key, "-", ' ');
                if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN) {
                    printf("    %s: %s\n", key, json_node_get_boolean(n) ? "true" : "false");
                } else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
                    printf("    %s: %" PRId64 "\n", key, json_node_get_int(n));
                } else if (JSON_NODE_HOLDS_VALUE(n)) {
                    printf("    %s: %s\n", key, json_node_get_string(n));
                }
                g_free(key);
            }
            g_list_free(names);
        }
    }
    g_object_unref(parser);
}

static int cmd_info(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human";
    bool force_share = false, chain = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'O' },
        { "force-share", no_argument, NULL, 'U' },
        { "backing-chain", no_argument, NULL, 'B' },
        { 0 },
    };
    while ((c = getopt_long(argc, argv, "hf:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': force_share = true; break;
        case 'O': output = optarg; break;
        case 'B': chain = true; break;
        case 'h': usage(); exit(0);
        default: exit(1);
        }
    }
    if (strcmp(output, "human") && strcmp(output, "json")) {
        die("--output must be used with human or json as argument.");
    }
    if (optind != argc - 1) {
        die("Expecting one image file name");
    }
    char *filename = g_strdup(argv[optind]);
    GString *json = g_string_new(NULL);
    bool is_json = !strcmp(output, "json");
    if (chain && is_json) {
        g_string_append(json, "[\n");
    }
    for (int depth = 0; filename; depth++) {
        if (depth > 16) {
            die("Backing chain of '%s' is too long (a loop?)", argv[optind]);
        }
        int flags = BDRV_O_NO_BACKING | (force_share ? BDRV_O_NO_LOCK : 0);
        BlockDriverState *bs = open_image(filename, fmt, flags);
        BdrvSnapshotInfo *sn = NULL;
        int nsn = bdrv_snapshot_list(bs, &sn);
        if (is_json) {
            if (depth) {
                g_string_append(json, ",\n");
            }
            info_json_one(json, bs, filename, sn, nsn);
        } else {
            if (depth) {
                printf("\n");
            }
            info_human_one(bs, filename, sn, nsn);
        }
        free_snapshots(sn, nsn > 0 ? nsn : 0);
        char *next = NULL;
        if (chain && bs->backing_file) {
            next = backing_path(filename, bs->backing_file);
            fmt = bs->backing_format;
            fmt = fmt ? g_strdup(fmt) : NULL;
        }
        bdrv_close(bs);
        g_free(filename);
        filename = next;
    }
    if (is_json) {
        if (chain) {
            g_string_append(json, "\n]");
        }
        printf("%s\n", json->str);
    }
    g_string_free(json, TRUE);
    return 0;
}

/* ---- convert ---- */

static bool buffer_is_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

static void progress(bool on, uint64_t done, uint64_t total)
{
    if (on) {
        printf("    (%.2f/100%%)\r", total ? 100.0 * done / total : 100.0);
        fflush(stdout);
    }
}

static int cmd_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw";
    GString *opts = g_string_new(NULL);
    bool compress = false, show_progress = false, force_share = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { 0 },
    };
    while ((c = getopt_long(argc, argv, "hqpcUf:O:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'p': show_progress = true; break;
        case 'c': compress = true; break;
        case 'U': force_share = true; break;
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'o':
            if (opts->len) {
                g_string_append_c(opts, ',');
            }
            g_string_append(opts, optarg);
            break;
        case 'h': usage(); exit(0);
        default: exit(1);
        }
    }
    if (quiet) {
        show_progress = false;
    }
    if (optind != argc - 2) {
        die("Expecting one input and one output file name");
    }
    const char *src_name = argv[optind], *dst_name = argv[optind + 1];
    const BlockDriver *drv = bdrv_find_format(out_fmt);
    if (!drv || drv->is_protocol) {
        die("Unknown file format '%s'", out_fmt);
    }
    if (compress && strcmp(out_fmt, "qcow2")) {
        die("Compression not supported for this file format");
    }
    BlockDriverState *src = open_image(src_name, fmt, force_share ? BDRV_O_NO_LOCK : 0);
    int64_t size = bdrv_getlength(src);
    if (size < 0) {
        die("Could not get the size of '%s': %s", src_name, g_strerror(-size));
    }
    GError *err = NULL;
    if (!bdrv_create(out_fmt, dst_name, size, opts->str, &err)) {
        die("%s: %s", dst_name, err->message);
    }
    BlockDriverState *dst = open_image(dst_name, out_fmt, BDRV_O_RDWR);
    uint64_t cs = compress ? qcow2_cluster_size(dst) : 0;
    uint64_t chunk = cs ? MAX(cs, (uint64_t)1 << 20) / cs * cs : 2u << 20;
    uint8_t *buf = g_malloc(chunk);
    int ret = 0;
    progress(show_progress, 0, size);
    for (uint64_t off = 0; off < (uint64_t)size && ret >= 0;) {
        uint64_t n = MIN(chunk, size - off), pnum = n;
        int st = bdrv_block_status(src, off, n, &pnum);
        if (st < 0) {
            ret = st;
            break;
        }
        if (pnum == 0 || pnum > n) {
            pnum = n;
        }
        /* for compression, whole clusters (off stays cluster-aligned): a
         * zero area ending inside a cluster is cut back to the cluster,
         * and the zero test decides per cluster */
        if (cs && st == 0 && off + pnum != (uint64_t)size) {
            uint64_t end = (off + pnum) / cs * cs;
            if (end > off) {
                pnum = end - off;
            } else {
                st = 1;
            }
        }
        if (cs && st == 1) {
            pnum = n;
        }
        if (st == 0) {
            off += pnum;            /* a fresh image reads zeros there already */
            progress(show_progress, off, size);
            continue;
        }
        if ((ret = bdrv_pread(src, off, buf, pnum)) < 0) {
            break;
        }
        uint64_t unit = cs ? cs : 4096;
        for (uint64_t p = 0; p < pnum && ret >= 0;) {
            uint64_t m = MIN(unit - ((off + p) % unit), pnum - p);
            if (!buffer_is_zero(buf + p, m)) {
                if (cs) {
                    ret = qcow2_pwrite_compressed(dst, off + p, buf + p, m);
                } else {
                    /* gather a run of data units into one write */
                    uint64_t e = p + m;
                    while (e < pnum) {
                        uint64_t k = MIN(unit, pnum - e);
                        if (buffer_is_zero(buf + e, k)) {
                            break;
                        }
                        e += k;
                    }
                    m = e - p;
                    ret = bdrv_pwrite(dst, off + p, buf + p, m);
                }
            }
            p += m;
        }
        off += pnum;
        progress(show_progress, off, size);
    }
    if (ret >= 0) {
        ret = bdrv_flush(dst);
    }
    if (show_progress) {
        printf("\n");
    }
    g_free(buf);
    bdrv_close(dst);
    bdrv_close(src);
    g_string_free(opts, TRUE);
    if (ret < 0) {
        die("error while converting '%s' to '%s': %s", src_name, dst_name, g_strerror(-ret));
    }
    return 0;
}

/* ---- check ---- */

static void check_print(const char *filename, const char *fmt, BdrvCheckResult *r, bool json)
{
    if (json) {
        printf("{\n    \"image-end-offset\": %" PRId64 ",\n    \"total-clusters\": %" PRIu64
               ",\n    \"check-errors\": %d,\n", r->image_end_offset, r->total_clusters,
               r->check_errors);
        if (r->leaks) {
            printf("    \"leaks\": %d,\n", r->leaks);
        }
        if (r->corruptions) {
            printf("    \"corruptions\": %d,\n", r->corruptions);
        }
        if (r->allocated_clusters) {
            printf("    \"allocated-clusters\": %" PRIu64 ",\n", r->allocated_clusters);
        }
        if (r->fragmented_clusters) {
            printf("    \"fragmented-clusters\": %" PRIu64 ",\n", r->fragmented_clusters);
        }
        if (r->compressed_clusters) {
            printf("    \"compressed-clusters\": %" PRIu64 ",\n", r->compressed_clusters);
        }
        char *e = g_strescape(filename, NULL);
        printf("    \"filename\": \"%s\",\n    \"format\": \"%s\"\n}\n", e, fmt);
        g_free(e);
        return;
    }
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        if (!quiet) {
            printf("No errors were found on the image.\n");
        }
    } else {
        if (r->corruptions) {
            printf("\n%d errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image may corrupt it.\n",
                   r->corruptions);
        }
        if (r->leaks) {
            printf("\n%d leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n", r->leaks);
        }
        if (r->check_errors) {
            printf("\n%d internal errors have occurred during the check.\n", r->check_errors);
        }
    }
    if (quiet) {
        return;
    }
    if (r->total_clusters != 0 && r->allocated_clusters != 0) {
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% "
               "compressed clusters\n", r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset > 0) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

static int cmd_check(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human";
    int fix = 0;
    bool force_share = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'O' },
        { "repair", required_argument, NULL, 'r' },
        { "force-share", no_argument, NULL, 'U' },
        { 0 },
    };
    while ((c = getopt_long(argc, argv, "hqf:r:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'f': fmt = optarg; break;
        case 'U': force_share = true; break;
        case 'O': output = optarg; break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                die("Unknown option value for -r (expecting 'leaks' or 'all'): %s", optarg);
            }
            break;
        case 'h': usage(); exit(0);
        default: exit(1);
        }
    }
    if (strcmp(output, "human") && strcmp(output, "json")) {
        die("--output must be used with human or json as argument.");
    }
    if (optind != argc - 1) {
        die("Expecting one image file name");
    }
    if (fix && force_share) {
        die("--force-share/-U is not allowed when repairing (-r)");
    }
    const char *filename = argv[optind];
    int flags = BDRV_O_CHECK | BDRV_O_NO_BACKING | (fix ? BDRV_O_RDWR : 0) |
                (force_share ? BDRV_O_NO_LOCK : 0);
    BlockDriverState *bs = open_image(filename, fmt, flags);
    bool json = !strcmp(output, "json");
    BdrvCheckResult r;
    int ret = bdrv_check(bs, &r, fix);
    if (ret == -ENOTSUP) {
        fprintf(stderr, "vireo-img: This image format does not support checks\n");
        bdrv_close(bs);
        return 63;
    }
    if (r.corruptions_fixed || r.leaks_fixed) {
        if (!json) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %d leaked clusters\n    %d corruptions\n\n"
                   "Double checking the fixed image now...\n", r.leaks_fixed,
                   r.corruptions_fixed);
        }
        ret = bdrv_check(bs, &r, 0);
    }
    check_print(filename, bdrv_format_name(bs), &r, json);
    bdrv_close(bs);
    if (ret < 0 || r.check_errors) {
        if (ret < 0) {
            fprintf(stderr, "vireo-img: Check failed: %s\n", g_strerror(-ret));
        }
        return 1;
    }
    if (r.corruptions) {
        return 2;
    }
    if (r.leaks) {
        return 3;
    }
    return 0;
}

/* ---- resize ---- */

static int cmd_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    bool shrink = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "shrink", no_argument, NULL, 'S' },
        { 0 },
    };
    /* "-1G" is a size, not an option: take the last argument out first,
     * as qemu-img does */
    if (argc < 3) {
        die("Expecting image file name and size");
    }
    const char *arg = argv[--argc];
    argv[argc] = NULL;
    while ((c = getopt_long(argc, argv, "hqf:", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'f': fmt = optarg; break;
        case 'S': shrink = true; break;
        case 'h': usage(); exit(0);
        default: exit(1);
        }
    }
    if (optind != argc - 1) {
        die("Expecting image file name and size");
    }
    const char *filename = argv[optind];
    int sign = 0;
    if (*arg == '+' || *arg == '-') {
        sign = *arg == '+' ? 1 : -1;
        arg++;
    }
    uint64_t n;
    if (!parse_size(arg, &n)) {
        die("Invalid image size specified. You may use k, M, G, T, P or E suffixes for "
            "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
    }
    BlockDriverState *bs = open_image(filename, fmt, BDRV_O_RDWR);
    int64_t cur = bdrv_getlength(bs);
    if (cur < 0) {
        die("Could not get the size of '%s'", filename);
    }
    uint64_t size = n;
    if (sign > 0) {
        size = cur + n;
    } else if (sign < 0) {
        if (n > (uint64_t)cur) {
            die("New image size must be positive");
        }
        size = cur - n;
    }
    if (size < (uint64_t)cur && !shrink) {
        die("Use the --shrink option to perform a shrink operation.");
    }
    GError *err = NULL;
    if (size != (uint64_t)cur && bdrv_truncate(bs, size, &err) < 0) {
        die_err(err);
    }
    bdrv_flush(bs);
    bdrv_close(bs);
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}

/* ---- snapshot ---- */

static int cmd_snapshot(int argc, char **argv)
{
    const char *fmt = NULL;
    bool list = false, force_share = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { 0 },
    };
    while ((c = getopt_long(argc, argv, "hqlf:Ua:c:d:", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'l': list = true; break;
        case 'f': fmt = optarg; break;
        case 'U': force_share = true; break;
        case 'a': case 'c': case 'd':
            die("snapshot -%c is not supported: Vireo lists internal snapshots only (-l)", c);
        case 'h': usage(); exit(0);
        default: exit(1);
        }
    }
    if (!list) {
        die("snapshot needs -l (list)");
    }
    if (optind != argc - 1) {
        die("Expecting one image file name");
    }
    BlockDriverState *bs = open_image(argv[optind], fmt,
                                      BDRV_O_NO_BACKING | (force_share ? BDRV_O_NO_LOCK : 0));
    BdrvSnapshotInfo *sn = NULL;
    int n = bdrv_snapshot_list(bs, &sn);
    if (n < 0) {
        die("Could not list the snapshots of '%s': %s", argv[optind], g_strerror(-n));
    }
    if (n > 0) {
        printf("Snapshot list:\n");
        print_snapshot_table(sn, n);
    }
    free_snapshots(sn, n);
    bdrv_close(bs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        die("Not enough arguments (try 'vireo-img --help')");
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage();
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("vireo-img (Vireo)\n");
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        { "create", cmd_create }, { "info", cmd_info }, { "convert", cmd_convert },
        { "check", cmd_check }, { "resize", cmd_resize }, { "snapshot", cmd_snapshot },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        if (!strcmp(cmd, cmds[i].name)) {
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    die("Command not found: %s", cmd);
}
