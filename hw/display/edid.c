/*
 * An EDID 1.4 base block, written from VESA's E-EDID standard (release A,
 * revision 2): header, vendor/product, basic display parameters, sRGB
 * chromaticity, established and standard timings, four 18-byte
 * descriptors (the native mode's detailed timing, range limits, the
 * monitor name, a dummy), no extension, checksum.
 */
#include "hw/display/edid.h"

#include <string.h>

/* The native mode as a detailed timing at 60 Hz with short blanking (the
 * shape of CVT's reduced blanking: 160 pixels, at least 460 us of vertical
 * blank), which keeps the pixel clock low for large modes. */
static void detailed_timing(uint8_t *d, uint32_t w, uint32_t h)
{
    const uint32_t hfront = 48, hsync = 32, hblank = 160;
    const uint32_t vfront = 3, vsync = 6;
    /* lines of vertical blank: 460 us of a 1/60 s frame, at least
     * front porch + sync + 6 */
    uint32_t vblank = (h * 276 + 9723) / 9724;     /* h * 0.0276 / (1 - 0.0276) */
    vblank = vblank < vfront + vsync + 6 ? vfront + vsync + 6 : vblank;
    uint64_t clock = (uint64_t)(w + hblank) * (h + vblank) * 60;
    uint32_t clk10k = (uint32_t)((clock + 5000) / 10000);
    /* image size in mm at 96 dots per inch */
    uint32_t wmm = w * 254 / 960, hmm = h * 254 / 960;

    d[0] = clk10k & 0xff;
    d[1] = clk10k >> 8;
    d[2] = w & 0xff;
    d[3] = hblank & 0xff;
    d[4] = (w >> 8 & 0xf) << 4 | (hblank >> 8 & 0xf);
    d[5] = h & 0xff;
    d[6] = vblank & 0xff;
    d[7] = (h >> 8 & 0xf) << 4 | (vblank >> 8 & 0xf);
    d[8] = hfront & 0xff;
    d[9] = hsync & 0xff;
    d[10] = (vfront & 0xf) << 4 | (vsync & 0xf);
    d[11] = (hfront >> 8 & 3) << 6 | (hsync >> 8 & 3) << 4 | (vfront >> 4 & 3) << 2 | (vsync >> 4 & 3);
    d[12] = wmm & 0xff;
    d[13] = hmm & 0xff;
    d[14] = (wmm >> 8 & 0xf) << 4 | (hmm >> 8 & 0xf);
    d[15] = d[16] = 0;           /* no border */
    d[17] = 0x1a;                /* digital separate sync, hsync +, vsync - (as CVT-RB) */
}

/* A display descriptor: 0, 0, 0, TAG, 0, then 13 bytes of data. */
static uint8_t *display_descriptor(uint8_t *d, uint8_t tag)
{
    memset(d, 0, 18);
    d[3] = tag;
    return d + 5;
}

void edid_generate(uint8_t blob[EDID_BLOCK_SIZE], const EdidInfo *info)
{
    static const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
    /* sRGB primaries and D65 white point, x then y, in 1/10000 */
    static const uint16_t chroma[8] = { 6400, 3300, 3000, 6000, 1500, 600, 3127, 3290 };
    static const struct { uint16_t w, h; uint8_t aspect; } std_modes[] = {
        /* aspect code: 0 16:10, 1 4:3, 2 5:4, 3 16:9 */
        { 1280, 720, 3 }, { 1280, 800, 0 }, { 1280, 1024, 2 }, { 1440, 900, 0 },
        { 1600, 1200, 1 }, { 1680, 1050, 0 }, { 1920, 1080, 3 }, { 1920, 1200, 0 },
    };
    uint32_t w = info->prefx, h = info->prefy;
    uint8_t *b = blob;

    memset(b, 0, EDID_BLOCK_SIZE);
    memcpy(b, header, 8);
    /* manufacturer "VIR": three 5-bit letters, 'A' = 1, big-endian */
    uint16_t mfg = ('V' - '@') << 10 | ('I' - '@') << 5 | ('R' - '@');
    b[8] = mfg >> 8;
    b[9] = mfg & 0xff;
    b[10] = 0x34;                /* product code 0x1234, little-endian */
    b[11] = 0x12;
    /* serial number 0: none; week 0: only the year is given */
    b[17] = 2024 - 1990;
    b[18] = 1;                   /* EDID 1.4 */
    b[19] = 4;
    b[20] = 0x80 | 2 << 4;       /* digital input, 8 bits per colour, interface undefined */
    b[21] = (w * 254 / 960 + 5) / 10;    /* screen size in cm, as the timing's mm */
    b[22] = (h * 254 / 960 + 5) / 10;
    b[23] = 120;                 /* gamma 2.2: (gamma - 1) * 100 */
    /* features: RGB 4:4:4, sRGB default colour space, the preferred
     * timing is the native mode, continuous frequency (the range limits
     * below let the guest infer modes) */
    b[24] = 0x04 | 0x02 | 0x01;
    uint16_t c[8];
    for (int i = 0; i < 8; i++) {
        c[i] = (chroma[i] * 1024 + 5000) / 10000;  /* 10-bit binary fraction */
    }
    b[25] = (c[0] & 3) << 6 | (c[1] & 3) << 4 | (c[2] & 3) << 2 | (c[3] & 3);
    b[26] = (c[4] & 3) << 6 | (c[5] & 3) << 4 | (c[6] & 3) << 2 | (c[7] & 3);
    for (int i = 0; i < 8; i++) {
        b[27 + i] = c[i] >> 2;
    }
    /* established timings: 720x400@70, 640x480@60, 800x600@60, 1024x768@60 */
    b[35] = 0x80 | 0x20 | (info->maxx >= 800 && info->maxy >= 600 ? 0x01 : 0);
    b[36] = info->maxx >= 1024 && info->maxy >= 768 ? 0x08 : 0;
    b[37] = 0;
    /* standard timings at 60 Hz: (width / 8) - 31, aspect << 6 | (rate - 60) */
    int n = 0;
    for (size_t i = 0; i < sizeof(std_modes) / sizeof(std_modes[0]); i++) {
        if (std_modes[i].w <= info->maxx && std_modes[i].h <= info->maxy) {
            b[38 + 2 * n] = std_modes[i].w / 8 - 31;
            b[39 + 2 * n] = std_modes[i].aspect << 6;
            n++;
        }
    }
    for (; n < 8; n++) {
        b[38 + 2 * n] = b[39 + 2 * n] = 0x01;      /* unused */
    }

    detailed_timing(b + 54, w, h);

    uint32_t clk_mhz = ((uint32_t)b[54] | b[55] << 8) / 100 + 1;
    uint8_t *r = display_descriptor(b + 72, 0xfd);  /* range limits */
    r[0] = 50;                   /* vertical 50-125 Hz */
    r[1] = 125;
    r[2] = 30;                   /* horizontal 30-160 kHz */
    r[3] = 160;
    /* maximum pixel clock in 10 MHz units: what 1920x1200@60 needs, or
     * the native mode if more */
    r[4] = (clk_mhz > 250 ? clk_mhz + 9 : 250) / 10;
    r[5] = 0x01;                 /* range limits only: no GTF/CVT formula */
    r[6] = 0x0a;                 /* the rest padded */
    memset(r + 7, ' ', 6);

    uint8_t *name = display_descriptor(b + 90, 0xfc);
    size_t len = strnlen(info->name, 13);
    memcpy(name, info->name, len);
    if (len < 13) {
        name[len] = 0x0a;
        memset(name + len + 1, ' ', 13 - len - 1);
    }

    display_descriptor(b + 108, 0x10);          /* dummy */

    b[126] = 0;                  /* no extension blocks */
    uint8_t sum = 0;
    for (int i = 0; i < 127; i++) {
        sum += b[i];
    }
    b[127] = (uint8_t)-sum;
}
