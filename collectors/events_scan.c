/* events_scan.c — the tcp.events collector's side of a scan: a new view of the target's
 * last scan (and the listeners it saw go down or come up), and the copies of the counters and
 * the ring of recent events that a snapshot keeps. */
#include "events_internal.h"

#include "../lib/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a scan's side ------------------------------------------------------------------------ */

static bool listening(const struct events_view *v, uint16_t port)
{
	return classify_bit(v->listening, port);
}


/* Ports the last scan saw listening and this one does not go down; ports down that listen
 * again come up. Under the lock: the ring and the down list. */
static void note_transitions(struct events *ev, struct events_source *src,
			     const struct events_view *old, const struct events_view *now,
			     double time)
{
	struct events_recent_entry *e;

	for (unsigned i = 0; i < old->n_listeners; i++) {
		uint16_t port = old->listeners[i].port;

		if (listening(now, port))
			continue;
		if (src->n_down == EVENTS_DOWN_MAX) /* the oldest is forgotten */
			memmove(src->down, src->down + 1, --src->n_down * sizeof(src->down[0]));
		src->down[src->n_down++] = (struct events_down){ port, time };
		if ((e = events_ring_add(ev, EVENTS_KIND_LISTENER_DOWN, time, src->netns)) != NULL) {
			e->role = CLASSIFY_SERVER;
			e->port = e->sport = port;
			snprintf(e->process, sizeof(e->process), "%s", old->listeners[i].process);
		}
	}
	for (unsigned d = 0; d < src->n_down;) {
		uint16_t port = src->down[d].port;

		if (!listening(now, port)) {
			d++;
			continue;
		}
		memmove(src->down + d, src->down + d + 1, (src->n_down - d - 1) * sizeof(src->down[0]));
		src->n_down--;
		if ((e = events_ring_add(ev, EVENTS_KIND_LISTENER_UP, time, src->netns)) != NULL) {
			const char *process = events_view_listener(now, port);

			e->role = CLASSIFY_SERVER;
			e->port = e->sport = port;
			snprintf(e->process, sizeof(e->process), "%s", process ? process : "");
		}
	}
}

void events_source_update(struct events *ev, struct events_source *src, const struct tcp_result *tcp,
			  bool expect, const char *netns)
{
	struct events_view *next;

	/* A failed dump knows no listeners: classify with the last scan that did. */
	if (!src || !tcp || !tcp->has_sockets)
		return;
	/* Only the active view is read by the thread, so the other is filled unlocked. */
	next = src->view == &src->views[0] ? &src->views[1] : &src->views[0];
	events_view_fill(next, tcp, expect ? ev->expected : NULL, ev->client_ports);
	pthread_mutex_lock(&ev->lock);
	snprintf(src->netns, sizeof(src->netns), "%s", netns);
	if (src->has_view)
		note_transitions(ev, src, src->view, next, clock_seconds(CLOCK_REALTIME));
	/* Listening ports have their label sets before their first close: a counter that
	 * appears at 1 would lose that close to rate(). */
	for (unsigned i = 0; i < next->n_listeners; i++) {
		struct events_class c = { .role = CLASSIFY_SERVER, .port = next->listeners[i].port };
		bool folded;

		events_table_slot(&src->roles[CLASSIFY_SERVER], &c, ev->config.max_ports, &folded);
	}
	src->view = next;
	src->has_view = true;
	pthread_mutex_unlock(&ev->lock);
}

static unsigned table_entries(const struct events_table *t)
{
	return t->n + (t->other_used ? 1 : 0);
}

static void table_copy(const struct events_table *t, struct events_port *out)
{
	for (unsigned i = 0; i < t->n; i++)
		out[i] = (struct events_port){ t->ports[i], false, t->counts[t->index[i]] };
	if (t->other_used)
		out[t->n] = (struct events_port){ 0, true, t->other };
}

static void copy_down(const struct events_source *src, struct events_result *out)
{
	out->n_down = src->n_down;
	for (unsigned d = 0; d < src->n_down; d++) {
		out->down[d].port = src->down[d].port;
		out->down[d].since = src->down[d].since;
	}
}

void events_source_down(struct events *ev, struct events_source *src, struct events_result *out)
{
	if (!src)
		return;
	pthread_mutex_lock(&ev->lock);
	copy_down(src, out);
	pthread_mutex_unlock(&ev->lock);
}

int events_source_copy(struct events *ev, struct events_source *src, struct events_result *out)
{
	struct events_port *ports;
	unsigned n[CLASSIFY_ROLES], total = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ev->lock);
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		total += n[r] = table_entries(&src->roles[r]);
	ports = calloc(total ? total : 1, sizeof(*ports));
	if (!ports) {
		pthread_mutex_unlock(&ev->lock);
		return -ENOMEM;
	}
	for (int r = 0, at = 0; r < CLASSIFY_ROLES; at += (int)n[r], r++) {
		out->ports[r] = ports + at;
		out->n_ports[r] = n[r];
		out->folded[r] = src->roles[r].folded;
		table_copy(&src->roles[r], out->ports[r]);
	}
	out->subscribed = src->fd >= 0;
	out->events_total = src->events_total;
	out->lost_total = src->lost_total;
	out->unparsed_total = src->unparsed_total;
	out->receive_buffer_bytes = src->receive_buffer;
	copy_down(src, out);
	/* A scan window that lost events (or whose socket failed) fails the collector. */
	if (src->lost_total != src->lost_copied)
		ret = -ENOBUFS;
	else if (src->error)
		ret = src->error;
	src->lost_copied = src->lost_total;
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

void events_result_free(struct events_result *result)
{
	if (!result)
		return;
	free(result->ports[0]);
	memset(result, 0, sizeof(*result));
}

int events_recent_copy(struct events *ev, struct events_recent *out)
{
	unsigned cap = ev->config.recent;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ev->lock);
	out->since = ev->since;
	out->capacity = cap;
	out->total = ev->ring_total;
	out->n = ev->ring_total < cap ? (unsigned)ev->ring_total : cap;
	if (out->n) {
		out->entries = malloc(out->n * sizeof(*out->entries));
		if (!out->entries) {
			pthread_mutex_unlock(&ev->lock);
			out->n = 0;
			return -ENOMEM;
		}
		for (unsigned i = 0; i < out->n; i++) /* newest first */
			out->entries[i] = ev->ring[(ev->ring_next + cap - 1 - i) % cap];
	}
	pthread_mutex_unlock(&ev->lock);
	return 0;
}

void events_recent_free(struct events_recent *recent)
{
	free(recent->entries);
	memset(recent, 0, sizeof(*recent));
}
