/*
 * I/O-overhead accounting: what each device's I/O costs the emulator.
 *
 * A device registers a source (iostats_register) with a callback that
 * fills an IOStats from counters it keeps anyway; the registry keeps a
 * baseline per source so that a reset (QMP query-iostats reset=true, HMP
 * iostats_reset) restarts every figure at zero without the devices knowing.
 * Guest-to-device exits are counted by the memory core for every MMIO and
 * port region (memory_region_accesses()); a device lists its regions with
 * iostats_add_region() and gets them summed and split by register.
 * Reported per request kind (the source's own "requests" counter: packets
 * for a NIC) as totals and per-request means.
 *
 * Requests themselves are pushed: a device notes when one starts
 * (iostats_now()) and calls iostats_req_done() when it completes, which
 * keeps count, bytes, latency and log2 histograms of latency and size per
 * request kind, and, with -iostats-trace FILE, writes the request as a
 * Chrome trace event (chrome://tracing, Perfetto).  docs/iostats.md
 * explains each counter.
 */
#ifndef HW_CORE_IOSTATS_H
#define HW_CORE_IOSTATS_H

#include <glib.h>
#include <stdint.h>

#include "hw/core/memory.h"

typedef struct IOStats {
    uint64_t exits;              /* guest accesses to the device's registers (PIO + MMIO) */
    uint64_t kicks;              /* notifications from the driver (doorbells, queue kicks) */
    uint64_t kicks_suppressed;   /* kicks that found the device already busy */
    uint64_t irqs;               /* interrupts raised (INTx edges, MSI-X messages) */
    uint64_t irqs_coalesced;     /* interrupt causes folded into another interrupt */
    uint64_t copy_bytes;         /* bytes copied between guest memory and the host */
    uint64_t copy_buffers;       /* guest buffers those bytes were in */
    uint64_t bh_runs;            /* bottom-half runs on the device's behalf */
    uint64_t tx_requests, rx_requests;   /* packets (NICs) or block requests */
    uint64_t tx_bytes, rx_bytes;
    uint64_t rx_coalesced;       /* frames joined into another receive request (NICs) */
    uint64_t device_ns;          /* time in the device's register handlers (timing on) */
    uint64_t device_cpu_ns;      /* host CPU time in them (timing on) */
} IOStats;

#define IOSTATS_NFIELDS (sizeof(IOStats) / sizeof(uint64_t))

typedef void IOStatsFn(void *opaque, IOStats *st);

/* Request kinds: a block device's, a NIC's. */
typedef enum {
    IOREQ_READ, IOREQ_WRITE, IOREQ_FLUSH, IOREQ_OTHER,
    IOREQ_TX, IOREQ_RX,
    IOREQ__MAX
} IOReqKind;

/* Histogram buckets: latency bucket b counts requests that took less than
 * 2^b microseconds (the last one: the rest); size bucket b those of at
 * most 2^(b + 6) bytes (64 B, 128 B, ...; the last one: the rest). */
#define IOSTATS_HIST 22
#define IOSTATS_SIZE_SHIFT 6

typedef struct IOReqStats {
    uint64_t count, bytes, latency_ns;
    uint64_t latency_hist[IOSTATS_HIST];
    uint64_t size_hist[IOSTATS_HIST];
} IOReqStats;

typedef struct IOStatsSource IOStatsSource;

/* name: the device's id or model ("e1000.0"); kind: "net", "block". */
IOStatsSource *iostats_register(const char *name, const char *kind, IOStatsFn *fn, void *opaque);
/* The device is gone (hot-unplug): forget the source and its regions. */
void iostats_unregister(IOStatsSource *src);
const char *iostats_req_kind_name(IOReqKind k);
/* Monotonic nanoseconds: when a request starts. */
int64_t iostats_now(void);
/* A request of src (NULL: nothing) that started at start_ns completed now. */
void iostats_req_done(IOStatsSource *src, IOReqKind kind, int64_t start_ns, uint64_t bytes);
/* -iostats-trace FILE: every completed request as a Chrome trace event. */
bool iostats_trace_open(const char *path, GError **errp);
/* Count exits to this region for the source named name (after register). */
void iostats_add_region(const char *name, MemoryRegion *mr);
void iostats_reset(void);
/* Human-readable report (HMP info iostats [name]); name NULL: all. */
void iostats_report(const char *name, GString *out);
/* JSON array text for QMP query-iostats. */
void iostats_foreach(void (*fn)(const char *name, const char *kind, const IOStats *st,
                                const IOReqStats req[IOREQ__MAX], void *opaque),
                     void *opaque);
/* -d iostats: the report on stderr at exit. */
void iostats_print_at_exit(void);

#endif
