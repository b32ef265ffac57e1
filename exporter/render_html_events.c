/* render_html_events.c — the status page's account of what happened between scans, from
 * the tcp.events parts of the status document (status_events.c): "What happened since
 * HH:MM" at the top (the recent ring, newest first: the dead peer the kernel gave up on, by
 * address), and per namespace the listeners down since a time and the closed connections by
 * port and outcome. Times are UTC, as everywhere on the page. Every string is HTML-escaped. */
#include "render_html_doc.h"

#include "render_html.h"

#include <stdio.h>
#include <string.h>

#define str render_html_str
#define num render_html_num
#define flag render_html_flag
#define text render_html_text
#define esc render_html_escape
#define port_label render_html_port_label
#define duration render_html_duration

/* What an entry says, by kind or outcome: in short, and in full as the cell's tooltip; and
 * how loud: "bad" for a connection the kernel gave up on or a listener gone, "warn" for a
 * connect that failed or data thrown away. */
static const struct { const char *name, *words, *more, *level; } what_table[] = {
	{ "connect_refused", "Connect refused", "The peer answered the SYN with a reset: nothing "
	  "listens there", "warn" },
	{ "connect_timeout", "Connect timed out", "No answer to the SYNs until the kernel gave up "
	  "(net.ipv4.tcp_syn_retries)", "warn" },
	{ "retransmit_timeout", "Aborted: peer silent", "The peer stopped acknowledging data: the "
	  "kernel gave up retransmitting (net.ipv4.tcp_retries2)", "bad" },
	{ "keepalive_timeout", "Aborted: keepalive", "Keepalive probes went unanswered until the "
	  "kernel gave up (tcp_keepalive_probes)", "bad" },
	{ "zero_window_timeout", "Aborted: window shut", "The peer's receive window stayed shut "
	  "until the kernel gave up probing it", "bad" },
	{ "closed_unread", "Closed with data unread", "The application closed it with received data "
	  "it had not read: the kernel sent a reset", "warn" },
	{ "disconnected", "Disconnected", "Disconnected before it was freed: a refused blocking "
	  "connect, a close with SO_LINGER 0, or a queued connection dropped with its listener "
	  "(remote port and counters gone)", "warn" },
	{ "unconnected", "Never connected", "Bound or created, never connected", "" },
	{ "normal", "Closed normally", "None of the signs of a failure", "" },
	{ "listener_closed", "Listener closed", "A listening socket was freed (a restart closes it "
	  "too)", "bad" },
	{ "listener_down", "Stopped listening", "The last scan saw nothing listening on the port "
	  "that the one before saw", "bad" },
	{ "listener_up", "Listening again", "A scan saw the port listening again", "ok" },
};

static unsigned what_of(const json_t *e)
{
	const char *name = strcmp(str(e, "kind"), "close") == 0 ? str(e, "outcome") : str(e, "kind");

	for (unsigned i = 0; i < sizeof(what_table) / sizeof(what_table[0]); i++)
		if (strcmp(what_table[i].name, name) == 0)
			return i;
	return 7; /* unconnected: says nothing it does not know */
}

/* "22:41:13" of an RFC 3339 "2026-12-07T22:41:13Z" (the time element carries all of it). */
static void clock_time(struct expfmt_buf *out, const char *utc, bool seconds)
{
	size_t len = strlen(utc);

	text(out, "<time datetime=\"");
	esc(out, utc);
	text(out, "\" title=\"");
	esc(out, utc);
	text(out, "\">");
	if (len == 20 && utc[10] == 'T')
		expfmt_printf(out, "%.*s", seconds ? 8 : 5, utc + 11);
	else
		esc(out, utc);
	text(out, "</time>");
}

static void end_cell(struct expfmt_buf *out, const json_t *e, const char *which)
{
	const json_t *end = json_object_get(e, which);
	bool v6 = strcmp(str(e, "family"), "ipv6") == 0;

	expfmt_printf(out, "<td class=\"l %s\">", which);
	if (!json_is_object(end)) {
		text(out, "&ndash;</td>");
		return;
	}
	if (json_is_string(json_object_get(end, "address"))) {
		text(out, v6 ? "[" : "");
		esc(out, str(end, "address"));
		text(out, v6 ? "]" : "");
		expfmt_printf(out, ":%lld</td>", num(end, "port"));
	} else {
		expfmt_printf(out, "port %lld</td>", num(end, "port")); /* a scan's: no address */
	}
}

static void recent_row(struct expfmt_buf *out, const json_t *e, bool per_netns)
{
	unsigned w = what_of(e);
	bool info = json_is_integer(json_object_get(e, "retransmits"));

	text(out, "<tr data-kind=\"");
	esc(out, str(e, "kind"));
	text(out, "\" data-outcome=\"");
	esc(out, str(e, "outcome"));
	expfmt_printf(out, "\" data-role=\"%s\" data-port=\"", str(e, "role"));
	port_label(out, e);
	text(out, "\"><td class=\"l\">");
	clock_time(out, str(e, "time_utc"), true);
	text(out, "</td>");
	if (per_netns) {
		text(out, "<td class=\"l\">");
		esc(out, str(e, "netns"));
		text(out, "</td>");
	}
	expfmt_printf(out, "<td class=\"l what %s\" title=\"%s\">%s</td><td class=\"l\">%s ",
		      what_table[w].level, what_table[w].more, what_table[w].words, str(e, "role"));
	port_label(out, e);
	text(out, "</td>");
	end_cell(out, e, "local");
	end_cell(out, e, "remote");
	if (info)
		expfmt_printf(out, "<td>%lld</td><td>%lld</td><td>%lld</td><td>%lld B / %lld B</td>",
			      num(e, "retransmits"), num(e, "probes"), num(e, "total_retrans"),
			      num(e, "bytes_acked"), num(e, "bytes_received"));
	else
		text(out, "<td>&ndash;</td><td>&ndash;</td><td>&ndash;</td><td>&ndash;</td>");
	text(out, "<td class=\"l\"><span class=\"proc\">");
	esc(out, str(e, "process"));
	text(out, "</span></td></tr>\n");
}

void render_html_events(struct expfmt_buf *out, const json_t *doc)
{
	const json_t *events = json_object_get(doc, "events"), *list = json_object_get(events, "recent"), *e;
	bool per_netns = json_is_object(json_object_get(doc, "netns"));
	size_t n = json_array_size(list), i;
	long long recorded = num(events, "recorded_total");
	/* The page can say what happened since the collector started only while the ring has
	 * not wrapped; after, since its oldest entry. */
	const char *since = (long long)n < recorded && n ? str(json_array_get(list, n - 1), "time_utc")
							 : str(events, "since_utc");

	if (!json_is_object(events))
		return;
	expfmt_printf(out, "<section id=\"events\" data-recorded=\"%lld\" data-shown=\"%zu\"><h2>What happened "
			   "since ", recorded, n);
	clock_time(out, since, false);
	text(out, " UTC</h2>\n");
	if (!n) {
		text(out, "<p class=\"none\" id=\"events-none\">No connection closed other than normally, "
			  "and no listener closed or stopped listening, since then.</p></section>\n");
		return;
	}
	expfmt_printf(out, "<p class=\"none\">Connections that did not close normally, listening sockets "
			   "closed and listeners the scans saw stop or start, newest first: ");
	if ((long long)n < recorded)
		expfmt_printf(out, "the last %zu of %lld since ", n, recorded);
	else
		expfmt_printf(out, "all %zu since ", n);
	clock_time(out, str(events, "since_utc"), true);
	text(out, " (--collector.tcp.events.recent). Retransmissions and probes are the kernel's "
		  "count when it freed the socket.</p>\n<div class=\"scroll\"><table class=\"events\"><tr>"
		  "<th class=\"l\">Time</th>");
	if (per_netns)
		text(out, "<th class=\"l\">Namespace</th>");
	text(out, "<th class=\"l\">What</th><th class=\"l\">Port</th><th class=\"l\">Local</th>"
		  "<th class=\"l\">Remote</th><th>Retrans&shy;missions</th><th>Probes</th>"
		  "<th>Retransmitted in all</th><th>Sent acked / received</th><th class=\"l\">Process</th></tr>\n");
	json_array_foreach(list, i, e)
		recent_row(out, e, per_netns);
	text(out, "</table></div></section>\n");
}

bool render_html_down_since(struct expfmt_buf *out, const json_t *doc, const json_t *ns, long long port)
{
	const json_t *d, *scan = json_object_get(doc, "scan");
	size_t i;

	json_array_foreach(json_object_get(json_object_get(ns, "events"), "listeners_down"), i, d) {
		if (num(d, "port") != port)
			continue;
		expfmt_printf(out, "<span class=\"down-since\" data-port=\"%lld\">%lld down since ", port, port);
		clock_time(out, str(d, "since_utc"), true);
		text(out, " UTC (");
		/* Whole seconds: "0 s ago", not "12 ms ago". */
		duration(out, (double)(long long)(json_number_value(json_object_get(scan, "time")) -
						  json_number_value(json_object_get(d, "since"))));
		text(out, " ago)</span>");
		return true;
	}
	return false;
}

/* The outcomes with a count in any of the namespace's rows, "normal" always. */
static unsigned used_outcomes(const json_t *ports, const char *names[], unsigned max)
{
	const json_t *first = json_object_get(json_array_get(ports, 0), "closed"), *p, *v;
	const char *key;
	unsigned n = 0;
	size_t i;

	json_object_foreach((json_t *)first, key, v) {
		bool used = strcmp(key, "normal") == 0;

		json_array_foreach(ports, i, p)
			used |= num(json_object_get(p, "closed"), key) > 0;
		if (used && n < max)
			names[n++] = key;
	}
	return n;
}

static void closes_row(struct expfmt_buf *out, const json_t *p, const char *names[], unsigned n)
{
	const json_t *closed = json_object_get(p, "closed");
	long long sent = num(p, "segments_sent_total"), retrans = num(p, "segments_retransmitted_total");

	expfmt_printf(out, "<tr data-role=\"%s\" data-port=\"", str(p, "role"));
	port_label(out, p);
	expfmt_printf(out, "\"><td class=\"l\">%s</td><td class=\"l\">", str(p, "role"));
	port_label(out, p);
	expfmt_printf(out, "</td><td data-key=\"closed_total\">%lld</td>", num(p, "closed_total"));
	for (unsigned k = 0; k < n; k++) {
		long long v = num(closed, names[k]);
		const char *level = "";

		for (unsigned w = 0; w < sizeof(what_table) / sizeof(what_table[0]); w++)
			if (strcmp(what_table[w].name, names[k]) == 0)
				level = what_table[w].level;
		expfmt_printf(out, "<td data-key=\"closed.%s\" class=\"%s\">%lld</td>", names[k],
			      v == 0 ? "zero" : strcmp(level, "bad") == 0 ? "alert critical" :
			      strcmp(level, "warn") == 0 ? "alert warning" : "", v);
	}
	if (json_is_integer(json_object_get(p, "listener_closed_total")))
		expfmt_printf(out, "<td data-key=\"listener_closed_total\"%s>%lld</td>",
			      num(p, "listener_closed_total") ? " class=\"alert critical\"" : " class=\"zero\"",
			      num(p, "listener_closed_total"));
	else
		text(out, "<td class=\"zero\">&ndash;</td>");
	if (sent > 0)
		expfmt_printf(out, "<td data-key=\"retransmission_ratio\">%.2f %%</td>", 100.0 * (double)retrans / (double)sent);
	else
		text(out, "<td data-key=\"retransmission_ratio\" class=\"zero\">&ndash;</td>");
	text(out, "</tr>\n");
}

/* A row of the closes table: one that counted a close, not the exporter's own port. */
static bool closes_shown(const json_t *doc, const json_t *p)
{
	return (num(p, "closed_total") > 0 || num(p, "listener_closed_total") > 0) && !render_html_hidden(doc, p);
}

void render_html_events_namespace(struct expfmt_buf *out, const json_t *doc, const json_t *ns)
{
	const json_t *ev = json_object_get(ns, "events"), *ports = json_object_get(ev, "ports"), *p, *d;
	const json_t *events = json_object_get(doc, "events");
	const char *names[16];
	unsigned n_names;
	size_t i, shown = 0;
	bool hidden = false;

	if (!json_is_object(ev))
		return;
	json_array_foreach(json_object_get(ev, "listeners_down"), i, d) {
		if (i == 0)
			text(out, "<div class=\"banner bad\" id=\"listeners-down\">Stopped listening (seen by "
				  "the scans, not listening since):<ul>");
		text(out, "<li>");
		render_html_down_since(out, doc, ns, num(d, "port"));
		text(out, "</li>");
	}
	if (json_array_size(json_object_get(ev, "listeners_down")))
		text(out, "</ul></div>\n");
	text(out, "<h3>Closed connections since ");
	clock_time(out, str(events, "since_utc"), false);
	text(out, " UTC</h3>\n");
	expfmt_printf(out, "<p class=\"scan-events\">tcp.events: <span data-key=\"events_total\">%lld</span> "
			   "sockets freed, <span data-key=\"lost_total\"%s>%lld</span> receive-buffer "
			   "overruns (events lost), receive buffer <span data-key=\"receive_buffer_bytes\">%lld"
			   "</span> B%s</p>\n", num(ev, "events_total"),
		      num(ev, "lost_total") ? " class=\"alert warning\"" : "", num(ev, "lost_total"),
		      num(ev, "receive_buffer_bytes"), flag(ev, "subscribed") ? "" : "; <b>not subscribed</b>");
	json_array_foreach(ports, i, p)
		shown += closes_shown(doc, p);
	if (!shown) {
		text(out, "<p class=\"none\">No connection on a labelled port has closed yet.</p>\n");
		return;
	}
	n_names = used_outcomes(ports, names, sizeof(names) / sizeof(names[0]));
	text(out, "<div class=\"scroll\"><table class=\"closes\"><tr><th class=\"l\">Role</th>"
		  "<th class=\"l\">Port</th><th>Closed</th>");
	for (unsigned k = 0; k < n_names; k++) {
		text(out, "<th>");
		esc(out, names[k]);
		text(out, "</th>");
	}
	text(out, "<th>Listener closes</th><th>Retransmitted of sent</th></tr>\n");
	json_array_foreach(ports, i, p) {
		if (closes_shown(doc, p))
			closes_row(out, p, names, n_names);
		hidden |= render_html_hidden(doc, p);
	}
	expfmt_printf(out, "</table></div>\n<p class=\"none\">Rows with no close%s are left out; every "
			   "label set is in the JSON and in /metrics (tcp_health_connections_closed_total).</p>\n",
		      hidden ? ", and the exporter's own port's (as in the per-port table)," : "");
}
