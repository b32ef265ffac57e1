/* test_procfs.c — the netstat parser and the sysctl collector on crafted procfs files. */
#include "../../collectors/collectors.h"
#include "../../collectors/netstat.h"
#include "../../collectors/sysctl.h"
#include "../../exporter/expfmt.h"
#include "../../exporter/scrape.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

static const struct netstat_counter wanted[] = {
	{ "TcpExt", "ListenOverflows", "a", false, "" },
	{ "TcpExt", "TCPAbortOnTimeout", "b", false, "" },
	{ "Tcp", "RetransSegs", "c", false, "" },
	{ "Tcp", "CurrEstab", "d", true, "" },
	{ "TcpExt", "TCPNotInThisKernel", "e", false, "" },
};
enum { WANTED = sizeof(wanted) / sizeof(wanted[0]) };

static int64_t values[WANTED];
static bool found[WANTED];

static void setup(void)
{
	memset(values, 0, sizeof(values));
	memset(found, 0, sizeof(found));
}

START_TEST(fields_found_by_name)
{
	const char *text = "TcpExt: SyncookiesSent ListenOverflows TCPAbortOnTimeout\n"
			   "TcpExt: 1 22 333\n"
			   "Tcp: MaxConn RetransSegs CurrEstab\n"
			   "Tcp: -1 44 5\n";

	ck_assert_uint_eq(netstat_parse(text, wanted, WANTED, values, found), 4);
	ck_assert_int_eq(values[0], 22);
	ck_assert_int_eq(values[1], 333);
	ck_assert_int_eq(values[2], 44);
	ck_assert_int_eq(values[3], 5);
	ck_assert(!found[4]); /* missing in this kernel: not an error */
}
END_TEST

START_TEST(reordered_and_extra_fields_and_sections)
{
	const char *text = "IpExt: InNoRoutes\nIpExt: 9\n"
			   "TcpExt: TCPAbortOnTimeout NewField ListenOverflows\n"
			   "TcpExt: 7 123456789012 8\n"
			   "Udp: RetransSegs\nUdp: 99\n"; /* same name, other section: ignored */

	ck_assert_uint_eq(netstat_parse(text, wanted, WANTED, values, found), 2);
	ck_assert_int_eq(values[0], 8);
	ck_assert_int_eq(values[1], 7);
	ck_assert(!found[2]);
}
END_TEST

START_TEST(short_value_line_junk_and_no_trailing_newline)
{
	const char *text = "TcpExt: ListenOverflows TCPAbortOnTimeout\n"
			   "TcpExt: 5\n" /* value for the second field missing */
			   "Tcp: RetransSegs CurrEstab\n"
			   "Tcp: x12 4"; /* junk value, last line without newline */

	ck_assert_uint_eq(netstat_parse(text, wanted, WANTED, values, found), 2);
	ck_assert_int_eq(values[0], 5);
	ck_assert(!found[1]);
	ck_assert(!found[2]);
	ck_assert_int_eq(values[3], 4);
}
END_TEST

START_TEST(header_without_values_and_empty_text)
{
	ck_assert_uint_eq(netstat_parse("TcpExt: ListenOverflows\n", wanted, WANTED, values, found), 0);
	ck_assert_uint_eq(netstat_parse("", wanted, WANTED, values, found), 0);
	ck_assert_uint_eq(netstat_parse("garbage\n\n:\n", wanted, WANTED, values, found), 0);
}
END_TEST

static struct expfmt_buf out;

static const char *collect_from(int (*init)(const struct collectors_config *),
				int (*collect)(struct expfmt_buf *), const char *root, int *ret)
{
	struct collectors_config config = { .proc_root = root };

	ck_assert_int_eq(init(&config), 0);
	ck_assert_int_eq(expfmt_init(&out, 0), 0);
	*ret = collect(&out);
	expfmt_append(&out, "", 1);
	return out.data;
}

START_TEST(netstat_collector_on_crafted_files)
{
	int ret;
	const char *text = collect_from(netstat_init, netstat_collect, unit_data_path("proc"), &ret);

	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_listen_overflows_total 7\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_abort_on_timeout_total 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_retrans_segs_total 17\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tcp_health_kernel_curr_estab gauge\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_curr_estab 4\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tcp_health_kernel_out_rsts_total counter\n"));
	/* Not in the crafted files: left out, not reported as zero. */
	ck_assert_ptr_null(strstr(text, "abort_on_memory"));
	expfmt_fini(&out);
}
END_TEST

START_TEST(netstat_collector_fails_without_files)
{
	int ret;

	collect_from(netstat_init, netstat_collect, "/nonexistent", &ret);
	ck_assert_int_eq(ret, -ENOENT);
	expfmt_fini(&out);
}
END_TEST

START_TEST(sysctl_collector_on_crafted_files)
{
	int ret;
	const char *text = collect_from(sysctl_init, sysctl_collect, unit_data_path("proc"), &ret);

	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_keepalive_time_seconds 7200\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_retries2 15\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_somaxconn 4096\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_ip_local_port_range_low 32768\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_ip_local_port_range_high 60999\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_keepalive_detection_seconds 7875\n"));
	/* Missing (retries1) and junk (fin_timeout) settings are left out. */
	ck_assert_ptr_null(strstr(text, "retries1"));
	ck_assert_ptr_null(strstr(text, "fin_timeout"));
	expfmt_fini(&out);
}
END_TEST

START_TEST(sysctl_collector_fails_when_nothing_is_readable)
{
	int ret;

	collect_from(sysctl_init, sysctl_collect, "/nonexistent", &ret);
	ck_assert_int_eq(ret, -ENOENT);
	expfmt_fini(&out);
}
END_TEST

/* The scrape loop: a failing collector is reported with success 0 and the rest served. */
static const char *scrape_with(const char *proc_root, int *ret)
{
	bool enabled[16] = { false };
	struct collectors_config config = { .proc_root = proc_root };

	enabled[collectors_find("sysctl")] = true;
	enabled[collectors_find("netstat")] = true;
	ck_assert_int_eq(scrape_init(enabled, &config), 0);
	ck_assert_int_eq(expfmt_init(&out, 0), 0);
	*ret = scrape_run(&out);
	scrape_fini();
	expfmt_append(&out, "", 1);
	return out.data;
}

START_TEST(scrape_reports_each_collector)
{
	int ret;
	const char *text = scrape_with(unit_data_path("proc"), &ret);

	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tcp_health_exporter_build_info gauge\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"sysctl\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"netstat\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tcp_health_scrape_collector_duration_seconds{collector=\"netstat\"} "));
	/* Disabled collectors are not mentioned at all. */
	ck_assert_ptr_null(strstr(text, "collector=\"tcp\""));
	expfmt_fini(&out);
}
END_TEST

START_TEST(failing_collectors_do_not_fail_the_scrape)
{
	int ret;
	const char *text = scrape_with("/nonexistent", &ret);

	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"sysctl\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"netstat\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "tcp_health_exporter_build_info{"));
	ck_assert_ptr_null(strstr(text, "tcp_health_sysctl_"));
	expfmt_fini(&out);
}
END_TEST

Suite *procfs_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc = tcase_create("netstat_sysctl");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, fields_found_by_name);
	tcase_add_test(tc, reordered_and_extra_fields_and_sections);
	tcase_add_test(tc, short_value_line_junk_and_no_trailing_newline);
	tcase_add_test(tc, header_without_values_and_empty_text);
	tcase_add_test(tc, netstat_collector_on_crafted_files);
	tcase_add_test(tc, netstat_collector_fails_without_files);
	tcase_add_test(tc, sysctl_collector_on_crafted_files);
	tcase_add_test(tc, sysctl_collector_fails_when_nothing_is_readable);
	tcase_add_test(tc, scrape_reports_each_collector);
	tcase_add_test(tc, failing_collectors_do_not_fail_the_scrape);
	suite_add_tcase(s, tc);
	return s;
}
