/*
 * Fuzz the gdbstub: the remote serial protocol's framing ($...#cs, acks,
 * '}' escapes, Ctrl-C), no-ack mode and every packet's argument parsing
 * (g/G/p/P/m/M/X, Z/z breakpoints and watchpoints, c/s, vCont, H/T, q and
 * Q queries, qRcmd monitor commands, D/k/vKill).
 *
 * The stub is reached as gdb reaches it, through a chardev: a "null"
 * chardev (replies are dropped) handed to gdbserver_start("chardev:ID"),
 * fed with chardev_feed() in reads whose size the first byte chooses.
 * Each input is one gdb session: CHR_EVENT_OPENED before, CHR_EVENT_CLOSED
 * after (breakpoints dropped, VM resumed), and the machine is reset.
 *
 * First byte: bit 0 set = "framed": the harness wraps each '\n'-separated
 * piece of the rest in $...#cs with the right checksum, so the fuzzer
 * spends its time in the packet handlers (a piece starting with 0x03, '+'
 * or '-' goes out unwrapped); clear = the rest is sent as is.  Bit 1 starts
 * with QStartNoAckMode.  Bits 2-7 choose the read size.
 */
#include <string.h>

#include "chardev/chardev-int.h"
#include "gdbstub/gdbstub.h"
#include "system/runstate.h"
#include "util/log.h"
#include "fuzz-driver.h"
#include "fuzz-hmp-guard.h"

static const char *fuzz_name = "gdb";
static Chardev *fuzz_chr;

#define FUZZ_GDB_MAX_PACKET 4096   /* the stub drops longer packets */

extern ShutdownCause runstate_reset_req, runstate_shutdown_req;

static void fuzz_setup(void)
{
    GError *err = NULL;
    fuzz_machine(16 << 20);
    fuzz_chr = chardev_new_from_opts("null,id=fuzz-gdb", &err);
    g_assert_no_error(err);
    gdbserver_start("chardev:fuzz-gdb", &err);
    g_assert_no_error(err);
}

static void fuzz_put_packet(GByteArray *out, const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += p[i];
    }
    char tail[4];
    snprintf(tail, sizeof(tail), "#%02x", sum);
    g_byte_array_append(out, (const uint8_t *)"$", 1);
    g_byte_array_append(out, p, n);
    g_byte_array_append(out, (const uint8_t *)tail, 3);
}

/* "qRcmd,HEX" whose command the guard blocks (decoded as the stub does). */
static bool fuzz_rcmd_blocked(const GString *u)
{
    if (!g_str_has_prefix(u->str, "qRcmd,")) {
        return false;
    }
    const char *hex = u->str + 6;
    size_t n = strlen(hex) / 2;
    if (strlen(hex) % 2) {
        return false;
    }
    g_autofree char *cmd = g_malloc0(n + 1);
    for (size_t i = 0; i < n; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        cmd[i] = hi << 4 | lo;
    }
    return !memchr(cmd, 0, n) && fuzz_hmp_line_blocked(cmd, n);
}

/*
 * Follow the stream through the stub's framing; a "monitor" packet with a
 * blocked command gets an invalid checksum digit, so the stub refuses it.
 */
static void fuzz_guard(uint8_t *buf, size_t len)
{
    GString *pkt = g_string_new(NULL);
    int state = 0;
    size_t cs_pos = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (state) {
        case 0:
            if (c == '$') {
                g_string_truncate(pkt, 0);
                state = 1;
            }
            break;
        case 1:
            if (c == '#') {
                state = 2;
            } else if (pkt->len >= FUZZ_GDB_MAX_PACKET) {
                state = 0;
            } else {
                g_string_append_c(pkt, c);
            }
            break;
        case 2:
            cs_pos = i;
            state = 3;
            break;
        default: {
            state = 0;
            GString *u = g_string_sized_new(pkt->len);
            for (gsize k = 0; k < pkt->len; k++) {
                char ch = pkt->str[k];
                if (ch == '}' && k + 1 < pkt->len) {
                    ch = pkt->str[++k] ^ 0x20;
                }
                g_string_append_c(u, ch);
            }
            if (fuzz_rcmd_blocked(u)) {
                buf[cs_pos] = 'z';
            }
            g_string_free(u, TRUE);
            break;
        }
        }
    }
    g_string_free(pkt, TRUE);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (!size) {
        return;
    }
    uint8_t mode = data[0];
    size_t chunk = 1 + (mode >> 2) * 16;
    data++;
    size--;

    GByteArray *in = g_byte_array_new();
    if (mode & 2) {
        static const char noack[] = "QStartNoAckMode";
        fuzz_put_packet(in, (const uint8_t *)noack, sizeof(noack) - 1);
    }
    if (mode & 1) {
        size_t start = 0;
        for (size_t i = 0; i <= size; i++) {
            if (i < size && data[i] != '\n') {
                continue;
            }
            const uint8_t *p = data + start;
            size_t n = i - start;
            if (n && (p[0] == 0x03 || p[0] == '+' || p[0] == '-')) {
                g_byte_array_append(in, p, n);
            } else {
                fuzz_put_packet(in, p, n);
            }
            start = i + 1;
        }
    } else {
        g_byte_array_append(in, data, size);
    }
    fuzz_guard(in->data, in->len);

    pc_machine_reset();
    chardev_emit_event(fuzz_chr, CHR_EVENT_OPENED);     /* gdb connects */
    for (size_t off = 0; off < in->len; off += chunk) {
        chardev_feed(fuzz_chr, in->data + off, MIN(chunk, in->len - off));
    }
    chardev_emit_event(fuzz_chr, CHR_EVENT_CLOSED);     /* and goes away */
    g_byte_array_free(in, TRUE);
    runstate_reset_req = runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
    log_mask = 0;
    vm_start();
}
