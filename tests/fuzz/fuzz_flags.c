/* fuzz_flags.c — libFuzzer harness for the command line: the input split on NUL bytes is
 * argv (after argv[0]), given to flags_parse; each argument also goes through the duration
 * and port-list parsers on their own. --help and --version print to /dev/null. A command
 * line that names a row twice (--NAME and --no-NAME are one row) is accepted only when the
 * row is repeatable, as the table (flags_dump) says. */
#include "../../exporter/flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64
#define MAX_ROWS 96

static FILE *devnull;
/* The rows as flags_dump prints them: name without "--" and "[no-]", and what they take. */
static struct {
	char name[80];
	bool negatable, takes_value, repeatable;
} rows[MAX_ROWS];
static unsigned n_rows;

static void load_rows(void)
{
	char *text = NULL, *rest, *line;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		abort();
	flags_dump(f);
	fclose(f);
	rest = text;
	while ((line = strsep(&rest, "\n")) && *line && n_rows < MAX_ROWS) {
		char *name = strsep(&line, "\t"), *arg, *times;

		strsep(&line, "\t"); /* kind */
		arg = strsep(&line, "\t");
		strsep(&line, "\t"); /* default */
		strsep(&line, "\t"); /* owner */
		times = strsep(&line, "\t");
		if (!times)
			abort();
		rows[n_rows].negatable = strncmp(name, "--[no-]", 7) == 0;
		snprintf(rows[n_rows].name, sizeof(rows[n_rows].name), "%s",
			 name + (rows[n_rows].negatable ? 7 : 2));
		rows[n_rows].takes_value = arg[0] != '\0';
		rows[n_rows].repeatable = strcmp(times, "repeatable") == 0;
		n_rows++;
	}
	free(text);
	if (n_rows < 20)
		abort();
}

/* The row argv[i] names ("--NAME", "--NAME=V", "--no-NAME"), or -1. */
static int row_of(const char *arg)
{
	size_t len;

	if (strncmp(arg, "--", 2) != 0)
		return -1;
	arg += 2;
	len = strcspn(arg, "=");
	for (unsigned r = 0; r < n_rows; r++) {
		const char *name = arg;
		size_t name_len = len;

		if (rows[r].negatable && len > 3 && strncmp(arg, "no-", 3) == 0) {
			name += 3;
			name_len -= 3;
		}
		if (strlen(rows[r].name) == name_len && strncmp(rows[r].name, name, name_len) == 0)
			return (int)r;
	}
	return -1;
}

/* Whether an accepted command line names a row that is not repeatable twice. */
static bool repeats_a_row(int argc, char **argv)
{
	unsigned seen[MAX_ROWS] = { 0 };

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		int r = row_of(argv[i]);

		if (r < 0)
			continue;
		if (++seen[r] > 1 && !rows[r].repeatable)
			return true;
		if (rows[r].takes_value && !strchr(argv[i], '='))
			i++; /* its value is the next argument, whatever it looks like */
	}
	return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	load_rows();
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
		if (repeats_a_row(argc, argv))
			abort(); /* a second value would have replaced the first */
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
