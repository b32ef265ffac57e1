/* test_fields.c — the views' field table (exporter/fields.c) against the three views it
 * drives: every row is found in /metrics (render_metrics), in the status document (status.c)
 * under its key with the same numbers, and on the status page (render_html.c) under its
 * column title, all rendered from one snapshot of the recorded dumps (replay.c). Then the
 * status page's own judgements: the exporter's ports hidden or shown, the alerts coloured
 * by their severity in the rules, the role legend. */
#include "../../exporter/expfmt.h"
#include "../../exporter/fields.h"
#include "../../exporter/render_html.h"
#include "../../exporter/render_metrics.h"
#include "../../exporter/snapshot.h"
#include "../../exporter/status.h"
#include "replay.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct snapshot *take_snapshot(void)
{
	struct replay replay;
	struct snapshot *s = replay_snapshot(&replay, 3);

	replay_free(&replay);
	return s;
}

/* The NUL-terminated body a renderer writes; metrics start with a newline, so every sample
 * line follows one. */
static char *render(const struct snapshot *s, const json_t *doc)
{
	struct expfmt_buf buf;
	char *text;
	size_t len;

	ck_assert_int_eq(expfmt_init(&buf, 0), 0);
	if (s) {
		expfmt_append(&buf, "\n", 1);
		ck_assert_int_eq(render_metrics(s, &buf), 0);
	} else {
		ck_assert_int_eq(render_html(doc, "/metrics", &buf), 0);
	}
	expfmt_append(&buf, "", 1);
	ck_assert_int_eq(buf.error, 0);
	text = expfmt_detach(&buf, &len);
	expfmt_fini(&buf);
	return text;
}

/* The value at `key` ("a.b": b inside a) of `o`; fails when it is missing. */
static const json_t *at(const json_t *o, const char *key)
{
	const char *dot = strchr(key, '.');
	const json_t *v;

	if (dot) {
		char outer[32];

		snprintf(outer, sizeof(outer), "%.*s", (int)(dot - key), key);
		o = json_object_get(o, outer);
		key = dot + 1;
	}
	v = json_object_get(o, key);
	ck_assert_msg(v != NULL, "no \"%s\" in the document", key);
	return v;
}

/* The part of `page` from `start` to the next `end`, as a new string. */
static char *section(const char *page, const char *start, const char *end)
{
	const char *a = strstr(page, start), *b;

	ck_assert_msg(a != NULL, "no %s on the page", start);
	b = strstr(a, end);
	ck_assert_ptr_nonnull(b);
	return strndup(a, (size_t)(b - a));
}

static const json_t *ns0(const json_t *doc)
{
	return json_array_get(json_object_get(doc, "namespaces"), 0);
}

static void port_labels(const json_t *p, char *labels, size_t size)
{
	if (json_is_true(json_object_get(p, "other")))
		snprintf(labels, size, "port=\"other\",role=\"%s\"", json_string_value(at(p, "role")));
	else
		snprintf(labels, size, "port=\"%lld\",role=\"%s\"", (long long)json_integer_value(at(p, "port")),
			 json_string_value(at(p, "role")));
}

/* A slot row: in every ports[] entry, equal to the sample of its label set. */
static void slot_row_in_document(const struct fields_row *row, const json_t *tcp, const char *metrics)
{
	const json_t *p;
	size_t i;

	ck_assert_uint_ge(json_array_size(at(tcp, "ports")), 4);
	json_array_foreach(at(tcp, "ports"), i, p) {
		char labels[128];

		port_labels(p, labels, sizeof(labels));
		if (row->kind == FIELD_SLOT_STATES) {
			for (unsigned st = 1; st <= TCPH_STATE_MAX; st++) {
				char with_state[192];

				snprintf(with_state, sizeof(with_state), "%s,state=\"%s\"", labels, fields_state_name(st));
				ck_assert_msg(unit_sample(metrics, row->metric, with_state) ==
						      (double)json_integer_value(at(at(p, row->json), fields_state_name(st))),
					      "%s{%s}", row->metric, with_state);
			}
		} else {
			ck_assert_msg(unit_sample(metrics, row->metric, labels) == (double)json_integer_value(at(p, row->json)),
				      "%s{%s} differs from ports[].%s", row->metric, labels, row->json);
		}
	}
}

/* A listener row: in every listeners[] entry (those that listen, for the queue). */
static void listener_row_in_document(const struct fields_row *row, const json_t *tcp, const char *metrics)
{
	const json_t *l;
	size_t i;

	ck_assert_uint_ge(json_array_size(at(tcp, "listeners")), 3);
	json_array_foreach(at(tcp, "listeners"), i, l) {
		char labels[32];

		snprintf(labels, sizeof(labels), "port=\"%lld\"", (long long)json_integer_value(at(l, "port")));
		if (row->kind == FIELD_LISTENER_UP)
			ck_assert_int_eq(unit_sample(metrics, row->metric, labels), json_is_true(at(l, row->json)));
		else if (row->kind == FIELD_LISTENER_INFO)
			ck_assert(json_is_array(at(l, row->json)));
		else if (json_is_true(at(l, "up")))
			ck_assert_int_eq(unit_sample(metrics, row->metric, labels), json_integer_value(at(l, row->json)));
	}
}

START_TEST(every_row_in_every_view)
{
	struct snapshot *s = take_snapshot();
	json_t *doc = status_document(s);
	const json_t *tcp;
	char *metrics = render(s, NULL), *page, *ports_table, *listeners_table;
	unsigned in_json = 0, on_page = 0, judged = 0;

	ck_assert_ptr_nonnull(doc);
	tcp = at(ns0(doc), "tcp");
	page = render(NULL, doc);
	ports_table = section(page, "<table class=\"ports\">", "</table>");
	listeners_table = section(page, "<table class=\"listeners\">", "</table>");
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];
		char text[256];

		/* /metrics: the family, and samples of it. */
		ck_assert_msg(row->metric && row->type && row->help, "row %u is incomplete", f);
		snprintf(text, sizeof(text), "\n# TYPE %s %s\n", row->metric, row->type);
		ck_assert_msg(unit_count(metrics, text) == 1, "/metrics lacks %s", text + 1);
		snprintf(text, sizeof(text), "\n%s%s", row->metric, row->kind == FIELD_SLOT_HISTOGRAM ? "_bucket{" : "");
		ck_assert_msg(unit_count(metrics, text) >= 1, "/metrics has no sample of %s", row->metric);

		/* The document: under the row's key, with the numbers of /metrics. */
		if (row->json) {
			in_json++;
			if (row->kind <= FIELD_SLOT_HISTOGRAM)
				slot_row_in_document(row, tcp, metrics);
			else if (row->kind <= FIELD_LISTENER_U64)
				listener_row_in_document(row, tcp, metrics);
			else
				ck_assert_uint_eq(json_object_size(at(tcp, row->json)), 2);
		}

		/* The page: a column of the table of its kind. */
		if (row->column) {
			const char *table = row->kind <= FIELD_SLOT_HISTOGRAM ? ports_table : listeners_table;

			on_page++;
			ck_assert_msg(row->json != NULL, "%s is on the page but not in the document", row->metric);
			if (row->kind == FIELD_SLOT_STATES) {
				for (unsigned i = 0; i < fields_page_states_count; i++) {
					snprintf(text, sizeof(text), "<th>%s</th>", fields_state_name(fields_page_states[i].state));
					if (fields_page_states[i].always)
						ck_assert_msg(unit_count(table, text) == 1, "no column %s", text);
				}
			} else {
				snprintf(text, sizeof(text), ">%s</th>", row->column);
				ck_assert_msg(unit_count(table, text) == 1, "no column %s for %s", text, row->metric);
			}
		}

		/* The rules: the alert a row is marked with is in the document's thresholds. */
		if (row->threshold != THRESHOLD_NONE) {
			const json_t *t;
			size_t i;
			bool found = false;

			judged++;
			json_array_foreach(at(doc, "thresholds"), i, t)
				found |= strcmp(json_string_value(at(t, "name")), fields_thresholds[row->threshold].name) == 0 &&
					 strcmp(json_string_value(at(t, "alert")), fields_row_alert(row)) == 0;
			ck_assert_msg(found, "%s: threshold %s not in the document", row->metric,
				      fields_thresholds[row->threshold].name);
		}
	}
	/* Not vacuous: most rows are in the document, several on the page, some judged. */
	ck_assert_uint_ge(in_json, 12);
	ck_assert_uint_ge(on_page, 8);
	ck_assert_uint_ge(judged, 5);
	/* Each row of the per-port table has one cell per column of its header. */
	{
		char *header = section(ports_table, "<tr>", "</tr>");
		unsigned columns = unit_count(header, "<th"), rows = 0;

		for (const char *tr = strstr(ports_table, "<tr data-role="); tr; tr = strstr(tr + 1, "<tr data-role=")) {
			char *one = section(tr, "<tr", "</tr>");

			ck_assert_msg(unit_count(one, "<td") == columns, "%u cells, %u columns: %s", unit_count(one, "<td"),
				      columns, one);
			free(one);
			rows++;
		}
		ck_assert_uint_ge(rows, 4);
		free(header);
	}
	free(ports_table);
	free(listeners_table);
	free(page);
	free(metrics);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

/* One port row of the page's per-port table, or NULL. */
static bool page_has_port_row(const char *page, const char *role, int port)
{
	char tr[96];

	snprintf(tr, sizeof(tr), "<tr data-role=\"%s\" data-port=\"%d\">", role, port);
	return strstr(page, tr) != NULL;
}

START_TEST(exporter_port_hidden_by_default)
{
	struct snapshot *s = take_snapshot();
	json_t *doc;
	const json_t *p;
	char *page;
	size_t i;
	unsigned marked = 0;

	/* 3720 stands for the exporter's own port: a listener with connections both ways. */
	s->self.self_ports[0] = 3720;
	s->self.n_self_ports = 1;
	s->self.status_exclude_self = true;
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_is_true(at(at(doc, "exporter"), "status_exclude_self")));
	ck_assert_int_eq(json_integer_value(json_array_get(at(at(doc, "exporter"), "web_listen_ports"), 0)), 3720);
	/* The document keeps the rows and marks them. */
	json_array_foreach(at(at(ns0(doc), "tcp"), "ports"), i, p) {
		bool ours = !json_is_true(at(p, "other")) && json_integer_value(at(p, "port")) == 3720;

		ck_assert_int_eq(json_is_true(at(p, "exporter_port")), ours);
		marked += ours;
	}
	ck_assert_uint_eq(marked, 2); /* server 3720 and client 3720 */
	json_array_foreach(at(at(ns0(doc), "tcp"), "listeners"), i, p)
		ck_assert_int_eq(json_is_true(at(p, "exporter_port")), json_integer_value(at(p, "port")) == 3720);
	/* The page leaves them out of the per-port table and says so once. */
	page = render(NULL, doc);
	ck_assert(!page_has_port_row(page, "server", 3720));
	ck_assert(!page_has_port_row(page, "client", 3720));
	ck_assert(page_has_port_row(page, "server", 1202));
	ck_assert_uint_eq(unit_count(page, "<p class=\"none self-hidden\" data-ports=\"3720\">Not shown: port 3720, "
				      "this exporter's own"), 1);
	ck_assert_uint_eq(unit_count(page, "--no-web.status.exclude-self"), 1);
	/* Still a listener: the listening ports table shows it. */
	ck_assert_ptr_nonnull(strstr(page, "<tr data-port=\"3720\">"));
	free(page);
	json_decref(doc);

	/* --no-web.status.exclude-self: marked in the document, shown on the page. */
	s->self.status_exclude_self = false;
	doc = status_document(s);
	page = render(NULL, doc);
	ck_assert(page_has_port_row(page, "server", 3720));
	ck_assert(page_has_port_row(page, "client", 3720));
	ck_assert_ptr_null(strstr(page, "self-hidden"));
	free(page);
	json_decref(doc);

	/* Another network namespace's 3720 is not ours. */
	s->self.status_exclude_self = true;
	s->data.targets[0].self = false;
	doc = status_document(s);
	json_array_foreach(at(at(ns0(doc), "tcp"), "ports"), i, p)
		ck_assert(!json_is_true(at(p, "exporter_port")));
	page = render(NULL, doc);
	ck_assert(page_has_port_row(page, "server", 3720));
	ck_assert_ptr_null(strstr(page, "self-hidden"));
	free(page);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

START_TEST(alerts_coloured_by_severity)
{
	struct snapshot *s = take_snapshot();
	struct tcp_result *tcp = s->data.targets[0].tcp;
	json_t *doc;
	const json_t *a;
	char *page, *list;
	size_t i;
	bool critical = false, warning = false;

	/* Client ports: keepalive probes unanswered (warning), unprotected idle (info). */
	for (unsigned i = 0; i < tcp->n_ports[CLASSIFY_CLIENT]; i++) {
		if (tcp->ports[CLASSIFY_CLIENT][i].port != 3720)
			continue;
		tcp->ports[CLASSIFY_CLIENT][i].counts.keepalive_probes = 2;
		tcp->ports[CLASSIFY_CLIENT][i].counts.unprotected_idle = 1;
	}
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	json_array_foreach(at(ns0(doc), "alerts"), i, a) {
		const char *name = json_string_value(at(a, "alert")), *sev = json_string_value(at(a, "severity"));

		critical |= strcmp(name, "TcpHealthListenerDown") == 0 && strcmp(sev, "critical") == 0;
		warning |= strcmp(name, "TcpHealthKeepaliveProbesUnanswered") == 0 && strcmp(sev, "warning") == 0;
	}
	ck_assert(critical && warning);
	page = render(NULL, doc);
	/* The cells. */
	ck_assert_uint_eq(unit_count(page, "<td class=\"alert warning\" data-alert=\"TcpHealthKeepaliveProbesUnanswered\""), 1);
	ck_assert_uint_eq(unit_count(page, "<td class=\"alert info\" data-alert=\"TcpHealthUnprotectedIdleConnections\""), 1);
	ck_assert_uint_eq(unit_count(page, "<td class=\"alert critical\" data-alert=\"TcpHealthListenerDown\""), 1);
	ck_assert_ptr_nonnull(strstr(page, "td.alert.critical{background:#ffcdd2"));
	ck_assert_ptr_nonnull(strstr(page, "td.alert.warning{background:#fff3c4"));
	/* The tile. */
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"tile down critical\" data-port=\"5060\""));
	/* The alert list: red for the critical one, and a red banner around it. */
	list = section(page, "<div class=\"banner bad\">Over an alert threshold", "</div>");
	ck_assert_uint_eq(unit_count(list, "<li data-alert=\"TcpHealthListenerDown\" data-severity=\"critical\" "
				      "class=\"critical\">"), 1);
	ck_assert_uint_eq(unit_count(list, "<li data-alert=\"TcpHealthKeepaliveProbesUnanswered\" "
				      "data-severity=\"warning\" class=\"warning\">"), 1);
	free(list);
	/* The role legend, once, above the per-port table. */
	ck_assert_uint_eq(unit_count(page, "<p class=\"legend\" id=\"role-legend\">Role &mdash; server: the local port is "
				      "a listening or expected port; client: the remote service port of an outgoing "
				      "connection.</p>"), 1);
	ck_assert(strstr(page, "id=\"role-legend\"") < strstr(page, "<table class=\"ports\">"));
	free(page);
	json_decref(doc);

	/* Warnings only: a yellow banner. */
	for (unsigned i = 0; i < fields_named_ports(tcp, CLASSIFY_SERVER); i++)
		tcp->ports[CLASSIFY_SERVER][i].expected = false;
	doc = status_document(s);
	page = render(NULL, doc);
	ck_assert_ptr_null(strstr(page, "data-severity=\"critical\""));
	ck_assert_uint_eq(unit_count(page, "<div class=\"banner warn\">Over an alert threshold"), 1);
	free(page);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

Suite *fields_suite(void)
{
	Suite *s = suite_create("fields");
	TCase *views = tcase_create("views");

	tcase_set_timeout(views, 30);
	tcase_add_test(views, every_row_in_every_view);
	tcase_add_test(views, exporter_port_hidden_by_default);
	tcase_add_test(views, alerts_coloured_by_severity);
	suite_add_tcase(s, views);
	return s;
}
