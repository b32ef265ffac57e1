/* event_classify.c — one destroy message to its label set and outcome, with what the
 * target's last scan knew (see events.h). Pure: no I/O, no allocation after init.
 *
 * The message is the socket as the kernel frees it: its state is always CLOSE, and it has
 * no timer, uid, inode or error (docs/destroy-events.md has every ending, recorded in
 * tests/data/events). What tells the endings apart is what is left, first match wins:
 *   local port 0 (and no remote)        never bound: unconnected;
 *   remote port and address 0           a listener (its port listened in the last scan, or
 *                                       is a server's port), else a socket only bound;
 *   remote port 0, remote address kept  disconnected by the kernel before the free, which
 *                                       zeroes the counters: a blocking connect that timed
 *                                       out (retransmissions survive), else disconnected
 *                                       (a refused blocking connect, SO_LINGER 0, a queued
 *                                       connection dropped with its listener);
 *   nothing acknowledged, received or   never established: refused when a segment (the
 *   negotiated                          reset) came back, timed out when none did;
 *   probes out, zero window, unacked    the kernel gave up probing a zero window;
 *   consecutive retransmissions > 0     it gave up retransmitting (retries2, user timeout);
 *   probes out > 0                      keepalive probes went unanswered;
 *   more than 1 byte never read         the application closed with unread data (the
 *                                       kernel reset the connection);
 *   otherwise                           normal (a FIN exchange, or a reset received: not
 *                                       told apart). */
#include "events.h"

#include "diag_compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const char *const events_outcome_names[EVENTS_OUTCOMES] = {
	[EVENTS_NORMAL] = "normal",
	[EVENTS_CONNECT_REFUSED] = "connect_refused",
	[EVENTS_CONNECT_TIMEOUT] = "connect_timeout",
	[EVENTS_RETRANSMIT_TIMEOUT] = "retransmit_timeout",
	[EVENTS_KEEPALIVE_TIMEOUT] = "keepalive_timeout",
	[EVENTS_ZERO_WINDOW_TIMEOUT] = "zero_window_timeout",
	[EVENTS_CLOSED_UNREAD] = "closed_unread",
	[EVENTS_DISCONNECTED] = "disconnected",
	[EVENTS_UNCONNECTED] = "unconnected",
};

const char *const events_kind_names[EVENTS_KINDS] = {
	[EVENTS_KIND_CLOSE] = "close",
	[EVENTS_KIND_LISTENER_CLOSED] = "listener_closed",
	[EVENTS_KIND_LISTENER_DOWN] = "listener_down",
	[EVENTS_KIND_LISTENER_UP] = "listener_up",
};

static bool bit(const uint8_t *bits, uint16_t port)
{
	return bits && classify_bit(bits, port);
}

static bool is_ephemeral(const struct events_view *v, uint16_t port)
{
	return port >= v->eph_low && port <= v->eph_high;
}

static bool address_zero(const struct sockdiag_record *r)
{
	static const uint8_t zero[16];

	return memcmp(r->daddr, zero, r->family == AF_INET6 ? 16 : 4) == 0;
}

/* A port the scan would count as a server's: listening, expected, or a well-known port. */
static bool server_port(const struct events_view *v, uint16_t port)
{
	return bit(v->listening, port) || bit(v->expected, port) ||
	       (port != 0 && !is_ephemeral(v, port));
}

/* The scan's policy (classify.h) for a connection with both ports known. */
static void label_connection(const struct events_view *v, const struct sockdiag_record *r,
			     struct events_class *out)
{
	if (bit(v->listening, r->sport) || bit(v->expected, r->sport) ||
	    (!is_ephemeral(v, r->sport) && is_ephemeral(v, r->dport))) {
		out->role = CLASSIFY_SERVER;
		out->port = r->sport;
		return;
	}
	out->role = CLASSIFY_CLIENT;
	if (bit(v->client_ports, r->dport) || !is_ephemeral(v, r->dport))
		out->port = r->dport;
	else
		out->other = true;
}

/* Remote port gone: only the local port can say which label set, and only a server's. */
static void label_local(const struct events_view *v, const struct sockdiag_record *r,
			struct events_class *out)
{
	if (server_port(v, r->sport)) {
		out->role = CLASSIFY_SERVER;
		out->port = r->sport;
	} else {
		out->role = CLASSIFY_CLIENT;
		out->other = true;
	}
}

/* Remote port and address 0: a listener, or a socket that was only bound. One the last scan
 * saw listening is a listener; so is one on a server's port that listened only between two
 * scans (a crash loop); one bound to an ephemeral port and never seen listening is not. */
static void classify_unconnected(const struct events_view *v, const struct sockdiag_record *r,
				 struct events_class *out)
{
	if (r->sport != 0 && server_port(v, r->sport)) {
		out->kind = EVENTS_KIND_LISTENER_CLOSED;
		out->role = CLASSIFY_SERVER;
		out->port = r->sport;
		return;
	}
	out->outcome = EVENTS_UNCONNECTED;
	out->role = CLASSIFY_CLIENT;
	out->other = true;
}

void events_classify(const struct events_view *v, const struct sockdiag_record *r,
		     struct events_class *out)
{
	const struct tcp_info *i = &r->info;

	memset(out, 0, sizeof(*out));
	out->kind = EVENTS_KIND_CLOSE;
	if (r->dport == 0) {
		if (address_zero(r)) {
			classify_unconnected(v, r, out);
			return;
		}
		/* Disconnected first: the counters are gone, the retransmissions of a SYN stay. */
		out->outcome = i->tcpi_retransmits > 0 && r->info_len ? EVENTS_CONNECT_TIMEOUT
								  : EVENTS_DISCONNECTED;
		label_local(v, r, out);
		return;
	}
	label_connection(v, r, out);
	if (r->info_len == 0)
		out->outcome = EVENTS_NORMAL; /* nothing to judge by */
	else if (i->tcpi_bytes_acked == 0 && i->tcpi_bytes_received == 0 && i->tcpi_options == 0)
		out->outcome = i->tcpi_segs_in == 0 ? EVENTS_CONNECT_TIMEOUT : EVENTS_CONNECT_REFUSED;
	else if (i->tcpi_probes > 0 && i->tcpi_snd_wnd == 0 && r->wqueue > 0)
		out->outcome = EVENTS_ZERO_WINDOW_TIMEOUT;
	else if (i->tcpi_retransmits > 0)
		out->outcome = EVENTS_RETRANSMIT_TIMEOUT;
	else if (i->tcpi_probes > 0)
		out->outcome = EVENTS_KEEPALIVE_TIMEOUT;
	else if (r->rqueue > 1)
		out->outcome = EVENTS_CLOSED_UNREAD;
	else
		out->outcome = EVENTS_NORMAL;
}

static bool same_connection(const struct events_owner *o, const struct sockdiag_record *r)
{
	size_t len = r->family == AF_INET6 ? 16 : 4;

	return o->family == r->family && o->sport == r->sport && o->dport == r->dport &&
	       memcmp(o->saddr, r->saddr, len) == 0 && memcmp(o->daddr, r->daddr, len) == 0;
}

const char *events_view_listener(const struct events_view *v, uint16_t port)
{
	unsigned lo = 0, hi = v->n_listeners;

	while (lo < hi) { /* listeners are sorted by port */
		unsigned mid = (lo + hi) / 2;

		if (v->listeners[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->n_listeners && v->listeners[lo].port == port && v->listeners[lo].process[0])
		return v->listeners[lo].process;
	return NULL;
}

const char *events_owner_of(const struct events_view *v, const struct sockdiag_record *r,
			    const struct events_class *c)
{
	const char *process = c->role == CLASSIFY_SERVER && !c->other ? events_view_listener(v, c->port)
								      : NULL;

	if (process)
		return process;
	for (unsigned k = 0; k < v->n_owners; k++)
		if (same_connection(&v->owners[k], r))
			return v->owners[k].process[0] ? v->owners[k].process : NULL;
	return NULL;
}

/* ---- the view of a target's last scan -------------------------------------------------- */

int events_view_init(struct events_view *v, unsigned max_ports, unsigned worst_max)
{
	memset(v, 0, sizeof(*v));
	v->eph_low = 32768; /* the kernel's default until a scan says otherwise */
	v->eph_high = 60999;
	v->max_listeners = max_ports;
	v->max_owners = worst_max * TCPAGG_WORST_KINDS;
	v->listeners = calloc(v->max_listeners ? v->max_listeners : 1, sizeof(*v->listeners));
	v->owners = calloc(v->max_owners ? v->max_owners : 1, sizeof(*v->owners));
	if (!v->listeners || !v->owners) {
		events_view_fini(v);
		return -ENOMEM;
	}
	return 0;
}

void events_view_fini(struct events_view *v)
{
	free(v->listeners);
	free(v->owners);
	v->listeners = NULL;
	v->owners = NULL;
}

static void view_listeners(struct events_view *v, const struct tcp_result *tcp)
{
	/* ports[SERVER] is sorted by port with "other" last, listeners[i] beside it. */
	for (unsigned i = 0; i < tcp->n_ports[CLASSIFY_SERVER]; i++) {
		const struct tcp_port *p = &tcp->ports[CLASSIFY_SERVER][i];
		const struct tcpagg_listener *l = &tcp->listeners[i];

		if (p->other || !l->sockets)
			continue;
		v->listening[p->port >> 3] |= (uint8_t)(1u << (p->port & 7));
		if (v->n_listeners < v->max_listeners) {
			v->listeners[v->n_listeners].port = p->port;
			snprintf(v->listeners[v->n_listeners].process, TCPAGG_PROCESS_NAME, "%s",
				 l->n_addresses ? l->addresses[0].process : "");
			v->n_listeners++;
		}
	}
}

static void view_owners(struct events_view *v, const struct tcp_result *tcp)
{
	for (unsigned k = 0; k < TCPAGG_WORST_KINDS; k++)
		for (unsigned j = 0; j < tcp->worst[k].n && v->n_owners < v->max_owners; j++) {
			const struct tcpagg_connection *c = &tcp->worst[k].top[j];
			struct events_owner *o = &v->owners[v->n_owners];

			if (!c->process[0])
				continue;
			o->family = c->family;
			o->sport = c->sport;
			o->dport = c->dport;
			memcpy(o->saddr, c->saddr, sizeof(o->saddr));
			memcpy(o->daddr, c->daddr, sizeof(o->daddr));
			memcpy(o->process, c->process, sizeof(o->process));
			v->n_owners++;
		}
}

void events_view_fill(struct events_view *v, const struct tcp_result *tcp, const uint8_t *expected,
		      const uint8_t *client_ports)
{
	memset(v->listening, 0, sizeof(v->listening));
	v->n_listeners = 0;
	v->n_owners = 0;
	v->expected = expected;
	v->client_ports = client_ports;
	if (!tcp || !tcp->has_sockets)
		return; /* the last range and no listeners: what an event can still be told by */
	v->eph_low = tcp->eph_low;
	v->eph_high = tcp->eph_high;
	view_listeners(v, tcp);
	view_owners(v, tcp);
}
