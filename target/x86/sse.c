/*
 * MMX, SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2 and POPCNT: the 0F-map
 * MMX/SSE opcodes with their 66/F3/F2 mandatory-prefix variants and the
 * 0F 38 / 0F 3A maps.
 *
 * Two layers, as in x87.c:
 *
 *  1. The host backend (sse_host_*, generated into sse-host.inc by
 *     scripts/gen-sse-host.py): every data operation that computes lanes runs as the
 *     very same instruction on the host on register operands (dst in one
 *     XMM register, src in another), with the guest's MXCSR (rounding, DAZ,
 *     FTZ, masks) loaded; the host's exception flags come back to the
 *     architectural layer, and an unmasked exception faults on the host
 *     and is caught (see sse_sigfpe).  Results, NaN propagation, DAZ/FTZ
 *     and flags are therefore those of an x86 CPU.
 *     Only instructions the host implements may be advertised (cpu.c asks
 *     sse_host_features()).
 *
 *  2. The architectural layer (this file): decoding by opcode and
 *     mandatory prefix, #UD/#NM/#MF rules (CR0.EM/TS, CR4.OSFXSR, CPUID),
 *     operand fetch from XMM/MMX/general registers or memory with the
 *     16-byte alignment #GP of legacy-SSE memory operands, MXCSR flag
 *     accumulation and unmasked SIMD exceptions (#XM with CR4.OSXMMEXCPT,
 *     else #UD; destination unchanged), MMX forms (64-bit operands, x87
 *     aliasing: TOP = 0 and all tags valid), and everything that moves
 *     data between register files or to memory.
 */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "target/x86/ops.h"
#include "target/x86/sse.h"
#include "target/x86/x87.h"
#include "util/log.h"

#if !defined(__x86_64__)
#error "sse.c: the host backend needs an x86-64 host"
#endif

typedef union Vec {
    uint8_t b[16];
    int8_t sb[16];
    uint16_t w[8];
    int16_t sw[8];
    uint32_t d[4];
    int32_t sd[4];
    uint64_t q[2];
    int64_t sq[2];
    float f[4];
    double g[2];
} __attribute__((aligned(16))) Vec;

/* features, as bit numbers: 0-31 leaf 1 EDX, 32-63 leaf 1 ECX */
enum {
    FT_MMX = 23, FT_SSE = 25, FT_SSE2 = 26,
    FT_SSE3 = 32 + 0, FT_SSSE3 = 32 + 9, FT_SSE41 = 32 + 19, FT_SSE42 = 32 + 20,
    FT_POPCNT = 32 + 23,
};

static bool has_feature(const CPUX86State *env, int ft)
{
    uint32_t w = ft < 32 ? env->cpuid_features : env->cpuid_ext_features;
    return (w >> (ft & 31)) & 1;
}

/*
 * Unmasked SIMD exceptions.  When the guest unmasks some, the host runs the
 * instruction with the same masks, so an exception faults on the host
 * exactly where it would on the guest's CPU (#XM -> SIGFPE) with the flags
 * the CPU records then (pre- vs post-computation, UE without inexactness,
 * no PE after an unmasked OE...).  The handler jumps back into the host
 * backend function, which returns those flags with SSE_TRAPPED; sse.c then
 * raises #XM/#UD with the destination untouched.  The kernel gives a signal
 * handler a clean FPU state, which the jump keeps: MXCSR is the ABI default
 * again afterwards.  Other SIGFPEs go to the previous handler.
 */
#define SSE_TRAPPED 0x80000000u

static __thread sigjmp_buf *volatile sse_trap_jb;
static __thread volatile uint32_t sse_trap_mxcsr;
static struct sigaction sse_old_sigfpe;
static volatile bool sse_trap_installed;

static void sse_sigfpe(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    sigjmp_buf *jb = sse_trap_jb;
    if (jb) {
        sse_trap_mxcsr = uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->mxcsr : 0;
        sse_trap_jb = NULL;
        siglongjmp(*jb, 1);
    }
    /* not ours: hand it to whoever had SIGFPE before */
    if ((sse_old_sigfpe.sa_flags & SA_SIGINFO) && sse_old_sigfpe.sa_sigaction) {
        sse_old_sigfpe.sa_sigaction(sig, si, ucv);
        return;
    }
    if (sse_old_sigfpe.sa_handler != SIG_DFL && sse_old_sigfpe.sa_handler != SIG_IGN &&
        !(sse_old_sigfpe.sa_flags & SA_RESETHAND)) {
        sse_old_sigfpe.sa_handler(sig);
        return;
    }
    /* default or one-shot action: the faulting instruction repeats under it */
    sigaction(SIGFPE, &sse_old_sigfpe, NULL);
    sse_trap_installed = false;
}

static void sse_trap_install(void)
{
    if (!sse_trap_installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = sse_sigfpe;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGFPE, &sa, &sse_old_sigfpe);
        sse_trap_installed = true;
    }
}

static uint32_t sse_trap_flags(void)
{
    sse_trap_jb = NULL;
    return SSE_TRAPPED | (sse_trap_mxcsr & 0x3f);
}

#include "target/x86/sse-host.inc"

/* MXCSR fields */

/* ---------------- exception rules ---------------- */

/* SSE instructions with XMM operands (SDM vol. 3 13.1 and each
 * instruction's "Exceptions" section): #UD for a missing CPUID feature,
 * CR0.EM=1 or CR4.OSFXSR=0, then #NM for CR0.TS=1. */
static void sse_need(CPUX86State *env, int ft)
{
    if (!has_feature(env, ft) || (env->cr[0] & CR0_EM) || !(env->cr[4] & CR4_OSFXSR)) {
        raise_exception(env, EXCP_UD);
    }
    if (env->cr[0] & CR0_TS) {
        raise_exception(env, EXCP_NM);
    }
}

/* MMX-register forms: #UD with CR0.EM, #NM with CR0.TS, #MF for a pending
 * x87 exception; then the x87 stack becomes the MMX register file. */
static void mmx_check(CPUX86State *env, int ft)
{
    if (!has_feature(env, ft) || !has_feature(env, FT_MMX) || (env->cr[0] & CR0_EM)) {
        raise_exception(env, EXCP_UD);
    }
    if (env->cr[0] & CR0_TS) {
        raise_exception(env, EXCP_NM);
    }
    x87_mmx_check(env);
}

/* The checks, then the switch of the x87 stack to MMX use.  Paths that
 * read memory call mmx_check() first and this after the access, so a
 * faulting MMX instruction leaves the x87 state alone. */
static void mmx_need(CPUX86State *env, int ft)
{
    mmx_check(env, ft);
    x87_mmx_enter(env);
}

/*
 * Merge the flags a host operation reported into MXCSR.  If one of them is
 * unmasked the instruction faults (#XM, or #UD without CR4.OSXMMEXCPT) and
 * the destination is left alone: callers write results only when this
 * returns.
 */
static void sse_fp_flags(CPUX86State *env, uint32_t flags)
{
    env->fpu.mxcsr |= flags & MXCSR_FLAGS;
    if (flags & SSE_TRAPPED) {
        raise_exception(env, (env->cr[4] & CR4_OSXMMEXCPT) ? EXCP_XM : EXCP_UD);
    }
}

/* The MXCSR the host runs with: the guest's, without its sticky flags. */
static uint32_t host_csr(const CPUX86State *env)
{
    return env->fpu.mxcsr & ~MXCSR_FLAGS;
}

/* ---------------- operands ---------------- */

static inline int xreg(int r)
{
    return r & 15;
}

static void xmm_get(CPUX86State *env, int r, Vec *v)
{
    memcpy(v, env->fpu.xmm[xreg(r)], 16);
}

static void xmm_set(CPUX86State *env, int r, const Vec *v)
{
    memcpy(env->fpu.xmm[xreg(r)], v, 16);
}

static uint64_t ea_of(CPUX86State *env, const DecodedInsn *d)
{
    return insn_ea(env, d);
}

/* Legacy SSE: 16-byte memory operands must be aligned (#GP(0)). */
static void check_align16(CPUX86State *env, const DecodedInsn *d, uint64_t ea)
{
    if ((env->segs[d->seg].base + ea) & 15) {
        raise_exception_err(env, EXCP_GP, 0);
    }
}

/* Memory load of size bytes (2, 4, 8, 16) into a zeroed vector. */
static void mem_load(CPUX86State *env, const DecodedInsn *d, Vec *v, int size, bool align)
{
    uint64_t ea = ea_of(env, d);
    memset(v, 0, sizeof(*v));
    if (size == 16 && align) {
        check_align16(env, d, ea);
    }
    switch (size) {
    case 2: v->w[0] = cpu_lduw(env, d->seg, ea); break;
    case 4: v->d[0] = cpu_ldl(env, d->seg, ea); break;
    case 8: v->q[0] = cpu_ldq(env, d->seg, ea); break;
    default:
        v->q[0] = cpu_ldq(env, d->seg, ea);
        v->q[1] = cpu_ldq(env, d->seg, ea + 8);
        break;
    }
}

static void mem_store(CPUX86State *env, const DecodedInsn *d, const Vec *v, int size, bool align)
{
    uint64_t ea = ea_of(env, d);
    if (size == 16 && align) {
        check_align16(env, d, ea);
    }
    cpu_check_write(env, d->seg, ea, size);
    switch (size) {
    case 4: cpu_stl(env, d->seg, ea, v->d[0]); break;
    case 8: cpu_stq(env, d->seg, ea, v->q[0]); break;
    default:
        cpu_stq(env, d->seg, ea, v->q[0]);
        cpu_stq(env, d->seg, ea + 8, v->q[1]);
        break;
    }
}

/* XMM source: register, or memory of size bytes (16: aligned). */
static void xmm_src(CPUX86State *env, const DecodedInsn *d, Vec *v, int size)
{
    if (d->mod == 3) {
        xmm_get(env, d->rm, v);
    } else {
        mem_load(env, d, v, size, true);
    }
}

/* MMX source: MMn or m64, in the low half of a zeroed vector. */
static void mm_src(CPUX86State *env, const DecodedInsn *d, Vec *v)
{
    memset(v, 0, sizeof(*v));
    if (d->mod == 3) {
        v->q[0] = x87_mmx_get(env, d->rm & 7);
    } else {
        v->q[0] = cpu_ldq(env, d->seg, ea_of(env, d));
    }
}

static void mm_get(CPUX86State *env, int r, Vec *v)
{
    memset(v, 0, sizeof(*v));
    v->q[0] = x87_mmx_get(env, r & 7);
}

/* r/m32 general-register or memory operand */
static uint32_t gpr_or_mem32(CPUX86State *env, const DecodedInsn *d)
{
    if (d->mod == 3) {
        return (uint32_t)env->regs[d->rm & 15];
    }
    return cpu_ldl(env, d->seg, ea_of(env, d));
}

static void gpr_set32(CPUX86State *env, int r, uint32_t v)
{
    env->regs[r & 15] = v;      /* 32-bit destinations zero-extend */
}

/*
 * REX.W: the 64-bit general-register forms (MOVQ r/m64, CVTSI2SS r/m64,
 * CVTSS2SI r64, PEXTRQ/PINSRQ, CRC32 r64), from DecodedInsn.rex.
 */
static bool rex_w(const DecodedInsn *d)
{
    return (d->rex & REX_W) != 0;
}

static uint64_t gpr_or_mem64(CPUX86State *env, const DecodedInsn *d)
{
    if (d->mod == 3) {
        return env->regs[d->rm & 15];
    }
    return cpu_ldq(env, d->seg, ea_of(env, d));
}

static void unimp(CPUX86State *env, const DecodedInsn *d)
{
    vlog(LOG_UNIMP, "MMX/SSE: opcode %s%02x (prefix %02x) not available at %08x\n",
         d->op >= 0x300 ? "0f 3a " : d->op >= 0x200 ? "0f 38 " : "0f ", d->op & 0xff,
         d->prefixes, (uint32_t)env->insn_start_eip);
    raise_exception(env, EXCP_UD);
}

/* mandatory prefix class: 0 none, 1 66, 2 F3, 3 F2 (F2/F3 win over 66) */
static int pfx_class(const DecodedInsn *d)
{
    if (d->prefixes & PFX_REPNE) {
        return 3;
    }
    if (d->prefixes & PFX_REP) {
        return 2;
    }
    return (d->prefixes & PFX_OPSIZE) ? 1 : 0;
}

/* ---------------- generic lane operations through the host ---------------- */

/*
 * One table row per (map, opcode, prefix class) whose semantics are "dst =
 * dst OP src" on whole registers.  size: memory operand size for the XMM
 * form (16 = aligned m128).  MMX forms (class 0 of integer ops) run the
 * 128-bit host instruction on 64-bit data arranged so that the low half of
 * the result is the MMX result (see mmx_host()).
 */
enum {
    MX_NONE = 0,     /* no MMX form */
    MX_LANE,         /* lane-wise: low half of the 128-bit result */
    MX_PAIR,         /* pack/horizontal: operands combined as dst:src */
    MX_HIGH,         /* unpack high: the high dwords placed in the upper half */
    MX_SHUF,         /* PSHUFB: indices over a duplicated source */
};

typedef struct LaneOp {
    SseHostFn fn;
    uint8_t ft;          /* feature of the XMM form */
    uint8_t size;        /* memory operand bytes for the XMM form */
    uint8_t fp;          /* SIMD floating point: flags and exceptions apply */
    uint8_t mmx;         /* MX_* */
    uint8_t mmx_ft;      /* feature of the MMX form */
} LaneOp;

static void run_lane_xmm(CPUX86State *env, const DecodedInsn *d, const LaneOp *o)
{
    Vec a, b;
    sse_need(env, o->ft);
    xmm_src(env, d, &b, o->size);
    xmm_get(env, d->reg, &a);
    uint32_t fl = o->fn(&a, &b, host_csr(env), env->fpu.xmm[0]);
    if (o->fp) {
        sse_fp_flags(env, fl);
    }
    xmm_set(env, d->reg, &a);
}

static void run_lane_mmx(CPUX86State *env, const DecodedInsn *d, const LaneOp *o)
{
    Vec a, b;
    mmx_check(env, o->mmx_ft);
    mm_src(env, d, &b);
    mmx_need(env, o->mmx_ft);
    mm_get(env, d->reg, &a);
    switch (o->mmx) {
    case MX_PAIR:
        a.q[1] = b.q[0];
        b = a;
        break;
    case MX_HIGH:
        /* the 128-bit form interleaves bytes 8-15: put the MMX high
         * dwords there, so the low half of the result is the MMX one */
        a.q[1] = a.q[0] >> 32;
        b.q[1] = b.q[0] >> 32;
        break;
    case MX_SHUF:
        a.q[1] = a.q[0];
        break;
    default:
        break;
    }
    o->fn(&a, &b, host_csr(env), env->fpu.xmm[0]);
    x87_mmx_set(env, d->reg, a.q[0]);
}

#define FP 1
#define L(fn, ft, size, fp, mmx, mft) { sse_host_##fn, ft, size, fp, mmx, mft }
#define NOL { NULL, 0, 0, 0, 0, 0 }

/* 0F map, [opcode][prefix class] */
static const LaneOp lane0f[256][4] = {
    [0x14] = { L(unpcklps, FT_SSE, 16, 0, 0, 0), L(unpcklpd, FT_SSE2, 16, 0, 0, 0) },
    [0x15] = { L(unpckhps, FT_SSE, 16, 0, 0, 0), L(unpckhpd, FT_SSE2, 16, 0, 0, 0) },
    [0x51] = { L(sqrtps, FT_SSE, 16, FP, 0, 0), L(sqrtpd, FT_SSE2, 16, FP, 0, 0),
               L(sqrtss, FT_SSE, 4, FP, 0, 0), L(sqrtsd, FT_SSE2, 8, FP, 0, 0) },
    [0x52] = { L(rsqrtps, FT_SSE, 16, 0, 0, 0), NOL, L(rsqrtss, FT_SSE, 4, 0, 0, 0) },
    [0x53] = { L(rcpps, FT_SSE, 16, 0, 0, 0), NOL, L(rcpss, FT_SSE, 4, 0, 0, 0) },
    [0x54] = { L(andps, FT_SSE, 16, 0, 0, 0), L(andpd, FT_SSE2, 16, 0, 0, 0) },
    [0x55] = { L(andnps, FT_SSE, 16, 0, 0, 0), L(andnpd, FT_SSE2, 16, 0, 0, 0) },
    [0x56] = { L(orps, FT_SSE, 16, 0, 0, 0), L(orpd, FT_SSE2, 16, 0, 0, 0) },
    [0x57] = { L(xorps, FT_SSE, 16, 0, 0, 0), L(xorpd, FT_SSE2, 16, 0, 0, 0) },
#define FPROW(op, n) \
    [op] = { L(n##ps, FT_SSE, 16, FP, 0, 0), L(n##pd, FT_SSE2, 16, FP, 0, 0), \
             L(n##ss, FT_SSE, 4, FP, 0, 0), L(n##sd, FT_SSE2, 8, FP, 0, 0) }
    FPROW(0x58, add), FPROW(0x59, mul), FPROW(0x5c, sub), FPROW(0x5d, min),
    FPROW(0x5e, div), FPROW(0x5f, max),
    [0x5a] = { L(cvtps2pd, FT_SSE2, 8, FP, 0, 0), L(cvtpd2ps, FT_SSE2, 16, FP, 0, 0),
               L(cvtss2sd, FT_SSE2, 4, FP, 0, 0), L(cvtsd2ss, FT_SSE2, 8, FP, 0, 0) },
    [0x5b] = { L(cvtdq2ps, FT_SSE2, 16, FP, 0, 0), L(cvtps2dq, FT_SSE2, 16, FP, 0, 0),
               L(cvttps2dq, FT_SSE2, 16, FP, 0, 0) },
#define IROW(op, n, mmx, mft) [op] = { L(n, FT_SSE2, 16, 0, mmx, mft), L(n, FT_SSE2, 16, 0, 0, 0) }
    IROW(0x60, punpcklbw, MX_LANE, FT_MMX), IROW(0x61, punpcklwd, MX_LANE, FT_MMX),
    IROW(0x62, punpckldq, MX_LANE, FT_MMX), IROW(0x63, packsswb, MX_PAIR, FT_MMX),
    IROW(0x64, pcmpgtb, MX_LANE, FT_MMX), IROW(0x65, pcmpgtw, MX_LANE, FT_MMX),
    IROW(0x66, pcmpgtd, MX_LANE, FT_MMX), IROW(0x67, packuswb, MX_PAIR, FT_MMX),
    IROW(0x68, punpckhbw, MX_HIGH, FT_MMX), IROW(0x69, punpckhwd, MX_HIGH, FT_MMX),
    IROW(0x6a, punpckhdq, MX_HIGH, FT_MMX), IROW(0x6b, packssdw, MX_PAIR, FT_MMX),
    [0x6c] = { NOL, L(punpcklqdq, FT_SSE2, 16, 0, 0, 0) },
    [0x6d] = { NOL, L(punpckhqdq, FT_SSE2, 16, 0, 0, 0) },
    IROW(0x74, pcmpeqb, MX_LANE, FT_MMX), IROW(0x75, pcmpeqw, MX_LANE, FT_MMX),
    IROW(0x76, pcmpeqd, MX_LANE, FT_MMX),
    [0x7c] = { NOL, L(haddpd, FT_SSE3, 16, FP, 0, 0), NOL, L(haddps, FT_SSE3, 16, FP, 0, 0) },
    [0x7d] = { NOL, L(hsubpd, FT_SSE3, 16, FP, 0, 0), NOL, L(hsubps, FT_SSE3, 16, FP, 0, 0) },
    [0xd0] = { NOL, L(addsubpd, FT_SSE3, 16, FP, 0, 0), NOL, L(addsubps, FT_SSE3, 16, FP, 0, 0) },
    IROW(0xd1, psrlw, MX_LANE, FT_MMX), IROW(0xd2, psrld, MX_LANE, FT_MMX),
    IROW(0xd3, psrlq, MX_LANE, FT_MMX), IROW(0xd4, paddq, MX_LANE, FT_SSE2),
    IROW(0xd5, pmullw, MX_LANE, FT_MMX),
    IROW(0xd8, psubusb, MX_LANE, FT_MMX), IROW(0xd9, psubusw, MX_LANE, FT_MMX),
    IROW(0xda, pminub, MX_LANE, FT_SSE), IROW(0xdb, pand, MX_LANE, FT_MMX),
    IROW(0xdc, paddusb, MX_LANE, FT_MMX), IROW(0xdd, paddusw, MX_LANE, FT_MMX),
    IROW(0xde, pmaxub, MX_LANE, FT_SSE), IROW(0xdf, pandn, MX_LANE, FT_MMX),
    IROW(0xe0, pavgb, MX_LANE, FT_SSE), IROW(0xe1, psraw, MX_LANE, FT_MMX),
    IROW(0xe2, psrad, MX_LANE, FT_MMX), IROW(0xe3, pavgw, MX_LANE, FT_SSE),
    IROW(0xe4, pmulhuw, MX_LANE, FT_SSE), IROW(0xe5, pmulhw, MX_LANE, FT_MMX),
    [0xe6] = { NOL, L(cvttpd2dq, FT_SSE2, 16, FP, 0, 0), L(cvtdq2pd, FT_SSE2, 8, FP, 0, 0),
               L(cvtpd2dq, FT_SSE2, 16, FP, 0, 0) },
    IROW(0xe8, psubsb, MX_LANE, FT_MMX), IROW(0xe9, psubsw, MX_LANE, FT_MMX),
    IROW(0xea, pminsw, MX_LANE, FT_SSE), IROW(0xeb, por, MX_LANE, FT_MMX),
    IROW(0xec, paddsb, MX_LANE, FT_MMX), IROW(0xed, paddsw, MX_LANE, FT_MMX),
    IROW(0xee, pmaxsw, MX_LANE, FT_SSE), IROW(0xef, pxor, MX_LANE, FT_MMX),
    IROW(0xf1, psllw, MX_LANE, FT_MMX), IROW(0xf2, pslld, MX_LANE, FT_MMX),
    IROW(0xf3, psllq, MX_LANE, FT_MMX), IROW(0xf4, pmuludq, MX_LANE, FT_SSE2),
    IROW(0xf5, pmaddwd, MX_LANE, FT_MMX), IROW(0xf6, psadbw, MX_LANE, FT_SSE),
    IROW(0xf8, psubb, MX_LANE, FT_MMX), IROW(0xf9, psubw, MX_LANE, FT_MMX),
    IROW(0xfa, psubd, MX_LANE, FT_MMX), IROW(0xfb, psubq, MX_LANE, FT_SSE2),
    IROW(0xfc, paddb, MX_LANE, FT_MMX), IROW(0xfd, paddw, MX_LANE, FT_MMX),
    IROW(0xfe, paddd, MX_LANE, FT_MMX),
};

/* 0F 38 map: SSSE3 (MMX and 66 forms), SSE4.1/4.2 (66 only) */
#define SROW(op, n, mmx) [op] = { L(n, FT_SSSE3, 16, 0, mmx, FT_SSSE3), L(n, FT_SSSE3, 16, 0, 0, 0) }
#define R41(op, n) [op] = { NOL, L(n, FT_SSE41, 16, 0, 0, 0) }
static const LaneOp lane38[256][4] = {
    SROW(0x00, pshufb, MX_SHUF), SROW(0x01, phaddw, MX_PAIR), SROW(0x02, phaddd, MX_PAIR),
    SROW(0x03, phaddsw, MX_PAIR), SROW(0x04, pmaddubsw, MX_LANE), SROW(0x05, phsubw, MX_PAIR),
    SROW(0x06, phsubd, MX_PAIR), SROW(0x07, phsubsw, MX_PAIR), SROW(0x08, psignb, MX_LANE),
    SROW(0x09, psignw, MX_LANE), SROW(0x0a, psignd, MX_LANE), SROW(0x0b, pmulhrsw, MX_LANE),
    SROW(0x1c, pabsb, MX_LANE), SROW(0x1d, pabsw, MX_LANE), SROW(0x1e, pabsd, MX_LANE),
    R41(0x10, pblendvb), R41(0x14, blendvps), R41(0x15, blendvpd),
    R41(0x28, pmuldq), R41(0x29, pcmpeqq), R41(0x2b, packusdw),
    [0x37] = { NOL, L(pcmpgtq, FT_SSE42, 16, 0, 0, 0) },
    R41(0x38, pminsb), R41(0x39, pminsd), R41(0x3a, pminuw), R41(0x3b, pminud),
    R41(0x3c, pmaxsb), R41(0x3d, pmaxsd), R41(0x3e, pmaxuw), R41(0x3f, pmaxud),
    R41(0x40, pmulld), R41(0x41, phminposuw),
};

/* ---------------- moves and special forms, 0F map ---------------- */

static void op_movups_load(CPUX86State *env, const DecodedInsn *d, int pc)
{
    Vec v, a;
    switch (pc) {
    case 0: case 1:                       /* MOVUPS/MOVUPD xmm, xmm/m128 (unaligned) */
        sse_need(env, pc ? FT_SSE2 : FT_SSE);
        if (d->mod == 3) {
            xmm_get(env, d->rm, &v);
        } else {
            mem_load(env, d, &v, 16, false);
        }
        xmm_set(env, d->reg, &v);
        return;
    case 2: case 3: {                     /* MOVSS / MOVSD xmm, xmm/m */
        int size = pc == 2 ? 4 : 8;
        sse_need(env, pc == 2 ? FT_SSE : FT_SSE2);
        if (d->mod == 3) {
            xmm_get(env, d->rm, &v);
            xmm_get(env, d->reg, &a);
            memcpy(&a, &v, size);         /* register form merges the low lane */
        } else {
            mem_load(env, d, &a, size, false);   /* memory form zeroes the rest */
        }
        xmm_set(env, d->reg, &a);
        return;
    }
    }
}

static void op_movups_store(CPUX86State *env, const DecodedInsn *d, int pc)
{
    Vec v, a;
    xmm_get(env, d->reg, &v);
    switch (pc) {
    case 0: case 1:
        sse_need(env, pc ? FT_SSE2 : FT_SSE);
        if (d->mod == 3) {
            xmm_set(env, d->rm, &v);
        } else {
            mem_store(env, d, &v, 16, false);
        }
        return;
    case 2: case 3: {
        int size = pc == 2 ? 4 : 8;
        sse_need(env, pc == 2 ? FT_SSE : FT_SSE2);
        if (d->mod == 3) {
            xmm_get(env, d->rm, &a);
            memcpy(&a, &v, size);
            xmm_set(env, d->rm, &a);
        } else {
            mem_store(env, d, &v, size, false);
        }
        return;
    }
    }
}

/* 0F 12 / 0F 16: MOVLPS/MOVHLPS/MOVLPD/MOVDDUP/MOVSLDUP, MOVHPS/MOVLHPS/MOVHPD/MOVSHDUP */
static void op_movlh_load(CPUX86State *env, const DecodedInsn *d, int pc, bool high)
{
    Vec a, s;
    switch (pc) {
    case 0: case 1:
        sse_need(env, pc ? FT_SSE2 : FT_SSE);
        if (pc == 1 && d->mod == 3) {
            raise_exception(env, EXCP_UD);            /* MOVLPD/MOVHPD: memory only */
        }
        xmm_get(env, d->reg, &a);
        if (d->mod == 3) {
            xmm_get(env, d->rm, &s);
            if (high) {
                a.q[1] = s.q[0];                      /* MOVLHPS */
            } else {
                a.q[0] = s.q[1];                      /* MOVHLPS */
            }
        } else {
            uint64_t m = cpu_ldq(env, d->seg, ea_of(env, d));
            a.q[high] = m;
        }
        xmm_set(env, d->reg, &a);
        return;
    case 2:                                           /* MOVSLDUP / MOVSHDUP */
        sse_need(env, FT_SSE3);
        xmm_src(env, d, &s, 16);
        for (int i = 0; i < 4; i += 2) {
            a.d[i] = a.d[i + 1] = s.d[i + high];
        }
        xmm_set(env, d->reg, &a);
        return;
    case 3:                                           /* MOVDDUP xmm, xmm/m64 */
        if (high) {
            break;
        }
        sse_need(env, FT_SSE3);
        if (d->mod == 3) {
            xmm_get(env, d->rm, &s);
        } else {
            mem_load(env, d, &s, 8, false);
        }
        a.q[0] = a.q[1] = s.q[0];
        xmm_set(env, d->reg, &a);
        return;
    }
    unimp(env, d);
}

/* 0F 13 / 0F 17: MOVLPS/MOVLPD/MOVHPS/MOVHPD m64, xmm */
static void op_movlh_store(CPUX86State *env, const DecodedInsn *d, int pc, bool high)
{
    if (pc > 1 || d->mod == 3) {
        sse_need(env, FT_SSE);
        raise_exception(env, EXCP_UD);
    }
    sse_need(env, pc ? FT_SSE2 : FT_SSE);
    Vec a;
    xmm_get(env, d->reg, &a);
    uint64_t ea = ea_of(env, d);
    cpu_stq(env, d->seg, ea, a.q[high]);
}

/* ---- conversions with general or MMX registers (host backend) ---- */

static void op_cvt_2a(CPUX86State *env, const DecodedInsn *d, int pc)
{
    Vec a, s;
    uint32_t fl;
    if (pc <= 1) {                    /* CVTPI2PS / CVTPI2PD xmm, mm/m64 */
        sse_need(env, pc ? FT_SSE2 : FT_SSE);
        if (d->mod == 3) {
            mmx_need(env, FT_MMX);
        }
        mm_src(env, d, &s);
        xmm_get(env, d->reg, &a);
        if (pc) {
            fl = sse_host_cvtdq2pd(&a, &s, host_csr(env), NULL);
        } else {
            /* two int32 to the low two singles; the upper half stays */
            Vec t = a;
            fl = sse_host_cvtdq2ps(&t, &s, host_csr(env), NULL);
            a.q[0] = t.q[0];
        }
    } else {                          /* CVTSI2SS / CVTSI2SD xmm, r/m32 */
        sse_need(env, pc == 2 ? FT_SSE : FT_SSE2);
        memset(&s, 0, sizeof(s));
        xmm_get(env, d->reg, &a);
        if (rex_w(d)) {
            s.q[0] = gpr_or_mem64(env, d);
            fl = pc == 2 ? sse_host_cvtsi2ssq(&a, &s, host_csr(env), NULL)
                         : sse_host_cvtsi2sdq(&a, &s, host_csr(env), NULL);
        } else {
            s.d[0] = gpr_or_mem32(env, d);
            fl = pc == 2 ? sse_host_cvtsi2ss(&a, &s, host_csr(env), NULL)
                         : sse_host_cvtsi2sd(&a, &s, host_csr(env), NULL);
        }
    }
    sse_fp_flags(env, fl);
    xmm_set(env, d->reg, &a);
}

/* 0F 2C (truncating) / 0F 2D: to MMX (PS/PD) or r32 (SS/SD) */
static void op_cvt_2c(CPUX86State *env, const DecodedInsn *d, int pc, bool trunc)
{
    Vec a, s;
    uint32_t fl;
    memset(&a, 0, sizeof(a));
    switch (pc) {
    case 0:
        sse_need(env, FT_SSE);
        xmm_src(env, d, &s, 8);
        s.q[1] = 0;             /* only two lanes convert (and may raise flags) */
        mmx_need(env, FT_MMX);
        fl = trunc ? sse_host_cvttps2dq(&a, &s, host_csr(env), NULL)
                   : sse_host_cvtps2dq(&a, &s, host_csr(env), NULL);
        sse_fp_flags(env, fl);
        x87_mmx_set(env, d->reg, a.q[0]);
        return;
    case 1:
        sse_need(env, FT_SSE2);
        xmm_src(env, d, &s, 16);
        mmx_need(env, FT_MMX);
        fl = trunc ? sse_host_cvttpd2dq(&a, &s, host_csr(env), NULL)
                   : sse_host_cvtpd2dq(&a, &s, host_csr(env), NULL);
        sse_fp_flags(env, fl);
        x87_mmx_set(env, d->reg, a.q[0]);
        return;
    default:
        sse_need(env, pc == 2 ? FT_SSE : FT_SSE2);
        if (d->mod == 3) {
            xmm_get(env, d->rm, &s);
        } else {
            mem_load(env, d, &s, pc == 2 ? 4 : 8, false);
        }
        if (rex_w(d)) {
            fl = pc == 2 ? (trunc ? sse_host_cvttss2siq(&a, &s, host_csr(env), NULL)
                                  : sse_host_cvtss2siq(&a, &s, host_csr(env), NULL))
                         : (trunc ? sse_host_cvttsd2siq(&a, &s, host_csr(env), NULL)
                                  : sse_host_cvtsd2siq(&a, &s, host_csr(env), NULL));
            sse_fp_flags(env, fl);
            env->regs[d->reg & 15] = a.q[0];
            return;
        }
        fl = pc == 2 ? (trunc ? sse_host_cvttss2si(&a, &s, host_csr(env), NULL)
                              : sse_host_cvtss2si(&a, &s, host_csr(env), NULL))
                     : (trunc ? sse_host_cvttsd2si(&a, &s, host_csr(env), NULL)
                              : sse_host_cvtsd2si(&a, &s, host_csr(env), NULL));
        sse_fp_flags(env, fl);
        gpr_set32(env, d->reg, a.d[0]);
        return;
    }
}

/* 0F 2E/2F: UCOMISS/COMISS/UCOMISD/COMISD -> ZF PF CF, OF SF AF cleared */
static void op_comis(CPUX86State *env, const DecodedInsn *d, int pc, bool signaling)
{
    if (pc > 1) {
        unimp(env, d);
    }
    sse_need(env, pc ? FT_SSE2 : FT_SSE);
    Vec a, s;
    if (d->mod == 3) {
        xmm_get(env, d->rm, &s);
    } else {
        mem_load(env, d, &s, pc ? 8 : 4, false);
    }
    xmm_get(env, d->reg, &a);
    uint32_t zpc;
    uint32_t fl = sse_host_comis(pc, signaling, &a, &s, host_csr(env), &zpc);
    sse_fp_flags(env, fl);
    uint32_t f = cpu_compute_eflags(env) & ~CC_MASK;
    env->eflags = f | zpc;
    env->cc_op = CC_OP_EFLAGS;
}

/* 0F C2: CMPPS/CMPPD/CMPSS/CMPSD xmm, xmm/m, imm8 (predicates 0-7) */
static void op_cmpps(CPUX86State *env, const DecodedInsn *d, int pc)
{
    static const uint8_t ft[4] = { FT_SSE, FT_SSE2, FT_SSE, FT_SSE2 };
    static const uint8_t size[4] = { 16, 16, 4, 8 };
    sse_need(env, ft[pc]);
    Vec a, s;
    xmm_src(env, d, &s, size[pc]);
    xmm_get(env, d->reg, &a);
    uint32_t fl = sse_host_cmp(pc, d->imm & 7, &a, &s, host_csr(env));
    sse_fp_flags(env, fl);
    xmm_set(env, d->reg, &a);
}

/* 0F C6: SHUFPS / SHUFPD */
static void op_shufps(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (pc > 1) {
        unimp(env, d);
    }
    sse_need(env, pc ? FT_SSE2 : FT_SSE);
    Vec a, s, r;
    xmm_src(env, d, &s, 16);
    xmm_get(env, d->reg, &a);
    uint8_t imm = d->imm;
    if (pc == 0) {
        r.d[0] = a.d[imm & 3];
        r.d[1] = a.d[(imm >> 2) & 3];
        r.d[2] = s.d[(imm >> 4) & 3];
        r.d[3] = s.d[(imm >> 6) & 3];
    } else {
        r.q[0] = a.q[imm & 1];
        r.q[1] = s.q[(imm >> 1) & 1];
    }
    xmm_set(env, d->reg, &r);
}

/* 0F 50: MOVMSKPS / MOVMSKPD r32, xmm */
static void op_movmskps(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (pc > 1 || d->mod != 3) {
        unimp(env, d);
    }
    sse_need(env, pc ? FT_SSE2 : FT_SSE);
    Vec s;
    xmm_get(env, d->rm, &s);
    uint32_t m = 0;
    if (pc == 0) {
        for (int i = 0; i < 4; i++) {
            m |= (s.d[i] >> 31) << i;
        }
    } else {
        m = (uint32_t)(s.q[0] >> 63) | (uint32_t)(s.q[1] >> 63) << 1;
    }
    gpr_set32(env, d->reg, m);
}

/* 0F 28/29/2B: MOVAPS/MOVAPD (aligned), MOVNTPS/MOVNTPD */
static void op_movaps(CPUX86State *env, const DecodedInsn *d, int pc, int dir)
{
    if (pc > 1) {
        unimp(env, d);
    }
    sse_need(env, pc ? FT_SSE2 : FT_SSE);
    Vec v;
    if (dir == 0) {
        xmm_src(env, d, &v, 16);
        xmm_set(env, d->reg, &v);
        return;
    }
    if (dir == 2 && d->mod == 3) {
        raise_exception(env, EXCP_UD);
    }
    xmm_get(env, d->reg, &v);
    if (d->mod == 3) {
        xmm_set(env, d->rm, &v);
    } else {
        mem_store(env, d, &v, 16, true);
    }
}

/* 0F 6E: MOVD mm/xmm, r/m32.  0F 7E: MOVD r/m32, mm/xmm; F3 0F 7E: MOVQ xmm, xmm/m64 */
static void op_movd(CPUX86State *env, const DecodedInsn *d, int pc, bool to_vec)
{
    Vec v;
    if (pc == 2 && !to_vec) {                       /* F3 0F 7E */
        sse_need(env, FT_SSE2);
        if (d->mod == 3) {
            xmm_get(env, d->rm, &v);
            v.q[1] = 0;
        } else {
            mem_load(env, d, &v, 8, false);
        }
        xmm_set(env, d->reg, &v);
        return;
    }
    if (pc > 1) {
        unimp(env, d);
    }
    if (pc == 1) {
        sse_need(env, FT_SSE2);
    } else {
        mmx_need(env, FT_MMX);
    }
    if (to_vec) {
        memset(&v, 0, sizeof(v));
        if (rex_w(d)) {
            v.q[0] = gpr_or_mem64(env, d);          /* MOVQ mm/xmm, r/m64 */
        } else {
            v.d[0] = gpr_or_mem32(env, d);
        }
        if (pc == 1) {
            xmm_set(env, d->reg, &v);
        } else {
            x87_mmx_set(env, d->reg, v.q[0]);
        }
        return;
    }
    uint64_t x;
    if (pc == 1) {
        xmm_get(env, d->reg, &v);
        x = v.q[0];
    } else {
        x = x87_mmx_get(env, d->reg);
    }
    if (rex_w(d)) {                                 /* MOVQ r/m64, mm/xmm */
        if (d->mod == 3) {
            env->regs[d->rm & 15] = x;
        } else {
            cpu_stq(env, d->seg, ea_of(env, d), x);
        }
    } else if (d->mod == 3) {
        gpr_set32(env, d->rm, (uint32_t)x);
    } else {
        cpu_stl(env, d->seg, ea_of(env, d), (uint32_t)x);
    }
}

/* 0F 6F / 0F 7F: MOVQ mm (none), MOVDQA (66), MOVDQU (F3) */
static void op_movdq(CPUX86State *env, const DecodedInsn *d, int pc, bool store)
{
    Vec v;
    switch (pc) {
    case 0:
        if (!store) {
            mmx_check(env, FT_MMX);
            mm_src(env, d, &v);
            mmx_need(env, FT_MMX);
            x87_mmx_set(env, d->reg, v.q[0]);
        } else {
            mmx_need(env, FT_MMX);
            uint64_t x = x87_mmx_get(env, d->reg);
            if (d->mod == 3) {
                x87_mmx_set(env, d->rm, x);
            } else {
                cpu_stq(env, d->seg, ea_of(env, d), x);
            }
        }
        return;
    case 1: case 2: {
        bool align = pc == 1;
        sse_need(env, FT_SSE2);
        if (!store) {
            if (d->mod == 3) {
                xmm_get(env, d->rm, &v);
            } else {
                mem_load(env, d, &v, 16, align);
            }
            xmm_set(env, d->reg, &v);
        } else {
            xmm_get(env, d->reg, &v);
            if (d->mod == 3) {
                xmm_set(env, d->rm, &v);
            } else {
                mem_store(env, d, &v, 16, align);
            }
        }
        return;
    }
    }
    unimp(env, d);
}

/* 0F 70: PSHUFW (none), PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2) */
static void op_pshuf(CPUX86State *env, const DecodedInsn *d, int pc)
{
    Vec s, r;
    uint8_t imm = d->imm;
    if (pc == 0) {
        mmx_check(env, FT_SSE);
        mm_src(env, d, &s);
        mmx_need(env, FT_SSE);
        for (int i = 0; i < 4; i++) {
            r.w[i] = s.w[(imm >> (2 * i)) & 3];
        }
        x87_mmx_set(env, d->reg, r.q[0]);
        return;
    }
    sse_need(env, FT_SSE2);
    xmm_src(env, d, &s, 16);
    r = s;
    switch (pc) {
    case 1:
        for (int i = 0; i < 4; i++) {
            r.d[i] = s.d[(imm >> (2 * i)) & 3];
        }
        break;
    case 2:
        for (int i = 0; i < 4; i++) {
            r.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)];
        }
        break;
    default:
        for (int i = 0; i < 4; i++) {
            r.w[i] = s.w[(imm >> (2 * i)) & 3];
        }
        break;
    }
    xmm_set(env, d->reg, &r);
}

/* 0F 71/72/73: shifts by immediate; /2 logical right, /4 arithmetic right,
 * /6 left; 73 /3 PSRLDQ and /7 PSLLDQ (66 only, bytes) */
static void op_shift_imm(CPUX86State *env, const DecodedInsn *d, int pc)
{
    int grp = d->op & 0xff, reg = d->reg & 7;
    uint8_t imm = d->imm;
    if (d->mod != 3 || pc > 1) {
        unimp(env, d);
    }
    SseHostFn fn = NULL;
    switch (grp) {
    case 0x71: fn = reg == 2 ? sse_host_psrlw : reg == 4 ? sse_host_psraw : reg == 6 ? sse_host_psllw : NULL; break;
    case 0x72: fn = reg == 2 ? sse_host_psrld : reg == 4 ? sse_host_psrad : reg == 6 ? sse_host_pslld : NULL; break;
    default:   fn = reg == 2 ? sse_host_psrlq : reg == 6 ? sse_host_psllq : NULL; break;
    }
    Vec a, cnt;
    memset(&cnt, 0, sizeof(cnt));
    cnt.q[0] = imm;
    if (grp == 0x73 && (reg == 3 || reg == 7)) {
        if (pc != 1) {
            unimp(env, d);
        }
        sse_need(env, FT_SSE2);
        xmm_get(env, d->rm, &a);
        Vec r;
        memset(&r, 0, sizeof(r));
        int n = imm > 16 ? 16 : imm;
        if (reg == 3) {
            memcpy(r.b, a.b + n, 16 - n);       /* PSRLDQ */
        } else {
            memcpy(r.b + n, a.b, 16 - n);       /* PSLLDQ */
        }
        xmm_set(env, d->rm, &r);
        return;
    }
    if (!fn) {
        unimp(env, d);
    }
    if (pc == 1) {
        sse_need(env, FT_SSE2);
        xmm_get(env, d->rm, &a);
        fn(&a, &cnt, MXCSR_MASKS, NULL);
        xmm_set(env, d->rm, &a);
    } else {
        mmx_need(env, FT_MMX);
        mm_get(env, d->rm, &a);
        fn(&a, &cnt, MXCSR_MASKS, NULL);
        x87_mmx_set(env, d->rm, a.q[0]);
    }
}

/* 0F C4: PINSRW mm/xmm, r32/m16, imm8.  0F C5: PEXTRW r32, mm/xmm, imm8 */
static void op_pinsrw(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (pc > 1) {
        unimp(env, d);
    }
    uint16_t v = d->mod == 3 ? (uint16_t)env->regs[d->rm & 15]
                             : 0;
    if (pc == 1) {
        sse_need(env, FT_SSE2);
    } else {
        mmx_need(env, FT_SSE);
    }
    if (d->mod != 3) {
        v = cpu_lduw(env, d->seg, ea_of(env, d));
    }
    Vec a;
    if (pc == 1) {
        xmm_get(env, d->reg, &a);
        a.w[d->imm & 7] = v;
        xmm_set(env, d->reg, &a);
    } else {
        mm_get(env, d->reg, &a);
        a.w[d->imm & 3] = v;
        x87_mmx_set(env, d->reg, a.q[0]);
    }
}

static void op_pextrw(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (pc > 1 || d->mod != 3) {
        unimp(env, d);
    }
    Vec a;
    if (pc == 1) {
        sse_need(env, FT_SSE2);
        xmm_get(env, d->rm, &a);
        gpr_set32(env, d->reg, a.w[d->imm & 7]);
    } else {
        mmx_need(env, FT_SSE);
        mm_get(env, d->rm, &a);
        gpr_set32(env, d->reg, a.w[d->imm & 3]);
    }
}

/* 0F D7: PMOVMSKB r32, mm/xmm */
static void op_pmovmskb(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (pc > 1 || d->mod != 3) {
        unimp(env, d);
    }
    Vec a;
    int n = pc == 1 ? 16 : 8;
    if (pc == 1) {
        sse_need(env, FT_SSE2);
        xmm_get(env, d->rm, &a);
    } else {
        mmx_need(env, FT_SSE);
        mm_get(env, d->rm, &a);
    }
    uint32_t m = 0;
    for (int i = 0; i < n; i++) {
        m |= (uint32_t)(a.b[i] >> 7) << i;
    }
    gpr_set32(env, d->reg, m);
}

/* 0F D6: MOVQ xmm/m64, xmm (66); MOVQ2DQ xmm, mm (F3); MOVDQ2Q mm, xmm (F2) */
static void op_movq_d6(CPUX86State *env, const DecodedInsn *d, int pc)
{
    Vec v;
    switch (pc) {
    case 1:
        sse_need(env, FT_SSE2);
        xmm_get(env, d->reg, &v);
        v.q[1] = 0;
        if (d->mod == 3) {
            xmm_set(env, d->rm, &v);
        } else {
            mem_store(env, d, &v, 8, false);
        }
        return;
    case 2:
        if (d->mod != 3) {
            break;
        }
        sse_need(env, FT_SSE2);
        mmx_need(env, FT_MMX);
        memset(&v, 0, sizeof(v));
        v.q[0] = x87_mmx_get(env, d->rm);
        xmm_set(env, d->reg, &v);
        return;
    case 3:
        if (d->mod != 3) {
            break;
        }
        sse_need(env, FT_SSE2);
        mmx_need(env, FT_MMX);
        xmm_get(env, d->rm, &v);
        x87_mmx_set(env, d->reg, v.q[0]);
        return;
    }
    unimp(env, d);
}

/* 0F E7: MOVNTQ m64, mm / MOVNTDQ m128, xmm.  0F C3: MOVNTI m32, r32 */
static void op_movnt(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (d->mod == 3 || pc > 1) {
        unimp(env, d);
    }
    if (pc == 1) {
        sse_need(env, FT_SSE2);
        Vec v;
        xmm_get(env, d->reg, &v);
        mem_store(env, d, &v, 16, true);
    } else {
        mmx_need(env, FT_SSE);
        cpu_stq(env, d->seg, ea_of(env, d), x87_mmx_get(env, d->reg));
    }
}

/* 0F F7: MASKMOVQ mm, mm / MASKMOVDQU xmm, xmm: bytes with the mask's top
 * bit set go to DS:[EDI] (segment override honoured) */
static void op_maskmov(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (d->mod != 3 || pc > 1) {
        unimp(env, d);
    }
    Vec v, m;
    int n = pc == 1 ? 16 : 8;
    if (pc == 1) {
        sse_need(env, FT_SSE2);
        xmm_get(env, d->reg, &v);
        xmm_get(env, d->rm, &m);
    } else {
        mmx_need(env, FT_SSE);
        mm_get(env, d->reg, &v);
        mm_get(env, d->rm, &m);
    }
    uint64_t di = ad_trunc(d->adsize, env->regs[R_EDI]);
    int seg = (d->prefixes & PFX_SEG) ? d->seg : R_DS;
    for (int i = 0; i < n; i++) {
        if (m.b[i] & 0x80) {
            uint64_t a = ad_trunc(d->adsize, di + i);
            cpu_check_write(env, seg, a, 1);
        }
    }
    for (int i = 0; i < n; i++) {
        if (m.b[i] & 0x80) {
            uint64_t a = ad_trunc(d->adsize, di + i);
            cpu_stb(env, seg, a, v.b[i]);
        }
    }
}

/* F2 0F F0: LDDQU xmm, m128 (no alignment requirement) */
static void op_lddqu(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (pc != 3 || d->mod == 3) {
        unimp(env, d);
    }
    sse_need(env, FT_SSE3);
    Vec v;
    mem_load(env, d, &v, 16, false);
    xmm_set(env, d->reg, &v);
}

/* 0F 77: EMMS */
static void op_emms(CPUX86State *env, const DecodedInsn *d, int pc)
{
    if (pc != 0 || !has_feature(env, FT_MMX) || (env->cr[0] & CR0_EM)) {
        raise_exception(env, EXCP_UD);
    }
    if (env->cr[0] & CR0_TS) {
        raise_exception(env, EXCP_NM);
    }
    x87_fwait(env);         /* #MF for a pending x87 exception, as other MMX insns */
    x87_emms(env);
}

/* ---------------- 0F 38 / 0F 3A specials ---------------- */

/* 66 0F 38 20-25 / 30-35: PMOVSX / PMOVZX, memory operand of 8, 4 or 2 bytes */
static void op_pmovx(CPUX86State *env, const DecodedInsn *d)
{
    static const uint8_t msize[6] = { 8, 4, 2, 8, 4, 8 };
    int k = d->op & 7;
    bool zx = d->op & 0x10;
    if (k > 5 || pfx_class(d) != 1) {
        unimp(env, d);
    }
    sse_need(env, FT_SSE41);
    Vec s, r;
    if (d->mod == 3) {
        xmm_get(env, d->rm, &s);
    } else {
        mem_load(env, d, &s, msize[k], false);
    }
    switch (k) {
    case 0: for (int i = 0; i < 8; i++) r.w[i] = zx ? s.b[i] : (uint16_t)s.sb[i]; break;
    case 1: for (int i = 0; i < 4; i++) r.d[i] = zx ? s.b[i] : (uint32_t)s.sb[i]; break;
    case 2: for (int i = 0; i < 2; i++) r.q[i] = zx ? s.b[i] : (uint64_t)s.sb[i]; break;
    case 3: for (int i = 0; i < 4; i++) r.d[i] = zx ? s.w[i] : (uint32_t)s.sw[i]; break;
    case 4: for (int i = 0; i < 2; i++) r.q[i] = zx ? s.w[i] : (uint64_t)s.sw[i]; break;
    default: for (int i = 0; i < 2; i++) r.q[i] = zx ? s.d[i] : (uint64_t)s.sd[i]; break;
    }
    xmm_set(env, d->reg, &r);
}

/* 66 0F 38 17: PTEST -> ZF = (a & b) == 0, CF = (~a & b) == 0 */
static void op_ptest(CPUX86State *env, const DecodedInsn *d)
{
    if (pfx_class(d) != 1) {
        unimp(env, d);
    }
    sse_need(env, FT_SSE41);
    Vec a, s;
    xmm_src(env, d, &s, 16);
    xmm_get(env, d->reg, &a);
    bool z = !((a.q[0] & s.q[0]) | (a.q[1] & s.q[1]));
    bool c = !((~a.q[0] & s.q[0]) | (~a.q[1] & s.q[1]));
    env->eflags = (cpu_compute_eflags(env) & ~CC_MASK) | (z ? CC_Z : 0) | (c ? CC_C : 0);
    env->cc_op = CC_OP_EFLAGS;
}

/* 66 0F 38 2A: MOVNTDQA xmm, m128 */
static void op_movntdqa(CPUX86State *env, const DecodedInsn *d)
{
    if (pfx_class(d) != 1 || d->mod == 3) {
        unimp(env, d);
    }
    sse_need(env, FT_SSE41);
    Vec v;
    mem_load(env, d, &v, 16, true);
    xmm_set(env, d->reg, &v);
}

/* F2 0F 38 F0/F1: CRC32 r32, r/m8 / r/m16 / r/m32 (CRC-32C, reflected) */
static void op_crc32(CPUX86State *env, const DecodedInsn *d)
{
    if (!(d->prefixes & PFX_REPNE) || !has_feature(env, FT_SSE42)) {
        unimp(env, d);
    }
    int bytes = (d->op & 1) ? (rex_w(d) ? 8 : d->opsize == 1 ? 2 : 4) : 1;
    uint64_t v;
    if (bytes == 8) {
        v = gpr_or_mem64(env, d);
    } else if (d->mod == 3) {
        v = reg_get(env, bytes == 1 ? 0 : bytes == 2 ? 1 : 2, d->rm & 15);
    } else {
        v = mem_ld(env, d->seg, ea_of(env, d), bytes == 1 ? 0 : bytes == 2 ? 1 : 2);
    }
    uint32_t crc = (uint32_t)env->regs[d->reg & 15];
    for (int i = 0; i < bytes; i++) {
        crc ^= (v >> (8 * i)) & 0xff;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
        }
    }
    gpr_set32(env, d->reg, crc);
}

/* 0F 3A 0F: PALIGNR mm/xmm, mm/xmm/m, imm8 */
static void op_palignr(CPUX86State *env, const DecodedInsn *d, int pc)
{
    Vec a, s, r;
    uint8_t cat[64];
    unsigned imm = d->imm & 0xff;
    int n = pc == 1 ? 16 : 8;
    if (pc == 1) {
        sse_need(env, FT_SSSE3);
        xmm_src(env, d, &s, 16);
        xmm_get(env, d->reg, &a);
    } else if (pc == 0) {
        mmx_need(env, FT_SSSE3);
        mm_src(env, d, &s);
        mm_get(env, d->reg, &a);
    } else {
        unimp(env, d);
    }
    memset(cat, 0, sizeof(cat));
    memcpy(cat, s.b, n);
    memcpy(cat + n, a.b, n);
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < n; i++) {
        unsigned k = imm + i;
        r.b[i] = k < 2u * n ? cat[k] : 0;
    }
    if (pc == 1) {
        xmm_set(env, d->reg, &r);
    } else {
        x87_mmx_set(env, d->reg, r.q[0]);
    }
}

/* 66 0F 3A 0C/0D/0E: BLENDPS / BLENDPD / PBLENDW */
static void op_blend_imm(CPUX86State *env, const DecodedInsn *d)
{
    sse_need(env, FT_SSE41);
    Vec a, s;
    xmm_src(env, d, &s, 16);
    xmm_get(env, d->reg, &a);
    uint8_t imm = d->imm;
    switch (d->op & 0xff) {
    case 0x0c: for (int i = 0; i < 4; i++) if (imm & (1 << i)) a.d[i] = s.d[i]; break;
    case 0x0d: for (int i = 0; i < 2; i++) if (imm & (1 << i)) a.q[i] = s.q[i]; break;
    default:   for (int i = 0; i < 8; i++) if (imm & (1 << i)) a.w[i] = s.w[i]; break;
    }
    xmm_set(env, d->reg, &a);
}

/* 66 0F 3A 14-17: PEXTRB/PEXTRW/PEXTRD/EXTRACTPS r32/m, xmm, imm8 */
static void op_pextr(CPUX86State *env, const DecodedInsn *d)
{
    sse_need(env, FT_SSE41);
    Vec a;
    xmm_get(env, d->reg, &a);
    uint8_t imm = d->imm;
    uint32_t v;
    int ot;
    if ((d->op & 0xff) == 0x16 && rex_w(d)) {        /* PEXTRQ r/m64 */
        if (d->mod == 3) {
            env->regs[d->rm & 15] = a.q[imm & 1];
        } else {
            cpu_stq(env, d->seg, ea_of(env, d), a.q[imm & 1]);
        }
        return;
    }
    switch (d->op & 0xff) {
    case 0x14: v = a.b[imm & 15]; ot = 0; break;
    case 0x15: v = a.w[imm & 7]; ot = 1; break;
    default:   v = a.d[imm & 3]; ot = 2; break;
    }
    if (d->mod == 3) {
        gpr_set32(env, d->rm, v);
    } else {
        mem_st(env, d->seg, ea_of(env, d), ot, v);
    }
}

/* 66 0F 3A 20/21/22: PINSRB / INSERTPS / PINSRD */
static void op_pinsr(CPUX86State *env, const DecodedInsn *d)
{
    sse_need(env, FT_SSE41);
    Vec a, s;
    uint8_t imm = d->imm;
    xmm_get(env, d->reg, &a);
    switch (d->op & 0xff) {
    case 0x20:
        a.b[imm & 15] = d->mod == 3 ? (uint8_t)env->regs[d->rm & 15]
                                    : cpu_ldub(env, d->seg, ea_of(env, d));
        break;
    case 0x22:
        if (rex_w(d)) {
            a.q[imm & 1] = gpr_or_mem64(env, d);     /* PINSRQ */
        } else {
            a.d[imm & 3] = gpr_or_mem32(env, d);
        }
        break;
    default: {                                   /* INSERTPS */
        uint32_t v;
        if (d->mod == 3) {
            xmm_get(env, d->rm, &s);
            v = s.d[(imm >> 6) & 3];
        } else {
            v = cpu_ldl(env, d->seg, ea_of(env, d));
        }
        a.d[(imm >> 4) & 3] = v;
        for (int i = 0; i < 4; i++) {
            if (imm & (1 << i)) {
                a.d[i] = 0;
            }
        }
        break;
    }
    }
    xmm_set(env, d->reg, &a);
}

/* 66 0F 3A 42: MPSADBW */
static void op_mpsadbw(CPUX86State *env, const DecodedInsn *d)
{
    sse_need(env, FT_SSE41);
    Vec a, s, r;
    xmm_src(env, d, &s, 16);
    xmm_get(env, d->reg, &a);
    int aoff = ((d->imm >> 2) & 1) * 4, soff = (d->imm & 3) * 4;
    for (int i = 0; i < 8; i++) {
        int sum = 0;
        for (int k = 0; k < 4; k++) {
            int x = a.b[aoff + i + k] - s.b[soff + k];
            sum += x < 0 ? -x : x;
        }
        r.w[i] = sum;
    }
    xmm_set(env, d->reg, &r);
}

/* 66 0F 3A 08-0B: ROUNDPS/PD/SS/SD; 40/41: DPPS/DPPD (host backend) */
static void op_round_dp(CPUX86State *env, const DecodedInsn *d)
{
    static const uint8_t size[4] = { 16, 16, 4, 8 };
    int k = d->op & 0xff;
    sse_need(env, FT_SSE41);
    Vec a, s;
    xmm_src(env, d, &s, k >= 0x40 ? 16 : size[k & 3]);
    xmm_get(env, d->reg, &a);
    uint32_t fl = k >= 0x40 ? sse_host_dp(k & 1, d->imm & 0xff, &a, &s, host_csr(env))
                            : sse_host_round(k & 3, d->imm & 15, &a, &s, host_csr(env));
    sse_fp_flags(env, fl);
    xmm_set(env, d->reg, &a);
}

/* 66 0F 3A 60-63: PCMPESTRM/PCMPESTRI/PCMPISTRM/PCMPISTRI (host backend) */
static void op_pcmpstr(CPUX86State *env, const DecodedInsn *d)
{
    sse_need(env, FT_SSE42);
    Vec a, s, m;
    xmm_src(env, d, &s, 16);
    xmm_get(env, d->reg, &a);
    int k = d->op & 3;
    uint32_t ecx, fl;
    fl = sse_host_pcmpstr(k, d->imm & 0xff, &a, &s, (uint32_t)env->regs[R_EAX],
                          (uint32_t)env->regs[R_EDX], &m, &ecx);
    env->eflags = (cpu_compute_eflags(env) & ~CC_MASK) | fl;
    env->cc_op = CC_OP_EFLAGS;
    if (k & 1) {
        gpr_set32(env, R_ECX, ecx);
    } else {
        xmm_set(env, 0, &m);
    }
}

/* ---------------- entry points ---------------- */

void op_sse(CPUX86State *env, const DecodedInsn *d)
{
    int pc = pfx_class(d);

    if ((env->fpu.mxcsr & MXCSR_MASKS) != MXCSR_MASKS) {
        sse_trap_install();
    }
    int op = d->op & 0xff;

    if (d->op < 0x200 && lane0f[op][pc].fn) {
        if (pc == 0 && lane0f[op][0].mmx) {
            run_lane_mmx(env, d, &lane0f[op][0]);
        } else {
            run_lane_xmm(env, d, &lane0f[op][pc]);
        }
        return;
    }
    if (d->op >= 0x200 && d->op < 0x300) {
        const LaneOp *o = &lane38[op][pc];
        if (o->fn) {
            if (pc == 0) {
                run_lane_mmx(env, d, o);
            } else {
                run_lane_xmm(env, d, o);
            }
            return;
        }
        if (pc == 1 && ((op >= 0x20 && op <= 0x25) || (op >= 0x30 && op <= 0x35))) {
            op_pmovx(env, d);
            return;
        }
        switch (op) {
        case 0x17: op_ptest(env, d); return;
        case 0x2a: op_movntdqa(env, d); return;
        case 0xf0: case 0xf1: op_crc32(env, d); return;
        }
        unimp(env, d);
    }
    if (d->op >= 0x300) {
        if (op == 0x0f) {
            op_palignr(env, d, pc);
            return;
        }
        if (pc != 1) {
            unimp(env, d);
        }
        switch (op) {
        case 0x08: case 0x09: case 0x0a: case 0x0b: case 0x40: case 0x41:
            op_round_dp(env, d);
            return;
        case 0x0c: case 0x0d: case 0x0e: op_blend_imm(env, d); return;
        case 0x14: case 0x15: case 0x16: case 0x17: op_pextr(env, d); return;
        case 0x20: case 0x21: case 0x22: op_pinsr(env, d); return;
        case 0x42: op_mpsadbw(env, d); return;
        case 0x60: case 0x61: case 0x62: case 0x63: op_pcmpstr(env, d); return;
        }
        unimp(env, d);
    }
    switch (op) {
    case 0x10: op_movups_load(env, d, pc); return;
    case 0x11: op_movups_store(env, d, pc); return;
    case 0x12: op_movlh_load(env, d, pc, false); return;
    case 0x13: op_movlh_store(env, d, pc, false); return;
    case 0x16: op_movlh_load(env, d, pc, true); return;
    case 0x17: op_movlh_store(env, d, pc, true); return;
    case 0x28: op_movaps(env, d, pc, 0); return;
    case 0x29: op_movaps(env, d, pc, 1); return;
    case 0x2b: op_movaps(env, d, pc, 2); return;
    case 0x2a: op_cvt_2a(env, d, pc); return;
    case 0x2c: op_cvt_2c(env, d, pc, true); return;
    case 0x2d: op_cvt_2c(env, d, pc, false); return;
    case 0x2e: op_comis(env, d, pc, false); return;
    case 0x2f: op_comis(env, d, pc, true); return;
    case 0x50: op_movmskps(env, d, pc); return;
    case 0x6e: op_movd(env, d, pc, true); return;
    case 0x7e: op_movd(env, d, pc, false); return;
    case 0x6f: op_movdq(env, d, pc, false); return;
    case 0x7f: op_movdq(env, d, pc, true); return;
    case 0x70: op_pshuf(env, d, pc); return;
    case 0x71: case 0x72: case 0x73: op_shift_imm(env, d, pc); return;
    case 0x77: op_emms(env, d, pc); return;
    case 0xc2: op_cmpps(env, d, pc); return;
    case 0xc3:
        if (pc != 0 || d->mod == 3 || !has_feature(env, FT_SSE2)) {
            unimp(env, d);
        }
        if (rex_w(d)) {                             /* MOVNTI m64, r64 */
            cpu_stq(env, d->seg, ea_of(env, d), env->regs[d->reg & 15]);
        } else {
            cpu_stl(env, d->seg, ea_of(env, d), (uint32_t)env->regs[d->reg & 15]);
        }
        return;
    case 0xc4: op_pinsrw(env, d, pc); return;
    case 0xc5: op_pextrw(env, d, pc); return;
    case 0xc6: op_shufps(env, d, pc); return;
    case 0xd6: op_movq_d6(env, d, pc); return;
    case 0xd7: op_pmovmskb(env, d, pc); return;
    case 0xe7: op_movnt(env, d, pc); return;
    case 0xf0: op_lddqu(env, d, pc); return;
    case 0xf7: op_maskmov(env, d, pc); return;
    }
    unimp(env, d);
}

/* F3 0F B8: POPCNT r, r/m (ZF = source was zero, other flags cleared) */
void op_popcnt(CPUX86State *env, const DecodedInsn *d)
{
    if (!(d->prefixes & PFX_REP) || !has_feature(env, FT_POPCNT)) {
        unimp(env, d);
    }
    uint64_t ea = 0;
    uint64_t v = rm_load(env, d, d->ot, &ea);
    reg_set(env, d->ot, d->reg, __builtin_popcountll(v));
    env->eflags = (cpu_compute_eflags(env) & ~CC_MASK) | (v ? 0 : CC_Z);
    env->cc_op = CC_OP_EFLAGS;
}

uint32_t sse_host_features(void)
{
    return sse_host_probe();
}
