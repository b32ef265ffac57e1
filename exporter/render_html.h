/* render_html.h — the status page: HTML rendered from the status document (status.h).
 *
 * Server-rendered and self-contained: inline CSS, no external assets, readable without
 * JavaScript (a meta refresh reloads it; a few lines of script only keep the age current).
 * It reads nothing but the document, so it shows what /api/v1/status says. Every string is
 * HTML-escaped. */
#ifndef TCPH_RENDER_HTML_H
#define TCPH_RENDER_HTML_H

#include "expfmt.h"

#include <jansson.h>

#define RENDER_HTML_REFRESH_SECONDS 15

/* The page's style sheet, a <style> element (render_html_style.c). */
extern const char render_html_style[];

/* The page's only script (its Content-Security-Policy allows this one by its hash). */
extern const char render_html_script[];

/* Renders `doc` into `out`; `telemetry_path` is linked. 0 or the buffer's -errno. */
int render_html(const json_t *doc, const char *telemetry_path, struct expfmt_buf *out);

/* Appends `text` with & < > " ' escaped. */
void render_html_escape(struct expfmt_buf *out, const char *text);

#endif
