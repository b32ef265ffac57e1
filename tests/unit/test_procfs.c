/* test_procfs.c — the procfs readers, the netstat parser, the sysctl and netstat collectors
 * on crafted procfs trees, and a scan of all collectors into a snapshot. */
#include "../../collectors/collectors.h"
#include "../../collectors/netstat.h"
#include "../../collectors/sysctl.h"
#include "../../exporter/expfmt.h"
#include "../../exporter/render_metrics.h"
#include "../../exporter/scrape.h"
#include "../../exporter/snapshot.h"
#include "../../lib/procfs.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct netstat_counter wanted[] = {
	{ "TcpExt", "ListenOverflows" },
	{ "TcpExt", "TCPAbortOnTimeout" },
	{ "Tcp", "RetransSegs" },
	{ "Tcp", "CurrEstab" },
	{ "TcpExt", "TCPNotInThisKernel" },
};
enum { WANTED = sizeof(wanted) / sizeof(wanted[0]) };

static int64_t values[WANTED];
static bool found[WANTED];
static char tmp[64]; /* a scratch procfs tree, removed by teardown */
static struct expfmt_buf out;

static void setup(void)
{
	memset(values, 0, sizeof(values));
	memset(found, 0, sizeof(found));
	tmp[0] = '\0';
	ck_assert_int_eq(expfmt_init(&out, 0), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	if (tmp[0])
		nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	tmp[0] = '\0';
	expfmt_fini(&out);
}

/* A fresh scratch directory (the root of a crafted procfs tree). */
static const char *scratch(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/tcph-procfs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	return tmp;
}

/* Writes `len` bytes to tmp/rel, creating the directories on the way. */
static void put_bytes(const char *rel, const char *text, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (char *slash = strchr(path + strlen(tmp) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
		*slash = '/';
	}
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void put(const char *rel, const char *text)
{
	put_bytes(rel, text, strlen(text));
}

/* Copies tests/data/<rel> into the scratch tree as <rel_to>. */
static void copy_data(const char *rel, const char *rel_to)
{
	char text[4096];
	FILE *f = fopen(unit_data_path(rel), "r");
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", unit_data_path(rel));
	n = fread(text, 1, sizeof(text) - 1, f);
	ck_assert(feof(f));
	fclose(f);
	put_bytes(rel_to, text, n);
}

/* The crafted files of tests/data/proc, less the junk tcp_fin_timeout: every readable
 * setting reads. */
static const char *clean_proc(void)
{
	scratch();
	copy_data("proc/net/netstat", "net/netstat");
	copy_data("proc/net/snmp", "net/snmp");
	put("sys/net/ipv4/tcp_keepalive_time", "7200\n");
	put("sys/net/ipv4/tcp_keepalive_intvl", "75\n");
	put("sys/net/ipv4/tcp_keepalive_probes", "9\n");
	put("sys/net/ipv4/tcp_retries2", "15\n");
	put("sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	put("sys/net/core/somaxconn", "4096\n");
	return tmp;
}

/* The exposition of a snapshot holding only the given collectors' data. */
static const char *render_with(const char *collector, int error, const struct target_result *data)
{
	static struct snapshot s;
	static struct target_result target;

	memset(&s, 0, sizeof(s));
	out.len = 0; /* a text of its own, not after the last one's end */
	s.collectors[collectors_find(collector)].enabled = true;
	s.collectors[collectors_find(collector)].error = error;
	target = *data;
	s.data.targets = &target;
	s.data.n_targets = 1;
	ck_assert_int_eq(render_metrics(&s, &out), 0);
	expfmt_append(&out, "", 1);
	return out.data;
}

#define ck_assert_has_line(text, line) \
	ck_assert_msg(strstr(text, "\n" line "\n") != NULL, "missing line: %s", line)

/* ---- procfs readers ------------------------------------------------------------------- */

START_TEST(read_file_exact_fit_and_too_big)
{
	char buf[16], path[PATH_MAX];

	scratch();
	snprintf(path, sizeof(path), "%s/f", tmp);
	/* cap - 1 bytes: fits exactly, NUL-terminated. */
	put("f", "0123456789abcde");
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(procfs_read_file(path, buf, sizeof(buf)), 15);
	ck_assert_str_eq(buf, "0123456789abcde");
	/* cap bytes: one too many. */
	put("f", "0123456789abcdef");
	ck_assert_int_eq(procfs_read_file(path, buf, sizeof(buf)), -EFBIG);
	put("f", "0123456789abcdef0123456789");
	ck_assert_int_eq(procfs_read_file(path, buf, sizeof(buf)), -EFBIG);
	/* Empty, a one-byte buffer, missing, a directory. */
	put("f", "");
	ck_assert_int_eq(procfs_read_file(path, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(procfs_read_file(path, buf, 1), 0);
	put("f", "x");
	ck_assert_int_eq(procfs_read_file(path, buf, 1), -EFBIG);
	ck_assert_int_eq(procfs_read_file(path, buf, 2), 1);
	ck_assert_int_eq(procfs_read_file("/nonexistent/f", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(procfs_read_file(tmp, buf, sizeof(buf)), -EISDIR);
}
END_TEST

START_TEST(read_file_of_real_proc_files)
{
	char buf[64 * 1024];
	ssize_t n = procfs_read_file("/proc/self/status", buf, sizeof(buf));

	/* procfs reports size 0: the reader must not trust st_size. */
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert_ptr_nonnull(strstr(buf, "Pid:"));
}
END_TEST

START_TEST(read_longs)
{
	long v[2];
	char path[PATH_MAX];

	scratch();
	snprintf(path, sizeof(path), "%s/f", tmp);
	put("f", "32768\t60999\n");
	ck_assert_int_eq(procfs_read_longs(path, v, 2), 2);
	ck_assert_int_eq(v[0], 32768);
	ck_assert_int_eq(v[1], 60999);
	ck_assert_int_eq(procfs_read_longs(path, v, 1), 1);
	put("f", "-1\n");
	ck_assert_int_eq(procfs_read_longs(path, v, 2), 1);
	ck_assert_int_eq(v[0], -1);
	put("f", "junk\n");
	ck_assert_int_eq(procfs_read_longs(path, v, 2), -EINVAL);
	put("f", "12x\n");
	ck_assert_int_eq(procfs_read_longs(path, v, 2), -EINVAL);
	put("f", "\n");
	ck_assert_int_eq(procfs_read_longs(path, v, 2), -EINVAL);
	ck_assert_int_eq(procfs_read_longs("/nonexistent/f", v, 2), -ENOENT);
}
END_TEST

/* ---- netstat parser ------------------------------------------------------------------- */

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

/* ---- netstat collector ---------------------------------------------------------------- */

static char netstat_buf[64 * 1024];

START_TEST(netstat_collector_on_crafted_files)
{
	struct target_result data = { 0 };
	const char *text;

	ck_assert_int_eq(netstat_scan(unit_data_path("proc"), netstat_buf, sizeof(netstat_buf),
				      &data.netstat),
			 0);
	ck_assert(data.netstat.found[NETSTAT_LISTEN_OVERFLOWS]);
	ck_assert_int_eq(data.netstat.values[NETSTAT_LISTEN_OVERFLOWS], 7);
	ck_assert_int_eq(data.netstat.values[NETSTAT_LISTEN_DROPS], 9);
	ck_assert_int_eq(data.netstat.values[NETSTAT_ABORT_ON_TIMEOUT], 3);
	ck_assert_int_eq(data.netstat.values[NETSTAT_KEEP_ALIVE], 120);
	ck_assert_int_eq(data.netstat.values[NETSTAT_RETRANS_SEGS], 17);
	ck_assert_int_eq(data.netstat.values[NETSTAT_CURR_ESTAB], 4);
	ck_assert_int_eq(data.netstat.values[NETSTAT_OUT_RSTS], 5);
	ck_assert_int_eq(data.netstat.values[NETSTAT_OUT_SEGS], 1100);
	ck_assert_int_eq(data.netstat.values[NETSTAT_ESTAB_RESETS], 1);
	ck_assert_int_eq(data.netstat.values[NETSTAT_ATTEMPT_FAILS], 2);
	/* Not in the crafted files: left out, not reported as zero. */
	ck_assert(!data.netstat.found[NETSTAT_ABORT_ON_MEMORY]);
	ck_assert(!data.netstat.found[NETSTAT_SYN_RETRANS]);

	text = render_with("netstat", 0, &data);
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_listen_overflows_total 7\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_abort_on_timeout_total 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_retrans_segs_total 17\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tcp_health_kernel_curr_estab gauge\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_curr_estab 4\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tcp_health_kernel_out_rsts_total counter\n"));
	ck_assert_ptr_null(strstr(text, "abort_on_memory"));
}
END_TEST

START_TEST(netstat_negative_value_is_written_as_such)
{
	struct target_result data = { 0 };

	data.netstat.found[NETSTAT_CURR_ESTAB] = true;
	data.netstat.values[NETSTAT_CURR_ESTAB] = -1;
	ck_assert_has_line(render_with("netstat", 0, &data), "tcp_health_kernel_curr_estab -1");
}
END_TEST

START_TEST(netstat_collector_fails_without_files)
{
	struct netstat_result r;

	ck_assert_int_eq(netstat_scan("/nonexistent", netstat_buf, sizeof(netstat_buf), &r), -ENOENT);
	for (unsigned i = 0; i < NETSTAT_COUNT; i++)
		ck_assert(!r.found[i]);
}
END_TEST

/* An empty /proc/net/netstat must not pass for a kernel without TcpExt counters; what snmp
 * gave is still served. */
START_TEST(netstat_fails_on_empty_netstat_but_keeps_snmp)
{
	struct netstat_result r;

	scratch();
	put("net/netstat", "");
	copy_data("proc/net/snmp", "net/snmp");
	ck_assert_int_eq(netstat_scan(tmp, netstat_buf, sizeof(netstat_buf), &r), -ENODATA);
	ck_assert(r.found[NETSTAT_RETRANS_SEGS]);
	ck_assert_int_eq(r.values[NETSTAT_RETRANS_SEGS], 17);
	ck_assert(r.found[NETSTAT_CURR_ESTAB]);
	ck_assert_int_eq(r.values[NETSTAT_CURR_ESTAB], 4);
	ck_assert(r.found[NETSTAT_OUT_RSTS]);
	ck_assert(!r.found[NETSTAT_LISTEN_OVERFLOWS]);
	ck_assert(!r.found[NETSTAT_ABORT_ON_TIMEOUT]);

	/* Only other sections' counters in it: the same. */
	put("net/netstat", "IpExt: InNoRoutes\nIpExt: 0\nTcp: RetransSegs\nTcp: 99\n");
	ck_assert_int_eq(netstat_scan(tmp, netstat_buf, sizeof(netstat_buf), &r), -ENODATA);
	ck_assert_int_eq(r.values[NETSTAT_RETRANS_SEGS], 17); /* snmp's, not netstat's Tcp line */
	ck_assert(!r.found[NETSTAT_LISTEN_OVERFLOWS]);
}
END_TEST

START_TEST(netstat_fails_on_unreadable_netstat_but_keeps_snmp)
{
	struct netstat_result r;
	char path[PATH_MAX];

	/* Root reads mode-000 files, so "unreadable" is a directory in the file's place. */
	scratch();
	copy_data("proc/net/snmp", "net/snmp");
	snprintf(path, sizeof(path), "%s/net/netstat", tmp);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(netstat_scan(tmp, netstat_buf, sizeof(netstat_buf), &r), -EISDIR);
	ck_assert(r.found[NETSTAT_RETRANS_SEGS]);
	ck_assert_int_eq(r.values[NETSTAT_CURR_ESTAB], 4);
	ck_assert(!r.found[NETSTAT_LISTEN_OVERFLOWS]);

	/* Missing altogether. */
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(netstat_scan(tmp, netstat_buf, sizeof(netstat_buf), &r), -ENOENT);
	ck_assert(r.found[NETSTAT_RETRANS_SEGS]);
}
END_TEST

START_TEST(netstat_fails_on_snmp_without_tcp_but_keeps_netstat)
{
	struct netstat_result r;

	scratch();
	copy_data("proc/net/netstat", "net/netstat");
	put("net/snmp", "Ip: Forwarding DefaultTTL\nIp: 1 64\nUdp: InDatagrams\nUdp: 3\n");
	ck_assert_int_eq(netstat_scan(tmp, netstat_buf, sizeof(netstat_buf), &r), -ENODATA);
	ck_assert(r.found[NETSTAT_LISTEN_OVERFLOWS]);
	ck_assert_int_eq(r.values[NETSTAT_LISTEN_OVERFLOWS], 7);
	ck_assert(!r.found[NETSTAT_RETRANS_SEGS]);
}
END_TEST

START_TEST(netstat_fails_when_a_file_outgrows_the_buffer)
{
	struct netstat_result r;
	char small[100]; /* snmp (266 bytes) and netstat (184 bytes) do not fit */

	ck_assert_int_eq(netstat_scan(unit_data_path("proc"), small, sizeof(small), &r), -EFBIG);
	for (unsigned i = 0; i < NETSTAT_COUNT; i++)
		ck_assert(!r.found[i]);
}
END_TEST

/* ---- sysctl collector ----------------------------------------------------------------- */

START_TEST(sysctl_collector_on_crafted_files)
{
	struct target_result data = { 0 };
	const char *text;

	/* tests/data/proc holds junk in tcp_fin_timeout: anything but ENOENT fails the
	 * collector, and what could be read is still in the result. */
	ck_assert_int_eq(sysctl_scan(unit_data_path("proc"), &data.sysctl), -EINVAL);
	ck_assert(data.sysctl.present[SYSCTL_KEEPALIVE_TIME]);
	ck_assert_int_eq(data.sysctl.values[SYSCTL_KEEPALIVE_TIME][0], 7200);
	ck_assert_int_eq(data.sysctl.values[SYSCTL_RETRIES2][0], 15);
	ck_assert_int_eq(data.sysctl.values[SYSCTL_SOMAXCONN][0], 4096);
	ck_assert(data.sysctl.present[SYSCTL_IP_LOCAL_PORT_RANGE]);
	ck_assert_int_eq(data.sysctl.values[SYSCTL_IP_LOCAL_PORT_RANGE][0], 32768);
	ck_assert_int_eq(data.sysctl.values[SYSCTL_IP_LOCAL_PORT_RANGE][1], 60999);
	ck_assert(data.sysctl.has_keepalive_detection);
	ck_assert_int_eq(data.sysctl.keepalive_detection_seconds, 7875);
	/* Missing (retries1) and junk (fin_timeout) settings are left out. */
	ck_assert(!data.sysctl.present[SYSCTL_RETRIES1]);
	ck_assert(!data.sysctl.present[SYSCTL_FIN_TIMEOUT]);

	text = render_with("sysctl", -EINVAL, &data);
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_keepalive_time_seconds 7200\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_retries2 15\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_somaxconn 4096\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_ip_local_port_range_low 32768\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_ip_local_port_range_high 60999\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_keepalive_detection_seconds 7875\n"));
	ck_assert_ptr_null(strstr(text, "retries1"));
	ck_assert_ptr_null(strstr(text, "fin_timeout"));
	ck_assert_has_line(text, "tcp_health_scrape_collector_success{collector=\"sysctl\"} 0");
}
END_TEST

/* Settings this kernel does not have (ENOENT) are skipped without failing the collector. */
START_TEST(sysctl_missing_settings_are_skipped)
{
	struct sysctl_result r;
	char path[PATH_MAX];

	clean_proc();
	ck_assert_int_eq(sysctl_scan(tmp, &r), 0);
	ck_assert(r.present[SYSCTL_KEEPALIVE_TIME]);
	ck_assert(r.present[SYSCTL_SOMAXCONN]);
	ck_assert(r.present[SYSCTL_IP_LOCAL_PORT_RANGE]);
	ck_assert(!r.present[SYSCTL_RETRIES1]);
	ck_assert(!r.present[SYSCTL_FIN_TIMEOUT]);
	ck_assert(!r.present[SYSCTL_TW_REUSE]);
	ck_assert(r.has_keepalive_detection);
	ck_assert_int_eq(r.keepalive_detection_seconds, 7200 + 75 * 9);

	/* Without one keepalive term there is no detection time, and still no failure. */
	put("sys/net/ipv4/tcp_tw_reuse", "2\n");
	snprintf(path, sizeof(path), "%s/sys/net/ipv4/tcp_keepalive_probes", tmp);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(sysctl_scan(tmp, &r), 0);
	ck_assert(!r.has_keepalive_detection);
	ck_assert(r.present[SYSCTL_TW_REUSE]);
	ck_assert_int_eq(r.values[SYSCTL_TW_REUSE][0], 2);
}
END_TEST

/* The hash table sizes of Linux 6.1+: negative when the namespace shares the host's table;
 * tcp_child_ehash_entries missing (older kernels, or a /proc without it) is no failure. */
START_TEST(sysctl_hash_table_sizes)
{
	struct target_result data = { 0 };
	const char *text;

	clean_proc();
	put("sys/net/ipv4/tcp_ehash_entries", "-262144\n");
	ck_assert_int_eq(sysctl_scan(tmp, &data.sysctl), 0);
	ck_assert(data.sysctl.present[SYSCTL_EHASH_ENTRIES]);
	ck_assert_int_eq(data.sysctl.values[SYSCTL_EHASH_ENTRIES][0], -262144);
	ck_assert(!data.sysctl.present[SYSCTL_CHILD_EHASH_ENTRIES]);
	text = render_with("sysctl", 0, &data);
	ck_assert_has_line(text, "tcp_health_sysctl_ehash_entries -262144");
	ck_assert_ptr_null(strstr(text, "child_ehash"));
	ck_assert_has_line(text, "tcp_health_scrape_collector_success{collector=\"sysctl\"} 1");

	put("sys/net/ipv4/tcp_child_ehash_entries", "4096\n");
	ck_assert_int_eq(sysctl_scan(tmp, &data.sysctl), 0);
	ck_assert(data.sysctl.present[SYSCTL_CHILD_EHASH_ENTRIES]);
	ck_assert_int_eq(data.sysctl.values[SYSCTL_CHILD_EHASH_ENTRIES][0], 4096);
	text = render_with("sysctl", 0, &data);
	ck_assert_has_line(text, "tcp_health_sysctl_child_ehash_entries 4096");
	/* Junk in it is a failure like any other setting's, the rest still read. */
	put("sys/net/ipv4/tcp_child_ehash_entries", "many\n");
	ck_assert_int_eq(sysctl_scan(tmp, &data.sysctl), -EINVAL);
	ck_assert(!data.sysctl.present[SYSCTL_CHILD_EHASH_ENTRIES]);
	ck_assert(data.sysctl.present[SYSCTL_EHASH_ENTRIES]);
}
END_TEST

START_TEST(sysctl_port_range_needs_two_values)
{
	struct sysctl_result r;

	clean_proc();
	put("sys/net/ipv4/ip_local_port_range", "32768\n");
	ck_assert_int_eq(sysctl_scan(tmp, &r), -EINVAL);
	ck_assert(!r.present[SYSCTL_IP_LOCAL_PORT_RANGE]);
	ck_assert(r.present[SYSCTL_SOMAXCONN]);
}
END_TEST

START_TEST(sysctl_collector_fails_when_nothing_is_readable)
{
	struct sysctl_result r;

	ck_assert_int_eq(sysctl_scan("/nonexistent", &r), -ENOENT);
	for (unsigned i = 0; i < SYSCTL_COUNT; i++)
		ck_assert(!r.present[i]);
	ck_assert(!r.has_keepalive_detection);
}
END_TEST

/* ---- a scan of every enabled collector ------------------------------------------------ */

static struct snapshot *snapshot_with(const char *proc_root)
{
	bool enabled[COLLECTORS_MAX] = { false };
	struct collectors_config config = { .proc_root = proc_root };
	struct collectors *c;
	struct snapshot *s = NULL;

	enabled[collectors_find("sysctl")] = true;
	enabled[collectors_find("netstat")] = true;
	ck_assert_int_eq(collectors_create(&c, enabled, &config), 0);
	ck_assert_int_eq(snapshot_take(c, 7, &s), 0);
	collectors_destroy(c);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(render_metrics(s, &out), 0);
	expfmt_append(&out, "", 1);
	return s;
}

START_TEST(scrape_reports_each_collector)
{
	struct snapshot *s = snapshot_with(clean_proc());
	const char *text = out.data;

	ck_assert_uint_eq(s->scan_number, 7);
	ck_assert(!s->collectors[collectors_find("tcp")].enabled);
	ck_assert_int_eq(s->collectors[collectors_find("sysctl")].error, 0);
	ck_assert_int_eq(s->collectors[collectors_find("netstat")].error, 0);
	ck_assert_uint_eq(s->data.n_targets, 1);
	ck_assert_ptr_null(s->data.targets[0].tcp);
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tcp_health_exporter_build_info gauge\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"sysctl\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"netstat\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tcp_health_scrape_collector_duration_seconds{collector=\"netstat\"} "));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_exporter_scans_total 7\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_somaxconn 4096\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_kernel_listen_overflows_total 7\n"));
	/* The scan's cost, in seconds, as the snapshot holds it in nanoseconds. */
	{
		static const char *const names[] = { "\ntcp_health_exporter_scan_duration_seconds ",
						     "\ntcp_health_exporter_scan_seconds_total ",
						     "\ntcp_health_exporter_scan_cpu_seconds_total " };
		const unsigned long long ns[] = { s->data.cost.wall_ns, s->data.cost.wall_ns_total,
						  s->data.cost.cpu_ns_total };

		for (unsigned i = 0; i < 3; i++) {
			const char *line = strstr(text, names[i]);

			ck_assert_msg(line != NULL, "missing %s", names[i] + 1);
			ck_assert_msg(fabs(strtod(line + strlen(names[i]), NULL) - (double)ns[i] / 1e9) < 1e-12,
				      "%s: %s", names[i] + 1, line + strlen(names[i]));
		}
		ck_assert_uint_gt(s->data.cost.cpu_ns, 0);
	}
	/* Disabled collectors are not mentioned at all. */
	ck_assert_ptr_null(strstr(text, "collector=\"tcp\""));
	ck_assert_ptr_null(strstr(text, "tcp_health_connections"));
	snapshot_unref(s);
}
END_TEST

START_TEST(failing_collectors_do_not_fail_the_scrape)
{
	struct snapshot *s = snapshot_with("/nonexistent");
	const char *text = out.data;

	ck_assert_int_eq(s->collectors[collectors_find("sysctl")].error, -ENOENT);
	ck_assert_int_eq(s->collectors[collectors_find("netstat")].error, -ENOENT);
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"sysctl\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"netstat\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "tcp_health_exporter_build_info{"));
	ck_assert_ptr_null(strstr(text, "tcp_health_sysctl_"));
	ck_assert_ptr_null(strstr(text, "tcp_health_kernel_"));
	snapshot_unref(s);
}
END_TEST

START_TEST(partly_failing_collector_serves_what_it_read)
{
	struct snapshot *s = snapshot_with(unit_data_path("proc")); /* junk tcp_fin_timeout */
	const char *text = out.data;

	ck_assert_int_eq(s->collectors[collectors_find("sysctl")].error, -EINVAL);
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"sysctl\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_scrape_collector_success{collector=\"netstat\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntcp_health_sysctl_keepalive_time_seconds 7200\n"));
	ck_assert_ptr_null(strstr(text, "fin_timeout"));
	snapshot_unref(s);
}
END_TEST

/* ---- the scanner thread --------------------------------------------------------------- */

static void fill_stats(void *ctx, struct exporter_stats *st)
{
	st->connections_open = ++*(unsigned *)ctx;
}

/* The totals add up exactly (integer nanoseconds), whatever the order of magnitude. */
START_TEST(scan_cost_totals)
{
	struct collectors_cost totals = { 0 }, cost;

	cost = collectors_cost_add(&totals, 3000000000ull, 1500000000ull);
	ck_assert_uint_eq(cost.wall_ns, 3000000000ull);
	ck_assert_uint_eq(cost.cpu_ns, 1500000000ull);
	ck_assert_uint_eq(cost.wall_ns_total, 3000000000ull);
	ck_assert_uint_eq(cost.cpu_ns_total, 1500000000ull);
	for (unsigned i = 0; i < 1000000; i++)
		cost = collectors_cost_add(&totals, 1, 2);
	ck_assert_uint_eq(cost.wall_ns, 1);
	ck_assert_uint_eq(cost.cpu_ns, 2);
	ck_assert_uint_eq(cost.wall_ns_total, 3001000000ull);
	ck_assert_uint_eq(cost.cpu_ns_total, 1502000000ull);
	ck_assert_mem_eq(&totals.wall_ns_total, &cost.wall_ns_total, sizeof(cost.wall_ns_total));
}
END_TEST

START_TEST(scanner_thread_numbers_scans_and_stops)
{
	bool enabled[COLLECTORS_MAX] = { false };
	struct collectors_config config = { .proc_root = clean_proc() };
	struct snapshot *first, *second, *latest;
	struct scrape *sc;
	unsigned stats_calls = 0;

	enabled[collectors_find("sysctl")] = true;
	ck_assert_int_eq(scrape_create(&sc, enabled, &config, fill_stats, &stats_calls), 0);
	ck_assert_ptr_null(scrape_latest(sc));
	first = scrape_wait(sc);
	ck_assert_ptr_nonnull(first);
	ck_assert_uint_eq(first->scan_number, 1);
	ck_assert_uint_eq(first->self.connections_open, 1);
	ck_assert_int_eq(first->collectors[collectors_find("sysctl")].error, 0);
	ck_assert(first->data.targets[0].sysctl.present[SYSCTL_SOMAXCONN]);
	second = scrape_wait(sc);
	ck_assert_ptr_nonnull(second);
	ck_assert_ptr_ne(first, second);
	ck_assert_uint_eq(second->scan_number, 2);
	ck_assert_uint_eq(second->self.connections_open, 2);
	/* What the scans cost: one thread (NETNS_SELF), so its CPU is within the wall time
	 * (1 ms for the two clocks' resolutions), and the totals are the scans' sums. */
	for (unsigned i = 0; i < 2; i++) {
		const struct collectors_cost *cost = i ? &second->data.cost : &first->data.cost;

		ck_assert_uint_gt(cost->wall_ns, 0);
		ck_assert_uint_gt(cost->cpu_ns, 0);
		ck_assert_uint_le(cost->cpu_ns, cost->wall_ns + 1000000);
	}
	ck_assert_uint_eq(first->data.cost.wall_ns_total, first->data.cost.wall_ns);
	ck_assert_uint_eq(first->data.cost.cpu_ns_total, first->data.cost.cpu_ns);
	ck_assert_uint_eq(second->data.cost.wall_ns_total,
			  first->data.cost.wall_ns_total + second->data.cost.wall_ns);
	ck_assert_uint_eq(second->data.cost.cpu_ns_total,
			  first->data.cost.cpu_ns_total + second->data.cost.cpu_ns);
	latest = scrape_latest(sc);
	ck_assert_ptr_eq(latest, second);
	snapshot_unref(latest);
	/* The first snapshot stays valid while referenced. */
	ck_assert_uint_eq(first->scan_number, 1);
	snapshot_unref(first);
	scrape_stop(sc);
	ck_assert_ptr_null(scrape_wait(sc)); /* stopped: no more scans */
	latest = scrape_latest(sc);	     /* the latest stays until destroy */
	ck_assert_ptr_eq(latest, second);
	snapshot_unref(latest);
	snapshot_unref(second);
	scrape_destroy(sc);
	ck_assert_uint_eq(stats_calls, 2);
}
END_TEST

Suite *procfs_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *readers = tcase_create("readers");
	TCase *tc = tcase_create("netstat_sysctl");
	TCase *scan = tcase_create("scan");

	tcase_add_checked_fixture(readers, setup, teardown);
	tcase_add_test(readers, read_file_exact_fit_and_too_big);
	tcase_add_test(readers, read_file_of_real_proc_files);
	tcase_add_test(readers, read_longs);
	suite_add_tcase(s, readers);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fields_found_by_name);
	tcase_add_test(tc, reordered_and_extra_fields_and_sections);
	tcase_add_test(tc, short_value_line_junk_and_no_trailing_newline);
	tcase_add_test(tc, header_without_values_and_empty_text);
	tcase_add_test(tc, netstat_collector_on_crafted_files);
	tcase_add_test(tc, netstat_negative_value_is_written_as_such);
	tcase_add_test(tc, netstat_collector_fails_without_files);
	tcase_add_test(tc, netstat_fails_on_empty_netstat_but_keeps_snmp);
	tcase_add_test(tc, netstat_fails_on_unreadable_netstat_but_keeps_snmp);
	tcase_add_test(tc, netstat_fails_on_snmp_without_tcp_but_keeps_netstat);
	tcase_add_test(tc, netstat_fails_when_a_file_outgrows_the_buffer);
	tcase_add_test(tc, sysctl_collector_on_crafted_files);
	tcase_add_test(tc, sysctl_missing_settings_are_skipped);
	tcase_add_test(tc, sysctl_hash_table_sizes);
	tcase_add_test(tc, sysctl_port_range_needs_two_values);
	tcase_add_test(tc, sysctl_collector_fails_when_nothing_is_readable);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(scan, setup, teardown);
	tcase_add_test(scan, scrape_reports_each_collector);
	tcase_add_test(scan, failing_collectors_do_not_fail_the_scrape);
	tcase_add_test(scan, partly_failing_collector_serves_what_it_read);
	tcase_add_test(scan, scan_cost_totals);
	tcase_add_test(scan, scanner_thread_numbers_scans_and_stops);
	tcase_set_timeout(scan, 30);
	suite_add_tcase(s, scan);
	return s;
}
