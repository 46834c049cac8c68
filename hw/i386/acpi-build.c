/*
 * ACPI tables for the pc machine (see acpi-build.h).  Layouts from the
 * ACPI specification (5.2: RSDP rev 0, RSDT, FADT rev 1, FACS, MADT, and
 * the IA-PC HPET specification for its table); values follow what
 * QEMU's pc machine hands to SeaBIOS, so guests see the same platform.
 *
 * All tables live in one fw_cfg file; pointers between them are stored as
 * offsets into that file and turned into addresses by the firmware's
 * ADD_POINTER commands.  Checksums are computed here over the offset form
 * (so the blob disassembles cleanly) and redone by ADD_CHECKSUM after the
 * firmware patched the pointers.
 */
#include "hw/i386/acpi-build.h"

#include <string.h>

#include "hw/acpi/acpi.h"
#include "hw/acpi/aml.h"
#include "hw/acpi/table-loader.h"
#include "hw/isa/ich9-lpc.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci/q35.h"

#define KiB 1024ull
#define GiB (1024ull * 1024 * 1024)

#define ACPI_OEM_ID         "VIREO "        /* 6 characters */
#define ACPI_OEM_TABLE_ID   "VIREOPC "      /* 8 characters */
#define ACPI_CREATOR_ID     "VIRE"
#define ACPI_HDR_LEN        36

/* PCI windows of the pc machine: the 32-bit hole ends below the IOAPIC,
 * the 64-bit one starts above RAM (gigabyte aligned) and covers 32G. */
#define PCI_HOLE_END        (ACPI_IOAPIC_BASE - 1)
#define PCI_HOLE64_SIZE     (32 * GiB)
/* q35: what SeaBIOS's MMCONFIG takes below the 32-bit window */
#define Q35_MMCONFIG_END    ((uint64_t)Q35_PCIEXBAR_DEFAULT + Q35_PCIEXBAR_SIZE)

#define ACPI_BUILD_TABLE_ALIGN  (128 * KiB)

static void put_le(GByteArray *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        uint8_t c = v >> (8 * i);
        g_byte_array_append(b, &c, 1);
    }
}

static void set_le(GByteArray *b, size_t at, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        b->data[at + i] = v >> (8 * i);
    }
}

static void put_bytes(GByteArray *b, const char *s, size_t n)
{
    g_byte_array_append(b, (const uint8_t *)s, n);
}

/* Start a table at the end of blob; returns its offset.  Length and
 * checksum are filled by table_end(). */
static size_t table_begin(GByteArray *blob, const char *sig, uint8_t rev)
{
    size_t at = blob->len;
    put_bytes(blob, sig, 4);
    put_le(blob, 0, 4);                 /* length */
    put_le(blob, rev, 1);
    put_le(blob, 0, 1);                 /* checksum */
    put_bytes(blob, ACPI_OEM_ID, 6);
    put_bytes(blob, ACPI_OEM_TABLE_ID, 8);
    put_le(blob, 1, 4);                 /* OEM revision */
    put_bytes(blob, ACPI_CREATOR_ID, 4);
    put_le(blob, 1, 4);                 /* creator revision */
    return at;
}

static void table_end(GByteArray *blob, GByteArray *loader, size_t at)
{
    size_t len = blob->len - at;
    set_le(blob, at + 4, len, 4);
    blob->data[at + 9] = 0;
    blob->data[at + 9] = -acpi_checksum(blob->data + at, len);
    table_loader_add_checksum(loader, ACPI_BUILD_TABLE_FILE, at + 9, at, len);
}

/* A 32-bit pointer at dest_at in the tables blob to offset target there. */
static void table_pointer32(GByteArray *blob, GByteArray *loader, size_t dest_at, size_t target)
{
    set_le(blob, dest_at, target, 4);
    table_loader_add_pointer(loader, ACPI_BUILD_TABLE_FILE, dest_at, 4, ACPI_BUILD_TABLE_FILE);
}

/* ---- FACS ---- */

static size_t build_facs(GByteArray *blob)
{
    size_t at = blob->len;
    put_bytes(blob, "FACS", 4);
    put_le(blob, 64, 4);
    g_byte_array_set_size(blob, at + 64);
    memset(blob->data + at + 8, 0, 56);
    return at;
}

/* ---- DSDT ---- */

static void add_name_int(Aml *scope, const char *name, uint64_t v)
{
    aml_append(scope, aml_name_decl(name, aml_int(v)));
}

static void add_name_eisaid(Aml *scope, const char *name, const char *id)
{
    aml_append(scope, aml_name_decl(name, aml_eisaid(id)));
}

static Aml *build_pci_crs(const AcpiBuildConfig *cfg)
{
    AmlResources *r = aml_res_new();
    aml_res_word_bus(r, 0x00, 0xff);
    aml_res_io(r, 0x0cf8, 1, 8);               /* the config ports themselves */
    aml_res_word_io(r, 0x0000, 0x0cf7);
    aml_res_word_io(r, 0x0d00, 0xffff);
    aml_res_dword_memory(r, 0xa0000, 0xbffff, true);     /* VGA window */
    /* q35: the 32-bit window starts above MMCONFIG, where SeaBIOS puts
     * the BARs (QEMU's pci-hole start) */
    uint64_t start32 = cfg->q35 ? MAX(cfg->below_4g, Q35_MMCONFIG_END) : cfg->below_4g;
    aml_res_dword_memory(r, start32, PCI_HOLE_END, false);
    uint64_t start64 = ((4 * GiB + cfg->above_4g) + GiB - 1) & ~(GiB - 1);
    aml_res_qword_memory(r, start64, start64 + PCI_HOLE64_SIZE - 1, true);
    return aml_resource_template(r);
}

/* pc: PCI slot S pin P reaches PIRQ[(S - 1 + P) & 3] (hw/isa/piix3.c);
 * q35: slots 25-31 PIRQ[P], the others PIRQ[4 + ((S + P) & 3)]
 * (hw/isa/ich9-lpc.c). */
static Aml *build_prt(bool q35, const char *prefix)
{
    char links[8][5];
    for (int i = 0; i < 8; i++) {
        g_snprintf(links[i], sizeof(links[i]), "%s%c", prefix, 'A' + i);
    }
    Aml *prt = aml_package();
    for (int slot = 0; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            Aml *e = aml_package();
            int pirq = !q35 ? (slot - 1 + pin) & 3 : slot >= 25 ? pin : 4 + ((slot + pin) & 3);
            aml_append(e, aml_int(((uint32_t)slot << 16) | 0xffff));
            aml_append(e, aml_int(pin));
            aml_append(e, aml_name(links[pirq]));
            aml_append(e, aml_int(0));
            aml_append(prt, e);
        }
    }
    return prt;
}

/* One PCI interrupt link: reads and writes the PIIX3 or ICH9 PIRQ route
 * register (bit 7 = disabled, bits 3:0 = ISA IRQ). */
static Aml *build_link(int n)
{
    static const uint32_t irqs[] = { 5, 10, 11 };
    char name[5], reg[24];
    g_snprintf(name, sizeof(name), "LNK%c", 'A' + n);
    g_snprintf(reg, sizeof(reg), "\\_SB.PCI0.ISA.PRQ%c", 'A' + n);

    Aml *dev = aml_device(name);
    add_name_eisaid(dev, "_HID", "PNP0C0F");
    add_name_int(dev, "_UID", n);
    AmlResources *prs = aml_res_new();
    aml_res_interrupt(prs, irqs, G_N_ELEMENTS(irqs));
    aml_append(dev, aml_name_decl("_PRS", aml_resource_template(prs)));

    Aml *sta = aml_method("_STA", 0, false);
    Aml *dis_if = aml_if(aml_and(aml_name(reg), aml_int(0x80), NULL));
    aml_append(dis_if, aml_return(aml_int(0x09)));      /* present, disabled */
    aml_append(sta, dis_if);
    aml_append(sta, aml_return(aml_int(0x0b)));         /* present, enabled */
    aml_append(dev, sta);

    Aml *dis = aml_method("_DIS", 0, false);
    aml_append(dis, aml_or(aml_name(reg), aml_int(0x80), aml_name(reg)));
    aml_append(dev, dis);

    /* _CRS: the routed IRQ, or none (0) while routing is disabled. */
    Aml *crs = aml_method("_CRS", 0, true);
    uint32_t none = 0;
    AmlResources *cur = aml_res_new();
    aml_res_interrupt(cur, &none, 1);
    aml_append(crs, aml_name_decl("PRR0", aml_resource_template(cur)));
    /* the first interrupt number sits at byte 5 of the descriptor */
    aml_append(crs, aml_create_dword_field(aml_name("PRR0"), aml_int(5), "PRRI"));
    Aml *en_if = aml_if(aml_lless(aml_name(reg), aml_int(0x80)));
    aml_append(en_if, aml_and(aml_name(reg), aml_int(0x0f), aml_name("PRRI")));
    aml_append(crs, en_if);
    aml_append(crs, aml_return(aml_name("PRR0")));
    aml_append(dev, crs);

    Aml *srs = aml_method("_SRS", 1, false);
    aml_append(srs, aml_create_dword_field(aml_arg(0), aml_int(5), "PRRI"));
    aml_append(srs, aml_store(aml_name("PRRI"), aml_name(reg)));
    aml_append(dev, srs);
    return dev;
}

/* q35 in APIC mode: PIRQ n hard-wired to IOAPIC pin 16 + n (the ICH9
 * drives them whatever its route registers say): level, active high */
static Aml *build_gsi_link(int n)
{
    char name[5];
    g_snprintf(name, sizeof(name), "GSI%c", 'A' + n);
    Aml *dev = aml_device(name);
    add_name_eisaid(dev, "_HID", "PNP0C0F");
    add_name_int(dev, "_UID", 0x10 + n);        /* LNKA-H have 0-7 */
    uint32_t gsi = 16 + n;
    AmlResources *prs = aml_res_new();
    aml_res_interrupt(prs, &gsi, 1);
    aml_append(dev, aml_name_decl("_PRS", aml_resource_template(prs)));
    AmlResources *crs = aml_res_new();
    aml_res_interrupt(crs, &gsi, 1);
    aml_append(dev, aml_name_decl("_CRS", aml_resource_template(crs)));
    aml_append(dev, aml_method("_SRS", 1, false));    /* nothing to route */
    return dev;
}

static Aml *build_isa_dev(const char *name, const char *hid, int uid, AmlResources *crs)
{
    Aml *dev = aml_device(name);
    add_name_eisaid(dev, "_HID", hid);
    if (uid >= 0) {
        add_name_int(dev, "_UID", uid);
    }
    aml_append(dev, aml_name_decl("_CRS", aml_resource_template(crs)));
    return dev;
}

static Aml *build_isa_bridge(const AcpiBuildConfig *cfg)
{
    static const uint16_t com_io[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
    static const uint8_t com_irq[4] = { 4, 3, 4, 3 };
    AmlResources *r;

    Aml *isa = aml_device("ISA");
    /* 00:01.0, the PIIX3, with PIRQA-D at 0x60; or 00:1f.0, the ICH9 LPC
     * bridge, with PIRQE-H at 0x68 too */
    add_name_int(isa, "_ADR", cfg->q35 ? 0x001f0000 : 0x00010000);
    aml_append(isa, aml_operation_region("PIRQ", AML_PCI_CONFIG, 0x60, cfg->q35 ? 12 : 4));
    Aml *f = aml_field("PIRQ", AML_BYTE_ACC | AML_PRESERVE);
    aml_field_unit(f, "PRQA", 8);
    aml_field_unit(f, "PRQB", 8);
    aml_field_unit(f, "PRQC", 8);
    aml_field_unit(f, "PRQD", 8);
    if (cfg->q35) {
        aml_field_unit(f, NULL, 32);            /* 0x64-0x67 */
        aml_field_unit(f, "PRQE", 8);
        aml_field_unit(f, "PRQF", 8);
        aml_field_unit(f, "PRQG", 8);
        aml_field_unit(f, "PRQH", 8);
    }
    aml_append(isa, f);

    r = aml_res_new();
    aml_res_io(r, 0x70, 1, 2);
    aml_res_irq_noflags(r, 1u << 8);
    aml_append(isa, build_isa_dev("RTC", "PNP0B00", -1, r));

    r = aml_res_new();
    aml_res_io(r, 0x60, 1, 1);
    aml_res_io(r, 0x64, 1, 1);
    aml_res_irq_noflags(r, 1u << 1);
    aml_append(isa, build_isa_dev("KBD", "PNP0303", -1, r));

    r = aml_res_new();
    aml_res_irq_noflags(r, 1u << 12);
    aml_append(isa, build_isa_dev("MOU", "PNP0F13", -1, r));

    for (int i = 0; i < 4; i++) {
        if (cfg->serial[i]) {
            char name[5];
            g_snprintf(name, sizeof(name), "COM%d", i + 1);
            r = aml_res_new();
            aml_res_io(r, com_io[i], 1, 8);
            aml_res_irq_noflags(r, 1u << com_irq[i]);
            aml_append(isa, build_isa_dev(name, "PNP0501", i + 1, r));
        }
    }
    if (cfg->parallel) {
        r = aml_res_new();
        aml_res_io(r, 0x378, 1, 8);
        aml_res_irq_noflags(r, 1u << 7);
        aml_append(isa, build_isa_dev("LPT1", "PNP0400", 1, r));
    }
    if (cfg->fdc) {
        /* as QEMU's FDC0, without _FDE/_FDI: the OS finds the drives
         * through CMOS or by probing, as without ACPI */
        r = aml_res_new();
        aml_res_io(r, 0x3f2, 1, 4);
        aml_res_io(r, 0x3f7, 1, 1);
        aml_res_irq_noflags(r, 1u << 6);
        aml_res_dma(r, 1u << 2);
        aml_append(isa, build_isa_dev("FDC0", "PNP0700", -1, r));
    }
    if (cfg->pvpanic_port) {
        /* QEMU's PEVT: Linux's pvpanic driver matches QEMU0001 and takes
         * the port from _CRS */
        Aml *dev = aml_device("PEVT");
        aml_append(dev, aml_name_decl("_HID", aml_string("QEMU0001")));
        r = aml_res_new();
        aml_res_io(r, cfg->pvpanic_port, 1, 1);
        aml_append(dev, aml_name_decl("_CRS", aml_resource_template(r)));
        add_name_int(dev, "_STA", 0xf);
        aml_append(isa, dev);
    }
    return isa;
}

/*
 * ACPI PCI hot-plug (the PIIX4 registers of hw/acpi/acpi.h): a device per
 * hot-pluggable slot with _ADR, _SUN and _EJ0 (which writes the slot's bit
 * to EJ), and PCNT, which the GPE handler runs: Notify(Sxx, 1) "device
 * check" for each slot in UP, Notify(Sxx, 3) "eject request" for each in
 * DOWN (ACPI 6.4 section 5.6.6).  The OS then scans the slot, or releases
 * the device and calls _EJ0.
 */
static void build_pci_hotplug(Aml *pci, uint32_t slots)
{
    aml_append(pci, aml_operation_region("PCST", AML_SYSTEM_IO, ACPI_PCIHP_BASE + ACPI_PCIHP_UP, 8));
    Aml *f = aml_field("PCST", AML_DWORD_ACC | AML_WRITE_AS_ZEROS);
    aml_field_unit(f, "PCIU", 32);
    aml_field_unit(f, "PCID", 32);
    aml_append(pci, f);
    aml_append(pci, aml_operation_region("SEJ", AML_SYSTEM_IO, ACPI_PCIHP_BASE + ACPI_PCIHP_EJ, 4));
    f = aml_field("SEJ", AML_DWORD_ACC | AML_WRITE_AS_ZEROS);
    aml_field_unit(f, "B0EJ", 32);
    aml_append(pci, f);

    Aml *pcej = aml_method("PCEJ", 1, false);
    aml_append(pcej, aml_store(aml_shiftleft(aml_int(1), aml_arg(0)), aml_name("B0EJ")));
    aml_append(pci, pcej);

    Aml *pcnt = aml_method("PCNT", 0, false);
    for (int slot = 0; slot < 32; slot++) {
        if (!(slots & (1u << slot))) {
            continue;
        }
        char name[5];
        g_snprintf(name, sizeof(name), "S%02X", slot);
        Aml *dev = aml_device(name);
        add_name_int(dev, "_ADR", (uint32_t)slot << 16);
        add_name_int(dev, "_SUN", slot);
        Aml *ej0 = aml_method("_EJ0", 1, false);
        aml_append(ej0, aml_call1("PCEJ", aml_name("_SUN")));
        aml_append(dev, ej0);
        aml_append(pci, dev);

        Aml *up = aml_if(aml_and(aml_name("PCIU"), aml_int(1u << slot), NULL));
        aml_append(up, aml_notify(aml_name(name), aml_int(1)));
        aml_append(pcnt, up);
        Aml *down = aml_if(aml_and(aml_name("PCID"), aml_int(1u << slot), NULL));
        aml_append(down, aml_notify(aml_name(name), aml_int(3)));
        aml_append(pcnt, down);
    }
    aml_append(pci, pcnt);
}

static size_t build_dsdt(GByteArray *blob, GByteArray *loader, const AcpiBuildConfig *cfg)
{
    /* Revision 1: integers are 32 bits, as in QEMU's pc DSDT. */
    size_t at = table_begin(blob, "DSDT", 1);
    Aml *body = aml_new();

    if (cfg->q35) {
        /* the OS's interrupt model (ACPI 5.8.1: _PIC(0) PIC, 1 APIC) */
        aml_append(body, aml_name_decl("PICF", aml_int(0)));
        Aml *pic = aml_method("_PIC", 1, false);
        aml_append(pic, aml_store(aml_arg(0), aml_name("PICF")));
        aml_append(body, pic);
    }
    Aml *sb = aml_scope("\\_SB");
    Aml *pci = aml_device("PCI0");
    if (cfg->q35) {
        add_name_eisaid(pci, "_HID", "PNP0A08");     /* PCI Express root */
        add_name_eisaid(pci, "_CID", "PNP0A03");
    } else {
        add_name_eisaid(pci, "_HID", "PNP0A03");
    }
    add_name_int(pci, "_UID", 0);
    aml_append(pci, aml_name_decl("_CRS", build_pci_crs(cfg)));
    if (cfg->q35) {
        /* as QEMU's q35: in PIC mode the PIRQs through LNKA-H (the LPC's
         * route registers), in APIC mode (_PIC(1)) straight to their own
         * IOAPIC pins 16-23 through GSIA-H, so no line is shared */
        aml_append(pci, aml_name_decl("PRTP", build_prt(true, "LNK")));
        aml_append(pci, aml_name_decl("PRTA", build_prt(true, "GSI")));
        Aml *prt = aml_method("_PRT", 0, false);
        Aml *apic = aml_if(aml_name("\\PICF"));
        aml_append(apic, aml_return(aml_name("PRTA")));
        aml_append(prt, apic);
        aml_append(prt, aml_return(aml_name("PRTP")));
        aml_append(pci, prt);
    } else {
        aml_append(pci, aml_name_decl("_PRT", build_prt(false, "LNK")));
    }
    aml_append(pci, build_isa_bridge(cfg));
    if (cfg->hpet) {
        AmlResources *r = aml_res_new();
        aml_res_memory32_fixed(r, ACPI_HPET_BASE, 0x400, false);
        aml_append(pci, build_isa_dev("HPET", "PNP0103", 0, r));
    }
    if (cfg->pci_hotplug_slots) {
        build_pci_hotplug(pci, cfg->pci_hotplug_slots);
    }
    aml_append(sb, pci);
    for (int i = 0; i < (cfg->q35 ? 8 : 4); i++) {
        aml_append(sb, build_link(i));
    }
    for (int i = 0; cfg->q35 && i < 8; i++) {
        aml_append(sb, build_gsi_link(i));
    }
    /* Processor devices; _UID matches the MADT's ACPI processor id. */
    for (int i = 0; i < cfg->cpus; i++) {
        char name[5];
        g_snprintf(name, sizeof(name), "C%03X", i);
        Aml *cpu = aml_device(name);
        aml_append(cpu, aml_name_decl("_HID", aml_string("ACPI0007")));
        add_name_int(cpu, "_UID", i);
        aml_append(sb, cpu);
    }
    aml_append(body, sb);

    if (cfg->pci_hotplug_slots) {
        /* GPE0 bit 1: a PCI hot-plug event (edge: the OS clears the status) */
        Aml *gpe = aml_scope("\\_GPE");
        Aml *e01 = aml_method("_E01", 0, false);
        aml_append(e01, aml_call0("\\_SB.PCI0.PCNT"));
        aml_append(gpe, e01);
        aml_append(body, gpe);
    }

    /* \_S5: SLP_TYPa, SLP_TYPb and two reserved values; PM1_CNT decodes
     * this SLP_TYP as soft off (hw/acpi/piix4_pm.c). */
    Aml *s5 = aml_package();
    aml_append(s5, aml_int(ACPI_SLP_TYP_S5));
    aml_append(s5, aml_int(ACPI_SLP_TYP_S5));
    aml_append(s5, aml_int(0));
    aml_append(s5, aml_int(0));
    aml_append(body, aml_name_decl("\\_S5", s5));

    size_t len;
    const uint8_t *data = aml_data(body, &len);
    g_byte_array_append(blob, data, len);
    aml_free(body);
    table_end(blob, loader, at);
    return at;
}

/* ---- FADT (revision 1, 116 bytes) ---- */

#define FADT_F_WBINVD               (1u << 0)
#define FADT_F_PROC_C1              (1u << 2)
#define FADT_F_SLP_BUTTON           (1u << 5)   /* no fixed-feature sleep button */
#define FADT_F_RTC_S4               (1u << 7)
#define FADT_F_USE_PLATFORM_CLOCK   (1u << 15)

static size_t build_fadt(GByteArray *blob, GByteArray *loader, size_t facs, size_t dsdt,
                         const AcpiBuildConfig *cfg)
{
    size_t at = table_begin(blob, "FACP", 1);
    put_le(blob, 0, 4);                         /* 36 FIRMWARE_CTRL (FACS) */
    put_le(blob, 0, 4);                         /* 40 DSDT */
    put_le(blob, 1, 1);                         /* 44 INT_MODEL: APIC */
    put_le(blob, 0, 1);                         /* 45 reserved / PM profile */
    put_le(blob, ACPI_SCI_IRQ, 2);              /* 46 SCI_INT */
    put_le(blob, ACPI_APM_CNT_PORT, 4);         /* 48 SMI_CMD */
    put_le(blob, cfg->q35 ? ICH9_APM_ACPI_ENABLE : ACPI_ENABLE_VALUE, 1);     /* 52 */
    put_le(blob, cfg->q35 ? ICH9_APM_ACPI_DISABLE : ACPI_DISABLE_VALUE, 1);   /* 53 */
    put_le(blob, 0, 1);                         /* 54 S4BIOS_REQ */
    put_le(blob, 0, 1);                         /* 55 PSTATE_CNT */
    put_le(blob, ACPI_PM_BASE + ACPI_PM1_STS, 4);   /* 56 PM1a_EVT_BLK */
    put_le(blob, 0, 4);                         /* 60 PM1b_EVT_BLK */
    put_le(blob, ACPI_PM_BASE + ACPI_PM1_CNT, 4);   /* 64 PM1a_CNT_BLK */
    put_le(blob, 0, 4);                         /* 68 PM1b_CNT_BLK */
    put_le(blob, 0, 4);                         /* 72 PM2_CNT_BLK */
    put_le(blob, ACPI_PM_BASE + ACPI_PM_TMR, 4);    /* 76 PM_TMR_BLK */
    put_le(blob, cfg->q35 ? ACPI_PM_BASE + ICH9_PMIO_GPE0 : ACPI_GPE0_BASE, 4);  /* 80 GPE0_BLK */
    put_le(blob, 0, 4);                         /* 84 GPE1_BLK */
    put_le(blob, ACPI_PM1_EVT_LEN, 1);          /* 88 */
    put_le(blob, ACPI_PM1_CNT_LEN, 1);          /* 89 */
    put_le(blob, 0, 1);                         /* 90 PM2_CNT_LEN */
    put_le(blob, ACPI_PM_TMR_LEN, 1);           /* 91 */
    put_le(blob, cfg->q35 ? ICH9_PMIO_GPE0_LEN : ACPI_GPE0_LEN, 1);   /* 92 */
    put_le(blob, 0, 1);                         /* 93 GPE1_BLK_LEN */
    put_le(blob, 0, 1);                         /* 94 GPE1_BASE */
    put_le(blob, 0, 1);                         /* 95 CST_CNT */
    put_le(blob, 0x0fff, 2);                    /* 96 P_LVL2_LAT: no C2 */
    put_le(blob, 0x0fff, 2);                    /* 98 P_LVL3_LAT: no C3 */
    put_le(blob, 0, 2);                         /* 100 FLUSH_SIZE */
    put_le(blob, 0, 2);                         /* 102 FLUSH_STRIDE */
    put_le(blob, 0, 1);                         /* 104 DUTY_OFFSET */
    put_le(blob, 0, 1);                         /* 105 DUTY_WIDTH */
    put_le(blob, 0, 1);                         /* 106 DAY_ALRM */
    put_le(blob, 0, 1);                         /* 107 MON_ALRM */
    put_le(blob, 0x32, 1);                      /* 108 CENTURY: CMOS index */
    put_le(blob, 0, 2);                         /* 109 IAPC_BOOT_ARCH (rev 1: reserved) */
    put_le(blob, 0, 1);                         /* 111 reserved */
    put_le(blob, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RTC_S4 |
                 FADT_F_USE_PLATFORM_CLOCK, 4);  /* 112 flags */
    table_pointer32(blob, loader, at + 36, facs);
    table_pointer32(blob, loader, at + 40, dsdt);
    table_end(blob, loader, at);
    return at;
}

/* ---- MADT ---- */

static size_t build_madt(GByteArray *blob, GByteArray *loader, const AcpiBuildConfig *cfg)
{
    size_t at = table_begin(blob, "APIC", 1);
    put_le(blob, ACPI_LAPIC_BASE, 4);
    put_le(blob, 1, 4);                         /* PCAT_COMPAT: 8259s present */
    for (int i = 0; i < cfg->cpus; i++) {
        put_le(blob, 0, 1);                     /* processor local APIC */
        put_le(blob, 8, 1);
        put_le(blob, i, 1);                     /* ACPI processor id */
        put_le(blob, i, 1);                     /* APIC id */
        put_le(blob, 1, 4);                     /* enabled */
    }
    put_le(blob, 1, 1);                         /* I/O APIC */
    put_le(blob, 12, 1);
    put_le(blob, 0, 1);                         /* id */
    put_le(blob, 0, 1);
    put_le(blob, ACPI_IOAPIC_BASE, 4);
    put_le(blob, 0, 4);                         /* GSI base */
    /* IRQ0 (PIT) is wired to pin 2; the SCI and the PCI link IRQs are
     * level-triggered, active high (MPS INTI flags 0x000d). */
    static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } iso[] = {
        { 0, 2, 0x0000 }, { 5, 5, 0x000d }, { 9, 9, 0x000d },
        { 10, 10, 0x000d }, { 11, 11, 0x000d },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(iso); i++) {
        put_le(blob, 2, 1);                     /* interrupt source override */
        put_le(blob, 10, 1);
        put_le(blob, 0, 1);                     /* bus: ISA */
        put_le(blob, iso[i].irq, 1);
        put_le(blob, iso[i].gsi, 4);
        put_le(blob, iso[i].flags, 2);
    }
    put_le(blob, 4, 1);                         /* local APIC NMI */
    put_le(blob, 6, 1);
    put_le(blob, 0xff, 1);                      /* all processors */
    put_le(blob, 0, 2);                         /* conforming polarity/trigger */
    put_le(blob, 1, 1);                         /* LINT1 */
    table_end(blob, loader, at);
    return at;
}

/* ---- HPET ---- */

static size_t build_hpet(GByteArray *blob, GByteArray *loader)
{
    size_t at = table_begin(blob, "HPET", 1);
    /* Event timer block id = the capabilities register's low half:
     * vendor 8086, legacy replacement capable, 64-bit counter, 3 timers,
     * revision 1. */
    put_le(blob, 0x8086a201, 4);
    put_le(blob, 0, 1);                         /* GAS: system memory */
    put_le(blob, 0, 1);                         /* bit width */
    put_le(blob, 0, 1);                         /* bit offset */
    put_le(blob, 0, 1);                         /* access size */
    put_le(blob, ACPI_HPET_BASE, 8);
    put_le(blob, 0, 1);                         /* HPET number */
    put_le(blob, 0, 2);                         /* minimum tick */
    put_le(blob, 0, 1);                         /* page protection */
    table_end(blob, loader, at);
    return at;
}

/* ---- DMAR (VT-d spec 8.1, 8.3) ---- */

static size_t build_dmar(GByteArray *blob, GByteArray *loader, const AcpiDmarConfig *d)
{
    size_t at = table_begin(blob, "DMAR", 1);
    put_le(blob, d->aw_bits - 1, 1);            /* host address width */
    put_le(blob, d->intremap ? 1 : 0, 1);       /* flags: INTR_REMAP */
    for (int i = 0; i < 10; i++) {
        put_le(blob, 0, 1);                     /* reserved */
    }
    /* DRHD: the one unit, for every PCI device of segment 0 (so a
     * hot-plugged one is covered too) */
    put_le(blob, 0, 2);                         /* type: DRHD */
    put_le(blob, 16 + 8, 2);                    /* length, with one device scope */
    put_le(blob, 1, 1);                         /* flags: INCLUDE_PCI_ALL */
    put_le(blob, 0, 1);
    put_le(blob, 0, 2);                         /* segment */
    put_le(blob, d->base, 8);
    /* the I/O APIC's scope (8.3.1): its source id for interrupt remapping */
    put_le(blob, 3, 1);                         /* type: IOAPIC */
    put_le(blob, 8, 1);                         /* length */
    put_le(blob, 0, 2);
    put_le(blob, d->ioapic_id, 1);              /* enumeration id */
    put_le(blob, d->ioapic_sid >> 8, 1);        /* start bus */
    put_le(blob, (d->ioapic_sid >> 3) & 0x1f, 1);  /* path: device, function */
    put_le(blob, d->ioapic_sid & 7, 1);
    table_end(blob, loader, at);
    return at;
}

/* ---- RSDT and RSDP ---- */

/* ---- MCFG (PCI Firmware specification 3.0, 4.1.2): where MMCONFIG is ---- */

static size_t build_mcfg(GByteArray *blob, GByteArray *loader)
{
    size_t at = table_begin(blob, "MCFG", 1);
    put_le(blob, 0, 8);                         /* reserved */
    put_le(blob, Q35_PCIEXBAR_DEFAULT, 8);      /* base address */
    put_le(blob, 0, 2);                         /* PCI segment group */
    put_le(blob, 0, 1);                         /* first bus */
    put_le(blob, Q35_PCIEXBAR_SIZE / (1u << 20) - 1, 1);   /* last bus */
    put_le(blob, 0, 4);                         /* reserved */
    table_end(blob, loader, at);
    return at;
}

static size_t build_rsdt(GByteArray *blob, GByteArray *loader, const size_t *tables, int n)
{
    size_t at = table_begin(blob, "RSDT", 1);
    for (int i = 0; i < n; i++) {
        size_t ptr = blob->len;
        put_le(blob, 0, 4);
        table_pointer32(blob, loader, ptr, tables[i]);
    }
    table_end(blob, loader, at);
    return at;
}

static void build_rsdp(GByteArray *rsdp, GByteArray *loader, size_t rsdt)
{
    put_bytes(rsdp, "RSD PTR ", 8);
    put_le(rsdp, 0, 1);                         /* checksum */
    put_bytes(rsdp, ACPI_OEM_ID, 6);
    put_le(rsdp, 0, 1);                         /* revision 0: ACPI 1.0, RSDT only */
    put_le(rsdp, rsdt, 4);
    rsdp->data[8] = -acpi_checksum(rsdp->data, 20);
    table_loader_add_pointer(loader, ACPI_BUILD_RSDP_FILE, 16, 4, ACPI_BUILD_TABLE_FILE);
    table_loader_add_checksum(loader, ACPI_BUILD_RSDP_FILE, 8, 0, 20);
}

void acpi_build(const AcpiBuildConfig *cfg, AcpiBuildTables *out)
{
    GByteArray *blob = g_byte_array_new();
    GByteArray *loader = g_byte_array_new();
    size_t tables[5];
    int n = 0;

    out->tables = blob;
    out->rsdp = g_byte_array_new();
    out->loader = loader;

    /* Both files are copied whole by the firmware before any pointer is
     * patched; FACS first because it must be 64-byte aligned. */
    table_loader_allocate(loader, ACPI_BUILD_TABLE_FILE, 64, TABLE_LOADER_ZONE_HIGH);
    table_loader_allocate(loader, ACPI_BUILD_RSDP_FILE, 16, TABLE_LOADER_ZONE_FSEG);

    size_t facs = build_facs(blob);
    size_t dsdt = build_dsdt(blob, loader, cfg);
    tables[n++] = build_fadt(blob, loader, facs, dsdt, cfg);
    tables[n++] = build_madt(blob, loader, cfg);
    if (cfg->hpet) {
        tables[n++] = build_hpet(blob, loader);
    }
    if (cfg->q35) {
        tables[n++] = build_mcfg(blob, loader);
    }
    if (cfg->dmar.present) {
        tables[n++] = build_dmar(blob, loader, &cfg->dmar);
    }
    size_t rsdt = build_rsdt(blob, loader, tables, n);
    build_rsdp(out->rsdp, loader, rsdt);

    /* Padded as QEMU pads it, so the firmware reserves the same 128K at
     * the top of low RAM and the guest's e820 map is QEMU's. */
    size_t padded = (blob->len + ACPI_BUILD_TABLE_ALIGN - 1) / ACPI_BUILD_TABLE_ALIGN *
                    ACPI_BUILD_TABLE_ALIGN;
    size_t used = blob->len;
    g_byte_array_set_size(blob, padded);
    memset(blob->data + used, 0, padded - used);
}

void acpi_build_tables_free(AcpiBuildTables *t)
{
    g_byte_array_free(t->tables, TRUE);
    g_byte_array_free(t->rsdp, TRUE);
    g_byte_array_free(t->loader, TRUE);
    t->tables = t->rsdp = t->loader = NULL;
}

void acpi_setup(FWCfgState *s, const AcpiBuildConfig *cfg)
{
    AcpiBuildTables t;
    acpi_build(cfg, &t);
    fw_cfg_add_file(s, ACPI_BUILD_TABLE_FILE, t.tables->data, t.tables->len);
    fw_cfg_add_file(s, ACPI_BUILD_RSDP_FILE, t.rsdp->data, t.rsdp->len);
    fw_cfg_add_file(s, ACPI_BUILD_LOADER_FILE, t.loader->data, t.loader->len);
    acpi_build_tables_free(&t);
}
