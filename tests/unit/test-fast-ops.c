/*
 * Tier 0's specialised handlers (target/x86/ops_fast.c) and inline memory
 * fast path (ops.h mem_ld/mem_st) against the generic handlers and the
 * softmmu's reference path, differentially: random instructions of every
 * specialised form (ALU without carry, MOV, TEST; 32 and 64 bits; register
 * and memory operands with random ModRM/SIB/displacement, FS/GS overrides)
 * run from the same random CPU state and memory twice -- the generic
 * handler with a cold TLB (its first access takes mmu.c's slow path) and
 * the specialised one with a warm TLB (the inline path) -- and every
 * register, the lazy-flag record, the flags it yields, any exception and
 * the memory must agree.  cc_test's fast paths (Jcc, SETcc, CMOVcc) are
 * checked against the flags cc_compute_all computes.
 */
#include <glib.h>
#include <setjmp.h>
#include <string.h>

#include "hw/core/memory.h"
#include "target/x86/cpu.h"
#include "tests/unit/x86-flat-segs.h"
#include "target/x86/decode.h"
#include "target/x86/flags.h"
#include "target/x86/helper.h"
#include "target/x86/ops.h"

#define RAM_SIZE (4u << 20)
#define DATA_BASE 0x100000u      /* random data, 1 MiB; operands point here */
#define DATA_SIZE 0x100000u

static MemoryRegion ram;
static X86CPU *cpu;
static GRand *rng;

typedef struct Code {
    uint8_t b[16];
    size_t n;
} Code;

static uint8_t fetch(void *opaque, uint64_t la)
{
    const Code *c = opaque;
    return la < c->n ? c->b[la] : 0x90;
}

static void wq(uint64_t a, uint64_t v)
{
    memcpy((uint8_t *)ram.ram + a, &v, 8);
}

/* flat 32-bit protected mode, or 64-bit mode with the first 4 MiB
 * identity-mapped by 2 MiB pages */
static void setup(bool long_mode)
{
    if (!cpu) {
        memory_region_init_ram(&ram, "ram", RAM_SIZE);
        memory_region_add_subregion(address_space_memory.root, 0, &ram);
        char *err = NULL;
        cpu = x86_cpu_new("max", &err);
        g_assert_null(err);
    }
    CPUX86State *env = cpu;
    x86_cpu_reset(env);
    env->cr[0] = CR0_PE | CR0_ET | CR0_NE;
    x86_test_flat_segs(env);
    if (long_mode) {
        wq(0x1000, 0x2000 | 3);
        wq(0x2000, 0x3000 | 3);
        wq(0x3000, 0x000000 | 0x83);
        wq(0x3008, 0x200000 | 0x83);
        env->cr[3] = 0x1000;
        env->cr[4] = CR4_PAE;
        env->efer = EFER_LME | EFER_LMA;
        env->cr[0] |= CR0_PG;
        env->segs[R_CS].flags = (env->segs[R_CS].flags & ~DESC_B_MASK) | DESC_L_MASK;
    }
    cpu_update_hflags(env);
    tlb_flush(env);
    g_assert_cmpint(!!(env->hflags & HF_CS64), ==, long_mode);
}

static uint64_t rnd64(void)
{
    return ((uint64_t)g_rand_int(rng) << 32) | g_rand_int(rng);
}

/* a register value: an address inside the data area (so memory operands
 * mostly land in RAM), a small number, or anything */
static uint64_t rnd_reg(void)
{
    switch (g_rand_int_range(rng, 0, 4)) {
    case 0: case 1: return DATA_BASE + g_rand_int_range(rng, 0, DATA_SIZE / 2);
    case 2: return g_rand_int_range(rng, 0, 4) ? (uint64_t)g_rand_int_range(rng, -3, 4) : 1ull << 63;
    default: return g_rand_int_range(rng, 0, 2) ? rnd64() : (uint32_t)rnd64();
    }
}

/* one random instruction of a specialised family */
static void gen_insn(Code *c, bool long_mode)
{
    static const uint8_t alu_ops[] = { 0, 1, 4, 5, 6, 7 };
    size_t n = 0;
    switch (g_rand_int_range(rng, 0, 4)) {
    case 0: c->b[n++] = 0x64; break;      /* FS */
    case 1: c->b[n++] = 0x65; break;      /* GS */
    default: break;
    }
    if (long_mode) {
        uint8_t rex = 0x40 | g_rand_int_range(rng, 0, 16);
        if (g_rand_int_range(rng, 0, 4)) {
            c->b[n++] = rex;
        }
    }
    int kind = g_rand_int_range(rng, 0, 8);
    uint8_t modrm = g_rand_int_range(rng, 0, 256);
    int imm = 0;
    switch (kind) {
    case 0: case 1:      /* ALU Ev,Gv / Gv,Ev */
        c->b[n++] = (alu_ops[g_rand_int_range(rng, 0, 6)] << 3) | (kind ? 3 : 1);
        break;
    case 2:              /* ALU Ev,Iz */
    case 3:              /* ALU Ev,Ib */
        c->b[n++] = kind == 2 ? 0x81 : 0x83;
        modrm = (modrm & ~0x38) | (alu_ops[g_rand_int_range(rng, 0, 6)] << 3);
        imm = kind == 2 ? 4 : 1;
        break;
    case 4: c->b[n++] = 0x89; break;
    case 5: c->b[n++] = 0x8b; break;
    default: c->b[n++] = 0x85; break;
    }
    c->b[n++] = modrm;
    int mod = modrm >> 6, rm = modrm & 7;
    if (mod != 3 && rm == 4) {
        c->b[n++] = g_rand_int_range(rng, 0, 256);      /* SIB */
    }
    int disp = mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ? 4 : 0;
    if (mod == 0 && rm == 4 && (c->b[n - 1] & 7) == 5) {
        disp = 4;
    }
    for (int i = 0; i < disp; i++) {
        /* small displacements, mostly: stay near the data area */
        c->b[n++] = i == 0 ? g_rand_int_range(rng, 0, 256) : (g_rand_int_range(rng, 0, 8) ? 0 : 0xff);
    }
    for (int i = 0; i < imm; i++) {
        c->b[n++] = g_rand_int_range(rng, 0, 256);
    }
    c->n = n;
}

typedef struct State {
    uint64_t regs[16];
    uint64_t eip;
    int cc_op;
    uint64_t cc_dst, cc_src, cc_src2;
    uint32_t flags;
    int exc, err;
    uint64_t cr2;
} State;

static void capture(CPUX86State *env, State *s, int exc)
{
    memcpy(s->regs, env->regs, sizeof(s->regs));
    s->eip = env->eip;
    s->cc_op = env->cc_op;
    s->cc_dst = env->cc_dst;
    s->cc_src = env->cc_src;
    s->cc_src2 = env->cc_src2;
    s->flags = cc_compute_all(env);
    s->exc = exc;
    s->err = exc >= 0 ? env->error_code : 0;
    s->cr2 = env->cr2;
}

static int run(CPUX86State *env, const DecodedInsn *d)
{
    env->exception_index = -1;
    if (sigsetjmp(env->jmp_env, 0) == 0) {
        d->handler(env, d);
        return -1;
    }
    return env->exception_index;
}

static void check_mode(bool long_mode, int iters)
{
    setup(long_mode);
    CPUX86State *env = cpu;
    uint8_t *data = (uint8_t *)ram.ram + DATA_BASE;
    int specialised = 0, faults = 0, memforms = 0;

    for (int it = 0; it < iters; it++) {
        Code c;
        gen_insn(&c, long_mode);
        DecodedInsn d;
        int len = x86_decode_mode(&d, 0, long_mode ? 64 : 32, fetch, &c);
        if (len < 0 || (d.flags & DF_ATOMIC)) {
            continue;
        }
        DecodedInsn fast = d;
        if (!x86_specialize(&fast)) {
            /* only 16-bit forms stay generic */
            g_assert_cmpint(d.ot, <, 2);
            continue;
        }
        specialised++;
        memforms += d.mod != 3;

        /* the state both runs start from */
        uint64_t regs[16];
        for (int i = 0; i < 16; i++) {
            regs[i] = long_mode || i < 8 ? rnd_reg() : 0;
            if (!long_mode) {
                regs[i] = (uint32_t)regs[i];
            }
        }
        uint64_t fsbase = g_rand_int_range(rng, 0, 2) ? 0 : g_rand_int_range(rng, 0, 0x1000);
        if (g_rand_int_range(rng, 0, 16) == 0) {
            memset(data, 0, 64);
        }
        for (uint32_t i = 0; i < 64; i++) {
            /* fresh random bytes where operands mostly land */
            uint32_t off = g_rand_int_range(rng, 0, DATA_SIZE / 8) * 8;
            uint64_t v = rnd64();
            memcpy(data + off, &v, 8);
        }
        uint32_t eflags0 = 0x2 | (g_rand_int(rng) & 0x8d5);

        /* the bytes the operand covers (linear = physical below 4 MiB in
         * both set-ups), saved so that both runs start from them */
        memcpy(env->regs, regs, sizeof(regs));
        env->eip = 0x1000 + d.len;
        uint64_t la = RAM_SIZE;
        if (d.mod != 3) {
            la = insn_ea(env, &d) + ((d.seg == R_FS || d.seg == R_GS) && long_mode ? fsbase : 0);
            if (!long_mode) {
                la = (uint32_t)la;
            }
        }
        bool in_ram = la <= RAM_SIZE - 16;
        uint8_t orig[16] = { 0 }, after_a[16] = { 0 };
        if (in_ram) {
            memcpy(orig, (uint8_t *)ram.ram + la, 16);
        }

        State a, b;
        for (int pass = 0; pass < 2; pass++) {
            memcpy(env->regs, regs, sizeof(regs));
            env->segs[R_FS].base = env->segs[R_GS].base = long_mode ? fsbase : 0;
            env->eip = 0x1000 + d.len;
            env->insn_start_eip = 0x1000;
            env->insn_rex = d.rex;
            env->cc_op = CC_OP_EFLAGS;
            env->eflags = eflags0;
            env->cc_dst = env->cc_src = env->cc_src2 = 0;
            env->cr2 = 0;
            if (pass == 0) {
                tlb_flush(env);      /* generic: the first access misses */
                capture(env, &a, run(env, &d));
                if (in_ram) {
                    memcpy(after_a, (uint8_t *)ram.ram + la, 16);
                    memcpy((uint8_t *)ram.ram + la, orig, 16);
                }
            } else {
                capture(env, &b, run(env, &fast));
            }
        }
        if (a.exc >= 0) {
            faults++;
        }
        if (memcmp(a.regs, b.regs, sizeof(a.regs)) || a.eip != b.eip || a.exc != b.exc ||
            a.err != b.err || a.cr2 != b.cr2 || a.cc_op != b.cc_op || a.cc_dst != b.cc_dst ||
            a.cc_src != b.cc_src || a.cc_src2 != b.cc_src2 || a.flags != b.flags ||
            (in_ram && memcmp(after_a, (uint8_t *)ram.ram + la, 16))) {
            GString *hex = g_string_new(NULL);
            for (size_t i = 0; i < c.n; i++) {
                g_string_append_printf(hex, "%02x ", c.b[i]);
            }
            g_test_message("mismatch (%s mode) on %s: exc %d/%d cc_op %d/%d dst %llx/%llx",
                           long_mode ? "64-bit" : "32-bit", hex->str, a.exc, b.exc, a.cc_op,
                           b.cc_op, (unsigned long long)a.cc_dst, (unsigned long long)b.cc_dst);
            for (int i = 0; i < 16; i++) {
                if (a.regs[i] != b.regs[i]) {
                    g_test_message("  r%d %llx / %llx", i, (unsigned long long)a.regs[i],
                                   (unsigned long long)b.regs[i]);
                }
            }
            g_string_free(hex, true);
            g_test_fail();
            return;
        }
    }
    g_test_message("%s mode: %d specialised instructions compared (%d with a memory "
                   "operand, %d faulting)", long_mode ? "64-bit" : "32-bit", specialised,
                   memforms, faults);
    /* the generator must reach what it is meant to test */
    g_assert_cmpint(specialised, >, iters / 2);
    g_assert_cmpint(memforms, >, specialised / 3);
    g_assert_cmpint(faults, >, 0);
    g_assert_cmpint(faults, <, specialised / 2);
}

static void test_fast_32(void)
{
    check_mode(false, 30000);
}

static void test_fast_64(void)
{
    check_mode(true, 30000);
}

/* the specialised set: what it covers and what it leaves generic */
static void test_specialize_choice(void)
{
    static const struct {
        uint8_t code[8];
        size_t n;
        bool mode64, fast;
    } cases[] = {
        { { 0x01, 0xd8 }, 2, false, true },             /* add eax, ebx */
        { { 0x48, 0x29, 0x03 }, 3, true, true },        /* sub [rbx], rax */
        { { 0x11, 0xd8 }, 2, false, false },            /* adc: reads CF */
        { { 0x66, 0x01, 0xd8 }, 3, false, false },      /* 16 bits */
        { { 0x00, 0xd8 }, 2, false, false },            /* 8 bits */
        { { 0xf0, 0x01, 0x03 }, 3, false, false },      /* lock add: exec_atomic */
        { { 0x83, 0x38, 0x01 }, 3, false, true },       /* cmp dword [eax], 1 */
        { { 0x8b, 0x44, 0x24, 0x08 }, 4, false, true }, /* mov eax, [esp+8] */
        { { 0x85, 0xc0 }, 2, false, true },             /* test eax, eax */
        { { 0x87, 0x03 }, 2, false, false },            /* xchg with memory */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Code c;
        memcpy(c.b, cases[i].code, cases[i].n);
        c.n = cases[i].n;
        DecodedInsn d;
        g_assert_cmpint(x86_decode_mode(&d, 0, cases[i].mode64 ? 64 : 32, fetch, &c), ==,
                        (int)cases[i].n);
        InsnHandler generic = d.handler;
        g_assert_cmpint(x86_specialize(&d), ==, cases[i].fast);
        g_assert_true((d.handler != generic) == cases[i].fast);
    }
}

/* cc_test's fast paths against the flags cc_compute_all yields, for every
 * lazy-flag op, size and condition */
static void test_conditions(void)
{
    setup(true);
    CPUX86State *env = cpu;
    int checked = 0;
    for (int it = 0; it < 20000; it++) {
        int op = g_rand_int_range(rng, CC_OP_EFLAGS + 1, CC_OP_NB);
        int sz = (op - 1) & 3;
        uint64_t m = sz == 3 ? ~0ull : (1ull << (8 << sz)) - 1;
        /* operands as the producers leave them: masked to the size;
         * small values and equal operands often, so that ZF, CF and the
         * signed conditions are each reached both ways */
        uint64_t dst = g_rand_int_range(rng, 0, 4) ? rnd64() & m : (uint64_t)g_rand_int_range(rng, 0, 3);
        uint64_t src = g_rand_int_range(rng, 0, 4) ? rnd64() & m : dst;
        env->cc_op = op;
        env->cc_dst = dst;
        env->cc_src = src;
        env->cc_src2 = g_rand_int_range(rng, 0, 2);
        env->eflags = 0x2;
        uint32_t f = cc_compute_all(env);
        bool o = f & CC_O, c = f & CC_C, z = f & CC_Z, sf = f & CC_S, p = f & CC_P;
        const bool want[8] = { o, c, z, c || z, sf, p, sf != o, z || sf != o };
        for (int cond = 0; cond < 16; cond++) {
            bool w = want[cond >> 1] ^ (cond & 1);
            if (cc_test(env, cond) != w) {
                g_test_message("cc_op %d dst %llx src %llx cond %d: cc_test %d, flags %#x say %d",
                               op, (unsigned long long)dst, (unsigned long long)src, cond, !w, f, w);
                g_test_fail();
                return;
            }
            checked++;
        }
    }
    g_test_message("%d conditions checked", checked);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    rng = g_rand_new_with_seed(0x5eed1234);
    g_test_add_func("/fast-ops/choice", test_specialize_choice);
    g_test_add_func("/fast-ops/conditions", test_conditions);
    g_test_add_func("/fast-ops/diff-32", test_fast_32);
    g_test_add_func("/fast-ops/diff-64", test_fast_64);
    return g_test_run();
}
