/* test_status.c — the status document (exporter/status.c), the status page rendered from it
 * (exporter/render_html.c) and the UTF-8 checks their strings rely on (lib/utf8.c).
 *
 * The document is built from a real snapshot: the collectors run as in test_golden.c, on
 * tests/data/proc and the recorded dumps tests/data/dump_ipv4.bin and dump_ipv6.bin,
 * expecting ports 1202 and 3720 (which listen) and 5060 (which does not). Its numbers are
 * checked against the exposition render_metrics writes from the same snapshot (the views
 * must agree) and a few against tests/data/golden/metrics.prom. */
#include "../../collectors/collectors.h"
#include "../../collectors/sockdiag.h"
#include "../../exporter/expfmt.h"
#include "../../exporter/fields.h"
#include "../../exporter/render_html.h"
#include "../../exporter/render_metrics.h"
#include "../../exporter/snapshot.h"
#include "../../exporter/status.h"
#include "../../lib/utf8.h"
#include "replay.h"
#include "views.h"
#include "unit.h"

#include <errno.h>
#include <linux/netlink.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* ---- utf8 --------------------------------------------------------------------------------- */

/* Sanitizes a copy of `in` and checks it against `want` (same length), the count of replaced
 * bytes, and utf8_valid before (`valid`) and after (always). */
static void check_sanitize(const char *in, const char *want, unsigned replaced, bool valid)
{
	char buf[64];
	size_t len = strlen(in);

	ck_assert_uint_lt(len, sizeof(buf));
	ck_assert_uint_eq(strlen(want), len);
	memcpy(buf, in, len + 1);
	ck_assert_msg(utf8_valid(in) == valid, "utf8_valid(\"%s\") is %d", want, !valid);
	ck_assert_uint_eq(utf8_sanitize(buf), replaced);
	ck_assert_uint_eq(strlen(buf), len);
	ck_assert_msg(memcmp(buf, want, len + 1) == 0, "sanitized to '%s', want '%s'", buf, want);
	ck_assert(utf8_valid(buf));
	/* Sanitizing is idempotent. */
	ck_assert_uint_eq(utf8_sanitize(buf), 0);
	ck_assert_msg(memcmp(buf, want, len + 1) == 0, "second pass changed '%s'", want);
}

START_TEST(utf8_well_formed_unchanged)
{
	static const char *const texts[] = {
		"",
		"nginx",
		"postgres: wal",
		"caf\xc3\xa9",				/* U+00E9 */
		"\xc2\xa0x",				/* U+00A0 */
		"\xe2\x82\xac 5",			/* U+20AC */
		"\xe0\xa0\x80",				/* U+0800, the smallest 3-byte */
		"\xed\x9f\xbf",				/* U+D7FF, just below the surrogates */
		"\xee\x80\x80",				/* U+E000, just above them */
		"\xef\xbf\xbf",				/* U+FFFF */
		"\xf0\x90\x80\x80",			/* U+10000, the smallest 4-byte */
		"\xf0\x9f\x98\x80 ok",			/* U+1F600 */
		"\xf4\x8f\xbf\xbf",			/* U+10FFFF, the largest */
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", /* three 3-byte characters */
		"~ !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}",
	};

	for (unsigned i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_sanitize(texts[i], texts[i], 0, true);
}
END_TEST

START_TEST(utf8_ill_formed_replaced)
{
	/* Overlong forms: '/' as two, three and four bytes, NUL as two, U+07FF as three. */
	check_sanitize("a\xc0\xaf" "b", "a??b", 2, false);
	check_sanitize("\xc1\xbf", "??", 2, false);
	check_sanitize("\xe0\x80\xaf", "???", 3, false);
	check_sanitize("\xe0\x9f\xbf", "???", 3, false);
	check_sanitize("\xf0\x80\x80\xaf", "????", 4, false);
	check_sanitize("\xf0\x8f\xbf\xbf", "????", 4, false);
	check_sanitize("x\xc0\x80y", "x??y", 2, false);
	/* Surrogates: U+D800, U+DBFF, U+DC00, U+DFFF. */
	check_sanitize("\xed\xa0\x80", "???", 3, false);
	check_sanitize("a\xed\xaf\xbf" "b", "a???b", 3, false);
	check_sanitize("\xed\xb0\x80", "???", 3, false);
	check_sanitize("\xed\xbf\xbf", "???", 3, false);
	/* Above U+10FFFF, and lead bytes that can never start a sequence. */
	check_sanitize("\xf4\x90\x80\x80", "????", 4, false);
	check_sanitize("\xf5\x80\x80\x80", "????", 4, false);
	check_sanitize("\xf7\xbf\xbf\xbf", "????", 4, false);
	check_sanitize("\xf8\x88\x80\x80\x80", "?????", 5, false);
	check_sanitize("\xfe\xff", "??", 2, false);
	/* Lone continuation bytes. */
	check_sanitize("\x80", "?", 1, false);
	check_sanitize("a\xbf" "b\x80\x80", "a?b??", 3, false);
	/* Truncated sequences, in the middle and at the end. */
	check_sanitize("\xc3" "a", "?a", 1, false);
	check_sanitize("\xe2\x82" "a", "??a", 2, false);
	check_sanitize("\xf0\x9f\x98" "a", "???a", 3, false);
	check_sanitize("ab\xe2\x82", "ab??", 2, false);
	check_sanitize("ab\xf0\x9f", "ab??", 2, false);
	check_sanitize("ab\xc3", "ab?", 1, false);
	/* A lead byte followed by another lead byte: the second sequence survives. */
	check_sanitize("\xe2\xc3\xa9", "?\xc3\xa9", 1, false);
	/* Control characters are well-formed UTF-8 but replaced. */
	check_sanitize("a\x01" "b", "a?b", 1, true);
	check_sanitize("del\x7f", "del?", 1, true);
	/* C1 controls (U+0080-U+009F) are two bytes, both replaced; U+00A0 is kept. */
	check_sanitize("nel\xc2\x85", "nel??", 2, true);
	check_sanitize("csi\xc2\x9b[", "csi??[", 2, true);
	check_sanitize("line\nbreak\r\t", "line?break??", 3, true);
	check_sanitize("\x1b[31mred", "?[31mred", 1, true);
	/* Mixed: a well-formed character between bad bytes is kept. */
	check_sanitize("\xff\xc3\xa9\x01\xed\xa0\x80z", "?\xc3\xa9?" "???z", 5, false);
}
END_TEST

/* A process name as the kernel keeps it (comm: 15 bytes) cut in the middle of a character. */
START_TEST(utf8_comm_cut_mid_character)
{
	/* "prozess-" and three "ü" (C3 BC) would be 14 bytes; one more "€" (E2 82 AC) makes 17,
	 * so the kernel keeps 15: the euro sign's first byte only. */
	char comm[16] = "prozess-\xc3\xbc\xc3\xbc\xc3\xbc\xe2";
	const char want[] = "prozess-\xc3\xbc\xc3\xbc\xc3\xbc?";

	ck_assert_uint_eq(strlen(comm), 15);
	ck_assert(!utf8_valid(comm));
	ck_assert_uint_eq(utf8_sanitize(comm), 1);
	ck_assert_str_eq(comm, want);
	ck_assert(utf8_valid(comm));

	/* Cut after two of three bytes. */
	char comm2[16] = "abcdefghijklm\xe2\x82";

	ck_assert_uint_eq(strlen(comm2), 15);
	ck_assert(!utf8_valid(comm2));
	ck_assert_uint_eq(utf8_sanitize(comm2), 2);
	ck_assert_str_eq(comm2, "abcdefghijklm??");

	/* Cut after three of four bytes. */
	char comm3[16] = "abcdefghijkl\xf0\x9f\x98";

	ck_assert_uint_eq(strlen(comm3), 15);
	ck_assert_uint_eq(utf8_sanitize(comm3), 3);
	ck_assert_str_eq(comm3, "abcdefghijkl???");
	ck_assert(utf8_valid(comm3));
}
END_TEST

/* ---- status_duration_text ------------------------------------------------------------------- */

START_TEST(duration_text)
{
	static const struct {
		double seconds;
		const char *text;
	} cases[] = {
		{ 0, "0 s" },
		{ 0.2, "200 ms" },
		{ 0.9996, "1 s" }, /* not "1000 ms" */
		{ 0.9994, "999 ms" },
		{ 1, "1 s" },
		{ 45, "45 s" },
		{ 59.6, "1 min" },
		{ 60, "1 min" },
		{ 63, "1 min 3 s" },
		{ 127, "2 min 7 s" },
		{ 924.6, "15 min 25 s" },
		{ 3600, "1 h" },
		{ 7200, "2 h" },
		{ 7875, "2 h 11 min 15 s" },
		{ 90061, "1 d 1 h 1 min 1 s" },
		{ -5, "0 s" },
		{ NAN, "0 s" },
	};
	char buf[64];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'X', sizeof(buf));
		status_duration_text(cases[i].seconds, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, cases[i].text) == 0, "%g s: '%s', want '%s'", cases[i].seconds,
			      buf, cases[i].text);
	}
	/* A small buffer truncates, NUL-terminated, without writing past it. */
	memset(buf, 'X', sizeof(buf));
	status_duration_text(7875, buf, 6);
	ck_assert_str_eq(buf, "2 h 1");
	ck_assert_int_eq(buf[6], 'X');
}
END_TEST

/* ---- thresholds ------------------------------------------------------------------------------ */

#define RULES "../../dashboards/prometheus/alerts.rules.yml" /* relative to tests/data */

/* Every "# threshold: NAME" marker of the rules file (not in comment lines), with the
 * comparison and number before it, the alert it belongs to and its for:, checked against
 * the generated table. */
START_TEST(thresholds_match_rules_file)
{
	FILE *f = fopen(unit_data_path(RULES), "r");
	char line[1024], alert[128] = "", pending[16][64];
	unsigned markers = 0, n_pending = 0, alerts = 0, severities = 0;

	ck_assert_msg(f != NULL, "cannot read %s", unit_data_path(RULES));
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");
		const char *marker = strstr(line, "# threshold: ");
		char before[256], *word[2] = { NULL, NULL }, *save = NULL, name[64], rest[8];

		char severity[32];

		if (sscanf(p, "- alert: %127s", alert) == 1) {
			alerts++;
			continue;
		}
		/* Every rule's severity, as the generated table has it. */
		if (sscanf(p, "severity: %31s", severity) == 1) {
			unsigned a = 0;

			while (a < ALERTS_COUNT && strcmp(fields_alerts[a].name, alert) != 0)
				a++;
			ck_assert_msg(a < ALERTS_COUNT, "alert %s is not in the generated table", alert);
			ck_assert_str_eq(fields_alerts[a].severity, severity);
			severities++;
			continue;
		}
		if (strncmp(p, "for:", 4) == 0) {
			char dur[32];

			ck_assert_int_eq(sscanf(p, "for: %31s", dur), 1);
			for (unsigned i = 0; i < n_pending; i++) {
				const struct fields_threshold *t = fields_threshold_find(pending[i]);

				ck_assert_ptr_nonnull(t);
				ck_assert_str_eq(fields_alerts[t->alert].for_duration, dur);
			}
			n_pending = 0;
			continue;
		}
		if (*p == '#' || !marker)
			continue;
		markers++;
		ck_assert_msg(sscanf(marker, "# threshold: %63s %7s", name, rest) == 1,
			      "unexpected marker line: %s", line);
		/* The comparison and the number are the last two words before the marker. */
		ck_assert_uint_lt((size_t)(marker - line), sizeof(before));
		memcpy(before, line, (size_t)(marker - line));
		before[marker - line] = '\0';
		for (char *tok = strtok_r(before, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			word[0] = word[1];
			word[1] = tok;
		}
		ck_assert_msg(word[0] && word[1], "no comparison before the marker: %s", line);
		{
			const struct fields_threshold *t = fields_threshold_find(name);

			ck_assert_msg(t != NULL, "threshold %s is not in the generated table", name);
			ck_assert_str_eq(t->op, word[0]);
			ck_assert_double_eq(t->value, strtod(word[1], NULL));
			ck_assert_str_eq(fields_alerts[t->alert].name, alert);
		}
		ck_assert_uint_lt(n_pending, 16);
		snprintf(pending[n_pending++], sizeof(pending[0]), "%s", name);
	}
	fclose(f);
	ck_assert_uint_eq(n_pending, 0); /* every marker had its for: */
	ck_assert_uint_ge(markers, 10);
	ck_assert_uint_eq(THRESHOLDS_COUNT, markers);
	ck_assert_uint_eq(ALERTS_COUNT, alerts);
	ck_assert_uint_eq(severities, alerts);

	/* Names are unique, and every entry is complete. */
	for (unsigned i = 0; i < THRESHOLDS_COUNT; i++) {
		const struct fields_threshold *t = &fields_thresholds[i];

		ck_assert_ptr_eq(fields_threshold_find(t->name), t);
		ck_assert_uint_lt(t->alert, ALERTS_COUNT);
		ck_assert_msg(strncmp(fields_alerts[t->alert].name, "TcpHealth", 9) == 0, "alert %s",
			      fields_alerts[t->alert].name);
		ck_assert(*fields_alerts[t->alert].for_duration);
	}

	/* The defaults docs/alerts.md gives. */
	{
		const struct fields_threshold *t = fields_threshold_find("close_wait_count");

		ck_assert_ptr_eq(t, &fields_thresholds[THRESHOLD_close_wait_count]);
		ck_assert_str_eq(t->op, ">");
		ck_assert_double_eq(t->value, 50);
		ck_assert_str_eq(fields_alerts[t->alert].name, "TcpHealthCloseWaitLeak");
		ck_assert_str_eq(fields_alerts[t->alert].for_duration, "15m");
		ck_assert_str_eq(fields_alerts[t->alert].severity, "warning");
		t = fields_threshold_find("retransmit_backoff");
		ck_assert_ptr_nonnull(t);
		ck_assert_str_eq(t->op, ">=");
		ck_assert_double_eq(t->value, 5);
		ck_assert_str_eq(fields_alerts[t->alert].name, "TcpHealthRetransmittingToDeadPeer");
		t = fields_threshold_find("accept_queue_fill");
		ck_assert_ptr_nonnull(t);
		ck_assert_double_eq_tol(t->value, 0.8, 1e-12);
		ck_assert_str_eq(fields_alerts[t->alert].name, "TcpHealthAcceptQueueNearFull");
		t = fields_threshold_find("unprotected_idle_connections");
		ck_assert_ptr_nonnull(t);
		ck_assert_str_eq(fields_alerts[t->alert].severity, "info");
		/* An alert without a threshold, judged by the page too. */
		ck_assert_str_eq(fields_alerts[ALERT_TcpHealthListenerDown].name, "TcpHealthListenerDown");
		ck_assert_str_eq(fields_alerts[ALERT_TcpHealthListenerDown].severity, "critical");
		ck_assert_str_eq(fields_alerts[ALERT_TcpHealthListenerDown].for_duration, "1m");
	}
	ck_assert_ptr_null(fields_threshold_find("no_such_threshold"));
	ck_assert_ptr_null(fields_threshold_find(""));
	ck_assert_ptr_null(fields_threshold_find("close_wait"));
}
END_TEST

START_TEST(threshold_crossed)
{
	/* > 50 */
	ck_assert(!fields_threshold_crossed(THRESHOLD_close_wait_count, 0));
	ck_assert(!fields_threshold_crossed(THRESHOLD_close_wait_count, 50));
	ck_assert(fields_threshold_crossed(THRESHOLD_close_wait_count, 50.0001));
	ck_assert(fields_threshold_crossed(THRESHOLD_close_wait_count, 51));
	/* >= 5 */
	ck_assert(!fields_threshold_crossed(THRESHOLD_retransmit_backoff, 4));
	ck_assert(!fields_threshold_crossed(THRESHOLD_retransmit_backoff, 4.999));
	ck_assert(fields_threshold_crossed(THRESHOLD_retransmit_backoff, 5));
	ck_assert(fields_threshold_crossed(THRESHOLD_retransmit_backoff, 6));
	/* > 0.8 */
	ck_assert(!fields_threshold_crossed(THRESHOLD_accept_queue_fill, 0.8));
	ck_assert(fields_threshold_crossed(THRESHOLD_accept_queue_fill, 0.81));
	ck_assert(fields_threshold_crossed(THRESHOLD_accept_queue_fill, 1));
	/* > 0 */
	ck_assert(!fields_threshold_crossed(THRESHOLD_keepalive_probes_outstanding, 0));
	ck_assert(fields_threshold_crossed(THRESHOLD_keepalive_probes_outstanding, 1));
	/* > 256 */
	ck_assert(!fields_threshold_crossed(THRESHOLD_syn_recv_count, 256));
	ck_assert(fields_threshold_crossed(THRESHOLD_syn_recv_count, 257));
	/* NaN crosses nothing. */
	ck_assert(!fields_threshold_crossed(THRESHOLD_close_wait_count, NAN));
	ck_assert(!fields_threshold_crossed(THRESHOLD_retransmit_backoff, NAN));
	/* No threshold, or one out of the table, never crosses. */
	ck_assert(!fields_threshold_crossed(THRESHOLD_NONE, 1e12));
	ck_assert(!fields_threshold_crossed(THRESHOLDS_COUNT, 1e12));
}
END_TEST

/* ---- a real snapshot ------------------------------------------------------------------------- */

#define SCAN_NUMBER 7
static const uint16_t listen_ports[] = REPLAY_LISTEN_PORTS;

/* The helpers the views' tests share (views.c). */
#define take_snapshot() views_snapshot(SCAN_NUMBER)
#define get views_get
#define get_int views_int
#define get_str views_str
#define get_bool views_bool
#define metrics_text views_metrics
#define render views_page

static json_t *listener(const json_t *ns, int port)
{
	const json_t *l;
	size_t i;

	json_array_foreach(get(get(ns, "tcp"), "listeners"), i, l)
		if (get_int(l, "port") == port)
			return (json_t *)l;
	return NULL;
}

/* The ports[] row of (role, port); port < 0 for "other". */
static json_t *port_row(const json_t *ns, const char *role, int port)
{
	const json_t *p;
	size_t i;

	json_array_foreach(get(get(ns, "tcp"), "ports"), i, p) {
		if (strcmp(get_str(p, "role"), role) != 0)
			continue;
		if (port < 0 ? get_bool(p, "other") : !get_bool(p, "other") && get_int(p, "port") == port)
			return (json_t *)p;
	}
	return NULL;
}

static const json_t *explained(const json_t *ns, const char *setting)
{
	const json_t *e;
	size_t i;

	json_array_foreach(get(get(ns, "kernel"), "explained"), i, e)
		if (strcmp(get_str(e, "setting"), setting) == 0)
			return e;
	return NULL;
}

/* ---- the document ----------------------------------------------------------------------------- */

START_TEST(document_of_real_snapshot)
{
	struct snapshot *s = take_snapshot();
	json_t *doc = status_document(s), *ns, *tcp, *l, *a, *p, *w, *reparsed;
	json_error_t error;
	const json_t *e;
	char *metrics = metrics_text(s), *dumped, *golden;
	uint64_t state_totals[TCPH_STATE_MAX + 1] = { 0 };
	uint64_t retransmitting = 0, unprotected_idle = 0, keepalive_probes = 0;
	unsigned samples = 0, listener_down_alerts = 0;
	size_t i, golden_len;

	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(get_str(doc, "schema"), STATUS_SCHEMA);
	ck_assert_str_eq(get_str(doc, "schema"), "tcp_health_exporter/status/v1");
	ck_assert_str_eq(get_str(get(doc, "exporter"), "version"), TCPH_VERSION);
	ck_assert(utf8_valid(get_str(get(doc, "exporter"), "hostname")));
	ck_assert_int_eq(get_int(get(doc, "scan"), "number"), SCAN_NUMBER);
	ck_assert_str_eq(get_str(get(doc, "scan"), "netns_mode"), "self");
	ck_assert_int_eq(get_int(get(doc, "scan"), "idle_threshold_seconds"), 300);
	ck_assert_int_eq(get_int(get(doc, "scan"), "worst_connections_per_kind"), TCPAGG_WORST_DEFAULT);
	ck_assert(json_is_null(get(doc, "netns")));
	ck_assert_uint_eq(json_array_size(get(doc, "thresholds")), THRESHOLDS_COUNT);

	/* The collectors: sysctl fails on the junk tcp_fin_timeout of tests/data. */
	ck_assert_uint_eq(json_array_size(get(doc, "collectors")), collectors_count);
	json_array_foreach(get(doc, "collectors"), i, e) {
		ck_assert_str_eq(get_str(e, "name"), collectors_table[i].name);
		ck_assert(get_bool(e, "enabled"));
		if (strcmp(collectors_table[i].name, "sysctl") == 0) {
			ck_assert(!get_bool(e, "success"));
			ck_assert_str_eq(get_str(e, "error"), strerror(EINVAL));
		} else {
			ck_assert(get_bool(e, "success"));
			ck_assert(json_is_null(get(e, "error")));
		}
	}

	/* One namespace, the exporter's own. */
	ck_assert_uint_eq(json_array_size(get(doc, "namespaces")), 1);
	ns = json_array_get(get(doc, "namespaces"), 0);
	ck_assert_str_eq(get_str(ns, "netns"), "");
	tcp = get(ns, "tcp");
	ck_assert(json_is_object(tcp));
	ck_assert_int_eq(get_int(get(tcp, "sockets_scanned"), "ipv4"), 9);
	ck_assert_int_eq(get_int(get(tcp, "sockets_scanned"), "ipv6"), 3);

	/* Listeners: the expected ones up, 5060 expected and down; 1720 listens unexpected. */
	for (unsigned k = 0; k < 3; k++) {
		l = listener(ns, listen_ports[k]);
		ck_assert_msg(l != NULL, "no listener %u", listen_ports[k]);
		ck_assert(get_bool(l, "expected"));
		ck_assert_int_eq(get_bool(l, "up"), listen_ports[k] != 5060);
		ck_assert_int_eq(get_int(l, "sockets") > 0, listen_ports[k] != 5060);
	}
	l = listener(ns, 5060);
	ck_assert_uint_eq(json_array_size(get(l, "addresses")), 0);
	ck_assert_uint_eq(json_array_size(get(l, "alerts")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(get(l, "alerts"), 0)), "TcpHealthListenerDown");
	l = listener(ns, 1720);
	ck_assert_ptr_nonnull(l);
	ck_assert(!get_bool(l, "expected"));
	ck_assert(get_bool(l, "up"));
	ck_assert_uint_ge(json_array_size(get(l, "addresses")), 1);
	/* The golden numbers: 3720's accept queue holds at most 16, 1202's 5, 1720's 8. */
	ck_assert_int_eq(get_int(get(listener(ns, 3720), "accept_queue"), "max"), 16);
	ck_assert_int_eq(get_int(get(listener(ns, 1202), "accept_queue"), "max"), 5);
	ck_assert_int_eq(get_int(get(listener(ns, 1720), "accept_queue"), "max"), 8);
	json_array_foreach(get(tcp, "listeners"), i, l) {
		char labels[32];

		snprintf(labels, sizeof(labels), "port=\"%lld\"", get_int(l, "port"));
		ck_assert_int_eq(unit_sample(metrics, "tcp_health_listener_up", labels), get_bool(l, "up"));
		if (get_bool(l, "up")) {
			ck_assert_int_eq(unit_sample(metrics, "tcp_health_listen_queue_length", labels),
					 get_int(get(l, "accept_queue"), "length"));
			ck_assert_int_eq(unit_sample(metrics, "tcp_health_listen_queue_max", labels),
					 get_int(get(l, "accept_queue"), "max"));
		}
	}

	/* The namespace's alerts: the listener down, on 5060, once. */
	json_array_foreach(get(ns, "alerts"), i, a) {
		if (strcmp(get_str(a, "alert"), "TcpHealthListenerDown") != 0)
			continue;
		listener_down_alerts++;
		ck_assert_int_eq(get_int(a, "port"), 5060);
		ck_assert_str_eq(get_str(a, "role"), "server");
		ck_assert(!get_bool(a, "other"));
		ck_assert(json_is_null(get(a, "threshold")));
	}
	ck_assert_uint_eq(listener_down_alerts, 1);

	/* ports[]: every number as /metrics has it for the same label set. */
	json_array_foreach(get(tcp, "ports"), i, p) {
		const char *key;
		const json_t *v;
		char port[16], labels[128];

		if (get_bool(p, "other"))
			snprintf(port, sizeof(port), "other");
		else
			snprintf(port, sizeof(port), "%lld", get_int(p, "port"));
		json_object_foreach(get(p, "states"), key, v) {
			unsigned state;

			snprintf(labels, sizeof(labels), "port=\"%s\",role=\"%s\",state=\"%s\"", port,
				 get_str(p, "role"), key);
			ck_assert_msg(unit_sample(metrics, "tcp_health_connections", labels) ==
					      (double)json_integer_value(v),
				      "%s: document %lld", labels, (long long)json_integer_value(v));
			for (state = 1; state <= TCPH_STATE_MAX; state++)
				if (tcpagg_state_name(state) && strcmp(tcpagg_state_name(state), key) == 0)
					break;
			ck_assert_uint_le(state, TCPH_STATE_MAX);
			state_totals[state] += (uint64_t)json_integer_value(v);
			samples++;
		}
		snprintf(labels, sizeof(labels), "port=\"%s\",role=\"%s\"", port, get_str(p, "role"));
		ck_assert_int_eq(unit_sample(metrics, "tcp_health_retransmitting_connections", labels),
				 get_int(p, "retransmitting"));
		ck_assert_int_eq(unit_sample(metrics, "tcp_health_retransmit_backoff_max", labels),
				 get_int(p, "retransmit_backoff_max"));
		ck_assert_int_eq(unit_sample(metrics, "tcp_health_keepalive_connections", labels),
				 get_int(p, "keepalive"));
		ck_assert_int_eq(unit_sample(metrics, "tcp_health_keepalive_probes_outstanding", labels),
				 get_int(p, "keepalive_probes_outstanding"));
		ck_assert_int_eq(unit_sample(metrics, "tcp_health_keepalive_probes_max", labels),
				 get_int(p, "keepalive_probes_max"));
		ck_assert_int_eq(unit_sample(metrics, "tcp_health_unprotected_idle_connections", labels),
				 get_int(p, "unprotected_idle"));
		retransmitting += (uint64_t)get_int(p, "retransmitting");
		unprotected_idle += (uint64_t)get_int(p, "unprotected_idle");
		keepalive_probes += (uint64_t)get_int(p, "keepalive_probes_outstanding");
	}
	/* ... and no label set of /metrics is missing from the document. */
	ck_assert_uint_eq(unit_count(metrics, "\ntcp_health_connections{"), samples);

	/* The golden numbers (tests/data/golden/metrics.prom): 12 sockets, 6 established, one
	 * CLOSE_WAIT on server port 3720, 3 listening, one TIME_WAIT on client port 3720. */
	{
		uint64_t total = 0;

		for (unsigned st = 1; st <= TCPH_STATE_MAX; st++)
			total += state_totals[st];
		ck_assert_uint_eq(total, 12);
	}
	ck_assert_uint_eq(state_totals[TCPH_ESTABLISHED], 6);
	ck_assert_uint_eq(state_totals[TCPH_CLOSE_WAIT], 1);
	ck_assert_uint_eq(state_totals[TCPH_LISTEN], 3);
	ck_assert_int_eq(get_int(get(port_row(ns, "server", 3720), "states"), "close_wait"), 1);
	ck_assert_int_eq(get_int(get(port_row(ns, "server", 3720), "states"), "established"), 2);
	ck_assert_int_eq(get_int(get(port_row(ns, "client", 3720), "states"), "time_wait"), 1);
	ck_assert_int_eq(get_int(get(port_row(ns, "client", 3720), "states"), "fin_wait2"), 1);
	ck_assert_int_eq(get_int(port_row(ns, "server", 5060), "sockets"), 0);
	ck_assert(get_bool(port_row(ns, "server", 5060), "expected"));
	ck_assert_ptr_nonnull(port_row(ns, "server", -1));
	ck_assert_ptr_nonnull(port_row(ns, "client", -1));
	golden = replay_load_file(unit_data_path("golden/metrics.prom"), &golden_len);
	ck_assert_ptr_nonnull(golden);
	ck_assert_ptr_nonnull(strstr(golden, "\ntcp_health_connections{port=\"3720\",role=\"server\","
					     "state=\"close_wait\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(golden, "\ntcp_health_listen_queue_max{port=\"3720\"} 16\n"));
	free(golden);
	ck_assert_int_eq(get_int(tcp, "client_time_wait"), 1);

	/* The worst connections: every kind, each total as the metrics count it. */
	w = get(tcp, "worst_connections");
	ck_assert_uint_eq(json_object_size(w), TCPAGG_WORST_KINDS);
	for (unsigned k = 0; k < TCPAGG_WORST_KINDS; k++) {
		const json_t *kind = get(w, tcpagg_worst_name(k));
		const json_t *list = get(kind, "connections");

		ck_assert(json_is_array(list));
		ck_assert_uint_le(json_array_size(list), (size_t)get_int(kind, "total"));
		ck_assert_uint_le(json_array_size(list), TCPAGG_WORST_DEFAULT);
		ck_assert(*get_str(kind, "unit"));
		ck_assert(*get_str(kind, "description"));
	}
	ck_assert_int_eq(get_int(get(w, "close_wait"), "total"), (long long)state_totals[TCPH_CLOSE_WAIT]);
	ck_assert_int_eq(get_int(get(w, "syn_recv"), "total"), (long long)state_totals[TCPH_SYN_RECV]);
	ck_assert_int_eq(get_int(get(w, "retransmitting"), "total"), (long long)retransmitting);
	ck_assert_int_eq(get_int(get(w, "unprotected_idle"), "total"), (long long)unprotected_idle);
	/* One socket per unanswered-keepalive connection, each with at least one probe out. */
	ck_assert_int_le(get_int(get(w, "keepalive_unanswered"), "total"), (long long)keepalive_probes);
	ck_assert_int_eq(get_int(get(w, "keepalive_unanswered"), "total") == 0, keepalive_probes == 0);
	/* The one CLOSE_WAIT connection, listed: server side of 3720, in seconds. */
	{
		const json_t *cw = get(get(w, "close_wait"), "connections");
		const json_t *c = json_array_get(cw, 0);

		ck_assert_uint_eq(json_array_size(cw), 1);
		ck_assert_str_eq(get_str(get(w, "close_wait"), "unit"), "seconds");
		ck_assert_str_eq(get_str(c, "state"), "close_wait");
		ck_assert_str_eq(get_str(c, "role"), "server");
		ck_assert_int_eq(get_int(c, "port"), 3720);
		ck_assert_int_eq(get_int(c, "local_port"), 3720);
		ck_assert(json_is_real(get(c, "value")));
		ck_assert(utf8_valid(get_str(c, "process")));
	}

	/* The kernel's settings: tcp_retries2 = 15 in tests/data/proc. */
	ck_assert_int_eq(get_int(get(get(ns, "kernel"), "settings"), "net.ipv4.tcp_retries2"), 15);
	e = explained(ns, "net.ipv4.tcp_retries2");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(get_int(e, "value"), 15);
	ck_assert_double_eq_tol(json_real_value(get(e, "seconds")), 924.6, 1e-9);
	ck_assert_ptr_nonnull(strstr(get_str(e, "text"), "15 min 25 s"));
	/* keepalive: 7200 + 75 * 9 */
	e = explained(ns, "net.ipv4.tcp_keepalive_time");
	ck_assert_ptr_nonnull(e);
	ck_assert_double_eq_tol(json_real_value(get(e, "seconds")), 7875, 1e-9);
	ck_assert_ptr_nonnull(strstr(get_str(e, "text"), "2 h 11 min 15 s"));
	/* Not in tests/data/proc: not explained. */
	ck_assert_ptr_null(explained(ns, "net.ipv4.tcp_syn_retries"));
	ck_assert_ptr_null(explained(ns, "net.ipv4.tcp_synack_retries"));
	/* The junk tcp_fin_timeout is not shown either. */
	ck_assert_ptr_null(explained(ns, "net.ipv4.tcp_fin_timeout"));
	ck_assert_ptr_null(json_object_get(get(get(ns, "kernel"), "settings"), "net.ipv4.tcp_fin_timeout"));
	{
		const json_t *range = get(get(get(ns, "kernel"), "settings"), "net.ipv4.ip_local_port_range");

		ck_assert_uint_eq(json_array_size(range), 2);
		ck_assert_int_eq(json_integer_value(json_array_get(range, 0)), 32768);
		ck_assert_int_eq(json_integer_value(json_array_get(range, 1)), 60999);
		e = explained(ns, "net.ipv4.ip_local_port_range");
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(get_int(e, "value"), 60999 - 32768 + 1);
		ck_assert(json_is_null(get(e, "seconds")));
	}

	/* What the status API serves re-parses to the same document. */
	dumped = json_dumps(doc, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	ck_assert_ptr_nonnull(dumped);
	reparsed = json_loads(dumped, 0, &error);
	ck_assert_msg(reparsed != NULL, "json_loads: %s at line %d", error.text, error.line);
	ck_assert(json_equal(doc, reparsed));
	json_decref(reparsed);
	free(dumped);
	dumped = json_dumps(doc, JSON_COMPACT);
	ck_assert_ptr_nonnull(dumped);
	reparsed = json_loads(dumped, 0, &error);
	ck_assert_ptr_nonnull(reparsed);
	ck_assert(json_equal(doc, reparsed));
	json_decref(reparsed);
	free(dumped);

	free(metrics);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

/* Sets setting `id` of the snapshot's namespace to `value` and gives its explained[] entry in
 * a new document (*doc, which the caller frees), checked to be there with that value. */
static const json_t *explain_setting(struct snapshot *s, enum sysctl_id id, const char *setting,
				     long value, json_t **doc)
{
	struct sysctl_result *sys = &s->data.targets[0].sysctl;
	const json_t *e;

	sys->present[id] = true;
	sys->values[id][0] = value;
	*doc = status_document(s);
	ck_assert_ptr_nonnull(*doc);
	e = explained(json_array_get(get(*doc, "namespaces"), 0), setting);
	ck_assert_msg(e != NULL, "%s not explained", setting);
	ck_assert_int_eq(get_int(e, "value"), value);
	return e;
}

/* The retransmission budgets as the kernel computes them (tcp_model_timeout), through the
 * explained[] entries of settings put into the snapshot. */
START_TEST(document_kernel_budgets)
{
	static const struct {
		enum sysctl_id id;
		const char *setting;
		long value;
		double seconds;
		const char *text;
	} cases[] = {
		{ SYSCTL_RETRIES2, "net.ipv4.tcp_retries2", 15, 924.6, "15 min 25 s" },
		{ SYSCTL_RETRIES2, "net.ipv4.tcp_retries2", 8, 102.2, "1 min 42 s" },
		{ SYSCTL_RETRIES2, "net.ipv4.tcp_retries2", 9, 204.6, "3 min 25 s" },
		{ SYSCTL_RETRIES2, "net.ipv4.tcp_retries2", 10, 324.6, "5 min 25 s" },
		{ SYSCTL_RETRIES2, "net.ipv4.tcp_retries2", 3, 3, "3 s" },
		{ SYSCTL_SYN_RETRIES, "net.ipv4.tcp_syn_retries", 6, 127, "2 min 7 s" },
		{ SYSCTL_SYN_RETRIES, "net.ipv4.tcp_syn_retries", 7, 247, "4 min 7 s" },
		{ SYSCTL_SYN_RETRIES, "net.ipv4.tcp_syn_retries", 1, 3, "3 s" },
		{ SYSCTL_SYNACK_RETRIES, "net.ipv4.tcp_synack_retries", 5, 63, "1 min 3 s" },
		{ SYSCTL_SYNACK_RETRIES, "net.ipv4.tcp_synack_retries", 0, 1, "1 s" },
	};
	struct snapshot *s = take_snapshot();

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc;
		const json_t *e = explain_setting(s, cases[i].id, cases[i].setting, cases[i].value, &doc);
		const json_t *ns = json_array_get(get(doc, "namespaces"), 0);

		ck_assert_msg(fabs(json_real_value(get(e, "seconds")) - cases[i].seconds) < 1e-9,
			      "%s = %ld: %g s, want %g", cases[i].setting, cases[i].value,
			      json_real_value(get(e, "seconds")), cases[i].seconds);
		ck_assert_msg(strstr(get_str(e, "text"), cases[i].text) != NULL, "%s = %ld: '%s' lacks '%s'",
			      cases[i].setting, cases[i].value, get_str(e, "text"), cases[i].text);
		ck_assert_int_eq(get_int(get(get(ns, "kernel"), "settings"), cases[i].setting),
				 cases[i].value);
		json_decref(doc);
	}
	snapshot_unref(s);
}
END_TEST

/* The TCP hash table in words: a shared one (negative, as the kernel shows it) with what it
 * costs a scan and the advice; a table of its own; what new namespaces get. */
START_TEST(document_kernel_hash_tables)
{
	static const struct {
		enum sysctl_id id;
		const char *setting;
		long value;
		const char *has, *lacks;
	} cases[] = {
		{ SYSCTL_EHASH_ENTRIES, "net.ipv4.tcp_ehash_entries", -262144,
		  "shares the host's TCP hash table of 262144 buckets (net.ipv4.tcp_ehash_entries = "
		  "-262144): every scan of it walks all 262144 buckets and every other namespace's "
		  "sockets. Setting net.ipv4.tcp_child_ehash_entries on the host before the namespaces "
		  "are created", "table of its own of" },
		{ SYSCTL_EHASH_ENTRIES, "net.ipv4.tcp_ehash_entries", 2048,
		  "in a TCP hash table of 2048 buckets", "shares" },
		{ SYSCTL_CHILD_EHASH_ENTRIES, "net.ipv4.tcp_child_ehash_entries", 0,
		  "share the host's TCP hash table (net.ipv4.tcp_child_ehash_entries = 0)", "own of" },
		{ SYSCTL_CHILD_EHASH_ENTRIES, "net.ipv4.tcp_child_ehash_entries", 4096,
		  "a TCP hash table of their own of 4096 buckets", "share" },
	};
	struct snapshot *s = take_snapshot();
	json_t *doc = status_document(s);
	const json_t *ns = json_array_get(get(doc, "namespaces"), 0);

	/* tests/data/proc: a shared table, no tcp_child_ehash_entries. */
	ck_assert_int_eq(get_int(get(get(ns, "kernel"), "settings"), "net.ipv4.tcp_ehash_entries"), -262144);
	ck_assert_ptr_nonnull(strstr(get_str(explained(ns, "net.ipv4.tcp_ehash_entries"), "text"),
				     "about 3 s to about 0.1 s"));
	ck_assert_ptr_null(explained(ns, "net.ipv4.tcp_child_ehash_entries"));
	json_decref(doc);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const json_t *e = explain_setting(s, cases[i].id, cases[i].setting, cases[i].value, &doc);
		const char *text = get_str(e, "text");

		ck_assert(json_is_null(get(e, "seconds")));
		ck_assert_msg(strstr(text, cases[i].has) != NULL, "%s = %ld: '%s' lacks '%s'",
			      cases[i].setting, cases[i].value, text, cases[i].has);
		ck_assert_msg(strstr(text, cases[i].lacks) == NULL, "%s = %ld: '%s' has '%s'",
			      cases[i].setting, cases[i].value, text, cases[i].lacks);
		json_decref(doc);
	}
	snapshot_unref(s);
}
END_TEST

/* ---- the page ----------------------------------------------------------------------------- */

static unsigned count_script_tags(const char *page)
{
	unsigned n = 0;

	for (const char *p = page; (p = strchr(p, '<')); p++)
		if (strncasecmp(p, "<script", 7) == 0)
			n++;
	return n;
}

START_TEST(page_of_real_snapshot)
{
	struct snapshot *s = take_snapshot();
	json_t *doc = status_document(s), *ns, *l;
	char *page, scan_attr[32];

	ck_assert_ptr_nonnull(doc);
	page = render(doc);
	ck_assert_msg(strncmp(page, "<!DOCTYPE html>", 15) == 0, "page starts '%.40s'", page);
	ck_assert_uint_ge(strlen(page), 7);
	ck_assert_str_eq(page + strlen(page) - 8, "</html>\n");
	snprintf(scan_attr, sizeof(scan_attr), "data-scan=\"%d\"", SCAN_NUMBER);
	ck_assert_uint_eq(unit_count(page, scan_attr), 1);
	ck_assert(utf8_valid(page));
	ck_assert_ptr_nonnull(strstr(page, "<a href=\"/metrics\">metrics</a>"));

	/* One tile per expected port, up or down. */
	ck_assert_uint_eq(unit_count(page, "<div class=\"tile "), 3);
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"tile up\" data-port=\"1202\" data-state=\"up\">"));
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"tile up\" data-port=\"3720\" data-state=\"up\">"));
	/* Down is TcpHealthListenerDown, critical in the rules: red. */
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"tile down critical\" data-port=\"5060\" "
					   "data-state=\"down\" data-severity=\"critical\">"));
	ck_assert_uint_eq(unit_count(page, "data-state=\"down\""), 1);
	ck_assert_ptr_null(strstr(page, "data-port=\"1720\" data-state="));
	/* The listener table lists 1720 too, and 5060 as down. */
	ck_assert_ptr_nonnull(strstr(page, "<tr data-port=\"1720\">"));
	ck_assert_ptr_nonnull(strstr(page, "<tr data-port=\"5060\" class=\"down\">"));
	/* The alert, and the failed collector. */
	ck_assert_ptr_nonnull(strstr(page, "<li data-alert=\"TcpHealthListenerDown\" data-severity=\"critical\" "
					   "class=\"critical\">"));
	ck_assert_ptr_nonnull(strstr(page, "<li data-collector=\"sysctl\">"));
	/* Every worst kind has its heading; CLOSE_WAIT lists its one connection. */
	for (unsigned k = 0; k < TCPAGG_WORST_KINDS; k++) {
		char h[64];

		snprintf(h, sizeof(h), "<h4 data-kind=\"%s\">", tcpagg_worst_name(k));
		ck_assert_msg(unit_count(page, h) == 1, "no heading %s", h);
	}
	ck_assert_ptr_nonnull(strstr(page, "<table class=\"worst\" data-kind=\"close_wait\">"));
	/* The page's own script, and no other. */
	ck_assert_uint_eq(count_script_tags(page), 1);
	ck_assert_uint_eq(unit_count(page, "</script>"), 1);
	free(page);

	/* Hostile strings in the document are escaped wherever they appear. */
	ns = json_array_get(get(doc, "namespaces"), 0);
	l = listener(ns, 1202);
	ck_assert_uint_ge(json_array_size(get(l, "addresses")), 1);
	ck_assert_int_eq(json_object_set_new(json_array_get(get(l, "addresses"), 0), "process",
					     json_string("<script>alert(1)</script>")),
			 0);
	ck_assert_int_eq(json_object_set_new(get(doc, "exporter"), "hostname",
					     json_string("\"><script>alert(2)</script>")),
			 0);
	{
		json_t *c = json_array_get(get(get(get(get(ns, "tcp"), "worst_connections"), "close_wait"),
					       "connections"), 0);

		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(json_object_set_new(c, "process", json_string("<SCRIPT>alert(3)</SCRIPT>")), 0);
	}
	page = render(doc);
	/* The tile and the listener table both name the process. */
	ck_assert_uint_eq(unit_count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"), 2);
	ck_assert_uint_eq(unit_count(page, "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"), 2);
	ck_assert_uint_eq(unit_count(page, "&lt;SCRIPT&gt;alert(3)&lt;/SCRIPT&gt;"), 1);
	ck_assert_ptr_null(strstr(page, "alert(1)</script>"));
	ck_assert_uint_eq(count_script_tags(page), 1);
	ck_assert_uint_eq(unit_count(page, "</script>"), 1);
	free(page);

	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

/* A process name with HTML in it, from the snapshot (as owners.c would read it) through the
 * document to the page. */
START_TEST(page_escapes_process_from_snapshot)
{
	struct snapshot *s = take_snapshot();
	struct tcp_result *tcp = s->data.targets[0].tcp;
	const char hostile[] = "<b>&\"'x</b>"; /* fits in a comm */
	json_t *doc, *l;
	char *page;
	bool set = false;

	ck_assert_uint_lt(sizeof(hostile), TCPAGG_PROCESS_NAME);
	for (unsigned i = 0; i < fields_named_ports(tcp, CLASSIFY_SERVER); i++) {
		if (tcp->ports[CLASSIFY_SERVER][i].port != 3720)
			continue;
		ck_assert_uint_ge(tcp->listeners[i].n_addresses, 1);
		for (unsigned a = 0; a < tcp->listeners[i].n_addresses; a++)
			memcpy(tcp->listeners[i].addresses[a].process, hostile, sizeof(hostile));
		set = true;
	}
	ck_assert(set);
	doc = status_document(s);
	ck_assert_ptr_nonnull(doc);
	l = listener(json_array_get(get(doc, "namespaces"), 0), 3720);
	ck_assert_str_eq(get_str(json_array_get(get(l, "addresses"), 0), "process"), hostile);
	page = render(doc);
	/* Once in the tile, once in the listener table: the distinct processes. */
	ck_assert_uint_eq(unit_count(page, "<span class=\"proc\">&lt;b&gt;&amp;&quot;&#39;x&lt;/b&gt;</span>"), 2);
	ck_assert_ptr_null(strstr(page, hostile));
	ck_assert_ptr_null(strstr(page, "<b>&"));
	ck_assert_uint_eq(count_script_tags(page), 1);
	free(page);
	json_decref(doc);
	snapshot_unref(s);
}
END_TEST

START_TEST(html_escape)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "&", "&amp;" },
		{ "<", "&lt;" },
		{ ">", "&gt;" },
		{ "\"", "&quot;" },
		{ "'", "&#39;" },
		{ "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f" },
		{ "&&<<", "&amp;&amp;&lt;&lt;" },
		{ "&amp;", "&amp;amp;" },
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "caf\xc3\xa9 <x>", "caf\xc3\xa9 &lt;x&gt;" },
		{ "/=`", "/=`" },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct expfmt_buf buf;

		ck_assert_int_eq(expfmt_init(&buf, 0), 0);
		expfmt_append(&buf, "[", 1);
		render_html_escape(&buf, cases[i].in);
		expfmt_append(&buf, "]", 2); /* with the NUL */
		ck_assert_int_eq(buf.error, 0);
		ck_assert_uint_eq(buf.len, strlen(cases[i].out) + 3);
		ck_assert_msg(strncmp(buf.data + 1, cases[i].out, strlen(cases[i].out)) == 0 &&
				      strcmp(buf.data + 1 + strlen(cases[i].out), "]") == 0,
			      "escaped '%s' to '%s', want '[%s]'", cases[i].in, buf.data, cases[i].out);
		expfmt_fini(&buf);
	}
}
END_TEST

Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *utf8 = tcase_create("utf8");
	TCase *thresholds = tcase_create("thresholds");
	TCase *document = tcase_create("document");
	TCase *page = tcase_create("page");

	tcase_add_test(utf8, utf8_well_formed_unchanged);
	tcase_add_test(utf8, utf8_ill_formed_replaced);
	tcase_add_test(utf8, utf8_comm_cut_mid_character);
	suite_add_tcase(s, utf8);
	tcase_add_test(thresholds, duration_text);
	tcase_add_test(thresholds, thresholds_match_rules_file);
	tcase_add_test(thresholds, threshold_crossed);
	suite_add_tcase(s, thresholds);
	tcase_add_test(document, document_of_real_snapshot);
	tcase_add_test(document, document_kernel_budgets);
	tcase_add_test(document, document_kernel_hash_tables);
	suite_add_tcase(s, document);
	tcase_add_test(page, page_of_real_snapshot);
	tcase_add_test(page, page_escapes_process_from_snapshot);
	tcase_add_test(page, html_escape);
	suite_add_tcase(s, page);
	return s;
}
