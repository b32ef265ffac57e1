/* fuzz_flags.c — libFuzzer harness for the command line: the input split on NUL bytes is
 * argv (after argv[0]), given to flags_parse; each argument also goes through the duration
 * and port-list parsers on their own. --help and --version print to /dev/null. */
#include "../../exporter/flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	/* Heap copies of exact size, so that a read past an argument's NUL shows up. */
	char *argv[MAX_ARGS + 2];
	int argc = 0, ret;
	size_t start = 0;
	struct flags *flags = malloc(sizeof(*flags));
	char err[512];
	uint16_t ports[64];
	unsigned n;
	uint64_t ms;

	if (!flags)
		return 0;
	argv[argc++] = strdup("tcp_health_exporter");
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i < size && data[i] != '\0')
			continue;
		argv[argc] = malloc(i - start + 1);
		if (!argv[argc])
			break;
		memcpy(argv[argc], data + start, i - start);
		argv[argc][i - start] = '\0';
		argc++;
		start = i + 1;
	}
	argv[argc] = NULL;

	err[0] = '\0';
	ret = flags_parse(argc, argv, flags, devnull, err, sizeof(err));
	if (ret == -EINVAL) {
		if (err[0] == '\0')
			abort(); /* every refusal names the problem */
	} else if (ret == FLAGS_RUN) {
		/* What it accepted is within the documented bounds. */
		if (flags->tcp.max_ports < 1 || flags->tcp.max_ports > CLASSIFY_MAX_PORTS_LIMIT ||
		    flags->tcp.listen_ports.n > flags->tcp.max_ports ||
		    flags->tcp.client_ports.n > flags->tcp.max_ports ||
		    flags->tcp.idle_threshold_seconds < 1 || flags->web.read_timeout_ms < 100 ||
		    flags->web.write_timeout_ms < 100 || flags->web.max_connections < 1 ||
		    flags->web.telemetry_path[0] != '/' ||
		    (flags->web.systemd_socket ? flags->web.n_listen_addresses != 0
					   : flags->web.n_listen_addresses < 1) ||
		    flags->web.n_listen_addresses > WEB_FLAGS_MAX_LISTEN_ADDRESSES)
			abort();
		for (unsigned i = 0; i < flags->web.n_listen_addresses; i++)
			if (!flags->web.listen_addresses[i])
				abort();
		for (unsigned i = 0; i < flags->tcp.listen_ports.n; i++)
			if (flags->tcp.listen_ports.ports[i] == 0 ||
			    (i > 0 && flags->tcp.listen_ports.ports[i] <=
					  flags->tcp.listen_ports.ports[i - 1]))
				abort(); /* sorted, unique, non-zero */
	} else if (ret != FLAGS_EXIT_OK) {
		abort();
	}

	for (int i = 1; i < argc; i++) {
		if (flagtab_parse_duration(argv[i], 0, 30ull * 86400000, &ms) == 0 && ms > 30ull * 86400000)
			abort();
		if (flagtab_parse_port_list(argv[i], ports, 64, &n, err, sizeof(err)) == 0 && n > 64)
			abort();
	}

	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(flags);
	return 0;
}
