/* I/O-overhead accounting: see iostats.h. */
#include "hw/core/iostats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-glib/json-glib.h>

#include "util/error.h"

typedef struct IOStatsSource Source;
struct IOStatsSource {
    char *name, *kind;
    IOStatsFn *fn;
    void *opaque;
    GPtrArray *regions;          /* MemoryRegion * */
    IOStats base;                /* subtracted from what the device reports */
    IOReqStats req[IOREQ__MAX];  /* pushed by the device: reset zeroes them */
    unsigned tid;                /* its row in the trace */
    bool traced;                 /* its row's name is in the trace */
};

static GPtrArray *sources;
static FILE *trace_file;
static int64_t trace_t0;
static bool trace_first = true;

static const char *const kind_names[IOREQ__MAX] = {
    [IOREQ_READ] = "read", [IOREQ_WRITE] = "write", [IOREQ_FLUSH] = "flush",
    [IOREQ_OTHER] = "other", [IOREQ_TX] = "tx", [IOREQ_RX] = "rx",
};

const char *iostats_req_kind_name(IOReqKind k)
{
    return (unsigned)k < IOREQ__MAX ? kind_names[k] : "?";
}

static Source *find(const char *name)
{
    for (guint i = 0; sources && i < sources->len; i++) {
        Source *s = g_ptr_array_index(sources, i);
        if (!strcmp(s->name, name)) {
            return s;
        }
    }
    return NULL;
}

IOStatsSource *iostats_register(const char *name, const char *kind, IOStatsFn *fn, void *opaque)
{
    if (!sources) {
        sources = g_ptr_array_new();
    }
    Source *s = g_new0(Source, 1);
    s->name = g_strdup(name);
    s->kind = g_strdup(kind);
    s->fn = fn;
    s->opaque = opaque;
    s->regions = g_ptr_array_new();
    static unsigned next_tid;
    s->tid = ++next_tid;
    g_ptr_array_add(sources, s);
    return s;
}

void iostats_unregister(IOStatsSource *s)
{
    if (!s) {
        return;
    }
    g_ptr_array_remove(sources, s);
    g_ptr_array_free(s->regions, TRUE);
    g_free(s->name);
    g_free(s->kind);
    g_free(s);
}

int64_t iostats_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* the bucket of v: the smallest b with v < 2^b (sizes: v <= 2^(b + 6)),
 * the last one holding the rest */
static unsigned bucket(uint64_t v, bool size)
{
    if (size) {
        v = v > (1ull << IOSTATS_SIZE_SHIFT) ? (v - 1) >> IOSTATS_SIZE_SHIFT : 0;
    }
    unsigned b = v ? 64 - __builtin_clzll(v) : 0;
    return MIN(b, IOSTATS_HIST - 1);
}

/* one event of the trace, in the JSON array (json-glib writes it) */
static void trace_event(JsonBuilder *b)
{
    JsonNode *n = json_builder_get_root(b);
    char *text = json_to_string(n, FALSE);
    fputs(trace_first ? "\n" : ",\n", trace_file);
    trace_first = false;
    fputs(text, trace_file);
    g_free(text);
    json_node_unref(n);
    g_object_unref(b);
}

static JsonBuilder *trace_begin(const char *name, const char *ph, unsigned tid)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, name);
    json_builder_set_member_name(b, "ph");
    json_builder_add_string_value(b, ph);
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, 1);
    json_builder_set_member_name(b, "tid");
    json_builder_add_int_value(b, tid);
    return b;
}

void iostats_req_done(IOStatsSource *s, IOReqKind kind, int64_t start_ns, uint64_t bytes)
{
    if (!s || (unsigned)kind >= IOREQ__MAX) {
        return;
    }
    int64_t now = iostats_now();
    uint64_t ns = now > start_ns ? (uint64_t)(now - start_ns) : 0;
    IOReqStats *r = &s->req[kind];
    r->count++;
    r->bytes += bytes;
    r->latency_ns += ns;
    r->latency_hist[bucket(ns / 1000, false)]++;
    r->size_hist[bucket(bytes, true)]++;
    if (trace_file) {
        if (!s->traced) {
            /* the row's name (a metadata event) */
            JsonBuilder *b = trace_begin("thread_name", "M", s->tid);
            json_builder_set_member_name(b, "args");
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, s->name);
            json_builder_end_object(b);
            json_builder_end_object(b);
            trace_event(b);
            s->traced = true;
        }
        /* a complete event; times in microseconds */
        JsonBuilder *b = trace_begin(kind_names[kind], "X", s->tid);
        json_builder_set_member_name(b, "cat");
        json_builder_add_string_value(b, s->kind);
        json_builder_set_member_name(b, "ts");
        json_builder_add_double_value(b, (start_ns - trace_t0) / 1000.0);
        json_builder_set_member_name(b, "dur");
        json_builder_add_double_value(b, ns / 1000.0);
        json_builder_set_member_name(b, "args");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "device");
        json_builder_add_string_value(b, s->name);
        json_builder_set_member_name(b, "bytes");
        json_builder_add_int_value(b, (gint64)bytes);
        json_builder_end_object(b);
        json_builder_end_object(b);
        trace_event(b);
    }
}

static void trace_close(void)
{
    if (trace_file) {
        fputs("\n]\n", trace_file);
        fclose(trace_file);
        trace_file = NULL;
    }
}

bool iostats_trace_open(const char *path, GError **errp)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        vireo_set_error(errp, "-iostats-trace %s: %s", path, g_strerror(errno));
        return false;
    }
    /* the JSON array form of the Trace Event Format: a trace cut short
     * (Vireo killed) still loads, the closing bracket being optional */
    fputc('[', f);
    trace_file = f;
    trace_t0 = iostats_now();
    atexit(trace_close);
    return true;
}

void iostats_add_region(const char *name, MemoryRegion *mr)
{
    Source *s = find(name);
    if (!s) {
        return;
    }
    g_ptr_array_add(s->regions, mr);
    if (!mr->per_reg) {
        mr->per_reg = g_new0(uint64_t, (mr->size + 3) / 4);
    }
}

static void raw(Source *s, IOStats *st)
{
    memset(st, 0, sizeof(*st));
    s->fn(s->opaque, st);
    for (guint i = 0; i < s->regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(s->regions, i);
        st->exits += mr->accesses;
        st->device_ns += mr->dispatch_ns;
        st->device_cpu_ns += mr->dispatch_cpu_ns;
    }
}

static void current(Source *s, IOStats *st)
{
    raw(s, st);
    uint64_t *v = (uint64_t *)st;
    const uint64_t *b = (const uint64_t *)&s->base;
    for (size_t i = 0; i < IOSTATS_NFIELDS; i++) {
        v[i] -= MIN(v[i], b[i]);
    }
}

void iostats_reset(void)
{
    for (guint i = 0; sources && i < sources->len; i++) {
        Source *s = g_ptr_array_index(sources, i);
        raw(s, &s->base);
        for (guint k = 0; k < s->regions->len; k++) {
            MemoryRegion *mr = g_ptr_array_index(s->regions, k);
            memset(mr->per_reg, 0, (mr->size + 3) / 4 * sizeof(uint64_t));
        }
        memset(s->req, 0, sizeof(s->req));
    }
}

void iostats_foreach(void (*fn)(const char *name, const char *kind, const IOStats *st,
                                const IOReqStats req[IOREQ__MAX], void *opaque),
                     void *opaque)
{
    for (guint i = 0; sources && i < sources->len; i++) {
        Source *s = g_ptr_array_index(sources, i);
        IOStats st;
        current(s, &st);
        fn(s->name, s->kind, &st, s->req, opaque);
    }
}

/* "<1us:3 <2us:5 ..." (non-empty buckets) */
static void hist_line(GString *out, const char *what, const uint64_t *h, bool size)
{
    g_string_append_printf(out, "    %-8s", what);
    for (unsigned b = 0; b < IOSTATS_HIST; b++) {
        if (!h[b]) {
            continue;
        }
        if (size) {
            uint64_t lim = 1ull << (b + IOSTATS_SIZE_SHIFT);
            if (b == IOSTATS_HIST - 1) {
                g_string_append_printf(out, " >%" PRIu64 "K:%" PRIu64, lim / 2048, h[b]);
            } else if (lim >= 1024) {
                g_string_append_printf(out, " <=%" PRIu64 "K:%" PRIu64, lim / 1024, h[b]);
            } else {
                g_string_append_printf(out, " <=%" PRIu64 ":%" PRIu64, lim, h[b]);
            }
        } else if (b == IOSTATS_HIST - 1) {
            g_string_append_printf(out, " >=%llums:%" PRIu64, (1ull << (b - 1)) / 1000, h[b]);
        } else {
            g_string_append_printf(out, " <%lluus:%" PRIu64, 1ull << b, h[b]);
        }
    }
    g_string_append_c(out, '\n');
}

static void per_req(GString *out, const char *what, uint64_t n, uint64_t reqs)
{
    if (reqs) {
        g_string_append_printf(out, "  %-22s %12" PRIu64 "  %10.2f/request\n", what, n, (double)n / reqs);
    } else {
        g_string_append_printf(out, "  %-22s %12" PRIu64 "\n", what, n);
    }
}

typedef struct RegCount { MemoryRegion *mr; uint64_t off, n; } RegCount;

static gint regcount_cmp(gconstpointer a, gconstpointer b)
{
    const RegCount *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

void iostats_report(const char *name, GString *out)
{
    bool any = false;
    for (guint i = 0; sources && i < sources->len; i++) {
        Source *s = g_ptr_array_index(sources, i);
        if (name && *name && strcmp(name, s->name)) {
            continue;
        }
        any = true;
        IOStats st;
        current(s, &st);
        uint64_t reqs = st.tx_requests + st.rx_requests;
        g_string_append_printf(out, "%s (%s): %" PRIu64 " requests (%" PRIu64 " tx, %" PRIu64
                               " rx), %" PRIu64 " bytes out, %" PRIu64 " bytes in\n",
                               s->name, s->kind, reqs, st.tx_requests, st.rx_requests,
                               st.tx_bytes, st.rx_bytes);
        per_req(out, "exits", st.exits, reqs);
        per_req(out, "kicks", st.kicks, reqs);
        per_req(out, "kicks suppressed", st.kicks_suppressed, reqs);
        per_req(out, "interrupts", st.irqs, reqs);
        per_req(out, "interrupts coalesced", st.irqs_coalesced, reqs);
        per_req(out, "bytes copied", st.copy_bytes, reqs);
        per_req(out, "buffers copied", st.copy_buffers, reqs);
        per_req(out, "bottom-half runs", st.bh_runs, reqs);
        if (st.rx_coalesced) {
            per_req(out, "rx frames coalesced", st.rx_coalesced, reqs);
        }
        if (st.device_ns) {
            per_req(out, "device time (ns)", st.device_ns, reqs);
            per_req(out, "device CPU time (ns)", st.device_cpu_ns, reqs);
        }
        for (unsigned k = 0; k < IOREQ__MAX; k++) {
            const IOReqStats *r = &s->req[k];
            if (!r->count) {
                continue;
            }
            g_string_append_printf(out, "  %s: %" PRIu64 " requests, %" PRIu64
                                   " bytes, mean latency %.1f us\n", kind_names[k], r->count,
                                   r->bytes, r->latency_ns / 1000.0 / r->count);
            hist_line(out, "latency", r->latency_hist, false);
            hist_line(out, "size", r->size_hist, true);
        }
        /* the busiest registers */
        GArray *regs = g_array_new(FALSE, FALSE, sizeof(RegCount));
        for (guint k = 0; k < s->regions->len; k++) {
            MemoryRegion *mr = g_ptr_array_index(s->regions, k);
            for (uint64_t r = 0; r < (mr->size + 3) / 4; r++) {
                if (mr->per_reg[r]) {
                    RegCount rc = { mr, r * 4, mr->per_reg[r] };
                    g_array_append_val(regs, rc);
                }
            }
        }
        g_array_sort(regs, regcount_cmp);
        for (guint k = 0; k < regs->len && k < 8; k++) {
            RegCount *rc = &g_array_index(regs, RegCount, k);
            /* regions of the same name (an IDE channel's each) told apart
             * by where they sit */
            bool same = false;
            for (guint j = 0; j < s->regions->len; j++) {
                MemoryRegion *o = g_ptr_array_index(s->regions, j);
                same |= o != rc->mr && !g_strcmp0(o->name, rc->mr->name);
            }
            if (same) {
                g_string_append_printf(out, "    exits at %s@0x%" PRIx64 "+0x%" PRIx64 ": %" PRIu64 "\n",
                                       rc->mr->name, (uint64_t)rc->mr->addr, rc->off, rc->n);
            } else {
                g_string_append_printf(out, "    exits at %s+0x%" PRIx64 ": %" PRIu64 "\n",
                                       rc->mr->name, rc->off, rc->n);
            }
        }
        g_array_free(regs, TRUE);
    }
    if (!any) {
        g_string_append(out, name && *name ? "no such device\n" : "no devices report I/O statistics\n");
    }
}

void iostats_print_at_exit(void)
{
    GString *out = g_string_new(NULL);
    iostats_report(NULL, out);
    fprintf(stderr, "I/O statistics at exit:\n%s", out->str);
    g_string_free(out, TRUE);
}
