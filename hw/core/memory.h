/*
 * Memory core: regions, address spaces and the flattened view.
 *
 * A MemoryRegion is RAM (host pointer), ROM (host pointer, writes ignored
 * unless it has ops), MMIO (callbacks), an ALIAS of part of another region,
 * or a CONTAINER of subregions placed at offsets with priorities.  An
 * AddressSpace has a root container; every change to the tree (map, unmap,
 * enable, alias retarget, readonly) rebuilds the address space's flat view:
 * a sorted array of non-overlapping ranges.  Listeners (the CPU TLB, later
 * KVM memory slots) are told after each rebuild.
 *
 * I/O ports are an AddressSpace too (address_space_io), so ISA devices and
 * PCI I/O BARs use the same mechanism as MMIO.
 */
#ifndef HW_CORE_MEMORY_H
#define HW_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t hwaddr;

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;

typedef struct MemoryRegionOps {
    /* size is 1, 2, 4 or 8; addr is relative to the region start. */
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t val, unsigned size);
    /*
     * Access sizes the callbacks accept (0 means 1 and 4).  The core splits
     * wider accesses into little-endian pieces of max_access and widens
     * narrower ones to min_access (read-modify-write is NOT done: a narrow
     * write is passed with the shifted value masked into min_access only if
     * the device opts in via impl_unaligned; keep devices accepting 1..4).
     */
    unsigned min_access, max_access;
} MemoryRegionOps;

typedef enum MemoryRegionType {
    MR_CONTAINER,
    MR_RAM,
    MR_ROM,        /* reads from host memory; writes go to ops->write if ops, else dropped */
    MR_MMIO,
    MR_ALIAS,
} MemoryRegionType;

struct MemoryRegion {
    const char *name;
    MemoryRegionType type;
    uint64_t size;
    uint8_t *ram;                 /* RAM/ROM backing */
    bool readonly;                /* RAM (or alias to RAM) mapped read-only: writes dropped */
    bool enabled;                 /* default true */
    const MemoryRegionOps *ops;   /* MMIO (and optional ROM write handler) */
    void *opaque;
    MemoryRegion *alias;          /* MR_ALIAS target */
    hwaddr alias_offset;
    /* placement inside parent container */
    MemoryRegion *parent;
    hwaddr addr;
    int priority;
    /* children (containers) */
    MemoryRegion **subregions;
    unsigned nr_subregions;
    /* guest accesses dispatched to this MMIO/port region (I/O accounting);
     * per_reg, when allocated by iostats, counts them per 4-byte register */
    uint64_t accesses;
    uint64_t *per_reg;
    uint64_t dispatch_ns;        /* wall and host CPU time in handlers (-d iostats) */
    uint64_t dispatch_cpu_ns;
    /* dirty log (memory_region_set_log): one bit per 4 KiB page, or NULL */
    uint64_t *dirty;
};

/* I/O accounting: time spent in register handlers is measured only while
 * this is set (-d iostats), so it costs nothing otherwise. */
extern bool memory_time_dispatch;

void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size);
/* Allocates zeroed host memory (g_malloc0-like, page aligned). */
void memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_rom(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_io(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size);

void memory_region_add_subregion(MemoryRegion *parent, hwaddr offset, MemoryRegion *sub);
void memory_region_add_subregion_overlap(MemoryRegion *parent, hwaddr offset,
                                         MemoryRegion *sub, int priority);
void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);
void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
/* Resize an MMIO or alias region (q35's TSEG window follows ESMRAMC). */
void memory_region_set_size(MemoryRegion *mr, uint64_t size);

/*
 * Batch several changes (e.g. all 13 PAM registers) into one rebuild.
 * Nestable.
 */
void memory_transaction_begin(void);
void memory_transaction_commit(void);

/* One flattened range: [start, start+size) of the address space. */
typedef struct FlatRange {
    hwaddr start;
    uint64_t size;
    MemoryRegion *mr;       /* terminal region (RAM, ROM or MMIO), aliases resolved */
    hwaddr offset;          /* offset within mr of 'start' */
    bool readonly;          /* effective: ROM, or RAM marked readonly (also via alias) */
} FlatRange;

typedef struct FlatView {
    FlatRange *ranges;
    unsigned nr;
} FlatView;

/* A part of an address space whose mapping a rebuild changed. */
typedef struct MemoryChange {
    hwaddr start;
    uint64_t size;          /* 0 with start 0: the whole space (first build) */
} MemoryChange;

typedef void (*MemoryListenerFn)(AddressSpace *as, void *opaque);

struct AddressSpace {
    const char *name;
    MemoryRegion *root;
    FlatView *view;
    uint64_t unassigned_value;     /* value of reads from holes (all-ones for I/O) */
    /* address_space_memory when this is a view of it (below), else NULL */
    AddressSpace *view_of;
    /* what the last rebuild changed (memory_view_changes) */
    MemoryChange *changes;
    unsigned nr_changes;
};

extern AddressSpace address_space_memory;
extern AddressSpace address_space_io;

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name);
/*
 * A second view of system memory: the same physical addresses and the
 * same RAM, with the regions the caller puts into the container
 * 'overlays' (mapped at 0) decoded above system memory where they are
 * enabled.  A CPU in System Management Mode uses one, in which the
 * chipset shows SMRAM where every other bus master sees the VGA window.
 * RAM written through a view is system RAM at the same address, so the
 * RAM write hook sees it as a write to system memory (translated code).
 */
void address_space_init_memory_view(AddressSpace *as, MemoryRegion *overlays, const char *name);
/* address_space_memory itself or a view of it */
static inline bool address_space_is_memory(const AddressSpace *as)
{
    return as == &address_space_memory || as->view_of == &address_space_memory;
}
/* Forget an address space (its flat view is freed; the regions are the
 * owner's).  For spaces with a shorter life than the process: tests. */
void address_space_destroy(AddressSpace *as);
/* Free what init and add_subregion allocated for a region: its RAM and
 * its list of subregions.  The region must not be mapped anywhere. */
void memory_region_destroy(MemoryRegion *mr);
/* Called after every flat-view rebuild of any address space. */
void memory_listener_register(MemoryListenerFn fn, void *opaque);
/*
 * For a listener: the ranges of as whose terminal region, offset in it or
 * writability the last rebuild changed, in address order (none when a
 * transaction changed nothing visible).  A BAR that moves changes its old
 * and its new place, nothing else: a translated-code cache drops only the
 * blocks from there.
 */
unsigned memory_view_changes(AddressSpace *as, const MemoryChange **changes);

/*
 * Find the range containing addr; NULL for a hole.  The result is valid
 * until the next rebuild.
 */
const FlatRange *address_space_lookup(AddressSpace *as, hwaddr addr);

/*
 * Translate for direct host access: returns a host pointer for RAM/ROM
 * covering addr, and *plen is clipped to the contiguous host-memory run.
 * Returns NULL if addr is MMIO or unassigned, or (is_write) readonly.
 */
uint8_t *address_space_map(AddressSpace *as, hwaddr addr, uint64_t *plen, bool is_write);

/* Byte-granular access of any length (DMA, firmware loading, debuggers).
 * Returns false if any part hit a hole (reads fill holes with 0xff). */
bool address_space_read(AddressSpace *as, hwaddr addr, void *buf, uint64_t len);
bool address_space_write(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len);
/* Writes even into ROM (firmware loading). */
bool address_space_write_rom(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len);

/*
 * One guest access of 1, 2, 4 or 8 bytes to host RAM as ONE host load or
 * store.  Other vCPU threads see it whole or not at all, as on real
 * hardware.  A memcpy with a size known only at run time may not: glibc's
 * copies 2..16 bytes as two overlapping moves, so a store lands twice and
 * the second can overwrite a value another CPU wrote in between (a
 * spinlock released by a plain MOV was taken by two CPUs, issue #8).
 */
static inline uint64_t ram_ld(const void *p, unsigned size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
    case 8: { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
    default: {
        uint64_t v = 0;
        for (unsigned i = 0; i < size && i < 8; i++) {
            v |= (uint64_t)((const uint8_t *)p)[i] << (8 * i);
        }
        return v;
    }
    }
}

static inline void ram_st(void *p, uint64_t v, unsigned size)
{
    switch (size) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; __builtin_memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; __builtin_memcpy(p, &x, 4); break; }
    case 8: __builtin_memcpy(p, &v, 8); break;
    default:
        for (unsigned i = 0; i < size && i < 8; i++) {
            ((uint8_t *)p)[i] = (uint8_t)(v >> (8 * i));
        }
    }
}

/* Sized little-endian accesses (size 1, 2, 4, 8) as a CPU or device does them:
 * RAM directly, MMIO through ops (split/combined per min/max_access). */
uint64_t address_space_ld(AddressSpace *as, hwaddr addr, unsigned size);
void address_space_st(AddressSpace *as, hwaddr addr, uint64_t val, unsigned size);

/* MMIO dispatch on a terminal region, honouring min/max_access. */
uint64_t memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr, unsigned size);
void memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr, uint64_t val, unsigned size);

/*
 * Every write that reaches RAM other than through the CPU's own fast path
 * (DMA, address_space_write, MMIO-slow-path stores) calls this hook so the
 * translator can drop blocks from that memory (self-modifying code, DMA over
 * code).  The CPU sets it; NULL means nobody cares.
 */
extern void (*memory_ram_write_hook)(AddressSpace *as, hwaddr addr, uint64_t len);
/* Called before every MMIO or port access reaches a device (NULL: none):
 * the translator's lockstep mode gives up comparing a block there, before
 * the device sees anything. */
extern void (*memory_dispatch_guard)(MemoryRegion *mr, bool write);

/*
 * Dirty logging of a RAM region: the display's VRAM today, KVM's and
 * migration's RAM later.  One bit per 4 KiB page of the region, set by
 * every write that reaches it: device and DMA writes (address_space_*,
 * address_space_map for writing marks the mapped range), and CPU stores,
 * which take the CPU's slow path on a clean page once (memory_dirty_protect
 * below).  A reader takes a snapshot of a range and clears it in one step,
 * then looks at the snapshot page by page.  All of it under the BQL.
 * Logging starts with every page dirty.
 */
void memory_region_set_log(MemoryRegion *mr, bool on);
void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, uint64_t size);
/* Logging is on and the page holding addr was not written since its bit
 * was last cleared (the CPU's TLB asks this when it maps the page). */
bool memory_region_page_clean(const MemoryRegion *mr, hwaddr addr);

typedef struct DirtySnapshot {
    hwaddr start;           /* page aligned, region offsets */
    uint64_t size;
    uint64_t *bits;         /* NULL: everything dirty */
} DirtySnapshot;
/* The dirty bits of [addr, addr+size) of mr, which are then clean. */
DirtySnapshot *memory_region_snapshot_and_clear_dirty(MemoryRegion *mr, hwaddr addr, uint64_t size);
/* Some page of [addr, addr+size) was dirty in the snapshot (outside it: yes). */
bool dirty_snapshot_get(const DirtySnapshot *snap, hwaddr addr, uint64_t size);
void dirty_snapshot_free(DirtySnapshot *snap);

/*
 * Set by the accelerator whose CPUs write RAM through host mappings of
 * their own (TCG's TLB): called with the host range whose dirty bits are
 * about to be cleared, it must send the CPUs' next store to any of those
 * pages through the slow path, which marks the page dirty.  NULL (KVM,
 * qtest: no tracking of guest stores): snapshots report every page dirty.
 */
extern void (*memory_dirty_protect)(const uint8_t *host, uint64_t len);

/* "info mtree"-style dump, for -d and the monitor. */
void memory_dump_tree(AddressSpace *as, void (*print)(void *opaque, const char *line), void *opaque);

#endif
