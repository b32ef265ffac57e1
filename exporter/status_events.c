/* status_events.c — the tcp.events collector's part of the status document (status.h,
 * docs/status-api.md "Closed connections"): per namespace, the closed connections counted by
 * port, role and outcome since start, the listener closes, the listeners a scan saw go down
 * and the collector's own figures; at the top, the ring of recent events, newest first.
 * Every number is read from the snapshot, the same numbers /metrics renders. */
#include "status_build.h"

#include "fields.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

json_t *status_time_json(double unix_time)
{
	char text[40];
	time_t t = (time_t)unix_time;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(text, sizeof(text), "?");
	return json_string(text);
}

static json_t *port_json(bool other, uint16_t port)
{
	return other ? json_null() : json_integer(port);
}

/* {"normal": n, ...}: every outcome, as /metrics has a series for each. */
static json_t *outcomes_json(struct status_builder *b, const uint64_t closed[EVENTS_OUTCOMES])
{
	json_t *o = json_object();

	for (unsigned k = 0; k < EVENTS_OUTCOMES; k++)
		status_put(b, o, events_outcome_names[k], status_uint_json(closed[k]));
	return o;
}

static void counts_fields(struct status_builder *b, json_t *o, const struct events_counts *c,
			  enum classify_role role)
{
	uint64_t total = 0;

	for (unsigned k = 0; k < EVENTS_OUTCOMES; k++)
		total += c->closed[k];
	status_put(b, o, "closed_total", status_uint_json(total));
	status_put(b, o, "not_normal_total", status_uint_json(total - c->closed[EVENTS_NORMAL]));
	status_put(b, o, "closed", outcomes_json(b, c->closed));
	/* Listener closes are counted for the server label sets only, as in /metrics. */
	status_put(b, o, "listener_closed_total",
		   role == CLASSIFY_SERVER ? status_uint_json(c->listener_closed) : json_null());
	status_put(b, o, "segments_sent_total", status_uint_json(c->segs_out));
	status_put(b, o, "segments_retransmitted_total", status_uint_json(c->retrans_segs));
	status_put(b, o, "bytes_acked_total", status_uint_json(c->bytes_acked));
	status_put(b, o, "bytes_received_total", status_uint_json(c->bytes_received));
}

static void add_counts(struct events_counts *sum, const struct events_counts *c)
{
	for (unsigned k = 0; k < EVENTS_OUTCOMES; k++)
		sum->closed[k] += c->closed[k];
	sum->segs_out += c->segs_out;
	sum->retrans_segs += c->retrans_segs;
	sum->bytes_acked += c->bytes_acked;
	sum->bytes_received += c->bytes_received;
	sum->listener_closed += c->listener_closed;
}

json_t *status_events_namespace(struct status_builder *b, const struct snapshot *s,
				const struct target_result *t)
{
	const struct events_result *e = &t->events;
	json_t *o, *ports, *totals, *down, *folded;

	if (!t->has_events)
		return json_null();
	o = json_object();
	ports = json_array();
	totals = json_object();
	down = json_array();
	folded = json_object();
	status_put(b, o, "subscribed", json_boolean(e->subscribed));
	status_put(b, o, "events_total", status_uint_json(e->events_total));
	status_put(b, o, "lost_total", status_uint_json(e->lost_total));
	status_put(b, o, "unparsed_total", status_uint_json(e->unparsed_total));
	status_put(b, o, "receive_buffer_bytes", json_integer(e->receive_buffer_bytes));
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		struct events_counts sum;
		json_t *tj = json_object();

		memset(&sum, 0, sizeof(sum));
		status_put(b, folded, fields_role_names[r], status_uint_json(e->folded[r]));
		for (unsigned i = 0; i < e->n_ports[r]; i++) {
			const struct events_port *p = &e->ports[r][i];
			json_t *pj = json_object();

			status_put(b, pj, "role", json_string(fields_role_names[r]));
			status_put(b, pj, "port", port_json(p->other, p->port));
			status_put(b, pj, "other", json_boolean(p->other));
			status_put(b, pj, "exporter_port", json_boolean(status_exporter_port(s, t, p->port, p->other)));
			counts_fields(b, pj, &p->counts, (enum classify_role)r);
			status_append(b, ports, pj);
			add_counts(&sum, &p->counts);
		}
		counts_fields(b, tj, &sum, (enum classify_role)r);
		status_put(b, totals, fields_role_names[r], tj);
	}
	status_put(b, o, "folded", folded);
	status_put(b, o, "totals", totals);
	status_put(b, o, "ports", ports);
	for (unsigned i = 0; i < e->n_down && i < EVENTS_DOWN_MAX; i++) {
		json_t *dj = json_object();

		status_put(b, dj, "port", json_integer(e->down[i].port));
		status_put(b, dj, "since", json_real(e->down[i].since));
		status_put(b, dj, "since_utc", status_time_json(e->down[i].since));
		status_append(b, down, dj);
	}
	status_put(b, o, "listeners_down", down);
	return o;
}

/* {"address": ..., "port": ...}, or null where the event has no such end: a listener's
 * remote end, and both ends of the transitions a scan saw (only the port is known). */
static json_t *end_json(struct status_builder *b, const struct events_recent_entry *e, bool local)
{
	json_t *o;

	if (e->kind == EVENTS_KIND_LISTENER_DOWN || e->kind == EVENTS_KIND_LISTENER_UP)
		return local ? json_pack("{s:n,s:i}", "address", "port", (int)e->sport) : json_null();
	if (!local && e->kind == EVENTS_KIND_LISTENER_CLOSED)
		return json_null();
	o = json_object();
	status_put(b, o, "address", status_address_json(e->family, local ? e->saddr : e->daddr));
	status_put(b, o, "port", json_integer(local ? e->sport : e->dport));
	return o;
}

static json_t *recent_json(struct status_builder *b, const struct events_recent_entry *e)
{
	json_t *o = json_object();
	bool close = e->kind == EVENTS_KIND_CLOSE;
	bool has_info = close || e->kind == EVENTS_KIND_LISTENER_CLOSED;

	status_put(b, o, "time", json_real(e->time));
	status_put(b, o, "time_utc", status_time_json(e->time));
	status_put(b, o, "kind", json_string(events_kind_names[e->kind < EVENTS_KINDS ? e->kind : 0]));
	status_put(b, o, "outcome",
		   close && e->outcome < EVENTS_OUTCOMES ? json_string(events_outcome_names[e->outcome]) : json_null());
	status_put(b, o, "netns", json_string(e->netns));
	status_put(b, o, "family", has_info ? json_string(fields_family_of(e->family)) : json_null());
	status_put(b, o, "role", json_string(fields_role_names[e->role < CLASSIFY_ROLES ? e->role : 0]));
	status_put(b, o, "port", port_json(e->other, e->port));
	status_put(b, o, "other", json_boolean(e->other));
	status_put(b, o, "local", end_json(b, e, true));
	status_put(b, o, "remote", end_json(b, e, false));
	/* The final tcp_info; a scan's transition has none. */
	status_put(b, o, "retransmits", has_info ? json_integer(e->retransmits) : json_null());
	status_put(b, o, "probes", has_info ? json_integer(e->probes) : json_null());
	status_put(b, o, "total_retrans", has_info ? json_integer(e->total_retrans) : json_null());
	status_put(b, o, "bytes_acked", has_info ? status_uint_json(e->bytes_acked) : json_null());
	status_put(b, o, "bytes_received", has_info ? status_uint_json(e->bytes_received) : json_null());
	status_put(b, o, "process", json_string(e->process));
	return o;
}

json_t *status_events_recent(struct status_builder *b, const struct collectors_result *data)
{
	const struct events_recent *r = &data->recent;
	json_t *o, *list;

	if (!data->has_events)
		return json_null();
	o = json_object();
	list = json_array();
	status_put(b, o, "since", json_real(r->since));
	status_put(b, o, "since_utc", status_time_json(r->since));
	status_put(b, o, "capacity", json_integer(r->capacity));
	status_put(b, o, "recorded_total", status_uint_json(r->total));
	for (unsigned i = 0; i < r->n; i++)
		status_append(b, list, recent_json(b, &r->entries[i]));
	status_put(b, o, "recent", list);
	return o;
}
