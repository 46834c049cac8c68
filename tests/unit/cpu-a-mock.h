/*
 * Stand-ins for the system layer (helper.h) and the memory/log core, used
 * only when the CPU instruction-layer tests are built standalone with
 * -DCPU_A_STANDALONE (before the rest of libvireo exists).  The normal
 * `make` build links the tests against the real libvireo and never sees
 * this file's definitions.
 */
#ifdef CPU_A_STANDALONE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "hw/core/memory.h"
#include "util/log.h"

uint32_t log_mask;
void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}
AddressSpace address_space_memory;
void (*memory_ram_write_hook)(AddressSpace *as, hwaddr addr, uint64_t len);
void memory_listener_register(MemoryListenerFn fn, void *opaque) { }

/* flat RAM for the tests: segment bases are honoured, no limits */
uint8_t mock_ram[1 << 20];
static uint64_t mock_lin(CPUX86State *env, int seg, target_ulong off, unsigned n)
{
    uint64_t la = (uint32_t)(env->segs[seg].base + off);
    if (la + n > sizeof(mock_ram)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    return la;
}
void raise_exception_err(CPUX86State *env, int v, int e)
{
    env->exception_index = v;
    env->error_code = e;
    env->exception_is_int = 0;
    env->eip = env->insn_start_eip;
    siglongjmp(env->jmp_env, 1);
}
void raise_exception(CPUX86State *env, int v) { raise_exception_err(env, v, 0); }
void raise_interrupt(CPUX86State *env, int v, int is_int, int e, uint64_t next)
{
    env->exception_next_eip = next;
    env->exception_index = v;
    env->exception_is_int = is_int;
    env->error_code = e;
    env->eip = env->insn_start_eip;
    siglongjmp(env->jmp_env, 1);
}
int mock_last_vector = -1;
bool do_interrupt(CPUX86State *env, int vector, int is_int, int error_code,
                  uint64_t next_eip, int is_hw)
{
    /* real-mode IVT delivery, enough for the exec-loop tests */
    uint32_t sp = (uint16_t)(env->regs[R_ESP] - 6);
    uint32_t f = cpu_compute_eflags(env);
    uint64_t base = env->segs[R_SS].base;
    uint16_t ret = is_int || is_hw ? next_eip : env->eip;
    mock_last_vector = vector;
    mock_ram[base + sp + 0] = ret; mock_ram[base + sp + 1] = ret >> 8;
    mock_ram[base + sp + 2] = env->segs[R_CS].selector;
    mock_ram[base + sp + 3] = env->segs[R_CS].selector >> 8;
    mock_ram[base + sp + 4] = f; mock_ram[base + sp + 5] = f >> 8;
    env->regs[R_ESP] = sp;
    env->eip = mock_ram[vector * 4] | mock_ram[vector * 4 + 1] << 8;
    env->segs[R_CS].selector = mock_ram[vector * 4 + 2] | mock_ram[vector * 4 + 3] << 8;
    env->segs[R_CS].base = env->segs[R_CS].selector << 4;
    env->eflags &= ~(IF_MASK | TF_MASK);
    return true;
}
#define LD(n, T) { uint64_t la = mock_lin(env, seg, off, n); T v; memcpy(&v, mock_ram + la, n); return v; }
/* stores to code pages invalidate blocks, as the real TLB slow path does */
#define ST(n) { uint64_t la = mock_lin(env, seg, off, n); memcpy(mock_ram + la, &val, n); \
                if (tb_page_has_code(la) || tb_page_has_code(la + n - 1)) { \
                    tb_invalidate_phys_range(la, n); } }
uint8_t cpu_ldub(CPUX86State *env, int seg, target_ulong off) LD(1, uint8_t)
uint16_t cpu_lduw(CPUX86State *env, int seg, target_ulong off) LD(2, uint16_t)
uint32_t cpu_ldl(CPUX86State *env, int seg, target_ulong off) LD(4, uint32_t)
uint64_t cpu_ldq(CPUX86State *env, int seg, target_ulong off) LD(8, uint64_t)
void cpu_stb(CPUX86State *env, int seg, target_ulong off, uint8_t val) ST(1)
void cpu_stw(CPUX86State *env, int seg, target_ulong off, uint16_t val) ST(2)
void cpu_stl(CPUX86State *env, int seg, target_ulong off, uint32_t val) ST(4)
void cpu_stq(CPUX86State *env, int seg, target_ulong off, uint64_t val) ST(8)
void cpu_check_write(CPUX86State *env, int seg, target_ulong off, unsigned len) { mock_lin(env, seg, off, len); }
void cpu_check_read(CPUX86State *env, int seg, target_ulong off, unsigned len) { mock_lin(env, seg, off, len); }
uint64_t cpu_get_phys_code(CPUX86State *env, target_ulong la, const uint8_t **host)
{
    *host = NULL;
    return (uint32_t)la;
}
uint8_t cpu_ldub_code(CPUX86State *env, target_ulong la)
{
    return mock_ram[(uint32_t)la % sizeof(mock_ram)];
}
int mock_host_ptr_calls;
bool mock_no_host_ptr;      /* force the element-wise string path */
uint8_t *cpu_host_ptr(CPUX86State *env, int seg, target_ulong off, unsigned len, bool is_write)
{
    uint64_t la = mock_lin(env, seg, off, len);
    if (mock_no_host_ptr || (la & ~4095ull) != ((la + len - 1) & ~4095ull) ||
        (is_write && tb_page_has_code(la))) {
        return NULL;
    }
    mock_host_ptr_calls++;
    return mock_ram + la;
}
void helper_load_seg(CPUX86State *env, int seg, uint16_t sel)
{
    env->segs[seg].selector = sel;
    env->segs[seg].base = sel << 4;
}
void helper_hlt(CPUX86State *env, uint64_t next_eip) { env->hflags |= HF_HALTED; }
int mock_io_last_port = -1;
uint32_t mock_io_last_val;
void helper_check_io(CPUX86State *env, uint16_t port, int size) { }
uint32_t cpu_io_read(CPUX86State *env, uint16_t port, int size) { return 0x5a; }
void cpu_io_write(CPUX86State *env, uint16_t port, uint32_t val, int size)
{
    mock_io_last_port = port;
    mock_io_last_val = val;
}
#define UNUSED_HELPER(decl) decl { abort(); }
UNUSED_HELPER(void helper_ljmp(CPUX86State *env, uint16_t sel, uint64_t off, uint64_t next_eip))
UNUSED_HELPER(void helper_lcall(CPUX86State *env, uint16_t sel, uint64_t off, int s, uint64_t n))
UNUSED_HELPER(void helper_lret(CPUX86State *env, int s, int imm16))
void helper_iret(CPUX86State *env, int s, uint64_t next_eip)
{
    /* real-mode 16-bit IRET */
    uint16_t ip = cpu_lduw(env, R_SS, (uint16_t)env->regs[R_ESP]);
    uint16_t cs = cpu_lduw(env, R_SS, (uint16_t)(env->regs[R_ESP] + 2));
    uint16_t fl = cpu_lduw(env, R_SS, (uint16_t)(env->regs[R_ESP] + 4));
    env->regs[R_ESP] = (uint16_t)(env->regs[R_ESP] + 6);
    env->eip = ip;
    env->segs[R_CS].selector = cs;
    env->segs[R_CS].base = cs << 4;
    cpu_load_eflags(env, fl, 0xffff & ~0x3000u);
}
UNUSED_HELPER(void helper_lldt(CPUX86State *env, uint16_t sel))
UNUSED_HELPER(void helper_ltr(CPUX86State *env, uint16_t sel))
UNUSED_HELPER(uint32_t helper_lar(CPUX86State *env, uint16_t sel))
UNUSED_HELPER(uint32_t helper_lsl(CPUX86State *env, uint16_t sel))
UNUSED_HELPER(void helper_verr(CPUX86State *env, uint16_t sel))
UNUSED_HELPER(void helper_verw(CPUX86State *env, uint16_t sel))
UNUSED_HELPER(void helper_write_crN(CPUX86State *env, int reg, uint64_t val))
UNUSED_HELPER(uint64_t helper_read_crN(CPUX86State *env, int reg))
UNUSED_HELPER(void helper_write_drN(CPUX86State *env, int reg, uint64_t val))
UNUSED_HELPER(void helper_lmsw(CPUX86State *env, uint16_t val))
UNUSED_HELPER(void helper_clts(CPUX86State *env))
UNUSED_HELPER(void helper_cpuid(CPUX86State *env))
UNUSED_HELPER(void helper_rdtsc(CPUX86State *env))
UNUSED_HELPER(void helper_rdmsr(CPUX86State *env))
UNUSED_HELPER(void helper_wrmsr(CPUX86State *env))
UNUSED_HELPER(void helper_invlpg(CPUX86State *env, target_ulong la))
UNUSED_HELPER(void helper_swapgs(CPUX86State *env))
UNUSED_HELPER(void helper_syscall(CPUX86State *env, uint64_t next_eip))
UNUSED_HELPER(void helper_sysret(CPUX86State *env, int s))
UNUSED_HELPER(void helper_sysenter(CPUX86State *env))
UNUSED_HELPER(void helper_sysexit(CPUX86State *env, int s))
UNUSED_HELPER(void cpu_set_cr8(CPUX86State *env, uint64_t v))
UNUSED_HELPER(uint64_t cpu_get_cr8(CPUX86State *env))
UNUSED_HELPER(void x86_cpu_do_init(X86CPU *cpu))
#endif
