/* clients.c — the per-address connection and place counts (see clients.h). */
#include "clients.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* What one client address holds; a slot with no connection is free. */
struct client {
	struct client_address address;
	unsigned connections;
	unsigned places;     /* scrapes being prepared (a place needs an open connection) */
	unsigned handshakes; /* of its connections, TLS ones with no request yet */
};

struct clients {
	struct client *slots;
	size_t capacity; /* a power of two, >= 2 * max: a probe always ends at a free slot */
	unsigned used, max;
	unsigned placed; /* addresses with places > 0 */
	uint64_t seed;
};

static size_t home_slot(const struct clients *c, const struct client_address *a)
{
	return (size_t)address_hash(a, c->seed) & (c->capacity - 1);
}

/* The slot holding `a`, or the free slot where it would go. */
static size_t slot_of(const struct clients *c, const struct client_address *a)
{
	size_t i = home_slot(c, a);

	while (c->slots[i].connections && !address_equal(&c->slots[i].address, a))
		i = (i + 1) & (c->capacity - 1);
	return i;
}

/* Frees slot `i`, moving later entries of its probe run back so that every entry stays
 * reachable from its home slot (no tombstones). */
static void remove_slot(struct clients *c, size_t i)
{
	size_t mask = c->capacity - 1;

	for (size_t j = (i + 1) & mask; c->slots[j].connections; j = (j + 1) & mask) {
		size_t home = home_slot(c, &c->slots[j].address);

		/* Stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		c->slots[i] = c->slots[j];
		i = j;
	}
	c->slots[i].connections = 0;
	c->slots[i].handshakes = 0;
}

int clients_create(struct clients **out, unsigned max_clients)
{
	struct clients *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->max = max_clients;
	c->capacity = 16;
	while (c->capacity < 2 * (size_t)max_clients)
		c->capacity *= 2;
	c->slots = calloc(c->capacity, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return -ENOMEM;
	}
	c->seed = address_seed(c);
	*out = c;
	return 0;
}

void clients_destroy(struct clients *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c);
}

unsigned clients_count(const struct clients *c, const struct client_address *a)
{
	return c->slots[slot_of(c, a)].connections;
}

bool clients_add(struct clients *c, const struct client_address *a)
{
	size_t i = slot_of(c, a);

	if (!c->slots[i].connections) {
		if (c->used == c->max)
			return false;
		c->used++;
		c->slots[i].address = *a;
		c->slots[i].places = 0; /* a freed slot keeps what a moved entry left there */
	}
	c->slots[i].connections++;
	return true;
}

void clients_release(struct clients *c, const struct client_address *a)
{
	size_t i = slot_of(c, a);

	if (c->slots[i].handshakes >= c->slots[i].connections && c->slots[i].handshakes)
		c->slots[i].handshakes--; /* never more handshakes than connections */
	if (c->slots[i].connections && --c->slots[i].connections == 0) {
		c->used--;
		if (c->slots[i].places) /* a connection closed before its request completed */
			c->placed--;
		remove_slot(c, i);
	}
}

unsigned clients_handshakes(const struct clients *c, const struct client_address *a)
{
	return c->slots[slot_of(c, a)].handshakes;
}

void clients_handshake(struct clients *c, const struct client_address *a, bool begins)
{
	struct client *e = &c->slots[slot_of(c, a)];

	if (!e->connections)
		return; /* not counted (the table was full) */
	if (begins && e->handshakes < e->connections)
		e->handshakes++;
	else if (!begins && e->handshakes)
		e->handshakes--;
}

unsigned clients_used(const struct clients *c)
{
	return c->used;
}

unsigned clients_places(const struct clients *c, const struct client_address *a)
{
	const struct client *slot = &c->slots[slot_of(c, a)];

	return slot->connections ? slot->places : 0; /* a free slot keeps stale figures */
}

unsigned clients_placed(const struct clients *c)
{
	return c->placed;
}

bool clients_take_place(struct clients *c, const struct client_address *a)
{
	struct client *slot = &c->slots[slot_of(c, a)];

	if (!slot->connections)
		return false;
	if (slot->places++ == 0)
		c->placed++;
	return true;
}

void clients_return_place(struct clients *c, const struct client_address *a)
{
	struct client *slot = &c->slots[slot_of(c, a)];

	if (slot->connections && slot->places && --slot->places == 0)
		c->placed--;
}

bool clients_place_allowed(unsigned total, unsigned max, unsigned held, unsigned placed)
{
	if (!max)
		return true;
	if (total >= max)
		return false;
	if (!held)
		return true;
	/* held ≥ 1, so placed ≥ 1 (this address among them). Places beyond the first ones
	 * (total − placed; untracked requests count there too) come from the pool of max / 2,
	 * and one address takes no more than an even split of it: a share taken while it
	 * was alone is not grown once others come, and the pool is never exceeded. */
	return total - placed < max / 2 && (unsigned long long)held * placed <= max / 2;
}
