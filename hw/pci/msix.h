/*
 * MSI-X for PCI functions (PCI Local Bus 3.0, section 6.8.2): a capability
 * in config space, a vector table and a pending-bit array (PBA) in memory
 * the function exposes through a BAR.  A device calls msix_init() in its
 * realize, maps msix_table_region()/msix_pba_region() into one of its
 * BARs, and signals a vector with msix_notify(); a masked vector (or a
 * masked function) only sets its pending bit, which is delivered when the
 * guest unmasks it.  Messages go out through the PCI bus (pci_msi_send).
 */
#ifndef HW_PCI_MSIX_H
#define HW_PCI_MSIX_H

#include "hw/pci/pci.h"

#define MSIX_MAX_VECTORS 2048

typedef struct MSIXState {
    PCIDevice *dev;
    unsigned nvec;
    uint8_t *table;              /* nvec * 16 bytes: addr lo, addr hi, data, control */
    uint8_t *pba;
    MemoryRegion table_mr, pba_mr;
    uint64_t sent, masked_pending;   /* counters for I/O accounting */
} MSIXState;

/* Adds the capability: table in BAR table_bar at table_off, PBA in
 * pba_bar at pba_off (both 8-byte aligned). */
void msix_init(PCIDevice *d, unsigned nvec, int table_bar, uint32_t table_off,
               int pba_bar, uint32_t pba_off);
/* Free the state (pci_device_unregister); the capability stays in config[]. */
void msix_uninit(PCIDevice *d);
MemoryRegion *msix_table_region(PCIDevice *d);
MemoryRegion *msix_pba_region(PCIDevice *d);
bool msix_enabled(PCIDevice *d);
/* Signal vector v; ignored when MSI-X is off or v is out of range. */
void msix_notify(PCIDevice *d, unsigned v);
/* Every vector masked, no pending bits (function reset). */
void msix_reset(PCIDevice *d);
/* pci.c calls this after a write to the Message Control register. */
void msix_config_changed(PCIDevice *d);

#endif
