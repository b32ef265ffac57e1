/* webconfig.h — the Prometheus exporter-toolkit web configuration file
 * (--web.config.file): TLS (tls_server_config) and basic auth (basic_auth_users).
 * Parsed with libyaml; bcrypt hashes checked with libcrypt. */
#ifndef TCPH_WEBCONFIG_H
#define TCPH_WEBCONFIG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum webconfig_client_auth {
	WEBCONFIG_NO_CLIENT_CERT,
	WEBCONFIG_REQUEST_CLIENT_CERT,
	WEBCONFIG_REQUIRE_ANY_CLIENT_CERT,
	WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* The file and the PEM files it names are read only when they are regular files of at most
 * this size (a FIFO or /dev/zero is refused, never opened blocking); the YAML is refused
 * when nested deeper than WEBCONFIG_MAX_DEPTH (the exporter-toolkit format needs 3) or
 * with more than WEBCONFIG_MAX_NODES keys and values (a user takes 2: 1 MiB holds about
 * 15,000 users, each with its 60-character hash). */
#define WEBCONFIG_MAX_FILE_BYTES (1024 * 1024)
#define WEBCONFIG_MAX_DEPTH 32
#define WEBCONFIG_MAX_NODES 32768

#define WEBCONFIG_MIN_BCRYPT_COST 10
/* Each wrong password costs one bcrypt on the password-check thread: 14 is about a second
 * here, and a check that slow would keep correct first logins waiting behind a flood. */
#define WEBCONFIG_MAX_BCRYPT_COST 14

struct webconfig_user {
	char *name;
	char *hash;		  /* bcrypt: $2a$, $2b$ or $2y$ */
	uint8_t cached[32];	  /* SHA-256 of the last password that matched (cache_lock) */
	bool has_cached;	  /* (cache_lock) */
};

/* Immutable after load, but for the users' password cache, which cache_lock guards. A
 * loaded configuration is shared by reference (webconfig_ref/unref) so that a reload can
 * replace it while requests still use the old one. */
struct webconfig {
	atomic_uint refs;
	pthread_mutex_t cache_lock;
	bool tls;
	char *cert_pem, *key_pem, *client_ca_pem; /* file contents, NUL-terminated */
	size_t cert_len, key_len, client_ca_len;
	int min_version, max_version; /* 12 or 13 (TLS 1.x); max 0: no upper limit */
	enum webconfig_client_auth client_auth;
	struct webconfig_user *users;
	unsigned n_users;
	int max_cost;	      /* highest bcrypt cost among the users */
	char dummy_hash[128]; /* bcrypt hash at max_cost, random salt, matching nothing: for unknown users */
};

/* Loads and validates the file. 0, or -EINVAL/-errno with one line in `err`: not a regular
 * file, over 1 MiB, malformed or too deeply nested YAML, more than one document, unknown or
 * repeated keys, neither TLS nor users (an empty file), unreadable or mismatched
 * certificate and key, weak settings (TLS below 1.2, a password that is not a bcrypt hash
 * of cost >= 10). Relative paths are relative to the file's directory. Never blocks on the
 * file and runs no bcrypt: a reload of even a 1 MiB file takes well under a second. */
int webconfig_load(const char *path, struct webconfig *config, char *err, size_t errlen);
/* The same from text already in memory; `name` names it in messages, relative paths are
 * relative to `dir`. */
int webconfig_parse(const char *text, size_t len, const char *name, const char *dir,
		    struct webconfig *config, char *err, size_t errlen);
void webconfig_free(struct webconfig *config);

/* A loaded configuration on the heap with one reference (0 or -errno as webconfig_load). */
int webconfig_load_new(const char *path, struct webconfig **out, char *err, size_t errlen);
struct webconfig *webconfig_ref(struct webconfig *config);
/* Drops a reference to a webconfig_load_new() configuration; the last frees it. */
void webconfig_unref(struct webconfig *config);

/* Reload: copies into `fresh` (not yet shared) the cached password of every user of `old`
 * (NULL: none) whose name and hash did not change, so that a SIGHUP costs correct clients
 * no bcrypt. */
void webconfig_keep_cache(struct webconfig *fresh, struct webconfig *old);

/* GnuTLS priority string for the configured TLS versions. */
const char *webconfig_tls_priorities(const struct webconfig *config);

/* True when user and password match a configured user. Takes the time of one bcrypt
 * whether or not the user exists and wherever the password differs, except that a
 * password that matched before is recognised by its cached SHA-256 (compared in
 * constant time) so that every scrape does not pay for bcrypt. */
bool webconfig_check_password(struct webconfig *config, const char *user, const char *password);
/* True when the password is the one that last matched for this user (cheap: no bcrypt). */
bool webconfig_password_cached(struct webconfig *config, const char *user, const char *password);

#endif
