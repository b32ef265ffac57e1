/* render_html_fields.c — the status page's tables and figures that the field table's rows
 * drive (fields.h; see render_html_doc.h): the namespace's scan line (FIELD_PAGE_SCAN), the
 * per-port table (FIELD_PAGE_PORTS) and, under it, the "more signals by port" table
 * (FIELD_PAGE_SIGNALS). Every figure is read from the document under its row's key; a new
 * row appears here with no code of its own. */
#include "render_html_doc.h"

#include "fields.h"
#include "render_html.h"

#include <stdio.h>
#include <string.h>

#define str render_html_str
#define num render_html_num
#define flag render_html_flag
#define text render_html_text
#define esc render_html_escape

static bool is_slot_number(const struct fields_row *row)
{
	return row->kind == FIELD_SLOT_U32 || row->kind == FIELD_SLOT_U64;
}

/* One numeric cell, highlighted when the row crosses `alert`'s threshold; `key` (when not
 * NULL) is the document's key it shows, for tests and scripts. */
static void cell(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *row,
		 long long value, const char *alert, const char *key, const char *sub)
{
	text(out, "<td");
	if (key)
		expfmt_printf(out, " data-key=\"%s%s%s\"", key, sub ? "." : "", sub ? sub : "");
	if (alert && render_html_has_alert(row, alert))
		render_html_alert_attributes(out, doc, ns, alert);
	else if (value == 0)
		text(out, " class=\"zero\"");
	expfmt_printf(out, ">%lld</td>", value);
}

/* ---- the scan line --------------------------------------------------------------------------- */

/* Whether the namespace's alerts hold `alert` for `role` (a namespace-wide judgement). */
static bool ns_alert(const json_t *ns, const char *alert, const char *role)
{
	const json_t *a;
	size_t i;

	json_array_foreach(json_object_get(ns, "alerts"), i, a)
		if (strcmp(str(a, "alert"), alert) == 0 && strcmp(str(a, "role"), role) == 0 &&
		    !json_object_get(a, "port"))
			return true;
	return false;
}

static void figure(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const struct fields_row *row,
		   const char *label, long long value)
{
	const char *alert = fields_row_alert(row);

	if (label) {
		esc(out, label);
		text(out, " ");
	}
	expfmt_printf(out, "<span data-key=\"%s%s", row->json, label ? "." : "");
	esc(out, label ? label : "");
	text(out, "\"");
	if (alert && label && ns_alert(ns, alert, label))
		render_html_alert_attributes(out, doc, ns, alert);
	expfmt_printf(out, ">%lld</span>", value);
}

void render_html_scan_line(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *tcp)
{
	bool first = true;

	text(out, "<p class=\"scan\">This scan: ");
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];
		const json_t *v = json_object_get(tcp, row->json), *sub;
		const char *label;
		bool any = false;

		if (row->page != FIELD_PAGE_SCAN)
			continue;
		expfmt_printf(out, "%s%s: ", first ? "" : " &middot; ", row->column);
		first = false;
		if (!json_is_object(v)) {
			figure(out, doc, ns, row, NULL, json_integer_value(v));
			continue;
		}
		json_object_foreach((json_t *)v, label, sub) {
			text(out, any ? ", " : "");
			figure(out, doc, ns, row, label, json_integer_value(sub));
			any = true;
		}
	}
	text(out, "</p>\n");
}

/* ---- the per-port tables ------------------------------------------------------------------- */

bool render_html_hidden(const json_t *doc, const json_t *port)
{
	return flag(json_object_get(doc, "exporter"), "status_exclude_self") && flag(port, "exporter_port");
}

/* The rows both tables show: with sockets or expected, not hidden. */
static bool shown(const json_t *doc, const json_t *port)
{
	return (num(port, "sockets") > 0 || flag(port, "expected")) && !render_html_hidden(doc, port);
}

/* The one line saying which of the exporter's own ports the table leaves out. */
static void hidden_note(struct expfmt_buf *out, const json_t *doc, const json_t *ports)
{
	long long seen[16];
	unsigned n = 0;
	const json_t *p;
	size_t i;

	json_array_foreach(ports, i, p) {
		bool dup = false;

		if (!render_html_hidden(doc, p))
			continue;
		for (unsigned k = 0; k < n; k++)
			dup |= seen[k] == num(p, "port");
		if (!dup && n < sizeof(seen) / sizeof(seen[0]))
			seen[n++] = num(p, "port");
	}
	if (!n)
		return;
	text(out, "<p class=\"none self-hidden\" data-ports=\"");
	for (unsigned k = 0; k < n; k++)
		expfmt_printf(out, "%s%lld", k ? " " : "", seen[k]);
	expfmt_printf(out, "\">Not shown: port%s ", n == 1 ? "" : "s");
	for (unsigned k = 0; k < n; k++)
		expfmt_printf(out, "%s%lld", k ? ", " : "", seen[k]);
	text(out, ", this exporter's own (its scrape connections); --no-web.status.exclude-self "
		  "shows them.</p>\n");
}

/* <tr data-role="server" data-port="1720"><td>server</td><td>1720</td> */
static void row_start(struct expfmt_buf *out, const json_t *p)
{
	expfmt_printf(out, "<tr data-role=\"%s\" data-port=\"", str(p, "role"));
	render_html_port_label(out, p);
	expfmt_printf(out, "\"><td class=\"l\">%s</td><td>", str(p, "role"));
	render_html_port_label(out, p);
	text(out, "</td>");
}

/* The per-port table: Role, Port, the states, then the slot rows placed in it. */
static void ports_table(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *ports,
			const unsigned *states, unsigned n_states)
{
	const json_t *p;
	size_t i;

	text(out, "<p class=\"legend\" id=\"role-legend\">Role &mdash; " FIELDS_ROLE_LEGEND ".</p>\n"
		  "<div class=\"scroll\"><table class=\"ports\"><tr><th class=\"l\">Role</th><th>Port</th>");
	for (unsigned s = 0; s < n_states; s++)
		expfmt_printf(out, "<th>%s</th>", fields_state_name(fields_page_states[states[s]].state));
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++)
		if (fields_tcp[f].page == FIELD_PAGE_PORTS && is_slot_number(&fields_tcp[f]))
			expfmt_printf(out, "<th>%s</th>", fields_tcp[f].column);
	text(out, "</tr>\n");
	json_array_foreach(ports, i, p) {
		if (!shown(doc, p))
			continue;
		row_start(out, p);
		for (unsigned s = 0; s < n_states; s++) {
			const struct fields_state *st = &fields_page_states[states[s]];
			const char *alert = st->threshold == THRESHOLD_NONE ? NULL :
					    fields_alerts[fields_thresholds[st->threshold].alert].name;

			cell(out, doc, ns, p, num(json_object_get(p, "states"), fields_state_name(st->state)), alert,
			     NULL, NULL);
		}
		for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
			const struct fields_row *row = &fields_tcp[f];

			if (row->page == FIELD_PAGE_PORTS && is_slot_number(row))
				cell(out, doc, ns, p, num(p, row->json), fields_row_alert(row), NULL, NULL);
		}
		text(out, "</tr>\n");
	}
	text(out, "</table></div>\n");
}

/* A histogram bound for people: "0.5 ms", "10 s", "15 min". */
static void bound_text(struct expfmt_buf *out, double seconds)
{
	if (seconds < 1)
		expfmt_printf(out, "%g ms", seconds * 1000);
	else
		render_html_duration(out, seconds);
}

/* A histogram's cell: its count and the bucket its median falls in; every bucket's
 * cumulative count (the samples of /metrics) in the tooltip. */
static void histogram_cell(struct expfmt_buf *out, const struct fields_row *row, const json_t *h)
{
	const json_t *buckets = json_object_get(h, "buckets");
	long long count = num(h, "count");
	int median = -1;
	char le[32];

	if (!json_is_object(h)) {
		expfmt_printf(out, "<td data-key=\"%s\">&ndash;</td>", row->json);
		return;
	}
	expfmt_printf(out, "<td data-key=\"%s\"", row->json);
	if (!count) {
		text(out, " class=\"zero\">0</td>");
		return;
	}
	text(out, " title=\"");
	for (unsigned b = 0; b < row->nbounds; b++) {
		long long cumulative;

		expfmt_format_double(le, row->bounds[b]);
		cumulative = num(buckets, le);
		if (median < 0 && cumulative * 2 >= count)
			median = (int)b;
		text(out, "&le; ");
		bound_text(out, row->bounds[b]);
		expfmt_printf(out, ": %lld, ", cumulative);
	}
	expfmt_printf(out, "all: %lld\">%lld", count, count);
	text(out, median >= 0 ? " (median &le; " : " (median &gt; ");
	bound_text(out, row->bounds[median >= 0 ? median : (int)row->nbounds - 1]);
	text(out, ")</td>");
}

/* The header cells of a FIELD_PAGE_SIGNALS row: one per timer for the timers. */
static void signal_heads(struct expfmt_buf *out, const struct fields_row *row)
{
	if (row->kind != FIELD_SLOT_TIMERS) {
		expfmt_printf(out, "<th data-key=\"%s\">%s</th>", row->json, row->column);
		return;
	}
	for (unsigned t = 0; t <= TCPH_TIMER_MAX; t++) {
		const char *name = fields_timer_name(t);

		if (!name)
			continue;
		expfmt_printf(out, "<th data-key=\"%s.%s\">%s ", row->json, name, row->column);
		for (const char *c = name; *c; c++)
			expfmt_printf(out, "%c", *c == '_' ? ' ' : *c);
		text(out, "</th>");
	}
}

static void signal_cells(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *p,
			 const struct fields_row *row)
{
	const json_t *v = json_object_get(p, row->json);

	if (row->kind == FIELD_SLOT_HISTOGRAM) {
		histogram_cell(out, row, v);
	} else if (row->kind == FIELD_SLOT_TIMERS) {
		for (unsigned t = 0; t <= TCPH_TIMER_MAX; t++)
			if (fields_timer_name(t))
				cell(out, doc, ns, p, num(v, fields_timer_name(t)), NULL, row->json,
				     fields_timer_name(t));
	} else {
		cell(out, doc, ns, p, num(p, row->json), fields_row_alert(row), row->json, NULL);
	}
}

/* The "more signals by port" table: the same rows as the per-port table, the slot rows
 * placed in it; folded away, it leaves the page as short as before. */
static void signals_table(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *ports)
{
	const json_t *p;
	size_t i;

	text(out, "<details class=\"signals\"><summary>More signals by port: timers, segments, keepalive, "
		  "idle and round-trip time</summary>\n<div class=\"scroll\"><table class=\"signals\"><tr>"
		  "<th class=\"l\">Role</th><th>Port</th>");
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++)
		if (fields_tcp[f].page == FIELD_PAGE_SIGNALS)
			signal_heads(out, &fields_tcp[f]);
	text(out, "</tr>\n");
	json_array_foreach(ports, i, p) {
		if (!shown(doc, p))
			continue;
		row_start(out, p);
		for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++)
			if (fields_tcp[f].page == FIELD_PAGE_SIGNALS)
				signal_cells(out, doc, ns, p, &fields_tcp[f]);
		text(out, "</tr>\n");
	}
	text(out, "</table></div></details>\n");
}

void render_html_port_tables(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *ports)
{
	unsigned states[TCPH_STATE_MAX + 1], n_states = 0;
	const json_t *p;
	size_t i;
	bool any = false;

	/* The states that matter most always; the others only when some port has them. */
	for (unsigned s = 0; s < fields_page_states_count; s++) {
		const char *name = fields_state_name(fields_page_states[s].state);
		bool used = fields_page_states[s].always;

		json_array_foreach(ports, i, p)
			used |= !render_html_hidden(doc, p) && num(json_object_get(p, "states"), name) > 0;
		if (used && n_states < sizeof(states) / sizeof(states[0]))
			states[n_states++] = s;
	}
	json_array_foreach(ports, i, p)
		any |= shown(doc, p);
	text(out, "<h3>Connections by port</h3>\n");
	if (any) {
		ports_table(out, doc, ns, ports, states, n_states);
		signals_table(out, doc, ns, ports);
	} else {
		text(out, "<p class=\"none\">No TCP connections.</p>\n");
	}
	hidden_note(out, doc, ports);
}
