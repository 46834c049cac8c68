/* The PIIX3 IDE function, as the pc machine creates it (hw/ide/piix.c). */
#ifndef HW_IDE_PIIX_H
#define HW_IDE_PIIX_H

/* After creating "piix3-ide": give it every -drive if=ide (-hda, -cdrom ...). */
void piix_ide_attach_drives(void);

#endif
