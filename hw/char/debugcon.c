/*
 * isa-debugcon: a write to the port is a byte of log text (Bochs/QEMU
 * convention; SeaBIOS logs to 0x402).  Reads return 'readback' so firmware
 * can detect the port.
 */
#include "chardev/chardev.h"
#include "hw/core/device.h"
#include "hw/isa/isa.h"

typedef struct DebugconState {
    Device dev;
    uint32_t iobase;
    uint32_t readback;
    Chardev *chr;
    MemoryRegion io;
} DebugconState;

static uint64_t debugcon_read(void *opaque, hwaddr addr, unsigned size)
{
    DebugconState *s = opaque;
    return s->readback;
}

static void debugcon_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    DebugconState *s = opaque;
    uint8_t b = val;
    chardev_write(s->chr, &b, 1);
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .min_access = 1,
    .max_access = 1,
};

static bool debugcon_realize(Device *dev, GError **errp)
{
    DebugconState *s = DEVICE_CAST(DebugconState, dev);
    if (!s->chr) {
        vireo_set_error(errp, "isa-debugcon: property 'chardev' is required");
        return false;
    }
    if (s->iobase > 0xffff) {
        vireo_set_error(errp, "isa-debugcon: iobase 0x%x is out of range", s->iobase);
        return false;
    }
    isa_register_ioport(&s->io, &debugcon_ops, s, "isa-debugcon", s->iobase, 1);
    return true;
}

static const Property debugcon_props[] = {
    DEFINE_PROP("iobase", PROP_U32, DebugconState, iobase, "0xe9"),
    DEFINE_PROP("readback", PROP_U32, DebugconState, readback, "0xe9"),
    DEFINE_PROP("chardev", PROP_CHARDEV, DebugconState, chr, NULL),
    DEFINE_PROP_END,
};

static const DeviceClass debugcon_class = {
    .name = "isa-debugcon",
    .desc = "ISA debug console (port writes go to a chardev)",
    .bus = BUS_ISA,
    .instance_size = sizeof(DebugconState),
    .props = debugcon_props,
    .user_creatable = true,
    .realize = debugcon_realize,
};
DEVICE_REGISTER(debugcon_class)
