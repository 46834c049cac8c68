/*
 * -netdev tap: a host TAP interface through /dev/net/tun.  Needs the
 * device node and CAP_NET_ADMIN (or a pre-opened fd=); without them the
 * error names what is missing.  script=/downscript= run as QEMU's do
 * (default: none, as the common "script=no" — Vireo installs no
 * /etc/qemu-ifup).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>

#include "util/error.h"
#include <sys/ioctl.h>
#include <unistd.h>

#include "net/backends.h"
#include "net/fdpeer.h"

typedef struct TapState {
    FdPeer fp;
    char ifname[IFNAMSIZ];
    char *downscript;
} TapState;

static ssize_t tap_read_frame(FdPeer *s, uint8_t *buf, size_t size)
{
    ssize_t n = read(s->fd, buf, size);
    return n < 0 ? -errno : n;
}

static ssize_t tap_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    FdPeer *s = (FdPeer *)nc;
    ssize_t n = writev(s->fd, iov, iovcnt);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;     /* the kernel queue is full: keep it queued */
    }
    return n;
}

static bool run_script(const char *script, const char *ifname, GError **errp)
{
    if (!script || !*script || !strcmp(script, "no")) {
        return true;
    }
    char *argv[] = { (char *)script, (char *)ifname, NULL };
    gint status;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, errp)) {
        return false;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        vireo_set_error(errp, "network script %s failed with status %d",
                    script, status);
        return false;
    }
    return true;
}

static void tap_cleanup(NetClientState *nc)
{
    TapState *s = (TapState *)nc;
    fdpeer_stop_reading(&s->fp);
    if (s->downscript) {
        run_script(s->downscript, s->ifname, NULL);
        g_free(s->downscript);
    }
    if (s->fp.fd >= 0) {
        close(s->fp.fd);
    }
    g_free(s->fp.buf);
}

static void tap_info(NetClientState *nc, GString *out)
{
    g_string_append_printf(out, "ifname=%s", ((TapState *)nc)->ifname);
}

static const NetClientInfo tap_info_ops = {
    .type = NET_CLIENT_DRIVER_TAP,
    .size = sizeof(TapState),
    .receive = tap_receive,
    .cleanup = tap_cleanup,
    .info_str = tap_info,
};

NetClientState *net_init_tap(KeyVal *kv, const char *id, GError **errp)
{
    const char *ifname = keyval_take(kv, "ifname");
    const char *fdstr = keyval_take(kv, "fd");
    const char *script = keyval_take(kv, "script");
    const char *downscript = keyval_take(kv, "downscript");
    bool vhost;
    if (!keyval_take_bool(kv, "vhost", false, &vhost, errp)) {
        return NULL;
    }
    if (vhost) {
        vireo_set_error(errp, "vhost-net is not supported");
        return NULL;
    }
    int fd;
    char name[IFNAMSIZ] = "";
    if (fdstr) {
        char *end;
        long n = strtol(fdstr, &end, 10);
        if (*end || n < 0 || fcntl((int)n, F_GETFD) < 0) {
            vireo_set_error(errp, "tap: fd=%s is not an open file descriptor", fdstr);
            return NULL;
        }
        fd = (int)n;
    } else {
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            vireo_set_error(errp, "could not open /dev/net/tun: %s", g_strerror(errno));
            return NULL;
        }
        struct ifreq ifr = { 0 };
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (ifname) {
            g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
        }
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
            int e = errno;
            close(fd);
            vireo_set_error(errp, "could not configure /dev/net/tun (%s): %s", ifname ? ifname : "tap%d",
                        g_strerror(e));
            return NULL;
        }
        g_strlcpy(name, ifr.ifr_name, IFNAMSIZ);
        if (!run_script(script, name, errp)) {
            close(fd);
            return NULL;
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    TapState *s = (TapState *)net_client_new(&tap_info_ops, NULL, "tap", id);
    s->fp.fd = fd;
    s->fp.read_frame = tap_read_frame;
    g_strlcpy(s->ifname, name, IFNAMSIZ);
    s->downscript = downscript && strcmp(downscript, "no") ? g_strdup(downscript) : NULL;
    fdpeer_start_reading(&s->fp);
    return &s->fp.nc;
}
