/* The 8259A pair (master at 0x20, slave at 0xa0) as one device "i8259".
 * gpio in 0..15: ISA IRQ lines; gpio out 0: INTR to the CPU. */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include <stdint.h>
#include "hw/core/device.h"

/* INTA cycle: returns the vector to deliver (spurious IRQ7/15 if none). */
int i8259_read_irq(Device *pic);
/* Edge/level per IRQ (PIIX3 ELCR at 0x4d0/0x4d1): bit n set = level. */
void i8259_set_elcr(Device *pic, uint16_t elcr);
/* For "info pic"/"info irq": one line per chip. */
void i8259_print_info(Device *pic, GString *out);

#endif
