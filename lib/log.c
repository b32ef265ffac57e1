/* log.c — leveled logging to stderr, a leaf used by collectors/ and exporter/. One line per
 * message, written with a single fprintf (stdio locks the stream, so lines from several
 * threads never interleave) and flushed at once for container runtimes and journald. */
#include "log.h"

#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Set once by main before any thread starts; read-only afterwards. */
static enum log_level current_level = LOG_LEVEL_INFO;
static enum log_format current_format = LOG_FORMAT_LOGFMT;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

int log_parse_level(const char *name, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

int log_parse_format(const char *name, enum log_format *out)
{
	if (strcmp(name, "logfmt") == 0)
		*out = LOG_FORMAT_LOGFMT;
	else if (strcmp(name, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -EINVAL;
	return 0;
}

void log_set_format(enum log_format format)
{
	current_format = format;
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

void log_msg(enum log_level level, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (level < current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
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
