/*
 * virtio-blk-pci through qtest, driven as a driver would (modern registers
 * in BAR4, split virtqueues in guest RAM), over a raw image the test reads
 * and writes itself:
 *   - identity (1af4:1001, class 0x0180, subsystem 2), the offered
 *     features and the device config (capacity, seg_max, blk_size,
 *     num_queues, discard limits, writeback);
 *   - write, read back, flush, get-id (serial=), discard, write-zeroes,
 *     checked against the image file on the host;
 *   - a request beyond the disk or not whole sectors is IOERR, an unknown
 *     type or a discard with flags UNSUPP, a write on a readonly drive
 *     IOERR (and RO is offered); the device keeps working after each;
 *   - a header shorter than 16 bytes, a chain without a status byte and
 *     a descriptor loop set DEVICE_NEEDS_RESET; a reset revives it;
 *   - four adjacent writes under one kick are merged into one drive
 *     request (query-blockstats wr_merged) and each still completes;
 *   - num-queues=2: a request on queue 1 completes on queue 1;
 *   - -drive if=virtio creates the device by itself; iostats report it;
 *   - a legacy driver on the I/O BAR (queue PFN, config at +20) writes
 *     and reads the serial, and the ISR shows the interrupt.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>

#include "tests/qtest/libqtest.h"

#define DEVFN       (4 << 3)
#define BAR4_ADDR   0xe0000000ull
#define BAR1_ADDR   0xe0100000ull
#define COMMON      (BAR4_ADDR + 0x0000)
#define DEVCFG      (BAR4_ADDR + 0x2000)
#define NOTIFY      (BAR4_ADDR + 0x3000)
#define QSIZE       64
#define Q0_BASE     0x100000
#define Q1_BASE     0x110000
#define BUFS        0x200000
#define IMG_SIZE    (4u << 20)

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WZ 13

typedef struct Ctx {
    QTestState *s;
    char *img;
    uint16_t avail[2];
    unsigned next_desc[2];
    uint64_t next_buf;
} Ctx;

static void w16(QTestState *s, uint64_t a, uint16_t v) { uint8_t b[2] = { v, v >> 8 }; qtest_memwrite(s, a, b, 2); }
static uint16_t r16(QTestState *s, uint64_t a) { uint8_t b[2]; qtest_memread(s, a, b, 2); return b[0] | b[1] << 8; }
static uint32_t r32(QTestState *s, uint64_t a) { uint8_t b[4]; qtest_memread(s, a, b, 4); return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }

static void common_writew(QTestState *s, unsigned off, uint16_t v)
{
    qtest_ok(s, "writew 0x%llx 0x%x", (unsigned long long)(COMMON + off), v);
}

static uint8_t status(QTestState *s) { return qtest_readb(s, COMMON + 20); }
static void set_status(QTestState *s, uint8_t st) { qtest_writeb(s, COMMON + 20, st); }

static uint64_t qbase(unsigned q) { return q ? Q1_BASE : Q0_BASE; }

static void desc(QTestState *s, uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t d[16];
    for (int k = 0; k < 8; k++) d[k] = addr >> (8 * k);
    for (int k = 0; k < 4; k++) d[8 + k] = len >> (8 * k);
    d[12] = flags; d[13] = flags >> 8; d[14] = next; d[15] = next >> 8;
    qtest_memwrite(s, table + 16ull * i, d, 16);
}

static void setup_queue(QTestState *s, unsigned q, uint16_t vector)
{
    uint64_t base = qbase(q);
    common_writew(s, 22, q);
    common_writew(s, 24, QSIZE);
    common_writew(s, 26, vector);
    qtest_writel(s, COMMON + 32, base);
    qtest_writel(s, COMMON + 36, 0);
    qtest_writel(s, COMMON + 40, base + 0x1000);
    qtest_writel(s, COMMON + 44, 0);
    qtest_writel(s, COMMON + 48, base + 0x2000);
    qtest_writel(s, COMMON + 52, 0);
    common_writew(s, 28, 1);
}

static uint64_t features_offered(QTestState *s)
{
    qtest_writel(s, COMMON + 0, 0);
    uint64_t f = qtest_readl(s, COMMON + 4);
    qtest_writel(s, COMMON + 0, 1);
    return f | (uint64_t)qtest_readl(s, COMMON + 4) << 32;
}

static void negotiate(Ctx *c, unsigned nq)
{
    QTestState *s = c->s;
    set_status(s, 0);
    set_status(s, 1 | 2);
    uint64_t f = features_offered(s);
    qtest_writel(s, COMMON + 8, 0);
    qtest_writel(s, COMMON + 12, (uint32_t)f);
    qtest_writel(s, COMMON + 8, 1);
    qtest_writel(s, COMMON + 12, f >> 32);
    set_status(s, 1 | 2 | 8);
    g_assert_cmpint(status(s) & 8, ==, 8);
    for (unsigned q = 0; q < nq; q++) {
        setup_queue(s, q, q);
        c->avail[q] = 0;
        c->next_desc[q] = 0;
    }
    set_status(s, 1 | 2 | 8 | 4);
    c->next_buf = BUFS;
}

static Ctx *start_with(const char *dev_opts, const char *drive_opts, bool create)
{
    Ctx *c = g_new0(Ctx, 1);
    c->img = g_strdup_printf("%s/vireo-vblk-qtest-%d.img", g_get_tmp_dir(), getpid());
    if (create) {
        FILE *f = fopen(c->img, "w");
        g_assert_nonnull(f);
        g_assert_cmpint(ftruncate(fileno(f), IMG_SIZE), ==, 0);
        fclose(f);
    }
    char *args = g_strdup_printf("-drive if=none,id=d0,format=raw,file=%s%s "
                                 "-device virtio-blk-pci,drive=d0,addr=4%s",
                                 c->img, drive_opts, dev_opts);
    c->s = qtest_start(args);
    g_free(args);
    qtest_pci_writel(c->s, DEVFN, 0x14, BAR1_ADDR);
    qtest_pci_writel(c->s, DEVFN, 0x20, BAR4_ADDR);
    qtest_pci_writel(c->s, DEVFN, 0x24, 0);
    qtest_pci_writel(c->s, DEVFN, 0x04, 0x0006);
    return c;
}

static Ctx *start(const char *dev_opts)
{
    return start_with(dev_opts, "", true);
}

static void stop(Ctx *c)
{
    qtest_quit(c->s);
    unlink(c->img);
    g_free(c->img);
    g_free(c);
}

static uint64_t alloc_buf(Ctx *c, uint32_t len)
{
    uint64_t a = c->next_buf;
    c->next_buf += (len + 0xfff) & ~0xfffu;
    return a;
}

/* A request's buffers, as a driver lays them out. */
typedef struct Req {
    uint64_t hdr, data, st;
    unsigned head;
} Req;

/* Queue a request (header, optional data, status) without kicking.
 * data_writable: the device writes data (IN, GET_ID). */
static Req queue_req(Ctx *c, unsigned q, uint32_t type, uint64_t sector, uint32_t data_len,
                     bool data_writable)
{
    QTestState *s = c->s;
    Req r = { .hdr = alloc_buf(c, 16), .st = alloc_buf(c, 1) };
    uint8_t h[16] = { type, type >> 8, type >> 16, type >> 24 };
    for (int k = 0; k < 8; k++) h[8 + k] = sector >> (8 * k);
    qtest_memwrite(s, r.hdr, h, 16);
    qtest_writeb(s, r.st, 0xee);
    uint64_t table = qbase(q);
    unsigned d0 = c->next_desc[q], n = data_len ? 3 : 2;
    c->next_desc[q] = (c->next_desc[q] + n) % QSIZE;
    unsigned d1 = (d0 + 1) % QSIZE, d2 = (d0 + 2) % QSIZE;
    desc(s, table, d0, r.hdr, 16, 1, d1);
    if (data_len) {
        r.data = alloc_buf(c, data_len);
        desc(s, table, d1, r.data, data_len, 1 | (data_writable ? 2 : 0), d2);
        desc(s, table, d2, r.st, 1, 2, 0);
    } else {
        desc(s, table, d1, r.st, 1, 2, 0);
    }
    w16(s, table + 0x1000 + 4 + 2 * (c->avail[q] % QSIZE), d0);
    c->avail[q]++;
    w16(s, table + 0x1000 + 2, c->avail[q]);
    r.head = d0;
    return r;
}

static void kick(Ctx *c, unsigned q)
{
    qtest_writel(c->s, NOTIFY + 4 * q, q);
}

/* Wait until the used index reaches the avail index. */
static void wait_done(Ctx *c, unsigned q)
{
    for (int i = 0; i < 5000; i++) {
        if (r16(c->s, qbase(q) + 0x2000 + 2) == c->avail[q]) {
            return;
        }
        g_usleep(1000);
    }
    g_assert_cmpuint(r16(c->s, qbase(q) + 0x2000 + 2), ==, c->avail[q]);
}

/* Issue one request, wait for it, return its status byte. */
static uint8_t do_req(Ctx *c, uint32_t type, uint64_t sector, const void *out, uint32_t len,
                      void *in)
{
    Req r = queue_req(c, 0, type, sector, len, in != NULL);
    if (out && len) {
        qtest_memwrite(c->s, r.data, out, len);
    }
    kick(c, 0);
    wait_done(c, 0);
    if (in && len) {
        qtest_memread(c->s, r.data, in, len);
    }
    return qtest_readb(c->s, r.st);
}

static void file_read(Ctx *c, uint64_t off, void *buf, size_t len)
{
    FILE *f = fopen(c->img, "r");
    g_assert_nonnull(f);
    g_assert_cmpint(fseek(f, off, SEEK_SET), ==, 0);
    g_assert_cmpuint(fread(buf, 1, len, f), ==, len);
    fclose(f);
}

static void file_write(Ctx *c, uint64_t off, const void *buf, size_t len)
{
    FILE *f = fopen(c->img, "r+");
    g_assert_nonnull(f);
    g_assert_cmpint(fseek(f, off, SEEK_SET), ==, 0);
    g_assert_cmpuint(fwrite(buf, 1, len, f), ==, len);
    fclose(f);
}

static void test_identity_and_config(void)
{
    Ctx *c = start(",serial=VIREO123");
    QTestState *s = c->s;
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0x10011af4);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 8) >> 16, ==, 0x0180);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x2c) >> 16, ==, 2);
    uint64_t f = features_offered(s);
    /* SIZE_MAX SEG_MAX GEOMETRY BLK_SIZE FLUSH TOPOLOGY CONFIG_WCE DISCARD WRITE_ZEROES */
    uint64_t want = 1 << 1 | 1 << 2 | 1 << 4 | 1 << 6 | 1 << 9 | 1 << 10 | 1 << 11 | 1 << 13 | 1 << 14;
    g_assert_cmphex(f & 0xffff, ==, want);
    g_assert_cmphex(f >> 28 & 3, ==, 3);             /* indirect descriptors, event idx */
    g_assert_cmphex(f >> 32 & 1, ==, 1);             /* VERSION_1 */
    g_assert_cmphex(qtest_readl(s, DEVCFG + 0), ==, IMG_SIZE / 512);    /* capacity */
    g_assert_cmphex(qtest_readl(s, DEVCFG + 4), ==, 0);
    g_assert_cmpuint(qtest_readl(s, DEVCFG + 12), ==, 254);             /* seg_max */
    g_assert_cmpuint(qtest_readl(s, DEVCFG + 20), ==, 512);             /* blk_size */
    g_assert_cmpuint(qtest_readb(s, DEVCFG + 32), ==, 1);               /* writeback */
    g_assert_cmpuint(qtest_readl(s, DEVCFG + 32) >> 16, ==, 1);         /* num_queues */
    g_assert_cmpuint(qtest_readl(s, DEVCFG + 40), >=, 1);               /* max_discard_seg */
    /* the driver turns the write cache off (CONFIG_WCE negotiated) */
    negotiate(c, 1);
    qtest_writeb(s, DEVCFG + 32, 0);
    g_assert_cmpuint(qtest_readb(s, DEVCFG + 32), ==, 0);
    stop(c);
}

static void test_rw_flush_id_discard(void)
{
    Ctx *c = start_with(",serial=VIREO123", ",discard=unmap", true);
    negotiate(c, 1);
    uint8_t pat[8192], got[8192];
    for (unsigned i = 0; i < sizeof(pat); i++) pat[i] = i * 7 + 3;
    g_assert_cmpint(do_req(c, T_OUT, 16, pat, sizeof(pat), NULL), ==, 0);
    file_read(c, 16 * 512, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), pat, sizeof(pat));
    /* what the host writes, the guest reads */
    memset(got, 0, sizeof(got));
    uint8_t host[4096];
    for (unsigned i = 0; i < sizeof(host); i++) host[i] = i ^ 0x5a;
    file_write(c, 100 * 512, host, sizeof(host));
    g_assert_cmpint(do_req(c, T_IN, 100, NULL, sizeof(host), got), ==, 0);
    g_assert_cmpmem(got, sizeof(host), host, sizeof(host));
    /* used length of a read: data plus the status byte */
    g_assert_cmpuint(r32(c->s, Q0_BASE + 0x2000 + 4 + 8 * 1 + 4), ==, sizeof(host) + 1);
    g_assert_cmpint(do_req(c, T_FLUSH, 0, NULL, 0, NULL), ==, 0);
    char id[20] = { 0 };
    g_assert_cmpint(do_req(c, T_GET_ID, 0, NULL, 20, id), ==, 0);
    g_assert_cmpstr(id, ==, "VIREO123");
    /* discard sectors 16..23 and write-zeroes 24..31: both read back as zeros */
    uint8_t seg[16] = { 16, 0, 0, 0, 0, 0, 0, 0, 8 };
    g_assert_cmpint(do_req(c, T_DISCARD, 0, seg, 16, NULL), ==, 0);
    seg[0] = 24;
    g_assert_cmpint(do_req(c, T_WZ, 0, seg, 16, NULL), ==, 0);
    file_read(c, 16 * 512, got, 16 * 512);
    uint8_t zero[16 * 512] = { 0 };
    g_assert_cmpmem(got, 16 * 512, zero, 16 * 512);
    /* the block layer counted them */
    g_autofree char *st = qtest_qmp(c->s, "{\"execute\":\"query-blockstats\"}");
    g_assert_nonnull(strstr(st, "\"wr_operations\":2"));     /* write + write-zeroes */
    g_assert_nonnull(strstr(st, "\"rd_bytes\":4096"));
    g_assert_nonnull(strstr(st, "\"flush_operations\":1"));
    g_autofree char *io = qtest_qmp(c->s, "{\"execute\":\"query-iostats\"}");
    g_assert_nonnull(strstr(io, "\"device\":\"virtio-blk-pci.0\""));
    g_assert_nonnull(strstr(io, "\"rx-bytes\":4096"));
    g_assert_nonnull(strstr(io, "\"tx-bytes\":8192"));
    stop(c);

    /* -drive's default, discard=ignore (as QEMU's): the request succeeds
     * and the data stays */
    c = start("");
    negotiate(c, 1);
    g_assert_cmpint(do_req(c, T_OUT, 16, pat, 4096, NULL), ==, 0);
    seg[0] = 16;
    g_assert_cmpint(do_req(c, T_DISCARD, 0, seg, 16, NULL), ==, 0);
    file_read(c, 16 * 512, got, 4096);
    g_assert_cmpmem(got, 4096, pat, 4096);
    stop(c);
}

/* the "requests" entry of kind for the device in a query-iostats reply */
static JsonObject *iostats_req(JsonNode *root, const char *device, const char *kind)
{
    JsonArray *ret = json_object_get_array_member(json_node_get_object(root), "return");
    for (guint i = 0; i < json_array_get_length(ret); i++) {
        JsonObject *d = json_array_get_object_element(ret, i);
        if (strcmp(json_object_get_string_member(d, "device"), device)) {
            continue;
        }
        JsonArray *reqs = json_object_get_array_member(d, "requests");
        for (guint k = 0; k < json_array_get_length(reqs); k++) {
            JsonObject *r = json_array_get_object_element(reqs, k);
            if (!strcmp(json_object_get_string_member(r, "kind"), kind)) {
                return r;
            }
        }
    }
    return NULL;
}

/* the sum of a histogram's counts, and the count of the bucket bounded by
 * bound (member name, value) */
static gint64 hist_sum(JsonObject *r, const char *hist, const char *member, gint64 bound,
                       gint64 *at_bound)
{
    JsonArray *h = json_object_get_array_member(r, hist);
    gint64 sum = 0;
    *at_bound = 0;
    for (guint i = 0; i < json_array_get_length(h); i++) {
        JsonObject *b = json_array_get_object_element(h, i);
        sum += json_object_get_int_member(b, "count");
        if (json_object_has_member(b, member) && json_object_get_int_member(b, member) == bound) {
            *at_bound = json_object_get_int_member(b, "count");
        }
    }
    return sum;
}

/* Exactly 7 reads of 512 bytes, 3 writes of 4 KiB and a flush: iostats
 * reports those counts, bytes, histograms holding every request; after a
 * reset, 2 more reads are all HMP shows; the -iostats-trace file has one
 * Chrome trace event per request (9 reads in all). */
static void test_iostats_requests(void)
{
    g_autofree char *trace = g_strdup_printf("%s/vireo-vblk-trace-%d.json", g_get_tmp_dir(),
                                             getpid());
    g_autofree char *opt = g_strdup_printf(" -iostats-trace %s", trace);
    Ctx *c = start(opt);
    negotiate(c, 1);
    uint8_t buf[4096];
    memset(buf, 0xa5, sizeof(buf));
    for (int i = 0; i < 7; i++) {
        g_assert_cmpint(do_req(c, T_IN, i * 8, NULL, 512, buf), ==, 0);
    }
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(do_req(c, T_OUT, 64 + i * 8, buf, 4096, NULL), ==, 0);
    }
    g_assert_cmpint(do_req(c, T_FLUSH, 0, NULL, 0, NULL), ==, 0);
    g_autofree char *io = qtest_qmp(c->s, "{\"execute\":\"query-iostats\"}");
    JsonParser *p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, io, -1, NULL));
    JsonNode *root = json_parser_get_root(p);
    JsonObject *rd = iostats_req(root, "virtio-blk-pci.0", "read");
    JsonObject *wr = iostats_req(root, "virtio-blk-pci.0", "write");
    JsonObject *fl = iostats_req(root, "virtio-blk-pci.0", "flush");
    g_assert_nonnull(rd);
    g_assert_nonnull(wr);
    g_assert_nonnull(fl);
    g_assert_cmpint(json_object_get_int_member(rd, "count"), ==, 7);
    g_assert_cmpint(json_object_get_int_member(rd, "bytes"), ==, 7 * 512);
    g_assert_cmpint(json_object_get_int_member(wr, "count"), ==, 3);
    g_assert_cmpint(json_object_get_int_member(wr, "bytes"), ==, 3 * 4096);
    g_assert_cmpint(json_object_get_int_member(fl, "count"), ==, 1);
    gint64 n;
    g_assert_cmpint(hist_sum(rd, "size-histogram", "max-bytes", 512, &n), ==, 7);
    g_assert_cmpint(n, ==, 7);
    g_assert_cmpint(hist_sum(wr, "size-histogram", "max-bytes", 4096, &n), ==, 3);
    g_assert_cmpint(n, ==, 3);
    g_assert_cmpint(hist_sum(rd, "latency-histogram", "below-us", 0, &n), ==, 7);
    g_assert_cmpint(hist_sum(wr, "latency-histogram", "below-us", 0, &n), ==, 3);
    g_assert_cmpint(json_object_get_int_member(rd, "latency-ns"), >, 0);
    g_object_unref(p);
    /* a reset clears them */
    g_free(qtest_qmp(c->s, "{\"execute\":\"query-iostats\",\"arguments\":{\"reset\":true}}"));
    g_autofree char *io2 = qtest_qmp(c->s, "{\"execute\":\"query-iostats\"}");
    p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, io2, -1, NULL));
    g_assert_null(iostats_req(json_parser_get_root(p), "virtio-blk-pci.0", "read"));
    g_object_unref(p);
    /* HMP shows the kinds and their histograms */
    for (int i = 0; i < 2; i++) {
        g_assert_cmpint(do_req(c, T_IN, i * 8, NULL, 512, buf), ==, 0);
    }
    g_autofree char *hmp = qtest_qmp(c->s, "{\"execute\":\"human-monitor-command\","
                                     "\"arguments\":{\"command-line\":\"info iostats\"}}");
    g_assert_nonnull(strstr(hmp, "read: 2 requests, 1024 bytes, mean latency"));
    g_assert_nonnull(strstr(hmp, "size     <=512:2"));
    stop(c);

    /* the trace: a JSON array of events, one complete ("X") event per
     * request, on the device's row */
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(trace, &text, NULL, NULL));
    unlink(trace);
    p = json_parser_new();
    GError *err = NULL;
    g_assert_true(json_parser_load_from_data(p, text, -1, &err));
    JsonArray *ev = json_node_get_array(json_parser_get_root(p));
    int reads = 0, writes = 0, flushes = 0, rows = 0;
    for (guint i = 0; i < json_array_get_length(ev); i++) {
        JsonObject *e = json_array_get_object_element(ev, i);
        const char *ph = json_object_get_string_member(e, "ph");
        const char *name = json_object_get_string_member(e, "name");
        if (!strcmp(ph, "M")) {
            rows++;
            continue;
        }
        g_assert_cmpstr(ph, ==, "X");
        g_assert_cmpstr(json_object_get_string_member(e, "cat"), ==, "block");
        g_assert_cmpfloat(json_object_get_double_member(e, "dur"), >=, 0);
        JsonObject *a = json_object_get_object_member(e, "args");
        g_assert_cmpstr(json_object_get_string_member(a, "device"), ==, "virtio-blk-pci.0");
        if (!strcmp(name, "read")) {
            reads++;
            g_assert_cmpint(json_object_get_int_member(a, "bytes"), ==, 512);
        } else if (!strcmp(name, "write")) {
            writes++;
            g_assert_cmpint(json_object_get_int_member(a, "bytes"), ==, 4096);
        } else if (!strcmp(name, "flush")) {
            flushes++;
        }
    }
    g_assert_cmpint(reads, ==, 9);
    g_assert_cmpint(writes, ==, 3);
    g_assert_cmpint(flushes, ==, 1);
    g_assert_cmpint(rows, ==, 1);
    g_object_unref(p);
}

static void test_bad_requests(void)
{
    Ctx *c = start("");
    negotiate(c, 1);
    uint8_t buf[1024] = { 0 };
    /* the last sector is fine, one past it is not */
    g_assert_cmpint(do_req(c, T_IN, IMG_SIZE / 512 - 1, NULL, 512, buf), ==, 0);
    g_assert_cmpint(do_req(c, T_IN, IMG_SIZE / 512 - 1, NULL, 1024, buf), ==, 1);
    g_assert_cmpint(do_req(c, T_OUT, IMG_SIZE / 512, buf, 512, NULL), ==, 1);
    g_assert_cmpint(do_req(c, T_OUT, ~0ull, buf, 512, NULL), ==, 1);
    g_assert_cmpint(do_req(c, T_OUT, 0, buf, 100, NULL), ==, 1);       /* not whole sectors */
    g_assert_cmpint(do_req(c, 99, 0, NULL, 0, NULL), ==, 2);           /* unknown type */
    g_assert_cmpint(do_req(c, 2, 0, NULL, 0, NULL), ==, 2);            /* legacy SCSI */
    uint8_t seg[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1 };       /* unmap flag */
    g_assert_cmpint(do_req(c, T_DISCARD, 0, seg, 16, NULL), ==, 2);
    g_assert_cmpint(do_req(c, T_WZ, 0, seg, 16, NULL), ==, 0);         /* allowed there */
    seg[12] = 2;
    g_assert_cmpint(do_req(c, T_WZ, 0, seg, 16, NULL), ==, 2);         /* unknown flag */
    seg[12] = 0;
    seg[6] = 1;                                                        /* sector 2^48 */
    g_assert_cmpint(do_req(c, T_DISCARD, 0, seg, 16, NULL), ==, 1);
    g_assert_cmpint(do_req(c, T_DISCARD, 0, seg, 10, NULL), ==, 1);    /* partial segment */
    /* none of that broke the device */
    g_assert_cmphex(status(c->s) & 0x40, ==, 0);
    g_assert_cmpint(do_req(c, T_OUT, 0, buf, 512, NULL), ==, 0);
    stop(c);
}

/* block_resize (QMP and HMP): the image's new size reaches the driver as a
 * new capacity and a configuration interrupt (ISR bits 1 and 0, as QEMU's);
 * requests past the new end fail.  The register reads here go through
 * qtest's "read ADDR LEN", which must reach a 16-bit register as one
 * access (QEMU's libqos reads queue_size that way). */
static void test_resize(void)
{
    Ctx *c = start("");
    QTestState *s = c->s;
    negotiate(c, 1);
    common_writew(s, 22, 0);
    g_assert_cmpuint(r16(s, COMMON + 24), ==, QSIZE);
    g_assert_cmpuint(qtest_readb(s, BAR4_ADDR + 0x1000), ==, 0);        /* ISR clear */
    g_autofree char *r = qtest_qmp(s, "{\"execute\":\"block_resize\",\"arguments\":"
                                      "{\"device\":\"d0\",\"size\":2097152}}");
    g_assert_nonnull(strstr(r, "\"return\""));
    g_assert_cmphex(qtest_readl(s, DEVCFG + 0), ==, 2097152 / 512);
    g_assert_cmpuint(qtest_readb(s, BAR4_ADDR + 0x1000), ==, 3);        /* config + queue */
    g_assert_cmpuint(qtest_readb(s, BAR4_ADDR + 0x1000), ==, 0);        /* read clears it */
    struct stat st;
    g_assert_cmpint(stat(c->img, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 2097152);
    uint8_t buf[512];
    g_assert_cmpint(do_req(c, T_IN, 2097152 / 512 - 1, NULL, 512, buf), ==, 0);
    g_assert_cmpint(do_req(c, T_IN, 2097152 / 512, NULL, 512, buf), ==, 1);    /* IOERR */
    /* HMP, with a suffix, by node-name, and the errors a user can make */
    g_autofree char *h = qtest_qmp(s, "{\"execute\":\"human-monitor-command\",\"arguments\":"
                                      "{\"command-line\":\"block_resize d0 3M\"}}");
    g_assert_nonnull(strstr(h, "\"return\":\"\""));
    g_assert_cmphex(qtest_readl(s, DEVCFG + 0), ==, (3 << 20) / 512);
    g_autofree char *e1 = qtest_qmp(s, "{\"execute\":\"block_resize\",\"arguments\":"
                                       "{\"device\":\"nope\",\"size\":4096}}");
    g_assert_nonnull(strstr(e1, "DeviceNotFound"));
    g_autofree char *e2 = qtest_qmp(s, "{\"execute\":\"block_resize\",\"arguments\":"
                                       "{\"device\":\"d0\",\"size\":-1}}");
    g_assert_nonnull(strstr(e2, "must not be negative"));
    g_autofree char *e3 = qtest_qmp(s, "{\"execute\":\"block_resize\",\"arguments\":{\"size\":4096}}");
    g_assert_nonnull(strstr(e3, "exactly one of"));
    g_assert_cmphex(qtest_readl(s, DEVCFG + 0), ==, (3 << 20) / 512);
    stop(c);
    /* a read-only drive is not resized */
    c = start_with("", ",readonly=on", true);
    g_autofree char *e4 = qtest_qmp(c->s, "{\"execute\":\"block_resize\",\"arguments\":"
                                          "{\"device\":\"d0\",\"size\":4096}}");
    g_assert_nonnull(strstr(e4, "read only"));
    g_assert_cmphex(qtest_readl(c->s, DEVCFG + 0), ==, IMG_SIZE / 512);
    stop(c);
}

static void test_readonly(void)
{
    Ctx *c = start_with("", ",readonly=on", true);
    g_assert_cmphex(features_offered(c->s) & (1 << 5), ==, 1 << 5);    /* RO */
    negotiate(c, 1);
    uint8_t buf[512] = { 1 };
    g_assert_cmpint(do_req(c, T_OUT, 0, buf, 512, NULL), ==, 1);
    g_assert_cmpint(do_req(c, T_IN, 0, NULL, 512, buf), ==, 0);
    g_assert_cmpint(buf[0], ==, 0);
    stop(c);
}

static void wait_needs_reset(Ctx *c)
{
    for (int i = 0; i < 200 && !(status(c->s) & 0x40); i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(status(c->s) & 0x40, ==, 0x40);
}

static void push_head(Ctx *c, unsigned head)
{
    w16(c->s, Q0_BASE + 0x1000 + 4 + 2 * (c->avail[0] % QSIZE), head);
    c->avail[0]++;
    w16(c->s, Q0_BASE + 0x1000 + 2, c->avail[0]);
    kick(c, 0);
}

static void test_hostile_chains(void)
{
    Ctx *c = start("");
    QTestState *s = c->s;
    negotiate(c, 1);
    /* an 8-byte header */
    desc(s, Q0_BASE, 0, BUFS, 8, 1, 1);
    desc(s, Q0_BASE, 1, BUFS + 0x100, 1, 2, 0);
    push_head(c, 0);
    wait_needs_reset(c);
    /* no writable status byte at all */
    negotiate(c, 1);
    g_assert_cmphex(status(s) & 0x40, ==, 0);
    uint8_t h[16] = { 0 };
    qtest_memwrite(s, BUFS, h, 16);
    desc(s, Q0_BASE, 0, BUFS, 16, 0, 0);
    push_head(c, 0);
    wait_needs_reset(c);
    /* a chain that loops */
    negotiate(c, 1);
    desc(s, Q0_BASE, 0, BUFS, 16, 1, 1);
    desc(s, Q0_BASE, 1, BUFS + 0x100, 512, 1, 0);
    push_head(c, 0);
    wait_needs_reset(c);
    /* a buffer outside RAM */
    negotiate(c, 1);
    desc(s, Q0_BASE, 0, BUFS, 16, 1, 1);
    desc(s, Q0_BASE, 1, 0x4000000000ull, 512, 3, 2);
    desc(s, Q0_BASE, 2, BUFS + 0x100, 1, 2, 0);
    push_head(c, 0);
    wait_needs_reset(c);
    /* after a reset it works again */
    negotiate(c, 1);
    uint8_t buf[512];
    g_assert_cmpint(do_req(c, T_IN, 0, NULL, 512, buf), ==, 0);
    stop(c);
}

static void test_merge(void)
{
    Ctx *c = start("");
    negotiate(c, 1);
    Req r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = queue_req(c, 0, T_OUT, 64 + 8 * i, 4096, false);
        uint8_t d[4096];
        memset(d, 'a' + i, sizeof(d));
        qtest_memwrite(c->s, r[i].data, d, sizeof(d));
    }
    kick(c, 0);
    wait_done(c, 0);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(qtest_readb(c->s, r[i].st), ==, 0);
        uint8_t d[4096];
        file_read(c, (64 + 8 * i) * 512ull, d, sizeof(d));
        g_assert_cmpint(d[0], ==, 'a' + i);
        g_assert_cmpint(d[4095], ==, 'a' + i);
    }
    g_autofree char *st = qtest_qmp(c->s, "{\"execute\":\"query-blockstats\"}");
    g_assert_nonnull(strstr(st, "\"wr_merged\":3"));
    g_assert_nonnull(strstr(st, "\"wr_operations\":1,"));
    stop(c);
}

static void test_multiqueue(void)
{
    Ctx *c = start(",num-queues=2");
    g_assert_cmphex(features_offered(c->s) & (1 << 12), ==, 1 << 12);  /* MQ */
    g_assert_cmpuint(qtest_readl(c->s, DEVCFG + 32) >> 16, ==, 2);
    negotiate(c, 2);
    Req r = queue_req(c, 1, T_IN, 0, 512, true);
    kick(c, 1);
    wait_done(c, 1);
    g_assert_cmpint(qtest_readb(c->s, r.st), ==, 0);
    g_assert_cmpuint(r16(c->s, Q0_BASE + 0x2000 + 2), ==, 0);          /* nothing on queue 0 */
    stop(c);
}

static void test_if_virtio(void)
{
    char *img = g_strdup_printf("%s/vireo-vblk-qtest-ifv-%d.img", g_get_tmp_dir(), getpid());
    g_assert_true(g_file_set_contents(img, "", 0, NULL));
    g_assert_cmpint(truncate(img, 1 << 20), ==, 0);
    char *args = g_strdup_printf("-drive if=virtio,format=raw,file=%s,serial=S1", img);
    QTestState *s = qtest_start(args);
    int found = -1;
    for (int slot = 0; slot < 32; slot++) {
        if (qtest_pci_readl(s, slot << 3, 0) == 0x10011af4) {
            found = slot;
        }
    }
    g_assert_cmpint(found, >, 0);
    g_autofree char *b = qtest_qmp(s, "{\"execute\":\"query-block\"}");
    g_assert_nonnull(strstr(b, "\"device\":\"virtio0\""));
    g_assert_nonnull(strstr(b, "\"qdev\":\"virtio-blk-pci.0\""));
    qtest_quit(s);
    unlink(img);
    g_free(img);
    g_free(args);
}

/* A legacy (virtio 0.9.5) driver on the I/O BAR: no VERSION_1, the queue
 * given as a page frame number with its fixed size, config at +20 */
static void test_legacy(void)
{
    Ctx *c = start(",serial=LEG");
    QTestState *s = c->s;
    const uint16_t io = 0xc000;
    qtest_pci_writel(s, DEVFN, 0x10, io);
    qtest_pci_writel(s, DEVFN, 0x04, 0x0005);                 /* I/O, bus master */
    g_assert_cmpuint(qtest_inl(s, io + 20), ==, IMG_SIZE / 512);   /* capacity */
    qtest_outb(s, io + 18, 0);
    qtest_outb(s, io + 18, 1 | 2);
    uint32_t f = qtest_inl(s, io + 0);
    g_assert_cmphex(f & (1 << 9), ==, 1 << 9);          /* FLUSH */
    qtest_outl(s, io + 4, f & ((1 << 9) | (1 << 28)));  /* FLUSH, indirect; no event idx */
    qtest_outw(s, io + 14, 0);
    uint16_t qnum = qtest_inw(s, io + 12);
    g_assert_cmpuint(qnum, ==, 256);
    qtest_outl(s, io + 8, Q0_BASE >> 12);
    qtest_outb(s, io + 18, 1 | 2 | 4);
    /* the rings: desc at base, avail after qnum descriptors, used 4K-aligned */
    uint64_t avail = Q0_BASE + 16 * qnum, used = (avail + 4 + 2 * qnum + 2 + 4095) & ~4095ull;
    uint8_t data[512];
    for (int i = 0; i < 512; i++) data[i] = i * 5;
    uint8_t h[16] = { 1 };                              /* OUT, sector 0 */
    qtest_memwrite(s, BUFS, h, 16);
    qtest_memwrite(s, BUFS + 0x1000, data, 512);
    desc(s, Q0_BASE, 0, BUFS, 16, 1, 1);
    desc(s, Q0_BASE, 1, BUFS + 0x1000, 512, 1, 2);
    desc(s, Q0_BASE, 2, BUFS + 0x2000, 1, 2, 0);
    h[0] = 8;                                           /* GET_ID */
    qtest_memwrite(s, BUFS + 0x3000, h, 16);
    desc(s, Q0_BASE, 3, BUFS + 0x3000, 16, 1, 4);
    desc(s, Q0_BASE, 4, BUFS + 0x4000, 20, 3, 5);
    desc(s, Q0_BASE, 5, BUFS + 0x5000, 1, 2, 0);
    w16(s, avail + 4, 0);
    w16(s, avail + 6, 3);
    w16(s, avail + 2, 2);
    qtest_outw(s, io + 16, 0);
    for (int i = 0; i < 5000 && r16(s, used + 2) != 2; i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(r16(s, used + 2), ==, 2);
    g_assert_cmpint(qtest_readb(s, BUFS + 0x2000), ==, 0);
    g_assert_cmpint(qtest_readb(s, BUFS + 0x5000), ==, 0);
    char id[4] = { 0 };
    qtest_memread(s, BUFS + 0x4000, id, 3);
    g_assert_cmpstr(id, ==, "LEG");
    uint8_t got[512];
    file_read(c, 0, got, 512);
    g_assert_cmpmem(got, 512, data, 512);
    g_assert_cmphex(qtest_inb(s, io + 19) & 1, ==, 1);  /* ISR: a queue interrupt */
    stop(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/virtio-blk/identity-config", test_identity_and_config);
    g_test_add_func("/qtest/virtio-blk/rw-flush-id-discard", test_rw_flush_id_discard);
    g_test_add_func("/qtest/virtio-blk/iostats-requests", test_iostats_requests);
    g_test_add_func("/qtest/virtio-blk/bad-requests", test_bad_requests);
    g_test_add_func("/qtest/virtio-blk/readonly", test_readonly);
    g_test_add_func("/qtest/virtio-blk/resize", test_resize);
    g_test_add_func("/qtest/virtio-blk/hostile-chains", test_hostile_chains);
    g_test_add_func("/qtest/virtio-blk/merge", test_merge);
    g_test_add_func("/qtest/virtio-blk/multiqueue", test_multiqueue);
    g_test_add_func("/qtest/virtio-blk/if-virtio", test_if_virtio);
    g_test_add_func("/qtest/virtio-blk/legacy", test_legacy);
    return g_test_run();
}
