/*
 * ATA and ATAPI devices on an IDE channel (ATA/ATAPI-6; MMC-5 for the
 * CD-ROM packet commands): the task file, PIO and DMA data phases, the
 * ATA command set of a hard disk and the packet commands of a DVD-ROM.
 *
 * Data moves through the block layer asynchronously: a command that needs
 * the image sets BSY, issues a request, and its completion (main loop,
 * big lock) raises DRQ or ends the command.  One request per device is in
 * flight at a time; a reset or a DMA stop waits for it (bumping the
 * generation first so its completion is dropped).
 */
#include "hw/ide/ide.h"
#include "hw/core/iostats.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "block/blockdev.h"
#include "hw/core/bootdevice.h"
#include "hw/pci/pci.h"
#include "util/error.h"
#include "util/log.h"

#define CD_SECTOR 2048
#define ATAPI_PACKET 12

/* sense keys and additional sense codes (SPC/MMC) */
#define SENSE_NONE            0
#define SENSE_NOT_READY       2
#define SENSE_ILLEGAL_REQUEST 5
#define SENSE_UNIT_ATTENTION  6
#define ASC_INV_OPCODE        0x20
#define ASC_LBA_OUT_OF_RANGE  0x21
#define ASC_INV_FIELD_IN_CDB  0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x28
#define ASC_MEDIUM_NOT_PRESENT 0x3a
#define ASC_MEDIA_REMOVAL_PREVENTED 0x53

/* BMDMA status bits */
#define BM_STATUS_ACTIVE 0x01
#define BM_STATUS_ERROR  0x02
#define BM_STATUS_INT    0x04
#define BM_CMD_START     0x01

static GPtrArray *ide_buses;

IDEBus *ide_bus_find(const char *name)
{
    for (guint i = 0; ide_buses && i < ide_buses->len; i++) {
        IDEBus *b = ide_buses->pdata[i];
        if (!strcmp(b->name, name)) {
            return b;
        }
    }
    return NULL;
}

static inline IDEState *cur(IDEBus *bus)
{
    return &bus->ifs[bus->unit];
}

static void ide_set_irq(IDEBus *bus)
{
    bus->bm.status |= BM_STATUS_INT;
    if (!(bus->devctl & IDE_CTRL_NIEN)) {
        irq_raise(bus->irq);
        bus->irqs++;
    }
}

static unsigned sector_size(IDEState *s)
{
    return s->is_cd ? CD_SECTOR : 512;
}

/* ---- task file helpers ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ide_set_signature(IDEState *s)
{
    s->select &= ~0x0f;
    s->nsector = 1;
    s->sector = 1;
    if (s->is_cd) {
        s->lcyl = 0x14;
        s->hcyl = 0xeb;
    } else if (s->dev) {
        s->lcyl = 0;
        s->hcyl = 0;
    } else {
        s->lcyl = 0xff;
        s->hcyl = 0xff;
    }
}

static void ide_transfer_stop(IDEState *s)
{
    s->data_ptr = s->data_end = 0;
    s->end_transfer = NULL;
    s->status &= ~DRQ_STAT;
}

/* Forget a request in flight: its completion belongs to an older
 * generation and is dropped; wait for it so the buffer is ours again. */
static void ide_cancel_io(IDEState *s)
{
    s->gen++;
    if (s->aio_busy) {
        blk_drain_all();
    }
    s->aio_busy = false;
}

static void ide_reset_state(IDEState *s)
{
    ide_cancel_io(s);
    s->mult_sectors = MAX_MULT_SECTORS;
    s->feature = s->error = s->nsector = s->sector = s->lcyl = s->hcyl = 0;
    s->hob_feature = s->hob_nsector = s->hob_sector = s->hob_lcyl = s->hob_hcyl = 0;
    s->select = 0xa0;
    s->status = READY_STAT | SEEK_STAT;
    s->lba48 = false;
    s->sense_key = s->asc = s->ascq = 0;
    s->atapi_dma = false;
    s->atapi_read = false;
    s->tray_locked = false;
    s->xfer = XFER_NONE;
    s->req_remaining = 0;
    ide_set_signature(s);
    ide_transfer_stop(s);
}

/* EXECUTE DEVICE DIAGNOSTIC, also the end of a software reset: the
 * signature, and "device 0 passed, device 1 passed or absent" (error
 * register 01h is the result here, not an error). */
static void ide_exec_diagnostic(IDEState *s, bool irq)
{
    s->select = 0xa0;
    ide_set_signature(s);
    s->error = 0x01;
    if (s->is_cd) {
        s->status = 0;           /* packet devices: DRDY clear (ATAPI-6 9.10) */
    } else {
        s->status = READY_STAT | SEEK_STAT;
        if (irq) {
            ide_set_irq(s->bus);
        }
    }
}

static void ide_cmd_done(IDEState *s)
{
    s->status = READY_STAT | SEEK_STAT;
    s->xfer = XFER_NONE;
    ide_transfer_stop(s);
    ide_set_irq(s->bus);
}

static void ide_cmd_error(IDEState *s, uint8_t err)
{
    s->status = READY_STAT | ERR_STAT;
    s->error = err;
    s->xfer = XFER_NONE;
    ide_transfer_stop(s);
    ide_set_irq(s->bus);
}

static void ide_abort(IDEState *s)
{
    ide_cmd_error(s, ABRT_ERR);
}

/* Where the command's sectors start, from the CHS, LBA28 or LBA48
 * registers; -1 for a CHS address outside the geometry. */
static int64_t ide_get_sector(IDEState *s)
{
    if (s->select & 0x40) {
        if (!s->lba48) {
            return ((uint64_t)(s->select & 0x0f) << 24) | ((uint64_t)s->hcyl << 16) |
                   ((uint64_t)s->lcyl << 8) | s->sector;
        }
        return ((uint64_t)s->hob_hcyl << 40) | ((uint64_t)s->hob_lcyl << 32) |
               ((uint64_t)s->hob_sector << 24) | ((uint64_t)s->hcyl << 16) |
               ((uint64_t)s->lcyl << 8) | s->sector;
    }
    unsigned cyl = (s->hcyl << 8) | s->lcyl;
    unsigned head = s->select & 0x0f;
    if (!s->sector || s->sector > s->secs || head >= s->heads) {
        return -1;
    }
    return ((uint64_t)cyl * s->heads + head) * s->secs + (s->sector - 1);
}

static void ide_set_sector(IDEState *s, uint64_t n)
{
    if (s->select & 0x40) {
        s->sector = n;
        s->lcyl = n >> 8;
        s->hcyl = n >> 16;
        if (!s->lba48) {
            s->select = (s->select & 0xf0) | ((n >> 24) & 0x0f);
        } else {
            s->hob_sector = n >> 24;
            s->hob_lcyl = n >> 32;
            s->hob_hcyl = n >> 40;
        }
    } else if (s->heads && s->secs) {
        uint64_t cyl = n / (s->heads * s->secs);
        unsigned r = n % (s->heads * s->secs);
        s->hcyl = cyl >> 8;
        s->lcyl = cyl;
        s->select = (s->select & 0xf0) | ((r / s->secs) & 0x0f);
        s->sector = (r % s->secs) + 1;
    }
}

static uint32_t ide_get_nsector(IDEState *s)
{
    if (s->lba48) {
        uint32_t n = (s->hob_nsector << 8) | s->nsector;
        return n ? n : 65536;
    }
    return s->nsector ? s->nsector : 256;
}

/* ---- IDENTIFY ---- */

/* ATA strings: two characters a word, the first in the high byte,
 * padded with spaces. */
static void put_str(uint16_t *w, int nwords, const char *str)
{
    size_t len = strlen(str);
    for (int i = 0; i < nwords * 2; i++) {
        uint8_t c = i < (int)len ? str[i] : ' ';
        if (i & 1) {
            w[i / 2] |= c;
        } else {
            w[i / 2] = c << 8;
        }
    }
}

static void ide_identify_xfer_mode(IDEState *s, uint16_t *p)
{
    if ((s->xfer_mode >> 3) == 4) {            /* multiword DMA n */
        p[63] |= 1 << (8 + (s->xfer_mode & 7));
    } else if ((s->xfer_mode >> 3) == 8) {     /* UDMA n */
        p[88] |= 1 << (8 + (s->xfer_mode & 7));
    }
}

static void ide_identify_hd(IDEState *s, uint16_t *p)
{
    uint64_t n = s->nb_sectors;
    p[0] = 0x0040;                              /* fixed disk */
    p[1] = s->phys_cyls;                        /* default geometry ... */
    p[3] = s->phys_heads;
    p[4] = 512 * s->phys_secs;
    p[5] = 512;
    p[6] = s->phys_secs;
    put_str(p + 10, 10, s->serial);
    p[20] = 3;
    p[21] = 512;
    p[22] = 4;
    put_str(p + 23, 4, s->version);
    put_str(p + 27, 20, s->model);
    p[47] = 0x8000 | MAX_MULT_SECTORS;
    p[48] = 1;                                  /* dword I/O */
    p[49] = (1 << 11) | (1 << 9) | (1 << 8);    /* IORDY, LBA, DMA */
    p[51] = 0x200;
    p[52] = 0x200;
    p[53] = 1 | 2 | 4;                          /* words 54-58, 64-70, 88 valid */
    p[54] = s->cyls;                            /* ... and the current one */
    p[55] = s->heads;
    p[56] = s->secs;
    uint32_t chs = s->cyls * s->heads * s->secs;
    p[57] = chs;
    p[58] = chs >> 16;
    if (s->mult_sectors) {
        p[59] = 0x100 | s->mult_sectors;
    }
    uint32_t lba28 = n > 0x0fffffff ? 0x0fffffff : n;
    p[60] = lba28;
    p[61] = lba28 >> 16;
    p[62] = 0x07;
    p[63] = 0x07;
    p[64] = 0x03;                               /* PIO 3, 4 */
    p[65] = p[66] = p[67] = p[68] = 120;
    p[80] = 0xf0;                               /* ATA-4 .. ATA-7 */
    p[81] = 0x16;
    p[82] = (1 << 14) | (1 << 5) | 1;           /* NOP, write cache, SMART */
    p[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10);  /* FLUSH EXT, FLUSH, LBA48 */
    p[84] = 1 << 14;
    p[85] = (1 << 14) | (s->wcache ? 1 << 5 : 0) | 1;
    p[86] = (1 << 13) | (1 << 12) | (1 << 10);
    p[87] = 1 << 14;
    p[88] = 0x3f;                               /* UDMA 0-5 */
    p[93] = 1 | (1 << 14) | 0x2000;             /* 80-wire cable */
    p[100] = n;
    p[101] = n >> 16;
    p[102] = n >> 32;
    p[103] = n >> 48;
    p[169] = 1;                                 /* DATA SET MANAGEMENT: TRIM */
    ide_identify_xfer_mode(s, p);
}

static void ide_identify_cd(IDEState *s, uint16_t *p)
{
    /* ATAPI, CD-ROM device, removable, DRQ within 50 us, 12-byte packets */
    p[0] = (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5);
    put_str(p + 10, 10, s->serial);
    p[20] = 3;
    p[21] = 512;
    p[22] = 4;
    put_str(p + 23, 4, s->version);
    put_str(p + 27, 20, s->model);
    p[48] = 1;
    p[49] = (1 << 11) | (1 << 9) | (1 << 8);
    p[53] = 7;
    p[62] = 7;
    p[63] = 7;
    p[64] = 3;
    p[65] = 0xb4;
    p[66] = 0xb4;
    p[67] = 0x12c;
    p[68] = 0xb4;
    p[71] = 30;
    p[72] = 30;
    p[80] = 0x1e;
    p[82] = p[83] = p[84] = p[85] = p[87] = 1 << 14;
    p[88] = 0x3f;
    p[93] = 1 | (1 << 14) | 0x2000;
    ide_identify_xfer_mode(s, p);
}

/* Data for the guest to read with PIO; end runs when it read it all. */
static void ide_pio_in(IDEState *s, uint32_t len, void (*end)(IDEState *s))
{
    s->data_ptr = 0;
    s->data_end = len;
    s->end_transfer = end;
    s->xfer = XFER_PIO_IN;
    s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
}

/* Room for the guest to write len bytes with PIO. */
static void ide_pio_out(IDEState *s, uint32_t len, void (*end)(IDEState *s))
{
    s->data_ptr = 0;
    s->data_end = len;
    s->end_transfer = end;
    s->xfer = XFER_PIO_OUT;
    s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
}

static void ide_identify(IDEState *s)
{
    uint16_t *p = s->identify;
    memset(p, 0, sizeof(s->identify));
    if (s->is_cd) {
        ide_identify_cd(s, p);
    } else {
        ide_identify_hd(s, p);
    }
    for (int i = 0; i < 256; i++) {
        s->buf[2 * i] = p[i];
        s->buf[2 * i + 1] = p[i] >> 8;
    }
    ide_pio_in(s, 512, ide_transfer_stop);
    ide_set_irq(s->bus);
}

/* ---- asynchronous block requests ---- */

typedef void IDEIOFunc(IDEState *s, int ret);

typedef struct IDEReq {
    IDEState *s;
    unsigned gen;
    IDEIOFunc *done;
    struct iovec iov;            /* s->buf */
    GArray *iovs, *addrs;        /* a direct DMA: guest RAM and its guest addresses */
    bool to_guest;
    uint64_t len;
    IOReqKind kind;              /* for iostats */
    int64_t start_ns;
} IDEReq;

static IDEReq *ide_req_new(IDEState *s, IOReqKind kind)
{
    IDEReq *r = g_new0(IDEReq, 1);
    r->s = s;
    r->gen = s->gen;
    r->kind = kind;
    r->start_ns = iostats_now();
    return r;
}

static void ide_io_cb(void *opaque, int ret)
{
    IDEReq *r = opaque;
    IDEState *s = r->s;
    if (r->iovs) {
        /* a direct read landed in guest RAM (even when a reset
         * overtook it, as a bus master's transfer in flight would) */
        for (guint i = 0; r->to_guest && i < r->iovs->len; i++) {
            pci_dma_written(s->bus->pci, g_array_index(r->addrs, uint64_t, i),
                            g_array_index(r->iovs, struct iovec, i).iov_len);
        }
        g_array_free(r->iovs, TRUE);
        g_array_free(r->addrs, TRUE);
    }
    iostats_req_done(s->bus->ios, r->kind, r->start_ns, r->len);
    if (r->gen == s->gen) {
        s->aio_busy = false;
        r->done(s, ret);
    }
    g_free(r);
}

/* r's transfer of len bytes at offset to the block layer, the device busy */
static void ide_io_submit(IDEState *s, IDEReq *r, bool write, uint64_t offset,
                          const struct iovec *iov, unsigned niov, uint64_t len)
{
    r->len = len;
    s->aio_busy = true;
    s->status |= BUSY_STAT;
    s->bus->requests[write]++;
    s->bus->bytes[write] += len;
    if (write) {
        blk_aio_pwritev(s->blk, offset, iov, niov, ide_io_cb, r);
    } else {
        blk_aio_preadv(s->blk, offset, iov, niov, ide_io_cb, r);
    }
}

/* len bytes at offset through the device's buffer */
static void ide_io(IDEState *s, bool write, uint64_t offset, uint32_t len, IDEIOFunc *done)
{
    IDEReq *r = ide_req_new(s, write ? IOREQ_WRITE : IOREQ_READ);
    r->done = done;
    r->iov.iov_base = s->buf;
    r->iov.iov_len = len;
    ide_io_submit(s, r, write, offset, &r->iov, 1, len);
}

static void ide_flush_cb(void *opaque, int ret)
{
    IDEReq *r = opaque;
    IDEState *s = r->s;
    iostats_req_done(s->bus->ios, IOREQ_FLUSH, r->start_ns, 0);
    if (r->gen == s->gen) {
        s->aio_busy = false;
        if (ret < 0) {
            ide_cmd_error(s, ABRT_ERR);
        } else {
            ide_cmd_done(s);
        }
    }
    g_free(r);
}

/* ---- bus-master DMA ---- */

/* How a bus-master transfer ended (the PIIX/ICH "Interrupt/Active bit
 * interaction" table): all moved; the PRD table ended before the device's
 * transfer did; or the bus refused it (bus mastering disabled in the
 * command register).  Addresses in the PCI hole that no BAR claims read
 * as all-ones and drop writes (the chipset's subtractive decode), as in
 * QEMU, so they are not an error here. */
typedef enum IDEDMAResult { DMA_OK, DMA_SHORT, DMA_ABORT } IDEDMAResult;

/* Move len bytes between buf and the guest memory the PRD table names. */
/* The next PRD entry into the cursor (a zero-length one is left for the
 * caller to step over): DMA_SHORT past the table's end (a table may not
 * cross 64 KiB: 8192 entries at most), DMA_ABORT when it is not in
 * memory. */
static IDEDMAResult ide_prd_fetch(IDEBus *bus)
{
    if (bus->prd.eot || ++bus->prd.count > 65536 / 8) {
        return DMA_SHORT;
    }
    uint8_t prd[8];
    if (!pci_dma_read(bus->pci, bus->prd.next, prd, sizeof(prd))) {
        return DMA_ABORT;
    }
    bus->prd.next += 8;
    bus->prd.addr = (prd[0] | (prd[1] << 8) | (prd[2] << 16) | ((uint32_t)prd[3] << 24)) & ~1u;
    uint32_t n = prd[4] | (prd[5] << 8);
    bus->prd.left = n ? (n & ~1u) : 0x10000;
    bus->prd.eot = prd[7] & 0x80;
    return DMA_OK;
}

static IDEDMAResult ide_dma_rw(IDEBus *bus, uint8_t *buf, uint32_t len, bool to_guest)
{
    PCIDevice *pci = bus->pci;
    while (len > 0) {
        if (!bus->prd.left) {
            IDEDMAResult r = ide_prd_fetch(bus);
            if (r != DMA_OK) {
                if (r == DMA_ABORT) {
                    vlog(LOG_GUEST_ERRORS, "ide: %s PRD at 0x%08x is not in memory\n",
                         bus->name, bus->prd.next);
                }
                return r;
            }
            continue;
        }
        uint32_t n = MIN(len, bus->prd.left);
        bool ok = to_guest ? pci_dma_write(pci, bus->prd.addr, buf, n)
                           : pci_dma_read(pci, bus->prd.addr, buf, n);
        if (!ok) {
            vlog(LOG_GUEST_ERRORS, "ide: %s DMA to 0x%08x+%u is not in memory\n",
                 bus->name, bus->prd.addr, n);
            return DMA_ABORT;
        }
        bus->prd.addr += n;
        bus->prd.left -= n;
        buf += n;
        len -= n;
    }
    return DMA_OK;
}

/*
 * The next len bytes of the PRD table as guest RAM the block layer can
 * read into (to_guest) or write from: each entry's range mapped for
 * bus-master DMA, without copying, as QEMU's IDE does.  false when part
 * of it is not plain RAM (MMIO, a hole), the table ends first or cannot
 * be read: the caller then puts the table back where it was and takes
 * the bounce-buffer path, which moves what it can and reports it as the
 * controller does.
 */
static bool ide_dma_map(IDEBus *bus, uint32_t len, bool to_guest, GArray *iovs, GArray *addrs)
{
    PCIDevice *pci = bus->pci;
    while (len > 0) {
        if (!bus->prd.left) {
            if (ide_prd_fetch(bus) != DMA_OK) {
                return false;
            }
            continue;
        }
        uint64_t n = MIN(len, bus->prd.left);
        uint8_t *p = pci_dma_map(pci, bus->prd.addr, &n, to_guest);
        if (!p || !n) {
            return false;
        }
        struct iovec v = { .iov_base = p, .iov_len = n };
        uint64_t a = bus->prd.addr;
        g_array_append_val(iovs, v);
        g_array_append_val(addrs, a);
        bus->prd.addr += n;
        bus->prd.left -= n;
        len -= n;
    }
    return true;
}

/* The rest of a disk's DMA command in one request straight between the
 * image and guest RAM; false (nothing changed) when ide_dma_map says no. */
static bool ide_dma_direct(IDEState *s, bool write, IDEIOFunc *done)
{
    IDEBus *bus = s->bus;
    uint32_t bytes = s->req_remaining * sector_size(s);
    IDEPrd saved = bus->prd;
    GArray *iovs = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    GArray *addrs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    if (!ide_dma_map(bus, bytes, !write, iovs, addrs)) {
        bus->prd = saved;
        g_array_free(iovs, TRUE);
        g_array_free(addrs, TRUE);
        return false;
    }
    IDEReq *r = ide_req_new(s, write ? IOREQ_WRITE : IOREQ_READ);
    r->done = done;
    r->iovs = iovs;
    r->addrs = addrs;
    r->to_guest = !write;
    s->req_chunk = s->req_remaining;
    s->dma_direct = true;
    ide_io_submit(s, r, write, s->req_sector * sector_size(s), (struct iovec *)iovs->data,
                  iovs->len, bytes);
    return true;
}

/* The device finished its transfer: Active stays set only where the PRD
 * table describes more memory than was moved (a valid completion). */
static void ide_dma_end(IDEState *s)
{
    IDEBus *bus = s->bus;
    if (bus->prd.eot && !bus->prd.left) {
        bus->bm.status &= ~BM_STATUS_ACTIVE;
    }
    bus->dma_s = NULL;
    bus->dma_pending = false;
}

static void atapi_set_sense(IDEState *s, uint8_t key, uint8_t asc, uint8_t ascq);
static void atapi_cmd_ok(IDEState *s);
static void atapi_check_condition(IDEState *s, uint8_t key, uint8_t asc, uint8_t ascq);
static void ide_dma_step(IDEState *s);

/* The controller could not move the data: it clears Active and, for a
 * master abort, sets Error; it raises no interrupt (the driver times
 * out and stops the engine).  The device's command ends without data and
 * without an interrupt, so a following reset or command finds it idle.
 * A PRD table shorter than the transfer leaves the device ready without
 * an error, as QEMU's does (its ide-test checks this); a master abort
 * aborts the command. */
static void ide_dma_stopped(IDEState *s, IDEDMAResult why)
{
    IDEBus *bus = s->bus;
    bus->bm.status &= ~BM_STATUS_ACTIVE;
    if (why == DMA_ABORT) {
        bus->bm.status |= BM_STATUS_ERROR;
    } else {
        vlog(LOG_GUEST_ERRORS, "ide: %s PRD table shorter than the transfer\n", bus->name);
    }
    bus->dma_s = NULL;
    bus->dma_pending = false;
    if (why == DMA_SHORT && !s->is_cd) {
        s->status = READY_STAT | SEEK_STAT;
        s->xfer = XFER_NONE;
        ide_transfer_stop(s);
        return;
    }
    if (s->is_cd) {
        s->error = SENSE_ILLEGAL_REQUEST << 4;
        atapi_set_sense(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
        s->nsector = 3;
        s->atapi_read = false;
    } else {
        s->error = ABRT_ERR;
    }
    s->status = READY_STAT | ERR_STAT;
    s->xfer = XFER_NONE;
    ide_transfer_stop(s);
}

/* The image could not be read or written: the device reports it. */
static void ide_dma_io_error(IDEState *s)
{
    IDEBus *bus = s->bus;
    bus->bm.status &= ~BM_STATUS_ACTIVE;
    bus->dma_s = NULL;
    bus->dma_pending = false;
    if (s->is_cd) {
        atapi_check_condition(s, 3 /* medium error */, 0x11, 0);
    } else {
        ide_cmd_error(s, UNC_ERR | ABRT_ERR);
    }
}

/* Data that flows from guest memory to the device: the writes, and the
 * range list of DATA SET MANAGEMENT. */
static bool ide_dma_is_write(IDEState *s)
{
    return !s->is_cd && (s->cmd == 0xca || s->cmd == 0xcb || s->cmd == 0x35 || s->cmd == 0x06);
}

static void ide_trim_next(IDEState *s);
static void ide_start_dma(IDEState *s);

static void ide_trim_done(IDEState *s, int ret)
{
    if (s->bus->dma_s != s) {
        return;                   /* stopped by the guest meanwhile */
    }
    if (ret < 0) {
        vlog(LOG_GUEST_ERRORS, "ide: %s TRIM failed: %s\n", s->bus->name, g_strerror(-ret));
        ide_dma_io_error(s);
        return;
    }
    ide_trim_next(s);
}

/* DATA SET MANAGEMENT, TRIM: the chunk in s->buf is a list of 8-byte
 * little-endian entries, LBA in bits 0-47 and a sector count in 48-63 (0:
 * padding).  Ranges are discarded one after the other; a range past the
 * end aborts the command (ABRT), after the data moved, as QEMU's. */
static void ide_trim_next(IDEState *s)
{
    uint32_t entries = s->req_chunk * 512 / 8;
    while (s->trim_entry < entries) {
        const uint8_t *p = s->buf + 8 * s->trim_entry++;
        uint64_t e = 0;
        for (int i = 7; i >= 0; i--) {
            e = e << 8 | p[i];
        }
        uint64_t lba = e & 0xffffffffffffull;
        uint32_t count = e >> 48;
        if (!count) {
            continue;
        }
        if (lba > s->nb_sectors || count > s->nb_sectors - lba) {
            vlog(LOG_GUEST_ERRORS, "ide: %s TRIM of sectors %" PRIu64 "+%u beyond the disk\n",
                 s->bus->name, lba, count);
            ide_dma_end(s);
            ide_cmd_error(s, ABRT_ERR);
            return;
        }
        IDEReq *r = ide_req_new(s, IOREQ_OTHER);
        r->done = ide_trim_done;
        s->aio_busy = true;
        blk_aio_pdiscard(s->blk, lba * 512, (uint64_t)count * 512, ide_io_cb, r);
        return;
    }
    s->req_remaining -= s->req_chunk;
    ide_dma_step(s);
}

/* DATA SET MANAGEMENT (06h): only TRIM (feature bit 0) exists; the range
 * blocks (the sector count, in 512-byte blocks) come by DMA. */
static void ide_dsm(IDEState *s)
{
    if (!(s->feature & 1) || !s->blk || !blk_is_inserted(s->blk) || blk_is_read_only(s->blk)) {
        ide_abort(s);
        return;
    }
    /* ACS makes the count 16 bits, but QEMU takes the low byte only (its
     * ide-test leaves the HOB count stale); Linux sends one block anyway */
    s->req_sector = 0;
    s->req_remaining = s->nsector ? s->nsector : 256;
    ide_start_dma(s);
}

static void ide_dma_io_done(IDEState *s, int ret)
{
    IDEBus *bus = s->bus;
    if (bus->dma_s != s) {
        return;                   /* stopped by the guest meanwhile */
    }
    if (ret < 0) {
        vlog(LOG_GUEST_ERRORS, "ide: %s DMA at sector %" PRIu64 " failed: %s\n",
                        bus->name, s->req_sector, g_strerror(-ret));
        ide_dma_io_error(s);
        return;
    }
    uint32_t bytes = s->req_chunk * sector_size(s);
    if (!ide_dma_is_write(s) && !s->dma_direct) {
        IDEDMAResult r = ide_dma_rw(bus, s->buf, bytes, true);
        if (r != DMA_OK) {
            ide_dma_stopped(s, r);
            return;
        }
    }
    s->req_sector += s->req_chunk;
    s->req_remaining -= s->req_chunk;
    if (!s->is_cd) {
        ide_set_sector(s, s->req_sector);
    }
    ide_dma_step(s);
}

static void ide_dma_step(IDEState *s)
{
    IDEBus *bus = s->bus;
    if (!s->req_remaining) {
        ide_dma_end(s);
        if (s->is_cd) {
            atapi_cmd_ok(s);
        } else {
            ide_cmd_done(s);
        }
        return;
    }
    unsigned ss = sector_size(s);
    bool write = ide_dma_is_write(s);
    s->dma_direct = false;
    if (!s->is_cd && s->cmd != 0x06 && ide_dma_direct(s, write, ide_dma_io_done)) {
        return;
    }
    s->req_chunk = MIN(s->req_remaining, IDE_BUF_SIZE / ss);
    uint32_t bytes = s->req_chunk * ss;
    if (write) {
        IDEDMAResult r = ide_dma_rw(bus, s->buf, bytes, false);
        if (r != DMA_OK) {
            ide_dma_stopped(s, r);
            return;
        }
    }
    if (s->cmd == 0x06) {
        s->trim_entry = 0;
        ide_trim_next(s);
        return;
    }
    ide_io(s, write, s->req_sector * ss, bytes, ide_dma_io_done);
}

/* The command is issued and the start bit set: go. */
void ide_dma_start(IDEBus *bus)
{
    IDEState *s = bus->dma_s;
    if (!s || !bus->dma_pending || !(bus->bm.cmd & BM_CMD_START)) {
        return;
    }
    bus->dma_pending = false;
    bus->bm.status |= BM_STATUS_ACTIVE;
    bus->prd.next = bus->bm.addr;
    bus->prd.left = 0;
    bus->prd.eot = false;
    bus->prd.count = 0;
    if (s->is_cd && !s->atapi_read) {
        /* a reply already in the buffer */
        IDEDMAResult r = ide_dma_rw(bus, s->buf, s->atapi_total, true);
        if (r != DMA_OK) {
            ide_dma_stopped(s, r);
            return;
        }
        ide_dma_end(s);
        atapi_cmd_ok(s);
        return;
    }
    ide_dma_step(s);
}

void ide_dma_stop(IDEBus *bus)
{
    /* Clearing the start bit in the middle of a transfer is undefined for
     * the PIIX; QEMU waits for the request in flight, which then completes
     * (data moved, interrupt raised), and drivers and QEMU's ide-test
     * expect that, so the transfer is let finish here too. */
    IDEState *s = bus->dma_s;
    while (s && bus->dma_s == s && !bus->dma_pending && s->aio_busy) {
        blk_drain_all();
    }
    ide_dma_cancel(bus);
}

void ide_dma_cancel(IDEBus *bus)
{
    IDEState *s = bus->dma_s;
    bus->bm.status &= ~BM_STATUS_ACTIVE;  /* also after a completion that left it set */
    if (!s) {
        return;
    }
    bus->dma_s = NULL;
    bus->dma_pending = false;
    ide_cancel_io(s);
    bus->bm.status &= ~BM_STATUS_ACTIVE;
}

static void ide_start_dma(IDEState *s)
{
    IDEBus *bus = s->bus;
    s->xfer = XFER_DMA;
    s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
    bus->dma_s = s;
    bus->dma_pending = true;
    ide_dma_start(bus);
}

/* ---- ATA read/write ---- */

static bool ide_is_multiple(uint8_t cmd)
{
    return cmd == 0xc4 || cmd == 0xc5 || cmd == 0x29 || cmd == 0x39;
}

static void ide_pio_read_next(IDEState *s);

static void ide_pio_read_done(IDEState *s, int ret)
{
    if (ret < 0) {
        ide_cmd_error(s, UNC_ERR | ABRT_ERR);
        return;
    }
    ide_pio_in(s, s->req_chunk * 512, ide_pio_read_next);
    ide_set_irq(s->bus);
}

static void ide_pio_read_start(IDEState *s)
{
    unsigned per_block = ide_is_multiple(s->cmd) ? s->mult_sectors : 1;
    s->req_chunk = MIN(s->req_remaining, per_block);
    ide_io(s, false, s->req_sector * 512, s->req_chunk * 512, ide_pio_read_done);
}

/* The guest read one block: the next, or the end (no interrupt). */
static void ide_pio_read_next(IDEState *s)
{
    s->req_sector += s->req_chunk;
    s->req_remaining -= s->req_chunk;
    ide_set_sector(s, s->req_sector);
    if (!s->req_remaining) {
        s->status = READY_STAT | SEEK_STAT;
        s->xfer = XFER_NONE;
        ide_transfer_stop(s);
        return;
    }
    ide_transfer_stop(s);
    ide_pio_read_start(s);
}

static void ide_pio_write_block(IDEState *s);

static void ide_pio_write_done(IDEState *s, int ret)
{
    if (ret < 0) {
        ide_cmd_error(s, ABRT_ERR);
        return;
    }
    s->req_sector += s->req_chunk;
    s->req_remaining -= s->req_chunk;
    ide_set_sector(s, s->req_sector);
    if (!s->req_remaining) {
        ide_cmd_done(s);
        return;
    }
    ide_pio_write_block(s);
    ide_set_irq(s->bus);
}

/* The guest wrote a block: to the image. */
static void ide_pio_write_end(IDEState *s)
{
    ide_transfer_stop(s);
    ide_io(s, true, s->req_sector * 512, s->req_chunk * 512, ide_pio_write_done);
}

static void ide_pio_write_block(IDEState *s)
{
    unsigned per_block = ide_is_multiple(s->cmd) ? s->mult_sectors : 1;
    s->req_chunk = MIN(s->req_remaining, per_block);
    ide_pio_out(s, s->req_chunk * 512, ide_pio_write_end);
}

/* Check the sector range of a read/write/verify; false: the command
 * ended with an error. */
static bool ide_setup_rw(IDEState *s)
{
    if (!s->blk || !blk_is_inserted(s->blk)) {
        ide_abort(s);
        return false;
    }
    int64_t sector = ide_get_sector(s);
    uint32_t n = ide_get_nsector(s);
    if (sector < 0 || (uint64_t)sector > s->nb_sectors || n > s->nb_sectors - sector) {
        vlog(LOG_GUEST_ERRORS, "ide: %s sector %" PRId64 "+%u beyond the disk (%"
                        PRIu64 " sectors)\n", s->bus->name, sector, n, s->nb_sectors);
        ide_cmd_error(s, IDNF_ERR);
        return false;
    }
    s->req_sector = sector;
    s->req_remaining = n;
    return true;
}

static bool ide_is_write_cmd(uint8_t cmd)
{
    return cmd == 0x30 || cmd == 0x31 || cmd == 0x34 || cmd == 0xc5 || cmd == 0x39 ||
           cmd == 0xca || cmd == 0xcb || cmd == 0x35;
}

static void ide_rw_command(IDEState *s, uint8_t cmd)
{
    if (ide_is_multiple(cmd) && !s->mult_sectors) {
        ide_abort(s);
        return;
    }
    if (ide_is_write_cmd(cmd) && blk_is_read_only(s->blk)) {
        ide_cmd_error(s, ABRT_ERR);
        return;
    }
    if (!ide_setup_rw(s)) {
        return;
    }
    switch (cmd) {
    case 0x20: case 0x21: case 0x24: case 0xc4: case 0x29:
        ide_pio_read_start(s);
        break;
    case 0x30: case 0x31: case 0x34: case 0xc5: case 0x39:
        ide_pio_write_block(s);          /* no interrupt before the first block */
        break;
    default:                             /* DMA */
        ide_start_dma(s);
        break;
    }
}

/* ---- ATAPI ---- */

static void atapi_set_sense(IDEState *s, uint8_t key, uint8_t asc, uint8_t ascq)
{
    s->sense_key = key;
    s->asc = asc;
    s->ascq = ascq;
}

static void atapi_cmd_ok(IDEState *s)
{
    s->error = 0;
    s->status = READY_STAT | SEEK_STAT;
    s->nsector = 3;                       /* I/O and C/D: command completed */
    s->atapi_read = false;
    s->xfer = XFER_NONE;
    atapi_set_sense(s, SENSE_NONE, 0, 0);
    ide_transfer_stop(s);
    ide_set_irq(s->bus);
}

static void atapi_check_condition(IDEState *s, uint8_t key, uint8_t asc, uint8_t ascq)
{
    s->error = key << 4;
    s->status = READY_STAT | ERR_STAT;
    s->nsector = 3;
    s->atapi_read = false;
    s->xfer = XFER_NONE;
    atapi_set_sense(s, key, asc, ascq);
    ide_transfer_stop(s);
    ide_set_irq(s->bus);
}

static bool atapi_medium_ready(IDEState *s)
{
    return !s->tray_open && s->blk && blk_is_inserted(s->blk);
}

static uint32_t atapi_capacity(IDEState *s)
{
    uint64_t n = atapi_medium_ready(s) ? blk_getlength(s->blk) / CD_SECTOR : 0;
    return n > UINT32_MAX ? UINT32_MAX : n;
}

static void atapi_send_piece(IDEState *s);
static void atapi_read_next(IDEState *s);

/* The guest read a piece of the buffer: the next piece, more sectors, or
 * the end of the command. */
static void atapi_piece_read(IDEState *s)
{
    uint32_t done = s->data_end;       /* the piece ended at data_end */
    if (done < s->atapi_total) {
        uint32_t left = s->atapi_total - done;
        uint32_t n = MIN(left, s->atapi_limit);
        s->data_end = done + n;
        s->lcyl = n;
        s->hcyl = n >> 8;
        s->nsector = 2;
        s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
        ide_set_irq(s->bus);
        return;
    }
    if (s->atapi_read) {
        atapi_read_next(s);
        return;
    }
    atapi_cmd_ok(s);
}

/* Give the guest atapi_total bytes of the buffer, in pieces no bigger
 * than its byte count limit, each announced by an interrupt. */
static void atapi_send_piece(IDEState *s)
{
    uint32_t n = MIN(s->atapi_total, s->atapi_limit);
    s->data_ptr = 0;
    s->data_end = n;
    s->end_transfer = atapi_piece_read;
    s->xfer = XFER_PIO_IN;
    s->lcyl = n;
    s->hcyl = n >> 8;
    s->nsector = 2;                        /* I/O: data to the host */
    s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
    ide_set_irq(s->bus);
}

/* A reply of len bytes is in the buffer; the guest asked for at most alloc. */
static void atapi_reply(IDEState *s, uint32_t len, uint32_t alloc)
{
    s->atapi_total = MIN(len, alloc);
    s->atapi_read = false;
    if (!s->atapi_total) {
        atapi_cmd_ok(s);
    } else if (s->atapi_dma) {
        ide_start_dma(s);
    } else {
        atapi_send_piece(s);
    }
}

static void atapi_read_done(IDEState *s, int ret)
{
    if (ret < 0) {
        atapi_check_condition(s, 3 /* medium error */, 0x11, 0);
        return;
    }
    s->status &= ~BUSY_STAT;
    s->atapi_total = s->req_chunk * CD_SECTOR;
    s->req_sector += s->req_chunk;
    s->req_remaining -= s->req_chunk;
    atapi_send_piece(s);
}

static void atapi_read_next(IDEState *s)
{
    if (!s->req_remaining) {
        atapi_cmd_ok(s);
        return;
    }
    ide_transfer_stop(s);
    /* whole sectors per buffer; the limit splits them into pieces */
    s->req_chunk = MIN(s->req_remaining, IDE_BUF_SIZE / CD_SECTOR);
    ide_io(s, false, s->req_sector * CD_SECTOR, s->req_chunk * CD_SECTOR, atapi_read_done);
}

static void atapi_start_read(IDEState *s, uint32_t lba, uint32_t n)
{
    if (!atapi_medium_ready(s)) {
        atapi_check_condition(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, s->tray_open ? 2 : 1);
        return;
    }
    uint32_t cap = atapi_capacity(s);
    if (lba > cap || n > cap - lba) {
        atapi_check_condition(s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    if (!n) {
        atapi_cmd_ok(s);
        return;
    }
    s->req_sector = lba;
    s->req_remaining = n;
    s->atapi_read = true;
    if (s->atapi_dma) {
        ide_start_dma(s);
    } else {
        atapi_read_next(s);
    }
}

static void lba_to_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = lba / (75 * 60);
    p[1] = (lba / 75) % 60;
    p[2] = lba % 75;
}

static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf) {
        p[0] = 0;
        lba_to_msf(p + 1, lba);
    } else {
        put_be32(p, lba);
    }
}

/* READ TOC/PMA/ATIP for a one-track data disc; -1: bad request */
static int atapi_toc(IDEState *s, uint8_t *buf, int format, bool msf, int start_track)
{
    uint32_t total = atapi_capacity(s);
    int len;
    switch (format) {
    case 0:
        if (start_track > 1 && start_track != 0xaa) {
            return -1;
        }
        buf[2] = 1;
        buf[3] = 1;
        len = 4;
        if (start_track <= 1) {
            buf[len++] = 0;
            buf[len++] = 0x14;              /* ADR 1, data track */
            buf[len++] = 1;
            buf[len++] = 0;
            put_addr(buf + len, 0, msf);
            len += 4;
        }
        buf[len++] = 0;
        buf[len++] = 0x16;
        buf[len++] = 0xaa;                  /* lead-out */
        buf[len++] = 0;
        put_addr(buf + len, total, msf);
        len += 4;
        break;
    case 1:                                 /* multi-session: one session */
        memset(buf, 0, 12);
        buf[2] = 1;
        buf[3] = 1;
        buf[5] = 0x14;
        buf[6] = 1;
        put_addr(buf + 8, 0, msf);
        len = 12;
        break;
    case 2: {                               /* raw TOC */
        buf[2] = 1;
        buf[3] = 1;
        len = 4;
        static const uint8_t points[] = { 0xa0, 0xa1, 0xa2, 1 };
        for (int i = 0; i < 4; i++) {
            uint8_t *q = buf + len;
            memset(q, 0, 11);
            q[0] = 1;                       /* session */
            q[1] = 0x14;
            q[3] = points[i];
            if (points[i] == 0xa0) {
                q[8] = 1;                   /* first track */
            } else if (points[i] == 0xa1) {
                q[8] = 1;                   /* last track */
            } else if (points[i] == 0xa2) {
                lba_to_msf(q + 8, total);   /* lead-out */
            } else {
                lba_to_msf(q + 8, 0);
            }
            len += 11;
        }
        break;
    }
    default:
        return -1;
    }
    put_be16(buf, len - 2);
    return len;
}

static int atapi_mode_sense(IDEState *s, uint8_t *buf, int page)
{
    int len = 8;
    memset(buf, 0, 8);
    buf[2] = 0x70;                          /* medium type */
    if (page == 0x01 || page == 0x3f) {
        uint8_t *p = buf + len;
        memset(p, 0, 8);
        p[0] = 0x01;                        /* read error recovery */
        p[1] = 0x06;
        p[3] = 0x05;                        /* read retry count */
        len += 8;
    }
    if (page == 0x2a || page == 0x3f) {
        uint8_t *p = buf + len;
        memset(p, 0, 20);
        p[0] = 0x2a;                        /* capabilities and mechanical status */
        p[1] = 0x12;
        p[2] = 0x3b;                        /* reads CD-R, CD-RW, DVD-ROM ... */
        p[4] = 0x71;                        /* audio play, multi-session, mode 2 */
        p[5] = 3 << 5;
        p[6] = (1 << 0) | (1 << 3) | (1 << 5) | (s->tray_locked ? 1 << 1 : 0);  /* lock, eject, tray */
        put_be16(p + 8, 706);               /* max speed, KB/s */
        put_be16(p + 10, 2);                /* volume levels */
        put_be16(p + 12, 512);              /* buffer, KB */
        put_be16(p + 14, 706);
        len += 20;
    }
    if (len == 8) {
        return -1;
    }
    put_be16(buf, len - 2);
    return len;
}

static int atapi_get_configuration(IDEState *s, uint8_t *buf)
{
    bool present = atapi_medium_ready(s);
    bool dvd = present && blk_getlength(s->blk) > 700ull * 1024 * 1024;
    memset(buf, 0, 40);
    put_be16(buf + 6, present ? (dvd ? 0x0010 : 0x0008) : 0);
    int len = 8;
    /* profile list: DVD-ROM and CD-ROM */
    uint8_t *f = buf + len;
    f[2] = 0x03;                             /* persistent, current */
    f[3] = 8;
    put_be16(f + 4, 0x0010);
    f[6] = dvd;
    put_be16(f + 8, 0x0008);
    f[10] = present && !dvd;
    len += 12;
    /* core: ATAPI */
    f = buf + len;
    put_be16(f, 0x0001);
    f[2] = 0x0b;
    f[3] = 8;
    put_be32(f + 4, 2);
    f[8] = 1;
    len += 12;
    /* removable medium: tray, eject, lock */
    f = buf + len;
    put_be16(f, 0x0003);
    f[2] = 0x03;
    f[3] = 4;
    f[4] = (1 << 5) | (1 << 3) | 1 | (s->tray_locked ? 1 << 2 : 0);
    len += 8;
    put_be32(buf, len - 4);
    return len;
}

static void atapi_command(IDEState *s)
{
    uint8_t pkt[ATAPI_PACKET];
    memcpy(pkt, s->buf, ATAPI_PACKET);
    uint8_t *buf = s->buf;
    uint8_t op = pkt[0];

    ide_transfer_stop(s);
    /* A changed medium is reported once, to the first command that is not
     * a pure status query. */
    if (s->unit_attention && op != 0x03 && op != 0x12 && op != 0x46 && op != 0x4a) {
        s->unit_attention = false;
        atapi_check_condition(s, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
        return;
    }
    switch (op) {
    case 0x00:                                          /* TEST UNIT READY */
        if (atapi_medium_ready(s)) {
            atapi_cmd_ok(s);
        } else {
            atapi_check_condition(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT,
                                  s->tray_open ? 2 : 1);
        }
        break;
    case 0x03: {                                        /* REQUEST SENSE */
        memset(buf, 0, 18);
        buf[0] = 0x70;
        buf[2] = s->sense_key;
        buf[7] = 10;
        buf[12] = s->asc;
        buf[13] = s->ascq;
        atapi_reply(s, 18, pkt[4]);
        break;
    }
    case 0x12: {                                        /* INQUIRY */
        if (pkt[1] & 1) {                               /* no vital product data pages */
            atapi_check_condition(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
            break;
        }
        memset(buf, 0, 36);
        buf[0] = 0x05;                                  /* CD/DVD device */
        buf[1] = 0x80;                                  /* removable */
        buf[2] = 0x00;
        buf[3] = 0x21;                                  /* ATAPI, response format 1 */
        buf[4] = 31;
        memcpy(buf + 8, "QEMU    ", 8);
        memcpy(buf + 16, "QEMU DVD-ROM    ", 16);
        memcpy(buf + 32, s->version, MIN(strlen(s->version), 4));
        atapi_reply(s, 36, (pkt[3] << 8) | pkt[4]);
        break;
    }
    case 0x1b:                                          /* START STOP UNIT */
        if (pkt[4] & 2) {                               /* LoEj */
            if (pkt[4] & 1) {
                s->tray_open = false;                   /* load */
            } else if (s->tray_locked) {
                atapi_check_condition(s, SENSE_NOT_READY, ASC_MEDIA_REMOVAL_PREVENTED, 2);
                break;
            } else {
                s->tray_open = true;                    /* eject */
                s->gesn_event = 3;
            }
        }
        atapi_cmd_ok(s);
        break;
    case 0x1e:                                          /* PREVENT ALLOW MEDIUM REMOVAL */
        s->tray_locked = pkt[4] & 1;
        atapi_cmd_ok(s);
        break;
    case 0x25: {                                        /* READ CAPACITY */
        if (!atapi_medium_ready(s)) {
            atapi_check_condition(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT,
                                  s->tray_open ? 2 : 1);
            break;
        }
        uint32_t cap = atapi_capacity(s);
        put_be32(buf, cap ? cap - 1 : 0);
        put_be32(buf + 4, CD_SECTOR);
        atapi_reply(s, 8, 8);
        break;
    }
    case 0x28:                                          /* READ(10) */
        atapi_start_read(s, get_be32(pkt + 2), (pkt[7] << 8) | pkt[8]);
        break;
    case 0xa8:                                          /* READ(12) */
        atapi_start_read(s, get_be32(pkt + 2), get_be32(pkt + 6));
        break;
    case 0x2b:                                          /* SEEK(10) */
    case 0xbb:                                          /* SET CD SPEED */
        if (op == 0x2b && !atapi_medium_ready(s)) {
            atapi_check_condition(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 1);
            break;
        }
        atapi_cmd_ok(s);
        break;
    case 0x43: {                                        /* READ TOC */
        if (!atapi_medium_ready(s)) {
            atapi_check_condition(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT,
                                  s->tray_open ? 2 : 1);
            break;
        }
        int format = pkt[2] & 0x0f;
        if (!format) {
            format = pkt[9] >> 6;                       /* the older place of the format */
        }
        int len = atapi_toc(s, buf, format, pkt[1] & 2, pkt[6]);
        if (len < 0) {
            atapi_check_condition(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
            break;
        }
        atapi_reply(s, len, (pkt[7] << 8) | pkt[8]);
        break;
    }
    case 0x46: {                                        /* GET CONFIGURATION */
        int len = atapi_get_configuration(s, buf);
        atapi_reply(s, len, (pkt[7] << 8) | pkt[8]);
        break;
    }
    case 0x4a: {                                        /* GET EVENT STATUS NOTIFICATION */
        if (!(pkt[1] & 1)) {                            /* only polled mode */
            atapi_check_condition(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
            break;
        }
        memset(buf, 0, 8);
        int len;
        if (pkt[4] & 0x10) {                            /* media class */
            buf[2] = 0x04;
            buf[3] = 0x10;
            buf[4] = s->gesn_event == 3 ? 3 : s->gesn_event;
            buf[5] = (blk_is_inserted(s->blk) ? 2 : 0) | (s->tray_open ? 1 : 0);
            s->gesn_event = 0;
            len = 8;
        } else {
            buf[2] = 0x80;                              /* no event available */
            buf[3] = 0x10;
            len = 4;
        }
        put_be16(buf, len - 2);
        atapi_reply(s, len, (pkt[7] << 8) | pkt[8]);
        break;
    }
    case 0x5a: {                                        /* MODE SENSE(10) */
        int pc = pkt[2] >> 6;
        if (pc == 3) {                                  /* saved values: not supported */
            atapi_check_condition(s, SENSE_ILLEGAL_REQUEST, 0x39, 0);
            break;
        }
        int len = atapi_mode_sense(s, buf, pkt[2] & 0x3f);
        if (len < 0) {
            atapi_check_condition(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
            break;
        }
        atapi_reply(s, len, (pkt[7] << 8) | pkt[8]);
        break;
    }
    default:
        vlog(LOG_UNIMP, "ide: %s ATAPI command 0x%02x not supported\n",
                        s->bus->name, op);
        atapi_check_condition(s, SENSE_ILLEGAL_REQUEST, ASC_INV_OPCODE, 0);
        break;
    }
}

static void atapi_packet(IDEState *s)
{
    s->atapi_dma = s->feature & 1;
    uint32_t limit = s->lcyl | (s->hcyl << 8);
    if (limit == 0xffff || limit == 0) {
        limit = 0xfffe;                   /* 0 is not allowed; keep it even */
    }
    s->atapi_limit = limit & ~1u;
    s->nsector = 1;                       /* C/D: the device wants the packet */
    ide_pio_out(s, ATAPI_PACKET, atapi_command);
}

/* ---- ATA commands ---- */

static void ide_set_features(IDEState *s)
{
    switch (s->feature) {
    case 0x02:                            /* write cache on */
        s->wcache = true;
        break;
    case 0x82:
        s->wcache = false;
        break;
    case 0x03: {                          /* transfer mode */
        uint8_t mode = s->nsector;
        if ((mode >> 3) > 8 || ((mode >> 3) == 4 && (mode & 7) > 2) ||
            ((mode >> 3) == 8 && (mode & 7) > 5)) {
            ide_abort(s);
            ide_set_irq(s->bus);
            return;
        }
        s->xfer_mode = mode;
        break;
    }
    case 0xaa: case 0x55: case 0xcc: case 0x66: case 0x05: case 0x85: case 0x31:
    case 0x42: case 0xc2: case 0x44: case 0x67: case 0x96: case 0x9a:
        break;                            /* look-ahead, defaults, APM, AAM: accepted */
    default:
        ide_abort(s);
        ide_set_irq(s->bus);
        return;
    }
    ide_cmd_done(s);
}

static void ide_exec_cmd(IDEBus *bus, uint8_t cmd)
{
    IDEState *s = cur(bus);
    if (!s->dev) {
        return;                           /* nobody there: the command is lost */
    }
    if ((s->status & (BUSY_STAT | DRQ_STAT)) && cmd != 0x08) {
        vlog(LOG_GUEST_ERRORS, "ide: %s command 0x%02x while busy, ignored\n",
                        bus->name, cmd);
        return;
    }
    s->cmd = cmd;
    s->error = 0;
    s->lba48 = cmd == 0x24 || cmd == 0x29 || cmd == 0x34 || cmd == 0x39 || cmd == 0x25 ||
               cmd == 0x35 || cmd == 0x42 || cmd == 0x27 || cmd == 0xea;
    irq_lower(bus->irq);

    if (s->is_cd) {
        switch (cmd) {
        case 0xa0:                        /* PACKET */
            atapi_packet(s);
            return;
        case 0xa1:                        /* IDENTIFY PACKET DEVICE */
            ide_identify(s);
            return;
        case 0x08:                        /* DEVICE RESET */
            ide_reset_state(s);
            s->status = 0;
            return;
        case 0xef:
            ide_set_features(s);
            return;
        case 0x90:
            ide_exec_diagnostic(s, true);
            return;
        case 0x00: case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe5: case 0xe6:
            if (cmd == 0xe5) {
                s->nsector = 0xff;
            }
            ide_cmd_done(s);
            return;
        default:
            /* an ATA command to an ATAPI device: abort, showing the signature */
            ide_set_signature(s);
            ide_abort(s);
            return;
        }
    }

    switch (cmd) {
    case 0xec:                            /* IDENTIFY DEVICE */
        ide_identify(s);
        break;
    case 0x20: case 0x21: case 0x24: case 0xc4: case 0x29:
    case 0x30: case 0x31: case 0x34: case 0xc5: case 0x39:
    case 0xc8: case 0xc9: case 0x25: case 0xca: case 0xcb: case 0x35:
        ide_rw_command(s, cmd);
        break;
    case 0x06:                            /* DATA SET MANAGEMENT */
        ide_dsm(s);
        break;
    case 0x40: case 0x41: case 0x42:      /* READ VERIFY */
        if (ide_setup_rw(s)) {
            ide_set_sector(s, s->req_sector + s->req_remaining - 1);
            ide_cmd_done(s);
        }
        break;
    case 0xe7: case 0xea: {               /* FLUSH CACHE (EXT) */
        IDEReq *r = ide_req_new(s, IOREQ_FLUSH);
        s->aio_busy = true;
        s->status = READY_STAT | SEEK_STAT | BUSY_STAT;
        blk_aio_flush(s->blk, ide_flush_cb, r);
        break;
    }
    case 0xef:
        ide_set_features(s);
        break;
    case 0x90:                            /* EXECUTE DEVICE DIAGNOSTIC */
        ide_exec_diagnostic(s, true);
        break;
    case 0xc6:                            /* SET MULTIPLE MODE */
        if (s->nsector > MAX_MULT_SECTORS || (s->nsector & (s->nsector - 1))) {
            ide_abort(s);
            ide_set_irq(bus);
        } else {
            s->mult_sectors = s->nsector;
            ide_cmd_done(s);
        }
        break;
    case 0x91:                            /* INITIALIZE DEVICE PARAMETERS */
        if (!s->nsector) {
            ide_abort(s);
            ide_set_irq(bus);
            break;
        }
        s->heads = (s->select & 0x0f) + 1;
        s->secs = s->nsector;
        s->cyls = MIN(s->nb_sectors / (s->heads * s->secs), 65535);
        ide_cmd_done(s);
        break;
    case 0xf8: case 0x27:                 /* READ NATIVE MAX ADDRESS (EXT) */
        s->select |= 0x40;
        ide_set_sector(s, s->nb_sectors ? s->nb_sectors - 1 : 0);
        ide_cmd_done(s);
        break;
    case 0x70:                            /* SEEK */
    case 0x00:                            /* NOP */
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe6:   /* standby, idle, sleep */
    case 0x94: case 0x95: case 0x96: case 0x97: case 0x99:
        ide_cmd_done(s);
        break;
    case 0xe5: case 0x98:                 /* CHECK POWER MODE: active */
        s->nsector = 0xff;
        ide_cmd_done(s);
        break;
    case 0x08:                            /* DEVICE RESET: ATAPI only */
        ide_abort(s);
        ide_set_irq(bus);
        break;
    default:
        if (cmd >= 0x10 && cmd <= 0x1f) { /* RECALIBRATE */
            ide_cmd_done(s);
            break;
        }
        vlog(LOG_UNIMP, "ide: %s ATA command 0x%02x not supported\n", bus->name, cmd);
        ide_abort(s);
        ide_set_irq(bus);
        break;
    }
}

/* ---- registers ---- */

static bool ide_absent(IDEBus *bus)
{
    /* registers of an empty slot read 0, as QEMU (a floating bus would
     * read 0xff, which some BIOSes take for a busy drive) */
    return !bus->ifs[0].dev && !bus->ifs[1].dev ? true : !cur(bus)->dev && bus->unit == 1;
}

uint32_t ide_ioport_read(IDEBus *bus, uint32_t reg)
{
    IDEState *s = cur(bus);
    bool hob = bus->devctl & IDE_CTRL_HOB;
    switch (reg) {
    case 0:
        return ide_data_read(bus, 1) & 0xff;
    case 1:
        return ide_absent(bus) ? 0 : hob ? s->hob_feature : s->error;
    case 2:
        return ide_absent(bus) ? 0 : hob ? s->hob_nsector : s->nsector;
    case 3:
        return ide_absent(bus) ? 0 : hob ? s->hob_sector : s->sector;
    case 4:
        return ide_absent(bus) ? 0 : hob ? s->hob_lcyl : s->lcyl;
    case 5:
        return ide_absent(bus) ? 0 : hob ? s->hob_hcyl : s->hcyl;
    case 6:
        return ide_absent(bus) ? 0 : s->select;
    default:
        return ide_status_read(bus, false);
    }
}

uint32_t ide_status_read(IDEBus *bus, bool alt)
{
    IDEState *s = cur(bus);
    if (!alt) {
        irq_lower(bus->irq);
    }
    return ide_absent(bus) ? 0 : s->status;
}

void ide_ioport_write(IDEBus *bus, uint32_t reg, uint32_t val)
{
    val &= 0xff;
    if (reg >= 1 && reg <= 5) {
        bus->devctl &= ~IDE_CTRL_HOB;     /* a task file write clears HOB */
    }
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];
        switch (reg) {
        case 1:
            s->hob_feature = s->feature;
            s->feature = val;
            break;
        case 2:
            s->hob_nsector = s->nsector;
            s->nsector = val;
            break;
        case 3:
            s->hob_sector = s->sector;
            s->sector = val;
            break;
        case 4:
            s->hob_lcyl = s->lcyl;
            s->lcyl = val;
            break;
        case 5:
            s->hob_hcyl = s->hcyl;
            s->hcyl = val;
            break;
        case 6:
            s->select = val | 0xa0;
            break;
        }
    }
    if (reg == 6) {
        bus->unit = (val >> 4) & 1;
    } else if (reg == 7) {
        ide_exec_cmd(bus, val);
    } else if (reg == 0) {
        ide_data_write(bus, val, 1);
    }
}

void ide_ctrl_write(IDEBus *bus, uint32_t val)
{
    if (!(bus->devctl & IDE_CTRL_SRST) && (val & IDE_CTRL_SRST)) {
        for (int i = 0; i < 2; i++) {
            bus->ifs[i].status |= BUSY_STAT;
        }
    } else if ((bus->devctl & IDE_CTRL_SRST) && !(val & IDE_CTRL_SRST)) {
        /* software reset released: both devices come back with their
         * signatures, device 0 selected */
        ide_dma_cancel(bus);
        for (int i = 0; i < 2; i++) {
            IDEState *s = &bus->ifs[i];
            ide_reset_state(s);
            ide_exec_diagnostic(s, false);
        }
        bus->unit = 0;
    }
    bus->devctl = val & 0xff;
    if (val & IDE_CTRL_NIEN) {
        irq_lower(bus->irq);
    }
}

/* The data port: 16 or 32 bits at a time (8 for odd programs). */
uint32_t ide_data_read(IDEBus *bus, unsigned size)
{
    IDEState *s = cur(bus);
    if (!(s->status & DRQ_STAT) || s->xfer != XFER_PIO_IN || !s->end_transfer) {
        return size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size && s->data_ptr < s->data_end; i++) {
        v |= (uint32_t)s->buf[s->data_ptr++] << (8 * i);
    }
    if (s->data_ptr >= s->data_end) {
        void (*end)(IDEState *) = s->end_transfer;
        s->status &= ~DRQ_STAT;
        end(s);
    }
    return v;
}

void ide_data_write(IDEBus *bus, uint32_t val, unsigned size)
{
    IDEState *s = cur(bus);
    if (!(s->status & DRQ_STAT) || s->xfer != XFER_PIO_OUT || !s->end_transfer) {
        return;
    }
    for (unsigned i = 0; i < size && s->data_ptr < s->data_end; i++) {
        s->buf[s->data_ptr++] = val >> (8 * i);
    }
    if (s->data_ptr >= s->data_end) {
        void (*end)(IDEState *) = s->end_transfer;
        s->status &= ~DRQ_STAT;
        end(s);
    }
}

/* ---- removable media ---- */

static void ide_cd_change_media(void *opaque, bool load)
{
    IDEState *s = opaque;
    if (load) {
        s->tray_open = false;
        s->unit_attention = true;
        s->gesn_event = 2;                /* new media */
    } else {
        s->gesn_event = 3;                /* media removal */
    }
}

static bool ide_cd_is_tray_open(void *opaque)
{
    return ((IDEState *)opaque)->tray_open;
}

static bool ide_cd_is_locked(void *opaque)
{
    return ((IDEState *)opaque)->tray_locked;
}

static void ide_cd_eject_request(void *opaque, bool force)
{
    IDEState *s = opaque;
    s->gesn_event = 1;                    /* the guest hears "eject request" */
}

/* block_resize: IDENTIFY reports the new size from now on (its LBA words;
 * the CHS geometry the BIOS took stays, as in QEMU) */
static void ide_hd_resize(void *opaque)
{
    IDEState *s = opaque;
    s->nb_sectors = blk_nb_sectors(s->blk);
}

static const BlockDevOps ide_hd_ops = {
    .resize_cb = ide_hd_resize,
};

static const BlockDevOps ide_cd_ops = {
    .change_media_cb = ide_cd_change_media,
    .is_tray_open = ide_cd_is_tray_open,
    .is_medium_locked = ide_cd_is_locked,
    .eject_request_cb = ide_cd_eject_request,
};

/* ---- devices: ide-hd and ide-cd ---- */

typedef struct IDEDrive {
    Device dev;
    BlockBackend *blk;
    char *bus;
    uint32_t unit;
    char *serial, *model, *ver;
    int32_t bootindex;
    uint32_t cyls, heads, secs;      /* the user's geometry, 0: guessed */
    uint32_t lcyls, lheads, lsecs;   /* the BIOS's (fw_cfg bios-geometry), 0: its own */
    char *bios_chs_trans;            /* none|lba|large|rechs|auto */
    bool is_cd;
} IDEDrive;

/* BIOS CHS translation, as CMOS 0x39 and SeaBIOS number them */
enum { IDE_TRANS_NONE, IDE_TRANS_LBA, IDE_TRANS_LARGE, IDE_TRANS_RECHS, IDE_TRANS_AUTO };

/* The logical geometry an MBR's partition table was made with (its first
 * partition that ends on a cylinder boundary), as QEMU guesses it; false
 * when there is no MBR or no such partition. */
static bool ide_guess_mbr_chs(IDEState *s, unsigned *cyls, unsigned *heads, unsigned *secs)
{
    uint8_t mbr[512];
    if (blk_pread(s->blk, 0, mbr, sizeof(mbr)) < 0 || mbr[510] != 0x55 || mbr[511] != 0xaa) {
        return false;
    }
    for (int i = 0; i < 4; i++) {
        const uint8_t *p = mbr + 0x1be + 16 * i;
        uint32_t nr = p[12] | p[13] << 8 | p[14] << 16 | (uint32_t)p[15] << 24;
        unsigned end_head = p[5], end_sec = p[6] & 63;
        if (!nr || !end_head || !end_sec) {
            continue;
        }
        uint64_t c = s->nb_sectors / ((end_head + 1) * end_sec);
        if (c < 1 || c > 16383) {
            continue;
        }
        *cyls = c;
        *heads = end_head + 1;
        *secs = end_sec;
        return true;
    }
    return false;
}

/* The drive's physical geometry (IDENTIFY words 1/3/6) and the BIOS
 * translation for it: 16 heads of 63 sectors by default, LBA translation
 * beyond 1024 cylinders; a partition table made with 16 heads or fewer
 * becomes the geometry itself (no translation), one made with more
 * means a BIOS translated it (LARGE or LBA). */
static void ide_guess_geometry(IDEState *s)
{
    uint64_t n = s->nb_sectors;
    unsigned c, h, sec;
    bool mbr = ide_guess_mbr_chs(s, &c, &h, &sec);
    if (mbr && h <= 16) {
        s->phys_cyls = c;
        s->phys_heads = h;
        s->phys_secs = sec;
        s->bios_trans = IDE_TRANS_NONE;
    } else {
        uint64_t cyls = n / (16 * 63);
        s->phys_cyls = cyls > 16383 ? 16383 : cyls < 2 ? 2 : cyls;
        s->phys_heads = 16;
        s->phys_secs = 63;
        if (mbr) {
            s->bios_trans = s->phys_cyls * 16 <= 131072 ? IDE_TRANS_LARGE : IDE_TRANS_LBA;
        } else {
            s->bios_trans = s->phys_cyls <= 1024 ? IDE_TRANS_NONE : IDE_TRANS_LBA;
        }
    }
    s->cyls = s->phys_cyls;
    s->heads = s->phys_heads;
    s->secs = s->phys_secs;
}

bool ide_get_geometry(int bus_id, int unit, unsigned *cyls, unsigned *heads, unsigned *secs,
                      int *trans)
{
    char name[8];
    g_snprintf(name, sizeof(name), "ide.%d", bus_id);
    IDEBus *bus = ide_bus_find(name);
    if (!bus || unit < 0 || unit > 1) {
        return false;
    }
    IDEState *s = &bus->ifs[unit];
    if (!s->dev || s->is_cd) {
        return false;
    }
    *cyls = s->phys_cyls;
    *heads = s->phys_heads;
    *secs = s->phys_secs;
    *trans = s->bios_trans;
    return true;
}

static unsigned ide_drive_count;

/* cyls=, heads=, secs= and bios-chs-trans=, checked as QEMU's blkconf_geometry
 * does for IDE (up to 65535 cylinders, 16 heads, 255 sectors) */
static bool ide_user_geometry(IDEDrive *d, int *trans, GError **errp)
{
    static const char *const names[] = { "none", "lba", "large", "rechs", "auto" };
    *trans = IDE_TRANS_AUTO;
    if (d->bios_chs_trans) {
        for (*trans = 0; *trans < (int)G_N_ELEMENTS(names); (*trans)++) {
            if (!strcmp(d->bios_chs_trans, names[*trans])) {
                break;
            }
        }
        if (*trans == (int)G_N_ELEMENTS(names)) {
            vireo_set_error(errp, "Property 'bios-chs-trans' does not accept value '%s' "
                            "(none, lba, large, rechs or auto)", d->bios_chs_trans);
            return false;
        }
    }
    if (!d->cyls && !d->heads && !d->secs) {
        return true;
    }
    if (d->cyls < 1 || d->cyls > 65535) {
        vireo_set_error(errp, "cyls must be between 1 and 65535");
    } else if (d->heads < 1 || d->heads > 16) {
        vireo_set_error(errp, "heads must be between 1 and 16");
    } else if (d->secs < 1 || d->secs > 255) {
        vireo_set_error(errp, "secs must be between 1 and 255");
    } else {
        return true;
    }
    return false;
}

static bool ide_drive_realize_common(Device *dev, bool is_cd, GError **errp)
{
    IDEDrive *d = (IDEDrive *)dev;
    d->is_cd = is_cd;
    int user_trans;
    if (!ide_user_geometry(d, &user_trans, errp)) {
        return false;
    }
    const char *busname = d->bus ? d->bus : "ide.0";
    IDEBus *bus = ide_bus_find(busname);
    if (!bus) {
        vireo_set_error(errp, "Bus '%s' not found", busname);
        return false;
    }
    if (d->unit > 1) {
        vireo_set_error(errp, "Can't create IDE unit %u, bus supports only 2 units", d->unit);
        return false;
    }
    IDEState *s = &bus->ifs[d->unit];
    if (s->dev) {
        vireo_set_error(errp, "IDE unit %u of %s is in use", d->unit, busname);
        return false;
    }
    if (!d->blk && !is_cd) {
        vireo_set_error(errp, "No drive specified");
        return false;
    }
    /* a CD on a writable drive is accepted, as QEMU does: ATAPI has no
     * write command, so the medium is never written */
    if (d->blk && blk_get_attached_dev(d->blk)) {
        /* let blk_attach_dev say who has it, before anything is recorded */
        return blk_attach_dev(d->blk, dev, dev->id ? dev->id : busname, errp);
    }
    /* QEMU's (Open Firmware) path, which SeaBIOS matches against the ATA
     * channel and unit it found the drive on */
    g_autofree char *pci = bootdevice_pci_path("ide", bus->pci ? bus->pci->devfn : 0);
    g_autofree char *path = g_strdup_printf("%s/drive@%x/disk@%x", pci, bus->bus_id, d->unit);
    if (!bootdevice_add(d->bootindex, path, errp)) {
        return false;
    }
    if (d->lcyls || d->lheads || d->lsecs) {
        bootdevice_add_lchs(path, d->lcyls, d->lheads, d->lsecs);
    }
    if (!d->blk) {
        /* an empty CD-ROM drive has a drive of its own */
        d->blk = blk_new_open(NULL, NULL, NULL, 0, errp);
        if (!d->blk) {
            return false;
        }
        blk_set_removable(d->blk, true);
    }
    if (!blk_attach_dev(d->blk, dev, dev->id ? dev->id : busname, errp)) {
        return false;
    }
    s->dev = dev;
    s->blk = d->blk;
    s->is_cd = is_cd;
    s->wcache = true;
    unsigned n = ++ide_drive_count;
    /* serial= of the device, else of its -drive (as QEMU), else a default */
    DriveInfo *di = drive_get_by_blk(d->blk);
    if (d->serial) {
        g_strlcpy(s->serial, d->serial, sizeof(s->serial));
    } else if (di && di->serial) {
        g_strlcpy(s->serial, di->serial, sizeof(s->serial));
    } else {
        g_snprintf(s->serial, sizeof(s->serial), "QM%05u", n);
    }
    g_strlcpy(s->model, d->model ? d->model : is_cd ? "QEMU DVD-ROM" : "QEMU HARDDISK",
              sizeof(s->model));
    g_strlcpy(s->version, d->ver ? d->ver : "2.5+", sizeof(s->version));
    if (is_cd) {
        blk_set_removable(d->blk, true);
        blk_set_dev_ops(d->blk, &ide_cd_ops, s);
    } else {
        s->nb_sectors = blk_nb_sectors(d->blk);
        ide_guess_geometry(s);
        if (d->cyls) {
            /* the user's geometry; with translation auto, none while it
             * fits the BIOS's 1024 cylinders, else LBA (QEMU's rule) */
            s->cyls = s->phys_cyls = d->cyls;
            s->heads = s->phys_heads = d->heads;
            s->secs = s->phys_secs = d->secs;
            s->bios_trans = d->cyls <= 1024 && d->secs <= 63 ? IDE_TRANS_NONE : IDE_TRANS_LBA;
        }
        if (user_trans != IDE_TRANS_AUTO) {
            s->bios_trans = user_trans;
        }
        blk_set_dev_ops(d->blk, &ide_hd_ops, s);
    }
    ide_reset_state(s);
    return true;
}

static bool ide_hd_realize(Device *dev, GError **errp)
{
    return ide_drive_realize_common(dev, false, errp);
}

static bool ide_cd_realize(Device *dev, GError **errp)
{
    return ide_drive_realize_common(dev, true, errp);
}

/* what ide-hd and ide-cd share; ide-hd adds its geometry */
#define IDE_DRIVE_COMMON_PROPS \
    DEFINE_PROP("drive", PROP_DRIVE, IDEDrive, blk, NULL), \
    DEFINE_PROP("bus", PROP_STRING, IDEDrive, bus, NULL), \
    DEFINE_PROP("unit", PROP_U32, IDEDrive, unit, "0"), \
    DEFINE_PROP("serial", PROP_STRING, IDEDrive, serial, NULL), \
    DEFINE_PROP("model", PROP_STRING, IDEDrive, model, NULL), \
    DEFINE_PROP("ver", PROP_STRING, IDEDrive, ver, NULL), \
    DEFINE_PROP("bootindex", PROP_I32, IDEDrive, bootindex, "-1")

static const Property ide_cd_props[] = {
    IDE_DRIVE_COMMON_PROPS,
    DEFINE_PROP_END,
};

static const Property ide_drive_props[] = {
    IDE_DRIVE_COMMON_PROPS,
    DEFINE_PROP("cyls", PROP_U32, IDEDrive, cyls, "0"),
    DEFINE_PROP("heads", PROP_U32, IDEDrive, heads, "0"),
    DEFINE_PROP("secs", PROP_U32, IDEDrive, secs, "0"),
    DEFINE_PROP("bios-chs-trans", PROP_STRING, IDEDrive, bios_chs_trans, NULL),
    DEFINE_PROP("lcyls", PROP_U32, IDEDrive, lcyls, "0"),
    DEFINE_PROP("lheads", PROP_U32, IDEDrive, lheads, "0"),
    DEFINE_PROP("lsecs", PROP_U32, IDEDrive, lsecs, "0"),
    DEFINE_PROP_END,
};

static const DeviceClass ide_hd_class = {
    .name = "ide-hd",
    .desc = "virtual IDE disk",
    .bus = BUS_NONE,
    .instance_size = sizeof(IDEDrive),
    .props = ide_drive_props,
    .user_creatable = true,
    .realize = ide_hd_realize,
};
DEVICE_REGISTER(ide_hd_class)

static const DeviceClass ide_cd_class = {
    .name = "ide-cd",
    .desc = "virtual IDE CD-ROM",
    .bus = BUS_NONE,
    .instance_size = sizeof(IDEDrive),
    .props = ide_cd_props,
    .user_creatable = true,
    .realize = ide_cd_realize,
};
DEVICE_REGISTER(ide_cd_class)

/* ---- channel ---- */

void ide_bus_init(IDEBus *bus, int bus_id, IRQ irq, struct PCIDevice *pci)
{
    g_snprintf(bus->name, sizeof(bus->name), "ide.%d", bus_id);
    bus->bus_id = bus_id;
    bus->irq = irq;
    bus->pci = pci;
    for (int i = 0; i < 2; i++) {
        bus->ifs[i].bus = bus;
        bus->ifs[i].unit = i;
        bus->ifs[i].buf = g_malloc0(IDE_BUF_SIZE);
    }
    if (!ide_buses) {
        ide_buses = g_ptr_array_new();
    }
    g_ptr_array_add(ide_buses, bus);
}

void ide_bus_reset(IDEBus *bus)
{
    ide_dma_cancel(bus);
    bus->unit = 0;
    bus->devctl = 0;
    bus->bm.cmd = 0;
    bus->bm.status &= 0x60;               /* drive DMA capable bits stay */
    bus->bm.addr = 0;
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];
        ide_reset_state(s);
        s->tray_open = false;
        s->xfer_mode = 0;
        /* a hardware reset forgets INITIALIZE DEVICE PARAMETERS */
        s->cyls = s->phys_cyls;
        s->heads = s->phys_heads;
        s->secs = s->phys_secs;
    }
    irq_lower(bus->irq);
}
