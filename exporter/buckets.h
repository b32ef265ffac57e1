/* buckets.h — new TLS connections per second per client address, for
 * --web.tls-handshake-rate-per-ip: a token bucket per address (rate r, burst 2r) in a small
 * table of fixed size that outlives the address's connections, so that a client cannot
 * refill its bucket by closing everything it has open.
 *
 * The table: 4096 entries in sets of 8, the set chosen by a seeded hash of the address.
 * An entry holds only the time at which its bucket will be full again (the "theoretical
 * arrival time" of GCRA): each connection pushes it one interval (1/r s) later, and a
 * connection that would push it more than a burst (2r intervals) past now is refused. An
 * entry whose time has passed is a full bucket, the same as a free entry, so a new address
 * takes one of those, or else the entry nearest to full: evicting an address only ever
 * gives it more tokens (a full bucket when it comes back), never fewer to anyone else. A
 * client with more addresses than the table holds gets a full burst on each: see
 * docs/serving.md for what that costs. No allocation after buckets_create.
 *
 * No lock of its own: its owner (conns.c) calls it under conns.lock. */
#ifndef TCPH_BUCKETS_H
#define TCPH_BUCKETS_H

#include "address.h"

#include <stdbool.h>

#define BUCKETS_SETS 512
#define BUCKETS_WAYS 8
#define BUCKETS_MAX_RATE 1000000 /* per second: an interval of at least 1 µs */

struct buckets;

/* `rate` connections per second per address (1 to BUCKETS_MAX_RATE), a burst of twice
 * that. 0, -EINVAL or -ENOMEM. */
int buckets_create(struct buckets **out, unsigned rate);
void buckets_destroy(struct buckets *b);

/* Takes a token from `a`'s bucket at `now_ns` (a monotonic clock): false, and nothing
 * taken, when it is empty. */
bool buckets_take(struct buckets *b, const struct client_address *a, long long now_ns);

#endif
