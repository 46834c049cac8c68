/*
 * Intel VT-d remapping hardware unit (intel-iommu.h).  References are to
 * the Intel "Virtualization Technology for Directed I/O Architecture
 * Specification"; register values follow what QEMU's intel-iommu reports
 * (version 1.0, CAP/ECAP for aw-bits=39/48, one fault recording register
 * at 0x220, IOTLB registers at 0xf0).
 *
 * Nothing is cached: every DMA walks the root, context and page tables
 * and every interrupt reads its IRTE, so the invalidation commands
 * (register-based and queued) have nothing to flush and complete at
 * once.  Software that changes a table without invalidating (as
 * kvm-unit-tests does) sees the change at once, which the spec allows.
 *
 * Everything the guest programs is hostile input: table and queue
 * addresses are only read or written where they are RAM (a table inside
 * some device's registers blocks the request instead of reaching the
 * device), indices are checked against the table sizes, reserved bits
 * fault as the spec says, and no walk or queue loop runs longer than its
 * table.
 */
#include "hw/i386/intel-iommu.h"

#include <inttypes.h>
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/i386/acpi-build.h"
#include "hw/i386/pc.h"
#include "hw/pci/pci.h"
#include "util/log.h"

/* ---- registers (spec 10.4) ---- */

#define VTD_VER             0x00
#define VTD_CAP             0x08
#define VTD_ECAP            0x10
#define VTD_GCMD            0x18
#define VTD_GSTS            0x1c
#define VTD_RTADDR          0x20
#define VTD_CCMD            0x28
#define VTD_FSTS            0x34
#define VTD_FECTL           0x38
#define VTD_FEDATA          0x3c
#define VTD_FEADDR          0x40
#define VTD_FEUADDR         0x44
#define VTD_IQH             0x80
#define VTD_IQT             0x88
#define VTD_IQA             0x90
#define VTD_ICS             0x9c
#define VTD_IECTL           0xa0
#define VTD_IEDATA          0xa4
#define VTD_IEADDR          0xa8
#define VTD_IEUADDR         0xac
#define VTD_IRTA            0xb8
#define VTD_IVA             0xf0            /* ECAP.IRO */
#define VTD_IOTLB           0xf8
#define VTD_FRCD            0x220           /* CAP.FRO, CAP.NFR = 0: one register */

#define VTD_VERSION         0x10            /* 1.0 */

/* CAP */
#define CAP_ND_64K          6ull            /* 16-bit domain ids */
#define CAP_CM              (1ull << 7)
#define CAP_SAGAW_39        (2ull << 8)
#define CAP_SAGAW_48        (4ull << 8)
#define CAP_MGAW(aw)        ((uint64_t)((aw) - 1) << 16)
#define CAP_FRO             ((uint64_t)(VTD_FRCD >> 4) << 24)
#define CAP_SLLPS_2M        (1ull << 34)
#define CAP_SLLPS_1G        (1ull << 35)
#define CAP_PSI             (1ull << 39)
#define CAP_MAMV            (18ull << 48)
#define CAP_DRAIN           (3ull << 54)

/* ECAP */
#define ECAP_QI             (1ull << 1)
#define ECAP_IR             (1ull << 3)
#define ECAP_PT             (1ull << 6)
#define ECAP_IRO            ((uint64_t)(VTD_IVA >> 4) << 8)
#define ECAP_MHMV           (15ull << 20)

/* GCMD / GSTS: each command bit sits where its status bit is */
#define G_TE                (1u << 31)
#define G_SRTP              (1u << 30)
#define G_QIE               (1u << 26)
#define G_IRE               (1u << 25)
#define G_SIRTP             (1u << 24)
#define G_CFI               (1u << 23)

#define CCMD_ICC            (1ull << 63)
#define IOTLB_IVT           (1ull << 63)

/* FSTS */
#define FSTS_PFO            (1u << 0)
#define FSTS_PPF            (1u << 1)
#define FSTS_IQE            (1u << 4)
#define FSTS_ICE            (1u << 5)
#define FSTS_ITE            (1u << 6)
#define FSTS_W1C            (FSTS_PFO | FSTS_IQE | FSTS_ICE | FSTS_ITE)

/* FECTL / IECTL */
#define EC_IM               (1u << 31)
#define EC_IP               (1u << 30)

#define ICS_IWC             1u

#define IRTA_EIME           (1ull << 11)

#define FRCD_F              (1ull << 63)
#define FRCD_T_READ         (1ull << 62)

/* Fault reasons (spec 7.1.3, table "Fault reasons") */
enum {
    FR_ROOT_ENTRY_P = 0x1,
    FR_CONTEXT_ENTRY_P = 0x2,
    FR_CONTEXT_ENTRY_INV = 0x3,
    FR_ADDR_BEYOND_MGAW = 0x4,
    FR_WRITE = 0x5,
    FR_READ = 0x6,
    FR_PAGING_ENTRY_INV = 0x7,
    FR_ROOT_TABLE_INV = 0x8,
    FR_CONTEXT_TABLE_INV = 0x9,
    FR_ROOT_ENTRY_RSVD = 0xa,
    FR_CONTEXT_ENTRY_RSVD = 0xb,
    FR_PAGING_ENTRY_RSVD = 0xc,
    FR_IR_REQ_RSVD = 0x20,
    FR_IR_INDEX_OVER = 0x21,
    FR_IR_ENTRY_P = 0x22,
    FR_IR_ROOT_INV = 0x23,
    FR_IR_IRTE_RSVD = 0x24,
    FR_IR_REQ_COMPAT = 0x25,
    FR_IR_SID_ERR = 0x26,
};

typedef struct VTDState {
    Device dev;
    /* properties, as QEMU's */
    char *intremap_prop;        /* on/off/auto */
    char *eim_prop;             /* on/off/auto */
    bool caching_mode;
    uint8_t aw_bits;            /* 39 or 48 */
    bool pt;
    bool dma_drain;

    MemoryRegion mmio;
    PCIBus *bus;
    bool intremap;
    uint64_t cap, ecap;
    uint64_t haw_mask;          /* addresses the unit can reach: aw_bits wide */

    uint32_t gsts;
    uint64_t rtaddr, root;      /* as written; as latched by SRTP */
    uint64_t ccmd;
    uint32_t fsts, fectl, fedata, feaddr;
    uint64_t iqh, iqt, iqa;
    uint32_t ics, iectl, iedata, ieaddr;
    uint64_t irta;
    uint64_t irt_base;          /* latched by SIRTP */
    uint32_t irt_entries;
    uint64_t iva, iotlb;
    uint64_t frcd_lo, frcd_hi;
} VTDState;

/* ---- guest memory: RAM only ---- */

/* Tables and queues are read only where they are RAM: a pointer into a
 * device's registers must not make the unit access that device from
 * inside another device's DMA. */
static bool vtd_ram_read(uint64_t addr, void *buf, uint64_t len)
{
    uint64_t n = len;
    const uint8_t *p = address_space_map(&address_space_memory, addr, &n, false);
    if (!p || n < len) {
        return false;
    }
    memcpy(buf, p, len);
    return true;
}

static bool vtd_ram_ld64(uint64_t addr, uint64_t *v)
{
    uint8_t b[8];
    if (!vtd_ram_read(addr, b, 8)) {
        return false;
    }
    *v = ram_ld(b, 8);
    return true;
}

static bool vtd_ram_ld128(uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    uint8_t b[16];
    if (!vtd_ram_read(addr, b, 16)) {
        return false;
    }
    *lo = ram_ld(b, 8);
    *hi = ram_ld(b + 8, 8);
    return true;
}

static bool vtd_ram_st32(uint64_t addr, uint32_t v)
{
    uint64_t n = 4;
    uint8_t *p = address_space_map(&address_space_memory, addr, &n, true);
    if (!p || n < 4) {
        return false;
    }
    ram_st(p, v, 4);
    if (memory_ram_write_hook) {
        memory_ram_write_hook(&address_space_memory, addr, 4);
    }
    return true;
}

/* ---- events (spec 7.3) ---- */

/* The unit's own messages are not remapped (spec 5.1.6). */
static void vtd_send_event(VTDState *s, uint32_t addr, uint32_t data, const char *what)
{
    if (!pci_bus_deliver_msi(s->bus, addr, data)) {
        vlog(LOG_GUEST_ERRORS, "intel-iommu: %s event to 0x%08x (not an interrupt address) "
             "dropped\n", what, addr);
    }
}

static void vtd_fault_event(VTDState *s)
{
    if (s->fectl & EC_IP) {
        return;                 /* one is pending (masked) already */
    }
    s->fectl |= EC_IP;
    if (!(s->fectl & EC_IM)) {
        vtd_send_event(s, s->feaddr, s->fedata, "fault");
        s->fectl &= ~EC_IP;
    }
}

static uint32_t vtd_fsts(VTDState *s)
{
    /* PPF: some fault recording register holds a fault; FRI = 0, the only one */
    return s->fsts | ((s->frcd_hi & FRCD_F) ? FSTS_PPF : 0);
}

/* Software serviced every condition: no message is pending any more. */
static void vtd_fault_update_ip(VTDState *s)
{
    if (!vtd_fsts(s)) {
        s->fectl &= ~EC_IP;
    }
}

/* Primary fault logging (spec 7.2.1) into the one recording register,
 * unless the request's context entry or IRTE disabled fault processing. */
static void vtd_record_fault(VTDState *s, uint16_t sid, uint8_t reason, uint64_t fi, bool is_write)
{
    vlog(LOG_GUEST_ERRORS, "intel-iommu: fault 0x%02x from %02x:%02x.%x at 0x%" PRIx64 " (%s)\n",
         reason, sid >> 8, (sid >> 3) & 0x1f, sid & 7, fi, is_write ? "write" : "read");
    if (s->fsts & FSTS_PFO) {
        return;
    }
    if (s->frcd_hi & FRCD_F) {
        s->fsts |= FSTS_PFO;    /* overflow: the fault is lost */
        vtd_fault_event(s);
        return;
    }
    s->frcd_lo = fi & ~0xfffull;
    s->frcd_hi = FRCD_F | (is_write ? 0 : FRCD_T_READ) | ((uint64_t)reason << 32) | sid;
    vtd_fault_event(s);
}

static void vtd_iq_error(VTDState *s)
{
    s->fsts |= FSTS_IQE;
    vtd_fault_event(s);
}

/* Invalidation wait with IF (spec 6.5.2.8, 7.3.2). */
static void vtd_completion_event(VTDState *s)
{
    if (s->ics & ICS_IWC) {
        return;
    }
    s->ics |= ICS_IWC;
    s->iectl |= EC_IP;
    if (!(s->iectl & EC_IM)) {
        vtd_send_event(s, s->ieaddr, s->iedata, "invalidation completion");
        s->iectl &= ~EC_IP;
    }
}

/* ---- DMA remapping (spec ch. 3, 9.1-9.3) ---- */

static bool vtd_translate(void *opaque, uint16_t sid, uint64_t iova, bool write, uint64_t *pa,
                          uint64_t *len)
{
    VTDState *s = opaque;
    if (!(s->gsts & G_TE)) {
        *pa = iova;
        *len = iova ? 0 - iova : UINT64_MAX;     /* the rest of the address space */
        return true;
    }
    uint8_t bus = sid >> 8, devfn = sid & 0xff;
    uint64_t lo, hi;
    uint8_t fr;
    bool fpd = false;

    /* root entry (9.1): P, context-table pointer */
    if (!vtd_ram_ld128(s->root + bus * 16ull, &lo, &hi)) {
        fr = FR_ROOT_TABLE_INV;
        goto fault;
    }
    if (!(lo & 1)) {
        fr = FR_ROOT_ENTRY_P;
        goto fault;
    }
    if ((lo & (0xffeull | ~s->haw_mask)) || hi) {
        fr = FR_ROOT_ENTRY_RSVD;
        goto fault;
    }
    /* context entry (9.3): P, FPD, T, SLPTPTR; AW, DID */
    if (!vtd_ram_ld128((lo & ~0xfffull) + devfn * 16ull, &lo, &hi)) {
        fr = FR_CONTEXT_TABLE_INV;
        goto fault;
    }
    if (!(lo & 1)) {
        fr = FR_CONTEXT_ENTRY_P;
        goto fault;
    }
    fpd = lo & 2;
    if ((lo & (0xff0ull | ~s->haw_mask)) || (hi & 0xffffffffff000080ull)) {
        fr = FR_CONTEXT_ENTRY_RSVD;
        goto fault;
    }
    unsigned tt = (lo >> 2) & 3;
    if (tt == 2 && (s->ecap & ECAP_PT)) {
        *pa = iova;
        *len = 0x1000 - (iova & 0xfff);
        if (iova & ~s->haw_mask) {
            fr = FR_ADDR_BEYOND_MGAW;
            goto fault;
        }
        return true;
    }
    unsigned aw = hi & 7;
    if (tt != 0 || !(s->cap & (1ull << (8 + aw)))) {
        fr = FR_CONTEXT_ENTRY_INV;      /* no device-TLB; AW not in SAGAW */
        goto fault;
    }
    int levels = aw + 2;                /* 1: 39 bits, 3 levels; 2: 48 bits, 4 */
    unsigned agaw = 12 + 9 * levels;
    if (iova >> agaw || (iova & ~s->haw_mask)) {
        fr = FR_ADDR_BEYOND_MGAW;
        goto fault;
    }
    /* second-level walk (9.8): permission is the AND of every level's;
     * reserved: SNP (bit 11) and TM (bit 62) without snoop control or
     * device-TLB, address bits past the unit's width, PS in a PML4E or
     * where the large page size is not offered */
    uint64_t table = lo & ~0xfffull;
    uint64_t rsvd = (1ull << 11) | (1ull << 62) | (~s->haw_mask & 0x000fffffffffffffull);
    for (int level = levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t pte;
        if (!vtd_ram_ld64(table + ((iova >> shift) & 511) * 8, &pte)) {
            fr = FR_PAGING_ENTRY_INV;
            goto fault;
        }
        if (!(pte & (write ? 2 : 1))) {
            fr = write ? FR_WRITE : FR_READ;
            goto fault;
        }
        bool large = level > 1 && (pte & (1ull << 7));
        uint64_t r = rsvd;
        if (large) {
            if ((level == 2 && !(s->cap & CAP_SLLPS_2M)) ||
                (level == 3 && !(s->cap & CAP_SLLPS_1G)) || level == 4) {
                fr = FR_PAGING_ENTRY_RSVD;
                goto fault;
            }
            r |= ((1ull << shift) - 1) & ~0xfffull;     /* the page's offset bits */
        }
        if (pte & r) {
            fr = FR_PAGING_ENTRY_RSVD;
            goto fault;
        }
        if (level == 1 || large) {
            uint64_t off = iova & ((1ull << shift) - 1);
            *pa = (pte & s->haw_mask & ~((1ull << shift) - 1)) | off;
            *len = (1ull << shift) - off;
            return true;
        }
        table = pte & s->haw_mask & ~0xfffull;
    }
    fr = FR_PAGING_ENTRY_INV;           /* not reached: level 1 always ends */
fault:
    if (!fpd) {
        vtd_record_fault(s, sid, fr, iova, write);
    }
    return false;
}

/* ---- interrupt remapping (spec 5.1) ---- */

static void vtd_ir_fault(VTDState *s, int32_t rid, uint8_t reason, uint16_t index, bool fpd)
{
    if (!fpd) {
        /* FI[63:48] holds the interrupt index for remapping faults */
        vtd_record_fault(s, rid < 0 ? VTD_IOAPIC_SID : (uint16_t)rid, reason,
                         (uint64_t)index << 48, true);
    }
}

/* Source-id check of the IRTE (5.1.4.1, table "SID qualifier"). */
static bool vtd_sid_ok(uint64_t hi, uint16_t rid)
{
    uint16_t sid = hi & 0xffff;
    unsigned sq = (hi >> 16) & 3, svt = (hi >> 18) & 3;
    static const uint16_t sq_mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };
    switch (svt) {
    case 0:
        return true;
    case 1:
        return (sid & sq_mask[sq]) == (rid & sq_mask[sq]);
    case 2:
        return (rid >> 8) >= (sid >> 8) && (rid >> 8) <= (sid & 0xff);
    default:
        return false;
    }
}

static bool vtd_remap_msi(void *opaque, int32_t rid, uint64_t *addr, uint32_t *data)
{
    VTDState *s = opaque;
    if (!(s->gsts & G_IRE)) {
        return true;                    /* every request is compatibility format */
    }
    if (!(*addr & (1u << 4))) {
        /* compatibility format: passes only while CFIS says so (xAPIC mode) */
        if ((s->gsts & G_CFI) && !(s->irta & IRTA_EIME)) {
            return true;
        }
        vtd_ir_fault(s, rid, FR_IR_REQ_COMPAT, 0, false);
        return false;
    }
    /* remappable format: handle[14:0] in address bits 19:5, handle[15] in
     * bit 2, SHV in bit 3 adds the subhandle in data bits 15:0 */
    uint32_t index = ((*addr >> 5) & 0x7fff) | (((*addr >> 2) & 1) << 15);
    if (*addr & (1u << 3)) {
        index += *data & 0xffff;
    }
    if (index >= s->irt_entries) {
        vtd_ir_fault(s, rid, FR_IR_INDEX_OVER, index, false);
        return false;
    }
    uint64_t lo, hi;
    if (!vtd_ram_ld128(s->irt_base + index * 16ull, &lo, &hi)) {
        vtd_ir_fault(s, rid, FR_IR_ROOT_INV, index, false);
        return false;
    }
    bool fpd = lo & 2;
    if (!(lo & 1)) {
        vtd_ir_fault(s, rid, FR_IR_ENTRY_P, index, fpd);
        return false;
    }
    /* reserved: bits 14:12, IM (15: no posted interrupts), 31:24, 127:84 */
    if ((lo & 0xff00f000ull) || (hi & ~0xfffffull)) {
        vtd_ir_fault(s, rid, FR_IR_IRTE_RSVD, index, fpd);
        return false;
    }
    if (rid >= 0 && !vtd_sid_ok(hi, rid)) {
        vtd_ir_fault(s, rid, FR_IR_SID_ERR, index, fpd);
        return false;
    }
    /* xAPIC mode: the destination is DST[15:8] (bits 47:40) */
    uint32_t dest = (lo >> 40) & 0xff;
    *addr = 0xfee00000ull | (dest << 12) | (((lo >> 3) & 1) << 3) | (((lo >> 2) & 1) << 2);
    *data = ((lo >> 16) & 0xff) | (((lo >> 5) & 7) << 8) | (1u << 14) | (((lo >> 4) & 1) << 15);
    return true;
}

static const PCIIOMMUOps vtd_pci_ops = {
    .translate = vtd_translate,
    .remap_msi = vtd_remap_msi,
};

/* ---- invalidation (spec 6.5) ---- */

/* Queued invalidation: descriptors from IQH up to IQT (6.5.2).  Nothing is
 * cached, so only the wait descriptor does anything. */
static void vtd_iq_process(VTDState *s)
{
    if (!(s->gsts & G_QIE) || (s->fsts & FSTS_IQE)) {
        return;
    }
    uint32_t entries = 1u << ((s->iqa & 7) + 8);        /* 2^QS pages of 256 */
    uint64_t base = s->iqa & s->haw_mask & ~0xfffull;
    uint32_t tail = (s->iqt >> 4) & 0x7fff;
    if (tail >= entries) {
        vlog(LOG_GUEST_ERRORS, "intel-iommu: IQT %u beyond a queue of %u\n", tail, entries);
        vtd_iq_error(s);
        return;
    }
    uint32_t head = (s->iqh >> 4) & 0x7fff;
    for (uint32_t n = 0; head != tail && n < entries; n++) {
        uint64_t lo, hi;
        if (head >= entries || !vtd_ram_ld128(base + head * 16ull, &lo, &hi)) {
            vlog(LOG_GUEST_ERRORS, "intel-iommu: invalidation descriptor %u not in RAM\n", head);
            vtd_iq_error(s);
            break;
        }
        unsigned type = lo & 0xf;
        bool ok = !(lo & 0xe00);                        /* type[6:4] */
        switch (type) {
        case 1: /* context-cache */
        case 2: /* IOTLB */
        case 4: /* interrupt entry cache */
            break;
        case 5: /* invalidation wait */
            if (lo & (1u << 5)) {                       /* SW: status write */
                if (!vtd_ram_st32(hi & ~3ull, lo >> 32)) {
                    vlog(LOG_GUEST_ERRORS, "intel-iommu: wait status address 0x%" PRIx64
                         " is not RAM\n", (uint64_t)(hi & ~3ull));
                }
            }
            if (lo & (1u << 4)) {                       /* IF */
                vtd_completion_event(s);
            }
            break;
        default:   /* device-TLB (no ECAP.DT), PASID types (no scalable mode) */
            ok = false;
            break;
        }
        if (!ok) {
            vlog(LOG_GUEST_ERRORS, "intel-iommu: invalid descriptor %u: 0x%016" PRIx64
                 " 0x%016" PRIx64 "\n", head, hi, lo);
            vtd_iq_error(s);            /* IQH stays on the bad one */
            break;
        }
        head = (head + 1) % entries;
        s->iqh = (uint64_t)head << 4;
    }
}

/* ---- GCMD (10.4.4) ---- */

static void vtd_gcmd_write(VTDState *s, uint32_t v)
{
    uint32_t changed = v ^ s->gsts;
    if (changed & G_TE) {
        s->gsts ^= G_TE;
    }
    if (v & G_SRTP) {
        s->root = s->rtaddr & s->haw_mask & ~0xfffull;
        s->gsts |= G_SRTP;
    }
    if (changed & G_QIE) {
        s->gsts ^= G_QIE;
        s->iqh = 0;
        vtd_iq_process(s);
    }
    if ((v & G_SIRTP) && (s->ecap & ECAP_IR)) {
        s->irt_base = s->irta & s->haw_mask & ~0xfffull;
        s->irt_entries = 2u << (s->irta & 0xf);
        s->gsts |= G_SIRTP;
    }
    if ((changed & G_IRE) && (s->ecap & ECAP_IR)) {
        s->gsts ^= G_IRE;
    }
    if ((changed & G_CFI) && (s->ecap & ECAP_IR)) {
        s->gsts ^= G_CFI;
    }
}

/* ---- MMIO ---- */

static uint32_t vtd_read32(VTDState *s, hwaddr off)
{
    switch (off) {
    case VTD_VER: return VTD_VERSION;
    case VTD_CAP: return s->cap;
    case VTD_CAP + 4: return s->cap >> 32;
    case VTD_ECAP: return s->ecap;
    case VTD_ECAP + 4: return s->ecap >> 32;
    case VTD_GSTS: return s->gsts;
    case VTD_RTADDR: return s->rtaddr;
    case VTD_RTADDR + 4: return s->rtaddr >> 32;
    case VTD_CCMD: return s->ccmd;
    case VTD_CCMD + 4: return s->ccmd >> 32;
    case VTD_FSTS: return vtd_fsts(s);
    case VTD_FECTL: return s->fectl;
    case VTD_FEDATA: return s->fedata;
    case VTD_FEADDR: return s->feaddr;
    case VTD_IQH: return s->iqh;
    case VTD_IQT: return s->iqt;
    case VTD_IQA: return s->iqa;
    case VTD_IQA + 4: return s->iqa >> 32;
    case VTD_ICS: return s->ics;
    case VTD_IECTL: return s->iectl;
    case VTD_IEDATA: return s->iedata;
    case VTD_IEADDR: return s->ieaddr;
    case VTD_IRTA: return s->irta;
    case VTD_IRTA + 4: return s->irta >> 32;
    case VTD_IVA: return s->iva;
    case VTD_IVA + 4: return s->iva >> 32;
    case VTD_IOTLB: return s->iotlb;
    case VTD_IOTLB + 4: return s->iotlb >> 32;
    case VTD_FRCD: return s->frcd_lo;
    case VTD_FRCD + 4: return s->frcd_lo >> 32;
    case VTD_FRCD + 8: return s->frcd_hi;
    case VTD_FRCD + 12: return s->frcd_hi >> 32;
    default:
        return 0;       /* GCMD, and what CAP/ECAP do not offer (PMR, PRQ, MTRRs) */
    }
}

static void vtd_set_hi(uint64_t *r, uint32_t v) { *r = (*r & 0xffffffffull) | (uint64_t)v << 32; }
static void vtd_set_lo(uint64_t *r, uint32_t v) { *r = (*r & ~0xffffffffull) | v; }

static void vtd_write32(VTDState *s, hwaddr off, uint32_t v)
{
    switch (off) {
    case VTD_GCMD:
        vtd_gcmd_write(s, v);
        break;
    case VTD_RTADDR:
        vtd_set_lo(&s->rtaddr, v & ~0x3ffu);    /* TTM 11:10, RTA 63:12 */
        break;
    case VTD_RTADDR + 4:
        vtd_set_hi(&s->rtaddr, v);
        break;
    case VTD_CCMD:
        vtd_set_lo(&s->ccmd, v);
        break;
    case VTD_CCMD + 4:
        vtd_set_hi(&s->ccmd, v);
        if (s->ccmd & CCMD_ICC) {
            /* nothing cached: done at once, at the granularity asked (CAIG = CIRG) */
            uint64_t cirg = (s->ccmd >> 61) & 3;
            s->ccmd = (s->ccmd & ~(CCMD_ICC | (3ull << 59))) | (cirg << 59);
        }
        break;
    case VTD_FSTS:
        s->fsts &= ~(v & FSTS_W1C);
        vtd_fault_update_ip(s);
        vtd_iq_process(s);              /* IQE cleared: fetching resumes */
        break;
    case VTD_FECTL:
        s->fectl = (s->fectl & ~EC_IM) | (v & EC_IM);
        if (!(s->fectl & EC_IM) && (s->fectl & EC_IP)) {
            vtd_send_event(s, s->feaddr, s->fedata, "fault");
            s->fectl &= ~EC_IP;
        }
        break;
    case VTD_FEDATA:
        s->fedata = v & 0xffff;
        break;
    case VTD_FEADDR:
        s->feaddr = v & ~3u;
        break;
    case VTD_IQT:
        s->iqt = v & 0x7fff0u;
        vtd_iq_process(s);
        break;
    case VTD_IQA:
        vtd_set_lo(&s->iqa, v & 0xfffff007u);   /* IQA 63:12, QS 2:0 */
        break;
    case VTD_IQA + 4:
        vtd_set_hi(&s->iqa, v);
        break;
    case VTD_ICS:
        if (v & ICS_IWC) {
            s->ics &= ~ICS_IWC;
            s->iectl &= ~EC_IP;
        }
        break;
    case VTD_IECTL:
        s->iectl = (s->iectl & ~EC_IM) | (v & EC_IM);
        if (!(s->iectl & EC_IM) && (s->iectl & EC_IP)) {
            vtd_send_event(s, s->ieaddr, s->iedata, "invalidation completion");
            s->iectl &= ~EC_IP;
        }
        break;
    case VTD_IEDATA:
        s->iedata = v & 0xffff;
        break;
    case VTD_IEADDR:
        s->ieaddr = v & ~3u;
        break;
    case VTD_IRTA:
        vtd_set_lo(&s->irta, v & 0xfffff00fu);  /* IRTA 63:12, S 3:0 (no EIME without EIM) */
        break;
    case VTD_IRTA + 4:
        vtd_set_hi(&s->irta, v);
        break;
    case VTD_IVA:
        vtd_set_lo(&s->iva, v & 0xfffff07fu);   /* ADDR 63:12, IH 6, AM 5:0 */
        break;
    case VTD_IVA + 4:
        vtd_set_hi(&s->iva, v);
        break;
    case VTD_IOTLB:
        vtd_set_lo(&s->iotlb, 0);
        break;
    case VTD_IOTLB + 4:
        /* IVT 63, IIRG 61:60, DR 49, DW 48, DID 47:32; IAIG 58:57 is ours */
        vtd_set_hi(&s->iotlb, v & 0xb003ffffu);
        if (s->iotlb & IOTLB_IVT) {
            uint64_t iirg = (s->iotlb >> 60) & 3;
            s->iotlb = (s->iotlb & ~IOTLB_IVT) | (iirg << 57);
        }
        break;
    case VTD_FRCD + 12:
        if (v & (1u << 31)) {           /* F is write-1-to-clear */
            s->frcd_hi &= ~FRCD_F;
            vtd_fault_update_ip(s);
        }
        break;
    case VTD_FEUADDR:
    case VTD_IEUADDR:
    case VTD_IQT + 4:
    case VTD_FRCD:
    case VTD_FRCD + 4:
    case VTD_FRCD + 8:
        break;                          /* reserved without EIM / read-only halves */
    default:
        vlog(LOG_GUEST_ERRORS, "intel-iommu: write of 0x%08x to %s register 0x%03x ignored\n",
             v, off < VTD_GSTS + 4 || off == VTD_IQH || off == VTD_IQH + 4 ? "read-only"
                                                                            : "unknown",
             (unsigned)off);
        break;
    }
}

static uint64_t vtd_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VTDState *s = opaque;
    if (addr & (size - 1)) {
        vlog(LOG_GUEST_ERRORS, "intel-iommu: unaligned %u-byte read at 0x%03x\n", size,
             (unsigned)addr);
        return 0;
    }
    uint64_t v = vtd_read32(s, addr);
    if (size == 8) {
        v |= (uint64_t)vtd_read32(s, addr + 4) << 32;
    }
    return v;
}

static void vtd_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VTDState *s = opaque;
    if (addr & (size - 1)) {
        vlog(LOG_GUEST_ERRORS, "intel-iommu: unaligned %u-byte write at 0x%03x ignored\n", size,
             (unsigned)addr);
        return;
    }
    /* a 64-bit register written whole acts when its upper half lands,
     * as two dword writes low then high do */
    vtd_write32(s, addr, (uint32_t)val);
    if (size == 8) {
        vtd_write32(s, addr + 4, val >> 32);
    }
}

static const MemoryRegionOps vtd_mmio_ops = {
    .read = vtd_mmio_read,
    .write = vtd_mmio_write,
    .min_access = 4,
    .max_access = 8,
};

/* ---- device ---- */

static void vtd_reset(Device *dev)
{
    VTDState *s = DEVICE_CAST(VTDState, dev);
    s->gsts = 0;
    s->rtaddr = s->root = 0;
    s->ccmd = 0;
    s->fsts = 0;
    s->fectl = EC_IM;
    s->fedata = s->feaddr = 0;
    s->iqh = s->iqt = s->iqa = 0;
    s->ics = 0;
    s->iectl = EC_IM;
    s->iedata = s->ieaddr = 0;
    s->irta = s->irt_base = 0;
    s->irt_entries = 0;
    s->iva = s->iotlb = 0;
    s->frcd_lo = s->frcd_hi = 0;
}

static bool vtd_parse_on_off_auto(const char *name, const char *v, bool dflt, bool *out,
                                  bool *is_on, GError **errp)
{
    *is_on = false;
    if (!v || !strcmp(v, "auto")) {
        *out = dflt;
    } else if (!strcmp(v, "on")) {
        *out = *is_on = true;
    } else if (!strcmp(v, "off")) {
        *out = false;
    } else {
        vireo_set_error(errp, "Parameter '%s' does not accept value '%s'", name, v);
        return false;
    }
    return true;
}

static bool vtd_realize(Device *dev, GError **errp)
{
    VTDState *s = DEVICE_CAST(VTDState, dev);
    bool eim, eim_on, ir_on;
    /* no in-kernel irqchip here: QEMU's auto turns interrupt remapping on */
    if (!vtd_parse_on_off_auto("intremap", s->intremap_prop, true, &s->intremap, &ir_on, errp) ||
        !vtd_parse_on_off_auto("eim", s->eim_prop, false, &eim, &eim_on, errp)) {
        return false;
    }
    if (eim_on && !s->intremap) {
        vireo_set_error(errp, "eim=on cannot be selected without intremap=on");
        return false;
    }
    if (eim_on) {
        /* the x2APIC destinations EIM offers need an x2APIC-capable APIC bus */
        vireo_set_error(errp, "eim=on requires accel=kvm,kernel-irqchip=split");
        return false;
    }
    if (s->aw_bits != 39 && s->aw_bits != 48) {
        vireo_set_error(errp, "Supported values for aw-bits are: 39, 48");
        return false;
    }
    s->haw_mask = (1ull << s->aw_bits) - 1;
    s->cap = CAP_FRO | CAP_ND_64K | CAP_MAMV | CAP_PSI | CAP_SLLPS_2M | CAP_SLLPS_1G |
             CAP_SAGAW_39 | CAP_MGAW(s->aw_bits);
    if (s->aw_bits == 48) {
        s->cap |= CAP_SAGAW_48;
    }
    if (s->dma_drain) {
        s->cap |= CAP_DRAIN;
    }
    if (s->caching_mode) {
        s->cap |= CAP_CM;
    }
    s->ecap = ECAP_QI | ECAP_IRO;
    if (s->intremap) {
        s->ecap |= ECAP_IR | ECAP_MHMV;
    }
    if (s->pt) {
        s->ecap |= ECAP_PT;
    }

    AcpiDmarConfig dmar = {
        .present = true,
        .base = VTD_MMIO_BASE,
        .aw_bits = s->aw_bits,
        .intremap = s->intremap,
        .ioapic_id = 0,
        .ioapic_sid = VTD_IOAPIC_SID,
    };
    s->bus = pc_iommu_plug(&vtd_pci_ops, s, &dmar, errp);
    if (!s->bus) {
        return false;
    }
    memory_region_init_io(&s->mmio, &vtd_mmio_ops, s, "intel-iommu", VTD_MMIO_SIZE);
    memory_region_add_subregion_overlap(address_space_memory.root, VTD_MMIO_BASE, &s->mmio, 1);
    vtd_reset(dev);
    return true;
}

static void vtd_print_info(Device *dev, GString *out)
{
    VTDState *s = DEVICE_CAST(VTDState, dev);
    g_string_append_printf(out, "intel-iommu: gsts=0x%08x root=0x%" PRIx64 " irt=0x%" PRIx64
                           "/%u fsts=0x%x iqh=0x%" PRIx64 " iqt=0x%" PRIx64 "\n",
                           s->gsts, s->root, s->irt_base, s->irt_entries, vtd_fsts(s), s->iqh,
                           s->iqt);
}

static const Property vtd_props[] = {
    DEFINE_PROP("intremap", PROP_STRING, VTDState, intremap_prop, "auto"),
    DEFINE_PROP("eim", PROP_STRING, VTDState, eim_prop, "auto"),
    DEFINE_PROP("caching-mode", PROP_BOOL, VTDState, caching_mode, "off"),
    DEFINE_PROP("aw-bits", PROP_U8, VTDState, aw_bits, "39"),
    DEFINE_PROP("pt", PROP_BOOL, VTDState, pt, "on"),
    DEFINE_PROP("dma-drain", PROP_BOOL, VTDState, dma_drain, "on"),
    DEFINE_PROP_END,
};

static const DeviceClass vtd_class = {
    .name = "intel-iommu",
    .desc = "Intel IOMMU (VT-d) DMA Remapping device",
    .bus = BUS_SYSTEM,
    .instance_size = sizeof(VTDState),
    .props = vtd_props,
    .user_creatable = true,
    .realize = vtd_realize,
    .reset = vtd_reset,
    .print_info = vtd_print_info,
};

DEVICE_REGISTER(vtd_class)
