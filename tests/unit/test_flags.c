/* test_flags.c — flag parsing and validation, port lists. */
#include "../../collectors/collectors.h"
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
	ck_assert_str_eq(flags->listen_address, ":9978");
	ck_assert_str_eq(flags->telemetry_path, "/metrics");
	ck_assert_uint_eq(flags->max_ports, 250);
	ck_assert_uint_eq(flags->n_listen_ports, 0);
	ck_assert_int_eq(flags->log_level, LOG_LEVEL_INFO);
	ck_assert(flags->collector_enabled[collectors_find("tcp")]);
}
END_TEST

START_TEST(all_flags)
{
	const char *argv[] = { "x", "--web.listen-address=127.0.0.1:1", "--web.telemetry-path", "/m",
			       "--listen-ports", "1720,1202,3720,1202", "--client-ports=5432",
			       "--max-ports=10", "--log.level=debug", "--no-collector.tcp", NULL };

	ck_assert_int_eq(parse(10, argv), FLAGS_RUN);
	ck_assert_str_eq(flags->listen_address, "127.0.0.1:1");
	ck_assert_str_eq(flags->telemetry_path, "/m");
	ck_assert_uint_eq(flags->n_listen_ports, 3); /* sorted, duplicates dropped */
	ck_assert_uint_eq(flags->listen_ports[0], 1202);
	ck_assert_uint_eq(flags->listen_ports[1], 1720);
	ck_assert_uint_eq(flags->listen_ports[2], 3720);
	ck_assert_uint_eq(flags->n_client_ports, 1);
	ck_assert_uint_eq(flags->client_ports[0], 5432);
	ck_assert_uint_eq(flags->max_ports, 10);
	ck_assert_int_eq(flags->log_level, LOG_LEVEL_DEBUG);
	ck_assert(!flags->collector_enabled[collectors_find("tcp")]);
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
	{ "--log.level", "loud", "'loud'" },
	{ "--web.telemetry-path", "metrics", "'metrics'" },
	{ "--web.telemetry-path", "/", "'/'" },
	{ "--web.telemetry-path", "/a\"><script>", "script" },
	{ "--web.telemetry-path", "/m?x=1", "'/m?x=1'" },
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

START_TEST(unknown_flag_missing_value_and_stray_argument)
{
	const char *unknown[] = { "x", "--frobnicate", NULL };
	const char *missing[] = { "x", "--max-ports", NULL };
	const char *stray[] = { "x", "stray", NULL };
	const char *with_value[] = { "x", "--help=yes", NULL };

	ck_assert_int_eq(parse(2, unknown), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--frobnicate"));
	ck_assert_int_eq(parse(2, missing), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--max-ports"));
	ck_assert_int_eq(parse(2, stray), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "stray"));
	ck_assert_int_eq(parse(2, with_value), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--help=yes"));
}
END_TEST

START_TEST(port_list_ranges)
{
	uint16_t ports[32];
	unsigned n;

	ck_assert_int_eq(flags_parse_port_list("8000-8003,22,8002", ports, 32, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(ports[0], 22);
	ck_assert_uint_eq(ports[4], 8003);
	ck_assert_int_eq(flags_parse_port_list("65535", ports, 32, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(ports[0], 65535);
}
END_TEST

START_TEST(listen_addresses)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int wildcard;

	ck_assert_int_eq(http_parse_listen_address(":9978", &addr, &len, &wildcard, err, sizeof(err)), 0);
	ck_assert(wildcard);
	ck_assert_int_eq(addr.ss_family, AF_INET6);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&addr)->sin6_port), 9978);
	ck_assert_int_eq(http_parse_listen_address("127.0.0.1:80", &addr, &len, &wildcard, err, sizeof(err)), 0);
	ck_assert(!wildcard);
	ck_assert_int_eq(addr.ss_family, AF_INET);
	ck_assert_int_eq(http_parse_listen_address("[::1]:80", &addr, &len, &wildcard, err, sizeof(err)), 0);
	ck_assert_int_eq(addr.ss_family, AF_INET6);

	static const char *const invalid[] = { "9978", ":0", ":65536", ":http", "[::1]80", "::1:80",
					       "[::1", "1.2.3.4:", "300.1.1.1:80", "[127.0.0.1]:80" };
	for (unsigned i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		ck_assert_msg(http_parse_listen_address(invalid[i], &addr, &len, &wildcard, err,
							sizeof(err)) == -EINVAL,
			      "accepted %s", invalid[i]);
		ck_assert_msg(strstr(err, invalid[i]) != NULL, "%s: %s", invalid[i], err);
	}
}
END_TEST

START_TEST(accept_encoding_gzip)
{
	ck_assert(http_accepts_gzip("gzip"));
	ck_assert(http_accepts_gzip("identity, GZIP"));
	ck_assert(http_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
	ck_assert(http_accepts_gzip("*"));
	ck_assert(!http_accepts_gzip("gzip;q=0"));
	ck_assert(!http_accepts_gzip("gzip ; q=0.000"));
	ck_assert(!http_accepts_gzip("gzipx, deflate"));
	ck_assert(!http_accepts_gzip("x-gzip2"));
	ck_assert(!http_accepts_gzip(""));
	ck_assert(!http_accepts_gzip(" , ,"));
	ck_assert(!http_accepts_gzip("*;q=1, gzip;q=0")); /* the explicit entry wins */
	ck_assert(!http_accepts_gzip("*;q=0"));
	ck_assert(!http_accepts_gzip("gzip;Q=0"));
}
END_TEST

Suite *flags_suite(void)
{
	Suite *s = suite_create("flags");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, all_flags);
	tcase_add_test(tc, help_and_version_exit_ok);
	tcase_add_loop_test(tc, bad_values, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, unknown_flag_missing_value_and_stray_argument);
	tcase_add_test(tc, port_list_ranges);
	tcase_add_test(tc, listen_addresses);
	tcase_add_test(tc, accept_encoding_gzip);
	suite_add_tcase(s, tc);
	return s;
}
