/* test_golden.c — the whole exposition of one scan, compared byte for byte with
 * tests/data/golden/metrics.prom.
 *
 * The collectors run as in production (collectors_create, snapshot_take, render_metrics) with
 * two things replaced: procfs is tests/data/proc, and the netlink dump replays the recorded
 * dumps tests/data/dump_ipv4.bin and dump_ipv6.bin (tests/data/record.sh says what they
 * hold). Only what legitimately varies is normalised: the value of each
 * tcp_health_scrape_collector_duration_seconds sample and of the scan's cost
 * (tcp_health_exporter_scan_duration_seconds, _scan_seconds_total, _scan_cpu_seconds_total),
 * and the labels of
 * tcp_health_exporter_build_info (both checked before they are replaced).
 *
 * `make golden` regenerates the file: TCPH_GOLDEN_WRITE=path makes this test write the
 * normalised text there instead of comparing. */
#include "../../collectors/collectors.h"
#include "../../collectors/sockdiag.h"
#include "../../exporter/expfmt.h"
#include "../../exporter/render_metrics.h"
#include "../../exporter/snapshot.h"
#include "../../exporter/version.h"
#include "replay.h"
#include "unit.h"

#include <errno.h>
#include <linux/netlink.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define GOLDEN "golden/metrics.prom"
#define ACTUAL "build/golden-actual.prom"

/* ---- normalising ---------------------------------------------------------------------- */

/* The samples whose value is a time taken, in seconds. */
static const char *const duration_prefixes[] = {
	"tcp_health_scrape_collector_duration_seconds{",
	"tcp_health_exporter_scan_duration_seconds ",
	"tcp_health_exporter_scan_seconds_total ",
	"tcp_health_exporter_scan_cpu_seconds_total ",
};
static const char build_info_prefix[] = "tcp_health_exporter_build_info{";

static bool starts_with(const char *line, const char *prefix)
{
	return strncmp(line, prefix, strlen(prefix)) == 0;
}

static bool is_duration(const char *line)
{
	for (unsigned i = 0; i < sizeof(duration_prefixes) / sizeof(duration_prefixes[0]); i++)
		if (starts_with(line, duration_prefixes[i]))
			return true;
	return false;
}

/* Replaces what varies from build to build and scan to scan, after checking it. */
static void normalise(const char *text, struct expfmt_buf *out)
{
	char build_info[512];

	snprintf(build_info, sizeof(build_info),
		 "%sversion=\"%s\",revision=\"%s\",libmicrohttpd=\"%s\"} 1", build_info_prefix,
		 TCPH_VERSION, TCPH_REVISION, MHD_get_version());
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (is_duration(line)) {
			const char *value = memchr(line, ' ', len);
			char *value_end;
			double seconds;

			ck_assert_ptr_nonnull(value);
			seconds = strtod(value + 1, &value_end);
			ck_assert_msg(value_end == line + len && isfinite(seconds) && seconds >= 0 &&
					      seconds < 60,
				      "bad duration line: %.*s", (int)len, line);
			expfmt_append(out, line, (size_t)(value + 1 - line));
			expfmt_printf(out, "DURATION\n");
		} else if (starts_with(line, build_info_prefix)) {
			ck_assert_msg(len == strlen(build_info) && strncmp(line, build_info, len) == 0,
				      "build_info line '%.*s', want '%s'", (int)len, line, build_info);
			expfmt_printf(out,
				      "%sversion=\"VERSION\",revision=\"REVISION\",libmicrohttpd=\"MHD_VERSION\"} 1\n",
				      build_info_prefix);
		} else {
			expfmt_append(out, line, len);
			expfmt_append(out, "\n", 1);
		}
		line += len + (end ? 1 : 0);
	}
}

/* ---- the test ------------------------------------------------------------------------- */

/* Families the golden file must hold: an exposition that lost one cannot be blessed. */
static const char *const required[] = {
	"# TYPE tcp_health_exporter_build_info gauge",
	"# TYPE process_cpu_seconds_total counter",
	"# TYPE process_start_time_seconds gauge",
	"# TYPE tcp_health_connections gauge",
	"# TYPE tcp_health_listener_up gauge",
	"# TYPE tcp_health_listener_info gauge",
	"# TYPE tcp_health_listen_queue_length gauge",
	"# TYPE tcp_health_listen_queue_max gauge",
	"# TYPE tcp_health_timer_connections gauge",
	"# TYPE tcp_health_retransmitting_connections gauge",
	"# TYPE tcp_health_retransmit_backoff_max gauge",
	"# TYPE tcp_health_retransmitted_segments gauge",
	"# TYPE tcp_health_lost_segments gauge",
	"# TYPE tcp_health_unacked_segments gauge",
	"# TYPE tcp_health_keepalive_connections gauge",
	"# TYPE tcp_health_keepalive_probes_outstanding gauge",
	"# TYPE tcp_health_keepalive_probes_max gauge",
	"# TYPE tcp_health_connection_idle_seconds histogram",
	"# TYPE tcp_health_unprotected_idle_connections gauge",
	"# TYPE tcp_health_rtt_seconds histogram",
	"# TYPE tcp_health_exporter_sockets_scanned gauge",
	"# TYPE tcp_health_exporter_ports_folded_sockets gauge",
	"# TYPE tcp_health_exporter_dump_retries_total counter",
	"# TYPE tcp_health_exporter_dump_requests_per_scan gauge",
	"tcp_health_exporter_dump_requests_per_scan 1", /* the replay serves the one walk */
	"# TYPE tcp_health_sysctl_keepalive_time_seconds gauge",
	"# TYPE tcp_health_sysctl_ip_local_port_range_high gauge",
	"# TYPE tcp_health_keepalive_detection_seconds gauge",
	"# TYPE tcp_health_kernel_listen_overflows_total counter",
	"# TYPE tcp_health_kernel_abort_on_timeout_total counter",
	"# TYPE tcp_health_kernel_curr_estab gauge",
	"# TYPE tcp_health_scrape_collector_duration_seconds gauge",
	"# TYPE tcp_health_scrape_collector_success gauge",
	"# TYPE tcp_health_exporter_scans_total counter",
	"# TYPE tcp_health_exporter_scan_duration_seconds gauge",
	"# TYPE tcp_health_exporter_scan_seconds_total counter",
	"# TYPE tcp_health_exporter_scan_cpu_seconds_total counter",
	"# TYPE tcp_health_sysctl_ehash_entries gauge",
	"tcp_health_sysctl_ehash_entries -262144",
	"# TYPE tcp_health_exporter_stale_scrapes_total counter",
	"# TYPE tcp_health_exporter_http_connections gauge",
	"# TYPE tcp_health_exporter_http_response_bytes gauge",
	"# TYPE tcp_health_exporter_http_refused_total counter",
	"# TYPE tcp_health_exporter_config_last_reload_successful gauge",
	"# TYPE tcp_health_exporter_config_last_reload_success_timestamp_seconds gauge",
	/* listener_up both ways: 3720 listens, 5060 is expected and does not */
	"tcp_health_listener_up{port=\"3720\"} 1",
	"tcp_health_listener_up{port=\"5060\"} 0",
	"tcp_health_listener_info{port=\"1720\",address=\"::\",family=\"ipv6\"} 1",
	"tcp_health_scrape_collector_success{collector=\"tcp\"} 1",
};

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(exposition_matches_golden_file)
{
	static const struct exporter_stats zero_stats;
	struct replay replay;
	struct snapshot *s;
	struct expfmt_buf text, normal;
	const char *write_path = getenv("TCPH_GOLDEN_WRITE");
	char *golden;
	size_t golden_len = 0;

	s = replay_snapshot(&replay, 1);

	/* The replay fed each family its own records: 9 IPv4 and 3 IPv6 (record.sh). */
	ck_assert_uint_eq(replay.dumps[0], 1);
	ck_assert_uint_eq(replay.dumps[1], 1);
	ck_assert_uint_eq(replay.one_walks, 1); /* one request for both families */
	ck_assert_uint_eq(replay.records[0], 9);
	ck_assert_uint_eq(replay.records[1], 3);
	ck_assert_uint_eq(s->data.n_targets, 1);
	ck_assert(!s->data.per_netns);
	ck_assert_ptr_nonnull(s->data.targets[0].tcp);
	ck_assert_uint_eq(s->data.targets[0].tcp->sockets_scanned[TCPAGG_IPV4], 9);
	ck_assert_uint_eq(s->data.targets[0].tcp->sockets_scanned[TCPAGG_IPV6], 3);
	/* Stable by construction: the self-metrics are a zeroed struct and the scan number. */
	ck_assert_uint_eq(s->scan_number, 1);
	ck_assert_mem_eq(&s->self, &zero_stats, sizeof(zero_stats));
	/* Without --web.disable-exporter-metrics: the serving and process figures, fixed here. */
	s->self.exporter_metrics = true;
	s->self.process = (struct process_stats){ .present = true, .cpu_seconds = 0.25,
						  .resident_bytes = 6291456, .virtual_bytes = 120414208,
						  .start_time = 1795300000.5, .open_fds = 12,
						  .max_fds = 20000 };
	/* tcp and netstat succeed; sysctl fails on the junk tcp_fin_timeout of tests/data. */
	ck_assert_int_eq(s->collectors[collectors_find("tcp")].error, 0);
	ck_assert_int_eq(s->collectors[collectors_find("netstat")].error, 0);
	ck_assert_int_eq(s->collectors[collectors_find("sysctl")].error, -EINVAL);

	ck_assert_int_eq(expfmt_init(&text, 0), 0);
	ck_assert_int_eq(expfmt_init(&normal, 0), 0);
	ck_assert_int_eq(render_metrics(s, &text), 0);
	expfmt_append(&text, "", 1);
	ck_assert_int_eq(text.error, 0);
	normalise(text.data, &normal);
	ck_assert_int_eq(normal.error, 0);
	for (unsigned i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		ck_assert_msg(strstr(normal.data, required[i]) != NULL, "exposition lacks '%s'",
			      required[i]);

	/* --web.disable-exporter-metrics: neither process_* nor the HTTP serving figures. */
	{
		struct expfmt_buf off;

		s->self.exporter_metrics = false;
		ck_assert_int_eq(expfmt_init(&off, 0), 0);
		ck_assert_int_eq(render_metrics(s, &off), 0);
		expfmt_append(&off, "", 1);
		ck_assert_ptr_null(strstr(off.data, "\nprocess_"));
		ck_assert_ptr_null(strstr(off.data, "tcp_health_exporter_http_"));
		ck_assert_ptr_null(strstr(off.data, "tcp_health_exporter_stale_scrapes_total"));
		ck_assert_ptr_nonnull(strstr(off.data, "\ntcp_health_exporter_scans_total 1\n"));
		ck_assert_ptr_nonnull(strstr(off.data, "tcp_health_exporter_config_last_reload_successful"));
		expfmt_fini(&off);
		s->self.exporter_metrics = true;
	}

	if (write_path) {
		write_file(write_path, normal.data, normal.len);
		fprintf(stderr, "golden: wrote %s (%zu bytes)\n", write_path, normal.len);
	} else {
		golden = replay_load_file(unit_data_path(GOLDEN), &golden_len);
		if (!golden || golden_len != normal.len || memcmp(golden, normal.data, normal.len) != 0) {
			size_t line = 1;

			for (size_t i = 0; golden && i < golden_len && i < normal.len &&
					   golden[i] == normal.data[i];
			     i++)
				line += golden[i] == '\n';
			write_file(ACTUAL, normal.data, normal.len);
			free(golden);
			ck_abort_msg("the exposition differs from tests/data/" GOLDEN " (%s %zu); the "
				     "actual text is in " ACTUAL " (diff -u tests/data/" GOLDEN " " ACTUAL
				     "). If the change is intended, run `make golden` and review the "
				     "diff (git diff tests/data/golden) before committing it",
				     golden ? "first difference at line" : "file missing, lines",
				     line);
		}
		free(golden);
	}
	expfmt_fini(&normal);
	expfmt_fini(&text);
	snapshot_unref(s);
	replay_free(&replay);
}
END_TEST

Suite *golden_suite(void)
{
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create("exposition");

	tcase_add_test(tc, exposition_matches_golden_file);
	suite_add_tcase(s, tc);
	return s;
}
