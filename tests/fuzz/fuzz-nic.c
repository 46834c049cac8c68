/*
 * Fuzz the NICs' descriptor parsing: e1000 transmit/receive rings and
 * virtio-net's virtqueues (through the virtio core's chain walker).  Each
 * input starts from a machine whose e1000 and virtio-net-pci are set up
 * as a driver would leave them (rings in RAM, interfaces enabled, queues
 * live); the input then scribbles on the rings and buffers, moves tail
 * pointers, kicks queues, writes registers and injects frames from the
 * backend side; transmitted GSO frames go through the TSO segmenter
 * (net/gso.c).  Nothing may crash, hang or touch memory outside the guest.
 * Each record: op(1) a(4) v(4).
 */
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "net/net.h"
#include "util/bh.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "nic";

#define E1000_DEVFN   (4 << 3)
#define VNET_DEVFN    (5 << 3)
#define E1000_BAR0    0xe0000000u
#define VNET_BAR1     0xe0100000u
#define VNET_BAR4     0xe0200000u
#define RINGS         0x100000u
#define BUFS          0x200000u

static NetClientState *peer_e1000, *peer_vnet;

static ssize_t sink_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    return len;
}

static const NetClientInfo sink_info = {
    .type = NET_CLIENT_DRIVER_SOCKET,        /* a backend, as far as netdev= is concerned */
    .size = sizeof(NetClientState),
    .receive = sink_receive,
};

static void pci_cfg_writel(int devfn, int reg, uint32_t v)
{
    address_space_st(&address_space_io, 0xcf8, 0x80000000u | devfn << 8 | reg, 4);
    address_space_st(&address_space_io, 0xcfc, v, 4);
}

static void mmio_w(uint64_t a, uint32_t v, unsigned sz)
{
    address_space_st(&address_space_memory, a, v, sz);
}

static void add_device(const char *type, const char *props)
{
    GError *err = NULL;
    Device *dev = device_new(type, &err);
    if (!dev || !device_set_props_str(dev, props, &err) || !device_realize(dev, &err)) {
        fprintf(stderr, "fuzz-nic: %s: %s\n", type, err->message);
        abort();
    }
}

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    fuzz_machine(16 << 20);
    peer_e1000 = net_client_new(&sink_info, NULL, "sink", "fz-e1000");
    peer_vnet = net_client_new(&sink_info, NULL, "sink", "fz-vnet");
    add_device("e1000", "addr=4,netdev=fz-e1000");
    add_device("virtio-net-pci", "addr=5,netdev=fz-vnet");
}

static void vnet_queue(unsigned q, uint32_t base)
{
    mmio_w(VNET_BAR4 + 22, q, 2);
    mmio_w(VNET_BAR4 + 24, 16, 2);
    mmio_w(VNET_BAR4 + 32, base, 4);
    mmio_w(VNET_BAR4 + 36, 0, 4);
    mmio_w(VNET_BAR4 + 40, base + 0x1000, 4);
    mmio_w(VNET_BAR4 + 44, 0, 4);
    mmio_w(VNET_BAR4 + 48, base + 0x2000, 4);
    mmio_w(VNET_BAR4 + 52, 0, 4);
    mmio_w(VNET_BAR4 + 28, 1, 2);
}

/* What a driver leaves behind after probing both NICs. */
static void drivers_up(void)
{
    pci_cfg_writel(E1000_DEVFN, 0x10, E1000_BAR0);
    pci_cfg_writel(E1000_DEVFN, 0x04, 0x7);
    pci_cfg_writel(VNET_DEVFN, 0x14, VNET_BAR1);
    pci_cfg_writel(VNET_DEVFN, 0x20, VNET_BAR4);
    pci_cfg_writel(VNET_DEVFN, 0x24, 0);
    pci_cfg_writel(VNET_DEVFN, 0x04, 0x7);
    /* e1000: 16-entry rings, RX/TX enabled, all interrupts unmasked */
    mmio_w(E1000_BAR0 + 0x3800, RINGS, 4);
    mmio_w(E1000_BAR0 + 0x3808, 256, 4);
    mmio_w(E1000_BAR0 + 0x2800, RINGS + 0x1000, 4);
    mmio_w(E1000_BAR0 + 0x2808, 256, 4);
    mmio_w(E1000_BAR0 + 0x0100, 0x800a | (1u << 3), 4);     /* EN, UPE, BAM */
    mmio_w(E1000_BAR0 + 0x0400, 0x2, 4);
    mmio_w(E1000_BAR0 + 0x00d0, 0xffffffff, 4);
    mmio_w(E1000_BAR0 + 0x2818, 15, 4);
    /* virtio-net: every feature offered, three live queues */
    mmio_w(VNET_BAR4 + 20, 3, 1);
    mmio_w(VNET_BAR4 + 8, 0, 4);
    mmio_w(VNET_BAR4 + 12, 0xffffffff, 4);
    mmio_w(VNET_BAR4 + 8, 1, 4);
    mmio_w(VNET_BAR4 + 12, 1, 4);
    mmio_w(VNET_BAR4 + 20, 0xb, 1);
    vnet_queue(0, RINGS + 0x10000);
    vnet_queue(1, RINGS + 0x20000);
    vnet_queue(2, RINGS + 0x30000);
    mmio_w(VNET_BAR4 + 20, 0xf, 1);
    /* the receive queue full of 4 KiB buffers, as the driver posts them
     * (frames from the backend land at once; the input can spoil them) */
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t d = RINGS + 0x10000 + 16 * i;
        mmio_w(d, BUFS + 0x10000 + i * 4096, 4);
        mmio_w(d + 4, 0, 4);
        mmio_w(d + 8, 4096, 4);
        mmio_w(d + 12, 2, 4);                   /* VIRTQ_DESC_F_WRITE, next 0 */
        mmio_w(RINGS + 0x11000 + 4 + 2 * i, i, 2);
    }
    mmio_w(RINGS + 0x11000, 0, 2);
    mmio_w(RINGS + 0x11002, 16, 2);
}

/*
 * A TCP/IPv4 segment with a valid IP header: the flow (ports) and flags
 * from a, the payload length from v; consecutive segments of a flow
 * follow each other in sequence unless v says otherwise, so virtio-net's
 * receive coalescing (GUEST_TSO4) builds, appends to and sends frames.
 */
static size_t tcp_segment(uint8_t *f, uint32_t a, uint32_t v)
{
    static uint32_t seq[4];
    unsigned flow = a & 3, pl = (v & 0x8000) ? v % 1461 : 1460 - (v % 3) * 462;
    size_t len = 14 + 20 + 20 + pl;
    memset(f, 0x52, 12);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14, *tcp = ip + 20;
    memset(ip, 0, 40);
    ip[0] = 0x45;
    ip[2] = (len - 14) >> 8;
    ip[3] = len - 14;
    ip[8] = 64;
    ip[9] = 6;
    ip[12] = 10; ip[15] = 2;                   /* 10.0.0.2 -> 10.0.2.15 */
    ip[16] = 10; ip[18] = 2; ip[19] = 15;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) {
        sum += ip[i] << 8 | ip[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if (!(v & 0x10000)) {
        ip[10] = ~sum >> 8;
        ip[11] = ~sum;
    }
    tcp[1] = 80;
    tcp[3] = 100 + flow;
    if (v & 0x20000) {
        seq[flow] += v >> 20;                  /* a gap */
    }
    tcp[4] = seq[flow] >> 24; tcp[5] = seq[flow] >> 16; tcp[6] = seq[flow] >> 8; tcp[7] = seq[flow];
    seq[flow] += pl;
    tcp[12] = (a & 0x100) ? 0x60 : 0x50;       /* sometimes 4 bytes of options */
    tcp[13] = (a >> 9) & 0x3f;                 /* ACK, PSH, and now and then others */
    if (!(a & 0x8000)) {
        tcp[13] = 0x10 | (a & 0x10000 ? 0x08 : 0);
    }
    for (unsigned k = 0; k < pl; k++) {
        tcp[20 + k] = (uint8_t)(k + a);
    }
    return len;
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    pc_machine_reset();
    drivers_up();
    static uint8_t frame[2048];
    for (size_t i = 0; i + 9 <= size; i += 9) {
        uint8_t op = data[i];
        uint32_t a, v;
        memcpy(&a, data + i + 1, 4);
        memcpy(&v, data + i + 5, 4);
        switch (op & 7) {
        case 0:         /* the rings themselves */
            mmio_w(RINGS + (a % 0x40000 & ~3u), v, 4);
            break;
        case 1:         /* buffers */
            mmio_w(BUFS + (a % 0x100000 & ~3u), v, 4);
            break;
        case 2: {       /* an e1000 register, tail pointers most often */
            static const uint32_t hot[] = { 0x3818, 0x2818, 0x0100, 0x0400, 0x00c0, 0x00c8, 0x3810, 0x2810 };
            uint32_t reg = (op & 8) ? hot[a % G_N_ELEMENTS(hot)] : (a & 0x1fffc);
            mmio_w(E1000_BAR0 + reg, v, 4);
            break;
        }
        case 3:
            address_space_ld(&address_space_memory, E1000_BAR0 + (a & 0x1fffc), 4);
            break;
        case 4:         /* kick a virtio queue */
            mmio_w(VNET_BAR4 + 0x3000 + 4 * (a % 4), a % 4, 2);
            break;
        case 5: {       /* a frame from the backends */
            size_t len = v % sizeof(frame);
            for (size_t k = 0; k < len; k++) {
                frame[k] = (uint8_t)(a >> (8 * (k % 4))) + k;
            }
            if (len >= 6 && (op & 8)) {
                memset(frame, 0xff, 6);          /* broadcast passes every filter */
            }
            if (op & 16) {
                len = tcp_segment(frame, a, v);  /* one of a stream: virtio-net coalesces */
            }
            net_send(peer_e1000, frame, len, NULL);
            net_send(peer_vnet, frame, len, NULL);
            break;
        }
        case 6:         /* virtio common/device config or MSI-X table */
            if (op & 8) {
                mmio_w(VNET_BAR1 + (a % 64 & ~3u), v, 4);
            } else {
                unsigned off = a % 64, w = 1u << ((op >> 4) & 1 ? 1 : 0);
                mmio_w(VNET_BAR4 + ((op & 16) ? 0x2000 : 0) + (off & ~(w - 1)), v, w);
            }
            break;
        default:        /* let bottom halves and timers run */
            bh_poll();
            clock_virtual_step((v & 0xffff) * 1000);
            break;
        }
    }
    bh_poll();
    net_purge_queued_packets(peer_e1000->peer);
    net_purge_queued_packets(peer_vnet->peer);
}
