/* fuzz_netstat.c — libFuzzer harness for the /proc/net/netstat and snmp parser. */
#include "../../collectors/netstat.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int64_t values[64];
	bool found[64];
	char *text = malloc(size + 1);

	if (!text || netstat_counters_count > 64) {
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	memset(found, 0, sizeof(found));
	netstat_parse(text, netstat_counters, netstat_counters_count, values, found);
	free(text);
	return 0;
}
