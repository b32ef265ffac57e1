/* snapshot.h — the finished result of one scan of every enabled collector.
 *
 * Immutable once published and shared by reference: any number of requests, on any
 * thread, read one snapshot. Renderers derive views from it (a text body, a gzipped body)
 * once, on first use, and keep them with it, so concurrent readers share them. */
#ifndef TCPH_SNAPSHOT_H
#define TCPH_SNAPSHOT_H

#include "../collectors/collectors.h"
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum snapshot_view_id {
	SNAPSHOT_VIEW_METRICS_TEXT,
	SNAPSHOT_VIEW_METRICS_GZIP,
	SNAPSHOT_VIEW_STATUS_JSON, /* /api/v1/status */
	SNAPSHOT_VIEW_STATUS_HTML, /* the status page, / */
	SNAPSHOT_VIEWS
};

struct snapshot_collector {
	bool enabled;
	int error;	/* 0: success; -errno: some input was lost */
	double seconds; /* how long its scan took */
};

struct snapshot {
	atomic_uint refs;
	uint64_t scan_number; /* scans performed since start, this one included */
	double time;	      /* Unix time at which the scan finished */
	double monotonic_time; /* the same moment on CLOCK_MONOTONIC (for its age) */
	struct snapshot_collector collectors[COLLECTORS_MAX];
	struct collectors_result data;
	struct exporter_stats self;

	/* Derived views: the only part that changes after publication, under views_lock. */
	pthread_mutex_t views_lock;
	void *views[SNAPSHOT_VIEWS];
	void (*views_free[SNAPSHOT_VIEWS])(void *view);
	/* Bytes each view holds, readable without views_lock (a render holds it). */
	atomic_size_t view_bytes[SNAPSHOT_VIEWS];
};

/* Scans every enabled collector of `c` into a new snapshot holding one reference.
 * 0 or -ENOMEM. */
int snapshot_take(struct collectors *c, uint64_t scan_number, struct snapshot **out);
struct snapshot *snapshot_ref(struct snapshot *s);
/* Drops a reference; the last one frees the data and its views. NULL is ignored. */
void snapshot_unref(struct snapshot *s);

/* The view `id`, made by make(s, ctx, &bytes) on first use (under the snapshot's lock, so
 * it is made once; `bytes` is what it holds, for view_bytes) and freed with free_view when
 * the snapshot goes. NULL when make fails. */
void *snapshot_view(struct snapshot *s, enum snapshot_view_id id,
		    void *(*make)(const struct snapshot *s, void *ctx, size_t *bytes),
		    void (*free_view)(void *view), void *ctx);

#endif
