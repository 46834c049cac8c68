/* Backend constructors for net.c's -netdev table (not for devices). */
#ifndef NET_BACKENDS_H
#define NET_BACKENDS_H

#include "net/net.h"
#include "util/keyval.h"

/* Takes its keys from kv (net.c rejects what is left), returns the new
 * backend client named id. */
typedef NetClientState *NetdevInitFn(KeyVal *kv, const char *id, GError **errp);

NetdevInitFn net_init_slirp, net_init_socket, net_init_tap, net_init_hubport;

/* Hubs (-net's "vlans"): every frame a port receives goes out of all the
 * hub's other ports. */
void net_hub_attach(NetClientState *backend, int hub_id);
/* A new port on hub hub_id for a NIC; returns its netdev id (g_free). */
char *net_hub_new_port_id(int hub_id);


#endif
