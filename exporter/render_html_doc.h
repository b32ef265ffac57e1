/* render_html_doc.h — what the status page's two files share (render_html.c, the page;
 * render_html_fields.c, the tables and figures the field table's rows drive): reading the
 * status document and writing its pieces. Internal to the renderer. */
#ifndef TCPH_RENDER_HTML_DOC_H
#define TCPH_RENDER_HTML_DOC_H

#include "expfmt.h"

#include <jansson.h>
#include <stdbool.h>

/* The string, number or boolean at `key` of `o`: "", 0 or false when it is missing. */
const char *render_html_str(const json_t *o, const char *key);
long long render_html_num(const json_t *o, const char *key);
bool render_html_flag(const json_t *o, const char *key);
/* Whether the row's "alerts" name `alert`. */
bool render_html_has_alert(const json_t *row, const char *alert);

void render_html_text(struct expfmt_buf *out, const char *s);
/* "1720", or "other". */
void render_html_port_label(struct expfmt_buf *out, const json_t *o);
/* "2 h 11 min", "45 s" (status_duration_text). */
void render_html_duration(struct expfmt_buf *out, double seconds);
/* The attributes of a cell, tile or figure `alert` marks: class "alert SEVERITY", the
 * alert's name and its rule as the tooltip. */
void render_html_alert_attributes(struct expfmt_buf *out, const json_t *doc, const json_t *ns,
				  const char *alert);

/* The namespace's tables and figures of the field table's rows (render_html_fields.c): the
 * scan line (FIELD_PAGE_SCAN), the per-port table (FIELD_PAGE_PORTS) and the "more signals
 * by port" table (FIELD_PAGE_SIGNALS), over the document's tcp object `tcp`. */
void render_html_scan_line(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *tcp);
void render_html_port_tables(struct expfmt_buf *out, const json_t *doc, const json_t *ns, const json_t *ports);

/* Whether the page leaves out a row of the document (ports[], events.ports[]): the
 * exporter's own port (exporter_port), unless --no-web.status.exclude-self. */
bool render_html_hidden(const json_t *doc, const json_t *row);

/* The tcp.events parts (render_html_events.c): "What happened since HH:MM" of the document's
 * recent ring; a namespace's listeners down and closed connections by port; and, for a
 * listener tile, "3720 down since 22:41:13 UTC (4 min ago)" when a scan saw it go down
 * (false, nothing written, when none did). */
void render_html_events(struct expfmt_buf *out, const json_t *doc);
void render_html_events_namespace(struct expfmt_buf *out, const json_t *doc, const json_t *ns);
bool render_html_down_since(struct expfmt_buf *out, const json_t *doc, const json_t *ns, long long port);

#endif
