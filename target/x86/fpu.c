/*
 * x87 probes (see fpu.h).  Kept apart from the integer handlers so the
 * full FPU (and later a softfloat backend) replaces this file only.
 */
#include "target/x86/ops.h"
#include "target/x86/fpu.h"
#include "util/log.h"

void fpu_reset(CPUX86State *env)
{
    env->fpu.fcw = 0x037f;
    env->fpu.fsw = 0;
    env->fpu.top = 0;
    env->fpu.ftw_tag = 0xffff;
    env->fpu.fop = 0;
    env->fpu.fip = env->fpu.fdp = 0;
    env->fpu.fcs = env->fpu.fds = 0;
}

/* ESC with CR0.EM or CR0.TS set: #NM (device not available) */
static void fpu_check_nm(CPUX86State *env)
{
    if (env->cr[0] & (CR0_EM | CR0_TS)) {
        raise_exception(env, EXCP_NM);
    }
}

static void fpu_unimp(CPUX86State *env, const DecodedInsn *d)
{
    vlog(LOG_UNIMP, "x87: unimplemented opcode %02x /%d modrm %02x at %08x\n",
         d->op, d->reg, d->modrm, (uint32_t)env->insn_start_eip);
    raise_exception(env, EXCP_UD);
}

static inline uint16_t fsw_value(const CPUX86State *env)
{
    return (env->fpu.fsw & ~0x3800) | ((env->fpu.top & 7) << 11);
}

/* D8-DF */
void op_fpu(CPUX86State *env, const DecodedInsn *d)
{
    fpu_check_nm(env);
    if (d->op == 0xdb && d->modrm == 0xe3) {          /* FNINIT */
        fpu_reset(env);
        return;
    }
    if (d->op == 0xdb && d->modrm == 0xe2) {          /* FNCLEX */
        env->fpu.fsw &= 0x7f00;
        return;
    }
    if (d->op == 0xdf && d->modrm == 0xe0) {          /* FNSTSW AX */
        reg_set(env, 1, R_EAX, fsw_value(env));
        return;
    }
    if (d->mod != 3) {
        uint32_t ea = insn_ea(env, d);
        if (d->op == 0xdd && d->reg == 7) {           /* FNSTSW m16 */
            cpu_stw(env, d->seg, ea, fsw_value(env));
            return;
        }
        if (d->op == 0xd9 && d->reg == 7) {           /* FNSTCW m16 */
            cpu_stw(env, d->seg, ea, env->fpu.fcw);
            return;
        }
        if (d->op == 0xd9 && d->reg == 5) {           /* FLDCW m16 */
            env->fpu.fcw = cpu_lduw(env, d->seg, ea) | 0x40;   /* bit 6 reads as 1 */
            return;
        }
    }
    fpu_unimp(env, d);
}

/* 9B: WAIT/FWAIT — #NM only when both MP and TS are set */
void op_fwait(CPUX86State *env, const DecodedInsn *d)
{
    if ((env->cr[0] & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) {
        raise_exception(env, EXCP_NM);
    }
}

/* MMX/SSE opcodes we do not implement yet */
void op_nm_or_ud(CPUX86State *env, const DecodedInsn *d)
{
    if ((env->cr[0] & CR0_TS) && !(env->cr[0] & CR0_EM)) {
        raise_exception(env, EXCP_NM);
    }
    vlog(LOG_UNIMP, "unimplemented MMX/SSE opcode 0f %02x at %08x\n",
         d->op & 0xff, (uint32_t)env->insn_start_eip);
    raise_exception(env, EXCP_UD);
}
