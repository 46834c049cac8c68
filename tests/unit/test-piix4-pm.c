/*
 * PIIX4 power management (00:01.3): config space as SeaBIOS finds and
 * programs it, the PM timer's rate on the virtual clock, TMR_STS and
 * PWRBTN_STS raising the SCI only when enabled, ACPI_ENABLE/DISABLE through
 * port 0xb2, SMI# from other APM commands once DEVACTB.APMC_EN is set
 * (a machine with SMM), S5 turning into a shutdown request, the GPE0 block, and
 * hostile accesses (odd sizes, read-only writes, relocation).
 */
#include <glib.h>

#include "hw/acpi/acpi.h"
#include "hw/core/timer.h"
#include "hw/isa/piix3.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/pci.h"
#include "pc-test-util.h"
#include "system/runstate.h"

extern ShutdownCause runstate_shutdown_req;

#define PM_DEVFN    PCI_DEVFN(1, 3)
#define PM          ACPI_PM_BASE
#define TMR_FREQ    3579545ull

static MemoryRegion ram, pci_mem, pci_hole;
static PCIDevice *pm;
static int sci_level;
static int sci_edges;
static int smi_edges, smi_level;

static void sci_handler(void *opaque, int n, int level)
{
    if (level && !sci_level) {
        sci_edges++;
    }
    sci_level = level;
}

static void smi_handler(void *opaque, int n, int level)
{
    if (level && !smi_level) {
        smi_edges++;
    }
    smi_level = level;
}

static void machine_init(void)
{
    test_address_spaces_init();
    memory_region_init_ram(&ram, "ram", 2 << 20);
    memory_region_add_subregion(address_space_memory.root, 0, &ram);
    memory_region_init_container(&pci_mem, "pci-memory", 1ull << 32);
    memory_region_init_alias(&pci_hole, "pci-hole", &pci_mem, 0, 1ull << 32);
    memory_region_add_subregion_overlap(address_space_memory.root, 0, &pci_hole, -1);
    PCIBus *bus = i440fx_init(address_space_memory.root, &ram, &pci_mem, NULL, NULL);
    piix3_init(bus, NULL);
    pm = piix4_pm_init(bus, irq_new(sci_handler, NULL, 0), irq_new(smi_handler, NULL, 0));
}

/* What SeaBIOS' piix4_pm_config_setup does once etc/table-loader exists. */
static void seabios_setup(void)
{
    devices_reset_all();
    pci_cfg_writeb(PM_DEVFN, PCI_INTERRUPT_LINE, 9);
    pci_cfg_writel(PM_DEVFN, 0x40, PM | 1);
    pci_cfg_writeb(PM_DEVFN, 0x80, 0x01);
    pci_cfg_writel(PM_DEVFN, 0x90, (PM + 0x100) | 1);
    pci_cfg_writeb(PM_DEVFN, 0xd2, 0x09);
    runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
}

static void test_config(void)
{
    devices_reset_all();
    g_assert_cmphex(pci_cfg_readw(PM_DEVFN, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(pci_cfg_readw(PM_DEVFN, PCI_DEVICE_ID), ==, 0x7113);
    g_assert_cmphex(pci_cfg_readw(PM_DEVFN, PCI_CLASS_DEVICE), ==, 0x0680);
    g_assert_cmphex(pci_cfg_readb(PM_DEVFN, PCI_INTERRUPT_PIN), ==, 1);
    /* base registers: I/O indicator set, nothing decoded yet */
    g_assert_cmphex(pci_cfg_readl(PM_DEVFN, 0x40), ==, 0x00000001);
    g_assert_cmphex(pci_cfg_readl(PM_DEVFN, 0x90), ==, 0x00000001);
    g_assert_cmphex(pci_cfg_readb(PM_DEVFN, 0x80), ==, 0);
    /* with an SMI# line, SMM is the firmware's to set up: APMC_EN clear */
    g_assert_cmphex(pci_cfg_readl(PM_DEVFN, 0x58) & (1u << 25), ==, 0);
    g_assert_cmphex(inl_(PM + ACPI_PM_TMR), ==, 0xffffffff);

    /* only bits 15:6 of PMBA are writable */
    pci_cfg_writel(PM_DEVFN, 0x40, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(PM_DEVFN, 0x40), ==, 0x0000ffc1);
    pci_cfg_writel(PM_DEVFN, 0x90, 0xffffffff);
    g_assert_cmphex(pci_cfg_readl(PM_DEVFN, 0x90), ==, 0x0000fff1);
}

static uint32_t tmr(void)
{
    return inl_(PM + ACPI_PM_TMR);
}

static void test_timer_rate(void)
{
    seabios_setup();
    clock_virtual_set(1000 * NANOSECONDS_PER_SECOND);
    uint32_t t0 = tmr();
    g_assert_cmphex(t0 >> 24, ==, 0);
    clock_virtual_step(NANOSECONDS_PER_SECOND);
    uint32_t t1 = tmr();
    g_assert_cmpuint((t1 - t0) & 0xffffff, ==, TMR_FREQ);
    /* 10 ms */
    clock_virtual_step(10 * 1000 * 1000);
    g_assert_cmpuint((tmr() - t1) & 0xffffff, ==, TMR_FREQ / 100);
    /* the value wraps at 24 bits and never shows bits above */
    clock_virtual_step(5 * NANOSECONDS_PER_SECOND);
    g_assert_cmphex(tmr() >> 24, ==, 0);
    /* byte reads see the same counter */
    uint32_t v = tmr();
    g_assert_cmphex(inb_(PM + ACPI_PM_TMR + 3), ==, 0);
    g_assert_cmphex(inb_(PM + ACPI_PM_TMR + 2), ==, (v >> 16) & 0xff);
    /* and writes are ignored */
    outl_(PM + ACPI_PM_TMR, 0);
    g_assert_cmphex(tmr(), ==, v);
}

/* ns until timer bit 23 next changes */
static int64_t ns_to_toggle(void)
{
    uint64_t now = tmr();
    uint64_t left = (1u << 23) - (now & ((1u << 23) - 1));
    return (int64_t)(left * NANOSECONDS_PER_SECOND / TMR_FREQ);
}

static void test_timer_sci(void)
{
    seabios_setup();
    clock_virtual_set(2000 * NANOSECONDS_PER_SECOND);
    g_assert_false(sci_level);
    /* ACPI mode through the SMI command port, as Linux does */
    outb_(ACPI_APM_CNT_PORT, ACPI_ENABLE_VALUE);
    g_assert_cmphex(inw_(PM + ACPI_PM1_CNT) & ACPI_PM1_CNT_SCI_EN, ==, ACPI_PM1_CNT_SCI_EN);
    g_assert_cmphex(inb_(ACPI_APM_CNT_PORT), ==, ACPI_ENABLE_VALUE);

    /* clear whatever is pending, enable the timer event */
    outw_(PM + ACPI_PM1_STS, 0xffff);
    outw_(PM + ACPI_PM1_EN, ACPI_BITMASK_TIMER);
    g_assert_false(sci_level);
    int64_t left = ns_to_toggle();
    g_assert_cmpint(left, >, 1000);
    clock_virtual_step(left - 1000);
    g_assert_false(sci_level);
    g_assert_cmphex(inw_(PM + ACPI_PM1_STS) & ACPI_BITMASK_TIMER, ==, 0);
    clock_virtual_step(2000);           /* the timer callback raises it */
    g_assert_true(sci_level);
    g_assert_cmphex(inw_(PM + ACPI_PM1_STS) & ACPI_BITMASK_TIMER, ==, ACPI_BITMASK_TIMER);
    /* level-triggered: stays up until the status is cleared */
    clock_virtual_step(1000);
    g_assert_true(sci_level);
    outw_(PM + ACPI_PM1_STS, ACPI_BITMASK_TIMER);
    g_assert_false(sci_level);
    /* the next half period (2^23 ticks, ~2.34 s) raises it again */
    clock_virtual_step((int64_t)((1ull << 23) * NANOSECONDS_PER_SECOND / TMR_FREQ) + 1000);
    g_assert_true(sci_level);
    outw_(PM + ACPI_PM1_STS, ACPI_BITMASK_TIMER);

    /* with TMR_EN clear the status still latches but no SCI */
    outw_(PM + ACPI_PM1_EN, 0);
    clock_virtual_step(3 * NANOSECONDS_PER_SECOND);
    g_assert_false(sci_level);
    g_assert_cmphex(inw_(PM + ACPI_PM1_STS) & ACPI_BITMASK_TIMER, ==, ACPI_BITMASK_TIMER);
    /* enabling it with the status pending raises the SCI at once */
    outw_(PM + ACPI_PM1_EN, ACPI_BITMASK_TIMER);
    g_assert_true(sci_level);
    /* ACPI_DISABLE leaves ACPI mode: no SCI */
    outb_(ACPI_APM_CNT_PORT, ACPI_DISABLE_VALUE);
    g_assert_cmphex(inw_(PM + ACPI_PM1_CNT) & ACPI_PM1_CNT_SCI_EN, ==, 0);
    g_assert_false(sci_level);
    outw_(PM + ACPI_PM1_EN, 0);
}

static void test_power_button(void)
{
    seabios_setup();
    outb_(ACPI_APM_CNT_PORT, ACPI_ENABLE_VALUE);
    outw_(PM + ACPI_PM1_STS, 0xffff);
    /* not enabled: status only */
    piix4_pm_power_button(pm);
    g_assert_cmphex(inw_(PM + ACPI_PM1_STS) & ACPI_BITMASK_PWRBTN, ==, ACPI_BITMASK_PWRBTN);
    g_assert_false(sci_level);
    outw_(PM + ACPI_PM1_STS, ACPI_BITMASK_PWRBTN);
    g_assert_cmphex(inw_(PM + ACPI_PM1_STS) & ACPI_BITMASK_PWRBTN, ==, 0);

    outw_(PM + ACPI_PM1_EN, ACPI_BITMASK_PWRBTN);
    int edges = sci_edges;
    piix4_pm_power_button(pm);
    g_assert_true(sci_level);
    g_assert_cmpint(sci_edges, ==, edges + 1);
    /* a byte write of 1 to the status' high byte clears PWRBTN_STS */
    outb_(PM + ACPI_PM1_STS + 1, ACPI_BITMASK_PWRBTN >> 8);
    g_assert_false(sci_level);
    g_assert_cmpint(runstate_shutdown_req, ==, SHUTDOWN_CAUSE_NONE);
}

static void test_s5(void)
{
    seabios_setup();
    outb_(ACPI_APM_CNT_PORT, ACPI_ENABLE_VALUE);
    /* SLP_TYP alone does nothing */
    outw_(PM + ACPI_PM1_CNT, ACPI_PM1_CNT_SCI_EN | (1 << ACPI_PM1_CNT_SLP_TYP_SHIFT));
    g_assert_cmpint(runstate_shutdown_req, ==, SHUTDOWN_CAUSE_NONE);
    /* an unsupported sleep state (S3 here) is ignored */
    outw_(PM + ACPI_PM1_CNT, ACPI_PM1_CNT_SCI_EN | (1 << ACPI_PM1_CNT_SLP_TYP_SHIFT) |
                             ACPI_PM1_CNT_SLP_EN);
    g_assert_cmpint(runstate_shutdown_req, ==, SHUTDOWN_CAUSE_NONE);
    /* SLP_EN is write-only */
    g_assert_cmphex(inw_(PM + ACPI_PM1_CNT) & ACPI_PM1_CNT_SLP_EN, ==, 0);
    /* S5 (the value \_S5 holds) is soft off */
    outw_(PM + ACPI_PM1_CNT, ACPI_PM1_CNT_SCI_EN |
                             (ACPI_SLP_TYP_S5 << ACPI_PM1_CNT_SLP_TYP_SHIFT) |
                             ACPI_PM1_CNT_SLP_EN);
    g_assert_cmpint(runstate_shutdown_req, ==, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
    /* the same through two byte writes (high byte carries SLP_EN) */
    outb_(PM + ACPI_PM1_CNT, ACPI_PM1_CNT_SCI_EN);
    outb_(PM + ACPI_PM1_CNT + 1, ACPI_PM1_CNT_SLP_EN >> 8);
    g_assert_cmpint(runstate_shutdown_req, ==, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
}

static void test_gpe_and_relocation(void)
{
    seabios_setup();
    /* GPE0: enable bits read back, status reads 0 and ignores writes */
    outw_(ACPI_GPE0_BASE + 2, 0x1234);
    g_assert_cmphex(inw_(ACPI_GPE0_BASE + 2), ==, 0x1234);
    g_assert_cmphex(inl_(ACPI_GPE0_BASE), ==, 0x12340000);
    outw_(ACPI_GPE0_BASE, 0xffff);
    g_assert_cmphex(inw_(ACPI_GPE0_BASE), ==, 0);
    g_assert_false(sci_level);

    /* moving PMBA moves the block; disabling PMIOSE unmaps it */
    uint16_t en = ACPI_BITMASK_PWRBTN;
    outw_(PM + ACPI_PM1_EN, en);
    pci_cfg_writel(PM_DEVFN, 0x40, 0xb000 | 1);
    g_assert_cmphex(inw_(0xb000 + ACPI_PM1_EN), ==, en);
    g_assert_cmphex(inw_(PM + ACPI_PM1_EN), ==, 0xffff);
    pci_cfg_writeb(PM_DEVFN, 0x80, 0);
    g_assert_cmphex(inw_(0xb000 + ACPI_PM1_EN), ==, 0xffff);
    /* reset restores the power-on state */
    devices_reset_all();
    g_assert_cmphex(pci_cfg_readl(PM_DEVFN, 0x40), ==, 0x00000001);
    seabios_setup();
    g_assert_cmphex(inw_(PM + ACPI_PM1_EN), ==, 0);
    g_assert_cmphex(inw_(PM + ACPI_PM1_CNT), ==, 0);
    /* at the very top of the I/O space; a dword read across the end */
    pci_cfg_writel(PM_DEVFN, 0x40, 0xffc0 | 1);
    g_assert_cmphex(inw_(0xffc0 + ACPI_PM1_EN), ==, 0);
    (void)inl_(0xfffe);
    outl_(0xfffe, 0xffffffff);
    pci_cfg_writel(PM_DEVFN, 0x40, PM | 1);
    /* accesses past the registers we model stay inside the block */
    for (unsigned off = 0; off < ACPI_PM_IO_SIZE; off++) {
        outb_(PM + off, 0xff);
        (void)inl_(PM + off);
    }
    g_assert_cmpint(runstate_shutdown_req, ==, SHUTDOWN_CAUSE_NONE);
}

/* APM commands raise SMI# only with DEVACTB.APMC_EN, as SeaBIOS' SMM
 * set-up expects; ACPI_ENABLE/DISABLE are done at once and never do */
static void test_apm_smi(void)
{
    seabios_setup();
    smi_edges = 0;
    outb_(ACPI_APM_CNT_PORT, 0x00);
    g_assert_cmpint(smi_edges, ==, 0);
    /* SeaBIOS' piix4_apmc_smm_setup: APMC_EN in the top byte of 0x58 */
    pci_cfg_writel(PM_DEVFN, 0x58, pci_cfg_readl(PM_DEVFN, 0x58) | (1u << 25));
    outb_(ACPI_APM_STS_PORT, 0x01);
    g_assert_cmpint(smi_edges, ==, 0);          /* the status port is data */
    outb_(ACPI_APM_CNT_PORT, 0x00);
    g_assert_cmpint(smi_edges, ==, 1);
    g_assert_cmpint(smi_level, ==, 0);          /* a pulse: the next one raises again */
    outb_(ACPI_APM_CNT_PORT, 0xb5);
    g_assert_cmpint(smi_edges, ==, 2);
    g_assert_cmphex(inb_(ACPI_APM_CNT_PORT), ==, 0xb5);
    g_assert_cmphex(inb_(ACPI_APM_STS_PORT), ==, 0x01);
    outb_(ACPI_APM_CNT_PORT, ACPI_ENABLE_VALUE);
    g_assert_cmpint(smi_edges, ==, 2);
    g_assert_cmphex(inw_(PM + ACPI_PM1_CNT) & ACPI_PM1_CNT_SCI_EN, !=, 0);
    outb_(ACPI_APM_CNT_PORT, ACPI_DISABLE_VALUE);
    g_assert_cmpint(smi_edges, ==, 2);
    g_assert_cmphex(inw_(PM + ACPI_PM1_CNT) & ACPI_PM1_CNT_SCI_EN, ==, 0);
    /* reset clears APMC_EN again */
    devices_reset_all();
    g_assert_cmphex(pci_cfg_readl(PM_DEVFN, 0x58) & (1u << 25), ==, 0);
    outb_(ACPI_APM_CNT_PORT, 0x00);
    g_assert_cmpint(smi_edges, ==, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    clock_virtual_set_manual(true);
    machine_init();
    g_test_add_func("/piix4-pm/config", test_config);
    g_test_add_func("/piix4-pm/timer-rate", test_timer_rate);
    g_test_add_func("/piix4-pm/timer-sci", test_timer_sci);
    g_test_add_func("/piix4-pm/power-button", test_power_button);
    g_test_add_func("/piix4-pm/s5", test_s5);
    g_test_add_func("/piix4-pm/gpe-relocation", test_gpe_and_relocation);
    g_test_add_func("/piix4-pm/apm-smi", test_apm_smi);
    return g_test_run();
}
