/* VM run state and reset/shutdown requests: see runstate.h. */
#include "system/runstate.h"

#include <stdio.h>
#include <stdlib.h>

#include "chardev/chardev.h"
#include "hw/core/timer.h"
#include "util/log.h"

bool opt_no_reboot;
bool opt_no_shutdown;

static bool running = true;
ShutdownCause runstate_reset_req, runstate_shutdown_req;

void system_reset_request(ShutdownCause cause)
{
    if (opt_no_reboot) {
        runstate_shutdown_req = cause;
    } else {
        runstate_reset_req = cause;
    }
}

void system_shutdown_request(ShutdownCause cause)
{
    runstate_shutdown_req = cause;
}

void system_exit_now(int status)
{
    log_flush();
    chardev_cleanup_all();
    exit(status);
}

bool vm_running(void)
{
    return running;
}

void vm_stop(void)
{
    if (running) {
        running = false;
        clock_virtual_pause();
    }
}

void vm_start(void)
{
    if (!running) {
        running = true;
        clock_virtual_resume();
    }
}
