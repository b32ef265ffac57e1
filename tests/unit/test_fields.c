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

#include <stddef.h>
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

/* The sample `name{labels}` (`name` alone for no labels); the test fails when it is missing. */
static double sample(const char *metrics, const char *name, const char *labels)
{
	char prefix[256];
	const char *p;

	if (*labels)
		return unit_sample(metrics, name, labels);
	snprintf(prefix, sizeof(prefix), "\n%s ", name);
	p = strstr(metrics, prefix);
	ck_assert_msg(p != NULL, "no sample %s", prefix + 1);
	return strtod(p + strlen(prefix), NULL);
}

static long long int_at(const json_t *o, const char *key)
{
	const json_t *v = at(o, key);

	ck_assert_msg(json_is_integer(v), "\"%s\" is not an integer", key);
	return (long long)json_integer_value(v);
}

/* The number a page cell or figure shows: the text after the '>' that ends `p`'s tag. */
static long long shown_number(const char *p)
{
	const char *gt = strchr(p, '>');
	char *end;
	long long v;

	ck_assert_ptr_nonnull(gt);
	v = strtoll(gt + 1, &end, 10);
	ck_assert_msg(end != gt + 1, "no number at %.60s", gt + 1);
	return v;
}

/* The page's row of a ports[] entry in `table` (the part of the page from <tr to </tr>), or
 * NULL for a row the page does not show. */
static char *page_row(const char *table, const json_t *p)
{
	char tr[96], port[16];

	if (json_is_true(json_object_get(p, "other")))
		snprintf(port, sizeof(port), "other");
	else
		snprintf(port, sizeof(port), "%lld", int_at(p, "port"));
	snprintf(tr, sizeof(tr), "<tr data-role=\"%s\" data-port=\"%s\">", json_string_value(at(p, "role")), port);
	/* The page shows the rows with sockets or expected (none is the exporter's here). */
	if (int_at(p, "sockets") == 0 && !json_is_true(at(p, "expected"))) {
		ck_assert_msg(strstr(table, tr) == NULL, "%s shown without sockets", tr);
		return NULL;
	}
	return section(table, tr, "</tr>");
}

/* The number in the cell `data-key="key"` of a row, or in column `title` of the table. */
static long long cell_by_key(const char *row, const char *key)
{
	char attr[96];
	const char *p;

	snprintf(attr, sizeof(attr), "data-key=\"%s\"", key);
	ck_assert_msg(unit_count(row, attr) == 1, "%s: %u cells in %s", attr, unit_count(row, attr), row);
	p = strstr(row, attr);
	return shown_number(p);
}

/* The index of the column titled `title` (HTML) in a table's header; fails when absent. */
static unsigned column_of(const char *table, const char *title)
{
	char th[160];
	const char *hit, *p;
	unsigned n = 0;

	snprintf(th, sizeof(th), ">%s</th>", title);
	hit = strstr(table, th);
	ck_assert_msg(hit != NULL, "no column %s", th);
	ck_assert_msg(strstr(hit + 1, th) == NULL || strstr(hit + 1, th) > strstr(table, "</tr>"),
		      "two columns %s", th);
	for (p = strstr(table, "<th"); p && p < hit; p = strstr(p + 1, "<th"))
		n++;
	return n - 1;
}

static const char *nth_cell(const char *row, unsigned n)
{
	const char *p = strstr(row, "<td");

	for (unsigned i = 0; p && i < n; i++)
		p = strstr(p + 1, "<td");
	ck_assert_ptr_nonnull(p);
	return p;
}

struct views {
	const char *metrics, *page;
	const json_t *doc, *ns, *tcp;
	char *ports_table, *signals_table, *listeners_table, *scan_line;
	unsigned compared; /* numbers found equal in all three views */
	unsigned nonzero;
};

/* A histogram of one ports[] entry: JSON count, sum and cumulative buckets against the
 * samples; the page's count and tooltip against the JSON. */
static void histogram_in_views(struct views *v, const struct fields_row *row, const json_t *p, const char *labels,
			       const char *page_row_text)
{
	const json_t *h = at(p, row->json), *buckets = at(h, "buckets");
	char name[128], with_le[192], le[32], attr[96];
	const char *cellp, *title;

	snprintf(attr, sizeof(attr), "data-key=\"%s\"", row->json);
	cellp = *page_row_text ? strstr(page_row_text, attr) : NULL;
	ck_assert_int_eq(cellp != NULL, *page_row_text != '\0');
	snprintf(name, sizeof(name), "%s_count", row->metric);
	ck_assert(sample(v->metrics, name, labels) == (double)int_at(h, "count"));
	if (cellp)
		ck_assert(shown_number(cellp) == int_at(h, "count"));
	snprintf(name, sizeof(name), "%s_sum", row->metric);
	ck_assert(sample(v->metrics, name, labels) == json_real_value(at(h, "sum")));
	title = cellp ? strstr(cellp, "title=\"") : NULL;
	if (title && title > strchr(cellp, '>'))
		title = NULL;
	if (cellp)
		ck_assert_int_eq(title != NULL, int_at(h, "count") > 0);
	snprintf(name, sizeof(name), "%s_bucket", row->metric);
	for (unsigned b = 0; b <= row->nbounds; b++) {
		long long want;

		if (b < row->nbounds)
			expfmt_format_double(le, row->bounds[b]);
		else
			snprintf(le, sizeof(le), "+Inf");
		ck_assert_msg(json_is_integer(json_object_get(buckets, le)), "no bucket \"%s\"", le);
		want = (long long)json_integer_value(json_object_get(buckets, le)); /* le has dots */
		snprintf(with_le, sizeof(with_le), "%s,le=\"%s\"", labels, le);
		ck_assert_msg(sample(v->metrics, name, with_le) == (double)want, "%s{%s}", name, with_le);
		if (title && b < row->nbounds) {
			/* "&le; BOUND: N, " in the order of the bounds */
			title = strstr(title, ": ");
			ck_assert_ptr_nonnull(title);
			ck_assert_int_eq(strtoll(title + 2, NULL, 10), want);
			title += 2;
		}
		v->compared++;
		v->nonzero += want != 0;
	}
}

/* Whether the per-port table has a column for state `name`: the states fields_page_states
 * always shows, and the others some shown port has. */
static bool state_shown(const char *table, const char *name)
{
	char th[64];

	snprintf(th, sizeof(th), "<th>%s</th>", name);
	for (unsigned i = 0; i < fields_page_states_count; i++)
		if (fields_page_states[i].always && strcmp(fields_state_name(fields_page_states[i].state), name) == 0)
			ck_assert_msg(strstr(table, th) != NULL, "no column %s", th);
	return strstr(table, th) != NULL;
}

/* A slot row in every ports[] entry: the JSON equals the sample of its label set, and the
 * page's cell in the table the row is placed in equals the JSON. */
static void slot_row_in_views(struct views *v, const struct fields_row *row)
{
	const char *table = row->page == FIELD_PAGE_PORTS ? v->ports_table : v->signals_table;
	const json_t *p;
	size_t i;

	ck_assert_msg(row->page == FIELD_PAGE_PORTS || row->page == FIELD_PAGE_SIGNALS, "%s: placed %d", row->metric,
		      row->page);
	ck_assert_uint_ge(json_array_size(at(v->tcp, "ports")), 4);
	json_array_foreach(at(v->tcp, "ports"), i, p) {
		char labels[128], with[192], key[64], *tr = page_row(table, p);

		port_labels(p, labels, sizeof(labels));
		if (row->kind == FIELD_SLOT_STATES || row->kind == FIELD_SLOT_TIMERS) {
			bool states = row->kind == FIELD_SLOT_STATES;

			for (unsigned k = states ? 1 : 0; k <= (states ? TCPH_STATE_MAX : TCPH_TIMER_MAX); k++) {
				const char *name = states ? fields_state_name(k) : fields_timer_name(k);
				long long want = int_at(at(p, row->json), name);

				snprintf(with, sizeof(with), "%s,%s=\"%s\"", labels, states ? "state" : "timer", name);
				ck_assert_msg(sample(v->metrics, row->metric, with) == (double)want, "%s{%s}", row->metric, with);
				if (!tr) {
					/* in the JSON and /metrics only */
				} else if (!states) {
					snprintf(key, sizeof(key), "%s.%s", row->json, name);
					ck_assert_int_eq(cell_by_key(tr, key), want);
				} else if (state_shown(table, name)) {
					ck_assert_int_eq(shown_number(nth_cell(tr, column_of(table, name))), want);
				}
				v->compared++;
				v->nonzero += want != 0;
			}
		} else if (row->kind == FIELD_SLOT_HISTOGRAM) {
			histogram_in_views(v, row, p, labels, tr ? tr : "");
		} else {
			long long want = int_at(p, row->json);

			ck_assert_msg(sample(v->metrics, row->metric, labels) == (double)want, "%s{%s} differs from ports[].%s",
				      row->metric, labels, row->json);
			if (tr && row->page == FIELD_PAGE_PORTS)
				ck_assert_int_eq(shown_number(nth_cell(tr, column_of(table, row->column))), want);
			else if (tr)
				ck_assert_int_eq(cell_by_key(tr, row->json), want);
			v->compared++;
			v->nonzero += want != 0;
		}
		free(tr);
	}
}

/* A listener row in every listeners[] entry and in its row of the listening ports table. */
static void listener_row_in_views(struct views *v, const struct fields_row *row)
{
	const json_t *l;
	size_t i;

	ck_assert_int_eq(row->page, FIELD_PAGE_LISTENERS);
	ck_assert_uint_ge(json_array_size(at(v->tcp, "listeners")), 3);
	json_array_foreach(at(v->tcp, "listeners"), i, l) {
		char labels[32], tr[48], *one;
		const char *td;
		bool up = json_is_true(at(l, "up"));

		snprintf(labels, sizeof(labels), "port=\"%lld\"", int_at(l, "port"));
		snprintf(tr, sizeof(tr), "<tr data-port=\"%lld\"", int_at(l, "port"));
		one = section(v->listeners_table, tr, "</tr>");
		td = nth_cell(one, column_of(v->listeners_table, row->column));
		if (row->kind == FIELD_LISTENER_UP) {
			ck_assert_int_eq(sample(v->metrics, row->metric, labels), up);
			ck_assert_ptr_nonnull(strstr(td, up ? ">up</td>" : "><b>DOWN</b></td>"));
		} else if (row->kind == FIELD_LISTENER_INFO) {
			const json_t *a;
			size_t k;

			json_array_foreach(at(l, row->json), k, a) {
				char addr[96], info[256];

				snprintf(addr, sizeof(addr), "<span class=\"addr\">%s</span>", json_string_value(at(a, "address")));
				ck_assert_msg(strstr(td, addr) != NULL, "%s not in %s", addr, one);
				snprintf(info, sizeof(info), "%s,address=\"%s\",family=\"%s\"%s%s%s", labels,
					 json_string_value(at(a, "address")), json_string_value(at(a, "family")),
					 *json_string_value(at(a, "process")) ? ",process=\"" : "",
					 json_string_value(at(a, "process")), *json_string_value(at(a, "process")) ? "\"" : "");
				ck_assert(sample(v->metrics, row->metric, info) == 1);
				v->compared++;
			}
		} else if (up) {
			long long length, max, want = json_integer_value(at(l, row->json));

			ck_assert_int_eq(sample(v->metrics, row->metric, labels), want);
			ck_assert_int_eq(sscanf(strchr(td, '>') + 1, "%lld / %lld", &length, &max), 2);
			ck_assert_int_eq(row->offset == offsetof(struct tcpagg_listener, queue_max) ? max : length, want);
			v->compared++;
			v->nonzero += want != 0;
		}
		free(one);
	}
}

/* A per-target row: the namespace's tcp object, the samples by label value, the scan line. */
static void target_row_in_views(struct views *v, const struct fields_row *row)
{
	const char *label = row->kind == FIELD_SOCKETS_SCANNED ? "family" : "role";
	const json_t *value = at(v->tcp, row->json), *sub;
	const char *name;
	char labels[64], key[64];

	ck_assert_int_eq(row->page, FIELD_PAGE_SCAN);
	ck_assert_msg(strstr(v->scan_line, row->column) != NULL, "no %s on the scan line", row->column);
	if (row->kind == FIELD_DUMP_RETRIES || row->kind == FIELD_DUMP_REQUESTS) {
		ck_assert(sample(v->metrics, row->metric, "") == (double)json_integer_value(value));
		ck_assert_int_eq(cell_by_key(v->scan_line, row->json), json_integer_value(value));
		v->compared++;
		return;
	}
	ck_assert_uint_eq(json_object_size(value), 2);
	json_object_foreach((json_t *)value, name, sub) {
		snprintf(labels, sizeof(labels), "%s=\"%s\"", label, name);
		snprintf(key, sizeof(key), "%s.%s", row->json, name);
		ck_assert(sample(v->metrics, row->metric, labels) == (double)json_integer_value(sub));
		ck_assert_int_eq(cell_by_key(v->scan_line, key), json_integer_value(sub));
		v->compared++;
		v->nonzero += json_integer_value(sub) != 0;
	}
}

/* Values the recorded dumps leave at 0 or in one bucket, made up so that the comparisons
 * are of distinct numbers: a client port with segments, keepalive and spread histograms. */
static void spread_values(struct snapshot *s)
{
	struct tcp_result *tcp = s->data.targets[0].tcp;
	struct tcpagg_slot *c = &tcp->ports[CLASSIFY_CLIENT][0].counts;

	ck_assert(tcp->has_histograms);
	c->retransmitted_segments = 13;
	c->lost_segments = 11;
	c->unacked_segments = 4;
	c->keepalive = 2;
	c->keepalive_probes_max = 1;
	c->idle.buckets[2] += 3;
	c->idle.buckets[5] += 2;
	c->idle.count += 5;
	c->idle.sum += 9000.5;
	c->rtt.buckets[4] += 7;
	c->rtt.count += 7;
	c->rtt.sum += 0.0625;
	tcp->dump_retries_total = 2;
}

START_TEST(every_row_in_every_view)
{
	struct snapshot *s = take_snapshot();
	json_t *doc;
	char *metrics, *page;
	struct views v = { 0 };
	unsigned judged = 0, places[FIELD_PAGE_SCAN + 1] = { 0 };

	spread_values(s);
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	metrics = render(s, NULL);
	page = render(NULL, doc);
	v = (struct views){ metrics, page, doc, ns0(doc), at(ns0(doc), "tcp"),
			    section(page, "<table class=\"ports\">", "</table>"),
			    section(page, "<table class=\"signals\">", "</table>"),
			    section(page, "<table class=\"listeners\">", "</table>"),
			    section(page, "<p class=\"scan\">", "</p>"), 0, 0 };
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];
		char text[256];

		/* Every row is complete: a metric, a JSON key and a place on the page. */
		ck_assert_msg(row->metric && *row->metric && row->type && row->help, "row %u is incomplete", f);
		ck_assert_msg(row->json && *row->json, "%s has no JSON key", row->metric);
		ck_assert_msg(row->column && *row->column, "%s has no title on the page", row->metric);
		ck_assert_msg(row->page >= FIELD_PAGE_PORTS && row->page <= FIELD_PAGE_SCAN, "%s: no place on the page",
			      row->metric);
		places[row->page]++;

		/* /metrics: the family, and samples of it. */
		snprintf(text, sizeof(text), "\n# TYPE %s %s\n", row->metric, row->type);
		ck_assert_msg(unit_count(metrics, text) == 1, "/metrics lacks %s", text + 1);

		/* The document and the page, with the numbers of /metrics. */
		if (row->kind <= FIELD_SLOT_HISTOGRAM)
			slot_row_in_views(&v, row);
		else if (row->kind <= FIELD_LISTENER_U64)
			listener_row_in_views(&v, row);
		else
			target_row_in_views(&v, row);

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
	/* Not vacuous: every place used, hundreds of numbers, many of them not 0. */
	for (unsigned p = FIELD_PAGE_PORTS; p <= FIELD_PAGE_SCAN; p++)
		ck_assert_uint_ge(places[p], 3);
	ck_assert_uint_ge(v.compared, 300);
	ck_assert_uint_ge(v.nonzero, 60);
	ck_assert_uint_ge(judged, 5);
	/* Each row of the per-port tables has one cell per column of its header. */
	for (unsigned t = 0; t < 2; t++) {
		const char *table = t ? v.signals_table : v.ports_table;
		char *header = section(table, "<tr>", "</tr>");
		unsigned columns = unit_count(header, "<th"), rows = 0;

		for (const char *tr = strstr(table, "<tr data-role="); tr; tr = strstr(tr + 1, "<tr data-role=")) {
			char *one = section(tr, "<tr", "</tr>");

			ck_assert_msg(unit_count(one, "<td") == columns, "%u cells, %u columns: %s", unit_count(one, "<td"),
				      columns, one);
			free(one);
			rows++;
		}
		ck_assert_uint_ge(rows, 4);
		free(header);
	}
	free(v.ports_table);
	free(v.signals_table);
	free(v.listeners_table);
	free(v.scan_line);
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

/* Without histograms (--no-collector.tcp.histograms) the document has null and the page a
 * dash; sockets folded into "other" are highlighted on the scan line as the rule judges them. */
START_TEST(histograms_off_and_folded)
{
	struct snapshot *s = take_snapshot();
	struct tcp_result *tcp = s->data.targets[0].tcp;
	json_t *doc;
	const json_t *p;
	char *page, *line, *signals;
	size_t i;

	tcp->has_histograms = false;
	tcp->folded[CLASSIFY_CLIENT] = 4;
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	json_array_foreach(at(at(ns0(doc), "tcp"), "ports"), i, p) {
		ck_assert(json_is_null(at(p, fields_tcp[FIELD_IDLE_SECONDS].json)));
		ck_assert(json_is_null(at(p, fields_tcp[FIELD_RTT_SECONDS].json)));
	}
	page = render(NULL, doc);
	signals = section(page, "<table class=\"signals\">", "</table>");
	ck_assert_uint_eq(unit_count(signals, "<td data-key=\"idle_seconds\">&ndash;</td>"), 6);
	ck_assert_uint_eq(unit_count(signals, "<td data-key=\"rtt_seconds\">&ndash;</td>"), 6);
	line = section(page, "<p class=\"scan\">", "</p>");
	ck_assert_uint_eq(unit_count(line, "client <span data-key=\"ports_folded.client\" class=\"alert info\" "
				      "data-alert=\"TcpHealthPortsFolded\""), 1);
	ck_assert_uint_eq(unit_count(line, "server <span data-key=\"ports_folded.server\">0</span>"), 1);
	ck_assert_uint_eq(unit_count(line, "class=\"alert"), 1);
	free(signals);
	free(line);
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
	tcase_add_test(views, histograms_off_and_folded);
	suite_add_tcase(s, views);
	return s;
}
