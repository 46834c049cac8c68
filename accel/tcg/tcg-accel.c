/*
 * The TCG accelerator: guest code runs in target/x86's translator (tier 0,
 * a pre-decoded block interpreter in target/x86/exec.c, and tier 1, the
 * blocks as host code from accel/tcg/jit.c) over the block cache in
 * accel/tcg/tb-cache.c, on CPUX86State itself, so there is no state to
 * copy.
 */
#include "accel/accel.h"
#include "accel/tcg/jit.h"

static bool tcg_init(GError **errp)
{
    return jit_init(errp);
}

static CPUExitReason tcg_vcpu_exec(X86CPU *cpu, int64_t budget)
{
    return x86_cpu_exec(cpu, budget);
}

static const AccelOps tcg_accel = {
    .name = "tcg",
    .desc = "the built-in translator",
    .init = tcg_init,
    .vcpu_exec = tcg_vcpu_exec,
    .vcpu_kick = x86_cpu_kick,
    .vcpu_threads = true,
};
ACCEL_REGISTER(tcg_accel)
