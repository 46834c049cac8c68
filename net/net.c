/*
 * Network clients, queues, hubs and the -netdev/-nic/-net options: see
 * net.h.  Backends live in their own files (slirp.c, socket.c, tap.c);
 * NIC models in hw/net/.
 */
#include "net/net.h"
#include "hw/core/timer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#include "hw/core/device.h"
#include "net/backends.h"
#include "util/iov.h"
#include "util/keyval.h"
#include "util/log.h"

struct NetPacket {
    NetClientState *sender;
    NetPacketSent *sent_cb;
    size_t len;
    uint8_t data[];
};

/* A sender without flow control may have this many frames waiting at a
 * receiver before further ones are dropped (counted in rx_dropped). */
#define NET_QUEUE_LIMIT 1024

static GPtrArray *net_clients;     /* every NetClientState */
static GPtrArray *nic_models;      /* const NICModel * */

NetClientState *net_client_new(const NetClientInfo *info, NetClientState *peer,
                               const char *model, const char *name)
{
    g_assert(info->size >= sizeof(NetClientState));
    NetClientState *nc = g_malloc0(info->size);
    nc->info = info;
    nc->model = g_strdup(model);
    nc->name = g_strdup(name ? name : model);
    nc->incoming_limit = NET_QUEUE_LIMIT;
    nc->queues = 1;
    g_queue_init(&nc->incoming);
    if (peer) {
        g_assert(!peer->peer);
        nc->peer = peer;
        peer->peer = nc;
    }
    if (!net_clients) {
        net_clients = g_ptr_array_new();
    }
    g_ptr_array_add(net_clients, nc);
    return nc;
}

void net_client_free(NetClientState *nc)
{
    if (!nc) {
        return;
    }
    net_purge_queued_packets(nc);
    if (nc->peer) {
        /* frames nc left at its peer would call back into freed memory */
        NetClientState *peer = nc->peer;
        for (GList *l = peer->incoming.head; l;) {
            GList *next = l->next;
            NetPacket *p = l->data;
            if (p->sender == nc) {
                g_queue_delete_link(&peer->incoming, l);
                g_free(p);
            }
            l = next;
        }
        peer->peer = NULL;
    }
    if (nc->info->cleanup) {
        nc->info->cleanup(nc);
    }
    g_ptr_array_remove(net_clients, nc);
    g_free(nc->name);
    g_free(nc->model);
    g_free(nc);
}

bool net_can_receive(NetClientState *nc)
{
    if (!g_queue_is_empty(&nc->incoming) || nc->delivering) {
        return false;
    }
    return !nc->info->can_receive || nc->info->can_receive(nc);
}

static ssize_t deliver(NetClientState *to, const struct iovec *iov, int iovcnt, size_t len)
{
    to->delivering = true;
    ssize_t r = to->info->receive(to, iov, iovcnt);
    to->delivering = false;
    if (r > 0) {
        to->stats.rx_packets++;
        to->stats.rx_bytes += len;
        to->stats.rx_max = MAX(to->stats.rx_max, len);
    }
    return r;
}

static void enqueue(NetClientState *to, NetClientState *sender, const struct iovec *iov,
                    int iovcnt, size_t len, NetPacketSent *sent_cb)
{
    NetPacket *p = g_malloc(sizeof(*p) + len);
    p->sender = sender;
    p->sent_cb = sent_cb;
    p->len = len;
    iov_to_buf(iov, iovcnt, 0, p->data, len);
    g_queue_push_tail(&to->incoming, p);
}

ssize_t net_send_iov(NetClientState *nc, const struct iovec *iov, int iovcnt,
                     NetPacketSent *sent_cb)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    NetClientState *to = nc->peer;
    nc->stats.tx_packets++;
    nc->stats.tx_bytes += len;
    nc->stats.tx_max = MAX(nc->stats.tx_max, len);
    /* No cable, or a link set down (set_link): the frame is lost on the
     * wire, as on real hardware, and the sender goes on. */
    if (!to || nc->link_down || to->link_down) {
        return len;
    }
    if (net_can_receive(to)) {
        ssize_t r = deliver(to, iov, iovcnt, len);
        if (r != 0) {
            if (r < 0) {
                to->stats.rx_dropped++;
            }
            return len;
        }
    }
    if (!sent_cb && g_queue_get_length(&to->incoming) >= to->incoming_limit) {
        to->stats.rx_dropped++;
        vlog(LOG_GUEST_ERRORS, "net: %s: queue full, frame from %s dropped\n", to->name, nc->name);
        return len;
    }
    enqueue(to, nc, iov, iovcnt, len, sent_cb);
    return 0;
}

ssize_t net_send(NetClientState *nc, const uint8_t *buf, size_t len, NetPacketSent *sent_cb)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    return net_send_iov(nc, &iov, 1, sent_cb);
}

void net_flush_queued_packets(NetClientState *nc)
{
    if (nc->delivering) {
        return;
    }
    while (!g_queue_is_empty(&nc->incoming)) {
        if (nc->info->can_receive && !nc->info->can_receive(nc)) {
            return;
        }
        NetPacket *p = g_queue_peek_head(&nc->incoming);
        struct iovec iov = { .iov_base = p->data, .iov_len = p->len };
        ssize_t r = deliver(nc, &iov, 1, p->len);
        if (r == 0) {
            return;                     /* still full: keep it at the head */
        }
        g_queue_pop_head(&nc->incoming);
        nc->stats.rx_queued++;
        if (r < 0) {
            nc->stats.rx_dropped++;
        }
        if (p->sent_cb) {
            p->sent_cb(p->sender, p->len);
        }
        g_free(p);
    }
}

void net_purge_queued_packets(NetClientState *nc)
{
    NetPacket *p;
    while ((p = g_queue_pop_head(&nc->incoming))) {
        if (p->sent_cb) {
            p->sent_cb(p->sender, 0);    /* the sender may go on */
        }
        g_free(p);
    }
}

/* ---- NIC helpers ---- */

bool net_parse_macaddr(const char *s, MACAddr *mac)
{
    unsigned b[6];
    char extra;
    if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                     &extra) != 6) {
        return false;
    }
    if (strlen(s) != 17) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        mac->a[i] = b[i];
    }
    return true;
}

void net_nic_default_mac(NICConf *conf)
{
    static unsigned index;
    static const uint8_t zero[6];
    if (memcmp(conf->macaddr.a, zero, 6)) {
        return;
    }
    static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    memcpy(conf->macaddr.a, base, 6);
    conf->macaddr.a[5] += index++;
}

/* ---- announce-self ---- */

typedef struct Announce {
    Timer *timer;
    int64_t initial, max, rounds, step, done;
} Announce;
static GHashTable *announces;      /* id -> Announce * */

static void announce_once(void *opaque)
{
    Announce *a = opaque;
    /* RARP "reverse request" (RFC 903) from each NIC's MAC, padded to 60 */
    for (guint i = 0; net_clients && i < net_clients->len; i++) {
        NetClientState *nc = g_ptr_array_index(net_clients, i);
        if (nc->info->type != NET_CLIENT_DRIVER_NIC || !nc->mac) {
            continue;
        }
        uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        memcpy(f + 6, nc->mac->a, 6);
        static const uint8_t rarp[10] = { 0x80, 0x35, 0, 1, 0x08, 0x00, 6, 4, 0, 3 };
        memcpy(f + 12, rarp, sizeof(rarp));
        memcpy(f + 22, nc->mac->a, 6);          /* sender hardware address */
        memcpy(f + 32, nc->mac->a, 6);          /* target hardware address */
        net_send(nc, f, sizeof(f), NULL);
    }
    if (++a->done < a->rounds) {
        int64_t delay = MIN(a->initial + (a->done - 1) * a->step, a->max);
        timer_mod(a->timer, clock_get_ns(CLOCK_RT) + delay * 1000000);
    }
}

static void announce_free(gpointer p)
{
    Announce *a = p;
    timer_free(a->timer);
    g_free(a);
}

bool net_announce_self(int64_t initial_ms, int64_t max_ms, int64_t rounds, int64_t step_ms,
                       const char *id, GError **errp)
{
    if (initial_ms < 1 || max_ms < 1 || rounds < 0 || step_ms < 0 || initial_ms > 100000 ||
        max_ms > 100000 || rounds > 1000 || step_ms > 100000) {
        vireo_set_error(errp, "announce-self: initial and max are 1..100000 ms, rounds 0..1000, "
                        "step 0..100000 ms");
        return false;
    }
    if (!announces) {
        announces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, announce_free);
    }
    const char *key = id ? id : "";
    if (!rounds) {
        g_hash_table_remove(announces, key);
        return true;
    }
    Announce *a = g_hash_table_lookup(announces, key);
    if (!a) {
        a = g_new0(Announce, 1);
        a->timer = timer_new(CLOCK_RT, announce_once, a);
        g_hash_table_insert(announces, g_strdup(key), a);
    }
    *a = (Announce){ .timer = a->timer, .initial = initial_ms, .max = max_ms, .rounds = rounds,
                     .step = step_ms };
    timer_del(a->timer);
    announce_once(a);
    return true;
}

NetClientState *net_nic_new(const NetClientInfo *info, NICConf *conf, const char *model,
                            const char *id)
{
    g_assert(info->type == NET_CLIENT_DRIVER_NIC);
    net_nic_default_mac(conf);
    static unsigned n;
    char *name = id ? g_strdup(id) : g_strdup_printf("%s.%u", model, n++);
    NetClientState *nc = net_client_new(info, conf->peer, model, name);
    nc->mac = &conf->macaddr;
    g_free(name);
    return nc;
}

void net_register_nic_model(const NICModel *m)
{
    if (!nic_models) {
        nic_models = g_ptr_array_new();
    }
    g_ptr_array_add(nic_models, (gpointer)m);
}

static const NICModel *nic_model_find(const char *name)
{
    for (guint i = 0; nic_models && i < nic_models->len; i++) {
        const NICModel *m = g_ptr_array_index(nic_models, i);
        if (!strcmp(m->name, name)) {
            return m;
        }
    }
    return NULL;
}

const char *net_default_nic_model(void)
{
    return "e1000";       /* QEMU's pc default */
}

/* ---- backends by name ---- */

typedef struct NetdevType {
    const char *name;
    NetdevInitFn *init;
} NetdevType;

static const NetdevType netdev_types[] = {
    { "user", net_init_slirp },
    { "socket", net_init_socket },
    { "tap", net_init_tap },
    { "hubport", net_init_hubport },
};

NetClientState *net_netdev_find(const char *id)
{
    for (guint i = 0; net_clients && i < net_clients->len; i++) {
        NetClientState *nc = g_ptr_array_index(net_clients, i);
        if (nc->info->type != NET_CLIENT_DRIVER_NIC && !strcmp(nc->name, id)) {
            return nc;
        }
    }
    return NULL;
}

static bool id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

static NetClientState *netdev_create(KeyVal *kv, const char *type, const char *id,
                                     GError **errp)
{
    const NetdevType *t = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(netdev_types); i++) {
        if (!strcmp(netdev_types[i].name, type)) {
            t = &netdev_types[i];
        }
    }
    if (!t) {
        vireo_set_error(errp, "Parameter 'type' expects a netdev backend type (user, socket, tap, hubport)");
        return NULL;
    }
    if (net_netdev_find(id)) {
        vireo_set_error(errp, "Duplicate ID '%s' for netdev", id);
        return NULL;
    }
    /*
     * queues=N: as QEMU's tap (and, in Vireo, user and socket too): how
     * many queue pairs a virtio-net-pci with mq=on offers.  The backend
     * itself is one queue that the pairs share.
     */
    uint64_t queues = 1;
    if (strcmp(type, "hubport") && !keyval_take_u64(kv, "queues", 1, &queues, errp)) {
        return NULL;
    }
    if (queues < 1 || queues > NET_MAX_QUEUES) {
        vireo_set_error(errp, "Parameter 'queues' expects a value between 1 and %d", NET_MAX_QUEUES);
        return NULL;
    }
    NetClientState *nc = t->init(kv, id, errp);
    if (!nc) {
        return NULL;
    }
    nc->queues = queues;
    const char *bad = keyval_unused(kv);
    if (bad) {
        vireo_set_error(errp, "Invalid parameter '%s'", bad);
        net_client_free(nc);
        return NULL;
    }
    return nc;
}

bool net_netdev_add(const char *optstr, GError **errp)
{
    KeyVal *kv = keyval_parse(optstr, "type", errp);
    if (!kv) {
        return false;
    }
    const char *type = keyval_take(kv, "type");
    const char *id = keyval_take(kv, "id");
    bool ok = false;
    if (type && is_help_option(type)) {
        printf("Available netdev backend types:\nsocket\nhubport\ntap\nuser\n");
        exit(0);
    }
    if (!type) {
        vireo_set_error(errp, "Parameter 'type' is missing");
    } else if (!id) {
        vireo_set_error(errp, "Parameter 'id' is missing");
    } else if (!id_wellformed(id)) {
        vireo_set_error(errp, "Parameter 'id' expects an identifier");
    } else {
        ok = netdev_create(kv, type, id, errp) != NULL;
    }
    keyval_free(kv);
    return ok;
}

/* NICs that -nic / -net nic asked for, created by net_init_nics() once
 * the machine's buses exist. */
typedef struct PendingNIC {
    char *model;
    char *netdev;        /* backend id, or NULL (hub port made later) */
    char *mac;
    int hub;             /* -net: the hub (vlan) it joins; -1 for -nic */
} PendingNIC;
static GPtrArray *pending_nics;

static void pending_nic_add(const char *model, const char *netdev, const char *mac, int hub)
{
    PendingNIC *p = g_new0(PendingNIC, 1);
    p->model = g_strdup(model);
    p->netdev = g_strdup(netdev);
    p->mac = g_strdup(mac);
    p->hub = hub;
    if (!pending_nics) {
        pending_nics = g_ptr_array_new();
    }
    g_ptr_array_add(pending_nics, p);
}

static bool model_help(const char *model)
{
    if (model && is_help_option(model)) {
        printf("Available NIC models:\n");
        for (guint i = 0; nic_models && i < nic_models->len; i++) {
            printf("%s\n", ((const NICModel *)g_ptr_array_index(nic_models, i))->name);
        }
        exit(0);
    }
    return false;
}

bool net_nic_option(const char *optstr, GError **errp)
{
    static int nic_index;
    KeyVal *kv = keyval_parse(optstr, "type", errp);
    if (!kv) {
        return false;
    }
    const char *type = keyval_take(kv, "type");
    const char *model = keyval_take(kv, "model");
    const char *mac = keyval_take(kv, "mac");
    model_help(model);
    bool ok = true;
    if (!type) {
        type = "user";
    }
    if (!strcmp(type, "none")) {
        keyval_free(kv);
        return true;
    }
    char *id = g_strdup_printf("__nic%d", nic_index++);
    keyval_take(kv, "id");   /* -nic has no id of its own */
    if (!netdev_create(kv, type, id, errp)) {
        ok = false;
    } else {
        pending_nic_add(model ? model : net_default_nic_model(), id, mac, -1);
    }
    g_free(id);
    keyval_free(kv);
    return ok;
}

bool net_legacy_net_option(const char *optstr, GError **errp)
{
    static int legacy_index;
    KeyVal *kv = keyval_parse(optstr, "type", errp);
    if (!kv) {
        return false;
    }
    const char *type = keyval_take(kv, "type");
    uint64_t vlan = 0;
    bool ok = keyval_take_u64(kv, "vlan", 0, &vlan, errp);
    if (ok && type && !strcmp(type, "nic")) {
        const char *model = keyval_take(kv, "model");
        const char *mac = keyval_take(kv, "macaddr");
        const char *netdev = keyval_take(kv, "netdev");
        keyval_take(kv, "name");
        keyval_take(kv, "id");
        model_help(model);
        const char *bad = keyval_unused(kv);
        if (bad) {
            vireo_set_error(errp, "Invalid parameter '%s'", bad);
            ok = false;
        } else {
            pending_nic_add(model ? model : net_default_nic_model(), netdev, mac,
                            netdev ? -1 : (int)vlan);
        }
    } else if (ok && type && !strcmp(type, "none")) {
        /* no network */
    } else if (ok && type) {
        /* -net user|socket|tap: a backend joined to hub 'vlan' */
        const char *name = keyval_take(kv, "name");
        keyval_take(kv, "id");
        char *id = name ? g_strdup(name) : g_strdup_printf("__net%d", legacy_index++);
        NetClientState *be = netdev_create(kv, type, id, errp);
        if (!be) {
            ok = false;
        } else {
            net_hub_attach(be, (int)vlan);
        }
        g_free(id);
    } else if (ok) {
        vireo_set_error(errp, "Parameter 'type' is missing");
        ok = false;
    }
    keyval_free(kv);
    return ok;
}

bool net_init_nics(GError **errp)
{
    for (guint i = 0; pending_nics && i < pending_nics->len; i++) {
        PendingNIC *p = g_ptr_array_index(pending_nics, i);
        const NICModel *m = nic_model_find(p->model);
        if (!m) {
            vireo_set_error(errp, "Unsupported NIC model: %s (use model=help)", p->model);
            return false;
        }
        char *netdev = p->netdev ? g_strdup(p->netdev) : net_hub_new_port_id(p->hub);
        GString *props = g_string_new(NULL);
        g_string_append_printf(props, "netdev=%s", netdev);
        if (p->mac) {
            g_string_append_printf(props, ",mac=%s", p->mac);
        }
        Device *dev = device_new(m->device, errp);
        bool ok = dev && device_set_props_str(dev, props->str, errp) && device_realize(dev, errp);
        g_string_free(props, TRUE);
        g_free(netdev);
        if (!ok) {
            return false;
        }
        if (dev->cls->reset) {
            dev->cls->reset(dev);
        }
    }
    /* A backend nobody uses is legal but almost always a mistake. */
    for (guint i = 0; net_clients && i < net_clients->len; i++) {
        NetClientState *nc = g_ptr_array_index(net_clients, i);
        if (nc->info->type != NET_CLIENT_DRIVER_NIC && nc->info->type != NET_CLIENT_DRIVER_HUBPORT &&
            !nc->peer && !nc->hub) {
            fprintf(stderr, "vireo: warning: netdev %s has no peer\n", nc->name);
        }
    }
    return true;
}

/* "    frames: ..." under a client's line: what it sent and was given */
static void info_stats(const NetClientState *nc, GString *out)
{
    const NetStats *st = &nc->stats;
    g_string_append_printf(out, "    frames: sent %" PRIu64 " (%" PRIu64 " bytes, largest %" PRIu64
                           "), received %" PRIu64 " (%" PRIu64 " bytes, largest %" PRIu64
                           "), queued %" PRIu64 ", dropped %" PRIu64 "\n",
                           st->tx_packets, st->tx_bytes, st->tx_max, st->rx_packets,
                           st->rx_bytes, st->rx_max, st->rx_queued, st->rx_dropped);
}

void net_info_network(GString *out)
{
    for (guint i = 0; net_clients && i < net_clients->len; i++) {
        NetClientState *nc = g_ptr_array_index(net_clients, i);
        /* a backend shows under its NIC, as in QEMU's "info network" */
        if (nc->info->type == NET_CLIENT_DRIVER_HUBPORT ||
            (nc->info->type != NET_CLIENT_DRIVER_NIC && nc->peer &&
             nc->peer->info->type == NET_CLIENT_DRIVER_NIC)) {
            continue;
        }
        g_string_append_printf(out, "%s: index=0,type=%s", nc->name,
                               nc->info->type == NET_CLIENT_DRIVER_NIC ? "nic" : nc->model);
        if (nc->info->info_str) {
            g_string_append(out, ",");
            nc->info->info_str(nc, out);
        }
        if (nc->link_down) {
            g_string_append(out, " (link down)");
        }
        g_string_append_c(out, '\n');
        info_stats(nc, out);
        if (nc->peer && nc->info->type == NET_CLIENT_DRIVER_NIC) {
            NetClientState *pr = nc->peer;
            g_string_append_printf(out, " \\ %s: index=0,type=%s", pr->name, pr->model);
            if (pr->info->info_str) {
                g_string_append(out, ",");
                pr->info->info_str(pr, out);
            }
            g_string_append_c(out, '\n');
            info_stats(pr, out);
        }
    }
}

bool net_set_link(const char *name, bool up, GError **errp)
{
    bool found = false;
    for (guint i = 0; net_clients && i < net_clients->len; i++) {
        NetClientState *nc = g_ptr_array_index(net_clients, i);
        if (strcmp(nc->name, name)) {
            continue;
        }
        found = true;
        /* As QEMU: the link state of a NIC and its backend move together. */
        NetClientState *both[2] = { nc, nc->peer };
        for (int k = 0; k < 2; k++) {
            if (both[k] && both[k]->link_down != !up) {
                both[k]->link_down = !up;
                if (both[k]->info->link_status_changed) {
                    both[k]->info->link_status_changed(both[k]);
                }
            }
        }
    }
    if (!found) {
        vireo_set_error(errp, "Device '%s' not found", name);
    }
    return found;
}

void net_cleanup(void)
{
    while (net_clients && net_clients->len) {
        net_client_free(g_ptr_array_index(net_clients, net_clients->len - 1));
    }
}
