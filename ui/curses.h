/*
 * The text-mode display on the terminal (-display curses), with ncursesw.
 * Built only with CONFIG_CURSES.
 */
#ifndef UI_CURSES_H
#define UI_CURSES_H

#include <stdbool.h>
#include <glib.h>

/* Take over the terminal on stdin/stdout for console 0.  Call once, on the
 * main thread, after the devices exist.  False with *errp when stdout is
 * not a terminal curses can drive. */
bool curses_display_init(GError **errp);

#endif
