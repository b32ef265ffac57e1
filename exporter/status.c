/* status.c — the status document of a snapshot (see status.h and docs/status-api.md).
 *
 * Every number is read from the snapshot; the only things computed here are the views'
 * shared judgements: thresholds crossed, accept-queue fill and the kernel's settings in
 * words. Strings from the kernel or /proc are UTF-8 already (owners.c and netns.c see to
 * it); jansson escapes them. */
#include "status.h"

#include "../collectors/diag_compat.h"
#include "version.h"
#include "../lib/utf8.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const struct status_threshold status_thresholds[] = {
#include "alert_thresholds.h"
};
const unsigned status_thresholds_count = sizeof(status_thresholds) / sizeof(status_thresholds[0]);

const struct status_threshold *status_threshold_find(const char *name)
{
	for (unsigned i = 0; i < status_thresholds_count; i++)
		if (strcmp(status_thresholds[i].name, name) == 0)
			return &status_thresholds[i];
	return NULL;
}

bool status_threshold_crossed(const char *name, double value)
{
	const struct status_threshold *t = status_threshold_find(name);

	if (!t)
		return false;
	if (strcmp(t->op, ">") == 0)
		return value > t->value;
	if (strcmp(t->op, ">=") == 0)
		return value >= t->value;
	if (strcmp(t->op, "<") == 0)
		return value < t->value;
	if (strcmp(t->op, "<=") == 0)
		return value <= t->value;
	return value == t->value;
}

void status_duration_text(double seconds, char *out, size_t size)
{
	static const struct { const char *unit; long long seconds; } parts[] = {
		{ "d", 86400 }, { "h", 3600 }, { "min", 60 }, { "s", 1 },
	};
	long long left;
	size_t len = 0;

	if (!(seconds >= 0)) /* also NaN */
		seconds = 0;
	if (seconds < 0.9995 && seconds > 0) {
		snprintf(out, size, "%.0f ms", seconds * 1000);
		return;
	}
	left = (long long)(seconds + 0.5);
	if (left == 0) {
		snprintf(out, size, "0 s");
		return;
	}
	out[0] = '\0';
	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]) && len < size; i++) {
		long long n = left / parts[i].seconds;

		left %= parts[i].seconds;
		if (n)
			len += (size_t)snprintf(out + len, size - len, "%s%lld %s", len ? " " : "", n,
						parts[i].unit);
	}
}

/* ---- building with one failure flag ----------------------------------------------------- */

struct builder {
	bool failed; /* an allocation failed: the document is incomplete, not served */
};

/* json_object_set_new and json_array_append_new take `value` even when they fail (a NULL
 * container included), so nothing leaks on the way to a failed document. */
static void put(struct builder *b, json_t *obj, const char *key, json_t *value)
{
	if (!value || json_object_set_new(obj, key, value) < 0)
		b->failed = true;
}

static void append(struct builder *b, json_t *array, json_t *value)
{
	if (!value || json_array_append_new(array, value) < 0)
		b->failed = true;
}

static json_t *uint_json(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *address_json(uint8_t family, const uint8_t *addr)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	return json_string(text);
}

static bool is_loopback(uint8_t family, const uint8_t *addr)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return addr[0] == 127;
	if (memcmp(addr, v6_loopback, 16) == 0)
		return true;
	return memcmp(addr, v4_mapped, 12) == 0 && addr[12] == 127;
}

/* {"alert": ..., "threshold": ..., "value": ...} for the namespace's list; the name of the
 * alert for the row's. */
static void note_alert(struct builder *b, json_t *row_alerts, json_t *ns_alerts, const char *threshold,
		       const char *alert, double value, const char *role, int port, bool other)
{
	json_t *a = json_object();

	append(b, row_alerts, json_string(alert));
	put(b, a, "alert", json_string(alert));
	put(b, a, "threshold", threshold ? json_string(threshold) : json_null());
	put(b, a, "value", json_real(value));
	if (role)
		put(b, a, "role", json_string(role));
	if (port >= 0)
		put(b, a, "port", other ? json_null() : json_integer(port));
	if (port >= 0)
		put(b, a, "other", json_boolean(other));
	append(b, ns_alerts, a);
}

static bool check(struct builder *b, json_t *row_alerts, json_t *ns_alerts, const char *threshold,
		  double value, const char *role, int port, bool other)
{
	const struct status_threshold *t = status_threshold_find(threshold);

	if (!t || !status_threshold_crossed(threshold, value))
		return false;
	note_alert(b, row_alerts, ns_alerts, threshold, t->alert, value, role, port, other);
	return true;
}

static const char *const role_names[CLASSIFY_ROLES] = { "server", "client" };

/* ---- one namespace ------------------------------------------------------------------------ */

static json_t *listeners_json(struct builder *b, const struct tcp_result *tcp, json_t *ns_alerts)
{
	json_t *list = json_array();
	unsigned n = tcp->n_ports[CLASSIFY_SERVER];

	for (unsigned i = 0; i + 1 < n; i++) {
		const struct tcp_port *port = &tcp->ports[CLASSIFY_SERVER][i];
		const struct tcpagg_listener *l = &tcp->listeners[i];
		json_t *o, *addresses, *queue, *alerts;
		/* Addresses past the first TCPAGG_LISTENER_ADDRESSES are not known: one of them
		 * may be reachable from elsewhere. */
		bool loopback_only = l->n_addresses > 0 && !l->more_addresses;
		double fill = l->queue_max ? (double)l->queue_length / (double)l->queue_max : 0;

		if (!l->sockets && !port->expected)
			continue; /* a port with connections only: in the ports table */
		o = json_object();
		addresses = json_array();
		queue = json_object();
		alerts = json_array();
		put(b, o, "port", json_integer(port->port));
		put(b, o, "expected", json_boolean(port->expected));
		put(b, o, "up", json_boolean(l->sockets > 0));
		put(b, o, "sockets", json_integer(l->sockets));
		put(b, queue, "length", uint_json(l->queue_length));
		put(b, queue, "max", uint_json(l->queue_max));
		put(b, queue, "fill", json_real(fill));
		put(b, o, "accept_queue", queue);
		for (unsigned a = 0; a < l->n_addresses; a++) {
			const struct tcpagg_listener_address *la = &l->addresses[a];
			json_t *ao = json_object();
			bool loopback = is_loopback(la->family, la->addr);

			loopback_only &= loopback;
			put(b, ao, "family", json_string(la->family == AF_INET6 ? "ipv6" : "ipv4"));
			put(b, ao, "address", address_json(la->family, la->addr));
			put(b, ao, "loopback", json_boolean(loopback));
			put(b, ao, "process", json_string(la->process));
			append(b, addresses, ao);
		}
		put(b, o, "addresses", addresses);
		put(b, o, "loopback_only", json_boolean(loopback_only));
		if (port->expected && !l->sockets)
			note_alert(b, alerts, ns_alerts, NULL, "TcpHealthListenerDown", 0, "server",
				   port->port, false);
		if (l->queue_max)
			check(b, alerts, ns_alerts, "accept_queue_fill", fill, "server", port->port, false);
		put(b, o, "alerts", alerts);
		append(b, list, o);
	}
	return list;
}

static json_t *ports_json(struct builder *b, const struct tcp_result *tcp, json_t *ns_alerts)
{
	json_t *list = json_array();

	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		for (unsigned i = 0; i < tcp->n_ports[r]; i++) {
			const struct tcp_port *port = &tcp->ports[r][i];
			const struct tcpagg_slot *c = &port->counts;
			json_t *o = json_object(), *states = json_object(), *alerts = json_array();
			uint64_t total = 0;

			put(b, o, "role", json_string(role_names[r]));
			put(b, o, "port", port->other ? json_null() : json_integer(port->port));
			put(b, o, "other", json_boolean(port->other));
			put(b, o, "expected", json_boolean(port->expected));
			for (unsigned s = 1; s <= TCPH_STATE_MAX; s++) {
				const char *name = tcpagg_state_name(s);

				if (!name)
					continue;
				put(b, states, name, json_integer(c->states[s]));
				total += c->states[s];
			}
			put(b, o, "sockets", uint_json(total));
			put(b, o, "states", states);
			put(b, o, "retransmitting", json_integer(c->retransmitting));
			put(b, o, "retransmit_backoff_max", json_integer(c->retransmit_backoff_max));
			put(b, o, "keepalive", json_integer(c->keepalive));
			put(b, o, "keepalive_probes_outstanding", uint_json(c->keepalive_probes));
			put(b, o, "keepalive_probes_max", json_integer(c->keepalive_probes_max));
			put(b, o, "unprotected_idle", json_integer(c->unprotected_idle));
			check(b, alerts, ns_alerts, "close_wait_count", c->states[TCPH_CLOSE_WAIT],
			      role_names[r], port->port, port->other);
			if (r == CLASSIFY_SERVER)
				check(b, alerts, ns_alerts, "syn_recv_count", c->states[TCPH_SYN_RECV],
				      role_names[r], port->port, port->other);
			if (c->retransmitting > 0)
				check(b, alerts, ns_alerts, "retransmit_backoff", c->retransmit_backoff_max,
				      role_names[r], port->port, port->other);
			check(b, alerts, ns_alerts, "keepalive_probes_outstanding",
			      (double)c->keepalive_probes, role_names[r], port->port, port->other);
			check(b, alerts, ns_alerts, "unprotected_idle_connections", c->unprotected_idle,
			      role_names[r], port->port, port->other);
			put(b, o, "alerts", alerts);
			append(b, list, o);
		}
	}
	return list;
}

static const struct {
	const char *unit;
	bool milliseconds; /* value is in ms: shown in seconds */
	const char *description;
} worst_kinds[TCPAGG_WORST_KINDS] = {
	[TCPAGG_WORST_RETRANSMITTING] = { "retransmissions", false,
		"Retransmitting into a silent peer: data in flight, unacknowledged; ranked by "
		"consecutive retransmissions (back-off)." },
	[TCPAGG_WORST_KEEPALIVE] = { "probes", false,
		"Keepalive probes unanswered: an idle peer that stopped answering; ranked by probes "
		"sent without reply." },
	[TCPAGG_WORST_IDLE] = { "seconds", true,
		"Unprotected idle: established, no keepalive, nothing in flight, silent past the "
		"idle threshold; a dead peer here is never noticed. Ranked by silence." },
	[TCPAGG_WORST_CLOSE_WAIT] = { "seconds", true,
		"CLOSE_WAIT: the peer closed, the local process has not called close(); ranked by "
		"time since the peer last sent data." },
	[TCPAGG_WORST_SYN_RECV] = { "retransmissions", false,
		"SYN_RECV: half-open connections waiting for the client's ACK; ranked by SYN-ACK "
		"retransmissions." },
};

static json_t *connection_json(struct builder *b, const struct tcpagg_connection *c, unsigned kind)
{
	json_t *o = json_object();
	const char *timer = tcpagg_timer_name(c->timer);

	put(b, o, "family", json_string(c->family == AF_INET6 ? "ipv6" : "ipv4"));
	put(b, o, "local_address", address_json(c->family, c->saddr));
	put(b, o, "local_port", json_integer(c->sport));
	put(b, o, "remote_address", address_json(c->family, c->daddr));
	put(b, o, "remote_port", json_integer(c->dport));
	put(b, o, "state", json_string(tcpagg_state_name(c->state) ? tcpagg_state_name(c->state) : "unknown"));
	put(b, o, "role", json_string(role_names[c->role < CLASSIFY_ROLES ? c->role : 0]));
	put(b, o, "port", c->other ? json_null() : json_integer(c->port));
	put(b, o, "other", json_boolean(c->other));
	put(b, o, "value", worst_kinds[kind].milliseconds ? json_real((double)c->value / 1000.0) :
							    uint_json(c->value));
	put(b, o, "timer", json_string(timer ? timer : "unknown"));
	put(b, o, "timer_expires_seconds", json_real(c->timer ? c->expires_ms / 1000.0 : 0));
	/* idiag_retrans: retransmissions for the retransmit timer, unanswered probes for
	 * keepalive, SYN-ACK retransmissions for SYN_RECV. */
	put(b, o, "timer_retries", json_integer(c->retrans));
	/* Request sockets and TIME_WAIT have no tcp_info: their silence is not known. */
	put(b, o, "silent_seconds", c->state == TCPH_SYN_RECV ? json_null() : json_real(c->silent_ms / 1000.0));
	put(b, o, "recv_queue_bytes", json_integer(c->rqueue));
	put(b, o, "send_queue_bytes", json_integer(c->wqueue));
	put(b, o, "uid", json_integer(c->uid));
	put(b, o, "inode", json_integer(c->inode));
	put(b, o, "process", json_string(c->process));
	return o;
}

static json_t *worst_json(struct builder *b, const struct tcp_result *tcp)
{
	json_t *o = json_object();

	for (unsigned k = 0; k < TCPAGG_WORST_KINDS; k++) {
		const struct tcpagg_worst *w = &tcp->worst[k];
		json_t *kind = json_object(), *list = json_array();

		put(b, kind, "total", uint_json(w->total));
		put(b, kind, "unit", json_string(worst_kinds[k].unit));
		put(b, kind, "description", json_string(worst_kinds[k].description));
		for (unsigned i = 0; i < w->n; i++)
			append(b, list, connection_json(b, &w->top[i], k));
		put(b, kind, "connections", list);
		put(b, o, tcpagg_worst_name(k), kind);
	}
	return o;
}

/* What the retransmission budget of `retries` amounts to, as the kernel computes it
 * (tcp_model_timeout): doubling from `rto_base` up to TCP_RTO_MAX (120 s), then linear. */
static double retransmission_budget(long retries, double rto_base)
{
	double rto_max = 120;
	long thresh = 0;

	while (rto_base * (double)(2L << thresh) <= rto_max && thresh < 30)
		thresh++; /* ilog2(rto_max / rto_base) */
	if (retries < 0)
		return 0;
	if (retries <= thresh)
		return (double)((2L << retries) - 1) * rto_base;
	return (double)((2L << thresh) - 1) * rto_base + (double)(retries - thresh) * rto_max;
}

static void explain(struct builder *b, json_t *list, const char *setting, long value, double seconds,
		    const char *text)
{
	json_t *o = json_object();

	put(b, o, "setting", json_string(setting));
	put(b, o, "value", json_integer(value));
	put(b, o, "seconds", seconds >= 0 ? json_real(seconds) : json_null());
	put(b, o, "text", json_string(text));
	append(b, list, o);
}

static json_t *kernel_json(struct builder *b, const struct sysctl_result *sys)
{
	json_t *o = json_object(), *settings = json_object(), *explained = json_array();
	char text[400], d1[48], d2[48], d3[48];

	for (unsigned i = 0; i < SYSCTL_COUNT; i++) {
		char name[128];

		if (!sys->present[i])
			continue;
		snprintf(name, sizeof(name), "%s", sysctl_settings[i].path);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '.';
		if (sysctl_settings[i].n_values == 2)
			put(b, settings, name, json_pack("[I,I]", (json_int_t)sys->values[i][0],
							 (json_int_t)sys->values[i][1]));
		else
			put(b, settings, name, json_integer(sys->values[i][0]));
	}
	if (sys->present[SYSCTL_RETRIES2]) {
		double t = retransmission_budget(sys->values[SYSCTL_RETRIES2][0], 0.2);

		status_duration_text(t, d1, sizeof(d1));
		snprintf(text, sizeof(text),
			 "A dead peer with data in flight is noticed after about %s of retransmissions "
			 "(net.ipv4.tcp_retries2 = %ld; longer on slow paths); until then writes wait.",
			 d1, sys->values[SYSCTL_RETRIES2][0]);
		explain(b, explained, "net.ipv4.tcp_retries2", sys->values[SYSCTL_RETRIES2][0], t, text);
	}
	if (sys->has_keepalive_detection) {
		status_duration_text((double)sys->keepalive_detection_seconds, d1, sizeof(d1));
		status_duration_text((double)sys->values[SYSCTL_KEEPALIVE_TIME][0], d2, sizeof(d2));
		status_duration_text((double)sys->values[SYSCTL_KEEPALIVE_INTVL][0], d3, sizeof(d3));
		snprintf(text, sizeof(text),
			 "A dead idle peer is noticed after %s, and only on sockets with SO_KEEPALIVE "
			 "(tcp_keepalive_time %s, then %ld probes %s apart); without keepalive, never.",
			 d1, d2, sys->values[SYSCTL_KEEPALIVE_PROBES][0], d3);
		explain(b, explained, "net.ipv4.tcp_keepalive_time", sys->values[SYSCTL_KEEPALIVE_TIME][0],
			(double)sys->keepalive_detection_seconds, text);
	}
	if (sys->present[SYSCTL_SYN_RETRIES]) {
		double t = retransmission_budget(sys->values[SYSCTL_SYN_RETRIES][0], 1);

		status_duration_text(t, d1, sizeof(d1));
		snprintf(text, sizeof(text),
			 "connect() to a peer that does not answer gives up after %s "
			 "(net.ipv4.tcp_syn_retries = %ld).", d1, sys->values[SYSCTL_SYN_RETRIES][0]);
		explain(b, explained, "net.ipv4.tcp_syn_retries", sys->values[SYSCTL_SYN_RETRIES][0], t, text);
	}
	if (sys->present[SYSCTL_SYNACK_RETRIES]) {
		double t = retransmission_budget(sys->values[SYSCTL_SYNACK_RETRIES][0], 1);

		status_duration_text(t, d1, sizeof(d1));
		snprintf(text, sizeof(text),
			 "A half-open connection (SYN_RECV) whose client never completes the handshake "
			 "is dropped after %s (net.ipv4.tcp_synack_retries = %ld).", d1,
			 sys->values[SYSCTL_SYNACK_RETRIES][0]);
		explain(b, explained, "net.ipv4.tcp_synack_retries", sys->values[SYSCTL_SYNACK_RETRIES][0],
			t, text);
	}
	if (sys->present[SYSCTL_FIN_TIMEOUT]) {
		status_duration_text((double)sys->values[SYSCTL_FIN_TIMEOUT][0], d1, sizeof(d1));
		snprintf(text, sizeof(text),
			 "An orphaned connection in FIN_WAIT2 is closed after %s (net.ipv4.tcp_fin_timeout).", d1);
		explain(b, explained, "net.ipv4.tcp_fin_timeout", sys->values[SYSCTL_FIN_TIMEOUT][0],
			(double)sys->values[SYSCTL_FIN_TIMEOUT][0], text);
	}
	if (sys->present[SYSCTL_IP_LOCAL_PORT_RANGE]) {
		long low = sys->values[SYSCTL_IP_LOCAL_PORT_RANGE][0], high = sys->values[SYSCTL_IP_LOCAL_PORT_RANGE][1];

		snprintf(text, sizeof(text),
			 "Outgoing connections take local ports %ld-%ld: %ld at once to one destination "
			 "address and port, TIME_WAIT included (net.ipv4.ip_local_port_range).",
			 low, high, high >= low ? high - low + 1 : 0);
		explain(b, explained, "net.ipv4.ip_local_port_range", high >= low ? high - low + 1 : 0, -1, text);
	}
	if (sys->present[SYSCTL_TW_REUSE]) {
		long v = sys->values[SYSCTL_TW_REUSE][0];

		snprintf(text, sizeof(text),
			 "Ports in TIME_WAIT are reused for new outgoing connections: %s "
			 "(net.ipv4.tcp_tw_reuse = %ld).", v == 0 ? "never" : v == 1 ? "yes" :
			 v == 2 ? "on loopback only" : "see the kernel's documentation", v);
		explain(b, explained, "net.ipv4.tcp_tw_reuse", v, -1, text);
	}
	if (sys->present[SYSCTL_SOMAXCONN]) {
		snprintf(text, sizeof(text),
			 "An accept queue holds at most %ld connections, whatever backlog listen() "
			 "asks for (net.core.somaxconn).", sys->values[SYSCTL_SOMAXCONN][0]);
		explain(b, explained, "net.core.somaxconn", sys->values[SYSCTL_SOMAXCONN][0], -1, text);
	}
	if (sys->present[SYSCTL_MAX_TW_BUCKETS]) {
		snprintf(text, sizeof(text),
			 "At most %ld sockets wait in TIME_WAIT; beyond that the kernel closes them at "
			 "once (net.ipv4.tcp_max_tw_buckets).", sys->values[SYSCTL_MAX_TW_BUCKETS][0]);
		explain(b, explained, "net.ipv4.tcp_max_tw_buckets", sys->values[SYSCTL_MAX_TW_BUCKETS][0],
			-1, text);
	}
	put(b, o, "settings", settings);
	put(b, o, "explained", explained);
	return o;
}

static json_t *namespace_json(struct builder *b, const struct collectors_result *data,
			      const struct target_result *t)
{
	json_t *o = json_object(), *alerts = json_array(), *ns_row_alerts = json_array();
	json_t *counters = json_object();
	const struct tcp_result *tcp = t->tcp;

	put(b, o, "netns", json_string(data->per_netns ? t->labels.netns : ""));
	put(b, o, "pod_uid", json_string(data->per_netns ? t->labels.pod_uid : ""));
	put(b, o, "container_id", json_string(data->per_netns ? t->labels.container_id : ""));
	if (tcp && tcp->has_sockets) {
		json_t *tj = json_object();
		uint64_t tw_client = 0;

		put(b, tj, "sockets_scanned", json_pack("{s:I,s:I}", "ipv4", (json_int_t)tcp->sockets_scanned[TCPAGG_IPV4],
							"ipv6", (json_int_t)tcp->sockets_scanned[TCPAGG_IPV6]));
		put(b, tj, "ports_folded", json_pack("{s:I,s:I}", "server", (json_int_t)tcp->folded[CLASSIFY_SERVER],
						     "client", (json_int_t)tcp->folded[CLASSIFY_CLIENT]));
		put(b, tj, "ephemeral_port_range", json_pack("[i,i]", tcp->eph_low, tcp->eph_high));
		put(b, tj, "listeners", listeners_json(b, tcp, alerts));
		put(b, tj, "ports", ports_json(b, tcp, alerts));
		put(b, tj, "worst_connections", worst_json(b, tcp));
		for (unsigned i = 0; i < tcp->n_ports[CLASSIFY_CLIENT]; i++)
			tw_client += tcp->ports[CLASSIFY_CLIENT][i].counts.states[TCPH_TIME_WAIT];
		put(b, tj, "client_time_wait", uint_json(tw_client));
		if (t->sysctl.present[SYSCTL_IP_LOCAL_PORT_RANGE]) {
			long range = t->sysctl.values[SYSCTL_IP_LOCAL_PORT_RANGE][1] -
				     t->sysctl.values[SYSCTL_IP_LOCAL_PORT_RANGE][0] + 1;

			if (range > 0)
				check(b, ns_row_alerts, alerts, "time_wait_port_range_ratio",
				      (double)tw_client / (double)range, "client", -1, false);
		}
		for (int r = 0; r < CLASSIFY_ROLES; r++)
			check(b, ns_row_alerts, alerts, "folded_sockets", (double)tcp->folded[r], role_names[r],
			      -1, false);
		put(b, o, "tcp", tj);
	} else {
		put(b, o, "tcp", json_null());
	}
	put(b, o, "kernel", kernel_json(b, &t->sysctl));
	for (unsigned i = 0; i < NETSTAT_COUNT; i++)
		if (t->netstat.found[i])
			put(b, counters, netstat_counters[i].name, json_integer(t->netstat.values[i]));
	put(b, o, "counters", counters);
	put(b, o, "alerts", alerts);
	json_decref(ns_row_alerts);
	return o;
}

/* ---- the document --------------------------------------------------------------------------- */

static json_t *time_json(double unix_time)
{
	char text[40];
	time_t t = (time_t)unix_time;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(text, sizeof(text), "?");
	return json_string(text);
}

json_t *status_document(const struct snapshot *s)
{
	const struct collectors_result *data = &s->data;
	struct builder b = { false };
	json_t *doc = json_object(), *exporter = json_object(), *scan = json_object();
	json_t *collectors = json_array(), *thresholds = json_array(), *namespaces = json_array();
	char host[256];
	double seconds = 0;

	put(&b, doc, "schema", json_string(STATUS_SCHEMA));
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	utf8_sanitize(host);
	put(&b, exporter, "version", json_string(TCPH_VERSION));
	put(&b, exporter, "revision", json_string(TCPH_REVISION));
	put(&b, exporter, "hostname", json_string(host));
	put(&b, doc, "exporter", exporter);

	for (unsigned i = 0; i < collectors_count; i++) {
		const struct snapshot_collector *c = &s->collectors[i];
		json_t *o = json_object();

		put(&b, o, "name", json_string(collectors_table[i].name));
		put(&b, o, "enabled", json_boolean(c->enabled));
		put(&b, o, "success", json_boolean(c->enabled && c->error == 0));
		put(&b, o, "error", c->enabled && c->error ? json_string(strerror(-c->error)) : json_null());
		put(&b, o, "duration_seconds", json_real(c->enabled ? c->seconds : 0));
		if (c->enabled)
			seconds += c->seconds;
		append(&b, collectors, o);
	}
	put(&b, scan, "number", uint_json(s->scan_number));
	put(&b, scan, "time", json_real(s->time));
	put(&b, scan, "time_utc", time_json(s->time));
	put(&b, scan, "collectors_seconds", json_real(seconds));
	put(&b, scan, "netns_mode", json_string(data->netns_mode == NETNS_ALL ? "all" :
						 data->netns_mode == NETNS_NAMES ? "names" : "self"));
	put(&b, scan, "idle_threshold_seconds", json_integer(data->idle_threshold_seconds));
	put(&b, scan, "worst_connections_per_kind", json_integer(data->worst_max));
	put(&b, doc, "scan", scan);
	put(&b, doc, "collectors", collectors);

	for (unsigned i = 0; i < status_thresholds_count; i++) {
		const struct status_threshold *t = &status_thresholds[i];

		append(&b, thresholds, json_pack("{s:s,s:s,s:s,s:f,s:s}", "name", t->name, "alert", t->alert,
						 "op", t->op, "value", t->value, "for", t->for_duration));
	}
	put(&b, doc, "thresholds", thresholds);

	if (data->per_netns) {
		json_t *skipped = json_object();

		for (unsigned r = 0; r < NETNS_SKIP_REASONS; r++)
			put(&b, skipped, netns_skip_names[r], uint_json(data->netns.skipped_total[r]));
		put(&b, doc, "netns", json_pack("{s:i,s:i,s:i,s:o,s:f}", "found", data->netns.found, "scanned",
						data->netns.scanned, "over_limit", data->netns.over_limit,
						"skipped_total", skipped, "discovery_seconds",
						data->netns.discovery_seconds));
	} else {
		put(&b, doc, "netns", json_null());
	}
	if (data->has_owners)
		put(&b, doc, "owners", json_pack("{s:i,s:i}", "listener_inodes", data->owners.wanted,
						 "unresolved", data->owners.unresolved));
	else
		put(&b, doc, "owners", json_null());

	for (unsigned t = 0; t < data->n_targets; t++)
		append(&b, namespaces, namespace_json(&b, data, &data->targets[t]));
	put(&b, doc, "namespaces", namespaces);
	if (b.failed) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
