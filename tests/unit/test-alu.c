/*
 * ALU/shift/rotate/multiply/bit/BCD instruction semantics: each case runs
 * the instruction on the host CPU (inline asm) and through our decoder and
 * handlers on a CPUX86State, over edge and random operands, and compares
 * results and the flags the SDM defines for that instruction.  BCD
 * instructions do not exist in 64-bit mode, so they are checked against the
 * worked examples of the SDM instead.
 */
#include <glib.h>
#include <string.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/decode.h"
#include "target/x86/flags.h"
#include "cpu-a-mock.h"

#if !defined(__x86_64__)
int main(void) { return 77; }
#else

static CPUX86State env;

typedef struct CodeBuf {
    const uint8_t *p;
    size_t n;
} CodeBuf;

static uint8_t code_fetch(void *opaque, uint64_t la)
{
    CodeBuf *c = opaque;
    return la < c->n ? c->p[la] : 0xcc;
}

static void env_init32(void)
{
    memset(&env, 0, sizeof(env));
    env.hflags = HF_CS32 | HF_SS32 | HF_PE;
    env.cr[0] = CR0_PE | CR0_ET;
    for (int i = 0; i < 6; i++) {
        env.segs[i].limit = 0xffffffff;
        env.segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_B_MASK | DESC_W_MASK;
    }
    env.eflags = 2;
    env.cc_op = CC_OP_EFLAGS;
    env.exception_index = -1;
    env.a20_mask = ~0u;
}

/* Execute one instruction (register operands only); returns the exception
 * vector or -1. */
static int guest_run(const uint8_t *code, size_t n)
{
    DecodedInsn d;
    CodeBuf cb = { code, n };
    x86_decode(&d, 0, true, code_fetch, &cb);
    g_assert_cmpint(d.len, ==, (int)n);
    env.eip = 0;
    env.insn_start_eip = 0;
    env.eip = d.len;
    env.exception_index = -1;
    if (sigsetjmp(env.jmp_env, 0) == 0) {
        d.handler(&env, &d);
        return -1;
    }
    return env.exception_index;
}

static uint32_t guest_flags(void)
{
    return cpu_compute_eflags(&env) & CC_MASK;
}

static void guest_set_flags(uint32_t f)
{
    env.eflags = (f & CC_MASK) | 2;
    env.cc_op = CC_OP_EFLAGS;
}

/* the red zone below %rsp is stepped over before pushing flags */
#define HB "sub $128, %%rsp\n\tpush %[f]\n\tpopfq\n\t"
#define HE "\n\tpushfq\n\tpop %[f]\n\tadd $128, %%rsp"

static const uint32_t edge[] = {
    0, 1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678, 0x0f0f0f0f,
};
#define NEDGE (sizeof(edge) / sizeof(edge[0]))

static uint32_t pick(int i)
{
    return i < (int)NEDGE ? edge[i] : g_test_rand_int();
}

static const uint32_t szmask[3] = { 0xff, 0xffff, 0xffffffff };

/* ---------------- two-operand ALU: op r/m, reg ---------------- */

typedef void (*HostBin)(uint32_t *a, uint32_t b, uint64_t *f);

#define DEF_BIN(mn)                                                                   \
static void host_##mn##0(uint32_t *x, uint32_t y, uint64_t *fl)                       \
{ uint8_t a = *x, b = y; uint64_t f = *fl;                                            \
  asm volatile(HB #mn "b %[b], %[a]" HE : [a] "+q"(a), [f] "+r"(f) : [b] "q"(b) : "cc"); \
  *x = a; *fl = f; }                                                                  \
static void host_##mn##1(uint32_t *x, uint32_t y, uint64_t *fl)                       \
{ uint16_t a = *x, b = y; uint64_t f = *fl;                                           \
  asm volatile(HB #mn "w %[b], %[a]" HE : [a] "+r"(a), [f] "+r"(f) : [b] "r"(b) : "cc"); \
  *x = a; *fl = f; }                                                                  \
static void host_##mn##2(uint32_t *x, uint32_t y, uint64_t *fl)                       \
{ uint32_t a = *x, b = y; uint64_t f = *fl;                                           \
  asm volatile(HB #mn "l %[b], %[a]" HE : [a] "+r"(a), [f] "+r"(f) : [b] "r"(b) : "cc"); \
  *x = a; *fl = f; }

DEF_BIN(add) DEF_BIN(or) DEF_BIN(adc) DEF_BIN(sbb) DEF_BIN(and) DEF_BIN(sub) DEF_BIN(xor)
DEF_BIN(cmp) DEF_BIN(test) DEF_BIN(xadd)

typedef struct BinCase {
    const char *name;
    uint8_t opc[3];      /* opcode bytes of the Ev,Gv (or Eb,Gb) form */
    int opc_len;
    bool byte_is_minus1; /* byte form is opcode - 1 */
    HostBin host[3];
    uint32_t fmask;
    bool both_regs;      /* XADD: source register also changes */
} BinCase;

#define ALL CC_MASK
#define H3(mn) { host_##mn##0, host_##mn##1, host_##mn##2 }

static const BinCase bin_cases[] = {
    { "add", { 0x01 }, 1, true, H3(add), ALL },
    { "or", { 0x09 }, 1, true, H3(or), ALL & ~CC_A },
    { "adc", { 0x11 }, 1, true, H3(adc), ALL },
    { "sbb", { 0x19 }, 1, true, H3(sbb), ALL },
    { "and", { 0x21 }, 1, true, H3(and), ALL & ~CC_A },
    { "sub", { 0x29 }, 1, true, H3(sub), ALL },
    { "xor", { 0x31 }, 1, true, H3(xor), ALL & ~CC_A },
    { "cmp", { 0x39 }, 1, true, H3(cmp), ALL },
    { "test", { 0x85 }, 1, true, H3(test), ALL & ~CC_A },
    { "xadd", { 0x0f, 0xc1 }, 2, true, H3(xadd), ALL, true },
};

static void test_bin(gconstpointer data)
{
    const BinCase *bc = data;
    for (int ot = 0; ot < 3; ot++) {
        for (int i = 0; i < 400; i++) {
            uint32_t a = pick(i % 23 < NEDGE ? i % 23 : 99) & szmask[ot];
            uint32_t b = pick((i / 23) % 23 < NEDGE ? (i / 23) % 23 : 99) & szmask[ot];
            if (i >= 23 * 17) {
                a = g_test_rand_int() & szmask[ot];
                b = g_test_rand_int() & szmask[ot];
            }
            uint32_t fin = g_test_rand_int() & CC_MASK;
            uint32_t ha = a, hb = b;
            uint64_t hf = fin | 2;
            if (bc->both_regs) {
                /* xadd's register operand is written too: emulate with a pair */
                uint32_t x = a, y = b;
                bc->host[ot](&x, 0, &hf);   /* dummy to keep signature; redo below */
                hf = fin | 2;
                x = a; y = b;
                if (ot == 0) {
                    uint8_t p = x, q = y;
                    asm volatile(HB "xaddb %[q], %[p]" HE : [p] "+q"(p), [q] "+q"(q), [f] "+r"(hf) :: "cc");
                    x = p; y = q;
                } else if (ot == 1) {
                    uint16_t p = x, q = y;
                    asm volatile(HB "xaddw %[q], %[p]" HE : [p] "+r"(p), [q] "+r"(q), [f] "+r"(hf) :: "cc");
                    x = p; y = q;
                } else {
                    asm volatile(HB "xaddl %[q], %[p]" HE : [p] "+r"(x), [q] "+r"(y), [f] "+r"(hf) :: "cc");
                }
                ha = x; hb = y;
            } else {
                bc->host[ot](&ha, b, &hf);
            }

            env_init32();
            uint8_t code[4];
            int n = 0;
            if (ot == 1) {
                code[n++] = 0x66;
            }
            for (int k = 0; k < bc->opc_len; k++) {
                code[n++] = bc->opc[k] - (k == bc->opc_len - 1 && ot == 0 && bc->byte_is_minus1);
            }
            code[n++] = 0xd8;   /* mod=3 reg=EBX(BL) rm=EAX(AL) */
            env.regs[R_EAX] = 0xdead0000 | a;
            env.regs[R_EBX] = 0xbeef0000 | b;
            if (ot == 0) {
                env.regs[R_EAX] = 0xdeadbe00 | a;
                env.regs[R_EBX] = 0xbeefde00 | b;
            } else if (ot == 2) {
                env.regs[R_EAX] = a;
                env.regs[R_EBX] = b;
            }
            guest_set_flags(fin);
            g_assert_cmpint(guest_run(code, n), ==, -1);
            uint32_t ga = env.regs[R_EAX] & szmask[ot];
            if (ga != ha || (guest_flags() & bc->fmask) != (hf & bc->fmask)) {
                g_test_message("%s ot=%d a=%x b=%x fin=%x: host %x/%x guest %x/%x", bc->name, ot,
                               a, b, fin, ha, (unsigned)hf & bc->fmask, ga, guest_flags() & bc->fmask);
            }
            g_assert_cmphex(ga, ==, ha);
            g_assert_cmphex(guest_flags() & bc->fmask, ==, hf & bc->fmask);
            if (bc->both_regs) {
                g_assert_cmphex(env.regs[R_EBX] & szmask[ot], ==, hb);
            }
            /* upper register bits untouched by narrow operations */
            if (ot == 0) {
                g_assert_cmphex(env.regs[R_EAX] & ~0xffull, ==, 0xdeadbe00);
            } else if (ot == 1) {
                g_assert_cmphex(env.regs[R_EAX] & ~0xffffull, ==, 0xdead0000);
            }
        }
    }
}

/* ---------------- one-operand: INC DEC NEG NOT ---------------- */

#define DEF_UN(mn)                                                                    \
static void host_##mn##0(uint32_t *x, uint64_t *fl)                                   \
{ uint8_t a = *x; uint64_t f = *fl;                                                   \
  asm volatile(HB #mn "b %[a]" HE : [a] "+q"(a), [f] "+r"(f) :: "cc"); *x = a; *fl = f; } \
static void host_##mn##1(uint32_t *x, uint64_t *fl)                                   \
{ uint16_t a = *x; uint64_t f = *fl;                                                  \
  asm volatile(HB #mn "w %[a]" HE : [a] "+r"(a), [f] "+r"(f) :: "cc"); *x = a; *fl = f; } \
static void host_##mn##2(uint32_t *x, uint64_t *fl)                                   \
{ uint32_t a = *x; uint64_t f = *fl;                                                  \
  asm volatile(HB #mn "l %[a]" HE : [a] "+r"(a), [f] "+r"(f) :: "cc"); *x = a; *fl = f; }
DEF_UN(inc) DEF_UN(dec) DEF_UN(neg) DEF_UN(not)

typedef struct UnCase {
    const char *name;
    uint8_t opc, modrm;      /* v form; byte form is opc - 1 */
    void (*host[3])(uint32_t *, uint64_t *);
} UnCase;

static const UnCase un_cases[] = {
    { "inc", 0xff, 0xc0, { host_inc0, host_inc1, host_inc2 } },
    { "dec", 0xff, 0xc8, { host_dec0, host_dec1, host_dec2 } },
    { "neg", 0xf7, 0xd8, { host_neg0, host_neg1, host_neg2 } },
    { "not", 0xf7, 0xd0, { host_not0, host_not1, host_not2 } },
};

static void test_unary(gconstpointer data)
{
    const UnCase *uc = data;
    for (int ot = 0; ot < 3; ot++) {
        for (int i = 0; i < 300; i++) {
            uint32_t a = pick(i) & szmask[ot], ha = a;
            uint32_t fin = g_test_rand_int() & CC_MASK;
            uint64_t hf = fin | 2;
            uc->host[ot](&ha, &hf);
            env_init32();
            uint8_t code[3];
            int n = 0;
            if (ot == 1) {
                code[n++] = 0x66;
            }
            code[n++] = uc->opc - (ot == 0);
            code[n++] = uc->modrm;
            env.regs[R_EAX] = a;
            guest_set_flags(fin);
            g_assert_cmpint(guest_run(code, n), ==, -1);
            g_assert_cmphex(env.regs[R_EAX] & szmask[ot], ==, ha);
            g_assert_cmphex(guest_flags(), ==, hf & CC_MASK);
        }
    }
}

/* ---------------- shifts and rotates by CL ---------------- */

#define DEF_SH(mn)                                                                    \
static void host_##mn##0(uint32_t *x, uint8_t c, uint64_t *fl)                        \
{ uint8_t a = *x; uint64_t f = *fl;                                                   \
  asm volatile(HB #mn "b %%cl, %[a]" HE : [a] "+q"(a), [f] "+r"(f) : "c"(c) : "cc"); *x = a; *fl = f; } \
static void host_##mn##1(uint32_t *x, uint8_t c, uint64_t *fl)                        \
{ uint16_t a = *x; uint64_t f = *fl;                                                  \
  asm volatile(HB #mn "w %%cl, %[a]" HE : [a] "+r"(a), [f] "+r"(f) : "c"(c) : "cc"); *x = a; *fl = f; } \
static void host_##mn##2(uint32_t *x, uint8_t c, uint64_t *fl)                        \
{ uint32_t a = *x; uint64_t f = *fl;                                                  \
  asm volatile(HB #mn "l %%cl, %[a]" HE : [a] "+r"(a), [f] "+r"(f) : "c"(c) : "cc"); *x = a; *fl = f; }
DEF_SH(rol) DEF_SH(ror) DEF_SH(rcl) DEF_SH(rcr) DEF_SH(shl) DEF_SH(shr) DEF_SH(sar)

typedef struct ShCase {
    const char *name;
    int reg;                 /* ModRM.reg of group 2 */
    void (*host[3])(uint32_t *, uint8_t, uint64_t *);
} ShCase;

static const ShCase sh_cases[] = {
    { "rol", 0, { host_rol0, host_rol1, host_rol2 } },
    { "ror", 1, { host_ror0, host_ror1, host_ror2 } },
    { "rcl", 2, { host_rcl0, host_rcl1, host_rcl2 } },
    { "rcr", 3, { host_rcr0, host_rcr1, host_rcr2 } },
    { "shl", 4, { host_shl0, host_shl1, host_shl2 } },
    { "shr", 5, { host_shr0, host_shr1, host_shr2 } },
    { "sar", 7, { host_sar0, host_sar1, host_sar2 } },
};

/* Flags the SDM defines for this shift/rotate and count. */
static uint32_t shift_defined(int reg, int ot, unsigned count)
{
    unsigned bits = 8u << ot, c = count & 0x1f;
    if (c == 0) {
        return CC_MASK;                     /* no flags affected */
    }
    if (reg <= 3) {
        uint32_t m = CC_S | CC_Z | CC_A | CC_P;   /* untouched by rotates */
        if (reg >= 2 && ot < 2 && c % (bits + 1) == 0) {
            m |= CC_C;                      /* rotation by 0 through CF */
        } else {
            m |= CC_C;
        }
        if (c == 1) {
            m |= CC_O;
        }
        return m;
    }
    uint32_t m = CC_S | CC_Z | CC_P | CC_C;
    if (c == 1) {
        m |= CC_O;
    }
    if (c >= bits && reg != 7) {
        m &= ~CC_C;         /* SDM: CF undefined for SHL/SHR when count >= size */
    }
    return m;
}

static void test_shift(gconstpointer data)
{
    const ShCase *sc = data;
    for (int ot = 0; ot < 3; ot++) {
        for (unsigned cnt = 0; cnt < 40; cnt++) {
            for (int i = 0; i < 40; i++) {
                uint32_t a = pick(i) & szmask[ot], ha = a;
                uint32_t fin = g_test_rand_int() & CC_MASK;
                uint64_t hf = fin | 2;
                if (ot < 2 && (sc->reg == 4 || sc->reg == 5) && (cnt & 0x1f) > (8u << ot)) {
                    continue;   /* result undefined by the SDM */
                }
                sc->host[ot](&ha, cnt, &hf);
                env_init32();
                uint8_t code[3];
                int n = 0;
                if (ot == 1) {
                    code[n++] = 0x66;
                }
                code[n++] = ot == 0 ? 0xd2 : 0xd3;
                code[n++] = 0xc0 | (sc->reg << 3);
                env.regs[R_EAX] = a;
                env.regs[R_ECX] = cnt;
                guest_set_flags(fin);
                g_assert_cmpint(guest_run(code, n), ==, -1);
                uint32_t m = shift_defined(sc->reg, ot, cnt);
                if ((env.regs[R_EAX] & szmask[ot]) != ha || (guest_flags() & m) != (hf & m)) {
                    g_test_message("%s ot=%d a=%x cnt=%u fin=%x: host %x/%x guest %x/%x",
                                   sc->name, ot, a, cnt, fin, ha, (unsigned)hf & m,
                                   (uint32_t)env.regs[R_EAX] & szmask[ot], guest_flags() & m);
                }
                g_assert_cmphex(env.regs[R_EAX] & szmask[ot], ==, ha);
                g_assert_cmphex(guest_flags() & m, ==, hf & m);
            }
        }
    }
}

/* SHLD/SHRD eax/ax, ebx/bx, cl */
static void test_shxd(void)
{
    for (int right = 0; right < 2; right++) {
        for (int ot = 1; ot < 3; ot++) {
            unsigned bits = 8u << ot;
            for (unsigned cnt = 0; cnt < 32; cnt++) {
                if (cnt > bits) {
                    continue;   /* undefined result for 16-bit */
                }
                for (int i = 0; i < 40; i++) {
                    uint32_t a = pick(i) & szmask[ot], b = g_test_rand_int() & szmask[ot];
                    uint32_t fin = g_test_rand_int() & CC_MASK;
                    uint64_t hf = fin | 2;
                    uint32_t ha = a;
                    if (ot == 1) {
                        uint16_t p = a, q = b;
                        if (right) {
                            asm volatile(HB "shrdw %%cl, %[q], %[p]" HE : [p] "+r"(p), [f] "+r"(hf) : [q] "r"(q), "c"((uint8_t)cnt) : "cc");
                        } else {
                            asm volatile(HB "shldw %%cl, %[q], %[p]" HE : [p] "+r"(p), [f] "+r"(hf) : [q] "r"(q), "c"((uint8_t)cnt) : "cc");
                        }
                        ha = p;
                    } else {
                        uint32_t p = a, q = b;
                        if (right) {
                            asm volatile(HB "shrdl %%cl, %[q], %[p]" HE : [p] "+r"(p), [f] "+r"(hf) : [q] "r"(q), "c"((uint8_t)cnt) : "cc");
                        } else {
                            asm volatile(HB "shldl %%cl, %[q], %[p]" HE : [p] "+r"(p), [f] "+r"(hf) : [q] "r"(q), "c"((uint8_t)cnt) : "cc");
                        }
                        ha = p;
                    }
                    env_init32();
                    uint8_t code[4] = { 0x66, 0x0f, right ? 0xad : 0xa5, 0xd8 };
                    env.regs[R_EAX] = a;
                    env.regs[R_EBX] = b;
                    env.regs[R_ECX] = cnt;
                    guest_set_flags(fin);
                    g_assert_cmpint(guest_run(ot == 1 ? code : code + 1, ot == 1 ? 4 : 3), ==, -1);
                    uint32_t m = cnt == 0 ? CC_MASK : (CC_C | CC_S | CC_Z | CC_P | (cnt == 1 ? CC_O : 0));
                    if (cnt == bits) {
                        m &= ~CC_C;
                    }
                    g_assert_cmphex(env.regs[R_EAX] & szmask[ot], ==, ha);
                    g_assert_cmphex(guest_flags() & m, ==, hf & m);
                }
            }
        }
    }
}

/* ---------------- MUL/IMUL/DIV/IDIV ---------------- */

static void test_muldiv(void)
{
    static const char *const names[4] = { "mul", "imul", "div", "idiv" };
    for (int kind = 0; kind < 4; kind++) {
        for (int ot = 0; ot < 3; ot++) {
            for (int i = 0; i < 600; i++) {
                uint32_t eax = pick(i % 30), edx = pick((i * 7) % 30), b = pick((i / 30) % 30);
                if (i >= 450) {
                    eax = g_test_rand_int(); edx = g_test_rand_int(); b = g_test_rand_int();
                    if (kind >= 2 && (i & 1)) {
                        edx = (int32_t)eax < 0 ? 0xffffffff : 0;    /* typical sign-extended */
                        b |= 1;
                    }
                }
                b &= szmask[ot];
                /* would the division fault?  decide with wide host arithmetic */
                bool de = false;
                if (kind >= 2) {
                    unsigned bits = 8u << ot;
                    __int128 n, dv;
                    if (kind == 2) {
                        unsigned __int128 un = ot == 0 ? (uint16_t)eax
                                             : ot == 1 ? ((uint32_t)(uint16_t)edx << 16 | (uint16_t)eax)
                                             : ((uint64_t)edx << 32 | eax);
                        de = b == 0 || un / b > szmask[ot];
                    } else {
                        n = ot == 0 ? (int16_t)eax : ot == 1 ? (int32_t)((uint32_t)(uint16_t)edx << 16 | (uint16_t)eax)
                                                        : (int64_t)((uint64_t)edx << 32 | eax);
                        dv = ot == 0 ? (int8_t)b : ot == 1 ? (int16_t)b : (int32_t)b;
                        if (dv == 0) {
                            de = true;
                        } else {
                            __int128 q = n / dv;
                            de = q >= ((__int128)1 << (bits - 1)) || q < -((__int128)1 << (bits - 1));
                        }
                    }
                }
                uint64_t hf = (g_test_rand_int() & CC_MASK) | 2;
                uint32_t fin = hf & CC_MASK;
                uint32_t ha = eax, hd = edx;
                if (!de) {
#define MD(insn, T, cons)                                                               \
    { T bb = b; asm volatile(HB insn " %[b]" HE : "+a"(ha), "+d"(hd), [f] "+r"(hf) : [b] cons(bb) : "cc"); }
                    switch (kind * 3 + ot) {
                    case 0: MD("mulb", uint8_t, "q") break;
                    case 1: MD("mulw", uint16_t, "r") break;
                    case 2: MD("mull", uint32_t, "r") break;
                    case 3: MD("imulb", uint8_t, "q") break;
                    case 4: MD("imulw", uint16_t, "r") break;
                    case 5: MD("imull", uint32_t, "r") break;
                    case 6: MD("divb", uint8_t, "q") break;
                    case 7: MD("divw", uint16_t, "r") break;
                    case 8: MD("divl", uint32_t, "r") break;
                    case 9: MD("idivb", uint8_t, "q") break;
                    case 10: MD("idivw", uint16_t, "r") break;
                    default: MD("idivl", uint32_t, "r") break;
                    }
#undef MD
                }
                env_init32();
                uint8_t code[3];
                int n = 0;
                if (ot == 1) {
                    code[n++] = 0x66;
                }
                code[n++] = ot == 0 ? 0xf6 : 0xf7;
                code[n++] = 0xc0 | ((4 + kind) << 3) | R_EBX;
                env.regs[R_EAX] = eax;
                env.regs[R_EDX] = edx;
                env.regs[R_EBX] = b;
                guest_set_flags(fin);
                int exc = guest_run(code, n);
                if (de) {
                    g_assert_cmpint(exc, ==, EXCP_DE);
                    g_assert_cmphex(env.regs[R_EAX], ==, eax);   /* nothing committed */
                    continue;
                }
                g_assert_cmpint(exc, ==, -1);
                if ((uint32_t)env.regs[R_EAX] != ha || (uint32_t)env.regs[R_EDX] != hd) {
                    g_test_message("%s ot=%d eax=%x edx=%x b=%x", names[kind], ot, eax, edx, b);
                }
                g_assert_cmphex(env.regs[R_EAX], ==, ha);
                g_assert_cmphex(env.regs[R_EDX], ==, hd);
                if (kind < 2) {
                    g_assert_cmphex(guest_flags() & (CC_C | CC_O), ==, hf & (CC_C | CC_O));
                }
            }
        }
    }
}

/* IMUL r, r/m and IMUL r, r/m, imm */
static void test_imul23(void)
{
    for (int ot = 1; ot < 3; ot++) {
        for (int i = 0; i < 500; i++) {
            uint32_t a = pick(i % 25) & szmask[ot], b = pick(i / 25) & szmask[ot];
            uint64_t hf = 2;
            uint32_t ha = a;
            if (ot == 1) {
                uint16_t p = a, q = b;
                asm volatile(HB "imulw %[q], %[p]" HE : [p] "+r"(p), [f] "+r"(hf) : [q] "r"(q) : "cc");
                ha = p;
            } else {
                asm volatile(HB "imull %[q], %[p]" HE : [p] "+r"(ha), [f] "+r"(hf) : [q] "r"(b) : "cc");
            }
            env_init32();
            uint8_t code[4] = { 0x66, 0x0f, 0xaf, 0xc3 };   /* imul (e)ax, (e)bx */
            env.regs[R_EAX] = a;
            env.regs[R_EBX] = b;
            g_assert_cmpint(guest_run(ot == 1 ? code : code + 1, ot == 1 ? 4 : 3), ==, -1);
            g_assert_cmphex(env.regs[R_EAX] & szmask[ot], ==, ha);
            g_assert_cmphex(guest_flags() & (CC_C | CC_O), ==, hf & (CC_C | CC_O));

            /* imul eax, ebx, imm32 with b as the immediate and a in ebx */
            if (ot == 2) {
                uint8_t c3[6] = { 0x69, 0xc3, b, b >> 8, b >> 16, b >> 24 };
                uint32_t r = a;
                hf = 2;
                asm volatile(HB "imull %[q], %[p]" HE : [p] "+r"(r), [f] "+r"(hf) : [q] "r"(b) : "cc");
                env_init32();
                env.regs[R_EBX] = a;
                g_assert_cmpint(guest_run(c3, 6), ==, -1);
                g_assert_cmphex(env.regs[R_EAX], ==, r);
                g_assert_cmphex(guest_flags() & (CC_C | CC_O), ==, hf & (CC_C | CC_O));
            }
        }
    }
}

/* ---------------- bit instructions ---------------- */

static void test_bits(void)
{
    for (int i = 0; i < 2000; i++) {
        uint32_t a = pick(i % 40), b = i < 1000 ? (uint32_t)(i % 70) : g_test_rand_int();
        uint64_t fin = (g_test_rand_int() & CC_MASK) | 2;
        for (int k = 0; k < 4; k++) {
            static const uint8_t opc[4] = { 0xa3, 0xab, 0xb3, 0xbb };
            uint32_t ha = a;
            uint64_t hf = fin;
            switch (k) {
            case 0: asm volatile(HB "btl %[b], %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
            case 1: asm volatile(HB "btsl %[b], %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
            case 2: asm volatile(HB "btrl %[b], %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
            default: asm volatile(HB "btcl %[b], %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
            }
            env_init32();
            uint8_t code[3] = { 0x0f, opc[k], 0xd8 };
            env.regs[R_EAX] = a;
            env.regs[R_EBX] = b;
            guest_set_flags(fin);
            g_assert_cmpint(guest_run(code, 3), ==, -1);
            g_assert_cmphex(env.regs[R_EAX], ==, ha);
            g_assert_cmphex(guest_flags() & CC_C, ==, hf & CC_C);
        }
        /* BSF/BSR: ZF, and the index when the source is non-zero */
        for (int k = 0; k < 2; k++) {
            uint32_t src = (i & 3) == 0 ? 0 : a, ha = 0x5555;
            uint64_t hf = fin;
            if (k == 0) {
                asm volatile(HB "bsfl %[b], %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) : [b] "r"(src) : "cc");
            } else {
                asm volatile(HB "bsrl %[b], %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) : [b] "r"(src) : "cc");
            }
            env_init32();
            uint8_t code[3] = { 0x0f, k ? 0xbd : 0xbc, 0xc3 };
            env.regs[R_EAX] = 0x5555;
            env.regs[R_EBX] = src;
            guest_set_flags(fin);
            g_assert_cmpint(guest_run(code, 3), ==, -1);
            g_assert_cmphex(guest_flags() & CC_Z, ==, hf & CC_Z);
            if (src) {
                g_assert_cmphex(env.regs[R_EAX], ==, ha);
            }
        }
    }
}

/* BT with a memory operand and a register bit offset addresses beyond the
 * operand (SDM "bit base/bit offset"); checked with a negative offset. */

/* ---------------- conditions (SETcc after producers) ---------------- */

static bool cond_from_flags(uint32_t f, int cc)
{
    bool of = f & CC_O, cf = f & CC_C, zf = f & CC_Z, sf = f & CC_S, pf = f & CC_P, r;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || (sf != of); break;
    }
    return (cc & 1) ? !r : r;
}

static void test_conditions(void)
{
    /* producers: cmp, add, sub, and, inc(dec), shl 1, adc, sbb; 32- and 8-bit */
    static const uint8_t prod[][3] = {
        { 0x39, 0xd8 }, { 0x01, 0xd8 }, { 0x29, 0xd8 }, { 0x21, 0xd8 }, { 0x11, 0xd8 },
        { 0x19, 0xd8 }, { 0x38, 0xd8 }, { 0x00, 0xd8 }, { 0x28, 0xd8 }, { 0x20, 0xd8 },
    };
    static const HostBin hp[] = {
        host_cmp2, host_add2, host_sub2, host_and2, host_adc2, host_sbb2,
        host_cmp0, host_add0, host_sub0, host_and0,
    };
    for (unsigned p = 0; p < G_N_ELEMENTS(prod); p++) {
        for (int i = 0; i < 400; i++) {
            uint32_t a = pick(i % 21), b = pick(i / 21 % 21);
            if (i > 21 * 15) {
                a = g_test_rand_int();
                b = g_test_rand_int();
            }
            uint32_t fin = g_test_rand_int() & CC_MASK, ha = a;
            uint64_t hf = fin | 2;
            hp[p](&ha, b, &hf);
            for (int cc = 0; cc < 16; cc++) {
                env_init32();
                env.regs[R_EAX] = a;
                env.regs[R_EBX] = b;
                guest_set_flags(fin);
                g_assert_cmpint(guest_run(prod[p], 2), ==, -1);
                uint8_t set[3] = { 0x0f, 0x90 + cc, 0xc1 };   /* setcc cl */
                env.regs[R_ECX] = 0x1234;
                g_assert_cmpint(guest_run(set, 3), ==, -1);
                bool expect = cond_from_flags(hf, cc);
                if ((env.regs[R_ECX] & 0xff) != expect) {
                    g_test_message("producer %u a=%x b=%x cc=%d", p, a, b, cc);
                }
                g_assert_cmphex(env.regs[R_ECX], ==, 0x1200 | expect);
            }
        }
    }
}

/* INC/DEC/SHL/SAR as flag producers for every condition (lazy fast paths) */
static void test_conditions_unary(void)
{
    for (int i = 0; i < 300; i++) {
        uint32_t a = pick(i % 40), fin = g_test_rand_int() & CC_MASK;
        for (int k = 0; k < 4; k++) {
            static const uint8_t code[4][2] = { { 0xff, 0xc0 }, { 0xff, 0xc8 }, { 0xd1, 0xe0 }, { 0xd1, 0xf8 } };
            uint32_t ha = a;
            uint64_t hf = fin | 2;
            switch (k) {
            case 0: host_inc2(&ha, &hf); break;
            case 1: host_dec2(&ha, &hf); break;
            case 2: asm volatile(HB "shll $1, %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) :: "cc"); break;
            default: asm volatile(HB "sarl $1, %[a]" HE : [a] "+r"(ha), [f] "+r"(hf) :: "cc"); break;
            }
            for (int cc = 0; cc < 16; cc++) {
                env_init32();
                env.regs[R_EAX] = a;
                guest_set_flags(fin);
                g_assert_cmpint(guest_run(code[k], 2), ==, -1);
                uint8_t set[3] = { 0x0f, 0x90 + cc, 0xc1 };
                env.regs[R_ECX] = 0;
                g_assert_cmpint(guest_run(set, 3), ==, -1);
                g_assert_cmphex(env.regs[R_ECX], ==, cond_from_flags(hf, cc));
            }
        }
    }
}

/* ---------------- BCD: SDM worked examples ---------------- */

static void run1(uint8_t op, uint32_t eax, uint32_t flags)
{
    env_init32();
    env.regs[R_EAX] = eax;
    guest_set_flags(flags);
    g_assert_cmpint(guest_run(&op, 1), ==, -1);
}

static void test_bcd(void)
{
    /* DAA after 79h + 35h = AEh (SDM DAA example): AL=14h, CF=AF=1 */
    run1(0x27, 0xae, 0);
    g_assert_cmphex(env.regs[R_EAX] & 0xff, ==, 0x14);
    g_assert_cmphex(guest_flags() & (CC_C | CC_A | CC_Z | CC_S | CC_P), ==, CC_C | CC_A | CC_P);
    /* DAS after 35h - 47h = EEh with CF=AF=1 (SDM DAS example): AL=88h, SZAPC=10111 */
    run1(0x2f, 0xee, CC_C | CC_A | CC_S);
    g_assert_cmphex(env.regs[R_EAX] & 0xff, ==, 0x88);
    g_assert_cmphex(guest_flags() & (CC_C | CC_A | CC_Z | CC_S | CC_P), ==, CC_S | CC_A | CC_P | CC_C);
    /* DAA on a valid packed BCD byte with no carries: unchanged, CF=AF=0 */
    run1(0x27, 0x45, 0);
    g_assert_cmphex(env.regs[R_EAX] & 0xff, ==, 0x45);
    g_assert_cmphex(guest_flags() & (CC_C | CC_A), ==, 0);
    /* AAA: 6 + 5 = 0Bh -> AX = 0101h, CF=AF=1 */
    run1(0x37, 0x000b, 0);
    g_assert_cmphex(env.regs[R_EAX] & 0xffff, ==, 0x0101);
    g_assert_cmphex(guest_flags() & (CC_C | CC_A), ==, CC_C | CC_A);
    /* AAA with a digit: AL=07h -> AL=07h, CF=AF=0 */
    run1(0x37, 0x0307, 0);
    g_assert_cmphex(env.regs[R_EAX] & 0xffff, ==, 0x0307);
    g_assert_cmphex(guest_flags() & (CC_C | CC_A), ==, 0);
    /* AAS: 05h - 06h = FFh (AF=1) with AH=02 -> AX = 0109h, CF=AF=1 */
    run1(0x3f, 0x02ff, CC_A);
    g_assert_cmphex(env.regs[R_EAX] & 0xffff, ==, 0x0109);
    g_assert_cmphex(guest_flags() & (CC_C | CC_A), ==, CC_C | CC_A);
    /* AAM: AL = 63 -> AH = 6, AL = 3 */
    {
        uint8_t c[2] = { 0xd4, 0x0a };
        env_init32();
        env.regs[R_EAX] = 63;
        g_assert_cmpint(guest_run(c, 2), ==, -1);
        g_assert_cmphex(env.regs[R_EAX] & 0xffff, ==, 0x0603);
        c[1] = 0;   /* AAM 0: #DE */
        g_assert_cmpint(guest_run(c, 2), ==, EXCP_DE);
    }
    /* AAD: AH=6 AL=3 -> AL = 63, AH = 0, ZF=0 */
    {
        uint8_t c[2] = { 0xd5, 0x0a };
        env_init32();
        env.regs[R_EAX] = 0x0603;
        g_assert_cmpint(guest_run(c, 2), ==, -1);
        g_assert_cmphex(env.regs[R_EAX] & 0xffff, ==, 63);
        g_assert_cmphex(guest_flags() & CC_Z, ==, 0);
    }
}

/* ---------------- conversions, misc flag instructions ---------------- */

static void test_misc(void)
{
    uint8_t cbw[2] = { 0x66, 0x98 }, cwde = 0x98, cdq = 0x99, cwd[2] = { 0x66, 0x99 };
    env_init32();
    env.regs[R_EAX] = 0x12345680;
    g_assert_cmpint(guest_run(cbw, 2), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0x1234ff80);
    env.regs[R_EAX] = 0x00018000;
    g_assert_cmpint(guest_run(&cwde, 1), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0xffff8000);
    g_assert_cmpint(guest_run(&cdq, 1), ==, -1);
    g_assert_cmphex(env.regs[R_EDX], ==, 0xffffffff);
    env.regs[R_EAX] = 0x7fff;
    env.regs[R_EDX] = 0xaaaa5555;
    g_assert_cmpint(guest_run(cwd, 2), ==, -1);
    g_assert_cmphex(env.regs[R_EDX], ==, 0xaaaa0000);

    /* LAHF/SAHF round trip and the fixed bit 1 */
    uint8_t lahf = 0x9f, sahf = 0x9e, stc = 0xf9, cmc = 0xf5, clc = 0xf8;
    env_init32();
    env.regs[R_EAX] = 0xd500;   /* SF ZF AF PF CF */
    g_assert_cmpint(guest_run(&sahf, 1), ==, -1);
    g_assert_cmphex(guest_flags(), ==, CC_S | CC_Z | CC_A | CC_P | CC_C);
    env.regs[R_EAX] = 0;
    g_assert_cmpint(guest_run(&lahf, 1), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0xd700);
    guest_run(&clc, 1);
    g_assert_cmphex(guest_flags() & CC_C, ==, 0);
    guest_run(&stc, 1);
    g_assert_cmphex(guest_flags() & CC_C, ==, CC_C);
    guest_run(&cmc, 1);
    g_assert_cmphex(guest_flags() & CC_C, ==, 0);

    /* BSWAP, XCHG, CMPXCHG both outcomes */
    uint8_t bswap[2] = { 0x0f, 0xc8 };
    env.regs[R_EAX] = 0x11223344;
    guest_run(bswap, 2);
    g_assert_cmphex(env.regs[R_EAX], ==, 0x44332211);
    uint8_t cx[3] = { 0x0f, 0xb1, 0xd9 };     /* cmpxchg ecx, ebx */
    env.regs[R_EAX] = 5; env.regs[R_ECX] = 5; env.regs[R_EBX] = 9;
    guest_run(cx, 3);
    g_assert_cmphex(env.regs[R_ECX], ==, 9);
    g_assert_cmphex(guest_flags() & CC_Z, ==, CC_Z);
    env.regs[R_EAX] = 4;
    guest_run(cx, 3);
    g_assert_cmphex(env.regs[R_EAX], ==, 9);
    g_assert_cmphex(guest_flags() & CC_Z, ==, 0);

    /* SALC */
    uint8_t salc = 0xd6;
    guest_run(&stc, 1);
    guest_run(&salc, 1);
    g_assert_cmphex(env.regs[R_EAX] & 0xff, ==, 0xff);

    /* LOCK on a register destination and on a non-lockable insn is #UD */
    uint8_t lock_add_reg[3] = { 0xf0, 0x01, 0xd8 }, lock_cmp[3] = { 0xf0, 0x39, 0x18 };
    g_assert_cmpint(guest_run(lock_add_reg, 3), ==, EXCP_UD);
    g_assert_cmpint(guest_run(lock_cmp, 3), ==, EXCP_UD);
    uint8_t ud2[2] = { 0x0f, 0x0b };
    g_assert_cmpint(guest_run(ud2, 2), ==, EXCP_UD);
}

#ifdef CPU_A_STANDALONE
/* ---------------- whole-loop tests (real mode, mock system layer) ---------------- */

static void rm_setup(const uint8_t *code, size_t n)
{
    memset(&env, 0, sizeof(env));
    memset(mock_ram, 0, sizeof(mock_ram));
    tb_flush_all(&env);
    static const uint16_t sel[6] = { 0x3000, 0x1000, 0x2000, 0x3000, 0, 0 };
    for (int i = 0; i < 6; i++) {
        env.segs[i].selector = sel[i];
        env.segs[i].base = sel[i] << 4;
        env.segs[i].limit = 0xffff;
        env.segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK;
    }
    env.regs[R_ESP] = 0xfffe;
    env.eflags = 2;
    env.cc_op = CC_OP_EFLAGS;
    env.exception_index = -1;
    env.a20_mask = ~0u;
    for (int i = 0; i < 6; i++) {
        env.tlb[0][0].addr_code = -1;
    }
    memset(env.tlb, 0xff, sizeof(env.tlb));
    memcpy(mock_ram + 0x10000, code, n);
}

static void set_ivt(int vec, uint16_t cs, uint16_t ip)
{
    mock_ram[vec * 4] = ip; mock_ram[vec * 4 + 1] = ip >> 8;
    mock_ram[vec * 4 + 2] = cs; mock_ram[vec * 4 + 3] = cs >> 8;
}

static void test_exec_program(void)
{
    static const uint8_t prog[] = {
        0xb9, 0x0a, 0x00,       /* mov cx, 10 */
        0x31, 0xc0,             /* xor ax, ax */
        0x01, 0xc8,             /* l: add ax, cx */
        0xe2, 0xfc,             /* loop l */
        0xe8, 0x0f, 0x00,       /* call f (0x1b) */
        0xbe, 0x00, 0x01,       /* mov si, 0x100 */
        0xbf, 0x00, 0x02,       /* mov di, 0x200 */
        0xb9, 0x05, 0x00,       /* mov cx, 5 */
        0xfc,                   /* cld */
        0xf3, 0xa4,             /* rep movsb */
        0xf4,                   /* hlt */
        0x00, 0x00,
        0x43,                   /* f: inc bx */
        0xc3,                   /* ret */
    };
    rm_setup(prog, sizeof(prog));
    memcpy(mock_ram + 0x30100, "hello", 5);
    CPUExitReason r = x86_cpu_exec(&env, 1000);
    g_assert_cmpint(r, ==, CPU_EXIT_HALTED);
    g_assert_cmphex(env.regs[R_EAX], ==, 55);
    g_assert_cmphex(env.regs[R_EBX], ==, 1);
    g_assert_cmphex(env.regs[R_ECX], ==, 0);
    g_assert_cmphex(env.regs[R_ESP], ==, 0xfffe);
    g_assert_cmpmem(mock_ram + 0x30200, 5, "hello", 5);
    g_assert_cmphex(env.eip, ==, 0x19);
}

static void test_exec_smc(void)
{
    static const uint8_t prog[] = {
        0x2e, 0xc6, 0x06, 0x07, 0x00, 0x42,   /* mov byte [cs:7], 0x42 */
        0xb0, 0x00,                           /* 6: mov al, 0x00 (patched) */
        0xf4,
    };
    rm_setup(prog, sizeof(prog));
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmphex(env.regs[R_EAX] & 0xff, ==, 0x42);
    /* run the same code again from a cached state: stale block must be gone */
    env.hflags &= ~HF_HALTED;
    env.eip = 6;
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmphex(env.regs[R_EAX] & 0xff, ==, 0x42);
}

static int ack_vector;
static int test_intr_ack(void *opaque)
{
    x86_cpu_set_intr(&env, 0);
    return ack_vector;
}

static void test_exec_interrupts(void)
{
    static const uint8_t prog[] = {
        0xfb,                   /* 0: sti */
        0xf4,                   /* 1: hlt */
        0xcd, 0x50,             /* 2: int 0x50 */
        0x31, 0xdb,             /* 4: xor bx, bx */
        0xf7, 0xf3,             /* 6: div bx -> #DE */
        0xf4,                   /* 8: hlt (never) */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        /* 0x10: handler for 0x21 and 0x50: count in dx, iret */
        0x42, 0xcf,
        /* 0x12: #DE handler: mov si, 0xdead; hlt */
        0xbe, 0xad, 0xde, 0xf4,
    };
    rm_setup(prog, sizeof(prog));
    set_ivt(0x21, 0x1000, 0x10);
    set_ivt(0x50, 0x1000, 0x10);
    set_ivt(0, 0x1000, 0x12);
    env.intr_ack = test_intr_ack;
    ack_vector = 0x21;
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmphex(env.eip, ==, 2);
    /* raise INTR: wakes from HLT, handler runs, IRET returns after HLT */
    x86_cpu_set_intr(&env, 1);
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmpint(mock_last_vector, ==, 0);       /* last: #DE */
    g_assert_cmphex(env.regs[R_EDX] & 0xffff, ==, 2);  /* 0x21 and INT 0x50 */
    g_assert_cmphex(env.regs[R_ESI] & 0xffff, ==, 0xdead);
    /* #DE is a fault: the return address pushed is the DIV itself */
    uint16_t sp = env.regs[R_ESP];
    g_assert_cmphex(mock_ram[0x20000 + sp] | mock_ram[0x20000 + sp + 1] << 8, ==, 6);
}

static void test_exec_budget_kick(void)
{
    static const uint8_t prog[] = {
        0xb9, 0x00, 0xf0,       /* mov cx, 0xf000 */
        0xb0, 0x77,             /* mov al, 0x77 */
        0xbf, 0x00, 0x00,       /* mov di, 0 */
        0xf3, 0xaa,             /* 8: rep stosb */
        0xeb, 0xfe,             /* 10: jmp $ */
    };
    rm_setup(prog, sizeof(prog));
    mock_no_host_ptr = true;
    /* a pending kick interrupts the long REP STOSB at a chunk boundary */
    g_assert_cmpint(x86_cpu_exec(&env, 3), ==, CPU_EXIT_BUDGET);
    x86_cpu_kick(&env);
    env.interrupt_request &= ~CPU_INTERRUPT_EXIT;
    env.interrupt_request |= CPU_INTERRUPT_EXIT;
    g_assert_cmpint(x86_cpu_exec(&env, 1000), ==, CPU_EXIT_KICKED);
    g_assert_cmphex(env.eip, ==, 8);
    /* run on: the REP gets interrupted by the kick check at most once per chunk */
    g_assert_cmpint(x86_cpu_exec(&env, 1000), ==, CPU_EXIT_BUDGET);
    g_assert_cmphex(env.regs[R_ECX] & 0xffff, ==, 0);
    g_assert_cmphex(env.eip, ==, 10);
    g_assert_cmphex(mock_ram[0x30000], ==, 0x77);
    g_assert_cmphex(mock_ram[0x30000 + 0xefff], ==, 0x77);
    g_assert_cmphex(mock_ram[0x30000 + 0xf000], ==, 0);
    mock_no_host_ptr = false;
}

/* memory operand forms: BT with a negative register bit offset, push/pop
 * memory, XCHG/XADD/CMPXCHG8B on memory, ENTER/LEAVE, PUSHA/POPA */
static void test_exec_memforms(void)
{
    static const uint8_t prog[] = {
        0xbb, 0x00, 0x01,               /* mov bx, 0x100 */
        0xb8, 0xf7, 0xff,               /* mov ax, -9 */
        0x0f, 0xab, 0x07,               /* bts [bx], ax   -> bit 7 of byte 0xfe */
        0xff, 0x37,                     /* push word [bx] */
        0x8f, 0x47, 0x02,               /* pop word [bx+2] */
        0xc8, 0x04, 0x00, 0x00,         /* enter 4, 0 */
        0x60,                           /* pusha */
        0x61,                           /* popa */
        0xc9,                           /* leave */
        0x66, 0x0f, 0xc7, 0x4f, 0x10,   /* cmpxchg8b [bx+0x10] (66 ignored) */
        0xf4,
    };
    rm_setup(prog, sizeof(prog));
    mock_ram[0x30100] = 0x34;
    mock_ram[0x30101] = 0x12;
    env.regs[R_EAX] = 0;
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmphex(mock_ram[0x300fe], ==, 0x80);           /* bit -9 = byte -2 bit 7 */
    g_assert_cmphex(mock_ram[0x30102], ==, 0x34);
    g_assert_cmphex(mock_ram[0x30103], ==, 0x12);
    g_assert_cmphex(env.regs[R_ESP], ==, 0xfffe);
    /* cmpxchg8b: EDX:EAX (0:0xfff7) != mem (0) -> loads mem into EDX:EAX, ZF=0 */
    g_assert_cmphex(env.regs[R_EAX], ==, 0);
    g_assert_cmphex(cpu_compute_eflags(&env) & CC_Z, ==, 0);
}

static void test_exec_invalid(void)
{
    static const uint8_t prog[] = {
        0x0f, 0x0b,             /* ud2 */
        0xf4,
        0x00, 0x00, 0x00, 0x00, 0x00,
        0xbe, 0x06, 0x00, 0xf4, /* 8: #UD handler: mov si, 6; hlt */
    };
    rm_setup(prog, sizeof(prog));
    set_ivt(6, 0x1000, 8);
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmpint(mock_last_vector, ==, 6);
    g_assert_cmphex(env.regs[R_ESI], ==, 6);
}

/* TF: #DB after each instruction following the POPF that set it;
 * STI: the instruction after STI runs before a pending interrupt. */
static void test_exec_tf_shadow(void)
{
    static const uint8_t prog[] = {
        0x9c, 0x58,             /* 0: pushf; pop ax */
        0x0d, 0x00, 0x01,       /* 2: or ax, 0x100 */
        0x50, 0x9d,             /* 5: push ax; popf  (TF=1) */
        0x90,                   /* 7: nop             -> #DB 1 */
        0xb9, 0x05, 0x00,       /* 8: mov cx, 5       -> #DB 2, handler halts */
        0xf4,                   /* b: */
        0x00, 0x00, 0x00, 0x00,
        /* 0x10: #DB handler: inc dx; cmp dx, 2; jb +1; hlt; iret */
        0x42, 0x83, 0xfa, 0x02, 0x72, 0x01, 0xf4, 0xcf,
    };
    rm_setup(prog, sizeof(prog));
    set_ivt(1, 0x1000, 0x10);
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmphex(env.regs[R_EDX], ==, 2);
    g_assert_cmphex(env.regs[R_ECX], ==, 5);
    uint16_t sp = env.regs[R_ESP];
    g_assert_cmphex(mock_ram[0x20000 + sp] | mock_ram[0x20000 + sp + 1] << 8, ==, 0xb);
    g_assert_cmphex(env.dr[6] & 0x4000, ==, 0x4000);

    static const uint8_t prog2[] = {
        0xfa,                   /* 0: cli */
        0xfb,                   /* 1: sti (interrupt already pending) */
        0xbb, 0x01, 0x00,       /* 2: mov bx, 1  -- runs in the STI shadow */
        0xf4,                   /* 5: hlt */
        0x00, 0x00,
        0x89, 0xde, 0xcf,       /* 8: mov si, bx; iret */
    };
    rm_setup(prog2, sizeof(prog2));
    set_ivt(0x21, 0x1000, 8);
    env.intr_ack = test_intr_ack;
    ack_vector = 0x21;
    x86_cpu_set_intr(&env, 1);
    g_assert_cmpint(x86_cpu_exec(&env, 100), ==, CPU_EXIT_HALTED);
    g_assert_cmphex(env.regs[R_ESI], ==, 1);
    g_assert_cmphex(env.eip, ==, 6);
}

/* REP MOVS/STOS bulk path: page-sized memcpy/memset steps with the same
 * architectural result as element-wise execution, including overlap. */
static void test_exec_rep_bulk(void)
{
    static const uint8_t prog[] = {
        0x66, 0xb9, 0x00, 0x40, 0x00, 0x00,   /* mov ecx, 0x4000 */
        0x66, 0xb8, 0x11, 0x22, 0x33, 0x44,   /* mov eax, 0x44332211 */
        0xbf, 0x10, 0x00,                     /* mov di, 0x10 */
        0xf3, 0x66, 0xab,                     /* rep stosd (wraps DI at 64K) */
        0xbe, 0x00, 0x00,                     /* mov si, 0 */
        0xbf, 0x01, 0x00,                     /* mov di, 1 */
        0xb9, 0x00, 0x20,                     /* mov cx, 0x2000 */
        0xf3, 0xa4,                           /* rep movsb (overlapping: replicates) */
        0xf4,
    };
    rm_setup(prog, sizeof(prog));
    mock_host_ptr_calls = 0;
    g_assert_cmpint(x86_cpu_exec(&env, 100000), ==, CPU_EXIT_HALTED);
    g_assert_cmpint(mock_host_ptr_calls, >, 0);
    /* STOSD from 0x10, 0x4000 dwords = 0x10000 bytes: wraps to 0..0xf */
    g_assert_cmphex(mock_ram[0x30000 + 0xfff0], ==, 0x11);
    g_assert_cmphex(mock_ram[0x30000 + 0xffff], ==, 0x44);
    g_assert_cmphex(env.regs[R_ECX] & 0xffff, ==, 0);
    /* overlapping MOVSB copied byte 0 (0x11 after the wrap) forward */
    for (int i = 0; i <= 0x2000; i++) {
        g_assert_cmphex(mock_ram[0x30000 + i], ==, 0x11);
    }
    g_assert_cmphex(mock_ram[0x30000 + 0x2001], ==, 0x22);
    g_assert_cmphex(env.regs[R_EDI] & 0xffff, ==, 0x2001);
}

/* ALU ops with a memory destination ([edi], flat 32-bit) and a memory
 * source (reg, [edi]) agree with the host on result and flags. */
static void test_exec_alu_mem(void)
{
    for (unsigned c = 0; c < G_N_ELEMENTS(bin_cases); c++) {
        const BinCase *bc = &bin_cases[c];
        if (bc->opc_len != 1 || bc->opc[0] == 0x85) {
            continue;
        }
        for (int ot = 0; ot < 3; ot++) {
            for (int i = 0; i < 200; i++) {
                uint32_t a = g_test_rand_int() & szmask[ot], b = g_test_rand_int() & szmask[ot];
                if (i < (int)NEDGE) {
                    a = edge[i] & szmask[ot];
                }
                uint32_t fin = g_test_rand_int() & CC_MASK;
                for (int dir = 0; dir < 2; dir++) {
                    /* dir 0: op [edi], ebx (a in memory); dir 1: op ebx, [edi] (a in ebx) */
                    uint32_t ha = a;
                    uint64_t hf = fin | 2;
                    bc->host[ot](&ha, b, &hf);
                    env_init32();
                    memset(mock_ram + 0x1000, 0xcc, 8);
                    uint8_t code[4];
                    int n = 0;
                    if (ot == 1) {
                        code[n++] = 0x66;
                    }
                    code[n++] = bc->opc[0] - (ot == 0) + (dir ? 2 : 0);
                    code[n++] = 0x1f;   /* reg = ebx, rm = [edi] */
                    env.regs[R_EDI] = 0x1000;
                    uint32_t memv = dir ? b : a, regv = dir ? a : b;
                    memcpy(mock_ram + 0x1000, &memv, 1u << ot);
                    env.regs[R_EBX] = regv;
                    guest_set_flags(fin);
                    g_assert_cmpint(guest_run(code, n), ==, -1);
                    uint32_t got = 0;
                    if (dir == 0) {
                        memcpy(&got, mock_ram + 0x1000, 1u << ot);
                        g_assert_cmphex(mock_ram[0x1000 + (1u << ot)], ==, 0xcc);  /* no overrun */
                    } else {
                        got = env.regs[R_EBX] & szmask[ot];
                    }
                    g_assert_cmphex(got, ==, ha);
                    g_assert_cmphex(guest_flags() & bc->fmask, ==, hf & bc->fmask);
                }
            }
        }
    }
}
#endif

/* ---------------- 64-bit mode: REX.W forms against the host ---------------- */

static void env_init64(void)
{
    env_init32();
    env.hflags = HF_CS64 | HF_LMA | HF_PE;
    env.efer = EFER_LME | EFER_LMA;
    env.segs[R_CS].flags |= DESC_L_MASK;
    env.segs[R_CS].flags &= ~DESC_B_MASK;
}

static int guest_run64(const uint8_t *code, size_t n)
{
    DecodedInsn d;
    CodeBuf cb = { code, n };
    x86_decode_mode(&d, 0, 64, code_fetch, &cb);
    g_assert_cmpint(d.len, ==, (int)n);
    env.insn_start_eip = 0;
    env.eip = d.len;
    env.insn_rex = d.rex;
    env.exception_index = -1;
    if (sigsetjmp(env.jmp_env, 0) == 0) {
        d.handler(&env, &d);
        return -1;
    }
    return env.exception_index;
}

static const uint64_t edge64[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
    0xfffffffffffffffeull, 0xffffffffffffffffull, 0x123456789abcdef0ull,
};
#define NEDGE64 (sizeof(edge64) / sizeof(edge64[0]))

static uint64_t pick64(int i)
{
    if (i < (int)NEDGE64) {
        return edge64[i];
    }
    return ((uint64_t)g_test_rand_int() << 32) | g_test_rand_int();
}

#define HOSTQ2(mn)                                                                     \
static void hostq_##mn(uint64_t *x, uint64_t y, uint64_t *fl)                          \
{ uint64_t a = *x, b = y, f = *fl;                                                      \
  asm volatile(HB #mn "q %[b], %[a]" HE : [a] "+r"(a), [f] "+r"(f) : [b] "r"(b) : "cc"); \
  *x = a; *fl = f; }
HOSTQ2(add) HOSTQ2(or) HOSTQ2(adc) HOSTQ2(sbb) HOSTQ2(and) HOSTQ2(sub) HOSTQ2(xor) HOSTQ2(cmp)

typedef struct Bin64 {
    const char *name;
    uint8_t op;                                 /* op r/m64, r64 (REX.W) */
    void (*host)(uint64_t *, uint64_t, uint64_t *);
    uint32_t fmask;
    bool writes;
} Bin64;

static const Bin64 bin64_cases[] = {
    { "add", 0x01, hostq_add, CC_MASK, true }, { "or", 0x09, hostq_or, CC_MASK & ~CC_A, true },
    { "adc", 0x11, hostq_adc, CC_MASK, true }, { "sbb", 0x19, hostq_sbb, CC_MASK, true },
    { "and", 0x21, hostq_and, CC_MASK & ~CC_A, true }, { "sub", 0x29, hostq_sub, CC_MASK, true },
    { "xor", 0x31, hostq_xor, CC_MASK & ~CC_A, true }, { "cmp", 0x39, hostq_cmp, CC_MASK, false },
};

static void test_bin64(gconstpointer data)
{
    const Bin64 *bc = data;
    for (int i = 0; i < 600; i++) {
        uint64_t a = pick64(i % 20), b = pick64((i / 20) % 20);
        uint32_t fin = g_test_rand_int() & CC_MASK;
        uint64_t ha = a, hf = fin | 2;
        bc->host(&ha, b, &hf);
        env_init64();
        const uint8_t code[] = { 0x48, bc->op, 0xd8 };     /* op rax, rbx */
        env.regs[R_EAX] = a;
        env.regs[R_EBX] = b;
        guest_set_flags(fin);
        g_assert_cmpint(guest_run64(code, sizeof(code)), ==, -1);
        if (!bc->writes) {
            ha = a;
        }
        g_assert_cmphex(env.regs[R_EAX], ==, ha);
        g_assert_cmphex(guest_flags() & bc->fmask, ==, hf & bc->fmask);
    }
}

#define HOSTQSH(mn)                                                                    \
static void hostq_##mn(uint64_t *x, uint8_t c, uint64_t *fl)                           \
{ uint64_t a = *x, f = *fl;                                                             \
  asm volatile(HB #mn "q %%cl, %[a]" HE : [a] "+r"(a), [f] "+r"(f) : "c"(c) : "cc");    \
  *x = a; *fl = f; }
HOSTQSH(rol) HOSTQSH(ror) HOSTQSH(rcl) HOSTQSH(rcr) HOSTQSH(shl) HOSTQSH(shr) HOSTQSH(sar)

typedef struct Sh64 {
    const char *name;
    int reg;
    void (*host)(uint64_t *, uint8_t, uint64_t *);
} Sh64;

static const Sh64 sh64_cases[] = {
    { "rol", 0, hostq_rol }, { "ror", 1, hostq_ror }, { "rcl", 2, hostq_rcl },
    { "rcr", 3, hostq_rcr }, { "shl", 4, hostq_shl }, { "shr", 5, hostq_shr },
    { "sar", 7, hostq_sar },
};

static void test_shift64(gconstpointer data)
{
    const Sh64 *sc = data;
    for (unsigned cnt = 0; cnt < 72; cnt++) {
        for (int i = 0; i < 24; i++) {
            uint64_t a = pick64(i), ha = a;
            uint32_t fin = g_test_rand_int() & CC_MASK;
            uint64_t hf = fin | 2;
            unsigned c = cnt & 0x3f;
            sc->host(&ha, cnt, &hf);
            env_init64();
            const uint8_t code[] = { 0x48, 0xd3, 0xc0 | (sc->reg << 3) };   /* op rax, cl */
            env.regs[R_EAX] = a;
            env.regs[R_ECX] = cnt;
            guest_set_flags(fin);
            g_assert_cmpint(guest_run64(code, sizeof(code)), ==, -1);
            /* defined flags: none for count 0; OF only for count 1; AF never
             * for shifts; rotates leave SF ZF AF PF alone */
            uint32_t m;
            if (c == 0) {
                m = CC_MASK;
            } else if (sc->reg <= 3) {
                m = CC_S | CC_Z | CC_A | CC_P | CC_C | (c == 1 ? CC_O : 0);
            } else {
                m = CC_S | CC_Z | CC_P | CC_C | (c == 1 ? CC_O : 0);
            }
            g_assert_cmphex(env.regs[R_EAX], ==, ha);
            g_assert_cmphex(guest_flags() & m, ==, hf & m);
        }
    }
}

/* MUL/IMUL/DIV/IDIV r64 and IMUL r64, r/m64 */
static void test_muldiv64(void)
{
    for (int i = 0; i < 400; i++) {
        uint64_t a = pick64(i % 20), b = pick64((i / 20) % 20), d = pick64((i * 7) % 20);
        for (int reg = 4; reg <= 7; reg++) {
            uint64_t ha = a, hd = d, hf = 2;
            bool fault = false;
            if (reg >= 6) {
                if (b == 0) {
                    fault = true;
                } else if (reg == 6) {
                    fault = hd >= b;            /* quotient would not fit */
                } else {
                    __int128 n = (__int128)(((unsigned __int128)hd << 64) | ha);
                    __int128 q = (n == -((__int128)1 << 126) * 2 && (int64_t)b == -1) ? 0 :
                                 n / (int64_t)b;
                    fault = (n == -((__int128)1 << 126) * 2 && (int64_t)b == -1) ||
                            q > INT64_MAX || q < INT64_MIN;
                }
            }
            if (!fault) {
                switch (reg) {
                case 4: asm volatile(HB "mulq %[b]" HE : "+a"(ha), "+d"(hd), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
                case 5: asm volatile(HB "imulq %[b]" HE : "+a"(ha), "+d"(hd), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
                case 6: asm volatile(HB "divq %[b]" HE : "+a"(ha), "+d"(hd), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
                default: asm volatile(HB "idivq %[b]" HE : "+a"(ha), "+d"(hd), [f] "+r"(hf) : [b] "r"(b) : "cc"); break;
                }
            }
            env_init64();
            const uint8_t code[] = { 0x48, 0xf7, 0xc0 | (reg << 3) | R_EBX };
            env.regs[R_EAX] = a;
            env.regs[R_EDX] = d;
            env.regs[R_EBX] = b;
            guest_set_flags(0);
            int v = guest_run64(code, sizeof(code));
            if (fault) {
                g_assert_cmpint(v, ==, EXCP_DE);
                continue;
            }
            g_assert_cmpint(v, ==, -1);
            g_assert_cmphex(env.regs[R_EAX], ==, ha);
            g_assert_cmphex(env.regs[R_EDX], ==, hd);
            if (reg <= 5) {
                g_assert_cmphex(guest_flags() & (CC_C | CC_O), ==, hf & (CC_C | CC_O));
            }
        }
        /* IMUL rax, rbx */
        uint64_t p = a, hf = 2;
        asm volatile(HB "imulq %[b], %[p]" HE : [p] "+r"(p), [f] "+r"(hf) : [b] "r"(b) : "cc");
        env_init64();
        const uint8_t code2[] = { 0x48, 0x0f, 0xaf, 0xc3 };
        env.regs[R_EAX] = a;
        env.regs[R_EBX] = b;
        g_assert_cmpint(guest_run64(code2, sizeof(code2)), ==, -1);
        g_assert_cmphex(env.regs[R_EAX], ==, p);
        g_assert_cmphex(guest_flags() & (CC_C | CC_O), ==, hf & (CC_C | CC_O));
    }
}

/* 32-bit results zero-extend, 8/16-bit ones merge; REX byte registers */
static void test_regs64(void)
{
    env_init64();
    env.regs[R_EAX] = ~0ull;
    env.regs[R_EBX] = 0x1;
    const uint8_t add32[] = { 0x01, 0xd8 };                  /* add eax, ebx */
    g_assert_cmpint(guest_run64(add32, 2), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0);                 /* 0xffffffff + 1 -> 0, upper cleared */
    env.regs[R_EAX] = ~0ull;
    const uint8_t add16[] = { 0x66, 0x01, 0xd8 };            /* add ax, bx */
    g_assert_cmpint(guest_run64(add16, 3), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0xffffffffffff0000ull);
    env.regs[R_ESI] = 0x1100;
    env.regs[R_EDX] = 0x2200;
    const uint8_t movsil[] = { 0x40, 0xb6, 0x33 };           /* mov sil, 0x33 */
    g_assert_cmpint(guest_run64(movsil, 3), ==, -1);
    g_assert_cmphex(env.regs[R_ESI], ==, 0x1133);
    g_assert_cmphex(env.regs[R_EDX], ==, 0x2200);
    const uint8_t movdh[] = { 0xb6, 0x44 };                  /* mov dh, 0x44 */
    g_assert_cmpint(guest_run64(movdh, 2), ==, -1);
    g_assert_cmphex(env.regs[R_EDX], ==, 0x4400);
    env.regs[12] = 0;
    const uint8_t movr12b[] = { 0x41, 0xb4, 0x55 };          /* mov r12b, 0x55 */
    g_assert_cmpint(guest_run64(movr12b, 3), ==, -1);
    g_assert_cmphex(env.regs[12], ==, 0x55);
    env.regs[R_EAX] = 0x80000000;
    const uint8_t cdqe[] = { 0x48, 0x98 };
    g_assert_cmpint(guest_run64(cdqe, 2), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0xffffffff80000000ull);
    const uint8_t invalid[] = { 0x27 };                      /* DAA: #UD in 64-bit mode */
    g_assert_cmpint(guest_run64(invalid, 1), ==, EXCP_UD);
}

/* RDRAND/RDSEED/RDPID (SDM vol. 2): #UD without the CPUID bit, in the memory
 * form and with F3; else a random register value, CF=1 and OF, SF, ZF,
 * AF, PF cleared, a 16-bit form leaving the register's upper half. */
static void test_rdrand(void)
{
    static const uint8_t rdrand_eax[] = { 0x0f, 0xc7, 0xf0 };
    static const uint8_t rdseed_eax[] = { 0x0f, 0xc7, 0xf8 };
    static const uint8_t rdrand_cx[] = { 0x66, 0x0f, 0xc7, 0xf1 };
    static const uint8_t rdrand_mem[] = { 0x0f, 0xc7, 0x30 };
    static const uint8_t rep_rdrand[] = { 0xf3, 0x0f, 0xc7, 0xf0 };
    env_init32();
    g_assert_cmpint(guest_run(rdrand_eax, 3), ==, EXCP_UD);
    g_assert_cmpint(guest_run(rdseed_eax, 3), ==, EXCP_UD);
    env.cpuid_ext_features |= 1u << 30;
    env.cpuid_7_0_ebx |= 1u << 18;
    g_assert_cmpint(guest_run(rdrand_mem, 3), ==, EXCP_UD);
    g_assert_cmpint(guest_run(rep_rdrand, 4), ==, EXCP_UD);
    uint32_t seen[8];
    for (int i = 0; i < 8; i++) {
        guest_set_flags(CC_O | CC_S | CC_Z | CC_A | CC_P);
        g_assert_cmpint(guest_run(i & 1 ? rdseed_eax : rdrand_eax, 3), ==, -1);
        g_assert_cmphex(guest_flags(), ==, CC_C);
        seen[i] = env.regs[R_EAX];
    }
    bool differ = false;
    for (int i = 1; i < 8; i++) {
        differ |= seen[i] != seen[0];
    }
    g_assert_true(differ);
    env.regs[R_ECX] = 0xdead0000;
    g_assert_cmpint(guest_run(rdrand_cx, 4), ==, -1);
    g_assert_cmphex(env.regs[R_ECX] >> 16, ==, 0xdead);
    /* F3 0F C7 /7 is RDPID: IA32_TSC_AUX, 32 bits outside 64-bit mode,
     * the operand-size prefix ignored, flags untouched */
    static const uint8_t rdpid_eax[] = { 0xf3, 0x0f, 0xc7, 0xf8 };
    static const uint8_t rdpid_ax[] = { 0x66, 0xf3, 0x0f, 0xc7, 0xf8 };
    env.tsc_aux = 0x12345678;
    g_assert_cmpint(guest_run(rdpid_eax, 4), ==, EXCP_UD);
    env.cpuid_7_0_ecx |= 1u << 22;
    guest_set_flags(CC_Z);
    env.regs[R_EAX] = 0xffffffff;
    g_assert_cmpint(guest_run(rdpid_eax, 4), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0x12345678);
    g_assert_cmphex(guest_flags(), ==, CC_Z);
    env.regs[R_EAX] = 0;
    g_assert_cmpint(guest_run(rdpid_ax, 5), ==, -1);
    g_assert_cmphex(env.regs[R_EAX], ==, 0x12345678);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(bin_cases); i++) {
        char *p = g_strdup_printf("/x86/alu/bin/%s", bin_cases[i].name);
        g_test_add_data_func(p, &bin_cases[i], test_bin);
        g_free(p);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(un_cases); i++) {
        char *p = g_strdup_printf("/x86/alu/unary/%s", un_cases[i].name);
        g_test_add_data_func(p, &un_cases[i], test_unary);
        g_free(p);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(sh_cases); i++) {
        char *p = g_strdup_printf("/x86/alu/shift/%s", sh_cases[i].name);
        g_test_add_data_func(p, &sh_cases[i], test_shift);
        g_free(p);
    }
    g_test_add_func("/x86/alu/shxd", test_shxd);
    g_test_add_func("/x86/alu/muldiv", test_muldiv);
    g_test_add_func("/x86/alu/imul23", test_imul23);
    g_test_add_func("/x86/alu/bits", test_bits);
    g_test_add_func("/x86/alu/conditions", test_conditions);
    g_test_add_func("/x86/alu/conditions-unary", test_conditions_unary);
    g_test_add_func("/x86/alu/bcd", test_bcd);
    g_test_add_func("/x86/alu/misc", test_misc);
    for (unsigned i = 0; i < G_N_ELEMENTS(bin64_cases); i++) {
        char *p = g_strdup_printf("/x86/alu64/bin/%s", bin64_cases[i].name);
        g_test_add_data_func(p, &bin64_cases[i], test_bin64);
        g_free(p);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(sh64_cases); i++) {
        char *p = g_strdup_printf("/x86/alu64/shift/%s", sh64_cases[i].name);
        g_test_add_data_func(p, &sh64_cases[i], test_shift64);
        g_free(p);
    }
    g_test_add_func("/x86/alu64/muldiv", test_muldiv64);
    g_test_add_func("/x86/alu64/regs", test_regs64);
    g_test_add_func("/x86/alu/rdrand", test_rdrand);
#ifdef CPU_A_STANDALONE
    g_test_add_func("/x86/exec/program", test_exec_program);
    g_test_add_func("/x86/exec/smc", test_exec_smc);
    g_test_add_func("/x86/exec/interrupts", test_exec_interrupts);
    g_test_add_func("/x86/exec/budget-kick", test_exec_budget_kick);
    g_test_add_func("/x86/exec/memforms", test_exec_memforms);
    g_test_add_func("/x86/exec/invalid", test_exec_invalid);
    g_test_add_func("/x86/exec/tf-shadow", test_exec_tf_shadow);
    g_test_add_func("/x86/exec/rep-bulk", test_exec_rep_bulk);
    g_test_add_func("/x86/exec/alu-mem", test_exec_alu_mem);
#endif
    return g_test_run();
}
#endif
