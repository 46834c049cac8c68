/*
 * PAM shadowing (0xc0000-0xfffff) and the compatible SMRAM window
 * (0xa0000-0xbffff) of the pc host bridges (hw/pci/pam.c): the i440FX and
 * the Q35 MCH have the same registers at different offsets.  Also the
 * root PCI bus both create, with master abort under the PCI window.
 */
#ifndef HW_PCI_PAM_H
#define HW_PCI_PAM_H

#include "hw/core/memory.h"
#include "hw/pci/pci.h"

#define PAM_REGS        7       /* PAM0..PAM6 */
#define PAM_SEGMENTS    13      /* 0xf0000 (64K) and twelve 16K from 0xc0000 */

/* PAM nibble modes (bit 0 = read enable, bit 1 = write enable to DRAM). */
enum { PAM_PCI = 0, PAM_READ_RAM = 1, PAM_WRITE_RAM = 2, PAM_RAM = 3 };

#define SMRAM_D_OPEN    0x40
#define SMRAM_D_CLS     0x20
#define SMRAM_D_LCK     0x10
#define SMRAM_G_SMRAME  0x08
#define SMRAM_C_BASE_SEG 0x02
#define SMRAM_WMASK     (SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME)

typedef struct PAMState PAMState;
typedef struct PAMSegment {
    hwaddr base;
    uint64_t size;
    MemoryRegion mode[4];
    int current;
} PAMSegment;

/* Mode-2 callbacks need both the segment and the state. */
typedef struct PAMRef {
    PAMState *s;
    PAMSegment *seg;
} PAMRef;

struct PAMState {
    /* set by the bridge before pam_init: */
    MemoryRegion *system, *ram, *pci_mem;
    MemoryRegion *smram;         /* the SMM view's overlays, or NULL */
    PAMSegment pam[PAM_SEGMENTS];
    PAMRef refs[PAM_SEGMENTS];
    MemoryRegion smram_pci;      /* 0xa0000-0xbffff from PCI (VGA) unless D_OPEN */
    MemoryRegion smram_low;      /* RAM 0xa0000-0xbffff there, while G_SMRAME */
};

/* The overlays, every PAM segment showing PCI (ROM). */
void pam_init(PAMState *s);
/* Apply the seven PAM registers (pam[0..6]) and the SMRAM register. */
void pam_update(PAMState *s, const uint8_t *pam, uint8_t smram);
/* Power-on config and wmask of the PAM registers at pam0 (nibble_wmask:
 * the writable bits of each nibble) and the SMRAM register at smram. */
void pam_config_init(PCIDevice *d, unsigned pam0, uint8_t nibble_wmask, unsigned smram);
/* After a config write covering the SMRAM register at reg: C_BASE_SEG
 * hard-wired, D_LCK clears D_OPEN and locks the register until reset. */
void smram_reg_written(PCIDevice *d, unsigned reg);
/* The root bus: config mechanism #1 on 0xcf8/0xcfc, master abort (all
 * ones) under everything in pci_mem. */
PCIBus *pci_host_bus_new(MemoryRegion *pci_mem, MemoryRegion *pci_io);

#endif
