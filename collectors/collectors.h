/* collectors.h — the table of collectors and one scan of all of them.
 *
 * A collector turns kernel state into data (never text): `scan` fills its part of a
 * `struct collectors_result`. Adding a collector means a file, a row in collectors.c, a
 * field in collectors_result and rows in the renderers' tables. State lives in a
 * `struct collectors`, owned by one scanner at a time; nothing here is a global. */
#ifndef TCPH_COLLECTORS_H
#define TCPH_COLLECTORS_H

#include "classify.h"
#include "netstat.h"
#include "sysctl.h"
#include "tcpagg.h"

#include <stdbool.h>

#define COLLECTORS_MAX 16

/* Everything the collectors are configured with (from main's flags). */
struct collectors_config {
	struct classify_config classify;
	uint32_t idle_threshold_seconds; /* --idle-threshold */
	const char *proc_root;		 /* "/proc"; tests point it elsewhere */
	/* Replaces the netlink dump (unit tests replay recorded dumps); NULL in production. */
	tcpagg_dump_fn tcp_dump;
	void *tcp_dump_ctx;
};

/* The data of one scan of every enabled collector. Immutable once published. */
struct collectors_result {
	struct tcp_result *tcp; /* NULL when the tcp collector is disabled */
	struct sysctl_result sysctl;
	struct netstat_result netstat;
};

struct collector {
	const char *name; /* --collector.NAME / --no-collector.NAME, label collector="NAME" */
	const char *description;
	bool default_enabled;
	int (*init)(void **state, const struct collectors_config *config); /* 0 or -errno */
	void (*fini)(void *state);
	/* Fills its part of `out`. 0, or -errno when any of its input was lost; whatever it
	 * could still read is in `out` and is served. */
	int (*scan)(void *state, struct collectors_result *out);
};

extern const struct collector collectors_table[];
extern const unsigned collectors_count;

/* Index of the collector called `name`, or -1. */
int collectors_find(const char *name);

struct collectors {
	bool enabled[COLLECTORS_MAX];
	void *state[COLLECTORS_MAX];
};

/* Initialises every enabled collector (`enabled` has collectors_count entries); on failure
 * undoes what it did and returns -errno. */
int collectors_init(struct collectors *c, const bool *enabled, const struct collectors_config *config);
void collectors_fini(struct collectors *c);
void collectors_result_free(struct collectors_result *result);

#endif
