/* The PC speaker: port 0x61 bits 0-1 and the 8254's counter 2, heard
 * through an audio voice (-machine pcspk-audiodev=ID). */
#ifndef HW_AUDIO_PCSPK_H
#define HW_AUDIO_PCSPK_H

#include "audio/audio.h"
#include "hw/core/device.h"

#define PCSPK_RATE 44100

typedef struct PCSpk PCSpk;

/* Listens to pit's port 0x61 and plays into voice. */
PCSpk *pcspk_new(Device *pit, AudioVoice *voice);

#endif
