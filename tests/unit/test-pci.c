/*
 * PCI: configuration mechanism #1, the chipset's ids, master aborts and
 * BAR sizing/mapping, driven through the 0xcf8/0xcfc ports; the MSI
 * capability (msi.c) of a function with four maskable vectors.
 */
#include <glib.h>

#include "hw/isa/isa.h"
#include "hw/isa/piix3.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/msi.h"
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

/* A function with MSI only: four vectors, 32-bit address, per-vector
 * masking. */
static bool msidev_realize(Device *dev, GError **errp)
{
    TestDev *s = DEVICE_CAST(TestDev, dev);
    if (!pci_device_init(&s->pci, NULL, 0x1234, 0xabce, 0x0200, 0x01, errp)) {
        return false;
    }
    pci_set_interrupt_pin(&s->pci, 1);
    msi_init(&s->pci, 4, false, true);
    return true;
}

static const DeviceClass msidev_class = {
    .name = "test-pci-msi",
    .bus = BUS_PCI,
    .instance_size = sizeof(TestDev),
    .props = testdev_props,
    .realize = msidev_realize,
};
DEVICE_REGISTER(msidev_class)

static MemoryRegion ram, pci_mem, pci_hole;
static TestDev *testdev, *msidev;
static PCIBus *pci_bus;
#define TESTDEV_DEVFN PCI_DEVFN(3, 0)
#define MSIDEV_DEVFN PCI_DEVFN(4, 0)

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
    pci_bus = bus;

    GError *err = NULL;
    Device *d = device_new("test-pci-dev", &err);
    g_assert_no_error(err);
    DEVICE_CAST(TestDev, d)->pci.devfn = TESTDEV_DEVFN;
    g_assert_true(device_realize(d, &err));
    g_assert_no_error(err);
    testdev = DEVICE_CAST(TestDev, d);

    d = device_new("test-pci-msi", &err);
    g_assert_no_error(err);
    DEVICE_CAST(TestDev, d)->pci.devfn = MSIDEV_DEVFN;
    g_assert_true(device_realize(d, &err));
    g_assert_no_error(err);
    msidev = DEVICE_CAST(TestDev, d);
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

/* ---- MSI ---- */

static unsigned msi_count;
static uint64_t msi_addr;
static uint32_t msi_data;

static bool test_msi_deliver(void *opaque, uint64_t addr, uint32_t data)
{
    msi_count++;
    msi_addr = addr;
    msi_data = data;
    return true;
}

/* msi_notify(v) and whether a message went out; -1 if none, else its data */
static int64_t notify(unsigned v)
{
    unsigned before = msi_count;
    msi_notify(&msidev->pci, v);
    g_assert_cmpuint(msi_count - before, <=, 1);
    return msi_count == before ? -1 : (int64_t)msi_data;
}

static void test_msi(void)
{
    int df = MSIDEV_DEVFN;
    uint8_t cap = pci_cfg_readb(df, PCI_CAPABILITY_LIST);
    pci_bus_set_msi_handler(pci_bus, test_msi_deliver, NULL);

    /* layout: id 05h, four vectors requested (MMC 2), 32-bit, maskable;
     * data at +8, mask bits at +0xc, pending bits at +0x10 */
    g_assert_cmphex(pci_cfg_readw(df, PCI_STATUS) & PCI_STATUS_CAP_LIST, ==, PCI_STATUS_CAP_LIST);
    g_assert_cmphex(pci_cfg_readb(df, cap), ==, PCI_CAP_ID_MSI);
    g_assert_cmphex(pci_cfg_readb(df, cap + 1), ==, 0);
    g_assert_cmphex(pci_cfg_readw(df, cap + 2), ==, 0x0104);
    pci_cfg_writew(df, cap + 2, 0xffff);
    g_assert_cmphex(pci_cfg_readw(df, cap + 2), ==, 0x0175);
    pci_cfg_writew(df, cap + 2, 0);
    pci_cfg_writel(df, cap + 8, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(df, cap + 8), ==, 0x0000ffff);
    /* mask bits for the four vectors only; pending bits are read-only */
    pci_cfg_writel(df, cap + 0xc, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(df, cap + 0xc), ==, 0xf);
    pci_cfg_writel(df, cap + 0xc, 0);
    pci_cfg_writel(df, cap + 0x10, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(df, cap + 0x10), ==, 0);
    g_assert_false(msi_enabled(&msidev->pci));
    g_assert_cmpuint(msi_nr_vectors_allocated(&msidev->pci), ==, 0);

    /* disabled: nothing goes out */
    pci_cfg_writew(df, PCI_COMMAND, PCI_COMMAND_MASTER);
    pci_cfg_writel(df, cap + 4, 0xfee01003);
    g_assert_cmphex(pci_cfg_readl(df, cap + 4), ==, 0xfee01000);
    pci_cfg_writew(df, cap + 8, 0x004f);
    g_assert_cmpint(notify(0), ==, -1);

    /* four allocated (MME 2): the vector replaces the data's low two bits */
    pci_cfg_writew(df, cap + 2, 0x0021);
    g_assert_true(msi_enabled(&msidev->pci));
    g_assert_cmpuint(msi_nr_vectors_allocated(&msidev->pci), ==, 4);
    g_assert_cmphex(notify(1), ==, 0x4d);
    g_assert_cmphex(msi_addr, ==, 0xfee01000);
    g_assert_cmphex(notify(3), ==, 0x4f);
    g_assert_cmphex(notify(0), ==, 0x4c);
    /* two allocated: one data bit, vectors fold onto 0 and 1 */
    pci_cfg_writew(df, cap + 2, 0x0011);
    pci_cfg_writew(df, cap + 8, 0x0040);
    g_assert_cmphex(notify(2), ==, 0x40);
    g_assert_cmphex(notify(3), ==, 0x41);
    pci_cfg_writew(df, cap + 8, 0x004f);
    /* more than requested (MME 5): the function uses its four */
    pci_cfg_writew(df, cap + 2, 0x0051);
    g_assert_cmpuint(msi_nr_vectors_allocated(&msidev->pci), ==, 4);
    g_assert_cmphex(notify(2), ==, 0x4e);
    pci_cfg_writew(df, cap + 2, 0x0021);

    /* a masked vector sets its pending bit; unmasking sends it once */
    pci_cfg_writel(df, cap + 0xc, 0x2);
    g_assert_cmpint(notify(1), ==, -1);
    g_assert_cmphex(pci_cfg_readl(df, cap + 0x10), ==, 0x2);
    g_assert_cmphex(notify(2), ==, 0x4e);           /* others are not held */
    unsigned before = msi_count;
    pci_cfg_writel(df, cap + 0xc, 0x2);            /* still masked: nothing */
    g_assert_cmpuint(msi_count, ==, before);
    pci_cfg_writel(df, cap + 0xc, 0);
    g_assert_cmpuint(msi_count, ==, before + 1);
    g_assert_cmphex(msi_data, ==, 0x4d);
    g_assert_cmphex(pci_cfg_readl(df, cap + 0x10), ==, 0);
    pci_cfg_writel(df, cap + 0xc, 0);
    g_assert_cmpuint(msi_count, ==, before + 1);
    /* pending while MSI is off waits for it to come back on */
    pci_cfg_writel(df, cap + 0xc, 0x8);
    g_assert_cmpint(notify(3), ==, -1);
    pci_cfg_writew(df, cap + 2, 0x0020);
    pci_cfg_writel(df, cap + 0xc, 0);
    g_assert_cmpuint(msi_count, ==, before + 1);
    g_assert_cmphex(pci_cfg_readl(df, cap + 0x10), ==, 0x8);
    pci_cfg_writew(df, cap + 2, 0x0021);
    g_assert_cmpuint(msi_count, ==, before + 2);
    g_assert_cmphex(msi_data, ==, 0x4f);

    /* a message is a bus-master write */
    pci_cfg_writew(df, PCI_COMMAND, 0);
    g_assert_cmpint(notify(0), ==, -1);
    pci_cfg_writew(df, PCI_COMMAND, PCI_COMMAND_MASTER);

    /* MSI enabled: INTx stays deasserted; off again, the level shows */
    static IRQ irqs[16];
    for (int i = 0; i < 16; i++) {
        irqs[i] = irq_new(test_irq_handler, NULL, i);
    }
    isa_set_irqs(irqs);
    /* slot 4 INTA -> PIRQD (0x63) */
    pci_cfg_writeb(PCI_DEVFN(1, 0), 0x63, 9);
    pci_set_irq(&msidev->pci, 1);
    g_assert_cmpint(pirq_level[9], ==, 0);
    pci_cfg_writew(df, cap + 2, 0x0020);
    g_assert_cmpint(pirq_level[9], ==, 1);
    pci_cfg_writew(df, cap + 2, 0x0021);
    g_assert_cmpint(pirq_level[9], ==, 0);
    pci_set_irq(&msidev->pci, 0);
    pci_cfg_writeb(PCI_DEVFN(1, 0), 0x63, 0x80);
    isa_set_irqs(NULL);

    /* msi_reset: off, nothing allocated, address/data/masks/pending 0 */
    pci_cfg_writel(df, cap + 0xc, 0x1);
    notify(0);
    msi_reset(&msidev->pci);
    g_assert_cmphex(pci_cfg_readw(df, cap + 2), ==, 0x0104);
    for (int off = 4; off < 0x14; off += 4) {
        g_assert_cmphex(pci_cfg_readl(df, cap + off), ==, 0);
    }
    /* and a function reset brings the capability back as built */
    pci_cfg_writew(df, cap + 2, 0x0021);
    pci_cfg_writel(df, cap + 4, 0xfee00000);
    pci_device_reset(&msidev->pci);
    g_assert_cmphex(pci_cfg_readb(df, cap), ==, PCI_CAP_ID_MSI);
    g_assert_cmphex(pci_cfg_readw(df, cap + 2), ==, 0x0104);
    g_assert_cmphex(pci_cfg_readl(df, cap + 4), ==, 0);
    pci_bus_set_msi_handler(pci_bus, NULL, NULL);
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
    g_test_add_func("/pci/msi", test_msi);
    return g_test_run();
}
