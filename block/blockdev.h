/*
 * Drives from the command line: -drive, -hda..-hdd, -cdrom, -fda/-fdb,
 * -snapshot.  Each option becomes a DriveInfo with a BlockBackend; the
 * machine then hands every drive of an interface to its controller:
 * if=ide to the PIIX3 IDE (index = bus * 2 + unit), if=floppy to the FDC,
 * if=virtio to a virtio-blk-pci each, if=none to -device ...,drive=id.
 * A drive that nobody claims is an error at start-up, as in QEMU.
 */
#ifndef BLOCK_BLOCKDEV_H
#define BLOCK_BLOCKDEV_H

#include <glib.h>
#include <stdbool.h>

#include "block/block.h"

typedef enum BlockInterfaceType {
    IF_NONE, IF_IDE, IF_FLOPPY, IF_VIRTIO, IF_PFLASH, IF__MAX
} BlockInterfaceType;

typedef struct DriveInfo {
    BlockInterfaceType type;
    int bus, unit;                   /* from index= or bus=/unit= */
    bool is_cdrom;                   /* media=cdrom */
    char *id;                        /* id= or QEMU's default name (ide0-hd0, ide1-cd0, floppy0, virtio0) */
    char *serial;                    /* serial= (IDE, virtio-blk) */
    char *filename;                  /* file=, NULL for an empty CD-ROM */
    BlockBackend *blk;
    bool claimed;                    /* a device attached it */
} DriveInfo;

/* -drive OPTS (the shortcuts -hda F etc. are spelled as -drive options by
 * the command line: file=F,if=ide,index=0). */
DriveInfo *drive_add(const char *opts, GError **errp);
/* HMP drive_del ID: the drive goes.  A device still using it keeps an
 * empty, anonymous drive (its I/O fails with no medium) until it goes too. */
bool drive_del(const char *id, GError **errp);
/* The device that used blk is gone (hot-unplug, or a failed device_add
 * that had taken it): detach it, and delete the drive if it came from
 * -drive/drive_add (QEMU's auto-delete) or is anonymous (a -blockdev
 * node's drive; the node itself stays). */
void drive_release(BlockBackend *blk, void *dev);
/* -snapshot: every drive opened later gets snapshot=on by default. */
void drive_set_default_snapshot(bool on);

DriveInfo *drive_get(BlockInterfaceType type, int bus, int unit);
DriveInfo *drive_get_by_blk(BlockBackend *blk);
int drive_get_max_bus(BlockInterfaceType type);
void drive_foreach(void (*fn)(DriveInfo *dinfo, void *opaque), void *opaque);
/* After the machine created its devices: fail if a drive was not claimed. */
bool drive_check_all_claimed(GError **errp);
const char *drive_if_name(BlockInterfaceType type);

#endif
