/*
 * The PC's ISA DMA: two 8237A controllers (channels 0-3 byte-wide, 4-7
 * word-wide; channel 4 is the cascade) with their page registers.
 *
 * A device that does ISA DMA (the floppy controller on channel 2)
 * registers a transfer handler for its channel and raises its DREQ with
 * i8257_hold_dreq().  While DREQ is held and the channel is unmasked, the
 * controller calls the handler from the main loop (a bottom half):
 *
 *     int handler(void *opaque, int nchan, int pos, int size);
 *
 * size is the channel's programmed block in bytes (count + 1, in bytes
 * also for word channels), pos how much of it was already moved.  The
 * handler moves data with i8257_read_memory()/i8257_write_memory() at
 * offset pos and returns the new pos.  When pos reaches size the channel
 * reaches terminal count: its TC status bit is set and it is masked (or
 * reloaded, in autoinitialize mode).  The handler sees TC as pos == size.
 *
 * The controller is found through the ISA bus: isa_get_dma().
 */
#ifndef HW_DMA_I8257_H
#define HW_DMA_I8257_H

#include <stdbool.h>

typedef struct I8257State I8257State;

typedef int I8257TransferHandler(void *opaque, int nchan, int pos, int size);

void i8257_register_channel(I8257State *d, int nchan, I8257TransferHandler *fn, void *opaque);
/* DREQ of channel nchan (0..7) asserted / deasserted. */
void i8257_hold_dreq(I8257State *d, int nchan);
void i8257_release_dreq(I8257State *d, int nchan);

/* Memory -> device (the channel must be in "read" mode; in "verify" mode
 * the buffer is zero-filled and memory is not touched).  pos is the offset
 * in the programmed block, len is clipped to the block; returns the bytes
 * accounted for. */
int i8257_read_memory(I8257State *d, int nchan, void *buf, int pos, int len);
/* Device -> memory (the channel must be in "write" mode; in "verify" mode
 * nothing is written). */
int i8257_write_memory(I8257State *d, int nchan, const void *buf, int pos, int len);

#endif
