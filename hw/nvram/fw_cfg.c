/*
 * fw_cfg over I/O ports, with the DMA interface.  Everything the guest
 * hands us (selector, DMA descriptor address, lengths, target addresses)
 * is checked: an invalid selector reads as zeros, a DMA transfer that
 * touches memory we cannot access ends with the error bit.
 */
#include "hw/nvram/fw_cfg.h"

#include <glib.h>
#include <string.h>

#include "hw/core/device.h"
#include "hw/isa/isa.h"
#include "util/log.h"

#define FW_CFG_ENTRIES  (FW_CFG_FILE_FIRST + FW_CFG_FILE_SLOTS)
/* Signature read back from the DMA port ("QEMU CFG", big-endian). */
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull

typedef struct FWCfgEntry {
    uint8_t *data;
    uint32_t len;
    bool owned;              /* g_free on replace */
    bool writable;
    FWCfgSelectCb select_cb;
    FWCfgWriteCb write_cb;
    void *opaque;
} FWCfgEntry;

typedef struct FWCfgFile {       /* directory entry, big-endian as the guest sees it */
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[FW_CFG_MAX_FILE_NAME];
} __attribute__((packed)) FWCfgFile;

struct FWCfgState {
    Device dev;
    FWCfgEntry entries[2][FW_CFG_ENTRIES];   /* [arch-local][index] */
    FWCfgFile *files;                        /* count + sorted entries */
    uint32_t nr_files;
    uint16_t cur_key;
    uint32_t cur_offset;
    bool dma_enabled;
    AddressSpace *dma_as;
    uint64_t dma_addr;
    MemoryRegion io, dma_io;
};

static FWCfgState *fw_cfg_instance;

FWCfgState *fw_cfg_get(void)
{
    return fw_cfg_instance;
}

/* NULL for a key that names nothing we could ever hold. */
static FWCfgEntry *fw_cfg_entry(FWCfgState *s, uint16_t key)
{
    int arch = !!(key & FW_CFG_ARCH_LOCAL);
    unsigned idx = key & FW_CFG_ENTRY_MASK;
    if (idx >= FW_CFG_ENTRIES) {
        return NULL;
    }
    return &s->entries[arch][idx];
}

static void fw_cfg_set_entry(FWCfgState *s, uint16_t key, void *data, size_t len, bool owned)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);
    g_assert(e && len <= UINT32_MAX);
    if (e->owned) {
        g_free(e->data);
    }
    memset(e, 0, sizeof(*e));
    e->data = data;
    e->len = len;
    e->owned = owned;
}

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len)
{
    fw_cfg_set_entry(s, key, len ? g_memdup2(data, len) : NULL, len, true);
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str)
{
    fw_cfg_add_bytes(s, key, str, strlen(str) + 1);
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value)
{
    uint16_t le = GUINT16_TO_LE(value);
    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value)
{
    uint32_t le = GUINT32_TO_LE(value);
    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value)
{
    uint64_t le = GUINT64_TO_LE(value);
    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

/* ---- files ---- */

static void fw_cfg_publish_dir(FWCfgState *s)
{
    size_t len = 4 + s->nr_files * sizeof(FWCfgFile);
    uint8_t *dir = g_malloc0(len);
    uint32_t be_count = GUINT32_TO_BE(s->nr_files);
    memcpy(dir, &be_count, 4);
    if (s->nr_files) {
        memcpy(dir + 4, s->files, s->nr_files * sizeof(FWCfgFile));
    }
    fw_cfg_set_entry(s, FW_CFG_FILE_DIR, dir, len, true);
}

int fw_cfg_find_file(FWCfgState *s, const char *name)
{
    for (uint32_t i = 0; i < s->nr_files; i++) {
        if (strncmp(s->files[i].name, name, FW_CFG_MAX_FILE_NAME) == 0) {
            return GUINT16_FROM_BE(s->files[i].select);
        }
    }
    return -1;
}

int fw_cfg_add_file_callback(FWCfgState *s, const char *name, void *data, size_t len,
                             FWCfgSelectCb select_cb, FWCfgWriteCb write_cb,
                             void *opaque, bool writable)
{
    if (strlen(name) >= FW_CFG_MAX_FILE_NAME) {
        warn_report("fw_cfg: file name too long: %s", name);
        return -1;
    }
    if (fw_cfg_find_file(s, name) >= 0) {
        warn_report("fw_cfg: duplicate file %s", name);
        return -1;
    }
    if (s->nr_files >= FW_CFG_FILE_SLOTS) {
        warn_report("fw_cfg: no slot left for file %s", name);
        return -1;
    }
    /* Keys are handed out in creation order; only the directory is sorted
     * (SeaBIOS and Linux search it by name). */
    uint16_t key = FW_CFG_FILE_FIRST + s->nr_files;
    fw_cfg_set_entry(s, key, data, len, false);
    FWCfgEntry *e = fw_cfg_entry(s, key);
    e->select_cb = select_cb;
    e->write_cb = write_cb;
    e->opaque = opaque;
    e->writable = writable;

    uint32_t pos = 0;
    while (pos < s->nr_files && strncmp(s->files[pos].name, name, FW_CFG_MAX_FILE_NAME) < 0) {
        pos++;
    }
    s->files = g_renew(FWCfgFile, s->files, s->nr_files + 1);
    memmove(&s->files[pos + 1], &s->files[pos], (s->nr_files - pos) * sizeof(FWCfgFile));
    memset(&s->files[pos], 0, sizeof(FWCfgFile));
    s->files[pos].size = GUINT32_TO_BE((uint32_t)len);
    s->files[pos].select = GUINT16_TO_BE(key);
    g_strlcpy(s->files[pos].name, name, FW_CFG_MAX_FILE_NAME);
    s->nr_files++;
    fw_cfg_publish_dir(s);
    return key;
}

int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, size_t len)
{
    int key = fw_cfg_add_file_callback(s, name, NULL, 0, NULL, NULL, NULL, false);
    if (key >= 0) {
        fw_cfg_set_entry(s, key, len ? g_memdup2(data, len) : NULL, len, true);
        /* size in the directory was set from len 0 above */
        for (uint32_t i = 0; i < s->nr_files; i++) {
            if (GUINT16_FROM_BE(s->files[i].select) == key) {
                s->files[i].size = GUINT32_TO_BE((uint32_t)len);
            }
        }
        fw_cfg_publish_dir(s);
    }
    return key;
}

bool fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, size_t len)
{
    int key = fw_cfg_find_file(s, name);
    if (key < 0) {
        return false;
    }
    FWCfgEntry *e = fw_cfg_entry(s, key);
    FWCfgEntry saved = *e;
    fw_cfg_set_entry(s, key, len ? g_memdup2(data, len) : NULL, len, true);
    e->select_cb = saved.select_cb;
    e->write_cb = saved.write_cb;
    e->opaque = saved.opaque;
    e->writable = saved.writable;
    for (uint32_t i = 0; i < s->nr_files; i++) {
        if (GUINT16_FROM_BE(s->files[i].select) == key) {
            s->files[i].size = GUINT32_TO_BE((uint32_t)len);
        }
    }
    fw_cfg_publish_dir(s);
    return true;
}

/* ---- guest interface ---- */

static void fw_cfg_select(FWCfgState *s, uint16_t key)
{
    /* The write-channel flag is from a legacy interface nobody implements. */
    s->cur_key = key & ~FW_CFG_WRITE_CHANNEL;
    s->cur_offset = 0;
    FWCfgEntry *e = fw_cfg_entry(s, s->cur_key);
    if (!e || (!e->data && !e->len && !e->select_cb)) {
        vlog(LOG_GUEST_ERRORS, "fw_cfg: select of unknown key 0x%04x\n", key);
    }
    if (e && e->select_cb) {
        e->select_cb(e->opaque);
    }
}

static uint8_t fw_cfg_read_byte(FWCfgState *s)
{
    FWCfgEntry *e = fw_cfg_entry(s, s->cur_key);
    /* Past the end (or an unknown item) reads as 0. */
    if (!e || s->cur_offset >= e->len) {
        return 0;
    }
    return e->data[s->cur_offset++];
}

/*
 * 0x510 and 0x511 are one 2-port region: a 16-bit write at 0x510 (the
 * selector) covers both ports, so they cannot be separate regions.
 */
static uint64_t fw_cfg_io_read(void *opaque, hwaddr addr, unsigned size)
{
    if (addr == 1 && size == 1) {
        return fw_cfg_read_byte(opaque);
    }
    return 0;   /* the selector is write-only */
}

static void fw_cfg_io_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    if (addr == 0) {
        fw_cfg_select(opaque, (uint16_t)val);
    } else {
        /* The port-based write path is gone from the ABI; writes go via DMA. */
        vlog(LOG_GUEST_ERRORS, "fw_cfg: write to data port ignored\n");
    }
}

/*
 * Guest memory for DMA: only RAM takes part (and ROM for reads).  The
 * whole range is checked before anything moves, so a descriptor aimed at
 * MMIO or a hole fails with the error bit instead of making us touch
 * device registers byte by byte for up to 4 GiB.
 */
static bool fw_cfg_dma_rw(FWCfgState *s, uint64_t addr, void *buf, uint64_t len, bool is_write)
{
    if (addr + len < addr) {
        return false;
    }
    for (uint64_t off = 0; off < len; ) {
        uint64_t chunk = len - off;
        if (!address_space_map(s->dma_as, addr + off, &chunk, is_write)) {
            return false;
        }
        off += chunk;
    }
    return is_write ? address_space_write(s->dma_as, addr, buf, len)
                    : address_space_read(s->dma_as, addr, buf, len);
}

/* Run one FWCfgDmaAccess { be32 control; be32 length; be64 address; }. */
static void fw_cfg_dma_transfer(FWCfgState *s, uint64_t desc)
{
    uint8_t raw[16];
    uint32_t control, length;
    uint64_t address;
    bool error = false;

    if (!fw_cfg_dma_rw(s, desc, raw, sizeof(raw), false)) {
        vlog(LOG_GUEST_ERRORS, "fw_cfg: DMA descriptor at 0x%" G_GINT64_MODIFIER "x unreadable\n",
             desc);
        return;     /* nowhere to report the error */
    }
    memcpy(&control, raw, 4);
    memcpy(&length, raw + 4, 4);
    memcpy(&address, raw + 8, 8);
    control = GUINT32_FROM_BE(control);
    length = GUINT32_FROM_BE(length);
    address = GUINT64_FROM_BE(address);

    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, control >> 16);
    }
    FWCfgEntry *e = fw_cfg_entry(s, s->cur_key);
    uint32_t avail = (e && s->cur_offset < e->len) ? e->len - s->cur_offset : 0;

    if (control & FW_CFG_DMA_CTL_READ) {
        /* Copy what the item has, then zeros for the rest of length, in
         * chunks so a huge length costs no host memory. */
        uint64_t done = 0;
        static const uint8_t zeros[4096];
        while (done < length && !error) {
            uint64_t n;
            const void *src;
            if (done < avail) {
                n = MIN(avail - done, (uint64_t)length - done);
                src = e->data + s->cur_offset + done;
            } else {
                n = MIN(sizeof(zeros), (uint64_t)length - done);
                src = zeros;
            }
            if (!fw_cfg_dma_rw(s, address + done, (void *)src, n, true)) {
                error = true;
                break;
            }
            done += n;
        }
        s->cur_offset += (uint32_t)MIN(done, (uint64_t)avail);
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        if (!e || !e->writable || length > avail) {
            error = true;
        } else if (!fw_cfg_dma_rw(s, address, e->data + s->cur_offset, length, false)) {
            error = true;
        } else {
            if (e->write_cb) {
                e->write_cb(e->opaque, s->cur_offset, length);
            }
            s->cur_offset += length;
        }
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        s->cur_offset += MIN(length, avail);
    }
    if (error) {
        vlog(LOG_GUEST_ERRORS, "fw_cfg: DMA on key 0x%04x len 0x%x to 0x%" G_GINT64_MODIFIER
             "x failed\n", s->cur_key, length, address);
    }

    /* Completion: control becomes 0, or just the error bit. */
    uint32_t result = GUINT32_TO_BE(error ? FW_CFG_DMA_CTL_ERROR : 0);
    fw_cfg_dma_rw(s, desc, &result, 4, true);
}

static uint64_t fw_cfg_dma_read(void *opaque, hwaddr addr, unsigned size)
{
    /* Reads give the "QEMU CFG" signature, big-endian across the 8 ports. */
    uint64_t v = 0;
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        v |= ((FW_CFG_DMA_SIGNATURE >> (8 * (7 - (addr + i)))) & 0xff) << (8 * i);
    }
    return v;
}

static void fw_cfg_dma_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    FWCfgState *s = opaque;

    /* The guest stores the address big-endian: the byte at the lowest
     * port is the most significant. */
    if (size == 8 && addr == 0) {
        s->dma_addr = GUINT64_FROM_BE(val);
    } else if (size == 4 && addr == 0) {
        s->dma_addr = (uint64_t)GUINT32_FROM_BE((uint32_t)val) << 32;
        return;
    } else if (size == 4 && addr == 4) {
        s->dma_addr |= GUINT32_FROM_BE((uint32_t)val);
    } else {
        vlog(LOG_GUEST_ERRORS, "fw_cfg: %u-byte DMA port write at +%u ignored\n",
             size, (unsigned)addr);
        return;
    }
    uint64_t desc = s->dma_addr;
    s->dma_addr = 0;
    fw_cfg_dma_transfer(s, desc);
}

static const MemoryRegionOps fw_cfg_io_ops = {
    .read = fw_cfg_io_read, .write = fw_cfg_io_write, .min_access = 1, .max_access = 2,
};
static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read, .write = fw_cfg_dma_write, .min_access = 1, .max_access = 8,
};

static void fw_cfg_reset(Device *dev)
{
    FWCfgState *s = DEVICE_CAST(FWCfgState, dev);
    s->cur_key = FW_CFG_SIGNATURE;
    s->cur_offset = 0;
    s->dma_addr = 0;
}

static bool fw_cfg_realize(Device *dev, GError **errp)
{
    FWCfgState *s = DEVICE_CAST(FWCfgState, dev);
    if (fw_cfg_instance) {
        vireo_set_error(errp, "fw_cfg: only one instance is supported");
        return false;
    }
    fw_cfg_instance = s;
    return true;
}

static const DeviceClass fw_cfg_class = {
    .name = "fw_cfg",
    .desc = "QEMU firmware configuration interface (I/O ports)",
    .bus = BUS_ISA,
    .instance_size = sizeof(FWCfgState),
    .user_creatable = false,
    .realize = fw_cfg_realize,
    .reset = fw_cfg_reset,
};
DEVICE_REGISTER(fw_cfg_class)

FWCfgState *fw_cfg_init_io(bool dma, AddressSpace *dma_as)
{
    FWCfgState *s = DEVICE_CAST(FWCfgState, device_create("fw_cfg", ""));

    s->dma_enabled = dma;
    s->dma_as = dma_as ? dma_as : &address_space_memory;
    isa_register_ioport(&s->io, &fw_cfg_io_ops, s, "fwcfg", FW_CFG_IO_BASE, 2);
    if (dma) {
        isa_register_ioport(&s->dma_io, &fw_cfg_dma_ops, s, "fwcfg-dma", FW_CFG_DMA_IO_BASE, 8);
    }
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_VERSION | (dma ? FW_CFG_VERSION_DMA : 0));
    fw_cfg_publish_dir(s);
    fw_cfg_reset(&s->dev);
    return s;
}
