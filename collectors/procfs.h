/* procfs.h — small readers for /proc files. */
#ifndef TCPH_PROCFS_H
#define TCPH_PROCFS_H

/* Reads up to `max` whitespace-separated integers from a one-line file such as
 * /proc/sys/net/ipv4/ip_local_port_range. Returns how many were read (>= 1), or
 * -errno, or -EINVAL when the file holds no integer or junk. */
int procfs_read_longs(const char *path, long *values, int max);

#endif
