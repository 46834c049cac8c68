/*
 * VNC encoders: the client's pixel format (SetPixelFormat) and the Raw,
 * zlib and Tight (fill + basic, no JPEG) rectangle encodings of RFC 6143
 * and the Tight extension; Tight sends JPEG (libjpeg) only when the display
 * allows lossy compression and the client asked for a quality level.
 *
 * Every rectangle is first read as x8r8g8b8 (pixman converts whatever
 * format the graphics device shares, e.g. 16 bpp guest VRAM) and then
 * packed into the client's format; the common client format equal to ours
 * is copied row by row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-host.h"
#include "ui/vnc-int.h"

#ifdef CONFIG_JPEG
#include <jpeglib.h>
#endif

/* Tight's limits: a rectangle at most 2048 wide, and we keep each at or
 * under 64 KiB of pixels so that any client's buffer takes it. */
#define TIGHT_MAX_WIDTH 2048
#define TIGHT_MAX_PIXELS 16384
#define TIGHT_MIN_TO_COMPRESS 12     /* below this the spec sends data as is */

void vnc_pf_default(VncPixelFormat *pf)
{
    *pf = (VncPixelFormat) {
        .bpp = 32, .depth = 24, .big_endian = false, .true_colour = true,
        .rmax = 255, .gmax = 255, .bmax = 255, .rshift = 16, .gshift = 8, .bshift = 0,
    };
}

void vnc_pf_set(VncEncoder *e, const VncPixelFormat *pf)
{
    VncPixelFormat def;
    vnc_pf_default(&def);
    e->pf = *pf;
    e->pf_native = pf->bpp == 32 && !pf->big_endian && pf->rmax == 255 && pf->gmax == 255 &&
                   pf->bmax == 255 && pf->rshift == 16 && pf->gshift == 8 && pf->bshift == 0;
}

/* Scale an 8-bit channel to 0..MAX (any MAX, not only 2^n-1). */
static inline uint32_t scale(uint32_t c, uint32_t max)
{
    return max == 255 ? c : (c * max + 127) / 255;
}

static inline uint32_t pack_pixel(const VncPixelFormat *pf, uint32_t xrgb)
{
    uint32_t r = (xrgb >> 16) & 0xff, g = (xrgb >> 8) & 0xff, b = xrgb & 0xff;
    return scale(r, pf->rmax) << pf->rshift | scale(g, pf->gmax) << pf->gshift |
           scale(b, pf->bmax) << pf->bshift;
}

static inline uint8_t *store_pixel(const VncPixelFormat *pf, uint8_t *d, uint32_t v)
{
    switch (pf->bpp) {
    case 8:
        *d++ = v;
        break;
    case 16:
        if (pf->big_endian) {
            *d++ = v >> 8; *d++ = v;
        } else {
            *d++ = v; *d++ = v >> 8;
        }
        break;
    default:
        if (pf->big_endian) {
            *d++ = v >> 24; *d++ = v >> 16; *d++ = v >> 8; *d++ = v;
        } else {
            *d++ = v; *d++ = v >> 8; *d++ = v >> 16; *d++ = v >> 24;
        }
        break;
    }
    return d;
}

/*
 * Rows of (x,y,w,h) as x8r8g8b8: straight from IMG when it already is,
 * else converted by pixman into *TMP (which the caller unrefs).
 */
static const uint32_t *xrgb_rows(pixman_image_t *img, int x, int y, int w, int h,
                                 pixman_image_t **tmp, int *stride_px)
{
    pixman_format_code_t f = pixman_image_get_format(img);
    *tmp = NULL;
    if (f == PIXMAN_x8r8g8b8 || f == PIXMAN_a8r8g8b8) {
        *stride_px = pixman_image_get_stride(img) / 4;
        return pixman_image_get_data(img) + (size_t)y * *stride_px + x;
    }
    *tmp = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);
    pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, *tmp, x, y, 0, 0, 0, 0, w, h);
    *stride_px = pixman_image_get_stride(*tmp) / 4;
    return pixman_image_get_data(*tmp);
}

/* (x,y,w,h) of IMG in the client's format into DST (w*h*bpp/8 bytes). */
static void translate_rect(VncEncoder *e, pixman_image_t *img, int x, int y, int w, int h,
                           uint8_t *dst)
{
    pixman_image_t *tmp;
    int stride;
    const uint32_t *src = xrgb_rows(img, x, y, w, h, &tmp, &stride);
    for (int row = 0; row < h; row++, src += stride) {
        if (e->pf_native && G_BYTE_ORDER == G_LITTLE_ENDIAN) {
            memcpy(dst, src, (size_t)w * 4);
            dst += (size_t)w * 4;
            continue;
        }
        for (int i = 0; i < w; i++) {
            dst = store_pixel(&e->pf, dst, pack_pixel(&e->pf, src[i]));
        }
    }
    if (tmp) {
        pixman_image_unref(tmp);
    }
}

/* Tight's TPIXEL: three bytes R, G, B when the client has 32 bpp depth 24
 * with 8-bit channels, else the ordinary pixel. */
static bool tight_pixel24(const VncPixelFormat *pf)
{
    return pf->true_colour && pf->bpp == 32 && pf->depth == 24 &&
           pf->rmax == 255 && pf->gmax == 255 && pf->bmax == 255;
}

static void tight_translate(VncEncoder *e, pixman_image_t *img, int x, int y, int w, int h,
                            uint8_t *dst)
{
    if (!tight_pixel24(&e->pf)) {
        translate_rect(e, img, x, y, w, h, dst);
        return;
    }
    pixman_image_t *tmp;
    int stride;
    const uint32_t *src = xrgb_rows(img, x, y, w, h, &tmp, &stride);
    for (int row = 0; row < h; row++, src += stride) {
        for (int i = 0; i < w; i++) {
            *dst++ = src[i] >> 16;
            *dst++ = src[i] >> 8;
            *dst++ = src[i];
        }
    }
    if (tmp) {
        pixman_image_unref(tmp);
    }
}

static void rect_header(GByteArray *out, int x, int y, int w, int h, int enc)
{
    vnc_put16(out, x);
    vnc_put16(out, y);
    vnc_put16(out, w);
    vnc_put16(out, h);
    vnc_put32(out, (uint32_t)enc);
}

static bool stream_init(z_stream *z, bool *done, int level)
{
    if (!*done) {
        memset(z, 0, sizeof(*z));
        if (deflateInit(z, level) != Z_OK) {
            return false;
        }
        *done = true;
    }
    return true;
}

/* Compress IN with a sync flush (the client keeps one inflate stream per
 * zlib stream for the whole connection) and append it to OUT. */
static size_t deflate_append(z_stream *z, const uint8_t *in, size_t len, GByteArray *out)
{
    size_t start = out->len;
    uint8_t chunk[65536];
    z->next_in = (Bytef *)in;
    z->avail_in = len;
    do {
        z->next_out = chunk;
        z->avail_out = sizeof(chunk);
        deflate(z, Z_SYNC_FLUSH);
        g_byte_array_append(out, chunk, sizeof(chunk) - z->avail_out);
    } while (z->avail_out == 0);
    return out->len - start;
}

static int encode_zlib(VncEncoder *e, GByteArray *out, pixman_image_t *img,
                       int x, int y, int w, int h)
{
    size_t n = (size_t)w * h * (e->pf.bpp / 8);
    uint8_t *pix = g_malloc(n);
    translate_rect(e, img, x, y, w, h, pix);
    if (!stream_init(&e->zlib, &e->zlib_init, e->level)) {
        g_free(pix);
        return -1;
    }
    rect_header(out, x, y, w, h, VNC_ENC_ZLIB);
    size_t len_at = out->len;
    vnc_put32(out, 0);
    size_t clen = deflate_append(&e->zlib, pix, n, out);
    out->data[len_at] = clen >> 24;
    out->data[len_at + 1] = clen >> 16;
    out->data[len_at + 2] = clen >> 8;
    out->data[len_at + 3] = clen;
    g_free(pix);
    return 1;
}

static void tight_compact_len(GByteArray *out, size_t len)
{
    vnc_put8(out, (len & 0x7f) | (len > 0x7f ? 0x80 : 0));
    if (len > 0x7f) {
        vnc_put8(out, ((len >> 7) & 0x7f) | (len > 0x3fff ? 0x80 : 0));
        if (len > 0x3fff) {
            vnc_put8(out, len >> 14);
        }
    }
}

#ifdef CONFIG_JPEG
#define TIGHT_JPEG_MIN_PIXELS 4096      /* smaller ones compress as well losslessly */

/* JPEG of (x,y,w,h) into *BUF and *LEN (malloc'd by libjpeg). */
static bool jpeg_compress_rect(pixman_image_t *img, int x, int y, int w, int h, int level,
                               unsigned char **buf, unsigned long *len)
{
    pixman_image_t *tmp;
    int stride;
    const uint32_t *src = xrgb_rows(img, x, y, w, h, &tmp, &stride);
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    *buf = NULL;
    *len = 0;
    jpeg_mem_dest(&cinfo, buf, len);
    cinfo.image_width = w;
    cinfo.image_height = h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 15 + level * 9, TRUE);    /* level 0..9 -> quality 15..96 */
    jpeg_start_compress(&cinfo, TRUE);
    uint8_t *row = g_malloc((size_t)w * 3);
    for (int r = 0; r < h; r++) {
        const uint32_t *s = src + (size_t)r * stride;
        for (int i = 0; i < w; i++) {
            row[i * 3] = s[i] >> 16;
            row[i * 3 + 1] = s[i] >> 8;
            row[i * 3 + 2] = s[i];
        }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&cinfo, &rp, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    g_free(row);
    if (tmp) {
        pixman_image_unref(tmp);
    }
    return *len > 0;
}
#endif

/* JPEG is for larger, non-solid rectangles of 16/32 bpp clients that
 * asked for a quality level on a display that allows loss. */
static bool tight_jpeg_ok(VncEncoder *e, int w, int h)
{
#ifdef CONFIG_JPEG
    return e->jpeg_quality >= 0 && e->pf.bpp >= 16 && w * h >= TIGHT_JPEG_MIN_PIXELS;
#else
    return false;
#endif
}

static int encode_tight_one(VncEncoder *e, GByteArray *out, pixman_image_t *img,
                            int x, int y, int w, int h)
{
    int tp = tight_pixel24(&e->pf) ? 3 : e->pf.bpp / 8;
    size_t n = (size_t)w * h * tp;
    uint8_t *pix = g_malloc(n);
    tight_translate(e, img, x, y, w, h, pix);
    rect_header(out, x, y, w, h, VNC_ENC_TIGHT);

    bool solid = true;
    for (size_t i = tp; i < n && solid; i += tp) {
        solid = !memcmp(pix, pix + i, tp);
    }
    if (solid) {
        vnc_put8(out, 0x80);                  /* fill compression */
        g_byte_array_append(out, pix, tp);
    } else if (tight_jpeg_ok(e, w, h)) {
#ifdef CONFIG_JPEG
        unsigned char *jbuf;
        unsigned long jlen;
        if (!jpeg_compress_rect(img, x, y, w, h, e->jpeg_quality, &jbuf, &jlen)) {
            g_free(pix);
            free(jbuf);
            return -1;
        }
        vnc_put8(out, 0x90);                  /* JPEG compression */
        tight_compact_len(out, jlen);
        g_byte_array_append(out, jbuf, jlen);
        free(jbuf);
#endif
    } else {
        vnc_put8(out, 0x00);                  /* basic, stream 0, copy filter */
        if (n < TIGHT_MIN_TO_COMPRESS) {
            g_byte_array_append(out, pix, n);
        } else {
            if (!stream_init(&e->tight[0], &e->tight_init[0], e->level)) {
                g_free(pix);
                return -1;
            }
            GByteArray *z = g_byte_array_new();
            deflate_append(&e->tight[0], pix, n, z);
            tight_compact_len(out, z->len);
            g_byte_array_append(out, z->data, z->len);
            g_byte_array_free(z, TRUE);
        }
    }
    g_free(pix);
    return 1;
}

static int encode_tight(VncEncoder *e, GByteArray *out, pixman_image_t *img,
                        int x, int y, int w, int h)
{
    int count = 0;
    for (int cx = x; cx < x + w; cx += TIGHT_MAX_WIDTH) {
        int cw = MIN(TIGHT_MAX_WIDTH, x + w - cx);
        int rows = MAX(1, TIGHT_MAX_PIXELS / cw);
        for (int cy = y; cy < y + h; cy += rows) {
            int ch = MIN(rows, y + h - cy);
            if (encode_tight_one(e, out, img, cx, cy, cw, ch) < 0) {
                return -1;
            }
            count++;
        }
    }
    return count;
}

int vnc_encode_rect(VncEncoder *e, GByteArray *out, pixman_image_t *img,
                    int enc, int x, int y, int w, int h)
{
    if (w <= 0 || h <= 0) {
        return 0;
    }
    switch (enc) {
    case VNC_ENC_ZLIB:
        return encode_zlib(e, out, img, x, y, w, h);
    case VNC_ENC_TIGHT:
        return encode_tight(e, out, img, x, y, w, h);
    default: {
        size_t n = (size_t)w * h * (e->pf.bpp / 8);
        rect_header(out, x, y, w, h, VNC_ENC_RAW);
        size_t at = out->len;
        g_byte_array_set_size(out, at + n);
        translate_rect(e, img, x, y, w, h, out->data + at);
        return 1;
    }
    }
}

void vnc_encoder_free(VncEncoder *e)
{
    if (e->zlib_init) {
        deflateEnd(&e->zlib);
        e->zlib_init = false;
    }
    for (int i = 0; i < VNC_TIGHT_STREAMS; i++) {
        if (e->tight_init[i]) {
            deflateEnd(&e->tight[i]);
            e->tight_init[i] = false;
        }
    }
}
