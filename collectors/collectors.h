/* collectors.h — the table of collectors. Adding a collector means adding a file and
 * one row in collectors.c, nothing else. */
#ifndef TCPH_COLLECTORS_H
#define TCPH_COLLECTORS_H

#include "classify.h"

#include <stdbool.h>

struct expfmt_buf;

/* Everything the collectors are configured with (from main's flags). */
struct collectors_config {
	struct classify_config classify;
	uint32_t idle_threshold_seconds; /* --idle-threshold */
	const char *proc_root;		 /* "/proc"; tests point it elsewhere */
};

struct collector {
	const char *name; /* --collector.NAME / --no-collector.NAME, label collector="NAME" */
	const char *description;
	bool default_enabled;
	int (*init)(const struct collectors_config *config); /* 0 or -errno; may be NULL */
	void (*fini)(void);				     /* may be NULL */
	/* Writes the collector's families. On failure returns -errno and has written only
	 * families that stay true (e.g. its own error counters). */
	int (*collect)(struct expfmt_buf *out);
};

extern const struct collector collectors_table[];
extern const unsigned collectors_count;

/* Index of the collector called `name`, or -1. */
int collectors_find(const char *name);

#endif
