/*
 * The fw_cfg "etc/table-loader" script that QEMU-compatible firmware
 * (SeaBIOS src/fw/romfile_loader.c, OVMF) runs to place ACPI tables: a
 * sequence of 128-byte little-endian commands.
 *   ALLOCATE     copy fw_cfg file F into guest memory (zone HIGH or FSEG,
 *                power-of-two alignment); must precede every use of F
 *   ADD_POINTER  add the guest address of file S to the 1/2/4/8-byte
 *                integer at offset O of file D (which holds an offset into S)
 *   ADD_CHECKSUM make the bytes [start, start+len) of F sum to zero by
 *                adjusting the byte at offset O
 */
#ifndef HW_ACPI_TABLE_LOADER_H
#define HW_ACPI_TABLE_LOADER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define TABLE_LOADER_FILESZ         56
#define TABLE_LOADER_ENTRY_SIZE     128

#define TABLE_LOADER_ALLOCATE       1
#define TABLE_LOADER_ADD_POINTER    2
#define TABLE_LOADER_ADD_CHECKSUM   3

#define TABLE_LOADER_ZONE_HIGH      1
#define TABLE_LOADER_ZONE_FSEG      2

/* Offsets inside one command. */
#define TABLE_LOADER_CMD            0
#define TABLE_LOADER_ALLOC_FILE     4
#define TABLE_LOADER_ALLOC_ALIGN    60
#define TABLE_LOADER_ALLOC_ZONE     64
#define TABLE_LOADER_PTR_DEST       4
#define TABLE_LOADER_PTR_SRC        60
#define TABLE_LOADER_PTR_OFFSET     116
#define TABLE_LOADER_PTR_SIZE       120
#define TABLE_LOADER_CKSUM_FILE     4
#define TABLE_LOADER_CKSUM_OFFSET   60
#define TABLE_LOADER_CKSUM_START    64
#define TABLE_LOADER_CKSUM_LENGTH   68

/* Commands are appended to a GByteArray (the file's content). */
void table_loader_allocate(GByteArray *l, const char *file, uint32_t align, uint8_t zone);
void table_loader_add_pointer(GByteArray *l, const char *dest, uint32_t offset, uint8_t size,
                              const char *src);
void table_loader_add_checksum(GByteArray *l, const char *file, uint32_t cksum_offset,
                               uint32_t start, uint32_t len);

/* 8-bit sum of a byte range (0 for a valid ACPI checksum). */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
