/*
 * -kernel/-initrd/-append: see x86-load.h.
 *
 * Linux (Documentation/x86/boot.rst): the real-mode setup goes to 0x10000
 * (0x90000 for protocol < 2.02 or kernels that are not LOADED_HIGH-capable
 * bzImages), the command line right after its heap, the protected-mode part
 * at 1 MiB and the initrd as high as initrd_addr_max and RAM allow.  The
 * header fields a boot loader must fill are filled here, on the host, so the
 * ROM only copies bytes.
 *
 * Multiboot v1: the ELF32 PT_LOAD segments (or the a.out kludge address
 * fields) become one image at its load address, modules follow it page
 * aligned, and the info block (with room for the E820 map the ROM asks
 * SeaBIOS for) sits at X86_LOAD_MBI_ADDR.
 */
#include "hw/i386/x86-load.h"
#include "hw/core/bootdevice.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "util/datadir.h"
#include "util/file.h"
#include "util/log.h"

#define ROM_NAME            "linuxboot.bin"
#define ROM_FILE            "genroms/" ROM_NAME

static uint16_t ld16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t ld32(const uint8_t *p) { return ld16(p) | (uint32_t)ld16(p + 2) << 16; }
static void st16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void st32(uint8_t *p, uint32_t v) { st16(p, v); st16(p + 2, v >> 16); }

/* ---- Linux ---- */

/* Setup header offsets (boot.rst "The Real-Mode Kernel Header"). */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_VID_MODE        0x1fa
#define HDR_BOOT_FLAG       0x1fe
#define HDR_HEADER          0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_CMDLINE_SIZE    0x238
#define OLD_CL_MAGIC        0x20        /* protocol < 2.02 command line */
#define OLD_CL_OFFSET       0x22
#define LOADED_HIGH         0x01
#define CAN_USE_HEAP        0x80

bool x86_linux_prepare(const uint8_t *img, size_t len, size_t cmdline_len,
                       size_t initrd_len, uint64_t below_4g,
                       X86LinuxImage *out, char **err)
{
    memset(out, 0, sizeof(*out));
    if (len < 0x240 || ld32(img + HDR_HEADER) != 0x53726448 /* "HdrS" */) {
        *err = g_strdup("not a Linux kernel with a 2.x boot protocol header");
        return false;
    }
    if (ld16(img + HDR_BOOT_FLAG) != 0xaa55) {
        *err = g_strdup("bad boot_flag in the Linux setup header");
        return false;
    }
    uint16_t ver = ld16(img + HDR_VERSION);
    uint8_t loadflags = img[HDR_LOADFLAGS];
    if (ver < 0x200) {
        *err = g_strdup_printf("Linux boot protocol %x.%02x is too old", ver >> 8, ver & 0xff);
        return false;
    }
    if (!(loadflags & LOADED_HIGH)) {
        *err = g_strdup("zImage kernels (not LOADED_HIGH) are not supported");
        return false;
    }
    unsigned sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    uint32_t setup_size = (sects + 1) * 512;
    if (setup_size >= len) {
        *err = g_strdup_printf("setup_sects %u runs past the end of the file", sects);
        return false;
    }
    if (ver >= 0x205) {
        uint32_t align = ld32(img + HDR_KERNEL_ALIGN);
        if (align && (align & (align - 1))) {
            *err = g_strdup_printf("kernel_alignment 0x%x is not a power of two", align);
            return false;
        }
    }

    bool high = ver >= 0x202;
    uint32_t real = high ? 0x10000 : 0x90000;
    uint32_t cmdline = high ? 0x20000 : 0x9a000;
    uint32_t cl_room = high ? 0x80000 - cmdline : 0x9f000 - cmdline;
    uint32_t cl_max = ver >= 0x206 ? ld32(img + HDR_CMDLINE_SIZE) : 255;
    if (setup_size > cmdline - real - 0x200) {
        *err = g_strdup_printf("real-mode setup of %u bytes is too large", setup_size);
        return false;
    }
    if (cmdline_len > cl_max || cmdline_len + 1 > cl_room) {
        *err = g_strdup_printf("command line of %zu bytes is longer than the kernel's %u",
                               cmdline_len, MIN(cl_max, cl_room - 1));
        return false;
    }

    uint32_t prot_size = len - setup_size;
    uint64_t top = below_4g > X86_LOAD_TOP_RESERVE ? below_4g - X86_LOAD_TOP_RESERVE : 0;
    if ((uint64_t)X86_LOAD_PROT_ADDR + prot_size > top) {
        *err = g_strdup_printf("kernel of %u bytes does not fit in guest RAM", prot_size);
        return false;
    }
    uint32_t initrd_addr = 0;
    if (initrd_len) {
        uint64_t max = ver >= 0x203 ? ld32(img + HDR_INITRD_ADDR_MAX) : 0x37ffffff;
        uint64_t end = MIN(max + 1, top);
        uint64_t lo = (X86_LOAD_PROT_ADDR + (uint64_t)prot_size + 0xfff) & ~0xfffULL;
        if (initrd_len > end || ((end - initrd_len) & ~0xfffULL) < lo) {
            *err = g_strdup_printf("initrd of %zu bytes does not fit in guest RAM below 0x%" PRIx64,
                                   initrd_len, end);
            return false;
        }
        initrd_addr = (end - initrd_len) & ~0xfffULL;
    }

    uint8_t *s = g_memdup2(img, setup_size);
    s[HDR_TYPE_OF_LOADER] = 0xff;                   /* "undefined" boot loader */
    st16(s + HDR_VID_MODE, 0xffff);                 /* "normal" text mode */
    if (ver >= 0x201) {
        s[HDR_LOADFLAGS] |= CAN_USE_HEAP;
        st16(s + HDR_HEAP_END_PTR, cmdline - real - 0x200);
    }
    if (ver >= 0x202) {
        st32(s + HDR_CMD_LINE_PTR, cmdline);
    } else {
        st16(s + OLD_CL_MAGIC, 0xa33f);
        st16(s + OLD_CL_OFFSET, cmdline - real);
    }
    st32(s + HDR_RAMDISK_IMAGE, initrd_addr);
    st32(s + HDR_RAMDISK_SIZE, initrd_len);

    *out = (X86LinuxImage) {
        .setup_addr = real, .setup_size = setup_size, .cmdline_addr = cmdline,
        .prot_addr = X86_LOAD_PROT_ADDR, .prot_size = prot_size,
        .initrd_addr = initrd_addr, .version = ver, .setup = s,
    };
    return true;
}

static void load_linux(FWCfgState *fw, const char *kernel, const uint8_t *img, size_t len,
                       const char *initrd, const char *append, uint64_t below_4g)
{
    gchar *rd = NULL;
    gsize rd_len = 0;
    GError *gerr = NULL;
    if (initrd && !file_read_limited(initrd, below_4g, &rd, &rd_len, &gerr)) {
        fatal("could not load initrd '%s': %s", initrd, gerr->message);
    }
    X86LinuxImage li;
    char *err = NULL;
    if (!x86_linux_prepare(img, len, strlen(append), rd_len, below_4g, &li, &err)) {
        fatal("-kernel %s: %s", kernel, err);
    }
    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, li.setup_addr);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, li.setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, li.setup, li.setup_size);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, li.prot_addr);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, li.prot_size);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, img + li.setup_size, li.prot_size);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, li.cmdline_addr);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, strlen(append) + 1);
    fw_cfg_add_string(fw, FW_CFG_CMDLINE_DATA, append);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, li.initrd_addr);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, rd_len);
    fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, rd, rd_len);
    g_free(li.setup);
    g_free(rd);
}

/* ---- multiboot v1 ---- */

#define MB_MAGIC            0x1badb002
#define MB_SEARCH           8192
#define MB_PAGE_ALIGN       (1u << 0)
#define MB_MEMORY_INFO      (1u << 1)
#define MB_VIDEO_MODE       (1u << 2)
#define MB_AOUT_KLUDGE      (1u << 16)

/* Info block layout inside the MBI blob. */
#define MBI_FLAGS           0
#define MBI_MEM_LOWER       4
#define MBI_MEM_UPPER       8
#define MBI_CMDLINE         16
#define MBI_MODS_COUNT      20
#define MBI_MODS_ADDR       24
#define MBI_MMAP_ADDR       48
#define MBI_LOADER_NAME     64
#define MBI_MMAP_OFF        96

typedef struct MbImage {
    uint32_t start, end;        /* [start, end): file bytes and bss */
    uint32_t entry;
    uint8_t *data;              /* end - start bytes */
} MbImage;

static int mb_find_header(const uint8_t *img, size_t len)
{
    for (size_t off = 0; off + 12 <= MIN(len, MB_SEARCH); off += 4) {
        if (ld32(img + off) == MB_MAGIC) {
            return off;
        }
    }
    return -1;
}

static bool mb_load_elf(const uint8_t *img, size_t len, uint64_t ram, MbImage *m, char **err)
{
    if (len < 52 || img[4] != 1 /* ELFCLASS32 */ || img[5] != 1 /* LSB */
        || ld16(img + 18) != 3 /* EM_386 */) {
        *err = g_strdup("multiboot ELF kernels must be ELF32 little-endian i386");
        return false;
    }
    uint32_t phoff = ld32(img + 28), entry = ld32(img + 24);
    uint16_t phentsize = ld16(img + 42), phnum = ld16(img + 44);
    if (phentsize < 32 || phoff > len || (uint64_t)phnum * phentsize > len - phoff) {
        *err = g_strdup("bad ELF program header table");
        return false;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + i * phentsize;
        if (ld32(ph) != 1 /* PT_LOAD */ || !ld32(ph + 20)) {
            continue;
        }
        uint64_t off = ld32(ph + 4), paddr = ld32(ph + 12);
        uint64_t filesz = ld32(ph + 16), memsz = ld32(ph + 20);
        if (filesz > memsz || off + filesz > len || paddr + memsz > ram) {
            *err = g_strdup_printf("ELF segment %u (paddr 0x%" PRIx64 ", %" PRIu64
                                   " bytes) lies outside the file or guest RAM", i, paddr, memsz);
            return false;
        }
        lo = MIN(lo, paddr);
        hi = MAX(hi, paddr + memsz);
    }
    if (lo >= hi) {
        *err = g_strdup("ELF kernel has no loadable segment");
        return false;
    }
    m->start = lo;
    m->end = hi;
    m->data = g_malloc0(hi - lo);
    m->entry = entry;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + i * phentsize;
        if (ld32(ph) != 1 || !ld32(ph + 20)) {
            continue;
        }
        uint32_t vaddr = ld32(ph + 8), paddr = ld32(ph + 12), memsz = ld32(ph + 20);
        memcpy(m->data + (paddr - lo), img + ld32(ph + 4), ld32(ph + 16));
        /* A virtual entry point runs at its physical address (paging off). */
        if (entry >= vaddr && entry - vaddr < memsz) {
            m->entry = entry - vaddr + paddr;
        }
    }
    return true;
}

static bool mb_load_aout(const uint8_t *img, size_t len, int hoff, uint64_t ram,
                         MbImage *m, char **err)
{
    if (hoff + 32 > (int)len) {
        *err = g_strdup("multiboot header address fields run past the end of the file");
        return false;
    }
    uint32_t header_addr = ld32(img + hoff + 12), load_addr = ld32(img + hoff + 16);
    uint32_t load_end = ld32(img + hoff + 20), bss_end = ld32(img + hoff + 24);
    uint32_t entry = ld32(img + hoff + 28);
    if (load_addr > header_addr || header_addr - load_addr > (uint32_t)hoff) {
        *err = g_strdup("multiboot load_addr is above header_addr or before the file start");
        return false;
    }
    uint64_t foff = hoff - (header_addr - load_addr);
    uint64_t fsize = load_end ? (uint64_t)load_end - load_addr : len - foff;
    if (load_end && load_end < load_addr) {
        *err = g_strdup("multiboot load_end_addr is below load_addr");
        return false;
    }
    if (foff + fsize > len) {
        *err = g_strdup("multiboot load_end_addr runs past the end of the file");
        return false;
    }
    uint64_t end = (uint64_t)load_addr + fsize;
    if (bss_end) {
        if (bss_end < end) {
            *err = g_strdup("multiboot bss_end_addr is below the loaded image");
            return false;
        }
        end = bss_end;
    }
    if (end > ram || end == load_addr) {
        *err = g_strdup("multiboot image is empty or does not fit in guest RAM");
        return false;
    }
    m->start = load_addr;
    m->end = end;
    m->entry = entry;
    m->data = g_malloc0(end - load_addr);
    memcpy(m->data, img + foff, fsize);
    return true;
}

/* Split QEMU-style: modules separated by ',' (',,' is a literal comma);
 * a module's string is its whole entry, its file name the first word. */
static GPtrArray *mb_split_modules(const char *spec)
{
    GPtrArray *mods = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);
    for (const char *p = spec;; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else if (*p == ',' || !*p) {
            g_ptr_array_add(mods, g_string_free(cur, FALSE));
            if (!*p) {
                break;
            }
            cur = g_string_new(NULL);
        } else {
            g_string_append_c(cur, *p);
        }
    }
    return mods;
}

static void load_multiboot(FWCfgState *fw, const char *kernel, const uint8_t *img, size_t len,
                           int hoff, const char *initrd, const char *append, uint64_t below_4g)
{
    uint32_t flags = ld32(img + hoff + 4);
    if ((uint32_t)(MB_MAGIC + flags + ld32(img + hoff + 8)) != 0) {
        fatal("-kernel %s: bad multiboot header checksum", kernel);
    }
    if (flags & 0xfff8) {
        fatal("-kernel %s: multiboot header requests unsupported features (flags 0x%x)",
              kernel, flags);
    }
    uint64_t top = below_4g > X86_LOAD_TOP_RESERVE ? below_4g - X86_LOAD_TOP_RESERVE : 0;
    MbImage m = { 0 };
    char *err = NULL;
    bool elf = len >= 4 && !memcmp(img, "\x7f" "ELF", 4);
    if (!((flags & MB_AOUT_KLUDGE) ? mb_load_aout(img, len, hoff, top, &m, &err)
          : elf ? mb_load_elf(img, len, top, &m, &err)
          : (err = g_strdup("not ELF and no multiboot address fields (flag 16)"), false))) {
        fatal("-kernel %s: %s", kernel, err);
    }
    if (m.start < 0x100000 && m.end > 0xa0000) {
        fatal("-kernel %s: image at 0x%x-0x%x overlaps the VGA/BIOS area 0xa0000-0xfffff",
              kernel, m.start, m.end);
    }
    if (m.start < X86_LOAD_MBI_ADDR + X86_LOAD_MBI_SIZE && m.end > 0x500) {
        fatal("-kernel %s: image at 0x%x-0x%x overlaps the boot loader's low memory",
              kernel, m.start, m.end);
    }

    /* Info block, mmap room, module list, then strings. */
    GByteArray *mbi = g_byte_array_new();
    g_byte_array_set_size(mbi, MBI_MMAP_OFF + X86_LOAD_MMAP_MAX * 24);
    memset(mbi->data, 0, mbi->len);
    GPtrArray *mods = initrd ? mb_split_modules(initrd) : g_ptr_array_new_with_free_func(g_free);
    uint32_t mods_off = mbi->len;
    g_byte_array_set_size(mbi, mbi->len + mods->len * 16);
    memset(mbi->data + mods_off, 0, mods->len * 16);

#define MBI_STR(s) ({ uint32_t o_ = mbi->len; \
            g_byte_array_append(mbi, (const guint8 *)(s), strlen(s) + 1); X86_LOAD_MBI_ADDR + o_; })

    char *cl = g_strdup_printf("%s %s", kernel, append);
    uint32_t cmdline_addr = MBI_STR(cl);
    g_free(cl);
    uint32_t name_addr = MBI_STR("Vireo");

    GByteArray *modblob = g_byte_array_new();
    uint64_t mod_base = ((uint64_t)m.end + 0xfff) & ~0xfffULL;
    for (unsigned i = 0; i < mods->len; i++) {
        const char *entry = g_ptr_array_index(mods, i);
        char *path = g_strndup(entry, strcspn(entry, " "));
        gchar *data;
        gsize dlen;
        GError *gerr = NULL;
        if (!*path || !file_read_limited(path, top, &data, &dlen, &gerr)) {
            fatal("could not load multiboot module '%s': %s", path,
                  gerr ? gerr->message : "empty file name");
        }
        uint64_t start = mod_base + modblob->len;
        if (start + dlen > top) {
            fatal("multiboot module '%s' does not fit in guest RAM", path);
        }
        g_byte_array_append(modblob, (guint8 *)data, dlen);
        g_byte_array_set_size(modblob, (modblob->len + 0xfff) & ~0xfffu);
        uint32_t str = MBI_STR(entry);
        uint8_t *me = mbi->data + mods_off + i * 16;
        st32(me, start);
        st32(me + 4, start + dlen);
        st32(me + 8, str);
        g_free(data);
        g_free(path);
    }
    if (mbi->len > X86_LOAD_MBI_SIZE) {
        fatal("-kernel %s: multiboot command lines are too long", kernel);
    }
#undef MBI_STR

    uint8_t *info = mbi->data;
    st32(info + MBI_FLAGS, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 9));
    /* defaults for a BIOS without E820: the ROM replaces both from the map */
    st32(info + MBI_MEM_LOWER, 640);
    st32(info + MBI_MEM_UPPER, MIN(below_4g, 0xffffffffULL) / 1024 - 1024);
    st32(info + MBI_CMDLINE, cmdline_addr);
    st32(info + MBI_MODS_COUNT, mods->len);
    st32(info + MBI_MODS_ADDR, X86_LOAD_MBI_ADDR + mods_off);
    st32(info + MBI_MMAP_ADDR, X86_LOAD_MBI_ADDR + MBI_MMAP_OFF);
    st32(info + MBI_LOADER_NAME, name_addr);

    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, 0);           /* tells the ROM: multiboot */
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ENTRY, m.entry);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, m.start);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, m.end - m.start);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, m.data, m.end - m.start);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, modblob->len ? mod_base : 0);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, modblob->len);
    fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, modblob->data, modblob->len);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, X86_LOAD_MBI_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, mbi->len);
    fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, mbi->data, mbi->len);

    g_byte_array_free(modblob, TRUE);
    g_byte_array_free(mbi, TRUE);
    g_ptr_array_free(mods, TRUE);
    g_free(m.data);
}

void x86_load_kernel(FWCfgState *fw, const char *kernel, const char *initrd,
                     const char *append, uint64_t below_4g)
{
    gchar *img;
    gsize len;
    GError *gerr = NULL;
    if (!file_read_limited(kernel, below_4g, &img, &len, &gerr)) {
        fatal("could not load kernel '%s': %s", kernel, gerr->message);
    }
    append = append ? append : "";

    char *rom_path = datadir_find(ROM_NAME);
    gchar *rom;
    gsize rom_len;
    if (!rom_path || !g_file_get_contents(rom_path, &rom, &rom_len, NULL)) {
        fatal("could not find the option ROM '%s' (run 'make' or use -L DIR)", ROM_NAME);
    }

    const uint8_t *u = (const uint8_t *)img;
    int hoff;
    if (len >= 0x206 && ld32(u + HDR_HEADER) == 0x53726448) {
        load_linux(fw, kernel, u, len, initrd, append, below_4g);
    } else if ((hoff = mb_find_header(u, len)) >= 0) {
        load_multiboot(fw, kernel, u, len, hoff, initrd, append, below_4g);
    } else {
        fatal("-kernel %s: neither a Linux bzImage nor a multiboot kernel", kernel);
    }

    fw_cfg_add_file(fw, ROM_FILE, rom, rom_len);
    /* SeaBIOS names a genroms BEV "/rom@genroms/NAME" in its boot order;
     * QEMU gives the Linux boot ROM bootindex 0, so it boots first. */
    GError *err = NULL;
    if (!bootdevice_add(0, "/rom@" ROM_FILE, &err)) {
        fatal("-kernel: %s", err->message);
    }
    g_free(rom);
    g_free(rom_path);
    g_free(img);
}
