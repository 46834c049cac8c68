/*
 * Fuzz virtio-blk's request parsing and the virtio core's chain walker
 * under it.  Each input starts from a machine whose virtio-blk-pci (two
 * queues, over a 1 MiB raw image in the temporary directory) is set up as
 * a driver leaves it; the input then builds requests (well-formed chains
 * with any type, sector, length and flags, direct or through an indirect
 * table), scribbles on the rings, buffers and registers, kicks queues,
 * resets the device with requests in flight and lets completions run.
 * Nothing may crash, hang or touch memory outside the guest; drive
 * requests in flight at the end are drained.
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

static const char *fuzz_name = "vblk";

#define VBLK_DEVFN    (4 << 3)
#define VBLK_BAR1     0xe0100000u
#define VBLK_BAR4     0xe0200000u
#define RINGS         0x100000u        /* queue q: desc +0x10000*q, avail +0x1000, used +0x2000 */
#define INDIRECT      0x180000u
#define BUFS          0x200000u
#define QSIZE         64

static uint16_t avail_idx[2];

static void pci_cfg_writel(int devfn, int reg, uint32_t v)
{
    address_space_st(&address_space_io, 0xcf8, 0x80000000u | devfn << 8 | reg, 4);
    address_space_st(&address_space_io, 0xcfc, v, 4);
}

static void mmio_w(uint64_t a, uint64_t v, unsigned sz)
{
    address_space_st(&address_space_memory, a, v, sz);
}

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    fuzz_machine(16 << 20);
    char *img = g_strdup_printf("%s/vireo-fuzz-vblk-%d.img", g_get_tmp_dir(), getpid());
    GError *err = NULL;
    if (!g_file_set_contents(img, "", 0, &err) || truncate(img, 1 << 20) < 0) {
        fprintf(stderr, "fuzz-vblk: cannot create %s\n", img);
        abort();
    }
    BlockBackend *blk = blk_new_open("fz-vblk", img, "raw", BDRV_O_RDWR, &err);
    /* the open file stays usable after the name goes */
    unlink(img);
    g_free(img);
    Device *dev = blk ? device_new("virtio-blk-pci", &err) : NULL;
    if (!dev || !device_set_props_str(dev, "addr=4,drive=fz-vblk,num-queues=2,queue-size=64", &err) ||
        !device_realize(dev, &err)) {
        fprintf(stderr, "fuzz-vblk: %s\n", err->message);
        abort();
    }
}

static void vblk_queue(unsigned q)
{
    uint32_t base = RINGS + 0x10000 * q;
    mmio_w(VBLK_BAR4 + 22, q, 2);
    mmio_w(VBLK_BAR4 + 24, QSIZE, 2);
    mmio_w(VBLK_BAR4 + 26, q, 2);
    mmio_w(VBLK_BAR4 + 32, base, 4);
    mmio_w(VBLK_BAR4 + 36, 0, 4);
    mmio_w(VBLK_BAR4 + 40, base + 0x1000, 4);
    mmio_w(VBLK_BAR4 + 44, 0, 4);
    mmio_w(VBLK_BAR4 + 48, base + 0x2000, 4);
    mmio_w(VBLK_BAR4 + 52, 0, 4);
    mmio_w(VBLK_BAR4 + 28, 1, 2);
}

static void driver_up(void)
{
    pci_cfg_writel(VBLK_DEVFN, 0x14, VBLK_BAR1);
    pci_cfg_writel(VBLK_DEVFN, 0x20, VBLK_BAR4);
    pci_cfg_writel(VBLK_DEVFN, 0x24, 0);
    pci_cfg_writel(VBLK_DEVFN, 0x04, 0x7);
    mmio_w(VBLK_BAR4 + 20, 0, 1);
    mmio_w(VBLK_BAR4 + 20, 3, 1);
    mmio_w(VBLK_BAR4 + 8, 0, 4);
    mmio_w(VBLK_BAR4 + 12, 0xffffffff, 4);
    mmio_w(VBLK_BAR4 + 8, 1, 4);
    mmio_w(VBLK_BAR4 + 12, 1, 4);
    mmio_w(VBLK_BAR4 + 20, 0xb, 1);
    vblk_queue(0);
    vblk_queue(1);
    mmio_w(VBLK_BAR4 + 20, 0xf, 1);
    avail_idx[0] = avail_idx[1] = 0;
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint64_t d = table + 16ull * i;
    mmio_w(d, addr, 8);
    mmio_w(d + 8, len, 4);
    mmio_w(d + 12, flags | (uint32_t)next << 16, 4);
}

/* A plausible request: header (type, sector), data, status; a = where
 * (descriptor slot, buffer) and sector, v = type, length and shape. */
static void build_request(uint8_t op, uint32_t a, uint32_t v)
{
    static const uint32_t types[] = { 0, 1, 4, 8, 11, 13, 2, 99, 0x80000001u };
    unsigned q = (op >> 4) & 1;
    uint64_t table = RINGS + 0x10000 * q;
    unsigned slot = a % QSIZE;
    uint64_t hdr = BUFS + (a >> 8 & 0xff) * 0x1000;
    uint32_t type = types[(v & 0xff) % G_N_ELEMENTS(types)];
    uint64_t sector = (op & 0x40) ? (uint64_t)(a >> 16) : ((uint64_t)a << 20 | v >> 12);
    uint32_t len = (op & 0x20) ? (v >> 8 & 0x3f) * 512 : (v >> 8 & 0xfff);
    bool writable = type == 0 || type == 8;
    mmio_w(hdr, type, 4);
    mmio_w(hdr + 4, 0, 4);
    mmio_w(hdr + 8, sector, 8);
    if (type == 11 || type == 13) {
        /* one segment right after the header */
        mmio_w(hdr + 16, sector & 0x7ff, 8);
        mmio_w(hdr + 24, v >> 20, 4);
        mmio_w(hdr + 28, (op & 0x80) ? 1 : 0, 4);
        len = 16;
    }
    uint64_t data = BUFS + 0x100000 + (v >> 4 & 0xff) * 0x1000;
    uint64_t st = hdr + 0x800;
    if (op & 0x80 && type != 11 && type != 13) {
        /* through an indirect table */
        put_desc(INDIRECT, 0, hdr, 16, 1, 1);
        put_desc(INDIRECT, 1, data, len, 1 | (writable ? 2 : 0), 2);
        put_desc(INDIRECT, 2, st, 1, 2, 0);
        put_desc(table, slot, INDIRECT, 48, 4, 0);
    } else {
        unsigned s1 = (slot + 1) % QSIZE, s2 = (slot + 2) % QSIZE;
        if (type == 11 || type == 13) {
            put_desc(table, slot, hdr, 32, 1, s2);
        } else {
            put_desc(table, slot, hdr, 16, 1, s1);
            put_desc(table, s1, data, len, 1 | (writable ? 2 : 0), s2);
        }
        put_desc(table, s2, st, 1, 2, 0);
    }
    uint64_t avail = table + 0x1000;
    mmio_w(avail + 4 + 2 * (avail_idx[q] % QSIZE), slot, 2);
    avail_idx[q]++;
    mmio_w(avail + 2, avail_idx[q], 2);
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
        case 0:         /* the rings themselves */
            mmio_w(RINGS + (a % 0x20000 & ~3u), v, 4);
            break;
        case 1:         /* buffers and indirect tables */
            mmio_w(INDIRECT + (a % 0x180000 & ~3u), v, 4);
            break;
        case 2:
        case 3:
            build_request(op, a, v);
            break;
        case 4:         /* kick a queue (2 and 3 do not exist) */
            mmio_w(VBLK_BAR4 + 0x3000 + 4 * (a % 4), a % 4, 2);
            break;
        case 5:         /* common or device config, MSI-X table */
            if (op & 8) {
                mmio_w(VBLK_BAR1 + (a % 64 & ~3u), v, 4);
            } else {
                unsigned off = a % 64, w = 1u << ((op >> 4) & 1);
                mmio_w(VBLK_BAR4 + ((op & 32) ? 0x2000 : 0) + (off & ~(w - 1)), v, w);
            }
            break;
        case 6:         /* the driver starts over, maybe with requests in flight */
            if (op & 8) {
                driver_up();
            } else {
                bh_poll();
            }
            break;
        default:        /* let the drive finish and timers run */
            blk_drain_all();
            bh_poll();
            clock_virtual_step((v & 0xffff) * 1000);
            break;
        }
    }
    blk_drain_all();
    bh_poll();
}
