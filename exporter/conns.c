/* conns.c — the accept policy, the connection table, phases and deadline cuts, and the
 * refusal counters (see conns.h).
 *
 * Connections are counted once libmicrohttpd has set them up (NOTIFY_STARTED) and released
 * when they close (NOTIFY_CLOSED); the accept policy only refuses. libmicrohttpd can drop
 * an accepted connection without either notification (allocation or TLS set-up failure),
 * and a count taken at accept would then never be released. Concurrent accepts on the
 * pool's threads can overshoot a limit by at most one connection per thread. */
#include "conns.h"

#include "../lib/clock.h"
#include "../lib/log.h"
#include "buckets.h"
#include "clients.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#define CLIENT_SLACK 256 /* client table entries beyond the limit, for concurrent accepts */
/* How often the reaper looks for connections their clients closed: a peek costs ~2 us a
 * connection receiving a request (4,000 of them: ~7 ms of the reaper under conns.lock), so
 * every 500 ms, not at every pass; such a connection goes within 0.5-1.1 s. */
#define CLIENT_CLOSED_CHECK_MS 500

/* One open connection (libmicrohttpd's socket context). */
struct conn {
	struct conn *prev, *next;
	struct conns_group *group;
	int fd;
	struct client_address address;
	enum conns_phase phase;
	long long phase_start_ms;
	unsigned requests; /* answered on this connection so far */
	bool cut;	   /* shut down by the reaper */
	bool place;	   /* its request holds a place counted for its address */
	bool handshake;	   /* TLS, no request yet: counted in the client's handshakes */
	bool tls_done;	   /* TLS: the client's Finished message has arrived */
	/* The reaper saw the client's end of the stream in this phase (phase_start_ms then). */
	bool client_closed;
	long long client_closed_phase_ms;
};

struct conns_group {
	struct conns *conns;
	unsigned connections; /* (conns.lock) open now */
	bool tls;	      /* the handshake limits apply */
};

struct conns {
	struct conns_config config;
	pthread_mutex_t lock;
	struct conn *list; /* (lock) every open connection */
	unsigned n_conns;  /* (lock) */
	struct clients *clients; /* (lock) */
	unsigned places;	 /* (lock) scrapes being prepared, tracked connections or not */
	struct buckets *tls_rate; /* (lock) NULL: no --web.tls-handshake-rate-per-ip */
	struct client_address last_refused[STATS_REFUSALS]; /* (lock) */
	atomic_uint_fast64_t refused[STATS_REFUSALS];
	uint64_t refusals_logged[STATS_REFUSALS]; /* conns_log_refusals' own */
	long long client_closed_checked_ms;	  /* conns_cut_late's own */
};

/* (lock) Counts an open connection of `a` in `g`. */
static void count_client(struct conns *t, struct conns_group *g, const struct client_address *a)
{
	t->n_conns++;
	g->connections++;
	clients_add(t->clients, a); /* beyond the overshoot the table allows for: counted in all only */
}

/* (lock) Undoes count_client. */
static void release_client(struct conns *t, struct conns_group *g, const struct client_address *a)
{
	t->n_conns--;
	g->connections--;
	clients_release(t->clients, a);
}

/* (lock) `c`'s handshake is over (a request arrived, or it closed). */
static void end_handshake(struct conns *t, struct conn *c)
{
	if (!c->handshake)
		return;
	c->handshake = false;
	clients_handshake(t->clients, &c->address, false);
}

int conns_create(struct conns **out, const struct conns_config *config)
{
	struct conns *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->config = *config;
	if (clients_create(&t->clients, config->max_connections + CLIENT_SLACK) < 0 ||
	    (config->tls_handshake_rate_per_ip &&
	     buckets_create(&t->tls_rate, config->tls_handshake_rate_per_ip) < 0)) {
		clients_destroy(t->clients);
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void conns_destroy(struct conns *t)
{
	if (!t)
		return;
	while (t->list) { /* none when every daemon has stopped */
		struct conn *c = t->list;

		t->list = c->next;
		free(c);
	}
	clients_destroy(t->clients);
	buckets_destroy(t->tls_rate);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct conns_group *conns_group_new(struct conns *t, bool tls)
{
	struct conns_group *g = calloc(1, sizeof(*g));

	if (g) {
		g->conns = t;
		g->tls = tls;
	}
	return g;
}

void conns_group_free(struct conns_group *g)
{
	free(g);
}

unsigned conns_group_open(struct conns_group *g)
{
	unsigned n;

	pthread_mutex_lock(&g->conns->lock);
	n = g->connections;
	pthread_mutex_unlock(&g->conns->lock);
	return n;
}

void conns_group_cut(struct conns_group *g)
{
	struct conns *t = g->conns;

	pthread_mutex_lock(&t->lock);
	for (struct conn *c = t->list; c; c = c->next)
		if (c->group == g && c->fd >= 0 && !c->cut) {
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
		}
	pthread_mutex_unlock(&t->lock);
}

/* ---- refusals ------------------------------------------------------------------------------ */

/* (lock, when `address` is given) */
static void record_refusal(struct conns *t, enum stats_refusal reason, const struct client_address *address)
{
	if (address)
		t->last_refused[reason] = *address;
	atomic_fetch_add_explicit(&t->refused[reason], 1, memory_order_relaxed);
}

void conns_refuse(struct conns *t, enum stats_refusal reason, const struct client_address *address)
{
	if (!address) {
		record_refusal(t, reason, NULL);
		return;
	}
	pthread_mutex_lock(&t->lock);
	record_refusal(t, reason, address);
	pthread_mutex_unlock(&t->lock);
}

void conns_log_refusals(struct conns *t, unsigned interval_seconds)
{
	for (unsigned r = 0; r < STATS_REFUSALS; r++) {
		uint64_t now = atomic_load_explicit(&t->refused[r], memory_order_relaxed);
		char address[INET6_ADDRSTRLEN];

		if (now == t->refusals_logged[r])
			continue;
		pthread_mutex_lock(&t->lock);
		address_text(&t->last_refused[r], address, sizeof(address));
		pthread_mutex_unlock(&t->lock);
		if (r == STATS_REFUSED_UNAUTHORIZED || r == STATS_REFUSED_AUTH_THROTTLED ||
		    r == STATS_REFUSED_AUTH_QUEUE_FULL || r == STATS_REFUSED_MAX_REQUESTS ||
		    r == STATS_REFUSED_OUT_OF_MEMORY)
			log_warn("http: refused %llu requests (%s) in the last %u s, the last from %s",
				 (unsigned long long)(now - t->refusals_logged[r]), stats_refusal_names[r],
				 interval_seconds, address);
		else
			log_warn("http: refused or cut %llu connections (%s) in the last %u s, the last "
				 "from %s",
				 (unsigned long long)(now - t->refusals_logged[r]), stats_refusal_names[r],
				 interval_seconds, address);
		t->refusals_logged[r] = now;
	}
}

void conns_stats(struct conns *t, struct exporter_stats *out)
{
	for (unsigned r = 0; r < STATS_REFUSALS; r++)
		out->refused[r] = atomic_load_explicit(&t->refused[r], memory_order_relaxed);
	pthread_mutex_lock(&t->lock);
	out->connections_open = t->n_conns;
	pthread_mutex_unlock(&t->lock);
}

/* ---- libmicrohttpd's callbacks ------------------------------------------------------------- */

/* (lock) A TLS connection of `a` over its handshake limits: too many in progress, or its
 * bucket of new connections empty (a token is taken only when the rest admits it). */
static bool over_handshake_limits(struct conns *t, const struct client_address *a)
{
	struct timespec now;

	if (t->config.max_tls_handshakes_per_ip &&
	    clients_handshakes(t->clients, a) >= t->config.max_tls_handshakes_per_ip)
		return true;
	if (!t->tls_rate)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return !buckets_take(t->tls_rate, a, (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
}

static struct conn *lock_conn(struct MHD_Connection *connection);

/* gnutls's hook after the client's Finished message (TLS 1.2 and 1.3 alike), inside
 * libmicrohttpd's gnutls_handshake on the serving thread: the handshake is done. */
static int handshake_finished(gnutls_session_t session, unsigned htype, unsigned when,
			      unsigned incoming, const gnutls_datum_t *msg)
{
	struct conn *c;

	(void)htype;
	(void)when;
	(void)msg;
	if (!incoming)
		return 0;
	c = lock_conn(gnutls_session_get_ptr(session));
	if (c) {
		c->tls_done = true;
		pthread_mutex_unlock(&c->group->conns->lock);
	}
	return 0;
}

/* Watches `connection`'s TLS handshake for its end. The session is read only here and in
 * the hook, never at NOTIFY_CLOSED: libmicrohttpd 0.9 frees it before that notification.
 * libmicrohttpd keeps the connection as the session's pointer; were it not so, the
 * handshake is taken as done (no tls_handshake count) rather than guessed. */
static void watch_handshake(struct conn *c, struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session = info ? (gnutls_session_t)info->tls_session : NULL;

	if (session && gnutls_session_get_ptr(session) == connection)
		gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_FINISHED, GNUTLS_HOOK_POST,
						   handshake_finished);
	else
		c->tls_done = true;
}

enum MHD_Result conns_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct conns_group *g = cls;
	struct conns *t = g->conns;
	struct client_address a;
	enum stats_refusal reason = STATS_REFUSALS;

	(void)len;
	if (!address_of(sa, &a))
		return MHD_YES; /* not an IP client (cannot happen on a TCP socket) */
	pthread_mutex_lock(&t->lock);
	if (t->n_conns >= t->config.max_connections)
		reason = STATS_REFUSED_CONNECTION_LIMIT;
	else if (t->config.max_connections_per_ip &&
		 clients_count(t->clients, &a) >= t->config.max_connections_per_ip)
		reason = STATS_REFUSED_CLIENT_CONNECTION_LIMIT;
	else if (g->tls && over_handshake_limits(t, &a))
		reason = STATS_REFUSED_TLS_HANDSHAKE_LIMIT;
	if (reason != STATS_REFUSALS)
		record_refusal(t, reason, &a);
	pthread_mutex_unlock(&t->lock);
	return reason == STATS_REFUSALS ? MHD_YES : MHD_NO;
}

void conns_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
		  enum MHD_ConnectionNotificationCode toe)
{
	struct conns_group *g = cls;
	struct conns *t = g->conns;
	struct conn *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd_info =
			MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *addr_info =
			MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		c = calloc(1, sizeof(*c));
		if (!c)
			return; /* out of memory: served untracked and uncounted */
		pthread_mutex_lock(&t->lock);
		c->group = g;
		c->fd = fd_info ? fd_info->connect_fd : -1;
		if (addr_info)
			address_of(addr_info->client_addr, &c->address);
		count_client(t, g, &c->address);
		if (g->tls) {
			c->handshake = true;
			clients_handshake(t->clients, &c->address, true);
			watch_handshake(c, connection);
		}
		c->phase = CONNS_READ;
		c->phase_start_ms = clock_monotonic_ms();
		c->next = t->list;
		if (t->list)
			t->list->prev = c;
		t->list = c;
		pthread_mutex_unlock(&t->lock);
		*socket_context = c;
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED comes before libmicrohttpd closes the socket, so the
	 * reaper (which shuts sockets down under the lock) never touches a reused fd. */
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		t->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->handshake && !c->cut && !c->tls_done)
		record_refusal(t, STATS_REFUSED_TLS_HANDSHAKE, &c->address); /* the reaper's cut counts itself */
	end_handshake(t, c);
	release_client(t, g, &c->address);
	pthread_mutex_unlock(&t->lock);
	free(c);
	*socket_context = NULL;
}

/* The connection's entry with its table's lock taken, or NULL (untracked: out of memory at
 * set-up). */
static struct conn *lock_conn(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *c = info ? info->socket_context : NULL;

	if (c)
		pthread_mutex_lock(&c->group->conns->lock);
	return c;
}

/* A connection late in its phase: a read or a write timeout. */
static enum stats_refusal timeout_reason(const struct conn *c)
{
	return c->phase == CONNS_READ ? STATS_REFUSED_READ_TIMEOUT : STATS_REFUSED_WRITE_TIMEOUT;
}

void conns_set_phase(struct MHD_Connection *connection, enum conns_phase phase)
{
	struct conn *c = lock_conn(connection);

	if (!c)
		return;
	end_handshake(c->group->conns, c);
	if (phase == CONNS_READ && c->phase == CONNS_WRITE)
		c->requests++; /* a response was sent: the connection waits for the next request */
	c->phase = phase;
	c->phase_start_ms = clock_monotonic_ms();
	pthread_mutex_unlock(&c->group->conns->lock);
}

void conns_note_timeout(struct MHD_Connection *connection)
{
	struct conn *c = lock_conn(connection);

	if (!c)
		return;
	record_refusal(c->group->conns, timeout_reason(c), &c->address);
	pthread_mutex_unlock(&c->group->conns->lock);
}

/* ---- places among the scrapes being prepared ---------------------------------------------- */

bool conns_take_place(struct conns *t, struct MHD_Connection *connection, unsigned max)
{
	struct conn *c = lock_conn(connection);
	bool allowed;

	if (!c) /* untracked (out of memory at set-up): an address holding none */
		pthread_mutex_lock(&t->lock);
	allowed = clients_place_allowed(t->places, max, c ? clients_places(t->clients, &c->address) : 0,
					c ? clients_placed(t->clients) : 0);
	if (allowed) {
		t->places++;
		if (c && !c->place)
			c->place = clients_take_place(t->clients, &c->address);
	}
	pthread_mutex_unlock(&t->lock);
	return allowed;
}

void conns_return_place(struct conns *t, struct MHD_Connection *connection)
{
	struct conn *c = lock_conn(connection);

	if (!c)
		pthread_mutex_lock(&t->lock);
	t->places--;
	if (c && c->place) {
		clients_return_place(t->clients, &c->address);
		c->place = false;
	}
	pthread_mutex_unlock(&t->lock);
}

/* ---- deadlines ----------------------------------------------------------------------------- */

/* (lock) Whether a connection receiving a request has been closed by its client, and was
 * already at the previous check in the same phase: the client's FIN is in and
 * nothing is left unread (a peek reads 0), which libmicrohttpd 0.9.75 misses when the FIN
 * came with the last bytes it read (epoll, edge-triggered: a short read counts as "no more
 * to read", and the end of the stream raises no new event; fixed in 1.0.0). Two checks: a
 * request that ended with the FIN is answered (the phase moves on) before the second. One
 * syscall a connection in that phase, none for the others. */
static bool client_gone(struct conn *c)
{
	char byte;

	if (c->phase != CONNS_READ || recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0) {
		c->client_closed = false;
		return false;
	}
	if (c->client_closed && c->client_closed_phase_ms == c->phase_start_ms)
		return true;
	c->client_closed = true;
	c->client_closed_phase_ms = c->phase_start_ms;
	return false;
}

void conns_cut_late(struct conns *t, long long now)
{
	bool check_closed = now - t->client_closed_checked_ms >= CLIENT_CLOSED_CHECK_MS;

	if (check_closed)
		t->client_closed_checked_ms = now;
	pthread_mutex_lock(&t->lock);
	for (struct conn *c = t->list; c; c = c->next) {
		long long limit = c->phase == CONNS_READ    ? (long long)t->config.read_timeout_ms
				  : c->phase == CONNS_WRITE ? (long long)t->config.write_timeout_ms
							    : -1;

		if (c->cut || c->fd < 0)
			continue;
		if (check_closed && client_gone(c)) {
			shutdown(c->fd, SHUT_RDWR); /* libmicrohttpd sees it and closes the connection */
			c->cut = true;
			/* After answered requests, a client that half-closed once its last was sent
			 * (HTTP/1.0 style): ordinary, as an idle kept-alive connection's close. */
			if (c->requests == 0)
				record_refusal(t, STATS_REFUSED_CLIENT_CLOSED, &c->address);
			continue;
		}
		if (limit < 0 || now - c->phase_start_ms <= limit)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->cut = true;
		/* A kept-alive connection that has served requests and waits for the next one is
		 * simply closed when idle too long: that is ordinary, not a refusal. */
		if (c->phase == CONNS_READ && c->requests > 0)
			continue;
		record_refusal(t, timeout_reason(c), &c->address);
	}
	pthread_mutex_unlock(&t->lock);
}
