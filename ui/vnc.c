/*
 * VNC server: RFB 3.8 (RFC 6143), also speaking 3.3 and 3.7 to old clients.
 *
 * One display, listening on TCP (5900+N) or a unix socket, with up to
 * VNC_MAX_CLIENTS clients at once.  Everything runs on the main loop:
 * sockets are non-blocking GLib watches, as in chardev/socket.c.
 *
 * The display is a DisplayListener of console 0.  gfx_update rectangles are
 * added to every client's dirty region; a client is sent an update only
 * after it asked (FramebufferUpdateRequest), for the part of its dirty
 * region it asked for, and only while its output queue is nearly empty, so
 * a slow client costs a bounded amount of memory and never blocks the loop:
 * its dirty region just grows until it catches up.
 *
 * A client that sends something we cannot parse (unknown message, absurd
 * length, bad pixel format) is dropped; no error in one client touches the
 * guest or the other clients.  Clients are freed from an idle source so no
 * handler sees its client vanish under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nettle/des.h>

#include "ui/console.h"
#include "ui/input.h"
#include "ui/vnc.h"
#include "ui/vnc-int.h"
#include "monitor/monitor.h"
#include "util/log.h"

#define VNC_MAX_CLIENTS 32
#define VNC_MAX_LISTEN 4
/* Compose a new frame only while less than this is queued for the client. */
#define VNC_OUT_THROTTLE (64 * 1024)
/* A client whose queue grows past this (it stopped reading while we had to
 * answer it) is dropped. */
#define VNC_OUT_MAX (64 * 1024 * 1024)
#define VNC_CUT_TEXT_MAX (1 << 20)      /* as QEMU: larger clipboard text is an attack */
#define VNC_MAX_ENCODINGS 1024
#define VNC_UPDATE_MAX_RECTS 64
/* A client still in the handshake after this long is dropped, so idle
 * connections cannot hold all VNC_MAX_CLIENTS slots. */
#ifndef VNC_HANDSHAKE_TIMEOUT_S
#define VNC_HANDSHAKE_TIMEOUT_S 60
#endif         /* more dirty pieces than this: send their extents */

enum { SEC_INVALID = 0, SEC_NONE = 1, SEC_VNC_AUTH = 2 };

typedef enum {
    SHARE_ALLOW_EXCLUSIVE, SHARE_FORCE_SHARED, SHARE_IGNORE,
} VncShare;

typedef enum {
    ST_VERSION,     /* waiting for the client's ProtocolVersion */
    ST_SECTYPE,     /* 3.7/3.8: waiting for the chosen security type */
    ST_AUTH,        /* waiting for the DES response */
    ST_INIT,        /* waiting for ClientInit */
    ST_NORMAL,
} VncState;

typedef struct VncDisplay VncDisplay;

typedef struct VncClient {
    VncDisplay *vd;
    int fd;
    char *host, *service, *family;   /* as QMP shows them (QEMU's VncBasicInfo) */
    char *desc;                      /* for log lines */
    guint read_watch, write_watch;
    GByteArray *in, *out;
    VncState state;
    int minor;                    /* 3, 7 or 8 */
    uint8_t challenge[16];
    bool dead;                    /* being dropped: no input, no output */
    bool exclusive;               /* ClientInit asked for the display alone */
    bool close_when_flushed;      /* auth failed: send the reason, then close */
    guint free_source;
    guint handshake_timer;

    VncEncoder enc;
    int encoding;                 /* the preferred one we support */
    bool has_desktop_size, has_ext_key, ext_key_sent;
    bool has_copyrect;
    /* CopyRect: what the client's framebuffer holds (server pixels), valid
     * once a whole frame went out at this size */
    uint32_t *shadow;
    int shadow_w, shadow_h;
    bool shadow_valid;
    pixman_region32_t dirty;      /* changed since last sent */
    pixman_region32_t req;        /* what the client asked for */
    bool update_requested;
    int client_w, client_h;       /* the framebuffer size the client knows */
    uint32_t cut_skip;            /* ClientCutText bytes still to discard */

    bool have_pos;
    int last_x, last_y;
    uint8_t buttons;
    uint8_t keys_down[32];        /* qnums held, released if the client leaves */
} VncClient;

struct VncDisplay {
    bool configured;              /* a -vnc other than none was given */
    bool started;
    char *spec;
    bool is_unix;
    char *host, *path;
    int display, to_display;
    bool password_on;
    char *password;
    int key_delay_ms;
    bool lossy;                   /* Tight may send JPEG to clients asking a quality */
    VncShare share;

    int listen_fd[VNC_MAX_LISTEN];
    guint listen_watch[VNC_MAX_LISTEN];
    int nlisten;
    int port;
    char *bound_host, *bound_family;

    DisplayListener dl;
    bool dl_registered;
    bool changed;                 /* the console reported an update this tick */
    pixman_image_t *blank;        /* shown when there is no console */
    int width, height;            /* size last announced */
    GList *clients;
};

static VncDisplay vnc;

/* ---- helpers ---- */

static void clear_source(guint *id)
{
    if (*id) {
        g_source_remove(*id);
        *id = 0;
    }
}

static guint watch_fd(int fd, GIOCondition cond, GIOFunc fn, void *opaque)
{
    GIOChannel *ch = g_io_channel_unix_new(fd);
    guint id = g_io_add_watch(ch, cond, fn, opaque);
    g_io_channel_unref(ch);
    return id;
}

static pixman_image_t *vnc_image(VncDisplay *vd)
{
    if (vd->dl_registered && vd->dl.con) {
        DisplaySurface *s = console_surface(vd->dl.con);
        if (s && s->image) {
            return s->image;
        }
    }
    if (!vd->blank) {
        /* no graphics device: a black 640x480 screen, as QEMU shows */
        vd->blank = pixman_image_create_bits(PIXMAN_x8r8g8b8, 640, 480, NULL, 0);
    }
    return vd->blank;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t rd16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

/* ---- QMP events (VNC_CONNECTED, VNC_INITIALIZED, VNC_DISCONNECTED) ---- */

static JsonObject *client_info(VncClient *c)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "host", c->host);
    json_object_set_string_member(o, "service", c->service);
    json_object_set_string_member(o, "family", c->family);
    json_object_set_boolean_member(o, "websocket", false);
    return o;
}

static JsonObject *server_info(void)
{
    JsonObject *o = json_object_new();
    /* as QEMU: a unix socket is host "" and service PATH */
    g_autofree char *svc = vnc.is_unix ? g_strdup(vnc.path) : g_strdup_printf("%d", vnc.port);
    json_object_set_string_member(o, "host", vnc.is_unix ? "" : vnc.bound_host);
    json_object_set_string_member(o, "service", svc);
    json_object_set_string_member(o, "family", vnc.bound_family ? vnc.bound_family : "unix");
    json_object_set_boolean_member(o, "websocket", false);
    json_object_set_string_member(o, "auth", vnc.password_on ? "vnc" : "none");
    return o;
}

/* As QEMU, so management tools watching for viewers work unchanged. */
static void client_event(VncClient *c, const char *name)
{
    JsonObject *data = json_object_new();
    json_object_set_object_member(data, "server", server_info());
    json_object_set_object_member(data, "client", client_info(c));
    qmp_event_send(name, data);
}

/* ---- client lifetime ---- */

static void client_release_input(VncClient *c)
{
    bool any = false;
    for (int q = 0; q < 256; q++) {
        if (c->keys_down[q / 8] & (1 << (q % 8))) {
            input_queue_key(q, false);      /* behind any still-queued press */
        }
    }
    memset(c->keys_down, 0, sizeof(c->keys_down));
    for (int b = 0; b < 5; b++) {
        if (c->buttons & (1 << b)) {
            static const InputButton map[5] = {
                INPUT_BUTTON_LEFT, INPUT_BUTTON_MIDDLE, INPUT_BUTTON_RIGHT,
                INPUT_BUTTON_WHEEL_UP, INPUT_BUTTON_WHEEL_DOWN,
            };
            input_send_button(map[b], false);
            any = true;
        }
    }
    c->buttons = 0;
    if (any) {
        input_event_sync();
    }
}

static gboolean client_free_cb(gpointer opaque)
{
    VncClient *c = opaque;
    c->free_source = 0;
    vnc.clients = g_list_remove(vnc.clients, c);
    clear_source(&c->read_watch);
    clear_source(&c->write_watch);
    clear_source(&c->handshake_timer);
    if (c->fd >= 0) {
        close(c->fd);
    }
    vnc_encoder_free(&c->enc);
    pixman_region32_fini(&c->dirty);
    pixman_region32_fini(&c->req);
    g_byte_array_free(c->in, TRUE);
    g_byte_array_free(c->out, TRUE);
    g_free(c->host);
    g_free(c->service);
    g_free(c->family);
    g_free(c->desc);
    g_free(c->shadow);
    g_free(c);
    return G_SOURCE_REMOVE;
}

/* Drop the client; REASON (NULL for a plain disconnect) goes to the log. */
static void client_drop(VncClient *c, const char *reason)
{
    if (c->dead) {
        return;
    }
    if (reason) {
        warn_report("vnc: dropping client %s: %s", c->desc, reason);
    }
    c->dead = true;
    client_event(c, "VNC_DISCONNECTED");
    clear_source(&c->read_watch);
    clear_source(&c->write_watch);
    if (c->state == ST_NORMAL) {
        client_release_input(c);
    }
    c->free_source = g_idle_add(client_free_cb, c);
}

static gboolean client_writable(GIOChannel *ch, GIOCondition cond, gpointer opaque);
static void client_try_update(VncClient *c);

/* Send what is queued without waiting; the rest goes from a G_IO_OUT watch. */
static void client_flush(VncClient *c)
{
    while (!c->dead && c->out->len) {
        ssize_t n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            client_drop(c, NULL);          /* EPIPE, ECONNRESET: it left */
            return;
        }
        g_byte_array_remove_range(c->out, 0, n);
    }
    if (c->dead) {
        return;
    }
    if (c->out->len > VNC_OUT_MAX) {
        client_drop(c, "not reading its output");
        return;
    }
    if (!c->out->len && c->close_when_flushed) {
        client_drop(c, NULL);
        return;
    }
    if (c->out->len && !c->write_watch) {
        c->write_watch = watch_fd(c->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, client_writable, c);
    } else if (!c->out->len && c->write_watch) {
        clear_source(&c->write_watch);
    }
}

static gboolean client_writable(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    VncClient *c = opaque;
    guint id = c->write_watch;
    client_flush(c);
    if (!c->dead && c->out->len < VNC_OUT_THROTTLE) {
        client_try_update(c);       /* it caught up: it may have a frame waiting */
    }
    /* client_flush removed the watch (or the client) when nothing is left */
    return c->write_watch == id && id ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- updates ---- */

static void pseudo_rect(GByteArray *out, int w, int h, int enc)
{
    vnc_put16(out, 0);
    vnc_put16(out, 0);
    vnc_put16(out, w);
    vnc_put16(out, h);
    vnc_put32(out, (uint32_t)enc);
}

/* ---- CopyRect: vertical scrolls ---- */

#define SCROLL_MIN_ROWS 16

static bool row_uniform(const uint32_t *r, int w)
{
    for (int x = 1; x < w; x++) {
        if (r[x] != r[0]) {
            return false;
        }
    }
    return true;
}

/*
 * A screen that scrolled (a console, an editor): the full-width band of
 * rows [y1, y2) that is to be sent may be rows the client already has,
 * moved up or down.  Finds the first row that changed and is not one
 * colour (blank rows match anywhere), the shift dy at which the client's
 * copy has it, and the run of rows that then all match; a run of
 * SCROLL_MIN_ROWS or more is a CopyRect from rows *src to *dst, *rows high.
 */
static bool find_scroll(VncClient *c, pixman_image_t *img, int y1, int y2, int *dst, int *src,
                        int *rows)
{
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    int stride = pixman_image_get_stride(img) / 4;
    const uint32_t *cur = pixman_image_get_data(img);
    const uint32_t *sh = c->shadow;
    size_t rb = (size_t)w * 4;
    int r0 = -1;
    for (int y = y1; y < y2; y++) {
        const uint32_t *r = cur + (size_t)y * stride;
        if (memcmp(r, sh + (size_t)y * w, rb) && !row_uniform(r, w)) {
            r0 = y;
            break;
        }
    }
    if (r0 < 0) {
        return false;
    }
    const uint32_t *row0 = cur + (size_t)r0 * stride;
    for (int d = 1; d < h; d++) {
        for (int sign = -1; sign <= 1; sign += 2) {
            int dy = sign * d, sy = r0 + dy;
            if (sy < 0 || sy >= h || memcmp(row0, sh + (size_t)sy * w, rb)) {
                continue;
            }
            /* the run around r0 inside [y1, y2) whose rows match at dy */
            int a = r0, b = r0 + 1;
            while (a > y1 && a - 1 + dy >= 0 &&
                   !memcmp(cur + (size_t)(a - 1) * stride, sh + (size_t)(a - 1 + dy) * w, rb)) {
                a--;
            }
            while (b < y2 && b + dy < h &&
                   !memcmp(cur + (size_t)b * stride, sh + (size_t)(b + dy) * w, rb)) {
                b++;
            }
            if (b - a >= SCROLL_MIN_ROWS) {
                *dst = a;
                *src = a + dy;
                *rows = b - a;
                return true;
            }
        }
    }
    return false;
}

/* After an update: the client has the server's pixels in every sent box. */
static void shadow_update(VncClient *c, pixman_image_t *img, const pixman_box32_t *boxes, int n)
{
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    if (c->shadow_w != w || c->shadow_h != h) {
        g_free(c->shadow);
        c->shadow = g_new0(uint32_t, (size_t)w * h);
        c->shadow_w = w;
        c->shadow_h = h;
        c->shadow_valid = false;
    }
    int stride = pixman_image_get_stride(img) / 4;
    const uint32_t *cur = pixman_image_get_data(img);
    for (int i = 0; i < n; i++) {
        const pixman_box32_t *b = &boxes[i];
        for (int y = b->y1; y < b->y2; y++) {
            memcpy(c->shadow + (size_t)y * w + b->x1, cur + (size_t)y * stride + b->x1,
                   (size_t)(b->x2 - b->x1) * 4);
        }
        if (b->x1 == 0 && b->y1 == 0 && b->x2 == w && b->y2 == h) {
            c->shadow_valid = true;
        }
    }
}

/* Send the part of the dirty region the client asked for, if it asked and
 * is not behind. */
static void client_try_update(VncClient *c)
{
    if (c->dead || c->state != ST_NORMAL || !c->update_requested ||
        c->out->len >= VNC_OUT_THROTTLE || c->close_when_flushed) {
        return;
    }
    pixman_image_t *img = vnc_image(c->vd);
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    int npseudo = 0;
    bool resized = false;

    if (w != c->client_w || h != c->client_h) {
        if (c->has_desktop_size) {
            resized = true;
            npseudo++;
            c->client_w = w;
            c->client_h = h;
            /* the client's framebuffer is new: all of it is to be sent */
            pixman_region32_union_rect(&c->dirty, &c->dirty, 0, 0, w, h);
            pixman_region32_union_rect(&c->req, &c->req, 0, 0, w, h);
        }
        /* without DesktopSize the client keeps its size; we clip to it */
    }
    bool ext_key = c->has_ext_key && !c->ext_key_sent;
    npseudo += ext_key;

    pixman_region32_t send;
    pixman_region32_init(&send);
    pixman_region32_intersect(&send, &c->dirty, &c->req);
    pixman_region32_intersect_rect(&send, &send, 0, 0, MIN(w, c->client_w), MIN(h, c->client_h));
    /* a scrolled band goes as CopyRect, the rest as pixels */
    bool copy = false;
    int copy_dst = 0, copy_src = 0, copy_rows = 0;
    if (c->has_copyrect && c->shadow_valid && c->shadow_w == w && c->shadow_h == h &&
        c->client_w == w && c->client_h == h && !resized && PIXMAN_FORMAT_BPP(pixman_image_get_format(img)) == 32) {
        const pixman_box32_t *e = pixman_region32_extents(&send);
        if (e->x1 == 0 && e->x2 == w && e->y2 - e->y1 >= SCROLL_MIN_ROWS) {
            /* only a band the client asked for as a whole (rows in it
             * that did not change match the shift too: find_scroll checks
             * every row of the run) */
            pixman_region32_t band;
            pixman_region32_init_rect(&band, 0, e->y1, w, e->y2 - e->y1);
            pixman_region32_intersect(&band, &band, &c->req);
            int nb;
            pixman_box32_t *bb = pixman_region32_rectangles(&band, &nb);
            if (nb == 1 && bb[0].x1 == 0 && bb[0].x2 == w && bb[0].y1 == e->y1 && bb[0].y2 == e->y2) {
                copy = find_scroll(c, img, e->y1, e->y2, &copy_dst, &copy_src, &copy_rows);
            }
            pixman_region32_fini(&band);
        }
    }
    if (copy) {
        pixman_region32_t moved;
        pixman_region32_init_rect(&moved, 0, copy_dst, w, copy_rows);
        pixman_region32_subtract(&send, &send, &moved);
        pixman_region32_subtract(&c->dirty, &c->dirty, &moved);
        pixman_region32_fini(&moved);
        npseudo++;                  /* counted with the pseudo rectangles */
    }
    int nrects;
    pixman_box32_t *boxes = pixman_region32_rectangles(&send, &nrects);
    pixman_box32_t ext;
    if (nrects > VNC_UPDATE_MAX_RECTS) {
        ext = *pixman_region32_extents(&send);
        boxes = &ext;
        nrects = 1;
    }
    if (!nrects && !npseudo) {
        pixman_region32_fini(&send);
        return;                     /* the request stays pending */
    }

    GByteArray *out = c->out;
    vnc_put8(out, 0);               /* FramebufferUpdate */
    vnc_put8(out, 0);
    size_t count_at = out->len;
    vnc_put16(out, 0);
    int count = 0;
    if (resized) {
        pseudo_rect(out, w, h, VNC_ENC_DESKTOP_SIZE);
        count++;
    }
    if (ext_key) {
        pseudo_rect(out, w, h, VNC_ENC_QEMU_EXT_KEY);
        c->ext_key_sent = true;
        count++;
    }
    if (copy) {
        /* first: the client copies within what it has before new pixels land */
        vnc_put16(out, 0);
        vnc_put16(out, copy_dst);
        vnc_put16(out, w);
        vnc_put16(out, copy_rows);
        vnc_put32(out, VNC_ENC_COPYRECT);
        vnc_put16(out, 0);
        vnc_put16(out, copy_src);
        count++;
        pixman_box32_t band = { 0, copy_dst, w, copy_dst + copy_rows };
        shadow_update(c, img, &band, 1);
    }
    for (int i = 0; i < nrects; i++) {
        int n = vnc_encode_rect(&c->enc, out, img, c->encoding, boxes[i].x1, boxes[i].y1,
                                boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1);
        if (n < 0) {
            pixman_region32_fini(&send);
            client_drop(c, "compressor failed");
            return;
        }
        count += n;
    }
    out->data[count_at] = count >> 8;
    out->data[count_at + 1] = count;
    if (c->has_copyrect) {
        shadow_update(c, img, boxes, nrects);
    }
    pixman_region32_subtract(&c->dirty, &c->dirty, &send);
    pixman_region32_fini(&send);
    pixman_region32_clear(&c->req);
    c->update_requested = false;
    client_flush(c);
}

static void vnc_dl_gfx_update(DisplayListener *dl, int x, int y, int w, int h)
{
    vnc.changed = true;
    for (GList *l = vnc.clients; l; l = l->next) {
        VncClient *c = l->data;
        if (!c->dead && c->state == ST_NORMAL) {
            pixman_region32_union_rect(&c->dirty, &c->dirty, x, y, w, h);
        }
    }
}

static void vnc_dl_gfx_switch(DisplayListener *dl, DisplaySurface *surface)
{
    /* the size check in client_try_update sends DesktopSize; the new
     * surface is all new to every client */
    int w = surface ? surface_width(surface) : 0, h = surface ? surface_height(surface) : 0;
    for (GList *l = vnc.clients; l; l = l->next) {
        VncClient *c = l->data;
        if (!c->dead && c->state == ST_NORMAL) {
            pixman_region32_union_rect(&c->dirty, &c->dirty, 0, 0, w, h);
        }
    }
}

/*
 * The refresh interval adapts as QEMU's VNC server does: halved towards
 * 30 ms while the screen changes, 50 ms longer after every tick that found
 * nothing, up to 3 s; a key or pointer event from a client brings it back
 * to 30 ms at once.  An idle screen then costs a few ticks a second.
 */
#define VNC_REFRESH_BASE_MS 30
#define VNC_REFRESH_INC_MS 50
#define VNC_REFRESH_MAX_MS 3000

static void vnc_refresh_fast(void)
{
    if (vnc.dl_registered && vnc.dl.update_interval_ms != VNC_REFRESH_BASE_MS) {
        display_listener_set_interval(&vnc.dl, VNC_REFRESH_BASE_MS);
    }
}

static void vnc_dl_refresh(DisplayListener *dl)
{
    if (!vnc.clients) {
        return;                     /* nobody watching: leave the guest's VRAM alone */
    }
    vnc.changed = false;
    console_hw_update(dl->con);
    int64_t ms = dl->update_interval_ms > 0 ? dl->update_interval_ms : VNC_REFRESH_BASE_MS;
    if (vnc.changed) {
        ms = MAX(VNC_REFRESH_BASE_MS, ms / 2);
    } else {
        ms = MIN(VNC_REFRESH_MAX_MS, ms + VNC_REFRESH_INC_MS);
    }
    dl->update_interval_ms = ms;
    for (GList *l = vnc.clients; l; l = l->next) {
        client_try_update(l->data);
    }
}

static const DisplayListenerOps vnc_dl_ops = {
    .name = "vnc",
    .refresh = vnc_dl_refresh,
    .gfx_update = vnc_dl_gfx_update,
    .gfx_switch = vnc_dl_gfx_switch,
};

/* ---- handshake ---- */

static void put_reason(GByteArray *out, const char *reason)
{
    vnc_put32(out, strlen(reason));
    g_byte_array_append(out, (const uint8_t *)reason, strlen(reason));
}

static int vnc_auth_type(void)
{
    return vnc.password_on ? SEC_VNC_AUTH : SEC_NONE;
}

static void send_challenge(VncClient *c)
{
    if (getrandom(c->challenge, sizeof(c->challenge), 0) != sizeof(c->challenge)) {
        /* without a random source a fixed challenge would be replayable */
        for (size_t i = 0; i < sizeof(c->challenge); i++) {
            c->challenge[i] = g_random_int();
        }
    }
    g_byte_array_append(c->out, c->challenge, sizeof(c->challenge));
    c->state = ST_AUTH;
}

/* SecurityResult: 3.8 sends it for every type and a reason on failure;
 * 3.3 and 3.7 send it only after VNC authentication, with no reason. */
static void security_result(VncClient *c, bool ok, const char *reason)
{
    if (ok) {
        if (c->minor == 8 || c->state == ST_AUTH) {
            vnc_put32(c->out, 0);
        }
        c->state = ST_INIT;
        return;
    }
    if (c->minor == 8 || c->state == ST_AUTH) {
        vnc_put32(c->out, 1);
    }
    if (c->minor == 8) {
        put_reason(c->out, reason);
    }
    c->close_when_flushed = true;
}

static void send_server_init(VncClient *c)
{
    if (c->vd->dl_registered && c->vd->dl.con) {
        /* with nobody watching the refresh skipped the redraw: the first
         * frame and the size announced must be of now */
        console_hw_update(c->vd->dl.con);
    }
    pixman_image_t *img = vnc_image(c->vd);
    VncPixelFormat pf;
    vnc_pf_default(&pf);
    c->client_w = pixman_image_get_width(img);
    c->client_h = pixman_image_get_height(img);
    vnc_put16(c->out, c->client_w);
    vnc_put16(c->out, c->client_h);
    vnc_put8(c->out, pf.bpp);
    vnc_put8(c->out, pf.depth);
    vnc_put8(c->out, pf.big_endian);
    vnc_put8(c->out, pf.true_colour);
    vnc_put16(c->out, pf.rmax);
    vnc_put16(c->out, pf.gmax);
    vnc_put16(c->out, pf.bmax);
    vnc_put8(c->out, pf.rshift);
    vnc_put8(c->out, pf.gshift);
    vnc_put8(c->out, pf.bshift);
    vnc_put8(c->out, 0);
    vnc_put8(c->out, 0);
    vnc_put8(c->out, 0);
    const char *vm = monitor_vm_name();
    g_autofree char *name = vm && *vm ? g_strdup_printf("Vireo (%s)", vm) : g_strdup("Vireo");
    put_reason(c->out, name);
    c->state = ST_NORMAL;
    /* the client has no pixels yet, even if its first request says
     * "incremental" (some viewers' do) */
    pixman_region32_union_rect(&c->dirty, &c->dirty, 0, 0, c->client_w, c->client_h);
}

static bool check_response(VncClient *c, const uint8_t *resp)
{
    if (!vnc.password || !*vnc.password) {
        return false;               /* password=on and none set: nobody gets in */
    }
    /* VNC authentication keys DES with the password's bytes bit-reversed */
    uint8_t key[8] = { 0 };
    for (int i = 0; i < 8 && vnc.password[i]; i++) {
        uint8_t b = vnc.password[i], r = 0;
        for (int j = 0; j < 8; j++) {
            r |= ((b >> j) & 1) << (7 - j);
        }
        key[i] = r;
    }
    struct des_ctx ctx;
    des_set_key(&ctx, key);     /* "weak key" warnings are irrelevant here */
    uint8_t expect[16];
    des_encrypt(&ctx, sizeof(expect), expect, c->challenge);
    uint8_t diff = 0;
    for (int i = 0; i < 16; i++) {
        diff |= expect[i] ^ resp[i];
    }
    return diff == 0;
}

/* ---- client messages ---- */

static void set_encodings(VncClient *c, const uint8_t *p, int n)
{
    c->encoding = VNC_ENC_RAW;
    c->has_desktop_size = c->has_ext_key = c->has_copyrect = false;
    c->enc.level = Z_DEFAULT_COMPRESSION;
    c->enc.jpeg_quality = -1;
    bool chosen = false;
    for (int i = 0; i < n; i++) {
        int32_t e = (int32_t)rd32(p + 4 * i);
        switch (e) {
        case VNC_ENC_RAW: case VNC_ENC_ZLIB: case VNC_ENC_TIGHT:
            /* the list is in the client's order of preference */
            if (!chosen) {
                c->encoding = e;
                chosen = true;
            }
            break;
        case VNC_ENC_DESKTOP_SIZE:
            c->has_desktop_size = true;
            break;
        case VNC_ENC_COPYRECT:
            c->has_copyrect = true;
            break;
        case VNC_ENC_QEMU_EXT_KEY:
            c->has_ext_key = true;
            break;
        default:
            if (e >= VNC_ENC_COMPRESS_LEVEL0 && e <= VNC_ENC_COMPRESS_LEVEL0 + 9 &&
                !c->enc.zlib_init) {
                c->enc.level = e - VNC_ENC_COMPRESS_LEVEL0;
            }
            if (e >= VNC_ENC_QUALITY_LEVEL0 && e <= VNC_ENC_QUALITY_LEVEL0 + 9 && vnc.lossy) {
                c->enc.jpeg_quality = e - VNC_ENC_QUALITY_LEVEL0;
            }
            break;          /* CopyRect and the rest: accepted, never sent */
        }
    }
    if (c->has_ext_key) {
        c->ext_key_sent = false;     /* announce with the next update */
    }
}

static bool set_pixel_format(VncClient *c, const uint8_t *p)
{
    VncPixelFormat pf = {
        .bpp = p[0], .depth = p[1], .big_endian = p[2] != 0, .true_colour = p[3] != 0,
        .rmax = rd16(p + 4), .gmax = rd16(p + 6), .bmax = rd16(p + 8),
        .rshift = p[10], .gshift = p[11], .bshift = p[12],
    };
    if (pf.bpp != 8 && pf.bpp != 16 && pf.bpp != 32) {
        client_drop(c, "SetPixelFormat with a bits-per-pixel other than 8, 16 or 32");
        return false;
    }
    if (!pf.true_colour) {
        client_drop(c, "SetPixelFormat asks for a colour map (not supported)");
        return false;
    }
    if (pf.rshift >= pf.bpp || pf.gshift >= pf.bpp || pf.bshift >= pf.bpp ||
        !pf.rmax || !pf.gmax || !pf.bmax) {
        client_drop(c, "SetPixelFormat with impossible shifts or maxima");
        return false;
    }
    vnc_pf_set(&c->enc, &pf);
    /* what the client has is in the old format: resend all of it */
    pixman_region32_union_rect(&c->dirty, &c->dirty, 0, 0, c->client_w, c->client_h);
    return true;
}

static void key_event(VncClient *c, bool down, int qnum)
{
    if (qnum <= 0 || qnum > 0xff) {
        return;                     /* a keysym this layout has no key for */
    }
    bool held = c->keys_down[qnum / 8] & (1 << (qnum % 8));
    if (!down && !held) {
        return;                     /* release of a key pressed before we knew it */
    }
    if (down) {
        c->keys_down[qnum / 8] |= 1 << (qnum % 8);
    } else {
        c->keys_down[qnum / 8] &= ~(1 << (qnum % 8));
    }
    /* queued with a pause behind each key, as QEMU's key-delay-ms: a client
     * pasting text must not overrun the keyboard controller's small queue */
    input_queue_key(qnum, down);
    if (vnc.key_delay_ms) {
        input_queue_delay(vnc.key_delay_ms);
    }
}

static void pointer_event(VncClient *c, uint8_t mask, int x, int y)
{
    static const InputButton map[5] = {
        INPUT_BUTTON_LEFT, INPUT_BUTTON_MIDDLE, INPUT_BUTTON_RIGHT,
        INPUT_BUTTON_WHEEL_UP, INPUT_BUTTON_WHEEL_DOWN,
    };
    uint8_t changed = (mask ^ c->buttons) & 0x1f;
    for (int b = 0; b < 5; b++) {
        if (changed & (1 << b)) {
            input_send_button(map[b], mask & (1 << b));
        }
    }
    c->buttons = mask & 0x1f;
    if (input_has_handler(INPUT_EVENT_ABS)) {
        pixman_image_t *img = vnc_image(c->vd);
        input_send_abs(INPUT_AXIS_X, x, 0, MAX(1, pixman_image_get_width(img) - 1));
        input_send_abs(INPUT_AXIS_Y, y, 0, MAX(1, pixman_image_get_height(img) - 1));
    } else if (c->have_pos) {
        /* a relative mouse (PS/2) only: send how far the client's pointer moved */
        if (x != c->last_x) {
            input_send_rel(INPUT_AXIS_X, x - c->last_x);
        }
        if (y != c->last_y) {
            input_send_rel(INPUT_AXIS_Y, y - c->last_y);
        }
    }
    c->have_pos = true;
    c->last_x = x;
    c->last_y = y;
    input_event_sync();
}

/* Handle one complete message at P (AVAIL bytes there); returns the bytes
 * it took, 0 if more are needed, -1 if the client was dropped. */
static long client_message(VncClient *c, const uint8_t *p, size_t avail)
{
    switch (p[0]) {
    case 0:                                         /* SetPixelFormat */
        if (avail < 20) {
            return 0;
        }
        return set_pixel_format(c, p + 4) ? 20 : -1;
    case 2: {                                       /* SetEncodings */
        if (avail < 4) {
            return 0;
        }
        int n = rd16(p + 2);
        if (n > VNC_MAX_ENCODINGS) {
            client_drop(c, "SetEncodings with an absurd count");
            return -1;
        }
        if (avail < 4 + 4 * (size_t)n) {
            return 0;
        }
        set_encodings(c, p + 4, n);
        return 4 + 4 * n;
    }
    case 3: {                                       /* FramebufferUpdateRequest */
        if (avail < 10) {
            return 0;
        }
        int x = rd16(p + 2), y = rd16(p + 4), w = rd16(p + 6), h = rd16(p + 8);
        pixman_region32_union_rect(&c->req, &c->req, x, y, w, h);
        if (!p[1]) {
            pixman_region32_union_rect(&c->dirty, &c->dirty, x, y, w, h);
            vnc_refresh_fast();                     /* a new viewer: answer soon */
        }
        c->update_requested = true;
        return 10;
    }
    case 4:                                         /* KeyEvent */
        if (avail < 8) {
            return 0;
        }
        vnc_refresh_fast();
        key_event(c, p[1], vnc_keysym_to_qnum(rd32(p + 4)));
        return 8;
    case 5:                                         /* PointerEvent */
        if (avail < 6) {
            return 0;
        }
        vnc_refresh_fast();
        pointer_event(c, p[1], rd16(p + 2), rd16(p + 4));
        return 6;
    case 6: {                                       /* ClientCutText */
        if (avail < 8) {
            return 0;
        }
        uint32_t len = rd32(p + 4);
        if (len > VNC_CUT_TEXT_MAX) {
            client_drop(c, "ClientCutText longer than 1 MiB");
            return -1;
        }
        c->cut_skip = len;                          /* no clipboard: discard it */
        return 8;
    }
    case 255:                                       /* QEMU client message */
        if (avail < 2) {
            return 0;
        }
        if (p[1] == 0) {                            /* extended key event */
            if (avail < 12) {
                return 0;
            }
            vnc_refresh_fast();
            uint32_t keycode = rd32(p + 8);
            int qnum;
            if ((keycode & 0xff00) == 0xe000) {
                qnum = 0x80 | (keycode & 0x7f);     /* E0 xx spelt out */
            } else if (keycode && keycode < 0x100) {
                qnum = keycode;                     /* the protocol's own form */
            } else {
                qnum = vnc_keysym_to_qnum(rd32(p + 4));
            }
            key_event(c, rd16(p + 2) != 0, qnum);
            return 12;
        }
        client_drop(c, "unknown QEMU client message");
        return -1;
    default: {
        char why[64];
        snprintf(why, sizeof(why), "unknown message type %u", p[0]);
        client_drop(c, why);
        return -1;
    }
    }
}

static long client_handshake(VncClient *c, const uint8_t *p, size_t avail)
{
    switch (c->state) {
    case ST_VERSION: {
        if (avail < 12) {
            return 0;
        }
        int major, minor;
        char v[13];
        memcpy(v, p, 12);
        v[12] = 0;
        if (sscanf(v, "RFB %03d.%03d\n", &major, &minor) != 2 || major != 3 || v[11] != '\n') {
            client_drop(c, "not an RFB 3.x client");
            return -1;
        }
        /* RFC 6143 7.1.1: 3.8 and later talk 3.8; anything else
         * unknown (3.4, 3.6 of some viewers) talks 3.3 */
        c->minor = minor >= 8 ? 8 : minor == 7 ? 7 : 3;
        if (c->minor == 3) {
            vnc_put32(c->out, vnc_auth_type());
            if (vnc_auth_type() == SEC_VNC_AUTH) {
                send_challenge(c);
            } else {
                c->state = ST_INIT;
            }
        } else {
            vnc_put8(c->out, 1);
            vnc_put8(c->out, vnc_auth_type());
            c->state = ST_SECTYPE;
        }
        return 12;
    }
    case ST_SECTYPE:
        if (avail < 1) {
            return 0;
        }
        if (p[0] != vnc_auth_type()) {
            security_result(c, false, "Unsupported security type");
        } else if (p[0] == SEC_VNC_AUTH) {
            send_challenge(c);
        } else {
            security_result(c, true, NULL);
        }
        return 1;
    case ST_AUTH: {
        if (avail < 16) {
            return 0;
        }
        bool ok = check_response(c, p);
        if (!ok) {
            warn_report("vnc: client %s: authentication failed%s", c->desc,
                        vnc.password && *vnc.password ? "" : " (no password set)");
        }
        security_result(c, ok, "Authentication failed");
        return 16;
    }
    case ST_INIT:
        if (avail < 1) {
            return 0;
        }
        /* ClientInit's shared flag, as QEMU's share= policies: with
         * allow-exclusive an exclusive client disconnects the others and a
         * client cannot join one; force-shared refuses exclusive clients;
         * ignore lets everyone in */
        if (vnc.share == SHARE_FORCE_SHARED && !p[0]) {
            client_drop(c, "asked for exclusive access (share=force-shared)");
            return -1;
        }
        if (vnc.share == SHARE_ALLOW_EXCLUSIVE) {
            for (GList *l = vnc.clients; l; l = l->next) {
                VncClient *o = l->data;
                if (o != c && !o->dead && o->state == ST_NORMAL && o->exclusive) {
                    client_drop(c, "another client has exclusive access");
                    return -1;
                }
            }
            if (!p[0]) {
                c->exclusive = true;
                for (GList *l = vnc.clients; l; l = l->next) {
                    if (l->data != c) {
                        client_drop(l->data, "another client asked for exclusive access");
                    }
                }
            }
        }
        send_server_init(c);
        client_event(c, "VNC_INITIALIZED");
        return 1;
    default:
        return 0;
    }
}

static void client_process(VncClient *c)
{
    size_t pos = 0;
    while (!c->dead && !c->close_when_flushed && pos < c->in->len) {
        const uint8_t *p = c->in->data + pos;
        size_t avail = c->in->len - pos;
        long used;
        if (c->cut_skip) {
            used = MIN(avail, c->cut_skip);
            c->cut_skip -= used;
        } else if (c->state == ST_NORMAL) {
            used = client_message(c, p, avail);
        } else {
            used = client_handshake(c, p, avail);
        }
        if (used <= 0) {
            break;
        }
        pos += used;
    }
    if (c->dead) {
        return;
    }
    g_byte_array_remove_range(c->in, 0, pos);
    client_try_update(c);
    client_flush(c);
}

static gboolean client_readable(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    VncClient *c = opaque;
    uint8_t buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        c->read_watch = 0;          /* removed by returning REMOVE */
        client_drop(c, NULL);
        return G_SOURCE_REMOVE;
    }
    if (c->close_when_flushed) {
        return G_SOURCE_CONTINUE;   /* refused: ignore what it still says */
    }
    g_byte_array_append(c->in, buf, n);
    client_process(c);
    return c->dead ? (c->read_watch = 0, G_SOURCE_REMOVE) : G_SOURCE_CONTINUE;
}

static void peer_name(int fd, VncClient *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family != AF_UNIX &&
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        c->host = g_strdup(host);
        c->service = g_strdup(serv);
        c->family = g_strdup(ss.ss_family == AF_INET6 ? "ipv6" : "ipv4");
        c->desc = g_strdup_printf(ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
    } else {
        /* QEMU reports a unix peer with empty host and service */
        c->host = g_strdup("");
        c->service = g_strdup("");
        c->family = g_strdup("unix");
        c->desc = g_strdup_printf("on unix:%s", vnc.path ? vnc.path : "?");
    }
}

static gboolean handshake_timeout(gpointer opaque)
{
    VncClient *c = opaque;
    c->handshake_timer = 0;
    if (c->state != ST_NORMAL) {
        client_drop(c, "handshake not finished in time");
    }
    return G_SOURCE_REMOVE;
}

static gboolean vnc_acceptable(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    int lfd = GPOINTER_TO_INT(opaque);
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
        return G_SOURCE_CONTINUE;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  /* fails harmlessly on unix */
    int live = 0;
    for (GList *l = vnc.clients; l; l = l->next) {
        live += !((VncClient *)l->data)->dead;
    }
    if (live >= VNC_MAX_CLIENTS) {
        warn_report("vnc: refusing a client: %d already connected", live);
        close(fd);
        return G_SOURCE_CONTINUE;
    }
    VncClient *c = g_new0(VncClient, 1);
    c->vd = &vnc;
    c->fd = fd;
    peer_name(fd, c);
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->state = ST_VERSION;
    c->encoding = VNC_ENC_RAW;
    c->enc.level = Z_DEFAULT_COMPRESSION;
    c->enc.jpeg_quality = -1;
    VncPixelFormat pf;
    vnc_pf_default(&pf);
    vnc_pf_set(&c->enc, &pf);
    pixman_region32_init(&c->dirty);
    pixman_region32_init(&c->req);
    vnc.clients = g_list_append(vnc.clients, c);
    client_event(c, "VNC_CONNECTED");
    c->handshake_timer = g_timeout_add_seconds(VNC_HANDSHAKE_TIMEOUT_S, handshake_timeout, c);
    c->read_watch = watch_fd(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, client_readable, c);
    static const char version[] = "RFB 003.008\n";
    g_byte_array_append(c->out, (const uint8_t *)version, 12);
    client_flush(c);
    return G_SOURCE_CONTINUE;
}

/* ---- configuration ---- */

static bool parse_onoff(const char *key, const char *v, bool *out, GError **errp)
{
    if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
        *out = false;
    } else {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "Parameter '%s' expects 'on' or 'off'", key);
        return false;
    }
    return true;
}

static bool parse_display_number(const char *s, int *n)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535 - 5900) {
        return false;
    }
    *n = v;
    return true;
}

bool vnc_display_parse(const char *spec, GError **errp)
{
    gchar **parts = g_strsplit(spec, ",", -1);
    const char *addr = parts[0];
    bool ok = false;
    g_clear_pointer(&vnc.host, g_free);
    g_clear_pointer(&vnc.path, g_free);
    vnc.configured = false;
    vnc.password_on = false;
    vnc.share = SHARE_ALLOW_EXCLUSIVE;
    vnc.key_delay_ms = 10;          /* QEMU's default */
    vnc.lossy = false;

    if (!strcmp(addr, "none")) {
        ok = true;                  /* no server, as QEMU's -vnc none */
        goto out;
    }
    if (g_str_has_prefix(addr, "unix:")) {
        if (!addr[5]) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unix: needs a socket path");
            goto out;
        }
        vnc.is_unix = true;
        vnc.path = g_strdup(addr + 5);
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon || !parse_display_number(colon + 1, &vnc.display)) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "'%s' is not [host]:display (display 0..%d) or unix:path",
                        addr, 65535 - 5900);
            goto out;
        }
        vnc.is_unix = false;
        vnc.host = g_strndup(addr, colon - addr);
        size_t hl = strlen(vnc.host);
        if (hl >= 2 && vnc.host[0] == '[' && vnc.host[hl - 1] == ']') {
            memmove(vnc.host, vnc.host + 1, hl - 2);   /* [::1]:0 */
            vnc.host[hl - 2] = 0;
        }
        vnc.to_display = vnc.display;
    }
    for (gchar **p = parts + 1; *p; p++) {
        char *eq = strchr(*p, '=');
        g_autofree char *key = eq ? g_strndup(*p, eq - *p) : g_strdup(*p);
        const char *v = eq ? eq + 1 : NULL;
        bool b;
        if (!strcmp(key, "password")) {
            if (!parse_onoff(key, v, &vnc.password_on, errp)) {
                goto out;
            }
        } else if (!strcmp(key, "share")) {
            if (v && !strcmp(v, "allow-exclusive")) {
                vnc.share = SHARE_ALLOW_EXCLUSIVE;
            } else if (v && !strcmp(v, "force-shared")) {
                vnc.share = SHARE_FORCE_SHARED;
            } else if (v && !strcmp(v, "ignore")) {
                vnc.share = SHARE_IGNORE;
            } else {
                g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "share=%s: expected allow-exclusive, force-shared or ignore",
                            v ? v : "");
                goto out;
            }
        } else if (!strcmp(key, "to")) {
            if (vnc.is_unix || !v || !parse_display_number(v, &vnc.to_display) ||
                vnc.to_display < vnc.display) {
                g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "to=%s: expected a display number not below %d (TCP only)",
                            v ? v : "", vnc.display);
                goto out;
            }
        } else if (!strcmp(key, "key-delay-ms")) {
            char *end;
            long ms = v ? strtol(v, &end, 10) : -1;
            if (!v || !*v || *end || ms < 0 || ms > 1000) {
                g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "key-delay-ms=%s: expected 0..1000", v ? v : "");
                goto out;
            }
            vnc.key_delay_ms = ms;
        } else if (!strcmp(key, "lossy")) {
            if (!parse_onoff(key, v, &vnc.lossy, errp)) {
                goto out;
            }
        } else if (!strcmp(key, "non-adaptive") ||
                   !strcmp(key, "ipv4") || !strcmp(key, "ipv6")) {
            /* hints Vireo's encoder has no use for */
            if (!parse_onoff(key, v, &b, errp)) {
                goto out;
            }
        } else if (!strcmp(key, "websocket") || !strcmp(key, "tls-creds") ||
                   !strcmp(key, "tls-authz") || !strcmp(key, "sasl") ||
                   !strcmp(key, "sasl-authz") || !strcmp(key, "reverse") ||
                   !strcmp(key, "acl") || !strcmp(key, "x509") || !strcmp(key, "x509verify") ||
                   !strcmp(key, "tls") || !strcmp(key, "audiodev") ||
                   !strcmp(key, "power-control") || !strcmp(key, "display") ||
                   !strcmp(key, "head")) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "option '%s' is not supported by Vireo's VNC server", key);
            goto out;
        } else {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "Invalid parameter '%s'", key);
            goto out;
        }
    }
    vnc.configured = true;
    g_free(vnc.spec);
    vnc.spec = g_strdup(spec);
    ok = true;
out:
    g_strfreev(parts);
    return ok;
}

bool vnc_display_enabled(void)
{
    return vnc.started;
}

bool vnc_display_configured(void)
{
    return vnc.configured;
}

static void vnc_cleanup(void)
{
    if (vnc.is_unix && vnc.path && vnc.started) {
        unlink(vnc.path);
    }
}

static bool listen_unix(GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(vnc.path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "unix:%s: path too long", vnc.path);
        return false;
    }
    strcpy(sa.sun_path, vnc.path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(vnc.path);               /* a stale socket of an earlier run, as QEMU */
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot listen on unix:%s: %s",
                    vnc.path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    vnc.listen_fd[vnc.nlisten++] = fd;
    vnc.bound_host = g_strdup(vnc.path);
    vnc.bound_family = g_strdup("unix");
    return true;
}

/* Bind every address HOST resolves to on PORT; false (errno set) if none. */
static bool listen_tcp_port(int port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE }, *res;
    char serv[16];
    snprintf(serv, sizeof(serv), "%d", port);
    int rc = getaddrinfo(*vnc.host ? vnc.host : NULL, serv, &hints, &res);
    if (rc) {
        errno = EADDRNOTAVAIL;
        return false;
    }
    int err = EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai && vnc.nlisten < VNC_MAX_LISTEN; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6) {
            /* the IPv4 address gets its own socket */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 8) < 0) {
            err = errno;
            close(fd);
            continue;
        }
        if (!vnc.bound_host) {
            char host[NI_MAXHOST];
            getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
            vnc.bound_host = g_strdup(host);
            vnc.bound_family = g_strdup(ai->ai_family == AF_INET6 ? "ipv6" : "ipv4");
        }
        vnc.listen_fd[vnc.nlisten++] = fd;
    }
    freeaddrinfo(res);
    if (!vnc.nlisten) {
        errno = err;
        return false;
    }
    vnc.port = port;
    return true;
}

bool vnc_display_start(GError **errp)
{
    if (!vnc.configured || vnc.started) {
        return true;
    }
    if (vnc.is_unix) {
        if (!listen_unix(errp)) {
            return false;
        }
    } else {
        bool ok = false;
        for (int d = vnc.display; d <= vnc.to_display && !ok; d++) {
            ok = listen_tcp_port(5900 + d);
        }
        if (!ok) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "cannot listen on %s:%d%s: %s", *vnc.host ? vnc.host : "*",
                        5900 + vnc.display, vnc.to_display > vnc.display ? " and up" : "",
                        g_strerror(errno));
            return false;
        }
    }
    for (int i = 0; i < vnc.nlisten; i++) {
        fcntl(vnc.listen_fd[i], F_SETFL, fcntl(vnc.listen_fd[i], F_GETFL) | O_NONBLOCK);
        vnc.listen_watch[i] = watch_fd(vnc.listen_fd[i], G_IO_IN, vnc_acceptable,
                                       GINT_TO_POINTER(vnc.listen_fd[i]));
    }
    Console *con = console_by_index(0);
    if (con) {
        vnc.dl.ops = &vnc_dl_ops;
        display_listener_register(&vnc.dl, con);
        vnc.dl_registered = true;
    }
    vnc.started = true;
    atexit(vnc_cleanup);
    return true;
}

bool vnc_set_keyboard_layout(const char *layout, GError **errp)
{
    if (strcmp(layout, "en-us")) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "keyboard layout '%s' not available (only en-us is built in)", layout);
        return false;
    }
    return true;
}

bool vnc_set_password(const char *password, GError **errp)
{
    if (!vnc.started) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED, "No VNC display is active");
        return false;
    }
    if (!vnc.password_on) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "Could not set password: the VNC display was not started with "
                    "password=on");
        return false;
    }
    g_free(vnc.password);
    vnc.password = g_strdup(password);
    return true;
}

/* ---- monitor ---- */

static const char *auth_name(void)
{
    return vnc.password_on ? "vnc" : "none";
}

JsonNode *vnc_query_json(void)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "enabled", vnc.started);
    if (vnc.started) {
        g_autofree char *svc = vnc.is_unix ? g_strdup(vnc.path) : g_strdup_printf("%d", vnc.port);
        json_object_set_string_member(o, "host", vnc.is_unix ? "" : vnc.bound_host);
        json_object_set_string_member(o, "family", vnc.bound_family);
        json_object_set_string_member(o, "service", svc);
        json_object_set_string_member(o, "auth", auth_name());
        JsonArray *a = json_array_new();
        for (GList *l = vnc.clients; l; l = l->next) {
            VncClient *c = l->data;
            if (c->dead || c->state != ST_NORMAL) {
                continue;
            }
            json_array_add_object_element(a, client_info(c));
        }
        json_object_set_array_member(o, "clients", a);
    }
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

void vnc_hmp_info(GString *out)
{
    if (!vnc.started) {
        g_string_append(out, "Server: disabled\n");
        return;
    }
    g_string_append(out, "default:\n");
    if (vnc.is_unix) {
        g_string_append_printf(out, "  Server: :%s (unix)\n", vnc.path);   /* QEMU's spelling */
    } else {
        g_string_append_printf(out, "  Server: %s:%d (%s)\n", vnc.bound_host, vnc.port,
                               vnc.bound_family);
    }
    g_string_append_printf(out, "    Auth: %s (Sub: none)%s\n", auth_name(),
                           vnc.password_on && !(vnc.password && *vnc.password)
                           ? " [no password set: every login fails]" : "");
    for (GList *l = vnc.clients; l; l = l->next) {
        VncClient *c = l->data;
        if (c->dead || c->state != ST_NORMAL) {
            continue;
        }
        g_string_append_printf(out, "  Client: %s:%s (%s)\n", c->host, c->service, c->family);
        g_string_append(out, "    x509_dname: none\n    sasl_username: none\n");
    }
}
