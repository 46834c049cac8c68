/*
 * ICH9 LPC bridge (82801IB function 0 of device 31, 8086:2918) of the q35
 * machine: PIRQA-H routing, the ELCR, reset control at 0xcf9, and the
 * ACPI power management I/O block at PMBASE with SMI control.
 */
#ifndef HW_ISA_ICH9_LPC_H
#define HW_ISA_ICH9_LPC_H

#include "hw/core/device.h"
#include "hw/pci/pci.h"

#define ICH9_LPC_DEVFN          PCI_DEVFN(31, 0)
#define ICH9_LPC_PMBASE         0x40
#define ICH9_LPC_ACPI_CTRL      0x44
#define ICH9_LPC_PIRQA_ROUT     0x60    /* PIRQA-D at 0x60-0x63 */
#define ICH9_LPC_PIRQE_ROUT     0x68    /* PIRQE-H at 0x68-0x6b */
#define ICH9_LPC_RCBA           0xf0
#define ICH9_NUM_PIRQS          8

/* Offsets in the PM I/O block (ICH9 datasheet 13.8.3). */
#define ICH9_PMIO_SIZE          0x80
#define ICH9_PMIO_GPE0          0x20
#define ICH9_PMIO_GPE0_LEN      16
#define ICH9_PMIO_SMI_EN        0x30
#define ICH9_PMIO_SMI_STS       0x34
#define ICH9_SMI_EN_GBL_SMI_EN  (1u << 0)
#define ICH9_SMI_EN_APMC_EN     (1u << 5)
#define ICH9_SMI_STS_APM_STS    (1u << 5)

/* QEMU's q35 FADT: ACPI_ENABLE/ACPI_DISABLE written to APM_CNT (0xb2). */
#define ICH9_APM_ACPI_ENABLE    0x02
#define ICH9_APM_ACPI_DISABLE   0x03

/* Create the bridge at 00:1f.0.  pic: the 8259 pair (ELCR); smi: SMI#
 * (NULL: no SMM, SMI_EN.APMC_EN then reads set, so firmware leaves SMM
 * alone).  Its gpio outs 0..7 carry PIRQA-H as they are, for IOAPIC pins
 * 16-23. */
PCIDevice *ich9_lpc_init(PCIBus *bus, Device *pic, IRQ smi);
/* The power button was pressed (monitor system_powerdown). */
void ich9_lpc_power_button(PCIDevice *lpc);

#endif
