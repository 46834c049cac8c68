/*
 * Q35 host bridge: the MCH (82G33 GMCH's PCI function, 8086:29c0) at 00.0
 * of the q35 machine, with PAM (0x90), SMRAM (0x9d) and PCIEXBAR (0x60),
 * which maps the PCI Express enhanced configuration space (MMCONFIG),
 * ESMRAMC (0x9e: TSEG, high SMRAM) and QEMU's F_SMBASE (0x9c).
 */
#ifndef HW_PCI_Q35_H
#define HW_PCI_Q35_H

#include "hw/core/memory.h"
#include "hw/pci/pci.h"

#define Q35_MCH_PCIEXBAR        0x60    /* 64-bit */
#define Q35_MCH_PAM0            0x90
#define Q35_MCH_SMRAM           0x9d
#define Q35_MCH_ESMRAMC         0x9e
#define Q35_PCIEXBAR_DEFAULT    0xb0000000u     /* where firmware puts it (QEMU's default) */
#define Q35_PCIEXBAR_SIZE       0x10000000u     /* 256 buses */

/* As i440fx_init (hw/pci/i440fx.h), for the q35 machine; below_4g: the
 * RAM below 4G, whose top TSEG takes. */
PCIBus *q35_host_init(MemoryRegion *system, MemoryRegion *ram, uint64_t below_4g,
                      MemoryRegion *pci_mem, MemoryRegion *pci_io, MemoryRegion *smram);

#endif
