/*
 * Display core (ui/console.h): consoles with their pixman surfaces, the
 * displays listening to them, the refresh timer, and screendump.
 *
 * Everything runs on the main-loop thread under the big lock.  The refresh
 * timer (CLOCK_RT) exists only while some display listens: without one a
 * graphics device is never asked to redraw, so an emulated VGA costs
 * nothing until someone looks (screendump redraws on demand).
 */
#include "ui/console.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/core/timer.h"
#include "util/error.h"

#define DEFAULT_REFRESH_MS 30

struct Console {
    char *name;
    int index;
    const ConsoleHwOps *ops;
    void *opaque;
    DisplaySurface *surface;
};

static GPtrArray *consoles;         /* Console * by index */
static GPtrArray *listeners;        /* DisplayListener * */
static Timer *refresh_timer;

/* ---- surfaces ---- */

DisplaySurface *surface_create(int width, int height)
{
    DisplaySurface *s = g_new0(DisplaySurface, 1);
    /* pixman allocates (and clears) the bits itself when given none */
    s->image = pixman_image_create_bits(PIXMAN_x8r8g8b8, width, height, NULL, width * 4);
    g_assert(s->image);
    return s;
}

DisplaySurface *surface_create_from(int width, int height, pixman_format_code_t fmt,
                                    int stride, uint8_t *data)
{
    DisplaySurface *s = g_new0(DisplaySurface, 1);
    s->image = pixman_image_create_bits(fmt, width, height, (uint32_t *)data, stride);
    g_assert(s->image);
    s->shared = true;
    return s;
}

void surface_free(DisplaySurface *s)
{
    if (s) {
        pixman_image_unref(s->image);
        g_free(s);
    }
}

/* ---- the graphics device's side ---- */

Console *console_new_graphic(const char *name, const ConsoleHwOps *ops, void *opaque)
{
    if (!consoles) {
        consoles = g_ptr_array_new();
    }
    Console *con = g_new0(Console, 1);
    con->name = g_strdup(name);
    con->index = consoles->len;
    con->ops = ops;
    con->opaque = opaque;
    /* until the device sets a mode: a blank 640x480 screen */
    con->surface = surface_create(640, 480);
    g_ptr_array_add(consoles, con);
    return con;
}

static bool listens_to(DisplayListener *dl, Console *con)
{
    return dl->con == con;
}

void console_replace_surface(Console *con, DisplaySurface *surface)
{
    DisplaySurface *old = con->surface;
    con->surface = surface;
    for (guint i = 0; listeners && i < listeners->len; i++) {
        DisplayListener *dl = listeners->pdata[i];
        if (listens_to(dl, con) && dl->ops->gfx_switch) {
            dl->ops->gfx_switch(dl, surface);
        }
    }
    if (old != surface) {
        surface_free(old);
    }
}

void console_gfx_update(Console *con, int x, int y, int w, int h)
{
    /* clip to the surface: a listener never sees a rectangle outside it */
    int sw = surface_width(con->surface), sh = surface_height(con->surface);
    int x1 = MAX(x, 0), y1 = MAX(y, 0);
    int x2 = MIN(x + w, sw), y2 = MIN(y + h, sh);
    if (x2 <= x1 || y2 <= y1) {
        return;
    }
    for (guint i = 0; listeners && i < listeners->len; i++) {
        DisplayListener *dl = listeners->pdata[i];
        if (listens_to(dl, con) && dl->ops->gfx_update) {
            dl->ops->gfx_update(dl, x1, y1, x2 - x1, y2 - y1);
        }
    }
}

DisplaySurface *console_surface(Console *con)
{
    return con->surface;
}

const char *console_name(Console *con)
{
    return con->name;
}

/* ---- the display side ---- */

Console *console_by_index(int index)
{
    if (!consoles || index < 0 || (guint)index >= consoles->len) {
        return NULL;
    }
    return consoles->pdata[index];
}

int console_index_by_name(const char *name)
{
    for (guint i = 0; consoles && i < consoles->len; i++) {
        Console *con = consoles->pdata[i];
        if (!strcmp(con->name, name)) {
            return i;
        }
    }
    return -1;
}

void console_hw_update(Console *con)
{
    if (con && con->ops && con->ops->gfx_update) {
        con->ops->gfx_update(con->opaque);
    }
}

void console_hw_invalidate(Console *con)
{
    if (con && con->ops && con->ops->invalidate) {
        con->ops->invalidate(con->opaque);
    }
}

bool console_text_update(Console *con, uint16_t *cells, int *w, int *h,
                         int *cursor_x, int *cursor_y, bool *cursor_visible)
{
    if (!con || !con->ops || !con->ops->text_update) {
        return false;
    }
    return con->ops->text_update(con->opaque, cells, w, h, cursor_x, cursor_y, cursor_visible);
}

static int64_t refresh_interval_ms(void)
{
    int64_t ms = 0;
    for (guint i = 0; listeners && i < listeners->len; i++) {
        DisplayListener *dl = listeners->pdata[i];
        int64_t l = dl->update_interval_ms > 0 ? dl->update_interval_ms : DEFAULT_REFRESH_MS;
        if (!ms || l < ms) {
            ms = l;
        }
    }
    return ms;
}

static void refresh_tick(void *opaque)
{
    /* each console redraws once per tick, however many displays watch it */
    GHashTable *updated = g_hash_table_new(NULL, NULL);
    for (guint i = 0; listeners && i < listeners->len; i++) {
        DisplayListener *dl = listeners->pdata[i];
        if (dl->ops->refresh) {
            dl->ops->refresh(dl);
        } else if (dl->con && !g_hash_table_contains(updated, dl->con)) {
            g_hash_table_add(updated, dl->con);
            console_hw_update(dl->con);
        }
        if (!listeners) {
            break;          /* a listener went away during its refresh */
        }
    }
    g_hash_table_destroy(updated);
    int64_t ms = refresh_interval_ms();
    if (ms) {
        timer_mod(refresh_timer, clock_get_ns(CLOCK_RT) + ms * 1000000);
    }
}

void display_listener_set_interval(DisplayListener *dl, int64_t ms)
{
    dl->update_interval_ms = ms;
    if (!refresh_timer || !listeners || !listeners->len) {
        return;
    }
    int64_t when = clock_get_ns(CLOCK_RT) + refresh_interval_ms() * 1000000;
    int64_t armed = timer_expire_time(refresh_timer);
    if (armed < 0 || when < armed) {
        timer_mod(refresh_timer, when);
    }
}

void display_listener_register(DisplayListener *dl, Console *con)
{
    if (!listeners) {
        listeners = g_ptr_array_new();
    }
    dl->con = con ? con : console_by_index(0);
    g_ptr_array_add(listeners, dl);
    if (dl->con && dl->ops->gfx_switch) {
        dl->ops->gfx_switch(dl, dl->con->surface);
    }
    console_hw_invalidate(dl->con);
    if (!refresh_timer) {
        refresh_timer = timer_new(CLOCK_RT, refresh_tick, NULL);
    }
    timer_mod(refresh_timer, clock_get_ns(CLOCK_RT) + refresh_interval_ms() * 1000000);
}

void display_listener_unregister(DisplayListener *dl)
{
    if (listeners && g_ptr_array_remove(listeners, dl) && !listeners->len) {
        timer_del(refresh_timer);
    }
}

/* ---- screendump ---- */

/* The surface as 8-bit RGB rows, whatever its pixel format. */
static uint8_t *surface_rgb(DisplaySurface *s, int *w, int *h)
{
    *w = surface_width(s);
    *h = surface_height(s);
    pixman_image_t *x = pixman_image_create_bits(PIXMAN_x8r8g8b8, *w, *h, NULL, *w * 4);
    pixman_image_composite(PIXMAN_OP_SRC, s->image, NULL, x, 0, 0, 0, 0, 0, 0, *w, *h);
    const uint32_t *src = pixman_image_get_data(x);
    uint8_t *rgb = g_malloc((size_t)*w * *h * 3);
    for (size_t i = 0; i < (size_t)*w * *h; i++) {
        rgb[3 * i] = src[i] >> 16;
        rgb[3 * i + 1] = src[i] >> 8;
        rgb[3 * i + 2] = src[i];
    }
    pixman_image_unref(x);
    return rgb;
}

static bool write_png(FILE *f, const uint8_t *rgb, int w, int h, GError **errp)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        vireo_set_error(errp, "could not set up the PNG encoder");
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        vireo_set_error(errp, "PNG encoding failed");
        return false;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        png_write_row(png, rgb + (size_t)y * w * 3);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return true;
}

bool console_screendump(const char *filename, int index, const char *format, GError **errp)
{
    Console *con = console_by_index(index < 0 ? 0 : index);
    if (!con) {
        if (index > 0) {
            vireo_set_error(errp, "There is no console with index %d", index);
        } else {
            vireo_set_error(errp, "There is no console to take a screendump from");
        }
        return false;
    }
    bool png = false;
    if (format && !strcmp(format, "png")) {
        png = true;
    } else if (format && strcmp(format, "ppm")) {
        vireo_set_error(errp, "Parameter 'format' does not accept value '%s'", format);
        return false;
    }
    /* the picture of this moment, not of the last refresh tick */
    console_hw_update(con);
    FILE *f = fopen(filename, "wb");
    if (!f) {
        vireo_set_error(errp, "failed to open file '%s': %s", filename, g_strerror(errno));
        return false;
    }
    int w, h;
    g_autofree uint8_t *rgb = surface_rgb(con->surface, &w, &h);
    bool ok;
    if (png) {
        ok = write_png(f, rgb, w, h, errp);
    } else {
        ok = fprintf(f, "P6\n%d %d\n%d\n", w, h, 255) > 0 &&
             fwrite(rgb, 3, (size_t)w * h, f) == (size_t)w * h;
        if (!ok) {
            vireo_set_error(errp, "failed to write to file '%s': %s", filename, g_strerror(errno));
        }
    }
    if (fclose(f) != 0 && ok) {
        vireo_set_error(errp, "failed to write to file '%s': %s", filename, g_strerror(errno));
        ok = false;
    }
    if (!ok) {
        unlink(filename);
    }
    return ok;
}
