/*
 * The floppy controller (hw/block/fdc.c) and ISA DMA (hw/dma/i8257.c)
 * through qtest, programmed as a BIOS or driver does: reset and the four
 * "ready changed" interrupts, SEEK/RELATIVE SEEK/RECALIBRATE with SENSE
 * INTERRUPT STATUS, sectors read by DMA into guest memory and compared
 * with the image, a write read back (and found in the image file), end of
 * cylinder, PIO transfers, FORMAT TRACK, VERIFY, READ ID, the data-rate
 * check, write protection, a drive without diskette, the disk change
 * line across eject/change, CONFIGURE/LOCK/DUMPREG/VERSION, CMOS drive
 * types from the image size, and an image of no floppy size refused.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/qtest/libqtest.h"

#define FD_BASE 0x3f0
#define FD_DOR  (FD_BASE + 2)
#define FD_MSR  (FD_BASE + 4)
#define FD_DSR  (FD_BASE + 4)
#define FD_FIFO (FD_BASE + 5)
#define FD_DIR  (FD_BASE + 7)
#define FD_CCR  (FD_BASE + 7)
#define FD_IRQ  6

#define MSR_RQM 0x80
#define MSR_DIO 0x40
#define MSR_NDMA 0x20
#define MSR_BUSY 0x10

#define SECTS 18
#define HEADS 2
#define IMG_1440 (1440 * 1024)

/* Byte j of image sector lba. */
static uint8_t pattern(int lba, int j)
{
    return (uint8_t)(lba * 7 + j * 13 + (j >> 8));
}

/* every image made, removed when the tests are done (main) */
static GPtrArray *images;

static char *make_image(size_t size)
{
    char *path = NULL;
    int fd = g_file_open_tmp("vireo-fdc-XXXXXX.img", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_ptr_array_add(images, g_strdup(path));
    uint8_t *buf = g_malloc(size);
    for (size_t i = 0; i < size; i++) {
        buf[i] = pattern(i / 512, i % 512);
    }
    g_assert_cmpint(write(fd, buf, size), ==, (ssize_t)size);
    close(fd);
    g_free(buf);
    return path;
}

static QTestState *fdc_start(const char *img, const char *drive_opts)
{
    g_autofree char *args = img
        ? g_strdup_printf("-drive if=floppy,file=%s,format=raw%s", img, drive_opts ? drive_opts : "")
        : g_strdup(drive_opts ? drive_opts : "");
    QTestState *s = qtest_start(args);
    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

static void fd_send(QTestState *s, uint8_t b)
{
    uint8_t msr = qtest_inb(s, FD_MSR);
    g_assert_cmphex(msr & (MSR_RQM | MSR_DIO), ==, MSR_RQM);
    qtest_outb(s, FD_FIFO, b);
}

static uint8_t fd_recv(QTestState *s)
{
    uint8_t msr = qtest_inb(s, FD_MSR);
    g_assert_cmphex(msr & (MSR_RQM | MSR_DIO), ==, MSR_RQM | MSR_DIO);
    return qtest_inb(s, FD_FIFO);
}

static void fd_cmd(QTestState *s, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        fd_send(s, bytes[i]);
    }
}

/* SENSE INTERRUPT STATUS: ST0 and PCN. */
static uint8_t fd_sensei(QTestState *s, uint8_t *pcn)
{
    fd_send(s, 0x08);
    uint8_t st0 = fd_recv(s);
    if (st0 != 0x80) {
        uint8_t p = fd_recv(s);
        if (pcn) {
            *pcn = p;
        }
    }
    return st0;
}

static void fd_seek(QTestState *s, int unit, int head, int cyl)
{
    uint8_t cmd[3] = { 0x0f, (head << 2) | unit, cyl };
    fd_cmd(s, cmd, 3);
    g_assert_true(qtest_get_irq(s, FD_IRQ));
    uint8_t pcn = 0xff;
    g_assert_cmphex(fd_sensei(s, &pcn), ==, 0x20 | (head << 2) | unit);
    g_assert_cmpint(pcn, ==, cyl);
    g_assert_false(qtest_get_irq(s, FD_IRQ));
}

/* Program DMA channel 2: mode (0x46 = single, write to memory; 0x4a =
 * read from memory), physical address, byte count. */
static void dma_setup(QTestState *s, uint8_t mode, uint32_t addr, uint32_t len)
{
    qtest_outb(s, 0x0a, 0x06);          /* mask channel 2 */
    qtest_outb(s, 0x0c, 0x00);          /* clear flip-flop */
    qtest_outb(s, 0x0b, mode);
    qtest_outb(s, 0x04, addr & 0xff);
    qtest_outb(s, 0x04, (addr >> 8) & 0xff);
    qtest_outb(s, 0x81, addr >> 16);
    qtest_outb(s, 0x05, (len - 1) & 0xff);
    qtest_outb(s, 0x05, ((len - 1) >> 8) & 0xff);
    qtest_outb(s, 0x0a, 0x02);          /* unmask channel 2 */
}

/* Wait (main loop bottom half) until the controller has its result. */
static void fd_wait_result(QTestState *s)
{
    for (int i = 0; i < 1000; i++) {
        if ((qtest_inb(s, FD_MSR) & (MSR_RQM | MSR_DIO)) == (MSR_RQM | MSR_DIO)) {
            return;
        }
        g_usleep(1000);
    }
    g_assert_not_reached();
}

static void fd_result7(QTestState *s, uint8_t *res)
{
    fd_wait_result(s);
    g_assert_true(qtest_get_irq(s, FD_IRQ));
    for (int i = 0; i < 7; i++) {
        res[i] = fd_recv(s);
    }
    g_assert_false(qtest_get_irq(s, FD_IRQ));
    g_assert_cmphex(qtest_inb(s, FD_MSR) & (MSR_RQM | MSR_DIO | MSR_BUSY), ==, MSR_RQM);
}

/* READ/WRITE DATA command bytes. */
static void fd_rw(QTestState *s, uint8_t cmd, int unit, int c, int h, int r, int eot)
{
    uint8_t b[9] = { cmd, (h << 2) | unit, c, h, r, 2, eot, 0x1b, 0xff };
    fd_cmd(s, b, 9);
}

static void check_sectors(QTestState *s, uint32_t addr, int lba, int n)
{
    uint8_t *buf = g_malloc(n * 512);
    qtest_memread(s, addr, buf, n * 512);
    for (int i = 0; i < n * 512; i++) {
        if (buf[i] != pattern(lba + i / 512, i % 512)) {
            g_error("byte %d of the read (sector %d) is 0x%02x, want 0x%02x", i, lba + i / 512,
                    buf[i], pattern(lba + i / 512, i % 512));
        }
    }
    g_free(buf);
}

static int lba_of(int c, int h, int r)
{
    return (c * HEADS + h) * SECTS + r - 1;
}

static uint8_t cmos_read(QTestState *s, uint8_t reg)
{
    qtest_outb(s, 0x70, reg);
    return qtest_inb(s, 0x71);
}

/* ---- tests ---- */

static void test_reset_sense(void)
{
    g_autofree char *img = make_image(IMG_1440);
    QTestState *s = fdc_start(img, NULL);

    g_assert_cmphex(cmos_read(s, 0x10), ==, 0x40);      /* A: 1.44M, no B: */
    g_assert_cmphex(cmos_read(s, 0x14) & 0xc1, ==, 0x01);   /* one floppy drive */

    /* power-on: no interrupt pending, SENSE INTERRUPT STATUS is invalid */
    g_assert_false(qtest_get_irq(s, FD_IRQ));
    g_assert_cmphex(fd_sensei(s, NULL), ==, 0x80);

    /* held in reset: no request for master */
    qtest_outb(s, FD_DOR, 0x00);
    g_assert_cmphex(qtest_inb(s, FD_MSR), ==, 0x00);
    qtest_outb(s, FD_DOR, 0x0c);
    g_assert_true(qtest_get_irq(s, FD_IRQ));
    g_assert_cmphex(qtest_inb(s, FD_MSR), ==, MSR_RQM);
    for (int i = 0; i < 4; i++) {
        uint8_t pcn = 0xff;
        g_assert_cmphex(fd_sensei(s, &pcn), ==, 0xc0 | i);
        g_assert_cmpint(pcn, ==, 0);
        g_assert_false(qtest_get_irq(s, FD_IRQ));
    }
    g_assert_cmphex(fd_sensei(s, NULL), ==, 0x80);

    /* DSR software reset does the same */
    qtest_outb(s, FD_DSR, 0x80);
    g_assert_true(qtest_get_irq(s, FD_IRQ));
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(fd_sensei(s, NULL), ==, 0xc0 | i);
    }

    /* VERSION, PART ID, an unknown command */
    fd_send(s, 0x10);
    g_assert_cmphex(fd_recv(s), ==, 0x90);
    fd_send(s, 0x18);
    g_assert_cmphex(fd_recv(s), ==, 0x41);
    fd_send(s, 0x1f);
    g_assert_cmphex(fd_recv(s), ==, 0x80);
    g_assert_cmphex(qtest_inb(s, FD_MSR) & (MSR_RQM | MSR_DIO), ==, MSR_RQM);
    qtest_quit(s);
}

static void test_seek(void)
{
    g_autofree char *img = make_image(IMG_1440);
    QTestState *s = fdc_start(img, NULL);

    fd_seek(s, 0, 0, 10);
    fd_seek(s, 0, 1, 79);
    /* relative seek: 0xcf outwards... in towards the spindle (+), 0x8f back (-) */
    uint8_t rel_in[3] = { 0xcf, 0x00, 3 };
    fd_seek(s, 0, 0, 2);
    fd_cmd(s, rel_in, 3);
    uint8_t pcn = 0xff;
    g_assert_cmphex(fd_sensei(s, &pcn), ==, 0x20);
    g_assert_cmpint(pcn, ==, 5);
    uint8_t rel_out[3] = { 0x8f, 0x00, 4 };
    fd_cmd(s, rel_out, 3);
    g_assert_cmphex(fd_sensei(s, &pcn), ==, 0x20);
    g_assert_cmpint(pcn, ==, 1);

    /* SENSE DRIVE STATUS: not at track 0, ready, two-sided, writable */
    uint8_t sds[2] = { 0x04, 0x00 };
    fd_cmd(s, sds, 2);
    g_assert_cmphex(fd_recv(s), ==, 0x28);

    /* RECALIBRATE back to 0: track 0 signal on */
    uint8_t recal[2] = { 0x07, 0x00 };
    fd_cmd(s, recal, 2);
    g_assert_true(qtest_get_irq(s, FD_IRQ));
    g_assert_cmphex(fd_sensei(s, &pcn), ==, 0x20);
    g_assert_cmpint(pcn, ==, 0);
    fd_cmd(s, sds, 2);
    g_assert_cmphex(fd_recv(s), ==, 0x38);

    /* RECALIBRATE of drive B:, which is not there: equipment check */
    uint8_t recal_b[2] = { 0x07, 0x01 };
    fd_cmd(s, recal_b, 2);
    g_assert_cmphex(fd_sensei(s, &pcn), ==, 0x71);
    g_assert_false(qtest_get_irq(s, FD_IRQ));

    /* READ ID reports where the head is */
    fd_seek(s, 0, 1, 33);
    uint8_t rid[2] = { 0x4a, 0x04 };
    fd_cmd(s, rid, 2);
    uint8_t res[7];
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x04);
    g_assert_cmpint(res[3], ==, 33);
    g_assert_cmpint(res[4], ==, 1);
    g_assert_cmpint(res[6], ==, 2);
    qtest_quit(s);
}

static void test_dma_read(void)
{
    g_autofree char *img = make_image(IMG_1440);
    QTestState *s = fdc_start(img, NULL);
    uint8_t res[7];

    qtest_outb(s, FD_CCR, 0x00);        /* 500 kbit/s: a 1.44M diskette */
    fd_seek(s, 0, 1, 2);

    /* two sectors from 2/1/5 into 0x12340 (page 1: above 64K) */
    qtest_inb(s, 0x08);                 /* clear TC bits */
    dma_setup(s, 0x46, 0x12340, 1024);
    fd_rw(s, 0xe6, 0, 2, 1, 5, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x04);  /* normal termination, head 1 */
    g_assert_cmphex(res[1], ==, 0);
    g_assert_cmphex(res[2], ==, 0);
    g_assert_cmpint(res[3], ==, 2);
    g_assert_cmpint(res[4], ==, 1);
    g_assert_cmpint(res[5], ==, 7);     /* the sector after the last one read */
    g_assert_cmpint(res[6], ==, 2);
    check_sectors(s, 0x12340, lba_of(2, 1, 5), 2);
    /* I/O accounting: exactly those two sector reads */
    g_autofree char *io = qtest_qmp(s, "{\"execute\":\"query-iostats\"}");
    g_assert_nonnull(strstr(io, "\"device\":\"isa-fdc\""));
    g_assert_nonnull(strstr(io, "{\"kind\":\"read\",\"count\":2,\"bytes\":1024,"));
    g_assert_nonnull(strstr(io, "\"rx-requests\":2"));
    /* the 8237 reached terminal count on channel 2 and masked it */
    g_assert_cmphex(qtest_inb(s, 0x08) & 0x04, ==, 0x04);
    g_assert_cmphex(qtest_inb(s, 0x0f) & 0x04, ==, 0x04);
    /* current count reads 0xffff after TC, address moved by 1024 */
    qtest_outb(s, 0x0c, 0);
    uint16_t addr = qtest_inb(s, 0x04);
    addr |= qtest_inb(s, 0x04) << 8;
    g_assert_cmphex(addr, ==, (0x2340 + 1024) & 0xffff);
    uint16_t cnt = qtest_inb(s, 0x05);
    cnt |= qtest_inb(s, 0x05) << 8;
    g_assert_cmphex(cnt, ==, 0xffff);

    /* multi-track: the last sector of head 0, then head 1 sector 1 */
    fd_seek(s, 0, 0, 2);
    dma_setup(s, 0x46, 0x20000, 1024);
    fd_rw(s, 0xe6, 0, 2, 0, SECTS, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x04);
    g_assert_cmpint(res[3], ==, 2);
    g_assert_cmpint(res[4], ==, 1);
    g_assert_cmpint(res[5], ==, 2);
    check_sectors(s, 0x20000, lba_of(2, 0, SECTS), 2);

    /* EOT before terminal count: end of cylinder, what was read is there */
    dma_setup(s, 0x46, 0x30000, 4 * 512);
    fd_rw(s, 0x46, 0, 2, 0, 16, 17);   /* no MT: sectors 16, 17, then EN */
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);
    g_assert_cmphex(res[1], ==, 0x80);
    g_assert_cmpint(res[3], ==, 3);
    g_assert_cmpint(res[5], ==, 1);
    check_sectors(s, 0x30000, lba_of(2, 0, 16), 2);

    /* a sector that is not on the track: no data */
    dma_setup(s, 0x46, 0x30000, 512);
    fd_rw(s, 0x46, 0, 2, 0, 19, 19);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);
    g_assert_cmphex(res[1], ==, 0x04);

    /* cylinder in the command is not where the head is: wrong cylinder */
    dma_setup(s, 0x46, 0x30000, 512);
    fd_rw(s, 0x46, 0, 7, 0, 1, 1);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);
    g_assert_cmphex(res[1], ==, 0x04);
    g_assert_cmphex(res[2], ==, 0x10);

    /* ... unless implied seeks are on (CONFIGURE EIS) */
    uint8_t conf[4] = { 0x13, 0x00, 0x40 | 0x10, 0x00 };
    fd_cmd(s, conf, 4);
    dma_setup(s, 0x46, 0x30000, 512);
    fd_rw(s, 0x46, 0, 7, 0, 1, 1);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x20);  /* seek end, normal termination */
    g_assert_cmpint(res[3], ==, 8);
    check_sectors(s, 0x30000, lba_of(7, 0, 1), 1);

    /* wrong data rate: no address mark found */
    qtest_outb(s, FD_CCR, 0x02);
    dma_setup(s, 0x46, 0x30000, 512);
    fd_rw(s, 0x46, 0, 7, 0, 1, 1);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);
    g_assert_cmphex(res[1], ==, 0x01);
    qtest_outb(s, FD_CCR, 0x00);

    /* terminal count inside a sector: the command ends after it */
    dma_setup(s, 0x46, 0x40000, 100);
    fd_rw(s, 0x46, 0, 7, 0, 3, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    g_assert_cmpint(res[5], ==, 4);
    uint8_t part[101];
    qtest_memread(s, 0x40000, part, 101);
    for (int i = 0; i < 100; i++) {
        g_assert_cmphex(part[i], ==, pattern(lba_of(7, 0, 3), i));
    }
    g_assert_cmphex(part[100], ==, 0);

    /* VERIFY with EC=1: three sectors, no data moved */
    uint8_t ver[9] = { 0x56, 0x80, 7, 0, 1, 2, SECTS, 0x1b, 3 };
    fd_cmd(s, ver, 9);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    g_assert_cmpint(res[5], ==, 4);
    qtest_quit(s);
}

/* 8237 modes the floppy may meet: decrement (bytes land downwards from
 * the programmed address), autoinitialize (reloaded, not masked, at TC),
 * a block wrapping inside its 64 KiB page, a masked channel holding the
 * transfer until it is unmasked. */
static void test_dma_modes(void)
{
    g_autofree char *img = make_image(IMG_1440);
    QTestState *s = fdc_start(img, NULL);
    uint8_t res[7];
    uint8_t buf[512];
    int lba = lba_of(0, 0, 1);

    /* decrement: byte i at 0x61ff - i */
    dma_setup(s, 0x66, 0x61ff, 512);
    fd_rw(s, 0x46, 0, 0, 0, 1, 1);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    qtest_memread(s, 0x6000, buf, 512);
    for (int i = 0; i < 512; i++) {
        g_assert_cmphex(buf[511 - i], ==, pattern(lba, i));
    }

    /* autoinitialize: at TC the channel reloads and stays unmasked */
    qtest_inb(s, 0x08);
    dma_setup(s, 0x56, 0x7000, 512);
    fd_rw(s, 0x46, 0, 0, 0, 1, 1);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    g_assert_cmphex(qtest_inb(s, 0x08) & 0x04, ==, 0x04);
    g_assert_cmphex(qtest_inb(s, 0x0f) & 0x04, ==, 0x00);
    qtest_outb(s, 0x0c, 0);
    uint16_t addr = qtest_inb(s, 0x04);
    addr |= qtest_inb(s, 0x04) << 8;
    g_assert_cmphex(addr, ==, 0x7000);
    uint16_t cnt = qtest_inb(s, 0x05);
    cnt |= qtest_inb(s, 0x05) << 8;
    g_assert_cmphex(cnt, ==, 511);
    /* the same block again, without reprogramming */
    uint8_t zero[512] = { 0 };
    qtest_memwrite(s, 0x7000, zero, 512);
    fd_rw(s, 0x46, 0, 0, 0, 2, 2);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    check_sectors(s, 0x7000, lba_of(0, 0, 2), 1);

    /* a block that crosses a 64 KiB boundary wraps inside its page */
    dma_setup(s, 0x46, 0x2ff00, 512);
    fd_rw(s, 0x46, 0, 0, 0, 3, 3);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    qtest_memread(s, 0x2ff00, buf, 256);
    qtest_memread(s, 0x20000, buf + 256, 256);
    for (int i = 0; i < 512; i++) {
        g_assert_cmphex(buf[i], ==, pattern(lba_of(0, 0, 3), i));
    }
    g_assert_cmphex(qtest_readb(s, 0x30000), ==, 0);

    /* masked: the controller waits in the execution phase */
    dma_setup(s, 0x46, 0x9000, 512);
    qtest_outb(s, 0x0a, 0x06);
    fd_rw(s, 0x46, 0, 0, 0, 4, 4);
    for (int i = 0; i < 20; i++) {
        g_assert_cmphex(qtest_inb(s, FD_MSR), ==, MSR_BUSY);
        g_usleep(1000);
    }
    g_assert_false(qtest_get_irq(s, FD_IRQ));
    qtest_outb(s, 0x0a, 0x02);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    check_sectors(s, 0x9000, lba_of(0, 0, 4), 1);
    qtest_quit(s);
}

static void test_write_readback(void)
{
    g_autofree char *img = make_image(IMG_1440);
    QTestState *s = fdc_start(img, NULL);
    uint8_t res[7];
    uint8_t data[1024];
    for (int i = 0; i < 1024; i++) {
        data[i] = (uint8_t)(0xa5 ^ i ^ (i >> 3));
    }
    qtest_memwrite(s, 0x5000, data, 1024);

    fd_seek(s, 0, 1, 40);
    dma_setup(s, 0x4a, 0x5000, 1024);
    fd_rw(s, 0xc5, 0, 40, 1, 9, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x04);
    g_assert_cmphex(res[1], ==, 0);
    g_assert_cmpint(res[5], ==, 11);

    /* read it back elsewhere */
    dma_setup(s, 0x46, 0x8000, 1536);
    fd_rw(s, 0xe6, 0, 40, 1, 8, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x04);
    uint8_t back[1536];
    qtest_memread(s, 0x8000, back, sizeof(back));
    for (int i = 0; i < 512; i++) {
        g_assert_cmphex(back[i], ==, pattern(lba_of(40, 1, 8), i));
    }
    g_assert_cmpint(memcmp(back + 512, data, 1024), ==, 0);

    /* PIO write (SPECIFY ND) of one sector, then PIO read of it */
    uint8_t spec[3] = { 0x03, 0xdf, 0x03 };
    fd_cmd(s, spec, 3);
    fd_rw(s, 0x45, 0, 40, 1, 12, 12);
    g_assert_true(qtest_get_irq(s, FD_IRQ));
    for (int i = 0; i < 512; i++) {
        g_assert_cmphex(qtest_inb(s, FD_MSR) & 0xf0, ==, MSR_RQM | MSR_NDMA | MSR_BUSY);
        qtest_outb(s, FD_FIFO, (uint8_t)(i * 3));
    }
    /* no terminal count in PIO mode: the command ends at EOT */
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x44);
    g_assert_cmphex(res[1], ==, 0x80);
    fd_rw(s, 0x46, 0, 40, 1, 12, 12);
    for (int i = 0; i < 512; i++) {
        g_assert_cmphex(qtest_inb(s, FD_MSR) & 0xf0, ==, MSR_RQM | MSR_DIO | MSR_NDMA | MSR_BUSY);
        g_assert_cmphex(qtest_inb(s, FD_FIFO), ==, (uint8_t)(i * 3));
    }
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x44);
    uint8_t spec_dma[3] = { 0x03, 0xdf, 0x02 };
    fd_cmd(s, spec_dma, 3);

    /* FORMAT TRACK 41 head 0 with 0xf6, by DMA: 18 sector IDs */
    fd_seek(s, 0, 0, 41);
    uint8_t ids[SECTS * 4];
    for (int i = 0; i < SECTS; i++) {
        ids[i * 4] = 41;
        ids[i * 4 + 1] = 0;
        ids[i * 4 + 2] = i + 1;
        ids[i * 4 + 3] = 2;
    }
    qtest_memwrite(s, 0x9000, ids, sizeof(ids));
    dma_setup(s, 0x4a, 0x9000, sizeof(ids));
    uint8_t fmt[6] = { 0x4d, 0x00, 2, SECTS, 0x54, 0xf6 };
    fd_cmd(s, fmt, 6);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    g_assert_cmphex(res[1], ==, 0x00);

    qtest_quit(s);

    /* everything reached the image file */
    g_autofree char *file = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(img, &file, &len, NULL));
    g_assert_cmpint(len, ==, IMG_1440);
    const uint8_t *f = (const uint8_t *)file;
    g_assert_cmpint(memcmp(f + lba_of(40, 1, 9) * 512, data, 1024), ==, 0);
    for (int i = 0; i < 512; i++) {
        g_assert_cmphex(f[lba_of(40, 1, 12) * 512 + i], ==, (uint8_t)(i * 3));
    }
    for (int i = 0; i < SECTS * 512; i++) {
        g_assert_cmphex(f[lba_of(41, 0, 1) * 512 + i], ==, 0xf6);
    }
    g_assert_cmphex(f[lba_of(41, 1, 1) * 512], ==, pattern(lba_of(41, 1, 1), 0));
    unlink(img);
}

static void test_write_protect(void)
{
    g_autofree char *img = make_image(IMG_1440);
    QTestState *s = fdc_start(img, ",readonly=on");
    uint8_t res[7];

    uint8_t sds[2] = { 0x04, 0x00 };
    fd_cmd(s, sds, 2);
    g_assert_cmphex(fd_recv(s) & 0x40, ==, 0x40);
    qtest_memwrite(s, 0x5000, "overwrite", 9);
    dma_setup(s, 0x4a, 0x5000, 512);
    fd_rw(s, 0xc5, 0, 0, 0, 1, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);
    g_assert_cmphex(res[1], ==, 0x02);      /* not writable */
    /* reads still work */
    dma_setup(s, 0x46, 0x6000, 512);
    fd_rw(s, 0xe6, 0, 0, 0, 1, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    check_sectors(s, 0x6000, 0, 1);
    qtest_quit(s);
}

static void test_no_media(void)
{
    /* no drive at all */
    QTestState *s = fdc_start(NULL, NULL);
    uint8_t res[7];
    g_assert_cmphex(cmos_read(s, 0x10), ==, 0x00);
    g_assert_cmphex(cmos_read(s, 0x14) & 0x01, ==, 0x00);
    dma_setup(s, 0x46, 0x6000, 512);
    fd_rw(s, 0xe6, 0, 0, 0, 1, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);
    g_assert_cmphex(res[1], ==, 0x01);
    qtest_quit(s);

    /* -drive if=floppy without a file: an empty A:, as in QEMU */
    s = fdc_start(NULL, "-drive if=floppy");
    g_assert_cmphex(cmos_read(s, 0x10), ==, 0x40);
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    qtest_quit(s);

    /* an empty drive: a 1.44M drive in CMOS, disk change line up for good */
    s = fdc_start(NULL, "-device floppy,id=fd0");
    g_assert_cmphex(cmos_read(s, 0x10), ==, 0x40);
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    fd_seek(s, 0, 0, 1);
    fd_seek(s, 0, 0, 0);
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    dma_setup(s, 0x46, 0x6000, 512);
    fd_rw(s, 0xe6, 0, 0, 0, 1, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);
    uint8_t sds[2] = { 0x04, 0x00 };
    fd_cmd(s, sds, 2);
    g_assert_cmphex(fd_recv(s) & 0x40, ==, 0x40);   /* no diskette: protected */
    qtest_quit(s);
}

static void test_media_change(void)
{
    g_autofree char *img = make_image(IMG_1440);
    g_autofree char *img2 = make_image(IMG_1440 * 2);
    QTestState *s = fdc_start(img, NULL);
    uint8_t res[7];

    /* a fresh drive reports a change until the head steps */
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    fd_seek(s, 0, 0, 0);                /* no step pulse: no reset */
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    fd_seek(s, 0, 0, 1);
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x00);
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x00);

    g_autofree char *r = qtest_qmp(s, "{'execute':'eject','arguments':{'device':'floppy0'}}");
    g_assert_nonnull(strstr(r, "\"return\""));
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    fd_seek(s, 0, 0, 2);                /* stepping without a diskette changes nothing */
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    dma_setup(s, 0x46, 0x6000, 512);
    fd_rw(s, 0xe6, 0, 2, 0, 1, SECTS);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x40);

    /* a 2.88M diskette goes in: read at 1 Mbit/s */
    g_autofree char *cmd = g_strdup_printf("{'execute':'blockdev-change-medium','arguments':"
                                           "{'device':'floppy0','filename':'%s','format':'raw'}}", img2);
    g_autofree char *r2 = qtest_qmp(s, cmd);
    g_assert_nonnull(strstr(r2, "\"return\""));
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x80);
    fd_seek(s, 0, 0, 3);
    g_assert_cmphex(qtest_inb(s, FD_DIR) & 0x80, ==, 0x00);
    qtest_outb(s, FD_CCR, 0x03);
    dma_setup(s, 0x46, 0x6000, 512);
    fd_rw(s, 0x46, 0, 3, 0, 36, 36);
    fd_result7(s, res);
    g_assert_cmphex(res[0], ==, 0x00);
    uint8_t buf[512];
    qtest_memread(s, 0x6000, buf, 512);
    int lba = (3 * 2 + 0) * 36 + 35;
    for (int i = 0; i < 512; i++) {
        g_assert_cmphex(buf[i], ==, pattern(lba, i));
    }
    qtest_quit(s);
    unlink(img);
    unlink(img2);
}

static void test_config_lock_dumpreg(void)
{
    g_autofree char *img = make_image(IMG_1440);
    QTestState *s = fdc_start(img, NULL);
    uint8_t spec[3] = { 0x03, 0xaf, 0x02 };
    fd_cmd(s, spec, 3);
    uint8_t conf[4] = { 0x13, 0x00, 0x57, 0x09 };   /* EIS, POLL off, FIFOTHR 7, PRETRK 9 */
    fd_cmd(s, conf, 4);
    uint8_t perp[2] = { 0x12, 0x80 | 0x04 | 0x03 };
    fd_cmd(s, perp, 2);
    fd_seek(s, 0, 0, 12);
    fd_send(s, 0x94);                   /* LOCK */
    g_assert_cmphex(fd_recv(s), ==, 0x10);

    /* a software reset keeps a locked configuration; polling is off, so
     * no "ready changed" statuses follow */
    qtest_outb(s, FD_DSR, 0x80);
    g_assert_cmphex(fd_sensei(s, NULL), ==, 0xc0);
    g_assert_cmphex(fd_sensei(s, NULL), ==, 0x80);
    fd_send(s, 0x0e);
    uint8_t d[10];
    for (int i = 0; i < 10; i++) {
        d[i] = fd_recv(s);
    }
    g_assert_cmpint(d[0], ==, 12);
    g_assert_cmphex(d[4], ==, 0xaf);
    g_assert_cmphex(d[5], ==, 0x02);
    g_assert_cmphex(d[7], ==, 0x80 | 0x04);     /* locked, drive 0 perpendicular; GAP/WGATE reset */
    g_assert_cmphex(d[8], ==, 0x57);
    g_assert_cmphex(d[9], ==, 0x09);

    /* unlocked, a reset brings the defaults back */
    fd_send(s, 0x14);
    g_assert_cmphex(fd_recv(s), ==, 0x00);
    qtest_outb(s, FD_DOR, 0x08);
    qtest_outb(s, FD_DOR, 0x0c);
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(fd_sensei(s, NULL), ==, 0xc0 | i);
    }
    fd_send(s, 0x0e);
    for (int i = 0; i < 10; i++) {
        d[i] = fd_recv(s);
    }
    g_assert_cmphex(d[7], ==, 0x04);
    g_assert_cmphex(d[8], ==, 0x20);
    g_assert_cmphex(d[9], ==, 0x00);
    qtest_quit(s);
}

static void test_cmos_types(void)
{
    static const struct { size_t size; uint8_t cmos; } cases[] = {
        { 2880 * 1024, 0x50 },          /* 2.88M */
        { 720 * 1024, 0x40 },           /* 720K in a 3.5" HD drive */
        { 1200 * 1024, 0x20 },          /* 1.2M */
        { 360 * 1024, 0x20 },           /* 360K in a 5.25" HD drive */
        { 1720320, 0x40 },              /* DMF 1.68M */
        { 1296384, 0x40 },              /* GRUB's rescue floppy: a short 1.44M */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *img = make_image(cases[i].size);
        QTestState *s = fdc_start(img, NULL);
        g_assert_cmphex(cmos_read(s, 0x10), ==, cases[i].cmos);
        qtest_quit(s);
        unlink(img);
    }
    /* two drives */
    g_autofree char *a = make_image(IMG_1440);
    g_autofree char *b = make_image(1200 * 1024);
    g_autofree char *args = g_strdup_printf("-fda %s -drive if=floppy,index=1,file=%s,format=raw",
                                            a, b);
    QTestState *s = qtest_start(args);
    g_assert_cmphex(cmos_read(s, 0x10), ==, 0x42);
    g_assert_cmphex(cmos_read(s, 0x14) & 0xc1, ==, 0x41);
    qtest_quit(s);
    unlink(a);
    unlink(b);
}

static void test_bad_size(void)
{
    g_autofree char *img = make_image(5 * 1024 * 1024);
    const char *bin = g_getenv("VIREO_BINARY");
    g_autofree char *def = g_strdup_printf("%s/vireo", g_getenv("BUILD") ? g_getenv("BUILD") : "build");
    g_autofree char *cmd = g_strdup_printf("%s -machine accel=qtest -display none -drive if=floppy,format=raw,file=%s",
                                           bin ? bin : def, img);
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, img));
    g_assert_nonnull(strstr(err, "fits no floppy format"));
    g_assert_cmpint(strchr(err, '\n') - err + 1, ==, (long)strlen(err));     /* one line */
    unlink(img);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fdc/reset-sense", test_reset_sense);
    g_test_add_func("/fdc/seek", test_seek);
    g_test_add_func("/fdc/dma-read", test_dma_read);
    g_test_add_func("/fdc/dma-modes", test_dma_modes);
    g_test_add_func("/fdc/write-readback", test_write_readback);
    g_test_add_func("/fdc/write-protect", test_write_protect);
    g_test_add_func("/fdc/no-media", test_no_media);
    g_test_add_func("/fdc/media-change", test_media_change);
    g_test_add_func("/fdc/config-lock-dumpreg", test_config_lock_dumpreg);
    g_test_add_func("/fdc/cmos-types", test_cmos_types);
    g_test_add_func("/fdc/bad-size", test_bad_size);
    images = g_ptr_array_new_with_free_func(g_free);
    int r = g_test_run();
    for (guint i = 0; i < images->len; i++) {
        unlink(g_ptr_array_index(images, i));
    }
    g_ptr_array_free(images, TRUE);
    return r;
}
