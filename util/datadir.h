/* Where firmware files are found: -L directories first, then
 * <dir of the vireo binary>/firmware, then <dir of binary>/../share/vireo. */
#ifndef UTIL_DATADIR_H
#define UTIL_DATADIR_H
void datadir_add(const char *dir);               /* -L DIR */
void datadir_set_exe(const char *argv0);
/* g_malloc'd path of an existing file, or NULL. */
char *datadir_find(const char *name);
#endif
