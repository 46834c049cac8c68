/*
 * Tier 0 against tier 1, the shared part of tests/unit/test-jit-diff.c
 * (generated instruction streams) and tests/fuzz/fuzz-jit.c (arbitrary
 * bytes): a bare CPU ("max") on a RAM region, no devices, set up in 64-bit
 * long mode, 32-bit or 16-bit paged protected mode where the page tables
 * map only the code (two pages at JD_CODE_BASE, in 64-bit mode also at
 * JD_CODE_HIGH) and the data area, so nothing else can be reached through
 * a linear address; no IDT, so a fault ends a run with a triple fault in
 * the same state under both tiers.  JitDiffState is the architectural
 * state two runs must agree on, compared field by field so a divergence
 * names what differs.
 */
#ifndef TESTS_UNIT_X86_JIT_DIFF_H
#define TESTS_UNIT_X86_JIT_DIFF_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/core/memory.h"
#include "target/x86/cpu.h"
#include "target/x86/flags.h"
#include "target/x86/helper.h"
#include "tests/unit/x86-flat-segs.h"

#define JD_CODE_BASE 0x10000u
/* in 64-bit mode the code is also mapped high, where EIPs and branch
 * targets do not fit a sign-extended imm32 */
#define JD_CODE_HIGH 0x00007ffffffe0000ull
#define JD_CODE_SIZE 0x2000u
#define JD_DATA_BASE 0x100000u
#define JD_DATA_SIZE 0x10000u   /* 64 KiB */

typedef enum { JD_MODE_64, JD_MODE_32, JD_MODE_16 } JitDiffMode;

static MemoryRegion jd_ram;
static uint64_t jd_ram_size;

static inline uint8_t *jd_mem(uint64_t a)
{
    return (uint8_t *)jd_ram.ram + a;
}

static inline void jd_wq(uint64_t a, uint64_t v)
{
    memcpy(jd_mem(a), &v, 8);
}

/* RAM at physical 0 and the CPU, once per process. */
static inline X86CPU *jd_init(uint64_t ram_size)
{
    static X86CPU *cpu;
    if (!cpu) {
        jd_ram_size = ram_size;
        memory_region_init_ram(&jd_ram, "ram", ram_size);
        memory_region_add_subregion(address_space_memory.root, 0, &jd_ram);
        char *err = NULL;
        cpu = x86_cpu_new("max", &err);
        g_assert_null(err);
        /* RDRAND/RDSEED read a new random value on each run: without them
         * they raise #UD on both paths, which compare equal */
        cpu->cpuid_ext_features &= ~(1u << 30);
        cpu->cpuid_7_0_ebx &= ~(1u << 18);
    }
    return cpu;
}

/* Power-on state, then the mode: page tables at 0x1000..0x9fff (physical,
 * not mapped), CR0.PE|PG, flat segments (16-bit mode: CS based at the code,
 * the data segments at the data area, 64 KiB limits), no IDT. */
static inline void jd_setup(CPUX86State *env, JitDiffMode mode)
{
    x86_cpu_reset(env);
    env->a20_mask = ~0u;        /* the A20 line survives a reset: every run starts with it on */
    env->cr[0] = CR0_PE | CR0_ET | CR0_NE;
    x86_test_flat_segs(env);
    uint64_t pages[2 + JD_DATA_SIZE / 4096];
    unsigned np = 0;
    pages[np++] = JD_CODE_BASE;
    pages[np++] = JD_CODE_BASE + 0x1000;
    for (uint32_t a = JD_DATA_BASE; a < JD_DATA_BASE + JD_DATA_SIZE; a += 0x1000) {
        pages[np++] = a;
    }
    if (mode == JD_MODE_64) {
        jd_wq(0x1000, 0x4000 | 3);
        jd_wq(0x4000, 0x5000 | 3);
        jd_wq(0x5000, 0x6000 | 3);
        for (unsigned i = 0; i < np; i++) {
            jd_wq(0x6000 + (pages[i] >> 12) * 8, pages[i] | 3);
        }
        env->cr[4] = CR4_PAE;
        env->efer = EFER_LME | EFER_LMA;
        env->segs[R_CS].flags = (env->segs[R_CS].flags & ~DESC_B_MASK) | DESC_L_MASK;
        jd_wq(0x1000 + 255 * 8, 0x7000 | 3);    /* JD_CODE_HIGH: PML4 255, PDPT 511, PD 511 */
        jd_wq(0x7000 + 511 * 8, 0x8000 | 3);
        jd_wq(0x8000 + 511 * 8, 0x9000 | 3);
        jd_wq(0x9000 + ((JD_CODE_HIGH >> 12) & 511) * 8, JD_CODE_BASE | 3);
        jd_wq(0x9000 + (((JD_CODE_HIGH >> 12) + 1) & 511) * 8, (JD_CODE_BASE + 0x1000) | 3);
    } else {
        uint32_t pde = 0x2000 | 3;
        memcpy(jd_mem(0x1000), &pde, 4);
        for (unsigned i = 0; i < np; i++) {
            uint32_t pte = (uint32_t)pages[i] | 3;
            memcpy(jd_mem(0x2000 + (pages[i] >> 12) * 4), &pte, 4);
        }
    }
    if (mode == JD_MODE_16) {
        for (int i = 0; i < 6; i++) {
            env->segs[i].base = i == R_CS ? JD_CODE_BASE : JD_DATA_BASE;
            env->segs[i].limit = 0xffff;
            env->segs[i].flags &= ~(DESC_B_MASK | DESC_G_MASK);
        }
    }
    env->cr[3] = 0x1000;
    env->cr[0] |= CR0_PG;
    env->cr[4] |= CR4_OSFXSR;   /* SSE on: tier 1 inlines SSE */
    env->idt.base = 0;
    env->idt.limit = 0;         /* a fault ends the run (triple fault) */
    cpu_update_hflags(env);
    tlb_flush(env);
}

/* Random register values as the generators use them: mostly pointers into
 * the first half of the data area (memory operands hit RAM, cross pages
 * and, with displacements, fault), small values and the sign bit, and
 * anything (missing RAM, non-canonical). */
static inline uint64_t jd_rnd_reg(GRand *r)
{
    switch (g_rand_int_range(r, 0, 8)) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        return JD_DATA_BASE + g_rand_int_range(r, 0, JD_DATA_SIZE / 2);
    case 6:
        return g_rand_int_range(r, 0, 4) ? (uint64_t)g_rand_int_range(r, -3, 4) : 1ull << 63;
    default: {
        uint64_t v = ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
        return g_rand_int_range(r, 0, 2) ? v : (uint32_t)v;
    }
    }
}

/* Everything a guest can observe, as 64-bit words.  The x87 registers are
 * their 80 bits (the host long double's padding is not state); the lazy
 * flag record is compared as it is, since tier 1 must leave tier 0's. */
#define JD_FIELDS(F)                                                                  \
    F(exit_reason, 1) F(regs, 16) F(eip, 1) F(flags, 1) F(cc_op, 1) F(cc_dst, 1)      \
    F(cc_src, 1) F(cc_src2, 1) F(instr_count, 1) F(hflags, 1)                         \
    F(seg_sel, 6) F(seg_base, 6) F(seg_limit, 6) F(seg_flags, 6)                      \
    F(ldt, 4) F(tr, 4) F(gdt, 2) F(idt, 2) F(cr, 5) F(cr2, 1) F(dr, 8) F(efer, 1)     \
    F(a20_mask, 1) F(dr_en, 1)                                                        \
    F(fpu_env, 10) F(fpu_st, 16) F(xmm, 32) F(mxcsr, 1)                               \
    F(tsc_offset, 1) F(sysenter, 3) F(apic_base, 1) F(pat, 1) F(mtrr_deftype, 1)      \
    F(mtrr_fixed, 11) F(mtrr_var, 16) F(syscall_msrs, 5) F(tsc_aux, 1) F(pkr, 2)      \
    F(smbase, 1) F(smm_nmi_blocked, 1) F(mcg, 2) F(misc_enable, 1)                    \
    F(mce_banks, MCE_BANKS * 4) F(interrupt_request, 1) F(nmi, 2)

typedef struct JitDiffState {
#define JD_DECL(name, n) uint64_t name[n];
    JD_FIELDS(JD_DECL)
#undef JD_DECL
} JitDiffState;

static inline void jd_seg(uint64_t *w, const SegmentCache *s)
{
    w[0] = s->selector;
    w[1] = s->base;
    w[2] = s->limit;
    w[3] = s->flags;
}

static inline void jd_capture(CPUX86State *env, int exit_reason, JitDiffState *s)
{
    memset(s, 0, sizeof(*s));
    s->exit_reason[0] = exit_reason;
    memcpy(s->regs, env->regs, sizeof(s->regs));
    s->eip[0] = env->eip;
    s->flags[0] = cc_compute_all(env) | (env->eflags & ~CC_MASK);
    s->cc_op[0] = env->cc_op;
    s->cc_dst[0] = env->cc_dst;
    /* a LOGIC record's flags come from cc_dst alone, and CC_OP_EFLAGS's
     * from EFLAGS (cc_materialize leaves the record it replaced): tier 1
     * leaves cc_src stale after a LOGIC op, tier 0 stores 0 */
    bool no_src = env->cc_op == CC_OP_EFLAGS ||
                  (env->cc_op >= CC_OP_LOGICB && env->cc_op <= CC_OP_LOGICQ);
    s->cc_src[0] = no_src ? 0 : env->cc_src;
    /* read only as ADC/SBB's carry-in: tier 1 leaves it stale otherwise */
    bool carry_in = (env->cc_op >= CC_OP_ADCB && env->cc_op <= CC_OP_ADCQ) ||
                    (env->cc_op >= CC_OP_SBBB && env->cc_op <= CC_OP_SBBQ);
    s->cc_src2[0] = carry_in ? env->cc_src2 : 0;
    s->instr_count[0] = env->instr_count;
    s->hflags[0] = env->hflags;
    for (int i = 0; i < 6; i++) {
        s->seg_sel[i] = env->segs[i].selector;
        s->seg_base[i] = env->segs[i].base;
        s->seg_limit[i] = env->segs[i].limit;
        s->seg_flags[i] = env->segs[i].flags;
    }
    jd_seg(s->ldt, &env->ldt);
    jd_seg(s->tr, &env->tr);
    s->gdt[0] = env->gdt.base;
    s->gdt[1] = env->gdt.limit;
    s->idt[0] = env->idt.base;
    s->idt[1] = env->idt.limit;
    memcpy(s->cr, env->cr, sizeof(s->cr));
    s->cr2[0] = env->cr2;
    memcpy(s->dr, env->dr, sizeof(s->dr));
    s->efer[0] = env->efer;
    s->a20_mask[0] = env->a20_mask;
    s->dr_en[0] = env->dr_exec_en | env->dr_data_en << 8 | env->dr_hit << 16;
    const X86FPUState *f = &env->fpu;
    uint64_t fe[10] = { f->fcw, f->fsw, f->ftw_tag, f->top, f->fop, f->fip, f->fdp, f->fcs,
                        f->fds, 0 };
    memcpy(s->fpu_env, fe, sizeof(fe));
    for (int i = 0; i < 8; i++) {
        memcpy(&s->fpu_st[2 * i], &f->st[i], 8);
        memcpy(&s->fpu_st[2 * i + 1], (const uint8_t *)&f->st[i] + 8, 2);
    }
    memcpy(s->xmm, f->xmm, sizeof(s->xmm));
    s->mxcsr[0] = f->mxcsr;
    s->tsc_offset[0] = env->tsc_offset;
    s->sysenter[0] = env->sysenter_cs;
    s->sysenter[1] = env->sysenter_esp;
    s->sysenter[2] = env->sysenter_eip;
    s->apic_base[0] = env->apic_base;
    s->pat[0] = env->pat;
    s->mtrr_deftype[0] = env->mtrr_deftype;
    memcpy(s->mtrr_fixed, env->mtrr_fixed, sizeof(s->mtrr_fixed));
    memcpy(s->mtrr_var, env->mtrr_var, sizeof(s->mtrr_var));
    uint64_t sc[5] = { env->star, env->lstar, env->cstar, env->fmask, env->kernelgsbase };
    memcpy(s->syscall_msrs, sc, sizeof(sc));
    s->tsc_aux[0] = env->tsc_aux;
    s->pkr[0] = env->pkru;
    s->pkr[1] = env->pkrs;
    s->smbase[0] = env->smbase;
    s->smm_nmi_blocked[0] = env->smm_nmi_blocked;
    s->mcg[0] = env->mcg_status;
    s->mcg[1] = env->mcg_ctl;
    s->misc_enable[0] = env->misc_enable;
    memcpy(s->mce_banks, env->mce_banks, sizeof(s->mce_banks));
    s->interrupt_request[0] = env->interrupt_request;
    s->nmi[0] = env->nmi_queued;
    s->nmi[1] = env->nmi_pending;
}

static inline bool jd_equal(const JitDiffState *a, const JitDiffState *b)
{
    return !memcmp(a, b, sizeof(*a));
}

/* One line per differing word: "name[i] tier0 / tier1". */
static inline void jd_describe(GString *out, const JitDiffState *a, const JitDiffState *b)
{
#define JD_CMP(name, n)                                                                    \
    for (int i = 0; i < (n); i++) {                                                        \
        if (a->name[i] != b->name[i]) {                                                    \
            g_string_append_printf(out, "  %s[%d] %#llx / %#llx\n", #name, i,             \
                                   (unsigned long long)a->name[i],                         \
                                   (unsigned long long)b->name[i]);                        \
        }                                                                                  \
    }
    JD_FIELDS(JD_CMP)
#undef JD_CMP
}

/* The whole state of one run, for a report. */
static inline void jd_dump(GString *out, const JitDiffState *s)
{
#define JD_DUMP(name, n)                                                                   \
    g_string_append_printf(out, "  %s", #name);                                            \
    for (int i = 0; i < (n); i++) {                                                        \
        g_string_append_printf(out, " %llx", (unsigned long long)s->name[i]);             \
    }                                                                                      \
    g_string_append_c(out, '\n');
    JD_FIELDS(JD_DUMP)
#undef JD_DUMP
}

#endif
