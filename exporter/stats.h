/* stats.h — the exporter's own serving figures, copied into every snapshot so that its
 * views show them as of that scan. The counters are owned by the serving files that count
 * them (conns.c, requests.c, bodies.c, http.c); http_stats gathers them. */
#ifndef TCPH_STATS_H
#define TCPH_STATS_H

#include "process.h"

#include <stdbool.h>
#include <stdint.h>

/* Why a connection or request was turned away or cut off (label reason="..."). */
enum stats_refusal {
	STATS_REFUSED_CONNECTION_LIMIT,	       /* --web.max-connections reached */
	STATS_REFUSED_CLIENT_CONNECTION_LIMIT, /* --web.max-connections-per-ip reached */
	STATS_REFUSED_READ_TIMEOUT,	       /* request not received within --web.read-timeout */
	STATS_REFUSED_WRITE_TIMEOUT,	       /* response not sent within --web.write-timeout */
	STATS_REFUSED_MAX_REQUESTS,	       /* 503: --web.max-requests scrapes in progress */
	STATS_REFUSED_AUTH_THROTTLED,	       /* 429: wrong password a moment ago, or one pending */
	STATS_REFUSED_AUTH_QUEUE_FULL,	       /* 429: too many password checks waiting */
	STATS_REFUSED_UNAUTHORIZED,	       /* 401: missing or wrong credentials */
	STATS_REFUSED_OUT_OF_MEMORY,	       /* 503: no memory to render the view asked for */
	STATS_REFUSED_TLS_HANDSHAKE_LIMIT,     /* --web.max-tls-handshakes-per-ip or -rate-per-ip */
	STATS_REFUSED_TLS_HANDSHAKE,	       /* closed before its TLS handshake finished */
	STATS_REFUSED_CLIENT_CLOSED,	       /* closed by its client with a request unfinished */
	STATS_REFUSALS
};

extern const char *const stats_refusal_names[STATS_REFUSALS];

#define STATS_SELF_PORTS 8 /* = HTTP_MAX_LISTENERS */

struct exporter_stats {
	uint64_t refused[STATS_REFUSALS];
	uint64_t connections_open;
	uint64_t response_bytes;   /* bytes of rendered responses held for clients now */
	uint64_t stale_scrapes;	   /* scrapes answered from the latest snapshot without a scan */
	bool reload_successful;	   /* the last --web.config.file (re)load worked */
	double reload_success_time; /* Unix time of the last successful (re)load */
	/* --web.disable-exporter-metrics turns these off: the process_* figures and the HTTP
	 * serving ones (tcp_health_exporter_http_*, stale scrapes). */
	bool exporter_metrics;
	struct process_stats process;
	/* The TCP ports the exporter listens on (its listening sockets, by getsockname), in its
	 * own network namespace; and --[no-]web.status.exclude-self: the status page leaves
	 * them out of its per-port table (the document marks them, "exporter_port"). */
	uint16_t self_ports[STATS_SELF_PORTS];
	unsigned n_self_ports;
	bool status_exclude_self;
};

#endif
