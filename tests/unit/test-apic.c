/*
 * Local APIC (hw/intc/apic.c) against Intel SDM vol. 3 ch. 10: power-on
 * register values as QEMU's pc reports them, priority (TPR/PPR/ISR/IRR),
 * EOI and its broadcast for level-triggered vectors, the timer on the
 * virtual clock (1 GHz bus / divider, one-shot and periodic), ICR
 * self-IPIs and illegal vectors, LINT0 ExtINT from the 8259, software and
 * global disable, base relocation, and the CPU side (MSR 0x1b, CR8, CPUID).
 */
#include <glib.h>

#include "hw/intc/apic.h"
#include "target/x86/helper.h"
#include "tests/unit/pc-test-util.h"
#include "hw/core/timer.h"

#define APIC 0xfee00000u

static Device *apic;
static X86CPU *cpu;
static int intr_level;
static int pic_acks;
static int eoi_vectors[8], n_eoi;

static void intr_handler(void *opaque, int n, int level) { intr_level = level; }
static int pic_ack(void *opaque) { pic_acks++; return 0x20; }
static void eoi_handler(void *opaque, uint8_t v) { if (n_eoi < 8) eoi_vectors[n_eoi++] = v; }

static uint32_t rd(unsigned off) { return address_space_ld(&address_space_memory, APIC + off, 4); }
static void wr(unsigned off, uint32_t v) { address_space_st(&address_space_memory, APIC + off, v, 4); }

static bool irr_has(int v) { return rd(0x200 + (v >> 5) * 0x10) & (1u << (v & 31)); }
static bool isr_has(int v) { return rd(0x100 + (v >> 5) * 0x10) & (1u << (v & 31)); }

static void setup(void)
{
    devices_reset_all();
    n_eoi = 0;
    pic_acks = 0;
    apic_set_pic_intr(apic, 0);
    wr(0xf0, 0x1ff);                   /* software enable, spurious 0xff */
}

static void test_reset_values(void)
{
    devices_reset_all();
    g_assert_cmphex(rd(0x20), ==, 0);                 /* ID */
    g_assert_cmphex(rd(0x30), ==, 0x00050014);        /* version 0x14, 6 LVTs */
    g_assert_cmphex(rd(0xf0), ==, 0xff);              /* SVR: disabled, vector 0xff */
    g_assert_cmphex(rd(0xe0), ==, 0xffffffff);        /* DFR flat */
    g_assert_cmphex(rd(0x320), ==, 0x10000);          /* timer masked */
    g_assert_cmphex(rd(0x350), ==, 0x700);            /* BSP LINT0: ExtINT */
    g_assert_cmphex(rd(0x360), ==, 0x10000);
    g_assert_cmphex(rd(0x370), ==, 0x10000);
    g_assert_cmphex(rd(0x3e0), ==, 0);
    g_assert_cmphex(apic_get_base(apic), ==, 0xfee00900);
}

static void test_priority_and_eoi(void)
{
    setup();
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x41, false);
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x52, false);
    g_assert_cmpint(intr_level, ==, 1);
    g_assert_true(irr_has(0x41) && irr_has(0x52));
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x52);
    g_assert_true(isr_has(0x52));
    g_assert_false(irr_has(0x52));
    g_assert_cmphex(rd(0xa0), ==, 0x50);              /* PPR from ISR */
    /* class 4 does not interrupt class 5 */
    g_assert_cmpint(intr_level, ==, 0);
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, -1);
    /* a higher class nests */
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x61, false);
    g_assert_cmpint(intr_level, ==, 1);
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x61);
    wr(0xb0, 0);                                      /* EOI: 0x61 */
    g_assert_false(isr_has(0x61));
    g_assert_true(isr_has(0x52));
    wr(0xb0, 0);                                      /* EOI: 0x52 */
    g_assert_cmphex(rd(0xa0), ==, 0);
    g_assert_cmpint(intr_level, ==, 1);
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x41);
    wr(0xb0, 0);
    g_assert_cmpint(n_eoi, ==, 0);                    /* edge: no broadcast */
}

static void test_tpr(void)
{
    setup();
    wr(0x80, 0x60);
    g_assert_cmphex(rd(0xa0), ==, 0x60);
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x65, false);
    g_assert_cmpint(intr_level, ==, 0);               /* same class as TPR: held */
    g_assert_cmpint(apic_get_tpr_cr8(apic), ==, 6);
    apic_set_tpr_cr8(apic, 5);                        /* CR8 = TPR[7:4] */
    g_assert_cmphex(rd(0x80), ==, 0x50);
    g_assert_cmpint(intr_level, ==, 1);
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x65);
    wr(0xb0, 0);
}

static void test_level_eoi_broadcast(void)
{
    setup();
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x71, true);
    g_assert_true(rd(0x180 + (0x71 >> 5) * 0x10) & (1u << (0x71 & 31)));   /* TMR */
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x71);
    wr(0xb0, 0);
    g_assert_cmpint(n_eoi, ==, 1);
    g_assert_cmpint(eoi_vectors[0], ==, 0x71);
}

static void test_timer_oneshot(void)
{
    setup();
    wr(0x3e0, 0xb);                                   /* divide by 1: 1 tick/ns */
    wr(0x320, 0x40);                                  /* one-shot, vector 0x40 */
    wr(0x380, 1000);
    clock_virtual_step(999);
    g_assert_false(irr_has(0x40));
    g_assert_cmpuint(rd(0x390), ==, 1);
    clock_virtual_step(1);
    g_assert_true(irr_has(0x40));
    g_assert_cmpuint(rd(0x390), ==, 0);
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x40);
    wr(0xb0, 0);
    clock_virtual_step(5000);
    g_assert_false(irr_has(0x40));                    /* fires once */
}

static void test_timer_divider(void)
{
    setup();
    wr(0x3e0, 0x3);                                   /* divide by 16 */
    wr(0x320, 0x10040);                               /* masked: counts, no interrupt */
    wr(0x380, 100);
    clock_virtual_step(160);
    g_assert_cmpuint(rd(0x390), ==, 90);
    wr(0x3e0, 0x0);                                   /* divide by 2 from here */
    g_assert_cmpuint(rd(0x390), ==, 90);
    clock_virtual_step(20);
    g_assert_cmpuint(rd(0x390), ==, 80);
    clock_virtual_step(200);
    g_assert_cmpuint(rd(0x390), ==, 0);
    g_assert_false(irr_has(0x40));
}

static void test_timer_periodic(void)
{
    setup();
    wr(0x3e0, 0x0);                                   /* divide by 2 */
    wr(0x320, 0x20045);                               /* periodic, vector 0x45 */
    wr(0x380, 500);                                   /* 1000 ns period */
    int fired = 0;
    for (int i = 0; i < 10; i++) {
        clock_virtual_step(500);
        if (irr_has(0x45)) {
            fired++;
            g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x45);
            wr(0xb0, 0);
        }
    }
    g_assert_cmpint(fired, ==, 5);
    g_assert_cmpuint(rd(0x390), ==, 500);             /* just reloaded */
    wr(0x380, 0);                                     /* stop */
    clock_virtual_step(5000);
    g_assert_false(irr_has(0x45));
}

static void test_self_ipi_and_esr(void)
{
    setup();
    wr(0x300, (1u << 18) | 0x33);                     /* fixed, shorthand self */
    g_assert_true(irr_has(0x33));
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x33);
    wr(0xb0, 0);
    wr(0x300, (1u << 18) | 0x05);                     /* illegal vector */
    g_assert_false(irr_has(0x05));
    g_assert_cmphex(rd(0x280), ==, 0);                /* not latched until written */
    wr(0x280, 0);
    g_assert_cmphex(rd(0x280), ==, 0x60);             /* send + receive illegal vector */
    wr(0x280, 0);
    g_assert_cmphex(rd(0x280), ==, 0);
    /* all-excluding-self reaches nobody on a one-CPU machine */
    wr(0x300, (3u << 18) | 0x34);
    g_assert_false(irr_has(0x34));
    /* physical destination by ID */
    wr(0x310, 0x00000000);
    wr(0x300, 0x35);
    g_assert_true(irr_has(0x35));
    wr(0x310, 0x05000000);
    wr(0x300, 0x36);
    g_assert_false(irr_has(0x36));
}

static void test_nmi_ipi(void)
{
    setup();
    __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
    wr(0x300, (1u << 18) | (APIC_DM_NMI << 8));
    g_assert_true(cpu->interrupt_request & CPU_INTERRUPT_NMI);
    __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
}

/* ICR delivery mode SMI (010b): the CPU gets SMI# if the machine has
 * SMM (cpu->smm_as), and nothing otherwise (-machine smm=off) */
static void test_smi_ipi(void)
{
    static AddressSpace smm_view;
    static MemoryRegion overlays;
    setup();
    __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_SMI, __ATOMIC_SEQ_CST);
    wr(0x300, (1u << 18) | (APIC_DM_SMI << 8));
    g_assert_false(cpu->interrupt_request & CPU_INTERRUPT_SMI);
    memory_region_init_container(&overlays, "smram", UINT64_MAX);
    address_space_init_memory_view(&smm_view, &overlays, "memory-smm");
    cpu->smm_as = &smm_view;
    wr(0x310, 0);                                     /* physical, APIC ID 0 */
    wr(0x300, APIC_DM_SMI << 8);
    g_assert_true(cpu->interrupt_request & CPU_INTERRUPT_SMI);
    __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_SMI, __ATOMIC_SEQ_CST);
    cpu->smm_as = NULL;
    address_space_destroy(&smm_view);
}

static void test_lint1_nmi(void)
{
    setup();
    __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
    apic_deliver_nmi(apic);                           /* LINT1 masked after reset */
    g_assert_false(cpu->interrupt_request & CPU_INTERRUPT_NMI);
    wr(0x360, APIC_DM_NMI << 8);                      /* as SeaBIOS/Linux program it */
    apic_deliver_nmi(apic);
    g_assert_true(cpu->interrupt_request & CPU_INTERRUPT_NMI);
    __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
    wr(0x360, 0x57);                                  /* fixed vector 0x57 instead */
    apic_deliver_nmi(apic);
    g_assert_true(irr_has(0x57));
    g_assert_false(cpu->interrupt_request & CPU_INTERRUPT_NMI);
}

static void test_init_ipi(void)
{
    setup();
    wr(0x20, 0x03000000);                             /* ID survives INIT */
    wr(0x80, 0x40);
    wr(0x320, 0x20040);
    wr(0x380, 1000);
    apic_bus_deliver(3, false, APIC_DM_FIXED, 0x61, false);
    /* INIT level de-assert (Linux's arbitration-ID sync): no effect */
    wr(0x300, (2u << 18) | (1u << 15) | (APIC_DM_INIT << 8));
    g_assert_cmphex(rd(0x80), ==, 0x40);
    g_assert_false(cpu->interrupt_request & CPU_INTERRUPT_INIT);
    /* INIT to self: APIC registers to power-on values, the CPU gets INIT */
    wr(0x300, (1u << 18) | (1u << 14) | (APIC_DM_INIT << 8));
    g_assert_true(cpu->interrupt_request & CPU_INTERRUPT_INIT);
    g_assert_cmphex(rd(0x20), ==, 0x03000000);
    g_assert_cmphex(rd(0x80), ==, 0);
    g_assert_cmphex(rd(0xf0), ==, 0xff);
    g_assert_cmphex(rd(0x320), ==, 0x10000);
    g_assert_cmpuint(rd(0x380), ==, 0);
    g_assert_false(irr_has(0x61));
    g_assert_cmphex(apic_get_base(apic), ==, 0xfee00900);
    /* the CPU side keeps x87 state, PAT and MTRRs, restarts at the reset vector */
    cpu->fpu.fcw = 0x27f;
    cpu->pat = 0x0606060606060606ull;
    cpu->mtrr_deftype = 0xc06;
    cpu->eip = 0x1234;
    cpu->regs[R_EAX] = 0x55;
    x86_cpu_do_init(cpu);
    g_assert_cmphex(cpu->fpu.fcw, ==, 0x27f);
    g_assert_cmphex(cpu->pat, ==, 0x0606060606060606ull);
    g_assert_cmphex(cpu->mtrr_deftype, ==, 0xc06);
    g_assert_cmphex(cpu->eip, ==, 0xfff0);
    g_assert_cmphex(cpu->segs[R_CS].base, ==, 0xffff0000);
    g_assert_cmphex(cpu->regs[R_EAX], ==, 0);
    __atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_INIT, __ATOMIC_SEQ_CST);
    devices_reset_all();
}

static void test_logical_dest(void)
{
    setup();
    wr(0xd0, 0x02000000);                             /* LDR: bit 1 */
    apic_bus_deliver(0x01, true, APIC_DM_FIXED, 0x50, false);
    g_assert_false(irr_has(0x50));
    apic_bus_deliver(0x03, true, APIC_DM_FIXED, 0x51, false);
    g_assert_true(irr_has(0x51));
    apic_bus_deliver(0x02, true, APIC_DM_LOWEST, 0x52, false);
    g_assert_true(irr_has(0x52));
    wr(0xe0, 0x0fffffff);                             /* cluster model */
    wr(0xd0, 0x12000000);                             /* cluster 1, member bit 1 */
    apic_bus_deliver(0x22, true, APIC_DM_FIXED, 0x53, false);
    g_assert_false(irr_has(0x53));
    apic_bus_deliver(0x12, true, APIC_DM_FIXED, 0x54, false);
    g_assert_true(irr_has(0x54));
}

static void test_extint_and_disable(void)
{
    devices_reset_all();
    pic_acks = 0;
    /* power-on: the 8259 reaches the CPU through LINT0 (ExtINT) even
     * while the APIC is software-disabled */
    apic_set_pic_intr(apic, 1);
    g_assert_cmpint(intr_level, ==, 1);
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x20);
    g_assert_cmpint(pic_acks, ==, 1);
    /* software-disabled: fixed interrupts are not presented */
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x41, false);
    apic_set_pic_intr(apic, 0);
    g_assert_cmpint(intr_level, ==, 0);
    /* masking LINT0 cuts the 8259 off */
    wr(0xf0, 0x1ff);
    g_assert_cmpint(intr_level, ==, 1);               /* 0x41 now presented */
    g_assert_cmpint(apic_get_interrupt(apic, pic_ack, NULL), ==, 0x41);
    wr(0x350, 0x10700);
    apic_set_pic_intr(apic, 1);
    g_assert_cmpint(intr_level, ==, 0);
    /* clearing SVR.enable masks every LVT and they stay masked */
    wr(0xf0, 0xff);
    wr(0x320, 0x40);
    g_assert_cmphex(rd(0x320), ==, 0x10040);
    /* global disable: registers reset, MMIO gone, INTR is the 8259's */
    g_assert_true(apic_set_base(apic, 0xfee00000));
    g_assert_cmpint(intr_level, ==, 1);
    g_assert_cmphex(rd(0x30), !=, 0x00050014);        /* nothing decodes there now */
    /* an FSB-era APIC re-enables without a reset (SDM 10.4.3), in its
     * power-up state: registers decode again, SVR is 0xff (software off) */
    g_assert_true(apic_set_base(apic, 0xfee00800));
    g_assert_cmphex(rd(0x30), ==, 0x00050014);
    g_assert_cmphex(rd(0xf0), ==, 0xff);
    apic_set_pic_intr(apic, 0);
    devices_reset_all();
    g_assert_cmphex(rd(0x30), ==, 0x00050014);
}

static void test_relocation(void)
{
    devices_reset_all();
    g_assert_false(apic_set_base(apic, 0xfee00801));   /* reserved bit */
    g_assert_true(apic_set_base(apic, 0xfeb00800));
    g_assert_cmphex(apic_get_base(apic), ==, 0xfeb00900);   /* BSP is read-only */
    g_assert_cmphex(address_space_ld(&address_space_memory, 0xfeb00030, 4), ==, 0x00050014);
    g_assert_cmphex(rd(0x30), !=, 0x00050014);
    devices_reset_all();
    g_assert_cmphex(rd(0x30), ==, 0x00050014);
}

static void test_cpu_side(void)
{
    devices_reset_all();
    /* CPUID.1: EDX.APIC set while the APIC is enabled, initial ID in EBX[31:24] */
    cpu->regs[R_EAX] = 1;
    helper_cpuid(cpu);
    g_assert_true(cpu->regs[R_EDX] & (1u << 9));
    g_assert_cmphex(cpu->regs[R_EBX] >> 24, ==, 0);
    /* RDMSR/WRMSR IA32_APIC_BASE */
    cpu->regs[R_ECX] = 0x1b;
    helper_rdmsr(cpu);
    g_assert_cmphex(cpu->regs[R_EAX], ==, 0xfee00900);
    g_assert_cmphex(cpu->regs[R_EDX], ==, 0);
    /* CR8 <-> TPR */
    cpu_set_cr8(cpu, 9);
    g_assert_cmphex(rd(0x80), ==, 0x90);
    wr(0x80, 0x3f);
    g_assert_cmpuint(cpu_get_cr8(cpu), ==, 3);
    /* globally disabled: CPUID clears the APIC bit */
    g_assert_true(apic_set_base(apic, 0xfee00000));
    cpu->regs[R_EAX] = 1;
    helper_cpuid(cpu);
    g_assert_false(cpu->regs[R_EDX] & (1u << 9));
    devices_reset_all();
}

static void test_hostile_accesses(void)
{
    setup();
    /* unaligned, narrow and unknown registers: ignored or ESR, no crash */
    address_space_st(&address_space_memory, APIC + 0x81, 0xff, 1);
    address_space_st(&address_space_memory, APIC + 0x80, 0xff, 2);
    g_assert_cmphex(rd(0x80), ==, 0);
    (void)address_space_ld(&address_space_memory, APIC + 0x3f3, 1);
    for (unsigned off = 0; off < 0x1000; off += 0x10) {
        if (off != 0x300 && off != 0xb0 && off != 0x380 && off != 0x0f0 && off != 0x20) {
            wr(off, 0xffffffff);
        }
        (void)rd(off);
    }
    wr(0x280, 0);
    g_assert_true(rd(0x280) & 0x80);                  /* illegal register address */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_address_spaces_init();
    clock_virtual_set_manual(true);
    char *err = NULL;
    cpu = x86_cpu_new(NULL, &err);
    g_assert_nonnull(cpu);
    apic = device_create("apic", "id=0");
    apic_attach_cpu(apic, cpu);
    device_connect_gpio_out(apic, 0, irq_new(intr_handler, NULL, 0));
    apic_set_eoi_handler(eoi_handler, NULL);

    g_test_add_func("/apic/reset_values", test_reset_values);
    g_test_add_func("/apic/priority_and_eoi", test_priority_and_eoi);
    g_test_add_func("/apic/tpr", test_tpr);
    g_test_add_func("/apic/level_eoi_broadcast", test_level_eoi_broadcast);
    g_test_add_func("/apic/timer_oneshot", test_timer_oneshot);
    g_test_add_func("/apic/timer_divider", test_timer_divider);
    g_test_add_func("/apic/timer_periodic", test_timer_periodic);
    g_test_add_func("/apic/self_ipi_and_esr", test_self_ipi_and_esr);
    g_test_add_func("/apic/nmi_ipi", test_nmi_ipi);
    g_test_add_func("/apic/smi_ipi", test_smi_ipi);
    g_test_add_func("/apic/lint1_nmi", test_lint1_nmi);
    g_test_add_func("/apic/init_ipi", test_init_ipi);
    g_test_add_func("/apic/logical_dest", test_logical_dest);
    g_test_add_func("/apic/extint_and_disable", test_extint_and_disable);
    g_test_add_func("/apic/relocation", test_relocation);
    g_test_add_func("/apic/cpu_side", test_cpu_side);
    g_test_add_func("/apic/hostile_accesses", test_hostile_accesses);
    return g_test_run();
}
