/*
 * The VNC server's input path, without a guest: a client thread speaks
 * RFB over a unix socket while the test runs the GLib loop, and an input
 * handler registered here records what reaches the input layer.  Checks
 * keysyms and extended key events to qnums, absolute pointer positions to
 * relative deltas (no absolute device is registered), buttons and the
 * wheel, held keys and buttons released when the client disconnects, and
 * info vnc / query-vnc listing the client.  Then, against a console with a
 * surface the test draws: the first frame, a mode change announced with
 * DesktopSize and sent whole, and an incremental update carrying only the
 * rectangle the "device" reported.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ui/console.h"
#include "ui/input.h"
#include "ui/vnc.h"

static char *sock_dir, *sock_path;  /* the server's socket, shared by the tests */
static GString *events;           /* "k1e+ k1e- b0+ x5 y-3 s ..." */
static volatile gint client_done;

static void rec_event(void *opaque, const InputEvent *ev)
{
    switch (ev->kind) {
    case INPUT_EVENT_KEY:
        g_string_append_printf(events, "k%02x%c ", ev->key.qnum, ev->key.down ? '+' : '-');
        break;
    case INPUT_EVENT_BTN:
        g_string_append_printf(events, "b%d%c ", ev->btn.button, ev->btn.down ? '+' : '-');
        break;
    case INPUT_EVENT_REL:
        g_string_append_printf(events, "%c%d ", ev->move.axis == INPUT_AXIS_X ? 'x' : 'y',
                               (int)ev->move.value);
        break;
    default:
        g_string_append(events, "abs ");
        break;
    }
}

static const InputHandler rec_handler = {
    .name = "test-recorder",
    .mask = INPUT_MASK_KEY | INPUT_MASK_BTN | INPUT_MASK_REL,
    .event = rec_event,
};

static void sendall(int fd, const void *buf, size_t n)
{
    g_assert_cmpint(send(fd, buf, n, MSG_NOSIGNAL), ==, (ssize_t)n);
}

static void recvall(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
        g_assert_cmpint(r, >, 0);
        got += r;
    }
}

static void key(int fd, bool down, uint32_t keysym)
{
    uint8_t m[8] = { 4, down, 0, 0, keysym >> 24, keysym >> 16, keysym >> 8, keysym };
    sendall(fd, m, 8);
}

static void pointer(int fd, uint8_t mask, int x, int y)
{
    uint8_t m[6] = { 5, mask, x >> 8, x, y >> 8, y };
    sendall(fd, m, 6);
}

static gpointer client_thread(gpointer path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    char ver[12];
    recvall(fd, ver, 12);
    g_assert_cmpmem(ver, 12, "RFB 003.008\n", 12);
    sendall(fd, "RFB 003.008\n", 12);
    uint8_t types[2];
    recvall(fd, types, 2);
    g_assert_cmpint(types[0], ==, 1);
    g_assert_cmpint(types[1], ==, 1);               /* None */
    sendall(fd, "\x01", 1);
    uint8_t result[4];
    recvall(fd, result, 4);
    g_assert_cmpint(result[3], ==, 0);
    sendall(fd, "\x01", 1);                         /* shared */
    uint8_t init[24];
    recvall(fd, init, 24);
    uint32_t nlen = (uint32_t)init[20] << 24 | init[21] << 16 | init[22] << 8 | init[23];
    g_assert_cmpuint(nlen, <, 256);
    char name[256];
    recvall(fd, name, nlen);

    key(fd, true, 'a');
    key(fd, false, 'a');
    key(fd, true, 0xff52);                          /* Up: E0 48 */
    key(fd, false, 0xff52);
    key(fd, false, 'q');                            /* never pressed: dropped */
    /* QEMU extended key event: right ctrl by its scan code */
    static const uint8_t ext[12] = { 255, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x9d };
    sendall(fd, ext, 12);
    pointer(fd, 0, 100, 100);                       /* the origin */
    pointer(fd, 0, 105, 97);
    pointer(fd, 1, 105, 97);                        /* left down */
    pointer(fd, 0, 105, 97);
    pointer(fd, 8, 105, 97);                        /* wheel up */
    pointer(fd, 0, 105, 97);
    pointer(fd, 4, 105, 97);                        /* right down, held */
    key(fd, true, 0xffe1);                          /* Shift_L held */
    /* wait until the server has handled it all, then vanish */
    usleep(300 * 1000);
    close(fd);
    g_atomic_int_set(&client_done, 1);
    return NULL;
}

static void test_input_path(void)
{
    events = g_string_new(NULL);
    InputHandlerEntry *h = input_handler_register(&rec_handler, NULL);
    sock_dir = g_dir_make_tmp("vnc-test-XXXXXX", NULL);
    sock_path = g_build_filename(sock_dir, "vnc.sock", NULL);
    char *spec = g_strdup_printf("unix:%s,key-delay-ms=0", sock_path);
    GError *err = NULL;
    g_assert_true(vnc_display_parse(spec, &err));
    g_assert_true(vnc_display_start(&err));
    g_assert_true(vnc_display_enabled());

    GThread *t = g_thread_new("rfb-client", client_thread, sock_path);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    bool listed = false;
    while (!g_atomic_int_get(&client_done) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        if (!listed) {
            GString *info = g_string_new(NULL);
            vnc_hmp_info(info);
            listed = strstr(info->str, "Client:") != NULL;
            g_string_free(info, TRUE);
        }
        g_usleep(1000);
    }
    g_thread_join(t);
    /* let the server see the hang-up and release what was held */
    for (int i = 0; i < 200; i++) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    g_assert_true(listed);
    g_assert_cmpstr(events->str, ==,
                    "k1e+ k1e- kc8+ kc8- k9d+ "
                    "x5 y-3 b0+ b0- b3+ b3- b2+ "
                    "k2a+ "
                    "k2a- k9d- b2- ");
    JsonNode *q = vnc_query_json();
    JsonObject *o = json_node_get_object(q);
    g_assert_true(json_object_get_boolean_member(o, "enabled"));
    g_assert_cmpstr(json_object_get_string_member(o, "family"), ==, "unix");
    g_assert_cmpstr(json_object_get_string_member(o, "auth"), ==, "none");
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "clients")), ==, 0);
    json_node_unref(q);

    /* a password cannot be set on a display without password=on */
    g_assert_false(vnc_set_password("x", &err));
    g_clear_error(&err);

    input_handler_unregister(h);
    g_free(spec);
    g_string_free(events, TRUE);
}

/* ---- frames from a console ---- */

static Console *con;
static volatile gint phase;       /* client thread <-> main loop hand-offs */

static void fake_gfx_update(void *opaque)
{
    /* the test draws straight into the surface and reports it itself */
}

static const ConsoleHwOps fake_ops = { .gfx_update = fake_gfx_update };

static void draw(DisplaySurface *s, uint32_t seed)
{
    uint32_t *d = (uint32_t *)surface_data(s);
    int w = surface_width(s), h = surface_height(s);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            d[y * (surface_stride(s) / 4) + x] = (x * 3 + seed) << 16 | (y * 5) << 8 | (x ^ y);
        }
    }
}

static int cfd;
static uint32_t *client_fb;       /* the client's final 200x100 picture */

static void wait_phase(int p)
{
    while (g_atomic_int_get(&phase) != p) {
        g_usleep(1000);
    }
}

/* Read one FramebufferUpdate; raw rectangles land in FB (W wide); returns
 * the rectangle count and sets the new size on DesktopSize. */
static int read_update(uint32_t *fb, int w, int *dw, int *dh, int *rx, int *ry, int *rw, int *rh)
{
    uint8_t hdr[4];
    recvall(cfd, hdr, 4);
    g_assert_cmpint(hdr[0], ==, 0);
    int n = hdr[2] << 8 | hdr[3];
    for (int i = 0; i < n; i++) {
        uint8_t r[12];
        recvall(cfd, r, 12);
        int x = r[0] << 8 | r[1], y = r[2] << 8 | r[3], rw_ = r[4] << 8 | r[5], rh_ = r[6] << 8 | r[7];
        int32_t enc = (int32_t)((uint32_t)r[8] << 24 | r[9] << 16 | r[10] << 8 | r[11]);
        if (enc == -223) {
            *dw = rw_;
            *dh = rh_;
            continue;
        }
        g_assert_cmpint(enc, ==, 0);
        *rx = x, *ry = y, *rw = rw_, *rh = rh_;
        for (int row = 0; row < rh_; row++) {
            uint8_t line[4096 * 4];
            recvall(cfd, line, rw_ * 4);
            for (int c = 0; c < rw_; c++) {
                fb[(y + row) * w + x + c] = line[c * 4] | line[c * 4 + 1] << 8 | line[c * 4 + 2] << 16;
            }
        }
    }
    return n;
}

static void request(bool incremental, int w, int h)
{
    uint8_t m[10] = { 3, incremental, 0, 0, 0, 0, w >> 8, w, h >> 8, h };
    sendall(cfd, m, 10);
}

static gpointer frame_client(gpointer path)
{
    cfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    char buf[256];
    recvall(cfd, buf, 12);
    sendall(cfd, "RFB 003.008\n", 12);
    recvall(cfd, buf, 2);
    sendall(cfd, "\x01", 1);
    recvall(cfd, buf, 4);
    sendall(cfd, "\x01", 1);
    uint8_t init[24];
    recvall(cfd, init, 24);
    int w = init[0] << 8 | init[1], h = init[2] << 8 | init[3];
    g_assert_cmpint(w, ==, 64);
    g_assert_cmpint(h, ==, 48);
    recvall(cfd, buf, init[23]);
    static const uint8_t encs[12] = { 2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21 };
    sendall(cfd, encs, 12);                 /* Raw, DesktopSize */

    uint32_t *fb = g_new0(uint32_t, 200 * 100);
    int dw = 0, dh = 0, x, y, rw, rh;
    request(false, w, h);
    read_update(fb, w, &dw, &dh, &x, &y, &rw, &rh);
    for (int i = 0; i < 64 * 48; i++) {
        int px = i % 64, py = i / 64;
        g_assert_cmphex(fb[i], ==, ((px * 3 + 1) << 16 | (py * 5) << 8 | (px ^ py)) & 0xffffff);
    }

    g_atomic_int_set(&phase, 1);            /* main: switch to 200x100 */
    wait_phase(2);
    request(true, w, h);
    read_update(fb, 200, &dw, &dh, &x, &y, &rw, &rh);
    g_assert_cmpint(dw, ==, 200);
    g_assert_cmpint(dh, ==, 100);
    for (int i = 0; i < 200 * 100; i++) {
        int px = i % 200, py = i / 200;
        g_assert_cmphex(fb[i], ==, ((px * 3 + 7) << 16 | (py * 5) << 8 | (px ^ py)) & 0xffffff);
    }

    g_atomic_int_set(&phase, 3);            /* main: paint and report 10,20 5x6 */
    wait_phase(4);
    request(true, 200, 100);
    int n = read_update(fb, 200, &dw, &dh, &x, &y, &rw, &rh);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpint(x, ==, 10);
    g_assert_cmpint(y, ==, 20);
    g_assert_cmpint(rw, ==, 5);
    g_assert_cmpint(rh, ==, 6);
    g_assert_cmphex(fb[22 * 200 + 12], ==, 0x00ff00);
    client_fb = fb;                         /* compared with a screendump */
    close(cfd);
    g_atomic_int_set(&phase, 5);
    return NULL;
}

static void test_frames(void)
{
    /* the server the input test started, on the same console */
    g_assert_true(vnc_display_enabled());
    GThread *t = g_thread_new("rfb-frames", frame_client, sock_path);
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (g_atomic_int_get(&phase) != 5 && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        if (g_atomic_int_get(&phase) == 1) {
            DisplaySurface *s = surface_create(200, 100);
            draw(s, 7);
            console_replace_surface(con, s);
            g_atomic_int_set(&phase, 2);
        } else if (g_atomic_int_get(&phase) == 3) {
            DisplaySurface *s = console_surface(con);
            uint32_t *d = (uint32_t *)surface_data(s);
            for (int y = 20; y < 26; y++) {
                for (int x = 10; x < 15; x++) {
                    d[y * (surface_stride(s) / 4) + x] = 0x00ff00;
                }
            }
            console_gfx_update(con, 10, 20, 5, 6);
            g_atomic_int_set(&phase, 4);
        }
        g_usleep(500);
    }
    g_thread_join(t);
    g_assert_cmpint(g_atomic_int_get(&phase), ==, 5);

    /* what the client holds is what screendump saves */
    char *ppm = g_build_filename(sock_dir, "shot.ppm", NULL);
    GError *err = NULL;
    g_assert_true(console_screendump(ppm, 0, "ppm", &err));
    gchar *data;
    gsize len;
    g_assert_true(g_file_get_contents(ppm, &data, &len, NULL));
    static const char hdr[] = "P6\n200 100\n255\n";
    g_assert_cmpuint(len, ==, strlen(hdr) + 200 * 100 * 3);
    g_assert_cmpmem(data, strlen(hdr), hdr, strlen(hdr));
    const uint8_t *rgb = (const uint8_t *)data + strlen(hdr);
    for (int i = 0; i < 200 * 100; i++) {
        uint32_t v = rgb[i * 3] << 16 | rgb[i * 3 + 1] << 8 | rgb[i * 3 + 2];
        g_assert_cmphex(client_fb[i], ==, v);
    }
    g_free(data);
    g_unlink(ppm);
    g_free(ppm);
    g_free(client_fb);
    g_unlink(sock_path);
    g_rmdir(sock_dir);
}

static void test_parse_errors(void)
{
    static const char *const bad[] = {
        ":1,frobnicate=on", "nonsense", ":70000", ":1,share=maybe", ":1,password=perhaps",
        "unix:", ":1,websocket=5700", ":3,to=2", ":1,key-delay-ms=-4",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        g_assert_false(vnc_display_parse(bad[i], &err));
        g_assert_nonnull(err);
        g_error_free(err);
    }
    GError *err = NULL;
    g_assert_false(vnc_set_keyboard_layout("de", &err));
    g_clear_error(&err);
    g_assert_true(vnc_set_keyboard_layout("en-us", &err));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the graphics device's console exists before the server starts, as
     * in a real machine */
    con = console_new_graphic("fake-vga", &fake_ops, NULL);
    DisplaySurface *s = surface_create(64, 48);
    draw(s, 1);
    console_replace_surface(con, s);
    g_test_add_func("/vnc/parse-errors", test_parse_errors);
    g_test_add_func("/vnc/input-path", test_input_path);
    g_test_add_func("/vnc/frames", test_frames);
    return g_test_run();
}
