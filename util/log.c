/* -d / -D logging and user-error reporting: see log.h. */
#include "util/log.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint32_t log_mask;
static FILE *log_file;

static const struct {
    const char *name;
    uint32_t bit;
    const char *help;
} log_items[] = {
    { "cpu", LOG_CPU, "show CPU registers before entering a translation block" },
    { "int", LOG_INT, "show interrupts/exceptions" },
    { "in_asm", LOG_IN_ASM, "show target assembly code for each compiled block" },
    { "out_asm", LOG_OUT_ASM, "show generated host assembly code for each compiled block" },
    { "jit", LOG_JIT, "show a line for each block tier 1 translates (instructions, inline, host bytes)" },
    { "guest_errors", LOG_GUEST_ERRORS, "log when the guest does something invalid" },
    { "unimp", LOG_UNIMP, "log unimplemented functionality" },
    { "exec", LOG_EXEC, "show trace before each executed block" },
    { "pcall", LOG_PCALL, "x86 only: show protected mode far calls/returns/exceptions" },
    { "reset", LOG_RESET, "show CPU state before CPU resets" },
    { "ioport", LOG_IOPORT, "show unassigned I/O port accesses" },
    { "mmu", LOG_MMU, "log MMU-related activities" },
    { "iostats", LOG_IOSTATS, "time device register handlers and print the I/O statistics at exit" },
};

bool log_parse_mask(const char *str, uint32_t *mask, char **bad_item)
{
    uint32_t m = 0;
    gchar **items = g_strsplit(str, ",", -1);
    bool ok = true;
    for (gchar **it = items; *it; it++) {
        if (!**it) {
            continue;
        }
        bool found = false;
        for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
            if (!strcmp(*it, log_items[i].name)) {
                m |= log_items[i].bit;
                found = true;
            }
        }
        if (!strcmp(*it, "all")) {
            m = ~0u;
            found = true;
        }
        if (!found) {
            if (bad_item) {
                *bad_item = g_strdup(*it);
            }
            ok = false;
            break;
        }
    }
    g_strfreev(items);
    if (ok) {
        *mask = m;
    }
    return ok;
}

void log_list_categories(void)
{
    printf("Log items (comma separated):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
        printf("%-15s %s\n", log_items[i].name, log_items[i].help);
    }
}

bool log_set_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        return false;
    }
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    return true;
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file ? log_file : stderr, fmt, ap);
    va_end(ap);
}

void log_flush(void)
{
    fflush(log_file ? log_file : stderr);
}

static void (*fatal_cleanup)(void);

void fatal_set_cleanup(void (*fn)(void))
{
    fatal_cleanup = fn;
}

void fatal(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("vireo: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (fatal_cleanup) {
        fatal_cleanup();
    }
    log_flush();
    fflush(NULL);
    _exit(1);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    fputs("vireo: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
