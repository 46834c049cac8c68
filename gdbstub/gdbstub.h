/*
 * gdbstub: the GDB remote serial protocol, so gdb debugs the guest
 * (-s, -S, -gdb DEV, HMP "gdbserver").
 */
#ifndef GDBSTUB_GDBSTUB_H
#define GDBSTUB_GDBSTUB_H

#include <glib.h>
#include <stdbool.h>

/* Listen for gdb on spec: "tcp::PORT", "tcp:HOST:PORT", "unix:PATH" (a
 * server is implied) or "chardev:ID"; "none" is accepted and does nothing. */
bool gdbserver_start(const char *spec, GError **errp);

#endif
