/*
 * System Management Mode (Intel SDM vol. 3, ch. 34): SMI delivery, the
 * state save area in SMRAM, and RSM.
 *
 * The save-state map is the one QEMU's CPUs write, because firmware made
 * for QEMU (SeaBIOS, src/fw/smm.c) reads and patches it by offset: CPUs
 * with long mode use the AMD64 layout (revision ID 0x00020064), the others
 * the 32-bit layout (0x00020000).  Revision bit 17 says SMBASE relocation
 * is supported, so RSM always reloads SMBASE from the map.  The map lies
 * at SMBASE + 0x8000 + 0x7e00 .. 0x7fff and the handler starts at SMBASE +
 * 0x8000, in the CPU's SMM view of memory (cpu->smm_as, where the chipset
 * shows SMRAM).  Its addresses are 32-bit and wrap at 4 GiB, as the
 * handler's own code addresses (CS base SMBASE, EIP 0x8000) do.
 *
 * A segment's attributes are saved as a 16-bit word: descriptor bits
 * 8..15 (type, S, DPL, P) in its low byte, bits 20..23 (AVL, L, D/B, G)
 * in its high nibble.
 *
 * The guest owns SMRAM, so RSM checks what it reloads (SDM 34.3.2: CR0 and
 * CR4 combinations, plus what long mode needs) and enters shutdown,
 * which resets the machine, instead of loading a state the CPU could not
 * be in.
 *
 * Not modelled: auto HALT restart and I/O instruction restart (RSM
 * resumes after a HLT the SMI interrupted, as on QEMU), the SMM MSRs
 * (IA32_SMBASE, SMRR), SMM-transfer monitors.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/core/memory.h"
#include "system/cpus.h"
#include "target/x86/debug.h"
#include "target/x86/helper.h"
#include "accel/tcg/lockstep.h"
#include "util/log.h"

#define SMM_REV_AMD64   0x00020064u
#define SMM_REV_LEGACY  0x00020000u
#define SMM_HANDLER     0x8000u     /* entry EIP; the map's offsets count from here too */

/* segment caches in the map: the six segment registers, then these */
#define SEG_LDT 6
#define SEG_TR  7

/* Everything either map holds. */
typedef struct SMMSave {
    uint64_t regs[16];
    uint64_t rip;
    uint64_t rflags;
    uint64_t cr0, cr3, cr4, efer;
    uint64_t dr6, dr7;
    SegmentCache seg[8];        /* ES..GS, LDTR, TR */
    DescTable gdt, idt;
    uint64_t revision, smbase;
} SMMSave;

typedef enum {
    F_REG, F_RIP, F_RFLAGS, F_CR0, F_CR3, F_CR4, F_EFER, F_DR6, F_DR7,
    F_SEL, F_ATTR, F_LIMIT, F_BASE, F_GDT_BASE, F_GDT_LIMIT, F_IDT_BASE, F_IDT_LIMIT,
    F_REVISION, F_SMBASE,
} FieldKind;

/* One field of a map: its offset from SMBASE + 0x8000, its size in bytes,
 * what it holds, and which register (or segment) of that kind. */
typedef struct SMMField {
    uint16_t off;
    uint8_t size, kind, idx;
} SMMField;

/* The AMD64 map (revision 0x00020064). */
#define A64_SEG(i, o) { (o), 2, F_SEL, (i) }, { (o) + 2, 2, F_ATTR, (i) }, \
                      { (o) + 4, 4, F_LIMIT, (i) }, { (o) + 8, 8, F_BASE, (i) }
#define A64_REG(i) { 0x7ff8 - 8 * (i), 8, F_REG, (i) }
static const SMMField map_amd64[] = {
    A64_SEG(R_ES, 0x7e00), A64_SEG(R_CS, 0x7e10), A64_SEG(R_SS, 0x7e20),
    A64_SEG(R_DS, 0x7e30), A64_SEG(R_FS, 0x7e40), A64_SEG(R_GS, 0x7e50),
    { 0x7e64, 4, F_GDT_LIMIT, 0 }, { 0x7e68, 8, F_GDT_BASE, 0 },
    A64_SEG(SEG_LDT, 0x7e70),
    { 0x7e84, 4, F_IDT_LIMIT, 0 }, { 0x7e88, 8, F_IDT_BASE, 0 },
    A64_SEG(SEG_TR, 0x7e90),
    { 0x7ed0, 8, F_EFER, 0 },
    { 0x7efc, 4, F_REVISION, 0 }, { 0x7f00, 4, F_SMBASE, 0 },
    { 0x7f48, 4, F_CR4, 0 }, { 0x7f50, 8, F_CR3, 0 }, { 0x7f58, 4, F_CR0, 0 },
    { 0x7f60, 4, F_DR7, 0 }, { 0x7f68, 4, F_DR6, 0 },
    { 0x7f70, 4, F_RFLAGS, 0 }, { 0x7f78, 8, F_RIP, 0 },
    /* RAX at 0x7ff8 down to R15 at 0x7f80, in encoding order */
    A64_REG(0), A64_REG(1), A64_REG(2), A64_REG(3), A64_REG(4), A64_REG(5), A64_REG(6),
    A64_REG(7), A64_REG(8), A64_REG(9), A64_REG(10), A64_REG(11), A64_REG(12), A64_REG(13),
    A64_REG(14), A64_REG(15),
};

/* The 32-bit map (revision 0x00020000): every field is 4 bytes. */
#define L32_DESC(i, o) { (o), 4, F_ATTR, (i) }, { (o) + 4, 4, F_LIMIT, (i) }, \
                       { (o) + 8, 4, F_BASE, (i) }
#define L32_SEL(i, o) { (o), 4, F_SEL, (i) }
#define L32_REG(i) { 0x7fd0 + 4 * (i), 4, F_REG, (i) }
static const SMMField map_legacy[] = {
    { 0x7ef8, 4, F_SMBASE, 0 }, { 0x7efc, 4, F_REVISION, 0 },
    { 0x7f14, 4, F_CR4, 0 },
    L32_DESC(R_DS, 0x7f2c), L32_DESC(R_FS, 0x7f38), L32_DESC(R_GS, 0x7f44),
    { 0x7f54, 4, F_IDT_LIMIT, 0 }, { 0x7f58, 4, F_IDT_BASE, 0 },
    L32_DESC(SEG_TR, 0x7f5c),
    { 0x7f70, 4, F_GDT_LIMIT, 0 }, { 0x7f74, 4, F_GDT_BASE, 0 },
    L32_DESC(SEG_LDT, 0x7f78),
    L32_DESC(R_ES, 0x7f84), L32_DESC(R_CS, 0x7f90), L32_DESC(R_SS, 0x7f9c),
    L32_SEL(R_ES, 0x7fa8), L32_SEL(R_CS, 0x7fac), L32_SEL(R_SS, 0x7fb0),
    L32_SEL(R_DS, 0x7fb4), L32_SEL(R_FS, 0x7fb8), L32_SEL(R_GS, 0x7fbc),
    L32_SEL(SEG_LDT, 0x7fc0), L32_SEL(SEG_TR, 0x7fc4),
    { 0x7fc8, 4, F_DR7, 0 }, { 0x7fcc, 4, F_DR6, 0 },
    /* EAX at 0x7fd0 up to EDI at 0x7fec, in encoding order */
    L32_REG(0), L32_REG(1), L32_REG(2), L32_REG(3), L32_REG(4), L32_REG(5), L32_REG(6),
    L32_REG(7),
    { 0x7ff0, 4, F_RIP, 0 }, { 0x7ff4, 4, F_RFLAGS, 0 },
    { 0x7ff8, 4, F_CR3, 0 }, { 0x7ffc, 4, F_CR0, 0 },
};

static bool smm_amd64(const CPUX86State *env)
{
    return env->cpuid_ext2_features & CPUID_EXT2_LM;
}

static void smm_map(const CPUX86State *env, const SMMField **map, size_t *n)
{
    if (smm_amd64(env)) {
        *map = map_amd64;
        *n = sizeof(map_amd64) / sizeof(map_amd64[0]);
    } else {
        *map = map_legacy;
        *n = sizeof(map_legacy) / sizeof(map_legacy[0]);
    }
}

static uint64_t *field_ptr(SMMSave *st, const SMMField *f)
{
    switch (f->kind) {
    case F_REG: return &st->regs[f->idx];
    case F_RIP: return &st->rip;
    case F_RFLAGS: return &st->rflags;
    case F_CR0: return &st->cr0;
    case F_CR3: return &st->cr3;
    case F_CR4: return &st->cr4;
    case F_EFER: return &st->efer;
    case F_DR6: return &st->dr6;
    case F_DR7: return &st->dr7;
    case F_BASE: return &st->seg[f->idx].base;
    case F_GDT_BASE: return &st->gdt.base;
    case F_IDT_BASE: return &st->idt.base;
    case F_REVISION: return &st->revision;
    case F_SMBASE: return &st->smbase;
    default: return NULL;       /* the narrower fields below */
    }
}

static uint64_t field_get(SMMSave *st, const SMMField *f)
{
    uint64_t *p = field_ptr(st, f);
    if (p) {
        return *p;
    }
    const SegmentCache *s = &st->seg[f->idx];
    switch (f->kind) {
    case F_SEL: return s->selector;
    case F_ATTR: return (s->flags >> 8) & 0xf0ff;
    case F_LIMIT: return s->limit;
    case F_GDT_LIMIT: return st->gdt.limit;
    case F_IDT_LIMIT: return st->idt.limit;
    default: return 0;
    }
}

static void field_set(SMMSave *st, const SMMField *f, uint64_t v)
{
    uint64_t *p = field_ptr(st, f);
    if (p) {
        *p = v;
        return;
    }
    SegmentCache *s = &st->seg[f->idx];
    switch (f->kind) {
    case F_SEL: s->selector = (uint16_t)v; break;
    case F_ATTR: s->flags = (uint32_t)(v & 0xf0ff) << 8; break;
    case F_LIMIT: s->limit = (uint32_t)v; break;
    case F_GDT_LIMIT: st->gdt.limit = (uint32_t)v & 0xffff; break;
    case F_IDT_LIMIT: st->idt.limit = (uint32_t)v & 0xffff; break;
    default: break;
    }
}

/* The map's field at off, as SMRAM holds it (32-bit addresses wrap). */
static hwaddr smm_addr(const CPUX86State *env, uint32_t off)
{
    return (uint32_t)(env->smbase + SMM_HANDLER + off);
}

static void smm_store(CPUX86State *env, SMMSave *st)
{
    const SMMField *map;
    size_t n;
    smm_map(env, &map, &n);
    for (size_t i = 0; i < n; i++) {
        address_space_st(env->smm_as, smm_addr(env, map[i].off), field_get(st, &map[i]),
                         map[i].size);
    }
}

static void smm_load(CPUX86State *env, SMMSave *st)
{
    const SMMField *map;
    size_t n;
    memset(st, 0, sizeof(*st));
    smm_map(env, &map, &n);
    for (size_t i = 0; i < n; i++) {
        field_set(st, &map[i], address_space_ld(env->smm_as, smm_addr(env, map[i].off),
                                                map[i].size));
    }
}

static void smm_log_line(void *opaque, const char *line)
{
    log_printf("%s\n", line);
}

/* "SMM: enter" / "SMM: after RSM" and the CPU state, as QEMU's -d int */
static void smm_log(CPUX86State *env, const char *what)
{
    if (log_enabled(LOG_INT)) {
        log_printf("SMM: %s\n", what);
        x86_cpu_dump_state(env, smm_log_line, NULL);
    }
}

void x86_cpu_smi(X86CPU *cpu)
{
    if (!cpu->smm_as) {
        vlog(LOG_UNIMP, "SMI to CPU %d dropped: the machine has no SMM (-machine smm=off)\n",
             cpu->cpu_index);
        return;
    }
    __atomic_fetch_or(&cpu->interrupt_request, CPU_INTERRUPT_SMI, __ATOMIC_SEQ_CST);
    if (x86_cpu_notify) {
        x86_cpu_notify(cpu);
    }
}

void do_smm_enter(CPUX86State *env)
{
    SMMSave st;
    if (!env->smm_as) {
        return;                     /* no SMM: x86_cpu_smi dropped the SMI already */
    }
    smm_log(env, "enter");
    memcpy(st.regs, env->regs, sizeof(st.regs));
    st.rip = env->eip;
    st.rflags = cpu_compute_eflags(env);
    st.cr0 = env->cr[0];
    st.cr3 = env->cr[3];
    st.cr4 = env->cr[4];
    st.efer = env->efer;
    st.dr6 = env->dr[6];
    st.dr7 = env->dr[7];
    memcpy(st.seg, env->segs, sizeof(env->segs));
    st.seg[SEG_LDT] = env->ldt;
    st.seg[SEG_TR] = env->tr;
    st.gdt = env->gdt;
    st.idt = env->idt;
    st.revision = smm_amd64(env) ? SMM_REV_AMD64 : SMM_REV_LEGACY;
    st.smbase = (uint32_t)env->smbase;
    /* the memory map and the translated-code cache are the BQL's */
    bool locked = bql_lock_if_needed();
    smm_store(env, &st);
    bql_unlock_if(locked);

    /* NMIs wait for RSM (SDM 34.8); RSM unblocks them only if they were
     * not blocked already */
    env->smm_nmi_blocked = env->hflags & HF_NMI_MASK;
    env->hflags |= HF_SMM | HF_NMI_MASK;
    env->hflags &= ~(HF_HALTED | HF_INHIBIT_IRQ | HF_MOVSS);

    /* the entry state (SDM table 34-4) */
    if (smm_amd64(env)) {
        env->efer = 0;
    }
    cpu_load_eflags(env, 0, ~0u);
    env->eip = SMM_HANDLER;
    env->cr[0] &= ~(uint64_t)(CR0_PE | CR0_EM | CR0_TS | CR0_PG);
    env->cr[4] = 0;
    env->dr[7] = 0x400;
    x86_dr_update(env);
    const uint32_t data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | DESC_G_MASK;
    for (int i = 0; i < 6; i++) {
        SegmentCache *s = &env->segs[i];
        s->selector = 0;
        s->base = 0;
        s->limit = 0xffffffff;
        s->flags = data;
    }
    env->segs[R_CS].selector = (env->smbase >> 4) & 0xffff;
    env->segs[R_CS].base = (uint32_t)env->smbase;
    env->segs[R_CS].flags = data | DESC_CS_MASK | DESC_R_MASK;
    cpu_update_hflags(env);         /* real-address mode: CPL 0, no LMA */
    tlb_flush(env);                 /* physical addresses now see SMRAM */
}

/* Why the saved state cannot be loaded (SDM 34.3.2), or NULL. */
static const char *smm_invalid(CPUX86State *env, const SMMSave *st)
{
    uint64_t cr0 = st->cr0;
    if ((cr0 & CR0_PG) && !(cr0 & CR0_PE)) {
        return "CR0.PG set without CR0.PE";
    }
    if ((cr0 & CR0_NW) && !(cr0 & CR0_CD)) {
        return "CR0.NW set without CR0.CD";
    }
    if (st->cr4 & ~(uint64_t)cpu_cr4_allowed(env)) {
        return "reserved CR4 bits set";
    }
    if ((st->rflags & VM_MASK) && !(cr0 & CR0_PE)) {
        return "EFLAGS.VM without CR0.PE";
    }
    if (!smm_amd64(env)) {
        return NULL;
    }
    if (st->efer & ~(cpu_efer_allowed(env) | EFER_LMA)) {
        return "reserved EFER bits set";
    }
    if ((st->efer & EFER_LME) && (cr0 & CR0_PG)) {
        if (!(st->cr4 & CR4_PAE)) {
            return "long mode without CR4.PAE";
        }
        if (st->cr3 >> x86_maxphyaddr(env)) {
            return "long-mode CR3 beyond MAXPHYADDR";
        }
        if (st->rflags & VM_MASK) {
            return "EFLAGS.VM in long mode";
        }
        uint32_t cs = st->seg[R_CS].flags;
        if ((cs & DESC_L_MASK) && (cs & DESC_B_MASK)) {
            return "CS with both L and D/B set";
        }
    }
    return NULL;
}

void helper_rsm(CPUX86State *env)
{
    SMMSave st;
    lockstep_check(env, "RSM");
    bool locked = bql_lock_if_needed();
    smm_load(env, &st);
    bql_unlock_if(locked);
    const char *why = smm_invalid(env, &st);
    if (why) {
        vlog(LOG_INT | LOG_GUEST_ERRORS, "RSM: invalid state in SMRAM (%s): shutdown\n", why);
        raise_exception(env, EXCP_SHUTDOWN);
    }

    bool amd64 = smm_amd64(env);
    if (amd64) {
        uint64_t efer = st.efer & ~(uint64_t)EFER_LMA;
        if ((efer & EFER_LME) && (st.cr0 & CR0_PG)) {
            efer |= EFER_LMA;
        }
        env->efer = efer;
    }
    bool lma = env->efer & EFER_LMA;
    uint64_t wide = lma ? ~0ull : 0xffffffffull;   /* 64-bit bases and CR3 in long mode only */
    env->cr[0] = (uint32_t)st.cr0 | CR0_ET;
    env->cr[3] = st.cr3 & wide;
    env->cr[4] = (uint32_t)st.cr4;
    memcpy(env->regs, st.regs, (amd64 ? 16 : 8) * sizeof(env->regs[0]));
    for (int i = 0; i < 6; i++) {
        env->segs[i] = st.seg[i];
        env->segs[i].base &= wide;
    }
    env->ldt = st.seg[SEG_LDT];
    env->ldt.base &= wide;
    env->tr = st.seg[SEG_TR];
    env->tr.base &= wide;
    env->gdt.base = st.gdt.base & wide;
    env->gdt.limit = st.gdt.limit;
    env->idt.base = st.idt.base & wide;
    env->idt.limit = st.idt.limit;
    bool code64 = lma && (env->segs[R_CS].flags & DESC_L_MASK);
    env->eip = code64 ? st.rip : (uint32_t)st.rip;
    cpu_load_eflags(env, (uint32_t)st.rflags, ~0u);
    env->dr[6] = (uint32_t)st.dr6 | 0xffff0ff0;
    env->dr[7] = ((uint32_t)st.dr7 & ~0xd000u) | 0x400;
    x86_dr_update(env);
    env->smbase = (uint32_t)st.smbase;      /* relocation: revision bit 17 */

    /* NMIs blocked before the SMI are blocked after RSM, the others are
     * not (SDM 34.8), whatever an IRET in the handler did meanwhile */
    uint32_t h = env->hflags & ~(HF_SMM | HF_CPL_MASK | HF_NMI_MASK);
    if (env->smm_nmi_blocked) {
        h |= HF_NMI_MASK;
    }
    env->smm_nmi_blocked = false;
    /* the CPL is SS.DPL in protected mode (cpu_update_hflags makes it 3 in
     * virtual-8086 mode and 0 in real mode) */
    h |= (env->segs[R_SS].flags >> DESC_DPL_SHIFT) & 3;
    env->hflags = h;
    cpu_update_hflags(env);
    tlb_flush(env);                 /* SMRAM is out of sight again */
    smm_log(env, "after RSM");
}
