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
} ShutdownCause;

/* Guest asked for a reset; with -no-reboot it becomes a shutdown. */
void system_reset_request(ShutdownCause cause);
void system_shutdown_request(ShutdownCause cause);
/* isa-debug-exit: leave now with this status (flushes chardevs/logs). */
void system_exit_now(int status) __attribute__((noreturn));

bool vm_running(void);
void vm_stop(void);
void vm_start(void);

/* -no-reboot / -no-shutdown */
extern bool opt_no_reboot;
extern bool opt_no_shutdown;

#endif
