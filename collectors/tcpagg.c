/* tcpagg.c — per-(port, role) aggregation of the socket scan, and the `tcp` collector.
 *
 * Each socket record is classified and added to its slot in the same pass over the
 * dump; nothing is kept per socket. */
#include "tcpagg.h"

#include "../exporter/expfmt.h"
#include "../exporter/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>


static const char *const state_names[TCPH_STATE_MAX + 1] = {
	[TCPH_ESTABLISHED] = "established", [TCPH_SYN_SENT] = "syn_sent",
	[TCPH_SYN_RECV] = "syn_recv",	    [TCPH_FIN_WAIT1] = "fin_wait1",
	[TCPH_FIN_WAIT2] = "fin_wait2",	    [TCPH_TIME_WAIT] = "time_wait",
	[TCPH_CLOSE] = "close",		    [TCPH_CLOSE_WAIT] = "close_wait",
	[TCPH_LAST_ACK] = "last_ack",	    [TCPH_LISTEN] = "listen",
	[TCPH_CLOSING] = "closing",
};

static const char *const timer_names[TCPH_TIMER_MAX + 1] = {
	[TCPH_TIMER_OFF] = "off",
	[TCPH_TIMER_RETRANSMIT] = "retransmit",
	[TCPH_TIMER_KEEPALIVE] = "keepalive",
	[TCPH_TIMER_TIME_WAIT] = "time_wait",
	[TCPH_TIMER_PROBE] = "zero_window_probe",
	[TCPH_TIMER_DELAYED_ACK] = "delayed_ack",
};

/* Histogram bounds in seconds. */
static const double idle_bounds[TCPAGG_IDLE_BUCKETS] = { 1, 10, 60, 300, 900, 3600, 7200 };
static const double rtt_bounds[TCPAGG_RTT_BUCKETS] = { 0.0001, 0.0005, 0.001, 0.005, 0.01,
						       0.05,   0.1,    0.5,   1 };

static const char *const role_names[CLASSIFY_ROLES] = { "server", "client" };
static const char *const family_names[TCPAGG_FAMILIES] = { "ipv4", "ipv6" };

const char *tcpagg_state_name(unsigned state)
{
	return state >= 1 && state <= TCPH_STATE_MAX ? state_names[state] : NULL;
}

const char *tcpagg_timer_name(unsigned timer)
{
	return timer <= TCPH_TIMER_MAX ? timer_names[timer] : NULL;
}

int tcpagg_init(struct tcpagg *agg, const struct classify_config *config,
		uint32_t idle_threshold_ms)
{
	size_t nslots = config->max_ports + 1u;
	int ret;

	memset(agg, 0, sizeof(*agg));
	ret = classify_init(&agg->classify, config);
	if (ret < 0)
		return ret;
	snprintf(agg->port_range_path, sizeof(agg->port_range_path),
		 "/proc/sys/net/ipv4/ip_local_port_range");
	agg->idle_threshold_ms = idle_threshold_ms;
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		agg->slots[r] = calloc(nslots, sizeof(struct tcpagg_slot));
		agg->order[r] = calloc(nslots, sizeof(unsigned));
	}
	agg->listeners = calloc(nslots, sizeof(struct tcpagg_listener));
	if (!agg->slots[0] || !agg->slots[1] || !agg->order[0] || !agg->order[1] || !agg->listeners) {
		tcpagg_fini(agg);
		return -ENOMEM;
	}
	return 0;
}

void tcpagg_fini(struct tcpagg *agg)
{
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		free(agg->slots[r]);
		free(agg->order[r]);
		agg->slots[r] = NULL;
		agg->order[r] = NULL;
	}
	free(agg->listeners);
	agg->listeners = NULL;
	classify_fini(&agg->classify);
}

void tcpagg_begin(struct tcpagg *agg)
{
	size_t nslots = agg->classify.max_ports + 1u;
	uint16_t low = agg->classify.eph_low, high = agg->classify.eph_high;
	int ret = classify_read_ephemeral_range(agg->port_range_path, &low, &high);

	if (ret < 0)
		log_warn("cannot read %s (%s); keeping ephemeral range %u-%u", agg->port_range_path,
			 strerror(-ret), low, high);
	classify_begin(&agg->classify, low, high);
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		memset(agg->slots[r], 0, nslots * sizeof(struct tcpagg_slot));
	memset(agg->listeners, 0, nslots * sizeof(struct tcpagg_listener));
	memset(agg->sockets_scanned, 0, sizeof(agg->sockets_scanned));
}

static void add_listener(struct tcpagg_listener *listener, const struct sockdiag_record *record)
{
	size_t addr_len = record->family == AF_INET ? 4 : 16;

	listener->sockets++;
	/* For LISTEN sockets the queues are the accept queue and its limit. */
	listener->queue_length += record->rqueue;
	listener->queue_max += record->wqueue;
	for (unsigned i = 0; i < listener->n_addresses; i++) {
		const struct tcpagg_listener_address *seen = &listener->addresses[i];

		if (seen->family == record->family && memcmp(seen->addr, record->saddr, addr_len) == 0)
			return;
	}
	if (listener->n_addresses == TCPAGG_LISTENER_ADDRESSES) {
		log_debug("port %u: more than %d listening addresses, not all listed", record->sport,
			  TCPAGG_LISTENER_ADDRESSES);
		return;
	}
	listener->addresses[listener->n_addresses].family = record->family;
	memset(listener->addresses[listener->n_addresses].addr, 0, 16);
	memcpy(listener->addresses[listener->n_addresses].addr, record->saddr, addr_len);
	listener->n_addresses++;
}

static void observe(struct tcpagg_histogram *h, const double *bounds, unsigned nbounds, double value)
{
	for (unsigned i = 0; i < nbounds; i++) {
		if (value <= bounds[i]) {
			h->buckets[i]++;
			break;
		}
	}
	h->count++;
	h->sum += value;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Timers, retransmission, keepalive, idle and RTT of one socket: the dead-peer signals. */
static void add_health(const struct tcpagg *agg, struct tcpagg_slot *slot,
		       const struct sockdiag_record *record)
{
	const struct tcp_info *info = &record->info;

	if (record->timer <= TCPH_TIMER_MAX)
		slot->timers[record->timer]++;
	/* SYN_SENT/SYN_RECV retransmit the handshake (SYN, SYN-ACK): a scan, a flood or an
	 * unreachable host, not a peer that vanished with data in flight. */
	if (record->timer == TCPH_TIMER_RETRANSMIT && record->retrans > 0 &&
	    record->state != TCPH_SYN_SENT && record->state != TCPH_SYN_RECV) {
		slot->retransmitting++;
		slot->retransmit_backoff_max = max_u32(slot->retransmit_backoff_max, record->retrans);
	}
	/* FIN_WAIT2 runs its tcp_fin_timeout on the same timer as keepalive (sk_timer). */
	if (record->timer == TCPH_TIMER_KEEPALIVE && record->state != TCPH_FIN_WAIT2) {
		slot->keepalive++;
		slot->keepalive_probes += record->retrans;
		slot->keepalive_probes_max = max_u32(slot->keepalive_probes_max, record->retrans);
	}
	/* TIME_WAIT and request mini-sockets have no tcp_info; a listener's is about its
	 * accept queue (tcpi_unacked holds the queue length), not about segments. */
	if (record->info_len == 0 || record->state == TCPH_LISTEN)
		return;
	slot->retransmitted_segments += info->tcpi_total_retrans;
	slot->lost_segments += info->tcpi_lost;
	slot->unacked_segments += info->tcpi_unacked;
	if (record->state != TCPH_ESTABLISHED)
		return;
	observe(&slot->idle, idle_bounds, TCPAGG_IDLE_BUCKETS, info->tcpi_last_data_recv / 1000.0);
	observe(&slot->rtt, rtt_bounds, TCPAGG_RTT_BUCKETS, info->tcpi_rtt / 1e6);
	/* Silent: nothing received from the peer, data or ACK, for longer than the threshold;
	 * unprotected: no timer pending, so no keepalive and nothing in flight either. */
	if (record->timer == TCPH_TIMER_OFF &&
	    info->tcpi_last_data_recv > agg->idle_threshold_ms &&
	    info->tcpi_last_ack_recv > agg->idle_threshold_ms)
		slot->unprotected_idle++;
}

int tcpagg_add(const struct sockdiag_record *record, void *ctx)
{
	struct tcpagg *agg = ctx;
	enum classify_role role;
	unsigned slot;

	agg->sockets_scanned[record->family == AF_INET6 ? TCPAGG_IPV6 : TCPAGG_IPV4]++;
	if (record->state < 1 || record->state > TCPH_STATE_MAX) {
		log_debug("socket in unknown state %u skipped", record->state);
		return 0;
	}
	slot = classify_socket(&agg->classify, record->state, record->sport, record->dport, &role);
	agg->slots[role][slot].states[record->state]++;
	add_health(agg, &agg->slots[role][slot], record);
	if (record->state == TCPH_LISTEN && slot != classify_other_slot(&agg->classify))
		add_listener(&agg->listeners[slot], record);
	return 0;
}

int tcpagg_scan(struct tcpagg *agg, tcpagg_dump_fn dump, void *dump_ctx)
{
	static const int families[TCPAGG_FAMILIES] = { AF_INET, AF_INET6 };
	int ret = 0;

	for (int attempt = 0; attempt <= TCPAGG_MAX_DUMP_RETRIES; attempt++) {
		if (attempt > 0)
			agg->dump_retries_total++;
		tcpagg_begin(agg);
		for (int f = 0; f < TCPAGG_FAMILIES; f++) {
			ret = dump(dump_ctx, families[f], tcpagg_add, agg);
			if (ret == -EAFNOSUPPORT && families[f] == AF_INET6)
				ret = 0; /* kernel without IPv6: nothing to count */
			if (ret < 0)
				break;
		}
		if (ret != -EINTR)
			return ret;
		log_debug("socket dump interrupted (NLM_F_DUMP_INTR), attempt %d", attempt + 1);
	}
	return ret;
}

/* ---- writing ---------------------------------------------------------------------- */

static const struct tcpagg *sort_agg;
static enum classify_role sort_role;

static int compare_slot_ports(const void *a, const void *b)
{
	uint16_t pa = classify_slot_port(&sort_agg->classify, sort_role, *(const unsigned *)a);
	uint16_t pb = classify_slot_port(&sort_agg->classify, sort_role, *(const unsigned *)b);

	return (pa > pb) - (pa < pb);
}

/* Sorts each role's used slots by port into agg->order, then appends the "other" slot,
 * so that writers walk ports in numeric order with "other" last. */
static void sort_slots(struct tcpagg *agg)
{
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		unsigned used = agg->classify.roles[r].used;

		for (unsigned i = 0; i < used; i++)
			agg->order[r][i] = i;
		sort_agg = agg;
		sort_role = (enum classify_role)r;
		qsort(agg->order[r], used, sizeof(unsigned), compare_slot_ports);
		agg->order[r][used] = classify_other_slot(&agg->classify);
	}
}

/* Number of entries in agg->order[role]: used slots plus "other". */
static unsigned ordered_count(const struct tcpagg *agg, enum classify_role role)
{
	return agg->classify.roles[role].used + 1u;
}

static void port_text(char text[8], const struct tcpagg *agg, enum classify_role role, unsigned slot)
{
	if (slot == classify_other_slot(&agg->classify))
		snprintf(text, 8, "other");
	else
		snprintf(text, 8, "%u", classify_slot_port(&agg->classify, role, slot));
}

/* A family with one sample per (port, role) slot, read from the slot by `value`. */
typedef uint64_t (*slot_value_fn)(const struct tcpagg_slot *slot);

static void write_slot_family(const struct tcpagg *agg, struct expfmt_buf *out, const char *name,
			      const char *help, slot_value_fn value)
{
	char port[8];
	struct expfmt_label labels[2] = { { "port", port }, { "role", NULL } };

	expfmt_family(out, name, "gauge", help);
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		labels[1].value = role_names[r];
		for (unsigned i = 0; i < ordered_count(agg, (enum classify_role)r); i++) {
			unsigned slot = agg->order[r][i];

			port_text(port, agg, (enum classify_role)r, slot);
			expfmt_sample_u64(out, name, labels, 2, value(&agg->slots[r][slot]));
		}
	}
}

/* Like write_slot_family, with a third label whose values index an array in the slot. */
static void write_slot_vector(const struct tcpagg *agg, struct expfmt_buf *out, const char *name,
			      const char *help, const char *label, const char *const *values,
			      unsigned first, unsigned last, size_t array_offset)
{
	char port[8];
	struct expfmt_label labels[3] = { { "port", port }, { "role", NULL }, { label, NULL } };

	expfmt_family(out, name, "gauge", help);
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		labels[1].value = role_names[r];
		for (unsigned i = 0; i < ordered_count(agg, (enum classify_role)r); i++) {
			unsigned slot = agg->order[r][i];
			const uint32_t *array =
				(const uint32_t *)((const char *)&agg->slots[r][slot] + array_offset);

			port_text(port, agg, (enum classify_role)r, slot);
			for (unsigned v = first; v <= last; v++) {
				labels[2].value = values[v];
				expfmt_sample_u64(out, name, labels, 3, array[v]);
			}
		}
	}
}

static void write_slot_histogram(const struct tcpagg *agg, struct expfmt_buf *out, const char *name,
				 const char *help, size_t hist_offset, const double *bounds,
				 unsigned nbounds)
{
	char port[8];
	struct expfmt_label labels[2] = { { "port", port }, { "role", NULL } };

	expfmt_family(out, name, "histogram", help);
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		labels[1].value = role_names[r];
		for (unsigned i = 0; i < ordered_count(agg, (enum classify_role)r); i++) {
			unsigned slot = agg->order[r][i];
			const struct tcpagg_histogram *h =
				(const struct tcpagg_histogram *)((const char *)&agg->slots[r][slot] +
								  hist_offset);

			port_text(port, agg, (enum classify_role)r, slot);
			expfmt_histogram(out, name, labels, 2, bounds, h->buckets, nbounds, h->count,
					 h->sum);
		}
	}
}

static void write_listeners(const struct tcpagg *agg, struct expfmt_buf *out)
{
	const unsigned *order = agg->order[CLASSIFY_SERVER];
	unsigned used = agg->classify.roles[CLASSIFY_SERVER].used; /* "other" has no listeners */
	char port[8], address[INET6_ADDRSTRLEN];
	struct expfmt_label labels[3] = { { "port", port }, { "address", address }, { "family", NULL } };

	expfmt_family(out, "tcp_health_listener_up", "gauge",
		      "1 for every port with a listening socket; 0 for an expected port "
		      "(--listen-ports) where nothing listens.");
	for (unsigned i = 0; i < used; i++) {
		uint16_t p = classify_slot_port(&agg->classify, CLASSIFY_SERVER, order[i]);

		if (agg->listeners[order[i]].sockets || classify_is_expected(&agg->classify, p)) {
			port_text(port, agg, CLASSIFY_SERVER, order[i]);
			expfmt_sample_u64(out, "tcp_health_listener_up", labels, 1,
					  agg->listeners[order[i]].sockets ? 1 : 0);
		}
	}

	expfmt_family(out, "tcp_health_listener_info", "gauge",
		      "1 for each address a listening port is bound to (0.0.0.0 or :: is every "
		      "address; 127.0.0.1 or ::1 is reachable from this host only).");
	for (unsigned i = 0; i < used; i++) {
		const struct tcpagg_listener *listener = &agg->listeners[order[i]];

		port_text(port, agg, CLASSIFY_SERVER, order[i]);
		for (unsigned a = 0; a < listener->n_addresses; a++) {
			const struct tcpagg_listener_address *la = &listener->addresses[a];
			int v6 = la->family == AF_INET6;

			inet_ntop(v6 ? AF_INET6 : AF_INET, la->addr, address, sizeof(address));
			labels[2].value = family_names[v6 ? TCPAGG_IPV6 : TCPAGG_IPV4];
			expfmt_sample_u64(out, "tcp_health_listener_info", labels, 3, 1);
		}
	}

	expfmt_family(out, "tcp_health_listen_queue_length", "gauge",
		      "Connections waiting in the accept queue of the port's listening sockets, "
		      "summed over SO_REUSEPORT groups and addresses.");
	for (unsigned i = 0; i < used; i++) {
		if (!agg->listeners[order[i]].sockets)
			continue;
		port_text(port, agg, CLASSIFY_SERVER, order[i]);
		expfmt_sample_u64(out, "tcp_health_listen_queue_length", labels, 1,
				  agg->listeners[order[i]].queue_length);
	}
	expfmt_family(out, "tcp_health_listen_queue_max", "gauge",
		      "Accept queue limit (listen backlog, capped by net.core.somaxconn) of the "
		      "port's listening sockets, summed over SO_REUSEPORT groups and addresses.");
	for (unsigned i = 0; i < used; i++) {
		if (!agg->listeners[order[i]].sockets)
			continue;
		port_text(port, agg, CLASSIFY_SERVER, order[i]);
		expfmt_sample_u64(out, "tcp_health_listen_queue_max", labels, 1,
				  agg->listeners[order[i]].queue_max);
	}
}

static uint64_t get_retransmitting(const struct tcpagg_slot *s) { return s->retransmitting; }
static uint64_t get_backoff_max(const struct tcpagg_slot *s) { return s->retransmit_backoff_max; }
static uint64_t get_retransmitted(const struct tcpagg_slot *s) { return s->retransmitted_segments; }
static uint64_t get_lost(const struct tcpagg_slot *s) { return s->lost_segments; }
static uint64_t get_unacked(const struct tcpagg_slot *s) { return s->unacked_segments; }
static uint64_t get_keepalive(const struct tcpagg_slot *s) { return s->keepalive; }
static uint64_t get_probes(const struct tcpagg_slot *s) { return s->keepalive_probes; }
static uint64_t get_probes_max(const struct tcpagg_slot *s) { return s->keepalive_probes_max; }
static uint64_t get_unprotected(const struct tcpagg_slot *s) { return s->unprotected_idle; }

static void write_health(const struct tcpagg *agg, struct expfmt_buf *out)
{
	write_slot_vector(agg, out, "tcp_health_timer_connections",
			  "Sockets by the kernel timer pending on them (idiag_timer).", "timer",
			  timer_names, TCPH_TIMER_OFF, TCPH_TIMER_MAX, offsetof(struct tcpagg_slot, timers));
	write_slot_family(agg, out, "tcp_health_retransmitting_connections",
			  "Sockets past the handshake with the retransmit timer pending and at least "
			  "one consecutive retransmission: data in flight that the peer is not "
			  "acknowledging.",
			  get_retransmitting);
	write_slot_family(agg, out, "tcp_health_retransmit_backoff_max",
			  "Largest consecutive-retransmission count among the port's retransmitting "
			  "sockets; the kernel gives up after a time budget derived from "
			  "net.ipv4.tcp_retries2 (15: about 15 minutes, reached near 15 retransmissions).",
			  get_backoff_max);
	write_slot_family(agg, out, "tcp_health_retransmitted_segments",
			  "Sum of tcpi_total_retrans over the sockets alive now. A gauge: it falls "
			  "when sockets close.",
			  get_retransmitted);
	write_slot_family(agg, out, "tcp_health_lost_segments",
			  "Sum of tcpi_lost (segments presumed lost) over the sockets alive now. A "
			  "gauge: it falls when sockets close.",
			  get_lost);
	write_slot_family(agg, out, "tcp_health_unacked_segments",
			  "Sum of tcpi_unacked (segments sent, not yet acknowledged) over the "
			  "sockets alive now. A gauge.",
			  get_unacked);
	write_slot_family(agg, out, "tcp_health_keepalive_connections",
			  "Sockets (other than FIN_WAIT2) with the keepalive timer armed: SO_KEEPALIVE "
			  "is set.",
			  get_keepalive);
	write_slot_family(agg, out, "tcp_health_keepalive_probes_outstanding",
			  "Sum of unanswered keepalive probes; above 0 means a peer is not answering.",
			  get_probes);
	write_slot_family(agg, out, "tcp_health_keepalive_probes_max",
			  "Most unanswered keepalive probes on one socket; the kernel gives up at "
			  "net.ipv4.tcp_keepalive_probes.",
			  get_probes_max);
	write_slot_histogram(agg, out, "tcp_health_connection_idle_seconds",
			     "ESTABLISHED connections by time since data was last received "
			     "(tcpi_last_data_recv).",
			     offsetof(struct tcpagg_slot, idle), idle_bounds, TCPAGG_IDLE_BUCKETS);
	write_slot_family(agg, out, "tcp_health_unprotected_idle_connections",
			  "ESTABLISHED connections with no timer pending (no keepalive, nothing in "
			  "flight) that heard nothing from the peer for longer than --idle-threshold: "
			  "a dead peer or a firewall's idle timeout would go unnoticed.",
			  get_unprotected);
	write_slot_histogram(agg, out, "tcp_health_rtt_seconds",
			     "ESTABLISHED connections by smoothed round-trip time (tcpi_rtt).",
			     offsetof(struct tcpagg_slot, rtt), rtt_bounds, TCPAGG_RTT_BUCKETS);
}

void tcpagg_write_counters(const struct tcpagg *agg, struct expfmt_buf *out)
{
	expfmt_family(out, "tcp_health_exporter_dump_retries_total", "counter",
		      "Socket dumps restarted because the kernel flagged them inconsistent "
		      "(NLM_F_DUMP_INTR). Current kernels do not flag TCP dumps, so this stays 0 "
		      "there; the retry guards kernels that do.");
	expfmt_sample_u64(out, "tcp_health_exporter_dump_retries_total", NULL, 0,
			  agg->dump_retries_total);
}

void tcpagg_write(struct tcpagg *agg, struct expfmt_buf *out)
{
	struct expfmt_label label = { NULL, NULL };

	sort_slots(agg);
	write_slot_vector(agg, out, "tcp_health_connections",
			  "TCP sockets by state, labelled by service port and role (server: local "
			  "port is a listening or expected port; client: remote service port).",
			  "state", state_names, 1, TCPH_STATE_MAX, offsetof(struct tcpagg_slot, states));
	write_listeners(agg, out);
	write_health(agg, out);

	expfmt_family(out, "tcp_health_exporter_sockets_scanned", "gauge",
		      "TCP sockets read from the kernel in the last scan, by address family.");
	label.name = "family";
	for (int f = 0; f < TCPAGG_FAMILIES; f++) {
		label.value = family_names[f];
		expfmt_sample_u64(out, "tcp_health_exporter_sockets_scanned", &label, 1,
				  agg->sockets_scanned[f]);
	}
	expfmt_family(out, "tcp_health_exporter_ports_folded_sockets", "gauge",
		      "Sockets counted under port=\"other\" in the last scan because their role "
		      "already had --max-ports distinct port values.");
	label.name = "role";
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		label.value = role_names[r];
		expfmt_sample_u64(out, "tcp_health_exporter_ports_folded_sockets", &label, 1,
				  agg->classify.roles[r].folded);
	}
	tcpagg_write_counters(agg, out);
}

/* ---- the collector ---------------------------------------------------------------- */

static struct tcpagg collector_agg;
static struct sockdiag *collector_sd;
static int collector_ready;

static int dump_with_sockdiag(void *dump_ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	(void)dump_ctx;
	return sockdiag_dump(collector_sd, family, fn, fn_ctx);
}

int tcpagg_collector_init(const struct classify_config *config, uint32_t idle_threshold_ms,
			  const char *proc_root)
{
	int ret = tcpagg_init(&collector_agg, config, idle_threshold_ms);

	if (ret < 0)
		return ret;
	if (proc_root)
		snprintf(collector_agg.port_range_path, sizeof(collector_agg.port_range_path),
			 "%s/sys/net/ipv4/ip_local_port_range", proc_root);
	collector_ready = 1;
	/* A netlink socket that cannot be opened now (e.g. no permission) is retried at
	 * every scrape, which then reports the collector as failed. */
	ret = sockdiag_open(&collector_sd);
	if (ret < 0)
		log_warn("cannot open NETLINK_SOCK_DIAG socket: %s", strerror(-ret));
	return 0;
}

void tcpagg_collector_fini(void)
{
	if (!collector_ready)
		return;
	sockdiag_close(collector_sd);
	collector_sd = NULL;
	tcpagg_fini(&collector_agg);
	collector_ready = 0;
}

int tcpagg_collect(struct expfmt_buf *out)
{
	int ret;

	if (!collector_sd) {
		ret = sockdiag_open(&collector_sd);
		if (ret < 0) {
			log_error("tcp collector: cannot open NETLINK_SOCK_DIAG socket: %s", strerror(-ret));
			tcpagg_write_counters(&collector_agg, out);
			return ret;
		}
	}
	ret = tcpagg_scan(&collector_agg, dump_with_sockdiag, NULL);
	if (ret < 0) {
		log_error("tcp collector: socket dump failed: %s", strerror(-ret));
		tcpagg_write_counters(&collector_agg, out);
		return ret;
	}
	tcpagg_write(&collector_agg, out);
	return 0;
}
