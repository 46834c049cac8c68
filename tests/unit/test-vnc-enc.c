/*
 * The VNC encoders and keymap without sockets: Raw pixels in the client's
 * pixel format (shifts, maxima, byte order, 8/16/32 bpp) from x8r8g8b8 and
 * from a 16-bit source pixman converts, zlib rectangles that inflate to the
 * Raw bytes over one stream, Tight fill for solid rectangles, Tight basic
 * with compact lengths that inflate to RGB triples, Tight's split of wide
 * and tall rectangles, Tight JPEG only when a quality level is set (and
 * then decoding close to the picture), and keysyms to qnums.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "config-host.h"
#include "ui/vnc-int.h"
#ifdef CONFIG_JPEG
#include <jpeglib.h>
#endif

static pixman_image_t *pattern(int w, int h)
{
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);
    uint32_t *d = pixman_image_get_data(img);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            d[y * w + x] = (uint32_t)(x * 7 & 0xff) << 16 | (y * 13 & 0xff) << 8 | ((x + y) & 0xff);
        }
    }
    return img;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void encoder_init(VncEncoder *e, const VncPixelFormat *pf)
{
    memset(e, 0, sizeof(*e));
    e->level = 6;
    e->jpeg_quality = -1;
    vnc_pf_set(e, pf);
}

static void check_header(const uint8_t *p, int x, int y, int w, int h, int enc)
{
    g_assert_cmpint(p[0] << 8 | p[1], ==, x);
    g_assert_cmpint(p[2] << 8 | p[3], ==, y);
    g_assert_cmpint(p[4] << 8 | p[5], ==, w);
    g_assert_cmpint(p[6] << 8 | p[7], ==, h);
    g_assert_cmpint((int32_t)rd32(p + 8), ==, enc);
}

static void test_raw_default(void)
{
    pixman_image_t *img = pattern(16, 8);
    VncPixelFormat pf;
    VncEncoder e;
    vnc_pf_default(&pf);
    encoder_init(&e, &pf);
    GByteArray *out = g_byte_array_new();
    g_assert_cmpint(vnc_encode_rect(&e, out, img, VNC_ENC_RAW, 3, 2, 5, 4), ==, 1);
    g_assert_cmpuint(out->len, ==, 12 + 5 * 4 * 4);
    check_header(out->data, 3, 2, 5, 4, VNC_ENC_RAW);
    const uint32_t *src = pixman_image_get_data(img);
    for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 5; x++) {
            const uint8_t *p = out->data + 12 + (y * 5 + x) * 4;
            uint32_t want = src[(y + 2) * 16 + x + 3];
            /* little-endian 32 bpp, red at 16: B G R X in memory */
            g_assert_cmpuint(p[0], ==, want & 0xff);
            g_assert_cmpuint(p[1], ==, (want >> 8) & 0xff);
            g_assert_cmpuint(p[2], ==, (want >> 16) & 0xff);
        }
    }
    g_byte_array_free(out, TRUE);
    pixman_image_unref(img);
}

/* rgb565 big-endian, bgr233 and 32-bit big-endian BGR. */
static void test_raw_formats(void)
{
    pixman_image_t *img = pattern(40, 3);
    const uint32_t *src = pixman_image_get_data(img);
    VncPixelFormat fmts[] = {
        { .bpp = 16, .depth = 16, .big_endian = true, .true_colour = true,
          .rmax = 31, .gmax = 63, .bmax = 31, .rshift = 11, .gshift = 5, .bshift = 0 },
        { .bpp = 8, .depth = 8, .true_colour = true,
          .rmax = 7, .gmax = 7, .bmax = 3, .rshift = 0, .gshift = 3, .bshift = 6 },
        { .bpp = 32, .depth = 24, .big_endian = true, .true_colour = true,
          .rmax = 255, .gmax = 255, .bmax = 255, .rshift = 0, .gshift = 8, .bshift = 16 },
    };
    for (size_t f = 0; f < G_N_ELEMENTS(fmts); f++) {
        VncEncoder e;
        encoder_init(&e, &fmts[f]);
        GByteArray *out = g_byte_array_new();
        vnc_encode_rect(&e, out, img, VNC_ENC_RAW, 0, 0, 40, 3);
        int bpp = fmts[f].bpp / 8;
        g_assert_cmpuint(out->len, ==, 12 + 40 * 3 * bpp);
        for (int i = 0; i < 120; i++) {
            const uint8_t *p = out->data + 12 + i * bpp;
            uint32_t v = bpp == 1 ? p[0] : bpp == 2 ? (uint32_t)(p[0] << 8 | p[1]) : rd32(p);
            uint32_t r = (src[i] >> 16) & 0xff, g = (src[i] >> 8) & 0xff, b = src[i] & 0xff;
            const VncPixelFormat *pf = &fmts[f];
            g_assert_cmpuint((v >> pf->rshift) & pf->rmax, ==, (r * pf->rmax + 127) / 255);
            g_assert_cmpuint((v >> pf->gshift) & pf->gmax, ==, (g * pf->gmax + 127) / 255);
            g_assert_cmpuint((v >> pf->bshift) & pf->bmax, ==, (b * pf->bmax + 127) / 255);
        }
        g_byte_array_free(out, TRUE);
    }
    pixman_image_unref(img);
}

/* A 16-bit surface (VGA sharing guest memory) is converted by pixman. */
static void test_raw_from_rgb565(void)
{
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_r5g6b5, 4, 1, NULL, 0);
    uint16_t *d = (uint16_t *)pixman_image_get_data(img);
    d[0] = 0xf800;
    d[1] = 0x07e0;
    d[2] = 0x001f;
    d[3] = 0xffff;
    VncPixelFormat pf;
    VncEncoder e;
    vnc_pf_default(&pf);
    encoder_init(&e, &pf);
    GByteArray *out = g_byte_array_new();
    vnc_encode_rect(&e, out, img, VNC_ENC_RAW, 0, 0, 4, 1);
    static const uint8_t want[4][3] = { { 0, 0, 255 }, { 0, 255, 0 }, { 255, 0, 0 }, { 255, 255, 255 } };
    for (int i = 0; i < 4; i++) {
        g_assert_cmpmem(out->data + 12 + i * 4, 3, want[i], 3);
    }
    g_byte_array_free(out, TRUE);
    pixman_image_unref(img);
}

static void test_zlib_stream(void)
{
    pixman_image_t *img = pattern(64, 32);
    VncPixelFormat pf;
    VncEncoder e, raw_e;
    vnc_pf_default(&pf);
    encoder_init(&e, &pf);
    encoder_init(&raw_e, &pf);
    z_stream in = { 0 };
    g_assert_cmpint(inflateInit(&in), ==, Z_OK);
    /* two rectangles over the same stream: the second needs the first's state */
    for (int r = 0; r < 2; r++) {
        GByteArray *out = g_byte_array_new(), *raw = g_byte_array_new();
        g_assert_cmpint(vnc_encode_rect(&e, out, img, VNC_ENC_ZLIB, r * 8, r, 50, 20), ==, 1);
        vnc_encode_rect(&raw_e, raw, img, VNC_ENC_RAW, r * 8, r, 50, 20);
        check_header(out->data, r * 8, r, 50, 20, VNC_ENC_ZLIB);
        uint32_t clen = rd32(out->data + 12);
        g_assert_cmpuint(out->len, ==, 16 + clen);
        uint8_t *pix = g_malloc(raw->len);
        in.next_in = out->data + 16;
        in.avail_in = clen;
        in.next_out = pix;
        in.avail_out = raw->len - 12;
        int rc = inflate(&in, Z_SYNC_FLUSH);
        g_assert_true(rc == Z_OK || rc == Z_STREAM_END);
        g_assert_cmpuint(in.avail_out, ==, 0);
        g_assert_cmpmem(pix, raw->len - 12, raw->data + 12, raw->len - 12);
        g_free(pix);
        g_byte_array_free(out, TRUE);
        g_byte_array_free(raw, TRUE);
    }
    inflateEnd(&in);
    vnc_encoder_free(&e);
    pixman_image_unref(img);
}

static void test_tight_fill_and_basic(void)
{
    VncPixelFormat pf;
    VncEncoder e;
    vnc_pf_default(&pf);
    encoder_init(&e, &pf);
    pixman_image_t *solid = pixman_image_create_bits(PIXMAN_x8r8g8b8, 30, 30, NULL, 0);
    uint32_t *d = pixman_image_get_data(solid);
    for (int i = 0; i < 900; i++) {
        d[i] = 0x123456;
    }
    GByteArray *out = g_byte_array_new();
    g_assert_cmpint(vnc_encode_rect(&e, out, solid, VNC_ENC_TIGHT, 0, 0, 30, 30), ==, 1);
    /* fill: control 0x80 and a 3-byte TPIXEL R, G, B */
    static const uint8_t fill[] = { 0x80, 0x12, 0x34, 0x56 };
    g_assert_cmpuint(out->len, ==, 12 + 4);
    g_assert_cmpmem(out->data + 12, 4, fill, 4);
    g_byte_array_set_size(out, 0);

    /* basic: control 0 (stream 0, no filter), compact length, zlib data
     * that inflates to RGB triples */
    pixman_image_t *img = pattern(100, 100);
    g_assert_cmpint(vnc_encode_rect(&e, out, img, VNC_ENC_TIGHT, 0, 0, 100, 100), ==, 1);
    g_assert_cmpuint(out->data[12], ==, 0x00);
    const uint8_t *p = out->data + 13;
    size_t len = p[0] & 0x7f;
    int nb = 1;
    if (p[0] & 0x80) {
        len |= (p[1] & 0x7f) << 7;
        nb++;
        if (p[1] & 0x80) {
            len |= (size_t)p[2] << 14;
            nb++;
        }
    }
    g_assert_cmpuint(out->len, ==, 13 + nb + len);
    uint8_t *rgb = g_malloc(100 * 100 * 3);
    uLongf rlen = 100 * 100 * 3;
    z_stream in = { 0 };
    inflateInit(&in);
    in.next_in = (Bytef *)p + nb;
    in.avail_in = len;
    in.next_out = rgb;
    in.avail_out = rlen;
    inflate(&in, Z_SYNC_FLUSH);
    g_assert_cmpuint(in.avail_out, ==, 0);
    inflateEnd(&in);
    const uint32_t *src = pixman_image_get_data(img);
    for (int i = 0; i < 100 * 100; i++) {
        g_assert_cmpuint(rgb[i * 3], ==, (src[i] >> 16) & 0xff);
        g_assert_cmpuint(rgb[i * 3 + 1], ==, (src[i] >> 8) & 0xff);
        g_assert_cmpuint(rgb[i * 3 + 2], ==, src[i] & 0xff);
    }
    g_free(rgb);
    g_byte_array_free(out, TRUE);
    vnc_encoder_free(&e);
    pixman_image_unref(img);
    pixman_image_unref(solid);
}

/* Wider than 2048 or more than 16384 pixels: several rectangles that
 * tile the original exactly. */
static void test_tight_split(void)
{
    VncPixelFormat pf;
    VncEncoder e;
    vnc_pf_default(&pf);
    encoder_init(&e, &pf);
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, 2500, 20, NULL, 0);
    GByteArray *out = g_byte_array_new();
    int n = vnc_encode_rect(&e, out, img, VNC_ENC_TIGHT, 0, 0, 2500, 20);
    g_assert_cmpint(n, >, 2);
    /* the image is all black: every piece is a 16-byte fill rectangle */
    g_assert_cmpuint(out->len, ==, (size_t)n * 16);
    long area = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *p = out->data + i * 16;
        int w = p[4] << 8 | p[5], h = p[6] << 8 | p[7];
        g_assert_cmpint(w, <=, 2048);
        g_assert_cmpint(w * h, <=, 16384);
        area += (long)w * h;
    }
    g_assert_cmpint(area, ==, 2500 * 20);
    g_byte_array_free(out, TRUE);
    vnc_encoder_free(&e);
    pixman_image_unref(img);
}

#ifdef CONFIG_JPEG
static void test_tight_jpeg(void)
{
    VncPixelFormat pf;
    VncEncoder e;
    vnc_pf_default(&pf);
    encoder_init(&e, &pf);
    e.jpeg_quality = -1;
    /* a smooth picture, as JPEG is meant for */
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, 128, 64, NULL, 0);
    uint32_t *d = pixman_image_get_data(img);
    for (int y = 0; y < 64; y++) {
        for (int x = 0; x < 128; x++) {
            d[y * 128 + x] = (uint32_t)(x * 2) << 16 | (y * 4) << 8 | 0x80;
        }
    }
    GByteArray *out = g_byte_array_new();
    vnc_encode_rect(&e, out, img, VNC_ENC_TIGHT, 0, 0, 128, 64);
    g_assert_cmpuint(out->data[12], ==, 0x00);          /* lossless without a quality */
    g_byte_array_set_size(out, 0);
    e.jpeg_quality = 9;
    g_assert_cmpint(vnc_encode_rect(&e, out, img, VNC_ENC_TIGHT, 0, 0, 128, 64), ==, 1);
    g_assert_cmpuint(out->data[12], ==, 0x90);
    const uint8_t *p = out->data + 13;
    size_t len = p[0] & 0x7f;
    int nb = 1;
    if (p[0] & 0x80) {
        len |= (p[1] & 0x7f) << 7;
        nb++;
        if (p[1] & 0x80) {
            len |= (size_t)p[2] << 14;
            nb++;
        }
    }
    g_assert_cmpuint(out->len, ==, 13 + nb + len);
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, p + nb, len);
    g_assert_cmpint(jpeg_read_header(&cinfo, TRUE), ==, JPEG_HEADER_OK);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    g_assert_cmpuint(cinfo.output_width, ==, 128);
    g_assert_cmpuint(cinfo.output_height, ==, 64);
    uint8_t row[128 * 3];
    int worst = 0;
    for (int y = 0; y < 64; y++) {
        JSAMPROW rp = row;
        jpeg_read_scanlines(&cinfo, &rp, 1);
        for (int x = 0; x < 128; x++) {
            int want[3] = { x * 2, y * 4, 0x80 };
            for (int c = 0; c < 3; c++) {
                worst = MAX(worst, abs(row[x * 3 + c] - want[c]));
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    g_assert_cmpint(worst, <=, 12);
    g_byte_array_free(out, TRUE);
    vnc_encoder_free(&e);
    pixman_image_unref(img);
}
#endif

static void test_keymap(void)
{
    g_assert_cmpint(vnc_keysym_to_qnum('a'), ==, 0x1e);
    g_assert_cmpint(vnc_keysym_to_qnum('A'), ==, 0x1e);
    g_assert_cmpint(vnc_keysym_to_qnum('!'), ==, 0x02);
    g_assert_cmpint(vnc_keysym_to_qnum(' '), ==, 0x39);
    g_assert_cmpint(vnc_keysym_to_qnum(0xff0d), ==, 0x1c);   /* Return */
    g_assert_cmpint(vnc_keysym_to_qnum(0xff1b), ==, 0x01);   /* Escape */
    g_assert_cmpint(vnc_keysym_to_qnum(0xff52), ==, 0xc8);   /* Up: E0 48 */
    g_assert_cmpint(vnc_keysym_to_qnum(0xffe4), ==, 0x9d);   /* Control_R */
    g_assert_cmpint(vnc_keysym_to_qnum(0xffc9), ==, 0x58);   /* F12 */
    g_assert_cmpint(vnc_keysym_to_qnum(0xffff), ==, 0xd3);   /* Delete */
    g_assert_cmpint(vnc_keysym_to_qnum(0x20ac), ==, 0);      /* EuroSign: no key */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vnc/raw-default", test_raw_default);
    g_test_add_func("/vnc/raw-formats", test_raw_formats);
    g_test_add_func("/vnc/raw-from-rgb565", test_raw_from_rgb565);
    g_test_add_func("/vnc/zlib-stream", test_zlib_stream);
    g_test_add_func("/vnc/tight-fill-and-basic", test_tight_fill_and_basic);
    g_test_add_func("/vnc/tight-split", test_tight_split);
#ifdef CONFIG_JPEG
    g_test_add_func("/vnc/tight-jpeg", test_tight_jpeg);
#endif
    g_test_add_func("/vnc/keymap", test_keymap);
    return g_test_run();
}
