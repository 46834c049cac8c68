/*
 * The "pc" machine (i440FX + PIIX3), as QEMU's pc machine is built.
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include <stdbool.h>
#include <stdint.h>
#include "target/x86/cpu.h"

typedef struct MachineConfig {
    uint64_t ram_size;           /* -m, bytes */
    const char *bios_path;       /* resolved path of the BIOS image */
    const char *cpu_model;       /* -cpu, NULL = default */
    int smp;                     /* number of CPUs, 1..PC_MAX_CPUS */
    const char *boot_order;      /* -boot order=, "cad" default */
    const char *boot_once;       /* -boot once=: the order for the first boot only */
    bool boot_menu;              /* -boot menu=on */
    bool boot_strict;            /* -boot strict=on: no fallback past the bootindex list */
    int boot_menu_timeout_ms;    /* splash-time, -1 = default */
    bool no_fd_bootchk;          /* -no-fd-bootchk: CMOS 0x38 bit 0, the BIOS skips the 55AA check */
    int64_t reboot_timeout_ms;   /* -boot reboot-timeout=, -1 = never retry (default) */
    bool has_uuid;
    uint8_t uuid[16];            /* -uuid, for SMBIOS/fw_cfg */
    const char *rtc_base;        /* -rtc base=: "utc" (default), "localtime" or a date */
    bool nographic;              /* tells SeaBIOS to use the serial console (etc/sercon-port) */
    bool vga;                    /* a standard VGA in slot 2 (-vga std, the default) */
    bool no_hpet;
    bool no_pit;                 /* -machine pit=off: no 8254 and no port 0x61, as QEMU */
    const char *pcspk_audiodev;  /* -machine pcspk-audiodev=ID: the speaker's -audiodev */
    bool smm;                    /* System Management Mode: SMRAM, SMI# (-machine smm=) */
    bool q35;                    /* -machine q35: Q35 MCH + ICH9 instead of i440FX + PIIX3 */
    const char *machine_version; /* "4.1" for -machine pc-q35-4.1, NULL: the newest */
    const char *kernel, *initrd, *append;   /* -kernel/-initrd/-append (x86-load.h) */
    /* Serial ports: main creates chardevs with ids "serial0".."serial3" for
     * each -serial; pc_machine_init creates an isa-serial (COM1..COM4) for
     * every one that exists. */
} MachineConfig;

/* Builds the whole machine; user errors print one line and exit 1. */
void pc_machine_init(const MachineConfig *cfg);
/* After every device exists (-device and the NICs too), before the first
 * reset: what the firmware learns about the devices as a whole (the
 * bootindex= order in fw_cfg "bootorder", the IDE disks in CMOS). */
void pc_machine_done(void);
/* Reset every device and CPU to power-on state. */
void pc_machine_reset(void);
X86CPU *pc_first_cpu(void);
/* -smp: xAPIC IDs are 8 bits and 0xff is the broadcast ID */
#define PC_MAX_CPUS 255
int pc_nr_cpus(void);
X86CPU *pc_cpu(int i);      /* NULL past the last */
/* ACPI power button (monitor "system_powerdown"): the guest decides. */
void pc_system_powerdown(void);

/*
 * An IOMMU plugs into the machine (hw/i386/intel-iommu.c calls this from
 * its realize): the root PCI bus translates DMA and MSIs through ops, the
 * I/O APIC sends its interrupts as messages through ops->remap_msi (no
 * requester id) then to the APIC bus, and the ACPI tables describe the
 * unit with dmar.  One per machine; false with *errp set otherwise.
 * Returns the bus, for the unit's own event messages
 * (pci_bus_deliver_msi).
 */
typedef struct PCIBus PCIBus;
typedef struct PCIIOMMUOps PCIIOMMUOps;
typedef struct AcpiDmarConfig AcpiDmarConfig;
PCIBus *pc_iommu_plug(const PCIIOMMUOps *ops, void *opaque, const AcpiDmarConfig *dmar,
                      GError **errp);

#endif
