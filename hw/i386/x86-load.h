/*
 * -kernel/-initrd/-append: Linux bzImage (boot protocol 2.x) and multiboot v1
 * kernels, parsed and placed on the host and handed to SeaBIOS through
 * fw_cfg items plus our option ROM firmware/linuxboot.asm.
 */
#ifndef HW_I386_X86_LOAD_H
#define HW_I386_X86_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include "hw/nvram/fw_cfg.h"

/* Memory layout (QEMU's, which the kernel and SeaBIOS expect). */
#define X86_LOAD_PROT_ADDR      0x100000        /* protected-mode kernel */
#define X86_LOAD_MBI_ADDR       0x8000          /* multiboot info block */
#define X86_LOAD_MBI_SIZE       0x8000
#define X86_LOAD_MMAP_MAX       32              /* = MMAP_MAX in linuxboot.asm */
/* SeaBIOS keeps its high tables (ACPI etc.) at the top of low RAM. */
#define X86_LOAD_TOP_RESERVE    (512 * 1024)

/*
 * Load the kernel, publish the fw_cfg items, the ROM file and the boot order.
 * A missing or bad file is a user error: one line on stderr, exit 1.
 */
void x86_load_kernel(FWCfgState *s, const char *kernel, const char *initrd,
                     const char *append, uint64_t below_4g);

/* Parsers, split from the file and fw_cfg handling so unit tests reach them.
 * On error they return false and set *err to a message (g_free it). */
typedef struct X86LinuxImage {
    uint32_t setup_addr, setup_size;        /* patched real-mode part */
    uint32_t cmdline_addr;
    uint32_t prot_addr, prot_size;
    uint32_t initrd_addr;                   /* 0 if no initrd */
    uint16_t version;
    uint8_t *setup;                         /* g_malloc'd copy, patched */
} X86LinuxImage;

bool x86_linux_prepare(const uint8_t *img, size_t len, size_t cmdline_len,
                       size_t initrd_len, uint64_t below_4g,
                       X86LinuxImage *out, char **err);

#endif
