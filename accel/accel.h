/*
 * Accelerators: how guest code runs.  TCG (accel/tcg, the translator in
 * target/x86), KVM (accel/kvm, /dev/kvm) and qtest (accel/qtest, no guest
 * code at all) implement AccelOps; everything above them (the machine, the
 * devices, the main loop, the monitors) only talks to this interface, so a
 * device model never knows which one runs the guest.
 *
 * The CPU's architectural state lives in CPUX86State for every
 * accelerator.  TCG works on it directly; KVM keeps its own copy in the
 * kernel and copies it in and out (state_get/state_put) around every exit,
 * so the monitor, gdb and the device models read and write CPUX86State as
 * they do under TCG.
 */
#ifndef ACCEL_ACCEL_H
#define ACCEL_ACCEL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "target/x86/cpu.h"

typedef struct AccelOps {
    const char *name;           /* as -accel spells it */
    const char *desc;           /* for -accel help */
    /* Open the accelerator, once, before the machine is built (qtest turns
     * the virtual clock to manual here).  False with an error when it
     * cannot run on this host (no /dev/kvm): the next one of "-accel a:b"
     * is tried. */
    bool (*init)(GError **errp);
    /* Make a vCPU known to the accelerator, after the machine is built. */
    bool (*vcpu_init)(X86CPU *cpu, GError **errp);
    /* Run the vCPU until it halts, must reset, is kicked, or has run about
     * budget instructions' worth of time.  NULL: the accelerator runs no
     * guest code (qtest). */
    CPUExitReason (*vcpu_exec)(X86CPU *cpu, int64_t budget);
    /* Make vcpu_exec return soon; callable from device code and signal-free
     * contexts. */
    void (*vcpu_kick)(X86CPU *cpu);
    /* Copy the vCPU state between the accelerator and CPUX86State (NULL
     * when CPUX86State is the state, as under TCG). */
    void (*state_get)(X86CPU *cpu);
    void (*state_put)(X86CPU *cpu);
    /* vcpu_exec may run on a thread per vCPU, without the BQL (it takes
     * the lock itself around device access).  False: the vCPUs run round
     * robin on the main thread. */
    bool vcpu_threads;
} AccelOps;

void accel_register(const AccelOps *ops);
#define ACCEL_REGISTER(ops) \
    static void __attribute__((constructor)) accel_register_##ops(void) \
    { accel_register(&(ops)); }

/* The accelerators this binary was built with, in -accel help order. */
void accel_foreach(void (*fn)(const AccelOps *ops, void *opaque), void *opaque);
const AccelOps *accel_find(const char *name);

/*
 * -accel SPEC / -machine accel=SPEC: "NAME[:NAME...][,OPTS]".  Each name in
 * turn is initialised until one works (QEMU's fallback list).  OPTS:
 * thread=single|multi (TCG: one thread for all vCPUs, or one each, the
 * default); others (tb-size=...) are accepted and ignored.  False with an
 * error naming the problem of the last candidate.
 */
bool accel_select(const char *spec, GError **errp);
/* The OPTS of one -accel NAME,OPTS (thread=...), before accel_select. */
bool accel_parse_opts(const char *opts, GError **errp);
/* The accelerator accel_select chose (NULL before). */
const AccelOps *accel_current(void);

/* Convenience wrappers on the current accelerator (no-ops when it lacks
 * the operation). */
bool accel_vcpu_init(X86CPU *cpu, GError **errp);
bool accel_runs_guest(void);
/* The vCPUs get a thread each (the accelerator can, and not thread=single). */
bool accel_vcpu_threads(void);
CPUExitReason accel_vcpu_exec(X86CPU *cpu, int64_t budget);
void accel_vcpu_kick(X86CPU *cpu);
void accel_state_get(X86CPU *cpu);
void accel_state_put(X86CPU *cpu);

#endif
