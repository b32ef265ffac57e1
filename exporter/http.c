/* http.c — libmicrohttpd servers, routes, limits, deadlines, auth and shared bodies.
 *
 * Threads and what they own:
 *  - libmicrohttpd's pool threads run the callbacks below; they never block on a scan or
 *    on bcrypt: such a request is suspended and resumed by whoever finishes the work.
 *  - the scanner (scrape.c) resumes scrapes waiting for a snapshot (scrape_done);
 *  - the password thread (auth.c) runs bcrypt and resumes the request (auth_done);
 *  - the reaper (reaper_main) cuts connections past their deadlines, releases held
 *    clients, logs refusals (rate-limited) and stops retired servers once drained.
 * `struct http.lock` guards the connection and client tables, the servers and the current
 * web configuration; auth.c has its own lock, never taken while holding this one.
 * Counters are atomics. */
#include "http.h"

#include "../lib/clock.h"
#include "../lib/log.h"
#include "address.h"
#include "auth.h"
#include "expfmt.h"
#include "gzip.h"
#include "render_html.h"
#include "render_metrics.h"
#include "status.h"
#include "webconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define REAPER_INTERVAL_MS 100
#define CLIENT_SLACK 256 /* client table entries beyond the limit, for concurrent accepts */
#define REFUSAL_LOG_INTERVAL_MS 10000
#define RETIRE_GRACE_MS 60000 /* an old server is stopped at the latest this long after a reload */

static const char auth_realm[] = "tcp_health_exporter";
static const char text_plain[] = "text/plain; charset=utf-8";

/* Open connections of one client address. */
struct client {
	struct client_address address;
	unsigned connections;
};

/* One libmicrohttpd daemon per listening socket: the current generation, or one retired
 * by a reload. The daemons of a generation share its settings and its callbacks' context.
 * Each daemon is given a duplicate of the listening socket (fds[i]), never the socket
 * itself: libmicrohttpd closes the descriptor it was given when it fails to start or when
 * it is stopped without having been quiesced, and the socket must outlive every
 * generation. A quiesced daemon hands its duplicate back; it is closed after the daemon
 * has stopped. */
struct server {
	struct server *next;
	struct http *http;
	struct MHD_Daemon *daemons[HTTP_MAX_LISTENERS];
	int fds[HTTP_MAX_LISTENERS];
	unsigned n_daemons;
	bool quiesced; /* (http.lock) each daemon quiesced: stopping them closes no descriptor */
	struct webconfig *web; /* its TLS settings (a reference); NULL for plain HTTP */
	unsigned connections;  /* (http.lock) open now: a retired server is stopped at 0 */
	long long retired_ms;  /* 0 while current */
	bool closing;	       /* (http.lock) retired past the grace time: connections cut */
};

enum conn_phase {
	PHASE_READ,  /* receiving a request (or waiting for the next one): read deadline */
	PHASE_WAIT,  /* the request is being answered (suspended or rendering): no deadline */
	PHASE_WRITE, /* the response is queued: write deadline */
};

/* One open connection (libmicrohttpd's socket context). */
struct conn {
	struct conn *prev, *next;
	struct server *server;
	int fd;
	struct client_address address;
	enum conn_phase phase;
	long long phase_start_ms;
	unsigned requests; /* answered on this connection so far */
	bool cut;	   /* shut down by the reaper */
};

enum request_state {
	REQ_NEW,
	REQ_AUTH_WAIT,	   /* suspended: queued for bcrypt, or held after a wrong password */
	REQ_AUTH_DONE,	   /* resumed: req->auth says how it went */
	REQ_READY,	   /* allowed; answered once the request is complete */
	REQ_SNAPSHOT_WAIT, /* suspended: the scanner has it */
	REQ_SNAPSHOT_READY,
	REQ_ANSWERED,
};

/* One request (libmicrohttpd's request context). */
struct request {
	struct scrape_waiter waiter; /* first: scrape_done casts back */
	struct auth_request auth;    /* auth_done finds the request from it */
	struct server *server;
	struct MHD_Connection *connection;
	enum request_state state;
	/* the scrape */
	enum snapshot_view_id view; /* what it asks for: the metrics (text or gzip) or a status view */
	bool ready_probe;	    /* /-/ready: any snapshot will do, no view */
	bool counted; /* in http.in_flight */
	struct snapshot *snapshot;
};

/* A rendered body, shared by every response that carries it. */
struct body {
	struct http *http;
	size_t size;
	char *data;
};

struct http {
	struct http_config config;
	struct scrape *scrape;
	char telemetry_path[300];
	/* Of the status views: nothing but inline style and the page's own script (by hash),
	 * so that even a name that escaped escaping could not run. */
	char content_security_policy[256];

	pthread_mutex_t lock;
	struct server *servers; /* the current one first, then retired ones */
	struct webconfig *web;	/* current: users for basic auth; NULL for none */
	struct conn *conns;
	unsigned n_conns;
	struct client *clients; /* max_connections entries, n_clients used */
	unsigned n_clients;
	struct client_address last_refused[STATS_REFUSALS];
	bool reload_successful;
	double reload_success_time;

	struct auth *auth;

	pthread_mutex_t reaper_lock;
	pthread_cond_t reaper_wake;
	bool reaper_stop;
	pthread_t reaper_thread;
	bool reaper_started;
	uint64_t refusals_logged[STATS_REFUSALS]; /* the reaper's */

	int listen_fds[HTTP_MAX_LISTENERS]; /* owned here, closed by http_free; daemons get duplicates */
	unsigned n_listen_fds;
	atomic_uint in_flight;
	atomic_uint_fast64_t response_bytes;
	atomic_uint_fast64_t stale_scrapes;
	atomic_uint_fast64_t refused[STATS_REFUSALS];
	atomic_size_t body_hint; /* the size to start the next render's buffer at */
};

static void count_refusal(struct http *h, enum stats_refusal reason)
{
	atomic_fetch_add_explicit(&h->refused[reason], 1, memory_order_relaxed);
}

/* ---- listen address -------------------------------------------------------------------- */

int http_parse_listen_address(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			      int *wildcard, char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port_text;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char *end;
	long port;
	int rc;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "invalid --web.listen-address '%s': want [IPv6]:PORT", text);
			return -EINVAL;
		}
		if ((size_t)(close - text - 1) >= sizeof(host)) {
			snprintf(err, errlen, "invalid --web.listen-address '%s': host too long", text);
			return -EINVAL;
		}
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port_text = close + 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon) {
			snprintf(err, errlen,
				 "invalid --web.listen-address '%s': want HOST:PORT, :PORT or [IPv6]:PORT",
				 text);
			return -EINVAL;
		}
		if ((size_t)(colon - text) >= sizeof(host)) {
			snprintf(err, errlen, "invalid --web.listen-address '%s': host too long", text);
			return -EINVAL;
		}
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port_text = colon + 1;
	}
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (!*port_text || *end || errno || port < 1 || port > 65535) {
		snprintf(err, errlen, "invalid --web.listen-address '%s': port must be 1-65535", text);
		return -EINVAL;
	}

	*wildcard = host[0] == '\0';
	memset(addr, 0, sizeof(*addr));
	if (*wildcard) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	rc = getaddrinfo(host, port_text, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "invalid --web.listen-address '%s': %s", text,
			 rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int bind_listen_socket(const struct sockaddr_storage *addr, socklen_t len, int wildcard,
			      const char *text, char *err, size_t errlen)
{
	const int on = 1, off = 0;
	int fd, ret;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && wildcard && errno == EAFNOSUPPORT) {
		/* No IPv6 in this kernel: every address means every IPv4 address. */
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = ((const struct sockaddr_in6 *)addr)->sin6_port };

		return bind_listen_socket((const struct sockaddr_storage *)&sin, sizeof(sin), 0, text,
					  err, errlen);
	}
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': socket: %s", text, strerror(errno));
		return ret;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (wildcard)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	/* A deep backlog: a burst of hostile connections must not make the kernel drop the
	 * real scraper's SYN before a serving thread has accepted and refused them. */
	if (bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, 4096) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': %s", text, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/* "127.0.0.1:9978", "[::]:9978": where a listening socket is bound, for the log. */
static void describe_socket(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	struct client_address a;
	char host[INET6_ADDRSTRLEN] = "?";
	bool v6 = false;
	unsigned port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && address_of((struct sockaddr *)&ss, &a)) {
		address_text(&a, host, sizeof(host));
		v6 = ss.ss_family == AF_INET6;
		port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(out, size, v6 ? "[%s]:%u" : "%s:%u", host, port);
}

/* --web.listen-address, each given one: parsed and bound in order. */
static int bind_listen_sockets(struct http *h, char *err, size_t errlen)
{
	/* Refused first when a service manager hands us sockets we were not told to use: we
	 * would hold them open without serving, and (the usual case: the same port as the
	 * .socket unit) fail to bind with a misleading "Address already in use". */
	if (sd_listen_fds(0) > 0) {
		snprintf(err, errlen, "started with %d listening socket(s) from systemd (socket activation) "
			 "but without --web.systemd-socket", sd_listen_fds(0));
		return -EINVAL;
	}
	if (h->config.n_listen_addresses > HTTP_MAX_LISTENERS) {
		snprintf(err, errlen, "too many listen addresses: at most %d", HTTP_MAX_LISTENERS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < h->config.n_listen_addresses; i++) {
		const char *text = h->config.listen_addresses[i];
		struct sockaddr_storage addr;
		socklen_t len;
		int wildcard, fd;
		int ret = http_parse_listen_address(text, &addr, &len, &wildcard, err, errlen);

		if (ret < 0)
			return ret;
		fd = bind_listen_socket(&addr, len, wildcard, text, err, errlen);
		if (fd < 0)
			return fd;
		h->listen_fds[h->n_listen_fds++] = fd;
	}
	return 0;
}

/* --web.systemd-socket: the listening sockets systemd passes (LISTEN_FDS, from
 * tcp_health_exporter.socket). Each must be a listening stream socket. */
static int take_systemd_sockets(struct http *h, char *err, size_t errlen)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		snprintf(err, errlen, "--web.systemd-socket: cannot read the sockets systemd passes: %s",
			 strerror(-n));
		return n;
	}
	if (n == 0) {
		snprintf(err, errlen, "--web.systemd-socket: systemd passed no sockets (start the exporter "
			 "through tcp_health_exporter.socket, or use --web.listen-address)");
		return -EINVAL;
	}
	if (n > HTTP_MAX_LISTENERS) {
		snprintf(err, errlen, "--web.systemd-socket: systemd passed %d sockets, at most %d are served",
			 n, HTTP_MAX_LISTENERS);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		/* TCP only: the connection limits and logs work on client IP addresses. */
		if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0) {
			snprintf(err, errlen, "--web.systemd-socket: passed descriptor %d is not a listening "
				 "TCP socket (want ListenStream=[ADDRESS:]PORT in the .socket unit)", fd);
			return -EINVAL;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		h->listen_fds[h->n_listen_fds++] = fd;
	}
	return 0;
}

void http_listen_addresses(struct http *h, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < h->n_listen_fds && used < size; i++) {
		char one[INET6_ADDRSTRLEN + 16];
		int fd = h->listen_fds[i];

		describe_socket(fd, one, sizeof(one));
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", one);
	}
}

/* ---- client addresses and connections -------------------------------------------------- */

/* (lock) The client entry of `a`, or NULL. */
static struct client *find_client(struct http *h, const struct client_address *a)
{
	for (unsigned i = 0; i < h->n_clients; i++)
		if (address_equal(&h->clients[i].address, a))
			return &h->clients[i];
	return NULL;
}

/* Accept policy: refuses a connection over a limit. It is counted once libmicrohttpd has
 * set it up (NOTIFY_STARTED) and released when it closes (NOTIFY_CLOSED): libmicrohttpd can
 * still drop an accepted connection without either notification (allocation or TLS set-up
 * failure), and a count taken here would then never be released. Concurrent accepts on
 * the pool's threads can overshoot a limit by at most one connection per thread. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct server *srv = cls;
	struct http *h = srv->http;
	struct client_address a;
	struct client *client;
	enum stats_refusal reason = STATS_REFUSALS;

	(void)len;
	if (!address_of(sa, &a))
		return MHD_YES; /* not an IP client (cannot happen on a TCP socket) */
	pthread_mutex_lock(&h->lock);
	client = find_client(h, &a);
	if (h->n_conns >= h->config.max_connections)
		reason = STATS_REFUSED_CONNECTION_LIMIT;
	else if (h->config.max_connections_per_ip && client &&
		 client->connections >= h->config.max_connections_per_ip)
		reason = STATS_REFUSED_CLIENT_CONNECTION_LIMIT;
	if (reason != STATS_REFUSALS)
		h->last_refused[reason] = a;
	pthread_mutex_unlock(&h->lock);
	if (reason == STATS_REFUSALS)
		return MHD_YES;
	count_refusal(h, reason);
	return MHD_NO;
}

/* (lock) Counts an open connection of `a` on `srv`. */
static void count_client(struct http *h, struct server *srv, const struct client_address *a)
{
	struct client *client = find_client(h, a);

	h->n_conns++;
	srv->connections++;
	if (!client) {
		if (h->n_clients == h->config.max_connections + CLIENT_SLACK)
			return; /* beyond the overshoot the table allows for: counted in all only */
		client = &h->clients[h->n_clients++];
		client->address = *a;
		client->connections = 0;
	}
	client->connections++;
}

/* (lock) Undoes accept_policy's count. */
static void release_client(struct http *h, struct server *srv, const struct client_address *a)
{
	struct client *client = find_client(h, a);

	h->n_conns--;
	srv->connections--;
	if (client && --client->connections == 0)
		*client = h->clients[--h->n_clients];
}

static void set_phase(struct http *h, struct conn *c, enum conn_phase phase)
{
	if (!c)
		return;
	pthread_mutex_lock(&h->lock);
	if (phase == PHASE_READ && c->phase == PHASE_WRITE)
		c->requests++; /* a response was sent: the connection waits for the next request */
	c->phase = phase;
	c->phase_start_ms = clock_monotonic_ms();
	pthread_mutex_unlock(&h->lock);
}

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
			      enum MHD_ConnectionNotificationCode toe)
{
	struct server *srv = cls;
	struct http *h = srv->http;
	struct conn *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd_info =
			MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *addr_info =
			MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		c = calloc(1, sizeof(*c));
		if (!c)
			return; /* out of memory: served untracked and uncounted */
		pthread_mutex_lock(&h->lock);
		c->server = srv;
		c->fd = fd_info ? fd_info->connect_fd : -1;
		if (addr_info)
			address_of(addr_info->client_addr, &c->address);
		count_client(h, srv, &c->address);
		c->phase = PHASE_READ;
		c->phase_start_ms = clock_monotonic_ms();
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
		pthread_mutex_unlock(&h->lock);
		*socket_context = c;
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED comes before libmicrohttpd closes the socket, so the
	 * reaper (which shuts sockets down under the lock) never touches a reused fd. */
	if (!c)
		return;
	pthread_mutex_lock(&h->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	release_client(h, srv, &c->address);
	pthread_mutex_unlock(&h->lock);
	free(c);
	*socket_context = NULL;
}

static struct conn *conn_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* ---- responses ------------------------------------------------------------------------- */

static enum MHD_Result queue_text(struct MHD_Connection *connection, unsigned status,
				  const char *text, const char *content_type)
{
	struct MHD_Response *response =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS || status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ret = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return ret;
}

static enum MHD_Result queue_unauthorized(struct MHD_Connection *connection)
{
	static const char text[] = "unauthorized\n";
	struct MHD_Response *response =
		MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, text_plain);
	ret = MHD_queue_basic_auth_fail_response(connection, auth_realm, response);
	MHD_destroy_response(response);
	return ret;
}

/* True when the client accepts gzip: a "gzip" coding in Accept-Encoding whose q-value is
 * not 0, or, when gzip is not named, a "*" whose q-value is not 0 (RFC 9110 12.5.3). */
int http_accepts_gzip(const char *accept_encoding)
{
	const char *item = accept_encoding;
	int wildcard = 0;

	while (*item) {
		size_t item_len, name_len;
		const char *q;
		int accepted;

		item += strspn(item, " \t,");
		item_len = strcspn(item, ",");
		name_len = strcspn(item, " \t;,");
		q = NULL;
		for (size_t i = name_len; i + 1 < item_len && !q; i++)
			if ((item[i] == 'q' || item[i] == 'Q') && item[i + 1] == '=')
				q = item + i;
		accepted = !q || strtod(q + 2, NULL) > 0;
		if (name_len == 4 && strncasecmp(item, "gzip", 4) == 0)
			return accepted;
		if (name_len == 1 && item[0] == '*')
			wildcard = accepted;
		item += item_len;
	}
	return wildcard;
}

static void body_free(void *cls)
{
	struct body *b = cls;

	atomic_fetch_sub_explicit(&b->http->response_bytes, b->size, memory_order_relaxed);
	free(b->data);
	free(b);
}

/* A response carrying `data` (taken over), shared by every connection it is queued on;
 * its memory counts in response_bytes until the last of them is done with it. */
static struct MHD_Response *shared_response(struct http *h, char *data, size_t size, bool gzip,
					    const char *content_type)
{
	struct body *b = malloc(sizeof(*b));
	struct MHD_Response *response;

	if (!b) {
		free(data);
		return NULL;
	}
	b->http = h;
	b->size = size;
	b->data = data;
	atomic_fetch_add_explicit(&h->response_bytes, size, memory_order_relaxed);
	response = MHD_create_response_from_buffer_with_free_callback_cls(size, data, body_free, b);
	if (!response) {
		body_free(b);
		return NULL;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (strcmp(content_type, EXPFMT_CONTENT_TYPE) == 0)
		MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	else { /* the status views: a snapshot of now, and a page that must not run foreign code */
		MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(response, "Content-Security-Policy", h->content_security_policy);
	}
	if (gzip)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return response;
}

/* A snapshot view is its shared response; the snapshot's reference is dropped with it. */
static void response_view_free(void *view)
{
	MHD_destroy_response(view);
}

static void *make_text_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct http *h = ctx;
	struct expfmt_buf buf;
	size_t len;
	char *body;

	if (expfmt_init(&buf, atomic_load_explicit(&h->body_hint, memory_order_relaxed)) < 0 ||
	    render_metrics(s, &buf) < 0) {
		expfmt_fini(&buf);
		log_error("rendering the metrics failed: out of memory");
		return NULL;
	}
	body = expfmt_detach(&buf, &len);
	atomic_store_explicit(&h->body_hint, len + len / 8 + 4096, memory_order_relaxed);
	*bytes = len;
	return shared_response(h, body, len, false, EXPFMT_CONTENT_TYPE);
}

/* The gzip body: the text is rendered through a 64 KiB buffer straight into the deflate
 * stream, so that neither the whole text nor a text body is kept for a snapshot asked only
 * for gzip (as Prometheus asks). */
static void *make_gzip_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct http *h = ctx;
	struct gzip_writer g;
	struct expfmt_buf buf;
	char *data = NULL;
	size_t len = 0;
	int ret;

	ret = gzip_writer_init(&g, atomic_load_explicit(&h->body_hint, memory_order_relaxed) / 8 + 65536);
	if (ret < 0)
		return NULL;
	ret = expfmt_init(&buf, 65536);
	if (ret == 0) {
		buf.sink = gzip_writer_sink;
		buf.sink_ctx = &g;
		ret = render_metrics(s, &buf);
		if (ret == 0)
			ret = expfmt_flush(&buf);
		if (ret == 0)
			ret = gzip_writer_finish(&g, &data, &len);
		expfmt_fini(&buf);
	}
	gzip_writer_fini(&g);
	if (ret < 0) {
		log_warn("gzip compression failed (%s); sending the scrape uncompressed", strerror(-ret));
		return NULL;
	}
	*bytes = len;
	return shared_response(h, data, len, true, EXPFMT_CONTENT_TYPE);
}

static void *make_status_json_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct http *h = ctx;
	json_t *doc = status_document(s);
	char *text;

	if (!doc) {
		log_error("building the status document failed: out of memory");
		return NULL;
	}
	text = json_dumps(doc, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (!text) {
		log_error("writing the status document failed: out of memory");
		return NULL;
	}
	*bytes = strlen(text);
	return shared_response(h, text, *bytes, false, "application/json");
}

static void *make_status_html_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct http *h = ctx;
	json_t *doc = status_document(s);
	struct expfmt_buf buf;
	char *body;
	size_t len;

	if (!doc || expfmt_init(&buf, 64 * 1024) < 0) {
		json_decref(doc);
		log_error("rendering the status page failed: out of memory");
		return NULL;
	}
	if (render_html(doc, h->telemetry_path, &buf) < 0) {
		json_decref(doc);
		expfmt_fini(&buf);
		log_error("rendering the status page failed: out of memory");
		return NULL;
	}
	json_decref(doc);
	body = expfmt_detach(&buf, &len);
	*bytes = len;
	return shared_response(h, body, len, false, "text/html; charset=utf-8");
}

static void resume(struct request *req)
{
	MHD_resume_connection(req->connection);
}

/* Client certificate policy of tls_server_config.client_auth_type, checked once the
 * request arrives (libmicrohttpd asks for a certificate when a client CA is set;
 * verification is ours). 0 when the connection may go on. */
static int check_client_certificate(struct MHD_Connection *connection, const struct webconfig *web)
{
	const union MHD_ConnectionInfo *info;
	gnutls_session_t session;
	unsigned int count = 0, status = 0;
	enum webconfig_client_auth policy = web->client_auth;

	if (policy == WEBCONFIG_NO_CLIENT_CERT || policy == WEBCONFIG_REQUEST_CLIENT_CERT)
		return 0;
	info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return -EACCES;
	session = (gnutls_session_t)info->tls_session;
	if (!gnutls_certificate_get_peers(session, &count) || count == 0)
		return policy == WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN ? 0 : -EACCES;
	if (policy == WEBCONFIG_REQUIRE_ANY_CLIENT_CERT)
		return 0;
	{
		/* Chain to the client CA and a certificate fit for TLS client authentication (a
		 * server-only certificate from the same CA is refused, as in Go's crypto/tls). */
		gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
						  (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };

		if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status != 0)
			return -EACCES;
	}
	return 0;
}

/* Basic auth against the current users (auth.c decides; the credentials come from here). */
static enum auth_outcome check_basic_auth(struct http *h, struct request *req)
{
	struct webconfig *web;
	char *password = NULL, *user;
	enum auth_outcome outcome;

	pthread_mutex_lock(&h->lock);
	web = h->web && h->web->n_users ? webconfig_ref(h->web) : NULL;
	pthread_mutex_unlock(&h->lock);
	if (!web)
		return AUTH_OK;
	user = MHD_basic_auth_get_username_password(req->connection, &password);
	outcome = auth_check(h->auth, web, user, password, &req->auth);
	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	webconfig_unref(web);
	return outcome;
}

/* The password thread or the reaper is done with the request. */
static void auth_done(struct auth_request *a)
{
	struct request *req = (struct request *)((char *)a - offsetof(struct request, auth));

	req->state = REQ_AUTH_DONE;
	resume(req);
}

/* ---- scrapes --------------------------------------------------------------------------- */

static void scrape_done(struct scrape_waiter *w, struct snapshot *snapshot)
{
	struct request *req = (struct request *)w;

	req->snapshot = snapshot;
	req->state = REQ_SNAPSHOT_READY;
	resume(req);
}

/* Bytes held by responses of snapshots other than `latest`: clients still reading them. */
static uint64_t older_response_bytes(struct http *h, struct snapshot *latest)
{
	uint64_t total = atomic_load_explicit(&h->response_bytes, memory_order_relaxed), own = 0;

	/* Not under views_lock: a render of `latest` in progress holds it. */
	for (unsigned v = 0; v < SNAPSHOT_VIEWS; v++)
		own += atomic_load_explicit(&latest->view_bytes[v], memory_order_relaxed);
	return total > own ? total - own : 0;
}

enum scrape_start { SCRAPE_REFUSED, SCRAPE_SUSPENDED, SCRAPE_READY };

/* Starts a scrape: suspended until the scanner hands over a snapshot, ready at once (the
 * latest snapshot), or refused (*ret holds the queued refusal). */
static enum scrape_start start_scrape(struct http *h, struct request *req, enum MHD_Result *ret)
{
	struct snapshot *latest;

	/* The status views show the latest snapshot while it is fresh: a page left open (it
	 * refreshes itself) or a script polling the JSON adds no scan of its own, and takes no
	 * --web.max-requests place either. */
	if (req->view >= SNAPSHOT_VIEW_STATUS_JSON || req->ready_probe) {
		latest = scrape_latest(h->scrape);
		/* Ready once a scan has been published; until then the probe waits for one. */
		if (latest && (req->ready_probe ||
			       clock_seconds(CLOCK_MONOTONIC) - latest->monotonic_time <= HTTP_STATUS_MAX_AGE_SECONDS)) {
			req->snapshot = latest;
			req->state = REQ_SNAPSHOT_READY;
			return SCRAPE_READY;
		}
		snapshot_unref(latest);
	}
	if (h->config.max_requests &&
	    atomic_fetch_add_explicit(&h->in_flight, 1, memory_order_relaxed) >= h->config.max_requests) {
		atomic_fetch_sub_explicit(&h->in_flight, 1, memory_order_relaxed);
		count_refusal(h, STATS_REFUSED_MAX_REQUESTS);
		*ret = queue_text(req->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many scrapes in progress (--web.max-requests): retry shortly\n",
				  text_plain);
		return SCRAPE_REFUSED;
	}
	if (!h->config.max_requests)
		atomic_fetch_add_explicit(&h->in_flight, 1, memory_order_relaxed);
	req->counted = true;
	/* Responses still being sent for older snapshots hold memory that only their clients
	 * can release: past the bound, answer from the latest snapshot without a new scan. */
	latest = scrape_latest(h->scrape);
	if (latest && older_response_bytes(h, latest) > HTTP_RESPONSE_MEMORY_BOUND) {
		atomic_fetch_add_explicit(&h->stale_scrapes, 1, memory_order_relaxed);
		req->snapshot = latest;
		req->state = REQ_SNAPSHOT_READY;
		return SCRAPE_READY;
	}
	snapshot_unref(latest);
	req->state = REQ_SNAPSHOT_WAIT;
	req->waiter.done = scrape_done;
	MHD_suspend_connection(req->connection);
	scrape_request(h->scrape, &req->waiter);
	*ret = MHD_YES;
	return SCRAPE_SUSPENDED;
}

static enum MHD_Result answer_scrape(struct http *h, struct request *req)
{
	struct snapshot *s = req->snapshot;
	struct MHD_Response *view = NULL;
	const char *accept_encoding;
	enum MHD_Result ret;

	if (!s) {
		ret = queue_text(req->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "no snapshot: the exporter is shutting down or out of memory\n", text_plain);
		goto out;
	}
	if (req->ready_probe) {
		ret = queue_text(req->connection, MHD_HTTP_OK, "Ready.\n", text_plain);
		goto out;
	}
	accept_encoding = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (req->view == SNAPSHOT_VIEW_STATUS_JSON) {
		view = snapshot_view(s, SNAPSHOT_VIEW_STATUS_JSON, make_status_json_view, response_view_free, h);
		if (!view)
			goto failed;
	} else if (req->view == SNAPSHOT_VIEW_STATUS_HTML) {
		view = snapshot_view(s, SNAPSHOT_VIEW_STATUS_HTML, make_status_html_view, response_view_free, h);
		if (!view)
			goto failed;
	} else if (accept_encoding && http_accepts_gzip(accept_encoding)) {
		view = snapshot_view(s, SNAPSHOT_VIEW_METRICS_GZIP, make_gzip_view, response_view_free, h);
	}
	if (!view) /* no gzip wanted, or it failed: the text */
		view = snapshot_view(s, SNAPSHOT_VIEW_METRICS_TEXT, make_text_view, response_view_free, h);
	if (!view) {
failed:
		ret = queue_text(req->connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "scrape failed: out of memory\n", text_plain);
		goto out;
	}
	ret = MHD_queue_response(req->connection, MHD_HTTP_OK, view);
out:
	snapshot_unref(s);
	req->snapshot = NULL;
	req->state = REQ_ANSWERED;
	/* Prepared: the --web.max-requests place is free again. Sending the shared body to a
	 * slow client costs no place, or a few never-reading clients would lock scrapes out. */
	if (req->counted) {
		atomic_fetch_sub_explicit(&h->in_flight, 1, memory_order_relaxed);
		req->counted = false;
	}
	return ret;
}

/* ---- the request handler --------------------------------------------------------------- */

/* First call, once the headers are in: everything that can refuse the request is decided
 * here. A request that may go on is answered when complete (route), so that libmicrohttpd
 * keeps the connection alive for the next scrape. */
static enum MHD_Result check_request(struct server *srv, struct request *req, const char *method,
				     bool *answered)
{
	struct http *h = srv->http;
	enum auth_outcome outcome;

	*answered = true;
	if (srv->web && check_client_certificate(req->connection, srv->web) < 0)
		return queue_text(req->connection, MHD_HTTP_FORBIDDEN,
				  "a trusted client certificate is required\n", text_plain);
	switch ((outcome = check_basic_auth(h, req))) {
	case AUTH_OK:
		break;
	case AUTH_QUEUED:   /* the password thread resumes it */
	case AUTH_THROTTLED: /* the reaper resumes it when its time is up */
		req->state = REQ_AUTH_WAIT;
		set_phase(h, conn_of(req->connection), PHASE_WAIT); /* waiting on us, not the client */
		MHD_suspend_connection(req->connection);
		*answered = false;
		auth_hand_over(h->auth, &req->auth, outcome);
		return MHD_YES;
	case AUTH_QUEUE_FULL:
		count_refusal(h, STATS_REFUSED_AUTH_QUEUE_FULL);
		return queue_text(req->connection, MHD_HTTP_TOO_MANY_REQUESTS,
				  "too many password checks waiting: retry in a second\n", text_plain);
	case AUTH_DENIED:
		count_refusal(h, STATS_REFUSED_UNAUTHORIZED);
		return queue_unauthorized(req->connection);
	}
	/* Refuse other methods at once (libmicrohttpd then closes the connection, so a body
	 * is never read). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return queue_text(req->connection, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				  text_plain);
	req->state = REQ_READY;
	*answered = false;
	return MHD_YES;
}

/* Answers a complete request, or hands it over (*answered false): from then on the
 * scanner owns `req` until it resumes the connection, so it is not touched again here. */
static enum MHD_Result route(struct http *h, struct request *req, const char *url, bool *answered)
{
	*answered = true;
	if (strcmp(url, HTTP_HEALTHY_PATH) == 0) {
		/* Serving: for liveness probes, which must not cost a scan (/ does now). */
		req->state = REQ_ANSWERED;
		return queue_text(req->connection, MHD_HTTP_OK, "Healthy.\n", text_plain);
	}
	if (strcmp(url, HTTP_READY_PATH) == 0)
		req->ready_probe = true;
	else if (strcmp(url, h->telemetry_path) == 0)
		req->view = SNAPSHOT_VIEW_METRICS_TEXT; /* or gzip: decided when answering */
	else if (strcmp(url, "/") == 0)
		req->view = SNAPSHOT_VIEW_STATUS_HTML;
	else if (strcmp(url, HTTP_STATUS_API_PATH) == 0)
		req->view = SNAPSHOT_VIEW_STATUS_JSON;
	else {
		req->state = REQ_ANSWERED;
		return queue_text(req->connection, MHD_HTTP_NOT_FOUND, "not found\n", text_plain);
	}
	{
		enum MHD_Result ret = MHD_NO;

		switch (start_scrape(h, req, &ret)) {
		case SCRAPE_READY:
			return answer_scrape(h, req);
		case SCRAPE_REFUSED:
			req->state = REQ_ANSWERED;
			return ret;
		case SCRAPE_SUSPENDED:
			break;
		}
		*answered = false;
		return ret;
	}
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *connection, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	struct server *srv = cls;
	struct http *h = srv->http;
	struct request *req = *req_cls;
	enum MHD_Result ret;
	bool answered = true;

	(void)version;
	(void)upload_data;
	if (!req) {
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*req_cls = req;
		req->server = srv;
		req->connection = connection;
		req->auth.has_address = info && address_of(info->client_addr, &req->auth.address);
		req->auth.done = auth_done;
		/* Refused unless check_request says otherwise; it may hand the request to another
		 * thread, after which `req` is not read here. */
		req->state = REQ_ANSWERED;
		ret = check_request(srv, req, method, &answered);
		goto out;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a GET with a body: discard it */
		return MHD_YES;
	}
	switch (req->state) {
	case REQ_AUTH_DONE: /* resumed by the password thread, or released by the reaper */
		auth_request_clear(&req->auth);
		if (req->auth.throttled) {
			req->state = REQ_ANSWERED;
			count_refusal(h, STATS_REFUSED_AUTH_THROTTLED);
			ret = queue_text(connection, MHD_HTTP_TOO_MANY_REQUESTS,
					 "wrong password a moment ago: retry in a second\n", text_plain);
		} else if (!req->auth.ok) {
			req->state = REQ_ANSWERED;
			count_refusal(h, STATS_REFUSED_UNAUTHORIZED);
			ret = queue_unauthorized(connection);
		} else if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
			   strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
			req->state = REQ_ANSWERED;
			ret = queue_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
					 text_plain);
		} else {
			/* The request may not be complete yet (libmicrohttpd calls again when it
			 * is): the rest of it is the client's to send, under the read deadline. */
			req->state = REQ_READY;
			set_phase(h, conn_of(connection), PHASE_READ);
			return MHD_YES;
		}
		break;
	case REQ_READY: /* the request is complete */
		set_phase(h, conn_of(connection), PHASE_WAIT);
		ret = route(h, req, url, &answered);
		break;
	case REQ_SNAPSHOT_READY: /* resumed by the scanner */
		ret = answer_scrape(h, req);
		break;
	default:
		return MHD_YES;
	}
out:
	/* A queued response is the client's to take, under the write deadline. */
	if (answered)
		set_phase(h, conn_of(connection), PHASE_WRITE);
	return ret;
}

static void request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct http *h = srv->http;
	struct request *req = *req_cls;
	struct conn *c = conn_of(connection);

	if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED && c) {
		/* libmicrohttpd's own inactivity timeout (a client that stopped reading) */
		enum stats_refusal reason = c->phase == PHASE_READ ? STATS_REFUSED_READ_TIMEOUT
								   : STATS_REFUSED_WRITE_TIMEOUT;

		pthread_mutex_lock(&h->lock);
		h->last_refused[reason] = c->address;
		pthread_mutex_unlock(&h->lock);
		count_refusal(h, reason);
	}
	if (!req)
		return;
	if (req->counted)
		atomic_fetch_sub_explicit(&h->in_flight, 1, memory_order_relaxed);
	snapshot_unref(req->snapshot);
	auth_request_clear(&req->auth);
	free(req);
	*req_cls = NULL;
	set_phase(h, c, PHASE_READ); /* a kept-alive connection now waits for its next request */
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];
	size_t n;

	(void)cls;
	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
	log_debug("http: %s", text);
}

/* ---- the reaper -------------------------------------------------------------------------- */

/* Stops every daemon of `srv` and frees it. Not under http.lock: stopping runs our
 * callbacks. A server with suspended requests must not be stopped (libmicrohttpd aborts):
 * retired ones are stopped once drained, the current one after the scanner and the
 * password thread have resumed everything they held. */
static void server_stop(struct server *srv)
{
	for (unsigned i = 0; i < srv->n_daemons; i++) {
		MHD_stop_daemon(srv->daemons[i]);
		if (srv->quiesced && srv->fds[i] >= 0)
			close(srv->fds[i]); /* handed back by MHD_quiesce_daemon */
	}
	webconfig_unref(srv->web);
	free(srv);
}

/* (lock) Stops `srv`'s daemons accepting: the listening sockets stay open for the other
 * generations. Returns false when a daemon did not hand its descriptor back. */
static bool server_quiesce(struct server *srv)
{
	bool all = true;

	for (unsigned i = 0; i < srv->n_daemons; i++)
		if (MHD_quiesce_daemon(srv->daemons[i]) != srv->fds[i]) {
			all = false;
			srv->fds[i] = -1; /* still the daemon's: stopping it closes it */
		}
	srv->quiesced = true;
	return all;
}

/* (lock) Shuts down connections past their deadline; libmicrohttpd then sees the socket
 * fail and closes the connection. Suspended requests (PHASE_WAIT) are never cut. */
static void cut_late_connections(struct http *h, long long now)
{
	for (struct conn *c = h->conns; c; c = c->next) {
		long long limit = c->phase == PHASE_READ    ? (long long)h->config.read_timeout_ms
				  : c->phase == PHASE_WRITE ? (long long)h->config.write_timeout_ms
							    : -1;

		if (c->cut || limit < 0 || now - c->phase_start_ms <= limit || c->fd < 0)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->cut = true;
		/* A kept-alive connection that has served requests and waits for the next one is
		 * simply closed when idle too long: that is ordinary, not a refusal. */
		if (c->phase == PHASE_READ && c->requests > 0)
			continue;
		h->last_refused[c->phase == PHASE_READ ? STATS_REFUSED_READ_TIMEOUT
						       : STATS_REFUSED_WRITE_TIMEOUT] = c->address;
		count_refusal(h, c->phase == PHASE_READ ? STATS_REFUSED_READ_TIMEOUT
							: STATS_REFUSED_WRITE_TIMEOUT);
	}
}

/* One line per reason and interval at most, whatever a flood does. */
static void log_refusals(struct http *h)
{
	for (unsigned r = 0; r < STATS_REFUSALS; r++) {
		uint64_t now = atomic_load_explicit(&h->refused[r], memory_order_relaxed);
		char address[INET6_ADDRSTRLEN];

		if (now == h->refusals_logged[r])
			continue;
		pthread_mutex_lock(&h->lock);
		address_text(&h->last_refused[r], address, sizeof(address));
		pthread_mutex_unlock(&h->lock);
		if (r == STATS_REFUSED_UNAUTHORIZED || r == STATS_REFUSED_AUTH_THROTTLED ||
		    r == STATS_REFUSED_AUTH_QUEUE_FULL || r == STATS_REFUSED_MAX_REQUESTS)
			log_warn("http: refused %llu requests (%s) in the last %d s",
				 (unsigned long long)(now - h->refusals_logged[r]), stats_refusal_names[r],
				 REFUSAL_LOG_INTERVAL_MS / 1000);
		else
			log_warn("http: refused or cut %llu connections (%s) in the last %d s, the last "
				 "from %s",
				 (unsigned long long)(now - h->refusals_logged[r]), stats_refusal_names[r],
				 REFUSAL_LOG_INTERVAL_MS / 1000, address);
		h->refusals_logged[r] = now;
	}
}

/* Stops retired servers once their last connection has closed. A suspended request is an
 * open connection, so none is left to libmicrohttpd's "suspended at stop" abort. Past the
 * grace time the connections left are shut down (a suspended one closes when resumed);
 * the server is stopped at a later pass, when they are gone. Not under the lock when
 * stopping: that runs our callbacks. */
static void stop_drained_servers(struct http *h, long long now)
{
	for (;;) {
		struct server *drained = NULL, **link;

		pthread_mutex_lock(&h->lock);
		for (link = &h->servers; *link; link = &(*link)->next) {
			struct server *srv = *link;

			if (!srv->retired_ms)
				continue;
			if (srv->connections == 0) {
				*link = srv->next;
				drained = srv;
				break;
			}
			if (!srv->closing && now - srv->retired_ms > RETIRE_GRACE_MS) {
				srv->closing = true;
				for (struct conn *c = h->conns; c; c = c->next)
					if (c->server == srv && c->fd >= 0 && !c->cut) {
						shutdown(c->fd, SHUT_RDWR);
						c->cut = true;
					}
			}
		}
		pthread_mutex_unlock(&h->lock);
		if (!drained)
			return;
		server_stop(drained);
	}
}

static void *reaper_main(void *arg)
{
	struct http *h = arg;
	long long last_log = clock_monotonic_ms();

	pthread_mutex_lock(&h->reaper_lock);
	while (!h->reaper_stop) {
		struct timespec until;
		long long now;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += REAPER_INTERVAL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->reaper_wake, &h->reaper_lock, &until);
		if (h->reaper_stop)
			break;
		pthread_mutex_unlock(&h->reaper_lock);
		now = clock_monotonic_ms();
		pthread_mutex_lock(&h->lock);
		cut_late_connections(h, now);
		pthread_mutex_unlock(&h->lock);
		auth_release_held(h->auth, now, false);
		stop_drained_servers(h, now);
		if (now - last_log >= REFUSAL_LOG_INTERVAL_MS) {
			log_refusals(h);
			/* Bursts of requests leave free memory scattered in the serving threads'
			 * malloc arenas; give its pages back so that RSS returns after a burst. */
			malloc_trim(0);
			last_log = now;
		}
		pthread_mutex_lock(&h->reaper_lock);
	}
	pthread_mutex_unlock(&h->reaper_lock);
	return NULL;
}

/* ---- servers --------------------------------------------------------------------------- */

static unsigned pool_size(const struct http *h)
{
	long cpus;

	if (h->config.threads)
		return h->config.threads;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 2 ? 2 : cpus > 8 ? 8 : (unsigned)cpus;
}

/* A server of which only some daemons started: quiesced and retired, so the reaper stops
 * it once the connections its first daemons may already have accepted (and suspended)
 * are gone, as after a reload. */
static void server_abandon(struct http *h, struct server *srv)
{
	log_warn("http: only %u of %u listening sockets got a server; the started ones stop "
		 "accepting and go once their connections are done", srv->n_daemons, h->n_listen_fds);
	pthread_mutex_lock(&h->lock);
	server_quiesce(srv);
	srv->retired_ms = clock_monotonic_ms();
	if (h->servers) { /* behind the current one */
		srv->next = h->servers->next;
		h->servers->next = srv;
	} else {
		h->servers = srv; /* at start-up: http_start fails and http_stop stops it */
	}
	pthread_mutex_unlock(&h->lock);
}

/* A libmicrohttpd daemon on each listening socket, with the TLS settings of `web`. The
 * serving threads are shared out among them. */
static struct server *server_start(struct http *h, struct webconfig *web)
{
	struct server *srv = calloc(1, sizeof(*srv));
	struct MHD_OptionItem options[20];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	unsigned n = 0, threads = pool_size(h) / h->n_listen_fds, listen_option;
	/* libmicrohttpd's own inactivity timeout, in whole seconds, a little later than our
	 * read deadline so that ours decides (and counts) first. */
	unsigned idle_seconds = (h->config.read_timeout_ms + 999) / 1000 + 1;

	if (!srv)
		return NULL;
	if (threads < 1)
		threads = 1;
	srv->http = h;
	srv->web = web && web->tls ? webconfig_ref(web) : NULL;
	/* Two-pointer options pass the first pointer cast to intptr_t; the logger first, so
	 * that libmicrohttpd reports problems with the options that follow. */
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL };
	listen_option = n;
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, -1, NULL };
	/* Our accept policy enforces the limit; libmicrohttpd splits its own among the pool's
	 * threads, so give each thread room for all of them. */
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
						(intptr_t)(h->config.max_connections + 1) * threads, NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds, NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
						HTTP_CONNECTION_MEMORY, NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
						(intptr_t)notify_connection, srv };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
						(intptr_t)request_completed, srv };
	if (srv->web) {
		flags |= MHD_USE_TLS;
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->web->cert_pem };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->web->key_pem };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
							(void *)webconfig_tls_priorities(srv->web) };
		if (srv->web->client_ca_pem)
			options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
								srv->web->client_ca_pem };
	}
	options[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	for (unsigned i = 0; i < h->n_listen_fds; i++) {
		int fd = fcntl(h->listen_fds[i], F_DUPFD_CLOEXEC, 0);

		if (fd >= 0) {
			options[listen_option].value = fd;
			srv->daemons[i] = MHD_start_daemon(flags, 0, accept_policy, srv, handle_request, srv,
							   MHD_OPTION_ARRAY, options, MHD_OPTION_END);
			/* On failure the duplicate is not closed here: libmicrohttpd closes it on
			 * most of its failure paths, and a leaked descriptor is harmless where a
			 * double close is not. */
		}
		if (fd < 0 || !srv->daemons[i]) {
			if (srv->n_daemons) {
				server_abandon(h, srv);
			} else {
				webconfig_unref(srv->web);
				free(srv);
			}
			return NULL;
		}
		srv->fds[i] = fd;
		srv->n_daemons++;
	}
	return srv;
}

/* "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-…'; …": the page's
 * inline style and its one script, nothing else. 0 or -ENOMEM. */
static int content_security_policy(char *out, size_t size)
{
	unsigned char digest[32];
	gnutls_datum_t raw = { digest, sizeof(digest) }, b64 = { NULL, 0 };

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, render_html_script, strlen(render_html_script), digest) < 0 ||
	    gnutls_base64_encode2(&raw, &b64) < 0)
		return -ENOMEM;
	snprintf(out, size, "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-%.*s'; "
			    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		 (int)b64.size, (const char *)b64.data);
	gnutls_free(b64.data);
	return 0;
}

int http_start(struct http **out, const struct http_config *config, struct scrape *scrape,
	       struct webconfig *web, char *err, size_t errlen)
{
	int ret;
	struct http *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->config = *config;
	h->scrape = scrape;
	snprintf(h->telemetry_path, sizeof(h->telemetry_path), "%s", config->telemetry_path);
	if (content_security_policy(h->content_security_policy, sizeof(h->content_security_policy)) < 0) {
		free(h);
		return -ENOMEM;
	}
	h->clients = calloc(config->max_connections + CLIENT_SLACK, sizeof(*h->clients));
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->reaper_lock, NULL);
	pthread_cond_init(&h->reaper_wake, NULL);
	atomic_init(&h->body_hint, 16384);
	if (!h->clients) {
		http_free(h);
		return -ENOMEM;
	}
	h->web = web ? webconfig_ref(web) : NULL;

	ret = config->systemd_socket ? take_systemd_sockets(h, err, errlen) : bind_listen_sockets(h, err, errlen);
	if (ret < 0)
		goto fail;
	ret = auth_create(&h->auth);
	if (ret < 0) {
		snprintf(err, errlen, "cannot start the password thread: %s", strerror(-ret));
		goto fail;
	}
	ret = -pthread_create(&h->reaper_thread, NULL, reaper_main, h);
	if (ret < 0) {
		snprintf(err, errlen, "cannot start the reaper thread: %s", strerror(-ret));
		goto fail;
	}
	h->reaper_started = true;
	h->servers = server_start(h, web);
	if (!h->servers) {
		snprintf(err, errlen, "cannot start the HTTP server");
		ret = -EIO;
		goto fail;
	}
	http_note_reload(h, true);
	*out = h;
	return 0;
fail:
	http_stop(h);
	http_free(h);
	return ret;
}

int http_reload(struct http *h, struct webconfig *web, char *err, size_t errlen)
{
	struct server *srv, *old;
	struct webconfig *old_web;
	bool handed_back;

	srv = server_start(h, web);
	if (!srv) {
		snprintf(err, errlen, "cannot start an HTTP server with the new configuration");
		return -EIO;
	}
	pthread_mutex_lock(&h->lock);
	old = h->servers;
	srv->next = old;
	h->servers = srv;
	old_web = h->web;
	h->web = web ? webconfig_ref(web) : NULL;
	pthread_mutex_unlock(&h->lock);
	/* Both generations listen for a moment; from here on only the new one accepts, the old
	 * one finishes its connections and is stopped by the reaper once drained. */
	pthread_mutex_lock(&h->lock);
	handed_back = server_quiesce(old);
	old->retired_ms = clock_monotonic_ms();
	pthread_mutex_unlock(&h->lock);
	if (!handed_back)
		log_warn("reload: the old server did not hand back its listening sockets");
	webconfig_unref(old_web);
	return 0;
}

void http_note_reload(struct http *h, bool successful)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&h->lock);
	h->reload_successful = successful;
	if (successful)
		h->reload_success_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	pthread_mutex_unlock(&h->lock);
}

void http_stats(struct http *h, struct exporter_stats *out)
{
	for (unsigned r = 0; r < STATS_REFUSALS; r++)
		out->refused[r] = atomic_load_explicit(&h->refused[r], memory_order_relaxed);
	out->response_bytes = atomic_load_explicit(&h->response_bytes, memory_order_relaxed);
	out->stale_scrapes = atomic_load_explicit(&h->stale_scrapes, memory_order_relaxed);
	pthread_mutex_lock(&h->lock);
	out->connections_open = h->n_conns;
	out->reload_successful = h->reload_successful;
	out->reload_success_time = h->reload_success_time;
	pthread_mutex_unlock(&h->lock);
	/* The exporter's own TCP ports, for the status page (listen_fds are fixed after start). */
	out->n_self_ports = 0;
	for (unsigned i = 0; i < h->n_listen_fds && out->n_self_ports < STATS_SELF_PORTS; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		uint16_t port;

		if (getsockname(h->listen_fds[i], (struct sockaddr *)&ss, &len) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
						       ((struct sockaddr_in6 *)&ss)->sin6_port);
		for (unsigned k = 0; k < out->n_self_ports && port; k++)
			if (out->self_ports[k] == port)
				port = 0; /* one entry per port: [::]:9978 and 0.0.0.0:9978 */
		if (port)
			out->self_ports[out->n_self_ports++] = port;
	}
}

void http_stop(struct http *h)
{
	struct server *srv;

	if (h->reaper_started) {
		pthread_mutex_lock(&h->reaper_lock);
		h->reaper_stop = true;
		pthread_cond_signal(&h->reaper_wake);
		pthread_mutex_unlock(&h->reaper_lock);
		pthread_join(h->reaper_thread, NULL);
		h->reaper_started = false;
		log_refusals(h); /* what the last interval counted */
	}
	/* Held requests are released and queued ones refused, each resumed; from here on none
	 * is queued or held (auth_hand_over refuses them): libmicrohttpd must not be stopped
	 * with suspended connections. */
	if (h->auth)
		auth_stop(h->auth);
	pthread_mutex_lock(&h->lock);
	srv = h->servers;
	h->servers = NULL;
	pthread_mutex_unlock(&h->lock);
	while (srv) {
		struct server *next = srv->next;

		/* Every thread that resumes requests (scanner, password thread, reaper) has
		 * stopped after resuming what it held, so a request still suspended here has its
		 * resume pending, which MHD_stop_daemon completes before closing connections. A
		 * request that arrives meanwhile is refused at once (stopped scanner and auth). */
		server_stop(srv);
		srv = next;
	}
}

void http_free(struct http *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n_listen_fds; i++)
		close(h->listen_fds[i]);
	webconfig_unref(h->web);
	auth_destroy(h->auth);
	free(h->clients);
	pthread_cond_destroy(&h->reaper_wake);
	pthread_mutex_destroy(&h->reaper_lock);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
