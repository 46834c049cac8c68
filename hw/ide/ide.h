/*
 * IDE (ATA/ATAPI) inside hw/ide: the channel state shared by core.c (the
 * ATA and ATAPI command sets), piix.c (the PIIX3 IDE PCI function with its
 * legacy ports and bus-master DMA) and the ide-hd/ide-cd devices.
 *
 * A channel (IDEBus "ide.0", "ide.1") has two device slots sharing one
 * task file; commands go to the selected one.  Everything a guest writes
 * (sector numbers, counts, ATAPI packets, PRD tables) is checked before
 * use: a bad request ends with the ATA error bits or an ATAPI sense code.
 */
#ifndef HW_IDE_IDE_H
#define HW_IDE_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/memory.h"

typedef struct IDEBus IDEBus;
typedef struct IDEState IDEState;
struct PCIDevice;

/* status register */
#define ERR_STAT   0x01
#define DRQ_STAT   0x08
#define SEEK_STAT  0x10
#define DF_STAT    0x20
#define READY_STAT 0x40
#define BUSY_STAT  0x80
/* error register */
#define ABRT_ERR   0x04
#define IDNF_ERR   0x10
#define UNC_ERR    0x40
/* device control register */
#define IDE_CTRL_NIEN  0x02
#define IDE_CTRL_SRST  0x04
#define IDE_CTRL_HOB   0x80

#define IDE_BUF_SIZE   (128 * 1024)     /* PIO/DMA bounce buffer: 256 disk or 64 CD sectors */
#define MAX_MULT_SECTORS 16

typedef enum IDEXfer { XFER_NONE, XFER_PIO_IN, XFER_PIO_OUT, XFER_DMA } IDEXfer;

struct IDEState {
    IDEBus *bus;
    int unit;
    Device *dev;                 /* the ide-hd / ide-cd, NULL: no device here */
    BlockBackend *blk;
    bool is_cd;
    char serial[21], model[41], version[9];
    uint64_t nb_sectors;         /* 512-byte sectors */
    unsigned cyls, heads, secs;  /* current CHS translation (INITIALIZE DEVICE PARAMETERS) */
    unsigned phys_cyls, phys_heads, phys_secs;   /* the default one */
    int bios_trans;              /* CHS translation the BIOS should use (CMOS 0x39) */
    uint16_t identify[256];

    /* task file */
    uint8_t feature, error, nsector, sector, lcyl, hcyl, select, status;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    bool lba48;
    unsigned mult_sectors;
    bool wcache;                 /* write cache enabled (SET FEATURES 02h/82h) */
    uint8_t xfer_mode;           /* SET FEATURES 03h */

    /* data transfer */
    uint8_t *buf;
    uint32_t data_ptr, data_end;
    void (*end_transfer)(IDEState *s);
    IDEXfer xfer;
    bool aio_busy;               /* a block request of ours is in flight */
    unsigned gen, aio_gen;       /* a completion of another generation is dropped */
    uint64_t req_sector;         /* next sector (ATA: 512 B; ATAPI: 2048 B) */
    uint32_t req_remaining;      /* sectors still to move */
    uint32_t req_chunk;          /* sectors in the current PIO block / DMA chunk */
    bool dma_direct;             /* that DMA chunk moves straight between image and guest RAM */
    uint8_t cmd;                 /* the ATA command in progress */
    uint32_t trim_entry;         /* DATA SET MANAGEMENT: next range entry of the chunk */

    /* ATAPI */
    uint8_t sense_key, asc, ascq;
    bool unit_attention;         /* medium changed: report once */
    bool tray_open, tray_locked;
    int gesn_event;              /* GET EVENT STATUS NOTIFICATION: 0 none, 1 eject req, 2 new media, 3 removal */
    uint32_t atapi_limit;        /* byte count limit of the PIO transfer */
    uint32_t atapi_total;        /* bytes of the buffer still to send */
    bool atapi_read;             /* READ(10/12): more sectors after the buffer */
    bool atapi_dma;
};

typedef struct BMDMAState {
    uint8_t cmd, status;
    uint32_t addr;               /* PRD table */
} BMDMAState;

/* where a bus-master transfer is in its PRD table */
typedef struct IDEPrd {
    uint32_t next;               /* guest address of the next PRD entry */
    uint32_t addr, left;         /* current entry: where and how much is left */
    bool eot;                    /* the current entry was the last */
    unsigned count;              /* entries read */
} IDEPrd;

struct IDEBus {
    char name[8];                /* "ide.0" */
    int bus_id;                  /* 0 primary, 1 secondary channel */
    IDEState ifs[2];
    int unit;                    /* selected slot */
    uint8_t devctl;
    IRQ irq;
    struct PCIDevice *pci;       /* DMA goes through this function */
    BMDMAState bm;
    /* the DMA command in progress and where it is in the PRD table */
    IDEState *dma_s;
    bool dma_pending;            /* command issued, waiting for the start bit (or vice versa) */
    IDEPrd prd;
    MemoryRegion cmd_io, ctl_io;
    uint64_t requests[2], bytes[2];  /* accounting: reads [0], writes [1] */
    uint64_t irqs;               /* interrupts raised */
    struct IOStatsSource *ios;   /* the controller's, for per-request figures */
};

/* core.c */
/* channel bus_id is named "ide.<bus_id>" */
void ide_bus_init(IDEBus *bus, int bus_id, IRQ irq, struct PCIDevice *pci);
void ide_bus_reset(IDEBus *bus);
IDEBus *ide_bus_find(const char *name);
uint32_t ide_ioport_read(IDEBus *bus, uint32_t reg);
void ide_ioport_write(IDEBus *bus, uint32_t reg, uint32_t val);
uint32_t ide_data_read(IDEBus *bus, unsigned size);
void ide_data_write(IDEBus *bus, uint32_t val, unsigned size);
uint32_t ide_status_read(IDEBus *bus, bool alt);
void ide_ctrl_write(IDEBus *bus, uint32_t val);
/* BMDMA start bit went 0 -> 1, or the command arrived with it set */
void ide_dma_start(IDEBus *bus);
void ide_dma_cancel(IDEBus *bus);
/* The driver cleared the start bit: a transfer under way first finishes
 * (QEMU drains it too), then the engine stops. */
void ide_dma_stop(IDEBus *bus);

#endif
