/* The accelerator registry and -accel selection: see accel.h. */
#include "accel/accel.h"
#include "util/log.h"

#include <string.h>

#include "util/error.h"
#include "accel/tcg/jit.h"
#include "accel/tcg/lockstep.h"

static const AccelOps *accels[8];
static unsigned nr_accels;
static const AccelOps *current;
static bool single_thread;   /* thread=multi is the default, as QEMU's MTTCG for x86 on x86 */

void accel_register(const AccelOps *ops)
{
    g_assert(nr_accels < G_N_ELEMENTS(accels));
    /* keep QEMU's listing order: kvm, qtest, tcg (alphabetical) */
    unsigned i = nr_accels++;
    while (i > 0 && strcmp(accels[i - 1]->name, ops->name) > 0) {
        accels[i] = accels[i - 1];
        i--;
    }
    accels[i] = ops;
}

void accel_foreach(void (*fn)(const AccelOps *ops, void *opaque), void *opaque)
{
    for (unsigned i = 0; i < nr_accels; i++) {
        fn(accels[i], opaque);
    }
}

const AccelOps *accel_find(const char *name)
{
    for (unsigned i = 0; i < nr_accels; i++) {
        if (!strcmp(accels[i]->name, name)) {
            return accels[i];
        }
    }
    return NULL;
}

bool accel_parse_opts(const char *opts, GError **errp)
{
    g_auto(GStrv) kv = g_strsplit(opts, ",", -1);
    int lockstep = -1;
    const char *tier = NULL, *thread = NULL;
    for (char **o = kv; *o; o++) {
        if (g_str_has_prefix(*o, "thread=")) {
            const char *v = *o + 7;
            thread = v;
            if (!strcmp(v, "single")) {
                single_thread = true;
            } else if (!strcmp(v, "multi")) {
                single_thread = false;
            } else {
                vireo_set_error(errp, "Invalid 'thread' setting %s", v);
                return false;
            }
        } else if (g_str_has_prefix(*o, "tier=")) {
            const char *v = *o + 5;
            tier = v;
            if (!strcmp(v, "0")) {
                jit_set_tier(JIT_TIER_0);
            } else if (!strcmp(v, "1")) {
                jit_set_tier(JIT_TIER_1);
            } else if (!strcmp(v, "auto")) {
                jit_set_tier(JIT_TIER_AUTO);
            } else {
                vireo_set_error(errp, "Invalid 'tier' setting %s (0, 1 or auto)", v);
                return false;
            }
        } else if (g_str_has_prefix(*o, "tb-size=")) {
            const char *v = *o + 8;
            char *end;
            guint64 mb = g_ascii_strtoull(v, &end, 10);
            if (!*v || *end || mb < 1 || mb > 65536) {
                vireo_set_error(errp, "Invalid 'tb-size' setting %s (MiB of translated code, 1..65536)", v);
                return false;
            }
            jit_set_tb_size_mb(mb);
        } else if (g_str_has_prefix(*o, "lockstep=")) {
            const char *v = *o + 9;
            if (!strcmp(v, "on")) {
                lockstep = 1;
            } else if (!strcmp(v, "off")) {
                lockstep = 0;
            } else {
                vireo_set_error(errp, "Invalid 'lockstep' setting %s (on or off)", v);
                return false;
            }
        }
    }
    if (lockstep == 1) {
        /* every block under both tiers, compared: tier 1 must be there,
         * and nothing may touch RAM or the CPU between the two runs, so
         * the vCPUs share one thread */
        if (tier && !strcmp(tier, "0")) {
            vireo_set_error(errp, "lockstep=on compares tier 0 with tier 1 and cannot be used "
                            "with tier=0");
            return false;
        }
        if (thread && !strcmp(thread, "multi")) {
            vireo_set_error(errp, "lockstep=on runs the vCPUs on one thread and cannot be used "
                            "with thread=multi");
            return false;
        }
        jit_set_tier(JIT_TIER_1);
        single_thread = true;
        lockstep_enable();
    }
    return true;
}

bool accel_select(const char *spec, GError **errp)
{
    g_autofree char *names = g_strndup(spec, strcspn(spec, ","));
    g_auto(GStrv) alts = g_strsplit(names, ":", -1);
    GError *last = NULL;
    const char *opts = spec + strlen(names);
    if (*opts && !accel_parse_opts(opts + 1, errp)) {
        return false;
    }
    for (char **a = alts; *a; a++) {
        const AccelOps *ops = accel_find(*a);
        if (!ops) {
            g_clear_error(&last);
            vireo_set_error(errp, "invalid accelerator '%s'", *a);
            return false;
        }
        if (last) {
            warn_report("%s; falling back to %s", last->message, *a);
            g_clear_error(&last);
        }
        if (!ops->init || ops->init(&last)) {
            current = ops;
            return true;
        }
    }
    g_propagate_error(errp, last);
    return false;
}

const AccelOps *accel_current(void)
{
    return current;
}

bool accel_vcpu_init(X86CPU *cpu, GError **errp)
{
    return !current || !current->vcpu_init || current->vcpu_init(cpu, errp);
}

bool accel_runs_guest(void)
{
    return current && current->vcpu_exec;
}

bool accel_vcpu_threads(void)
{
    return accel_runs_guest() && current->vcpu_threads && !single_thread;
}

CPUExitReason accel_vcpu_exec(X86CPU *cpu, int64_t budget)
{
    current_cpu = cpu;
    return current->vcpu_exec(cpu, budget);
}

void accel_vcpu_kick(X86CPU *cpu)
{
    if (current && current->vcpu_kick) {
        current->vcpu_kick(cpu);
    }
}

void accel_state_get(X86CPU *cpu)
{
    if (current && current->state_get) {
        current->state_get(cpu);
    }
}

void accel_state_put(X86CPU *cpu)
{
    if (current && current->state_put) {
        current->state_put(cpu);
    }
}
