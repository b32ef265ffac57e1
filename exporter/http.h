/* http.h — the HTTP endpoint (libmicrohttpd): /metrics (or --web.telemetry-path),
 * a landing page on /, 404 elsewhere, 405 for methods other than GET and HEAD. */
#ifndef TCPH_HTTP_H
#define TCPH_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#define HTTP_CONNECTION_LIMIT 64
#define HTTP_CONNECTION_TIMEOUT_SEC 10
#define HTTP_CONNECTION_MEMORY 32768 /* request headers beyond this get 431 */

struct webconfig;

struct http_config {
	const char *listen_address; /* ":9978", "127.0.0.1:9978", "[::1]:9978", "host:port" */
	const char *telemetry_path;
	struct webconfig *web; /* TLS and basic auth; NULL for neither */
};

/* Parses a listen address. An empty host (":9978") means every address, IPv6 and IPv4
 * (`*wildcard` set). 0 or -EINVAL with a reason in `err`. */
int http_parse_listen_address(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			      int *wildcard, char *err, size_t errlen);

/* True when an Accept-Encoding header value admits gzip (q > 0). */
int http_accepts_gzip(const char *accept_encoding);

/* Binds and starts serving. 0, or -errno with one line for the user in `err`. */
int http_start(const struct http_config *config, char *err, size_t errlen);
void http_stop(void);

#endif
