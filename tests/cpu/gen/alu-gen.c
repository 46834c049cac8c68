/*
 * alu-gen.c - produce tests/cpu/alu_vectors.inc, the known-answer table of
 * the alu.asm kernel.
 *
 * Every non-BCD operation is executed natively on the build host (x86-64,
 * 32-bit and narrower operand sizes have the same semantics as in protected
 * mode), so expected results and flags come from real hardware.  Flags that
 * the SDM leaves undefined are masked out per vector (see flag_mask()), so the
 * table holds only architectural behaviour.  The BCD adjust instructions do
 * not exist in 64-bit mode: their expected values are computed from the SDM
 * pseudocode (vol.2 DAA, DAS, AAA, AAS, AAM, AAD) in bcd().
 *
 * Build and run (only when the op list changes; the output is committed):
 *   gcc -O1 -masm=intel -o /tmp/alu-gen tests/cpu/gen/alu-gen.c
 *   /tmp/alu-gen > tests/cpu/alu_vectors.inc
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct st { uint32_t a, b, c, d; uint64_t f; };

enum kind { K_ARITH, K_LOGIC, K_INCDEC, K_NOFLAGS, K_SHIFT, K_ROT, K_SHXD,
            K_MUL, K_DIV, K_BT, K_BSX, K_BCD };

#define OF 0x800
#define SF 0x080
#define ZF 0x040
#define AF 0x010
#define PF 0x004
#define CF 0x001
#define ALL (OF | SF | ZF | AF | PF | CF)

/* X(id, "asm text", kind, operand size, divide check) */
#define OPS \
 X(add32,  "add eax, ebx",      K_ARITH, 32) \
 X(add8,   "add al, bl",        K_ARITH, 8) \
 X(add16,  "add ax, bx",        K_ARITH, 16) \
 X(adc32,  "adc eax, ebx",      K_ARITH, 32) \
 X(adc8,   "adc al, bl",        K_ARITH, 8) \
 X(sub32,  "sub eax, ebx",      K_ARITH, 32) \
 X(sub16,  "sub ax, bx",        K_ARITH, 16) \
 X(sbb32,  "sbb eax, ebx",      K_ARITH, 32) \
 X(sbb8,   "sbb ah, bl",        K_ARITH, 8) \
 X(cmp32,  "cmp eax, ebx",      K_ARITH, 32) \
 X(neg32,  "neg eax",           K_ARITH, 32) \
 X(neg8,   "neg bl",            K_ARITH, 8) \
 X(inc32,  "inc eax",           K_INCDEC, 32) \
 X(dec16,  "dec bx",            K_INCDEC, 16) \
 X(and32,  "and eax, ebx",      K_LOGIC, 32) \
 X(or16,   "or ax, bx",         K_LOGIC, 16) \
 X(xor8,   "xor al, bl",        K_LOGIC, 8) \
 X(test32, "test eax, ebx",     K_LOGIC, 32) \
 X(not32,  "not eax",           K_NOFLAGS, 32) \
 X(bswap,  "bswap eax",         K_NOFLAGS, 32) \
 X(shl32,  "shl eax, cl",       K_SHIFT, 32) \
 X(shr32,  "shr eax, cl",       K_SHIFT, 32) \
 X(sar32,  "sar eax, cl",       K_SHIFT, 32) \
 X(shl8,   "shl al, cl",        K_SHIFT, 8) \
 X(shr16,  "shr ax, cl",        K_SHIFT, 16) \
 X(sar8,   "sar bl, cl",        K_SHIFT, 8) \
 X(shl1,   "shl eax, 1",        K_SHIFT, 32) \
 X(sar1,   "sar edx, 1",        K_SHIFT, 32) \
 X(rol32,  "rol eax, cl",       K_ROT, 32) \
 X(ror32,  "ror eax, cl",       K_ROT, 32) \
 X(rcl32,  "rcl eax, cl",       K_ROT, 32) \
 X(rcr32,  "rcr eax, cl",       K_ROT, 32) \
 X(rol8,   "rol al, cl",        K_ROT, 8) \
 X(rcl8,   "rcl al, cl",        K_ROT, 8) \
 X(rcr16,  "rcr ax, cl",        K_ROT, 16) \
 X(rcl1,   "rcl ebx, 1",        K_ROT, 32) \
 X(shld32, "shld eax, ebx, cl", K_SHXD, 32) \
 X(shrd32, "shrd eax, ebx, cl", K_SHXD, 32) \
 X(mul32,  "mul ebx",           K_MUL, 32) \
 X(mul8,   "mul bl",            K_MUL, 8) \
 X(imul32, "imul ebx",          K_MUL, 32) \
 X(imul2,  "imul eax, ebx",     K_MUL, 32) \
 X(imul3,  "imul eax, ebx, -7", K_MUL, 32) \
 X(imul16, "imul bx",           K_MUL, 16) \
 X(div32,  "div ebx",           K_DIV, 32) \
 X(idiv32, "idiv ebx",          K_DIV, 32) \
 X(div8,   "div bl",            K_DIV, 8) \
 X(idiv16, "idiv bx",           K_DIV, 16) \
 X(bt32,   "bt eax, ebx",       K_BT, 32) \
 X(bts32,  "bts eax, ecx",      K_BT, 32) \
 X(btr32,  "btr eax, 7",        K_BT, 32) \
 X(btc16,  "btc ax, bx",        K_BT, 16) \
 X(bsf32,  "bsf eax, ebx",      K_BSX, 32) \
 X(bsr32,  "bsr eax, ebx",      K_BSX, 32) \
 X(bsr16,  "bsr ax, bx",        K_BSX, 16) \
 X(cmpxchg,"cmpxchg ebx, ecx",  K_ARITH, 32) \
 X(cmpxch8,"cmpxchg bl, cl",    K_ARITH, 8) \
 X(xadd32, "xadd eax, ebx",     K_ARITH, 32) \
 X(xadd16, "xadd ax, bx",       K_ARITH, 16)

#define BCDOPS \
 X(daa, "daa", K_BCD, 8) X(das, "das", K_BCD, 8) X(aaa, "aaa", K_BCD, 8) \
 X(aas, "aas", K_BCD, 8) X(aam, "aam", K_BCD, 8) X(aad, "aad", K_BCD, 8) \
 X(aam16, "aam 16", K_BCD, 8) X(aad7, "aad 7", K_BCD, 8)

#define X(id, text, kind, size) \
static void op_##id(struct st *s) { \
    __asm__ volatile("push %[f]\n\tpopfq\n\t" text "\n\tpushfq\n\tpop %[f]" \
        : "+a"(s->a), "+b"(s->b), "+c"(s->c), "+d"(s->d), [f] "+r"(s->f) \
        :: "cc", "memory"); \
}
OPS
#undef X

struct op { const char *id, *text; enum kind kind; int size; void (*fn)(struct st *); };
#define X(id, text, kind, size) { #id, text, kind, size, op_##id },
static struct op ops[] = { OPS };
#undef X
#define X(id, text, kind, size) { #id, text, kind, size, NULL },
static struct op bcdops[] = { BCDOPS };
#undef X

static uint32_t rng = 0x2545f491;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static const uint32_t edge[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000,
    0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678, 0x89abcdef, 0xfffffffe,
    0x00008001, 0x7f7f7f7f, 0x0f0f0f0f, 0x80808080 };
static uint32_t val(void) { uint32_t r = rnd(); return (r & 1) ? edge[(r >> 1) % 20] : rnd(); }
static const uint32_t counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63 };
static const uint32_t flagsets[] = { 0, CF, ALL, CF | AF, AF, ZF | PF };

static int parity(uint32_t v) { v &= 0xff; v ^= v >> 4; v ^= v >> 2; v ^= v >> 1; return !(v & 1); }
static uint32_t szp8(uint8_t v) { return (v & 0x80 ? SF : 0) | (v ? 0 : ZF) | (parity(v) ? PF : 0); }

/* SDM vol.2 pseudocode.  Returns the defined-flag mask. */
static uint32_t bcd(const char *id, struct st *s)
{
    uint8_t al = s->a, ah = s->a >> 8;
    uint32_t f = s->f, cf = f & CF, af = f & AF, out;
    uint32_t ax = s->a & 0xffff;
    if (!strcmp(id, "daa") || !strcmp(id, "das")) {
        int sub = id[2] == 's';
        uint8_t old_al = al; uint32_t ncf = 0, naf = 0;
        if ((al & 0xf) > 9 || af) {
            ncf = cf || (sub ? al < 6 : al > 0xf9);
            al = sub ? al - 6 : al + 6;
            naf = AF;
        }
        if (old_al > 0x99 || cf) { al = sub ? al - 0x60 : al + 0x60; ncf = 1; }
        else if (!sub) ncf = 0;     /* DAA: ELSE CF := 0; DAS keeps the first-step CF */
        s->a = (s->a & ~0xffu) | al;
        s->f = (f & ~ALL) | szp8(al) | naf | (ncf ? CF : 0);
        return ALL & ~OF;
    }
    if (!strcmp(id, "aaa") || !strcmp(id, "aas")) {
        if ((al & 0xf) > 9 || af) {
            ax = id[2] == 'a' ? ax + 0x106 : ((ax - 6) & 0xff) | (((ah - 1 - (al < 6)) & 0xff) << 8);
            out = AF | CF;
        } else out = 0;
        ax = (ax & 0xff0f);
        s->a = (s->a & ~0xffffu) | (ax & 0xffff);
        s->f = (f & ~ALL) | out;
        return AF | CF;
    }
    int imm = !strcmp(id, "aam16") ? 16 : !strcmp(id, "aad7") ? 7 : 10;
    if (!strncmp(id, "aam", 3)) { ah = al / imm; al = al % imm; }
    else { al = (uint8_t)(al + ah * imm); ah = 0; }
    s->a = (s->a & ~0xffffu) | (ah << 8) | al;
    s->f = (f & ~ALL) | szp8(al);
    return SF | ZF | PF;
}

/* flags defined by the SDM for this op and input; *regmask: regs to compare */
static uint32_t flag_mask(const struct op *o, const struct st *in, int *regmask)
{
    uint32_t c5 = in->c & 31, cnt = c5;
    *regmask = 15;
    if (strstr(o->text, ", 1")) cnt = 1;
    else if (strstr(o->text, ", 7") && o->kind == K_BT) cnt = 7;
    switch (o->kind) {
    case K_ARITH: case K_INCDEC: case K_NOFLAGS: return ALL;
    case K_LOGIC: return ALL & ~AF;
    case K_SHIFT:
        if (cnt == 0) return ALL;
        return ALL & ~AF & (cnt == 1 ? ALL : ~OF) & (cnt >= (uint32_t)o->size ? ~CF : ALL);
    case K_ROT:
        if (cnt == 0) return ALL;
        return cnt == 1 ? ALL : ALL & ~OF;
    case K_SHXD:
        if (cnt == 0) return ALL;
        return ALL & ~AF & (cnt == 1 ? ALL : ~OF);
    case K_MUL: return OF | CF;
    case K_DIV: return 0;
    case K_BT: return CF;
    case K_BSX: {
        uint32_t src = o->size == 16 ? (in->b & 0xffff) : in->b;
        if (!src) *regmask = 14;    /* destination undefined for a zero source */
        return ZF;
    }
    default: return 0;
    }
}

static int div_ok(const struct op *o, const struct st *s)
{
    if (o->kind != K_DIV) return 1;
    int sgn = o->text[0] == 'i';
    if (o->size == 32) {
        if (!s->b) return 0;
        if (!sgn) return s->d < s->b;
        __int128 n = (int64_t)(((uint64_t)s->d << 32) | s->a), q = n / (int32_t)s->b;
        return q >= INT32_MIN && q <= INT32_MAX;
    }
    if (o->size == 16) {
        uint16_t bx = s->b;
        if (!bx) return 0;
        int32_t n = (int32_t)(((uint32_t)(s->d & 0xffff) << 16) | (s->a & 0xffff));
        if (!sgn) return (s->d & 0xffff) < bx;
        int32_t q = n / (int16_t)bx;
        return q >= -32768 && q <= 32767;
    }
    uint8_t bl = s->b;
    if (!bl) return 0;
    if (!sgn) return ((s->a >> 8) & 0xff) < bl;
    int q = (int16_t)s->a / (int8_t)bl;
    return q >= -128 && q <= 127;
}

#define NVEC 12
static int nvec_total;

static void emit(int idx, const struct op *o)
{
    for (int v = 0; v < NVEC; v++) {
        struct st in, out;
        int regmask;
        uint32_t mask;
        do {
            in.a = val(); in.b = val(); in.d = val();
            in.c = (o->kind == K_SHIFT || o->kind == K_ROT || o->kind == K_SHXD || !strcmp(o->id, "bts32"))
                   ? counts[rnd() % 14] | (rnd() & 0xffffff00 & -(rnd() & 1)) : val();
            if (o->kind == K_DIV && (rnd() & 1)) { in.d = rnd() % 7; in.b |= 0x100; }
            if (o->kind == K_BCD) in.a = (in.a & ~0xffffu) | (rnd() & 0xffff);
            in.f = flagsets[v % 6];
        } while (!div_ok(o, &in));
        out = in;
        out.f = in.f | 0x202;
        if (o->kind == K_BCD) mask = bcd(o->id, &out), regmask = 15;
        else { o->fn(&out); mask = flag_mask(o, &in, &regmask); }
        printf("        dd %d, 0x%03x, %d, 0x%08x, 0x%08x, 0x%08x, 0x%08x, 0x%03x, "
               "0x%08x, 0x%08x, 0x%08x, 0x%08x, 0x%03x\n", idx, mask, regmask,
               in.a, in.b, in.c, in.d, (uint32_t)in.f,
               out.a, out.b, out.c, out.d, (uint32_t)(out.f & ALL));
        nvec_total++;
    }
}

int main(void)
{
    int nops = sizeof ops / sizeof ops[0], nb = sizeof bcdops / sizeof bcdops[0];
    printf("; GENERATED by tests/cpu/gen/alu-gen.c - do not edit.\n"
           "; Expected values: native execution on the generating host for all\n"
           "; ops except BCD (SDM pseudocode); undefined flags masked per SDM.\n"
           "; vector: op, flag mask, regmask(1=eax 2=ebx 4=ecx 8=edx), in eax ebx ecx edx eflags,\n"
           ";         expected eax ebx ecx edx eflags\n");
    printf("ALU_NOPS equ %d\nALU_NVEC equ %d\n", nops + nb, NVEC);
    for (int i = 0; i < nops + nb; i++) {
        const struct op *o = i < nops ? &ops[i] : &bcdops[i - nops];
        printf("alu_op_%d: %s\n        ret\n", i, o->text);
    }
    printf("alu_op_table:\n");
    for (int i = 0; i < nops + nb; i++) printf("        dd alu_op_%d, alu_name_%d\n", i, i);
    for (int i = 0; i < nops + nb; i++) {
        const struct op *o = i < nops ? &ops[i] : &bcdops[i - nops];
        printf("alu_name_%d: db \"%s\", 0\n", i, o->text);
    }
    printf("        align 4\nalu_vectors:\n");
    for (int i = 0; i < nops + nb; i++) emit(i, i < nops ? &ops[i] : &bcdops[i - nops]);
    return 0;
}
