/*
 * Shared driver for the fuzz harnesses.  Built with -DVIREO_LIBFUZZER and
 * clang -fsanitize=fuzzer, a harness is a libFuzzer target (make fuzz).
 * Built normally, it is a GLib test that replays the committed corpus
 * (tests/fuzz/corpus/NAME/) and a fixed-seed batch of random inputs, so
 * make check keeps every harness running and deterministic.
 *
 * A harness defines fuzz_name, fuzz_setup() and fuzz_one(data, size).
 */
#ifndef TESTS_FUZZ_DRIVER_H
#define TESTS_FUZZ_DRIVER_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/memory.h"
#include "hw/i386/pc.h"
#include "target/x86/helper.h"

static const char *fuzz_name;
static void fuzz_setup(void);
static void fuzz_one(const uint8_t *data, size_t size);

/* A minimal 64 KiB "BIOS" (all HLT) so the harness needs no firmware file. */
static char *fuzz_write_bios(void)
{
    char *path = g_build_filename(g_get_tmp_dir(), "vireo-fuzz-bios.bin", NULL);
    uint8_t *img = g_malloc(65536);
    for (int i = 0; i < 65536; i++) {
        img[i] = 0xf4;
    }
    g_file_set_contents(path, (const char *)img, 65536, NULL);
    g_free(img);
    return path;
}

/* Harnesses that need no machine (fuzz-cmdline) do not call it. */
G_GNUC_UNUSED static X86CPU *fuzz_machine(uint64_t ram)
{
    static MachineConfig cfg;
    cfg.ram_size = ram;
    cfg.bios_path = fuzz_write_bios();
    cfg.smp = 1;
    cfg.boot_order = "cad";
    cfg.boot_menu_timeout_ms = -1;
    cfg.smm = true;             /* as the default machine under TCG */
    pc_machine_init(&cfg);
    return pc_first_cpu();
}

/* Flat 32-bit protected mode on cpu: a GDT at 0x600 with 4 GiB code (0x08)
 * and data (0x10), CR0.PE, CS/SS/DS/ES loaded (fuzz-code, fuzz-smm). */
G_GNUC_UNUSED static void fuzz_flat32(X86CPU *cpu)
{
    static const uint8_t gdt[24] = {
        0, 0, 0, 0, 0, 0, 0, 0,
        0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0,      /* 0x08: code 4G */
        0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,      /* 0x10: data 4G */
    };
    address_space_write(&address_space_memory, 0x600, gdt, sizeof(gdt));
    cpu->gdt.base = 0x600;
    cpu->gdt.limit = sizeof(gdt) - 1;
    helper_write_crN(cpu, 0, cpu->cr[0] | CR0_PE);
    cpu_x86_load_seg_cache(cpu, R_CS, 0x08, 0, 0xffffffff, 0x00cf9b00);
    cpu_x86_load_seg_cache(cpu, R_SS, 0x10, 0, 0xffffffff, 0x00cf9300);
    cpu_x86_load_seg_cache(cpu, R_DS, 0x10, 0, 0xffffffff, 0x00cf9300);
    cpu_x86_load_seg_cache(cpu, R_ES, 0x10, 0, 0xffffffff, 0x00cf9300);
}

#ifdef VIREO_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        fuzz_setup();
        ready = true;
    }
    fuzz_one(data, size);
    return 0;
}
#else
static gint fuzz_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The committed corpus, tests/fuzz/corpus/NAME/, in name order (GBytes). */
static GPtrArray *fuzz_corpus_load(void)
{
    char *dir = g_build_filename(g_getenv("VIREO_SRC") ? g_getenv("VIREO_SRC") : ".",
                                 "tests", "fuzz", "corpus", fuzz_name, NULL);
    GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
        const char *f;
        while ((f = g_dir_read_name(d))) {
            g_ptr_array_add(names, g_strdup(f));
        }
        g_dir_close(d);
    }
    g_ptr_array_sort(names, fuzz_name_cmp);
    for (guint i = 0; i < names->len; i++) {
        char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        gchar *buf;
        gsize len;
        if (g_file_get_contents(path, &buf, &len, NULL)) {
            g_ptr_array_add(files, g_bytes_new_take(buf, len));
        }
        g_free(path);
    }
    g_test_message("%u corpus inputs from %s", files->len, dir);
    g_ptr_array_free(names, TRUE);
    g_free(dir);
    return files;
}

static void test_corpus(void)
{
    GPtrArray *files = fuzz_corpus_load();
    for (guint i = 0; i < files->len; i++) {
        gsize len;
        const uint8_t *buf = g_bytes_get_data(g_ptr_array_index(files, i), &len);
        fuzz_one(buf, len);
    }
    g_ptr_array_free(files, TRUE);
}

/* A few random edits of a corpus input: what a fuzzer would try first,
 * and for text protocols far more useful than uniform random bytes. */
static size_t fuzz_mutate(GRand *r, GBytes *seed, uint8_t *buf, size_t max)
{
    static const char interesting[] = "0123456789xf()$,=: \n\r/-+*~#}{\"'";
    gsize len;
    const uint8_t *src = g_bytes_get_data(seed, &len);
    len = MIN(len, max);
    memcpy(buf, src, len);
    int edits = g_rand_int_range(r, 1, 9);
    for (int e = 0; e < edits; e++) {
        size_t at = len ? g_rand_int_range(r, 0, len) : 0;
        switch (g_rand_int_range(r, 0, 5)) {
        case 0:                                     /* overwrite with any byte */
            if (len) {
                buf[at] = g_rand_int(r);
            }
            break;
        case 1:                                     /* overwrite with a syntax byte */
            if (len) {
                buf[at] = interesting[g_rand_int_range(r, 0, sizeof(interesting) - 1)];
            }
            break;
        case 2:                                     /* insert a syntax byte */
            if (len < max) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = interesting[g_rand_int_range(r, 0, sizeof(interesting) - 1)];
                len++;
            }
            break;
        case 3:                                     /* delete a run */
            if (len) {
                size_t n = g_rand_int_range(r, 1, 17);     /* not inside MIN(): evaluated twice */
                n = MIN(n, len - at);
                memmove(buf + at, buf + at + n, len - at - n);
                len -= n;
            }
            break;
        default: {                                  /* repeat a run */
            size_t n = g_rand_int_range(r, 1, 65);
            n = MIN(MIN(n, len - at), max - len);
            memmove(buf + at + n, buf + at, len - at);
            len += n;
            break;
        }
        }
    }
    return len;
}

/* FUZZ_RUNS inputs (default 3000), half of them uniform random bytes and,
 * when there is a corpus, half of them mutated corpus inputs. */
static void test_random(void)
{
    GRand *r = g_rand_new_with_seed(0x5eed);
    int count = g_getenv("FUZZ_RUNS") ? atoi(g_getenv("FUZZ_RUNS")) : 3000;
    GPtrArray *files = fuzz_corpus_load();
    uint8_t buf[4096];
    for (int i = 0; i < count; i++) {
        size_t len;
        if (files->len && (i & 1)) {
            len = fuzz_mutate(r, g_ptr_array_index(files, g_rand_int_range(r, 0, files->len)),
                              buf, sizeof(buf));
        } else {
            len = g_rand_int_range(r, 1, sizeof(buf));
            for (size_t j = 0; j < len; j++) {
                buf[j] = g_rand_int(r);
            }
        }
        fuzz_one(buf, len);
    }
    g_ptr_array_free(files, TRUE);
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fuzz_setup();
    char *p1 = g_strdup_printf("/fuzz/%s/corpus", fuzz_name);
    char *p2 = g_strdup_printf("/fuzz/%s/random", fuzz_name);
    g_test_add_func(p1, test_corpus);
    g_test_add_func(p2, test_random);
    g_free(p1);          /* g_test_add_func keeps its own copies */
    g_free(p2);
    return g_test_run();
}
#endif

#endif
