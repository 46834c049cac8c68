/* vCPU threads and the BQL: see cpus.h. */
#include "system/cpus.h"

#include <glib.h>

#include "accel/accel.h"
#include "system/runstate.h"
#include "util/log.h"

static GMutex bql;
static __thread bool bql_held;

void bql_lock(void)
{
    g_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    bql_held = false;
    g_mutex_unlock(&bql);
}

bool bql_trylock(void)
{
    if (!g_mutex_trylock(&bql)) {
        return false;
    }
    bql_held = true;
    return true;
}

bool bql_locked(void)
{
    return bql_held;
}

bool bql_lock_if_needed(void)
{
    if (bql_held) {
        return false;
    }
    bql_lock();
    return true;
}

/*
 * Instructions per x86_cpu_exec call on a vCPU thread.  Nothing depends on
 * it (kicks, interrupts and stop requests end a call at the next block),
 * it only bounds how long a vCPU goes without looking at its thread state.
 */
#define VCPU_BUDGET 1000000

typedef struct VCpu {
    X86CPU *cpu;
    GThread *thread;
    GCond cond;             /* work for a sleeping vCPU, or resume */
    bool pause_req;         /* pause_all_vcpus */
    bool parked;            /* sleeping in vcpu_thread_fn, outside guest code */
} VCpu;

static VCpu *vcpus;
static int nr_vcpus;
static GCond parked_cond;   /* a vCPU parked */
static __thread VCpu *this_vcpu;

bool cpus_threaded(void)
{
    return vcpus != NULL;
}

bool cpus_in_vcpu_thread(void)
{
    return this_vcpu != NULL;
}

static VCpu *vcpu_of(X86CPU *cpu)
{
    for (int i = 0; i < nr_vcpus; i++) {
        if (vcpus[i].cpu == cpu) {
            return &vcpus[i];
        }
    }
    return NULL;
}

/* x86_cpu_notify: an interrupt or kick for cpu (BQL held by the caller, so
 * a vCPU that checked for work under the lock cannot miss it) */
static void vcpu_notify(X86CPU *cpu)
{
    VCpu *v = vcpu_of(cpu);
    if (v) {
        g_cond_signal(&v->cond);
    }
}

/*
 * A vCPU that asked for a reset (a triple fault) or a shutdown waits for the
 * main loop to serve it, as QEMU's cpu->stop: run on, it would fault again
 * at the same instruction, over and over, until the main loop got there.
 */
static bool vcpu_can_run(VCpu *v)
{
    return !v->pause_req && vm_running() && !runstate_request_pending() &&
           x86_cpu_has_work(v->cpu);
}

static gpointer vcpu_thread_fn(gpointer opaque)
{
    VCpu *v = opaque;
    this_vcpu = v;
    current_cpu = v->cpu;
    bql_lock();
    for (;;) {
        while (!vcpu_can_run(v)) {
            v->parked = true;
            g_cond_broadcast(&parked_cond);
            g_cond_wait(&v->cond, &bql);
        }
        v->parked = false;
        bql_unlock();
        CPUExitReason r = accel_vcpu_exec(v->cpu, VCPU_BUDGET);
        bql_lock();
        if (r == CPU_EXIT_RESET) {
            /* triple fault */
            system_reset_request(SHUTDOWN_CAUSE_GUEST_PANIC);
        }
    }
    return NULL;
}

void cpus_start(X86CPU **cpus, int ncpus)
{
    g_assert(bql_locked() && !vcpus);
    if (ncpus <= 0) {
        return;
    }
    vcpus = g_new0(VCpu, ncpus);
    nr_vcpus = ncpus;
    x86_cpu_notify = vcpu_notify;
    for (int i = 0; i < ncpus; i++) {
        VCpu *v = &vcpus[i];
        v->cpu = cpus[i];
        cpus[i]->pause_yields = false;      /* PAUSE need not end a slice */
        g_cond_init(&v->cond);
        char name[16];
        g_snprintf(name, sizeof(name), "CPU %d/TCG", i);
        v->thread = g_thread_new(name, vcpu_thread_fn, v);
    }
}

static void kick_all(void)
{
    for (int i = 0; i < nr_vcpus; i++) {
        accel_vcpu_kick(vcpus[i].cpu);
        g_cond_signal(&vcpus[i].cond);
    }
}

/* Wait until every other vCPU sleeps outside guest code. */
static void wait_parked(void)
{
    for (;;) {
        bool all = true;
        for (int i = 0; i < nr_vcpus; i++) {
            if (&vcpus[i] != this_vcpu && !vcpus[i].parked) {
                all = false;
            }
        }
        if (all) {
            return;
        }
        g_cond_wait(&parked_cond, &bql);
    }
}

void pause_all_vcpus(void)
{
    if (!vcpus) {
        return;
    }
    g_assert(bql_locked());
    for (int i = 0; i < nr_vcpus; i++) {
        vcpus[i].pause_req = true;
    }
    kick_all();
    wait_parked();
}

void resume_all_vcpus(void)
{
    for (int i = 0; i < nr_vcpus; i++) {
        vcpus[i].pause_req = false;
        g_cond_signal(&vcpus[i].cond);
    }
}

void cpus_runstate_changed(bool running)
{
    if (!vcpus) {
        return;
    }
    if (running) {
        for (int i = 0; i < nr_vcpus; i++) {
            g_cond_signal(&vcpus[i].cond);
        }
        return;
    }
    kick_all();
    /* a vCPU thread that stops the VM (a debugger hook, a device) parks
     * when it returns; only the main thread waits for the others, or two
     * vCPUs stopping at once would wait for each other */
    if (!this_vcpu) {
        wait_parked();
    }
}
