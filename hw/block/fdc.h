/*
 * Intel 82078-compatible floppy disk controller on the ISA bus ("isa-fdc",
 * 0x3f0-0x3f5 and 0x3f7, IRQ 6, DMA channel 2) with two drives, and the
 * "floppy" drive device (-device floppy,unit=N[,drive=ID]) that plugs a
 * drive into it.
 */
#ifndef HW_BLOCK_FDC_H
#define HW_BLOCK_FDC_H

#include "hw/core/device.h"

/* CMOS drive type (register 0x10 nibbles) of drive unit 0/1: 0 = none,
 * 1 = 360K, 2 = 1.2M, 3 = 720K, 4 = 1.44M, 5 = 2.88M. */
int fdc_cmos_drive_type(Device *fdc, int unit);

/* Called whenever a drive is plugged in after realize (-device floppy),
 * so the machine can update its CMOS. */
void fdc_set_drive_notify(Device *fdc, void (*fn)(void *opaque), void *opaque);

#endif
