/*
 * -d / -D logging.  Each category is a bit; log_enabled() is cheap enough
 * for hot paths.  Output goes to the -D file, or stderr.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum {
    LOG_CPU          = 1 << 0,   /* register dump before each executed block */
    LOG_INT          = 1 << 1,   /* interrupts and exceptions */
    LOG_IN_ASM       = 1 << 2,   /* disassembly of each block when translated */
    LOG_GUEST_ERRORS = 1 << 3,   /* guest did something invalid; we ignored it */
    LOG_UNIMP        = 1 << 4,   /* guest used something we do not implement */
    LOG_EXEC         = 1 << 5,   /* each block executed */
    LOG_PCALL        = 1 << 6,   /* protected-mode far calls/task switches */
    LOG_RESET        = 1 << 7,   /* CPU/machine reset */
    LOG_IOPORT       = 1 << 8,   /* unassigned I/O port accesses */
    LOG_MMU          = 1 << 9,
    LOG_IOSTATS      = 1 << 10,  /* I/O accounting summary at exit (hw/core/iostats.h) */
    LOG_OUT_ASM      = 1 << 11,  /* host code of each block tier 1 translates */
    LOG_JIT          = 1 << 12,  /* one line per block tier 1 translates */
};

extern uint32_t log_mask;

static inline bool log_enabled(uint32_t cat) { return (log_mask & cat) != 0; }
/* Parse "cpu,int,in_asm"; "help" lists; returns false and names the bad item. */
bool log_parse_mask(const char *str, uint32_t *mask, char **bad_item);
void log_list_categories(void);
bool log_set_file(const char *path);      /* false if it cannot be opened */
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_flush(void);
/* log_printf when the category is on */
#define vlog(cat, ...) do { if (log_enabled(cat)) log_printf(__VA_ARGS__); } while (0)

/* One line to stderr, prefixed "vireo: "; then the cleanup hook and
 * _exit(1).  For user errors.  An error exit frees nothing and runs no
 * atexit handler (so LeakSanitizer, which checks from one, has nothing to
 * say about objects still in use): what must happen on the way out (the
 * terminal restored, socket files removed) is the hook's job. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatal_set_cleanup(void (*fn)(void));
/* One line to stderr, prefixed "vireo: warning: ". */
void warn_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
