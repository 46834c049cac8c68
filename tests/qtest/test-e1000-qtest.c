/*
 * e1000 (Intel 82540EM, PCI 8086:100e) through qtest, register by
 * register as the 8254x Family Software Developer's Manual describes it,
 * with a -netdev socket backend the test holds the other end of (frames
 * go in and come out there; 4-byte big-endian length, then the frame):
 *   - PCI identity as QEMU's e1000 reports it (8086:100e, class 0x020000,
 *     revision 3), BAR0 128 KiB of memory, BAR1 64 bytes of I/O; the
 *     IOADDR/IODATA window in BAR1 reaches the same registers as BAR0;
 *   - the EEPROM through EERD: words 0-2 are the mac= property, and
 *     words 0x00-0x3f sum to 0xBABA (the checksum word);
 *   - the receive filters (legacy descriptors in guest RAM): own unicast,
 *     other unicast with and without RCTL.UPE; broadcast with and without
 *     RCTL.BAM; multicast through RA[1..15], the multicast table (MTA,
 *     hashed as RCTL.MO says) and RCTL.MPE.  A dropped frame uses no
 *     descriptor;
 *   - transmit: a legacy descriptor with EOP|IFCS|RS comes out of the
 *     socket unchanged, DD is written back, TDH moves, ICR has TXDW and
 *     INTx rises when IMS enables it; without RS nothing is written back;
 *   - ICR read-to-clear and write-1-to-clear, ICS, IMS/IMC and the INTx
 *     line they drive.
 * Each case starts its own machine.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/qtest/libqtest.h"

#define SLOT        4
#define DEVFN       (SLOT << 3)
#define MMIO        0xe0000000ull
#define IOBASE      0xc000
#define MAC_STR     "52:54:00:e1:00:0e"

/* guest RAM used by the tests */
#define RX_RING     0x100000
#define TX_RING     0x110000
#define RX_BUFS     0x200000        /* RX_NDESC buffers of 2 KiB */
#define TX_BUFS     0x300000
#define RX_NDESC    16              /* RDLEN must be a multiple of 128 bytes (8 descriptors) */
#define TX_NDESC    8

/* registers (manual, section 13) */
#define CTRL        0x0000
#define STATUS      0x0008
#define EERD        0x0014
#define ICR         0x00c0
#define ICS         0x00c8
#define IMS         0x00d0
#define IMC         0x00d8
#define RCTL        0x0100
#define TCTL        0x0400
#define RDBAL       0x2800
#define RDBAH       0x2804
#define RDLEN       0x2808
#define RDH         0x2810
#define RDT         0x2818
#define TDBAL       0x3800
#define TDBAH       0x3804
#define TDLEN       0x3808
#define TDH         0x3810
#define TDT         0x3818
#define MTA(i)      (0x5200 + 4 * (i))
#define RAL(i)      (0x5400 + 8 * (i))
#define RAH(i)      (0x5404 + 8 * (i))

#define EERD_START  (1u << 0)
#define EERD_DONE   (1u << 4)
#define RAH_AV      (1u << 31)

#define ICR_TXDW    (1u << 0)
#define ICR_TXQE    (1u << 1)
#define ICR_LSC     (1u << 2)
#define ICR_RXT0    (1u << 7)

#define RCTL_EN     (1u << 1)
#define RCTL_UPE    (1u << 3)
#define RCTL_MPE    (1u << 4)
#define RCTL_MO(x)  ((uint32_t)(x) << 12)
#define RCTL_BAM    (1u << 15)
#define RCTL_SECRC  (1u << 26)

#define TCTL_EN     (1u << 1)
#define TCTL_PSP    (1u << 3)

/* legacy transmit descriptor: CMD byte (bits 31:24 of the second dword) */
#define TXD_EOP     (1u << 24)
#define TXD_IFCS    (1u << 25)
#define TXD_RS      (1u << 27)
#define TXD_STA_DD  0x01

/* legacy receive descriptor status byte */
#define RXD_STA_DD  0x01
#define RXD_STA_EOP 0x02

#define FRAME_LEN   64

typedef struct Ctx {
    QTestState *s;
    int sock;                    /* our end of the -netdev socket */
    uint8_t mac[6];              /* the mac= property */
    unsigned seq;                /* makes every injected frame distinct */
} Ctx;

static uint32_t reg_read(Ctx *c, uint32_t off)
{
    return qtest_readl(c->s, MMIO + off);
}

static void reg_write(Ctx *c, uint32_t off, uint32_t v)
{
    qtest_writel(c->s, MMIO + off, v);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, v);
    put_le32(p + 4, v >> 32);
}

static Ctx *start(void)
{
    Ctx *c = g_new0(Ctx, 1);
    g_assert_cmpint(sscanf(MAC_STR, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &c->mac[0], &c->mac[1],
                           &c->mac[2], &c->mac[3], &c->mac[4], &c->mac[5]), ==, 6);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    g_assert_cmpint(bind(l, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(l, 1), ==, 0);
    getsockname(l, (struct sockaddr *)&a, &alen);
    char *args = g_strdup_printf("-netdev socket,id=n0,connect=127.0.0.1:%d "
                                 "-device e1000,netdev=n0,addr=%d,mac=" MAC_STR,
                                 ntohs(a.sin_port), SLOT);
    c->s = qtest_start(args);
    g_free(args);
    c->sock = accept(l, NULL, NULL);
    close(l);
    g_assert_cmpint(c->sock, >=, 0);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* BARs, I/O and memory decoding, bus mastering (the NIC's DMA needs it) */
    qtest_pci_writel(c->s, DEVFN, 0x10, (uint32_t)MMIO);
    qtest_pci_writel(c->s, DEVFN, 0x14, IOBASE);
    qtest_pci_writew(c->s, DEVFN, 0x04, 0x0007);
    return c;
}

static void stop(Ctx *c)
{
    close(c->sock);
    qtest_quit(c->s);
    g_free(c);
}

/* The IOAPIC input the NIC's INTx reaches: slot S pin P drives
 * PIRQ[(S - 1 + P - 1) & 3] (hw/isa/piix3.c), PIRQA-D are IOAPIC 16-19. */
static int intx_line(Ctx *c)
{
    uint8_t pin = qtest_pci_readb(c->s, DEVFN, 0x3d);
    g_assert_cmpint(pin, ==, 1);            /* INTA# */
    return 16 + ((SLOT - 1 + pin - 1) & 3);
}

/* ---- PCI identity and the I/O window ---- */

static void test_pci_identity(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x00), ==, 0x100e8086);
    /* class 0x020000 (Ethernet controller), revision 3 as QEMU's 82540EM */
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x08), ==, 0x02000003);

    /* BAR sizing: all-ones in, the size mask out */
    qtest_pci_writel(s, DEVFN, 0x10, 0xffffffff);
    uint32_t bar0 = qtest_pci_readl(s, DEVFN, 0x10);
    g_assert_cmphex(bar0 & 0x7, ==, 0);                    /* memory, 32-bit, anywhere */
    g_assert_cmphex(~(bar0 & ~0xfu) + 1, ==, 128 * 1024);
    qtest_pci_writel(s, DEVFN, 0x14, 0xffffffff);
    uint32_t bar1 = qtest_pci_readl(s, DEVFN, 0x14);
    g_assert_cmphex(bar1 & 0x3, ==, 1);                    /* I/O */
    /* the upper 16 bits of an I/O BAR may be hardwired to 0 */
    g_assert_cmphex((~(bar1 & ~0x3u) & 0xffff) + 1, ==, 64);
    qtest_pci_writel(s, DEVFN, 0x10, (uint32_t)MMIO);
    qtest_pci_writel(s, DEVFN, 0x14, IOBASE);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x10), ==, (uint32_t)MMIO);

    /* IOADDR (offset 0) selects a register, IODATA (offset 4) accesses it:
     * a write through I/O is seen through memory, and the other way round.
     * Descriptor base addresses are 16-byte aligned, so use such values. */
    qtest_outl(s, IOBASE + 0, RDBAL);
    g_assert_cmphex(qtest_inl(s, IOBASE + 0), ==, RDBAL);
    qtest_outl(s, IOBASE + 4, 0x12345670);
    g_assert_cmphex(reg_read(c, RDBAL), ==, 0x12345670);
    reg_write(c, TDBAL, 0x0abcdef0);
    qtest_outl(s, IOBASE + 0, TDBAL);
    g_assert_cmphex(qtest_inl(s, IOBASE + 4), ==, 0x0abcdef0);
    qtest_outl(s, IOBASE + 0, STATUS);
    g_assert_cmphex(qtest_inl(s, IOBASE + 4), ==, reg_read(c, STATUS));
    stop(c);
}

/* ---- EEPROM ---- */

/* One EEPROM word through EERD (82540EM layout: START bit 0, DONE bit 4,
 * ADDR 15:8, DATA 31:16). */
static uint16_t eeprom_read(Ctx *c, unsigned word)
{
    reg_write(c, EERD, word << 8 | EERD_START);
    for (int i = 0; i < 1000; i++) {
        uint32_t v = reg_read(c, EERD);
        if (v & EERD_DONE) {
            g_assert_cmphex((v >> 8) & 0xff, ==, word);
            return v >> 16;
        }
    }
    g_assert_not_reached();
}

static void test_eeprom(void)
{
    Ctx *c = start();
    /* words 0-2: the Ethernet address, first byte in the low half of word 0 */
    for (int i = 0; i < 3; i++) {
        g_assert_cmphex(eeprom_read(c, i), ==, c->mac[2 * i] | c->mac[2 * i + 1] << 8);
    }
    uint16_t sum = 0;
    for (int i = 0; i < 0x40; i++) {
        sum += eeprom_read(c, i);
    }
    g_assert_cmphex(sum, ==, 0xbaba);
    /* and RAL0/RAH0 came from the EEPROM, marked valid */
    g_assert_cmphex(reg_read(c, RAL(0)), ==,
                    c->mac[0] | c->mac[1] << 8 | c->mac[2] << 16 | (uint32_t)c->mac[3] << 24);
    g_assert_cmphex(reg_read(c, RAH(0)), ==, c->mac[4] | c->mac[5] << 8 | RAH_AV);
    stop(c);
}

/* ---- receive ---- */

static void send_frame(Ctx *c, const uint8_t *f, uint32_t len)
{
    uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };
    g_assert_cmpint(send(c->sock, hdr, 4, 0), ==, 4);
    g_assert_cmpint(send(c->sock, f, len, 0), ==, (int)len);
}

static void read_frame(Ctx *c, uint8_t *buf, uint32_t *len)
{
    uint8_t h[4];
    g_assert_cmpint(recv(c->sock, h, 4, MSG_WAITALL), ==, 4);
    *len = (uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
    g_assert_cmpuint(*len, <=, 2048);
    g_assert_cmpint(recv(c->sock, buf, *len, MSG_WAITALL), ==, (int)*len);
}

/* A FRAME_LEN-byte frame to dst, its payload unique to this test run. */
static void make_frame(Ctx *c, uint8_t *f, const uint8_t *dst)
{
    static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x99, 0x99, 0x99 };
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88;                           /* EtherType 0x88b5: local experimental */
    f[13] = 0xb5;
    c->seq++;
    for (int i = 14; i < FRAME_LEN; i++) {
        f[i] = (uint8_t)(c->seq * 31 + i);
    }
}

static uint64_t rx_desc_addr(unsigned i)
{
    return RX_RING + 16ull * (i % RX_NDESC);
}

/* Hand descriptor i back to the hardware: buffer address set, status clear. */
static void rx_desc_init(Ctx *c, unsigned i)
{
    uint8_t d[16] = { 0 };
    put_le64(d, RX_BUFS + 0x800ull * (i % RX_NDESC));
    qtest_memwrite(c->s, rx_desc_addr(i), d, 16);
}

/* The ring in guest RAM, every descriptor but one given to the hardware
 * (RDH == RDT would mean none), buffers of 2 KiB (RCTL.BSIZE 00). */
static void rx_init(Ctx *c, uint32_t rctl)
{
    for (unsigned i = 0; i < RX_NDESC; i++) {
        rx_desc_init(c, i);
    }
    reg_write(c, RDBAL, RX_RING);
    reg_write(c, RDBAH, 0);
    reg_write(c, RDLEN, RX_NDESC * 16);
    reg_write(c, RDH, 0);
    reg_write(c, RDT, RX_NDESC - 1);
    reg_write(c, RCTL, RCTL_EN | rctl);
}

/* Descriptor i written back with the whole frame f (DD, EOP, length)? */
static bool rx_desc_holds(Ctx *c, unsigned i, const uint8_t *f, uint32_t rctl)
{
    uint8_t d[16];
    qtest_memread(c->s, rx_desc_addr(i), d, 16);
    if (!(d[12] & RXD_STA_DD)) {
        return false;
    }
    uint8_t buf[FRAME_LEN];
    qtest_memread(c->s, RX_BUFS + 0x800ull * (i % RX_NDESC), buf, FRAME_LEN);
    if (memcmp(buf, f, FRAME_LEN)) {
        return false;
    }
    /* one buffer holds it all; the length counts the 4 CRC bytes unless
     * RCTL.SECRC strips them */
    g_assert_cmphex(d[12] & RXD_STA_EOP, ==, RXD_STA_EOP);
    g_assert_cmpuint(d[8] | d[9] << 8, ==, FRAME_LEN + ((rctl & RCTL_SECRC) ? 0 : 4));
    return true;
}

/*
 * Inject a frame to dst, then a marker frame to the NIC's own address, and
 * report whether the first one was accepted.  The socket delivers them in
 * order, so once the marker has landed the fate of the first is known: it
 * sits in the descriptor at the old RDH with the marker after it, or the
 * marker took that descriptor (a dropped frame uses none).  Then the used
 * descriptors go back to the hardware.
 */
static bool rx_probe(Ctx *c, const uint8_t *dst)
{
    uint32_t rctl = reg_read(c, RCTL);
    uint32_t head = reg_read(c, RDH);
    uint8_t f[FRAME_LEN], marker[FRAME_LEN];
    make_frame(c, f, dst);
    make_frame(c, marker, c->mac);
    send_frame(c, f, FRAME_LEN);
    send_frame(c, marker, FRAME_LEN);
    int accepted = -1;
    /* each iteration is a few qtest round trips, which let the main loop
     * read the socket; 2 s at most */
    for (int i = 0; i < 2000 && accepted < 0; i++) {
        if (rx_desc_holds(c, head, marker, rctl)) {
            accepted = 0;
        } else if (rx_desc_holds(c, head + 1, marker, rctl)) {
            g_assert_true(rx_desc_holds(c, head, f, rctl));
            accepted = 1;
        } else {
            g_usleep(1000);
        }
    }
    g_assert_cmpint(accepted, >=, 0);
    uint32_t used = accepted ? 2 : 1;
    g_assert_cmpuint(reg_read(c, RDH), ==, (head + used) % RX_NDESC);
    for (uint32_t i = 0; i < used; i++) {
        rx_desc_init(c, head + i);
    }
    reg_write(c, RDT, (head + used + RX_NDESC - 1) % RX_NDESC);
    return accepted;
}

static void set_ra(Ctx *c, int n, const uint8_t *a, bool valid)
{
    /* the manual: write low before high (and clear high first) */
    reg_write(c, RAH(n), 0);
    reg_write(c, RAL(n), a[0] | a[1] << 8 | a[2] << 16 | (uint32_t)a[3] << 24);
    reg_write(c, RAH(n), a[4] | a[5] << 8 | (valid ? RAH_AV : 0));
}

/*
 * The multicast table index of a destination address for RCTL.MO = 00:
 * bits 47:36 of the address as the controller stores it, the first byte
 * received in bits 7:0 (manual: 3.2.1 Packet Address Filtering, RCTL.MO
 * in 13.4.22, the MTA in 13.5.1 with Figure 13-2).  Bits 11:5 of the
 * index pick one of the 128 MTA registers, bits 4:0 the bit in it.
 */
static unsigned mta_index_mo0(const uint8_t *a)
{
    return ((a[5] << 8 | a[4]) >> 4) & 0xfff;
}

static void set_mta_bit(Ctx *c, unsigned index, bool on)
{
    uint32_t r = reg_read(c, MTA(index >> 5));
    uint32_t bit = 1u << (index & 31);
    reg_write(c, MTA(index >> 5), on ? r | bit : r & ~bit);
}

static void test_rx_unicast(void)
{
    Ctx *c = start();
    static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x99 };
    rx_init(c, 0);
    /* own address (RA[0]): the CRC counted in the length */
    g_assert_true(rx_probe(c, c->mac));
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC);
    g_assert_true(rx_probe(c, c->mac));
    g_assert_false(rx_probe(c, other));
    /* promiscuous unicast */
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC | RCTL_UPE);
    g_assert_true(rx_probe(c, other));
    /* or an exact match in another receive address register */
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC);
    set_ra(c, 3, other, true);
    g_assert_true(rx_probe(c, other));
    set_ra(c, 3, other, false);
    g_assert_false(rx_probe(c, other));
    stop(c);
}

static void test_rx_broadcast(void)
{
    Ctx *c = start();
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    rx_init(c, RCTL_SECRC);
    g_assert_false(rx_probe(c, bcast));
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC | RCTL_BAM);
    g_assert_true(rx_probe(c, bcast));
    /* RCTL.BAM clear ignores only the broadcasts no filter matches: one
     * whose multicast table bit is set gets in (QEMU's e1000 filters the
     * same way) */
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC);
    set_mta_bit(c, mta_index_mo0(bcast), true);
    g_assert_true(rx_probe(c, bcast));
    set_mta_bit(c, mta_index_mo0(bcast), false);
    g_assert_false(rx_probe(c, bcast));
    stop(c);
}

static void test_rx_multicast(void)
{
    Ctx *c = start();
    /* IPv6 all-nodes, which Linux's driver puts in RA[1] (commit 7e1f8d2) */
    static const uint8_t mcast[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
    /* the manual's worked MTA example: xx:xx:xx:xx:9x:BC is row 94, bit 9 */
    static const uint8_t example[6] = { 0, 0, 0, 0, 0x90, 0xbc };
    g_assert_cmpuint(mta_index_mo0(example) >> 5, ==, 94);
    g_assert_cmpuint(mta_index_mo0(example) & 31, ==, 9);

    rx_init(c, RCTL_SECRC);
    /* no filter has it: dropped; promiscuous unicast does not cover it */
    g_assert_false(rx_probe(c, mcast));
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC | RCTL_UPE);
    g_assert_false(rx_probe(c, mcast));
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC);

    /* an exact receive address holds multicast addresses too, but only
     * with its Address Valid bit */
    set_ra(c, 1, mcast, false);
    g_assert_false(rx_probe(c, mcast));
    set_ra(c, 1, mcast, true);
    g_assert_true(rx_probe(c, mcast));
    set_ra(c, 1, mcast, false);
    g_assert_false(rx_probe(c, mcast));

    /* the multicast table, indexed as RCTL.MO = 00 says */
    set_mta_bit(c, mta_index_mo0(mcast), true);
    g_assert_true(rx_probe(c, mcast));
    /* MO = 01 takes bits 46:35 instead: another index, not set */
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC | RCTL_MO(1));
    g_assert_cmpuint(((mcast[5] << 8 | mcast[4]) >> 3) & 0xfff, !=, mta_index_mo0(mcast));
    g_assert_false(rx_probe(c, mcast));
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC);
    set_mta_bit(c, mta_index_mo0(mcast), false);
    g_assert_false(rx_probe(c, mcast));

    /* promiscuous multicast */
    reg_write(c, RCTL, RCTL_EN | RCTL_SECRC | RCTL_MPE);
    g_assert_true(rx_probe(c, mcast));
    stop(c);
}

/* ---- transmit ---- */

static void tx_desc(Ctx *c, unsigned i, uint64_t buf, uint16_t len, uint32_t cmd)
{
    uint8_t d[16] = { 0 };
    put_le64(d, buf);
    put_le32(d + 8, len | cmd);
    qtest_memwrite(c->s, TX_RING + 16ull * i, d, 16);
}

static uint8_t tx_status(Ctx *c, unsigned i)
{
    uint8_t st;
    qtest_memread(c->s, TX_RING + 16ull * i + 12, &st, 1);
    return st;
}

static void test_tx(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    qtest_irq_intercept_in(s, "ioapic");
    int line = intx_line(c);
    reg_read(c, ICR);                          /* nothing left over from reset */
    reg_write(c, IMS, ICR_TXDW);

    reg_write(c, TDBAL, TX_RING);
    reg_write(c, TDBAH, 0);
    reg_write(c, TDLEN, TX_NDESC * 16);
    reg_write(c, TDH, 0);
    reg_write(c, TDT, 0);
    reg_write(c, TCTL, TCTL_EN | TCTL_PSP);

    /* one frame in one descriptor: end of packet, insert FCS, report status */
    static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    uint8_t f[FRAME_LEN + 16];
    make_frame(c, f, dst);
    for (int i = FRAME_LEN; i < (int)sizeof(f); i++) {
        f[i] = i;
    }
    qtest_memwrite(s, TX_BUFS, f, sizeof(f));
    tx_desc(c, 0, TX_BUFS, sizeof(f), TXD_EOP | TXD_IFCS | TXD_RS);
    g_assert_false(qtest_get_irq(s, line));
    reg_write(c, TDT, 1);

    /* the backend carries no FCS: the frame as the guest wrote it */
    uint8_t got[2048];
    uint32_t len;
    read_frame(c, got, &len);
    g_assert_cmpuint(len, ==, sizeof(f));
    g_assert_cmpmem(got, len, f, sizeof(f));
    for (int i = 0; i < 1000 && !(tx_status(c, 0) & TXD_STA_DD); i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(tx_status(c, 0) & TXD_STA_DD, ==, TXD_STA_DD);
    g_assert_cmpuint(reg_read(c, TDH), ==, 1);
    g_assert_true(qtest_get_irq(s, line));
    /* descriptor written back, and the ring is empty; nothing else (ICR
     * bits 31:17 are reserved on the 8254x); reading acknowledges */
    g_assert_cmphex(reg_read(c, ICR), ==, ICR_TXDW | ICR_TXQE);
    g_assert_false(qtest_get_irq(s, line));
    g_assert_cmphex(reg_read(c, ICR), ==, 0);

    /* without RS the status is not written back and TXDW stays clear: only
     * TXQE, which IMS does not enable, so INTx stays low */
    unsigned raises = qtest_irq_raises(s, line);
    f[14] ^= 0xff;
    qtest_memwrite(s, TX_BUFS + 0x800, f, FRAME_LEN);
    tx_desc(c, 1, TX_BUFS + 0x800, FRAME_LEN, TXD_EOP | TXD_IFCS);
    reg_write(c, TDT, 2);
    read_frame(c, got, &len);
    g_assert_cmpuint(len, ==, FRAME_LEN);
    g_assert_cmpmem(got, len, f, FRAME_LEN);
    g_assert_cmpuint(reg_read(c, TDH), ==, 2);
    g_assert_cmphex(tx_status(c, 1) & TXD_STA_DD, ==, 0);
    g_assert_cmphex(reg_read(c, ICR), ==, ICR_TXQE);
    g_assert_cmpuint(qtest_irq_raises(s, line), ==, raises);
    g_assert_false(qtest_get_irq(s, line));
    stop(c);
}

/* ---- interrupt registers ---- */

static void test_icr_ims(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    qtest_irq_intercept_in(s, "ioapic");
    int line = intx_line(c);
    reg_read(c, ICR);

    /* ICS sets causes; with IMS clear they show in ICR but raise nothing,
     * and reading ICR clears them all */
    reg_write(c, ICS, ICR_TXDW | ICR_LSC);
    g_assert_false(qtest_get_irq(s, line));
    g_assert_cmphex(reg_read(c, ICR), ==, ICR_TXDW | ICR_LSC);
    g_assert_cmphex(reg_read(c, ICR), ==, 0);

    /* writing 1 to an ICR bit clears that bit, 0 leaves it */
    reg_write(c, ICS, ICR_TXDW | ICR_LSC);
    reg_write(c, ICR, ICR_TXDW);
    g_assert_cmphex(reg_read(c, ICR), ==, ICR_LSC);

    /* IMS: writing 1 sets a mask bit, 0 leaves it; IMC: 1 clears it */
    g_assert_cmphex(reg_read(c, IMS), ==, 0);
    reg_write(c, IMS, ICR_LSC);
    reg_write(c, IMS, ICR_RXT0);
    g_assert_cmphex(reg_read(c, IMS), ==, ICR_LSC | ICR_RXT0);
    reg_write(c, IMC, ICR_LSC);
    g_assert_cmphex(reg_read(c, IMS), ==, ICR_RXT0);
    g_assert_false(qtest_get_irq(s, line));

    /* an enabled cause raises INTx; masking it drops the line but keeps the
     * cause; unmasking raises it again; reading ICR acknowledges */
    reg_write(c, ICS, ICR_RXT0);
    g_assert_true(qtest_get_irq(s, line));
    reg_write(c, IMC, ICR_RXT0);
    g_assert_false(qtest_get_irq(s, line));
    reg_write(c, IMS, ICR_RXT0);
    g_assert_true(qtest_get_irq(s, line));
    g_assert_cmphex(reg_read(c, ICR), ==, ICR_RXT0);
    g_assert_false(qtest_get_irq(s, line));
    g_assert_cmphex(reg_read(c, ICR), ==, 0);

    /* a cause that is not enabled leaves the line low even with others
     * enabled; clearing the enabled one by writing ICR drops the line */
    reg_write(c, ICS, ICR_TXDW);
    g_assert_false(qtest_get_irq(s, line));
    reg_write(c, ICS, ICR_RXT0);
    g_assert_true(qtest_get_irq(s, line));
    reg_write(c, ICR, ICR_RXT0);
    g_assert_false(qtest_get_irq(s, line));
    g_assert_cmphex(reg_read(c, ICR), ==, ICR_TXDW);
    stop(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/e1000/pci-identity", test_pci_identity);
    g_test_add_func("/qtest/e1000/eeprom", test_eeprom);
    g_test_add_func("/qtest/e1000/rx-filter/unicast", test_rx_unicast);
    g_test_add_func("/qtest/e1000/rx-filter/broadcast", test_rx_broadcast);
    g_test_add_func("/qtest/e1000/rx-filter/multicast", test_rx_multicast);
    g_test_add_func("/qtest/e1000/tx", test_tx);
    g_test_add_func("/qtest/e1000/icr-ims", test_icr_ims);
    return g_test_run();
}
