/*
 * Reading a file the user named (-bios, -kernel, -initrd, modules, ROMs)
 * with a size limit checked before anything is read: a huge or sparse file
 * is refused at once with a message that says why, instead of being read
 * into memory first.
 */
#ifndef UTIL_FILE_H
#define UTIL_FILE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* false with *errp naming the problem (strerror, "is a directory", "is N
 * bytes, more than the M allowed"). */
bool file_read_limited(const char *path, uint64_t max, gchar **data, gsize *len, GError **errp);

#endif
