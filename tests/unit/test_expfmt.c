/* test_expfmt.c — text format writer: escaping, values, histograms, buffer handling. */
#include "../../exporter/expfmt.h"
#include "unit.h"

#include <errno.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct expfmt_buf buf;

static void setup(void)
{
	ck_assert_int_eq(expfmt_init(&buf, 16), 0); /* tiny: every test makes it grow */
}

static void teardown(void)
{
	expfmt_fini(&buf);
}

static const char *text(void)
{
	expfmt_append(&buf, "", 1);
	buf.len--;
	return buf.data;
}

START_TEST(label_values_escape_backslash_quote_newline)
{
	const struct expfmt_label labels[] = { { "a", "x\\y" }, { "b", "say \"hi\"" }, { "c", "1\n2" } };

	expfmt_sample_u64(&buf, "m", labels, 3, 7);
	ck_assert_str_eq(text(), "m{a=\"x\\\\y\",b=\"say \\\"hi\\\"\",c=\"1\\n2\"} 7\n");
}
END_TEST

START_TEST(help_escapes_backslash_and_newline_but_not_quote)
{
	expfmt_family(&buf, "m", "gauge", "a \\ b \"q\"\nnext");
	ck_assert_str_eq(text(), "# HELP m a \\\\ b \"q\"\\nnext\n# TYPE m gauge\n");
}
END_TEST

START_TEST(sample_without_labels)
{
	expfmt_sample_u64(&buf, "m_total", NULL, 0, 18446744073709551615ull);
	ck_assert_str_eq(text(), "m_total 18446744073709551615\n");
}
END_TEST

START_TEST(doubles_round_trip_and_specials)
{
	char out[32];

	expfmt_format_double(out, 0.1);
	ck_assert_str_eq(out, "0.1");
	expfmt_format_double(out, 1e-06);
	ck_assert_str_eq(out, "1e-06");
	expfmt_format_double(out, 0.30000000000000004);
	ck_assert_double_eq(strtod(out, NULL), 0.30000000000000004);
	expfmt_format_double(out, NAN);
	ck_assert_str_eq(out, "NaN");
	expfmt_format_double(out, INFINITY);
	ck_assert_str_eq(out, "+Inf");
	expfmt_format_double(out, -INFINITY);
	ck_assert_str_eq(out, "-Inf");
	expfmt_format_double(out, 300);
	ck_assert_str_eq(out, "300");
}
END_TEST

START_TEST(histogram_is_cumulative_with_inf_sum_count)
{
	const double bounds[] = { 1, 10 };
	const uint64_t counts[] = { 2, 3 };
	const struct expfmt_label label = { "port", "80" };

	expfmt_histogram(&buf, "h", &label, 1, bounds, counts, 2, 6, 42.5);
	ck_assert_str_eq(text(), "h_bucket{port=\"80\",le=\"1\"} 2\n"
				 "h_bucket{port=\"80\",le=\"10\"} 5\n"
				 "h_bucket{port=\"80\",le=\"+Inf\"} 6\n"
				 "h_sum{port=\"80\"} 42.5\n"
				 "h_count{port=\"80\"} 6\n");
}
END_TEST

START_TEST(growth_truncate_and_detach)
{
	size_t len;
	char *data;

	for (int i = 0; i < 1000; i++)
		expfmt_printf(&buf, "line %d\n", i);
	ck_assert_int_eq(buf.error, 0);
	ck_assert(strstr(text(), "line 999\n") != NULL);
	expfmt_truncate(&buf, 7);
	ck_assert_str_eq(text(), "line 0\n");
	data = expfmt_detach(&buf, &len);
	ck_assert_uint_eq(len, 7);
	ck_assert_ptr_null(buf.data);
	free(data);
}
END_TEST

/* A sink that appends everything it is handed to a second, ordinary buffer. */
static int collect_sink(void *ctx, const char *data, size_t len)
{
	struct expfmt_buf *all = ctx;

	ck_assert_uint_le(len, 64); /* never more than the streaming buffer holds */
	expfmt_append(all, data, len);
	return all->error;
}

static int failing_sink(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return -EIO;
}

static void write_sample_text(struct expfmt_buf *b)
{
	const struct expfmt_label labels[] = { { "port", "1202" }, { "role", "server" } };

	for (int i = 0; i < 40; i++) {
		expfmt_family(b, "tcp_health_connections", "gauge", "a \\ help\nline");
		expfmt_sample_u64(b, "tcp_health_connections", labels, 2, (uint64_t)i * 1000003u);
		expfmt_printf(b, "# a printf line long enough to need a flush first %d\n", i);
	}
}

START_TEST(streaming_through_a_sink_gives_the_same_text)
{
	struct expfmt_buf plain, streamed, all;

	ck_assert_int_eq(expfmt_init(&plain, 0), 0);
	ck_assert_int_eq(expfmt_init(&streamed, 64), 0);
	ck_assert_int_eq(expfmt_init(&all, 0), 0);
	streamed.sink = collect_sink;
	streamed.sink_ctx = &all;
	write_sample_text(&plain);
	write_sample_text(&streamed);
	ck_assert_int_eq(expfmt_flush(&streamed), 0);
	ck_assert_uint_eq(streamed.cap, 64); /* emptied into the sink, never grown */
	ck_assert_uint_eq(all.len, plain.len);
	ck_assert(memcmp(all.data, plain.data, plain.len) == 0);
	expfmt_fini(&plain);
	expfmt_fini(&all);
	/* A sink that fails makes the error sticky. */
	streamed.sink = failing_sink;
	write_sample_text(&streamed);
	ck_assert_int_eq(expfmt_flush(&streamed), -EIO);
	ck_assert_int_eq(streamed.error, -EIO);
	expfmt_fini(&streamed);
}
END_TEST

Suite *expfmt_suite(void)
{
	Suite *s = suite_create("expfmt");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, label_values_escape_backslash_quote_newline);
	tcase_add_test(tc, help_escapes_backslash_and_newline_but_not_quote);
	tcase_add_test(tc, sample_without_labels);
	tcase_add_test(tc, doubles_round_trip_and_specials);
	tcase_add_test(tc, histogram_is_cumulative_with_inf_sum_count);
	tcase_add_test(tc, growth_truncate_and_detach);
	tcase_add_test(tc, streaming_through_a_sink_gives_the_same_text);
	suite_add_tcase(s, tc);
	return s;
}
