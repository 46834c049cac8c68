/* The fw_cfg table-loader script: see table-loader.h. */
#include "hw/acpi/table-loader.h"

#include <string.h>

#include "util/log.h"

static uint8_t *loader_new_entry(GByteArray *l, uint32_t cmd)
{
    guint at = l->len;
    g_byte_array_set_size(l, at + TABLE_LOADER_ENTRY_SIZE);
    uint8_t *e = l->data + at;
    memset(e, 0, TABLE_LOADER_ENTRY_SIZE);
    e[0] = cmd;
    e[1] = cmd >> 8;
    e[2] = cmd >> 16;
    e[3] = cmd >> 24;
    return e;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

/* Names must leave room for the NUL the firmware checks for. */
static void put_name(uint8_t *p, const char *name)
{
    size_t n = strlen(name);
    if (n >= TABLE_LOADER_FILESZ) {
        fatal("table-loader: file name too long: %s", name);
    }
    memcpy(p, name, n);
}

void table_loader_allocate(GByteArray *l, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *e = loader_new_entry(l, TABLE_LOADER_ALLOCATE);
    put_name(e + TABLE_LOADER_ALLOC_FILE, file);
    put_le32(e + TABLE_LOADER_ALLOC_ALIGN, align);
    e[TABLE_LOADER_ALLOC_ZONE] = zone;
}

void table_loader_add_pointer(GByteArray *l, const char *dest, uint32_t offset, uint8_t size,
                              const char *src)
{
    uint8_t *e = loader_new_entry(l, TABLE_LOADER_ADD_POINTER);
    put_name(e + TABLE_LOADER_PTR_DEST, dest);
    put_name(e + TABLE_LOADER_PTR_SRC, src);
    put_le32(e + TABLE_LOADER_PTR_OFFSET, offset);
    e[TABLE_LOADER_PTR_SIZE] = size;
}

void table_loader_add_checksum(GByteArray *l, const char *file, uint32_t cksum_offset,
                               uint32_t start, uint32_t len)
{
    uint8_t *e = loader_new_entry(l, TABLE_LOADER_ADD_CHECKSUM);
    put_name(e + TABLE_LOADER_CKSUM_FILE, file);
    put_le32(e + TABLE_LOADER_CKSUM_OFFSET, cksum_offset);
    put_le32(e + TABLE_LOADER_CKSUM_START, start);
    put_le32(e + TABLE_LOADER_CKSUM_LENGTH, len);
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return sum;
}
