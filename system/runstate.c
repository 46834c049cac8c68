/* VM run state and reset/shutdown requests: see runstate.h. */
#include "system/runstate.h"
#include "block/block.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev.h"
#include "hw/core/timer.h"
#include "monitor/monitor.h"
#include "system/cpus.h"
#include "target/x86/cpu.h"
#include "util/log.h"

bool opt_no_reboot;
bool opt_no_shutdown;

static RunState state = RUN_STATE_RUNNING;
ShutdownCause runstate_reset_req, runstate_shutdown_req;

/* The CPU that asked stops after its current instruction, as QEMU's
 * cpu_stop_current(): it must not run on past a reset-control write. */
static void stop_current_cpu(void)
{
    if (current_cpu) {
        __atomic_fetch_or(&current_cpu->interrupt_request, CPU_INTERRUPT_EXIT,
                          __ATOMIC_SEQ_CST);
    }
}

void system_reset_request(ShutdownCause cause)
{
    stop_current_cpu();
    if (opt_no_reboot) {
        runstate_shutdown_req = cause;
    } else {
        runstate_reset_req = cause;
    }
    g_main_context_wakeup(NULL);    /* the main loop serves it */
}

void system_shutdown_request(ShutdownCause cause)
{
    stop_current_cpu();
    runstate_shutdown_req = cause;
    g_main_context_wakeup(NULL);
}

void system_exit_now(int status)
{
    log_flush();
    blk_close_all();
    chardev_cleanup_all();
    exit(status);
}

typedef enum { PANIC_SHUTDOWN, PANIC_PAUSE, PANIC_EXIT_FAILURE, PANIC_NONE } PanicAction;
static PanicAction panic_action = PANIC_SHUTDOWN;     /* QEMU's default */

bool runstate_set_panic_action(const char *value)
{
    static const char *const names[] = { "shutdown", "pause", "exit-failure", "none" };
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (!strcmp(value, names[i])) {
            panic_action = i;
            return true;
        }
    }
    return false;
}

static void panic_event(const char *action)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "action", action);
    qmp_event_send("GUEST_PANICKED", o);
}

/* as QEMU's qemu_system_guest_panicked */
void system_guest_panicked(void)
{
    if (panic_action == PANIC_PAUSE || (panic_action == PANIC_SHUTDOWN && opt_no_shutdown)) {
        panic_event("pause");
        vm_stop_state(RUN_STATE_GUEST_PANICKED);
    } else if (panic_action == PANIC_SHUTDOWN) {
        panic_event("poweroff");
        vm_stop_state(RUN_STATE_GUEST_PANICKED);
        system_shutdown_request(SHUTDOWN_CAUSE_GUEST_PANIC);
    } else if (panic_action == PANIC_EXIT_FAILURE) {
        panic_event("poweroff");
        system_exit_now(1);
    } else {
        panic_event("run");
    }
}

bool runstate_request_pending(void)
{
    return runstate_reset_req != SHUTDOWN_CAUSE_NONE ||
           runstate_shutdown_req != SHUTDOWN_CAUSE_NONE;
}

bool vm_running(void)
{
    return state == RUN_STATE_RUNNING;
}

RunState runstate_get(void)
{
    return state;
}

const char *runstate_name(RunState s)
{
    static const char *const names[] = {
        [RUN_STATE_RUNNING] = "running",
        [RUN_STATE_PAUSED] = "paused",
        [RUN_STATE_PRELAUNCH] = "prelaunch",
        [RUN_STATE_SHUTDOWN] = "shutdown",
        [RUN_STATE_DEBUG] = "debug",
        [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
        [RUN_STATE_INTERNAL_ERROR] = "internal-error",
        [RUN_STATE_IO_ERROR] = "io-error",
    };
    return (unsigned)s < G_N_ELEMENTS(names) && names[s] ? names[s] : "unknown";
}

const char *shutdown_cause_name(ShutdownCause c)
{
    switch (c) {
    case SHUTDOWN_CAUSE_HOST_QUIT: return "host-ui";
    case SHUTDOWN_CAUSE_GUEST_SHUTDOWN: return "guest-shutdown";
    case SHUTDOWN_CAUSE_GUEST_RESET: return "guest-reset";
    case SHUTDOWN_CAUSE_GUEST_PANIC: return "guest-panic";
    case SHUTDOWN_CAUSE_HOST_QMP_QUIT: return "host-qmp-quit";
    case SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET: return "host-qmp-system-reset";
    case SHUTDOWN_CAUSE_HOST_SIGNAL: return "host-signal";
    default: return "none";
    }
}

bool shutdown_cause_is_guest(ShutdownCause c)
{
    return c == SHUTDOWN_CAUSE_GUEST_SHUTDOWN || c == SHUTDOWN_CAUSE_GUEST_RESET ||
           c == SHUTDOWN_CAUSE_GUEST_PANIC;
}

typedef struct VMChangeStateHandler {
    void (*fn)(void *opaque, bool running);
    void *opaque;
} VMChangeStateHandler;
static GArray *change_handlers;

void vm_change_state_handler_add(void (*fn)(void *opaque, bool running), void *opaque)
{
    if (!change_handlers) {
        change_handlers = g_array_new(FALSE, FALSE, sizeof(VMChangeStateHandler));
    }
    VMChangeStateHandler h = { fn, opaque };
    g_array_append_val(change_handlers, h);
}

static void vm_state_notify(bool running)
{
    for (guint i = 0; change_handlers && i < change_handlers->len; i++) {
        VMChangeStateHandler *h = &g_array_index(change_handlers, VMChangeStateHandler, i);
        h->fn(h->opaque, running);
    }
}

void vm_stop_state(RunState s)
{
    if (s == RUN_STATE_RUNNING) {
        vm_start();
        return;
    }
    if (state == RUN_STATE_RUNNING) {
        /* Called from the main loop, a monitor or the gdbstub (BQL held):
         * the vCPUs leave guest code before this returns (from a vCPU
         * thread: the others are told, this one parks when it returns). */
        state = s;
        clock_virtual_pause();
        cpus_runstate_changed(false);
        qmp_event_send("STOP", NULL);
        vm_state_notify(false);
    } else {
        state = s;
    }
}

void vm_stop(void)
{
    vm_stop_state(RUN_STATE_PAUSED);
}

void vm_start(void)
{
    if (state != RUN_STATE_RUNNING) {
        state = RUN_STATE_RUNNING;
        clock_virtual_resume();
        cpus_runstate_changed(true);
        qmp_event_send("RESUME", NULL);
        vm_state_notify(true);
    }
}
