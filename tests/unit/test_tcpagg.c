/* test_tcpagg.c — aggregation into struct tcp_result, its rendering, and the
 * interrupted-dump retry.
 *
 * Counts are asserted on the published result (struct tcp_result). Where the text format
 * itself is the point (every state written with zeros, cumulative histogram buckets,
 * listener_up 0, no queue for a port without a listener, ports in numeric order), the
 * result is also rendered with render_metrics and the lines are asserted. */
#include "../../collectors/collectors.h"
#include "../../collectors/tcpagg.h"
#include "../../exporter/expfmt.h"
#include "../../exporter/render_metrics.h"
#include "../../exporter/snapshot.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct tcpagg *agg;
static struct tcp_result *res;
static struct snapshot snap;
static struct target_result snap_target;
static struct expfmt_buf out;
static const uint16_t expected_ports[] = { 1202, 5060 };

static void setup_with(unsigned max_ports)
{
	const struct classify_config config = {
		.listen_ports = expected_ports, .n_listen_ports = 2, .max_ports = max_ports,
	};

	agg = malloc(sizeof(*agg));
	ck_assert_ptr_nonnull(agg);
	ck_assert_int_eq(tcpagg_init(agg, &config, 300 * 1000), 0);
	snprintf(agg->port_range_path, sizeof(agg->port_range_path), "%s",
		 unit_data_path("ip_local_port_range"));
	ck_assert_int_eq(expfmt_init(&out, 0), 0);
	res = NULL;
	tcpagg_begin(agg);
}

static void setup(void)
{
	setup_with(250);
}

static void teardown(void)
{
	tcpagg_result_free(res);
	res = NULL;
	tcpagg_fini(agg);
	free(agg);
	expfmt_fini(&out);
}

static void add(uint8_t family, uint8_t state, const char *addr, uint16_t sport, uint16_t dport,
		uint32_t rqueue, uint32_t wqueue)
{
	struct sockdiag_record r;

	memset(&r, 0, sizeof(r));
	r.family = family;
	r.state = state;
	r.sport = sport;
	r.dport = dport;
	r.rqueue = rqueue;
	r.wqueue = wqueue;
	ck_assert_int_eq(inet_pton(family, addr, r.saddr), 1);
	ck_assert_int_eq(tcpagg_add(&r, agg), 0);
}

/* The result of the scan so far (replacing the previous one). */
static const struct tcp_result *result(void)
{
	tcpagg_result_free(res);
	res = NULL;
	ck_assert_int_eq(tcpagg_result(agg, true, &res), 0);
	ck_assert_ptr_nonnull(res);
	ck_assert(res->has_sockets);
	return res;
}

/* The (port, role) entry of the last result, or NULL when the port has no label set. */
static const struct tcp_port *find_port(enum classify_role role, uint16_t port)
{
	ck_assert_ptr_nonnull(res);
	for (unsigned i = 0; i < res->n_ports[role]; i++)
		if (!res->ports[role][i].other && res->ports[role][i].port == port)
			return &res->ports[role][i];
	return NULL;
}

static const struct tcpagg_slot *counts(enum classify_role role, uint16_t port)
{
	const struct tcp_port *p = find_port(role, port);

	ck_assert_msg(p != NULL, "no %s port %u in the result",
		      role == CLASSIFY_SERVER ? "server" : "client", port);
	return &p->counts;
}

static const struct tcpagg_slot *other(enum classify_role role)
{
	const struct tcp_port *p;

	ck_assert_ptr_nonnull(res);
	ck_assert_uint_ge(res->n_ports[role], 1);
	p = &res->ports[role][res->n_ports[role] - 1];
	ck_assert(p->other);
	return &p->counts;
}

/* The listener of a server port (listeners[] runs parallel to the server ports). */
static const struct tcpagg_listener *listener(uint16_t port)
{
	const struct tcp_port *p = find_port(CLASSIFY_SERVER, port);

	ck_assert_msg(p != NULL, "no server port %u in the result", port);
	return &res->listeners[p - res->ports[CLASSIFY_SERVER]];
}

/* The result rendered as the tcp collector's part of a scrape. */
static const char *rendered(void)
{
	result();
	memset(&snap, 0, sizeof(snap));
	snap.collectors[collectors_find("tcp")].enabled = true;
	snap_target = (struct target_result){ .tcp = res };
	snap.data.targets = &snap_target;
	snap.data.n_targets = 1;
	ck_assert_int_eq(render_metrics(&snap, &out), 0);
	expfmt_append(&out, "", 1);
	ck_assert_int_eq(out.error, 0);
	return out.data;
}

#define ck_assert_has_line(text, line) \
	ck_assert_msg(strstr(text, "\n" line "\n") != NULL, "missing line: %s", line)
#define ck_assert_no_text(text, part) \
	ck_assert_msg(strstr(text, part) == NULL, "unexpected: %s", part)

START_TEST(states_by_port_and_role)
{
	const char *text;

	add(AF_INET, TCPH_LISTEN, "0.0.0.0", 3720, 0, 0, 16);
	add(AF_INET, TCPH_ESTABLISHED, "127.0.0.1", 3720, 46220, 0, 0);
	add(AF_INET, TCPH_ESTABLISHED, "127.0.0.1", 46220, 3720, 0, 0);
	add(AF_INET, TCPH_CLOSE_WAIT, "127.0.0.1", 3720, 46242, 1, 0);
	add(AF_INET, TCPH_TIME_WAIT, "127.0.0.1", 46244, 3720, 0, 0);
	add(AF_INET, TCPH_ESTABLISHED, "10.0.0.1", 40000, 50000, 0, 0); /* both ephemeral */
	result();
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 3720)->states[TCPH_LISTEN], 1);
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 3720)->states[TCPH_ESTABLISHED], 1);
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 3720)->states[TCPH_CLOSE_WAIT], 1);
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 3720)->states[TCPH_CLOSING], 0);
	ck_assert_uint_eq(counts(CLASSIFY_CLIENT, 3720)->states[TCPH_ESTABLISHED], 1);
	ck_assert_uint_eq(counts(CLASSIFY_CLIENT, 3720)->states[TCPH_TIME_WAIT], 1);
	ck_assert_uint_eq(other(CLASSIFY_CLIENT)->states[TCPH_ESTABLISHED], 1);
	ck_assert_ptr_null(find_port(CLASSIFY_CLIENT, 50000));
	ck_assert_ptr_null(find_port(CLASSIFY_SERVER, 40000));
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV4], 6);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV6], 0);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_connections{port=\"3720\",role=\"server\",state=\"listen\"} 1");
	ck_assert_has_line(text, "tcp_health_connections{port=\"3720\",role=\"server\",state=\"established\"} 1");
	ck_assert_has_line(text, "tcp_health_connections{port=\"3720\",role=\"server\",state=\"close_wait\"} 1");
	ck_assert_has_line(text, "tcp_health_connections{port=\"3720\",role=\"client\",state=\"established\"} 1");
	ck_assert_has_line(text, "tcp_health_connections{port=\"3720\",role=\"client\",state=\"time_wait\"} 1");
	ck_assert_has_line(text, "tcp_health_connections{port=\"other\",role=\"client\",state=\"established\"} 1");
	/* Every state is written for a port that has any socket: series do not flap. */
	ck_assert_has_line(text, "tcp_health_connections{port=\"3720\",role=\"server\",state=\"closing\"} 0");
	ck_assert_has_line(text, "tcp_health_exporter_sockets_scanned{family=\"ipv4\"} 6");
	ck_assert_has_line(text, "tcp_health_exporter_sockets_scanned{family=\"ipv6\"} 0");
}
END_TEST

START_TEST(listeners_expected_and_bound_addresses)
{
	static const uint8_t any6[16] = { 0 };
	const struct tcpagg_listener *l;
	const char *text;

	add(AF_INET, TCPH_LISTEN, "127.0.0.1", 1202, 0, 2, 5);
	add(AF_INET6, TCPH_LISTEN, "::", 1720, 0, 0, 8);
	result();
	l = listener(1202);
	ck_assert_uint_eq(l->sockets, 1);
	ck_assert_uint_eq(l->queue_length, 2);
	ck_assert_uint_eq(l->queue_max, 5);
	ck_assert_uint_eq(l->n_addresses, 1);
	ck_assert_uint_eq(l->addresses[0].family, AF_INET);
	ck_assert_mem_eq(l->addresses[0].addr, ((const uint8_t[]){ 127, 0, 0, 1 }), 4);
	l = listener(1720);
	ck_assert_uint_eq(l->sockets, 1);
	ck_assert_uint_eq(l->queue_max, 8);
	ck_assert_uint_eq(l->n_addresses, 1);
	ck_assert_uint_eq(l->addresses[0].family, AF_INET6);
	ck_assert_mem_eq(l->addresses[0].addr, any6, 16);
	/* Expected ports are listed even when nothing uses them, with no listener. */
	ck_assert_uint_eq(listener(5060)->sockets, 0);
	ck_assert_uint_eq(listener(5060)->n_addresses, 0);
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 5060)->states[TCPH_LISTEN], 0);
	ck_assert(find_port(CLASSIFY_SERVER, 1202)->expected);
	ck_assert(find_port(CLASSIFY_SERVER, 5060)->expected);
	ck_assert(!find_port(CLASSIFY_SERVER, 1720)->expected);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_listener_up{port=\"1202\"} 1");
	ck_assert_has_line(text, "tcp_health_listener_up{port=\"1720\"} 1");
	ck_assert_has_line(text, "tcp_health_listener_up{port=\"5060\"} 0");
	ck_assert_has_line(text,
			   "tcp_health_listener_info{port=\"1202\",address=\"127.0.0.1\",family=\"ipv4\"} 1");
	ck_assert_has_line(text, "tcp_health_listener_info{port=\"1720\",address=\"::\",family=\"ipv6\"} 1");
	ck_assert_has_line(text, "tcp_health_listen_queue_length{port=\"1202\"} 2");
	ck_assert_has_line(text, "tcp_health_listen_queue_max{port=\"1202\"} 5");
	/* No queue and no address for a port with no listener. */
	ck_assert_no_text(text, "tcp_health_listen_queue_max{port=\"5060\"}");
	ck_assert_no_text(text, "tcp_health_listen_queue_length{port=\"5060\"}");
	ck_assert_no_text(text, "tcp_health_listener_info{port=\"5060\"");
	/* Expected ports are listed even when nothing uses them. */
	ck_assert_has_line(text, "tcp_health_connections{port=\"5060\",role=\"server\",state=\"listen\"} 0");
}
END_TEST

START_TEST(reuseport_group_sums_queues_and_lists_address_once)
{
	const struct tcpagg_listener *l;
	const char *text;

	for (int i = 0; i < 4; i++)
		add(AF_INET, TCPH_LISTEN, "0.0.0.0", 8080, 0, (uint32_t)i, 128);
	add(AF_INET6, TCPH_LISTEN, "::1", 8080, 0, 1, 64);
	result();
	l = listener(8080);
	ck_assert_uint_eq(l->queue_length, 7);
	ck_assert_uint_eq(l->queue_max, 576);
	ck_assert_uint_eq(l->sockets, 5);
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 8080)->states[TCPH_LISTEN], 5);
	ck_assert_uint_eq(l->n_addresses, 2); /* 0.0.0.0 once, ::1 */
	ck_assert_uint_eq(l->addresses[0].family, AF_INET);
	ck_assert_uint_eq(l->addresses[1].family, AF_INET6);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_listen_queue_length{port=\"8080\"} 7");
	ck_assert_has_line(text, "tcp_health_listen_queue_max{port=\"8080\"} 576");
	ck_assert_has_line(text, "tcp_health_connections{port=\"8080\",role=\"server\",state=\"listen\"} 5");
	ck_assert_has_line(text, "tcp_health_listener_info{port=\"8080\",address=\"0.0.0.0\",family=\"ipv4\"} 1");
	ck_assert_has_line(text, "tcp_health_listener_info{port=\"8080\",address=\"::1\",family=\"ipv6\"} 1");
	ck_assert_ptr_null(strstr(strstr(text, "address=\"0.0.0.0\"") + 1, "address=\"0.0.0.0\""));
}
END_TEST

START_TEST(more_addresses_than_listed_are_counted_not_listed)
{
	char addr[32];

	for (int i = 0; i < TCPAGG_LISTENER_ADDRESSES + 4; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i + 1);
		add(AF_INET, TCPH_LISTEN, addr, 8443, 0, 1, 10);
	}
	result();
	ck_assert_uint_eq(listener(8443)->sockets, TCPAGG_LISTENER_ADDRESSES + 4);
	ck_assert_uint_eq(listener(8443)->queue_length, TCPAGG_LISTENER_ADDRESSES + 4);
	ck_assert_uint_eq(listener(8443)->n_addresses, TCPAGG_LISTENER_ADDRESSES);
}
END_TEST

START_TEST(cap_folds_ports_and_reports_it)
{
	const char *text;

	teardown();
	setup_with(3); /* 1202 and 5060 are reserved: one slot left */
	add(AF_INET, TCPH_LISTEN, "0.0.0.0", 80, 0, 0, 10);
	add(AF_INET, TCPH_LISTEN, "0.0.0.0", 443, 0, 0, 10);
	add(AF_INET, TCPH_ESTABLISHED, "10.0.0.1", 443, 41000, 0, 0);
	result();
	ck_assert_uint_eq(res->n_ports[CLASSIFY_SERVER], 4); /* 80, 1202, 5060, other */
	ck_assert_uint_eq(listener(80)->sockets, 1);
	ck_assert_ptr_null(find_port(CLASSIFY_SERVER, 443));
	ck_assert_ptr_null(find_port(CLASSIFY_CLIENT, 443));
	ck_assert_uint_eq(other(CLASSIFY_SERVER)->states[TCPH_LISTEN], 1);
	ck_assert_uint_eq(other(CLASSIFY_SERVER)->states[TCPH_ESTABLISHED], 1);
	ck_assert_uint_eq(res->folded[CLASSIFY_SERVER], 2);
	ck_assert_uint_eq(res->folded[CLASSIFY_CLIENT], 0);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_listener_up{port=\"80\"} 1");
	ck_assert_no_text(text, "port=\"443\"");
	ck_assert_has_line(text, "tcp_health_connections{port=\"other\",role=\"server\",state=\"listen\"} 1");
	ck_assert_has_line(text,
			   "tcp_health_connections{port=\"other\",role=\"server\",state=\"established\"} 1");
	ck_assert_has_line(text, "tcp_health_exporter_ports_folded_sockets{role=\"server\"} 2");
	ck_assert_has_line(text, "tcp_health_exporter_ports_folded_sockets{role=\"client\"} 0");
	/* "other" has no listener row even when listeners folded into it. */
	ck_assert_no_text(text, "tcp_health_listener_up{port=\"other\"}");
}
END_TEST

START_TEST(ports_are_written_in_numeric_order)
{
	const char *text;

	add(AF_INET, TCPH_LISTEN, "0.0.0.0", 9000, 0, 0, 1);
	add(AF_INET, TCPH_LISTEN, "0.0.0.0", 80, 0, 0, 1);
	result();
	ck_assert_uint_eq(res->n_ports[CLASSIFY_SERVER], 5);
	ck_assert_uint_eq(res->ports[CLASSIFY_SERVER][0].port, 80);
	ck_assert_uint_eq(res->ports[CLASSIFY_SERVER][1].port, 1202);
	ck_assert_uint_eq(res->ports[CLASSIFY_SERVER][2].port, 5060);
	ck_assert_uint_eq(res->ports[CLASSIFY_SERVER][3].port, 9000);
	ck_assert(res->ports[CLASSIFY_SERVER][4].other);

	text = rendered();
	ck_assert(strstr(text, "listener_up{port=\"80\"}") < strstr(text, "listener_up{port=\"1202\"}"));
	ck_assert(strstr(text, "listener_up{port=\"1202\"}") < strstr(text, "listener_up{port=\"9000\"}"));
}
END_TEST

/* The published result: ports sorted per role, "other" last, each listener at the index of
 * its own port after sorting, and `expected` set on configured server ports only. The
 * sockets arrive in an order unlike the port order, so slot order != sorted order. */
START_TEST(result_is_sorted_with_listeners_matched)
{
	static const struct {
		uint16_t port;
		uint32_t backlog; /* distinct per port: tells the listeners apart */
	} listening[] = { { 9000, 90 }, { 80, 8 }, { 22, 2 }, { 443, 44 }, { 1202, 12 } };
	const struct tcp_result *r;
	const struct tcp_port *server, *client;

	for (unsigned i = 0; i < sizeof(listening) / sizeof(listening[0]); i++)
		add(AF_INET, TCPH_LISTEN, "0.0.0.0", listening[i].port, 0, 1, listening[i].backlog);
	add(AF_INET, TCPH_ESTABLISHED, "10.0.0.1", 41000, 5432, 0, 0);
	add(AF_INET, TCPH_ESTABLISHED, "10.0.0.1", 41001, 1202, 0, 0); /* to a remote 1202 */
	add(AF_INET, TCPH_ESTABLISHED, "10.0.0.1", 41002, 53, 0, 0);
	add(AF_INET, TCPH_ESTABLISHED, "10.0.0.1", 41003, 50000, 0, 0); /* ephemeral: other */
	r = result();
	server = r->ports[CLASSIFY_SERVER];
	client = r->ports[CLASSIFY_CLIENT];

	/* Server: 22 80 443 1202 5060 9000, then other. */
	ck_assert_uint_eq(r->n_ports[CLASSIFY_SERVER], 7);
	for (unsigned i = 0; i + 1 < r->n_ports[CLASSIFY_SERVER]; i++) {
		ck_assert(!server[i].other);
		if (i > 0)
			ck_assert_uint_lt(server[i - 1].port, server[i].port);
	}
	ck_assert_uint_eq(server[0].port, 22);
	ck_assert_uint_eq(server[5].port, 9000);
	ck_assert(server[6].other);
	ck_assert_uint_eq(server[6].port, 0);
	ck_assert(!server[6].expected);
	for (unsigned i = 0; i < sizeof(listening) / sizeof(listening[0]); i++) {
		const struct tcpagg_listener *l = listener(listening[i].port);

		ck_assert_msg(l->queue_max == listening[i].backlog, "port %u has the listener of backlog %llu",
			      listening[i].port, (unsigned long long)l->queue_max);
		ck_assert_uint_eq(l->sockets, 1);
	}
	ck_assert_uint_eq(listener(5060)->sockets, 0);
	/* The "other" entry's listener slot is empty. */
	ck_assert_uint_eq(r->listeners[r->n_ports[CLASSIFY_SERVER] - 1].sockets, 0);
	for (unsigned i = 0; i + 1 < r->n_ports[CLASSIFY_SERVER]; i++)
		ck_assert_msg(server[i].expected == (server[i].port == 1202 || server[i].port == 5060),
			      "port %u expected=%d", server[i].port, server[i].expected);

	/* Client: 53 1202 5432, then other; `expected` is a server-role notion. */
	ck_assert_uint_eq(r->n_ports[CLASSIFY_CLIENT], 4);
	ck_assert_uint_eq(client[0].port, 53);
	ck_assert_uint_eq(client[1].port, 1202);
	ck_assert_uint_eq(client[2].port, 5432);
	ck_assert(client[3].other);
	for (unsigned i = 0; i < r->n_ports[CLASSIFY_CLIENT]; i++)
		ck_assert(!client[i].expected);
	ck_assert_uint_eq(client[3].counts.states[TCPH_ESTABLISHED], 1);
	/* The range the scan classified with, from the test's ip_local_port_range. */
	ck_assert_uint_eq(r->eph_low, 32768);
	ck_assert_uint_eq(r->eph_high, 60999);
}
END_TEST

START_TEST(result_of_a_failed_scan_has_only_counters)
{
	const char *text;

	add(AF_INET, TCPH_LISTEN, "0.0.0.0", 80, 0, 0, 1);
	agg->dump_retries_total = 5;
	tcpagg_result_free(res);
	res = NULL;
	ck_assert_int_eq(tcpagg_result(agg, false, &res), 0);
	ck_assert(!res->has_sockets);
	ck_assert_uint_eq(res->n_ports[CLASSIFY_SERVER], 0);
	ck_assert_uint_eq(res->n_ports[CLASSIFY_CLIENT], 0);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV4], 0);
	ck_assert_uint_eq(res->dump_retries_total, 5);

	memset(&snap, 0, sizeof(snap));
	snap.collectors[collectors_find("tcp")].enabled = true;
	snap.collectors[collectors_find("tcp")].error = -EPERM;
	snap_target = (struct target_result){ .tcp = res };
	snap.data.targets = &snap_target;
	snap.data.n_targets = 1;
	ck_assert_int_eq(render_metrics(&snap, &out), 0);
	expfmt_append(&out, "", 1);
	text = out.data;
	/* Without a dump only the counters stay true. */
	ck_assert_has_line(text, "tcp_health_exporter_dump_retries_total 5");
	ck_assert_no_text(text, "tcp_health_connections");
	ck_assert_no_text(text, "tcp_health_listener_up");
	ck_assert_no_text(text, "tcp_health_exporter_sockets_scanned");
	ck_assert_has_line(text, "tcp_health_scrape_collector_success{collector=\"tcp\"} 0");
}
END_TEST

/* A fake dump: reports NLM_F_DUMP_INTR for the first `interrupted` calls, then one
 * listener per family (the one walk: both; or `one_walk_error` when set). */
struct fake_dump {
	int interrupted;
	int calls;
	int ipv6_error;
	int one_walk_error;
};

static int fake_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct fake_dump *fake = ctx;
	struct sockdiag_record r;

	fake->calls++;
	if (family == SOCKDIAG_ONE_WALK && fake->one_walk_error)
		return fake->one_walk_error;
	if (family == AF_INET6 && fake->ipv6_error)
		return fake->ipv6_error;
	memset(&r, 0, sizeof(r));
	r.family = (uint8_t)(family == SOCKDIAG_ONE_WALK ? AF_INET : family);
	r.state = TCPH_LISTEN;
	r.sport = 22;
	fn(&r, fn_ctx);
	if (family == SOCKDIAG_ONE_WALK) {
		r.family = AF_INET6;
		fn(&r, fn_ctx);
	}
	if (fake->interrupted > 0) {
		fake->interrupted--;
		return -EINTR;
	}
	return 0;
}

START_TEST(interrupted_dump_is_retried_from_scratch_and_counted)
{
	struct fake_dump fake = { .interrupted = 2 };
	const char *text;

	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &fake), 0);
	ck_assert_uint_eq(agg->dump_retries_total, 2);
	result();
	/* Nothing of the interrupted attempts is left in the counts. */
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 22)->states[TCPH_LISTEN], 2);
	ck_assert_uint_eq(listener(22)->sockets, 2);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV4], 1);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV6], 1);
	ck_assert_uint_eq(res->dump_retries_total, 2);
	text = rendered();
	ck_assert_has_line(text, "tcp_health_connections{port=\"22\",role=\"server\",state=\"listen\"} 2");
	ck_assert_has_line(text, "tcp_health_exporter_dump_retries_total 2");
}
END_TEST

START_TEST(interrupted_too_often_fails)
{
	struct fake_dump fake = { .interrupted = 100 };

	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &fake), -EINTR);
	ck_assert_uint_eq(agg->dump_retries_total, TCPAGG_MAX_DUMP_RETRIES);
	ck_assert_int_eq(fake.calls, TCPAGG_MAX_DUMP_RETRIES + 1);
	/* Retries accumulate across scrapes. */
	fake.interrupted = 1;
	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &fake), 0);
	ck_assert_uint_eq(agg->dump_retries_total, TCPAGG_MAX_DUMP_RETRIES + 1);
	ck_assert_uint_eq(result()->dump_retries_total, TCPAGG_MAX_DUMP_RETRIES + 1);
}
END_TEST

START_TEST(kernel_without_ipv6_is_not_a_failure_but_other_errors_are)
{
	/* A kernel without IPv6 that also refuses the one walk: the per-family dumps. */
	struct fake_dump fake = { .ipv6_error = -EAFNOSUPPORT, .one_walk_error = -EINVAL };

	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &fake), 0);
	ck_assert(agg->two_dumps);
	ck_assert_uint_eq(agg->sockets_scanned[TCPAGG_IPV4], 1);
	ck_assert_uint_eq(agg->sockets_scanned[TCPAGG_IPV6], 0);
	fake.ipv6_error = -EPERM;
	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &fake), -EPERM);
	ck_assert_uint_eq(agg->dump_retries_total, 0);
}
END_TEST

START_TEST(unknown_state_is_skipped)
{
	add(AF_INET, 13 /* TCP_BOUND_INACTIVE */, "0.0.0.0", 9999, 0, 0, 0);
	result();
	ck_assert_ptr_null(find_port(CLASSIFY_SERVER, 9999));
	ck_assert_ptr_null(find_port(CLASSIFY_CLIENT, 9999));
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV4], 1); /* read, though not counted */
	ck_assert_no_text(rendered(), "port=\"9999\"");
}
END_TEST

START_TEST(state_names_match_ss)
{
	ck_assert_str_eq(tcpagg_state_name(TCPH_ESTABLISHED), "established");
	ck_assert_str_eq(tcpagg_state_name(TCPH_SYN_RECV), "syn_recv");
	ck_assert_str_eq(tcpagg_state_name(TCPH_FIN_WAIT1), "fin_wait1");
	ck_assert_str_eq(tcpagg_state_name(TCPH_CLOSE_WAIT), "close_wait");
	ck_assert_str_eq(tcpagg_state_name(TCPH_CLOSING), "closing");
	ck_assert_ptr_null(tcpagg_state_name(0));
	ck_assert_ptr_null(tcpagg_state_name(12));
	ck_assert_str_eq(tcpagg_timer_name(TCPH_TIMER_OFF), "off");
	ck_assert_str_eq(tcpagg_timer_name(TCPH_TIMER_PROBE), "zero_window_probe");
	ck_assert_str_eq(tcpagg_timer_name(TCPH_TIMER_DELAYED_ACK), "delayed_ack");
	ck_assert_ptr_null(tcpagg_timer_name(TCPH_TIMER_MAX + 1));
}
END_TEST

/* ---- dead-peer signals --------------------------------------------------------------- */

/* An IPv4 socket 10.0.0.1:sport -> 10.0.0.2:dport with a full tcp_info, silent `silent_ms`
 * (data and ACK alike); callers adjust the rest before feed(). */
static struct sockdiag_record conn(uint8_t state, uint16_t sport, uint16_t dport, uint8_t timer,
				   uint8_t retrans, uint32_t silent_ms, uint32_t inode)
{
	struct sockdiag_record r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.state = state;
	r.sport = sport;
	r.dport = dport;
	r.timer = timer;
	r.retrans = retrans;
	r.inode = inode;
	ck_assert_int_eq(inet_pton(AF_INET, "10.0.0.1", r.saddr), 1);
	ck_assert_int_eq(inet_pton(AF_INET, "10.0.0.2", r.daddr), 1);
	r.info_len = sizeof(r.info);
	r.info.tcpi_state = state;
	r.info.tcpi_last_data_recv = silent_ms;
	r.info.tcpi_last_ack_recv = silent_ms;
	return r;
}

/* Adds a socket built by conn() with an RTT and retransmission counts. */
static void add_full(uint8_t state, uint16_t sport, uint16_t dport, uint8_t timer, uint8_t retrans,
		     uint32_t idle_ms, uint32_t rtt_us, uint32_t total_retrans)
{
	struct sockdiag_record r = conn(state, sport, dport, timer, retrans, idle_ms, 0);

	r.info.tcpi_rtt = rtt_us;
	r.info.tcpi_total_retrans = total_retrans;
	r.info.tcpi_lost = retrans;
	r.info.tcpi_unacked = retrans ? 3 : 0;
	ck_assert_int_eq(tcpagg_add(&r, agg), 0);
}

START_TEST(every_timer_kind_is_counted)
{
	const struct tcpagg_slot *s;
	const char *text;

	add_full(TCPH_ESTABLISHED, 443, 41000, TCPH_TIMER_OFF, 0, 0, 0, 0);
	add_full(TCPH_ESTABLISHED, 443, 41001, TCPH_TIMER_RETRANSMIT, 0, 0, 0, 0);
	add_full(TCPH_ESTABLISHED, 443, 41002, TCPH_TIMER_KEEPALIVE, 0, 0, 0, 0);
	add_full(TCPH_TIME_WAIT, 443, 41003, TCPH_TIMER_TIME_WAIT, 0, 0, 0, 0);
	add_full(TCPH_ESTABLISHED, 443, 41004, TCPH_TIMER_PROBE, 1, 0, 0, 0);
	add_full(TCPH_ESTABLISHED, 443, 41005, TCPH_TIMER_DELAYED_ACK, 0, 0, 0, 0);
	add_full(TCPH_ESTABLISHED, 443, 41006, 9 /* a future timer code */, 0, 0, 0, 0);
	result();
	s = counts(CLASSIFY_SERVER, 443);
	ck_assert_uint_eq(s->timers[TCPH_TIMER_OFF], 1);
	ck_assert_uint_eq(s->timers[TCPH_TIMER_RETRANSMIT], 1);
	ck_assert_uint_eq(s->timers[TCPH_TIMER_KEEPALIVE], 1);
	ck_assert_uint_eq(s->timers[TCPH_TIMER_TIME_WAIT], 1);
	ck_assert_uint_eq(s->timers[TCPH_TIMER_PROBE], 1);
	ck_assert_uint_eq(s->timers[TCPH_TIMER_DELAYED_ACK], 1);
	/* The unknown timer is in the states but in no timer count. */
	ck_assert_uint_eq(s->states[TCPH_ESTABLISHED], 6);
	/* A retransmit timer with no retransmission yet is normal data in flight. */
	ck_assert_uint_eq(s->retransmitting, 0);
	ck_assert_uint_eq(s->keepalive, 1);
	ck_assert_uint_eq(s->keepalive_probes, 0);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_timer_connections{port=\"443\",role=\"server\",timer=\"off\"} 1");
	ck_assert_has_line(text, "tcp_health_timer_connections{port=\"443\",role=\"server\",timer=\"retransmit\"} 1");
	ck_assert_has_line(text, "tcp_health_timer_connections{port=\"443\",role=\"server\",timer=\"keepalive\"} 1");
	ck_assert_has_line(text, "tcp_health_timer_connections{port=\"443\",role=\"server\",timer=\"time_wait\"} 1");
	ck_assert_has_line(text, "tcp_health_timer_connections{port=\"443\",role=\"server\",timer=\"zero_window_probe\"} 1");
	ck_assert_has_line(text, "tcp_health_timer_connections{port=\"443\",role=\"server\",timer=\"delayed_ack\"} 1");
	ck_assert_has_line(text, "tcp_health_retransmitting_connections{port=\"443\",role=\"server\"} 0");
	ck_assert_has_line(text, "tcp_health_keepalive_connections{port=\"443\",role=\"server\"} 1");
	ck_assert_has_line(text, "tcp_health_keepalive_probes_outstanding{port=\"443\",role=\"server\"} 0");
}
END_TEST

START_TEST(retransmitting_into_the_void)
{
	const struct tcpagg_slot *s;
	const char *text;

	add_full(TCPH_ESTABLISHED, 41000, 5432, TCPH_TIMER_RETRANSMIT, 4, 0, 200000, 10);
	add_full(TCPH_ESTABLISHED, 41001, 5432, TCPH_TIMER_RETRANSMIT, 7, 0, 200000, 20);
	add_full(TCPH_ESTABLISHED, 41002, 5432, TCPH_TIMER_OFF, 0, 0, 200000, 5);
	result();
	s = counts(CLASSIFY_CLIENT, 5432);
	ck_assert_uint_eq(s->retransmitting, 2);
	ck_assert_uint_eq(s->retransmit_backoff_max, 7);
	ck_assert_uint_eq(s->retransmitted_segments, 35);
	ck_assert_uint_eq(s->lost_segments, 11);
	ck_assert_uint_eq(s->unacked_segments, 6);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_retransmitting_connections{port=\"5432\",role=\"client\"} 2");
	ck_assert_has_line(text, "tcp_health_retransmit_backoff_max{port=\"5432\",role=\"client\"} 7");
	ck_assert_has_line(text, "tcp_health_retransmitted_segments{port=\"5432\",role=\"client\"} 35");
	ck_assert_has_line(text, "tcp_health_lost_segments{port=\"5432\",role=\"client\"} 11");
	ck_assert_has_line(text, "tcp_health_unacked_segments{port=\"5432\",role=\"client\"} 6");
}
END_TEST

START_TEST(handshake_retransmissions_are_not_dead_peers)
{
	const struct tcpagg_slot *server, *client;
	struct sockdiag_record r;

	/* A SYN_RECV request socket retransmitting its SYN-ACK (no tcp_info), and a
	 * SYN_SENT to an unreachable host. */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.state = TCPH_SYN_RECV;
	r.sport = 443;
	r.dport = 41000;
	r.timer = TCPH_TIMER_RETRANSMIT;
	r.retrans = 4;
	tcpagg_add(&r, agg);
	add_full(TCPH_SYN_SENT, 41001, 443, TCPH_TIMER_RETRANSMIT, 3, 0, 0, 0);
	/* An orphaned FIN_WAIT2 runs tcp_fin_timeout on the keepalive timer. */
	add_full(TCPH_FIN_WAIT2, 443, 41002, TCPH_TIMER_KEEPALIVE, 0, 0, 0, 0);
	result();
	server = counts(CLASSIFY_SERVER, 443);
	client = counts(CLASSIFY_CLIENT, 443);
	ck_assert_uint_eq(server->retransmitting, 0);
	ck_assert_uint_eq(client->retransmitting, 0);
	ck_assert_uint_eq(server->retransmit_backoff_max, 0);
	ck_assert_uint_eq(server->timers[TCPH_TIMER_RETRANSMIT], 1);
	ck_assert_uint_eq(server->keepalive, 0);
	ck_assert_uint_eq(server->timers[TCPH_TIMER_KEEPALIVE], 1);
}
END_TEST

START_TEST(keepalive_probing_a_silent_peer)
{
	const struct tcpagg_slot *s;
	const char *text;

	add_full(TCPH_ESTABLISHED, 1720, 41000, TCPH_TIMER_KEEPALIVE, 3, 9000, 0, 0);
	add_full(TCPH_ESTABLISHED, 1720, 41001, TCPH_TIMER_KEEPALIVE, 1, 9000, 0, 0);
	add_full(TCPH_ESTABLISHED, 1720, 41002, TCPH_TIMER_KEEPALIVE, 0, 10, 0, 0);
	result();
	s = counts(CLASSIFY_SERVER, 1720);
	ck_assert_uint_eq(s->keepalive, 3);
	ck_assert_uint_eq(s->keepalive_probes, 4);
	ck_assert_uint_eq(s->keepalive_probes_max, 3);
	/* Keepalive protects them: none is unprotected however idle. */
	ck_assert_uint_eq(s->unprotected_idle, 0);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_keepalive_connections{port=\"1720\",role=\"server\"} 3");
	ck_assert_has_line(text, "tcp_health_keepalive_probes_outstanding{port=\"1720\",role=\"server\"} 4");
	ck_assert_has_line(text, "tcp_health_keepalive_probes_max{port=\"1720\",role=\"server\"} 3");
	ck_assert_has_line(text, "tcp_health_unprotected_idle_connections{port=\"1720\",role=\"server\"} 0");
}
END_TEST

START_TEST(idle_histogram_and_unprotected_idle)
{
	static const uint64_t buckets[TCPAGG_IDLE_BUCKETS] = { 1, 0, 1, 0, 1, 0, 0 };
	const struct tcpagg_slot *s;
	const char *text;

	add_full(TCPH_ESTABLISHED, 1202, 41000, TCPH_TIMER_OFF, 0, 500, 0, 0);	 /* 0.5 s */
	add_full(TCPH_ESTABLISHED, 1202, 41001, TCPH_TIMER_OFF, 0, 45000, 0, 0);	 /* 45 s */
	add_full(TCPH_ESTABLISHED, 1202, 41002, TCPH_TIMER_OFF, 0, 301000, 0, 0);	 /* past 300 */
	add_full(TCPH_ESTABLISHED, 1202, 41003, TCPH_TIMER_OFF, 0, 9000000, 0, 0); /* 2.5 h */
	add_full(TCPH_CLOSE_WAIT, 1202, 41004, TCPH_TIMER_OFF, 0, 9000000, 0, 0);  /* not ESTABLISHED */
	result();
	s = counts(CLASSIFY_SERVER, 1202);
	/* Non-cumulative in the result; 2.5 h is above the last bound: only in the count. */
	for (unsigned i = 0; i < TCPAGG_IDLE_BUCKETS; i++)
		ck_assert_msg(s->idle.buckets[i] == buckets[i], "idle bucket %u (le %g): %llu", i,
			      tcpagg_idle_bounds[i], (unsigned long long)s->idle.buckets[i]);
	ck_assert_uint_eq(s->idle.count, 4);
	ck_assert_double_eq(s->idle.sum, 9346.5);
	/* Threshold 300 s: the two connections idle longer, with no timer, are unprotected. */
	ck_assert_uint_eq(s->unprotected_idle, 2);

	/* Cumulative in the text. */
	text = rendered();
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_bucket{port=\"1202\",role=\"server\",le=\"1\"} 1");
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_bucket{port=\"1202\",role=\"server\",le=\"60\"} 2");
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_bucket{port=\"1202\",role=\"server\",le=\"300\"} 2");
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_bucket{port=\"1202\",role=\"server\",le=\"900\"} 3");
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_bucket{port=\"1202\",role=\"server\",le=\"7200\"} 3");
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_bucket{port=\"1202\",role=\"server\",le=\"+Inf\"} 4");
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_count{port=\"1202\",role=\"server\"} 4");
	ck_assert_has_line(text, "tcp_health_connection_idle_seconds_sum{port=\"1202\",role=\"server\"} 9346.5");
	ck_assert_has_line(text, "tcp_health_unprotected_idle_connections{port=\"1202\",role=\"server\"} 2");
}
END_TEST

START_TEST(a_peer_that_only_acks_is_not_silent)
{
	struct sockdiag_record r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.state = TCPH_ESTABLISHED;
	r.sport = 41000;
	r.dport = 8125;
	r.info_len = sizeof(r.info);
	r.info.tcpi_last_data_recv = 3600000; /* we only send: no data received for an hour */
	r.info.tcpi_last_ack_recv = 200;      /* but the peer acknowledged 0.2 s ago */
	tcpagg_add(&r, agg);
	result();
	ck_assert_uint_eq(counts(CLASSIFY_CLIENT, 8125)->unprotected_idle, 0);
	ck_assert_uint_eq(counts(CLASSIFY_CLIENT, 8125)->idle.count, 1);
}
END_TEST

START_TEST(rtt_histogram_in_seconds)
{
	static const uint64_t buckets[TCPAGG_RTT_BUCKETS] = { 1, 0, 0, 0, 0, 1, 0, 0, 0 };
	const struct tcpagg_slot *s;
	const char *text;

	add_full(TCPH_ESTABLISHED, 41000, 443, TCPH_TIMER_OFF, 0, 0, 50, 0);	  /* 50 us */
	add_full(TCPH_ESTABLISHED, 41001, 443, TCPH_TIMER_OFF, 0, 0, 20000, 0);	  /* 20 ms */
	add_full(TCPH_ESTABLISHED, 41002, 443, TCPH_TIMER_OFF, 0, 0, 2000000, 0); /* 2 s */
	result();
	s = counts(CLASSIFY_CLIENT, 443);
	for (unsigned i = 0; i < TCPAGG_RTT_BUCKETS; i++)
		ck_assert_msg(s->rtt.buckets[i] == buckets[i], "rtt bucket %u (le %g): %llu", i,
			      tcpagg_rtt_bounds[i], (unsigned long long)s->rtt.buckets[i]);
	ck_assert_uint_eq(s->rtt.count, 3);
	ck_assert_double_eq_tol(s->rtt.sum, 2.02005, 1e-12);

	text = rendered();
	ck_assert_has_line(text, "tcp_health_rtt_seconds_bucket{port=\"443\",role=\"client\",le=\"0.0001\"} 1");
	ck_assert_has_line(text, "tcp_health_rtt_seconds_bucket{port=\"443\",role=\"client\",le=\"0.01\"} 1");
	ck_assert_has_line(text, "tcp_health_rtt_seconds_bucket{port=\"443\",role=\"client\",le=\"0.05\"} 2");
	ck_assert_has_line(text, "tcp_health_rtt_seconds_bucket{port=\"443\",role=\"client\",le=\"1\"} 2");
	ck_assert_has_line(text, "tcp_health_rtt_seconds_bucket{port=\"443\",role=\"client\",le=\"+Inf\"} 3");
	ck_assert_has_line(text, "tcp_health_rtt_seconds_sum{port=\"443\",role=\"client\"} 2.02005");
}
END_TEST

START_TEST(listener_tcp_info_is_not_segments)
{
	struct sockdiag_record r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.state = TCPH_LISTEN;
	r.sport = 2600;
	r.rqueue = 2;
	r.wqueue = 128;
	r.info_len = sizeof(r.info);
	r.info.tcpi_unacked = 2; /* the kernel reports the accept queue length here */
	tcpagg_add(&r, agg);
	result();
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 2600)->unacked_segments, 0);
	ck_assert_uint_eq(listener(2600)->queue_length, 2);
}
END_TEST

START_TEST(short_tcp_info_counts_what_it_has)
{
	struct sockdiag_record r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.state = TCPH_ESTABLISHED;
	r.sport = 41000;
	r.dport = 443;
	/* An old kernel's tcp_info: the fields we read are there, later ones zero. */
	r.info_len = 104;
	r.info.tcpi_total_retrans = 3;
	r.info.tcpi_rtt = 1000;
	tcpagg_add(&r, agg);
	result();
	ck_assert_uint_eq(counts(CLASSIFY_CLIENT, 443)->retransmitted_segments, 3);
	ck_assert_uint_eq(counts(CLASSIFY_CLIENT, 443)->rtt.count, 1);
}
END_TEST

/* ---- worst connections ----------------------------------------------------------------- */

static void feed(const struct sockdiag_record *r)
{
	ck_assert_int_eq(tcpagg_add(r, agg), 0);
}

/* The entry of (sport, dport) in a list of the last result, or NULL. */
static const struct tcpagg_connection *listed(enum tcpagg_worst_kind kind, uint16_t sport,
					       uint16_t dport)
{
	ck_assert_ptr_nonnull(res);
	for (unsigned i = 0; i < res->worst[kind].n; i++)
		if (res->worst[kind].top[i].sport == sport && res->worst[kind].top[i].dport == dport)
			return &res->worst[kind].top[i];
	return NULL;
}

/* A counter of the last result summed over every (port, role) label set, "other" too. */
static uint64_t sum_slots(uint64_t (*get)(const struct tcpagg_slot *))
{
	uint64_t sum = 0;

	ck_assert_ptr_nonnull(res);
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		for (unsigned i = 0; i < res->n_ports[r]; i++)
			sum += get(&res->ports[r][i].counts);
	return sum;
}

static uint64_t get_retransmitting(const struct tcpagg_slot *s)
{
	return s->retransmitting;
}

static uint64_t get_unprotected_idle(const struct tcpagg_slot *s)
{
	return s->unprotected_idle;
}

static uint64_t get_close_wait(const struct tcpagg_slot *s)
{
	return s->states[TCPH_CLOSE_WAIT];
}

static uint64_t get_syn_recv(const struct tcpagg_slot *s)
{
	return s->states[TCPH_SYN_RECV];
}

/* Every list of the last result: worst first (value, then silence, descending). */
static void assert_lists_sorted(void)
{
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		const struct tcpagg_worst *w = &res->worst[k];

		ck_assert_uint_le(w->n, agg->worst_max);
		ck_assert_uint_le(w->n, w->total);
		for (unsigned i = 1; i < w->n; i++)
			ck_assert_msg(w->top[i - 1].value > w->top[i].value ||
					      (w->top[i - 1].value == w->top[i].value &&
					       w->top[i - 1].silent_ms >= w->top[i].silent_ms),
				      "%s: entry %u (%llu, %u ms) after (%llu, %u ms)", tcpagg_worst_name(k), i,
				      (unsigned long long)w->top[i].value, w->top[i].silent_ms,
				      (unsigned long long)w->top[i - 1].value, w->top[i - 1].silent_ms);
	}
}

struct ranked {
	uint64_t value;
	uint32_t silent_ms;
	uint32_t inode;
};

static int compare_ranked(const void *a, const void *b)
{
	const struct ranked *ra = a, *rb = b;

	if (ra->value != rb->value)
		return ra->value > rb->value ? -1 : 1;
	return (ra->silent_ms < rb->silent_ms) - (ra->silent_ms > rb->silent_ms);
}

START_TEST(worst_ranked_by_value_then_silence)
{
	enum { N = 25, KEPT = 10 };
	struct ranked all[N];
	const struct tcpagg_worst *w;

	agg->worst_max = KEPT;
	for (unsigned i = 0; i < N; i++) {
		/* Shuffled values 0..12, most twice: ties, one of them across the cut-off. */
		unsigned order = (i * 7) % N;
		struct sockdiag_record r;

		all[i].value = order / 2 + 1;
		all[i].silent_ms = 1000 + ((i * 11) % N) * 100; /* distinct */
		all[i].inode = 5000 + i;
		if (i % 2) /* server role, port 443 */
			r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(40000 + i), TCPH_TIMER_RETRANSMIT,
				 (uint8_t)all[i].value, 0, all[i].inode);
		else /* client role, port 5432 */
			r = conn(TCPH_ESTABLISHED, (uint16_t)(40000 + i), 5432, TCPH_TIMER_RETRANSMIT,
				 (uint8_t)all[i].value, 0, all[i].inode);
		/* silent_ms is the smaller of the two, whichever it is. */
		r.info.tcpi_last_data_recv = all[i].silent_ms + (i % 3 ? 5 : 0);
		r.info.tcpi_last_ack_recv = all[i].silent_ms + (i % 3 ? 0 : 5);
		feed(&r);
	}
	/* Worse by value, but not retransmitting: never listed, never counted. */
	feed(&(struct sockdiag_record){ 0 }); /* unknown state 0: skipped */
	{
		struct sockdiag_record r = conn(TCPH_SYN_SENT, 41999, 5432, TCPH_TIMER_RETRANSMIT, 200, 0, 9001);

		feed(&r);
		r = conn(TCPH_ESTABLISHED, 443, 41998, TCPH_TIMER_PROBE, 200, 0, 9002);
		feed(&r);
	}
	qsort(all, N, sizeof(all[0]), compare_ranked);
	/* The cut-off falls inside a tie: silence decides who stays. */
	ck_assert_uint_eq(all[KEPT - 1].value, all[KEPT].value);

	result();
	w = &res->worst[TCPAGG_WORST_RETRANSMITTING];
	ck_assert_uint_eq(w->n, KEPT);
	ck_assert_uint_eq(w->total, N);
	ck_assert_uint_eq(sum_slots(get_retransmitting), N);
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 443)->retransmitting + counts(CLASSIFY_CLIENT, 5432)->retransmitting, N);
	for (unsigned i = 0; i < KEPT; i++) {
		ck_assert_msg(w->top[i].inode == all[i].inode, "rank %u: inode %u, expected %u (value %llu)", i,
			      w->top[i].inode, all[i].inode, (unsigned long long)all[i].value);
		ck_assert_uint_eq(w->top[i].value, all[i].value);
		ck_assert_uint_eq(w->top[i].retrans, all[i].value);
		ck_assert_uint_eq(w->top[i].silent_ms, all[i].silent_ms);
	}
	ck_assert_uint_eq(w->top[0].value, 13);
	assert_lists_sorted();
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++)
		if (k != TCPAGG_WORST_RETRANSMITTING)
			ck_assert_uint_eq(res->worst[k].total, 0);
}
END_TEST

/* Each list holds exactly the sockets its metric counts, nothing near them. */
START_TEST(worst_lists_match_the_counters)
{
	struct sockdiag_record r;

	/* Retransmitting: after the handshake, with >= 1 retransmission. */
	r = conn(TCPH_ESTABLISHED, 443, 40001, TCPH_TIMER_RETRANSMIT, 3, 0, 101);
	feed(&r);
	r = conn(TCPH_FIN_WAIT1, 443, 40002, TCPH_TIMER_RETRANSMIT, 4, 0, 102);
	feed(&r);
	r = conn(TCPH_CLOSE_WAIT, 443, 40003, TCPH_TIMER_RETRANSMIT, 1, 5000, 103); /* and close_wait */
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40004, TCPH_TIMER_RETRANSMIT, 0, 0, 104);	   /* in flight */
	feed(&r);
	r = conn(TCPH_SYN_SENT, 40005, 443, TCPH_TIMER_RETRANSMIT, 5, 0, 105);	   /* handshake */
	feed(&r);
	/* Keepalive: probes unanswered, not FIN_WAIT2's fin timeout. */
	r = conn(TCPH_ESTABLISHED, 443, 40011, TCPH_TIMER_KEEPALIVE, 2, 9000000, 111);
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40012, TCPH_TIMER_KEEPALIVE, 0, 9000000, 112); /* no probe */
	feed(&r);
	r = conn(TCPH_FIN_WAIT2, 443, 40013, TCPH_TIMER_KEEPALIVE, 3, 0, 113);
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40014, TCPH_TIMER_PROBE, 6, 0, 114); /* zero window */
	feed(&r);
	/* Unprotected idle (threshold 300 s): no timer, nothing received past it. */
	r = conn(TCPH_ESTABLISHED, 443, 40021, TCPH_TIMER_OFF, 0, 350000, 121);
	r.info.tcpi_last_data_recv = 400000;
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 40022, 5432, TCPH_TIMER_OFF, 0, 900000, 122); /* client */
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40023, TCPH_TIMER_OFF, 0, 400000, 123);
	r.info.tcpi_last_ack_recv = 200; /* the peer acks */
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40024, TCPH_TIMER_OFF, 0, 900000, 124); /* at, not past */
	r.info.tcpi_last_data_recv = 300000;
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40028, TCPH_TIMER_OFF, 0, 900000, 128);
	r.info.tcpi_last_ack_recv = 300000;
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40025, TCPH_TIMER_DELAYED_ACK, 0, 900000, 125);
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 40026, TCPH_TIMER_OFF, 0, 900000, 126); /* no tcp_info */
	r.info_len = 0;
	feed(&r);
	r = conn(TCPH_FIN_WAIT1, 443, 40027, TCPH_TIMER_OFF, 0, 900000, 127); /* not ESTABLISHED */
	feed(&r);
	/* CLOSE_WAIT: value is the data silence; 0 without tcp_info. */
	r = conn(TCPH_CLOSE_WAIT, 443, 40031, TCPH_TIMER_OFF, 0, 10, 131);
	r.info.tcpi_last_data_recv = 700000;
	feed(&r);
	r = conn(TCPH_CLOSE_WAIT, 443, 40032, TCPH_TIMER_OFF, 0, 0, 132);
	r.info_len = 0;
	r.info.tcpi_last_data_recv = 800000; /* not sent by the kernel: not read */
	feed(&r);
	/* SYN_RECV request sockets: no inode, no tcp_info. */
	r = conn(TCPH_SYN_RECV, 443, 40041, TCPH_TIMER_RETRANSMIT, 2, 0, 0);
	r.info_len = 0;
	feed(&r);
	r = conn(TCPH_SYN_RECV, 443, 40042, TCPH_TIMER_RETRANSMIT, 0, 0, 0);
	r.info_len = 0;
	feed(&r);
	/* Nothing. */
	r = conn(TCPH_LISTEN, 443, 0, TCPH_TIMER_OFF, 0, 900000, 151);
	feed(&r);
	r = conn(TCPH_TIME_WAIT, 443, 40052, TCPH_TIMER_TIME_WAIT, 0, 0, 0);
	r.info_len = 0;
	feed(&r);
	result();
	assert_lists_sorted();

	/* Every list: total == its counter, everything kept (fewer than worst_max). */
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].total, sum_slots(get_retransmitting));
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].total, 3);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].total, 1);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].total, sum_slots(get_unprotected_idle));
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].total, 2);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].total, sum_slots(get_close_wait));
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].total, 3);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].total, sum_slots(get_syn_recv));
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].total, 2);
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++)
		ck_assert_uint_eq(res->worst[k].n, res->worst[k].total);

	/* Retransmitting: 4, 3, 1. */
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].top[0].inode, 102);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].top[0].value, 4);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].top[1].inode, 101);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].top[2].inode, 103);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].top[2].state, TCPH_CLOSE_WAIT);
	ck_assert_ptr_null(listed(TCPAGG_WORST_RETRANSMITTING, 40005, 443));
	ck_assert_ptr_null(listed(TCPAGG_WORST_RETRANSMITTING, 443, 40041));

	/* Keepalive: the one probing. */
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].top[0].inode, 111);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].top[0].value, 2);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].top[0].timer, TCPH_TIMER_KEEPALIVE);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].top[0].silent_ms, 9000000);
	ck_assert_ptr_null(listed(TCPAGG_WORST_KEEPALIVE, 443, 40013));
	ck_assert_uint_eq(counts(CLASSIFY_SERVER, 443)->keepalive, 2); /* 111 and 112 */

	/* Idle: the client one (900 s), then 350 s (the smaller of data and ACK). */
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[0].inode, 122);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[0].value, 900000);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[0].role, CLASSIFY_CLIENT);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[0].port, 5432);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[1].inode, 121);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[1].value, 350000);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[1].silent_ms, 350000);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[1].last_data_recv_ms, 400000);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].top[1].timer, TCPH_TIMER_OFF);

	/* CLOSE_WAIT: 700 s, then the retransmitting one (5 s), then the one without tcp_info. */
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[0].inode, 131);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[0].value, 700000);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[0].silent_ms, 10);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[0].last_data_recv_ms, 700000);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[1].inode, 103);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[1].value, 5000);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[2].inode, 132);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[2].value, 0);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[2].silent_ms, 0);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].top[2].last_data_recv_ms, 0);

	/* SYN_RECV: by SYN-ACK retransmissions, no inode. */
	ck_assert_ptr_nonnull(listed(TCPAGG_WORST_SYN_RECV, 443, 40041));
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].top[0].dport, 40041);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].top[0].value, 2);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].top[0].inode, 0);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].top[0].role, CLASSIFY_SERVER);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].top[1].dport, 40042);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].top[1].value, 0);
}
END_TEST

START_TEST(worst_connection_fields_ipv4_and_ipv6)
{
	static const uint8_t zero[12] = { 0 };
	struct sockdiag_record r;
	const struct tcpagg_connection *c;
	uint8_t addr[16];

	r = conn(TCPH_ESTABLISHED, 443, 41000, TCPH_TIMER_RETRANSMIT, 5, 0, 4242);
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.10", r.saddr), 1);
	ck_assert_int_eq(inet_pton(AF_INET, "198.51.100.7", r.daddr), 1);
	memset(r.saddr + 4, 0xee, 12); /* past an IPv4 address: not copied */
	r.expires_ms = 1200;
	r.rqueue = 11;
	r.wqueue = 2222;
	r.uid = 1000;
	r.info.tcpi_last_data_recv = 7000;
	r.info.tcpi_last_ack_recv = 6000;
	feed(&r);

	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.state = TCPH_ESTABLISHED;
	r.sport = 50123;
	r.dport = 5432;
	r.timer = TCPH_TIMER_KEEPALIVE;
	r.retrans = 2;
	r.expires_ms = 75000;
	r.rqueue = 3;
	r.wqueue = 4;
	r.uid = 33;
	r.inode = 777;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", r.saddr), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:ffff::2", r.daddr), 1);
	r.info_len = sizeof(r.info);
	r.info.tcpi_last_data_recv = 120000;
	r.info.tcpi_last_ack_recv = 130000;
	feed(&r);
	result();

	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].n, 1);
	c = &res->worst[TCPAGG_WORST_RETRANSMITTING].top[0];
	ck_assert_uint_eq(c->family, AF_INET);
	ck_assert_uint_eq(c->state, TCPH_ESTABLISHED);
	ck_assert_uint_eq(c->timer, TCPH_TIMER_RETRANSMIT);
	ck_assert_uint_eq(c->role, CLASSIFY_SERVER);
	ck_assert(!c->other);
	ck_assert_uint_eq(c->port, 443);
	ck_assert_uint_eq(c->sport, 443);
	ck_assert_uint_eq(c->dport, 41000);
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.10", addr), 1);
	ck_assert_mem_eq(c->saddr, addr, 4);
	ck_assert_mem_eq(c->saddr + 4, zero, 12);
	ck_assert_int_eq(inet_pton(AF_INET, "198.51.100.7", addr), 1);
	ck_assert_mem_eq(c->daddr, addr, 4);
	ck_assert_mem_eq(c->daddr + 4, zero, 12);
	ck_assert_uint_eq(c->retrans, 5);
	ck_assert_uint_eq(c->expires_ms, 1200);
	ck_assert_uint_eq(c->silent_ms, 6000);
	ck_assert_uint_eq(c->last_data_recv_ms, 7000);
	ck_assert_uint_eq(c->rqueue, 11);
	ck_assert_uint_eq(c->wqueue, 2222);
	ck_assert_uint_eq(c->uid, 1000);
	ck_assert_uint_eq(c->inode, 4242);
	ck_assert_uint_eq(c->value, 5);
	ck_assert_str_eq(c->process, ""); /* named later, by the scanner (owners) */

	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].n, 1);
	c = &res->worst[TCPAGG_WORST_KEEPALIVE].top[0];
	ck_assert_uint_eq(c->family, AF_INET6);
	ck_assert_uint_eq(c->state, TCPH_ESTABLISHED);
	ck_assert_uint_eq(c->timer, TCPH_TIMER_KEEPALIVE);
	ck_assert_uint_eq(c->role, CLASSIFY_CLIENT);
	ck_assert(!c->other);
	ck_assert_uint_eq(c->port, 5432);
	ck_assert_uint_eq(c->sport, 50123);
	ck_assert_uint_eq(c->dport, 5432);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", addr), 1);
	ck_assert_mem_eq(c->saddr, addr, 16);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:ffff::2", addr), 1);
	ck_assert_mem_eq(c->daddr, addr, 16);
	ck_assert_uint_eq(c->retrans, 2);
	ck_assert_uint_eq(c->expires_ms, 75000);
	ck_assert_uint_eq(c->silent_ms, 120000);
	ck_assert_uint_eq(c->last_data_recv_ms, 120000);
	ck_assert_uint_eq(c->rqueue, 3);
	ck_assert_uint_eq(c->wqueue, 4);
	ck_assert_uint_eq(c->uid, 33);
	ck_assert_uint_eq(c->inode, 777);
	ck_assert_uint_eq(c->value, 2);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV6], 1);
}
END_TEST

START_TEST(worst_max_one_and_limit)
{
	enum { N = 150 };
	static const uint8_t values[] = { 3, 9, 1, 9, 4 };
	const struct tcpagg_worst *w;
	struct sockdiag_record r;

	agg->worst_max = 1;
	tcpagg_begin(agg);
	for (unsigned i = 0; i < sizeof(values); i++) {
		/* The second 9 has been silent longer: it wins the tie. */
		r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(41000 + i), TCPH_TIMER_RETRANSMIT, values[i],
			 i == 3 ? 8000 : 4000, 600 + i);
		feed(&r);
		r = conn(TCPH_CLOSE_WAIT, 443, (uint16_t)(42000 + i), TCPH_TIMER_OFF, 0, values[i] * 1000u,
			 700 + i);
		feed(&r);
	}
	result();
	w = &res->worst[TCPAGG_WORST_RETRANSMITTING];
	ck_assert_uint_eq(w->n, 1);
	ck_assert_uint_eq(w->total, 5);
	ck_assert_uint_eq(w->top[0].inode, 603);
	ck_assert_uint_eq(w->top[0].value, 9);
	w = &res->worst[TCPAGG_WORST_CLOSE_WAIT];
	ck_assert_uint_eq(w->n, 1);
	ck_assert_uint_eq(w->total, 5);
	ck_assert_uint_eq(w->top[0].inode, 701); /* 9 s, the first of the equal two */
	ck_assert_uint_eq(w->top[0].value, 9000);

	agg->worst_max = TCPAGG_WORST_LIMIT;
	tcpagg_begin(agg);
	for (unsigned i = 0; i < N; i++) {
		unsigned value = (i * 7) % N + 1; /* 1..150, shuffled */

		r = conn(TCPH_ESTABLISHED, (uint16_t)(40000 + i), 5432, TCPH_TIMER_RETRANSMIT,
			 (uint8_t)value, 0, 10000 + value);
		feed(&r);
	}
	result();
	assert_lists_sorted();
	w = &res->worst[TCPAGG_WORST_RETRANSMITTING];
	ck_assert_uint_eq(w->n, TCPAGG_WORST_LIMIT);
	ck_assert_uint_eq(w->total, N);
	ck_assert_uint_eq(counts(CLASSIFY_CLIENT, 5432)->retransmitting, N);
	for (unsigned i = 0; i < TCPAGG_WORST_LIMIT; i++) {
		ck_assert_uint_eq(w->top[i].value, N - i);
		ck_assert_uint_eq(w->top[i].inode, 10000 + N - i);
	}
	/* Nothing of the worst_max 1 scan is left. */
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].n, 0);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].total, 0);
}
END_TEST

START_TEST(worst_lists_reset_between_scans)
{
	struct sockdiag_record r;

	for (unsigned i = 0; i < 12; i++) {
		r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(41000 + i), TCPH_TIMER_RETRANSMIT,
			 (uint8_t)(50 + i), 0, 100 + i);
		feed(&r);
		r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(42000 + i), TCPH_TIMER_KEEPALIVE, 1, 0, 200 + i);
		feed(&r);
		r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(43000 + i), TCPH_TIMER_OFF, 0, 9000000, 300 + i);
		feed(&r);
		r = conn(TCPH_CLOSE_WAIT, 443, (uint16_t)(44000 + i), TCPH_TIMER_OFF, 0, 1000, 400 + i);
		feed(&r);
		r = conn(TCPH_SYN_RECV, 443, (uint16_t)(45000 + i), TCPH_TIMER_RETRANSMIT, 1, 0, 0);
		feed(&r);
	}
	result();
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		ck_assert_uint_eq(res->worst[k].n, TCPAGG_WORST_DEFAULT);
		ck_assert_uint_eq(res->worst[k].total, 12);
	}

	tcpagg_begin(agg);
	r = conn(TCPH_ESTABLISHED, 443, 46000, TCPH_TIMER_RETRANSMIT, 1, 0, 900);
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 46001, TCPH_TIMER_RETRANSMIT, 2, 0, 901);
	feed(&r);
	result();
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].n, 2);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].total, 2);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].top[0].inode, 901);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].top[1].inode, 900);
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		if (k == TCPAGG_WORST_RETRANSMITTING)
			continue;
		ck_assert_uint_eq(res->worst[k].n, 0);
		ck_assert_uint_eq(res->worst[k].total, 0);
	}
}
END_TEST

/* A fake dump whose first attempt is interrupted after feeding much worse sockets than the
 * complete attempt does. */
struct worst_dump {
	int attempts; /* AF_INET calls */
};

static int worst_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct worst_dump *fake = ctx;
	struct sockdiag_record r;

	if (family == SOCKDIAG_ONE_WALK) { /* both families, IPv4 first */
		int ret = worst_dump(ctx, AF_INET, fn, fn_ctx);

		return ret < 0 ? ret : worst_dump(ctx, AF_INET6, fn, fn_ctx);
	}
	if (family == AF_INET)
		fake->attempts++;
	if (fake->attempts == 1) {
		for (unsigned i = 0; i < 4; i++) {
			r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(41000 + i + (family == AF_INET6) * 100),
				 TCPH_TIMER_RETRANSMIT, (uint8_t)(100 + i), 0, 100 + i);
			r.family = (uint8_t)family;
			fn(&r, fn_ctx);
		}
		r = conn(TCPH_CLOSE_WAIT, 443, 42000, TCPH_TIMER_OFF, 0, 5000, 150);
		r.family = (uint8_t)family;
		fn(&r, fn_ctx);
		return family == AF_INET6 ? -EINTR : 0;
	}
	if (family == AF_INET) {
		for (unsigned i = 0; i < 3; i++) {
			r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(43000 + i), TCPH_TIMER_RETRANSMIT,
				 (uint8_t)(1 + i), 0, 200 + i);
			fn(&r, fn_ctx);
		}
	}
	return 0;
}

START_TEST(worst_lists_reset_after_interrupted_dump)
{
	struct worst_dump fake = { 0 };
	const struct tcpagg_worst *w;

	ck_assert_int_eq(tcpagg_scan(agg, worst_dump, &fake), 0);
	ck_assert_int_eq(fake.attempts, 2);
	ck_assert_uint_eq(agg->dump_retries_total, 1);
	result();
	w = &res->worst[TCPAGG_WORST_RETRANSMITTING];
	ck_assert_uint_eq(w->total, 3);
	ck_assert_uint_eq(w->n, 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(w->top[i].value, 3 - i);
		ck_assert_uint_eq(w->top[i].inode, 202 - i);
	}
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].total, 0);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_CLOSE_WAIT].n, 0);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV4], 3);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV6], 0);
}
END_TEST

START_TEST(worst_result_copies_lists_and_failed_scan_has_none)
{
	struct tcpagg_worst kept[TCPAGG_WORST_KINDS];
	struct tcpagg_connection copies[TCPAGG_WORST_KINDS][TCPAGG_WORST_DEFAULT];
	struct tcp_result *failed = NULL;
	struct sockdiag_record r;

	add(AF_INET, TCPH_LISTEN, "0.0.0.0", 443, 0, 0, 128);
	for (unsigned i = 0; i < 15; i++) {
		r = conn(TCPH_ESTABLISHED, 443, (uint16_t)(41000 + i), TCPH_TIMER_RETRANSMIT,
			 (uint8_t)(i % 4 + 1), 1000 * i, 100 + i);
		feed(&r);
		if (i % 3 == 0) {
			r = conn(TCPH_ESTABLISHED, (uint16_t)(42000 + i), 6379, TCPH_TIMER_KEEPALIVE,
				 (uint8_t)(i + 1), 0, 200 + i);
			feed(&r);
		}
		if (i % 5 == 0) {
			r = conn(TCPH_SYN_RECV, 443, (uint16_t)(43000 + i), TCPH_TIMER_RETRANSMIT,
				 (uint8_t)i, 0, 0);
			r.info_len = 0;
			feed(&r);
		}
	}
	result();
	assert_lists_sorted();
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		const struct tcpagg_worst *w = &res->worst[k];

		ck_assert_uint_eq(w->n, agg->worst[k].n);
		ck_assert_uint_eq(w->total, agg->worst[k].total);
		ck_assert_ptr_ne(w->top, agg->worst[k].top);
		if (w->n)
			ck_assert_mem_eq(w->top, agg->worst[k].top, w->n * sizeof(w->top[0]));
		/* Laid out one after the other in the result's block, after its header. */
		ck_assert((const char *)w->top > (const char *)res);
		if (k > 0)
			ck_assert_ptr_eq(w->top, res->worst[k - 1].top + res->worst[k - 1].n);
		kept[k] = *w;
		memcpy(copies[k], w->top, w->n * sizeof(w->top[0]));
	}
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].n, TCPAGG_WORST_DEFAULT);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_RETRANSMITTING].total, 15);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].n, 5);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_KEEPALIVE].top[0].value, 13);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_SYN_RECV].n, 3);
	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].n, 0);

	/* The result is a copy: the next scan does not touch it. */
	tcpagg_begin(agg);
	r = conn(TCPH_ESTABLISHED, 443, 44000, TCPH_TIMER_RETRANSMIT, 200, 0, 999);
	feed(&r);
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		ck_assert_uint_eq(res->worst[k].n, kept[k].n);
		ck_assert_uint_eq(res->worst[k].total, kept[k].total);
		ck_assert_ptr_eq(res->worst[k].top, kept[k].top);
		if (kept[k].n)
			ck_assert_mem_eq(res->worst[k].top, copies[k], kept[k].n * sizeof(copies[k][0]));
	}

	/* A failed scan lists nothing, whatever the aggregate holds. */
	ck_assert_int_eq(tcpagg_result(agg, false, &failed), 0);
	ck_assert_ptr_nonnull(failed);
	ck_assert(!failed->has_sockets);
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		ck_assert_uint_eq(failed->worst[k].n, 0);
		ck_assert_uint_eq(failed->worst[k].total, 0);
	}
	tcpagg_result_free(failed); /* one block: ASan and valgrind see any leak */
}
END_TEST

START_TEST(worst_names_every_kind)
{
	ck_assert_str_eq(tcpagg_worst_name(TCPAGG_WORST_RETRANSMITTING), "retransmitting");
	ck_assert_str_eq(tcpagg_worst_name(TCPAGG_WORST_KEEPALIVE), "keepalive_unanswered");
	ck_assert_str_eq(tcpagg_worst_name(TCPAGG_WORST_IDLE), "unprotected_idle");
	ck_assert_str_eq(tcpagg_worst_name(TCPAGG_WORST_CLOSE_WAIT), "close_wait");
	ck_assert_str_eq(tcpagg_worst_name(TCPAGG_WORST_SYN_RECV), "syn_recv");
	ck_assert_ptr_null(tcpagg_worst_name(TCPAGG_WORST_KINDS));
	ck_assert_ptr_null(tcpagg_worst_name(TCPAGG_WORST_KINDS + 1));
	ck_assert_ptr_null(tcpagg_worst_name((unsigned)-1));
}
END_TEST

START_TEST(worst_folded_into_other_is_marked)
{
	static const uint16_t remote[] = { 5432, 6379, 3306, 11211 };
	const struct tcpagg_connection *c;
	struct sockdiag_record r;

	teardown();
	setup_with(3); /* server: 1202 and 5060 reserved, one slot left; client: three slots */
	r = conn(TCPH_ESTABLISHED, 80, 41000, TCPH_TIMER_RETRANSMIT, 1, 0, 1);
	feed(&r);
	r = conn(TCPH_ESTABLISHED, 443, 41001, TCPH_TIMER_RETRANSMIT, 2, 0, 2); /* folded */
	feed(&r);
	for (unsigned i = 0; i < 4; i++) { /* the fourth remote port folds */
		r = conn(TCPH_ESTABLISHED, (uint16_t)(42000 + i), remote[i], TCPH_TIMER_OFF, 0,
			 400000 + 1000 * i, 10 + i);
		feed(&r);
	}
	r = conn(TCPH_CLOSE_WAIT, 43000, 50000, TCPH_TIMER_OFF, 0, 1000, 20); /* both ephemeral */
	feed(&r);
	result();
	ck_assert_uint_eq(res->folded[CLASSIFY_SERVER], 1);
	ck_assert_uint_eq(res->folded[CLASSIFY_CLIENT], 1);

	c = listed(TCPAGG_WORST_RETRANSMITTING, 80, 41000);
	ck_assert_ptr_nonnull(c);
	ck_assert(!c->other);
	ck_assert_uint_eq(c->port, 80);
	ck_assert_uint_eq(c->role, CLASSIFY_SERVER);
	c = listed(TCPAGG_WORST_RETRANSMITTING, 443, 41001);
	ck_assert_ptr_nonnull(c);
	ck_assert(c->other);
	ck_assert_uint_eq(c->port, 0);
	ck_assert_uint_eq(c->role, CLASSIFY_SERVER);
	ck_assert_uint_eq(other(CLASSIFY_SERVER)->retransmitting, 1);

	ck_assert_uint_eq(res->worst[TCPAGG_WORST_IDLE].n, 4);
	for (unsigned i = 0; i < 4; i++) {
		c = listed(TCPAGG_WORST_IDLE, (uint16_t)(42000 + i), remote[i]);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->role, CLASSIFY_CLIENT);
		ck_assert_uint_eq(c->other, i == 3);
		ck_assert_uint_eq(c->port, (i == 3 ? 0u : remote[i]));
	}
	ck_assert_uint_eq(other(CLASSIFY_CLIENT)->unprotected_idle, 1);
	c = listed(TCPAGG_WORST_CLOSE_WAIT, 43000, 50000);
	ck_assert_ptr_nonnull(c);
	ck_assert(c->other);
	ck_assert_uint_eq(c->port, 0);
	ck_assert_uint_eq(c->role, CLASSIFY_CLIENT);
}
END_TEST

Suite *tcpagg_suite(void)
{
	Suite *s = suite_create("tcpagg");
	TCase *tc = tcase_create("aggregate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, states_by_port_and_role);
	tcase_add_test(tc, listeners_expected_and_bound_addresses);
	tcase_add_test(tc, reuseport_group_sums_queues_and_lists_address_once);
	tcase_add_test(tc, more_addresses_than_listed_are_counted_not_listed);
	tcase_add_test(tc, cap_folds_ports_and_reports_it);
	tcase_add_test(tc, ports_are_written_in_numeric_order);
	tcase_add_test(tc, result_is_sorted_with_listeners_matched);
	tcase_add_test(tc, result_of_a_failed_scan_has_only_counters);
	tcase_add_test(tc, interrupted_dump_is_retried_from_scratch_and_counted);
	tcase_add_test(tc, interrupted_too_often_fails);
	tcase_add_test(tc, kernel_without_ipv6_is_not_a_failure_but_other_errors_are);
	tcase_add_test(tc, unknown_state_is_skipped);
	tcase_add_test(tc, state_names_match_ss);
	tcase_add_test(tc, every_timer_kind_is_counted);
	tcase_add_test(tc, retransmitting_into_the_void);
	tcase_add_test(tc, handshake_retransmissions_are_not_dead_peers);
	tcase_add_test(tc, keepalive_probing_a_silent_peer);
	tcase_add_test(tc, idle_histogram_and_unprotected_idle);
	tcase_add_test(tc, a_peer_that_only_acks_is_not_silent);
	tcase_add_test(tc, rtt_histogram_in_seconds);
	tcase_add_test(tc, listener_tcp_info_is_not_segments);
	tcase_add_test(tc, short_tcp_info_counts_what_it_has);
	tcase_add_test(tc, worst_ranked_by_value_then_silence);
	tcase_add_test(tc, worst_lists_match_the_counters);
	tcase_add_test(tc, worst_connection_fields_ipv4_and_ipv6);
	tcase_add_test(tc, worst_max_one_and_limit);
	tcase_add_test(tc, worst_lists_reset_between_scans);
	tcase_add_test(tc, worst_lists_reset_after_interrupted_dump);
	tcase_add_test(tc, worst_result_copies_lists_and_failed_scan_has_none);
	tcase_add_test(tc, worst_names_every_kind);
	tcase_add_test(tc, worst_folded_into_other_is_marked);
	suite_add_tcase(s, tc);
	return s;
}
