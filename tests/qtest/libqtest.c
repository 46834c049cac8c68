/* Our own small libqtest: see libqtest.h. */
#include "tests/qtest/libqtest.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QTEST_MAX_IRQ 256

struct QTestState {
    GPid pid;
    int fd;
    int qmp_fd;
    GString *qmp_rx;
    char *sock_path;
    GString *rx;
    bool irq_level[QTEST_MAX_IRQ];
    unsigned irq_raises[QTEST_MAX_IRQ];
};

/* A failing assertion aborts the test: take the Vireo instances along
 * instead of leaving them running (they would also hold the test's stdout). */
static GArray *live_pids;

static void kill_children(void)
{
    for (guint i = 0; live_pids && i < live_pids->len; i++) {
        kill(g_array_index(live_pids, GPid, i), SIGKILL);
    }
}

static void on_abort(int sig)
{
    kill_children();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void track_pid(GPid pid, bool add)
{
    if (!live_pids) {
        live_pids = g_array_new(FALSE, FALSE, sizeof(GPid));
        signal(SIGABRT, on_abort);
        signal(SIGTRAP, on_abort);     /* g_error() */
        atexit(kill_children);
    }
    if (add) {
        g_array_append_val(live_pids, pid);
        return;
    }
    for (guint i = 0; i < live_pids->len; i++) {
        if (g_array_index(live_pids, GPid, i) == pid) {
            g_array_remove_index_fast(live_pids, i);
            return;
        }
    }
}

static const char *vireo_binary(void)
{
    static char *path;
    if (!path) {
        const char *env = g_getenv("VIREO_BINARY");
        const char *build = g_getenv("BUILD");
        path = env ? g_strdup(env) : g_strdup_printf("%s/vireo", build ? build : "build");
    }
    return path;
}

/* A listening unix socket at path (removed first if stale). */
static int listen_unix(const char *path)
{
    unlink(path);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(lfd, >=, 0);
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);
    return lfd;
}

/* Accept Vireo's connection on lfd, but notice if it died instead. */
static int accept_vireo(QTestState *s, int lfd, const char *cmdline)
{
    for (int i = 0; i < 200; i++) {
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 50) == 1) {
            break;
        }
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            g_error("vireo exited before connecting (status 0x%x): %s", st, cmdline);
        }
    }
    int fd = accept(lfd, NULL, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(lfd);
    return fd;
}

/*
 * The command line is the one QEMU's libqtest builds: qtest and QMP both on
 * sockets the test listens on, Vireo connecting as the client.
 */
QTestState *qtest_start(const char *extra_args)
{
    QTestState *s = g_new0(QTestState, 1);
    s->rx = g_string_new("");
    s->qmp_rx = g_string_new("");
    s->sock_path = g_strdup_printf("%s/vireo-qtest-%d-%p.sock", g_get_tmp_dir(), getpid(), (void *)s);
    g_autofree char *qmp_path = g_strdup_printf("%s/vireo-qtest-%d-%p.qmp", g_get_tmp_dir(),
                                                getpid(), (void *)s);
    int lfd = listen_unix(s->sock_path);
    int qmp_lfd = listen_unix(qmp_path);

    g_autofree char *cmdline = g_strdup_printf(
        "%s -qtest unix:%s -qtest-log /dev/null -chardev socket,path=%s,id=char0 "
        "-mon chardev=char0,mode=control -display none -audio none -machine pc %s -accel qtest",
        vireo_binary(), s->sock_path, qmp_path, extra_args ? extra_args : "");
    gchar **argv = NULL;
    GError *err = NULL;
    g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, &err));
    g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &s->pid, &err));
    g_assert_no_error(err);
    g_strfreev(argv);
    track_pid(s->pid, true);

    s->fd = accept_vireo(s, lfd, cmdline);
    s->qmp_fd = accept_vireo(s, qmp_lfd, cmdline);
    unlink(s->sock_path);
    unlink(qmp_path);

    g_autofree char *r = qtest_cmd(s, "endianness");
    g_assert_cmpstr(r, ==, "OK little");

    /* QMP handshake, as libqtest's qtest_init() */
    g_autofree char *greeting = qtest_qmp_recv(s);
    g_assert_nonnull(strstr(greeting, "\"QMP\""));
    g_autofree char *caps = qtest_qmp(s, "{ 'execute': 'qmp_capabilities' }");
    g_assert_cmpstr(caps, ==, "{\"return\":{}}");
    return s;
}

char *qtest_qmp_recv(QTestState *s)
{
    char *eol;
    while (!(eol = strchr(s->qmp_rx->str, '\n'))) {
        char buf[4096];
        ssize_t n = recv(s->qmp_fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        g_string_append_len(s->qmp_rx, buf, n);
    }
    size_t len = eol - s->qmp_rx->str;
    char *line = g_strndup(s->qmp_rx->str, len);
    g_string_erase(s->qmp_rx, 0, len + 1);
    g_strchomp(line);                   /* QMP ends lines with \r\n */
    return line;
}

char *qtest_qmp(QTestState *s, const char *json)
{
    size_t len = strlen(json);
    g_assert_cmpint(send(s->qmp_fd, json, len, MSG_NOSIGNAL), ==, (ssize_t)len);
    for (;;) {
        char *line = qtest_qmp_recv(s);
        if (!strstr(line, "\"event\"")) {
            return line;
        }
        g_free(line);                   /* events are not replies */
    }
}

void qtest_quit(QTestState *s)
{
    kill(s->pid, SIGTERM);
    int st = 0;
    while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR) {
    }
    track_pid(s->pid, false);
    g_assert_true(WIFEXITED(st));
    g_assert_cmpint(WEXITSTATUS(st), ==, 0);
    g_spawn_close_pid(s->pid);
    close(s->fd);
    close(s->qmp_fd);
    g_string_free(s->rx, TRUE);
    g_string_free(s->qmp_rx, TRUE);
    g_free(s->sock_path);
    g_free(s);
}

/* One line from Vireo; IRQ lines update the levels and are skipped. */
static char *qtest_recv_reply(QTestState *s)
{
    for (;;) {
        char *nl = memchr(s->rx->str, '\n', s->rx->len);
        if (nl) {
            size_t n = nl - s->rx->str;
            char *line = g_strndup(s->rx->str, n);
            g_string_erase(s->rx, 0, n + 1);
            int num;
            if (sscanf(line, "IRQ raise %d", &num) == 1 && num >= 0 && num < QTEST_MAX_IRQ) {
                s->irq_level[num] = true;
                s->irq_raises[num]++;
            } else if (sscanf(line, "IRQ lower %d", &num) == 1 && num >= 0 && num < QTEST_MAX_IRQ) {
                s->irq_level[num] = false;
            } else {
                return line;
            }
            g_free(line);
            continue;
        }
        char buf[4096];
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        if (poll(&p, 1, 30000) != 1) {
            g_error("qtest: no reply from vireo within 30 s");
        }
        ssize_t r = read(s->fd, buf, sizeof(buf));
        if (r <= 0) {
            g_error("qtest: vireo closed the connection");
        }
        g_string_append_len(s->rx, buf, r);
    }
}

static char *qtest_vcmd(QTestState *s, const char *fmt, va_list ap)
{
    g_autofree char *line = g_strdup_vprintf(fmt, ap);
    g_autofree char *out = g_strconcat(line, "\n", NULL);
    size_t len = strlen(out), done = 0;
    while (done < len) {
        ssize_t w = write(s->fd, out + done, len - done);
        g_assert_cmpint(w, >, 0);
        done += w;
    }
    return qtest_recv_reply(s);
}

char *qtest_cmd(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = qtest_vcmd(s, fmt, ap);
    va_end(ap);
    return r;
}

uint64_t qtest_ok(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *r = qtest_vcmd(s, fmt, ap);
    va_end(ap);
    if (strncmp(r, "OK", 2) != 0) {
        g_error("qtest: unexpected reply '%s'", r);
    }
    return r[2] == ' ' ? g_ascii_strtoull(r + 3, NULL, 0) : 0;
}

uint8_t qtest_inb(QTestState *s, uint16_t port) { return qtest_ok(s, "inb 0x%x", port); }
uint16_t qtest_inw(QTestState *s, uint16_t port) { return qtest_ok(s, "inw 0x%x", port); }
uint32_t qtest_inl(QTestState *s, uint16_t port) { return qtest_ok(s, "inl 0x%x", port); }
void qtest_outb(QTestState *s, uint16_t port, uint8_t v) { qtest_ok(s, "outb 0x%x 0x%x", port, v); }
void qtest_outw(QTestState *s, uint16_t port, uint16_t v) { qtest_ok(s, "outw 0x%x 0x%x", port, v); }
void qtest_outl(QTestState *s, uint16_t port, uint32_t v) { qtest_ok(s, "outl 0x%x 0x%x", port, v); }
uint8_t qtest_readb(QTestState *s, uint64_t a) { return qtest_ok(s, "readb 0x%" PRIx64, a); }
uint32_t qtest_readl(QTestState *s, uint64_t a) { return qtest_ok(s, "readl 0x%" PRIx64, a); }
uint64_t qtest_readq(QTestState *s, uint64_t a) { return qtest_ok(s, "readq 0x%" PRIx64, a); }
void qtest_writeb(QTestState *s, uint64_t a, uint8_t v) { qtest_ok(s, "writeb 0x%" PRIx64 " 0x%x", a, v); }
void qtest_writel(QTestState *s, uint64_t a, uint32_t v) { qtest_ok(s, "writel 0x%" PRIx64 " 0x%x", a, v); }
void qtest_writeq(QTestState *s, uint64_t a, uint64_t v) { qtest_ok(s, "writeq 0x%" PRIx64 " 0x%" PRIx64, a, v); }

void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t len)
{
    g_autofree char *r = qtest_cmd(s, "read 0x%" PRIx64 " 0x%zx", addr, len);
    g_assert_true(g_str_has_prefix(r, "OK 0x"));
    g_assert_cmpuint(strlen(r + 5), ==, len * 2);
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = g_ascii_xdigit_value(r[5 + 2 * i]) << 4 |
                              g_ascii_xdigit_value(r[6 + 2 * i]);
    }
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t len)
{
    GString *hex = g_string_new("0x");
    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(hex, "%02x", ((const uint8_t *)buf)[i]);
    }
    qtest_ok(s, "write 0x%" PRIx64 " 0x%zx %s", addr, len, hex->str);
    g_string_free(hex, TRUE);
}

int64_t qtest_clock_step(QTestState *s, int64_t ns)
{
    return ns < 0 ? (int64_t)qtest_ok(s, "clock_step") : (int64_t)qtest_ok(s, "clock_step %" PRId64, ns);
}

int64_t qtest_clock_set(QTestState *s, int64_t ns)
{
    return qtest_ok(s, "clock_set %" PRId64, ns);
}

void qtest_irq_intercept_in(QTestState *s, const char *path) { qtest_ok(s, "irq_intercept_in %s", path); }
void qtest_irq_intercept_out(QTestState *s, const char *path) { qtest_ok(s, "irq_intercept_out %s", path); }

bool qtest_get_irq(QTestState *s, int n)
{
    /* collect IRQ lines that arrived without a command: a harmless round trip */
    g_autofree char *r = qtest_cmd(s, "endianness");
    g_assert_cmpstr(r, ==, "OK little");
    return n >= 0 && n < QTEST_MAX_IRQ && s->irq_level[n];
}

unsigned qtest_irq_raises(QTestState *s, int n)
{
    g_autofree char *r = qtest_cmd(s, "endianness");
    return n >= 0 && n < QTEST_MAX_IRQ ? s->irq_raises[n] : 0;
}

int qtest_cmd_expect_exit(QTestState *s, const char *cmd)
{
    g_autofree char *out = g_strconcat(cmd, "\n", NULL);
    g_assert_cmpint(write(s->fd, out, strlen(out)), ==, (ssize_t)strlen(out));
    int st = 0;
    while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR) {
    }
    track_pid(s->pid, false);
    g_spawn_close_pid(s->pid);
    close(s->fd);
    g_string_free(s->rx, TRUE);
    g_free(s->sock_path);
    g_free(s);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void pci_addr(QTestState *s, int devfn, int reg)
{
    qtest_outl(s, 0xcf8, 0x80000000u | (devfn << 8) | (reg & 0xfc));
}

uint32_t qtest_pci_readl(QTestState *s, int devfn, int reg)
{
    pci_addr(s, devfn, reg);
    return qtest_inl(s, 0xcfc);
}

uint8_t qtest_pci_readb(QTestState *s, int devfn, int reg)
{
    pci_addr(s, devfn, reg);
    return qtest_inb(s, 0xcfc + (reg & 3));
}

void qtest_pci_writeb(QTestState *s, int devfn, int reg, uint8_t v)
{
    pci_addr(s, devfn, reg);
    qtest_outb(s, 0xcfc + (reg & 3), v);
}

void qtest_pci_writew(QTestState *s, int devfn, int reg, uint16_t v)
{
    pci_addr(s, devfn, reg);
    qtest_outw(s, 0xcfc + (reg & 2), v);
}

void qtest_pci_writel(QTestState *s, int devfn, int reg, uint32_t v)
{
    pci_addr(s, devfn, reg);
    qtest_outl(s, 0xcfc, v);
}
