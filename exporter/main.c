/* main.c — start-up, signals, exit codes. The only place that exits.
 *
 * Exit codes: 0 clean shutdown (SIGTERM/SIGINT) or --help/--version; 2 bad flags or an
 * address that cannot be served; 1 anything else that stops start-up. */
#include "../collectors/collectors.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "scrape.h"
#include "version.h"
#include "webconfig.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static struct flags flags;
static struct webconfig web;

int main(int argc, char **argv)
{
	struct collectors_config config;
	struct http_config http;
	sigset_t stop_signals;
	char err[512];
	int ret, sig;

	ret = flags_parse(argc, argv, &flags, stdout, err, sizeof(err));
	if (ret == FLAGS_EXIT_OK)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "tcp_health_exporter: %s\n", err);
		return 2;
	}
	log_set_level(flags.log_level);
	if (flags.web_config_file) {
		ret = webconfig_load(flags.web_config_file, &web, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "tcp_health_exporter: %s\n",
				ret == -ENOMEM ? "out of memory reading --web.config.file" : err);
			return 2;
		}
	}

	/* Block the stop signals before any thread starts, so that every thread inherits
	 * the mask and only sigwait() below receives them. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	config.classify = (struct classify_config){
		.listen_ports = flags.listen_ports,
		.n_listen_ports = flags.n_listen_ports,
		.client_ports = flags.client_ports,
		.n_client_ports = flags.n_client_ports,
		.max_ports = flags.max_ports,
	};
	config.idle_threshold_seconds = flags.idle_threshold_seconds;
	config.proc_root = "/proc";
	ret = scrape_init(flags.collector_enabled, &config);
	if (ret < 0) {
		fprintf(stderr, "tcp_health_exporter: cannot initialise collectors: %s\n", strerror(-ret));
		return 1;
	}

	http.listen_address = flags.listen_address;
	http.telemetry_path = flags.telemetry_path;
	http.web = flags.web_config_file ? &web : NULL;
	ret = http_start(&http, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "tcp_health_exporter: %s\n", err);
		scrape_fini();
		webconfig_free(&web);
		return 2;
	}
	log_info("tcp_health_exporter %s (revision %s) serving %s on %s (%s%s)", TCPH_VERSION,
		 TCPH_REVISION, flags.telemetry_path, flags.listen_address, web.tls ? "https" : "http",
		 web.n_users ? ", basic auth" : "");

	do
		ret = sigwait(&stop_signals, &sig);
	while (ret == EINTR);
	log_info("received signal %d, shutting down", sig);
	http_stop();
	scrape_fini();
	webconfig_free(&web);
	return 0;
}
