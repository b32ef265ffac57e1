/* test_events.c — the tcp.events collector without a kernel: crafted destroy messages
 * classified (every rule of event_classify.c), folded into counters (label sets that
 * persist, the cap, listeners given their label sets before their first close), the ring
 * of recent events (newest first, wrapping) and the listeners scans see go down and up. */
#include "../../collectors/events.h"
#include "replay.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- crafted messages ------------------------------------------------------------------- */

struct crafted {
	uint8_t family;
	uint16_t sport, dport;
	const char *saddr, *daddr; /* NULL: all zero */
	uint8_t retransmits, probes;
	uint32_t total_retrans, segs_in, segs_out;
	uint64_t bytes_acked, bytes_received;
	uint8_t options;
	uint32_t snd_wnd, rqueue, wqueue;
};

static void record_of(const struct crafted *c, struct sockdiag_record *r)
{
	memset(r, 0, sizeof(*r));
	r->family = c->family ? c->family : AF_INET;
	r->state = 7; /* CLOSE, as every destroy message */
	r->sport = c->sport;
	r->dport = c->dport;
	if (c->saddr)
		inet_pton(r->family, c->saddr, r->saddr);
	if (c->daddr)
		inet_pton(r->family, c->daddr, r->daddr);
	r->info_len = sizeof(r->info);
	r->info.tcpi_retransmits = c->retransmits;
	r->info.tcpi_probes = c->probes;
	r->info.tcpi_total_retrans = c->total_retrans;
	r->info.tcpi_segs_in = c->segs_in;
	r->info.tcpi_segs_out = c->segs_out;
	r->info.tcpi_bytes_acked = c->bytes_acked;
	r->info.tcpi_bytes_received = c->bytes_received;
	r->info.tcpi_options = c->options;
	r->info.tcpi_snd_wnd = c->snd_wnd;
	r->rqueue = c->rqueue;
	r->wqueue = c->wqueue;
}

/* One destroy message as the kernel sends it: nlmsghdr, inet_diag_msg, INET_DIAG_INFO. */
static size_t message_of(const struct crafted *c, void *buf)
{
	struct sockdiag_record r;
	struct nlmsghdr *nlh = buf;
	struct inet_diag_msg *msg = NLMSG_DATA(nlh);
	struct nlattr *attr = (struct nlattr *)((char *)msg + NLMSG_ALIGN(sizeof(*msg)));

	record_of(c, &r);
	memset(buf, 0, 512);
	msg->idiag_family = r.family;
	msg->idiag_state = r.state;
	msg->id.idiag_sport = htons(r.sport);
	msg->id.idiag_dport = htons(r.dport);
	msg->idiag_rqueue = r.rqueue;
	msg->idiag_wqueue = r.wqueue;
	memcpy(msg->id.idiag_src, r.saddr, 16);
	memcpy(msg->id.idiag_dst, r.daddr, 16);
	attr->nla_type = INET_DIAG_INFO;
	attr->nla_len = (uint16_t)(NLA_HDRLEN + sizeof(r.info));
	memcpy((char *)attr + NLA_HDRLEN, &r.info, sizeof(r.info));
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_len = (uint32_t)(NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*msg))) + NLA_ALIGN(attr->nla_len));
	return nlh->nlmsg_len;
}

static struct events_view view;
static uint8_t expected[CLASSIFY_PORT_LIMIT / 8], client_ports[CLASSIFY_PORT_LIMIT / 8];

static void listen_on(struct events_view *v, uint16_t port, const char *process)
{
	v->listening[port >> 3] |= (uint8_t)(1u << (port & 7));
	v->listeners[v->n_listeners].port = port;
	strcpy(v->listeners[v->n_listeners].process, process);
	v->n_listeners++;
}

static void view_setup(void)
{
	memset(expected, 0, sizeof(expected));
	memset(client_ports, 0, sizeof(client_ports));
	expected[1202 >> 3] |= 1u << (1202 & 7);
	client_ports[40100 >> 3] |= 1u << (40100 & 7);
	ck_assert_int_eq(events_view_init(&view, 16, 2), 0);
	events_view_fill(&view, NULL, expected, client_ports);
	listen_on(&view, 3720, "softswitch");
	listen_on(&view, 41000, "app"); /* a listener inside the ephemeral range */
}

static void view_teardown(void)
{
	events_view_fini(&view);
}

static void classify(const struct crafted *c, struct events_class *out)
{
	struct sockdiag_record r;

	record_of(c, &r);
	events_classify(&view, &r, out);
}

static void assert_class(const struct events_class *c, enum events_kind kind,
			 enum events_outcome outcome, enum classify_role role, bool other,
			 uint16_t port)
{
	ck_assert_int_eq(c->kind, kind);
	if (kind == EVENTS_KIND_CLOSE)
		ck_assert_str_eq(events_outcome_names[c->outcome], events_outcome_names[outcome]);
	ck_assert_int_eq(c->role, role);
	ck_assert_int_eq(c->other, other);
	ck_assert_uint_eq(c->port, port);
}

struct fold_one {
	const struct events_view *view;
	unsigned n;
	struct events_class c;
};

static int fold_one(const struct sockdiag_record *r, void *arg)
{
	struct fold_one *one = arg;

	events_classify(one->view, r, &one->c);
	one->n++;
	return 0;
}

static const char *class_name(const struct events_class *c)
{
	return c->kind == EVENTS_KIND_CLOSE ? events_outcome_names[c->outcome] : events_kind_names[c->kind];
}

/* ---- classification --------------------------------------------------------------------- */

START_TEST(normal_close_server_and_client)
{
	struct events_class c;

	/* The server end of a connection to a listening port. */
	classify(&(struct crafted){ .sport = 3720, .dport = 50000, .daddr = "198.18.0.2",
				    .segs_in = 5, .segs_out = 4, .bytes_acked = 101,
				    .bytes_received = 12 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_SERVER, false, 3720);
	/* Its client end, from an ephemeral port to a well-known one. */
	classify(&(struct crafted){ .sport = 50000, .dport = 5432, .daddr = "198.18.0.3",
				    .segs_in = 4, .bytes_acked = 12, .bytes_received = 101 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_CLIENT, false, 5432);
	/* A listener inside the ephemeral range is still a server's port. */
	classify(&(struct crafted){ .sport = 41000, .dport = 50001, .daddr = "198.18.0.2",
				    .segs_in = 3, .bytes_acked = 1 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_SERVER, false, 41000);
	/* Ephemeral to ephemeral: "other", unless the remote port is in --client-ports. */
	classify(&(struct crafted){ .sport = 50002, .dport = 45000, .daddr = "198.18.0.2",
				    .segs_in = 3, .bytes_acked = 1 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_CLIENT, true, 0);
	classify(&(struct crafted){ .sport = 50002, .dport = 40100, .daddr = "198.18.0.2",
				    .segs_in = 3, .bytes_acked = 1 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_CLIENT, false, 40100);
}
END_TEST

START_TEST(failed_connects)
{
	struct events_class c;

	/* Refused: nothing acknowledged or received, one segment (the reset) in. */
	classify(&(struct crafted){ .sport = 50010, .dport = 8080, .daddr = "198.18.0.2",
				    .segs_in = 1, .segs_out = 1 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_CONNECT_REFUSED, CLASSIFY_CLIENT, false, 8080);
	/* Timed out: no segment ever came back; the SYN was retransmitted. */
	classify(&(struct crafted){ .sport = 50011, .dport = 8080, .daddr = "198.18.0.2",
				    .retransmits = 2, .total_retrans = 2, .segs_out = 3 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_CONNECT_TIMEOUT, CLASSIFY_CLIENT, false, 8080);
	/* A blocking connect that failed was disconnected first: remote port 0, address kept. */
	classify(&(struct crafted){ .sport = 50012, .dport = 0, .daddr = "198.18.0.2", .wqueue = 3 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_DISCONNECTED, CLASSIFY_CLIENT, true, 0);
	/* ... whose SYN retransmissions survive the disconnect when it timed out. */
	classify(&(struct crafted){ .sport = 50013, .dport = 0, .daddr = "198.18.0.2", .wqueue = 3,
				    .retransmits = 5 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_CONNECT_TIMEOUT, CLASSIFY_CLIENT, true, 0);
	/* A server's end that never sent data has nothing acknowledged, but options. */
	classify(&(struct crafted){ .sport = 3720, .dport = 50014, .daddr = "198.18.0.2",
				    .segs_in = 4, .options = 7 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_SERVER, false, 3720);
}
END_TEST

START_TEST(kernel_aborts)
{
	struct events_class c;

	classify(&(struct crafted){ .sport = 50020, .dport = 5432, .daddr = "198.18.0.2",
				    .retransmits = 3, .total_retrans = 4, .segs_in = 3,
				    .bytes_acked = 1 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_RETRANSMIT_TIMEOUT, CLASSIFY_CLIENT, false, 5432);
	classify(&(struct crafted){ .sport = 3720, .dport = 50021, .daddr = "198.18.0.2",
				    .probes = 2, .segs_in = 3, .bytes_acked = 1 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_KEEPALIVE_TIMEOUT, CLASSIFY_SERVER, false, 3720);
	/* A shut window probed until the kernel gave up: probes out, nothing acked waiting. */
	classify(&(struct crafted){ .sport = 50023, .dport = 5432, .daddr = "198.18.0.2",
				    .probes = 3, .segs_in = 14, .bytes_acked = 127481, .options = 7,
				    .wqueue = 713864 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_ZERO_WINDOW_TIMEOUT, CLASSIFY_CLIENT, false, 5432);
	/* Closed with more than the peer's FIN unread: the kernel sent a reset. */
	classify(&(struct crafted){ .sport = 3720, .dport = 50024, .daddr = "198.18.0.2",
				    .segs_in = 3, .options = 7, .rqueue = 1000, .snd_wnd = 64512 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_CLOSED_UNREAD, CLASSIFY_SERVER, false, 3720);
	classify(&(struct crafted){ .sport = 3720, .dport = 50025, .daddr = "198.18.0.2",
				    .segs_in = 3, .options = 7, .rqueue = 1, .snd_wnd = 64512 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_SERVER, false, 3720);
	/* Retransmissions that ended (retransmits back to 0) are a normal close. */
	classify(&(struct crafted){ .sport = 3720, .dport = 50022, .daddr = "198.18.0.2",
				    .total_retrans = 7, .segs_in = 9, .bytes_acked = 500 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_NORMAL, CLASSIFY_SERVER, false, 3720);
}
END_TEST

START_TEST(listeners_and_unconnected)
{
	struct events_class c;

	classify(&(struct crafted){ .sport = 3720, .dport = 0 }, &c);
	assert_class(&c, EVENTS_KIND_LISTENER_CLOSED, 0, CLASSIFY_SERVER, false, 3720);
	classify(&(struct crafted){ .family = AF_INET6, .sport = 41000, .dport = 0 }, &c);
	assert_class(&c, EVENTS_KIND_LISTENER_CLOSED, 0, CLASSIFY_SERVER, false, 41000);
	/* Never bound, never connected. */
	classify(&(struct crafted){ .sport = 0, .dport = 0 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_UNCONNECTED, CLASSIFY_CLIENT, true, 0);
	/* Bound to an ephemeral port (or listening there between two scans): not a listener. */
	classify(&(struct crafted){ .sport = 38371, .dport = 0 }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_UNCONNECTED, CLASSIFY_CLIENT, true, 0);
	/* A server's port that listened only between two scans (a crash loop) is one. */
	classify(&(struct crafted){ .sport = 8080, .dport = 0 }, &c);
	assert_class(&c, EVENTS_KIND_LISTENER_CLOSED, 0, CLASSIFY_SERVER, false, 8080);
	/* A server end reset with SO_LINGER 0 keeps its local port: the listener's label set. */
	classify(&(struct crafted){ .sport = 3720, .dport = 0, .daddr = "198.18.0.2" }, &c);
	assert_class(&c, EVENTS_KIND_CLOSE, EVENTS_DISCONNECTED, CLASSIFY_SERVER, false, 3720);
}
END_TEST

START_TEST(owners)
{
	struct events_class c;
	struct sockdiag_record r;

	record_of(&(struct crafted){ .sport = 3720, .dport = 50030, .daddr = "198.18.0.2",
				     .probes = 1, .segs_in = 2, .bytes_acked = 1 }, &r);
	events_classify(&view, &r, &c);
	ck_assert_str_eq(events_owner_of(&view, &r, &c), "softswitch");
	/* A client connection: known only when the last scan listed it among the worst. */
	record_of(&(struct crafted){ .sport = 50031, .dport = 5432, .saddr = "198.18.0.1",
				     .daddr = "198.18.0.2", .retransmits = 1, .segs_in = 2,
				     .bytes_acked = 1 }, &r);
	events_classify(&view, &r, &c);
	ck_assert_ptr_null(events_owner_of(&view, &r, &c));
	view.owners[0] = (struct events_owner){ .family = AF_INET, .sport = 50031, .dport = 5432 };
	memcpy(view.owners[0].saddr, r.saddr, 16);
	memcpy(view.owners[0].daddr, r.daddr, 16);
	strcpy(view.owners[0].process, "psql");
	view.n_owners = 1;
	ck_assert_str_eq(events_owner_of(&view, &r, &c), "psql");
}
END_TEST

/* ---- counters and the ring -------------------------------------------------------------- */

static struct events *make_events(unsigned max_ports, unsigned recent)
{
	static const uint16_t listen_ports[] = { 1202 };
	struct events_config config = { .max_ports = max_ports, .worst_max = 2, .recent = recent,
					.receive_buffer = 65536, .listen_ports = listen_ports,
					.n_listen_ports = 1 };
	struct events *ev;

	ck_assert_int_eq(events_create(&ev, &config), 0);
	return ev;
}

static void feed(struct events *ev, struct events_source *src, const struct crafted *c)
{
	char buf[512] __attribute__((aligned(8)));
	size_t len = message_of(c, buf);

	ck_assert_int_eq(events_source_feed(ev, src, buf, len), 0);
}

static const struct events_port *find_port(const struct events_result *r, enum classify_role role,
					   bool other, uint16_t port)
{
	for (unsigned i = 0; i < r->n_ports[role]; i++)
		if (r->ports[role][i].other == other && (other || r->ports[role][i].port == port))
			return &r->ports[role][i];
	return NULL;
}

START_TEST(counters_persist_and_fold_at_the_cap)
{
	struct events *ev = make_events(2, 8);
	struct events_source *src;
	struct events_result r;
	const struct events_port *p;

	ck_assert_int_eq(events_source_open_replay(ev, "self", &src), 0);
	for (uint16_t port = 5001; port <= 5003; port++) /* the third folds into "other" */
		feed(ev, src, &(struct crafted){ .sport = 50000, .dport = port, .daddr = "198.18.0.2",
						 .segs_in = 1, .segs_out = 2 });
	feed(ev, src, &(struct crafted){ .sport = 50000, .dport = 5001, .daddr = "198.18.0.2",
					 .segs_in = 3, .segs_out = 10, .total_retrans = 2,
					 .bytes_acked = 100, .bytes_received = 7 });
	ck_assert_int_eq(events_source_copy(ev, src, &r), 0);
	ck_assert_uint_eq(r.events_total, 4);
	ck_assert_uint_eq(r.n_ports[CLASSIFY_CLIENT], 3); /* 5001, 5002, other */
	ck_assert_uint_eq(r.folded[CLASSIFY_CLIENT], 1);
	p = find_port(&r, CLASSIFY_CLIENT, false, 5001);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->counts.closed[EVENTS_CONNECT_REFUSED], 1);
	ck_assert_uint_eq(p->counts.closed[EVENTS_NORMAL], 1);
	ck_assert_uint_eq(p->counts.segs_out, 12);
	ck_assert_uint_eq(p->counts.retrans_segs, 2);
	ck_assert_uint_eq(p->counts.bytes_acked, 100);
	p = find_port(&r, CLASSIFY_CLIENT, true, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->counts.closed[EVENTS_CONNECT_REFUSED], 1);
	ck_assert(r.ports[CLASSIFY_CLIENT][2].other); /* "other" last */
	ck_assert_uint_lt(r.ports[CLASSIFY_CLIENT][0].port, r.ports[CLASSIFY_CLIENT][1].port);
	events_result_free(&r);
	/* A copy later still has every label set: counters never go away. */
	ck_assert_int_eq(events_source_copy(ev, src, &r), 0);
	ck_assert_uint_eq(r.n_ports[CLASSIFY_CLIENT], 3);
	events_result_free(&r);
	events_source_close(src);
	events_destroy(ev);
}
END_TEST

START_TEST(ring_newest_first_and_wrapping)
{
	struct events *ev = make_events(16, 3);
	struct events_source *src;
	struct events_recent recent;

	ck_assert_int_eq(events_source_open_replay(ev, "pod-a", &src), 0);
	/* Normal closes are not recorded; four failures into a ring of three. */
	feed(ev, src, &(struct crafted){ .sport = 50000, .dport = 80, .daddr = "198.18.0.2",
					 .segs_in = 3, .bytes_acked = 1 });
	for (uint16_t port = 81; port <= 84; port++)
		feed(ev, src, &(struct crafted){ .sport = 50000, .dport = port, .daddr = "198.18.0.9",
						 .segs_in = 1 });
	ck_assert_int_eq(events_recent_copy(ev, &recent), 0);
	ck_assert_uint_eq(recent.total, 4);
	ck_assert_uint_eq(recent.n, 3);
	ck_assert_uint_eq(recent.entries[0].dport, 84);
	ck_assert_uint_eq(recent.entries[2].dport, 82);
	ck_assert_str_eq(recent.entries[0].netns, "pod-a");
	ck_assert_int_eq(recent.entries[0].outcome, EVENTS_CONNECT_REFUSED);
	ck_assert_int_eq(recent.entries[0].daddr[0], 198);
	events_recent_free(&recent);
	events_source_close(src);
	events_destroy(ev);
}
END_TEST

/* A tcp_result with listeners on `ports` (sorted), as a scan would publish it. */
struct fake_scan {
	struct tcp_result tcp;
	struct tcp_port ports[4];
	struct tcpagg_listener listeners[4];
};

static void fake_scan(struct fake_scan *f, const uint16_t *ports, unsigned n)
{
	memset(f, 0, sizeof(*f));
	f->tcp.has_sockets = true;
	f->tcp.eph_low = 32768;
	f->tcp.eph_high = 60999;
	f->tcp.n_ports[CLASSIFY_SERVER] = n;
	f->tcp.ports[CLASSIFY_SERVER] = f->ports;
	f->tcp.listeners = f->listeners;
	for (unsigned i = 0; i < n; i++) {
		f->ports[i].port = ports[i];
		f->listeners[i].sockets = 1;
		f->listeners[i].n_addresses = 1;
		strcpy(f->listeners[i].addresses[0].process, "svc");
	}
}

START_TEST(listeners_down_and_up)
{
	struct events *ev = make_events(16, 8);
	struct events_source *src;
	struct events_result r;
	struct events_recent recent;
	struct fake_scan scan;
	const uint16_t both[] = { 1720, 3720 }, one[] = { 1720 };

	ck_assert_int_eq(events_source_open_replay(ev, "self", &src), 0);
	fake_scan(&scan, both, 2);
	events_source_update(ev, src, &scan.tcp, true, "self");
	/* Listening ports have label sets (at 0) before any close. */
	ck_assert_int_eq(events_source_copy(ev, src, &r), 0);
	ck_assert_ptr_nonnull(find_port(&r, CLASSIFY_SERVER, false, 3720));
	events_result_free(&r);
	/* The listener is freed between two scans: a listener close under its port. A scan
	 * copies the counters before it updates the view (collectors.c): the copy does not
	 * know yet what this scan saw go down, events_source_down brings it up to date. */
	feed(ev, src, &(struct crafted){ .sport = 3720 });
	fake_scan(&scan, one, 1);
	ck_assert_int_eq(events_source_copy(ev, src, &r), 0);
	ck_assert_uint_eq(r.n_down, 0);
	events_source_update(ev, src, &scan.tcp, true, "self");
	events_source_down(ev, src, &r);
	ck_assert_uint_eq(r.n_down, 1);
	ck_assert_uint_eq(r.down[0].port, 3720);
	ck_assert_double_ge(r.down[0].since, (double)time(NULL) - 60); /* when the scan saw it */
	events_result_free(&r);
	ck_assert_int_eq(events_source_copy(ev, src, &r), 0);
	ck_assert_uint_eq(find_port(&r, CLASSIFY_SERVER, false, 3720)->counts.listener_closed, 1);
	ck_assert_uint_eq(r.n_down, 1);
	ck_assert_uint_eq(r.down[0].port, 3720);
	events_result_free(&r);
	/* A failed scan changes nothing; the next good one sees it back. */
	events_source_update(ev, src, NULL, true, "self");
	fake_scan(&scan, both, 2);
	events_source_update(ev, src, &scan.tcp, true, "self");
	ck_assert_int_eq(events_source_copy(ev, src, &r), 0);
	ck_assert_uint_eq(r.n_down, 0);
	events_result_free(&r);
	ck_assert_int_eq(events_recent_copy(ev, &recent), 0);
	ck_assert_uint_eq(recent.n, 3); /* closed, down, up: newest first */
	ck_assert_int_eq(recent.entries[0].kind, EVENTS_KIND_LISTENER_UP);
	ck_assert_int_eq(recent.entries[1].kind, EVENTS_KIND_LISTENER_DOWN);
	ck_assert_int_eq(recent.entries[2].kind, EVENTS_KIND_LISTENER_CLOSED);
	ck_assert_str_eq(recent.entries[1].process, "svc");
	ck_assert_str_eq(recent.entries[2].process, "svc");
	events_recent_free(&recent);
	events_source_close(src);
	events_destroy(ev);
}
END_TEST

START_TEST(malformed_datagrams_are_counted_not_folded)
{
	struct events *ev = make_events(16, 8);
	struct events_source *src;
	struct events_result r;
	char buf[512] __attribute__((aligned(8)));
	size_t len;

	ck_assert_int_eq(events_source_open_replay(ev, "self", &src), 0);
	len = message_of(&(struct crafted){ .sport = 50000, .dport = 80, .daddr = "198.18.0.2",
					    .segs_in = 1 }, buf);
	events_source_feed(ev, src, buf, len - 8); /* cut short */
	((struct nlmsghdr *)buf)->nlmsg_len = 0x80000000u;
	events_source_feed(ev, src, buf, len);
	ck_assert_int_eq(events_source_copy(ev, src, &r), 0);
	ck_assert_uint_eq(r.unparsed_total, 2);
	ck_assert_uint_eq(r.events_total, 0);
	events_result_free(&r);
	events_source_close(src);
	events_destroy(ev);
}
END_TEST

/* ---- every recorded ending (tests/data/events, docs/destroy-events.md) ---------------- */

/* What each recorded message must come out as. The server namespace listened on 85-99 at
 * the last scan; the client namespace on nothing. "listener_closed" is the kind, the rest
 * outcomes; port 0 is "other". */
static const struct {
	const char *file;
	const char *what;
	enum classify_role role;
	uint16_t port;
} recorded[] = {
	{ "a.client.0000", "connect_refused", CLASSIFY_CLIENT, 81 },
	{ "b.client.0000", "connect_timeout", CLASSIFY_CLIENT, 82 },
	{ "c.client.0000", "disconnected", CLASSIFY_CLIENT, 0 },
	{ "d.client.0000", "connect_timeout", CLASSIFY_CLIENT, 0 },
	{ "e.client.0000", "retransmit_timeout", CLASSIFY_CLIENT, 85 },
	{ "e.server.0000", "closed_unread", CLASSIFY_SERVER, 85 },
	{ "e.server.0001", "listener_closed", CLASSIFY_SERVER, 85 },
	{ "e_uto.client.0000", "retransmit_timeout", CLASSIFY_CLIENT, 86 },
	{ "e_uto.server.0000", "closed_unread", CLASSIFY_SERVER, 86 },
	{ "e_uto.server.0001", "listener_closed", CLASSIFY_SERVER, 86 },
	{ "f.client.0000", "keepalive_timeout", CLASSIFY_CLIENT, 87 },
	{ "f.server.0000", "closed_unread", CLASSIFY_SERVER, 87 },
	{ "f.server.0001", "listener_closed", CLASSIFY_SERVER, 87 },
	{ "g_cc_data.client.0000", "normal", CLASSIFY_CLIENT, 88 },
	{ "g_cc_data.server.0000", "normal", CLASSIFY_SERVER, 88 },
	{ "g_cc_data.server.0001", "listener_closed", CLASSIFY_SERVER, 88 },
	{ "g_cc_nodata.client.0000", "normal", CLASSIFY_CLIENT, 88 },
	{ "g_cc_nodata.server.0000", "normal", CLASSIFY_SERVER, 88 },
	{ "g_cc_nodata.server.0001", "listener_closed", CLASSIFY_SERVER, 88 },
	{ "g_retr.client.0000", "normal", CLASSIFY_CLIENT, 90 },
	{ "g_retr.server.0000", "normal", CLASSIFY_SERVER, 90 },
	{ "g_retr.server.0001", "listener_closed", CLASSIFY_SERVER, 90 },
	{ "g_sc_data.client.0000", "normal", CLASSIFY_CLIENT, 89 },
	{ "g_sc_data.server.0000", "normal", CLASSIFY_SERVER, 89 },
	{ "g_sc_data.server.0001", "listener_closed", CLASSIFY_SERVER, 89 },
	{ "g_sc_nodata.client.0000", "normal", CLASSIFY_CLIENT, 89 },
	{ "g_sc_nodata.server.0000", "normal", CLASSIFY_SERVER, 89 },
	{ "g_sc_nodata.server.0001", "listener_closed", CLASSIFY_SERVER, 89 },
	{ "h_mapped.client.0000", "normal", CLASSIFY_CLIENT, 92 },
	{ "h_mapped.server.0000", "normal", CLASSIFY_SERVER, 92 },
	{ "h_mapped.server.0001", "listener_closed", CLASSIFY_SERVER, 92 },
	{ "h_queued.client.0000", "normal", CLASSIFY_CLIENT, 91 },
	{ "h_queued.client.0001", "normal", CLASSIFY_CLIENT, 91 },
	{ "h_queued.server.0000", "disconnected", CLASSIFY_SERVER, 91 },
	{ "h_queued.server.0001", "disconnected", CLASSIFY_SERVER, 91 },
	{ "h_queued.server.0002", "listener_closed", CLASSIFY_SERVER, 91 },
	{ "h_queued.server.0003", "listener_closed", CLASSIFY_SERVER, 99 },
	{ "h_queued.server.0004", "listener_closed", CLASSIFY_SERVER, 99 },
	{ "i_client.client.0000", "disconnected", CLASSIFY_CLIENT, 0 },
	{ "i_client.server.0000", "normal", CLASSIFY_SERVER, 94 },
	{ "i_client.server.0001", "listener_closed", CLASSIFY_SERVER, 94 },
	{ "i_server.client.0000", "normal", CLASSIFY_CLIENT, 95 },
	{ "i_server.server.0000", "disconnected", CLASSIFY_SERVER, 95 },
	{ "i_server.server.0001", "listener_closed", CLASSIFY_SERVER, 95 },
	{ "j.client.0000", "normal", CLASSIFY_CLIENT, 95 },
	{ "j.server.0000", "disconnected", CLASSIFY_SERVER, 95 },
	{ "j.server.0001", "listener_closed", CLASSIFY_SERVER, 95 },
	{ "k.client.0000", "unconnected", CLASSIFY_CLIENT, 0 },
	{ "k.client.0001", "unconnected", CLASSIFY_CLIENT, 0 },
	{ "k.client.0002", "unconnected", CLASSIFY_CLIENT, 0 },
	{ "k.client.0003", "unconnected", CLASSIFY_CLIENT, 0 },
	{ "l.client.0000", "closed_unread", CLASSIFY_CLIENT, 96 },
	{ "l.server.0000", "normal", CLASSIFY_SERVER, 96 },
	{ "l.server.0001", "listener_closed", CLASSIFY_SERVER, 96 },
	{ "m.client.0000", "zero_window_timeout", CLASSIFY_CLIENT, 97 },
	{ "m.server.0000", "closed_unread", CLASSIFY_SERVER, 97 },
	{ "m.server.0001", "listener_closed", CLASSIFY_SERVER, 97 },
	{ "n_a.client.0000", "connect_refused", CLASSIFY_CLIENT, 81 },
	{ "n_e.client.0000", "retransmit_timeout", CLASSIFY_CLIENT, 93 },
	{ "n_e.server.0000", "closed_unread", CLASSIFY_SERVER, 93 },
	{ "n_e.server.0001", "listener_closed", CLASSIFY_SERVER, 93 },
	{ "n_h_queued.client.0000", "normal", CLASSIFY_CLIENT, 91 },
	{ "n_h_queued.client.0001", "normal", CLASSIFY_CLIENT, 91 },
	{ "n_h_queued.server.0000", "disconnected", CLASSIFY_SERVER, 91 },
	{ "n_h_queued.server.0001", "disconnected", CLASSIFY_SERVER, 91 },
	{ "n_h_queued.server.0002", "listener_closed", CLASSIFY_SERVER, 91 },
	{ "n_h_queued.server.0003", "listener_closed", CLASSIFY_SERVER, 99 },
	{ "n_h_queued.server.0004", "listener_closed", CLASSIFY_SERVER, 99 },
	{ "n_mapped.client.0000", "normal", CLASSIFY_CLIENT, 98 },
	{ "n_mapped.server.0000", "normal", CLASSIFY_SERVER, 98 },
	{ "n_mapped.server.0001", "listener_closed", CLASSIFY_SERVER, 98 },
};

START_TEST(recorded_endings)
{
	const char *file = recorded[_i].file;
	bool server_ns = strstr(file, ".server.") != NULL;
	char path[128], name[160];
	struct events_view v;
	size_t len;
	char *buf;
	struct fold_one one = { &v, 0, { 0 } };

	snprintf(name, sizeof(name), "events/%s.bin", file);
	snprintf(path, sizeof(path), "%s", unit_data_path(name));
	buf = replay_load_file(path, &len);
	ck_assert_msg(buf != NULL, "cannot read %s", path);
	ck_assert_int_eq(events_view_init(&v, 32, 2), 0);
	events_view_fill(&v, NULL, NULL, NULL);
	for (uint16_t port = 85; server_ns && port <= 99; port++)
		listen_on(&v, port, "");
	/* One datagram, one message, parsed as the thread parses it. */
	ck_assert_int_eq(sockdiag_parse(buf, len, 0, fold_one, &one), 0);
	ck_assert_uint_eq(one.n, 1);
	ck_assert_msg(strcmp(class_name(&one.c), recorded[_i].what) == 0, "%s: %s, want %s", file,
		      class_name(&one.c), recorded[_i].what);
	ck_assert_msg(one.c.role == recorded[_i].role, "%s: role %d", file, one.c.role);
	ck_assert_msg(one.c.other == (recorded[_i].port == 0) && one.c.port == recorded[_i].port,
		      "%s: port %u other %d, want %u", file, one.c.port, one.c.other,
		      recorded[_i].port);
	events_view_fini(&v);
	free(buf);
}
END_TEST

Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *c = tcase_create("classify");

	tcase_add_checked_fixture(c, view_setup, view_teardown);
	tcase_add_test(c, normal_close_server_and_client);
	tcase_add_test(c, failed_connects);
	tcase_add_test(c, kernel_aborts);
	tcase_add_test(c, listeners_and_unconnected);
	tcase_add_test(c, owners);
	tcase_add_loop_test(c, recorded_endings, 0, (int)(sizeof(recorded) / sizeof(recorded[0])));
	suite_add_tcase(s, c);
	c = tcase_create("counters");
	tcase_add_test(c, counters_persist_and_fold_at_the_cap);
	tcase_add_test(c, ring_newest_first_and_wrapping);
	tcase_add_test(c, listeners_down_and_up);
	tcase_add_test(c, malformed_datagrams_are_counted_not_folded);
	suite_add_tcase(s, c);
	return s;
}
