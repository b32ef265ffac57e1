/* fuzz_cgroup.c — libFuzzer harness for the /proc/PID/cgroup parser that finds pod UIDs and
 * container IDs (the paths are chosen by container runtimes and, for rootless ones, by users). */
#include "../../collectors/netns.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char pod_uid[NETNS_POD_UID_LEN + 1], container_id[NETNS_CONTAINER_ID_LEN + 1];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	netns_cgroup_labels(text, pod_uid, container_id);
	/* What comes out is either empty or exactly a UID / an ID. */
	if ((pod_uid[0] && strlen(pod_uid) != NETNS_POD_UID_LEN) ||
	    (container_id[0] && strlen(container_id) != NETNS_CONTAINER_ID_LEN))
		abort();
	free(text);
	return 0;
}
