/* workers.c — the worker threads: a job of targets taken in turn, each scanned inside its
 * network namespace by every enabled collector, and the way back to our own namespace. */
#include "workers.h"

#include "../lib/clock.h"
#include "../lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Runs every enabled collector for one target; inside its namespace unless it is ours. */
static void scan_target(struct collectors_worker *w, struct collectors_target *t)
{
	struct workers *ws = w->ws;

	t->skip = -1;
	/* Our own namespace is scanned in place: the worker must be in it. */
	if (t->ns_fd < 0 && w->away) {
		if (setns(ws->self_ns_fd, CLONE_NEWNET) < 0) {
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
		if (!ws->enabled[i])
			continue;
		start = clock_seconds(CLOCK_MONOTONIC);
		t->error[i] = collectors_table[i].scan(w, t, t->out);
		t->seconds[i] = clock_seconds(CLOCK_MONOTONIC) - start;
	}
	/* Back home: a thread left inside would keep the namespace alive. */
	if (t->ns_fd >= 0 && setns(ws->self_ns_fd, CLONE_NEWNET) < 0) {
		w->away = true; /* tried again before our own namespace is scanned */
		log_error("cannot return to the exporter's network namespace: %s", strerror(errno));
	}
}

static void *worker_main(void *arg)
{
	struct collectors_worker *w = arg;
	struct workers *ws = w->ws;
	unsigned long long cpu;

	/* As on the scanner thread: the same failure at every scan (EMFILE, ENOMEM, a file
	 * gone) is logged once, then at most once a minute with a count (lib/log.h). */
	log_limit_repeats(true);
	pthread_mutex_lock(&ws->lock);
	for (;;) {
		while (w->generation == ws->generation && !ws->stopping)
			pthread_cond_wait(&ws->work, &ws->lock);
		if (ws->stopping)
			break;
		w->generation = ws->generation;
		/* Its share of the scan, from its own CPU clock: the wait for work costs none. */
		cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		while (ws->next < ws->n_job) {
			struct collectors_target *t = ws->job[ws->next++];

			pthread_mutex_unlock(&ws->lock);
			scan_target(w, t);
			pthread_mutex_lock(&ws->lock);
		}
		w->job_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
		if (--ws->running == 0)
			pthread_cond_signal(&ws->done);
	}
	pthread_mutex_unlock(&ws->lock);
	return NULL;
}

/* Scans job[0..n) on the workers (or here, for our own namespace) and waits; gives the
 * worker threads' CPU. */
unsigned long long workers_run(struct workers *ws, struct collectors_target **job, unsigned n)
{
	unsigned long long cpu = 0;

	if (ws->n_threads == 0) {
		for (unsigned i = 0; i < n; i++)
			scan_target(&ws->all[0], job[i]);
		return 0;
	}
	pthread_mutex_lock(&ws->lock);
	ws->job = job;
	ws->n_job = n;
	ws->next = 0;
	ws->running = ws->n_threads;
	ws->generation++;
	pthread_cond_broadcast(&ws->work);
	while (ws->running > 0)
		pthread_cond_wait(&ws->done, &ws->lock);
	for (unsigned i = 0; i < ws->n_threads; i++)
		cpu += ws->all[i].job_cpu_ns; /* every one took part: `running` counted them all */
	ws->job = NULL;
	ws->n_job = 0;
	pthread_mutex_unlock(&ws->lock);
	return cpu;
}

/* ---- set-up ---------------------------------------------------------------------------- */

static int worker_init(struct collectors_worker *w, struct workers *ws)
{
	w->ws = ws;
	if (ws->enabled[COLLECTOR_TCP]) {
		int ret = tcpagg_init(&w->agg, &ws->config->classify, ws->config->idle_threshold_seconds * 1000u);

		if (ret < 0)
			return ret;
		snprintf(w->agg.port_range_path, sizeof(w->agg.port_range_path),
			 "%s/sys/net/ipv4/ip_local_port_range", ws->config->proc_root);
		w->agg.histograms = !ws->config->no_histograms;
		if (ws->config->worst_connections) /* tcpagg_begin caps it at TCPAGG_WORST_LIMIT */
			w->agg.worst_max = ws->config->worst_connections;
		w->has_agg = true;
	}
	return 0;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > COLLECTORS_WORKERS_MAX ? COLLECTORS_WORKERS_MAX : (unsigned)n;
}

unsigned workers_threads(const struct collectors_config *config)
{
	return config->workers ? config->workers : online_cpus();
}

void workers_init(struct workers *ws, const struct collectors_config *config, const bool *enabled)
{
	ws->config = config;
	ws->enabled = enabled;
	snprintf(ws->thread_proc, sizeof(ws->thread_proc), "%s/thread-self", config->proc_root);
	ws->self_ns_fd = -1;
	pthread_mutex_init(&ws->lock, NULL);
	pthread_cond_init(&ws->work, NULL);
	pthread_cond_init(&ws->done, NULL);
}

int workers_open_home(struct workers *ws, uint64_t *ino)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/thread-self/ns/net", ws->config->proc_root);
	ws->self_ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ws->self_ns_fd < 0)
		return -errno;
	if (fstat(ws->self_ns_fd, &st) == 0)
		*ino = (uint64_t)st.st_ino;
	return 0;
}

int workers_start(struct workers *ws, bool threads)
{
	unsigned n = threads ? workers_threads(ws->config) : 0;
	int ret;

	ws->all = calloc(n ? n : 1, sizeof(*ws->all));
	if (!ws->all)
		return -ENOMEM;
	ws->n_threads = n;
	if (!threads)
		return worker_init(&ws->all[0], ws);
	for (unsigned i = 0; i < n; i++) {
		ret = worker_init(&ws->all[i], ws);
		if (ret == 0) {
			ret = -pthread_create(&ws->all[i].thread, NULL, worker_main, &ws->all[i]);
			ws->all[i].started = ret == 0;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

void workers_fini(struct workers *ws)
{
	unsigned nw = ws->n_threads ? ws->n_threads : (ws->all ? 1 : 0);

	pthread_mutex_lock(&ws->lock);
	ws->stopping = true;
	pthread_cond_broadcast(&ws->work);
	pthread_mutex_unlock(&ws->lock);
	for (unsigned i = 0; i < nw; i++) {
		if (ws->all[i].started)
			pthread_join(ws->all[i].thread, NULL);
		if (ws->all[i].has_agg)
			tcpagg_fini(&ws->all[i].agg);
	}
	free(ws->all);
	ws->all = NULL;
	ws->n_threads = 0;
	if (ws->self_ns_fd >= 0)
		close(ws->self_ns_fd);
	ws->self_ns_fd = -1;
	pthread_cond_destroy(&ws->done);
	pthread_cond_destroy(&ws->work);
	pthread_mutex_destroy(&ws->lock);
}
