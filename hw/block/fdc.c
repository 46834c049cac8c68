/*
 * Intel 82078-compatible floppy disk controller (PC/AT mode) with two
 * drives, on the ISA bus: 0x3f0-0x3f5 and 0x3f7, IRQ 6, DMA channel 2.
 *
 * Registers: SRA/SRB (PS/2 style, read only), DOR, TDR, MSR/DSR, FIFO,
 * DIR/CCR.  Commands: SPECIFY, SENSE DRIVE STATUS, RECALIBRATE, SENSE
 * INTERRUPT STATUS, SEEK, RELATIVE SEEK, READ ID, READ DATA, WRITE DATA,
 * WRITE DELETED DATA (written as normal data), FORMAT TRACK, VERIFY,
 * VERSION, CONFIGURE, LOCK, PERPENDICULAR MODE, DUMPREG, PART ID,
 * POWERDOWN MODE.  READ TRACK, READ DELETED DATA and the SCAN commands are
 * "invalid command" (ST0 0x80), as on a controller without them.
 *
 * A diskette is an image of C * H * S 512-byte sectors; its format
 * (tracks, heads, sectors, data rate) and the drive type follow from the
 * image size (fdc_formats).  An image shorter than a standard format is
 * taken as a truncated image of it (GRUB's rescue floppy is 1.24 MiB):
 * the missing tail reads as zeroes and cannot be written.
 *
 * Timing: seeks, READ ID and VERIFY complete at once; DMA transfers run
 * when the 8237 serves DREQ (a bottom half), PIO transfers as fast as the
 * guest reads the FIFO.  What a guest can do wrong (bad drive, cylinder,
 * sector, size, data rate, write to a protected disk) ends in the status
 * bits the datasheet gives for it; -d guest_errors logs the odd cases.
 */
#include <string.h>

#include "block/block.h"
#include "hw/block/fdc.h"
#include "hw/core/bootdevice.h"
#include "hw/core/device.h"
#include "hw/core/iostats.h"
#include "hw/dma/i8257.h"
#include "hw/isa/isa.h"
#include "util/log.h"

#define FD_SECTOR_LEN   512
#define FD_NDRIVES      2
#define FD_RESET_SENSEI 4

/* Data rates as the DSR/CCR encode them. */
enum { RATE_500K = 0, RATE_300K = 1, RATE_250K = 2, RATE_1M = 3 };

/* Drive types, numbered as CMOS register 0x10 does. */
enum { FDT_NONE = 0, FDT_360 = 1, FDT_120 = 2, FDT_720 = 3, FDT_144 = 4, FDT_288 = 5 };

typedef struct FDFormat {
    uint8_t drive;              /* drive type that takes this medium */
    uint8_t sects, tracks, heads;
    uint8_t rate;
    bool standard;              /* candidate for a truncated image */
    const char *name;
} FDFormat;

/* Exact sizes first match in this order (the 3.5" 720K 80x1 and the
 * 5.25" 360K 40x2 have the same size: 5.25" wins, as on DOS). */
static const FDFormat fdc_formats[] = {
    { FDT_144, 18, 80, 2, RATE_500K, true,  "1.44M" },
    { FDT_288, 36, 80, 2, RATE_1M,   true,  "2.88M" },
    { FDT_144,  9, 80, 2, RATE_250K, true,  "720K" },
    { FDT_120, 15, 80, 2, RATE_500K, true,  "1.2M" },
    { FDT_120,  9, 40, 2, RATE_300K, true,  "360K" },
    { FDT_120,  8, 40, 2, RATE_300K, true,  "320K" },
    { FDT_120,  9, 40, 1, RATE_300K, true,  "180K" },
    { FDT_120,  8, 40, 1, RATE_300K, true,  "160K" },
    /* DMF and the other extended formats of 3.5" HD disks */
    { FDT_144, 21, 80, 2, RATE_500K, false, "1.68M (DMF)" },
    { FDT_144, 21, 82, 2, RATE_500K, false, "1.72M" },
    { FDT_144, 21, 83, 2, RATE_500K, false, "1.74M" },
    { FDT_144, 20, 80, 2, RATE_500K, false, "1.6M" },
    { FDT_144, 20, 82, 2, RATE_500K, false, "1.64M" },
    { FDT_144, 22, 80, 2, RATE_500K, false, "1.76M" },
    { FDT_144, 23, 80, 2, RATE_500K, false, "1.84M" },
    { FDT_144, 24, 80, 2, RATE_500K, false, "1.92M" },
    { FDT_144, 10, 80, 2, RATE_250K, false, "800K" },
    { FDT_144, 10, 82, 2, RATE_250K, false, "820K" },
    { FDT_144, 11, 80, 2, RATE_250K, false, "880K" },
    { FDT_120, 18, 82, 2, RATE_500K, false, "1.48M" },
    { FDT_120, 10, 41, 2, RATE_300K, false, "410K" },
    { FDT_288, 39, 80, 2, RATE_1M,   false, "3.12M" },
    { FDT_288, 40, 80, 2, RATE_1M,   false, "3.2M" },
    { FDT_288, 44, 80, 2, RATE_1M,   false, "3.52M" },
    { FDT_288, 48, 80, 2, RATE_1M,   false, "3.84M" },
};

/* Status register bits. */
enum {
    ST0_DS = 0x03, ST0_HD = 0x04, ST0_EC = 0x10, ST0_SE = 0x20,
    ST0_ABNTERM = 0x40, ST0_INVCMD = 0x80, ST0_RDYCHG = 0xc0,
    ST1_MA = 0x01, ST1_NW = 0x02, ST1_ND = 0x04, ST1_EN = 0x80,
    ST2_BC = 0x02, ST2_WC = 0x10,
    ST3_HD = 0x04, ST3_TS = 0x08, ST3_T0 = 0x10, ST3_RY = 0x20, ST3_WP = 0x40,
    MSR_DRV_BUSY = 0x0f, MSR_CMD_BUSY = 0x10, MSR_NONDMA = 0x20, MSR_DIO = 0x40, MSR_RQM = 0x80,
    DOR_SEL = 0x03, DOR_NRESET = 0x04, DOR_DMAEN = 0x08, DOR_MOTORS = 0xf0,
    DSR_RATE = 0x03, DSR_PWRDOWN = 0x40, DSR_SWRESET = 0x80,
    DIR_DSKCHG = 0x80,
    CFG_EIS = 0x40, CFG_EFIFO = 0x20, CFG_POLL = 0x10, CFG_FIFOTHR = 0x0f,
};

enum { PHASE_CMD, PHASE_EXEC, PHASE_RESULT };
enum { XFER_NONE, XFER_READ, XFER_WRITE, XFER_FORMAT };

typedef struct FDCtrl FDCtrl;

typedef struct FDrive {
    FDCtrl *fdc;
    BlockBackend *blk;          /* NULL: no drive connected */
    uint8_t type;               /* FDT_* of the drive itself */
    const FDFormat *fmt;        /* NULL: no diskette */
    int64_t img_bytes;
    bool ro;
    uint8_t track;              /* head position (what PCN reports) */
    bool media_changed;         /* the DSKCHG line */
} FDrive;

struct FDCtrl {
    Device dev;
    uint32_t iobase, irq_num, dma_num;
    BlockBackend *blk_a, *blk_b;
    IRQ irq;
    I8257State *dma;
    MemoryRegion io, io_dir;
    FDrive drives[FD_NDRIVES];
    void (*notify)(void *opaque);
    void *notify_opaque;
    IOStatsSource *ios;
    uint64_t st_reqs[2], st_bytes[2];   /* sectors read [0] and written [1] */
    uint64_t st_irqs;

    uint8_t dor, tdr, rate;
    bool irq_level;
    int phase;
    uint8_t fifo[16];
    int cmd_pos, cmd_len;
    int res_pos, res_len;

    /* interrupt status for SENSE INTERRUPT STATUS */
    int reset_sensei;
    uint8_t seek_pending;       /* bit per unit: a seek/recalibrate ended */
    uint8_t seek_st0[4];

    /* SPECIFY, CONFIGURE, LOCK, PERPENDICULAR */
    uint8_t srt_hut, hlt_nd;
    uint8_t config, pretrk;
    bool lock;
    uint8_t perp;
    uint8_t last_eot;

    /* the data command being executed */
    int xfer;
    bool xfer_dma;
    bool verify;
    int unit, phys_head;
    uint8_t c, h, r, n, eot;
    bool mt;
    uint8_t st0, st1, st2;
    uint8_t st0_se;             /* SE when the command did an implied seek */
    uint8_t buf[FD_SECTOR_LEN];
    int buf_pos;
    bool buf_valid;
    int fmt_left;               /* FORMAT: sector IDs still to come */
    uint8_t fmt_fill, fmt_n;
};

/* ---- media ---- */

static const FDFormat *fdc_format_for_size(int64_t bytes)
{
    for (size_t i = 0; i < G_N_ELEMENTS(fdc_formats); i++) {
        const FDFormat *f = &fdc_formats[i];
        if ((int64_t)f->sects * f->tracks * f->heads * FD_SECTOR_LEN == bytes) {
            return f;
        }
    }
    /* a truncated image: the smallest standard format that holds it */
    const FDFormat *best = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(fdc_formats); i++) {
        const FDFormat *f = &fdc_formats[i];
        int64_t size = (int64_t)f->sects * f->tracks * f->heads * FD_SECTOR_LEN;
        if (f->standard && size > bytes &&
            (!best || size < (int64_t)best->sects * best->tracks * best->heads * FD_SECTOR_LEN)) {
            best = f;
        }
    }
    return best;
}

/* Look at the inserted medium; false (with *errp) if no format fits it. */
static bool fd_revalidate(FDrive *drv, GError **errp)
{
    drv->fmt = NULL;
    drv->img_bytes = 0;
    if (!drv->blk || !blk_is_inserted(drv->blk)) {
        return true;
    }
    int64_t len = blk_getlength(drv->blk);
    const FDFormat *f = len > 0 ? fdc_format_for_size(len) : NULL;
    if (!f) {
        BlockDriverState *bs = blk_bs(drv->blk);
        vireo_set_error(errp, "floppy image '%s' has %lld bytes, which fits no floppy format "
                        "(at most 3.84 MB)", bs ? bdrv_filename(bs) : blk_name(drv->blk),
                        (long long)len);
        return false;
    }
    drv->fmt = f;
    drv->img_bytes = len;
    drv->ro = blk_is_read_only(drv->blk);
    return true;
}

static void fd_change_media_cb(void *opaque, bool load)
{
    FDrive *drv = opaque;
    GError *err = NULL;
    if (!fd_revalidate(drv, &err)) {
        warn_report("%s", err->message);
        g_error_free(err);
    }
    /* any change of medium raises the disk change line until a step
     * pulse with a diskette in the drive */
    drv->media_changed = true;
}

static const BlockDevOps fd_block_ops = {
    .change_media_cb = fd_change_media_cb,
};

static bool fd_attach(FDCtrl *s, int unit, BlockBackend *blk, const char *dev_name, GError **errp)
{
    FDrive *drv = &s->drives[unit];
    if (drv->blk) {
        vireo_set_error(errp, "floppy drive %c: is already connected", 'A' + unit);
        return false;
    }
    if (!blk_attach_dev(blk, drv, dev_name, errp)) {
        return false;
    }
    drv->blk = blk;
    blk_set_removable(blk, true);
    blk_set_dev_ops(blk, &fd_block_ops, drv);
    if (!fd_revalidate(drv, errp)) {
        return false;
    }
    /* the drive type follows the diskette; an empty drive is a 1.44M one */
    drv->type = drv->fmt ? drv->fmt->drive : FDT_144;
    drv->media_changed = true;
    return true;
}

/* Sector index in the image of (cylinder, head, sector), or -1. */
static int64_t fd_lba(FDrive *drv, int c, int h, int r)
{
    const FDFormat *f = drv->fmt;
    if (!f || c >= f->tracks || h >= f->heads || r < 1 || r > f->sects) {
        return -1;
    }
    return ((int64_t)c * f->heads + h) * f->sects + r - 1;
}

/* one sector read or written: a request for iostats */
static void fd_account(FDrive *drv, bool write, int64_t t0)
{
    FDCtrl *s = drv->fdc;
    s->st_reqs[write]++;
    s->st_bytes[write] += FD_SECTOR_LEN;
    iostats_req_done(s->ios, write ? IOREQ_WRITE : IOREQ_READ, t0, FD_SECTOR_LEN);
}

static bool fd_read_sector(FDrive *drv, int64_t lba, uint8_t *buf)
{
    int64_t t0 = iostats_now();
    int64_t off = lba * FD_SECTOR_LEN;
    bool ok = true;
    if (off >= drv->img_bytes) {
        memset(buf, 0, FD_SECTOR_LEN);      /* truncated image: the tail is blank */
    } else {
        int64_t n = MIN((int64_t)FD_SECTOR_LEN, drv->img_bytes - off);
        if (n < FD_SECTOR_LEN) {
            memset(buf + n, 0, FD_SECTOR_LEN - n);
        }
        ok = blk_pread(drv->blk, off, buf, n) >= 0;
    }
    fd_account(drv, false, t0);
    return ok;
}

static bool fd_write_sector(FDrive *drv, int64_t lba, const uint8_t *buf)
{
    int64_t t0 = iostats_now();
    int64_t off = lba * FD_SECTOR_LEN;
    if (off + FD_SECTOR_LEN > drv->img_bytes) {
        vlog(LOG_GUEST_ERRORS, "fdc: write beyond the end of a truncated image (sector %lld)\n",
             (long long)lba);
        return false;
    }
    bool ok = blk_pwrite(drv->blk, off, buf, FD_SECTOR_LEN) >= 0;
    fd_account(drv, true, t0);
    return ok;
}

/* A step pulse reaches the drive: the head moves, and with a diskette
 * inside the disk change line resets. */
static void fd_step_to(FDrive *drv, int track)
{
    if (track < 0) {
        track = 0;
    } else if (track > 255) {
        track = 255;
    }
    if (track != drv->track && drv->fmt) {
        drv->media_changed = false;
    }
    drv->track = track;
}

static FDrive *fdc_drive(FDCtrl *s, int unit)
{
    return unit < FD_NDRIVES && s->drives[unit].blk ? &s->drives[unit] : NULL;
}

/* ---- interrupt, phases ---- */

static void fdc_raise_irq(FDCtrl *s)
{
    if (!s->irq_level) {
        s->irq_level = true;
        irq_raise(s->irq);
        s->st_irqs++;
    }
}

static void fdc_lower_irq(FDCtrl *s)
{
    if (s->irq_level) {
        s->irq_level = false;
        irq_lower(s->irq);
    }
}

static void fdc_to_command_phase(FDCtrl *s)
{
    s->phase = PHASE_CMD;
    s->cmd_pos = 0;
    s->cmd_len = 0;
    s->res_pos = 0;
    s->res_len = 0;
    s->xfer = XFER_NONE;
}

static void fdc_to_result_phase(FDCtrl *s, int len)
{
    s->phase = PHASE_RESULT;
    s->res_pos = 0;
    s->res_len = len;
}

static void fdc_invalid(FDCtrl *s)
{
    s->fifo[0] = ST0_INVCMD;
    fdc_to_result_phase(s, 1);
}

/* Controller reset (DOR bit 2 low-to-high, DSR bit 7); irq: a reset the
 * guest did, which ends with an interrupt and, with polling on, one
 * "ready changed" status per drive for SENSE INTERRUPT STATUS. */
static void fdc_soft_reset(FDCtrl *s, bool irq)
{
    if (s->dma) {
        i8257_release_dreq(s->dma, s->dma_num);
    }
    fdc_lower_irq(s);
    fdc_to_command_phase(s);
    s->seek_pending = 0;
    s->reset_sensei = 0;
    if (!s->lock) {
        s->config = CFG_EFIFO;      /* FIFO off, polling on, implied seeks off */
        s->pretrk = 0;
    }
    s->perp &= 0x3c;                /* GAP and WGATE clear, the drive bits stay */
    if (irq) {
        if (!(s->config & CFG_POLL)) {
            s->reset_sensei = FD_RESET_SENSEI;
        }
        fdc_raise_irq(s);
    }
}

/* ---- data transfer ---- */

static void fdc_result_rw(FDCtrl *s)
{
    s->fifo[0] = s->st0;
    s->fifo[1] = s->st1;
    s->fifo[2] = s->st2;
    s->fifo[3] = s->c;
    s->fifo[4] = s->h;
    s->fifo[5] = s->r;
    s->fifo[6] = s->n;
    fdc_to_result_phase(s, 7);
    fdc_raise_irq(s);
}

static void fdc_stop_transfer(FDCtrl *s, uint8_t st0, uint8_t st1, uint8_t st2)
{
    if (s->xfer_dma && s->dma) {
        i8257_release_dreq(s->dma, s->dma_num);
    }
    s->st0 = st0 | s->st0_se | (s->phys_head << 2) | s->unit;
    s->st1 = st1;
    s->st2 = st2;
    s->xfer = XFER_NONE;
    fdc_result_rw(s);
}

/* Move the sector ID past the sector just done.  False when the end of
 * the cylinder was reached (after EOT on the last head MT allows). */
static bool fdc_next_sector(FDCtrl *s)
{
    FDrive *drv = fdc_drive(s, s->unit);
    if (s->r != s->eot) {
        s->r++;
        return true;
    }
    s->r = 1;
    if (s->mt && s->phys_head == 0 && drv && drv->fmt && drv->fmt->heads == 2) {
        s->phys_head = 1;
        s->h ^= 1;
        return true;
    }
    if (s->mt) {
        s->h ^= 1;
        s->phys_head = 0;
    }
    s->c++;
    return false;
}

/* The sector the ID (c, h, r, n) names under the head: checks what the
 * controller would find on the track.  Sets st1/st2 on failure. */
static int64_t fdc_find_sector(FDCtrl *s, FDrive *drv)
{
    if (!drv->fmt || s->phys_head >= drv->fmt->heads || drv->track >= drv->fmt->tracks) {
        s->st1 = ST1_MA;            /* nothing formatted there */
        return -1;
    }
    if (s->c != drv->track) {
        s->st1 = ST1_ND;
        s->st2 = drv->track == 0xff ? ST2_BC : ST2_WC;
        return -1;
    }
    int64_t lba = fd_lba(drv, drv->track, s->phys_head, s->r);
    if (s->h != s->phys_head || s->n != 2 || lba < 0) {
        s->st1 = ST1_ND;
        return -1;
    }
    return lba;
}

/* Fill buf for the next sector (READ: from the image; WRITE: empty).
 * False after it ended the command with an error. */
static bool fdc_load_sector(FDCtrl *s)
{
    FDrive *drv = fdc_drive(s, s->unit);
    s->buf_pos = 0;
    if (s->xfer == XFER_FORMAT) {
        s->buf_valid = true;
        return true;
    }
    s->st1 = s->st2 = 0;
    int64_t lba = drv ? fdc_find_sector(s, drv) : -1;
    if (lba < 0) {
        fdc_stop_transfer(s, ST0_ABNTERM, drv ? s->st1 : ST1_MA, s->st2);
        return false;
    }
    if (s->xfer == XFER_READ && !fd_read_sector(drv, lba, s->buf)) {
        fdc_stop_transfer(s, ST0_ABNTERM, 0x20 /* DE */, 0x20 /* DD */);
        return false;
    }
    s->buf_valid = true;
    return true;
}

/* A sector's worth of data went through buf.  tc: the DMA reached
 * terminal count with it.  False when the command ended. */
static bool fdc_sector_done(FDCtrl *s, bool tc)
{
    FDrive *drv = fdc_drive(s, s->unit);
    s->buf_valid = false;
    if (s->xfer == XFER_FORMAT) {
        /* buf[0..3] = C H R N of one sector to lay down */
        int64_t lba = fd_lba(drv, drv->track, s->phys_head, s->buf[2]);
        if (s->buf[0] != drv->track || s->buf[1] != s->phys_head || s->buf[3] != 2 || lba < 0) {
            vlog(LOG_GUEST_ERRORS, "fdc: FORMAT: sector ID %u/%u/%u/%u does not fit the %s "
                 "image at track %u head %d; not written\n", s->buf[0], s->buf[1], s->buf[2],
                 s->buf[3], drv->fmt ? drv->fmt->name : "(ejected)", drv->track, s->phys_head);
        } else {
            uint8_t fill[FD_SECTOR_LEN];
            memset(fill, s->fmt_fill, sizeof(fill));
            if (!fd_write_sector(drv, lba, fill)) {
                fdc_stop_transfer(s, ST0_ABNTERM, 0x20, 0);
                return false;
            }
        }
        s->c = s->buf[0];
        s->h = s->buf[1];
        s->r = s->buf[2];
        s->n = s->buf[3];
        if (--s->fmt_left == 0 || tc) {
            fdc_stop_transfer(s, 0, 0, 0);
            return false;
        }
        return true;
    }
    if (s->xfer == XFER_WRITE) {
        int64_t lba = fd_lba(drv, drv->track, s->phys_head, s->r);
        if (!fd_write_sector(drv, lba, s->buf)) {
            fdc_stop_transfer(s, ST0_ABNTERM, 0x20 /* DE */, 0);
            return false;
        }
    }
    bool more = fdc_next_sector(s);
    if (tc) {
        fdc_stop_transfer(s, 0, 0, 0);
        return false;
    }
    if (!more) {
        /* EOT passed without terminal count: end of cylinder */
        fdc_stop_transfer(s, ST0_ABNTERM, ST1_EN, 0);
        return false;
    }
    return true;
}

static int fdc_xfer_unit(FDCtrl *s)
{
    return s->xfer == XFER_FORMAT ? 4 : FD_SECTOR_LEN;
}

/* DMA channel 2 handler: move whole or partial sectors until terminal
 * count or the end of the command. */
static int fdc_dma_handler(void *opaque, int nchan, int pos, int size)
{
    FDCtrl *s = opaque;
    if (s->phase != PHASE_EXEC || !s->xfer_dma || s->xfer == XFER_NONE) {
        i8257_release_dreq(s->dma, nchan);
        return pos;
    }
    while (s->phase == PHASE_EXEC && pos < size) {
        if (!s->buf_valid && !fdc_load_sector(s)) {
            return pos;
        }
        int unit = fdc_xfer_unit(s);
        int n = MIN(unit - s->buf_pos, size - pos);
        if (s->xfer == XFER_READ) {
            n = i8257_write_memory(s->dma, nchan, s->buf + s->buf_pos, pos, n);
        } else {
            n = i8257_read_memory(s->dma, nchan, s->buf + s->buf_pos, pos, n);
        }
        if (n <= 0) {
            break;
        }
        s->buf_pos += n;
        pos += n;
        if (s->buf_pos == unit) {
            if (!fdc_sector_done(s, pos == size)) {
                return pos;
            }
        }
    }
    if (s->phase == PHASE_EXEC && pos >= size && s->buf_valid) {
        /* terminal count inside a sector: a write pads it with zeroes,
         * a read drops the rest; the command ends after this sector */
        if (s->xfer == XFER_WRITE) {
            memset(s->buf + s->buf_pos, 0, FD_SECTOR_LEN - s->buf_pos);
        }
        s->buf_pos = fdc_xfer_unit(s);
        fdc_sector_done(s, true);
    }
    return pos;
}

/* Start the execution phase of READ/WRITE/FORMAT. */
static void fdc_start_xfer(FDCtrl *s)
{
    s->phase = PHASE_EXEC;
    s->buf_valid = false;
    s->buf_pos = 0;
    s->xfer_dma = !(s->hlt_nd & 1) && (s->dor & DOR_DMAEN) && s->dma;
    if (s->xfer_dma) {
        i8257_hold_dreq(s->dma, s->dma_num);
    } else {
        /* PIO: the controller interrupts when it wants data moved */
        fdc_raise_irq(s);
    }
}

/* Checks common to every data command; false when it ended the command. */
static bool fdc_check_drive(FDCtrl *s, bool write)
{
    FDrive *drv = fdc_drive(s, s->unit);
    s->st1 = s->st2 = 0;
    if (!drv || !drv->fmt) {
        fdc_stop_transfer(s, ST0_ABNTERM, ST1_MA, 0);
        return false;
    }
    if (s->rate != drv->fmt->rate) {
        /* wrong data rate: the controller finds no address mark */
        fdc_stop_transfer(s, ST0_ABNTERM, ST1_MA, 0);
        return false;
    }
    if (write && drv->ro) {
        fdc_stop_transfer(s, ST0_ABNTERM, ST1_NW, 0);
        return false;
    }
    return true;
}

static void fdc_cmd_rw(FDCtrl *s, int xfer)
{
    uint8_t cmd = s->fifo[0];
    s->unit = s->fifo[1] & 3;
    s->phys_head = (s->fifo[1] >> 2) & 1;
    s->c = s->fifo[2];
    s->h = s->fifo[3];
    s->r = s->fifo[4];
    s->n = s->fifo[5];
    s->eot = s->fifo[6];
    s->last_eot = s->eot;
    s->mt = cmd & 0x80;
    s->xfer = xfer;
    if (!fdc_check_drive(s, xfer == XFER_WRITE)) {
        return;
    }
    FDrive *drv = fdc_drive(s, s->unit);
    if ((s->config & CFG_EIS) && s->c != drv->track) {
        fd_step_to(drv, s->c);      /* implied seek */
        s->st0_se = ST0_SE;
    }
    fdc_start_xfer(s);
}

static void fdc_cmd_verify(FDCtrl *s)
{
    s->unit = s->fifo[1] & 3;
    s->phys_head = (s->fifo[1] >> 2) & 1;
    bool ec = s->fifo[1] & 0x80;
    s->c = s->fifo[2];
    s->h = s->fifo[3];
    s->r = s->fifo[4];
    s->n = s->fifo[5];
    s->eot = s->fifo[6];
    s->last_eot = s->eot;
    s->mt = s->fifo[0] & 0x80;
    s->xfer = XFER_READ;
    s->xfer_dma = false;
    if (!fdc_check_drive(s, false)) {
        return;
    }
    FDrive *drv = fdc_drive(s, s->unit);
    if ((s->config & CFG_EIS) && s->c != drv->track) {
        fd_step_to(drv, s->c);
        s->st0_se = ST0_SE;
    }
    /* EC=1: DTL sectors; EC=0: up to EOT.  No data reaches the host. */
    int count = ec ? s->fifo[8] : 0;
    if (ec && count == 0) {
        fdc_stop_transfer(s, 0, 0, 0);
        return;
    }
    for (int i = 0; i < 2 * 255; i++) {
        s->st1 = s->st2 = 0;
        if (fdc_find_sector(s, drv) < 0) {
            fdc_stop_transfer(s, ST0_ABNTERM, s->st1, s->st2);
            return;
        }
        bool more = fdc_next_sector(s);
        if (ec && --count == 0) {
            fdc_stop_transfer(s, 0, 0, 0);
            return;
        }
        if (!more) {
            /* EC=0 ends at EOT successfully; with EC=1 the count ran past it */
            if (ec) {
                fdc_stop_transfer(s, ST0_ABNTERM, ST1_EN, 0);
            } else {
                fdc_stop_transfer(s, 0, 0, 0);
            }
            return;
        }
    }
    fdc_stop_transfer(s, 0, 0, 0);
}

static void fdc_cmd_format(FDCtrl *s)
{
    s->unit = s->fifo[1] & 3;
    s->phys_head = (s->fifo[1] >> 2) & 1;
    s->n = s->fifo[2];
    s->fmt_left = s->fifo[3];
    s->fmt_fill = s->fifo[5];
    s->xfer = XFER_FORMAT;
    FDrive *drv = fdc_drive(s, s->unit);
    s->c = drv ? drv->track : 0;
    s->h = s->phys_head;
    s->r = 1;
    if (!fdc_check_drive(s, true)) {
        return;
    }
    if (s->phys_head >= drv->fmt->heads || drv->track >= drv->fmt->tracks) {
        vlog(LOG_GUEST_ERRORS, "fdc: FORMAT outside the %s image (track %u head %d)\n",
             drv->fmt->name, drv->track, s->phys_head);
    }
    if (s->fmt_left == 0) {
        fdc_stop_transfer(s, 0, 0, 0);
        return;
    }
    fdc_start_xfer(s);
}

static void fdc_cmd_read_id(FDCtrl *s)
{
    s->unit = s->fifo[1] & 3;
    s->phys_head = (s->fifo[1] >> 2) & 1;
    FDrive *drv = fdc_drive(s, s->unit);
    s->xfer = XFER_NONE;
    s->xfer_dma = false;
    s->c = drv ? drv->track : 0;
    s->h = s->phys_head;
    s->r = 1;
    s->n = 2;
    if (!drv) {
        fdc_stop_transfer(s, ST0_ABNTERM, ST1_MA, 0);
        return;
    }
    if (!drv->fmt) {
        /* A real drive without a diskette never delivers index pulses and
         * the command would wait forever; like QEMU, answer with the head
         * position instead. */
        fdc_stop_transfer(s, 0, 0, 0);
        return;
    }
    if (s->rate != drv->fmt->rate || s->phys_head >= drv->fmt->heads ||
        drv->track >= drv->fmt->tracks) {
        fdc_stop_transfer(s, ST0_ABNTERM, ST1_MA, 0);
        return;
    }
    fdc_stop_transfer(s, 0, 0, 0);
}

/* ---- seek family ---- */

static void fdc_seek_end(FDCtrl *s, int unit, uint8_t st0)
{
    s->seek_st0[unit] = st0 | unit;
    s->seek_pending |= 1 << unit;
    fdc_raise_irq(s);
}

static void fdc_cmd_recalibrate(FDCtrl *s)
{
    int unit = s->fifo[1] & 3;
    FDrive *drv = fdc_drive(s, unit);
    fdc_to_command_phase(s);
    if (!drv) {
        /* no TRK0 signal after the step pulses: equipment check */
        fdc_seek_end(s, unit, ST0_ABNTERM | ST0_SE | ST0_EC);
        return;
    }
    fd_step_to(drv, 0);
    fdc_seek_end(s, unit, ST0_SE);
}

static void fdc_cmd_seek(FDCtrl *s, bool relative)
{
    int unit = s->fifo[1] & 3;
    int head = (s->fifo[1] >> 2) & 1;
    FDrive *drv = fdc_drive(s, unit);
    fdc_to_command_phase(s);
    if (drv) {
        int target = s->fifo[2];
        if (relative) {
            target = (s->fifo[0] & 0x40) ? drv->track + s->fifo[2] : drv->track - s->fifo[2];
        }
        /* the seek only sends step pulses: it does not care about media */
        fd_step_to(drv, target);
    }
    fdc_seek_end(s, unit, ST0_SE | (head << 2));
}

static void fdc_cmd_sense_interrupt(FDCtrl *s)
{
    if (s->reset_sensei > 0) {
        int unit = FD_RESET_SENSEI - s->reset_sensei;
        FDrive *drv = fdc_drive(s, unit);
        s->fifo[0] = ST0_RDYCHG | unit;
        s->fifo[1] = drv ? drv->track : 0;
        s->reset_sensei--;
        fdc_lower_irq(s);
        fdc_to_result_phase(s, 2);
        return;
    }
    for (int unit = 0; unit < 4; unit++) {
        if (s->seek_pending & (1 << unit)) {
            FDrive *drv = fdc_drive(s, unit);
            s->seek_pending &= ~(1 << unit);
            s->fifo[0] = s->seek_st0[unit];
            s->fifo[1] = drv ? drv->track : 0;
            if (!s->seek_pending) {
                fdc_lower_irq(s);
            }
            fdc_to_result_phase(s, 2);
            return;
        }
    }
    if (s->irq_level) {
        /* the reset interrupt with polling off */
        fdc_lower_irq(s);
        s->fifo[0] = ST0_RDYCHG;
        s->fifo[1] = s->drives[0].track;
        fdc_to_result_phase(s, 2);
        return;
    }
    fdc_invalid(s);
}

/* ---- command decoding ---- */

typedef struct FDCmd {
    uint8_t code;               /* low five bits */
    uint8_t flags;              /* MT/MFM/SK bits the command may carry */
    uint8_t len;                /* command bytes */
    const char *name;
} FDCmd;

static const FDCmd fdc_cmds[] = {
    { 0x03, 0x00, 3, "SPECIFY" },
    { 0x04, 0x00, 2, "SENSE DRIVE STATUS" },
    { 0x05, 0xc0, 9, "WRITE DATA" },
    { 0x06, 0xe0, 9, "READ DATA" },
    { 0x07, 0x00, 2, "RECALIBRATE" },
    { 0x08, 0x00, 1, "SENSE INTERRUPT STATUS" },
    { 0x09, 0xc0, 9, "WRITE DELETED DATA" },
    { 0x0a, 0x40, 2, "READ ID" },
    { 0x0d, 0x40, 6, "FORMAT TRACK" },
    { 0x0e, 0x00, 1, "DUMPREG" },
    { 0x0f, 0xc0, 3, "SEEK" },          /* 0x8f/0xcf: RELATIVE SEEK */
    { 0x10, 0x00, 1, "VERSION" },
    { 0x12, 0x00, 2, "PERPENDICULAR MODE" },
    { 0x13, 0x00, 4, "CONFIGURE" },
    { 0x14, 0x80, 1, "LOCK" },
    { 0x16, 0xe0, 9, "VERIFY" },
    { 0x17, 0x00, 2, "POWERDOWN MODE" },
    { 0x18, 0x00, 1, "PART ID" },
};

static const FDCmd *fdc_find_cmd(uint8_t b)
{
    for (size_t i = 0; i < G_N_ELEMENTS(fdc_cmds); i++) {
        const FDCmd *c = &fdc_cmds[i];
        if ((b & 0x1f) == c->code && !(b & 0xe0 & ~c->flags)) {
            if (c->code == 0x0f && (b & 0xe0) && !(b & 0x80)) {
                return NULL;            /* 0x4f: neither SEEK nor RELATIVE SEEK */
            }
            return c;
        }
    }
    return NULL;
}

static void fdc_execute(FDCtrl *s)
{
    uint8_t cmd = s->fifo[0];
    s->st0_se = 0;
    switch (cmd & 0x1f) {
    case 0x03:
        s->srt_hut = s->fifo[1];
        s->hlt_nd = s->fifo[2];
        fdc_to_command_phase(s);
        break;
    case 0x04: {
        int unit = s->fifo[1] & 3;
        FDrive *drv = fdc_drive(s, unit);
        uint8_t st3 = unit | (s->fifo[1] & ST3_HD) | ST3_RY | ST3_TS;
        if (!drv || drv->track == 0) {
            st3 |= drv ? ST3_T0 : 0;
        }
        if (!drv || !drv->fmt || drv->ro) {
            st3 |= ST3_WP;      /* no diskette reads as protected */
        }
        s->fifo[0] = st3;
        fdc_to_result_phase(s, 1);
        break;
    }
    case 0x05:
    case 0x09:
        fdc_cmd_rw(s, XFER_WRITE);
        break;
    case 0x06:
        fdc_cmd_rw(s, XFER_READ);
        break;
    case 0x07:
        fdc_cmd_recalibrate(s);
        break;
    case 0x08:
        fdc_cmd_sense_interrupt(s);
        break;
    case 0x0a:
        fdc_cmd_read_id(s);
        break;
    case 0x0d:
        fdc_cmd_format(s);
        break;
    case 0x0e:
        for (int i = 0; i < 4; i++) {
            FDrive *drv = fdc_drive(s, i);
            s->fifo[i] = drv ? drv->track : 0;
        }
        s->fifo[4] = s->srt_hut;
        s->fifo[5] = s->hlt_nd;
        s->fifo[6] = s->last_eot;
        s->fifo[7] = (s->lock ? 0x80 : 0) | (s->perp & 0x3f);
        s->fifo[8] = s->config;
        s->fifo[9] = s->pretrk;
        fdc_to_result_phase(s, 10);
        break;
    case 0x0f:
        fdc_cmd_seek(s, cmd & 0x80);
        break;
    case 0x10:
        s->fifo[0] = 0x90;          /* enhanced controller */
        fdc_to_result_phase(s, 1);
        break;
    case 0x12:
        /* OW=1 updates the per-drive bits; GAP and WGATE always */
        if (s->fifo[1] & 0x80) {
            s->perp = (s->perp & ~0x3c) | (s->fifo[1] & 0x3c);
        }
        s->perp = (s->perp & ~0x03) | (s->fifo[1] & 0x03);
        fdc_to_command_phase(s);
        break;
    case 0x13:
        s->config = s->fifo[2];
        s->pretrk = s->fifo[3];
        fdc_to_command_phase(s);
        break;
    case 0x14:
        s->lock = cmd & 0x80;
        s->fifo[0] = s->lock ? 0x10 : 0x00;
        fdc_to_result_phase(s, 1);
        break;
    case 0x16:
        fdc_cmd_verify(s);
        break;
    case 0x17:
        s->fifo[0] = s->fifo[1] & 0x3f;
        fdc_to_result_phase(s, 1);
        break;
    case 0x18:
        s->fifo[0] = 0x41;          /* 82078, stepping 1 */
        fdc_to_result_phase(s, 1);
        break;
    default:
        fdc_invalid(s);
        break;
    }
}

/* ---- registers ---- */

static uint8_t fdc_msr(FDCtrl *s)
{
    if (!(s->dor & DOR_NRESET)) {
        return 0;
    }
    switch (s->phase) {
    case PHASE_CMD:
        return MSR_RQM | (s->cmd_pos ? MSR_CMD_BUSY : 0);
    case PHASE_RESULT:
        return MSR_RQM | MSR_DIO | MSR_CMD_BUSY;
    default:
        if (s->xfer_dma) {
            return MSR_CMD_BUSY;
        }
        return MSR_RQM | MSR_NONDMA | MSR_CMD_BUSY | (s->xfer == XFER_READ ? MSR_DIO : 0);
    }
}

static uint8_t fdc_read_fifo(FDCtrl *s)
{
    if (!(s->dor & DOR_NRESET)) {
        return 0;
    }
    if (s->phase == PHASE_RESULT) {
        uint8_t v = s->fifo[s->res_pos++];
        if (s->res_pos >= s->res_len) {
            fdc_to_command_phase(s);
            /* the last result byte clears the completion interrupt, unless
             * a seek still waits for SENSE INTERRUPT STATUS */
            if (!s->seek_pending && !s->reset_sensei) {
                fdc_lower_irq(s);
            }
        }
        return v;
    }
    if (s->phase == PHASE_EXEC && !s->xfer_dma && s->xfer == XFER_READ) {
        if (!s->buf_valid && !fdc_load_sector(s)) {
            return 0;
        }
        uint8_t v = s->buf[s->buf_pos++];
        if (s->buf_pos == FD_SECTOR_LEN) {
            fdc_sector_done(s, false);
        }
        return v;
    }
    vlog(LOG_GUEST_ERRORS, "fdc: FIFO read with no data to give (phase %d)\n", s->phase);
    return 0;
}

static void fdc_write_fifo(FDCtrl *s, uint8_t val)
{
    if (!(s->dor & DOR_NRESET)) {
        vlog(LOG_GUEST_ERRORS, "fdc: FIFO write while the controller is in reset\n");
        return;
    }
    if (s->phase == PHASE_EXEC && !s->xfer_dma &&
        (s->xfer == XFER_WRITE || s->xfer == XFER_FORMAT)) {
        if (!s->buf_valid && !fdc_load_sector(s)) {
            return;
        }
        s->buf[s->buf_pos++] = val;
        if (s->buf_pos == fdc_xfer_unit(s)) {
            fdc_sector_done(s, false);
        }
        return;
    }
    if (s->phase != PHASE_CMD) {
        vlog(LOG_GUEST_ERRORS, "fdc: FIFO write 0x%02x outside the command phase\n", val);
        return;
    }
    if (s->cmd_pos == 0) {
        const FDCmd *c = fdc_find_cmd(val);
        if (!c) {
            vlog(LOG_GUEST_ERRORS, "fdc: invalid command 0x%02x\n", val);
            s->fifo[0] = val;
            fdc_invalid(s);
            return;
        }
        s->cmd_len = c->len;
    }
    s->fifo[s->cmd_pos++] = val;
    if (s->cmd_pos >= s->cmd_len) {
        fdc_execute(s);
    }
}

static void fdc_write_dor(FDCtrl *s, uint8_t val)
{
    uint8_t old = s->dor;
    s->dor = val;
    if (!(val & DOR_NRESET)) {
        /* held in reset: nothing runs, the interrupt drops */
        if (old & DOR_NRESET) {
            if (s->dma) {
                i8257_release_dreq(s->dma, s->dma_num);
            }
            fdc_to_command_phase(s);
            fdc_lower_irq(s);
        }
    } else if (!(old & DOR_NRESET)) {
        fdc_soft_reset(s, true);
    }
}

static uint64_t fdc_io_read(void *opaque, hwaddr addr, unsigned size)
{
    FDCtrl *s = opaque;
    int sel = s->dor & DOR_SEL;
    switch (addr) {
    case 0: {                               /* SRA (PS/2) */
        uint8_t v = s->irq_level ? 0x80 : 0;
        if (!fdc_drive(s, 1)) {
            v |= 0x40;                      /* nDRV2: no second drive */
        }
        FDrive *drv = fdc_drive(s, sel);
        if (drv && drv->track == 0) {
            v |= 0x10;                      /* nTRK0 is active low: bit set = at 0 */
        }
        return v;
    }
    case 1:                                 /* SRB (PS/2) */
        return 0xc0 | ((s->dor & 1) << 5) | ((s->dor >> 4) & 0x03);
    case 2:
        return s->dor;
    case 3:
        return s->tdr | 0xfc;
    case 4:
        return fdc_msr(s);
    case 5:
        return fdc_read_fifo(s);
    default:
        return 0xff;
    }
}

static void fdc_io_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    FDCtrl *s = opaque;
    uint8_t val = val64;
    switch (addr) {
    case 2:
        fdc_write_dor(s, val);
        break;
    case 3:
        s->tdr = val & 0x03;
        break;
    case 4:                                 /* DSR */
        s->rate = val & DSR_RATE;
        if ((val & DSR_SWRESET) && (s->dor & DOR_NRESET)) {
            fdc_soft_reset(s, true);
        }
        break;
    case 5:
        fdc_write_fifo(s, val);
        break;
    default:
        vlog(LOG_GUEST_ERRORS, "fdc: write 0x%02x to read-only register %d\n", val, (int)addr);
        break;
    }
}

static const MemoryRegionOps fdc_io_ops = {
    .read = fdc_io_read,
    .write = fdc_io_write,
    .min_access = 1,
    .max_access = 1,
};

static uint64_t fdc_dir_read(void *opaque, hwaddr addr, unsigned size)
{
    FDCtrl *s = opaque;
    FDrive *drv = fdc_drive(s, s->dor & DOR_SEL);
    /* bits 0-6 belong to the hard disk controller on an AT */
    uint8_t v = 0;
    if (!drv || drv->media_changed || !drv->fmt) {
        v |= DIR_DSKCHG;
    }
    return v;
}

static void fdc_ccr_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    FDCtrl *s = opaque;
    s->rate = val & DSR_RATE;
}

static const MemoryRegionOps fdc_dir_ops = {
    .read = fdc_dir_read,
    .write = fdc_ccr_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- device ---- */

int fdc_cmos_drive_type(Device *dev, int unit)
{
    FDCtrl *s = DEVICE_CAST(FDCtrl, dev);
    if (unit < 0 || unit >= FD_NDRIVES || !s->drives[unit].blk) {
        return FDT_NONE;
    }
    return s->drives[unit].type;
}

void fdc_set_drive_notify(Device *dev, void (*fn)(void *opaque), void *opaque)
{
    FDCtrl *s = DEVICE_CAST(FDCtrl, dev);
    s->notify = fn;
    s->notify_opaque = opaque;
}

static void fdc_iostats(void *opaque, IOStats *st)
{
    FDCtrl *s = opaque;
    st->rx_requests = s->st_reqs[0];
    st->rx_bytes = s->st_bytes[0];
    st->tx_requests = s->st_reqs[1];
    st->tx_bytes = s->st_bytes[1];
    /* every sector goes through the controller's buffer, to or from
     * guest memory by the 8237 (or by the CPU, a byte per port access) */
    st->copy_bytes = s->st_bytes[0] + s->st_bytes[1];
    st->copy_buffers = s->st_reqs[0] + s->st_reqs[1];
    st->irqs = s->st_irqs;
}

static bool fdc_realize(Device *dev, GError **errp)
{
    FDCtrl *s = DEVICE_CAST(FDCtrl, dev);
    if (s->irq_num > 15 || s->dma_num > 3 || s->iobase > 0xfff8) {
        vireo_set_error(errp, "isa-fdc: irq must be 0-15, dma 0-3 and iobase at most 0xfff8");
        return false;
    }
    for (int i = 0; i < FD_NDRIVES; i++) {
        s->drives[i].fdc = s;
    }
    BlockBackend *blks[FD_NDRIVES] = { s->blk_a, s->blk_b };
    for (int i = 0; i < FD_NDRIVES; i++) {
        if (blks[i]) {
            char name[32];
            g_snprintf(name, sizeof(name), "%s/drive%c", dev->id ? dev->id : "isa-fdc", 'A' + i);
            if (!fd_attach(s, i, blks[i], name, errp)) {
                return false;
            }
        }
    }
    s->irq = isa_get_irq(s->irq_num);
    s->dma = isa_get_dma();
    if (s->dma) {
        i8257_register_channel(s->dma, s->dma_num, fdc_dma_handler, s);
    }
    isa_register_ioport(&s->io, &fdc_io_ops, s, "fdc", s->iobase, 6);
    isa_register_ioport(&s->io_dir, &fdc_dir_ops, s, "fdc-dir", s->iobase + 7, 1);
    const char *name = dev->id ? dev->id : "isa-fdc";
    s->ios = iostats_register(name, "block", fdc_iostats, s);
    iostats_add_region(name, &s->io);
    iostats_add_region(name, &s->io_dir);
    return true;
}

static void fdc_reset(Device *dev)
{
    FDCtrl *s = DEVICE_CAST(FDCtrl, dev);
    s->lock = false;
    s->perp = 0;
    s->srt_hut = s->hlt_nd = 0;
    s->last_eot = 0;
    s->tdr = 0;
    s->rate = RATE_500K;
    /* Power-on: out of reset with DMA and interrupts enabled, as QEMU's
     * controller starts (the BIOS resets it through the DOR anyway). */
    s->dor = DOR_NRESET | DOR_DMAEN;
    fdc_soft_reset(s, false);
    for (int i = 0; i < FD_NDRIVES; i++) {
        s->drives[i].track = 0;
    }
}

static void fdc_print_info(Device *dev, GString *out)
{
    FDCtrl *s = DEVICE_CAST(FDCtrl, dev);
    for (int i = 0; i < FD_NDRIVES; i++) {
        FDrive *drv = &s->drives[i];
        if (drv->blk) {
            g_string_append_printf(out, " %c:%s track %u%s", 'A' + i,
                                   drv->fmt ? drv->fmt->name : "empty", drv->track,
                                   drv->ro ? " ro" : "");
        }
    }
}

static const Property fdc_props[] = {
    DEFINE_PROP("iobase", PROP_U32, FDCtrl, iobase, "0x3f0"),
    DEFINE_PROP("irq", PROP_U32, FDCtrl, irq_num, "6"),
    DEFINE_PROP("dma", PROP_U32, FDCtrl, dma_num, "2"),
    DEFINE_PROP("driveA", PROP_DRIVE, FDCtrl, blk_a, NULL),
    DEFINE_PROP("driveB", PROP_DRIVE, FDCtrl, blk_b, NULL),
    DEFINE_PROP_END,
};

static const DeviceClass fdc_class = {
    .name = "isa-fdc",
    .desc = "82078 floppy disk controller (ISA, two drives)",
    .bus = BUS_ISA,
    .instance_size = sizeof(FDCtrl),
    .props = fdc_props,
    .realize = fdc_realize,
    .reset = fdc_reset,
    .print_info = fdc_print_info,
};
DEVICE_REGISTER(fdc_class)

/* ---- -device floppy: a drive plugged into the machine's controller ---- */

typedef struct FloppyDrive {
    Device dev;
    uint32_t unit;
    BlockBackend *blk;
    int32_t bootindex;
} FloppyDrive;

static void floppy_find_fdc(Device *dev, void *opaque)
{
    Device **found = opaque;
    if (!*found && dev->cls == &fdc_class) {
        *found = dev;
    }
}

static bool floppy_realize(Device *dev, GError **errp)
{
    FloppyDrive *f = DEVICE_CAST(FloppyDrive, dev);
    Device *fdcdev = NULL;
    device_foreach(floppy_find_fdc, &fdcdev);
    if (!fdcdev) {
        vireo_set_error(errp, "floppy: the machine has no floppy controller");
        return false;
    }
    FDCtrl *s = DEVICE_CAST(FDCtrl, fdcdev);
    if (f->unit == (uint32_t)-1) {
        f->unit = s->drives[0].blk ? 1 : 0;
    }
    if (f->unit >= FD_NDRIVES) {
        vireo_set_error(errp, "floppy: unit %u does not exist (0 or 1)", f->unit);
        return false;
    }
    if (!bootdevice_check(f->bootindex, errp)) {
        return false;
    }
    BlockBackend *blk = f->blk;
    if (!blk) {
        /* an empty drive; a diskette comes with blockdev-change-medium */
        g_autofree char *name = dev->id ? g_strdup(dev->id) : g_strdup_printf("floppy-unit%u", f->unit);
        blk = blk_new_open(name, NULL, NULL, 0, errp);
        if (!blk) {
            return false;
        }
    }
    if (!fd_attach(s, f->unit, blk, dev->id ? dev->id : "floppy", errp)) {
        if (!f->blk) {
            blk_unref(blk);
        }
        return false;
    }
    if (f->bootindex >= 0) {
        /* QEMU's path on the pc machine (the ISA bridge is 00:01.0), the
         * one SeaBIOS builds for its floppy drives */
        g_autofree char *path = g_strdup_printf("/pci@i0cf8/isa@1/fdc@%04x/floppy@%x",
                                                s->iobase, f->unit);
        bootdevice_add(f->bootindex, path, NULL);
    }
    if (s->notify) {
        s->notify(s->notify_opaque);
    }
    return true;
}

static const Property floppy_props[] = {
    DEFINE_PROP("unit", PROP_U32, FloppyDrive, unit, "0xffffffff"),
    DEFINE_PROP("drive", PROP_DRIVE, FloppyDrive, blk, NULL),
    DEFINE_PROP("bootindex", PROP_I32, FloppyDrive, bootindex, "-1"),
    DEFINE_PROP_END,
};

static const DeviceClass floppy_class = {
    .name = "floppy",
    .desc = "floppy drive on the machine's isa-fdc (unit 0 = A:, 1 = B:)",
    .bus = BUS_ISA,
    .instance_size = sizeof(FloppyDrive),
    .props = floppy_props,
    .user_creatable = true,
    .realize = floppy_realize,
};
DEVICE_REGISTER(floppy_class)
