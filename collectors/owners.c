/* owners.c — the inode -> process cache and its bounded walk of /proc/PID/fd. */
#include "owners.h"

#include "../lib/utf8.h"

#include "../lib/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum entry_state { ENTRY_EMPTY = 0, ENTRY_PENDING, ENTRY_FOUND, ENTRY_MISSING };

struct entry {
	uint32_t inode;
	uint8_t state;
	bool wanted;	    /* by this scan */
	bool listener;	    /* ... for a listening address (the figures count only these) */
	uint32_t full_pass; /* PENDING: the first walk pass that covers all of /proc for it */
	char comm[TCPAGG_PROCESS_NAME];
};

struct owners {
	char proc_root[208];
	unsigned budget;
	struct entry *table; /* open addressing, power-of-two size */
	unsigned cap, used, pending;
	uint32_t pass;	  /* walk passes started */
	bool pass_active; /* a pass stopped by the budget, to be resumed */
	long cursor;	  /* the last pid the active pass finished */
	long partial_pid; /* a pid whose fds the budget cut short, or 0 ... */
	long partial_fd;  /* ... and the last of its fds read */
	long *fds;	  /* scratch: one process's fd numbers, sorted (reused) */
	size_t fds_cap;
	uint64_t fds_read, denied;
};

static unsigned slot_of(uint32_t inode, unsigned cap)
{
	return (unsigned)((inode * 2654435761u) & (cap - 1));
}

static struct entry *lookup(const struct owners *o, uint32_t inode)
{
	for (unsigned h = slot_of(inode, o->cap);; h = (h + 1) & (o->cap - 1)) {
		if (o->table[h].state == ENTRY_EMPTY)
			return NULL;
		if (o->table[h].inode == inode)
			return &o->table[h];
	}
}

/* Rehashes into `cap` slots, keeping only the wanted entries when `wanted_only`. */
static int rehash(struct owners *o, unsigned cap, bool wanted_only)
{
	struct entry *table = calloc(cap, sizeof(*table));

	if (!table)
		return -ENOMEM;
	o->used = 0;
	o->pending = 0;
	for (unsigned i = 0; i < o->cap; i++) {
		struct entry *e = &o->table[i];
		unsigned h;

		if (e->state == ENTRY_EMPTY || (wanted_only && !e->wanted))
			continue;
		for (h = slot_of(e->inode, cap); table[h].state != ENTRY_EMPTY; h = (h + 1) & (cap - 1))
			;
		table[h] = *e;
		if (wanted_only)
			table[h].wanted = table[h].listener = false; /* ready for the next scan */
		o->used++;
		o->pending += e->state == ENTRY_PENDING;
	}
	free(o->table);
	o->table = table;
	o->cap = cap;
	return 0;
}

int owners_create(struct owners **out, const char *proc_root, unsigned budget)
{
	struct owners *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	snprintf(o->proc_root, sizeof(o->proc_root), "%s", proc_root);
	o->budget = budget ? budget : OWNERS_WALK_BUDGET;
	o->cap = 256;
	o->table = calloc(o->cap, sizeof(*o->table));
	if (!o->table) {
		free(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

void owners_destroy(struct owners *o)
{
	if (!o)
		return;
	free(o->table);
	free(o->fds);
	free(o);
}

void owners_begin(struct owners *o)
{
	for (unsigned i = 0; i < o->cap; i++)
		o->table[i].wanted = o->table[i].listener = false;
}

void owners_want(struct owners *o, uint32_t inode, bool listener)
{
	struct entry *e;
	unsigned h;

	if (inode == 0)
		return;
	e = lookup(o, inode);
	if (e) {
		e->wanted = true;
		e->listener |= listener;
		return;
	}
	/* Entries of the last scan stay until owners_end(): connections get at most half of the
	 * cache, so that they can never keep a listener out. */
	if (o->used >= (listener ? OWNERS_MAX : OWNERS_MAX / 2))
		return; /* stays unresolved */
	if ((o->used + 1) * 2 > o->cap && rehash(o, o->cap * 2, false) < 0)
		return;
	for (h = slot_of(inode, o->cap); o->table[h].state != ENTRY_EMPTY; h = (h + 1) & (o->cap - 1))
		;
	memset(&o->table[h], 0, sizeof(o->table[h]));
	o->table[h].inode = inode;
	o->table[h].state = ENTRY_PENDING;
	o->table[h].wanted = true;
	o->table[h].listener = listener;
	/* A pass already under way may have walked past its owner: the next one covers it. */
	o->table[h].full_pass = o->pass + 1;
	o->used++;
	o->pending++;
}

/* "socket:[12345]" -> 12345; 0 for anything else. */
static uint32_t socket_inode(const char *link)
{
	unsigned long v;
	char *end;

	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	v = strtoul(link + 8, &end, 10);
	return *end == ']' && v <= UINT32_MAX ? (uint32_t)v : 0;
}

static int compare_long(const void *a, const void *b)
{
	long pa = *(const long *)a, pb = *(const long *)b;

	return (pa > pb) - (pa < pb);
}

/* The `limit` lowest fd numbers of the process behind fd_dir above `after`, sorted, in
 * o->fds: -ENOMEM or how many. Listing costs no readlink (only what is then read counts to
 * the budget), and the scratch holds at most `limit` (the budget) whatever the process holds.
 * procfs lists fds in ascending order, so once the scratch is full nothing replaces. */
static long list_fds(struct owners *o, int fd_dir, long after, size_t limit, bool *more)
{
	int dup_fd = dup(fd_dir);
	DIR *dp = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;
	size_t n = 0, top = 0; /* top: where the largest kept is, once full */

	*more = false; /* fds above the last one listed */
	if (limit == 0) {
		if (dp)
			closedir(dp);
		else if (dup_fd >= 0)
			close(dup_fd);
		return 0;
	}
	if (!dp) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -ENOMEM;
	}
	while ((de = readdir(dp))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd <= after)
			continue;
		if (n == limit) { /* full: keep the lowest */
			*more = true;
			if (fd < o->fds[top]) {
				o->fds[top] = fd;
				for (size_t k = 0; k < n; k++)
					if (o->fds[k] > o->fds[top])
						top = k;
			}
			continue;
		}
		if (n == o->fds_cap) {
			size_t cap = o->fds_cap ? o->fds_cap * 2 : 1024;

			if (cap > limit)
				cap = limit;
			long *grown = realloc(o->fds, cap * sizeof(*grown));

			if (!grown) {
				closedir(dp);
				return -ENOMEM;
			}
			o->fds = grown;
			o->fds_cap = cap;
		}
		if (n == 0 || fd > o->fds[top])
			top = n;
		o->fds[n++] = fd;
	}
	closedir(dp);
	if (n > 1)
		qsort(o->fds, n, sizeof(*o->fds), compare_long);
	return (long)n;
}

/* Reads the fds of one process above `after`, at most `budget` of them, in fd order;
 * returns how many it read. *stopped is the last fd read when the budget ran out before
 * the process's last fd, else -1: the next walk resumes there, so that the budget holds
 * whatever a process holds (a server with 100,000 sockets included). */
static unsigned walk_process(struct owners *o, int proc_fd, const char *pid, long after,
			     unsigned budget, long *stopped)
{
	char path[480], link[64], comm[64], name[24];
	unsigned read = 0;
	int fd_dir;
	long n;
	bool more;

	*stopped = -1;
	snprintf(path, sizeof(path), "%s/fd", pid);
	fd_dir = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd_dir < 0) {
		if (errno == EACCES || errno == EPERM)
			o->denied++;
		return 0;
	}
	n = list_fds(o, fd_dir, after, budget, &more);
	for (long i = 0; i < n && o->pending > 0; i++) {
		ssize_t len;
		uint32_t inode;
		struct entry *e;

		read++;
		snprintf(name, sizeof(name), "%ld", o->fds[i]);
		len = readlinkat(fd_dir, name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		inode = socket_inode(link);
		if (!inode || !(e = lookup(o, inode)) || e->state != ENTRY_PENDING)
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", o->proc_root, pid);
		/* comm is up to 15 bytes and a newline: read it whole, then keep the name. */
		if (procfs_read_file(path, comm, sizeof(comm)) <= 0)
			continue; /* exited meanwhile: another pass may find the socket elsewhere */
		comm[strcspn(comm, "\n")] = '\0';
		comm[sizeof(e->comm) - 1] = '\0'; /* the kernel's TASK_COMM_LEN already is */
		/* Any byte may be in a name; every view needs UTF-8 without control characters. */
		utf8_sanitize(comm);
		memcpy(e->comm, comm, sizeof(e->comm));
		e->state = ENTRY_FOUND;
		o->pending--;
	}
	/* The budget ran out with fds left: the next walk resumes after the last one read. */
	if (more && n > 0 && read == (unsigned)n && o->pending > 0)
		*stopped = o->fds[n - 1];
	close(fd_dir);
	return read;
}

/* The pids after `cursor`, ascending (readdir order is the file system's business). */
static long *pids_after(DIR *dp, long cursor, size_t *n)
{
	size_t cap = 1024;
	long *pids = malloc(cap * sizeof(*pids));
	struct dirent *de;

	*n = 0;
	if (!pids)
		return NULL;
	while ((de = readdir(dp))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || pid <= cursor)
			continue;
		if (*n == cap) {
			long *grown = realloc(pids, (cap *= 2) * sizeof(*pids));

			if (!grown) {
				free(pids);
				return NULL;
			}
			pids = grown;
		}
		pids[(*n)++] = pid;
	}
	if (*n > 1)
		qsort(pids, *n, sizeof(*pids), compare_long);
	return pids;
}

void owners_resolve(struct owners *o)
{
	unsigned spent = 0, budget = o->budget;
	bool listener_pending = false;
	int proc_fd;
	DIR *dp;
	long *pids;
	size_t n, i;

	if (o->pending == 0)
		return;
	/* Worst connections come and go, so some are nearly always pending: alone, they walk
	 * on a small budget, and a steady state costs little (listeners, which stay, get the
	 * full one). */
	for (unsigned k = 0; k < o->cap && !listener_pending; k++)
		listener_pending = o->table[k].state == ENTRY_PENDING && o->table[k].listener;
	if (!listener_pending && budget > OWNERS_CONNECTION_WALK_BUDGET)
		budget = OWNERS_CONNECTION_WALK_BUDGET;
	if (!o->pass_active) {
		o->pass++;
		o->pass_active = true;
		o->cursor = 0;
		o->partial_pid = 0;
	}
	proc_fd = open(o->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return;
	dp = fdopendir(proc_fd);
	if (!dp) {
		close(proc_fd);
		return;
	}
	pids = pids_after(dp, o->cursor, &n);
	for (i = 0; pids && i < n && spent < budget && o->pending > 0; i++) {
		char name[24];
		long stopped;

		snprintf(name, sizeof(name), "%ld", pids[i]);
		spent += walk_process(o, dirfd(dp), name, pids[i] == o->partial_pid ? o->partial_fd : -1,
				      budget - spent, &stopped);
		if (stopped >= 0) { /* out of budget inside this process: resumed there */
			o->partial_pid = pids[i];
			o->partial_fd = stopped;
			break;
		}
		o->cursor = pids[i];
		o->partial_pid = 0;
	}
	closedir(dp);
	free(pids);
	o->fds_read += spent;
	if (!pids || i < n)
		return; /* out of budget (or memory), or all found: resumed at the next scan */
	/* A whole pass: what it was meant to find and did not, nobody we can see owns. */
	o->pass_active = false;
	for (unsigned k = 0; k < o->cap; k++) {
		struct entry *e = &o->table[k];

		if (e->state == ENTRY_PENDING && e->full_pass <= o->pass) {
			e->state = ENTRY_MISSING;
			o->pending--;
		}
	}
}

const char *owners_get(const struct owners *o, uint32_t inode)
{
	const struct entry *e = inode ? lookup(o, inode) : NULL;

	return e && e->state == ENTRY_FOUND ? e->comm : NULL;
}

void owners_end(struct owners *o)
{
	rehash(o, o->cap, true); /* on failure the old table stays: entries linger a scan */
}

void owners_stats(const struct owners *o, struct owners_stats *out)
{
	out->wanted = 0;
	out->unresolved = 0;
	for (unsigned i = 0; i < o->cap; i++) {
		const struct entry *e = &o->table[i];

		if (e->state == ENTRY_EMPTY || !e->wanted || !e->listener)
			continue;
		out->wanted++;
		out->unresolved += e->state != ENTRY_FOUND;
	}
	out->fds_read = o->fds_read;
	out->denied = o->denied;
}
