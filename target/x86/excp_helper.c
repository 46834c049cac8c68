/*
 * Exceptions and interrupts (Intel SDM vol. 3, ch. 6): raising them from
 * instruction handlers, and delivering them through the real-mode IVT or
 * the protected-mode IDT (interrupt, trap and task gates, privilege change
 * with the TSS stack, exits from virtual-8086 mode), including the
 * double-fault rules and the triple fault that resets the machine.
 */
#include <inttypes.h>

#include "target/x86/seg.h"
#include "util/log.h"

void raise_interrupt(CPUX86State *env, int vector, int is_int, int error_code, uint64_t next_eip)
{
    env->exception_index = vector;
    env->error_code = error_code;
    env->exception_is_int = is_int;
    env->exception_next_eip = next_eip;
    env->eip = env->insn_start_eip;
    siglongjmp(env->jmp_env, 1);
}

void raise_exception_err(CPUX86State *env, int vector, int error_code)
{
    raise_interrupt(env, vector, 0, error_code, 0);
}

void raise_exception(CPUX86State *env, int vector)
{
    raise_interrupt(env, vector, 0, 0, 0);
}

static bool has_error_code(int vector)
{
    return vector == EXCP_DF || (vector >= EXCP_TS && vector <= EXCP_PF) || vector == EXCP_AC;
}

static bool contributory(int v)
{
    return v == EXCP_DE || (v >= EXCP_TS && v <= EXCP_GP);
}

static void do_interrupt_real(CPUX86State *env, int vector, uint32_t ret_eip)
{
    uint32_t off = vector * 4;
    if (off + 3 > env->idt.limit) {
        raise_exception_err(env, EXCP_GP, vector * 8 + 2);
    }
    uint32_t entry = cpu_ldl_kernel(env, (uint32_t)env->idt.base + off);
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    uint32_t base = (uint32_t)env->segs[R_SS].base;
    /* real-mode stack is 16-bit; wraps at 64K */
    sp -= 2; cpu_stw_kernel(env, base + (sp & 0xffff), cpu_compute_eflags(env));
    sp -= 2; cpu_stw_kernel(env, base + (sp & 0xffff), env->segs[R_CS].selector);
    sp -= 2; cpu_stw_kernel(env, base + (sp & 0xffff), ret_eip);
    env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffULL) | (sp & 0xffff);
    env->eflags &= ~(IF_MASK | TF_MASK | AC_MASK | RF_MASK);
    cpu_x86_load_seg_real(env, R_CS, entry >> 16);
    env->eip = entry & 0xffff;
}

static void do_interrupt_prot(CPUX86State *env, int vector, int is_int, int error_code,
                              uint32_t ret_eip, int ext, bool push_err)
{
    uint32_t idx = vector * 8;
    if (idx + 7 > env->idt.limit) {
        raise_exception_err(env, EXCP_GP, idx + 2 + ext);
    }
    uint32_t e1 = cpu_ldl_kernel(env, (uint32_t)env->idt.base + idx);
    uint32_t e2 = cpu_ldl_kernel(env, (uint32_t)env->idt.base + idx + 4);
    int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    switch (type) {
    case 5: case 6: case 7: case 14: case 15:
        break;
    default:
        raise_exception_err(env, EXCP_GP, idx + 2 + ext);
    }
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    int cpl = cpu_cpl(env);
    /* only INT n / INT3 / INTO check the gate's DPL */
    if (is_int && dpl < cpl) {
        raise_exception_err(env, EXCP_GP, idx + 2);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, idx + 2 + ext);
    }
    if (type == 5) {
        seg_task_switch(env, 0, e1, e2, TS_CALL, ret_eip, push_err ? error_code : -1, ext);
        return;
    }
    uint16_t sel = e1 >> 16;
    uint32_t offset = (e2 & 0xffff0000) | (e1 & 0xffff);
    bool gate32 = type & 8;
    if (!gate32) {
        offset &= 0xffff;
    }
    if ((sel & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, ext);
    }
    uint32_t c1, c2;
    if (!seg_load_descriptor(env, sel, &c1, &c2)) {
        raise_exception_err(env, EXCP_GP, (sel & 0xfffc) + ext);
    }
    int cdpl = (c2 >> DESC_DPL_SHIFT) & 3;
    if (!(c2 & DESC_S_MASK) || !(c2 & DESC_CS_MASK) || cdpl > cpl) {
        raise_exception_err(env, EXCP_GP, (sel & 0xfffc) + ext);
    }
    if (!(c2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, (sel & 0xfffc) + ext);
    }
    if (offset > desc_limit(c1, c2)) {
        raise_exception_err(env, EXCP_GP, ext);
    }
    bool vm86 = env->eflags & VM_MASK;
    unsigned sz = gate32 ? 4 : 2;
    uint32_t old_eflags = cpu_compute_eflags(env);
    uint32_t ss_sel, esp, s1 = 0, s2 = 0, ss_base, ss_mask;
    int new_cpl;
    bool stack_switch = !(c2 & DESC_C_MASK) && cdpl < cpl;

    if (stack_switch) {
        if (vm86 && cdpl != 0) {
            raise_exception_err(env, EXCP_GP, (sel & 0xfffc) + ext);
        }
        new_cpl = cdpl;
        seg_get_tss_stack(env, cdpl, &ss_sel, &esp);
        /* inner stack checks, as for a call gate, with #TS */
        if ((ss_sel & ~3) == 0) {
            raise_exception_err(env, EXCP_TS, ext);
        }
        if ((int)(ss_sel & 3) != cdpl || !seg_load_descriptor(env, ss_sel, &s1, &s2) ||
            (int)((s2 >> DESC_DPL_SHIFT) & 3) != cdpl || !(s2 & DESC_S_MASK) ||
            (s2 & DESC_CS_MASK) || !(s2 & DESC_W_MASK)) {
            raise_exception_err(env, EXCP_TS, (ss_sel & 0xfffc) + ext);
        }
        if (!(s2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_SS, (ss_sel & 0xfffc) + ext);
        }
        ss_base = desc_base(s1, s2);
        ss_mask = (s2 & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
    } else {
        if (vm86) {
            raise_exception_err(env, EXCP_GP, (sel & 0xfffc) + ext);
        }
        new_cpl = cpl;
        ss_sel = env->segs[R_SS].selector;
        esp = (uint32_t)env->regs[R_ESP];
        ss_base = (uint32_t)env->segs[R_SS].base;
        ss_mask = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
    }

    /* push the frame (faults here are #PF/#SS of the new stack) */
    uint32_t sp = esp;
#define PUSH(v) do { sp -= sz; cpu_st_priv(env, ss_base + (sp & ss_mask), (v), sz, new_cpl); } while (0)
    if (stack_switch) {
        if (vm86) {
            PUSH(env->segs[R_GS].selector);
            PUSH(env->segs[R_FS].selector);
            PUSH(env->segs[R_DS].selector);
            PUSH(env->segs[R_ES].selector);
        }
        PUSH(env->segs[R_SS].selector);
        PUSH((uint32_t)env->regs[R_ESP]);
    }
    PUSH(old_eflags);
    PUSH(env->segs[R_CS].selector);
    PUSH(ret_eip);
    if (push_err) {
        PUSH(error_code);
    }
#undef PUSH

    /* commit */
    if (stack_switch) {
        if (vm86) {
            for (int s = R_ES; s <= R_GS; s++) {
                if (s != R_CS && s != R_SS) {
                    cpu_x86_load_seg_cache(env, s, 0, 0, 0, 0);
                }
            }
        }
        env->eflags &= ~VM_MASK;
        env->hflags = (env->hflags & ~HF_CPL_MASK) | new_cpl;
        cpu_update_hflags(env);
        seg_load_cache_from_desc(env, R_SS, (ss_sel & 0xfffc) | new_cpl, s1, s2);
    }
    env->regs[R_ESP] = (env->regs[R_ESP] & ~(uint64_t)ss_mask) | (sp & ss_mask);
    seg_load_cache_from_desc(env, R_CS, (sel & 0xfffc) | new_cpl, c1, c2);
    env->eip = offset;
    env->eflags &= ~(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (!(type & 1)) {
        env->eflags &= ~IF_MASK;                 /* interrupt gate */
    }
    cpu_update_hflags(env);
}

/* Fault-class exceptions (SDM vol. 3, table 6-1), except #DB, whose
 * instruction-breakpoint case leaves RF to the handler. */
static bool is_fault(int vector)
{
    switch (vector) {
    case EXCP_DE: case EXCP_BR: case EXCP_UD: case EXCP_NM: case EXCP_TS: case EXCP_NP: case EXCP_SS:
    case EXCP_GP: case EXCP_PF: case EXCP_MF: case EXCP_AC: case EXCP_XM:
    case 20: case 21:                   /* #VE, #CP */
        return true;
    default:
        return false;
    }
}

bool do_interrupt(CPUX86State *env, int vector, int is_int, int error_code,
                  uint64_t next_eip, int is_hw)
{
    bool is_exception = !is_int && !is_hw;
    if (is_exception) {
        int old = env->old_exception;
        if (old == EXCP_DF) {
            vlog(LOG_INT | LOG_RESET, "Triple fault\n");
            env->old_exception = -1;
            return false;
        }
        if (old >= 0 && ((contributory(old) && contributory(vector)) ||
                         (old == EXCP_PF && (contributory(vector) || vector == EXCP_PF)))) {
            vlog(LOG_INT, "check_exception old: 0x%x new 0x%x -> double fault\n", old, vector);
            vector = EXCP_DF;
            error_code = 0;
        }
        env->old_exception = vector;
    }
    uint32_t ret_eip = is_int ? (uint32_t)next_eip : (uint32_t)env->eip;
    if (log_enabled(LOG_INT)) {
        log_printf("%6" PRIu64 ": v=%02x e=%04x i=%d cpl=%d IP=%04x:%08x pc=%08x SP=%04x:%08x",
                   env->instr_count, vector, error_code & 0xffff, is_int, cpu_cpl(env),
                   env->segs[R_CS].selector, (uint32_t)env->eip,
                   (uint32_t)(env->segs[R_CS].base + env->eip), env->segs[R_SS].selector,
                   (uint32_t)env->regs[R_ESP]);
        if (vector == EXCP_PF) {
            log_printf(" CR2=%08x", (uint32_t)env->cr2);
        }
        log_printf("\n");
    }
    /* Faults raised while delivering an event that did not come from
     * INT n carry the EXT bit in their error code. */
    int ext = is_int ? 0 : 1;
    if (is_exception && is_fault(vector) && (env->hflags & HF_PE)) {
        /* a fault's saved EFLAGS has RF set, so the IRET that restarts the
         * instruction does not hit an instruction breakpoint on it again
         * (SDM vol. 3, 17.3.1.1); the handler itself runs with RF clear */
        env->eflags |= RF_MASK;
    }
    if (!(env->hflags & HF_PE)) {
        do_interrupt_real(env, vector, ret_eip);
    } else if (env->hflags & HF_LMA) {
        lm_do_interrupt(env, vector, is_int, error_code, is_int ? next_eip : env->eip, ext,
                        is_exception && has_error_code(vector));
    } else {
        /* only exceptions push an error code; INT n and external interrupts never do */
        do_interrupt_prot(env, vector, is_int, error_code, ret_eip, ext,
                          is_exception && has_error_code(vector));
    }
    env->old_exception = -1;
    env->hflags &= ~HF_HALTED;
    return true;
}
