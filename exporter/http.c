/* http.c — the server: its generations (one per web configuration), reload, the reaper
 * thread, start and stop. The jobs of serving live in files of their own, each with its
 * own state and lock:
 *  - listen.c: the listening sockets (made once, never written again: no lock);
 *  - conns.c: accept policy, connection table, deadlines, refusal counts (conns.lock);
 *  - requests.c: the request state machine, auth bridge, admission, answers (requests.lock,
 *    the current users only), routed by routes.c;
 *  - bodies.c: the snapshot views as shared responses and their memory (atomics only).
 *
 * Threads: libmicrohttpd's pool threads run conns.c's and requests.c's callbacks and never
 * block on a scan or on bcrypt; the scanner (scrape.c) and the password thread (auth.c)
 * resume the requests they were handed; the reaper (reaper_main) cuts connections past
 * their deadlines, releases held clients, logs refusals (rate-limited) and stops retired
 * servers once drained. `http.lock` guards the list of servers and their retirement, and
 * the reload figures; conns.lock is taken under it (never the other way round), auth.c's
 * lock never. */
#include "http.h"

#include "../lib/clock.h"
#include "../lib/log.h"
#include "auth.h"
#include "bodies.h"
#include "conns.h"
#include "requests.h"
#include "webconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REAPER_INTERVAL_MS 100
#define REFUSAL_LOG_INTERVAL_MS 10000
#define RETIRE_GRACE_MS 60000 /* an old server is stopped at the latest this long after a reload */

/* http_stats copies the listeners' ports into the snapshot's exporter figures. */
_Static_assert(STATS_SELF_PORTS == HTTP_MAX_LISTENERS, "every listener's port fits the figures");

/* One libmicrohttpd daemon per listening socket: the current generation, or one retired
 * by a reload. The daemons of a generation share its settings and its callbacks' context.
 * Each daemon is given a duplicate of the listening socket (fds[i]), never the socket
 * itself: libmicrohttpd closes the descriptor it was given when it fails to start or when
 * it is stopped without having been quiesced, and the socket must outlive every
 * generation. A quiesced daemon hands its duplicate back; it is closed after the daemon
 * has stopped. */
struct server {
	struct server *next;
	struct requests_server context; /* requests.c's callbacks'; .tls: NULL for plain HTTP */
	struct conns_group *conns;	/* conns.c's callbacks': this generation's connections */
	struct MHD_Daemon *daemons[HTTP_MAX_LISTENERS];
	int fds[HTTP_MAX_LISTENERS];
	unsigned n_daemons;
	bool quiesced;	      /* (http.lock) each daemon quiesced: stopping them closes no descriptor */
	long long retired_ms; /* 0 while current */
	bool closing;	      /* (http.lock) retired past the grace time: connections cut */
};

struct http {
	struct http_config config;
	struct listeners listeners; /* closed by http_free; daemons get duplicates */
	struct conns *conns;
	struct bodies *bodies; /* a reference: the bodies still held keep theirs */
	struct requests *requests;
	struct auth *auth;

	pthread_mutex_t lock;
	struct server *servers; /* (lock) the current one first, then retired ones */
	bool reload_successful; /* (lock) */
	double reload_success_time;

	pthread_mutex_t reaper_lock;
	pthread_cond_t reaper_wake;
	bool reaper_stop;
	pthread_t reaper_thread;
	bool reaper_started;
};

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
	webconfig_unref(srv->context.tls);
	conns_group_free(srv->conns);
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
			if (conns_group_open(srv->conns) == 0) {
				*link = srv->next;
				drained = srv;
				break;
			}
			if (!srv->closing && now - srv->retired_ms > RETIRE_GRACE_MS) {
				srv->closing = true;
				conns_group_cut(srv->conns);
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
		conns_cut_late(h->conns, now);
		auth_release_held(h->auth, now, false);
		stop_drained_servers(h, now);
		if (now - last_log >= REFUSAL_LOG_INTERVAL_MS) {
			conns_log_refusals(h->conns, REFUSAL_LOG_INTERVAL_MS / 1000);
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

static unsigned pool_size(const struct http_config *config)
{
	long cpus;

	if (config->threads)
		return config->threads;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 2 ? 2 : cpus > 8 ? 8 : (unsigned)cpus;
}

/* The serving threads of each listening socket's daemon (at least one each). */
static unsigned threads_per_listener(const struct http_config *config, unsigned listeners)
{
	unsigned threads = pool_size(config) / listeners;

	return threads < 1 ? 1 : threads;
}

/* Per generation (two while a reload's old one drains): a duplicate of each listening
 * socket, an epoll and an event fd per serving thread. Once: the sockets bound here
 * (systemd's are open already), and per serving thread one accepted socket its accept
 * policy is refusing and one connection over the limit (accepts at the same moment); the
 * config and TLS files a reload reads, one at a time. */
unsigned http_fds_needed(const struct http_config *config)
{
	unsigned listeners = config->systemd_socket ? HTTP_MAX_LISTENERS : config->n_listen_addresses;
	unsigned threads = listeners * threads_per_listener(config, listeners ? listeners : 1);

	return (config->systemd_socket ? 0 : listeners) + 2 * (listeners + 2 * threads) + 2 * threads + 2;
}

/* A server of which only some daemons started: quiesced and retired, so the reaper stops
 * it once the connections its first daemons may already have accepted (and suspended)
 * are gone, as after a reload. */
static void server_abandon(struct http *h, struct server *srv)
{
	log_warn("http: only %u of %u listening sockets got a server; the started ones stop "
		 "accepting and go once their connections are done", srv->n_daemons, h->listeners.n);
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
	unsigned n = 0, threads = threads_per_listener(&h->config, h->listeners.n), listen_option;
	/* libmicrohttpd's own inactivity timeout, in whole seconds, a little later than our
	 * read deadline so that ours decides (and counts) first. */
	unsigned idle_seconds = (h->config.read_timeout_ms + 999) / 1000 + 1;

	if (!srv)
		return NULL;
	srv->conns = conns_group_new(h->conns, web && web->tls);
	if (!srv->conns) {
		free(srv);
		return NULL;
	}
	srv->context.requests = h->requests;
	srv->context.tls = web && web->tls ? webconfig_ref(web) : NULL;
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
						(intptr_t)conns_notify, srv->conns };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
						(intptr_t)requests_completed, &srv->context };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK,
						(intptr_t)requests_unescape, NULL };
	if (srv->context.tls) {
		flags |= MHD_USE_TLS;
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->context.tls->cert_pem };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->context.tls->key_pem };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
							(void *)webconfig_tls_priorities(srv->context.tls) };
		if (srv->context.tls->client_ca_pem)
			options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
								srv->context.tls->client_ca_pem };
	}
	options[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	for (unsigned i = 0; i < h->listeners.n; i++) {
		int fd = fcntl(h->listeners.fds[i], F_DUPFD_CLOEXEC, 0);

		if (fd >= 0) {
			options[listen_option].value = fd;
			srv->daemons[i] = MHD_start_daemon(flags, 0, conns_accept, srv->conns, requests_handle,
							   &srv->context,
							   MHD_OPTION_ARRAY, options, MHD_OPTION_END);
			/* On failure the duplicate is not closed here: libmicrohttpd closes it on
			 * most of its failure paths, and a leaked descriptor is harmless where a
			 * double close is not. */
		}
		if (fd < 0 || !srv->daemons[i]) {
			if (srv->n_daemons) {
				server_abandon(h, srv);
			} else {
				webconfig_unref(srv->context.tls);
				conns_group_free(srv->conns);
				free(srv);
			}
			return NULL;
		}
		srv->fds[i] = fd;
		srv->n_daemons++;
	}
	return srv;
}

/* The modules a server is made of; the listening sockets. 0 or -errno, with `err` set. */
static int http_create_parts(struct http *h, struct scrape *scrape, struct webconfig *web,
			     char *err, size_t errlen)
{
	const struct http_config *config = &h->config;
	const struct conns_config conns_config = {
		.max_connections = config->max_connections,
		.max_connections_per_ip = config->max_connections_per_ip,
		.max_tls_handshakes_per_ip = config->max_tls_handshakes_per_ip,
		.tls_handshake_rate_per_ip = config->tls_handshake_rate_per_ip,
		.read_timeout_ms = config->read_timeout_ms,
		.write_timeout_ms = config->write_timeout_ms,
	};
	const struct requests_config requests_config = {
		.telemetry_path = config->telemetry_path,
		.max_requests = config->max_requests,
	};
	int ret;

	if (conns_create(&h->conns, &conns_config) < 0 || bodies_create(&h->bodies, config->telemetry_path) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = listen_open(&h->listeners, config->listen_addresses, config->n_listen_addresses,
			  config->systemd_socket, err, errlen);
	if (ret < 0)
		return ret;
	ret = auth_create(&h->auth);
	if (ret < 0) {
		snprintf(err, errlen, "cannot start the password thread: %s", strerror(-ret));
		return ret;
	}
	ret = requests_create(&h->requests, &requests_config, scrape, h->auth, h->conns, h->bodies, web);
	if (ret < 0)
		snprintf(err, errlen, "out of memory");
	return ret;
}

int http_start(struct http **out, const struct http_config *config, struct scrape *scrape,
	       struct webconfig *web, char *err, size_t errlen)
{
	int ret;
	struct http *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->config = *config;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->reaper_lock, NULL);
	pthread_cond_init(&h->reaper_wake, NULL);
	ret = http_create_parts(h, scrape, web, err, errlen);
	if (ret < 0)
		goto fail;
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

void http_listen_addresses(struct http *h, char *out, size_t size)
{
	listen_describe(&h->listeners, out, size);
}

void http_status_url(struct http *h, char *out, size_t size)
{
	bool tls;

	pthread_mutex_lock(&h->lock);
	tls = h->servers && h->servers->context.tls;
	pthread_mutex_unlock(&h->lock);
	listen_url(&h->listeners, tls, out, size);
}

int http_reload(struct http *h, struct webconfig *web, char *err, size_t errlen)
{
	struct server *srv, *old;
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
	pthread_mutex_unlock(&h->lock);
	requests_set_web(h->requests, web); /* the new users, for old connections too */
	/* Both generations listen for a moment; from here on only the new one accepts, the old
	 * one finishes its connections and is stopped by the reaper once drained. */
	pthread_mutex_lock(&h->lock);
	handed_back = server_quiesce(old);
	old->retired_ms = clock_monotonic_ms();
	pthread_mutex_unlock(&h->lock);
	if (!handed_back)
		log_warn("reload: the old server did not hand back its listening sockets");
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
	conns_stats(h->conns, out);
	out->response_bytes = bodies_held(h->bodies);
	out->stale_scrapes = requests_stale_scrapes(h->requests);
	pthread_mutex_lock(&h->lock);
	out->reload_successful = h->reload_successful;
	out->reload_success_time = h->reload_success_time;
	pthread_mutex_unlock(&h->lock);
	/* The exporter's own TCP ports, for the status page (the listeners are fixed after start). */
	out->n_self_ports = listen_ports(&h->listeners, out->self_ports, STATS_SELF_PORTS);
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
		conns_log_refusals(h->conns, REFUSAL_LOG_INTERVAL_MS / 1000); /* the last interval's */
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
	listen_close(&h->listeners);
	requests_destroy(h->requests);
	auth_destroy(h->auth);
	conns_destroy(h->conns);
	bodies_unref(h->bodies); /* the bodies snapshots still hold keep it until they go */
	pthread_cond_destroy(&h->reaper_wake);
	pthread_mutex_destroy(&h->reaper_lock);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
