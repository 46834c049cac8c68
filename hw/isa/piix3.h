/*
 * PIIX3 PCI-to-ISA bridge (82371SB function 0, 8086:7000) at 01.0: PIRQ
 * routing of PCI INTA-D to ISA IRQs, the ELCR (0x4d0/0x4d1) and the reset
 * control register (0xcf9).
 */
#ifndef HW_ISA_PIIX3_H
#define HW_ISA_PIIX3_H

#include "hw/core/device.h"
#include "hw/pci/pci.h"

#define PIIX_PIRQRC     0x60    /* PIRQRC[A:D] at 0x60..0x63 */

/* Create the bridge at 01.0 on bus; pic is the master/slave 8259 device
 * (for the ELCR), ISA IRQs come from isa_get_irq(). */
/* gpio out 0..3 of the returned device: PIRQA-D levels (IOAPIC pins 16-19). */
PCIDevice *piix3_init(PCIBus *bus, Device *pic);

#endif
