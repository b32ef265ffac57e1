/* tcpagg.c — per-(port, role) aggregation of the socket scan, and the `tcp` collector.
 *
 * Each socket record is classified and added to its slot in the same pass over the
 * dump; nothing is kept per socket. */
#include "tcpagg.h"

#include "../exporter/expfmt.h"
#include "../exporter/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PORT_RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"

static const char *const state_names[TCPH_STATE_MAX + 1] = {
	[TCPH_ESTABLISHED] = "established", [TCPH_SYN_SENT] = "syn_sent",
	[TCPH_SYN_RECV] = "syn_recv",	    [TCPH_FIN_WAIT1] = "fin_wait1",
	[TCPH_FIN_WAIT2] = "fin_wait2",	    [TCPH_TIME_WAIT] = "time_wait",
	[TCPH_CLOSE] = "close",		    [TCPH_CLOSE_WAIT] = "close_wait",
	[TCPH_LAST_ACK] = "last_ack",	    [TCPH_LISTEN] = "listen",
	[TCPH_CLOSING] = "closing",
};

static const char *const role_names[CLASSIFY_ROLES] = { "server", "client" };
static const char *const family_names[TCPAGG_FAMILIES] = { "ipv4", "ipv6" };

const char *tcpagg_state_name(unsigned state)
{
	return state >= 1 && state <= TCPH_STATE_MAX ? state_names[state] : NULL;
}

int tcpagg_init(struct tcpagg *agg, const struct classify_config *config)
{
	size_t nslots = config->max_ports + 1u;
	int ret;

	memset(agg, 0, sizeof(*agg));
	ret = classify_init(&agg->classify, config);
	if (ret < 0)
		return ret;
	agg->port_range_path = PORT_RANGE_PATH;
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		agg->slots[r] = calloc(nslots, sizeof(struct tcpagg_slot));
	agg->listeners = calloc(nslots, sizeof(struct tcpagg_listener));
	agg->order = calloc(nslots, sizeof(unsigned));
	if (!agg->slots[0] || !agg->slots[1] || !agg->listeners || !agg->order) {
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
	free(agg->order);
	agg->listeners = NULL;
	agg->order = NULL;
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

/* Fills agg->order with the role's used slots sorted by port; returns their number. */
static unsigned sorted_slots(struct tcpagg *agg, enum classify_role role)
{
	unsigned used = agg->classify.roles[role].used;

	for (unsigned i = 0; i < used; i++)
		agg->order[i] = i;
	sort_agg = agg;
	sort_role = role;
	qsort(agg->order, used, sizeof(unsigned), compare_slot_ports);
	return used;
}

static void port_text(char text[8], const struct tcpagg *agg, enum classify_role role, unsigned slot)
{
	if (slot == classify_other_slot(&agg->classify))
		snprintf(text, 8, "other");
	else
		snprintf(text, 8, "%u", classify_slot_port(&agg->classify, role, slot));
}

static void write_connections(struct tcpagg *agg, struct expfmt_buf *out)
{
	char port[8];
	struct expfmt_label labels[3] = { { "port", port }, { "role", NULL }, { "state", NULL } };

	expfmt_family(out, "tcp_health_connections", "gauge",
		      "TCP sockets by state, labelled by service port and role (server: local port "
		      "is a listening or expected port; client: remote service port).");
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		unsigned used = sorted_slots(agg, (enum classify_role)r);

		labels[1].value = role_names[r];
		for (unsigned i = 0; i <= used; i++) {
			unsigned slot = i < used ? agg->order[i] : classify_other_slot(&agg->classify);

			port_text(port, agg, (enum classify_role)r, slot);
			for (unsigned s = 1; s <= TCPH_STATE_MAX; s++) {
				labels[2].value = state_names[s];
				expfmt_sample_u64(out, "tcp_health_connections", labels, 3,
						  agg->slots[r][slot].states[s]);
			}
		}
	}
}

static void write_listeners(struct tcpagg *agg, struct expfmt_buf *out)
{
	unsigned used = sorted_slots(agg, CLASSIFY_SERVER);
	char port[8], address[INET6_ADDRSTRLEN];
	struct expfmt_label labels[3] = { { "port", port }, { "address", address }, { "family", NULL } };

	expfmt_family(out, "tcp_health_listener_up", "gauge",
		      "1 for every port with a listening socket; 0 for an expected port "
		      "(--listen-ports) where nothing listens.");
	for (unsigned i = 0; i < used; i++) {
		unsigned slot = agg->order[i];
		uint16_t p = classify_slot_port(&agg->classify, CLASSIFY_SERVER, slot);

		if (agg->listeners[slot].sockets || classify_is_expected(&agg->classify, p)) {
			port_text(port, agg, CLASSIFY_SERVER, slot);
			expfmt_sample_u64(out, "tcp_health_listener_up", labels, 1,
					  agg->listeners[slot].sockets ? 1 : 0);
		}
	}

	expfmt_family(out, "tcp_health_listener_info", "gauge",
		      "1 for each address a listening port is bound to (0.0.0.0 or :: is every "
		      "address; 127.0.0.1 or ::1 is reachable from this host only).");
	for (unsigned i = 0; i < used; i++) {
		const struct tcpagg_listener *listener = &agg->listeners[agg->order[i]];

		port_text(port, agg, CLASSIFY_SERVER, agg->order[i]);
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
		if (!agg->listeners[agg->order[i]].sockets)
			continue;
		port_text(port, agg, CLASSIFY_SERVER, agg->order[i]);
		expfmt_sample_u64(out, "tcp_health_listen_queue_length", labels, 1,
				  agg->listeners[agg->order[i]].queue_length);
	}
	expfmt_family(out, "tcp_health_listen_queue_max", "gauge",
		      "Accept queue limit (listen backlog, capped by net.core.somaxconn) of the "
		      "port's listening sockets, summed over SO_REUSEPORT groups and addresses.");
	for (unsigned i = 0; i < used; i++) {
		if (!agg->listeners[agg->order[i]].sockets)
			continue;
		port_text(port, agg, CLASSIFY_SERVER, agg->order[i]);
		expfmt_sample_u64(out, "tcp_health_listen_queue_max", labels, 1,
				  agg->listeners[agg->order[i]].queue_max);
	}
}

void tcpagg_write_counters(const struct tcpagg *agg, struct expfmt_buf *out)
{
	expfmt_family(out, "tcp_health_exporter_dump_retries_total", "counter",
		      "Socket dumps restarted because the kernel flagged them inconsistent "
		      "(NLM_F_DUMP_INTR) while sockets changed.");
	expfmt_sample_u64(out, "tcp_health_exporter_dump_retries_total", NULL, 0,
			  agg->dump_retries_total);
}

void tcpagg_write(struct tcpagg *agg, struct expfmt_buf *out)
{
	struct expfmt_label label = { NULL, NULL };

	write_connections(agg, out);
	write_listeners(agg, out);

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

int tcpagg_collector_init(const struct classify_config *config)
{
	int ret = tcpagg_init(&collector_agg, config);

	if (ret < 0)
		return ret;
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
