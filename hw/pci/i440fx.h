/*
 * i440FX PCI and memory controller (82441FX, 8086:1237) at 00.0: the host
 * bridge of the pc machine.  It owns the PAM shadowing of 0xc0000-0xfffff
 * and the SMRAM window at 0xa0000-0xbffff.
 */
#ifndef HW_PCI_I440FX_H
#define HW_PCI_I440FX_H

#include "hw/core/memory.h"
#include "hw/pci/pci.h"

#define I440FX_PAM0         0x59    /* PAM0..PAM6 at 0x59..0x5f */
#define I440FX_PAM_REGS     7
#define I440FX_SMRAM        0x72

/*
 * Create the PCI bus (config mechanism #1 on 0xcf8/0xcfc) and the host
 * bridge at 00.0.
 *   system:  the root of address_space_memory; PAM/SMRAM overlays go here
 *   ram:     the whole guest RAM (offset == guest physical address below 1M)
 *   pci_mem: the PCI memory container the machine maps behind RAM (BARs,
 *            pc.rom, isa-bios); what PAM mode 0 shows
 *   pci_io:  where I/O BARs go (NULL = address_space_io root)
 *   smram:   the overlays of the CPUs' SMM view of memory
 *            (address_space_init_memory_view): SMRAM appears there while
 *            G_SMRAME is set.  NULL: a machine without SMM (the register
 *            is then D_OPEN alone, as far as memory goes).
 */
PCIBus *i440fx_init(MemoryRegion *system, MemoryRegion *ram, MemoryRegion *pci_mem,
                    MemoryRegion *pci_io, MemoryRegion *smram);

#endif
