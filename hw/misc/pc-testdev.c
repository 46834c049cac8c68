/*
 * pc-testdev: QEMU's test device for the PC, which its endianness test and
 * kvm-unit-tests' x86 tests use.  Layout as QEMU documents it:
 *   I/O 0xe0-0xe3   a 32-bit scratch register, any access size at any offset
 *   I/O 0xe4        "flush page": takes a 32-bit page address (reads 0);
 *                   QEMU drops a host mapping for KVM's sake, here nothing
 *                   needs doing
 *   I/O 0xe8-0xeb   the same register, accessed byte by byte
 *   I/O 0x2000+n    writing v sets ISA IRQ n (n < 24) to !!v; reads 0
 *   MMIO 0xff000000 64 KiB of scratch memory
 */
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/isa/isa.h"

#define TESTDEV_IOMEM_BASE 0xff000000u
#define TESTDEV_IOMEM_LEN  0x10000u
#define TESTDEV_IRQS       24

typedef struct PCTestdev {
    Device dev;
    uint32_t data;
    uint8_t iomem_buf[TESTDEV_IOMEM_LEN];
    MemoryRegion ioport, ioport_byte, flush, irq, iomem;
} PCTestdev;

static uint64_t testdev_data_read(void *opaque, hwaddr addr, unsigned size)
{
    PCTestdev *s = opaque;
    unsigned shift = (addr & 3) * 8;
    uint32_t mask = (size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
    return (s->data >> shift) & mask;
}

static void testdev_data_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCTestdev *s = opaque;
    unsigned shift = (addr & 3) * 8;
    uint32_t mask = (size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1) << shift;
    s->data = (s->data & ~mask) | (((uint32_t)val << shift) & mask);
}

static const MemoryRegionOps testdev_data_ops = {
    .read = testdev_data_read, .write = testdev_data_write, .min_access = 1, .max_access = 4,
};
/* 0xe8: the core splits every access into bytes */
static const MemoryRegionOps testdev_data_byte_ops = {
    .read = testdev_data_read, .write = testdev_data_write, .min_access = 1, .max_access = 1,
};

static uint64_t testdev_zero_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void testdev_flush_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
}

static const MemoryRegionOps testdev_flush_ops = {
    .read = testdev_zero_read, .write = testdev_flush_write, .min_access = 4, .max_access = 4,
};

static void testdev_irq_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    if (addr < TESTDEV_IRQS) {
        irq_set(isa_get_irq(addr), val != 0);
    }
}

static const MemoryRegionOps testdev_irq_ops = {
    .read = testdev_zero_read, .write = testdev_irq_write, .min_access = 1, .max_access = 1,
};

static uint64_t testdev_iomem_read(void *opaque, hwaddr addr, unsigned size)
{
    PCTestdev *s = opaque;
    uint64_t v = 0;
    if (addr + size <= TESTDEV_IOMEM_LEN) {
        memcpy(&v, &s->iomem_buf[addr], size);
    }
    return v;
}

static void testdev_iomem_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCTestdev *s = opaque;
    if (addr + size <= TESTDEV_IOMEM_LEN) {
        memcpy(&s->iomem_buf[addr], &val, size);
    }
}

static const MemoryRegionOps testdev_iomem_ops = {
    .read = testdev_iomem_read, .write = testdev_iomem_write, .min_access = 1, .max_access = 8,
};

static bool testdev_realize(Device *dev, GError **errp)
{
    PCTestdev *s = DEVICE_CAST(PCTestdev, dev);
    isa_register_ioport(&s->ioport, &testdev_data_ops, s, "pc-testdev-ioport", 0xe0, 4);
    isa_register_ioport(&s->flush, &testdev_flush_ops, s, "pc-testdev-flush-page", 0xe4, 4);
    isa_register_ioport(&s->ioport_byte, &testdev_data_byte_ops, s, "pc-testdev-ioport-byte", 0xe8, 4);
    isa_register_ioport(&s->irq, &testdev_irq_ops, s, "pc-testdev-irq-line", 0x2000, TESTDEV_IRQS);
    memory_region_init_io(&s->iomem, &testdev_iomem_ops, s, "pc-testdev-iomem", TESTDEV_IOMEM_LEN);
    memory_region_add_subregion_overlap(address_space_memory.root, TESTDEV_IOMEM_BASE, &s->iomem, 1);
    return true;
}

static void testdev_reset(Device *dev)
{
    PCTestdev *s = DEVICE_CAST(PCTestdev, dev);
    s->data = 0;
}

static const DeviceClass testdev_class = {
    .name = "pc-testdev",
    .desc = "PC test device (QEMU's pc-testdev: scratch ports, IRQ lines, scratch MMIO)",
    .bus = BUS_ISA,
    .instance_size = sizeof(PCTestdev),
    .user_creatable = true,
    .realize = testdev_realize,
    .reset = testdev_reset,
};
DEVICE_REGISTER(testdev_class)
