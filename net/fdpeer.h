/*
 * A backend that moves whole frames over a file descriptor (tap, and the
 * socket backend's datagram modes): reads are watched in the main loop
 * and stop while the peer's queue is full (flow control), writes are
 * whole-frame and non-blocking.  Shared by tap.c and socket.c.
 */
#ifndef NET_FDPEER_H
#define NET_FDPEER_H

#include "net/net.h"

typedef struct FdPeer {
    NetClientState nc;
    int fd;
    guint watch;                 /* GLib source id of the read watch, 0 if paused */
    /* read one frame into buf (NET_BUFSIZE); <0 errno, 0 nothing/EOF handled */
    ssize_t (*read_frame)(struct FdPeer *s, uint8_t *buf, size_t size);
    uint8_t *buf;
} FdPeer;

void fdpeer_start_reading(FdPeer *s);
void fdpeer_stop_reading(FdPeer *s);

#endif
