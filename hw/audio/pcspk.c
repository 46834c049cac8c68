/*
 * PC speaker.  The cone follows port 0x61 bit 1 (speaker data) ANDed with
 * OUT of the 8254's counter 2, whose gate is bit 0: a program either sets
 * both bits and a mode 3 count (a tone of 1193182 / count Hz) or toggles
 * bit 1 by hand with the gate low (OUT is high then).  Samples are taken
 * at PCSPK_RATE on the virtual clock, so what is heard matches guest time,
 * not host speed: a 10 ms timer runs while bit 1 is set and turns the
 * elapsed virtual time into samples; each port 0x61 write is kept with its
 * time, so hand-made waves survive between ticks.  High is +amplitude, low
 * -amplitude, the speaker off is 0.  A backend with a timeline (wav) also
 * gets the silence between sounds, up to 10 s of it.
 */
#include "hw/audio/pcspk.h"

#include <string.h>

#include "hw/core/timer.h"
#include "hw/timer/i8254.h"

#define TICK_NS 10000000
#define AMPLITUDE 8000
#define MAX_GAP_NS 10000000000ll
#define MAX_EVENTS 4096

typedef struct Port61Event {
    int64_t t;
    uint8_t val;
} Port61Event;

struct PCSpk {
    Device *pit;
    AudioVoice *voice;
    Timer *timer;
    uint8_t val;            /* port 0x61 at done_ns */
    int64_t done_ns;        /* samples exist up to here (-1: never started) */
    uint64_t nsamples;      /* since start: sample k is at start_ns + k / rate */
    int64_t start_ns;
    GArray *events;         /* Port61Event, after done_ns */
};

static int16_t level(PCSpk *s, uint8_t val, int64_t t)
{
    if (!(val & 2)) {
        return 0;
    }
    return i8254_out_at(s->pit, 2, t) ? AMPLITUDE : -AMPLITUDE;
}

/* Samples from done_ns up to now, following the recorded writes. */
static void generate(PCSpk *s, int64_t now)
{
    int16_t buf[512];
    size_t n = 0;
    guint ev = 0;
    for (;;) {
        int64_t t = s->start_ns + (int64_t)(s->nsamples * 1000000000ull / PCSPK_RATE);
        if (t >= now) {
            break;
        }
        while (ev < s->events->len && g_array_index(s->events, Port61Event, ev).t <= t) {
            s->val = g_array_index(s->events, Port61Event, ev).val;
            ev++;
        }
        buf[n++] = level(s, s->val, t);
        s->nsamples++;
        if (n == G_N_ELEMENTS(buf)) {
            audio_voice_write(s->voice, buf, n);
            n = 0;
        }
    }
    audio_voice_write(s->voice, buf, n);
    for (; ev < s->events->len; ev++) {
        s->val = g_array_index(s->events, Port61Event, ev).val;
    }
    g_array_set_size(s->events, 0);
    s->done_ns = now;
}

static void pcspk_tick(void *opaque)
{
    PCSpk *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    generate(s, now);
    if (s->val & 2) {
        timer_mod(s->timer, now + TICK_NS);
    }
}

static void pcspk_port61(void *opaque, int64_t now, uint8_t val)
{
    PCSpk *s = opaque;
    bool running = timer_pending(s->timer);
    if (!running && (val & 2) && !(s->val & 2)) {
        /* a sound starts: from now on, after the silence since the last */
        int64_t gap = s->done_ns < 0 ? 0 : now - s->done_ns;
        if (audio_voice_timeline(s->voice) && gap > 0) {
            s->start_ns = now - MIN(gap, MAX_GAP_NS);
            s->nsamples = 0;
            s->val = 0;
            generate(s, now);
        }
        s->start_ns = now;
        s->nsamples = 0;
        s->done_ns = now;
        s->val = val;
        timer_mod(s->timer, now + TICK_NS);
        return;
    }
    if (running) {
        if (s->events->len >= MAX_EVENTS) {
            /* a guest toggling the port faster than ticks come (or a
             * clock that does not move, under qtest): render what is due
             * now rather than let the list grow */
            generate(s, now);
        }
        Port61Event e = { now, val };
        g_array_append_val(s->events, e);
        if (!(val & 2)) {
            /* off: finish the sound up to here */
            generate(s, now);
            timer_del(s->timer);
        }
        return;
    }
    s->val = val;
}

PCSpk *pcspk_new(Device *pit, AudioVoice *voice)
{
    PCSpk *s = g_new0(PCSpk, 1);
    s->pit = pit;
    s->voice = voice;
    s->done_ns = -1;
    s->events = g_array_new(FALSE, FALSE, sizeof(Port61Event));
    s->timer = timer_new(CLOCK_VIRTUAL, pcspk_tick, s);
    i8254_set_port61_listener(pit, pcspk_port61, s);
    return s;
}
