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
 * for a NIC) as totals and per-request means.  docs/iostats.md explains
 * each counter.
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
    uint64_t device_ns;          /* time in the device's register handlers (timing on) */
} IOStats;

#define IOSTATS_NFIELDS (sizeof(IOStats) / sizeof(uint64_t))

typedef void IOStatsFn(void *opaque, IOStats *st);

/* name: the device's id or model ("e1000.0"); kind: "net", "block". */
void iostats_register(const char *name, const char *kind, IOStatsFn *fn, void *opaque);
/* Count exits to this region for the source named name (after register). */
void iostats_add_region(const char *name, MemoryRegion *mr);
void iostats_reset(void);
/* Human-readable report (HMP info iostats [name]); name NULL: all. */
void iostats_report(const char *name, GString *out);
/* JSON array text for QMP query-iostats. */
void iostats_foreach(void (*fn)(const char *name, const char *kind, const IOStats *st,
                                void *opaque), void *opaque);
/* -d iostats: the report on stderr at exit. */
void iostats_print_at_exit(void);

#endif
