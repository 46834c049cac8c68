/*
 * fw_cfg: signature and ID through the I/O ports, the file directory,
 * DMA reads into RAM and DMA with hostile descriptors.
 */
#include <glib.h>
#include <string.h>

#include "hw/nvram/fw_cfg.h"
#include "pc-test-util.h"

static MemoryRegion ram;
static FWCfgState *fw;
#define RAM_SIZE (1 << 20)

static void machine_init(void)
{
    test_address_spaces_init();
    memory_region_init_ram(&ram, "ram", RAM_SIZE);
    memory_region_add_subregion(address_space_memory.root, 0, &ram);
    fw = fw_cfg_init_io(true, &address_space_memory);
}

static void read_item(uint16_t key, void *buf, size_t len)
{
    outw_(0x510, key);
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = inb_(0x511);
    }
}

static void test_signature_id(void)
{
    char sig[5] = { 0 };
    read_item(FW_CFG_SIGNATURE, sig, 4);
    g_assert_cmpstr(sig, ==, "QEMU");
    uint32_t id;
    read_item(FW_CFG_ID, &id, 4);
    g_assert_cmphex(GUINT32_FROM_LE(id), ==, 3);
    /* reading past the end gives zeros */
    g_assert_cmphex(inb_(0x511), ==, 0);
    /* unknown and out-of-range keys read zeros */
    outw_(0x510, 0x3fff);
    g_assert_cmphex(inb_(0x511), ==, 0);
    /* DMA port signature */
    g_assert_cmphex(inb_(0x514), ==, 'Q');
    g_assert_cmphex(inb_(0x51b), ==, 'G');
}

static void test_integers(void)
{
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 0x123456789ull);
    uint64_t v;
    read_item(FW_CFG_RAM_SIZE, &v, 8);
    g_assert_cmphex(GUINT64_FROM_LE(v), ==, 0x123456789ull);
    fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    uint32_t w;
    read_item(FW_CFG_IRQ0_OVERRIDE, &w, 4);
    g_assert_cmphex(GUINT32_FROM_LE(w), ==, 1);
}

typedef struct __attribute__((packed)) {
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[56];
} DirEntry;

static void test_directory(void)
{
    g_assert_cmpint(fw_cfg_add_file(fw, "zeta", "zzz", 3), >=, FW_CFG_FILE_FIRST);
    g_assert_cmpint(fw_cfg_add_file(fw, "alpha", "a", 1), >=, FW_CFG_FILE_FIRST);
    g_assert_cmpint(fw_cfg_add_file(fw, "etc/mid", "hello world", 11), >=, FW_CFG_FILE_FIRST);
    g_assert_cmpint(fw_cfg_add_file(fw, "alpha", "b", 1), ==, -1);   /* duplicate */

    uint32_t count;
    read_item(FW_CFG_FILE_DIR, &count, 4);
    count = GUINT32_FROM_BE(count);
    g_assert_cmpuint(count, ==, 3);
    DirEntry e[3];
    for (unsigned i = 0; i < count; i++) {
        for (size_t j = 0; j < sizeof(DirEntry); j++) {
            ((uint8_t *)&e[i])[j] = inb_(0x511);
        }
    }
    g_assert_cmpstr(e[0].name, ==, "alpha");
    g_assert_cmpstr(e[1].name, ==, "etc/mid");
    g_assert_cmpstr(e[2].name, ==, "zeta");
    g_assert_cmpuint(GUINT32_FROM_BE(e[1].size), ==, 11);
    g_assert_cmpint(GUINT16_FROM_BE(e[1].select), ==, fw_cfg_find_file(fw, "etc/mid"));

    char buf[12] = { 0 };
    read_item(GUINT16_FROM_BE(e[1].select), buf, 11);
    g_assert_cmpstr(buf, ==, "hello world");
}

/* Put a descriptor at desc and kick the DMA engine the way SeaBIOS does. */
static uint32_t dma(uint64_t desc, uint32_t control, uint32_t len, uint64_t addr)
{
    uint32_t d[4] = {
        GUINT32_TO_BE(control), GUINT32_TO_BE(len),
        GUINT32_TO_BE((uint32_t)(addr >> 32)), GUINT32_TO_BE((uint32_t)addr),
    };
    address_space_write(&address_space_memory, desc, d, sizeof(d));
    outl_(0x514, GUINT32_TO_BE((uint32_t)(desc >> 32)));
    outl_(0x518, GUINT32_TO_BE((uint32_t)desc));
    uint32_t c = 0xffffffff;
    address_space_read(&address_space_memory, desc, &c, 4);
    return GUINT32_FROM_BE(c);
}

static void test_dma_read(void)
{
    int key = fw_cfg_find_file(fw, "etc/mid");
    g_assert_cmpint(key, >, 0);
    uint8_t *mem = ram.ram;
    memset(mem + 0x2000, 0xee, 32);
    uint32_t c = dma(0x1000, ((uint32_t)key << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                     16, 0x2000);
    g_assert_cmphex(c, ==, 0);
    g_assert_cmpmem(mem + 0x2000, 11, "hello world", 11);
    /* past the end of the item: zeros */
    for (int i = 11; i < 16; i++) {
        g_assert_cmphex(mem[0x2000 + i], ==, 0);
    }
    g_assert_cmphex(mem[0x2010], ==, 0xee);

    /* select, skip 6, read the rest */
    c = dma(0x1000, ((uint32_t)key << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 6, 0);
    g_assert_cmphex(c, ==, 0);
    c = dma(0x1000, FW_CFG_DMA_CTL_READ, 5, 0x3000);
    g_assert_cmphex(c, ==, 0);
    g_assert_cmpmem(mem + 0x3000, 5, "world", 5);
}

static void test_dma_errors(void)
{
    int key = fw_cfg_find_file(fw, "etc/mid");
    uint32_t ctl = ((uint32_t)key << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;

    /* target outside RAM */
    g_assert_cmphex(dma(0x1000, ctl, 16, 0xfffffff0ull), ==, FW_CFG_DMA_CTL_ERROR);
    /* target straddles the end of RAM */
    g_assert_cmphex(dma(0x1000, ctl, 64, RAM_SIZE - 8), ==, FW_CFG_DMA_CTL_ERROR);
    /* address wraps around 2^64 */
    g_assert_cmphex(dma(0x1000, ctl, 64, 0xfffffffffffffff0ull), ==, FW_CFG_DMA_CTL_ERROR);
    /* huge length: zero-fills RAM to its end, then fails; no crash */
    g_assert_cmphex(dma(0x1000, ctl, 0xffffffffu, RAM_SIZE - 0x10000), ==, FW_CFG_DMA_CTL_ERROR);
    /* write to a read-only item */
    g_assert_cmphex(dma(0x1000, ((uint32_t)key << 16) | FW_CFG_DMA_CTL_SELECT |
                        FW_CFG_DMA_CTL_WRITE, 4, 0x2000), ==, FW_CFG_DMA_CTL_ERROR);
    /* descriptor itself outside memory: ignored */
    outl_(0x514, 0);
    outl_(0x518, GUINT32_TO_BE(0xfffffff0u));
    /* still works afterwards */
    g_assert_cmphex(dma(0x1000, ctl, 4, 0x4000), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    machine_init();
    g_test_add_func("/fw_cfg/signature-id", test_signature_id);
    g_test_add_func("/fw_cfg/integers", test_integers);
    g_test_add_func("/fw_cfg/directory", test_directory);
    g_test_add_func("/fw_cfg/dma-read", test_dma_read);
    g_test_add_func("/fw_cfg/dma-errors", test_dma_errors);
    return g_test_run();
}
