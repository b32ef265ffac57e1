/* render_metrics.c — the Prometheus text view of a snapshot, driven by tables of metric
 * families: the tcp collector's are the rows of the views' field table (fields.h), so a new
 * per-socket metric is one field in struct tcpagg_slot and one row in fields_tcp[]. No
 * number is computed here; every value is read from the snapshot. */
#include "render_metrics.h"

#include "../collectors/diag_compat.h"
#include "expfmt.h"
#include "fields.h"
#include "version.h"
#include "render_metrics_internal.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the tcp collector's families (the rows of fields_tcp[]) ----------------------------- */

void render_target_prefix(const struct snapshot *s, const struct target_result *t, struct prefix *p)
{
	p->n = 0;
	if (!s->data.per_netns)
		return;
	p->labels[p->n++] = (struct expfmt_label){ "netns", t->labels.netns };
	if (t->labels.pod_uid[0])
		p->labels[p->n++] = (struct expfmt_label){ "pod_uid", t->labels.pod_uid };
	if (t->labels.container_id[0])
		p->labels[p->n++] = (struct expfmt_label){ "container_id", t->labels.container_id };
}

size_t render_with_prefix(struct expfmt_label *labels, const struct prefix *p,
			  const struct expfmt_label *own, size_t n_own)
{
	memcpy(labels, p->labels, p->n * sizeof(*labels));
	memcpy(labels + p->n, own, n_own * sizeof(*labels));
	return p->n + n_own;
}

/* One row over every (port, role) label set, in port order with "other" last per role. */
static void write_slot_row(const struct tcp_result *tcp, const struct fields_row *row,
			   const struct prefix *prefix, struct expfmt_buf *out)
{
	char port[8];
	struct expfmt_label labels[MAX_LABELS];
	size_t k = prefix->n;
	struct expfmt_label own[2] = { { "port", port }, { "role", NULL } };

	render_with_prefix(labels, prefix, own, 2);
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		labels[k + 1].value = fields_role_names[r];
		for (unsigned i = 0; i < tcp->n_ports[r]; i++) {
			const struct tcp_port *p = &tcp->ports[r][i];
			const struct tcpagg_slot *slot = &p->counts;

			fields_port_text(port, p);
			switch (row->kind) {
			case FIELD_SLOT_U32:
			case FIELD_SLOT_U64:
				expfmt_sample_u64(out, row->metric, labels, k + 2,
						  fields_value(slot, row->kind, row->offset));
				break;
			case FIELD_SLOT_STATES:
				labels[k + 2].name = "state";
				for (unsigned st = 1; st <= TCPH_STATE_MAX; st++) {
					labels[k + 2].value = fields_state_name(st);
					expfmt_sample_u64(out, row->metric, labels, k + 3, slot->states[st]);
				}
				break;
			case FIELD_SLOT_TIMERS:
				labels[k + 2].name = "timer";
				for (unsigned t = 0; t <= TCPH_TIMER_MAX; t++) {
					labels[k + 2].value = fields_timer_name(t);
					expfmt_sample_u64(out, row->metric, labels, k + 3, slot->timers[t]);
				}
				break;
			case FIELD_SLOT_HISTOGRAM: {
				const struct tcpagg_histogram *h =
					(const void *)((const char *)slot + row->offset);

				expfmt_histogram(out, row->metric, labels, k + 2, row->bounds, h->buckets,
						 row->nbounds, h->count, h->sum);
				break;
			}
			default:
				break;
			}
		}
	}
}

/* Rows over the server role's ports that are not "other". */
static void write_listener_row(const struct tcp_result *tcp, const struct fields_row *row,
			       const struct prefix *prefix, struct expfmt_buf *out)
{
	unsigned used = fields_named_ports(tcp, CLASSIFY_SERVER);
	char port[8], address[INET6_ADDRSTRLEN];
	struct expfmt_label labels[MAX_LABELS];
	struct expfmt_label own[4] = { { "port", port },
				       { "address", address },
				       { "family", NULL },
				       { "process", NULL } };
	size_t k = prefix->n;

	render_with_prefix(labels, prefix, own, 4);
	for (unsigned i = 0; i < used; i++) {
		const struct tcp_port *p = &tcp->ports[CLASSIFY_SERVER][i];
		const struct tcpagg_listener *listener = &tcp->listeners[i];

		fields_port_text(port, p);
		switch (row->kind) {
		case FIELD_LISTENER_UP:
			if (listener->sockets || p->expected)
				expfmt_sample_u64(out, row->metric, labels, k + 1, listener->sockets ? 1 : 0);
			break;
		case FIELD_LISTENER_INFO:
			for (unsigned a = 0; a < listener->n_addresses; a++) {
				const struct tcpagg_listener_address *la = &listener->addresses[a];

				inet_ntop(la->family == AF_INET6 ? AF_INET6 : AF_INET, la->addr, address,
					  sizeof(address));
				labels[k + 2].value = fields_family_of(la->family);
				/* The owner's comm when known; left out (empty) when not. */
				labels[k + 3].value = la->process;
				expfmt_sample_u64(out, row->metric, labels, la->process[0] ? k + 4 : k + 3, 1);
			}
			break;
		case FIELD_LISTENER_U64:
			if (listener->sockets)
				expfmt_sample_u64(out, row->metric, labels, k + 1,
						  fields_value(listener, row->kind, row->offset));
			break;
		default:
			break;
		}
	}
}

/* The samples of one family for one target. */
static void write_tcp_samples(const struct tcp_result *tcp, const struct fields_row *row,
			      const struct prefix *prefix, struct expfmt_buf *out)
{
	struct expfmt_label labels[MAX_LABELS];
	struct expfmt_label own = { NULL, NULL };
	size_t k = prefix->n;

	switch (row->kind) {
	case FIELD_LISTENER_UP:
	case FIELD_LISTENER_INFO:
	case FIELD_LISTENER_U64:
		write_listener_row(tcp, row, prefix, out);
		break;
	case FIELD_SOCKETS_SCANNED:
		own.name = "family";
		render_with_prefix(labels, prefix, &own, 1);
		for (int f = 0; f < TCPAGG_FAMILIES; f++) {
			labels[k].value = fields_family_names[f];
			expfmt_sample_u64(out, row->metric, labels, k + 1, tcp->sockets_scanned[f]);
		}
		break;
	case FIELD_PORTS_FOLDED:
		own.name = "role";
		render_with_prefix(labels, prefix, &own, 1);
		for (int r = 0; r < CLASSIFY_ROLES; r++) {
			labels[k].value = fields_role_names[r];
			expfmt_sample_u64(out, row->metric, labels, k + 1, tcp->folded[r]);
		}
		break;
	case FIELD_DUMP_RETRIES:
		expfmt_sample_u64(out, row->metric, prefix->labels, k, tcp->dump_retries_total);
		break;
	case FIELD_DUMP_REQUESTS:
		expfmt_sample_u64(out, row->metric, prefix->labels, k, tcp->dump_requests);
		break;
	default:
		write_slot_row(tcp, row, prefix, out);
		break;
	}
}

/* Without a dump only the counters stay true; histograms can be turned off. */
static bool tcp_row_applies(const struct tcp_result *tcp, const struct fields_row *row)
{
	if (!tcp)
		return false; /* out of memory at the end of the scan: nothing is known */
	if (row->kind == FIELD_DUMP_RETRIES || row->kind == FIELD_DUMP_REQUESTS)
		return true;
	if (row->kind == FIELD_SLOT_HISTOGRAM && !tcp->has_histograms)
		return false;
	return tcp->has_sockets;
}

static void write_tcp(const struct snapshot *s, struct expfmt_buf *out)
{
	const struct collectors_result *data = &s->data;

	for (unsigned i = 0; i < FIELDS_TCP_COUNT; i++) {
		const struct fields_row *row = &fields_tcp[i];
		bool any = false;

		for (unsigned t = 0; t < data->n_targets && !any; t++)
			any = tcp_row_applies(data->targets[t].tcp, row);
		if (!any)
			continue;
		/* One HELP/TYPE, then every target's samples: a family must not be split. */
		expfmt_family(out, row->metric, row->type, row->help);
		for (unsigned t = 0; t < data->n_targets; t++) {
			struct prefix prefix;

			if (!tcp_row_applies(data->targets[t].tcp, row))
				continue;
			render_target_prefix(s, &data->targets[t], &prefix);
			write_tcp_samples(data->targets[t].tcp, row, &prefix, out);
		}
	}
	if (data->has_owners) {
		expfmt_family(out, "tcp_health_exporter_listener_owners_unresolved", "gauge",
			      "Listening addresses whose owning process is not known, so "
			      "tcp_health_listener_info has no process label for them: the exporter may "
			      "not read other users' /proc/PID/fd (CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH "
			      "fills them in).");
		expfmt_sample_u64(out, "tcp_health_exporter_listener_owners_unresolved", NULL, 0,
				  data->owners.unresolved);
	}
}

/* ---- the sysctl collector's families --------------------------------------------------- */

struct sysctl_row {
	const char *metric;	 /* tcp_health_sysctl_<metric> */
	const char *metric_high; /* second value of a two-value setting */
	const char *help;
};

static const struct sysctl_row sysctl_rows[SYSCTL_COUNT] = {
	[SYSCTL_KEEPALIVE_TIME] = { "keepalive_time_seconds", NULL,
		"net.ipv4.tcp_keepalive_time: idle time before the first keepalive probe." },
	[SYSCTL_KEEPALIVE_INTVL] = { "keepalive_intvl_seconds", NULL,
		"net.ipv4.tcp_keepalive_intvl: time between keepalive probes." },
	[SYSCTL_KEEPALIVE_PROBES] = { "keepalive_probes", NULL,
		"net.ipv4.tcp_keepalive_probes: unanswered probes before the connection is dropped." },
	[SYSCTL_RETRIES1] = { "retries1", NULL,
		"net.ipv4.tcp_retries1: retransmissions before the route is re-checked." },
	[SYSCTL_RETRIES2] = { "retries2", NULL,
		"net.ipv4.tcp_retries2: retransmissions of data before the connection is dropped "
		"(15 is about 15 minutes)." },
	[SYSCTL_SYN_RETRIES] = { "syn_retries", NULL,
		"net.ipv4.tcp_syn_retries: SYN retransmissions of an active open." },
	[SYSCTL_SYNACK_RETRIES] = { "synack_retries", NULL,
		"net.ipv4.tcp_synack_retries: SYN-ACK retransmissions of a passive open." },
	[SYSCTL_FIN_TIMEOUT] = { "fin_timeout_seconds", NULL,
		"net.ipv4.tcp_fin_timeout: how long an orphaned connection stays in FIN_WAIT2." },
	[SYSCTL_SOMAXCONN] = { "somaxconn", NULL,
		"net.core.somaxconn: upper limit of a listen() backlog." },
	[SYSCTL_MAX_SYN_BACKLOG] = { "max_syn_backlog", NULL,
		"net.ipv4.tcp_max_syn_backlog: half-open connections remembered per listener." },
	[SYSCTL_MAX_TW_BUCKETS] = { "max_tw_buckets", NULL,
		"net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets held at most." },
	[SYSCTL_IP_LOCAL_PORT_RANGE] = { "ip_local_port_range_low", "ip_local_port_range_high",
		"net.ipv4.ip_local_port_range: the ephemeral port range." },
	[SYSCTL_TW_REUSE] = { "tw_reuse", NULL,
		"net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only: reuse TIME_WAIT sockets for new "
		"outgoing connections." },
	[SYSCTL_EHASH_ENTRIES] = { "ehash_entries", NULL,
		"net.ipv4.tcp_ehash_entries: buckets of the TCP established hash table this namespace's "
		"sockets are in; negative when it shares the host's table (every dump of it then walks "
		"the whole table and every other sharing namespace's sockets). Linux 6.1+." },
	[SYSCTL_CHILD_EHASH_ENTRIES] = { "child_ehash_entries", NULL,
		"net.ipv4.tcp_child_ehash_entries: buckets of the own table a network namespace created "
		"from this one gets; 0: it shares the host's. Linux 6.1+." },
};

static void write_sysctl(const struct snapshot *s, struct expfmt_buf *out)
{
	const struct collectors_result *data = &s->data;
	char name[96];

	for (unsigned i = 0; i < SYSCTL_COUNT; i++) {
		const struct sysctl_row *row = &sysctl_rows[i];

		for (int high = 0; high < (row->metric_high ? 2 : 1); high++) {
			bool any = false;

			for (unsigned t = 0; t < data->n_targets && !any; t++)
				any = data->targets[t].sysctl.present[i];
			if (!any)
				continue;
			snprintf(name, sizeof(name), "tcp_health_sysctl_%s",
				 high ? row->metric_high : row->metric);
			expfmt_family(out, name, "gauge", row->help);
			for (unsigned t = 0; t < data->n_targets; t++) {
				const struct sysctl_result *sysctl = &data->targets[t].sysctl;
				struct prefix prefix;

				if (!sysctl->present[i])
					continue;
				render_target_prefix(s, &data->targets[t], &prefix);
				expfmt_sample(out, name, prefix.labels, prefix.n,
					      (double)sysctl->values[i][high]);
			}
		}
	}
	for (unsigned t = 0, header = 0; t < data->n_targets; t++) {
		const struct sysctl_result *sysctl = &data->targets[t].sysctl;
		struct prefix prefix;

		if (!sysctl->has_keepalive_detection)
			continue;
		if (!header++)
			expfmt_family(out, "tcp_health_keepalive_detection_seconds", "gauge",
				      "Time for keepalive to detect a dead idle peer with the kernel's "
				      "default settings: tcp_keepalive_time + tcp_keepalive_intvl * "
				      "tcp_keepalive_probes (applications may override them per socket).");
		render_target_prefix(s, &data->targets[t], &prefix);
		expfmt_sample(out, "tcp_health_keepalive_detection_seconds", prefix.labels, prefix.n,
			      (double)sysctl->keepalive_detection_seconds);
	}
}

/* ---- the netstat collector's families -------------------------------------------------- */

struct netstat_row {
	const char *metric;
	const char *type;
	const char *help;
};

#define KCOUNTER(metric, help) { "tcp_health_kernel_" metric "_total", "counter", help }

static const struct netstat_row netstat_rows[NETSTAT_COUNT] = {
	[NETSTAT_LISTEN_OVERFLOWS] = KCOUNTER("listen_overflows",
		"TcpExt ListenOverflows: connections dropped because a listener's accept queue was full."),
	[NETSTAT_LISTEN_DROPS] = KCOUNTER("listen_drops",
		"TcpExt ListenDrops: connections dropped at a listener for any reason (overflows included)."),
	[NETSTAT_ABORT_ON_TIMEOUT] = KCOUNTER("abort_on_timeout",
		"TcpExt TCPAbortOnTimeout: connections aborted after retransmission or keepalive gave up "
		"(a dead peer detected)."),
	[NETSTAT_ABORT_ON_CLOSE] = KCOUNTER("abort_on_close",
		"TcpExt TCPAbortOnClose: connections reset because the application closed with unread data."),
	[NETSTAT_ABORT_ON_DATA] = KCOUNTER("abort_on_data",
		"TcpExt TCPAbortOnData: connections reset because data arrived after close."),
	[NETSTAT_ABORT_ON_LINGER] = KCOUNTER("abort_on_linger",
		"TcpExt TCPAbortOnLinger: connections reset when the SO_LINGER/FIN_WAIT2 timeout expired."),
	[NETSTAT_ABORT_ON_MEMORY] = KCOUNTER("abort_on_memory",
		"TcpExt TCPAbortOnMemory: connections aborted because TCP memory or orphan limits were hit."),
	[NETSTAT_TIMEOUTS] = KCOUNTER("timeouts",
		"TcpExt TCPTimeouts: retransmission timer expirations."),
	[NETSTAT_KEEP_ALIVE] = KCOUNTER("keep_alive", "TcpExt TCPKeepAlive: keepalive probes sent."),
	[NETSTAT_SYN_RETRANS] = KCOUNTER("syn_retrans",
		"TcpExt TCPSynRetrans: SYN and SYN-ACK retransmissions."),
	[NETSTAT_TIME_WAIT_OVERFLOW] = KCOUNTER("time_wait_overflow",
		"TcpExt TCPTimeWaitOverflow: TIME_WAIT sockets not created because tcp_max_tw_buckets "
		"was reached."),
	[NETSTAT_REQ_Q_FULL_DROP] = KCOUNTER("req_q_full_drop",
		"TcpExt TCPReqQFullDrop: SYNs dropped because the SYN queue was full and SYN cookies "
		"were off."),
	[NETSTAT_REQ_Q_FULL_DO_COOKIES] = KCOUNTER("req_q_full_do_cookies",
		"TcpExt TCPReqQFullDoCookies: SYN cookies sent because the SYN queue was full (a SYN "
		"flood)."),
	[NETSTAT_RETRANS_SEGS] = KCOUNTER("retrans_segs", "Tcp RetransSegs: segments retransmitted."),
	[NETSTAT_OUT_SEGS] = KCOUNTER("out_segs", "Tcp OutSegs: segments sent."),
	[NETSTAT_ESTAB_RESETS] = KCOUNTER("estab_resets",
		"Tcp EstabResets: resets of ESTABLISHED or CLOSE_WAIT connections."),
	[NETSTAT_ATTEMPT_FAILS] = KCOUNTER("attempt_fails",
		"Tcp AttemptFails: connection attempts that failed (SYN_SENT or SYN_RECV to CLOSED or "
		"LISTEN)."),
	[NETSTAT_OUT_RSTS] = KCOUNTER("out_rsts", "Tcp OutRsts: segments sent with the RST flag."),
	[NETSTAT_CURR_ESTAB] = { "tcp_health_kernel_curr_estab", "gauge",
		"Tcp CurrEstab: connections in ESTABLISHED or CLOSE_WAIT now." },
};

static void write_netstat(const struct snapshot *s, struct expfmt_buf *out)
{
	const struct collectors_result *data = &s->data;

	for (unsigned i = 0; i < NETSTAT_COUNT; i++) {
		const struct netstat_row *row = &netstat_rows[i];
		bool any = false;

		/* Not found: this kernel does not have it, or its file was lost. */
		for (unsigned t = 0; t < data->n_targets && !any; t++)
			any = data->targets[t].netstat.found[i];
		if (!any)
			continue;
		expfmt_family(out, row->metric, row->type, row->help);
		for (unsigned t = 0; t < data->n_targets; t++) {
			const struct netstat_result *netstat = &data->targets[t].netstat;
			struct prefix prefix;

			if (!netstat->found[i])
				continue;
			render_target_prefix(s, &data->targets[t], &prefix);
			if (netstat->values[i] >= 0)
				expfmt_sample_u64(out, row->metric, prefix.labels, prefix.n,
						  (uint64_t)netstat->values[i]);
			else
				expfmt_sample(out, row->metric, prefix.labels, prefix.n,
					      (double)netstat->values[i]);
		}
	}
}

/* ---- the exporter's own families ------------------------------------------------------- */

static void write_build_info(struct expfmt_buf *out)
{
	const struct expfmt_label labels[] = {
		{ "version", TCPH_VERSION },
		{ "revision", TCPH_REVISION },
		{ "libmicrohttpd", MHD_get_version() },
	};

	expfmt_family(out, "tcp_health_exporter_build_info", "gauge",
		      "A metric with a constant '1' value labelled by version, revision and the "
		      "libmicrohttpd version the exporter runs with.");
	expfmt_sample_u64(out, "tcp_health_exporter_build_info", labels, 3, 1);
}

static void write_collector_results(const struct snapshot *s, struct expfmt_buf *out)
{
	struct expfmt_label label = { "collector", NULL };

	expfmt_family(out, "tcp_health_scrape_collector_duration_seconds", "gauge",
		      "Time the collector took in this scrape.");
	for (unsigned i = 0; i < collectors_count; i++) {
		if (!s->collectors[i].enabled)
			continue;
		label.value = collectors_table[i].name;
		expfmt_sample(out, "tcp_health_scrape_collector_duration_seconds", &label, 1,
			      s->collectors[i].seconds);
	}
	expfmt_family(out, "tcp_health_scrape_collector_success", "gauge",
		      "1 if the collector succeeded in this scrape, 0 if it failed or lost part of its "
		      "input (see the exporter's log for why); what it could read is still served.");
	for (unsigned i = 0; i < collectors_count; i++) {
		if (!s->collectors[i].enabled)
			continue;
		label.value = collectors_table[i].name;
		expfmt_sample_u64(out, "tcp_health_scrape_collector_success", &label, 1,
				  s->collectors[i].error == 0 ? 1 : 0);
	}
}

/* A family of one sample without labels. */
static void write_single(struct expfmt_buf *out, const char *name, const char *type,
			 const char *help, uint64_t value)
{
	expfmt_family(out, name, type, help);
	expfmt_sample_u64(out, name, NULL, 0, value);
}

/* A counter with one sample per reason="..." value. */
static void write_by_reason(struct expfmt_buf *out, const char *name, const char *help,
			    const char *const *reasons, const uint64_t *values, unsigned n)
{
	struct expfmt_label label = { "reason", NULL };

	expfmt_family(out, name, "counter", help);
	for (unsigned r = 0; r < n; r++) {
		label.value = reasons[r];
		expfmt_sample_u64(out, name, &label, 1, values[r]);
	}
}

/* What scanning costs: wall time per scan and in all, and the CPU of the threads that scan.
 * Unlike tcp_health_scrape_collector_duration_seconds (each collector's time summed over
 * namespaces, so above the wall time with parallel workers, and without discovery), these
 * are the scan as a whole. */
static void write_scan_cost(const struct collectors_cost *cost, struct expfmt_buf *out)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
		{ "tcp_health_exporter_scan_duration_seconds", "gauge",
		  "Wall time of the last scan, from namespace discovery to the end of the gather: what a "
		  "scrape that starts a scan waits for before rendering." },
		{ "tcp_health_exporter_scan_seconds_total", "counter",
		  "Wall time spent scanning since start; its rate is the share of time the exporter is "
		  "scanning." },
		{ "tcp_health_exporter_scan_cpu_seconds_total", "counter",
		  "CPU spent scanning since start by the scanner thread and the --netns workers, from "
		  "their thread CPU clocks (the kernel's work in the dumps included; serving, rendering "
		  "and the tcp.events thread are not)." },
	};
	const unsigned long long ns[] = { cost->wall_ns, cost->wall_ns_total, cost->cpu_ns_total };

	for (unsigned i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		expfmt_family(out, families[i].name, families[i].type, families[i].help);
		expfmt_sample(out, families[i].name, NULL, 0, (double)ns[i] / 1e9);
	}
}

static void write_self(const struct snapshot *s, struct expfmt_buf *out)
{
	const struct exporter_stats *st = &s->self;

	write_single(out, "tcp_health_exporter_scans_total", "counter",
		     "Scans of the kernel's sockets and counters performed. Scrapes that arrive "
		     "during a scan share it, so this grows more slowly than the number of scrapes.",
		     s->scan_number);
	write_scan_cost(&s->data.cost, out);
	write_single(out, "tcp_health_exporter_config_last_reload_successful", "gauge",
		     "1 if the last load of --web.config.file (at start or on SIGHUP) succeeded, 0 if "
		     "it failed and the previous configuration is still in use.",
		     st->reload_successful ? 1 : 0);
	expfmt_family(out, "tcp_health_exporter_config_last_reload_success_timestamp_seconds", "gauge",
		      "Unix time of the last successful load of --web.config.file (the start time "
		      "when none is given).");
	expfmt_sample(out, "tcp_health_exporter_config_last_reload_success_timestamp_seconds", NULL, 0,
		      st->reload_success_time);
	if (!st->exporter_metrics)
		return; /* --web.disable-exporter-metrics */
	write_single(out, "tcp_health_exporter_stale_scrapes_total", "counter",
		     "Scrapes answered from the latest snapshot without a new scan, because responses "
		     "still being sent to slow clients held more memory than the response bound.",
		     st->stale_scrapes);
	write_single(out, "tcp_health_exporter_http_connections", "gauge",
		     "HTTP connections open now.",
		     st->connections_open);
	write_single(out, "tcp_health_exporter_http_response_bytes", "gauge",
		     "Bytes of rendered responses held in memory for clients now (each body is "
		     "shared by every client of the same snapshot).",
		     st->response_bytes);
	write_by_reason(out, "tcp_health_exporter_http_refused_total",
			"Connections and requests turned away or cut off, by reason: connection_limit, "
			"client_connection_limit, read_timeout, write_timeout, max_requests (503), "
			"auth_throttled and auth_queue_full (429), unauthorized (401), out_of_memory (503), "
			"tls_handshake_limit, tls_handshake, client_closed (closed by the client with a request "
			"unfinished).",
			stats_refusal_names, st->refused, STATS_REFUSALS);
}

/* The process_* families as Prometheus client libraries write them (names, types and help
 * of client_golang's process collector), so dashboards made for them work unchanged. */
static void write_process(const struct snapshot *s, struct expfmt_buf *out)
{
	const struct process_stats *p = &s->self.process;

	if (!s->self.exporter_metrics || !p->present)
		return;
	expfmt_family(out, "process_cpu_seconds_total", "counter",
		      "Total user and system CPU time spent in seconds.");
	expfmt_sample(out, "process_cpu_seconds_total", NULL, 0, p->cpu_seconds);
	write_single(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
		     p->max_fds);
	write_single(out, "process_open_fds", "gauge", "Number of open file descriptors.", p->open_fds);
	write_single(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
		     p->resident_bytes);
	expfmt_family(out, "process_start_time_seconds", "gauge",
		      "Start time of the process since unix epoch in seconds.");
	expfmt_sample(out, "process_start_time_seconds", NULL, 0, p->start_time);
	write_single(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
		     p->virtual_bytes);
}

static void write_netns(const struct snapshot *s, struct expfmt_buf *out)
{
	const struct netns_result *n = &s->data.netns;

	if (!s->data.per_netns)
		return;
	write_single(out, "tcp_health_exporter_netns_found", "gauge",
		     "Network namespaces discovery found in the last scan.",
		     n->found);
	write_single(out, "tcp_health_exporter_netns_scanned", "gauge",
		     "Network namespaces scanned in the last scan (each is one netns label value).",
		     n->scanned);
	write_single(out, "tcp_health_exporter_netns_over_limit", "gauge",
		     "Network namespaces found in the last scan but not scanned because --netns.max "
		     "was reached.",
		     n->over_limit);
	write_by_reason(out, "tcp_health_exporter_netns_skipped_total",
			"Network namespaces found but not scanned, by reason: over_limit (--netns.max), "
			"vanished (gone before it could be opened), permission, not_found (a --netns "
			"name missing from /run/netns), error.",
			netns_skip_names, n->skipped_total, NETNS_SKIP_REASONS);
	expfmt_family(out, "tcp_health_exporter_netns_discovery_seconds", "gauge",
		      "Time the last scan spent finding network namespaces and opening new ones.");
	expfmt_sample(out, "tcp_health_exporter_netns_discovery_seconds", NULL, 0,
		      n->discovery_seconds);
}

/* Each collector's families, written in the order of collectors_table. */
static const struct {
	const char *collector;
	void (*write)(const struct snapshot *s, struct expfmt_buf *out);
} collector_writers[] = {
	{ "tcp", write_tcp },
	{ "tcp.events", render_events },
	{ "sysctl", write_sysctl },
	{ "netstat", write_netstat },
};

int render_metrics(const struct snapshot *s, struct expfmt_buf *out)
{
	write_build_info(out);
	for (unsigned i = 0; i < collectors_count; i++) {
		if (!s->collectors[i].enabled)
			continue;
		for (unsigned w = 0; w < sizeof(collector_writers) / sizeof(collector_writers[0]); w++)
			if (strcmp(collector_writers[w].collector, collectors_table[i].name) == 0)
				collector_writers[w].write(s, out);
	}
	write_collector_results(s, out);
	write_netns(s, out);
	write_self(s, out);
	write_process(s, out);
	return out->error;
}
