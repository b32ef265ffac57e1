/* buckets.c — token buckets per client address in a set-associative table (see buckets.h). */
#include "buckets.h"

#include <errno.h>
#include <stdlib.h>

struct bucket {
	struct client_address address; /* family 0: never used */
	long long full_ns;	       /* when the bucket is full again; <= now: full */
};

struct buckets {
	struct bucket entries[BUCKETS_SETS * BUCKETS_WAYS];
	long long interval_ns; /* one token */
	long long burst_ns;    /* a whole bucket: 2 * rate tokens */
	uint64_t seed;
};

int buckets_create(struct buckets **out, unsigned rate)
{
	struct buckets *b;

	if (rate < 1 || rate > BUCKETS_MAX_RATE)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->interval_ns = 1000000000LL / rate;
	b->burst_ns = 2LL * rate * b->interval_ns;
	b->seed = address_seed(b);
	*out = b;
	return 0;
}

void buckets_destroy(struct buckets *b)
{
	free(b);
}

bool buckets_take(struct buckets *b, const struct client_address *a, long long now_ns)
{
	struct bucket *set = &b->entries[(address_hash(a, b->seed) % BUCKETS_SETS) * BUCKETS_WAYS];
	struct bucket *e = NULL, *fullest = &set[0];
	long long next;

	for (unsigned i = 0; i < BUCKETS_WAYS && !e; i++) {
		if (address_equal(&set[i].address, a))
			e = &set[i];
		else if (set[i].full_ns < fullest->full_ns)
			fullest = &set[i];
	}
	if (!e) { /* a full bucket for `a`, in place of the fullest (a free entry is full) */
		e = fullest;
		e->address = *a;
		e->full_ns = now_ns;
	}
	next = (e->full_ns > now_ns ? e->full_ns : now_ns) + b->interval_ns;
	if (next - now_ns > b->burst_ns)
		return false;
	e->full_ns = next;
	return true;
}
