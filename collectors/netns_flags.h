/* netns_flags.h — which network namespaces are scanned, how many and by how many threads:
 * --netns, --netns.max, --netns.workers (rows in netns_flags.c). */
#ifndef TCPH_NETNS_FLAGS_H
#define TCPH_NETNS_FLAGS_H

#include "../lib/flagtab.h"
#include "netns.h"

struct collectors_config;

struct netns_flags {
	enum netns_mode mode;		    /* --netns */
	const char *names[NETNS_NAMES_MAX]; /* --netns=a,b: point into `text` */
	unsigned n_names;
	char text[NETNS_NAMES_MAX * (NETNS_NAME_MAX + 1)];
	unsigned max;	  /* --netns.max */
	unsigned workers; /* --netns.workers; 0: one per online CPU */
};

extern const struct flagtab netns_flags_table;

/* The namespace part of `config`; the names point into `flags`. */
void netns_flags_apply(const struct netns_flags *flags, struct collectors_config *config);

#endif
