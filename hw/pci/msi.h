/*
 * MSI for PCI functions (PCI Local Bus 3.0, section 6.8.1): capability 05h
 * in config space holds everything (Message Control, the message address,
 * the data and, with per-vector masking, the mask and pending bits), so
 * there is no memory region and no state outside config[].
 *
 * A device calls msi_init() in its realize and msi_notify() to signal a
 * vector.  pci.c calls msi_config_write() after every config write that
 * touches the capability (as it does for MSI-X), so a device needs no
 * config_write hook of its own for it; while MSI is enabled pci.c keeps
 * the function's INTx pin deasserted (6.8.1.3: an MSI-enabled function
 * must not use INTx), so a device may keep calling pci_set_irq() with its
 * interrupt condition.  Messages go out through the PCI bus (pci_msi_send),
 * where the machine (and later an IOMMU) decides what they are.
 */
#ifndef HW_PCI_MSI_H
#define HW_PCI_MSI_H

#include <stdbool.h>

#include "hw/pci/pci.h"

#define MSI_MAX_VECTORS 32

/* Add the capability: nvectors (1, 2, 4, 8, 16 or 32) is what Multiple
 * Message Capable requests; addr64 offers the upper address dword;
 * per_vector_mask adds the mask and pending bits.  Call once, in realize. */
void msi_init(PCIDevice *d, unsigned nvectors, bool addr64, bool per_vector_mask);
/* MSI Enable is set (false for a function without the capability). */
bool msi_enabled(PCIDevice *d);
/* Vectors software allocated (Multiple Message Enable, at most what the
 * function requested); 0 when MSI is off. */
unsigned msi_nr_vectors_allocated(PCIDevice *d);
/* Signal vector v (< nvectors of msi_init).  Ignored while MSI is off; a
 * vector beyond the allocated count folds onto them (v mod allocated); a
 * masked vector sets its pending bit and is sent when unmasked. */
void msi_notify(PCIDevice *d, unsigned v);
/* Function reset: MSI off, one vector, address, data, masks and pending
 * bits zero. */
void msi_reset(PCIDevice *d);
/* After a config write of len bytes at addr (pci.c calls it): sends the
 * pending vectors that are unmasked now. */
void msi_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len);

#endif
