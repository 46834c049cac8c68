/*
 * pc-testdev: the test device QEMU's endianness-test and kvm-unit-tests
 * use on the PC.  Its port map (facts from QEMU's model):
 *   0xe0-0xe3   a 32-bit scratch register, read and written at any size
 *   0xe4-0xe7   "flush page": a 32-bit write names a guest page to flush
 *   0xe8-0xeb   the same scratch register, reached one byte at a time (a
 *               wider access is split into bytes by the memory core)
 *   0x2000-0x2017  a byte write sets ISA IRQ (port - 0x2000) to value != 0
 *   0xff000000  64 KiB of scratch MMIO
 */
#include "hw/core/device.h"
#include "hw/isa/isa.h"
#include "util/log.h"

#define TESTDEV_IOMEM_BASE 0xff000000u
#define TESTDEV_IOMEM_LEN  0x10000u
#define TESTDEV_IRQ_PORTS  24

typedef struct PCTestdevState {
    Device dev;
    uint32_t data;                       /* the scratch register */
    uint8_t iomem_buf[TESTDEV_IOMEM_LEN];
    MemoryRegion ioport, ioport_byte, flush, irq, iomem;
} PCTestdevState;

/* addr is the byte offset inside the 4-byte register; size bytes from there */
static uint64_t testdev_data_read(void *opaque, hwaddr addr, unsigned size)
{
    PCTestdevState *s = opaque;
    unsigned shift = (addr & 3) * 8;
    uint64_t mask = size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    return ((uint64_t)s->data >> shift) & mask;
}

static void testdev_data_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;
    unsigned shift = (addr & 3) * 8;
    uint64_t mask = size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    /* an access that runs past the register keeps only its in-range bytes */
    uint32_t m = (uint32_t)(mask << shift);
    s->data = (s->data & ~m) | ((uint32_t)(val << shift) & m);
}

static const MemoryRegionOps testdev_ioport_ops = {
    .read = testdev_data_read,
    .write = testdev_data_write,
    .min_access = 1,
    .max_access = 4,
};

static const MemoryRegionOps testdev_ioport_byte_ops = {
    .read = testdev_data_read,
    .write = testdev_data_write,
    .min_access = 1,
    .max_access = 1,
};

static uint64_t testdev_zero_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

/* Vireo keeps no host mapping a guest could need flushed: nothing to do. */
static void testdev_flush_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
}

static const MemoryRegionOps testdev_flush_ops = {
    .read = testdev_zero_read,
    .write = testdev_flush_write,
    .min_access = 1,
    .max_access = 4,
};

static void testdev_irq_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    if (addr >= 16) {
        vlog(LOG_GUEST_ERRORS, "pc-testdev: IRQ %u is no ISA IRQ; ignored\n", (unsigned)addr);
        return;
    }
    irq_set(isa_get_irq((int)addr), val != 0);
}

static const MemoryRegionOps testdev_irq_ops = {
    .read = testdev_zero_read,
    .write = testdev_irq_write,
    .min_access = 1,
    .max_access = 1,
};

static uint64_t testdev_iomem_read(void *opaque, hwaddr addr, unsigned size)
{
    PCTestdevState *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && addr + i < TESTDEV_IOMEM_LEN; i++) {
        v |= (uint64_t)s->iomem_buf[addr + i] << (i * 8);
    }
    return v;
}

static void testdev_iomem_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;
    for (unsigned i = 0; i < size && addr + i < TESTDEV_IOMEM_LEN; i++) {
        s->iomem_buf[addr + i] = val >> (i * 8);
    }
}

static const MemoryRegionOps testdev_iomem_ops = {
    .read = testdev_iomem_read,
    .write = testdev_iomem_write,
    .min_access = 1,
    .max_access = 8,
};

static bool testdev_realize(Device *dev, GError **errp)
{
    PCTestdevState *s = DEVICE_CAST(PCTestdevState, dev);
    isa_register_ioport(&s->ioport, &testdev_ioport_ops, s, "pc-testdev-ioport", 0xe0, 4);
    isa_register_ioport(&s->flush, &testdev_flush_ops, s, "pc-testdev-flush-page", 0xe4, 4);
    isa_register_ioport(&s->ioport_byte, &testdev_ioport_byte_ops, s,
                        "pc-testdev-ioport-byte", 0xe8, 4);
    isa_register_ioport(&s->irq, &testdev_irq_ops, s, "pc-testdev-irq-line",
                        0x2000, TESTDEV_IRQ_PORTS);
    memory_region_init_io(&s->iomem, &testdev_iomem_ops, s, "pc-testdev-iomem",
                          TESTDEV_IOMEM_LEN);
    memory_region_add_subregion_overlap(address_space_memory.root, TESTDEV_IOMEM_BASE,
                                        &s->iomem, 1);
    return true;
}

static const Property testdev_props[] = {
    DEFINE_PROP_END,
};

static const DeviceClass testdev_class = {
    .name = "pc-testdev",
    .desc = "PC test device (scratch ports, IRQ lines and MMIO for test programs)",
    .bus = BUS_ISA,
    .instance_size = sizeof(PCTestdevState),
    .props = testdev_props,
    .user_creatable = true,
    .realize = testdev_realize,
};
DEVICE_REGISTER(testdev_class)
