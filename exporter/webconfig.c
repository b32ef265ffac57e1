/* webconfig.c — exporter-toolkit web configuration: parse, validate, check passwords. */
#include "webconfig.h"

#include "../lib/log.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_PEM_BYTES (1024 * 1024)

/* ---- YAML helpers --------------------------------------------------------------------- */

/* A plain scalar's text, or NULL for other nodes and for text with an embedded NUL (which a
 * C string would silently cut short: "server.crt\0.bak" must not read as server.crt). */
static const char *scalar(yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE ||
	    strlen((const char *)node->data.scalar.value) != node->data.scalar.length)
		return NULL;
	return (const char *)node->data.scalar.value;
}

/* libyaml keeps repeated mapping keys; the exporter-toolkit's strict parser refuses them, and
 * so do we: a repeated key's last value silently winning hides mistakes. */
static const char *repeated_key(yaml_document_t *doc, yaml_node_t *map)
{
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++)
		for (yaml_node_pair_t *b = a + 1; b < map->data.mapping.pairs.top; b++) {
			const char *ka = scalar(yaml_document_get_node(doc, a->key));
			const char *kb = scalar(yaml_document_get_node(doc, b->key));

			if (ka && kb && strcmp(ka, kb) == 0)
				return ka;
		}
	return NULL;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -EINVAL;
}

/* Reads a whole (small) file into a NUL-terminated buffer. */
static int read_file(const char *dir, const char *name, char **out, size_t *len, char *err,
		     size_t errlen)
{
	char path[PATH_MAX];
	FILE *f;
	long size;
	int ret = 0;

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return ret;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > MAX_PEM_BYTES ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		snprintf(err, errlen, "cannot read %s: not a regular file of at most 1 MiB", path);
		return -EINVAL;
	}
	*out = malloc((size_t)size + 1);
	if (!*out) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(*out, 1, (size_t)size, f) != (size_t)size) {
		ret = -EIO;
		snprintf(err, errlen, "cannot read %s", path);
	}
	fclose(f);
	(*out)[size] = '\0';
	*len = (size_t)size;
	return ret;
}

/* ---- tls_server_config ------------------------------------------------------------------ */

static int parse_version(const char *text, int *out)
{
	if (strcmp(text, "TLS13") == 0)
		*out = 13;
	else if (strcmp(text, "TLS12") == 0)
		*out = 12;
	else if (strcmp(text, "TLS11") == 0 || strcmp(text, "TLS10") == 0)
		*out = 10; /* known, but weak */
	else
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	enum webconfig_client_auth value;
} client_auth_names[] = {
	{ "NoClientCert", WEBCONFIG_NO_CLIENT_CERT },
	{ "RequestClientCert", WEBCONFIG_REQUEST_CLIENT_CERT },
	{ "RequireAnyClientCert", WEBCONFIG_REQUIRE_ANY_CLIENT_CERT },
	{ "VerifyClientCertIfGiven", WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN },
	{ "RequireAndVerifyClientCert", WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT },
};

static int parse_tls(yaml_document_t *doc, yaml_node_t *map, const char *dir,
		     struct webconfig *config, char *err, size_t errlen)
{
	const char *cert_file = NULL, *key_file = NULL, *client_ca_file = NULL;
	gnutls_certificate_credentials_t creds;
	gnutls_datum_t cert, key;
	int ret;

	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errlen, "tls_server_config: want a mapping%s%s", "", "");
	if (repeated_key(doc, map))
		return fail(err, errlen, "tls_server_config.%s is given twice%s", repeated_key(doc, map), "");
	config->min_version = 12;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		const char *v = scalar(yaml_document_get_node(doc, p->value));

		if (!k)
			return fail(err, errlen, "tls_server_config: keys must be plain text%s%s", "", "");
		if (strcmp(k, "cert_file") != 0 && strcmp(k, "key_file") != 0 &&
		    strcmp(k, "client_ca_file") != 0 && strcmp(k, "min_version") != 0 &&
		    strcmp(k, "max_version") != 0 && strcmp(k, "client_auth_type") != 0)
			/* cipher_suites, curve_preferences, ...: GnuTLS's defaults apply; refuse
			 * rather than silently ignore a security setting. */
			return fail(err, errlen, "tls_server_config.%s is not supported%s", k, "");
		if (!v)
			return fail(err, errlen, "tls_server_config.%s: want a plain value%s", k, "");
		if (strcmp(k, "cert_file") == 0)
			cert_file = v;
		else if (strcmp(k, "key_file") == 0)
			key_file = v;
		else if (strcmp(k, "client_ca_file") == 0)
			client_ca_file = *v ? v : NULL;
		else if (strcmp(k, "min_version") == 0 || strcmp(k, "max_version") == 0) {
			int *version = k[1] == 'i' ? &config->min_version : &config->max_version;

			if (parse_version(v, version) < 0)
				return fail(err, errlen, "tls_server_config.%s '%s': want TLS12 or TLS13", k, v);
			if (*version < 12 && version == &config->min_version)
				return fail(err, errlen,
					    "tls_server_config.min_version %s is weak: use TLS12 or TLS13%s", v, "");
		} else if (strcmp(k, "client_auth_type") == 0) {
			unsigned i;

			for (i = 0; i < sizeof(client_auth_names) / sizeof(client_auth_names[0]); i++)
				if (strcmp(v, client_auth_names[i].name) == 0)
					break;
			if (i == sizeof(client_auth_names) / sizeof(client_auth_names[0]))
				return fail(err, errlen, "tls_server_config.client_auth_type '%s' is unknown%s", v, "");
			config->client_auth = client_auth_names[i].value;
		}
	}
	if (!cert_file || !key_file)
		return fail(err, errlen, "tls_server_config needs both cert_file and key_file%s%s", "", "");
	if (config->max_version && config->max_version < config->min_version)
		return fail(err, errlen, "tls_server_config: max_version is below min_version%s%s", "", "");
	/* libmicrohttpd asks clients for a certificate only when it has a trust list, so every
	 * policy that looks at client certificates needs client_ca_file (exporter-toolkit does
	 * not, for RequestClientCert and RequireAnyClientCert). */
	if (config->client_auth != WEBCONFIG_NO_CLIENT_CERT && !client_ca_file)
		return fail(err, errlen, "tls_server_config.client_auth_type %s needs client_ca_file%s",
			    client_auth_names[config->client_auth].name, "");
	if (client_ca_file && config->client_auth == WEBCONFIG_NO_CLIENT_CERT)
		return fail(err, errlen,
			    "tls_server_config.client_ca_file is set but client_auth_type is NoClientCert%s%s",
			    "", "");
	ret = read_file(dir, cert_file, &config->cert_pem, &config->cert_len, err, errlen);
	if (ret == 0)
		ret = read_file(dir, key_file, &config->key_pem, &config->key_len, err, errlen);
	if (ret == 0 && client_ca_file)
		ret = read_file(dir, client_ca_file, &config->client_ca_pem, &config->client_ca_len, err,
				errlen);
	if (ret < 0)
		return ret;

	/* Load the pair once now: a key that does not match the certificate, or a file that is
	 * not PEM, is a start-up error rather than a failure at every handshake. */
	if (gnutls_certificate_allocate_credentials(&creds) != GNUTLS_E_SUCCESS)
		return -ENOMEM;
	cert = (gnutls_datum_t){ (unsigned char *)config->cert_pem, (unsigned)config->cert_len };
	key = (gnutls_datum_t){ (unsigned char *)config->key_pem, (unsigned)config->key_len };
	ret = gnutls_certificate_set_x509_key_mem(creds, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (ret >= 0 && config->client_ca_pem) {
		gnutls_datum_t ca = { (unsigned char *)config->client_ca_pem,
				      (unsigned)config->client_ca_len };

		if (gnutls_certificate_set_x509_trust_mem(creds, &ca, GNUTLS_X509_FMT_PEM) <= 0) {
			gnutls_certificate_free_credentials(creds);
			return fail(err, errlen, "client_ca_file %s holds no PEM certificate%s",
				    client_ca_file, "");
		}
	}
	gnutls_certificate_free_credentials(creds);
	if (ret < 0) {
		snprintf(err, errlen, "cannot use cert_file %s with key_file %s: %s", cert_file,
			 key_file, gnutls_strerror(ret));
		return -EINVAL;
	}
	config->tls = true;
	return 0;
}

/* ---- basic_auth_users ------------------------------------------------------------------- */

static int bcrypt_cost(const char *hash)
{
	if (strlen(hash) != 60 || hash[0] != '$' || hash[1] != '2' ||
	    (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' ||
	    hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9' || hash[6] != '$')
		return -1;
	return (hash[4] - '0') * 10 + (hash[5] - '0');
}

static int parse_users(yaml_document_t *doc, yaml_node_t *map, struct webconfig *config, char *err,
		       size_t errlen)
{
	size_t n;

	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errlen, "basic_auth_users: want a mapping of user: bcrypt hash%s%s", "", "");
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	if (repeated_key(doc, map))
		return fail(err, errlen, "basic_auth_users: user '%s' is listed twice%s",
			    repeated_key(doc, map), "");
	config->users = calloc(n ? n : 1, sizeof(*config->users));
	if (!config->users)
		return -ENOMEM;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *user = scalar(yaml_document_get_node(doc, p->key));
		const char *hash = scalar(yaml_document_get_node(doc, p->value));
		int cost;

		if (!user || !hash || !*user)
			return fail(err, errlen, "basic_auth_users: want user: bcrypt hash pairs%s%s", "", "");
		if (strchr(user, ':'))
			return fail(err, errlen, "basic_auth_users: user '%s' contains ':'%s", user, "");
		cost = bcrypt_cost(hash);
		if (cost < 0)
			return fail(err, errlen, "basic_auth_users.%s: not a bcrypt hash ($2y$...)%s", user, "");
		if (cost < WEBCONFIG_MIN_BCRYPT_COST) {
			snprintf(err, errlen, "basic_auth_users.%s: bcrypt cost %d is weak, use %d or more",
				 user, cost, WEBCONFIG_MIN_BCRYPT_COST);
			return -EINVAL;
		}
		if (cost > WEBCONFIG_MAX_BCRYPT_COST) {
			snprintf(err, errlen,
				 "basic_auth_users.%s: bcrypt cost %d is too slow: every wrong password would "
				 "hold up scrapes; use %d to %d",
				 user, cost, WEBCONFIG_MIN_BCRYPT_COST, WEBCONFIG_MAX_BCRYPT_COST);
			return -EINVAL;
		}
		if (cost > config->max_cost)
			config->max_cost = cost;
		config->users[config->n_users].name = strdup(user);
		config->users[config->n_users].hash = strdup(hash);
		if (!config->users[config->n_users].name || !config->users[config->n_users].hash) {
			free(config->users[config->n_users].name);
			free(config->users[config->n_users].hash);
			return -ENOMEM;
		}
		config->n_users++;
	}
	return 0;
}

/* A bcrypt hash of random bytes at the highest configured cost: an unknown user then costs
 * as much time as the slowest real one, so timing does not tell which users exist. */
static int make_dummy_hash(struct webconfig *config, char *err, size_t errlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], secret[33];
	unsigned char random[16];
	struct crypt_data data;

	if (gnutls_rnd(GNUTLS_RND_NONCE, random, sizeof(random)) < 0)
		return fail(err, errlen, "cannot get random bytes for the password checks%s%s", "", "");
	for (unsigned i = 0; i < sizeof(random); i++)
		snprintf(secret + 2 * i, 3, "%02x", random[i]);
	memset(&data, 0, sizeof(data));
	if (!crypt_gensalt_rn("$2b$", (unsigned long)config->max_cost, (const char *)random,
			      sizeof(random), setting, sizeof(setting)) ||
	    !crypt_r(secret, setting, &data) || data.output[0] == '*' ||
	    strlen(data.output) >= sizeof(config->dummy_hash))
		return fail(err, errlen, "libcrypt cannot make bcrypt hashes%s%s", "", "");
	memcpy(config->dummy_hash, data.output, strlen(data.output) + 1);
	return 0;
}

/* ---- loading ---------------------------------------------------------------------------- */

int webconfig_parse(const char *text, size_t len, const char *path, const char *dir,
		    struct webconfig *config, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int ret = 0;

	memset(config, 0, sizeof(*config));
	atomic_init(&config->refs, 1);
	pthread_mutex_init(&config->cache_lock, NULL);
	if (!yaml_parser_initialize(&parser)) {
		webconfig_free(config);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s: line %zu: %s", path, parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "malformed YAML");
		yaml_parser_delete(&parser);
		webconfig_free(config);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SCALAR_NODE && scalar(root) && !*scalar(root))
		root = NULL; /* a file holding only "---" or comments */
	if (root && root->type != YAML_MAPPING_NODE) {
		ret = fail(err, errlen, "%s: want a mapping at the top%s", path, "");
		goto out;
	}
	if (root && repeated_key(&doc, root)) {
		ret = fail(err, errlen, "%s: '%s' is given twice", path, repeated_key(&doc, root));
		goto out;
	}
	for (yaml_node_pair_t *p = root ? root->data.mapping.pairs.start : NULL;
	     root && p < root->data.mapping.pairs.top && ret == 0; p++) {
		const char *k = scalar(yaml_document_get_node(&doc, p->key));
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);

		if (!k)
			ret = fail(err, errlen, "%s: keys must be plain text%s", path, "");
		else if (!v)
			ret = fail(err, errlen, "%s: '%s' has no value", path, k);
		else if (strcmp(k, "tls_server_config") == 0)
			ret = parse_tls(&doc, v, dir, config, err, errlen);
		else if (strcmp(k, "basic_auth_users") == 0)
			ret = parse_users(&doc, v, config, err, errlen);
		else
			ret = fail(err, errlen, "%s: '%s' is not supported (tls_server_config, basic_auth_users)",
				   path, k);
	}
	if (ret == 0 && config->n_users)
		ret = make_dummy_hash(config, err, errlen);
	if (ret == 0 && config->n_users && !config->tls)
		log_warn("basic auth without TLS: passwords cross the network in clear text");
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret < 0)
		webconfig_free(config);
	return ret;
}

int webconfig_load(const char *path, struct webconfig *config, char *err, size_t errlen)
{
	char dir[PATH_MAX], copy[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int ret;

	memset(config, 0, sizeof(*config));
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(copy)); /* dirname may modify its argument */
	ret = read_file(".", path, &text, &len, err, errlen);
	if (ret < 0) {
		free(text);
		if (ret != -ENOMEM)
			snprintf(err, errlen, "cannot read --web.config.file %s: %s", path,
				 ret == -EINVAL ? "not a regular file of at most 1 MiB" : strerror(-ret));
		return ret;
	}
	ret = webconfig_parse(text, len, path, dir, config, err, errlen);
	free(text);
	return ret;
}

int webconfig_load_new(const char *path, struct webconfig **out, char *err, size_t errlen)
{
	struct webconfig *config = malloc(sizeof(*config));
	int ret;

	if (!config)
		return -ENOMEM;
	ret = webconfig_load(path, config, err, errlen);
	if (ret < 0) {
		free(config);
		return ret;
	}
	*out = config;
	return 0;
}

struct webconfig *webconfig_ref(struct webconfig *config)
{
	atomic_fetch_add_explicit(&config->refs, 1, memory_order_relaxed);
	return config;
}

void webconfig_unref(struct webconfig *config)
{
	if (!config || atomic_fetch_sub_explicit(&config->refs, 1, memory_order_acq_rel) != 1)
		return;
	webconfig_free(config);
	free(config);
}

void webconfig_free(struct webconfig *config)
{
	/* A zeroed mutex is an unlocked default one: destroying it is fine (glibc), so a
	 * configuration that was never loaded can be freed too. */
	pthread_mutex_destroy(&config->cache_lock);
	free(config->cert_pem);
	free(config->key_pem);
	free(config->client_ca_pem);
	for (unsigned i = 0; i < config->n_users; i++) {
		free(config->users[i].name);
		free(config->users[i].hash);
	}
	free(config->users);
	memset(config, 0, sizeof(*config));
}

/* GnuTLS's NORMAL set, limited to the allowed versions and without static RSA key exchange
 * (no forward secrecy). */
const char *webconfig_tls_priorities(const struct webconfig *config)
{
	if (config->min_version >= 13)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3:-RSA";
	if (config->max_version == 12)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.2:-RSA";
	return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA";
}

/* ---- passwords -------------------------------------------------------------------------- */

static bool equal_constant_time(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

/* SHA-256 of (hash, password); false when it cannot be computed (the cache is then neither
 * read nor written, so a failure can never turn into a match). */
static bool password_digest(const struct webconfig_user *user, const char *password, uint8_t out[32])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return false;
	if (gnutls_hash(h, user->hash, strlen(user->hash) + 1) < 0 || /* bound to this hash */
	    gnutls_hash(h, password, strlen(password)) < 0) {
		gnutls_hash_deinit(h, NULL);
		return false;
	}
	gnutls_hash_deinit(h, out);
	return true;
}

/* True when `digest` is the user's cached one (under cache_lock). */
static bool digest_cached(struct webconfig *config, const struct webconfig_user *u,
			  const uint8_t digest[32])
{
	bool match;

	pthread_mutex_lock(&config->cache_lock);
	match = u->has_cached && equal_constant_time(digest, u->cached, 32);
	pthread_mutex_unlock(&config->cache_lock);
	return match;
}

bool webconfig_password_cached(struct webconfig *config, const char *user, const char *password)
{
	uint8_t digest[32];

	for (unsigned i = 0; i < config->n_users; i++) {
		struct webconfig_user *u = &config->users[i];

		if (strcmp(u->name, user) == 0)
			return password_digest(u, password, digest) && digest_cached(config, u, digest);
	}
	return false;
}

bool webconfig_check_password(struct webconfig *config, const char *user, const char *password)
{
	struct crypt_data data;
	struct webconfig_user *found = NULL;
	const char *hash = config->dummy_hash, *result; /* unknown users cost one bcrypt too */
	uint8_t digest[32];
	bool match, have_digest = false;

	for (unsigned i = 0; i < config->n_users; i++)
		if (strcmp(config->users[i].name, user) == 0)
			found = &config->users[i];
	if (found) {
		hash = found->hash;
		have_digest = password_digest(found, password, digest);
		if (have_digest && digest_cached(config, found, digest))
			return true;
	}
	memset(&data, 0, sizeof(data));
	result = crypt_r(password, hash, &data);
	match = result && strlen(result) == strlen(hash) &&
		equal_constant_time(result, hash, strlen(hash));
	if (found && match && have_digest) {
		pthread_mutex_lock(&config->cache_lock);
		memcpy(found->cached, digest, sizeof(digest));
		found->has_cached = true;
		pthread_mutex_unlock(&config->cache_lock);
	}
	return found && match;
}
