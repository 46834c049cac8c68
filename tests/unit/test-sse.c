/*
 * MMX/SSE..SSE4.2/POPCNT semantics against the host CPU.  Each listed
 * encoding runs twice from the same random state (XMM0-2, MM1-2, EAX, ECX,
 * EDX, EFLAGS, MXCSR with random rounding/DAZ/FTZ and sticky flags, a
 * 16-byte aligned memory operand): natively, from a stub that loads the
 * state, executes the very same instruction bytes and stores the state
 * back, and in Vireo through the decoder and sse.c.  Register forms use
 * ModRM reg=1 rm=2 (xmm1/mm1/ecx, xmm2/mm2/edx), memory forms [ebx]/[rbx].
 * Everything in the state block and the first 16 operand bytes must match.
 * Operands mix random integers with float/double specials (denormals,
 * infinities, QNaN/SNaN, zeros).  Then the exception rules: #UD without
 * CR4.OSFXSR or with CR0.EM, #NM with CR0.TS, #GP for misaligned aligned
 * forms, unmasked SIMD exceptions (#XM or #UD, destination unchanged), and
 * the MMX/x87 aliasing.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>

#include "x86-insn-util.h"
#include "target/x86/x87.h"

#if !defined(__x86_64__)
int main(void) { return 77; }
#else

#define OPND 0x2000

/* host state block, shared layout with the stub below */
typedef struct __attribute__((packed, aligned(16))) State {
    uint8_t xmm[3][16];      /* 0 */
    uint64_t mm[2];          /* 48: mm1, mm2 */
    uint32_t mxcsr;          /* 64 */
    uint32_t eax, ecx, edx;  /* 68 */
    uint64_t rflags;         /* 80 */
    uint64_t pad;
} State;

asm(".pushsection .rodata\n"
    ".globl sse_stub_pre\nsse_stub_pre:\n"
    "push %rbx\n push %r12\n mov %rdi, %r12\n mov %rsi, %rbx\n"
    "movdqu (%r12), %xmm0\n movdqu 16(%r12), %xmm1\n movdqu 32(%r12), %xmm2\n"
    "movq 48(%r12), %mm1\n movq 56(%r12), %mm2\n ldmxcsr 64(%r12)\n"
    "mov 68(%r12), %eax\n mov 72(%r12), %ecx\n mov 76(%r12), %edx\n"
    "pushq 80(%r12)\n popfq\n"
    ".globl sse_stub_post\nsse_stub_post:\n"
    "pushfq\n popq 80(%r12)\n"
    "mov %eax, 68(%r12)\n mov %ecx, 72(%r12)\n mov %edx, 76(%r12)\n stmxcsr 64(%r12)\n"
    "movdqu %xmm0, (%r12)\n movdqu %xmm1, 16(%r12)\n movdqu %xmm2, 32(%r12)\n"
    "movq %mm1, 48(%r12)\n movq %mm2, 56(%r12)\n emms\n"
    "pushq $0x1f80\n ldmxcsr (%rsp)\n popq %rax\n"
    "pop %r12\n pop %rbx\n ret\n"
    ".globl sse_stub_end\nsse_stub_end:\n"
    ".popsection\n");
extern const uint8_t sse_stub_pre[], sse_stub_post[], sse_stub_end[];

typedef void (*Stub)(State *s, uint8_t *opnd);

static Stub make_stub(const uint8_t *insn, int len)
{
    uint8_t *p = xt_host_page(), *q = p;
    size_t pre = sse_stub_post - sse_stub_pre, post = sse_stub_end - sse_stub_post;
    memcpy(q, sse_stub_pre, pre);
    q += pre;
    memcpy(q, insn, len);
    q += len;
    memcpy(q, sse_stub_post, post);
    __builtin___clear_cache((char *)p, (char *)q + post);
    return (Stub)p;
}

/*
 * Unmasked SIMD exceptions: the host traps (SIGFPE); the handler copies
 * the interrupted state from the signal frame and jumps back, so the
 * state at the #XM can be compared too.  The handler runs with a clean
 * FPU state, which siglongjmp keeps: the host MXCSR is the default again.
 */
static sigjmp_buf host_trap;
static State *host_state;

static void on_sigfpe(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    for (int i = 0; i < 3; i++) {
        memcpy(host_state->xmm[i], &fp->_xmm[i], 16);
    }
    memcpy(&host_state->mm[0], &fp->_st[1], 8);
    memcpy(&host_state->mm[1], &fp->_st[2], 8);
    host_state->mxcsr = fp->mxcsr;
    host_state->eax = uc->uc_mcontext.gregs[REG_RAX];
    host_state->ecx = uc->uc_mcontext.gregs[REG_RCX];
    host_state->edx = uc->uc_mcontext.gregs[REG_RDX];
    host_state->rflags = uc->uc_mcontext.gregs[REG_EFL];
    siglongjmp(host_trap, 1);
}

/* ---- the instruction list ---- */

enum { R = 1, M = 2, I = 4 };

typedef struct SseCase {
    uint8_t pfx;         /* 0, 0x66, 0xf3, 0xf2 */
    uint16_t op;         /* 0x0fxx, 0x38xx (0F 38 xx), 0x3axx (0F 3A xx) */
    uint8_t forms;       /* R, M, I */
    int8_t modreg;       /* fixed ModRM.reg (shift groups), else -1 */
} SseCase;

static GArray *cases;

static void add(uint8_t pfx, uint16_t op, int forms)
{
    SseCase c = { pfx, op, forms, -1 };
    g_array_append_val(cases, c);
}

static void add_range(uint8_t pfx, uint16_t lo, uint16_t hi, int forms)
{
    for (unsigned op = lo; op <= hi; op++) {
        add(pfx, op, forms);
    }
}

static void build_cases(void)
{
    static const uint8_t all[4] = { 0, 0x66, 0xf3, 0xf2 };
    cases = g_array_new(FALSE, FALSE, sizeof(SseCase));
    for (int i = 0; i < 4; i++) {
        add(all[i], 0x0f10, R | M);
        add(all[i], 0x0f11, R | M);
        add(all[i], 0x0f51, R | M);
        add(all[i], 0x0f58, R | M);
        add(all[i], 0x0f59, R | M);
        add(all[i], 0x0f5a, R | M);
        add_range(all[i], 0x0f5c, 0x0f5f, R | M);
        add(all[i], 0x0f70, R | M | I);
        add(all[i], 0x0fc2, R | M | I);
        add(all[i], 0x0f2a, R | M);
        add(all[i], 0x0f2c, R | M);
        add(all[i], 0x0f2d, R | M);
    }
    add(0, 0x0f12, R | M); add(0x66, 0x0f12, M); add(0xf2, 0x0f12, R | M); add(0xf3, 0x0f12, R | M);
    add(0, 0x0f13, M); add(0x66, 0x0f13, M);
    add(0, 0x0f16, R | M); add(0x66, 0x0f16, M); add(0xf3, 0x0f16, R | M);
    add(0, 0x0f17, M); add(0x66, 0x0f17, M);
    for (int p = 0; p < 2; p++) {
        uint8_t x = p ? 0x66 : 0;
        add(x, 0x0f14, R | M); add(x, 0x0f15, R | M);
        add(x, 0x0f28, R | M); add(x, 0x0f29, R | M); add(x, 0x0f2b, M);
        add(x, 0x0f2e, R | M); add(x, 0x0f2f, R | M);
        add(x, 0x0f50, R);
        add_range(x, 0x0f54, 0x0f57, R | M);
        add(x, 0x0f5b, R | M);
        add_range(x, 0x0f60, 0x0f6b, R | M);
        add(x, 0x0f6e, R | M); add(x, 0x0f6f, R | M);
        add_range(x, 0x0f74, 0x0f76, R | M);
        add(x, 0x0f7e, R | M); add(x, 0x0f7f, R | M);
        add(x, 0x0fc4, R | M | I); add(x, 0x0fc5, R | I); add(x, 0x0fc6, R | M | I);
        add_range(x, 0x0fd1, 0x0fd5, R | M);
        add(x, 0x0fd7, R);
        add_range(x, 0x0fd8, 0x0fe5, R | M);
        add(x, 0x0fe7, M);
        add_range(x, 0x0fe8, 0x0fef, R | M);
        add_range(x, 0x0ff1, 0x0ff6, R | M);
        add_range(x, 0x0ff8, 0x0ffe, R | M);
        add_range(x, 0x3800, 0x380b, R | M);
        add_range(x, 0x381c, 0x381e, R | M);
        add(x, 0x3a0f, R | M | I);
        /* shifts by immediate */
        static const struct { uint16_t op; int8_t reg; } sh[] = {
            { 0x0f71, 2 }, { 0x0f71, 4 }, { 0x0f71, 6 }, { 0x0f72, 2 }, { 0x0f72, 4 },
            { 0x0f72, 6 }, { 0x0f73, 2 }, { 0x0f73, 6 },
        };
        for (size_t k = 0; k < G_N_ELEMENTS(sh); k++) {
            SseCase c = { x, sh[k].op, R | I, sh[k].reg };
            g_array_append_val(cases, c);
        }
    }
    SseCase c3 = { 0x66, 0x0f73, R | I, 3 }, c7 = { 0x66, 0x0f73, R | I, 7 };
    g_array_append_val(cases, c3);
    g_array_append_val(cases, c7);
    add(0, 0x0f52, R | M); add(0xf3, 0x0f52, R | M); add(0, 0x0f53, R | M); add(0xf3, 0x0f53, R | M);
    add(0x66, 0x0f6c, R | M); add(0x66, 0x0f6d, R | M);
    add(0xf3, 0x0f6f, R | M); add(0xf3, 0x0f7f, R | M); add(0xf3, 0x0f7e, R | M);
    add(0x66, 0x0f7c, R | M); add(0xf2, 0x0f7c, R | M); add(0x66, 0x0f7d, R | M); add(0xf2, 0x0f7d, R | M);
    add(0x66, 0x0fd0, R | M); add(0xf2, 0x0fd0, R | M);
    add(0x66, 0x0fd6, R | M); add(0xf3, 0x0fd6, R); add(0xf2, 0x0fd6, R);
    add(0x66, 0x0fe6, R | M); add(0xf3, 0x0fe6, R | M); add(0xf2, 0x0fe6, R | M);
    add(0xf2, 0x0ff0, M);
    add(0, 0x0fc3, M);
    add(0xf3, 0x0fb8, R | M);
    /* SSE4.1 / 4.2 (66 only) */
    add(0x66, 0x3810, R | M); add(0x66, 0x3814, R | M); add(0x66, 0x3815, R | M);
    add(0x66, 0x3817, R | M);
    add_range(0x66, 0x3820, 0x3825, R | M);
    add(0x66, 0x3828, R | M); add(0x66, 0x3829, R | M); add(0x66, 0x382a, M);
    add(0x66, 0x382b, R | M);
    add_range(0x66, 0x3830, 0x3835, R | M);
    add_range(0x66, 0x3837, 0x3841, R | M);
    add(0xf2, 0x38f0, R | M); add(0xf2, 0x38f1, R | M);
    add_range(0x66, 0x3a08, 0x3a0e, R | M | I);
    add_range(0x66, 0x3a14, 0x3a17, R | M | I);
    add_range(0x66, 0x3a20, 0x3a22, R | M | I);
    add_range(0x66, 0x3a40, 0x3a42, R | M | I);
    add_range(0x66, 0x3a60, 0x3a63, R | M | I);
}

/* ---- random operands ---- */

static uint32_t rnd_f32(void)
{
    uint32_t v = g_test_rand_int();
    switch (g_test_rand_int_range(0, 12)) {
    case 0: return v & 0x80000000u;                          /* zero */
    case 1: return v & 0x807fffffu;                          /* denormal */
    case 2: return (v & 0x80000000u) | 0x7f800000u;          /* inf */
    case 3: return v | 0x7fc00000u;                          /* QNaN */
    case 4: return (v & 0xffbfffffu) | 0x7f800001u;          /* SNaN */
    case 5: return (v & 0x807fffffu) | 0x00800000u;          /* smallest normals */
    case 6: return (v & 0x80ffffffu) | 0x4e000000u;          /* around 2^29..2^31 */
    case 7: return (v & 0x807fffffu) | 0x3f800000u;          /* [1, 2) */
    default: return v;
    }
}

static uint64_t rnd_f64(void)
{
    uint64_t v = ((uint64_t)g_test_rand_int() << 32) | g_test_rand_int();
    switch (g_test_rand_int_range(0, 12)) {
    case 0: return v & (1ull << 63);
    case 1: return v & 0x800fffffffffffffull;
    case 2: return (v & (1ull << 63)) | 0x7ff0000000000000ull;
    case 3: return v | 0x7ff8000000000000ull;
    case 4: return (v & 0xfff7ffffffffffffull) | 0x7ff0000000000001ull;
    case 5: return (v & 0x800fffffffffffffull) | 0x0010000000000000ull;
    case 6: return (v & 0x801fffffffffffffull) | 0x41d0000000000000ull;
    case 7: return (v & 0x800fffffffffffffull) | 0x3ff0000000000000ull;
    default: return v;
    }
}

static void rnd_vec(uint8_t *p, int n)
{
    int kind = g_test_rand_int_range(0, 4);
    for (int i = 0; i < n; i += 8) {
        uint64_t v;
        if (kind == 0) {
            v = ((uint64_t)rnd_f32() << 32) | rnd_f32();
        } else if (kind == 1) {
            v = rnd_f64();
        } else if (kind == 2) {
            v = ((uint64_t)g_test_rand_int() << 32) | g_test_rand_int();
        } else {
            /* small bytes and repeated patterns: string compares, packs */
            v = 0;
            for (int k = 0; k < 8; k++) {
                v |= (uint64_t)(g_test_rand_bit() ? 'a' + g_test_rand_int_range(0, 4) :
                                g_test_rand_int_range(0, 3) == 0 ? 0 : g_test_rand_int() & 0xff)
                     << (8 * k);
            }
        }
        memcpy(p + i, &v, 8);
    }
}

static int encode(const SseCase *c, bool mem, uint8_t imm, uint8_t *out)
{
    int n = 0;
    if (c->pfx) {
        out[n++] = c->pfx;
    }
    out[n++] = 0x0f;
    if ((c->op >> 8) == 0x38 || (c->op >> 8) == 0x3a) {
        out[n++] = c->op >> 8;
    }
    out[n++] = c->op & 0xff;
    int reg = c->modreg >= 0 ? c->modreg : 1;
    out[n++] = mem ? (reg << 3) | 3 : 0xc0 | (reg << 3) | 2;
    if (c->forms & I) {
        out[n++] = imm;
    }
    return n;
}

static void dump(const char *what, const void *p, int n)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < n; i++) {
        g_string_append_printf(s, "%02x%s", ((const uint8_t *)p)[i], (i % 4) == 3 ? " " : "");
    }
    g_test_message("%s: %s", what, s->str);
    g_string_free(s, TRUE);
}

static bool run_one(const SseCase *c, bool mem, int iter)
{
    uint8_t insn[8];
    uint8_t imm = g_test_rand_int();
    if ((c->op & 0xff) == 0xc2 && c->op < 0x3800) {
        imm &= 7;                /* legacy CMPPS: predicates 0-7 */
    }
    int len = encode(c, mem, imm, insn);

    State s, h;
    uint8_t op[64] __attribute__((aligned(16))), hop[64] __attribute__((aligned(16)));
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < 3; i++) {
        rnd_vec(s.xmm[i], 16);
    }
    rnd_vec((uint8_t *)s.mm, 16);
    s.mxcsr = 0x1f80 | (g_test_rand_int() & 0x6000) | (g_test_rand_bit() ? 0x8000 : 0) |
              (g_test_rand_bit() ? 0x40 : 0) | (g_test_rand_int() & 0x3f & -(g_test_rand_int_range(0, 4) == 0));
    s.eax = g_test_rand_int_range(0, 4) ? g_test_rand_int_range(-20, 20) : g_test_rand_int();
    s.edx = g_test_rand_int_range(0, 4) ? g_test_rand_int_range(-20, 20) : g_test_rand_int();
    s.ecx = g_test_rand_int();
    s.rflags = 0x202 | (g_test_rand_int() & CC_MASK);
    rnd_vec(op, 64);

    if (g_test_rand_int_range(0, 4) == 0) {
        s.mxcsr &= ~((g_test_rand_int() & 0x3f) << 7);    /* unmask some exceptions */
        s.mxcsr &= ~0x3f;                                  /* none pending: they'd trap at once */
    }
    h = s;
    memcpy(hop, op, sizeof(op));
    bool trapped = false;
    host_state = &h;
    if (sigsetjmp(host_trap, 1) == 0) {
        make_stub(insn, len)(&h, hop);
    } else {
        trapped = true;
    }

    CPUX86State *env = xt_setup("max");
    for (int i = 0; i < 3; i++) {
        memcpy(env->fpu.xmm[i], s.xmm[i], 16);
    }
    x87_mmx_set(env, 1, s.mm[0]);
    x87_mmx_set(env, 2, s.mm[1]);
    env->fpu.mxcsr = s.mxcsr;
    env->regs[R_EAX] = s.eax;
    env->regs[R_ECX] = s.ecx;
    env->regs[R_EDX] = s.edx;
    env->regs[R_EBX] = OPND;
    cpu_load_eflags(env, s.rflags, 0xffffffff);
    memcpy(xt_mem(OPND), op, sizeof(op));
    int exc = xt_exec(env, insn, len);

    State g;
    memset(&g, 0, sizeof(g));
    for (int i = 0; i < 3; i++) {
        memcpy(g.xmm[i], env->fpu.xmm[i], 16);
    }
    g.mm[0] = x87_mmx_get(env, 1);
    g.mm[1] = x87_mmx_get(env, 2);
    g.mxcsr = env->fpu.mxcsr;
    g.eax = env->regs[R_EAX];
    g.ecx = env->regs[R_ECX];
    g.edx = env->regs[R_EDX];
    g.rflags = cpu_compute_eflags(env) & CC_MASK;
    h.rflags &= CC_MASK;
    bool bad = exc != (trapped ? EXCP_XM : -1) || memcmp(&g, &h, offsetof(State, pad)) ||
               memcmp(xt_mem(OPND), hop, 16);
    if (bad) {
        dump("insn ", insn, len);
        g_test_message("exception %d, host %s, iteration %d", exc, trapped ? "#XM" : "-", iter);
        dump("before", &s, offsetof(State, pad));
        dump("host  ", &h, offsetof(State, pad));
        dump("vireo ", &g, offsetof(State, pad));
        dump("mem before", op, 16);
        dump("mem host  ", hop, 16);
        dump("mem vireo ", xt_mem(OPND), 16);
        g_test_fail();
    }
    return !bad;
}

static void test_case(gconstpointer data)
{
    const SseCase *c = data;
    int n = g_test_slow() ? 3000 : 200;
    for (int i = 0; i < n; i++) {
        if ((c->forms & R) && !run_one(c, false, i)) {
            return;
        }
        if ((c->forms & M) && !run_one(c, true, i)) {
            return;
        }
    }
}

/* ---- exception rules ---- */

static void test_exceptions(void)
{
    CPUX86State *env = xt_setup("max");
    const uint8_t addps[] = { 0x0f, 0x58, 0xca };           /* addps xmm1, xmm2 */
    const uint8_t movaps_m[] = { 0x0f, 0x28, 0x0b };        /* movaps xmm1, [ebx] */
    const uint8_t movups_m[] = { 0x0f, 0x10, 0x0b };        /* movups xmm1, [ebx] */
    const uint8_t paddb_m[] = { 0x66, 0x0f, 0xfc, 0x0b };   /* paddb xmm1, [ebx] */
    const uint8_t addss_m[] = { 0xf3, 0x0f, 0x58, 0x0b };   /* addss xmm1, [ebx] */
    const uint8_t paddb_mm[] = { 0x0f, 0xfc, 0xca };        /* paddb mm1, mm2 */
    const uint8_t divps[] = { 0x0f, 0x5e, 0xca };           /* divps xmm1, xmm2 */

    /* #UD without CR4.OSFXSR and with CR0.EM; #NM with CR0.TS */
    env->cr[4] &= ~CR4_OSFXSR;
    g_assert_cmpint(xt_exec(env, addps, 3), ==, EXCP_UD);
    env->cr[4] |= CR4_OSFXSR;
    env->cr[0] |= CR0_EM;
    g_assert_cmpint(xt_exec(env, addps, 3), ==, EXCP_UD);
    g_assert_cmpint(xt_exec(env, paddb_mm, 3), ==, EXCP_UD);
    env->cr[0] = (env->cr[0] & ~CR0_EM) | CR0_TS;
    g_assert_cmpint(xt_exec(env, addps, 3), ==, EXCP_NM);
    g_assert_cmpint(xt_exec(env, paddb_mm, 3), ==, EXCP_NM);
    env->cr[0] &= ~CR0_TS;
    /* MMX does not need OSFXSR */
    env->cr[4] &= ~CR4_OSFXSR;
    g_assert_cmpint(xt_exec(env, paddb_mm, 3), ==, -1);
    env->cr[4] |= CR4_OSFXSR;

    /* #GP(0) for misaligned 16-byte operands of aligned forms */
    env->regs[R_EBX] = OPND + 4;
    g_assert_cmpint(xt_exec(env, movaps_m, 3), ==, EXCP_GP);
    g_assert_cmpint(xt_exec(env, paddb_m, 4), ==, EXCP_GP);
    g_assert_cmpint(xt_exec(env, movups_m, 3), ==, -1);
    g_assert_cmpint(xt_exec(env, addss_m, 4), ==, -1);     /* scalar: no alignment */

    /* unmasked divide-by-zero: #XM with CR4.OSXMMEXCPT, else #UD; the
     * destination is unchanged and ZE is set */
    float one[4] = { 1, 1, 1, 1 }, zero[4] = { 0, 2, 2, 2 };
    memcpy(env->fpu.xmm[1], one, 16);
    memcpy(env->fpu.xmm[2], zero, 16);
    env->fpu.mxcsr = 0x1f80 & ~0x200;               /* ZM clear */
    g_assert_cmpint(xt_exec(env, divps, 3), ==, EXCP_XM);
    g_assert_cmphex(env->fpu.mxcsr & 0x3f, ==, 0x04);
    g_assert_cmpint(memcmp(env->fpu.xmm[1], one, 16), ==, 0);
    /* lane 0 divides by zero (unmasked), lane 1 is inexact (masked): the
     * pre-computation exception wins, PE is not recorded */
    float three[4] = { 0, 3, 2, 2 };
    memcpy(env->fpu.xmm[2], three, 16);
    env->fpu.mxcsr = 0x1f80 & ~0x200;
    g_assert_cmpint(xt_exec(env, divps, 3), ==, EXCP_XM);
    g_assert_cmphex(env->fpu.mxcsr & 0x3f, ==, 0x04);
    /* only a masked PE: completes */
    float four[4] = { 4, 3, 2, 2 };
    memcpy(env->fpu.xmm[2], four, 16);
    g_assert_cmpint(xt_exec(env, divps, 3), ==, -1);
    g_assert_cmphex(env->fpu.mxcsr & 0x3f, ==, 0x24);
    memcpy(env->fpu.xmm[1], one, 16);
    memcpy(env->fpu.xmm[2], zero, 16);
    env->cr[4] &= ~CR4_OSXMMEXCPT;
    g_assert_cmpint(xt_exec(env, divps, 3), ==, EXCP_UD);
    env->cr[4] |= CR4_OSXMMEXCPT;
    /* masked: inf, flag set, no exception */
    env->fpu.mxcsr = 0x1f80;
    g_assert_cmpint(xt_exec(env, divps, 3), ==, -1);
    g_assert_cmphex(env->fpu.mxcsr, ==, 0x1f84);
    g_assert_cmphex(*(uint32_t *)env->fpu.xmm[1], ==, 0x7f800000);

    /* features not advertised are #UD */
    uint32_t ecx = env->cpuid_ext_features;
    env->cpuid_ext_features = 0;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x66\x0f\x38\x00\xca", 5), ==, EXCP_UD);
    env->cpuid_ext_features = ecx;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x66\x0f\x38\x00\xca", 5), ==, -1);
    /* reserved: 0F FF (UD0), 0F 38 with no such opcode, LOCK */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xff\xca", 3), ==, EXCP_UD);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x66\x0f\x38\xff\xca", 5), ==, EXCP_UD);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xf0\x0f\x58\x0b", 4), ==, EXCP_UD);
}

/* MMX aliasing: MMn is the significand of physical register n, exponent
 * all ones; an MMX instruction sets TOP = 0 and tags every register in use;
 * EMMS empties them (SDM vol. 1 9.5) */
static void test_mmx_aliasing(void)
{
    CPUX86State *env = xt_setup("max");
    env->regs[R_EBX] = OPND;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdb\xe3", 2), ==, -1);     /* fninit */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xd9\xe8", 2), ==, -1);     /* fld1: TOP 7 */
    *(uint64_t *)xt_mem(OPND) = 0x0102030405060708ull;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\x6f\x1b", 3), ==, -1); /* movq mm3, [ebx] */
    g_assert_cmphex(x87_get_fsw(env) >> 11 & 7, ==, 0);
    g_assert_cmphex(x87_get_ftw_abridged(env), ==, 0xff);
    g_assert_cmphex(env->fpu.ftw_tag & 0xc0, ==, 0x80);                         /* R3: special */
    /* FNSAVE shows R3 = ffff:0102030405060708 */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdd\x33", 2), ==, -1);     /* fnsave [ebx] */
    uint64_t mant;                      /* at an odd offset: no pointer cast */
    uint16_t sexp;
    memcpy(&mant, xt_mem(OPND + 28 + 30), 8);
    memcpy(&sexp, xt_mem(OPND + 28 + 38), 2);
    g_assert_cmphex(mant, ==, 0x0102030405060708ull);
    g_assert_cmphex(sexp, ==, 0xffff);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\x77", 2), ==, -1);     /* emms */
    g_assert_cmphex(env->fpu.ftw_tag, ==, 0xffff);
    /* an MMX load that faults leaves the x87 stack alone (TOP stays 7) */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdb\xe3", 2), ==, -1);   /* fninit */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xd9\xe8", 2), ==, -1);   /* fld1 */
    env->regs[R_EBX] = GUEST_RAM_SIZE + 0x1000;                               /* unbacked */
    env->segs[R_DS].limit = GUEST_RAM_SIZE - 1;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xfc\x0b", 3), ==, EXCP_GP);
    g_assert_cmphex(x87_get_fsw(env) >> 11 & 7, ==, 7);
    g_assert_cmphex(x87_get_ftw_abridged(env), ==, 0x80);
    env->segs[R_DS].limit = 0xffffffff;
    env->regs[R_EBX] = OPND;
    /* a pending unmasked x87 exception: #MF at the MMX instruction */
    env->fpu.fcw = 0x37e;
    env->fpu.fsw = 0x81;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xfc\xca", 3), ==, EXCP_MF);
}

/* MASKMOVDQU / MASKMOVQ: bytes selected by the mask's top bits go to DS:[EDI] */
static void test_maskmov(void)
{
    CPUX86State *env = xt_setup("max");
    env->regs[R_EDI] = OPND;
    memset(xt_mem(OPND), 0xee, 16);
    for (int i = 0; i < 16; i++) {
        env->fpu.xmm[1][i] = 0x10 + i;
        env->fpu.xmm[2][i] = (i & 1) ? 0x80 : 0x7f;
    }
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x66\x0f\xf7\xca", 4), ==, -1);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(*xt_mem(OPND + i), ==, (i & 1) ? 0x10 + i : 0xee);
    }
    x87_mmx_set(env, 1, 0x1122334455667788ull);
    x87_mmx_set(env, 2, 0x8000000000000080ull);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xf7\xca", 3), ==, -1);
    g_assert_cmphex(*xt_mem(OPND), ==, 0x88);
    g_assert_cmphex(*xt_mem(OPND + 7), ==, 0x11);
    g_assert_cmphex(*xt_mem(OPND + 1), ==, 0x11);   /* unchanged from above */
    /* register form only */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x66\x0f\xf7\x0b", 4), ==, EXCP_UD);
}

/* the CPU models advertise what sse.c implements */
static void test_cpuid(void)
{
    char *err = NULL;
    X86CPU *c = x86_cpu_new("qemu32", &err);
    g_assert_null(err);
    g_assert_cmphex(c->cpuid_features & 0x07800000, ==, 0x07800000);   /* mmx fxsr sse sse2 */
    g_assert_cmphex(c->cpuid_ext_features & 1, ==, 1);                 /* sse3 */
    g_assert_cmphex(c->cpuid_ext_features & 0x00980200, ==, 0);        /* nothing newer */
    X86CPU *m = x86_cpu_new("max,-sse4.2", &err);
    g_assert_null(err);
    g_assert_cmphex(m->cpuid_ext_features & (1u << 20), ==, 0);
    g_assert_cmphex(m->cpuid_ext_features & (1u << 23), ==, 1u << 23);  /* popcnt */
    X86CPU *p = x86_cpu_new("pentiumpro", &err);
    g_assert_null(err);
    g_assert_cmphex(p->cpuid_features & 0x07800000, ==, 0);
    X86CPU *q = x86_cpu_new("qemu32,+ssse3", &err);
    g_assert_null(err);
    g_assert_cmphex(q->cpuid_ext_features & (1u << 9), ==, 1u << 9);
    x86_cpu_free(c);
    x86_cpu_free(m);
    x86_cpu_free(p);
    x86_cpu_free(q);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigfpe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    build_cases();
    for (guint i = 0; i < cases->len; i++) {
        SseCase *c = &g_array_index(cases, SseCase, i);
        char *path = g_strdup_printf("/sse/host/%02x-%04x%s%d", c->pfx, c->op,
                                     c->modreg >= 0 ? "-r" : "-", c->modreg >= 0 ? c->modreg : (int)i);
        g_test_add_data_func(path, c, test_case);
        g_free(path);
    }
    g_test_add_func("/sse/exceptions", test_exceptions);
    g_test_add_func("/sse/mmx-aliasing", test_mmx_aliasing);
    g_test_add_func("/sse/maskmov", test_maskmov);
    g_test_add_func("/sse/cpuid", test_cpuid);
    return g_test_run();
}
#endif
