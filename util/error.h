/* The GError domain used across Vireo: errors carry a message for the user,
 * not a code to dispatch on. */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include <glib.h>

#define VIREO_ERROR vireo_error_quark()
GQuark vireo_error_quark(void);
#define vireo_set_error(errp, ...) g_set_error((errp), VIREO_ERROR, 0, __VA_ARGS__)

#endif
