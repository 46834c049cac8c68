/*
 * i440FX PAM: each mode of a shadow segment, set through config
 * mechanism #1 on the I/O ports, seen through address_space_memory.
 */
#include <glib.h>
#include <string.h>

#include "hw/pci/i440fx.h"
#include "hw/pci/pci.h"
#include "pc-test-util.h"

#define HOST PCI_DEVFN(0, 0)

static MemoryRegion ram, pci_mem, pci_hole, bios, isa_bios, smram;
static AddressSpace smm_view;      /* what a CPU in SMM sees */

static void machine_init(void)
{
    test_address_spaces_init();
    memory_region_init_ram(&ram, "pc.ram", 2 << 20);
    memory_region_add_subregion(address_space_memory.root, 0, &ram);
    memory_region_init_container(&pci_mem, "pci-memory", 1ull << 32);
    memory_region_init_alias(&pci_hole, "pci-hole", &pci_mem, 0, 1ull << 32);
    memory_region_add_subregion_overlap(address_space_memory.root, 0, &pci_hole, -1);

    /* a 128K "BIOS" whose bytes are 0xB0 | (offset >> 16) */
    memory_region_init_rom(&bios, "pc.bios", 128 << 10);
    memset(bios.ram, 0xb0, 64 << 10);
    memset(bios.ram + (64 << 10), 0xb1, 64 << 10);
    memory_region_add_subregion(&pci_mem, (1ull << 32) - (128 << 10), &bios);
    memory_region_init_alias(&isa_bios, "isa-bios", &bios, 0, 128 << 10);
    memory_region_add_subregion_overlap(&pci_mem, 0xe0000, &isa_bios, 1);

    memory_region_init_container(&smram, "smram", UINT64_MAX);
    address_space_init_memory_view(&smm_view, &smram, "memory-smm");
    i440fx_init(address_space_memory.root, &ram, &pci_mem, NULL, &smram);
}

static uint32_t ld(hwaddr a) { return address_space_ld(&address_space_memory, a, 4); }
static void st(hwaddr a, uint32_t v) { address_space_st(&address_space_memory, a, v, 4); }

static void test_power_on(void)
{
    /* PAM 0 at power-on: 0xe0000-0xfffff is the ROM, 0xc0000 nothing */
    g_assert_cmphex(pci_cfg_readb(HOST, I440FX_PAM0), ==, 0);
    g_assert_cmphex(ld(0xffff0), ==, 0xb1b1b1b1);
    g_assert_cmphex(ld(0xe0000), ==, 0xb0b0b0b0);
    g_assert_cmphex(ld(0xc0000), ==, 0xffffffff);
    /* writes to ROM vanish */
    st(0xf0000, 0x12345678);
    g_assert_cmphex(ld(0xf0000), ==, 0xb1b1b1b1);
    /* low RAM unaffected */
    st(0x1000, 0xcafe);
    g_assert_cmphex(ld(0x1000), ==, 0xcafe);
}

static void test_transitions(void)
{
    /* mode 3 everywhere: RAM read/write, as SeaBIOS' make_bios_writable */
    /* dword writes as SeaBIOS does them: 0x58 holds PAM0-2 in bytes 1-3 */
    pci_cfg_writel(HOST, 0x58, 0x33333000 | (pci_cfg_readl(HOST, 0x58) & 0xff));
    pci_cfg_writel(HOST, 0x5c, 0x33333333);
    g_assert_cmphex(pci_cfg_readb(HOST, I440FX_PAM0), ==, 0x30);
    g_assert_cmphex(ld(0xf0000), ==, 0);       /* fresh RAM */
    st(0xf0000, 0x11111111);
    st(0xc4000, 0x22222222);
    st(0xec000, 0x33333333);
    g_assert_cmphex(ld(0xf0000), ==, 0x11111111);
    g_assert_cmphex(ld(0xc4000), ==, 0x22222222);
    g_assert_cmphex(ld(0xec000), ==, 0x33333333);

    /* mode 1: read RAM, writes dropped */
    pci_cfg_writeb(HOST, 0x59, 0x10);
    pci_cfg_writeb(HOST, 0x5a, 0x13);        /* 0xc0000: mode 3, 0xc4000: mode 1 */
    st(0xf0000, 0xdeadbeef);
    st(0xc4000, 0xdeadbeef);
    st(0xc0000, 0x44444444);
    g_assert_cmphex(ld(0xf0000), ==, 0x11111111);
    g_assert_cmphex(ld(0xc4000), ==, 0x22222222);
    g_assert_cmphex(ld(0xc0000), ==, 0x44444444);

    /* mode 0: PCI/ROM beneath, RAM kept */
    pci_cfg_writeb(HOST, 0x59, 0x00);
    g_assert_cmphex(ld(0xf0000), ==, 0xb1b1b1b1);
    pci_cfg_writeb(HOST, 0x5f, 0x03);        /* 0xe8000 mode 3, 0xec000 mode 0 */
    g_assert_cmphex(ld(0xec000), ==, 0xb0b0b0b0);

    /* mode 2: read PCI, write RAM */
    pci_cfg_writeb(HOST, 0x59, 0x20);
    st(0xf0004, 0x55555555);
    g_assert_cmphex(ld(0xf0004), ==, 0xb1b1b1b1);
    pci_cfg_writeb(HOST, 0x59, 0x30);
    g_assert_cmphex(ld(0xf0004), ==, 0x55555555);
    g_assert_cmphex(ld(0xf0000), ==, 0x11111111);

    /* reserved bits do not stick */
    pci_cfg_writeb(HOST, 0x59, 0xff);
    g_assert_cmphex(pci_cfg_readb(HOST, 0x59), ==, 0x70);
}

static void test_reset(void)
{
    pci_cfg_writeb(HOST, 0x59, 0x30);
    devices_reset_all();
    g_assert_cmphex(pci_cfg_readb(HOST, I440FX_PAM0), ==, 0);
    g_assert_cmphex(ld(0xf0000), ==, 0xb1b1b1b1);
    g_assert_cmphex(pci_cfg_readb(HOST, I440FX_SMRAM), ==, 0x02);
}

static void test_smram(void)
{
    /* 0xa0000: PCI (nothing) unless D_OPEN shows the RAM beneath */
    g_assert_cmphex(ld(0xa0000), ==, 0xffffffff);
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x4a);
    st(0xa0000, 0x600d);
    g_assert_cmphex(ld(0xa0000), ==, 0x600d);
    /* D_LCK closes and freezes it */
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x1a);
    g_assert_cmphex(pci_cfg_readb(HOST, I440FX_SMRAM), ==, 0x1a);
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x4a);
    g_assert_cmphex(pci_cfg_readb(HOST, I440FX_SMRAM), ==, 0x1a);
    g_assert_cmphex(ld(0xa0000), ==, 0xffffffff);
    devices_reset_all();
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x4a);
    g_assert_cmphex(pci_cfg_readb(HOST, I440FX_SMRAM), ==, 0x4a);
}

static uint32_t ld_smm(hwaddr a) { return address_space_ld(&smm_view, a, 4); }
static void st_smm(hwaddr a, uint32_t v) { address_space_st(&smm_view, a, v, 4); }

/* G_SMRAME: SMRAM for a CPU in SMM, whatever D_OPEN says; for everyone
 * else only D_OPEN (SeaBIOS: 0x4a to fill it, then 0x0a) */
static void test_smram_smm_view(void)
{
    devices_reset_all();
    g_assert_cmphex(ld_smm(0xa8000), ==, 0xffffffff);     /* 0x02: no SMRAM at all */
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x4a);             /* open, enabled */
    st(0xa8000, 0x5eaf00d);
    g_assert_cmphex(ld_smm(0xa8000), ==, 0x5eaf00d);
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x0a);             /* closed, enabled */
    g_assert_cmphex(ld(0xa8000), ==, 0xffffffff);
    g_assert_cmphex(ld_smm(0xa8000), ==, 0x5eaf00d);
    st(0xa8000, 0xbad);                                   /* goes to PCI */
    st_smm(0xbfffc, 0x11223344);                          /* the last dword of SMRAM */
    g_assert_cmphex(ld_smm(0xa8000), ==, 0x5eaf00d);
    g_assert_cmphex(ld_smm(0xbfffc), ==, 0x11223344);
    g_assert_cmphex(ld(0xbfffc), ==, 0xffffffff);
    /* outside 0xa0000-0xbffff the view is system memory */
    st(0x9fffc, 0x600d);
    g_assert_cmphex(ld_smm(0x9fffc), ==, 0x600d);
    g_assert_cmphex(ld_smm(0xc0000), ==, ld(0xc0000));
    /* G_SMRAME clear: SMM sees what everyone sees */
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x02);
    g_assert_cmphex(ld_smm(0xa8000), ==, 0xffffffff);
    /* D_LCK keeps G_SMRAME as it was and D_OPEN shut until reset */
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x1a);
    pci_cfg_writeb(HOST, I440FX_SMRAM, 0x42);
    g_assert_cmphex(ld(0xa8000), ==, 0xffffffff);
    g_assert_cmphex(ld_smm(0xa8000), ==, 0x5eaf00d);
    devices_reset_all();
    g_assert_cmphex(ld_smm(0xa8000), ==, 0xffffffff);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    machine_init();
    g_test_add_func("/pam/power-on", test_power_on);
    g_test_add_func("/pam/transitions", test_transitions);
    g_test_add_func("/pam/reset", test_reset);
    g_test_add_func("/pam/smram", test_smram);
    g_test_add_func("/pam/smram-smm-view", test_smram_smm_view);
    return g_test_run();
}
