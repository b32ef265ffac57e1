/* mhd_content_length.c — standalone reproducer, for libmicrohttpd's maintainers: the 400
 * and 413 answers to a bad Content-Length carry their header block twice (0.9.75).
 *
 *   cc -o mhd_content_length mhd_content_length.c $(pkg-config --cflags --libs libmicrohttpd)
 *   ./mhd_content_length
 *
 * Starts a daemon on 127.0.0.1 (a port the kernel picks) whose handler answers 200 to
 * everything, sends it two requests over raw sockets and prints what came back:
 *   GET / HTTP/1.1, Host: x, Content-Length: abc                      -> 400
 *   GET / HTTP/1.1, Host: x, Content-Length: 99999999999999999999999  -> 413
 * Exit 0 when each answer is one status line, one header block and its body; 1 when a
 * header block comes twice (the bug); 2 on a set-up error. The handler is never called. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static enum MHD_Result handler(void *cls, struct MHD_Connection *connection, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	static const char body[] = "ok\n";
	struct MHD_Response *response;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	(void)upload_data_size, (void)req_cls;
	response = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(connection, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return ret;
}

/* Sends `request` to 127.0.0.1:port, reads until the server closes; the bytes read. */
static ssize_t exchange(unsigned short port, const char *request, char *answer, size_t size)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t n = 0;
	ssize_t got;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, request, strlen(request)) < 0) {
		close(fd);
		return -1;
	}
	while (n + 1 < size && (got = read(fd, answer + n, size - 1 - n)) > 0)
		n += (size_t)got;
	answer[n] = '\0';
	close(fd);
	return (ssize_t)n;
}

/* Status lines ("HTTP/1.1 " at the start of the answer or right after a blank line). */
static unsigned status_lines(const char *answer)
{
	unsigned n = strncmp(answer, "HTTP/1.1 ", 9) == 0;

	for (const char *p = answer; (p = strstr(p, "\r\n\r\nHTTP/1.1 ")); p += 4)
		n++;
	return n;
}

int main(void)
{
	static const char *const requests[] = {
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	};
	struct sockaddr_in at = { .sin_family = AF_INET };
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	char answer[4096];
	int bad = 0;

	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handler, NULL,
			     MHD_OPTION_SOCK_ADDR, &at, MHD_OPTION_END);
	info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!info) {
		fprintf(stderr, "cannot start a daemon\n");
		return 2;
	}
	printf("libmicrohttpd %s\n", MHD_get_version());
	for (unsigned i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		ssize_t n = exchange(info->port, requests[i], answer, sizeof(answer));
		unsigned lines;

		if (n < 0) {
			fprintf(stderr, "cannot talk to the daemon\n");
			MHD_stop_daemon(d);
			return 2;
		}
		lines = status_lines(answer);
		printf("--- request %u: %zd bytes back, %u status line(s)%s\n%s\n", i + 1, n, lines,
		       lines == 1 ? "" : " (BUG: the header block is sent more than once)", answer);
		bad |= lines != 1;
	}
	MHD_stop_daemon(d);
	return bad;
}
