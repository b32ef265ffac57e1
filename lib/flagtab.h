/* flagtab.h — command-line flags as rows of tables, a leaf that exporter/ and collectors/
 * both include. As tmux keeps one cmd_entry per command and nginx one ngx_command_t per
 * directive, each module keeps the rows of the flags that configure it beside its code:
 * name, kind, where the value is stored (an offset into that module's flag struct), the
 * default, bounds or a parser, and the help text. This file has the generic parsers;
 * exporter/flags.c assembles the tables, reads argv and prints --help from them. */
#ifndef TCPH_FLAGTAB_H
#define TCPH_FLAGTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLAGTAB_PORTS_MAX 4096 /* ports a FLAGTAB_PORTS value holds at most */

enum flagtab_kind {
	FLAGTAB_BOOL,	  /* bool: --NAME sets it; with FLAGTAB_NEGATABLE --no-NAME clears it */
	FLAGTAB_NUMBER,	  /* unsigned in [min, max] */
	FLAGTAB_DURATION, /* unsigned: a duration of [min, max] ms, stored in units of unit_ms */
	FLAGTAB_ENUM,	  /* unsigned: the index of the value in `choices` */
	FLAGTAB_STRING,	  /* const char *, into argv; `parse`, when set, may refuse the value */
	FLAGTAB_STRINGS,  /* FLAGTAB_REPEATABLE: const char *[max] at `at`, unsigned count at
			   * `count_at`; each value once */
	FLAGTAB_PORTS,	  /* struct flagtab_ports: "1202,3720,8000-8010", at most `max` ports */
	FLAGTAB_CUSTOM,	  /* `parse` reads the value and stores what it makes of it */
	FLAGTAB_ACTION,	  /* --help, --version: nothing stored; the caller acts on it */
};

#define FLAGTAB_NEGATABLE 1u /* FLAGTAB_BOOL: --no-NAME too; --help shows --[no-]NAME */
/* The flag may be given more than once (FLAGTAB_STRINGS collects each value). Any other row
 * is read at most once: a second --NAME, or --no-NAME after --NAME, is refused. --help,
 * README and the man page say which rows are repeatable. */
#define FLAGTAB_REPEATABLE 2u

struct flagtab_row {
	const char *name; /* without the leading "--" */
	enum flagtab_kind kind;
	const char *arg;  /* the value's placeholder in --help (N, DURATION); NULL: takes none */
	size_t at;	  /* offset of the value in the table's struct */
	size_t count_at;  /* FLAGTAB_STRINGS: offset of the unsigned count */
	uint64_t min, max; /* NUMBER; DURATION in ms; STRINGS and PORTS: max entries */
	unsigned unit_ms; /* DURATION: 1 stores ms, 1000 whole seconds (others are refused) */
	const char *const *choices; /* ENUM: the values, NULL-terminated */
	/* STRING: 0 to accept the value, or -EINVAL with one line in err. CUSTOM: parses and
	 * stores it into `config` (the table's struct). */
	int (*parse)(const char *value, void *config, char *err, size_t errlen);
	const char *def;     /* the default as it would be typed ("250", "10s", "self"), set by
			      * the row's own parser; bool: "on" or NULL. NULL: zero, "none" */
	const char *def_doc; /* the default in words when it is not a value ("one per online CPU") */
	const char *help;    /* what it does; --help adds bounds and the default */
	unsigned flags;	     /* FLAGTAB_NEGATABLE, FLAGTAB_REPEATABLE */
};

/* The rows of one module, and the checks that involve several of them. */
struct flagtab {
	const char *owner; /* the collector or module configured: "tcp", "netns", "web", ... */
	const char *title; /* its heading in --help */
	const struct flagtab_row *rows;
	unsigned n_rows;
	/* After every flag is read: checks between rows of this table and what follows from
	 * them; given[i] tells whether rows[i] was on the command line. NULL: none. */
	int (*finish)(void *config, const bool *given, char *err, size_t errlen);
};

struct flagtab_ports {
	const char *text; /* as given; NULL when not */
	unsigned n;
	uint16_t ports[FLAGTAB_PORTS_MAX]; /* sorted, unique, 1..65535 */
};

/* Sets every row's default in `config` (which the caller has zeroed). 0, or -EINVAL when
 * a default does not parse or a row is marked FLAGTAB_REPEATABLE without being
 * FLAGTAB_STRINGS or the other way round (bugs in the table; err says which). */
int flagtab_reset(const struct flagtab *t, void *config, char *err, size_t errlen);

/* Stores `value` for `row` (NULL for a flag without value; `negated` for --no-NAME).
 * 0, or -EINVAL with one line naming the flag and the value in err. */
int flagtab_set(const struct flagtab_row *row, void *config, const char *value, bool negated,
		char *err, size_t errlen);

/* "--[no-]NAME" or "--NAME": how --help, README and the man page write the flag. */
void flagtab_display_name(const struct flagtab_row *row, char *out, size_t size);
/* The default in words, as README's flag table gives it: "250", "on", "none". */
const char *flagtab_default_text(const struct flagtab_row *row);

/* The table's heading and one entry per row, wrapped to fit 92 columns. */
void flagtab_help(const struct flagtab *t, FILE *out);
/* One line per row: display name, kind, placeholder, default, owner, "repeatable" or
 * "once", help (tab-separated). */
void flagtab_dump(const struct flagtab *t, FILE *out);

/* Parses a duration: "500ms", "10s", "5m", "1h", "1d", sums such as "1m30s", or a plain
 * number of seconds. The result, in milliseconds, must lie in [min_ms, max_ms].
 * 0 or -EINVAL. */
int flagtab_parse_duration(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *ms);

/* Parses "1202,3720,8000-8010" into sorted, de-duplicated ports in 1..65535; at most
 * `max` of them. 0 or -EINVAL with the reason in `err`. */
int flagtab_parse_port_list(const char *text, uint16_t *ports, unsigned max, unsigned *n,
			    char *err, size_t errlen);

#endif
