/* collectors.h — the table of collectors and one scan of all of them.
 *
 * A collector turns kernel state into data (never text): `scan` fills its part of a
 * `struct collectors_result`. Adding a collector means a file, a row in collectors.c, a
 * field in target_result and rows in the renderers' tables. State lives in a
 * `struct collectors`, owned by one scanner at a time; nothing here is a global.
 *
 * A target is one network namespace: its namespace file, its sock_diag socket (a netlink
 * socket stays in the namespace it was created in) and what its last scan used of the port
 * slots. Targets come from discovery (netns.h) and are closed in the first scan that no
 * longer finds them: an open socket or namespace file keeps a dead namespace alive. The
 * scan state that is big and reusable (the aggregate, read buffers) belongs to workers,
 * one thread each, which take targets in turn and enter their namespaces with setns(). */
#ifndef TCPH_COLLECTORS_H
#define TCPH_COLLECTORS_H

#include "classify.h"
#include "events.h"
#include "netns.h"
#include "owners.h"
#include "netstat.h"
#include "sysctl.h"
#include "tcpagg.h"

#include <stdbool.h>

#define COLLECTORS_MAX 16
#define COLLECTOR_TCP 0 /* its index in collectors_table: workers own its aggregate, the scanner its owner cache */
#define COLLECTOR_TCP_EVENTS 1 /* after tcp: classifies with the views tcp's scans leave */

/* Everything the collectors are configured with (from main's flags). */
struct collectors_config {
	struct classify_config classify;
	uint32_t idle_threshold_seconds; /* --idle-threshold */
	const char *proc_root;		 /* "/proc" (--path.procfs); tests point it elsewhere */
	enum netns_mode netns_mode;	 /* --netns */
	const char *const *netns_names;	 /* NETNS_NAMES */
	unsigned n_netns_names;
	unsigned netns_max;		 /* --netns.max; 0: COLLECTORS_NETNS_MAX_DEFAULT */
	unsigned workers;		 /* --netns.workers; 0: one per online CPU */
	bool no_histograms;		 /* --no-collector.tcp.histograms */
	unsigned worst_connections;	 /* per worst kind, <= TCPAGG_WORST_LIMIT; 0: the default */
	/* Replaces the netlink dump (unit tests replay recorded dumps); NULL in production.
	 * Only in NETNS_SELF mode. */
	tcpagg_dump_fn tcp_dump;
	void *tcp_dump_ctx;
	bool events_enabled;	/* --collector.tcp.events (for the descriptors it needs) */
	unsigned events_recent; /* --collector.tcp.events.recent */
	int events_buffer;	/* --collector.tcp.events.buffer, bytes; 0: the default */
	/* With tcp_dump: destroy messages (whole netlink messages, one after the other) fed to
	 * the tcp.events collector's source instead of a socket. */
	const void *events_replay;
	size_t events_replay_len;
};

#define COLLECTORS_EVENTS_BUFFER_DEFAULT (8 * 1024 * 1024)
#define COLLECTORS_EVENTS_RECENT_DEFAULT 100
#define COLLECTORS_EVENTS_RECENT_LIMIT 10000

#define COLLECTORS_NETNS_MAX_DEFAULT 256
#define COLLECTORS_NETNS_MAX_LIMIT 4096 /* two or three fds each; label checks are quadratic */
#define COLLECTORS_WORKERS_MAX 64

/* The data of one target (network namespace). */
struct target_result {
	struct netns_labels labels; /* only rendered when collectors_result.per_netns */
	bool self;		    /* the exporter's own network namespace */
	struct tcp_result *tcp;	    /* NULL when the tcp collector is disabled */
	struct sysctl_result sysctl;
	struct netstat_result netstat;
	bool has_events;	    /* the tcp.events collector ran and its copy was made */
	struct events_result events;
};

/* What discovery found and what became of it (NETNS_ALL and NETNS_NAMES). */
struct netns_result {
	unsigned found;	     /* namespaces discovered this scan */
	unsigned scanned;    /* of them, scanned (targets with data) */
	unsigned over_limit; /* of them, left out by --netns.max this scan */
	uint64_t skipped_total[NETNS_SKIP_REASONS]; /* since start */
	double discovery_seconds;
};

/* What scans cost, in nanoseconds: `wall` from the start of a scan to the end of its
 * gather (discovery, the workers, owner names, events), `cpu` the CPU the scanner thread
 * and the worker threads spent on it, each from its thread CPU clock. */
struct collectors_cost {
	unsigned long long wall_ns, cpu_ns;		/* this scan */
	unsigned long long wall_ns_total, cpu_ns_total; /* every scan since start, this one included */
};

/* Adds a scan of `wall_ns` and `cpu_ns` to `totals` and gives this scan's figures with the
 * new totals. */
struct collectors_cost collectors_cost_add(struct collectors_cost *totals, unsigned long long wall_ns,
					   unsigned long long cpu_ns);

/* The data of one scan of every enabled collector in every target. Immutable once
 * published. */
struct collectors_result {
	bool per_netns; /* --netns=all or names: every family carries the namespace labels */
	enum netns_mode netns_mode;
	uint32_t idle_threshold_seconds; /* what unprotected_idle was counted with */
	unsigned worst_max;		 /* connections kept per worst kind */
	unsigned n_targets;
	struct target_result *targets; /* discovery order: "host", named, then by first pid */
	struct netns_result netns;
	bool has_owners;	    /* the tcp collector ran: listener owners were looked up */
	bool has_events;	    /* the tcp.events collector ran: `recent` is its ring */
	struct events_recent recent;
	struct owners_stats owners; /* listener inodes and how many have no known owner */
	/* Per collector: 0, or the first -errno any target reported (input was lost), and the
	 * time spent in it summed over targets. */
	int error[COLLECTORS_MAX];
	double seconds[COLLECTORS_MAX];
	struct collectors_cost cost;
};

struct collectors_worker;
struct collectors_target;

struct collector {
	const char *name; /* --collector.NAME / --no-collector.NAME, label collector="NAME" */
	const char *description;
	bool default_enabled;
	/* Scans one target on a worker (which, outside NETNS_SELF, has entered the target's
	 * namespace). 0, or -errno when any of its input was lost; whatever it could still
	 * read is in `out` and is served. */
	int (*scan)(struct collectors_worker *w, struct collectors_target *t, struct target_result *out);
};

extern const struct collector collectors_table[];
extern const unsigned collectors_count;

/* Index of the collector called `name`, or -1. */
int collectors_find(const char *name);

struct collectors;

/* Initialises the enabled collectors (`enabled` has collectors_count entries), the
 * namespace discovery and, outside NETNS_SELF, the worker threads. 0 or -errno. */
int collectors_create(struct collectors **out, const bool *enabled,
		      const struct collectors_config *config);
void collectors_destroy(struct collectors *c);
/* File descriptors a scan can hold open at once with `config`, at most: for main, which
 * fits the connection limit to the open-file limit. */
unsigned collectors_fds_needed(const struct collectors_config *config);
/* Of those, the ones that grow with the namespaces found (--netns=all:
 * collectors_fds_per_netns per namespace, up to --netns.max; 0 otherwise): a host may have
 * far fewer than --netns.max. */
unsigned collectors_netns_fds(const struct collectors_config *config);
/* Namespace file and sock_diag socket, and the destroy-group socket with tcp.events. */
unsigned collectors_fds_per_netns(const struct collectors_config *config);
bool collectors_enabled(const struct collectors *c, unsigned i);

/* Scans every target into `out` (zeroed by the caller). 0, or -ENOMEM when not even the
 * result could be allocated (then every enabled collector reports the error). */
int collectors_scan(struct collectors *c, struct collectors_result *out);
void collectors_result_free(struct collectors_result *result);

#endif
