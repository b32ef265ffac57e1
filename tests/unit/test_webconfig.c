/* test_webconfig.c — the exporter-toolkit web config: parsing, validation, passwords. */
#include "../../exporter/webconfig.h"
#include "unit.h"

#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256], path[300], err[512];
static struct webconfig config;
static char hash[CRYPT_OUTPUT_SIZE]; /* bcrypt of "s3cret", cost 10 */

static void link_pki(const char *name)
{
	char target[PATH_MAX], link_path[512];

	ck_assert_ptr_nonnull(realpath(unit_data_path("tls"), target));
	snprintf(link_path, sizeof(link_path), "%s/%s", dir, name);
	snprintf(target + strlen(target), sizeof(target) - strlen(target), "/%s", name);
	ck_assert_int_eq(symlink(target, link_path), 0);
}

static void setup(void)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;

	/* The config file sits in a directory of its own beside (links to) the test PKI, so the
	 * relative paths in it resolve against its own directory. */
	snprintf(dir, sizeof(dir), "/tmp/tcph-webconfig-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	link_pki("ca.crt");
	link_pki("server.crt");
	link_pki("server.key");
	link_pki("other.key");
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	memset(&data, 0, sizeof(data));
	ck_assert_ptr_nonnull(crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof(setting)));
	ck_assert_ptr_nonnull(crypt_r("s3cret", setting, &data));
	snprintf(hash, sizeof(hash), "%s", data.output);
	err[0] = '\0';
}

static void teardown(void)
{
	static const char *const names[] = { "web.yml", "ca.crt", "server.crt", "server.key", "other.key" };
	char file[512];

	webconfig_free(&config);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, names[i]);
		unlink(file);
	}
	rmdir(dir);
}

static int load(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return webconfig_load(path, &config, err, sizeof(err));
}

#define ck_assert_err(text, part)                                                        \
	do {                                                                             \
		ck_assert_int_eq(load(text), -EINVAL);                                   \
		ck_assert_msg(strstr(err, part) != NULL, "'%s' not in '%s'", part, err); \
		ck_assert_ptr_null(strchr(err, '\n'));                                   \
	} while (0)

START_TEST(tls_and_users)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		 "  min_version: TLS13\n  client_auth_type: RequireAndVerifyClientCert\n"
		 "  client_ca_file: ca.crt\nbasic_auth_users:\n  prom: '%s'\n  other: '%s'\n",
		 hash, hash);
	ck_assert_int_eq(load(text), 0);
	ck_assert(config.tls);
	ck_assert_ptr_nonnull(strstr(config.cert_pem, "BEGIN CERTIFICATE"));
	ck_assert_ptr_nonnull(strstr(config.key_pem, "PRIVATE KEY"));
	ck_assert_ptr_nonnull(config.client_ca_pem);
	ck_assert_int_eq(config.min_version, 13);
	ck_assert_int_eq(config.client_auth, WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT);
	ck_assert_str_eq(webconfig_tls_priorities(&config), "NORMAL:-VERS-ALL:+VERS-TLS1.3:-RSA");
	ck_assert_uint_eq(config.n_users, 2);
}
END_TEST

START_TEST(defaults_and_empty_files)
{
	ck_assert_int_eq(load("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"), 0);
	ck_assert_int_eq(config.min_version, 12);
	ck_assert_int_eq(config.client_auth, WEBCONFIG_NO_CLIENT_CERT);
	ck_assert_str_eq(webconfig_tls_priorities(&config), "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA");
	webconfig_free(&config);
	ck_assert_int_eq(load(""), 0);
	ck_assert(!config.tls);
	ck_assert_int_eq(load("# nothing\n---\n"), 0);
	ck_assert_uint_eq(config.n_users, 0);
}
END_TEST

START_TEST(malformed_and_unknown)
{
	ck_assert_err("tls_server_config: [\n", "line");
	ck_assert_err("- a\n- b\n", "mapping at the top");
	ck_assert_err("http_server_config:\n  http2: true\n", "'http_server_config' is not supported");
	ck_assert_err("tls_server_config: yes\n", "want a mapping");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		      "cipher_suites is not supported");
	ck_assert_err("basic_auth_users:\n  - prom\n", "want a mapping");
}
END_TEST

START_TEST(tls_errors)
{
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n", "needs both cert_file and key_file");
	ck_assert_int_eq(load("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n"), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "nope.crt"));
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n",
		      "cannot use cert_file server.crt with key_file other.key");
	ck_assert_err("tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n",
		      "cannot use cert_file");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  min_version: TLS11\n",
		      "TLS11 is weak");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  min_version: SSL3\n",
		      "'SSL3'");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  min_version: TLS13\n  max_version: TLS12\n",
		      "below min_version");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  client_auth_type: RequireAndVerifyClientCert\n",
		      "needs client_ca_file");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  client_auth_type: Sometimes\n",
		      "'Sometimes' is unknown");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  client_ca_file: ca.crt\n",
		      "NoClientCert");
	/* MHD asks for client certificates only with a trust list: every policy needs the CA. */
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  client_auth_type: RequireAnyClientCert\n",
		      "needs client_ca_file");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  cert_file: other.crt\n",
		      "cert_file is given twice");
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: server.key\n",
		      "no PEM certificate");
}
END_TEST

START_TEST(user_errors)
{
	char text[2048];

	ck_assert_err("basic_auth_users:\n  prom: s3cret\n", "not a bcrypt hash");
	ck_assert_err("basic_auth_users:\n  prom: '$2y$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE'\n",
		      "bcrypt cost 4 is weak");
	snprintf(text, sizeof(text), "basic_auth_users:\n  prom: '%s'\n  prom: '%s'\n", hash, hash);
	ck_assert_err(text, "listed twice");
	snprintf(text, sizeof(text), "basic_auth_users:\n  'a:b': '%s'\n", hash);
	ck_assert_err(text, "contains ':'");
	ck_assert_err("basic_auth_users:\n  prom: '$2y$15$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE'\n",
		      "bcrypt cost 15 is too slow");
	/* A section given twice (libyaml keeps both): refused, not merged or overwritten. */
	snprintf(text, sizeof(text), "basic_auth_users:\n  a: '%s'\nbasic_auth_users:\n  b: '%s'\n  c: '%s'\n",
		 hash, hash, hash);
	ck_assert_err(text, "'basic_auth_users' is given twice");
	/* An embedded NUL must not cut a value short. */
	ck_assert_err("tls_server_config:\n  cert_file: \"server.crt\\0.bak\"\n  key_file: server.key\n",
		      "want a plain value");
}
END_TEST

START_TEST(missing_file)
{
	ck_assert_int_eq(webconfig_load("/nonexistent/web.yml", &config, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/web.yml"));
}
END_TEST

START_TEST(passwords)
{
	char text[2048];

	snprintf(text, sizeof(text), "basic_auth_users:\n  prom: '%s'\n", hash);
	ck_assert_int_eq(load(text), 0);
	ck_assert(!webconfig_check_password(&config, "prom", "wrong"));
	ck_assert(!config.users[0].has_cached);
	ck_assert(webconfig_check_password(&config, "prom", "s3cret"));
	ck_assert(config.users[0].has_cached);
	ck_assert(webconfig_check_password(&config, "prom", "s3cret")); /* from the cache */
	ck_assert(!webconfig_check_password(&config, "prom", "s3cret2"));
	ck_assert(!webconfig_check_password(&config, "prom", ""));
	ck_assert(!webconfig_check_password(&config, "nobody", "s3cret"));
	ck_assert(!webconfig_check_password(&config, "", ""));
	ck_assert(webconfig_password_cached(&config, "prom", "s3cret"));
	ck_assert(!webconfig_password_cached(&config, "prom", "s3cret2"));
	ck_assert(!webconfig_password_cached(&config, "nobody", "s3cret"));
	/* The unknown-user hash is a real bcrypt of the configured cost (equal timing). */
	ck_assert_int_eq(strncmp(config.dummy_hash, "$2b$10$", 7), 0);
	ck_assert_uint_eq(strlen(config.dummy_hash), 60);
}
END_TEST

Suite *webconfig_suite(void)
{
	Suite *s = suite_create("webconfig");
	TCase *tc = tcase_create("file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tls_and_users);
	tcase_add_test(tc, defaults_and_empty_files);
	tcase_add_test(tc, malformed_and_unknown);
	tcase_add_test(tc, tls_errors);
	tcase_add_test(tc, user_errors);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, passwords);
	tcase_set_timeout(tc, 60); /* bcrypt under valgrind */
	suite_add_tcase(s, tc);
	return s;
}
