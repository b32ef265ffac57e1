/* scrape.c — the scanner thread and the waiters it serves. */
#include "scrape.h"

#include "../lib/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct scrape {
	/* `lock` guards every field below it; `collectors` belongs to the scanner thread. */
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* the scanner: a waiter is pending, or stop */
	struct scrape_waiter *joining;	/* waiters of the scan running now */
	struct scrape_waiter *pending;	/* waiters of the next scan */
	bool scanning;
	bool stopping;
	bool joined; /* the scanner thread has been joined */
	struct snapshot *latest;
	uint64_t scans;

	pthread_t thread;
	struct collectors *collectors;
	scrape_stats_fn stats;
	void *stats_ctx;
};

static void complete(struct scrape_waiter *list, struct snapshot *snapshot)
{
	while (list) {
		struct scrape_waiter *next = list->next; /* done() may free the waiter */

		list->done(list, snapshot ? snapshot_ref(snapshot) : NULL);
		list = next;
	}
}

static void *scanner_main(void *arg)
{
	struct scrape *s = arg;

	/* The same failure every scan (EMFILE, ENOMEM, a file gone) is logged once, then at
	 * most once a minute with a count (lib/log.h). */
	log_limit_repeats(true);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct snapshot *snapshot = NULL, *old;
		struct scrape_waiter *batch;
		uint64_t number;
		int ret;

		while (!s->pending && !s->stopping)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->stopping)
			break;
		s->joining = s->pending;
		s->pending = NULL;
		s->scanning = true;
		number = s->scans + 1;
		pthread_mutex_unlock(&s->lock);

		ret = snapshot_take(s->collectors, number, &snapshot);
		if (ret < 0)
			log_error("scan failed: %s", strerror(-ret));
		else if (s->stats)
			s->stats(s->stats_ctx, &snapshot->self);

		pthread_mutex_lock(&s->lock);
		s->scans = number;
		old = s->latest;
		if (snapshot)
			s->latest = snapshot_ref(snapshot);
		batch = s->joining;
		s->joining = NULL;
		s->scanning = false;
		pthread_mutex_unlock(&s->lock);

		if (snapshot)
			snapshot_unref(old);
		complete(batch, snapshot);
		snapshot_unref(snapshot);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int scrape_create(struct scrape **out, const bool *enabled, const struct collectors_config *config,
		  scrape_stats_fn stats, void *stats_ctx)
{
	struct scrape *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	ret = collectors_create(&s->collectors, enabled, config);
	if (ret < 0) {
		free(s);
		return ret;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->stats = stats;
	s->stats_ctx = stats_ctx;
	ret = -pthread_create(&s->thread, NULL, scanner_main, s);
	if (ret < 0) {
		collectors_destroy(s->collectors);
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void scrape_stop(struct scrape *s)
{
	struct scrape_waiter *left;

	pthread_mutex_lock(&s->lock);
	if (s->joined) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_lock(&s->lock);
	s->joined = true;
	left = s->pending; /* registered after the last scan began; none can join now */
	s->pending = NULL;
	pthread_mutex_unlock(&s->lock);
	complete(left, NULL);
}

void scrape_destroy(struct scrape *s)
{
	if (!s)
		return;
	scrape_stop(s);
	snapshot_unref(s->latest);
	collectors_destroy(s->collectors);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void scrape_request(struct scrape *s, struct scrape_waiter *w)
{
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		w->done(w, NULL);
		return;
	}
	if (s->scanning) {
		w->next = s->joining;
		s->joining = w;
	} else {
		w->next = s->pending;
		s->pending = w;
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&s->lock);
}

struct snapshot *scrape_latest(struct scrape *s)
{
	struct snapshot *snapshot;

	pthread_mutex_lock(&s->lock);
	snapshot = s->latest ? snapshot_ref(s->latest) : NULL;
	pthread_mutex_unlock(&s->lock);
	return snapshot;
}

/* ---- blocking use ------------------------------------------------------------------- */

struct blocking_waiter {
	struct scrape_waiter waiter; /* first: the callback casts back */
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
	struct snapshot *snapshot;
};

static void blocking_done(struct scrape_waiter *w, struct snapshot *snapshot)
{
	struct blocking_waiter *b = (struct blocking_waiter *)w;

	pthread_mutex_lock(&b->lock);
	b->snapshot = snapshot;
	b->done = true;
	pthread_cond_signal(&b->done_cond);
	pthread_mutex_unlock(&b->lock);
}

struct snapshot *scrape_wait(struct scrape *s)
{
	struct blocking_waiter b = { .waiter = { .done = blocking_done } };

	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.done_cond, NULL);
	scrape_request(s, &b.waiter);
	pthread_mutex_lock(&b.lock);
	while (!b.done)
		pthread_cond_wait(&b.done_cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	pthread_cond_destroy(&b.done_cond);
	pthread_mutex_destroy(&b.lock);
	return b.snapshot;
}
