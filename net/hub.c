/*
 * Hubs: QEMU's -net "vlan" model.  A hub has ports; a port is a client
 * whose peer is a NIC or a backend.  A frame arriving at one port leaves
 * through every other port.  Flow control: a port refuses a frame
 * (returns 0) while any other port's peer cannot take one, so nothing is
 * dropped; when a peer drains, every port is flushed.
 */
#include <string.h>

#include "util/error.h"

#include "net/backends.h"

typedef struct NetHub {
    int id;
    GPtrArray *ports;        /* NetHubPort * */
} NetHub;

typedef struct NetHubPort {
    NetClientState nc;
    NetHub *hub;
} NetHubPort;

static GPtrArray *hubs;

static NetHub *hub_get(int id)
{
    if (!hubs) {
        hubs = g_ptr_array_new();
    }
    for (guint i = 0; i < hubs->len; i++) {
        NetHub *h = g_ptr_array_index(hubs, i);
        if (h->id == id) {
            return h;
        }
    }
    NetHub *h = g_new0(NetHub, 1);
    h->id = id;
    h->ports = g_ptr_array_new();
    g_ptr_array_add(hubs, h);
    return h;
}

static bool hub_port_can_receive(NetClientState *nc)
{
    NetHubPort *port = (NetHubPort *)nc;
    for (guint i = 0; i < port->hub->ports->len; i++) {
        NetHubPort *o = g_ptr_array_index(port->hub->ports, i);
        if (o != port && o->nc.peer && !net_can_receive(o->nc.peer)) {
            return false;
        }
    }
    return true;
}

static void hub_port_sent(NetClientState *sender, ssize_t len)
{
    NetHubPort *port = (NetHubPort *)sender;
    for (guint i = 0; i < port->hub->ports->len; i++) {
        NetHubPort *o = g_ptr_array_index(port->hub->ports, i);
        net_flush_queued_packets(&o->nc);
    }
}

static ssize_t hub_port_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    NetHubPort *port = (NetHubPort *)nc;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    for (guint i = 0; i < port->hub->ports->len; i++) {
        NetHubPort *o = g_ptr_array_index(port->hub->ports, i);
        if (o != port) {
            net_send_iov(&o->nc, iov, iovcnt, hub_port_sent);
        }
    }
    return len;
}

static void hub_port_info(NetClientState *nc, GString *out)
{
    g_string_append_printf(out, "hub=%d", ((NetHubPort *)nc)->hub->id);
}

static void hub_port_cleanup(NetClientState *nc)
{
    NetHubPort *port = (NetHubPort *)nc;
    g_ptr_array_remove(port->hub->ports, port);
}

static const NetClientInfo hub_port_info_ops = {
    .type = NET_CLIENT_DRIVER_HUBPORT,
    .size = sizeof(NetHubPort),
    .receive = hub_port_receive,
    .can_receive = hub_port_can_receive,
    .cleanup = hub_port_cleanup,
    .info_str = hub_port_info,
};

static NetHubPort *hub_port_new(NetHub *hub, const char *name, NetClientState *peer)
{
    NetHubPort *port = (NetHubPort *)net_client_new(&hub_port_info_ops, peer, "hubport", name);
    port->hub = hub;
    port->nc.hub = hub;
    g_ptr_array_add(hub->ports, port);
    return port;
}

void net_hub_attach(NetClientState *backend, int hub_id)
{
    NetHub *hub = hub_get(hub_id);
    char *name = g_strdup_printf("hub%dport%u", hub_id, hub->ports->len);
    hub_port_new(hub, name, backend);
    g_free(name);
}

char *net_hub_new_port_id(int hub_id)
{
    NetHub *hub = hub_get(hub_id);
    char *name = g_strdup_printf("hub%dport%u", hub_id, hub->ports->len);
    hub_port_new(hub, name, NULL);
    return name;
}

NetClientState *net_init_hubport(KeyVal *kv, const char *id, GError **errp)
{
    uint64_t hubid;
    const char *h = keyval_take(kv, "hubid");
    if (!h) {
        vireo_set_error(errp, "Parameter 'hubid' is missing");
        return NULL;
    }
    char *end;
    hubid = g_ascii_strtoull(h, &end, 10);
    if (*end || hubid > G_MAXINT) {
        vireo_set_error(errp, "Parameter 'hubid' expects a number");
        return NULL;
    }
    const char *netdev = keyval_take(kv, "netdev");
    NetClientState *peer = NULL;
    if (netdev) {
        peer = net_netdev_find(netdev);
        if (!peer || peer->peer) {
            vireo_set_error(errp, "netdev '%s' not found or already in use", netdev);
            return NULL;
        }
    }
    return &hub_port_new(hub_get((int)hubid), id, peer)->nc;
}
