/* address.h — a client's IP address as a comparable value (the port left out). */
#ifndef TCPH_ADDRESS_H
#define TCPH_ADDRESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

struct client_address {
	uint8_t family; /* AF_INET or AF_INET6; 0: none */
	uint8_t addr[16];
};

/* False for a socket address that is not IPv4 or IPv6. */
static inline bool address_of(const struct sockaddr *sa, struct client_address *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return false;
	out->family = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(out->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(out->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return false;
	return true;
}

static inline bool address_equal(const struct client_address *a, const struct client_address *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

static inline void address_text(const struct client_address *a, char *text, size_t len)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->addr, text, (socklen_t)len))
		snprintf(text, len, "?");
}

/* A seeded hash of `a` (the tables of clients.c and buckets.c): with a per-process random
 * seed, a client cannot choose addresses that collide. */
static inline uint64_t address_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t address_hash(const struct client_address *a, uint64_t seed)
{
	uint64_t lo, hi;

	memcpy(&lo, a->addr, 8);
	memcpy(&hi, a->addr + 8, 8);
	return address_mix(address_mix(seed ^ lo ^ a->family) ^ hi);
}

/* A random seed for address_hash; `salt` (a pointer of the table) when getrandom fails. */
static inline uint64_t address_seed(const void *salt)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)salt;
}

#endif
