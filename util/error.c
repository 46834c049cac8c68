#include "util/error.h"

GQuark vireo_error_quark(void)
{
    return g_quark_from_static_string("vireo-error");
}
