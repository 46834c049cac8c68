/*
 * ACPI fixed hardware of the pc machine: the PIIX4 power-management
 * function (hw/acpi/piix4_pm.c) and the register layout the ACPI tables
 * (hw/i386/acpi-build.c) describe.  One header so the tables and the
 * device can never disagree.
 */
#ifndef HW_ACPI_ACPI_H
#define HW_ACPI_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/irq.h"

/* Where SeaBIOS puts the PM I/O block once etc/table-loader exists (it
 * programs PMBA itself; the FADT must agree). */
#define ACPI_PM_BASE            0x600
#define ACPI_PM_IO_SIZE         0x40
#define ACPI_SCI_IRQ            9

/* Offsets in the PM I/O block (82371AB datasheet, section 11.7). */
#define ACPI_PM1_STS            0x00
#define ACPI_PM1_EN             0x02
#define ACPI_PM1_CNT            0x04
#define ACPI_PM_TMR             0x08
#define ACPI_PM1_EVT_LEN        4
#define ACPI_PM1_CNT_LEN        2
#define ACPI_PM_TMR_LEN         4

/* PM1_STS / PM1_EN bits (ACPI spec 4.8.3.1). */
#define ACPI_BITMASK_TIMER      0x0001
#define ACPI_BITMASK_BM         0x0010
#define ACPI_BITMASK_GBL        0x0020
#define ACPI_BITMASK_PWRBTN     0x0100
#define ACPI_BITMASK_RTC        0x0400
#define ACPI_BITMASK_WAK        0x8000

/* PM1_CNT bits (ACPI spec 4.8.3.2). */
#define ACPI_PM1_CNT_SCI_EN     0x0001
#define ACPI_PM1_CNT_BM_RLD     0x0002
#define ACPI_PM1_CNT_GBL_RLS    0x0004
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP    (7 << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN     0x2000

/* SLP_TYP values this machine decodes; \_S5 in the DSDT uses them. */
#define ACPI_SLP_TYP_S5         0

/* The PM timer: 3.579545 MHz, 24 bits (TMR_VAL_EXT clear in the FADT). */
#define ACPI_PM_TIMER_FREQ      3579545
#define ACPI_PM_TIMER_BITS      24

/* GPE0 block (status then enable, 2 bytes each), where QEMU's pc has it. */
#define ACPI_GPE0_BASE          0xafe0
#define ACPI_GPE0_LEN           4

/* ACPI PCI hot-plug registers of the pc machine, where QEMU's PIIX4 has
 * them (dword registers, slot bitmaps of bus 0): UP, slots with a device
 * added; DOWN, slots whose device the host wants removed; EJ, write a
 * slot's bit to eject it; RMV, slots whose device may be removed; SEL, the
 * bus (0 only).  An event sets GPE0 status bit 1; the DSDT's \_GPE._E01
 * notifies the slot devices (hw/i386/acpi-build.c). */
#define ACPI_PCIHP_BASE         0xae00
#define ACPI_PCIHP_LEN          0x14
#define ACPI_PCIHP_UP           0x00
#define ACPI_PCIHP_DOWN         0x04
#define ACPI_PCIHP_EJ           0x08
#define ACPI_PCIHP_RMV          0x0c
#define ACPI_PCIHP_SEL          0x10
#define ACPI_GPE_PCI_HOTPLUG    1

/* APM control/status ports; the FADT's SMI_CMD and its enable values. */
#define ACPI_APM_CNT_PORT       0xb2
#define ACPI_APM_STS_PORT       0xb3
#define ACPI_ENABLE_VALUE       0xf1
#define ACPI_DISABLE_VALUE      0xf0

/* Fixed addresses of the interrupt controllers and HPET (hw/intc, hw/timer). */
#define ACPI_LAPIC_BASE         0xfee00000u
#define ACPI_IOAPIC_BASE        0xfec00000u
#define ACPI_HPET_BASE          0xfed00000u

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;
typedef struct Timer Timer;

/*
 * The ACPI fixed hardware both chipsets share (hw/acpi/acpi-pm.c): PM1
 * event and control registers, the PM timer and a GPE0 block, with the
 * SCI they raise.  The PIIX4 PM function and the ICH9 LPC bridge embed
 * one and map its registers where their datasheets put them.
 */
#define ACPI_GPE0_MAX_LEN       16      /* ICH9: 8 bytes of status, 8 of enable */
typedef struct AcpiPM {
    IRQ sci;
    const char *owner;          /* for logs */
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    unsigned gpe_len;           /* GPE0 block length: status half, then enable half */
    uint8_t gpe_sts[ACPI_GPE0_MAX_LEN / 2], gpe_en[ACPI_GPE0_MAX_LEN / 2];
    Timer *tmr_timer;
    int64_t tmr_next_ns;        /* when bit 23 of the timer next changes */
    bool sci_level;
} AcpiPM;

void acpi_pm_init(AcpiPM *pm, IRQ sci, unsigned gpe_len, const char *owner);
void acpi_pm_reset(AcpiPM *pm);
/* Re-evaluate SCI (and the timer's wake-up) after a state change. */
void acpi_pm_update_sci(AcpiPM *pm);
/* PM1_STS .. PM_TMR (offsets 0 .. 0x0b of a PM I/O block), byte-wise:
 * the owner maps the block and handles its other registers. */
bool acpi_pm1_owns(unsigned off);
uint64_t acpi_pm1_read(AcpiPM *pm, unsigned off, unsigned size);
void acpi_pm1_write(AcpiPM *pm, unsigned off, uint64_t val, unsigned size);
/* The GPE0 block: off within it. */
uint64_t acpi_gpe_read(AcpiPM *pm, unsigned off, unsigned size);
void acpi_gpe_write(AcpiPM *pm, unsigned off, uint64_t val, unsigned size);
/* Raise GPE0 status bit n (an event: SCI when enabled). */
void acpi_gpe_event(AcpiPM *pm, unsigned n);
void acpi_pm_power_button(AcpiPM *pm);
void acpi_pm_set_sci_en(AcpiPM *pm, bool on);

/* Create the PIIX4 PM function at 00:01.3 driving sci (normally ISA IRQ 9).
 * smi is the SMI# line (pulsed by APM commands to port 0xb2 while
 * DEVACTB.APMC_EN is set); NULL for a machine without SMM, whose firmware
 * then finds APMC_EN already set and leaves SMM alone. */
PCIDevice *piix4_pm_init(PCIBus *bus, IRQ sci, IRQ smi);
/* The power button was pressed (monitor system_powerdown): PWRBTN_STS. */
void piix4_pm_power_button(PCIDevice *pm);

#endif
