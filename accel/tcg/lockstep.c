/*
 * Lockstep: tier 0 against tier 1, block by block (see lockstep.h).
 *
 * For each block: save the CPU state, run it in tier 0 with every store
 * logged (the TLB gives plain RAM pages TLB_LOCKSTEP, so both tiers'
 * inline fast paths miss and mmu.c's slow path logs), keep tier 0's end
 * state and the bytes it left, undo its stores and TLB changes, restore
 * the state, run the tier-1 code of the same block (jit_end_count = 0
 * makes it leave after this one block), and compare.  A fault is part of
 * the end state (vector, error code, CR2, EIP); when both tiers raise the
 * same one it is delivered through the loop's landing pad as usual.
 *
 * Vireo runs the vCPUs on one thread in this mode (accel.c), so nothing
 * changes guest RAM or the CPU between the two runs, and the state here
 * needs no lock.
 */
#include "accel/tcg/lockstep.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/tcg/jit.h"
#include "hw/core/memory.h"
#include "system/cpus.h"
#include "target/x86/flags.h"
#include "target/x86/helper.h"

bool lockstep_on;

/* target/x86/exec.c */
void x86_tb_run0(CPUX86State *env, TranslationBlock *tb);
void x86_tb_disas(const TranslationBlock *tb, void (*print)(void *opaque, const char *line),
                  void *opaque);

/* ---- the state compared ---- */

/* Everything architectural in CPUX86State lies before the TLB (registers
 * to the CPUID model); after it, the exception and counter fields below.
 * Pointers, the TLB and jmp_env are not state. */
#define LS_PREFIX offsetof(CPUX86State, tlb)

typedef struct LsState {
    uint8_t prefix[LS_PREFIX];
    uint32_t eflags;            /* materialised from the lazy record */
    int exception_index, error_code, exception_is_int;
    uint64_t exception_next_eip;
    int old_exception;
    uint64_t insn_start_eip;
    uint8_t insn_rex;
    uint64_t instr_count;
    uint32_t interrupt_request;
    uint64_t jit_slot_exits, jit_runs, tb_runs;
} LsState;

static void ls_save(CPUX86State *env, LsState *s)
{
    memcpy(s->prefix, env, LS_PREFIX);
    s->eflags = cpu_compute_eflags(env);
    s->exception_index = env->exception_index;
    s->error_code = env->error_code;
    s->exception_is_int = env->exception_is_int;
    s->exception_next_eip = env->exception_next_eip;
    s->old_exception = env->old_exception;
    s->insn_start_eip = env->insn_start_eip;
    s->insn_rex = env->insn_rex;
    s->instr_count = env->instr_count;
    s->interrupt_request = env->interrupt_request;
    s->jit_slot_exits = env->jit_slot_exits;
    s->jit_runs = env->jit_runs;
    s->tb_runs = env->tb_runs;
}

static void ls_load(CPUX86State *env, const LsState *s)
{
    memcpy(env, s->prefix, LS_PREFIX);
    env->exception_index = s->exception_index;
    env->error_code = s->error_code;
    env->exception_is_int = s->exception_is_int;
    env->exception_next_eip = s->exception_next_eip;
    env->old_exception = s->old_exception;
    env->insn_start_eip = s->insn_start_eip;
    env->insn_rex = s->insn_rex;
    env->instr_count = s->instr_count;
    /* one thread runs everything: nothing else sets it meanwhile (PAUSE
     * sets EXIT, and REP string loops stop early on any bit) */
    env->interrupt_request = s->interrupt_request;
    env->jit_slot_exits = s->jit_slot_exits;
    env->jit_runs = s->jit_runs;
    env->tb_runs = s->tb_runs;
}

/* A field compared: its bytes at off in the prefix (an offset in
 * CPUX86State) or, with tail, in LsState. */
typedef struct LsField {
    char name[20];
    uint32_t off;
    uint8_t size;
    bool tail;
    bool lazy;      /* the lazy-flag record: compared through EFLAGS */
} LsField;

static LsField *fields;
static unsigned nfields;

static void field_add(const char *name, size_t off, size_t size, bool tail)
{
    fields = g_renew(LsField, fields, nfields + 1);
    LsField *f = &fields[nfields++];
    g_strlcpy(f->name, name, sizeof(f->name));
    f->off = (uint32_t)off;
    f->size = (uint8_t)size;
    f->tail = tail;
    f->lazy = false;
}

#define FE(name, field) field_add(name, offsetof(CPUX86State, field), \
                                  sizeof(((CPUX86State *)0)->field), false)
#define FT(name, member) field_add(name, offsetof(LsState, member), \
                                   sizeof(((LsState *)0)->member), true)

static void fields_init(void)
{
    static const char *const rn[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                        "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
    static const char *const sn[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    char n[20];
    for (int i = 0; i < 16; i++) {
        FE(rn[i], regs[i]);
    }
    FE("RIP", eip);
    FT("EFLAGS", eflags);
    /* The lazy record is not architectural: two records that give the
     * same EFLAGS are the same state (every reader of the flags goes
     * through cc_compute_all/cc_test), and the tiers may leave dead
     * parts differently (e.g. cc_src2 after an 8-bit TEST: tier 0's
     * generic handler keeps it, tier 1's inline form zeroes it).  Shown
     * in a report, marked ~ where they differ. */
    FE("cc_op", cc_op);
    FE("cc_dst", cc_dst);
    FE("cc_src", cc_src);
    FE("cc_src2", cc_src2);
    for (unsigned i = nfields - 4; i < nfields; i++) {
        fields[i].lazy = true;
    }
    for (int i = 0; i < 6; i++) {
        snprintf(n, sizeof(n), "%s.sel", sn[i]); FE(n, segs[i].selector);
        snprintf(n, sizeof(n), "%s.base", sn[i]); FE(n, segs[i].base);
        snprintf(n, sizeof(n), "%s.limit", sn[i]); FE(n, segs[i].limit);
        snprintf(n, sizeof(n), "%s.flags", sn[i]); FE(n, segs[i].flags);
    }
    FE("LDT.sel", ldt.selector); FE("LDT.base", ldt.base); FE("LDT.limit", ldt.limit);
    FE("LDT.flags", ldt.flags);
    FE("TR.sel", tr.selector); FE("TR.base", tr.base); FE("TR.limit", tr.limit);
    FE("TR.flags", tr.flags);
    FE("GDT.base", gdt.base); FE("GDT.limit", gdt.limit);
    FE("IDT.base", idt.base); FE("IDT.limit", idt.limit);
    FE("CR0", cr[0]); FE("CR2", cr2); FE("CR3", cr[3]); FE("CR4", cr[4]);
    for (int i = 0; i < 8; i++) {
        snprintf(n, sizeof(n), "DR%d", i);
        FE(n, dr[i]);
    }
    FE("dr_exec_en", dr_exec_en); FE("dr_data_en", dr_data_en); FE("dr_hit", dr_hit);
    FE("EFER", efer); FE("hflags", hflags); FE("a20_mask", a20_mask);
    FE("FCW", fpu.fcw); FE("FSW", fpu.fsw); FE("FTW", fpu.ftw_tag); FE("FPU.top", fpu.top);
    for (int i = 0; i < 8; i++) {
        snprintf(n, sizeof(n), "ST%d", i);
        field_add(n, offsetof(CPUX86State, fpu.st[i]), 10, false);    /* 80 bits */
    }
    FE("FOP", fpu.fop); FE("FIP", fpu.fip); FE("FDP", fpu.fdp); FE("FCS", fpu.fcs);
    FE("FDS", fpu.fds);
    for (int i = 0; i < 16; i++) {
        snprintf(n, sizeof(n), "XMM%d", i);
        FE(n, fpu.xmm[i]);
    }
    FE("MXCSR", fpu.mxcsr);
    FE("tsc_offset", tsc_offset); FE("sysenter_cs", sysenter_cs);
    FE("sysenter_esp", sysenter_esp); FE("sysenter_eip", sysenter_eip);
    FE("apic_base", apic_base); FE("PAT", pat); FE("mtrr_deftype", mtrr_deftype);
    FE("mtrr_fixed", mtrr_fixed); FE("mtrr_var", mtrr_var);
    FE("STAR", star); FE("LSTAR", lstar); FE("CSTAR", cstar); FE("FMASK", fmask);
    FE("KernelGSbase", kernelgsbase); FE("TSC_AUX", tsc_aux); FE("PKRU", pkru);
    FE("PKRS", pkrs); FE("SPEC_CTRL", spec_ctrl); FE("SMBASE", smbase); FE("smm_nmi_blocked", smm_nmi_blocked);
    FE("MCG_STATUS", mcg_status); FE("MCG_CTL", mcg_ctl); FE("misc_enable", misc_enable);
    FE("MC banks", mce_banks);
    FT("exception", exception_index);
    FT("error_code", error_code);
    FT("exception_int", exception_is_int);
    FT("exception_next", exception_next_eip);
    FT("instr_count", instr_count);
}

static const uint8_t *field_ptr(const LsState *s, const LsField *f)
{
    return f->tail ? (const uint8_t *)s + f->off : s->prefix + f->off;
}

static bool field_differs(const LsState *a, const LsState *b, const LsField *f)
{
    return memcmp(field_ptr(a, f), field_ptr(b, f), f->size) != 0;
}

/* a difference that is a divergence */
static bool field_diverges(const LsState *a, const LsState *b, const LsField *f)
{
    return !f->lazy && field_differs(a, b, f);
}

static void field_fmt(const LsState *s, const LsField *f, char *buf, size_t size)
{
    const uint8_t *p = field_ptr(s, f);
    if (f->size <= 8) {
        uint64_t v = 0;
        memcpy(&v, p, f->size);
        snprintf(buf, size, "%0*llx", 2 * f->size, (unsigned long long)v);
        return;
    }
    /* wider: the bytes, most significant first, shortened */
    size_t o = 0;
    for (int i = MIN(f->size, 16) - 1; i >= 0 && o + 3 < size; i--) {
        o += snprintf(buf + o, size - o, "%02x", p[i]);
    }
    if (f->size > 16 && o + 4 < size) {
        snprintf(buf + o, size - o, "...");
    }
}

/* ---- the logs: stores and TLB entries, undone between the runs ---- */

typedef struct LsStore {
    uint8_t *host;
    uint64_t la;
    uint8_t size;
    bool phys;              /* la is a physical address (A/D bit update) */
    uint8_t old[8], val[8], fin[8];
} LsStore;

typedef struct LsLog {
    LsStore *v;
    size_t n, cap;
} LsLog;

typedef struct LsTlb {
    TLBEntry *e;
    TLBEntry old;
} LsTlb;

static struct {
    LsLog st[2];            /* stores of tier 0's and tier 1's run */
    int tier;               /* the run in progress */
    LsTlb *tlb;
    size_t ntlb, cap_tlb;
    TLBEntry *tlb_full;     /* all of it, saved at the first flush of a run */
    size_t tlb_full_at;     /* entries logged before that flush */
    bool tlb_full_saved;
    bool aborted;
    bool ram_is_t0;         /* mem_same left tier 0's bytes in RAM (else tier 1's) */
    const char *why;
    uint64_t compared, skipped, divergences;
    struct { const char *why; uint64_t n; } skips[24];
    unsigned nskips;
} ls;

void lockstep_log_store(CPUX86State *env, uint8_t *host, uint64_t la, unsigned size,
                        uint64_t val, bool phys)
{
    LsLog *l = &ls.st[ls.tier];
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = g_renew(LsStore, l->v, l->cap);
    }
    LsStore *s = &l->v[l->n++];
    s->host = host;
    s->la = la;
    s->size = (uint8_t)size;
    s->phys = phys;
    memcpy(s->old, host, size);
    memcpy(s->val, &val, size);     /* little-endian host */
}

void lockstep_tlb_save(CPUX86State *env, TLBEntry *e)
{
    if (!e) {
        if (!ls.tlb_full_saved) {
            if (!ls.tlb_full) {
                ls.tlb_full = g_new(TLBEntry, NB_MMU_MODES * TLB_SIZE);
            }
            memcpy(ls.tlb_full, env->tlb, sizeof(env->tlb));
            ls.tlb_full_at = ls.ntlb;
            ls.tlb_full_saved = true;
        }
        return;
    }
    if (ls.tlb_full_saved) {
        return;     /* the full copy made before restores it */
    }
    if (ls.ntlb == ls.cap_tlb) {
        ls.cap_tlb = ls.cap_tlb ? 2 * ls.cap_tlb : 64;
        ls.tlb = g_renew(LsTlb, ls.tlb, ls.cap_tlb);
    }
    ls.tlb[ls.ntlb].e = e;
    ls.tlb[ls.ntlb].old = *e;
    ls.ntlb++;
}

static void tlb_log_reset(void)
{
    ls.ntlb = 0;
    ls.tlb_full_saved = false;
}

static void tlb_restore(CPUX86State *env)
{
    size_t n = ls.ntlb;
    if (ls.tlb_full_saved) {
        memcpy(env->tlb, ls.tlb_full, sizeof(env->tlb));
        n = ls.tlb_full_at;
    }
    while (n > 0) {
        n--;
        *ls.tlb[n].e = ls.tlb[n].old;
    }
    /* restored entries are not in the fill list: the next flush clears all */
    env->tlb_nused = TLB_USED_MAX + 1;
    tlb_sites_flush(env);           /* filled from entries now undone */
    tlb_log_reset();
}

static void stores_undo(LsLog *l)
{
    for (size_t i = l->n; i > 0; i--) {
        memcpy(l->v[i - 1].host, l->v[i - 1].old, l->v[i - 1].size);
    }
}

static void stores_capture(LsLog *l)
{
    for (size_t i = 0; i < l->n; i++) {
        memcpy(l->v[i].fin, l->v[i].host, l->v[i].size);
    }
}

static void count_skip(const char *why)
{
    ls.skipped++;
    for (unsigned i = 0; i < ls.nskips; i++) {
        if (ls.skips[i].why == why || !strcmp(ls.skips[i].why, why)) {
            ls.skips[i].n++;
            return;
        }
    }
    if (ls.nskips < G_N_ELEMENTS(ls.skips)) {
        ls.skips[ls.nskips].why = why;
        ls.skips[ls.nskips++].n = 1;
    }
}

void lockstep_abort(CPUX86State *env, const char *why)
{
    env->lockstep_rec = 0;
    ls.aborted = true;
    ls.why = why;
    siglongjmp(env->jmp_env, 2);
}

/* Memory-core guard: a device is about to be reached (MMIO, port I/O) */
static void ls_dispatch_guard(MemoryRegion *mr, bool write)
{
    if (current_cpu && current_cpu->lockstep_rec) {
        lockstep_abort(current_cpu, write ? "device write (MMIO/port)" : "device read (MMIO/port)");
    }
}

/* ---- running ---- */

/* One run of tb by a tier: 0 finished, 1 faulted, 2 aborted. */
static int ls_run(CPUX86State *env, TranslationBlock *tb, int tier)
{
    ls.tier = tier;
    ls.aborted = false;
    ls.st[tier].n = 0;
    env->lockstep_rec = 1;
    if (sigsetjmp(env->jmp_env, 0) != 0) {
        env->lockstep_rec = 0;
        jit_count_sync(env);        /* a fault in tier 1 code */
        return ls.aborted ? 2 : 1;
    }
    if (tier == 0) {
        x86_tb_run0(env, tb);
    } else {
        env->jit_end_count = 0;     /* leave at the end of this block */
        jit_run(env, tb);
    }
    env->lockstep_rec = 0;
    return 0;
}

/* The memory both runs left: equal?  The logs are usually the same
 * stores in the same order; otherwise compare byte by byte: what tier 1
 * left at tier 0's stores, then (tier 1's stores undone and tier 0's
 * redone) what tier 0 left at tier 1's.  Memory is then tier 0's, which
 * equals tier 1's wherever either stored when the answer is yes. */
static bool mem_same(void)
{
    LsLog *a = &ls.st[0], *b = &ls.st[1];
    stores_capture(b);
    ls.ram_is_t0 = false;
    if (a->n == b->n) {
        size_t i;
        for (i = 0; i < a->n; i++) {
            if (a->v[i].host != b->v[i].host || a->v[i].size != b->v[i].size ||
                memcmp(a->v[i].val, b->v[i].val, a->v[i].size)) {
                break;
            }
        }
        if (i == a->n) {
            return true;
        }
    }
    bool same = true;
    for (size_t i = 0; i < a->n; i++) {
        if (memcmp(a->v[i].host, a->v[i].fin, a->v[i].size)) {
            same = false;
        }
    }
    stores_undo(b);
    for (size_t i = 0; i < a->n; i++) {
        memcpy(a->v[i].host, a->v[i].val, a->v[i].size);
    }
    ls.ram_is_t0 = true;
    for (size_t i = 0; i < b->n; i++) {
        if (memcmp(b->v[i].host, b->v[i].fin, b->v[i].size)) {
            same = false;
        }
    }
    return same;
}

static void print_line(void *opaque, const char *line)
{
    fprintf(stderr, "  %s\n", line);
}

static void print_bytes(char *buf, size_t size, const uint8_t *p, unsigned n)
{
    size_t o = 0;
    for (unsigned i = 0; i < n && o + 3 < size; i++) {
        o += snprintf(buf + o, size - o, "%02x", p[i]);
    }
}

/* The first divergence: everything needed to see it, on stderr; exit 1. */
static void __attribute__((noreturn)) report(CPUX86State *env, TranslationBlock *tb,
                                             const LsState *before, const LsState *s0,
                                             const LsState *s1, int r0, int r1)
{
    uint16_t cs;
    memcpy(&cs, before->prefix + offsetof(CPUX86State, segs[R_CS].selector), sizeof(cs));
    ls.divergences++;
    fprintf(stderr, "lockstep: divergence in the block at %04x:%0*llx (linear %#llx, "
            "flags %#x, %u instructions)\n", cs, (tb->flags & HF_LMA) ? 16 : 8,
            (unsigned long long)tb->eip0,
            (unsigned long long)tb->pc_lin, tb->flags, tb->n_insns);
    static const char *const how[3] = { "ran to its end", "faulted", "aborted" };
    fprintf(stderr, "  tier 0 %s, tier 1 %s%s%s\n", how[r0], how[r1],
            r1 == 2 ? ": " : "", r1 == 2 ? ls.why : "");
    fprintf(stderr, "  %-16s %-34s %-34s %s\n", "field", "before", "tier 0", "tier 1");
    for (unsigned i = 0; i < nfields; i++) {
        const LsField *f = &fields[i];
        bool diff = field_differs(s0, s1, f);
        /* the registers, flags and exception always; the rest if they differ */
        if (!diff && i >= 22 && !f->tail) {
            continue;
        }
        const char *mark = !diff ? " " : f->lazy ? "~" : "*";
        char b[48], t0[48], t1[48];
        field_fmt(before, f, b, sizeof(b));
        field_fmt(s0, f, t0, sizeof(t0));
        field_fmt(s1, f, t1, sizeof(t1));
        fprintf(stderr, "%s %-16s %-34s %-34s %s\n", mark, f->name, b, t0, t1);
    }
    /* memory: each tier's stores, and what each tier left there: the
     * logs' fin, RAM, or (where the other tier did not store) what was
     * there before */
    LsLog *a = &ls.st[0], *bl = &ls.st[1];
    fprintf(stderr, "  memory: %zu store(s) in tier 0, %zu in tier 1\n", a->n, bl->n);
    unsigned shown = 0;
    for (int t = 0; t < 2 && shown < 32; t++) {
        LsLog *l = t ? bl : a;
        for (size_t i = 0; i < l->n && shown < 32; i++) {
            const LsStore *s = &l->v[i];
            uint8_t mine[8], other[8];
            LsLog *ol = t ? a : bl;
            memcpy(mine, s->fin, s->size);
            if (ls.ram_is_t0 == (t == 1)) {
                memcpy(other, s->host, s->size);
            } else {
                memcpy(other, s->old, s->size);
                for (size_t j = 0; j < ol->n; j++) {
                    if (ol->v[j].host == s->host && ol->v[j].size == s->size) {
                        memcpy(other, ol->v[j].fin, s->size);
                    }
                }
            }
            const uint8_t *m0 = t ? other : mine, *m1 = t ? mine : other;
            bool diff = memcmp(m0, m1, s->size) != 0;
            if (!diff && shown >= 8) {
                continue;
            }
            char x0[20], x1[20], xo[20];
            print_bytes(xo, sizeof(xo), s->old, s->size);
            print_bytes(x0, sizeof(x0), m0, s->size);
            print_bytes(x1, sizeof(x1), m1, s->size);
            fprintf(stderr, "%s tier %d stored %u byte(s) at %s %#llx: was %s, tier 0 left %s, "
                    "tier 1 left %s\n", diff ? "*" : " ", t, s->size, s->phys ? "physical" : "linear",
                    (unsigned long long)s->la, xo, x0, x1);
            shown++;
        }
    }
    fprintf(stderr, "  guest code:\n");
    x86_tb_disas(tb, print_line, NULL);
    fprintf(stderr, "  host code (tier 1):\n");
    jit_disas(tb, print_line, NULL);
    fprintf(stderr, "lockstep: divergence\n");
    fflush(stderr);
    exit(1);
}

void lockstep_block(CPUX86State *env, TranslationBlock *tb)
{
    static LsState before, s0, s1;
    sigjmp_buf outer;

    if (!tb->jit_entry) {
        bool locked = bql_lock_if_needed();
        jit_translate(env, tb);
        bql_unlock_if(locked);
        if (!tb->jit_entry) {
            count_skip("code cache being recycled");
            x86_tb_run0(env, tb);
            return;
        }
    }
    memcpy(outer, env->jmp_env, sizeof(outer));
    ls_save(env, &before);
    tlb_log_reset();

    int r0 = ls_run(env, tb, 0);
    if (r0 == 2) {
        /* a side effect ahead: back to the start, and run it for real */
        stores_undo(&ls.st[0]);
        tlb_restore(env);
        ls_load(env, &before);
        memcpy(env->jmp_env, outer, sizeof(outer));
        count_skip(ls.why);
        env->jit_end_count = 0;
        jit_run(env, tb);
        return;
    }
    ls_save(env, &s0);
    stores_capture(&ls.st[0]);
    stores_undo(&ls.st[0]);
    tlb_restore(env);
    ls_load(env, &before);

    int r1 = ls_run(env, tb, 1);
    ls_save(env, &s1);
    memcpy(env->jmp_env, outer, sizeof(outer));
    bool same = r0 == r1;
    if (same && memcmp(s0.prefix, s1.prefix, LS_PREFIX)) {
        /* padding can differ (structs assigned whole): field by field */
        for (unsigned i = 0; i < nfields && same; i++) {
            same = !field_diverges(&s0, &s1, &fields[i]);
        }
    }
    for (unsigned i = 0; i < nfields && same; i++) {
        if (fields[i].tail) {
            same = !field_diverges(&s0, &s1, &fields[i]);
        }
    }
    if (r1 == 2) {
        /* tier 1 met a side effect tier 0 did not: undo and report */
        stores_capture(&ls.st[1]);
        same = false;
    }
    if (!mem_same() || !same) {
        report(env, tb, &before, &s0, &s1, r0, r1);
    }
    ls.compared++;
    if (r1 == 1) {
        siglongjmp(env->jmp_env, 1);     /* the fault both raised: deliver it */
    }
}

static void summary(GString *out)
{
    g_string_append_printf(out, "lockstep: %llu blocks compared, %llu skipped, %llu divergence%s",
                           (unsigned long long)ls.compared, (unsigned long long)ls.skipped,
                           (unsigned long long)ls.divergences, ls.divergences == 1 ? "" : "s");
    if (ls.nskips) {
        g_string_append(out, " (skipped:");
        for (unsigned i = 0; i < ls.nskips; i++) {
            g_string_append_printf(out, "%s %llu %s", i ? "," : "",
                                   (unsigned long long)ls.skips[i].n, ls.skips[i].why);
        }
        g_string_append(out, ")");
    }
    g_string_append(out, "\n");
}

static void ls_atexit(void)
{
    if (!ls.compared && !ls.skipped && !ls.divergences) {
        return;     /* no guest code ran (e.g. an error in the options) */
    }
    GString *s = g_string_new(NULL);
    summary(s);
    fputs(s->str, stderr);
    fflush(stderr);
    g_string_free(s, TRUE);
}

void lockstep_info(GString *out)
{
    if (lockstep_on) {
        summary(out);
    }
}

void lockstep_enable(void)
{
    if (lockstep_on) {
        return;
    }
    lockstep_on = true;
    fields_init();
    memory_dispatch_guard = ls_dispatch_guard;
    atexit(ls_atexit);
}
