/* process.c — the exporter's own process figures from /proc/self. */
#include "process.h"

#include "../lib/procfs.h"

#include <stdbool.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int process_stat_parse(const char *stat, long ticks, long page, double boot_time,
		       struct process_stats *out)
{
	/* "pid (comm) state ...": comm may hold spaces and parentheses, so the fields start
	 * after the last ')'. Field 3 (state) is the first after it. */
	const char *p = strrchr(stat, ')');
	unsigned long long utime, stime, starttime, vsize;
	long long rss;

	if (!p || ticks <= 0 || page <= 0)
		return -EINVAL;
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice num_threads itrealvalue starttime vsize rss */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
			  "%*d %llu %llu %lld",
		   &utime, &stime, &starttime, &vsize, &rss) != 5 || rss < 0)
		return -EINVAL;
	out->cpu_seconds = (double)(utime + stime) / (double)ticks;
	out->start_time = boot_time + (double)starttime / (double)ticks;
	out->virtual_bytes = vsize;
	out->resident_bytes = (uint64_t)rss * (uint64_t)page;
	return 0;
}

/* btime from /proc/stat: the boot time, Unix seconds. Read line by line through a small
 * buffer: with many CPUs the "intr" line before it runs to hundreds of KiB. */
static int boot_time(double *out)
{
	char chunk[256];
	bool line_start = true;
	FILE *f = fopen("/proc/stat", "re");
	int ret = -EINVAL;

	if (!f)
		return -errno;
	while (fgets(chunk, sizeof(chunk), f)) {
		if (line_start && strncmp(chunk, "btime ", 6) == 0) {
			*out = strtod(chunk + 6, NULL);
			ret = 0;
			break;
		}
		line_start = strchr(chunk, '\n') != NULL;
	}
	fclose(f);
	return ret;
}

int process_stats_read(struct process_stats *out)
{
	char stat[1024];
	double boot = 0;
	struct rlimit rl;
	DIR *dp;
	struct dirent *de;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = procfs_read_file("/proc/self/stat", stat, sizeof(stat));
	if (ret < 0)
		return ret;
	if ((ret = boot_time(&boot)) < 0)
		return ret;
	ret = process_stat_parse(stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot, out);
	if (ret < 0)
		return ret;
	dp = opendir("/proc/self/fd");
	if (!dp)
		return -errno;
	while ((de = readdir(dp)))
		if (de->d_name[0] != '.')
			out->open_fds++;
	closedir(dp);
	out->open_fds--; /* the directory being read */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		out->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	out->present = true;
	return 0;
}
