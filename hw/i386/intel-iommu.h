/*
 * Intel VT-d remapping hardware unit, "-device intel-iommu" (Intel
 * Virtualization Technology for Directed I/O Architecture Specification):
 * DMA remapping in legacy mode (root and context tables, 3- or 4-level
 * second-level page tables, pass-through), interrupt remapping (IRTEs
 * for PCI MSIs and the I/O APIC's remappable-format entries), queued and
 * register-based invalidation, primary fault recording with one fault
 * recording register, as QEMU's intel-iommu device presents them.
 *
 * The device plugs itself into the machine at realize (pc_iommu_plug):
 * the root PCI bus translates DMA and MSIs through it, the I/O APIC sends
 * its messages through it, and the ACPI tables get a DMAR table.
 */
#ifndef HW_I386_INTEL_IOMMU_H
#define HW_I386_INTEL_IOMMU_H

/* Where QEMU's q35 puts the unit (and kvm-unit-tests looks for it). */
#define VTD_MMIO_BASE           0xfed90000ull
#define VTD_MMIO_SIZE           0x1000
/* The I/O APIC's source id in the DMAR device scope: QEMU's pseudo
 * bus/devfn ff:00.0 for the platform IOAPIC. */
#define VTD_IOAPIC_BUS          0xff
#define VTD_IOAPIC_DEVFN        0x00
#define VTD_IOAPIC_SID          ((VTD_IOAPIC_BUS << 8) | VTD_IOAPIC_DEVFN)

#endif
