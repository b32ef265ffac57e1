/* render_html.c — the status page, from the status document (see render_html.h).
 *
 * Layout, top to bottom: what is wrong (collector failures, thresholds crossed), then per
 * network namespace: the scan line, expected services as tiles (the red light), every
 * listening port, the per-port table with the cells the alert rules would fire on
 * highlighted and the "more signals by port" table under it, the worst connections, and the
 * kernel's settings in words. The scan line and the per-port tables are drawn from the rows
 * of the views' field table (fields.h) by render_html_fields.c; what a cell is judged by
 * comes from the same rows, its colour from the alert's severity in the rules (critical red,
 * warning yellow, info blue). Elements carry data-* attributes so that tests and scripts can
 * find them without parsing text. */
#include "render_html.h"

#include "fields.h"
#include "render_html_doc.h"
#include "status.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Short names for the shared helpers (render_html_doc.h). */
#define str render_html_str
#define num render_html_num
#define flag render_html_flag
#define has_alert render_html_has_alert
#define text render_html_text
#define esc render_html_escape
#define port_label render_html_port_label
#define duration render_html_duration
#define alert_attributes render_html_alert_attributes

/* Optional: keeps "N s ago" current between reloads. */
const char render_html_script[] =
	"(function(){var e=document.getElementById('age');if(!e)return;"
	"var t=parseFloat(e.getAttribute('data-time'));function u(){var s=Math.max(0,"
	"Math.round(Date.now()/1000-t));e.textContent=s+' s ago';}u();setInterval(u,1000);})();";

/* ---- reading the document --------------------------------------------------------------- */

const char *render_html_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

long long render_html_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : (long long)json_number_value(v);
}

static double real(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

bool render_html_flag(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

bool render_html_has_alert(const json_t *row, const char *alert)
{
	const json_t *alerts = json_object_get(row, "alerts"), *a;
	size_t i;

	json_array_foreach(alerts, i, a)
		if (json_is_string(a) && strcmp(json_string_value(a), alert) == 0)
			return true;
	return false;
}

/* ---- writing -------------------------------------------------------------------------------- */

void render_html_escape(struct expfmt_buf *out, const char *text)
{
	const char *run = text;

	for (const char *p = text; *p; p++) {
		const char *rep;

		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		expfmt_append(out, run, (size_t)(p - run));
		expfmt_append(out, rep, strlen(rep));
		run = p + 1;
	}
	expfmt_append(out, run, strlen(run));
}

void render_html_text(struct expfmt_buf *out, const char *s)
{
	expfmt_append(out, s, strlen(s));
}


/* "1720", or "other". */
void render_html_port_label(struct expfmt_buf *out, const json_t *o)
{
	if (flag(o, "other"))
		text(out, "other");
	else
		expfmt_printf(out, "%lld", num(o, "port"));
}

/* The rule that a cell's alert comes from, for its tooltip. */
static void alert_title(struct expfmt_buf *out, const json_t *doc, const char *alert)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(doc, "thresholds"), i, t) {
		if (strcmp(str(t, "alert"), alert) != 0)
			continue;
		text(out, " title=\"");
		esc(out, alert);
		text(out, ": ");
		esc(out, str(t, "name"));
		text(out, " ");
		esc(out, str(t, "op"));
		expfmt_printf(out, " %g; fires after ", real(t, "value"));
		esc(out, str(t, "for"));
		text(out, "\"");
		return;
	}
}

/* The severity of `alert` in the rules, as the document gives it: in its thresholds, or in
 * an entry of the namespace's alerts (those judged without a threshold, ListenerDown). */
static const char *severity(const json_t *doc, const json_t *ns, const char *alert)
{
	const json_t *lists[2] = { json_object_get(doc, "thresholds"), json_object_get(ns, "alerts") };
	const json_t *t;
	size_t i;

	for (unsigned l = 0; l < 2; l++)
		json_array_foreach(lists[l], i, t)
			if (strcmp(str(t, "alert"), alert) == 0 && *str(t, "severity"))
				return str(t, "severity");
	return "warning";
}

/* The attributes of a cell or tile the row's `alert` marks: class "alert SEVERITY". */
void render_html_alert_attributes(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const char *alert)
{
	text(out, " class=\"alert ");
	esc(out, severity(doc, ns, alert));
	text(out, "\" data-alert=\"");
	esc(out, alert);
	text(out, "\"");
	alert_title(out, doc, alert);
}

static void endpoint(struct expfmt_buf *out, const json_t *c, const char *which)
{
	char key[32];

	snprintf(key, sizeof(key), "%s_address", which);
	if (strcmp(str(c, "family"), fields_family_names[TCPAGG_IPV6]) == 0) {
		text(out, "[");
		esc(out, str(c, key));
		text(out, "]");
	} else {
		esc(out, str(c, key));
	}
	snprintf(key, sizeof(key), "%s_port", which);
	expfmt_printf(out, ":%lld", num(c, key));
}

void render_html_duration(struct expfmt_buf *out, double seconds)
{
	char words[64];

	status_duration_text(seconds, words, sizeof(words));
	text(out, words);
}

/* ---- sections ------------------------------------------------------------------------------- */

static void addresses(struct expfmt_buf *out, const json_t *listener)
{
	const json_t *a;
	size_t i;

	json_array_foreach(json_object_get(listener, fields_tcp[FIELD_LISTENER_INFO_ROW].json), i, a) {
		if (i)
			text(out, ", ");
		text(out, "<span class=\"addr\">");
		esc(out, str(a, "address"));
		text(out, "</span>");
	}
	if (flag(listener, "loopback_only"))
		text(out, " <span class=\"flag loopback\" title=\"bound to a loopback address only: "
			  "other hosts cannot connect\">loopback only</span>");
}

/* The distinct processes of a listener's addresses. */
static void processes(struct expfmt_buf *out, const json_t *listener)
{
	const json_t *addrs = json_object_get(listener, fields_tcp[FIELD_LISTENER_INFO_ROW].json), *a, *b;
	size_t i, j;
	bool any = false;

	json_array_foreach(addrs, i, a) {
		const char *p = str(a, "process");
		bool seen = false;

		if (!*p)
			continue;
		json_array_foreach(addrs, j, b) {
			if (j >= i)
				break;
			if (strcmp(str(b, "process"), p) == 0)
				seen = true;
		}
		if (seen)
			continue;
		text(out, any ? ", " : "");
		text(out, "<span class=\"proc\">");
		esc(out, p);
		text(out, "</span>");
		any = true;
	}
	if (!any)
		text(out, "<span class=\"none\" title=\"the owner is not known: the exporter may lack "
			  "CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH\">unknown</span>");
}

/* The value at `key` of `o`, or at "b" of its sub-object "a" for "a.b". */
static const json_t *at_key(const json_t *o, const char *key)
{
	const char *dot = strchr(key, '.');
	char outer[32];

	if (!dot)
		return json_object_get(o, key);
	snprintf(outer, sizeof(outer), "%.*s", (int)(dot - key), key);
	return json_object_get(json_object_get(o, outer), dot + 1);
}

/* Whether row `g` shares the listening ports table's cell of row `f` (the same title). */
static bool same_cell(unsigned f, unsigned g)
{
	return g < FIELDS_TCP_COUNT && fields_tcp[g].page == FIELD_PAGE_LISTENERS &&
	       strcmp(fields_tcp[g].column, fields_tcp[f].column) == 0;
}

/* The cell of listener numbers: row `f`'s and those of the rows sharing its cell, "0 / 128",
 * then the share status.c judges beside them in their sub-object, "(0%)". */
static void listener_numbers(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *listener,
			     unsigned f, bool td)
{
	const char *alert = fields_row_alert(&fields_tcp[f]), *dot = strchr(fields_tcp[f].json, '.');

	if (td) {
		text(out, "<td");
		if (alert && has_alert(listener, alert))
			alert_attributes(out, doc, ns, alert);
		text(out, ">");
	}
	for (unsigned g = f; same_cell(f, g); g++)
		expfmt_printf(out, "%s%lld", g > f ? " / " : "",
			      (long long)json_integer_value(at_key(listener, fields_tcp[g].json)));
	if (dot) {
		char outer[32];

		snprintf(outer, sizeof(outer), "%.*s", (int)(dot - fields_tcp[f].json), fields_tcp[f].json);
		expfmt_printf(out, " (%.0f%%)", real(json_object_get(listener, outer), "fill") * 100);
	}
	if (td)
		text(out, "</td>");
}

/* "critical", "warning" or "info": the most severe alert of a row; NULL for none. */
static const char *worst_severity(const json_t *doc, const json_t *ns, const json_t *row)
{
	static const char *const order[] = { "critical", "warning", "info" };
	const json_t *a;
	size_t i;

	for (unsigned o = 0; o < 3; o++)
		json_array_foreach(json_object_get(row, "alerts"), i, a)
			if (json_is_string(a) && strcmp(severity(doc, ns, json_string_value(a)), order[o]) == 0)
				return order[o];
	return NULL;
}

static void tiles(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *listeners)
{
	const json_t *l;
	size_t i;
	bool any = false;

	json_array_foreach(listeners, i, l) {
		bool up = flag(l, "up");
		const char *sev = worst_severity(doc, ns, l);

		if (!flag(l, "expected"))
			continue;
		if (!any)
			text(out, "<h3>Expected services</h3>\n<div class=\"tiles\">\n");
		any = true;
		expfmt_printf(out, "<div class=\"tile %s%s%s\" data-port=\"%lld\" data-state=\"%s\"",
			      up ? "up" : "down", sev ? " " : "", sev ? sev : "", num(l, "port"),
			      up ? "up" : "down");
		if (sev)
			expfmt_printf(out, " data-severity=\"%s\"", sev);
		expfmt_printf(out, "><span class=\"state\">%s</span><div class=\"port\">%lld</div>",
			      up ? "UP" : "DOWN", num(l, "port"));
		if (!up) {
			text(out, "<div>Nothing listens on this port: connections are refused.</div><div>");
			render_html_down_since(out, doc, ns, num(l, "port"));
			text(out, "</div>");
		} else {
			text(out, "<div>Process: ");
			processes(out, l);
			text(out, "</div><div>Bound to: ");
			addresses(out, l);
			text(out, "</div><div>Accept queue: ");
			listener_numbers(out, doc, ns, l, FIELD_LISTEN_QUEUE_LENGTH, false);
			text(out, "</div>");
		}
		text(out, "</div>\n");
	}
	if (any)
		text(out, "</div>\n");
}

/* The header cells of the listening ports table's rows: a listener-info row has two columns,
 * the owners and the addresses. */
static void listener_heads(struct expfmt_buf *out)
{
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];

		if (row->page != FIELD_PAGE_LISTENERS || (f && same_cell(f - 1, f)))
			continue;
		if (row->kind == FIELD_LISTENER_INFO)
			expfmt_printf(out, "<th class=\"l\">Process</th><th class=\"l\">%s</th>", row->column);
		else
			expfmt_printf(out, "<th>%s</th>", row->column);
	}
}

/* A listener's cells of the rows placed in the listening ports table, by their kind. */
static void listener_cells(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *l)
{
	bool up = flag(l, fields_tcp[FIELD_LISTENER_UP_ROW].json);

	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];
		const char *alert = fields_row_alert(row);

		if (row->page != FIELD_PAGE_LISTENERS || (f && same_cell(f - 1, f)))
			continue;
		switch (row->kind) {
		case FIELD_LISTENER_UP:
			text(out, "<td");
			if (alert && has_alert(l, alert))
				alert_attributes(out, doc, ns, alert);
			expfmt_printf(out, ">%s</td>", flag(l, row->json) ? "up" : "<b>DOWN</b>");
			break;
		case FIELD_LISTENER_INFO:
			text(out, "<td class=\"l\">");
			if (up)
				processes(out, l);
			text(out, "</td><td class=\"l\">");
			addresses(out, l);
			text(out, "</td>");
			break;
		default:
			if (up)
				listener_numbers(out, doc, ns, l, f, true);
			else
				text(out, "<td>&ndash;</td>"); /* nothing listens: no queue */
			break;
		}
	}
}

static void listening(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *listeners)
{
	const json_t *l;
	size_t i;
	bool any = false;

	text(out, "<h3>Listening ports</h3>\n");
	json_array_foreach(listeners, i, l) {
		bool up = flag(l, fields_tcp[FIELD_LISTENER_UP_ROW].json);

		if (!up && !flag(l, "expected"))
			continue;
		if (!any) {
			text(out, "<div class=\"scroll\"><table class=\"listeners\"><tr><th>Port</th>");
			listener_heads(out);
			text(out, "<th>Sockets</th></tr>\n");
		}
		any = true;
		expfmt_printf(out, "<tr data-port=\"%lld\"%s><td>%lld%s</td>", num(l, "port"),
			      up ? "" : " class=\"down\"", num(l, "port"), flag(l, "expected") ? " &#9733;" : "");
		listener_cells(out, doc, ns, l);
		expfmt_printf(out, "<td>%lld</td></tr>\n", num(l, "sockets"));
	}
	if (any)
		text(out, "</table></div>\n<p class=\"none\">&#9733; expected (--listen-ports)</p>\n");
	else
		text(out, "<p class=\"none\">No listening TCP socket.</p>\n");
}

static void worst(struct expfmt_buf *out, const json_t *worst_connections)
{
	text(out, "<h3>Worst connections</h3>\n");
	for (unsigned k = 0; k < TCPAGG_WORST_KINDS; k++) {
		const char *name = tcpagg_worst_name(k);
		const json_t *kind = json_object_get(worst_connections, name), *c;
		const json_t *list = json_object_get(kind, "connections");
		bool seconds = strcmp(str(kind, "unit"), "seconds") == 0;
		size_t i;

		expfmt_printf(out, "<h4 data-kind=\"%s\">%s: %lld</h4>\n", name, fields_worst[k].title,
			      num(kind, "total"));
		if (json_array_size(list) == 0)
			continue;
		expfmt_printf(out, "<p class=\"none\">");
		esc(out, str(kind, "description"));
		if ((long long)json_array_size(list) < num(kind, "total"))
			expfmt_printf(out, " The worst %zu are shown.", json_array_size(list));
		text(out, "</p>\n");
		expfmt_printf(out, "<div class=\"scroll\"><table class=\"worst\" data-kind=\"%s\"><tr>"
				   "<th class=\"l\">Local</th><th class=\"l\">Remote</th><th class=\"l\">State</th>"
				   "<th>%s</th><th>Silent for</th><th>Send queue</th><th class=\"l\">Process</th>"
				   "</tr>\n", name, seconds ? "For" : str(kind, "unit"));
		json_array_foreach(list, i, c) {
			const json_t *silent = json_object_get(c, "silent_seconds");

			text(out, "<tr><td class=\"l\">");
			endpoint(out, c, "local");
			text(out, "</td><td class=\"l remote\">");
			endpoint(out, c, "remote");
			expfmt_printf(out, "</td><td class=\"l\">%s</td><td>", str(c, "state"));
			if (seconds)
				duration(out, real(c, "value"));
			else
				expfmt_printf(out, "%lld", num(c, "value"));
			text(out, "</td><td>");
			if (json_is_number(silent))
				duration(out, json_number_value(silent));
			else
				text(out, "&ndash;");
			expfmt_printf(out, "</td><td>%lld B</td><td class=\"l\"><span class=\"proc\">",
				      num(c, "send_queue_bytes"));
			esc(out, str(c, "process"));
			text(out, "</span></td></tr>\n");
		}
		text(out, "</table></div>\n");
	}
}

static void kernel(struct expfmt_buf *out, const json_t *ns)
{
	const json_t *kernel = json_object_get(ns, "kernel"), *e, *counters = json_object_get(ns, "counters");
	const char *key;
	const json_t *v;
	size_t i;

	text(out, "<h3>Kernel settings</h3>\n<ul class=\"kernel\">\n");
	json_array_foreach(json_object_get(kernel, "explained"), i, e) {
		text(out, "<li>");
		esc(out, str(e, "text"));
		text(out, "</li>\n");
	}
	text(out, "</ul>\n<details><summary>Kernel counters (since boot)</summary><div class=\"scroll\">"
		  "<table class=\"counters\">\n");
	json_object_foreach((json_t *)counters, key, v) {
		text(out, "<tr><td class=\"l\">");
		esc(out, key);
		expfmt_printf(out, "</td><td>%lld</td></tr>\n", (long long)json_integer_value(v));
	}
	text(out, "</table></div></details>\n");
}

/* The namespace's alerts, each in its severity's colour. */
static void alert_list(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *alerts)
{
	const json_t *a;
	size_t i;

	text(out, "<ul>");
	json_array_foreach(alerts, i, a) {
		const char *sev = severity(doc, ns, str(a, "alert"));

		text(out, "<li data-alert=\"");
		esc(out, str(a, "alert"));
		text(out, "\" data-severity=\"");
		esc(out, sev);
		text(out, "\" class=\"");
		esc(out, sev);
		text(out, "\">");
		esc(out, str(a, "alert"));
		if (json_object_get(a, "port")) {
			expfmt_printf(out, ": %s port ", str(a, "role"));
			port_label(out, a);
		} else if (json_object_get(a, "role")) {
			expfmt_printf(out, ": %s", str(a, "role"));
		}
		if (json_is_string(json_object_get(a, "threshold")))
			expfmt_printf(out, " (value %g)", real(a, "value"));
		text(out, "</li>");
	}
	text(out, "</ul>");
}

static void namespace(struct expfmt_buf *out, const json_t *doc, const json_t *ns, bool per_netns,
		      bool open)
{
	const json_t *tcp = json_object_get(ns, "tcp"), *alerts = json_object_get(ns, "alerts");

	if (per_netns) {
		text(out, "<details class=\"ns\" data-netns=\"");
		esc(out, str(ns, "netns"));
		expfmt_printf(out, "\"%s><summary>Namespace ", open ? " open" : "");
		esc(out, str(ns, "netns"));
		if (*str(ns, "pod_uid")) {
			text(out, " &middot; pod ");
			esc(out, str(ns, "pod_uid"));
		}
		if (*str(ns, "container_id")) {
			text(out, " &middot; container ");
			esc(out, str(ns, "container_id"));
		}
		if (json_array_size(alerts))
			expfmt_printf(out, " &middot; <span style=\"color:var(--bad)\">%zu threshold%s crossed</span>",
				      json_array_size(alerts), json_array_size(alerts) == 1 ? "" : "s");
		text(out, "</summary>\n");
	}
	if (json_array_size(alerts)) {
		const json_t *a;
		size_t i;
		bool critical = false;

		json_array_foreach(alerts, i, a)
			critical |= strcmp(severity(doc, ns, str(a, "alert")), "critical") == 0;
		expfmt_printf(out, "<div class=\"banner %s\">Over an alert threshold now (the alert fires "
				   "if it lasts for the rule's duration):", critical ? "bad" : "warn");
		alert_list(out, doc, ns, alerts);
		text(out, "</div>\n");
	}
	if (!json_is_object(tcp)) {
		text(out, "<div class=\"banner bad\">No socket data: the tcp collector failed or is "
			  "disabled.</div>\n");
	} else {
		render_html_scan_line(out, doc, ns, tcp);
		tiles(out, doc, ns, json_object_get(tcp, "listeners"));
		listening(out, doc, ns, json_object_get(tcp, "listeners"));
		render_html_port_tables(out, doc, ns, json_object_get(tcp, "ports"));
	}
	render_html_events_namespace(out, doc, ns);
	if (json_is_object(tcp))
		worst(out, json_object_get(tcp, "worst_connections"));
	kernel(out, ns);
	if (per_netns)
		text(out, "</details>\n");
}

int render_html(const json_t *doc, const char *telemetry_path, struct expfmt_buf *out)
{
	const json_t *exporter = json_object_get(doc, "exporter"), *scan = json_object_get(doc, "scan");
	const json_t *c, *ns, *netns = json_object_get(doc, "netns"), *t;
	size_t i;
	bool failed = false;

	text(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	expfmt_printf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n<title>TCP health &middot; ",
		      RENDER_HTML_REFRESH_SECONDS);
	esc(out, str(exporter, "hostname"));
	text(out, "</title>\n");
	text(out, render_html_style);
	expfmt_printf(out, "</head>\n<body>\n<header id=\"top\" data-scan=\"%lld\"><h1>TCP health of ",
		      num(scan, "number"));
	esc(out, str(exporter, "hostname"));
	expfmt_printf(out, "</h1>\n<p class=\"meta\">Scan #%lld at <time datetime=\"%s\">%s</time> "
			   "(<span id=\"age\" data-time=\"%.3f\">as of this page</span>), took ",
		      num(scan, "number"), str(scan, "time_utc"), str(scan, "time_utc"), real(scan, "time"));
	duration(out, real(scan, "duration_seconds"));
	text(out, " and ");
	duration(out, real(scan, "cpu_seconds"));
	text(out, " of CPU (collectors ");
	duration(out, real(scan, "collectors_seconds"));
	text(out, ")");
	text(out, " &middot; <a href=\"");
	esc(out, telemetry_path);
	text(out, "\">metrics</a> &middot; <a href=\"api/v1/status\">JSON</a> &middot; tcp_health_exporter ");
	esc(out, str(exporter, "version"));
	text(out, "</p></header>\n<main>\n");

	json_array_foreach(json_object_get(doc, "collectors"), i, c) {
		if (!flag(c, "enabled") || flag(c, "success"))
			continue;
		if (!failed)
			text(out, "<div class=\"banner bad\" id=\"collector-failures\">Collector failures "
				  "(what they could still read is shown):<ul>");
		failed = true;
		text(out, "<li data-collector=\"");
		esc(out, str(c, "name"));
		text(out, "\">");
		esc(out, str(c, "name"));
		text(out, ": ");
		esc(out, str(c, "error"));
		text(out, "</li>");
	}
	if (failed)
		text(out, "</ul></div>\n");
	else
		text(out, "<div class=\"banner\" id=\"collector-failures\">Every collector succeeded in "
			  "this scan.</div>\n");
	if (json_is_object(netns)) {
		expfmt_printf(out, "<p>Network namespaces (--netns=%s): %lld found, %lld scanned",
			      str(scan, "netns_mode"), num(netns, "found"), num(netns, "scanned"));
		if (num(netns, "over_limit"))
			expfmt_printf(out, ", <b>%lld over --netns.max</b>", num(netns, "over_limit"));
		text(out, ".</p>\n");
	}
	render_html_events(out, doc);
	json_array_foreach(json_object_get(doc, "namespaces"), i, ns) {
		const json_t *tcp = json_object_get(ns, "tcp");
		bool busy = json_is_object(tcp) && (json_array_size(json_object_get(tcp, "listeners")) ||
						     json_array_size(json_object_get(ns, "alerts")));

		namespace(out, doc, ns, json_is_object(netns), i == 0 || busy);
	}
	text(out, "</main>\n<footer><details><summary>Highlighted cells cross a threshold of the "
		  "shipped alert rules</summary><ul>");
	json_array_foreach(json_object_get(doc, "thresholds"), i, t) {
		text(out, "<li>");
		esc(out, str(t, "alert"));
		text(out, ": ");
		esc(out, str(t, "name"));
		text(out, " ");
		esc(out, str(t, "op"));
		expfmt_printf(out, " %g, for ", real(t, "value"));
		esc(out, str(t, "for"));
		text(out, "</li>");
	}
	expfmt_printf(out, "</ul></details>Idle threshold %llds; %lld worst connections per kind. The "
			   "page reloads every %d s.</footer>\n",
		      num(scan, "idle_threshold_seconds"), num(scan, "worst_connections_per_kind"),
		      RENDER_HTML_REFRESH_SECONDS);
	text(out, "<script>");
	text(out, render_html_script);
	text(out, "</script>\n</body></html>\n");
	return out->error;
}
