/*
 * Fuzz the q35 machine's guest-facing parsers: the MCH (PCIEXBAR and the
 * MMCONFIG window, PAM, SMRAM/ESMRAMC/TSEG, F_SMBASE), the ICH9 LPC
 * (PIRQ routing, PMBASE/ACPI_CNTL and the PM block, SMI_EN, the APM port,
 * RCBA), and behind them the Intel VT-d unit (its registers, the root,
 * context, page and interrupt-remapping tables and the invalidation
 * queue it reads from guest RAM) with edu doing DMA and raising INTx/MSI
 * through it.  The input is a list of records, op(1) addr(4) value(4):
 * port and MMIO accesses aimed at those devices, writes that build
 * tables in RAM, and virtual clock steps (edu's DMA completes on a
 * timer).  Nothing may crash, hang or touch host memory outside guest RAM.
 */
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "q35";

#define VTD         0xfed90000u
#define EDU_BAR     0xe0000000u
#define EDU_DEVFN   (3 << 3)
#define LPC_DEVFN   (31 << 3)
#define MMCFG       0xb0000000u
#define TABLES      0x100000u       /* where inputs build their tables (1 MiB up) */

static void cfg_writel(int devfn, int reg, uint32_t v)
{
    address_space_st(&address_space_io, 0xcf8, 0x80000000u | devfn << 8 | reg, 4);
    address_space_st(&address_space_io, 0xcfc, v, 4);
}

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    static MachineConfig cfg;
    cfg.ram_size = 16 << 20;
    cfg.bios_path = fuzz_write_bios();
    cfg.smp = 1;
    cfg.boot_order = "cad";
    cfg.boot_menu_timeout_ms = -1;
    cfg.smm = true;
    cfg.q35 = true;
    pc_machine_init(&cfg);
    GError *err = NULL;
    Device *iommu = device_new("intel-iommu", &err);
    Device *edu = iommu && device_realize(iommu, &err) ? device_new("edu", &err) : NULL;
    if (!edu || !device_set_props_str(edu, "addr=3", &err) || !device_realize(edu, &err)) {
        fprintf(stderr, "fuzz-q35: %s\n", err ? err->message : "cannot create the devices");
        abort();
    }
    pc_machine_done();
}

/* After each reset: what firmware would have set up, so inputs start
 * where the interesting code is (they can undo any of it). */
static void fuzz_firmware(void)
{
    cfg_writel(0, 0x60, MMCFG | 1);                     /* MMCONFIG on */
    cfg_writel(LPC_DEVFN, 0x40, 0x600);                 /* PMBASE */
    cfg_writel(LPC_DEVFN, 0x44, 0x80);                  /* ACPI_EN */
    cfg_writel(LPC_DEVFN, 0x60, 0x0b0b0a0a);            /* PIRQA-D */
    cfg_writel(LPC_DEVFN, 0x68, 0x0b0b0a0a);            /* PIRQE-H */
    cfg_writel(EDU_DEVFN, 0x10, EDU_BAR);
    cfg_writel(EDU_DEVFN, 0x04, 0x0006);                /* memory, bus master */
}

static uint64_t fuzz_mem_addr(uint32_t a)
{
    switch (a >> 29) {
    case 0: return VTD + (a & 0xfff);                   /* VT-d registers */
    case 1: return EDU_BAR + (a & 0xfffff);             /* edu */
    case 2: return MMCFG + (a & 0xffffff);              /* MMCONFIG, buses 0-15 */
    case 3: return TABLES + (a & 0xfffff);              /* tables, queues, buffers */
    case 4: return 0xfee00000u + (a & 0xfff);           /* the local APIC */
    case 5: return 0xa0000 + (a & 0x1ffff);             /* SMRAM/VGA window */
    case 6: return (16 << 20) - 0x1000000 + (a & 0xffffff);    /* TSEG (top of RAM) */
    default: return a;                                  /* anywhere */
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    pc_machine_reset();
    fuzz_firmware();
    for (size_t i = 0; i + 9 <= size; i += 9) {
        uint8_t op = data[i];
        uint32_t addr, val;
        memcpy(&addr, data + i + 1, 4);
        memcpy(&val, data + i + 5, 4);
        unsigned sz = 1u << ((op >> 1) & 3);       /* 1, 2, 4, 8 */
        switch (op >> 5) {
        case 0:
            /* the chipset's ports: PCI config, PM block, APM, ELCR, RST_CNT */
            {
                static const uint16_t hot[] = { 0xcf8, 0xcfc, 0xcfd, 0xcfe, 0x600, 0x602,
                                                0x604, 0x608, 0x620, 0x628, 0x630, 0x634,
                                                0xb2, 0xb3, 0x4d0, 0x4d1 };
                uint16_t port = hot[addr % G_N_ELEMENTS(hot)];
                sz = MIN(sz, 4);
                if (op & 1) {
                    address_space_st(&address_space_io, port, val, sz);
                } else {
                    address_space_ld(&address_space_io, port, sz);
                }
            }
            break;
        case 1:
            /* a config write to one of the three functions */
            {
                static const int fn[] = { 0, LPC_DEVFN, EDU_DEVFN };
                cfg_writel(fn[(addr & 0xff) % 3], (addr >> 8) & 0xfc, val);
            }
            break;
        case 2: case 3: case 4: case 5:
            if (op & 1) {
                address_space_st(&address_space_memory, fuzz_mem_addr(addr), val, sz);
            } else {
                address_space_ld(&address_space_memory, fuzz_mem_addr(addr), sz);
            }
            break;
        case 6:
            /* a 64-bit table entry in RAM (addresses pointing back into it) */
            {
                uint64_t e = ((uint64_t)val << 32) | (TABLES + (val & 0xff000)) | (addr & 0xfff);
                address_space_st(&address_space_memory, TABLES + (addr & 0xffff8 & 0xfffff), e, 8);
            }
            break;
        default:
            clock_virtual_step((val & 0xfffff) * 1000);   /* up to ~1 s: edu's DMA */
            break;
        }
    }
}
