/* log.c — leveled logging to stderr, a leaf used by collectors/ and exporter/. One line per
 * message, written with a single fprintf (stdio locks the stream, so lines from several
 * threads never interleave) and flushed at once for container runtimes and journald. */
#include "log.h"

#include "flagtab.h"
#include "utf8.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Set once by main before any thread starts; read-only afterwards. */
static enum log_level current_level = LOG_LEVEL_INFO;
static enum log_format current_format = LOG_FORMAT_LOGFMT;
static const char *const level_names[] = { "debug", "info", "warn", "error", NULL };

void log_set_level(enum log_level level)
{
	current_level = level;
}

void log_set_format(enum log_format format)
{
	current_format = format;
}

/* An enum row stores an unsigned index: the values are the index into its choices. */
_Static_assert(sizeof(enum log_level) == sizeof(unsigned) && sizeof(enum log_format) == sizeof(unsigned),
	       "enums stored as unsigned");
static const char *const format_names[] = { "logfmt", "json", NULL };
static const struct flagtab_row rows[] = {
	{ .name = "log.level", .kind = FLAGTAB_ENUM, .arg = "LEVEL",
	  .at = offsetof(struct log_flags, level), .choices = level_names, .def = "info",
	  .help = "the least severe messages written" },
	{ .name = "log.format", .kind = FLAGTAB_ENUM, .arg = "FORMAT",
	  .at = offsetof(struct log_flags, format), .choices = format_names, .def = "logfmt",
	  .help = "one line a message on stderr" },
};

const struct flagtab log_flags_table = {
	.owner = "log",
	.title = "Logging",
	.rows = rows,
	.n_rows = sizeof(rows) / sizeof(rows[0]),
};

void log_flags_apply(const struct log_flags *flags)
{
	log_set_level(flags->level);
	log_set_format(flags->format);
}

/* `text` as the inside of a JSON string: quote, backslash and control characters escaped
 * (the message is already free of newlines and quotes for logfmt; this keeps JSON valid
 * whatever a caller passes). */
static void json_escape(const char *text, char *out, size_t size)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p && n + 7 < size; p++) {
		if (*p == '"' || *p == '\\') {
			out[n++] = '\\';
			out[n++] = (char)*p;
		} else if (*p < 0x20) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", *p);
		} else {
			out[n++] = (char)*p;
		}
	}
	out[n] = '\0';
}

/* The lines written lately by threads that limit repeats, by a hash of their text, in
 * sets of REPEAT_WAYS: a line takes a free way of its set or the one written longest ago,
 * so a few lines repeating at once never evict each other (with one way per hash, two
 * lines sharing a slot were each written every time). */
#define REPEAT_SLOTS 64
#define REPEAT_WAYS 8
static __thread bool limit_repeats;
static pthread_mutex_t repeat_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint64_t hash; /* 0: free */
	long long written_ms;
	unsigned long long suppressed;
} repeats[REPEAT_SLOTS];

static _Atomic unsigned repeat_ms = LOG_REPEAT_MS;

void log_limit_repeats(bool on)
{
	limit_repeats = on;
}

void log_set_repeat_ms(unsigned ms)
{
	repeat_ms = ms ? ms : LOG_REPEAT_MS;
}

/* Whether `text` is to be written now; *suppressed: how often it was left out since. */
static bool repeat_write(const char *text, unsigned long long *suppressed, long long *since_ms)
{
	uint64_t hash = 1469598103934665603ull; /* FNV-1a */
	struct timespec ts;
	long long now;
	unsigned slot;
	bool write = true;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		hash = (hash ^ *p) * 1099511628211ull;
	hash |= 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	*suppressed = 0;
	pthread_mutex_lock(&repeat_lock);
	{
		unsigned set = (unsigned)(hash % (REPEAT_SLOTS / REPEAT_WAYS)) * REPEAT_WAYS;

		slot = set;
		for (unsigned w = set; w < set + REPEAT_WAYS; w++) {
			if (repeats[w].hash == hash) {
				slot = w;
				break;
			}
			if (!repeats[w].hash ? repeats[slot].hash != 0
					     : repeats[slot].hash && repeats[w].written_ms < repeats[slot].written_ms)
				slot = w;
		}
	}
	if (repeats[slot].hash == hash && now - repeats[slot].written_ms < (long long)repeat_ms) {
		repeats[slot].suppressed++;
		write = false;
	} else {
		if (repeats[slot].hash == hash) {
			*suppressed = repeats[slot].suppressed;
			*since_ms = now - repeats[slot].written_ms;
		}
		repeats[slot].hash = hash;
		repeats[slot].written_ms = now;
		repeats[slot].suppressed = 0;
	}
	pthread_mutex_unlock(&repeat_lock);
	return write;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (level < current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (limit_repeats && level >= LOG_LEVEL_WARN) {
		unsigned long long suppressed;
		long long since_ms = 0;
		size_t len = strlen(text);

		if (!repeat_write(text, &suppressed, &since_ms))
			return;
		if (suppressed && len < sizeof(text))
			snprintf(text + len, sizeof(text) - len, " (%llu more times in the last %lld s)",
				 suppressed, since_ms / 1000);
	}
	/* Quotes inside the message would break logfmt parsers: replace them. */
	for (char *p = text; *p; p++)
		if (*p == '"' || *p == '\n')
			*p = '\'';
	{
		struct timespec now;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		if (current_format == LOG_FORMAT_JSON) {
			char escaped[sizeof(text) * 6 + 8];

			utf8_sanitize(text); /* JSON is UTF-8; a message may quote any path */
			json_escape(text, escaped, sizeof(escaped));
			fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"}\n", stamp,
				now.tv_nsec / 1000000, level_names[level], escaped);
		} else {
			fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"\n", stamp, now.tv_nsec / 1000000,
				level_names[level], text);
		}
	}
	fflush(stderr);
}
