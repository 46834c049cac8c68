/*
 * The PIIX3 IDE controller through qtest, driven as a BIOS or driver
 * would, over a raw disk image and a raw "ISO" the test writes itself:
 *   - the PCI function 8086:7010 at 00:01.1 (class 0101, prog-if 80);
 *   - ATA IDENTIFY: signature, geometry, LBA28/LBA48 capacity, serial=,
 *     model, DMA mode words, and SET FEATURES changing the selected mode;
 *   - PIO READ/WRITE SECTORS (16- and 32-bit data port), READ/WRITE
 *     MULTIPLE after SET MULTIPLE MODE, LBA48 EXT and CHS addressing,
 *     each checked against the image file on the host, with IRQ 14;
 *   - bus-master DMA READ/WRITE (EXT) over a PRD table of several
 *     entries, BMDMA status (interrupt, active, error), a PRD table
 *     pointing outside RAM and a table too short for the transfer;
 *   - errors: IDNF beyond the end, ABRT for an unknown command, READ
 *     VERIFY, FLUSH CACHE, CHECK POWER MODE, an absent device 1 reading
 *     0, the signatures after a software reset;
 *   - ATAPI on the secondary channel (IRQ 15): the packet signature,
 *     IDENTIFY PACKET DEVICE, INQUIRY, TEST UNIT READY, READ CAPACITY,
 *     READ(10) in pieces of the byte count limit, READ(12), READ TOC
 *     formats 0/1/2, MODE SENSE(10), GET CONFIGURATION, READ(10) by DMA,
 *     LBA out of range, no medium (NOT READY, REQUEST SENSE 02/3a), a
 *     medium inserted over QMP (UNIT ATTENTION 06/28 once, then ready),
 *     PREVENT ALLOW MEDIUM REMOVAL refusing a QMP eject, START STOP UNIT.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/qtest/libqtest.h"

#define IDE_DEVFN  ((1 << 3) | 1)
#define BM_BASE    0xc000
#define PRD_ADDR   0x10000
#define BUF_ADDR   0x100000
#define DISK_SECTORS 8192           /* 4 MiB */
#define CD_SECTORS   64             /* 128 KiB */

/* status / error bits */
#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DSC  0x10
#define ST_DRDY 0x40
#define ST_BSY  0x80
#define ER_ABRT 0x04
#define ER_IDNF 0x10

typedef struct Chan {
    uint16_t cmd, ctl, bm;
    int irq;
} Chan;

static const Chan pri = { 0x1f0, 0x3f6, BM_BASE, 14 };
static const Chan sec = { 0x170, 0x376, BM_BASE + 8, 15 };

static char *disk_path, *disk2_path, *iso_path, *iso2_path;

/* ---- images ---- */

static uint8_t disk_byte(uint64_t off)
{
    return (off * 7 + (off >> 9) * 13) & 0xff;
}

static uint8_t cd_byte(uint64_t off)
{
    return (off * 3 + (off >> 11) * 29 + 1) & 0xff;
}

static char *make_image(const char *name, uint64_t size, uint8_t (*fill)(uint64_t))
{
    char *path = g_strdup_printf("%s/vireo-ide-%s-%d.img", g_get_tmp_dir(), name, getpid());
    uint8_t *buf = g_malloc(size);
    for (uint64_t i = 0; i < size; i++) {
        buf[i] = fill(i);
    }
    g_assert_true(g_file_set_contents(path, (char *)buf, size, NULL));
    g_free(buf);
    return path;
}

static void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    g_assert_nonnull(f);
    g_assert_cmpint(fseek(f, off, SEEK_SET), ==, 0);
    g_assert_cmpuint(fread(buf, 1, len, f), ==, len);
    fclose(f);
}

static QTestState *start(void)
{
    g_autofree char *args = g_strdup_printf(
        "-drive file=%s,if=ide,format=raw,serial=VIREO-SN-42,discard=unmap "
        "-drive file=%s,if=ide,index=2,media=cdrom,format=raw "
        "-device ide-cd,bus=ide.1,unit=1,id=cd1",
        disk_path, iso_path);
    QTestState *s = qtest_start(args);
    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

/* ---- PCI and BMDMA ---- */

static void bm_setup(QTestState *s)
{
    qtest_pci_writel(s, IDE_DEVFN, 0x20, BM_BASE | 1);      /* BAR4 */
    qtest_pci_writew(s, IDE_DEVFN, 0x04, 0x0005);           /* I/O space, bus master */
}

static void prd(QTestState *s, int i, uint32_t addr, uint32_t len, bool eot)
{
    uint8_t e[8] = {
        addr, addr >> 8, addr >> 16, addr >> 24,
        len, len >> 8, 0, eot ? 0x80 : 0,
    };
    qtest_memwrite(s, PRD_ADDR + 8 * i, e, 8);
}

/* ---- task file ---- */

static uint8_t alt_status(QTestState *s, const Chan *c)
{
    return qtest_inb(s, c->ctl);
}

/* Completions come from the block layer's threads through the main loop:
 * poll the alternate status (which leaves the IRQ alone) until BSY clears. */
static uint8_t wait_ready(QTestState *s, const Chan *c)
{
    for (int i = 0; i < 20000; i++) {
        uint8_t st = alt_status(s, c);
        if (!(st & ST_BSY)) {
            return st;
        }
        g_usleep(100);
    }
    g_assert_not_reached();
}

/* LBA28 command to device dev */
static void ata_cmd28(QTestState *s, const Chan *c, int dev, uint8_t cmd, uint32_t lba,
                      uint8_t count, uint8_t feature)
{
    qtest_outb(s, c->cmd + 6, 0xe0 | dev << 4 | ((lba >> 24) & 0x0f));
    qtest_outb(s, c->cmd + 1, feature);
    qtest_outb(s, c->cmd + 2, count);
    qtest_outb(s, c->cmd + 3, lba);
    qtest_outb(s, c->cmd + 4, lba >> 8);
    qtest_outb(s, c->cmd + 5, lba >> 16);
    qtest_outb(s, c->cmd + 7, cmd);
}

static void ata_cmd48(QTestState *s, const Chan *c, uint8_t cmd, uint64_t lba, uint16_t count)
{
    qtest_outb(s, c->cmd + 6, 0x40);
    qtest_outb(s, c->cmd + 2, count >> 8);
    qtest_outb(s, c->cmd + 3, lba >> 24);
    qtest_outb(s, c->cmd + 4, lba >> 32);
    qtest_outb(s, c->cmd + 5, lba >> 40);
    qtest_outb(s, c->cmd + 2, count);
    qtest_outb(s, c->cmd + 3, lba);
    qtest_outb(s, c->cmd + 4, lba >> 8);
    qtest_outb(s, c->cmd + 5, lba >> 16);
    qtest_outb(s, c->cmd + 7, cmd);
}

static void pio_read(QTestState *s, const Chan *c, uint8_t *buf, size_t len, bool dword)
{
    for (size_t i = 0; i < len; i += dword ? 4 : 2) {
        uint32_t v = dword ? qtest_inl(s, c->cmd) : qtest_inw(s, c->cmd);
        buf[i] = v;
        buf[i + 1] = v >> 8;
        if (dword) {
            buf[i + 2] = v >> 16;
            buf[i + 3] = v >> 24;
        }
    }
}

static void pio_write(QTestState *s, const Chan *c, const uint8_t *buf, size_t len, bool dword)
{
    for (size_t i = 0; i < len; i += dword ? 4 : 2) {
        if (dword) {
            qtest_outl(s, c->cmd, buf[i] | buf[i + 1] << 8 | buf[i + 2] << 16 |
                       (uint32_t)buf[i + 3] << 24);
        } else {
            qtest_outw(s, c->cmd, buf[i] | buf[i + 1] << 8);
        }
    }
}

/* ATA string: two characters a word, first in the high byte */
static void ata_string(const uint16_t *w, int words, char *out)
{
    for (int i = 0; i < words; i++) {
        out[2 * i] = w[i] >> 8;
        out[2 * i + 1] = w[i];
    }
    out[2 * words] = 0;
    g_strchomp(out);
}

static void identify(QTestState *s, const Chan *c, int dev, uint8_t cmd, uint16_t *id)
{
    unsigned irqs = qtest_irq_raises(s, c->irq);
    ata_cmd28(s, c, dev, cmd, 0, 0, 0);
    uint8_t st = wait_ready(s, c);
    g_assert_cmphex(st & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    g_assert_cmpuint(qtest_irq_raises(s, c->irq), >, irqs);
    uint8_t b[512];
    pio_read(s, c, b, 512, false);
    for (int i = 0; i < 256; i++) {
        id[i] = b[2 * i] | b[2 * i + 1] << 8;
    }
    g_assert_cmphex(qtest_inb(s, c->cmd + 7) & (ST_DRQ | ST_BSY | ST_ERR), ==, 0);
    g_assert_false(qtest_get_irq(s, c->irq));           /* reading status acknowledged it */
}

/* ---- tests ---- */

static void test_pci_id(void)
{
    QTestState *s = start();
    g_assert_cmphex(qtest_pci_readl(s, IDE_DEVFN, 0x00), ==, 0x70108086);
    g_assert_cmphex(qtest_pci_readl(s, IDE_DEVFN, 0x08) >> 8, ==, 0x010180);
    /* BAR4 is a 16-byte I/O BAR */
    qtest_pci_writel(s, IDE_DEVFN, 0x20, 0xffffffff);
    g_assert_cmphex(qtest_pci_readl(s, IDE_DEVFN, 0x20), ==, 0xfffffff1);
    /* the legacy ports answer without any BAR: device 0 is ready */
    g_assert_cmphex(qtest_inb(s, 0x1f7) & (ST_DRDY | ST_BSY), ==, ST_DRDY);
    qtest_quit(s);
}

static void test_identify(void)
{
    QTestState *s = start();
    /* power-on signature of an ATA disk */
    g_assert_cmphex(qtest_inb(s, 0x1f2), ==, 1);
    g_assert_cmphex(qtest_inb(s, 0x1f3), ==, 1);
    g_assert_cmphex(qtest_inb(s, 0x1f4), ==, 0);
    g_assert_cmphex(qtest_inb(s, 0x1f5), ==, 0);

    uint16_t id[256];
    char str[48];
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmphex(id[0], ==, 0x0040);
    /* 4 MiB: 8192 sectors = 8 cylinders of 16 heads x 63 sectors (+ rest) */
    g_assert_cmpuint(id[1], ==, DISK_SECTORS / (16 * 63));
    g_assert_cmpuint(id[3], ==, 16);
    g_assert_cmpuint(id[6], ==, 63);
    ata_string(id + 10, 10, str);
    g_assert_cmpstr(str, ==, "VIREO-SN-42");
    ata_string(id + 27, 20, str);
    g_assert_cmpstr(str, ==, "QEMU HARDDISK");
    g_assert_cmphex(id[49] & 0x0300, ==, 0x0300);        /* LBA, DMA */
    g_assert_cmpuint(id[60] | (uint32_t)id[61] << 16, ==, DISK_SECTORS);
    g_assert_cmphex(id[83] & (1 << 10), ==, 1 << 10);    /* LBA48 */
    g_assert_cmpuint(id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32, ==, DISK_SECTORS);
    g_assert_cmphex(id[63] & 0x07, ==, 0x07);            /* MWDMA 0-2 */
    g_assert_cmphex(id[88] & 0x3f, ==, 0x3f);            /* UDMA 0-5 */
    g_assert_cmphex(id[88] >> 8, ==, 0);                 /* none selected yet */

    /* SET FEATURES 03h: UDMA 5 selected, then shown in word 88 */
    ata_cmd28(s, &pri, 0, 0xef, 0, 0x45, 0x03);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmphex(id[88] >> 8, ==, 1 << 5);
    /* an unknown SET FEATURES subcommand aborts */
    ata_cmd28(s, &pri, 0, 0xef, 0, 0, 0x77);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, 0x1f1), ==, ER_ABRT);

    /* IDENTIFY PACKET DEVICE to a disk aborts */
    ata_cmd28(s, &pri, 0, 0xa1, 0, 0, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRQ), ==, ST_ERR);

    /* block_resize: the LBA sizes follow, the BIOS's CHS geometry stays */
    g_free(qtest_qmp(s, "{\"execute\":\"human-monitor-command\",\"arguments\":"
                        "{\"command-line\":\"block_resize ide0-hd0 8M\"}}"));
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmpuint(id[60] | (uint32_t)id[61] << 16, ==, 2 * DISK_SECTORS);
    g_assert_cmpuint(id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32, ==, 2 * DISK_SECTORS);
    g_assert_cmpuint(id[1], ==, DISK_SECTORS / (16 * 63));
    g_free(qtest_qmp(s, "{\"execute\":\"block_resize\",\"arguments\":"
                        "{\"device\":\"ide0-hd0\",\"size\":4194304}}"));
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmpuint(id[60] | (uint32_t)id[61] << 16, ==, DISK_SECTORS);
    qtest_quit(s);
}

static void check_disk(const char *what, uint64_t lba, const uint8_t *got, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (got[i] != disk_byte(lba * 512 + i)) {
            g_error("%s: byte %zu of sector %" G_GUINT64_FORMAT " is %02x, want %02x",
                    what, i % 512, lba + i / 512, got[i], disk_byte(lba * 512 + i));
        }
    }
}

static void test_pio(void)
{
    QTestState *s = start();
    uint8_t buf[8 * 512];

    /* READ SECTORS: two sectors at LBA 100, one interrupt each */
    unsigned irqs = qtest_irq_raises(s, 14);
    ata_cmd28(s, &pri, 0, 0x20, 100, 2, 0);
    for (int i = 0; i < 2; i++) {
        g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
        g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs + i + 1);
        qtest_inb(s, 0x1f7);
        pio_read(s, &pri, buf + 512 * i, 512, i == 1);
    }
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR | ST_DRDY), ==, ST_DRDY);
    check_disk("READ SECTORS", 100, buf, 1024);
    /* I/O accounting: one block-layer read per sector, as the PIO
     * transfer goes, and the two interrupts */
    g_autofree char *io = qtest_qmp(s, "{\"execute\":\"query-iostats\"}");
    g_assert_nonnull(strstr(io, "{\"kind\":\"read\",\"count\":2,\"bytes\":1024,"));
    g_assert_nonnull(strstr(io, "\"rx-requests\":2"));
    g_assert_nonnull(strstr(io, "\"interrupts\":2,"));
    /* the task file moved past the sectors read, as QEMU's does */
    g_assert_cmpuint(qtest_inb(s, 0x1f3), ==, 102);

    /* READ MULTIPLE with 4 sectors per block: 8 sectors in 2 blocks */
    ata_cmd28(s, &pri, 0, 0xc6, 0, 4, 0);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    ata_cmd28(s, &pri, 0, 0xc6, 0, 3, 0);                 /* not a power of two */
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, ST_ERR);
    irqs = qtest_irq_raises(s, 14);
    ata_cmd28(s, &pri, 0, 0xc4, 200, 8, 0);
    for (int i = 0; i < 2; i++) {
        g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
        qtest_inb(s, 0x1f7);
        pio_read(s, &pri, buf + 2048 * i, 2048, true);
    }
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs + 2);
    check_disk("READ MULTIPLE", 200, buf, 4096);

    /* READ SECTORS EXT at an LBA48 address */
    ata_cmd48(s, &pri, 0x24, DISK_SECTORS - 1, 1);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_read(s, &pri, buf, 512, false);
    check_disk("READ SECTORS EXT", DISK_SECTORS - 1, buf, 512);

    /* CHS: cylinder 1, head 2, sector 3 = LBA (1*16+2)*63+2 */
    qtest_outb(s, 0x1f6, 0xa0 | 2);
    qtest_outb(s, 0x1f2, 1);
    qtest_outb(s, 0x1f3, 3);
    qtest_outb(s, 0x1f4, 1);
    qtest_outb(s, 0x1f5, 0);
    qtest_outb(s, 0x1f7, 0x20);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_read(s, &pri, buf, 512, false);
    check_disk("READ SECTORS CHS", (1 * 16 + 2) * 63 + 2, buf, 512);

    /* WRITE SECTORS: no interrupt before the first block, one after each */
    uint8_t w[1024];
    for (int i = 0; i < 1024; i++) {
        w[i] = i ^ 0x5a;
    }
    irqs = qtest_irq_raises(s, 14);
    ata_cmd28(s, &pri, 0, 0x30, 300, 2, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs);
    pio_write(s, &pri, w, 512, false);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs + 1);
    qtest_inb(s, 0x1f7);                                  /* acknowledge */
    pio_write(s, &pri, w + 512, 512, true);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR | ST_DRDY), ==, ST_DRDY);
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs + 2);
    /* WRITE MULTIPLE EXT: 4 sectors in one block */
    uint8_t w2[2048];
    for (int i = 0; i < 2048; i++) {
        w2[i] = (i * 5) ^ 0xa5;
    }
    ata_cmd48(s, &pri, 0x39, 400, 4);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_write(s, &pri, w2, 2048, true);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, 0);
    /* FLUSH CACHE, then the image holds the data */
    ata_cmd28(s, &pri, 0, 0xe7, 0, 0, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRDY), ==, ST_DRDY);
    uint8_t f[2048];
    file_read(disk_path, 300 * 512, f, 1024);
    g_assert_cmpmem(f, 1024, w, 1024);
    file_read(disk_path, 400 * 512, f, 2048);
    g_assert_cmpmem(f, 2048, w2, 2048);
    /* and the guest reads it back */
    ata_cmd28(s, &pri, 0, 0x20, 301, 1, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_read(s, &pri, buf, 512, false);
    g_assert_cmpmem(buf, 512, w + 512, 512);
    qtest_quit(s);
}

static void test_errors(void)
{
    QTestState *s = start();
    /* beyond the end: IDNF, no data */
    ata_cmd28(s, &pri, 0, 0x20, DISK_SECTORS - 1, 2, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRQ), ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, 0x1f1), ==, ER_IDNF);
    ata_cmd48(s, &pri, 0x25, 1ull << 40, 1);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRQ), ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, 0x1f1), ==, ER_IDNF);
    /* an unknown command: ABRT with an interrupt */
    unsigned irqs = qtest_irq_raises(s, 14);
    ata_cmd28(s, &pri, 0, 0x5c, 0, 0, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRDY), ==, ST_ERR | ST_DRDY);
    g_assert_cmphex(qtest_inb(s, 0x1f1), ==, ER_ABRT);
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs + 1);
    /* READ VERIFY: no data phase; beyond the end it is IDNF too */
    ata_cmd28(s, &pri, 0, 0x40, 10, 5, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRQ), ==, 0);
    ata_cmd28(s, &pri, 0, 0x40, DISK_SECTORS, 1, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRQ), ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, 0x1f1), ==, ER_IDNF);
    /* CHECK POWER MODE: active (FFh in the sector count) */
    ata_cmd28(s, &pri, 0, 0xe5, 0, 0, 0);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    g_assert_cmphex(qtest_inb(s, 0x1f2), ==, 0xff);
    /* IDLE IMMEDIATE, STANDBY IMMEDIATE */
    ata_cmd28(s, &pri, 0, 0xe1, 0, 0, 0);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    ata_cmd28(s, &pri, 0, 0xe0, 0, 0, 0);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    /* INITIALIZE DEVICE PARAMETERS: 8 heads of 32 sectors for CHS */
    qtest_outb(s, 0x1f6, 0xa0 | 7);
    qtest_outb(s, 0x1f2, 32);
    qtest_outb(s, 0x1f7, 0x91);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    uint8_t buf[512];
    qtest_outb(s, 0x1f6, 0xa0 | 1);                       /* C0 H1 S1 = LBA 32 */
    qtest_outb(s, 0x1f2, 1);
    qtest_outb(s, 0x1f3, 1);
    qtest_outb(s, 0x1f4, 0);
    qtest_outb(s, 0x1f5, 0);
    qtest_outb(s, 0x1f7, 0x20);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_read(s, &pri, buf, 512, false);
    check_disk("CHS after INITIALIZE DEVICE PARAMETERS", 32, buf, 512);
    /* sector 0 does not exist in CHS */
    qtest_outb(s, 0x1f3, 0);
    qtest_outb(s, 0x1f7, 0x20);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRQ), ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, 0x1f1), ==, ER_IDNF);
    /* IDENTIFY: the default geometry in words 1/3/6, the current in 54-56 */
    uint16_t id[256];
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmpuint(id[3], ==, 16);
    g_assert_cmpuint(id[6], ==, 63);
    g_assert_cmpuint(id[54], ==, DISK_SECTORS / (8 * 32));
    g_assert_cmpuint(id[55], ==, 8);
    g_assert_cmpuint(id[56], ==, 32);
    g_assert_cmpuint(id[57] | (uint32_t)id[58] << 16, ==, DISK_SECTORS);

    /* device 1 is absent: its registers read 0 and a command does nothing */
    qtest_outb(s, 0x1f6, 0xb0);
    g_assert_cmphex(qtest_inb(s, 0x1f7), ==, 0);
    g_assert_cmphex(qtest_inb(s, 0x3f6), ==, 0);
    qtest_outb(s, 0x1f7, 0xec);
    g_assert_cmphex(qtest_inb(s, 0x1f7), ==, 0);
    qtest_outb(s, 0x1f6, 0xa0);
    g_assert_cmphex(qtest_inb(s, 0x1f7) & ST_DRDY, ==, ST_DRDY);

    /* software reset: BSY while SRST is set, then the signatures, device 0 */
    qtest_outb(s, 0x1f6, 0xb0);
    qtest_outb(s, 0x3f6, 0x04);
    qtest_outb(s, 0x1f6, 0xa0);
    g_assert_cmphex(qtest_inb(s, 0x3f6) & ST_BSY, ==, ST_BSY);
    qtest_outb(s, 0x3f6, 0x00);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRDY | ST_ERR | ST_DRQ), ==, ST_DRDY);
    g_assert_cmphex(qtest_inb(s, 0x1f6) & 0x10, ==, 0);
    g_assert_cmphex(qtest_inb(s, 0x1f2), ==, 1);
    g_assert_cmphex(qtest_inb(s, 0x1f3), ==, 1);
    g_assert_cmphex(qtest_inb(s, 0x1f4), ==, 0);
    g_assert_cmphex(qtest_inb(s, 0x1f5), ==, 0);
    /* nIEN holds the interrupt back */
    qtest_outb(s, 0x3f6, 0x02);
    irqs = qtest_irq_raises(s, 14);
    ata_cmd28(s, &pri, 0, 0x00 + 0xe5, 0, 0, 0);
    wait_ready(s, &pri);
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs);
    qtest_outb(s, 0x3f6, 0x00);
    qtest_quit(s);
}

/* Run a DMA command whose PRD table is already written; returns the BMDMA
 * status it ended with (interrupt bit cleared afterwards). */
static uint8_t run_dma(QTestState *s, const Chan *c, bool to_memory, void (*issue)(QTestState *s))
{
    qtest_outb(s, c->bm, to_memory ? 0x08 : 0x00);
    qtest_outb(s, c->bm + 2, 0x06);                       /* clear INT and ERR */
    qtest_outl(s, c->bm + 4, PRD_ADDR);
    issue(s);
    qtest_outb(s, c->bm, to_memory ? 0x09 : 0x01);       /* start */
    /* done: the device interrupted, or the controller stopped (Active
     * clear without an interrupt: PRD table too short, or master abort) */
    uint8_t bst = 0;
    int i;
    for (i = 0; i < 20000; i++) {
        bst = qtest_inb(s, c->bm + 2);
        if ((bst & 0x04) || !(bst & 0x01)) {
            break;
        }
        g_usleep(100);
    }
    g_assert_cmpint(i, <, 20000);
    qtest_outb(s, c->bm, to_memory ? 0x08 : 0x00);        /* stop */
    qtest_outb(s, c->bm + 2, 0x04);
    return bst;
}

static void issue_read_dma(QTestState *s) { ata_cmd28(s, &pri, 0, 0xc8, 1000, 24, 0); }
static void issue_write_dma_ext(QTestState *s) { ata_cmd48(s, &pri, 0x35, 2000, 8); }
static void issue_read_dma_ext(QTestState *s) { ata_cmd48(s, &pri, 0x25, 2000, 8); }
static void issue_read_dma_big(QTestState *s) { ata_cmd28(s, &pri, 0, 0xc8, 0, 0, 0); }
static void issue_trim(QTestState *s) { ata_cmd28(s, &pri, 0, 0x06, 0, 1, 0x01); }

static void test_dma(void)
{
    QTestState *s = start();
    bm_setup(s);
    g_assert_cmphex(qtest_inb(s, BM_BASE + 2) & 0x07, ==, 0);

    /* READ DMA, 24 sectors over three PRD entries of odd sizes */
    prd(s, 0, BUF_ADDR, 4096, false);
    prd(s, 1, BUF_ADDR + 0x10000, 1024, false);
    prd(s, 2, BUF_ADDR + 0x20000, 7168, true);
    unsigned irqs = qtest_irq_raises(s, 14);
    uint8_t bst = run_dma(s, &pri, true, issue_read_dma);
    g_assert_cmphex(bst & 0x07, ==, 0x04);                /* INT, not active, no error */
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs + 1);
    g_assert_cmphex(qtest_inb(s, 0x1f7) & (ST_BSY | ST_DRQ | ST_ERR | ST_DRDY), ==, ST_DRDY);
    uint8_t buf[12288];
    qtest_memread(s, BUF_ADDR, buf, 4096);
    qtest_memread(s, BUF_ADDR + 0x10000, buf + 4096, 1024);
    qtest_memread(s, BUF_ADDR + 0x20000, buf + 5120, 7168);
    check_disk("READ DMA", 1000, buf, 12288);

    /* WRITE DMA EXT from two entries, checked in the image and read back */
    uint8_t w[4096];
    for (int i = 0; i < 4096; i++) {
        w[i] = (i * 11) ^ 0x3c;
    }
    qtest_memwrite(s, BUF_ADDR + 0x30000, w, 1536);
    qtest_memwrite(s, BUF_ADDR + 0x40000, w + 1536, 2560);
    prd(s, 0, BUF_ADDR + 0x30000, 1536, false);
    prd(s, 1, BUF_ADDR + 0x40000, 2560, true);
    bst = run_dma(s, &pri, false, issue_write_dma_ext);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    g_assert_cmphex(qtest_inb(s, 0x1f7) & (ST_ERR | ST_DRQ), ==, 0);
    ata_cmd28(s, &pri, 0, 0xea, 0, 0, 0);                 /* FLUSH CACHE EXT */
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    uint8_t f[4096];
    file_read(disk_path, 2000 * 512, f, 4096);
    g_assert_cmpmem(f, 4096, w, 4096);
    prd(s, 0, BUF_ADDR + 0x50000, 4096, true);
    run_dma(s, &pri, true, issue_read_dma_ext);
    qtest_memread(s, BUF_ADDR + 0x50000, f, 4096);
    g_assert_cmpmem(f, 4096, w, 4096);

    /* a PRD entry of 0 bytes means 64 KiB: 256 sectors in two entries */
    prd(s, 0, BUF_ADDR, 0, false);
    prd(s, 1, BUF_ADDR + 0x10000, 0, true);
    bst = run_dma(s, &pri, true, issue_read_dma_big);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    qtest_memread(s, BUF_ADDR + 0x1fe00, buf, 512);
    check_disk("READ DMA 256 sectors", 255, buf, 512);

    /* a table describing more memory than the transfer: a valid
     * completion, Active stays set until the driver stops the engine */
    prd(s, 0, BUF_ADDR, 16384, true);
    bst = run_dma(s, &pri, true, issue_read_dma);
    g_assert_cmphex(bst & 0x07, ==, 0x05);
    g_assert_cmphex(qtest_inb(s, BM_BASE + 2) & 0x01, ==, 0);    /* stopped */

    /* a table too short for the transfer: Active clear, no interrupt, no
     * error bit; the command ends without data and the device is ready
     * without an error, as QEMU's */
    irqs = qtest_irq_raises(s, 14);
    prd(s, 0, BUF_ADDR, 2048, true);
    bst = run_dma(s, &pri, true, issue_read_dma);
    g_assert_cmphex(bst & 0x07, ==, 0x00);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR | ST_DRDY), ==, ST_DRDY);
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs);
    /* the start bit cleared right after it was set: the transfer under
     * way still completes (QEMU drains it), with its interrupt */
    prd(s, 0, BUF_ADDR, 12288, true);
    memset(buf, 0, sizeof(buf));
    qtest_memwrite(s, BUF_ADDR, buf, 12288);
    qtest_outb(s, pri.bm, 0x08);
    qtest_outb(s, pri.bm + 2, 0x06);
    qtest_outl(s, pri.bm + 4, PRD_ADDR);
    issue_read_dma(s);
    qtest_outb(s, pri.bm, 0x09);
    qtest_outb(s, pri.bm, 0x08);
    bst = qtest_inb(s, pri.bm + 2);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR | ST_BSY), ==, 0);
    qtest_memread(s, BUF_ADDR, buf, 12288);
    check_disk("READ DMA stopped at once", 1000, buf, 12288);
    qtest_outb(s, pri.bm + 2, 0x04);
    /* an entry pointing into the PCI hole, where nothing answers: the
     * writes go nowhere (as QEMU) and the command completes */
    prd(s, 0, 0xd0000000u, 12288, true);
    bst = run_dma(s, &pri, true, issue_read_dma);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, 0);
    /* RAM, then the hole: the RAM part still gets its sectors (the
     * transfer cannot go straight into guest RAM and takes the bounce
     * buffer) */
    memset(buf, 0, sizeof(buf));
    qtest_memwrite(s, BUF_ADDR, buf, 4096);
    prd(s, 0, BUF_ADDR, 4096, false);
    prd(s, 1, 0xd0000000u, 8192, true);
    bst = run_dma(s, &pri, true, issue_read_dma);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, 0);
    qtest_memread(s, BUF_ADDR, buf, 4096);
    check_disk("READ DMA into RAM and the hole", 1000, buf, 4096);
    /* bus mastering disabled in PCI COMMAND: the controller cannot move
     * the data: Error, Active clear, no interrupt */
    qtest_pci_writew(s, IDE_DEVFN, 0x04, 0x0001);
    irqs = qtest_irq_raises(s, 14);
    prd(s, 0, BUF_ADDR, 12288, true);
    bst = run_dma(s, &pri, true, issue_read_dma);
    g_assert_cmphex(bst & 0x07, ==, 0x02);
    g_assert_cmphex(wait_ready(s, &pri) & ST_DRQ, ==, 0);
    /* the same for a write, whose data is fetched first */
    bst = run_dma(s, &pri, false, issue_write_dma_ext);
    g_assert_cmphex(bst & 0x07, ==, 0x02);
    g_assert_cmphex(wait_ready(s, &pri) & ST_DRQ, ==, 0);
    g_assert_cmpuint(qtest_irq_raises(s, 14), ==, irqs);
    qtest_pci_writew(s, IDE_DEVFN, 0x04, 0x0005);
    /* still works afterwards */
    prd(s, 0, BUF_ADDR, 12288, true);
    bst = run_dma(s, &pri, true, issue_read_dma);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    qtest_memread(s, BUF_ADDR, buf, 12288);
    check_disk("READ DMA after errors", 1000, buf, 12288);

    /* DATA SET MANAGEMENT / TRIM (IDENTIFY word 169 bit 0): one block of
     * ranges by DMA; sectors 3000..3007 and 3100 read back as zeros (the
     * raw file gets holes), the sectors around them keep their data; a
     * range past the end aborts the command after the transfer */
    uint16_t id[256];
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmphex(id[169] & 1, ==, 1);
    uint8_t ranges[512] = { 0 };
    uint64_t r[3] = { 3000 | 8ull << 48, 0, 3100 | 1ull << 48 };    /* a zero-count entry between */
    for (int i = 0; i < 24; i++) {
        ranges[i] = r[i / 8] >> (8 * (i % 8));
    }
    qtest_memwrite(s, BUF_ADDR, ranges, sizeof(ranges));
    prd(s, 0, BUF_ADDR, 512, true);
    bst = run_dma(s, &pri, false, issue_trim);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, 0);
    uint8_t tf[10 * 512], zero[512] = { 0 };
    file_read(disk_path, 2999 * 512, tf, sizeof(tf));
    check_disk("sector before the TRIM", 2999, tf, 512);
    for (int i = 1; i <= 8; i++) {
        g_assert_cmpmem(tf + 512 * i, 512, zero, 512);
    }
    check_disk("sector after the TRIM", 3008, tf + 9 * 512, 512);
    file_read(disk_path, 3100 * 512, tf, 512);
    g_assert_cmpmem(tf, 512, zero, 512);
    uint64_t bad = (DISK_SECTORS - 1) | 2ull << 48;
    for (int i = 0; i < 8; i++) {
        ranges[i] = bad >> (8 * i);
    }
    memset(ranges + 8, 0, 16);
    qtest_memwrite(s, BUF_ADDR, ranges, sizeof(ranges));
    bst = run_dma(s, &pri, false, issue_trim);
    g_assert_cmphex(bst & 0x07, ==, 0x04);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, 0x1f1), ==, ER_ABRT);
    qtest_quit(s);
}

/* ---- ATAPI ---- */

typedef struct PacketResult {
    uint8_t status, error, ireason;
    size_t len;
    unsigned pieces;
} PacketResult;

/* Send a packet by PIO to device dev of the secondary channel, collect
 * the data in buf (at most max bytes). */
static PacketResult packet(QTestState *s, int dev, const uint8_t *cdb, uint16_t limit,
                           uint8_t *buf, size_t max)
{
    const Chan *c = &sec;
    PacketResult r = { 0 };
    qtest_outb(s, c->cmd + 6, 0xa0 | dev << 4);
    qtest_outb(s, c->cmd + 1, 0);                       /* PIO */
    qtest_outb(s, c->cmd + 4, limit);
    qtest_outb(s, c->cmd + 5, limit >> 8);
    qtest_outb(s, c->cmd + 7, 0xa0);
    uint8_t st = wait_ready(s, c);
    g_assert_cmphex(st & ST_DRQ, ==, ST_DRQ);
    g_assert_cmphex(qtest_inb(s, c->cmd + 2) & 3, ==, 1);     /* C/D: the packet */
    pio_write(s, c, cdb, 12, false);
    for (;;) {
        st = wait_ready(s, c);
        if (!(st & ST_DRQ)) {
            break;
        }
        qtest_inb(s, c->cmd + 7);
        g_assert_cmphex(qtest_inb(s, c->cmd + 2) & 3, ==, 2);  /* I/O: data in */
        unsigned n = qtest_inb(s, c->cmd + 4) | qtest_inb(s, c->cmd + 5) << 8;
        g_assert_cmpuint(n, >, 0);
        g_assert_cmpuint(n, <=, limit);
        g_assert_cmpuint(r.len + n, <=, max);
        pio_read(s, c, buf + r.len, n, false);
        r.len += n;
        r.pieces++;
    }
    r.status = qtest_inb(s, c->cmd + 7);
    r.error = qtest_inb(s, c->cmd + 1);
    r.ireason = qtest_inb(s, c->cmd + 2) & 3;
    return r;
}

static void request_sense(QTestState *s, int dev, uint8_t *key, uint8_t *asc)
{
    uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
    uint8_t buf[18];
    PacketResult r = packet(s, dev, cdb, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 18);
    g_assert_cmphex(buf[0] & 0x7f, ==, 0x70);
    *key = buf[2] & 0x0f;
    *asc = buf[12];
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static void check_cd(const char *what, uint32_t lba, const uint8_t *got, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (got[i] != cd_byte((uint64_t)lba * 2048 + i)) {
            g_error("%s: byte %zu of CD sector %zu wrong", what, i % 2048, lba + i / 2048);
        }
    }
}

static void test_atapi(void)
{
    QTestState *s = start();
    /* packet device signature on ide.1 unit 0 */
    qtest_outb(s, 0x176, 0xa0);
    g_assert_cmphex(qtest_inb(s, 0x174), ==, 0x14);
    g_assert_cmphex(qtest_inb(s, 0x175), ==, 0xeb);
    /* IDENTIFY DEVICE aborts, leaving the signature */
    ata_cmd28(s, &sec, 0, 0xec, 0, 0, 0);
    g_assert_cmphex(wait_ready(s, &sec) & (ST_ERR | ST_DRQ), ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, 0x171), ==, ER_ABRT);
    g_assert_cmphex(qtest_inb(s, 0x174), ==, 0x14);
    g_assert_cmphex(qtest_inb(s, 0x175), ==, 0xeb);
    uint16_t id[256];
    char str[48];
    identify(s, &sec, 0, 0xa1, id);
    g_assert_cmphex(id[0] >> 14, ==, 2);                  /* ATAPI */
    g_assert_cmphex((id[0] >> 8) & 0x1f, ==, 5);          /* CD-ROM */
    g_assert_cmphex(id[0] & 0x80, ==, 0x80);              /* removable */
    g_assert_cmphex(id[0] & 3, ==, 0);                    /* 12-byte packets */
    ata_string(id + 27, 20, str);
    g_assert_cmpstr(str, ==, "QEMU DVD-ROM");
    g_assert_cmphex(id[49] & 0x0200, ==, 0x0200);

    uint8_t buf[16384];
    uint8_t key, asc;
    /* INQUIRY: a removable CD/DVD device */
    uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
    PacketResult r = packet(s, 0, inq, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 36);
    g_assert_cmphex(r.ireason, ==, 3);                    /* command completed */
    g_assert_cmphex(buf[0], ==, 0x05);
    g_assert_cmphex(buf[1], ==, 0x80);
    g_assert_cmpmem(buf + 8, 8, "QEMU    ", 8);
    /* the allocation length truncates */
    inq[4] = 5;
    r = packet(s, 0, inq, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(r.len, ==, 5);

    /* TEST UNIT READY with a medium */
    uint8_t tur[12] = { 0 };
    r = packet(s, 0, tur, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);

    /* READ CAPACITY: last LBA and 2048-byte blocks */
    uint8_t cap[12] = { 0x25 };
    r = packet(s, 0, cap, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(r.len, ==, 8);
    g_assert_cmpuint(be32(buf), ==, CD_SECTORS - 1);
    g_assert_cmpuint(be32(buf + 4), ==, 2048);

    /* READ(10) of 3 sectors with a byte count limit of 2048: 3 pieces */
    uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 10, 0, 0, 3 };
    r = packet(s, 0, rd, 2048, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 3 * 2048);
    g_assert_cmpuint(r.pieces, ==, 3);
    check_cd("READ(10)", 10, buf, 3 * 2048);
    /* a limit smaller than a sector: pieces of 1000 bytes */
    rd[8] = 1;
    r = packet(s, 0, rd, 1000, buf, sizeof(buf));
    g_assert_cmpuint(r.len, ==, 2048);
    g_assert_cmpuint(r.pieces, ==, 3);
    check_cd("READ(10) small limit", 10, buf, 2048);
    /* READ(12) of the last 2 sectors */
    uint8_t rd12[12] = { 0xa8, 0, 0, 0, 0, CD_SECTORS - 2, 0, 0, 0, 2 };
    r = packet(s, 0, rd12, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 4096);
    check_cd("READ(12)", CD_SECTORS - 2, buf, 4096);
    /* beyond the end: ILLEGAL REQUEST, LBA out of range */
    rd[5] = CD_SECTORS - 1;
    rd[8] = 2;
    r = packet(s, 0, rd, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(r.error >> 4, ==, 5);
    g_assert_cmpuint(r.len, ==, 0);
    request_sense(s, 0, &key, &asc);
    g_assert_cmpuint(key, ==, 5);
    g_assert_cmphex(asc, ==, 0x21);

    /* READ TOC format 0 (LBA): track 1 at 0, lead-out at the capacity */
    uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24 };
    r = packet(s, 0, toc, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(r.len, ==, 20);
    g_assert_cmpuint(buf[0] << 8 | buf[1], ==, 18);
    g_assert_cmpuint(buf[2], ==, 1);
    g_assert_cmpuint(buf[3], ==, 1);
    g_assert_cmphex(buf[5], ==, 0x14);                    /* data track */
    g_assert_cmpuint(buf[6], ==, 1);
    g_assert_cmpuint(be32(buf + 8), ==, 0);
    g_assert_cmpuint(buf[14], ==, 0xaa);
    g_assert_cmpuint(be32(buf + 16), ==, CD_SECTORS);
    /* MSF: the lead-out at 00:02:(64+150-150) */
    toc[1] = 2;
    r = packet(s, 0, toc, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(buf[17], ==, 0);
    g_assert_cmpuint(buf[18], ==, (CD_SECTORS + 150) / 75);
    g_assert_cmpuint(buf[19], ==, (CD_SECTORS + 150) % 75);
    /* format 1: one session */
    toc[1] = 0;
    toc[2] = 1;
    r = packet(s, 0, toc, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(r.len, ==, 12);
    g_assert_cmpuint(buf[2], ==, 1);
    g_assert_cmpuint(buf[3], ==, 1);
    /* format 2: raw TOC, A0/A1/A2 and track 1 */
    toc[2] = 2;
    r = packet(s, 0, toc, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(r.len, ==, 4 + 4 * 11);
    g_assert_cmphex(buf[4 + 3], ==, 0xa0);
    g_assert_cmphex(buf[4 + 22 + 3], ==, 0xa2);
    /* an unknown format */
    toc[2] = 7;
    r = packet(s, 0, toc, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(r.error >> 4, ==, 5);

    /* MODE SENSE(10) of the capabilities page */
    uint8_t ms[12] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 0x80 };
    r = packet(s, 0, ms, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 28);
    g_assert_cmphex(buf[8], ==, 0x2a);
    /* GET CONFIGURATION: the current profile is CD-ROM for a small disc */
    uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 0x40 };
    r = packet(s, 0, gc, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, >=, 8);
    g_assert_cmphex(buf[6] << 8 | buf[7], ==, 0x0008);
    /* GET EVENT STATUS NOTIFICATION (polled, media class) */
    uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
    r = packet(s, 0, gesn, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 8);
    g_assert_cmphex(buf[5] & 2, ==, 2);                   /* medium present */
    /* an unknown opcode: ILLEGAL REQUEST, invalid command */
    uint8_t bad[12] = { 0xd7 };
    r = packet(s, 0, bad, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    request_sense(s, 0, &key, &asc);
    g_assert_cmpuint(key, ==, 5);
    g_assert_cmphex(asc, ==, 0x20);

    /* READ(10) by DMA: feature bit 0 */
    bm_setup(s);
    prd(s, 0, BUF_ADDR, 4096, false);
    prd(s, 1, BUF_ADDR + 0x10000, 2048, true);
    qtest_outb(s, sec.bm, 0x08);
    qtest_outb(s, sec.bm + 2, 0x06);
    qtest_outl(s, sec.bm + 4, PRD_ADDR);
    qtest_outb(s, 0x176, 0xa0);
    qtest_outb(s, 0x171, 1);
    qtest_outb(s, 0x177, 0xa0);
    g_assert_cmphex(wait_ready(s, &sec) & ST_DRQ, ==, ST_DRQ);
    uint8_t rdd[12] = { 0x28, 0, 0, 0, 0, 20, 0, 0, 3 };
    pio_write(s, &sec, rdd, 12, false);
    qtest_outb(s, sec.bm, 0x09);
    for (int i = 0; i < 20000 && !(qtest_inb(s, sec.bm + 2) & 0x04); i++) {
        g_usleep(100);
    }
    g_assert_cmphex(qtest_inb(s, sec.bm + 2) & 0x07, ==, 0x04);
    qtest_outb(s, sec.bm, 0x08);
    g_assert_cmphex(wait_ready(s, &sec) & (ST_ERR | ST_DRQ), ==, 0);
    g_assert_cmphex(qtest_inb(s, 0x172) & 3, ==, 3);
    qtest_memread(s, BUF_ADDR, buf, 4096);
    qtest_memread(s, BUF_ADDR + 0x10000, buf + 4096, 2048);
    check_cd("READ(10) DMA", 20, buf, 6144);

    /* PREVENT MEDIUM REMOVAL: the monitor's eject is refused (the guest
     * hears an eject request); START STOP UNIT cannot eject either */
    uint8_t prevent[12] = { 0x1e, 0, 0, 0, 1 };
    r = packet(s, 0, prevent, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_autofree char *ej = qtest_qmp(s, "{\"execute\":\"eject\",\"arguments\":{\"device\":\"ide1-cd0\"}}");
    g_assert_nonnull(strstr(ej, "error"));
    uint8_t eject[12] = { 0x1b, 0, 0, 0, 0x02 };
    r = packet(s, 0, eject, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(r.error >> 4, ==, 2);
    prevent[4] = 0;
    r = packet(s, 0, prevent, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    /* now the guest opens the tray: NOT READY, tray open */
    r = packet(s, 0, eject, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    r = packet(s, 0, tur, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    request_sense(s, 0, &key, &asc);
    g_assert_cmpuint(key, ==, 2);
    g_assert_cmphex(asc, ==, 0x3a);
    /* and closes it again */
    eject[4] = 0x03;
    r = packet(s, 0, eject, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    r = packet(s, 0, tur, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    qtest_quit(s);
}

static void test_atapi_media_change(void)
{
    QTestState *s = start();
    uint8_t buf[4096];
    uint8_t key, asc;
    uint8_t tur[12] = { 0 };
    /* ide.1 unit 1: an ide-cd without a drive: NOT READY, medium not present */
    qtest_outb(s, 0x176, 0xb0);
    g_assert_cmphex(qtest_inb(s, 0x174), ==, 0x14);
    PacketResult r = packet(s, 1, tur, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(r.error >> 4, ==, 2);
    request_sense(s, 1, &key, &asc);
    g_assert_cmpuint(key, ==, 2);
    g_assert_cmphex(asc, ==, 0x3a);
    uint8_t cap[12] = { 0x25 };
    r = packet(s, 1, cap, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
    r = packet(s, 1, rd, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmpuint(r.len, ==, 0);

    /* QMP inserts a medium: UNIT ATTENTION (28h) once, then ready */
    g_autofree char *q = g_strdup_printf(
        "{\"execute\":\"blockdev-change-medium\",\"arguments\":{\"id\":\"cd1\","
        "\"filename\":\"%s\",\"format\":\"raw\"}}", iso2_path);
    g_autofree char *rep = qtest_qmp(s, q);
    g_assert_nonnull(strstr(rep, "\"return\""));
    r = packet(s, 1, tur, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(r.error >> 4, ==, 6);
    request_sense(s, 1, &key, &asc);
    g_assert_cmpuint(key, ==, 6);
    g_assert_cmphex(asc, ==, 0x28);
    r = packet(s, 1, tur, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    r = packet(s, 1, cap, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(be32(buf), ==, 16 - 1);              /* the 32 KiB image */
    rd[5] = 3;
    r = packet(s, 1, rd, 0xfffe, buf, sizeof(buf));
    g_assert_cmpuint(r.len, ==, 2048);
    check_cd("READ(10) of the new medium", 3, buf, 2048);

    /* QMP eject: NOT READY again, GESN reports the removal */
    g_autofree char *ej = qtest_qmp(s, "{\"execute\":\"eject\",\"arguments\":{\"id\":\"cd1\"}}");
    g_assert_nonnull(strstr(ej, "\"return\""));
    r = packet(s, 1, tur, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    request_sense(s, 1, &key, &asc);
    g_assert_cmpuint(key, ==, 2);
    g_assert_cmphex(asc, ==, 0x3a);
    qtest_quit(s);
}

/* ---- the machine: bootindex= and CMOS ---- */

/* fw_cfg file NAME's contents (NULL if absent) */
static char *fw_cfg_file(QTestState *s, const char *name, size_t *len)
{
    qtest_outw(s, 0x510, 0x19);                       /* file directory */
    uint8_t b[64];
    for (int i = 0; i < 4; i++) {
        b[i] = qtest_inb(s, 0x511);
    }
    uint32_t n = be32(b);
    for (uint32_t f = 0; f < n; f++) {
        for (int i = 0; i < 64; i++) {
            b[i] = qtest_inb(s, 0x511);
        }
        if (!strncmp((char *)b + 8, name, 56)) {
            *len = be32(b);
            char *data = g_malloc0(*len + 1);
            qtest_outw(s, 0x510, b[4] << 8 | b[5]);
            for (size_t i = 0; i < *len; i++) {
                data[i] = qtest_inb(s, 0x511);
            }
            return data;
        }
    }
    return NULL;
}

static uint8_t cmos(QTestState *s, uint8_t idx)
{
    qtest_outb(s, 0x70, idx);
    return qtest_inb(s, 0x71);
}

static void test_bootorder_cmos(void)
{
    /* a disk with bootindex=2 at ide.0 unit 1, a CD with bootindex=1 at
     * ide.1 unit 0 (-device), a virtio-blk-pci disk with bootindex=7, an
     * empty floppy drive B: with bootindex=9, an e1000 (3) and a
     * virtio-net-pci (8), whose option ROMs SeaBIOS boots by these paths;
     * -hda without a bootindex */
    g_autofree char *args = g_strdup_printf(
        "-drive file=%s,if=ide,format=raw "
        "-drive file=%s,if=none,id=d1,format=raw "
        "-drive file=%s,if=none,id=c1,media=cdrom,format=raw "
        "-device ide-hd,drive=d1,bus=ide.0,unit=1,bootindex=2 "
        "-device ide-cd,drive=c1,bus=ide.1,unit=0,bootindex=1 "
        "-drive file=%s,if=none,id=v1,format=raw -device virtio-blk-pci,drive=v1,addr=5,bootindex=7 "
        "-device floppy,unit=1,bootindex=9 "
        "-device e1000,addr=6,bootindex=3 -device virtio-net-pci,addr=7,bootindex=8",
        disk_path, disk2_path, iso_path, iso2_path);
    QTestState *s = qtest_start(args);
    size_t len = 0;
    g_autofree char *order = fw_cfg_file(s, "bootorder", &len);
    g_assert_nonnull(order);
    g_assert_cmpstr(order, ==, "/pci@i0cf8/ide@1,1/drive@1/disk@0\n"
                               "/pci@i0cf8/ide@1,1/drive@0/disk@1\n"
                               "/pci@i0cf8/ethernet@6/ethernet-phy@0\n"
                               "/pci@i0cf8/scsi@5/disk@0,0\n"
                               "/pci@i0cf8/ethernet@7/ethernet-phy@0\n"
                               "/pci@i0cf8/isa@1/fdc@03f0/floppy@1");
    g_assert_cmpuint(len, ==, strlen(order) + 1);
    /* both hard disks in CMOS: type 47, 8 cylinders, 16 heads, 63 sectors */
    g_assert_cmphex(cmos(s, 0x12), ==, 0xff);
    g_assert_cmpuint(cmos(s, 0x19), ==, 47);
    g_assert_cmpuint(cmos(s, 0x1a), ==, 47);
    g_assert_cmpuint(cmos(s, 0x1b) | cmos(s, 0x1c) << 8, ==, DISK_SECTORS / (16 * 63));
    g_assert_cmpuint(cmos(s, 0x1d), ==, 16);
    g_assert_cmpuint(cmos(s, 0x23), ==, 63);
    g_assert_cmpuint(cmos(s, 0x24) | cmos(s, 0x25) << 8, ==, 4);   /* 2 MiB */
    g_assert_cmpuint(cmos(s, 0x2c), ==, 63);
    g_assert_cmphex(cmos(s, 0x39), ==, 0);            /* small disks: no translation */
    qtest_quit(s);

    /* no bootindex anywhere: an empty bootorder, SeaBIOS's own order */
    s = start();
    g_autofree char *none = fw_cfg_file(s, "bootorder", &len);
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmphex(cmos(s, 0x12), ==, 0xf0);        /* only the primary master */
    qtest_quit(s);

    /* the -boot order in CMOS 0x3d/0x38 (BIOS device codes: 1 floppy,
     * 2 disk, 3 CD, 4 network; 0x38 bit 0 set by -no-fd-bootchk); once=
     * holds for the power-on boot and the first reset returns to order= */
    s = qtest_start("-boot once=d,order=nc -no-fd-bootchk");
    g_assert_cmphex(cmos(s, 0x3d), ==, 0x03);
    g_assert_cmphex(cmos(s, 0x38), ==, 0x01);
    g_autofree char *rst = qtest_qmp(s, "{'execute':'system_reset'}");
    g_assert_nonnull(strstr(rst, "\"return\""));
    for (int i = 0; i < 100 && cmos(s, 0x3d) != 0x24; i++) {
        qtest_clock_step(s, 1000000);
    }
    g_assert_cmphex(cmos(s, 0x3d), ==, 0x24);
    g_assert_cmphex(cmos(s, 0x38), ==, 0x01);
    qtest_quit(s);
}

/* An image with an MBR whose first partition ends at (end_head, end_sec). */
static char *make_mbr_image(const char *name, uint64_t size, uint8_t end_head, uint8_t end_sec)
{
    char *path = make_image(name, size, disk_byte);
    FILE *f = fopen(path, "r+b");
    g_assert_nonnull(f);
    uint8_t part[16] = { 0x80, 1, 1, 0, 0x83, end_head, end_sec, 0xff, 63, 0, 0, 0 };
    uint32_t n = size / 512 - 63;
    part[12] = n;
    part[13] = n >> 8;
    part[14] = n >> 16;
    part[15] = n >> 24;
    g_assert_cmpint(fseek(f, 0x1be, SEEK_SET), ==, 0);
    g_assert_cmpuint(fwrite(part, 1, 16, f), ==, 16);
    g_assert_cmpint(fseek(f, 510, SEEK_SET), ==, 0);
    g_assert_cmpuint(fwrite("\x55\xaa", 1, 2, f), ==, 2);
    fclose(f);
    return path;
}

/* The geometry follows an MBR made with 16 heads or fewer (no BIOS
 * translation); one made with more heads keeps 16x63 and asks the BIOS
 * for LARGE translation (CMOS 0x39), as QEMU guesses. */
static void test_mbr_geometry(void)
{
    g_autofree char *small = make_mbr_image("mbr8", 4 << 20, 7, 32);
    g_autofree char *wide = make_mbr_image("mbr32", 4 << 20, 31, 63);
    g_autofree char *args = g_strdup_printf(
        "-drive file=%s,if=ide,index=0,format=raw -drive file=%s,if=ide,index=1,format=raw",
        small, wide);
    QTestState *s = qtest_start(args);
    qtest_irq_intercept_in(s, "ioapic");
    uint16_t id[256];
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmpuint(id[1], ==, 8192 / (8 * 32));
    g_assert_cmpuint(id[3], ==, 8);
    g_assert_cmpuint(id[6], ==, 32);
    identify(s, &pri, 1, 0xec, id);
    g_assert_cmpuint(id[3], ==, 16);
    g_assert_cmpuint(id[6], ==, 63);
    g_assert_cmpuint(cmos(s, 0x1d), ==, 8);
    g_assert_cmpuint(cmos(s, 0x23), ==, 32);
    g_assert_cmphex(cmos(s, 0x39), ==, 2 << 2);      /* unit 0 none, unit 1 LARGE */
    qtest_quit(s);
    unlink(small);
    unlink(wide);
}

/* A user error is one line and exit status 1. */

/* ---- -blockdev nodes ---- */

/* The same controller over a graph built with -blockdev: a file node
 * under a raw node (dotted form) for the disk, an inline child in the
 * JSON form for the CD, each attached with drive=NODE-NAME; then the
 * QMP side of nodes (query-named-block-nodes, blockdev-add/-del). */
static void test_blockdev(void)
{
    g_autofree char *args = g_strdup_printf(
        "-blockdev driver=file,node-name=f0,filename=%s "
        "-blockdev driver=raw,node-name=d0,file=f0 "
        "-device ide-hd,drive=d0,bus=ide.0,unit=0,id=hd0 "
        "-blockdev '{\"driver\":\"raw\",\"node-name\":\"c0\",\"read-only\":true,"
        "\"file\":{\"driver\":\"file\",\"filename\":\"%s\"}}' "
        "-device ide-cd,drive=c0,bus=ide.1,unit=0,id=cd0",
        disk2_path, iso_path);
    QTestState *s = qtest_start(args);
    uint8_t buf[2 * 2048], file[512];

    /* the disk reads what the file under the node holds, and a write
     * reaches the file through both nodes */
    ata_cmd28(s, &pri, 0, 0x20, 300, 1, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_read(s, &pri, buf, 512, false);
    check_disk("READ SECTORS on -blockdev", 300, buf, 512);
    for (int i = 0; i < 512; i++) {
        buf[i] = i ^ 0x5a;
    }
    ata_cmd28(s, &pri, 0, 0x30, 301, 1, 0);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_write(s, &pri, buf, 512, false);
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, 0);
    ata_cmd28(s, &pri, 0, 0xe7, 0, 0, 0);                 /* FLUSH CACHE */
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, 0);
    file_read(disk2_path, 301 * 512, file, 512);
    g_assert_cmpmem(file, 512, buf, 512);

    /* the CD on the JSON node: READ(10) of two sectors */
    uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, 7, 0, 0, 2 };
    packet(s, 0, cdb, 0xfffe, buf, sizeof(buf));         /* UNIT ATTENTION after power-on, if any */
    PacketResult r = packet(s, 0, cdb, 0xfffe, buf, sizeof(buf));
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 4096);
    check_cd("READ(10) on -blockdev", 7, buf, 4096);

    /* the nodes as QMP lists them: the named ones and the anonymous
     * file child of c0 */
    g_autofree char *nodes = qtest_qmp(s, "{'execute':'query-named-block-nodes'}");
    g_assert_nonnull(strstr(nodes, "\"node-name\":\"d0\""));
    g_assert_nonnull(strstr(nodes, "\"node-name\":\"f0\""));
    g_assert_nonnull(strstr(nodes, "\"node-name\":\"c0\""));
    g_assert_nonnull(strstr(nodes, "\"node-name\":\"#block"));
    g_assert_nonnull(strstr(nodes, disk2_path));

    /* blockdev-add, a duplicate refused, in-use nodes not deletable */
    g_autofree char *add = g_strdup_printf(
        "{'execute':'blockdev-add','arguments':{'driver':'file','node-name':'extra',"
        "'filename':'%s','read-only':true}}", disk_path);
    g_autofree char *r1 = qtest_qmp(s, add);
    g_assert_nonnull(strstr(r1, "\"return\""));
    g_autofree char *r2 = qtest_qmp(s, add);
    g_assert_nonnull(strstr(r2, "Duplicate nodes with node-name='extra'"));
    g_autofree char *r3 = qtest_qmp(s, "{'execute':'blockdev-add','arguments':{'driver':'vmdk','node-name':'v'}}");
    g_assert_nonnull(strstr(r3, "Parameter 'driver' does not accept value 'vmdk'"));
    g_autofree char *r4 = qtest_qmp(s, "{'execute':'blockdev-del','arguments':{'node-name':'d0'}}");
    g_assert_nonnull(strstr(r4, "is busy"));
    g_autofree char *r5 = qtest_qmp(s, "{'execute':'blockdev-del','arguments':{'node-name':'extra'}}");
    g_assert_nonnull(strstr(r5, "\"return\""));
    g_autofree char *r6 = qtest_qmp(s, "{'execute':'query-named-block-nodes'}");
    g_assert_null(strstr(r6, "\"extra\""));
    g_autofree char *r7 = qtest_qmp(s, "{'execute':'blockdev-del','arguments':{'node-name':'extra'}}");
    g_assert_nonnull(strstr(r7, "Failed to find node with node-name='extra'"));
    qtest_quit(s);
}

/* ---- -drive werror=/rerror= and blkdebug ---- */

/* A blkdebug rule file failing the first request after event with err
 * (the first touching sector 12, for reads: the drive's geometry guess
 * reads sector 0 at start-up). */
static char *blkdebug_rules(const char *event, int err)
{
    char *path = g_strdup_printf("%s/vireo-ide-blkdebug-%d.cfg", g_get_tmp_dir(), getpid());
    g_autofree char *text = g_strdup_printf(
        "# fail the first request after %s\n[inject-error]\nevent = \"%s\"\n"
        "errno = \"%d\"\nonce = \"on\"\n%s", event, event, err,
        strcmp(event, "read_aio") ? "" : "sector = 12\n");
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* The next QMP event line, replies skipped; NULL-free. */
static char *next_event(QTestState *s)
{
    for (;;) {
        char *line = qtest_qmp_recv(s);
        if (strstr(line, "\"event\"")) {
            return line;
        }
        g_free(line);
    }
}

/* An HMP command through QMP; its reply line. */
static char *hmp(QTestState *s, const char *cmd)
{
    g_autofree char *q = g_strdup_printf("{'execute':'human-monitor-command','arguments':"
                                         "{'command-line':'%s'}}", cmd);
    return qtest_qmp(s, q);
}

static QTestState *start_policy(const char *rules, const char *opts)
{
    g_autofree char *args = g_strdup_printf(
        "-drive file=blkdebug:%s:%s,if=ide,format=raw%s", rules, disk2_path, opts);
    QTestState *s = qtest_start(args);
    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

static void write_sector(QTestState *s, uint32_t lba, const uint8_t *buf)
{
    ata_cmd28(s, &pri, 0, 0x30, lba, 1, 0);                /* WRITE SECTORS */
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    pio_write(s, &pri, buf, 512, false);
}

static void test_error_policy(void)
{
    uint8_t w[512], f[512];
    for (int i = 0; i < 512; i++) {
        w[i] = i * 11 + 3;
    }
    /* The default werror=enospc: a full host disk stops the VM with the
     * request held; "cont" runs it again and it lands. */
    g_autofree char *nospc = blkdebug_rules("write_aio", ENOSPC);
    QTestState *s = start_policy(nospc, "");
    write_sector(s, 10, w);
    g_autofree char *ev1 = next_event(s);
    g_assert_nonnull(strstr(ev1, "BLOCK_IO_ERROR"));
    g_assert_nonnull(strstr(ev1, "\"action\":\"stop\""));
    g_assert_nonnull(strstr(ev1, "\"operation\":\"write\""));
    g_assert_nonnull(strstr(ev1, "\"nospace\":true"));
    g_assert_nonnull(strstr(ev1, "\"device\":\"ide0-hd0\""));
    g_autofree char *ev2 = next_event(s);
    g_assert_nonnull(strstr(ev2, "\"STOP\""));
    g_autofree char *st = qtest_qmp(s, "{'execute':'query-status'}");
    g_assert_nonnull(strstr(st, "\"status\":\"io-error\""));
    g_autofree char *blk = qtest_qmp(s, "{'execute':'query-block'}");
    g_assert_nonnull(strstr(blk, "\"io-status\":\"nospace\""));
    g_assert_cmphex(alt_status(s, &pri) & ST_BSY, ==, ST_BSY);   /* the command is not over */
    g_autofree char *c = qtest_qmp(s, "{'execute':'cont'}");
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRQ | ST_DRDY), ==, ST_DRDY);
    g_autofree char *st2 = qtest_qmp(s, "{'execute':'query-status'}");
    g_assert_nonnull(strstr(st2, "\"status\":\"running\""));
    g_autofree char *blk2 = qtest_qmp(s, "{'execute':'query-block'}");
    g_assert_nonnull(strstr(blk2, "\"io-status\":\"ok\""));
    file_read(disk2_path, 10 * 512, f, 512);
    g_assert_cmpmem(f, 512, w, 512);
    qtest_quit(s);

    /* ...while any other error is reported to the guest: ERR and ABRT */
    g_autofree char *eio = blkdebug_rules("write_aio", EIO);
    s = start_policy(eio, "");
    write_sector(s, 11, w);
    g_assert_cmphex(wait_ready(s, &pri) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, pri.cmd + 1) & 0x04, ==, 0x04);
    g_autofree char *ev3 = next_event(s);
    g_assert_nonnull(strstr(ev3, "\"action\":\"report\""));
    g_autofree char *st3 = qtest_qmp(s, "{'execute':'query-status'}");
    g_assert_nonnull(strstr(st3, "\"status\":\"running\""));
    qtest_quit(s);

    /* rerror=ignore: a failed read completes as if it had worked */
    g_autofree char *rd = blkdebug_rules("read_aio", EIO);
    s = start_policy(rd, ",rerror=ignore");
    ata_cmd28(s, &pri, 0, 0x20, 12, 1, 0);                 /* READ SECTORS */
    g_assert_cmphex(wait_ready(s, &pri) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    g_autofree char *ev4 = next_event(s);
    g_assert_nonnull(strstr(ev4, "\"action\":\"ignore\""));
    g_assert_nonnull(strstr(ev4, "\"operation\":\"read\""));
    qtest_quit(s);

    /* werror=stop on a flush (the rule arms at flush_to_disk) */
    g_autofree char *fl = blkdebug_rules("flush_to_disk", EIO);
    s = start_policy(fl, ",werror=stop");
    ata_cmd28(s, &pri, 0, 0xe7, 0, 0, 0);                  /* FLUSH CACHE */
    g_autofree char *ev5 = next_event(s);
    g_assert_nonnull(strstr(ev5, "\"action\":\"stop\""));
    g_autofree char *ev6 = next_event(s);
    g_assert_nonnull(strstr(ev6, "\"STOP\""));
    g_autofree char *blk3 = qtest_qmp(s, "{'execute':'query-block'}");
    g_assert_nonnull(strstr(blk3, "\"io-status\":\"failed\""));
    g_autofree char *c2 = qtest_qmp(s, "{'execute':'cont'}");
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRDY), ==, ST_DRDY);
    qtest_quit(s);

    /* qemu-io breakpoints hold a flush in flight: BSY stays set until
     * "resume", however long the test looks */
    s = start_policy("", "");
    g_autofree char *b = hmp(s, "qemu-io ide0-hd0 \"break flush_to_os A\"");
    g_assert_cmpstr(b, ==, "{\"return\":\"\"}");
    ata_cmd28(s, &pri, 0, 0xe7, 0, 0, 0);                  /* FLUSH CACHE */
    g_autofree char *wb = hmp(s, "qemu-io ide0-hd0 \"wait_break A\"");
    g_assert_cmpstr(wb, ==, "{\"return\":\"\"}");
    g_usleep(100 * 1000);
    g_assert_cmphex(alt_status(s, &pri) & ST_BSY, ==, ST_BSY);
    g_autofree char *r = hmp(s, "qemu-io ide0-hd0 \"resume A\"");
    g_assert_cmpstr(r, ==, "{\"return\":\"\"}");
    g_assert_cmphex(wait_ready(s, &pri) & (ST_ERR | ST_DRDY), ==, ST_DRDY);
    g_autofree char *r2 = hmp(s, "qemu-io ide0-hd0 \"resume A\"");
    g_assert_nonnull(strstr(r2, "no request suspended at tag 'A'"));
    qtest_quit(s);
    unlink(nospc);
    unlink(eio);
    unlink(rd);
    unlink(fl);
}

static void expect_user_error(const char *args, const char *msg)
{
    const char *bin = g_getenv("VIREO_BINARY");
    g_autofree char *def = g_strdup_printf("%s/vireo", g_getenv("BUILD") ? g_getenv("BUILD") : "build");
    g_autofree char *cmd = g_strdup_printf("%s -machine accel=qtest -display none %s",
                                           bin ? bin : def, args);
    gchar **argv = NULL;
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_autofree char *out = NULL, *err = NULL;
    int st = 0;
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &st, NULL));
    g_strfreev(argv);
    g_assert_true(WIFEXITED(st));
    g_assert_cmpint(WEXITSTATUS(st), ==, 1);
    g_assert_nonnull(strstr(err, msg));
    g_assert_cmpint(strchr(err, '\n') - err + 1, ==, (int)strlen(err));
}

static void test_user_errors(void)
{
    g_autofree char *two = g_strdup_printf(
        "-drive file=%s,if=none,id=d1,format=raw -drive file=%s,if=none,id=c1,media=cdrom,format=raw "
        "-device ide-hd,drive=d1,bootindex=0 -device ide-cd,drive=c1,bus=ide.1,bootindex=0",
        disk2_path, iso_path);
    expect_user_error(two, "The bootindex 0 has already been used");
    g_autofree char *busy = g_strdup_printf(
        "-drive file=%s,if=ide,format=raw -drive file=%s,if=none,id=d1,format=raw "
        "-device ide-hd,drive=d1,bus=ide.0,unit=0", disk_path, disk2_path);
    expect_user_error(busy, "in use");
    expect_user_error("-device ide-hd,bus=ide.0", "No drive specified");
    expect_user_error("-device ide-cd,bus=ide.7", "Bus 'ide.7' not found");
    expect_user_error("-device ide-cd,unit=2", "only 2 units");
    expect_user_error("-blockdev driver=file,filename=/dev/null",
                      "'node-name' must be specified for the root node");
    expect_user_error("-blockdev driver=raw,node-name=r0,file=nosuch",
                      "Cannot find device='nosuch' nor node-name='nosuch'");
    g_autofree char *twice = g_strdup_printf(
        "-blockdev driver=file,node-name=f0,filename=%s,read-only=on "
        "-device ide-hd,drive=f0,bus=ide.0 -device ide-hd,drive=f0,bus=ide.1", disk2_path);
    expect_user_error(twice, "in use");
    g_autofree char *werr = g_strdup_printf("-drive file=%s,if=ide,format=raw,werror=bogus", disk2_path);
    expect_user_error(werr, "'bogus' invalid write error action");
    g_autofree char *rerr = g_strdup_printf("-drive file=%s,if=ide,format=raw,rerror=enospc", disk2_path);
    expect_user_error(rerr, "'enospc' invalid read error action");
    g_autofree char *fd = g_strdup_printf("-drive file=%s,if=floppy,format=raw,werror=stop", disk2_path);
    expect_user_error(fd, "werror is not supported by this bus type");
    g_autofree char *bd = g_strdup_printf("-drive file=blkdebug:/nonexistent.cfg:%s,if=ide,format=raw",
                                          disk2_path);
    expect_user_error(bd, "could not read blkdebug config '/nonexistent.cfg'");
}

/* ---- geometry the user gives ---- */

/* -device ide-hd,cyls=,heads=,secs=,bios-chs-trans= reach IDENTIFY and the
 * CMOS the BIOS reads (type 47 entry at 0x1b, translation at 0x39) */
static void test_user_geometry(void)
{
    g_autofree char *args = g_strdup_printf(
        "-drive if=none,id=d0,file=%s,format=raw "
        "-device ide-hd,drive=d0,bus=ide.0,unit=0,cyls=64,heads=4,secs=32,bios-chs-trans=lba",
        disk_path);
    QTestState *s = qtest_start(args);
    qtest_irq_intercept_in(s, "ioapic");
    uint16_t id[256];
    identify(s, &pri, 0, 0xec, id);
    g_assert_cmpuint(id[1], ==, 64);
    g_assert_cmpuint(id[3], ==, 4);
    g_assert_cmpuint(id[6], ==, 32);
    g_assert_cmpuint(id[60] | (uint32_t)id[61] << 16, ==, DISK_SECTORS);    /* LBA size stays */
    g_assert_cmphex(cmos(s, 0x19), ==, 47);
    g_assert_cmphex(cmos(s, 0x1b) | cmos(s, 0x1c) << 8, ==, 64);
    g_assert_cmphex(cmos(s, 0x1d), ==, 4);
    g_assert_cmphex(cmos(s, 0x23), ==, 32);
    g_assert_cmphex(cmos(s, 0x39) & 3, ==, 1);                              /* LBA */
    qtest_quit(s);
    /* without bios-chs-trans: none, since 64 cylinders fit the BIOS's 1024 */
    g_free(args);
    args = g_strdup_printf("-drive if=none,id=d0,file=%s,format=raw "
                           "-device ide-hd,drive=d0,bus=ide.0,unit=0,cyls=64,heads=4,secs=32",
                           disk_path);
    s = qtest_start(args);
    g_assert_cmphex(cmos(s, 0x39) & 3, ==, 0);
    size_t len = 0;
    g_autofree char *none = fw_cfg_file(s, "bios-geometry", &len);
    g_assert_cmpuint(len, ==, 0);              /* there, empty: nobody asked */
    qtest_quit(s);

    /* lcyls/lheads/lsecs: the geometry SeaBIOS uses, through fw_cfg
     * "bios-geometry" lines under each disk's boot path; all zero: none */
    g_free(args);
    args = g_strdup_printf(
        "-drive if=none,id=d0,file=%s,format=raw -drive if=none,id=d1,file=%s,format=raw "
        "-drive if=none,id=v0,file=null-co://,format=raw "
        "-device ide-hd,drive=d0,bus=ide.0,unit=1,lcyls=1000,lheads=120,lsecs=30 "
        "-device ide-hd,drive=d1,bus=ide.1,unit=1,lcyls=0,lheads=0,lsecs=0 "
        "-device virtio-blk-pci,drive=v0,bus=pci.0,addr=5,lcyls=9000,lheads=16,lsecs=63",
        disk_path, disk2_path);
    s = qtest_start(args);
    g_autofree char *geo = fw_cfg_file(s, "bios-geometry", &len);
    g_assert_nonnull(geo);
    g_assert_cmpstr(geo, ==, "/pci@i0cf8/ide@1,1/drive@0/disk@1 1000 120 30\n"
                             "/pci@i0cf8/scsi@5/disk@0,0 9000 16 63\n");
    g_assert_cmpuint(len, ==, strlen(geo) + 1);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    disk_path = make_image("disk", DISK_SECTORS * 512ull, disk_byte);
    disk2_path = make_image("disk2", 2 << 20, disk_byte);
    iso_path = make_image("cd", CD_SECTORS * 2048ull, cd_byte);
    iso2_path = make_image("cd2", 16 * 2048ull, cd_byte);
    g_test_add_func("/qtest/ide/pci-id", test_pci_id);
    g_test_add_func("/qtest/ide/ata-identify", test_identify);
    g_test_add_func("/qtest/ide/user-geometry", test_user_geometry);
    g_test_add_func("/qtest/ide/ata-pio", test_pio);
    g_test_add_func("/qtest/ide/ata-errors-reset", test_errors);
    g_test_add_func("/qtest/ide/ata-dma", test_dma);
    g_test_add_func("/qtest/ide/atapi", test_atapi);
    g_test_add_func("/qtest/ide/atapi-media-change", test_atapi_media_change);
    g_test_add_func("/qtest/ide/bootorder-cmos", test_bootorder_cmos);
    g_test_add_func("/qtest/ide/mbr-geometry", test_mbr_geometry);
    g_test_add_func("/qtest/ide/blockdev", test_blockdev);
    g_test_add_func("/qtest/ide/user-errors", test_user_errors);
    g_test_add_func("/qtest/ide/error-policy", test_error_policy);
    int ret = g_test_run();
    unlink(disk_path);
    unlink(disk2_path);
    unlink(iso_path);
    unlink(iso2_path);
    return ret;
}
