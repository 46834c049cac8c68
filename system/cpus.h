/*
 * vCPU threads and the big lock (BQL).
 *
 * Under TCG (thread=multi, the default) every vCPU runs guest code on a
 * thread of its own; the main loop keeps the chardevs, monitors, timers
 * and bottom halves on the main thread and runs while the guest computes.
 * Device models, timers, the memory map, the translated-code cache's
 * tables, the monitors and the gdbstub are protected by one big lock, as
 * QEMU's BQL: the main thread holds it except while it sleeps in poll(),
 * a vCPU thread takes it only around device access (port and MMIO
 * dispatch, MSRs, interrupt acknowledge), TLB fills and translation.
 * Guest code on RAM runs without it.
 *
 * With -accel tcg,thread=single, under KVM and under qtest the vCPUs run
 * round robin on the main thread (main_loop.c), which holds the lock.
 */
#ifndef SYSTEM_CPUS_H
#define SYSTEM_CPUS_H

#include <stdbool.h>

#include "target/x86/cpu.h"

void bql_lock(void);
void bql_unlock(void);
/* Take the BQL if no thread holds it (never call it holding it). */
bool bql_trylock(void);
/* This thread holds the BQL. */
bool bql_locked(void);
/* Take the BQL unless this thread holds it; true if it was taken (pass
 * the result to bql_unlock_if). */
bool bql_lock_if_needed(void);
static inline void bql_unlock_if(bool taken)
{
    if (taken) {
        bql_unlock();
    }
}

/* The vCPUs run on threads of their own (started by cpus_start). */
bool cpus_threaded(void);
/* This is a vCPU thread. */
bool cpus_in_vcpu_thread(void);

/* Give each vCPU a thread (BQL held); they run while the VM runs. */
void cpus_start(X86CPU **cpus, int ncpus);
/* Stop every vCPU thread outside guest code and wait until they are
 * (main thread, BQL held); resume_all_vcpus lets them go on.  Reset uses
 * this; vm_stop waits the same way. */
void pause_all_vcpus(void);
void resume_all_vcpus(void);
/* The run state changed: wake the vCPU threads (vm_start), or make them
 * leave guest code and, from the main thread, wait until they have
 * (vm_stop). */
void cpus_runstate_changed(bool running);

#endif
