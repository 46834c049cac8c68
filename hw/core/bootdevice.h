/*
 * The boot order that bootindex= properties ask for (hw/core/bootdevice.c).
 * A device with bootindex >= 0 registers its firmware device path, as
 * QEMU and Open Firmware name it ("/pci@i0cf8/ide@1,1/drive@0/disk@0");
 * the machine hands the sorted list to the firmware (fw_cfg "bootorder"
 * for SeaBIOS), lowest index first.
 */
#ifndef HW_CORE_BOOTDEVICE_H
#define HW_CORE_BOOTDEVICE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* bootindex < 0: not a boot device, nothing is recorded.  An index already
 * used is an error, as in QEMU ("The bootindex N has already been used"). */
bool bootdevice_add(int32_t bootindex, const char *path, GError **errp);
/* Whether bootdevice_add(bootindex, ...) would succeed, for a device that
 * learns its path only after the step it cannot undo. */
bool bootdevice_check(int32_t bootindex, GError **errp);
/* The paths sorted by index, one per line, NUL-terminated ("a\nb\0", the
 * layout of QEMU's bootorder file); *len counts the NUL.  With halt, a last
 * line "HALT" (-boot strict=on) when there is any path.  NULL and *len = 0
 * when no device asked for an index. g_free it. */
char *bootdevice_list(bool halt, size_t *len);
/* PCI devices' path prefix: "/pci@i0cf8/NAME@SLOT[,FN]" (function 0 is
 * left out, as Open Firmware does).  g_free it. */
char *bootdevice_pci_path(const char *name, int devfn);
/* bootdevice_add of the PCI device's path plus SUFFIX ("/disk@0,0" for a
 * virtio-blk disk, "/ethernet-phy@0" for a NIC, as QEMU names them). */
bool bootdevice_add_pci(int32_t bootindex, const char *name, int devfn, const char *suffix,
                        GError **errp);

/* The logical CHS geometry a disk asks the BIOS to use (lcyls=, lheads=,
 * lsecs= of ide-hd and virtio-blk-pci), under its firmware path; the
 * machine hands the list to SeaBIOS as fw_cfg "bios-geometry", one
 * "PATH C H S" line each, in the order of registration, NUL-terminated.
 * NULL and *len = 0 when no disk asked. g_free it. */
void bootdevice_add_lchs(const char *path, uint32_t cyls, uint32_t heads, uint32_t secs);
char *bootdevice_lchs_list(size_t *len);
/* A PCI device went away (hot-unplug): forget its boot entries and
 * geometries (everything under bootdevice_pci_path(name, devfn)). */
void bootdevice_del_pci(const char *name, int devfn);

#endif
