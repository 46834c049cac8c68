/*
 * The "pc" machine: i440FX + PIIX3 with the classic ISA devices, laid out
 * as QEMU's pc machine is, so SeaBIOS finds what it expects.
 *
 * Memory map (system memory root):
 *   0 .. below_4g           "ram-below-4g"  alias of pc.ram        prio 0
 *   0xa0000 .. 0xbffff      SMRAM/VGA window (i440FX)               prio 1
 *   0xc0000 .. 0xfffff      PAM overlays (i440FX)                   prio 1
 *   4G .. 4G + above_4g     "ram-above-4g"  alias of pc.ram        prio 0
 *   everything else         "pci-hole"      alias of pci-memory    prio -1
 * pci-memory holds the BARs, pc.rom at 0xc0000, pc.bios at 4G - size and
 * isa-bios (its last 128K) at 0xe0000.
 *
 * With SMM (-machine smm=on, the default under TCG) the CPUs have a second
 * view of that memory, "memory-smm", used while they are in System
 * Management Mode: the i440FX shows SMRAM there (RAM at 0xa0000-0xbffff)
 * while G_SMRAME is set.  SMI# from the PIIX4's APM port goes to the first
 * CPU, as on QEMU's pc; SMI IPIs go through the local APICs.
 */
#include "hw/audio/pcspk.h"
#include "hw/i386/pc.h"
#include "block/block.h"
#include "hw/core/bootdevice.h"
#include "hw/ide/piix.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "block/blockdev.h"
#include "util/keyval.h"
#include "chardev/chardev.h"
#include "hw/block/fdc.h"
#include "hw/acpi/acpi.h"
#include "hw/i386/acpi-build.h"
#include "hw/misc/pvpanic.h"
#include "hw/i386/x86-load.h"
#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/intc/apic.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/isa/isa.h"
#include "hw/isa/piix3.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/q35.h"
#include "hw/isa/ich9-lpc.h"
#include "hw/pci/pci.h"
#include "hw/timer/hpet.h"
#include "hw/timer/mc146818rtc.h"
#include "target/x86/x87.h"
#include "util/file.h"
#include "util/log.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

#define PC_PCI_MEM_SIZE     (1ull << 40)    /* as far as the CPU can address */
#define PC_ISA_BIOS_MAX     (128 * KiB)
#define PC_BIOS_MAX         (16 * MiB)

/* e820 types */
#define E820_RAM            1
#define E820_RESERVED       2

typedef struct PCMachine {
    X86CPU *cpu;                /* the BSP, cpus[0] */
    X86CPU *cpus[PC_MAX_CPUS];
    Device *apics[PC_MAX_CPUS];
    int ncpus;
    Device *pic, *rtc;
    Device *fdc;
    Device *apic, *ioapic, *hpet;   /* apic: the BSP's */
    IRQ pic_in[16], ioapic_in[IOAPIC_NUM_PINS];
    uint16_t isa_dev_levels;   /* levels ISA devices drive, by IRQ */
    const char *boot_order_after_once;   /* -boot once=: order= for later boots */
    bool booted_once;          /* the power-on reset is done */
    bool machine_done;         /* pc_machine_done ran: fw_cfg's boot files exist */
    bool q35;                  /* Q35 + ICH9 (pm is the LPC bridge) */
    bool boot_strict;          /* -boot strict=on */
    bool hpet_legacy;          /* HPET legacy replacement: PIT/RTC lines cut */
    PCIBus *pci_bus;
    const PCIIOMMUOps *iommu;   /* -device intel-iommu, when there is one */
    void *iommu_opaque;
    PCIDevice *pm;
    FWCfgState *fw_cfg;
    uint64_t below_4g, above_4g;
    bool a20_kbc, a20_port92;
    MemoryRegion ram, ram_below_4g, ram_above_4g;
    MemoryRegion pci_mem, pci_hole;
    MemoryRegion bios, isa_bios, option_rom;
    MemoryRegion ferr_io;
    AddressSpace smm_as;        /* the CPUs' view of memory in SMM */
    MemoryRegion smram;         /* its overlays: the chipset's SMRAM */
} PCMachine;

/* MSI/MSI-X messages from PCI functions are writes to 0xfeexxxxx: the
 * address carries the destination, the data the vector and delivery mode
 * (Intel SDM vol. 3, 11.11). */
static bool pc_msi_deliver(void *opaque, uint64_t addr, uint32_t data)
{
    if ((addr & 0xfff00000) != 0xfee00000) {
        return false;
    }
    apic_bus_deliver((addr >> 12) & 0xff, addr & (1u << 2), (data >> 8) & 7, data & 0xff,
                     data & (1u << 15));
    return true;
}

static PCMachine pc;
/* ACPI is built when every device exists (pc_machine_done): the -device
 * ones (pvpanic) are described too */
static AcpiBuildConfig pc_acfg;

X86CPU *pc_first_cpu(void)
{
    return pc.cpu;
}

int pc_nr_cpus(void)
{
    return pc.ncpus;
}

X86CPU *pc_cpu(int i)
{
    return i >= 0 && i < pc.ncpus ? pc.cpus[i] : NULL;
}

/* ---- CPU wiring ---- */

static int pc_pic_ack(void *opaque)
{
    return i8259_read_irq(pc.pic);
}

/* INTA goes to the CPU's local APIC, which hands it to the 8259 for ExtINT. */
static int pc_intr_ack(void *opaque)
{
    return apic_get_interrupt(opaque, pc_pic_ack, NULL);
}

static void pc_cpu_intr(void *opaque, int n, int level)
{
    x86_cpu_set_intr(pc.cpus[n], level);
}

/* The 8259's INTR reaches every CPU's LINT0 (the APs' LINT0 is masked
 * unless software programs it), as on QEMU's pc. */
static void pc_pic_intr(void *opaque, int n, int level)
{
    for (int i = 0; i < pc.ncpus; i++) {
        apic_set_pic_intr(pc.apics[i], level);
    }
}

/* SMI# from the chipset (the APM control port) reaches the first CPU, as
 * QEMU's pc wires it */
static void pc_smi(void *opaque, int n, int level)
{
    if (level) {
        x86_cpu_smi(pc.cpu);
    }
}

static void pc_set_a20_all(void)
{
    for (int i = 0; i < pc.ncpus; i++) {
        x86_cpu_set_a20(pc.cpus[i], pc.a20_kbc || pc.a20_port92);
    }
}

/*
 * Interrupt routing as on QEMU's pc: ISA IRQ n goes to 8259 input n and
 * to IOAPIC input n.  IRQ0 (the PIT) ends up on IOAPIC pin 2 (the MADT's
 * interrupt source override), but as in QEMU the IOAPIC model applies that
 * override itself (ioapic.c), so the line into it keeps the ISA number and
 * qtest's "irq_intercept_in ioapic" reports the PIT as IRQ 0.
 */
static void pc_isa_irq_out(int n, int level)
{
    irq_set(pc.pic_in[n], level);
    irq_set(pc.ioapic_in[n], level);
}

/* Lines from ISA devices: while the HPET's legacy replacement is on, the
 * PIT (IRQ0) and the RTC (IRQ8) are disconnected, as the chipset does. */
static bool pc_isa_irq_cut(int n)
{
    return pc.hpet_legacy && (n == 0 || n == 8);
}

static void pc_isa_dev_irq(void *opaque, int n, int level)
{
    if (level) {
        pc.isa_dev_levels |= 1u << n;
    } else {
        pc.isa_dev_levels &= ~(1u << n);
    }
    if (!pc_isa_irq_cut(n)) {
        pc_isa_irq_out(n, level);
    }
}

/* HPET legacy outputs: 0 = timer 0 on IRQ0, 1 = timer 1 on IRQ8. */
static void pc_hpet_legacy_irq(void *opaque, int n, int level)
{
    pc_isa_irq_out(n == 0 ? 0 : 8, level);
}

static void pc_hpet_legacy_on(void *opaque, int n, int level)
{
    if (pc.hpet_legacy == !!level) {
        return;
    }
    pc.hpet_legacy = level;
    /* hand IRQ0/IRQ8 back to the PIT/RTC at their present levels */
    if (!level) {
        pc_isa_irq_out(0, pc.isa_dev_levels & 1);
        pc_isa_irq_out(8, (pc.isa_dev_levels >> 8) & 1);
    }
}

static void pc_ioapic_direct(void *opaque, int n, int level)
{
    irq_set(pc.ioapic_in[n], level);
}

static void pc_interrupts_init(const MachineConfig *cfg)
{
    pc.pic = device_create("i8259", "");
    pc.ioapic = device_create("ioapic", "");
    for (int i = 0; i < 16; i++) {
        pc.pic_in[i] = device_get_gpio_in(pc.pic, i);
    }
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        pc.ioapic_in[i] = device_get_gpio_in(pc.ioapic, i);
    }
    IRQ *isa_irqs = irq_new_array(pc_isa_dev_irq, NULL, 16);
    isa_set_irqs(isa_irqs);
    /* isa_set_irqs copied the lines: a lost array would fail every ASan
     * run at exit (LeakSanitizer) */
    g_free(isa_irqs);

    /* one local APIC per CPU, APIC ID = CPU index (the MADT says so too) */
    for (int i = 0; i < pc.ncpus; i++) {
        char opts[16];
        g_snprintf(opts, sizeof(opts), "id=%d", i);
        pc.apics[i] = device_create("apic", opts);
        apic_attach_cpu(pc.apics[i], pc.cpus[i]);
        device_connect_gpio_out(pc.apics[i], 0, irq_new(pc_cpu_intr, NULL, i));
        pc.cpus[i]->intr_ack = pc_intr_ack;
        pc.cpus[i]->intr_opaque = pc.apics[i];
    }
    pc.apic = pc.apics[0];
    device_connect_gpio_out(pc.pic, 0, irq_new(pc_pic_intr, NULL, 0));

    if (!cfg->no_hpet) {
        pc.hpet = device_create("hpet", "");
        for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
            device_connect_gpio_out(pc.hpet, i, irq_new(pc_ioapic_direct, NULL, i));
        }
        device_connect_gpio_out(pc.hpet, HPET_OUT_LEGACY_IRQ0, irq_new(pc_hpet_legacy_irq, NULL, 0));
        device_connect_gpio_out(pc.hpet, HPET_OUT_LEGACY_IRQ8, irq_new(pc_hpet_legacy_irq, NULL, 1));
        device_connect_gpio_out(pc.hpet, HPET_OUT_LEGACY_ON, irq_new(pc_hpet_legacy_on, NULL, 0));
    }
}

/*
 * On PC chipsets A20 is enabled when either the keyboard controller's
 * output port or port 0x92 ("fast A20") enables it: the two gates are ORed
 * before A20M#.  OS code that enables one and leaves the other alone
 * relies on that.
 */
static void pc_a20(void *opaque, int n, int level)
{
    if (n == 0) {
        pc.a20_kbc = level;
    } else {
        pc.a20_port92 = level;
    }
    pc_set_a20_all();
}

/*
 * FERR#: with CR0.NE = 0 an unmasked x87 exception drives FERR#, which the
 * PC chipset latches onto IRQ 13; a write to port 0xF0 (IGNNE#) clears the
 * latch.  This is the DOS-compatible error reporting older kernels use.
 */
static void pc_ferr(CPUX86State *env)
{
    irq_raise(isa_get_irq(13));
}

static uint64_t pc_ferr_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0xff;
}

static void pc_ferr_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    irq_lower(isa_get_irq(13));
}

static const MemoryRegionOps pc_ferr_ops = {
    .read = pc_ferr_read,
    .write = pc_ferr_write,
};

/* ---- memory ---- */

/* QEMU's pc split: all RAM below 4G up to 3.5G; beyond that, 3G below
 * and the rest above 4G (gigabyte aligned). */
static void pc_split_ram(uint64_t ram_size, bool q35)
{
    uint64_t lowmem = 0xe0000000ull;
    if (q35) {
        /* QEMU's q35: below MMCONFIG (0xb0000000); from 2.75G, 2G below */
        lowmem = ram_size >= Q35_PCIEXBAR_DEFAULT ? 0x80000000ull : Q35_PCIEXBAR_DEFAULT;
    } else if (ram_size >= lowmem) {
        lowmem = 0xc0000000ull;
    }
    pc.below_4g = MIN(ram_size, lowmem);
    pc.above_4g = ram_size - pc.below_4g;
}

static void pc_memory_init(const MachineConfig *cfg)
{
    MemoryRegion *system = address_space_memory.root;

    if (cfg->ram_size < 1 * MiB) {
        fatal("RAM size too small (minimum 1M)");
    }
    pc_split_ram(cfg->ram_size, cfg->q35);
    if (4 * GiB + pc.above_4g > PC_PCI_MEM_SIZE) {
        fatal("RAM size too large");
    }

    memory_region_init_ram(&pc.ram, "pc.ram", cfg->ram_size);
    memory_region_init_alias(&pc.ram_below_4g, "ram-below-4g", &pc.ram, 0, pc.below_4g);
    memory_region_add_subregion(system, 0, &pc.ram_below_4g);
    if (pc.above_4g) {
        memory_region_init_alias(&pc.ram_above_4g, "ram-above-4g", &pc.ram, pc.below_4g,
                                 pc.above_4g);
        memory_region_add_subregion(system, 4 * GiB, &pc.ram_above_4g);
    }

    /* Whatever RAM does not cover decodes to PCI (subtractively, on the
     * real chipset): the 32-bit hole, the VGA window, the BIOS flash. */
    memory_region_init_container(&pc.pci_mem, "pci-memory", PC_PCI_MEM_SIZE);
    memory_region_init_alias(&pc.pci_hole, "pci-hole", &pc.pci_mem, 0, PC_PCI_MEM_SIZE);
    memory_region_add_subregion_overlap(system, 0, &pc.pci_hole, -1);

    /* Option ROMs get copied here by the firmware loader (later). */
    memory_region_init_rom(&pc.option_rom, "pc.rom", 128 * KiB);
    memory_region_add_subregion_overlap(&pc.pci_mem, 0xc0000, &pc.option_rom, 1);
}

static void pc_bios_init(const MachineConfig *cfg)
{
    const char *path = cfg->bios_path;
    gchar *data = NULL;
    gsize size = 0;
    GError *err = NULL;

    if (!path) {
        fatal("no BIOS image (use -bios FILE)");
    }
    if (!file_read_limited(path, PC_BIOS_MAX, &data, &size, &err)) {
        fatal("cannot read BIOS image %s: %s", path, err->message);
    }
    /* The image is mapped to end exactly at 4G and must be a whole number
     * of 64K flash blocks. */
    if (size == 0 || size % (64 * KiB) || size > PC_BIOS_MAX) {
        fatal("BIOS image %s has a bad size (%zu bytes; need a multiple of 64K up to 16M)",
              path, (size_t)size);
    }

    memory_region_init_rom(&pc.bios, "pc.bios", size);
    memcpy(pc.bios.ram, data, size);
    g_free(data);
    memory_region_add_subregion(&pc.pci_mem, 4 * GiB - size, &pc.bios);

    /* The reset vector runs from 0xffff0, so the top of the image also
     * appears below 1M (under the PAM overlays). */
    uint64_t isa_size = MIN((uint64_t)size, PC_ISA_BIOS_MAX);
    memory_region_init_alias(&pc.isa_bios, "isa-bios", &pc.bios, size - isa_size, isa_size);
    memory_region_add_subregion_overlap(&pc.pci_mem, 1 * MiB - isa_size, &pc.isa_bios, 1);
}

/* ---- CMOS ---- */

static void cmos_set(int idx, int val)
{
    rtc_set_cmos(pc.rtc, idx, val & 0xff);
}

/* The CMOS bytes QEMU's pc sets for IDE hard disks: types (0x12, 0x19/0x1a
 * "type 47, user defined"), the geometry of the first two (0x1b.., 0x24..)
 * and the BIOS CHS translation of all four (0x39, read by SeaBIOS). */
static void pc_cmos_init_disks(void)
{
    uint8_t types = 0, trans_bits = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c, h, s;
        int trans;
        if (!ide_get_geometry(i / 2, i % 2, &c, &h, &s, &trans)) {
            continue;
        }
        trans_bits |= (trans & 3) << (2 * i);
        if (i >= 2) {
            continue;
        }
        int info = i ? 0x24 : 0x1b;
        types |= i ? 0x0f : 0xf0;
        cmos_set(i ? 0x1a : 0x19, 47);
        cmos_set(info, c);
        cmos_set(info + 1, c >> 8);
        cmos_set(info + 2, h);
        cmos_set(info + 3, 0xff);          /* write precompensation: none */
        cmos_set(info + 4, 0xff);
        cmos_set(info + 5, 0xc0 | ((h > 8) << 3));
        cmos_set(info + 6, c);             /* landing zone */
        cmos_set(info + 7, c >> 8);
        cmos_set(info + 8, s);
    }
    cmos_set(0x12, types);
    cmos_set(0x39, trans_bits);
}

/* CMOS boot device codes SeaBIOS understands: floppy, disk, CD, network. */
static int pc_boot_code(char c)
{
    switch (c) {
    case 'a': return 1;
    case 'c': return 2;
    case 'd': return 3;
    case 'n': return 4;
    default: return 0;
    }
}

/* Floppy drive types (0x10) and the equipment byte (0x14): math
 * coprocessor and PS/2 mouse, EGA/VGA display, and the floppy drives
 * (bit 0 any, bits 7-6 how many minus one).  Again when -device floppy
 * plugs a drive in. */
static void pc_cmos_floppy(void *opaque)
{
    int a = pc.fdc ? fdc_cmos_drive_type(pc.fdc, 0) : 0;
    int b = pc.fdc ? fdc_cmos_drive_type(pc.fdc, 1) : 0;
    int n = (a != 0) + (b != 0);
    uint8_t equip = 0x02 | 0x04;
    if (n) {
        equip |= 0x01 | ((n - 1) << 6);
    }
    cmos_set(0x10, (a << 4) | b);
    cmos_set(0x14, equip);
}

/* Boot order: first two devices in 0x3d, third in the high nibble of 0x38
 * (bit 0 clear = check the floppy boot signature). */
static bool pc_no_fd_bootchk;

static void pc_cmos_set_boot_order(const char *order)
{
    if (!order) {
        order = "cad";
    }
    int bds[3] = { 0, 0, 0 };
    for (int i = 0; i < 3 && order[i]; i++) {
        bds[i] = pc_boot_code(order[i]);
    }
    cmos_set(0x3d, bds[0] | (bds[1] << 4));
    cmos_set(0x38, bds[2] << 4 | pc_no_fd_bootchk);
}

static void pc_cmos_init(const MachineConfig *cfg)
{
    uint64_t ram = cfg->ram_size;
    uint64_t val;

    /* Base memory: 640K conventional. */
    cmos_set(0x15, 640 & 0xff);
    cmos_set(0x16, 640 >> 8);
    /* Extended memory above 1M in K, capped at 0xffff (0x17/0x18 and the
     * POST copy at 0x30/0x31). */
    val = ram / KiB - 1024;
    if (val > 0xffff) {
        val = 0xffff;
    }
    cmos_set(0x17, val);
    cmos_set(0x18, val >> 8);
    cmos_set(0x30, val);
    cmos_set(0x31, val >> 8);
    /* Memory between 16M and the 4G split in 64K units (SeaBIOS uses it
     * when there is no etc/e820). */
    val = pc.below_4g > 16 * MiB ? (pc.below_4g - 16 * MiB) / (64 * KiB) : 0;
    if (val > 0xffff) {
        val = 0xffff;
    }
    cmos_set(0x34, val);
    cmos_set(0x35, val >> 8);
    /* Memory above 4G in 64K units, 24 bits. */
    val = pc.above_4g / (64 * KiB);
    cmos_set(0x5b, val);
    cmos_set(0x5c, val >> 8);
    cmos_set(0x5d, val >> 16);
    /* CPUs present minus one. */
    cmos_set(0x5f, (cfg->smp > 0 ? cfg->smp : 1) - 1);

    pc_cmos_floppy(NULL);

    pc_no_fd_bootchk = cfg->no_fd_bootchk;
    pc_cmos_set_boot_order(cfg->boot_once ? cfg->boot_once : cfg->boot_order);
    if (cfg->boot_once) {
        pc.boot_order_after_once = cfg->boot_order ? cfg->boot_order : "cad";
    }
}

/* ---- fw_cfg ---- */

typedef struct E820Entry {
    uint64_t addr;
    uint64_t len;
    uint32_t type;
} __attribute__((packed)) E820Entry;

static void pc_e820_add(GArray *map, uint64_t addr, uint64_t len, uint32_t type)
{
    E820Entry e = {
        .addr = GUINT64_TO_LE(addr),
        .len = GUINT64_TO_LE(len),
        .type = GUINT32_TO_LE(type),
    };
    g_array_append_val(map, e);
}

static void pc_fw_cfg_init(const MachineConfig *cfg)
{
    FWCfgState *s = fw_cfg_init_io(true, &address_space_memory);
    uint16_t cpus = cfg->smp > 0 ? cfg->smp : 1;
    uint8_t zeros[16] = { 0 };

    pc.fw_cfg = s;
    fw_cfg_add_i64(s, FW_CFG_RAM_SIZE, cfg->ram_size);
    fw_cfg_add_bytes(s, FW_CFG_UUID, cfg->has_uuid ? cfg->uuid : zeros, 16);
    fw_cfg_add_i16(s, FW_CFG_NOGRAPHIC, cfg->nographic);
    fw_cfg_add_i16(s, FW_CFG_NB_CPUS, cpus);
    fw_cfg_add_i16(s, FW_CFG_MAX_CPUS, cpus);
    fw_cfg_add_i16(s, FW_CFG_BOOT_MENU, cfg->boot_menu);
    fw_cfg_add_i16(s, FW_CFG_BOOT_DEVICE, cfg->boot_order ? cfg->boot_order[0] : 'c');

    /* NUMA: node count 0, then a per-CPU node map (and no node sizes). */
    size_t numa_len = (1 + cpus) * sizeof(uint64_t);
    void *numa = g_malloc0(numa_len);
    fw_cfg_add_bytes(s, FW_CFG_NUMA, numa, numa_len);
    g_free(numa);

    /* Without -kernel the Linux boot items say "nothing to load". */
    static const uint16_t linux_keys[] = {
        FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_ENTRY,
        FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE,
        FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE,
        FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(linux_keys); i++) {
        fw_cfg_add_i32(s, linux_keys[i], 0);
    }
    /* filled by pc_machine_done from the bootindex= list (-kernel's ROM
     * is index 0 there); empty: SeaBIOS's own order (CMOS, -boot order=) */
    fw_cfg_add_file(s, "bootorder", NULL, 0);
    if (cfg->kernel) {
        x86_load_kernel(s, cfg->kernel, cfg->initrd, cfg->append, pc.below_4g);
    }

    /* x86 legacy items SeaBIOS reads: no extra ACPI tables or SMBIOS
     * fields, IRQ0 goes to IOAPIC pin 2 (for its MP table), no legacy
     * e820 reservations (etc/e820 replaces that table). */
    fw_cfg_add_i16(s, FW_CFG_ACPI_TABLES, 0);
    fw_cfg_add_i16(s, FW_CFG_SMBIOS_ENTRIES, 0);
    fw_cfg_add_i32(s, FW_CFG_IRQ0_OVERRIDE, 1);
    fw_cfg_add_i32(s, FW_CFG_E820_TABLE, 0);

    GArray *e820 = g_array_new(FALSE, FALSE, sizeof(E820Entry));
    pc_e820_add(e820, 0, pc.below_4g, E820_RAM);
    if (pc.above_4g) {
        pc_e820_add(e820, 4 * GiB, pc.above_4g, E820_RAM);
    }
    fw_cfg_add_file(s, "etc/e820", e820->data, e820->len * sizeof(E820Entry));
    g_array_free(e820, TRUE);

    /* -1 (default): after a failed boot, stop instead of retrying. */
    uint32_t fail_wait = GUINT32_TO_LE((uint32_t)cfg->reboot_timeout_ms);
    fw_cfg_add_file(s, "etc/boot-fail-wait", &fail_wait, sizeof(fail_wait));
    fw_cfg_add_file(s, "bios-geometry", NULL, 0);
    if (cfg->boot_menu_timeout_ms >= 0) {
        uint16_t wait = GUINT16_TO_LE((uint16_t)MIN(cfg->boot_menu_timeout_ms, 0xffff));
        fw_cfg_add_file(s, "etc/boot-menu-wait", &wait, sizeof(wait));
    }
}

/* ---- ACPI ---- */

/* Tables describe the machine as built, so this runs after every device
 * the DSDT mentions exists. */
static void pc_acpi_init(const MachineConfig *cfg)
{
    pc_acfg = (AcpiBuildConfig){
        .below_4g = pc.below_4g,
        .above_4g = pc.above_4g,
        .cpus = cfg->smp > 0 ? cfg->smp : 1,
        .hpet = !cfg->no_hpet,
        .q35 = cfg->q35,
    };
    for (int i = 0; i < 4; i++) {
        char id[16];
        g_snprintf(id, sizeof(id), "serial%d", i);
        pc_acfg.serial[i] = chardev_find(id) != NULL;
    }
    pc_acfg.parallel = chardev_find("parallel0") != NULL;
    pc_acfg.fdc = pc.fdc != NULL;
}

/* ---- IOMMU (-device intel-iommu) ---- */

/* The I/O APIC's messages: through the IOMMU's interrupt remapping, then
 * to the APIC bus like any MSI. */
static bool pc_ioapic_msi(void *opaque, uint64_t addr, uint32_t data)
{
    if (pc.iommu->remap_msi && !pc.iommu->remap_msi(pc.iommu_opaque, PCI_RID_NONE, &addr, &data)) {
        return true;            /* blocked */
    }
    return pc_msi_deliver(NULL, addr, data);
}

/* All the machine-specific wiring of an IOMMU is here: q35 only, as QEMU
 * (whose pc machine refuses the device with the message below). */
PCIBus *pc_iommu_plug(const PCIIOMMUOps *ops, void *opaque, const AcpiDmarConfig *dmar,
                      GError **errp)
{
    if (!pc.pci_bus) {
        vireo_set_error(errp, "Machine-type 'none' not supported by IOMMU");
        return NULL;
    }
    if (!pc.q35) {
        vireo_set_error(errp, "Parameter 'driver' expects a dynamic sysbus device type for the machine");
        return NULL;
    }
    if (pc.iommu) {
        vireo_set_error(errp, "Vireo does not support multiple vIOMMUs for x86 yet.");
        return NULL;
    }
    pc.iommu = ops;
    pc.iommu_opaque = opaque;
    pci_bus_set_iommu(pc.pci_bus, ops, opaque);
    ioapic_set_msi_handler(pc.ioapic, pc_ioapic_msi, NULL);
    pc_acfg.dmar = *dmar;
    return pc.pci_bus;
}

void pc_system_powerdown(void)
{
    if (pc.pm && pc.q35) {
        ich9_lpc_power_button(pc.pm);
    } else if (pc.pm) {
        piix4_pm_power_button(pc.pm);
    }
}

/* ---- chipset and ISA devices ---- */

static void pc_isa_devices_init(const MachineConfig *cfg)
{
    char opts[64];

    if (!cfg->no_pit) {
        Device *pit = device_create("i8254", "");   /* with port 0x61 */
        if (cfg->pcspk_audiodev) {
            AudioDev *ad = audio_find(cfg->pcspk_audiodev);
            if (!ad) {
                fatal("-machine pcspk-audiodev=%s: no -audiodev with id '%s'", cfg->pcspk_audiodev,
                      cfg->pcspk_audiodev);
            }
            GError *err = NULL;
            AudioVoice *v = audio_voice_open(ad, "pcspk", PCSPK_RATE, &err);
            if (!v) {
                fatal("-machine pcspk-audiodev=%s: %s", cfg->pcspk_audiodev, err->message);
            }
            pcspk_new(pit, v);
        }
    } else if (cfg->pcspk_audiodev) {
        fatal("-machine pcspk-audiodev=%s: no speaker with pit=off", cfg->pcspk_audiodev);
    }
    g_autofree char *rtc_opts = cfg->rtc_base ? g_strdup_printf("base=%s", cfg->rtc_base) : g_strdup("");
    pc.rtc = device_create("mc146818rtc", rtc_opts);

    Device *kbc = device_create("i8042", "");
    Device *port92 = device_create("port92", "");
    pc.a20_kbc = true;      /* the KBC output port comes up with A20 enabled */
    pc.a20_port92 = false;
    device_connect_gpio_out(kbc, 0, irq_new(pc_a20, NULL, 0));
    device_connect_gpio_out(port92, 0, irq_new(pc_a20, NULL, 1));

    device_create("i8257", "");

    /* The floppy controller is there even without drives on pc, and on
     * q35 only with one, as on QEMU; -fda/-fdb/-drive if=floppy become its
     * drives A: and B:. */
    GString *fdc_opts = g_string_new("");
    bool fdc = !cfg->q35;
    for (int unit = 0; unit < 2; unit++) {
        DriveInfo *dinfo = drive_get(IF_FLOPPY, 0, unit);
        if (dinfo && dinfo->blk) {
            g_string_append_printf(fdc_opts, "%sdrive%c=%s", fdc_opts->len ? "," : "",
                                   'A' + unit, blk_name(dinfo->blk));
            dinfo->claimed = true;
            fdc = true;
        }
    }
    if (fdc) {
        pc.fdc = device_create("isa-fdc", fdc_opts->str);
        fdc_set_drive_notify(pc.fdc, pc_cmos_floppy, NULL);
    }
    g_string_free(fdc_opts, TRUE);

    for (int i = 0; i < 4; i++) {
        char id[16];
        g_snprintf(id, sizeof(id), "serial%d", i);
        if (chardev_find(id)) {
            g_snprintf(opts, sizeof(opts), "index=%d,chardev=%s", i, id);
            device_create("isa-serial", opts);
        }
    }
    for (int i = 0; i < 3; i++) {
        char id[16];
        g_snprintf(id, sizeof(id), "parallel%d", i);
        if (chardev_find(id)) {
            g_snprintf(opts, sizeof(opts), "index=%d,chardev=%s", i, id);
            device_create("isa-parallel", opts);
        }
    }
}

/* Every -drive if=virtio gets its own virtio-blk-pci (index=N is bus N,
 * unit 0), created as QEMU does: through the generic device path, in
 * index order, in the first free PCI slots. */
static void pc_virtio_drives_init(void)
{
    int max = drive_get_max_bus(IF_VIRTIO);
    for (int bus = 0; bus <= max; bus++) {
        DriveInfo *d = drive_get(IF_VIRTIO, bus, 0);
        if (!d) {
            continue;
        }
        GString *opts = g_string_new("drive=");
        keyval_append_escaped(opts, d->id);
        device_create("virtio-blk-pci", opts->str);
        g_string_free(opts, TRUE);
    }
}

/* "4.1" (a machine version) older than major.minor? */
static bool pc_version_before(const char *version, int major, int minor)
{
    int ma = 0, mi = 0;
    if (sscanf(version, "%d.%d", &ma, &mi) < 1) {
        return false;
    }
    return ma < major || (ma == major && mi < minor);
}

void pc_machine_init(const MachineConfig *cfg)
{
    char *err = NULL;

    memset(&pc, 0, sizeof(pc));
    pc.ncpus = cfg->smp > 0 ? cfg->smp : 1;
    for (int i = 0; i < pc.ncpus; i++) {
        pc.cpus[i] = x86_cpu_new(cfg->cpu_model, &err);
        if (!pc.cpus[i]) {
            fatal("%s", err ? err : "cannot create the CPU");
        }
        pc.cpus[i]->cpu_index = i;
        pc.cpus[i]->nr_cpus = pc.ncpus;
        pc.cpus[i]->pause_yields = pc.ncpus > 1;
    }
    pc.cpu = pc.cpus[0];

    pc_memory_init(cfg);
    pc_bios_init(cfg);

    /* Interrupt controllers first: every ISA device takes its line from them. */
    pc_interrupts_init(cfg);

    if (cfg->smm) {
        memory_region_init_container(&pc.smram, "smram", UINT64_MAX);
        address_space_init_memory_view(&pc.smm_as, &pc.smram, "memory-smm");
        for (int i = 0; i < pc.ncpus; i++) {
            pc.cpus[i]->smm_as = &pc.smm_as;
        }
    }
    IRQ smi = cfg->smm ? irq_new(pc_smi, NULL, 0) : NULL;
    pc.q35 = cfg->q35;
    if (cfg->q35) {
        /* QEMU's compatibility defaults of older q35 releases */
        if (cfg->machine_version && pc_version_before(cfg->machine_version, 4, 2)) {
            device_add_compat_global("mch", "smbase-smram", "off");
        }
        if (cfg->machine_version && pc_version_before(cfg->machine_version, 2, 10)) {
            device_add_compat_global("mch", "extended-tseg-mbytes", "0");
        }
        pc.pci_bus = q35_host_init(address_space_memory.root, &pc.ram, pc.below_4g, &pc.pci_mem,
                                   NULL, cfg->smm ? &pc.smram : NULL);
        pci_bus_set_msi_handler(pc.pci_bus, pc_msi_deliver, NULL);
        /* 00:1f.0; PIRQA-H also reach IOAPIC pins 16-23 */
        pc.pm = ich9_lpc_init(pc.pci_bus, pc.pic, smi);
        for (int p = 0; p < ICH9_NUM_PIRQS; p++) {
            device_connect_gpio_out(&pc.pm->qdev, p, pc.ioapic_in[16 + p]);
        }
        /* QEMU's q35 puts if=ide drives on the ICH9 AHCI controller,
         * which Vireo does not have */
        if (drive_get_max_bus(IF_IDE) >= 0) {
            fatal("machine type 'q35' has no IDE/AHCI controller in Vireo: "
                  "use if=virtio (or -machine pc) for disks and CD-ROMs");
        }
    } else {
        pc.pci_bus = i440fx_init(address_space_memory.root, &pc.ram, &pc.pci_mem, NULL,
                                 cfg->smm ? &pc.smram : NULL);
        pci_bus_set_msi_handler(pc.pci_bus, pc_msi_deliver, NULL);
        PCIDevice *piix3 = piix3_init(pc.pci_bus, pc.pic);
        for (int p = 0; p < 4; p++) {
            /* PIRQA-D also reach IOAPIC pins 16-19 */
            device_connect_gpio_out(&piix3->qdev, p, pc.ioapic_in[16 + p]);
        }
        /* PIIX3 function 1: the IDE controller with the if=ide drives */
        device_create("piix3-ide", "addr=1.1");
        piix_ide_attach_drives();
        pc.pm = piix4_pm_init(pc.pci_bus, isa_get_irq(ACPI_SCI_IRQ), smi);
    }

    if (cfg->vga) {
        device_create("VGA", "");        /* slot 2 on pc, 1 on q35, as on QEMU */
    }
    pc_isa_devices_init(cfg);
    pc_virtio_drives_init();
    isa_register_ioport(&pc.ferr_io, &pc_ferr_ops, NULL, "ferr", 0xf0, 1);
    x87_ferr_hook = pc_ferr;
    pc.boot_strict = cfg->boot_strict;
    pc_cmos_init(cfg);
    pc_fw_cfg_init(cfg);
    pc_acpi_init(cfg);

    pc_machine_reset();
    /* main resets once more when every device exists: that one is the
     * power-on reset, which -boot once= must survive */
    pc.booted_once = false;
}

/* bootorder and bios-geometry as the devices now are: at machine done,
 * and at every reset after it, as QEMU, since hot-plug changes them. */
static void pc_fw_cfg_boot_devices(void)
{
    size_t len;
    char *order = bootdevice_list(pc.boot_strict, &len);
    fw_cfg_modify_file(pc.fw_cfg, "bootorder", order, len);
    g_free(order);
    char *lchs = bootdevice_lchs_list(&len);
    fw_cfg_modify_file(pc.fw_cfg, "bios-geometry", lchs, len);
    g_free(lchs);
}

void pc_machine_done(void)
{
    pc_cmos_init_disks();
    pc_acfg.pvpanic_port = pvpanic_port();
    /* no slot objects where a device cannot be unplugged (host bridge,
     * PIIX, VGA) */
    /* ACPI hot-plug is the PIIX4's; q35 has none (QEMU's uses PCIe ports) */
    pc_acfg.pci_hotplug_slots = pc.q35 ? 0 : ~(pci_bus_fixed_slots(pc.pci_bus) | 1u);
    acpi_setup(pc.fw_cfg, &pc_acfg);
    pc.machine_done = true;
    pc_fw_cfg_boot_devices();
}

void pc_machine_reset(void)
{
    if (!pc.cpu) {
        return;             /* -machine none: nothing was built */
    }
    /* Devices that drive A20 re-announce it on reset if they care; start
     * from the power-on state (KBC gate open). */
    pc.a20_kbc = true;
    pc.a20_port92 = false;
    blk_drain_all();         /* no request may complete into a device after its reset */
    devices_reset_all();
    /* -boot once=: the first reset after power-on goes back to order= */
    if (pc.boot_order_after_once && pc.booted_once) {
        pc_cmos_set_boot_order(pc.boot_order_after_once);
        pc.boot_order_after_once = NULL;
    }
    pc.booted_once = true;
    if (pc.machine_done) {
        pc_fw_cfg_boot_devices();    /* a reset completes pending hot-unplugs */
    }
    for (int i = 0; i < pc.ncpus; i++) {
        x86_cpu_reset(pc.cpus[i]);
    }
    pc_set_a20_all();
}
