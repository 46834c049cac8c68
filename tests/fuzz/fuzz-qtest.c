/*
 * Fuzz the qtest protocol server: line splitting (reads of a size the
 * first byte chooses, CRLF), command lookup and every command's numbers
 * (in/out, read/write at every width, read/write/b64read/b64write/memset,
 * clock_step/clock_set, irq_intercept_in/out, set_irq_in) with hostile
 * values: huge, negative, octal, hex, trailing junk.
 *
 * The server sits on a "null" chardev (replies are dropped) registered
 * before qtest_server_init("chardev:ID"), with the qtest accelerator's
 * manual clock; input goes in with chardev_feed().  The machine is reset
 * before each input.  Two kinds of valid request are only slow, not
 * wrong, and the harness turns them into unknown commands so the fuzzer
 * does not spend its time in memcpy or in timer callbacks: transfers of
 * 64 KiB to 256 MiB (larger ones are refused by the server and stay) and
 * more than one second of virtual time per input.
 */
#include <errno.h>
#include <string.h>

#include "accel/qtest/qtest.h"
#include "chardev/chardev-int.h"
#include "hw/core/timer.h"
#include "system/runstate.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "qtest";
static Chardev *fuzz_chr;

#define FUZZ_QTEST_MAX_XFER (64u << 10)
#define FUZZ_QTEST_SERVER_MAX_XFER (256u << 20)   /* accel/qtest/qtest.c refuses more */
#define FUZZ_QTEST_TIME_BUDGET 1000000000LL       /* ns of virtual time per input */

extern ShutdownCause runstate_reset_req, runstate_shutdown_req;

static void fuzz_setup(void)
{
    GError *err = NULL;
    qtest_set_accel(true);
    fuzz_machine(16 << 20);
    fuzz_chr = chardev_new_from_opts("null,id=fuzz-qtest", &err);
    g_assert_no_error(err);
    qtest_server_init("chardev:fuzz-qtest", "none", &err);
    g_assert_no_error(err);
}

/* Numbers as the server parses them (strtoull/strtoll, base 0, all of it). */
static bool fuzz_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || !*s) {
        return false;
    }
    errno = 0;
    *v = strtoull(s, &end, 0);
    return !errno && !*end;
}

static bool fuzz_i64(const char *s, int64_t *v)
{
    char *end;
    if (!s || !*s) {
        return false;
    }
    errno = 0;
    *v = strtoll(s, &end, 0);
    return !errno && !*end;
}

/* Is this command line only slow?  *budget: virtual ns still allowed. */
static bool fuzz_line_blocked(const char *line, int64_t *now, int64_t *budget)
{
    g_autofree char *cmd = g_strdup(line);
    g_strchomp(cmd);
    g_auto(GStrv) w = g_strsplit(cmd, " ", 0);
    const char *c = w[0];
    uint64_t len;
    int64_t ns;
    if (!c) {
        return false;
    }
    if (!strcmp(c, "read") || !strcmp(c, "b64read") || !strcmp(c, "write") ||
        !strcmp(c, "b64write") || !strcmp(c, "memset")) {
        return w[1] && fuzz_u64(w[2], &len) && len > FUZZ_QTEST_MAX_XFER &&
               len <= FUZZ_QTEST_SERVER_MAX_XFER;
    }
    if (!strcmp(c, "clock_step") && w[1] && fuzz_i64(w[1], &ns)) {
        if (ns > *budget) {
            return true;
        }
        *budget -= MAX(ns, 0);
        *now += MAX(ns, 0);
        return false;
    }
    if (!strcmp(c, "clock_set") && fuzz_i64(w[1], &ns)) {
        int64_t step = ns > *now ? ns - *now : 0;
        if (step > *budget) {
            return true;
        }
        *budget -= step;
        *now = MAX(*now, ns);
        return false;
    }
    return false;
}

static void fuzz_guard(uint8_t *buf, size_t len)
{
    int64_t budget = FUZZ_QTEST_TIME_BUDGET;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n') {
            continue;
        }
        g_autofree char *line = g_strndup((const char *)buf + start, i - start);
        if (fuzz_line_blocked(line, &now, &budget)) {
            buf[start] = 'X';
        }
        start = i + 1;
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (!size) {
        return;
    }
    size_t chunk = 1 + data[0] * 4;
    GByteArray *in = g_byte_array_new();
    g_byte_array_append(in, data + 1, size - 1);
    g_byte_array_append(in, (const uint8_t *)"\n", 1);   /* end the last line */
    fuzz_guard(in->data, in->len);
    pc_machine_reset();
    for (size_t off = 0; off < in->len; off += chunk) {
        chardev_feed(fuzz_chr, in->data + off, MIN(chunk, in->len - off));
    }
    g_byte_array_free(in, TRUE);
    runstate_reset_req = runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
}
