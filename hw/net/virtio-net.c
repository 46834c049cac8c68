/*
 * virtio-net (virtio 1.1 spec, section 5.1) on virtio-pci: "virtio-net-pci".
 * Queues: receive 0, transmit 1, control 2; with mq=on and a backend of
 * queues=N (N > 1), N receive/transmit pairs (2i, 2i+1) and control at 2N
 * once the driver takes VIRTIO_NET_F_MQ (at 2 while it has not).  Offers
 * the MAC, link status,
 * mergeable receive buffers, checksum offload in both directions (a
 * partially checksummed frame from the driver is completed here before it
 * reaches the backend; frames for the guest are full and marked valid, or
 * coalesced into GSO frames: see vnet_agg_*), and the control queue's
 * receive modes and MAC filter tables.
 *
 * TCP segmentation offload (HOST_TSO4, HOST_TSO6, HOST_ECN): the driver
 * sends TCP frames of up to 64 KiB with a segment size.  A backend that
 * takes large segments (libslirp, whose TCP does not care about the MTU)
 * gets the frame whole, with its lengths and checksums made right;
 * anything else (socket, tap, a hub) gets it cut into MTU-sized segments
 * (net/gso.c), as a NIC would put them on the wire.
 *
 * Multiqueue (virtio 1.1, 5.1.6.5.5): until the driver sets a number of
 * pairs with VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET only the first pair is used.
 * Then each transmit queue is drained by its own bottom half, and receive
 * steering is automatic: a frame goes to the receive queue of the pair
 * that last sent on its flow (TCP/UDP over IPv4/IPv6, by a hash of
 * addresses and ports), a flow not seen yet to a pair chosen by the hash.
 * The backend is one queue the pairs share; while it is full every
 * transmit queue waits.
 *
 * Transmit notification mitigation, in the manner of vhost-net: a kick
 * turns further kicks off and schedules a bottom half; the BH drains the
 * queue in batches of TX_BURST frames, rescheduling itself while work
 * remains, and turns kicks back on only when the ring is empty (checking
 * again afterwards, so a frame queued in between is not stranded).  While
 * the backend is full the queue waits for its sent callback.
 */
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/iostats.h"
#include "hw/pci/msix.h"
#include "hw/virtio/virtio-pci.h"
#include "net/checksum.h"
#include "net/gso.h"
#include "hw/core/bootdevice.h"
#include "net/net.h"
#include "util/bh.h"
#include "util/log.h"

#define VIRTIO_ID_NET               1
#define VIRTIO_NET_F_CSUM           0
#define VIRTIO_NET_F_GUEST_CSUM     1
#define VIRTIO_NET_F_MAC            5
#define VIRTIO_NET_F_GUEST_TSO4     7
#define VIRTIO_NET_F_GUEST_TSO6     8
#define VIRTIO_NET_F_HOST_TSO4      11
#define VIRTIO_NET_F_HOST_TSO6      12
#define VIRTIO_NET_F_HOST_ECN       13
#define VIRTIO_NET_F_MRG_RXBUF      15
#define VIRTIO_NET_F_STATUS         16
#define VIRTIO_NET_F_CTRL_VQ        17
#define VIRTIO_NET_F_CTRL_RX        18
#define VIRTIO_NET_F_MQ             22
#define VIRTIO_NET_S_LINK_UP        1
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_ECN      0x80

#define VIRTIO_NET_CTRL_RX          0
#define  VIRTIO_NET_CTRL_RX_PROMISC   0
#define  VIRTIO_NET_CTRL_RX_ALLMULTI  1
#define  VIRTIO_NET_CTRL_RX_ALLUNI    2
#define  VIRTIO_NET_CTRL_RX_NOMULTI   3
#define  VIRTIO_NET_CTRL_RX_NOUNI     4
#define  VIRTIO_NET_CTRL_RX_NOBCAST   5
#define VIRTIO_NET_CTRL_MAC         1
#define  VIRTIO_NET_CTRL_MAC_TABLE_SET 0
#define  VIRTIO_NET_CTRL_MAC_ADDR_SET  1
#define VIRTIO_NET_CTRL_ANNOUNCE    3
#define VIRTIO_NET_CTRL_MQ          4
#define  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK               0
#define VIRTIO_NET_ERR              1

#define QUEUE_SIZE      256
#define TX_BURST        256
#define MAC_TABLE_MAX   64
#define RX_FRAME_MAX    (65536 + 14)
#define FLOW_SLOTS      256
#define RX_AGG_MAX      (32 * 1024)     /* payload of a coalesced frame */

struct VirtIONet;
typedef struct VnetTxQueue {
    struct VirtIONet *n;
    VirtQueue *vq;
    BH *bh;
} VnetTxQueue;

typedef struct VirtIONet {
    VirtIOPCIProxy proxy;
    VirtIODevice vdev;
    NICConf conf;
    NetClientState *nc;
    char *romfile;               /* "romfile" property */
    bool host_tso4, host_tso6, host_ecn;    /* offloads offered (QEMU's property names) */
    bool guest_tso4, guest_tso6;
    bool mq;                     /* "mq" property */
    unsigned max_pairs;          /* queue pairs offered (the backend's queues= with mq=on) */
    unsigned curr_pairs;         /* in use (VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) */
    VnetTxQueue txq[NET_MAX_QUEUES];
    uint8_t flow_pair[FLOW_SLOTS];   /* pair + 1 that last sent on the flow, 0: none */
    bool tx_waiting;             /* backend full: every transmit queue waits for the sent callback */
    VirtQueueElement *tx_elem;   /* the frame the backend queued */
    VnetTxQueue *tx_elem_q;      /* and its queue */
    int64_t tx_start;            /* when it was popped, and its length (iostats) */
    size_t tx_len;
    IOStatsSource *ios;
    size_t hdr_len;
    bool mergeable;
    bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
    uint8_t mac_table[MAC_TABLE_MAX][6];
    unsigned uni_entries, multi_entries;
    uint64_t tx_frames, rx_frames;
    uint64_t tx_bytes, rx_bytes, copy_bytes, copy_bufs, rx_coalesced;
    /* receive coalescing (vnet_agg_*): the frame being built, 0: none */
    size_t agg_len;
    unsigned agg_pair, agg_segs, agg_mss, agg_hlen;
    uint32_t agg_seq;            /* the sequence number the next segment must have */
    BH *agg_bh;
    uint8_t agg[RX_FRAME_MAX];
} VirtIONet;

/* ---- configuration ---- */

static void vnet_get_config(VirtIODevice *vdev, uint8_t *cfg)
{
    VirtIONet *n = vdev->opaque;
    memcpy(cfg, n->conf.macaddr.a, 6);
    uint16_t status = n->nc && n->nc->link_down ? 0 : VIRTIO_NET_S_LINK_UP;
    cfg[6] = status;
    cfg[7] = status >> 8;
    cfg[8] = n->max_pairs;      /* max_virtqueue_pairs */
    cfg[9] = 0;
}

static void vnet_set_config(VirtIODevice *vdev, const uint8_t *cfg)
{
    VirtIONet *n = vdev->opaque;
    /* legacy drivers may set the MAC through config space */
    if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        memcpy(n->conf.macaddr.a, cfg, 6);
    }
}

static void vnet_set_features(VirtIODevice *vdev, uint64_t f)
{
    VirtIONet *n = vdev->opaque;
    n->mergeable = (f >> VIRTIO_NET_F_MRG_RXBUF) & 1;
    /* the header carries num_buffers with mergeable buffers or virtio 1.0 */
    n->hdr_len = (n->mergeable || ((f >> VIRTIO_F_VERSION_1) & 1)) ? 12 : 10;
}

static void vnet_reset(VirtIODevice *vdev)
{
    VirtIONet *n = vdev->opaque;
    n->promisc = true;           /* until the driver says otherwise, as QEMU */
    n->allmulti = n->alluni = n->nomulti = n->nouni = n->nobcast = false;
    n->uni_entries = n->multi_entries = 0;
    n->mergeable = false;
    n->hdr_len = 10;
    for (unsigned i = 0; i < n->max_pairs; i++) {
        bh_cancel(n->txq[i].bh);
    }
    n->curr_pairs = 1;
    memset(n->flow_pair, 0, sizeof(n->flow_pair));
    if (n->tx_elem) {
        virtqueue_elem_free(n->tx_elem);
        n->tx_elem = NULL;
    }
    n->tx_waiting = false;
    n->agg_len = 0;
    if (n->agg_bh) {
        bh_cancel(n->agg_bh);
    }
    if (n->nc) {
        net_purge_queued_packets(n->nc);
    }
}

static void vnet_set_status(VirtIODevice *vdev, uint8_t status)
{
    VirtIONet *n = vdev->opaque;
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && n->nc) {
        net_flush_queued_packets(n->nc);
    }
}

static const VirtIODeviceOps vnet_ops = {
    .get_config = vnet_get_config,
    .set_config = vnet_set_config,
    .set_features = vnet_set_features,
    .set_status = vnet_set_status,
    .reset = vnet_reset,
};

static VirtQueue *vnet_rxq(VirtIONet *n, unsigned pair)
{
    return &n->vdev.vq[2 * pair];
}

/* The control queue follows the pairs the driver knows of */
static unsigned vnet_ctrl_index(VirtIONet *n)
{
    return virtio_has_feature(&n->vdev, VIRTIO_NET_F_MQ) ? 2 * n->max_pairs : 2;
}

/*
 * Automatic receive steering: a hash of a TCP or UDP flow over IPv4 or
 * IPv6, the guest's end first (the source of what it sends, the
 * destination of what it gets), so both directions meet in one slot.
 */
static bool vnet_flow_hash(const uint8_t *f, size_t len, bool from_guest, unsigned *slot)
{
    NetIpFrame ip;
    if (!net_ip_parse(f, len, &ip) || (ip.proto != 6 && ip.proto != 17) || len < ip.l4 + 4) {
        return false;
    }
    size_t alen = ip.v6 ? 16 : 4, l4 = ip.l4;
    const uint8_t *src = f + ip.l3 + (ip.v6 ? 8 : 12), *dst = src + alen;
    const uint8_t *mine = from_guest ? src : dst, *theirs = from_guest ? dst : src;
    const uint8_t *myport = f + l4 + (from_guest ? 0 : 2), *theirport = f + l4 + (from_guest ? 2 : 0);
    uint32_t h = 2166136261u ^ ip.proto;                   /* FNV-1a */
    for (size_t i = 0; i < alen; i++) {
        h = (h ^ mine[i]) * 16777619u;
        h = (h ^ theirs[i]) * 16777619u;
    }
    for (int i = 0; i < 2; i++) {
        h = (h ^ myport[i]) * 16777619u;
        h = (h ^ theirport[i]) * 16777619u;
    }
    *slot = h % FLOW_SLOTS;
    return true;
}

/* ---- transmit ---- */

/* NEEDS_CSUM: sum from csum_start to the end, store at csum_start+offset
 * (the field holds the pseudo-header sum already). */
static void complete_csum(uint8_t *frame, size_t len, uint16_t start, uint16_t off)
{
    if (start >= len || (size_t)start + off + 2 > len) {
        return;
    }
    uint16_t c = net_checksum_finish(net_checksum_add(0, frame + start, len - start));
    frame[start + off] = c >> 8;
    frame[start + off + 1] = c;
}

static void vnet_tx_done(NetClientState *nc, ssize_t len);

/* Drop a transmit element the device cannot send (guest error) */
static void vnet_tx_drop(VnetTxQueue *q, VirtQueueElement *e, const char *why)
{
    vlog(LOG_GUEST_ERRORS, "virtio-net: %s, frame dropped\n", why);
    virtqueue_push(q->vq, e, 0);
    virtqueue_elem_free(e);
}

/* segments before the last need a sent callback only so that a full
 * receiver queues them instead of dropping them; the last one's tells */
static void vnet_tx_seg_sent(NetClientState *nc, ssize_t len)
{
}

typedef struct VnetSegCtx {
    VirtIONet *n;
    ssize_t last_ret;
} VnetSegCtx;

static void vnet_tx_seg(void *opaque, const uint8_t *seg, size_t len, bool last)
{
    VnetSegCtx *c = opaque;
    c->last_ret = net_send(c->n->nc, seg, len, last ? vnet_tx_done : vnet_tx_seg_sent);
}

/*
 * A GSO frame: whole to a backend that takes large segments, otherwise cut
 * to gso_size.  Returns what net_send returned for the last frame sent, or
 * -1 when the frame is not what its header says (dropped).
 */
static ssize_t vnet_tx_gso(VirtIONet *n, uint8_t *frame, size_t len, const uint8_t *hdr)
{
    static uint8_t seg[NET_BUFSIZE];
    uint8_t type = hdr[1] & ~VIRTIO_NET_HDR_GSO_ECN;
    uint16_t gso_size = hdr[4] | hdr[5] << 8;
    bool v6 = type == VIRTIO_NET_HDR_GSO_TCPV6;
    NetTcpFrame t;
    if ((type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6) ||
        !virtio_has_feature(&n->vdev, v6 ? VIRTIO_NET_F_HOST_TSO6 : VIRTIO_NET_F_HOST_TSO4) ||
        ((hdr[1] & VIRTIO_NET_HDR_GSO_ECN) && !virtio_has_feature(&n->vdev, VIRTIO_NET_F_HOST_ECN)) ||
        gso_size == 0 || !net_tcp_parse(frame, len, v6, &t)) {
        return -1;
    }
    NetClientState *peer = n->nc->peer;
    /* whole only while the IP length field can still hold it */
    bool whole = peer && peer->info->large_segments && len - t.l3 <= 65535;
    VnetSegCtx c = { n, 0 };
    net_tcp_segment(frame, len, &t, whole ? 0 : gso_size, seg, vnet_tx_seg, &c);
    return c.last_ret;
}

/* Send one popped element; false when the backend queued it (wait). */
static bool vnet_tx_one(VnetTxQueue *q, VirtQueueElement *e)
{
    VirtIONet *n = q->n;
    static uint8_t frame[NET_BUFSIZE];
    uint8_t hdr[12] = { 0 };
    int64_t t0 = iostats_now();
    if (e->out_bytes < n->hdr_len || e->out_bytes - n->hdr_len > NET_BUFSIZE) {
        virtio_error(&n->vdev, "transmit element of %" G_GUINT64_FORMAT " bytes", e->out_bytes);
        virtqueue_push(q->vq, e, 0);
        virtqueue_elem_free(e);
        return true;
    }
    iov_to_buf(e->out_sg, e->out_num, 0, hdr, n->hdr_len);
    size_t len = iov_to_buf(e->out_sg, e->out_num, n->hdr_len, frame, e->out_bytes - n->hdr_len);
    n->copy_bytes += e->out_bytes;
    n->copy_bufs += e->out_num;
    unsigned slot;
    if (n->max_pairs > 1 && vnet_flow_hash(frame, len, true, &slot)) {
        n->flow_pair[slot] = q - n->txq + 1;
    }
    ssize_t r;
    if (hdr[1] != VIRTIO_NET_HDR_GSO_NONE) {
        /* the TCP checksum is computed whole here; NEEDS_CSUM adds nothing */
        r = vnet_tx_gso(n, frame, len, hdr);
        if (r < 0) {
            vnet_tx_drop(q, e, "GSO frame not negotiated or not TCP as its header says");
            return true;
        }
    } else {
        if (hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
            complete_csum(frame, len, hdr[6] | hdr[7] << 8, hdr[8] | hdr[9] << 8);
        }
        r = net_send(n->nc, frame, len, vnet_tx_done);
    }
    n->tx_frames++;
    n->tx_bytes += len;
    if (r == 0) {
        n->tx_elem = e;             /* completed in vnet_tx_done */
        n->tx_elem_q = q;
        n->tx_start = t0;
        n->tx_len = len;
        n->tx_waiting = true;
        return false;
    }
    virtqueue_push(q->vq, e, 0);
    virtqueue_elem_free(e);
    iostats_req_done(n->ios, IOREQ_TX, t0, len);
    return true;
}

/*
 * Send up to TX_BURST frames, stopping before the first one of more than
 * limit bytes (it stays in the ring).  Then, unless the backend is full:
 * frames left, the bottom half runs (again); none, kicks come back on, and
 * a frame the driver queued while they were off is looked for once more.
 */
static void vnet_tx_run(VnetTxQueue *q, uint64_t limit)
{
    VirtIONet *n = q->n;
    VirtIODevice *vdev = &n->vdev;
    if (n->tx_waiting || !virtio_queue_ready(q->vq)) {
        return;
    }
    unsigned sent = 0;
    VirtQueueElement *e;
    while (sent < TX_BURST && (e = virtqueue_pop(q->vq))) {
        if (e->out_bytes - MIN(e->out_bytes, n->hdr_len) > limit) {      /* frame bytes */
            virtqueue_unpop(q->vq, e);
            virtqueue_elem_free(e);
            break;
        }
        sent++;
        if (!vnet_tx_one(q, e)) {
            break;
        }
    }
    if (sent) {
        virtio_notify(vdev, q->vq);
    }
    if (n->tx_waiting || virtio_is_broken(vdev)) {
        return;
    }
    if (!virtio_queue_empty(q->vq)) {
        bh_schedule(q->bh);         /* more to do: let the loop breathe first */
        return;
    }
    virtio_queue_set_notification(q->vq, true);
    if (!virtio_queue_empty(q->vq)) {
        virtio_queue_set_notification(q->vq, false);
        bh_schedule(q->bh);
    }
}

static void vnet_tx_bh(void *opaque)
{
    vnet_tx_run(opaque, UINT64_MAX);
}

static void vnet_tx_done(NetClientState *nc, ssize_t len)
{
    VirtIONet *n = nc->opaque_dev;
    if (n->tx_elem) {
        VirtQueue *vq = n->tx_elem_q->vq;
        virtqueue_push(vq, n->tx_elem, 0);
        virtqueue_elem_free(n->tx_elem);
        n->tx_elem = NULL;
        iostats_req_done(n->ios, IOREQ_TX, n->tx_start, n->tx_len);
        virtio_notify(&n->vdev, vq);
    }
    n->tx_waiting = false;
    /* every queue may have been kicked while the backend was full */
    for (unsigned i = 0; i < n->max_pairs; i++) {
        bh_schedule(n->txq[i].bh);
    }
}

/*
 * A kick.  Small frames at the head of the ring (the ACKs a guest sends
 * while it receives a stream) go out at once, from the kick: each one
 * saved a wake-up of the main loop, and a TCP sender on the host waits for
 * them (host-to-guest throughput rose from about 0.8 of QEMU's to par).
 * The rest waits for the bottom half, with kicks off meanwhile, so the
 * guest's TCP keeps merging data into large (TSO) frames while earlier
 * ones are in flight, as it does against QEMU.
 */
#define TX_INLINE_MAX 128        /* frame bytes sent from the kick */

static void vnet_handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = vdev->opaque;
    if (n->tx_waiting) {
        vq->kicks_suppressed++;
        return;
    }
    virtio_queue_set_notification(vq, false);
    vnet_tx_run(&n->txq[(vq - vdev->vq) / 2], TX_INLINE_MAX);
}

/* ---- receive ---- */

static bool vnet_rxq_can_receive(VirtQueue *vq)
{
    return virtio_queue_ready(vq) && !virtio_queue_empty(vq);
}

/* some receive queue in use has a buffer (vnet_receive picks the queue) */
static bool vnet_can_receive(NetClientState *nc)
{
    VirtIONet *n = nc->opaque_dev;
    for (unsigned i = 0; i < n->curr_pairs; i++) {
        if (vnet_rxq_can_receive(vnet_rxq(n, i))) {
            return true;
        }
    }
    return false;
}

/* The pair a frame for the guest goes to: its flow's, see vnet_flow_hash */
static unsigned vnet_rx_pair(VirtIONet *n, const uint8_t *frame, size_t len)
{
    unsigned slot;
    if (n->curr_pairs == 1 || !vnet_flow_hash(frame, len, false, &slot)) {
        return 0;
    }
    unsigned p = n->flow_pair[slot];
    return p && p <= n->curr_pairs ? p - 1 : slot % n->curr_pairs;
}

static bool vnet_filter(VirtIONet *n, const uint8_t *buf, size_t len)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    /* promiscuous: every frame, even one too short for an Ethernet
     * header (QEMU's receive_filter does the same) */
    if (n->promisc) {
        return true;
    }
    if (len < 14) {
        return false;
    }
    if (!memcmp(buf, bcast, 6)) {
        return !n->nobcast;
    }
    if (buf[0] & 1) {
        if (n->nomulti) {
            return false;
        }
        if (n->allmulti) {
            return true;
        }
        for (unsigned i = n->uni_entries; i < n->uni_entries + n->multi_entries; i++) {
            if (!memcmp(buf, n->mac_table[i], 6)) {
                return true;
            }
        }
        return false;
    }
    if (n->nouni) {
        return false;
    }
    if (n->alluni || !memcmp(buf, n->conf.macaddr.a, 6)) {
        return true;
    }
    for (unsigned i = 0; i < n->uni_entries; i++) {
        if (!memcmp(buf, n->mac_table[i], 6)) {
            return true;
        }
    }
    return false;
}

/*
 * The frame, with its virtio-net header hdr, into the buffers of rx: len
 * when it is delivered (or dropped: a single buffer too small), 0 when the
 * queue lacks buffers (it waits), -1 when the device is broken.
 */
static ssize_t vnet_rx_deliver(VirtIONet *n, VirtQueue *rx, const uint8_t *frame, size_t len,
                               const uint8_t *hdr, int64_t t0)
{
    size_t total = n->hdr_len + len, done = 0;
    unsigned used = 0;
    VirtQueueElement *elems[64];
    uint32_t lens[64];
    while (done < total) {
        if (used == G_N_ELEMENTS(elems) || (used && !n->mergeable)) {
            break;
        }
        VirtQueueElement *e = virtqueue_pop(rx);
        if (!e) {
            break;
        }
        if (e->in_bytes < (used ? 1 : n->hdr_len)) {
            virtio_error(&n->vdev, "receive buffer of %" G_GUINT64_FORMAT " bytes", e->in_bytes);
            virtqueue_elem_free(e);
            break;
        }
        size_t c = 0;
        if (used == 0) {
            c = iov_from_buf(e->in_sg, e->in_num, 0, hdr, n->hdr_len);
        }
        size_t dlen = MIN(e->in_bytes - c, total - done - (used == 0 ? n->hdr_len : 0));
        size_t doff = done ? done - n->hdr_len : 0;
        c += iov_from_buf(e->in_sg, e->in_num, c, frame + doff, dlen);
        n->copy_bytes += c;
        n->copy_bufs += e->in_num;
        done += c;
        elems[used] = e;
        lens[used] = c;
        used++;
    }
    if (done < total) {
        /* not enough buffers: give them back and wait (flow control) */
        for (unsigned i = used; i-- > 0;) {
            virtqueue_unpop(rx, elems[i]);
            virtqueue_elem_free(elems[i]);
        }
        if (virtio_is_broken(&n->vdev)) {
            return -1;
        }
        if (!n->mergeable && used) {
            return len;     /* a single buffer too small for the frame: dropped */
        }
        return 0;
    }
    if (n->mergeable) {
        /* num_buffers in the first buffer's header */
        uint8_t nb[2] = { used, used >> 8 };
        iov_from_buf(elems[0]->in_sg, elems[0]->in_num, 10, nb, 2);
    }
    for (unsigned i = 0; i < used; i++) {
        virtqueue_fill(rx, elems[i], lens[i], i);
        virtqueue_elem_free(elems[i]);
    }
    virtqueue_flush(rx, used);
    virtio_notify(&n->vdev, rx);
    n->rx_frames++;
    n->rx_bytes += len;
    iostats_req_done(n->ios, IOREQ_RX, t0, len);
    return len;
}

/*
 * Receive coalescing, the host side of GUEST_TSO4 (virtio 1.1, 5.1.6.4):
 * consecutive in-order segments of one TCP/IPv4 flow (ACK, PSH only, no IP
 * options) become one frame of up to RX_AGG_MAX bytes of payload with a
 * GSO header, so the guest's stack takes one packet, one interrupt and one
 * ACK decision where it took twenty (slirp sends MTU-sized segments).  The
 * frame keeps the first segment's headers with the last one's ACK number
 * and window; its IP length and header checksum are made right, and its
 * TCP checksum is left partial (NEEDS_CSUM, the pseudo-header sum), as
 * Linux's own GRO hands packets on.  A segment that does not continue the
 * frame, a short or PSH segment, the size limit, or the end of the burst
 * (agg_bh, after the backend's current run) sends it.
 */

/* the TCP/IPv4 segment's header length (Ethernet + IP + TCP) when it can
 * be coalesced, else 0 */
static unsigned vnet_agg_hlen(const uint8_t *f, size_t len)
{
    if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00) {
        return 0;
    }
    const uint8_t *ip = f + 14, *tcp = ip + 20;
    unsigned tot = ip[2] << 8 | ip[3];
    if (ip[0] != 0x45 || ip[9] != 6 || ((ip[6] << 8 | ip[7]) & 0x3fff) || tot + 14 != len ||
        net_checksum_finish(net_checksum_add(0, ip, 20))) {
        return 0;               /* options, not TCP, a fragment, padding, a bad header */
    }
    unsigned thl = (tcp[12] >> 4) * 4;
    if (thl < 20 || 20 + thl >= tot || (tcp[13] & ~0x18) || !(tcp[13] & 0x10)) {
        return 0;               /* no payload, or flags other than ACK/PSH */
    }
    return 14 + 20 + thl;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* send the coalesced frame: false when its queue lacks buffers (it stays) */
static bool vnet_agg_flush(VirtIONet *n)
{
    if (!n->agg_len) {
        return true;
    }
    uint8_t *ip = n->agg + 14, *tcp = ip + 20;
    uint8_t hdr[12] = { 0 };
    if (n->agg_segs > 1) {
        unsigned tot = n->agg_len - 14;
        ip[2] = tot >> 8;
        ip[3] = tot;
        ip[10] = ip[11] = 0;
        uint16_t c = net_checksum_finish(net_checksum_add(0, ip, 20));
        ip[10] = c >> 8;
        ip[11] = c;
        /* partial: the pseudo-header sum, not inverted */
        uint8_t ph[12] = { 0 };
        memcpy(ph, ip + 12, 8);
        ph[9] = 6;
        ph[10] = (tot - 20) >> 8;
        ph[11] = tot - 20;
        uint16_t p = ~net_checksum_finish(net_checksum_add(0, ph, 12));
        tcp[16] = p >> 8;
        tcp[17] = p;
        hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
        hdr[2] = n->agg_hlen;
        hdr[3] = n->agg_hlen >> 8;
        hdr[4] = n->agg_mss;
        hdr[5] = n->agg_mss >> 8;
        hdr[6] = 14 + 20;                       /* csum_start */
        hdr[8] = 16;                            /* csum_offset: TCP's checksum */
    } else {
        hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;   /* one segment: the frame as it came */
    }
    ssize_t r = vnet_rx_deliver(n, vnet_rxq(n, n->agg_pair), n->agg, n->agg_len, hdr,
                                iostats_now());
    if (r == 0) {
        return false;
    }
    n->agg_len = 0;
    return true;
}

static void vnet_agg_bh(void *opaque)
{
    vnet_agg_flush(opaque);     /* no buffers: vnet_handle_rx tries again */
}

/* append the segment to the frame being built: false if it does not
 * continue it */
static bool vnet_agg_append(VirtIONet *n, unsigned pair, const uint8_t *f, size_t len,
                            unsigned hlen)
{
    const uint8_t *a = n->agg, *tcp = f + 34, *atcp = a + 34;
    size_t pl = len - hlen;
    if (pair != n->agg_pair || hlen != n->agg_hlen || memcmp(f + 26, a + 26, 12) ||
        rd32(tcp + 4) != n->agg_seq || pl > n->agg_mss ||
        n->agg_len - hlen + pl > RX_AGG_MAX || memcmp(tcp + 20, atcp + 20, hlen - 54)) {
        return false;           /* another flow or queue, a gap, other options, too big */
    }
    memcpy(n->agg + n->agg_len, f + hlen, pl);
    n->agg_len += pl;
    n->agg_segs++;
    n->agg_seq += pl;
    n->rx_coalesced++;
    memcpy(n->agg + 34 + 8, tcp + 8, 4);        /* the newest ACK number */
    memcpy(n->agg + 34 + 14, tcp + 14, 2);      /* and window */
    n->agg[34 + 13] |= tcp[13] & 0x08;          /* PSH */
    return true;
}

static ssize_t vnet_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    VirtIONet *n = nc->opaque_dev;
    static uint8_t frame[RX_FRAME_MAX];
    size_t len = 0;
    int64_t t0 = iostats_now();
    for (int i = 0; i < iovcnt; i++) {
        if (len + iov[i].iov_len > sizeof(frame)) {
            return -1;
        }
        memcpy(frame + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    unsigned pair = vnet_rx_pair(n, frame, len);
    VirtQueue *rx = vnet_rxq(n, pair);
    bool coalesce = virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_TSO4) &&
                    virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_CSUM);
    unsigned hlen = coalesce ? vnet_agg_hlen(frame, len) : 0;
    if (n->agg_len) {
        if (hlen && vnet_filter(n, frame, len) && vnet_agg_append(n, pair, frame, len, hlen)) {
            if (len - hlen < n->agg_mss || (frame[34 + 13] & 0x08) ||
                n->agg_len - hlen + n->agg_mss > RX_AGG_MAX) {
                vnet_agg_flush(n);      /* the end of a burst: no buffers, agg_bh retries */
            }
            return len;
        }
        if (!vnet_agg_flush(n)) {
            return 0;                   /* the frame waits behind it */
        }
    }
    if (!vnet_rxq_can_receive(rx)) {
        return 0;
    }
    if (!vnet_filter(n, frame, len)) {
        return len;
    }
    if (hlen && len - hlen >= 536 && !(frame[34 + 13] & 0x08)) {
        /* a full-sized segment: the start of a coalesced frame */
        memcpy(n->agg, frame, len);
        n->agg_len = len;
        n->agg_pair = pair;
        n->agg_segs = 1;
        n->agg_hlen = hlen;
        n->agg_mss = len - hlen;
        n->agg_seq = rd32(frame + 34 + 4) + n->agg_mss;
        bh_schedule(n->agg_bh);
        return len;
    }
    uint8_t hdr[12] = { 0 };
    if (virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_CSUM)) {
        hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    }
    return vnet_rx_deliver(n, rx, frame, len, hdr, t0);
}

static void vnet_handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = vdev->opaque;
    /* buffers arrived: the coalesced frame, then the frames behind it */
    if (vnet_agg_flush(n)) {
        net_flush_queued_packets(n->nc);
    }
}

/* ---- control queue ---- */

static uint8_t vnet_ctrl_mac_table(VirtIONet *n, VirtQueueElement *e, size_t off)
{
    uint8_t cnt[4];
    unsigned entries[2];
    for (int t = 0; t < 2; t++) {
        if (iov_to_buf(e->out_sg, e->out_num, off, cnt, 4) != 4) {
            return VIRTIO_NET_ERR;
        }
        entries[t] = cnt[0] | cnt[1] << 8 | cnt[2] << 16 | (uint32_t)cnt[3] << 24;
        off += 4;
        if (entries[t] > MAC_TABLE_MAX || (t && entries[0] + entries[1] > MAC_TABLE_MAX)) {
            /* too many: as real filters do, fall back to accepting all of that kind */
            if (t == 0) {
                n->alluni = true;
            } else {
                n->allmulti = true;
            }
            off += 6ull * entries[t];
            entries[t] = 0;
            continue;
        }
        unsigned base = t ? entries[0] : 0;
        if (iov_to_buf(e->out_sg, e->out_num, off, n->mac_table[base], 6 * entries[t]) !=
            6 * entries[t]) {
            return VIRTIO_NET_ERR;
        }
        off += 6ull * entries[t];
    }
    n->uni_entries = entries[0];
    n->multi_entries = entries[1];
    return VIRTIO_NET_OK;
}

static void vnet_handle_ctrl(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = vdev->opaque;
    VirtQueueElement *e;
    while ((e = virtqueue_pop(vq))) {
        uint8_t cmd[2], status = VIRTIO_NET_ERR;
        if (e->in_bytes < 1 || iov_to_buf(e->out_sg, e->out_num, 0, cmd, 2) != 2) {
            virtio_error(vdev, "control request without header or status");
            virtqueue_elem_free(e);
            return;
        }
        if (cmd[0] == VIRTIO_NET_CTRL_RX) {
            uint8_t on;
            bool *flag[] = { &n->promisc, &n->allmulti, &n->alluni, &n->nomulti, &n->nouni, &n->nobcast };
            if (cmd[1] < G_N_ELEMENTS(flag) && iov_to_buf(e->out_sg, e->out_num, 2, &on, 1) == 1) {
                *flag[cmd[1]] = on;
                status = VIRTIO_NET_OK;
            }
        } else if (cmd[0] == VIRTIO_NET_CTRL_MAC && cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
            if (iov_to_buf(e->out_sg, e->out_num, 2, n->conf.macaddr.a, 6) == 6) {
                status = VIRTIO_NET_OK;
            }
        } else if (cmd[0] == VIRTIO_NET_CTRL_MAC && cmd[1] == VIRTIO_NET_CTRL_MAC_TABLE_SET) {
            status = vnet_ctrl_mac_table(n, e, 2);
        } else if (cmd[0] == VIRTIO_NET_CTRL_ANNOUNCE) {
            status = VIRTIO_NET_OK;
        } else if (cmd[0] == VIRTIO_NET_CTRL_MQ && cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
                   virtio_has_feature(vdev, VIRTIO_NET_F_MQ)) {
            uint8_t v[2];
            if (iov_to_buf(e->out_sg, e->out_num, 2, v, 2) == 2) {
                unsigned pairs = v[0] | v[1] << 8;
                if (pairs >= 1 && pairs <= n->max_pairs) {
                    n->curr_pairs = pairs;
                    status = VIRTIO_NET_OK;
                }
            }
        }
        iov_from_buf(e->in_sg, e->in_num, 0, &status, 1);
        virtqueue_push(vq, e, 1);
        virtqueue_elem_free(e);
    }
    virtio_notify(vdev, vq);
}

/* Every queue's notification: its role depends on whether the driver took MQ */
static void vnet_handle_queue(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = vdev->opaque;
    unsigned idx = vq - vdev->vq;
    if (idx == vnet_ctrl_index(n)) {
        vnet_handle_ctrl(vdev, vq);
    } else if (idx < 2 * n->max_pairs) {
        if (idx & 1) {
            vnet_handle_tx(vdev, vq);
        } else {
            vnet_handle_rx(vdev, vq);
        }
    }
}

/* ---- NIC and device ---- */

static void vnet_link_changed(NetClientState *nc)
{
    VirtIONet *n = nc->opaque_dev;
    virtio_notify_config(&n->vdev);
}

static void vnet_info(NetClientState *nc, GString *out)
{
    VirtIONet *n = nc->opaque_dev;
    const uint8_t *m = n->conf.macaddr.a;
    g_string_append_printf(out, "model=virtio-net-pci,macaddr=%02x:%02x:%02x:%02x:%02x:%02x",
                           m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const NetClientInfo vnet_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NetClientState),
    .receive = vnet_receive,
    .can_receive = vnet_can_receive,
    .link_status_changed = vnet_link_changed,
    .info_str = vnet_info,
};

static void vnet_iostats(void *opaque, IOStats *st)
{
    VirtIONet *n = opaque;
    for (unsigned i = 0; i < n->vdev.nvqs; i++) {
        VirtQueue *vq = &n->vdev.vq[i];
        st->kicks += vq->kicks;
        st->kicks_suppressed += vq->kicks_suppressed;
        st->irqs += vq->irqs;
        st->irqs_coalesced += vq->irqs_suppressed;
    }
    st->copy_bytes = n->copy_bytes;
    st->copy_buffers = n->copy_bufs;
    st->bh_runs = 0;
    for (unsigned i = 0; i < n->max_pairs; i++) {
        st->bh_runs += bh_run_count(n->txq[i].bh);
    }
    st->tx_requests = n->tx_frames;
    st->rx_requests = n->rx_frames;
    st->tx_bytes = n->tx_bytes;
    st->rx_bytes = n->rx_bytes;
    st->rx_coalesced = n->rx_coalesced;
}

static bool vnet_realize(Device *dev, GError **errp)
{
    VirtIONet *n = (VirtIONet *)dev;
    VirtIODevice *vdev = &n->vdev;
    if (!bootdevice_check(n->conf.bootindex, errp)) {
        return false;
    }
    virtio_init(vdev, "virtio-net", VIRTIO_ID_NET, 10, &vnet_ops, n);
    vdev->host_features |= 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
                           1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CSUM |
                           1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_NET_F_CTRL_VQ |
                           1ull << VIRTIO_NET_F_CTRL_RX;
    /* TSO needs checksum offload, which is always offered (virtio 1.1, 5.1.3.1) */
    vdev->host_features |= (uint64_t)n->host_tso4 << VIRTIO_NET_F_HOST_TSO4 |
                           (uint64_t)n->host_tso6 << VIRTIO_NET_F_HOST_TSO6 |
                           (uint64_t)(n->host_ecn && (n->host_tso4 || n->host_tso6)) << VIRTIO_NET_F_HOST_ECN |
                           (uint64_t)n->guest_tso4 << VIRTIO_NET_F_GUEST_TSO4 |
                           (uint64_t)n->guest_tso6 << VIRTIO_NET_F_GUEST_TSO6;
    n->max_pairs = n->mq && n->conf.peer ? n->conf.peer->queues : 1;
    if (n->max_pairs > 1) {
        vdev->host_features |= 1ull << VIRTIO_NET_F_MQ;
    }
    for (unsigned i = 0; i < n->max_pairs; i++) {
        virtio_add_queue(vdev, QUEUE_SIZE, vnet_handle_queue);
        n->txq[i] = (VnetTxQueue){ n, virtio_add_queue(vdev, QUEUE_SIZE, vnet_handle_queue), NULL };
        n->txq[i].bh = bh_new(vnet_tx_bh, &n->txq[i]);
    }
    n->agg_bh = bh_new(vnet_agg_bh, n);
    virtio_add_queue(vdev, 64, vnet_handle_queue);          /* control */
    net_nic_default_mac(&n->conf);
    if (!virtio_pci_realize(&n->proxy, vdev, 0x0200, errp)) {
        return false;
    }
    n->proxy.pci.name = "virtio-net-pci";
    if (!pci_load_option_rom(&n->proxy.pci, n->romfile, "efi-virtio.rom", errp)) {
        virtio_pci_unrealize(&n->proxy);
        for (unsigned i = 0; i < n->max_pairs; i++) {
            bh_delete(n->txq[i].bh);
        }
        bh_delete(n->agg_bh);
        n->agg_bh = NULL;
        return false;
    }
    n->nc = net_nic_new(&vnet_net_info, &n->conf, "virtio-net-pci", dev->id);
    n->nc->opaque_dev = n;
    n->ios = iostats_register(n->nc->name, "net", vnet_iostats, n);
    iostats_add_region(n->nc->name, &n->proxy.common);
    iostats_add_region(n->nc->name, &n->proxy.isr);
    iostats_add_region(n->nc->name, &n->proxy.device);
    iostats_add_region(n->nc->name, &n->proxy.notify);
    iostats_add_region(n->nc->name, msix_table_region(&n->proxy.pci));
    if (!n->proxy.disable_legacy) {
        iostats_add_region(n->nc->name, &n->proxy.legacy_io);
    }
    vnet_reset(vdev);
    bootdevice_add_pci(n->conf.bootindex, "ethernet", n->proxy.pci.devfn, "/ethernet-phy@0", NULL);
    return true;
}

static void vnet_device_reset(Device *dev)
{
    VirtIONet *n = (VirtIONet *)dev;
    pci_device_reset(&n->proxy.pci);
    virtio_reset(&n->vdev);
    virtio_pci_reset(&n->proxy);
}

static void vnet_unrealize(Device *dev)
{
    VirtIONet *n = (VirtIONet *)dev;
    virtio_reset(&n->vdev);
    for (unsigned i = 0; i < n->max_pairs; i++) {
        bh_delete(n->txq[i].bh);
    }
    bh_delete(n->agg_bh);
    n->agg_bh = NULL;
    iostats_unregister(n->ios);
    net_client_free(n->nc);          /* the -netdev backend stays, free for another NIC */
    n->nc = NULL;
    bootdevice_del_pci("ethernet", n->proxy.pci.devfn);
    virtio_pci_unrealize(&n->proxy);
}

static const Property vnet_props[] = {
    DEFINE_VIRTIO_PCI_PROPERTIES(VirtIONet, proxy),
    DEFINE_NIC_PROPERTIES(VirtIONet, conf),
    DEFINE_PROP("romfile", PROP_STRING, VirtIONet, romfile, NULL),
    DEFINE_PROP("host_tso4", PROP_BOOL, VirtIONet, host_tso4, "on"),
    DEFINE_PROP("host_tso6", PROP_BOOL, VirtIONet, host_tso6, "on"),
    DEFINE_PROP("host_ecn", PROP_BOOL, VirtIONet, host_ecn, "on"),
    DEFINE_PROP("guest_tso4", PROP_BOOL, VirtIONet, guest_tso4, "on"),
    DEFINE_PROP("guest_tso6", PROP_BOOL, VirtIONet, guest_tso6, "on"),
    DEFINE_PROP("mq", PROP_BOOL, VirtIONet, mq, "off"),
    DEFINE_PROP_END,
};

static const DeviceClass vnet_class = {
    .name = "virtio-net-pci",
    .desc = "virtio network device over PCI",
    .bus = BUS_PCI,
    .instance_size = sizeof(VirtIONet),
    .props = vnet_props,
    .user_creatable = true,
    .realize = vnet_realize,
    .unrealize = vnet_unrealize,
    .hotpluggable = true,
    .reset = vnet_device_reset,
};
DEVICE_REGISTER(vnet_class)

static const NICModel vnet_model = { .name = "virtio-net-pci", .device = "virtio-net-pci" };
static const NICModel vnet_model_short = { .name = "virtio", .device = "virtio-net-pci" };
static void __attribute__((constructor)) vnet_register_model(void)
{
    net_register_nic_model(&vnet_model);
    net_register_nic_model(&vnet_model_short);
}
