/* test_process.c — the exporter's own process figures: /proc/PID/stat parsing (a comm with
 * spaces and parentheses included) and a read of the test's own /proc/self. */
#include "../../exporter/process.h"
#include "../../lib/log.h"
#include "unit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>

START_TEST(stat_parsed_after_the_last_parenthesis)
{
	/* A real line's shape, the comm chosen to break a naive split: ") (x y) 1 2 (". */
	static const char stat[] =
		"4242 () (x y) 1 2 () S 1 4242 4242 0 -1 4194560 1500 0 3 0 "
		"250 125 0 0 20 0 7 0 360000 120414208 1536 18446744073709551615 1 1 0 0 0 0 0 "
		"4096 0 0 0 0 17 1 0 0 0 0 0\n";
	struct process_stats p = { 0 };

	ck_assert_int_eq(process_stat_parse(stat, 100, 4096, 1795000000.0, &p), 0);
	ck_assert_double_eq_tol(p.cpu_seconds, 3.75, 1e-9); /* (250 + 125) / 100 */
	ck_assert_double_eq_tol(p.start_time, 1795003600.0, 1e-6); /* btime + 360000 / 100 */
	ck_assert_uint_eq(p.virtual_bytes, 120414208);
	ck_assert_uint_eq(p.resident_bytes, 1536u * 4096u);
}
END_TEST

START_TEST(bad_stat_refused)
{
	struct process_stats p = { 0 };

	ck_assert_int_lt(process_stat_parse("4242 no parenthesis S 1", 100, 4096, 0, &p), 0);
	ck_assert_int_lt(process_stat_parse("4242 (x) S 1 2", 100, 4096, 0, &p), 0); /* cut short */
	ck_assert_int_lt(process_stat_parse("", 100, 4096, 0, &p), 0);
	ck_assert_int_lt(process_stat_parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1 1",
					    0, 4096, 0, &p), 0); /* no ticks */
}
END_TEST

START_TEST(own_process_read)
{
	struct process_stats p;
	FILE *extra;
	unsigned long before, after;

	ck_assert_int_eq(process_stats_read(&p), 0);
	before = p.open_fds;
	extra = tmpfile(); /* one more open fd than before */
	ck_assert_ptr_nonnull(extra);
	ck_assert_int_eq(process_stats_read(&p), 0);
	after = p.open_fds;
	fclose(extra);
	ck_assert(p.present);
	ck_assert_uint_eq(after, before + 1);
	ck_assert_uint_gt(p.max_fds, 0);
	ck_assert_uint_gt(p.resident_bytes, 0);
	ck_assert_uint_ge(p.virtual_bytes, p.resident_bytes);
	/* Started in the last day, not in the future. */
	ck_assert(p.start_time <= (double)time(NULL) + 1 && p.start_time > (double)time(NULL) - 86400);
}
END_TEST

/* --log.format=json: a message with quotes, backslashes, control characters and bytes that
 * are not UTF-8 is still one valid JSON object whose msg reads back. */
START_TEST(log_json_line_is_valid)
{
	char path[] = "/tmp/tcph-log-XXXXXX", line[4096];
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;
	json_t *doc;
	json_error_t error;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_eq(dup2(fd, 2), 2);
	log_set_format(LOG_FORMAT_JSON);
	log_msg(LOG_LEVEL_ERROR, "cannot read \"%s\": a\\b\x01" "c\xff", "/p\tq");
	log_set_format(LOG_FORMAT_LOGFMT);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	doc = json_loads(line, 0, &error);
	ck_assert_msg(doc != NULL, "not JSON: %s (%s)", line, error.text);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "level")), "error");
	/* logfmt's rule (quotes become ') applies first; control characters and the bad byte
	 * become '?' for JSON. */
	ck_assert_str_eq(json_string_value(json_object_get(doc, "msg")), "cannot read '/p?q': a\\b?c?");
	json_decref(doc);
}
END_TEST

Suite *process_suite(void)
{
	Suite *s = suite_create("process");
	TCase *tc = tcase_create("stat");

	tcase_add_test(tc, stat_parsed_after_the_last_parenthesis);
	tcase_add_test(tc, bad_stat_refused);
	tcase_add_test(tc, own_process_read);
	tcase_add_test(tc, log_json_line_is_valid);
	suite_add_tcase(s, tc);
	return s;
}
