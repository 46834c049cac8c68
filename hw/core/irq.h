/*
 * IRQ lines.  A line is (handler, opaque, n): the device that drives it
 * calls irq_set() and never knows who listens (8259, IOAPIC, a qtest
 * intercept).  Lines are allocated once and never freed while the machine
 * lives.
 */
#ifndef HW_CORE_IRQ_H
#define HW_CORE_IRQ_H

typedef void (*IRQHandler)(void *opaque, int n, int level);
typedef struct IRQLine *IRQ;

struct IRQLine {
    IRQHandler handler;
    void *opaque;
    int n;
    /* set by irq_intercept(): a qtest hook sees the level instead */
    IRQHandler intercept;
    void *intercept_opaque;
    int intercept_n;
};

IRQ irq_new(IRQHandler handler, void *opaque, int n);
/* Allocate n lines with numbers 0..n-1 sharing handler/opaque. */
IRQ *irq_new_array(IRQHandler handler, void *opaque, int n);
void irq_set(IRQ irq, int level);        /* irq may be NULL: nothing happens */
static inline void irq_raise(IRQ irq) { irq_set(irq, 1); }
static inline void irq_lower(IRQ irq) { irq_set(irq, 0); }
static inline void irq_pulse(IRQ irq) { irq_set(irq, 1); irq_set(irq, 0); }
/* Route the line to another handler (qtest irq_intercept_*). */
void irq_intercept(IRQ irq, IRQHandler handler, void *opaque, int n);

#endif
