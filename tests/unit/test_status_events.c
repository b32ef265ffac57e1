/* test_status_events.c — the tcp.events parts of the status document (exporter/status_events.c)
 * and of the page (exporter/render_html_events.c), from a real snapshot: the collectors run as
 * in test_golden.c, with one recorded destroy message of every ending fed to the tcp.events
 * collector (replay.c). Every count in the document is checked against the exposition
 * render_metrics writes from the same snapshot, and the recent ring against the counters. */
#include "../../collectors/collectors.h"
#include "../../exporter/snapshot.h"
#include "../../exporter/status.h"
#include "replay.h"
#include "views.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_NUMBER 7

/* The helpers the views' tests share (views.c). */
#define take_snapshot() views_snapshot(SCAN_NUMBER)
#define get views_get
#define get_int views_int
#define get_str views_str
#define metrics_text views_metrics
#define render views_page

static void port_text(const json_t *o, char *out, size_t size)
{
	if (json_is_true(get(o, "other")))
		snprintf(out, size, "other");
	else
		snprintf(out, size, "%lld", get_int(o, "port"));
}

/* The recorded endings of replay.c that are kept in the ring (not normal, not unconnected,
 * or a listener closed), as (role, port, what). */
static const struct { const char *role, *port, *what; } ring_want[] = {
	{ "server", "85", "closed_unread" },	  { "server", "91", "disconnected" },
	{ "client", "81", "connect_refused" },	  { "client", "81", "connect_refused" },
	{ "client", "82", "connect_timeout" },	  { "client", "85", "retransmit_timeout" },
	{ "client", "87", "keepalive_timeout" },  { "client", "93", "retransmit_timeout" },
	{ "client", "97", "zero_window_timeout" }, { "client", "other", "connect_timeout" },
	{ "client", "other", "disconnected" },	  { "server", "85", "listener_closed" },
};
#define RING_WANT (sizeof(ring_want) / sizeof(ring_want[0]))

START_TEST(document_counts_agree_with_metrics)
{
	struct snapshot *s = take_snapshot();
	json_t *doc = status_document(s), *ns, *ev, *p, *totals;
	char *metrics = metrics_text(s);
	long long sum_closed[2] = { 0, 0 };
	unsigned checked = 0;
	size_t i;

	ck_assert_ptr_nonnull(doc);
	ns = json_array_get(get(doc, "namespaces"), 0);
	ev = get(ns, "events");
	ck_assert(json_is_object(ev));
	ck_assert_int_eq(get_int(ev, "events_total"), 16);
	ck_assert_ptr_nonnull(strstr(metrics, "\ntcp_health_exporter_events_total 16\n"));
	ck_assert_int_eq(get_int(ev, "lost_total"), 0);
	ck_assert_int_eq(get_int(ev, "unparsed_total"), 0);
	ck_assert(json_is_false(get(ev, "subscribed"))); /* a replayed source has no socket */
	ck_assert_uint_eq(json_array_size(get(ev, "listeners_down")), 0);
	/* Every (port, role, outcome) and the sums, as /metrics has them. */
	json_array_foreach(get(ev, "ports"), i, p) {
		const char *role = get_str(p, "role");
		const json_t *closed = get(p, "closed"), *v;
		const char *key;
		char port[8], labels[128];
		long long total = 0;

		port_text(p, port, sizeof(port));
		ck_assert_uint_eq(json_object_size(closed), EVENTS_OUTCOMES);
		json_object_foreach((json_t *)closed, key, v) {
			snprintf(labels, sizeof(labels), "port=\"%s\",role=\"%s\",outcome=\"%s\"", port, role, key);
			ck_assert_int_eq(json_integer_value(v),
					 (long long)unit_sample(metrics, "tcp_health_connections_closed_total", labels));
			total += json_integer_value(v);
			checked++;
		}
		ck_assert_int_eq(get_int(p, "closed_total"), total);
		ck_assert_int_eq(get_int(p, "not_normal_total"), total - get_int(closed, "normal"));
		sum_closed[strcmp(role, "server") == 0] += total;
		snprintf(labels, sizeof(labels), "port=\"%s\",role=\"%s\"", port, role);
		ck_assert_int_eq(get_int(p, "segments_sent_total"),
				 (long long)unit_sample(metrics, "tcp_health_closed_segments_sent_total", labels));
		ck_assert_int_eq(get_int(p, "segments_retransmitted_total"),
				 (long long)unit_sample(metrics, "tcp_health_closed_segments_retransmitted_total", labels));
		ck_assert_int_eq(get_int(p, "bytes_acked_total"),
				 (long long)unit_sample(metrics, "tcp_health_closed_bytes_acked_total", labels));
		ck_assert_int_eq(get_int(p, "bytes_received_total"),
				 (long long)unit_sample(metrics, "tcp_health_closed_bytes_received_total", labels));
		if (strcmp(role, "server") == 0) {
			snprintf(labels, sizeof(labels), "port=\"%s\"", port);
			ck_assert_int_eq(get_int(p, "listener_closed_total"),
					 (long long)unit_sample(metrics, "tcp_health_listener_closed_total", labels));
		} else {
			ck_assert(json_is_null(get(p, "listener_closed_total")));
		}
	}
	ck_assert_uint_ge(checked, 10 * EVENTS_OUTCOMES);
	/* The recorded endings: 16 messages, one a listener; 15 connections closed. */
	totals = get(ev, "totals");
	ck_assert_int_eq(get_int(get(totals, "server"), "closed_total"), sum_closed[1]);
	ck_assert_int_eq(get_int(get(totals, "client"), "closed_total"), sum_closed[0]);
	ck_assert_int_eq(sum_closed[0] + sum_closed[1], 15);
	ck_assert_int_eq(get_int(get(get(totals, "client"), "closed"), "connect_refused"), 2);
	ck_assert_int_eq(get_int(get(get(totals, "client"), "closed"), "retransmit_timeout"), 2);
	ck_assert_int_eq(get_int(get(totals, "server"), "listener_closed_total"), 1);
	ck_assert_int_eq(get_int(get(get(totals, "server"), "closed"), "normal"), 1);
	ck_assert_int_eq(get_int(get(ev, "folded"), "client"), 0);
	free(metrics);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

START_TEST(document_recent_ring)
{
	struct snapshot *s = take_snapshot();
	json_t *doc = status_document(s), *events, *e;
	bool seen[RING_WANT] = { false };
	double last = 1e300;
	size_t i;

	ck_assert_ptr_nonnull(doc);
	events = get(doc, "events");
	ck_assert(json_is_object(events));
	ck_assert_int_eq(get_int(events, "capacity"), 100);
	ck_assert_int_eq(get_int(events, "recorded_total"), (long long)RING_WANT);
	ck_assert_uint_eq(json_array_size(get(events, "recent")), RING_WANT);
	ck_assert(json_number_value(get(events, "since")) <= s->time);
	ck_assert_uint_eq(strlen(get_str(events, "since_utc")), 20);
	json_array_foreach(get(events, "recent"), i, e) {
		const char *kind = get_str(e, "kind");
		const char *what = strcmp(kind, "close") == 0 ? get_str(e, "outcome") : kind;
		char port[8];
		bool found = false;

		/* Newest first. */
		ck_assert(json_number_value(get(e, "time")) <= last);
		last = json_number_value(get(e, "time"));
		ck_assert_str_eq(get_str(e, "netns"), "self");
		port_text(e, port, sizeof(port));
		for (unsigned w = 0; w < RING_WANT && !found; w++) {
			if (seen[w] || strcmp(ring_want[w].role, get_str(e, "role")) != 0 ||
			    strcmp(ring_want[w].port, port) != 0 || strcmp(ring_want[w].what, what) != 0)
				continue;
			seen[w] = found = true;
		}
		ck_assert_msg(found, "unexpected recent entry %s %s %s", get_str(e, "role"), port, what);
		ck_assert(json_is_object(get(e, "local")));
		ck_assert(json_is_integer(get(e, "retransmits")));
		if (strcmp(kind, "listener_closed") == 0) {
			ck_assert(json_is_null(get(e, "outcome")));
			ck_assert(json_is_null(get(e, "remote")));
			ck_assert_int_eq(get_int(get(e, "local"), "port"), 85);
		} else {
			ck_assert_str_eq(kind, "close");
			ck_assert(json_is_object(get(e, "remote")));
			ck_assert(strcmp(get_str(e, "family"), "ipv4") == 0 || strcmp(get_str(e, "family"), "ipv6") == 0);
		}
		/* The kernel gave up on the retransmitting client 85 with segments retransmitted. */
		if (strcmp(what, "retransmit_timeout") == 0)
			ck_assert_int_ge(get_int(e, "total_retrans"), 1);
	}
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

/* A scan that saw 5060 go down 125 s before this one, and a hostile owner on the newest
 * recent entry: the page's tile, banner, "what happened" table and closes table. */
START_TEST(page_shows_events)
{
	struct snapshot *s = take_snapshot();
	struct target_result *t = &s->data.targets[0];
	const char hostile[] = "<i>'\"&x</i>";
	json_t *doc, *down;
	char *page, want[160];

	t->events.n_down = 1;
	t->events.down[0].port = 5060;
	t->events.down[0].since = s->time - 125;
	ck_assert_uint_ge(s->data.recent.n, 1);
	memcpy(s->data.recent.entries[0].process, hostile, sizeof(hostile));
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	down = get(get(json_array_get(get(doc, "namespaces"), 0), "events"), "listeners_down");
	ck_assert_uint_eq(json_array_size(down), 1);
	ck_assert_int_eq(get_int(json_array_get(down, 0), "port"), 5060);
	ck_assert_str_eq(get_str(json_array_get(get(get(doc, "events"), "recent"), 0), "process"), hostile);
	page = render(doc);

	/* "What happened since HH:MM", one row per entry, each with its kind and outcome. */
	ck_assert_uint_eq(unit_count(page, "<section id=\"events\""), 1);
	ck_assert_uint_eq(unit_count(page, "<h2>What happened since <time datetime=\""), 1);
	ck_assert_uint_eq(unit_count(page, "<tr data-kind=\""), RING_WANT);
	ck_assert_uint_eq(unit_count(page, "<tr data-kind=\"close\" data-outcome=\"connect_refused\" "
					   "data-role=\"client\" data-port=\"81\">"), 2);
	ck_assert_uint_eq(unit_count(page, "<tr data-kind=\"listener_closed\" data-outcome=\"\" "
					   "data-role=\"server\" data-port=\"85\">"), 1);
	ck_assert_uint_eq(unit_count(page, "data-outcome=\"retransmit_timeout\""), 2);
	ck_assert_uint_eq(unit_count(page, "Aborted: peer silent"), 2);
	/* The hostile owner, escaped, and nowhere raw. */
	ck_assert_uint_eq(unit_count(page, "<span class=\"proc\">&lt;i&gt;&#39;&quot;&amp;x&lt;/i&gt;</span>"), 1);
	ck_assert_ptr_null(strstr(page, hostile));
	ck_assert_ptr_null(strstr(page, "<i>"));

	/* 5060: down since, on its tile and in the namespace's banner, with how long ago. */
	snprintf(want, sizeof(want), "<span class=\"down-since\" data-port=\"5060\">5060 down since <time");
	ck_assert_uint_eq(unit_count(page, want), 2);
	ck_assert_uint_eq(unit_count(page, " UTC (2 min 5 s ago)</span>"), 2);
	ck_assert_uint_eq(unit_count(page, "<div class=\"banner bad\" id=\"listeners-down\">"), 1);

	/* The closes table: only label sets with a close, the refused connects highlighted. */
	ck_assert_uint_eq(unit_count(page, "<table class=\"closes\">"), 1);
	ck_assert_uint_eq(unit_count(page, "<td data-key=\"closed.connect_refused\" class=\"alert warning\">2</td>"), 1);
	ck_assert_uint_eq(unit_count(page, "<td data-key=\"closed.retransmit_timeout\" class=\"alert critical\">1</td>"), 2);
	ck_assert_uint_eq(unit_count(page, "<td data-key=\"listener_closed_total\" class=\"alert critical\">1</td>"), 1);
	ck_assert_ptr_nonnull(strstr(page, "data-key=\"events_total\">16</span>"));
	/* "unconnected" counted 2 (under other): its column is there; the page has every
	 * outcome that counted something and no other (all nine did here but none). */
	ck_assert_ptr_nonnull(strstr(page, "<th>unconnected</th>"));
	free(page);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

/* The exporter's own port: marked in the document, left out of the page's closes table
 * (--web.status.exclude-self, the default), shown with --no-web.status.exclude-self. */
START_TEST(page_hides_exporter_port)
{
	struct snapshot *s = take_snapshot();
	json_t *doc, *p;
	char *page;
	size_t i;
	unsigned marked = 0;
	const char row[] = "<tr data-role=\"client\" data-port=\"81\">";

	s->self.n_self_ports = 1;
	s->self.self_ports[0] = 81;
	s->self.status_exclude_self = true;
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	json_array_foreach(get(get(json_array_get(get(doc, "namespaces"), 0), "events"), "ports"), i, p) {
		bool want = !json_is_true(get(p, "other")) && get_int(p, "port") == 81;

		ck_assert_int_eq(json_is_true(get(p, "exporter_port")), want);
		marked += want;
	}
	ck_assert_uint_eq(marked, 1); /* client 81, the refused connects (no server 81) */
	page = render(doc);
	ck_assert_uint_eq(unit_count(page, row), 0);
	free(page);
	json_decref(doc);
	s->self.status_exclude_self = false;
	doc = status_document(s);
	page = render(doc);
	ck_assert_uint_eq(unit_count(page, row), 1);
	free(page);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

/* Without the collector's data: null in the document, nothing on the page. */
START_TEST(page_without_events)
{
	struct snapshot *s = take_snapshot();
	json_t *doc;
	char *page;

	s->data.has_events = false;
	s->data.targets[0].has_events = false;
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_is_null(get(doc, "events")));
	ck_assert(json_is_null(get(json_array_get(get(doc, "namespaces"), 0), "events")));
	page = render(doc);
	ck_assert_ptr_null(strstr(page, "id=\"events\""));
	ck_assert_ptr_null(strstr(page, "table class=\"closes\""));
	ck_assert_ptr_null(strstr(page, "down since"));
	free(page);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

Suite *status_events_suite(void)
{
	Suite *s = suite_create("status_events");
	TCase *tc = tcase_create("status_events");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, document_counts_agree_with_metrics);
	tcase_add_test(tc, document_recent_ring);
	tcase_add_test(tc, page_shows_events);
	tcase_add_test(tc, page_hides_exporter_port);
	tcase_add_test(tc, page_without_events);
	suite_add_tcase(s, tc);
	return s;
}
