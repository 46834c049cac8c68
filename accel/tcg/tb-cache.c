/*
 * Translation-block cache (see tb-cache.h).
 */
#include "accel/tcg/tb-cache.h"

#include <glib.h>
#include <string.h>

#include "accel/tcg/jit.h"
#include "accel/tcg/lockstep.h"
#include "hw/core/memory.h"
#include "target/x86/helper.h"
#include "system/cpus.h"

#define TB_HASH_BITS 17
#define TB_HASH_SIZE (1u << TB_HASH_BITS)
#define PAGE_BITS TB_PAGE_BITS
#define PAGE_SZ TB_PAGE_SIZE
#define CODE_BITMAP_PAGES (1u << 20)        /* covers 4 GiB of physical space */


static TranslationBlock *tb_hash[TB_HASH_SIZE];
static bool tb_inited;

/*
 * Freeing: a block unlinked from the tables may still be running, or be
 * about to run from a jump cache entry read just before, on another vCPU
 * thread.  Each vCPU publishes the global epoch in env->tb_epoch at every
 * block boundary (0 while it is outside x86_cpu_exec); unlinking bumps the
 * epoch, and a block unlinked in epoch E is freed once every vCPU inside
 * x86_cpu_exec has published an epoch after E: it has passed a point where
 * it holds no block since, and cannot find this one any more.
 */
typedef struct FreeEntry {
    TranslationBlock *tb;
    uint64_t epoch;
} FreeEntry;
static GArray *tb_free_list;            /* FreeEntry, oldest first */
static uint64_t tb_global_epoch = 1;

/* the vCPUs that have a jump cache (every vCPU that ran): invalidation
 * clears their entries */
static GPtrArray *tb_cpus;

/*
 * Per physical page holding code: its blocks, and which of its bytes some
 * block was decoded from, so a store that only touches data sharing the
 * page costs a bit test rather than a walk over the blocks.
 */
typedef struct PageDesc {
    uint64_t page;
    GPtrArray *tbs;
    uint64_t code_bits[PAGE_SZ / 64];
} PageDesc;

#define L2_BITS 10
static PageDesc **page_l1[CODE_BITMAP_PAGES >> L2_BITS];   /* pages below 4 GiB */
static GHashTable *page_high;           /* page number -> PageDesc, above 4 GiB */
static GPtrArray *page_all;             /* every live PageDesc, for flushes */
static uint8_t *code_bitmap;            /* 1 bit per page below 4 GiB */

static void tb_memory_changed(AddressSpace *as, void *opaque)
{
    /* PAM/SMRAM/BAR changes can put different bytes under a physical
     * address that holds translated code (e.g. BIOS shadowing): the
     * blocks from the ranges whose mapping changed go, the others stay
     * (a BAR that moves, a bank or LFB switched, costs no flush of the
     * kernel's code).  Every view of system memory is rebuilt with it,
     * so once is enough. */
    if (as != &address_space_memory) {
        return;
    }
    const MemoryChange *c;
    unsigned n = memory_view_changes(as, &c);
    for (unsigned i = 0; i < n; i++) {
        if (c[i].size == 0) {
            tb_flush_all(NULL);
            return;
        }
        tb_invalidate_phys_range(c[i].start, c[i].size);
    }
}

static void tb_ram_written(AddressSpace *as, hwaddr addr, uint64_t len)
{
    /* a CPU's SMM view writes the same RAM at the same addresses */
    if (address_space_is_memory(as)) {
        tb_invalidate_phys_range(addr, len);
    }
}

void tb_cache_init(void)
{
    if (tb_inited) {
        return;
    }
    tb_inited = true;
    page_high = g_hash_table_new(g_int64_hash, g_int64_equal);
    page_all = g_ptr_array_new();
    tb_free_list = g_array_new(FALSE, FALSE, sizeof(FreeEntry));
    tb_cpus = g_ptr_array_new();
    code_bitmap = g_malloc0(CODE_BITMAP_PAGES / 8);
    memory_listener_register(tb_memory_changed, NULL);
    if (!memory_dirty_protect) {
        memory_dirty_protect = tlb_protect_host_range;
    }
    if (!memory_ram_write_hook) {
        memory_ram_write_hook = tb_ram_written;
    }
}

static inline unsigned tb_hash_fn(uint64_t phys, uint64_t cs_base, uint32_t flags)
{
    uint64_t h = phys * 0x9e3779b97f4a7c15ull ^ cs_base * 0xc2b2ae3d27d4eb4full ^ flags;
    return (unsigned)(h >> (64 - TB_HASH_BITS));
}


static PageDesc *page_find(uint64_t page)
{
    if (page < CODE_BITMAP_PAGES) {
        PageDesc **l2 = page_l1[page >> L2_BITS];
        return l2 ? l2[page & ((1u << L2_BITS) - 1)] : NULL;
    }
    return page_high ? g_hash_table_lookup(page_high, &page) : NULL;
}

static PageDesc *page_find_alloc(uint64_t page)
{
    PageDesc *pd = page_find(page);
    if (pd) {
        return pd;
    }
    pd = g_new0(PageDesc, 1);
    pd->page = page;
    pd->tbs = g_ptr_array_new();
    if (page < CODE_BITMAP_PAGES) {
        PageDesc ***l2 = &page_l1[page >> L2_BITS];
        if (!*l2) {
            *l2 = g_new0(PageDesc *, 1u << L2_BITS);
        }
        (*l2)[page & ((1u << L2_BITS) - 1)] = pd;
        code_bitmap[page >> 3] |= 1u << (page & 7);
    } else {
        g_hash_table_insert(page_high, &pd->page, pd);
    }
    g_ptr_array_add(page_all, pd);
    return pd;
}

/* Unhook and free an empty page descriptor. */
static void page_free(PageDesc *pd)
{
    uint64_t page = pd->page;
    if (page < CODE_BITMAP_PAGES) {
        page_l1[page >> L2_BITS][page & ((1u << L2_BITS) - 1)] = NULL;
        code_bitmap[page >> 3] &= ~(1u << (page & 7));
    } else {
        g_hash_table_remove(page_high, &page);
    }
    g_ptr_array_remove_fast(page_all, pd);
    g_ptr_array_free(pd->tbs, TRUE);
    g_free(pd);
}

static inline bool page_marked(uint64_t page)
{
    if (page < CODE_BITMAP_PAGES) {
        return code_bitmap && (code_bitmap[page >> 3] & (1u << (page & 7)));
    }
    return page_find(page) != NULL;
}

/* The argument is a physical address; any address within the page works. */
bool tb_page_has_code(uint64_t phys_page)
{
    return page_marked(phys_page >> PAGE_BITS);
}

static void bits_set(uint64_t *bits, unsigned lo, unsigned hi)
{
    for (unsigned i = lo; i < hi; i++) {
        bits[i >> 6] |= 1ull << (i & 63);
    }
}

static bool bits_any(const uint64_t *bits, unsigned lo, unsigned hi)
{
    for (unsigned i = lo; i < hi; ) {
        if ((i & 63) == 0 && hi - i >= 64) {
            if (bits[i >> 6]) {
                return true;
            }
            i += 64;
            continue;
        }
        if (bits[i >> 6] & (1ull << (i & 63))) {
            return true;
        }
        i++;
    }
    return false;
}

/* [lo, hi): the block's byte offsets within this page */
static void page_add_tb(uint64_t page, TranslationBlock *tb, unsigned lo, unsigned hi)
{
    PageDesc *pd = page_find_alloc(page);
    g_ptr_array_add(pd->tbs, tb);
    bits_set(pd->code_bits, lo, hi);
}

static void page_remove_tb(uint64_t page, TranslationBlock *tb)
{
    PageDesc *pd = page_find(page);
    if (pd) {
        g_ptr_array_remove_fast(pd->tbs, tb);
        if (pd->tbs->len == 0) {
            page_free(pd);
        }
    }
}

/* Queue an unlinked block for freeing (BQL held). */
static void tb_retire(TranslationBlock *tb)
{
    tb->invalid = true;
    jit_tb_retire(tb);
    FreeEntry fe = { tb, __atomic_fetch_add(&tb_global_epoch, 1, __ATOMIC_SEQ_CST) };
    g_array_append_val(tb_free_list, fe);
}

static void tb_unlink(TranslationBlock *tb)
{
    /* invalid first: a vCPU that found the block without the lock and
     * puts it in its jump cache looks at it afterwards (tb_jmp_set) */
    __atomic_store_n(&tb->invalid, true, __ATOMIC_SEQ_CST);
    unsigned h = tb_hash_fn(tb->phys, tb->cs_base, tb->flags);
    for (TranslationBlock **p = &tb_hash[h]; *p; p = &(*p)->hash_next) {
        if (*p == tb) {
            __atomic_store_n(p, tb->hash_next, __ATOMIC_RELEASE);
            break;
        }
    }
    unsigned j = tb_jmp_fn(tb->pc_lin);
    for (guint c = 0; c < tb_cpus->len; c++) {
        CPUX86State *env = g_ptr_array_index(tb_cpus, c);
        TranslationBlock **jc = env->tb_jmp_cache;
        if (__atomic_load_n(&jc[j], __ATOMIC_RELAXED) == tb) {
            __atomic_store_n(&jc[j], NULL, __ATOMIC_RELAXED);
        }
    }
    tb_retire(tb);
}

void tb_invalidate_phys_range(uint64_t phys, uint64_t len)
{
    if (!tb_inited || len == 0) {
        return;
    }
    uint64_t first = phys >> PAGE_BITS, last = (phys + len - 1) >> PAGE_BITS;
    if (last - first > (1u << 20)) {
        tb_flush_all(NULL);
        return;
    }
    for (uint64_t page = first; page <= last; page++) {
        if (!page_marked(page)) {
            continue;
        }
        PageDesc *pd = page_find(page);
        if (!pd) {
            continue;
        }
        uint64_t pstart = page << PAGE_BITS;
        unsigned lo = page == first ? (unsigned)(phys - pstart) : 0;
        unsigned hi = page == last ? (unsigned)(phys + len - pstart) : PAGE_SZ;
        if (!bits_any(pd->code_bits, lo, hi)) {
            continue;   /* data that merely shares the page with code */
        }
        /* Only blocks whose bytes overlap the write go. */
        GPtrArray *a = pd->tbs;
        for (guint i = 0; i < a->len; ) {
            TranslationBlock *tb = a->pdata[i];
            uint64_t tb_end = tb->phys + tb->size;
            bool hit = tb->phys - tb->below < phys + len && phys < tb_end;
            if (!hit && tb->page2 != (uint64_t)-1) {
                /* the spilled part lives at the start of page2 */
                uint64_t p2 = tb->page2 << PAGE_BITS;
                uint64_t spill = tb_end - ((tb->phys | (PAGE_SZ - 1)) + 1);
                hit = p2 < phys + len && phys < p2 + spill;
            }
            if (!hit) {
                i++;
                continue;
            }
            if (current_cpu) {
                /* lockstep compares blocks only while the code stays */
                lockstep_check(current_cpu, "code invalidated");
            }
            g_ptr_array_remove_index_fast(a, i);
            uint64_t p1 = tb->phys >> PAGE_BITS;
            if (p1 != page) {
                page_remove_tb(p1, tb);
            } else if (tb->page2 != (uint64_t)-1 && tb->page2 != page) {
                page_remove_tb(tb->page2, tb);
            }
            if (!tb->invalid) {
                tb_unlink(tb);
            }
        }
        if (a->len == 0) {
            page_free(pd);
        }
    }
}

void tb_flush_all(CPUX86State *env)
{
    if (!tb_inited) {
        return;
    }
    if (current_cpu) {
        lockstep_check(current_cpu, "code invalidated");
    }
    for (unsigned i = 0; i < TB_HASH_SIZE; i++) {
        TranslationBlock *tb = tb_hash[i];
        __atomic_store_n(&tb_hash[i], NULL, __ATOMIC_RELEASE);
        for (TranslationBlock *next; tb; tb = next) {
            next = tb->hash_next;
            tb_retire(tb);
        }
    }
    for (guint c = 0; c < tb_cpus->len; c++) {
        CPUX86State *cenv = g_ptr_array_index(tb_cpus, c);
        TranslationBlock **jc = cenv->tb_jmp_cache;
        for (unsigned j = 0; j < TB_JMP_SIZE; j++) {
            __atomic_store_n(&jc[j], NULL, __ATOMIC_RELAXED);
        }
    }
    while (page_all->len) {
        page_free(page_all->pdata[page_all->len - 1]);
    }
}

/* Free what no vCPU can hold any more (BQL held). */
static void tb_free_retired(void)
{
    uint64_t min = UINT64_MAX;
    for (guint c = 0; c < tb_cpus->len; c++) {
        CPUX86State *cenv = g_ptr_array_index(tb_cpus, c);
        uint64_t e = __atomic_load_n(&cenv->tb_epoch, __ATOMIC_SEQ_CST);
        if (e && e < min) {
            min = e;
        }
    }
    guint n = 0;
    while (n < tb_free_list->len && g_array_index(tb_free_list, FreeEntry, n).epoch < min) {
        TranslationBlock *tb = g_array_index(tb_free_list, FreeEntry, n).tb;
        g_free(tb->jit_slot);
        g_free(tb);
        n++;
    }
    if (n) {
        g_array_remove_range(tb_free_list, 0, n);
    }
}

void tb_exec_enter(CPUX86State *env)
{
    if (!env->tb_jmp_cache) {
        bool locked = bql_lock_if_needed();
        tb_cache_init();
        env->tb_jmp_cache = g_new0(TranslationBlock *, TB_JMP_SIZE);
        g_ptr_array_add(tb_cpus, env);
        bql_unlock_if(locked);
    }
    /* published before this thread reads any block pointer (a full fence:
     * the jump cache loads that follow must not pass this store) */
    __atomic_store_n(&env->tb_epoch, __atomic_load_n(&tb_global_epoch, __ATOMIC_SEQ_CST),
                     __ATOMIC_SEQ_CST);
}

void tb_quiescent(CPUX86State *env)
{
    uint64_t e = __atomic_load_n(&tb_global_epoch, __ATOMIC_SEQ_CST);
    if (__builtin_expect(e != env->tb_epoch, 0)) {
        __atomic_store_n(&env->tb_epoch, e, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&tb_free_list->len, __ATOMIC_RELAXED)) {
            bool locked = bql_lock_if_needed();
            tb_free_retired();
            bql_unlock_if(locked);
        }
    }
}

void tb_exec_leave(CPUX86State *env)
{
    __atomic_store_n(&env->tb_epoch, 0, __ATOMIC_SEQ_CST);
}

void tb_jmp_cache_free(CPUX86State *env)
{
    if (env->tb_jmp_cache) {
        bool locked = bql_lock_if_needed();
        g_ptr_array_remove_fast(tb_cpus, env);
        g_free(env->tb_jmp_cache);
        env->tb_jmp_cache = NULL;
        if (tb_cpus->len == 0) {
            tb_free_retired();
        }
        bql_unlock_if(locked);
    }
}

/* Without the lock: blocks are published complete (tb_insert) and a
 * block unlinked meanwhile stays allocated until this vCPU's next block
 * boundary (the epochs); one found invalid counts as a miss. */
TranslationBlock *tb_lookup(uint64_t phys, uint64_t cs_base, uint32_t flags, uint64_t lin)
{
    TranslationBlock *tb = __atomic_load_n(&tb_hash[tb_hash_fn(phys, cs_base, flags)],
                                           __ATOMIC_ACQUIRE);
    for (; tb; tb = __atomic_load_n(&tb->hash_next, __ATOMIC_ACQUIRE)) {
        if (tb->phys == phys && tb->cs_base == cs_base && tb->flags == flags && tb->pc_lin == lin &&
            !__atomic_load_n(&tb->invalid, __ATOMIC_ACQUIRE)) {
            return tb;
        }
    }
    return NULL;
}

void tb_jmp_set(CPUX86State *env, uint64_t lin, TranslationBlock *tb)
{
    TranslationBlock **jc = env->tb_jmp_cache;
    TranslationBlock **slot = &jc[tb_jmp_fn(lin)];
    __atomic_store_n(slot, tb, __ATOMIC_SEQ_CST);
    /* unlinked since it was found: tb_unlink may have cleared the jump
     * caches before this store, so take it out again */
    if (__atomic_load_n(&tb->invalid, __ATOMIC_SEQ_CST)) {
        __atomic_compare_exchange_n(slot, &tb, NULL, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
}

static uint64_t tb_decoded;

uint64_t tb_stat_decoded(void)
{
    return tb_decoded;
}

uint64_t tb_epoch_current(void)
{
    return __atomic_load_n(&tb_global_epoch, __ATOMIC_SEQ_CST);
}

bool tb_epoch_passed(uint64_t epoch)
{
    for (guint c = 0; c < tb_cpus->len; c++) {
        CPUX86State *cenv = g_ptr_array_index(tb_cpus, c);
        uint64_t e = __atomic_load_n(&cenv->tb_epoch, __ATOMIC_SEQ_CST);
        if (e && e < epoch) {
            return false;
        }
    }
    return true;
}

void tb_foreach_cpu(void (*fn)(CPUX86State *env, void *opaque), void *opaque)
{
    for (guint c = 0; tb_cpus && c < tb_cpus->len; c++) {
        fn(g_ptr_array_index(tb_cpus, c), opaque);
    }
}

void tb_insert(TranslationBlock *tb)
{
    tb_decoded++;
    unsigned h = tb_hash_fn(tb->phys, tb->cs_base, tb->flags);
    tb->hash_next = tb_hash[h];
    __atomic_store_n(&tb_hash[h], tb, __ATOMIC_RELEASE);   /* complete before it is seen */
    unsigned lo = tb->phys & (PAGE_SZ - 1);
    unsigned hi = lo + tb->size;
    page_add_tb(tb->phys >> PAGE_BITS, tb, lo - tb->below, hi > PAGE_SZ ? PAGE_SZ : hi);
    if (tb->page2 != (uint64_t)-1 && tb->page2 != tb->phys >> PAGE_BITS) {
        page_add_tb(tb->page2, tb, 0, hi > PAGE_SZ ? hi - PAGE_SZ : 0);
    }
}
