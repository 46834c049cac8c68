/*
 * Socket chardev: the roles libqtest, QMP clients and gdb rely on.
 *  - client (the default): Vireo connects to a peer that listens;
 *  - server with wait=off: peers come and go, each gets OPENED/CLOSED,
 *    input reaches the front end, output reaches the peer;
 *  - tcp as well as unix; a client with nobody listening is an error
 *    naming the path; output without a peer is dropped, not an error.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chardev/chardev.h"

typedef struct {
    GString *in;
    int opened, closed;
    int room;               /* what can_read reports */
} Fe;

static int fe_can_read(void *opaque) { return ((Fe *)opaque)->room; }
static void fe_read(void *opaque, const uint8_t *buf, int len)
{
    g_string_append_len(((Fe *)opaque)->in, (const char *)buf, len);
}
static void fe_event(void *opaque, int ev)
{
    Fe *fe = opaque;
    if (ev == CHR_EVENT_OPENED) {
        fe->opened++;
    } else if (ev == CHR_EVENT_CLOSED) {
        fe->closed++;
    }
}

/* Run the main context until cond holds or ~2 s pass. */
#define SPIN_UNTIL(cond)                                                   \
    do {                                                                   \
        for (int i_ = 0; i_ < 2000 && !(cond); i_++) {                     \
            g_main_context_iteration(NULL, FALSE);                         \
            chardev_deliver_pending();                                     \
            g_usleep(1000);                                                \
        }                                                                  \
        g_assert_true(cond);                                               \
    } while (0)

static char *tmp_sock(const char *name)
{
    char *p = g_strdup_printf("%s/vireo-test-%d-%s.sock", g_get_tmp_dir(), getpid(), name);
    unlink(p);
    return p;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

static void read_exact(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        g_assert_cmpint(r, >, 0);
        got += r;
    }
    buf[n] = 0;
}

static void test_server_unix(void)
{
    GError *err = NULL;
    g_autofree char *path = tmp_sock("srv");
    g_autofree char *opts = g_strdup_printf("socket,id=srv,path=%s,server=on,wait=off", path);
    Chardev *chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    Fe fe = { .in = g_string_new(""), .room = 1000 };
    g_assert_true(chardev_set_handlers(chr, fe_can_read, fe_read, &fe, NULL));
    g_assert_true(chardev_set_event_handler(chr, fe_event, &fe, NULL));
    g_assert_false(chardev_is_open(chr));
    g_assert_cmpint(fe.opened, ==, 0);
    /* nobody there: output is dropped, not an error */
    g_assert_cmpint(chardev_write(chr, (const uint8_t *)"lost", 4), ==, 4);

    for (int round = 1; round <= 2; round++) {
        int peer = connect_unix(path);
        SPIN_UNTIL(fe.opened == round);
        g_assert_true(chardev_is_open(chr));
        g_assert_cmpint(write(peer, "hello", 5), ==, 5);
        SPIN_UNTIL(fe.in->len == 5);
        g_assert_cmpstr(fe.in->str, ==, "hello");
        g_string_truncate(fe.in, 0);
        g_assert_cmpint(chardev_write(chr, (const uint8_t *)"world", 5), ==, 5);
        char buf[8];
        read_exact(peer, buf, 5);
        g_assert_cmpstr(buf, ==, "world");
        close(peer);
        SPIN_UNTIL(fe.closed == round);
        g_assert_false(chardev_is_open(chr));
    }
    g_string_free(fe.in, TRUE);
    unlink(path);
}

static void test_flow_control(void)
{
    GError *err = NULL;
    g_autofree char *path = tmp_sock("flow");
    g_autofree char *opts = g_strdup_printf("socket,id=flow,path=%s,server=on,wait=off", path);
    Chardev *chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    Fe fe = { .in = g_string_new(""), .room = 0 };
    g_assert_true(chardev_set_handlers(chr, fe_can_read, fe_read, &fe, NULL));
    int peer = connect_unix(path);
    /* a front end that takes nothing holds input back without losing it */
    g_assert_cmpint(write(peer, "abcdef", 6), ==, 6);
    for (int i = 0; i < 50; i++) {
        g_main_context_iteration(NULL, FALSE);
        chardev_deliver_pending();
        g_usleep(1000);
    }
    g_assert_cmpint(fe.in->len, ==, 0);
    fe.room = 2;              /* two bytes at a time, in order */
    SPIN_UNTIL(fe.in->len == 6);
    g_assert_cmpstr(fe.in->str, ==, "abcdef");
    close(peer);
    g_string_free(fe.in, TRUE);
    unlink(path);
}

static void test_client_unix(void)
{
    GError *err = NULL;
    g_autofree char *path = tmp_sock("cli");
    /* nobody listens yet: a clear error naming the path */
    g_autofree char *opts = g_strdup_printf("socket,id=cli,path=%s", path);
    g_assert_null(chardev_new_from_opts(opts, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, path));
    g_clear_error(&err);

    /* the libqtest arrangement: the test listens, Vireo connects */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);
    g_autofree char *spec = g_strdup_printf("unix:%s", path);
    Chardev *chr = chardev_new_from_spec(spec, "qtest-cli", &err);
    g_assert_no_error(err);
    int peer = accept(lfd, NULL, NULL);
    g_assert_cmpint(peer, >=, 0);
    Fe fe = { .in = g_string_new(""), .room = 100 };
    g_assert_true(chardev_set_handlers(chr, fe_can_read, fe_read, &fe, NULL));
    g_assert_true(chardev_set_event_handler(chr, fe_event, &fe, NULL));
    g_assert_cmpint(fe.opened, ==, 1);    /* connected before the front end came */
    g_assert_cmpint(write(peer, "endianness\n", 11), ==, 11);
    SPIN_UNTIL(fe.in->len == 11);
    g_assert_cmpint(chardev_write(chr, (const uint8_t *)"OK little\n", 10), ==, 10);
    char buf[16];
    read_exact(peer, buf, 10);
    g_assert_cmpstr(buf, ==, "OK little\n");
    close(peer);
    SPIN_UNTIL(fe.closed == 1);
    close(lfd);
    unlink(path);
    g_string_free(fe.in, TRUE);
}

static void test_tcp_server(void)
{
    GError *err = NULL;
    /* find a free port by binding port 0 and releasing it */
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sin);
    g_assert_cmpint(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    getsockname(probe, (struct sockaddr *)&sin, &sl);
    int port = ntohs(sin.sin_port);
    close(probe);

    g_autofree char *spec = g_strdup_printf("tcp:127.0.0.1:%d,server,nowait", port);
    Chardev *chr = chardev_new_from_spec(spec, "tcpsrv", &err);
    g_assert_no_error(err);
    Fe fe = { .in = g_string_new(""), .room = 100 };
    g_assert_true(chardev_set_handlers(chr, fe_can_read, fe_read, &fe, NULL));
    g_assert_true(chardev_set_event_handler(chr, fe_event, &fe, NULL));
    int peer = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(connect(peer, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    SPIN_UNTIL(fe.opened == 1);
    g_assert_cmpint(write(peer, "$g#67", 5), ==, 5);
    SPIN_UNTIL(fe.in->len == 5);
    g_assert_cmpstr(fe.in->str, ==, "$g#67");
    close(peer);
    SPIN_UNTIL(fe.closed == 1);
    g_string_free(fe.in, TRUE);

    /* bad specs are errors, not crashes */
    g_assert_null(chardev_new_from_spec("tcp:nohostport", "bad1", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_null(chardev_new_from_opts("socket,id=bad2", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/chardev/socket/server-unix", test_server_unix);
    g_test_add_func("/chardev/socket/flow-control", test_flow_control);
    g_test_add_func("/chardev/socket/client-unix", test_client_unix);
    g_test_add_func("/chardev/socket/tcp-server", test_tcp_server);
    return g_test_run();
}
