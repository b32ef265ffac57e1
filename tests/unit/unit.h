/* unit.h — the Check suites of the unit test runner. */
#ifndef TCPH_UNIT_H
#define TCPH_UNIT_H

#include <check.h>

Suite *expfmt_suite(void);
Suite *classify_suite(void);
Suite *sockdiag_suite(void);
Suite *tcpagg_suite(void);
Suite *flags_suite(void);
Suite *procfs_suite(void);
Suite *webconfig_suite(void);
Suite *golden_suite(void);
Suite *netns_suite(void);
Suite *owners_suite(void);
Suite *status_suite(void);
Suite *process_suite(void);
Suite *serving_suite(void);
Suite *fields_suite(void);
Suite *events_suite(void);
Suite *status_events_suite(void);
Suite *one_walk_suite(void);

/* Path of a file in tests/data (TCPH_TEST_DATA, default "tests/data"). */
const char *unit_data_path(const char *name);

#endif
