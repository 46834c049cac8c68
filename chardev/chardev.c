/*
 * Character backends: stdio, file, null, and the stdio multiplexer.
 *
 * stdio is one shared object: with -nographic (or mon:stdio) it becomes a
 * mux that interprets Ctrl-A escapes and hands input to one of several
 * front ends (the serial port now, the monitor later).  Input is read from
 * a GLib watch on fd 0 into a pending buffer and delivered as fast as the
 * front end's can_read allows; main_loop calls chardev_deliver_pending()
 * so nothing is lost while a UART FIFO is full.
 */
#include "chardev/chardev.h"
#include "chardev/chardev-int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hw/core/device.h"
#include "system/runstate.h"
#include "util/log.h"

static GHashTable *chardevs;          /* id -> Chardev */
static Chardev *stdio_chr;
static struct termios saved_tty;
static bool tty_saved;
static guint stdin_watch;

Chardev *chardev_find(const char *id)
{
    return chardevs ? g_hash_table_lookup(chardevs, id) : NULL;
}

const char *chardev_id(Chardev *chr)
{
    return chr->id;
}

static void tty_restore(void)
{
    if (tty_saved) {
        tcsetattr(0, TCSANOW, &saved_tty);
        tty_saved = false;
    }
}

void chardev_cleanup_all(void)
{
    if (chardevs) {
        GHashTableIter it;
        gpointer key, val;
        g_hash_table_iter_init(&it, chardevs);
        while (g_hash_table_iter_next(&it, &key, &val)) {
            chardev_socket_cleanup(val);
        }
    }
    tty_restore();
    fflush(stdout);
}

/*
 * A crash must not leave the user's shell in raw mode: restore the terminal
 * (tcsetattr is async-signal-safe), then let the signal do what it would
 * have done (SA_RESETHAND put back the default action; a core dump still
 * happens).  SIGINT/SIGTERM/SIGHUP are not here: the main loop turns them
 * into a clean exit that restores the terminal itself.
 */
static void tty_fatal_signal(int sig)
{
    if (tty_saved) {
        tcsetattr(0, TCSANOW, &saved_tty);
    }
    raise(sig);
}

static void tty_install_signal_restore(void)
{
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT };
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = tty_fatal_signal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        struct sigaction old;
        /* keep a handler someone else (ASan, a debugger) installed */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

static void tty_set_raw(bool isig)
{
    if (!isatty(0) || tty_saved) {
        return;
    }
    tcgetattr(0, &saved_tty);
    tty_saved = true;
    atexit(tty_restore);
    tty_install_signal_restore();
    struct termios t = saved_tty;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;       /* the guest's \n still starts a new line */
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!isig) {
        t.c_lflag &= ~ISIG;
    }
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &t);
}

/* Hand the focused front end as much of buf as it takes now.  The bytes
 * are removed from buf before the front end sees them: its handler may
 * write, drop the peer or clear buf, and must find a consistent buffer. */
static void deliver_to(FrontEnd *fe, GByteArray *buf)
{
    if (!buf || !buf->len) {
        return;
    }
    if (!fe->read) {
        g_byte_array_set_size(buf, 0);
        return;
    }
    int n = fe->can_read ? fe->can_read(fe->opaque) : (int)buf->len;
    if (n <= 0) {
        return;
    }
    if ((guint)n > buf->len) {
        n = buf->len;
    }
    uint8_t stackbuf[4096];
    uint8_t *copy = (size_t)n <= sizeof(stackbuf) ? stackbuf : g_malloc(n);
    memcpy(copy, buf->data, n);
    g_byte_array_remove_range(buf, 0, n);
    fe->read(fe->opaque, copy, n);
    if (copy != stackbuf) {
        g_free(copy);
    }
}

static void deliver(Chardev *chr)
{
    if (chr->mux) {
        /* each front end gets what was typed while it had the focus */
        for (int i = 0; i < chr->nr_fe; i++) {
            deliver_to(&chr->fe[i], chr->fe[i].mux_pending);
        }
    } else if (chr->nr_fe && chr->pending) {
        deliver_to(&chr->fe[chr->focus], chr->pending);
    }
    if (chr->sock && chr->pending && chr->pending->len == 0) {
        chardev_socket_resume(chr);
    }
}

void chardev_feed(Chardev *chr, const uint8_t *buf, int len)
{
    g_byte_array_append(chr->pending, buf, len);
    deliver(chr);
}

void chardev_emit_event(Chardev *chr, int event)
{
    /* a handler may remove its own front end: walk a copy */
    FrontEnd fe[MAX_FRONTENDS];
    int n = chr->nr_fe;
    memcpy(fe, chr->fe, sizeof(fe));
    for (int i = 0; i < n; i++) {
        if (fe[i].event) {
            fe[i].event(fe[i].opaque, event);
        }
    }
}

void chardev_notify_writable(Chardev *chr)
{
    if (chr->want_writable) {
        chr->want_writable = false;
        chardev_emit_event(chr, CHR_EVENT_WRITABLE);
    }
}

bool chardev_deliver_pending(void)
{
    bool left = false;
    if (!chardevs) {
        return false;
    }
    GHashTableIter it;
    gpointer key, val;
    /* the stdio object may be registered under several ids: delivering
     * twice is harmless (the second call finds nothing or a full front end) */
    g_hash_table_iter_init(&it, chardevs);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        Chardev *chr = val;
        deliver(chr);
        if (chr->mux) {
            for (int i = 0; i < chr->nr_fe; i++) {
                left |= chr->fe[i].mux_pending && chr->fe[i].mux_pending->len;
            }
        } else {
            left |= chr->nr_fe && chr->pending && chr->pending->len;
        }
    }
    return left;
}

static void mux_print(const char *s)
{
    if (write(1, s, strlen(s)) < 0) {
        /* nothing sensible to do if the terminal is gone */
    }
}

static void mux_input(Chardev *chr, uint8_t c)
{
    if (chr->escape) {
        chr->escape = false;
        switch (c) {
        case 'x':
            mux_print("vireo: terminating on Ctrl-A x\r\n");
            system_shutdown_request(SHUTDOWN_CAUSE_HOST_QUIT);
            return;
        case 'h':
        case '?':
            mux_print("\r\nC-a h    print this help\r\n"
                      "C-a x    exit emulator\r\n"
                      "C-a c    switch between console and monitor\r\n"
                      "C-a C-a  sends C-a\r\n");
            return;
        case 'c': {
            /* the focus goes round the front ends that take input (a
             * debugcon or parallel port on the mux only writes) */
            int next = chr->focus;
            for (int k = 1; k <= chr->nr_fe; k++) {
                int i = (chr->focus + k) % chr->nr_fe;
                if (chr->fe[i].read) {
                    next = i;
                    break;
                }
            }
            if (next != chr->focus) {
                FrontEnd *old = &chr->fe[chr->focus];
                if (old->event) {
                    old->event(old->opaque, CHR_EVENT_MUX_OUT);
                }
                chr->focus = next;
                FrontEnd *now = &chr->fe[chr->focus];
                if (now->event) {
                    now->event(now->opaque, CHR_EVENT_MUX_IN);
                }
            } else {
                mux_print("\r\nvireo: no monitor is attached to this console\r\n");
            }
            return;
        }
        case 1:
            break;             /* literal Ctrl-A */
        default:
            return;
        }
    } else if (c == 1) {
        chr->escape = true;
        return;
    }
    if (chr->nr_fe) {
        FrontEnd *fe = &chr->fe[chr->focus];
        if (!fe->mux_pending) {
            fe->mux_pending = g_byte_array_new();
        }
        g_byte_array_append(fe->mux_pending, &c, 1);
    }
}

static gboolean stdin_ready(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    uint8_t buf[256];
    ssize_t n = read(0, buf, sizeof(buf));
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return G_SOURCE_CONTINUE;
        }
        stdin_watch = 0;
        return G_SOURCE_REMOVE;          /* EOF: stop watching */
    }
    for (ssize_t i = 0; i < n; i++) {
        if (chr->mux) {
            mux_input(chr, buf[i]);
        } else {
            g_byte_array_append(chr->pending, &buf[i], 1);
        }
    }
    deliver(chr);
    return G_SOURCE_CONTINUE;
}

static Chardev *chardev_stdio(bool mux, bool signal)
{
    if (!stdio_chr) {
        Chardev *chr = g_new0(Chardev, 1);
        chr->id = g_strdup("stdio");
        chr->kind = CHR_STDIO;
        chr->out_fd = 1;
        chr->pending = g_byte_array_new();
        chr->signal = signal;
        stdio_chr = chr;
        GIOChannel *ch = g_io_channel_unix_new(0);
        stdin_watch = g_io_add_watch(ch, G_IO_IN | G_IO_HUP, stdin_ready, chr);
        g_io_channel_unref(ch);
    }
    if (mux) {
        stdio_chr->mux = true;
    }
    tty_set_raw(!stdio_chr->mux && stdio_chr->signal);
    return stdio_chr;
}

Chardev *chardev_stdio_mux(void)
{
    return chardev_stdio(true, false);
}

static Chardev *chardev_simple(const char *id, ChrKind kind, int fd)
{
    Chardev *chr = g_new0(Chardev, 1);
    chr->id = g_strdup(id);
    chr->kind = kind;
    chr->out_fd = fd;
    chr->pending = g_byte_array_new();
    return chr;
}

static Chardev *chardev_open_file(const char *id, const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        vireo_set_error(errp, "could not open '%s': %s", path, g_strerror(errno));
        return NULL;
    }
    return chardev_simple(id, CHR_FILE, fd);
}

/* Register under id; the stdio object may be known under several ids. */
Chardev *chardev_register(Chardev *chr, const char *id, GError **errp)
{
    if (chardev_find(id)) {
        vireo_set_error(errp, "duplicate chardev id '%s'", id);
        return NULL;
    }
    if (!chardevs) {
        chardevs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
    g_hash_table_insert(chardevs, g_strdup(id), chr);
    return chr;
}

Chardev *chardev_new_from_opts(const char *opts, GError **errp)
{
    gchar **parts = g_strsplit(opts, ",", -1);
    const char *backend = parts[0];
    if (!backend || !*backend) {
        /* g_strsplit("") is { NULL }: nothing after it to read */
        vireo_set_error(errp, "chardev: a backend is required (e.g. socket,id=ID,...)");
        g_strfreev(parts);
        return NULL;
    }
    const char *id = NULL, *path = NULL, *host = NULL, *port = NULL;
    bool mux = false, signal = true, server = false, wait = true;
    Chardev *chr = NULL;
    for (gchar **p = parts + 1; *p; p++) {
        char *eq = strchr(*p, '=');
        const char *val = eq ? eq + 1 : "on";
        if (eq) {
            *eq = 0;
        }
        if (!strcmp(*p, "id")) {
            id = val;
        } else if (!strcmp(*p, "path")) {
            path = val;
        } else if (!strcmp(*p, "mux")) {
            mux = !strcmp(val, "on");
        } else if (!strcmp(*p, "signal")) {
            signal = !strcmp(val, "on");
        } else if (!strcmp(*p, "host")) {
            host = val;
        } else if (!strcmp(*p, "port")) {
            port = val;
        } else if (!strcmp(*p, "server")) {
            server = !strcmp(val, "on");
        } else if (!strcmp(*p, "wait")) {
            wait = !strcmp(val, "on");
        } else if (!strcmp(*p, "nowait")) {
            wait = false;
        } else if (!strcmp(*p, "logfile") || !strcmp(*p, "append") ||
                   !strcmp(*p, "nodelay") || !strcmp(*p, "ipv4") || !strcmp(*p, "ipv6") ||
                   (!strcmp(*p, "telnet") && strcmp(val, "on"))) {
            /* accepted for compatibility; not used */
        } else {
            vireo_set_error(errp, "chardev: unknown option '%s'", *p);
            goto out;
        }
    }
    if (!id) {
        vireo_set_error(errp, "chardev: \"id\" is required");
        goto out;
    }
    if (chardev_find(id)) {
        /* before a backend opens anything it would have to close again */
        vireo_set_error(errp, "duplicate chardev id '%s'", id);
        goto out;
    }
    if (!strcmp(backend, "stdio")) {
        chr = chardev_register(chardev_stdio(mux, signal), id, errp);
    } else if (!strcmp(backend, "null")) {
        chr = chardev_register(chardev_simple(id, CHR_NULL, -1), id, errp);
    } else if (!strcmp(backend, "file")) {
        if (!path) {
            vireo_set_error(errp, "chardev: file backend needs path=");
            goto out;
        }
        chr = chardev_open_file(id, path, errp);
        if (chr) {
            chr = chardev_register(chr, id, errp);
        }
    } else if (!strcmp(backend, "socket")) {
        if (!path && !port) {
            vireo_set_error(errp, "chardev: socket backend needs path= or host=/port=");
            goto out;
        }
        chr = chardev_socket_new(id, path, host, port, server, wait, errp);
        if (chr) {
            chr = chardev_register(chr, id, errp);
        }
    } else {
        vireo_set_error(errp, "chardev: unknown backend '%s'", backend);
    }
out:
    g_strfreev(parts);
    return chr;
}

Chardev *chardev_new_from_spec(const char *spec, const char *label, GError **errp)
{
    if (!strcmp(spec, "none")) {
        return NULL;
    }
    if (!strcmp(spec, "stdio")) {
        return chardev_register(chardev_stdio(false, true), label, errp);
    }
    if (!strcmp(spec, "mon:stdio")) {
        return chardev_register(chardev_stdio(true, false), label, errp);
    }
    if (!strcmp(spec, "null") || !strcmp(spec, "vc") || g_str_has_prefix(spec, "vc:")) {
        return chardev_register(chardev_simple(label, CHR_NULL, -1), label, errp);
    }
    if (chardev_find(label)) {
        vireo_set_error(errp, "duplicate chardev id '%s'", label);
        return NULL;
    }
    if (g_str_has_prefix(spec, "file:")) {
        Chardev *chr = chardev_open_file(label, spec + 5, errp);
        return chr ? chardev_register(chr, label, errp) : NULL;
    }
    if (g_str_has_prefix(spec, "unix:") || g_str_has_prefix(spec, "tcp:")) {
        /* "unix:PATH,opts" -> "socket,id=L,path=PATH,opts"; "tcp:H:P,opts" -> host/port */
        bool is_unix = spec[0] == 'u';
        const char *addr = spec + (is_unix ? 5 : 4);
        const char *comma = strchr(addr, ',');
        g_autofree char *where = comma ? g_strndup(addr, comma - addr) : g_strdup(addr);
        g_autofree char *opts = NULL;
        if (is_unix) {
            opts = g_strdup_printf("socket,id=%s,path=%s%s", label, where, comma ? comma : "");
        } else {
            char *colon = strrchr(where, ':');
            if (!colon || !colon[1]) {
                vireo_set_error(errp, "'%s': tcp needs HOST:PORT", spec);
                return NULL;
            }
            *colon = 0;
            opts = g_strdup_printf("socket,id=%s,host=%s,port=%s%s", label, where, colon + 1,
                                   comma ? comma : "");
        }
        return chardev_new_from_opts(opts, errp);
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        Chardev *chr = chardev_find(spec + 8);
        if (!chr) {
            vireo_set_error(errp, "chardev '%s' not found", spec + 8);
            return NULL;
        }
        return chardev_register(chr, label, errp);
    }
    vireo_set_error(errp, "'%s' is not a valid char driver", spec);
    return NULL;
}

int chardev_write(Chardev *chr, const uint8_t *buf, int len)
{
    if (!chr || chr->kind == CHR_NULL || len <= 0) {
        return len;
    }
    if (chr->kind == CHR_SOCKET) {
        return chardev_socket_write(chr, buf, len);
    }
    /* a file or the user's terminal: written at once */
    int done = 0;
    while (done < len) {
        ssize_t n = write(chr->out_fd, buf + done, len - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd p = { .fd = chr->out_fd, .events = POLLOUT };
                poll(&p, 1, 100);
                continue;
            }
            return -1;
        }
        done += n;
    }
    return len;
}

void chardev_drop_peer(Chardev *chr, const char *reason)
{
    if (chr && chr->kind == CHR_SOCKET) {
        chardev_socket_drop(chr, reason);
    }
}

static FrontEnd *frontend_find(Chardev *chr, void *opaque)
{
    for (int i = 0; i < chr->nr_fe; i++) {
        if (chr->fe[i].opaque == opaque) {
            return &chr->fe[i];
        }
    }
    return NULL;
}

static FrontEnd *frontend_get(Chardev *chr, void *opaque, GError **errp)
{
    FrontEnd *fe = frontend_find(chr, opaque);
    if (!fe) {
        if (chr->nr_fe >= MAX_FRONTENDS) {
            vireo_set_error(errp, "chardev '%s' has too many users (at most %d)", chr->id,
                            MAX_FRONTENDS);
            return NULL;
        }
        fe = &chr->fe[chr->nr_fe++];
        *fe = (FrontEnd){ .opaque = opaque };
    }
    return fe;
}

bool chardev_set_handlers(Chardev *chr, CharCanRead can_read, CharRead read, void *opaque,
                          GError **errp)
{
    if (!chr) {
        return true;
    }
    FrontEnd *fe = frontend_get(chr, opaque, errp);
    if (!fe) {
        return false;
    }
    fe->can_read = can_read;
    fe->read = read;
    if (read && chr->focus < chr->nr_fe && !chr->fe[chr->focus].read) {
        chr->focus = fe - chr->fe;  /* input goes to the first front end that reads */
    }
    return true;
}

void chardev_remove_frontend(Chardev *chr, void *opaque)
{
    FrontEnd *fe = chr ? frontend_find(chr, opaque) : NULL;
    if (!fe) {
        return;
    }
    int i = fe - chr->fe;
    if (fe->mux_pending) {
        g_byte_array_free(fe->mux_pending, TRUE);
    }
    memmove(&chr->fe[i], &chr->fe[i + 1], (chr->nr_fe - i - 1) * sizeof(FrontEnd));
    chr->nr_fe--;
    if (chr->focus > i || chr->focus >= chr->nr_fe) {
        chr->focus = chr->focus > 0 ? chr->focus - 1 : 0;
    }
}

static gboolean unregister_if(gpointer key, gpointer value, gpointer chr)
{
    return value == chr;
}

static gboolean chardev_free_cb(gpointer opaque)
{
    Chardev *chr = opaque;
    if (chr->sock) {
        chardev_socket_free(chr);
    }
    for (int i = 0; i < chr->nr_fe; i++) {
        if (chr->fe[i].mux_pending) {
            g_byte_array_free(chr->fe[i].mux_pending, TRUE);
        }
    }
    g_byte_array_free(chr->pending, TRUE);
    g_free(chr->id);
    g_free(chr);
    return G_SOURCE_REMOVE;
}

void chardev_close(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chardevs) {
        g_hash_table_foreach_remove(chardevs, unregister_if, chr);
    }
    if (chr == stdio_chr) {
        return;                  /* the terminal stays as long as Vireo runs */
    }
    /* The fds close now (a port can be listened on again at once); the
     * memory goes from the main loop, since this may run inside one of the
     * chardev's own handlers, which touch it again when they return. */
    if (chr->sock) {
        chardev_socket_shutdown(chr);
    } else if (chr->kind == CHR_FILE && chr->out_fd >= 0) {
        close(chr->out_fd);
    }
    chr->out_fd = -1;
    chr->kind = CHR_NULL;
    for (int i = 0; i < chr->nr_fe; i++) {
        chr->fe[i].read = NULL;
        chr->fe[i].event = NULL;
    }
    g_idle_add_full(G_PRIORITY_DEFAULT, chardev_free_cb, chr, NULL);
}

bool chardev_is_open(Chardev *chr)
{
    return chr && (chr->kind != CHR_SOCKET || chardev_socket_connected(chr));
}

bool chardev_set_event_handler(Chardev *chr, CharEvent event, void *opaque, GError **errp)
{
    if (!chr) {
        return true;
    }
    FrontEnd *fe = frontend_get(chr, opaque, errp);
    if (!fe) {
        return false;
    }
    fe->event = event;
    if (event && chardev_is_open(chr)) {
        event(opaque, CHR_EVENT_OPENED);
    }
    return true;
}

bool chardev_is_mux(Chardev *chr)
{
    return chr && chr->mux;
}

bool chardev_frontend_focused(Chardev *chr, void *opaque)
{
    if (!chr || !chr->mux) {
        return true;
    }
    return chr->focus < chr->nr_fe && chr->fe[chr->focus].opaque == opaque;
}

void chardev_foreach(void (*fn)(const char *id, Chardev *chr, void *opaque), void *opaque)
{
    if (!chardevs) {
        return;
    }
    GList *keys = g_list_sort(g_hash_table_get_keys(chardevs), (GCompareFunc)strcmp);
    for (GList *k = keys; k; k = k->next) {
        fn(k->data, g_hash_table_lookup(chardevs, k->data), opaque);
    }
    g_list_free(keys);
}

char *chardev_filename(Chardev *chr)
{
    switch (chr->kind) {
    case CHR_STDIO:
        return g_strdup("stdio");
    case CHR_FILE:
        return g_strdup("file");
    case CHR_SOCKET:
        return g_strdup_printf("%s%s", chardev_socket_connected(chr) ? "" : "disconnected:",
                               chardev_socket_desc(chr));
    default:
        return g_strdup("null");
    }
}
