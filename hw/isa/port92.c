/*
 * System control port A (0x92): bit 1 gates A20 ("fast A20"), writing bit 0
 * as 1 resets the processor ("fast reset").
 */
#include "hw/core/device.h"
#include "hw/isa/isa.h"
#include "system/runstate.h"

typedef struct Port92State {
    Device dev;
    uint8_t val;
    IRQ a20;
    MemoryRegion io;
} Port92State;

static uint64_t port92_read(void *opaque, hwaddr addr, unsigned size)
{
    Port92State *s = opaque;
    return s->val;
}

static void port92_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Port92State *s = opaque;
    s->val = val & ~1;
    irq_set(s->a20, (val >> 1) & 1);
    if (val & 1) {
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .min_access = 1,
    .max_access = 1,
};

static bool port92_realize(Device *dev, GError **errp)
{
    Port92State *s = DEVICE_CAST(Port92State, dev);
    device_init_gpio_out(dev, &s->a20, 1);
    isa_register_ioport(&s->io, &port92_ops, s, "port92", 0x92, 1);
    return true;
}

static void port92_reset(Device *dev)
{
    Port92State *s = DEVICE_CAST(Port92State, dev);
    s->val = 0;
}

static const DeviceClass port92_class = {
    .name = "port92",
    .desc = "System control port A (fast A20 gate and reset)",
    .bus = BUS_ISA,
    .instance_size = sizeof(Port92State),
    .realize = port92_realize,
    .reset = port92_reset,
};
DEVICE_REGISTER(port92_class)
