/*
 * Bottom halves: schedule a callback, from any thread, to run soon in the
 * main loop's thread.
 *
 * A worker thread (block I/O completions), a vCPU thread (a virtqueue kick
 * that should be drained outside the vCPU) or the main loop itself calls
 * bh_schedule(); the callback then runs once in the main loop, before the
 * loop next sleeps.  Scheduling an already-scheduled BH is a no-op, so a
 * burst of completions coalesces into one run.  The callback runs with the
 * same locks held as timer callbacks and device handlers run with.
 *
 * Used by: the block layer (completions), virtio (notification mitigation),
 * network backends and displays.  Each BH counts its runs for the
 * I/O-overhead accounting (bh_run_count).
 */
#ifndef UTIL_BH_H
#define UTIL_BH_H

#include <stdbool.h>
#include <stdint.h>

typedef struct BH BH;
typedef void BHFunc(void *opaque);

/* Creating and deleting are main-loop-thread operations. */
BH *bh_new(BHFunc *fn, void *opaque);
/* Cancels a pending run; the callback is never called after this returns
 * (when called from the main loop thread). */
void bh_delete(BH *bh);

/* Thread-safe.  Wakes the main loop if it sleeps. */
void bh_schedule(BH *bh);
/* Thread-safe: a pending run is dropped. */
void bh_cancel(BH *bh);
bool bh_scheduled(BH *bh);
uint64_t bh_run_count(BH *bh);

/* Main loop side: run every scheduled BH (including those scheduled by the
 * callbacks themselves, up to a bound so a BH that reschedules itself cannot
 * starve the loop); returns true if any ran. */
bool bh_poll(void);
/* True when at least one BH is waiting: the loop must not sleep. */
bool bh_pending(void);
/* Attach the GSource that runs BHs to the default GLib main context (the
 * main loop calls it once; tests that iterate GLib themselves may too). */
void bh_attach_main_context(void);

#endif
