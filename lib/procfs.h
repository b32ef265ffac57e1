/* procfs.h — small readers for /proc files, shared by the collectors and the exporter. */
#ifndef TCPH_PROCFS_H
#define TCPH_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* Reads up to `max` whitespace-separated integers from a one-line file such as
 * /proc/sys/net/ipv4/ip_local_port_range. Returns how many were read (>= 1), or
 * -errno, or -EINVAL when the file holds no integer or junk. */
int procfs_read_longs(const char *path, long *values, int max);

/* Reads a whole file into buf (NUL-terminated, at most cap - 1 bytes). Returns the length
 * read, or -errno; -EFBIG when the file does not fit. */
ssize_t procfs_read_file(const char *path, char *buf, size_t cap);

#endif
