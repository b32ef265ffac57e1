/* http.h — the HTTP endpoint (libmicrohttpd): /metrics (or --web.telemetry-path), a
 * landing page on /, 404 elsewhere, 405 for methods other than GET and HEAD.
 *
 * Serving model: a pool of libmicrohttpd threads on epoll. No serving thread ever waits
 * for the kernel or for bcrypt: a scrape is suspended until the scanner hands it a
 * snapshot, a password check until the password thread has run bcrypt. Connections are
 * limited in all and per client address, and each must deliver its request within the
 * read timeout and take its response within the write timeout (totals, not idle times).
 * Every client of one snapshot is sent the same rendered body. */
#ifndef TCPH_HTTP_H
#define TCPH_HTTP_H

#include "scrape.h"
#include "stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define HTTP_CONNECTION_MEMORY 32768 /* request headers beyond this get 431 */
/* While responses still being sent for older snapshots hold more than this, a scrape is
 * answered from the latest snapshot instead of a new scan (see README). */
#define HTTP_RESPONSE_MEMORY_BOUND (8u << 20)

/* The status page (/) and HTTP_STATUS_API_PATH show the latest snapshot while it is younger
 * than this; older, they wait for a scan as a scrape does. */
#define HTTP_STATUS_MAX_AGE_SECONDS 5.0
#define HTTP_STATUS_API_PATH "/api/v1/status"
#define HTTP_HEALTHY_PATH "/-/healthy" /* 200 while the server answers; no scan */
#define HTTP_READY_PATH "/-/ready"     /* 200 once a scan has been published (waits for the first) */

struct webconfig;
struct http;

/* Listening sockets served at once: --web.listen-address given repeatedly, or the sockets
 * of --web.systemd-socket. */
#define HTTP_MAX_LISTENERS 8

struct http_config {
	/* ":9978", "127.0.0.1:9978", "[::1]:9978", "host:port": each is bound and served */
	const char *const *listen_addresses;
	unsigned n_listen_addresses;
	bool systemd_socket; /* serve on systemd's sockets (LISTEN_FDS) instead */
	const char *telemetry_path;
	unsigned max_requests;		 /* concurrent scrapes being prepared; 0: no limit */
	unsigned max_connections;	 /* in all */
	unsigned max_connections_per_ip; /* per client address; 0: no limit */
	unsigned read_timeout_ms;
	unsigned write_timeout_ms;
	unsigned threads; /* serving threads; 0: one per CPU, 2 to 8 */
	bool status_exclude_self; /* the status page leaves the exporter's own ports out */
};

/* Parses a listen address. An empty host (":9978") means every address, IPv6 and IPv4
 * (`*wildcard` set). 0 or -EINVAL with a reason in `err`. */
int http_parse_listen_address(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			      int *wildcard, char *err, size_t errlen);

/* True when an Accept-Encoding header value admits gzip (q > 0). */
int http_accepts_gzip(const char *accept_encoding);

/* Binds (or takes systemd's sockets) and starts serving snapshots of `scrape`, with TLS
 * and basic auth from `web` (NULL: neither; a reference is taken). Refused, with one line
 * in `err`, when systemd passed sockets but config->systemd_socket is false, or the
 * other way round. 0, or -errno. */
int http_start(struct http **out, const struct http_config *config, struct scrape *scrape,
	       struct webconfig *web, char *err, size_t errlen);

/* "127.0.0.1:9978, [::]:9978": the addresses served, for the start-up log line. */
void http_listen_addresses(struct http *h, char *out, size_t size);

/* Serves with a new web configuration: a new server on the same listening socket takes
 * the new connections, the old one finishes the ones it has (SIGHUP). 0 or -errno. */
int http_reload(struct http *h, struct webconfig *web, char *err, size_t errlen);
/* Records the outcome of a (re)load for tcp_health_exporter_config_last_reload_*. */
void http_note_reload(struct http *h, bool successful);

/* The exporter's serving figures now (the scanner copies them into each snapshot). */
void http_stats(struct http *h, struct exporter_stats *out);

/* Stops accepting connections and serving; every connection is closed. The scrape must
 * have been stopped first (scrape_stop), so that no request is left waiting for it. */
void http_stop(struct http *h);
/* Frees what is left; after http_stop and after the snapshots are gone (scrape_destroy),
 * since their rendered bodies account to `h`. */
void http_free(struct http *h);

#endif
