/* procfs.c — readers for /proc files (no allocation: the caller owns the buffer). */
#include "procfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int procfs_read_longs(const char *path, long *values, int max)
{
	char text[256];
	ssize_t n = procfs_read_file(path, text, sizeof(text));
	int count = 0;
	char *p, *end;

	if (n < 0)
		return (int)n;
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

ssize_t procfs_read_file(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	int fd;

	if (cap == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len == cap - 1) {
			/* Full: one more byte tells a file that fits exactly from one that does not. */
			char probe;

			n = read(fd, &probe, 1);
			close(fd);
			if (n < 0)
				return -errno;
			buf[len] = '\0';
			return n == 0 ? (ssize_t)len : -EFBIG;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}
