/* test_flags.c — flag parsing and validation, port lists, the assembled flag table. */
#include "../../collectors/collectors.h"
#include "../../exporter/bodies.h"
#include "../../exporter/flags.h"
#include "../../exporter/http.h"
#include "unit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct flags *flags;
static char err[512];
static FILE *devnull;

static void setup(void)
{
	flags = malloc(sizeof(*flags));
	ck_assert_ptr_nonnull(flags);
	devnull = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(devnull);
	err[0] = '\0';
}

static void teardown(void)
{
	free(flags);
	fclose(devnull);
}

static int parse(int argc, const char **argv)
{
	return flags_parse(argc, (char **)argv, flags, devnull, err, sizeof(err));
}

START_TEST(defaults)
{
	const char *argv[] = { "x", NULL };

	ck_assert_int_eq(parse(1, argv), FLAGS_RUN);
	ck_assert_uint_eq(flags->web.n_listen_addresses, 1);
	ck_assert_str_eq(flags->web.listen_addresses[0], ":9978");
	ck_assert(!flags->web.systemd_socket);
	ck_assert_str_eq(flags->web.telemetry_path, "/metrics");
	ck_assert_uint_eq(flags->tcp.max_ports, 250);
	ck_assert_uint_eq(flags->tcp.worst_connections, TCPAGG_WORST_DEFAULT);
	ck_assert_uint_eq(flags->tcp.listen_ports.n, 0);
	ck_assert_int_eq(flags->log.level, LOG_LEVEL_INFO);
	ck_assert(flags->collectors.enabled[collectors_find("tcp")]);
	ck_assert_uint_eq(flags->tcp.idle_threshold_seconds, 300);
	ck_assert_uint_eq(flags->web.max_requests, 40);
	ck_assert_uint_eq(flags->web.max_connections, 4096);
	ck_assert_uint_eq(flags->web.max_connections_per_ip, 128);
	ck_assert_uint_eq(flags->web.read_timeout_ms, 10000);
	ck_assert_uint_eq(flags->web.write_timeout_ms, 60000);
	ck_assert_ptr_null(flags->web.config_file);
	ck_assert(flags->web.status_exclude_self);
	ck_assert(flags->tcp.histograms);
	ck_assert_int_eq(flags->log.format, LOG_FORMAT_LOGFMT);
}
END_TEST

/* --web.listen-address: each one given is kept, in order; none with --web.systemd-socket. */
START_TEST(repeated_listen_address)
{
	const char *two[] = { "x", "--web.listen-address=127.0.0.1:1", "--web.listen-address", "[::1]:2", NULL };
	const char *twice[] = { "x", "--web.listen-address=:1", "--web.listen-address=:1", NULL };
	const char *systemd[] = { "x", "--web.systemd-socket", NULL };
	const char *both[] = { "x", "--web.systemd-socket", "--web.listen-address=:1", NULL };
	const char *nine[11] = { "x" };
	char text[9][32];

	ck_assert_int_eq(parse(4, two), FLAGS_RUN);
	ck_assert_uint_eq(flags->web.n_listen_addresses, 2);
	ck_assert_str_eq(flags->web.listen_addresses[0], "127.0.0.1:1");
	ck_assert_str_eq(flags->web.listen_addresses[1], "[::1]:2");
	ck_assert_int_eq(parse(3, twice), -EINVAL);
	ck_assert_str_eq(err, "invalid --web.listen-address ':1': given twice");
	ck_assert_int_eq(parse(2, systemd), FLAGS_RUN);
	ck_assert(flags->web.systemd_socket);
	ck_assert_uint_eq(flags->web.n_listen_addresses, 0);
	ck_assert_int_eq(parse(3, both), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "exclude each other"));
	for (unsigned i = 0; i < WEB_FLAGS_MAX_LISTEN_ADDRESSES + 1; i++) {
		snprintf(text[i], sizeof(text[i]), "--web.listen-address=:%u", i + 1);
		nine[i + 1] = text[i];
	}
	ck_assert_int_eq(parse(WEB_FLAGS_MAX_LISTEN_ADDRESSES + 1, nine), FLAGS_RUN);
	ck_assert_uint_eq(flags->web.n_listen_addresses, WEB_FLAGS_MAX_LISTEN_ADDRESSES);
	ck_assert_int_eq(parse(WEB_FLAGS_MAX_LISTEN_ADDRESSES + 2, nine), -EINVAL);
	ck_assert_str_eq(err, "too many --web.listen-address: at most 8");
}
END_TEST

/* --collector.disable-defaults: only what --collector.NAME names runs, wherever it stands. */
START_TEST(disable_defaults)
{
	const char *before[] = { "x", "--collector.disable-defaults", "--collector.netstat", NULL };
	const char *after[] = { "x", "--collector.sysctl", "--collector.disable-defaults", NULL };
	const char *none[] = { "x", "--collector.disable-defaults", NULL };
	const char *off_again[] = { "x", "--collector.tcp", "--no-collector.tcp", "--collector.disable-defaults", NULL };

	ck_assert_int_eq(parse(3, before), FLAGS_RUN);
	ck_assert(!flags->collectors.enabled[collectors_find("tcp")]);
	ck_assert(!flags->collectors.enabled[collectors_find("sysctl")]);
	ck_assert(flags->collectors.enabled[collectors_find("netstat")]);
	ck_assert_int_eq(parse(3, after), FLAGS_RUN);
	ck_assert(!flags->collectors.enabled[collectors_find("tcp")]);
	ck_assert(flags->collectors.enabled[collectors_find("sysctl")]);
	ck_assert(!flags->collectors.enabled[collectors_find("netstat")]);
	ck_assert_int_eq(parse(2, none), FLAGS_RUN);
	for (unsigned i = 0; i < collectors_count; i++)
		ck_assert(!flags->collectors.enabled[i]);
	/* --collector.NAME and --no-collector.NAME are one row: given both, it is a repeat. */
	ck_assert_int_eq(parse(4, off_again), -EINVAL);
	ck_assert_str_eq(err, "flag '--[no-]collector.tcp' given twice (see --help; only "
			      "--web.listen-address may be repeated)");
}
END_TEST

START_TEST(all_flags)
{
	const char *argv[] = { "x", "--web.listen-address=127.0.0.1:1", "--web.telemetry-path", "/m",
			       "--listen-ports", "1720,1202,3720,1202", "--client-ports=5432",
			       "--max-ports=10", "--log.level=debug", "--no-collector.tcp",
			       "--collector.tcp.worst-connections=100", NULL };

	ck_assert_int_eq(parse(11, argv), FLAGS_RUN);
	ck_assert_uint_eq(flags->tcp.worst_connections, 100);
	ck_assert_uint_eq(flags->web.n_listen_addresses, 1);
	ck_assert_str_eq(flags->web.listen_addresses[0], "127.0.0.1:1");
	ck_assert_str_eq(flags->web.telemetry_path, "/m");
	ck_assert_uint_eq(flags->tcp.listen_ports.n, 3); /* sorted, duplicates dropped */
	ck_assert_uint_eq(flags->tcp.listen_ports.ports[0], 1202);
	ck_assert_uint_eq(flags->tcp.listen_ports.ports[1], 1720);
	ck_assert_uint_eq(flags->tcp.listen_ports.ports[2], 3720);
	ck_assert_uint_eq(flags->tcp.client_ports.n, 1);
	ck_assert_uint_eq(flags->tcp.client_ports.ports[0], 5432);
	ck_assert_uint_eq(flags->tcp.max_ports, 10);
	ck_assert_int_eq(flags->log.level, LOG_LEVEL_DEBUG);
	ck_assert(!flags->collectors.enabled[collectors_find("tcp")]);
}
END_TEST

START_TEST(help_and_version_exit_ok)
{
	const char *help[] = { "x", "--help", NULL };
	const char *version[] = { "x", "--version", NULL };

	ck_assert_int_eq(parse(2, help), FLAGS_EXIT_OK);
	ck_assert_int_eq(parse(2, version), FLAGS_EXIT_OK);
}
END_TEST

/* Each bad command line is rejected with a message naming the offending text. */
static const struct {
	const char *flag;
	const char *value;
	const char *message_part;
} bad[] = {
	{ "--listen-ports", "0", "'0'" },
	{ "--listen-ports", "65536", "'65536'" },
	{ "--listen-ports", "12a", "'12a'" },
	{ "--listen-ports", "1,,2", "'1,,2'" },
	{ "--listen-ports", "1,", "'1,'" },
	{ "--listen-ports", "", "empty" },
	{ "--listen-ports", "-5", "'-5'" },
	{ "--listen-ports", "10-5", "reversed" },
	{ "--listen-ports", "1-300", "more than 250 ports" },
	{ "--client-ports", " 80", "' 80'" },
	{ "--max-ports", "0", "'0'" },
	{ "--max-ports", "abc", "'abc'" },
	{ "--max-ports", "4097", "'4097'" },
	{ "--collector.tcp.worst-connections", "0", "'0'" },
	{ "--collector.tcp.worst-connections", "101", "'101'" },
	{ "--log.level", "loud", "'loud'" },
	{ "--log.format", "xml", "'xml'" },
	{ "--web.telemetry-path", "metrics", "'metrics'" },
	{ "--web.telemetry-path", "/", "'/'" },
	{ "--web.telemetry-path", "/-/healthy", "serves it already" },
	{ "--web.telemetry-path", "/-/ready", "serves it already" },
	{ "--web.telemetry-path", "/api/v1/status", "serves it already" },
	{ "--web.telemetry-path", "/a\"><script>", "script" },
	{ "--web.telemetry-path", "/m?x=1", "'/m?x=1'" },
	{ "--idle-threshold", "0", "'0'" },
	{ "--idle-threshold", "999ms", "'999ms'" },
	{ "--idle-threshold", "1500ms", "whole seconds" },
	{ "--idle-threshold", "7d1s", "'7d1s'" },
	{ "--idle-threshold", "5x", "'5x'" },
	{ "--idle-threshold", "-1s", "'-1s'" },
	{ "--idle-threshold", "1.5s", "'1.5s'" },
	{ "--idle-threshold", "", "''" },
	{ "--web.max-requests", "-1", "'-1'" },
	{ "--web.max-requests", "100001", "'100001'" },
	{ "--web.max-requests", "10k", "'10k'" },
	{ "--web.max-connections", "0", "'0'" },
	{ "--web.max-connections", "65537", "'65537'" },
	{ "--web.max-connections", " 5", "' 5'" },
	{ "--web.max-connections-per-ip", "-1", "'-1'" },
	{ "--web.max-connections-per-ip", "65537", "'65537'" },
	{ "--web.read-timeout", "99ms", "'99ms'" },
	{ "--web.read-timeout", "0", "'0'" },
	{ "--web.read-timeout", "1h1ms", "'1h1ms'" },
	{ "--web.read-timeout", "2h", "'2h'" },
	{ "--web.read-timeout", "10sec", "'10sec'" },
	{ "--web.write-timeout", "99ms", "'99ms'" },
	{ "--web.write-timeout", "3601s", "'3601s'" },
	{ "--web.write-timeout", "1m30", "'1m30'" },
};

START_TEST(bad_values)
{
	const char *argv[] = { "x", bad[_i].flag, bad[_i].value, NULL };

	ck_assert_int_eq(parse(3, argv), -EINVAL);
	ck_assert_msg(strstr(err, bad[_i].message_part) != NULL, "%s %s -> '%s'", bad[_i].flag,
		      bad[_i].value, err);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* The new flags at their bounds, and durations in every accepted spelling. */
START_TEST(web_limits_and_durations)
{
	const char *low[] = { "x", "--web.max-requests=0", "--web.max-connections=1",
			      "--web.max-connections-per-ip=0", "--web.read-timeout=100ms",
			      "--web.write-timeout=100ms", "--idle-threshold=1s", NULL };
	const char *high[] = { "x", "--web.max-requests=100000", "--web.max-connections=65536",
			       "--web.max-connections-per-ip=65536", "--web.read-timeout=1h",
			       "--web.write-timeout=3600", "--idle-threshold=7d", NULL };
	const char *mixed[] = { "x", "--web.read-timeout", "1m30s", "--web.write-timeout=2m",
				"--idle-threshold", "90", NULL };

	ck_assert_int_eq(parse(7, low), FLAGS_RUN);
	ck_assert_uint_eq(flags->web.max_requests, 0);
	ck_assert_uint_eq(flags->web.max_connections, 1);
	ck_assert_uint_eq(flags->web.max_connections_per_ip, 0);
	ck_assert_uint_eq(flags->web.read_timeout_ms, 100);
	ck_assert_uint_eq(flags->web.write_timeout_ms, 100);
	ck_assert_uint_eq(flags->tcp.idle_threshold_seconds, 1);

	ck_assert_int_eq(parse(7, high), FLAGS_RUN);
	ck_assert_uint_eq(flags->web.max_requests, 100000);
	ck_assert_uint_eq(flags->web.max_connections, 65536);
	ck_assert_uint_eq(flags->web.max_connections_per_ip, 65536);
	ck_assert_uint_eq(flags->web.read_timeout_ms, 3600000);
	ck_assert_uint_eq(flags->web.write_timeout_ms, 3600000);
	ck_assert_uint_eq(flags->tcp.idle_threshold_seconds, 7 * 24 * 3600);

	ck_assert_int_eq(parse(6, mixed), FLAGS_RUN);
	ck_assert_uint_eq(flags->web.read_timeout_ms, 90000);
	ck_assert_uint_eq(flags->web.write_timeout_ms, 120000);
	ck_assert_uint_eq(flags->tcp.idle_threshold_seconds, 90);
	/* Parsing again starts from the defaults. */
	ck_assert_int_eq(parse(1, (const char *[]){ "x", NULL }), FLAGS_RUN);
	ck_assert_uint_eq(flags->web.read_timeout_ms, 10000);
	ck_assert_uint_eq(flags->tcp.idle_threshold_seconds, 300);
}
END_TEST

static const struct {
	const char *text;
	uint64_t ms;
} good_durations[] = {
	{ "500ms", 500 },      { "10s", 10000 },     { "5m", 300000 },	  { "1h", 3600000 },
	{ "1d", 86400000 },    { "1m30s", 90000 },   { "10", 10000 },	  { "0", 0 },
	{ "0ms", 0 },	       { "1h1ms", 3600001 }, { "2d3h4m5s6ms", 183845006 },
	{ "007s", 7000 },      { "1s1s", 2000 },
};

static const char *const bad_durations[] = {
	"",	 "5x",	  "-1s",    "1.5s",   "+1s",   "s",	"ms",	  "1m30", "10 s",
	" 10s",	 "10s ",  "1S",	    "1sec",   "1us",   "1ns",	"1w",	  "1y",	  "1e3",
	"0x10",	 "1,5s",  "10s\n", "m1",     "1m-1s", "1h 1m", "1:30",
	/* overflow: too large for the bound, or for 64 bits */
	"99999999999999999999999s", "18446744073709551616ms", "18446744073709551615",
	"1000000000000000d", "4294967296h",
};

START_TEST(durations)
{
	const uint64_t max = 30ull * 86400000; /* 30 days */
	uint64_t ms;

	for (unsigned i = 0; i < sizeof(good_durations) / sizeof(good_durations[0]); i++) {
		ms = 12345;
		ck_assert_msg(flagtab_parse_duration(good_durations[i].text, 0, max, &ms) == 0,
			      "refused '%s'", good_durations[i].text);
		ck_assert_msg(ms == good_durations[i].ms, "'%s' -> %llu", good_durations[i].text,
			      (unsigned long long)ms);
	}
	for (unsigned i = 0; i < sizeof(bad_durations) / sizeof(bad_durations[0]); i++) {
		ms = 12345;
		ck_assert_msg(flagtab_parse_duration(bad_durations[i], 0, max, &ms) == -EINVAL,
			      "accepted '%s' as %llu ms", bad_durations[i], (unsigned long long)ms);
		ck_assert_msg(ms == 12345, "'%s' wrote the result", bad_durations[i]);
	}
	/* The bounds are inclusive. */
	ck_assert_int_eq(flagtab_parse_duration("100ms", 100, 1000, &ms), 0);
	ck_assert_uint_eq(ms, 100);
	ck_assert_int_eq(flagtab_parse_duration("1s", 100, 1000, &ms), 0);
	ck_assert_uint_eq(ms, 1000);
	ck_assert_int_eq(flagtab_parse_duration("99ms", 100, 1000, &ms), -EINVAL);
	ck_assert_int_eq(flagtab_parse_duration("1001ms", 100, 1000, &ms), -EINVAL);
	ck_assert_int_eq(flagtab_parse_duration("1s1ms", 100, 1000, &ms), -EINVAL);
	ck_assert_int_eq(flagtab_parse_duration("0s", 1, 1000, &ms), -EINVAL);
	/* Large bounds: a term or a sum past the bound is refused, not wrapped. */
	ck_assert_int_eq(flagtab_parse_duration("2135039823d", 0, UINT64_MAX / 100, &ms), 0);
	ck_assert_uint_eq(ms, 2135039823ull * 86400000);
	ck_assert_int_eq(flagtab_parse_duration("2135039824d", 0, UINT64_MAX / 100, &ms), -EINVAL);
	ck_assert_int_eq(flagtab_parse_duration("2135039823d2135039823d", 0, UINT64_MAX / 100, &ms),
			 -EINVAL);
	ck_assert_int_eq(flagtab_parse_duration("184467440737095517ms", 0, UINT64_MAX / 100, &ms),
			 -EINVAL);
	/* With no practical bound the digits themselves must not wrap past 2^64. */
	ck_assert_int_eq(flagtab_parse_duration("18446744073709551615ms", 0, UINT64_MAX, &ms), 0);
	ck_assert_uint_eq(ms, UINT64_MAX);
	ck_assert_int_eq(flagtab_parse_duration("18446744073709551616ms", 0, UINT64_MAX, &ms), -EINVAL);
	ck_assert_int_eq(flagtab_parse_duration("99999999999999999999ms", 0, UINT64_MAX, &ms), -EINVAL);
}
END_TEST

START_TEST(unknown_flag_missing_value_and_stray_argument)
{
	const char *unknown[] = { "x", "--frobnicate", NULL };
	const char *missing[] = { "x", "--max-ports", NULL };
	const char *stray[] = { "x", "stray", NULL };
	const char *with_value[] = { "x", "--help=yes", NULL };
	const char *after_end[] = { "x", "--max-ports=3", "--", "stray", NULL };
	const char *single_dash[] = { "x", "-max-ports=3", NULL };

	ck_assert_int_eq(parse(2, unknown), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--frobnicate"));
	ck_assert_int_eq(parse(2, missing), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--max-ports"));
	ck_assert_int_eq(parse(2, stray), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "stray"));
	ck_assert_int_eq(parse(2, with_value), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--help=yes"));
	ck_assert_int_eq(parse(4, after_end), -EINVAL);
	ck_assert_str_eq(err, "unexpected argument 'stray' (flags start with --)");
	ck_assert_int_eq(parse(2, single_dash), -EINVAL);
	ck_assert_str_eq(err, "unknown flag '-max-ports=3' (see --help)");
}
END_TEST

START_TEST(port_list_ranges)
{
	uint16_t ports[32];
	unsigned n;

	ck_assert_int_eq(flagtab_parse_port_list("8000-8003,22,8002", ports, 32, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(ports[0], 22);
	ck_assert_uint_eq(ports[4], 8003);
	ck_assert_int_eq(flagtab_parse_port_list("65535", ports, 32, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(ports[0], 65535);
}
END_TEST

START_TEST(listen_addresses)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int wildcard;

	ck_assert_int_eq(listen_parse_address(":9978", &addr, &len, &wildcard, err, sizeof(err)), 0);
	ck_assert(wildcard);
	ck_assert_int_eq(addr.ss_family, AF_INET6);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&addr)->sin6_port), 9978);
	ck_assert_int_eq(listen_parse_address("127.0.0.1:80", &addr, &len, &wildcard, err, sizeof(err)), 0);
	ck_assert(!wildcard);
	ck_assert_int_eq(addr.ss_family, AF_INET);
	ck_assert_int_eq(listen_parse_address("[::1]:80", &addr, &len, &wildcard, err, sizeof(err)), 0);
	ck_assert_int_eq(addr.ss_family, AF_INET6);

	static const char *const invalid[] = { "9978", ":0", ":65536", ":http", "[::1]80", "::1:80",
					       "[::1", "1.2.3.4:", "300.1.1.1:80", "[127.0.0.1]:80" };
	for (unsigned i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		ck_assert_msg(listen_parse_address(invalid[i], &addr, &len, &wildcard, err,
							sizeof(err)) == -EINVAL,
			      "accepted %s", invalid[i]);
		ck_assert_msg(strstr(err, invalid[i]) != NULL, "%s: %s", invalid[i], err);
	}
}
END_TEST

START_TEST(accept_encoding_gzip)
{
	ck_assert(bodies_accepts_gzip("gzip"));
	ck_assert(bodies_accepts_gzip("identity, GZIP"));
	ck_assert(bodies_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
	ck_assert(bodies_accepts_gzip("*"));
	ck_assert(!bodies_accepts_gzip("gzip;q=0"));
	ck_assert(!bodies_accepts_gzip("gzip ; q=0.000"));
	ck_assert(!bodies_accepts_gzip("gzipx, deflate"));
	ck_assert(!bodies_accepts_gzip("x-gzip2"));
	ck_assert(!bodies_accepts_gzip(""));
	ck_assert(!bodies_accepts_gzip(" , ,"));
	ck_assert(!bodies_accepts_gzip("*;q=1, gzip;q=0")); /* the explicit entry wins */
	ck_assert(!bodies_accepts_gzip("*;q=0"));
	ck_assert(!bodies_accepts_gzip("gzip;Q=0"));
}
END_TEST

/* ---- the assembled table: whole names only, both value forms ----------------------------- */

/* A row of the assembled table, as flags_dump prints it. */
struct dumped {
	char name[80]; /* "web.listen-address": without "--" and "[no-]" */
	bool negatable, action;
	char arg[32]; /* "" for a flag without value */
	char def[64];
	bool repeatable; /* "repeatable" rather than "once" */
};

static unsigned dump_rows(struct dumped *rows, unsigned max)
{
	char *text = NULL, *rest, *line;
	size_t size = 0;
	unsigned n = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	flags_dump(f);
	fclose(f);
	rest = text;
	while ((line = strsep(&rest, "\n")) && *line) {
		char *name = strsep(&line, "\t"), *kind = strsep(&line, "\t");
		char *arg = strsep(&line, "\t"), *def = strsep(&line, "\t");
		char *owner = strsep(&line, "\t"), *times = strsep(&line, "\t");
		struct dumped *d = &rows[n++];

		ck_assert_uint_le(n, max);
		ck_assert_msg(owner && times && line, "a dump line with fewer than 7 fields: %s", name);
		ck_assert_msg(strcmp(times, "repeatable") == 0 || strcmp(times, "once") == 0, "%s: %s",
			      name, times);
		d->repeatable = strcmp(times, "repeatable") == 0;
		d->negatable = strncmp(name, "--[no-]", 7) == 0;
		ck_assert(d->negatable || strncmp(name, "--", 2) == 0);
		snprintf(d->name, sizeof(d->name), "%s", name + (d->negatable ? 7 : 2));
		d->action = strcmp(kind, "action") == 0;
		snprintf(d->arg, sizeof(d->arg), "%s", arg);
		snprintf(d->def, sizeof(d->def), "%s", def);
	}
	free(text);
	return n;
}

/* A value the flag accepts: its default, unless that is none or words. A new flag without
 * a default fails the tests below until it has a line here. */
static const char *sample_value(const struct dumped *d)
{
	static const struct {
		const char *name, *value;
	} samples[] = {
		{ "web.config.file", "/etc/tcp_health_exporter/web.yml" },
		{ "listen-ports", "1202,8000-8010" },
		{ "client-ports", "5432" },
		{ "netns.workers", "2" },
	};

	for (unsigned i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (strcmp(samples[i].name, d->name) == 0)
			return samples[i].value;
	return d->def;
}

/* Whether `name` (without "--") is a flag of the table as it stands. */
static bool is_flag(const struct dumped *rows, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0 ||
		    (rows[i].negatable && strncmp(name, "no-", 3) == 0 && strcmp(rows[i].name, name + 3) == 0))
			return true;
	return false;
}

START_TEST(table_rows_parse_whole)
{
	struct dumped rows[96];
	unsigned n = dump_rows(rows, 96);
	char flag[128], no_flag[128], with_value[256];

	ck_assert_uint_ge(n, 25);
	for (unsigned i = 0; i < n; i++) {
		const char *value = sample_value(&rows[i]);

		snprintf(flag, sizeof(flag), "--%.80s", rows[i].name);
		if (rows[i].action) {
			ck_assert_int_eq(parse(2, (const char *[]){ "x", flag, NULL }), FLAGS_EXIT_OK);
			continue;
		}
		if (!rows[i].arg[0]) {
			ck_assert_msg(parse(2, (const char *[]){ "x", flag, NULL }) == FLAGS_RUN, "%s: %s", flag, err);
			snprintf(with_value, sizeof(with_value), "%s=on", flag);
			ck_assert_int_eq(parse(2, (const char *[]){ "x", with_value, NULL }), -EINVAL);
			ck_assert_msg(strstr(err, "takes no value"), "%s: %s", with_value, err);
			snprintf(no_flag, sizeof(no_flag), "--no-%.80s", rows[i].name);
			ck_assert_int_eq(parse(2, (const char *[]){ "x", no_flag, NULL }),
					 rows[i].negatable ? FLAGS_RUN : -EINVAL);
			continue;
		}
		/* --flag=value and --flag value */
		snprintf(with_value, sizeof(with_value), "%s=%s", flag, value);
		ck_assert_msg(parse(2, (const char *[]){ "x", with_value, NULL }) == FLAGS_RUN, "%s: %s",
			      with_value, err);
		ck_assert_msg(parse(3, (const char *[]){ "x", flag, value, NULL }) == FLAGS_RUN, "%s %s: %s",
			      flag, value, err);
		ck_assert_int_eq(parse(2, (const char *[]){ "x", flag, NULL }), -EINVAL);
		ck_assert_msg(strstr(err, "needs a value"), "%s: %s", flag, err);
	}
}
END_TEST

/* A second value would silently replace the first: every row but the repeatable ones is
 * refused when given twice, in either value form, and a negatable one also when its --no-
 * form follows or precedes it. The repeatable rows take two different values. */
START_TEST(repeats_refused)
{
	struct dumped rows[96];
	unsigned n = dump_rows(rows, 96), refused = 0, repeatable = 0;
	char only[256] = "", a[160], b[256], no[160], want[512];

	for (unsigned i = 0; i < n; i++)
		if (rows[i].repeatable)
			snprintf(only + strlen(only), sizeof(only) - strlen(only), "%s--%.80s",
				 only[0] ? ", " : "", rows[i].name);
	ck_assert_str_eq(only, "--web.listen-address");
	for (unsigned i = 0; i < n; i++) {
		const char *value = sample_value(&rows[i]);

		if (rows[i].action)
			continue; /* --help, --version: acted on at once */
		snprintf(a, sizeof(a), "--%.80s", rows[i].name);
		snprintf(want, sizeof(want), "flag '--%s%s' given twice (see --help; only %s may be "
			 "repeated)", rows[i].negatable ? "[no-]" : "", rows[i].name, only);
		if (rows[i].repeatable) {
			snprintf(a, sizeof(a), "--%.80s=:1", rows[i].name);
			snprintf(b, sizeof(b), "--%.80s", rows[i].name);
			ck_assert_msg(parse(4, (const char *[]){ "x", a, b, ":2", NULL }) == FLAGS_RUN,
				      "%s: %s", a, err);
			repeatable++;
			continue;
		}
		if (!rows[i].arg[0]) {
			snprintf(no, sizeof(no), "--no-%.80s", rows[i].name);
			const char *forms[][2] = { { a, a }, { a, no }, { no, a }, { no, no } };

			for (unsigned f = 0; f < (rows[i].negatable ? 4u : 1u); f++) {
				ck_assert_int_eq(parse(3, (const char *[]){ "x", forms[f][0], forms[f][1], NULL }),
						 -EINVAL);
				ck_assert_str_eq(err, want);
				refused++;
			}
			continue;
		}
		snprintf(b, sizeof(b), "%s=%.60s", a, value);
		/* =VALUE twice, a separate value twice, and the two forms mixed both ways */
		ck_assert_int_eq(parse(3, (const char *[]){ "x", b, b, NULL }), -EINVAL);
		ck_assert_str_eq(err, want);
		ck_assert_int_eq(parse(5, (const char *[]){ "x", a, value, a, value, NULL }), -EINVAL);
		ck_assert_str_eq(err, want);
		ck_assert_int_eq(parse(4, (const char *[]){ "x", b, a, value, NULL }), -EINVAL);
		ck_assert_str_eq(err, want);
		ck_assert_int_eq(parse(4, (const char *[]){ "x", a, value, b, NULL }), -EINVAL);
		ck_assert_str_eq(err, want);
		/* once is fine */
		ck_assert_msg(parse(2, (const char *[]){ "x", b, NULL }) == FLAGS_RUN, "%s: %s", b, err);
		refused += 4;
	}
	ck_assert_uint_eq(repeatable, 1);
	ck_assert_uint_gt(refused, 2 * n);
	/* The cases of the issue, by name: the first value is never silently replaced. */
	ck_assert_int_eq(parse(3, (const char *[]){ "x", "--listen-ports=22", "--listen-ports=23", NULL }),
			 -EINVAL);
	ck_assert_str_eq(err, "flag '--listen-ports' given twice (see --help; only "
			      "--web.listen-address may be repeated)");
	ck_assert_int_eq(parse(3, (const char *[]){ "x", "--log.level=debug", "--log.level=info", NULL }),
			 -EINVAL);
	ck_assert_int_eq(parse(5, (const char *[]){ "x", "--netns", "all", "--netns", "self", NULL }),
			 -EINVAL);
	ck_assert_int_eq(parse(3, (const char *[]){ "x", "--web.config.file=a", "--web.config.file=b",
						    NULL }), -EINVAL);
}
END_TEST

/* Repeatable means "collects its values": a row that keeps one value cannot be marked so,
 * nor a collecting row left unmarked. */
START_TEST(repeatable_marker_checked)
{
	struct cfg {
		const char *one, *many[2];
		unsigned n;
	} cfg = { 0 };
	const struct flagtab_row one = { .name = "one", .kind = FLAGTAB_STRING, .arg = "S",
					 .at = offsetof(struct cfg, one), .flags = FLAGTAB_REPEATABLE };
	const struct flagtab_row many = { .name = "many", .kind = FLAGTAB_STRINGS, .arg = "S",
					  .at = offsetof(struct cfg, many),
					  .count_at = offsetof(struct cfg, n), .max = 2 };
	struct flagtab t = { .owner = "t", .title = "T", .rows = &one, .n_rows = 1 };

	ck_assert_int_eq(flagtab_reset(&t, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--one: a repeatable row that keeps one value");
	t.rows = &many;
	ck_assert_int_eq(flagtab_reset(&t, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--many: a strings row not marked repeatable");
}
END_TEST

/* getopt_long would take a unique prefix (--lis for --listen-ports); the table's parser
 * takes whole names only. Every prefix of every flag and every name with one letter
 * deleted is refused, alone, with =VALUE and with a separate value, by a message that
 * names it as typed, unless it is itself a flag. */
static unsigned refuse_name(const struct dumped *rows, unsigned n, const char *name, size_t len)
{
	char cut[128], expect[160], with_value[160];

	snprintf(cut, sizeof(cut), "--%.*s", (int)len, name);
	if (is_flag(rows, n, cut + 2))
		return 0;
	snprintf(expect, sizeof(expect), "unknown flag '%s' (see --help)", cut);
	snprintf(with_value, sizeof(with_value), "%s=3720", cut);
	ck_assert_int_eq(parse(2, (const char *[]){ "x", cut, NULL }), -EINVAL);
	ck_assert_str_eq(err, expect);
	ck_assert_int_eq(parse(2, (const char *[]){ "x", with_value, NULL }), -EINVAL);
	ck_assert_str_eq(err, expect);
	ck_assert_int_eq(parse(3, (const char *[]){ "x", cut, "3720", NULL }), -EINVAL);
	ck_assert_str_eq(err, expect);
	return 1;
}

START_TEST(abbreviations_refused)
{
	struct dumped rows[96];
	unsigned n = dump_rows(rows, 96), refused = 0;
	char name[128], deleted[128];

	for (unsigned i = 0; i < n; i++)
		for (unsigned form = 0; form < (rows[i].negatable ? 2u : 1u); form++) {
			size_t len;

			snprintf(name, sizeof(name), "%s%.80s", form ? "no-" : "", rows[i].name);
			len = strlen(name);
			for (size_t cut = 1; cut < len; cut++)
				refused += refuse_name(rows, n, name, cut);
			for (size_t gap = 0; gap < len; gap++) {
				snprintf(deleted, sizeof(deleted), "%.*s%s", (int)gap, name, name + gap + 1);
				refused += refuse_name(rows, n, deleted, len - 1);
			}
		}
	ck_assert_uint_gt(refused, 20 * n);
	/* The cases of the issue, by name. */
	ck_assert_int_eq(parse(3, (const char *[]){ "x", "--lis", "3720", NULL }), -EINVAL);
	ck_assert_str_eq(err, "unknown flag '--lis' (see --help)");
	ck_assert_int_eq(parse(3, (const char *[]){ "x", "--listen-port", "3720", NULL }), -EINVAL);
	ck_assert_str_eq(err, "unknown flag '--listen-port' (see --help)");
	ck_assert_int_eq(parse(2, (const char *[]){ "x", "--listen=3720", NULL }), -EINVAL);
	ck_assert_str_eq(err, "unknown flag '--listen' (see --help)");
	ck_assert_int_eq(parse(2, (const char *[]){ "x", "--no-collector.tcp.hist", NULL }), -EINVAL);
	ck_assert_str_eq(err, "unknown flag '--no-collector.tcp.hist' (see --help)");
	/* A flag that is a prefix of others is itself whole. */
	ck_assert_int_eq(parse(2, (const char *[]){ "x", "--netns=all", NULL }), FLAGS_RUN);
	ck_assert_int_eq(flags->netns.mode, NETNS_ALL);
}
END_TEST

START_TEST(status_exclude_self)
{
	ck_assert_int_eq(parse(1, (const char *[]){ "x", NULL }), FLAGS_RUN);
	ck_assert(flags->web.status_exclude_self);
	ck_assert_int_eq(parse(2, (const char *[]){ "x", "--no-web.status.exclude-self", NULL }), FLAGS_RUN);
	ck_assert(!flags->web.status_exclude_self);
	ck_assert_int_eq(parse(3, (const char *[]){ "x", "--no-web.status.exclude-self",
						    "--web.status.exclude-self", NULL }), -EINVAL);
	ck_assert_str_eq(err, "flag '--[no-]web.status.exclude-self' given twice (see --help; only "
			      "--web.listen-address may be repeated)");
}
END_TEST

/* --help has an entry for every row of the table, which states its default. */
START_TEST(help_shows_every_row)
{
	struct dumped rows[96];
	unsigned n = dump_rows(rows, 96);
	char *text = NULL, head[160], want[160], entry[1024];
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(flags_parse(2, (char *[]){ "x", "--help", NULL }, flags, out, err, sizeof(err)),
			 FLAGS_EXIT_OK);
	fclose(out);
	for (unsigned i = 0; i < n; i++) {
		const char *at, *end;
		size_t len = 0;

		snprintf(head, sizeof(head), "\n  --%s%s%s%s", rows[i].negatable ? "[no-]" : "",
			 rows[i].name, rows[i].arg[0] ? "=" : "", rows[i].arg);
		at = strstr(text, head);
		while (at && at[strlen(head)] != ' ' && at[strlen(head)] != '\n')
			at = strstr(at + 1, head);
		ck_assert_msg(at, "--help has no entry%s", head);
		/* The entry runs to the next one or to a blank line; its words, one space apart. */
		at += strlen(head);
		for (end = at; *end && strncmp(end, "\n  --", 5) && strncmp(end, "\n\n", 2); end++)
			;
		for (const char *p = at; p < end && len + 1 < sizeof(entry); p++)
			if (*p != ' ' && *p != '\n')
				entry[len++] = *p;
			else if (len && entry[len - 1] != ' ')
				entry[len++] = ' ';
		entry[len] = '\0';
		if (rows[i].action || strcmp(rows[i].def, "none") == 0 ||
		    (!rows[i].negatable && !rows[i].arg[0]))
			continue; /* none, or a plain switch that is off unless given */
		snprintf(want, sizeof(want), "default %s", rows[i].def);
		ck_assert_msg(strstr(entry, want), "--%s: '%s' not in '%s'", rows[i].name, want, entry);
	}
	free(text);
}
END_TEST

Suite *flags_suite(void)
{
	Suite *s = suite_create("flags");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, all_flags);
	tcase_add_test(tc, disable_defaults);
	tcase_add_test(tc, help_and_version_exit_ok);
	tcase_add_loop_test(tc, bad_values, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, web_limits_and_durations);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, unknown_flag_missing_value_and_stray_argument);
	tcase_add_test(tc, port_list_ranges);
	tcase_add_test(tc, listen_addresses);
	tcase_add_test(tc, repeated_listen_address);
	tcase_add_test(tc, accept_encoding_gzip);
	tcase_add_test(tc, table_rows_parse_whole);
	tcase_add_test(tc, abbreviations_refused);
	tcase_add_test(tc, repeats_refused);
	tcase_add_test(tc, repeatable_marker_checked);
	tcase_add_test(tc, status_exclude_self);
	tcase_add_test(tc, help_shows_every_row);
	suite_add_tcase(s, tc);
	return s;
}
