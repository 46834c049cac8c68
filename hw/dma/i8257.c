/*
 * The two 8237A DMA controllers of the PC (8-bit channels 0-3 at 0x00-0x0f,
 * 16-bit channels 4-7 at 0xc0-0xdf) and their page registers (0x80-0x8f).
 *
 * Registers: address/count with the byte flip-flop, mode, mask, request,
 * status (TC and DREQ bits), command (controller disable), master clear.
 * Transfers (hw/dma/i8257.h): a device registers a handler for its channel
 * and holds DREQ; a bottom half then calls the handler while the channel
 * is unmasked, and the handler moves bytes between guest memory (the
 * system address space, every access bounds-checked there) and itself.
 * Single, block and demand modes all run as "as much as the device has",
 * which is what the floppy needs; memory-to-memory (channel 0/1) and
 * cascade chaining (channel 4 masking channels 0-3) are not modelled.
 * Port 0x80 (POST code / I/O delay) is a page register, harmless.
 */
#include <string.h>

#include "hw/core/device.h"
#include "hw/dma/i8257.h"
#include "hw/isa/isa.h"
#include "util/bh.h"
#include "util/log.h"

enum {
    DMA_MODE_VERIFY = 0x00,
    DMA_MODE_WRITE = 0x04,          /* device -> memory */
    DMA_MODE_READ = 0x08,           /* memory -> device */
    DMA_MODE_TYPE_MASK = 0x0c,
    DMA_MODE_AUTOINIT = 0x10,
    DMA_MODE_DECREMENT = 0x20,
    DMA_CMD_DISABLE = 0x04,
};

typedef struct DMAChannel {
    I8257TransferHandler *handler;
    void *opaque;
    bool dreq;
    int pos;                        /* bytes moved of the programmed block */
} DMAChannel;

typedef struct DMAController {
    struct I8257State *dma;
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

struct I8257State {
    Device dev;
    DMAController ctl[2];
    DMAChannel chan[8];
    uint8_t page[16];
    MemoryRegion page_io;
    AddressSpace *as;
    BH *bh;
    bool running;
};

/* Page register (offset from 0x80) of each channel. */
static const uint8_t dma_page_index[8] = { 7, 3, 1, 2, 15, 11, 9, 10 };

static DMAController *dma_ctl(I8257State *d, int nchan)
{
    return &d->ctl[nchan >> 2];
}

static void dma_schedule(I8257State *d)
{
    if (d->bh) {
        bh_schedule(d->bh);
    }
}

/* Reload the visible current registers from base + progress. */
static void dma_update_regs(I8257State *d, int nchan)
{
    DMAController *c = dma_ctl(d, nchan);
    int ch = nchan & 3;
    uint16_t units = d->chan[nchan].pos >> c->shift;
    c->cur_count[ch] = c->base_count[ch] - units;
    if (c->mode[ch] & DMA_MODE_DECREMENT) {
        c->cur_addr[ch] = c->base_addr[ch] - units;
    } else {
        c->cur_addr[ch] = c->base_addr[ch] + units;
    }
}

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
    case 8: {                       /* status: TC bits (cleared by the read), DREQs */
        int base = c == &c->dma->ctl[0] ? 0 : 4;
        uint8_t dreq = c->request;
        for (int i = 0; i < 4; i++) {
            if (c->dma->chan[base + i].dreq) {
                dreq |= 1 << i;
            }
        }
        uint8_t v = (c->status & 0x0f) | (dreq << 4);
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
    I8257State *d = c->dma;
    int base = c == &d->ctl[0] ? 0 : 4;
    uint8_t val = val64;
    int reg = addr >> c->shift;
    if (reg < 8) {
        int ch = reg >> 1;
        uint16_t *basep = (reg & 1) ? &c->base_count[ch] : &c->base_addr[ch];
        *basep = c->flip_flop ? (*basep & 0xff) | (val << 8) : (*basep & 0xff00) | val;
        c->flip_flop = !c->flip_flop;
        /* a new block: progress starts again from the new base */
        d->chan[base + ch].pos = 0;
        dma_update_regs(d, base + ch);
        return;
    }
    switch (reg) {
    case 8:
        c->command = val;
        break;
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
    case 11:
        c->mode[val & 3] = val & 0xfc;
        if ((val & DMA_MODE_TYPE_MASK) == DMA_MODE_TYPE_MASK) {
            vlog(LOG_GUEST_ERRORS, "i8257: channel %d: illegal transfer type in mode 0x%02x\n",
                 base + (val & 3), val);
        }
        break;
    case 12: c->flip_flop = false; break;
    case 13: dma_master_clear(c); break;
    case 14: c->mask = 0; break;
    case 15: c->mask = val & 0x0f; break;
    }
    dma_schedule(d);
}

static const MemoryRegionOps dma_ops = {
    .read = dma_read,
    .write = dma_write,
    .min_access = 1,
    .max_access = 1,
};

static uint64_t page_read(void *opaque, hwaddr addr, unsigned size)
{
    I8257State *s = opaque;
    return s->page[addr & 15];
}

static void page_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    I8257State *s = opaque;
    s->page[addr & 15] = val;
}

static const MemoryRegionOps page_ops = {
    .read = page_read,
    .write = page_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- transfers ---- */

static bool dma_chan_ok(I8257State *d, int nchan)
{
    return d && nchan >= 0 && nchan < 8;
}

static int dma_block_size(I8257State *d, int nchan)
{
    DMAController *c = dma_ctl(d, nchan);
    return ((int)c->base_count[nchan & 3] + 1) << c->shift;
}

/*
 * Copy len bytes at block offset pos to (is_write) or from guest memory.
 * The 8237 counts a 16-bit address inside the page: a block wraps at a
 * 64 KiB boundary (128 KiB for word channels) without carrying into the
 * page register, as on the real chip.  Decrement mode walks downwards
 * byte by byte (word channels: word by word, each word low byte first).
 */
static void dma_rw(I8257State *d, int nchan, uint8_t *buf, int pos, int len, bool is_write)
{
    DMAController *c = dma_ctl(d, nchan);
    int ch = nchan & 3;
    int shift = c->shift;
    uint32_t wrap = 0x10000u << shift;
    uint32_t page = shift ? (d->page[dma_page_index[nchan]] & 0xfe) << 16
                          : d->page[dma_page_index[nchan]] << 16;
    uint32_t start = (uint32_t)c->base_addr[ch] << shift;
    bool dec = c->mode[ch] & DMA_MODE_DECREMENT;

    if (!dec) {
        uint32_t off = (start + pos) & (wrap - 1);
        while (len > 0) {
            int n = MIN((uint32_t)len, wrap - off);
            if (is_write) {
                address_space_write(d->as, page + off, buf, n);
            } else {
                address_space_read(d->as, page + off, buf, n);
            }
            buf += n;
            len -= n;
            off = 0;
        }
        return;
    }
    int unit = 1 << shift;
    for (int i = 0; i < len; i++) {
        int p = pos + i;
        uint32_t off = (start - (uint32_t)(p >> shift) * unit + (p & (unit - 1))) & (wrap - 1);
        if (is_write) {
            address_space_write(d->as, page + off, buf + i, 1);
        } else {
            address_space_read(d->as, page + off, buf + i, 1);
        }
    }
}

int i8257_read_memory(I8257State *d, int nchan, void *buf, int pos, int len)
{
    if (!dma_chan_ok(d, nchan) || pos < 0 || len <= 0) {
        return 0;
    }
    int size = dma_block_size(d, nchan);
    if (pos >= size) {
        return 0;
    }
    len = MIN(len, size - pos);
    DMAController *c = dma_ctl(d, nchan);
    uint8_t type = c->mode[nchan & 3] & DMA_MODE_TYPE_MASK;
    if (type == DMA_MODE_READ) {
        dma_rw(d, nchan, buf, pos, len, false);
    } else {
        if (type != DMA_MODE_VERIFY) {
            vlog(LOG_GUEST_ERRORS, "i8257: channel %d: device reads memory but mode is 0x%02x\n",
                 nchan, c->mode[nchan & 3]);
        }
        memset(buf, 0, len);
    }
    return len;
}

int i8257_write_memory(I8257State *d, int nchan, const void *buf, int pos, int len)
{
    if (!dma_chan_ok(d, nchan) || pos < 0 || len <= 0) {
        return 0;
    }
    int size = dma_block_size(d, nchan);
    if (pos >= size) {
        return 0;
    }
    len = MIN(len, size - pos);
    DMAController *c = dma_ctl(d, nchan);
    uint8_t type = c->mode[nchan & 3] & DMA_MODE_TYPE_MASK;
    if (type == DMA_MODE_WRITE) {
        dma_rw(d, nchan, (uint8_t *)buf, pos, len, true);
    } else if (type != DMA_MODE_VERIFY) {
        vlog(LOG_GUEST_ERRORS, "i8257: channel %d: device writes memory but mode is 0x%02x\n",
             nchan, c->mode[nchan & 3]);
    }
    return len;
}

void i8257_register_channel(I8257State *d, int nchan, I8257TransferHandler *fn, void *opaque)
{
    if (!dma_chan_ok(d, nchan)) {
        return;
    }
    d->chan[nchan].handler = fn;
    d->chan[nchan].opaque = opaque;
}

void i8257_hold_dreq(I8257State *d, int nchan)
{
    if (!dma_chan_ok(d, nchan)) {
        return;
    }
    d->chan[nchan].dreq = true;
    dma_schedule(d);
}

void i8257_release_dreq(I8257State *d, int nchan)
{
    if (!dma_chan_ok(d, nchan)) {
        return;
    }
    d->chan[nchan].dreq = false;
}

/* One pass over the channels; true if a channel moved data and still wants more. */
static bool dma_run_once(I8257State *d)
{
    bool again = false;
    for (int n = 0; n < 8; n++) {
        DMAController *c = dma_ctl(d, n);
        int ch = n & 3;
        DMAChannel *chan = &d->chan[n];
        bool req = chan->dreq || (c->request & (1 << ch));
        if (!req || (c->mask & (1 << ch)) || (c->command & DMA_CMD_DISABLE) || !chan->handler) {
            continue;
        }
        int size = dma_block_size(d, n);
        int old = chan->pos;
        int pos = chan->handler(chan->opaque, n, old, size);
        if (pos < old || pos > size) {
            pos = pos < old ? old : size;
        }
        chan->pos = pos;
        if (pos >= size) {
            /* terminal count */
            c->status |= 1 << ch;
            c->request &= ~(1 << ch);
            if (c->mode[ch] & DMA_MODE_AUTOINIT) {
                chan->pos = 0;
            } else {
                c->mask |= 1 << ch;
                /* the count register shows 0xffff after TC */
                chan->pos = size;
            }
        }
        dma_update_regs(d, n);
        if (pos != old && (chan->dreq || (c->request & (1 << ch)))
            && !(c->mask & (1 << ch))) {
            again = true;
        }
    }
    return again;
}

static void dma_run(void *opaque)
{
    I8257State *d = opaque;
    if (d->running) {
        return;
    }
    d->running = true;
    /* bounded: a device that keeps its DREQ up gets more rounds later */
    for (int i = 0; i < 64 && dma_run_once(d); i++) {
    }
    d->running = false;
}

static bool dma_realize(Device *dev, GError **errp)
{
    I8257State *s = DEVICE_CAST(I8257State, dev);
    s->ctl[0].shift = 0;
    s->ctl[1].shift = 1;
    s->ctl[0].dma = s;
    s->ctl[1].dma = s;
    s->as = &address_space_memory;
    s->bh = bh_new(dma_run, s);
    isa_register_ioport(&s->ctl[0].io, &dma_ops, &s->ctl[0], "dma-chan", 0x00, 16);
    isa_register_ioport(&s->ctl[1].io, &dma_ops, &s->ctl[1], "dma-cont", 0xc0, 32);
    isa_register_ioport(&s->page_io, &page_ops, s, "dma-page", 0x80, 16);
    isa_set_dma(s);
    return true;
}

static void dma_reset(Device *dev)
{
    I8257State *s = DEVICE_CAST(I8257State, dev);
    for (int i = 0; i < 2; i++) {
        dma_master_clear(&s->ctl[i]);
    }
    for (int n = 0; n < 8; n++) {
        s->chan[n].pos = 0;
        dma_update_regs(s, n);
    }
}

static const DeviceClass i8257_class = {
    .name = "i8257",
    .desc = "8237A ISA DMA controller pair",
    .bus = BUS_ISA,
    .instance_size = sizeof(I8257State),
    .realize = dma_realize,
    .reset = dma_reset,
};
DEVICE_REGISTER(i8257_class)
