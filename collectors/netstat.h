/* netstat.h — kernel TCP counters from /proc/net/netstat and /proc/net/snmp: data only. */
#ifndef TCPH_NETSTAT_H
#define TCPH_NETSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum netstat_id {
	NETSTAT_LISTEN_OVERFLOWS,
	NETSTAT_LISTEN_DROPS,
	NETSTAT_ABORT_ON_TIMEOUT,
	NETSTAT_ABORT_ON_CLOSE,
	NETSTAT_ABORT_ON_DATA,
	NETSTAT_ABORT_ON_LINGER,
	NETSTAT_ABORT_ON_MEMORY,
	NETSTAT_TIMEOUTS,
	NETSTAT_KEEP_ALIVE,
	NETSTAT_SYN_RETRANS,
	NETSTAT_TIME_WAIT_OVERFLOW,
	NETSTAT_REQ_Q_FULL_DROP,
	NETSTAT_REQ_Q_FULL_DO_COOKIES,
	NETSTAT_RETRANS_SEGS,
	NETSTAT_OUT_SEGS,
	NETSTAT_ESTAB_RESETS,
	NETSTAT_ATTEMPT_FAILS,
	NETSTAT_OUT_RSTS,
	NETSTAT_CURR_ESTAB,
	NETSTAT_COUNT
};

struct netstat_counter {
	const char *section; /* "TcpExt" (netstat) or "Tcp" (snmp) */
	const char *name;    /* the kernel's field name */
};

extern const struct netstat_counter netstat_counters[NETSTAT_COUNT];
extern const unsigned netstat_counters_count;

struct netstat_result {
	int64_t values[NETSTAT_COUNT];
	bool found[NETSTAT_COUNT]; /* false: this kernel does not have the field, or it was lost */
};

/* Parses /proc/net/netstat or /proc/net/snmp text: pairs of "Section: names" and
 * "Section: values" lines, matched by header name, never by column position. Sets
 * values[i] and found[i] for every wanted counter present; unknown fields, missing
 * fields, extra sections and junk values are skipped. Returns how many were found. */
unsigned netstat_parse(const char *text, const struct netstat_counter *wanted, unsigned n,
		       int64_t *values, bool *found);

/* Reads both files under proc_root, using `text` (text_size bytes) as the read buffer.
 * Fails (-errno, -ENODATA) when either file is unreadable or holds none of its section's
 * counters; what could be read is still in `out`. */
int netstat_scan(const char *proc_root, char *text, size_t text_size, struct netstat_result *out);

#endif
