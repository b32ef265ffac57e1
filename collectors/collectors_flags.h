/* collectors_flags.h — which collectors run and where procfs is: --[no-]collector.NAME,
 * one per row of collectors_table, --collector.disable-defaults and --path.procfs. */
#ifndef TCPH_COLLECTORS_FLAGS_H
#define TCPH_COLLECTORS_FLAGS_H

#include "../lib/flagtab.h"
#include "collectors.h"

#include <stdbool.h>

struct collectors_flags {
	const char *proc_root;	     /* --path.procfs */
	bool disable_defaults;	     /* --collector.disable-defaults */
	bool enabled[COLLECTORS_MAX]; /* --[no-]collector.NAME, by collectors_table index */
};

/* The rows, made once from collectors_table (a row per collector); NULL when more
 * collectors are compiled in than COLLECTORS_MAX. */
const struct flagtab *collectors_flags_table(void);

/* The collectors' part of `config` (their on/off switches go to collectors_create). */
void collectors_flags_apply(const struct collectors_flags *flags, struct collectors_config *config);

#endif
