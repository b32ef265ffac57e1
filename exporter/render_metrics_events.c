/* render_metrics_events.c — the tcp.events collector's families in the Prometheus text:
 * closed connections by port, role and outcome, listener closes, the sums over closed
 * connections, and the collector's own figures per namespace. Every value is read from the
 * snapshot. */
#include "render_metrics_internal.h"

#include "fields.h"

#include <stdio.h>
#include <string.h>

/* ---- the tcp.events collector's families ------------------------------------------------ */

struct events_row {
	const char *metric;
	const char *help;
	size_t offset; /* of a uint64_t in struct events_counts */
};

#define EVENTS_SUM(name, field, help) { "tcp_health_closed_" name "_total", help, \
	offsetof(struct events_counts, field) }

static const struct events_row events_sums[] = {
	EVENTS_SUM("segments_sent", segs_out,
		   "Segments sent by the connections that closed (tcpi_segs_out at their end), by "
		   "port and role."),
	EVENTS_SUM("segments_retransmitted", retrans_segs,
		   "Segments retransmitted by the connections that closed (tcpi_total_retrans at "
		   "their end): divided by tcp_health_closed_segments_sent_total, the port's "
		   "retransmission ratio."),
	EVENTS_SUM("bytes_acked", bytes_acked,
		   "Bytes sent and acknowledged by the connections that closed (tcpi_bytes_acked)."),
	EVENTS_SUM("bytes_received", bytes_received,
		   "Bytes received by the connections that closed (tcpi_bytes_received)."),
};

static void events_port_text(char text[8], const struct events_port *p)
{
	if (p->other)
		snprintf(text, 8, "other");
	else
		snprintf(text, 8, "%u", p->port);
}

static bool has_events(const struct snapshot *s)
{
	for (unsigned t = 0; t < s->data.n_targets; t++)
		if (s->data.targets[t].has_events)
			return true;
	return false;
}

/* `what`: -1 closed_total by outcome, -2 listener_closed_total, else an events_sums row. */
static void write_events_ports(const struct snapshot *s, int what, struct expfmt_buf *out)
{
	const struct collectors_result *data = &s->data;

	for (unsigned t = 0; t < data->n_targets; t++) {
		const struct events_result *e = &data->targets[t].events;
		struct expfmt_label labels[MAX_LABELS];
		struct expfmt_label own[3] = { { "port", NULL }, { "role", NULL }, { "outcome", NULL } };
		struct prefix prefix;
		char port[8];
		size_t k;

		if (!data->targets[t].has_events)
			continue;
		render_target_prefix(s, &data->targets[t], &prefix);
		own[0].value = port;
		k = render_with_prefix(labels, &prefix, own, 3) - 3;
		for (int r = 0; r < CLASSIFY_ROLES; r++) {
			labels[k + 1].value = fields_role_names[r];
			for (unsigned i = 0; i < e->n_ports[r]; i++) {
				const struct events_port *p = &e->ports[r][i];

				events_port_text(port, p);
				if (what == -1) {
					for (unsigned o = 0; o < EVENTS_OUTCOMES; o++) {
						labels[k + 2].value = events_outcome_names[o];
						expfmt_sample_u64(out, "tcp_health_connections_closed_total",
								  labels, k + 3, p->counts.closed[o]);
					}
				} else if (what == -2) {
					if (r == CLASSIFY_SERVER && !p->other)
						expfmt_sample_u64(out, "tcp_health_listener_closed_total",
								  labels, k + 1, p->counts.listener_closed);
				} else {
					const struct events_row *row = &events_sums[what];
					uint64_t v;

					memcpy(&v, (const char *)&p->counts + row->offset, sizeof(v));
					expfmt_sample_u64(out, row->metric, labels, k + 2, v);
				}
			}
		}
	}
}

void render_events(const struct snapshot *s, struct expfmt_buf *out)
{
	const struct collectors_result *data = &s->data;
	static const struct {
		const char *name, *type, *help;
		size_t offset;
		bool is_int;
	} self[] = {
		{ "tcp_health_exporter_events_total", "counter",
		  "Socket-destroy messages the kernel sent (one per TCP socket it freed, not TIME_WAIT or "
		  "request sockets).", offsetof(struct events_result, events_total), false },
		{ "tcp_health_exporter_events_lost_total", "counter",
		  "Receive-buffer overruns (ENOBUFS) of the socket-destroy subscription: each lost one or "
		  "more events; the scan after one reports collector_success 0 for tcp.events.",
		  offsetof(struct events_result, lost_total), false },
		{ "tcp_health_exporter_events_unparsed_total", "counter",
		  "Socket-destroy datagrams that were not well-formed destroy messages (not counted).",
		  offsetof(struct events_result, unparsed_total), false },
		{ "tcp_health_exporter_events_receive_buffer_bytes", "gauge",
		  "Receive buffer of the socket-destroy subscription as the kernel reports it (SO_RCVBUF, "
		  "twice what was set: the kernel's bookkeeping).",
		  offsetof(struct events_result, receive_buffer_bytes), true },
	};

	if (!has_events(s))
		return;
	expfmt_family(out, "tcp_health_connections_closed_total", "counter",
		      "TCP connections the kernel freed, by port, role and how they ended (outcome: "
		      "normal, connect_refused, connect_timeout, retransmit_timeout, keepalive_timeout, "
		      "zero_window_timeout, closed_unread, disconnected, unconnected; README \"Closed "
		      "connections\").");
	write_events_ports(s, -1, out);
	expfmt_family(out, "tcp_health_listener_closed_total", "counter",
		      "Listening sockets freed on the port: a listener that restarted between two scrapes "
		      "shows here while tcp_health_listener_up never dropped.");
	write_events_ports(s, -2, out);
	for (unsigned i = 0; i < sizeof(events_sums) / sizeof(events_sums[0]); i++) {
		expfmt_family(out, events_sums[i].metric, "counter", events_sums[i].help);
		write_events_ports(s, (int)i, out);
	}
	for (unsigned i = 0; i < sizeof(self) / sizeof(self[0]); i++) {
		expfmt_family(out, self[i].name, self[i].type, self[i].help);
		for (unsigned t = 0; t < data->n_targets; t++) {
			const struct events_result *e = &data->targets[t].events;
			const char *at = (const char *)e + self[i].offset;
			struct prefix prefix;
			uint64_t v;

			if (!data->targets[t].has_events)
				continue;
			if (self[i].is_int) {
				int n;

				memcpy(&n, at, sizeof(n));
				v = n > 0 ? (uint64_t)n : 0;
			} else {
				memcpy(&v, at, sizeof(v));
			}
			render_target_prefix(s, &data->targets[t], &prefix);
			expfmt_sample_u64(out, self[i].name, prefix.labels, prefix.n, v);
		}
	}
}

