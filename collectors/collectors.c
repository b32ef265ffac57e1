/* collectors.c — one row per collector and its scan of one target; one scan of every
 * target (discovery, the job on the workers, the gather, owner names); set-up and
 * tear-down of the targets, the workers and the owner cache. */
#include "collectors.h"
#include "owner_names.h"
#include "targets.h"
#include "workers.h"

#include "../lib/clock.h"
#include "../lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct collectors {
	bool enabled[COLLECTORS_MAX];
	struct collectors_config config;
	char proc_root[208]; /* --path.procfs is at most 200 bytes */
	struct targets targets; /* the open namespaces and their discovery (targets.c) */
	struct owners *owners;	/* listener inode -> process, all targets (one sockfs) */
	struct workers workers; /* the threads and the job they share (workers.c) */
	struct events *events;	/* the tcp.events collector's thread and sources (events.c) */
	struct collectors_cost cost; /* the totals of every scan so far */
};

/* ---- tcp: one inet_diag dump of both families into the worker's aggregate ------------- */

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
	const struct collectors_config *config = w->ws->config;
	struct tcpagg *agg = &w->agg;
	struct dump_ctx own = { t, w };
	tcpagg_dump_fn dump = config->tcp_dump ? config->tcp_dump : dump_with_sockdiag;
	void *dump_ctx = config->tcp_dump ? config->tcp_dump_ctx : &own;
	int ret = 0, copied;

	agg->two_dumps = t->two_dumps;
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
		if (agg->two_dumps && !t->two_dumps)
			log_warn("tcp collector: the kernel refused the one-walk socket dump "
				 "(TCPDIAG_GETSOCK) in netns %s: %s; dumping each address family on "
				 "its own from now on",
				 t->labels.netns[0] ? t->labels.netns : "self", strerror(-agg->one_walk_refused));
		t->two_dumps = agg->two_dumps;
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
			counters->dump_requests = t->two_dumps ? 2 : 1;
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

/* ---- tcp.events: the destroy messages counted since the last scan ---------------------- */

static const char *netns_name(const struct collectors_target *t)
{
	return t->labels.netns[0] ? t->labels.netns : "self";
}

static int events_collect(struct collectors_worker *w, struct collectors_target *t,
			  struct target_result *out)
{
	const struct collectors_config *config = w->ws->config;
	int ret = 0;

	if (!t->events) {
		/* In the target's namespace now: the groups joined are this namespace's. */
		if (config->tcp_dump) {
			/* Replayed: classified with this scan's listeners (tcp ran just before). */
			ret = events_source_open_replay(w->ws->events, netns_name(t), &t->events);
			if (ret == 0)
				events_source_update(w->ws->events, t->events, out->tcp, t->expect,
						     netns_name(t));
			if (ret == 0 && config->events_replay)
				events_source_feed(w->ws->events, t->events, config->events_replay,
						   config->events_replay_len);
		} else {
			ret = events_source_open(w->ws->events, netns_name(t), &t->events);
		}
		if (ret < 0) {
			log_error("tcp.events collector: cannot join the socket-destroy groups in netns "
				  "%s: %s", netns_name(t), strerror(-ret));
			return ret;
		}
	}
	ret = events_source_copy(w->ws->events, t->events, &out->events);
	out->has_events = ret != -ENOMEM;
	if (events_broken(ret)) {
		/* Reading it failed (logged by the thread): a new subscription next scan. */
		events_source_close(t->events);
		t->events = NULL;
	}
	return ret;
}

/* ---- sysctl and netstat: procfs files of the namespace the worker is in --------------- */

static int sysctl_collect(struct collectors_worker *w, struct collectors_target *t,
			  struct target_result *out)
{
	(void)t;
	/* /proc/sys/net shows the namespace of the thread that reads it. */
	return sysctl_scan(w->ws->config->proc_root, &out->sysctl);
}

static int netstat_collect(struct collectors_worker *w, struct collectors_target *t,
			   struct target_result *out)
{
	/* /proc/net is /proc/self/net: the main thread's namespace. A worker inside another
	 * namespace reads its own thread's files instead, which works for namespaces that
	 * have no process (bind mounts only) and cannot race with a process exiting. */
	const char *root = t->ns_fd >= 0 ? w->ws->thread_proc : w->ws->config->proc_root;

	return netstat_scan(root, w->text, sizeof(w->text), &out->netstat);
}

const struct collector collectors_table[] = {
	[COLLECTOR_TCP] = { "tcp", "per-port TCP socket states and listeners from one inet_diag dump of both families",
	  true, tcp_scan },
	[COLLECTOR_TCP_EVENTS] = { "tcp.events", "per-port TCP connections closed between scans, by how "
	  "they ended, from the kernel's socket-destroy events (sock_diag multicast)", true,
	  events_collect },
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


/* ---- the scan -------------------------------------------------------------------------- */

/* After owner names: each target's events are classified with this scan from now on, and
 * the ring (with the listeners this scan saw go down or come up) is copied. */
static void update_events(struct collectors *c, struct collectors_target **job, unsigned n,
			  struct collectors_result *out)
{
	int ret;

	for (unsigned i = 0, k = 0; i < n; i++) {
		struct collectors_target *t = job[i];

		if (t->skip >= 0)
			continue; /* not in the result (the gather kept the order of the rest) */
		events_source_update(c->events, t->events, out->targets[k].tcp, t->expect, netns_name(t));
		/* The counters were copied by the worker, before this update noted what went
		 * down: the list of this snapshot must say what its ring says. */
		if (out->targets[k].has_events)
			events_source_down(c->events, t->events, &out->targets[k].events);
		k++;
	}
	ret = events_recent_copy(c->events, &out->recent);
	out->has_events = true;
	if (ret < 0 && !out->error[COLLECTOR_TCP_EVENTS])
		out->error[COLLECTOR_TCP_EVENTS] = ret;
}

/* Discovery, the workers and the gather: collectors_scan without its cost. */
static int scan_targets(struct collectors *c, struct collectors_result *out,
			unsigned long long *workers_cpu_ns)
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
		job = c->targets.open; /* our own namespace, the only target */
		n = 1;
	} else {
		double start = clock_seconds(CLOCK_MONOTONIC);

		job = calloc(c->config.netns_max, sizeof(*job));
		if (!job)
			ret = -ENOMEM;
		else
			ret = netns_discover(&c->targets.discovery);
		if (ret < 0) {
			log_error("network namespace discovery failed: %s", strerror(-ret));
			n = 0;
		} else {
			n = targets_update(&c->targets, job, &out->netns);
		}
		out->netns.discovery_seconds = clock_seconds(CLOCK_MONOTONIC) - start;
	}
	out->targets = n ? calloc(n, sizeof(*out->targets)) : NULL;
	if (n && !out->targets)
		ret = -ENOMEM;
	if (ret < 0) {
		for (unsigned i = 0; i < collectors_count; i++)
			out->error[i] = c->enabled[i] ? ret : 0;
		if (job != c->targets.open)
			free(job);
		free(out->targets);
		out->targets = NULL;
		memcpy(out->netns.skipped_total, c->targets.skipped_total, sizeof(c->targets.skipped_total));
		return ret;
	}
	for (unsigned i = 0; i < n; i++) {
		job[i]->out = &out->targets[i];
		out->targets[i].labels = job[i]->labels;
		out->targets[i].self = !out->per_netns || job[i]->ino == c->targets.self_ino;
	}
	*workers_cpu_ns = workers_run(&c->workers, job, n);

	/* Gather: targets that could not be entered leave the result; the rest report. */
	for (unsigned i = 0; i < n; i++) {
		struct collectors_target *t = job[i];

		if (t->skip >= 0) {
			c->targets.skipped_total[t->skip]++;
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

		owner_names_fill(c->owners, out);
		out->seconds[COLLECTOR_TCP] += clock_seconds(CLOCK_MONOTONIC) - start;
	}
	if (c->events) {
		double start = clock_seconds(CLOCK_MONOTONIC);

		update_events(c, job, n, out);
		out->seconds[COLLECTOR_TCP_EVENTS] += clock_seconds(CLOCK_MONOTONIC) - start;
	}
	memcpy(out->netns.skipped_total, c->targets.skipped_total, sizeof(c->targets.skipped_total));
	if (job != c->targets.open)
		free(job);
	return 0;
}

struct collectors_cost collectors_cost_add(struct collectors_cost *totals, unsigned long long wall_ns,
					   unsigned long long cpu_ns)
{
	totals->wall_ns_total += wall_ns;
	totals->cpu_ns_total += cpu_ns;
	return (struct collectors_cost){ wall_ns, cpu_ns, totals->wall_ns_total, totals->cpu_ns_total };
}

int collectors_scan(struct collectors *c, struct collectors_result *out)
{
	unsigned long long wall = clock_ns(CLOCK_MONOTONIC), cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	unsigned long long workers_cpu = 0;
	int ret = scan_targets(c, out, &workers_cpu);

	/* The scanner's own CPU clock holds the scan in NETNS_SELF, and outside it discovery,
	 * targets and the gather; the workers' share is theirs (workers_run). */
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu + workers_cpu;
	out->cost = collectors_cost_add(&c->cost, clock_ns(CLOCK_MONOTONIC) - wall, cpu);
	return ret;
}

void collectors_result_free(struct collectors_result *result)
{
	for (unsigned i = 0; i < result->n_targets; i++) {
		tcpagg_result_free(result->targets[i].tcp);
		events_result_free(&result->targets[i].events);
	}
	events_recent_free(&result->recent);
	free(result->targets);
	result->targets = NULL;
	result->n_targets = 0;
}

/* ---- set-up ---------------------------------------------------------------------------- */

int collectors_create(struct collectors **out, const bool *enabled,
		      const struct collectors_config *config)
{
	struct collectors *c;
	int ret;

	if (collectors_count > COLLECTORS_MAX)
		return -E2BIG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->config = *config;
	snprintf(c->proc_root, sizeof(c->proc_root), "%s", config->proc_root ? config->proc_root : "/proc");
	c->config.proc_root = c->proc_root;
	if (!c->config.netns_max)
		c->config.netns_max = COLLECTORS_NETNS_MAX_DEFAULT;
	for (unsigned i = 0; i < collectors_count; i++)
		c->enabled[i] = enabled[i];
	workers_init(&c->workers, &c->config, c->enabled);
	if (enabled[COLLECTOR_TCP_EVENTS]) {
		struct events_config ec = {
			.max_ports = config->classify.max_ports,
			.worst_max = config->worst_connections ? config->worst_connections
								: TCPAGG_WORST_DEFAULT,
			.recent = config->events_recent,
			.receive_buffer = config->events_buffer ? config->events_buffer
								: COLLECTORS_EVENTS_BUFFER_DEFAULT,
			.listen_ports = config->classify.listen_ports,
			.n_listen_ports = config->classify.n_listen_ports,
			.client_ports = config->classify.client_ports,
			.n_client_ports = config->classify.n_client_ports,
		};

		ret = events_create(&c->events, &ec);
		if (ret < 0) {
			collectors_destroy(c);
			return ret;
		}
		c->workers.events = c->events;
	}
	if (enabled[COLLECTOR_TCP] && owners_create(&c->owners, c->proc_root, 0) < 0) {
		collectors_destroy(c);
		return -ENOMEM;
	}

	if (config->netns_mode == NETNS_SELF) {
		ret = targets_init_self(&c->targets, &c->config);
		if (ret == 0)
			ret = workers_start(&c->workers, false); /* the scanner itself, no thread */
		/* A socket that cannot be opened now (no permission, say) is retried at every
		 * scan, which then reports the collector as failed. */
		if (ret == 0 && enabled[COLLECTOR_TCP] && !config->tcp_dump) {
			int err = sockdiag_open(&c->targets.open[0]->sd);

			if (err < 0)
				log_warn("cannot open NETLINK_SOCK_DIAG socket: %s", strerror(-err));
		}
		/* Events count from the start, not from the first scrape. */
		if (ret == 0 && c->events && !config->tcp_dump) {
			int err = events_source_open(c->events, "self", &c->targets.open[0]->events);

			if (err < 0)
				log_warn("cannot join the socket-destroy groups: %s", strerror(-err));
		}
		if (ret < 0) {
			collectors_destroy(c);
			return ret;
		}
		*out = c;
		return 0;
	}

	ret = targets_init(&c->targets, &c->config);
	if (ret == 0)
		ret = workers_open_home(&c->workers, &c->targets.self_ino);
	if (ret == 0)
		ret = workers_start(&c->workers, true);
	if (ret < 0) {
		collectors_destroy(c);
		return ret;
	}
	*out = c;
	return 0;
}

/* NETNS_SELF: the sock_diag socket, and the scanner's owner walk (/proc, a process's fd
 * directory and the duplicate it is read through), which also covers the one /proc file
 * read at a time otherwise. Else each target's namespace file and socket, our own
 * namespace's file, a /proc file per worker, the scanner's walk or discovery. With
 * tcp.events, a destroy-group socket per target and the thread's epoll and eventfd. */
unsigned collectors_fds_needed(const struct collectors_config *config)
{
	unsigned events = config->events_enabled ? EVENTS_FIXED_FDS : 0;

	if (config->netns_mode == NETNS_SELF)
		return 1 + 3 + events + (config->events_enabled ? 1 : 0);
	return collectors_netns_fds(config) + 1 + workers_threads(config) + 3 + events;
}

unsigned collectors_fds_per_netns(const struct collectors_config *config)
{
	return config->events_enabled ? 3 : 2;
}

unsigned collectors_netns_fds(const struct collectors_config *config)
{
	unsigned targets = config->netns_max ? config->netns_max : COLLECTORS_NETNS_MAX_DEFAULT;

	return config->netns_mode == NETNS_SELF ? 0 : collectors_fds_per_netns(config) * targets;
}

void collectors_destroy(struct collectors *c)
{
	if (!c)
		return;
	workers_fini(&c->workers);
	targets_fini(&c->targets); /* gives every events source up first */
	events_destroy(c->events);
	owners_destroy(c->owners);
	free(c);
}
