/* tcp_flags.h — the tcp collector's flags: expected and client ports, the port label cap,
 * the idle threshold, histograms and the worst connections kept (rows in tcp_flags.c). */
#ifndef TCPH_TCP_FLAGS_H
#define TCPH_TCP_FLAGS_H

#include "../lib/flagtab.h"

#include <stdbool.h>

struct collectors_config;

struct tcp_flags {
	struct flagtab_ports listen_ports; /* --listen-ports */
	struct flagtab_ports client_ports; /* --client-ports */
	unsigned max_ports;		   /* --max-ports */
	unsigned idle_threshold_seconds;   /* --idle-threshold */
	bool histograms;		   /* --[no-]collector.tcp.histograms */
	unsigned worst_connections;	   /* --collector.tcp.worst-connections */
	unsigned events_recent;		   /* --collector.tcp.events.recent */
	unsigned events_buffer;		   /* --collector.tcp.events.buffer */
};

extern const struct flagtab tcp_flags_table;

/* The tcp collector's part of `config`; its port lists point into `flags`. */
void tcp_flags_apply(const struct tcp_flags *flags, struct collectors_config *config);

#endif
