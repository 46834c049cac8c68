/* The PIIX3 IDE function, as the pc machine creates it (hw/ide/piix.c). */
#ifndef HW_IDE_PIIX_H
#define HW_IDE_PIIX_H

#include <stdbool.h>

/* After creating "piix3-ide": give it every -drive if=ide (-hda, -cdrom ...). */
void piix_ide_attach_drives(void);

/* The hard disk at ide.<bus> unit <unit>: its geometry and the BIOS CHS
 * translation (0 none, 1 LBA, 2 large), for the CMOS; false for no disk
 * (or a CD-ROM).  From hw/ide/core.c. */
bool ide_get_geometry(int bus, int unit, unsigned *cyls, unsigned *heads, unsigned *secs,
                      int *trans);

#endif
