/*
 * fw_cfg: QEMU's firmware configuration interface, as SeaBIOS and Linux
 * read it (ABI: QEMU docs/specs/fw_cfg.rst).  I/O ports: selector 0x510
 * (16-bit), data 0x511 (byte), DMA address 0x514 (high) / 0x518 (low,
 * starts the transfer), both big-endian.
 *
 * Items are little-endian unless noted; files live in the directory at
 * FW_CFG_FILE_DIR (big-endian count and entries, sorted by name) and get
 * keys from FW_CFG_FILE_FIRST on.
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/memory.h"

#define FW_CFG_SIGNATURE        0x00
#define FW_CFG_ID               0x01
#define FW_CFG_UUID             0x02
#define FW_CFG_RAM_SIZE         0x03
#define FW_CFG_NOGRAPHIC        0x04
#define FW_CFG_NB_CPUS          0x05
#define FW_CFG_MACHINE_ID       0x06
#define FW_CFG_KERNEL_ADDR      0x07
#define FW_CFG_KERNEL_SIZE      0x08
#define FW_CFG_KERNEL_CMDLINE   0x09
#define FW_CFG_INITRD_ADDR      0x0a
#define FW_CFG_INITRD_SIZE      0x0b
#define FW_CFG_BOOT_DEVICE      0x0c
#define FW_CFG_NUMA             0x0d
#define FW_CFG_BOOT_MENU        0x0e
#define FW_CFG_MAX_CPUS         0x0f
#define FW_CFG_KERNEL_ENTRY     0x10
#define FW_CFG_KERNEL_DATA      0x11
#define FW_CFG_INITRD_DATA      0x12
#define FW_CFG_CMDLINE_ADDR     0x13
#define FW_CFG_CMDLINE_SIZE     0x14
#define FW_CFG_CMDLINE_DATA     0x15
#define FW_CFG_SETUP_ADDR       0x16
#define FW_CFG_SETUP_SIZE       0x17
#define FW_CFG_SETUP_DATA       0x18
#define FW_CFG_FILE_DIR         0x19
#define FW_CFG_FILE_FIRST       0x20
#define FW_CFG_FILE_SLOTS       0x40            /* files we can hold */
#define FW_CFG_WRITE_CHANNEL    0x4000          /* legacy selector flag, ignored */
#define FW_CFG_ARCH_LOCAL       0x8000
#define FW_CFG_ENTRY_MASK       0x3fff
/* x86 arch-local items */
#define FW_CFG_ACPI_TABLES      (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES   (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE    (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE       (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET             (FW_CFG_ARCH_LOCAL + 4)

/* FW_CFG_ID bits */
#define FW_CFG_VERSION          0x01
#define FW_CFG_VERSION_DMA      0x02

/* DMA control bits (big-endian in the guest's FWCfgDmaAccess) */
#define FW_CFG_DMA_CTL_ERROR    0x01
#define FW_CFG_DMA_CTL_READ     0x02
#define FW_CFG_DMA_CTL_SKIP     0x04
#define FW_CFG_DMA_CTL_SELECT   0x08
#define FW_CFG_DMA_CTL_WRITE    0x10

#define FW_CFG_IO_BASE          0x510
#define FW_CFG_DMA_IO_BASE      0x514
#define FW_CFG_MAX_FILE_NAME    56

typedef struct FWCfgState FWCfgState;

/* Called when the item is selected (lazily built content, e.g. ACPI). */
typedef void (*FWCfgSelectCb)(void *opaque);
/* Called after the guest wrote [offset, offset+len) of a writable item. */
typedef void (*FWCfgWriteCb)(void *opaque, uint64_t offset, size_t len);

/*
 * Map the I/O ports (and the DMA port if dma) and add the signature and ID
 * items.  DMA moves data to/from dma_as (address_space_memory if NULL).
 * The instance is also a device ("fw_cfg") so machine reset reaches it.
 */
FWCfgState *fw_cfg_init_io(bool dma, AddressSpace *dma_as);
/* The machine's instance, for later users (kernel loader, ACPI). */
FWCfgState *fw_cfg_get(void);

/* Items: data is copied; adding an existing key replaces it. */
void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str);   /* with NUL */
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value);
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value);

/* Files: returns the key, or -1 (logged) if the name is too long, already
 * exists or the directory is full. */
int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, size_t len);
/* The item's buffer is shared with the caller (not copied) and stays
 * owned by it; read-only unless writable. */
int fw_cfg_add_file_callback(FWCfgState *s, const char *name, void *data, size_t len,
                             FWCfgSelectCb select_cb, FWCfgWriteCb write_cb,
                             void *opaque, bool writable);
/* Replace an existing file's content (copied).  False if no such file. */
bool fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, size_t len);
/* Look up a file's key, -1 if absent. */
int fw_cfg_find_file(FWCfgState *s, const char *name);

#endif
