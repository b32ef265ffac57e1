/* collectors.c — one row per collector; targets (network namespaces), their discovery and
 * the workers that scan them. */
#include "collectors.h"

#include "../lib/clock.h"
#include "../lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One network namespace, kept from scan to scan while discovery finds it. */
struct collectors_target {
	uint64_t ino;
	int ns_fd;	     /* -1 for our own namespace (NETNS_SELF) */
	struct sockdiag *sd; /* opened inside the namespace on first use; NULL after a failure */
	uint64_t dump_retries_total;
	/* Ports of the last scan's slots, so that the same ports keep their labels at the cap
	 * whichever worker scans the target next (each holds max_ports per role). */
	uint16_t *carried[CLASSIFY_ROLES];
	unsigned n_carried[CLASSIFY_ROLES];
	struct netns_labels labels;
	bool seen;   /* found by this scan's discovery */
	bool expect; /* --listen-ports apply here: our own namespace, or one named in --netns */

	/* Set by the worker that scans it this time. */
	struct target_result *out;
	int skip; /* -1, or the netns_skip reason when it could not be entered */
	int error[COLLECTORS_MAX];
	double seconds[COLLECTORS_MAX];
};

struct collectors_worker {
	struct collectors *c;
	pthread_t thread;
	bool started;
	uint64_t generation; /* of the last job it took part in */
	bool away;	     /* could not return to our namespace after a target */
	bool has_agg;
	struct tcpagg agg;
	char text[64 * 1024];		     /* netstat's read buffer */
	char dump[SOCKDIAG_RECV_BUFFER];     /* every target's dumps, one after the other */
};

struct collectors {
	bool enabled[COLLECTORS_MAX];
	struct collectors_config config;
	char proc_root[208]; /* --path.procfs is at most 200 bytes */
	char thread_proc[224]; /* <proc_root>/thread-self: the worker's own namespace's files */
	struct netns_discovery discovery;
	int self_ns_fd; /* our own namespace, which workers return to */
	uint64_t self_ino;

	struct collectors_target **targets; /* open targets, at most netns_max */
	unsigned n_targets;
	uint64_t skipped_total[NETNS_SKIP_REASONS];

	struct owners *owners; /* listener inode -> process, all targets (one sockfs) */

	struct collectors_worker *workers;
	unsigned n_workers;
	/* The job: workers take job[next++] under `lock` until it is empty. */
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	uint64_t generation;
	struct collectors_target **job;
	unsigned n_job, next, running;
	bool stopping;
};

/* ---- tcp: one inet_diag dump per family into the worker's aggregate ------------------- */

struct dump_ctx {
	struct collectors_target *t; /* its socket */
	struct collectors_worker *w; /* its buffer */
};

static int dump_with_sockdiag(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct dump_ctx *d = ctx;

	return sockdiag_dump(d->t->sd, d->w->dump, sizeof(d->w->dump), family, fn, fn_ctx);
}

static int tcp_scan(struct collectors_worker *w, struct collectors_target *t, struct target_result *out)
{
	const struct collectors_config *config = &w->c->config;
	struct tcpagg *agg = &w->agg;
	struct dump_ctx own = { t, w };
	tcpagg_dump_fn dump = config->tcp_dump ? config->tcp_dump : dump_with_sockdiag;
	void *dump_ctx = config->tcp_dump ? config->tcp_dump_ctx : &own;
	int ret = 0, copied;

	if (!config->tcp_dump && !t->sd) {
		/* In the target's namespace now: the socket stays bound to it. */
		ret = sockdiag_open(&t->sd);
		if (ret < 0)
			log_error("tcp collector: cannot open NETLINK_SOCK_DIAG socket in netns %s: %s",
				  t->labels.netns[0] ? t->labels.netns : "self", strerror(-ret));
	}
	if (ret == 0) {
		tcpagg_carry(agg, (const uint16_t *const *)t->carried, t->n_carried);
		agg->classify.ignore_expected = !t->expect;
		agg->dump_retries_total = t->dump_retries_total;
		ret = tcpagg_scan(agg, dump, dump_ctx);
		t->dump_retries_total = agg->dump_retries_total;
		if (ret < 0) {
			log_error("tcp collector: socket dump failed in netns %s: %s",
				  t->labels.netns[0] ? t->labels.netns : "self", strerror(-ret));
			if (ret != -EINTR) { /* a fresh socket next time */
				sockdiag_close(t->sd);
				t->sd = NULL;
			}
		}
	}
	if (ret == 0) {
		copied = tcpagg_result(agg, true, &out->tcp);
		/* Next time, the ports that had sockets now (not every port served: a port
		 * whose last socket is gone must be able to leave). */
		for (int r = 0; r < CLASSIFY_ROLES; r++) {
			const struct classify_role_slots *slots = &agg->classify.roles[r];

			t->n_carried[r] = 0;
			for (unsigned i = 0; i < slots->used; i++)
				if (slots->sockets[i])
					t->carried[r][t->n_carried[r]++] = slots->port_of_slot[i];
		}
	} else {
		struct tcp_result *counters;

		copied = tcpagg_result(agg, false, &counters);
		if (copied == 0) {
			counters->dump_retries_total = t->dump_retries_total;
			out->tcp = counters;
		}
	}
	if (copied < 0)
		return copied;
	/* Classified with a stale range: the counts are served, the collector reports it. */
	if (ret == 0 && agg->port_range_error < 0)
		ret = agg->port_range_error;
	return ret;
}

/* ---- sysctl and netstat: procfs files of the namespace the worker is in --------------- */

static int sysctl_collect(struct collectors_worker *w, struct collectors_target *t,
			  struct target_result *out)
{
	(void)t;
	/* /proc/sys/net shows the namespace of the thread that reads it. */
	return sysctl_scan(w->c->proc_root, &out->sysctl);
}

static int netstat_collect(struct collectors_worker *w, struct collectors_target *t,
			   struct target_result *out)
{
	/* /proc/net is /proc/self/net: the main thread's namespace. A worker inside another
	 * namespace reads its own thread's files instead, which works for namespaces that
	 * have no process (bind mounts only) and cannot race with a process exiting. */
	const char *root = t->ns_fd >= 0 ? w->c->thread_proc : w->c->proc_root;

	return netstat_scan(root, w->text, sizeof(w->text), &out->netstat);
}

const struct collector collectors_table[] = {
	[COLLECTOR_TCP] = { "tcp", "per-port TCP socket states and listeners from one inet_diag dump per family",
	  true, tcp_scan },
	{ "sysctl", "kernel TCP settings from /proc/sys (keepalive, retries, backlogs, port range)",
	  true, sysctl_collect },
	{ "netstat", "kernel TCP counters from /proc/net/netstat and /proc/net/snmp",
	  true, netstat_collect },
};

const unsigned collectors_count = sizeof(collectors_table) / sizeof(collectors_table[0]);

int collectors_find(const char *name)
{
	for (unsigned i = 0; i < collectors_count; i++)
		if (strcmp(collectors_table[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool collectors_enabled(const struct collectors *c, unsigned i)
{
	return i < collectors_count && c->enabled[i];
}

/* ---- targets ---------------------------------------------------------------------------- */

static void target_free(struct collectors_target *t)
{
	if (!t)
		return;
	sockdiag_close(t->sd);
	if (t->ns_fd >= 0)
		close(t->ns_fd);
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		free(t->carried[r]);
	free(t);
}

static struct collectors_target *target_new(const struct collectors *c, uint64_t ino, int ns_fd)
{
	struct collectors_target *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ino = ino;
	t->ns_fd = ns_fd;
	for (int r = 0; r < CLASSIFY_ROLES; r++) {
		t->carried[r] = calloc(c->config.classify.max_ports, sizeof(uint16_t));
		if (!t->carried[r]) {
			t->ns_fd = -1; /* the caller still owns it */
			target_free(t);
			return NULL;
		}
	}
	return t;
}

/* Runs every enabled collector for one target; inside its namespace unless it is ours. */
static void scan_target(struct collectors_worker *w, struct collectors_target *t)
{
	struct collectors *c = w->c;

	t->skip = -1;
	/* Our own namespace is scanned in place: the worker must be in it. */
	if (t->ns_fd < 0 && w->away) {
		if (setns(c->self_ns_fd, CLONE_NEWNET) < 0) {
			t->skip = NETNS_SKIP_ERROR;
			log_error("worker cannot return to the exporter's network namespace: %s",
				  strerror(errno));
			return;
		}
		w->away = false;
	}
	if (t->ns_fd >= 0 && setns(t->ns_fd, CLONE_NEWNET) < 0) {
		int err = errno;

		t->skip = err == EPERM || err == EACCES ? NETNS_SKIP_PERMISSION : NETNS_SKIP_ERROR;
		/* At every scan again: debug, the count is in netns_skipped_total. */
		log_debug("cannot enter network namespace %s: %s", t->labels.netns, strerror(err));
		return;
	}
	for (unsigned i = 0; i < collectors_count; i++) {
		double start;

		t->error[i] = 0;
		t->seconds[i] = 0;
		if (!c->enabled[i])
			continue;
		start = clock_seconds(CLOCK_MONOTONIC);
		t->error[i] = collectors_table[i].scan(w, t, t->out);
		t->seconds[i] = clock_seconds(CLOCK_MONOTONIC) - start;
	}
	/* Back home: a thread left inside would keep the namespace alive. */
	if (t->ns_fd >= 0 && setns(c->self_ns_fd, CLONE_NEWNET) < 0) {
		w->away = true; /* tried again before our own namespace is scanned */
		log_error("cannot return to the exporter's network namespace: %s", strerror(errno));
	}
}

static void *worker_main(void *arg)
{
	struct collectors_worker *w = arg;
	struct collectors *c = w->c;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (w->generation == c->generation && !c->stopping)
			pthread_cond_wait(&c->work, &c->lock);
		if (c->stopping)
			break;
		w->generation = c->generation;
		while (c->next < c->n_job) {
			struct collectors_target *t = c->job[c->next++];

			pthread_mutex_unlock(&c->lock);
			scan_target(w, t);
			pthread_mutex_lock(&c->lock);
		}
		if (--c->running == 0)
			pthread_cond_signal(&c->done);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Scans job[0..n) on the workers (or here, for our own namespace) and waits. */
static void run_job(struct collectors *c, struct collectors_target **job, unsigned n)
{
	if (c->n_workers == 0) {
		for (unsigned i = 0; i < n; i++)
			scan_target(&c->workers[0], job[i]);
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->job = job;
	c->n_job = n;
	c->next = 0;
	c->running = c->n_workers;
	c->generation++;
	pthread_cond_broadcast(&c->work);
	while (c->running > 0)
		pthread_cond_wait(&c->done, &c->lock);
	c->job = NULL;
	c->n_job = 0;
	pthread_mutex_unlock(&c->lock);
}

static int worker_init(struct collectors_worker *w, struct collectors *c)
{
	w->c = c;
	if (c->enabled[COLLECTOR_TCP]) {
		int ret = tcpagg_init(&w->agg, &c->config.classify, c->config.idle_threshold_seconds * 1000u);

		if (ret < 0)
			return ret;
		snprintf(w->agg.port_range_path, sizeof(w->agg.port_range_path),
			 "%s/sys/net/ipv4/ip_local_port_range", c->proc_root);
		w->agg.histograms = !c->config.no_histograms;
		if (c->config.worst_connections) /* tcpagg_begin caps it at TCPAGG_WORST_LIMIT */
			w->agg.worst_max = c->config.worst_connections;
		w->has_agg = true;
	}
	return 0;
}

/* ---- discovery into targets -------------------------------------------------------------- */

static struct collectors_target *find_target(struct collectors *c, uint64_t ino)
{
	for (unsigned i = 0; i < c->n_targets; i++)
		if (c->targets[i]->ino == ino)
			return c->targets[i];
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
static int open_target(struct collectors *c, const struct netns_found *f,
		       struct collectors_target **out)
{
	char path[512];
	struct stat st;
	int fd;

	/* Our own namespace needs no entering (so it is scanned even where setns is denied,
	 * e.g. RestrictNamespaces=, or AppArmor for PID 1's namespace file). */
	if (f->ino == c->self_ino) {
		*out = target_new(c, f->ino, -1);
		return *out ? 0 : -ENOMEM;
	}
	netns_found_path(&c->discovery, f, path, sizeof(path));
	/* O_NONBLOCK: a FIFO swapped in under /run/netns must not hang the scan. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != f->ino ||
	    (uint64_t)st.st_dev != c->discovery.nsfs_dev) {
		close(fd); /* the process exited and its pid was reused, or the name re-bound */
		return -ENOENT;
	}
	*out = target_new(c, f->ino, fd);
	if (!*out) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

/* Builds this scan's job from discovery: keeps the targets still found, closes the ones
 * that are not, opens the new ones. Returns the number of targets in `job`. */
static unsigned update_targets(struct collectors *c, struct collectors_target **job,
			       struct netns_result *stats)
{
	struct netns_discovery *d = &c->discovery;
	unsigned max = c->config.netns_max, keep = d->n_found < max ? d->n_found : max, n = 0;

	stats->found = d->n_found;
	stats->over_limit = d->n_found - keep;
	c->skipped_total[NETNS_SKIP_OVER_LIMIT] += stats->over_limit;
	c->skipped_total[NETNS_SKIP_NOT_FOUND] += d->not_found;
	if (stats->over_limit)
		log_debug("%u network namespaces over --netns.max=%u are not scanned",
			  stats->over_limit, max);

	for (unsigned i = 0; i < c->n_targets; i++)
		c->targets[i]->seen = false;
	for (unsigned i = 0; i < keep; i++) {
		struct collectors_target *t = find_target(c, d->found[i].ino);

		if (t)
			t->seen = true;
	}
	/* Close what is gone first, so that the table never holds more than netns_max. */
	for (unsigned i = 0; i < c->n_targets;) {
		if (c->targets[i]->seen) {
			i++;
			continue;
		}
		log_debug("network namespace %s is gone; closing its socket", c->targets[i]->labels.netns);
		target_free(c->targets[i]);
		c->targets[i] = c->targets[--c->n_targets];
	}
	for (unsigned i = 0; i < keep; i++) {
		const struct netns_found *f = &d->found[i];
		struct collectors_target *t = find_target(c, f->ino);

		if (!t) {
			int ret = open_target(c, f, &t);

			if (ret < 0) {
				enum netns_skip why = skip_reason(-ret);

				c->skipped_total[why]++;
				if (why != NETNS_SKIP_VANISHED)
					log_debug("cannot open network namespace %llu: %s",
						  (unsigned long long)f->ino, strerror(-ret));
				continue;
			}
			t->seen = true;
			c->targets[c->n_targets++] = t;
		}
		/* An expected port is expected where the exporter was pointed at: in every
		 * namespace named in --netns, but with --netns=all only in its own (else every
		 * container without that port would report it down). */
		t->expect = c->config.netns_mode == NETNS_NAMES || f->ino == c->self_ino;
		netns_label(f, t->labels.netns, sizeof(t->labels.netns));
		/* Read at every scan (one small file): a process can be moved to another cgroup
		 * after its namespace was first seen. */
		netns_process_labels(c->proc_root, f->pid, &t->labels);
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

/* ---- the scan -------------------------------------------------------------------------- */

/* The listener of server port `port` in `tcp`, or NULL (ports are sorted, "other" last). */
static const struct tcpagg_listener *listener_of(const struct tcp_result *tcp, uint16_t port)
{
	unsigned low = 0, high = tcp->n_ports[CLASSIFY_SERVER] ? tcp->n_ports[CLASSIFY_SERVER] - 1 : 0;

	while (low < high) {
		unsigned mid = low + (high - low) / 2;
		uint16_t p = tcp->ports[CLASSIFY_SERVER][mid].port;

		if (p == port)
			return tcp->listeners[mid].sockets ? &tcp->listeners[mid] : NULL;
		if (p < port)
			low = mid + 1;
		else
			high = mid;
	}
	return NULL;
}

/* A request socket (SYN_RECV) has no inode of its own: it belongs to the process of the
 * listener it arrived on (an address of the same family first). */
static void name_by_listener(const struct tcp_result *tcp, struct tcpagg_connection *conn)
{
	const struct tcpagg_listener *l;
	const char *any = NULL;

	if (conn->state != TCPH_SYN_RECV || conn->role != CLASSIFY_SERVER ||
	    !(l = listener_of(tcp, conn->sport)))
		return;
	for (unsigned a = 0; a < l->n_addresses; a++) {
		if (!l->addresses[a].process[0])
			continue;
		if (l->addresses[a].family == conn->family) {
			any = l->addresses[a].process;
			break;
		}
		if (!any)
			any = l->addresses[a].process;
	}
	if (any)
		memcpy(conn->process, any, sizeof(conn->process));
}

/* Calls fn on every listening address (listeners) or worst connection (!listeners) of every
 * target. */
static void for_each_inode(struct collectors_result *out, bool listeners,
			   void (*fn)(struct owners *o, uint32_t inode, char process[TCPAGG_PROCESS_NAME],
				      bool listener),
			   struct owners *o)
{
	for (unsigned t = 0; t < out->n_targets; t++) {
		struct tcp_result *tcp = out->targets[t].tcp;

		if (!tcp || !tcp->has_sockets)
			continue;
		if (listeners) {
			for (unsigned i = 0; i + 1 < tcp->n_ports[CLASSIFY_SERVER]; i++) {
				struct tcpagg_listener *l = &tcp->listeners[i];

				for (unsigned a = 0; a < l->n_addresses; a++)
					fn(o, l->addresses[a].inode, l->addresses[a].process, true);
			}
			continue;
		}
		for (int k = 0; k < TCPAGG_WORST_KINDS; k++)
			for (unsigned i = 0; i < tcp->worst[k].n; i++)
				fn(o, tcp->worst[k].top[i].inode, tcp->worst[k].top[i].process, false);
	}
}

static void want_owner(struct owners *o, uint32_t inode, char process[TCPAGG_PROCESS_NAME], bool listener)
{
	(void)process;
	owners_want(o, inode, listener);
}

static void name_owner(struct owners *o, uint32_t inode, char process[TCPAGG_PROCESS_NAME], bool listener)
{
	const char *comm = inode ? owners_get(o, inode) : NULL;

	(void)listener;
	if (comm)
		snprintf(process, TCPAGG_PROCESS_NAME, "%s", comm);
}

/* Fills in the process of every listening address and every worst connection of every
 * target (the scanner's own work, after the workers: one cache for all namespaces).
 * Listeners are wanted first, all targets' before any connection's: the cache is bounded. */
static void name_owners(struct owners *o, struct collectors_result *out)
{
	owners_begin(o);
	for_each_inode(out, true, want_owner, o);
	for_each_inode(out, false, want_owner, o);
	owners_resolve(o);
	for_each_inode(out, true, name_owner, o);
	for_each_inode(out, false, name_owner, o);
	for (unsigned t = 0; t < out->n_targets; t++) {
		struct tcp_result *tcp = out->targets[t].tcp;

		for (int k = 0; tcp && tcp->has_sockets && k < TCPAGG_WORST_KINDS; k++)
			for (unsigned i = 0; i < tcp->worst[k].n; i++)
				if (!tcp->worst[k].top[i].inode)
					name_by_listener(tcp, &tcp->worst[k].top[i]);
	}
	owners_stats(o, &out->owners);
	out->has_owners = true;
	owners_end(o);
}

int collectors_scan(struct collectors *c, struct collectors_result *out)
{
	struct collectors_target **job;
	unsigned n;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->per_netns = c->config.netns_mode != NETNS_SELF;
	out->netns_mode = c->config.netns_mode;
	out->idle_threshold_seconds = c->config.idle_threshold_seconds;
	out->worst_max = c->config.worst_connections ? c->config.worst_connections : TCPAGG_WORST_DEFAULT;
	if (!out->per_netns) {
		job = c->targets; /* our own namespace, the only target */
		n = 1;
	} else {
		double start = clock_seconds(CLOCK_MONOTONIC);

		job = calloc(c->config.netns_max, sizeof(*job));
		if (!job)
			ret = -ENOMEM;
		else
			ret = netns_discover(&c->discovery);
		if (ret < 0) {
			log_error("network namespace discovery failed: %s", strerror(-ret));
			n = 0;
		} else {
			n = update_targets(c, job, &out->netns);
		}
		out->netns.discovery_seconds = clock_seconds(CLOCK_MONOTONIC) - start;
	}
	out->targets = n ? calloc(n, sizeof(*out->targets)) : NULL;
	if (n && !out->targets)
		ret = -ENOMEM;
	if (ret < 0) {
		for (unsigned i = 0; i < collectors_count; i++)
			out->error[i] = c->enabled[i] ? ret : 0;
		if (job != c->targets)
			free(job);
		free(out->targets);
		out->targets = NULL;
		memcpy(out->netns.skipped_total, c->skipped_total, sizeof(c->skipped_total));
		return ret;
	}
	for (unsigned i = 0; i < n; i++) {
		job[i]->out = &out->targets[i];
		out->targets[i].labels = job[i]->labels;
		out->targets[i].self = !out->per_netns || job[i]->ino == c->self_ino;
	}
	run_job(c, job, n);

	/* Gather: targets that could not be entered leave the result; the rest report. */
	for (unsigned i = 0; i < n; i++) {
		struct collectors_target *t = job[i];

		if (t->skip >= 0) {
			c->skipped_total[t->skip]++;
			continue;
		}
		if (out->n_targets != i)
			out->targets[out->n_targets] = out->targets[i];
		out->n_targets++;
		for (unsigned k = 0; k < collectors_count; k++) {
			if (!out->error[k])
				out->error[k] = t->error[k];
			out->seconds[k] += t->seconds[k];
		}
		t->out = NULL;
	}
	out->netns.scanned = out->n_targets;
	if (c->owners) {
		double start = clock_seconds(CLOCK_MONOTONIC);

		name_owners(c->owners, out);
		out->seconds[COLLECTOR_TCP] += clock_seconds(CLOCK_MONOTONIC) - start;
	}
	memcpy(out->netns.skipped_total, c->skipped_total, sizeof(c->skipped_total));
	if (job != c->targets)
		free(job);
	return 0;
}

void collectors_result_free(struct collectors_result *result)
{
	for (unsigned i = 0; i < result->n_targets; i++)
		tcpagg_result_free(result->targets[i].tcp);
	free(result->targets);
	result->targets = NULL;
	result->n_targets = 0;
}

/* ---- set-up ---------------------------------------------------------------------------- */

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > COLLECTORS_WORKERS_MAX ? COLLECTORS_WORKERS_MAX : (unsigned)n;
}

int collectors_create(struct collectors **out, const bool *enabled,
		      const struct collectors_config *config)
{
	struct collectors *c;
	char path[300];
	int ret;

	if (collectors_count > COLLECTORS_MAX)
		return -E2BIG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->self_ns_fd = -1;
	c->config = *config;
	snprintf(c->proc_root, sizeof(c->proc_root), "%s", config->proc_root ? config->proc_root : "/proc");
	snprintf(c->thread_proc, sizeof(c->thread_proc), "%s/thread-self", c->proc_root);
	c->config.proc_root = c->proc_root;
	if (!c->config.netns_max)
		c->config.netns_max = COLLECTORS_NETNS_MAX_DEFAULT;
	for (unsigned i = 0; i < collectors_count; i++)
		c->enabled[i] = enabled[i];
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->done, NULL);
	if (enabled[COLLECTOR_TCP] && owners_create(&c->owners, c->proc_root, 0) < 0) {
		collectors_destroy(c);
		return -ENOMEM;
	}

	if (config->netns_mode == NETNS_SELF) {
		c->targets = calloc(1, sizeof(*c->targets));
		c->workers = calloc(1, sizeof(*c->workers)); /* the scanner itself, no thread */
		ret = c->targets && c->workers ? 0 : -ENOMEM;
		if (ret == 0) {
			c->targets[0] = target_new(c, 0, -1);
			ret = c->targets[0] ? 0 : -ENOMEM;
			if (ret == 0)
				c->targets[0]->expect = true;
		}
		if (ret == 0) {
			c->n_targets = 1;
			ret = worker_init(&c->workers[0], c);
		}
		/* A socket that cannot be opened now (no permission, say) is retried at every
		 * scan, which then reports the collector as failed. */
		if (ret == 0 && enabled[COLLECTOR_TCP] && !config->tcp_dump) {
			int err = sockdiag_open(&c->targets[0]->sd);

			if (err < 0)
				log_warn("cannot open NETLINK_SOCK_DIAG socket: %s", strerror(-err));
		}
		if (ret < 0) {
			collectors_destroy(c);
			return ret;
		}
		*out = c;
		return 0;
	}

	ret = netns_discovery_init(&c->discovery, config->netns_mode, c->proc_root,
				   config->netns_names, config->n_netns_names);
	if (ret < 0) {
		log_error("cannot stat %s/self/ns/net: %s", c->proc_root, strerror(-ret));
		collectors_destroy(c);
		return ret;
	}
	snprintf(path, sizeof(path), "%s/thread-self/ns/net", c->proc_root);
	c->self_ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	c->targets = calloc(c->config.netns_max, sizeof(*c->targets));
	c->n_workers = config->workers ? config->workers : online_cpus();
	c->workers = calloc(c->n_workers, sizeof(*c->workers));
	if (c->self_ns_fd >= 0) {
		struct stat st;

		if (fstat(c->self_ns_fd, &st) == 0)
			c->self_ino = (uint64_t)st.st_ino;
	}
	if (c->self_ns_fd < 0 || !c->targets || !c->workers) {
		ret = c->self_ns_fd < 0 ? -errno : -ENOMEM;
		c->n_workers = 0;
		collectors_destroy(c);
		return ret;
	}
	for (unsigned i = 0; i < c->n_workers; i++) {
		ret = worker_init(&c->workers[i], c);
		if (ret == 0) {
			ret = -pthread_create(&c->workers[i].thread, NULL, worker_main, &c->workers[i]);
			c->workers[i].started = ret == 0;
		}
		if (ret < 0) {
			collectors_destroy(c);
			return ret;
		}
	}
	*out = c;
	return 0;
}

void collectors_destroy(struct collectors *c)
{
	unsigned nw;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	nw = c->n_workers ? c->n_workers : (c->workers ? 1 : 0);
	for (unsigned i = 0; i < nw; i++) {
		if (c->workers[i].started)
			pthread_join(c->workers[i].thread, NULL);
		if (c->workers[i].has_agg)
			tcpagg_fini(&c->workers[i].agg);
	}
	free(c->workers);
	for (unsigned i = 0; i < c->n_targets; i++)
		target_free(c->targets[i]);
	free(c->targets);
	netns_discovery_fini(&c->discovery);
	owners_destroy(c->owners);
	if (c->self_ns_fd >= 0)
		close(c->self_ns_fd);
	pthread_cond_destroy(&c->done);
	pthread_cond_destroy(&c->work);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
