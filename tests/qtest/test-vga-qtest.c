/*
 * The standard VGA through qtest, driven the way a BIOS or a driver does:
 *   - the PCI function (1234:1111 at 00:02.0, class 0300, BAR0 the
 *     prefetchable VRAM, BAR2 the MMIO block), and none with -vga none;
 *   - the register groups: sequencer, graphics controller, CRTC with its
 *     write protection, the attribute controller's flip-flop and its reset
 *     by a 0x3da read, the DAC's auto-incrementing indexes, misc output,
 *     the retrace bits toggling while the CRTC is unprogrammed, and
 *     following the CRTC's timing on the virtual clock once it is (70 Hz
 *     mode 3, 60 Hz VBE);
 *   - the planar window: write modes 0 (set/reset), 1 (latches), 2 and 3,
 *     the bit mask and the logical operations, read modes 0 and 1, then
 *     chain 4 and odd/even seen through the linear BAR;
 *   - Bochs VBE: the ID, GETCAPS, a 32 bpp and an 8 bpp (DAC) mode drawn
 *     through the linear framebuffer and a bank of the a0000 window, each
 *     checked in a QMP screendump, and the same registers in BAR2;
 *   - the EDID block at the start of BAR2 as bochs-drm reads it (header,
 *     checksum, EDID 1.4, the native mode in the first detailed timing,
 *     xres/yres, edid=off) and QEMU's extended registers at 0x600;
 *   - hostile values: indexes past the register files, a VBE mode larger
 *     than VRAM, offsets past the virtual screen.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/qtest/libqtest.h"

#define VGA_DEVFN (2 << 3)
#define LFB   0xe0000000u
#define MMIO  0xe1000000u

static QTestState *start(const char *extra)
{
    QTestState *s = qtest_start(extra);
    /* map the BARs as a BIOS would and enable memory decoding */
    qtest_pci_writel(s, VGA_DEVFN, 0x10, LFB);
    qtest_pci_writel(s, VGA_DEVFN, 0x18, MMIO);
    qtest_pci_writel(s, VGA_DEVFN, 0x04, 0x0003);
    return s;
}

static void seq(QTestState *s, uint8_t i, uint8_t v) { qtest_outb(s, 0x3c4, i); qtest_outb(s, 0x3c5, v); }
static void gr(QTestState *s, uint8_t i, uint8_t v) { qtest_outb(s, 0x3ce, i); qtest_outb(s, 0x3cf, v); }
static uint8_t gr_get(QTestState *s, uint8_t i) { qtest_outb(s, 0x3ce, i); return qtest_inb(s, 0x3cf); }
static void vbe(QTestState *s, uint16_t i, uint16_t v) { qtest_outw(s, 0x1ce, i); qtest_outw(s, 0x1cf, v); }
static uint16_t vbe_get(QTestState *s, uint16_t i) { qtest_outw(s, 0x1ce, i); return qtest_inw(s, 0x1cf); }

/* A screendump over QMP, read back: width, height and the RGB bytes. */
static uint8_t *screendump(QTestState *s, int *w, int *h)
{
    g_autofree char *path = g_strdup_printf("%s/vireo-vga-qtest-%d.ppm", g_get_tmp_dir(), getpid());
    g_autofree char *cmd = g_strdup_printf(
        "{'execute':'screendump','arguments':{'filename':'%s'}}", path);
    g_autofree char *r = qtest_qmp(s, cmd);
    g_assert_nonnull(strstr(r, "\"return\""));
    gchar *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    unlink(path);
    int maxval, n = 0;
    g_assert_cmpint(sscanf(data, "P6\n%d %d\n%d\n%n", w, h, &maxval, &n), ==, 3);
    g_assert_cmpuint(len, ==, (gsize)n + (gsize)*w * *h * 3);
    uint8_t *rgb = g_memdup2(data + n, len - n);
    g_free(data);
    return rgb;
}

static void pixel_is(const uint8_t *rgb, int w, int x, int y, uint32_t want)
{
    const uint8_t *p = rgb + 3 * ((size_t)y * w + x);
    uint32_t got = p[0] << 16 | p[1] << 8 | p[2];
    if (got != want) {
        g_error("pixel (%d,%d) is %06x, not %06x", x, y, got, want);
    }
}

static void test_pci(void)
{
    QTestState *s = start("");
    g_assert_cmphex(qtest_pci_readl(s, VGA_DEVFN, 0x00), ==, 0x11111234);
    g_assert_cmphex(qtest_pci_readl(s, VGA_DEVFN, 0x08) >> 8, ==, 0x030000);
    g_assert_cmphex(qtest_pci_readl(s, VGA_DEVFN, 0x10), ==, LFB | 0x08);     /* prefetchable */
    qtest_pci_writel(s, VGA_DEVFN, 0x10, 0xffffffff);
    g_assert_cmphex(qtest_pci_readl(s, VGA_DEVFN, 0x10), ==, 0xff000008);    /* 16 MiB */
    qtest_pci_writel(s, VGA_DEVFN, 0x10, LFB);
    g_assert_cmphex(qtest_pci_readl(s, VGA_DEVFN, 0x18), ==, MMIO);
    g_assert_cmphex(qtest_pci_readl(s, VGA_DEVFN, 0x30) & 1, ==, 0);          /* ROM BAR, off */
    qtest_quit(s);

    s = qtest_start("-vga none");
    g_assert_cmphex(qtest_pci_readl(s, VGA_DEVFN, 0x00), ==, 0xffffffff);
    g_autofree char *r = qtest_qmp(s, "{'execute':'screendump','arguments':{'filename':'/tmp/x'}}");
    g_assert_nonnull(strstr(r, "There is no console"));
    qtest_quit(s);

    s = qtest_start("-vga none -device VGA,vgamem_mb=32,addr=5");
    qtest_pci_writel(s, 5 << 3, 0x10, 0xffffffff);
    g_assert_cmphex(qtest_pci_readl(s, 5 << 3, 0x10), ==, 0xfe000008);       /* 32 MiB */
    qtest_outw(s, 0x1ce, 0x0a);
    g_assert_cmpuint(qtest_inw(s, 0x1cf), ==, 32 * 16);                     /* 64 KiB units */
    qtest_quit(s);
}

static void test_registers(void)
{
    QTestState *s = start("");
    /* misc output: written at 0x3c2, read at 0x3cc; colour emulation moves
     * the CRTC to 0x3d4 and leaves 0x3b4 undecoded */
    qtest_outb(s, 0x3c2, 0x67);
    g_assert_cmphex(qtest_inb(s, 0x3cc), ==, 0x67);
    qtest_outb(s, 0x3d4, 0x0a);
    qtest_outb(s, 0x3d5, 0x0e);
    g_assert_cmphex(qtest_inb(s, 0x3d5), ==, 0x0e);
    g_assert_cmphex(qtest_inb(s, 0x3b5), ==, 0xff);
    /* CR11 bit 7 protects CR0-7 but CR7 bit 4 */
    qtest_outb(s, 0x3d4, 0x11);
    qtest_outb(s, 0x3d5, 0x80);
    qtest_outb(s, 0x3d4, 0x01);
    qtest_outb(s, 0x3d5, 0x4f);
    g_assert_cmphex(qtest_inb(s, 0x3d5), ==, 0x00);
    qtest_outb(s, 0x3d4, 0x07);
    qtest_outb(s, 0x3d5, 0xff);
    g_assert_cmphex(qtest_inb(s, 0x3d5), ==, 0x10);
    qtest_outb(s, 0x3d4, 0x11);
    qtest_outb(s, 0x3d5, 0x00);
    qtest_outb(s, 0x3d4, 0x01);
    qtest_outb(s, 0x3d5, 0x4f);
    g_assert_cmphex(qtest_inb(s, 0x3d5), ==, 0x4f);
    /* sequencer and graphics controller keep only their defined bits */
    seq(s, 2, 0xff);
    qtest_outb(s, 0x3c4, 2);
    g_assert_cmphex(qtest_inb(s, 0x3c5), ==, 0x0f);
    gr(s, 5, 0xff);
    g_assert_cmphex(gr_get(s, 5), ==, 0x7b);
    g_assert_cmphex(gr_get(s, 0x0f), ==, 0x00);                          /* no such register */
    /* the attribute controller: index then data through one port; a read
     * of 0x3da puts the flip-flop back to index */
    qtest_inb(s, 0x3da);
    qtest_outb(s, 0x3c0, 0x02);
    qtest_outb(s, 0x3c0, 0x3b);
    qtest_outb(s, 0x3c0, 0x03);
    qtest_inb(s, 0x3da);
    qtest_outb(s, 0x3c0, 0x02);
    g_assert_cmphex(qtest_inb(s, 0x3c1), ==, 0x3b);
    qtest_inb(s, 0x3da);
    qtest_outb(s, 0x3c0, 0x1f);                                           /* past AR14 */
    qtest_outb(s, 0x3c0, 0x55);
    g_assert_cmphex(qtest_inb(s, 0x3c1), ==, 0x00);
    /* the retrace and display-enable bits move while polled */
    uint8_t a = qtest_inb(s, 0x3da), b = qtest_inb(s, 0x3da);
    g_assert_cmphex((a ^ b) & 0x09, ==, 0x09);
    /* the DAC: three writes per entry, indexes advance; 256 wraps to 0 */
    qtest_outb(s, 0x3c8, 0xff);
    for (int i = 0; i < 6; i++) {
        qtest_outb(s, 0x3c9, 10 + i);
    }
    g_assert_cmphex(qtest_inb(s, 0x3c8), ==, 0x01);
    qtest_outb(s, 0x3c7, 0xff);
    g_assert_cmphex(qtest_inb(s, 0x3c7), ==, 0x03);
    for (int i = 0; i < 6; i++) {
        g_assert_cmpuint(qtest_inb(s, 0x3c9), ==, 10 + i);
    }
    qtest_quit(s);
}

static void planar_setup(QTestState *s)
{
    gr(s, 6, 0x05);              /* graphics, a0000-affff */
    seq(s, 4, 0x06);             /* planar: no chain 4, no odd/even */
    seq(s, 2, 0x0f);
    gr(s, 5, 0x00);
    gr(s, 8, 0xff);
    gr(s, 1, 0x00);
    gr(s, 3, 0x00);
}

static uint8_t plane(QTestState *s, uint32_t off, int p)
{
    gr(s, 4, p);
    return qtest_readb(s, 0xa0000 + off);
}

static void test_planar(void)
{
    QTestState *s = start("");
    planar_setup(s);
    /* write mode 0: the byte to every plane the map mask enables */
    seq(s, 2, 0x05);
    qtest_writeb(s, 0xa0010, 0x5a);
    g_assert_cmphex(plane(s, 0x10, 0), ==, 0x5a);
    g_assert_cmphex(plane(s, 0x10, 1), ==, 0x00);
    g_assert_cmphex(plane(s, 0x10, 2), ==, 0x5a);
    g_assert_cmphex(plane(s, 0x10, 3), ==, 0x00);
    /* set/reset: planes 1 and 3 enabled, colour 0x2 -> plane 1 all ones,
     * plane 3 zero, the others take the data */
    seq(s, 2, 0x0f);
    gr(s, 1, 0x0a);
    gr(s, 0, 0x02);
    qtest_writeb(s, 0xa0020, 0x81);
    g_assert_cmphex(plane(s, 0x20, 0), ==, 0x81);
    g_assert_cmphex(plane(s, 0x20, 1), ==, 0xff);
    g_assert_cmphex(plane(s, 0x20, 2), ==, 0x81);
    g_assert_cmphex(plane(s, 0x20, 3), ==, 0x00);
    gr(s, 1, 0x00);
    /* bit mask: only bits 0-3 change, the rest come from the latches
     * loaded by a read of the same address */
    qtest_readb(s, 0xa0020);
    gr(s, 8, 0x0f);
    qtest_writeb(s, 0xa0020, 0x00);
    g_assert_cmphex(plane(s, 0x20, 1), ==, 0xf0);
    g_assert_cmphex(plane(s, 0x20, 0), ==, 0x80);
    gr(s, 8, 0xff);
    /* logical op XOR with the latches, and a rotate by 4 */
    qtest_readb(s, 0xa0020);
    gr(s, 3, 0x18 | 4);
    qtest_writeb(s, 0xa0020, 0x0f);                  /* rotated: 0xf0 */
    g_assert_cmphex(plane(s, 0x20, 1), ==, 0x00);     /* f0 ^ f0 */
    g_assert_cmphex(plane(s, 0x20, 0), ==, 0x70);     /* 80 ^ f0 */
    gr(s, 3, 0x00);
    /* write mode 1: the latches copied to another address */
    qtest_readb(s, 0xa0010);
    gr(s, 5, 0x01);
    qtest_writeb(s, 0xa0030, 0x00);
    gr(s, 5, 0x00);
    for (int p = 0; p < 4; p++) {
        g_assert_cmphex(plane(s, 0x30, p), ==, plane(s, 0x10, p));
    }
    /* write mode 2: the low nibble is a colour, the bit mask selects pixels */
    gr(s, 5, 0x02);
    gr(s, 8, 0xc0);
    qtest_readb(s, 0xa0040);
    qtest_writeb(s, 0xa0040, 0x09);
    gr(s, 5, 0x00);
    gr(s, 8, 0xff);
    g_assert_cmphex(plane(s, 0x40, 0), ==, 0xc0);
    g_assert_cmphex(plane(s, 0x40, 1), ==, 0x00);
    g_assert_cmphex(plane(s, 0x40, 3), ==, 0xc0);
    /* write mode 3: the set/reset colour through (rotated data & bit mask) */
    gr(s, 5, 0x03);
    gr(s, 0, 0x06);
    qtest_readb(s, 0xa0050);
    qtest_writeb(s, 0xa0050, 0x3c);
    gr(s, 5, 0x00);
    g_assert_cmphex(plane(s, 0x50, 0), ==, 0x00);
    g_assert_cmphex(plane(s, 0x50, 1), ==, 0x3c);
    g_assert_cmphex(plane(s, 0x50, 2), ==, 0x3c);
    /* read mode 1: pixels whose colour equals GR2 (over the planes GR7
     * cares about) read as 1: at 0x40, pixels 0-1 are colour 9 */
    gr(s, 5, 0x08);
    gr(s, 2, 0x09);
    gr(s, 7, 0x0f);
    g_assert_cmphex(qtest_readb(s, 0xa0040), ==, 0xc0);
    gr(s, 7, 0x00);                                  /* no plane compared: all match */
    g_assert_cmphex(qtest_readb(s, 0xa0040), ==, 0xff);
    gr(s, 5, 0x00);

    /* chain 4: byte address = VRAM offset, seen through the LFB; odd/even
     * puts even bytes in plane 0, odd ones in plane 1 of the same offset */
    seq(s, 4, 0x0e);
    qtest_writeb(s, 0xa0105, 0x77);
    g_assert_cmphex(qtest_readb(s, LFB + 0x105), ==, 0x77);
    seq(s, 4, 0x02);
    gr(s, 6, 0x0e);                                  /* text: b8000 */
    gr(s, 4, 0x00);                                  /* maps 0/1 (2/3 with bit 1) */
    qtest_writeb(s, 0xb8000, 'A');
    qtest_writeb(s, 0xb8001, 0x1f);
    g_assert_cmphex(qtest_readb(s, LFB + 0), ==, 'A');
    g_assert_cmphex(qtest_readb(s, LFB + 1), ==, 0x1f);
    g_assert_cmphex(qtest_readb(s, 0xa0000), ==, 0xff);  /* outside the b8000 map */
    qtest_quit(s);
}

static void test_vbe(void)
{
    QTestState *s = start("");
    g_assert_cmphex(vbe_get(s, 0), ==, 0xb0c5);
    vbe(s, 0, 0x1234);                               /* not an ID: ignored */
    g_assert_cmphex(vbe_get(s, 0), ==, 0xb0c5);
    vbe(s, 4, 0x02);                                 /* GETCAPS */
    g_assert_cmpuint(vbe_get(s, 1), >=, 2560);
    g_assert_cmpuint(vbe_get(s, 2), >=, 1600);
    g_assert_cmpuint(vbe_get(s, 3), ==, 32);
    vbe(s, 4, 0x00);

    /* 640x480x32 through the LFB */
    vbe(s, 1, 640);
    vbe(s, 2, 480);
    vbe(s, 3, 32);
    vbe(s, 4, 0x41);
    g_assert_cmpuint(vbe_get(s, 6), ==, 640);        /* virtual width */
    g_assert_cmpuint(vbe_get(s, 7), ==, (16 << 20) / (640 * 4));
    qtest_writel(s, LFB + (10 * 640 + 20) * 4, 0x00123456);
    qtest_writel(s, LFB + (479 * 640 + 639) * 4, 0x00ff8000);
    int w, h;
    g_autofree uint8_t *a = screendump(s, &w, &h);
    g_assert_cmpint(w, ==, 640);
    g_assert_cmpint(h, ==, 480);
    pixel_is(a, w, 20, 10, 0x123456);
    pixel_is(a, w, 639, 479, 0xff8000);
    pixel_is(a, w, 0, 0, 0x000000);
    /* panning: y offset 10 brings row 10 to the top */
    vbe(s, 9, 10);
    g_autofree uint8_t *b = screendump(s, &w, &h);
    pixel_is(b, w, 20, 0, 0x123456);
    /* the registers are in BAR2 too (0x500 + index * 2) */
    g_assert_cmpuint(qtest_readl(s, MMIO + 0x500 + 2 * 9) & 0xffff, ==, 10);
    vbe(s, 4, 0x00);

    /* 640x480x8: colours from the DAC (6-bit), pixels written through the
     * a0000 window's bank 1 (64 KiB into VRAM) */
    vbe(s, 1, 640);
    vbe(s, 2, 480);
    vbe(s, 3, 8);
    vbe(s, 4, 0x01);
    qtest_outb(s, 0x3c8, 7);
    qtest_outb(s, 0x3c9, 0x3f);
    qtest_outb(s, 0x3c9, 0x00);
    qtest_outb(s, 0x3c9, 0x2a);
    vbe(s, 5, 1);
    uint32_t off = 0x10000 + 5;
    qtest_writeb(s, 0xa0000 + 5, 7);
    g_assert_cmphex(qtest_readb(s, LFB + off), ==, 7);
    g_autofree uint8_t *c = screendump(s, &w, &h);
    g_assert_cmpint(w, ==, 640);
    g_assert_cmpint(h, ==, 480);
    /* 6-bit DAC values widen as v << 2 plus the low bit twice: 3f -> ff, 2a -> a8 */
    pixel_is(c, w, off % 640, off / 640, 0xff00a8);
    vbe(s, 4, 0x00);

    /* hostile: a mode larger than VRAM is cut to what fits; offsets past
     * the virtual screen are clamped; the screendump stays inside VRAM */
    vbe(s, 1, 16000);
    vbe(s, 2, 12000);
    vbe(s, 3, 32);
    vbe(s, 8, 0xffff);
    vbe(s, 9, 0xffff);
    vbe(s, 4, 0x81);
    g_assert_cmpuint((uint64_t)vbe_get(s, 1) * 4 * vbe_get(s, 2), <=, 16u << 20);
    g_assert_cmpuint(vbe_get(s, 8) + vbe_get(s, 1), <=, vbe_get(s, 6));
    g_assert_cmpuint(vbe_get(s, 9) + vbe_get(s, 2), <=, vbe_get(s, 7));
    g_autofree uint8_t *d = screendump(s, &w, &h);
    g_assert_cmpint(w, ==, vbe_get(s, 1));
    vbe(s, 4, 0x00);
    vbe(s, 3, 7);                                    /* no such depth: 8 */
    vbe(s, 1, 640);
    vbe(s, 2, 480);
    vbe(s, 4, 0x01);
    g_assert_cmpuint(vbe_get(s, 3), ==, 8);
    qtest_quit(s);
}

/* The native mode of the EDID's first detailed timing, and its sanity. */
static void check_edid(QTestState *s, uint32_t mmio, unsigned w, unsigned h)
{
    uint8_t e[128];
    uint8_t sum = 0;
    for (int i = 0; i < 128; i++) {
        e[i] = qtest_readb(s, mmio + i);
        sum += e[i];
    }
    static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
    g_assert_cmpmem(e, 8, header, 8);
    g_assert_cmpuint(sum, ==, 0);
    g_assert_cmpuint(e[18], ==, 1);                  /* EDID 1.4 */
    g_assert_cmpuint(e[19], ==, 4);
    g_assert_cmpuint(e[126], ==, 0);                 /* no extensions */
    g_assert_cmpuint(e[54] | e[55] << 8, !=, 0);     /* a detailed timing, */
    g_assert_cmpuint(e[56] | (e[58] >> 4) << 8, ==, w);      /* of the native mode */
    g_assert_cmpuint(e[59] | (e[61] >> 4) << 8, ==, h);
    g_assert_cmpuint(e[75], ==, 0xfd);               /* then the range limits */
    g_assert_cmpuint(e[93], ==, 0xfc);               /* and the name */
    g_assert_cmpmem(e + 95, 10, "Vireo VGA\n", 10);
    /* a 32-bit read, as a driver may do it */
    g_assert_cmphex(qtest_readl(s, mmio), ==, 0xffffff00);
}

static void crtc(QTestState *s, uint8_t i, uint8_t v) { qtest_outb(s, 0x3d4, i); qtest_outb(s, 0x3d5, v); }

/*
 * Watch input status 1 in steps of step_ns of virtual time for span_ns:
 * the start times of the first two vertical retraces, how long the first
 * lasted, and how many times the display-enable bit changed within the
 * first line-long stretch of the visible area.
 */
static void watch_retrace(QTestState *s, int64_t step_ns, int64_t span_ns, int64_t *start,
                          int64_t *len, int *nstarts)
{
    int64_t t = 0;
    uint8_t prev = qtest_inb(s, 0x3da);
    *nstarts = 0;
    *len = 0;
    while (t < span_ns && *nstarts < 3) {
        qtest_clock_step(s, step_ns);
        t += step_ns;
        uint8_t v = qtest_inb(s, 0x3da);
        if ((v & 0x08) && !(prev & 0x08)) {
            start[(*nstarts)++] = t;
        } else if (!(v & 0x08) && (prev & 0x08) && *nstarts == 1) {
            *len = t - start[0];
        }
        prev = v;
    }
}

/*
 * The retrace follows the programmed CRTC timing on the virtual clock:
 * mode 3's standard values (28.322 MHz, 9-dot characters, 100 characters
 * a line, 449 lines, retrace on lines 412-413) make a 70 Hz frame with a
 * two-line retrace, and display enable goes off and on within each line;
 * a VBE mode runs at 60 Hz.  (Unprogrammed, the bits toggle on every
 * read: test_registers.)
 */
static void test_retrace(void)
{
    QTestState *s = start("");
    qtest_outb(s, 0x3c2, 0x67);
    seq(s, 1, 0x00);
    crtc(s, 0x11, 0x0e);                    /* unprotect CR0-7, retrace end 0xe */
    static const uint8_t mode3[][2] = {
        { 0x00, 0x5f }, { 0x01, 0x4f }, { 0x06, 0xbf }, { 0x07, 0x1f },
        { 0x10, 0x9c }, { 0x11, 0x8e }, { 0x12, 0x8f },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(mode3); i++) {
        crtc(s, mode3[i][0], mode3[i][1]);
    }
    int64_t start_ns[3], len;
    int n;
    watch_retrace(s, 4000, 40000000, start_ns, &len, &n);
    g_assert_cmpint(n, >=, 2);
    int64_t period = start_ns[1] - start_ns[0];
    /* 449 lines of 100 * 9 / 28.322 MHz = 14.268 ms */
    g_assert_cmpint(period, >=, 14260000);
    g_assert_cmpint(period, <=, 14276000);
    /* two lines of 31.78 us, seen in 4 us steps */
    g_assert_cmpint(len, >=, 2 * 31777 - 4000);
    g_assert_cmpint(len, <=, 2 * 31777 + 4000);
    /* within a visible line display enable goes off (blanking) and on */
    qtest_clock_step(s, 1000000);
    int changes = 0;
    uint8_t prev = qtest_inb(s, 0x3da);
    for (int i = 0; i < 40; i++) {                 /* 40 x 1 us > one line */
        qtest_clock_step(s, 1000);
        uint8_t v = qtest_inb(s, 0x3da);
        changes += (v ^ prev) & 0x01;
        prev = v;
    }
    g_assert_cmpint(changes, >=, 1);
    g_assert_cmpint(changes, <=, 3);
    /* a 640x480 VBE mode: 60 Hz */
    vbe(s, 4, 0);
    vbe(s, 1, 640);
    vbe(s, 2, 480);
    vbe(s, 3, 32);
    vbe(s, 4, 0x41);
    watch_retrace(s, 20000, 60000000, start_ns, &len, &n);
    g_assert_cmpint(n, >=, 2);
    period = start_ns[1] - start_ns[0];
    g_assert_cmpint(period, >=, 16600000);
    g_assert_cmpint(period, <=, 16740000);
    qtest_quit(s);
}

static void test_edid(void)
{
    QTestState *s = start("");
    check_edid(s, MMIO, 1024, 768);
    g_assert_cmpuint(qtest_readl(s, MMIO + 0x600), ==, 8);          /* extended registers */
    g_assert_cmphex(qtest_readl(s, MMIO + 0x604), ==, 0x1e1e1e1e);  /* little-endian */
    qtest_writel(s, MMIO + 0x604, 0xbebebebe);                      /* big-endian: not offered */
    g_assert_cmphex(qtest_readl(s, MMIO + 0x604), ==, 0x1e1e1e1e);
    g_assert_cmpuint(qtest_readb(s, MMIO + 0x3ff), ==, 0);          /* past the block */
    qtest_quit(s);

    s = qtest_start("-vga none -device VGA,addr=5,xres=1280,yres=800");
    qtest_pci_writel(s, 5 << 3, 0x18, MMIO);
    qtest_pci_writel(s, 5 << 3, 0x04, 0x0003);
    check_edid(s, MMIO, 1280, 800);
    qtest_quit(s);

    s = qtest_start("-vga none -device VGA,addr=5,edid=off");
    qtest_pci_writel(s, 5 << 3, 0x18, MMIO);
    qtest_pci_writel(s, 5 << 3, 0x04, 0x0003);
    g_assert_cmphex(qtest_readl(s, MMIO), ==, 0);   /* no header: bochs-drm uses its defaults */
    g_assert_cmphex(qtest_readl(s, MMIO + 4), ==, 0);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/vga/pci", test_pci);
    g_test_add_func("/qtest/vga/registers", test_registers);
    g_test_add_func("/qtest/vga/planar", test_planar);
    g_test_add_func("/qtest/vga/vbe", test_vbe);
    g_test_add_func("/qtest/vga/edid", test_edid);
    g_test_add_func("/qtest/vga/retrace", test_retrace);
    return g_test_run();
}
