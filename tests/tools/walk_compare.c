/* walk_compare.c — the one walk of the kernel's TCP tables (SOCKDIAG_ONE_WALK) against
 * one v2 dump per address family, on live sockets (tests/integration/test_one_walk.sh).
 *
 * Usage:
 *   walk_compare records
 *       In the namespace it runs in: one one-walk dump and the two v2 dumps, back to back.
 *       Family by family, the sorted record lists must be equal in every field but the
 *       ones that move (expires, retrans, tcp_info), and tcpagg's aggregate of the walk's
 *       records of that family must equal the aggregate of that family's v2 dump; then
 *       the aggregate of the whole walk must equal the aggregate of both dumps. Prints a
 *       line per family ("ipv4: records=N mapped=M states=listen:2,... equal") and
 *       "aggregate: ... equal"; exit 1 (with the first difference) when anything differs.
 *   walk_compare metrics one-walk|two-dumps [EXPORTER FLAGS...]
 *       One scan with the exporter's own collectors (the flags as the exporter reads
 *       them, e.g. --netns=all), each namespace dumped by the production path; with
 *       two-dumps every one-walk request is answered as a kernel without it would (-EINVAL),
 *       so every target falls back through tcpagg_scan's refusal path. Prints the
 *       exposition (render_metrics) on stdout. tcp.events is left out (it needs its own
 *       subscriptions).
 * Exit 2 on bad usage. */
#include "../../collectors/collectors.h"
#include "../../collectors/sockdiag.h"
#include "../../collectors/tcpagg.h"
#include "../../exporter/expfmt.h"
#include "../../exporter/flags.h"
#include "../../exporter/render_metrics.h"
#include "../../exporter/snapshot.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- records ---------------------------------------------------------------------------- */

struct records {
	struct sockdiag_record *r;
	size_t n, cap;
	int family; /* keep only this family (0: both) */
};

static int keep(const struct sockdiag_record *record, void *ctx)
{
	struct records *l = ctx;

	if (l->family && record->family != l->family)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct sockdiag_record *r = realloc(l->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		l->r = r;
		l->cap = cap;
	}
	l->r[l->n] = *record;
	/* What moves between two dumps of a quiet socket: its timer's expiry, its retransmit
	 * and probe counts, its tcp_info (times since last data, RTT samples). */
	l->r[l->n].expires_ms = 0;
	l->r[l->n].retrans = 0;
	l->r[l->n].info_len = record->info_len > 0;
	memset(&l->r[l->n].info, 0, sizeof(l->r[l->n].info));
	l->n++;
	return 0;
}

static int compare_records(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sockdiag_record));
}

static struct sockdiag *sd;
static char buf[SOCKDIAG_RECV_BUFFER];

static int dump_into(int family, struct records *l)
{
	int ret = sockdiag_dump(sd, buf, sizeof(buf), family, keep, l);

	if (ret < 0)
		fprintf(stderr, "walk_compare: dump of family %d: %s\n", family, strerror(-ret));
	return ret;
}

static bool v4_mapped(const struct sockdiag_record *r)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return r->family == AF_INET6 && memcmp(r->saddr, prefix, 12) == 0;
}

static void print_record(const char *what, const struct sockdiag_record *r)
{
	fprintf(stderr, "  %s: family %u state %u %u -> %u inode %u timer %u rq %u wq %u info %u\n",
		what, r->family, r->state, r->sport, r->dport, r->inode, r->timer, r->rqueue,
		r->wqueue, r->info_len);
}

/* The record lists of one family, sorted, must be equal. 0 or 1. */
static int same_records(const char *name, struct records *walk, struct records *dump)
{
	unsigned states[TCPH_STATE_MAX + 1] = { 0 }, mapped = 0;

	qsort(walk->r, walk->n, sizeof(walk->r[0]), compare_records);
	qsort(dump->r, dump->n, sizeof(dump->r[0]), compare_records);
	for (size_t i = 0; i < walk->n && i < dump->n; i++) {
		if (compare_records(&walk->r[i], &dump->r[i]) != 0) {
			fprintf(stderr, "walk_compare: %s: record %zu differs\n", name, i);
			print_record("one walk", &walk->r[i]);
			print_record("v2 dump ", &dump->r[i]);
			return 1;
		}
	}
	if (walk->n != dump->n) {
		fprintf(stderr, "walk_compare: %s: one walk %zu records, v2 dump %zu\n", name, walk->n,
			dump->n);
		return 1;
	}
	printf("%s: records=%zu", name, walk->n);
	for (size_t i = 0; i < walk->n; i++) {
		states[walk->r[i].state <= TCPH_STATE_MAX ? walk->r[i].state : 0]++;
		mapped += v4_mapped(&walk->r[i]);
	}
	printf(" mapped=%u states=", mapped);
	for (unsigned s = 1, first = 1; s <= TCPH_STATE_MAX; s++)
		if (states[s]) {
			printf("%s%s:%u", first ? "" : ",", tcpagg_state_name(s), states[s]);
			first = 0;
		}
	printf(" equal\n");
	return 0;
}

/* ---- aggregates ------------------------------------------------------------------------- */

/* A tcpagg_dump_fn over the live kernel, keeping only records of `family` (0: all). */
struct filtered {
	int family;
	sockdiag_record_fn fn;
	void *fn_ctx;
};

static int pass_family(const struct sockdiag_record *record, void *ctx)
{
	const struct filtered *f = ctx;

	return f->family && record->family != f->family ? 0 : f->fn(record, f->fn_ctx);
}

static int live_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct filtered f = { *(const int *)ctx, fn, fn_ctx };

	if (family != SOCKDIAG_ONE_WALK && f.family && family != f.family)
		return 0; /* the other family's v2 dump: not compared here */
	return sockdiag_dump(sd, buf, sizeof(buf), family, pass_family, &f);
}

static int differ(const char *name, const char *what)
{
	fprintf(stderr, "walk_compare: %s: the aggregates differ in %s\n", name, what);
	return 1;
}

/* Field by field (the structs have padding). What moves between two dumps is left out: as
 * for records, and the ranking by silence or SYN-ACK retransmissions. */
static bool same_connection(const struct tcpagg_connection *a, const struct tcpagg_connection *b,
			    bool moving_value)
{
	return a->family == b->family && a->state == b->state && a->timer == b->timer &&
	       a->role == b->role && a->other == b->other && a->port == b->port &&
	       a->sport == b->sport && a->dport == b->dport && !memcmp(a->saddr, b->saddr, 16) &&
	       !memcmp(a->daddr, b->daddr, 16) && a->rqueue == b->rqueue && a->wqueue == b->wqueue &&
	       a->uid == b->uid && a->inode == b->inode && (moving_value || a->value == b->value);
}

static int compare_connections(const void *a, const void *b)
{
	const struct tcpagg_connection *x = a, *y = b;
	int d = memcmp(x->saddr, y->saddr, 16);

	if (d == 0)
		d = memcmp(x->daddr, y->daddr, 16);
	if (d == 0)
		d = (x->sport - y->sport) * 65536 + (x->dport - y->dport);
	return d ? d : x->family - y->family;
}

/* A list ranked by a value that moves (silence, retransmissions) may order its sockets
 * differently in two scans taken a moment apart: then the same sockets, as a set. */
static int same_worst(const char *name, const struct tcp_result *a, const struct tcp_result *b)
{
	for (int k = 0; k < TCPAGG_WORST_KINDS; k++) {
		const struct tcpagg_worst *wa = &a->worst[k], *wb = &b->worst[k];
		bool moving = k == TCPAGG_WORST_SYN_RECV || k == TCPAGG_WORST_IDLE ||
			      k == TCPAGG_WORST_CLOSE_WAIT || k == TCPAGG_WORST_RETRANSMITTING;
		struct tcpagg_connection ca[TCPAGG_WORST_LIMIT], cb[TCPAGG_WORST_LIMIT];

		if (wa->total != wb->total || wa->n != wb->n || (moving && wa->total > wa->n))
			return differ(name, tcpagg_worst_name((unsigned)k));
		memcpy(ca, wa->top, wa->n * sizeof(ca[0]));
		memcpy(cb, wb->top, wb->n * sizeof(cb[0]));
		if (moving) {
			qsort(ca, wa->n, sizeof(ca[0]), compare_connections);
			qsort(cb, wb->n, sizeof(cb[0]), compare_connections);
		}
		for (unsigned i = 0; i < wa->n; i++)
			if (!same_connection(&ca[i], &cb[i], moving))
				return differ(name, tcpagg_worst_name((unsigned)k));
	}
	return 0;
}

/* Histogram sums and the idle buckets move with time, the sums of tcp_info's retransmitted
 * and lost segments with the retransmit timer (SYN_SENT, FIN_WAIT1); the counts do not. */
static bool same_slot(const struct tcpagg_slot *a, const struct tcpagg_slot *b)
{
	return !memcmp(a->states, b->states, sizeof(a->states)) &&
	       !memcmp(a->timers, b->timers, sizeof(a->timers)) &&
	       a->retransmitting == b->retransmitting && a->keepalive == b->keepalive &&
	       a->unprotected_idle == b->unprotected_idle && a->idle.count == b->idle.count &&
	       a->rtt.count == b->rtt.count && a->unacked_segments == b->unacked_segments &&
	       !memcmp(a->rtt.buckets, b->rtt.buckets, sizeof(a->rtt.buckets));
}

static bool same_listener(const struct tcpagg_listener *a, const struct tcpagg_listener *b)
{
	if (a->sockets != b->sockets || a->queue_length != b->queue_length ||
	    a->queue_max != b->queue_max || a->n_addresses != b->n_addresses ||
	    a->more_addresses != b->more_addresses)
		return false;
	for (unsigned i = 0; i < a->n_addresses; i++)
		if (a->addresses[i].family != b->addresses[i].family ||
		    memcmp(a->addresses[i].addr, b->addresses[i].addr, 16) != 0 ||
		    a->addresses[i].inode != b->addresses[i].inode)
			return false;
	return true;
}

static int same_aggregate(const char *name, const struct tcp_result *a, const struct tcp_result *b)
{
	if (memcmp(a->sockets_scanned, b->sockets_scanned, sizeof(a->sockets_scanned)) != 0)
		return differ(name, "sockets_scanned");
	if (memcmp(a->folded, b->folded, sizeof(a->folded)) != 0)
		return differ(name, "folded");
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		if (a->n_ports[r] != b->n_ports[r])
			return differ(name, "the ports");
		for (unsigned i = 0; i < a->n_ports[r]; i++) {
			const struct tcp_port *pa = &a->ports[r][i], *pb = &b->ports[r][i];

			if (pa->port != pb->port || pa->other != pb->other || pa->expected != pb->expected ||
			    !same_slot(&pa->counts, &pb->counts))
				return differ(name, "a port's counts");
		}
	}
	for (unsigned i = 0; i < a->n_ports[CLASSIFY_SERVER]; i++)
		if (!same_listener(&a->listeners[i], &b->listeners[i]))
			return differ(name, "a listener");
	return same_worst(name, a, b);
}

static struct tcpagg *new_agg(void)
{
	static const struct classify_config config = { .max_ports = 250 };
	struct tcpagg *agg = malloc(sizeof(*agg));

	if (!agg || tcpagg_init(agg, &config, 300 * 1000) < 0) {
		fprintf(stderr, "walk_compare: out of memory\n");
		exit(1);
	}
	return agg;
}

/* The walk's aggregate of `family` (0: both) against the v2 dumps'. 0, 1, or -errno. */
static int compare_aggregates(const char *name, int family)
{
	struct tcpagg *walk = new_agg(), *dumps = new_agg();
	struct tcp_result *a = NULL, *b = NULL;
	int ret;

	dumps->two_dumps = true;
	ret = tcpagg_scan(walk, live_dump, &family);
	if (ret == 0)
		ret = tcpagg_scan(dumps, live_dump, &family);
	if (ret == 0 && walk->two_dumps)
		ret = walk->one_walk_refused; /* the kernel refused the walk: nothing to compare */
	if (ret == 0)
		ret = tcpagg_result(walk, true, &a);
	if (ret == 0)
		ret = tcpagg_result(dumps, true, &b);
	if (ret == 0) {
		ret = same_aggregate(name, a, b);
		if (ret == 0)
			printf("aggregate %s: sockets ipv4=%llu ipv6=%llu ports server=%u client=%u equal\n",
			       name, (unsigned long long)a->sockets_scanned[TCPAGG_IPV4],
			       (unsigned long long)a->sockets_scanned[TCPAGG_IPV6],
			       a->n_ports[CLASSIFY_SERVER], a->n_ports[CLASSIFY_CLIENT]);
	} else {
		fprintf(stderr, "walk_compare: aggregate %s: %s\n", name, strerror(-ret));
	}
	tcpagg_result_free(a);
	tcpagg_result_free(b);
	tcpagg_fini(walk);
	tcpagg_fini(dumps);
	free(walk);
	free(dumps);
	return ret;
}

static int records_main(void)
{
	static const struct {
		int family;
		const char *name;
	} families[] = { { AF_INET, "ipv4" }, { AF_INET6, "ipv6" } };
	int failed = 0, ret = sockdiag_open(&sd);

	if (ret < 0) {
		fprintf(stderr, "walk_compare: NETLINK_SOCK_DIAG: %s\n", strerror(-ret));
		return 1;
	}
	for (unsigned f = 0; f < 2; f++) {
		struct records walk = { .family = families[f].family }, dump = { .family = 0 };

		if (dump_into(SOCKDIAG_ONE_WALK, &walk) < 0 || dump_into(families[f].family, &dump) < 0)
			return 1;
		failed |= same_records(families[f].name, &walk, &dump);
		free(walk.r);
		free(dump.r);
		failed |= compare_aggregates(families[f].name, families[f].family) != 0;
	}
	failed |= compare_aggregates("both", 0) != 0;
	sockdiag_close(sd);
	return failed ? 1 : 0;
}

/* ---- the exporter's scan ---------------------------------------------------------------- */

static bool refuse_one_walk;

/* Each call opens its socket in the namespace of the calling thread (a worker inside the
 * target's, or the scanner in its own), as the production path's first scan does. */
static int production_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	static __thread char dump_buf[SOCKDIAG_RECV_BUFFER];
	struct sockdiag *s;
	int ret;

	(void)ctx;
	if (refuse_one_walk && family == SOCKDIAG_ONE_WALK)
		return -EINVAL; /* as sock_diag answers a request type it does not know */
	ret = sockdiag_open(&s);
	if (ret < 0)
		return ret;
	ret = sockdiag_dump(s, dump_buf, sizeof(dump_buf), family, fn, fn_ctx);
	sockdiag_close(s);
	return ret;
}

static struct flags flags;

static int metrics_main(int argc, char **argv)
{
	struct collectors_config config;
	struct collectors *c;
	struct snapshot *s;
	struct expfmt_buf out;
	char err[512];
	bool enabled[COLLECTORS_MAX];
	int ret = flags_parse(argc, argv, &flags, stderr, err, sizeof(err));

	if (ret != FLAGS_RUN) {
		fprintf(stderr, "walk_compare: %s\n", ret < 0 ? err : "nothing to do");
		return 2;
	}
	log_flags_apply(&flags.log);
	memset(&config, 0, sizeof(config));
	tcp_flags_apply(&flags.tcp, &config);
	netns_flags_apply(&flags.netns, &config);
	collectors_flags_apply(&flags.collectors, &config);
	config.tcp_dump = production_dump;
	memcpy(enabled, flags.collectors.enabled, sizeof(enabled));
	enabled[COLLECTOR_TCP_EVENTS] = false;
	config.events_enabled = false;
	ret = collectors_create(&c, enabled, &config);
	if (ret == 0)
		ret = snapshot_take(c, 1, &s);
	if (ret < 0) {
		fprintf(stderr, "walk_compare: scan: %s\n", strerror(-ret));
		return 1;
	}
	ret = expfmt_init(&out, 1 << 20);
	if (ret == 0)
		ret = render_metrics(s, &out);
	if (ret == 0)
		fwrite(out.data, 1, out.len, stdout);
	expfmt_fini(&out);
	snapshot_unref(s);
	collectors_destroy(c);
	return ret < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "records") == 0)
		return records_main();
	if (argc >= 3 && strcmp(argv[1], "metrics") == 0 &&
	    (strcmp(argv[2], "one-walk") == 0 || strcmp(argv[2], "two-dumps") == 0)) {
		refuse_one_walk = strcmp(argv[2], "two-dumps") == 0;
		argv[2] = argv[0]; /* flags_parse reads argv[1..] */
		return metrics_main(argc - 2, argv + 2);
	}
	fprintf(stderr, "usage: walk_compare records | walk_compare metrics one-walk|two-dumps "
			"[EXPORTER FLAGS...]\n");
	return 2;
}
