/*
 * The VNC server's input path, without a guest: a client thread speaks
 * RFB over a unix socket while the test runs the GLib loop, and an input
 * handler registered here records what reaches the input layer.  Checks
 * keysyms and extended key events to qnums, absolute pointer positions to
 * relative deltas (no absolute device is registered), buttons and the
 * wheel, held keys and buttons released when the client disconnects, and
 * info vnc / query-vnc listing the client.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ui/input.h"
#include "ui/vnc.h"

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
    char *dir = g_dir_make_tmp("vnc-test-XXXXXX", NULL);
    char *path = g_build_filename(dir, "vnc.sock", NULL);
    char *spec = g_strdup_printf("unix:%s,key-delay-ms=0", path);
    GError *err = NULL;
    g_assert_true(vnc_display_parse(spec, &err));
    g_assert_true(vnc_display_start(&err));
    g_assert_true(vnc_display_enabled());

    GThread *t = g_thread_new("rfb-client", client_thread, path);
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
    g_unlink(path);
    g_rmdir(dir);
    g_free(spec);
    g_free(path);
    g_free(dir);
    g_string_free(events, TRUE);
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
    g_test_add_func("/vnc/parse-errors", test_parse_errors);
    g_test_add_func("/vnc/input-path", test_input_path);
    return g_test_run();
}
