/*
 * Fuzz the floppy controller and the ISA DMA behind it: a machine with a
 * 1.44M diskette in drive A: (a temporary image) gets command sequences
 * on the FIFO, register writes (DOR resets, DSR/CCR data rates), DMA
 * channel 2 programming (any mode, page, address, count), FIFO reads in
 * any phase, and bottom-half runs in between so DMA transfers happen.
 * Nothing may crash, hang, or touch memory outside the guest.
 * Each record: op(1) v(4).
 *   op % 10: 0 FIFO write (low byte)   1 a whole command: v's low byte is
 *            the opcode, the next bytes of v its first parameters, the
 *            rest zero-padded to the command's length (v[1] & 3 picks the
 *            drive, so units 2/3 come up too)
 *            2 FIFO read x (v & 0x3ff)  3 DOR  4 DSR  5 CCR  6 MSR/DIR/SRA/SRB reads
 *            7 DMA channel 2: mode (v & 0xff), address/page (v >> 8), count
 *            8 run the DMA bottom half   9 step the virtual clock
 */
#include <string.h>
#include <unistd.h>

#include "block/blockdev.h"
#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "util/bh.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "fdc";
static char *fuzz_img;

static void fuzz_cleanup(void)
{
    if (fuzz_img) {
        unlink(fuzz_img);
    }
}

static void fuzz_setup(void)
{
    GError *err = NULL;
    int fd = g_file_open_tmp("vireo-fuzz-fdc-XXXXXX.img", &fuzz_img, &err);
    g_assert(fd >= 0);
    g_assert(ftruncate(fd, 1474560) == 0);
    close(fd);
    atexit(fuzz_cleanup);
    g_autofree char *opts = g_strdup_printf("if=floppy,file=%s,format=raw", fuzz_img);
    if (!drive_add(opts, &err)) {
        g_error("fuzz-fdc: %s", err->message);
    }
    clock_virtual_set_manual(true);
    fuzz_machine(16 << 20);
}

static void io_w(uint16_t port, uint8_t v)
{
    address_space_st(&address_space_io, port, v, 1);
}

static uint8_t io_r(uint16_t port)
{
    return address_space_ld(&address_space_io, port, 1);
}

/* Command lengths by low five bits, as the controller takes them (0:
 * invalid, one byte). */
static const uint8_t cmd_len[32] = {
    [0x03] = 3, [0x04] = 2, [0x05] = 9, [0x06] = 9, [0x07] = 2, [0x08] = 1,
    [0x09] = 9, [0x0a] = 2, [0x0d] = 6, [0x0e] = 1, [0x0f] = 3, [0x10] = 1,
    [0x12] = 2, [0x13] = 4, [0x14] = 1, [0x16] = 9, [0x17] = 2, [0x18] = 1,
};

static void fuzz_one(const uint8_t *data, size_t size)
{
    pc_machine_reset();
    bh_poll();
    for (size_t i = 0; i + 5 <= size; i += 5) {
        uint8_t op = data[i] % 10;
        uint32_t v;
        memcpy(&v, data + i + 1, 4);
        switch (op) {
        case 0:
            io_w(0x3f5, v);
            break;
        case 1: {
            uint8_t b[9] = { v, v >> 8, v >> 16, v >> 24 };
            int n = cmd_len[b[0] & 0x1f] ? cmd_len[b[0] & 0x1f] : 1;
            /* a plausible 1.44M sector ID for the read/write family */
            if (n == 9) {
                b[4] = b[4] % 20;
                b[5] = 2;
                b[6] = 18;
                b[7] = 0x1b;
                b[8] = 0xff;
            }
            for (int k = 0; k < n; k++) {
                io_w(0x3f5, b[k]);
            }
            break;
        }
        case 2:
            for (unsigned k = 0; k < (v & 0x3ff); k++) {
                io_r(0x3f5);
            }
            break;
        case 3:
            io_w(0x3f2, v);
            break;
        case 4:
            io_w(0x3f4, v);
            break;
        case 5:
            io_w(0x3f7, v);
            break;
        case 6:
            io_r(0x3f4);
            io_r(0x3f7);
            io_r(0x3f0);
            io_r(0x3f1);
            io_r(0x3f3);
            break;
        case 7:
            io_w(0x0a, 0x06);               /* mask 2 */
            io_w(0x0c, 0);
            io_w(0x0b, (v & 0xfc) | 2);
            io_w(0x04, v >> 8);
            io_w(0x04, v >> 16);
            io_w(0x81, v >> 24);
            io_w(0x05, v >> 4);
            io_w(0x05, (v >> 12) & 0x0f);
            io_w(0x0a, (v & 0x100) ? 0x06 : 0x02);
            io_w(0x08, (v & 0x200) ? 0x04 : 0x00);   /* controller disable */
            break;
        case 8:
            bh_poll();
            break;
        default:
            clock_virtual_step((v & 0xffff) * 1000);
            bh_poll();
            break;
        }
    }
    bh_poll();
}
