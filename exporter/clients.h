/* clients.h — what each client address holds: its open connections (for
 * --web.max-connections-per-ip), of them its TLS handshakes in progress (for
 * --web.max-tls-handshakes-per-ip), and its places among the scrapes being prepared (for
 * the fair sharing of --web.max-requests, clients_place_allowed). A hash table (open
 * addressing, linear probing, at most half full) of a fixed number of addresses, so that
 * an accept costs the same with thousands of connections open. A per-process random seed
 * keeps a client from choosing addresses that collide.
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

/* Places among the scrapes being prepared held by `a` now. */
unsigned clients_places(const struct clients *c, const struct client_address *a);
/* Addresses holding at least one place now. */
unsigned clients_placed(const struct clients *c);
/* One more place held by `a`; false (not counted) when `a` has no open connection counted
 * here. */
bool clients_take_place(struct clients *c, const struct client_address *a);
/* Undoes one clients_take_place of `a`; ignored when `a` holds none. */
void clients_return_place(struct clients *c, const struct client_address *a);

/* The admission rule of --web.max-requests (`max` places; 0: no limit): may an address
 * that holds `held` places take one more, when `total` are taken in all and `placed`
 * addresses hold one or more? Every address may take a first place while any is free.
 * Beyond their first, addresses take places only from a pool of max / 2 (total − placed
 * < max / 2), each no more than an even split of it between the addresses holding places
 * (held × placed ≤ max / 2). So total ≤ placed + max / 2: a scraper from an address that
 * holds none gets in unless max / 2 other addresses hold a place each at that moment. */
bool clients_place_allowed(unsigned total, unsigned max, unsigned held, unsigned placed);

#endif
