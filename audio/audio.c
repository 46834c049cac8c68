/* Audio backends: the registry, "none" and "wav" (see audio.h); "sdl" is
 * audio/sdlaudio.c. */
#include "config-host.h"
#include "audio/audio.h"
#include "audio/audio-int.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/keyval.h"

static GPtrArray *devs;

static const AudioDriver *const drivers[] = {
    &audio_none_driver,
    &audio_wav_driver,
#ifdef CONFIG_SDL
    &audio_sdl_driver,
#endif
};

void audio_print_drivers(void)
{
    printf("Available audio drivers:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(drivers); i++) {
        printf("%s\n", drivers[i]->name);
    }
}

AudioDev *audio_find(const char *id)
{
    for (guint i = 0; devs && i < devs->len; i++) {
        AudioDev *d = devs->pdata[i];
        if (!strcmp(d->id, id)) {
            return d;
        }
    }
    return NULL;
}

bool audio_add(const char *opts, GError **errp)
{
    KeyVal *kv = keyval_parse(opts, "driver", errp);
    if (!kv) {
        return false;
    }
    bool ok = false;
    const char *drv = keyval_take(kv, "driver");
    const char *id = keyval_take(kv, "id");
    const AudioDriver *driver = NULL;
    for (size_t i = 0; drv && i < G_N_ELEMENTS(drivers); i++) {
        if (!strcmp(drivers[i]->name, drv)) {
            driver = drivers[i];
        }
    }
    if (!drv) {
        vireo_set_error(errp, "Parameter 'driver' is missing");
    } else if (!driver) {
        vireo_set_error(errp, "Parameter 'driver' does not accept value '%s' (-audiodev help lists them)", drv);
    } else if (!id) {
        vireo_set_error(errp, "Parameter 'id' is missing");
    } else if (audio_find(id)) {
        vireo_set_error(errp, "Duplicate audiodev ID '%s'", id);
    } else {
        AudioDev *d = g_new0(AudioDev, 1);
        d->driver = driver;
        d->id = g_strdup(id);
        if (driver->init(d, kv, errp)) {
            const char *extra = keyval_unused(kv);
            if (extra) {
                vireo_set_error(errp, "Invalid parameter '%s'", extra);
                if (driver->fini) {
                    driver->fini(d);
                }
            } else {
                if (!devs) {
                    devs = g_ptr_array_new();
                    atexit(audio_cleanup);
                }
                g_ptr_array_add(devs, d);
                ok = true;
            }
        }
        if (!ok) {
            g_free(d->id);
            g_free(d);
        }
    }
    keyval_free(kv);
    return ok;
}

AudioVoice *audio_voice_open(AudioDev *dev, const char *name, int rate, GError **errp)
{
    AudioVoice *v = g_new0(AudioVoice, 1);
    v->dev = dev;
    v->rate = rate;
    v->name = g_strdup(name);
    if (dev->driver->voice_open && !dev->driver->voice_open(v, errp)) {
        g_free(v->name);
        g_free(v);
        return NULL;
    }
    dev->voices = g_list_append(dev->voices, v);
    return v;
}

bool audio_voice_timeline(const AudioVoice *v)
{
    return v->dev->driver->timeline;
}

void audio_voice_write(AudioVoice *v, const int16_t *samples, size_t n)
{
    if (v->dev->driver->voice_write && n) {
        v->dev->driver->voice_write(v, samples, n);
    }
}

void audio_cleanup(void)
{
    for (guint i = 0; devs && i < devs->len; i++) {
        AudioDev *d = devs->pdata[i];
        if (d->driver->fini) {
            d->driver->fini(d);
        }
    }
    /* the devices stay allocated: a voice may still be written after an
     * early exit path ran this; fini left them inert */
}

/* ---- none: sound goes nowhere ---- */

static bool none_init(AudioDev *d, KeyVal *kv, GError **errp)
{
    return true;
}

const AudioDriver audio_none_driver = {
    .name = "none",
    .init = none_init,
};

/* ---- wav: a RIFF WAVE file, PCM s16le mono at the voice's rate ---- */

typedef struct WavState {
    FILE *f;
    char *path;
    uint64_t data_bytes;
    bool header_done;
} WavState;

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = v >> (8 * i);
    }
}

static void wav_header(WavState *w, int rate)
{
    uint8_t h[44];
    uint32_t data = w->data_bytes > 0xffffffffu - 36 ? 0xffffffffu - 36 : (uint32_t)w->data_bytes;
    memcpy(h, "RIFF", 4);
    put_le(h + 4, 36 + data, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le(h + 16, 16, 4);          /* fmt chunk size */
    put_le(h + 20, 1, 2);           /* PCM */
    put_le(h + 22, 1, 2);           /* mono */
    put_le(h + 24, rate, 4);
    put_le(h + 28, rate * 2, 4);    /* bytes per second */
    put_le(h + 32, 2, 2);           /* block align */
    put_le(h + 34, 16, 2);          /* bits per sample */
    memcpy(h + 36, "data", 4);
    put_le(h + 40, data, 4);
    fseek(w->f, 0, SEEK_SET);
    fwrite(h, 1, sizeof(h), w->f);
    fseek(w->f, 0, SEEK_END);
}

static bool wav_init(AudioDev *d, KeyVal *kv, GError **errp)
{
    const char *path = keyval_take(kv, "path");
    WavState *w = g_new0(WavState, 1);
    w->path = g_strdup(path ? path : "vireo.wav");
    w->f = fopen(w->path, "wb");
    if (!w->f) {
        vireo_set_error(errp, "cannot create '%s': %s", w->path,
                    g_strerror(errno));
        g_free(w->path);
        g_free(w);
        return false;
    }
    d->opaque = w;
    return true;
}

static bool wav_voice_open(AudioVoice *v, GError **errp)
{
    WavState *w = v->dev->opaque;
    if (w->header_done) {
        vireo_set_error(errp, "audiodev '%s': a wav file takes one sound source", v->dev->id);
        return false;
    }
    w->header_done = true;
    wav_header(w, v->rate);
    return true;
}

static void wav_voice_write(AudioVoice *v, const int16_t *samples, size_t n)
{
    WavState *w = v->dev->opaque;
    if (!w->f) {
        return;
    }
    uint8_t buf[2048];
    while (n) {
        size_t k = MIN(n, sizeof(buf) / 2);
        for (size_t i = 0; i < k; i++) {
            put_le(buf + 2 * i, (uint16_t)samples[i], 2);
        }
        fwrite(buf, 2, k, w->f);
        w->data_bytes += 2 * k;
        samples += k;
        n -= k;
    }
}

static void wav_fini(AudioDev *d)
{
    WavState *w = d->opaque;
    if (!w || !w->f) {
        return;
    }
    if (w->header_done) {
        AudioVoice *v = d->voices ? d->voices->data : NULL;
        wav_header(w, v ? v->rate : 44100);
    }
    fclose(w->f);
    w->f = NULL;
}

const AudioDriver audio_wav_driver = {
    .name = "wav",
    .timeline = true,
    .init = wav_init,
    .voice_open = wav_voice_open,
    .voice_write = wav_voice_write,
    .fini = wav_fini,
};
