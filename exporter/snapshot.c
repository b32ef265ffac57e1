/* snapshot.c — taking, sharing and freeing snapshots. */
#include "snapshot.h"

#include "../lib/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int snapshot_take(struct collectors *c, uint64_t scan_number, struct snapshot **out)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->views_lock, NULL);
	for (unsigned v = 0; v < SNAPSHOT_VIEWS; v++)
		atomic_init(&s->view_bytes[v], 0);
	s->scan_number = scan_number;
	collectors_scan(c, &s->data); /* failures are reported per collector */
	for (unsigned i = 0; i < collectors_count; i++) {
		s->collectors[i].enabled = collectors_enabled(c, i);
		s->collectors[i].error = s->data.error[i];
		s->collectors[i].seconds = s->data.seconds[i];
	}
	s->time = clock_seconds(CLOCK_REALTIME);
	s->monotonic_time = clock_seconds(CLOCK_MONOTONIC);
	*out = s;
	return 0;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (unsigned v = 0; v < SNAPSHOT_VIEWS; v++)
		if (s->views[v])
			s->views_free[v](s->views[v]);
	collectors_result_free(&s->data);
	pthread_mutex_destroy(&s->views_lock);
	free(s);
}

void *snapshot_view(struct snapshot *s, enum snapshot_view_id id,
		    void *(*make)(const struct snapshot *s, void *ctx, size_t *bytes),
		    void (*free_view)(void *view), void *ctx)
{
	void *view;

	pthread_mutex_lock(&s->views_lock);
	if (!s->views[id]) {
		size_t bytes = 0;

		s->views[id] = make(s, ctx, &bytes);
		s->views_free[id] = free_view;
		if (s->views[id])
			atomic_store_explicit(&s->view_bytes[id], bytes, memory_order_relaxed);
	}
	view = s->views[id];
	pthread_mutex_unlock(&s->views_lock);
	return view;
}
