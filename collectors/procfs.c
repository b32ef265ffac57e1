/* procfs.c — readers for /proc files (no allocation; files read into a stack buffer). */
#include "procfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int procfs_read_longs(const char *path, long *values, int max)
{
	char text[256];
	ssize_t n;
	int fd, count = 0;
	char *p, *end;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	text[n] = '\0';
	for (p = text; count < max;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		errno = 0;
		values[count] = strtol(p, &end, 10);
		if (end == p || errno || (*end && !isspace((unsigned char)*end)))
			return -EINVAL;
		count++;
		p = end;
	}
	return count ? count : -EINVAL;
}
