/*
 * The VGA core (hw/display/vga.c): registers, the legacy memory window,
 * Bochs VBE (DISPI) and the rendering into a console.  A front device
 * (vga-pci.c, "VGA") owns the state, maps the window and the ports through
 * its bus, and gives the VRAM to its BAR.
 */
#ifndef HW_DISPLAY_VGA_H
#define HW_DISPLAY_VGA_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/memory.h"
#include "ui/console.h"

/* Bochs VBE (DISPI) registers */
enum {
    VBE_ID, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH,
    VBE_VIRT_HEIGHT, VBE_X_OFFSET, VBE_Y_OFFSET, VBE_VIDEO_MEMORY_64K, VBE_NREGS,
};

typedef struct VGAState {
    uint8_t *vram;
    uint32_t vram_size;          /* a power of two, >= 256 KiB */
    MemoryRegion vram_mr;        /* RAM: the linear framebuffer BAR */
    MemoryRegion lowmem;         /* MMIO 0xa0000-0xbffff */
    MemoryRegion ports;          /* 0x3b0-0x3df */
    MemoryRegion vbe_ports;      /* 0x1ce-0x1cf (index, data) */

    uint8_t misc, feature, st01;
    uint8_t seq_index, seq[8];
    uint8_t gr_index, gr[16];
    uint8_t ar_index, ar[21];
    bool ar_flip;                /* next 0x3c0 write is data */
    uint8_t crtc_index, crtc[256];
    uint8_t pel_mask, dac_state, dac_read_index, dac_write_index, dac_sub;
    uint8_t dac_latch[3];
    uint8_t dac[768];
    uint32_t latch;

    uint16_t vbe_index;
    uint16_t vbe_regs[VBE_NREGS];
    uint32_t vbe_line, vbe_start, bank_offset;

    Console *con;
    uint32_t *frame;             /* the frame, kept between updates */
    size_t frame_cap;
    uint8_t *line_new;           /* per line of frame: rendered this update */
    bool full_update;
    /* what the last update showed besides VRAM (registers, DAC, blink
     * phases): when it changes every line is rendered again */
    uint8_t shown[1200];
    size_t shown_len;
    bool cursor_phase, char_phase;   /* text blink phases of the last frame */
    struct DirtySnapshot *prev_snap; /* the VRAM dirty log of the last update */
} VGAState;

/* Allocates VRAM (vram_mb MiB) and the register/window regions; the owner
 * maps them.  NAME names the console. */
void vga_common_init(VGAState *s, uint32_t vram_mb, const char *name);
void vga_common_reset(VGAState *s);
/* Port access for the MMIO BAR's copies: port 0x3c0-0x3df, DISPI index. */
uint8_t vga_ioport_read(VGAState *s, uint16_t port);
void vga_ioport_write(VGAState *s, uint16_t port, uint8_t val);
uint16_t vbe_read(VGAState *s, uint16_t index);
void vbe_write(VGAState *s, uint16_t index, uint16_t val);

#endif
