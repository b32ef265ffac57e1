/* scrape.c — the collector loop and the exporter's self-metrics. */
#include "scrape.h"

#include "expfmt.h"
#include "log.h"
#include "version.h"

#include <errno.h>
#include <microhttpd.h>
#include <string.h>
#include <time.h>

#define SCRAPE_MAX_COLLECTORS 16

static bool scrape_enabled[SCRAPE_MAX_COLLECTORS];
static bool scrape_initialized[SCRAPE_MAX_COLLECTORS];
static double collector_seconds[SCRAPE_MAX_COLLECTORS];
static bool collector_ok[SCRAPE_MAX_COLLECTORS];


int scrape_init(const bool *enabled, const struct collectors_config *config)
{
	if (collectors_count > SCRAPE_MAX_COLLECTORS)
		return -E2BIG;
	for (unsigned i = 0; i < collectors_count; i++) {
		const struct collector *c = &collectors_table[i];

		scrape_enabled[i] = enabled[i];
		if (!enabled[i] || !c->init)
			continue;
		int ret = c->init(config);

		if (ret < 0) {
			log_error("collector %s: init failed: %s", c->name, strerror(-ret));
			scrape_fini();
			return ret;
		}
		scrape_initialized[i] = true;
	}
	return 0;
}

void scrape_fini(void)
{
	for (unsigned i = collectors_count; i-- > 0;) {
		if (scrape_initialized[i] && collectors_table[i].fini)
			collectors_table[i].fini();
		scrape_initialized[i] = false;
	}
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_build_info(struct expfmt_buf *out)
{
	const struct expfmt_label labels[] = {
		{ "version", TCPH_VERSION },
		{ "revision", TCPH_REVISION },
		{ "libmicrohttpd", MHD_get_version() },
	};

	expfmt_family(out, "tcp_health_exporter_build_info", "gauge",
		      "A metric with a constant '1' value labelled by version, revision and the "
		      "libmicrohttpd version the exporter runs with.");
	expfmt_sample_u64(out, "tcp_health_exporter_build_info", labels, 3, 1);
}

static void write_collector_results(struct expfmt_buf *out)
{
	struct expfmt_label label = { "collector", NULL };

	expfmt_family(out, "tcp_health_scrape_collector_duration_seconds", "gauge",
		      "Time the collector took in this scrape.");
	for (unsigned i = 0; i < collectors_count; i++) {
		if (!scrape_enabled[i])
			continue;
		label.value = collectors_table[i].name;
		expfmt_sample(out, "tcp_health_scrape_collector_duration_seconds", &label, 1,
			      collector_seconds[i]);
	}
	expfmt_family(out, "tcp_health_scrape_collector_success", "gauge",
		      "1 if the collector succeeded in this scrape, 0 if it failed (see the "
		      "exporter's log for why).");
	for (unsigned i = 0; i < collectors_count; i++) {
		if (!scrape_enabled[i])
			continue;
		label.value = collectors_table[i].name;
		expfmt_sample_u64(out, "tcp_health_scrape_collector_success", &label, 1,
				  collector_ok[i] ? 1 : 0);
	}
}

int scrape_run(struct expfmt_buf *out)
{
	write_build_info(out);
	for (unsigned i = 0; i < collectors_count; i++) {
		if (!scrape_enabled[i])
			continue;
		double start = now_seconds();
		int ret = collectors_table[i].collect(out);

		collector_seconds[i] = now_seconds() - start;
		collector_ok[i] = ret >= 0;
	}
	write_collector_results(out);
	return out->error;
}
