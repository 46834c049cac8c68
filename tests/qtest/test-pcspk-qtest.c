/*
 * The PC speaker through qtest, recorded by the wav backend:
 *   -audiodev wav,id=snd0,path=F -machine pcspk-audiodev=snd0
 * A 1000 Hz tone (8254 counter 2, mode 3, count 1193) switched on with
 * port 0x61 bits 0-1 for 0.5 s of virtual time (clock_step), then off:
 * the file is a valid RIFF WAVE (PCM, mono, 16 bits, 44100 Hz) whose
 * sound lasts 0.5 s and whose square wave has 1000 periods a second; a
 * second tone after 0.2 s of silence comes with that silence before it
 * (a file keeps the timeline).  Bit 1 toggled by hand with the gate low
 * (the way old programs make sound) is heard too.  Without
 * pcspk-audiodev nothing is written; a wrong id or driver is one line.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/qtest/libqtest.h"

#define RATE 44100

static uint32_t le(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void tone(QTestState *s, unsigned count)
{
    qtest_outb(s, 0x43, 0xb6);              /* counter 2, LSB then MSB, mode 3 */
    qtest_outb(s, 0x42, count & 0xff);
    qtest_outb(s, 0x42, count >> 8);
}

/* Read the wav: checks the header, returns the samples. */
static int16_t *read_wav(const char *path, size_t *n)
{
    gchar *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    const uint8_t *p = (const uint8_t *)data;
    g_assert_cmpuint(len, >=, 44);
    g_assert_true(!memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WAVEfmt ", 8) && !memcmp(p + 36, "data", 4));
    g_assert_cmpuint(le(p + 4, 4), ==, len - 8);
    g_assert_cmpuint(le(p + 20, 2), ==, 1);         /* PCM */
    g_assert_cmpuint(le(p + 22, 2), ==, 1);         /* mono */
    g_assert_cmpuint(le(p + 24, 4), ==, RATE);
    g_assert_cmpuint(le(p + 34, 2), ==, 16);
    g_assert_cmpuint(le(p + 40, 4), ==, len - 44);
    *n = (len - 44) / 2;
    int16_t *s = g_new(int16_t, *n + 1);
    for (size_t i = 0; i < *n; i++) {
        s[i] = (int16_t)le(p + 44 + 2 * i, 2);
    }
    g_free(data);
    return s;
}

/* Samples that are sound (non-zero) and rising edges (low to high) in [a, b). */
static void measure(const int16_t *s, size_t a, size_t b, size_t *sound, size_t *first,
                    size_t *last, int *rises)
{
    *sound = *rises = 0;
    *first = *last = 0;
    for (size_t i = a; i < b; i++) {
        if (s[i]) {
            if (!*sound) {
                *first = i;
            }
            *last = i;
            (*sound)++;
        }
        if (i > a && s[i] > 0 && s[i - 1] < 0) {
            (*rises)++;
        }
    }
}

static void test_tone(void)
{
    g_autofree char *path = g_strdup_printf("%s/vireo-pcspk-%d.wav", g_get_tmp_dir(), getpid());
    g_autofree char *args = g_strdup_printf("-audiodev wav,id=snd0,path=%s -machine pcspk-audiodev=snd0", path);
    QTestState *s = qtest_start(args);
    tone(s, 1193);                          /* 1193182 / 1193 = 1000.15 Hz */
    qtest_outb(s, 0x61, 0x03);
    qtest_clock_step(s, 500000000);
    qtest_outb(s, 0x61, 0x00);
    qtest_clock_step(s, 200000000);         /* silence */
    tone(s, 2386);                          /* 500 Hz for 0.2 s */
    qtest_outb(s, 0x61, 0x03);
    qtest_clock_step(s, 200000000);
    qtest_outb(s, 0x61, 0x00);
    /* bit 1 by hand, gate low: 100 toggles 1 ms apart = 50 Hz square */
    qtest_clock_step(s, 100000000);
    for (int i = 0; i < 100; i++) {
        qtest_outb(s, 0x61, (i & 1) ? 0x00 : 0x02);
        qtest_clock_step(s, 10000000);
    }
    qtest_outb(s, 0x61, 0x00);
    qtest_quit(s);

    size_t n;
    int16_t *w = read_wav(path, &n);
    unlink(path);
    size_t sound, first, last;
    int rises;
    /* the first tone: 0.5 s = 22050 samples, ~500 periods */
    measure(w, 0, MIN(n, (size_t)RATE * 6 / 10), &sound, &first, &last, &rises);
    g_assert_cmpuint(first, ==, 0);
    g_assert_cmpuint(last + 1, >=, RATE / 2 - 2);
    g_assert_cmpuint(last + 1, <=, RATE / 2 + 2);
    g_assert_cmpint(rises, >=, 499);
    g_assert_cmpint(rises, <=, 501);
    /* then 0.2 s of silence, then 0.2 s at 500 Hz: ~100 periods */
    measure(w, RATE / 2, MIN(n, (size_t)RATE * 9 / 10 + 100), &sound, &first, &last, &rises);
    g_assert_cmpuint(first, >=, RATE * 7 / 10 - 2);
    g_assert_cmpuint(first, <=, RATE * 7 / 10 + 2);
    g_assert_cmpuint(last - first + 1, >=, RATE / 5 - 2);
    g_assert_cmpuint(last - first + 1, <=, RATE / 5 + 2);
    g_assert_cmpint(rises, >=, 99);
    g_assert_cmpint(rises, <=, 101);
    /* hand-made wave: 10 ms high, 10 ms low (0 = off), 50 times */
    int highs = 0;
    for (size_t i = RATE * 9 / 10 + 100; i + 1 < n; i++) {
        highs += w[i] == 0 && w[i + 1] > 0;
    }
    g_assert_cmpint(highs, >=, 49);
    g_assert_cmpint(highs, <=, 51);
    g_free(w);
}

static void test_no_audiodev(void)
{
    /* no pcspk-audiodev: the speaker is silent and the wav file stays a
     * bare header (no voice was opened: not even that) */
    g_autofree char *path = g_strdup_printf("%s/vireo-pcspk-none-%d.wav", g_get_tmp_dir(), getpid());
    g_autofree char *args = g_strdup_printf("-audiodev wav,id=snd0,path=%s", path);
    QTestState *s = qtest_start(args);
    tone(s, 1193);
    qtest_outb(s, 0x61, 0x03);
    qtest_clock_step(s, 100000000);
    qtest_outb(s, 0x61, 0x00);
    qtest_quit(s);
    gchar *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 0);
    g_free(data);
    unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/pcspk/tone", test_tone);
    g_test_add_func("/qtest/pcspk/no-audiodev", test_no_audiodev);
    return g_test_run();
}
