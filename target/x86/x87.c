/*
 * x87 FPU (interface and state layout in x87.h).
 *
 * Split in two layers so that a softfloat backend can replace the first:
 *
 *  1. The host backend (x87h_*): every operation that rounds, converts,
 *     compares or computes a transcendental runs as the very same x87
 *     instruction on the host, with the guest's rounding and precision
 *     control loaded into the host FCW, and reports the host status word.
 *     On an x86 host that makes results, C0-C3 and the six exception flags
 *     bit-exact, including precision control (no double rounding), NaN
 *     propagation, denormals, pseudo-denormals/unnormals (IE) and the
 *     out-of-range C2 of FSIN/FCOS/FPTAN/FSINCOS.  Operations with one
 *     register in and one out run with the guest's whole control word, so
 *     unmasked exceptions behave exactly as on hardware (nothing stored,
 *     the exponent-wrapped result of an unmasked overflow/underflow, which
 *     flags and C1); the x87 only faults at the next waiting instruction
 *     and the backend clears the exception first.  Operations whose stack
 *     shape would depend on the masks (pushes, pops, stores) run masked,
 *     and the architectural layer derives the unmasked response (see
 *     x87_absorb).  FPREM/FPREM1 start from the guest's condition bits.
 *     Transcendental results are those of the host CPU model (as on real
 *     hardware they differ between vendors in the last bit).
 *
 *  2. The architectural layer: register stack and tags, stack overflow /
 *     underflow, masked/unmasked responses, ES/B and #MF/FERR#, the
 *     instruction/data pointers, and every memory format (m16/32/64 int,
 *     m32/64/80 real, packed BCD, FNSTENV/FNSAVE in all four layouts,
 *     FXSAVE).
 *
 * Host FCW handling: each backend call loads its own FCW and restores the
 * ABI default 0x037F afterwards, clearing the host's exception flags both
 * before and after so that no host trap can ever fire.
 */
#include <string.h>

#include "target/x86/helper.h"
#include "accel/tcg/lockstep.h"
#include "target/x86/x87.h"

#if !defined(__x86_64__) && !defined(__i386__)
#error "x87.c: the host long double backend needs an x86 host (80-bit long double); other hosts need the softfloat backend"
#endif

void (*x87_ferr_hook)(CPUX86State *env);

#define FSW_EXC   0x003f
#define FSW_CC    (X87_FSW_C0 | X87_FSW_C1 | X87_FSW_C2 | X87_FSW_C3)
#define FCW_IM    0x0001
#define FCW_DM    0x0002
#define FCW_ZM    0x0004
#define FCW_OM    0x0008
#define FCW_UM    0x0010
#define FCW_PM    0x0020

enum { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* ===================== host backend ===================== */

static const uint16_t x87h_default_cw = 0x037f;

#define H_PRE  "fnclex\n\tfldcw %[cw]\n\t"
#define H_POST "\n\tfnstsw %[sw]\n\tfnclex\n\tfldcw %[dcw]"
#define H_CW   [cw] "m"(cw), [dcw] "m"(x87h_default_cw)

typedef struct X87Bytes10 {
    uint8_t b[10];
} X87Bytes10;

enum {
    XH_ADD, XH_MUL, XH_SUB, XH_SUBR, XH_DIV, XH_DIVR, XH_SCALE, XH_PREM, XH_PREM1,
};

/* st0 = a, st1 = b; result of "op %st(1), %st" (b stays) */
static long double x87h_binary(int op, long double a, long double b, uint16_t cw, uint16_t *sw)
{
    long double r;
    switch (op) {
#define B(id, insn) \
    case id: \
        asm volatile(H_PRE insn H_POST : "=t"(r), [sw] "=m"(*sw) : "0"(a), "u"(b), H_CW); \
        break;
    B(XH_ADD, "fadd %%st(1), %%st")
    B(XH_MUL, "fmul %%st(1), %%st")
    /* destination st(0): AT&T and Intel agree on fsub/fsubr here */
    B(XH_SUB, "fsub %%st(1), %%st")
    B(XH_SUBR, "fsubr %%st(1), %%st")
    B(XH_DIV, "fdiv %%st(1), %%st")
    B(XH_DIVR, "fdivr %%st(1), %%st")
    B(XH_SCALE, "fscale")
#undef B
    default:
        __builtin_unreachable();
    }
    return r;
}

/*
 * FPREM/FPREM1 leave some condition bits unchanged in some cases (NaN
 * operands, invalid operations), and which ones differs between vendors.
 * So the host runs them from the guest's condition bits: FLDENV loads the
 * guest's C0-C3 with the control word, the operands come from memory, and
 * FNINIT leaves the host stack empty with the default control word again.
 */
static long double __attribute__((noinline))
x87h_prem(bool prem1, long double a, long double b, uint16_t cw, uint16_t cc, uint16_t *sw)
{
    struct {
        uint16_t cw, r0, sw, r1, tw, r2;
        uint32_t ip, op_cs, dp, ds;
    } e = { cw, 0xffff, cc & (X87_FSW_C0 | X87_FSW_C1 | X87_FSW_C2 | X87_FSW_C3), 0xffff,
            0xffff, 0xffff, 0, 0, 0, 0xffff0000u };
    long double r;
    if (prem1) {
        asm volatile("fldenv %[e]\n\tfldt %[b]\n\tfldt %[a]\n\tfprem1\n\tfnstsw %[sw]\n\t"
                     "fnclex\n\tfstpt %[r]\n\tfninit"
                     : [r] "=m"(r), [sw] "=m"(*sw) : [e] "m"(e), [a] "m"(a), [b] "m"(b));
    } else {
        asm volatile("fldenv %[e]\n\tfldt %[b]\n\tfldt %[a]\n\tfprem\n\tfnstsw %[sw]\n\t"
                     "fnclex\n\tfstpt %[r]\n\tfninit"
                     : [r] "=m"(r), [sw] "=m"(*sw) : [e] "m"(e), [a] "m"(a), [b] "m"(b));
    }
    return r;
}

enum { XH_SQRT, XH_RNDINT, XH_F2XM1, XH_SIN, XH_COS };

static long double x87h_unary(int op, long double a, uint16_t cw, uint16_t *sw)
{
    long double r;
    switch (op) {
#define U(id, insn) \
    case id: \
        asm volatile(H_PRE insn H_POST : "=t"(r), [sw] "=m"(*sw) : "0"(a), H_CW); \
        break;
    U(XH_SQRT, "fsqrt")
    U(XH_RNDINT, "frndint")
    U(XH_F2XM1, "f2xm1")
    U(XH_SIN, "fsin")
    U(XH_COS, "fcos")
#undef U
    default:
        __builtin_unreachable();
    }
    return r;
}

enum { XH_PATAN, XH_YL2X, XH_YL2XP1 };

/* st0 = x, st1 = y; st1 = f(y, x), pop: returns the new st0 */
static long double x87h_binpop(int op, long double x, long double y, uint16_t cw, uint16_t *sw)
{
    long double r;
    switch (op) {
#define P(id, insn) \
    case id: \
        asm volatile(H_PRE insn H_POST : "=t"(r), [sw] "=m"(*sw) : "0"(x), "u"(y), H_CW : "st(1)"); \
        break;
    P(XH_PATAN, "fpatan")
    P(XH_YL2X, "fyl2x")
    P(XH_YL2XP1, "fyl2xp1")
#undef P
    default:
        __builtin_unreachable();
    }
    return r;
}

enum { XH_XTRACT, XH_SINCOS, XH_PTAN };

/* one operand in, two out (r0 = new st0, r1 = new st1); callers only pass
 * operands for which the host pushes (see x87_op_push2) */
static void x87h_push2(int op, long double a, long double *r0, long double *r1,
                       uint16_t cw, uint16_t *sw)
{
    long double t, u;
    switch (op) {
#define T(id, insn) \
    case id: \
        asm volatile(H_PRE insn H_POST : "=t"(t), "=u"(u), [sw] "=m"(*sw) : "0"(a), H_CW); \
        break;
    T(XH_XTRACT, "fxtract")
    T(XH_SINCOS, "fsincos")
    T(XH_PTAN, "fptan")
#undef T
    default:
        __builtin_unreachable();
    }
    *r0 = t;
    *r1 = u;
}

static void x87h_compare(bool quiet, long double a, long double b, uint16_t cw, uint16_t *sw)
{
    if (quiet) {
        asm volatile(H_PRE "fucom %%st(1)" H_POST : [sw] "=m"(*sw) : "t"(a), "u"(b), H_CW);
    } else {
        asm volatile(H_PRE "fcom %%st(1)" H_POST : [sw] "=m"(*sw) : "t"(a), "u"(b), H_CW);
    }
}

/*
 * ST(0) op memory operand, executed with the memory form itself: the SDM's
 * precedence (a QNaN operand beats a denormal operand, NaN selection by
 * significand) is defined on the operands as they are in memory, so the
 * operand must not be widened first.  kind: 0 m32real, 1 m64real, 2 m32int,
 * 3 m16int;
 * op: ModRM.reg of D8/DC/DA/DE (2 and 3 compare: result unused).
 */
static long double x87h_mem(int op, int kind, long double a, uint64_t m, uint16_t cw,
                            uint16_t *sw)
{
    long double r = a;
    float f32;
    double f64;
    int32_t i32 = (int32_t)m;
    int16_t i16 = (int16_t)m;
    uint32_t m32 = (uint32_t)m;
    memcpy(&f32, &m32, 4);
    memcpy(&f64, &m, 8);
#define MOP(insn, var) \
    asm volatile(H_PRE insn " %[m]" H_POST : "+t"(r), [sw] "=m"(*sw) : [m] "m"(var), H_CW)
#define MROW(sfx, var) \
    switch (op) { \
    case 0: MOP("fadd" sfx, var); break; \
    case 1: MOP("fmul" sfx, var); break; \
    case 2: case 3: MOP("fcom" sfx, var); break; \
    case 4: MOP("fsub" sfx, var); break; \
    case 5: MOP("fsubr" sfx, var); break; \
    case 6: MOP("fdiv" sfx, var); break; \
    default: MOP("fdivr" sfx, var); break; \
    }
    switch (kind) {
    case 0: MROW("s", f32); break;
    case 1: MROW("l", f64); break;
    case 2:
        switch (op) {
        case 0: MOP("fiaddl", i32); break;
        case 1: MOP("fimull", i32); break;
        case 2: case 3: MOP("ficoml", i32); break;
        case 4: MOP("fisubl", i32); break;
        case 5: MOP("fisubrl", i32); break;
        case 6: MOP("fidivl", i32); break;
        default: MOP("fidivrl", i32); break;
        }
        break;
    default:
        switch (op) {
        case 0: MOP("fiadds", i16); break;
        case 1: MOP("fimuls", i16); break;
        case 2: case 3: MOP("ficoms", i16); break;
        case 4: MOP("fisubs", i16); break;
        case 5: MOP("fisubrs", i16); break;
        case 6: MOP("fidivs", i16); break;
        default: MOP("fidivrs", i16); break;
        }
        break;
    }
#undef MROW
#undef MOP
    return r;
}

static void x87h_tst(long double a, uint16_t cw, uint16_t *sw)
{
    asm volatile(H_PRE "ftst" H_POST : [sw] "=m"(*sw) : "t"(a), H_CW);
}

static void x87h_xam(long double a, uint16_t *sw)
{
    uint16_t cw = x87h_default_cw;
    asm volatile(H_PRE "fxam" H_POST : [sw] "=m"(*sw) : "t"(a), H_CW);
}

/*
 * FLD m32/m64 and FBLD with the guest's control word: whether an unmasked
 * exception still loads is the CPU's business, so the host runs from an
 * empty stack (FLDENV) and TOP afterwards tells whether it pushed
 * (*pushed).  The result is stored before FNINIT restores the host.
 */
static long double __attribute__((noinline))
x87h_load_exact(int kind, uint64_t bits, const X87Bytes10 *bcd, uint16_t cw, uint16_t *sw,
                bool *pushed)
{
    struct {
        uint16_t cw, r0, sw, r1, tw, r2;
        uint32_t ip, op_cs, dp, ds;
    } e = { cw, 0xffff, 0, 0xffff, 0xffff, 0xffff, 0, 0, 0, 0xffff0000u };
    long double r = 0;
    uint32_t b32 = (uint32_t)bits;
    float f;
    double d;
    memcpy(&f, &b32, 4);
    memcpy(&d, &bits, 8);
#define LDX(insn, var) \
    asm volatile("fldenv %[e]\n\t" insn " %[m]\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\tfninit" \
                 : [r] "=m"(r), [sw] "=m"(*sw) : [e] "m"(e), [m] "m"(var))
    switch (kind) {
    case 0: LDX("flds", f); break;
    case 1: LDX("fldl", d); break;
    default: LDX("fbld", *bcd); break;
    }
#undef LDX
    *pushed = ((*sw >> 11) & 7) == 7;
    return r;
}

/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: D9 E8..EE */
static long double x87h_const(int idx, uint16_t cw, uint16_t *sw)
{
    long double r;
    switch (idx) {
#define K(id, insn) \
    case id: \
        asm volatile(H_PRE insn H_POST : "=t"(r), [sw] "=m"(*sw) : H_CW); \
        break;
    K(0, "fld1")
    K(1, "fldl2t")
    K(2, "fldl2e")
    K(3, "fldpi")
    K(4, "fldlg2")
    K(5, "fldln2")
    K(6, "fldz")
#undef K
    default:
        __builtin_unreachable();
    }
    return r;
}

/* conversions to memory formats; the operand stays on the host stack */
enum { XS_F32, XS_F64, XS_I16, XS_I32, XS_I64, XS_TI16, XS_TI32, XS_TI64, XS_BCD };

static void x87h_store(int kind, long double a, void *out, uint16_t cw, uint16_t *sw)
{
    switch (kind) {
    case XS_F32: {
        float f;
        asm volatile(H_PRE "fsts %[m]" H_POST : [m] "=m"(f), [sw] "=m"(*sw) : "t"(a), H_CW);
        memcpy(out, &f, 4);
        break;
    }
    case XS_F64: {
        double d;
        asm volatile(H_PRE "fstl %[m]" H_POST : [m] "=m"(d), [sw] "=m"(*sw) : "t"(a), H_CW);
        memcpy(out, &d, 8);
        break;
    }
#define S(id, type, insn) \
    case id: { \
        type v; \
        asm volatile(H_PRE "fld %%st(0)\n\t" insn " %[m]" H_POST \
                     : [m] "=m"(v), [sw] "=m"(*sw) : "t"(a), H_CW); \
        memcpy(out, &v, sizeof(v)); \
        break; \
    }
    S(XS_I16, int16_t, "fistps")
    S(XS_I32, int32_t, "fistpl")
    S(XS_I64, int64_t, "fistpll")
    S(XS_TI16, int16_t, "fisttps")
    S(XS_TI32, int32_t, "fisttpl")
    S(XS_TI64, int64_t, "fisttpll")
    S(XS_BCD, X87Bytes10, "fbstp")
#undef S
    default:
        __builtin_unreachable();
    }
}

/* 80-bit register image <-> long double (the host format is the same) */
static long double x87_from80(uint64_t mant, uint16_t se)
{
    long double v = 0;
    memcpy(&v, &mant, 8);
    memcpy((uint8_t *)&v + 8, &se, 2);
    return v;
}

static void x87_to80(long double v, uint64_t *mant, uint16_t *se)
{
    memcpy(mant, &v, 8);
    memcpy(se, (uint8_t *)&v + 8, 2);
}

static long double x87_indefinite(void)
{
    return x87_from80(0xc000000000000000ull, 0xffff);
}

/* ===================== state helpers ===================== */

static int x87_tag_of(long double v)
{
    uint64_t m;
    uint16_t se;
    x87_to80(v, &m, &se);
    int exp = se & 0x7fff;
    if (exp == 0) {
        return m == 0 ? TAG_ZERO : TAG_SPECIAL;     /* denormal/pseudo-denormal */
    }
    if (exp == 0x7fff || !(m >> 63)) {
        return TAG_SPECIAL;                         /* inf, NaN, unnormal */
    }
    return TAG_VALID;
}

static inline int x87_phys(const CPUX86State *env, int i)
{
    return (env->fpu.top + i) & 7;
}

static inline int x87_tag(const CPUX86State *env, int phys)
{
    return (env->fpu.ftw_tag >> (2 * phys)) & 3;
}

static inline void x87_set_tag(CPUX86State *env, int phys, int tag)
{
    env->fpu.ftw_tag = (env->fpu.ftw_tag & ~(3u << (2 * phys))) | (tag << (2 * phys));
}

static inline bool st_empty(const CPUX86State *env, int i)
{
    return x87_tag(env, x87_phys(env, i)) == TAG_EMPTY;
}

static inline long double st_get(const CPUX86State *env, int i)
{
    return env->fpu.st[x87_phys(env, i)];
}

static void st_set(CPUX86State *env, int i, long double v)
{
    int p = x87_phys(env, i);
    env->fpu.st[p] = v;
    x87_set_tag(env, p, x87_tag_of(v));
}

static void x87_pop(CPUX86State *env)
{
    x87_set_tag(env, env->fpu.top, TAG_EMPTY);
    env->fpu.top = (env->fpu.top + 1) & 7;
}

static void x87_push(CPUX86State *env, long double v)
{
    env->fpu.top = (env->fpu.top - 1) & 7;
    st_set(env, 0, v);
}

static inline void x87_set_c1(CPUX86State *env, bool on)
{
    env->fpu.fsw = (env->fpu.fsw & ~X87_FSW_C1) | (on ? X87_FSW_C1 : 0);
}

uint16_t x87_get_fsw(CPUX86State *env)
{
    return (env->fpu.fsw & ~X87_FSW_TOP) | ((env->fpu.top & 7) << 11);
}

uint16_t x87_get_ftw_abridged(CPUX86State *env)
{
    uint16_t t = 0;
    for (int p = 0; p < 8; p++) {
        if (x87_tag(env, p) != TAG_EMPTY) {
            t |= 1 << p;
        }
    }
    return t;
}

/* ===================== exceptions ===================== */

/*
 * ES and B summarise "some exception flag is set whose mask is clear";
 * they are recomputed whenever flags or masks change.  A rising ES with
 * CR0.NE = 0 is the FERR# output that the PC turns into IRQ13.
 */
static void x87_update_es(CPUX86State *env)
{
    bool was = env->fpu.fsw & X87_FSW_ES;
    if (env->fpu.fsw & ~env->fpu.fcw & FSW_EXC) {
        env->fpu.fsw |= X87_FSW_ES | X87_FSW_B;
        if (!was && !(env->cr[0] & CR0_NE) && x87_ferr_hook) {
            lockstep_check(env, "FERR# (IRQ 13)");
            x87_ferr_hook(env);
        }
    } else {
        env->fpu.fsw &= ~(X87_FSW_ES | X87_FSW_B);
    }
}

static void x87_flag(CPUX86State *env, uint16_t exc)
{
    env->fpu.fsw |= exc & (FSW_EXC | X87_FSW_SF);
    x87_update_es(env);
}

/* Stack overflow (C1 = 1) or underflow (C1 = 0).  True when IE is masked:
 * the caller then carries on with the masked response (QNaN indefinite). */
static bool x87_stack_fault(CPUX86State *env, bool overflow)
{
    x87_set_c1(env, overflow);
    x87_flag(env, X87_FSW_IE | X87_FSW_SF);
    return env->fpu.fcw & FCW_IM;
}

/* A push onto a full stack: the register below TOP is in use. */
static bool x87_push_overflows(const CPUX86State *env)
{
    return x87_tag(env, (env->fpu.top - 1) & 7) != TAG_EMPTY;
}

/*
 * Merge what the host reported: exception flags always, the condition
 * bits in cmask only when the instruction completes.  Returns false when
 * an exception in abort_mask is unmasked: the destination (and TOP) must
 * then stay unchanged.
 */
static bool x87_absorb(CPUX86State *env, uint16_t hsw, uint16_t cmask, uint16_t abort_mask)
{
    uint16_t exc = hsw & FSW_EXC;
    bool ok = !(exc & ~env->fpu.fcw & abort_mask);
    if (exc & ~env->fpu.fcw & (X87_FSW_IE | X87_FSW_DE | X87_FSW_ZE)) {
        /* an unmasked pre-computation exception stops the instruction
         * before the result exists: no OE/UE/PE (the host ran it masked),
         * and no rounding, so C1 = 0 */
        exc &= X87_FSW_IE | X87_FSW_DE | X87_FSW_ZE;
        if (cmask & X87_FSW_C1) {
            x87_set_c1(env, false);
        }
    } else if (exc & ~env->fpu.fcw & abort_mask & (X87_FSW_OE | X87_FSW_UE)) {
        /* a store stopped by an unmasked overflow/underflow delivers no
         * rounded result, so no PE and C1 = 0 (the host ran it masked) */
        exc &= ~X87_FSW_PE;
        if (cmask & X87_FSW_C1) {
            x87_set_c1(env, false);
        }
    }
    if (ok) {
        env->fpu.fsw = (env->fpu.fsw & ~cmask) | (hsw & cmask);
    }
    x87_flag(env, exc);
    return ok;
}

#define ABORT_PRE   (X87_FSW_IE | X87_FSW_DE | X87_FSW_ZE)
#define ABORT_STORE (X87_FSW_IE | X87_FSW_DE | X87_FSW_OE | X87_FSW_UE)

/* Host FCW for results that go to a register: guest RC/PC and O/U masks. */
static uint16_t cw_reg(const CPUX86State *env)
{
    return (env->fpu.fcw & (0x0f00 | FCW_OM | FCW_UM)) | 0x40 | FCW_IM | FCW_DM | FCW_ZM | FCW_PM;
}

/*
 * Host FCW for operations whose host stack shape does not depend on the
 * masks (one register in, one out): the guest's own control word.  The
 * host then does exactly what the CPU does with unmasked exceptions too
 * (nothing stored, which flags, C1); the x87 only faults at the next
 * waiting instruction, and H_POST clears the exception before that.
 */
static uint16_t cw_exact(const CPUX86State *env)
{
    return (env->fpu.fcw & 0x1f3f) | 0x40;
}

/* Merge the host's condition bits in cmask whether or not the result
 * is committed (the host ran with the guest's masks), then the flags. */
static bool x87_absorb_exact(CPUX86State *env, uint16_t hsw, uint16_t cmask)
{
    env->fpu.fsw = (env->fpu.fsw & ~cmask) | (hsw & cmask);
    if ((hsw & ~env->fpu.fcw & (X87_FSW_IE | X87_FSW_DE | X87_FSW_ZE)) && (cmask & X87_FSW_C1)) {
        x87_set_c1(env, false);         /* stopped before rounding */
    }
    return x87_absorb(env, hsw, 0, ABORT_PRE);
}

/* Host FCW with everything masked: memory stores, loads, compares. */
static uint16_t cw_all(const CPUX86State *env)
{
    return (env->fpu.fcw & 0x0f00) | 0x7f;
}

static void x87_check_pending(CPUX86State *env)
{
    if (env->fpu.fsw & X87_FSW_ES) {
        /* With CR0.NE = 0 the error was already signalled through FERR#
         * (IRQ13) and the instruction proceeds, as DOS-era handlers expect. */
        if (env->cr[0] & CR0_NE) {
            raise_exception(env, EXCP_MF);
        }
    }
}

void x87_fwait(CPUX86State *env)
{
    if ((env->cr[0] & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) {
        raise_exception(env, EXCP_NM);
    }
    x87_check_pending(env);
}

void x87_mmx_enter(CPUX86State *env)
{
    x87_check_pending(env);
    env->fpu.top = 0;
    for (int p = 0; p < 8; p++) {
        x87_set_tag(env, p, x87_tag_of(env->fpu.st[p]));
    }
}

void x87_mmx_check(CPUX86State *env)
{
    x87_check_pending(env);
}

uint64_t x87_mmx_get(CPUX86State *env, int n)
{
    uint64_t m;
    uint16_t se;
    x87_to80(env->fpu.st[n & 7], &m, &se);
    return m;
}

void x87_mmx_set(CPUX86State *env, int n, uint64_t v)
{
    env->fpu.st[n & 7] = x87_from80(v, 0xffff);
    x87_set_tag(env, n & 7, TAG_SPECIAL);
}

void x87_emms(CPUX86State *env)
{
    env->fpu.ftw_tag = 0xffff;
}

void x87_reset(CPUX86State *env)
{
    env->fpu.fcw = 0x037f;
    env->fpu.fsw = 0;
    env->fpu.top = 0;
    env->fpu.ftw_tag = 0xffff;
    env->fpu.fop = 0;
    env->fpu.fip = env->fpu.fdp = 0;
    env->fpu.fcs = env->fpu.fds = 0;
}

/* ===================== memory operands ===================== */

static long double x87_ld80(CPUX86State *env, int seg, uint64_t ea)
{
    uint64_t m = cpu_ldq(env, seg, ea);
    uint16_t se = cpu_lduw(env, seg, ea + 8);
    return x87_from80(m, se);
}

static void x87_st80(CPUX86State *env, int seg, uint64_t ea, long double v)
{
    uint64_t m;
    uint16_t se;
    x87_to80(v, &m, &se);
    cpu_stq(env, seg, ea, m);
    cpu_stw(env, seg, ea + 8, se);
}

static void x87_ld_bytes10(CPUX86State *env, int seg, uint64_t ea, X87Bytes10 *b)
{
    uint64_t lo = cpu_ldq(env, seg, ea);
    uint16_t hi = cpu_lduw(env, seg, ea + 8);
    memcpy(b->b, &lo, 8);
    memcpy(b->b + 8, &hi, 2);
}

/* ===================== instruction groups ===================== */

/* ModRM reg field of D8/DC: 0 add 1 mul 2 com 3 comp 4 sub 5 subr 6 div 7 divr */
static const int x87_arith_op[8] = { XH_ADD, XH_MUL, -1, -1, XH_SUB, XH_SUBR, XH_DIV, XH_DIVR };

/* ST(dst) = ST(dst) op b, where b is ST(src) or a converted memory operand. */
static void x87_arith(CPUX86State *env, int op, int dst, long double b, bool b_empty, bool pop)
{
    if (st_empty(env, dst) || b_empty) {
        if (x87_stack_fault(env, false)) {
            st_set(env, dst, x87_indefinite());
            if (pop) {
                x87_pop(env);
            }
        }
        return;
    }
    uint16_t hsw;
    long double r = x87h_binary(op, st_get(env, dst), b, cw_exact(env), &hsw);
    if (x87_absorb_exact(env, hsw, X87_FSW_C1)) {
        st_set(env, dst, r);
        if (pop) {
            x87_pop(env);
        }
    }
}

/*
 * FCOM/FUCOM/FICOM/FTST and FCOMI/FUCOMI: a unordered compare of ST(0)
 * with b.  Condition codes (or ZF/PF/CF) are C3/C2/C0 = 000 greater,
 * 001 less, 100 equal, 111 unordered; unmasked IE/DE leaves them alone.
 */
static void x87_compare(CPUX86State *env, long double b, bool b_empty, bool quiet, bool tst,
                        int pops, bool to_eflags)
{
    uint16_t cc;
    if (st_empty(env, 0) || b_empty) {
        /* stack underflow reports "unordered" even when unmasked (only an
         * unmasked #IA leaves the flags alone; SDM FCOM footnote) */
        cc = X87_FSW_C0 | X87_FSW_C2 | X87_FSW_C3;
        if (!x87_stack_fault(env, false)) {
            pops = 0;
        }
    } else {
        uint16_t hsw;
        if (tst) {
            x87h_tst(st_get(env, 0), cw_all(env), &hsw);
        } else {
            x87h_compare(quiet, st_get(env, 0), b, cw_all(env), &hsw);
        }
        x87_set_c1(env, false);
        if (!x87_absorb(env, hsw, 0, X87_FSW_IE)) {
            return;             /* only an unmasked #IA leaves the codes alone */
        }
        if (hsw & X87_FSW_DE & ~env->fpu.fcw) {
            pops = 0;           /* an unmasked #D: codes set, but no pop */
        }
        cc = hsw & (X87_FSW_C0 | X87_FSW_C2 | X87_FSW_C3);
    }
    if (to_eflags) {
        uint32_t f = cpu_compute_eflags(env) & ~(CC_O | CC_S | CC_Z | CC_A | CC_P | CC_C);
        if (cc & X87_FSW_C3) {
            f |= CC_Z;
        }
        if (cc & X87_FSW_C2) {
            f |= CC_P;
        }
        if (cc & X87_FSW_C0) {
            f |= CC_C;
        }
        env->eflags = f;
        env->cc_op = CC_OP_EFLAGS;
    } else {
        env->fpu.fsw = (env->fpu.fsw & ~(X87_FSW_C0 | X87_FSW_C2 | X87_FSW_C3)) | cc;
    }
    while (pops-- > 0) {
        x87_pop(env);
    }
}

/* D8/DA/DC/DE memory forms: ST(0) op m, or FCOM/FCOMP m (reg 2/3). */
static void x87_arith_mem(CPUX86State *env, int reg, int kind, uint64_t m)
{
    bool cmp = reg == 2 || reg == 3;
    if (st_empty(env, 0)) {
        if (cmp) {
            x87_compare(env, 0, true, false, false, reg == 3, false);
        } else if (x87_stack_fault(env, false)) {
            st_set(env, 0, x87_indefinite());
        }
        return;
    }
    uint16_t hsw;
    long double r = x87h_mem(reg, kind, st_get(env, 0), m, cmp ? cw_all(env) : cw_exact(env), &hsw);
    if (cmp) {
        /* only an unmasked #IA leaves the condition codes alone */
        bool done = x87_absorb(env, hsw, X87_FSW_C0 | X87_FSW_C2 | X87_FSW_C3, X87_FSW_IE);
        x87_set_c1(env, false);
        if (done && !(hsw & X87_FSW_DE & ~env->fpu.fcw)) {
            if (reg == 3) {
                x87_pop(env);
            }
        }
        return;
    }
    if (x87_absorb_exact(env, hsw, X87_FSW_C1)) {
        st_set(env, 0, r);
    }
}

/* FLD m32/m64 and FBLD: the host decides, with the guest's masks. */
static void x87_load_exact(CPUX86State *env, int kind, uint64_t bits, const X87Bytes10 *bcd)
{
    if (x87_push_overflows(env)) {
        if (x87_stack_fault(env, true)) {
            x87_push(env, x87_indefinite());
        }
        return;
    }
    uint16_t hsw;
    bool pushed;
    long double v = x87h_load_exact(kind, bits, bcd, cw_exact(env), &hsw, &pushed);
    x87_set_c1(env, hsw & X87_FSW_C1);
    x87_flag(env, hsw & FSW_EXC);
    if (pushed) {
        x87_push(env, v);
    }
}

/* FLD of an already converted value (hsw: the conversion's status). */
static void x87_load_push(CPUX86State *env, long double v, uint16_t hsw)
{
    if (x87_push_overflows(env)) {
        if (x87_stack_fault(env, true)) {
            x87_push(env, x87_indefinite());
        }
        return;
    }
    /* an unmasked #D still loads (checked against hardware); #IA does not */
    bool ok = x87_absorb(env, hsw, 0, X87_FSW_IE);
    x87_set_c1(env, false);
    if (ok) {
        x87_push(env, v);
    }
}

/*
 * Stores of ST(0) to memory in format 'kind' (size bytes).  Empty ST(0):
 * masked underflow stores the format's indefinite.  Unmasked IE/DE/OE/UE:
 * nothing is stored and nothing popped.
 */
static void x87_store_mem(CPUX86State *env, int kind, int seg, uint64_t ea, bool pop)
{
    static const uint8_t sizes[] = { 4, 8, 2, 4, 8, 2, 4, 8, 10 };
    unsigned size = sizes[kind];
    uint8_t buf[10];
    uint16_t hsw = 0;
    bool ok = true;

    if (st_empty(env, 0)) {
        if (!x87_stack_fault(env, false)) {
            return;
        }
        memset(buf, 0, sizeof(buf));
        switch (kind) {
        case XS_F32:
            buf[2] = 0xc0, buf[3] = 0xff;
            break;
        case XS_F64:
            buf[6] = 0xf8, buf[7] = 0xff;
            break;
        case XS_BCD:
            buf[7] = 0xc0, buf[8] = 0xff, buf[9] = 0xff;
            break;
        default:                /* integer indefinite: most negative value */
            buf[size - 1] = 0x80;
            break;
        }
    } else {
        x87h_store(kind, st_get(env, 0), buf, cw_all(env), &hsw);
        ok = !(hsw & FSW_EXC & ~env->fpu.fcw & ABORT_STORE);
    }
    if (ok) {
        /* fault (if any) before committing flags or TOP */
        cpu_check_write(env, seg, ea, size);
        for (unsigned i = 0; i < size; i++) {
            cpu_stb(env, seg, ea + i, buf[i]);
        }
    }
    if (!st_empty(env, 0)) {
        if (!x87_absorb(env, hsw, X87_FSW_C1, ABORT_STORE)) {
            return;
        }
    }
    if (pop) {
        x87_pop(env);
    }
}

/* Unary ops on ST(0): FSQRT FRNDINT F2XM1 FSIN FCOS. */
static void x87_op_unary(CPUX86State *env, int op)
{
    if (st_empty(env, 0)) {
        if (op == XH_SIN || op == XH_COS) {
            env->fpu.fsw &= ~X87_FSW_C2;        /* C2 reports "out of range" only */
        }
        if (x87_stack_fault(env, false)) {
            st_set(env, 0, x87_indefinite());
        }
        return;
    }
    uint16_t hsw;
    uint16_t cmask = X87_FSW_C1;
    if (op == XH_SIN || op == XH_COS) {
        cmask |= X87_FSW_C2;    /* C2 = 1: operand out of range, ST(0) unchanged */
    }
    long double r = x87h_unary(op, st_get(env, 0), cw_exact(env), &hsw);
    if (x87_absorb_exact(env, hsw, cmask)) {
        st_set(env, 0, r);
    }
}

/* FPREM FPREM1 FSCALE: ST(0) = f(ST(0), ST(1)). */
static void x87_op_st0_st1(CPUX86State *env, int op)
{
    if (st_empty(env, 0) || st_empty(env, 1)) {
        if (op != XH_SCALE) {
            env->fpu.fsw &= ~X87_FSW_C2;
        }
        if (x87_stack_fault(env, false)) {
            st_set(env, 0, x87_indefinite());
        }
        return;
    }
    uint16_t hsw;
    uint16_t cmask;
    long double r;
    if (op == XH_SCALE) {
        cmask = X87_FSW_C1;
        r = x87h_binary(op, st_get(env, 0), st_get(env, 1), cw_exact(env), &hsw);
    } else {
        cmask = FSW_CC;
        r = x87h_prem(op == XH_PREM1, st_get(env, 0), st_get(env, 1), cw_exact(env),
                      env->fpu.fsw, &hsw);
    }
    if (x87_absorb_exact(env, hsw, cmask)) {
        st_set(env, 0, r);
    }
}

/* FPATAN FYL2X FYL2XP1: ST(1) = f(ST(1), ST(0)), pop. */
static void x87_op_binpop(CPUX86State *env, int op)
{
    if (st_empty(env, 0) || st_empty(env, 1)) {
        if (x87_stack_fault(env, false)) {
            st_set(env, 1, x87_indefinite());
            x87_pop(env);
        }
        return;
    }
    uint16_t hsw;
    long double r = x87h_binpop(op, st_get(env, 0), st_get(env, 1), cw_reg(env), &hsw);
    if (x87_absorb(env, hsw, X87_FSW_C1, ABORT_PRE)) {
        st_set(env, 1, r);
        x87_pop(env);
    }
}

/* FXTRACT FSINCOS FPTAN: replace ST(0) and push a second result. */
static void x87_op_push2(CPUX86State *env, int op)
{
    if (st_empty(env, 0) || x87_push_overflows(env)) {
        if (op != XH_XTRACT) {
            env->fpu.fsw &= ~X87_FSW_C2;
        }
        if (x87_stack_fault(env, !st_empty(env, 0))) {
            st_set(env, 0, x87_indefinite());
            x87_push(env, x87_indefinite());
        }
        return;
    }
    long double a = st_get(env, 0);
    if (op != XH_XTRACT) {
        uint64_t m;
        uint16_t se;
        x87_to80(a, &m, &se);
        /* finite |x| >= 2^63: C2 = 1 and nothing else changes; the host
         * does not push then, so it must not be asked */
        if (x87_tag_of(a) == TAG_VALID && (se & 0x7fff) >= 0x3fff + 63) {
            env->fpu.fsw = (env->fpu.fsw & ~X87_FSW_C1) | X87_FSW_C2;
            return;
        }
    }
    uint16_t hsw;
    long double r0, r1;
    x87h_push2(op, a, &r0, &r1, cw_reg(env), &hsw);
    uint16_t cmask = X87_FSW_C1 | (op == XH_XTRACT ? 0 : X87_FSW_C2);
    if (x87_absorb_exact(env, hsw, cmask)) {
        st_set(env, 0, r1);
        x87_push(env, r0);
    }
}

static void x87_fxam(CPUX86State *env)
{
    long double a = st_get(env, 0);
    uint64_t m;
    uint16_t se, cc;
    x87_to80(a, &m, &se);
    if (st_empty(env, 0)) {
        cc = X87_FSW_C3 | X87_FSW_C0;
    } else {
        uint16_t hsw;
        x87h_xam(a, &hsw);
        cc = hsw & (X87_FSW_C0 | X87_FSW_C2 | X87_FSW_C3);
    }
    if (se & 0x8000) {
        cc |= X87_FSW_C1;
    }
    env->fpu.fsw = (env->fpu.fsw & ~FSW_CC) | cc;
}

/* FCMOVcc: DA/DB C0..DF; reg 0 B, 1 E, 2 BE, 3 U; DB negates. */
static void x87_fcmov(CPUX86State *env, int cond, bool negate, int i)
{
    uint32_t f = cpu_compute_eflags(env);
    bool t;
    switch (cond) {
    case 0:
        t = f & CC_C;
        break;
    case 1:
        t = f & CC_Z;
        break;
    case 2:
        t = f & (CC_C | CC_Z);
        break;
    default:
        t = f & CC_P;
        break;
    }
    if (st_empty(env, 0) || st_empty(env, i)) {
        /* masked underflow writes the indefinite whatever the condition
         * (as hardware does: the masked response comes before the move) */
        if (x87_stack_fault(env, false)) {
            st_set(env, 0, x87_indefinite());
        }
        return;
    }
    /* C1 is only written on underflow (SDM FCMOVcc "FPU Flags Affected") */
    if (t ^ negate) {
        st_set(env, 0, st_get(env, i));
    }
}

static void x87_fxch(CPUX86State *env, int i)
{
    if (st_empty(env, 0) || st_empty(env, i)) {
        if (!x87_stack_fault(env, false)) {
            return;
        }
        /* masked: an empty register takes part as QNaN indefinite */
        if (st_empty(env, 0)) {
            st_set(env, 0, x87_indefinite());
        }
        if (st_empty(env, i)) {
            st_set(env, i, x87_indefinite());
        }
    } else {
        x87_set_c1(env, false);
    }
    long double a = st_get(env, 0);
    st_set(env, 0, st_get(env, i));
    st_set(env, i, a);
}

static void x87_fld_sti(CPUX86State *env, int i)
{
    if (st_empty(env, i)) {
        /* the underflow is what gets reported (C1 = 0), even when the
         * push also overflows (checked against hardware) */
        if (!x87_stack_fault(env, false)) {
            return;
        }
        x87_push(env, x87_indefinite());
        return;
    }
    x87_load_push(env, st_get(env, i), 0);
}

static void x87_fst_sti(CPUX86State *env, int i, bool pop)
{
    if (st_empty(env, 0)) {
        if (!x87_stack_fault(env, false)) {
            return;
        }
        st_set(env, i, x87_indefinite());
    } else {
        x87_set_c1(env, false);
        st_set(env, i, st_get(env, 0));
    }
    if (pop) {
        x87_pop(env);
    }
}

/* ===================== environment images ===================== */

static uint16_t x87_full_tag(CPUX86State *env)
{
    return env->fpu.ftw_tag;
}

static bool x87_protected_format(CPUX86State *env)
{
    return (env->cr[0] & CR0_PE) && !(env->eflags & VM_MASK);
}

static unsigned x87_env_size(bool op32)
{
    return op32 ? 28 : 14;
}

static void x87_store_env(CPUX86State *env, int seg, uint64_t ea, bool op32)
{
    uint16_t fcw = env->fpu.fcw, fsw = x87_get_fsw(env), ftw = x87_full_tag(env);
    uint16_t fop = env->fpu.fop & 0x7ff;
    bool pm = x87_protected_format(env);

    if (op32) {
        /* reserved upper halves read back as ones on real CPUs */
        cpu_stl(env, seg, ea + 0, 0xffff0000u | fcw);
        cpu_stl(env, seg, ea + 4, 0xffff0000u | fsw);
        cpu_stl(env, seg, ea + 8, 0xffff0000u | ftw);
        if (pm) {
            cpu_stl(env, seg, ea + 12, (uint32_t)env->fpu.fip);
            cpu_stl(env, seg, ea + 16, env->fpu.fcs | ((uint32_t)fop << 16));
            cpu_stl(env, seg, ea + 20, (uint32_t)env->fpu.fdp);
            cpu_stl(env, seg, ea + 24, 0xffff0000u | env->fpu.fds);
        } else {
            /* real/v86: 32-bit linear pointers split 16 + 16 (bits 27..12) */
            uint32_t ip = ((uint32_t)env->fpu.fcs << 4) + (uint32_t)env->fpu.fip;
            uint32_t dp = ((uint32_t)env->fpu.fds << 4) + (uint32_t)env->fpu.fdp;
            cpu_stl(env, seg, ea + 12, 0xffff0000u | (ip & 0xffff));
            cpu_stl(env, seg, ea + 16, ((ip >> 16) << 12) | fop);
            cpu_stl(env, seg, ea + 20, 0xffff0000u | (dp & 0xffff));
            cpu_stl(env, seg, ea + 24, (dp >> 16) << 12);
        }
    } else {
        cpu_stw(env, seg, ea + 0, fcw);
        cpu_stw(env, seg, ea + 2, fsw);
        cpu_stw(env, seg, ea + 4, ftw);
        if (pm) {
            cpu_stw(env, seg, ea + 6, (uint16_t)env->fpu.fip);
            cpu_stw(env, seg, ea + 8, env->fpu.fcs);
            cpu_stw(env, seg, ea + 10, (uint16_t)env->fpu.fdp);
            cpu_stw(env, seg, ea + 12, env->fpu.fds);
        } else {
            uint32_t ip = ((uint32_t)env->fpu.fcs << 4) + (uint32_t)env->fpu.fip;
            uint32_t dp = ((uint32_t)env->fpu.fds << 4) + (uint32_t)env->fpu.fdp;
            cpu_stw(env, seg, ea + 6, ip & 0xffff);
            cpu_stw(env, seg, ea + 8, (((ip >> 16) & 0xf) << 12) | fop);
            cpu_stw(env, seg, ea + 10, dp & 0xffff);
            cpu_stw(env, seg, ea + 12, ((dp >> 16) & 0xf) << 12);
        }
    }
}

typedef struct X87Env {
    uint16_t fcw, fsw, ftw, fop, fcs, fds;
    uint64_t fip, fdp;
} X87Env;

static void x87_read_env(CPUX86State *env, int seg, uint64_t ea, bool op32, X87Env *e)
{
    bool pm = x87_protected_format(env);
    memset(e, 0, sizeof(*e));
    if (op32) {
        e->fcw = cpu_lduw(env, seg, ea + 0);
        e->fsw = cpu_lduw(env, seg, ea + 4);
        e->ftw = cpu_lduw(env, seg, ea + 8);
        uint32_t w12 = cpu_ldl(env, seg, ea + 12), w16 = cpu_ldl(env, seg, ea + 16);
        uint32_t w20 = cpu_ldl(env, seg, ea + 20), w24 = cpu_ldl(env, seg, ea + 24);
        if (pm) {
            e->fip = w12;
            e->fcs = w16 & 0xffff;
            e->fop = (w16 >> 16) & 0x7ff;
            e->fdp = w20;
            e->fds = w24 & 0xffff;
        } else {
            /* real mode keeps linear pointers: selector 0, offset = linear */
            e->fip = (w12 & 0xffff) | (((w16 >> 12) & 0xffff) << 16);
            e->fop = w16 & 0x7ff;
            e->fdp = (w20 & 0xffff) | (((w24 >> 12) & 0xffff) << 16);
        }
    } else {
        e->fcw = cpu_lduw(env, seg, ea + 0);
        e->fsw = cpu_lduw(env, seg, ea + 2);
        e->ftw = cpu_lduw(env, seg, ea + 4);
        uint16_t w6 = cpu_lduw(env, seg, ea + 6), w8 = cpu_lduw(env, seg, ea + 8);
        uint16_t w10 = cpu_lduw(env, seg, ea + 10), w12 = cpu_lduw(env, seg, ea + 12);
        if (pm) {
            e->fip = w6;
            e->fcs = w8;
            e->fdp = w10;
            e->fds = w12;
        } else {
            e->fip = w6 | ((uint32_t)(w8 >> 12) << 16);
            e->fop = w8 & 0x7ff;
            e->fdp = w10 | ((uint32_t)(w12 >> 12) << 16);
        }
    }
}

/* Commit a loaded environment; tags other than "empty" are recomputed
 * from the register contents, as the hardware does. */
static void x87_commit_env(CPUX86State *env, const X87Env *e)
{
    env->fpu.fcw = (e->fcw & 0x1f3f) | 0x40;
    env->fpu.top = (e->fsw >> 11) & 7;
    env->fpu.fsw = e->fsw & ~X87_FSW_TOP;
    env->fpu.fop = e->fop;
    env->fpu.fip = e->fip;
    env->fpu.fcs = e->fcs;
    env->fpu.fdp = e->fdp;
    env->fpu.fds = e->fds;
    for (int p = 0; p < 8; p++) {
        bool empty = ((e->ftw >> (2 * p)) & 3) == TAG_EMPTY;
        x87_set_tag(env, p, empty ? TAG_EMPTY : x87_tag_of(env->fpu.st[p]));
    }
    x87_update_es(env);
}

static void x87_fnstenv(CPUX86State *env, int seg, uint64_t ea, bool op32)
{
    cpu_check_write(env, seg, ea, x87_env_size(op32));
    x87_store_env(env, seg, ea, op32);
    /* FNSTENV masks all exceptions afterwards (FSW, ES included, stays) */
    env->fpu.fcw |= 0x3f;
}

static void x87_fldenv(CPUX86State *env, int seg, uint64_t ea, bool op32)
{
    X87Env e;
    x87_read_env(env, seg, ea, op32, &e);
    x87_commit_env(env, &e);
}

static void x87_fnsave(CPUX86State *env, int seg, uint64_t ea, bool op32)
{
    unsigned es = x87_env_size(op32);
    cpu_check_write(env, seg, ea, es + 80);
    x87_store_env(env, seg, ea, op32);
    for (int i = 0; i < 8; i++) {
        x87_st80(env, seg, ea + es + 10 * i, st_get(env, i));
    }
    x87_reset(env);
}

static void x87_frstor(CPUX86State *env, int seg, uint64_t ea, bool op32)
{
    unsigned es = x87_env_size(op32);
    X87Env e;
    long double regs[8];
    x87_read_env(env, seg, ea, op32, &e);
    for (int i = 0; i < 8; i++) {
        regs[i] = x87_ld80(env, seg, ea + es + 10 * i);
    }
    /* registers are stored in stack order relative to the loaded TOP */
    int top = (e.fsw >> 11) & 7;
    for (int i = 0; i < 8; i++) {
        env->fpu.st[(top + i) & 7] = regs[i];
    }
    x87_commit_env(env, &e);
}

/* ===================== FXSAVE / FXRSTOR ===================== */

static void x87_fx_check(CPUX86State *env, int seg, uint64_t ea)
{
    if (env->cr[0] & (CR0_EM | CR0_TS)) {
        raise_exception(env, EXCP_NM);
    }
    if ((env->segs[seg].base + ea) & 15) {
        raise_exception_err(env, EXCP_GP, 0);
    }
}

static int x87_fx_nxmm(CPUX86State *env)
{
    return (env->hflags & HF_CS64) ? 16 : 8;
}

void x87_fxsave(CPUX86State *env, int seg, uint64_t ea, bool fx64)
{
    x87_fx_check(env, seg, ea);
    int nxmm = x87_fx_nxmm(env);
    cpu_check_write(env, seg, ea, 160 + 16 * nxmm);
    cpu_stw(env, seg, ea + 0, env->fpu.fcw);
    cpu_stw(env, seg, ea + 2, x87_get_fsw(env));
    cpu_stw(env, seg, ea + 4, x87_get_ftw_abridged(env));   /* byte 5 reserved: 0 */
    cpu_stw(env, seg, ea + 6, env->fpu.fop & 0x7ff);
    if (fx64) {
        cpu_stq(env, seg, ea + 8, env->fpu.fip);
        cpu_stq(env, seg, ea + 16, env->fpu.fdp);
    } else {
        cpu_stl(env, seg, ea + 8, (uint32_t)env->fpu.fip);
        cpu_stl(env, seg, ea + 12, env->fpu.fcs);
        cpu_stl(env, seg, ea + 16, (uint32_t)env->fpu.fdp);
        cpu_stl(env, seg, ea + 20, env->fpu.fds);
    }
    cpu_stl(env, seg, ea + 24, env->fpu.mxcsr);
    cpu_stl(env, seg, ea + 28, X87_MXCSR_MASK);
    for (int i = 0; i < 8; i++) {
        x87_st80(env, seg, ea + 32 + 16 * i, st_get(env, i));
        cpu_stw(env, seg, ea + 32 + 16 * i + 10, 0);
        cpu_stl(env, seg, ea + 32 + 16 * i + 12, 0);
    }
    for (int i = 0; i < nxmm; i++) {
        uint64_t lo, hi;
        memcpy(&lo, env->fpu.xmm[i], 8);
        memcpy(&hi, env->fpu.xmm[i] + 8, 8);
        cpu_stq(env, seg, ea + 160 + 16 * i, lo);
        cpu_stq(env, seg, ea + 160 + 16 * i + 8, hi);
    }
}

void x87_fxrstor(CPUX86State *env, int seg, uint64_t ea, bool fx64)
{
    x87_fx_check(env, seg, ea);
    int nxmm = x87_fx_nxmm(env);
    uint32_t mxcsr = cpu_ldl(env, seg, ea + 24);
    if (mxcsr & ~X87_MXCSR_MASK) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    X87Env e;
    e.fcw = cpu_lduw(env, seg, ea + 0);
    e.fsw = cpu_lduw(env, seg, ea + 2);
    uint8_t abridged = cpu_ldub(env, seg, ea + 4);
    e.fop = cpu_lduw(env, seg, ea + 6) & 0x7ff;
    if (fx64) {
        e.fip = cpu_ldq(env, seg, ea + 8);
        e.fcs = 0;
        e.fdp = cpu_ldq(env, seg, ea + 16);
        e.fds = 0;
    } else {
        e.fip = cpu_ldl(env, seg, ea + 8);
        e.fcs = cpu_lduw(env, seg, ea + 12);
        e.fdp = cpu_ldl(env, seg, ea + 16);
        e.fds = cpu_lduw(env, seg, ea + 20);
    }
    long double regs[8];
    uint8_t xmm[16][16];
    for (int i = 0; i < 8; i++) {
        regs[i] = x87_ld80(env, seg, ea + 32 + 16 * i);
    }
    for (int i = 0; i < nxmm; i++) {
        uint64_t lo = cpu_ldq(env, seg, ea + 160 + 16 * i);
        uint64_t hi = cpu_ldq(env, seg, ea + 160 + 16 * i + 8);
        memcpy(xmm[i], &lo, 8);
        memcpy(xmm[i] + 8, &hi, 8);
    }
    /* everything read: commit */
    int top = (e.fsw >> 11) & 7;
    e.ftw = 0;
    for (int p = 0; p < 8; p++) {
        env->fpu.st[(top + p) & 7] = regs[p];
        if (!(abridged & (1 << p))) {
            e.ftw |= TAG_EMPTY << (2 * p);
        }
    }
    memcpy(env->fpu.xmm, xmm, 16 * nxmm);
    env->fpu.mxcsr = mxcsr;
    x87_commit_env(env, &e);
}

/* ===================== dispatch ===================== */

static void __attribute__((noreturn)) x87_ud(CPUX86State *env)
{
    raise_exception(env, EXCP_UD);
}

/* Non-waiting instructions: no #MF check. */
static bool x87_nowait(uint8_t op, uint8_t modrm)
{
    int mod = modrm >> 6, reg = (modrm >> 3) & 7;
    if (mod != 3) {
        return (op == 0xd9 && (reg == 6 || reg == 7)) ||      /* FNSTENV FNSTCW */
               (op == 0xdd && (reg == 6 || reg == 7));        /* FNSAVE FNSTSW */
    }
    return (op == 0xdb && (modrm == 0xe0 || modrm == 0xe1 || modrm == 0xe2 ||
                           modrm == 0xe3 || modrm == 0xe4)) ||
           (op == 0xdf && modrm == 0xe0);
}

/* Returns false for control instructions, which keep FIP/FDP/FOP. */
static bool x87_exec_mem(CPUX86State *env, uint8_t op, int reg, int seg, uint64_t ea, bool op32)
{
    switch (op) {
    case 0xd8: case 0xdc: case 0xda: case 0xde: {
        /* D8 m32real, DA m32int, DC m64real, DE m16int */
        static const int kinds[4] = { 0, 2, 1, 3 };
        int kind = kinds[(op >> 1) & 3];
        uint64_t m = kind == 1 ? cpu_ldq(env, seg, ea)
                   : kind == 3 ? cpu_lduw(env, seg, ea) : cpu_ldl(env, seg, ea);
        x87_arith_mem(env, reg, kind, m);
        return true;
    }
    case 0xd9:
        switch (reg) {
        case 0:
            x87_load_exact(env, 0, cpu_ldl(env, seg, ea), NULL);
            return true;
        case 2:
        case 3:
            x87_store_mem(env, XS_F32, seg, ea, reg == 3);
            return true;
        case 4:
            x87_fldenv(env, seg, ea, op32);
            return false;
        case 5:
            env->fpu.fcw = (cpu_lduw(env, seg, ea) & 0x1f3f) | 0x40;
            x87_update_es(env);
            return false;
        case 6:
            x87_fnstenv(env, seg, ea, op32);
            return false;
        case 7:
            cpu_stw(env, seg, ea, env->fpu.fcw);
            return false;
        }
        break;
    case 0xdb:
        switch (reg) {
        case 0:
            x87_load_push(env, (long double)(int32_t)cpu_ldl(env, seg, ea), 0);
            return true;
        case 1:
            x87_store_mem(env, XS_TI32, seg, ea, true);
            return true;
        case 2:
        case 3:
            x87_store_mem(env, XS_I32, seg, ea, reg == 3);
            return true;
        case 5:
            x87_load_push(env, x87_ld80(env, seg, ea), 0);
            return true;
        case 7:
            cpu_check_write(env, seg, ea, 10);
            if (st_empty(env, 0)) {
                if (x87_stack_fault(env, false)) {
                    x87_st80(env, seg, ea, x87_indefinite());
                    x87_pop(env);
                }
            } else {
                x87_st80(env, seg, ea, st_get(env, 0));
                x87_set_c1(env, false);
                x87_pop(env);
            }
            return true;
        }
        break;
    case 0xdd:
        switch (reg) {
        case 0:
            x87_load_exact(env, 1, cpu_ldq(env, seg, ea), NULL);
            return true;
        case 1:
            x87_store_mem(env, XS_TI64, seg, ea, true);
            return true;
        case 2:
        case 3:
            x87_store_mem(env, XS_F64, seg, ea, reg == 3);
            return true;
        case 4:
            x87_frstor(env, seg, ea, op32);
            return false;
        case 6:
            x87_fnsave(env, seg, ea, op32);
            return false;
        case 7:
            cpu_stw(env, seg, ea, x87_get_fsw(env));
            return false;
        }
        break;
    case 0xdf:
        switch (reg) {
        case 0:
            x87_load_push(env, (long double)(int16_t)cpu_lduw(env, seg, ea), 0);
            return true;
        case 1:
            x87_store_mem(env, XS_TI16, seg, ea, true);
            return true;
        case 2:
        case 3:
            x87_store_mem(env, XS_I16, seg, ea, reg == 3);
            return true;
        case 4: {
            X87Bytes10 b;
            x87_ld_bytes10(env, seg, ea, &b);
            x87_load_exact(env, 2, 0, &b);
            return true;
        }
        case 5:
            x87_load_push(env, (long double)(int64_t)cpu_ldq(env, seg, ea), 0);
            return true;
        case 6:
            x87_store_mem(env, XS_BCD, seg, ea, true);
            return true;
        case 7:
            x87_store_mem(env, XS_I64, seg, ea, true);
            return true;
        }
        break;
    }
    x87_ud(env);
}

static bool x87_exec_reg(CPUX86State *env, uint8_t op, uint8_t modrm)
{
    int reg = (modrm >> 3) & 7, i = modrm & 7;

    switch (op) {
    case 0xd8:
        if (reg == 2 || reg == 3) {
            x87_compare(env, st_get(env, i), st_empty(env, i), false, false, reg == 3, false);
        } else {
            x87_arith(env, x87_arith_op[reg], 0, st_get(env, i), st_empty(env, i), false);
        }
        return true;
    case 0xdc:
    case 0xde: {
        bool pop = op == 0xde;
        if (reg == 2 || reg == 3) {           /* DC D0/D8, DE D0: FCOM/FCOMP aliases */
            if (op == 0xde && reg == 3) {
                if (i != 1) {
                    x87_ud(env);
                }
                x87_compare(env, st_get(env, 1), st_empty(env, 1), false, false, 2, false);
            } else {
                x87_compare(env, st_get(env, i), st_empty(env, i), false, false,
                            (reg == 3 || op == 0xde) ? 1 : 0, false);
            }
            return true;
        }
        /* ST(i) = ST(i) op ST(0): the E0/F0 rows are the reversed forms */
        static const int rev[8] = { XH_ADD, XH_MUL, -1, -1, XH_SUBR, XH_SUB, XH_DIVR, XH_DIV };
        x87_arith(env, rev[reg], i, st_get(env, 0), st_empty(env, 0), pop);
        return true;
    }
    case 0xd9:
        switch (reg) {
        case 0:
            x87_fld_sti(env, i);
            return true;
        case 1:
            x87_fxch(env, i);
            return true;
        case 2:
            if (i == 0) {
                return true;                  /* FNOP */
            }
            break;
        case 3:                               /* D9 D8+i: FSTP alias */
            x87_fst_sti(env, i, true);
            return true;
        case 4:
            switch (i) {
            case 0:                           /* FCHS */
            case 1:                           /* FABS */
                if (st_empty(env, 0)) {
                    if (x87_stack_fault(env, false)) {
                        st_set(env, 0, x87_indefinite());
                    }
                } else {
                    long double a = st_get(env, 0);
                    x87_set_c1(env, false);
                    st_set(env, 0, i == 0 ? -a : __builtin_fabsl(a));
                }
                return true;
            case 4:                           /* FTST */
                x87_compare(env, 0.0L, false, false, true, 0, false);
                return true;
            case 5:
                x87_fxam(env);
                return true;
            }
            break;
        case 5:
            if (i == 7) {
                break;
            }
            if (x87_push_overflows(env)) {
                if (x87_stack_fault(env, true)) {
                    x87_push(env, x87_indefinite());
                }
                return true;
            } else {
                uint16_t hsw;
                long double c = x87h_const(i, cw_all(env), &hsw);
                x87_set_c1(env, false);
                x87_push(env, c);
            }
            return true;
        case 6:
            switch (i) {
            case 0:
                x87_op_unary(env, XH_F2XM1);
                return true;
            case 1:
                x87_op_binpop(env, XH_YL2X);
                return true;
            case 2:
                x87_op_push2(env, XH_PTAN);
                return true;
            case 3:
                x87_op_binpop(env, XH_PATAN);
                return true;
            case 4:
                x87_op_push2(env, XH_XTRACT);
                return true;
            case 5:
                x87_op_st0_st1(env, XH_PREM1);
                return true;
            case 6:                           /* FDECSTP */
                env->fpu.top = (env->fpu.top - 1) & 7;
                x87_set_c1(env, false);
                return true;
            case 7:                           /* FINCSTP */
                env->fpu.top = (env->fpu.top + 1) & 7;
                x87_set_c1(env, false);
                return true;
            }
            break;
        case 7:
            switch (i) {
            case 0:
                x87_op_st0_st1(env, XH_PREM);
                return true;
            case 1:
                x87_op_binpop(env, XH_YL2XP1);
                return true;
            case 2:
                x87_op_unary(env, XH_SQRT);
                return true;
            case 3:
                x87_op_push2(env, XH_SINCOS);
                return true;
            case 4:
                x87_op_unary(env, XH_RNDINT);
                return true;
            case 5:
                x87_op_st0_st1(env, XH_SCALE);
                return true;
            case 6:
                x87_op_unary(env, XH_SIN);
                return true;
            case 7:
                x87_op_unary(env, XH_COS);
                return true;
            }
            break;
        }
        break;
    case 0xda:
        if (reg < 4) {
            x87_fcmov(env, reg, false, i);
            return true;
        }
        if (modrm == 0xe9) {                  /* FUCOMPP */
            x87_compare(env, st_get(env, 1), st_empty(env, 1), true, false, 2, false);
            return true;
        }
        break;
    case 0xdb:
        if (reg < 4) {
            x87_fcmov(env, reg, true, i);
            return true;
        }
        if (reg == 5 || reg == 6) {           /* FUCOMI / FCOMI */
            x87_compare(env, st_get(env, i), st_empty(env, i), reg == 5, false, 0, true);
            return true;
        }
        switch (modrm) {
        case 0xe0:                            /* FENI: 8087 only */
        case 0xe1:                            /* FDISI: 8087 only */
        case 0xe4:                            /* FSETPM: 287 only */
            return false;
        case 0xe2:                            /* FNCLEX */
            env->fpu.fsw &= ~(FSW_EXC | X87_FSW_SF | X87_FSW_ES | X87_FSW_B);
            return false;
        case 0xe3:                            /* FNINIT */
            x87_reset(env);
            return false;
        }
        break;
    case 0xdd:
        switch (reg) {
        case 0:                               /* FFREE */
            x87_set_tag(env, x87_phys(env, i), TAG_EMPTY);
            return true;
        case 1:                               /* FXCH alias */
            x87_fxch(env, i);
            return true;
        case 2:
        case 3:
            x87_fst_sti(env, i, reg == 3);
            return true;
        case 4:
        case 5:                               /* FUCOM / FUCOMP */
            x87_compare(env, st_get(env, i), st_empty(env, i), true, false, reg == 5, false);
            return true;
        }
        break;
    case 0xdf:
        switch (reg) {
        case 0:                               /* FFREEP */
            x87_set_tag(env, x87_phys(env, i), TAG_EMPTY);
            x87_pop(env);
            return true;
        case 1:                               /* FXCH alias */
            x87_fxch(env, i);
            return true;
        case 2:
        case 3:                               /* FSTP aliases */
            x87_fst_sti(env, i, true);
            return true;
        case 4:
            if (i == 0) {                     /* FNSTSW AX */
                env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | x87_get_fsw(env);
                return false;
            }
            break;
        case 5:
        case 6:                               /* FUCOMIP / FCOMIP */
            x87_compare(env, st_get(env, i), st_empty(env, i), reg == 5, false, 1, true);
            return true;
        }
        break;
    }
    x87_ud(env);
}

void x87_exec(CPUX86State *env, uint8_t opcode, uint8_t modrm, int seg, uint64_t ea,
              bool opsize32, uint16_t fcs, uint64_t fip)
{
    bool mem = (modrm >> 6) != 3;

    if (env->cr[0] & (CR0_EM | CR0_TS)) {
        raise_exception(env, EXCP_NM);
    }
    if (!x87_nowait(opcode, modrm)) {
        x87_check_pending(env);
    }
    bool data = mem ? x87_exec_mem(env, opcode, (modrm >> 3) & 7, seg, ea, opsize32)
                    : x87_exec_reg(env, opcode, modrm);
    if (data) {
        /* the last non-control instruction is what an exception handler
         * finds through FNSTENV/FNSAVE/FXSAVE */
        env->fpu.fop = ((opcode & 7) << 8) | modrm;
        env->fpu.fcs = fcs;
        env->fpu.fip = fip;
        if (mem) {
            env->fpu.fdp = ea;
            env->fpu.fds = env->segs[seg].selector;
        }
    }
}
