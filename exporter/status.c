/* status.c — the status document of a snapshot (see status.h and docs/status-api.md).
 *
 * Every number is read from the snapshot, and the tcp collector's by the rows of the views'
 * field table (fields.h; status_fields.c puts them in the document); the only things
 * computed here are the views' shared judgements: thresholds crossed, accept-queue fill, the
 * exporter's own ports, and the kernel's settings in words. Strings from the kernel or /proc are UTF-8 already (owners.c and netns.c see to
 * it); jansson escapes them. */
#include "status.h"

#include "status_build.h"

#include "../collectors/diag_compat.h"
#include "fields.h"
#include "version.h"
#include "../lib/utf8.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* {"alert": ..., "severity": ..., "threshold": ..., "value": ...} for the namespace's list;
 * the name of the alert for the row's. */
static void note_alert(struct status_builder *b, json_t *row_alerts, json_t *ns_alerts, enum threshold_id threshold,
		       enum alert_id alert, double value, const char *role, int port, bool other)
{
	json_t *a = json_object();

	status_append(b, row_alerts, json_string(fields_alerts[alert].name));
	status_put(b, a, "alert", json_string(fields_alerts[alert].name));
	status_put(b, a, "severity", json_string(fields_alerts[alert].severity));
	status_put(b, a, "threshold", threshold != THRESHOLD_NONE ? json_string(fields_thresholds[threshold].name) :
							      json_null());
	status_put(b, a, "value", json_real(value));
	if (role)
		status_put(b, a, "role", json_string(role));
	if (port >= 0)
		status_put(b, a, "port", other ? json_null() : json_integer(port));
	if (port >= 0)
		status_put(b, a, "other", json_boolean(other));
	status_append(b, ns_alerts, a);
}

static bool check(struct status_builder *b, json_t *row_alerts, json_t *ns_alerts, enum threshold_id threshold,
		  double value, const char *role, int port, bool other)
{
	if (!fields_threshold_crossed(threshold, value))
		return false;
	note_alert(b, row_alerts, ns_alerts, threshold, fields_thresholds[threshold].alert, value, role,
		   port, other);
	return true;
}

bool status_exporter_port(const struct snapshot *s, const struct target_result *t, uint16_t port, bool other)
{
	if (!t->self || other)
		return false;
	for (unsigned i = 0; i < s->self.n_self_ports && i < STATS_SELF_PORTS; i++)
		if (s->self.self_ports[i] == port)
			return true;
	return false;
}

static bool exporter_port(const struct snapshot *s, const struct target_result *t, const struct tcp_port *p)
{
	return status_exporter_port(s, t, p->port, p->other);
}

/* ---- one namespace ------------------------------------------------------------------------ */

static json_t *listeners_json(struct status_builder *b, const struct snapshot *s, const struct target_result *t,
			      json_t *ns_alerts)
{
	const struct tcp_result *tcp = t->tcp;
	json_t *list = json_array();
	unsigned n = fields_named_ports(tcp, CLASSIFY_SERVER);

	for (unsigned i = 0; i < n; i++) {
		const struct tcp_port *port = &tcp->ports[CLASSIFY_SERVER][i];
		const struct tcpagg_listener *l = &tcp->listeners[i];
		json_t *o, *alerts;
		/* Addresses past the first TCPAGG_LISTENER_ADDRESSES are not known: one of them
		 * may be reachable from elsewhere. */
		bool loopback_only = l->n_addresses > 0 && !l->more_addresses;
		double fill = l->queue_max ? (double)l->queue_length / (double)l->queue_max : 0;

		if (!l->sockets && !port->expected)
			continue; /* a port with connections only: in the ports table */
		o = json_object();
		alerts = json_array();
		status_put(b, o, "port", json_integer(port->port));
		status_put(b, o, "expected", json_boolean(port->expected));
		status_put(b, o, "sockets", json_integer(l->sockets));
		status_listener_fields(b, o, l);
		/* the share the accept_queue_fill threshold judges, beside the queue's rows */
		status_put_key(b, o, "accept_queue.fill", json_real(fill));
		for (unsigned a = 0; a < l->n_addresses; a++)
			loopback_only &= status_is_loopback(l->addresses[a].family, l->addresses[a].addr);
		status_put(b, o, "loopback_only", json_boolean(loopback_only));
		status_put(b, o, "exporter_port", json_boolean(exporter_port(s, t, port)));
		if (port->expected && !l->sockets)
			note_alert(b, alerts, ns_alerts, THRESHOLD_NONE, fields_tcp[FIELD_LISTENER_UP_ROW].alert, 0,
				   fields_role_names[CLASSIFY_SERVER], port->port, false);
		if (l->queue_max)
			check(b, alerts, ns_alerts, fields_tcp[FIELD_LISTEN_QUEUE_LENGTH].threshold, fill,
			      fields_role_names[CLASSIFY_SERVER], port->port, false);
		status_put(b, o, "alerts", alerts);
		status_append(b, list, o);
	}
	return list;
}

/* The thresholds the field table judges one (port, role) slot by. */
static void judge_slot(struct status_builder *b, json_t *alerts, json_t *ns_alerts, const struct tcp_port *port,
		       int role)
{
	const struct tcpagg_slot *c = &port->counts;
	const char *name = fields_role_names[role];

	for (unsigned i = 0; i < fields_page_states_count; i++) {
		const struct fields_state *st = &fields_page_states[i];

		if (st->threshold != THRESHOLD_NONE && (!st->server_only || role == CLASSIFY_SERVER))
			check(b, alerts, ns_alerts, st->threshold, c->states[st->state], name, port->port,
			      port->other);
	}
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];

		if (row->kind != FIELD_SLOT_U32 && row->kind != FIELD_SLOT_U64)
			continue;
		if (row->judge == FIELD_NOT_JUDGED || row->threshold == THRESHOLD_NONE)
			continue;
		if (row->judge == FIELD_JUDGED_IF_RETRANSMITTING && c->retransmitting == 0)
			continue;
		check(b, alerts, ns_alerts, row->threshold, (double)fields_value(c, row->kind, row->offset),
		      name, port->port, port->other);
	}
}

static json_t *ports_json(struct status_builder *b, const struct snapshot *s, const struct target_result *t,
			  json_t *ns_alerts)
{
	const struct tcp_result *tcp = t->tcp;
	json_t *list = json_array();

	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		for (unsigned i = 0; i < tcp->n_ports[r]; i++) {
			const struct tcp_port *port = &tcp->ports[r][i];
			json_t *o = json_object(), *alerts = json_array();

			status_put(b, o, "role", json_string(fields_role_names[r]));
			status_put(b, o, "port", port->other ? json_null() : json_integer(port->port));
			status_put(b, o, "other", json_boolean(port->other));
			status_put(b, o, "expected", json_boolean(port->expected));
			status_put(b, o, "exporter_port", json_boolean(exporter_port(s, t, port)));
			status_slot_fields(b, o, &port->counts, tcp->has_histograms);
			judge_slot(b, alerts, ns_alerts, port, r);
			status_put(b, o, "alerts", alerts);
			status_append(b, list, o);
		}
	}
	return list;
}

static json_t *connection_json(struct status_builder *b, const struct tcpagg_connection *c, unsigned kind)
{
	json_t *o = json_object();
	const char *timer = fields_timer_name(c->timer);
	const char *state = fields_state_name(c->state);

	status_put(b, o, "family", json_string(fields_family_of(c->family)));
	status_put(b, o, "local_address", status_address_json(c->family, c->saddr));
	status_put(b, o, "local_port", json_integer(c->sport));
	status_put(b, o, "remote_address", status_address_json(c->family, c->daddr));
	status_put(b, o, "remote_port", json_integer(c->dport));
	status_put(b, o, "state", json_string(state ? state : "unknown"));
	status_put(b, o, "role", json_string(fields_role_names[c->role < CLASSIFY_ROLES ? c->role : 0]));
	status_put(b, o, "port", c->other ? json_null() : json_integer(c->port));
	status_put(b, o, "other", json_boolean(c->other));
	status_put(b, o, "value", fields_worst[kind].milliseconds ? json_real((double)c->value / 1000.0) :
							     status_uint_json(c->value));
	status_put(b, o, "timer", json_string(timer ? timer : "unknown"));
	status_put(b, o, "timer_expires_seconds", json_real(c->timer ? c->expires_ms / 1000.0 : 0));
	/* idiag_retrans: retransmissions for the retransmit timer, unanswered probes for
	 * keepalive, SYN-ACK retransmissions for SYN_RECV. */
	status_put(b, o, "timer_retries", json_integer(c->retrans));
	/* Request sockets and TIME_WAIT have no tcp_info: their silence is not known. */
	status_put(b, o, "silent_seconds", c->state == TCPH_SYN_RECV ? json_null() : json_real(c->silent_ms / 1000.0));
	status_put(b, o, "recv_queue_bytes", json_integer(c->rqueue));
	status_put(b, o, "send_queue_bytes", json_integer(c->wqueue));
	status_put(b, o, "uid", json_integer(c->uid));
	status_put(b, o, "inode", json_integer(c->inode));
	status_put(b, o, "process", json_string(c->process));
	return o;
}

static json_t *worst_json(struct status_builder *b, const struct tcp_result *tcp)
{
	json_t *o = json_object();

	for (unsigned k = 0; k < TCPAGG_WORST_KINDS; k++) {
		const struct tcpagg_worst *w = &tcp->worst[k];
		json_t *kind = json_object(), *list = json_array();

		status_put(b, kind, "total", status_uint_json(w->total));
		status_put(b, kind, "unit", json_string(fields_worst[k].unit));
		status_put(b, kind, "description", json_string(fields_worst[k].description));
		for (unsigned i = 0; i < w->n; i++)
			status_append(b, list, connection_json(b, &w->top[i], k));
		status_put(b, kind, "connections", list);
		status_put(b, o, tcpagg_worst_name(k), kind);
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

/* ---- the kernel's settings in words: one row per explained setting ----------------------- */

enum kernel_seconds {
	SECONDS_NONE,	    /* null */
	SECONDS_VALUE,	    /* the setting is a time in seconds */
	SECONDS_BUDGET_200MS, /* a retransmission budget from an RTO of 200 ms */
	SECONDS_BUDGET_1S,  /* ... from 1 s (handshakes) */
	SECONDS_KEEPALIVE,  /* time + intvl * probes (has_keepalive_detection) */
};

/* The text's placeholders: %D the seconds as a duration, %V the setting's value, %A its
 * absolute value, %H its second value, %N the size of the range, %W tw_reuse in words, %T,
 * %I, %P the keepalive time, interval (as durations) and probes. */
static const struct kernel_row {
	enum sysctl_id id;
	enum kernel_seconds seconds;
	bool range; /* "value" is the size of the range %V-%H */
	const char *text;
	/* Instead of `text` when the value is 0 or below: the hash table is the host's, shared. */
	const char *text_shared;
} kernel_rows[] = {
	{ SYSCTL_RETRIES2, SECONDS_BUDGET_200MS, false,
	  "A dead peer with data in flight is noticed after about %D of retransmissions "
	  "(net.ipv4.tcp_retries2 = %V; longer on slow paths); until then writes wait.", NULL },
	{ SYSCTL_KEEPALIVE_TIME, SECONDS_KEEPALIVE, false,
	  "A dead idle peer is noticed after %D, and only on sockets with SO_KEEPALIVE "
	  "(tcp_keepalive_time %T, then %P probes %I apart); without keepalive, never.", NULL },
	{ SYSCTL_SYN_RETRIES, SECONDS_BUDGET_1S, false,
	  "connect() to a peer that does not answer gives up after %D (net.ipv4.tcp_syn_retries = %V).", NULL },
	{ SYSCTL_SYNACK_RETRIES, SECONDS_BUDGET_1S, false,
	  "A half-open connection (SYN_RECV) whose client never completes the handshake is dropped "
	  "after %D (net.ipv4.tcp_synack_retries = %V).", NULL },
	{ SYSCTL_FIN_TIMEOUT, SECONDS_VALUE, false,
	  "An orphaned connection in FIN_WAIT2 is closed after %D (net.ipv4.tcp_fin_timeout).", NULL },
	{ SYSCTL_IP_LOCAL_PORT_RANGE, SECONDS_NONE, true,
	  "Outgoing connections take local ports %V-%H: %N at once to one destination address and "
	  "port, TIME_WAIT included (net.ipv4.ip_local_port_range).", NULL },
	{ SYSCTL_TW_REUSE, SECONDS_NONE, false,
	  "Ports in TIME_WAIT are reused for new outgoing connections: %W (net.ipv4.tcp_tw_reuse = %V).", NULL },
	{ SYSCTL_SOMAXCONN, SECONDS_NONE, false,
	  "An accept queue holds at most %V connections, whatever backlog listen() asks for "
	  "(net.core.somaxconn).", NULL },
	{ SYSCTL_MAX_TW_BUCKETS, SECONDS_NONE, false,
	  "At most %V sockets wait in TIME_WAIT; beyond that the kernel closes them at once "
	  "(net.ipv4.tcp_max_tw_buckets).", NULL },
	/* The measured gain is docs/benchmarks.md's (BENCH_NETNS_CHILD_EHASH). */
	{ SYSCTL_EHASH_ENTRIES, SECONDS_NONE, false,
	  "This namespace's sockets are in a TCP hash table of %V buckets "
	  "(net.ipv4.tcp_ehash_entries); a scan walks all of them and every socket in the table.",
	  "This namespace shares the host's TCP hash table of %A buckets "
	  "(net.ipv4.tcp_ehash_entries = %V): every scan of it walks all %A buckets and every other "
	  "namespace's sockets. Setting net.ipv4.tcp_child_ehash_entries on the host before the "
	  "namespaces are created gives each a table of its own: at 100 namespaces of 1,000 sockets "
	  "that took a scrape from about 3 s to about 0.1 s." },
	{ SYSCTL_CHILD_EHASH_ENTRIES, SECONDS_NONE, false,
	  "Network namespaces created from this one get a TCP hash table of their own of %V buckets "
	  "(net.ipv4.tcp_child_ehash_entries).",
	  "Network namespaces created from this one share the host's TCP hash table "
	  "(net.ipv4.tcp_child_ehash_entries = 0), so a scan of each walks the sockets of all." },
};

static double kernel_seconds(const struct kernel_row *row, const struct sysctl_result *sys)
{
	long v = sys->values[row->id][0];

	switch (row->seconds) {
	case SECONDS_VALUE: return (double)v;
	case SECONDS_BUDGET_200MS: return retransmission_budget(v, 0.2);
	case SECONDS_BUDGET_1S: return retransmission_budget(v, 1);
	case SECONDS_KEEPALIVE: return (double)sys->keepalive_detection_seconds;
	default: return -1;
	}
}

/* Expands the placeholders of `row->text` into `out`. */
static void kernel_text(const struct kernel_row *row, const struct sysctl_result *sys, double seconds,
			char *out, size_t size)
{
	const long *v = sys->values[row->id];
	const char *text = row->text_shared && v[0] <= 0 ? row->text_shared : row->text;
	size_t len = 0;

	out[0] = '\0';
	for (const char *p = text; *p && len + 1 < size; p++) {
		char part[64];

		if (*p != '%' || !p[1]) {
			out[len++] = *p;
			out[len] = '\0';
			continue;
		}
		switch (*++p) {
		case 'D': status_duration_text(seconds, part, sizeof(part)); break;
		case 'V': snprintf(part, sizeof(part), "%ld", v[0]); break;
		case 'A': snprintf(part, sizeof(part), "%ld", v[0] < 0 ? -v[0] : v[0]); break;
		case 'H': snprintf(part, sizeof(part), "%ld", v[1]); break;
		case 'N': snprintf(part, sizeof(part), "%ld", v[1] >= v[0] ? v[1] - v[0] + 1 : 0); break;
		case 'W':
			snprintf(part, sizeof(part), "%s", v[0] == 0 ? "never" : v[0] == 1 ? "yes" :
				 v[0] == 2 ? "on loopback only" : "see the kernel's documentation");
			break;
		case 'T':
			status_duration_text((double)sys->values[SYSCTL_KEEPALIVE_TIME][0], part, sizeof(part));
			break;
		case 'I':
			status_duration_text((double)sys->values[SYSCTL_KEEPALIVE_INTVL][0], part, sizeof(part));
			break;
		case 'P': snprintf(part, sizeof(part), "%ld", sys->values[SYSCTL_KEEPALIVE_PROBES][0]); break;
		default: snprintf(part, sizeof(part), "%%%c", *p); break;
		}
		len += (size_t)snprintf(out + len, size - len, "%s", part);
		if (len >= size)
			len = size - 1;
	}
}

/* "net.ipv4.tcp_retries2" for "net/ipv4/tcp_retries2". */
static void setting_name(enum sysctl_id id, char *name, size_t size)
{
	snprintf(name, size, "%s", sysctl_settings[id].path);
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '.';
}

static json_t *kernel_json(struct status_builder *b, const struct sysctl_result *sys)
{
	json_t *o = json_object(), *settings = json_object(), *explained = json_array();
	char name[128], text[640];

	for (unsigned i = 0; i < SYSCTL_COUNT; i++) {
		if (!sys->present[i])
			continue;
		setting_name(i, name, sizeof(name));
		if (sysctl_settings[i].n_values == 2)
			status_put(b, settings, name, json_pack("[I,I]", (json_int_t)sys->values[i][0],
							 (json_int_t)sys->values[i][1]));
		else
			status_put(b, settings, name, json_integer(sys->values[i][0]));
	}
	for (unsigned i = 0; i < sizeof(kernel_rows) / sizeof(kernel_rows[0]); i++) {
		const struct kernel_row *row = &kernel_rows[i];
		const long *v = sys->values[row->id];
		double seconds;
		json_t *e;

		if (row->seconds == SECONDS_KEEPALIVE ? !sys->has_keepalive_detection : !sys->present[row->id])
			continue;
		seconds = kernel_seconds(row, sys);
		kernel_text(row, sys, seconds, text, sizeof(text));
		setting_name(row->id, name, sizeof(name));
		e = json_object();
		status_put(b, e, "setting", json_string(name));
		status_put(b, e, "value", json_integer(row->range ? (v[1] >= v[0] ? v[1] - v[0] + 1 : 0) : v[0]));
		status_put(b, e, "seconds", seconds >= 0 ? json_real(seconds) : json_null());
		status_put(b, e, "text", json_string(text));
		status_append(b, explained, e);
	}
	status_put(b, o, "settings", settings);
	status_put(b, o, "explained", explained);
	return o;
}

static json_t *namespace_json(struct status_builder *b, const struct snapshot *s, const struct target_result *t)
{
	const struct collectors_result *data = &s->data;
	json_t *o = json_object(), *alerts = json_array(), *ns_row_alerts = json_array();
	json_t *counters = json_object();
	const struct tcp_result *tcp = t->tcp;

	status_put(b, o, "netns", json_string(data->per_netns ? t->labels.netns : ""));
	status_put(b, o, "pod_uid", json_string(data->per_netns ? t->labels.pod_uid : ""));
	status_put(b, o, "container_id", json_string(data->per_netns ? t->labels.container_id : ""));
	if (tcp && tcp->has_sockets) {
		json_t *tj = json_object();
		uint64_t tw_client = 0;

		status_target_fields(b, tj, tcp);
		status_put(b, tj, "ephemeral_port_range", json_pack("[i,i]", tcp->eph_low, tcp->eph_high));
		status_put(b, tj, "listeners", listeners_json(b, s, t, alerts));
		status_put(b, tj, "ports", ports_json(b, s, t, alerts));
		status_put(b, tj, "worst_connections", worst_json(b, tcp));
		for (unsigned i = 0; i < tcp->n_ports[CLASSIFY_CLIENT]; i++)
			tw_client += tcp->ports[CLASSIFY_CLIENT][i].counts.states[TCPH_TIME_WAIT];
		status_put(b, tj, "client_time_wait", status_uint_json(tw_client));
		if (t->sysctl.present[SYSCTL_IP_LOCAL_PORT_RANGE]) {
			long range = t->sysctl.values[SYSCTL_IP_LOCAL_PORT_RANGE][1] -
				     t->sysctl.values[SYSCTL_IP_LOCAL_PORT_RANGE][0] + 1;

			if (range > 0)
				check(b, ns_row_alerts, alerts, THRESHOLD_time_wait_port_range_ratio,
				      (double)tw_client / (double)range, fields_role_names[CLASSIFY_CLIENT], -1,
				      false);
		}
		for (int r = 0; r < CLASSIFY_ROLES; r++)
			check(b, ns_row_alerts, alerts, fields_tcp[FIELD_PORTS_FOLDED_ROW].threshold,
			      (double)tcp->folded[r], fields_role_names[r], -1, false);
		status_put(b, o, "tcp", tj);
	} else {
		status_put(b, o, "tcp", json_null());
	}
	status_put(b, o, "kernel", kernel_json(b, &t->sysctl));
	for (unsigned i = 0; i < NETSTAT_COUNT; i++)
		if (t->netstat.found[i])
			status_put(b, counters, netstat_counters[i].name, json_integer(t->netstat.values[i]));
	status_put(b, o, "counters", counters);
	status_put(b, o, "events", status_events_namespace(b, s, t));
	status_put(b, o, "alerts", alerts);
	json_decref(ns_row_alerts);
	return o;
}

/* ---- the document --------------------------------------------------------------------------- */

json_t *status_document(const struct snapshot *s)
{
	const struct collectors_result *data = &s->data;
	struct status_builder b = { false };
	json_t *doc = json_object(), *exporter = json_object(), *scan = json_object();
	json_t *collectors = json_array(), *thresholds = json_array(), *namespaces = json_array();
	json_t *self_ports = json_array();
	char host[256];
	double seconds = 0;

	status_put(&b, doc, "schema", json_string(STATUS_SCHEMA));
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	utf8_sanitize(host);
	status_put(&b, exporter, "version", json_string(TCPH_VERSION));
	status_put(&b, exporter, "revision", json_string(TCPH_REVISION));
	status_put(&b, exporter, "hostname", json_string(host));
	for (unsigned i = 0; i < s->self.n_self_ports && i < STATS_SELF_PORTS; i++)
		status_append(&b, self_ports, json_integer(s->self.self_ports[i]));
	status_put(&b, exporter, "web_listen_ports", self_ports);
	status_put(&b, exporter, "status_exclude_self", json_boolean(s->self.status_exclude_self));
	status_put(&b, doc, "exporter", exporter);

	for (unsigned i = 0; i < collectors_count; i++) {
		const struct snapshot_collector *c = &s->collectors[i];
		json_t *o = json_object();

		status_put(&b, o, "name", json_string(collectors_table[i].name));
		status_put(&b, o, "enabled", json_boolean(c->enabled));
		status_put(&b, o, "success", json_boolean(c->enabled && c->error == 0));
		status_put(&b, o, "error", c->enabled && c->error ? json_string(strerror(-c->error)) : json_null());
		status_put(&b, o, "duration_seconds", json_real(c->enabled ? c->seconds : 0));
		if (c->enabled)
			seconds += c->seconds;
		status_append(&b, collectors, o);
	}
	status_put(&b, scan, "number", status_uint_json(s->scan_number));
	status_put(&b, scan, "time", json_real(s->time));
	status_put(&b, scan, "time_utc", status_time_json(s->time));
	status_put(&b, scan, "collectors_seconds", json_real(seconds));
	/* The scan as a whole: wall time and the CPU of the threads that scanned (not a sum
	 * over namespaces like the collectors' times). */
	status_put(&b, scan, "duration_seconds", json_real((double)data->cost.wall_ns / 1e9));
	status_put(&b, scan, "cpu_seconds", json_real((double)data->cost.cpu_ns / 1e9));
	status_put(&b, scan, "cpu_seconds_total", json_real((double)data->cost.cpu_ns_total / 1e9));
	status_put(&b, scan, "netns_mode", json_string(data->netns_mode == NETNS_ALL ? "all" :
						 data->netns_mode == NETNS_NAMES ? "names" : "self"));
	status_put(&b, scan, "idle_threshold_seconds", json_integer(data->idle_threshold_seconds));
	status_put(&b, scan, "worst_connections_per_kind", json_integer(data->worst_max));
	status_put(&b, doc, "scan", scan);
	status_put(&b, doc, "collectors", collectors);

	for (unsigned i = 0; i < THRESHOLDS_COUNT; i++) {
		const struct fields_threshold *t = &fields_thresholds[i];
		const struct fields_alert *a = &fields_alerts[t->alert];

		status_append(&b, thresholds, json_pack("{s:s,s:s,s:s,s:f,s:s,s:s}", "name", t->name, "alert", a->name,
						 "op", t->op, "value", t->value, "for", a->for_duration,
						 "severity", a->severity));
	}
	status_put(&b, doc, "thresholds", thresholds);

	if (data->per_netns) {
		json_t *skipped = json_object();

		for (unsigned r = 0; r < NETNS_SKIP_REASONS; r++)
			status_put(&b, skipped, netns_skip_names[r], status_uint_json(data->netns.skipped_total[r]));
		status_put(&b, doc, "netns", json_pack("{s:i,s:i,s:i,s:o,s:f}", "found", data->netns.found, "scanned",
						data->netns.scanned, "over_limit", data->netns.over_limit,
						"skipped_total", skipped, "discovery_seconds",
						data->netns.discovery_seconds));
	} else {
		status_put(&b, doc, "netns", json_null());
	}
	if (data->has_owners)
		status_put(&b, doc, "owners", json_pack("{s:i,s:i}", "listener_inodes", data->owners.wanted,
						 "unresolved", data->owners.unresolved));
	else
		status_put(&b, doc, "owners", json_null());

	for (unsigned t = 0; t < data->n_targets; t++)
		status_append(&b, namespaces, namespace_json(&b, s, &data->targets[t]));
	status_put(&b, doc, "namespaces", namespaces);
	status_put(&b, doc, "events", status_events_recent(&b, data));
	if (b.failed) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
