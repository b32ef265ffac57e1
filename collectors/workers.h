/* workers.h — the threads that scan targets. Private to collectors/ (collectors.c, whose
 * collectors scan on a worker's aggregate and buffers).
 *
 * The scan state that is big and reusable (the aggregate, read buffers) belongs to a
 * worker, one thread each, which takes targets of a job in turn and enters their namespaces
 * with setns(). In NETNS_SELF there is one worker and no thread: the scanner scans on it. */
#ifndef TCPH_WORKERS_H
#define TCPH_WORKERS_H

#include "collectors.h"
#include "targets.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct workers;

struct collectors_worker {
	struct workers *ws;
	pthread_t thread;
	bool started;
	uint64_t generation; /* of the last job it took part in */
	bool away;	     /* could not return to our namespace after a target */
	bool has_agg;
	/* CPU its thread spent on the last job (its thread CPU clock around its share), written
	 * under `ws->lock` when it finishes the job and read there by workers_run. */
	unsigned long long job_cpu_ns;
	struct tcpagg agg;
	char text[64 * 1024];		     /* netstat's read buffer */
	char dump[SOCKDIAG_RECV_BUFFER];     /* every target's dumps, one after the other */
};

struct workers {
	/* Set before the threads start, then only read. */
	const struct collectors_config *config; /* the collectors' own copy */
	const bool *enabled;			/* collectors_count entries */
	char thread_proc[224]; /* <proc_root>/thread-self: the worker's own namespace's files */
	int self_ns_fd; /* our own namespace, which workers return to */
	struct events *events; /* the tcp.events collector's thread, or NULL */

	struct collectors_worker *all;
	unsigned n_threads; /* 0: one worker, the scanner itself, no thread */
	/* The job: workers take job[next++] under `lock` until it is empty. */
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	uint64_t generation;
	struct collectors_target **job;
	unsigned n_job, next, running;
	bool stopping;
};

/* Sets up `ws` (zeroed by the caller) for workers_fini; starts nothing. */
void workers_init(struct workers *ws, const struct collectors_config *config, const bool *enabled);
/* Opens our own namespace, which workers return to, and gives its inode (0 when it cannot
 * be had). 0 or -errno. */
int workers_open_home(struct workers *ws, uint64_t *ino);
/* The workers: with `threads`, --netns.workers (or one per online CPU) threads, else one
 * worker for the scanner. 0 or -errno. */
int workers_start(struct workers *ws, bool threads);
/* The threads workers_start(ws, true) starts: --netns.workers, or one per online CPU. */
unsigned workers_threads(const struct collectors_config *config);
/* Scans job[0..n) on the workers (or here, for our own namespace) and waits. Gives the
 * CPU the worker threads spent on it (nanoseconds; 0 when it ran on the calling thread,
 * whose own CPU clock holds it). */
unsigned long long workers_run(struct workers *ws, struct collectors_target **job, unsigned n);
/* Stops and joins the threads, frees the workers, closes our namespace's file. */
void workers_fini(struct workers *ws);

#endif
