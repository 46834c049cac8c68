/*
 * Character backends: stdio, file, null, mux (several front ends sharing
 * stdio; Ctrl-A escapes), unix/tcp sockets (client or server).  A front end (UART, debugcon,
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
/* Backend events: a peer connected/went away (sockets; stdio, file and null
 * are open from the start), or the stdio mux gave/took the focus. */
enum { CHR_EVENT_OPENED = 1, CHR_EVENT_CLOSED = 2, CHR_EVENT_MUX_IN = 3, CHR_EVENT_MUX_OUT = 4,
       /* output that chardev_write refused can now be written */
       CHR_EVENT_WRITABLE = 5 };
typedef void (*CharEvent)(void *opaque, int event);

/* Parse a -chardev option string "stdio,id=x" / "file,id=x,path=p" / "null,id=x" /
 * "socket,id=x,path=P|host=H,port=N[,server=on|off][,wait=on|off]" (client unless server=on;
 * a server with wait=on, the default, blocks until the first peer connects). */
Chardev *chardev_new_from_opts(const char *opts, GError **errp);
/* Parse a -serial/-monitor style spec: "stdio", "file:PATH", "null", "none" (returns NULL, no error),
 * "chardev:ID", "unix:PATH[,server=on,wait=off]", "tcp:[HOST]:PORT[,server=on,wait=off]"
 * (also QEMU's old ",server,nowait").  label names the new chardev (e.g. "serial0"). */
Chardev *chardev_new_from_spec(const char *spec, const char *label, GError **errp);
Chardev *chardev_find(const char *id);
const char *chardev_id(Chardev *chr);

/* Write all of buf or nothing; never waits for a socket peer.
 * Files and stdio: written at once (len, or -1 on error).
 * Sockets: what the kernel does not take is queued and sent from the main
 * loop as the peer reads.  Returns len (sent or queued; also while there is
 * no peer: the bytes are dropped, as QEMU does), or 0 when CHR_OUT_MAX bytes
 * are queued already, so a peer that stops reading costs bounded memory.
 * After a 0, CHR_EVENT_WRITABLE tells the front ends when to try again. */
int chardev_write(Chardev *chr, const uint8_t *buf, int len);
/* Disconnect a socket's peer, with a reason logged on stderr; the CLOSED
 * event comes from the main loop, never from inside this call.  The
 * listening socket of a server accepts the next peer. */
void chardev_drop_peer(Chardev *chr, const char *reason);
/* Add a front end (or replace the handlers of the one with this opaque).
 * False with an error when the chardev has MAX_FRONTENDS users already. */
bool chardev_set_handlers(Chardev *chr, CharCanRead can_read, CharRead read, void *opaque,
                          GError **errp);
/* The front end registered with opaque leaves: no more input or events. */
void chardev_remove_frontend(Chardev *chr, void *opaque);
/* Close a chardev its owner created (gdbserver replacing its socket):
 * every id naming it is forgotten, its fds and watches are closed, a unix
 * server's socket file is removed, and it is freed. */
void chardev_close(Chardev *chr);
/* Event callback for the front end registered with the same opaque (or a new
 * event-only front end).  If the backend is open already, CHR_EVENT_OPENED is
 * delivered at once, so a monitor can greet a peer that connected early. */
bool chardev_set_event_handler(Chardev *chr, CharEvent event, void *opaque, GError **errp);
/* A socket has a peer now; always true for the other backends. */
bool chardev_is_open(Chardev *chr);

/* The stdio mux (several front ends, Ctrl-A c switches). */
bool chardev_is_mux(Chardev *chr);
/* The front end registered with opaque receives input now (always true
 * without a mux). */
bool chardev_frontend_focused(Chardev *chr, void *opaque);
/* Every chardev once per id (the stdio object may appear under several). */
void chardev_foreach(void (*fn)(const char *id, Chardev *chr, void *opaque), void *opaque);
/* What the backend is, QEMU style: "stdio", "file", "null", "unix:PATH,server=on",
 * "disconnected:unix:..." for a socket without a peer.  g_free the result. */
char *chardev_filename(Chardev *chr);

/* -nographic: stdio mux with Ctrl-A x (quit), Ctrl-A h (help), Ctrl-A c (switch front end). */
Chardev *chardev_stdio_mux(void);
/* Hand buffered input of every chardev to front ends that can take it now (main loop). */
bool chardev_deliver_pending(void);   /* true: input is still waiting */
/* Restore the terminal (called at exit). */
void chardev_cleanup_all(void);

#endif
