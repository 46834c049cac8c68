/* MSI-X: see msix.h. */
#include "hw/pci/msix.h"

#include <string.h>

#include "util/log.h"

#define MSIX_CTRL_ENABLE    0x8000
#define MSIX_CTRL_MASKALL   0x4000
#define MSIX_ENTRY_SIZE     16
#define MSIX_VECTOR_MASKED  1u

static uint16_t msix_ctrl(PCIDevice *d)
{
    return pci_get_word(d->config + d->msix_cap + 2);
}

bool msix_enabled(PCIDevice *d)
{
    return d->msix && (msix_ctrl(d) & MSIX_CTRL_ENABLE);
}

static bool vector_masked(MSIXState *m, unsigned v)
{
    return (msix_ctrl(m->dev) & MSIX_CTRL_MASKALL) ||
           (pci_get_long(m->table + v * MSIX_ENTRY_SIZE + 12) & MSIX_VECTOR_MASKED);
}

static void send_vector(MSIXState *m, unsigned v)
{
    const uint8_t *e = m->table + v * MSIX_ENTRY_SIZE;
    uint64_t addr = pci_get_long(e) | (uint64_t)pci_get_long(e + 4) << 32;
    m->sent++;
    pci_msi_send(m->dev, addr, pci_get_long(e + 8));
}

void msix_notify(PCIDevice *d, unsigned v)
{
    MSIXState *m = d->msix;
    if (!msix_enabled(d) || v >= m->nvec) {
        return;
    }
    if (vector_masked(m, v)) {
        m->pba[v / 8] |= 1u << (v % 8);
        m->masked_pending++;
        return;
    }
    send_vector(m, v);
}

/* Deliver pending vectors that are no longer masked. */
static void msix_flush_pending(MSIXState *m)
{
    if (!msix_enabled(m->dev)) {
        return;
    }
    for (unsigned v = 0; v < m->nvec; v++) {
        if ((m->pba[v / 8] & (1u << (v % 8))) && !vector_masked(m, v)) {
            m->pba[v / 8] &= ~(1u << (v % 8));
            send_vector(m, v);
        }
    }
}

void msix_config_changed(PCIDevice *d)
{
    msix_flush_pending(d->msix);
}

static uint64_t table_read(void *opaque, hwaddr addr, unsigned size)
{
    MSIXState *m = opaque;
    if (addr + size > (uint64_t)m->nvec * MSIX_ENTRY_SIZE) {
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, m->table + addr, size);
    return v;
}

static void table_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    MSIXState *m = opaque;
    if (addr + size > (uint64_t)m->nvec * MSIX_ENTRY_SIZE) {
        vlog(LOG_GUEST_ERRORS, "msix: %s: table write past entry %u\n", m->dev->name, m->nvec);
        return;
    }
    unsigned v = addr / MSIX_ENTRY_SIZE;
    memcpy(m->table + addr, &val, size);
    /* only the mask bit of the vector control dword is writable */
    uint8_t *ctl = m->table + v * MSIX_ENTRY_SIZE + 12;
    pci_set_long(ctl, pci_get_long(ctl) & MSIX_VECTOR_MASKED);
    msix_flush_pending(m);
}

static const MemoryRegionOps table_ops = {
    .read = table_read, .write = table_write, .min_access = 4, .max_access = 8,
};

static uint64_t pba_read(void *opaque, hwaddr addr, unsigned size)
{
    MSIXState *m = opaque;
    uint64_t v = 0;
    unsigned len = (m->nvec + 63) / 64 * 8;
    if (addr + size <= len) {
        memcpy(&v, m->pba + addr, size);
    }
    return v;
}

static void pba_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    /* read-only */
}

static const MemoryRegionOps pba_ops = {
    .read = pba_read, .write = pba_write, .min_access = 4, .max_access = 8,
};

void msix_init(PCIDevice *d, unsigned nvec, int table_bar, uint32_t table_off,
               int pba_bar, uint32_t pba_off)
{
    g_assert(nvec >= 1 && nvec <= MSIX_MAX_VECTORS);
    MSIXState *m = g_new0(MSIXState, 1);
    m->dev = d;
    m->nvec = nvec;
    m->table = g_malloc0(nvec * MSIX_ENTRY_SIZE);
    m->pba = g_malloc0((nvec + 63) / 64 * 8);
    memory_region_init_io(&m->table_mr, &table_ops, m, "msix-table", nvec * MSIX_ENTRY_SIZE);
    memory_region_init_io(&m->pba_mr, &pba_ops, m, "msix-pba", (nvec + 63) / 64 * 8);
    d->msix = m;
    uint8_t pos = pci_add_capability(d, PCI_CAP_ID_MSIX, 12);
    d->msix_cap = pos;
    pci_set_word(d->config + pos + 2, nvec - 1);
    pci_set_long(d->config + pos + 4, table_off | table_bar);
    pci_set_long(d->config + pos + 8, pba_off | pba_bar);
    d->wmask[pos + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
    msix_reset(d);
}

void msix_uninit(PCIDevice *d)
{
    MSIXState *m = d->msix;
    if (!m) {
        return;
    }
    memory_region_destroy(&m->table_mr);
    memory_region_destroy(&m->pba_mr);
    g_free(m->table);
    g_free(m->pba);
    g_free(m);
    d->msix = NULL;
}

MemoryRegion *msix_table_region(PCIDevice *d)
{
    return &d->msix->table_mr;
}

MemoryRegion *msix_pba_region(PCIDevice *d)
{
    return &d->msix->pba_mr;
}

void msix_reset(PCIDevice *d)
{
    MSIXState *m = d->msix;
    if (!m) {
        return;
    }
    memset(m->table, 0, m->nvec * MSIX_ENTRY_SIZE);
    for (unsigned v = 0; v < m->nvec; v++) {
        pci_set_long(m->table + v * MSIX_ENTRY_SIZE + 12, MSIX_VECTOR_MASKED);
    }
    memset(m->pba, 0, (m->nvec + 63) / 64 * 8);
}
