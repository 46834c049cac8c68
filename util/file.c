/* Size-checked file reading: see file.h. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

bool file_read_limited(const char *path, uint64_t max, gchar **data, gsize *len, GError **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vireo_set_error(errp, "%s", g_strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        vireo_set_error(errp, "%s", g_strerror(errno));
        close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        vireo_set_error(errp, "not a regular file");
        close(fd);
        return false;
    }
    if ((uint64_t)st.st_size > max) {
        vireo_set_error(errp, "the file is %" PRIu64 " bytes, more than the %" PRIu64 " that fit",
                        (uint64_t)st.st_size, max);
        close(fd);
        return false;
    }
    gsize n = st.st_size, done = 0;
    gchar *buf = g_malloc(n + 1);
    while (done < n) {
        ssize_t r = read(fd, buf + done, n - done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            vireo_set_error(errp, "%s", r < 0 ? g_strerror(errno) : "file shrank while being read");
            g_free(buf);
            close(fd);
            return false;
        }
        done += r;
    }
    buf[n] = 0;
    close(fd);
    *data = buf;
    *len = n;
    return true;
}
