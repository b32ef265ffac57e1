/* classify.h — which `port` and `role` a socket counts under, with a hard cap on the
 * number of distinct port values per role (the cardinality promise).
 *
 * Policy, per socket (see README "Port labelling"):
 *   server, port = local port   if LISTEN, or the local port is listening now, or it is
 *                               an expected port (--listen-ports), or it lies outside
 *                               the ephemeral range while the remote port lies inside;
 *   client, port = remote port  if it is in --client-ports or outside the ephemeral range;
 *   client, port = "other"      otherwise.
 * Each role has at most max_ports port values; sockets beyond that fold into "other"
 * and are counted as folded. Configured ports get their slots first, then the ports that
 * had sockets in the previous scan (so which ports fold stays stable from scrape to
 * scrape), then new ports in the order the dump meets them (listeners come first). */
#ifndef TCPH_CLASSIFY_H
#define TCPH_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#define CLASSIFY_PORT_LIMIT 65536
#define CLASSIFY_MAX_PORTS_LIMIT 4096 /* upper bound accepted for --max-ports */

enum classify_role { CLASSIFY_SERVER = 0, CLASSIFY_CLIENT = 1, CLASSIFY_ROLES = 2 };

struct classify_config {
	const uint16_t *listen_ports; /* expected listeners, server role */
	unsigned n_listen_ports;
	const uint16_t *client_ports; /* remote ports always labelled, client role */
	unsigned n_client_ports;
	unsigned max_ports; /* per role; 1..CLASSIFY_MAX_PORTS_LIMIT */
};

struct classify_role_slots {
	uint16_t slot_of_port[CLASSIFY_PORT_LIMIT]; /* 0: none, else slot index + 1 */
	uint16_t *port_of_slot;			  /* max_ports entries */
	uint32_t *sockets;			  /* per slot: sockets classified this scan */
	uint16_t *carried;			  /* scratch: ports kept from the last scan */
	unsigned used;
	uint64_t folded; /* sockets folded into "other" by the cap this scan */
};

struct classify {
	unsigned max_ports;
	uint16_t eph_low, eph_high; /* ephemeral range, inclusive */
	uint8_t expected[CLASSIFY_PORT_LIMIT / 8];
	uint8_t client_ports[CLASSIFY_PORT_LIMIT / 8];
	uint8_t listening[CLASSIFY_PORT_LIMIT / 8]; /* seen LISTEN this scan */
	const uint16_t *listen_list, *client_list;
	/* Set before classify_begin: this scan ignores --listen-ports (with --netns=all they are
	 * expected in the exporter's own namespace only, not in every container's). */
	bool ignore_expected;
	unsigned n_listen, n_client;
	struct classify_role_slots roles[CLASSIFY_ROLES];
};

/* Allocates the slot tables. 0, -EINVAL (bad config) or -ENOMEM. */
int classify_init(struct classify *c, const struct classify_config *config);
void classify_fini(struct classify *c);

/* Starts a scan: forgets the previous scan's listeners and slots, reserves slots for the
 * configured ports, then for the ports that had sockets last scan, and takes the
 * ephemeral range for this scan. */
void classify_begin(struct classify *c, uint16_t eph_low, uint16_t eph_high);

/* Replaces what the last scan used with `ports` (n[r] per role), as if they had sockets
 * then: the next classify_begin carries them. Lets one classify serve many targets in
 * turn, each with the ports of its own last scan. */
void classify_carry(struct classify *c, const uint16_t *const ports[CLASSIFY_ROLES],
		    const unsigned n[CLASSIFY_ROLES]);
/* Classifies one socket and returns its slot: 0..max_ports-1 for a port (see
 * classify_slot_port), or classify_other_slot(c) for "other". */
unsigned classify_socket(struct classify *c, uint8_t state, uint16_t local_port,
			 uint16_t remote_port, enum classify_role *role);

static inline unsigned classify_other_slot(const struct classify *c)
{
	return c->max_ports;
}

/* Port of a used slot. */
static inline uint16_t classify_slot_port(const struct classify *c, enum classify_role role,
					  unsigned slot)
{
	return c->roles[role].port_of_slot[slot];
}

static inline bool classify_bit(const uint8_t *bits, uint16_t port)
{
	return bits[port >> 3] & (1u << (port & 7));
}

static inline bool classify_is_expected(const struct classify *c, uint16_t port)
{
	return !c->ignore_expected && classify_bit(c->expected, port);
}

static inline bool classify_is_listening(const struct classify *c, uint16_t port)
{
	return classify_bit(c->listening, port);
}

/* Reads "low high" from an ip_local_port_range file. 0, -errno or -EINVAL. */
int classify_read_ephemeral_range(const char *path, uint16_t *low, uint16_t *high);

#endif
