/*
 * softmmu: segment checks, the TLB and the page walks.
 *
 * Every data access goes segment check -> linear address -> TLB.  A TLB
 * entry maps a virtual page to a host addend for RAM; its addr_read /
 * addr_write / addr_code fields hold the page address only when that kind
 * of access may take the fast path.  Anything else (not yet walked, MMIO,
 * ROM writes, pages holding translated code, A/D bits still to set) misses
 * and goes through tlb_fill(), which walks the page tables, raises #PF, and
 * refills the entry.  Entries are flushed by CR0/CR3/CR4 writes, INVLPG,
 * A20 changes, any change of the physical memory map, and SMM entry and
 * exit (physical addresses then mean SMRAM or not: cpu_as() below).
 */
#include "target/x86/debug.h"
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/core/memory.h"
#include "system/cpus.h"
#include "target/x86/helper.h"
#include "accel/tcg/lockstep.h"
#include "util/log.h"

#define PAGE_SIZE 4096u
#define PAGE_MASK (~(uint64_t)(PAGE_SIZE - 1))

#define CPUID_PSE36 (1u << 17)

#define PG_P   0x001
#define PG_RW  0x002
#define PG_US  0x004
#define PG_A   0x020
#define PG_D   0x040
#define PG_PS  0x080
#define PG_G   0x100
#define PG_NX  (1ULL << 63)

#define PF_P    0x01
#define PF_W    0x02
#define PF_U    0x04
#define PF_RSVD 0x08
#define PF_I    0x10
#define PF_PK   0x20

typedef enum { ACC_READ, ACC_WRITE, ACC_FETCH } Access;

/* Linear addresses are 64-bit in long mode and wrap at 4 GiB otherwise. */
static inline uint64_t lin(const CPUX86State *env, uint64_t la)
{
    return (env->hflags & HF_LMA) ? la : (uint32_t)la;
}

/* 48-bit virtual addresses: bits 63..47 must all equal bit 47. */
static inline bool canonical(uint64_t la)
{
    return is_canonical_addr(la);
}

/* every live CPU (x86_cpu_new to x86_cpu_free): memory-map changes flush
 * all their TLBs, and a page that comes to hold code loses its fast write
 * mappings in all of them */
static GPtrArray *tlb_cpus;

/* Retire every load site's entry: a new key (bits 4..11: the low four
 * bits of a tag are the access's misalignment, which never matches), and
 * after 255 keys all tags back to 1 so that an old key can come again. */
void tlb_sites_flush(CPUX86State *env)
{
    uint64_t key = env->jit_site_key + 16;
    if (key < 16 || key > 0xff0) {
        JitSite *t = &env->jit_site[0][0];
        for (size_t i = 0; i < sizeof(env->jit_site) / sizeof(*t); i++) {
            t[i].tag = 1;
        }
        key = 16;
    }
    env->jit_site_key = key;
}

void tlb_flush(CPUX86State *env)
{
    tlb_sites_flush(env);
    if (__builtin_expect(env->lockstep_rec, 0)) {
        lockstep_tlb_save(env, NULL);
    }
    if (env->tlb_nused > TLB_USED_MAX) {
        memset(env->tlb, 0xff, sizeof(env->tlb));
    } else {
        /* what was filled since the last flush: a full flush (CR4, CR0,
         * a remap) costs what the TLB holds, not its size */
        for (unsigned i = 0; i < env->tlb_nused; i++) {
            unsigned code = env->tlb_used[i];
            memset(&env->tlb[code >> TLB_BITS][code & (TLB_SIZE - 1)], 0xff, sizeof(TLBEntry));
        }
    }
    env->tlb_nused = 0;
}

/*
 * Clear what was filled since the last flush except global pages (with
 * CR4.PGE); the cost follows the use, not the TLB's size.  Untracked
 * entries (the list overflowed) or a lockstep recording: clear all, which
 * the architecture allows too.
 */
void tlb_flush_nonglobal(CPUX86State *env)
{
    if (env->tlb_nused > TLB_USED_MAX || !(env->cr[4] & CR4_PGE) ||
        __builtin_expect(env->lockstep_rec, 0)) {
        tlb_flush(env);
        return;
    }
    tlb_sites_flush(env);
    unsigned keep = 0;
    for (unsigned i = 0; i < env->tlb_nused; i++) {
        unsigned code = env->tlb_used[i], m = code >> TLB_BITS, idx = code & (TLB_SIZE - 1);
        if (env->tlb_global[m][idx]) {
            env->tlb_used[keep++] = code;
        } else {
            memset(&env->tlb[m][idx], 0xff, sizeof(TLBEntry));
        }
    }
    env->tlb_nused = keep;
}

void tlb_flush_all(CPUX86State *env)
{
    tlb_flush(env);
}

void tlb_flush_page(CPUX86State *env, target_ulong la)
{
    uint64_t page = lin(env, la) & PAGE_MASK;
    tlb_sites_flush(env);
    for (int m = 0; m < NB_MMU_MODES; m++) {
        TLBEntry *e = &env->tlb[m][(page >> 12) & (TLB_SIZE - 1)];
        if ((e->addr_read & PAGE_MASK) == page || (e->addr_write & PAGE_MASK) == page ||
            (e->addr_code & PAGE_MASK) == page) {
            if (__builtin_expect(env->lockstep_rec, 0)) {
                lockstep_tlb_save(env, e);
            }
            memset(e, 0xff, sizeof(*e));
        }
    }
}

static void mmu_memory_changed(AddressSpace *as, void *opaque)
{
    if (as == &address_space_memory) {
        /* another thread may be running a CPU: it flushes itself */
        for (guint i = 0; i < tlb_cpus->len; i++) {
            x86_cpu_tlb_flush_async(g_ptr_array_index(tlb_cpus, i));
        }
    }
}

void mmu_register_cpu(CPUX86State *env)
{
    if (!tlb_cpus) {
        tlb_cpus = g_ptr_array_new();
        memory_listener_register(mmu_memory_changed, NULL);
    }
    if (!g_ptr_array_find(tlb_cpus, env, NULL)) {
        g_ptr_array_add(tlb_cpus, env);
    }
    tlb_flush(env);
}

void mmu_unregister_cpu(CPUX86State *env)
{
    if (tlb_cpus) {
        g_ptr_array_remove_fast(tlb_cpus, env);
    }
}

/*
 * The physical address space this CPU's accesses go to: system memory,
 * or in System Management Mode the machine's SMM view of it, where SMRAM
 * is visible (hw/pci/i440fx.c).  Per CPU: with vCPU threads one CPU may
 * be in SMM while the others are not.  SMM entry and RSM flush the TLB,
 * so no entry made in one view is used in the other.
 */
static inline AddressSpace *cpu_as(const CPUX86State *env)
{
    if (__builtin_expect(!!(env->hflags & HF_SMM), 0) && env->smm_as) {
        return env->smm_as;
    }
    return &address_space_memory;
}

static uint64_t a20(CPUX86State *env, uint64_t phys)
{
    return (env->a20_mask & (1u << 20)) ? phys : phys & ~(uint64_t)(1u << 20);
}

static uint64_t phys_ldl(CPUX86State *env, uint64_t pa)
{
    return (uint32_t)address_space_ld(cpu_as(env), a20(env, pa), 4);
}

static uint64_t phys_ldq(CPUX86State *env, uint64_t pa)
{
    return address_space_ld(cpu_as(env), a20(env, pa), 8);
}

/*
 * Set Accessed/Dirty in a paging entry whose low dword was old: the new
 * bits are ORed in atomically, as the processor's locked update does, so
 * a change another vCPU makes to the entry meanwhile is not undone.
 */
static void phys_set_ad(CPUX86State *env, uint64_t pa, uint32_t old, uint32_t v)
{
    pa = a20(env, pa);
    uint64_t len = 4;
    uint8_t *h = (pa & 3) ? NULL : address_space_map(cpu_as(env), pa, &len, true);
    if (h && len >= 4 && !tb_page_has_code(pa)) {
        if (__builtin_expect(env->lockstep_rec, 0)) {
            uint32_t cur;
            memcpy(&cur, h, 4);
            lockstep_log_store(env, h, pa, 4, cur | (v & ~old), true);
        }
        __atomic_fetch_or((uint32_t *)h, v & ~old, __ATOMIC_SEQ_CST);
    } else {
        lockstep_check(env, "A/D bit update outside plain RAM");
        address_space_st(cpu_as(env), pa, v, 4);
    }
}

static void __attribute__((noreturn)) page_fault(CPUX86State *env, uint64_t la, int err)
{
    env->cr2 = la;
    env->cr[2] = (uint32_t)la;
    vlog(LOG_MMU, "#PF at %" PRIx64 " err %x\n", la, err);
    raise_exception_err(env, EXCP_PF, err);
}

/*
 * Walk the page tables for la.  On success returns the physical address
 * and *prot (bit0 read, bit1 write, bit2 exec) for this privilege; sets
 * A (and D for writes).  Raises #PF on failure (unless probe, then -1).
 * ac_override: an explicit supervisor access with EFLAGS.AC=1, which SMAP
 * lets reach user pages.
 */
static int64_t mmu_translate(CPUX86State *env, uint64_t la, Access acc, bool user, bool ac_override,
                             int *prot, bool probe)
{
    uint32_t cr0 = env->cr[0], cr4 = env->cr[4];
    if (!(cr0 & CR0_PG)) {
        *prot = 7;
        return la;
    }
    bool wp = cr0 & CR0_WP;
    bool nxe = (env->efer & EFER_NXE) && (cr4 & CR4_PAE);
    bool smep = cr4 & CR4_SMEP, smap = cr4 & CR4_SMAP;
    /* I/D is reported for fetches whenever NX or SMEP can be the cause (SDM 4.7) */
    int err_base = (acc == ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0) |
                   (acc == ACC_FETCH && (nxe || smep) ? PF_I : 0);
    uint64_t phys, page_size;
    bool rw, us, nx = false;
    uint64_t pte_addr, pte, pde_addr, pde;

    const uint64_t phys_mask = ((uint64_t)1 << x86_maxphyaddr(env)) - 1;
    if (cr4 & CR4_PAE) {
        /* reserved: bits MAXPHYADDR..51, plus bit 63 without NXE */
        uint64_t rsvd = ~phys_mask & 0x000fffffffffffffULL;
        if (!nxe) {
            rsvd |= PG_NX;
        }
        uint64_t pdpte;
        bool upper_rw = true, upper_us = true, upper_nx = false;
        if (env->efer & EFER_LMA) {
            /* 4-level: PML4 and page-directory-pointer entries carry
             * rights like the lower levels (SDM 4.5); no 1 GiB pages. */
            uint64_t pml4e_addr = ((uint64_t)env->cr[3] & phys_mask & PAGE_MASK) +
                                  (((la >> 39) & 0x1ff) << 3);
            uint64_t pml4e = phys_ldq(env, pml4e_addr);
            if (!(pml4e & PG_P)) {
                goto not_present;
            }
            if (pml4e & (rsvd | PG_PS)) {
                goto reserved;
            }
            uint64_t pdpte_addr = (pml4e & phys_mask & PAGE_MASK) + (((la >> 30) & 0x1ff) << 3);
            pdpte = phys_ldq(env, pdpte_addr);
            if (!(pdpte & PG_P)) {
                goto not_present;
            }
            if (pdpte & (rsvd | PG_PS)) {
                goto reserved;
            }
            upper_rw = (pml4e & PG_RW) && (pdpte & PG_RW);
            upper_us = (pml4e & PG_US) && (pdpte & PG_US);
            upper_nx = (pml4e & PG_NX) || (pdpte & PG_NX);
            /* accessed bits of the upper levels: set on the way down */
            if (!(pml4e & PG_A)) {
                phys_set_ad(env, pml4e_addr, (uint32_t)pml4e, (uint32_t)(pml4e | PG_A));
            }
            if (!(pdpte & PG_A)) {
                phys_set_ad(env, pdpte_addr, (uint32_t)pdpte, (uint32_t)(pdpte | PG_A));
            }
        } else {
            uint64_t pdpte_addr = ((uint64_t)env->cr[3] & ~0x1fULL) + ((la >> 30) << 3);
            pdpte = phys_ldq(env, pdpte_addr & 0xffffffffULL);
            if (!(pdpte & PG_P)) {
                goto not_present;
            }
            if (pdpte & (rsvd | 0x1e6 | PG_NX)) {
                goto reserved;
            }
        }
        pde_addr = (pdpte & phys_mask & PAGE_MASK) + (((la >> 21) & 0x1ff) << 3);
        pde = phys_ldq(env, pde_addr);
        if (!(pde & PG_P)) {
            goto not_present;
        }
        if (pde & rsvd) {
            goto reserved;
        }
        rw = upper_rw && (pde & PG_RW);
        us = upper_us && (pde & PG_US);
        nx = upper_nx || (pde & PG_NX);
        if (pde & PG_PS) {
            if (pde & 0x1fe000) {           /* bits 13..20 of a 2M PDE are reserved */
                goto reserved;
            }
            pte_addr = pde_addr;
            pte = pde;
            page_size = 2 << 20;
            phys = (pde & phys_mask & ~(uint64_t)(page_size - 1)) | (la & (page_size - 1));
        } else {
            pte_addr = (pde & phys_mask & PAGE_MASK) + (((la >> 12) & 0x1ff) << 3);
            pte = phys_ldq(env, pte_addr);
            if (!(pte & PG_P)) {
                goto not_present;
            }
            if (pte & rsvd) {
                goto reserved;
            }
            rw = rw && (pte & PG_RW);
            us = us && (pte & PG_US);
            nx = nx || (pte & PG_NX);
            page_size = PAGE_SIZE;
            phys = (pte & phys_mask & PAGE_MASK) | (la & 0xfff);
        }
    } else {
        pde_addr = (env->cr[3] & 0xfffff000u) + ((la >> 22) << 2);
        pde = phys_ldl(env, pde_addr);
        if (!(pde & PG_P)) {
            goto not_present;
        }
        rw = pde & PG_RW;
        us = pde & PG_US;
        if ((pde & PG_PS) && (cr4 & CR4_PSE)) {
            pte_addr = pde_addr;
            pte = pde;
            page_size = 4 << 20;
            /* PSE-36: PDE bits 20:13 are physical address bits 39:32, up
             * to MAXPHYADDR; the bits above it and bit 21 are reserved
             * (SDM vol. 3, table 4-4).  Without PSE-36 all of 21:13 are. */
            unsigned m = (env->cpuid_features & CPUID_PSE36) ? (x86_maxphyaddr(env) < 40 ? x86_maxphyaddr(env) : 40) : 32;
            uint64_t hi_bits = (pde >> 13) & 0x1ff;
            if (hi_bits >> (m - 32)) {
                goto reserved;
            }
            phys = (hi_bits << 32) | (pde & 0xffc00000u) | (la & 0x3fffff);
        } else {
            pte_addr = (pde & 0xfffff000u) + (((la >> 12) & 0x3ff) << 2);
            pte = phys_ldl(env, pte_addr);
            if (!(pte & PG_P)) {
                goto not_present;
            }
            rw = rw && (pte & PG_RW);
            us = us && (pte & PG_US);
            page_size = PAGE_SIZE;
            phys = (pte & 0xfffff000u) | (la & 0xfff);
        }
    }

    /* Protection keys (4-level paging only): the leaf's bits 62:59 select
     * a PKRU (user pages) or IA32_PKRS (supervisor pages) pair; AD denies
     * data accesses, WD writes -- supervisor writes only when CR0.WP=1.
     * Fetches are never checked.  Decided before the paging rights: the
     * PK error-code bit is set whenever the key denies, even if the
     * paging rights deny too (SDM 4.7). */
    int pk_deny = 0;
    if (env->efer & EFER_LMA) {
        bool pk_on = us ? (cr4 & CR4_PKE) : (!user && (cr4 & CR4_PKS));
        if (pk_on) {
            unsigned key = (unsigned)(pte >> 59) & 15;
            uint32_t bits = ((us ? env->pkru : env->pkrs) >> (2 * key)) & 3;
            if (bits & 1) {
                pk_deny = 3;
            } else if ((bits & 2) && (user || wp)) {
                pk_deny = 2;
            }
        }
    }
    int need = acc == ACC_READ ? 1 : acc == ACC_WRITE ? 2 : 4;
    /* rights for this privilege */
    int p = 1;
    if (user) {
        if (!us) {
            goto protection;
        }
        if (rw) {
            p |= 2;
        }
    } else {
        if (rw || !wp) {
            p |= 2;
        }
        /* SMAP: supervisor data accesses to user pages fault unless this
         * is an explicit access with AC=1; then writes follow WP as without
         * SMAP (SDM 4.6.1). */
        if (us && smap && !ac_override) {
            p &= ~3;
        }
    }
    if (!(nx && nxe) && !(!user && us && smep)) {
        p |= 4;                        /* SMEP: no supervisor fetch from user pages */
    }
    if (!(p & need)) {
        goto protection;
    }
    if (pk_deny & need) {
        goto pk_fault;
    }
    p &= ~pk_deny;
    /* Accessed on every level used; Dirty on the leaf for writes.  Until D
     * is set, writes must come back here, so grant write only then. */
    if (!(pde & PG_A)) {
        phys_set_ad(env, pde_addr, (uint32_t)pde, (uint32_t)(pde | PG_A));
        pde |= PG_A;
    }
    if (pte_addr != pde_addr) {
        uint64_t npte = pte | PG_A | (acc == ACC_WRITE ? PG_D : 0);
        if (npte != pte) {
            phys_set_ad(env, pte_addr, (uint32_t)pte, (uint32_t)npte);
            pte = npte;
        }
    } else if (acc == ACC_WRITE && !(pde & PG_D)) {
        phys_set_ad(env, pde_addr, (uint32_t)pde, (uint32_t)(pde | PG_D));
        pde |= PG_D;
        pte = pde;
    }
    if (!(pte & PG_D)) {
        p &= ~2;
    }
    if ((pte & PG_G) && (cr4 & CR4_PGE)) {
        p |= 8;                        /* global: kept across MOV to CR3 */
    }
    *prot = p;
    return phys;

not_present:
    if (probe) {
        return -1;
    }
    page_fault(env, la, err_base);
reserved:
    if (probe) {
        return -1;
    }
    page_fault(env, la, err_base | PF_P | PF_RSVD);
protection:
    if (probe) {
        return -1;
    }
    page_fault(env, la, err_base | PF_P | ((pk_deny & need) ? PF_PK : 0));
pk_fault:
    if (probe) {
        return -1;
    }
    page_fault(env, la, err_base | PF_P | PF_PK);
}

/* Fill the TLB entry for la for this access (raising #PF if it fails). */
static TLBEntry *tlb_fill_locked(CPUX86State *env, uint64_t la, Access acc, int mmu_idx)
{
    int prot;
    uint64_t phys = (uint64_t)mmu_translate(env, la, acc, mmu_idx == 1, mmu_idx == 2, &prot, false);
    uint64_t vpage = la & PAGE_MASK;
    uint64_t ppage = a20(env, phys & PAGE_MASK);
    unsigned idx = (la >> 12) & (TLB_SIZE - 1);
    TLBEntry *e = &env->tlb[mmu_idx][idx];
    if (__builtin_expect(env->lockstep_rec, 0)) {
        lockstep_tlb_save(env, e);
    }
    env->tlb_global[mmu_idx][idx] = (prot & 8) != 0;
    /* an entry in use is on the list already (since the last flush); one
     * a flush or INVLPG emptied may be on it twice, which is harmless */
    if (e->addr_read == (uint64_t)-1 && e->addr_write == (uint64_t)-1 &&
        e->addr_code == (uint64_t)-1) {
        if (env->tlb_nused < TLB_USED_MAX) {
            env->tlb_used[env->tlb_nused] = mmu_idx << TLB_BITS | idx;
        }
        if (env->tlb_nused <= TLB_USED_MAX) {
            env->tlb_nused++;       /* TLB_USED_MAX + 1: untracked from now on */
        }
    }
    e->paddr = ppage;

    const FlatRange *r = address_space_lookup(cpu_as(env), ppage);
    bool direct = r && (r->mr->type == MR_RAM || r->mr->type == MR_ROM) &&
                  ppage >= r->start && ppage - r->start + PAGE_SIZE <= r->size;
    uint64_t slow = TLB_SLOW | (direct ? 0 : TLB_MMIO);
    if (direct) {
        uint8_t *host = r->mr->ram + r->offset + (ppage - r->start);
        e->addend = (uintptr_t)host - vpage;
    } else {
        e->addend = 0;
    }
    /* a debugger's watched page: loads and stores take the slow path */
    bool watched = (__builtin_expect(!!(x86_debug_mode & X86_DEBUG_WATCH), 0) && x86_debug_hooks &&
                    x86_debug_hooks->page_watched(vpage)) ||
                   (__builtin_expect(env->dr_data_en != 0, 0) && x86_dr_page_watched(env, vpage));
    e->addr_read = (prot & 1) ? (vpage | (direct && !watched ? 0 : slow)) : (uint64_t)-1;
    e->addr_code = (prot & 4) ? (vpage | (direct ? 0 : slow)) : (uint64_t)-1;
    if (prot & 2) {
        bool fast = direct && !r->readonly && !tb_page_has_code(ppage) && !watched;
        if (fast && r->mr->dirty && memory_region_page_clean(r->mr, r->offset + (ppage - r->start))) {
            e->addr_write = vpage | TLB_SLOW | TLB_NOTDIRTY;
            return e;
        }
        /* lockstep: plain RAM too takes the slow path, where stores are logged */
        e->addr_write = vpage | (fast ? (lockstep_on ? TLB_SLOW | TLB_LOCKSTEP : 0) : slow);
    } else {
        e->addr_write = (uint64_t)-1;
    }
    return e;
}

/* The walk reads the memory map and the translated-code bitmap, which
 * the BQL protects; a #PF leaves through x86_cpu_exec's landing pad with
 * the lock held, and the pad drops it. */
static TLBEntry *tlb_fill(CPUX86State *env, uint64_t la, Access acc, int mmu_idx)
{
    bool locked = bql_lock_if_needed();
    TLBEntry *e = tlb_fill_locked(env, la, acc, mmu_idx);
    bql_unlock_if(locked);
    return e;
}

/* The TLB entry that allows this access to la's page, filling if needed. */
static inline TLBEntry *tlb_get(CPUX86State *env, uint64_t la, Access acc, int mmu_idx)
{
    TLBEntry *e = &env->tlb[mmu_idx][(la >> 12) & (TLB_SIZE - 1)];
    uint64_t vpage = la & PAGE_MASK;
    uint64_t a = acc == ACC_READ ? e->addr_read : acc == ACC_WRITE ? e->addr_write : e->addr_code;
    if ((a & PAGE_MASK) != vpage || a == (uint64_t)-1) {
        e = tlb_fill(env, la, acc, mmu_idx);
    }
    return e;
}

static uint64_t ld_linear(CPUX86State *env, uint64_t la, unsigned size, int mmu_idx)
{
    if ((la & 0xfff) + size > PAGE_SIZE) {
        /* crossing pages: both must translate before anything is read */
        tlb_get(env, la, ACC_READ, mmu_idx);
        tlb_get(env, lin(env, la + size - 1), ACC_READ, mmu_idx);
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            v |= ld_linear(env, lin(env, la + i), 1, mmu_idx) << (8 * i);
        }
        return v;
    }
    TLBEntry *e = &env->tlb[mmu_idx][(la >> 12) & (TLB_SIZE - 1)];
    if (e->addr_read == (la & PAGE_MASK)) {
        return ram_ld((uint8_t *)(uintptr_t)(la + e->addend), size);
    }
    e = tlb_get(env, la, ACC_READ, mmu_idx);
    uint64_t v = 0;
    if (!(e->addr_read & TLB_MMIO)) {
        v = ram_ld((uint8_t *)(uintptr_t)(la + e->addend), size);
    } else {
        lockstep_check(env, "MMIO load");
        bool locked = bql_lock_if_needed();
        v = address_space_ld(cpu_as(env), e->paddr | (la & 0xfff), size);
        bql_unlock_if(locked);
    }
    if (__builtin_expect(!!(x86_debug_mode & X86_DEBUG_WATCH), 0) && x86_debug_hooks) {
        bool dbg_locked = bql_lock_if_needed();
        x86_debug_hooks->mem_access(env, la, size, false);
        bql_unlock_if(dbg_locked);
    }
    if (__builtin_expect(env->dr_data_en != 0, 0)) {
        x86_dr_data_access(env, la, size, false);
    }
    return v;
}

static void st_linear(CPUX86State *env, uint64_t la, uint64_t val, unsigned size, int mmu_idx)
{
    if ((la & 0xfff) + size > PAGE_SIZE) {
        tlb_get(env, la, ACC_WRITE, mmu_idx);
        tlb_get(env, lin(env, la + size - 1), ACC_WRITE, mmu_idx);
        for (unsigned i = 0; i < size; i++) {
            st_linear(env, lin(env, la + i), val >> (8 * i), 1, mmu_idx);
        }
        return;
    }
    TLBEntry *e = &env->tlb[mmu_idx][(la >> 12) & (TLB_SIZE - 1)];
    if (e->addr_write == (la & PAGE_MASK)) {
        ram_st((uint8_t *)(uintptr_t)(la + e->addend), val, size);
        return;
    }
    e = tlb_get(env, la, ACC_WRITE, mmu_idx);
    if (e->addr_write == (la & PAGE_MASK)) {
        ram_st((uint8_t *)(uintptr_t)(la + e->addend), val, size);
        return;
    }
    if (e->addr_write == ((la & PAGE_MASK) | TLB_SLOW | TLB_LOCKSTEP)) {
        /* plain RAM under -accel tcg,lockstep=on: logged while a block is
         * compared (accel/tcg/lockstep.c) */
        uint8_t *h = (uint8_t *)(uintptr_t)(la + e->addend);
        if (env->lockstep_rec) {
            lockstep_log_store(env, h, la, size, val, false);
        }
        ram_st(h, val, size);
        return;
    }
    if (__builtin_expect(env->lockstep_rec, 0)) {
        lockstep_abort(env, (e->addr_write & TLB_MMIO) ? "MMIO store"
                            : (e->addr_write & TLB_NOTDIRTY) ? "store to a dirty-logged page"
                            : "store to code, ROM or a watched page");
    }
    /* slow: MMIO, ROM, RAM holding translated code (the write hook
     * drops the blocks it overlaps), or a page a debugger watches */
    bool locked = bql_lock_if_needed();
    address_space_st(cpu_as(env), e->paddr | (la & 0xfff), val, size);
    bql_unlock_if(locked);
    if (e->addr_write & TLB_NOTDIRTY) {
        /* the page is dirty now: the next store refills the entry fast */
        e->addr_write = (uint64_t)-1;
    }
    if (__builtin_expect(!!(x86_debug_mode & X86_DEBUG_WATCH), 0) && x86_debug_hooks) {
        bool dbg_locked = bql_lock_if_needed();
        x86_debug_hooks->mem_access(env, la, size, true);
        bql_unlock_if(dbg_locked);
    }
    if (__builtin_expect(env->dr_data_en != 0, 0)) {
        x86_dr_data_access(env, la, size, true);
    }
}

/* ---- segment checks ---- */

static void __attribute__((noreturn)) seg_fault(CPUX86State *env, int seg)
{
    raise_exception_err(env, seg == R_SS ? EXCP_SS : EXCP_GP, 0);
}

/* Check [off, off+size) against seg for this access; returns the linear address. */
static inline uint64_t seg_check(CPUX86State *env, int seg, uint64_t off64, unsigned size, Access acc)
{
    const SegmentCache *s = &env->segs[seg];
    if (env->hflags & HF_CS64) {
        /* 64-bit mode: no limits or types; FS/GS keep their base; the
         * address must be canonical (#SS for the stack, else #GP) */
        uint64_t la = off64 + ((seg == R_FS || seg == R_GS) ? s->base : 0);
        if (!canonical(la) || !canonical(la + size - 1)) {
            seg_fault(env, seg);
        }
        return la;
    }
    uint32_t off = (uint32_t)off64;
    uint64_t last = (uint64_t)off + size - 1;
    if (!(env->hflags & HF_PE) || (env->hflags & HF_VM86)) {
        if (last > s->limit) {
            seg_fault(env, seg);
        }
        return (uint32_t)(s->base + off);
    }
    uint32_t f = s->flags;
    if (!(f & DESC_P_MASK)) {
        seg_fault(env, seg);           /* null selector */
    }
    if (f & DESC_CS_MASK) {
        if (acc == ACC_WRITE || !(f & DESC_R_MASK)) {
            seg_fault(env, seg);
        }
    } else if (acc == ACC_WRITE && !(f & DESC_W_MASK)) {
        seg_fault(env, seg);
    }
    if (!(f & DESC_CS_MASK) && (f & DESC_E_MASK)) {
        uint64_t upper = (f & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
        if (off <= s->limit || last > upper) {
            seg_fault(env, seg);
        }
    } else if (last > s->limit) {
        seg_fault(env, seg);
    }
    return (uint32_t)(s->base + off);
}

#define DEF_LD(name, type, size)                                              \
    type name(CPUX86State *env, int seg, target_ulong off)                   \
    {                                                                         \
        uint64_t la = seg_check(env, seg, off, size, ACC_READ);               \
        return (type)ld_linear(env, la, size, cpu_mmu_index(env));            \
    }
#define DEF_ST(name, type, size)                                              \
    void name(CPUX86State *env, int seg, target_ulong off, type val)         \
    {                                                                         \
        uint64_t la = seg_check(env, seg, off, size, ACC_WRITE);              \
        st_linear(env, la, val, size, cpu_mmu_index(env));                    \
    }
DEF_LD(cpu_ldub, uint8_t, 1)
DEF_LD(cpu_lduw, uint16_t, 2)
DEF_LD(cpu_ldl, uint32_t, 4)
DEF_LD(cpu_ldq, uint64_t, 8)
DEF_ST(cpu_stb, uint8_t, 1)
DEF_ST(cpu_stw, uint16_t, 2)
DEF_ST(cpu_stl, uint32_t, 4)
DEF_ST(cpu_stq, uint64_t, 8)

static void probe_range(CPUX86State *env, uint64_t la, unsigned len, Access acc, int mmu_idx)
{
    /* every page the range touches, wrapping as linear addresses do */
    for (uint64_t done = 0; done < len; ) {
        uint64_t cur = lin(env, la + done);
        tlb_get(env, cur, acc, mmu_idx);
        done += PAGE_SIZE - (cur & 0xfff);
    }
}

void cpu_check_write(CPUX86State *env, int seg, target_ulong off, unsigned len)
{
    if (!len) {
        return;
    }
    uint64_t la = seg_check(env, seg, off, len, ACC_WRITE);
    probe_range(env, la, len, ACC_WRITE, cpu_mmu_index(env));
}

void cpu_check_read(CPUX86State *env, int seg, target_ulong off, unsigned len)
{
    if (!len) {
        return;
    }
    uint64_t la = seg_check(env, seg, off, len, ACC_READ);
    probe_range(env, la, len, ACC_READ, cpu_mmu_index(env));
}

uint8_t *cpu_host_ptr(CPUX86State *env, int seg, target_ulong off, unsigned len, bool is_write)
{
    if (!len) {
        return NULL;
    }
    uint64_t la = seg_check(env, seg, off, len, is_write ? ACC_WRITE : ACC_READ);
    if ((la & 0xfff) + len > PAGE_SIZE) {
        return NULL;
    }
    TLBEntry *e = tlb_get(env, la, is_write ? ACC_WRITE : ACC_READ, cpu_mmu_index(env));
    uint64_t a = is_write ? e->addr_write : e->addr_read;
    if (a != (la & PAGE_MASK)) {
        return NULL;
    }
    return (uint8_t *)(uintptr_t)(la + e->addend);
}

/* ---- locked read-modify-write (exec.c exec_atomic) ---- */

/* Locked accesses that are not to plain RAM within a cache line (MMIO,
 * pages holding translated code, split locks) take this mutex for the
 * instruction: atomic against each other, not against plain stores. */
static GMutex lock_fallback_mutex;

static void lock_fallback_enter(CPUX86State *env)
{
    if (!env->lock_fallback) {
        g_mutex_lock(&lock_fallback_mutex);
        env->lock_fallback = true;
    }
}

void cpu_atomic_release(CPUX86State *env)
{
    if (env->lock_fallback) {
        env->lock_fallback = false;
        g_mutex_unlock(&lock_fallback_mutex);
    }
}

/* The operand as host memory a host atomic can work on, or NULL. */
static uint8_t *atomic_host(CPUX86State *env, int seg, target_ulong off, unsigned size)
{
    uint8_t *h = cpu_host_ptr(env, seg, off, size, true);   /* faults as a store */
    if (h && ((uintptr_t)h & 63) + size > 64) {
        h = NULL;       /* a split lock: some hosts refuse them (split-lock detection) */
    }
    return h;
}

uint64_t cpu_atomic_ld(CPUX86State *env, int seg, target_ulong off, int ot)
{
    uint8_t *h = atomic_host(env, seg, off, 1u << ot);
    env->lock_host = h;
    if (!h) {
        lock_fallback_enter(env);
        switch (ot) {
        case 0: return cpu_ldub(env, seg, off);
        case 1: return cpu_lduw(env, seg, off);
        case 2: return cpu_ldl(env, seg, off);
        default: return cpu_ldq(env, seg, off);
        }
    }
    uint64_t v;
    switch (ot) {
    case 0: v = __atomic_load_n(h, __ATOMIC_SEQ_CST); break;
    case 1: v = __atomic_load_n((uint16_t *)h, __ATOMIC_SEQ_CST); break;
    case 2: v = __atomic_load_n((uint32_t *)h, __ATOMIC_SEQ_CST); break;
    default: v = __atomic_load_n((uint64_t *)h, __ATOMIC_SEQ_CST); break;
    }
    env->lock_old = v;
    return v;
}

#define CAS(type, h, old, v) \
    ({ type o_ = (type)(old); \
       __atomic_compare_exchange_n((type *)(h), &o_, (type)(v), false, __ATOMIC_SEQ_CST, \
                                   __ATOMIC_SEQ_CST); })

void cpu_atomic_st(CPUX86State *env, int seg, target_ulong off, int ot, uint64_t v)
{
    uint8_t *h = env->lock_host;
    if (!h) {
        switch (ot) {
        case 0: cpu_stb(env, seg, off, v); break;
        case 1: cpu_stw(env, seg, off, v); break;
        case 2: cpu_stl(env, seg, off, v); break;
        default: cpu_stq(env, seg, off, v); break;
        }
        return;
    }
    bool ok;
    switch (ot) {
    case 0: ok = CAS(uint8_t, h, env->lock_old, v); break;
    case 1: ok = CAS(uint16_t, h, env->lock_old, v); break;
    case 2: ok = CAS(uint32_t, h, env->lock_old, v); break;
    default: ok = CAS(uint64_t, h, env->lock_old, v); break;
    }
    if (!ok) {
        env->lock_retry = true;     /* another CPU got there first */
    }
}

bool cpu_atomic_cmpxchg16(CPUX86State *env, int seg, target_ulong off, uint64_t *lo, uint64_t *hi,
                          uint64_t new_lo, uint64_t new_hi)
{
#ifdef __x86_64__
    uint8_t *h = atomic_host(env, seg, off, 16);
    if (h) {
        bool eq;
        __asm__ volatile("lock cmpxchg16b %1"
                         : "=@ccz"(eq), "+m"(*(volatile unsigned __int128 *)h),
                           "+a"(*lo), "+d"(*hi)
                         : "b"(new_lo), "c"(new_hi)
                         : "memory");
        return eq;
    }
#endif
    lock_fallback_enter(env);
    cpu_check_write(env, seg, off, 16);
    uint64_t cur_lo = cpu_ldq(env, seg, off), cur_hi = cpu_ldq(env, seg, off + 8);
    bool eq = cur_lo == *lo && cur_hi == *hi;
    cpu_stq(env, seg, off, eq ? new_lo : cur_lo);
    cpu_stq(env, seg, off + 8, eq ? new_hi : cur_hi);
    *lo = cur_lo;
    *hi = cur_hi;
    return eq;
}

/* ---- linear accesses ---- */

uint8_t cpu_ldub_linear(CPUX86State *env, target_ulong la) { return ld_linear(env, lin(env, la), 1, cpu_mmu_index(env) == 1); }
uint16_t cpu_lduw_linear(CPUX86State *env, target_ulong la) { return ld_linear(env, lin(env, la), 2, cpu_mmu_index(env) == 1); }
uint32_t cpu_ldl_linear(CPUX86State *env, target_ulong la) { return ld_linear(env, lin(env, la), 4, cpu_mmu_index(env) == 1); }
uint64_t cpu_ldq_linear(CPUX86State *env, target_ulong la) { return ld_linear(env, lin(env, la), 8, cpu_mmu_index(env) == 1); }
void cpu_stb_linear(CPUX86State *env, target_ulong la, uint8_t v) { st_linear(env, lin(env, la), v, 1, cpu_mmu_index(env) == 1); }
void cpu_stw_linear(CPUX86State *env, target_ulong la, uint16_t v) { st_linear(env, lin(env, la), v, 2, cpu_mmu_index(env) == 1); }
void cpu_stl_linear(CPUX86State *env, target_ulong la, uint32_t v) { st_linear(env, lin(env, la), v, 4, cpu_mmu_index(env) == 1); }
uint32_t cpu_ldl_kernel(CPUX86State *env, target_ulong la) { return ld_linear(env, lin(env, la), 4, 0); }
uint16_t cpu_lduw_kernel(CPUX86State *env, target_ulong la) { return ld_linear(env, lin(env, la), 2, 0); }
uint8_t cpu_ldub_kernel(CPUX86State *env, target_ulong la) { return ld_linear(env, lin(env, la), 1, 0); }
void cpu_stl_kernel(CPUX86State *env, target_ulong la, uint32_t v) { st_linear(env, lin(env, la), v, 4, 0); }
void cpu_stw_kernel(CPUX86State *env, target_ulong la, uint16_t v) { st_linear(env, lin(env, la), v, 2, 0); }
void cpu_stb_kernel(CPUX86State *env, target_ulong la, uint8_t v) { st_linear(env, lin(env, la), v, 1, 0); }

/* Accesses with an explicit privilege (stack pushes at the new CPL). */
void cpu_st_priv(CPUX86State *env, uint32_t la, uint32_t v, unsigned size, int cpl)
{
    st_linear(env, la, v, size, cpl == 3 ? 1 : 0);
}

uint32_t cpu_ld_priv(CPUX86State *env, uint32_t la, unsigned size, int cpl)
{
    return (uint32_t)ld_linear(env, la, size, cpl == 3 ? 1 : 0);
}

/*
 * memory_dirty_protect: the dirty bits of [host, host+len) are about to be
 * cleared.  Every CPU's fast write mapping into it goes slow again, so the
 * next store marks its page.  Entries belong to vCPUs that may be using
 * them: only the tag changes, by compare-and-swap, as for code pages.
 */
void tlb_protect_host_range(const uint8_t *host, uint64_t len)
{
    uintptr_t lo = (uintptr_t)host, hi = lo + len;
    for (guint c = 0; tlb_cpus && c < tlb_cpus->len; c++) {
        CPUX86State *cenv = g_ptr_array_index(tlb_cpus, c);
        for (int m = 0; m < NB_MMU_MODES; m++) {
            for (int i = 0; i < TLB_SIZE; i++) {
                TLBEntry *t = &cenv->tlb[m][i];
                uint64_t w = __atomic_load_n(&t->addr_write, __ATOMIC_RELAXED);
                if (w == (uint64_t)-1 || ((w & TLB_SLOW) && !(w & TLB_LOCKSTEP))) {
                    continue;
                }
                uintptr_t h = (uintptr_t)((w & PAGE_MASK) + __atomic_load_n(&t->addend, __ATOMIC_RELAXED));
                if (h >= lo && h < hi) {
                    __atomic_compare_exchange_n(&t->addr_write, &w,
                                                (w & ~(uint64_t)TLB_LOCKSTEP) | TLB_SLOW | TLB_NOTDIRTY,
                                                false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
                }
            }
        }
    }
}

/* ---- code ---- */

uint64_t cpu_get_phys_code(CPUX86State *env, target_ulong la32, const uint8_t **host_page)
{
    uint64_t la = lin(env, la32);
    int mmu_idx = cpu_mmu_index(env);
    TLBEntry *e = tlb_get(env, la, ACC_FETCH, mmu_idx);
    uint64_t phys = e->paddr | (la & 0xfff);
    /* A page about to hold translated code: make every fast write mapping
     * of it take the slow path, so stores into it drop the blocks.  Only
     * the translator (BQL held) does this; a lookup needs no lock. */
    if (bql_locked() && !tb_page_has_code(e->paddr)) {
        for (guint c = 0; c < tlb_cpus->len; c++) {
            CPUX86State *cenv = g_ptr_array_index(tlb_cpus, c);
            for (int m = 0; m < NB_MMU_MODES; m++) {
                for (int i = 0; i < TLB_SIZE; i++) {
                    TLBEntry *t = &cenv->tlb[m][i];
                    /* its vCPU may be using (or flushing) it: only the
                     * tag changes, and only if nothing else did */
                    uint64_t w = __atomic_load_n(&t->addr_write, __ATOMIC_RELAXED);
                    if (w != (uint64_t)-1 && t->paddr == e->paddr) {
                        /* (a lockstep entry becomes a plain slow one) */
                        __atomic_compare_exchange_n(&t->addr_write, &w,
                                                    (w & ~(uint64_t)TLB_LOCKSTEP) | TLB_SLOW, false,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
                    }
                }
            }
        }
    }
    if (host_page) {
        *host_page = (e->addr_code & TLB_MMIO) ? NULL : (const uint8_t *)(uintptr_t)((la & PAGE_MASK) + e->addend);
    }
    return phys;
}

uint8_t cpu_ldub_code(CPUX86State *env, target_ulong la32)
{
    uint64_t la = lin(env, la32);
    TLBEntry *e = tlb_get(env, la, ACC_FETCH, cpu_mmu_index(env));
    if (!(e->addr_code & TLB_MMIO)) {
        return *(uint8_t *)(uintptr_t)(la + e->addend);
    }
    bool locked = bql_lock_if_needed();
    uint8_t v = address_space_ld(cpu_as(env), e->paddr | (la & 0xfff), 1);
    bql_unlock_if(locked);
    return v;
}

int64_t cpu_get_phys_page_debug(CPUX86State *env, target_ulong la)
{
    int prot;
    /* a debugger's view: supervisor read, no faults, no A/D updates would
     * be ideal; the walk sets A bits, which is harmless for reads */
    int64_t pa = mmu_translate(env, lin(env, la), ACC_READ, false, true, &prot, true);
    return pa < 0 ? -1 : (int64_t)(a20(env, pa) & PAGE_MASK);
}

/* 64-bit accesses for long mode (IDT gates, 64-bit TSS, 8-byte stack slots). */
uint64_t cpu_ldq_kernel(CPUX86State *env, target_ulong la)
{
    return ld_linear(env, lin(env, la), 8, 0);
}

void cpu_st_priv64(CPUX86State *env, uint64_t la, uint64_t v, unsigned size, int cpl)
{
    st_linear(env, lin(env, la), v, size, cpl == 3 ? 1 : 0);
}

uint64_t cpu_ld_priv64(CPUX86State *env, uint64_t la, unsigned size, int cpl)
{
    return ld_linear(env, lin(env, la), size, cpl == 3 ? 1 : 0);
}
