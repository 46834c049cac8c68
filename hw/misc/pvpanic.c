/*
 * pvpanic (ISA): QEMU's paravirtual panic notifier, I/O port 0x505 by
 * default.  A read returns the events the device reports (bit 0 PANICKED,
 * bit 1 CRASH_LOADED); a write of bit 0 says the guest kernel panicked,
 * bit 1 that it loaded a crash kernel.  Linux's pvpanic driver finds the
 * port through the ACPI device QEMU0001 the machine describes
 * (hw/i386/acpi-build.c).  What a panic does is -action panic=
 * (system/runstate.c).
 */
#include "hw/misc/pvpanic.h"

#include <string.h>

#include "hw/core/device.h"
#include "hw/isa/isa.h"
#include "monitor/monitor.h"
#include "system/runstate.h"
#include "util/error.h"

#define PVPANIC_PANICKED     1
#define PVPANIC_CRASH_LOADED 2

typedef struct PVPanicState {
    Device dev;
    uint32_t ioport;
    uint8_t events;
    MemoryRegion io;
} PVPanicState;

static uint64_t pvpanic_read(void *opaque, hwaddr addr, unsigned size)
{
    return ((PVPanicState *)opaque)->events;
}

static void pvpanic_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PVPanicState *s = opaque;
    val &= s->events;
    if (val & PVPANIC_PANICKED) {
        system_guest_panicked();
    } else if (val & PVPANIC_CRASH_LOADED) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "action", "run");
        qmp_event_send("GUEST_CRASHLOADED", o);
    }
}

static const MemoryRegionOps pvpanic_ops = {
    .read = pvpanic_read,
    .write = pvpanic_write,
    .min_access = 1,
    .max_access = 1,
};

static bool pvpanic_realize(Device *dev, GError **errp)
{
    PVPanicState *s = DEVICE_CAST(PVPanicState, dev);
    if (s->ioport < 1 || s->ioport > 0xffff) {
        vireo_set_error(errp, "pvpanic: ioport 0x%x out of range (1 to 0xffff)", s->ioport);
        return false;
    }
    if (s->events & ~(PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)) {
        vireo_set_error(errp, "pvpanic: events 0x%x: only bits 0 and 1 exist", s->events);
        return false;
    }
    isa_register_ioport(&s->io, &pvpanic_ops, s, "pvpanic", s->ioport, 1);
    return true;
}

static void find_pvpanic(Device *dev, void *opaque)
{
    if (!strcmp(dev->cls->name, "pvpanic")) {
        *(uint16_t *)opaque = DEVICE_CAST(PVPanicState, dev)->ioport;
    }
}

uint16_t pvpanic_port(void)
{
    uint16_t port = 0;
    device_foreach(find_pvpanic, &port);
    return port;
}

static const Property pvpanic_props[] = {
    DEFINE_PROP("ioport", PROP_U32, PVPanicState, ioport, "0x505"),
    DEFINE_PROP("events", PROP_U8, PVPanicState, events, "3"),
    DEFINE_PROP_END,
};

static const DeviceClass pvpanic_class = {
    .name = "pvpanic",
    .desc = "pvpanic device (guest panic notification)",
    .bus = BUS_ISA,
    .instance_size = sizeof(PVPanicState),
    .props = pvpanic_props,
    .user_creatable = true,
    .realize = pvpanic_realize,
};
DEVICE_REGISTER(pvpanic_class)
