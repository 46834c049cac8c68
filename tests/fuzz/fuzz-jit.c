/*
 * Fuzz the tier-1 translator (accel/tcg/jit.c) against tier 0: the input
 * is guest code, run twice from the same state and memory -- once by the
 * tier-0 interpreter, once with every block translated on first use -- and
 * the two runs must end in the same architectural state (JitDiffState of
 * tests/unit/x86-jit-diff.h, shared with test-jit-diff) with the same RAM.
 * A divergence prints the input, both states and the first differing
 * bytes of RAM, and aborts: that is how libFuzzer reports a finding.
 *
 * Input: byte 0 bits 0-1 the mode (64-bit long mode with the code at
 * 0x10000, the same at 0x7ffffffe0000, 32-bit paged protected mode, 16-bit
 * paged protected mode with CS at the code and the data segments at the
 * data area), bits 2-7 CF PF ZF SF DF OF; byte 1 seeds the registers
 * (mostly pointers into the data area), the XMM registers, FS/GS bases and
 * the 64 KiB data area; the rest (up to 8 KiB) is the code, the remainder
 * of its two pages HLT.  No IDT: a fault ends the run (triple fault).
 *
 * Determinism: the only clock-driven instructions, RDTSC/RDTSCP, read the
 * virtual clock, which is manual here and never stepped, so both runs read
 * the same TSC; RDRAND, RDSEED and RDPMC are not implemented by Vireo
 * (#UD in both runs); there are no devices, so port I/O reads the same
 * unassigned-port value in both; no interrupt can arrive.  Nothing is
 * excluded from the comparison.  RAM is compared whole (2 MiB): MOV CR3
 * can point paging at any of it, and the page walker sets A/D bits.
 */
#include <string.h>

#include "accel/tcg/jit.h"
#include "accel/tcg/tb-cache.h"
#include "hw/core/timer.h"
#include "tests/unit/x86-jit-diff.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "jit";
static X86CPU *cpu;
static unsigned tier1_threshold;

#define RAM_SIZE (2u << 20)
#define BUDGET 20000            /* instructions per run (checked at block ends) */

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    jit_set_tier(JIT_TIER_1);
    /* a small cache: the drop-everything-and-reuse path runs too */
    jit_set_tb_size_mb(1);
    GError *err = NULL;
    if (!jit_init(&err) || !jit_threshold) {
        /* not an x86-64 Linux host, or no executable memory */
        fprintf(stderr, "fuzz-jit: no tier 1 here (%s): inputs run but compare nothing\n",
                err ? err->message : "tier 1 off");
        g_clear_error(&err);
    }
    tier1_threshold = jit_threshold;
    cpu = jd_init(RAM_SIZE);
}

static void report(const uint8_t *data, size_t size, const JitDiffState *a,
                   const JitDiffState *b, const uint8_t *ram_a)
{
    GString *out = g_string_new("fuzz-jit: tier 1 diverges from tier 0\ninput:");
    for (size_t i = 0; i < size; i++) {
        g_string_append_printf(out, "%s%02x", i % 32 ? "" : "\n  ", data[i]);
    }
    g_string_append(out, "\ndifferences (tier 0 / tier 1):\n");
    jd_describe(out, a, b);
    unsigned shown = 0;
    for (uint32_t i = 0; i < RAM_SIZE && shown < 16; i++) {
        if (ram_a[i] != *jd_mem(i)) {
            g_string_append_printf(out, "  ram[%#x] %02x / %02x\n", i, ram_a[i], *jd_mem(i));
            shown++;
        }
    }
    g_string_append(out, "tier 0 state:\n");
    jd_dump(out, a);
    g_string_append(out, "tier 1 state:\n");
    jd_dump(out, b);
    fputs(out->str, stderr);
    g_string_free(out, true);
    abort();
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static uint8_t data0[JD_DATA_SIZE];
    static uint8_t ram_a[RAM_SIZE];
    if (size < 3) {
        return;
    }
    CPUX86State *env = cpu;
    int m = data[0] & 3;
    JitDiffMode mode = m < 2 ? JD_MODE_64 : m == 2 ? JD_MODE_32 : JD_MODE_16;
    static const uint32_t flag_bits[6] = { CC_C, CC_P, CC_Z, CC_S, DF_MASK, CC_O };
    uint32_t eflags0 = 0x2;
    for (int i = 0; i < 6; i++) {
        if (data[0] & (4 << i)) {
            eflags0 |= flag_bits[i];
        }
    }
    const uint8_t *code = data + 2;
    size_t code_len = MIN(size - 2, JD_CODE_SIZE);

    GRand *r = g_rand_new_with_seed(data[1]);
    uint64_t regs[16];
    for (int i = 0; i < 16; i++) {
        uint64_t v = jd_rnd_reg(r);
        if (mode == JD_MODE_16 && v >= JD_DATA_BASE && v < JD_DATA_BASE + JD_DATA_SIZE) {
            v -= JD_DATA_BASE;  /* an offset in the data segment */
        }
        regs[i] = mode == JD_MODE_64 ? v : (uint32_t)v;
    }
    if (g_rand_int_range(r, 0, 4)) {
        regs[R_ESP] = (mode == JD_MODE_16 ? 0 : JD_DATA_BASE) + JD_DATA_SIZE / 2 +
                      g_rand_int_range(r, 0, 64) * 8;
    }
    uint64_t fsbase = g_rand_int_range(r, 0, 2) ? 0 : JD_DATA_BASE + g_rand_int_range(r, 0, 0x1000);
    uint8_t xmm[16][16];
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j += 4) {
            uint32_t v = g_rand_int(r);
            memcpy(&xmm[i][j], &v, 4);
        }
    }
    for (uint32_t i = 0; i < JD_DATA_SIZE; i += 4) {
        uint32_t v = g_rand_int_range(r, 0, 4) ? g_rand_int(r) : (uint32_t)g_rand_int_range(r, 0, 3);
        memcpy(data0 + i, &v, 4);
    }
    g_rand_free(r);

    /* FUZZ_JIT_BUDGET: another budget, to see where a divergence starts */
    static int64_t budget;
    if (!budget) {
        budget = g_getenv("FUZZ_JIT_BUDGET") ? atoll(g_getenv("FUZZ_JIT_BUDGET")) : BUDGET;
    }
    JitDiffState st[2];
    for (int pass = 0; pass < 2; pass++) {
        memset(jd_mem(0), 0, RAM_SIZE);
        jd_setup(env, mode);
        env->cr[4] |= CR4_OSFXSR | CR4_OSXMMEXCPT;     /* SSE usable */
        cpu_update_hflags(env);
        memset(jd_mem(JD_CODE_BASE), 0xf4, JD_CODE_SIZE);
        memcpy(jd_mem(JD_CODE_BASE), code, code_len);
        memcpy(jd_mem(JD_DATA_BASE), data0, JD_DATA_SIZE);
        tb_flush_all(env);
        memcpy(env->regs, regs, sizeof(regs));
        memcpy(env->fpu.xmm, xmm, sizeof(xmm));
        if (mode == JD_MODE_64) {
            env->segs[R_FS].base = fsbase;
            env->segs[R_GS].base = fsbase ? fsbase + 0x800 : 0;
        }
        env->eip = m == 1 ? JD_CODE_HIGH : mode == JD_MODE_16 ? 0 : JD_CODE_BASE;
        env->eflags = eflags0;
        env->cc_op = CC_OP_EFLAGS;
        env->instr_count = 0;
        jit_threshold = pass ? tier1_threshold : 0;  /* 0: tier 0; 1: every block translated */
        int why = x86_cpu_exec(env, budget);
        jd_capture(env, why, &st[pass]);
        if (!pass) {
            memcpy(ram_a, jd_mem(0), RAM_SIZE);
        }
    }
    jit_threshold = tier1_threshold;
    if (g_getenv("FUZZ_JIT_TRACE")) {
        /* what the input reached: exit reason (0 budget, 1 HLT, 3 fault), count, EIP */
        fprintf(stderr, "fuzz-jit: mode %d exit %d, %llu instructions, eip %#llx\n", m,
                (int)st[0].exit_reason[0], (unsigned long long)st[0].instr_count[0],
                (unsigned long long)st[0].eip[0]);
    }
    if (!jd_equal(&st[0], &st[1]) || memcmp(ram_a, jd_mem(0), RAM_SIZE)) {
        report(data, size, &st[0], &st[1], ram_a);
    }
}
