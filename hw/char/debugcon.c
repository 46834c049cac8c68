/*
 * isa-debugcon: a write to the port is a byte of log text (Bochs/QEMU
 * convention; SeaBIOS logs to 0x402).  Reads return 'readback' so firmware
 * can detect the port.  The port has no status to make a guest wait, so
 * while the chardev refuses output (a socket client that is not reading)
 * bytes are dropped: a warning says so when it starts, and another how many
 * were lost once the chardev takes output again (CHR_EVENT_WRITABLE).
 */
#include "chardev/chardev.h"
#include "hw/core/device.h"
#include "hw/isa/isa.h"
#include "util/log.h"

#include <inttypes.h>

typedef struct DebugconState {
    Device dev;
    uint32_t iobase;
    uint32_t readback;
    Chardev *chr;
    uint64_t dropped;           /* bytes refused since the chardev filled */
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
    if (chardev_write(s->chr, &b, 1) == 0 && s->dropped++ == 0) {
        warn_report("isa-debugcon: chardev output is full (the client is not reading); "
                    "dropping debug output");
    }
}

static void debugcon_event(void *opaque, int event)
{
    DebugconState *s = opaque;
    if (event == CHR_EVENT_WRITABLE && s->dropped) {
        warn_report("isa-debugcon: %" PRIu64 " bytes of debug output were dropped", s->dropped);
        s->dropped = 0;
    }
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
    if (!chardev_set_event_handler(s->chr, debugcon_event, s, errp)) {
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
