/*
 * Tier 1 (accel/tcg/jit.c) against tier 0, differentially: random blocks
 * of instructions -- the forms tier 1 emits inline (ALU, MOV, TEST, LEA,
 * MOV imm, MOVZX, MOVSXD, PUSH/POP, a Jcc after a compare, SETcc, 8-bit
 * TEST/CMP with an immediate, NOPs, a block that starts by reading the
 * flags record it was entered with) mixed with forms it calls handlers
 * for -- run from the same random CPU state and memory
 * by x86_cpu_exec with tier 0 and with every block translated on first
 * use, in 64-bit and in 32-bit protected mode (paging maps only the code
 * and the data area, so nothing else can be written).  The whole
 * architectural state (JitDiffState of tests/unit/x86-jit-diff.h:
 * registers, EIP, the flags, the lazy-flag record, segments, control and
 * debug registers, x87/SSE, MSRs, the retired-instruction count) and the
 * data memory must agree; the set-up and the comparison are shared with
 * tests/fuzz/fuzz-jit.c.  Random register values point into the data area
 * often enough that memory operands hit RAM, miss it, cross pages and
 * fault; a fault ends the run (no IDT: the triple fault stops the CPU)
 * in the same state for both tiers.  The code cache is 1 MiB, so it is
 * dropped and reused many times along the way.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "accel/tcg/jit.h"
#include "accel/tcg/tb-cache.h"
#include "tests/unit/x86-jit-diff.h"
#include "util/log.h"

#define RAM_SIZE (4u << 20)
#define CODE_BASE JD_CODE_BASE
#define CODE_HIGH JD_CODE_HIGH
#define DATA_BASE JD_DATA_BASE
#define DATA_SIZE JD_DATA_SIZE  /* compared after each run */
#define LOOPS 400

static X86CPU *cpu;
static GRand *rng;

static uint8_t *mem(uint64_t a)
{
    return jd_mem(a);
}

static void setup(bool long_mode)
{
    cpu = jd_init(RAM_SIZE);
    jd_setup(cpu, long_mode ? JD_MODE_64 : JD_MODE_32);
}

static uint64_t rnd64(void)
{
    return ((uint64_t)g_rand_int(rng) << 32) | g_rand_int(rng);
}

static int rnd(int lo, int hi)
{
    return g_rand_int_range(rng, lo, hi);
}

static uint64_t rnd_reg(void)
{
    return jd_rnd_reg(rng);
}

typedef struct Code {
    uint8_t b[4096];
    size_t n;
    int jcc_fix[64];            /* offsets of rel8 Jcc displacements to aim at the end */
    int njcc;
} Code;

static void put(Code *c, uint8_t b)
{
    c->b[c->n++] = b;
}

/* ModRM (+SIB, displacement) for an operand, register or memory */
static void modrm(Code *c, int reg, bool allow_mem)
{
    uint8_t m = rnd(0, 256);
    if (!allow_mem) {
        m |= 0xc0;
    }
    m = (m & ~0x38) | ((reg & 7) << 3);
    put(c, m);
    int mod = m >> 6, rm = m & 7;
    if (mod == 3) {
        return;
    }
    if (rm == 4) {
        put(c, rnd(0, 256));
    }
    int disp = mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ? 4 : 0;
    if (mod == 0 && rm == 4 && (c->b[c->n - 1] & 7) == 5) {
        disp = 4;
    }
    for (int i = 0; i < disp; i++) {
        put(c, i == 0 ? rnd(0, 256) : (rnd(0, 8) ? 0 : 0xff));
    }
}

static void gen_insn(Code *c, bool long_mode);

/* CALL to a subroutine of a few random instructions and RET, jumped over:
 *   call L; jmp over; L: ...; ret; over: */
static void gen_call(Code *c, bool long_mode)
{
    put(c, 0xe8);
    put(c, 2); put(c, 0); put(c, 0); put(c, 0);
    put(c, 0xeb);
    size_t rel = c->n;
    put(c, 0);
    int n = rnd(0, 4);
    for (int i = 0; i < n; i++) {
        gen_insn(c, long_mode);
    }
    if (rnd(0, 4) == 0) {
        put(c, 0xc2); put(c, 8); put(c, 0);     /* ret 8 */
    } else {
        put(c, 0xc3);
    }
    c->b[rel] = c->n - (rel + 1) <= 127 ? c->n - (rel + 1) : 0;
}

static int depth;

/* an instruction that reads the lazy flags before anything writes them:
 * SETcc r8, CMOVcc or a Jcc to the end of the block */
static void gen_cc_reader(Code *c)
{
    switch (rnd(0, 3)) {
    case 0:
        put(c, 0x0f); put(c, 0x90 | rnd(0, 16)); modrm(c, 0, false);
        break;
    case 1:
        put(c, 0x0f); put(c, 0x40 | rnd(0, 16)); modrm(c, rnd(0, 8), false);
        break;
    default:
        put(c, 0x70 | rnd(0, 16));
        g_assert(c->njcc < 64);
        c->jcc_fix[c->njcc++] = c->n;
        put(c, 0);
        break;
    }
}

static void gen_insn(Code *c, bool long_mode)
{
    static const uint8_t alu_ops[] = { 0, 1, 4, 5, 6, 7 };
    if (depth == 0 && rnd(0, 24) == 0) {
        depth++;
        gen_call(c, long_mode);
        depth--;
        return;
    }
    if (long_mode && rnd(0, 40) == 0) {
        /* [LOCK] CMPXCHG r/m, r and XCHG r/m, r (32/64-bit, a memory
         * operand mostly) */
        bool xchg = rnd(0, 2);
        if (rnd(0, 2) && !xchg) {
            put(c, 0xf0);
        }
        put(c, 0x40 | rnd(0, 16));
        if (xchg) {
            put(c, 0x87);
        } else {
            put(c, 0x0f);
            put(c, 0xb1);
        }
        modrm(c, rnd(0, 8), rnd(0, 5) != 0);
        return;
    }
    if (long_mode && rnd(0, 14) == 0) {
        /* SSE: moves (scalar too), shuffles and integer/bitwise operations tier 1 emits inline,
         * and others it does not, on registers and memory (aligned or not) */
        static const uint8_t ops66[] = { 0x6f, 0x7f, 0x28, 0x29, 0x10, 0x11, 0x54, 0x57, 0x14,
                                         0x60, 0x62, 0x67, 0x6c, 0x74, 0x76, 0xd4, 0xd2, 0xda,
                                         0xdb, 0xdf, 0xe0, 0xe2, 0xef, 0xf2, 0xf4, 0xfa, 0xfe,
                                         0xd7, 0x58, 0x70, 0x6e, 0x7e, 0xd7, 0xd6, 0x71, 0x72,
                                         0x73 };
        if (rnd(0, 3) == 0) {
            /* scalar floating point: ADD MUL SUB MIN DIV MAX SQRT SS/SD,
             * CVTSI2SS/SD, (U)COMISS/SD */
            static const uint8_t fp[] = { 0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f, 0x51, 0x2a, 0x2e, 0x2f };
            uint8_t op = fp[rnd(0, sizeof(fp))];
            if (op == 0x2e || op == 0x2f) {
                if (rnd(0, 2)) {
                    put(c, 0x66);
                }
            } else {
                put(c, rnd(0, 2) ? 0xf2 : 0xf3);
            }
            if (rnd(0, 2)) {
                put(c, 0x40 | rnd(0, 16));
            }
            put(c, 0x0f);
            put(c, op);
            modrm(c, rnd(0, 8), rnd(0, 3) != 0);
            return;
        }
        uint8_t op = ops66[rnd(0, sizeof(ops66))];
        int p = rnd(0, 4);
        if (p == 2 && (op == 0x6f || op == 0x7f || op == 0x10 || op == 0x11 || op == 0x70 ||
                       op == 0x7e)) {
            put(c, 0xf3);           /* MOVDQU, MOVSS, PSHUFHW, MOVQ */
        } else if (p == 3 && (op == 0x10 || op == 0x11 || op == 0x70)) {
            put(c, 0xf2);           /* MOVSD, PSHUFLW */
        } else if (p == 1 || op >= 0x60) {
            put(c, 0x66);
        }
        if (rnd(0, 2)) {
            put(c, 0x40 | rnd(0, 16));
        }
        put(c, 0x0f);
        put(c, op);
        modrm(c, rnd(0, 8), op != 0xd7 && rnd(0, 3) != 0);
        if (op >= 0x70 && op <= 0x73) {
            put(c, rnd(0, 256));        /* PSHUFD's immediate, the shifts' count */
        }
        return;
    }
    int pfx = rnd(0, 12);
    if (pfx == 0) {
        put(c, 0x64);
    } else if (pfx == 1) {
        put(c, 0x65);
    }
    bool rexw = false;
    bool o16 = rnd(0, 10) == 0;
    if (o16) {
        put(c, 0x66);           /* 16-bit operands */
    }
    if (long_mode && rnd(0, 4)) {
        uint8_t rex = 0x40 | rnd(0, 16);
        rexw = rex & 8;
        put(c, rex);
    }
    int kind = rnd(0, 18);
    switch (kind) {
    case 17:                /* forms tier 1 now emits instead of calling their handler */
        switch (rnd(0, 10)) {
        case 9:             /* 8-bit ALU Eb,Gb / Eb,Ib (16-bit with 66h), on memory mostly */
            if (rnd(0, 2)) {
                put(c, alu_ops[rnd(0, 6)] << 3);
                modrm(c, rnd(0, 8), rnd(0, 4) != 0);
            } else {
                put(c, 0x80); modrm(c, alu_ops[rnd(0, 6)], rnd(0, 4) != 0); put(c, rnd(0, 256));
            }
            break;
        case 8:             /* BT/BTS/BTR/BTC r/m, imm8 and r/m, r */
            put(c, 0x0f);
            if (rnd(0, 2)) {
                put(c, 0xba); modrm(c, 4 + rnd(0, 4), rnd(0, 3) == 0); put(c, rnd(0, 256));
            } else {
                put(c, 0xa3 | rnd(0, 4) << 3); modrm(c, rnd(0, 8), rnd(0, 6) == 0);
            }
            break;
        case 7: {           /* SHLD/SHRD r/m, r, imm8/CL (counts 0, 1 and any) */
            uint8_t op = (rnd(0, 2) ? 0xac : 0xa4) | rnd(0, 2);
            put(c, 0x0f); put(c, op); modrm(c, rnd(0, 8), rnd(0, 4) == 0);
            if (!(op & 1)) {
                put(c, (const uint8_t[]){ 0, 1, 0x20, 0x3f, (uint8_t)rnd(0, 256) }[rnd(0, 5)]);
            }
            break;
        }
        case 6:             /* BSF/BSR r, r/m (a zero source now and then) */
            if (rnd(0, 3) == 0) {
                put(c, 0x31); put(c, 0xc0 | rnd(0, 8) * 9);     /* XOR r32, itself */
                if (long_mode && rnd(0, 2)) {
                    put(c, 0x40 | rnd(0, 16));
                }
            }
            put(c, 0x0f); put(c, 0xbc | rnd(0, 2)); modrm(c, rnd(0, 8), true);
            break;
        case 5:             /* CBW/CWDE/CDQE; MOV r8, imm8 */
            if (rnd(0, 2)) {
                put(c, 0x98);
            } else {
                put(c, 0xb0 | rnd(0, 8)); put(c, rnd(0, 256));
            }
            break;
        case 0:             /* SETcc r/m8: AH..BH without REX, SPL..DIL with */
            put(c, 0x0f); put(c, 0x90 | rnd(0, 16)); modrm(c, 0, rnd(0, 4) == 0);
            break;
        case 1:             /* TEST r/m8, imm8 (F6h /0 and its alias /1) */
            put(c, 0xf6); modrm(c, rnd(0, 2), true); put(c, rnd(0, 256));
            break;
        case 2:             /* TEST AL, imm8 / CMP, ADD, OR, AND, SUB, XOR AL, imm8 */
            put(c, (const uint8_t[]){ 0xa8, 0x3c, 0x04, 0x0c, 0x24, 0x2c, 0x34 }[rnd(0, 7)]);
            put(c, rnd(0, 256));
            break;
        case 3:             /* NOP, 0F 1Fh /0 and the hint space with memory operands */
            if (rnd(0, 2)) {
                put(c, 0x90);
            } else {
                put(c, 0x0f); put(c, rnd(0, 2) ? 0x1f : 0x18 | rnd(0, 8)); modrm(c, 0, true);
            }
            break;
        default:            /* a condition read at once: SETcc, CMOVcc, Jcc */
            gen_cc_reader(c);
            break;
        }
        break;
    case 0: case 1:         /* ALU Ev,Gv / Gv,Ev */
        put(c, (alu_ops[rnd(0, 6)] << 3) | (kind ? 3 : 1));
        modrm(c, rnd(0, 8), true);
        break;
    case 2: case 3:         /* ALU Ev,Iz / Ev,Ib */
        put(c, kind == 2 ? 0x81 : 0x83);
        modrm(c, alu_ops[rnd(0, 6)], true);
        for (int i = 0; i < (kind == 2 ? (o16 ? 2 : 4) : 1); i++) {
            put(c, rnd(0, 256));
        }
        break;
    case 4: put(c, rnd(0, 3) ? 0x89 : 0x88); modrm(c, rnd(0, 8), true); break;
    case 5: put(c, rnd(0, 3) ? 0x8b : 0x8a); modrm(c, rnd(0, 8), true); break;
    case 6: put(c, 0x85); modrm(c, rnd(0, 8), true); break;
    case 7: put(c, 0x8d); modrm(c, rnd(0, 8), true); break;      /* LEA (mod 3: #UD) */
    case 8:                 /* MOV r, imm / MOV r/m, imm */
        if (rnd(0, 2)) {
            put(c, 0xb8 | rnd(0, 8));
            for (int i = 0; i < (o16 ? 2 : rexw ? 8 : 4); i++) {
                put(c, rnd(0, 256));
            }
        } else {
            bool b = rnd(0, 3) == 0;
            put(c, b ? 0xc6 : 0xc7);
            modrm(c, 0, true);
            for (int i = 0; i < (b ? 1 : o16 ? 2 : 4); i++) {
                put(c, rnd(0, 256));
            }
        }
        break;
    case 9:                 /* MOVZX / MOVSX */
        put(c, 0x0f);
        put(c, (rnd(0, 2) ? 0xb6 : 0xbe) | rnd(0, 2));
        modrm(c, rnd(0, 8), true);
        break;
    case 10:                /* MOVSXD (64-bit) / ARPL (32-bit: not in this set) */
        if (long_mode) {
            put(c, 0x63);
            modrm(c, rnd(0, 8), true);
        } else {
            put(c, 0x90);
        }
        break;
    case 11:                /* PUSH / POP r */
        put(c, (rnd(0, 2) ? 0x50 : 0x58) | rnd(0, 8));
        break;
    case 12:                /* generic: INC/DEC, shifts, IMUL, 8/16-bit ALU */
        switch (rnd(0, 4)) {
        case 0: put(c, 0xff); modrm(c, rnd(0, 2), true); break;
        case 1:
            if (!long_mode && rnd(0, 3) == 0) {
                put(c, 0x40 | rnd(0, 16));      /* INC/DEC r (REX in 64-bit mode) */
            } else if (rnd(0, 2)) {     /* by a constant; 8-bit (C0h) too */
                put(c, rnd(0, 3) ? 0xc1 : 0xc0); modrm(c, rnd(0, 8), true); put(c, rnd(0, 64));
            } else {
                put(c, rnd(0, 3) ? 0xd1 : 0xd0); modrm(c, rnd(0, 8), true);
            }
            break;
        case 2:
            if (rnd(0, 3) == 0) {
                bool b = rnd(0, 2);
                put(c, b ? 0x6b : 0x69); modrm(c, rnd(0, 8), true);        /* IMUL r, r/m, imm */
                for (int i = 0; i < (b ? 1 : o16 ? 2 : 4); i++) {
                    put(c, rnd(0, 256));
                }
            } else if (rnd(0, 2)) {
                put(c, 0x0f); put(c, 0xaf); modrm(c, rnd(0, 8), true);     /* IMUL */
            } else {
                put(c, 0x0f); put(c, 0x40 | rnd(0, 16)); modrm(c, rnd(0, 8), true);  /* CMOVcc */
            }
            break;
        default:
            switch (rnd(0, 3)) {
            case 0:
                if (rnd(0, 2)) {
                    put(c, 0x80); modrm(c, alu_ops[rnd(0, 6)], true); put(c, rnd(0, 256));
                } else {        /* ADC/SBB r/m, imm8: 32/64-bit ones inline */
                    put(c, 0x83); modrm(c, rnd(2, 4), true); put(c, rnd(0, 256));
                }
                break;
            case 1: put(c, 0x84); modrm(c, rnd(0, 8), true); break;
            default:    /* any of the eight, ADC/SBB too: they leave cc_src2 = carry-in */
                put(c, (rnd(0, 8) << 3) | rnd(0, 4));
                modrm(c, rnd(0, 8), true);
                break;
            }
            break;
        }
        break;
    case 13:                /* forms on a fixed register, NOT/NEG, rotates */
        switch (rnd(0, 3)) {
        case 2:         /* shifts and rotates by CL (a zero count changes nothing) */
            put(c, 0xd3);
            modrm(c, rnd(0, 8), rnd(0, 4) == 0);
            break;
        case 0:         /* ALU eAX, Iz / TEST eAX, Iz / F7h: TEST NOT NEG MUL IMUL DIV IDIV */
            if (rnd(0, 3)) {
                put(c, rnd(0, 4) ? (alu_ops[rnd(0, 6)] << 3) | 5 : 0xa9);
            } else {
                int op = (int[]){ 0, 2, 3, 4, 5, 0, 2, 3, 4, 5, 6, 7 }[rnd(0, 12)];
                put(c, 0xf7); modrm(c, op, true);
                if (op) {
                    break;
                }
            }
            for (int i = 0; i < (o16 ? 2 : 4); i++) {
                put(c, rnd(0, 256));
            }
            break;
        default: {      /* ROL/ROR by a constant */
            bool imm = rnd(0, 2);
            put(c, imm ? 0xc1 : 0xd1);
            modrm(c, rnd(0, 2), rnd(0, 4) == 0);
            if (imm) {
                put(c, rnd(0, 70));
            }
            break;
        }
        }
        break;
    default:                /* CMP/TEST then Jcc to the end of the block */
        switch (rnd(0, 4)) {
        case 0:             /* CMP of 8 bits too: fused from the host flags */
            put(c, (rnd(0, 3) ? 0x39 : 0x38) | (rnd(0, 2) ? 2 : 0));
            modrm(c, rnd(0, 8), rnd(0, 2));
            break;
        case 1:
            put(c, rnd(0, 3) ? 0x85 : 0x84);
            modrm(c, rnd(0, 8), false);
            break;
        case 2:             /* INC/DEC: the Jcc reads lazy flags of a handler */
            put(c, 0xff);
            modrm(c, rnd(0, 2), false);
            break;
        default:            /* a shift or rotate by a constant (inline, not fused) */
            put(c, 0xc1);
            modrm(c, rnd(0, 8), false);
            put(c, rnd(0, 40));
            break;
        }
        put(c, 0x70 | rnd(0, 16));
        g_assert(c->njcc < 64);
        c->jcc_fix[c->njcc++] = c->n;
        put(c, 0);
        break;
    }
}

static void check_mode(bool long_mode, int iters)
{
    setup(long_mode);
    CPUX86State *env = cpu;
    static uint8_t data0[DATA_SIZE], data_a[DATA_SIZE];
    unsigned halted = 0;
    uint64_t insns = 0;

    for (int it = 0; it < iters; it++) {
        Code c = { .n = 0 };
        if (rnd(0, 2)) {
            /* the block starts reading the flags record it was entered
             * with: tier 1 bets it is the one it saw when translating
             * (the random record below), and it is not on the next
             * loops (DEC's) */
            gen_cc_reader(&c);
        }
        int n = rnd(1, 40);
        for (int i = 0; i < n && c.n < sizeof(c.b) - 64; i++) {
            gen_insn(&c, long_mode);
        }
        /* the block runs LOOPS times: dec dword [counter]; jnz start
         * (a backward jump within the page, which tier 1 chains) */
        size_t end = c.n;
        uint32_t counter = CODE_BASE + 0x1ff0;      /* physical = low virtual */
        uint64_t code_va = long_mode && (it & 1) ? CODE_HIGH : CODE_BASE;
        put(&c, 0xff);
        put(&c, 0x0d);
        uint32_t at = long_mode ? counter - (uint32_t)(CODE_BASE + c.n + 4) : counter;
        for (int i = 0; i < 4; i++) {
            put(&c, at >> (8 * i));
        }
        int32_t back = -(int32_t)(c.n + 6);
        put(&c, 0x0f);
        put(&c, 0x85);
        for (int i = 0; i < 4; i++) {
            put(&c, (uint32_t)back >> (8 * i));
        }
        for (int j = 0; j < c.njcc; j++) {
            int rel = (int)end - (c.jcc_fix[j] + 1);
            c.b[c.jcc_fix[j]] = rel <= 127 ? rel : 0;
        }
        put(&c, 0xf4);          /* hlt */

        uint64_t regs[16];
        for (int i = 0; i < 16; i++) {
            regs[i] = long_mode ? rnd_reg() : (uint32_t)rnd_reg();
        }
        if (rnd(0, 2)) {
            regs[R_ESP] = DATA_BASE + DATA_SIZE / 2 + rnd(0, 64) * 8;
        }
        uint64_t fsbase = rnd(0, 2) ? 0 : DATA_BASE + rnd(0, 0x1000);
        for (uint32_t i = 0; i < DATA_SIZE; i += 8) {
            uint64_t v = rnd(0, 4) ? rnd64() : (uint64_t)rnd(0, 3);
            memcpy(data0 + i, &v, 8);
        }
        uint32_t eflags0 = 0x2 | (g_rand_int(rng) & 0x8d5);
        /* the flags as EFLAGS, or as the lazy record of an ADD, SUB or
         * logic operation of some size (the arithmetic flags of eflags0
         * are then ignored) */
        int cc_op0 = CC_OP_EFLAGS;
        uint64_t cc_dst0 = 0, cc_src0 = 0;
        if (rnd(0, 2)) {
            static const int base[] = { CC_OP_ADDB, CC_OP_SUBB, CC_OP_LOGICB };
            int ot = rnd(0, long_mode ? 4 : 3);
            uint64_t m = ot == 3 ? ~0ull : (1ull << (8 << ot)) - 1;
            cc_op0 = base[rnd(0, 3)] + ot;
            cc_dst0 = rnd(0, 4) ? rnd64() & m : 0;
            cc_src0 = cc_op0 < CC_OP_LOGICB || cc_op0 > CC_OP_LOGICQ ? rnd64() & m : 0;
        }
        uint8_t xmm0[16][16];
        for (unsigned i = 0; i < sizeof(xmm0); i++) {
            xmm0[i / 16][i % 16] = rnd(0, 256);
        }
        /* MXCSR: the power-on one, or one with other rounding, DAZ/FTZ,
         * unmasked exceptions or flags set */
        uint32_t mxcsr0 = rnd(0, 4) ? 0x1f80 : (uint32_t)rnd(0, 0x10000);

        JitDiffState a, b;
        for (int pass = 0; pass < 2; pass++) {
            setup(long_mode);
            memset(mem(CODE_BASE), 0xcc, 0x2000);     /* the code pages are writable too */
            memcpy(mem(CODE_BASE), c.b, c.n);
            uint32_t loops = LOOPS;
            memcpy(mem(counter), &loops, 4);
            memcpy(mem(DATA_BASE), data0, DATA_SIZE);
            tb_flush_all(env);
            memcpy(env->regs, regs, sizeof(regs));
            memcpy(env->fpu.xmm, xmm0, sizeof(xmm0));
            env->fpu.mxcsr = mxcsr0;
            env->segs[R_FS].base = env->segs[R_GS].base = long_mode ? fsbase : 0;
            env->eip = code_va;
            env->eflags = eflags0;
            env->cc_op = cc_op0;
            env->cc_dst = cc_dst0;
            env->cc_src = cc_src0;
            env->instr_count = 0;
            jit_threshold = pass;   /* 0: tier 0; 1: every block translated */
            int why = x86_cpu_exec(env, 10000000);
            jd_capture(env, why, pass ? &b : &a);
            if (g_getenv("JIT_DIFF_DEBUG")) {
                g_test_message("pass %d: exit %d count %llu eip %llx", pass, why,
                               (unsigned long long)env->instr_count, (unsigned long long)env->eip);
            }
            if (!pass) {
                memcpy(data_a, mem(DATA_BASE), DATA_SIZE);
            }
        }
        halted += (a.hflags[0] & HF_HALTED) != 0;
        insns += a.instr_count[0];
        if (!jd_equal(&a, &b) || memcmp(data_a, mem(DATA_BASE), DATA_SIZE)) {
            GString *hex = g_string_new(NULL);
            for (size_t i = 0; i < c.n; i++) {
                g_string_append_printf(hex, "%02x", c.b[i]);
            }
            g_test_message("divergence (%s mode), code %s", long_mode ? "64-bit" : "32-bit", hex->str);
            for (int i = 0; i < 16; i++) {
                g_test_message("  start r%d %llx", i, (unsigned long long)regs[i]);
            }
            g_autoptr(GString) diff = g_string_new(NULL);
            jd_describe(diff, &a, &b);
            g_test_message("tier 0 / tier 1 (cc_op %#llx):\n%s", (unsigned long long)a.cc_op[0], diff->str);
            for (uint32_t i = 0; i < DATA_SIZE; i++) {
                if (data_a[i] != *mem(DATA_BASE + i)) {
                    g_test_message("  memory differs first at %#x", DATA_BASE + i);
                    break;
                }
            }
            g_string_free(hex, true);
            g_test_fail();
            return;
        }
    }
    g_test_message("%s mode: %d blocks, %llu instructions, %u ran to their HLT",
                   long_mode ? "64-bit" : "32-bit", iters, (unsigned long long)insns, halted);
    /* the generator must reach both ends: whole blocks and faults */
    g_assert_cmpuint(halted, >, iters / 20);
    g_assert_cmpuint(halted, <, iters);
}

static void test_diff_64(void)
{
    check_mode(true, 14000);
}

static void test_diff_32(void)
{
    check_mode(false, 6000);
}

/* the small cache was recycled many times meanwhile */
static void test_recycled(void)
{
    g_autoptr(GString) info = g_string_new(NULL);
    jit_info(info);
    const char *p = strstr(info->str, "MiB used, ");
    g_assert_nonnull(p);
    unsigned long flushes = strtoul(p + strlen("MiB used, "), NULL, 10);
    g_test_message("%s", info->str);
    g_assert_cmpuint(flushes, >, 10);
}

/* MOV to/from DR8-DR15 (REX.R) is #UD under both tiers; tier 0 used to
 * index env->dr[8..15], past the array into EFER, hflags and the A20 mask
 * (found by fuzz-jit under UBSan).  No IDT: the #UD ends the run. */
static void test_mov_dr_rex(void)
{
    static const uint8_t code[][5] = {
        { 0x44, 0x0f, 0x23, 0xc8, 0xf4 },       /* mov dr9, rax */
        { 0x44, 0x0f, 0x21, 0xd0, 0xf4 },       /* mov rax, dr10 */
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(code); i++) {
        for (int pass = 0; pass < 2; pass++) {
            setup(true);
            CPUX86State *env = cpu;
            memcpy(mem(CODE_BASE), code[i], sizeof(code[i]));
            tb_flush_all(env);
            env->regs[R_EAX] = 0x123456789ull;
            env->eip = CODE_BASE;
            env->instr_count = 0;
            jit_threshold = pass;
            int why = x86_cpu_exec(env, 1000);
            g_assert_cmpint(why, ==, CPU_EXIT_RESET);
            g_assert_cmpuint(env->instr_count, ==, 0);
            g_assert_cmphex(env->regs[R_EAX], ==, 0x123456789ull);
            g_assert_cmphex(env->efer, ==, EFER_LME | EFER_LMA);
            g_assert_cmphex(env->a20_mask, ==, 0xffffffffu);
        }
    }
    jit_threshold = 1;
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    jit_set_tier(JIT_TIER_1);
    /* a 1 MiB code cache fills every few dozen blocks: the runs go
     * through the drop-everything-and-reuse path over and over */
    jit_set_tb_size_mb(1);
    GError *err = NULL;
    if (!jit_init(&err)) {
        g_test_skip(err->message);
        return 77;
    }
    if (!jit_threshold) {
        /* not an x86-64 Linux host, or no executable memory: nothing to compare */
        return 77;
    }
    rng = g_rand_new_with_seed(0x71e12345);
    if (g_getenv("JIT_DIFF_DEBUG")) {
        log_mask = LOG_IN_ASM | LOG_INT;
    }
    g_test_add_func("/jit/diff-64", test_diff_64);
    g_test_add_func("/jit/diff-32", test_diff_32);
    g_test_add_func("/jit/recycled", test_recycled);
    g_test_add_func("/jit/mov-dr-rex", test_mov_dr_rex);
    return g_test_run();
}
