/* tcpagg.c — per-(port, role) aggregation of the socket scan, and its published result.
 *
 * Each socket record is classified and added to its slot in the same pass over the
 * dump; nothing is kept per socket. Pure: no I/O but the ephemeral range file. */
#include "tcpagg.h"

#include "../lib/log.h"

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

static const char *const worst_names[TCPAGG_WORST_KINDS] = {
	[TCPAGG_WORST_RETRANSMITTING] = "retransmitting",
	[TCPAGG_WORST_KEEPALIVE] = "keepalive_unanswered",
	[TCPAGG_WORST_IDLE] = "unprotected_idle",
	[TCPAGG_WORST_CLOSE_WAIT] = "close_wait",
	[TCPAGG_WORST_SYN_RECV] = "syn_recv",
};

const double tcpagg_idle_bounds[TCPAGG_IDLE_BUCKETS] = { 1, 10, 60, 300, 900, 3600, 7200 };
const double tcpagg_rtt_bounds[TCPAGG_RTT_BUCKETS] = { 0.0001, 0.0005, 0.001, 0.005, 0.01,
						       0.05,   0.1,    0.5,   1 };

const char *tcpagg_state_name(unsigned state)
{
	return state >= 1 && state <= TCPH_STATE_MAX ? state_names[state] : NULL;
}

const char *tcpagg_worst_name(unsigned kind)
{
	return kind < TCPAGG_WORST_KINDS ? worst_names[kind] : NULL;
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
	agg->histograms = true;
	agg->worst_max = TCPAGG_WORST_DEFAULT;
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		agg->slots[r] = calloc(nslots, sizeof(struct tcpagg_slot));
	agg->listeners = calloc(nslots, sizeof(struct tcpagg_listener));
	bool failed = !agg->slots[0] || !agg->slots[1] || !agg->listeners;

	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		agg->worst[k].top = calloc(TCPAGG_WORST_LIMIT, sizeof(struct tcpagg_connection));
		failed |= !agg->worst[k].top;
	}
	if (failed) {
		tcpagg_fini(agg);
		return -ENOMEM;
	}
	return 0;
}

void tcpagg_fini(struct tcpagg *agg)
{
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		free(agg->slots[r]);
		agg->slots[r] = NULL;
	}
	free(agg->listeners);
	agg->listeners = NULL;
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		free(agg->worst[k].top);
		agg->worst[k].top = NULL;
	}
	classify_fini(&agg->classify);
}

void tcpagg_begin(struct tcpagg *agg)
{
	size_t nslots = agg->classify.max_ports + 1u;
	uint16_t low = agg->classify.eph_low, high = agg->classify.eph_high;
	int ret = classify_read_ephemeral_range(agg->port_range_path, &low, &high);

	agg->port_range_error = ret;
	if (ret < 0)
		log_error("tcp collector: cannot read %s (%s); classifying with the ephemeral range "
			  "%u-%u", agg->port_range_path, strerror(-ret), low, high);
	classify_begin(&agg->classify, low, high);
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		memset(agg->slots[r], 0, nslots * sizeof(struct tcpagg_slot));
	memset(agg->listeners, 0, nslots * sizeof(struct tcpagg_listener));
	memset(agg->sockets_scanned, 0, sizeof(agg->sockets_scanned));
	if (agg->worst_max > TCPAGG_WORST_LIMIT) /* the lists have room for this many */
		agg->worst_max = TCPAGG_WORST_LIMIT;
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		agg->worst[k].total = 0;
		agg->worst[k].n = 0;
	}
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
		listener->more_addresses = true;
		log_debug("port %u: more than %d listening addresses, not all listed", record->sport,
			  TCPAGG_LISTENER_ADDRESSES);
		return;
	}
	/* IPv4 addresses first, then IPv6, each in the order the dump met them: the same list
	 * whether one walk interleaves the families or one dump per family does not. */
	unsigned at = listener->n_addresses;

	if (record->family == AF_INET)
		while (at > 0 && listener->addresses[at - 1].family != AF_INET)
			at--;
	memmove(&listener->addresses[at + 1], &listener->addresses[at],
		(listener->n_addresses - at) * sizeof(listener->addresses[0]));
	memset(&listener->addresses[at], 0, sizeof(listener->addresses[0]));
	listener->addresses[at].family = record->family;
	memcpy(listener->addresses[at].addr, record->saddr, addr_len);
	listener->addresses[at].inode = record->inode;
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

/* Whether a socket ranking (value, silent_ms) goes before `c` in a worst list. Equal ones:
 * IPv4 before IPv6, then the order the dump met them, so the lists are the same whether
 * one walk interleaves the families or one dump per family does not. */
static bool ranks_before(uint64_t value, uint32_t silent_ms, uint8_t family,
			 const struct tcpagg_connection *c)
{
	if (value != c->value)
		return value > c->value;
	if (silent_ms != c->silent_ms)
		return silent_ms > c->silent_ms;
	return family == AF_INET && c->family != AF_INET;
}

/* Counts a socket of `kind` and keeps it if it is among the worst_max worst so far: a
 * sorted array, so most sockets cost one comparison with the last kept. */
static void offer_worst(struct tcpagg *agg, enum tcpagg_worst_kind kind,
			const struct sockdiag_record *record, enum classify_role role, unsigned slot,
			uint64_t value)
{
	struct tcpagg_worst *w = &agg->worst[kind];
	const struct tcp_info *info = &record->info;
	uint32_t silent_ms = 0;
	size_t addr_len = record->family == AF_INET ? 4 : 16;
	struct tcpagg_connection *c;
	unsigned i;

	w->total++;
	if (record->info_len > 0)
		silent_ms = info->tcpi_last_data_recv < info->tcpi_last_ack_recv ?
				    info->tcpi_last_data_recv : info->tcpi_last_ack_recv;
	if (w->n == agg->worst_max && (w->n == 0 || !ranks_before(value, silent_ms, record->family, &w->top[w->n - 1])))
		return;
	i = w->n < agg->worst_max ? w->n++ : w->n - 1;
	for (; i > 0 && ranks_before(value, silent_ms, record->family, &w->top[i - 1]); i--)
		w->top[i] = w->top[i - 1];
	c = &w->top[i];
	memset(c, 0, sizeof(*c));
	c->family = record->family;
	c->state = record->state;
	c->timer = record->timer;
	c->role = (uint8_t)role;
	c->other = slot == classify_other_slot(&agg->classify);
	c->port = c->other ? 0 : classify_slot_port(&agg->classify, role, slot);
	c->sport = record->sport;
	c->dport = record->dport;
	memcpy(c->saddr, record->saddr, addr_len);
	memcpy(c->daddr, record->daddr, addr_len);
	c->retrans = record->retrans;
	c->expires_ms = record->expires_ms;
	c->silent_ms = silent_ms;
	c->last_data_recv_ms = record->info_len > 0 ? info->tcpi_last_data_recv : 0;
	c->rqueue = record->rqueue;
	c->wqueue = record->wqueue;
	c->uid = record->uid;
	c->inode = record->inode;
	c->value = value;
}

/* Timers, retransmission, keepalive, idle and RTT of one socket: the dead-peer signals. */
static void add_health(struct tcpagg *agg, struct tcpagg_slot *slot, enum classify_role role,
		       unsigned slot_index, const struct sockdiag_record *record)
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
		offer_worst(agg, TCPAGG_WORST_RETRANSMITTING, record, role, slot_index, record->retrans);
	}
	/* FIN_WAIT2 runs its tcp_fin_timeout on the same timer as keepalive (sk_timer). */
	if (record->timer == TCPH_TIMER_KEEPALIVE && record->state != TCPH_FIN_WAIT2) {
		slot->keepalive++;
		slot->keepalive_probes += record->retrans;
		slot->keepalive_probes_max = max_u32(slot->keepalive_probes_max, record->retrans);
		if (record->retrans > 0)
			offer_worst(agg, TCPAGG_WORST_KEEPALIVE, record, role, slot_index, record->retrans);
	}
	if (record->state == TCPH_SYN_RECV)
		offer_worst(agg, TCPAGG_WORST_SYN_RECV, record, role, slot_index, record->retrans);
	if (record->state == TCPH_CLOSE_WAIT)
		offer_worst(agg, TCPAGG_WORST_CLOSE_WAIT, record, role, slot_index,
			    record->info_len > 0 ? info->tcpi_last_data_recv : 0);
	/* TIME_WAIT and request mini-sockets have no tcp_info; a listener's is about its
	 * accept queue (tcpi_unacked holds the queue length), not about segments. */
	if (record->info_len == 0 || record->state == TCPH_LISTEN)
		return;
	slot->retransmitted_segments += info->tcpi_total_retrans;
	slot->lost_segments += info->tcpi_lost;
	slot->unacked_segments += info->tcpi_unacked;
	if (record->state != TCPH_ESTABLISHED)
		return;
	if (agg->histograms) {
		observe(&slot->idle, tcpagg_idle_bounds, TCPAGG_IDLE_BUCKETS,
			info->tcpi_last_data_recv / 1000.0);
		observe(&slot->rtt, tcpagg_rtt_bounds, TCPAGG_RTT_BUCKETS, info->tcpi_rtt / 1e6);
	}
	/* Silent: nothing received from the peer, data or ACK, for longer than the threshold;
	 * unprotected: no timer pending, so no keepalive and nothing in flight either. */
	if (record->timer == TCPH_TIMER_OFF &&
	    info->tcpi_last_data_recv > agg->idle_threshold_ms &&
	    info->tcpi_last_ack_recv > agg->idle_threshold_ms) {
		slot->unprotected_idle++;
		offer_worst(agg, TCPAGG_WORST_IDLE, record, role, slot_index,
			    info->tcpi_last_data_recv < info->tcpi_last_ack_recv ?
				    info->tcpi_last_data_recv : info->tcpi_last_ack_recv);
	}
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
	add_health(agg, &agg->slots[role][slot], role, slot, record);
	if (record->state == TCPH_LISTEN && slot != classify_other_slot(&agg->classify))
		add_listener(&agg->listeners[slot], record);
	return 0;
}

void tcpagg_carry(struct tcpagg *agg, const uint16_t *const ports[CLASSIFY_ROLES],
		  const unsigned n[CLASSIFY_ROLES])
{
	classify_carry(&agg->classify, ports, n);
}

bool tcpagg_one_walk_refused(int err)
{
	switch (err) {
	case -EINVAL:	       /* sock_diag without the compat type, or a request it finds short */
	case -EOPNOTSUPP:      /* no compat handler registered (inet_diag's rcv_compat) */
	case -ENOENT:	       /* no inet_diag handler for TCP */
	case -EPROTONOSUPPORT: /* the protocol of the compat type unknown */
	case -EAFNOSUPPORT:    /* AF_UNSPEC refused */
		return true;
	default:
		return false;
	}
}

/* One attempt: the one walk, or the two dumps, into a fresh aggregate. */
static int scan_attempt(struct tcpagg *agg, tcpagg_dump_fn dump, void *dump_ctx)
{
	static const int families[TCPAGG_FAMILIES] = { AF_INET, AF_INET6 };
	int ret = 0;

	tcpagg_begin(agg);
	if (!agg->two_dumps) {
		ret = dump(dump_ctx, SOCKDIAG_ONE_WALK, tcpagg_add, agg);
		/* Refused before any socket came: the kernel does not serve the request. A
		 * failure after sockets did is a failed dump, as a v2 dump's would be. */
		if (ret >= 0 || !tcpagg_one_walk_refused(ret) ||
		    agg->sockets_scanned[TCPAGG_IPV4] + agg->sockets_scanned[TCPAGG_IPV6] > 0)
			return ret;
		agg->two_dumps = true;
		agg->one_walk_refused = ret;
		tcpagg_begin(agg);
	}
	for (int f = 0; f < TCPAGG_FAMILIES; f++) {
		ret = dump(dump_ctx, families[f], tcpagg_add, agg);
		if (ret == -EAFNOSUPPORT && families[f] == AF_INET6)
			ret = 0; /* kernel without IPv6: nothing to count */
		if (ret < 0)
			break;
	}
	return ret;
}

int tcpagg_scan(struct tcpagg *agg, tcpagg_dump_fn dump, void *dump_ctx)
{
	int ret = 0;

	agg->one_walk_refused = 0;
	for (int attempt = 0; attempt <= TCPAGG_MAX_DUMP_RETRIES; attempt++) {
		if (attempt > 0)
			agg->dump_retries_total++;
		ret = scan_attempt(agg, dump, dump_ctx);
		if (ret != -EINTR)
			return ret;
		log_debug("socket dump interrupted (NLM_F_DUMP_INTR), attempt %d", attempt + 1);
	}
	return ret;
}

/* ---- the published result ------------------------------------------------------------ */

static int compare_ports(const void *a, const void *b)
{
	const struct tcp_port *pa = a, *pb = b;

	return (pa->port > pb->port) - (pa->port < pb->port);
}

int tcpagg_result(const struct tcpagg *agg, bool sockets, struct tcp_result **out)
{
	const struct classify *c = &agg->classify;
	unsigned n[CLASSIFY_ROLES];
	size_t size;
	struct tcp_result *result;
	char *p;

	for (int r = 0; r < CLASSIFY_ROLES; r++)
		n[r] = sockets ? c->roles[r].used + 1u : 0; /* used ports, then "other" */
	unsigned n_worst = 0;

	for (int k = 0; k < TCPAGG_WORST_KINDS; k++)
		n_worst += sockets ? agg->worst[k].n : 0;
	/* One block: the header, both roles' ports, the server role's listeners, the worst
	 * connections. */
	size = sizeof(*result) + (n[0] + n[1]) * sizeof(struct tcp_port) +
	       n[CLASSIFY_SERVER] * sizeof(struct tcpagg_listener) +
	       n_worst * sizeof(struct tcpagg_connection);
	result = malloc(size);
	if (!result)
		return -ENOMEM;
	memset(result, 0, sizeof(*result));
	p = (char *)(result + 1);
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		result->ports[r] = (struct tcp_port *)p;
		p += n[r] * sizeof(struct tcp_port);
		result->n_ports[r] = n[r];
		result->folded[r] = sockets ? c->roles[r].folded : 0;
	}
	result->listeners = (struct tcpagg_listener *)p;
	p += n[CLASSIFY_SERVER] * sizeof(struct tcpagg_listener);
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		result->worst[k].top = (struct tcpagg_connection *)p;
		if (!sockets)
			continue;
		result->worst[k].total = agg->worst[k].total;
		result->worst[k].n = agg->worst[k].n;
		memcpy(p, agg->worst[k].top, agg->worst[k].n * sizeof(struct tcpagg_connection));
		p += agg->worst[k].n * sizeof(struct tcpagg_connection);
	}
	result->has_sockets = sockets;
	result->has_histograms = agg->histograms;
	result->dump_retries_total = agg->dump_retries_total;
	result->dump_requests = agg->two_dumps ? 2 : 1;
	result->eph_low = c->eph_low;
	result->eph_high = c->eph_high;
	if (!sockets) {
		*out = result;
		return 0;
	}
	memcpy(result->sockets_scanned, agg->sockets_scanned, sizeof(result->sockets_scanned));
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		struct tcp_port *ports = result->ports[r];
		unsigned used = n[r] - 1;

		for (unsigned i = 0; i < used; i++) {
			ports[i].port = classify_slot_port(c, (enum classify_role)r, i);
			ports[i].other = false;
			ports[i].expected = r == CLASSIFY_SERVER && classify_is_expected(c, ports[i].port);
			ports[i].counts = agg->slots[r][i];
		}
		/* Ports are unique per role; listeners are looked up by port once sorted. */
		qsort(ports, used, sizeof(*ports), compare_ports);
		memset(&ports[used], 0, sizeof(ports[used]));
		ports[used].other = true;
		ports[used].counts = agg->slots[r][classify_other_slot(c)];
	}
	for (unsigned i = 0; i + 1 < n[CLASSIFY_SERVER]; i++) {
		uint16_t port = result->ports[CLASSIFY_SERVER][i].port;

		result->listeners[i] = agg->listeners[c->roles[CLASSIFY_SERVER].slot_of_port[port] - 1u];
	}
	memset(&result->listeners[n[CLASSIFY_SERVER] - 1], 0, sizeof(struct tcpagg_listener));
	*out = result;
	return 0;
}

void tcpagg_result_free(struct tcp_result *result)
{
	free(result);
}
