/* fuzz_webconfig.c — libFuzzer harness for the --web.config.file parser. The input is the
 * YAML text; relative paths in it resolve against tests/data/tls (TCPH_TEST_DATA/tls), so
 * that cert_file: server.crt and its key reach the GnuTLS checks. */
#include "../../exporter/webconfig.h"
#include "../../lib/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tls_dir[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *data = getenv("TCPH_TEST_DATA");
	char dir[PATH_MAX];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/tls", data ? data : "tests/data");
	if (!realpath(dir, tls_dir))
		snprintf(tls_dir, sizeof(tls_dir), "%s", dir);
	log_set_level(LOG_LEVEL_ERROR); /* no "basic auth without TLS" warning per input */
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct webconfig config;
	char err[512];
	int ret;
	/* An exact-size copy: the parser gets a length and must not read past it. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	err[0] = '\0';
	ret = webconfig_parse(text, size, "fuzz.yml", tls_dir, &config, err, sizeof(err));
	if (ret == 0) {
		/* Touch what a loaded configuration holds: a missing terminator or a bad count
		 * shows up here. */
		size_t sum = config.cert_len + config.key_len + config.client_ca_len;

		if (config.tls != (config.cert_pem && config.key_pem))
			abort(); /* TLS on exactly when a certificate and key were loaded */
		if (!config.tls && !config.n_users)
			abort(); /* a file that sets up nothing is refused, never "no TLS, no auth" */
		if (size > WEBCONFIG_MAX_FILE_BYTES)
			abort();
		if (config.tls)
			sum += strlen(config.cert_pem) + strlen(config.key_pem);
		if (config.client_ca_pem)
			sum += strlen(config.client_ca_pem);
		for (unsigned i = 0; i < config.n_users; i++)
			sum += strlen(config.users[i].name) + strlen(config.users[i].hash);
		if (config.n_users && strlen(config.dummy_hash) != 60)
			abort();
		(void)webconfig_tls_priorities(&config);
		/* Cheap: compares against the cache, never runs bcrypt. */
		if (config.n_users && webconfig_password_cached(&config, config.users[0].name, "x"))
			abort();
		webconfig_free(&config);
		(void)sum;
	} else if (ret != -ENOMEM && err[0] == '\0') {
		abort(); /* every refusal says why */
	}
	free(text);
	return 0;
}
