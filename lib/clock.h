/* clock.h — time: monotonic milliseconds for deadlines and penalties, and seconds or
 * nanoseconds of any clock. */
#ifndef TCPH_CLOCK_H
#define TCPH_CLOCK_H

#include <time.h>

static inline long long clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds of `clock` (CLOCK_MONOTONIC for durations, CLOCK_REALTIME for timestamps). */
static inline double clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nanoseconds of `clock`: CLOCK_THREAD_CPUTIME_ID for the CPU the calling thread has used,
 * exact to add up over many scans. */
static inline unsigned long long clock_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

#endif
