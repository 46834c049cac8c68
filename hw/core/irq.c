/* IRQ lines: see irq.h. */
#include "hw/core/irq.h"

#include <glib.h>

IRQ irq_new(IRQHandler handler, void *opaque, int n)
{
    IRQ irq = g_new0(struct IRQLine, 1);
    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
    return irq;
}

IRQ *irq_new_array(IRQHandler handler, void *opaque, int n)
{
    IRQ *a = g_new0(IRQ, n);
    for (int i = 0; i < n; i++) {
        a[i] = irq_new(handler, opaque, i);
    }
    return a;
}

void irq_set(IRQ irq, int level)
{
    if (!irq) {
        return;
    }
    if (irq->intercept) {
        irq->intercept(irq->intercept_opaque, irq->intercept_n, level);
    } else if (irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
}

void irq_intercept(IRQ irq, IRQHandler handler, void *opaque, int n)
{
    irq->intercept = handler;
    irq->intercept_opaque = opaque;
    irq->intercept_n = n;
}
