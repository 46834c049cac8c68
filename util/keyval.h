/*
 * QEMU-style option strings: "key=value,key=value", ",," for a literal
 * comma, an optional implied first key ("user,id=n0" -> type=user).
 *
 * Parsing keeps the pairs in order; consumers take the keys they know with
 * keyval_take*(), then keyval_unused() names the first key nobody took,
 * so "unknown option" errors are generic and exact.
 */
#ifndef UTIL_KEYVAL_H
#define UTIL_KEYVAL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct KeyVal KeyVal;

/* implied_key: the key for a leading element without '=' (NULL: none,
 * such an element is then the key with value "on").  A repeated key keeps
 * its last value, as QEMU's QemuOpts do for single-valued options. */
KeyVal *keyval_parse(const char *str, const char *implied_key, GError **errp);
void keyval_free(KeyVal *kv);

/* Marks the key used; NULL when absent. */
const char *keyval_take(KeyVal *kv, const char *key);
/* Every value of a repeatable key (hostfwd=...,hostfwd=...), marking them used. */
GPtrArray *keyval_take_all(KeyVal *kv, const char *key);
/* on/off/yes/no/true/false; absent -> def; anything else is an error. */
bool keyval_take_bool(KeyVal *kv, const char *key, bool def, bool *out, GError **errp);
bool keyval_take_u64(KeyVal *kv, const char *key, uint64_t def, uint64_t *out, GError **errp);
/* A byte count: a number (0x hex too) with an optional k/M/G/T (binary) or
 * B suffix, as QEMU's size options; false if malformed or over 2^64-1. */
bool parse_size(const char *s, uint64_t *out);
/* keyval_take_u64 with parse_size's suffixes. */
bool keyval_take_size(KeyVal *kv, const char *key, uint64_t def, uint64_t *out, GError **errp);
/* Append value to an option string, doubling each ',' (the syntax's
 * escape), so a file name with commas stays one value. */
void keyval_append_escaped(GString *opts, const char *value);
/* Every pair in order, marking them used (-blockdev turns the dotted
 * keys into a tree of options). */
void keyval_foreach(KeyVal *kv, void (*fn)(const char *key, const char *val, void *opaque),
                    void *opaque);
/* The first key not taken, or NULL. */
const char *keyval_unused(KeyVal *kv);

/* "help" or "?": an option value asking for a list, as QEMU takes both. */
static inline bool is_help_option(const char *s)
{
    return s && (!strcmp(s, "help") || !strcmp(s, "?"));
}

#endif
