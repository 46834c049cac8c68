/*
 * Shared set-up for the ISA device unit tests: 16 ISA IRQ lines whose
 * levels and rising edges the test observes, plus the port helpers of
 * pc-test-util.h.
 */
#ifndef TESTS_UNIT_ISA_TEST_UTIL_H
#define TESTS_UNIT_ISA_TEST_UTIL_H

#include <glib.h>

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/timer.h"
#include "hw/isa/isa.h"
#include "tests/unit/pc-test-util.h"

static int isa_irq_level[16];
static int isa_irq_edges[16];

static void isa_test_irq_handler(void *opaque, int n, int level)
{
    if (level && !isa_irq_level[n]) {
        isa_irq_edges[n]++;
    }
    isa_irq_level[n] = level;
}

/* Address spaces, observed ISA IRQs, manual virtual clock. */
static inline void isa_test_init(void)
{
    test_address_spaces_init();
    IRQ *irqs = irq_new_array(isa_test_irq_handler, NULL, 16);
    isa_set_irqs(irqs);                 /* copies the lines */
    g_free(irqs);
    clock_virtual_set_manual(true);
}

static inline void isa_test_clear_edges(void)
{
    for (int i = 0; i < 16; i++) {
        isa_irq_edges[i] = 0;
    }
}

#endif
