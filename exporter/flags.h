/* flags.h — command-line flags: the getopt_long table, validation and --help. */
#ifndef TCPH_FLAGS_H
#define TCPH_FLAGS_H

#include "../collectors/classify.h"
#include "../collectors/netns.h"
#include "../lib/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLAGS_MAX_COLLECTORS 16
#define FLAGS_MAX_LISTEN_ADDRESSES 8 /* = HTTP_MAX_LISTENERS (asserted in main.c) */

struct flags {
	/* --web.listen-address, each one given (default ":9978"); none with --web.systemd-socket */
	const char *listen_addresses[FLAGS_MAX_LISTEN_ADDRESSES];
	unsigned n_listen_addresses;
	bool systemd_socket; /* --web.systemd-socket */
	const char *telemetry_path;
	const char *web_config_file; /* NULL: plain HTTP, no auth */
	uint16_t listen_ports[CLASSIFY_MAX_PORTS_LIMIT];
	unsigned n_listen_ports;
	uint16_t client_ports[CLASSIFY_MAX_PORTS_LIMIT];
	unsigned n_client_ports;
	unsigned max_ports;
	unsigned idle_threshold_seconds;
	unsigned max_requests;		 /* concurrent scrapes; 0: no limit */
	unsigned max_connections;	 /* open HTTP connections in all */
	unsigned max_connections_per_ip; /* from one client address; 0: no limit */
	unsigned read_timeout_ms;	 /* to receive a whole request */
	unsigned write_timeout_ms;	 /* to send a whole response */
	enum log_level log_level;
	enum log_format log_format;	 /* --log.format */
	bool collector_enabled[FLAGS_MAX_COLLECTORS];
	bool tcp_histograms;		/* --[no-]collector.tcp.histograms */
	unsigned worst_connections;	/* --collector.tcp.worst-connections */
	bool disable_exporter_metrics;	/* --web.disable-exporter-metrics */
	bool status_exclude_self;	/* --[no-]web.status.exclude-self */
	const char *proc_root;		/* --path.procfs */
	enum netns_mode netns_mode;	/* --netns */
	const char *netns_names[NETNS_NAMES_MAX]; /* --netns=a,b: point into netns_text */
	unsigned n_netns_names;
	char netns_text[NETNS_NAMES_MAX * (NETNS_NAME_MAX + 1)];
	unsigned netns_max;
	unsigned netns_workers; /* 0: one per online CPU */
};

enum flags_result {
	FLAGS_RUN = 0,	   /* start the exporter */
	FLAGS_EXIT_OK = 1, /* --help or --version was printed */
};

/* Parses argv into `flags`. Returns FLAGS_RUN, FLAGS_EXIT_OK, or -EINVAL with one line
 * naming the problem in `err`. --help and --version print to `out`. */
int flags_parse(int argc, char **argv, struct flags *flags, FILE *out, char *err, size_t errlen);

/* Parses a duration: "500ms", "10s", "5m", "1h", "1d", sums such as "1m30s", or a plain
 * number of seconds. The result, in milliseconds, must lie in [min_ms, max_ms].
 * 0 or -EINVAL. */
int flags_parse_duration(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *ms);

/* Parses "1202,3720,8000-8010" into sorted, de-duplicated ports in 1..65535; at most
 * `max` of them. 0 or -EINVAL with the reason in `err`. */
int flags_parse_port_list(const char *text, uint16_t *ports, unsigned max, unsigned *n, char *err,
			  size_t errlen);

#endif
