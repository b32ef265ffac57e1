/* targets.h — the targets table: one open network namespace per target, kept from scan to
 * scan while discovery finds it. Private to collectors/ (collectors.c, workers.c).
 *
 * Discovery (netns.h) opens nothing; this table opens what it keeps and closes, in the first
 * scan that no longer finds it, what is gone: an open socket or namespace file keeps a dead
 * namespace alive. The table is the scanner's (collectors_scan), written between jobs only;
 * while a job runs, each of its targets belongs to the one worker that took it. */
#ifndef TCPH_TARGETS_H
#define TCPH_TARGETS_H

#include "collectors.h"

#include <stdbool.h>
#include <stdint.h>

/* One network namespace, kept from scan to scan while discovery finds it. */
struct collectors_target {
	uint64_t ino;
	int ns_fd;	     /* -1 for our own namespace (NETNS_SELF) */
	struct sockdiag *sd; /* opened inside the namespace on first use; NULL after a failure */
	struct events_source *events; /* tcp.events: likewise, given up with the target */
	uint64_t dump_retries_total;
	bool two_dumps; /* its kernel refused the one-walk dump: one per family from then on */
	/* Ports of the last scan's slots, so that the same ports keep their labels at the cap
	 * whichever worker scans the target next (each holds max_ports per role). */
	uint16_t *carried[CLASSIFY_ROLES];
	unsigned n_carried[CLASSIFY_ROLES];
	struct netns_labels labels;
	bool seen;   /* found by this scan's discovery */
	bool expect; /* --listen-ports apply here: our own namespace, or one named in --netns */

	/* Set by the worker that scans it this time. */
	struct target_result *out;
	int skip; /* -1, or the netns_skip reason when it could not be entered */
	int error[COLLECTORS_MAX];
	double seconds[COLLECTORS_MAX];
};

struct targets {
	const struct collectors_config *config; /* the collectors' own copy */
	struct netns_discovery discovery;	/* outside NETNS_SELF */
	uint64_t self_ino;			/* our own namespace (set by the scanner) */

	struct collectors_target **open; /* open targets, at most netns_max */
	unsigned n_open;
	uint64_t skipped_total[NETNS_SKIP_REASONS]; /* also counted by the scanner's gather */
};

/* NETNS_SELF: one target, our own namespace, where --listen-ports apply. 0 or -ENOMEM. */
int targets_init_self(struct targets *ts, const struct collectors_config *config);
/* Otherwise: the discovery of namespaces and an empty table of netns_max. 0 or -errno. */
int targets_init(struct targets *ts, const struct collectors_config *config);
/* Closes every target and the discovery; `ts` may be zeroed or partly set up. */
void targets_fini(struct targets *ts);

/* Builds this scan's job from discovery (netns_discover, already run): keeps the targets
 * still found, closes the ones that are not, opens the new ones. Returns the number of
 * targets in `job` (room for netns_max). */
unsigned targets_update(struct targets *ts, struct collectors_target **job, struct netns_result *stats);

#endif
