/*
 * The ISA side of the PC: the 16 ISA IRQ inputs (wired by the machine to
 * the 8259 pair, later also the IOAPIC) and I/O port registration.
 */
#ifndef HW_ISA_ISA_H
#define HW_ISA_ISA_H

#include "hw/core/irq.h"
#include "hw/core/memory.h"

/* Line for ISA IRQ n (0..15); valid once the machine has created the PICs. */
IRQ isa_get_irq(int n);
/* Set by the machine. */
void isa_set_irqs(IRQ *irqs /* [16] */);

/* The ISA DMA controller pair (hw/dma/i8257.h); NULL until the machine
 * created it.  The i8257 registers itself when it is realized. */
struct I8257State;
struct I8257State *isa_get_dma(void);
void isa_set_dma(struct I8257State *dma);

/* Initialise mr as an I/O region of len ports and map it at base in
 * address_space_io. */
void isa_register_ioport(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                         const char *name, uint16_t base, uint16_t len);

#endif
