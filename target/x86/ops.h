/*
 * Private to the instruction layer: operand access helpers shared by the
 * ops_*.c handlers, and the handler prototypes the decoder tables use.
 */
#ifndef TARGET_X86_OPS_H
#define TARGET_X86_OPS_H

#include <stddef.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/decode.h"
#include "target/x86/flags.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static const uint64_t ot_mask[4] = { 0xff, 0xffff, 0xffffffff, ~0ull };
static const uint64_t ot_sign[4] = { 0x80, 0x8000, 0x80000000, 1ull << 63 };

/*
 * Byte registers: without a REX prefix 4..7 are AH, CH, DH, BH; with one
 * (env->insn_rex, set by the exec loop from DecodedInsn.rex) they are SPL,
 * BPL, SIL, DIL and 8..15 are R8B..R15B.
 */
static inline uint64_t reg_get(const CPUX86State *env, int ot, int r)
{
    switch (ot) {
    case 0:
        if (r < 4 || env->insn_rex) {
            return (uint8_t)env->regs[r];
        }
        return (uint8_t)(env->regs[r - 4] >> 8);
    case 1: return (uint16_t)env->regs[r];
    case 2: return (uint32_t)env->regs[r];
    default: return env->regs[r];
    }
}

/* 32-bit destinations zero-extend into the 64-bit register (also what a
 * 32-bit CPU's invisible upper half does), 8/16-bit ones merge. */
static inline void reg_set(CPUX86State *env, int ot, int r, uint64_t v)
{
    switch (ot) {
    case 3: env->regs[r] = v; break;
    case 2: env->regs[r] = (uint32_t)v; break;
    case 1: env->regs[r] = (env->regs[r] & ~0xffffull) | (v & 0xffff); break;
    default:
        if (r < 4 || env->insn_rex) {
            env->regs[r] = (env->regs[r] & ~0xffull) | (v & 0xff);
        } else {
            env->regs[r - 4] = (env->regs[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
        }
        break;
    }
}

/* truncate an address to the address size (1: 16, 2: 32, 3: 64 bits) */
static inline uint64_t ad_trunc(int adsize, uint64_t a)
{
    return adsize == 1 ? (a & 0xffff) : adsize == 2 ? (uint32_t)a : a;
}

static inline uint64_t insn_ea(const CPUX86State *env, const DecodedInsn *d)
{
    uint64_t a = (uint64_t)d->disp;
    if (d->base != EA_NOREG) {
        /* RIP-relative: env->eip already holds the next instruction */
        a += d->base == EA_RIP ? env->eip : env->regs[d->base];
    }
    if (d->index != EA_NOREG) {
        a += env->regs[d->index] << d->scale;
    }
    return ad_trunc(d->adsize, a);
}

/*
 * The fast path of a data access, inline in every handler: 64-bit mode
 * (no limits; FS/GS add their base), a canonical address whose access
 * stays in one page, and a TLB entry that allows it straight to host RAM.
 * Anything else -- other modes, MMIO, pages holding translated code or
 * watched by a debugger (their entries carry TLB_SLOW), a TLB miss, a
 * fault -- goes to mmu.c's cpu_ld / cpu_st, the reference semantics.
 * Returns the host pointer, or NULL for the slow path.
 */
static inline void *mem_fast_ptr(CPUX86State *env, int seg, uint64_t off, unsigned size,
                                 bool write)
{
    if (unlikely(!(env->hflags & HF_CS64))) {
        return NULL;
    }
    uint64_t la = off + ((seg == R_FS || seg == R_GS) ? env->segs[seg].base : 0);
    if (unlikely(!is_canonical_addr(la) || (la & 0xfff) > 0x1000 - size)) {
        return NULL;
    }
    const TLBEntry *e = &env->tlb[cpu_mmu_index(env)][(la >> 12) & (TLB_SIZE - 1)];
    uint64_t tag = write ? e->addr_write : e->addr_read;
    if (unlikely(tag != (la & ~0xfffull))) {
        return NULL;
    }
    return (void *)(uintptr_t)(la + e->addend);
}

static inline uint64_t mem_ld(CPUX86State *env, int seg, uint64_t off, int ot)
{
    void *p = mem_fast_ptr(env, seg, off, 1u << ot, false);
    if (likely(p)) {
        switch (ot) {
        case 0: return *(const uint8_t *)p;
        case 1: { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
        case 2: { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
        default: { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
        }
    }
    switch (ot) {
    case 0: return cpu_ldub(env, seg, off);
    case 1: return cpu_lduw(env, seg, off);
    case 2: return cpu_ldl(env, seg, off);
    default: return cpu_ldq(env, seg, off);
    }
}

static inline void mem_st(CPUX86State *env, int seg, uint64_t off, int ot, uint64_t v)
{
    void *p = mem_fast_ptr(env, seg, off, 1u << ot, true);
    if (likely(p)) {
        switch (ot) {
        case 0: *(uint8_t *)p = v; return;
        case 1: { uint16_t w = v; __builtin_memcpy(p, &w, 2); return; }
        case 2: { uint32_t w = v; __builtin_memcpy(p, &w, 4); return; }
        default: __builtin_memcpy(p, &v, 8); return;
        }
    }
    switch (ot) {
    case 0: cpu_stb(env, seg, off, v); break;
    case 1: cpu_stw(env, seg, off, v); break;
    case 2: cpu_stl(env, seg, off, v); break;
    default: cpu_stq(env, seg, off, v); break;
    }
}

/* Load the E operand; *ea receives the offset for a later store. */
static inline uint64_t rm_load(CPUX86State *env, const DecodedInsn *d, int ot, uint64_t *ea)
{
    if (d->mod == 3) {
        return reg_get(env, ot, d->rm);
    }
    *ea = insn_ea(env, d);
    return mem_ld(env, d->seg, *ea, ot);
}

static inline void rm_store(CPUX86State *env, const DecodedInsn *d, int ot, uint64_t ea, uint64_t v)
{
    if (d->mod == 3) {
        reg_set(env, ot, d->rm, v);
    } else {
        mem_st(env, d->seg, ea, ot, v);
    }
}

/* The memory operand of a lockable read-modify-write: atomic when the
 * instruction runs locked (exec_atomic arms it), else plain. */
static inline uint64_t rmw_ld(CPUX86State *env, int seg, uint64_t off, int ot)
{
    if (unlikely(env->lock_armed)) {
        return cpu_atomic_ld(env, seg, off, ot);
    }
    return mem_ld(env, seg, off, ot);
}

static inline void rmw_st(CPUX86State *env, int seg, uint64_t off, int ot, uint64_t v)
{
    if (unlikely(env->lock_armed)) {
        cpu_atomic_st(env, seg, off, ot, v);
    } else {
        mem_st(env, seg, off, ot, v);
    }
}

static inline uint64_t rmw_load(CPUX86State *env, const DecodedInsn *d, int ot, uint64_t *ea)
{
    if (d->mod == 3) {
        return reg_get(env, ot, d->rm);
    }
    *ea = insn_ea(env, d);
    return rmw_ld(env, d->seg, *ea, ot);
}

static inline void rmw_store(CPUX86State *env, const DecodedInsn *d, int ot, uint64_t ea, uint64_t v)
{
    if (d->mod == 3) {
        reg_set(env, ot, d->rm, v);
    } else {
        rmw_st(env, d->seg, ea, ot, v);
    }
}

/* A whole lazy-flag record: cc_src2 (ADC/SBB's carry-in) is 0, so every
 * flag-writing instruction leaves the same record in tier 0 and tier 1 */
static inline void set_cc(CPUX86State *env, int op, uint64_t dst, uint64_t src)
{
    env->cc_op = op;
    env->cc_dst = dst;
    env->cc_src = src;
    env->cc_src2 = 0;
}

/* ---- stack ---- */
static inline uint64_t sp_mask(const CPUX86State *env)
{
    if (env->hflags & HF_CS64) {
        return ~0ull;
    }
    return (env->hflags & HF_SS32) ? 0xffffffff : 0xffff;
}

static inline void sp_set(CPUX86State *env, uint64_t sp)
{
    if (env->hflags & HF_CS64) {
        env->regs[R_ESP] = sp;
    } else if (env->hflags & HF_SS32) {
        env->regs[R_ESP] = (uint32_t)sp;
    } else {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    }
}

/* size: 1 = word, 2 = dword, 3 = qword.  Store first, then commit RSP. */
static inline void push_v(CPUX86State *env, int size, uint64_t v)
{
    uint64_t sp = (env->regs[R_ESP] - (1u << size)) & sp_mask(env);
    mem_st(env, R_SS, sp, size, v);
    sp_set(env, sp);
}

static inline uint64_t pop_peek(CPUX86State *env, int size, uint64_t disp)
{
    uint64_t sp = (env->regs[R_ESP] + disp) & sp_mask(env);
    return mem_ld(env, R_SS, sp, size);
}

static inline void sp_add(CPUX86State *env, uint64_t n)
{
    sp_set(env, (env->regs[R_ESP] + n) & sp_mask(env));
}

static inline uint64_t pop_v(CPUX86State *env, int size)
{
    uint64_t v = pop_peek(env, size, 0);
    sp_add(env, 1u << size);
    return v;
}

static inline bool is_canonical(uint64_t a)
{
    return is_canonical_addr(a);
}

static inline void jump_to(CPUX86State *env, const DecodedInsn *d, uint64_t target)
{
    if (d->opsize == 1) {
        target &= 0xffff;
    } else if (d->opsize == 2) {
        target = (uint32_t)target;
    }
    if (env->hflags & HF_CS64) {
        if (!is_canonical(target)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
    } else if (target > env->segs[R_CS].limit) {
        /* near transfers check the new EIP against the CS limit (#GP(0)) */
        raise_exception_err(env, EXCP_GP, 0);
    }
    env->eip = target;
}

static inline void require_cpl0(CPUX86State *env)
{
    if ((env->hflags & HF_PE) && ((env->hflags & HF_VM86) || cpu_cpl(env) != 0)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
}

/*
 * CR4.UMIP: SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) outside ring 0
 * (virtual-8086 mode included, where CPL is 3).  SDM vol. 3, 2.5.
 */
static inline void check_umip(CPUX86State *env)
{
    if (env->cr[4] & CR4_UMIP) {
        require_cpl0(env);
    }
}

#define H(name) void name(CPUX86State *env, const DecodedInsn *d)

/* ops_alu.c */
H(op_alu_EG); H(op_alu_GE); H(op_alu_AI); H(op_alu_EI);
H(op_inc_r); H(op_dec_r); H(op_grp_incdec); H(op_grp3); H(op_test_EG); H(op_test_AI);
H(op_imul_GE); H(op_imul_GEI); H(op_shift); H(op_shld); H(op_shrd);
H(op_bt); H(op_bsf); H(op_bsr); H(op_bswap); H(op_cmpxchg); H(op_cmpxchg8b); H(op_rdrand); H(op_xadd);
H(op_daa); H(op_das); H(op_aaa); H(op_aas); H(op_aam); H(op_aad);
H(op_cbw); H(op_cwd); H(op_setcc); H(op_cmovcc); H(op_lahf); H(op_sahf);
H(op_flagop); H(op_salc);
/* ops_mov.c */
H(op_mov_EG); H(op_mov_GE); H(op_mov_EI); H(op_mov_RI); H(op_mov_moffs);
H(op_mov_ES); H(op_mov_SE); H(op_movzx); H(op_movsx); H(op_xchg_EG); H(op_xchg_AR);
H(op_lea); H(op_push_r); H(op_pop_r); H(op_push_I); H(op_push_E); H(op_pop_E);
H(op_push_seg); H(op_pop_seg); H(op_pusha); H(op_popa); H(op_pushf); H(op_popf);
H(op_lxs); H(op_movsxd); H(op_enter); H(op_leave); H(op_xlat); H(op_nop); H(op_pause);
/* ops_ctrl.c */
H(op_jcc); H(op_jmp_rel); H(op_call_rel); H(op_ret); H(op_jmp_E); H(op_call_E);
H(op_jmp_far); H(op_call_far); H(op_jmp_far_E); H(op_call_far_E); H(op_lret); H(op_iret);
H(op_loop); H(op_jcxz); H(op_int); H(op_int3); H(op_into); H(op_int1); H(op_bound);
H(op_hlt); H(op_ud2);

/* A block of 64-bit code goes on at the target of a forward JMP rel in
 * its page (exec.c tb_gen: a superblock): such a JMP is an instruction of
 * the block that is not its last, and the next one is at its target. */
static inline bool x86_jmp_followed(const DecodedInsn *d, bool last)
{
    return !last && d->handler == op_jmp_rel;
}

/* The instruction after d in its block is at d's branch target: a
 * followed JMP, or a Jcc the block goes on at when taken (DF_SIDE_TAKEN) */
static inline bool x86_goes_on_at_target(const DecodedInsn *d, bool last)
{
    return x86_jmp_followed(d, last) || (d->flags & DF_SIDE_TAKEN);
}
/* ops_string.c */
H(op_movs); H(op_stos); H(op_lods); H(op_cmps); H(op_scas); H(op_ins); H(op_outs);
/* ops_sys.c */
H(op_in); H(op_out); H(op_cpuid); H(op_rdtsc); H(op_rdpmc); H(op_rdmsr); H(op_wrmsr);
H(op_mov_cr); H(op_mov_dr); H(op_grp6); H(op_grp7); H(op_lar); H(op_lsl);
H(op_clts); H(op_invd); H(op_arpl); H(op_cli); H(op_sti); H(op_rsm);
H(op_syscall); H(op_sysret); H(op_sysenter); H(op_sysexit);
/* fpu.c */
H(op_fpu); H(op_fwait); H(op_grp15);
/* sse.c */
H(op_sse); H(op_popcnt);

#undef H

/* ops_fast.c: swap a decoded instruction's generic handler for one
 * specialised to its form, when there is one; true if it did. */
bool x86_specialize(DecodedInsn *d);

/* The form a specialised handler implements, for tier 1 (accel/tcg/jit.c)
 * to emit the same thing inline: ALU op (DecodedInsn.aux numbering: 0 ADD
 * 1 OR 4 AND 5 SUB 6 XOR 7 CMP), MOV or TEST; E <- E op G, G <- G op E or
 * E <- E op imm; E in memory or a register; ot 2 or 3. */
enum { X86_FAST_ALU = 1, X86_FAST_MOV, X86_FAST_TEST };
enum { X86_FAST_EG = 0, X86_FAST_GE = 1, X86_FAST_EI = 2 };
typedef struct X86FastForm {
    uint8_t kind, alu, form, ot;
    bool mem;
} X86FastForm;
bool x86_fast_form(const DecodedInsn *d, X86FastForm *f);

/* exec.c: a locked instruction (compare-and-swap with retry when vCPUs
 * run in threads); tier 0's loop and tier 1's handler calls */
void x86_exec_atomic(CPUX86State *env, const DecodedInsn *d);

#endif
