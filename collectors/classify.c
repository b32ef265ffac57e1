/* classify.c — the port/role policy and its cardinality cap (see classify.h). */
#include "classify.h"

#include "diag_compat.h"
#include "../lib/procfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void set_bit(uint8_t *bits, uint16_t port)
{
	bits[port >> 3] |= (uint8_t)(1u << (port & 7));
}

int classify_init(struct classify *c, const struct classify_config *config)
{
	memset(c, 0, sizeof(*c));
	if (config->max_ports < 1 || config->max_ports > CLASSIFY_MAX_PORTS_LIMIT ||
	    config->n_listen_ports > config->max_ports || config->n_client_ports > config->max_ports)
		return -EINVAL;
	c->max_ports = config->max_ports;
	c->listen_list = config->listen_ports;
	c->n_listen = config->n_listen_ports;
	c->client_list = config->client_ports;
	c->n_client = config->n_client_ports;
	for (unsigned i = 0; i < c->n_listen; i++)
		set_bit(c->expected, c->listen_list[i]);
	for (unsigned i = 0; i < c->n_client; i++)
		set_bit(c->client_ports, c->client_list[i]);
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		c->roles[r].port_of_slot = calloc(c->max_ports, sizeof(uint16_t));
		c->roles[r].sockets = calloc(c->max_ports, sizeof(uint32_t));
		c->roles[r].carried = calloc(c->max_ports, sizeof(uint16_t));
		if (!c->roles[r].port_of_slot || !c->roles[r].sockets || !c->roles[r].carried) {
			classify_fini(c);
			return -ENOMEM;
		}
	}
	/* Until a scan says otherwise, the kernel's default range. */
	c->eph_low = 32768;
	c->eph_high = 60999;
	return 0;
}

void classify_fini(struct classify *c)
{
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		free(c->roles[r].port_of_slot);
		free(c->roles[r].sockets);
		free(c->roles[r].carried);
		c->roles[r].port_of_slot = NULL;
		c->roles[r].sockets = NULL;
		c->roles[r].carried = NULL;
	}
}

/* Slot for `port` in `role`, assigning a new one while the cap allows. */
static unsigned slot_for(struct classify *c, enum classify_role role, uint16_t port)
{
	struct classify_role_slots *slots = &c->roles[role];
	uint16_t slot = slots->slot_of_port[port];

	if (slot)
		return slot - 1u;
	if (slots->used >= c->max_ports) {
		slots->folded++;
		return classify_other_slot(c);
	}
	slots->port_of_slot[slots->used] = port;
	slots->slot_of_port[port] = (uint16_t)(++slots->used);
	return slots->used - 1u;
}

void classify_carry(struct classify *c, const uint16_t *const ports[CLASSIFY_ROLES],
		    const unsigned n[CLASSIFY_ROLES])
{
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		struct classify_role_slots *slots = &c->roles[r];
		unsigned count = n[r] < c->max_ports ? n[r] : c->max_ports;

		for (unsigned i = 0; i < slots->used; i++)
			slots->slot_of_port[slots->port_of_slot[i]] = 0;
		slots->used = 0;
		for (unsigned i = 0; i < count; i++) {
			if (slots->slot_of_port[ports[r][i]])
				continue;
			slots->port_of_slot[slots->used] = ports[r][i];
			slots->sockets[slots->used] = 1;
			slots->slot_of_port[ports[r][i]] = (uint16_t)(++slots->used);
		}
	}
}

void classify_begin(struct classify *c, uint16_t eph_low, uint16_t eph_high)
{
	unsigned carried[CLASSIFY_ROLES];

	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		struct classify_role_slots *slots = &c->roles[r];

		carried[r] = 0;
		for (unsigned i = 0; i < slots->used; i++) {
			if (slots->sockets[i])
				slots->carried[carried[r]++] = slots->port_of_slot[i];
			/* Clear only what the last scan set: a few hundred entries, not 64 Ki. */
			slots->slot_of_port[slots->port_of_slot[i]] = 0;
		}
		memset(slots->sockets, 0, c->max_ports * sizeof(uint32_t));
		slots->used = 0;
		slots->folded = 0;
	}
	memset(c->listening, 0, sizeof(c->listening));
	c->eph_low = eph_low;
	c->eph_high = eph_high;
	for (unsigned i = 0; i < c->n_listen && !c->ignore_expected; i++)
		slot_for(c, CLASSIFY_SERVER, c->listen_list[i]);
	for (unsigned i = 0; i < c->n_client; i++)
		slot_for(c, CLASSIFY_CLIENT, c->client_list[i]);
	/* Then last scan's ports, in their old order: at the cap, the same ports keep their
	 * labels and the same ones fold, instead of changing with the kernel's hash order. */
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		for (unsigned i = 0; i < carried[r]; i++)
			slot_for(c, (enum classify_role)r, c->roles[r].carried[i]);
}

static bool is_ephemeral(const struct classify *c, uint16_t port)
{
	return port >= c->eph_low && port <= c->eph_high;
}

/* slot_for for a socket: also counts it, so the next scan knows the port was in use. */
static unsigned count_socket(struct classify *c, enum classify_role role, uint16_t port)
{
	unsigned slot = slot_for(c, role, port);

	if (slot != classify_other_slot(c))
		c->roles[role].sockets[slot]++;
	return slot;
}

unsigned classify_socket(struct classify *c, uint8_t state, uint16_t local_port,
			 uint16_t remote_port, enum classify_role *role)
{
	if (state == TCPH_LISTEN)
		set_bit(c->listening, local_port);
	if (state == TCPH_LISTEN || classify_bit(c->listening, local_port) ||
	    classify_is_expected(c, local_port) ||
	    (!is_ephemeral(c, local_port) && is_ephemeral(c, remote_port))) {
		*role = CLASSIFY_SERVER;
		return count_socket(c, CLASSIFY_SERVER, local_port);
	}
	*role = CLASSIFY_CLIENT;
	if (classify_bit(c->client_ports, remote_port) || !is_ephemeral(c, remote_port))
		return count_socket(c, CLASSIFY_CLIENT, remote_port);
	return classify_other_slot(c);
}

int classify_read_ephemeral_range(const char *path, uint16_t *low, uint16_t *high)
{
	long values[2];
	int ret = procfs_read_longs(path, values, 2);

	if (ret < 0)
		return ret;
	if (ret != 2 || values[0] < 1 || values[1] > 65535 || values[0] > values[1])
		return -EINVAL;
	*low = (uint16_t)values[0];
	*high = (uint16_t)values[1];
	return 0;
}
