/* The main loop: see main_loop.h. */
#define _GNU_SOURCE     /* ppoll */
#include "system/main_loop.h"

#include <glib.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

#include "accel/accel.h"
#include "chardev/chardev.h"
#include "hw/core/timer.h"
#include "hw/i386/pc.h"
#include "monitor/monitor.h"
#include "system/cpus.h"
#include "system/runstate.h"
#include "util/bh.h"
#include "util/log.h"

extern ShutdownCause runstate_reset_req, runstate_shutdown_req;


/* Instructions per slice: small enough that timers and input stay timely
 * (~0.1 ms at tier-0 speeds), large enough that polling costs little. */
#define SLICE_INSNS 20000

static gboolean on_signal(gpointer opaque)
{
    system_shutdown_request(SHUTDOWN_CAUSE_HOST_SIGNAL);
    return G_SOURCE_CONTINUE;
}

/* A GSource that wakes the loop at the next timer deadline and runs timers. */
static gboolean timer_prepare(GSource *s, gint *timeout)
{
    int64_t ns = timers_next_deadline_ns();
    if (ns < 0) {
        *timeout = -1;
        return FALSE;
    }
    if (ns == 0) {
        *timeout = 0;
        return TRUE;
    }
    *timeout = (gint)((ns + 999999) / 1000000);
    return FALSE;
}

static gboolean timer_check(GSource *s)
{
    return timers_next_deadline_ns() == 0;
}

static gboolean timer_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    timers_run_expired();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
    .prepare = timer_prepare,
    .check = timer_check,
    .dispatch = timer_dispatch,
};

/*
 * The main thread holds the BQL except while it sleeps in poll().  GLib
 * rounds timeouts up to milliseconds; the sleep ends at the next timer
 * deadline to the nanosecond (ppoll), so a timer due while the vCPUs run
 * fires on time rather than up to a millisecond late.
 */
static gint locked_poll(GPollFD *fds, guint nfds, gint timeout)
{
    int64_t ns = timeout < 0 ? -1 : (int64_t)timeout * 1000000;
    int64_t next = timers_next_deadline_ns();
    if (next >= 0 && (ns < 0 || next < ns)) {
        ns = next;
    }
    struct timespec ts = { ns / 1000000000, ns % 1000000000 };
    bql_unlock();
    gint r = ppoll((struct pollfd *)fds, nfds, ns < 0 ? NULL : &ts, NULL);
    bql_lock();
    return r;
}

/* Input a front end could not take yet (a full UART FIFO) is retried
 * when the guest may have made room: with vCPU threads nothing else
 * wakes the main loop for it. */
static guint retry_input_id;

static gboolean retry_input(gpointer opaque)
{
    retry_input_id = 0;
    return G_SOURCE_REMOVE;
}

static int handle_requests(void)
{
    if (runstate_shutdown_req != SHUTDOWN_CAUSE_NONE) {
        ShutdownCause c = runstate_shutdown_req;
        runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
        /* QMP clients learn why before the socket closes (or the VM stops). */
        qmp_event_shutdown(shutdown_cause_is_guest(c), shutdown_cause_name(c));
        if (c == SHUTDOWN_CAUSE_GUEST_SHUTDOWN && opt_no_shutdown) {
            vm_stop_state(RUN_STATE_SHUTDOWN);
        } else {
            pause_all_vcpus();
            return 1;
        }
    }
    if (runstate_reset_req != SHUTDOWN_CAUSE_NONE) {
        ShutdownCause c = runstate_reset_req;
        vlog(LOG_RESET, "machine reset (cause %d)\n", c);
        runstate_reset_req = SHUTDOWN_CAUSE_NONE;
        pause_all_vcpus();
        pc_machine_reset();
        resume_all_vcpus();
        /* after a reset, a VM stopped by its power-off may run again */
        if (runstate_get() == RUN_STATE_SHUTDOWN || runstate_get() == RUN_STATE_GUEST_PANICKED) {
            vm_stop_state(RUN_STATE_PAUSED);
        }
        qmp_event_reset(shutdown_cause_is_guest(c), shutdown_cause_name(c));
    }
    return 0;
}

static void timers_changed(void)
{
    /* a vCPU thread armed a timer earlier than the one poll() waits for */
    if (cpus_in_vcpu_thread()) {
        g_main_context_wakeup(NULL);
    }
}

/* vCPUs on threads of their own: this thread only serves the rest. */
static int main_loop_threaded(void)
{
    timers_set_changed_hook(timers_changed);
    for (;;) {
        if (handle_requests()) {
            return 0;
        }
        timers_run_expired();
        if (chardev_deliver_pending() && !retry_input_id) {
            retry_input_id = g_timeout_add(1, retry_input, NULL);
        }
        bh_poll();
        g_main_context_iteration(NULL, runstate_reset_req == SHUTDOWN_CAUSE_NONE &&
                                 runstate_shutdown_req == SHUTDOWN_CAUSE_NONE);
    }
}

int main_loop_run(X86CPU **cpus, int ncpus)
{
    int next = 0;       /* round robin: the CPU whose slice comes first */
    /* The main thread sleeps until the next timer deadline: without this,
     * Linux may wake it up to 50 us late (the default timer slack), and a
     * guest timer fires that much later than due. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    g_main_context_set_poll_func(NULL, locked_poll);
    GSource *ts = g_source_new(&timer_source_funcs, sizeof(GSource));
    g_source_attach(ts, NULL);
    bh_attach_main_context();
    g_unix_signal_add(SIGTERM, on_signal, NULL);
    g_unix_signal_add(SIGINT, on_signal, NULL);
    g_unix_signal_add(SIGHUP, on_signal, NULL);

    if (ncpus && accel_vcpu_threads()) {
        cpus_start(cpus, ncpus);
        return main_loop_threaded();
    }
    for (;;) {
        if (handle_requests()) {
            return 0;
        }
        bool idle = true;
        /* Every CPU in turn gets a slice (one thread for all of them, as
         * QEMU's single-threaded TCG); halted ones return at once. */
        for (int k = 0; k < ncpus && vm_running(); k++) {
            X86CPU *cpu = cpus[(next + k) % ncpus];
            CPUExitReason r = accel_vcpu_exec(cpu, SLICE_INSNS);
            if (r == CPU_EXIT_RESET) {
                system_reset_request(SHUTDOWN_CAUSE_GUEST_PANIC);
                idle = false;
                break;
            }
            if (r != CPU_EXIT_HALTED) {
                idle = false;
            }
            if (runstate_reset_req != SHUTDOWN_CAUSE_NONE ||
                runstate_shutdown_req != SHUTDOWN_CAUSE_NONE) {
                break;
            }
        }
        if (ncpus) {
            next = (next + 1) % ncpus;
        }
        /* A timer that just fired may have raised the interrupt that ends
         * the HLT: go back to the CPU before sleeping, or the guest would
         * wait for the following deadline (up to 55 ms for the PIT). */
        if (timers_run_expired()) {
            idle = false;
        }
        chardev_deliver_pending();
        if (bh_poll()) {
            idle = false;
        }
        /* Halted or stopped: sleep until a timer or fd needs us. */
        g_main_context_iteration(NULL, idle && runstate_reset_req == SHUTDOWN_CAUSE_NONE &&
                                 runstate_shutdown_req == SHUTDOWN_CAUSE_NONE);
    }
}
