/* flags.h — the command line: the flag tables of the modules, assembled and read, and
 * --help printed from them. Each module's flags and their rows sit with the module. */
#ifndef TCPH_FLAGS_H
#define TCPH_FLAGS_H

#include "../collectors/collectors_flags.h"
#include "../collectors/netns_flags.h"
#include "../collectors/tcp_flags.h"
#include "../lib/log.h"
#include "web_flags.h"

#include <stddef.h>
#include <stdio.h>

struct flags {
	struct web_flags web;
	struct tcp_flags tcp;
	struct netns_flags netns;
	struct collectors_flags collectors;
	struct log_flags log;
};

enum flags_result {
	FLAGS_RUN = 0,	   /* start the exporter */
	FLAGS_EXIT_OK = 1, /* --help or --version was printed */
};

/* Parses argv into `flags`. Returns FLAGS_RUN, FLAGS_EXIT_OK, or -EINVAL with one line
 * naming the problem in `err`. --help and --version print to `out`. A long flag must be
 * given whole: no abbreviations. */
int flags_parse(int argc, char **argv, struct flags *flags, FILE *out, char *err, size_t errlen);

/* Every row of every table, tab-separated (flagtab_dump): for the documentation checks. */
void flags_dump(FILE *out);

#endif
