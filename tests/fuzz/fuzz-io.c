/*
 * Fuzz every device register the guest can reach: the input is a list of
 * port and memory accesses (including fw_cfg DMA descriptors placed in
 * RAM, PCI config cycles, PAM changes, PIT/RTC/UART/i8042 programming)
 * with the virtual clock stepped in between so device timers fire.
 * Each record: op(1) addr(4) value(4).
 */
#include <string.h>

#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "io";

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    fuzz_machine(16 << 20);
}

/* Memory windows worth hitting: low RAM and the BIOS area, the VGA/option
 * ROM hole, and the top of 4G where APIC/IOAPIC/HPET/BIOS live. */
static hwaddr fuzz_mem_addr(uint32_t a)
{
    switch (a >> 30) {
    case 0: return a & 0xfffff;
    case 1: return 0x100000 + (a & 0xfffff);
    case 2: return 0xfec00000 + (a & 0x3fffff);
    default: return a;
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    pc_machine_reset();
    for (size_t i = 0; i + 9 <= size; i += 9) {
        uint8_t op = data[i];
        uint32_t addr, val;
        memcpy(&addr, data + i + 1, 4);
        memcpy(&val, data + i + 5, 4);
        unsigned sz = 1u << ((op >> 1) & 3);       /* 1, 2, 4, 8 */
        switch (op >> 5) {
        case 0: case 1:
            if (sz > 4) {
                sz = 4;
            }
            if (op & 1) {
                address_space_st(&address_space_io, addr & 0xffff, val, sz);
            } else {
                address_space_ld(&address_space_io, addr & 0xffff, sz);
            }
            break;
        case 2: case 3: case 4:
            if (op & 1) {
                address_space_st(&address_space_memory, fuzz_mem_addr(addr), val, sz);
            } else {
                address_space_ld(&address_space_memory, fuzz_mem_addr(addr), sz);
            }
            break;
        case 5:
            /* aim at the ports guests program most: fw_cfg, PCI, PIT, RTC, UART, KBC */
            {
                static const uint16_t hot[] = { 0x510, 0x511, 0x514, 0x518, 0xcf8, 0xcfc,
                                                0x40, 0x43, 0x61, 0x70, 0x71, 0x3f8, 0x3f9,
                                                0x3fa, 0x3fb, 0x3fc, 0x60, 0x64, 0x20, 0x21,
                                                0xa0, 0xa1, 0x92, 0x4d0, 0xcf9 };
                uint16_t port = hot[addr % G_N_ELEMENTS(hot)];
                if (sz > 4) {
                    sz = 4;
                }
                address_space_st(&address_space_io, port, val, sz);
            }
            break;
        default:
            clock_virtual_step((val & 0xfffff) * 1000);   /* up to ~1 s */
            break;
        }
    }
}
