/* scrape.h — one scrape: every enabled collector, timed, its success recorded, plus
 * the exporter's own metrics. Scrapes are serialized by the HTTP thread. */
#ifndef TCPH_SCRAPE_H
#define TCPH_SCRAPE_H

#include "../collectors/collectors.h"

#include <stdbool.h>

struct expfmt_buf;

/* `enabled` has collectors_count entries. Calls each enabled collector's init; on
 * failure undoes what it did and returns -errno. */
int scrape_init(const bool *enabled, const struct collectors_config *config);
void scrape_fini(void);
/* Writes the whole exposition into `out`. 0, or -ENOMEM when the buffer could not grow. */
int scrape_run(struct expfmt_buf *out);

#endif
