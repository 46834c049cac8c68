/*
 * The two 8237A DMA controllers of the PC (8-bit channels 0-3 at 0x00-0x0f,
 * 16-bit channels 4-7 at 0xc0-0xdf) and their page registers (0x80-0x8f).
 *
 * Register file only: address/count registers with the byte flip-flop,
 * mode, mask, request and status, master clear.  No device performs ISA
 * DMA yet (floppy and SB16 would), so no transfers happen; that is a known
 * gap.  Port 0x80 (POST code / I/O delay) is a page register, harmless.
 */
#include <string.h>

#include "hw/core/device.h"
#include "hw/isa/isa.h"
#include "util/log.h"

typedef struct DMAController {
    uint16_t base_addr[4], base_count[4];
    uint16_t cur_addr[4], cur_count[4];
    uint8_t mode[4];
    uint8_t mask;
    uint8_t request;
    uint8_t status;
    uint8_t command;
    uint8_t temp;
    bool flip_flop;
    int shift;          /* 0: 8-bit controller (ports 1 apart), 1: 16-bit (2 apart) */
    MemoryRegion io;
} DMAController;

typedef struct DMAState {
    Device dev;
    DMAController ctl[2];
    uint8_t page[16];
    MemoryRegion page_io;
} DMAState;

static void dma_master_clear(DMAController *c)
{
    c->command = 0;
    c->status = 0;
    c->request = 0;
    c->temp = 0;
    c->flip_flop = false;
    c->mask = 0x0f;
}

static uint64_t dma_read(void *opaque, hwaddr addr, unsigned size)
{
    DMAController *c = opaque;
    int reg = addr >> c->shift;
    if (reg < 8) {
        int ch = reg >> 1;
        uint16_t v = (reg & 1) ? c->cur_count[ch] : c->cur_addr[ch];
        uint8_t b = c->flip_flop ? v >> 8 : v & 0xff;
        c->flip_flop = !c->flip_flop;
        return b;
    }
    switch (reg) {
    case 8: {                       /* status: reading clears TC bits */
        uint8_t v = c->status | (c->request << 4);
        c->status &= 0xf0;
        return v;
    }
    case 13: return c->temp;
    case 15: return c->mask | 0xf0;
    default: return 0xff;
    }
}

static void dma_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    DMAController *c = opaque;
    uint8_t val = val64;
    int reg = addr >> c->shift;
    if (reg < 8) {
        int ch = reg >> 1;
        uint16_t *base = (reg & 1) ? &c->base_count[ch] : &c->base_addr[ch];
        uint16_t *cur = (reg & 1) ? &c->cur_count[ch] : &c->cur_addr[ch];
        *base = c->flip_flop ? (*base & 0xff) | (val << 8) : (*base & 0xff00) | val;
        *cur = *base;
        c->flip_flop = !c->flip_flop;
        return;
    }
    switch (reg) {
    case 8: c->command = val; break;
    case 9:                         /* request register */
        if (val & 4) {
            c->request |= 1 << (val & 3);
        } else {
            c->request &= ~(1 << (val & 3));
        }
        break;
    case 10:                        /* single mask bit */
        if (val & 4) {
            c->mask |= 1 << (val & 3);
        } else {
            c->mask &= ~(1 << (val & 3));
        }
        break;
    case 11: c->mode[val & 3] = val & 0xfc; break;
    case 12: c->flip_flop = false; break;
    case 13: dma_master_clear(c); break;
    case 14: c->mask = 0; break;
    case 15: c->mask = val & 0x0f; break;
    }
}

static const MemoryRegionOps dma_ops = {
    .read = dma_read,
    .write = dma_write,
    .min_access = 1,
    .max_access = 1,
};

static uint64_t page_read(void *opaque, hwaddr addr, unsigned size)
{
    DMAState *s = opaque;
    return s->page[addr & 15];
}

static void page_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    DMAState *s = opaque;
    s->page[addr & 15] = val;
}

static const MemoryRegionOps page_ops = {
    .read = page_read,
    .write = page_write,
    .min_access = 1,
    .max_access = 1,
};

static bool dma_realize(Device *dev, GError **errp)
{
    DMAState *s = DEVICE_CAST(DMAState, dev);
    s->ctl[0].shift = 0;
    s->ctl[1].shift = 1;
    isa_register_ioport(&s->ctl[0].io, &dma_ops, &s->ctl[0], "dma-chan", 0x00, 16);
    isa_register_ioport(&s->ctl[1].io, &dma_ops, &s->ctl[1], "dma-cont", 0xc0, 32);
    isa_register_ioport(&s->page_io, &page_ops, s, "dma-page", 0x80, 16);
    return true;
}

static void dma_reset(Device *dev)
{
    DMAState *s = DEVICE_CAST(DMAState, dev);
    for (int i = 0; i < 2; i++) {
        dma_master_clear(&s->ctl[i]);
    }
}

static const DeviceClass i8257_class = {
    .name = "i8257",
    .desc = "8237A ISA DMA controller pair (register file)",
    .bus = BUS_ISA,
    .instance_size = sizeof(DMAState),
    .realize = dma_realize,
    .reset = dma_reset,
};
DEVICE_REGISTER(i8257_class)
