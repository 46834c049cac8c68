/*
 * Display core.  A graphics device (VGA) owns a Console and draws the guest's
 * picture into the console's DisplaySurface, a pixman image.  Displays (SDL
 * window, VNC server, screendump) register as DisplayListeners: they are told
 * when the surface is replaced (mode change) and which rectangles changed.
 *
 * Threads: everything here runs on the main-loop thread with the big lock
 * held (bql_lock), like device timers.  The refresh timer (realtime clock)
 * calls each listener's refresh(), which normally calls console_hw_update()
 * so the device redraws what the guest changed since the last frame.
 */
#ifndef UI_CONSOLE_H
#define UI_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <pixman.h>

typedef struct Console Console;
typedef struct DisplayListener DisplayListener;

/* A frame buffer: always a pixman image; 32 bpp x8r8g8b8 unless the device
 * shares guest memory in another format (surface_create_from). */
typedef struct DisplaySurface {
    pixman_image_t *image;
    bool shared;                /* data belongs to the device (guest VRAM) */
} DisplaySurface;

DisplaySurface *surface_create(int width, int height);          /* zeroed, x8r8g8b8 */
DisplaySurface *surface_create_from(int width, int height, pixman_format_code_t fmt,
                                    int stride, uint8_t *data);  /* no copy */
void surface_free(DisplaySurface *s);
static inline int surface_width(const DisplaySurface *s) { return pixman_image_get_width(s->image); }
static inline int surface_height(const DisplaySurface *s) { return pixman_image_get_height(s->image); }
static inline int surface_stride(const DisplaySurface *s) { return pixman_image_get_stride(s->image); }
static inline uint8_t *surface_data(const DisplaySurface *s) { return (uint8_t *)pixman_image_get_data(s->image); }
static inline pixman_format_code_t surface_format(const DisplaySurface *s) { return pixman_image_get_format(s->image); }

/* What the graphics device provides. */
typedef struct ConsoleHwOps {
    /* Redraw what changed into the surface, calling console_gfx_update() for
     * each changed rectangle (and console_replace_surface() on a mode change). */
    void (*gfx_update)(void *opaque);
    /* The next gfx_update redraws everything. */
    void (*invalidate)(void *opaque);
    /* Text mode only, for a character display (-display curses): fill
     * cells[w*h] with (attribute << 8 | character) and report the size and
     * cursor; false when the device is not in a text mode. */
    bool (*text_update)(void *opaque, uint16_t *cells, int *w, int *h,
                        int *cursor_x, int *cursor_y, bool *cursor_visible);
} ConsoleHwOps;

/* What a display provides; every member is optional. */
typedef struct DisplayListenerOps {
    const char *name;
    void (*refresh)(DisplayListener *dl);          /* timer tick; default: console_hw_update */
    void (*gfx_update)(DisplayListener *dl, int x, int y, int w, int h);
    void (*gfx_switch)(DisplayListener *dl, DisplaySurface *surface);
} DisplayListenerOps;

struct DisplayListener {
    const DisplayListenerOps *ops;
    Console *con;               /* set by display_listener_register */
    int64_t update_interval_ms; /* 0: the default (30 ms) */
};

/* A listener changes its refresh interval (VNC backs off while nothing
 * changes); a shorter one takes effect at once. */
void display_listener_set_interval(DisplayListener *dl, int64_t ms);

/* Graphics device side.  The first console created is the one displays and
 * screendump use by default (index 0). */
Console *console_new_graphic(const char *name, const ConsoleHwOps *ops, void *opaque);
void console_replace_surface(Console *con, DisplaySurface *surface); /* frees the old one */
void console_gfx_update(Console *con, int x, int y, int w, int h);
DisplaySurface *console_surface(Console *con);
const char *console_name(Console *con);

/* Display side. */
Console *console_by_index(int index);                 /* NULL if none */
int console_index_by_name(const char *name);          /* -1 if none */
void console_hw_update(Console *con);
void console_hw_invalidate(Console *con);
bool console_text_update(Console *con, uint16_t *cells, int *w, int *h,
                         int *cursor_x, int *cursor_y, bool *cursor_visible);
void display_listener_register(DisplayListener *dl, Console *con); /* con NULL: index 0 */
void display_listener_unregister(DisplayListener *dl);

/* HMP/QMP screendump: redraw, then save console INDEX (or the first) as
 * FORMAT "ppm" (P6) or "png" (NULL: ppm).  False with *errp on failure. */
bool console_screendump(const char *filename, int index, const char *format, GError **errp);

#endif
