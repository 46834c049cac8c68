/*
 * AML encoder: see aml.h.  Opcode values and encodings from the ACPI 6.x
 * specification, section 20 (AML grammar) and 6.4 (resource descriptors).
 */
#include "hw/acpi/aml.h"

#include <string.h>

#include "util/log.h"

typedef enum AmlKind {
    AML_RAW,        /* bytes complete as they are */
    AML_BLOCK,      /* op, PkgLength, head, body */
    AML_PACKAGE,    /* block whose head is the element count */
    AML_BUFFER,     /* block whose head is the byte count (an integer) */
} AmlKind;

struct Aml {
    AmlKind kind;
    uint8_t op[2];
    int oplen;
    GByteArray *head;   /* after PkgLength: name, flags, predicate... */
    GByteArray *body;
    unsigned elems;     /* AML_PACKAGE */
};

#define ZERO_OP         0x00
#define ONE_OP          0x01
#define NAME_OP         0x08
#define BYTE_PREFIX     0x0a
#define WORD_PREFIX     0x0b
#define DWORD_PREFIX    0x0c
#define STRING_PREFIX   0x0d
#define QWORD_PREFIX    0x0e
#define SCOPE_OP        0x10
#define BUFFER_OP       0x11
#define PACKAGE_OP      0x12
#define METHOD_OP       0x14
#define DUAL_NAME       0x2e
#define MULTI_NAME      0x2f
#define EXT_PREFIX      0x5b
#define  OPREGION_OP    0x80
#define  FIELD_OP       0x81
#define  DEVICE_OP      0x82
#define ROOT_CHAR       0x5c
#define PARENT_CHAR     0x5e
#define LOCAL0_OP       0x60
#define ARG0_OP         0x68
#define STORE_OP        0x70
#define AND_OP          0x7b
#define OR_OP           0x7d
#define CREATE_DWORD_FIELD_OP 0x8a
#define LLESS_OP        0x95
#define IF_OP           0xa0
#define ELSE_OP         0xa1
#define RETURN_OP       0xa4
#define SHIFT_LEFT_OP   0x79
#define NOTIFY_OP       0x86

static Aml *aml_alloc(AmlKind kind)
{
    Aml *a = g_new0(Aml, 1);
    a->kind = kind;
    a->head = g_byte_array_new();
    a->body = g_byte_array_new();
    return a;
}

Aml *aml_new(void)
{
    return aml_alloc(AML_RAW);
}

void aml_free(Aml *a)
{
    if (a) {
        g_byte_array_free(a->head, TRUE);
        g_byte_array_free(a->body, TRUE);
        g_free(a);
    }
}

const uint8_t *aml_data(const Aml *a, size_t *len)
{
    *len = a->body->len;
    return a->body->data;
}

static void put8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

static void put_le(GByteArray *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        put8(b, v >> (8 * i));
    }
}

/*
 * PkgLength (20.2.4): one byte for up to 63, else a lead byte holding the
 * count of following bytes and the low nibble.  With include_self the
 * value counts its own bytes (blocks); field widths do not.
 */
static void put_pkglength(GByteArray *b, size_t len, bool include_self)
{
    int n;
    for (n = 1; n <= 4; n++) {
        size_t total = len + (include_self ? n : 0);
        size_t max = n == 1 ? 0x3f : (1ul << (4 + 8 * (n - 1))) - 1;
        if (total <= max) {
            len = total;
            break;
        }
    }
    if (n > 4) {
        fatal("AML: package too large (%zu bytes)", len);
    }
    if (n == 1) {
        put8(b, len);
        return;
    }
    put8(b, ((n - 1) << 6) | (len & 0x0f));
    for (int i = 1; i < n; i++) {
        put8(b, len >> (4 + 8 * (i - 1)));
    }
}

static void put_int(GByteArray *b, uint64_t v)
{
    if (v == 0) {
        put8(b, ZERO_OP);
    } else if (v == 1) {
        put8(b, ONE_OP);
    } else if (v <= 0xff) {
        put8(b, BYTE_PREFIX);
        put8(b, v);
    } else if (v <= 0xffff) {
        put8(b, WORD_PREFIX);
        put_le(b, v, 2);
    } else if (v <= 0xffffffffu) {
        put8(b, DWORD_PREFIX);
        put_le(b, v, 4);
    } else {
        put8(b, QWORD_PREFIX);
        put_le(b, v, 8);
    }
}

static void put_nameseg(GByteArray *b, const char *seg, size_t len)
{
    if (len == 0 || len > 4) {
        fatal("AML: bad name segment '%.*s'", (int)len, seg);
    }
    for (size_t i = 0; i < 4; i++) {
        put8(b, i < len ? (uint8_t)seg[i] : '_');
    }
}

/* NameString (20.2.2): prefixes, then one, two or more segments. */
static void put_namestring(GByteArray *b, const char *path)
{
    const char *p = path;
    if (*p == '\\') {
        put8(b, ROOT_CHAR);
        p++;
    } else {
        while (*p == '^') {
            put8(b, PARENT_CHAR);
            p++;
        }
    }
    if (!*p) {
        put8(b, 0x00);      /* NullName */
        return;
    }
    gchar **segs = g_strsplit(p, ".", -1);
    guint n = g_strv_length(segs);
    if (n == 2) {
        put8(b, DUAL_NAME);
    } else if (n > 2) {
        put8(b, MULTI_NAME);
        put8(b, n);
    }
    for (guint i = 0; i < n; i++) {
        put_nameseg(b, segs[i], strlen(segs[i]));
    }
    g_strfreev(segs);
}

/* The encoding of a node, appended to out; the node is freed. */
static void aml_emit(GByteArray *out, Aml *a)
{
    if (a->kind == AML_RAW) {
        g_byte_array_append(out, a->body->data, a->body->len);
        aml_free(a);
        return;
    }
    GByteArray *head = g_byte_array_new();
    if (a->kind == AML_PACKAGE) {
        if (a->elems > 0xff) {
            fatal("AML: package with %u elements", a->elems);
        }
        put8(head, a->elems);
    } else if (a->kind == AML_BUFFER) {
        put_int(head, a->body->len);
    }
    g_byte_array_append(head, a->head->data, a->head->len);
    g_byte_array_append(out, a->op, a->oplen);
    put_pkglength(out, head->len + a->body->len, true);
    g_byte_array_append(out, head->data, head->len);
    g_byte_array_append(out, a->body->data, a->body->len);
    g_byte_array_free(head, TRUE);
    aml_free(a);
}

void aml_append(Aml *parent, Aml *child)
{
    if (parent->kind == AML_PACKAGE) {
        parent->elems++;
    }
    aml_emit(parent->body, child);
}

static Aml *aml_block(uint8_t op, bool ext)
{
    Aml *a = aml_alloc(AML_BLOCK);
    if (ext) {
        a->op[0] = EXT_PREFIX;
        a->op[1] = op;
        a->oplen = 2;
    } else {
        a->op[0] = op;
        a->oplen = 1;
    }
    return a;
}

/* ---- data ---- */

Aml *aml_int(uint64_t v)
{
    Aml *a = aml_new();
    put_int(a->body, v);
    return a;
}

Aml *aml_string(const char *s)
{
    Aml *a = aml_new();
    put8(a->body, STRING_PREFIX);
    g_byte_array_append(a->body, (const uint8_t *)s, strlen(s) + 1);
    return a;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* EISA id: three letters in 5 bits each, then four hex digits, stored
 * most significant byte first in a DWord. */
Aml *aml_eisaid(const char *id)
{
    if (strlen(id) != 7) {
        fatal("AML: bad EISA id '%s'", id);
    }
    for (int i = 3; i < 7; i++) {
        if (hexval(id[i]) < 0) {
            fatal("AML: bad EISA id '%s'", id);
        }
    }
    uint8_t c1 = id[0] - 0x40, c2 = id[1] - 0x40, c3 = id[2] - 0x40;
    uint8_t bytes[4] = {
        (uint8_t)(((c1 & 0x1f) << 2) | ((c2 >> 3) & 0x03)),
        (uint8_t)(((c2 & 0x07) << 5) | (c3 & 0x1f)),
        (uint8_t)((hexval(id[3]) << 4) | hexval(id[4])),
        (uint8_t)((hexval(id[5]) << 4) | hexval(id[6])),
    };
    Aml *a = aml_new();
    put8(a->body, DWORD_PREFIX);
    g_byte_array_append(a->body, bytes, 4);
    return a;
}

Aml *aml_name(const char *path)
{
    Aml *a = aml_new();
    put_namestring(a->body, path);
    return a;
}

Aml *aml_arg(int n)
{
    Aml *a = aml_new();
    put8(a->body, ARG0_OP + (n & 7));
    return a;
}

Aml *aml_local(int n)
{
    Aml *a = aml_new();
    put8(a->body, LOCAL0_OP + (n & 7));
    return a;
}

Aml *aml_package(void)
{
    Aml *a = aml_alloc(AML_PACKAGE);
    a->op[0] = PACKAGE_OP;
    a->oplen = 1;
    return a;
}

Aml *aml_buffer(const uint8_t *data, size_t len)
{
    Aml *a = aml_alloc(AML_BUFFER);
    a->op[0] = BUFFER_OP;
    a->oplen = 1;
    g_byte_array_append(a->body, data, len);
    return a;
}

/* ---- named objects ---- */

Aml *aml_name_decl(const char *name, Aml *value)
{
    Aml *a = aml_new();
    put8(a->body, NAME_OP);
    put_namestring(a->body, name);
    aml_emit(a->body, value);
    return a;
}

Aml *aml_scope(const char *path)
{
    Aml *a = aml_block(SCOPE_OP, false);
    put_namestring(a->head, path);
    return a;
}

Aml *aml_device(const char *path)
{
    Aml *a = aml_block(DEVICE_OP, true);
    put_namestring(a->head, path);
    return a;
}

Aml *aml_method(const char *name, int nargs, bool serialized)
{
    Aml *a = aml_block(METHOD_OP, false);
    put_namestring(a->head, name);
    put8(a->head, (nargs & 7) | (serialized ? 0x08 : 0));
    return a;
}

Aml *aml_operation_region(const char *name, uint8_t space, uint64_t offset, uint64_t len)
{
    Aml *a = aml_new();
    put8(a->body, EXT_PREFIX);
    put8(a->body, OPREGION_OP);
    put_namestring(a->body, name);
    put8(a->body, space);
    put_int(a->body, offset);
    put_int(a->body, len);
    return a;
}

Aml *aml_field(const char *region, uint8_t flags)
{
    Aml *a = aml_block(FIELD_OP, true);
    put_namestring(a->head, region);
    put8(a->head, flags);
    return a;
}

void aml_field_unit(Aml *field, const char *name, unsigned bits)
{
    if (name) {
        put_nameseg(field->body, name, strlen(name));
    } else {
        put8(field->body, 0x00);    /* ReservedField */
    }
    put_pkglength(field->body, bits, false);
}

Aml *aml_create_dword_field(Aml *buf, Aml *byte_index, const char *name)
{
    Aml *a = aml_new();
    put8(a->body, CREATE_DWORD_FIELD_OP);
    aml_emit(a->body, buf);
    aml_emit(a->body, byte_index);
    put_namestring(a->body, name);
    return a;
}

/* ---- statements ---- */

Aml *aml_return(Aml *v)
{
    Aml *a = aml_new();
    put8(a->body, RETURN_OP);
    aml_emit(a->body, v);
    return a;
}

Aml *aml_if(Aml *predicate)
{
    Aml *a = aml_block(IF_OP, false);
    aml_emit(a->head, predicate);
    return a;
}

Aml *aml_else(void)
{
    return aml_block(ELSE_OP, false);
}

Aml *aml_store(Aml *src, Aml *dst)
{
    Aml *a = aml_new();
    put8(a->body, STORE_OP);
    aml_emit(a->body, src);
    aml_emit(a->body, dst);
    return a;
}

static Aml *aml_binop(uint8_t op, Aml *x, Aml *y, Aml *target)
{
    Aml *a = aml_new();
    put8(a->body, op);
    aml_emit(a->body, x);
    aml_emit(a->body, y);
    if (target) {
        aml_emit(a->body, target);
    } else {
        put8(a->body, 0x00);    /* NullName: no target */
    }
    return a;
}

Aml *aml_and(Aml *x, Aml *y, Aml *target)
{
    return aml_binop(AND_OP, x, y, target);
}

Aml *aml_or(Aml *x, Aml *y, Aml *target)
{
    return aml_binop(OR_OP, x, y, target);
}

Aml *aml_shiftleft(Aml *x, Aml *count)
{
    return aml_binop(SHIFT_LEFT_OP, x, count, NULL);
}

Aml *aml_notify(Aml *object, Aml *value)
{
    Aml *a = aml_new();
    put8(a->body, NOTIFY_OP);
    aml_emit(a->body, object);
    aml_emit(a->body, value);
    return a;
}

Aml *aml_call1(const char *method, Aml *arg)
{
    Aml *a = aml_new();
    put_namestring(a->body, method);
    aml_emit(a->body, arg);
    return a;
}

Aml *aml_call0(const char *method)
{
    Aml *a = aml_new();
    put_namestring(a->body, method);
    return a;
}

Aml *aml_lless(Aml *x, Aml *y)
{
    Aml *a = aml_new();
    put8(a->body, LLESS_OP);
    aml_emit(a->body, x);
    aml_emit(a->body, y);
    return a;
}

/* ---- resource descriptors ---- */

struct AmlResources {
    GByteArray *b;
};

AmlResources *aml_res_new(void)
{
    AmlResources *r = g_new0(AmlResources, 1);
    r->b = g_byte_array_new();
    return r;
}

/* Small I/O port descriptor (6.4.2.5), 16-bit decode, fixed base. */
void aml_res_io(AmlResources *r, uint16_t base, uint8_t align, uint8_t len)
{
    put8(r->b, 0x47);
    put8(r->b, 0x01);
    put_le(r->b, base, 2);
    put_le(r->b, base, 2);
    put8(r->b, align);
    put8(r->b, len);
}

/* Small IRQ descriptor without flags (6.4.2.1): edge, active-high. */
void aml_res_irq_noflags(AmlResources *r, uint16_t irq_mask)
{
    put8(r->b, 0x22);
    put_le(r->b, irq_mask, 2);
}

/* Small DMA descriptor (6.4.2.2): flags 0 = 8-bit transfers, not a bus
 * master, compatibility speed. */
void aml_res_dma(AmlResources *r, uint8_t channel_mask)
{
    put8(r->b, 0x2a);
    put8(r->b, channel_mask);
    put8(r->b, 0x00);
}

/* Extended interrupt descriptor (6.4.3.6). */
void aml_res_interrupt(AmlResources *r, const uint32_t *irqs, int n)
{
    put8(r->b, 0x89);
    put_le(r->b, 2 + 4 * n, 2);
    /* consumer (bit 0), level (bit 1 clear), active-high (bit 2 clear),
     * shared (bit 3) */
    put8(r->b, 0x01 | 0x08);
    put8(r->b, n);
    for (int i = 0; i < n; i++) {
        put_le(r->b, irqs[i], 4);
    }
}

/* Memory32Fixed (6.4.3.4). */
void aml_res_memory32_fixed(AmlResources *r, uint32_t base, uint32_t len, bool writable)
{
    put8(r->b, 0x86);
    put_le(r->b, 9, 2);
    put8(r->b, writable ? 1 : 0);
    put_le(r->b, base, 4);
    put_le(r->b, len, 4);
}

/*
 * Address space descriptors (6.4.3.5): producer, positive decode, min and
 * max fixed (general flags 0x0c), no granularity or translation.
 */
static void res_addr(AmlResources *r, uint8_t tag, int width, uint8_t type,
                     uint8_t type_flags, uint64_t min, uint64_t max)
{
    put8(r->b, tag);
    put_le(r->b, 3 + 5 * width, 2);
    put8(r->b, type);
    put8(r->b, 0x0c);
    put8(r->b, type_flags);
    put_le(r->b, 0, width);              /* granularity */
    put_le(r->b, min, width);
    put_le(r->b, max, width);
    put_le(r->b, 0, width);              /* translation offset */
    put_le(r->b, max - min + 1, width);  /* length */
}

void aml_res_word_bus(AmlResources *r, uint16_t min, uint16_t max)
{
    res_addr(r, 0x88, 2, 2, 0, min, max);
}

void aml_res_word_io(AmlResources *r, uint16_t min, uint16_t max)
{
    res_addr(r, 0x88, 2, 1, 0x03 /* ISA and non-ISA ranges */, min, max);
}

/* Memory type flags: read-write (bit 0), cacheable (bits 2:1 = 01). */
void aml_res_dword_memory(AmlResources *r, uint32_t min, uint32_t max, bool cacheable)
{
    res_addr(r, 0x87, 4, 0, 0x01 | (cacheable ? 0x02 : 0), min, max);
}

void aml_res_qword_memory(AmlResources *r, uint64_t min, uint64_t max, bool cacheable)
{
    res_addr(r, 0x8a, 8, 0, 0x01 | (cacheable ? 0x02 : 0), min, max);
}

/* End tag (6.4.2.9) with a checksum of 0 ("treat as correct"). */
Aml *aml_resource_template(AmlResources *r)
{
    put8(r->b, 0x79);
    put8(r->b, 0x00);
    Aml *a = aml_buffer(r->b->data, r->b->len);
    g_byte_array_free(r->b, TRUE);
    g_free(r);
    return a;
}
