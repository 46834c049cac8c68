/*
 * Memory core: region tree flattening (priorities, aliases, containers,
 * enable/readonly), access dispatch (RAM, ROM, MMIO splitting and
 * widening, holes) and listener notification.  Each test builds its own
 * address space so they do not depend on the machine.
 */
#include <glib.h>
#include <string.h>

#include "hw/core/memory.h"

typedef struct Mmio {
    uint8_t regs[16];
    int reads, writes;
    unsigned last_size;
} Mmio;

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    Mmio *m = opaque;
    uint64_t v = 0;
    m->reads++;
    m->last_size = size;
    memcpy(&v, &m->regs[addr], size);
    return v;
}

static void mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Mmio *m = opaque;
    m->writes++;
    m->last_size = size;
    memcpy(&m->regs[addr], &val, size);
}

static const MemoryRegionOps ops_1to4 = { mmio_read, mmio_write, 1, 4 };
static const MemoryRegionOps ops_4only = { mmio_read, mmio_write, 4, 4 };

static AddressSpace as;
static MemoryRegion root;

static void fresh_space(void)
{
    address_space_destroy(&as);         /* the previous test's */
    memory_region_destroy(&root);
    memory_region_init_container(&root, "root", UINT64_MAX);
    address_space_init(&as, &root, "test");
    as.unassigned_value = ~0ULL;
}

static void test_ram_and_holes(void)
{
    static MemoryRegion ram;
    fresh_space();
    memory_region_init_ram(&ram, "ram", 0x10000);
    memory_region_add_subregion(&root, 0x10000, &ram);
    address_space_st(&as, 0x10010, 0x11223344, 4);
    g_assert_cmphex(address_space_ld(&as, 0x10010, 4), ==, 0x11223344);
    g_assert_cmphex(ram.ram[0x10], ==, 0x44);                 /* little-endian */
    g_assert_cmphex(address_space_ld(&as, 0x10012, 2), ==, 0x1122);
    /* holes read all ones, writes vanish */
    g_assert_cmphex(address_space_ld(&as, 0x5000, 4), ==, 0xffffffff);
    address_space_st(&as, 0x5000, 0, 4);
    /* an access straddling the end of RAM is split: RAM part + hole part */
    address_space_st(&as, 0x1fffe, 0xbbaa, 2);
    g_assert_cmphex(address_space_ld(&as, 0x1fffe, 4), ==, 0xffffbbaa);
    uint8_t buf[4];
    g_assert_false(address_space_read(&as, 0x1fffe, buf, 4));
    g_assert_cmphex(buf[0], ==, 0xaa);
    g_assert_cmphex(buf[3], ==, 0xff);
}

static void test_priorities(void)
{
    static MemoryRegion low, high, same;
    fresh_space();
    memory_region_init_ram(&low, "low", 0x2000);
    memory_region_init_ram(&high, "high", 0x1000);
    memory_region_init_ram(&same, "same", 0x1000);
    memset(low.ram, 0x11, 0x2000);
    memset(high.ram, 0x22, 0x1000);
    memset(same.ram, 0x33, 0x1000);
    memory_region_add_subregion_overlap(&root, 0, &low, 0);
    memory_region_add_subregion_overlap(&root, 0x800, &high, 1);
    g_assert_cmphex(address_space_ld(&as, 0x7ff, 1), ==, 0x11);
    g_assert_cmphex(address_space_ld(&as, 0x800, 1), ==, 0x22);
    g_assert_cmphex(address_space_ld(&as, 0x17ff, 1), ==, 0x22);
    g_assert_cmphex(address_space_ld(&as, 0x1800, 1), ==, 0x11);
    /* equal priority: the one added later wins */
    memory_region_add_subregion_overlap(&root, 0, &same, 0);
    g_assert_cmphex(address_space_ld(&as, 0x0, 1), ==, 0x33);
    /* disabling the top region uncovers what is beneath */
    memory_region_set_enabled(&high, false);
    g_assert_cmphex(address_space_ld(&as, 0x1000, 1), ==, 0x11);
    g_assert_cmphex(address_space_ld(&as, 0x800, 1), ==, 0x33);
    /* the flat view has no overlaps and is sorted */
    FlatView *v = as.view;
    for (unsigned i = 1; i < v->nr; i++) {
        g_assert_cmpuint(v->ranges[i - 1].start + v->ranges[i - 1].size, <=, v->ranges[i].start);
    }
}

static void test_alias_and_readonly(void)
{
    static MemoryRegion ram, win, ro;
    fresh_space();
    memory_region_init_ram(&ram, "ram", 0x4000);
    for (int i = 0; i < 4; i++) {
        memset(ram.ram + i * 0x1000, 0xa0 + i, 0x1000);
    }
    memory_region_init_alias(&win, "window", &ram, 0x1000, 0x1000);
    memory_region_add_subregion(&root, 0x100000, &win);
    g_assert_cmphex(address_space_ld(&as, 0x100000, 1), ==, 0xa1);
    /* retargeting the alias moves the window (a bank switch) */
    memory_region_set_alias_offset(&win, 0x3000);
    g_assert_cmphex(address_space_ld(&as, 0x100000, 1), ==, 0xa3);
    /* a read-only alias: reads see RAM, writes are dropped */
    memory_region_init_alias(&ro, "ro", &ram, 0, 0x1000);
    memory_region_set_readonly(&ro, true);
    memory_region_add_subregion(&root, 0x200000, &ro);
    address_space_st(&as, 0x200000, 0x55, 1);
    g_assert_cmphex(address_space_ld(&as, 0x200000, 1), ==, 0xa0);
    g_assert_cmphex(ram.ram[0], ==, 0xa0);
    uint64_t len = 16;
    g_assert_null(address_space_map(&as, 0x200000, &len, true));
    len = 0x2000;
    g_assert_nonnull(address_space_map(&as, 0x200000, &len, false));
    g_assert_cmpuint(len, ==, 0x1000);          /* clipped to the range */
}

static void test_rom(void)
{
    static MemoryRegion rom;
    fresh_space();
    memory_region_init_rom(&rom, "rom", 0x1000);
    memory_region_add_subregion(&root, 0xf000, &rom);
    const uint8_t img[4] = { 1, 2, 3, 4 };
    g_assert_true(address_space_write_rom(&as, 0xf000, img, 4));
    g_assert_cmphex(address_space_ld(&as, 0xf000, 4), ==, 0x04030201);
    address_space_st(&as, 0xf000, 0, 4);        /* ordinary writes do nothing */
    g_assert_cmphex(address_space_ld(&as, 0xf000, 4), ==, 0x04030201);
}

static void test_mmio_split_and_widen(void)
{
    static MemoryRegion a, b;
    static Mmio ma, mb;
    fresh_space();
    memset(&ma, 0, sizeof(ma));
    memset(&mb, 0, sizeof(mb));
    memory_region_init_io(&a, &ops_1to4, &ma, "a", 16);
    memory_region_init_io(&b, &ops_4only, &mb, "b", 16);
    memory_region_add_subregion(&root, 0x1000, &a);
    memory_region_add_subregion(&root, 0x2000, &b);
    /* an 8-byte access to a 1..4 device becomes two 4-byte ones */
    address_space_st(&as, 0x1000, 0x8877665544332211ULL, 8);
    g_assert_cmpint(ma.writes, ==, 2);
    g_assert_cmpuint(ma.last_size, ==, 4);
    g_assert_cmphex(address_space_ld(&as, 0x1000, 8), ==, 0x8877665544332211ULL);
    /* a byte read of a 4-only device reads the dword and picks the byte */
    mb.regs[4] = 0x10; mb.regs[5] = 0x20; mb.regs[6] = 0x30; mb.regs[7] = 0x40;
    g_assert_cmphex(address_space_ld(&as, 0x2006, 1), ==, 0x30);
    g_assert_cmpuint(mb.last_size, ==, 4);
}

static int notified;
static void listener(AddressSpace *space, void *opaque)
{
    if (space == &as) {
        notified++;
    }
}

static void test_transaction(void)
{
    static MemoryRegion r1, r2;
    static bool registered;
    fresh_space();
    if (!registered) {
        memory_listener_register(listener, NULL);
        registered = true;
    }
    memory_region_init_ram(&r1, "r1", 0x1000);
    memory_region_init_ram(&r2, "r2", 0x1000);
    notified = 0;
    memory_transaction_begin();
    memory_region_add_subregion(&root, 0, &r1);
    memory_region_add_subregion(&root, 0x1000, &r2);
    g_assert_cmpint(notified, ==, 0);           /* nothing until commit */
    memory_transaction_commit();
    g_assert_cmpint(notified, ==, 1);
    g_assert_nonnull(address_space_lookup(&as, 0x1800));
    memory_region_del_subregion(&root, &r2);
    g_assert_null(address_space_lookup(&as, 0x1800));
    g_assert_cmpint(notified, ==, 2);
}

static hwaddr hook_addr;
static uint64_t hook_len;
static int hook_calls;

static void write_hook(AddressSpace *a, hwaddr addr, uint64_t len)
{
    hook_calls++;
    hook_addr = addr;
    hook_len = len;
}

static void test_write_hook(void)
{
    static MemoryRegion ram, ro;
    fresh_space();
    memory_region_init_ram(&ram, "ram", 0x1000);
    memory_region_init_ram(&ro, "ro", 0x1000);
    memory_region_set_readonly(&ro, true);
    memory_region_add_subregion(&root, 0x0, &ram);
    memory_region_add_subregion(&root, 0x1000, &ro);
    memory_ram_write_hook = write_hook;
    hook_calls = 0;
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    g_assert_true(address_space_write(&as, 0x100, buf, sizeof(buf)));
    g_assert_cmpint(hook_calls, ==, 1);
    g_assert_cmphex(hook_addr, ==, 0x100);
    g_assert_cmpint(hook_len, ==, 8);
    address_space_st(&as, 0x200, 0xabcd, 2);
    g_assert_cmpint(hook_calls, ==, 2);
    g_assert_cmphex(hook_addr, ==, 0x200);
    /* read-only RAM drops the write, so nothing to invalidate */
    address_space_st(&as, 0x1200, 0xabcd, 2);
    g_assert_cmpint(hook_calls, ==, 2);
    g_assert_cmphex(address_space_ld(&as, 0x1200, 2), ==, 0);
    /* a write running off the end into a hole reports the hole */
    g_assert_false(address_space_write(&as, 0x1ffc, buf, sizeof(buf)));
    memory_ram_write_hook = NULL;
}

static const uint8_t *protect_host;
static uint64_t protect_len;
static int protect_calls;

static void dirty_protect(const uint8_t *host, uint64_t len)
{
    protect_host = host;
    protect_len = len;
    protect_calls++;
}

/* Dirty logging: every page dirty at first; a snapshot returns and clears
 * the bits of its range (after asking the CPUs to protect it); stores,
 * writes and write mappings mark pages again; without a tracker for CPU
 * stores a snapshot says everything is dirty. */
static void test_dirty_log(void)
{
    static MemoryRegion vram;
    fresh_space();
    memory_region_init_ram(&vram, "vram", 0x10000);          /* 16 pages */
    memory_region_add_subregion(&root, 0x100000, &vram);
    memory_region_set_log(&vram, true);
    memory_dirty_protect = NULL;
    DirtySnapshot *snap = memory_region_snapshot_and_clear_dirty(&vram, 0, 0x10000);
    g_assert_true(dirty_snapshot_get(snap, 0x3000, 1));      /* untracked: all dirty */
    dirty_snapshot_free(snap);
    g_assert_false(memory_region_page_clean(&vram, 0x3000)); /* and nothing cleared */

    memory_dirty_protect = dirty_protect;
    protect_calls = 0;
    snap = memory_region_snapshot_and_clear_dirty(&vram, 0x1000, 0x2000);
    g_assert_cmpint(protect_calls, ==, 1);
    g_assert_true(protect_host == vram.ram + 0x1000);
    g_assert_cmpuint(protect_len, ==, 0x2000);
    g_assert_true(dirty_snapshot_get(snap, 0x1000, 0x2000)); /* the initial state */
    dirty_snapshot_free(snap);
    g_assert_true(memory_region_page_clean(&vram, 0x1000));
    g_assert_true(memory_region_page_clean(&vram, 0x2fff));
    g_assert_false(memory_region_page_clean(&vram, 0x3000)); /* outside: untouched */

    snap = memory_region_snapshot_and_clear_dirty(&vram, 0, 0x10000);
    dirty_snapshot_free(snap);
    address_space_st(&as, 0x102ffe, 0x1234, 4);              /* pages 2 and 3 */
    uint8_t buf[2] = { 1, 2 };
    g_assert_true(address_space_write(&as, 0x107800, buf, 2));
    uint64_t len = 16;
    g_assert_nonnull(address_space_map(&as, 0x10a010, &len, true));
    len = 16;
    g_assert_nonnull(address_space_map(&as, 0x10c010, &len, false));  /* read: clean */
    memory_region_set_dirty(&vram, 0xf000, 0x100000);        /* clipped to the region */
    snap = memory_region_snapshot_and_clear_dirty(&vram, 0, 0x10000);
    for (unsigned p = 0; p < 16; p++) {
        bool want = p == 2 || p == 3 || p == 7 || p == 0xa || p == 0xf;
        g_assert_cmpint(dirty_snapshot_get(snap, p * 0x1000, 0x1000), ==, want);
    }
    g_assert_true(dirty_snapshot_get(snap, 0x1800, 0x1000)); /* a range over pages 1-2 */
    g_assert_false(dirty_snapshot_get(snap, 0x4000, 0x3000));
    dirty_snapshot_free(snap);
    /* nothing written since: all clean */
    snap = memory_region_snapshot_and_clear_dirty(&vram, 0, 0x10000);
    g_assert_false(dirty_snapshot_get(snap, 0, 0x10000));
    dirty_snapshot_free(snap);
    memory_region_set_log(&vram, false);
    g_assert_false(memory_region_page_clean(&vram, 0));
    memory_dirty_protect = NULL;
}

/* What a rebuild changed: a BAR that moves changes its old and new place
 * only; a change that leaves the view as it was changes nothing; an alias
 * offset change is a change at the same addresses. */
static void test_view_changes(void)
{
    static MemoryRegion ram, bar, win;
    static Mmio m;
    static const MemoryRegionOps ops = { .read = mmio_read, .write = mmio_write };
    fresh_space();
    const MemoryChange *c;
    memory_region_init_ram(&ram, "ram", 0x100000);
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_init_io(&bar, &ops, &m, "bar", 0x1000);
    memory_region_add_subregion(&root, 0xfe000000, &bar);
    g_assert_cmpuint(memory_view_changes(&as, &c), ==, 1);
    g_assert_cmphex(c[0].start, ==, 0xfe000000);
    g_assert_cmphex(c[0].size, ==, 0x1000);

    memory_region_set_address(&bar, 0xfd000000);
    g_assert_cmpuint(memory_view_changes(&as, &c), ==, 2);
    g_assert_cmphex(c[0].start, ==, 0xfd000000);
    g_assert_cmphex(c[0].size, ==, 0x1000);
    g_assert_cmphex(c[1].start, ==, 0xfe000000);
    g_assert_cmphex(c[1].size, ==, 0x1000);

    memory_transaction_begin();                            /* off and on again */
    memory_region_set_enabled(&bar, false);
    memory_region_set_enabled(&bar, true);
    memory_transaction_commit();
    g_assert_cmpuint(memory_view_changes(&as, &c), ==, 0);

    /* a window onto RAM whose offset moves (a bank switch) */
    memory_region_init_alias(&win, "win", &ram, 0x10000, 0x2000);
    memory_region_add_subregion_overlap(&root, 0xa0000, &win, 1);
    g_assert_cmpuint(memory_view_changes(&as, &c), ==, 1);
    memory_region_set_alias_offset(&win, 0x20000);
    g_assert_cmpuint(memory_view_changes(&as, &c), ==, 1);
    g_assert_cmphex(c[0].start, ==, 0xa0000);
    g_assert_cmphex(c[0].size, ==, 0x2000);
    /* read-only is a change too: the CPUs' write mappings must go */
    memory_region_set_readonly(&win, true);
    g_assert_cmpuint(memory_view_changes(&as, &c), ==, 1);
    g_assert_cmphex(c[0].start, ==, 0xa0000);
}

static void test_nested_disabled(void)
{
    static MemoryRegion sub, a, b;
    static Mmio m;
    fresh_space();
    memory_region_init_container(&sub, "sub", 0x100);
    memory_region_init_ram(&a, "a", 0x1000);           /* clipped to the container */
    memory_region_init_io(&b, &ops_1to4, &m, "b", 0x10);
    memory_region_add_subregion(&sub, 0x0, &a);
    memory_region_add_subregion_overlap(&sub, 0x20, &b, 1);
    memory_region_add_subregion(&root, 0x4000, &sub);
    const FlatRange *r = address_space_lookup(&as, 0x40ff);
    g_assert_nonnull(r);
    g_assert_true(r->mr == &a);
    g_assert_null(address_space_lookup(&as, 0x4100));
    g_assert_true(address_space_lookup(&as, 0x4024)->mr == &b);
    /* disabling the MMIO uncovers the RAM under it */
    memory_region_set_enabled(&b, false);
    r = address_space_lookup(&as, 0x4024);
    g_assert_true(r->mr == &a);
    g_assert_cmphex(r->offset + (0x4024 - r->start), ==, 0x24);
    /* moving the container moves everything in it */
    memory_region_set_address(&sub, 0x8000);
    g_assert_null(address_space_lookup(&as, 0x4000));
    g_assert_true(address_space_lookup(&as, 0x8010)->mr == &a);
    memory_region_set_enabled(&sub, false);
    g_assert_null(address_space_lookup(&as, 0x8010));
    g_assert_cmphex(address_space_ld(&as, 0x8010, 4), ==, 0xffffffff);
}

static AddressSpace *hook_as;

static void view_write_hook(AddressSpace *a, hwaddr addr, uint64_t len)
{
    hook_as = a;
    write_hook(a, addr, len);
}

/* A view of system memory (a CPU's SMM view): the overlays show only
 * there, everything else is system memory, RAM written through it is
 * system RAM, and later changes to system memory reach it. */
static void test_memory_view(void)
{
    static MemoryRegion ram, vga, overlays, smram, late;
    static AddressSpace view;
    static Mmio m;
    MemoryRegion *sys = address_space_memory.root;
    memory_region_init_ram(&ram, "ram", 0x100000);
    memory_region_init_io(&vga, &ops_1to4, &m, "vga", 0x10);
    memory_region_add_subregion(sys, 0, &ram);
    memory_region_add_subregion_overlap(sys, 0xa0000, &vga, 1);
    memory_region_init_container(&overlays, "smram", UINT64_MAX);
    address_space_init_memory_view(&view, &overlays, "memory-smm");
    memory_region_init_alias(&smram, "smram-low", &ram, 0xa0000, 0x10);
    memory_region_add_subregion_overlap(&overlays, 0xa0000, &smram, 1);

    g_assert_true(address_space_is_memory(&address_space_memory));
    g_assert_true(address_space_is_memory(&view));
    g_assert_false(address_space_is_memory(&as));
    /* the overlay: RAM in the view, the device everywhere else */
    m.regs[0] = 0x5a;
    ram.ram[0xa0000] = 0x33;
    g_assert_cmphex(address_space_ld(&address_space_memory, 0xa0000, 1), ==, 0x5a);
    g_assert_cmphex(address_space_ld(&view, 0xa0000, 1), ==, 0x33);
    /* elsewhere the view is system memory; a hole stays a hole */
    address_space_st(&address_space_memory, 0x1000, 0x1234, 2);
    g_assert_cmphex(address_space_ld(&view, 0x1000, 2), ==, 0x1234);
    g_assert_cmphex(address_space_ld(&view, 0x200000, 4), ==, 0xffffffff);
    /* a write through the view lands in RAM and is reported as a write
     * to system memory's RAM at that address */
    memory_ram_write_hook = view_write_hook;
    hook_calls = 0;
    address_space_st(&view, 0xa0004, 0xcafe, 2);
    g_assert_cmpint(hook_calls, ==, 1);
    g_assert_cmphex(hook_addr, ==, 0xa0004);
    g_assert_true(hook_as == &view && address_space_is_memory(hook_as));
    memory_ram_write_hook = NULL;
    g_assert_cmphex(ram.ram[0xa0004] | ram.ram[0xa0005] << 8, ==, 0xcafe);
    g_assert_cmpint(m.writes, ==, 0);
    /* disabled, the overlay lets system memory through */
    memory_region_set_enabled(&smram, false);
    g_assert_cmphex(address_space_ld(&view, 0xa0000, 1), ==, 0x5a);
    /* changes to system memory reach the view */
    memory_region_init_ram(&late, "late", 0x1000);
    late.ram[0] = 0x77;
    memory_region_add_subregion(sys, 0x300000, &late);
    g_assert_cmphex(address_space_ld(&view, 0x300000, 1), ==, 0x77);

    memory_region_del_subregion(sys, &late);
    memory_region_del_subregion(sys, &vga);
    memory_region_del_subregion(sys, &ram);
    address_space_destroy(&view);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/ram-and-holes", test_ram_and_holes);
    g_test_add_func("/memory/priorities", test_priorities);
    g_test_add_func("/memory/alias-and-readonly", test_alias_and_readonly);
    g_test_add_func("/memory/rom", test_rom);
    g_test_add_func("/memory/mmio-split-and-widen", test_mmio_split_and_widen);
    g_test_add_func("/memory/transaction", test_transaction);
    g_test_add_func("/memory/write-hook", test_write_hook);
    g_test_add_func("/memory/nested-disabled", test_nested_disabled);
    g_test_add_func("/memory/dirty-log", test_dirty_log);
    g_test_add_func("/memory/view-changes", test_view_changes);
    g_test_add_func("/memory/memory-view", test_memory_view);
    return g_test_run();
}
