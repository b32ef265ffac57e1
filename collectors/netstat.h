/* netstat.h — kernel TCP counters from /proc/net/netstat and /proc/net/snmp. */
#ifndef TCPH_NETSTAT_H
#define TCPH_NETSTAT_H

#include <stdbool.h>
#include <stdint.h>

struct collectors_config;
struct expfmt_buf;

struct netstat_counter {
	const char *section; /* "TcpExt" (netstat) or "Tcp" (snmp) */
	const char *name;    /* the kernel's field name */
	const char *metric;  /* full metric name */
	bool gauge;	     /* CurrEstab is a gauge, the rest are counters */
	const char *help;
};

/* Parses /proc/net/netstat or /proc/net/snmp text: pairs of "Section: names" and
 * "Section: values" lines, matched by header name, never by column position. Sets
 * values[i] and found[i] for every wanted counter present; unknown fields, missing
 * fields, extra sections and junk values are skipped. Returns how many were found. */
unsigned netstat_parse(const char *text, const struct netstat_counter *wanted, unsigned n,
		       int64_t *values, bool *found);

extern const struct netstat_counter netstat_counters[];
extern const unsigned netstat_counters_count;

int netstat_init(const struct collectors_config *config);
/* Fails (-errno) only when neither file can be read. */
int netstat_collect(struct expfmt_buf *out);

#endif
