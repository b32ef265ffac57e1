/* flag_table.c — prints every row of the exporter's assembled flag table, one a line,
 * tab-separated: --NAME or --[no-]NAME, kind, placeholder, default, owner, help. A
 * build-only tool for the documentation checks (tests/docs/check_docs.sh), not a flag of
 * the exporter. Usage: flag_table */
#include "../../exporter/flags.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: flag_table\n");
		return 2;
	}
	flags_dump(stdout);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
