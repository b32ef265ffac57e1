/* clock.h — time: monotonic milliseconds for deadlines and penalties, and seconds of any
 * clock. */
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

#endif
