/* log.h — the one logging module: leveled lines on stderr, logfmt or JSON. */
#ifndef TCPH_LOG_H
#define TCPH_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_set_level(enum log_level level);

/* logfmt (ts=... level=... msg="..."), or one JSON object a line, as --log.format of the
 * Prometheus exporters. */
enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };
void log_set_format(enum log_format format);
/* --log.level and --log.format (rows in log.c). */
struct log_flags {
	enum log_level level;
	enum log_format format;
};
struct flagtab;
extern const struct flagtab log_flags_table;
/* Sets the level and format; before any thread starts. */
void log_flags_apply(const struct log_flags *flags);

/* Writes one line (see enum log_format) when level is at or above the configured one. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Repeated lines of one thread, for the scanner: while on (for the calling thread only), a
 * warn or error line whose text was written less than LOG_REPEAT_MS ago is not written
 * again but counted; the next time it comes after that, it is written with "(N more times
 * in the last S s)". A collector that fails the same way every scan (EMFILE, ENOMEM, an
 * unreadable file) logs the first failure and then at most one line a minute. */
#define LOG_REPEAT_MS 60000
void log_limit_repeats(bool on);
/* For tests: the interval of the above instead of LOG_REPEAT_MS (0: LOG_REPEAT_MS again). */
void log_set_repeat_ms(unsigned ms);

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
