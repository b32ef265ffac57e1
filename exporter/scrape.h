/* scrape.h — snapshot coordination: one scan at a time, shared by every scrape.
 *
 * A scanner thread owns the collectors. A request registers a waiter: if a scan is
 * running it joins that scan, otherwise it asks for the next one; either way, when the
 * scan finishes every waiter is handed the same snapshot. N concurrent scrapes cost one
 * dump, and no serving thread ever blocks on the kernel. */
#ifndef TCPH_SCRAPE_H
#define TCPH_SCRAPE_H

#include "../collectors/collectors.h"
#include "snapshot.h"

#include <stdbool.h>
#include <stdint.h>

struct scrape;

/* Fills the exporter's own figures into a snapshot about to be published. */
typedef void (*scrape_stats_fn)(void *ctx, struct exporter_stats *out);

struct scrape_waiter {
	struct scrape_waiter *next;
	/* Called once, on the scanner thread, with a reference the callee owns (NULL when the
	 * scan could not be made or the coordinator is stopping). `w` may be freed by the
	 * time done returns. */
	void (*done)(struct scrape_waiter *w, struct snapshot *snapshot);
};

/* Initialises the enabled collectors and starts the scanner thread. 0 or -errno. */
int scrape_create(struct scrape **out, const bool *enabled, const struct collectors_config *config,
		  scrape_stats_fn stats, void *stats_ctx);
/* Stops the scanner: waiters still registered, and any registered from now on, get NULL.
 * The latest snapshot stays until scrape_destroy. */
void scrape_stop(struct scrape *s);
/* Stops the scanner if it runs and frees everything. */
void scrape_destroy(struct scrape *s);

/* Registers `w` for the running scan, or for the next one. */
void scrape_request(struct scrape *s, struct scrape_waiter *w);
/* A new reference to the latest snapshot, or NULL before the first scan. */
struct snapshot *scrape_latest(struct scrape *s);
/* Requests a scan and blocks until it is done (tests and tools). */
struct snapshot *scrape_wait(struct scrape *s);

#endif
