/*
 * Memory core: the region tree, its flattening, and access dispatch.
 *
 * Every change to a tree rebuilds the flat view of every address space
 * (there are only a handful; PAM and BAR changes are rare), then tells the
 * listeners (TLB flush, translated-code flush).  Rendering goes from the
 * highest priority down and only fills what is still uncovered, so the
 * result needs no overlap resolution afterwards.
 */
#include "hw/core/memory.h"

#include <glib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"

AddressSpace address_space_memory;
AddressSpace address_space_io;
void (*memory_ram_write_hook)(AddressSpace *as, hwaddr addr, uint64_t len);
void (*memory_dirty_protect)(const uint8_t *host, uint64_t len);

static MemoryRegion system_root, io_root;
static GPtrArray *all_spaces;
static unsigned transaction_depth;
static bool rebuild_pending;

typedef struct Listener {
    MemoryListenerFn fn;
    void *opaque;
} Listener;
static GArray *listeners;

typedef unsigned __int128 u128;

static void memory_rebuild_all(void);

static void memory_changed(void)
{
    if (transaction_depth) {
        rebuild_pending = true;
    } else {
        memory_rebuild_all();
    }
}

static void mr_init_common(MemoryRegion *mr, const char *name, uint64_t size, MemoryRegionType type)
{
    memset(mr, 0, sizeof(*mr));
    mr->name = name;
    mr->size = size;
    mr->type = type;
    mr->enabled = true;
}

void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size)
{
    mr_init_common(mr, name, size, MR_CONTAINER);
}

#define RAM_HUGE_ALIGN (2u << 20)

/*
 * Anonymous mappings give zeroed pages lazily: a 6G guest costs nothing
 * until it touches its memory.  A block of 2 MiB or more starts on a
 * 2 MiB boundary and asks for transparent huge pages (as QEMU does; the
 * host's THP setting "madvise" gives them only to those who ask): a
 * first touch of guest memory costs one host fault per 2 MiB instead of
 * 512, and guest loads and stores miss the host TLB far less.
 */
static uint8_t *ram_alloc(uint64_t size)
{
    bool huge = size >= RAM_HUGE_ALIGN;
    size_t len = size ? size : 1;
    size_t map_len = huge ? len + RAM_HUGE_ALIGN : len;
    uint8_t *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED || map_len < len) {
        fatal("cannot allocate %" G_GUINT64_FORMAT " bytes of guest memory", size);
    }
    if (huge) {
        uint8_t *a = (uint8_t *)(((uintptr_t)p + RAM_HUGE_ALIGN - 1) & ~(uintptr_t)(RAM_HUGE_ALIGN - 1));
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uint8_t *end = (uint8_t *)(((uintptr_t)a + len + page - 1) & ~(page - 1));
        if (a > p) {
            munmap(p, (size_t)(a - p));
        }
        if (end < p + map_len) {
            munmap(end, (size_t)(p + map_len - end));
        }
        p = a;
#ifdef MADV_HUGEPAGE
        madvise(p, len, MADV_HUGEPAGE);     /* advice: a host without THP says EINVAL */
#endif
    }
    return p;
}

void memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size)
{
    mr_init_common(mr, name, size, MR_RAM);
    mr->ram = ram_alloc(size);
}

/* ---- dirty logging ---- */

#define DIRTY_PAGE_BITS 12

static uint64_t dirty_pages(uint64_t size)
{
    return (size + (1u << DIRTY_PAGE_BITS) - 1) >> DIRTY_PAGE_BITS;
}

void memory_region_set_log(MemoryRegion *mr, bool on)
{
    g_assert(mr->type == MR_RAM);
    if (on && !mr->dirty) {
        uint64_t words = (dirty_pages(mr->size) + 63) / 64;
        mr->dirty = g_new(uint64_t, words ? words : 1);
        memset(mr->dirty, 0xff, (words ? words : 1) * 8);
    } else if (!on) {
        g_free(mr->dirty);
        mr->dirty = NULL;
    }
}

void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, uint64_t size)
{
    if (!mr->dirty || !size || addr >= mr->size) {
        return;
    }
    if (size > mr->size - addr) {
        size = mr->size - addr;
    }
    for (uint64_t p = addr >> DIRTY_PAGE_BITS; p <= (addr + size - 1) >> DIRTY_PAGE_BITS; p++) {
        __atomic_fetch_or(&mr->dirty[p / 64], 1ull << (p % 64), __ATOMIC_RELAXED);
    }
}

bool memory_region_page_clean(const MemoryRegion *mr, hwaddr addr)
{
    if (!mr->dirty || addr >= mr->size) {
        return false;
    }
    uint64_t p = addr >> DIRTY_PAGE_BITS;
    return !(__atomic_load_n(&mr->dirty[p / 64], __ATOMIC_RELAXED) & (1ull << (p % 64)));
}

DirtySnapshot *memory_region_snapshot_and_clear_dirty(MemoryRegion *mr, hwaddr addr, uint64_t size)
{
    DirtySnapshot *snap = g_new0(DirtySnapshot, 1);
    hwaddr end = addr + size;
    if (end > mr->size || end < addr) {
        end = mr->size;
    }
    snap->start = addr & ~(hwaddr)((1u << DIRTY_PAGE_BITS) - 1);
    snap->size = end > snap->start ? end - snap->start : 0;
    if (!mr->dirty || !memory_dirty_protect || !snap->size) {
        return snap;                    /* untracked: all dirty */
    }
    /* The CPUs' fast mappings go first: a store that lands after this
     * marks its page again for the next snapshot. */
    memory_dirty_protect(mr->ram + snap->start, snap->size);
    uint64_t first = snap->start >> DIRTY_PAGE_BITS, n = dirty_pages(snap->size);
    snap->bits = g_new0(uint64_t, (n + 63) / 64);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p = first + i, bit = 1ull << (p % 64);
        if (__atomic_fetch_and(&mr->dirty[p / 64], ~bit, __ATOMIC_RELAXED) & bit) {
            snap->bits[i / 64] |= 1ull << (i % 64);
        }
    }
    return snap;
}

bool dirty_snapshot_get(const DirtySnapshot *snap, hwaddr addr, uint64_t size)
{
    if (!snap->bits || addr < snap->start || addr + size > snap->start + snap->size || !size) {
        return true;
    }
    uint64_t a = (addr - snap->start) >> DIRTY_PAGE_BITS;
    uint64_t b = (addr + size - 1 - snap->start) >> DIRTY_PAGE_BITS;
    for (uint64_t i = a; i <= b; i++) {
        if (snap->bits[i / 64] & (1ull << (i % 64))) {
            return true;
        }
    }
    return false;
}

void dirty_snapshot_free(DirtySnapshot *snap)
{
    if (snap) {
        g_free(snap->bits);
        g_free(snap);
    }
}

void memory_region_init_rom(MemoryRegion *mr, const char *name, uint64_t size)
{
    mr_init_common(mr, name, size, MR_ROM);
    mr->ram = ram_alloc(size);
    mr->readonly = true;
}

void memory_region_init_io(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    mr_init_common(mr, name, size, MR_MMIO);
    mr->ops = ops;
    mr->opaque = opaque;
}

void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size)
{
    mr_init_common(mr, name, size, MR_ALIAS);
    mr->alias = orig;
    mr->alias_offset = offset;
}

void memory_region_add_subregion_overlap(MemoryRegion *parent, hwaddr offset,
                                         MemoryRegion *sub, int priority)
{
    g_assert(parent->type == MR_CONTAINER && !sub->parent);
    sub->parent = parent;
    sub->addr = offset;
    sub->priority = priority;
    parent->subregions = g_renew(MemoryRegion *, parent->subregions, parent->nr_subregions + 1);
    parent->subregions[parent->nr_subregions++] = sub;
    memory_changed();
}

void memory_region_add_subregion(MemoryRegion *parent, hwaddr offset, MemoryRegion *sub)
{
    memory_region_add_subregion_overlap(parent, offset, sub, 0);
}

void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub)
{
    for (unsigned i = 0; i < parent->nr_subregions; i++) {
        if (parent->subregions[i] == sub) {
            memmove(&parent->subregions[i], &parent->subregions[i + 1],
                    (parent->nr_subregions - i - 1) * sizeof(MemoryRegion *));
            parent->nr_subregions--;
            sub->parent = NULL;
            memory_changed();
            return;
        }
    }
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        memory_changed();
    }
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly != readonly) {
        mr->readonly = readonly;
        memory_changed();
    }
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    if (mr->addr != addr) {
        mr->addr = addr;
        memory_changed();
    }
}

/* MMIO and alias regions only: RAM keeps the size it was allocated with,
 * and iostats' per-register counters (sized at first use) are dropped. */
void memory_region_set_size(MemoryRegion *mr, uint64_t size)
{
    g_assert(mr->type == MR_MMIO || mr->type == MR_ALIAS);
    if (mr->size != size) {
        mr->size = size;
        g_free(mr->per_reg);
        mr->per_reg = NULL;
        memory_changed();
    }
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    if (mr->alias_offset != offset) {
        mr->alias_offset = offset;
        memory_changed();
    }
}

void memory_transaction_begin(void)
{
    transaction_depth++;
}

void memory_transaction_commit(void)
{
    g_assert(transaction_depth > 0);
    if (--transaction_depth == 0 && rebuild_pending) {
        rebuild_pending = false;
        memory_rebuild_all();
    }
}

/* ---- flattening ---- */

/* Fill the parts of [start, end) not yet covered in 'out' with mr. */
static void flat_fill(GArray *out, u128 start, u128 end, MemoryRegion *mr, u128 mr_base,
                      bool readonly)
{
    u128 pos = start;
    unsigned i = 0;
    while (pos < end) {
        /* first existing range that ends after pos */
        while (i < out->len) {
            FlatRange *r = &g_array_index(out, FlatRange, i);
            if ((u128)r->start + r->size > pos) {
                break;
            }
            i++;
        }
        u128 gap_end = end;
        if (i < out->len) {
            FlatRange *r = &g_array_index(out, FlatRange, i);
            if (r->start <= pos) {
                pos = (u128)r->start + r->size;    /* covered: skip it */
                i++;
                continue;
            }
            if (r->start < gap_end) {
                gap_end = r->start;
            }
        }
        FlatRange nr = {
            .start = (hwaddr)pos,
            .size = (uint64_t)(gap_end - pos),
            .mr = mr,
            .offset = (hwaddr)(pos - mr_base),
            .readonly = readonly,
        };
        g_array_insert_val(out, i, nr);
        i++;
        pos = gap_end;
    }
}

static int subregion_cmp(const void *a, const void *b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a, *y = *(MemoryRegion *const *)b;
    return (y->priority > x->priority) - (y->priority < x->priority);
}

/*
 * Render mr whose offset 0 lands at address 'base', clipped to
 * [clip_s, clip_e).
 */
static void render(GArray *out, MemoryRegion *mr, u128 base, u128 clip_s, u128 clip_e,
                   bool readonly)
{
    if (!mr->enabled) {
        return;
    }
    u128 s = base, e = base + mr->size;
    if (s < clip_s) {
        s = clip_s;
    }
    if (e > clip_e) {
        e = clip_e;
    }
    if (s >= e) {
        return;
    }
    readonly |= mr->readonly && mr->type != MR_ROM && mr->type != MR_MMIO;
    switch (mr->type) {
    case MR_ALIAS:
        if (mr->alias) {
            render(out, mr->alias, base - mr->alias_offset, s, e, readonly);
        }
        break;
    case MR_CONTAINER: {
        /* Highest priority first; among equals the later-added wins, so
         * walk a stable copy sorted by priority from the end. */
        unsigned n = mr->nr_subregions;
        MemoryRegion **subs = g_memdup2(mr->subregions, n * sizeof(*subs));
        for (unsigned i = 0; i < n / 2; i++) {
            MemoryRegion *t = subs[i];
            subs[i] = subs[n - 1 - i];
            subs[n - 1 - i] = t;
        }
        /* g_qsort_with_data is not stable; insertion sort keeps ties in order */
        for (unsigned i = 1; i < n; i++) {
            MemoryRegion *t = subs[i];
            unsigned j = i;
            while (j > 0 && subregion_cmp(&subs[j - 1], &t) > 0) {
                subs[j] = subs[j - 1];
                j--;
            }
            subs[j] = t;
        }
        for (unsigned i = 0; i < n; i++) {
            render(out, subs[i], base + subs[i]->addr, s, e, readonly);
        }
        g_free(subs);
        break;
    }
    case MR_RAM:
    case MR_ROM:
    case MR_MMIO:
        flat_fill(out, s, e, mr, base, readonly || mr->type == MR_ROM);
        break;
    }
}

/* The range of v covering pos, from index *i on (advanced), or NULL;
 * *next: where the answer can change next. */
static const FlatRange *sweep_at(const FlatView *v, unsigned *i, u128 pos, u128 *next)
{
    while (*i < v->nr && (u128)v->ranges[*i].start + v->ranges[*i].size <= pos) {
        (*i)++;
    }
    if (*i >= v->nr) {
        *next = (u128)1 << 64;
        return NULL;
    }
    const FlatRange *r = &v->ranges[*i];
    if (r->start > pos) {
        *next = r->start;
        return NULL;
    }
    *next = (u128)r->start + r->size;
    return r;
}

static bool same_mapping(const FlatRange *a, const FlatRange *b, u128 pos)
{
    if (!a || !b) {
        return a == b;
    }
    return a->mr == b->mr && a->readonly == b->readonly &&
           a->offset + (hwaddr)(pos - a->start) == b->offset + (hwaddr)(pos - b->start);
}

/* What differs between two flat views, into as->changes. */
static void view_diff(AddressSpace *as, const FlatView *old, const FlatView *new)
{
    GArray *ch = g_array_new(FALSE, FALSE, sizeof(MemoryChange));
    if (!old) {
        MemoryChange all = { 0, 0 };
        g_array_append_val(ch, all);
    } else {
        unsigned i = 0, j = 0;
        for (u128 pos = 0; pos < ((u128)1 << 64); ) {
            u128 no, nn;
            const FlatRange *a = sweep_at(old, &i, pos, &no);
            const FlatRange *b = sweep_at(new, &j, pos, &nn);
            u128 end = no < nn ? no : nn;
            if (!same_mapping(a, b, pos)) {
                MemoryChange *last = ch->len ? &g_array_index(ch, MemoryChange, ch->len - 1) : NULL;
                if (last && (u128)last->start + last->size == pos) {
                    last->size += (uint64_t)(end - pos);
                } else {
                    MemoryChange c = { (hwaddr)pos, (uint64_t)(end - pos) };
                    g_array_append_val(ch, c);
                }
            }
            pos = end;
        }
    }
    g_free(as->changes);
    as->nr_changes = ch->len;
    as->changes = (MemoryChange *)g_array_free(ch, FALSE);
}

unsigned memory_view_changes(AddressSpace *as, const MemoryChange **changes)
{
    *changes = as->changes;
    return as->nr_changes;
}

static void address_space_rebuild(AddressSpace *as)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(FlatRange));
    render(out, as->root, 0, 0, (u128)1 << 64, false);
    FlatView *old = as->view;
    FlatView *v = g_new0(FlatView, 1);
    v->nr = out->len;
    v->ranges = (FlatRange *)g_array_free(out, FALSE);
    as->view = v;
    view_diff(as, old, v);
    if (old) {
        g_free(old->ranges);
        g_free(old);
    }
}

static void memory_rebuild_all(void)
{
    if (!all_spaces) {
        return;
    }
    for (unsigned i = 0; i < all_spaces->len; i++) {
        address_space_rebuild(g_ptr_array_index(all_spaces, i));
    }
    if (listeners) {
        for (unsigned i = 0; i < all_spaces->len; i++) {
            for (unsigned j = 0; j < listeners->len; j++) {
                Listener *l = &g_array_index(listeners, Listener, j);
                l->fn(g_ptr_array_index(all_spaces, i), l->opaque);
            }
        }
    }
}

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    as->name = name;
    as->root = root;
    as->view = NULL;
    if (!all_spaces) {
        all_spaces = g_ptr_array_new();
    }
    /* re-initialising a space (new root) must not register it twice */
    if (!g_ptr_array_find(all_spaces, as, NULL)) {
        g_ptr_array_add(all_spaces, as);
    }
    address_space_rebuild(as);
}

void address_space_init_memory_view(AddressSpace *as, MemoryRegion *overlays, const char *name)
{
    /* the view's own root: all of system memory, the overlays above it;
     * both live as long as the view */
    MemoryRegion *root = g_new0(MemoryRegion, 1);
    MemoryRegion *system = g_new0(MemoryRegion, 1);
    memory_region_init_container(root, name, UINT64_MAX);
    memory_region_init_alias(system, "system-memory", address_space_memory.root, 0, UINT64_MAX);
    memory_region_add_subregion(root, 0, system);
    memory_region_add_subregion_overlap(root, 0, overlays, 1);
    as->view_of = &address_space_memory;
    as->unassigned_value = address_space_memory.unassigned_value;
    address_space_init(as, root, name);
}

void address_space_destroy(AddressSpace *as)
{
    if (all_spaces) {
        g_ptr_array_remove(all_spaces, as);
    }
    if (as->view) {
        g_free(as->view->ranges);
        g_free(as->view);
        as->view = NULL;
    }
    g_free(as->changes);
    as->changes = NULL;
    as->nr_changes = 0;
}

void memory_region_destroy(MemoryRegion *mr)
{
    g_free(mr->subregions);
    mr->subregions = NULL;
    mr->nr_subregions = 0;
    if (mr->ram && mr->type != MR_ALIAS) {
        munmap(mr->ram, mr->size ? mr->size : 1);
    }
    mr->ram = NULL;
    g_free(mr->dirty);
    mr->dirty = NULL;
    g_free(mr->per_reg);
    mr->per_reg = NULL;
}

void memory_listener_register(MemoryListenerFn fn, void *opaque)
{
    if (!listeners) {
        listeners = g_array_new(FALSE, FALSE, sizeof(Listener));
    }
    Listener l = { fn, opaque };
    g_array_append_val(listeners, l);
}

static void __attribute__((constructor)) memory_init(void)
{
    memory_region_init_container(&system_root, "system", UINT64_MAX);
    memory_region_init_container(&io_root, "io", 0x10000);
    address_space_init(&address_space_memory, &system_root, "memory");
    address_space_memory.unassigned_value = ~0ULL;
    address_space_init(&address_space_io, &io_root, "I/O");
    address_space_io.unassigned_value = ~0ULL;
}

const FlatRange *address_space_lookup(AddressSpace *as, hwaddr addr)
{
    FlatView *v = as->view;
    if (!v) {
        return NULL;
    }
    unsigned lo = 0, hi = v->nr;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const FlatRange *r = &v->ranges[mid];
        if (addr < r->start) {
            hi = mid;
        } else if (addr - r->start >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

uint8_t *address_space_map(AddressSpace *as, hwaddr addr, uint64_t *plen, bool is_write)
{
    const FlatRange *r = address_space_lookup(as, addr);
    if (!r || (r->mr->type != MR_RAM && r->mr->type != MR_ROM) || (is_write && r->readonly)) {
        return NULL;
    }
    uint64_t left = r->size - (addr - r->start);
    if (*plen > left) {
        *plen = left;
    }
    if (is_write && r->mr->dirty) {
        /* marked now: there is no unmap to mark it when written */
        memory_region_set_dirty(r->mr, r->offset + (addr - r->start), *plen);
    }
    return r->mr->ram + r->offset + (addr - r->start);
}

/* ---- MMIO dispatch ---- */

static void access_sizes(const MemoryRegionOps *ops, unsigned *min, unsigned *max)
{
    *min = ops->min_access ? ops->min_access : 1;
    *max = ops->max_access ? ops->max_access : 4;
}

bool memory_time_dispatch;

static inline void count_access(MemoryRegion *mr, hwaddr addr)
{
    mr->accesses++;
    if (mr->per_reg && addr / 4 < (mr->size + 3) / 4) {
        mr->per_reg[addr / 4]++;
    }
}

/* -d iostats: wall and thread CPU time of a handler, in ns */
typedef struct DispatchTime { struct timespec wall, cpu; } DispatchTime;

static inline uint64_t ts_ns(const struct timespec *t)
{
    return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static void time_start(DispatchTime *t)
{
    clock_gettime(CLOCK_MONOTONIC, &t->wall);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t->cpu);
}

static void time_end(MemoryRegion *mr, const DispatchTime *t)
{
    struct timespec wall, cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    clock_gettime(CLOCK_MONOTONIC, &wall);
    mr->dispatch_ns += ts_ns(&wall) - ts_ns(&t->wall);
    mr->dispatch_cpu_ns += ts_ns(&cpu) - ts_ns(&t->cpu);
}

static uint64_t dispatch_read(MemoryRegion *mr, hwaddr addr, unsigned size);
static void dispatch_write(MemoryRegion *mr, hwaddr addr, uint64_t val, unsigned size);

void (*memory_dispatch_guard)(MemoryRegion *mr, bool write);

uint64_t memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr, unsigned size)
{
    if (__builtin_expect(memory_dispatch_guard != NULL, 0)) {
        memory_dispatch_guard(mr, false);
    }
    count_access(mr, addr);
    if (!memory_time_dispatch) {
        return dispatch_read(mr, addr, size);
    }
    DispatchTime t;
    time_start(&t);
    uint64_t v = dispatch_read(mr, addr, size);
    time_end(mr, &t);
    return v;
}

void memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr, uint64_t val, unsigned size)
{
    if (__builtin_expect(memory_dispatch_guard != NULL, 0)) {
        memory_dispatch_guard(mr, true);
    }
    count_access(mr, addr);
    if (!memory_time_dispatch) {
        dispatch_write(mr, addr, val, size);
        return;
    }
    DispatchTime t;
    time_start(&t);
    dispatch_write(mr, addr, val, size);
    time_end(mr, &t);
}

static uint64_t dispatch_read(MemoryRegion *mr, hwaddr addr, unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    if (!ops || !ops->read) {
        return size >= 8 ? ~0ULL : ((1ULL << (size * 8)) - 1);
    }
    unsigned min, max;
    access_sizes(ops, &min, &max);
    if (size < min) {
        /* Widen: read the aligned naturally-sized unit and pick our bytes. */
        hwaddr base = addr & ~(hwaddr)(min - 1);
        uint64_t v = ops->read(mr->opaque, base, min);
        v >>= (addr - base) * 8;
        return size >= 8 ? v : v & ((1ULL << (size * 8)) - 1);
    }
    if (size <= max) {
        return ops->read(mr->opaque, addr, size);
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i += max) {
        v |= ops->read(mr->opaque, addr + i, max) << (i * 8);
    }
    return v;
}

static void dispatch_write(MemoryRegion *mr, hwaddr addr, uint64_t val, unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    if (!ops || !ops->write) {
        return;
    }
    unsigned min, max;
    access_sizes(ops, &min, &max);
    (void)min;   /* narrow writes are passed as they are: no read-modify-write */
    if (size <= max) {
        ops->write(mr->opaque, addr, val, size);
        return;
    }
    for (unsigned i = 0; i < size; i += max) {
        ops->write(mr->opaque, addr + i, val >> (i * 8), max);
    }
}

/* ---- sized and byte-granular accesses ---- */

static bool as_is_io(AddressSpace *as)
{
    return as == &address_space_io;
}

static void log_unassigned(AddressSpace *as, hwaddr addr, unsigned size, bool write, uint64_t val)
{
    if (as_is_io(as)) {
        vlog(LOG_IOPORT | LOG_GUEST_ERRORS, "unassigned I/O %s port 0x%04" G_GINT64_MODIFIER "x size %u%s\n",
             write ? "write" : "read", addr, size, "");
    } else {
        vlog(LOG_GUEST_ERRORS, "unassigned memory %s 0x%" G_GINT64_MODIFIER "x size %u\n",
             write ? "write" : "read", addr, size);
    }
    (void)val;
}

uint64_t address_space_ld(AddressSpace *as, hwaddr addr, unsigned size)
{
    const FlatRange *r = address_space_lookup(as, addr);
    uint64_t mask = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
    if (!r) {
        if (size > 1 && address_space_lookup(as, addr + size - 1)) {
            goto split;
        }
        log_unassigned(as, addr, size, false, 0);
        return as->unassigned_value & mask;
    }
    if (addr - r->start + size > r->size) {
        goto split;
    }
    hwaddr off = r->offset + (addr - r->start);
    if (r->mr->type == MR_MMIO) {
        return memory_region_dispatch_read(r->mr, off, size) & mask;
    }
    return ram_ld(r->mr->ram + off, size);
split: {
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            v |= address_space_ld(as, addr + i, 1) << (i * 8);
        }
        return v;
    }
}

void address_space_st(AddressSpace *as, hwaddr addr, uint64_t val, unsigned size)
{
    const FlatRange *r = address_space_lookup(as, addr);
    if (!r || addr - r->start + size > r->size) {
        if (!r && !(size > 1 && address_space_lookup(as, addr + size - 1))) {
            log_unassigned(as, addr, size, true, val);
            return;
        }
        for (unsigned i = 0; i < size; i++) {
            address_space_st(as, addr + i, val >> (i * 8), 1);
        }
        return;
    }
    hwaddr off = r->offset + (addr - r->start);
    switch (r->mr->type) {
    case MR_MMIO:
        memory_region_dispatch_write(r->mr, off, val, size);
        return;
    case MR_ROM:
        if (r->mr->ops) {
            memory_region_dispatch_write(r->mr, off, val, size);
        }
        return;
    default:
        if (r->readonly) {
            return;
        }
        ram_st(r->mr->ram + off, val, size);
        if (r->mr->dirty) {
            memory_region_set_dirty(r->mr, off, size);
        }
        if (memory_ram_write_hook) {
            memory_ram_write_hook(as, addr, size);
        }
        return;
    }
}

/* Bytes from addr (inside a hole) to the start of the next range. */
static uint64_t hole_length(AddressSpace *as, hwaddr addr)
{
    FlatView *v = as->view;
    unsigned lo = 0, hi = v ? v->nr : 0;
    while (lo < hi) {               /* first range starting after addr */
        unsigned mid = (lo + hi) / 2;
        if (v->ranges[mid].start <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < (v ? v->nr : 0)) {
        return v->ranges[lo].start - addr;
    }
    return addr ? (uint64_t)0 - addr : UINT64_MAX;
}

static bool as_rw(AddressSpace *as, hwaddr addr, void *buf, uint64_t len, bool write, bool rom)
{
    uint8_t *p = buf;
    bool ok = true;
    while (len) {
        const FlatRange *r = address_space_lookup(as, addr);
        if (!r) {
            /* skip the whole hole at once: up to the next range or len */
            uint64_t gap = hole_length(as, addr);
            if (gap > len) {
                gap = len;
            }
            ok = false;
            if (!write) {
                memset(p, 0xff, gap);
            }
            p += gap;
            addr += gap;
            len -= gap;
            continue;
        }
        uint64_t chunk = r->size - (addr - r->start);
        if (chunk > len) {
            chunk = len;
        }
        hwaddr off = r->offset + (addr - r->start);
        if (r->mr->type == MR_MMIO || (write && r->mr->type == MR_ROM && !rom)) {
            /* device or ROM-with-ops: the widest naturally aligned
             * accesses (up to 8 bytes) that fit, as QEMU's
             * memory_access_size does, so a 2-byte read of a 16-bit
             * register is one access; the dispatch splits what a device
             * cannot take in one piece */
            for (uint64_t i = 0; i < chunk;) {
                unsigned l = 8;
                while (l > 1 && (l > chunk - i || ((addr + i) & (l - 1)))) {
                    l >>= 1;
                }
                if (write) {
                    address_space_st(as, addr + i, ram_ld(p + i, l), l);
                } else {
                    ram_st(p + i, address_space_ld(as, addr + i, l), l);
                }
                i += l;
            }
        } else if (write) {
            if (!r->readonly || rom) {
                memcpy(r->mr->ram + off, p, chunk);
                if (r->mr->dirty) {
                    memory_region_set_dirty(r->mr, off, chunk);
                }
                /* ROM too: firmware reloaded over code already translated */
                if (memory_ram_write_hook) {
                    memory_ram_write_hook(as, addr, chunk);
                }
            }
        } else {
            memcpy(p, r->mr->ram + off, chunk);
        }
        p += chunk;
        addr += chunk;
        len -= chunk;
    }
    return ok;
}

bool address_space_read(AddressSpace *as, hwaddr addr, void *buf, uint64_t len)
{
    return as_rw(as, addr, buf, len, false, false);
}

bool address_space_write(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len)
{
    return as_rw(as, addr, (void *)buf, len, true, false);
}

bool address_space_write_rom(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len)
{
    return as_rw(as, addr, (void *)buf, len, true, true);
}

/* ---- info mtree ---- */

static const char *mr_type_name(const MemoryRegion *mr)
{
    switch (mr->type) {
    case MR_CONTAINER: return "container";
    case MR_RAM: return mr->readonly ? "ram (readonly)" : "ram";
    case MR_ROM: return "rom";
    case MR_MMIO: return "i/o";
    case MR_ALIAS: return "alias";
    }
    return "?";
}

static void dump_mr(MemoryRegion *mr, u128 base, int depth,
                    void (*print)(void *opaque, const char *line), void *opaque)
{
    u128 last = base + mr->size - 1;
    if (last > UINT64_MAX) {
        last = UINT64_MAX;
    }
    char *line = g_strdup_printf("%*s%016" G_GINT64_MODIFIER "x-%016" G_GINT64_MODIFIER "x (prio %d, %s)%s: %s%s%s",
                                 depth * 2, "", (uint64_t)base, (uint64_t)last, mr->priority,
                                 mr_type_name(mr), mr->enabled ? "" : " [disabled]", mr->name,
                                 mr->type == MR_ALIAS ? " @" : "",
                                 mr->type == MR_ALIAS && mr->alias ? mr->alias->name : "");
    print(opaque, line);
    g_free(line);
    for (unsigned i = 0; i < mr->nr_subregions; i++) {
        dump_mr(mr->subregions[i], base + mr->subregions[i]->addr, depth + 1, print, opaque);
    }
}

void memory_dump_tree(AddressSpace *as, void (*print)(void *opaque, const char *line), void *opaque)
{
    char *hdr = g_strdup_printf("address-space: %s", as->name);
    print(opaque, hdr);
    g_free(hdr);
    dump_mr(as->root, 0, 1, print, opaque);
}
