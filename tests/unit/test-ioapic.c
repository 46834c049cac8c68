/*
 * IOAPIC (hw/intc/ioapic.c, 82093AA datasheet, version 0x20 as QEMU's
 * pc): IOREGSEL/IOWIN, ID and version registers, redirection entries and
 * their read-only bits, edge and level delivery into a real local APIC,
 * remote IRR cleared by the APIC's EOI broadcast or the EOI register, and
 * redelivery of a level still asserted.
 */
#include <glib.h>

#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"
#include "tests/unit/pc-test-util.h"
#include "hw/core/timer.h"

#define IOAPIC 0xfec00000u
#define APIC 0xfee00000u

static Device *apic, *ioapic;
static int intr_level;

static void intr_handler(void *opaque, int n, int level) { intr_level = level; }

static uint32_t ioread(uint8_t reg)
{
    address_space_st(&address_space_memory, IOAPIC, reg, 4);
    return address_space_ld(&address_space_memory, IOAPIC + 0x10, 4);
}

static void iowrite(uint8_t reg, uint32_t v)
{
    address_space_st(&address_space_memory, IOAPIC, reg, 4);
    address_space_st(&address_space_memory, IOAPIC + 0x10, v, 4);
}

static void set_rte(int pin, uint64_t v)
{
    iowrite(0x11 + 2 * pin, v >> 32);
    iowrite(0x10 + 2 * pin, (uint32_t)v);
}

static uint64_t get_rte(int pin)
{
    return ((uint64_t)ioread(0x11 + 2 * pin) << 32) | ioread(0x10 + 2 * pin);
}

static uint32_t apic_rd(unsigned off) { return address_space_ld(&address_space_memory, APIC + off, 4); }
static void apic_wr(unsigned off, uint32_t v) { address_space_st(&address_space_memory, APIC + off, v, 4); }
static bool irr_has(int v) { return apic_rd(0x200 + (v >> 5) * 0x10) & (1u << (v & 31)); }

static int ack(void)
{
    return apic_get_interrupt(apic, NULL, NULL);
}

static void setup(void)
{
    devices_reset_all();
    apic_wr(0xf0, 0x1ff);
}

static void pin(int n, int level)
{
    irq_set(device_get_gpio_in(ioapic, n), level);
}

static void test_registers(void)
{
    setup();
    g_assert_cmphex(ioread(0x01), ==, 0x00170020);    /* version 0x20, 24 entries */
    g_assert_cmphex(ioread(0x00), ==, 0);
    iowrite(0x00, 0x0a000000);
    g_assert_cmphex(ioread(0x00), ==, 0x0a000000);
    g_assert_cmphex(ioread(0x02), ==, 0x0a000000);    /* arbitration ID */
    iowrite(0x01, 0);                                 /* version is read-only */
    g_assert_cmphex(ioread(0x01), ==, 0x00170020);
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        g_assert_cmphex(get_rte(i), ==, 0x10000);     /* masked after reset */
    }
    /* delivery status (12) and remote IRR (14) are read-only */
    set_rte(5, 0xff0000000001ff31ull);
    g_assert_cmphex(get_rte(5), ==, 0xff0000000001af31ull);
    g_assert_cmphex(ioread(0x10 + 2 * IOAPIC_NUM_PINS), ==, 0xffffffff);   /* no such entry */
    g_assert_cmphex(address_space_ld(&address_space_memory, IOAPIC, 4), ==,
                    0x10 + 2 * IOAPIC_NUM_PINS);      /* IOREGSEL reads back */
}

static void test_edge(void)
{
    setup();
    set_rte(2, 0x30);                                 /* fixed, physical dest 0, edge */
    pin(2, 1);
    g_assert_true(irr_has(0x30));
    g_assert_cmpint(intr_level, ==, 1);
    g_assert_cmpint(ack(), ==, 0x30);
    apic_wr(0xb0, 0);
    pin(2, 1);                                        /* no new edge */
    g_assert_false(irr_has(0x30));
    pin(2, 0);
    pin(2, 1);
    g_assert_true(irr_has(0x30));
    g_assert_cmpint(ack(), ==, 0x30);
    apic_wr(0xb0, 0);
    pin(2, 0);
    /* masked: edges are dropped */
    set_rte(2, 0x10030);
    pin(2, 1);
    pin(2, 0);
    g_assert_false(irr_has(0x30));
    /* another destination ID: nobody accepts */
    set_rte(3, 0x0100000000000031ull);
    pin(3, 1);
    pin(3, 0);
    g_assert_false(irr_has(0x31));
}

static void test_level_remote_irr(void)
{
    setup();
    set_rte(16, 0xa040);                              /* level, active low, vector 0x40 */
    pin(16, 1);
    g_assert_true(get_rte(16) & (1u << 14));          /* remote IRR */
    g_assert_cmpint(ack(), ==, 0x40);
    g_assert_true(apic_rd(0x180 + 0x20) & 1);         /* TMR bit for 0x40 */
    /* no redelivery while remote IRR is set */
    pin(16, 0);
    pin(16, 1);
    g_assert_false(irr_has(0x40));
    /* EOI at the local APIC: remote IRR cleared, still asserted -> again */
    apic_wr(0xb0, 0);
    g_assert_true(irr_has(0x40));
    g_assert_true(get_rte(16) & (1u << 14));
    g_assert_cmpint(ack(), ==, 0x40);
    pin(16, 0);
    apic_wr(0xb0, 0);
    g_assert_false(get_rte(16) & (1u << 14));
    g_assert_false(irr_has(0x40));
    /* the IOAPIC's own EOI register (version 0x20) */
    pin(16, 1);
    g_assert_cmpint(ack(), ==, 0x40);
    pin(16, 0);
    address_space_st(&address_space_memory, IOAPIC + 0x40, 0x40, 4);
    g_assert_false(get_rte(16) & (1u << 14));
    apic_wr(0xb0, 0);
    /* unmasking an asserted level pin delivers */
    set_rte(17, 0x1a041);
    pin(17, 1);
    g_assert_false(irr_has(0x41));
    set_rte(17, 0xa041);
    g_assert_true(irr_has(0x41));
    pin(17, 0);
}

static void test_logical_lowest(void)
{
    setup();
    apic_wr(0xd0, 0x01000000);                        /* LDR bit 0 */
    set_rte(4, 0x0100000000000950ull);                /* lowest priority, logical 0x01 */
    pin(4, 1);
    pin(4, 0);
    g_assert_true(irr_has(0x50));
}

static void test_hostile(void)
{
    setup();
    for (unsigned r = 0; r < 256; r++) {
        iowrite(r, 0xffffffff);
        (void)ioread(r);
    }
    address_space_st(&address_space_memory, IOAPIC + 0x20, 1, 4);
    (void)address_space_ld(&address_space_memory, IOAPIC + 0x30, 4);
    irq_set(device_get_gpio_in(ioapic, 23), 1);
    irq_set(device_get_gpio_in(ioapic, 23), 0);
    devices_reset_all();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_address_spaces_init();
    clock_virtual_set_manual(true);
    apic = device_create("apic", "id=0");
    device_connect_gpio_out(apic, 0, irq_new(intr_handler, NULL, 0));
    ioapic = device_create("ioapic", "");

    g_test_add_func("/ioapic/registers", test_registers);
    g_test_add_func("/ioapic/edge", test_edge);
    g_test_add_func("/ioapic/level_remote_irr", test_level_remote_irr);
    g_test_add_func("/ioapic/logical_lowest", test_logical_lowest);
    g_test_add_func("/ioapic/hostile", test_hostile);
    return g_test_run();
}
