/* flags.c — the command line: the modules' flag tables assembled, argv read against them
 * (whole names only: a prefix of a flag is an unknown flag), the checks that span modules,
 * and --help printed from the rows. */
#include "flags.h"

#include "routes.h"

#include "version.h"

#include <errno.h>
#include <string.h>

#define MAX_TABLES 8
#define MAX_ROWS 96

static const struct flagtab_row info_rows[] = {
	{ .name = "help", .kind = FLAGTAB_ACTION, .help = "this text" },
	{ .name = "version", .kind = FLAGTAB_ACTION, .help = "print the version" },
};
static const struct flagtab info_table = {
	.owner = "exporter",
	.title = "Information",
	.rows = info_rows,
	.n_rows = sizeof(info_rows) / sizeof(info_rows[0]),
};

/* One module's table and the part of `struct flags` its rows are stored in. */
struct part {
	const struct flagtab *table;
	void *config;
};

/* The tables in --help order; `f` may be NULL when only the rows are wanted. 0 or -EINVAL. */
static int assemble(struct flags *f, struct part *parts, unsigned *n, char *err, size_t errlen)
{
	const struct flagtab *collectors = collectors_flags_table();
	unsigned rows = 0;

	if (!collectors) {
		snprintf(err, errlen, "too many collectors compiled in");
		return -EINVAL;
	}
	*n = 0;
	parts[(*n)++] = (struct part){ &web_flags_table, f ? &f->web : NULL };
	parts[(*n)++] = (struct part){ &tcp_flags_table, f ? &f->tcp : NULL };
	parts[(*n)++] = (struct part){ &netns_flags_table, f ? &f->netns : NULL };
	parts[(*n)++] = (struct part){ collectors, f ? &f->collectors : NULL };
	parts[(*n)++] = (struct part){ &log_flags_table, f ? &f->log : NULL };
	parts[(*n)++] = (struct part){ &info_table, NULL };
	for (unsigned i = 0; i < *n; i++)
		rows += parts[i].table->n_rows;
	if (rows > MAX_ROWS) {
		snprintf(err, errlen, "too many flags compiled in");
		return -EINVAL;
	}
	return 0;
}

static void usage(const struct part *parts, unsigned n, FILE *out)
{
	fprintf(out, "Usage: tcp_health_exporter [FLAGS]\n"
		     "Prometheus exporter of per-port TCP connection health (Linux inet_diag).\n");
	for (unsigned i = 0; i < n; i++)
		flagtab_help(parts[i].table, out);
	fprintf(out, "\nDURATION: 500ms, 10s, 5m, 1h, 1d, sums such as 1m30s, or a number of seconds.\n"
		     "Each flag may be given once (--NAME and --no-NAME count as one flag), except those\n"
		     "marked repeatable.\n");
}

/* The row called exactly `name` (`len` bytes; "no-NAME" for a negatable bool), its part
 * and its index among all rows; NULL when there is none. */
static const struct flagtab_row *find(const struct part *parts, unsigned n, const char *name,
				      size_t len, unsigned *part, unsigned *index, bool *negated)
{
	*index = 0;
	for (unsigned i = 0; i < n; i++)
		for (unsigned r = 0; r < parts[i].table->n_rows; r++, (*index)++) {
			const struct flagtab_row *row = &parts[i].table->rows[r];
			bool no = (row->flags & FLAGTAB_NEGATABLE) && len > 3 && strncmp(name, "no-", 3) == 0;
			const char *want = no ? name + 3 : name;
			size_t want_len = no ? len - 3 : len;

			if (strlen(row->name) == want_len && strncmp(row->name, want, want_len) == 0) {
				*part = i;
				*negated = no;
				return row;
			}
		}
	return NULL;
}

/* "--web.listen-address": the rows that may be given more than once, for the message. */
static const char *repeatable_names(const struct part *parts, unsigned n)
{
	static __thread char names[256];
	size_t len = 0;

	names[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		for (unsigned r = 0; r < parts[i].table->n_rows; r++)
			if (parts[i].table->rows[r].flags & FLAGTAB_REPEATABLE && len < sizeof(names))
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s--%s",
							len ? ", " : "", parts[i].table->rows[r].name);
	return names;
}

/* Reads the flag at argv[*i] (and its value, which may be the next argument). FLAGS_RUN,
 * FLAGS_EXIT_OK after --help or --version, or -EINVAL. */
static int read_flag(const struct part *parts, unsigned n, int argc, char **argv, int *i,
		     bool *given, FILE *out, char *err, size_t errlen)
{
	const char *arg = argv[*i], *name = arg + 2, *value = NULL;
	size_t len = strcspn(name, "=");
	const struct flagtab_row *row = NULL;
	unsigned part = 0, index = 0;
	bool negated = false;

	if (strcmp(arg, "-h") == 0)
		row = &info_rows[0];
	else if (arg[1] == '-' && len > 0)
		row = find(parts, n, name, len, &part, &index, &negated);
	if (!row) {
		/* named as typed, without a value after '=' */
		snprintf(err, errlen, "unknown flag '%.*s' (see --help)",
			 (int)(arg[1] == '-' ? len + 2 : strlen(arg)), arg);
		return -EINVAL;
	}
	if (row->kind == FLAGTAB_ACTION && name[len] == '\0') {
		if (row == &info_rows[0])
			usage(parts, n, out);
		else
			fprintf(out, "tcp_health_exporter version %s (revision %s)\n", TCPH_VERSION,
				TCPH_REVISION);
		return FLAGS_EXIT_OK;
	}
	if (!row->arg && name[len] == '=') {
		snprintf(err, errlen, "flag '%s': --%.*s takes no value", arg, (int)len, name);
		return -EINVAL;
	}
	if (row->arg) {
		if (name[len] == '=')
			value = name + len + 1;
		else if (*i + 1 < argc)
			value = argv[++*i];
		else {
			snprintf(err, errlen, "flag '%s' needs a value", arg);
			return -EINVAL;
		}
	}
	/* Once each, so that a second value never silently replaces the first; --no-NAME is
	 * the same row as --NAME. */
	if (given[index] && !(row->flags & FLAGTAB_REPEATABLE)) {
		char shown[96];

		flagtab_display_name(row, shown, sizeof(shown));
		snprintf(err, errlen, "flag '%s' given twice (see --help; only %s may be repeated)",
			 shown, repeatable_names(parts, n));
		return -EINVAL;
	}
	given[index] = true;
	return flagtab_set(row, parts[part].config, value, negated, err, errlen);
}

int flags_parse(int argc, char **argv, struct flags *flags, FILE *out, char *err, size_t errlen)
{
	struct part parts[MAX_TABLES];
	bool given[MAX_ROWS] = { false };
	unsigned n, base = 0;
	int i, ret;

	memset(flags, 0, sizeof(*flags));
	if (assemble(flags, parts, &n, err, errlen) < 0)
		return -EINVAL;
	for (unsigned p = 0; p < n; p++)
		if (flagtab_reset(parts[p].table, parts[p].config, err, errlen) < 0)
			return -EINVAL;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			snprintf(err, errlen, "unexpected argument '%s' (flags start with --)", argv[i]);
			return -EINVAL;
		}
		ret = read_flag(parts, n, argc, argv, &i, given, out, err, errlen);
		if (ret != FLAGS_RUN)
			return ret;
	}
	if (i + 1 < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (flags start with --)", argv[i + 1]);
		return -EINVAL;
	}
	/* The checks between flags of one module, then those that need another module. */
	for (unsigned p = 0; p < n; base += parts[p].table->n_rows, p++)
		if (parts[p].table->finish &&
		    parts[p].table->finish(parts[p].config, given + base, err, errlen) < 0)
			return -EINVAL;
	/* The paths the route table serves itself are not the telemetry path's to take. */
	if (routes_reserved(flags->web.telemetry_path)) {
		snprintf(err, errlen, "invalid --web.telemetry-path '%s': the exporter serves it already",
			 flags->web.telemetry_path);
		return -EINVAL;
	}
	return FLAGS_RUN;
}

void flags_dump(FILE *out)
{
	struct part parts[MAX_TABLES];
	char err[128];
	unsigned n;

	if (assemble(NULL, parts, &n, err, sizeof(err)) < 0)
		return;
	for (unsigned i = 0; i < n; i++)
		flagtab_dump(parts[i].table, out);
}
