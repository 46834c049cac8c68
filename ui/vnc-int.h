/*
 * Inside the VNC server: the client and pixel-format state shared between
 * vnc.c (sockets, protocol, input) and vnc-enc.c (pixel translation and the
 * Raw/zlib/Tight encoders).
 */
#ifndef UI_VNC_INT_H
#define UI_VNC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <pixman.h>
#include <zlib.h>

/* RFB encodings (RFC 6143 section 7.7 and the QEMU/Tight extensions). */
enum {
    VNC_ENC_RAW = 0,
    VNC_ENC_COPYRECT = 1,
    VNC_ENC_ZLIB = 6,
    VNC_ENC_TIGHT = 7,
    VNC_ENC_DESKTOP_SIZE = -223,
    VNC_ENC_QEMU_EXT_KEY = -258,
    VNC_ENC_COMPRESS_LEVEL0 = -256,   /* .. -247 */
    VNC_ENC_QUALITY_LEVEL0 = -32,     /* .. -23: Tight may send JPEG */
};

typedef struct VncPixelFormat {
    uint8_t bpp, depth;
    bool big_endian, true_colour;
    uint16_t rmax, gmax, bmax;
    uint8_t rshift, gshift, bshift;
} VncPixelFormat;

#define VNC_TIGHT_STREAMS 4

typedef struct VncEncoder {
    VncPixelFormat pf;
    bool pf_native;             /* pf is x8r8g8b8 little-endian: rows copy as they are */
    int level;                  /* zlib level from the compress-level pseudo-encoding */
    int jpeg_quality;           /* Tight JPEG quality 0..9, or -1: lossless only */
    z_stream zlib;              /* the zlib encoding's one stream */
    bool zlib_init;
    z_stream tight[VNC_TIGHT_STREAMS];
    bool tight_init[VNC_TIGHT_STREAMS];
} VncEncoder;

/* vnc-enc.c */
void vnc_pf_set(VncEncoder *e, const VncPixelFormat *pf);
/* Server's own format, sent in ServerInit and used until SetPixelFormat. */
void vnc_pf_default(VncPixelFormat *pf);
/* Append rectangles (header + data) for (x,y,w,h) of IMG in encoding ENC
 * to OUT; returns the number of rectangles appended (Tight splits). */
int vnc_encode_rect(VncEncoder *e, GByteArray *out, pixman_image_t *img,
                    int enc, int x, int y, int w, int h);
void vnc_encoder_free(VncEncoder *e);

/* vnc-keymap.c: X11 keysym -> qnum (0 when unknown) for the en-us layout. */
int vnc_keysym_to_qnum(uint32_t keysym);

/* Big-endian appenders for the protocol. */
static inline void vnc_put8(GByteArray *b, uint8_t v) { g_byte_array_append(b, &v, 1); }
static inline void vnc_put16(GByteArray *b, uint16_t v)
{
    uint8_t d[2] = { v >> 8, v };
    g_byte_array_append(b, d, 2);
}
static inline void vnc_put32(GByteArray *b, uint32_t v)
{
    uint8_t d[4] = { v >> 24, v >> 16, v >> 8, v };
    g_byte_array_append(b, d, 4);
}

#endif
