/*
 * Audio backends and voices (QEMU's -audiodev).  A backend is one
 * -audiodev DRIVER,id=ID[,...]: "none" (discards), "wav" (a RIFF WAVE
 * file, path=, default vireo.wav) or "sdl" (SDL2's audio output, when
 * built with SDL2).  A device that makes sound (the PC speaker) opens a
 * voice on the backend the machine names (-machine pcspk-audiodev=ID) and
 * writes signed 16-bit mono samples at its rate; the backend converts
 * nothing.  Everything runs on the main-loop thread under the BQL.
 */
#ifndef AUDIO_AUDIO_H
#define AUDIO_AUDIO_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct AudioDev AudioDev;
typedef struct AudioVoice AudioVoice;

/* -audiodev OPTS: false with an error naming the problem (unknown
 * driver, missing or duplicate id, unknown option, file not writable). */
bool audio_add(const char *opts, GError **errp);
/* -audiodev help: the drivers this binary has. */
void audio_print_drivers(void);
AudioDev *audio_find(const char *id);

/* A mono s16 voice at rate Hz on dev (the sdl driver opens the host's
 * audio device here: NULL with an error when it cannot). */
AudioVoice *audio_voice_open(AudioDev *dev, const char *name, int rate, GError **errp);
/* The backend keeps a timeline (a file): silence between sounds is to be
 * written, not skipped. */
bool audio_voice_timeline(const AudioVoice *v);
void audio_voice_write(AudioVoice *v, const int16_t *samples, size_t n);

/* Finish every backend (the wav header's sizes); also run at exit. */
void audio_cleanup(void);

#endif
