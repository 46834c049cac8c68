/*
 * Network clients: every endpoint of a virtual wire (a NIC's device side,
 * a backend such as libslirp's user network, a socket or a tap device, a
 * hub port) is a NetClientState.  Two clients are peers; a packet sent by
 * one is delivered to the other's receive().
 *
 * Flow control, as QEMU's: a receiver that cannot take a packet now
 * (can_receive() false, or receive() returning 0) gets it queued on its
 * incoming queue, and the sender is told 0.  A sender that passed a
 * sent_cb must then stop pulling packets from its source (the NIC stops
 * reading its TX ring, a socket stops reading its fd) until sent_cb runs;
 * the receiver calls net_flush_queued_packets() when it has room again.
 * Senders without sent_cb are limited to a bounded queue: beyond it the
 * packet is dropped and counted (rx_dropped), never silently.
 *
 * All of this runs in the main loop thread (or with the big lock held).
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NET_BUFSIZE (4096 + 65536)   /* largest frame a backend hands over (GSO) */
#define NET_MAX_QUEUES 16            /* queues= on a backend */

typedef struct NetClientState NetClientState;
typedef void NetPacketSent(NetClientState *sender, ssize_t len);

typedef enum NetClientDriver {
    NET_CLIENT_DRIVER_NIC,
    NET_CLIENT_DRIVER_USER,
    NET_CLIENT_DRIVER_SOCKET,
    NET_CLIENT_DRIVER_TAP,
    NET_CLIENT_DRIVER_HUBPORT,
} NetClientDriver;

typedef struct NetClientInfo {
    NetClientDriver type;
    size_t size;                 /* of the struct embedding NetClientState first */
    /* Deliver one frame: return its length when taken, 0 when the
     * receiver is full (the frame is queued), <0 to drop it. */
    ssize_t (*receive)(NetClientState *nc, const struct iovec *iov, int iovcnt);
    bool (*can_receive)(NetClientState *nc);       /* optional */
    void (*cleanup)(NetClientState *nc);           /* optional */
    void (*link_status_changed)(NetClientState *nc);   /* optional */
    /* optional, one line for "info network" */
    void (*info_str)(NetClientState *nc, GString *out);
    /* takes TCP frames larger than the MTU (a NIC's TSO need not cut them) */
    bool large_segments;
} NetClientInfo;

typedef struct NetPacket NetPacket;

typedef struct NetStats {
    uint64_t tx_packets, tx_bytes;     /* sent by this client */
    uint64_t rx_packets, rx_bytes;     /* delivered to this client */
    uint64_t tx_max, rx_max;           /* the largest frame sent, delivered */
    uint64_t rx_queued;                /* delivered after waiting on the queue */
    uint64_t rx_dropped;               /* refused, or queue full for a sender without flow control */
} NetStats;

struct NetClientState {
    const NetClientInfo *info;
    char *name;                  /* -netdev id, or the NIC's id/model */
    char *model;                 /* "user", "socket", "e1000", ... */
    NetClientState *peer;
    bool link_down;
    bool delivering;             /* re-entrancy guard for flush */
    GQueue incoming;             /* NetPacket * waiting for this client */
    unsigned incoming_limit;     /* for senders without flow control */
    NetStats stats;
    void *hub;                   /* hub ports: their hub */
    void *opaque_dev;            /* NICs: the device model */
    unsigned queues;             /* backends: queues=N, the queue pairs a multiqueue NIC offers */
    const struct MACAddr *mac;   /* NICs: the device's MAC (announce-self) */
};

NetClientState *net_client_new(const NetClientInfo *info, NetClientState *peer,
                               const char *model, const char *name);
void net_client_free(NetClientState *nc);

/* Send a frame to nc's peer.  Returns its length if delivered (or dropped
 * because the link is down, as a cable pulled), 0 if it was queued (then
 * sent_cb, if given, runs when it has been delivered and the sender may go
 * on).  With sent_cb == NULL a full queue drops the frame (counted). */
ssize_t net_send_iov(NetClientState *nc, const struct iovec *iov, int iovcnt,
                     NetPacketSent *sent_cb);
ssize_t net_send(NetClientState *nc, const uint8_t *buf, size_t len, NetPacketSent *sent_cb);
/* The receiver has room again: deliver what waits for it. */
void net_flush_queued_packets(NetClientState *nc);
/* Drop every queued frame a sender left for nc (device reset). */
void net_purge_queued_packets(NetClientState *nc);
bool net_can_receive(NetClientState *nc);

/* -netdev TYPE,id=ID,...: create a backend (not yet peered; a NIC's
 * netdev= property claims it).  Errors name the option. */
bool net_netdev_add(const char *optstr, GError **errp);
/* -nic TYPE[,model=M][,mac=..][,...] and the legacy -net nic/-net user. */
bool net_nic_option(const char *optstr, GError **errp);
bool net_legacy_net_option(const char *optstr, GError **errp);
NetClientState *net_netdev_find(const char *id);
/* After the machine and -device: create the NICs -nic/-net asked for and
 * check that every backend found a NIC (a warning, as QEMU). */
bool net_init_nics(GError **errp);
void net_info_network(GString *out);
/* QMP announce-self: every NIC sends a gratuitous RARP with its MAC (so
 * switches relearn where it is), rounds times, the first now, then after
 * initial, initial + step, ... ms (at most max).  A call with the id of
 * a running announcement replaces it; rounds 0 stops it. */
bool net_announce_self(int64_t initial_ms, int64_t max_ms, int64_t rounds, int64_t step_ms,
                       const char *id, GError **errp);
/* HMP/QMP set_link NAME on|off */
bool net_set_link(const char *name, bool up, GError **errp);
void net_cleanup(void);

/*
 * What a NIC model needs: its MAC and backend, set from properties
 * (DEFINE_PROP_NIC below) or from -nic.
 */
typedef struct MACAddr { uint8_t a[6]; } MACAddr;
typedef struct NICConf {
    MACAddr macaddr;             /* all zero: not given */
    NetClientState *peer;        /* the backend, from netdev= */
    int32_t bootindex;           /* boot from the NIC's option ROM (iPXE), -1: no */
} NICConf;

/* In a NIC's property table: mac=, netdev= and bootindex=. */
#define DEFINE_NIC_PROPERTIES(_struct, _conf) \
    DEFINE_PROP("mac", PROP_MACADDR, _struct, _conf.macaddr, NULL), \
    DEFINE_PROP("netdev", PROP_NETDEV, _struct, _conf.peer, NULL), \
    DEFINE_PROP("bootindex", PROP_I32, _struct, _conf.bootindex, "-1")

/* Without mac=: 52:54:00:12:34:56, :57, ... in creation order (as QEMU). */
void net_nic_default_mac(NICConf *conf);
/* A NIC's own client, peered with conf->peer (may be NULL: no cable). */
NetClientState *net_nic_new(const NetClientInfo *info, NICConf *conf, const char *model,
                            const char *id);
bool net_parse_macaddr(const char *s, MACAddr *mac);

/* A NIC model registers a creator so -nic model=NAME works generically:
 * it creates the device (a -device in disguise) with netdev= set. */
typedef struct NICModel {
    const char *name;            /* "e1000", "virtio-net-pci", ... */
    const char *device;          /* -device type to create */
} NICModel;
void net_register_nic_model(const NICModel *m);
const char *net_default_nic_model(void);

#endif
