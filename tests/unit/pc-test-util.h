/*
 * Shared set-up for the chipset unit tests: the two address spaces, plus
 * little helpers for port I/O and PCI config mechanism #1.
 */
#ifndef TESTS_UNIT_PC_TEST_UTIL_H
#define TESTS_UNIT_PC_TEST_UTIL_H

#include "hw/core/memory.h"

/* The core may already have created the roots; give them one if not. */
static inline void test_address_spaces_init(void)
{
    static MemoryRegion sys, io;
    if (!address_space_memory.root) {
        memory_region_init_container(&sys, "system", UINT64_MAX);
        address_space_init(&address_space_memory, &sys, "memory");
    }
    if (!address_space_io.root) {
        memory_region_init_container(&io, "io", 0x10000);
        address_space_init(&address_space_io, &io, "I/O");
    }
}

static inline void outl_(uint16_t port, uint32_t v) { address_space_st(&address_space_io, port, v, 4); }
static inline void outw_(uint16_t port, uint16_t v) { address_space_st(&address_space_io, port, v, 2); }
static inline void outb_(uint16_t port, uint8_t v) { address_space_st(&address_space_io, port, v, 1); }
static inline uint32_t inl_(uint16_t port) { return address_space_ld(&address_space_io, port, 4); }
static inline uint16_t inw_(uint16_t port) { return address_space_ld(&address_space_io, port, 2); }
static inline uint8_t inb_(uint16_t port) { return address_space_ld(&address_space_io, port, 1); }

static inline uint32_t cfg_addr(int devfn, int reg)
{
    return 0x80000000u | (devfn << 8) | (reg & 0xfc);
}
static inline uint32_t pci_cfg_readl(int devfn, int reg)
{
    outl_(0xcf8, cfg_addr(devfn, reg));
    return inl_(0xcfc);
}
static inline uint16_t pci_cfg_readw(int devfn, int reg)
{
    outl_(0xcf8, cfg_addr(devfn, reg));
    return inw_(0xcfc + (reg & 2));
}
static inline uint8_t pci_cfg_readb(int devfn, int reg)
{
    outl_(0xcf8, cfg_addr(devfn, reg));
    return inb_(0xcfc + (reg & 3));
}
static inline void pci_cfg_writel(int devfn, int reg, uint32_t v)
{
    outl_(0xcf8, cfg_addr(devfn, reg));
    outl_(0xcfc, v);
}
static inline void pci_cfg_writew(int devfn, int reg, uint16_t v)
{
    outl_(0xcf8, cfg_addr(devfn, reg));
    outw_(0xcfc + (reg & 2), v);
}
static inline void pci_cfg_writeb(int devfn, int reg, uint8_t v)
{
    outl_(0xcf8, cfg_addr(devfn, reg));
    outb_(0xcfc + (reg & 3), v);
}

#endif
