/* log.h — the one logging module: leveled lines on stderr, logfmt or JSON. */
#ifndef TCPH_LOG_H
#define TCPH_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Parses "debug", "info", "warn" or "error"; returns 0 or -EINVAL. */
int log_parse_level(const char *name, enum log_level *out);
void log_set_level(enum log_level level);

/* logfmt (ts=... level=... msg="..."), or one JSON object a line, as --log.format of the
 * Prometheus exporters. */
enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };
int log_parse_format(const char *name, enum log_format *out);
void log_set_format(enum log_format format);
/* Writes one line (see enum log_format) when level is at or above the configured one. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
