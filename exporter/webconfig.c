/* webconfig.c — exporter-toolkit web configuration: parse, validate, check passwords. */
#include "webconfig.h"

#include "../lib/log.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

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

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* libyaml keeps repeated mapping keys; the exporter-toolkit's strict parser refuses them, and
 * so do we: a repeated key's last value silently winning hides mistakes. The keys are
 * sorted (n log n: 100,000 keys take milliseconds, where comparing every pair took 85 s).
 * 0 with *dup the repeated key or NULL, or -ENOMEM. */
static int repeated_key(yaml_document_t *doc, yaml_node_t *map, const char **dup)
{
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start), m = 0;
	const char **keys;

	*dup = NULL;
	if (n < 2)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));

		if (k)
			keys[m++] = k; /* other keys are refused by the callers */
	}
	qsort(keys, m, sizeof(*keys), compare_keys);
	for (size_t i = 1; i < m && !*dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			*dup = keys[i];
	free(keys);
	return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -EINVAL;
}

/* Reads a whole file of at most WEBCONFIG_MAX_FILE_BYTES into a NUL-terminated buffer.
 * Opening never blocks (a FIFO would, for a writer) and the open descriptor, not the path,
 * is checked: anything but a regular file (a FIFO, a device such as /dev/zero, a directory)
 * is refused before a byte is read. `what` names the file in messages. */
static int read_regular(const char *path, const char *what, char **out, size_t *len, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), ret = 0;
	struct stat st;
	size_t got = 0;

	*out = NULL;
	if (fd < 0) {
		ret = -errno;
		/* open() of a Unix socket fails with ENXIO: say what it is. */
		snprintf(err, errlen, "cannot read %s %s: %s", what, path,
			 ret == -ENXIO ? "not a regular file" : strerror(-ret));
		return ret == -ENXIO ? -EINVAL : ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(-ret));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot read %s %s: not a regular file (%s)", what, path,
			 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
			 S_ISCHR(st.st_mode) ? "a character device" : S_ISBLK(st.st_mode) ? "a block device" :
			 "a socket");
		ret = -EINVAL;
	} else if (st.st_size > WEBCONFIG_MAX_FILE_BYTES) {
		snprintf(err, errlen, "cannot read %s %s: %lld bytes, more than the limit of 1 MiB", what,
			 path, (long long)st.st_size);
		ret = -EFBIG;
	} else if (!(*out = malloc(WEBCONFIG_MAX_FILE_BYTES + 1))) {
		ret = -ENOMEM;
	}
	/* Read to the end, but never past the limit: the file may grow after fstat. */
	while (ret == 0) {
		ssize_t n = read(fd, *out + got, WEBCONFIG_MAX_FILE_BYTES + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(-ret));
		} else if (n == 0) {
			break;
		} else if ((got += (size_t)n) > WEBCONFIG_MAX_FILE_BYTES) {
			snprintf(err, errlen, "cannot read %s %s: more than the limit of 1 MiB", what, path);
			ret = -EFBIG;
		}
	}
	close(fd);
	if (ret < 0) {
		free(*out);
		*out = NULL;
		return ret;
	}
	(*out)[got] = '\0';
	*len = got;
	return 0;
}

/* A file named in the configuration, relative to its directory. */
static int read_file(const char *dir, const char *name, char **out, size_t *len, char *err,
		     size_t errlen)
{
	char path[PATH_MAX];

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	return read_regular(path, "file", out, len, err, errlen);
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

	const char *dup;

	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errlen, "tls_server_config: want a mapping%s%s", "", "");
	if (repeated_key(doc, map, &dup) < 0)
		return -ENOMEM;
	if (dup)
		return fail(err, errlen, "tls_server_config.%s is given twice%s", dup, "");
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
	const char *dup;
	size_t n;

	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errlen, "basic_auth_users: want a mapping of user: bcrypt hash%s%s", "", "");
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	if (repeated_key(doc, map, &dup) < 0)
		return -ENOMEM;
	if (dup)
		return fail(err, errlen, "basic_auth_users: user '%s' is listed twice%s", dup, "");
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

/* A bcrypt hash at the highest configured cost, checked for unknown users: they then cost as
 * much time as the slowest real one, so timing does not tell which users exist. bcrypt reads
 * only the cost and the salt of the hash it checks against, so a random salt followed by 31
 * random characters is as good as a real hash and costs no bcrypt to make: a (re)load stays
 * fast at any cost (cost 14 takes about a second here). It matches no password. */
static int make_dummy_hash(struct webconfig *config, char *err, size_t errlen)
{
	static const char alphabet[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char random[16 + 31];
	size_t n;

	if (gnutls_rnd(GNUTLS_RND_NONCE, random, sizeof(random)) < 0)
		return fail(err, errlen, "cannot get random bytes for the password checks%s%s", "", "");
	if (!crypt_gensalt_rn("$2b$", (unsigned long)config->max_cost, (const char *)random, 16,
			      setting, sizeof(setting)) ||
	    (n = strlen(setting)) != 29 || n + 31 >= sizeof(config->dummy_hash))
		return fail(err, errlen, "libcrypt cannot make bcrypt hashes%s%s", "", "");
	memcpy(config->dummy_hash, setting, n);
	for (unsigned i = 0; i < 31; i++)
		config->dummy_hash[n + i] = alphabet[random[16 + i] & 63];
	config->dummy_hash[n + 31] = '\0';
	return 0;
}

/* ---- loading ---------------------------------------------------------------------------- */

/* Walks the YAML events before anything is built: refuses nesting deeper than
 * WEBCONFIG_MAX_DEPTH as soon as it is reached (libyaml's scanner takes time quadratic in
 * the depth: 100,000 '[' took 23 s), more than WEBCONFIG_MAX_NODES nodes (building 200,000
 * took libyaml up to half a second on a busy machine) and a second document, which the
 * loader would silently ignore. Aliases are single events here and are never expanded. */
static int check_structure(const char *text, size_t len, const char *path, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t event;
	int depth = 0, documents = 0, nodes = 0, ret = 0;
	bool end = false;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (ret == 0 && !end) {
		if (!yaml_parser_parse(&parser, &event)) {
			snprintf(err, errlen, "%s: line %zu: %s", path, parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "malformed YAML");
			ret = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		if (event.type == YAML_DOCUMENT_START_EVENT && ++documents > 1) {
			snprintf(err, errlen, "%s: line %zu: a second YAML document ('---'): want one", path,
				 event.start_mark.line + 1);
			ret = -EINVAL;
		} else if ((event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT) &&
			   ++depth > WEBCONFIG_MAX_DEPTH) {
			snprintf(err, errlen, "%s: line %zu: nested deeper than %d levels", path,
				 event.start_mark.line + 1, WEBCONFIG_MAX_DEPTH);
			ret = -EINVAL;
		} else if (event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		if (ret == 0 && (event.type == YAML_SCALAR_EVENT || event.type == YAML_ALIAS_EVENT ||
				 event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT) &&
		    ++nodes > WEBCONFIG_MAX_NODES) {
			snprintf(err, errlen, "%s: line %zu: more than %d YAML nodes (keys and values)", path,
				 event.start_mark.line + 1, WEBCONFIG_MAX_NODES);
			ret = -EINVAL;
		}
		end = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	return ret;
}

/* The top-level mapping of a loaded document. */
static int parse_root(yaml_document_t *doc, const char *path, const char *dir,
		      struct webconfig *config, char *err, size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	const char *dup;
	int ret = 0;

	if (root && root->type == YAML_SCALAR_NODE && scalar(root) && !*scalar(root))
		root = NULL; /* a file holding only "---" or comments */
	if (root && root->type != YAML_MAPPING_NODE)
		return fail(err, errlen, "%s: want a mapping at the top%s", path, "");
	if (root && repeated_key(doc, root, &dup) < 0)
		return -ENOMEM;
	if (root && dup)
		return fail(err, errlen, "%s: '%s' is given twice", path, dup);
	for (yaml_node_pair_t *p = root ? root->data.mapping.pairs.start : NULL;
	     root && p < root->data.mapping.pairs.top && ret == 0; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *v = yaml_document_get_node(doc, p->value);

		if (!k)
			ret = fail(err, errlen, "%s: keys must be plain text%s", path, "");
		else if (!v)
			ret = fail(err, errlen, "%s: '%s' has no value", path, k);
		else if (strcmp(k, "tls_server_config") == 0)
			ret = parse_tls(doc, v, dir, config, err, errlen);
		else if (strcmp(k, "basic_auth_users") == 0)
			ret = parse_users(doc, v, config, err, errlen);
		else
			ret = fail(err, errlen, "%s: '%s' is not supported (tls_server_config, basic_auth_users)",
				   path, k);
	}
	/* Empty, only comments, "---", "{}", no users: read as "no TLS, no auth", a file that
	 * is truncated, or the wrong one, would switch security off. Plain HTTP without auth is
	 * had by leaving out --web.config.file. */
	if (ret == 0 && !config->tls && !config->n_users)
		ret = fail(err, errlen, "%s: sets up neither TLS nor basic auth: an empty configuration "
			   "is refused (to serve without either, leave out --web.config.file)%s", path, "");
	return ret;
}

int webconfig_parse(const char *text, size_t len, const char *path, const char *dir,
		    struct webconfig *config, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	memset(config, 0, sizeof(*config));
	atomic_init(&config->refs, 1);
	pthread_mutex_init(&config->cache_lock, NULL);
	if (len > WEBCONFIG_MAX_FILE_BYTES)
		ret = fail(err, errlen, "%s: more than the limit of 1 MiB%s", path, "");
	else
		ret = check_structure(text, len, path, err, errlen);
	if (ret < 0) {
		webconfig_free(config);
		return ret;
	}
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
	ret = parse_root(&doc, path, dir, config, err, errlen);
	if (ret == 0 && config->n_users)
		ret = make_dummy_hash(config, err, errlen);
	if (ret == 0 && config->n_users && !config->tls)
		log_warn("basic auth without TLS: passwords cross the network in clear text");
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
	ret = read_regular(path, "--web.config.file", &text, &len, err, errlen);
	if (ret < 0)
		return ret;
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

/* ---- reloading ---------------------------------------------------------------------------- */

static int compare_users(const void *a, const void *b)
{
	return strcmp((*(const struct webconfig_user *const *)a)->name,
		      (*(const struct webconfig_user *const *)b)->name);
}

void webconfig_keep_cache(struct webconfig *fresh, struct webconfig *old)
{
	struct webconfig_user **sorted;

	if (!old || !old->n_users || !fresh->n_users)
		return;
	sorted = malloc(old->n_users * sizeof(*sorted));
	if (!sorted)
		return; /* the passwords are checked by bcrypt once more: slower, not wrong */
	for (unsigned i = 0; i < old->n_users; i++)
		sorted[i] = &old->users[i];
	qsort(sorted, old->n_users, sizeof(*sorted), compare_users);
	pthread_mutex_lock(&old->cache_lock);
	pthread_mutex_lock(&fresh->cache_lock);
	for (unsigned i = 0; i < fresh->n_users; i++) {
		struct webconfig_user *u = &fresh->users[i], key = { .name = u->name }, *k = &key, **found;

		found = bsearch(&k, sorted, old->n_users, sizeof(*sorted), compare_users);
		/* The digest is bound to the hash too (password_digest): a changed hash could not
		 * match anyway, but it is not carried over either. */
		if (found && (*found)->has_cached && strcmp((*found)->hash, u->hash) == 0) {
			memcpy(u->cached, (*found)->cached, sizeof(u->cached));
			u->has_cached = true;
		}
	}
	pthread_mutex_unlock(&fresh->cache_lock);
	pthread_mutex_unlock(&old->cache_lock);
	free(sorted);
}
