/*
 * PCI: configuration mechanism #1, the chipset's ids, master aborts and
 * BAR sizing/mapping, driven through the 0xcf8/0xcfc ports.
 */
#include <glib.h>

#include "hw/isa/isa.h"
#include "hw/isa/piix3.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/pci.h"
#include "pc-test-util.h"

typedef struct TestDev {
    PCIDevice pci;
    MemoryRegion io, mmio;
    uint32_t last_mmio_write;
} TestDev;

static uint64_t testdev_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0x1000 + addr;
}

static void testdev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ((TestDev *)opaque)->last_mmio_write = val;
}

static const MemoryRegionOps testdev_ops = {
    .read = testdev_read, .write = testdev_write, .min_access = 1, .max_access = 4,
};

static bool testdev_realize(Device *dev, GError **errp)
{
    TestDev *s = DEVICE_CAST(TestDev, dev);
    if (!pci_device_init(&s->pci, NULL, 0x1234, 0xabcd, 0x0200, 0x05, errp)) {
        return false;
    }
    memory_region_init_io(&s->io, &testdev_ops, s, "testdev-io", 0x40);
    memory_region_init_io(&s->mmio, &testdev_ops, s, "testdev-mmio", 0x1000);
    pci_register_bar(&s->pci, 0, PCI_BAR_IO, &s->io);
    pci_register_bar(&s->pci, 1, PCI_BAR_MEM32, &s->mmio);
    pci_set_interrupt_pin(&s->pci, 1);
    return true;
}

static const Property testdev_props[] = {
    DEFINE_PROP_PCI_DEVFN(TestDev, pci),
    DEFINE_PROP_END,
};

static const DeviceClass testdev_class = {
    .name = "test-pci-dev",
    .bus = BUS_PCI,
    .instance_size = sizeof(TestDev),
    .props = testdev_props,
    .realize = testdev_realize,
};
DEVICE_REGISTER(testdev_class)

static MemoryRegion ram, pci_mem, pci_hole;
static TestDev *testdev;
#define TESTDEV_DEVFN PCI_DEVFN(3, 0)

static void machine_init(void)
{
    test_address_spaces_init();
    memory_region_init_ram(&ram, "ram", 2 << 20);
    memory_region_add_subregion(address_space_memory.root, 0, &ram);
    memory_region_init_container(&pci_mem, "pci-memory", 1ull << 32);
    memory_region_init_alias(&pci_hole, "pci-hole", &pci_mem, 0, 1ull << 32);
    memory_region_add_subregion_overlap(address_space_memory.root, 0, &pci_hole, -1);

    PCIBus *bus = i440fx_init(address_space_memory.root, &ram, &pci_mem, NULL, NULL);
    piix3_init(bus, NULL);

    GError *err = NULL;
    Device *d = device_new("test-pci-dev", &err);
    g_assert_no_error(err);
    DEVICE_CAST(TestDev, d)->pci.devfn = TESTDEV_DEVFN;
    g_assert_true(device_realize(d, &err));
    g_assert_no_error(err);
    testdev = DEVICE_CAST(TestDev, d);
}

static void test_ids(void)
{
    g_assert_cmphex(pci_cfg_readl(PCI_DEVFN(0, 0), 0), ==, 0x12378086);
    g_assert_cmphex(pci_cfg_readb(PCI_DEVFN(0, 0), PCI_REVISION_ID), ==, 0x02);
    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(0, 0), PCI_CLASS_DEVICE), ==, 0x0600);
    /* SeaBIOS' "Running on QEMU" check */
    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(0, 0), PCI_SUBSYSTEM_VENDOR_ID), ==, 0x1af4);
    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(0, 0), PCI_SUBSYSTEM_ID), ==, 0x1100);

    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(1, 0), PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(1, 0), PCI_DEVICE_ID), ==, 0x7000);
    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(1, 0), PCI_CLASS_DEVICE), ==, 0x0601);
    g_assert_cmphex(pci_cfg_readb(PCI_DEVFN(1, 0), PCI_HEADER_TYPE), ==, 0x80);
    g_assert_cmphex(pci_cfg_readb(PCI_DEVFN(1, 0), 0x60), ==, 0x80);
}

static void test_mechanism1(void)
{
    /* CONFIG_ADDRESS reads back (low two bits reserved) */
    outl_(0xcf8, 0x80000804);
    g_assert_cmphex(inl_(0xcf8), ==, 0x80000804);
    /* byte/word reads inside the dword */
    outl_(0xcf8, 0x80000000);
    g_assert_cmphex(inb_(0xcfc), ==, 0x86);
    g_assert_cmphex(inb_(0xcfd), ==, 0x80);
    g_assert_cmphex(inw_(0xcfe), ==, 0x1237);
    /* enable bit clear: nothing answers */
    outl_(0xcf8, 0x00000000);
    g_assert_cmphex(inl_(0xcfc), ==, 0xffffffff);
    /* writes honour the write mask: vendor id is read-only */
    pci_cfg_writew(PCI_DEVFN(0, 0), PCI_VENDOR_ID, 0x5555);
    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(0, 0), PCI_VENDOR_ID), ==, 0x8086);
    pci_cfg_writeb(PCI_DEVFN(0, 0), PCI_LATENCY_TIMER, 0x40);
    g_assert_cmphex(pci_cfg_readb(PCI_DEVFN(0, 0), PCI_LATENCY_TIMER), ==, 0x40);
}

static void test_absent(void)
{
    g_assert_cmphex(pci_cfg_readl(PCI_DEVFN(7, 0), 0), ==, 0xffffffff);
    g_assert_cmphex(pci_cfg_readw(PCI_DEVFN(1, 5), 0), ==, 0xffff);
    /* other buses do not exist */
    outl_(0xcf8, 0x80010000);
    g_assert_cmphex(inl_(0xcfc), ==, 0xffffffff);
    /* writes to nowhere are harmless */
    pci_cfg_writel(PCI_DEVFN(7, 0), 0x10, 0x12345678);
}

static void test_bar_sizing(void)
{
    int df = TESTDEV_DEVFN;
    g_assert_cmphex(pci_cfg_readl(df, 0), ==, 0xabcd1234);

    pci_cfg_writel(df, 0x10, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(df, 0x10), ==, 0xffffffc1);   /* 64 ports, I/O */
    pci_cfg_writel(df, 0x14, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(df, 0x14), ==, 0xfffff000);   /* 4K, mem32 */
    pci_cfg_writel(df, 0x18, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(df, 0x18), ==, 0);            /* absent BAR */

    /* assign, then enable decoding */
    pci_cfg_writel(df, 0x10, 0xc000);
    pci_cfg_writel(df, 0x14, 0xfebf0000);
    g_assert_cmphex(inl_(0xc004), ==, 0xffffffff);     /* not yet decoded */
    pci_cfg_writew(df, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    g_assert_cmphex(inl_(0xc004), ==, 0x1004);
    g_assert_cmphex(address_space_ld(&address_space_memory, 0xfebf0010, 4), ==, 0x1010);
    address_space_st(&address_space_memory, 0xfebf0020, 0xdead, 4);
    g_assert_cmphex(testdev->last_mmio_write, ==, 0xdead);

    /* move the memory BAR */
    pci_cfg_writel(df, 0x14, 0xfeb00000);
    g_assert_cmphex(address_space_ld(&address_space_memory, 0xfeb00010, 4), ==, 0x1010);
    g_assert_cmphex(address_space_ld(&address_space_memory, 0xfebf0010, 4), ==, 0xffffffff);

    /* disabling memory decode unmaps */
    pci_cfg_writew(df, PCI_COMMAND, PCI_COMMAND_IO);
    g_assert_cmphex(address_space_ld(&address_space_memory, 0xfeb00010, 4), ==, 0xffffffff);
    g_assert_cmphex(inl_(0xc004), ==, 0x1004);
}

static int pirq_level[16];

static void test_irq_handler(void *opaque, int n, int level)
{
    pirq_level[n] = level;
}

static void test_intx_routing(void)
{
    static IRQ irqs[16];                /* the lines live as long as the bus */
    for (int i = 0; i < 16; i++) {
        irqs[i] = irq_new(test_irq_handler, NULL, i);
    }
    isa_set_irqs(irqs);
    /* slot 3 INTA -> PIRQ (3 - 1 + 0) & 3 = PIRQC (0x62) */
    pci_cfg_writeb(PCI_DEVFN(1, 0), 0x62, 11);
    pci_set_irq(&testdev->pci, 1);
    g_assert_cmpint(pirq_level[11], ==, 1);
    /* re-routing moves the level */
    pci_cfg_writeb(PCI_DEVFN(1, 0), 0x62, 10);
    g_assert_cmpint(pirq_level[11], ==, 0);
    g_assert_cmpint(pirq_level[10], ==, 1);
    /* INTX_DISABLE masks it */
    pci_cfg_writew(TESTDEV_DEVFN, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
    g_assert_cmpint(pirq_level[10], ==, 0);
    pci_cfg_writew(TESTDEV_DEVFN, PCI_COMMAND, 0);
    g_assert_cmpint(pirq_level[10], ==, 1);
    pci_set_irq(&testdev->pci, 0);
    g_assert_cmpint(pirq_level[10], ==, 0);
    isa_set_irqs(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    machine_init();
    g_test_add_func("/pci/ids", test_ids);
    g_test_add_func("/pci/mechanism1", test_mechanism1);
    g_test_add_func("/pci/absent", test_absent);
    g_test_add_func("/pci/bar-sizing", test_bar_sizing);
    g_test_add_func("/pci/intx-routing", test_intx_routing);
    return g_test_run();
}
