/*
 * The ISA side of the PC: IRQ lines and the DMA controller handed out to
 * ISA devices, and the helper that maps a device's ports into the I/O address space.
 */
#include "hw/isa/isa.h"

#include <stddef.h>

#include "util/log.h"

/* Filled by the machine once the PICs exist; devices created before that
 * would get NULL lines, which irq_set() tolerates. */
static IRQ isa_irqs[16];

IRQ isa_get_irq(int n)
{
    if (n < 0 || n >= 16) {
        return NULL;
    }
    return isa_irqs[n];
}

void isa_set_irqs(IRQ *irqs)
{
    for (int i = 0; i < 16; i++) {
        isa_irqs[i] = irqs ? irqs[i] : NULL;
    }
}

static struct I8257State *isa_dma;

struct I8257State *isa_get_dma(void)
{
    return isa_dma;
}

void isa_set_dma(struct I8257State *dma)
{
    isa_dma = dma;
}

void isa_register_ioport(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                         const char *name, uint16_t base, uint16_t len)
{
    memory_region_init_io(mr, ops, opaque, name, len);
    memory_region_add_subregion(address_space_io.root, base, mr);
}
