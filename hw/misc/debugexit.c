/*
 * isa-debug-exit: a write of value v makes the emulator exit with status
 * (v << 1) | 1, QEMU's convention, so a test kernel can report pass/fail
 * (status 0 stays reserved for a clean shutdown).
 */
#include "hw/core/device.h"
#include "hw/isa/isa.h"
#include "system/runstate.h"

typedef struct DebugExitState {
    Device dev;
    uint32_t iobase, iosize;
    MemoryRegion io;
} DebugExitState;

static uint64_t debugexit_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void debugexit_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    /* the shell sees the low 8 bits, as with QEMU */
    system_exit_now((int)(((val << 1) | 1) & 0xff));
}

static const MemoryRegionOps debugexit_ops = {
    .read = debugexit_read,
    .write = debugexit_write,
    .min_access = 1,
    .max_access = 4,
};

static bool debugexit_realize(Device *dev, GError **errp)
{
    DebugExitState *s = DEVICE_CAST(DebugExitState, dev);
    if (s->iosize < 1 || s->iosize > 4 || s->iobase > 0x10000 - s->iosize) {
        vireo_set_error(errp, "isa-debug-exit: iobase 0x%x/iosize %u out of range",
                        s->iobase, s->iosize);
        return false;
    }
    isa_register_ioport(&s->io, &debugexit_ops, s, "isa-debug-exit", s->iobase, s->iosize);
    return true;
}

static const Property debugexit_props[] = {
    DEFINE_PROP("iobase", PROP_U32, DebugExitState, iobase, "0x501"),
    DEFINE_PROP("iosize", PROP_U32, DebugExitState, iosize, "0x02"),
    DEFINE_PROP_END,
};

static const DeviceClass debugexit_class = {
    .name = "isa-debug-exit",
    .desc = "ISA debug exit device (guest-controlled exit status)",
    .bus = BUS_ISA,
    .instance_size = sizeof(DebugExitState),
    .props = debugexit_props,
    .user_creatable = true,
    .realize = debugexit_realize,
};
DEVICE_REGISTER(debugexit_class)
