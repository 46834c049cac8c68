/*
 * The main loop.  Single-threaded: the one thread alternates slices of
 * guest code (x86_cpu_exec) with device timers and GLib event dispatch
 * (chardev input, sockets).  While the CPU is halted the thread sleeps in
 * GLib until the next timer deadline or an fd event.  Devices therefore
 * never race the CPU and need no locks.  (KVM will bring vCPU threads and a
 * global lock; the loop's interface does not change.)
 */
#ifndef SYSTEM_MAIN_LOOP_H
#define SYSTEM_MAIN_LOOP_H

#include "target/x86/cpu.h"

/* Runs until a shutdown request is honoured; returns the exit status.
 * The NCPUS vCPUs in CPUS get slices by turns (round robin). */
int main_loop_run(X86CPU **cpus, int ncpus);

#endif
