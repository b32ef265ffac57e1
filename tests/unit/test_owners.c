/* test_owners.c — the listener owner cache on crafted /proc trees: fd symlinks
 * "socket:[N]" and comm files, a walk bounded per scan and resumed, inodes nobody owns
 * looked for once per full pass, entries dropped when no longer wanted. */
#include "../../collectors/owners.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

/* A process PID named COMM whose fds 3, 4, ... are the given socket inodes. */
static void process(int pid, const char *comm, const unsigned *inodes, unsigned n)
{
	char path[256], target[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/comm", root, pid);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", comm);
	fclose(f);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%d/fd/%u", root, pid, 3 + i);
		snprintf(target, sizeof(target), "socket:[%u]", inodes[i]);
		ck_assert_int_eq(symlink(target, path), 0);
	}
	/* Not sockets: skipped. */
	snprintf(path, sizeof(path), "%s/%d/fd/0", root, pid);
	ck_assert_int_eq(symlink("/dev/null", path), 0);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/tcph-owners-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *scan(struct owners *o, const unsigned *want, unsigned n, unsigned ask)
{
	static char comm[TCPAGG_PROCESS_NAME];
	const char *got;

	owners_begin(o);
	for (unsigned i = 0; i < n; i++)
		owners_want(o, want[i], true);
	owners_resolve(o);
	got = owners_get(o, ask);
	snprintf(comm, sizeof(comm), "%s", got ? got : "");
	return comm;
}

START_TEST(finds_owners_and_stops_walking)
{
	static const unsigned a[] = { 1001, 1002 }, b[] = { 2001 }, want[] = { 1002, 2001 };
	struct owners *o;
	struct owners_stats st;
	uint64_t walked;

	process(10, "nginx", a, 2);
	process(20, "softswitch_1720", b, 1); /* 15 bytes, as long as comm gets */
	ck_assert_int_eq(owners_create(&o, root, 0), 0);
	ck_assert_str_eq(scan(o, want, 2, 1002), "nginx");
	ck_assert_str_eq(owners_get(o, 2001), "softswitch_1720");
	owners_stats(o, &st);
	ck_assert_uint_eq(st.wanted, 2);
	ck_assert_uint_eq(st.unresolved, 0);
	walked = st.fds_read; /* a walk stops inside a process once nothing is pending */
	ck_assert(walked >= 4 && walked <= 5);
	owners_end(o);
	/* Steady state: everything known, no fd is read again. */
	ck_assert_str_eq(scan(o, want, 2, 2001), "softswitch_1720");
	owners_stats(o, &st);
	ck_assert_uint_eq(st.fds_read, walked);
	owners_end(o);
	owners_destroy(o);
}
END_TEST

START_TEST(walk_is_bounded_and_resumed)
{
	static const unsigned a[] = { 11, 12, 13 }, b[] = { 21, 22, 23 }, c[] = { 31 };
	static const unsigned want[] = { 31 };
	struct owners *o;
	struct owners_stats st;

	process(100, "first", a, 3);
	process(200, "second", b, 3);
	process(300, "third", c, 1);
	ck_assert_int_eq(owners_create(&o, root, 4), 0); /* 4 fd entries per scan */
	ck_assert_str_eq(scan(o, want, 1, 31), "");	  /* 100 (4 entries), then out of budget */
	owners_end(o);
	ck_assert_str_eq(scan(o, want, 1, 31), "");	  /* 200 */
	owners_end(o);
	ck_assert_str_eq(scan(o, want, 1, 31), "third"); /* resumed at 300 */
	owners_stats(o, &st);
	ck_assert(st.fds_read >= 9 && st.fds_read <= 10); /* 4 + 4, then 300's until found */
	owners_end(o);
	owners_destroy(o);
}
END_TEST

START_TEST(unowned_inode_is_looked_for_once)
{
	static const unsigned a[] = { 1 }, want[] = { 999 };
	struct owners *o;
	struct owners_stats st;

	process(5, "x", a, 1);
	ck_assert_int_eq(owners_create(&o, root, 0), 0);
	ck_assert_str_eq(scan(o, want, 1, 999), "");
	owners_stats(o, &st);
	ck_assert_uint_eq(st.unresolved, 1);
	ck_assert_uint_eq(st.fds_read, 2);
	owners_end(o);
	/* A whole pass did not find it: not looked for again while it stays wanted. */
	ck_assert_str_eq(scan(o, want, 1, 999), "");
	owners_stats(o, &st);
	ck_assert_uint_eq(st.fds_read, 2);
	ck_assert_uint_eq(st.unresolved, 1);
	owners_end(o);
	/* Gone for a scan, then back (a new socket may reuse the inode): looked for anew. */
	ck_assert_str_eq(scan(o, NULL, 0, 999), "");
	owners_end(o);
	ck_assert_str_eq(scan(o, want, 1, 999), "");
	owners_stats(o, &st);
	ck_assert_uint_eq(st.fds_read, 4);
	owners_end(o);
	owners_destroy(o);
}
END_TEST

START_TEST(entries_not_wanted_are_dropped)
{
	static const unsigned a[] = { 7 }, want[] = { 7 };
	struct owners *o;
	struct owners_stats st;

	process(1, "old", a, 1);
	ck_assert_int_eq(owners_create(&o, root, 0), 0);
	ck_assert_str_eq(scan(o, want, 1, 7), "old");
	owners_end(o);
	ck_assert_str_eq(scan(o, NULL, 0, 7), "old"); /* still cached during this scan */
	owners_end(o);				      /* dropped here */
	owners_stats(o, &st);
	ck_assert_uint_eq(st.wanted, 0);
	ck_assert_ptr_null(owners_get(o, 7));
	owners_destroy(o);
}
END_TEST

/* Connections (worst lists) are named too, but the figures count listener inodes only. */
START_TEST(only_listener_inodes_are_counted)
{
	static const unsigned a[] = { 501 };
	struct owners *o;
	struct owners_stats st;

	process(10, "worker", a, 1);
	ck_assert_int_eq(owners_create(&o, root, 0), 0);
	owners_begin(o);
	owners_want(o, 901, true);  /* a listener nobody owns */
	owners_want(o, 902, false); /* a connection nobody owns */
	owners_want(o, 501, false); /* a connection of "worker" */
	owners_resolve(o);
	owners_stats(o, &st);
	ck_assert_uint_eq(st.wanted, 1);
	ck_assert_uint_eq(st.unresolved, 1);
	ck_assert_str_eq(owners_get(o, 501), "worker");
	ck_assert_ptr_null(owners_get(o, 902));
	ck_assert_ptr_null(owners_get(o, 901));
	owners_end(o);

	/* Wanted both ways in one scan (the scanner wants listeners first, then connections):
	 * a listener. Not wanted as one the next scan: not counted any more. */
	owners_begin(o);
	owners_want(o, 501, true);
	owners_want(o, 501, false);
	owners_want(o, 901, true);
	owners_resolve(o);
	owners_stats(o, &st);
	ck_assert_uint_eq(st.wanted, 2);
	ck_assert_uint_eq(st.unresolved, 1);
	owners_end(o);
	owners_begin(o);
	owners_want(o, 501, false);
	owners_resolve(o);
	owners_stats(o, &st);
	ck_assert_uint_eq(st.wanted, 0);
	ck_assert_uint_eq(st.unresolved, 0);
	ck_assert_str_eq(owners_get(o, 501), "worker");
	owners_end(o);
	owners_destroy(o);
}
END_TEST

/* Worst connections churn, so some are nearly always pending: alone they walk on
 * OWNERS_CONNECTION_WALK_BUDGET a scan; a listener pending gets the full budget. */
START_TEST(connections_alone_walk_on_a_small_budget)
{
	static unsigned junk[500];
	static const unsigned target[] = { 99999 };
	struct owners *o;
	struct owners_stats st;
	unsigned scans = 0;

	for (int p = 0; p < 10; p++) { /* 5,000 fds owned by nobody we want */
		char comm[16];

		for (unsigned i = 0; i < 500; i++)
			junk[i] = 1000u + (unsigned)p * 500u + i;
		snprintf(comm, sizeof(comm), "busy%d", p);
		process(100 + p, comm, junk, 500);
	}
	process(200, "owner", target, 1);
	ck_assert_int_eq(owners_create(&o, root, 0), 0);
	/* A connection: 2,000 entries a scan, found in the end. */
	do {
		owners_begin(o);
		owners_want(o, 99999, false);
		owners_resolve(o);
		owners_stats(o, &st);
		scans++;
		ck_assert_uint_le(st.fds_read, scans * OWNERS_CONNECTION_WALK_BUDGET);
		owners_end(o);
	} while (!owners_get(o, 99999) && scans < 10);
	ck_assert_str_eq(owners_get(o, 99999), "owner");
	ck_assert_uint_ge(scans, 2);
	owners_destroy(o);
	/* A listener: the whole walk in one scan. */
	ck_assert_int_eq(owners_create(&o, root, 0), 0);
	owners_begin(o);
	owners_want(o, 99999, true);
	owners_resolve(o);
	ck_assert_str_eq(owners_get(o, 99999), "owner");
	owners_end(o);
	owners_destroy(o);
}
END_TEST

/* One process with more fds than the budget: the walk stops inside it and resumes at the
 * next fd, so no scan reads more than the budget and every fd is read once a pass. */
START_TEST(budget_holds_inside_a_big_process)
{
	static unsigned many[3000];
	struct owners *o;
	struct owners_stats st;
	unsigned scans = 0;

	for (unsigned i = 0; i < 3000; i++)
		many[i] = 5000u + i;
	process(100, "big", many, 3000); /* fds 0, 3..3002; the wanted one is the last */
	ck_assert_int_eq(owners_create(&o, root, 700), 0);
	do {
		owners_begin(o);
		owners_want(o, 7999, true);
		owners_resolve(o);
		owners_stats(o, &st);
		scans++;
		ck_assert_uint_le(st.fds_read, scans * 700);
		owners_end(o);
	} while (!owners_get(o, 7999) && scans < 10);
	ck_assert_str_eq(owners_get(o, 7999), "big");
	ck_assert_uint_eq(scans, 5);		/* 3,001 entries, 700 a scan */
	ck_assert_uint_eq(st.fds_read, 3001); /* each read once */
	owners_destroy(o);
}
END_TEST

Suite *owners_suite(void)
{
	Suite *s = suite_create("owners");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, finds_owners_and_stops_walking);
	tcase_add_test(tc, walk_is_bounded_and_resumed);
	tcase_add_test(tc, unowned_inode_is_looked_for_once);
	tcase_add_test(tc, entries_not_wanted_are_dropped);
	tcase_add_test(tc, only_listener_inodes_are_counted);
	tcase_add_test(tc, connections_alone_walk_on_a_small_budget);
	tcase_add_test(tc, budget_holds_inside_a_big_process);
	suite_add_tcase(s, tc);
	return s;
}
