/*
 * Character backends: stdio, file, null, mux (several front ends sharing
 * stdio; Ctrl-A escapes), later socket/pty.  A front end (UART, debugcon,
 * monitor) writes bytes out and registers handlers for bytes coming in.
 * Input is delivered from the main loop.
 */
#ifndef CHARDEV_CHARDEV_H
#define CHARDEV_CHARDEV_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Chardev Chardev;

/* How many bytes the front end can take now (0 = hold input back). */
typedef int (*CharCanRead)(void *opaque);
typedef void (*CharRead)(void *opaque, const uint8_t *buf, int len);

/* Parse a -chardev option string "stdio,id=x" / "file,id=x,path=p" / "null,id=x". */
Chardev *chardev_new_from_opts(const char *opts, GError **errp);
/* Parse a -serial/-monitor style spec: "stdio", "file:PATH", "null", "none" (returns NULL, no error),
 * "chardev:ID".  label names the new chardev (e.g. "serial0"). */
Chardev *chardev_new_from_spec(const char *spec, const char *label, GError **errp);
Chardev *chardev_find(const char *id);
const char *chardev_id(Chardev *chr);

/* Writes all bytes (blocking for files/stdio).  Returns len or -1. */
int chardev_write(Chardev *chr, const uint8_t *buf, int len);
void chardev_set_handlers(Chardev *chr, CharCanRead can_read, CharRead read, void *opaque);

/* -nographic: stdio mux with Ctrl-A x (quit), Ctrl-A h (help), Ctrl-A c (switch front end). */
Chardev *chardev_stdio_mux(void);
/* Hand buffered input to front ends that can take it now (main loop). */
void chardev_deliver_pending(void);
/* Restore the terminal (called at exit). */
void chardev_cleanup_all(void);

#endif
