/*
 * Tier 0: translation blocks of pre-decoded instructions and the execution
 * loop.
 *
 * A block is decoded once from CS:EIP up to a control transfer, a
 * mode-changing instruction, the end of the page or TB_MAX_INSNS; the
 * blocks live in the TCG accelerator's cache (accel/tcg/tb-cache.c).
 * Lookup goes through the cache's jump cache indexed by the linear PC,
 * validated against the CPU's code TLB entry so a remapped page can never
 * hit a stale block; the slow path asks the MMU for the physical address
 * and probes the hash table.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "target/x86/ops.h"
#include "target/x86/debug.h"
#include "target/x86/disas.h"
#include "hw/core/memory.h"
#include "util/log.h"
#include "accel/tcg/tb-cache.h"
#include "accel/tcg/jit.h"
#include "accel/tcg/lockstep.h"
#include "system/cpus.h"

#define PAGE_BITS TB_PAGE_BITS
#define PAGE_SZ TB_PAGE_SIZE

/* hflags bits that change how bytes decode, SMM (a CPU in SMM may see
 * other bytes, SMRAM, at the same physical address) and the CPL (tier 1's
 * inline memory accesses pick the TLB of the block's privilege level) */
#define TB_HFLAGS_MASK (HF_CS32 | HF_CS64 | HF_LMA | HF_SMM | HF_CPL_MASK | HF_SMAP)

/* ---- block creation ---- */

typedef struct FetchCtx {
    CPUX86State *env;
    uint64_t cs_base;
    uint64_t page_end;      /* linear end of the block's first page */
    uint32_t cs_limit;
    bool first;             /* first instruction: faults are raised */
    bool stop;              /* a later instruction would leave page/limit */
    uint64_t max_la;
} FetchCtx;

static uint8_t tb_fetch(void *opaque, uint64_t la)
{
    FetchCtx *c = opaque;
    if (!(c->env->hflags & HF_LMA)) {
        la = (uint32_t)la;
    }
    uint32_t off = (uint32_t)(la - c->cs_base);
    if (!c->first && la >= c->page_end) {
        c->stop = true;
        return 0x90;
    }
    if (!(c->env->hflags & HF_CS64) && off > c->cs_limit) {
        if (!c->first) {
            c->stop = true;
            return 0x90;
        }
        raise_exception_err(c->env, EXCP_GP, 0);
    }
    if (la > c->max_la) {
        c->max_la = la;
    }
    return cpu_ldub_code(c->env, la);
}

/* The block's guest code, one line per instruction (-d in_asm, lockstep) */
void x86_tb_disas(const TranslationBlock *tb, void (*print)(void *opaque, const char *line),
                  void *opaque)
{
    char buf[128], line[160];
    uint64_t eip = tb->eip0;
    for (uint32_t i = 0; i < tb->n_insns; i++) {
        const DecodedInsn *d = &tb->insns[i];
        x86_disas_insn(d, eip, buf, sizeof(buf));
        if (tb->flags & HF_LMA) {
            snprintf(line, sizeof(line), "0x%016llx:  %s", (unsigned long long)(tb->cs_base + eip), buf);
        } else {
            snprintf(line, sizeof(line), "0x%08x:  %s", (uint32_t)(tb->cs_base + eip), buf);
        }
        print(opaque, line);
        eip = (eip + d->len) & tb->eip_mask;
        if (x86_goes_on_at_target(d, i + 1 == tb->n_insns)) {
            eip = (eip + d->imm) & tb->eip_mask;
        }
    }
}

static void log_print_line(void *opaque, const char *line)
{
    log_printf("%s\n", line);
}

static void tb_log_in_asm(TranslationBlock *tb)
{
    log_printf("----------------\nIN:\n");
    x86_tb_disas(tb, log_print_line, NULL);
    log_printf("\n");
}

static TranslationBlock *tb_gen(CPUX86State *env, uint64_t lin, uint64_t phys, uint32_t flags)
{
    static DecodedInsn scratch[TB_MAX_INSNS];
    int bits = (flags & HF_CS64) ? 64 : (flags & HF_CS32) ? 32 : 16;
    uint64_t mask = bits == 64 ? ~0ull : bits == 32 ? 0xffffffff : 0xffff;
    uint64_t lin_mask = (flags & HF_LMA) ? ~0ull : 0xffffffff;
    uint64_t eip = env->eip;
    FetchCtx c = {
        .env = env, .cs_base = (flags & HF_CS64) ? 0 : env->segs[R_CS].base,
        .page_end = (lin & ~(uint64_t)(PAGE_SZ - 1)) + PAGE_SZ,
        .cs_limit = env->segs[R_CS].limit, .max_la = lin,
    };
    uint32_t n = 0, nside = 0;
    uint64_t page2 = (uint64_t)-1;
    /* a loop's way back followed (DF_SIDE_TAKEN): the block's bytes
     * start at lo, below lin, and it ends where it would reach lin */
    bool rotated = false;
    uint64_t lo = lin;

    while (n < TB_MAX_INSNS) {
        c.first = n == 0;
        c.stop = false;
        x86_decode_mode(&scratch[n], (c.cs_base + eip) & lin_mask, bits, tb_fetch, &c);
        if (c.stop) {
            break;
        }
        x86_specialize(&scratch[n]);
        uint64_t next = (eip + scratch[n].len) & mask;
        bool end = scratch[n].flags & DF_END_TB;
        n++;
        uint64_t jmp_to = next + scratch[n - 1].imm;
        if (bits == 64 && scratch[n - 1].handler == op_jmp_rel && scratch[n - 1].opsize == 3 &&
            n < TB_MAX_INSNS && jmp_to > next && jmp_to < (rotated ? lin : c.page_end)) {
            /* a forward JMP rel within the page: the block goes on at its
             * target (a superblock; x86_jmp_followed), so tier 1 keeps
             * its registers across it and runs no block exit.  Forward
             * only: the bytes the block spans, [lin, max_la], hold all
             * its instructions (self-modifying code, breakpoints) */
            eip = jmp_to;
            continue;
        }
        if (bits == 64 && scratch[n - 1].handler == op_jcc && scratch[n - 1].opsize == 3 &&
            nside < TB_MAX_SIDE_EXITS && n < TB_MAX_INSNS && !rotated && next > eip &&
            next < c.page_end && jmp_to < lin && jmp_to >= c.page_end - PAGE_SZ) {
            /* a Jcc back to before the block's start in its page, most
             * likely a loop's way back: the block goes on at its target
             * (DF_SIDE_TAKEN), and not taken it leaves.  The loop's code
             * from there on reaches the block's start again, where the
             * block ends: a loop in one block, which tier 1 runs with its
             * registers kept (a loop of two blocks, each leaving at the
             * other's Jcc, was a block exit and a chained jump per turn).
             * Once per block; the bytes are [lo, max_la]. */
            scratch[n - 1].flags |= DF_SIDE_EXIT | DF_SIDE_TAKEN;
            nside++;
            rotated = true;
            lo = jmp_to;
            eip = jmp_to;
            continue;
        }
        if (bits == 64 && scratch[n - 1].handler == op_jcc && scratch[n - 1].opsize == 3 &&
            nside < TB_MAX_SIDE_EXITS && n < TB_MAX_INSNS && next > eip &&
            next < (rotated ? lin : c.page_end) && is_canonical_addr(jmp_to) && jmp_to != env->eip) {
            /* a Jcc whose fall-through is in the page: the block goes on
             * there (a superblock), and the Jcc taken leaves it (a side
             * exit: tb_run stops, tier 1 chains it through a slot of its
             * own).  The bytes stay [lin, max_la], as for a JMP.  Not a
             * Jcc back to the block's start: it ends the block, a loop
             * tier 1 runs with its registers kept (jit.c, LOOP_EMIT). */
            scratch[n - 1].flags |= DF_SIDE_EXIT;
            nside++;
            eip = next;
            continue;
        }
        if (end || next < eip || ((c.cs_base + next) & lin_mask) >= c.page_end ||
            ((c.cs_base + next) & lin_mask) < lo || (rotated && next >= env->eip)) {
            eip = next;
            break;
        }
        eip = next;
    }
    if (n && (scratch[n - 1].flags & DF_SIDE_EXIT)) {
        /* nothing decoded after it: it ends the block */
        scratch[n - 1].flags &= ~(DF_SIDE_EXIT | DF_SIDE_TAKEN);
    }
    if (c.max_la >= c.page_end) {
        /* the first instruction straddles into the next page */
        const uint8_t *host;
        page2 = cpu_get_phys_code(env, c.page_end & lin_mask, &host) >> PAGE_BITS;
    }
    TranslationBlock *tb = g_malloc(sizeof(*tb) + n * sizeof(DecodedInsn));
    tb->pc_lin = lin;
    tb->cs_base = c.cs_base;
    tb->phys = phys;
    tb->page2 = page2;
    tb->flags = flags;
    tb->eip_mask = mask;
    tb->eip0 = env->eip;
    tb->exec_count = 0;
    tb->jit_entry = NULL;
    tb->jit_dead = NULL;
    tb->jit_size = 0;
    tb->jit_slot = NULL;
    tb->jit_nslot = 0;
    tb->jit_in = NULL;
    tb->n_insns = n;
    tb->size = c.max_la + 1 - lin;
    tb->below = (uint32_t)(lin - lo);
    tb->invalid = false;
    memcpy(tb->insns, scratch, n * sizeof(DecodedInsn));
    tb_insert(tb);
    if (log_enabled(LOG_IN_ASM)) {
        tb_log_in_asm(tb);
    }
    return tb;
}

/* The block key of CS:EIP now: decode-relevant hflags, CS base, linear PC. */
static inline uint64_t tb_cur_key(const CPUX86State *env, uint32_t *flags, uint64_t *cs_base)
{
    *flags = env->hflags & TB_HFLAGS_MASK;
    *cs_base = (*flags & HF_CS64) ? 0 : env->segs[R_CS].base;
    uint64_t lin = *cs_base + env->eip;
    return (*flags & HF_LMA) ? lin : (uint32_t)lin;
}

/* The TLB entry of the page of lin in the CPU's mode now */
static inline const TLBEntry *code_tlb(const CPUX86State *env, uint64_t lin)
{
    return &env->tlb[cpu_mmu_index(env)][(lin >> PAGE_BITS) & (TLB_SIZE - 1)];
}

/* The block at CS:EIP from the jump cache, if it is there and its page
 * is still mapped where it was decoded from (CR3/A20/paging changes). */
static inline TranslationBlock *tb_find_cached(CPUX86State *env, uint32_t flags,
                                               uint64_t cs_base, uint64_t lin)
{
    TranslationBlock *tb = tb_jmp_get(env, lin);

    if (tb && tb->pc_lin == lin && tb->cs_base == cs_base && tb->flags == flags) {
        const TLBEntry *te = code_tlb(env, lin);
        if (te->addr_code == (lin & ~(uint64_t)(PAGE_SZ - 1)) &&
            (te->paddr >> PAGE_BITS) == (tb->phys >> PAGE_BITS)) {
            return tb;
        }
    }
    return NULL;
}

/*
 * The block at this key from the jump cache or, when another block took
 * its slot there, from the block table by physical address while the TLB
 * still maps the page for code (then back in the jump cache): no page
 * walk, no trip through the loop's tb_find.  NULL when neither has it.
 */
static TranslationBlock *tb_find_mapped(CPUX86State *env, uint32_t flags, uint64_t cs_base,
                                        uint64_t lin)
{
    TranslationBlock *tb = tb_find_cached(env, flags, cs_base, lin);
    if (!tb) {
        const TLBEntry *te = code_tlb(env, lin);
        if (te->addr_code == (lin & ~(uint64_t)(PAGE_SZ - 1))) {
            tb = tb_lookup((te->paddr & ~(uint64_t)(PAGE_SZ - 1)) | (lin & (PAGE_SZ - 1)),
                           cs_base, flags, lin);
            if (tb) {
                tb_jmp_set(env, lin, tb);
            }
        }
    }
    return tb;
}

const uint8_t *x86_jit_lookup(CPUX86State *env);
const uint8_t *x86_jit_lookup(CPUX86State *env)
{
    uint32_t flags;
    uint64_t cs_base;
    uint64_t lin = tb_cur_key(env, &flags, &cs_base);
    TranslationBlock *tb = tb_find_mapped(env, flags, cs_base, lin);
    return tb ? __atomic_load_n(&tb->jit_entry, __ATOMIC_ACQUIRE) : NULL;
}

static TranslationBlock *tb_find(CPUX86State *env)
{
    uint32_t flags;
    uint64_t cs_base;
    uint64_t lin = tb_cur_key(env, &flags, &cs_base);
    TranslationBlock *tb = tb_find_cached(env, flags, cs_base, lin);
    if (tb) {
        return tb;
    }
    /* Looking up needs no lock; decoding a new block takes the BQL (the
     * cache's tables, the memory map, the other CPUs' TLBs whose fast
     * writes to a new code page go), and a fault while decoding leaves it
     * through x86_cpu_exec's landing pad, which drops it. */
    const uint8_t *host;
    uint64_t phys = cpu_get_phys_code(env, lin, &host);
    tb = tb_lookup(phys, cs_base, flags, lin);
    if (!tb) {
        bool locked = bql_lock_if_needed();
        tb = tb_lookup(phys, cs_base, flags, lin);
        if (!tb) {
            phys = cpu_get_phys_code(env, lin, &host);  /* now protecting the page */
            tb = tb_gen(env, lin, phys, flags);
        }
        bql_unlock_if(locked);
    }
    tb_jmp_set(env, lin, tb);
    return tb;
}

/* ---- execution ---- */

/* Deliver a pending SMI, NMI or external interrupt if the CPU can take it. */
static bool exec_check_interrupts(CPUX86State *env)
{
    uint32_t req = env->interrupt_request;
    /* SMI comes before INIT, NMI and INTR (SDM vol. 3, 6.9); in SMM it
     * waits for RSM, and like NMI here it waits out an interrupt shadow
     * and the wait for SIPI */
    if ((req & CPU_INTERRUPT_SMI) && !(env->hflags & (HF_SMM | HF_INHIBIT_IRQ)) &&
        !env->wait_sipi) {
        __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_SMI, __ATOMIC_SEQ_CST);
        do_smm_enter(env);
        return false;
    }
    /* INIT is held pending while in SMM and taken after RSM (SDM vol. 3
     * ch. 34; KVM does the same) */
    if ((req & CPU_INTERRUPT_INIT) && !(env->hflags & HF_SMM)) {
        /* the reset rewrites interrupt_request: under the BQL, so a SIPI
         * another CPU sends right behind the INIT is not lost */
        bool locked = bql_lock_if_needed();
        __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_INIT, __ATOMIC_SEQ_CST);
        x86_cpu_do_init(env);
        bql_unlock_if(locked);
        req = env->interrupt_request;
    }
    if (req & CPU_INTERRUPT_SIPI) {
        __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_SIPI, __ATOMIC_SEQ_CST);
        if (env->wait_sipi) {
            /* real mode at vector:0000 (SDM vol. 3, 9.4.4.1) */
            env->wait_sipi = false;
            env->hflags &= ~HF_HALTED;
            env->segs[R_CS].selector = env->sipi_vector << 8;
            env->segs[R_CS].base = (uint32_t)env->sipi_vector << 12;
            env->eip = 0;
        }
    }
    if (env->wait_sipi) {
        return false;       /* nothing else reaches a CPU waiting for SIPI */
    }
    if (env->hflags & HF_INHIBIT_IRQ) {
        return false;
    }
    if (req & CPU_INTERRUPT_NMI) {
        /* NMIs sent since the last boundary: while NMIs are blocked (a
         * handler runs) one more can wait, else two: one taken now and one
         * latched behind it (SDM 6.7.1; KVM keeps them the same way).  A
         * pending NMI waits here for the next boundary, so without the
         * second two NMIs sent at once by two CPUs would merge. */
        __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
        uint32_t limit = env->hflags & HF_NMI_MASK ? 1 : 2;
        uint32_t sent = __atomic_exchange_n(&env->nmi_queued, 0, __ATOMIC_SEQ_CST);
        env->nmi_pending = MIN(env->nmi_pending + sent, limit);
        if (env->nmi_pending) {
            __atomic_fetch_or(&env->interrupt_request, CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
        }
    }
    if (env->nmi_pending && !(env->hflags & HF_NMI_MASK)) {
        if (--env->nmi_pending == 0) {
            __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&env->nmi_queued, __ATOMIC_SEQ_CST)) {
                __atomic_fetch_or(&env->interrupt_request, CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
            }
        }
        env->hflags &= ~HF_HALTED;
        env->hflags |= HF_NMI_MASK;    /* held until the handler's IRET (SDM 6.7.1) */
        if (!do_interrupt(env, EXCP_NMI, 0, 0, env->eip, 1)) {
            return true;
        }
        return false;
    }
    if ((req & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK)) {
        bool locked = bql_lock_if_needed();
        int vector = env->intr_ack ? env->intr_ack(env->intr_opaque) : 0x08;
        bql_unlock_if(locked);
        if (vector < 0) {
            return false;      /* withdrawn before the acknowledge (APIC TPR raised) */
        }
        env->hflags &= ~HF_HALTED;
        if (!do_interrupt(env, vector & 0xff, 0, 0, env->eip, 1)) {
            return true;
        }
    }
    return false;
}

/*
 * A locked read-modify-write (LOCK prefix, XCHG with memory).  With one
 * thread for every vCPU an instruction is atomic anyway; with vCPU threads
 * the handler's operand load and store become a host load and a
 * compare-and-swap (rmw_ld/rmw_st in ops.h).  When the CAS finds that
 * another CPU wrote the operand in between, the instruction runs again
 * from the state it started with; handlers change registers and flags
 * only after their store, but the state is restored all the same.
 */
void x86_exec_atomic(CPUX86State *env, const DecodedInsn *d)
{
    if (!cpus_threaded()) {
        d->handler(env, d);
        return;
    }
    uint64_t regs[16];
    memcpy(regs, env->regs, sizeof(regs));
    uint64_t eip = env->eip, cc_dst = env->cc_dst, cc_src = env->cc_src, cc_src2 = env->cc_src2;
    int cc_op = env->cc_op;
    uint32_t eflags = env->eflags;
    for (;;) {
        env->lock_armed = true;
        env->lock_retry = false;
        env->lock_host = NULL;
        d->handler(env, d);
        env->lock_armed = false;
        if (likely(!env->lock_retry)) {
            break;
        }
        memcpy(env->regs, regs, sizeof(regs));
        env->eip = eip;
        env->cc_dst = cc_dst;
        env->cc_src = cc_src;
        env->cc_src2 = cc_src2;
        env->cc_op = cc_op;
        env->eflags = eflags;
    }
    cpu_atomic_release(env);
}

static inline void exec_insn(CPUX86State *env, const DecodedInsn *d)
{
    if (unlikely(d->flags & DF_ATOMIC)) {
        x86_exec_atomic(env, d);
    } else {
        d->handler(env, d);
    }
}

static inline void tb_run(CPUX86State *env, TranslationBlock *tb)
{
    const DecodedInsn *d = tb->insns, *end = d + tb->n_insns;
    uint64_t mask = tb->eip_mask;
    for (; d < end; d++) {
        uint64_t next = (env->eip + d->len) & mask;
        env->insn_start_eip = env->eip;
        env->eip = next;
        env->insn_rex = d->rex;
        exec_insn(env, d);
        env->instr_count++;
        if (unlikely(tb->invalid)) {
            break;      /* the block changed under us: refetch at EIP */
        }
        if ((d->flags & DF_SIDE_EXIT) && (env->eip != next) != !!(d->flags & DF_SIDE_TAKEN)) {
            break;      /* a Jcc inside the block, taken (DF_SIDE_TAKEN: not taken) */
        }
    }
}

/* Tier 0 for accel/tcg/lockstep.c: the block once, as the loop runs it */
void x86_tb_run0(CPUX86State *env, TranslationBlock *tb);
void x86_tb_run0(CPUX86State *env, TranslationBlock *tb)
{
    env->tb_runs++;
    tb_run(env, tb);
}

/* One instruction with single-step / interrupt-shadow semantics. */
static void tb_run_one(CPUX86State *env, TranslationBlock *tb)
{
    bool tf = env->eflags & TF_MASK;
    bool after_movss = env->hflags & HF_MOVSS;
    const DecodedInsn *d = &tb->insns[0];
    env->hflags &= ~(HF_INHIBIT_IRQ | HF_MOVSS);
    env->insn_start_eip = env->eip;
    /* RF suppresses instruction breakpoints for one instruction only; an
     * IRET that restores RF=1 sets it again (SDM vol. 3, 17.3.1.1) */
    env->eflags &= ~RF_MASK;
    if (!after_movss) {
        env->dr_hit = 0;    /* hits of a MOV SS are reported with this insn's */
    }
    env->eip = (env->eip + d->len) & tb->eip_mask;
    env->insn_rex = d->rex;
    exec_insn(env, d);
    env->instr_count++;
    if (d->op == 0x105 || d->op == 0x107) {
        /* SYSCALL and SYSRET step on the TF they leave: SYSCALL's FMASK
         * can clear it, and then there is no trap (op_sysret traps when
         * it sets TF) */
        tf = env->eflags & TF_MASK;
    }
    if (env->hflags & HF_MOVSS) {
        /* MOV SS / POP SS: single-step and data-breakpoint traps wait until
         * after the next instruction (SDM vol. 3, 6.8.3) */
        return;
    }
    uint8_t hit = env->dr_hit;
    if (tf || hit) {
        /* single-step and data breakpoints trap after the instruction, in
         * one #DB: DR6.BS for the step, DR6.Bn for each breakpoint hit */
        if (hit) {
            env->dr[6] = (env->dr[6] & ~0xfull) | hit;
            env->dr_hit = 0;
        }
        if (tf) {
            env->dr[6] |= 0x4000;
        }
        env->insn_start_eip = env->eip;
        raise_exception(env, EXCP_DB);
    }
}

unsigned x86_debug_mode;
const X86DebugHooks *x86_debug_hooks;

void x86_debug_set_mode(CPUX86State *env, unsigned mode)
{
    bool flush = (mode ^ x86_debug_mode) & X86_DEBUG_WATCH;
    x86_debug_mode = mode;
    if (flush) {
        tlb_flush_all(env);
    }
}

static CPUExitReason cpu_exec_loop(CPUX86State *env, int64_t max_insns)
{
    /* a vCPU thread runs guest code without the BQL, the main thread (one
     * thread for all vCPUs) with it */
    bool bql_entry = bql_locked();
    volatile uint64_t end_count = env->instr_count + (max_insns > 0 ? max_insns : 1);
    /* tier 1 runs blocks whole and chains them: not while -d logs every
     * block */
    const bool jit_ok = jit_threshold && !log_enabled(LOG_CPU | LOG_EXEC);

    if (sigsetjmp(env->jmp_env, 0) != 0) {
        /* a fault raised under the BQL (TLB fill, decoding, a device's
         * #GP) leaves it held */
        if (bql_locked() && !bql_entry) {
            bql_unlock();
        }
        jit_count_sync(env);        /* a fault in tier 1 code */
        env->lock_armed = false;    /* a locked instruction faulted */
        cpu_atomic_release(env);
        /* A delivery uses up budget too: a guest whose handler faults
         * before retiring anything must not keep us from the main loop. */
        end_count--;
        if (env->exception_index == EXCP_SHUTDOWN) {
            /* the machine resets on a shutdown, as after a triple fault */
            env->exception_index = -1;
            vlog(LOG_INT | LOG_RESET, "CPU %d: shutdown\n", env->cpu_index);
            return CPU_EXIT_RESET;
        }
        if (env->exception_index >= 0) {
            int v = env->exception_index;
            int is_int = env->exception_is_int;
            uint8_t hit = env->dr_hit;
            env->exception_index = -1;
            env->dr_hit = 0;
            if (!do_interrupt(env, v, is_int, env->error_code, env->exception_next_eip, 0)) {
                return CPU_EXIT_RESET;
            }
            if (hit && is_int) {
                /* INT n / INT3 / INTO complete by vectoring; data
                 * breakpoints they (or a MOV SS just before) hit trap
                 * now, before the handler's first instruction */
                env->dr[6] = (env->dr[6] & ~0xfull) | hit;
                if (!do_interrupt(env, EXCP_DB, 0, 0, 0, 0)) {
                    return CPU_EXIT_RESET;
                }
            }
        }
    }
    for (;;) {
        tb_quiescent(env);      /* no block of ours is in use here */
        uint32_t req = env->interrupt_request;
        if (unlikely(req)) {
            if (req & CPU_INTERRUPT_TLB_FLUSH) {
                __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_TLB_FLUSH,
                                   __ATOMIC_SEQ_CST);
                tlb_flush(env);
            }
            if (req & CPU_INTERRUPT_EXIT) {
                __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_EXIT,
                                   __ATOMIC_SEQ_CST);
                return CPU_EXIT_KICKED;
            }
            if (unlikely(x86_debug_mode & X86_DEBUG_NOIRQ)) {
                /* a debugger single-steps: pending interrupts wait */
            } else if (exec_check_interrupts(env)) {
                return CPU_EXIT_RESET;
            }
        }
        if (env->hflags & HF_HALTED) {
            return CPU_EXIT_HALTED;
        }
        if ((int64_t)(env->instr_count - end_count) >= 0) {
            return CPU_EXIT_BUDGET;
        }
        env->insn_start_eip = env->eip;     /* code fetch faults report here */
        /* Intel CPUs drop an instruction breakpoint on the instruction
         * after MOV SS / POP SS; AMD ones take it (kvm-unit-tests emulator) */
        if (unlikely(env->dr_exec_en) && !(env->eflags & RF_MASK) &&
            !((env->hflags & HF_MOVSS) && x86_cpu_is_intel(env))) {
            uint64_t lin_pc = (env->hflags & HF_CS64) ? env->eip
                                                      : (uint32_t)(env->segs[R_CS].base + env->eip);
            uint8_t m = x86_dr_exec_match(env, lin_pc);
            if (m) {
                /* instruction breakpoint: a fault before the instruction;
                 * the saved EFLAGS has RF so IRET can restart it */
                env->dr[6] = (env->dr[6] & ~0xfull) | m;
                env->eflags |= RF_MASK;
                raise_exception(env, EXCP_DB);
            }
        }
        TranslationBlock *tb;
        if (unlikely(x86_debug_mode & (X86_DEBUG_ONE_INSN | X86_DEBUG_BREAK))) {
            uint64_t lin_pc = (env->hflags & HF_CS64) ? env->eip
                                                      : (uint32_t)(env->segs[R_CS].base + env->eip);
            /* the debugger's state is the BQL's */
            bool locked = bql_lock_if_needed();
            bool stop = x86_debug_hooks && x86_debug_hooks->insn_check(env, lin_pc);
            bql_unlock_if(locked);
            if (stop) {
                return CPU_EXIT_DEBUG;
            }
            tb = tb_find(env);
            /* a breakpoint after the first instruction (or IP wrapping
             * within the block): go one instruction at a time */
            locked = bql_lock_if_needed();
            bool one = (x86_debug_mode & X86_DEBUG_ONE_INSN) ||
                       (tb->n_insns > 1 &&
                        ((tb->eip_mask == 0xffff && env->eip + tb->size > 0x10000) ||
                         (x86_debug_hooks &&
                          (x86_debug_hooks->range_has_break(lin_pc + 1, lin_pc + tb->size) ||
                           (tb->below &&
                            x86_debug_hooks->range_has_break(lin_pc - tb->below, lin_pc))))));
            bql_unlock_if(locked);
            if (one) {
                tb_run_one(env, tb);
                continue;
            }
        } else {
            tb = tb_find(env);
        }
        if (log_enabled(LOG_CPU)) {
            x86_cpu_dump_state(env, log_print_line, NULL);
        }
        vlog(LOG_EXEC, "Trace %04x:%08x [%08x]\n", env->segs[R_CS].selector,
             (uint32_t)env->eip, (uint32_t)tb->pc_lin);
        if (unlikely((env->eflags & (TF_MASK | RF_MASK)) || (env->hflags & HF_INHIBIT_IRQ) ||
                     env->dr_exec_en || env->dr_data_en)) {
            tb_run_one(env, tb);
        } else if (unlikely(lockstep_on)) {
            /* -accel tcg,lockstep=on: both tiers, compared */
            lockstep_block(env, tb);
        } else {
            if (jit_ok && !tb->jit_entry && ++tb->exec_count >= jit_threshold) {
                bool locked = bql_lock_if_needed();
                jit_translate(env, tb);
                bql_unlock_if(locked);
                if (__atomic_load_n(&tb->invalid, __ATOMIC_ACQUIRE)) {
                    /* the code cache was full: every block, this one
                     * too, was dropped; find it again rather than run
                     * one instruction of it under tier 0 */
                    continue;
                }
            }
            if (jit_ok && tb->jit_entry) {
                /* tier 1: the block's code, and the blocks it is chained
                 * to, until one leaves; an exit to a successor not chained
                 * yet chains it if the block exists already (tb_find_mapped:
                 * with the jump cache alone, a successor whose slot another
                 * block kept taking was never chained, and left to the loop
                 * at every run) */
                /* with breakpoints set, one block at a time: the loop
                 * checks them before each (the debugger stops the VM to
                 * change them, so no block is running then) */
                env->jit_end_count = unlikely(x86_debug_mode) ? 0 : end_count;
                JitSlot *slot = jit_run(env, tb);
                if (slot) {
                    uint32_t flags;
                    uint64_t cs_base;
                    uint64_t lin = tb_cur_key(env, &flags, &cs_base);
                    jit_chain(env, slot, tb_find_mapped(env, flags, cs_base, lin));
                }
            } else {
                env->tb_runs++;
                tb_run(env, tb);
            }
        }
    }
}

CPUExitReason x86_cpu_exec(X86CPU *cpu, int64_t max_insns)
{
    tb_exec_enter(cpu);
    CPUExitReason r = cpu_exec_loop(cpu, max_insns);
    tb_exec_leave(cpu);
    return r;
}

bool x86_cpu_has_work(const X86CPU *cpu)
{
    uint32_t req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);
    bool smm = cpu->hflags & HF_SMM;    /* SMI and INIT wait for RSM */
    if ((req & (CPU_INTERRUPT_SIPI | CPU_INTERRUPT_EXIT)) || ((req & CPU_INTERRUPT_INIT) && !smm)) {
        return true;
    }
    if (cpu->wait_sipi) {
        return false;
    }
    if (!(cpu->hflags & HF_HALTED)) {
        return true;
    }
    return ((req & CPU_INTERRUPT_SMI) && !smm) ||
           ((req & CPU_INTERRUPT_NMI) && !(cpu->hflags & HF_NMI_MASK)) ||
           ((req & CPU_INTERRUPT_HARD) && (cpu->eflags & IF_MASK));
}

void (*x86_cpu_notify)(X86CPU *cpu);

void x86_cpu_tlb_flush_async(X86CPU *cpu)
{
    /* with one thread for everything no other thread can be using it */
    if (cpu == current_cpu || !cpus_threaded()) {
        tlb_flush(cpu);
    } else {
        __atomic_fetch_or(&cpu->interrupt_request, CPU_INTERRUPT_TLB_FLUSH, __ATOMIC_SEQ_CST);
    }
}

void x86_cpu_set_intr(X86CPU *cpu, int level)
{
    if (level) {
        __atomic_fetch_or(&cpu->interrupt_request, CPU_INTERRUPT_HARD, __ATOMIC_SEQ_CST);
        if (x86_cpu_notify) {
            x86_cpu_notify(cpu);
        }
    } else {
        __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_HARD, __ATOMIC_SEQ_CST);
    }
}

void x86_cpu_kick(X86CPU *cpu)
{
    __atomic_fetch_or(&cpu->interrupt_request, CPU_INTERRUPT_EXIT, __ATOMIC_SEQ_CST);
    if (x86_cpu_notify) {
        x86_cpu_notify(cpu);
    }
}

void x86_cpu_dump_state(X86CPU *cpu, void (*print)(void *opaque, const char *line), void *opaque)
{
    CPUX86State *env = cpu;
    static const char *const sn[6] = { "ES =", "CS =", "SS =", "DS =", "FS =", "GS =" };
    char line[160];
    uint32_t f = cpu_compute_eflags(env);

    if (env->hflags & HF_LMA) {
        /* long mode: all sixteen 64-bit registers, as QEMU prints them */
        static const char *const rn[16] = { "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP",
                                            "RSP", "R8 ", "R9 ", "R10", "R11", "R12", "R13",
                                            "R14", "R15" };
        static const int ri[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                    8, 9, 10, 11, 12, 13, 14, 15 };
        for (int i = 0; i < 16; i += 4) {
            snprintf(line, sizeof(line), "%s=%016llx %s=%016llx %s=%016llx %s=%016llx",
                     rn[i], (unsigned long long)env->regs[ri[i]],
                     rn[i + 1], (unsigned long long)env->regs[ri[i + 1]],
                     rn[i + 2], (unsigned long long)env->regs[ri[i + 2]],
                     rn[i + 3], (unsigned long long)env->regs[ri[i + 3]]);
            print(opaque, line);
        }
        snprintf(line, sizeof(line), "RIP=%016llx", (unsigned long long)env->eip);
        print(opaque, line);
    } else {
        snprintf(line, sizeof(line), "EAX=%08x EBX=%08x ECX=%08x EDX=%08x",
                 (uint32_t)env->regs[R_EAX], (uint32_t)env->regs[R_EBX],
                 (uint32_t)env->regs[R_ECX], (uint32_t)env->regs[R_EDX]);
        print(opaque, line);
        snprintf(line, sizeof(line), "ESI=%08x EDI=%08x EBP=%08x ESP=%08x",
                 (uint32_t)env->regs[R_ESI], (uint32_t)env->regs[R_EDI],
                 (uint32_t)env->regs[R_EBP], (uint32_t)env->regs[R_ESP]);
        print(opaque, line);
    }
    snprintf(line, sizeof(line),
             "EIP=%08x EFL=%08x [%c%c%c%c%c%c%c] CPL=%d II=%d A20=%d SMM=%d HLT=%d",
             (uint32_t)env->eip, f,
             f & DF_MASK ? 'D' : '-', f & CC_O ? 'O' : '-', f & CC_S ? 'S' : '-',
             f & CC_Z ? 'Z' : '-', f & CC_A ? 'A' : '-', f & CC_P ? 'P' : '-',
             f & CC_C ? 'C' : '-', cpu_cpl(env), !!(env->hflags & HF_INHIBIT_IRQ),
             (env->a20_mask >> 20) & 1, !!(env->hflags & HF_SMM), !!(env->hflags & HF_HALTED));
    print(opaque, line);
    for (int i = 0; i < 6; i++) {
        const SegmentCache *s = &env->segs[i];
        snprintf(line, sizeof(line), "%s%04x %08x %08x %08x", sn[i], s->selector,
                 (uint32_t)s->base, s->limit, s->flags);
        print(opaque, line);
    }
    snprintf(line, sizeof(line), "LDT=%04x %08x %08x %08x", env->ldt.selector,
             (uint32_t)env->ldt.base, env->ldt.limit, env->ldt.flags);
    print(opaque, line);
    snprintf(line, sizeof(line), "TR =%04x %08x %08x %08x", env->tr.selector,
             (uint32_t)env->tr.base, env->tr.limit, env->tr.flags);
    print(opaque, line);
    snprintf(line, sizeof(line), "GDT=     %08x %08x", (uint32_t)env->gdt.base, env->gdt.limit);
    print(opaque, line);
    snprintf(line, sizeof(line), "IDT=     %08x %08x", (uint32_t)env->idt.base, env->idt.limit);
    print(opaque, line);
    if (env->hflags & HF_LMA) {
        snprintf(line, sizeof(line), "CR0=%08x CR2=%016llx CR3=%016llx CR4=%08x",
                 (uint32_t)env->cr[0], (unsigned long long)env->cr2,
                 (unsigned long long)env->cr[3], (uint32_t)env->cr[4]);
    } else {
        snprintf(line, sizeof(line), "CR0=%08x CR2=%08x CR3=%08x CR4=%08x",
                 (uint32_t)env->cr[0], (uint32_t)env->cr2, (uint32_t)env->cr[3],
                 (uint32_t)env->cr[4]);
    }
    print(opaque, line);
    snprintf(line, sizeof(line), "DR0=%08x DR1=%08x DR2=%08x DR3=%08x",
             (uint32_t)env->dr[0], (uint32_t)env->dr[1], (uint32_t)env->dr[2], (uint32_t)env->dr[3]);
    print(opaque, line);
    snprintf(line, sizeof(line), "DR6=%08x DR7=%08x", (uint32_t)env->dr[6], (uint32_t)env->dr[7]);
    print(opaque, line);
    snprintf(line, sizeof(line), "CCS=%08x CCD=%08x CCO=%d EFER=%016llx",
             (uint32_t)env->cc_src, (uint32_t)env->cc_dst, env->cc_op,
             (unsigned long long)env->efer);
    print(opaque, line);
}
