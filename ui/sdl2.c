/*
 * The SDL2 window: a DisplayListener that shows console 0 in a resizable
 * window and feeds the host's keyboard and mouse into the input layer.
 *
 * SDL's video and event functions must be called from the thread that
 * initialised SDL; Vireo's main-loop thread is that thread (the vCPUs run
 * elsewhere or in slices of the same loop), and the console's refresh timer
 * runs there, so the refresh callback is where events are polled.
 */
#include "config-host.h"

#ifdef CONFIG_SDL

#include "ui/sdl2.h"

#include <SDL.h>
#include <string.h>

#include "monitor/monitor.h"
#include "system/runstate.h"
#include "ui/console.h"
#include "ui/input.h"
#include "util/error.h"
#include "util/log.h"

typedef struct SdlDisplay {
    DisplayListener dl;
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    DisplaySurface *surface;    /* the console's, not ours */
    int width, height;          /* the guest's mode, the texture's size */
    bool dirty;                 /* the texture changed since the last present */
    bool grabbed;
    bool fullscreen;
    bool window_close;          /* closing the window powers off */
    bool key_down[256];         /* qnums the guest saw pressed, for focus loss */
    guint idle_poll_id;         /* event polling when there is no console */
} SdlDisplay;

static SdlDisplay sdl;

/*
 * SDL scancodes are USB HID usages; the guest's PS/2 keyboard wants set-1
 * make codes (qnum, 0x80 for the E0 prefix).  A zero entry is a key the PC
 * keyboard does not have.
 */
static const uint8_t sdl_scancode_to_qnum[SDL_NUM_SCANCODES] = {
    [SDL_SCANCODE_A] = 0x1e, [SDL_SCANCODE_B] = 0x30, [SDL_SCANCODE_C] = 0x2e,
    [SDL_SCANCODE_D] = 0x20, [SDL_SCANCODE_E] = 0x12, [SDL_SCANCODE_F] = 0x21,
    [SDL_SCANCODE_G] = 0x22, [SDL_SCANCODE_H] = 0x23, [SDL_SCANCODE_I] = 0x17,
    [SDL_SCANCODE_J] = 0x24, [SDL_SCANCODE_K] = 0x25, [SDL_SCANCODE_L] = 0x26,
    [SDL_SCANCODE_M] = 0x32, [SDL_SCANCODE_N] = 0x31, [SDL_SCANCODE_O] = 0x18,
    [SDL_SCANCODE_P] = 0x19, [SDL_SCANCODE_Q] = 0x10, [SDL_SCANCODE_R] = 0x13,
    [SDL_SCANCODE_S] = 0x1f, [SDL_SCANCODE_T] = 0x14, [SDL_SCANCODE_U] = 0x16,
    [SDL_SCANCODE_V] = 0x2f, [SDL_SCANCODE_W] = 0x11, [SDL_SCANCODE_X] = 0x2d,
    [SDL_SCANCODE_Y] = 0x15, [SDL_SCANCODE_Z] = 0x2c,
    [SDL_SCANCODE_1] = 0x02, [SDL_SCANCODE_2] = 0x03, [SDL_SCANCODE_3] = 0x04,
    [SDL_SCANCODE_4] = 0x05, [SDL_SCANCODE_5] = 0x06, [SDL_SCANCODE_6] = 0x07,
    [SDL_SCANCODE_7] = 0x08, [SDL_SCANCODE_8] = 0x09, [SDL_SCANCODE_9] = 0x0a,
    [SDL_SCANCODE_0] = 0x0b,
    [SDL_SCANCODE_RETURN] = 0x1c, [SDL_SCANCODE_ESCAPE] = 0x01,
    [SDL_SCANCODE_BACKSPACE] = 0x0e, [SDL_SCANCODE_TAB] = 0x0f,
    [SDL_SCANCODE_SPACE] = 0x39, [SDL_SCANCODE_MINUS] = 0x0c,
    [SDL_SCANCODE_EQUALS] = 0x0d, [SDL_SCANCODE_LEFTBRACKET] = 0x1a,
    [SDL_SCANCODE_RIGHTBRACKET] = 0x1b, [SDL_SCANCODE_BACKSLASH] = 0x2b,
    [SDL_SCANCODE_NONUSHASH] = 0x2b, [SDL_SCANCODE_SEMICOLON] = 0x27,
    [SDL_SCANCODE_APOSTROPHE] = 0x28, [SDL_SCANCODE_GRAVE] = 0x29,
    [SDL_SCANCODE_COMMA] = 0x33, [SDL_SCANCODE_PERIOD] = 0x34,
    [SDL_SCANCODE_SLASH] = 0x35, [SDL_SCANCODE_CAPSLOCK] = 0x3a,
    [SDL_SCANCODE_F1] = 0x3b, [SDL_SCANCODE_F2] = 0x3c, [SDL_SCANCODE_F3] = 0x3d,
    [SDL_SCANCODE_F4] = 0x3e, [SDL_SCANCODE_F5] = 0x3f, [SDL_SCANCODE_F6] = 0x40,
    [SDL_SCANCODE_F7] = 0x41, [SDL_SCANCODE_F8] = 0x42, [SDL_SCANCODE_F9] = 0x43,
    [SDL_SCANCODE_F10] = 0x44, [SDL_SCANCODE_F11] = 0x57, [SDL_SCANCODE_F12] = 0x58,
    [SDL_SCANCODE_PRINTSCREEN] = 0xb7, [SDL_SCANCODE_SCROLLLOCK] = 0x46,
    [SDL_SCANCODE_PAUSE] = 0xc6, [SDL_SCANCODE_INSERT] = 0xd2,
    [SDL_SCANCODE_HOME] = 0xc7, [SDL_SCANCODE_PAGEUP] = 0xc9,
    [SDL_SCANCODE_DELETE] = 0xd3, [SDL_SCANCODE_END] = 0xcf,
    [SDL_SCANCODE_PAGEDOWN] = 0xd1, [SDL_SCANCODE_RIGHT] = 0xcd,
    [SDL_SCANCODE_LEFT] = 0xcb, [SDL_SCANCODE_DOWN] = 0xd0, [SDL_SCANCODE_UP] = 0xc8,
    [SDL_SCANCODE_NUMLOCKCLEAR] = 0x45, [SDL_SCANCODE_KP_DIVIDE] = 0xb5,
    [SDL_SCANCODE_KP_MULTIPLY] = 0x37, [SDL_SCANCODE_KP_MINUS] = 0x4a,
    [SDL_SCANCODE_KP_PLUS] = 0x4e, [SDL_SCANCODE_KP_ENTER] = 0x9c,
    [SDL_SCANCODE_KP_1] = 0x4f, [SDL_SCANCODE_KP_2] = 0x50, [SDL_SCANCODE_KP_3] = 0x51,
    [SDL_SCANCODE_KP_4] = 0x4b, [SDL_SCANCODE_KP_5] = 0x4c, [SDL_SCANCODE_KP_6] = 0x4d,
    [SDL_SCANCODE_KP_7] = 0x47, [SDL_SCANCODE_KP_8] = 0x48, [SDL_SCANCODE_KP_9] = 0x49,
    [SDL_SCANCODE_KP_0] = 0x52, [SDL_SCANCODE_KP_PERIOD] = 0x53,
    [SDL_SCANCODE_NONUSBACKSLASH] = 0x56, [SDL_SCANCODE_APPLICATION] = 0xdd,
    [SDL_SCANCODE_KP_EQUALS] = 0x59, [SDL_SCANCODE_SYSREQ] = 0x54,
    [SDL_SCANCODE_INTERNATIONAL1] = 0x73, [SDL_SCANCODE_INTERNATIONAL3] = 0x7d,
    [SDL_SCANCODE_LCTRL] = 0x1d, [SDL_SCANCODE_LSHIFT] = 0x2a,
    [SDL_SCANCODE_LALT] = 0x38, [SDL_SCANCODE_LGUI] = 0xdb,
    [SDL_SCANCODE_RCTRL] = 0x9d, [SDL_SCANCODE_RSHIFT] = 0x36,
    [SDL_SCANCODE_RALT] = 0xb8, [SDL_SCANCODE_RGUI] = 0xdc,
};

/* "Vireo" or "Vireo (NAME)", and while the mouse is held, how to free it:
 * the user must always be able to read how to get the pointer back. */
static void sdl_update_title(void)
{
    const char *name = monitor_vm_name();
    GString *t = g_string_new("Vireo");
    if (name && *name) {
        g_string_append_printf(t, " (%s)", name);
    }
    if (sdl.grabbed) {
        g_string_append(t, " - Press Ctrl+Alt+G to exit grab");
    }
    SDL_SetWindowTitle(sdl.window, t->str);
    g_string_free(t, TRUE);
}

static void sdl_set_grab(bool on)
{
    sdl.grabbed = on;
    /* Relative mode hides the pointer and reports motion past the window's
     * edges, which a relative PS/2 mouse needs; SetWindowGrab keeps the
     * keyboard focus too where the window system allows it. */
    if (SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE) < 0) {
        warn_report("sdl: relative mouse mode: %s", SDL_GetError());
    }
    SDL_SetWindowGrab(sdl.window, on ? SDL_TRUE : SDL_FALSE);
    sdl_update_title();
}

static void sdl_release_all_keys(void)
{
    /* A key still held when the window loses the focus would repeat in the
     * guest forever: its release goes to another window. */
    for (int q = 0; q < 256; q++) {
        if (sdl.key_down[q]) {
            sdl.key_down[q] = false;
            input_send_key(q, false);
        }
    }
}

static void sdl_hotkey(SDL_Scancode sc)
{
    switch (sc) {
    case SDL_SCANCODE_G:
        sdl_set_grab(!sdl.grabbed);
        break;
    case SDL_SCANCODE_F:
        sdl.fullscreen = !sdl.fullscreen;
        SDL_SetWindowFullscreen(sdl.window, sdl.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        sdl.dirty = true;
        break;
    case SDL_SCANCODE_U:
        /* back to one guest pixel per host pixel after a resize by hand */
        if (!sdl.fullscreen && sdl.width > 0) {
            SDL_SetWindowSize(sdl.window, sdl.width, sdl.height);
            sdl.dirty = true;
        }
        break;
    default:
        break;
    }
}

static void sdl_handle_key(const SDL_KeyboardEvent *ev)
{
    bool down = ev->type == SDL_KEYDOWN;
    SDL_Scancode sc = ev->keysym.scancode;
    /* the modifiers when this key was queued, not after the whole batch */
    SDL_Keymod mod = ev->keysym.mod;

    /* Ctrl+Alt+G/F/U are for us, not the guest (the guest has seen Ctrl
     * and Alt go down, and will see them come up), as in QEMU's window. */
    if ((mod & KMOD_CTRL) && (mod & KMOD_ALT) &&
        (sc == SDL_SCANCODE_G || sc == SDL_SCANCODE_F || sc == SDL_SCANCODE_U)) {
        if (down && !ev->repeat) {
            sdl_hotkey(sc);
        }
        return;
    }
    if (sc < 0 || sc >= SDL_NUM_SCANCODES || !sdl_scancode_to_qnum[sc]) {
        return;
    }
    int q = sdl_scancode_to_qnum[sc];
    if (!down && !sdl.key_down[q]) {
        return;     /* its press was ours (the G of Ctrl+Alt+G) */
    }
    sdl.key_down[q] = down;
    input_send_key(q, down);
}

static void sdl_handle_button(const SDL_MouseButtonEvent *ev)
{
    bool down = ev->type == SDL_MOUSEBUTTONDOWN;
    if (!sdl.grabbed) {
        /* The PS/2 mouse is relative: it only makes sense with the host
         * pointer captured, so a click into the window captures it (as
         * QEMU's SDL window does) and is not passed on. */
        if (down && ev->button == SDL_BUTTON_LEFT) {
            sdl_set_grab(true);
        }
        return;
    }
    InputButton b;
    switch (ev->button) {
    case SDL_BUTTON_LEFT: b = INPUT_BUTTON_LEFT; break;
    case SDL_BUTTON_MIDDLE: b = INPUT_BUTTON_MIDDLE; break;
    case SDL_BUTTON_RIGHT: b = INPUT_BUTTON_RIGHT; break;
    case SDL_BUTTON_X1: b = INPUT_BUTTON_SIDE; break;
    case SDL_BUTTON_X2: b = INPUT_BUTTON_EXTRA; break;
    default: return;
    }
    input_send_button(b, down);
    input_event_sync();
}

static void sdl_handle_wheel(const SDL_MouseWheelEvent *ev)
{
    if (!sdl.grabbed || ev->y == 0) {
        return;
    }
    InputButton b = ev->y > 0 ? INPUT_BUTTON_WHEEL_UP : INPUT_BUTTON_WHEEL_DOWN;
    /* A wheel notch is a press and a release, each its own packet. */
    input_send_button(b, true);
    input_event_sync();
    input_send_button(b, false);
    input_event_sync();
}

static void sdl_handle_motion(const SDL_MouseMotionEvent *ev)
{
    if (!sdl.grabbed || (ev->xrel == 0 && ev->yrel == 0)) {
        return;
    }
    input_send_rel(INPUT_AXIS_X, ev->xrel);
    input_send_rel(INPUT_AXIS_Y, ev->yrel);
    input_event_sync();
}

static void sdl_poll_events(void)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            sdl_handle_key(&ev.key);
            break;
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP:
            sdl_handle_button(&ev.button);
            break;
        case SDL_MOUSEWHEEL:
            sdl_handle_wheel(&ev.wheel);
            break;
        case SDL_MOUSEMOTION:
            sdl_handle_motion(&ev.motion);
            break;
        case SDL_QUIT:
            /* Closing the window is pulling the plug, as QEMU does by
             * default; QMP clients see the "host-ui" cause. */
            if (sdl.window_close) {
                system_shutdown_request(SHUTDOWN_CAUSE_HOST_QUIT);
            }
            break;
        case SDL_WINDOWEVENT:
            switch (ev.window.event) {
            case SDL_WINDOWEVENT_CLOSE:
                if (sdl.window_close) {
                    system_shutdown_request(SHUTDOWN_CAUSE_HOST_QUIT);
                }
                break;
            case SDL_WINDOWEVENT_FOCUS_LOST:
                sdl_release_all_keys();
                /* a grab the user cannot see any more must not hold the
                 * pointer (another window took the focus) */
                if (sdl.grabbed) {
                    sdl_set_grab(false);
                }
                break;
            case SDL_WINDOWEVENT_EXPOSED:
            case SDL_WINDOWEVENT_SIZE_CHANGED:
                sdl.dirty = true;   /* the window system lost our pixels */
                break;
            }
            break;
        }
    }
}

static void sdl_present(void)
{
    if (!sdl.dirty) {
        return;
    }
    sdl.dirty = false;
    SDL_SetRenderDrawColor(sdl.renderer, 0, 0, 0, 255);
    SDL_RenderClear(sdl.renderer);
    if (sdl.texture) {
        SDL_RenderCopy(sdl.renderer, sdl.texture, NULL, NULL);
    }
    SDL_RenderPresent(sdl.renderer);
}

/* Copy one rectangle of the surface into the texture, converting when the
 * device shares guest memory in another pixel format. */
static void sdl_gfx_update(DisplayListener *dl, int x, int y, int w, int h)
{
    DisplaySurface *s = sdl.surface;
    if (!s || !sdl.texture) {
        return;
    }
    /* the device's rectangle is clipped to the surface it drew into */
    if (x < 0) { w += x; x = 0; }
    if (y < 0) { h += y; y = 0; }
    if (x + w > sdl.width) { w = sdl.width - x; }
    if (y + h > sdl.height) { h = sdl.height - y; }
    if (w <= 0 || h <= 0) {
        return;
    }
    SDL_Rect r = { x, y, w, h };
    pixman_format_code_t fmt = surface_format(s);
    if (fmt == PIXMAN_x8r8g8b8 || fmt == PIXMAN_a8r8g8b8) {
        uint8_t *p = surface_data(s) + y * surface_stride(s) + x * 4;
        SDL_UpdateTexture(sdl.texture, &r, p, surface_stride(s));
    } else {
        pixman_image_t *tmp = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);
        if (!tmp) {
            return;
        }
        pixman_image_composite(PIXMAN_OP_SRC, s->image, NULL, tmp, x, y, 0, 0, 0, 0, w, h);
        SDL_UpdateTexture(sdl.texture, &r, pixman_image_get_data(tmp),
                          pixman_image_get_stride(tmp));
        pixman_image_unref(tmp);
    }
    sdl.dirty = true;
}

static void sdl_gfx_switch(DisplayListener *dl, DisplaySurface *surface)
{
    sdl.surface = surface;
    if (!surface) {
        return;
    }
    int w = surface_width(surface), h = surface_height(surface);
    if (!sdl.texture || w != sdl.width || h != sdl.height) {
        if (sdl.texture) {
            SDL_DestroyTexture(sdl.texture);
        }
        sdl.texture = SDL_CreateTexture(sdl.renderer, SDL_PIXELFORMAT_ARGB8888,
                                        SDL_TEXTUREACCESS_STREAMING, w, h);
        if (!sdl.texture) {
            warn_report("sdl: texture %dx%d: %s", w, h, SDL_GetError());
        }
        /* A new mode resizes the window to one guest pixel per host pixel;
         * the logical size keeps the aspect ratio (black bars) when the user
         * then resizes the window. */
        if (w != sdl.width || h != sdl.height) {
            SDL_SetWindowSize(sdl.window, w, h);
        }
        SDL_RenderSetLogicalSize(sdl.renderer, w, h);
        sdl.width = w;
        sdl.height = h;
    }
    sdl_gfx_update(dl, 0, 0, w, h);
}

static void sdl_refresh(DisplayListener *dl)
{
    sdl_poll_events();
    console_hw_update(dl->con);
    sdl_present();
}

static const DisplayListenerOps sdl_listener_ops = {
    .name = "sdl",
    .refresh = sdl_refresh,
    .gfx_update = sdl_gfx_update,
    .gfx_switch = sdl_gfx_switch,
};

/* Without a graphics device (-vga none) nothing calls refresh: events are
 * polled from a timer of our own so the window can still be closed. */
static gboolean sdl_idle_poll(gpointer opaque)
{
    sdl_poll_events();
    sdl_present();
    return G_SOURCE_CONTINUE;
}

bool sdl_display_init(bool window_close, GError **errp)
{
    sdl.window_close = window_close;
    /* GLib's SIGINT/SIGTERM handlers turn signals into a clean shutdown;
     * SDL's own would turn them into an SDL_QUIT nobody asked for. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    /* A compositor must not be switched off because an emulator runs. */
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    const char *x = g_getenv("DISPLAY"), *wl = g_getenv("WAYLAND_DISPLAY");
    const char *forced = g_getenv("SDL_VIDEODRIVER");
    if (!(x && *x) && !(wl && *wl) && !(forced && *forced)) {
        /* SDL would fall back to its invisible "offscreen" driver (after
         * libwayland's noise on stderr): say plainly what is missing */
        vireo_set_error(errp, "no window system ($DISPLAY and $WAYLAND_DISPLAY are unset); "
                        "use -display none, -display curses or -nographic");
        return false;
    }
    if (!(wl && *wl) && !(forced && *forced)) {
        /* only X11 is named: trying Wayland next would only add noise */
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
    }
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        vireo_set_error(errp, "SDL could not open a window (%s); use -display none or -nographic",
                        SDL_GetError());
        return false;
    }
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy")) &&
        !(forced && !strcmp(forced, drv))) {
        vireo_set_error(errp, "SDL found no reachable window system (DISPLAY=%s); "
                        "use -display none or -nographic", x ? x : "");
        SDL_Quit();
        return false;
    }
    /* 640x480 until the device sets its first mode. */
    sdl.window = SDL_CreateWindow("Vireo", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                  640, 480, SDL_WINDOW_RESIZABLE);
    if (!sdl.window) {
        vireo_set_error(errp, "SDL window: %s", SDL_GetError());
        SDL_Quit();
        return false;
    }
    sdl.renderer = SDL_CreateRenderer(sdl.window, -1, 0);
    if (!sdl.renderer) {
        /* no usable GPU driver (a bare X server): software still works */
        sdl.renderer = SDL_CreateRenderer(sdl.window, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!sdl.renderer) {
        vireo_set_error(errp, "SDL renderer: %s", SDL_GetError());
        SDL_DestroyWindow(sdl.window);
        SDL_Quit();
        return false;
    }
    sdl_update_title();
    sdl.dirty = true;
    sdl.dl.ops = &sdl_listener_ops;
    if (console_by_index(0)) {
        display_listener_register(&sdl.dl, NULL);
        /* the listener may have been told the current surface already */
        if (!sdl.surface && console_surface(sdl.dl.con)) {
            sdl_gfx_switch(&sdl.dl, console_surface(sdl.dl.con));
        }
    } else {
        sdl.idle_poll_id = g_timeout_add(30, sdl_idle_poll, NULL);
    }
    sdl_present();
    return true;
}

#endif /* CONFIG_SDL */
