/* owners.h — which process owns a socket (a listener, or a worst connection), by its inode.
 *
 * A socket's inode is unique across network namespaces (one sockfs), so one cache serves
 * every target. Steady state costs a hash lookup per listener: /proc/PID/fd is walked only
 * for inodes not known yet, at most `budget` fd entries per scan (in pid, then fd order),
 * resuming where the last walk stopped, inside a process too. An inode that a complete pass over /proc did not find (a process we may not
 * inspect: CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH is needed for other users' fds) is not
 * looked for again while it stays. Entries whose inode was not wanted in a scan are dropped. */
#ifndef TCPH_OWNERS_H
#define TCPH_OWNERS_H

#include "tcpagg.h"

#include <stdbool.h>
#include <stdint.h>

#define OWNERS_MAX 65536	   /* cached inodes at most (listening sockets on the host) */
#define OWNERS_WALK_BUDGET 50000 /* fd entries read per scan at most */
/* ... when only connections' owners are missing (worst connections churn; listeners stay) */
#define OWNERS_CONNECTION_WALK_BUDGET 2000

struct owners;

int owners_create(struct owners **out, const char *proc_root, unsigned budget);
void owners_destroy(struct owners *o);

/* One scan: begin, want every listener inode, resolve (the walk), then get and end. */
void owners_begin(struct owners *o);
/* `listener`: the inode of a listening address (counted in the figures), else of another
 * socket whose owner is shown (a worst connection). */
void owners_want(struct owners *o, uint32_t inode, bool listener);
void owners_resolve(struct owners *o);
/* The comm of the owner of `inode`, or NULL when unknown. */
const char *owners_get(const struct owners *o, uint32_t inode);
/* Drops what this scan did not want. */
void owners_end(struct owners *o);

/* Figures of the last resolve. */
struct owners_stats {
	unsigned wanted;     /* distinct listener inodes this scan */
	unsigned unresolved; /* of them, without a known owner (connections are not counted) */
	uint64_t fds_read;   /* fd entries read by walks since start */
	uint64_t denied;     /* processes whose fds could not be read, since start */
};
void owners_stats(const struct owners *o, struct owners_stats *out);

#endif
