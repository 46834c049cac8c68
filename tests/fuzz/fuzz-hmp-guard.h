/*
 * Which HMP command lines a fuzz harness lets through.  The fuzzers reach
 * the human monitor directly (fuzz-hmp) and through gdb's "monitor"
 * packets (fuzz-gdb).  Two commands act on the host rather than on
 * Vireo's state: "gdbserver SPEC" opens chardevs (listening sockets,
 * files it creates or truncates) and "screendump FILE" writes a file.
 * A fuzzer finds their names quickly (they are string constants it sees
 * compared), so a harness neutralises such a line before Vireo sees it.
 * The first word is found as hmp_execute_line() finds it.
 */
#ifndef TESTS_FUZZ_HMP_GUARD_H
#define TESTS_FUZZ_HMP_GUARD_H

#include <glib.h>
#include <stdbool.h>
#include <string.h>

/* Offset of the command word in line (leading blanks skipped) and its length. */
static size_t fuzz_hmp_word(const char *line, size_t len, size_t *wlen)
{
    size_t s = 0;
    while (s < len && (line[s] == ' ' || line[s] == '\t')) {
        s++;
    }
    size_t e = s;
    while (e < len && line[e] && line[e] != ' ' && line[e] != '/' && line[e] != '\t') {
        e++;
    }
    *wlen = e - s;
    return s;
}

static bool fuzz_hmp_line_blocked(const char *line, size_t len)
{
    static const char *const blocked[] = { "gdbserver", "screendump" };
    size_t wlen;
    size_t s = fuzz_hmp_word(line, len, &wlen);
    for (size_t i = 0; i < G_N_ELEMENTS(blocked); i++) {
        if (wlen == strlen(blocked[i]) && !memcmp(line + s, blocked[i], wlen)) {
            return true;
        }
    }
    return false;
}

#endif
