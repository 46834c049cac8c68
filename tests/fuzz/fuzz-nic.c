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
