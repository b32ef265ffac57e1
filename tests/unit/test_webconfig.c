/* test_webconfig.c — the exporter-toolkit web config: parsing, validation, passwords. */
#include "../../exporter/webconfig.h"
#include "unit.h"

#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

/* Writes `len` bytes to web.yml and loads it. */
static int load_bytes(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return webconfig_load(path, &config, err, sizeof(err));
}

static int load(const char *text)
{
	return load_bytes(text, strlen(text));
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
	/* A file that sets up nothing is refused, never read as "no TLS, no auth". */
	ck_assert_err("", "sets up neither TLS nor basic auth");
	ck_assert_err("# nothing\n---\n", "an empty configuration is refused");
	ck_assert_err("---\n", "sets up neither");
	ck_assert_err("{}\n", "sets up neither");
	ck_assert_err("basic_auth_users: {}\n", "sets up neither");
	ck_assert_int_eq(load_bytes("\0", 1), -EINVAL);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_eq(load_bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe", 18), -EINVAL);
	ck_assert_err("\xde\xad\xbe\xef", "web.yml");
	/* TLS without users is fine; so is an empty user list beside TLS. */
	ck_assert_int_eq(load("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
			      "basic_auth_users: {}\n"), 0);
	ck_assert(config.tls);
	ck_assert_uint_eq(config.n_users, 0);
	webconfig_free(&config);
	/* A second document would be ignored by the loader: refused. */
	ck_assert_err("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		      "---\nbasic_auth_users: {}\n", "second YAML document");
}
END_TEST

/* webconfig_load on `file`: refused with -EINVAL and one line naming `part`. */
static void refused_file(const char *file, const char *part)
{
	ck_assert_int_eq(webconfig_load(file, &config, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, part) != NULL, "%s: '%s' not in '%s'", file, part, err);
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s: %s", file, err);
	ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(special_files)
{
	char fifo[512], sock[512], sub[512], text[256];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	/* A FIFO without a writer: opening would block forever without O_NONBLOCK. */
	snprintf(fifo, sizeof(fifo), "%s/fifo.yml", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	refused_file(fifo, "a FIFO");
	unlink(fifo);
	refused_file("/dev/zero", "a character device");
	refused_file("/dev/urandom", "a character device");
	refused_file(dir, "a directory");
	snprintf(sock, sizeof(sock), "%s/sock.yml", dir);
	ck_assert_uint_lt(strlen(sock), sizeof(addr.sun_path));
	memcpy(addr.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	refused_file(sock, sock);
	close(fd);
	unlink(sock);
	/* The PEM files it names are checked the same way. */
	snprintf(sub, sizeof(sub), "%s/pem", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: pem\n  key_file: server.key\n");
	ck_assert_err(text, "not a regular file (a directory)");
	rmdir(sub);
	ck_assert_err("tls_server_config:\n  cert_file: /dev/zero\n  key_file: server.key\n",
		      "/dev/zero: not a regular file");
}
END_TEST

START_TEST(size_and_nesting_caps)
{
	size_t n = WEBCONFIG_MAX_FILE_BYTES + 1;
	char *big = malloc(n + 1);

	ck_assert_ptr_nonnull(big);
	/* One byte over the cap, as a comment: refused before it is parsed, naming the cap. */
	memset(big, '#', n);
	ck_assert_int_eq(load_bytes(big, n), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err, "1 MiB"));
	ck_assert_int_eq(webconfig_parse(big, n, "big.yml", dir, &config, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "1 MiB"));
	/* 100,000 nested '[' (libyaml alone takes 23 s) and 100,000 nested "- ". */
	memset(big, '[', 100000);
	ck_assert_int_eq(load_bytes(big, 100000), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "nested deeper than 32 levels"));
	for (unsigned i = 0; i < 100000; i++)
		memcpy(big + 2 * i, "- ", 2);
	ck_assert_int_eq(load_bytes(big, 200000), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "nested deeper than 32 levels"));
	/* Exactly at the cap is not refused for its depth (but for its shape). */
	memset(big, '[', 31);
	memset(big + 31, ']', 31);
	memcpy(big + 62, "\n", 2);
	ck_assert_err(big, "mapping at the top");
	free(big);
	/* A YAML bomb of aliases: never expanded, refused for its shape. */
	ck_assert_err("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
		      "'a' is not supported");
}
END_TEST

/* 101,010 keys (840 KB): refused by the node cap before libyaml builds them. 15,000 users
 * with their hashes (1 MiB, under the cap): the repeated one at the end is found by sorting
 * the keys, not by comparing every pair (101,010 keys took 85 s that way). No time limit is
 * asserted: the test's timeout is the bound. */
START_TEST(many_keys)
{
	size_t cap = WEBCONFIG_MAX_FILE_BYTES, len = 0;
	char *text = malloc(cap);

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 0; i < 101010; i++)
		len += (size_t)snprintf(text + len, cap - len, "%x: 0\n", i);
	len += (size_t)snprintf(text + len, cap - len, "%x: 1\n", 77777);
	ck_assert_uint_lt(len, cap);
	ck_assert_int_eq(load_bytes(text, len), -EINVAL);
	ck_assert_msg(strstr(err, "more than 32768 YAML nodes") != NULL, "%s", err);
	len = (size_t)snprintf(text, cap, "basic_auth_users:\n");
	for (unsigned i = 0; i < 15000; i++)
		len += (size_t)snprintf(text + len, cap - len, " %x: '%s'\n", i, hash);
	len += (size_t)snprintf(text + len, cap - len, " 2a: '%s'\n", hash);
	ck_assert_uint_lt(len, cap);
	ck_assert_int_eq(load_bytes(text, len), -EINVAL);
	ck_assert_msg(strstr(err, "user '2a' is listed twice") != NULL, "%s", err);
	/* Without the repeat: all 15,000 load. */
	len -= strlen(hash) + 8;
	ck_assert_int_eq(load_bytes(text, len), 0);
	ck_assert_uint_eq(config.n_users, 15000);
	free(text);
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
	/* The unknown-user hash has the configured cost (equal timing): bcrypt accepts it as a
	 * setting and runs, and it matches nothing. */
	ck_assert_int_eq(strncmp(config.dummy_hash, "$2b$10$", 7), 0);
	ck_assert_uint_eq(strlen(config.dummy_hash), 60);
	{
		struct crypt_data data;

		memset(&data, 0, sizeof(data));
		ck_assert_ptr_nonnull(crypt_r("s3cret", config.dummy_hash, &data));
		ck_assert_int_ne(data.output[0], '*');
		ck_assert_int_eq(strncmp(data.output, config.dummy_hash, 29), 0);
		ck_assert_str_ne(data.output, config.dummy_hash);
	}
}
END_TEST

/* A reload keeps the cached password of users whose hash did not change, only theirs. */
START_TEST(cache_kept_on_reload)
{
	char text[2048], other[CRYPT_OUTPUT_SIZE], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;
	struct webconfig fresh;

	memset(&data, 0, sizeof(data));
	ck_assert_ptr_nonnull(crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof(setting)));
	ck_assert_ptr_nonnull(crypt_r("s3cret", setting, &data));
	snprintf(other, sizeof(other), "%s", data.output); /* the same password, another salt */
	snprintf(text, sizeof(text), "basic_auth_users:\n  prom: '%s'\n  two: '%s'\n  three: '%s'\n",
		 hash, hash, hash);
	ck_assert_int_eq(load(text), 0);
	ck_assert(webconfig_check_password(&config, "prom", "s3cret"));
	ck_assert(webconfig_check_password(&config, "two", "s3cret"));
	/* The reload: prom unchanged, two with a new hash, three never logged in, four new. */
	snprintf(text, sizeof(text), "basic_auth_users:\n  four: '%s'\n  three: '%s'\n  two: '%s'\n"
		 "  prom: '%s'\n", hash, hash, other, hash);
	ck_assert_int_eq(webconfig_parse(text, strlen(text), "web.yml", dir, &fresh, err, sizeof(err)), 0);
	ck_assert(!webconfig_password_cached(&fresh, "prom", "s3cret"));
	webconfig_keep_cache(&fresh, &config);
	ck_assert(webconfig_password_cached(&fresh, "prom", "s3cret"));
	ck_assert(!webconfig_password_cached(&fresh, "prom", "other"));
	ck_assert(!webconfig_password_cached(&fresh, "two", "s3cret")); /* its hash changed */
	ck_assert(!webconfig_password_cached(&fresh, "three", "s3cret"));
	ck_assert(!webconfig_password_cached(&fresh, "four", "s3cret"));
	ck_assert(webconfig_check_password(&fresh, "two", "s3cret")); /* bcrypt, then cached */
	ck_assert(webconfig_password_cached(&fresh, "two", "s3cret"));
	webconfig_keep_cache(&fresh, NULL); /* nothing before: nothing to keep */
	webconfig_free(&fresh);
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
	tcase_add_test(tc, special_files);
	tcase_add_test(tc, size_and_nesting_caps);
	tcase_add_test(tc, many_keys);
	tcase_add_test(tc, cache_kept_on_reload);
	tcase_set_timeout(tc, 60); /* bcrypt under valgrind */
	suite_add_tcase(s, tc);
	return s;
}
