/*
 * Intel 82540EM gigabit Ethernet ("e1000", PCI 8086:100e): the emulated
 * NIC for guests without virtio drivers (Linux's e1000, iPXE, Windows,
 * BSDs).  Register semantics follow Intel's 8254x Software Developer's
 * Manual.
 *
 * BAR0: 128 KiB of registers; BAR1: 64 bytes of I/O (IOADDR at 0 selects
 * a register, IODATA at 4 accesses it).  The EEPROM (MAC, ids, checksum
 * 0xBABA) is read by Microwire bit-banging through EECD or via EERD; the
 * PHY (88E1011) through MDIC.
 *
 * Transmit: legacy, context and data descriptors, with IP/TCP/UDP
 * checksum insertion and TCP segmentation (TSO) done here, so the
 * backend sees ordinary frames.  Receive: legacy descriptors, frames
 * spanning several buffers, the unicast/multicast/broadcast filters, and
 * flow control: while the ring has no free descriptor the backend's
 * frames wait on the queue (net.h) and flow again when the guest moves
 * RDT.  Interrupts honour ITR (minimum interval between interrupts, in
 * 256 ns units): causes that arrive sooner are coalesced.
 *
 * Every descriptor and buffer address comes from the guest: DMA goes
 * through the memory API (checked), only when bus mastering is on, ring
 * sizes and indexes are clamped, and lengths are bounded.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/iostats.h"
#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "hw/net/e1000_regs.h"
#include "hw/pci/pci.h"
#include "net/checksum.h"
#include "hw/core/bootdevice.h"
#include "net/net.h"
#include "util/log.h"

#define EEPROM_WORDS    64
#define EEPROM_CHECKSUM 0xbaba
#define TX_MAX_FRAME    (64 * 1024)     /* largest TSO payload + headers kept */
#define RX_MAX_FRAME    (16 * 1024)

typedef struct TxContext {
    uint8_t ipcss, ipcso, tucss, tucso;
    uint16_t ipcse, tucse;
    uint32_t paylen;
    uint8_t hdrlen, tucmd;
    uint16_t mss;
    bool tse;
} TxContext;

typedef struct E1000State {
    PCIDevice pci;
    NICConf conf;
    NetClientState *nc;
    MemoryRegion mmio, io;
    char *romfile;               /* "romfile" property */

    uint32_t mac[E1000_MMIO_SIZE / 4 < 0x6000 ? 0x6000 / 4 : 0x6000 / 4];   /* registers 0..0x5fff */
    uint16_t phy[PHY_NREGS];
    uint16_t eeprom[EEPROM_WORDS];
    uint32_t ioaddr;

    /* Microwire EEPROM shift state */
    struct {
        bool old_sk, old_cs;
        unsigned bitnum_in, bitnum_out;
        uint16_t val_in;
        bool reading;
    } ee;

    /* transmit */
    TxContext ctx;
    uint8_t *txbuf;              /* the packet being assembled (TX_MAX_FRAME) */
    uint32_t txlen;
    uint8_t txpopts;
    bool tx_data_tse;            /* packet uses the TSO context */
    bool tx_waiting;             /* the backend is full: resume from sent_cb */
    uint16_t tso_frames;

    /* interrupts */
    Timer *itr_timer;
    int64_t last_irq_ns;
    bool itr_pending;
    uint64_t irq_raised, irq_coalesced;
    /* I/O accounting */
    uint64_t st_tx_frames, st_rx_frames, st_tx_bytes, st_rx_bytes;
    int64_t tx_kick_ns;          /* the TDT write being served (request latency) */
    IOStatsSource *ios;
    uint64_t st_copy_bytes, st_copy_bufs, st_doorbells;
} E1000State;

#define REG(s, r) ((s)->mac[(r) >> 2])

/* ---- interrupts ---- */

static void e1000_update_irq(E1000State *s)
{
    uint32_t pending = REG(s, E1000_ICR) & REG(s, E1000_IMS);
    if (!pending) {
        pci_set_irq(&s->pci, 0);
        return;
    }
    /* ITR: at most one interrupt per interval; later causes ride on the
     * next one.  A level already asserted stays asserted. */
    uint32_t itr = REG(s, E1000_ITR) & 0xffff;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    if (itr && !s->pci.irq_raw && now - s->last_irq_ns < (int64_t)itr * 256) {
        if (!s->itr_pending) {
            s->itr_pending = true;
            timer_mod(s->itr_timer, s->last_irq_ns + (int64_t)itr * 256);
        }
        s->irq_coalesced++;
        return;
    }
    if (!s->pci.irq_raw) {
        s->last_irq_ns = now;
        s->irq_raised++;
    }
    pci_set_irq(&s->pci, 1);
}

static void e1000_itr_expired(void *opaque)
{
    E1000State *s = opaque;
    s->itr_pending = false;
    s->last_irq_ns = 0;
    e1000_update_irq(s);
}

/*
 * ICR holds causes only: on the 8254x its bits 31:17 are reserved and read
 * 0 (manual, 13.4.17).  The "interrupt asserted" bit 31 belongs to the
 * 82571 and later (e1000e), whose drivers test it; the 8254x drivers do
 * not, and QEMU's e1000 never sets it.
 */
static void set_ics(E1000State *s, uint32_t causes)
{
    REG(s, E1000_ICR) |= causes;
    e1000_update_irq(s);
}

/* ---- DMA ---- */

static bool dma_ok(E1000State *s)
{
    return pci_get_word(s->pci.config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

static bool dma_read(E1000State *s, uint64_t addr, void *buf, uint64_t len)
{
    if (!dma_ok(s) || !pci_dma_read(&s->pci, addr, buf, len)) {
        vlog(LOG_GUEST_ERRORS, "e1000: DMA read of %" PRIu64 " bytes at 0x%" PRIx64 " failed\n", len, addr);
        return false;
    }
    return true;
}

static bool dma_write(E1000State *s, uint64_t addr, const void *buf, uint64_t len)
{
    if (!dma_ok(s) || !pci_dma_write(&s->pci, addr, buf, len)) {
        vlog(LOG_GUEST_ERRORS, "e1000: DMA write of %" PRIu64 " bytes at 0x%" PRIx64 " failed\n", len, addr);
        return false;
    }
    return true;
}

static inline uint32_t ld32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint16_t ld16(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint64_t ld64(const uint8_t *p) { return ld32(p) | (uint64_t)ld32(p + 4) << 32; }
static inline void st16be(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static inline uint16_t ld16be(const uint8_t *p) { return p[0] << 8 | p[1]; }
static inline uint32_t ld32be(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static inline void st32be(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

/* ---- statistics (32-bit counters saturate; 64-bit pairs carry) ---- */

static void stat_inc(E1000State *s, uint32_t reg, uint32_t n)
{
    if (REG(s, reg) + n >= REG(s, reg)) {
        REG(s, reg) += n;
    } else {
        REG(s, reg) = 0xffffffff;
    }
}

static void stat_add64(E1000State *s, uint32_t lo, uint64_t n)
{
    uint64_t v = REG(s, lo) | (uint64_t)REG(s, lo + 4) << 32;
    v += n;
    REG(s, lo) = v;
    REG(s, lo + 4) = v >> 32;
}

static void size_bin(E1000State *s, uint32_t base64, size_t len)
{
    static const size_t limits[] = { 64, 127, 255, 511, 1023 };
    unsigned i = 0;
    while (i < G_N_ELEMENTS(limits) && len > limits[i]) {
        i++;
    }
    stat_inc(s, base64 + 4 * i, 1);
}

/* ---- checksums ---- */

/* Insert the checksum of buf[css..cse] (cse 0: to the end) at cso. */
static void put_csum(uint8_t *buf, size_t len, unsigned cso, unsigned css, unsigned cse)
{
    if (cse == 0 || cse >= len) {
        cse = len - 1;
    }
    if (css > cse || cso + 2 > len) {
        return;
    }
    /* the field already holds the pseudo-header sum, as the spec wants */
    st16be(buf + cso, net_checksum_finish(net_checksum_add(0, buf + css, cse - css + 1)));
}

/* ---- transmit ---- */

static void e1000_tx_frame(E1000State *s, uint8_t *buf, size_t len)
{
    if (len < 14) {
        return;
    }
    if (len > NET_BUFSIZE) {
        vlog(LOG_GUEST_ERRORS, "e1000: oversized frame of %zu bytes dropped\n", len);
        return;
    }
    s->st_tx_frames++;
    s->st_tx_bytes += len;
    iostats_req_done(s->ios, IOREQ_TX, s->tx_kick_ns, len);
    stat_inc(s, E1000_TPT, 1);
    stat_inc(s, E1000_GPTC, 1);
    stat_add64(s, E1000_TOTL, len + 4);
    stat_add64(s, E1000_GOTCL, len + 4);
    size_bin(s, E1000_PTC64, len + 4);
    if (!memcmp(buf, "\xff\xff\xff\xff\xff\xff", 6)) {
        stat_inc(s, E1000_BPTC, 1);
    } else if (buf[0] & 1) {
        stat_inc(s, E1000_MPTC, 1);
    }
    /* loopback mode (RCTL.LBM) is not modelled: frames always go out */
    if (net_send(s->nc, buf, len, NULL) == 0) {
        /* queued at a busy backend; the queue bounds it */
    }
}

/* One TSO segment: headers from txbuf[0..hdrlen), payload from
 * txbuf[hdrlen + off .. + seglen). */
static void e1000_tso_segment(E1000State *s, uint8_t *seg, uint32_t off, uint32_t seglen, bool last)
{
    TxContext *c = &s->ctx;
    uint32_t hdrlen = c->hdrlen;
    memcpy(seg, s->txbuf, hdrlen);
    memcpy(seg + hdrlen, s->txbuf + hdrlen + off, seglen);
    size_t len = hdrlen + seglen;
    if (c->tucmd & TUCMD_IP) {
        /* IPv4: total length, id, header checksum */
        st16be(seg + c->ipcss + 2, len - c->ipcss);
        st16be(seg + c->ipcss + 4, ld16be(s->txbuf + c->ipcss + 4) + s->tso_frames);
        st16be(seg + c->ipcso, 0);
        put_csum(seg, len, c->ipcso, c->ipcss, c->ipcse);
    } else {
        /* IPv6: payload length */
        st16be(seg + c->ipcss + 4, len - c->ipcss - 40);
    }
    unsigned l4 = c->tucss;
    uint32_t l4len = len - l4;
    if (c->tucmd & TUCMD_TCP) {
        st32be(seg + l4 + 4, ld32be(s->txbuf + l4 + 4) + off);
        if (!last) {
            seg[l4 + 13] &= ~0x09;            /* FIN and PSH only on the last */
        }
    } else {
        st16be(seg + l4 + 4, l4len);          /* UDP length */
    }
    if (s->txpopts & TXD_POPTS_TXSM) {
        /* the pseudo-header sum in the template covers no length (as the
         * spec requires for TSO): add this segment's length */
        uint32_t sum = ld16be(s->txbuf + c->tucso) + l4len;
        uint16_t folded = ~net_checksum_finish(sum) & 0xffff;   /* a partial sum, not inverted */
        st16be(seg + c->tucso, folded);
        put_csum(seg, len, c->tucso, c->tucss, c->tucse);
    }
    s->tso_frames++;
    e1000_tx_frame(s, seg, len);
}

static void e1000_tx_packet_done(E1000State *s)
{
    TxContext *c = &s->ctx;
    if (s->tx_data_tse && c->tse && c->mss && c->hdrlen && s->txlen > c->hdrlen &&
        c->hdrlen < s->txlen && c->tucso + 2u <= c->hdrlen && c->ipcso + 2u <= c->hdrlen &&
        c->tucss < c->hdrlen && c->ipcss + 20u <= c->hdrlen) {
        static uint8_t seg[TX_MAX_FRAME + 256];
        uint32_t payload = s->txlen - c->hdrlen;
        uint32_t mss = MIN(c->mss, (uint32_t)(sizeof(seg) - c->hdrlen));
        s->tso_frames = 0;
        for (uint32_t off = 0; off < payload; off += mss) {
            uint32_t n = MIN(mss, payload - off);
            e1000_tso_segment(s, seg, off, n, off + n >= payload);
        }
        stat_inc(s, E1000_TSCTC, 1);
    } else {
        if (s->txpopts & TXD_POPTS_IXSM) {
            put_csum(s->txbuf, s->txlen, c->ipcso, c->ipcss, c->ipcse);
        }
        if (s->txpopts & TXD_POPTS_TXSM) {
            put_csum(s->txbuf, s->txlen, c->tucso, c->tucss, c->tucse);
        }
        e1000_tx_frame(s, s->txbuf, s->txlen);
    }
    s->txlen = 0;
    s->txpopts = 0;
    s->tx_data_tse = false;
}

static void e1000_tx_append(E1000State *s, uint64_t addr, uint32_t len)
{
    if (len > TX_MAX_FRAME - s->txlen) {
        vlog(LOG_GUEST_ERRORS, "e1000: transmit packet exceeds %u bytes, truncated\n", TX_MAX_FRAME);
        len = TX_MAX_FRAME - s->txlen;
    }
    if (len && dma_read(s, addr, s->txbuf + s->txlen, len)) {
        s->txlen += len;
        s->st_copy_bytes += len;
        s->st_copy_bufs++;
    }
}

/* Process one descriptor; returns whether it asked for a report (RS). */
static void e1000_tx_desc(E1000State *s, uint8_t *d)
{
    uint64_t addr = ld64(d);
    uint32_t lower = ld32(d + 8), upper = ld32(d + 12);
    uint32_t dtyp = (lower >> TXD_DTYP_SHIFT) & 0xf;
    if (lower & TXD_CMD_DEXT) {
        if (dtyp == TXD_DTYP_CTX) {
            TxContext *c = &s->ctx;
            c->ipcss = d[0];
            c->ipcso = d[1];
            c->ipcse = ld16(d + 2);
            c->tucss = d[4];
            c->tucso = d[5];
            c->tucse = ld16(d + 6);
            c->paylen = lower & 0xfffff;
            c->tucmd = lower >> 24;
            c->tse = !!(lower & TXD_CMD_TSE);
            c->hdrlen = d[13];
            c->mss = ld16(d + 14);
            return;
        }
        if (dtyp != TXD_DTYP_DATA) {
            vlog(LOG_GUEST_ERRORS, "e1000: unknown descriptor type %u\n", dtyp);
            return;
        }
        if (s->txlen == 0) {
            s->txpopts = upper >> 8;
            s->tx_data_tse = !!(lower & TXD_CMD_TSE);
        }
        e1000_tx_append(s, addr, lower & 0xfffff);
    } else {
        /* legacy: CSO/CSS in the upper dword */
        e1000_tx_append(s, addr, lower & 0xffff);
        if ((lower & TXD_CMD_IC) && (lower & TXD_CMD_EOP)) {
            unsigned cso = (lower >> 16) & 0xff, css = (upper >> 8) & 0xff;
            if (s->txlen > cso + 1 && css < s->txlen) {
                put_csum(s->txbuf, s->txlen, cso, css, 0);
            }
        }
    }
    if (lower & TXD_CMD_EOP) {
        e1000_tx_packet_done(s);
    }
}

static void e1000_start_xmit(E1000State *s)
{
    if (!(REG(s, E1000_TCTL) & TCTL_EN)) {
        return;
    }
    s->tx_kick_ns = iostats_now();
    uint64_t base = ((uint64_t)REG(s, E1000_TDBAH) << 32 | REG(s, E1000_TDBAL)) & ~0xfull;
    uint32_t ndesc = (REG(s, E1000_TDLEN) & 0xfff80) / 16;
    uint32_t causes = 0;
    if (!ndesc) {
        return;
    }
    /* at most one lap of the ring per kick: a guest that keeps moving
     * TDT gets the rest on its next write */
    for (uint32_t budget = ndesc; budget && REG(s, E1000_TDH) != REG(s, E1000_TDT); budget--) {
        uint32_t head = REG(s, E1000_TDH);
        if (head >= ndesc) {
            vlog(LOG_GUEST_ERRORS, "e1000: TDH %u outside the %u-descriptor ring\n", head, ndesc);
            REG(s, E1000_TDH) = 0;
            break;
        }
        uint8_t d[16];
        uint64_t daddr = base + (uint64_t)head * 16;
        if (!dma_read(s, daddr, d, 16)) {
            break;
        }
        e1000_tx_desc(s, d);
        uint32_t lower = ld32(d + 8);
        if (lower & TXD_CMD_RS) {
            d[12] |= TXD_STA_DD;
            dma_write(s, daddr + 12, d + 12, 1);
            causes |= ICR_TXDW;
        }
        REG(s, E1000_TDH) = head + 1 == ndesc ? 0 : head + 1;
    }
    if (REG(s, E1000_TDH) == REG(s, E1000_TDT)) {
        causes |= ICR_TXQE;
    }
    if (causes) {
        set_ics(s, causes);
    }
}

/* ---- receive ---- */

static uint32_t rx_bufsize(uint32_t rctl)
{
    unsigned bs = (rctl >> RCTL_BSIZE_SHIFT) & 3;
    if (rctl & RCTL_BSEX) {
        static const uint32_t ext[4] = { 2048, 16384, 8192, 4096 };
        return ext[bs];
    }
    static const uint32_t std[4] = { 2048, 1024, 512, 256 };
    return std[bs];
}

static uint32_t rx_ring_size(E1000State *s)
{
    return (REG(s, E1000_RDLEN) & 0xfff80) / 16;
}

static uint32_t rx_free_descs(E1000State *s)
{
    uint32_t n = rx_ring_size(s), h = REG(s, E1000_RDH), t = REG(s, E1000_RDT);
    if (!n || h >= n || t >= n) {
        return 0;
    }
    return t >= h ? t - h : n - h + t;
}

static bool e1000_can_receive(NetClientState *nc)
{
    E1000State *s = nc->opaque_dev;
    return (REG(s, E1000_RCTL) & RCTL_EN) && (REG(s, E1000_STATUS) & STATUS_LU) && dma_ok(s) &&
           rx_free_descs(s) > 0;
}

/* one of the 16 receive address registers (valid bit set) holds addr */
static bool e1000_ra_match(E1000State *s, const uint8_t *addr)
{
    for (int i = 0; i < 16; i++) {
        uint32_t ral = s->mac[(E1000_RA >> 2) + 2 * i], rah = s->mac[(E1000_RA >> 2) + 2 * i + 1];
        if (!(rah & (1u << 31))) {
            continue;
        }
        uint8_t ra[6] = { ral, ral >> 8, ral >> 16, ral >> 24, rah, rah >> 8 };
        if (!memcmp(addr, ra, 6)) {
            return true;
        }
    }
    return false;
}

/*
 * The destination filter (8254x manual, receive address filtering):
 * broadcast by RCTL.BAM; multicast by RCTL.MPE, an exact receive address
 * or the 4096-bit multicast table (12 address bits chosen by RCTL.MO);
 * unicast by RCTL.UPE or an exact receive address.  Linux's driver puts
 * its first multicast groups (IPv6 all-nodes, solicited-node) into the
 * exact registers and only the rest into the table.
 */
static bool e1000_rx_filter(E1000State *s, const uint8_t *buf)
{
    uint32_t rctl = REG(s, E1000_RCTL);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if ((rctl & RCTL_BAM) && !memcmp(buf, bcast, 6)) {
        return true;
    }
    /* Without BAM a broadcast is not refused outright: like any multicast
     * address it still passes by MPE, an exact address or the table
     * (RCTL.BAM clear ignores broadcasts that match no filter), as QEMU's
     * e1000 does. */
    if (buf[0] & 1) {
        if ((rctl & RCTL_MPE) || e1000_ra_match(s, buf)) {
            return true;
        }
        static const unsigned shift[4] = { 4, 3, 2, 0 };
        unsigned mo = (rctl >> RCTL_MO_SHIFT) & 3;
        uint32_t hash = ((buf[4] >> shift[mo]) | ((uint16_t)buf[5] << (8 - shift[mo]))) & 0xfff;
        return (s->mac[(E1000_MTA >> 2) + (hash >> 5)] >> (hash & 31)) & 1;
    }
    return (rctl & RCTL_UPE) || e1000_ra_match(s, buf);
}

static ssize_t e1000_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    E1000State *s = nc->opaque_dev;
    static uint8_t frame[RX_MAX_FRAME + 64];
    size_t len = 0;
    int64_t t0 = iostats_now();
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    if (!e1000_can_receive(nc)) {
        return 0;
    }
    uint32_t rctl = REG(s, E1000_RCTL);
    if (len > RX_MAX_FRAME || (len > 1522 && !(rctl & RCTL_LPE))) {
        stat_inc(s, E1000_ROC, 1);
        return len;                       /* oversize: dropped, counted */
    }
    size_t off = 0;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(frame + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    if (len < 60) {
        memset(frame + len, 0, 60 - len);  /* the wire pads short frames */
        len = 60;
    }
    if (!e1000_rx_filter(s, frame)) {
        return len;
    }
    size_t total = len + ((rctl & RCTL_SECRC) ? 0 : 4);   /* FCS (zero) unless stripped */
    if (total > len) {
        memset(frame + len, 0, 4);
    }
    uint32_t bufsize = rx_bufsize(rctl), n = rx_ring_size(s);
    uint32_t need = (total + bufsize - 1) / bufsize;
    if (rx_free_descs(s) < need) {
        /* not enough buffers for the whole frame: wait for the guest */
        stat_inc(s, E1000_RNBC, 1);
        set_ics(s, ICR_RXO);
        return 0;
    }
    uint64_t base = ((uint64_t)REG(s, E1000_RDBAH) << 32 | REG(s, E1000_RDBAL)) & ~0xfull;
    size_t done = 0;
    while (done < total) {
        uint32_t head = REG(s, E1000_RDH);
        uint64_t daddr = base + (uint64_t)head * 16;
        uint8_t d[16];
        if (!dma_read(s, daddr, d, 16)) {
            return len;
        }
        uint64_t baddr = ld64(d);
        uint32_t chunk = MIN(bufsize, total - done);
        if (baddr) {
            dma_write(s, baddr, frame + done, chunk);
            s->st_copy_bytes += chunk;
            s->st_copy_bufs++;
        }
        done += chunk;
        memset(d + 8, 0, 8);
        d[8] = chunk;
        d[9] = chunk >> 8;
        d[12] = RXD_STA_DD | (done == total ? RXD_STA_EOP : 0) | RXD_STA_IXSM;
        dma_write(s, daddr + 8, d + 8, 8);
        REG(s, E1000_RDH) = head + 1 == n ? 0 : head + 1;
    }
    s->st_rx_frames++;
    s->st_rx_bytes += len;
    iostats_req_done(s->ios, IOREQ_RX, t0, len);
    stat_inc(s, E1000_TPR, 1);
    stat_inc(s, E1000_GPRC, 1);
    stat_add64(s, E1000_TORL, total);
    stat_add64(s, E1000_GORCL, total);
    size_bin(s, E1000_PRC64, total);
    if (frame[0] & 1) {
        stat_inc(s, memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6) ? E1000_MPRC : E1000_BPRC, 1);
    }
    uint32_t causes = ICR_RXT0;
    unsigned rdmts = (rctl >> RCTL_RDMTS_SHIFT) & 3;
    if (rdmts < 3 && rx_free_descs(s) <= (n >> (rdmts + 1))) {
        causes |= ICR_RXDMT0;
    }
    set_ics(s, causes);
    return len;
}

static void e1000_link_changed(NetClientState *nc)
{
    E1000State *s = nc->opaque_dev;
    if (nc->link_down) {
        REG(s, E1000_STATUS) &= ~STATUS_LU;
        s->phy[PHY_STATUS] &= ~(MII_SR_LINK_STATUS | MII_SR_AUTONEG_COMPLETE);
    } else {
        REG(s, E1000_STATUS) |= STATUS_LU;
        s->phy[PHY_STATUS] |= MII_SR_LINK_STATUS | MII_SR_AUTONEG_COMPLETE;
    }
    set_ics(s, ICR_LSC);
}

static void e1000_nic_info(NetClientState *nc, GString *out)
{
    E1000State *s = nc->opaque_dev;
    const uint8_t *m = s->conf.macaddr.a;
    g_string_append_printf(out, "model=e1000,macaddr=%02x:%02x:%02x:%02x:%02x:%02x",
                           m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const NetClientInfo e1000_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NetClientState),
    .receive = e1000_receive,
    .can_receive = e1000_can_receive,
    .link_status_changed = e1000_link_changed,
    .info_str = e1000_nic_info,
};

/* ---- EEPROM (Microwire, 64 x 16 bits, READ opcode 110b + 6 address bits) ---- */

static void eecd_write(E1000State *s, uint32_t val)
{
    uint32_t old = REG(s, E1000_EECD);
    /* software may only drive SK, CS, DI and the request bit */
    REG(s, E1000_EECD) = (old & ~(EECD_SK | EECD_CS | EECD_DI | EECD_REQ)) |
                         (val & (EECD_SK | EECD_CS | EECD_DI | EECD_REQ));
    if (val & EECD_REQ) {
        REG(s, E1000_EECD) |= EECD_GNT;
    } else {
        REG(s, E1000_EECD) &= ~EECD_GNT;
    }
    bool cs = val & EECD_CS, sk = val & EECD_SK;
    if (!cs) {
        s->ee.bitnum_in = 0;
        s->ee.reading = false;
        s->ee.old_cs = false;
        s->ee.old_sk = sk;
        return;
    }
    if (!s->ee.old_cs) {
        s->ee.bitnum_in = 0;
        s->ee.reading = false;
        s->ee.val_in = 0;
    }
    s->ee.old_cs = true;
    if (sk && !s->ee.old_sk) {                 /* rising edge: sample DI */
        if (s->ee.reading) {
            s->ee.bitnum_out++;
        } else {
            s->ee.val_in = s->ee.val_in << 1 | !!(val & EECD_DI);
            if (++s->ee.bitnum_in == 9) {       /* start bit + 2 opcode + 6 address */
                if (((s->ee.val_in >> 6) & 7) == 6) {
                    s->ee.reading = true;
                    s->ee.bitnum_out = 0;       /* a dummy 0 bit, then 16 data bits */
                }
            }
        }
    }
    s->ee.old_sk = sk;
}

static uint32_t eecd_read(E1000State *s)
{
    uint32_t v = REG(s, E1000_EECD) | EECD_PRES;
    v &= ~EECD_DO;
    if (s->ee.reading && s->ee.bitnum_out >= 1 && s->ee.bitnum_out <= 16) {
        uint16_t word = s->eeprom[s->ee.val_in & 0x3f];
        if ((word >> (16 - s->ee.bitnum_out)) & 1) {
            v |= EECD_DO;
        }
    }
    return v;
}

static void eerd_write(E1000State *s, uint32_t val)
{
    if (!(val & EERD_START)) {
        REG(s, E1000_EERD) = val;
        return;
    }
    unsigned addr = (val >> 8) & 0xff;
    uint16_t data = addr < EEPROM_WORDS ? s->eeprom[addr] : 0;
    REG(s, E1000_EERD) = (val & 0xff00) | EERD_DONE | (uint32_t)data << 16;
}

/* ---- PHY through MDIC ---- */

static void phy_reset(E1000State *s)
{
    static const uint16_t init[PHY_NREGS] = {
        [PHY_CTRL] = 0x1140,             /* autoneg on, 1000 Mb/s full duplex */
        [PHY_STATUS] = 0x796d,           /* link up, autoneg complete, 10/100 FD/HD, ext status */
        [PHY_ID1] = 0x0141,              /* Marvell 88E1011 */
        [PHY_ID2] = 0x0c20,
        [PHY_AUTONEG_ADV] = 0x0de1,
        [PHY_LP_ABILITY] = 0x45e1,
        [PHY_AUTONEG_EXP] = 0x0001,
        [PHY_1000T_CTRL] = 0x0e00,
        [PHY_1000T_STATUS] = 0x3c00,
        [PHY_EXT_STATUS] = 0x3000,
        [M88_PHY_SPEC_CTRL] = 0x0360,
        [M88_PHY_SPEC_STATUS] = 0xac00,  /* 1000 Mb/s, full duplex, resolved, link */
        [M88_EXT_PHY_SPEC_CTRL] = 0x0d60,
    };
    memcpy(s->phy, init, sizeof(init));
    if (s->nc && s->nc->link_down) {
        s->phy[PHY_STATUS] &= ~(MII_SR_LINK_STATUS | MII_SR_AUTONEG_COMPLETE);
    }
}

static void mdic_write(E1000State *s, uint32_t val)
{
    unsigned phyaddr = (val >> 21) & 0x1f, reg = (val >> 16) & 0x1f;
    uint32_t data = val & 0xffff;
    if (phyaddr != 1) {
        val |= MDIC_ERROR;               /* no PHY at that address */
    } else if ((val & (3u << 26)) == MDIC_OP_READ) {
        data = s->phy[reg];
    } else if ((val & (3u << 26)) == MDIC_OP_WRITE) {
        if (reg == PHY_CTRL) {
            if (data & MII_CR_RESET) {
                phy_reset(s);
                data &= ~MII_CR_RESET;
            }
            /* autonegotiation completes at once with the virtual link */
            data &= ~MII_CR_RESTART_AUTONEG;
            s->phy[PHY_CTRL] = data;
        } else if (reg != PHY_STATUS && reg != PHY_ID1 && reg != PHY_ID2 &&
                   reg != PHY_LP_ABILITY && reg != PHY_1000T_STATUS && reg != M88_PHY_SPEC_STATUS) {
            s->phy[reg] = data;
        }
    }
    REG(s, E1000_MDIC) = (val & ~0xffffu) | data | MDIC_READY;
    if (val & (1u << 29)) {              /* interrupt on completion */
        set_ics(s, ICR_MDAC);
    }
}

/* ---- register file ---- */

static void e1000_reset_regs(E1000State *s)
{
    memset(s->mac, 0, sizeof(s->mac));
    /* full duplex, auto-speed detection, link up, 1000 Mb/s */
    REG(s, E1000_CTRL) = 1u | (1u << 5) | CTRL_SLU | (2u << 8);
    REG(s, E1000_STATUS) = STATUS_FD | STATUS_LU | STATUS_SPEED_1000 | (1u << 9) /* ASDV 1000 */ |
                           (1u << 19) /* GIO master enable */ | (1u << 31);
    if (s->nc && s->nc->link_down) {
        REG(s, E1000_STATUS) &= ~STATUS_LU;
    }
    REG(s, E1000_EECD) = EECD_PRES;
    REG(s, E1000_MDIC) = MDIC_READY;
    REG(s, E1000_PBA) = 0x00100030;
    REG(s, E1000_LEDCTL) = 0x07068302;
    REG(s, E1000_TXDCTL) = 1u << 16;
    REG(s, E1000_RXDCTL) = 1u << 16;
    REG(s, E1000_MANC) = 0;
    REG(s, E1000_SWSM) = 0;
    /* receive address 0 from the EEPROM, valid */
    const uint8_t *m = s->conf.macaddr.a;
    s->mac[E1000_RA >> 2] = m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24;
    s->mac[(E1000_RA >> 2) + 1] = m[4] | m[5] << 8 | (1u << 31);
    phy_reset(s);
    memset(&s->ee, 0, sizeof(s->ee));
    memset(&s->ctx, 0, sizeof(s->ctx));
    s->txlen = 0;
    s->itr_pending = false;
    s->last_irq_ns = 0;
    timer_del(s->itr_timer);
    pci_set_irq(&s->pci, 0);
}

static uint32_t e1000_reg_read(E1000State *s, uint32_t off)
{
    off &= ~3u;
    if (off >= sizeof(s->mac)) {
        return 0;
    }
    uint32_t v;
    switch (off) {
    case E1000_ICR:
        /* read-to-clear; the line drops */
        v = REG(s, E1000_ICR);
        REG(s, E1000_ICR) = 0;
        e1000_update_irq(s);
        return v;
    case E1000_EECD:
        return eecd_read(s);
    case E1000_IMC:
    case E1000_ICS:
        return 0;
    case E1000_CTRL:
        return REG(s, E1000_CTRL) & ~CTRL_RST;
    default:
        if (off >= E1000_STATS && off < E1000_STATS_END) {
            v = REG(s, off);
            /* 64-bit octet counters clear on reading the high half */
            bool is_low_of_pair = off == E1000_GORCL || off == E1000_GOTCL || off == E1000_TORL ||
                                  off == E1000_TOTL;
            if (!is_low_of_pair) {
                REG(s, off) = 0;
            }
            if (off == E1000_GORCH || off == E1000_GOTCH || off == E1000_TORH || off == E1000_TOTH) {
                REG(s, off - 4) = 0;
            }
            return v;
        }
        return REG(s, off);
    }
}

static void e1000_reg_write(E1000State *s, uint32_t off, uint32_t val)
{
    off &= ~3u;
    if (off >= sizeof(s->mac)) {
        return;
    }
    switch (off) {
    case E1000_CTRL:
        if (val & CTRL_RST) {
            e1000_reset_regs(s);
            return;
        }
        if (val & CTRL_PHY_RST) {
            phy_reset(s);
        }
        REG(s, E1000_CTRL) = val & ~(CTRL_RST | CTRL_PHY_RST);
        return;
    case E1000_STATUS:                  /* read-only */
        return;
    case E1000_EECD:
        eecd_write(s, val);
        return;
    case E1000_EERD:
        eerd_write(s, val);
        return;
    case E1000_MDIC:
        mdic_write(s, val);
        return;
    case E1000_ICR:
        REG(s, E1000_ICR) &= ~val;          /* write 1 to clear */
        e1000_update_irq(s);
        return;
    case E1000_ICS:
        set_ics(s, val);
        return;
    case E1000_IMS:
        REG(s, E1000_IMS) |= val;
        set_ics(s, 0);
        return;
    case E1000_IMC:
        REG(s, E1000_IMS) &= ~val;
        e1000_update_irq(s);
        return;
    case E1000_RCTL: {
        bool was = e1000_can_receive(s->nc);
        REG(s, E1000_RCTL) = val;
        if (!was && e1000_can_receive(s->nc)) {
            net_flush_queued_packets(s->nc);
        }
        return;
    }
    case E1000_TDH:
    case E1000_RDH:
    case E1000_TDLEN:
    case E1000_RDLEN:
        REG(s, off) = off == E1000_TDLEN || off == E1000_RDLEN ? val & 0xfff80 : val & 0xffff;
        return;
    case E1000_RDT:
        s->st_doorbells++;
        REG(s, E1000_RDT) = val & 0xffff;
        if (e1000_can_receive(s->nc)) {
            net_flush_queued_packets(s->nc);
        }
        return;
    case E1000_TDT:
        s->st_doorbells++;
        REG(s, E1000_TDT) = val & 0xffff;
        e1000_start_xmit(s);
        return;
    case E1000_TCTL:
        REG(s, E1000_TCTL) = val;
        e1000_start_xmit(s);
        return;
    case E1000_ITR:
        REG(s, E1000_ITR) = val & 0xffff;
        return;
    default:
        if (off >= E1000_STATS && off < E1000_STATS_END) {
            return;                          /* counters are read-only */
        }
        REG(s, off) = val;
        return;
    }
}

static uint64_t e1000_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    E1000State *s = opaque;
    uint32_t v = e1000_reg_read(s, addr);
    return (v >> ((addr & 3) * 8)) & (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
}

static void e1000_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    E1000State *s = opaque;
    if (size != 4) {
        /* sub-dword writes merge into the register, as a byte-enabled PCI write would */
        unsigned sh = (addr & 3) * 8;
        uint32_t mask = ((1u << (size * 8)) - 1) << sh;
        uint32_t cur = (addr & ~3u) < sizeof(s->mac) ? s->mac[addr >> 2] : 0;
        val = (cur & ~mask) | ((uint32_t)val << sh & mask);
    }
    e1000_reg_write(s, addr, val);
}

static const MemoryRegionOps e1000_mmio_ops = {
    .read = e1000_mmio_read,
    .write = e1000_mmio_write,
    .min_access = 1,
    .max_access = 4,
};

static uint64_t e1000_io_read(void *opaque, hwaddr addr, unsigned size)
{
    E1000State *s = opaque;
    switch (addr & ~3u) {
    case 0:
        return s->ioaddr;
    case 4:
        return e1000_reg_read(s, s->ioaddr & 0x1fffc);
    default:
        return 0;
    }
}

static void e1000_io_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    E1000State *s = opaque;
    switch (addr & ~3u) {
    case 0:
        s->ioaddr = val & 0x1fffc;
        break;
    case 4:
        e1000_reg_write(s, s->ioaddr, val);
        break;
    }
}

static const MemoryRegionOps e1000_io_ops = {
    .read = e1000_io_read,
    .write = e1000_io_write,
    .min_access = 4,
    .max_access = 4,
};

static void e1000_build_eeprom(E1000State *s)
{
    memset(s->eeprom, 0xff, sizeof(s->eeprom));
    const uint8_t *m = s->conf.macaddr.a;
    s->eeprom[0] = m[0] | m[1] << 8;
    s->eeprom[1] = m[2] | m[3] << 8;
    s->eeprom[2] = m[4] | m[5] << 8;
    s->eeprom[3] = 0x0000;              /* compatibility */
    s->eeprom[5] = 0x0000;              /* image version */
    s->eeprom[8] = 0x3000;              /* PBA number */
    s->eeprom[9] = 0x1000;
    s->eeprom[0x0a] = 0x6403;           /* init control 1: load subsystem ids, ILOS off */
    s->eeprom[0x0b] = PCI_SUBDEVICE_ID_QEMU;
    s->eeprom[0x0c] = PCI_SUBVENDOR_ID_REDHAT_QUMRANET;
    s->eeprom[0x0d] = 0x100e;
    s->eeprom[0x0e] = 0x8086;
    s->eeprom[0x0f] = 0x3040;           /* init control 2: pause capabilities advertised */
    s->eeprom[0x10] = 0x0008;
    s->eeprom[0x24] = 0x0000;           /* init control 3: no APM wake */
    uint16_t sum = 0;
    for (int i = 0; i < EEPROM_WORDS - 1; i++) {
        sum += s->eeprom[i];
    }
    s->eeprom[EEPROM_WORDS - 1] = EEPROM_CHECKSUM - sum;
}

static void e1000_iostats(void *opaque, IOStats *st)
{
    E1000State *s = opaque;
    st->kicks = s->st_doorbells;
    st->irqs = s->irq_raised;
    st->irqs_coalesced = s->irq_coalesced;
    st->copy_bytes = s->st_copy_bytes;
    st->copy_buffers = s->st_copy_bufs;
    st->tx_requests = s->st_tx_frames;
    st->rx_requests = s->st_rx_frames;
    st->tx_bytes = s->st_tx_bytes;
    st->rx_bytes = s->st_rx_bytes;
}

static void e1000_pci_reset(PCIDevice *d)
{
    E1000State *s = (E1000State *)d;
    e1000_reset_regs(s);
}

static bool e1000_realize(Device *dev, GError **errp)
{
    E1000State *s = (E1000State *)dev;
    PCIDevice *pd = &s->pci;
    if (!bootdevice_check(s->conf.bootindex, errp) ||
        !pci_device_init(pd, NULL, 0x8086, 0x100e, 0x0200, 0x03, errp)) {
        return false;
    }
    net_nic_default_mac(&s->conf);
    s->txbuf = g_malloc(TX_MAX_FRAME);
    s->itr_timer = timer_new(CLOCK_VIRTUAL, e1000_itr_expired, s);
    memory_region_init_io(&s->mmio, &e1000_mmio_ops, s, "e1000-mmio", E1000_MMIO_SIZE);
    memory_region_init_io(&s->io, &e1000_io_ops, s, "e1000-io", 0x40);
    pci_register_bar(pd, 0, PCI_BAR_MEM32, &s->mmio);
    pci_register_bar(pd, 1, PCI_BAR_IO, &s->io);
    pci_set_interrupt_pin(pd, 1);
    pd->reset = e1000_pci_reset;
    if (!pci_load_option_rom(pd, s->romfile, "efi-e1000.rom", errp)) {
        pci_device_unregister(pd);
        timer_free(s->itr_timer);
        g_free(s->txbuf);
        return false;
    }
    pd->name = "e1000";
    e1000_build_eeprom(s);
    s->nc = net_nic_new(&e1000_net_info, &s->conf, "e1000", dev->id);
    s->nc->opaque_dev = s;
    s->ios = iostats_register(s->nc->name, "net", e1000_iostats, s);
    iostats_add_region(s->nc->name, &s->mmio);
    iostats_add_region(s->nc->name, &s->io);
    e1000_reset_regs(s);
    /* SeaBIOS matches the slot against the option ROM's boot entry */
    bootdevice_add_pci(s->conf.bootindex, "ethernet", pd->devfn, "/ethernet-phy@0", NULL);
    return true;
}

static void e1000_reset(Device *dev)
{
    E1000State *s = (E1000State *)dev;
    pci_device_reset(&s->pci);
    e1000_reset_regs(s);
}

static void e1000_unrealize(Device *dev)
{
    E1000State *s = (E1000State *)dev;
    iostats_unregister(s->ios);
    net_client_free(s->nc);          /* the -netdev backend stays, free for another NIC */
    s->nc = NULL;
    bootdevice_del_pci("ethernet", s->pci.devfn);
    pci_device_unregister(&s->pci);
    timer_free(s->itr_timer);
    memory_region_destroy(&s->mmio);
    memory_region_destroy(&s->io);
    g_free(s->txbuf);
}

static const Property e1000_props[] = {
    DEFINE_PROP_PCI_DEVFN(E1000State, pci),
    DEFINE_NIC_PROPERTIES(E1000State, conf),
    DEFINE_PROP("romfile", PROP_STRING, E1000State, romfile, NULL),
    DEFINE_PROP_END,
};

static const DeviceClass e1000_class = {
    .name = "e1000",
    .desc = "Intel Gigabit Ethernet",
    .bus = BUS_PCI,
    .instance_size = sizeof(E1000State),
    .props = e1000_props,
    .user_creatable = true,
    .realize = e1000_realize,
    .unrealize = e1000_unrealize,
    .hotpluggable = true,
    .reset = e1000_reset,
};
DEVICE_REGISTER(e1000_class)

static const NICModel e1000_model = { .name = "e1000", .device = "e1000" };
static void __attribute__((constructor)) e1000_register_model(void)
{
    net_register_nic_model(&e1000_model);
}
