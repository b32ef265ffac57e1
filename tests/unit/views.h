/* views.h — what the tests of the views (test_status.c, test_status_events.c) share: a
 * snapshot of the test data, reading the status document with the test failing on a missing
 * or mistyped key, and the exposition and page of a snapshot or document. */
#ifndef TCPH_UNIT_VIEWS_H
#define TCPH_UNIT_VIEWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct snapshot;

/* One scan of every collector on the test data (replay.c), as test_golden.c takes it. */
struct snapshot *views_snapshot(uint64_t scan_number);

/* The value at `key` of `o`; the test fails when it is missing or of another type. */
json_t *views_get(const json_t *o, const char *key);
long long views_int(const json_t *o, const char *key);
const char *views_str(const json_t *o, const char *key);
bool views_bool(const json_t *o, const char *key);

/* The exposition of `s`, NUL-terminated, with a leading newline so every sample line
 * follows one (unit_sample). Free it. */
char *views_metrics(const struct snapshot *s);
/* The page of `doc`, NUL-terminated. Free it. */
char *views_page(const json_t *doc);

#endif
