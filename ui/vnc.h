/*
 * VNC server (RFB 3.3/3.7/3.8): the -vnc option, and what the monitors
 * need to show it and to set its password.
 */
#ifndef UI_VNC_H
#define UI_VNC_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* Check a -vnc spec ("[host]:N[,opts]", "unix:PATH[,opts]", "none") and
 * remember it; the server starts with vnc_display_start().  False with
 * *errp naming the bad part. */
bool vnc_display_parse(const char *spec, GError **errp);
/* Listen on the remembered spec (after the machine exists, so the console
 * is known).  False with *errp (port in use, bad path...). */
bool vnc_display_start(GError **errp);
bool vnc_display_enabled(void);
/* A -vnc (other than none) was given: as in QEMU, the default display is
 * then none rather than a window (for main.c's default-display choice). */
bool vnc_display_configured(void);

/* -k LAYOUT; only the built-in en-us map exists. */
bool vnc_set_keyboard_layout(const char *layout, GError **errp);

/* HMP "change vnc password PW", QMP change-vnc-password.  Fails (as QEMU)
 * when the display was not started with password=on. */
bool vnc_set_password(const char *password, GError **errp);

/* QMP query-vnc (VncInfo) and HMP info vnc. */
JsonNode *vnc_query_json(void);
void vnc_hmp_info(GString *out);

#endif
