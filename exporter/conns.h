/* conns.h — open connections: the accept policy (--web.max-connections in all and
 * --web.max-connections-per-ip), the table of connections with their phase and deadline,
 * the reaper's deadline cuts, and every refusal's count.
 *
 * The per-address counts live in a hash table (clients.c), so an accept costs the same
 * with 4,000 connections open as with one. On a TLS server the accept policy also bounds
 * each address's handshakes in progress (--web.max-tls-handshakes-per-ip: a TLS connection
 * counts from its set-up until its first request arrives) and its new connections per
 * second (--web.tls-handshake-rate-per-ip, token buckets in buckets.c): a handshake costs
 * the server a signature, a refusal at accept almost nothing. Each server generation (http.c) has a group: its
 * connections, counted so that a retired one is stopped once drained. libmicrohttpd calls
 * conns_accept and conns_notify directly, with the group as their context.
 *
 * conns.lock (in conns.c) guards the table, the groups' counts and the last refused
 * addresses; nothing else is taken while it is held. Counters are atomics. */
#ifndef TCPH_CONNS_H
#define TCPH_CONNS_H

#include "address.h"
#include "stats.h"

#include <microhttpd.h>
#include <stdbool.h>

struct conns;
struct conns_group;

struct conns_config {
	unsigned max_connections;	 /* in all */
	unsigned max_connections_per_ip; /* per client address; 0: no limit */
	unsigned max_tls_handshakes_per_ip; /* TLS handshakes in progress per address; 0: no limit */
	unsigned tls_handshake_rate_per_ip; /* new TLS connections per second per address (burst
					     * twice that); 0: no limit */
	unsigned read_timeout_ms;
	unsigned write_timeout_ms;
};

/* Where a connection is: which deadline runs. */
enum conns_phase {
	CONNS_READ,  /* receiving a request (or waiting for the next one): read deadline */
	CONNS_WAIT,  /* the request is being answered (suspended or rendering): no deadline */
	CONNS_WRITE, /* the response is queued: write deadline */
};

/* 0 or -ENOMEM. */
int conns_create(struct conns **out, const struct conns_config *config);
/* After every group's daemons have stopped. NULL is ignored. */
void conns_destroy(struct conns *t);

/* A server generation's connections; `tls`: its connections are TLS (the handshake
 * limits apply). NULL when out of memory. */
struct conns_group *conns_group_new(struct conns *t, bool tls);
/* Once the group's daemons have stopped (every connection of it is closed). */
void conns_group_free(struct conns_group *g);
/* Connections of the group open now. */
unsigned conns_group_open(struct conns_group *g);
/* Shuts down every connection of the group (a retired server past its grace time). */
void conns_group_cut(struct conns_group *g);

/* libmicrohttpd's accept policy (MHD_AcceptPolicyCallback), `cls` a group: refuses a
 * connection over a limit (counted as a refusal). */
enum MHD_Result conns_accept(void *cls, const struct sockaddr *sa, socklen_t len);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION, `cls` a group: counts a connection once it
 * is set up, releases it when it closes; a TLS connection closed before its handshake
 * finished (abandoned or failed, not cut by the reaper) is counted as `tls_handshake`. */
void conns_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
		  enum MHD_ConnectionNotificationCode toe);

/* The connection enters `phase`: its deadline starts now (and a request has arrived: a
 * TLS connection's handshake is no longer in progress). Untracked connections (out of
 * memory at set-up) are ignored. */
void conns_set_phase(struct MHD_Connection *connection, enum conns_phase phase);
/* libmicrohttpd's own inactivity timeout ended a request on the connection (a client that
 * stopped reading or sending): a read or write timeout refusal, by the phase it was in. */
void conns_note_timeout(struct MHD_Connection *connection);

/* Admission to the scrapes being prepared (--web.max-requests: `max` places, 0 no limit),
 * shared between client addresses by clients_place_allowed. true: the request on
 * `connection` holds a place until conns_return_place (once). Refusals are the caller's to
 * count. */
bool conns_take_place(struct conns *t, struct MHD_Connection *connection, unsigned max);
void conns_return_place(struct conns *t, struct MHD_Connection *connection);

/* Counts a refusal, and remembers `address` (NULL: the reason is a request's, logged
 * without one) as its last. The one place refusals are counted. */
void conns_refuse(struct conns *t, enum stats_refusal reason, const struct client_address *address);

/* The reaper: shuts down connections past their deadline (libmicrohttpd then sees the
 * socket fail and closes it), and connections whose client closed them while a request
 * was being received (client_closed; libmicrohttpd would keep them until the read
 * timeout). Suspended requests (CONNS_WAIT) are never cut. */
void conns_cut_late(struct conns *t, long long now_ms);
/* The reaper: one log line per reason with refusals since the last call. Only the reaper
 * (or http_stop once it has stopped) calls it. */
void conns_log_refusals(struct conns *t, unsigned interval_seconds);

/* The refusal counters and the connections open. */
void conns_stats(struct conns *t, struct exporter_stats *out);

#endif
