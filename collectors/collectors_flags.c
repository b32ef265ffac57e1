/* collectors_flags.c — the rows of the flags that choose the collectors, made from
 * collectors_table so that a new collector gets its --[no-]collector.NAME with its row. */
#include "collectors_flags.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#define FIXED_ROWS 2 /* --path.procfs, --collector.disable-defaults; then one per collector */

static int check_procfs(const char *value, void *config, char *err, size_t errlen)
{
	(void)config;
	if (value[0] != '/' || strlen(value) > 200) {
		snprintf(err, errlen, "invalid --path.procfs '%s': want an absolute path of at most 200 "
			 "bytes", value);
		return -EINVAL;
	}
	return 0;
}

/* As node_exporter's: only the collectors named with --collector.NAME run, wherever on the
 * command line --collector.disable-defaults stands. */
static int finish(void *config, const bool *given, char *err, size_t errlen)
{
	struct collectors_flags *f = config;

	(void)err;
	(void)errlen;
	if (f->disable_defaults)
		for (unsigned i = 0; i < collectors_count; i++)
			if (!given[FIXED_ROWS + i])
				f->enabled[i] = false;
	return 0;
}

static struct flagtab_row rows[FIXED_ROWS + COLLECTORS_MAX] = {
	{ .name = "path.procfs", .kind = FLAGTAB_STRING, .arg = "PATH",
	  .at = offsetof(struct collectors_flags, proc_root), .parse = check_procfs, .def = "/proc",
	  .help = "procfs mount point, e.g. the host's procfs mounted into a container" },
	{ .name = "collector.disable-defaults", .kind = FLAGTAB_BOOL,
	  .at = offsetof(struct collectors_flags, disable_defaults),
	  .help = "run only the collectors enabled with --collector.NAME" },
};
static char names[COLLECTORS_MAX][48];
static struct flagtab table = { .owner = "collectors", .title = "Collectors", .rows = rows,
				.n_rows = FIXED_ROWS, .finish = finish };
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_rows(void)
{
	for (unsigned i = 0; i < collectors_count; i++) {
		snprintf(names[i], sizeof(names[i]), "collector.%s", collectors_table[i].name);
		rows[FIXED_ROWS + i] = (struct flagtab_row){
			.name = names[i],
			.kind = FLAGTAB_BOOL,
			.at = offsetof(struct collectors_flags, enabled) + i * sizeof(bool),
			.def = collectors_table[i].default_enabled ? "on" : NULL,
			.help = collectors_table[i].description,
			.flags = FLAGTAB_NEGATABLE,
		};
	}
	table.n_rows = FIXED_ROWS + collectors_count;
}

const struct flagtab *collectors_flags_table(void)
{
	if (collectors_count > COLLECTORS_MAX)
		return NULL; /* more collectors compiled in than the flags have room for */
	pthread_once(&once, make_rows);
	return &table;
}

void collectors_flags_apply(const struct collectors_flags *flags, struct collectors_config *config)
{
	config->proc_root = flags->proc_root;
	config->events_enabled = flags->enabled[COLLECTOR_TCP_EVENTS];
}
