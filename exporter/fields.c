/* fields.c — the field table every view renders, the alert rules' table and the names the
 * views share (see fields.h). */
#include "fields.h"

#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <stdio.h>

/* ---- alerts and thresholds ---------------------------------------------------------------- */

const struct fields_alert fields_alerts[ALERTS_COUNT] = {
#define ALERT(name, severity, for_duration) [ALERT_##name] = { #name, severity, for_duration },
	ALERT_ROWS
#undef ALERT
};

const struct fields_threshold fields_thresholds[THRESHOLDS_COUNT] = {
#define THRESHOLD(name, alert, op, value) [THRESHOLD_##name] = { #name, ALERT_##alert, op, value },
	THRESHOLD_ROWS
#undef THRESHOLD
};

const struct fields_threshold *fields_threshold_find(const char *name)
{
	for (unsigned i = 0; i < THRESHOLDS_COUNT; i++)
		if (strcmp(fields_thresholds[i].name, name) == 0)
			return &fields_thresholds[i];
	return NULL;
}

bool fields_threshold_crossed(enum threshold_id id, double value)
{
	const struct fields_threshold *t;

	if (id < 0 || id >= THRESHOLDS_COUNT || isnan(value))
		return false;
	t = &fields_thresholds[id];
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

/* ---- shared names ------------------------------------------------------------------------- */

const char *const fields_role_names[CLASSIFY_ROLES] = { "server", "client" };
const char *const fields_family_names[TCPAGG_FAMILIES] = { "ipv4", "ipv6" };

const char *fields_family_of(int af)
{
	return fields_family_names[af == AF_INET6 ? TCPAGG_IPV6 : TCPAGG_IPV4];
}

const char *fields_state_name(unsigned state)
{
	return tcpagg_state_name(state);
}

const char *fields_timer_name(unsigned timer)
{
	return tcpagg_timer_name(timer);
}

unsigned fields_named_ports(const struct tcp_result *tcp, int role)
{
	unsigned n = tcp->n_ports[role];

	return n && tcp->ports[role][n - 1].other ? n - 1 : n;
}

void fields_port_text(char text[8], const struct tcp_port *p)
{
	if (p->other)
		snprintf(text, 8, "other");
	else
		snprintf(text, 8, "%u", p->port);
}

const struct fields_state fields_page_states[] = {
	{ TCPH_ESTABLISHED, true, THRESHOLD_NONE, false },
	{ TCPH_SYN_RECV, true, THRESHOLD_syn_recv_count, true },
	{ TCPH_CLOSE_WAIT, true, THRESHOLD_close_wait_count, false },
	{ TCPH_TIME_WAIT, true, THRESHOLD_NONE, false },
	{ TCPH_SYN_SENT, false, THRESHOLD_NONE, false },
	{ TCPH_FIN_WAIT1, false, THRESHOLD_NONE, false },
	{ TCPH_FIN_WAIT2, false, THRESHOLD_NONE, false },
	{ TCPH_LAST_ACK, false, THRESHOLD_NONE, false },
	{ TCPH_CLOSING, false, THRESHOLD_NONE, false },
	{ TCPH_CLOSE, false, THRESHOLD_NONE, false },
};
const unsigned fields_page_states_count = sizeof(fields_page_states) / sizeof(fields_page_states[0]);

/* ---- the tcp collector's rows ----------------------------------------------------------- */

#define SLOT(field) offsetof(struct tcpagg_slot, field)
#define LISTENER(field) offsetof(struct tcpagg_listener, field)
/* Row tails: no threshold; judged against one; marked with one judged by another row. */
#define NONE THRESHOLD_NONE, FIELD_NOT_JUDGED, ALERTS_COUNT
#define JUDGED(t) THRESHOLD_##t, FIELD_JUDGED, ALERTS_COUNT
#define MARKED(t) THRESHOLD_##t, FIELD_NOT_JUDGED, ALERTS_COUNT

const struct fields_row fields_tcp[FIELDS_TCP_COUNT] = {
	[FIELD_CONNECTIONS] = FIELDS_ROW("tcp_health_connections", "gauge",
		"TCP sockets by state, labelled by service port and role (server: local port is a "
		"listening or expected port; client: remote service port).",
		FIELD_SLOT_STATES, SLOT(states), NULL, 0, "states", "state", FIELD_PAGE_PORTS,
		/* one column and one judgement per state: fields_page_states */ NONE),
	[FIELD_LISTENER_UP_ROW] = FIELDS_ROW("tcp_health_listener_up", "gauge",
		"1 for every port with a listening socket; 0 for an expected port (--listen-ports) "
		"where nothing listens.",
		FIELD_LISTENER_UP, 0, NULL, 0, "up", "State", FIELD_PAGE_LISTENERS,
		THRESHOLD_NONE, FIELD_JUDGED, ALERT_TcpHealthListenerDown),
	[FIELD_LISTENER_INFO_ROW] = FIELDS_ROW("tcp_health_listener_info", "gauge",
		"1 for each address a listening port is bound to (0.0.0.0 or :: is every address; "
		"127.0.0.1 or ::1 is reachable from this host only), with the command name of the "
		"process that owns it when known.",
		FIELD_LISTENER_INFO, 0, NULL, 0, "addresses", "Bound to", FIELD_PAGE_LISTENERS, NONE),
	[FIELD_LISTEN_QUEUE_LENGTH] = FIELDS_ROW("tcp_health_listen_queue_length", "gauge",
		"Connections waiting in the accept queue of the port's listening sockets, summed over "
		"SO_REUSEPORT groups and addresses.",
		FIELD_LISTENER_U64, LISTENER(queue_length), NULL, 0, "accept_queue.length",
		"Accept queue", FIELD_PAGE_LISTENERS, JUDGED(accept_queue_fill) /* as a share of the next row */),
	[FIELD_LISTEN_QUEUE_MAX] = FIELDS_ROW("tcp_health_listen_queue_max", "gauge",
		"Accept queue limit (listen backlog, capped by net.core.somaxconn) of the port's "
		"listening sockets, summed over SO_REUSEPORT groups and addresses.",
		FIELD_LISTENER_U64, LISTENER(queue_max), NULL, 0, "accept_queue.max", "Accept queue",
		FIELD_PAGE_LISTENERS, MARKED(accept_queue_fill)),
	[FIELD_TIMER_CONNECTIONS] = FIELDS_ROW("tcp_health_timer_connections", "gauge",
		"Sockets by the kernel timer pending on them (idiag_timer).",
		FIELD_SLOT_TIMERS, SLOT(timers), NULL, 0, "timers", "timer", FIELD_PAGE_SIGNALS, NONE),
	[FIELD_RETRANSMITTING] = FIELDS_ROW("tcp_health_retransmitting_connections", "gauge",
		"Sockets past the handshake with the retransmit timer pending and at least one "
		"consecutive retransmission: data in flight that the peer is not acknowledging.",
		FIELD_SLOT_U32, SLOT(retransmitting), NULL, 0, "retransmitting",
		"retrans&shy;mitting", FIELD_PAGE_PORTS, MARKED(retransmit_backoff)),
	[FIELD_RETRANSMIT_BACKOFF_MAX] = FIELDS_ROW("tcp_health_retransmit_backoff_max", "gauge",
		"Largest consecutive-retransmission count among the port's retransmitting sockets; "
		"the kernel gives up after a time budget derived from net.ipv4.tcp_retries2 (15: about "
		"15 minutes, reached near 15 retransmissions).",
		FIELD_SLOT_U32, SLOT(retransmit_backoff_max), NULL, 0, "retransmit_backoff_max",
		"max back-off", FIELD_PAGE_PORTS, THRESHOLD_retransmit_backoff,
		FIELD_JUDGED_IF_RETRANSMITTING, ALERTS_COUNT),
	[FIELD_RETRANSMITTED_SEGMENTS] = FIELDS_ROW("tcp_health_retransmitted_segments", "gauge",
		"Sum of tcpi_total_retrans over the sockets alive now. A gauge: it falls when sockets "
		"close.",
		FIELD_SLOT_U64, SLOT(retransmitted_segments), NULL, 0, "retransmitted_segments",
		"segments retrans&shy;mitted", FIELD_PAGE_SIGNALS, NONE),
	[FIELD_LOST_SEGMENTS] = FIELDS_ROW("tcp_health_lost_segments", "gauge",
		"Sum of tcpi_lost (segments presumed lost) over the sockets alive now. A gauge: it "
		"falls when sockets close.",
		FIELD_SLOT_U64, SLOT(lost_segments), NULL, 0, "lost_segments", "segments lost",
		FIELD_PAGE_SIGNALS, NONE),
	[FIELD_UNACKED_SEGMENTS] = FIELDS_ROW("tcp_health_unacked_segments", "gauge",
		"Sum of tcpi_unacked (segments sent, not yet acknowledged) over the sockets alive now. "
		"A gauge.",
		FIELD_SLOT_U64, SLOT(unacked_segments), NULL, 0, "unacked_segments", "segments unacked",
		FIELD_PAGE_SIGNALS, NONE),
	[FIELD_KEEPALIVE] = FIELDS_ROW("tcp_health_keepalive_connections", "gauge",
		"Sockets (other than FIN_WAIT2) with the keepalive timer armed: SO_KEEPALIVE is set.",
		FIELD_SLOT_U32, SLOT(keepalive), NULL, 0, "keepalive", "with keepalive",
		FIELD_PAGE_SIGNALS, NONE),
	[FIELD_KEEPALIVE_PROBES_OUTSTANDING] = FIELDS_ROW("tcp_health_keepalive_probes_outstanding",
		"gauge", "Sum of unanswered keepalive probes; above 0 means a peer is not answering.",
		FIELD_SLOT_U64, SLOT(keepalive_probes), NULL, 0, "keepalive_probes_outstanding",
		"keepalive probes unanswered", FIELD_PAGE_PORTS, JUDGED(keepalive_probes_outstanding)),
	[FIELD_KEEPALIVE_PROBES_MAX] = FIELDS_ROW("tcp_health_keepalive_probes_max", "gauge",
		"Most unanswered keepalive probes on one socket; the kernel gives up at "
		"net.ipv4.tcp_keepalive_probes.",
		FIELD_SLOT_U32, SLOT(keepalive_probes_max), NULL, 0, "keepalive_probes_max",
		"most probes on one socket", FIELD_PAGE_SIGNALS, NONE),
	[FIELD_IDLE_SECONDS] = FIELDS_ROW("tcp_health_connection_idle_seconds", "histogram",
		"ESTABLISHED connections by time since data was last received (tcpi_last_data_recv).",
		FIELD_SLOT_HISTOGRAM, SLOT(idle), tcpagg_idle_bounds, TCPAGG_IDLE_BUCKETS, "idle_seconds",
		"idle (established)", FIELD_PAGE_SIGNALS, NONE),
	[FIELD_UNPROTECTED_IDLE] = FIELDS_ROW("tcp_health_unprotected_idle_connections", "gauge",
		"ESTABLISHED connections with no timer pending (no keepalive, nothing in flight) that "
		"heard nothing from the peer for longer than --idle-threshold: a dead peer or a "
		"firewall's idle timeout would go unnoticed.",
		FIELD_SLOT_U32, SLOT(unprotected_idle), NULL, 0, "unprotected_idle", "unprotected idle",
		FIELD_PAGE_PORTS, JUDGED(unprotected_idle_connections)),
	[FIELD_RTT_SECONDS] = FIELDS_ROW("tcp_health_rtt_seconds", "histogram",
		"ESTABLISHED connections by smoothed round-trip time (tcpi_rtt).",
		FIELD_SLOT_HISTOGRAM, SLOT(rtt), tcpagg_rtt_bounds, TCPAGG_RTT_BUCKETS, "rtt_seconds",
		"RTT (established)", FIELD_PAGE_SIGNALS, NONE),
	[FIELD_SOCKETS_SCANNED_ROW] = FIELDS_ROW("tcp_health_exporter_sockets_scanned", "gauge",
		"TCP sockets read from the kernel in the last scan, by address family.",
		FIELD_SOCKETS_SCANNED, 0, NULL, 0, "sockets_scanned", "sockets read", FIELD_PAGE_SCAN,
		NONE),
	[FIELD_PORTS_FOLDED_ROW] = FIELDS_ROW("tcp_health_exporter_ports_folded_sockets", "gauge",
		"Sockets counted under port=\"other\" in the last scan because their role already had "
		"--max-ports distinct port values.",
		FIELD_PORTS_FOLDED, 0, NULL, 0, "ports_folded", "folded into port &quot;other&quot; (--max-ports)",
		FIELD_PAGE_SCAN, JUDGED(folded_sockets)),
	[FIELD_DUMP_RETRIES_ROW] = FIELDS_ROW("tcp_health_exporter_dump_retries_total", "counter",
		"Socket dumps restarted because the kernel flagged them inconsistent (NLM_F_DUMP_INTR). "
		"Current kernels do not flag TCP dumps, so this stays 0 there; the retry guards kernels "
		"that do.",
		FIELD_DUMP_RETRIES, 0, NULL, 0, "dump_retries_total", "dump retries", FIELD_PAGE_SCAN,
		NONE),
	[FIELD_DUMP_REQUESTS_ROW] = FIELDS_ROW("tcp_health_exporter_dump_requests_per_scan", "gauge",
		"inet_diag dump requests a scan of the namespace makes, retries aside: 1, one walk of "
		"the kernel's TCP tables for both address families (TCPDIAG_GETSOCK); 2, one dump per "
		"family, since the kernel refused the one-walk request (logged once).",
		FIELD_DUMP_REQUESTS, 0, NULL, 0, "dump_requests_per_scan", "dump requests",
		FIELD_PAGE_SCAN, NONE),
};

const char *fields_row_alert(const struct fields_row *row)
{
	if (row->threshold != THRESHOLD_NONE)
		return fields_alerts[fields_thresholds[row->threshold].alert].name;
	if (row->alert != ALERTS_COUNT)
		return fields_alerts[row->alert].name;
	return NULL;
}

uint64_t fields_value(const void *base, enum fields_kind kind, size_t offset)
{
	const char *p = (const char *)base + offset;

	if (kind == FIELD_SLOT_U32)
		return *(const uint32_t *)(const void *)p;
	return *(const uint64_t *)(const void *)p;
}

/* ---- the worst connections ---------------------------------------------------------------- */

const struct fields_worst fields_worst[TCPAGG_WORST_KINDS] = {
	[TCPAGG_WORST_RETRANSMITTING] = { "retransmissions", false,
		"Retransmitting into a silent peer: data in flight, unacknowledged; ranked by "
		"consecutive retransmissions (back-off).",
		"Retransmitting into a silent peer" },
	[TCPAGG_WORST_KEEPALIVE] = { "probes", false,
		"Keepalive probes unanswered: an idle peer that stopped answering; ranked by probes "
		"sent without reply.",
		"Keepalive probes unanswered" },
	[TCPAGG_WORST_IDLE] = { "seconds", true,
		"Unprotected idle: established, no keepalive, nothing in flight, silent past the "
		"idle threshold; a dead peer here is never noticed. Ranked by silence.",
		"Unprotected idle (no keepalive, nothing in flight)" },
	[TCPAGG_WORST_CLOSE_WAIT] = { "seconds", true,
		"CLOSE_WAIT: the peer closed, the local process has not called close(); ranked by "
		"time since the peer last sent data.",
		"CLOSE_WAIT (the process has not called close())" },
	[TCPAGG_WORST_SYN_RECV] = { "retransmissions", false,
		"SYN_RECV: half-open connections waiting for the client's ACK; ranked by SYN-ACK "
		"retransmissions.",
		"SYN_RECV (half-open)" },
};
