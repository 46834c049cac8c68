/* -audiodev sdl: SDL2's audio output (a queue the device's callback-free
 * SDL_QueueAudio fills; SDL plays silence when it runs dry). */
#include "config-host.h"
#include "audio/audio-int.h"
#include "util/error.h"

#ifdef CONFIG_SDL
#include <SDL.h>

static bool sdl_init(AudioDev *d, KeyVal *kv, GError **errp)
{
    return true;
}

static bool sdl_voice_open(AudioVoice *v, GError **errp)
{
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) < 0) {
        vireo_set_error(errp, "audiodev '%s': SDL audio: %s",
                    v->dev->id, SDL_GetError());
        return false;
    }
    SDL_AudioSpec want = { 0 }, have;
    want.freq = v->rate;
    want.format = AUDIO_S16SYS;
    want.channels = 1;
    want.samples = 1024;
    SDL_AudioDeviceID id = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
    if (!id) {
        vireo_set_error(errp, "audiodev '%s': cannot open an SDL audio device: %s", v->dev->id, SDL_GetError());
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return false;
    }
    v->opaque = GUINT_TO_POINTER(id);
    SDL_PauseAudioDevice(id, 0);
    return true;
}

static void sdl_voice_write(AudioVoice *v, const int16_t *samples, size_t n)
{
    SDL_AudioDeviceID id = GPOINTER_TO_UINT(v->opaque);
    if (!id) {
        return;
    }
    /* more than half a second behind (the host device stalled): drop */
    if (SDL_GetQueuedAudioSize(id) > (Uint32)v->rate) {
        return;
    }
    SDL_QueueAudio(id, samples, n * sizeof(*samples));
}

static void sdl_fini(AudioDev *d)
{
    for (GList *l = d->voices; l; l = l->next) {
        AudioVoice *v = l->data;
        if (v->opaque) {
            SDL_CloseAudioDevice(GPOINTER_TO_UINT(v->opaque));
            v->opaque = NULL;
            SDL_QuitSubSystem(SDL_INIT_AUDIO);
        }
    }
}

const AudioDriver audio_sdl_driver = {
    .name = "sdl",
    .init = sdl_init,
    .voice_open = sdl_voice_open,
    .voice_write = sdl_voice_write,
    .fini = sdl_fini,
};
#endif
