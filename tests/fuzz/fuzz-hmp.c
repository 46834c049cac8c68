/*
 * Fuzz the human monitor: its line editor (backspace, escape sequences,
 * CR/LF/CRLF), command lookup and every command's argument parsing,
 * including x/xp formats and the expression evaluator of x, xp and print.
 * The input is split into reads at points the first byte chooses, as in
 * fuzz-qmp.  Commands that would end or reset the process or the machine
 * (quit, system_reset, ...) run, but their requests are cleared before the
 * next input; lines naming a host-side command (fuzz-hmp-guard.h) are
 * turned into unknown commands first.
 */
#include <string.h>

#include "monitor/monitor.h"
#include "system/runstate.h"
#include "util/log.h"
#include "fuzz-driver.h"
#include "fuzz-hmp-guard.h"

static const char *fuzz_name = "hmp";
static size_t out_bytes;

#define FUZZ_HMP_MAX_LINE 4096   /* the monitor's own limit (monitor/hmp.c) */

static void fuzz_out(void *opaque, const char *buf, size_t len)
{
    out_bytes += len;
}

extern ShutdownCause runstate_reset_req, runstate_shutdown_req;

static void fuzz_setup(void)
{
    fuzz_machine(16 << 20);
}

/*
 * Follow the input through the monitor's line editor and, for each line
 * that is entered, check its command word; a blocked one gets its first
 * character replaced (in buf, a copy of the input), so the edit is the
 * same and the monitor answers "unknown command".
 */
static void fuzz_guard(uint8_t *buf, size_t len)
{
    size_t *pos = g_new(size_t, FUZZ_HMP_MAX_LINE);   /* input offset of each line char */
    char *line = g_malloc(FUZZ_HMP_MAX_LINE);
    size_t n = 0;
    int esc = 0;
    bool last_cr = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        bool was_cr = last_cr;
        last_cr = false;
        if (esc == 1) {
            esc = (c == '[' || c == 'O') ? 2 : 0;
            continue;
        }
        if (esc == 2) {
            if (c >= 0x40 && c <= 0x7e) {
                esc = 0;
            }
            continue;
        }
        bool enter = false;
        switch (c) {
        case 0x1b:
            esc = 1;
            break;
        case '\r':
            last_cr = true;
            enter = true;
            break;
        case '\n':
            enter = !was_cr;
            break;
        case 0x7f:
        case 0x08:
            if (n) {
                n--;
            }
            break;
        default:
            if (c >= 0x20 && c < 0x7f && n < FUZZ_HMP_MAX_LINE) {
                pos[n] = i;
                line[n++] = c;
            }
            break;
        }
        if (enter) {
            if (fuzz_hmp_line_blocked(line, n)) {
                size_t wlen;
                buf[pos[fuzz_hmp_word(line, n, &wlen)]] = 'X';
            }
            n = 0;
        }
    }
    g_free(pos);
    g_free(line);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (!size) {
        return;
    }
    size_t chunk = 1 + data[0];
    uint8_t *buf = g_memdup2(data + 1, size - 1);
    size--;
    fuzz_guard(buf, size);
    Monitor *mon = monitor_new_hmp_custom(fuzz_out, NULL);
    for (size_t off = 0; off < size; off += chunk) {
        monitor_feed(mon, buf + off, MIN(chunk, size - off));
    }
    monitor_free(mon);
    g_free(buf);
    runstate_reset_req = runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
    log_mask = 0;        /* "log ..." must not make the next inputs slow */
    vm_start();
}
