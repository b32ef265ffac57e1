/* web_flags.h — the HTTP side's flags (--web.*): where and how to serve (rows in
 * web_flags.c). main.c hands them to http_start in a struct http_config. */
#ifndef TCPH_WEB_FLAGS_H
#define TCPH_WEB_FLAGS_H

#include "../lib/flagtab.h"

#include <stdbool.h>

#define WEB_FLAGS_MAX_LISTEN_ADDRESSES 8 /* = HTTP_MAX_LISTENERS (asserted in main.c) */
#define WEB_FLAGS_DEFAULT_LISTEN_ADDRESS ":9978"

struct web_flags {
	/* --web.listen-address, each one given (default ":9978"); none with --web.systemd-socket */
	const char *listen_addresses[WEB_FLAGS_MAX_LISTEN_ADDRESSES];
	unsigned n_listen_addresses;
	bool systemd_socket;		 /* --web.systemd-socket */
	const char *telemetry_path;	 /* --web.telemetry-path */
	const char *config_file;	 /* --web.config.file; NULL: plain HTTP, no auth */
	unsigned max_requests;		 /* concurrent scrapes; 0: no limit */
	unsigned max_connections;	 /* open HTTP connections in all */
	unsigned max_connections_per_ip; /* from one client address; 0: no limit */
	unsigned max_tls_handshakes_per_ip; /* TLS handshakes in progress per address; 0: none */
	unsigned tls_handshake_rate_per_ip; /* new TLS connections per second per address; 0: none */
	unsigned read_timeout_ms;	 /* to receive a whole request */
	unsigned write_timeout_ms;	 /* to send a whole response */
	bool disable_exporter_metrics;	 /* --web.disable-exporter-metrics */
	bool status_exclude_self;	 /* --[no-]web.status.exclude-self */
};

extern const struct flagtab web_flags_table;

#endif
