/* pvpanic (hw/misc/pvpanic.c) */
#ifndef HW_MISC_PVPANIC_H
#define HW_MISC_PVPANIC_H

#include <stdint.h>

/* The I/O port of the machine's pvpanic device, 0 when there is none
 * (the ACPI tables describe it for Linux's driver). */
uint16_t pvpanic_port(void);

#endif
