/*
 * VM run state and the requests devices and the CPU make of the machine.
 * Requests are serviced by the main loop between CPU slices, never from
 * inside a device callback.
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include <stdbool.h>

typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_QUIT,       /* Ctrl-A x, QMP quit, SIGTERM */
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,  /* ACPI S5, ... */
    SHUTDOWN_CAUSE_GUEST_RESET,     /* port 0x92, 0xcf9, i8042 0xFE */
    SHUTDOWN_CAUSE_GUEST_PANIC,     /* triple fault */
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,   /* QMP/HMP quit */
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET, /* QMP/HMP system_reset */
    SHUTDOWN_CAUSE_HOST_SIGNAL,     /* SIGTERM, SIGINT, SIGHUP */
} ShutdownCause;

/* Run states, named as QMP's query-status reports them. */
typedef enum RunState {
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,          /* stop (QMP/HMP) */
    RUN_STATE_PRELAUNCH,       /* -S, never started */
    RUN_STATE_SHUTDOWN,        /* guest shut down with -no-shutdown */
    RUN_STATE_DEBUG,           /* stopped by the gdbstub */
    RUN_STATE_GUEST_PANICKED,
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_IO_ERROR,        /* a drive with werror/rerror=stop failed a request */
} RunState;

RunState runstate_get(void);
const char *runstate_name(RunState state);
/* QMP's ShutdownCause strings ("host-qmp-quit", "guest-reset", ...). */
const char *shutdown_cause_name(ShutdownCause cause);
/* The cause is a guest action (QMP events' "guest" member). */
bool shutdown_cause_is_guest(ShutdownCause cause);

/* Guest asked for a reset; with -no-reboot it becomes a shutdown. */
void system_reset_request(ShutdownCause cause);
void system_shutdown_request(ShutdownCause cause);
/* isa-debug-exit: leave now with this status (flushes chardevs/logs). */
void system_exit_now(int status) __attribute__((noreturn));

bool vm_running(void);
/* A reset or shutdown is asked for and the main loop has not served it yet. */
bool runstate_request_pending(void);
/* Pause the CPU and the virtual clock (state "paused"); emits QMP STOP. */
void vm_stop(void);
/* The same with another state (prelaunch, debug, shutdown...). */
void vm_stop_state(RunState state);
/* Resume; emits QMP RESUME. */
void vm_start(void);
/* fn(opaque, running) after each change between running and stopped, in
 * the main loop or under the big lock (the block layer resubmits the
 * requests a stop-on-error policy held back). */
void vm_change_state_handler_add(void (*fn)(void *opaque, bool running), void *opaque);

/* The guest says it panicked (pvpanic): QMP GUEST_PANICKED, then what
 * -action panic= asks: pause (state guest-panicked), shutdown (a shutdown
 * request, or a pause with -no-shutdown), exit-failure (exit status 1) or
 * none (keep running). */
void system_guest_panicked(void);
/* -action panic=VALUE; false for a value QEMU does not have. */
bool runstate_set_panic_action(const char *value);
/* -no-reboot / -no-shutdown */
extern bool opt_no_reboot;
extern bool opt_no_shutdown;

#endif
