/*
 * The qtest protocol server (see qtest.h and docs/qtest.md).
 *
 * Line-based, one reply per command, replies in the exact form QEMU's
 * libqtest parses ("OK", "OK 0x%04x" for in*, "OK 0x%016x" for read*,
 * "FAIL reason", "ERR reason"), plus asynchronous "IRQ raise|lower N"
 * lines for intercepted interrupt lines.  Numbers are parsed like
 * strtoul(..., 0): decimal, 0x hex or 0 octal.
 *
 * Unlike QEMU, a malformed command is answered with "FAIL ..." instead of
 * an assertion failure: the test gets a reply it can report, Vireo lives on.
 */
#include "accel/qtest/qtest.h"

#include "accel/accel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev.h"
#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/core/timer.h"

#define QTEST_MAX_IRQ 256
/* read/b64read/memset allocate what the test asks for: keep it sane */
#define QTEST_MAX_XFER (256u << 20)

static Chardev *qtest_chr;
static FILE *qtest_log_fp;
static GString *qtest_inbuf;
static GTimer *qtest_timer;
static bool qtest_opened;
static Device *qtest_intercept_dev;
static int qtest_irq_levels[QTEST_MAX_IRQ];
static bool qtest_accel;

/* Per intercepted line: what it did before we took it over. */
typedef struct QtestIrqHook {
    IRQHandler handler;
    void *opaque;
    int n;
    int num;            /* the number reported in "IRQ raise NUM" */
    IRQ *out_slot;      /* irq_intercept_out: the device's output field */
    IRQ old_target;
} QtestIrqHook;

bool qtest_enabled(void)
{
    return qtest_accel;
}

static void qtest_log(const char *dir, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void qtest_log(const char *dir, const char *fmt, ...)
{
    if (!qtest_log_fp || !qtest_opened) {
        return;
    }
    fprintf(qtest_log_fp, "[%s +%.06f] ", dir, qtest_timer ? g_timer_elapsed(qtest_timer, NULL) : 0.0);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(qtest_log_fp, fmt, ap);
    va_end(ap);
    fflush(qtest_log_fp);
}

static void qtest_send(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void qtest_send(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qtest_log("S", "%s", s);
    if (chardev_write(qtest_chr, (const uint8_t *)s, strlen(s)) == 0) {
        chardev_drop_peer(qtest_chr, "it does not read its replies");
    }
}

static void qtest_irq_report(int num, int level)
{
    if (num >= 0 && num < QTEST_MAX_IRQ && qtest_irq_levels[num] != level) {
        qtest_irq_levels[num] = level;
        qtest_send("IRQ %s %d\n", level ? "raise" : "lower", num);
    }
}

/* An intercepted input line: report the level, then let the device see it
 * as before (QEMU passes intercepted inputs through as well). */
static void qtest_irq_in_handler(void *opaque, int n, int level)
{
    QtestIrqHook *h = opaque;
    qtest_irq_report(h->num, level);
    if (h->handler) {
        h->handler(h->opaque, h->n, level);
    }
}

/* An intercepted output line: reported instead of reaching its target. */
static void qtest_irq_out_handler(void *opaque, int n, int level)
{
    qtest_irq_report(n, level);
}

/*
 * QOM-style paths name a device: "/machine/i440fx/ioapic", "ioapic",
 * "/machine/unattached/device[3]"... Vireo has no object tree, so the last
 * path component is matched against device ids, then device type names.
 * "ioapic" is the IOAPIC device (ISA IRQ n on its input n, as QEMU's); a
 * machine without one falls back to the 8259 pair, whose inputs carry the
 * ISA IRQ numbers too.
 */
typedef struct { const char *name; Device *found; bool by_type; } FindDev;

static void find_dev(Device *dev, void *opaque)
{
    FindDev *f = opaque;
    if (f->found) {
        return;
    }
    if (f->by_type ? !strcmp(dev->cls->name, f->name) : (dev->id && !strcmp(dev->id, f->name))) {
        f->found = dev;
    }
}

static Device *qtest_resolve_device(const char *path)
{
    const char *last = strrchr(path, '/');
    last = last ? last + 1 : path;
    FindDev f = { last, NULL, false };
    device_foreach(find_dev, &f);
    if (!f.found) {
        f.by_type = true;
        device_foreach(find_dev, &f);
    }
    if (!f.found && (!strcmp(last, "ioapic") || !strcmp(last, "pic"))) {
        f.name = "i8259";
        device_foreach(find_dev, &f);
    }
    return f.found;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s) {
        return false;
    }
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 0);
    return errno == 0 && *end == 0;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s) {
        return false;
    }
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 0);
    return errno == 0 && *end == 0;
}

static int hexval(char c)
{
    return g_ascii_xdigit_value(c);
}

static void cmd_irq_intercept(gchar **w, bool out)
{
    if (!w[1]) {
        qtest_send("FAIL missing device path\n");
        return;
    }
    Device *dev = qtest_resolve_device(w[1]);
    if (!dev) {
        qtest_send("FAIL Unknown device\n");
        return;
    }
    if (w[2] && !out) {
        qtest_send("FAIL Interception of named in-GPIOs not yet supported\n");
        return;
    }
    if (qtest_intercept_dev) {
        qtest_send(qtest_intercept_dev == dev ? "OK\n" : "FAIL IRQ intercept already enabled\n");
        return;
    }
    int n = out ? dev->n_gpio_out : dev->n_gpio_in;
    if (n == 0 || (w[2] && strcmp(w[2], "unnamed-gpio-out"))) {
        qtest_send("FAIL No intercepts installed\n");
        return;
    }
    for (int i = 0; i < n; i++) {
        QtestIrqHook *h = g_new0(QtestIrqHook, 1);
        h->num = i;
        if (out) {
            /* point the device's output at a line of ours */
            h->out_slot = dev->gpio_out[i];
            h->old_target = *h->out_slot;
            *h->out_slot = irq_new(qtest_irq_out_handler, h, i);
        } else {
            IRQ line = dev->gpio_in[i];
            h->handler = line->handler;
            h->opaque = line->opaque;
            h->n = line->n;
            irq_intercept(line, qtest_irq_in_handler, h, i);
        }
    }
    qtest_intercept_dev = dev;
    qtest_send("OK\n");
}

static void cmd_set_irq_in(gchar **w)
{
    int64_t num, level;
    if (!w[1] || !w[2] || !parse_i64(w[3], &num) || !parse_i64(w[4], &level)) {
        qtest_send("FAIL usage: set_irq_in PATH NAME NUM LEVEL\n");
        return;
    }
    Device *dev = qtest_resolve_device(w[1]);
    if (!dev) {
        qtest_send("FAIL Unknown device\n");
        return;
    }
    if (strcmp(w[2], "unnamed-gpio-in") || num < 0 || num >= dev->n_gpio_in) {
        qtest_send("FAIL No such input\n");
        return;
    }
    irq_set(dev->gpio_in[num], (int)level);
    qtest_send("OK\n");
}

static void cmd_pio(gchar **w)
{
    char kind = w[0][0];            /* 'i' or 'o' */
    char sz = w[0][kind == 'i' ? 2 : 3];
    unsigned size = sz == 'b' ? 1 : sz == 'w' ? 2 : 4;
    uint64_t addr, val = 0;
    if (!parse_u64(w[1], &addr) || addr > 0xffff || (kind == 'o' && !parse_u64(w[2], &val))) {
        qtest_send("FAIL bad arguments\n");
        return;
    }
    if (kind == 'o') {
        address_space_st(&address_space_io, addr, val, size);
        qtest_send("OK\n");
    } else {
        uint32_t v = address_space_ld(&address_space_io, addr, size);
        qtest_send("OK 0x%04x\n", v);
    }
}

static void cmd_mem(gchar **w)
{
    bool is_write = w[0][0] == 'w';
    char sz = w[0][is_write ? 5 : 4];
    unsigned size = sz == 'b' ? 1 : sz == 'w' ? 2 : sz == 'l' ? 4 : 8;
    uint64_t addr, val = 0;
    if (!parse_u64(w[1], &addr) || (is_write && !parse_u64(w[2], &val))) {
        qtest_send("FAIL bad arguments\n");
        return;
    }
    /* One access of the given width, as a CPU's load or store (QEMU's
     * qtest does the same): a device register sees a 4-byte writel as one
     * 4-byte write, not four byte writes. */
    if (is_write) {
        address_space_st(&address_space_memory, addr, val, size);
        qtest_send("OK\n");
    } else {
        uint64_t v = address_space_ld(&address_space_memory, addr, size);
        qtest_send("OK 0x%016" PRIx64 "\n", v);
    }
}

static bool parse_xfer(gchar **w, uint64_t *addr, uint64_t *len, bool zero_ok)
{
    if (!parse_u64(w[1], addr) || !parse_u64(w[2], len) || (!zero_ok && *len == 0)) {
        qtest_send("FAIL bad arguments\n");
        return false;
    }
    if (*len > QTEST_MAX_XFER) {
        qtest_send("FAIL size too large\n");
        return false;
    }
    return true;
}

static void cmd_read(gchar **w, bool b64)
{
    uint64_t addr, len;
    if (!parse_xfer(w, &addr, &len, b64)) {
        return;
    }
    g_autofree uint8_t *data = g_malloc(len ? len : 1);
    address_space_read(&address_space_memory, addr, data, len);
    if (b64) {
        g_autofree char *enc = g_base64_encode(data, len);
        qtest_send("OK %s\n", enc);
        return;
    }
    GString *hex = g_string_sized_new(len * 2 + 8);
    for (uint64_t i = 0; i < len; i++) {
        g_string_append_printf(hex, "%02x", data[i]);
    }
    qtest_send("OK 0x%s\n", hex->str);
    g_string_free(hex, TRUE);
}

static void cmd_write(gchar **w, bool b64)
{
    uint64_t addr, len;
    if (!parse_xfer(w, &addr, &len, true)) {
        return;
    }
    if (!w[3] || strlen(w[3]) < 3) {
        qtest_send("ERR invalid argument size\n");
        return;
    }
    g_autofree uint8_t *data = g_malloc0(len ? len : 1);
    if (b64) {
        gsize out_len = 0;
        g_autofree guchar *dec = g_base64_decode(w[3], &out_len);
        memcpy(data, dec, MIN(out_len, len));   /* short data: the rest is zero */
    } else {
        const char *hex = w[3];
        if (hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) {
            qtest_send("ERR invalid argument\n");
            return;
        }
        size_t hl = strlen(hex);
        for (uint64_t i = 0; i < len && i * 2 + 4 <= hl; i++) {
            int hi = hexval(hex[i * 2 + 2]), lo = hexval(hex[i * 2 + 3]);
            if (hi < 0 || lo < 0) {
                qtest_send("ERR invalid hex digit\n");
                return;
            }
            data[i] = hi << 4 | lo;
        }
    }
    address_space_write(&address_space_memory, addr, data, len);
    qtest_send("OK\n");
}

static void cmd_memset(gchar **w)
{
    uint64_t addr, len, pattern;
    if (!parse_xfer(w, &addr, &len, true)) {
        return;
    }
    if (!parse_u64(w[3], &pattern)) {
        qtest_send("FAIL bad arguments\n");
        return;
    }
    if (len) {
        g_autofree uint8_t *data = g_malloc(len);
        memset(data, (int)pattern, len);
        address_space_write(&address_space_memory, addr, data, len);
    }
    qtest_send("OK\n");
}

static void cmd_clock(gchar **w)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    if (!strcmp(w[0], "clock_set")) {
        int64_t ns;
        if (!parse_i64(w[1], &ns)) {
            qtest_send("FAIL bad arguments\n");
            return;
        }
        int64_t got = clock_virtual_set(ns);
        qtest_send("%s %" PRIi64 "\n", got == ns ? "OK" : "FAIL", got);
        return;
    }
    int64_t ns;
    if (w[1]) {
        if (!parse_i64(w[1], &ns)) {
            qtest_send("FAIL bad arguments\n");
            return;
        }
    } else {
        int64_t next = clock_virtual_next_deadline();
        if (next < 0) {
            qtest_send("FAIL cannot advance clock to the next deadline because there is no pending deadline\n");
            return;
        }
        ns = next > now ? next - now : 0;
    }
    int64_t got = clock_virtual_step(ns);
    if (got > now) {
        qtest_send("OK %" PRIi64 "\n", got);
    } else {
        qtest_send("FAIL could not advance time\n");
    }
}

void qtest_process_command(gchar **w)
{
    if (qtest_log_fp) {
        g_autofree char *line = g_strjoinv(" ", w);
        if (qtest_opened) {
            fprintf(qtest_log_fp, "[R +%.06f] %s\n",
                    qtest_timer ? g_timer_elapsed(qtest_timer, NULL) : 0.0, line);
        }
    }
    const char *c = w[0];
    if (!c || !*c) {
        qtest_send("FAIL Unknown command ''\n");
    } else if (!strcmp(c, "irq_intercept_in") || !strcmp(c, "irq_intercept_out")) {
        cmd_irq_intercept(w, c[14] == 'o');
    } else if (!strcmp(c, "set_irq_in")) {
        cmd_set_irq_in(w);
    } else if (!strcmp(c, "outb") || !strcmp(c, "outw") || !strcmp(c, "outl") ||
               !strcmp(c, "inb") || !strcmp(c, "inw") || !strcmp(c, "inl")) {
        cmd_pio(w);
    } else if (!strcmp(c, "writeb") || !strcmp(c, "writew") || !strcmp(c, "writel") ||
               !strcmp(c, "writeq") || !strcmp(c, "readb") || !strcmp(c, "readw") ||
               !strcmp(c, "readl") || !strcmp(c, "readq")) {
        cmd_mem(w);
    } else if (!strcmp(c, "read") || !strcmp(c, "b64read")) {
        cmd_read(w, c[0] == 'b');
    } else if (!strcmp(c, "write") || !strcmp(c, "b64write")) {
        cmd_write(w, c[0] == 'b');
    } else if (!strcmp(c, "memset")) {
        cmd_memset(w);
    } else if (!strcmp(c, "endianness")) {
        qtest_send("OK little\n");
    } else if (qtest_accel && (!strcmp(c, "clock_step") || !strcmp(c, "clock_set"))) {
        cmd_clock(w);
    } else if (!strcmp(c, "module_load")) {
        qtest_send("FAIL\n");               /* Vireo has no loadable modules */
    } else {
        qtest_send("FAIL Unknown command '%s'\n", c);
    }
}

static int qtest_can_read(void *opaque)
{
    return 4096;
}

static void qtest_read(void *opaque, const uint8_t *buf, int len)
{
    g_string_append_len(qtest_inbuf, (const char *)buf, len);
    char *nl;
    while ((nl = memchr(qtest_inbuf->str, '\n', qtest_inbuf->len))) {
        size_t n = nl - qtest_inbuf->str;
        g_autofree char *cmd = g_strndup(qtest_inbuf->str, n);
        g_string_erase(qtest_inbuf, 0, n + 1);
        g_strchomp(cmd);                      /* tolerate CRLF from socat/telnet */
        gchar **words = g_strsplit(cmd, " ", 0);
        qtest_process_command(words);
        g_strfreev(words);
    }
}

static void qtest_event(void *opaque, int event)
{
    if (event == CHR_EVENT_OPENED) {
        memset(qtest_irq_levels, 0, sizeof(qtest_irq_levels));
        g_clear_pointer(&qtest_timer, g_timer_destroy);
        qtest_timer = g_timer_new();
        qtest_opened = true;
        if (qtest_log_fp) {
            fprintf(qtest_log_fp, "[I %.06f] OPENED\n", g_timer_elapsed(qtest_timer, NULL));
        }
    } else if (event == CHR_EVENT_CLOSED) {
        qtest_opened = false;
        if (qtest_log_fp) {
            fprintf(qtest_log_fp, "[I +%.06f] CLOSED\n",
                    qtest_timer ? g_timer_elapsed(qtest_timer, NULL) : 0.0);
        }
        g_clear_pointer(&qtest_timer, g_timer_destroy);
    }
}

void qtest_set_accel(bool on)
{
    qtest_accel = on;
    clock_virtual_set_manual(on);
}

/* -accel qtest: no guest code runs; the test moves the virtual clock. */
static bool qtest_accel_init(GError **errp)
{
    qtest_set_accel(true);          /* before any device arms a virtual timer */
    return true;
}

static const AccelOps qtest_accel_ops = {
    .name = "qtest",
    .desc = "no guest code; the qtest client drives devices and the clock",
    .init = qtest_accel_init,
};
ACCEL_REGISTER(qtest_accel_ops)

bool qtest_server_init(const char *spec, const char *log_path, GError **errp)
{
    qtest_chr = chardev_new_from_spec(spec, "qtest", errp);
    if (!qtest_chr) {
        if (errp && !*errp) {
            vireo_set_error(errp, "Failed to initialize device for qtest: \"%s\"", spec);
        }
        return false;
    }
    /* As QEMU: no -qtest-log logs to stderr; "none" (or /dev/null) is silence. */
    if (!log_path) {
        qtest_log_fp = stderr;
    } else if (strcmp(log_path, "none")) {
        qtest_log_fp = fopen(log_path, "w+");
        if (!qtest_log_fp) {
            vireo_set_error(errp, "cannot open qtest log '%s': %s", log_path, g_strerror(errno));
            return false;
        }
    }
    qtest_inbuf = g_string_new("");
    return chardev_set_handlers(qtest_chr, qtest_can_read, qtest_read, NULL, errp) &&
           chardev_set_event_handler(qtest_chr, qtest_event, NULL, errp);
}
