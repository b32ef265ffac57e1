/* netns_flags.c — the rows of the namespace flags, the --netns parser, and how they
 * configure the collectors. */
#include "netns_flags.h"

#include "collectors.h"

#include <errno.h>
#include <string.h>

#define AT(field) offsetof(struct netns_flags, field)
#define STR_(x) #x
#define STR(x) STR_(x)

/* "self", "all", or a comma list of names under /run/netns. */
static int parse_netns(const char *text, void *config, char *err, size_t errlen)
{
	struct netns_flags *f = config;
	char *name, *save = NULL;

	f->n_names = 0;
	if (strcmp(text, "self") == 0 || strcmp(text, "all") == 0) {
		f->mode = text[0] == 's' ? NETNS_SELF : NETNS_ALL;
		return 0;
	}
	if (strlen(text) >= sizeof(f->text)) {
		snprintf(err, errlen, "invalid --netns: the list is too long");
		return -EINVAL;
	}
	snprintf(f->text, sizeof(f->text), "%s", text);
	for (name = strtok_r(f->text, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (!netns_name_valid(name)) {
			snprintf(err, errlen, "invalid --netns '%s': '%s' is not a namespace name (want "
				 "self, all, or names under /run/netns separated by commas)", text, name);
			return -EINVAL;
		}
		for (unsigned i = 0; i < f->n_names; i++)
			if (strcmp(f->names[i], name) == 0) {
				snprintf(err, errlen, "invalid --netns '%s': '%s' is given twice", text, name);
				return -EINVAL;
			}
		if (f->n_names == NETNS_NAMES_MAX) {
			snprintf(err, errlen, "invalid --netns: more than %d names", NETNS_NAMES_MAX);
			return -EINVAL;
		}
		f->names[f->n_names++] = name;
	}
	if (f->n_names == 0 || text[strlen(text) - 1] == ',' || text[0] == ',' || strstr(text, ",,")) {
		snprintf(err, errlen, "invalid --netns '%s': want self, all, or names under /run/netns "
			 "separated by commas", text);
		return -EINVAL;
	}
	f->mode = NETNS_NAMES;
	return 0;
}

static const struct flagtab_row rows[] = {
	{ .name = "netns", .kind = FLAGTAB_CUSTOM, .arg = "MODE", .parse = parse_netns, .def = "self",
	  .help = "self: this network namespace only; all: every network namespace on the host "
		  "(needs CAP_SYS_ADMIN and CAP_SYS_PTRACE), labelled netns, pod_uid, container_id; "
		  "NAME[,NAME...]: those namespaces under /run/netns (at most " STR(NETNS_NAMES_MAX) ")" },
	{ .name = "netns.max", .kind = FLAGTAB_NUMBER, .arg = "N", .at = AT(max), .min = 1,
	  .max = COLLECTORS_NETNS_MAX_LIMIT, .def = STR(COLLECTORS_NETNS_MAX_DEFAULT),
	  .help = "namespaces scanned per scrape; the rest are counted in "
		  "tcp_health_exporter_netns_over_limit" },
	{ .name = "netns.workers", .kind = FLAGTAB_NUMBER, .arg = "N", .at = AT(workers), .min = 1,
	  .max = COLLECTORS_WORKERS_MAX, .def_doc = "one per online CPU",
	  .help = "threads scanning namespaces in parallel" },
};

const struct flagtab netns_flags_table = {
	.owner = "netns",
	.title = "Network namespaces",
	.rows = rows,
	.n_rows = sizeof(rows) / sizeof(rows[0]),
};

void netns_flags_apply(const struct netns_flags *flags, struct collectors_config *config)
{
	config->netns_mode = flags->mode;
	config->netns_names = flags->names;
	config->n_netns_names = flags->n_names;
	config->netns_max = flags->max;
	config->workers = flags->workers;
}
