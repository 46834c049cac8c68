/*
 * Fuzz the QMP input path: the stream framer, json-glib parsing, request
 * validation and dispatch.  The input is split into reads at points the
 * first byte chooses, so objects split over reads are covered too.  The
 * harness negotiates first and sometimes not at all.  Commands that would
 * end or reset the process or the machine (quit, system_reset, ...) run
 * but their requests are cleared before the next input.
 */
#include <string.h>

#include "monitor/monitor.h"
#include "system/runstate.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "qmp";
static size_t out_bytes;

static void fuzz_out(void *opaque, const char *buf, size_t len)
{
    out_bytes += len;
}

extern ShutdownCause runstate_reset_req, runstate_shutdown_req;

static void fuzz_setup(void)
{
    fuzz_machine(16 << 20);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (!size) {
        return;
    }
    Monitor *mon = monitor_new_qmp_custom(fuzz_out, NULL);
    if (data[0] & 1) {
        static const char caps[] = "{\"execute\":\"qmp_capabilities\"}";
        monitor_feed(mon, (const uint8_t *)caps, sizeof(caps) - 1);
    }
    size_t chunk = 1 + (data[0] >> 1);
    data++;
    size--;
    for (size_t off = 0; off < size; off += chunk) {
        monitor_feed(mon, data + off, MIN(chunk, size - off));
    }
    monitor_free(mon);
    runstate_reset_req = runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
    vm_start();
}
