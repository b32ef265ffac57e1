/* views.c — see views.h. */
#include "views.h"

#include "../../exporter/expfmt.h"
#include "../../exporter/render_html.h"
#include "../../exporter/render_metrics.h"
#include "replay.h"

#include <check.h>
#include <string.h>

struct snapshot *views_snapshot(uint64_t scan_number)
{
	struct replay replay;
	struct snapshot *s = replay_snapshot(&replay, scan_number);

	replay_free(&replay);
	return s;
}

json_t *views_get(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(v != NULL, "no \"%s\" in the document", key);
	return v;
}

long long views_int(const json_t *o, const char *key)
{
	const json_t *v = views_get(o, key);

	ck_assert_msg(json_is_integer(v), "\"%s\" is not an integer", key);
	return (long long)json_integer_value(v);
}

const char *views_str(const json_t *o, const char *key)
{
	const json_t *v = views_get(o, key);

	ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

bool views_bool(const json_t *o, const char *key)
{
	const json_t *v = views_get(o, key);

	ck_assert_msg(json_is_boolean(v), "\"%s\" is not a boolean", key);
	return json_is_true(v);
}

char *views_metrics(const struct snapshot *s)
{
	struct expfmt_buf text;
	char *data;
	size_t len;

	ck_assert_int_eq(expfmt_init(&text, 0), 0);
	expfmt_append(&text, "\n", 1);
	ck_assert_int_eq(render_metrics(s, &text), 0);
	expfmt_append(&text, "", 1);
	ck_assert_int_eq(text.error, 0);
	data = expfmt_detach(&text, &len);
	expfmt_fini(&text);
	return data;
}

char *views_page(const json_t *doc)
{
	struct expfmt_buf buf;
	char *page;
	size_t len;

	ck_assert_int_eq(expfmt_init(&buf, 0), 0);
	ck_assert_int_eq(render_html(doc, "/metrics", &buf), 0);
	expfmt_append(&buf, "", 1);
	ck_assert_int_eq(buf.error, 0);
	page = expfmt_detach(&buf, &len);
	expfmt_fini(&buf);
	ck_assert_uint_eq(strlen(page) + 1, len);
	return page;
}
