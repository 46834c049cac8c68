/*
 * The translation-block cache of the TCG accelerator: blocks keyed by
 * (physical PC, CS base, decode-relevant hflags) in a hash table, a jump
 * cache indexed by the linear PC, and per physical page the blocks decoded
 * from it with a bitmap of their bytes, so a store into a page that holds
 * code drops exactly the blocks it overlaps (self-modifying code, DMA).
 * Invalidated blocks are freed only when no vCPU can be running them
 * (an epoch scheme, see tb-cache.c), so a block that modifies itself
 * finishes its instruction first and another vCPU's block stays valid
 * until it reaches a block boundary.
 *
 * The cache is shared by every vCPU and its tables are protected by the
 * BQL (system/cpus.h); each vCPU has its own jump cache; target/x86/exec.c decodes blocks
 * (tb_gen) and runs them, and the softmmu asks tb_page_has_code() which
 * pages must take its slow write path.
 */
#ifndef ACCEL_TCG_TB_CACHE_H
#define ACCEL_TCG_TB_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "target/x86/decode.h"

#define TB_PAGE_BITS 12
#define TB_PAGE_SIZE (1u << TB_PAGE_BITS)
#define TB_MAX_INSNS 64         /* instructions in a block at most */
#define TB_MAX_SIDE_EXITS 2     /* Jcc inside a block (DF_SIDE_EXIT) at most */

/* A direct successor of a tier-1 block (jit.c): the block's code
 * compares the next EIP with target_eip and jumps through a patchable
 * rel32, which leaves to the loop until jit_chain points it at the
 * successor's code.  A slot chained to a block on the same page is on
 * that block's jit_in list, so that dropping the block points the rel32
 * back at the exit stub (jit_tb_retire). */
typedef struct JitSlot {
    struct TranslationBlock *src;
    uint8_t *patch;             /* the rel32, in the executable view */
    uint64_t target_eip;
    uint8_t *lookup;            /* EIP = target_eip, then the block's lookup (executable view) */
    uint8_t *stub;              /* the exit stub the rel32 points at unchained (executable view) */
    /* 64-bit code: the target page's TLB check jit_chain patches to for
     * another page (executable view), its 8-aligned imm64 (the target
     * block's physical address) and its 4-aligned rel32 (the entry) */
    uint8_t *guard, *guard_phys, *guard_jmp;
    struct TranslationBlock *linked;    /* the block whose code it jumps to, or NULL */
    struct JitSlot *link_next;          /* the next slot on linked->jit_in */
} JitSlot;

typedef struct TranslationBlock {
    uint64_t pc_lin;            /* CS base + EIP of the first instruction */
    uint64_t cs_base;
    uint64_t phys;              /* physical address of the first byte */
    uint64_t page2;             /* physical page the last insn spills into, or -1 */
    uint32_t flags;
    uint64_t eip_mask;          /* 0xffff for 16-bit code: IP wraps */
    uint64_t eip0;              /* EIP of the first instruction */
    uint32_t n_insns;
    uint32_t size;              /* bytes of guest code covered from phys */
    uint32_t below;             /* ... and below phys, in its page (a loop's way back) */
    bool invalid;
    uint32_t exec_count;        /* runs in tier 0 (tier=auto's hotness) */
    uint8_t *jit_entry;         /* tier-1 code (executable view), or NULL */
    uint8_t *jit_dead;          /* its "dropped" byte (writable view) */
    uint32_t jit_size;          /* bytes of that code from jit_entry */
    /* the end's successors, then the side exits': allocated when the block
     * is translated (most decoded blocks never are), jit_nslot of them */
    JitSlot *jit_slot;
    uint32_t jit_nslot;
    JitSlot *jit_in;            /* the slots chained to jit_entry (jit.c's chain lock) */
    struct TranslationBlock *hash_next;
    DecodedInsn insns[];
} TranslationBlock;

/* Set up on first use (idempotent); hooks the memory listener and the RAM
 * write hook so bus writes and remaps reach the cache. */
void tb_cache_init(void);
/* The block for this key, or NULL (no lock needed: see tb-cache.c). */
TranslationBlock *tb_lookup(uint64_t phys, uint64_t cs_base, uint32_t flags, uint64_t lin);
#define TB_JMP_BITS 14
#define TB_JMP_SIZE (1u << TB_JMP_BITS)

/* Fibonacci hashing: the top bits of lin times 2^64/phi.  Folding the
 * address onto itself (lin ^ lin >> 14) put three blocks of one disk
 * request's kernel path in one slot; a multiply spreads every bit of the
 * address over the index.  tier 1's inline lookup computes the same. */
#define TB_JMP_MUL 0x9e3779b97f4a7c15ull

static inline unsigned tb_jmp_fn(uint64_t lin)
{
    return (unsigned)((lin * TB_JMP_MUL) >> (64 - TB_JMP_BITS));
}

/* The vCPU's jump cache: the last block it ran at a linear PC (check the
 * key).  Neither needs the lock.  Inline: it is looked up at every block. */
static inline TranslationBlock *tb_jmp_get(CPUX86State *env, uint64_t lin)
{
    TranslationBlock **jc = env->tb_jmp_cache;
    return __atomic_load_n(&jc[tb_jmp_fn(lin)], __ATOMIC_RELAXED);
}
void tb_jmp_set(CPUX86State *env, uint64_t lin, TranslationBlock *tb);
/* Enter a filled-in block: hash table and the pages it was decoded from. */
void tb_insert(TranslationBlock *tb);

/* x86_cpu_exec brackets: a vCPU holds block pointers only between
 * tb_exec_enter and tb_exec_leave, and none at tb_quiescent (called
 * between blocks, where blocks no vCPU can hold any more are freed). */
void tb_exec_enter(CPUX86State *env);
void tb_quiescent(CPUX86State *env);
void tb_exec_leave(CPUX86State *env);
/* A vCPU goes away (x86_cpu_free). */
void tb_jmp_cache_free(CPUX86State *env);

/* Drop translated blocks that overlap [phys, phys+len). */
void tb_invalidate_phys_range(uint64_t phys, uint64_t len);
/* True if the physical page holds translated code. */
bool tb_page_has_code(uint64_t phys_page);
/* Drop every block (memory map changes, CR0/CR4 paging switches). */
void tb_flush_all(CPUX86State *env);

/* The epoch a block dropped now is freed after (BQL), and whether every
 * vCPU has passed a block boundary since: then none can hold or run
 * anything dropped before (jit.c reuses its code cache then). */
uint64_t tb_epoch_current(void);
bool tb_epoch_passed(uint64_t epoch);
/* Blocks decoded so far, and every vCPU that ran (HMP info jit). */
uint64_t tb_stat_decoded(void);
void tb_foreach_cpu(void (*fn)(CPUX86State *env, void *opaque), void *opaque);

#endif
