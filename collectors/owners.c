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

/* Reads the fds of one process; returns how many entries it read. */
static unsigned walk_process(struct owners *o, int proc_fd, const char *pid)
{
	char path[480], link[64], comm[64];
	unsigned read = 0;
	int fd_dir;
	DIR *dp;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/fd", pid);
	fd_dir = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd_dir < 0) {
		if (errno == EACCES || errno == EPERM)
			o->denied++;
		return 0;
	}
	dp = fdopendir(fd_dir);
	if (!dp) {
		close(fd_dir);
		return 0;
	}
	while ((de = readdir(dp)) && o->pending > 0) {
		ssize_t n;
		uint32_t inode;
		struct entry *e;

		if (de->d_name[0] == '.')
			continue;
		read++;
		n = readlinkat(fd_dir, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
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
	closedir(dp);
	return read;
}

static int compare_pid(const void *a, const void *b)
{
	long pa = *(const long *)a, pb = *(const long *)b;

	return (pa > pb) - (pa < pb);
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
		qsort(pids, *n, sizeof(*pids), compare_pid);
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

		snprintf(name, sizeof(name), "%ld", pids[i]);
		spent += walk_process(o, dirfd(dp), name);
		o->cursor = pids[i];
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
