/*
 * ACPI tables: run the table-loader script the way SeaBIOS does
 * (src/fw/romfile_loader.c) on the three fw_cfg files, then check what a
 * guest would find: the RSDP -> RSDT -> tables chain, checksums, every
 * patched pointer inside its table and aimed at a table, the FADT/MADT
 * fields the PM device and interrupt controllers depend on, and that
 * iasl disassembles every table (and recompiles the DSDT) without errors
 * or warnings, and that ACPICA's interpreter (acpiexec) runs the PCI link
 * methods against the PIRQ register as an OS would.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hw/acpi/acpi.h"
#include "hw/acpi/table-loader.h"
#include "hw/i386/acpi-build.h"

#define TABLES_ADDR 0x07fe0000u     /* where the "firmware" puts the files */
#define RSDP_ADDR   0x000f6750u

typedef struct LoadedFile {
    const char *name;
    GByteArray *data;
    uint32_t addr;
    bool allocated;
} LoadedFile;

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}

/* Offsets of the tables in the blob (walking their length fields). */
static GArray *table_offsets(GByteArray *blob)
{
    GArray *offs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    uint32_t at = 0;
    while (at + 8 <= blob->len && blob->data[at] != 0) {
        uint32_t len = rd32(blob->data + at + 4);
        g_assert_cmpuint(len, >=, 36);
        g_assert_cmpuint(at + len, <=, blob->len);
        g_array_append_val(offs, at);
        at += len;
    }
    /* only zero padding after the last table */
    for (uint32_t i = at; i < blob->len; i++) {
        g_assert_cmpuint(blob->data[i], ==, 0);
    }
    return offs;
}

/* The table containing [off, off+len) in the blob, or -1. */
static int table_containing(GByteArray *blob, GArray *offs, uint32_t off, uint32_t len)
{
    for (guint i = 0; i < offs->len; i++) {
        uint32_t t = g_array_index(offs, uint32_t, i);
        uint32_t tlen = rd32(blob->data + t + 4);
        if (off >= t && off + len <= t + tlen) {
            return i;
        }
    }
    return -1;
}

static LoadedFile *find_file(LoadedFile *files, int n, const uint8_t *name)
{
    g_assert_cmpuint(name[TABLE_LOADER_FILESZ - 1], ==, 0);
    for (int i = 0; i < n; i++) {
        if (!strcmp(files[i].name, (const char *)name)) {
            return &files[i];
        }
    }
    g_assert_not_reached();
}

typedef struct Built {
    AcpiBuildTables t;
    GArray *offs;
} Built;

static AcpiBuildConfig default_cfg(void)
{
    AcpiBuildConfig cfg = {
        .below_4g = 128 << 20,
        .cpus = 1,
        .hpet = true,
        .serial = { true },
        .parallel = true,
        .fdc = true,
    };
    return cfg;
}

/* Build, check the script structurally, then execute it in place. */
static void build_and_load(const AcpiBuildConfig *cfg, Built *b)
{
    acpi_build(cfg, &b->t);
    b->offs = table_offsets(b->t.tables);
    LoadedFile files[2] = {
        { ACPI_BUILD_TABLE_FILE, b->t.tables, TABLES_ADDR, false },
        { ACPI_BUILD_RSDP_FILE, b->t.rsdp, RSDP_ADDR, false },
    };
    GByteArray *l = b->t.loader;
    g_assert_cmpuint(l->len % TABLE_LOADER_ENTRY_SIZE, ==, 0);
    g_assert_cmpuint(l->len, >, 0);
    int pointers = 0, checksums = 0;

    for (guint at = 0; at < l->len; at += TABLE_LOADER_ENTRY_SIZE) {
        const uint8_t *e = l->data + at;
        switch (rd32(e)) {
        case TABLE_LOADER_ALLOCATE: {
            LoadedFile *f = find_file(files, 2, e + TABLE_LOADER_ALLOC_FILE);
            uint32_t align = rd32(e + TABLE_LOADER_ALLOC_ALIGN);
            g_assert_false(f->allocated);
            g_assert_cmpuint(align & (align - 1), ==, 0);
            g_assert_cmpuint(f->addr % align, ==, 0);
            g_assert_true(e[TABLE_LOADER_ALLOC_ZONE] == TABLE_LOADER_ZONE_HIGH ||
                          e[TABLE_LOADER_ALLOC_ZONE] == TABLE_LOADER_ZONE_FSEG);
            /* the RSDP must be found by the OS's scan of the F segment */
            g_assert_cmpint(e[TABLE_LOADER_ALLOC_ZONE], ==,
                            f->data == b->t.rsdp ? TABLE_LOADER_ZONE_FSEG
                                                 : TABLE_LOADER_ZONE_HIGH);
            f->allocated = true;
            break;
        }
        case TABLE_LOADER_ADD_POINTER: {
            LoadedFile *d = find_file(files, 2, e + TABLE_LOADER_PTR_DEST);
            LoadedFile *s = find_file(files, 2, e + TABLE_LOADER_PTR_SRC);
            uint32_t off = rd32(e + TABLE_LOADER_PTR_OFFSET);
            uint8_t size = e[TABLE_LOADER_PTR_SIZE];
            g_assert_true(d->allocated && s->allocated);
            g_assert_cmpuint(size, ==, 4);
            g_assert_cmpuint(off + size, <=, d->data->len);
            /* the patched field lies inside one table of its file */
            if (d->data == b->t.tables) {
                g_assert_cmpint(table_containing(d->data, b->offs, off, size), >=, 0);
            } else {
                g_assert_cmpuint(off + size, <=, 20);
            }
            /* and points at the start of a table of the source file */
            uint32_t target = rd32(d->data->data + off);
            g_assert_true(s->data == b->t.tables);
            gboolean starts = FALSE;
            for (guint i = 0; i < b->offs->len; i++) {
                starts |= g_array_index(b->offs, uint32_t, i) == target;
            }
            g_assert_true(starts);
            uint32_t patched = target + s->addr;
            memcpy(d->data->data + off, &patched, 4);   /* host is little-endian */
            pointers++;
            break;
        }
        case TABLE_LOADER_ADD_CHECKSUM: {
            LoadedFile *f = find_file(files, 2, e + TABLE_LOADER_CKSUM_FILE);
            uint32_t off = rd32(e + TABLE_LOADER_CKSUM_OFFSET);
            uint32_t start = rd32(e + TABLE_LOADER_CKSUM_START);
            uint32_t len = rd32(e + TABLE_LOADER_CKSUM_LENGTH);
            g_assert_true(f->allocated);
            g_assert_cmpuint(off, <, f->data->len);
            g_assert_cmpuint(start + len, <=, f->data->len);
            g_assert_true(off >= start && off < start + len);
            f->data->data[off] -= acpi_checksum(f->data->data + start, len);
            checksums++;
            break;
        }
        default:
            g_assert_not_reached();
        }
    }
    g_assert_true(files[0].allocated && files[1].allocated);
    g_assert_cmpint(pointers, >=, 4);
    /* one per table but the FACS, plus the RSDP */
    g_assert_cmpint(checksums, ==, (int)b->offs->len - 1 + 1);
}

static void built_free(Built *b)
{
    acpi_build_tables_free(&b->t);
    g_array_free(b->offs, TRUE);
}

static const uint8_t *at_addr(Built *b, uint32_t addr)
{
    g_assert_cmpuint(addr, >=, TABLES_ADDR);
    g_assert_cmpuint(addr - TABLES_ADDR, <, b->t.tables->len);
    return b->t.tables->data + (addr - TABLES_ADDR);
}

/* Follow RSDP -> RSDT -> tables as a guest does; checksums valid. */
static void test_chain(void)
{
    AcpiBuildConfig cfg = default_cfg();
    Built b;
    build_and_load(&cfg, &b);

    const uint8_t *rsdp = b.t.rsdp->data;
    g_assert_cmpuint(b.t.rsdp->len, ==, 20);
    g_assert_true(!memcmp(rsdp, "RSD PTR ", 8));
    g_assert_cmpuint(rsdp[15], ==, 0);
    g_assert_cmpuint(acpi_checksum(rsdp, 20), ==, 0);

    const uint8_t *rsdt = at_addr(&b, rd32(rsdp + 16));
    g_assert_true(!memcmp(rsdt, "RSDT", 4));
    uint32_t len = rd32(rsdt + 4);
    g_assert_cmpuint(acpi_checksum(rsdt, len), ==, 0);
    g_assert_cmpuint((len - 36) / 4, ==, 3);

    const char *want[] = { "FACP", "APIC", "HPET" };
    const uint8_t *fadt = NULL, *madt = NULL;
    for (int i = 0; i < 3; i++) {
        const uint8_t *t = at_addr(&b, rd32(rsdt + 36 + 4 * i));
        g_assert_true(!memcmp(t, want[i], 4));
        g_assert_cmpuint(acpi_checksum(t, rd32(t + 4)), ==, 0);
        if (i == 0) fadt = t;
        if (i == 1) madt = t;
    }

    /* FADT: the PM block where SeaBIOS puts it, SCI, APM, FACS/DSDT */
    g_assert_cmpuint(rd32(fadt + 4), ==, 116);
    const uint8_t *facs = at_addr(&b, rd32(fadt + 36));
    g_assert_true(!memcmp(facs, "FACS", 4));
    g_assert_cmpuint((rd32(fadt + 36) & 63), ==, 0);
    const uint8_t *dsdt = at_addr(&b, rd32(fadt + 40));
    g_assert_true(!memcmp(dsdt, "DSDT", 4));
    g_assert_cmpuint(acpi_checksum(dsdt, rd32(dsdt + 4)), ==, 0);
    g_assert_cmpuint(rd16(fadt + 46), ==, 9);
    g_assert_cmpuint(rd32(fadt + 48), ==, 0xb2);
    g_assert_cmpuint(fadt[52], ==, 0xf1);
    g_assert_cmpuint(fadt[53], ==, 0xf0);
    g_assert_cmpuint(rd32(fadt + 56), ==, 0x600);
    g_assert_cmpuint(rd32(fadt + 64), ==, 0x604);
    g_assert_cmpuint(rd32(fadt + 76), ==, 0x608);
    g_assert_cmpuint(rd32(fadt + 80), ==, 0xafe0);
    g_assert_cmpuint(fadt[88], ==, 4);
    g_assert_cmpuint(fadt[89], ==, 2);
    g_assert_cmpuint(fadt[91], ==, 4);
    /* fixed-feature power button: PWR_BUTTON flag (bit 4) clear */
    g_assert_cmpuint(rd32(fadt + 112) & (1u << 4), ==, 0);

    /* MADT: LAPIC, IOAPIC, IRQ0 -> GSI 2, IRQ9 level/high, NMI on LINT1 */
    g_assert_cmpuint(rd32(madt + 36), ==, 0xfee00000u);
    bool lapic = false, ioapic = false, irq0 = false, irq9 = false, nmi = false;
    for (uint32_t o = 44; o < rd32(madt + 4); o += madt[o + 1]) {
        const uint8_t *s = madt + o;
        g_assert_cmpuint(s[1], >=, 2);
        switch (s[0]) {
        case 0: lapic |= s[3] == 0 && (rd32(s + 4) & 1); break;
        case 1: ioapic |= s[2] == 0 && rd32(s + 4) == 0xfec00000u && rd32(s + 8) == 0; break;
        case 2:
            irq0 |= s[3] == 0 && rd32(s + 4) == 2;
            irq9 |= s[3] == 9 && rd32(s + 4) == 9 && rd16(s + 8) == 0x000d;
            break;
        case 4: nmi |= s[2] == 0xff && s[5] == 1; break;
        }
    }
    g_assert_true(lapic && ioapic && irq0 && irq9 && nmi);

    /* the blob is padded so firmware reserves what it reserves under QEMU */
    g_assert_cmpuint(b.t.tables->len, ==, 128 * 1024);
    built_free(&b);
}

static void test_no_hpet(void)
{
    AcpiBuildConfig cfg = default_cfg();
    cfg.hpet = false;
    cfg.parallel = false;
    Built b;
    build_and_load(&cfg, &b);
    const uint8_t *rsdt = at_addr(&b, rd32(b.t.rsdp->data + 16));
    g_assert_cmpuint((rd32(rsdt + 4) - 36) / 4, ==, 2);
    for (guint i = 0; i < b.offs->len; i++) {
        g_assert_false(!memcmp(b.t.tables->data + g_array_index(b.offs, uint32_t, i), "HPET", 4));
    }
    built_free(&b);
}

/* Run a command; its combined output, or NULL if it could not run. */
static char *run(const char *dir, char **argv, int *status)
{
    char *out = NULL, *err = NULL;
    GError *e = NULL;
    if (!g_spawn_sync(dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, status, &e)) {
        g_error_free(e);
        return NULL;
    }
    char *all = g_strconcat(out, err, NULL);
    g_free(out);
    g_free(err);
    return all;
}

/* iasl reports problems as "Error"/"Warning" lines ("Firmware Warning
 * (ACPI): Incorrect checksum", compiler diagnostics); its compile summary
 * names both words even when clean, so that line is blanked first. */
static void assert_iasl_clean(const char *what, const char *out, int status)
{
    GRegex *summary = g_regex_new(" 0 Errors, 0 Warnings", 0, 0, NULL);
    char *rest = g_regex_replace_literal(summary, out, -1, 0, "", 0, NULL);
    g_regex_unref(summary);
    if (status != 0 || strstr(rest, "Error") || strstr(rest, "Warning") ||
        strstr(rest, "Invalid")) {
        g_printerr("iasl %s (status %d):\n%s\n", what, status, out);
        g_assert_not_reached();
    }
    g_free(rest);
}

/*
 * Execute the link device methods in ACPICA's interpreter (acpiexec
 * simulates the PCI config region with memory): route LNKA to IRQ 11
 * with _SRS as an OS does, read it back, disable it.
 */
static bool have_program(const char *name)
{
    char *path = g_find_program_in_path(name);
    g_free(path);
    return path != NULL;
}

static void check_acpiexec(const char *dir)
{
    if (!have_program("acpiexec")) {
        return;     /* same package as iasl; older packagings lacked it */
    }
    int status = -1;
    char *argv[] = {
        "acpiexec", "-b",
        "evaluate \\_SB.LNKA._SRS (89 06 00 09 01 0b 00 00 00 79 00); "
        "evaluate \\_SB.LNKA._CRS; evaluate \\_SB.LNKA._STA; "
        "evaluate \\_SB.LNKA._DIS; evaluate \\_SB.LNKA._STA; "
        "evaluate \\_SB.PCI0.ISA.PRQA; evaluate \\_S5; "
        /* hot-plug: an eject writes B0EJ (simulated I/O); the GPE handler runs */
        "evaluate \\_SB.PCI0.S05._EJ0 1; evaluate \\_SB.PCI0.B0EJ; evaluate \\_GPE._E01",
        "DSDT.dat", NULL
    };
    char *out = run(dir, argv, &status);
    g_assert_nonnull(out);
    if (g_test_verbose()) {
        g_print("%s", out);
    }
    const char *want[] = {
        "[Buffer] Length 0B =     0000: 89 06 00 09 01 0B 00 00 00 79 00",
        "[Integer] = 000000000000000B",     /* enabled */
        "[Integer] = 0000000000000009",     /* after _DIS */
        "[Integer] = 000000000000008B",     /* PIRQ register: disabled, IRQ 11 */
        "[Package] Contains 4 Elements:",
        "[Integer] = 0000000000000020",     /* B0EJ after S05._EJ0: bit 5 */
    };
    const char *p = out;
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        const char *hit = strstr(p, want[i]);
        if (!hit) {
            g_printerr("acpiexec: expected '%s' in:\n%s\n", want[i], out);
            g_assert_not_reached();
        }
        p = hit + 1;
    }
    g_assert_null(strstr(out, "ACPI Error"));
    g_assert_null(strstr(out, "AE_"));
    g_free(out);
}

static void test_iasl(void)
{
    if (!have_program("iasl")) {
        if (g_getenv("CI")) {
            g_error("iasl not installed (acpica-tools, scripts/install-deps.sh)");
        }
        g_test_skip("iasl not installed (acpica-tools)");
        return;
    }
    AcpiBuildConfig cfg = default_cfg();
    cfg.cpus = 2;
    cfg.above_4g = 2ull << 30;
    cfg.serial[1] = true;
    cfg.pci_hotplug_slots = ~7u;          /* slots 0-2 hold fixed devices */
    Built b;
    build_and_load(&cfg, &b);

    char *dir = g_dir_make_tmp("vireo-acpi-XXXXXX", NULL);
    g_assert_nonnull(dir);
    for (guint i = 0; i < b.offs->len; i++) {
        const uint8_t *t = b.t.tables->data + g_array_index(b.offs, uint32_t, i);
        char sig[5] = { t[0], t[1], t[2], t[3], 0 };
        char *name = g_strdup_printf("%s.dat", sig);
        char *path = g_build_filename(dir, name, NULL);
        g_assert_true(g_file_set_contents(path, (const char *)t, rd32(t + 4), NULL));

        int status = -1;
        char *argv[] = { "iasl", "-d", name, NULL };
        char *out = run(dir, argv, &status);
        g_assert_nonnull(out);
        assert_iasl_clean(name, out, status);
        if (g_test_verbose()) {
            g_print("%s", out);
        }
        g_free(out);

        char *dsl = g_strdup_printf("%s/%s.dsl", dir, sig);
        g_assert_true(g_file_test(dsl, G_FILE_TEST_EXISTS));
        char *text = NULL;
        g_assert_true(g_file_get_contents(dsl, &text, NULL, NULL));
        if (!strcmp(sig, "DSDT")) {
            /* what the disassembler made of our AML */
            g_assert_nonnull(strstr(text, "EisaId (\"PNP0A03\")"));
            g_assert_nonnull(strstr(text, "Name (\\_S5, Package (0x04)"));
            g_assert_nonnull(strstr(text, "Device (LNKD)"));
            g_assert_nonnull(strstr(text, "Device (COM2)"));
            g_assert_nonnull(strstr(text, "Device (HPET)"));
            g_assert_nonnull(strstr(text, "Device (FDC0)"));
            g_assert_nonnull(strstr(text, "EisaId (\"PNP0700\")"));
            g_assert_nonnull(strstr(text, "DMA (Compatibility, NotBusMaster, Transfer8, )"));
            g_assert_nonnull(strstr(text, "Interrupt (ResourceConsumer, Level, ActiveHigh, Shared"));
            g_assert_nonnull(strstr(text, "OperationRegion (PIRQ, PCI_Config, 0x60, 0x04)"));
            g_assert_nonnull(strstr(text, "0xFEBFFFFF,         // Range Maximum"));
            /* ACPI PCI hot-plug: slots 3..31, none for 0..2 */
            g_assert_nonnull(strstr(text, "OperationRegion (PCST, SystemIO, 0xAE00, 0x08)"));
            g_assert_nonnull(strstr(text, "Device (S03)"));
            g_assert_nonnull(strstr(text, "Device (S1F)"));
            g_assert_null(strstr(text, "Device (S02)"));
            g_assert_nonnull(strstr(text, "Notify (S1F, 0x03)"));
            g_assert_nonnull(strstr(text, "Method (_E01, 0, NotSerialized)"));
            /* and the ASL must compile back cleanly (semantic checks) */
            char *cargv[] = { "iasl", "-p", "recompiled", "DSDT.dsl", NULL };
            out = run(dir, cargv, &status);
            g_assert_nonnull(out);
            assert_iasl_clean("DSDT.dsl", out, status);
            g_assert_nonnull(strstr(out, " 0 Errors"));
            g_assert_nonnull(strstr(out, " 0 Warnings"));
            g_free(out);
            /* _PRT: 32 slots x 4 pins, each link used once per slot */
            for (int l = 0; l < 4; l++) {
                char link[8];
                g_snprintf(link, sizeof(link), "LNK%c, ", 'A' + l);
                int count = 0;
                for (const char *p = strstr(text, link); p; p = strstr(p + 1, link)) {
                    count++;
                }
                g_assert_cmpint(count, ==, 32);
            }
            check_acpiexec(dir);
        } else {
            g_assert_null(strstr(text, "Invalid"));
            g_assert_null(strstr(text, "Incorrect checksum"));
        }
        g_free(text);
        g_free(dsl);
        g_free(path);
        g_free(name);
    }
    if (!g_getenv("ACPI_KEEP")) {
        char *argv[] = { "rm", "-rf", dir, NULL };
        int status;
        g_free(run("/", argv, &status));
    } else {
        g_print("# tables kept in %s\n", dir);
    }
    g_free(dir);
    built_free(&b);
}

/* q35: every table disassembles and the DSDT recompiles cleanly; what
 * the ICH9/MMCONFIG parts look like to iasl */
static void test_q35_iasl(void)
{
    if (!have_program("iasl")) {
        if (g_getenv("CI")) {
            g_error("iasl not installed (acpica-tools, scripts/install-deps.sh)");
        }
        g_test_skip("iasl not installed (acpica-tools)");
        return;
    }
    AcpiBuildConfig cfg = default_cfg();
    cfg.q35 = true;
    cfg.cpus = 4;
    cfg.below_4g = 0x80000000;
    cfg.above_4g = 1ull << 30;
    cfg.fdc = false;
    cfg.pci_hotplug_slots = 0;
    Built b;
    build_and_load(&cfg, &b);

    char *dir = g_dir_make_tmp("vireo-acpi-XXXXXX", NULL);
    g_assert_nonnull(dir);
    bool seen_mcfg = false;
    for (guint i = 0; i < b.offs->len; i++) {
        const uint8_t *t = b.t.tables->data + g_array_index(b.offs, uint32_t, i);
        char sig[5] = { t[0], t[1], t[2], t[3], 0 };
        g_autofree char *name = g_strdup_printf("%s.dat", sig);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_assert_true(g_file_set_contents(path, (const char *)t, rd32(t + 4), NULL));
        int status = -1;
        char *argv[] = { "iasl", "-d", name, NULL };
        g_autofree char *out = run(dir, argv, &status);
        g_assert_nonnull(out);
        assert_iasl_clean(name, out, status);
        g_autofree char *dsl = g_strdup_printf("%s/%s.dsl", dir, sig);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(dsl, &text, NULL, NULL));
        g_assert_null(strstr(text, "Invalid"));
        g_assert_null(strstr(text, "Incorrect checksum"));
        if (!strcmp(sig, "DSDT")) {
            g_assert_nonnull(strstr(text, "EisaId (\"PNP0A08\")"));
            g_assert_nonnull(strstr(text, "Name (_CID, EisaId (\"PNP0A03\")"));
            g_assert_nonnull(strstr(text, "Name (_ADR, 0x001F0000)"));
            g_assert_nonnull(strstr(text, "OperationRegion (PIRQ, PCI_Config, 0x60, 0x0C)"));
            g_assert_nonnull(strstr(text, "PRQH,   8"));
            g_assert_nonnull(strstr(text, "Device (LNKH)"));
            g_assert_nonnull(strstr(text, "0xC0000000,         // Range Minimum"));
            g_assert_null(strstr(text, "Device (FDC0)"));
            g_assert_null(strstr(text, "PCST"));
            char *cargv[] = { "iasl", "-p", "recompiled", "DSDT.dsl", NULL };
            g_autofree char *cout = run(dir, cargv, &status);
            g_assert_nonnull(cout);
            assert_iasl_clean("DSDT.dsl", cout, status);
            /* _PRT: slot 4 pin A -> PIRQE + (4 mod 4) = LNKE; slot 31 pin A
             * -> LNKA; each of LNKE-H serves 25 slots, LNKA-D 7 */
            const char *e4 = strstr(strstr(text, "PRTP"), "0x0004FFFF");
            g_assert_nonnull(e4);
            g_assert_true(strstr(e4, "LNK") == strstr(e4, "LNKE"));
            const char *e31 = strstr(text, "0x001FFFFF");
            g_assert_nonnull(e31);
            g_assert_true(strstr(e31, "LNK") == strstr(e31, "LNKA"));
            for (int l = 0; l < 16; l++) {
                char link[8];
                g_snprintf(link, sizeof(link), "%s%c, ", l < 8 ? "LNK" : "GSI", 'A' + l % 8);
                int count = 0;
                for (const char *p = strstr(text, link); p; p = strstr(p + 1, link)) {
                    count++;
                }
                g_assert_cmpint(count, ==, l % 8 < 4 ? 7 : 25);
            }
            /* APIC mode: _PIC(1) picks PRTA, whose GSIA-H are pins 16-23 */
            g_assert_nonnull(strstr(text, "Method (_PIC, 1, NotSerialized)"));
            g_assert_nonnull(strstr(text, "Return (PRTA)"));
            g_assert_nonnull(strstr(text, "Device (GSIH)"));
            g_assert_nonnull(strstr(text, "0x00000017,"));
        } else if (!strcmp(sig, "MCFG")) {
            seen_mcfg = true;
            g_assert_nonnull(strstr(text, "Base Address : 00000000B0000000"));
            g_assert_nonnull(strstr(text, "End Bus Number : FF"));
        } else if (!strcmp(sig, "FACP")) {
            g_assert_nonnull(strstr(text, "GPE0 Block Address : 00000620"));
            g_assert_nonnull(strstr(text, "GPE0 Block Length : 10"));
            g_assert_nonnull(strstr(text, "ACPI Enable Value : 02"));
        }
    }
    g_assert_true(seen_mcfg);
    if (!g_getenv("ACPI_KEEP")) {
        char *argv[] = { "rm", "-rf", dir, NULL };
        int status;
        g_free(run("/", argv, &status));
    }
    g_free(dir);
    built_free(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi-build/chain", test_chain);
    g_test_add_func("/acpi-build/no-hpet", test_no_hpet);
    g_test_add_func("/acpi-build/iasl", test_iasl);
    g_test_add_func("/acpi-build/q35-iasl", test_q35_iasl);
    return g_test_run();
}
