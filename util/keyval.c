/* QEMU-style option strings: see keyval.h. */
#include "util/keyval.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

typedef struct KVPair {
    char *key, *val;
    bool used;
} KVPair;

struct KeyVal {
    GArray *pairs;               /* KVPair */
};

static void kvpair_clear(gpointer p)
{
    KVPair *kp = p;
    g_free(kp->key);
    g_free(kp->val);
}

/* Reads up to the next unescaped ',' (",," is a literal comma); for keys,
 * stops at '=' too. */
static char *scan(const char **pp, bool is_key)
{
    GString *s = g_string_new(NULL);
    const char *p = *pp;
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',' && !is_key) {
                g_string_append_c(s, ',');
                p += 2;
                continue;
            }
            break;
        }
        if (is_key && *p == '=') {
            break;
        }
        g_string_append_c(s, *p++);
    }
    *pp = p;
    return g_string_free(s, FALSE);
}

KeyVal *keyval_parse(const char *str, const char *implied_key, GError **errp)
{
    KeyVal *kv = g_new0(KeyVal, 1);
    kv->pairs = g_array_new(FALSE, TRUE, sizeof(KVPair));
    g_array_set_clear_func(kv->pairs, kvpair_clear);
    const char *p = str ? str : "";
    bool first = true;
    while (*p) {
        char *key = scan(&p, true);
        KVPair kp = { 0 };
        if (*p == '=') {
            p++;
            kp.key = key;
            kp.val = scan(&p, false);
        } else if (first && implied_key) {
            /* the implied value may contain ",," too: rescan it as a value */
            kp.key = g_strdup(implied_key);
            kp.val = key;
        } else {
            kp.key = key;
            kp.val = g_strdup("on");
        }
        if (!*kp.key) {
            vireo_set_error(errp, "empty key in '%s'", str);
            kvpair_clear(&kp);
            keyval_free(kv);
            return NULL;
        }
        g_array_append_val(kv->pairs, kp);
        if (*p == ',') {
            p++;
        }
        first = false;
    }
    return kv;
}

void keyval_free(KeyVal *kv)
{
    if (kv) {
        g_array_free(kv->pairs, TRUE);
        g_free(kv);
    }
}

const char *keyval_take(KeyVal *kv, const char *key)
{
    const char *val = NULL;
    for (guint i = 0; i < kv->pairs->len; i++) {
        KVPair *kp = &g_array_index(kv->pairs, KVPair, i);
        if (!strcmp(kp->key, key)) {
            kp->used = true;
            val = kp->val;
        }
    }
    return val;
}

GPtrArray *keyval_take_all(KeyVal *kv, const char *key)
{
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; i < kv->pairs->len; i++) {
        KVPair *kp = &g_array_index(kv->pairs, KVPair, i);
        if (!strcmp(kp->key, key)) {
            kp->used = true;
            g_ptr_array_add(a, kp->val);
        }
    }
    return a;
}

bool keyval_take_bool(KeyVal *kv, const char *key, bool def, bool *out, GError **errp)
{
    const char *v = keyval_take(kv, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
        *out = false;
    } else {
        vireo_set_error(errp, "Parameter '%s' expects 'on' or 'off'", key);
        return false;
    }
    return true;
}

bool keyval_take_u64(KeyVal *kv, const char *key, uint64_t def, uint64_t *out, GError **errp)
{
    const char *v = keyval_take(kv, key);
    if (!v) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 0);
    if (!*v || *end || errno || *v == '-') {
        vireo_set_error(errp, "Parameter '%s' expects a number", key);
        return false;
    }
    *out = n;
    return true;
}

bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') {
        return false;
    }
    uint64_t v = strtoull(s, &end, 0);
    if (errno) {
        return false;
    }
    int shift = 0;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    case 'b': case 'B': end++; break;
    default: return false;
    }
    if (*end || (shift && v > (UINT64_MAX >> shift))) {
        return false;
    }
    *out = v << shift;
    return true;
}

bool keyval_take_size(KeyVal *kv, const char *key, uint64_t def, uint64_t *out, GError **errp)
{
    const char *v = keyval_take(kv, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!parse_size(v, out)) {
        vireo_set_error(errp, "Parameter '%s' expects a size (bytes, or with k/M/G/T)", key);
        return false;
    }
    return true;
}

void keyval_foreach(KeyVal *kv, void (*fn)(const char *key, const char *val, void *opaque),
                    void *opaque)
{
    for (guint i = 0; i < kv->pairs->len; i++) {
        KVPair *kp = &g_array_index(kv->pairs, KVPair, i);
        kp->used = true;
        fn(kp->key, kp->val, opaque);
    }
}

const char *keyval_unused(KeyVal *kv)
{
    for (guint i = 0; i < kv->pairs->len; i++) {
        KVPair *kp = &g_array_index(kv->pairs, KVPair, i);
        if (!kp->used) {
            return kp->key;
        }
    }
    return NULL;
}

void keyval_append_escaped(GString *opts, const char *value)
{
    for (const char *p = value; *p; p++) {
        g_string_append_c(opts, *p);
        if (*p == ',') {
            g_string_append_c(opts, ',');
        }
    }
}
