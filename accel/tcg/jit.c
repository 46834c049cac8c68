/*
 * Tier 1: translation blocks as x86-64 host code (see jit.h).
 *
 * Register use in translated code: RBX holds env (callee-saved, so every
 * handler keeps it); R12 holds a value across a call (a condition);
 * RBP, R13, R14, R15, R10 and R11 cache guest registers (see "register
 * cache" below); RAX, RCX, RDX, RSI, RDI, R8 and R9 are scratch.  The
 * code is entered through a trampoline at the start of the cache, which
 * saves the callee-saved ones and jumps to the block, and leaves through
 * its epilogue with RAX = the
 * JitSlot of an unchained exit or 0.  A guest fault longjmps out of a
 * handler to x86_cpu_exec's landing pad, which restores RBX with the rest.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1       /* mremap */
#endif
#include "accel/tcg/jit.h"
#include "accel/tcg/lockstep.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "system/cpus.h"
#include "target/x86/debug.h"
#include "target/x86/disas.h"
#include "target/x86/flags.h"
#include "target/x86/ops.h"
#include "util/error.h"
#include "util/log.h"

#if defined(__x86_64__) && defined(__linux__)
#define JIT_HOST_OK 1
#else
#define JIT_HOST_OK 0
#endif

/* translated after this many runs in tier 0 with tier=auto: code that runs
 * once (firmware, init) is not worth the emission */
#define JIT_AUTO_THRESHOLD 32

static int jit_tier = JIT_TIER_AUTO;
static uint64_t jit_cache_size = 256ull << 20;
static bool jit_perfmap;
static bool jit_inline = true;          /* VIREO_JIT_NOINLINE=1: calls only (debugging) */
static bool jit_sites = true;           /* VIREO_JIT_NOSITES=1: loads check the TLB only */
static unsigned site_next[2];           /* the next JitSite a translated load gets, per mmu index */
/* VIREO_JIT_INJECT=add: a deliberate miscompile, for testing the lockstep
 * checker (accel/tcg/lockstep.c): the inline 32/64-bit ADD flips bit 0 of
 * its result.  A debugging and test aid; never set otherwise. */
enum { INJECT_NONE, INJECT_ADD };
static int jit_inject;
unsigned jit_threshold;

static uint8_t *code_rw, *code_rx;      /* two views of the same memory */
static size_t code_used;
/* The writable view maps only the code still being written: each time
 * the writing passes another RW_DROP_CHUNK, the view's pages below are
 * unmapped (MADV_DONTNEED keeps a shared mapping's contents), so that
 * the resident code is counted once in the RSS, not once per view.
 * Patching a jump maps its page back until the next time. */
#define RW_DROP_CHUNK (256u << 10)
static size_t rw_dropped;
static uint8_t *epilogue_rx;
static uintptr_t (*jit_enter)(CPUX86State *env, const uint8_t *code);
static bool flush_pending;              /* cache full: dropped, waiting for the vCPUs */
static uint64_t flush_epoch;
static FILE *perfmap_file;

/* statistics (BQL) */
static uint64_t stat_translated, stat_bytes, stat_ns, stat_flushes, stat_patched;

void jit_set_tier(int tier)
{
    jit_tier = tier;
}

void jit_set_tb_size_mb(uint64_t mb)
{
    jit_cache_size = mb << 20;
}

void jit_set_perfmap(bool on)
{
    jit_perfmap = on;
}

/* ---- emitter ---- */

/*
 * TLB groups.  Accesses [g + disp] of one block through one base register
 * g that nothing between them writes (group_plan) are one group when
 * their displacements span at most GRP_SPAN bytes.  The first of them
 * tier 1 emits inline, the leader, checks the TLB once for the whole span
 * [g + dmin, g + dend) -- one page, mapped for reading, and for writing
 * too if a member stores -- and keeps the host address of g + dmin in
 * env->jit_grp[slot]; the others, followers, take theirs from it with no
 * lookup.  A leader whose check fails writes 0 there and checks its own
 * access alone; a follower that finds 0 does the same (TlbAlt, out of
 * the straight line).  A handler call ends every group: the next member
 * leads again.  The mapping a follower uses is one the TLB held earlier
 * in the block, as an x86 TLB may keep a translation until INVLPG or a
 * CR3 write (handlers: they end the groups).
 */
#define GRP_SLOTS G_N_ELEMENTS(((CPUX86State *)0)->jit_grp)
#define GRP_SPAN 256
typedef struct Group {
    int32_t dmin, dend;     /* the span, from g */
    bool store;             /* a member writes: the leader checks writing too */
    int8_t slot;            /* env->jit_grp[slot], or -1: no group */
    uint32_t first, last;   /* member instructions */
    unsigned n;
    bool live;              /* emitting: a leader's check was emitted since the last handler call */
} Group;

/* the out-of-line way of a group member (the leader's failed check, a
 * follower's 0): the TLB check of its own access alone, then back to
 * join with RAX = its host address, or on into the slow path */
typedef struct TlbAlt {
    uint8_t *from[2];       /* rel32 branches into it */
    unsigned nfrom;
    uint8_t *join;
    int zero_slot;          /* a leader's: the slot it clears first, else -1 */
    unsigned size;
    bool store;
    size_t tlb;             /* env offset of the TLB of the block's mmu index */
    size_t site;            /* a load site's entry (env offset) the check fills, or 0 */
    int seg;                /* R_FS, R_GS: its base is added to RDX first */
    /* a loads-only group's leader with a load site (lsite != 0): its
     * site's miss (lsite_from) checks the group's span (lspan bytes from
     * RDX + loff) in the TLB, fills the site and goes back to lsite_join;
     * a TLB miss there goes on as a failed leader */
    size_t lsite;
    uint8_t *lsite_from, *lsite_join;
    unsigned lspan;
    int32_t loff;
} TlbAlt;

/* A memory access's slow path, emitted after the block body (the fast
 * path stays a straight line): what to call and where to resume. */
#define SLOW_FROM 6
typedef struct SlowPath {
    uint8_t *from[SLOW_FROM];   /* rel32 branches into it */
    const DecodedInsn *d;       /* run the whole instruction through its handler */
    int setcc;                  /* with d: then set R8B to this condition (a fused Jcc), or -1 */
    unsigned nfrom;
    uint8_t *resume;
    uint64_t eip, next;
    uint64_t done_eip;  /* EIP once the instruction completes (CALL: its target) */
    bool push;          /* the instruction then takes 8 from RSP (PUSH, CALL) */
    bool done_r12;      /* EIP once it completes is in R12 (CALL r/m64) */
    int seg, ot, sreg;
    bool store;
    unsigned pending;   /* retired instructions not yet in instr_count */
    uint16_t reload;    /* cached guest registers to reload before resuming */
    uint16_t dirty;     /* cached guest registers newer than env where it branches off */
    /* the INC/DEC before this instruction left its record to this path
     * (dead_flags' fdefer): CC_OP_INCB.. of guest register defer_reg */
    bool defer;
    int defer_op, defer_reg;
    TlbAlt alt;         /* a TLB group member's own check, before all that */
    uint8_t to_reg;     /* a load into a cached register: 1 + its host register, else 0 */
} SlowPath;

typedef struct Emit {
    uint8_t *p;         /* writable view */
    ptrdiff_t rx_off;   /* executable address = p + rx_off */
    unsigned pending;   /* retired instructions not yet added to instr_count */
    SlowPath *slow;     /* the block's slow paths, emitted after its body */
    unsigned nslow;
    bool fdead;         /* the flags the current instruction leaves are dead */
    int setcc;          /* emit_extra: also set R8B to this condition, or -1 */
    bool fused;         /* emit_extra: R8B holds the condition of this CMOVcc */
    int8_t gcache[16];  /* guest register -> the host register caching it, or -1 */
    uint16_t gloaded;   /* bit g: gcache[g] holds regs[g] here */
    uint16_t gdirty;    /* bit g: ... and env->regs[g] is older (not written back yet) */
    int cc_known;       /* the cc_op env holds here on every path, or -1 */
    int cc_spec;        /* the cc_op env held when the block was entered to be
                         * translated, while nothing in it has written the
                         * record yet (emit_cond bets on it), or -1 */
    bool out_of_line;   /* emitting slow paths: the cache state above is not theirs */
    bool sse_ok;        /* CR0.EM/TS clear and CR4.OSFXSR set, tested on every
                         * path to here since the last handler call (nothing
                         * else in a block changes CR0 or CR4) */
    Group *grps;        /* the block's TLB groups (group_plan) */
    unsigned ngrps;
    int grp_cur;        /* the group of the instruction being emitted, or -1 */
    int64_t grp_disp;   /* its displacement */
    bool grp_tok;       /* emit_ea computed its address into RDX and no TLB
                         * check has used it yet */
    bool sites;         /* loads use load sites (a block that loops on itself) */
} Emit;

static inline uint8_t *rx(const Emit *e, const uint8_t *p)
{
    return (uint8_t *)p + e->rx_off;
}

static void e8(Emit *e, uint8_t b)
{
    *e->p++ = b;
}

static void e32(Emit *e, uint32_t v)
{
    memcpy(e->p, &v, 4);
    e->p += 4;
}

static void e64(Emit *e, uint64_t v)
{
    memcpy(e->p, &v, 8);
    e->p += 8;
}

static bool fits32(int64_t v)
{
    return v == (int32_t)v;
}

/* modrm [rbx + disp32] with reg field r */
static void m_rbx(Emit *e, int r, size_t off)
{
    e8(e, 0x83 | (r << 3));
    e32(e, (uint32_t)off);
}

/* mov qword [rbx+off], imm */
static void st_q(Emit *e, size_t off, uint64_t v)
{
    if (fits32((int64_t)v)) {
        e8(e, 0x48); e8(e, 0xc7); m_rbx(e, 0, off); e32(e, (uint32_t)v);
    } else {
        e8(e, 0x48); e8(e, 0xb8); e64(e, v);            /* mov rax, imm64 */
        e8(e, 0x48); e8(e, 0x89); m_rbx(e, 0, off);     /* mov [rbx+off], rax */
    }
}

/* mov byte [rbx+off], imm8 */
static void st_b(Emit *e, size_t off, uint8_t v)
{
    e8(e, 0xc6); m_rbx(e, 0, off); e8(e, v);
}

/* inc qword [rbx+off] */
static void inc_q(Emit *e, size_t off)
{
    e8(e, 0x48); e8(e, 0xff); m_rbx(e, 0, off);
}

/*
 * The register cache.  Within a block, up to six guest registers live in
 * host registers (RBP, R13-R15, which calls keep, and R10/R11, which they
 * do not).  A host register is loaded on first use (never on a path that
 * can be skipped); a write goes to the host register only and marks it
 * dirty, and dirty registers are written back to env->regs before
 * anything reads them there: a handler call (every dirty one), a slow
 * path's call (those dirty where it branched off: a fault must see the
 * state), a call that clobbers R10/R11 (theirs), an 8/16-bit access
 * through env (that register's), and the block's exit (all).  A register
 * is forgotten when something else may have changed it: a handler, a
 * partial write through env, a call (R10/R11 only).
 */
enum { H_RAX = 0, H_RCX = 1, H_RDX = 2, H_RSI = 6, H_RDI = 7, H_R8 = 8, H_R9 = 9, H_R12 = 12 };
#define H_R10 10
#define H_R11 11
static const int8_t cache_hosts[] = { 13, 14, 15, 5, H_R10, H_R11, H_RDI };

/* a host register a C call clobbers: the guest register it caches is
 * written back before (call_fn, emit_env_arg) and reloaded after */
static bool host_scratch(int h)
{
    return h == H_R10 || h == H_R11 || h == H_RDI;
}

/* mov dst, src between host registers (w: 64 bits, else 32, zero-extending) */
static void mov_rr(Emit *e, int dst, int src, bool w)
{
    uint8_t rex = (w ? 8 : 0) | (src >= 8 ? 4 : 0) | (dst >= 8 ? 1 : 0);
    if (rex) {
        e8(e, 0x40 | rex);
    }
    e8(e, 0x89); e8(e, 0xc0 | ((src & 7) << 3) | (dst & 7));
}

/* 0F op2 reg, rm between host registers (w: 64 bits, else 32): IMUL,
 * CMOVcc */
static void op0f_rr(Emit *e, uint8_t op2, int reg, int rm, bool w)
{
    uint8_t rex = (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0);
    if (rex) {
        e8(e, 0x40 | rex);
    }
    e8(e, 0x0f); e8(e, op2); e8(e, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* op r, [rbx+off] for any host register r */
static void op_rmx(Emit *e, uint8_t opc, int r, size_t off, bool w)
{
    uint8_t rex = (w ? 8 : 0) | (r >= 8 ? 4 : 0);
    if (rex) {
        e8(e, 0x40 | rex);
    }
    e8(e, opc);
    m_rbx(e, r & 7, off);
}

#define REGOFF(r) (offsetof(CPUX86State, regs) + 8 * (size_t)(r))

/* The lazy-flag record: cc_op = op, cc_dst = RAX, cc_src and cc_src2 =
 * the host registers src and src2 (src -1: 0; -2: the caller stores
 * cc_src).  cc_src2 is only read for
 * ADC/SBB (their carry-in): other ops (src2 -1) leave it as it was; so is
 * cc_src for LOGIC, whose flags come from cc_dst alone (flags.h; tier 0
 * stores 0 there, and lockstep compares the EFLAGS a record gives). */
static void emit_cc_record_from(Emit *e, int op, int dst, int src, int src2)
{
    e->cc_known = op;
    e->cc_spec = -1;
    e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op)); e32(e, op);
    op_rmx(e, 0x89, dst, offsetof(CPUX86State, cc_dst), true);
    if (src == -1) {
        if (op < CC_OP_LOGICB || op > CC_OP_LOGICQ) {
            st_q(e, offsetof(CPUX86State, cc_src), 0);
        }
    } else if (src >= 0) {
        op_rmx(e, 0x89, src, offsetof(CPUX86State, cc_src), true);
    }
    if (src2 >= 0) {
        op_rmx(e, 0x89, src2, offsetof(CPUX86State, cc_src2), true);
    }
}

static void emit_cc_record(Emit *e, int op, int src, int src2)
{
    emit_cc_record_from(e, op, H_RAX, src, src2);
}

/* The arithmetic flags from host register h (CC_MASK bits only, R12D
 * or ECX) into env->eflags, the other bits kept, and the record
 * CC_OP_EFLAGS: instructions that set some flags and keep the rest
 * (ROL/ROR, BSF/BSR, BT) or set them all from the host's (COMIS) */
static void emit_eflags_set(Emit *e, int h)
{
    e8(e, 0x8b); m_rbx(e, H_RAX, offsetof(CPUX86State, eflags));            /* mov eax, eflags */
    e8(e, 0x25); e32(e, ~(uint32_t)CC_MASK);                                 /* and eax, ~CC_MASK */
    if (h >= 8) {
        e8(e, 0x44);
    }
    e8(e, 0x09); e8(e, 0xc0 | (h & 7) << 3);                                 /* or eax, h */
    e8(e, 0x89); m_rbx(e, H_RAX, offsetof(CPUX86State, eflags));
    e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op)); e32(e, CC_OP_EFLAGS);
    e->cc_known = -1;
    e->cc_spec = -1;
}

/* mov [rbx+regs[g]], host register caching g, for each g in mask */
static void greg_write_back(Emit *e, uint16_t mask)
{
    for (int g = 0; g < 16; g++) {
        if (mask & (1u << g)) {
            op_rmx(e, 0x89, e->gcache[g], REGOFF(g), true);
        }
    }
}

/* env->regs up to date for the registers in mask (straight-line code) */
static void greg_flush(Emit *e, uint16_t mask)
{
    greg_write_back(e, e->gdirty & mask);
    e->gdirty &= ~mask;
}

static uint16_t scratch_mask(const Emit *e)
{
    uint16_t m = 0;
    for (int g = 0; g < 16; g++) {
        if (host_scratch(e->gcache[g])) {
            m |= 1u << g;
        }
    }
    return m;
}

static void greg_forget_scratch(Emit *e)
{
    for (int g = 0; g < 16; g++) {
        if (host_scratch(e->gcache[g])) {
            e->gloaded &= ~(1u << g);
        }
    }
}

/* regs[g] changed in env behind the cache (written back before, when a
 * partial write) */
static void greg_dirty(Emit *e, int g)
{
    e->gloaded &= ~(1u << g);
    e->gdirty &= ~(1u << g);
}

/* the cache of g loaded, if g is cached */
static void greg_ensure(Emit *e, int g)
{
    int h = e->gcache[g];
    if (h >= 0 && !(e->gloaded & (1u << g))) {
        op_rmx(e, 0x8b, h, REGOFF(g), true);
        e->gloaded |= 1u << g;
    }
}

/* host dst = guest g (w: 64 bits, else the low 32 zero-extended) */
static void greg_load(Emit *e, int dst, int g, bool w)
{
    if (e->gcache[g] >= 0) {
        greg_ensure(e, g);
        mov_rr(e, dst, e->gcache[g], w);
    } else {
        op_rmx(e, 0x8b, dst, REGOFF(g), w);
    }
}

/* guest g = host src (all 64 bits) */
static void greg_store(Emit *e, int src, int g)
{
    if (e->gcache[g] >= 0) {
        mov_rr(e, e->gcache[g], src, true);
        e->gloaded |= 1u << g;
        e->gdirty |= 1u << g;
    } else {
        op_rmx(e, 0x89, src, REGOFF(g), true);
    }
}

static int greg_in_host(Emit *e, int g, int fallback);

/* guest g = guest s (w: 64 bits, else the low 32 zero-extended): one
 * MOV between their cache registers when g is cached */
static void greg_mov(Emit *e, int g, int s, bool w)
{
    int hd = e->gcache[g];
    if (hd < 0) {
        greg_load(e, H_RAX, s, w);
        greg_store(e, H_RAX, g);
        return;
    }
    mov_rr(e, hd, greg_in_host(e, s, H_RAX), w);
    e->gloaded |= 1u << g;
    e->gdirty |= 1u << g;
}

/* the host register caching guest g, loaded (for an operation on it in
 * place, which the caller marks dirty), or -1 when g is not cached */
static int greg_inplace(Emit *e, int g)
{
    if (e->gcache[g] < 0) {
        return -1;
    }
    greg_ensure(e, g);
    return e->gcache[g];
}

/* add (imm > 0) or subtract a small constant to/from guest g */
static void greg_add8(Emit *e, int g, int imm)
{
    int ext = imm < 0 ? 5 : 0;
    uint8_t n = (uint8_t)(imm < 0 ? -imm : imm);
    int h = e->gcache[g];
    if (h < 0) {
        e8(e, 0x48); e8(e, 0x83); m_rbx(e, ext, REGOFF(g)); e8(e, n);
        return;
    }
    greg_ensure(e, g);
    e8(e, 0x48 | (h >= 8 ? 1 : 0)); e8(e, 0x83); e8(e, 0xc0 | (ext << 3) | (h & 7)); e8(e, n);
    e->gdirty |= 1u << g;
}

/* guest g = a constant */
static void greg_store_imm(Emit *e, int g, uint64_t v)
{
    int h = e->gcache[g];
    if (h < 0) {
        st_q(e, REGOFF(g), v);
        return;
    }
    e->gdirty |= 1u << g;
    if (v <= 0xffffffffu) {
        if (h >= 8) {
            e8(e, 0x41);
        }
        e8(e, 0xb8 | (h & 7)); e32(e, (uint32_t)v);                          /* mov r32, imm32 */
    } else if (fits32((int64_t)v)) {
        e8(e, 0x48 | (h >= 8 ? 1 : 0)); e8(e, 0xc7); e8(e, 0xc0 | (h & 7)); e32(e, (uint32_t)v);
    } else {
        e8(e, 0x48 | (h >= 8 ? 1 : 0)); e8(e, 0xb8 | (h & 7)); e64(e, v);   /* movabs */
    }
    e->gloaded |= 1u << g;
}

/* call a C function: rel32 when the cache is within reach, else via RAX.
 * In the block body, dirty R10/R11 are written back first (the call
 * clobbers them). */
static void call_fn(Emit *e, const void *fn)
{
    if (!e->out_of_line) {
        greg_flush(e, scratch_mask(e));
    }
    int64_t rel = (int64_t)((uintptr_t)fn - (uintptr_t)(rx(e, e->p) + 5));
    if (fits32(rel)) {
        e8(e, 0xe8); e32(e, (uint32_t)rel);
    } else {
        e8(e, 0x48); e8(e, 0xb8); e64(e, (uint64_t)(uintptr_t)fn);
        e8(e, 0xff); e8(e, 0xd0);
    }
    greg_forget_scratch(e);
}

/* RDI = env, a C call's first argument: in the block body the guest
 * register RDI caches is written back first (call_fn forgets it) */
static void emit_env_arg(Emit *e)
{
    if (!e->out_of_line) {
        greg_flush(e, scratch_mask(e));
    }
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xdf);                                   /* mov rdi, rbx */
}

/* R12D = the arithmetic flags as they are (cc_compute_all), for the
 * instructions that change some and keep the others */
static void emit_flags_to_r12(Emit *e)
{
    emit_env_arg(e);
    call_fn(e, (const void *)cc_compute_all);
    e8(e, 0x41); e8(e, 0x89); e8(e, 0xc4);                                   /* mov r12d, eax */
}

/* a rel32 branch to a later label: returns where to patch */
static uint8_t *jcc_fwd(Emit *e, uint8_t cc)
{
    e8(e, 0x0f); e8(e, 0x80 | cc);
    uint8_t *at = e->p;
    e32(e, 0);
    return at;
}

static void bind(Emit *e, uint8_t *at, const uint8_t *target_rw)
{
    int32_t rel = (int32_t)(target_rw - (at + 4));
    memcpy(at, &rel, 4);
}

static void jmp_rx(Emit *e, const uint8_t *target_rx)
{
    e8(e, 0xe9);
    e32(e, (uint32_t)(int32_t)(target_rx - (rx(e, e->p) + 4)));
}

#define CC_NE 0x5
#define CC_NS 0x9

/*
 * A block's entry looks at its dead byte (check_dead): the loop, the
 * inline probe of the jump cache and a guard jump there (they may hold a
 * block dropped meanwhile).  A chained jump
 * within a page and a loop block's way back to its head come in
 * JIT_ENTRY_CHAINED bytes later, past the look, because on this vCPU they
 * cannot reach a dropped block: jit_tb_retire sets the byte and unpatches
 * every slot linked to the block at once, under the chain lock, and a
 * block that drops itself (a store into its own code, a handler) looks at
 * its byte right after and leaves.  What remains is a race with another
 * thread (a vCPU or a DMA writing code) that drops the block while this
 * vCPU is on its way in: the vCPU runs the old translation once more, as
 * a CPU may run stale code until it serialises after cross-modifying
 * code; the code stays allocated until this vCPU is back in the loop (the
 * epochs), and the loop never runs it again.
 */
#define JIT_ENTRY_CHAINED 13

/* cmp byte [rip+dead], 0; jne exit (JIT_ENTRY_CHAINED bytes) */
static uint8_t *check_dead(Emit *e, const uint8_t *dead_rw)
{
    e8(e, 0x80); e8(e, 0x3d);
    e32(e, (uint32_t)(int32_t)(dead_rw - (e->p + 5)));
    e8(e, 0);
    return jcc_fwd(e, CC_NE);
}

/* ---- code cache ---- */

static void log_line(void *opaque, const char *line)
{
    log_printf("%s\n", line);
}

bool jit_init(GError **errp)
{
    if (jit_tier == JIT_TIER_0) {
        jit_threshold = 0;
        return true;
    }
    if (!JIT_HOST_OK) {
        if (jit_tier == JIT_TIER_1) {
            vireo_set_error(errp, "-accel tcg,tier=1: tier 1 translates to x86-64 Linux hosts only");
            return false;
        }
        jit_threshold = 0;
        return true;
    }
#if JIT_HOST_OK
    /* two views of the same shared anonymous memory: mremap with
     * old_size 0 maps the pages of a shared mapping a second time.  (Not
     * a memfd: perf takes a mapping named "memfd:..." for a file and
     * ignores -perfmap's /tmp/perf-PID.map for it; it reads the map for
     * shared anonymous memory, which the kernel names /dev/zero.) */
    const char *what = "mmap (writable view)";
    void *x = MAP_FAILED;
    void *w = mmap(NULL, jit_cache_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w != MAP_FAILED) {
        /* near the binary's text when possible, so handlers are a rel32
         * call away (a reservation there, replaced by the second view);
         * anywhere else works too (calls go through RAX) */
        uintptr_t hint = ((uintptr_t)&jit_init & ~(uintptr_t)0xfffff) - jit_cache_size - (64u << 20);
        void *r = mmap((void *)hint, jit_cache_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        what = "mremap (executable view)";
        x = r == MAP_FAILED ? mremap(w, 0, jit_cache_size, MREMAP_MAYMOVE)
                            : mremap(w, 0, jit_cache_size, MREMAP_MAYMOVE | MREMAP_FIXED, r);
        if (x == MAP_FAILED && r != MAP_FAILED) {
            munmap(r, jit_cache_size);
        }
        if (x != MAP_FAILED && mprotect(x, jit_cache_size, PROT_READ | PROT_EXEC) < 0) {
            what = "mprotect (executable view)";
            int e = errno;
            munmap(x, jit_cache_size);
            errno = e;
            x = MAP_FAILED;
        }
    }
    int err = errno;
    if (x == MAP_FAILED) {
        if (w != MAP_FAILED) {
            munmap(w, jit_cache_size);
        }
        if (jit_tier == JIT_TIER_1) {
            vireo_set_error(errp, "-accel tcg,tier=1: the host refuses executable memory for "
                            "translated code (%s: %s)", what, g_strerror(err));
            return false;
        }
        warn_report("tier 1 is off: the host refuses executable memory for translated code "
                    "(%s: %s); running tier 0", what, g_strerror(err));
        jit_threshold = 0;
        return true;
    }
    code_rw = w;
    code_rx = x;
    jit_inline = !g_getenv("VIREO_JIT_NOINLINE");
    jit_sites = !g_getenv("VIREO_JIT_NOSITES");
    const char *inject = g_getenv("VIREO_JIT_INJECT");
    if (inject && *inject) {
        if (strcmp(inject, "add")) {
            vireo_set_error(errp, "VIREO_JIT_INJECT=%s: unknown miscompile (add)", inject);
            munmap(w, jit_cache_size);
            munmap(x, jit_cache_size);
            code_rw = code_rx = NULL;
            return false;
        }
        jit_inject = INJECT_ADD;
        warn_report("VIREO_JIT_INJECT=add: tier 1 miscompiles ADD on purpose (a test aid)");
    }
    /* trampoline: push rbx, r12, r13, r14, r15, rbp; sub rsp, 8 (calls
     * from the code see an aligned stack); mov rbx, rdi; jmp rsi.
     * epilogue: add rsp, 8; the pops; ret */
    Emit e = { .p = code_rw, .rx_off = code_rx - code_rw };
    e8(&e, 0x53);
    e8(&e, 0x41); e8(&e, 0x54);
    e8(&e, 0x41); e8(&e, 0x55);
    e8(&e, 0x41); e8(&e, 0x56);
    e8(&e, 0x41); e8(&e, 0x57);
    e8(&e, 0x55);
    e8(&e, 0x48); e8(&e, 0x83); e8(&e, 0xec); e8(&e, 8);
    e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0xfb);
    e8(&e, 0xff); e8(&e, 0xe6);
    epilogue_rx = rx(&e, e.p);
    e8(&e, 0x48); e8(&e, 0x83); e8(&e, 0xc4); e8(&e, 8);
    e8(&e, 0x5d);
    e8(&e, 0x41); e8(&e, 0x5f);
    e8(&e, 0x41); e8(&e, 0x5e);
    e8(&e, 0x41); e8(&e, 0x5d);
    e8(&e, 0x41); e8(&e, 0x5c);
    e8(&e, 0x5b);
    e8(&e, 0xc3);
    code_used = 64;
    jit_enter = (void *)code_rx;
    jit_threshold = jit_tier == JIT_TIER_1 ? 1 : JIT_AUTO_THRESHOLD;
    if (jit_perfmap) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
        perfmap_file = fopen(path, "w");
        if (!perfmap_file) {
            warn_report("-perfmap: cannot write %s: %s", path, g_strerror(errno));
        } else {
            setvbuf(perfmap_file, NULL, _IOLBF, 0);
        }
    }
#endif
    return true;
}

/* Room for len bytes at the end of what is used (jit_translate then
 * keeps what it wrote), or NULL: the cache is full (everything is dropped
 * and the memory reused once no vCPU can still run the old code). */
static uint8_t *cache_alloc(size_t len)
{
    if (flush_pending) {
        if (!tb_epoch_passed(flush_epoch)) {
            return NULL;
        }
        flush_pending = false;
        code_used = 64;
        rw_dropped = 0;
    }
    if (code_used + len > jit_cache_size) {
        tb_flush_all(NULL);
        flush_epoch = tb_epoch_current();
        flush_pending = true;
        stat_flushes++;
        return NULL;
    }
    return code_rw + code_used;
}

/* ---- translation ---- */

static bool is_rel_branch(uint16_t op, bool *cond)
{
    *cond = (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) ||
            (op >= 0xe0 && op <= 0xe3);
    return *cond || op == 0xe8 || op == 0xe9 || op == 0xeb;
}

static uint64_t branch_target(const DecodedInsn *d, uint64_t next)
{
    uint64_t t = next + d->imm;
    return d->opsize == 1 ? (t & 0xffff) : d->opsize == 2 ? (uint32_t)t : t;
}

/* EIP after d (next: its fall-through) in its block: the target of a
 * followed JMP or of a Jcc the block goes on at when taken
 * (x86_goes_on_at_target), else next; the last: next */
static uint64_t block_next_eip(const DecodedInsn *d, uint64_t next, bool last)
{
    return x86_goes_on_at_target(d, last) ? branch_target(d, next) : next;
}

/* where a side exit's Jcc leaves the block to: its target, or with
 * DF_SIDE_TAKEN its fall-through */
static uint64_t side_exit_target(const DecodedInsn *d, uint64_t next)
{
    return (d->flags & DF_SIDE_TAKEN) ? next : branch_target(d, next);
}

/* ---- inline forms ----
 *
 * The specialised tier-0 forms (ops_fast.c: 32/64-bit ALU without carry,
 * MOV and TEST) are emitted as host instructions on env->regs, with the
 * same lazy-flag record (cc_op, cc_dst, cc_src; cc_src2 is not read).  Memory
 * operands are inline only in 64-bit code: the EA, the canonical and
 * page-crossing checks and the TLB compare as mem_fast_ptr() does them,
 * with the mmu index known from the block's CPL (AC=1 below CPL 3 takes the
 * slow path); the slow path stores EIP and calls cpu_ld/cpu_st, which
 * fault with exactly tier 0's state.  Read-modify-write memory forms still
 * call their handler.
 */


/* op r, [rbx+off] (w: REX.W) */
static void op_rm(Emit *e, uint8_t opc, int r, size_t off, bool w)
{
    if (w) {
        e8(e, 0x48);
    }
    e8(e, opc);
    m_rbx(e, r, off);
}

/* host ALU opcode "op r/m, r" for ALU op a (0 ADD 1 OR 4 AND 5 SUB 6 XOR 7 CMP->SUB) */
static uint8_t alu_opc(int a)
{
    static const uint8_t opc[8] = { 0x01, 0x09, 0, 0, 0x21, 0x29, 0x31, 0x29 };
    return opc[a];
}

/* reg = the byte offset of the TLB slot of the address in RAX (an entry
 * is 64 bytes: [rbx + reg + field] addresses it; the slot is bits 12..23
 * of the address, which the 32-bit copy keeps) */
static void emit_tlb_slot(Emit *e, int reg)
{
    G_STATIC_ASSERT(sizeof(TLBEntry) == 64);
    e8(e, 0x89); e8(e, 0xc0 | reg);                                          /* mov reg32, eax */
    e8(e, 0xc1); e8(e, 0xe8 | reg); e8(e, 6);                               /* shr reg32, 6 */
    e8(e, 0x81); e8(e, 0xe0 | reg); e32(e, (TLB_SIZE - 1) << 6);             /* and reg32, mask */
}

/* a two-operand ALU instruction of 1 << sz bytes: the 66h or REX.W
 * prefix, the opcode (its 8-bit form opc8, else opc8 + 1) and modrm */
static void alu_sized(Emit *e, int sz, uint8_t opc8, uint8_t modrm)
{
    if (sz == 1) {
        e8(e, 0x66);
    } else if (sz == 3) {
        e8(e, 0x48);
    }
    e8(e, opc8 + (sz ? 1 : 0));
    e8(e, modrm);
}

/* emit_cc_inline computes condition cond of a record of op (cond -1:
 * some condition); INC/DEC's BE/A want CF and ZF together: cc_test */
static bool cc_inline_ok(int op, int cond)
{
    bool incdec = op >= CC_OP_INCB && op <= CC_OP_DECQ;
    return (op >= CC_OP_ADDB && op <= CC_OP_ADDQ) || (op >= CC_OP_SUBB && op <= CC_OP_SUBQ) ||
           (op >= CC_OP_LOGICB && op <= CC_OP_LOGICQ) || (incdec && cond != 6 && cond != 7);
}

/*
 * Condition cond (a Jcc's low nibble) of the lazy record into the byte
 * register r8 (setcc r/m8 with REX.B: R8..R15), inline, when the block
 * knows env holds an ADD, SUB, LOGIC, INC or DEC record: the host
 * operation that made it is redone on its operands (SUB: a = dst + src,
 * then CMP a, src; ADD: a = dst - src, then ADD a, src; LOGIC: TEST dst,
 * dst; INC/DEC: undone and redone on dst, CF from bit 0 of src) at its
 * size, which gives the same CF, PF, ZF, SF and OF, and SETcc reads them.
 * Clobbers RAX and RCX.  false: the caller calls cc_test.
 */
static bool emit_cc_inline(Emit *e, int cond, int r8)
{
    int op = e->cc_known;
    if (!cc_inline_ok(op, cond)) {
        return false;
    }
    if (op >= CC_OP_INCB && op <= CC_OP_DECQ) {
        /* INC/DEC: CF is cc_src, the carry kept from before; the others
         * come from redoing the INC/DEC on what it started from (dst -/+
         * 1 at its size) */
        bool dec = op >= CC_OP_DECB;
        int sz = op - (dec ? CC_OP_DECB : CC_OP_INCB);
        if (cond == 2 || cond == 3) {
            op_rmx(e, 0x8b, H_RAX, offsetof(CPUX86State, cc_src), true);    /* mov rax, src */
            e8(e, 0xa8); e8(e, 1);                                           /* test al, 1 */
            cond = cond == 2 ? 5 : 4;       /* B: CF set, bit 0 of src */
        } else {
            op_rmx(e, 0x8b, H_RAX, offsetof(CPUX86State, cc_dst), true);    /* mov rax, dst */
            alu_sized(e, sz, 0xfe, dec ? 0xc0 : 0xc8);                       /* inc/dec eax: undo */
            alu_sized(e, sz, 0xfe, dec ? 0xc8 : 0xc0);                       /* dec/inc eax: redo */
        }
        e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | cond); e8(e, 0xc0 | (r8 & 7));  /* setcc r8b */
        return true;
    }
    int fam = op >= CC_OP_ADDB && op <= CC_OP_ADDQ ? CC_OP_ADDB :
              op >= CC_OP_SUBB && op <= CC_OP_SUBQ ? CC_OP_SUBB : CC_OP_LOGICB;
    int sz = op - fam;
    op_rmx(e, 0x8b, H_RAX, offsetof(CPUX86State, cc_dst), true);            /* mov rax, dst */
    if (fam == CC_OP_LOGICB) {
        alu_sized(e, sz, 0x84, 0xc0);                                        /* test eax, eax */
    } else {
        op_rmx(e, 0x8b, H_RCX, offsetof(CPUX86State, cc_src), true);        /* mov rcx, src */
        if (fam == CC_OP_SUBB) {
            alu_sized(e, sz, 0x00, 0xc8);                                    /* add eax, ecx */
            alu_sized(e, sz, 0x38, 0xc8);                                    /* cmp eax, ecx */
        } else {
            alu_sized(e, sz, 0x28, 0xc8);                                    /* sub eax, ecx */
            alu_sized(e, sz, 0x00, 0xc8);                                    /* add eax, ecx */
        }
    }
    e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | cond); e8(e, 0xc0 | (r8 & 7));  /* setcc r8b */
    return true;
}

/*
 * Condition cond of the lazy record into the byte register r8 (R8..R15):
 * inline when the block knows the record's operation; else, when it has
 * not written the record yet and the record was one emit_cc_inline reads
 * as the block was entered for translation, inline behind a check that
 * env->cc_op is still that one (a block mostly follows the same
 * compare), with cc_test on the other path; else cc_test.  Clobbers RAX,
 * RCX and, on the call's path, what a call does.
 */
static void emit_cond(Emit *e, int cond, int r8)
{
    if (emit_cc_inline(e, cond, r8)) {
        return;
    }
    uint8_t *other = NULL, *done = NULL;
    if (e->cc_spec >= 0 && cc_inline_ok(e->cc_spec, cond)) {
        /* the call is on one path only: the registers it clobbers are
         * written back before, forgotten after */
        greg_flush(e, scratch_mask(e));
        e8(e, 0x81); m_rbx(e, 7, offsetof(CPUX86State, cc_op)); e32(e, e->cc_spec);
        other = jcc_fwd(e, CC_NE);                                           /* cmp cc_op, spec */
        e->cc_known = e->cc_spec;
        bool inl = emit_cc_inline(e, cond, r8);
        g_assert(inl);
        e->cc_known = -1;
        e8(e, 0xe9);
        done = e->p;
        e32(e, 0);
        bind(e, other, e->p);
    }
    emit_env_arg(e);
    e8(e, 0xbe); e32(e, cond);                                               /* mov esi, cond */
    call_fn(e, (const void *)cc_test);
    e8(e, 0x41); e8(e, 0x89); e8(e, 0xc0 | (r8 & 7));                       /* mov r8d, eax */
    if (done) {
        bind(e, done, e->p);
    }
}

/* emit_cond, zero-extended to the 32-bit register (condition 2, B: the
 * carry ADC/SBB take in and INC/DEC keep) */
static void emit_cond_zx(Emit *e, int cond, int r8)
{
    emit_cond(e, cond, r8);
    e8(e, 0x45); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc0 | ((r8 & 7) << 3) | (r8 & 7));  /* movzx */
}

/* The call of a handler with tier 0's per-instruction state: EIP of the
 * instruction, next EIP, REX; rdi = env, rsi = the DecodedInsn. */
static void emit_handler_call(Emit *e, const DecodedInsn *d, const void *fn, uint64_t eip,
                              uint64_t next)
{
    if (!e->out_of_line) {
        greg_flush(e, 0xffff);
        e->cc_known = -1;   /* a handler may leave any record */
        e->cc_spec = -1;
        e->sse_ok = false;  /* ... or write CR0 or CR4 */
        for (unsigned k = 0; k < e->ngrps; k++) {
            e->grps[k].live = false;    /* ... or flush the TLB */
        }
    }
    st_q(e, offsetof(CPUX86State, insn_start_eip), eip);
    st_q(e, offsetof(CPUX86State, eip), next);
    st_b(e, offsetof(CPUX86State, insn_rex), d->rex);
    emit_env_arg(e);
    e8(e, 0x48); e8(e, 0xbe); e64(e, (uint64_t)(uintptr_t)d);                /* mov rsi, d */
    call_fn(e, fn);
    e->gloaded = 0;     /* a handler may change any register */
}

/* the host register holding guest g: the one caching it (loaded now),
 * else fallback, loaded from env */
static int greg_in_host(Emit *e, int g, int fallback)
{
    int h = e->gcache[g];
    if (h >= 0) {
        greg_ensure(e, g);
        return h;
    }
    greg_load(e, fallback, g, true);
    return fallback;
}

/* rdx = the instruction's effective address (offset in its segment) */
static void emit_ea(Emit *e, const DecodedInsn *d, uint64_t next)
{
    if (d->base == EA_RIP) {
        uint64_t a = next + (uint64_t)d->disp;
        if (fits32((int64_t)a)) {
            e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc2); e32(e, (uint32_t)a);     /* mov rdx, simm32 */
        } else {
            e8(e, 0x48); e8(e, 0xba); e64(e, a);                             /* mov rdx, imm64 */
        }
    } else if (fits32(d->disp) && (d->base != EA_NOREG || d->index != EA_NOREG)) {
        /* one LEA from the registers caching base and index (or RDX and
         * RCX loaded from env) */
        int hb = d->base != EA_NOREG ? greg_in_host(e, d->base, H_RDX) : -1;
        int hi = d->index != EA_NOREG ? greg_in_host(e, d->index, H_RCX) : -1;
        int32_t disp = (int32_t)d->disp;
        if (hi < 0 && disp == 0) {
            if (hb != H_RDX) {
                mov_rr(e, H_RDX, hb, true);
            }
        } else {
            /* lea rdx, [hb + hi << scale + disp] with a SIB byte */
            e8(e, 0x48 | (hi >= 8 ? 2 : 0) | (hb >= 8 ? 1 : 0));
            e8(e, 0x8d);
            int mod = hb < 0 ? 0 : (disp == 0 && (hb & 7) != 5) ? 0 : disp == (int8_t)disp ? 1 : 2;
            e8(e, (mod << 6) | (H_RDX << 3) | 4);
            e8(e, (hi >= 0 ? d->scale << 6 : 0) | ((hi >= 0 ? hi : 4) & 7) << 3 |
                  (hb >= 0 ? hb & 7 : 5));
            if (hb < 0 || mod == 2) {
                e32(e, (uint32_t)disp);
            } else if (mod == 1) {
                e8(e, (uint8_t)disp);
            }
        }
    } else if (fits32(d->disp) && d->index == EA_NOREG) {
        /* a displacement alone ([disp32], FS:[disp32]) */
        e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc2); e32(e, (uint32_t)d->disp);   /* mov rdx, simm32 */
    } else {
        if (d->base != EA_NOREG) {
            greg_load(e, H_RDX, d->base, true);
        } else {
            e8(e, 0x31); e8(e, 0xd2);                                        /* xor edx, edx */
        }
        if (d->index != EA_NOREG) {
            greg_load(e, H_RCX, d->index, true);
            if (d->scale) {
                e8(e, 0x48); e8(e, 0xc1); e8(e, 0xe1); e8(e, d->scale);     /* shl rcx, n */
            }
            e8(e, 0x48); e8(e, 0x01); e8(e, 0xca);                           /* add rdx, rcx */
        }
        if (d->disp) {
            if (fits32(d->disp)) {
                e8(e, 0x48); e8(e, 0x81); e8(e, 0xc2); e32(e, (uint32_t)d->disp);
            } else {
                e8(e, 0x48); e8(e, 0xb9); e64(e, (uint64_t)d->disp);        /* mov rcx, imm64 */
                e8(e, 0x48); e8(e, 0x01); e8(e, 0xca);
            }
        }
    }
    if (d->adsize == 2) {
        e8(e, 0x89); e8(e, 0xd2);                                            /* mov edx, edx */
    } else if (d->adsize == 1) {
        e8(e, 0x0f); e8(e, 0xb7); e8(e, 0xd2);                               /* movzx edx, dx */
    }
    e->grp_tok = true;
}

/*
 * The lookup of the TLB entry of the address in RAX (tlb: its mmu index's
 * table in env) for span bytes from there: the page of the last byte
 * compared with the entry's read tag and/or write tag (a mismatch branches
 * off, into miss[]), then RAX += the entry's addend.  The tag of an entry
 * is a page whose slot it is, so a span that crosses a page never matches.
 */
static void emit_tlb_lookup(Emit *e, size_t tlb, unsigned span, bool read, bool write,
                            uint8_t **miss, unsigned *nmiss)
{
    emit_tlb_slot(e, H_RSI);
    if (span - 1 < 0x80) {
        e8(e, 0x48); e8(e, 0x8d); e8(e, 0x48); e8(e, span - 1);             /* lea rcx, [rax+span-1] */
    } else {
        e8(e, 0x48); e8(e, 0x8d); e8(e, 0x88); e32(e, span - 1);
    }
    e8(e, 0x48); e8(e, 0x81); e8(e, 0xe1); e32(e, 0xfffff000);              /* and rcx, ~0xfff */
    for (int w = 0; w < 2; w++) {
        if (w ? write : read) {
            size_t tag = tlb + (w ? offsetof(TLBEntry, addr_write) : offsetof(TLBEntry, addr_read));
            e8(e, 0x48); e8(e, 0x3b); e8(e, 0x8c); e8(e, 0x33); e32(e, (uint32_t)tag);  /* cmp rcx, [rbx+rsi+tag] */
            miss[(*nmiss)++] = jcc_fwd(e, CC_NE);
        }
    }
    e8(e, 0x48); e8(e, 0x03); e8(e, 0x84); e8(e, 0x33);
    e32(e, (uint32_t)(tlb + offsetof(TLBEntry, addend)));                    /* add rax, [..addend] */
}

/* the env offset of a new load site's JitSite of mmu index idx */
static size_t site_alloc(int idx)
{
    unsigned n = __atomic_fetch_add(&site_next[idx], 1, __ATOMIC_RELAXED) % JIT_SITES;
    return offsetof(CPUX86State, jit_site) + ((size_t)idx * JIT_SITES + n) * sizeof(JitSite);
}

/* A load site's check of the address in RAX: (RAX & mask) | key against
 * the site's tag (a mismatch: the branch returned, to patch), then RAX +=
 * the site's addend.  mask: the page mask with the access's misalignment
 * bits (size - 1 < 16, below the key's bits 4..11). */
static uint8_t *emit_site_check(Emit *e, size_t site, uint32_t mask)
{
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                                   /* mov rcx, rax */
    e8(e, 0x48); e8(e, 0x81); e8(e, 0xe1); e32(e, mask);                     /* and rcx, mask */
    op_rm(e, 0x0b, H_RCX, offsetof(CPUX86State, jit_site_key), true);        /* or rcx, key */
    op_rm(e, 0x3b, H_RCX, site + offsetof(JitSite, tag), true);              /* cmp rcx, tag */
    uint8_t *miss = jcc_fwd(e, CC_NE);
    op_rm(e, 0x03, H_RAX, site + offsetof(JitSite, addend), true);           /* add rax, addend */
    return miss;
}

/*
 * The TLB check of an access of size bytes at offset RDX in seg: RAX = its
 * host address when the TLB of the block's CPL maps it for this kind of
 * access, else a branch to the slow path, appended to slow[] (*ns).  The
 * tag compared is the page of the access's last byte, so an access that
 * crosses a page never matches, nor does a non-canonical address (the TLB
 * holds canonical pages only).  align16: also slow unless the linear
 * address is 16-byte aligned.  In a block that loops on itself a load
 * first tries a load site of its own (e->sites).  RDX survives.
 */
static void emit_tlb_check(Emit *e, const TranslationBlock *tb, int seg, unsigned size,
                           bool store, bool align16, uint8_t **slow, unsigned *ns, TlbAlt *alt)
{
    int idx = (tb->flags & HF_CPL_MASK) == 3 ? 1 : 0;
    size_t tlb = offsetof(CPUX86State, tlb) + (size_t)idx * TLB_SIZE * sizeof(TLBEntry);
    /* a TLB group's member: the instruction's own address (emit_ea's,
     * not yet used), inside the group's span, of an access the leader's
     * check covers */
    Group *g = NULL;
    int64_t d = e->grp_disp;
    if (alt) {
        *alt = (TlbAlt){ .zero_slot = -1, .size = size, .store = store, .tlb = tlb };
        if (e->grp_tok && e->grp_cur >= 0 && !align16 && seg != R_FS && seg != R_GS) {
            Group *c = &e->grps[e->grp_cur];
            if (d >= c->dmin && d + size <= (int64_t)c->dend && (!store || c->store)) {
                g = c;
            }
        }
    }
    e->grp_tok = false;
    if (g && g->live) {
        /* a follower: the leader's host address, or 0 */
        op_rm(e, 0x8b, H_RAX, offsetof(CPUX86State, jit_grp[g->slot]), true);  /* mov rax, [] */
        e8(e, 0x48); e8(e, 0x85); e8(e, 0xc0);                               /* test rax, rax */
        alt->from[alt->nfrom++] = jcc_fwd(e, 0x4);                           /* jz alt */
        if (d != g->dmin) {
            e8(e, 0x48); e8(e, 0x8d); e8(e, 0x80); e32(e, (uint32_t)(d - g->dmin));  /* lea rax, [rax+] */
        }
        alt->join = e->p;
        return;
    }
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xd0);                                   /* mov rax, rdx */
    if (seg == R_FS || seg == R_GS) {
        op_rm(e, 0x03, H_RAX, offsetof(CPUX86State, segs) + seg * sizeof(SegmentCache) +
              offsetof(SegmentCache, base), true);                           /* add rax, base */
    }
    if (idx == 0 && (tb->flags & HF_SMAP)) {
        /* EFLAGS.AC below CPL 3 selects the SMAP mmu index when CR4.SMAP
         * is set (part of the block's key) */
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, eflags)); e32(e, AC_MASK);
        slow[(*ns)++] = jcc_fwd(e, CC_NE);
    }
    if (align16) {
        e8(e, 0xa8); e8(e, 15);                                              /* test al, 15 */
        slow[(*ns)++] = jcc_fwd(e, CC_NE);
    }
    if (g) {
        /* the leader: one check of the group's span, whose first byte's
         * host address the followers take from env->jit_grp */
        if (d != g->dmin) {
            e8(e, 0x48); e8(e, 0x8d); e8(e, 0x80); e32(e, (uint32_t)(g->dmin - d));  /* lea rax, [rax+] */
        }
        unsigned span = (unsigned)(g->dend - g->dmin);
        if (!g->store && e->sites) {
            /* loads only: a load site for the span (JitSite), which must
             * not cross a page (a crossing fails as a leader) */
            e8(e, 0x48); e8(e, 0x8d); e8(e, 0x88); e32(e, span - 1);        /* lea rcx, [rax+span-1] */
            e8(e, 0x48); e8(e, 0x31); e8(e, 0xc1);                           /* xor rcx, rax */
            e8(e, 0x48); e8(e, 0xc1); e8(e, 0xe9); e8(e, 12);                /* shr rcx, 12 */
            alt->from[alt->nfrom++] = jcc_fwd(e, CC_NE);
            size_t site = site_alloc(idx);
            alt->lsite_from = emit_site_check(e, site, 0xfffff000u);
            alt->lsite_join = e->p;
            alt->lsite = site;
            alt->lspan = span;
            alt->loff = (int32_t)(g->dmin - d);
        } else {
            emit_tlb_lookup(e, tlb, span, true, g->store, alt->from, &alt->nfrom);
        }
        op_rm(e, 0x89, H_RAX, offsetof(CPUX86State, jit_grp[g->slot]), true);  /* mov [], rax */
        if (d != g->dmin) {
            e8(e, 0x48); e8(e, 0x8d); e8(e, 0x80); e32(e, (uint32_t)(d - g->dmin));  /* lea rax, [rax+] */
        }
        alt->join = e->p;
        alt->zero_slot = g->slot;
        g->live = true;
        return;
    }
    if (alt && !store && !align16 && e->sites) {
        /*
         * A load site: its own entry first (JitSite).  The page of the
         * address with its misalignment bits, keyed, is the tag a hit of
         * this load stored, so a misaligned access never matches; the
         * addend's load waits for nothing.  A miss is TlbAlt's check of
         * the TLB (emit_slow_path), which fills the entry on a hit.
         */
        g_assert(size <= 16);
        size_t site = site_alloc(idx);
        alt->from[alt->nfrom++] = emit_site_check(e, site, 0xfffff000u | (size - 1));
        alt->join = e->p;
        alt->site = site;
        alt->seg = seg;
        return;
    }
    emit_tlb_lookup(e, tlb, size, !store, store, slow, ns);
}

/*
 * The access at offset RDX in seg, size 1 << ot: a load into RAX
 * (zero-extended), or a store of guest register sreg (ot 2 or 3), or of
 * host R9 when sreg < 0 (any size).  RDX survives the fast path.
 */
static void emit_mem_to(Emit *e, const TranslationBlock *tb, int seg, int ot,
                        bool store, int sreg, uint64_t eip, uint64_t next, int hd);

static void emit_mem(Emit *e, const TranslationBlock *tb, int seg, int ot,
                     bool store, int sreg, uint64_t eip, uint64_t next)
{
    emit_mem_to(e, tb, seg, ot, store, sreg, eip, next, H_RAX);
}

/* emit_mem; a load goes to host register hd (RAX: as emit_mem), on the
 * slow path too: all 64 bits of it, an 8/16-bit load zero-extended */
static void emit_mem_to(Emit *e, const TranslationBlock *tb, int seg, int ot,
                        bool store, int sreg, uint64_t eip, uint64_t next, int hd)
{
    uint8_t *slow[SLOW_FROM];
    unsigned ns = 0;
    if (store && sreg >= 0) {
        greg_ensure(e, sreg);       /* not on the fast path only */
    }
    TlbAlt alt;
    emit_tlb_check(e, tb, seg, 1u << ot, store, false, slow, &ns, &alt);
    if (store && sreg < 0) {
        if (ot == 0) {
            e8(e, 0x44); e8(e, 0x88); e8(e, 0x08);                           /* mov [rax], r9b */
        } else {
            if (ot == 1) {
                e8(e, 0x66);
            }
            e8(e, ot == 3 ? 0x4c : 0x44); e8(e, 0x89); e8(e, 0x08);          /* mov [rax], r9w/d/q */
        }
    } else if (store) {
        /* from the register caching it (loaded above), else through RCX */
        int h = greg_in_host(e, sreg, H_RCX);
        uint8_t rex = (ot == 3 ? 8 : 0) | (h >= 8 ? 4 : 0);
        if (rex) {
            e8(e, 0x40 | rex);
        }
        e8(e, 0x89); e8(e, (h & 7) << 3);                                    /* mov [rax], h32/h64 */
    } else if (ot < 2) {
        if (hd >= 8) {
            e8(e, 0x44);
        }
        e8(e, 0x0f); e8(e, ot ? 0xb7 : 0xb6); e8(e, (hd & 7) << 3);          /* movzx hd32, [rax] */
    } else {
        uint8_t rex = (ot == 3 ? 8 : 0) | (hd >= 8 ? 4 : 0);
        if (rex) {
            e8(e, 0x40 | rex);
        }
        e8(e, 0x8b); e8(e, (hd & 7) << 3);                                   /* mov hd, [rax] */
    }
    g_assert(e->nslow < TB_MAX_INSNS);
    SlowPath *sp = &e->slow[e->nslow++];
    *sp = (SlowPath){ .nfrom = ns, .resume = e->p, .dirty = e->gdirty, .eip = eip, .next = next,
                      .done_eip = next, .seg = seg,
                      .ot = ot, .sreg = sreg, .store = store, .pending = e->pending,
                      .alt = alt, .to_reg = !store && hd != H_RAX ? hd + 1 : 0 };
    for (int g = 0; g < 16; g++) {
        if ((e->gloaded & (1u << g)) && host_scratch(e->gcache[g])) {
            sp->reload |= 1u << g;
        }
    }
    memcpy(sp->from, slow, sizeof(sp->from));
}

/* add (or, sub: subtract) n to instr_count */
static void add_count(Emit *e, unsigned n, bool sub)
{
    if (n) {
        e8(e, 0x48); e8(e, 0x83); m_rbx(e, sub ? 5 : 0, offsetof(CPUX86State, jit_count));
        e8(e, n);
    }
}

/* After a TLB hit of emit_tlb_lookup: the load site at env offset site
 * gets this entry's page (RCX: the tag compared, the page of the access's
 * last byte, which is its first's) and addend (RSI: the entry's offset) */
static void emit_site_fill(Emit *e, size_t tlb, size_t site)
{
    e8(e, 0x48); e8(e, 0x8b); e8(e, 0xb4); e8(e, 0x33);
    e32(e, (uint32_t)(tlb + offsetof(TLBEntry, addend)));                    /* mov rsi, [..addend] */
    op_rm(e, 0x89, H_RSI, site + offsetof(JitSite, addend), true);
    op_rm(e, 0x0b, H_RCX, offsetof(CPUX86State, jit_site_key), true);        /* or rcx, key */
    op_rm(e, 0x89, H_RCX, site + offsetof(JitSite, tag), true);
}

/*
 * A slow path: tier 0's state for a fault (EIP, the count of what retired
 * before), then mmu.c.  A store through it may have hit translated code:
 * when this block is dead it leaves, the store retired (*dead_exit is the
 * branch to the exit).
 */
static void emit_slow_path(Emit *e, const SlowPath *sp, const uint8_t *dead, uint8_t **dead_exit)
{
    int ot = sp->ot;
    const TlbAlt *alt = &sp->alt;
    size_t grp_off = alt->zero_slot >= 0 ? offsetof(CPUX86State, jit_grp[alt->zero_slot]) : 0;
    if (alt->lsite) {
        /* a loads-only leader's site missed: the span's TLB check, which
         * fills the site, else the leader failed */
        bind(e, alt->lsite_from, e->p);
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xd0);                               /* mov rax, rdx */
        if (alt->loff) {
            e8(e, 0x48); e8(e, 0x8d); e8(e, 0x80); e32(e, (uint32_t)alt->loff);  /* lea rax, [rax+] */
        }
        uint8_t *miss[1];
        unsigned nmiss = 0;
        emit_tlb_lookup(e, alt->tlb, alt->lspan, true, false, miss, &nmiss);
        emit_site_fill(e, alt->tlb, alt->lsite);
        e8(e, 0xe9); e32(e, 0);
        bind(e, e->p - 4, alt->lsite_join);                                  /* jmp join */
        bind(e, miss[0], e->p);     /* on to the failed leader's path */
    }
    if (alt->nfrom) {
        /* a TLB group member's own check (TlbAlt); a leader's group gets
         * 0 first, so that its followers do theirs too */
        for (unsigned i = 0; i < alt->nfrom; i++) {
            bind(e, alt->from[i], e->p);
        }
        if (grp_off) {
            e8(e, 0x48); e8(e, 0xc7); m_rbx(e, 0, grp_off); e32(e, 0);       /* mov qword [], 0 */
        }
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xd0);                               /* mov rax, rdx */
        if (alt->site && (alt->seg == R_FS || alt->seg == R_GS)) {
            op_rm(e, 0x03, H_RAX, offsetof(CPUX86State, segs) + alt->seg * sizeof(SegmentCache) +
                  offsetof(SegmentCache, base), true);                       /* add rax, base */
        }
        uint8_t *miss[1];
        unsigned nmiss = 0;
        emit_tlb_lookup(e, alt->tlb, alt->size, !alt->store, alt->store, miss, &nmiss);
        if (alt->site) {
            emit_site_fill(e, alt->tlb, alt->site);
        }
        e8(e, 0xe9); e32(e, 0);
        bind(e, e->p - 4, alt->join);                                        /* jmp join */
        bind(e, miss[0], e->p);
    }
    for (unsigned i = 0; i < sp->nfrom; i++) {
        bind(e, sp->from[i], e->p);
    }
    if (grp_off) {
        /* a leader's slow path (SMAP's AC test too): its group gets 0 */
        e8(e, 0x48); e8(e, 0xc7); m_rbx(e, 0, grp_off); e32(e, 0);           /* mov qword [], 0 */
    }
    greg_write_back(e, sp->dirty);  /* a fault or the handler sees the state */
    add_count(e, sp->pending, false);
    if (sp->defer) {
        /* the flags a fault here shows are the INC/DEC's before it: its
         * record from the carry of the one env still holds and the
         * register's new value (written back above) */
        e8(e, 0x52); e8(e, 0x41); e8(e, 0x51);                               /* push rdx; push r9 */
        emit_env_arg(e);
        e8(e, 0xbe); e32(e, 2);                                              /* mov esi, B */
        call_fn(e, (const void *)cc_test);
        e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc0);                               /* movzx eax, al */
        op_rmx(e, 0x89, H_RAX, offsetof(CPUX86State, cc_src), true);
        e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op)); e32(e, sp->defer_op);
        op_rmx(e, 0x8b, H_RAX, REGOFF(sp->defer_reg), true);
        op_rmx(e, 0x89, H_RAX, offsetof(CPUX86State, cc_dst), true);
        e8(e, 0x41); e8(e, 0x59); e8(e, 0x5a);                               /* pop r9; pop rdx */
    }
    if (sp->d) {
        /* the instruction through its handler, as tier 0 runs it: it may
         * fault, store into translated code or write guest registers
         * (every cached one is reloaded) */
        emit_handler_call(e, sp->d, (sp->d->flags & DF_ATOMIC) ? (const void *)x86_exec_atomic
                                                               : (const void *)sp->d->handler,
                          sp->eip, sp->next);
        e8(e, 0x80); e8(e, 0x3d);
        e32(e, (uint32_t)(int32_t)(dead - (e->p + 5)));
        e8(e, 0);                                                            /* cmp byte [dead], 0 */
        uint8_t *live = jcc_fwd(e, 0x4);
        add_count(e, 1, false);                                      /* it retired */
        e8(e, 0xe9);
        *dead_exit = e->p;
        e32(e, 0);
        bind(e, live, e->p);
        if (sp->setcc >= 0) {
            emit_env_arg(e);
            e8(e, 0xbe); e32(e, sp->setcc);                                  /* mov esi, cond */
            call_fn(e, (const void *)cc_test);
            e8(e, 0x41); e8(e, 0x89); e8(e, 0xc0);                           /* mov r8d, eax */
        }
        goto resume;
    }
    st_q(e, offsetof(CPUX86State, insn_start_eip), sp->eip);
    st_q(e, offsetof(CPUX86State, eip), sp->next);
    emit_env_arg(e);
    e8(e, 0xbe); e32(e, sp->seg);                                            /* mov esi, seg */
    if (sp->store) {
        if (sp->sreg < 0) {
            e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);                           /* mov rcx, r9 */
        } else {
            op_rm(e, 0x8b, H_RCX, REGOFF(sp->sreg), true);
        }
        static const void *const st[4] = { (const void *)cpu_stb, (const void *)cpu_stw,
                                           (const void *)cpu_stl, (const void *)cpu_stq };
        call_fn(e, st[ot]);
        *dead_exit = NULL;
        e8(e, 0x80); e8(e, 0x3d);
        e32(e, (uint32_t)(int32_t)(dead - (e->p + 5)));
        e8(e, 0);                                                            /* cmp byte [dead], 0 */
        uint8_t *live = jcc_fwd(e, 0x4);
        if (sp->done_r12) {
            op_rmx(e, 0x89, H_R12, offsetof(CPUX86State, eip), true);       /* mov [eip], r12 */
        } else if (sp->done_eip != sp->next) {
            st_q(e, offsetof(CPUX86State, eip), sp->done_eip);
        }
        if (sp->push) {
            e8(e, 0x48); e8(e, 0x83); m_rbx(e, 5, REGOFF(R_ESP)); e8(e, 8);  /* sub qword [rsp], 8 */
        }
        add_count(e, 1, false);                                      /* the store retired */
        e8(e, 0xe9);
        *dead_exit = e->p;
        e32(e, 0);
        bind(e, live, e->p);
    } else {
        static const void *const ld[4] = { (const void *)cpu_ldub, (const void *)cpu_lduw,
                                           (const void *)cpu_ldl, (const void *)cpu_ldq };
        call_fn(e, ld[ot]);
        if (ot == 2) {
            e8(e, 0x89); e8(e, 0xc0);                                        /* mov eax, eax */
        } else if (ot < 2) {
            e8(e, 0x0f); e8(e, ot ? 0xb7 : 0xb6); e8(e, 0xc0);               /* movzx eax, al/ax */
        }
        *dead_exit = NULL;
    }
resume:
    add_count(e, sp->pending, true);
    for (int g = 0; g < 16; g++) {
        if (sp->reload & (1u << g)) {
            op_rmx(e, 0x8b, e->gcache[g], REGOFF(g), true);                 /* the call clobbered it */
        }
    }
    if (sp->to_reg) {
        mov_rr(e, sp->to_reg - 1, H_RAX, true);                             /* the load's register */
    }
    e8(e, 0xe9);
    e32(e, 0);
    bind(e, e->p - 4, sp->resume);
}

/* Inline branches are chosen by handler, not opcode: a form the decoder
 * rejected (LOCK prefix, more than 15 bytes) keeps its opcode but has
 * op_invalid/op_too_long, which must run to raise #UD/#GP. */
static bool is_jcc(const DecodedInsn *d)
{
    return d->handler == op_jcc;
}

/* an immediate tier 1 loads with MOV ECX, imm32 (32 bits: the decoder
 * keeps them zero-extended, AND EAX, -16 as 0xfffffff0) or MOV RCX,
 * simm32 (64 bits: sign-extended) */
static bool imm_ok(const DecodedInsn *d)
{
    return d->ot < 3 || fits32((int64_t)d->imm);
}

/* Can the form be emitted inline in this block?  Memory only in 64-bit
 * code, and no read-modify-write of memory. */
static bool inline_ok(const TranslationBlock *tb, const DecodedInsn *d, const X86FastForm *f)
{
    if (!f->mem) {
        return f->form != X86_FAST_EI || imm_ok(d);
    }
    if (!(tb->flags & HF_CS64)) {
        return false;
    }
    if (d->flags & DF_ATOMIC) {
        return false;       /* LOCK: x86_exec_atomic */
    }
    return f->form != X86_FAST_EI || imm_ok(d);
}

/*
 * The fast forms tier 1 emits inline, plus forms that are one of them on a
 * fixed register: ALU eAX, imm (opcodes 05h..3Dh) and TEST eAX/r/m, imm
 * (A9h, F7h /0 and its alias /1) of 32/64 bits as ALU/TEST r/m, imm.  *use
 * is what to emit from: d, or *alias with the register filled in.
 */
static bool jit_fast_form(const DecodedInsn *d, X86FastForm *f, DecodedInsn *alias,
                          const DecodedInsn **use)
{
    *use = d;
    if (x86_fast_form(d, f)) {
        return true;
    }
    if (d->ot < 2 || (d->flags & DF_ATOMIC)) {
        return false;
    }
    bool ai = d->handler == op_alu_AI && d->aux != 2 && d->aux != 3;
    bool test = d->handler == op_test_AI || (d->handler == op_grp3 && d->aux < 2);
    if (!ai && !test) {
        return false;
    }
    *alias = *d;
    if (d->handler != op_grp3) {
        alias->rm = R_EAX;
        alias->mod = 3;
    }
    *f = (X86FastForm){ .kind = ai ? X86_FAST_ALU : X86_FAST_TEST, .alu = ai ? d->aux : 4,
                        .form = X86_FAST_EI, .mem = d->handler == op_grp3 && d->mod != 3,
                        .ot = d->ot };
    *use = alias;
    return true;
}

/*
 * The first half of a read-modify-write of d's memory operand (1 << ot
 * bytes, 64-bit code): through the TLB's write mapping (a writable RAM
 * page is readable), R9 = the host address, RAX = the value; anything
 * else goes to the slow path returned, which runs d's handler and
 * resumes after emit_rmw_done.  setcc: what that slow path sets R8B to.
 */
static SlowPath *emit_rmw_load(Emit *e, const TranslationBlock *tb, const DecodedInsn *d, int ot,
                               uint64_t eip, uint64_t next, int setcc)
{
    g_assert(e->nslow < TB_MAX_INSNS);
    SlowPath *rmw = &e->slow[e->nslow++];
    *rmw = (SlowPath){ .d = d, .dirty = e->gdirty, .eip = eip, .next = next, .done_eip = next,
                       .pending = e->pending, .setcc = setcc };
    emit_ea(e, d, next);
    uint8_t *slow[SLOW_FROM];
    unsigned ns = 0;
    emit_tlb_check(e, tb, d->seg, 1u << ot, true, false, slow, &ns, &rmw->alt);
    for (unsigned i = 0; i < ns; i++) {
        rmw->from[rmw->nfrom++] = slow[i];
    }
    e8(e, 0x49); e8(e, 0x89); e8(e, 0xc1);                                   /* mov r9, rax */
    if (ot < 2) {
        e8(e, 0x0f); e8(e, ot ? 0xb7 : 0xb6); e8(e, 0x00);                   /* movzx eax, [rax] */
        return rmw;
    }
    if (ot == 3) {
        e8(e, 0x48);
    }
    e8(e, 0x8b); e8(e, 0x00);                                                /* mov eax/rax, [rax] */
    return rmw;
}

/* after the store to [R9]: where the slow path resumes */
static void emit_rmw_done(Emit *e, SlowPath *rmw)
{
    rmw->resume = e->p;
    rmw->reload = e->gloaded;
    e->cc_known = -1;   /* the slow path's handler writes its own record */
    e->cc_spec = -1;
}

/*
 * A register-only ALU/TEST form whose first operand (the destination) is
 * cached in a host register: the host instruction on that register, with
 * the second operand from its own host register, RCX or an immediate, so
 * "add rdi, 1" is one instruction instead of four through RAX.  The flag
 * record takes the result from the destination's register (a CMP or TEST
 * whose record is kept has no result register: false, the RAX way).
 * The second operand goes through RCX when the record needs it (ADD/SUB
 * family: cc_src) and it is an immediate, the destination itself or a
 * 32-bit operand (cc_src holds it zero-extended).
 */
static bool emit_alu_direct(Emit *e, const DecodedInsn *d, const X86FastForm *f, int alu,
                            bool writes, int setcc, bool keep_cc)
{
    bool w = f->ot == 3;
    bool test = f->kind == X86_FAST_TEST;
    bool logic = alu == 1 || alu == 4 || alu == 6;
    int a = f->form == X86_FAST_GE ? d->reg : d->rm;
    int hd = e->gcache[a];
    if (hd < 0 || (!writes && keep_cc)) {
        return false;
    }
    greg_ensure(e, a);
    int hs = -1;                    /* the second operand's host register */
    uint64_t src_imm = 0;           /* else an immediate, cc_src's value */
    if (f->form != X86_FAST_EI) {
        int b = f->form == X86_FAST_GE ? d->rm : d->reg;
        if (keep_cc && !logic && (b == a || !w)) {
            /* the record's cc_src: b before the operation, at its size */
            greg_load(e, H_RCX, b, w);
            hs = H_RCX;
        } else {
            hs = greg_in_host(e, b, H_RCX);
        }
    } else if (keep_cc && !logic) {
        /* the record's cc_src: the immediate at the operation's size,
         * stored as one (a simm32), else through RCX */
        src_imm = w ? (uint64_t)(int64_t)(int32_t)d->imm : (uint32_t)d->imm;
        if (!fits32((int64_t)src_imm)) {
            if (w) {
                e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);  /* mov rcx, simm32 */
            } else {
                e8(e, 0xb9); e32(e, (uint32_t)d->imm);                       /* mov ecx, imm32 */
            }
            hs = H_RCX;
        }
    }
    uint8_t rex = (w ? 8 : 0) | (hs >= 8 ? 4 : 0) | (hd >= 8 ? 1 : 0);
    if (hs >= 0) {
        if (rex) {
            e8(e, 0x40 | rex);
        }
        /* TEST and CMP leave hd as it was */
        e8(e, test ? 0x85 : alu == 7 ? 0x39 : alu_opc(alu));
        e8(e, 0xc0 | ((hs & 7) << 3) | (hd & 7));                           /* op hd, hs */
    } else {
        bool imm8 = w ? (int64_t)d->imm == (int8_t)d->imm
                      : (int32_t)(uint32_t)d->imm == (int8_t)d->imm;
        if (rex) {
            e8(e, 0x40 | rex);
        }
        if (test) {
            e8(e, 0xf7); e8(e, 0xc0 | (hd & 7)); e32(e, (uint32_t)d->imm);  /* test hd, imm32 */
        } else if (imm8) {
            e8(e, 0x83); e8(e, 0xc0 | (alu << 3) | (hd & 7)); e8(e, (uint8_t)d->imm);
        } else {
            e8(e, 0x81); e8(e, 0xc0 | (alu << 3) | (hd & 7)); e32(e, (uint32_t)d->imm);
        }
    }
    if (setcc >= 0) {
        e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | setcc); e8(e, 0xc0);          /* setcc r8b */
    }
    if (__builtin_expect(jit_inject == INJECT_ADD, 0) && alu == 0) {
        e8(e, 0x40 | (w ? 8 : 0) | (hd >= 8 ? 1 : 0));
        e8(e, 0x83); e8(e, 0xf0 | (hd & 7)); e8(e, 0x01);                   /* xor hd, 1 (wrong!) */
    }
    if (writes) {
        e->gdirty |= 1u << a;
    }
    if (keep_cc) {
        int cc_base = alu == 0 ? CC_OP_ADDB : logic ? CC_OP_LOGICB : CC_OP_SUBB;
        if (logic || hs >= 0) {
            emit_cc_record_from(e, cc_base + f->ot, hd, logic ? -1 : hs, -1);
        } else {
            emit_cc_record_from(e, cc_base + f->ot, hd, -2, -1);
            st_q(e, offsetof(CPUX86State, cc_src), src_imm);                /* fits32 */
        }
    }
    return true;
}

/*
 * Emit one inline form.  setcc >= 0: also set R8B to that condition from
 * the host flags of the operation (a Jcc that follows is fused).  keep_cc:
 * store the lazy-flag record (false when the next instruction rewrites it
 * and nothing in between can look).
 */
static void emit_inline(Emit *e, const TranslationBlock *tb, const DecodedInsn *d,
                        const X86FastForm *f, uint64_t eip, uint64_t next, int setcc, bool keep_cc)
{
    bool w = f->ot == 3;
    if (f->kind == X86_FAST_MOV) {
        if (!f->mem) {
            int src = f->form == X86_FAST_EG ? d->reg : d->rm;
            int dst = f->form == X86_FAST_EG ? d->rm : d->reg;
            greg_mov(e, dst, src, w);
        } else if (f->form == X86_FAST_GE) {
            emit_ea(e, d, next);
            int hd = f->ot >= 2 ? e->gcache[d->reg] : -1;
            if (hd >= 0) {
                /* straight into the register caching G (the whole of it:
                 * no load of its old value) */
                emit_mem_to(e, tb, d->seg, f->ot, false, 0, eip, next, hd);
                e->gloaded |= 1u << d->reg;
                e->gdirty |= 1u << d->reg;
            } else {
                emit_mem(e, tb, d->seg, f->ot, false, 0, eip, next);
                greg_store(e, H_RAX, d->reg);
            }
        } else {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, f->ot, true, d->reg, eip, next);
        }
        return;
    }
    /* ALU / TEST: a in RAX, b in RCX, result in RAX */
    int alu = f->kind == X86_FAST_TEST ? 4 : f->alu;
    bool writes = f->kind == X86_FAST_ALU && alu != 7;
    if (!f->mem && emit_alu_direct(e, d, f, alu, writes, setcc, keep_cc)) {
        return;
    }
    int dst = -1;
    SlowPath *rmw = NULL;
    if (f->mem && writes && f->form != X86_FAST_GE) {
        /* E <- E op x in memory */
        rmw = emit_rmw_load(e, tb, d, f->ot, eip, next, setcc);
        if (f->form == X86_FAST_EI) {
            if (w) {
                e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);
            } else {
                e8(e, 0xb9); e32(e, (uint32_t)d->imm);
            }
        } else {
            greg_load(e, H_RCX, d->reg, w);
        }
    } else if (f->mem) {
        emit_ea(e, d, next);
        emit_mem(e, tb, d->seg, f->ot, false, 0, eip, next);
        if (f->form == X86_FAST_GE) {
            /* G <- G op mem */
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                           /* mov rcx, rax */
            greg_load(e, H_RAX, d->reg, w);
            dst = d->reg;
        } else if (f->form == X86_FAST_EI) {
            /* CMP mem, imm */
            if (w) {
                e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);
            } else {
                e8(e, 0xb9); e32(e, (uint32_t)d->imm);
            }
        } else {
            /* CMP/TEST mem, G */
            greg_load(e, H_RCX, d->reg, w);
        }
    } else {
        int a = f->form == X86_FAST_GE ? d->reg : d->rm;
        dst = a;
        greg_load(e, H_RAX, a, w);
        if (f->form == X86_FAST_EI) {
            if (w) {
                e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);
            } else {
                e8(e, 0xb9); e32(e, (uint32_t)d->imm);
            }
        } else {
            greg_load(e, H_RCX, f->form == X86_FAST_GE ? d->rm : d->reg, w);
        }
    }
    if (w) {
        e8(e, 0x48);
    }
    e8(e, alu_opc(alu)); e8(e, 0xc8);                                        /* op rax, rcx */
    if (setcc >= 0) {
        e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | setcc); e8(e, 0xc0);          /* setcc r8b */
    }
    if (__builtin_expect(jit_inject == INJECT_ADD, 0) && alu == 0) {
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0x83); e8(e, 0xf0); e8(e, 0x01);                              /* xor eax, 1 (wrong!) */
    }
    if (writes && dst >= 0) {
        greg_store(e, H_RAX, dst);
    }
    if (rmw) {
        if (w) {
            e8(e, 0x49); e8(e, 0x89); e8(e, 0x01);                           /* mov [r9], rax */
        } else {
            e8(e, 0x41); e8(e, 0x89); e8(e, 0x01);                           /* mov [r9], eax */
        }
    }
    if (keep_cc) {
        bool logic = alu == 1 || alu == 4 || alu == 6;
        int cc_base = alu == 0 ? CC_OP_ADDB : logic ? CC_OP_LOGICB : CC_OP_SUBB;
        emit_cc_record(e, cc_base + f->ot, logic ? -1 : H_RCX, -1);
    }
    if (rmw) {
        emit_rmw_done(e, rmw);
    }
}


/*
 * More forms tier 1 emits inline, recognised by their generic handler:
 * LEA, MOV r, imm, MOVZX/MOVSX/MOVSXD into 32/64-bit registers, and in
 * 64-bit code PUSH/POP of a 64-bit register.  Returns what the form does:
 * 0 not inline, 1 registers only, 2 a load (may fault), 3 a store (may
 * fault, may hit translated code).
 */
enum { XF_NONE, XF_REG, XF_LOAD, XF_STORE };

static bool is_adc_sbb(const DecodedInsn *d)
{
    return (d->handler == op_alu_EI || d->handler == op_alu_EG || d->handler == op_alu_GE) &&
           (d->aux == 2 || d->aux == 3);
}

/* 8/16-bit CMP and TEST (of E and G, E and an immediate, AL/AX and an
 * immediate): nothing written but the flags record */
static bool is_cmp816(const DecodedInsn *d)
{
    if (d->ot >= 2) {
        return false;
    }
    if (d->handler == op_alu_EI || d->handler == op_alu_EG || d->handler == op_alu_GE ||
        d->handler == op_alu_AI) {
        return d->aux == 7;
    }
    return d->handler == op_test_EG || d->handler == op_test_AI ||
           (d->handler == op_grp3 && d->aux < 2);
}

/* ADD, OR, AND, SUB, XOR of 8/16 bits into a register: E (mod 3) op G or
 * imm, G op E (a register or memory), AL/AX op imm */
static bool is_alu816(const DecodedInsn *d)
{
    if (d->ot >= 2 || d->aux == 2 || d->aux == 3 || d->aux == 7) {
        return false;
    }
    if (d->handler == op_alu_EG || d->handler == op_alu_EI) {
        return d->mod == 3;
    }
    return d->handler == op_alu_GE || d->handler == op_alu_AI;
}

/* ADD, OR, AND, SUB, XOR of 8/16 bits into memory: E op G or imm (a
 * read-modify-write) */
static bool is_alu816_mem(const DecodedInsn *d)
{
    return (d->handler == op_alu_EG || d->handler == op_alu_EI) && d->mod != 3 && d->ot < 2 &&
           d->aux != 2 && d->aux != 3 && d->aux != 7;
}

/* of an INC/DEC (40+r/48+r, FE/FF /0 and /1): the DEC */
static bool is_dec(const DecodedInsn *d)
{
    return d->handler == op_dec_r || (d->handler == op_grp_incdec && (d->aux & 1));
}

static int extra_kind(const TranslationBlock *tb, const DecodedInsn *d)
{
    bool cs64 = tb->flags & HF_CS64;
    if ((d->handler == op_cmpxchg || d->handler == op_xchg_EG) && d->mod != 3 && d->ot >= 2) {
        /* [LOCK] CMPXCHG m32/m64, r and XCHG m32/m64, r (locked without
         * LOCK): the host's LOCK CMPXCHG, XCHG */
        return cs64 ? XF_STORE : XF_NONE;
    }
    if (d->flags & DF_ATOMIC) {
        return XF_NONE;
    }
    if (d->handler == op_lea) {
        return d->mod != 3 && d->ot >= 2 ? XF_REG : XF_NONE;
    }
    if (d->handler == op_mov_RI && d->ot >= 2) {
        return XF_REG;
    }
    if (d->handler == op_movzx || d->handler == op_movsx || d->handler == op_movsxd) {
        if (d->ot < 2 || (d->handler == op_movsxd && d->ot != 3)) {
            return XF_NONE;
        }
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if (is_cmp816(d) || is_alu816(d)) {
        bool ai = d->handler == op_alu_AI || d->handler == op_test_AI;
        return ai || d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if (is_alu816_mem(d)) {
        return cs64 ? XF_STORE : XF_NONE;
    }
    if (d->handler == op_setcc && d->mod == 3) {
        return XF_REG;
    }
    if ((d->handler == op_shld || d->handler == op_shrd) && d->mod == 3 && d->ot >= 2) {
        return XF_REG;      /* SHLD/SHRD r32/r64, r, imm8/CL */
    }
    if (d->handler == op_bt && d->ot >= 2) {
        /* BT/BTS/BTR/BTC of a register, or of memory by an immediate (a
         * register's offset may address beyond the operand: the handler) */
        if (d->mod == 3) {
            return XF_REG;
        }
        return !cs64 || d->op != 0x1ba ? XF_NONE : d->aux == 4 ? XF_LOAD : XF_STORE;
    }
    if ((d->handler == op_bsf || d->handler == op_bsr) && d->ot >= 2) {
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if ((d->handler == op_imul_GE || d->handler == op_imul_GEI) && d->ot >= 2 && imm_ok(d)) {
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if (is_adc_sbb(d) && d->ot >= 2 && d->mod == 3) {
        return XF_REG;      /* ADC/SBB of 32/64-bit registers (and an immediate) */
    }
    if (d->handler == op_cmovcc && d->ot >= 2) {
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if (d->ot >= 2 && (d->handler == op_inc_r || d->handler == op_dec_r ||
                       (d->handler == op_grp_incdec && d->mod == 3 && d->aux < 2))) {
        return XF_REG;
    }
    if (d->handler == op_grp_incdec && d->mod != 3 && d->aux < 2 && d->ot >= 2) {
        return cs64 ? XF_STORE : XF_NONE;   /* INC/DEC of memory (read-modify-write) */
    }
    if (d->handler == op_cbw && d->opsize >= 2) {
        return XF_REG;                      /* CWDE, CDQE */
    }
    if (d->handler == op_mov_RI && d->ot == 0) {
        return XF_REG;                      /* MOV r8, imm8 */
    }
    if (d->handler == op_mov_EI) {
        /* MOV r/m, imm: registers of 32/64 bits; memory of any size */
        return d->mod == 3 ? (d->ot >= 2 ? XF_REG : XF_NONE) : cs64 ? XF_STORE : XF_NONE;
    }
    if ((d->handler == op_mov_EG || d->handler == op_mov_GE) && d->ot < 2) {
        /* 8/16-bit MOV (the 32/64-bit ones are fast forms) */
        if (d->mod == 3) {
            return XF_REG;
        }
        return !cs64 ? XF_NONE : d->handler == op_mov_EG ? XF_STORE : XF_LOAD;
    }
    if (d->handler == op_shift && (d->op == 0xc1 || d->op == 0xd1) && d->mod == 3 && d->ot >= 2 &&
        d->aux != 2 && d->aux != 3) {
        return XF_REG;      /* SHL/SHR/SAR, ROL/ROR by a constant */
    }
    if (d->handler == op_shift && d->op == 0xd3 && d->mod == 3 && d->ot >= 2 && d->aux >= 4) {
        return XF_REG;      /* SHL/SHR/SAR by CL */
    }
    if (d->handler == op_shift && (d->op == 0xc0 || d->op == 0xc1 || d->op == 0xd0 ||
                                   d->op == 0xd1) && d->mod == 3 && d->ot < 2 && d->aux >= 4) {
        return XF_REG;      /* 8/16-bit SHL/SHR/SAR by a constant */
    }
    if (d->handler == op_grp3 && d->mod == 3 && d->ot >= 2 && d->aux >= 2 && d->aux <= 5) {
        return XF_REG;      /* NOT, NEG, MUL, IMUL */
    }
    if (d->handler == op_grp3 && d->ot >= 2 && d->aux == 6 && (d->mod == 3 || cs64)) {
        return XF_LOAD;     /* DIV: may fault (#DE), and in its load */
    }
    if ((d->handler == op_push_r || d->handler == op_pop_r) && cs64 && d->ot == 3) {
        return d->handler == op_push_r ? XF_STORE : XF_LOAD;
    }
    return XF_NONE;
}

/* register r of size ot as reg_get reads it (bytes 4-7 without REX are
 * AH..BH): its offset in env, and the guest register holding it */
static size_t sized_reg_off(const DecodedInsn *d, int r, int ot)
{
    return (ot != 0 || r < 4 || d->rex) ? REGOFF(r) : REGOFF(r - 4) + 1;
}

/* the count of a shift or rotate by a constant (C0h/C1h ib; D0h/D1h: 1),
 * masked as the CPU masks it */
static unsigned shift_imm_count(const DecodedInsn *d)
{
    return ((d->op & 0xfe) == 0xd0 ? 1 : (unsigned)d->imm) & (d->ot == 3 ? 0x3f : 0x1f);
}

static int sized_reg(const DecodedInsn *d, int r, int ot);

/* sized_reg_off, with the register written back first: an 8/16-bit read
 * or write through env */
static size_t sized_env(Emit *e, const DecodedInsn *d, int r, int ot)
{
    greg_flush(e, 1u << sized_reg(d, r, ot));
    return sized_reg_off(d, r, ot);
}

/*
 * dst = register r of size ot (1 << ot bytes) extended by the two-byte
 * opcode 0F op2 (B6/B7 zero, BE/BF sign; rexw: to 64 bits): from the host
 * register caching it when it is loaded (not AH..BH), else from env.
 */
static void sized_read(Emit *e, const DecodedInsn *d, int r, int ot, uint8_t op2, bool rexw,
                       int dst)
{
    int g = sized_reg(d, r, ot);
    int h = e->gcache[g];
    bool high = ot == 0 && r >= 4 && !d->rex;
    if (h >= 0 && (e->gloaded & (1u << g)) && !high) {
        /* a REX byte also makes 4-7 SPL..DIL (BPL: R13..R15, RBP) */
        e8(e, 0x40 | (rexw ? 8 : 0) | (dst >= 8 ? 4 : 0) | (h >= 8 ? 1 : 0));
        e8(e, 0x0f); e8(e, op2); e8(e, 0xc0 | ((dst & 7) << 3) | (h & 7));
        return;
    }
    size_t off = sized_env(e, d, r, ot);
    uint8_t rex = (rexw ? 8 : 0) | (dst >= 8 ? 4 : 0);
    if (rex) {
        e8(e, 0x40 | rex);
    }
    e8(e, 0x0f); e8(e, op2); m_rbx(e, dst & 7, off);
}

static int sized_reg(const DecodedInsn *d, int r, int ot)
{
    return (ot != 0 || r < 4 || d->rex) ? r : r - 4;
}

/*
 * Register r of size ot (1 << ot bytes, 8 or 16 bits) = the low byte or
 * word of host register src, the rest of r as it was: in the host
 * register caching r (loaded first), else (and for AH..BH) in env.
 * Through env, a byte register written and then read again was a store
 * and a reload in a row (a string loop's "mov cl, [rax]; test cl, cl").
 */
static void sized_write(Emit *e, const DecodedInsn *d, int r, int ot, int src)
{
    int g = sized_reg(d, r, ot);
    int h = e->gcache[g];
    if (h >= 0 && !(ot == 0 && r >= 4 && !d->rex)) {
        greg_ensure(e, g);
        if (ot) {
            e8(e, 0x66);
        }
        /* a REX byte, even empty: SPL..DIL, not AH..BH, and BPL */
        e8(e, 0x40 | (src >= 8 ? 4 : 0) | (h >= 8 ? 1 : 0));
        e8(e, ot ? 0x89 : 0x88); e8(e, 0xc0 | ((src & 7) << 3) | (h & 7));  /* mov h8/16, src */
        e->gdirty |= 1u << g;
        return;
    }
    size_t off = sized_env(e, d, r, ot);
    if (ot) {
        e8(e, 0x66);
    }
    if (src >= 8) {
        e8(e, 0x44);
    }
    e8(e, ot ? 0x89 : 0x88); m_rbx(e, src & 7, off);                        /* mov [], src8/16 */
    greg_dirty(e, g);
}

static void emit_extra(Emit *e, const TranslationBlock *tb, const DecodedInsn *d,
                       uint64_t eip, uint64_t next)
{
    bool w = d->ot == 3;
    if (d->handler == op_lea) {
        emit_ea(e, d, next);
        if (!w && d->adsize == 3) {
            e8(e, 0x89); e8(e, 0xd2);                                        /* mov edx, edx */
        }
        greg_store(e, H_RDX, d->reg);
        return;
    }
    if (d->handler == op_mov_RI && d->ot == 0) {
        e8(e, 0xb8); e32(e, (uint8_t)d->imm);                                /* mov eax, imm8 */
        sized_write(e, d, d->rm, 0, H_RAX);
        return;
    }
    if (d->handler == op_mov_RI) {
        greg_store_imm(e, d->rm, w ? d->imm : (uint32_t)d->imm);
        return;
    }
    if (d->handler == op_cbw) {
        /* CDQE: RAX = sign-extended EAX; CWDE: EAX = sign-extended AX */
        greg_load(e, H_RAX, R_EAX, true);
        if (d->opsize == 3) {
            e8(e, 0x48); e8(e, 0x63); e8(e, 0xc0);                           /* movsxd rax, eax */
        } else {
            e8(e, 0x0f); e8(e, 0xbf); e8(e, 0xc0);                           /* movsx eax, ax */
        }
        greg_store(e, H_RAX, R_EAX);
        return;
    }
    if (d->handler == op_grp_incdec && d->mod != 3) {
        /* INC/DEC of memory, as the ALU forms' read-modify-write, with
         * the carry before (kept as cc_src) first */
        bool dec = d->aux & 1;
        if (!e->fdead) {
            emit_cond_zx(e, 2, H_R12);                                       /* CF */
        }
        SlowPath *rmw = emit_rmw_load(e, tb, d, d->ot, eip, next, e->setcc);
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xff); e8(e, dec ? 0xc8 : 0xc0);                               /* inc/dec eax/rax */
        if (e->setcc >= 0) {
            e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | e->setcc); e8(e, 0xc0);   /* setcc r8b */
        }
        e8(e, w ? 0x49 : 0x41); e8(e, 0x89); e8(e, 0x01);                    /* mov [r9], eax/rax */
        if (!e->fdead) {
            emit_cc_record(e, (dec ? CC_OP_DECB : CC_OP_INCB) + d->ot, H_R12, -1);
        }
        emit_rmw_done(e, rmw);
        return;
    }
    if (d->handler == op_movzx || d->handler == op_movsx || d->handler == op_movsxd) {
        int sot = d->handler == op_movsxd ? 2 : (d->op & 1) ? 1 : 0;
        bool sx = d->handler != op_movzx;
        if (d->mod == 3) {
            if (sot == 2) {
                size_t off = sized_env(e, d, d->rm, sot);
                op_rm(e, 0x63, H_RAX, off, true);                            /* movsxd rax, [] */
            } else {
                sized_read(e, d, d->rm, sot, (sx ? 0xbe : 0xb6) | sot, sx && w, H_RAX);
            }
        } else {
            emit_ea(e, d, next);
            int hd = !sx && d->ot >= 2 ? e->gcache[d->reg] : -1;
            if (hd >= 0) {
                /* MOVZX to 32/64 bits: straight into the register
                 * caching G, as MOV G, [m] */
                emit_mem_to(e, tb, d->seg, sot, false, 0, eip, next, hd);
                e->gloaded |= 1u << d->reg;
                e->gdirty |= 1u << d->reg;
                return;
            }
            emit_mem(e, tb, d->seg, sot, false, 0, eip, next);
            if (sot == 2) {
                e8(e, 0x48); e8(e, 0x63); e8(e, 0xc0);                       /* movsxd rax, eax */
            } else if (sx) {
                if (w) {
                    e8(e, 0x48);
                }
                e8(e, 0x0f); e8(e, 0xbe | sot); e8(e, 0xc0);                 /* movsx rax/eax, al/ax */
            }
        }
        greg_store(e, H_RAX, d->reg);
        return;
    }
    if (d->handler == op_bt) {
        /* BT/BTS/BTR/BTC as op_bt: the host's on the value (a register's,
         * or memory's read, or read for writing back); CF the bit, the
         * other flags kept (computed first, unless dead) */
        bool imm = d->op == 0x1ba;
        int kind = imm ? d->aux - 4 : (d->op >> 3) & 3;
        if (!e->fdead) {
            emit_flags_to_r12(e);
        }
        SlowPath *rmw = NULL;
        if (d->mod == 3) {
            greg_load(e, H_RAX, d->rm, w);
        } else if (kind == 0) {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
        } else {
            rmw = emit_rmw_load(e, tb, d, d->ot, eip, next, -1);
        }
        if (!imm) {
            greg_load(e, H_RCX, d->reg, w);
        }
        if (w) {
            e8(e, 0x48);
        }
        if (imm) {
            e8(e, 0x0f); e8(e, 0xba); e8(e, 0xc0 | (4 + kind) << 3);
            e8(e, (uint8_t)(d->imm & (w ? 63 : 31)));                        /* btx eax/rax, imm8 */
        } else {
            e8(e, 0x0f); e8(e, 0xa3 | kind << 3); e8(e, 0xc8);              /* btx eax/rax, ecx/rcx */
        }
        if (!e->fdead) {
            e8(e, 0x0f); e8(e, 0x92); e8(e, 0xc1);                           /* setc cl */
        }
        if (kind && d->mod == 3) {
            greg_store(e, H_RAX, d->rm);
        } else if (kind) {
            e8(e, w ? 0x49 : 0x41); e8(e, 0x89); e8(e, 0x01);                /* mov [r9], eax/rax */
        }
        if (e->fdead) {
            if (rmw) {
                emit_rmw_done(e, rmw);
            }
            return;
        }
        e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc9);                               /* movzx ecx, cl */
        e8(e, 0x41); e8(e, 0x83); e8(e, 0xe4); e8(e, (uint8_t)~CC_C);        /* and r12d, ~CF */
        e8(e, 0x41); e8(e, 0x09); e8(e, 0xcc);                               /* or r12d, ecx */
        emit_eflags_set(e, H_R12);
        if (rmw) {
            emit_rmw_done(e, rmw);  /* its handler set the flags too */
        }
        return;
    }
    if (d->handler == op_shld || d->handler == op_shrd) {
        /* SHLD/SHRD r, r, imm8/CL as shxd: the host's double shift; a
         * zero count (masked as the guest's) changes nothing; the record
         * of SHL/SAR with the result and the destination shifted by one
         * less (the host's double shift by count - 1) */
        bool right = d->handler == op_shrd;
        uint8_t opc = (right ? 0xac : 0xa4) | (d->op & 1);
        unsigned mask = w ? 0x3f : 0x1f;
        greg_load(e, H_RAX, d->rm, w);
        greg_load(e, H_RDX, d->reg, w);
        uint8_t *zero = NULL;
        if (d->op & 1) {
            greg_load(e, H_RCX, R_ECX, false);
            e8(e, 0x83); e8(e, 0xe1); e8(e, mask);                           /* and ecx, mask */
            zero = jcc_fwd(e, 0x4);                                          /* jz */
            e8(e, 0xff); e8(e, 0xc9);                                        /* dec ecx */
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc6);                           /* mov rsi, rax */
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0x0f); e8(e, opc); e8(e, 0xd6);                            /* shxd esi/rsi, edx/rdx, cl */
            e8(e, 0xff); e8(e, 0xc1);                                        /* inc ecx */
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0x0f); e8(e, opc); e8(e, 0xd0);                            /* shxd eax/rax, edx/rdx, cl */
        } else {
            unsigned cnt = d->imm & mask;
            if (!cnt) {
                return;
            }
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc6);                           /* mov rsi, rax */
            if (cnt > 1) {
                if (w) {
                    e8(e, 0x48);
                }
                e8(e, 0x0f); e8(e, opc); e8(e, 0xd6); e8(e, cnt - 1);        /* shxd esi/rsi, edx/rdx, n-1 */
            }
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0x0f); e8(e, opc); e8(e, 0xd0); e8(e, cnt);                /* shxd eax/rax, edx/rdx, n */
        }
        greg_store(e, H_RAX, d->rm);
        if (!e->fdead) {
            emit_cc_record(e, (right ? CC_OP_SARB : CC_OP_SHLB) + d->ot, H_RSI, -1);
        }
        if (zero) {
            bind(e, zero, e->p);
        }
        return;
    }
    if (d->handler == op_xchg_EG) {
        /* XCHG m, r as the host's XCHG on the host address (atomic); a
         * 32-bit one zero-extends the register; no flags */
        SlowPath *rmw = emit_rmw_load(e, tb, d, d->ot, eip, next, -1);
        greg_load(e, H_RCX, d->reg, w);
        e8(e, w ? 0x49 : 0x41); e8(e, 0x87); e8(e, 0x09);                   /* xchg [r9], ecx/rcx */
        greg_store(e, H_RCX, d->reg);
        emit_rmw_done(e, rmw);
        return;
    }
    if (d->handler == op_cmpxchg) {
        /* [LOCK] CMPXCHG m, r as the host's LOCK CMPXCHG on the host
         * address (atomic with respect to every other vCPU's access, so
         * without a LOCK prefix too): EAX/RAX gets the old value when it
         * differs (a 32-bit one zero-extended), else keeps all its bits;
         * the record of CMP accumulator, old */
        bool lw = d->ot == 3;
        SlowPath *rmw = emit_rmw_load(e, tb, d, d->ot, eip, next, -1);
        greg_load(e, H_RDX, R_EAX, lw);                                      /* expected */
        greg_load(e, H_RSI, R_EAX, true);
        greg_load(e, H_RCX, d->reg, lw);                                     /* new */
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xd0);                               /* mov rax, rdx */
        e8(e, 0xf0); e8(e, lw ? 0x49 : 0x41); e8(e, 0x0f); e8(e, 0xb1); e8(e, 0x09);  /* lock cmpxchg [r9], ecx/rcx */
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                               /* mov rcx, rax: the old value */
        e8(e, 0x48); e8(e, 0x0f); e8(e, 0x44); e8(e, 0xc6);                  /* cmovz rax, rsi */
        greg_store(e, H_RAX, R_EAX);
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xd0);                               /* mov rax, rdx */
        if (lw) {
            e8(e, 0x48);
        }
        e8(e, 0x29); e8(e, 0xc8);                                            /* sub eax/rax, ecx/rcx */
        emit_cc_record(e, CC_OP_SUBB + d->ot, H_RCX, -1);
        emit_rmw_done(e, rmw);
        return;
    }
    if (d->handler == op_bsf || d->handler == op_bsr) {
        /* as op_bsf/op_bsr: the index of the lowest/highest set bit, or
         * with a source of 0 the destination unchanged (all 64 bits);
         * ZF = source == 0, the other flags kept (computed first) */
        if (!e->fdead) {
            emit_flags_to_r12(e);
        }
        if (d->mod == 3) {
            greg_load(e, H_RCX, d->rm, w);
        } else {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                           /* mov rcx, rax */
        }
        greg_load(e, H_RAX, d->reg, true);
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0x0f); e8(e, d->handler == op_bsf ? 0xbc : 0xbd); e8(e, 0xd1); /* bsf/bsr edx/rdx, ecx/rcx */
        e8(e, 0x48); e8(e, 0x0f); e8(e, 0x45); e8(e, 0xc2);                  /* cmovnz rax, rdx */
        greg_store(e, H_RAX, d->reg);
        if (e->fdead) {
            return;
        }
        e8(e, 0x0f); e8(e, 0x94); e8(e, 0xc1);                               /* setz cl */
        e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc9);                               /* movzx ecx, cl */
        e8(e, 0xc1); e8(e, 0xe1); e8(e, 6);                                  /* shl ecx, 6: ZF */
        e8(e, 0x41); e8(e, 0x81); e8(e, 0xe4); e32(e, ~(uint32_t)CC_Z);      /* and r12d, ~ZF */
        e8(e, 0x41); e8(e, 0x09); e8(e, 0xcc);                               /* or r12d, ecx */
        emit_eflags_set(e, H_R12);
        return;
    }
    if (d->handler == op_setcc) {
        /* the condition (R8B when fused) into the byte register */
        int r8 = 8;
        if (!e->fused) {
            emit_cond(e, d->op & 0xf, H_R9);
            r8 = H_R9;
        }
        sized_write(e, d, d->rm, 0, r8);
        return;
    }
    if (is_alu816_mem(d)) {
        /* E <- E op G/imm on 8/16 bits of memory, through the write
         * mapping as the 32/64-bit forms; alu_compute's record */
        uint8_t movzx = d->ot ? 0xb7 : 0xb6;
        SlowPath *rmw = emit_rmw_load(e, tb, d, d->ot, eip, next, -1);      /* EAX = E, R9 */
        if (d->handler == op_alu_EI) {
            e8(e, 0xb9); e32(e, (uint32_t)d->imm & (d->ot ? 0xffff : 0xff));  /* mov ecx, imm */
        } else {
            sized_read(e, d, d->reg, d->ot, movzx, false, H_RCX);            /* ECX = G */
        }
        if (d->ot) {
            e8(e, 0x66);
        }
        e8(e, alu_opc(d->aux) - (d->ot ? 0 : 1)); e8(e, 0xc8);              /* op al/ax, cl/cx */
        if (d->ot) {
            e8(e, 0x66);
        }
        e8(e, 0x41); e8(e, d->ot ? 0x89 : 0x88); e8(e, 0x01);                /* mov [r9], al/ax */
        if (!e->fdead) {
            e8(e, 0x0f); e8(e, movzx); e8(e, 0xc0);                          /* movzx eax, al/ax */
            bool logic = d->aux == 1 || d->aux == 4 || d->aux == 6;
            emit_cc_record(e, (logic ? CC_OP_LOGICB : d->aux == 0 ? CC_OP_ADDB : CC_OP_SUBB) + d->ot,
                           logic ? -1 : H_RCX, -1);
        }
        emit_rmw_done(e, rmw);
        return;
    }
    if (is_cmp816(d) || is_alu816(d)) {
        /* a in EAX, b in ECX, zero-extended; alu_compute's record (E of
         * the AL/AX forms is register 0); the ALU forms then write the
         * low byte or word of their destination register */
        bool test = d->handler == op_test_EG || d->handler == op_test_AI ||
                    d->handler == op_grp3;
        bool ai = d->handler == op_alu_AI || d->handler == op_test_AI;
        bool imm = ai || d->handler == op_alu_EI || d->handler == op_grp3;
        bool alu = is_alu816(d);
        uint8_t movzx = d->ot ? 0xb7 : 0xb6;
        if (!ai && d->mod != 3) {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);            /* EAX = E */
        } else if (e->fdead && !alu) {
            return;             /* it only writes the flags */
        } else {
            sized_read(e, d, ai ? R_EAX : d->rm, d->ot, movzx, false, H_RAX);
        }
        if (imm) {
            e8(e, 0xb9); e32(e, (uint32_t)d->imm & (d->ot ? 0xffff : 0xff));  /* mov ecx, imm */
        } else if (d->handler == op_alu_GE) {
            e8(e, 0x89); e8(e, 0xc1);                                        /* mov ecx, eax */
            sized_read(e, d, d->reg, d->ot, movzx, false, H_RAX);            /* EAX = G */
        } else {
            sized_read(e, d, d->reg, d->ot, movzx, false, H_RCX);            /* ECX = G */
        }
        if (d->ot) {
            e8(e, 0x66);
        }
        int a = alu ? d->aux : test ? 4 : 5;
        e8(e, alu_opc(a) - (d->ot ? 0 : 1)); e8(e, 0xc8);                   /* op al/ax, cl/cx */
        if (e->setcc >= 0) {
            e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | e->setcc); e8(e, 0xc0);   /* setcc r8b */
        }
        e8(e, 0x0f); e8(e, movzx); e8(e, 0xc0);                              /* movzx eax, al/ax */
        if (alu) {
            int dst = d->handler == op_alu_GE ? d->reg : ai ? R_EAX : d->rm;
            sized_write(e, d, dst, d->ot, H_RAX);
            if (e->fdead) {
                return;
            }
        }
        bool logic = a == 1 || a == 4 || a == 6;
        emit_cc_record(e, (logic ? CC_OP_LOGICB : a == 0 ? CC_OP_ADDB : CC_OP_SUBB) + d->ot,
                       logic ? -1 : H_RCX, -1);
        return;
    }
    if (d->handler == op_imul_GE || d->handler == op_imul_GEI) {
        /* imul2: the host IMUL's OF is the overflow the record keeps
         * (cc_src) */
        int h = d->handler == op_imul_GE && d->mod == 3 && e->fdead ? greg_inplace(e, d->reg) : -1;
        if (h >= 0) {
            /* flags dead, G cached: imul G, E in place */
            int hs = greg_in_host(e, d->rm, H_RCX);
            op0f_rr(e, 0xaf, h, hs, w);                                      /* imul h, hs */
            e->gdirty |= 1u << d->reg;
            return;
        }
        if (d->mod == 3) {
            greg_load(e, H_RCX, d->rm, w);                                   /* ECX = E */
        } else {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                           /* mov rcx, rax */
        }
        if (d->handler == op_imul_GE) {
            greg_load(e, H_RAX, d->reg, w);                                  /* a = G, b = E */
        } else {
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc8);                           /* mov rax, rcx: a = E */
            if (w) {
                e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);  /* b = imm */
            } else {
                e8(e, 0xb9); e32(e, (uint32_t)d->imm);
            }
        }
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0x0f); e8(e, 0xaf); e8(e, 0xc1);                               /* imul eax/rax, ecx/rcx */
        if (e->fdead) {
            greg_store(e, H_RAX, d->reg);
            return;
        }
        e8(e, 0x0f); e8(e, 0x90); e8(e, 0xc1);                               /* seto cl */
        e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc9);                               /* movzx ecx, cl */
        greg_store(e, H_RAX, d->reg);
        emit_cc_record(e, CC_OP_MULB + d->ot, H_RCX, -1);
        return;
    }
    if (is_adc_sbb(d)) {
        /* ADC/SBB: the carry-in into R9D, from R8B when the instruction
         * before left CF there (fused), else from the record (emit_cond_zx); then the
         * host's ADC/SBB with CF = its bit 0, and alu_compute's record
         * (cc_src2 = the carry-in) */
        if (e->fused) {
            e8(e, 0x45); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc8);              /* movzx r9d, r8b */
        } else {
            emit_cond_zx(e, 2, H_R9);                                        /* CF */
        }
        int dst = d->handler == op_alu_GE ? d->reg : d->rm;
        greg_load(e, H_RAX, dst, w);
        if (d->handler == op_alu_EI) {
            if (w) {
                e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);   /* mov rcx, simm32 */
            } else {
                e8(e, 0xb9); e32(e, (uint32_t)d->imm);                       /* mov ecx, imm32 */
            }
        } else {
            greg_load(e, H_RCX, d->handler == op_alu_GE ? d->rm : d->reg, w);
        }
        e8(e, 0x41); e8(e, 0x0f); e8(e, 0xba); e8(e, 0xe1); e8(e, 0);        /* bt r9d, 0 */
        if (w) {
            e8(e, 0x48);
        }
        e8(e, d->aux == 2 ? 0x11 : 0x19); e8(e, 0xc8);                       /* adc/sbb eax, ecx */
        greg_store(e, H_RAX, dst);
        if (!e->fdead) {
            emit_cc_record(e, (d->aux == 2 ? CC_OP_ADCB : CC_OP_SBBB) + d->ot, H_RCX, H_R9);
        }
        return;
    }
    if (d->handler == op_cmovcc) {
        int hd = e->gcache[d->reg];
        if (d->mod == 3 && hd >= 0) {
            /* of registers: the host's CMOVcc on the register caching the
             * destination (32 bits: zero-extended whether or not it
             * moves, as the guest's), the condition from R8B (fused) or
             * R12B (computed first: cc_test's call clobbers registers) */
            int hc = H_R8;
            if (!e->fused) {
                emit_cond_zx(e, d->op & 0xf, H_R12);
                hc = H_R12;
            }
            int hs = greg_in_host(e, d->rm, H_RAX);
            greg_ensure(e, d->reg);
            e8(e, 0x45); e8(e, 0x84); e8(e, 0xc0 | ((hc & 7) << 3) | (hc & 7));  /* test hcb, hcb */
            op0f_rr(e, 0x45, hd, hs, w);                                     /* cmovnz hd, hs */
            e->gdirty |= 1u << d->reg;
            return;
        }
        /* the condition first (cc_test has no side effects, or R8B from
         * the instruction before), kept in R12 while the source is read
         * (a fault then changes nothing) */
        if (e->fused) {
            e8(e, 0x45); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xe0);              /* movzx r12d, r8b */
        } else {
            emit_cond_zx(e, d->op & 0xf, H_R12);
        }
        if (d->mod == 3) {
            greg_load(e, H_RAX, d->rm, w);
        } else {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
        }
        /* the host's CMOVcc: a 32-bit one zero-extends its destination
         * whether or not it moves, as the guest's does */
        greg_load(e, H_RCX, d->reg, true);
        e8(e, 0x45); e8(e, 0x84); e8(e, 0xe4);                               /* test r12b, r12b */
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0x0f); e8(e, 0x45); e8(e, 0xc8);                               /* cmovnz ecx/rcx, eax/rax */
        greg_store(e, H_RCX, d->reg);
        return;
    }
    if (d->handler == op_inc_r || d->handler == op_dec_r || d->handler == op_grp_incdec) {
        /* incdec: the carry before (kept as cc_src), the result */
        bool dec = is_dec(d);
        if (e->fdead) {
            int h = e->gcache[d->rm];
            if (h >= 0) {
                /* on the register caching it (32 bits: zero-extended) */
                greg_ensure(e, d->rm);
                if (w || h >= 8) {
                    e8(e, 0x40 | (w ? 8 : 0) | (h >= 8 ? 1 : 0));
                }
                e8(e, 0xff); e8(e, (dec ? 0xc8 : 0xc0) | (h & 7));          /* inc/dec h */
                e->gdirty |= 1u << d->rm;
                return;
            }
            greg_load(e, H_RAX, d->rm, w);
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0xff); e8(e, dec ? 0xc8 : 0xc0);                           /* inc/dec eax/rax */
            greg_store(e, H_RAX, d->rm);
            return;
        }
        g_assert(e->setcc < 0 || !e->fdead);
        emit_cond_zx(e, 2, H_R12);                                           /* CF */
        greg_load(e, H_RAX, d->rm, w);
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xff); e8(e, dec ? 0xc8 : 0xc0);                               /* inc/dec eax/rax */
        if (e->setcc >= 0) {
            e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | e->setcc); e8(e, 0xc0);   /* setcc r8b */
        }
        greg_store(e, H_RAX, d->rm);
        emit_cc_record(e, (dec ? CC_OP_DECB : CC_OP_INCB) + d->ot, H_R12, -1);
        return;
    }
    if (d->handler == op_mov_EI) {
        if (d->mod == 3) {
            greg_store_imm(e, d->rm, w ? d->imm : (uint32_t)d->imm);
            return;
        }
        emit_ea(e, d, next);
        e8(e, 0x49); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);   /* mov r9, simm32 */
        emit_mem(e, tb, d->seg, d->ot, true, -1, eip, next);
        return;
    }
    if (d->handler == op_mov_EG || d->handler == op_mov_GE) {
        /* 8/16 bits: the source zero-extended into R9D, then a partial
         * write of the destination (a byte register as reg_set writes it) */
        bool to_mem = d->handler == op_mov_EG;
        int src = to_mem ? d->reg : d->rm, dst = to_mem ? d->rm : d->reg;
        if (d->mod == 3 || to_mem) {
            sized_read(e, d, src, d->ot, d->ot ? 0xb7 : 0xb6, false, H_R9);  /* movzx r9d, src */
        }
        if (d->mod != 3) {
            emit_ea(e, d, next);
            if (to_mem) {
                emit_mem(e, tb, d->seg, d->ot, true, -1, eip, next);
                return;
            }
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
            e8(e, 0x41); e8(e, 0x89); e8(e, 0xc1);                           /* mov r9d, eax */
        }
        sized_write(e, d, dst, d->ot, H_R9);
        return;
    }
    if (d->handler == op_shift && d->aux < 2) {
        /* ROL/ROR by a constant: flags eager (CC_OP_EFLAGS) as
         * shift_compute leaves them, CF and OF from the result, the rest
         * as they were; nothing when they are dead */
        unsigned cnt = shift_imm_count(d);
        unsigned bits = w ? 64 : 32;
        if (!cnt) {
            return;
        }
        if (!e->fdead) {
            emit_flags_to_r12(e);
        }
        greg_load(e, H_RAX, d->rm, w);
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xc1); e8(e, 0xc0 | (d->aux << 3)); e8(e, cnt);                /* rol/ror eax, cnt */
        greg_store(e, H_RAX, d->rm);
        if (e->fdead) {
            return;
        }
        e8(e, 0x41); e8(e, 0x81); e8(e, 0xe4); e32(e, ~(uint32_t)(CC_C | CC_O));   /* and r12d, ~(C|O) */
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                               /* mov rcx, rax */
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xc2);                               /* mov rdx, rax */
        if (d->aux == 0) {
            /* ROL: CF = bit 0, OF = MSB ^ CF */
            e8(e, 0x83); e8(e, 0xe1); e8(e, 1);                              /* and ecx, 1 */
            e8(e, 0x48); e8(e, 0xc1); e8(e, 0xea); e8(e, bits - 1);          /* shr rdx, bits-1 */
            e8(e, 0x31); e8(e, 0xca);                                        /* xor edx, ecx */
        } else {
            /* ROR: CF = MSB, OF = MSB ^ the bit below it */
            e8(e, 0x48); e8(e, 0xc1); e8(e, 0xe9); e8(e, bits - 1);          /* shr rcx, bits-1 */
            e8(e, 0x48); e8(e, 0xc1); e8(e, 0xea); e8(e, bits - 2);          /* shr rdx, bits-2 */
            e8(e, 0x89); e8(e, 0xd6);                                        /* mov esi, edx */
            e8(e, 0xd1); e8(e, 0xee);                                        /* shr esi, 1 */
            e8(e, 0x31); e8(e, 0xf2);                                        /* xor edx, esi */
        }
        e8(e, 0x83); e8(e, 0xe2); e8(e, 1);                                  /* and edx, 1 */
        e8(e, 0xc1); e8(e, 0xe2); e8(e, 11);                                 /* shl edx, 11: OF */
        e8(e, 0x41); e8(e, 0x09); e8(e, 0xcc);                               /* or r12d, ecx */
        e8(e, 0x41); e8(e, 0x09); e8(e, 0xd4);                               /* or r12d, edx */
        emit_eflags_set(e, H_R12);
        return;
    }
    if (d->handler == op_shift && d->op == 0xd3) {
        /* SHL/SAL, SHR, SAR by CL: as by a constant, but a zero count
         * (known only now) leaves the register and the flags alone */
        uint8_t ext = d->aux == 6 ? 4 : d->aux;
        greg_load(e, H_RAX, d->rm, w);          /* both loads before the branch */
        greg_load(e, H_RCX, R_ECX, false);
        e8(e, 0x83); e8(e, 0xe1); e8(e, w ? 0x3f : 0x1f);                    /* and ecx, mask */
        uint8_t *zero = jcc_fwd(e, 0x4);                                     /* jz */
        e8(e, 0xff); e8(e, 0xc9);                                            /* dec ecx */
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xd3); e8(e, 0xc0 | (ext << 3));                               /* op eax, cl (cnt-1) */
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xc2);                               /* mov rdx, rax */
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xd1); e8(e, 0xc0 | (ext << 3));                               /* op eax, 1 */
        greg_store(e, H_RAX, d->rm);
        if (!e->fdead) {
            emit_cc_record(e, (ext == 4 ? CC_OP_SHLB : CC_OP_SARB) + d->ot, H_RDX, -1);
        }
        bind(e, zero, e->p);
        return;
    }
    if (d->handler == op_shift && d->ot < 2) {
        /* 8/16-bit SHL/SAL, SHR, SAR by a constant: the host's 8/16-bit
         * shifts on the register's low byte/word (count masked to 5 bits
         * as the guest's), written back in place; shift_compute's record
         * (the operand shifted by one less, zero-extended, in cc_src) */
        unsigned cnt = shift_imm_count(d);
        if (!cnt) {
            return;
        }
        uint8_t ext = d->aux == 6 ? 4 : d->aux;
        size_t off = sized_env(e, d, d->rm, d->ot);
        e8(e, 0x0f); e8(e, d->ot ? 0xb7 : 0xb6); m_rbx(e, H_RAX, off);     /* movzx eax, [] */
        bool dead = e->fdead;
        if (dead || cnt > 1) {
            if (d->ot) {
                e8(e, 0x66);
            }
            e8(e, d->ot ? 0xc1 : 0xc0); e8(e, 0xc0 | (ext << 3));
            e8(e, dead ? cnt : cnt - 1);                                     /* op al/ax, n */
        }
        if (!dead) {
            e8(e, 0x0f); e8(e, d->ot ? 0xb7 : 0xb6); e8(e, 0xc8);            /* movzx ecx, al/ax */
            if (d->ot) {
                e8(e, 0x66);
            }
            e8(e, d->ot ? 0xd1 : 0xd0); e8(e, 0xc0 | (ext << 3));            /* op al/ax, 1 */
        }
        if (d->ot) {
            e8(e, 0x66);
        }
        e8(e, d->ot ? 0x89 : 0x88); m_rbx(e, H_RAX, off);                    /* mov [], al/ax */
        greg_dirty(e, sized_reg(d, d->rm, d->ot));
        if (dead) {
            return;
        }
        e8(e, 0x0f); e8(e, d->ot ? 0xb7 : 0xb6); e8(e, 0xc0);                /* movzx eax, al/ax */
        emit_cc_record(e, (ext == 4 ? CC_OP_SHLB : CC_OP_SARB) + d->ot, H_RCX, -1);
        return;
    }
    if (d->handler == op_shift) {
        /* SHL/SAL, SHR, SAR by a constant: the lazy record of
         * shift_compute (dst = result, src = the operand shifted by one
         * less, SHL or SAR op); a zero count changes nothing */
        unsigned cnt = shift_imm_count(d);
        if (!cnt) {
            return;
        }
        uint8_t ext = d->aux == 6 ? 4 : d->aux;     /* SAL is SHL */
        int h = e->fdead ? greg_inplace(e, d->rm) : -1;
        if (h >= 0) {
            /* flags dead, register cached: in place (a 32-bit shift
             * zero-extends, as the guest's) */
            uint8_t rex = (w ? 8 : 0) | (h >= 8 ? 1 : 0);
            if (rex) {
                e8(e, 0x40 | rex);
            }
            e8(e, 0xc1); e8(e, 0xc0 | (ext << 3) | (h & 7)); e8(e, cnt);     /* op h, cnt */
            e->gdirty |= 1u << d->rm;
            return;
        }
        greg_load(e, H_RAX, d->rm, w);
        if (e->fdead) {
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0xc1); e8(e, 0xc0 | (ext << 3)); e8(e, cnt);               /* op eax, cnt */
            greg_store(e, H_RAX, d->rm);
            return;
        }
        if (cnt > 1) {
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0xc1); e8(e, 0xc0 | (ext << 3)); e8(e, cnt - 1);           /* op eax, cnt-1 */
        }
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                               /* mov rcx, rax */
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xd1); e8(e, 0xc0 | (ext << 3));                               /* op eax, 1 */
        greg_store(e, H_RAX, d->rm);
        emit_cc_record(e, (ext == 4 ? CC_OP_SHLB : CC_OP_SARB) + d->ot, H_RCX, -1);
        return;
    }
    if (d->handler == op_grp3 && d->aux >= 4) {
        /* MUL/IMUL r: RDX:RAX = RAX * r, CF = OF = the host's (the high
         * half is not the low one extended), do_mul's record; DIV r
         * (unsigned): the host's, unless the divisor is 0 or the quotient
         * does not fit (high half >= divisor), when the handler raises #DE;
         * DIV's divisor may be in memory */
        if (d->mod != 3) {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                           /* mov rcx, rax */
        } else {
            greg_load(e, H_RCX, d->rm, w);
        }
        SlowPath *sp = NULL;
        if (d->aux == 6) {
            g_assert(e->nslow < TB_MAX_INSNS);
            sp = &e->slow[e->nslow++];
            *sp = (SlowPath){ .d = d, .dirty = e->gdirty, .eip = eip, .next = next, .done_eip = next,
                              .pending = e->pending, .setcc = -1 };
        }
        greg_load(e, H_RAX, R_EAX, w);
        if (sp) {
            greg_load(e, H_RDX, R_EDX, w);
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0x85); e8(e, 0xc9);                                        /* test ecx/rcx */
            sp->from[sp->nfrom++] = jcc_fwd(e, 0x4);
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0x39); e8(e, 0xca);                                        /* cmp edx/rdx, ecx/rcx */
            sp->from[sp->nfrom++] = jcc_fwd(e, 0x3);                         /* jae */
        }
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xf7); e8(e, 0xc1 | (d->aux << 3));                            /* mul/imul/div ecx/rcx */
        if (!sp && !e->fdead) {
            e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90); e8(e, 0xc1);              /* seto r9b */
            e8(e, 0x45); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc9);              /* movzx r9d, r9b */
        }
        greg_store(e, H_RAX, R_EAX);
        greg_store(e, H_RDX, R_EDX);
        if (!sp && !e->fdead) {
            emit_cc_record(e, CC_OP_MULB + d->ot, H_R9, -1);
        }
        if (sp) {
            sp->resume = e->p;
            sp->reload = e->gloaded;
            e->cc_known = -1;
            e->cc_spec = -1;
        }
        return;
    }
    if (d->handler == op_grp3) {
        /* NOT (no flags), NEG (SUB's record of 0 - a) */
        if (d->aux == 2) {
            greg_load(e, H_RAX, d->rm, w);
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0xf7); e8(e, 0xd0);                                        /* not eax/rax */
            greg_store(e, H_RAX, d->rm);
            return;
        }
        greg_load(e, H_RCX, d->rm, w);
        e8(e, 0x31); e8(e, 0xc0);                                            /* xor eax, eax */
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0x29); e8(e, 0xc8);                                            /* sub eax/rax, ecx/rcx */
        greg_store(e, H_RAX, d->rm);
        if (!e->fdead) {
            emit_cc_record(e, CC_OP_SUBB + d->ot, H_RCX, -1);
        }
        return;
    }
    if (d->handler == op_push_r) {
        /* store first, then commit RSP (push_v) */
        greg_load(e, H_RDX, R_ESP, true);
        e8(e, 0x48); e8(e, 0x83); e8(e, 0xea); e8(e, 8);                     /* sub rdx, 8 */
        e->grp_tok = true;          /* a TLB group's member maybe (group_plan) */
        emit_mem(e, tb, R_SS, 3, true, d->rm, eip, next);
        e->slow[e->nslow - 1].push = true;
        greg_add8(e, R_ESP, -8);
        return;
    }
    /* pop: load, RSP += 8, then the register (POP RSP takes the value) */
    greg_load(e, H_RDX, R_ESP, true);
    e->grp_tok = true;
    emit_mem(e, tb, R_SS, 3, false, 0, eip, next);
    greg_add8(e, R_ESP, 8);
    greg_store(e, H_RAX, d->rm);
}

/*
 * SSE in 64-bit code: the 128-bit moves (MOVDQA/MOVDQU, MOVAPS/MOVAPD,
 * MOVUPS/MOVUPD) and the bitwise and integer operations whose host
 * encoding is the guest's (66 0F xx, and 0F 54h-57h, 14h/15h with or
 * without 66): none reads or writes MXCSR, so the host instruction on
 * XMM0/XMM1 is the guest's.  The vCPU must have SSE2 when the block is
 * translated (CPUID.1:EDX.SSE2).  Anything unusual (CR0.EM/TS, no CR4.OSFXSR, a misaligned
 * or unmapped operand) takes the handler from a slow path.
 */
enum { SSE_NONE, SSE_OP, SSE_LOAD, SSE_STORE, SSE_TO_GPR, SSE_FROM_GPR, SSE_MOVLOW, SSE_FP,
       SSE_SHIFTI };

/*
 * SSE_MOVLOW, the moves of an XMM register's low 4 or 8 bytes: MOVSS/MOVSD
 * (F3/F2 0F 10/11), MOVD/MOVQ xmm, m and m, xmm (66 0F 6E/7E), MOVQ xmm,
 * xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6).  *q: 8 bytes;
 * *to_xmm: the ModRM reg field is the destination; *zero: a move between
 * registers zeroes the rest of the destination (the MOVQ forms; a load
 * from memory always does).
 */
static void sse_movlow(const DecodedInsn *d, bool *q, bool *to_xmm, bool *zero)
{
    int op = d->op & 0xff;
    if (op == 0x10 || op == 0x11) {
        *q = d->prefixes & PFX_REPNE;
        *to_xmm = op == 0x10;
        *zero = false;
        return;
    }
    bool rep = d->prefixes & PFX_REP;
    *q = op == 0xd6 || rep || (d->rex & 8);
    *to_xmm = op == 0x6e || rep;
    *zero = true;
}

static int sse_kind(const CPUX86State *env, const TranslationBlock *tb, const DecodedInsn *d,
                    bool *align)
{
    if (d->handler != op_sse || !(tb->flags & HF_CS64) || d->op < 0x100 || d->op > 0x1ff ||
        !((env->cpuid_features >> 26) & 1)) {
        return SSE_NONE;
    }
    int op = d->op & 0xff;
    int pc = (d->prefixes & PFX_REPNE) ? 3 : (d->prefixes & PFX_REP) ? 2 :
             (d->prefixes & PFX_OPSIZE) ? 1 : 0;
    *align = true;
    if ((op == 0x6f || op == 0x7f) && (pc == 1 || pc == 2)) {
        *align = pc == 1;                   /* MOVDQA; MOVDQU */
        return op == 0x6f ? SSE_LOAD : SSE_STORE;
    }
    if ((op == 0x28 || op == 0x29 || op == 0x10 || op == 0x11) && pc < 2) {
        *align = op >= 0x28;                /* MOVAPS/PD; MOVUPS/PD */
        return (op & 1) ? SSE_STORE : SSE_LOAD;
    }
    if (pc < 2 && ((op >= 0x54 && op <= 0x57) || op == 0x14 || op == 0x15)) {
        return SSE_OP;
    }
    if (pc >= 2 && (op == 0x10 || op == 0x11)) {
        *align = false;
        return SSE_MOVLOW;                  /* MOVSS, MOVSD */
    }
    if ((pc == 1 && (op == 0x6e || op == 0x7e) && d->mod != 3) || (pc == 2 && op == 0x7e) ||
        (pc == 1 && op == 0xd6)) {
        *align = false;
        return SSE_MOVLOW;                  /* MOVD/MOVQ xmm, m; m, xmm; MOVQ xmm, xmm/m */
    }
    if (pc == 1 && d->mod == 3 && op >= 0x71 && op <= 0x73) {
        int ext = d->reg & 7;
        if (ext == 2 || ext == 6 || (op != 0x73 && ext == 4) || (op == 0x73 && (ext == 3 || ext == 7))) {
            return SSE_SHIFTI;              /* PSRL/PSRA/PSLL W/D/Q, PSRLDQ, PSLLDQ by imm8 */
        }
    }
    if ((pc >= 2 && (op == 0x51 || op == 0x58 || op == 0x59 || (op >= 0x5c && op <= 0x5f) ||
                     op == 0x2a)) ||
        (pc < 2 && (op == 0x2e || op == 0x2f))) {
        *align = false;
        return SSE_FP;                      /* scalar arithmetic, (U)COMISS/SD, CVTSI2SS/SD */
    }
    if (pc >= 1 && op == 0x70) {
        return SSE_OP;                      /* PSHUFD, PSHUFHW, PSHUFLW */
    }
    if (pc == 1 && d->mod == 3 && (op == 0xd7 || op == 0x7e)) {
        return SSE_TO_GPR;                  /* PMOVMSKB r, xmm; MOVD/MOVQ r, xmm */
    }
    if (pc == 1 && d->mod == 3 && op == 0x6e) {
        return SSE_FROM_GPR;                /* MOVD/MOVQ xmm, r */
    }
    if (pc == 1 && ((op >= 0x60 && op <= 0x6d) || (op >= 0x74 && op <= 0x76) ||
                    (op >= 0xd1 && op <= 0xd5) || (op >= 0xd8 && op <= 0xdf) ||
                    (op >= 0xe0 && op <= 0xe5) || (op >= 0xe8 && op <= 0xef) ||
                    (op >= 0xf1 && op <= 0xf6) || (op >= 0xf8 && op <= 0xfe))) {
        return SSE_OP;
    }
    return SSE_NONE;
}

#define XMMOFF(r) (offsetof(CPUX86State, fpu.xmm) + 16 * (size_t)(r))

/* movdqu xmmN, [rbx+off] (store: movdqu [rbx+off], xmmN), N 0 or 1 */
static void xmm_env(Emit *e, int n, size_t off, bool store)
{
    e8(e, 0xf3); e8(e, 0x0f); e8(e, store ? 0x7f : 0x6f); m_rbx(e, n, off);
}

/*
 * Scalar SSE floating point (SSE_FP), with RAX the host address of a
 * memory operand: the host instruction itself, run with the guest's
 * MXCSR when that is the power-on one but for its flags (every exception
 * masked, round to nearest, no DAZ/FTZ), so that the host computes the
 * guest's result and raises the guest's flags; those it ORs into the
 * guest's MXCSR.  Any other MXCSR (an unmasked exception would trap, in
 * the host) takes the handler (sp).
 */
static void emit_sse_fp(Emit *e, const DecodedInsn *d, SlowPath *sp)
{
    int op = d->op & 0xff;
    bool cvt = op == 0x2a, comis = op == 0x2e || op == 0x2f;
    bool w = d->rex & 8;
    /* the guest's MXCSR without its flags, 1F80h, loaded into the host's */
    e8(e, 0x8b); m_rbx(e, H_RCX, offsetof(CPUX86State, fpu.mxcsr));          /* mov ecx, mxcsr */
    e8(e, 0x81); e8(e, 0xe1); e32(e, ~(uint32_t)MXCSR_FLAGS);                /* and ecx, ~flags */
    e8(e, 0x81); e8(e, 0xf9); e32(e, MXCSR_MASKS);                           /* cmp ecx, 1f80h */
    g_assert(sp->nfrom < SLOW_FROM);
    sp->from[sp->nfrom++] = jcc_fwd(e, CC_NE);
    e8(e, 0x89); m_rbx(e, H_RCX, offsetof(CPUX86State, jit_csr));           /* mov jit_csr, ecx */
    e8(e, 0x0f); e8(e, 0xae); m_rbx(e, 2, offsetof(CPUX86State, jit_csr));  /* ldmxcsr */
    /* the source: XMM1, or RCX for CVTSI2SS/SD */
    if (d->mod != 3) {
        if (cvt) {
            if (w) {
                e8(e, 0x48);
            }
            e8(e, 0x8b); e8(e, 0x08);                                        /* mov ecx/rcx, [rax] */
        } else if (comis ? (d->prefixes & PFX_OPSIZE) : (d->prefixes & PFX_REPNE)) {
            e8(e, 0xf3); e8(e, 0x0f); e8(e, 0x7e); e8(e, 0x08);              /* movq xmm1, [rax] */
        } else {
            e8(e, 0x66); e8(e, 0x0f); e8(e, 0x6e); e8(e, 0x08);              /* movd xmm1, [rax] */
        }
    } else if (cvt) {
        greg_load(e, H_RCX, d->rm, w);
    } else {
        xmm_env(e, 1, XMMOFF(d->rm), false);
    }
    xmm_env(e, 0, XMMOFF(d->reg), false);
    if (comis) {
        /* ZF PF CF from the host's, OF SF AF clear */
        if (d->prefixes & PFX_OPSIZE) {
            e8(e, 0x66);
        }
        e8(e, 0x0f); e8(e, op); e8(e, 0xc1);                                 /* (u)comis xmm0, xmm1 */
        e8(e, 0x9c); e8(e, 0x59);                                            /* pushfq; pop rcx */
        e8(e, 0x83); e8(e, 0xe1); e8(e, CC_Z | CC_P | CC_C);                 /* and ecx, ZF|PF|CF */
        emit_eflags_set(e, H_RCX);
    } else {
        e8(e, (d->prefixes & PFX_REPNE) ? 0xf2 : 0xf3);
        if (cvt && w) {
            e8(e, 0x48);
        }
        e8(e, 0x0f); e8(e, op); e8(e, 0xc1);                                 /* op xmm0, xmm1 (or ecx/rcx) */
        xmm_env(e, 0, XMMOFF(d->reg), true);
    }
    /* the flags it raised, into the guest's */
    e8(e, 0x0f); e8(e, 0xae); m_rbx(e, 3, offsetof(CPUX86State, jit_csr));  /* stmxcsr */
    e8(e, 0x8b); m_rbx(e, H_RAX, offsetof(CPUX86State, jit_csr));
    e8(e, 0x83); e8(e, 0xe0); e8(e, MXCSR_FLAGS);                            /* and eax, flags */
    e8(e, 0x09); m_rbx(e, H_RAX, offsetof(CPUX86State, fpu.mxcsr));          /* or mxcsr, eax */
}

static void emit_sse(Emit *e, const TranslationBlock *tb, const DecodedInsn *d, int kind,
                     bool align, uint64_t eip, uint64_t next)
{
    g_assert(e->nslow < TB_MAX_INSNS);
    SlowPath *sp = &e->slow[e->nslow++];
    *sp = (SlowPath){ .d = d, .dirty = e->gdirty, .eip = eip, .next = next, .done_eip = next,
                      .pending = e->pending,
                      .setcc = -1 };
    /* #UD/#NM conditions: the handler raises them; tested once until
     * a handler call */
    if (!e->sse_ok) {
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, cr[0])); e32(e, CR0_EM | CR0_TS);
        sp->from[sp->nfrom++] = jcc_fwd(e, CC_NE);
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, cr[4])); e32(e, CR4_OSFXSR);
        sp->from[sp->nfrom++] = jcc_fwd(e, 0x4);
        e->sse_ok = true;
    }
    if (d->mod != 3) {
        emit_ea(e, d, next);
        uint8_t *slow[SLOW_FROM];
        unsigned ns = 0;
        /* the scalar ones: 4 or 8 bytes (F3 or F2; (U)COMISS or 66
         * (U)COMISD; CVTSI2SS/SD: the integer's size) */
        unsigned size = 16;
        int op = d->op & 0xff;
        bool store = kind == SSE_STORE;
        if (kind == SSE_FP) {
            bool q = op == 0x2a ? (d->rex & 8) : op == 0x2e || op == 0x2f ? (d->prefixes & PFX_OPSIZE)
                                                                        : (d->prefixes & PFX_REPNE);
            size = q ? 8 : 4;
        } else if (kind == SSE_MOVLOW) {
            bool q, to_xmm, zero;
            sse_movlow(d, &q, &to_xmm, &zero);
            size = q ? 8 : 4;
            store = !to_xmm;
        }
        emit_tlb_check(e, tb, d->seg, size, store, align, slow, &ns, NULL);
        g_assert(sp->nfrom + ns <= SLOW_FROM);
        for (unsigned i = 0; i < ns; i++) {
            sp->from[sp->nfrom++] = slow[i];
        }
    }
    bool w = d->rex & 8;
    if (kind == SSE_FP) {
        emit_sse_fp(e, d, sp);
    } else if (kind == SSE_SHIFTI) {
        /* on the register in the ModRM rm field, its reg field the operation */
        xmm_env(e, 0, XMMOFF(d->rm), false);
        e8(e, 0x66); e8(e, 0x0f); e8(e, d->op & 0xff); e8(e, 0xc0 | (d->reg & 7) << 3);
        e8(e, (uint8_t)d->imm);                                              /* psxx xmm0, imm8 */
        xmm_env(e, 0, XMMOFF(d->rm), true);
    } else if (kind == SSE_MOVLOW) {
        bool q, to_xmm, zero;
        sse_movlow(d, &q, &to_xmm, &zero);
        int dst = to_xmm ? d->reg : d->rm;
        if (d->mod != 3 && !to_xmm) {
            op_rm(e, 0x8b, H_RCX, XMMOFF(d->reg), q);
            if (q) {
                e8(e, 0x48);
            }
            e8(e, 0x89); e8(e, 0x08);                                        /* mov [rax], ecx/rcx */
        } else {
            if (d->mod == 3) {
                op_rm(e, 0x8b, H_RCX, XMMOFF(to_xmm ? d->rm : d->reg), q);   /* mov ecx/rcx, [src] */
                op_rm(e, 0x89, H_RCX, XMMOFF(dst), q);                       /* mov [dst], ecx/rcx */
            } else {
                if (q) {
                    e8(e, 0x48);
                }
                e8(e, 0x8b); e8(e, 0x08);                                    /* mov ecx/rcx, [rax] */
                op_rm(e, 0x89, H_RCX, XMMOFF(dst), true);                    /* mov [dst], rcx */
                zero = true;
            }
            if (zero) {
                e8(e, 0x48); e8(e, 0xc7); m_rbx(e, 0, XMMOFF(dst) + 8); e32(e, 0);  /* mov qword [dst+8], 0 */
            }
        }
    } else if (kind == SSE_TO_GPR) {
        /* PMOVMSKB: GPR reg <- XMM rm; MOVD/MOVQ: GPR rm <- XMM reg */
        bool mask = (d->op & 0xff) == 0xd7;
        xmm_env(e, 0, XMMOFF(mask ? d->rm : d->reg), false);
        e8(e, 0x66);
        if (w && !mask) {
            e8(e, 0x48);
        }
        e8(e, 0x0f); e8(e, d->op & 0xff); e8(e, 0xc0);                       /* pmovmskb/movd eax, xmm0 */
        greg_store(e, H_RAX, mask ? d->reg : d->rm);
    } else if (kind == SSE_FROM_GPR) {
        greg_load(e, H_RAX, d->rm, w);
        e8(e, 0x66);
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0x0f); e8(e, 0x6e); e8(e, 0xc0);                               /* movd/movq xmm0, eax/rax */
        xmm_env(e, 0, XMMOFF(d->reg), true);
    } else if (kind == SSE_STORE) {
        xmm_env(e, 0, XMMOFF(d->reg), false);
        if (d->mod == 3) {
            xmm_env(e, 0, XMMOFF(d->rm), true);
        } else {
            e8(e, 0xf3); e8(e, 0x0f); e8(e, 0x7f); e8(e, 0x00);              /* movdqu [rax], xmm0 */
        }
    } else {
        int n = kind == SSE_OP ? 1 : 0;     /* the source in XMM1 (an op) or XMM0 (a load) */
        if (d->mod == 3) {
            xmm_env(e, n, XMMOFF(d->rm), false);
        } else {
            e8(e, 0xf3); e8(e, 0x0f); e8(e, 0x6f); e8(e, n << 3);           /* movdqu xmmN, [rax] */
        }
        if (kind == SSE_OP) {
            xmm_env(e, 0, XMMOFF(d->reg), false);
            /* the mandatory prefix: F2 and F3 win over 66 */
            if (d->prefixes & (PFX_REPNE | PFX_REP)) {
                e8(e, (d->prefixes & PFX_REPNE) ? 0xf2 : 0xf3);
            } else if (d->prefixes & PFX_OPSIZE) {
                e8(e, 0x66);
            }
            e8(e, 0x0f); e8(e, d->op & 0xff); e8(e, 0xc1);                   /* op xmm0, xmm1 */
            if ((d->op & 0xff) == 0x70) {
                e8(e, (uint8_t)d->imm);                                      /* PSHUF*'s order */
            }
        }
        xmm_env(e, 0, XMMOFF(d->reg), true);
    }
    sp->resume = e->p;
    sp->reload = e->gloaded;
}

/* add qword [rbx+instr_count], n */
static void flush_count(Emit *e)
{
    if (e->pending == 1) {
        inc_q(e, offsetof(CPUX86State, jit_count));
    } else {
        add_count(e, e->pending, false);
    }
    e->pending = 0;
}


/*
 * After STI, on the way into the next block only: no interrupt was
 * pending at the block's checks, and one that comes now is seen at the
 * end of that block, after the instruction the shadow covers; so the
 * shadow ends here instead of the loop running that instruction alone
 * (local_irq_enable).  A way back to the loop keeps it.
 */
static void emit_end_shadow(Emit *e, const TranslationBlock *tb)
{
    if (tb->insns[tb->n_insns - 1].op == 0xfb) {
        e8(e, 0x81); m_rbx(e, 4, offsetof(CPUX86State, hflags));
        e32(e, ~(uint32_t)HF_INHIBIT_IRQ);                                   /* and [], ~INHIBIT */
    }
}

/*
 * 64-bit code: x86_jit_lookup's jump-cache probe inline (CS base 0, so the
 * linear PC is RIP): the block cached for RIP, with this block's mode and
 * CPL, whose page the TLB still maps where it was decoded from, and which
 * has code.  A miss falls through to the call.
 */
static void emit_lookup_inline(Emit *e, const TranslationBlock *tb, uint8_t **exits,
                               unsigned *nexit)
{
    int idx = (tb->flags & HF_CPL_MASK) == 3 ? 1 : 0;
    size_t tlb = offsetof(CPUX86State, tlb) + (size_t)idx * TLB_SIZE * sizeof(TLBEntry);
    uint8_t *miss[8];
    unsigned nm = 0;
    G_STATIC_ASSERT(TB_JMP_SIZE - 1 <= 0x7fffffff);
    op_rm(e, 0x8b, H_RAX, offsetof(CPUX86State, eip), true);                 /* mov rax, rip */
    e8(e, 0x48); e8(e, 0xb9); e64(e, TB_JMP_MUL);                            /* mov rcx, mul */
    e8(e, 0x48); e8(e, 0x0f); e8(e, 0xaf); e8(e, 0xc8);                     /* imul rcx, rax */
    e8(e, 0x48); e8(e, 0xc1); e8(e, 0xe9); e8(e, 64 - TB_JMP_BITS);          /* shr rcx, 64-bits */
    op_rm(e, 0x8b, H_RDX, offsetof(CPUX86State, tb_jmp_cache), true);        /* mov rdx, jc */
    e8(e, 0x48); e8(e, 0x8b); e8(e, 0x14); e8(e, 0xca);                     /* mov rdx, [rdx+rcx*8] */
    e8(e, 0x48); e8(e, 0x85); e8(e, 0xd2);                                   /* test rdx, rdx */
    miss[nm++] = jcc_fwd(e, 0x4);
    e8(e, 0x48); e8(e, 0x3b); e8(e, 0x82); e32(e, offsetof(TranslationBlock, pc_lin));
    miss[nm++] = jcc_fwd(e, CC_NE);
    e8(e, 0x48); e8(e, 0x83); e8(e, 0xba); e32(e, offsetof(TranslationBlock, cs_base)); e8(e, 0);
    miss[nm++] = jcc_fwd(e, CC_NE);
    e8(e, 0x81); e8(e, 0xba); e32(e, offsetof(TranslationBlock, flags)); e32(e, tb->flags);
    miss[nm++] = jcc_fwd(e, CC_NE);
    if (idx == 0 && (tb->flags & HF_SMAP)) {
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, eflags)); e32(e, AC_MASK);
        miss[nm++] = jcc_fwd(e, CC_NE);
    }
    emit_tlb_slot(e, H_RCX);
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xc6);                                   /* mov rsi, rax */
    e8(e, 0x48); e8(e, 0x81); e8(e, 0xe6); e32(e, 0xfffff000);              /* and rsi, ~0xfff */
    e8(e, 0x48); e8(e, 0x3b); e8(e, 0xb4); e8(e, 0x0b);
    e32(e, (uint32_t)(tlb + offsetof(TLBEntry, addr_code)));                 /* cmp rsi, addr_code */
    miss[nm++] = jcc_fwd(e, CC_NE);
    e8(e, 0x48); e8(e, 0x8b); e8(e, 0xb4); e8(e, 0x0b);
    e32(e, (uint32_t)(tlb + offsetof(TLBEntry, paddr)));                     /* mov rsi, paddr */
    e8(e, 0x48); e8(e, 0x33); e8(e, 0xb2); e32(e, offsetof(TranslationBlock, phys)); /* xor rsi, phys */
    e8(e, 0x48); e8(e, 0xc1); e8(e, 0xee); e8(e, 12);                       /* shr rsi, 12 */
    miss[nm++] = jcc_fwd(e, CC_NE);
    e8(e, 0x48); e8(e, 0x8b); e8(e, 0x82); e32(e, offsetof(TranslationBlock, jit_entry));
    e8(e, 0x48); e8(e, 0x85); e8(e, 0xc0);                                   /* test rax, rax */
    miss[nm++] = jcc_fwd(e, 0x4);
    emit_end_shadow(e, tb);
    e8(e, 0xff); e8(e, 0xe0);                                                /* jmp rax */
    for (unsigned i = 0; i < nm; i++) {
        bind(e, miss[i], e->p);
    }
}

/*
 * A direct jump to another page of 64-bit code (CS base 0: the target's
 * linear address is its RIP) goes through its slot's guard once
 * jit_chain links it: the jump cache probe of the lookup without the
 * probe.  The target block and the mode are known; what can change is
 * the mapping of its page, so the guard compares the TLB entry of the
 * target's page (its index and tag are constants) with the page the
 * block was decoded from (an imm64 jit_chain writes) and jumps to the
 * block's entry (a rel32 jit_chain writes); a miss goes to the slot's
 * lookup, which stores RIP.  Unlinked, the slot jumps to its stub and
 * the guard is not reached.
 */
static void emit_guard(Emit *e, const TranslationBlock *tb, JitSlot *s, uint64_t target,
                       uint8_t *lookup_rw)
{
    int idx = (tb->flags & HF_CPL_MASK) == 3 ? 1 : 0;
    size_t te = offsetof(CPUX86State, tlb) +
                ((size_t)idx * TLB_SIZE + ((target >> 12) & (TLB_SIZE - 1))) * sizeof(TLBEntry);
    uint64_t page = target & ~(uint64_t)0xfff;
    s->guard = rx(e, e->p);
    if (fits32((int64_t)page)) {
        e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc0); e32(e, (uint32_t)page);      /* mov rax, simm32 */
    } else {
        e8(e, 0x48); e8(e, 0xb8); e64(e, page);                             /* mov rax, imm64 */
    }
    op_rm(e, 0x3b, H_RAX, te + offsetof(TLBEntry, addr_code), true);        /* cmp rax, addr_code */
    bind(e, jcc_fwd(e, CC_NE), lookup_rw);
    op_rm(e, 0x8b, H_RAX, te + offsetof(TLBEntry, paddr), true);            /* mov rax, paddr */
    while (((uintptr_t)e->p + 2) & 7) {
        e8(e, 0x90);                /* the imm64 8-aligned: written atomically */
    }
    e8(e, 0x48); e8(e, 0xb9);
    s->guard_phys = rx(e, e->p);
    e64(e, ~(uint64_t)0);                                                   /* mov rcx, phys */
    e8(e, 0x48); e8(e, 0x31); e8(e, 0xc8);                                   /* xor rax, rcx */
    e8(e, 0x48); e8(e, 0xc1); e8(e, 0xe8); e8(e, 12);                       /* shr rax, 12 */
    bind(e, jcc_fwd(e, CC_NE), lookup_rw);
    while (((uintptr_t)e->p + 1) & 3) {
        e8(e, 0x90);
    }
    e8(e, 0xe9);
    s->guard_jmp = rx(e, e->p);
    e32(e, 0);
    bind(e, e->p - 4, lookup_rw);
}

/* The block ends in a direct branch to its own start: a loop, which
 * loads its cached registers once, before the loop head. */
static bool ends_in_self_branch(const TranslationBlock *tb)
{
    uint64_t eip = tb->eip0;
    for (uint32_t i = 0; i < tb->n_insns; i++) {
        const DecodedInsn *d = &tb->insns[i];
        uint64_t next = (eip + d->len) & tb->eip_mask;
        if (i + 1 == tb->n_insns) {
            bool cond;
            return is_rel_branch(d->op, &cond) && branch_target(d, next) == tb->eip0;
        }
        eip = block_next_eip(d, next, false);
    }
    return false;
}

/*
 * Which guest registers the block caches: those its inline forms name
 * most (operands, addresses, RSP of PUSH/POP/CALL/RET), at least twice,
 * or in a loop (loop: translate may emit one) at least once, since the
 * loop loads them once (elsewhere a register named once is one load from
 * env either way).  A cached register that ends up unused costs nothing
 * (loads are lazy).
 */
static void choose_cached_regs(Emit *e, const TranslationBlock *tb, bool loop)
{
    unsigned cnt[16] = { 0 };
    memset(e->gcache, -1, sizeof(e->gcache));
    e->gloaded = 0;
    if (!jit_inline) {
        return;
    }
    bool cs64 = tb->flags & HF_CS64;
    for (uint32_t i = 0; i < tb->n_insns; i++) {
        const DecodedInsn *d = &tb->insns[i];
        X86FastForm f;
        if (cs64 && d->opsize == 3 && (d->op == 0xe8 || d->op == 0xc3 || d->op == 0xc2)) {
            cnt[R_ESP] += 2;
            continue;
        }
        bool fast = x86_fast_form(d, &f) && inline_ok(tb, d, &f);
        if (!(fast || extra_kind(tb, d) != XF_NONE)) {
            continue;
        }
        if (d->handler == op_push_r || d->handler == op_pop_r) {
            cnt[R_ESP] += 2;
        }
        /* the ModRM reg field names a register (a group opcode's is an
         * opcode extension, B8+r's nothing) */
        bool reg_operand = fast ? f.form != X86_FAST_EI :
                           d->handler == op_alu_EG || d->handler == op_alu_GE ||
                           d->handler == op_mov_EG || d->handler == op_mov_GE ||
                           d->handler == op_test_EG || d->handler == op_lea ||
                           d->handler == op_movzx || d->handler == op_movsx ||
                           d->handler == op_movsxd || d->handler == op_imul_GE ||
                           d->handler == op_imul_GEI || d->handler == op_cmovcc;
        if (reg_operand && d->reg < 16) {
            cnt[d->reg]++;
        }
        if (d->mod == 3) {
            if (d->rm < 16) {
                cnt[d->rm] += 2;
            }
        } else {
            if (d->base < 16) {
                cnt[d->base]++;
            }
            if (d->index < 16) {
                cnt[d->index]++;
            }
        }
    }
    for (unsigned k = 0; k < G_N_ELEMENTS(cache_hosts); k++) {
        int best = -1;
        for (int g = 0; g < 16; g++) {
            if (e->gcache[g] < 0 && cnt[g] >= (loop ? 1u : 2u) && (best < 0 || cnt[g] > cnt[best])) {
                best = g;
            }
        }
        if (best < 0) {
            break;
        }
        e->gcache[best] = cache_hosts[k];
    }
}

/*
 * Dead flags.  What an instruction tier 1 emits inline does to the flag
 * state: FL_WRITE rewrites the whole lazy record (cc_op, cc_dst, cc_src,
 * cc_src2) and cannot fault; FL_KEEP neither reads nor writes it and
 * cannot fault (a ROL/ROR whose own flags are dead is one too); anything
 * else (a reader, a handler, a possible fault, which would expose
 * EFLAGS) is FL_STOP.  FL_INCDEC, INC/DEC of a register, keeps CF: a
 * reader only when its own flags are live.
 */
enum { FL_STOP, FL_KEEP, FL_WRITE, FL_INCDEC };

static int flag_use(const TranslationBlock *tb, const DecodedInsn *d)
{
    if (jit_inline && d->handler == op_nop) {
        return FL_KEEP;
    }
    X86FastForm f;
    DecodedInsn alias;
    const DecodedInsn *da;
    if (jit_fast_form(d, &f, &alias, &da) && inline_ok(tb, da, &f)) {
        return f.mem ? FL_STOP : f.kind == X86_FAST_MOV ? FL_KEEP : FL_WRITE;
    }
    if (extra_kind(tb, d) != XF_REG) {
        return FL_STOP;
    }
    if (d->handler == op_shift) {
        unsigned cnt = shift_imm_count(d);
        /* ROL/ROR and shifts by CL (which may be 0) read no flags */
        return d->aux < 2 || d->op == 0xd3 || !cnt ? FL_KEEP : FL_WRITE;
    }
    if (d->handler == op_grp3) {
        return d->aux == 2 ? FL_KEEP : FL_WRITE;        /* NOT; NEG, MUL, IMUL */
    }
    if (is_cmp816(d) || is_alu816(d)) {
        return FL_WRITE;
    }
    if (d->handler == op_lea || d->handler == op_mov_RI || d->handler == op_cbw ||
        d->handler == op_movzx ||
        d->handler == op_movsx || d->handler == op_movsxd || d->handler == op_mov_EI ||
        d->handler == op_mov_EG || d->handler == op_mov_GE) {
        return FL_KEEP;
    }
    if ((d->handler == op_imul_GE || d->handler == op_imul_GEI) && d->mod == 3) {
        return FL_WRITE;
    }
    if (d->handler == op_inc_r || d->handler == op_dec_r || d->handler == op_grp_incdec) {
        return FL_INCDEC;   /* of a register (XF_REG) */
    }
    return FL_STOP;         /* CMOVcc reads */
}

/* The slow paths from slow[from] on (those of one flag_write_mem
 * instruction) write the record of the INC/DEC before it first. */
static void defer_mark(Emit *e, unsigned from, int op, int reg)
{
    g_assert(e->nslow > from);      /* its memory access has one at least */
    for (unsigned k = from; k < e->nslow; k++) {
        e->slow[k].defer = true;
        e->slow[k].defer_op = op;
        e->slow[k].defer_reg = reg;
    }
}

/*
 * For group_plan: whether d is one of the common instructions whose
 * register writes are known here, and then what it does:
 *   *acc  to its ModRM memory operand (0 none, 1 reads, 2 writes);
 *   *sacc to the stack, for the 64-bit PUSH, POP, CALL rel and RET that
 *         tier 1 emits inline (0 none, 1 reads [RSP], 2 writes [RSP - 8]);
 *   *adj_reg, *adj: a register it moves by a constant after that access
 *         (RSP by PUSH/POP/CALL/RET, ADD/SUB r64, imm, LEA r64, [r64 + d]),
 *         or -1;
 *   *w    the GPRs it writes otherwise.
 * An instruction has one memory access at most.  Anything else, as far
 * as groups go, may write any register.
 */
static bool grp_insn(const DecodedInsn *d, uint16_t *w, int *acc, int *sacc, int *adj_reg,
                     int64_t *adj)
{
    unsigned op = d->op, lo = op & 7, ext = d->reg & 7;
    bool m = d->mod != 3;
    int wr[2] = { -1, -1 };
    int a = 0;
    *sacc = 0;
    *adj_reg = -1;
    *adj = 0;
    bool q = d->opsize == 3;
    if (!m && d->ot == 3 && (op == 0x81 || op == 0x83) && (ext == 0 || ext == 5) &&
        (int64_t)d->imm == (int32_t)d->imm) {
        /* ADD/SUB r64, imm */
        *adj_reg = d->rm;
        *adj = ext == 0 ? (int64_t)d->imm : -(int64_t)d->imm;
        *w = 0;
        *acc = 0;
        return true;
    }
    if (op == 0x8d && d->ot == 3 && m && d->base == d->reg && d->index == EA_NOREG &&
        d->adsize == 3 && fits32(d->disp)) {
        /* LEA r64, [r64 + disp] */
        *adj_reg = d->reg;
        *adj = d->disp;
        *w = 0;
        *acc = 0;
        return true;
    }
    if (q && ((op >= 0x50 && op <= 0x5f) || op == 0xe8 || op == 0xc3 || op == 0xc2)) {
        bool pop = op >= 0x58 && op <= 0x5f;
        *sacc = pop || op == 0xc3 || op == 0xc2 ? 1 : 2;
        *adj_reg = R_ESP;
        *adj = *sacc == 2 ? -8 : op == 0xc2 ? 8 + (int64_t)(d->imm & 0xffff) : 8;
        *w = pop ? 1u << (lo | (d->rex & 1) << 3) : 0;
        *acc = 0;
        return true;
    }
    if (op < 0x40 && lo < 6) {
        /* ADD OR ADC SBB AND SUB XOR CMP */
        bool cmp = op >> 3 == 7;
        if (lo < 2) {
            a = m ? (cmp ? 1 : 2) : 0;
            wr[0] = m || cmp ? -1 : d->rm;
        } else if (lo < 4) {
            a = m;
            wr[0] = cmp ? -1 : d->reg;
        } else {
            wr[0] = cmp ? -1 : R_EAX;
        }
    } else if (op == 0x63 || op == 0x69 || op == 0x6b || op == 0x8a || op == 0x8b ||
               op == 0x140 + (op & 15) || op == 0x1af || op == 0x1b6 || op == 0x1b7 ||
               op == 0x1bc || op == 0x1bd || op == 0x1be || op == 0x1bf) {
        /* MOVSXD, IMUL, MOV r, r/m, CMOVcc, MOVZX, BSF/BSR, MOVSX */
        a = m;
        wr[0] = d->reg;
    } else if (op == 0x80 || op == 0x81 || op == 0x83) {
        a = m ? (ext == 7 ? 1 : 2) : 0;
        wr[0] = m || ext == 7 ? -1 : d->rm;
    } else if (op == 0x84 || op == 0x85) {
        a = m;
    } else if (op == 0x88 || op == 0x89 || op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3) ||
               ((op == 0xc6 || op == 0xc7) && ext == 0) || op == 0x190 + (op & 15) ||
               ((op == 0xfe || op == 0xff) && ext < 2) || ((op == 0xf6 || op == 0xf7) && (ext == 2 || ext == 3))) {
        /* MOV r/m, r or imm, shifts and rotates, SETcc, INC/DEC, NOT/NEG */
        a = m ? 2 : 0;
        wr[0] = m ? -1 : d->rm;
    } else if (op == 0xf6 || op == 0xf7) {
        /* TEST; MUL, IMUL, DIV, IDIV: RAX and RDX */
        a = m;
        if (ext >= 4) {
            wr[0] = R_EAX;
            wr[1] = R_EDX;
        }
    } else if (op == 0x8d || op == 0x98 || op == 0x99 || (op >= 0xb0 && op <= 0xbf) ||
               (op >= 0x1c8 && op <= 0x1cf)) {
        /* LEA (no access), CBW.., CWD.., MOV r, imm, BSWAP */
        wr[0] = op == 0x8d ? d->reg : op == 0x98 ? R_EAX : op == 0x99 ? R_EDX
                                                 : (int)(lo | (d->rex & 1) << 3);
    } else if (op >= 0x90 && op <= 0x97) {
        /* XCHG rAX, r (NOP) */
        int r = lo | (d->rex & 1) << 3;
        wr[0] = r ? R_EAX : -1;
        wr[1] = r ? r : -1;
    } else if ((op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0xe8) {
        /* PUSH, POP, CALL rel: RSP, and POP's register (their stack
         * access is not the ModRM operand's) */
        wr[0] = R_ESP;
        wr[1] = op >= 0x58 && op <= 0x5f ? (int)(lo | (d->rex & 1) << 3) : -1;
    } else if (op == 0x11f || op == 0xe9 || op == 0xeb) {
        /* NOP r/m (no access), JMP rel */
    } else {
        return false;
    }
    *w = 0;
    for (int k = 0; k < 2; k++) {
        int r = wr[k];
        if (r >= 0) {
            /* AH, CH, DH, BH without REX: the second byte of RAX.. */
            *w |= 1u << (d->ot == 0 && !d->rex && r >= 4 && r < 8 ? r - 4 : r);
        }
    }
    *acc = (d->flags & DF_ATOMIC) ? 0 : a;
    return true;
}

/*
 * The block's TLB groups (see Group): grp_of[i] is instruction i's, or
 * -1, and grp_d[i] its displacement from the group's origin, the value
 * its base register g had when the group began.  Members address
 * [g + disp32] in 64-bit code (no index, no FS/GS base, 64-bit
 * addressing), or the stack by PUSH, POP, CALL and RET (g = RSP).  An
 * instruction that moves g by a constant (PUSH, POP, ADD RSP, 68h; a
 * function's prologue and epilogue) keeps the group open: later members'
 * displacements count it in.  A group ends at an instruction that
 * writes g otherwise or that grp_insn does not know, and one of a single
 * member is dropped.  Groups alive at once get different slots (at most
 * GRP_SLOTS, a group that finds none is dropped too).
 */
static unsigned group_plan(const TranslationBlock *tb, Group *grps, int8_t *grp_of,
                           int32_t *grp_d)
{
    unsigned ng = 0;
    int open[16];
    int64_t moved[16];      /* how far g moved since its group began */
    for (int r = 0; r < 16; r++) {
        open[r] = -1;
    }
    for (uint32_t i = 0; i < tb->n_insns; i++) {
        const DecodedInsn *d = &tb->insns[i];
        uint16_t w = 0;
        int acc = 0, sacc = 0, adj_reg = -1;
        int64_t adj = 0;
        grp_of[i] = -1;
        grp_d[i] = 0;
        if (!jit_inline || !(tb->flags & HF_CS64) ||
            !grp_insn(d, &w, &acc, &sacc, &adj_reg, &adj)) {
            for (int r = 0; r < 16; r++) {
                open[r] = -1;
            }
            continue;
        }
        int base = -1;
        int64_t disp = 0;
        if (acc && d->mod != 3 && d->base < 16 && d->index == EA_NOREG && d->adsize == 3 &&
            d->seg != R_FS && d->seg != R_GS && fits32(d->disp)) {
            base = d->base;
            disp = d->disp;
        } else if (sacc) {
            base = R_ESP;
            disp = sacc == 2 ? -8 : 0;
        }
        if (base >= 0 && ng < TB_MAX_INSNS) {
            int k = open[base];
            int64_t lo = disp + (k >= 0 ? moved[base] : 0);
            int64_t hi = lo + 8;    /* an access of 8 bytes at most */
            if (k >= 0 && MAX(hi, grps[k].dend) - MIN(lo, grps[k].dmin) <= GRP_SPAN) {
                grps[k].dmin = (int32_t)MIN(lo, grps[k].dmin);
                grps[k].dend = (int32_t)MAX(hi, grps[k].dend);
            } else {
                lo = disp;
                hi = lo + 8;
                k = (int)ng++;
                grps[k] = (Group){ .dmin = (int32_t)lo, .dend = (int32_t)hi, .slot = -1, .first = i };
                open[base] = k;
                moved[base] = 0;
            }
            grps[k].store |= acc == 2 || sacc == 2;
            grps[k].last = i;
            grps[k].n++;
            grp_of[i] = (int8_t)k;
            grp_d[i] = (int32_t)lo;
        }
        if (adj_reg >= 0 && open[adj_reg] >= 0) {
            moved[adj_reg] += adj;
            if (moved[adj_reg] < -(1 << 24) || moved[adj_reg] > (1 << 24)) {
                open[adj_reg] = -1;     /* displacements stay far inside int32 */
            }
        }
        for (int r = 0; r < 16; r++) {
            if (w & (1u << r)) {
                open[r] = -1;
            }
        }
    }
    /* slots, in order of first member: a slot is free after the last
     * member of the group that had it */
    uint32_t busy[GRP_SLOTS];
    bool used[GRP_SLOTS] = { false };
    for (unsigned k = 0; k < ng; k++) {
        if (grps[k].n < 2) {
            continue;
        }
        for (unsigned sl = 0; sl < GRP_SLOTS; sl++) {
            if (!used[sl] || busy[sl] < grps[k].first) {
                used[sl] = true;
                busy[sl] = grps[k].last;
                grps[k].slot = (int8_t)sl;
                break;
            }
        }
    }
    for (uint32_t i = 0; i < tb->n_insns; i++) {
        if (grp_of[i] >= 0 && grps[grp_of[i]].slot < 0) {
            grp_of[i] = -1;
        }
    }
    return ng;
}

/* An instruction tier 1 emits inline that rewrites every flag and can
 * fault only in its memory access, before it writes them: CMP, TEST and
 * ADD/SUB/AND/OR/XOR with a memory operand. */
static bool flag_write_mem(const TranslationBlock *tb, const DecodedInsn *d)
{
    if (!jit_inline || (d->flags & DF_ATOMIC)) {
        return false;
    }
    X86FastForm f;
    DecodedInsn alias;
    const DecodedInsn *da;
    if (jit_fast_form(d, &f, &alias, &da) && inline_ok(tb, da, &f)) {
        return f.mem && (f.kind == X86_FAST_TEST || (f.kind == X86_FAST_ALU && f.alu != 2 && f.alu != 3));
    }
    return (is_cmp816(d) || is_alu816(d)) && extra_kind(tb, d) == XF_LOAD;
}

/* fdead[i]: the flags instruction i leaves are rewritten later in the
 * block before anything can see them.  fdefer[i]: instruction i is an
 * INC/DEC whose flags only a fault of the memory access of the next
 * instruction (flag_write_mem) could see: it computes none, and that
 * access's slow paths write its record (SlowPath.defer). */
static void dead_flags(const TranslationBlock *tb, bool *fdead, bool *fdefer)
{
    bool dead = false;
    for (int i = (int)tb->n_insns - 1; i >= 0; i--) {
        fdead[i] = jit_inline && dead;
        int u = x86_jmp_followed(&tb->insns[i], i + 1 == (int)tb->n_insns) ? FL_KEEP
                                                                           : flag_use(tb, &tb->insns[i]);
        fdefer[i] = jit_inline && !fdead[i] && u == FL_INCDEC && i + 1 < (int)tb->n_insns &&
                    flag_write_mem(tb, &tb->insns[i + 1]);
        /* INC/DEC whose flags are dead read no CF (emit_extra's fdead
         * form): they end the flags before them as any write */
        dead = u == FL_WRITE || ((u == FL_KEEP || u == FL_INCDEC) && dead);
    }
}

/*
 * The condition the instruction after this one (dn, at next) takes from
 * the host flags of this one when it can: a Jcc of 64-bit code to a
 * canonical target, or a CMOVcc tier 1 emits inline.  -1: none.
 */
static int fusable_cc(const TranslationBlock *tb, const DecodedInsn *dn, uint64_t next)
{
    if (!dn || !jit_inline) {
        return -1;
    }
    if (is_jcc(dn) && (tb->flags & HF_CS64) && dn->opsize == 3 &&
        is_canonical_addr(branch_target(dn, next + dn->len))) {
        return dn->op & 0xf;
    }
    if ((dn->handler == op_cmovcc || dn->handler == op_setcc) && extra_kind(tb, dn) != XF_NONE) {
        return dn->op & 0xf;
    }
    if (is_adc_sbb(dn) && extra_kind(tb, dn) == XF_REG) {
        return 2;           /* B: the carry ADC/SBB takes in */
    }
    return -1;
}

/*
 * Tier 1 emits d with nothing that touches R8 or the lazy flags and
 * nothing that can leave the block: a register MOV, LEA, MOV r, imm (32
 * or 64 bits).  The condition a flag writer before it sets in R8B for a
 * Jcc after it survives it (the record in env is stored as ever).
 */
static bool r8_transparent(const TranslationBlock *tb, const DecodedInsn *d)
{
    if (!jit_inline || (d->flags & DF_ATOMIC) || d->ot < 2) {
        return false;
    }
    X86FastForm f;
    DecodedInsn alias;
    const DecodedInsn *da;
    if (jit_fast_form(d, &f, &alias, &da) && inline_ok(tb, da, &f)) {
        return f.kind == X86_FAST_MOV && !f.mem;
    }
    return (d->handler == op_lea || d->handler == op_mov_RI) && extra_kind(tb, d) == XF_REG;
}

/* The instruction whose condition instruction i's flags may feed through
 * R8B: the next one, or a Jcc after register MOVs and LEAs (CMP; LEA;
 * Jcc, a compiler's usual order); *at is its address. */
static const DecodedInsn *cc_consumer(const TranslationBlock *tb, uint32_t i, uint64_t next,
                                      uint64_t *at)
{
    *at = next;
    if (i + 1 >= tb->n_insns) {
        return NULL;
    }
    uint64_t a = next;
    for (uint32_t j = i + 1; j < tb->n_insns; j++) {
        const DecodedInsn *dj = &tb->insns[j];
        if (is_jcc(dj)) {
            if (j > i + 1) {
                *at = a;
                return dj;
            }
            break;
        }
        if (!r8_transparent(tb, dj)) {
            break;
        }
        a = (a + dj->len) & tb->eip_mask;
    }
    return &tb->insns[i + 1];
}

/* exec.c: the tier-1 code of the block at CS:EIP from the jump cache
 * (its page still mapped as when it was decoded), or NULL */
const uint8_t *x86_jit_lookup(CPUX86State *env);

/* The way back to the loop head of a block that is its own successor
 * (after the exit checks; env is written back, the registers loaded at
 * the head still hold their values): a jump to the head, with no look at
 * the dead byte, as a chained jump within a page (JIT_ENTRY_CHAINED).  The
 * slot emitted after it is never reached, so never patched. */
static void emit_loop_back(Emit *e, const uint8_t *loop_head)
{
    e8(e, 0xe9);
    e32(e, 0);
    bind(e, e->p - 4, loop_head);
}

/* The budget test at an exit: jit_count plus the instructions pending
 * (still pending after: a side exit's fall-through counts them again),
 * its sign flag set when the slice's budget is used up. */
static void emit_budget_test(Emit *e)
{
    if (e->pending) {
        add_count(e, e->pending, false);
    } else {
        e8(e, 0x48); e8(e, 0x83); m_rbx(e, 7, offsetof(CPUX86State, jit_count));
        e8(e, 0);                                                          /* cmp qword [], 0 */
    }
}

/* cmp qword [eip], v (may use RAX) */
static void cmp_eip(Emit *e, uint64_t v)
{
    if (fits32((int64_t)v)) {
        e8(e, 0x48); e8(e, 0x81); m_rbx(e, 7, offsetof(CPUX86State, eip));
        e32(e, (uint32_t)v);
    } else {
        e8(e, 0x48); e8(e, 0xb8); e64(e, v);
        e8(e, 0x48); e8(e, 0x39); m_rbx(e, 0, offsetof(CPUX86State, eip));
    }
}

/*
 * The checks at a block's exit after its budget test: leave (through the
 * branches stored at exits, their number returned) for a request the loop
 * can act on and, after an instruction run by its handler (!pure),
 * single-stepping, an interrupt shadow (sti_shadow: STI's, which the way
 * into the next block ends), HLT or hardware breakpoints.
 */
static unsigned emit_exit_checks(Emit *e, bool pure, bool sti_shadow, uint8_t **exits)
{
    unsigned n = 0;
    e8(e, 0x8b); m_rbx(e, 0, offsetof(CPUX86State, interrupt_request));    /* mov eax, [] */
    e8(e, 0x85); e8(e, 0xc0);                                              /* test eax, eax */
    uint8_t *no_req = jcc_fwd(e, 0x4);                                     /* jz */
    e8(e, 0x83); e8(e, 0xf8); e8(e, CPU_INTERRUPT_HARD);                   /* cmp eax, HARD */
    exits[n++] = jcc_fwd(e, CC_NE);
    G_STATIC_ASSERT(IF_MASK == 0x200);
    e8(e, 0xf6); m_rbx(e, 0, offsetof(CPUX86State, eflags) + 1); e8(e, IF_MASK >> 8);
    exits[n++] = jcc_fwd(e, CC_NE);                                        /* test byte, IF */
    bind(e, no_req, e->p);
    if (!pure) {
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, eflags)); e32(e, TF_MASK | RF_MASK);
        exits[n++] = jcc_fwd(e, CC_NE);
        uint32_t hf = sti_shadow ? HF_MOVSS | HF_HALTED : HF_INHIBIT_IRQ | HF_MOVSS | HF_HALTED;
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, hflags));
        e32(e, hf);
        exits[n++] = jcc_fwd(e, CC_NE);
        G_STATIC_ASSERT(offsetof(CPUX86State, dr_data_en) ==
                        offsetof(CPUX86State, dr_exec_en) + 1);
        e8(e, 0x0f); e8(e, 0xb7); m_rbx(e, 0, offsetof(CPUX86State, dr_exec_en));
        e8(e, 0x85); e8(e, 0xc0);                                          /* movzx eax, word; test */
        exits[n++] = jcc_fwd(e, CC_NE);
    }
    return n;
}

/*
 * A Jcc inside a block (DF_SIDE_EXIT), its condition in R8B and itself
 * counted in e->pending: taken (DF_SIDE_TAKEN: not taken), the block
 * leaves there as at its end --
 * every dirty register written back (the fall-through keeps them cached
 * and dirty), EIP = the target, the budget test on the count so far (the
 * fall-through counts it again with the rest at the end), the exit
 * checks -- and jumps through a slot of its own (*slot_jmp: its rel32),
 * chained like the end's.
 */
static void emit_side_exit(Emit *e, bool pure, const DecodedInsn *d, uint64_t target,
                           uint8_t **exits, unsigned *nexit, uint8_t **slot_jmp)
{
    /* DF_SIDE_TAKEN: the block goes on when taken, and leaves (target:
     * the fall-through) when not */
    e8(e, 0x45); e8(e, 0x84); e8(e, 0xc0);                                 /* test r8b, r8b */
    uint8_t *stay = jcc_fwd(e, (d->flags & DF_SIDE_TAKEN) ? CC_NE : 0x4);  /* jz / jnz */
    greg_write_back(e, e->gdirty);
    st_q(e, offsetof(CPUX86State, eip), target);
    emit_budget_test(e);
    exits[(*nexit)++] = jcc_fwd(e, CC_NS);
    *nexit += emit_exit_checks(e, pure, false, exits + *nexit);
    while (((uintptr_t)e->p + 1) & 3) {
        e8(e, 0x90);                /* the rel32 4-aligned: patched atomically */
    }
    e8(e, 0xe9);
    *slot_jmp = e->p;
    e32(e, 0);
    bind(e, stay, e->p);
}

/*
 * A slot's out-of-line code, its rel32 at slot_jmp: the exit stub the
 * rel32 points at unlinked (EIP stored: a chained jump stores none; a
 * side exit's was stored before its checks already) and the way into
 * the block's lookup (and, in 64-bit code, the guard) that jit_chain
 * patches to for another page.
 */
static void emit_slot(Emit *e, TranslationBlock *tb, JitSlot *s, uint64_t target,
                      uint8_t *slot_jmp, uint8_t *lookup)
{
    s->src = tb;
    s->target_eip = target;
    s->patch = rx(e, slot_jmp);
    bind(e, slot_jmp, e->p);
    s->stub = rx(e, e->p);          /* linked, link_next: NULL since tb_gen */
    st_q(e, offsetof(CPUX86State, eip), target);
    e8(e, 0x48); e8(e, 0xb8); e64(e, (uint64_t)(uintptr_t)s);            /* mov rax, slot */
    jmp_rx(e, epilogue_rx);
    s->lookup = NULL;
    s->guard = NULL;
    if (lookup) {
        uint8_t *lookup_k = e->p;
        s->lookup = rx(e, e->p);
        st_q(e, offsetof(CPUX86State, eip), target);
        jmp_rx(e, rx(e, lookup));
        /* a jump within the block's page is chained with no guard */
        if ((tb->flags & HF_CS64) && (target >> TB_PAGE_BITS) != (tb->pc_lin >> TB_PAGE_BITS)) {
            emit_guard(e, tb, s, target, lookup_k);
        }
    }
}

/*
 * A block that branches back to its own start (a loop in one block: a
 * checksum's, a copy's) is translated twice: the first pass learns which
 * cached registers are loaded when the block ends, and which of them are
 * dirty there (and returns TRANSLATE_LOOP without keeping anything); the
 * second loads those at the entry and makes the way back, after the exit
 * checks, a jump past the loads with the registers still in place,
 * instead of the chained jump in at the entry that reloaded them.  The
 * registers the first pass found dirty at the end stay dirty on the way
 * back: the second pass takes them as dirty from the loop head on, so
 * every way out of the body (slow paths, side exits) writes them back,
 * and so do the ways out at the end (the checks' exits, the other
 * successor, the lookup), but the way back stores nothing.
 */
enum { TRANSLATE_FAIL, TRANSLATE_OK, TRANSLATE_LOOP };
enum { LOOP_PROBE, LOOP_EMIT, LOOP_NONE };

static int translate(const CPUX86State *env, TranslationBlock *tb, int loop_mode,
                     uint16_t *loop_regs, uint16_t *loop_dirty);

bool jit_translate(const CPUX86State *env, TranslationBlock *tb)
{
    if (!code_rx || tb->jit_entry || tb->invalid) {
        return tb->jit_entry != NULL;
    }
    uint16_t regs = 0, dirty = 0;
    int r = translate(env, tb, LOOP_PROBE, &regs, &dirty);
    if (r == TRANSLATE_LOOP) {
        r = translate(env, tb, LOOP_EMIT, &regs, &dirty);
    }
    if (r == TRANSLATE_LOOP) {
        /* the second pass did not end with those registers loaded */
        r = translate(env, tb, LOOP_NONE, &regs, &dirty);
    }
    return r == TRANSLATE_OK;
}

static int translate(const CPUX86State *env, TranslationBlock *tb, int loop_mode,
                     uint16_t *loop_regs, uint16_t *loop_dirty)
{
    gint64 t0 = g_get_monotonic_time();
    /* worst case: an inline memory ALU form with its slow path is about
     * 300 bytes; plus the exits.  Only what is used is kept. */
    size_t need = 640 + (size_t)tb->n_insns * 460 + TB_MAX_SIDE_EXITS * 320;
    uint8_t *start = cache_alloc(need);
    if (!start) {
        return TRANSLATE_FAIL;
    }
    SlowPath slow[TB_MAX_INSNS];    /* one memory access per instruction at most */
    int op0 = env->cc_op;
    Emit e = { .p = start, .rx_off = code_rx - code_rw, .slow = slow, .cc_known = -1,
               .cc_spec = jit_inline && cc_inline_ok(op0, -1) ? op0 : -1 };
    bool self_loop = loop_mode != LOOP_NONE && ends_in_self_branch(tb);
    choose_cached_regs(&e, tb, self_loop);
    e.sites = jit_sites && self_loop;
    bool fdead[TB_MAX_INSNS], fdefer[TB_MAX_INSNS];
    dead_flags(tb, fdead, fdefer);
    Group grps[TB_MAX_INSNS];
    int8_t grp_of[TB_MAX_INSNS];
    int32_t grp_d[TB_MAX_INSNS];
    e.grps = grps;
    e.ngrps = group_plan(tb, grps, grp_of, grp_d);
    e.grp_cur = -1;
    uint8_t *dead = e.p;
    e8(&e, 0);                              /* the dead byte */
    while ((uintptr_t)e.p & 15) {
        e8(&e, 0xcc);
    }
    uint8_t *entry = e.p;
    /* branches to the exit: the entry check, one per instruction at most
     * (after a handler), the chaining gate's seven and the lookup's miss */
    uint8_t *exits[TB_MAX_INSNS + 7 + 1 + TB_MAX_SIDE_EXITS * 7];
    unsigned nexit = 0;
    /* entered dead (a chained jump need not have stored EIP): leave for
     * the loop with EIP = this block's */
    uint8_t *entry_dead = check_dead(&e, dead);
    g_assert(e.p - entry == JIT_ENTRY_CHAINED);
    bool loop_back = false;
    /* LOOP_EMIT: the registers dirty from the loop head on (see above) */
    uint16_t head_dirty = 0;
    if (loop_mode == LOOP_EMIT) {
        for (int g = 0; g < 16; g++) {
            if (*loop_regs & (1u << g)) {
                greg_ensure(&e, g);
            }
        }
        head_dirty = *loop_dirty & *loop_regs;
        e.gdirty = head_dirty;
    }
    uint8_t *loop_head = e.p;

    uint64_t eip = tb->eip0;
    unsigned ninline = 0;
    bool eip_synced = true;         /* env->eip is up to date */
    bool fused = false;             /* R8B holds the Jcc's condition */
    /* no instruction runs through its handler: nothing in the block can
     * set TF or RF, an interrupt shadow, HLT or debug registers, so its
     * exits need not look at them (the loop enters tier 1 without them) */
    bool pure = true;
    bool cond_r8 = false;           /* the block ends in a Jcc whose condition is in R8B */
    /* EIP at the end is the one direct successor (JMP/CALL rel, falling
     * through) or, with cond_r8, one of two: not stored in the body but
     * on the way out, where it is known, so a chained jump stores none */
    bool eip_deferred = false;
    /* fdefer: instruction defer_j's slow paths (from slow[defer_from])
     * write the record of the INC/DEC before it */
    uint32_t defer_j = UINT32_MAX;
    unsigned defer_from = 0;
    int defer_op = 0, defer_reg = 0;
    /* the side exits' targets and their slots' rel32s */
    uint64_t side_target[TB_MAX_SIDE_EXITS];
    uint8_t *side_jmp[TB_MAX_SIDE_EXITS];
    unsigned nside = 0;
    for (uint32_t i = 0; i < tb->n_insns; i++) {
        const DecodedInsn *d = &tb->insns[i];
        uint64_t next = (eip + d->len) & tb->eip_mask;
        X86FastForm f;
        DecodedInsn alias;
        const DecodedInsn *da;
        if (defer_j != UINT32_MAX && i == defer_j + 1) {
            defer_mark(&e, defer_from, defer_op, defer_reg);
            if (fdead[defer_j]) {
                /* it stored no record: env holds the one from before the
                 * INC/DEC, or (its slow paths ran) the INC/DEC's */
                e.cc_known = -1;
                e.cc_spec = -1;
            }
            defer_j = UINT32_MAX;
        }
        e.fdead = fdead[i] || fdefer[i];
        e.grp_cur = grp_of[i];
        e.grp_disp = grp_d[i];
        e.grp_tok = false;
        if (fdefer[i]) {
            bool dec = is_dec(d);
            defer_j = i + 1;
            defer_from = e.nslow;
            defer_op = (dec ? CC_OP_DECB : CC_OP_INCB) + d->ot;
            defer_reg = d->rm;
        }
        uint64_t cc_at;
        const DecodedInsn *dc = cc_consumer(tb, i, next, &cc_at);
        /* R8B still holds a fused condition after this one */
        bool keeps_r8 = fused && r8_transparent(tb, d);
        if (jit_inline && jit_fast_form(d, &f, &alias, &da) && inline_ok(tb, da, &f)) {
            d = da;
            /* a Jcc right after an ALU/TEST of 64-bit code (or after
             * register MOVs and LEAs that follow it) takes its condition
             * from the host flags */
            int setcc = f.kind != X86_FAST_MOV ? fusable_cc(tb, dc, cc_at) : -1;
            bool keep_cc = setcc >= 0 || !fdead[i];
            /* a store can hit translated code only through its slow
             * path (the TLB maps code pages for writing slowly), which
             * checks whether this block died */
            emit_inline(&e, tb, d, &f, eip, next, setcc, keep_cc);
            ninline++;
            e.pending++;
            eip_synced = false;
            fused = setcc >= 0 || keeps_r8;
            eip = next;
            continue;
        }
        bool align;
        int sk = jit_inline ? sse_kind(env, tb, d, &align) : SSE_NONE;
        if (sk != SSE_NONE) {
            emit_sse(&e, tb, d, sk, align, eip, next);
            ninline++;
            e.pending++;
            eip_synced = false;
            fused = false;
            eip = next;
            continue;
        }
        if (jit_inline && d->handler == op_nop) {
            /* NOP, XCHG eAX, eAX and the hint space (0F 18h-1Fh, the
             * multi-byte NOPs of a kernel's ftrace and alternatives
             * sites): nothing to do, but they retire */
            ninline++;
            e.pending++;
            eip_synced = false;
            fused = false;
            eip = next;
            continue;
        }
        int xk = jit_inline ? extra_kind(tb, d) : XF_NONE;
        if (xk != XF_NONE) {
            /* 8/16-bit CMP/TEST set every flag as the host computes them,
             * INC/DEC all but CF: a Jcc or CMOVcc next on them is fused */
            int cc = fusable_cc(tb, dc, cc_at);
            bool cmp816 = is_cmp816(d) || is_alu816(d);
            bool incdec = d->handler == op_inc_r || d->handler == op_dec_r ||
                          d->handler == op_grp_incdec;
            bool uses_cf = cc == 2 || cc == 3 || cc == 6 || cc == 7;
            e.setcc = cc >= 0 && (cmp816 || (incdec && !uses_cf)) ? cc : -1;
            e.fused = fused;
            emit_extra(&e, tb, d, eip, next);
            ninline++;
            e.pending++;
            eip_synced = false;
            fused = e.setcc >= 0 || keeps_r8;
            eip = next;
            continue;
        }
        if (fused && is_jcc(d)) {
            /* Jcc fused with the ALU/TEST before it */
            ninline++;
            if (d->flags & DF_SIDE_EXIT) {
                e.pending++;
                g_assert(nside < TB_MAX_SIDE_EXITS);
                side_target[nside] = side_exit_target(d, next);
                emit_side_exit(&e, pure, d, side_target[nside], exits, &nexit, &side_jmp[nside]);
                nside++;
                eip_synced = false;
                fused = false;
                eip = block_next_eip(d, next, i + 1 == tb->n_insns);
                continue;
            }
            cond_r8 = i + 1 == tb->n_insns;
            if (!cond_r8) {
                st_q(&e, offsetof(CPUX86State, eip), next);
                e8(&e, 0x45); e8(&e, 0x84); e8(&e, 0xc0);                   /* test r8b, r8b */
                uint8_t *nt = jcc_fwd(&e, 0x4);                             /* jz */
                st_q(&e, offsetof(CPUX86State, eip), branch_target(d, next));
                bind(&e, nt, e.p);
            } else {
                eip_deferred = true;    /* stored on the way out, by R8B */
            }
            e.pending++;
            eip_synced = true;
            fused = false;
            eip = next;
            continue;
        }
        if (x86_jmp_followed(d, i + 1 == tb->n_insns)) {
            /* a JMP inside a superblock: the next instruction is at its
             * target (within the page, canonical); nothing to emit */
            ninline++;
            e.pending++;
            eip_synced = false;
            fused = false;
            eip = branch_target(d, next);
            continue;
        }
        fused = false;
        if (jit_inline && (tb->flags & HF_CS64) && d->opsize == 3 &&
            (d->handler == op_jmp_rel || d->handler == op_call_rel) &&
            is_canonical_addr(branch_target(d, next))) {
            /* JMP/CALL rel in 64-bit code to a canonical target: EIP set
             * here; CALL pushes the return address first (push_v) */
            if (d->op == 0xe8) {
                e8(&e, 0x49); e8(&e, 0xb9); e64(&e, next);                  /* mov r9, next */
                greg_load(&e, H_RDX, R_ESP, true);
                e8(&e, 0x48); e8(&e, 0x83); e8(&e, 0xea); e8(&e, 8);         /* sub rdx, 8 */
                e.grp_tok = true;
                emit_mem(&e, tb, R_SS, 3, true, -1, eip, next);
                /* the store's slow path leaves with the CALL complete
                 * when the store killed this block */
                e.slow[e.nslow - 1].done_eip = branch_target(d, next);
                e.slow[e.nslow - 1].push = true;
                greg_add8(&e, R_ESP, -8);
            }
            if (i + 1 < tb->n_insns) {
                st_q(&e, offsetof(CPUX86State, eip), branch_target(d, next));
            } else {
                eip_deferred = true;    /* stored on the way out */
            }
            /* counted with the rest at the exit's budget test (the
             * push's slow path counts what retired before the CALL) */
            e.pending++;
            ninline++;
            eip_synced = true;
            eip = next;
            continue;
        }
        if (jit_inline && (tb->flags & HF_CS64) && d->opsize == 3 &&
            (d->handler == op_jmp_E || d->handler == op_ret || d->handler == op_call_E)) {
            /* JMP r/m64 (a switch's jump table, an interpreter's
             * dispatch) and CALL r/m64 (a function pointer): the target
             * from the register or memory; RET: from [RSP].  A
             * non-canonical one goes to the handler, which raises #GP
             * with nothing changed (the handler is on one path only:
             * everything written back before).  CALL pushes the return
             * address after that check (SDM vol.2 CALL), with its target
             * in R12 for the push's slow path */
            greg_flush(&e, 0xffff);
            bool ret = d->handler == op_ret, call = d->handler == op_call_E;
            if (ret) {
                greg_load(&e, H_RDX, R_ESP, true);
                e.grp_tok = true;
                emit_mem(&e, tb, R_SS, 3, false, 0, eip, next);
            } else if (d->mod == 3) {
                greg_load(&e, H_RAX, d->rm, true);
            } else {
                emit_ea(&e, d, next);
                emit_mem(&e, tb, d->seg, 3, false, 0, eip, next);
            }
            e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0xc1);                       /* mov rcx, rax */
            e8(&e, 0x48); e8(&e, 0xc1); e8(&e, 0xe1); e8(&e, 16);           /* shl rcx, 16 */
            e8(&e, 0x48); e8(&e, 0xc1); e8(&e, 0xf9); e8(&e, 16);           /* sar rcx, 16 */
            e8(&e, 0x48); e8(&e, 0x39); e8(&e, 0xc1);                       /* cmp rcx, rax */
            uint8_t *bad = jcc_fwd(&e, CC_NE);
            if (call) {
                e8(&e, 0x49); e8(&e, 0x89); e8(&e, 0xc4);                   /* mov r12, rax */
                e8(&e, 0x49); e8(&e, 0xb9); e64(&e, next);                  /* mov r9, next */
                greg_load(&e, H_RDX, R_ESP, true);
                e8(&e, 0x48); e8(&e, 0x83); e8(&e, 0xea); e8(&e, 8);         /* sub rdx, 8 */
                e.grp_tok = true;
                emit_mem(&e, tb, R_SS, 3, true, -1, eip, next);
                e.slow[e.nslow - 1].push = true;
                e.slow[e.nslow - 1].done_r12 = true;
                e8(&e, 0x48); e8(&e, 0x83); m_rbx(&e, 5, REGOFF(R_ESP)); e8(&e, 8);  /* sub [rsp], 8 */
                e8(&e, 0x4c); e8(&e, 0x89); e8(&e, 0xe0);                   /* mov rax, r12 */
            }
            op_rm(&e, 0x89, H_RAX, offsetof(CPUX86State, eip), true);
            if (ret) {
                e8(&e, 0x48); e8(&e, 0x81); m_rbx(&e, 0, REGOFF(R_ESP));
                e32(&e, 8 + (d->op == 0xc2 ? (uint32_t)(d->imm & 0xffff) : 0)); /* add [rsp], n */
            }
            e8(&e, 0xe9);
            uint8_t *done = e.p;
            e32(&e, 0);
            bind(&e, bad, e.p);
            /* the handler (which raises #GP) sees the count of what
             * retired before it; the exit counts it all again */
            add_count(&e, e.pending, false);
            emit_handler_call(&e, d, (const void *)d->handler, eip, next);
            add_count(&e, e.pending, true);
            bind(&e, done, e.p);
            if (ret || call) {
                greg_dirty(&e, R_ESP);  /* RSP changed through env on one path */
            }
            e.pending++;
            ninline++;
            eip_synced = true;
            eip = next;
            continue;
        }
        if (jit_inline && is_jcc(d) && (tb->flags & HF_CS64) && d->opsize == 3 &&
            is_canonical_addr(branch_target(d, next))) {
            /* a Jcc on the lazy flags (emit_cond), then EIP set here (the
             * canonical target needs no check) */
            emit_cond_zx(&e, d->op & 0xf, 8);
            if (d->flags & DF_SIDE_EXIT) {
                ninline++;
                e.pending++;
                g_assert(nside < TB_MAX_SIDE_EXITS);
                side_target[nside] = side_exit_target(d, next);
                emit_side_exit(&e, pure, d, side_target[nside], exits, &nexit, &side_jmp[nside]);
                nside++;
                eip_synced = false;
                eip = block_next_eip(d, next, i + 1 == tb->n_insns);
                continue;
            }
            e8(&e, 0x44); e8(&e, 0x89); e8(&e, 0xc0);                       /* mov eax, r8d */
            cond_r8 = i + 1 == tb->n_insns;
            if (!cond_r8) {
                e8(&e, 0x84); e8(&e, 0xc0);                                 /* test al, al */
                st_q(&e, offsetof(CPUX86State, eip), next);  /* MOVs: the flags stay */
                uint8_t *nt = jcc_fwd(&e, 0x4);                             /* jz */
                st_q(&e, offsetof(CPUX86State, eip), branch_target(d, next));
                bind(&e, nt, e.p);
            } else {
                eip_deferred = true;
            }
            ninline++;
            e.pending++;
            eip_synced = true;
            eip = next;
            continue;
        }
        pure = false;
        flush_count(&e);
        emit_handler_call(&e, d, (d->flags & DF_ATOMIC) ? (const void *)x86_exec_atomic
                                                        : (const void *)d->handler, eip, next);
        inc_q(&e, offsetof(CPUX86State, jit_count));
        exits[nexit++] = check_dead(&e, dead);
        eip_synced = true;      /* the handler's EIP stands (jumps) */
        if (d->flags & DF_SIDE_EXIT) {
            /* a side exit's Jcc run by its handler (no inline forms):
             * taken when it moved EIP off the fall-through */
            cmp_eip(&e, next);
            e8(&e, 0x41); e8(&e, 0x0f); e8(&e, 0x95); e8(&e, 0xc0);         /* setne r8b */
            g_assert(nside < TB_MAX_SIDE_EXITS);
            side_target[nside] = side_exit_target(d, next);
            emit_side_exit(&e, pure, d, side_target[nside], exits, &nexit, &side_jmp[nside]);
            nside++;
        }
        eip = block_next_eip(d, next, i + 1 == tb->n_insns);
    }
    if (defer_j != UINT32_MAX) {
        defer_mark(&e, defer_from, defer_op, defer_reg);
    }
    /* the instructions still pending are counted at the exits' checks
     * below (whose budget test reads the flags of that count) */
    if (!eip_synced) {
        eip_deferred = true;
    }

    /* the block's direct successors */
    const DecodedInsn *last = &tb->insns[tb->n_insns - 1];
    uint64_t cand[2];
    unsigned ncand = 0;
    bool cond;
    if (is_rel_branch(last->op, &cond)) {
        cand[ncand++] = branch_target(last, eip);
        if (cond) {
            cand[ncand++] = eip;
        }
    } else if (!(last->flags & DF_END_TB)) {
        cand[ncand++] = eip;
    }
    /* the successor that is this block again (a loop): only a pure block,
     * whose registers nothing but its own code changes */
    int loopk = -1;
    if (pure && jit_inline && loop_mode != LOOP_NONE) {
        for (unsigned k = 0; k < ncand; k++) {
            if (cand[k] == tb->eip0) {
                loopk = (int)k;
            }
        }
    }
    if (loopk >= 0 && loop_mode == LOOP_PROBE) {
        *loop_regs = e.gloaded;
        *loop_dirty = e.gdirty;
        return TRANSLATE_LOOP;
    }
    if (loopk >= 0 && (e.gloaded & *loop_regs) != *loop_regs) {
        return TRANSLATE_LOOP;
    }
    /* every way out below sees env->regs: written back here, but for a
     * loop's registers dirty since its head, which every way out but the
     * way back writes back itself (end_dirty) */
    greg_flush(&e, loopk >= 0 ? (uint16_t)~head_dirty : 0xffff);
    uint16_t end_dirty = e.gdirty;
    /* returns and indirect near jumps/calls look their target up in the
     * jump cache from the code (x86_jit_lookup), as do direct exits to
     * another page once jit_chain finds they cannot be patched, and the
     * other instructions that end a block (REP string instructions,
     * STI, MOV SS, WRMSR, SWAPGS, IRET, SYSRET, ...): their handler left
     * EIP where execution goes on, and what the loop must see after
     * them (an interrupt shadow, HLT, TF, a new mode or mapping) makes
     * the checks below leave or the lookup miss.  Going back to the loop
     * after each of them was a fifth of a disk request's loop trips. */
    bool near_indirect = last->op == 0xc3 || last->op == 0xc2 ||
                         (last->op == 0xff && (last->aux == 2 || last->aux == 4));
    bool indirect = near_indirect || (ncand == 0 && (last->flags & DF_END_TB));
    uint8_t *slot_jmp[2];
    uint8_t *lookup = NULL;
    bool by_r8 = cond_r8 && ncand == 2;
    if (eip_deferred && (indirect || !(ncand == 1 || by_r8))) {
        /* not a case the exits below store EIP for: now */
        if (by_r8) {
            st_q(&e, offsetof(CPUX86State, eip), cand[1]);
            e8(&e, 0x45); e8(&e, 0x84); e8(&e, 0xc0);                       /* test r8b, r8b */
            uint8_t *nt = jcc_fwd(&e, 0x4);
            st_q(&e, offsetof(CPUX86State, eip), cand[0]);
            bind(&e, nt, e.p);
        } else {
            st_q(&e, offsetof(CPUX86State, eip), eip);
        }
        eip_deferred = false;
    }
    unsigned checks_from = nexit, checks_to = nexit;
    if (!(ncand || indirect)) {
        flush_count(&e);
    } else {
        /* leave when the loop has something to do: a request it can act
         * on, the slice's budget (which a debugger's breakpoints make one
         * block: the loop checks them before each), and after an
         * instruction run by its handler, single-stepping, an interrupt
         * shadow, HLT or hardware breakpoints.  An external interrupt the
         * guest holds off (IF=0, as in a spin_lock_irqsave section) is no
         * reason: the loop could not take it, and going back for nothing
         * at every block while it waits made a disk request's kernel path
         * several times slower.  The block that sets IF (STI, POPF, IRET)
         * leaves through here with IF=1 and the loop delivers it. */
        /* the budget: jit_count (instr_count - jit_end_count while tier
         * 1 runs) reached 0, read from the flags of the count's ADD */
        emit_budget_test(&e);
        e.pending = 0;
        exits[nexit++] = jcc_fwd(&e, CC_NS);
        /* STI's interrupt shadow: the lookup below ends it as it jumps to
         * the next block (emit_end_shadow) */
        nexit += emit_exit_checks(&e, pure, last->op == 0xfb, exits + nexit);
        checks_to = nexit;
        /* a conditional branch whose condition R8B still holds picks its
         * successor by it (cand[0] is the taken one); with EIP deferred
         * the one successor is the only way on */
        for (unsigned k = 0; k < ncand; k++) {
            if (by_r8 || eip_deferred) {
                uint8_t *miss = NULL;
                if (k == 0 && by_r8) {
                    e8(&e, 0x45); e8(&e, 0x84); e8(&e, 0xc0);                   /* test r8b, r8b */
                    miss = jcc_fwd(&e, 0x4);                                    /* jz */
                }
                if ((int)k == loopk) {
                    emit_loop_back(&e, loop_head);
                    loop_back = true;
                } else {
                    greg_write_back(&e, end_dirty);
                }
                while (((uintptr_t)e.p + 1) & 3) {
                    e8(&e, 0x90);
                }
                e8(&e, 0xe9);
                slot_jmp[k] = e.p;
                e32(&e, 0);
                if (miss) {
                    bind(&e, miss, e.p);
                }
                continue;
            }
            cmp_eip(&e, cand[k]);
            uint8_t *miss = jcc_fwd(&e, CC_NE);
            if ((int)k == loopk) {
                emit_loop_back(&e, loop_head);
                loop_back = true;
            } else {
                greg_write_back(&e, end_dirty);
            }
            while (((uintptr_t)e.p + 1) & 3) {
                e8(&e, 0x90);               /* the rel32 4-aligned: patched atomically */
            }
            e8(&e, 0xe9);
            slot_jmp[k] = e.p;
            e32(&e, 0);
            bind(&e, miss, e.p);
        }
        lookup = e.p;
        /* (a slot's way into the lookup has written them back already:
         * again does no harm, the registers still hold them) */
        greg_write_back(&e, end_dirty);
        /* the inline probe wants this block's mode; after IRET, SYSRET,
         * MOV to CR0/CR4 and the like the mode may be another, which only
         * x86_jit_lookup's key from env sees.  Only a return or an
         * indirect jump takes this way every time; a block ending in
         * direct jumps comes here when a guard finds its page's TLB entry
         * gone, which the call refills, so the probe would only miss:
         * left out, a block's code is a sixth smaller */
        if ((tb->flags & HF_CS64) && near_indirect) {
            emit_lookup_inline(&e, tb, exits, &nexit);
        }
        emit_env_arg(&e);
        call_fn(&e, (const void *)x86_jit_lookup);
        e8(&e, 0x48); e8(&e, 0x85); e8(&e, 0xc0);                           /* test rax, rax */
        exits[nexit++] = jcc_fwd(&e, 0x4);                                  /* jz exit */
        emit_end_shadow(&e, tb);
        e8(&e, 0xff); e8(&e, 0xe0);                                         /* jmp rax */
    }
    g_assert(nexit <= G_N_ELEMENTS(exits));
    g_assert(loopk < 0 || loop_back);
    if (end_dirty) {
        /* the checks' exits of a loop: its registers first */
        uint8_t *wb = e.p;
        greg_write_back(&e, end_dirty);
        uint8_t *j = e.p;
        e8(&e, 0xe9); e32(&e, 0);
        for (unsigned i = checks_from; i < checks_to; i++) {
            bind(&e, exits[i], wb);
            exits[i] = j + 1;       /* its jump: bound below as the checks' exits */
        }
    }
    /* exit 0: back to the loop, which finds the next block */
    uint8_t *exit0 = e.p;
    e8(&e, 0x31); e8(&e, 0xc0);                         /* xor eax, eax */
    jmp_rx(&e, epilogue_rx);
    for (unsigned i = 0; i < nexit; i++) {
        if (i < checks_from || i >= checks_to || !eip_deferred) {
            bind(&e, exits[i], exit0);
        }
    }
    if (eip_deferred) {
        /* the checks' exits: EIP = the successor, by R8B of two */
        uint8_t *exit_eip = e.p;
        if (by_r8) {
            e8(&e, 0x45); e8(&e, 0x84); e8(&e, 0xc0);                       /* test r8b, r8b */
            uint8_t *nt = jcc_fwd(&e, 0x4);
            st_q(&e, offsetof(CPUX86State, eip), cand[0]);
            jmp_rx(&e, rx(&e, exit0));
            bind(&e, nt, e.p);
            st_q(&e, offsetof(CPUX86State, eip), cand[1]);
        } else {
            st_q(&e, offsetof(CPUX86State, eip), cand[0]);
        }
        jmp_rx(&e, rx(&e, exit0));
        for (unsigned i = checks_from; i < checks_to; i++) {
            bind(&e, exits[i], exit_eip);
        }
    }
    bind(&e, entry_dead, e.p);
    st_q(&e, offsetof(CPUX86State, eip), tb->eip0);
    jmp_rx(&e, rx(&e, exit0));
    /* the slow paths of the memory accesses, out of the straight line
     * (after an unconditional jump: nothing falls into them) */
    e.out_of_line = true;
    for (unsigned i = 0; i < e.nslow; i++) {
        uint8_t *dead_exit;
        emit_slow_path(&e, &slow[i], dead, &dead_exit);
        if (dead_exit) {
            bind(&e, dead_exit, exit0);
        }
    }
    if (!tb->jit_slot) {
        /* a block is translated once (a full cache drops the blocks) */
        tb->jit_nslot = 2 + nside;
        tb->jit_slot = g_new0(JitSlot, tb->jit_nslot);
    }
    for (unsigned k = 0; k < ncand; k++) {
        emit_slot(&e, tb, &tb->jit_slot[k], cand[k], slot_jmp[k], lookup);
    }
    for (unsigned k = 0; k < nside; k++) {
        emit_slot(&e, tb, &tb->jit_slot[2 + k], side_target[k], side_jmp[k], lookup);
    }
    g_assert((size_t)(e.p - start) <= need);
    code_used = ((size_t)(e.p - code_rw) + 15) & ~(size_t)15;
    size_t written = code_used & ~(size_t)(RW_DROP_CHUNK - 1);
    if (written > rw_dropped) {
        madvise(code_rw, written, MADV_DONTNEED);
        rw_dropped = written;
    }
    tb->jit_dead = dead;
    tb->jit_size = (uint32_t)(e.p - entry);
    __atomic_store_n(&tb->jit_entry, rx(&e, entry), __ATOMIC_RELEASE);
    stat_translated++;
    stat_bytes += e.p - start;
    stat_ns += (g_get_monotonic_time() - t0) * 1000;
    if (log_enabled(LOG_JIT)) {
        log_printf("jit: block %#llx: %u instructions (%u inline), %u bytes of host code at %p\n",
                   (unsigned long long)tb->pc_lin, tb->n_insns, ninline,
                   (unsigned)(e.p - entry), (void *)rx(&e, entry));
    }
    if (log_enabled(LOG_OUT_ASM)) {
        log_printf("OUT: [guest=%#llx size=%u]\n", (unsigned long long)tb->pc_lin,
                   (unsigned)(e.p - entry));
        jit_disas(tb, log_line, NULL);
        log_printf("\n");
    }
    if (perfmap_file) {
        fprintf(perfmap_file, "%lx %lx vireo-tb-%llx\n", (unsigned long)(uintptr_t)rx(&e, entry),
                (unsigned long)(e.p - entry), (unsigned long long)tb->pc_lin);
    }
    return TRANSLATE_OK;
}

/* the host code, disassembled by the guest disassembler (the same ISA):
 * the block body, its exits and exit stubs */
void jit_disas(const TranslationBlock *tb, void (*print)(void *opaque, const char *line),
               void *opaque)
{
    const uint8_t *entry = tb->jit_entry;
    if (!entry || !code_rx) {
        return;
    }
    const uint8_t *p = entry - code_rx + code_rw, *end = p + tb->jit_size;
    while (p < end) {
        char buf[128], line[160];
        const uint8_t *px = p - code_rw + code_rx;
        int n = x86_disas_buf_mode(p, end - p, (uint64_t)(uintptr_t)px, 64, buf, sizeof(buf));
        snprintf(line, sizeof(line), "0x%016llx:  %s", (unsigned long long)(uintptr_t)px, buf);
        print(opaque, line);
        p += n > 0 ? n : 1;
    }
}

JitSlot *jit_run(CPUX86State *env, TranslationBlock *tb)
{
    env->jit_runs++;
    /* tier 1 counts in jit_count, biased so that its ADD's sign flag is
     * the budget test; a fault leaves through jit_count_sync too */
    env->jit_count = (int64_t)(env->instr_count - env->jit_end_count);
    env->jit_counting = true;
    JitSlot *slot = (JitSlot *)jit_enter(env, tb->jit_entry);
    jit_count_sync(env);
    return slot;
}

/* Chaining and unchaining (vCPU threads chain without the BQL): the
 * slots' rel32s and the jit_in lists. */
static GMutex chain_lock;

static void slot_patch(JitSlot *slot, const uint8_t *target_rx)
{
    int32_t rel = (int32_t)(target_rx - (slot->patch + 4));
    __atomic_store_n((int32_t *)(slot->patch - code_rx + code_rw), rel, __ATOMIC_RELEASE);
}

void jit_chain(CPUX86State *env, JitSlot *slot, TranslationBlock *next)
{
    TranslationBlock *src = slot->src;
    env->jit_slot_exits++;
    const uint8_t *entry = next ? __atomic_load_n(&next->jit_entry, __ATOMIC_ACQUIRE) : NULL;
    if (!entry) {
        return;
    }
    g_mutex_lock(&chain_lock);
    /* a block being dropped has its invalid flag set before its slots and
     * jit_in list are undone under the lock: either this sees it, or
     * the undoing sees the link made here */
    if (__atomic_load_n(&src->invalid, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&next->invalid, __ATOMIC_ACQUIRE) || slot->linked) {
        g_mutex_unlock(&chain_lock);
        return;
    }
    bool same_mode = next->flags == src->flags && next->cs_base == src->cs_base;
    bool same_page = (next->pc_lin >> TB_PAGE_BITS) == (src->pc_lin >> TB_PAGE_BITS);
    const uint8_t *to;
    if (same_mode && same_page) {
        /* same guest page, same mode: the mapping the loop checked for
         * the source holds for the successor too; past its dead byte's
         * look, which unpatching makes needless */
        to = entry + JIT_ENTRY_CHAINED;
    } else if (same_mode && slot->guard && next->pc_lin == slot->target_eip) {
        /* another page of 64-bit code: through the guard, which checks
         * the page's mapping.  The imm64 first: a vCPU in the guard while
         * it is rewritten (after the old target was dropped) either
         * jumps to the old entry, which is dead, or to the new one with
         * the new page checked */
        __atomic_store_n((uint64_t *)(slot->guard_phys - code_rx + code_rw), next->phys,
                         __ATOMIC_RELEASE);
        int32_t rel = (int32_t)(entry - (slot->guard_jmp + 4));
        __atomic_store_n((int32_t *)(slot->guard_jmp - code_rx + code_rw), rel, __ATOMIC_RELEASE);
        to = slot->guard;
    } else {
        /* another page or mode: its mapping must be checked every time,
         * so the jump goes to the block's lookup instead */
        if (slot->lookup) {
            slot_patch(slot, slot->lookup);
            __atomic_fetch_add(&stat_patched, 1, __ATOMIC_RELAXED);
        }
        g_mutex_unlock(&chain_lock);
        return;
    }
    slot_patch(slot, to);
    slot->linked = next;
    slot->link_next = next->jit_in;
    next->jit_in = slot;
    __atomic_fetch_add(&stat_patched, 1, __ATOMIC_RELAXED);
    g_mutex_unlock(&chain_lock);
}

/*
 * The block is dropped: its code leaves at once (the dead byte), and
 * the blocks chained to it go back to their exit stubs, so that their
 * next run leaves to the loop with the slot and is chained to the new
 * translation.  Without this they kept jumping into the dead code and
 * out to the loop every time (after the kernel patched its text at
 * boot, a quarter of a disk request's block transitions).
 */
void jit_tb_retire(TranslationBlock *tb)
{
    if (!tb->jit_dead) {
        return;
    }
    __atomic_store_n(tb->jit_dead, 1, __ATOMIC_RELEASE);
    g_mutex_lock(&chain_lock);
    for (JitSlot *s = tb->jit_in; s; s = s->link_next) {
        slot_patch(s, s->stub);
        s->linked = NULL;
    }
    tb->jit_in = NULL;
    for (unsigned k = 0; k < tb->jit_nslot; k++) {
        JitSlot *s = &tb->jit_slot[k];
        if (s->linked) {
            JitSlot **p = &s->linked->jit_in;
            while (*p != s) {
                p = &(*p)->link_next;
            }
            *p = s->link_next;
            s->linked = NULL;
        }
    }
    g_mutex_unlock(&chain_lock);
}

static void info_cpu(CPUX86State *env, void *opaque)
{
    uint64_t *s = opaque;
    s[0] += env->instr_count;
    s[1] += env->tb_runs;
    s[2] += env->jit_runs;
    s[3] += env->jit_slot_exits;
}

void jit_info(GString *out)
{
    const char *tier = jit_tier == JIT_TIER_0 ? "0" : jit_tier == JIT_TIER_1 ? "1" : "auto";
    g_string_append_printf(out, "tier: %s", tier);
    if (!jit_threshold) {
        g_string_append(out, jit_tier == JIT_TIER_0 ? "\n" : " (tier 1 unavailable: tier 0 only)\n");
    } else if (jit_threshold == 1) {
        g_string_append(out, " (every block translated on first use)\n");
    } else {
        g_string_append_printf(out, " (blocks translated after %u runs in tier 0)\n", jit_threshold);
    }
    g_string_append_printf(out, "blocks decoded: %llu, translated (tier 1): %llu in %.1f ms\n",
                           (unsigned long long)tb_stat_decoded(),
                           (unsigned long long)stat_translated, stat_ns / 1e6);
    g_string_append_printf(out, "code cache: %.1f of %llu MiB used, %llu flush%s when full\n",
                           code_used / 1048576.0, (unsigned long long)(jit_cache_size >> 20),
                           (unsigned long long)stat_flushes, stat_flushes == 1 ? "" : "es");
    /* Chained jumps are not counted as they run (an increment at every
     * block end cost 1-2.5% of a benchmark): what the loop sees tells how
     * well blocks chain, the instructions run per trip through it. */
    uint64_t s[4] = { 0 };
    tb_foreach_cpu(info_cpu, s);
    uint64_t trips = s[1] + s[2];
    g_string_append_printf(out, "loop trips: %llu (tier 0 blocks: %llu, tier 1 entries: %llu, "
                           "%llu of them after an unlinked slot)\n",
                           (unsigned long long)trips, (unsigned long long)s[1],
                           (unsigned long long)s[2], (unsigned long long)s[3]);
    g_string_append_printf(out, "instructions: %llu, %.1f per loop trip; %llu jumps patched\n",
                           (unsigned long long)s[0], trips ? (double)s[0] / trips : 0.0,
                           (unsigned long long)stat_patched);
    lockstep_info(out);
}
