/*
 * The display core alone (ui/console.c): a graphics "device" of the test's
 * own draws into its console; a listener sees the surface switch and the
 * changed rectangles (clipped); the refresh timer asks the device to draw
 * only while someone listens; screendump writes the frame as PPM and PNG
 * (read back with libpng), in any surface format, and reports errors.
 */
#include <glib.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/core/timer.h"
#include "ui/console.h"

typedef struct FakeVGA {
    Console *con;
    int draws, invalidates;
    uint32_t colour;
} FakeVGA;

static void fake_update(void *opaque)
{
    FakeVGA *v = opaque;
    DisplaySurface *s = console_surface(v->con);
    uint32_t *p = (uint32_t *)surface_data(s);
    int w = surface_width(s), h = surface_height(s);
    /* a gradient in red, the colour in green/blue, one white pixel at (3,2) */
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            p[y * (surface_stride(s) / 4) + x] = (uint32_t)(x * 255 / w) << 16 | (v->colour & 0xffff);
        }
    }
    p[2 * (surface_stride(s) / 4) + 3] = 0xffffff;
    v->draws++;
    console_gfx_update(v->con, -5, -5, w + 10, h + 10);
}

static void fake_invalidate(void *opaque)
{
    ((FakeVGA *)opaque)->invalidates++;
}

static const ConsoleHwOps fake_ops = { .gfx_update = fake_update, .invalidate = fake_invalidate };

typedef struct Seen {
    DisplayListener dl;
    int switches, updates;
    int x, y, w, h;
    DisplaySurface *surface;
} Seen;

static void seen_switch(DisplayListener *dl, DisplaySurface *s)
{
    Seen *e = (Seen *)dl;
    e->switches++;
    e->surface = s;
}

static void seen_update(DisplayListener *dl, int x, int y, int w, int h)
{
    Seen *e = (Seen *)dl;
    e->updates++;
    e->x = x, e->y = y, e->w = w, e->h = h;
}

static const DisplayListenerOps seen_ops = {
    .name = "test", .gfx_switch = seen_switch, .gfx_update = seen_update,
};

static FakeVGA vga;

static uint8_t *read_ppm(const char *path, int *w, int *h)
{
    gchar *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    int maxval, n = 0;
    g_assert_cmpint(sscanf(data, "P6\n%d %d\n%d\n%n", w, h, &maxval, &n), ==, 3);
    g_assert_cmpint(maxval, ==, 255);
    g_assert_cmpuint(len, ==, (gsize)n + (gsize)*w * *h * 3);
    uint8_t *rgb = g_memdup2(data + n, (gsize)*w * *h * 3);
    g_free(data);
    return rgb;
}

static uint8_t *read_png(const char *path, int *w, int *h)
{
    png_image img = { .version = PNG_IMAGE_VERSION };
    g_assert_true(png_image_begin_read_from_file(&img, path));
    img.format = PNG_FORMAT_RGB;
    *w = img.width;
    *h = img.height;
    uint8_t *rgb = g_malloc(PNG_IMAGE_SIZE(img));
    g_assert_true(png_image_finish_read(&img, NULL, rgb, 0, NULL));
    return rgb;
}

static void check_frame(const uint8_t *rgb, int w, int h, uint16_t colour)
{
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const uint8_t *p = rgb + 3 * ((size_t)y * w + x);
            if (x == 3 && y == 2) {
                g_assert_true(p[0] == 255 && p[1] == 255 && p[2] == 255);
                continue;
            }
            g_assert_cmpuint(p[0], ==, x * 255 / w);
            g_assert_cmpuint(p[1], ==, colour >> 8);
            g_assert_cmpuint(p[2], ==, colour & 0xff);
        }
    }
}

static void test_listener_and_refresh(void)
{
    Seen seen = { .dl.ops = &seen_ops };
    g_assert_true(console_by_index(0) == vga.con);
    g_assert_cmpint(console_index_by_name("fake"), ==, 0);
    g_assert_cmpint(console_index_by_name("nosuch"), ==, -1);
    /* nobody listens: no refresh timer, the device is not asked to draw */
    int draws = vga.draws;
    g_usleep(80000);
    timers_run_expired();
    g_assert_cmpint(vga.draws, ==, draws);

    DisplaySurface *s = surface_create(320, 200);
    console_replace_surface(vga.con, s);
    display_listener_register(&seen.dl, NULL);
    g_assert_true(seen.dl.con == vga.con);
    g_assert_cmpint(seen.switches, ==, 1);          /* told the current surface at once */
    g_assert_true(seen.surface == s);
    g_assert_cmpint(vga.invalidates, >=, 1);        /* and the device redraws all of it */

    /* the refresh timer (30 ms) makes the device draw; the rectangle the
     * device reported is clipped to the surface */
    for (int i = 0; i < 50 && vga.draws == draws; i++) {
        g_usleep(10000);
        timers_run_expired();
    }
    g_assert_cmpint(vga.draws, >, draws);
    g_assert_cmpint(seen.updates, >=, 1);
    g_assert_cmpint(seen.x, ==, 0);
    g_assert_cmpint(seen.y, ==, 0);
    g_assert_cmpint(seen.w, ==, 320);
    g_assert_cmpint(seen.h, ==, 200);
    console_gfx_update(vga.con, 400, 10, 5, 5);     /* wholly outside: not passed on */
    g_assert_cmpint(seen.x, ==, 0);

    /* a mode change reaches the listener */
    DisplaySurface *s2 = surface_create(640, 400);
    console_replace_surface(vga.con, s2);
    g_assert_cmpint(seen.switches, ==, 2);
    g_assert_true(seen.surface == s2);

    display_listener_unregister(&seen.dl);
    draws = vga.draws;
    g_usleep(80000);
    timers_run_expired();
    g_assert_cmpint(vga.draws, ==, draws);
}

static void test_screendump(void)
{
    g_autofree char *ppm = g_strdup_printf("%s/vireo-console-%d.ppm", g_get_tmp_dir(), getpid());
    g_autofree char *png = g_strdup_printf("%s/vireo-console-%d.png", g_get_tmp_dir(), getpid());
    GError *err = NULL;
    int w, h;

    console_replace_surface(vga.con, surface_create(96, 40));
    vga.colour = 0x1234;
    int draws = vga.draws;
    g_assert_true(console_screendump(ppm, 0, NULL, &err));
    g_assert_cmpint(vga.draws, ==, draws + 1);      /* the frame of this moment */
    g_autofree uint8_t *a = read_ppm(ppm, &w, &h);
    g_assert_cmpint(w, ==, 96);
    g_assert_cmpint(h, ==, 40);
    check_frame(a, w, h, 0x1234);

    vga.colour = 0x80c0;
    g_assert_true(console_screendump(png, 0, "png", &err));
    g_autofree uint8_t *b = read_png(png, &w, &h);
    g_assert_cmpint(w, ==, 96);
    g_assert_cmpint(h, ==, 40);
    check_frame(b, w, h, 0x80c0);

    /* a surface in another format (r5g6b5, as a 16 bpp mode shares VRAM) */
    uint16_t px[4 * 2] = { 0xf800, 0x07e0, 0x001f, 0xffff, 0, 0, 0, 0 };
    ConsoleHwOps none = { 0 };
    Console *c2 = console_new_graphic("second", &none, NULL);
    console_replace_surface(c2, surface_create_from(4, 2, PIXMAN_r5g6b5, 8, (uint8_t *)px));
    g_assert_true(console_screendump(ppm, console_index_by_name("second"), "ppm", &err));
    g_autofree uint8_t *c = read_ppm(ppm, &w, &h);
    g_assert_cmpint(w, ==, 4);
    g_assert_cmpint(h, ==, 2);
    static const uint8_t want[12] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255 };
    g_assert_cmpmem(c, 12, want, 12);

    /* errors: a bad format, a console that does not exist, a file that
     * cannot be made */
    g_assert_false(console_screendump(ppm, 0, "bmp", &err));
    g_assert_nonnull(strstr(err->message, "'format'"));
    g_clear_error(&err);
    g_assert_false(console_screendump(ppm, 7, NULL, &err));
    g_assert_nonnull(strstr(err->message, "no console with index 7"));
    g_clear_error(&err);
    g_assert_false(console_screendump("/nonexistent/dir/x.ppm", 0, NULL, &err));
    g_assert_nonnull(strstr(err->message, "/nonexistent/dir/x.ppm"));
    g_clear_error(&err);
    unlink(ppm);
    unlink(png);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    GError *err = NULL;
    g_assert_false(console_screendump("/tmp/x.ppm", 0, NULL, &err));   /* no console yet */
    g_assert_nonnull(strstr(err->message, "There is no console"));
    g_clear_error(&err);
    vga.con = console_new_graphic("fake", &fake_ops, &vga);
    g_test_add_func("/console/listener-refresh", test_listener_and_refresh);
    g_test_add_func("/console/screendump", test_screendump);
    return g_test_run();
}
