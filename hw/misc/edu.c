/*
 * edu: QEMU's educational PCI device (docs/specs/edu.rst in QEMU), which
 * kvm-unit-tests' intel_iommu test drives: PCI 1234:11e8, revision 0x10,
 * class 00ffh, INTA and a one-vector 64-bit MSI capability, BAR0 1 MiB of
 * registers:
 *   0x00 RO  identification 0x010000ed (version 1.0)
 *   0x04 RW  liveness: reads the bitwise NOT of what was written
 *   0x08 RW  factorial: write n, read n! (mod 2^32)
 *   0x20 RW  status: bit 0 computing (RO), bit 7 raise 0x1 when a
 *            factorial is done
 *   0x24 RO  interrupt status
 *   0x60 WO  interrupt raise: ORed into the status, interrupts
 *   0x64 WO  interrupt acknowledge: cleared from the status
 *   0x80/0x88/0x90  DMA source, destination, count (64-bit registers)
 *   0x98 RW  DMA command: bit 0 start (reads 1 until done), bit 1
 *            direction (0 RAM to device, 1 device to RAM), bit 2 raise
 *            0x100 when done
 * Registers below 0x80 take 4-byte accesses, the DMA ones 4 or 8; other
 * sizes and offsets are ignored (reads all-ones), as in QEMU.  The device
 * side of a DMA is a 4 KiB buffer at device address 0x40000 (not in the
 * BAR).  Interrupts: the condition is "status != 0"; INTx follows it, and
 * each raise with MSI enabled sends vector 0 (pci.c keeps INTx low then).
 */
#include <inttypes.h>
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "util/log.h"

#define EDU_ID              0x010000edu
#define EDU_MMIO_SIZE       (1u << 20)

#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT   0x80

#define EDU_IRQ_FACT        0x00000001u
#define EDU_IRQ_DMA         0x00000100u

#define EDU_DMA_RUN         0x1
#define EDU_DMA_TO_RAM      0x2
#define EDU_DMA_IRQ         0x4

#define EDU_BUF_ADDR        0x40000
#define EDU_BUF_SIZE        4096

/* QEMU completes a transfer 100 ms (virtual) after the start command;
 * drivers poll the command register's start bit */
#define EDU_DMA_DELAY_NS    (100 * 1000 * 1000)

typedef struct EduState {
    PCIDevice pci;
    MemoryRegion mmio;
    Timer *dma_timer;
    uint64_t dma_mask;          /* "dma_mask": RAM-side DMA addresses are clamped to it */

    uint32_t liveness;
    uint32_t fact;
    uint32_t status;
    uint32_t irq_status;
    uint64_t dma_src, dma_dst, dma_cnt, dma_cmd;
    uint8_t buf[EDU_BUF_SIZE];
} EduState;

static void edu_update_intx(EduState *s)
{
    pci_set_irq(&s->pci, s->irq_status != 0);
}

static void edu_raise_irq(EduState *s, uint32_t bits)
{
    s->irq_status |= bits;
    if (!s->irq_status) {
        return;
    }
    edu_update_intx(s);
    /* a message is an edge: every raise sends one, as QEMU's edu does */
    if (msi_enabled(&s->pci)) {
        msi_notify(&s->pci, 0);
    }
}

static void edu_lower_irq(EduState *s, uint32_t bits)
{
    s->irq_status &= ~bits;
    edu_update_intx(s);
}

/* n! mod 2^32.  From 34! on the product holds 2^32 as a factor, so it is
 * 0: a guest's 0xffffffff costs 34 multiplications, not four billion. */
static uint32_t edu_factorial(uint32_t n)
{
    if (n >= 34) {
        return 0;
    }
    uint32_t r = 1;
    for (uint32_t i = 2; i <= n; i++) {
        r *= i;
    }
    return r;
}

/* The device-side range [addr, addr + cnt) must lie inside the buffer. */
static bool edu_buf_range(uint64_t addr, uint64_t cnt, uint32_t *off)
{
    if (addr < EDU_BUF_ADDR || cnt > EDU_BUF_SIZE ||
        addr - EDU_BUF_ADDR > EDU_BUF_SIZE - cnt) {
        return false;
    }
    *off = addr - EDU_BUF_ADDR;
    return true;
}

static uint64_t edu_clamp_ram_addr(EduState *s, uint64_t addr)
{
    uint64_t a = addr & s->dma_mask;
    if (a != addr) {
        vlog(LOG_GUEST_ERRORS, "edu: DMA address 0x%" PRIx64 " clamped to 0x%" PRIx64
             " (dma_mask 0x%" PRIx64 ")\n", addr, a, s->dma_mask);
    }
    return a;
}

/* The transfer itself, at the end of the command's delay.  A bad range
 * moves nothing; the command still completes (start bit clear, interrupt
 * if asked), so a driver polling it does not hang. */
static void edu_dma_done(void *opaque)
{
    EduState *s = opaque;
    if (!(s->dma_cmd & EDU_DMA_RUN)) {
        return;
    }
    bool to_ram = s->dma_cmd & EDU_DMA_TO_RAM;
    uint64_t dev = to_ram ? s->dma_src : s->dma_dst;
    uint64_t ram = to_ram ? s->dma_dst : s->dma_src;
    uint64_t cnt = s->dma_cnt;
    uint32_t off;

    if (!edu_buf_range(dev, cnt, &off)) {
        vlog(LOG_GUEST_ERRORS, "edu: DMA of 0x%" PRIx64 " bytes at device address 0x%" PRIx64
             " is outside the buffer 0x%x-0x%x: nothing transferred\n",
             cnt, dev, EDU_BUF_ADDR, EDU_BUF_ADDR + EDU_BUF_SIZE - 1);
    } else if (cnt) {
        ram = edu_clamp_ram_addr(s, ram);
        bool ok;
        if (to_ram) {
            ok = pci_dma_write(&s->pci, ram, s->buf + off, cnt);
        } else {
            /* through a copy: a refused read (bus mastering off) leaves
             * the buffer as it was */
            uint8_t tmp[EDU_BUF_SIZE];
            ok = pci_dma_read(&s->pci, ram, tmp, cnt);
            if (ok) {
                memcpy(s->buf + off, tmp, cnt);
            }
        }
        if (!ok) {
            vlog(LOG_GUEST_ERRORS, "edu: DMA %s RAM at 0x%" PRIx64 " refused (bus mastering "
                 "off or not memory)\n", to_ram ? "to" : "from", ram);
        }
    }
    s->dma_cmd &= ~(uint64_t)EDU_DMA_RUN;
    if (s->dma_cmd & EDU_DMA_IRQ) {
        edu_raise_irq(s, EDU_IRQ_DMA);
    }
}

static bool edu_size_ok(hwaddr addr, unsigned size)
{
    return addr < 0x80 ? size == 4 : (size == 4 || size == 8);
}

static uint64_t edu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    EduState *s = opaque;
    uint64_t val = ~0ull;

    if (!edu_size_ok(addr, size)) {
        vlog(LOG_GUEST_ERRORS, "edu: %u-byte read at 0x%" PRIx64 " ignored\n", size,
             (uint64_t)addr);
        return size == 8 ? val : val & ((1ull << (size * 8)) - 1);
    }
    switch (addr) {
    case 0x00: val = EDU_ID; break;
    case 0x04: val = s->liveness; break;
    case 0x08: val = s->fact; break;
    case 0x20: val = s->status; break;
    case 0x24: val = s->irq_status; break;
    case 0x80: val = s->dma_src; break;
    case 0x88: val = s->dma_dst; break;
    case 0x90: val = s->dma_cnt; break;
    case 0x98: val = s->dma_cmd; break;
    }
    return size == 8 ? val : (uint32_t)val;
}

static void edu_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    EduState *s = opaque;

    if (!edu_size_ok(addr, size)) {
        vlog(LOG_GUEST_ERRORS, "edu: %u-byte write at 0x%" PRIx64 " ignored\n", size,
             (uint64_t)addr);
        return;
    }
    if (size == 4) {
        val = (uint32_t)val;
    }
    /* while a transfer runs its registers stay as they were programmed */
    bool dma_busy = s->dma_cmd & EDU_DMA_RUN;
    switch (addr) {
    case 0x04:
        s->liveness = ~(uint32_t)val;
        break;
    case 0x08:
        /* QEMU computes in a thread and ignores n while the computing
         * bit is set; here the result is there at once, so the bit is
         * never seen set */
        if (!(s->status & EDU_STATUS_COMPUTING)) {
            s->fact = edu_factorial(val);
            if (s->status & EDU_STATUS_IRQFACT) {
                edu_raise_irq(s, EDU_IRQ_FACT);
            }
        }
        break;
    case 0x20:
        s->status = (s->status & ~EDU_STATUS_IRQFACT) | (val & EDU_STATUS_IRQFACT);
        break;
    case 0x60:
        edu_raise_irq(s, val);
        break;
    case 0x64:
        edu_lower_irq(s, val);
        break;
    case 0x80:
        if (!dma_busy) {
            s->dma_src = val;
        }
        break;
    case 0x88:
        if (!dma_busy) {
            s->dma_dst = val;
        }
        break;
    case 0x90:
        if (!dma_busy) {
            s->dma_cnt = val;
        }
        break;
    case 0x98:
        /* only a start command is taken, and not while one runs */
        if (!dma_busy && (val & EDU_DMA_RUN)) {
            s->dma_cmd = val;
            timer_mod(s->dma_timer, clock_get_ns(CLOCK_VIRTUAL) + EDU_DMA_DELAY_NS);
        }
        break;
    default:
        vlog(LOG_GUEST_ERRORS, "edu: write of 0x%" PRIx64 " to 0x%" PRIx64 " ignored\n",
             val, (uint64_t)addr);
        break;
    }
}

/* Sizes are checked by the handlers: 8-byte accesses reach them whole. */
static const MemoryRegionOps edu_mmio_ops = {
    .read = edu_mmio_read,
    .write = edu_mmio_write,
    .min_access = 1,
    .max_access = 8,
};

static void edu_reset_regs(EduState *s)
{
    timer_del(s->dma_timer);
    s->liveness = 0;
    s->fact = 0;
    s->status = 0;
    s->irq_status = 0;
    s->dma_src = s->dma_dst = s->dma_cnt = s->dma_cmd = 0;
    memset(s->buf, 0, sizeof(s->buf));
}

static void edu_pci_reset(PCIDevice *d)
{
    EduState *s = (EduState *)d;
    edu_reset_regs(s);
    msi_reset(d);
}

static bool edu_realize(Device *dev, GError **errp)
{
    EduState *s = DEVICE_CAST(EduState, dev);
    PCIDevice *pd = &s->pci;
    /* class 00ffh: QEMU's PCI_CLASS_OTHERS */
    if (!pci_device_init(pd, NULL, 0x1234, 0x11e8, 0x00ff, 0x10, errp)) {
        return false;
    }
    pd->name = "edu";
    memory_region_init_io(&s->mmio, &edu_mmio_ops, s, "edu-mmio", EDU_MMIO_SIZE);
    pci_register_bar(pd, 0, PCI_BAR_MEM32, &s->mmio);
    pci_set_interrupt_pin(pd, 1);
    /* one vector, 64-bit address, no masking: what QEMU's edu offers */
    msi_init(pd, 1, true, false);
    pd->reset = edu_pci_reset;
    s->dma_timer = timer_new(CLOCK_VIRTUAL, edu_dma_done, s);
    edu_reset_regs(s);
    return true;
}

static void edu_reset(Device *dev)
{
    pci_device_reset(&DEVICE_CAST(EduState, dev)->pci);
}

static void edu_unrealize(Device *dev)
{
    EduState *s = DEVICE_CAST(EduState, dev);
    pci_device_unregister(&s->pci);
    timer_free(s->dma_timer);
    memory_region_destroy(&s->mmio);
}

static const Property edu_props[] = {
    DEFINE_PROP_PCI_DEVFN(EduState, pci),
    /* QEMU's default: 28 bits, "for educational purposes" */
    DEFINE_PROP("dma_mask", PROP_U64, EduState, dma_mask, "0xfffffff"),
    DEFINE_PROP_END,
};

static const DeviceClass edu_class = {
    .name = "edu",
    .desc = "QEMU's educational PCI device (registers, interrupts, DMA)",
    .bus = BUS_PCI,
    .instance_size = sizeof(EduState),
    .props = edu_props,
    .user_creatable = true,
    .realize = edu_realize,
    .unrealize = edu_unrealize,
    .hotpluggable = true,
    .reset = edu_reset,
};
DEVICE_REGISTER(edu_class)
