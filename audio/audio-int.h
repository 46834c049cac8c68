/* Inside audio/: what a backend implements. */
#ifndef AUDIO_AUDIO_INT_H
#define AUDIO_AUDIO_INT_H

#include "audio/audio.h"
#include "util/keyval.h"

typedef struct AudioDriver {
    const char *name;
    bool timeline;              /* see audio_voice_timeline */
    /* take the driver's own options from kv */
    bool (*init)(AudioDev *d, KeyVal *kv, GError **errp);
    bool (*voice_open)(AudioVoice *v, GError **errp);
    void (*voice_write)(AudioVoice *v, const int16_t *samples, size_t n);
    void (*fini)(AudioDev *d);
} AudioDriver;

struct AudioDev {
    const AudioDriver *driver;
    char *id;
    void *opaque;
    GList *voices;
};

struct AudioVoice {
    AudioDev *dev;
    char *name;
    int rate;
    void *opaque;
};

extern const AudioDriver audio_none_driver, audio_wav_driver, audio_sdl_driver;

#endif
