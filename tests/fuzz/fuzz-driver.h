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

#include "hw/i386/pc.h"

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
    pc_machine_init(&cfg);
    return pc_first_cpu();
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
static void test_corpus(void)
{
    char *dir = g_build_filename(g_getenv("VIREO_SRC") ? g_getenv("VIREO_SRC") : ".",
                                 "tests", "fuzz", "corpus", fuzz_name, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    if (d) {
        const char *f;
        while ((f = g_dir_read_name(d))) {
            char *path = g_build_filename(dir, f, NULL);
            gchar *buf;
            gsize len;
            if (g_file_get_contents(path, &buf, &len, NULL)) {
                fuzz_one((const uint8_t *)buf, len);
                g_free(buf);
                n++;
            }
            g_free(path);
        }
        g_dir_close(d);
    }
    g_test_message("%d corpus inputs from %s", n, dir);
    g_free(dir);
}

static void test_random(void)
{
    GRand *r = g_rand_new_with_seed(0x5eed);
    int count = g_getenv("FUZZ_RUNS") ? atoi(g_getenv("FUZZ_RUNS")) : 3000;
    uint8_t buf[4096];
    for (int i = 0; i < count; i++) {
        size_t len = g_rand_int_range(r, 1, sizeof(buf));
        for (size_t j = 0; j < len; j++) {
            buf[j] = g_rand_int(r);
        }
        fuzz_one(buf, len);
    }
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
