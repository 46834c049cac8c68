/*
 * Decoder glue for the x87 escapes (D8-DF), WAIT and the 0F AE group
 * (FXSAVE/FXRSTOR/LDMXCSR/STMXCSR, fences, CLFLUSH).  The FPU model itself
 * lives behind x87.h so that a softfloat backend can replace it.
 */
#include "target/x86/ops.h"
#include "target/x86/x87.h"
#include "util/log.h"

/* D8-DF */
void op_fpu(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = d->mod != 3 ? insn_ea(env, d) : 0;
    x87_exec(env, d->op & 0xff, d->modrm, d->seg, ea, d->opsize == 2,
             env->segs[R_CS].selector, env->insn_start_eip);
}

/* 9B: WAIT/FWAIT */
void op_fwait(CPUX86State *env, const DecodedInsn *d)
{
    x87_fwait(env);
}

/*
 * MXCSR access (LDMXCSR/STMXCSR): #UD without CR4.OSFXSR or with CR0.EM,
 * then #NM with CR0.TS (SDM vol. 2, LDMXCSR "Protected Mode Exceptions").
 */
static void sse_state_check(CPUX86State *env)
{
    if (!(env->cr[4] & CR4_OSFXSR) || (env->cr[0] & CR0_EM)) {
        raise_exception(env, EXCP_UD);
    }
    if (env->cr[0] & CR0_TS) {
        raise_exception(env, EXCP_NM);
    }
}

/* 0F AE: group 15.  Memory forms by ModRM.reg, register forms are fences. */
void op_grp15(CPUX86State *env, const DecodedInsn *d)
{
    bool sse = env->cpuid_features & (1u << 25);
    bool sse2 = env->cpuid_features & (1u << 26);
    bool fxsr = env->cpuid_features & (1u << 24);

    if (d->prefixes & (PFX_OPSIZE | PFX_REP | PFX_REPNE)) {
        raise_exception(env, EXCP_UD);
    }
    if (d->mod == 3) {
        /* LFENCE (/5) and MFENCE (/6) are SSE2, SFENCE (/7) SSE.  One CPU
         * executing in order: ordering is already total. */
        if (((d->reg & 7) == 5 || (d->reg & 7) == 6) && sse2) {
            return;
        }
        if ((d->reg & 7) == 7 && sse) {
            return;
        }
        raise_exception(env, EXCP_UD);
    }
    uint64_t ea = insn_ea(env, d);
    /* REX.W selects FXSAVE64/FXRSTOR64; the 16/32-bit decoder has no REX yet */
    bool fx64 = (d->rex & REX_W) != 0;     /* FXSAVE64/FXRSTOR64 */
    switch (d->reg & 7) {
    case 0:
        if (!fxsr) {
            break;
        }
        x87_fxsave(env, d->seg, ea, fx64);
        return;
    case 1:
        if (!fxsr) {
            break;
        }
        x87_fxrstor(env, d->seg, ea, fx64);
        return;
    case 2: {                                           /* LDMXCSR m32 */
        if (!sse) {
            break;
        }
        sse_state_check(env);
        uint32_t v = cpu_ldl(env, d->seg, ea);
        if (v & ~X87_MXCSR_MASK) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        env->fpu.mxcsr = v;
        return;
    }
    case 3:                                             /* STMXCSR m32 */
        if (!sse) {
            break;
        }
        sse_state_check(env);
        cpu_stl(env, d->seg, ea, env->fpu.mxcsr);
        return;
    case 7:                                             /* CLFLUSH m8 */
        if (!(env->cpuid_features & (1u << 19))) {
            break;
        }
        /* no caches to flush; faults as a byte read would (SDM CLFLUSH) */
        (void)cpu_ldub(env, d->seg, ea);
        return;
    }
    vlog(LOG_UNIMP, "0f ae /%d (memory) not available at %08x\n", d->reg,
         (uint32_t)env->insn_start_eip);
    raise_exception(env, EXCP_UD);
}
