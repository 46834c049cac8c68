/*
 * ACPI tables of the pc machine, built in C at machine creation and handed
 * to the firmware through fw_cfg as QEMU does: etc/acpi/tables (FACS, DSDT,
 * FADT, MADT, HPET, MCFG (q35), RSDT in one blob), etc/acpi/rsdp, and etc/table-loader
 * which tells the firmware where to put them and how to link them.
 */
#ifndef HW_I386_ACPI_BUILD_H
#define HW_I386_ACPI_BUILD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define ACPI_BUILD_TABLE_FILE   "etc/acpi/tables"
#define ACPI_BUILD_RSDP_FILE    "etc/acpi/rsdp"
#define ACPI_BUILD_LOADER_FILE  "etc/table-loader"

/* A VT-d remapping unit (VT-d spec ch. 8: DMAR table, one DRHD covering
 * every PCI device of segment 0, with the I/O APIC in its scope). */
typedef struct AcpiDmarConfig {
    bool present;
    uint64_t base;                 /* register base address */
    uint8_t aw_bits;               /* host address width + 1 */
    bool intremap;                 /* DMAR flags: INTR_REMAP */
    uint8_t ioapic_id;             /* the MADT's I/O APIC id */
    uint16_t ioapic_sid;           /* its source id (bus << 8 | devfn) */
} AcpiDmarConfig;

typedef struct AcpiBuildConfig {
    uint64_t below_4g, above_4g;   /* RAM split: the PCI windows follow it */
    int cpus;
    bool hpet;
    bool serial[4];                /* COM1..COM4 present */
    bool parallel;                 /* LPT1 present */
    bool fdc;                      /* the floppy controller (0x3f0, IRQ 6, DMA 2) */
    uint16_t pvpanic_port;         /* the pvpanic device's port, 0: none */
    uint32_t pci_hotplug_slots;    /* bus 0 slots with ACPI hot-plug (bit n: slot n), 0: none */
    bool q35;                      /* Q35 + ICH9: PCIe root (MCFG), LPC at 1f.0, PIRQA-H */
    AcpiDmarConfig dmar;           /* -device intel-iommu */
} AcpiBuildConfig;

typedef struct AcpiBuildTables {
    GByteArray *tables, *rsdp, *loader;
} AcpiBuildTables;

void acpi_build(const AcpiBuildConfig *cfg, AcpiBuildTables *out);
void acpi_build_tables_free(AcpiBuildTables *t);

typedef struct FWCfgState FWCfgState;
/* Build and publish the three fw_cfg files. */
void acpi_setup(FWCfgState *s, const AcpiBuildConfig *cfg);

#endif
