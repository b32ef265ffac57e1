/* clients.h — open connections per client address, for --web.max-connections-per-ip: a
 * hash table (open addressing, linear probing, at most half full) of a fixed number of
 * addresses, with each one's TLS handshakes in progress (--web.max-tls-handshakes-per-ip),
 * so that an accept costs the same with thousands of connections open. A per-process
 * random seed keeps a client from choosing addresses that collide.
 *
 * No lock of its own: its owner (conns.c) calls it under conns.lock. */
#ifndef TCPH_CLIENTS_H
#define TCPH_CLIENTS_H

#include "address.h"

struct clients;

/* Room for `max_clients` addresses. 0 or -ENOMEM. */
int clients_create(struct clients **out, unsigned max_clients);
void clients_destroy(struct clients *c);

/* Connections of `a` counted now. */
unsigned clients_count(const struct clients *c, const struct client_address *a);
/* Counts one more connection of `a`; false (not counted) when `a` is new and the table
 * holds max_clients addresses already. */
bool clients_add(struct clients *c, const struct client_address *a);
/* Undoes one clients_add of `a` (and one handshake, when all its connections were in one);
 * an address not counted is ignored. */
void clients_release(struct clients *c, const struct client_address *a);
/* Of the connections of `a`, the TLS ones without a request yet (handshakes in progress). */
unsigned clients_handshakes(const struct clients *c, const struct client_address *a);
/* A counted connection of `a` begins (`begins`) or ends its handshake; ignored for an
 * address not counted, and never more handshakes than connections nor fewer than none. */
void clients_handshake(struct clients *c, const struct client_address *a, bool begins);
/* Addresses counted now. */
unsigned clients_used(const struct clients *c);

#endif
