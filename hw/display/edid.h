/*
 * EDID 1.4 base block (hw/display/edid.c) for display devices that show
 * one to the guest: the VGA's MMIO BAR carries one for Linux's bochs-drm.
 */
#ifndef HW_DISPLAY_EDID_H
#define HW_DISPLAY_EDID_H

#include <stdint.h>

#define EDID_BLOCK_SIZE 128

typedef struct EdidInfo {
    const char *name;        /* monitor name, up to 13 characters */
    uint32_t prefx, prefy;   /* the preferred (native) mode, at most 4095 */
    uint32_t maxx, maxy;     /* no standard timing larger than this */
} EdidInfo;

/* Fills BLOB with a block that describes a digital monitor of INFO's
 * native mode (the first detailed timing, 60 Hz, reduced blanking), the
 * usual established and standard VESA modes up to maxx x maxy, and range
 * limits that let the guest infer the DMT modes in between. */
void edid_generate(uint8_t blob[EDID_BLOCK_SIZE], const EdidInfo *info);

#endif
