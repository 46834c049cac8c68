/* ELCR1/ELCR2 at 0x4d0/0x4d1 (see elcr.h). */
#include "hw/isa/elcr.h"

#include "hw/intc/i8259.h"
#include "hw/isa/isa.h"

static const uint8_t elcr_mask[2] = { 0xf8, 0xde };

static uint64_t elcr_read(void *opaque, hwaddr addr, unsigned size)
{
    ELCRState *s = opaque;
    return s->elcr[addr & 1];
}

static void elcr_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ELCRState *s = opaque;
    s->elcr[addr & 1] = val & elcr_mask[addr & 1];
    if (s->pic) {
        i8259_set_elcr(s->pic, s->elcr[0] | (s->elcr[1] << 8));
    }
}

static const MemoryRegionOps elcr_ops = {
    .read = elcr_read,
    .write = elcr_write,
    .min_access = 1,
    .max_access = 1,
};

void elcr_reset(ELCRState *s)
{
    s->elcr[0] = s->elcr[1] = 0;
    if (s->pic) {
        i8259_set_elcr(s->pic, 0);
    }
}

void elcr_init(ELCRState *s, Device *pic)
{
    s->pic = pic;
    isa_register_ioport(&s->io, &elcr_ops, s, "elcr", 0x4d0, 2);
}
