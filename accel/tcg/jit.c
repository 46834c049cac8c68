/*
 * Tier 1: translation blocks as x86-64 host code (see jit.h).
 *
 * Register use in translated code: RBX holds env (callee-saved, so every
 * handler keeps it); R12 holds a value across a call (a condition);
 * RAX, RCX, RDX, RSI, RDI, R8 and R9 are scratch.  The code is entered
 * through a trampoline at the start of the cache, which saves RBX and R12
 * and jumps to the block, and leaves through its epilogue with RAX = the
 * JitSlot of an unchained exit or 0.  A guest fault longjmps out of a
 * handler to x86_cpu_exec's landing pad, which restores RBX with the rest.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1       /* memfd_create */
#endif
#include "accel/tcg/jit.h"

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
unsigned jit_threshold;

static uint8_t *code_rw, *code_rx;      /* two views of one memfd */
static size_t code_used;
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

typedef struct Emit {
    uint8_t *p;         /* writable view */
    ptrdiff_t rx_off;   /* executable address = p + rx_off */
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

/* call a C function: rel32 when the cache is within reach, else via RAX */
static void call_fn(Emit *e, const void *fn)
{
    int64_t rel = (int64_t)((uintptr_t)fn - (uintptr_t)(rx(e, e->p) + 5));
    if (fits32(rel)) {
        e8(e, 0xe8); e32(e, (uint32_t)rel);
    } else {
        e8(e, 0x48); e8(e, 0xb8); e64(e, (uint64_t)(uintptr_t)fn);
        e8(e, 0xff); e8(e, 0xd0);
    }
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

/* cmp byte [rip+dead], 0; jne exit */
static uint8_t *check_dead(Emit *e, const uint8_t *dead_rw)
{
    e8(e, 0x80); e8(e, 0x3d);
    e32(e, (uint32_t)(int32_t)(dead_rw - (e->p + 5)));
    e8(e, 0);
    return jcc_fwd(e, CC_NE);
}

/* ---- code cache ---- */

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
    int fd = memfd_create("vireo-jit", MFD_CLOEXEC);
    const char *what = "memfd_create";
    if (fd >= 0 && ftruncate(fd, (off_t)jit_cache_size) < 0) {
        what = "ftruncate";
        close(fd);
        fd = -1;
    }
    void *w = MAP_FAILED, *x = MAP_FAILED;
    if (fd >= 0) {
        w = mmap(NULL, jit_cache_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        what = "mmap (writable view)";
    }
    if (w != MAP_FAILED) {
        /* near the binary's text when possible, so handlers are a rel32
         * call away; anywhere else works too (calls go through RAX) */
        uintptr_t hint = ((uintptr_t)&jit_init & ~(uintptr_t)0xfffff) - jit_cache_size - (64u << 20);
        x = mmap((void *)hint, jit_cache_size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
        what = "mmap (executable view)";
    }
    int err = errno;
    if (fd >= 0) {
        close(fd);
    }
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
    /* trampoline: push rbx; push r12; sub rsp, 8 (calls from the code
     * see an aligned stack); mov rbx, rdi; jmp rsi.  epilogue: add rsp, 8;
     * pop r12; pop rbx; ret */
    Emit e = { .p = code_rw, .rx_off = code_rx - code_rw };
    e8(&e, 0x53);
    e8(&e, 0x41); e8(&e, 0x54);
    e8(&e, 0x48); e8(&e, 0x83); e8(&e, 0xec); e8(&e, 8);
    e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0xfb);
    e8(&e, 0xff); e8(&e, 0xe6);
    epilogue_rx = rx(&e, e.p);
    e8(&e, 0x48); e8(&e, 0x83); e8(&e, 0xc4); e8(&e, 8);
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

/* ---- inline forms ----
 *
 * The specialised tier-0 forms (ops_fast.c: 32/64-bit ALU without carry,
 * MOV and TEST) are emitted as host instructions on env->regs, with the
 * same lazy-flag record (cc_op, cc_dst, cc_src, cc_src2 = 0).  Memory
 * operands are inline only in 64-bit code: the EA, the canonical and
 * page-crossing checks and the TLB compare as mem_fast_ptr() does them,
 * with the mmu index known from the block's CPL (AC=1 below CPL 3 takes the
 * slow path); the slow path stores EIP and calls cpu_ld/cpu_st, which
 * fault with exactly tier 0's state.  Read-modify-write memory forms still
 * call their handler.
 */
enum { H_RAX = 0, H_RCX = 1, H_RDX = 2, H_RSI = 6, H_RDI = 7 };

#define REGOFF(r) (offsetof(CPUX86State, regs) + 8 * (size_t)(r))

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

/* reg = the TLB slot of the address in RAX, times 5 (an entry is 40
 * bytes: [rbx + reg*8 + field] addresses it) */
static void emit_tlb_slot(Emit *e, int reg)
{
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xc0 | reg);                             /* mov reg, rax */
    e8(e, 0x48); e8(e, 0xc1); e8(e, 0xe8 | reg); e8(e, 12);                 /* shr reg, 12 */
    e8(e, 0x81); e8(e, 0xe0 | reg); e32(e, TLB_SIZE - 1);                    /* and reg32, mask */
    e8(e, 0x48); e8(e, 0x8d); e8(e, (reg << 3) | 4); e8(e, 0x80 | (reg << 3) | reg);  /* lea reg, [reg+reg*4] */
}

/* The call of a handler with tier 0's per-instruction state: EIP of the
 * instruction, next EIP, REX; rdi = env, rsi = the DecodedInsn. */
static void emit_handler_call(Emit *e, const DecodedInsn *d, const void *fn, uint64_t eip,
                              uint64_t next)
{
    st_q(e, offsetof(CPUX86State, insn_start_eip), eip);
    st_q(e, offsetof(CPUX86State, eip), next);
    st_b(e, offsetof(CPUX86State, insn_rex), d->rex);
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xdf);                                   /* mov rdi, rbx */
    e8(e, 0x48); e8(e, 0xbe); e64(e, (uint64_t)(uintptr_t)d);                /* mov rsi, d */
    call_fn(e, fn);
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
    } else {
        if (d->base != EA_NOREG) {
            op_rm(e, 0x8b, H_RDX, REGOFF(d->base), true);
        } else {
            e8(e, 0x31); e8(e, 0xd2);                                        /* xor edx, edx */
        }
        if (d->index != EA_NOREG) {
            op_rm(e, 0x8b, H_RCX, REGOFF(d->index), true);
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
}

/*
 * The access at offset RDX in seg, size 1 << ot: a load into RAX
 * (zero-extended), or a store of guest register sreg (ot 2 or 3), or of
 * host R9 when sreg < 0 (any size).  RDX survives the fast path.
 */
static void emit_mem(Emit *e, const TranslationBlock *tb, int seg, int ot,
                     bool store, int sreg, uint64_t eip, uint64_t next)
{
    unsigned size = 1u << ot;
    int idx = (tb->flags & HF_CPL_MASK) == 3 ? 1 : 0;
    size_t tlb = offsetof(CPUX86State, tlb) + (size_t)idx * TLB_SIZE * sizeof(TLBEntry);
    G_STATIC_ASSERT(sizeof(TLBEntry) == 40);
    uint8_t *slow[4];
    unsigned ns = 0;

    e8(e, 0x48); e8(e, 0x89); e8(e, 0xd0);                                   /* mov rax, rdx */
    if (seg == R_FS || seg == R_GS) {
        op_rm(e, 0x03, H_RAX, offsetof(CPUX86State, segs) + seg * sizeof(SegmentCache) +
              offsetof(SegmentCache, base), true);                           /* add rax, base */
    }
    if (idx == 0) {
        /* EFLAGS.AC below CPL 3 may select the SMAP mmu index */
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, eflags)); e32(e, AC_MASK);
        slow[ns++] = jcc_fwd(e, CC_NE);
    }
    /* the tag compared is the page of the access's last byte: an access
     * that crosses a page never matches, nor does a non-canonical address
     * (the TLB holds canonical pages only); both take the slow path */
    emit_tlb_slot(e, H_RSI);
    e8(e, 0x48); e8(e, 0x8d); e8(e, 0x48); e8(e, size - 1);                 /* lea rcx, [rax+size-1] */
    e8(e, 0x48); e8(e, 0x81); e8(e, 0xe1); e32(e, 0xfffff000);              /* and rcx, ~0xfff */
    size_t tag = tlb + (store ? offsetof(TLBEntry, addr_write) : offsetof(TLBEntry, addr_read));
    e8(e, 0x48); e8(e, 0x3b); e8(e, 0x8c); e8(e, 0xf3); e32(e, (uint32_t)tag);  /* cmp rcx, [rbx+rsi*8+tag] */
    slow[ns++] = jcc_fwd(e, CC_NE);
    e8(e, 0x48); e8(e, 0x03); e8(e, 0x84); e8(e, 0xf3);
    e32(e, (uint32_t)(tlb + offsetof(TLBEntry, addend)));                    /* add rax, [..addend] */
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
        op_rm(e, 0x8b, H_RCX, REGOFF(sreg), true);                           /* mov rcx, reg */
        if (ot == 3) {
            e8(e, 0x48);
        }
        e8(e, 0x89); e8(e, 0x08);                                            /* mov [rax], ecx/rcx */
    } else if (ot < 2) {
        e8(e, 0x0f); e8(e, ot ? 0xb7 : 0xb6); e8(e, 0x00);                   /* movzx eax, [rax] */
    } else {
        if (ot == 3) {
            e8(e, 0x48);
        }
        e8(e, 0x8b); e8(e, 0x00);                                            /* mov eax/rax, [rax] */
    }
    e8(e, 0xe9);
    uint8_t *done = e->p;
    e32(e, 0);
    for (unsigned i = 0; i < ns; i++) {
        bind(e, slow[i], e->p);
    }
    /* slow path: tier 0's state for a fault, then mmu.c */
    st_q(e, offsetof(CPUX86State, insn_start_eip), eip);
    st_q(e, offsetof(CPUX86State, eip), next);
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xdf);                                   /* mov rdi, rbx */
    e8(e, 0xbe); e32(e, seg);                                                /* mov esi, seg */
    if (store) {
        if (sreg < 0) {
            e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);                           /* mov rcx, r9 */
        } else {
            op_rm(e, 0x8b, H_RCX, REGOFF(sreg), true);
        }
        static const void *const st[4] = { (const void *)cpu_stb, (const void *)cpu_stw,
                                           (const void *)cpu_stl, (const void *)cpu_stq };
        call_fn(e, st[ot]);
    } else {
        static const void *const ld[4] = { (const void *)cpu_ldub, (const void *)cpu_lduw,
                                           (const void *)cpu_ldl, (const void *)cpu_ldq };
        call_fn(e, ld[ot]);
        if (ot == 2) {
            e8(e, 0x89); e8(e, 0xc0);                                        /* mov eax, eax */
        } else if (ot < 2) {
            e8(e, 0x0f); e8(e, ot ? 0xb7 : 0xb6); e8(e, 0xc0);               /* movzx eax, al/ax */
        }
    }
    bind(e, done, e->p);
}

/* Inline branches are chosen by handler, not opcode: a form the decoder
 * rejected (LOCK prefix, more than 15 bytes) keeps its opcode but has
 * op_invalid/op_too_long, which must run to raise #UD/#GP. */
static bool is_jcc(const DecodedInsn *d)
{
    return d->handler == op_jcc;
}

/* Can the form be emitted inline in this block?  Memory only in 64-bit
 * code, and no read-modify-write of memory. */
static bool inline_ok(const TranslationBlock *tb, const DecodedInsn *d, const X86FastForm *f)
{
    if (!f->mem) {
        return f->form != X86_FAST_EI || fits32((int64_t)d->imm);
    }
    if (!(tb->flags & HF_CS64)) {
        return false;
    }
    if (f->kind == X86_FAST_ALU && f->form != X86_FAST_GE && f->alu != 7) {
        return false;       /* E <- E op x in memory: the handler */
    }
    return f->form != X86_FAST_EI || fits32((int64_t)d->imm);
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
            op_rm(e, 0x8b, H_RAX, REGOFF(src), w);
            op_rm(e, 0x89, H_RAX, REGOFF(dst), true);
        } else if (f->form == X86_FAST_GE) {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, f->ot, false, 0, eip, next);
            op_rm(e, 0x89, H_RAX, REGOFF(d->reg), true);
        } else {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, f->ot, true, d->reg, eip, next);
        }
        return;
    }
    /* ALU / TEST: a in RAX, b in RCX, result in RAX */
    int alu = f->kind == X86_FAST_TEST ? 4 : f->alu;
    bool writes = f->kind == X86_FAST_ALU && alu != 7;
    int dst = -1;
    if (f->mem) {
        emit_ea(e, d, next);
        emit_mem(e, tb, d->seg, f->ot, false, 0, eip, next);
        if (f->form == X86_FAST_GE) {
            /* G <- G op mem */
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                           /* mov rcx, rax */
            op_rm(e, 0x8b, H_RAX, REGOFF(d->reg), w);
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
            op_rm(e, 0x8b, H_RCX, REGOFF(d->reg), w);
        }
    } else {
        int a = f->form == X86_FAST_GE ? d->reg : d->rm;
        dst = a;
        op_rm(e, 0x8b, H_RAX, REGOFF(a), w);
        if (f->form == X86_FAST_EI) {
            if (w) {
                e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc1); e32(e, (uint32_t)d->imm);
            } else {
                e8(e, 0xb9); e32(e, (uint32_t)d->imm);
            }
        } else {
            op_rm(e, 0x8b, H_RCX, REGOFF(f->form == X86_FAST_GE ? d->rm : d->reg), w);
        }
    }
    if (w) {
        e8(e, 0x48);
    }
    e8(e, alu_opc(alu)); e8(e, 0xc8);                                        /* op rax, rcx */
    if (setcc >= 0) {
        e8(e, 0x41); e8(e, 0x0f); e8(e, 0x90 | setcc); e8(e, 0xc0);          /* setcc r8b */
    }
    if (writes && dst >= 0) {
        op_rm(e, 0x89, H_RAX, REGOFF(dst), true);
    }
    if (keep_cc) {
        bool logic = alu == 1 || alu == 4 || alu == 6;
        int cc_base = alu == 0 ? CC_OP_ADDB : logic ? CC_OP_LOGICB : CC_OP_SUBB;
        e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op)); e32(e, cc_base + f->ot);
        op_rm(e, 0x89, H_RAX, offsetof(CPUX86State, cc_dst), true);
        if (logic) {
            st_q(e, offsetof(CPUX86State, cc_src), 0);
        } else {
            op_rm(e, 0x89, H_RCX, offsetof(CPUX86State, cc_src), true);
        }
        st_q(e, offsetof(CPUX86State, cc_src2), 0);
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

static int extra_kind(const TranslationBlock *tb, const DecodedInsn *d)
{
    bool cs64 = tb->flags & HF_CS64;
    if (d->flags & DF_ATOMIC) {
        return XF_NONE;
    }
    if (d->handler == op_lea) {
        return d->mod != 3 && d->ot >= 2 ? XF_REG : XF_NONE;
    }
    if (d->handler == op_mov_RI) {
        return d->ot >= 2 ? XF_REG : XF_NONE;
    }
    if (d->handler == op_movzx || d->handler == op_movsx || d->handler == op_movsxd) {
        if (d->ot < 2 || (d->handler == op_movsxd && d->ot != 3)) {
            return XF_NONE;
        }
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if (d->ot < 2 && ((d->aux == 7 && (d->handler == op_alu_EI || d->handler == op_alu_EG ||
                                       d->handler == op_alu_GE)) || d->handler == op_test_EG)) {
        /* 8/16-bit CMP and TEST: nothing written but the flags record */
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if ((d->handler == op_imul_GE || d->handler == op_imul_GEI) && d->ot >= 2 &&
        fits32((int64_t)d->imm)) {
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if (d->handler == op_cmovcc && d->ot >= 2) {
        return d->mod == 3 ? XF_REG : cs64 ? XF_LOAD : XF_NONE;
    }
    if (d->ot >= 2 && (d->handler == op_inc_r || d->handler == op_dec_r ||
                       (d->handler == op_grp_incdec && d->mod == 3 && d->aux < 2))) {
        return XF_REG;
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
        (d->aux == 4 || d->aux == 5 || d->aux == 6 || d->aux == 7)) {
        return XF_REG;
    }
    if ((d->handler == op_push_r || d->handler == op_pop_r) && cs64 && d->ot == 3) {
        return d->handler == op_push_r ? XF_STORE : XF_LOAD;
    }
    return XF_NONE;
}

/* byte register r as reg_get reads it: its offset in env */
static size_t byte_reg_off(const DecodedInsn *d, int r)
{
    return (r < 4 || d->rex) ? REGOFF(r) : REGOFF(r - 4) + 1;
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
        op_rm(e, 0x89, H_RDX, REGOFF(d->reg), true);
        return;
    }
    if (d->handler == op_mov_RI) {
        st_q(e, REGOFF(d->rm), w ? d->imm : (uint32_t)d->imm);
        return;
    }
    if (d->handler == op_movzx || d->handler == op_movsx || d->handler == op_movsxd) {
        int sot = d->handler == op_movsxd ? 2 : (d->op & 1) ? 1 : 0;
        bool sx = d->handler != op_movzx;
        if (d->mod == 3) {
            size_t off = sot == 0 ? byte_reg_off(d, d->rm) : REGOFF(d->rm);
            if (sot == 2) {
                op_rm(e, 0x63, H_RAX, off, true);                            /* movsxd rax, [] */
            } else {
                if (sx && w) {
                    e8(e, 0x48);
                }
                e8(e, 0x0f); e8(e, (sx ? 0xbe : 0xb6) | sot); m_rbx(e, H_RAX, off);
            }
        } else {
            emit_ea(e, d, next);
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
        op_rm(e, 0x89, H_RAX, REGOFF(d->reg), true);
        return;
    }
    if (d->ot < 2 && (d->handler == op_alu_EI || d->handler == op_alu_EG ||
                      d->handler == op_alu_GE || d->handler == op_test_EG)) {
        /* a in EAX, b in ECX, zero-extended; alu_compute's record */
        bool test = d->handler == op_test_EG;
        uint8_t movzx = d->ot ? 0xb7 : 0xb6;
        if (d->mod != 3) {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);            /* EAX = E */
        } else {
            e8(e, 0x0f); e8(e, movzx);
            m_rbx(e, H_RAX, d->ot ? REGOFF(d->rm) : byte_reg_off(d, d->rm));
        }
        if (d->handler == op_alu_EI) {
            e8(e, 0xb9); e32(e, (uint32_t)d->imm & (d->ot ? 0xffff : 0xff));  /* mov ecx, imm */
        } else {
            size_t goff = d->ot ? REGOFF(d->reg) : byte_reg_off(d, d->reg);
            if (d->handler == op_alu_GE) {
                e8(e, 0x89); e8(e, 0xc1);                                    /* mov ecx, eax */
                e8(e, 0x0f); e8(e, movzx); m_rbx(e, H_RAX, goff);            /* EAX = G */
            } else {
                e8(e, 0x0f); e8(e, movzx); m_rbx(e, H_RCX, goff);            /* ECX = G */
            }
        }
        if (d->ot) {
            e8(e, 0x66);
        }
        e8(e, test ? (d->ot ? 0x21 : 0x20) : (d->ot ? 0x29 : 0x28)); e8(e, 0xc8);  /* sub/and al/ax, cl/cx */
        e8(e, 0x0f); e8(e, movzx); e8(e, 0xc0);                              /* movzx eax, al/ax */
        e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op));
        e32(e, (test ? CC_OP_LOGICB : CC_OP_SUBB) + d->ot);
        op_rm(e, 0x89, H_RAX, offsetof(CPUX86State, cc_dst), true);
        if (test) {
            /* op_test_EG's set_cc leaves cc_src2 alone (an ADC/SBB
             * carry-in stays there; LOGIC flags never read it) */
            st_q(e, offsetof(CPUX86State, cc_src), 0);
        } else {
            op_rm(e, 0x89, H_RCX, offsetof(CPUX86State, cc_src), true);
            st_q(e, offsetof(CPUX86State, cc_src2), 0);
        }
        return;
    }
    if (d->handler == op_imul_GE || d->handler == op_imul_GEI) {
        /* imul2: the host IMUL's OF is the overflow the record keeps
         * (cc_src; cc_src2 is left alone, as set_cc does) */
        if (d->mod == 3) {
            op_rm(e, 0x8b, H_RCX, REGOFF(d->rm), w);                         /* ECX = E */
        } else {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
            e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                           /* mov rcx, rax */
        }
        if (d->handler == op_imul_GE) {
            op_rm(e, 0x8b, H_RAX, REGOFF(d->reg), w);                        /* a = G, b = E */
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
        e8(e, 0x0f); e8(e, 0x90); e8(e, 0xc1);                               /* seto cl */
        e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc9);                               /* movzx ecx, cl */
        op_rm(e, 0x89, H_RAX, REGOFF(d->reg), true);
        e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op)); e32(e, CC_OP_MULB + d->ot);
        op_rm(e, 0x89, H_RAX, offsetof(CPUX86State, cc_dst), true);
        op_rm(e, 0x89, H_RCX, offsetof(CPUX86State, cc_src), true);
        return;
    }
    if (d->handler == op_cmovcc) {
        /* the condition first (cc_test has no side effects), kept in R12
         * while the source is read (a fault then changes nothing) */
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xdf);                               /* mov rdi, rbx */
        e8(e, 0xbe); e32(e, d->op & 0xf);                                    /* mov esi, cond */
        call_fn(e, (const void *)cc_test);
        e8(e, 0x44); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xe0);                  /* movzx r12d, al */
        if (d->mod == 3) {
            op_rm(e, 0x8b, H_RAX, REGOFF(d->rm), w);
        } else {
            emit_ea(e, d, next);
            emit_mem(e, tb, d->seg, d->ot, false, 0, eip, next);
        }
        e8(e, 0x45); e8(e, 0x84); e8(e, 0xe4);                               /* test r12b, r12b */
        uint8_t *no = jcc_fwd(e, 0x4);
        op_rm(e, 0x89, H_RAX, REGOFF(d->reg), true);
        if (!w) {
            /* false: a 32-bit destination still loses its upper half */
            e8(e, 0xe9);
            uint8_t *done = e->p;
            e32(e, 0);
            bind(e, no, e->p);
            op_rm(e, 0x8b, H_RAX, REGOFF(d->reg), false);                    /* mov eax, [] */
            op_rm(e, 0x89, H_RAX, REGOFF(d->reg), true);
            bind(e, done, e->p);
        } else {
            bind(e, no, e->p);
        }
        return;
    }
    if (d->handler == op_inc_r || d->handler == op_dec_r || d->handler == op_grp_incdec) {
        /* incdec: the carry before (kept as cc_src), the result */
        bool dec = d->handler == op_dec_r || (d->handler == op_grp_incdec && (d->aux & 1));
        e8(e, 0x48); e8(e, 0x89); e8(e, 0xdf);                               /* mov rdi, rbx */
        call_fn(e, (const void *)cc_compute_c);
        e8(e, 0x85); e8(e, 0xc0);                                            /* test eax, eax */
        e8(e, 0x41); e8(e, 0x0f); e8(e, 0x95); e8(e, 0xc4);                  /* setnz r12b */
        e8(e, 0x45); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xe4);                  /* movzx r12d, r12b */
        op_rm(e, 0x8b, H_RAX, REGOFF(d->rm), w);
        if (w) {
            e8(e, 0x48);
        }
        e8(e, 0xff); e8(e, dec ? 0xc8 : 0xc0);                               /* inc/dec eax/rax */
        op_rm(e, 0x89, H_RAX, REGOFF(d->rm), true);
        e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op));
        e32(e, (dec ? CC_OP_DECB : CC_OP_INCB) + d->ot);
        op_rm(e, 0x89, H_RAX, offsetof(CPUX86State, cc_dst), true);
        e8(e, 0x4c); e8(e, 0x89); m_rbx(e, 4, offsetof(CPUX86State, cc_src));  /* mov [], r12 */
        st_q(e, offsetof(CPUX86State, cc_src2), 0);
        return;
    }
    if (d->handler == op_mov_EI) {
        if (d->mod == 3) {
            st_q(e, REGOFF(d->rm), w ? d->imm : (uint32_t)d->imm);
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
            size_t off = d->ot == 0 ? byte_reg_off(d, src) : REGOFF(src);
            e8(e, 0x44); e8(e, 0x0f); e8(e, d->ot ? 0xb7 : 0xb6); m_rbx(e, 1, off);  /* movzx r9d, [] */
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
        size_t off = d->ot == 0 ? byte_reg_off(d, dst) : REGOFF(dst);
        if (d->ot == 1) {
            e8(e, 0x66);
        }
        e8(e, 0x44); e8(e, d->ot ? 0x89 : 0x88); m_rbx(e, 1, off);          /* mov [], r9b/r9w */
        return;
    }
    if (d->handler == op_shift) {
        /* SHL/SAL, SHR, SAR by a constant: the lazy record of
         * shift_compute (dst = result, src = the operand shifted by one
         * less, SHL or SAR op); a zero count changes nothing */
        unsigned cnt = (d->op == 0xd1 ? 1 : (unsigned)d->imm) & (w ? 0x3f : 0x1f);
        if (!cnt) {
            return;
        }
        uint8_t ext = d->aux == 6 ? 4 : d->aux;     /* SAL is SHL */
        op_rm(e, 0x8b, H_RAX, REGOFF(d->rm), w);
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
        op_rm(e, 0x89, H_RAX, REGOFF(d->rm), true);
        e8(e, 0xc7); m_rbx(e, 0, offsetof(CPUX86State, cc_op));
        e32(e, (ext == 4 ? CC_OP_SHLB : CC_OP_SARB) + d->ot);
        op_rm(e, 0x89, H_RAX, offsetof(CPUX86State, cc_dst), true);
        op_rm(e, 0x89, H_RCX, offsetof(CPUX86State, cc_src), true);
        st_q(e, offsetof(CPUX86State, cc_src2), 0);
        return;
    }
    if (d->handler == op_push_r) {
        /* store first, then commit RSP (push_v) */
        op_rm(e, 0x8b, H_RDX, REGOFF(R_ESP), true);
        e8(e, 0x48); e8(e, 0x83); e8(e, 0xea); e8(e, 8);                     /* sub rdx, 8 */
        emit_mem(e, tb, R_SS, 3, true, d->rm, eip, next);
        e8(e, 0x48); e8(e, 0x83); m_rbx(e, 5, REGOFF(R_ESP)); e8(e, 8);      /* sub qword [rsp], 8 */
        return;
    }
    /* pop: load, RSP += 8, then the register (POP RSP takes the value) */
    op_rm(e, 0x8b, H_RDX, REGOFF(R_ESP), true);
    emit_mem(e, tb, R_SS, 3, false, 0, eip, next);
    e8(e, 0x48); e8(e, 0x83); m_rbx(e, 0, REGOFF(R_ESP)); e8(e, 8);          /* add qword [rsp], 8 */
    op_rm(e, 0x89, H_RAX, REGOFF(d->rm), true);
}

/* add qword [rbx+instr_count], n */
static void flush_count(Emit *e, unsigned *pending)
{
    if (*pending == 1) {
        inc_q(e, offsetof(CPUX86State, instr_count));
    } else if (*pending) {
        e8(e, 0x48); e8(e, 0x83); m_rbx(e, 0, offsetof(CPUX86State, instr_count)); e8(e, *pending);
    }
    *pending = 0;
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
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xc1);                                   /* mov rcx, rax */
    e8(e, 0x48); e8(e, 0xc1); e8(e, 0xe9); e8(e, TB_JMP_BITS);               /* shr rcx, bits */
    e8(e, 0x48); e8(e, 0x31); e8(e, 0xc1);                                   /* xor rcx, rax */
    e8(e, 0x81); e8(e, 0xe1); e32(e, TB_JMP_SIZE - 1);                       /* and ecx, mask */
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
    if (idx == 0) {
        e8(e, 0xf7); m_rbx(e, 0, offsetof(CPUX86State, eflags)); e32(e, AC_MASK);
        miss[nm++] = jcc_fwd(e, CC_NE);
    }
    emit_tlb_slot(e, H_RCX);
    e8(e, 0x48); e8(e, 0x89); e8(e, 0xc6);                                   /* mov rsi, rax */
    e8(e, 0x48); e8(e, 0x81); e8(e, 0xe6); e32(e, 0xfffff000);              /* and rsi, ~0xfff */
    e8(e, 0x48); e8(e, 0x3b); e8(e, 0xb4); e8(e, 0xcb);
    e32(e, (uint32_t)(tlb + offsetof(TLBEntry, addr_code)));                 /* cmp rsi, addr_code */
    miss[nm++] = jcc_fwd(e, CC_NE);
    e8(e, 0x48); e8(e, 0x8b); e8(e, 0xb4); e8(e, 0xcb);
    e32(e, (uint32_t)(tlb + offsetof(TLBEntry, paddr)));                     /* mov rsi, paddr */
    e8(e, 0x48); e8(e, 0x33); e8(e, 0xb2); e32(e, offsetof(TranslationBlock, phys)); /* xor rsi, phys */
    e8(e, 0x48); e8(e, 0xc1); e8(e, 0xee); e8(e, 12);                       /* shr rsi, 12 */
    miss[nm++] = jcc_fwd(e, CC_NE);
    e8(e, 0x48); e8(e, 0x8b); e8(e, 0x82); e32(e, offsetof(TranslationBlock, jit_entry));
    e8(e, 0x48); e8(e, 0x85); e8(e, 0xc0);                                   /* test rax, rax */
    miss[nm++] = jcc_fwd(e, 0x4);
    inc_q(e, offsetof(CPUX86State, jit_chained));
    e8(e, 0xff); e8(e, 0xe0);                                                /* jmp rax */
    for (unsigned i = 0; i < nm; i++) {
        bind(e, miss[i], e->p);
    }
}

/* exec.c: a locked instruction (compare-and-swap with retry) */
void x86_exec_atomic(CPUX86State *env, const DecodedInsn *d);
/* exec.c: the tier-1 code of the block at CS:EIP from the jump cache
 * (its page still mapped as when it was decoded), or NULL */
const uint8_t *x86_jit_lookup(CPUX86State *env);

bool jit_translate(TranslationBlock *tb)
{
    if (!code_rx || tb->jit_entry || tb->invalid) {
        return tb->jit_entry != NULL;
    }
    gint64 t0 = g_get_monotonic_time();
    /* worst case: an inline memory ALU form with its slow path is about
     * 300 bytes; plus the exits.  Only what is used is kept. */
    size_t need = 512 + (size_t)tb->n_insns * 400;
    uint8_t *start = cache_alloc(need);
    if (!start) {
        return false;
    }
    Emit e = { .p = start, .rx_off = code_rx - code_rw };
    uint8_t *dead = e.p;
    e8(&e, 0);                              /* the dead byte */
    while ((uintptr_t)e.p & 15) {
        e8(&e, 0xcc);
    }
    uint8_t *entry = e.p;
    /* branches to the exit: the entry check, one per instruction at most
     * (after a handler or a store), the chaining gate's six and the
     * lookup's miss */
    uint8_t *exits[1 + TB_MAX_INSNS + 6 + 1];
    unsigned nexit = 0;
    exits[nexit++] = check_dead(&e, dead);

    uint64_t eip = tb->eip0;
    unsigned ninline = 0;
    unsigned pending = 0;           /* retired, not yet added to instr_count */
    bool eip_synced = true;         /* env->eip is up to date */
    bool fused = false;             /* R8B holds the Jcc's condition */
    for (uint32_t i = 0; i < tb->n_insns; i++) {
        const DecodedInsn *d = &tb->insns[i];
        uint64_t next = (eip + d->len) & tb->eip_mask;
        const DecodedInsn *dn = i + 1 < tb->n_insns ? &tb->insns[i + 1] : NULL;
        X86FastForm f, fn;
        if (jit_inline && x86_fast_form(d, &f) && inline_ok(tb, d, &f)) {
            /* a Jcc right after an ALU/TEST of 64-bit code takes its
             * condition from the host flags */
            int setcc = -1;
            if (dn && f.kind != X86_FAST_MOV && is_jcc(dn) && (tb->flags & HF_CS64) &&
                dn->opsize == 3 && is_canonical_addr(branch_target(dn, (next + dn->len)))) {
                setcc = dn->op & 0xf;
            }
            /* the flags record is dead when the next instruction is an
             * ALU/TEST on registers (it cannot fault and rewrites it all) */
            bool keep_cc = setcc >= 0 || !(dn && x86_fast_form(dn, &fn) && !fn.mem &&
                                           fn.kind != X86_FAST_MOV && inline_ok(tb, dn, &fn));
            if (f.mem) {
                flush_count(&e, &pending);
            }
            emit_inline(&e, tb, d, &f, eip, next, setcc, keep_cc);
            ninline++;
            pending++;
            eip_synced = false;
            fused = setcc >= 0;
            if (f.mem && f.kind == X86_FAST_MOV && f.form == X86_FAST_EG) {
                /* a store: it may have hit this very block */
                st_q(&e, offsetof(CPUX86State, eip), next);
                eip_synced = true;
                flush_count(&e, &pending);
                exits[nexit++] = check_dead(&e, dead);
            }
            eip = next;
            continue;
        }
        int xk = jit_inline ? extra_kind(tb, d) : XF_NONE;
        if (xk != XF_NONE) {
            if (xk != XF_REG) {
                flush_count(&e, &pending);
            }
            emit_extra(&e, tb, d, eip, next);
            ninline++;
            pending++;
            eip_synced = false;
            fused = false;
            if (xk == XF_STORE) {
                st_q(&e, offsetof(CPUX86State, eip), next);
                eip_synced = true;
                flush_count(&e, &pending);
                exits[nexit++] = check_dead(&e, dead);
            }
            eip = next;
            continue;
        }
        flush_count(&e, &pending);
        if (fused && is_jcc(d)) {
            /* Jcc fused with the ALU/TEST before it */
            ninline++;
            st_q(&e, offsetof(CPUX86State, eip), next);
            e8(&e, 0x45); e8(&e, 0x84); e8(&e, 0xc0);                       /* test r8b, r8b */
            uint8_t *nt = jcc_fwd(&e, 0x4);                                 /* jz */
            st_q(&e, offsetof(CPUX86State, eip), branch_target(d, next));
            bind(&e, nt, e.p);
            pending++;
            eip_synced = true;
            fused = false;
            eip = next;
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
                op_rm(&e, 0x8b, H_RDX, REGOFF(R_ESP), true);
                e8(&e, 0x48); e8(&e, 0x83); e8(&e, 0xea); e8(&e, 8);         /* sub rdx, 8 */
                emit_mem(&e, tb, R_SS, 3, true, -1, eip, next);
                e8(&e, 0x48); e8(&e, 0x83); m_rbx(&e, 5, REGOFF(R_ESP)); e8(&e, 8);
            }
            st_q(&e, offsetof(CPUX86State, eip), branch_target(d, next));
            inc_q(&e, offsetof(CPUX86State, instr_count));
            if (d->op == 0xe8) {
                exits[nexit++] = check_dead(&e, dead);
            }
            ninline++;
            eip_synced = true;
            eip = next;
            continue;
        }
        if (jit_inline && (tb->flags & HF_CS64) && d->opsize == 3 && d->handler == op_ret) {
            /* RET: load [RSP]; a non-canonical target goes to op_ret,
             * which raises #GP with nothing changed */
            op_rm(&e, 0x8b, H_RDX, REGOFF(R_ESP), true);
            emit_mem(&e, tb, R_SS, 3, false, 0, eip, next);
            e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0xc1);                       /* mov rcx, rax */
            e8(&e, 0x48); e8(&e, 0xc1); e8(&e, 0xe1); e8(&e, 16);           /* shl rcx, 16 */
            e8(&e, 0x48); e8(&e, 0xc1); e8(&e, 0xf9); e8(&e, 16);           /* sar rcx, 16 */
            e8(&e, 0x48); e8(&e, 0x39); e8(&e, 0xc1);                       /* cmp rcx, rax */
            uint8_t *bad = jcc_fwd(&e, CC_NE);
            op_rm(&e, 0x89, H_RAX, offsetof(CPUX86State, eip), true);
            e8(&e, 0x48); e8(&e, 0x81); m_rbx(&e, 0, REGOFF(R_ESP));
            e32(&e, 8 + (d->op == 0xc2 ? (uint32_t)(d->imm & 0xffff) : 0)); /* add [rsp], n */
            e8(&e, 0xe9);
            uint8_t *done = e.p;
            e32(&e, 0);
            bind(&e, bad, e.p);
            emit_handler_call(&e, d, (const void *)d->handler, eip, next);
            bind(&e, done, e.p);
            inc_q(&e, offsetof(CPUX86State, instr_count));
            ninline++;
            eip_synced = true;
            eip = next;
            continue;
        }
        if (jit_inline && is_jcc(d) && (tb->flags & HF_CS64) && d->opsize == 3 &&
            is_canonical_addr(branch_target(d, next))) {
            /* a Jcc on the lazy flags: cc_test, then EIP set here (the
             * canonical target needs no check) */
            e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0xdf);                       /* mov rdi, rbx */
            e8(&e, 0xbe); e32(&e, d->op & 0xf);                             /* mov esi, cond */
            call_fn(&e, (const void *)cc_test);
            e8(&e, 0x84); e8(&e, 0xc0);                                     /* test al, al */
            st_q(&e, offsetof(CPUX86State, eip), next);     /* MOVs: the flags stay */
            uint8_t *nt = jcc_fwd(&e, 0x4);                                 /* jz */
            st_q(&e, offsetof(CPUX86State, eip), branch_target(d, next));
            bind(&e, nt, e.p);
            ninline++;
            pending++;
            eip_synced = true;
            eip = next;
            continue;
        }
        emit_handler_call(&e, d, (d->flags & DF_ATOMIC) ? (const void *)x86_exec_atomic
                                                        : (const void *)d->handler, eip, next);
        inc_q(&e, offsetof(CPUX86State, instr_count));
        exits[nexit++] = check_dead(&e, dead);
        eip_synced = true;      /* the handler's EIP stands (jumps) */
        eip = next;
    }
    flush_count(&e, &pending);
    if (!eip_synced) {
        st_q(&e, offsetof(CPUX86State, eip), eip);
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
    /* returns and indirect near jumps/calls look their target up in the
     * jump cache from the code (x86_jit_lookup), as do direct exits to
     * another page once jit_chain finds they cannot be patched */
    bool indirect = last->op == 0xc3 || last->op == 0xc2 ||
                    (last->op == 0xff && (last->aux == 2 || last->aux == 4));
    uint8_t *slot_jmp[2];
    uint8_t *lookup = NULL;
    if (ncand || indirect) {
        /* leave when the loop has something to do: an interrupt or kick,
         * the slice's budget, single-stepping, an interrupt shadow,
         * hardware breakpoints, a debugger */
        e8(&e, 0x8b); m_rbx(&e, 0, offsetof(CPUX86State, interrupt_request));  /* mov eax, [] */
        e8(&e, 0x85); e8(&e, 0xc0);                                          /* test eax, eax */
        exits[nexit++] = jcc_fwd(&e, CC_NE);
        e8(&e, 0x48); e8(&e, 0x8b); m_rbx(&e, 0, offsetof(CPUX86State, instr_count));
        e8(&e, 0x48); e8(&e, 0x2b); m_rbx(&e, 0, offsetof(CPUX86State, jit_end_count));
        exits[nexit++] = jcc_fwd(&e, CC_NS);
        e8(&e, 0xf7); m_rbx(&e, 0, offsetof(CPUX86State, eflags)); e32(&e, TF_MASK | RF_MASK);
        exits[nexit++] = jcc_fwd(&e, CC_NE);
        e8(&e, 0xf7); m_rbx(&e, 0, offsetof(CPUX86State, hflags));
        e32(&e, HF_INHIBIT_IRQ | HF_MOVSS | HF_HALTED);
        exits[nexit++] = jcc_fwd(&e, CC_NE);
        G_STATIC_ASSERT(offsetof(CPUX86State, dr_data_en) == offsetof(CPUX86State, dr_exec_en) + 1);
        e8(&e, 0x0f); e8(&e, 0xb7); m_rbx(&e, 0, offsetof(CPUX86State, dr_exec_en));  /* movzx eax, word */
        e8(&e, 0x85); e8(&e, 0xc0);
        exits[nexit++] = jcc_fwd(&e, CC_NE);
        e8(&e, 0x48); e8(&e, 0xb8); e64(&e, (uint64_t)(uintptr_t)&x86_debug_mode);
        e8(&e, 0x8b); e8(&e, 0x00);                                          /* mov eax, [rax] */
        e8(&e, 0x85); e8(&e, 0xc0);
        exits[nexit++] = jcc_fwd(&e, CC_NE);
        for (unsigned k = 0; k < ncand; k++) {
            if (fits32((int64_t)cand[k])) {
                e8(&e, 0x48); e8(&e, 0x81); m_rbx(&e, 7, offsetof(CPUX86State, eip));
                e32(&e, (uint32_t)cand[k]);
            } else {
                e8(&e, 0x48); e8(&e, 0xb8); e64(&e, cand[k]);
                e8(&e, 0x48); e8(&e, 0x39); m_rbx(&e, 0, offsetof(CPUX86State, eip));
            }
            uint8_t *miss = jcc_fwd(&e, CC_NE);
            inc_q(&e, offsetof(CPUX86State, jit_chained));
            while (((uintptr_t)e.p + 1) & 3) {
                e8(&e, 0x90);               /* the rel32 4-aligned: patched atomically */
            }
            e8(&e, 0xe9);
            slot_jmp[k] = e.p;
            e32(&e, 0);
            bind(&e, miss, e.p);
        }
        lookup = e.p;
        if (tb->flags & HF_CS64) {
            emit_lookup_inline(&e, tb, exits, &nexit);
        }
        e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0xdf);                           /* mov rdi, rbx */
        call_fn(&e, (const void *)x86_jit_lookup);
        e8(&e, 0x48); e8(&e, 0x85); e8(&e, 0xc0);                           /* test rax, rax */
        exits[nexit++] = jcc_fwd(&e, 0x4);                                  /* jz exit */
        e8(&e, 0xff); e8(&e, 0xe0);                                         /* jmp rax */
    }
    g_assert(nexit <= G_N_ELEMENTS(exits));
    /* exit 0: back to the loop, which finds the next block */
    uint8_t *exit0 = e.p;
    e8(&e, 0x31); e8(&e, 0xc0);                         /* xor eax, eax */
    jmp_rx(&e, epilogue_rx);
    for (unsigned i = 0; i < nexit; i++) {
        bind(&e, exits[i], exit0);
    }
    for (unsigned k = 0; k < ncand; k++) {
        JitSlot *s = &tb->jit_slot[k];
        s->src = tb;
        s->target_eip = cand[k];
        s->patch = rx(&e, slot_jmp[k]);
        bind(&e, slot_jmp[k], e.p);
        e8(&e, 0x48); e8(&e, 0xb8); e64(&e, (uint64_t)(uintptr_t)s);  /* mov rax, slot */
        jmp_rx(&e, epilogue_rx);
    }
    g_assert((size_t)(e.p - start) <= need);
    code_used = ((size_t)(e.p - code_rw) + 15) & ~(size_t)15;
    tb->jit_dead = dead;
    tb->jit_lookup = lookup ? rx(&e, lookup) : NULL;
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
        /* the host code, disassembled by the guest disassembler (the same
         * ISA): the block body, its exits and exit stubs */
        log_printf("OUT: [size=%u]\n", (unsigned)(e.p - entry));
        for (const uint8_t *p = entry; p < e.p; ) {
            char buf[128];
            int n = x86_disas_buf_mode(p, e.p - p, (uint64_t)(uintptr_t)rx(&e, p), 64, buf, sizeof(buf));
            log_printf("0x%016llx:  %s\n", (unsigned long long)(uintptr_t)rx(&e, p), buf);
            p += n > 0 ? n : 1;
        }
        log_printf("\n");
    }
    if (perfmap_file) {
        fprintf(perfmap_file, "%lx %lx vireo-tb-%llx\n", (unsigned long)(uintptr_t)rx(&e, entry),
                (unsigned long)(e.p - entry), (unsigned long long)tb->pc_lin);
    }
    return true;
}

JitSlot *jit_run(CPUX86State *env, TranslationBlock *tb)
{
    env->jit_runs++;
    return (JitSlot *)jit_enter(env, tb->jit_entry);
}

void jit_chain(CPUX86State *env, JitSlot *slot, TranslationBlock *next)
{
    TranslationBlock *src = slot->src;
    env->jit_slot_exits++;
    const uint8_t *entry = next ? __atomic_load_n(&next->jit_entry, __ATOMIC_ACQUIRE) : NULL;
    /* same guest page, same mode: the mapping the loop checked for the
     * source holds for the successor too */
    if (!entry || __atomic_load_n(&src->invalid, __ATOMIC_ACQUIRE)) {
        return;
    }
    if (next->flags != src->flags || next->cs_base != src->cs_base ||
        (next->pc_lin >> TB_PAGE_BITS) != (src->pc_lin >> TB_PAGE_BITS)) {
        /* another page: its mapping must be checked every time, so the
         * jump goes to the block's lookup instead */
        entry = src->jit_lookup;
        if (!entry) {
            return;
        }
    }
    int32_t rel = (int32_t)(entry - (slot->patch + 4));
    __atomic_store_n((int32_t *)(slot->patch - code_rx + code_rw), rel, __ATOMIC_RELEASE);
    __atomic_fetch_add(&stat_patched, 1, __ATOMIC_RELAXED);
}

void jit_tb_retire(TranslationBlock *tb)
{
    if (tb->jit_dead) {
        __atomic_store_n(tb->jit_dead, 1, __ATOMIC_RELEASE);
    }
}

static void info_cpu(CPUX86State *env, void *opaque)
{
    uint64_t *s = opaque;
    s[0] += env->jit_chained - env->jit_slot_exits;
    s[1] += env->jit_runs + env->tb_runs;
    s[2] += env->tb_runs;
    s[3] += env->jit_runs;
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
    uint64_t s[4] = { 0 };
    tb_foreach_cpu(info_cpu, s);
    uint64_t all = s[0] + s[1];
    g_string_append_printf(out, "block runs: %llu (tier 0: %llu, tier 1 from the loop: %llu, "
                           "tier 1 chained: %llu)\n",
                           (unsigned long long)all, (unsigned long long)s[2],
                           (unsigned long long)s[3], (unsigned long long)s[0]);
    g_string_append_printf(out, "chain hit rate: %.1f%% of block transitions, %llu jumps patched\n",
                           all ? 100.0 * s[0] / all : 0.0, (unsigned long long)stat_patched);
}
