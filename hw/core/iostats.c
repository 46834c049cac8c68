/* I/O-overhead accounting: see iostats.h. */
#include "hw/core/iostats.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct Source {
    char *name, *kind;
    IOStatsFn *fn;
    void *opaque;
    GPtrArray *regions;          /* MemoryRegion * */
    IOStats base;                /* subtracted from what the device reports */
    GHashTable *reg_base;        /* per-register baselines: not kept, reset clears per_reg */
} Source;

static GPtrArray *sources;

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

void iostats_register(const char *name, const char *kind, IOStatsFn *fn, void *opaque)
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
    g_ptr_array_add(sources, s);
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
    }
}

void iostats_foreach(void (*fn)(const char *name, const char *kind, const IOStats *st,
                                void *opaque), void *opaque)
{
    for (guint i = 0; sources && i < sources->len; i++) {
        Source *s = g_ptr_array_index(sources, i);
        IOStats st;
        current(s, &st);
        fn(s->name, s->kind, &st, opaque);
    }
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
        if (st.device_ns) {
            per_req(out, "device time (ns)", st.device_ns, reqs);
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
            g_string_append_printf(out, "    exits at %s+0x%" PRIx64 ": %" PRIu64 "\n",
                                   rc->mr->name, rc->off, rc->n);
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
