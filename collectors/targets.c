/* targets.c — the targets table: namespaces opened, kept while discovery finds them,
 * closed when it does not, and why the ones that could not be opened were skipped. */
#include "targets.h"

#include "../lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void target_free(struct collectors_target *t)
{
	if (!t)
		return;
	sockdiag_close(t->sd);
	events_source_close(t->events);
	if (t->ns_fd >= 0)
		close(t->ns_fd);
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		free(t->carried[r]);
	free(t);
}

static struct collectors_target *target_new(const struct targets *ts, uint64_t ino, int ns_fd)
{
	struct collectors_target *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ino = ino;
	t->ns_fd = ns_fd;
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		t->carried[r] = calloc(ts->config->classify.max_ports, sizeof(uint16_t));
		if (!t->carried[r]) {
			t->ns_fd = -1; /* the caller still owns it */
			target_free(t);
			return NULL;
		}
	}
	return t;
}

static struct collectors_target *find_target(struct targets *ts, uint64_t ino)
{
	for (unsigned i = 0; i < ts->n_open; i++)
		if (ts->open[i]->ino == ino)
			return ts->open[i];
	return NULL;
}

static enum netns_skip skip_reason(int err)
{
	if (err == ENOENT || err == ESRCH)
		return NETNS_SKIP_VANISHED;
	if (err == EACCES || err == EPERM)
		return NETNS_SKIP_PERMISSION;
	return NETNS_SKIP_ERROR;
}

/* Opens the namespace of `f` and checks it is still the one discovery saw. */
static int open_target(struct targets *ts, const struct netns_found *f,
		       struct collectors_target **out)
{
	char path[512];
	struct stat st;
	int fd;

	/* Our own namespace needs no entering (so it is scanned even where setns is denied,
	 * e.g. RestrictNamespaces=, or AppArmor for PID 1's namespace file). */
	if (f->ino == ts->self_ino) {
		*out = target_new(ts, f->ino, -1);
		return *out ? 0 : -ENOMEM;
	}
	netns_found_path(&ts->discovery, f, path, sizeof(path));
	/* O_NONBLOCK: a FIFO swapped in under /run/netns must not hang the scan. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != f->ino ||
	    (uint64_t)st.st_dev != ts->discovery.nsfs_dev) {
		close(fd); /* the process exited and its pid was reused, or the name re-bound */
		return -ENOENT;
	}
	*out = target_new(ts, f->ino, fd);
	if (!*out) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

/* Builds this scan's job from discovery: keeps the targets still found, closes the ones
 * that are not, opens the new ones. Returns the number of targets in `job`. */
unsigned targets_update(struct targets *ts, struct collectors_target **job, struct netns_result *stats)
{
	struct netns_discovery *d = &ts->discovery;
	unsigned max = ts->config->netns_max, keep = d->n_found < max ? d->n_found : max, n = 0;

	stats->found = d->n_found;
	stats->over_limit = d->n_found - keep;
	ts->skipped_total[NETNS_SKIP_OVER_LIMIT] += stats->over_limit;
	ts->skipped_total[NETNS_SKIP_NOT_FOUND] += d->not_found;
	if (stats->over_limit)
		log_debug("%u network namespaces over --netns.max=%u are not scanned",
			  stats->over_limit, max);

	for (unsigned i = 0; i < ts->n_open; i++)
		ts->open[i]->seen = false;
	for (unsigned i = 0; i < keep; i++) {
		struct collectors_target *t = find_target(ts, d->found[i].ino);

		if (t)
			t->seen = true;
	}
	/* Close what is gone first, so that the table never holds more than netns_max. */
	for (unsigned i = 0; i < ts->n_open;) {
		if (ts->open[i]->seen) {
			i++;
			continue;
		}
		log_debug("network namespace %s is gone; closing its socket", ts->open[i]->labels.netns);
		target_free(ts->open[i]);
		ts->open[i] = ts->open[--ts->n_open];
	}
	for (unsigned i = 0; i < keep; i++) {
		const struct netns_found *f = &d->found[i];
		struct collectors_target *t = find_target(ts, f->ino);

		if (!t) {
			int ret = open_target(ts, f, &t);

			if (ret < 0) {
				enum netns_skip why = skip_reason(-ret);

				ts->skipped_total[why]++;
				if (why != NETNS_SKIP_VANISHED)
					log_debug("cannot open network namespace %llu: %s",
						  (unsigned long long)f->ino, strerror(-ret));
				continue;
			}
			t->seen = true;
			ts->open[ts->n_open++] = t;
		}
		/* An expected port is expected where the exporter was pointed at: in every
		 * namespace named in --netns, but with --netns=all only in its own (else every
		 * container without that port would report it down). */
		t->expect = ts->config->netns_mode == NETNS_NAMES || f->ino == ts->self_ino;
		netns_label(f, t->labels.netns, sizeof(t->labels.netns));
		/* Read at every scan (one small file): a process can be moved to another cgroup
		 * after its namespace was first seen. */
		netns_process_labels(ts->config->proc_root, f->pid, &t->labels);
		/* Labels must tell targets apart: a name that repeats one already used (the same
		 * name in two directories, or a namespace named "host") falls back to its inode. */
		for (unsigned j = 0; j < n; j++)
			if (strcmp(job[j]->labels.netns, t->labels.netns) == 0) {
				snprintf(t->labels.netns, sizeof(t->labels.netns), "ino_%llu",
					 (unsigned long long)t->ino);
				break;
			}
		job[n++] = t;
	}
	return n;
}

/* ---- set-up ---------------------------------------------------------------------------- */

int targets_init_self(struct targets *ts, const struct collectors_config *config)
{
	ts->config = config;
	ts->open = calloc(1, sizeof(*ts->open));
	if (!ts->open)
		return -ENOMEM;
	ts->open[0] = target_new(ts, 0, -1);
	if (!ts->open[0])
		return -ENOMEM;
	ts->open[0]->expect = true;
	ts->n_open = 1;
	return 0;
}

int targets_init(struct targets *ts, const struct collectors_config *config)
{
	int ret;

	ts->config = config;
	ret = netns_discovery_init(&ts->discovery, config->netns_mode, config->proc_root,
				   config->netns_names, config->n_netns_names);
	if (ret < 0) {
		log_error("cannot stat %s/self/ns/net: %s", config->proc_root, strerror(-ret));
		return ret;
	}
	ts->open = calloc(config->netns_max, sizeof(*ts->open));
	return ts->open ? 0 : -ENOMEM;
}

void targets_fini(struct targets *ts)
{
	for (unsigned i = 0; i < ts->n_open; i++)
		target_free(ts->open[i]);
	free(ts->open);
	ts->open = NULL;
	ts->n_open = 0;
	netns_discovery_fini(&ts->discovery);
}
