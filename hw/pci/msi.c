/* MSI: see msi.h.  Register layout from PCI Local Bus 3.0, 6.8.1. */
#include "hw/pci/msi.h"

#include <glib.h>
#include <string.h>

/* Message Control (capability + 2) */
#define MSI_CTRL_ENABLE     0x0001
#define MSI_CTRL_MMC_SHIFT  1           /* bits 3:1, RO: log2 vectors requested */
#define MSI_CTRL_MMC_MASK   0x000e
#define MSI_CTRL_MME_SHIFT  4           /* bits 6:4, RW: log2 vectors allocated */
#define MSI_CTRL_MME_MASK   0x0070
#define MSI_CTRL_64BIT      0x0080
#define MSI_CTRL_MASKBIT    0x0100

#define MSI_ADDR_LO         4

static uint16_t msi_ctrl(PCIDevice *d)
{
    return pci_get_word(d->config + d->msi_cap + 2);
}

static bool msi_is_64(uint16_t ctrl)
{
    return ctrl & MSI_CTRL_64BIT;
}

/* The fields after the address move by 4 bytes when the upper address
 * dword is there. */
static unsigned msi_data_off(uint16_t ctrl)
{
    return msi_is_64(ctrl) ? 0x0c : 0x08;
}

static unsigned msi_mask_off(uint16_t ctrl)
{
    return msi_is_64(ctrl) ? 0x10 : 0x0c;
}

static unsigned msi_pending_off(uint16_t ctrl)
{
    return msi_mask_off(ctrl) + 4;
}

static unsigned msi_cap_size(bool addr64, bool per_vector_mask)
{
    /* id, next, control, address low, [address high], data (16 bits),
     * [reserved 16 bits, mask dword, pending dword] */
    unsigned size = (addr64 ? 0x0c : 0x08) + 2;
    return per_vector_mask ? size + 2 + 8 : size;
}

void msi_init(PCIDevice *d, unsigned nvectors, bool addr64, bool per_vector_mask)
{
    g_assert(nvectors >= 1 && nvectors <= MSI_MAX_VECTORS && !(nvectors & (nvectors - 1)));
    g_assert(!d->msi_cap);
    unsigned size = msi_cap_size(addr64, per_vector_mask);
    uint8_t pos = pci_add_capability(d, PCI_CAP_ID_MSI, size);
    d->msi_cap = pos;

    uint16_t ctrl = (uint16_t)(g_bit_storage(nvectors) - 1) << MSI_CTRL_MMC_SHIFT;
    if (addr64) {
        ctrl |= MSI_CTRL_64BIT;
    }
    if (per_vector_mask) {
        ctrl |= MSI_CTRL_MASKBIT;
    }
    pci_set_word(d->config + pos + 2, ctrl);
    /* Enable and Multiple Message Enable are software's; the rest of
     * Message Control says what the function can do */
    pci_set_word(d->wmask + pos + 2, MSI_CTRL_ENABLE | MSI_CTRL_MME_MASK);
    /* the address is dword aligned: bits 1:0 read as 0 */
    pci_set_long(d->wmask + pos + MSI_ADDR_LO, 0xfffffffcu);
    if (addr64) {
        pci_set_long(d->wmask + pos + MSI_ADDR_LO + 4, 0xffffffffu);
    }
    pci_set_word(d->wmask + pos + msi_data_off(ctrl), 0xffff);
    if (per_vector_mask) {
        /* mask bits exist for the vectors the function has; pending bits
         * are the function's to set */
        uint32_t vecs = nvectors == 32 ? 0xffffffffu : (1u << nvectors) - 1;
        pci_set_long(d->wmask + pos + msi_mask_off(ctrl), vecs);
    }
    /* a reset brings the capability back as it is now */
    memcpy(d->reset_config + pos, d->config + pos, size);
}

bool msi_enabled(PCIDevice *d)
{
    return d->msi_cap && (msi_ctrl(d) & MSI_CTRL_ENABLE);
}

static unsigned msi_nr_requested(uint16_t ctrl)
{
    return 1u << ((ctrl & MSI_CTRL_MMC_MASK) >> MSI_CTRL_MMC_SHIFT);
}

unsigned msi_nr_vectors_allocated(PCIDevice *d)
{
    if (!msi_enabled(d)) {
        return 0;
    }
    uint16_t ctrl = msi_ctrl(d);
    /* Message Control: software must not allocate more than was requested (and
     * 110b/111b are reserved); if it does anyway, the function uses what
     * it asked for */
    unsigned mme = (ctrl & MSI_CTRL_MME_MASK) >> MSI_CTRL_MME_SHIFT;
    return MIN(1u << mme, msi_nr_requested(ctrl));
}

static bool msi_vector_masked(PCIDevice *d, uint16_t ctrl, unsigned v)
{
    return (ctrl & MSI_CTRL_MASKBIT) &&
           (pci_get_long(d->config + d->msi_cap + msi_mask_off(ctrl)) & (1u << v));
}

static void msi_set_pending(PCIDevice *d, uint16_t ctrl, unsigned v, bool on)
{
    uint8_t *p = d->config + d->msi_cap + msi_pending_off(ctrl);
    uint32_t bits = pci_get_long(p);
    pci_set_long(p, on ? bits | (1u << v) : bits & ~(1u << v));
}

static void msi_send(PCIDevice *d, uint16_t ctrl, unsigned v, unsigned allocated)
{
    const uint8_t *c = d->config + d->msi_cap;
    uint64_t addr = pci_get_long(c + MSI_ADDR_LO);
    if (msi_is_64(ctrl)) {
        addr |= (uint64_t)pci_get_long(c + MSI_ADDR_LO + 4) << 32;
    }
    /* with n vectors allocated the function puts the vector number in the
     * low log2(n) bits of the data; the message's upper 16 bits are 0 */
    uint32_t data = pci_get_word(c + msi_data_off(ctrl));
    data = (data & ~(allocated - 1)) | v;
    pci_msi_send(d, addr, data);
}

void msi_notify(PCIDevice *d, unsigned v)
{
    unsigned allocated = msi_nr_vectors_allocated(d);
    if (!allocated) {
        return;
    }
    uint16_t ctrl = msi_ctrl(d);
    g_assert(v < msi_nr_requested(ctrl));      /* the model's own vectors */
    v %= allocated;
    if (msi_vector_masked(d, ctrl, v)) {
        msi_set_pending(d, ctrl, v, true);
        return;
    }
    msi_send(d, ctrl, v, allocated);
}

void msi_reset(PCIDevice *d)
{
    if (!d->msi_cap) {
        return;
    }
    uint8_t *c = d->config + d->msi_cap;
    uint16_t ctrl = msi_ctrl(d) & ~(MSI_CTRL_ENABLE | MSI_CTRL_MME_MASK);
    pci_set_word(c + 2, ctrl);
    pci_set_long(c + MSI_ADDR_LO, 0);
    if (msi_is_64(ctrl)) {
        pci_set_long(c + MSI_ADDR_LO + 4, 0);
    }
    pci_set_word(c + msi_data_off(ctrl), 0);
    if (ctrl & MSI_CTRL_MASKBIT) {
        pci_set_long(c + msi_mask_off(ctrl), 0);
        pci_set_long(c + msi_pending_off(ctrl), 0);
    }
}

void msi_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    if (!d->msi_cap || addr >= d->msi_cap + d->cap_size[d->msi_cap] ||
        addr + len <= d->msi_cap) {
        return;
    }
    uint16_t ctrl = msi_ctrl(d);
    if (!(ctrl & MSI_CTRL_MASKBIT)) {
        return;
    }
    /* Mask Bits: a vector whose mask bit is cleared while its pending bit
     * is set is sent then; while MSI is off nothing is sent and the pending
     * bits wait */
    unsigned allocated = msi_nr_vectors_allocated(d);
    uint32_t pending = pci_get_long(d->config + d->msi_cap + msi_pending_off(ctrl));
    for (unsigned v = 0; v < allocated; v++) {
        if ((pending & (1u << v)) && !msi_vector_masked(d, ctrl, v)) {
            msi_set_pending(d, ctrl, v, false);
            msi_send(d, ctrl, v, allocated);
        }
    }
}
