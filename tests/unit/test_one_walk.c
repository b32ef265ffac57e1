/* test_one_walk.c — the scan's one walk of both families (SOCKDIAG_ONE_WALK): the
 * aggregate of the recorded one-walk dump against the two recorded v2 dumps of the same
 * sockets, and tcpagg_scan's fall-back to one dump per family when a kernel refuses the
 * request (per target, from then on, logged once), with interrupted walks retried. */
#include "../../collectors/collectors.h"
#include "../../collectors/tcpagg.h"
#include "../../exporter/snapshot.h"
#include "replay.h"
#include "unit.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct tcpagg *agg;

static struct tcpagg *new_agg(void)
{
	static const uint16_t listen_ports[] = REPLAY_LISTEN_PORTS;
	const struct classify_config config = {
		.listen_ports = listen_ports, .n_listen_ports = 3, .max_ports = 250,
	};
	struct tcpagg *a = malloc(sizeof(*a));

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(tcpagg_init(a, &config, 300 * 1000), 0);
	snprintf(a->port_range_path, sizeof(a->port_range_path), "%s",
		 unit_data_path("ip_local_port_range"));
	return a;
}

static void free_agg(struct tcpagg *a)
{
	tcpagg_fini(a);
	free(a);
}

static void setup(void)
{
	agg = new_agg();
}

static void teardown(void)
{
	free_agg(agg);
}

/* ---- the recorded one walk against the recorded two dumps -------------------------------- */

/* A tcpagg_dump_fn serving tests/data/dump_one_walk.bin for the one walk only. */
static int recorded_one_walk(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	size_t len;
	char *buf;
	int ret;

	ck_assert_int_eq(family, SOCKDIAG_ONE_WALK);
	buf = replay_load_file(unit_data_path("dump_one_walk.bin"), &len);
	ck_assert_ptr_nonnull(buf);
	ret = sockdiag_parse_type(buf, len, ((const struct nlmsghdr *)buf)->nlmsg_seq, TCPDIAG_GETSOCK,
				  fn, fn_ctx);
	free(buf);
	(*(unsigned *)ctx)++;
	return ret == 1 ? 0 : ret < 0 ? ret : -EBADMSG;
}

static void assert_same_slots(const struct tcp_result *a, const struct tcp_result *b)
{
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		ck_assert_uint_eq(a->n_ports[r], b->n_ports[r]);
		ck_assert_uint_eq(a->folded[r], b->folded[r]);
		for (unsigned i = 0; i < a->n_ports[r]; i++) {
			const struct tcp_port *pa = &a->ports[r][i], *pb = &b->ports[r][i];

			ck_assert_uint_eq(pa->port, pb->port);
			ck_assert_int_eq(pa->other, pb->other);
			ck_assert_int_eq(pa->expected, pb->expected);
			ck_assert_mem_eq(pa->counts.states, pb->counts.states, sizeof(pa->counts.states));
			ck_assert_mem_eq(pa->counts.timers, pb->counts.timers, sizeof(pa->counts.timers));
			ck_assert_uint_eq(pa->counts.idle.count, pb->counts.idle.count);
			ck_assert_uint_eq(pa->counts.rtt.count, pb->counts.rtt.count);
		}
	}
	for (unsigned i = 0; i < a->n_ports[CLASSIFY_SERVER]; i++) {
		const struct tcpagg_listener *la = &a->listeners[i], *lb = &b->listeners[i];

		ck_assert_uint_eq(la->sockets, lb->sockets);
		ck_assert_uint_eq(la->queue_max, lb->queue_max);
		ck_assert_uint_eq(la->n_addresses, lb->n_addresses);
		for (unsigned k = 0; k < la->n_addresses; k++) {
			ck_assert_uint_eq(la->addresses[k].family, lb->addresses[k].family);
			ck_assert_mem_eq(la->addresses[k].addr, lb->addresses[k].addr, 16);
		}
	}
}

START_TEST(recorded_one_walk_aggregates_as_the_two_dumps)
{
	struct tcpagg *two = new_agg();
	struct tcp_result *one_res, *two_res;
	struct replay replay;
	unsigned walks = 0;

	replay_load(&replay);
	two->two_dumps = true; /* one dump per family: the two recordings */
	ck_assert_int_eq(tcpagg_scan(two, replay_dump, &replay), 0);
	ck_assert_uint_eq(replay.one_walks, 0);
	ck_assert_uint_eq(replay.dumps[0] + replay.dumps[1], 2);
	ck_assert_int_eq(tcpagg_scan(agg, recorded_one_walk, &walks), 0);
	ck_assert_uint_eq(walks, 1);
	ck_assert_int_eq(tcpagg_result(agg, true, &one_res), 0);
	ck_assert_int_eq(tcpagg_result(two, true, &two_res), 0);
	ck_assert_uint_eq(one_res->sockets_scanned[TCPAGG_IPV4], 9);
	ck_assert_uint_eq(one_res->sockets_scanned[TCPAGG_IPV6], 3);
	ck_assert_mem_eq(one_res->sockets_scanned, two_res->sockets_scanned,
			 sizeof(one_res->sockets_scanned));
	ck_assert_uint_eq(one_res->dump_requests, 1);
	ck_assert_uint_eq(two_res->dump_requests, 2);
	assert_same_slots(one_res, two_res);
	tcpagg_result_free(one_res);
	tcpagg_result_free(two_res);
	replay_free(&replay);
	free_agg(two);
}
END_TEST

/* ---- refusals and retries, with a fake kernel -------------------------------------------- */

struct fake {
	int walk_error;	  /* returned by the one walk (after `walk_records` sockets) */
	int walk_records; /* sockets the one walk feeds before failing */
	int interrupted;  /* one walks answered NLM_F_DUMP_INTR (after their sockets) */
	int ipv6_error;	  /* returned by the AF_INET6 dump */
	unsigned calls[3]; /* by family: [0] one walk, [1] AF_INET, [2] AF_INET6 */
};

static struct sockdiag_record record(uint8_t family, uint8_t state, uint16_t sport, uint16_t dport)
{
	struct sockdiag_record r;

	memset(&r, 0, sizeof(r));
	r.family = family;
	r.state = state;
	r.sport = sport;
	r.dport = dport;
	return r;
}

static void feed(sockdiag_record_fn fn, void *fn_ctx, uint8_t family, uint16_t port)
{
	struct sockdiag_record r = record(family, TCPH_LISTEN, port, 0);

	r.wqueue = 128;
	ck_assert_int_eq(fn(&r, fn_ctx), 0);
}

static int fake_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct fake *f = ctx;

	f->calls[family == SOCKDIAG_ONE_WALK ? 0 : family == AF_INET ? 1 : 2]++;
	if (family == SOCKDIAG_ONE_WALK) {
		for (int i = 0; i < f->walk_records; i++)
			feed(fn, fn_ctx, AF_INET, 22);
		if (f->walk_error)
			return f->walk_error;
		feed(fn, fn_ctx, AF_INET6, 22); /* interleaved, as a walk of the table meets them */
		feed(fn, fn_ctx, AF_INET, 22);
		if (f->interrupted > 0) {
			f->interrupted--;
			return -EINTR;
		}
		return 0;
	}
	if (family == AF_INET6 && f->ipv6_error)
		return f->ipv6_error;
	feed(fn, fn_ctx, (uint8_t)family, 22);
	return 0;
}

START_TEST(one_walk_is_one_request)
{
	struct fake f = { 0 };
	struct tcp_result *res;

	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), 0);
	ck_assert_uint_eq(f.calls[0], 1);
	ck_assert_uint_eq(f.calls[1] + f.calls[2], 0);
	ck_assert(!agg->two_dumps);
	ck_assert_int_eq(agg->one_walk_refused, 0);
	ck_assert_int_eq(tcpagg_result(agg, true, &res), 0);
	ck_assert_uint_eq(res->dump_requests, 1);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV4], 1);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV6], 1);
	ck_assert_uint_eq(res->listeners[0].sockets, 2);
	/* IPv4 first, although the walk met the IPv6 listener first. */
	ck_assert_uint_eq(res->listeners[0].addresses[0].family, AF_INET);
	ck_assert_uint_eq(res->listeners[0].addresses[1].family, AF_INET6);
	tcpagg_result_free(res);
}
END_TEST

START_TEST(refused_walk_falls_back_to_two_dumps_for_good)
{
	static const int refusals[] = { -EINVAL, -EOPNOTSUPP, -ENOENT, -EPROTONOSUPPORT, -EAFNOSUPPORT };

	for (unsigned i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		struct fake f = { .walk_error = refusals[i] };
		struct tcp_result *res;

		agg->two_dumps = false;
		ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), 0);
		ck_assert_msg(agg->two_dumps, "errno %d", -refusals[i]);
		ck_assert_int_eq(agg->one_walk_refused, refusals[i]);
		ck_assert_uint_eq(f.calls[0], 1);
		ck_assert_uint_eq(f.calls[1], 1);
		ck_assert_uint_eq(f.calls[2], 1);
		ck_assert_uint_eq(agg->dump_retries_total, 0); /* a fall-back is not a retry */
		ck_assert_int_eq(tcpagg_result(agg, true, &res), 0);
		ck_assert_uint_eq(res->dump_requests, 2);
		ck_assert_uint_eq(res->listeners[0].sockets, 2);
		tcpagg_result_free(res);
		/* The next scan does not ask again; one_walk_refused is this scan's news only. */
		ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), 0);
		ck_assert_uint_eq(f.calls[0], 1);
		ck_assert_uint_eq(f.calls[1], 2);
		ck_assert_int_eq(agg->one_walk_refused, 0);
	}
}
END_TEST

START_TEST(other_errors_fail_the_scan_without_falling_back)
{
	static const int errors[] = { -EPERM, -ENOBUFS, -EBADMSG, -ETIMEDOUT, -EPROTO };

	for (unsigned i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct fake f = { .walk_error = errors[i] };

		ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), errors[i]);
		ck_assert(!agg->two_dumps);
		ck_assert_uint_eq(f.calls[1] + f.calls[2], 0);
	}
}
END_TEST

/* A refusal is an answer to the request, before any socket: after sockets came, the same
 * errno is a dump that failed part-way, as strict as a v2 dump's failure. */
START_TEST(error_after_sockets_is_a_failed_dump)
{
	struct fake f = { .walk_error = -EINVAL, .walk_records = 1 };

	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), -EINVAL);
	ck_assert(!agg->two_dumps);
	ck_assert_uint_eq(f.calls[1] + f.calls[2], 0);
}
END_TEST

START_TEST(interrupted_walk_is_retried_as_one_walk)
{
	struct fake f = { .interrupted = 2 };
	struct tcp_result *res;

	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), 0);
	ck_assert_uint_eq(f.calls[0], 3);
	ck_assert_uint_eq(f.calls[1] + f.calls[2], 0);
	ck_assert_uint_eq(agg->dump_retries_total, 2);
	ck_assert_int_eq(tcpagg_result(agg, true, &res), 0);
	/* Nothing of the interrupted walks is left. */
	ck_assert_uint_eq(res->listeners[0].sockets, 2);
	ck_assert_uint_eq(res->sockets_scanned[TCPAGG_IPV4], 1);
	ck_assert_uint_eq(res->dump_retries_total, 2);
	tcpagg_result_free(res);
	f.interrupted = 100;
	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), -EINTR);
	ck_assert_uint_eq(f.calls[0], 3 + TCPAGG_MAX_DUMP_RETRIES + 1);
	ck_assert(!agg->two_dumps);
}
END_TEST

START_TEST(fallback_keeps_ipv6_less_kernels_working)
{
	struct fake f = { .walk_error = -EOPNOTSUPP, .ipv6_error = -EAFNOSUPPORT };

	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), 0);
	ck_assert_uint_eq(agg->sockets_scanned[TCPAGG_IPV4], 1);
	ck_assert_uint_eq(agg->sockets_scanned[TCPAGG_IPV6], 0);
	f.ipv6_error = -EPERM;
	ck_assert_int_eq(tcpagg_scan(agg, fake_dump, &f), -EPERM);
}
END_TEST

/* Worst lists whose values tie: the same list whichever way the walk interleaves the
 * families (IPv4 first, then the order met), as the two dumps (IPv4, then IPv6) gave. */
static void offer_syn_recv(uint8_t family, uint16_t dport)
{
	struct sockdiag_record r = record(family, TCPH_SYN_RECV, 443, dport);

	r.timer = TCPH_TIMER_RETRANSMIT;
	r.retrans = 1;
	ck_assert_int_eq(tcpagg_add(&r, agg), 0);
}

START_TEST(worst_ties_do_not_depend_on_the_interleaving)
{
	/* Sockets A, B (IPv4) and C, D (IPv6), met as one walk might and as two dumps do. */
	static const struct {
		uint8_t family;
		uint16_t dport;
	} a = { AF_INET, 50001 }, b = { AF_INET, 50002 }, c = { AF_INET6, 50101 },
	  d = { AF_INET6, 50102 }, orders[2][4] = { { c, a, d, b }, { a, b, c, d } };
	static const uint16_t want[3] = { 50001, 50002, 50101 };

	agg->worst_max = 3;
	for (int o = 0; o < 2; o++) {
		struct tcp_result *res;
		const struct tcpagg_worst *w;

		tcpagg_begin(agg);
		for (int i = 0; i < 4; i++)
			offer_syn_recv(orders[o][i].family, orders[o][i].dport);
		ck_assert_int_eq(tcpagg_result(agg, true, &res), 0);
		w = &res->worst[TCPAGG_WORST_SYN_RECV];
		ck_assert_uint_eq(w->total, 4);
		ck_assert_uint_eq(w->n, 3);
		for (int i = 0; i < 3; i++)
			ck_assert_msg(w->top[i].dport == want[i], "order %d, place %d: %u", o, i,
				      w->top[i].dport);
		tcpagg_result_free(res);
	}
}
END_TEST

/* ---- a target remembers, and the log says it once ------------------------------------------ */

static unsigned lines_with(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	unsigned n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

START_TEST(target_remembers_the_refusal_and_logs_it_once)
{
	struct fake f = { .walk_error = -EINVAL };
	char proc_root[512];
	struct collectors_config config = {
		.classify = { .max_ports = 8 },
		.idle_threshold_seconds = 300,
		.proc_root = proc_root,
		.tcp_dump = fake_dump,
		.tcp_dump_ctx = &f,
	};
	bool enabled[COLLECTORS_MAX] = { false };
	char path[] = "/tmp/tcph-unit-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct collectors *c;
	struct snapshot *s[3];

	ck_assert_int_ge(fd, 0);
	snprintf(proc_root, sizeof(proc_root), "%s", unit_data_path("proc"));
	enabled[collectors_find("tcp")] = true;
	ck_assert_int_eq(collectors_create(&c, enabled, &config), 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(snapshot_take(c, i + 1, &s[i]), 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	collectors_destroy(c);
	ck_assert_uint_eq(f.calls[0], 1);
	ck_assert_uint_eq(f.calls[1], 3);
	ck_assert_uint_eq(f.calls[2], 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(s[i]->data.targets[0].tcp->dump_requests, 2);
		ck_assert_uint_eq(s[i]->data.targets[0].tcp->sockets_scanned[TCPAGG_IPV6], 1);
		ck_assert_int_eq(s[i]->data.error[collectors_find("tcp")], 0);
		snapshot_unref(s[i]);
	}
	ck_assert_uint_eq(lines_with(path, "refused the one-walk socket dump (TCPDIAG_GETSOCK) in netns "
					   "self: Invalid argument"), 1);
	unlink(path);
}
END_TEST

Suite *one_walk_suite(void)
{
	Suite *s = suite_create("one_walk");
	TCase *tc = tcase_create("one_walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, recorded_one_walk_aggregates_as_the_two_dumps);
	tcase_add_test(tc, one_walk_is_one_request);
	tcase_add_test(tc, refused_walk_falls_back_to_two_dumps_for_good);
	tcase_add_test(tc, other_errors_fail_the_scan_without_falling_back);
	tcase_add_test(tc, error_after_sockets_is_a_failed_dump);
	tcase_add_test(tc, interrupted_walk_is_retried_as_one_walk);
	tcase_add_test(tc, fallback_keeps_ipv6_less_kernels_working);
	tcase_add_test(tc, worst_ties_do_not_depend_on_the_interleaving);
	tcase_add_test(tc, target_remembers_the_refusal_and_logs_it_once);
	suite_add_tcase(s, tc);
	return s;
}
