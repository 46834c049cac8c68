/*
 * VGA core: the register groups of an IBM VGA (sequencer, CRT controller,
 * graphics controller, attribute controller, DAC, misc/status), the
 * planar memory behind the 0xa0000 window with its read and write modes,
 * the Bochs VBE extension (DISPI), and the rendering of text, planar,
 * CGA, 256-colour and VBE linear modes into a console surface.
 *
 * VRAM keeps the four planes interleaved: plane p of planar address a is
 * vram[a * 4 + p].  Chain-4 (mode 13h) and Mode X then read a pixel at
 * vram[x], and the renderer walks one layout for every mode.
 *
 * Everything the guest sets (start address, offsets, sizes, indexes) is
 * masked or clamped before it addresses VRAM: a hostile mode renders
 * wrapped or blank, never outside the buffer.
 */
#include "hw/display/vga.h"

#include <string.h>

#include "hw/core/timer.h"
#include "util/log.h"

#define VBE_ID0         0xb0c0
#define VBE_ID5         0xb0c5
#define VBE_MAX_XRES    16000
#define VBE_MAX_YRES    12000
#define VBE_EN_ENABLED  0x01
#define VBE_EN_GETCAPS  0x02
#define VBE_EN_8BIT_DAC 0x20
#define VBE_EN_LFB      0x40
#define VBE_EN_NOCLEAR  0x80

/* Planar address space of the 256 KiB VGA memory */
#define VGA_PLANAR_MASK 0xffff
#define MAX_DIM         16384

static uint32_t vram32(const VGAState *s, uint32_t a)
{
    const uint8_t *p = s->vram + ((a & VGA_PLANAR_MASK) << 2);
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 4-bit plane mask -> a byte of 0xff per selected plane */
static uint32_t expand4(unsigned v)
{
    uint32_t r = 0;
    for (int p = 0; p < 4; p++) {
        if (v & (1 << p)) {
            r |= 0xffu << (8 * p);
        }
    }
    return r;
}

static bool vbe_enabled(const VGAState *s)
{
    return s->vbe_regs[VBE_ENABLE] & VBE_EN_ENABLED;
}

/* ---- the 0xa0000-0xbffff window ---- */

/* Offset in the window -> offset in the memory map the graphics
 * controller selects (GR6 bits 2-3); false if outside it. */
static bool vga_window(const VGAState *s, uint32_t *addr)
{
    switch ((s->gr[6] >> 2) & 3) {
    case 0:                                  /* a0000-bffff, 128 KiB */
        return true;
    case 1:                                  /* a0000-affff, 64 KiB, VBE bank */
        if (*addr >= 0x10000) {
            return false;
        }
        *addr += s->bank_offset;
        return true;
    case 2:                                  /* b0000-b7fff */
        if (*addr < 0x10000 || *addr >= 0x18000) {
            return false;
        }
        *addr -= 0x10000;
        return true;
    default:                                 /* b8000-bffff */
        if (*addr < 0x18000) {
            return false;
        }
        *addr -= 0x18000;
        return true;
    }
}

static uint8_t vga_mem_readb(VGAState *s, uint32_t addr)
{
    if (!vga_window(s, &addr)) {
        return 0xff;
    }
    if (s->seq[4] & 0x08) {                  /* chain 4: byte addresses */
        return addr < s->vram_size ? s->vram[addr] : 0xff;
    }
    if (!(s->seq[4] & 0x04)) {               /* odd/even: A0 picks plane 0/1 (2/3) */
        unsigned plane = (s->gr[4] & 2) | (addr & 1);
        uint32_t off = ((addr & ~1u) << 1) | plane;
        return off < s->vram_size ? s->vram[off] : 0xff;
    }
    if (addr > VGA_PLANAR_MASK) {
        return 0xff;
    }
    s->latch = vram32(s, addr);
    if (!(s->gr[5] & 0x08)) {                /* read mode 0: the map GR4 selects */
        return s->latch >> (8 * (s->gr[4] & 3));
    }
    /* read mode 1: colour compare (GR2) over the planes GR7 cares about */
    uint32_t r = (s->latch ^ expand4(s->gr[2])) & expand4(s->gr[7]);
    r |= r >> 16;
    r |= r >> 8;
    return ~r & 0xff;
}

static void vga_mem_writeb(VGAState *s, uint32_t addr, uint8_t val)
{
    if (!vga_window(s, &addr)) {
        return;
    }
    if (s->seq[4] & 0x08) {
        unsigned plane = addr & 3;
        if ((s->seq[2] & (1 << plane)) && addr < s->vram_size) {
            s->vram[addr] = val;
            memory_region_set_dirty(&s->vram_mr, addr, 1);
        }
        return;
    }
    if (!(s->seq[4] & 0x04)) {
        unsigned plane = (s->gr[4] & 2) | (addr & 1);
        uint32_t off = ((addr & ~1u) << 1) | plane;
        if ((s->seq[2] & (1 << plane)) && off < s->vram_size) {
            s->vram[off] = val;
            memory_region_set_dirty(&s->vram_mr, off, 1);
        }
        return;
    }
    if (addr > VGA_PLANAR_MASK) {
        return;
    }
    uint32_t v, bit_mask = s->gr[8];
    unsigned rot = s->gr[3] & 7;
    uint8_t r = (uint8_t)((val >> rot) | (val << (8 - rot)));
    switch (s->gr[5] & 3) {
    case 0:                                  /* rotate, then set/reset where enabled */
        v = r * 0x01010101u;
        v = (v & ~expand4(s->gr[1])) | (expand4(s->gr[0]) & expand4(s->gr[1]));
        break;
    case 1:                                  /* the latches as they are */
        v = s->latch;
        goto write;
    case 2:                                  /* the byte's low nibble as colour */
        v = expand4(val & 0x0f);
        break;
    default:                                 /* set/reset colour, rotated byte ANDs the bit mask */
        bit_mask &= r;
        v = expand4(s->gr[0]);
        break;
    }
    switch ((s->gr[3] >> 3) & 3) {
    case 1: v &= s->latch; break;
    case 2: v |= s->latch; break;
    case 3: v ^= s->latch; break;
    }
    bit_mask *= 0x01010101u;
    v = (v & bit_mask) | (s->latch & ~bit_mask);
write:;
    uint32_t mask = expand4(s->seq[2] & 0x0f);
    uint8_t *p = s->vram + (addr << 2);
    for (int i = 0; i < 4; i++) {
        if (mask & (0xffu << (8 * i))) {
            p[i] = v >> (8 * i);
        }
    }
    memory_region_set_dirty(&s->vram_mr, addr << 2, 4);
}

static uint64_t lowmem_read(void *opaque, hwaddr addr, unsigned size)
{
    return vga_mem_readb(opaque, addr);
}

static void lowmem_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    vga_mem_writeb(opaque, addr, val);
}

static const MemoryRegionOps lowmem_ops = {
    .read = lowmem_read, .write = lowmem_write, .min_access = 1, .max_access = 1,
};

/* ---- retrace timing ---- */

/*
 * Input status 1, bit 3 (vertical retrace) and bit 0 (display disabled:
 * horizontal or vertical blanking), from the virtual clock and the timing
 * the CRTC is programmed with, as the beam of a real monitor would be: the
 * dot clock of misc bits 2-3 (25.175 or 28.322 MHz), halved by SR1 bit 3,
 * 8- or 9-dot characters (SR1 bit 0), CR0 horizontal total (+5), CR1
 * display end, CR6/CR7 vertical total (+2), CR10 retrace start and CR11's
 * low four bits where it ends, CR12 display end.  Mode 3 and 13h come out
 * at 70 Hz, 640x480 at 60 Hz, so a DOS program that paces itself on the
 * retrace runs at the speed it was written for.  In a VBE mode (the CRTC
 * keeps the legacy mode's values) a 60 Hz frame of the VBE height plus 5%
 * blanking.  A CRTC that gives no sensible frame (never programmed, or
 * garbage) falls back to flipping both bits on every read, so no poll
 * loop can hang.  qtest drives the virtual clock, hence the beam.
 */
static uint8_t vga_status1(VGAState *s)
{
    uint64_t dot_hz, hchars, hde_chars, vtotal, vde, vrs, vre;
    if (vbe_enabled(s)) {
        vde = MAX(s->vbe_regs[VBE_YRES], 1);
        vtotal = vde + vde / 20 + 3;
        vrs = vde + 1;
        vre = vrs + 2;
        hchars = 100;
        hde_chars = 80;
        dot_hz = 60 * vtotal * hchars * 8;
    } else {
        static const uint64_t clocks[4] = { 25175000, 28322000, 25175000, 25175000 };
        unsigned dots = (s->seq[1] & 0x01) ? 8 : 9;
        dot_hz = clocks[(s->misc >> 2) & 3] / ((s->seq[1] & 0x08) ? 2 : 1) / dots * 8;
        hchars = s->crtc[0] + 5u;
        hde_chars = s->crtc[1] + 1u;
        vtotal = (s->crtc[6] | (s->crtc[7] & 0x01) << 8 | (s->crtc[7] & 0x20) << 4) + 2u;
        vde = (s->crtc[0x12] | (s->crtc[7] & 0x02) << 7 | (s->crtc[7] & 0x40) << 3) + 1u;
        vrs = s->crtc[0x10] | (s->crtc[7] & 0x04) << 6 | (s->crtc[7] & 0x80) << 2;
        unsigned len = ((s->crtc[0x11] & 0x0f) - vrs) & 0x0f;
        vre = vrs + (len ? len : 16);
    }
    /* one character is 8 dots of dot_hz (dot_hz already scaled for 9) */
    uint64_t line_ns = hchars * 8 * 1000000000ull / dot_hz;
    uint64_t frame_ns = line_ns * vtotal;
    if (hchars < 16 || vtotal < 64 || vde > vtotal || hde_chars > hchars || !line_ns ||
        frame_ns < 5000000 || frame_ns > 100000000) {
        s->st01 ^= 0x09;
        return s->st01;
    }
    uint64_t pos = (uint64_t)clock_get_ns(CLOCK_VIRTUAL) % frame_ns;
    uint64_t line = pos / line_ns, in_line = pos % line_ns;
    bool vretrace = line >= vrs && line < vre;
    bool disabled = line >= vde || in_line >= line_ns * hde_chars / hchars;
    s->st01 = (vretrace ? 0x08 : 0) | (disabled ? 0x01 : 0);
    return s->st01;
}

/* ---- registers ---- */

/* The CRTC answers at 0x3d4/5 with a colour emulation (misc bit 0), else
 * at 0x3b4/5; the other pair is not decoded. */
static bool vga_port_active(const VGAState *s, uint16_t port)
{
    if (port >= 0x3b0 && port <= 0x3bf) {
        return !(s->misc & 1);
    }
    if (port >= 0x3d0 && port <= 0x3df) {
        return s->misc & 1;
    }
    return true;
}

uint8_t vga_ioport_read(VGAState *s, uint16_t port)
{
    if (!vga_port_active(s, port)) {
        return 0xff;
    }
    switch (port) {
    case 0x3c0:
        return s->ar_flip ? 0 : s->ar_index;
    case 0x3c1:
        return (s->ar_index & 0x1f) < sizeof(s->ar) ? s->ar[s->ar_index & 0x1f] : 0;
    case 0x3c2:
        return 0;                            /* input status 0: no switch sense */
    case 0x3c4:
        return s->seq_index;
    case 0x3c5:
        return s->seq_index < 5 ? s->seq[s->seq_index] : 0;
    case 0x3c6:
        return s->pel_mask;
    case 0x3c7:
        return s->dac_state;
    case 0x3c8:
        return s->dac_write_index;
    case 0x3c9: {
        uint8_t v = s->dac[s->dac_read_index * 3 + s->dac_sub];
        if (++s->dac_sub == 3) {
            s->dac_sub = 0;
            s->dac_read_index++;
        }
        return v;
    }
    case 0x3ca:
        return s->feature;
    case 0x3cc:
        return s->misc;
    case 0x3ce:
        return s->gr_index;
    case 0x3cf:
        return s->gr_index < 9 ? s->gr[s->gr_index] : 0;
    case 0x3b4: case 0x3d4:
        return s->crtc_index;
    case 0x3b5: case 0x3d5:
        return s->crtc[s->crtc_index];
    case 0x3ba: case 0x3da:
        /* Input status 1 (the read also resets the attribute
         * controller's flip-flop) */
        s->ar_flip = false;
        return vga_status1(s);
    default:
        return 0xff;
    }
}

void vga_ioport_write(VGAState *s, uint16_t port, uint8_t val)
{
    static const uint8_t seq_mask[5] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e };
    static const uint8_t gr_mask[9] = { 0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff };
    if (!vga_port_active(s, port)) {
        return;
    }
    switch (port) {
    case 0x3c0: case 0x3c1:
        if (!s->ar_flip) {
            s->ar_index = val & 0x3f;
        } else {
            unsigned i = s->ar_index & 0x1f;
            if (i < 16) {
                s->ar[i] = val & 0x3f;
            } else if (i < sizeof(s->ar)) {
                s->ar[i] = val;
            }
        }
        s->ar_flip = !s->ar_flip;
        break;
    case 0x3c2:
        s->misc = val & ~0x10;
        break;
    case 0x3c4:
        s->seq_index = val & 7;
        break;
    case 0x3c5:
        if (s->seq_index < 5) {
            s->seq[s->seq_index] = val & seq_mask[s->seq_index];
        }
        break;
    case 0x3c6:
        s->pel_mask = val;
        break;
    case 0x3c7:
        s->dac_read_index = val;
        s->dac_sub = 0;
        s->dac_state = 3;
        break;
    case 0x3c8:
        s->dac_write_index = val;
        s->dac_sub = 0;
        s->dac_state = 0;
        break;
    case 0x3c9:
        s->dac_latch[s->dac_sub++] = val;
        if (s->dac_sub == 3) {
            memcpy(&s->dac[s->dac_write_index * 3], s->dac_latch, 3);
            s->dac_sub = 0;
            s->dac_write_index++;
        }
        break;
    case 0x3ce:
        s->gr_index = val & 0x0f;
        break;
    case 0x3cf:
        if (s->gr_index < 9) {
            s->gr[s->gr_index] = val & gr_mask[s->gr_index];
        }
        break;
    case 0x3b4: case 0x3d4:
        s->crtc_index = val;
        break;
    case 0x3b5: case 0x3d5:
        /* CR11 bit 7 write-protects CR0-7, except the line compare bit of CR7 */
        if (s->crtc_index <= 7 && (s->crtc[0x11] & 0x80)) {
            if (s->crtc_index == 7) {
                s->crtc[7] = (s->crtc[7] & ~0x10) | (val & 0x10);
            }
            break;
        }
        s->crtc[s->crtc_index] = val;
        break;
    case 0x3ba: case 0x3da:
        s->feature = val & 0x03;
        break;
    }
}

static uint64_t ports_read(void *opaque, hwaddr addr, unsigned size)
{
    return vga_ioport_read(opaque, 0x3b0 + addr);
}

static void ports_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    vga_ioport_write(opaque, 0x3b0 + addr, val);
}

static const MemoryRegionOps ports_ops = {
    .read = ports_read, .write = ports_write, .min_access = 1, .max_access = 1,
};

/* ---- Bochs VBE ---- */

static uint32_t vbe_bytes_per_line(unsigned width, unsigned bpp)
{
    return bpp == 4 ? width / 2 : width * ((bpp + 7) / 8);
}

/* Make the mode registers consistent and the mode fit in VRAM: an
 * unknown depth becomes 8 bpp, sizes are clamped, the virtual screen is
 * at least the visible one and the offsets keep the visible part in it. */
static void vbe_fixup(VGAState *s)
{
    uint16_t *r = s->vbe_regs;
    switch (r[VBE_BPP]) {
    case 4: case 8: case 15: case 16: case 24: case 32:
        break;
    default:
        r[VBE_BPP] = 8;
    }
    r[VBE_XRES] = MIN(MAX(r[VBE_XRES] & ~7, 8), VBE_MAX_XRES);
    r[VBE_YRES] = MIN(MAX(r[VBE_YRES], 1), VBE_MAX_YRES);
    if (r[VBE_VIRT_WIDTH] < r[VBE_XRES]) {
        r[VBE_VIRT_WIDTH] = r[VBE_XRES];
    }
    uint32_t line = vbe_bytes_per_line(r[VBE_VIRT_WIDTH], r[VBE_BPP]);
    if ((uint64_t)line * r[VBE_YRES] > s->vram_size) {
        r[VBE_VIRT_WIDTH] = r[VBE_XRES];
        line = vbe_bytes_per_line(r[VBE_VIRT_WIDTH], r[VBE_BPP]);
        if ((uint64_t)line * r[VBE_YRES] > s->vram_size) {
            r[VBE_YRES] = s->vram_size / line;
        }
    }
    r[VBE_VIRT_HEIGHT] = MIN(s->vram_size / line, 0xffff);
    r[VBE_X_OFFSET] = MIN(r[VBE_X_OFFSET], r[VBE_VIRT_WIDTH] - r[VBE_XRES]);
    r[VBE_Y_OFFSET] = MIN(r[VBE_Y_OFFSET], r[VBE_VIRT_HEIGHT] - r[VBE_YRES]);
    s->vbe_line = line;
    s->vbe_start = r[VBE_Y_OFFSET] * line + vbe_bytes_per_line(r[VBE_X_OFFSET], r[VBE_BPP]);
}

uint16_t vbe_read(VGAState *s, uint16_t index)
{
    if (index >= VBE_NREGS) {
        return 0;
    }
    if (s->vbe_regs[VBE_ENABLE] & VBE_EN_GETCAPS) {
        switch (index) {
        case VBE_XRES: return VBE_MAX_XRES;
        case VBE_YRES: return VBE_MAX_YRES;
        case VBE_BPP: return 32;
        }
    }
    if (index == VBE_VIDEO_MEMORY_64K) {
        return s->vram_size >> 16;
    }
    return s->vbe_regs[index];
}

void vbe_write(VGAState *s, uint16_t index, uint16_t val)
{
    uint16_t *r = s->vbe_regs;
    switch (index) {
    case VBE_ID:
        if (val >= VBE_ID0 && val <= VBE_ID5) {
            r[VBE_ID] = val;
        }
        break;
    case VBE_XRES: case VBE_YRES: case VBE_BPP:
        /* the mode is fixed while enabled, as Bochs' */
        if (!vbe_enabled(s)) {
            r[index] = val;
        }
        break;
    case VBE_BANK:
        /* 64 KiB banks in the a0000 window; a bank past VRAM wraps */
        r[VBE_BANK] = val & ((s->vram_size >> 16) - 1);
        s->bank_offset = (uint32_t)r[VBE_BANK] << 16;
        break;
    case VBE_ENABLE:
        if ((val & VBE_EN_ENABLED) && !vbe_enabled(s)) {
            r[VBE_VIRT_WIDTH] = 0;
            r[VBE_X_OFFSET] = r[VBE_Y_OFFSET] = 0;
            r[VBE_ENABLE] = val;
            vbe_fixup(s);
            if (!(val & VBE_EN_NOCLEAR)) {
                memset(s->vram, 0, (size_t)s->vbe_line * r[VBE_YRES]);
                memory_region_set_dirty(&s->vram_mr, 0, (uint64_t)s->vbe_line * r[VBE_YRES]);
            }
            /* the legacy side as a linear 256-colour mode: graphics,
             * the a0000 bank window, chain 4, no CGA address mixing */
            s->gr[6] = (s->gr[6] & ~0x0c) | 0x05;
            s->gr[5] = (s->gr[5] & ~0x60) | 0x40;
            s->seq[4] |= 0x08;
            s->seq[2] |= 0x0f;
            s->crtc[0x17] |= 0x03;
            s->bank_offset = 0;
            r[VBE_BANK] = 0;
        } else if (!(val & VBE_EN_ENABLED)) {
            s->bank_offset = 0;
            r[VBE_BANK] = 0;
        }
        r[VBE_ENABLE] = val;
        s->full_update = true;
        break;
    case VBE_VIRT_WIDTH: case VBE_X_OFFSET: case VBE_Y_OFFSET:
        r[index] = val;
        if (vbe_enabled(s)) {
            vbe_fixup(s);
        }
        break;
    default:
        break;                               /* VIRT_HEIGHT, VIDEO_MEMORY: read-only */
    }
}

static uint64_t vbe_ports_read(void *opaque, hwaddr addr, unsigned size)
{
    VGAState *s = opaque;
    if (addr == 0) {
        return s->vbe_index;
    }
    return addr == 1 ? vbe_read(s, s->vbe_index) : 0xffff;
}

static void vbe_ports_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VGAState *s = opaque;
    if (addr == 0) {
        s->vbe_index = val;
    } else if (addr == 1) {
        vbe_write(s, s->vbe_index, val);
    }
}

/* The index port at 0x1ce and the data port at 0x1cf, each 16 bits wide
 * (a word access at the odd port is the data register, as on Bochs). */
static const MemoryRegionOps vbe_ports_ops = {
    .read = vbe_ports_read, .write = vbe_ports_write, .min_access = 1, .max_access = 2,
};

/* ---- rendering ---- */

static uint8_t c6_to_8(uint8_t v)
{
    /* 6-bit DAC value to 8 bits, the low bit repeated below (as QEMU
     * renders, so screendumps compare equal) */
    v &= 0x3f;
    unsigned b = v & 1;
    return v << 2 | b << 1 | b;
}

static uint32_t dac_rgb(const VGAState *s, unsigned i)
{
    const uint8_t *c = &s->dac[i * 3];
    if (vbe_enabled(s) && (s->vbe_regs[VBE_ENABLE] & VBE_EN_8BIT_DAC)) {
        return c[0] << 16 | c[1] << 8 | c[2];
    }
    return c6_to_8(c[0]) << 16 | c6_to_8(c[1]) << 8 | c6_to_8(c[2]);
}

/* The 16 attribute palette entries through the colour select register
 * (AR14, with AR10 bit 7 choosing how) to the DAC. */
static void palette16(const VGAState *s, uint32_t *pal)
{
    for (int i = 0; i < 16; i++) {
        unsigned v = s->ar[i];
        if (s->ar[0x10] & 0x80) {
            v = (v & 0x0f) | ((s->ar[0x14] & 0x0f) << 4);
        } else {
            v = (v & 0x3f) | ((s->ar[0x14] & 0x0c) << 4);
        }
        pal[i] = dac_rgb(s, v & s->pel_mask);
    }
}

static bool frame_alloc(VGAState *s, int w, int h)
{
    size_t need = (size_t)w * h;
    if (w <= 0 || h <= 0 || w > MAX_DIM || h > MAX_DIM) {
        return false;
    }
    if (need > s->frame_cap) {
        g_free(s->frame);
        s->frame = g_malloc0(need * 4);
        s->frame_cap = need;
    }
    if (!s->line_new) {
        s->line_new = g_malloc0(MAX_DIM);
    }
    return true;
}

/* Render line y (of a frame whose line y shows VRAM bytes [off, off+len))
 * when it is due: a full update, or a write to those bytes since the last
 * update.  Marks it for the compare with the surface. */
/*
 * VRAM bytes [off, off+len) were written since the last update, or during
 * it: a page is also due if it was dirty in the previous snapshot.  A vCPU
 * that got its fast mapping before that snapshot turned it slow may still
 * have been storing through it (a rep stos over the page) after the bits
 * were cleared; those stores land while the page is marked in the
 * previous snapshot, so looking at it once more catches them.
 */
static bool vram_written(const VGAState *s, const DirtySnapshot *snap, uint64_t off, uint64_t len)
{
    return !snap || dirty_snapshot_get(snap, off, len) ||
           (s->prev_snap && dirty_snapshot_get(s->prev_snap, off, len));
}

static bool line_due(VGAState *s, const DirtySnapshot *snap, int y, uint64_t off, uint64_t len)
{
    if (vram_written(s, snap, off, len)) {
        s->line_new[y] = 1;
        return true;
    }
    return false;
}

/* Phase of the text cursor (16 frames on, 16 off at 60 Hz) and of
 * blinking characters (twice as slow), from the host clock. */
static bool blink_on(int64_t period_ms)
{
    return (clock_get_ns(CLOCK_RT) / 1000000 / period_ms) & 1;
}

typedef struct TextGeom {
    int cols, rows, cw, ch;
    uint32_t start, line;                    /* planar addresses */
    int cursor;                              /* cell index, -1: none */
    int cur_start, cur_end;
} TextGeom;

static bool text_geometry(const VGAState *s, TextGeom *g)
{
    g->cw = (s->seq[1] & 0x08) ? 16 : (s->seq[1] & 0x01) ? 8 : 9;
    g->ch = (s->crtc[9] & 0x1f) + 1;
    g->cols = s->crtc[1] + 1;
    unsigned vde = s->crtc[0x12] | ((s->crtc[7] & 0x02) << 7) | ((s->crtc[7] & 0x40) << 3);
    g->rows = (vde + 1) / g->ch;
    if (g->rows > 128) {
        g->rows = 128;
    }
    g->start = s->crtc[0x0c] << 8 | s->crtc[0x0d];
    g->line = s->crtc[0x13] * 2;
    int cur = (int)(s->crtc[0x0e] << 8 | s->crtc[0x0f]) - (int)g->start;
    g->cursor = -1;
    if (!(s->crtc[0x0a] & 0x20) && cur >= 0 && g->line) {
        int row = cur / g->line, col = cur % g->line;
        if (row < g->rows && col < g->cols) {
            g->cursor = row * g->cols + col;
        }
    }
    g->cur_start = s->crtc[0x0a] & 0x1f;
    g->cur_end = s->crtc[0x0b] & 0x1f;
    return g->rows > 0 && g->cols > 0;
}

static void render_text(VGAState *s, const DirtySnapshot *snap, int *pw, int *ph)
{
    TextGeom g;
    if (!text_geometry(s, &g)) {
        *pw = *ph = 0;
        return;
    }
    int w = g.cols * g.cw, h = g.rows * g.ch;
    if (!frame_alloc(s, w, h)) {
        *pw = *ph = 0;
        return;
    }
    uint32_t pal[16];
    palette16(s, pal);
    /* the two font maps of SR3: plane 2, 8 KiB-character steps */
    unsigned v = s->seq[3];
    uint32_t font[2] = {
        (((v >> 4) & 1) | ((v << 1) & 6)) * 8192,
        (((v >> 5) & 1) | ((v >> 1) & 6)) * 8192,
    };
    bool cursor_phase = blink_on(266), char_phase = blink_on(533);
    bool blink = s->ar[0x10] & 0x08, line_gfx = s->ar[0x10] & 0x04;
    if (snap && (vram_written(s, snap, font[0] * 4, 8192 * 4) ||
                 vram_written(s, snap, font[1] * 4, 8192 * 4))) {
        snap = NULL;                         /* a glyph changed: every row */
    }
    /* a blink phase that turned: the cursor's row, and rows with blinking
     * characters, are drawn again */
    bool cursor_flip = cursor_phase != s->cursor_phase, char_flip = char_phase != s->char_phase;
    s->cursor_phase = cursor_phase;
    s->char_phase = char_phase;
    for (int row = 0; row < g.rows; row++) {
        uint32_t a0 = (g.start + row * g.line) & VGA_PLANAR_MASK;
        bool due = vram_written(s, snap, (uint64_t)a0 * 4, (uint64_t)g.cols * 4) ||
                   (cursor_flip && g.cursor >= 0 && row == g.cursor / g.cols);
        for (int col = 0; !due && char_flip && blink && col < g.cols; col++) {
            due = s->vram[((a0 + col) & VGA_PLANAR_MASK) * 4 + 1] & 0x80;
        }
        if (!due) {
            continue;
        }
        memset(s->line_new + row * g.ch, 1, g.ch);
        for (int col = 0; col < g.cols; col++) {
            uint32_t a = (g.start + row * g.line + col) & VGA_PLANAR_MASK;
            uint8_t c = s->vram[a * 4], attr = s->vram[a * 4 + 1];
            uint32_t fg = pal[attr & 0x0f], bg = pal[attr >> 4];
            if (blink) {
                bg = pal[(attr >> 4) & 7];
                if ((attr & 0x80) && !char_phase) {
                    fg = bg;
                }
            }
            uint32_t fa = (font[(attr >> 3) & 1] + c * 32) & VGA_PLANAR_MASK;
            bool dup9 = g.cw == 9 && line_gfx && c >= 0xc0 && c <= 0xdf;
            bool cursor = row * g.cols + col == g.cursor && cursor_phase;
            for (int y = 0; y < g.ch; y++) {
                uint8_t bits = s->vram[((fa + y) & VGA_PLANAR_MASK) * 4 + 2];
                bool nine = dup9;
                if (cursor && y >= g.cur_start && y <= g.cur_end) {
                    bits = 0xff;                 /* the cursor covers the whole cell */
                    nine = true;
                }
                uint32_t *d = s->frame + (size_t)(row * g.ch + y) * w + col * g.cw;
                if (g.cw == 16) {
                    for (int x = 0; x < 8; x++) {
                        d[2 * x] = d[2 * x + 1] = (bits & (0x80 >> x)) ? fg : bg;
                    }
                    continue;
                }
                for (int x = 0; x < 8; x++) {
                    d[x] = (bits & (0x80 >> x)) ? fg : bg;
                }
                if (g.cw == 9) {
                    d[8] = nine && (bits & 1) ? fg : bg;
                }
            }
        }
    }
    *pw = w;
    *ph = h;
}

/* Planar, CGA and 256-colour graphics.  Scanlines go through the CRTC's
 * row scan counter (max scan line, double scan) to character rows of
 * line_offset planar addresses; CR17 bits 0/1 put the row scan counter
 * into address bits 13/14 for the CGA-compatible interleaved banks. */
static void render_graphics(VGAState *s, const DirtySnapshot *snap, int *pw, int *ph)
{
    unsigned shift = (s->gr[5] >> 5) & 3;
    bool dclk2 = s->seq[1] & 0x08;
    int addrs = s->crtc[1] + 1;
    int w = addrs * 8 * (shift < 2 && dclk2 ? 2 : 1);
    unsigned vde = s->crtc[0x12] | ((s->crtc[7] & 0x02) << 7) | ((s->crtc[7] & 0x40) << 3);
    int h = vde + 1;
    if (!frame_alloc(s, w, h)) {
        *pw = *ph = 0;
        return;
    }
    uint32_t pal16[16], pal256[256];
    palette16(s, pal16);
    for (int i = 0; i < 256; i++) {
        pal256[i] = dac_rgb(s, i & s->pel_mask);
    }
    uint32_t plane_mask = expand4(s->ar[0x12] & 0x0f);
    int msl = s->crtc[9] & 0x1f;
    bool dbl = s->crtc[9] & 0x80;
    uint32_t start = s->crtc[0x0c] << 8 | s->crtc[0x0d];
    uint32_t line_offset = s->crtc[0x13] * 2;
    unsigned line_compare = s->crtc[0x18] | ((s->crtc[7] & 0x10) << 4) |
                            ((s->crtc[9] & 0x40) << 3);
    int base_line = 0;
    for (int y = 0; y < h; y++) {
        if ((unsigned)y == line_compare + 1) {
            start = 0;                       /* split screen: the rest from address 0 */
            base_line = y;
        }
        int l = (dbl ? (y - base_line) >> 1 : y - base_line);
        int rsc = l % (msl + 1), row = l / (msl + 1);
        uint32_t addr = start + row * line_offset;
        if (!(s->crtc[0x17] & 0x01)) {
            addr = (addr & ~0x2000u) | ((rsc & 1) << 13);
        }
        if (!(s->crtc[0x17] & 0x02)) {
            addr = (addr & ~0x4000u) | ((rsc & 2) << 13);
        }
        if (!line_due(s, snap, y, (uint64_t)(addr & VGA_PLANAR_MASK) * 4, (uint64_t)addrs * 4)) {
            continue;
        }
        uint32_t *d = s->frame + (size_t)y * w;
        for (int i = 0; i < addrs; i++) {
            uint32_t data = vram32(s, addr + i);
            uint8_t p[4] = { data, data >> 8, data >> 16, data >> 24 };
            if (shift >= 2) {                /* 256 colours: 4 pixels, 2 dots each */
                for (int k = 0; k < 4; k++) {
                    d[0] = d[1] = pal256[p[k]];
                    d += 2;
                }
                continue;
            }
            data &= plane_mask;
            uint8_t q[4] = { data, data >> 8, data >> 16, data >> 24 };
            for (int k = 0; k < 8; k++) {
                unsigned c;
                if (shift == 0) {            /* one bit of each plane */
                    int b = 7 - k;
                    c = ((q[0] >> b) & 1) | ((q[1] >> b) & 1) << 1 |
                        ((q[2] >> b) & 1) << 2 | ((q[3] >> b) & 1) << 3;
                } else {                     /* shift interleave: 2 bits of maps 0/2, then 1/3 */
                    int m = k < 4 ? 0 : 1, b = 6 - 2 * (k & 3);
                    c = ((q[m] >> b) & 3) | ((q[m + 2] >> b) & 3) << 2;
                }
                *d++ = pal16[c];
                if (dclk2) {
                    *d++ = pal16[c];
                }
            }
        }
    }
    *pw = w;
    *ph = h;
}

static void render_vbe(VGAState *s, const DirtySnapshot *snap, int *pw, int *ph)
{
    int w = s->vbe_regs[VBE_XRES], h = s->vbe_regs[VBE_YRES];
    unsigned bpp = s->vbe_regs[VBE_BPP];
    if (bpp == 4 || !frame_alloc(s, w, h)) {
        *pw = *ph = 0;                       /* 4 bpp VBE modes are not rendered */
        return;
    }
    uint32_t pal[256];
    for (int i = 0; i < 256; i++) {
        pal[i] = dac_rgb(s, i);
    }
    unsigned bytes = (bpp + 7) / 8;
    for (int y = 0; y < h; y++) {
        uint64_t off = s->vbe_start + (uint64_t)y * s->vbe_line;
        if (!line_due(s, snap, y, off, (uint64_t)w * bytes)) {
            continue;
        }
        uint32_t *d = s->frame + (size_t)y * w;
        if (off + (uint64_t)w * bytes > s->vram_size) {
            memset(d, 0, (size_t)w * 4);
            continue;
        }
        const uint8_t *p = s->vram + off;
        for (int x = 0; x < w; x++, p += bytes) {
            switch (bpp) {
            case 8:
                d[x] = pal[p[0]];
                break;
            case 15: {
                unsigned v = p[0] | p[1] << 8;
                d[x] = ((v >> 10) & 0x1f) << 19 | ((v >> 5) & 0x1f) << 11 | (v & 0x1f) << 3;
                break;
            }
            case 16: {
                unsigned v = p[0] | p[1] << 8;
                d[x] = ((v >> 11) & 0x1f) << 19 | ((v >> 5) & 0x3f) << 10 | (v & 0x1f) << 3;
                break;
            }
            case 24:
                d[x] = p[2] << 16 | p[1] << 8 | p[0];
                break;
            default:
                d[x] = (p[2] << 16 | p[1] << 8 | p[0]);
                break;
            }
        }
    }
    *pw = w;
    *ph = h;
}

/* Everything besides VRAM and the text blink phases (render_text looks
 * after those) that the picture depends on, in shown[]. */
static size_t shown_state(const VGAState *s, uint8_t *o)
{
    size_t n = 0;
#define PUT(p, len) (memcpy(o + n, (p), (len)), n += (len))
    PUT(&s->misc, 1);
    PUT(s->seq, sizeof(s->seq));
    PUT(s->gr, sizeof(s->gr));
    PUT(s->ar, sizeof(s->ar));
    PUT(&s->ar_index, 1);
    PUT(s->crtc, 32);
    PUT(&s->pel_mask, 1);
    PUT(s->dac, sizeof(s->dac));
    PUT(s->vbe_regs, sizeof(s->vbe_regs));
    PUT(&s->vbe_line, sizeof(s->vbe_line));
    PUT(&s->vbe_start, sizeof(s->vbe_start));
#undef PUT
    return n;
}

/*
 * Render into s->frame what changed since the last update, then copy the
 * lines that differ into the surface and report them.  VRAM is dirty
 * logged (memory_region_set_log): with the registers, the DAC and the
 * blink phases as they were, only the lines showing written pages are
 * rendered, so an idle screen costs a snapshot of the log and no pixels.
 * Paid only while a display listens or a screendump asks.
 */
static void vga_gfx_update(void *opaque)
{
    VGAState *s = opaque;
    int w = 0, h = 0;
    bool blank = !(s->ar_index & 0x20) || (s->seq[1] & 0x20);
    uint8_t now[sizeof(s->shown)];
    size_t n = shown_state(s, now);
    g_assert(n <= sizeof(s->shown));
    bool render_all = s->full_update;
    if (n != s->shown_len || memcmp(now, s->shown, n)) {
        /* every line is rendered; the compare below still reports only
         * the lines that came out different (a cursor blink: one) */
        memcpy(s->shown, now, n);
        s->shown_len = n;
        render_all = true;
    }
    DirtySnapshot *snap = memory_region_snapshot_and_clear_dirty(&s->vram_mr, 0, s->vram_size);
    const DirtySnapshot *due = render_all ? NULL : snap;
    if (s->line_new) {
        memset(s->line_new, 0, MAX_DIM);
    }
    if (vbe_enabled(s)) {
        render_vbe(s, due, &w, &h);
        blank = false;
    } else if (blank) {
        w = 0;
    } else if (s->gr[6] & 0x01) {
        render_graphics(s, due, &w, &h);
    } else {
        render_text(s, due, &w, &h);
    }
    dirty_snapshot_free(s->prev_snap);
    s->prev_snap = snap;
    DisplaySurface *surf = console_surface(s->con);
    if (w == 0 || h == 0) {
        /* blanked or an unusable mode: keep the size, show black */
        w = surface_width(surf);
        h = surface_height(surf);
        if (!frame_alloc(s, w, h)) {
            return;
        }
        memset(s->frame, 0, (size_t)w * h * 4);
    }
    if (surface_width(surf) != w || surface_height(surf) != h || surf->shared) {
        console_replace_surface(s->con, surface_create(w, h));
        surf = console_surface(s->con);
        s->full_update = true;
    }
    uint8_t *dst = surface_data(surf);
    int stride = surface_stride(surf);
    int y0 = -1;
    for (int y = 0; y <= h; y++) {
        bool changed = false;
        if (y < h) {
            uint32_t *row = (uint32_t *)(dst + (size_t)y * stride);
            const uint32_t *src = s->frame + (size_t)y * w;
            changed = s->full_update || (s->line_new[y] && memcmp(row, src, (size_t)w * 4));
            if (changed) {
                memcpy(row, src, (size_t)w * 4);
            }
        }
        if (changed && y0 < 0) {
            y0 = y;
        } else if (!changed && y0 >= 0) {
            console_gfx_update(s->con, 0, y0, w, y - y0);
            y0 = -1;
        }
    }
    s->full_update = false;
}

static void vga_invalidate(void *opaque)
{
    ((VGAState *)opaque)->full_update = true;
}

static bool vga_text_update(void *opaque, uint16_t *cells, int *pw, int *ph,
                            int *cursor_x, int *cursor_y, bool *cursor_visible)
{
    VGAState *s = opaque;
    TextGeom g;
    if (vbe_enabled(s) || (s->gr[6] & 0x01) || !text_geometry(s, &g)) {
        return false;
    }
    for (int row = 0; row < g.rows; row++) {
        for (int col = 0; col < g.cols; col++) {
            uint32_t a = (g.start + row * g.line + col) & VGA_PLANAR_MASK;
            cells[row * g.cols + col] = s->vram[a * 4 + 1] << 8 | s->vram[a * 4];
        }
    }
    *pw = g.cols;
    *ph = g.rows;
    *cursor_visible = g.cursor >= 0;
    *cursor_x = g.cursor >= 0 ? g.cursor % g.cols : 0;
    *cursor_y = g.cursor >= 0 ? g.cursor / g.cols : 0;
    return true;
}

static const ConsoleHwOps vga_console_ops = {
    .gfx_update = vga_gfx_update,
    .invalidate = vga_invalidate,
    .text_update = vga_text_update,
};

/* ---- setup ---- */

void vga_common_init(VGAState *s, uint32_t vram_mb, const char *name)
{
    s->vram_size = vram_mb << 20;
    memory_region_init_ram(&s->vram_mr, "vga.vram", s->vram_size);
    memory_region_set_log(&s->vram_mr, true);
    s->vram = s->vram_mr.ram;
    memory_region_init_io(&s->lowmem, &lowmem_ops, s, "vga-lowmem", 0x20000);
    memory_region_init_io(&s->ports, &ports_ops, s, "vga", 0x30);
    memory_region_init_io(&s->vbe_ports, &vbe_ports_ops, s, "vbe", 3);
    s->con = console_new_graphic(name, &vga_console_ops, s);
    vga_common_reset(s);
}

void vga_common_reset(VGAState *s)
{
    s->misc = s->feature = s->st01 = 0;
    s->seq_index = s->gr_index = s->ar_index = s->crtc_index = 0;
    memset(s->seq, 0, sizeof(s->seq));
    memset(s->gr, 0, sizeof(s->gr));
    memset(s->ar, 0, sizeof(s->ar));
    memset(s->crtc, 0, sizeof(s->crtc));
    s->ar_flip = false;
    s->pel_mask = 0xff;
    s->dac_state = s->dac_read_index = s->dac_write_index = s->dac_sub = 0;
    memset(s->dac, 0, sizeof(s->dac));
    s->latch = 0;
    s->vbe_index = 0;
    memset(s->vbe_regs, 0, sizeof(s->vbe_regs));
    s->vbe_regs[VBE_ID] = VBE_ID5;
    s->vbe_regs[VBE_BPP] = 8;
    s->vbe_line = s->vbe_start = s->bank_offset = 0;
    s->full_update = true;
}
