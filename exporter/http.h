/* http.h — the HTTP server (libmicrohttpd): what it serves is routes.h's table (/metrics or
 * --web.telemetry-path, the status page on /, /api/v1/status, the probes), how each request
 * is answered requests.h's (404 elsewhere, 405 for methods other than GET and HEAD).
 *
 * Serving model: a pool of libmicrohttpd threads on epoll. No serving thread ever waits
 * for the kernel or for bcrypt: a scrape is suspended until the scanner hands it a
 * snapshot, a password check until the password thread has run bcrypt. Connections are
 * limited in all and per client address, and each must deliver its request within the
 * read timeout and take its response within the write timeout (totals, not idle times).
 * Every client of one snapshot is sent the same rendered body. */
#ifndef TCPH_HTTP_H
#define TCPH_HTTP_H

#include "listen.h"   /* listen_parse_address, HTTP_MAX_LISTENERS */
#include "scrape.h"
#include "stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HTTP_CONNECTION_MEMORY 32768 /* request headers beyond this get 431 */

struct webconfig;
struct http;

struct http_config {
	/* ":9978", "127.0.0.1:9978", "[::1]:9978", "host:port": each is bound and served */
	const char *const *listen_addresses;
	unsigned n_listen_addresses;
	bool systemd_socket; /* serve on systemd's sockets (LISTEN_FDS) instead */
	const char *telemetry_path;
	unsigned max_requests;		 /* concurrent scrapes being prepared; 0: no limit */
	unsigned max_connections;	 /* in all */
	unsigned max_connections_per_ip; /* per client address; 0: no limit */
	unsigned max_tls_handshakes_per_ip; /* TLS handshakes in progress per address; 0: no limit */
	unsigned tls_handshake_rate_per_ip; /* new TLS connections per second per address; 0: none */
	unsigned read_timeout_ms;
	unsigned write_timeout_ms;
	unsigned threads; /* serving threads; 0: one per CPU, 2 to 8 */
};

/* File descriptors serving with `config` needs besides its connections, at most (main
 * fits --web.max-connections to the open-file limit with it). */
unsigned http_fds_needed(const struct http_config *config);

/* Binds (or takes systemd's sockets) and starts serving snapshots of `scrape`, with TLS
 * and basic auth from `web` (NULL: neither; a reference is taken). Refused, with one line
 * in `err`, when systemd passed sockets but config->systemd_socket is false, or the
 * other way round. 0, or -errno. */
int http_start(struct http **out, const struct http_config *config, struct scrape *scrape,
	       struct webconfig *web, char *err, size_t errlen);

/* "127.0.0.1:9978, [::]:9978": the addresses served, for the start-up log line. */
void http_listen_addresses(struct http *h, char *out, size_t size);
/* "http://localhost:9978/", "https://127.0.0.1:9978/": the status page of the first
 * listening socket, for the start-up log (a wildcard address is given as localhost). */
void http_status_url(struct http *h, char *out, size_t size);

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
/* Frees what is left; after http_stop. Snapshots may outlive it: their rendered bodies
 * account to bodies.c's own counter, which the last of them frees. */
void http_free(struct http *h);

#endif
