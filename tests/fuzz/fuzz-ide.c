/*
 * Fuzz the PIIX3 IDE controller and its ATA and ATAPI command sets.  Each
 * input starts from a machine whose IDE function has bus mastering on and
 * BMDMA at BAR4; ide.0 holds a hard disk over a 1 MiB raw image, ide.1 a
 * CD-ROM with a 256 KiB medium (unit 0) and an empty one (unit 1).  The
 * input writes task files and control registers, issues ATA commands
 * (PIO, MULTIPLE, DMA, EXT, CHS, whatever the registers say), sends ATAPI
 * packets with any byte count limit, moves data through the data port in
 * any size, builds PRD tables (short, long, odd, pointing anywhere) and
 * starts or stops the bus master mid-command, resets the channel with
 * requests in flight and lets completions run in between.  Nothing may
 * crash, hang or reach memory outside the guest; requests in flight at
 * the end are drained.
 * Each record: op(1) a(4) v(4).
 */
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "util/bh.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "ide";

#define IDE_DEVFN   ((1 << 3) | 1)
#define BM_BASE     0xc000
#define PRD_TABLE   0x10000u
#define BUFS        0x100000u

static void pci_cfg_writel(int devfn, int reg, uint32_t v)
{
    address_space_st(&address_space_io, 0xcf8, 0x80000000u | devfn << 8 | reg, 4);
    address_space_st(&address_space_io, 0xcfc, v, 4);
}

static void out(uint16_t port, uint32_t v, unsigned sz)
{
    address_space_st(&address_space_io, port, v, sz);
}

static uint32_t in(uint16_t port, unsigned sz)
{
    return address_space_ld(&address_space_io, port, sz);
}

static BlockBackend *fuzz_image(const char *name, unsigned size, bool rw)
{
    char *img = g_strdup_printf("%s/vireo-fuzz-ide-%s-%d.img", g_get_tmp_dir(), name, getpid());
    GError *err = NULL;
    if (!g_file_set_contents(img, "", 0, &err) || truncate(img, size) < 0) {
        fprintf(stderr, "fuzz-ide: cannot create %s\n", img);
        abort();
    }
    BlockBackend *blk = blk_new_open(name, img, "raw", rw ? BDRV_O_RDWR : 0, &err);
    unlink(img);                /* the open file stays usable after the name goes */
    g_free(img);
    if (!blk) {
        fprintf(stderr, "fuzz-ide: %s\n", err->message);
        abort();
    }
    return blk;
}

static void fuzz_device(const char *type, const char *props)
{
    GError *err = NULL;
    Device *dev = device_new(type, &err);
    if (!dev || !device_set_props_str(dev, props, &err) || !device_realize(dev, &err)) {
        fprintf(stderr, "fuzz-ide: %s\n", err->message);
        abort();
    }
}

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    fuzz_machine(16 << 20);
    fuzz_image("fz-hd", 1 << 20, true);
    BlockBackend *cd = fuzz_image("fz-cd", 256 << 10, false);
    blk_set_removable(cd, true);
    fuzz_device("ide-hd", "drive=fz-hd,bus=ide.0,unit=0");
    fuzz_device("ide-cd", "drive=fz-cd,bus=ide.1,unit=0");
    fuzz_device("ide-cd", "bus=ide.1,unit=1");
}

static void driver_up(void)
{
    pci_cfg_writel(IDE_DEVFN, 0x20, BM_BASE | 1);
    pci_cfg_writel(IDE_DEVFN, 0x04, 0x5);
}

/* channel of a record: ports and BMDMA block */
static uint16_t cmd_base(uint8_t op) { return (op & 8) ? 0x170 : 0x1f0; }
static uint16_t ctl_port(uint8_t op) { return (op & 8) ? 0x376 : 0x3f6; }
static uint16_t bm_base(uint8_t op) { return BM_BASE + ((op & 8) ? 8 : 0); }

/* An ATA command with plausible registers: a = LBA (+ device bit, LBA/CHS
 * mode), v = count (low 16) and which command (high bits). */
static void ata_command(uint8_t op, uint32_t a, uint32_t v)
{
    static const uint8_t cmds[] = {
        0xec, 0xa1, 0x20, 0x21, 0x24, 0x29, 0xc4, 0x30, 0x31, 0x34, 0x39, 0xc5,
        0xc8, 0xc9, 0x25, 0xca, 0xcb, 0x35, 0x40, 0x41, 0x42, 0xe7, 0xea, 0xef,
        0xc6, 0x91, 0xf8, 0x27, 0x70, 0x00, 0xe0, 0xe1, 0xe5, 0x08, 0x90, 0x10,
        0xa0, 0x5c,
    };
    uint16_t p = cmd_base(op);
    uint8_t dev = 0xa0 | ((a >> 24) & 0x0f) | ((op & 0x10) ? 0x10 : 0) | ((op & 0x20) ? 0x40 : 0);
    out(p + 6, dev, 1);
    out(p + 1, v >> 24, 1);
    out(p + 2, v >> 8, 1);                 /* high bytes first: LBA48 HOB */
    out(p + 3, a >> 24, 1);
    out(p + 4, 0, 1);
    out(p + 5, 0, 1);
    out(p + 2, v, 1);
    out(p + 3, a, 1);
    out(p + 4, a >> 8, 1);
    out(p + 5, a >> 16, 1);
    out(p + 7, cmds[(v >> 16) % G_N_ELEMENTS(cmds)], 1);
}

/* PACKET with a 12-byte CDB: opcode from a table (or raw), fields from a
 * and v; the byte count limit and DMA bit from v. */
static void atapi_command(uint8_t op, uint32_t a, uint32_t v)
{
    static const uint8_t ops[] = {
        0x00, 0x03, 0x12, 0x1b, 0x1e, 0x25, 0x28, 0xa8, 0x2b, 0x43, 0x46, 0x4a,
        0x5a, 0xbb, 0xbd, 0x51, 0xac, 0xad, 0x55, 0xbe,
    };
    uint16_t p = cmd_base(op);
    out(p + 6, 0xa0 | ((op & 0x10) ? 0x10 : 0), 1);
    out(p + 1, (op & 0x20) ? 1 : 0, 1);
    out(p + 4, v >> 16, 1);
    out(p + 5, v >> 24, 1);
    out(p + 7, 0xa0, 1);
    uint8_t cdb[12] = {
        (op & 0x80) ? (uint8_t)a : ops[a % G_N_ELEMENTS(ops)],
        v, a >> 8, a >> 16, a >> 24, v >> 8, 0, v >> 4, v >> 12, v >> 20, 0, 0,
    };
    for (int i = 0; i < 12; i += 2) {
        out(p, cdb[i] | cdb[i + 1] << 8, 2);
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    pc_machine_reset();
    driver_up();
    for (size_t i = 0; i + 9 <= size; i += 9) {
        uint8_t op = data[i];
        uint32_t a, v;
        memcpy(&a, data + i + 1, 4);
        memcpy(&v, data + i + 5, 4);
        switch (op & 7) {
        case 0:         /* any task file register, any value */
            if (op & 0x80) {
                (void)in(cmd_base(op) + (a & 7), 1);
            } else {
                out(cmd_base(op) + (a & 7), v, 1);
            }
            break;
        case 1:
            ata_command(op, a, v);
            break;
        case 2:
            atapi_command(op, a, v);
            break;
        case 3: {       /* the data port: up to 1 KiB in 1, 2 or 4 byte accesses */
            unsigned sz = 1u << ((op >> 4) & 3);
            sz = sz > 4 ? 4 : sz;
            unsigned n = v % 1024 / sz + 1;
            for (unsigned k = 0; k < n; k++) {
                if (op & 0x80) {
                    (void)in(cmd_base(op), sz);
                } else {
                    out(cmd_base(op), a + k, sz);
                }
            }
            break;
        }
        case 4:         /* a PRD entry: anywhere, any length, maybe the last */
            address_space_st(&address_space_memory, PRD_TABLE + 8 * (op >> 4),
                             (op & 0x80) ? a : BUFS + (a & 0xfffff), 4);
            address_space_st(&address_space_memory, PRD_TABLE + 8 * (op >> 4) + 4,
                             v & 0x8000ffff, 4);
            break;
        case 5:         /* BMDMA registers */
            if (op & 0x10) {
                out(bm_base(op) + 4, (op & 0x20) ? a : PRD_TABLE, 4);
            } else if (op & 0x20) {
                out(bm_base(op) + 2, v, 1);
            } else {
                out(bm_base(op), v, 1);    /* start/stop, direction */
            }
            break;
        case 6:         /* device control (SRST, nIEN, HOB), status, PCI */
            if (op & 0x80) {
                pci_cfg_writel(IDE_DEVFN, 0x04, (v & 1) ? 0x5 : 0x1);
            } else if (op & 0x10) {
                (void)in(ctl_port(op), 1);
            } else {
                out(ctl_port(op), v, 1);
            }
            break;
        default:        /* let the drives finish and timers run */
            if (op & 0x10) {
                bh_poll();
            } else {
                blk_drain_all();
                bh_poll();
                clock_virtual_step((v & 0xffff) * 1000);
            }
            break;
        }
    }
    blk_drain_all();
    bh_poll();
}
