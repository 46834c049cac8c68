/*
 * Inside the chardev layer: the Chardev object shared by the backends
 * (chardev.c: stdio, file, null, mux; socket.c: unix/tcp sockets).
 * Front ends use chardev.h only.
 */
#ifndef CHARDEV_CHARDEV_INT_H
#define CHARDEV_CHARDEV_INT_H

#include "chardev/chardev.h"

typedef enum { CHR_NULL, CHR_STDIO, CHR_FILE, CHR_SOCKET } ChrKind;

#define MAX_FRONTENDS 4

typedef struct FrontEnd {
    CharCanRead can_read;
    CharRead read;
    CharEvent event;
    void *opaque;
    GByteArray *mux_pending;  /* mux only: input typed while this one had the focus */
} FrontEnd;

/* Output a socket peer has not taken yet; a write finding this much queued
 * is refused (see chardev_write). */
#define CHR_OUT_MAX (256 * 1024)

typedef struct ChrSocket ChrSocket;

struct Chardev {
    char *id;
    ChrKind kind;
    int out_fd;
    bool mux;
    bool signal;              /* Ctrl-C raises SIGINT (stdio, no mux) */
    FrontEnd fe[MAX_FRONTENDS];
    int nr_fe;
    int focus;
    bool escape;              /* last byte was Ctrl-A */
    GByteArray *pending;      /* input not yet taken by the front end */
    ChrSocket *sock;          /* CHR_SOCKET only */
    bool want_writable;       /* a write was refused: send CHR_EVENT_WRITABLE */
};

/* Add a named chardev to the registry (fails on a duplicate id). */
Chardev *chardev_register(Chardev *chr, const char *id, GError **errp);
/* Queue input and hand as much as the focused front end takes. */
void chardev_feed(Chardev *chr, const uint8_t *buf, int len);
/* Tell every front end that registered an event callback. */
void chardev_emit_event(Chardev *chr, int event);
/* A refused writer may try again: emit CHR_EVENT_WRITABLE if one waits. */
void chardev_notify_writable(Chardev *chr);

/* socket.c */
Chardev *chardev_socket_new(const char *id, const char *path, const char *host,
                            const char *port, bool server, bool wait, GError **errp);
bool chardev_socket_connected(Chardev *chr);
int chardev_socket_write(Chardev *chr, const uint8_t *buf, int len);
/* Remove the socket file a unix server created (at exit). */
void chardev_socket_cleanup(Chardev *chr);
/* "unix:PATH[,server=on]" / "tcp:HOST:PORT[,server=on]" */
const char *chardev_socket_desc(Chardev *chr);
/* Input backlog drained: resume reading the socket. */
void chardev_socket_resume(Chardev *chr);
/* Close the peer from the main loop (not from inside the caller). */
void chardev_socket_drop(Chardev *chr, const char *reason);
/* Close every fd and watch (chardev_close; the memory stays valid). */
void chardev_socket_shutdown(Chardev *chr);
/* Shut down and free the socket state. */
void chardev_socket_free(Chardev *chr);

#endif
