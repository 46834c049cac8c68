/*
 * Local APIC (xAPIC, Intel SDM vol. 3 ch. 10) as device "apic", one per CPU.
 *
 * gpio out 0: the CPU's INTR input (an accepted vector above PPR, or the
 * 8259's INTR when LINT0 is ExtINT or the APIC is globally disabled).
 * The machine feeds the 8259's INTR in with apic_set_pic_intr() and takes
 * INTA through apic_get_interrupt(); the IOAPIC delivers messages with
 * apic_bus_deliver() and hears level-triggered EOIs through its handler.
 */
#ifndef HW_INTC_APIC_H
#define HW_INTC_APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/device.h"
#include "target/x86/cpu.h"

#define APIC_DEFAULT_ADDRESS  0xfee00000u
/* MSR IA32_APIC_BASE bits */
#define APIC_BASE_BSP         (1u << 8)
#define APIC_BASE_EXTD        (1u << 10)   /* x2APIC mode */
#define APIC_BASE_ENABLE      (1u << 11)
/* The x2APIC broadcast destination (0xff in the xAPIC message format) */
#define APIC_BROADCAST        0xffffffffu

/* Delivery modes (ICR, LVT, IOAPIC redirection entries) */
enum {
    APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
    APIC_DM_INIT = 5, APIC_DM_SIPI = 6, APIC_DM_EXTINT = 7,
};

/* Ties the APIC to its CPU (NMI/INIT/SMI requests, CR8) and records it as
 * cpu->apic. */
void apic_attach_cpu(Device *apic, X86CPU *cpu);
/* The 8259's INTR output, seen at LINT0. */
void apic_set_pic_intr(Device *apic, int level);
/* INTA: the vector the CPU takes (IRR -> ISR), or from the 8259 through
 * ExtINT; -1 when nothing is deliverable any more. */
int apic_get_interrupt(Device *apic, int (*pic_ack)(void *opaque), void *pic_opaque);

/* An NMI at the LINT1 pin (the board's NMI source, e.g. a monitor "nmi"):
 * delivered as LVT LINT1 says (NMI after firmware set-up); with the APIC
 * globally disabled LINT1 is the plain NMI pin. */
void apic_deliver_nmi(Device *apic);

/* IA32_APIC_BASE; apic_set_base returns false for a value the CPU must
 * answer with #GP (reserved bits, re-enabling after a global disable). */
uint64_t apic_get_base(Device *apic);
bool apic_set_base(Device *apic, uint64_t val);
/* RDMSR/WRMSR of the x2APIC registers (0x800-0x8ff, in x2APIC mode) and
 * of IA32_TSC_DEADLINE (0x6e0, when CPUID offers it); false: the
 * instruction raises #GP (no such register, read-only or write-only,
 * reserved bits set, not in x2APIC mode). */
#define MSR_TSC_DEADLINE      0x6e0
#define MSR_X2APIC_FIRST      0x800
#define MSR_X2APIC_LAST       0x8ff
bool apic_msr_read(Device *apic, uint32_t msr, uint64_t *val);
bool apic_msr_write(Device *apic, uint32_t msr, uint64_t val);
/* TPR[7:4] as CR8 */
void apic_set_tpr_cr8(Device *apic, uint8_t cr8);
uint8_t apic_get_tpr_cr8(Device *apic);

/* An interrupt message on the APIC bus (IOAPIC, MSI): every APIC that
 * matches dest/dest_mode accepts it; lowest priority picks one. */
void apic_bus_deliver(uint8_t dest, bool logical, int delivery_mode, uint8_t vector,
                      bool level_trig);
/* Called with the vector of every EOI of a level-triggered interrupt (TMR
 * set): the IOAPIC clears the matching remote IRR. */
void apic_set_eoi_handler(void (*fn)(void *opaque, uint8_t vector), void *opaque);

/* For "info lapic". */
void apic_print_info(Device *apic, GString *out);

#endif
