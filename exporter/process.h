/* process.h — the exporter's own process figures, as Prometheus client libraries export them
 * (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from /proc/self when
 * a snapshot is published, so every view of it shows one moment. */
#ifndef TCPH_PROCESS_H
#define TCPH_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

struct process_stats {
	bool present; /* read (false: --web.disable-exporter-metrics, or /proc/self unreadable) */
	double cpu_seconds;	 /* user + system */
	uint64_t resident_bytes;
	uint64_t virtual_bytes;
	double start_time;	 /* Unix time */
	uint64_t open_fds;
	uint64_t max_fds;	 /* the soft RLIMIT_NOFILE */
};

/* Parses the text of /proc/PID/stat: utime, stime, starttime, vsize and rss, with `ticks`
 * per second (sysconf(_SC_CLK_TCK)), `page` bytes a page and `boot_time` (/proc/stat
 * btime). Fills every field but open_fds and max_fds. 0 or -EINVAL. Pure: unit-tested. */
int process_stat_parse(const char *stat, long ticks, long page, double boot_time,
		       struct process_stats *out);

/* Reads /proc/self/stat, /proc/stat, /proc/self/fd and the fd limit. 0 or -errno (then
 * out->present is false). */
int process_stats_read(struct process_stats *out);

#endif
