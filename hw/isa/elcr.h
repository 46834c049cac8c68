/*
 * The edge/level control registers of the two 8259s at I/O 0x4d0/0x4d1
 * (82371SB and ICH9 datasheets: one bit per IRQ, 1 = level; IRQ 0, 1, 2,
 * 8 and 13 are always edge).  The south bridge that has them (PIIX3 on
 * pc, the ICH9 LPC bridge on q35) embeds one.
 */
#ifndef HW_ISA_ELCR_H
#define HW_ISA_ELCR_H

#include "hw/core/device.h"
#include "hw/core/memory.h"

typedef struct ELCRState {
    Device *pic;
    uint8_t elcr[2];
    MemoryRegion io;
} ELCRState;

void elcr_init(ELCRState *s, Device *pic);
void elcr_reset(ELCRState *s);

#endif
