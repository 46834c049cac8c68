/* Firmware search path: see datadir.h. */
#include "util/datadir.h"

#include <glib.h>
#include <unistd.h>

static GPtrArray *dirs;
static char *exe_dir;

void datadir_add(const char *dir)
{
    if (!dirs) {
        dirs = g_ptr_array_new();
    }
    g_ptr_array_add(dirs, g_strdup(dir));
}

void datadir_set_exe(const char *argv0)
{
    /* /proc/self/exe resolves symlinks such as vireo-system-x86_64 */
    char *p = g_file_read_link("/proc/self/exe", NULL);
    if (!p) {
        p = g_canonicalize_filename(argv0, NULL);
    }
    exe_dir = g_path_get_dirname(p);
    g_free(p);
}

static char *try(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        return path;
    }
    g_free(path);
    return NULL;
}

char *datadir_find(const char *name)
{
    char *p;
    for (unsigned i = 0; dirs && i < dirs->len; i++) {
        if ((p = try(g_ptr_array_index(dirs, i), name))) {
            return p;
        }
    }
    if (exe_dir) {
        char *d = g_build_filename(exe_dir, "firmware", NULL);
        p = try(d, name);
        g_free(d);
        if (p) {
            return p;
        }
        d = g_build_filename(exe_dir, "..", "share", "vireo", NULL);
        p = try(d, name);
        g_free(d);
        if (p) {
            return p;
        }
    }
    /* Debian's seabios package, as a last resort */
    return try("/usr/share/seabios", name);
}
