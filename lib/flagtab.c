/* flagtab.c — the generic flag parsers (number with bounds, duration, enum, bool with its
 * --no- form, strings, port lists), defaults, and the --help entries of a table of rows. */
#include "flagtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HELP_COLUMN 30 /* where the help text starts */
#define HELP_WIDTH 92  /* and where it wraps */

int flagtab_parse_port_list(const char *text, uint16_t *ports, unsigned max, unsigned *n,
			    char *err, size_t errlen)
{
	static uint8_t seen[65536 / 8];
	const char *p = text;
	unsigned count = 0;

	memset(seen, 0, sizeof(seen));
	if (!*text) {
		snprintf(err, errlen, "empty port list");
		return -EINVAL;
	}
	for (;;) {
		long low, high;
		char *end;

		errno = 0;
		low = strtol(p, &end, 10);
		if (end == p || errno || *p == '-' || *p == '+' || *p == ' ') {
			snprintf(err, errlen, "'%s': not a port number at '%s'", text, p);
			return -EINVAL;
		}
		high = low;
		if (*end == '-') {
			p = end + 1;
			high = strtol(p, &end, 10);
			if (end == p || errno || *p == '-' || *p == '+' || *p == ' ') {
				snprintf(err, errlen, "'%s': bad range end at '%s'", text, p);
				return -EINVAL;
			}
		}
		if (low < 1 || low > 65535 || high < 1 || high > 65535) {
			snprintf(err, errlen, "'%s': port must be 1-65535", text);
			return -EINVAL;
		}
		if (low > high) {
			snprintf(err, errlen, "'%s': range %ld-%ld is reversed", text, low, high);
			return -EINVAL;
		}
		for (long port = low; port <= high; port++) {
			if (seen[port >> 3] & (1u << (port & 7)))
				continue;
			if (count == max) {
				snprintf(err, errlen, "'%s': more than %u ports", text, max);
				return -EINVAL;
			}
			seen[port >> 3] |= (uint8_t)(1u << (port & 7));
			count++;
		}
		if (*end == '\0')
			break;
		if (*end != ',' || end[1] == '\0') {
			snprintf(err, errlen, "'%s': unexpected '%s'", text, end);
			return -EINVAL;
		}
		p = end + 1;
	}
	*n = 0;
	for (unsigned port = 1; port < 65536; port++)
		if (seen[port >> 3] & (1u << (port & 7)))
			ports[(*n)++] = (uint16_t)port;
	return 0;
}

int flagtab_parse_duration(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
	const char *p = text;
	uint64_t total = 0;

	if (!*text)
		return -EINVAL;
	while (*p) {
		uint64_t value = 0, unit_ms = 0;
		const char *digits = p;
		size_t unit_len;

		while (*p >= '0' && *p <= '9') {
			uint64_t digit = (uint64_t)(*p - '0');

			/* Checked before it can wrap; also keeps the sums below from overflowing. */
			if (value > (max_ms - digit) / 10)
				return -EINVAL;
			value = value * 10 + digit;
			p++;
		}
		if (p == digits)
			return -EINVAL;
		unit_len = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (unit_len == 0) {
			if (p != text + strlen(text) || digits != text)
				return -EINVAL; /* a bare number only as the whole text: seconds */
			unit_ms = 1000;
		}
		for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]) && unit_len; i++)
			if (strlen(units[i].unit) == unit_len && strncmp(units[i].unit, p, unit_len) == 0)
				unit_ms = units[i].ms;
		if (unit_ms == 0)
			return -EINVAL;
		if (value > max_ms / unit_ms)
			return -EINVAL;
		total += value * unit_ms;
		if (total > max_ms)
			return -EINVAL;
		p += unit_len;
	}
	if (total < min_ms)
		return -EINVAL;
	*ms = total;
	return 0;
}

static int parse_number(const struct flagtab_row *row, const char *text, unsigned *out, char *err,
			size_t errlen)
{
	unsigned long long value;
	char *end;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (end == text || *end || errno || text[0] < '0' || text[0] > '9' || value < row->min ||
	    value > row->max) {
		snprintf(err, errlen, "invalid --%s '%s': want a number from %llu to %llu", row->name,
			 text, (unsigned long long)row->min, (unsigned long long)row->max);
		return -EINVAL;
	}
	*out = (unsigned)value;
	return 0;
}

static int parse_duration(const struct flagtab_row *row, const char *text, unsigned *out,
			  char *err, size_t errlen)
{
	uint64_t ms;

	if (flagtab_parse_duration(text, row->min, row->max, &ms) < 0) {
		snprintf(err, errlen,
			 "invalid --%s '%s': want a duration from %llums to %llus (e.g. 500ms, 10s, "
			 "5m, 1h) or a number of seconds",
			 row->name, text, (unsigned long long)row->min,
			 (unsigned long long)(row->max / 1000));
		return -EINVAL;
	}
	if (ms % row->unit_ms) {
		snprintf(err, errlen, "invalid --%s '%s': want whole seconds", row->name, text);
		return -EINVAL;
	}
	*out = (unsigned)(ms / row->unit_ms);
	return 0;
}

/* "a, b, c or d": the choices of an enum row, for its message and its help. */
static void choices_text(const struct flagtab_row *row, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; row->choices[i] && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s",
				      i == 0 ? "" : row->choices[i + 1] ? ", " : " or ",
				      row->choices[i]);
}

static int parse_enum(const struct flagtab_row *row, const char *text, unsigned *out, char *err,
		      size_t errlen)
{
	char choices[200];

	for (unsigned i = 0; row->choices[i]; i++)
		if (strcmp(text, row->choices[i]) == 0) {
			*out = i;
			return 0;
		}
	choices_text(row, choices, sizeof(choices));
	snprintf(err, errlen, "invalid --%s '%s': want %s", row->name, text, choices);
	return -EINVAL;
}

static int add_string(const struct flagtab_row *row, void *config, const char *text, char *err,
		      size_t errlen)
{
	const char **values = (const char **)((char *)config + row->at);
	unsigned *n = (unsigned *)((char *)config + row->count_at);

	for (unsigned i = 0; i < *n; i++)
		if (strcmp(values[i], text) == 0) {
			snprintf(err, errlen, "invalid --%s '%s': given twice", row->name, text);
			return -EINVAL;
		}
	if (*n == row->max) {
		snprintf(err, errlen, "too many --%s: at most %llu", row->name,
			 (unsigned long long)row->max);
		return -EINVAL;
	}
	values[(*n)++] = text;
	return 0;
}

static int parse_ports(const struct flagtab_row *row, const char *text,
		       struct flagtab_ports *out, char *err, size_t errlen)
{
	char reason[160];
	unsigned max = row->max < FLAGTAB_PORTS_MAX ? (unsigned)row->max : FLAGTAB_PORTS_MAX;

	if (flagtab_parse_port_list(text, out->ports, max, &out->n, reason, sizeof(reason)) < 0) {
		snprintf(err, errlen, "invalid --%s %s", row->name, reason);
		return -EINVAL;
	}
	out->text = text;
	return 0;
}

int flagtab_set(const struct flagtab_row *row, void *config, const char *value, bool negated,
		char *err, size_t errlen)
{
	void *field = (char *)config + row->at;

	switch (row->kind) {
	case FLAGTAB_BOOL:
		*(bool *)field = !negated;
		return 0;
	case FLAGTAB_NUMBER:
		return parse_number(row, value, field, err, errlen);
	case FLAGTAB_DURATION:
		return parse_duration(row, value, field, err, errlen);
	case FLAGTAB_ENUM:
		return parse_enum(row, value, field, err, errlen);
	case FLAGTAB_STRING:
		if (row->parse && row->parse(value, config, err, errlen) < 0)
			return -EINVAL;
		*(const char **)field = value;
		return 0;
	case FLAGTAB_STRINGS:
		return add_string(row, config, value, err, errlen);
	case FLAGTAB_PORTS:
		return parse_ports(row, value, field, err, errlen);
	case FLAGTAB_CUSTOM:
		return row->parse(value, config, err, errlen);
	case FLAGTAB_ACTION:
		break;
	}
	snprintf(err, errlen, "--%s stores nothing", row->name);
	return -EINVAL;
}

int flagtab_reset(const struct flagtab *t, void *config, char *err, size_t errlen)
{
	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct flagtab_row *row = &t->rows[i];

		/* Repeatable is exactly "collects its values": any other kind would keep the last. */
		if (!(row->flags & FLAGTAB_REPEATABLE) != (row->kind != FLAGTAB_STRINGS)) {
			snprintf(err, errlen, "--%s: a %s", row->name,
				 row->kind == FLAGTAB_STRINGS ? "strings row not marked repeatable"
							     : "repeatable row that keeps one value");
			return -EINVAL;
		}
		/* A repeatable flag's default stands only when it is not given: its finish sets it. */
		if (!row->def || row->kind == FLAGTAB_STRINGS || row->kind == FLAGTAB_ACTION)
			continue;
		if (row->kind == FLAGTAB_BOOL)
			*(bool *)((char *)config + row->at) = strcmp(row->def, "on") == 0;
		else if (flagtab_set(row, config, row->def, false, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

void flagtab_display_name(const struct flagtab_row *row, char *out, size_t size)
{
	snprintf(out, size, "--%s%s", row->flags & FLAGTAB_NEGATABLE ? "[no-]" : "", row->name);
}

const char *flagtab_default_text(const struct flagtab_row *row)
{
	if (row->kind == FLAGTAB_BOOL)
		return row->def && strcmp(row->def, "on") == 0 ? "on" : "off";
	if (row->kind == FLAGTAB_ACTION)
		return "";
	return row->def_doc ? row->def_doc : row->def ? row->def : "none";
}

/* 100ms, 1s, 5m, 1h, 7d: a bound of a duration row, in its largest whole unit. */
static void duration_text(uint64_t ms, char *out, size_t size)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };

	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms && ms % units[i].ms == 0) {
			snprintf(out, size, "%llu%s", (unsigned long long)(ms / units[i].ms), units[i].unit);
			return;
		}
	snprintf(out, size, "%llums", (unsigned long long)ms);
}

/* What --help adds to a row's text: its bounds or choices and its default. */
static void help_suffix(const struct flagtab_row *row, char *out, size_t size)
{
	const char *def = row->def_doc ? row->def_doc : row->def;
	char low[32], high[32], choices[200];

	switch (row->kind) {
	case FLAGTAB_BOOL:
		if (row->flags & FLAGTAB_NEGATABLE)
			snprintf(out, size, " (default %s)", flagtab_default_text(row));
		else
			out[0] = '\0';
		return;
	case FLAGTAB_NUMBER:
	case FLAGTAB_DURATION:
		if (row->kind == FLAGTAB_NUMBER) {
			snprintf(low, sizeof(low), "%llu", (unsigned long long)row->min);
			snprintf(high, sizeof(high), "%llu", (unsigned long long)row->max);
		} else {
			duration_text(row->min, low, sizeof(low));
			duration_text(row->max, high, sizeof(high));
		}
		snprintf(out, size, " (%s-%s%s%s)", low, high, def ? ", default " : "", def ? def : "");
		return;
	case FLAGTAB_ENUM:
		choices_text(row, choices, sizeof(choices));
		snprintf(out, size, " (%s%s%s)", choices, def ? "; default " : "", def ? def : "");
		return;
	case FLAGTAB_STRINGS:
		snprintf(out, size, " (%s%s%sat most %llu%s)", def ? "default " : "", def ? def : "",
			 def ? "; " : "", (unsigned long long)row->max,
			 row->flags & FLAGTAB_REPEATABLE ? "; repeatable" : "");
		return;
	default:
		if (def)
			snprintf(out, size, " (default %s)", def);
		else
			out[0] = '\0';
		return;
	}
}

/* "  --NAME=ARG", then `text` from HELP_COLUMN on, wrapped at word boundaries. */
static void help_entry(FILE *out, const char *head, const char *text)
{
	int col = fprintf(out, "  %s", head);
	bool line_start = true;

	if (col >= HELP_COLUMN) {
		fputc('\n', out);
		col = 0;
	}
	col += fprintf(out, "%*s", HELP_COLUMN - col, "");
	while (*text) {
		int len = (int)strcspn(text, " ");

		if (!line_start && col + 1 + len > HELP_WIDTH) {
			col = fprintf(out, "\n%*s", HELP_COLUMN, "") - 1;
			line_start = true;
		}
		col += fprintf(out, "%s%.*s", line_start ? "" : " ", len, text);
		line_start = false;
		text += len;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

void flagtab_help(const struct flagtab *t, FILE *out)
{
	fprintf(out, "\n%s:\n", t->title);
	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct flagtab_row *row = &t->rows[i];
		char head[96], suffix[256], text[1024];

		flagtab_display_name(row, head, sizeof(head));
		if (row->arg)
			snprintf(head + strlen(head), sizeof(head) - strlen(head), "=%s", row->arg);
		help_suffix(row, suffix, sizeof(suffix));
		snprintf(text, sizeof(text), "%s%s", row->help, suffix);
		help_entry(out, head, text);
	}
}

void flagtab_dump(const struct flagtab *t, FILE *out)
{
	static const char *const kinds[] = { "bool",	"number",  "duration", "enum",	 "string",
					     "strings", "ports",   "custom",   "action" };

	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct flagtab_row *row = &t->rows[i];
		char name[96];

		flagtab_display_name(row, name, sizeof(name));
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, kinds[row->kind],
			row->arg ? row->arg : "", flagtab_default_text(row), t->owner,
			row->flags & FLAGTAB_REPEATABLE ? "repeatable" : "once", row->help);
	}
}
