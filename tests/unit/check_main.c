/* check_main.c — runs every unit suite; exit status is the number of failures. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

const char *unit_data_path(const char *name)
{
	static char path[512];
	const char *dir = getenv("TCPH_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	return path;
}

int main(void)
{
	SRunner *runner = srunner_create(expfmt_suite());
	int failed;

	srunner_add_suite(runner, classify_suite());
	srunner_add_suite(runner, sockdiag_suite());
	srunner_add_suite(runner, tcpagg_suite());
	srunner_add_suite(runner, flags_suite());
	srunner_add_suite(runner, procfs_suite());
	srunner_add_suite(runner, webconfig_suite());
	srunner_add_suite(runner, golden_suite());
	srunner_add_suite(runner, netns_suite());
	srunner_add_suite(runner, owners_suite());
	srunner_add_suite(runner, status_suite());
	srunner_add_suite(runner, process_suite());
	srunner_add_suite(runner, serving_suite());
	srunner_add_suite(runner, fields_suite());
	srunner_add_suite(runner, events_suite());
	srunner_add_suite(runner, status_events_suite());
	srunner_add_suite(runner, one_walk_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
