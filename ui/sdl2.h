/*
 * The SDL2 window (-display sdl).  Built only with CONFIG_SDL.
 */
#ifndef UI_SDL2_H
#define UI_SDL2_H

#include <stdbool.h>
#include <glib.h>

/* Open the window on the first console (the VGA).  Call once, on the main
 * thread, after the devices exist.  WINDOW_CLOSE: closing the window
 * powers off (QEMU's default; window-close=off ignores it).  False with
 * *errp when SDL cannot start (no X11/Wayland display reachable). */
bool sdl_display_init(bool window_close, GError **errp);

#endif
