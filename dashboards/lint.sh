#!/bin/bash
# Lint the Grafana dashboards and the Prometheus rule files of tcp_health_exporter.
#
# usage: dashboards/lint.sh [FILE...]
#   FILEs ending in .json are checked as dashboards, the others as rule files; with no FILE,
#   dashboards/grafana/*.json and dashboards/prometheus/*.rules.yml.
#
# Dashboards (.json):
#   - valid JSON; uid, schemaVersion >= 36, tags "tcp" and "tcp_health_exporter";
#   - variables: "datasource" (type datasource, query prometheus), multi-select query
#     variables "job" and "instance", a "port" variable; query variables use ${datasource};
#   - every panel but rows: a unit (fieldConfig.defaults.unit), a description, datasource
#     ${datasource} on the panel and on each target, at least one target;
#   - every target expression: each rate(/irate(/increase( takes [$__rate_interval], no
#     fixed range such as [5m], every selector {...} filters job=~"$job" and
#     instance=~"$instance", no tcp_health_ metric without a selector, no undefined $variable,
#     no rate()/irate()/increase() of a gauge (a tcp_health_ name not ending in _total: the
#     histograms, tcp_health_retransmitted_segments, ... count what is alive now);
#   - rows: every row but the first is "collapsed": true with its panels nested in the
#     row's "panels" array (Grafana's layout for collapsed rows), none empty; the first row
#     is open with "panels": [] (its panels follow it at the top level); no panel at the
#     top level below the second row (it would hang outside every collapsed row); no row
#     inside a row;
#   - links (dashboard links, panel links, data links: every "url" anywhere): none starts
#     with http://, https:// or // (links between dashboards are relative, /d/<uid>/...,
#     so that they follow whatever host and sub-path Grafana is served on); a /d/<uid> link
#     names the uid of a dashboard in dashboards/grafana/ (or among the FILEs), a data link
#     to one carries ${__url_time_range} and a dashboard link to one keepTime;
#   - top-N panels (a title starting with "Top", or topk(/bottomk( in an expression): each
#     target filters port!~"$exclude_port" and the description mentions exclude_port; the
#     dashboard then has a variable "exclude_port" (textbox, custom or constant) whose
#     default includes 9978, the exporter's own port (--web.listen-address);
#   - every expression (targets and label_values() variable queries) parses as PromQL:
#     the variables are replaced by plausible values ($__rate_interval -> 1m, $job ->
#     tcp_health, ...) and the results are checked with `promtool check rules` as recording
#     rules of a temporary file (needs $PROMTOOL; LINT_SKIP_PROMQL=1 skips this step).
# Rule files (.yml):
#   - every alert: a name starting with TcpHealth, severity critical|warning|info, a `for:`,
#     a summary without {{ }} templates, a description with them, a runbook_url under
#     RUNBOOK_PREFIX whose #anchor is a heading of docs/runbook.md, and a promtool test
#     (alertname: NAME in dashboards/prometheus/tests/*.yml); no rate()/increase() of a gauge.
# Both: every metric name tcp_health_... mentioned anywhere in the file (names inside
# recording-rule names, level:metric:operations, are skipped) is documented in README.md:
# literally, or as a histogram's base name for _bucket/_sum/_count, or, for
# tcp_health_sysctl_X and tcp_health_kernel_X_total, as `X` in README's "Kernel settings"
# and "Kernel counters" lists.
#
# Prints one line per problem, then "dashboard lint: N files, P problems"; exits 1 when
# P > 0 and 2 on a usage error. Needs bash, jq, grep, sed, awk.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
README=${README:-$root/README.md}
RUNBOOK_MD=${RUNBOOK_MD:-$root/docs/runbook.md}
TESTS_DIR=${TESTS_DIR:-$root/dashboards/prometheus/tests}
PROMTOOL=${PROMTOOL:-$root/build/prometheus/usr/bin/promtool}
RUNBOOK_PREFIX=file:///usr/share/doc/tcp-health-exporter/runbook.md#

command -v jq >/dev/null || { echo "lint.sh: jq is required (apt-get install jq)" >&2; exit 2; }
[ -r "$README" ] || { echo "lint.sh: cannot read $README" >&2; exit 2; }

if [ $# -eq 0 ]; then
	set -- "$root"/dashboards/grafana/*.json "$root"/dashboards/prometheus/*.rules.yml
fi

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT

problems=0
files=0
problem() {
	echo "$1: $2"
	problems=$((problems + 1))
}
rel() {
	case $1 in "$root"/*) echo "${1#"$root"/}" ;; *) echo "$1" ;; esac
}

# --- metric names must be in README.md ------------------------------------------------------
section() { # the lines of README's "### $1" section
	awk -v title="$1" '/^#+ / { on = index($0, title) > 0; next } on' "$README"
}
section "Kernel settings" > "$tmpdir/settings"
section "Kernel counters" > "$tmpdir/counters"

documented() {
	local name=$1 base
	if grep -qE "(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)" "$README"; then
		return 0
	fi
	case $name in
	*_bucket | *_sum | *_count)
		base=${name%_*}
		grep -E "(^|[^A-Za-z0-9_])${base}([^A-Za-z0-9_]|$)" "$README" | grep -q histogram && return 0
		;;
	esac
	case $name in
	tcp_health_sysctl_*)
		grep -q "\`${name#tcp_health_sysctl_}\`" "$tmpdir/settings" && return 0 ;;
	tcp_health_kernel_*_total)
		base=${name#tcp_health_kernel_}
		grep -q "\`${base%_total}\`" "$tmpdir/counters" && return 0 ;;
	esac
	return 1
}

check_metric_names() { # file, then the names on stdin
	local file=$1 name
	while read -r name; do
		[ -n "$name" ] || continue
		documented "$name" || problem "$file" "metric $name is not in README.md's metric reference"
	done
}

# --- dashboards -------------------------------------------------------------------------------
# The checks on the dashboard's structure and expressions, one problem per output line.
read -r -d '' DASHBOARD_CHECKS <<'JQ'
def allpanels: (.panels // [])[] | ., (if .type == "row" then allpanels else empty end);
def builtins: ["__rate_interval", "__interval", "__interval_ms", "__range", "__range_s",
               "__range_ms", "__from", "__to", "__dashboard", "__org", "__user"];
def matcher($l): test("(^|[{,\\s])" + $l + "\\s*=~\\s*\"\\$(\\{" + $l + "\\}|" + $l + ")\"");
def dsref: (.datasource.uid? // .datasource // "") | tostring;
def istopn: ((.title // "") | test("^\\s*top\\b"; "i"))
            or ([.targets[]? | (.expr // "") | test("(?<![A-Za-z0-9_:])(topk|bottomk)\\s*\\(")] | any);

. as $d
| [.templating.list[]?.name] as $vars
| (
    (if [.templating.list[]? | select(.name == "datasource" and .type == "datasource"
                                      and .query == "prometheus")] == []
     then "templating: no variable \"datasource\" of type datasource with query \"prometheus\""
     else empty end),
    (("job", "instance") as $v
     | if [$d.templating.list[]? | select(.name == $v and .type == "query" and .multi == true)] == []
       then "templating: no multi-select query variable \"\($v)\"" else empty end),
    (if [.templating.list[]? | select(.name == "port")] == []
     then "templating: no variable \"port\"" else empty end),
    (.templating.list[]? | select(.type == "query") | select(dsref != "${datasource}")
     | "templating: variable \(.name): datasource is not ${datasource}"),
    (if (.uid // "") == "" then "no uid" else empty end),
    (if (.schemaVersion // 0) < 36 then "schemaVersion \(.schemaVersion // "missing") is below 36" else empty end),
    (("tcp", "tcp_health_exporter") as $t
     | if ((.tags // []) | index($t)) == null then "tags: no \"\($t)\"" else empty end),
    # Rows: the first open, the others collapsed with their panels nested.
    ([.panels[]? | select(.type == "row")] | to_entries[]
     | .key as $i | .value as $r | "row \($r.id // "?") \"\($r.title // "")\"" as $w
     | if $i == 0 then
         (if $r.collapsed == true then "\($w): the first row is collapsed; keep it open (its headline panels show first)" else empty end),
         (if (($r.panels // []) | length) > 0 then "\($w): an open row with nested panels (Grafana shows \"panels\" of collapsed rows only); put them after the row" else empty end)
       else
         (if $r.collapsed != true then "\($w): not collapsed (every row but the first must be \"collapsed\": true)" else empty end),
         (if $r.collapsed == true and (($r.panels // []) | length) == 0 then "\($w): collapsed without nested panels (a collapsed row's panels belong in its \"panels\" array)" else empty end)
       end),
    ([.panels[]?] as $p | ([$p[] | .type == "row"] | indices(true)) as $ri
     | if ($ri | length) < 2 then empty
       else range($ri[1] + 1; $p | length) as $i | $p[$i] | select(.type != "row")
            | $p[[$ri[] | select(. < $i)] | last] as $r
            | "panel \(.id // "?") \"\(.title // "")\": at the top level after row \($r.id // "?") \"\($r.title // "")\"; nest it in that row's \"panels\" (every row but the first is collapsed)"
       end),
    (.panels[]? | select(.type == "row") | .panels[]? | select(.type == "row")
     | "row \(.id // "?") \"\(.title // "")\": a row nested inside another row"),
    # Links: relative, to dashboards that exist, keeping the time range.
    (.. | objects | select(has("url")) | select(.url | type == "string") | . as $l
     | "link \"\($l.title // "")\"" as $lw
     | (if $l.url | test("^\\s*(https?:)?//"; "i")
        then "\($lw): url \($l.url) is absolute; link between dashboards relatively (/d/<uid>/...), never to a host"
        else empty end),
       ($l.url | capture("^/?d/(?<uid>[^/?#]+)") | .uid
        | select(. as $u | $uids | index($u) | not)
        | "\($lw): url \($l.url) names dashboard uid \(.), which no dashboard has"),
       (if ($l.url | test("^/?d/")) and ($l.type == null) and ($l.url | contains("${__url_time_range}") | not)
        then "\($lw): data link \($l.url) lacks ${__url_time_range}" else empty end),
       (if ($l.url | test("^/?d/")) and ($l.type == "link") and ($l.keepTime != true)
        then "\($lw): dashboard link to \($l.url) without keepTime: true" else empty end)),
    # Top-N panels leave the exporter's own port out through $exclude_port.
    ([allpanels | select(.type != "row") | select(istopn)] as $top
     | ($top[]
        | "panel \(.id // "?") \"\(.title // "")\"" as $w
        | (.targets[]? | select((.expr // "") | test("port\\s*!~\\s*\"\\$(\\{exclude_port\\}|exclude_port)\"") | not)
           | "\($w) target \(.refId // "?"): top-N panel without port!~\"$exclude_port\" (the exporter's own port would crowd it)"),
          (if (.description // "") | test("exclude_port") | not
           then "\($w): top-N panel whose description does not mention exclude_port" else empty end)),
       (if $top == [] then empty
        elif [$d.templating.list[]? | select(.name == "exclude_port" and (.type | IN("textbox", "custom", "constant")))
              | select((.current.value // .query // "") | tostring | split("|") | index("9978"))] == []
        then "templating: no variable \"exclude_port\" (textbox, custom or constant) whose default includes 9978, for the top-N panels"
        else empty end)),
    (allpanels | select(.type != "row")
     | "panel \(.id // "?") \"\(.title // "")\"" as $w
     | (if ((.fieldConfig.defaults.unit // "") | tostring) == "" then "\($w): no unit (fieldConfig.defaults.unit)" else empty end),
       (if ((.description // "") | test("\\S")) | not then "\($w): no description" else empty end),
       (if dsref != "${datasource}" then "\($w): datasource is not ${datasource}" else empty end),
       (if ((.targets // []) | length) == 0 then "\($w): no targets" else empty end),
       (.targets[]?
        | "\($w) target \(.refId // "?")" as $tw
        | (if dsref != "${datasource}" then "\($tw): datasource is not ${datasource}" else empty end),
          ((.expr // "") as $e
           | if ($e | test("\\S")) | not then "\($tw): empty expr"
             else
               (([$e | scan("(?<![A-Za-z0-9_:])(?:i?rate|increase)\\s*\\(")] | length) as $calls
                | ([$e | scan("(?<![A-Za-z0-9_:])(?:i?rate|increase)\\s*\\(\\s*[A-Za-z_:][A-Za-z0-9_:]*\\s*(?:\\{[^}]*\\})?\\s*\\[\\$__rate_interval\\]")] | length) as $ok
                | if $calls != $ok then "\($tw): rate/irate/increase without [$__rate_interval]: \($e)" else empty end),
               ($e | scan("\\[[0-9][^\\]]*\\]") | "\($tw): fixed range \(.), use $__rate_interval: \($e)"),
               ($e | scan("(?<![A-Za-z0-9_:])(?:i?rate|increase)\\s*\\(\\s*(tcp_health_[a-z0-9_]+)")[0]
                | select(endswith("_total") | not)
                | "\($tw): \(.) is a gauge (no _total): use it directly, or deriv()/delta(), not rate()/increase()"),
               ($e | scan("\\{[^}]*\\}")
                | . as $sel
                | [("job", "instance") | select(. as $l | $sel | matcher($l) | not) | "\(.)=~\"$\(.)\""]
                | select(length > 0)
                | "\($tw): selector \($sel) lacks \(join(" and "))"),
               ($e | scan("(?<![A-Za-z0-9_:])tcp_health_[a-z0-9_]+(?![A-Za-z0-9_:])(?!\\s*\\{)")
                | "\($tw): \(.) without a {job=~\"$job\", instance=~\"$instance\"} selector"),
               ([$e | scan("\\$\\{?([A-Za-z0-9_]+)")[]] | unique[]
                | select(. as $v | ($vars + builtins) | index($v) | not)
                | "\($tw): undefined variable $\(.)")
             end)))
  )
JQ

# Every expression of the dashboard, variables replaced, as recording rules for promtool.
read -r -d '' DASHBOARD_RULES <<'JQ'
def allpanels: (.panels // [])[] | ., (if .type == "row" then allpanels else empty end);
def values: {"job": "tcp_health", "instance": "host1:9978", "port": "1202", "role": "server",
             "datasource": "prometheus", "exclude_port": "9978"};
def subst:
  gsub("\\$\\{?__interval_ms\\}?"; "60000") | gsub("\\$\\{?__range_ms\\}?"; "3600000")
  | gsub("\\$\\{?__range_s\\}?"; "3600") | gsub("\\$\\{?__rate_interval\\}?"; "1m")
  | gsub("\\$\\{?__interval\\}?"; "1m") | gsub("\\$\\{?__range\\}?"; "1h")
  | gsub("\\$\\{(?<v>[A-Za-z0-9_]+)(:[^}]*)?\\}"; values[.v] // "x")
  | gsub("\\$(?<v>[A-Za-z0-9_]+)"; values[.v] // "x");
def var_expr:
  if (.query | type) == "object" then .query.query else .query end
  | strings
  | if test("^\\s*label_values\\(.*,\\s*[A-Za-z0-9_]+\\s*\\)\\s*$")
    then capture("^\\s*label_values\\((?<e>.*),\\s*[A-Za-z0-9_]+\\s*\\)\\s*$").e
    elif test("^\\s*query_result\\(.*\\)\\s*$")
    then capture("^\\s*query_result\\((?<e>.*)\\)\\s*$").e
    else empty end;
{groups: (
  [ (.templating.list[]? | select(.type == "query") | {w: "variable \(.name)", e: var_expr}),
    (allpanels | select(.type != "row") | "panel \(.id // "?") \"\(.title // "")\"" as $w
     | .targets[]? | select((.expr // "") | test("\\S")) | {w: "\($w) target \(.refId // "?")", e: .expr})
  ] | to_entries
  | map({name: "\(.key): \(.value.w)", rules: [{record: "lint:expr", expr: (.value.e | subst)}]})
)}
JQ

# The uids links may name: the shipped dashboards' and those of the FILEs.
known_uids=$(for f in "$root"/dashboards/grafana/*.json "$@"; do
	case $f in *.json) jq -r '.uid // empty' "$f" 2>/dev/null ;; esac
done | jq -R . | jq -sc 'unique')

promql_exprs=()
lint_dashboard() {
	local file=$1 name
	name=$(rel "$file")
	if ! jq empty "$file" 2>"$tmpdir/jqerr"; then
		problem "$name" "invalid JSON: $(tr '\n' ' ' < "$tmpdir/jqerr")"
		return
	fi
	# Into a file first: a jq that fails (a bad check) must not pass as "no problems".
	if ! jq -r --argjson uids "$known_uids" "$DASHBOARD_CHECKS" "$file" > "$tmpdir/checks" 2>"$tmpdir/jqerr"; then
		problem "$name" "lint checks failed to run: $(tr '\n' ' ' < "$tmpdir/jqerr")"
	fi
	while IFS= read -r line; do
		problem "$name" "$line"
	done < "$tmpdir/checks"
	jq -r '[.. | strings | scan("(?<![A-Za-z0-9_:])tcp_health_[a-z0-9_]+(?![A-Za-z0-9_:])")] | unique[]' "$file" \
		| check_metric_names "$name"
	local out="$tmpdir/promql.$files.json"
	jq "$DASHBOARD_RULES" "$file" > "$out"
	promql_exprs+=("$name" "$out")
}

check_promql() {
	[ ${#promql_exprs[@]} -gt 0 ] || return
	if [ "${LINT_SKIP_PROMQL:-}" = 1 ]; then
		echo "note: PromQL parse check skipped (LINT_SKIP_PROMQL=1)"
		return
	fi
	if [ ! -x "$PROMTOOL" ]; then
		problem "$(rel "$PROMTOOL")" "promtool not found: make build/prometheus/usr/bin/promtool, set PROMTOOL, or LINT_SKIP_PROMQL=1"
		return
	fi
	local i name out line
	for ((i = 0; i < ${#promql_exprs[@]}; i += 2)); do
		name=${promql_exprs[i]}
		out=${promql_exprs[i + 1]}
		if ! "$PROMTOOL" check rules "$out" > "$tmpdir/promtool.out" 2>&1; then
			local found=0
			while IFS= read -r line; do
				problem "$name" "PromQL: $line"
				found=1
			done < <(grep -v -e '^Checking ' -e 'FAILED:$' -e '^[[:space:]]*$' "$tmpdir/promtool.out" | sed -E 's/^[[:space:]]*//; s|^[^ ]*promql\.[0-9]+\.json: [0-9]+:[0-9]+: ||')
			[ $found = 1 ] || problem "$name" "PromQL: promtool check rules failed"
		fi
	done
}

# --- rule files -------------------------------------------------------------------------------
runbook_anchors() { # GitHub's heading anchors of docs/runbook.md
	[ -r "$RUNBOOK_MD" ] || return 0
	grep -E '^#{1,6} ' "$RUNBOOK_MD" | sed -E 's/^#+ +//; s/[[:space:]]+$//' \
		| tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}

lint_rules() {
	local file=$1 name
	name=$(rel "$file")
	grep -oE '(^|[^A-Za-z0-9_:])tcp_health_[a-z0-9_]+([^A-Za-z0-9_:]|$)' "$file" \
		| grep -oE 'tcp_health_[a-z0-9_]+' | sort -u | check_metric_names "$name"
	local gauge
	while read -r gauge; do
		problem "$name" "$gauge is a gauge (no _total): use it directly, or deriv()/delta(), not rate()/increase()"
	done < <(grep -v '^[[:space:]]*#' "$file" \
		| grep -oE '(^|[^A-Za-z0-9_:])(i?rate|increase)[[:space:]]*\([[:space:]]*tcp_health_[a-z0-9_]+' \
		| grep -oE 'tcp_health_[a-z0-9_]+' | grep -v '_total$' | sort -u)

	runbook_anchors > "$tmpdir/anchors"
	cat "$TESTS_DIR"/*.yml 2>/dev/null > "$tmpdir/tests"

	# One line per alert: name, severity, has for, summary, templated description, runbook_url.
	awk '
	function flush() {
		if (alert != "")
			printf "%s\t%s\t%s\t%s\t%s\t%s\n", alert, severity, has_for, summary, desc_templated, runbook
		alert = ""; severity = ""; has_for = 0; summary = ""; desc_templated = 0; runbook = ""; in_desc = 0
	}
	/^[ \t]*-[ \t]*(alert|record):/ {
		flush()
		if ($0 ~ /alert:/) { alert = $0; sub(/.*alert:[ \t]*/, "", alert); sub(/[ \t]+$/, "", alert) }
		next
	}
	alert == "" { next }
	/^[ \t]*[a-z_]+:/ { in_desc = 0 }
	/^[ \t]*for:/ { has_for = 1 }
	/^[ \t]*severity:/ { severity = $0; sub(/.*severity:[ \t]*/, "", severity); gsub(/["\x27 \t]/, "", severity) }
	/^[ \t]*summary:/ { summary = $0; sub(/.*summary:[ \t]*/, "", summary); if (summary == "") summary = "(block)" }
	/^[ \t]*description:/ { in_desc = 1 }
	in_desc && /\{\{/ { desc_templated = 1 }
	/^[ \t]*runbook_url:/ { runbook = $0; sub(/.*runbook_url:[ \t]*/, "", runbook); gsub(/["\x27]/, "", runbook) }
	END { flush() }
	' "$file" > "$tmpdir/alerts"

	local alert severity has_for summary templated runbook anchor
	if [ -s "$tmpdir/alerts" ] && [ ! -r "$RUNBOOK_MD" ]; then
		problem "$name" "cannot read $(rel "$RUNBOOK_MD") to check the runbook anchors"
	fi
	while IFS=$'\t' read -r alert severity has_for summary templated runbook; do
		[[ $alert == TcpHealth* ]] || problem "$name" "alert $alert: name does not start with TcpHealth"
		[[ $alert =~ ^[A-Z][A-Za-z0-9]*$ ]] || problem "$name" "alert $alert: name is not CamelCase"
		case $severity in
		critical | warning | info) ;;
		*) problem "$name" "alert $alert: severity \"$severity\" is not critical, warning or info" ;;
		esac
		[ "$has_for" = 1 ] || problem "$name" "alert $alert: no for:"
		[ -n "$summary" ] || problem "$name" "alert $alert: no summary annotation"
		[[ $summary == *'{{'* ]] && problem "$name" "alert $alert: summary is templated; keep it static"
		[ "$templated" = 1 ] || problem "$name" "alert $alert: description is missing or has no {{ }} template"
		if [[ $runbook != "$RUNBOOK_PREFIX"* ]]; then
			problem "$name" "alert $alert: runbook_url \"$runbook\" does not start with $RUNBOOK_PREFIX"
		else
			anchor=${runbook#"$RUNBOOK_PREFIX"}
			grep -qxF -- "$anchor" "$tmpdir/anchors" \
				|| problem "$name" "alert $alert: runbook anchor #$anchor is not a heading of $(rel "$RUNBOOK_MD")"
			[ "$anchor" = "${alert,,}" ] || problem "$name" "alert $alert: runbook anchor #$anchor is not #${alert,,}"
		fi
		grep -qE "alertname:[[:space:]]*$alert([[:space:]]|$)" "$tmpdir/tests" \
			|| problem "$name" "alert $alert: no promtool test in $(rel "$TESTS_DIR")"
	done < "$tmpdir/alerts"
}

for file in "$@"; do
	if [ ! -r "$file" ]; then
		problem "$file" "cannot read"
		continue
	fi
	files=$((files + 1))
	case $file in
	*.json) lint_dashboard "$file" ;;
	*) lint_rules "$file" ;;
	esac
done
check_promql

echo "dashboard lint: $files files, $problems problems"
[ $problems -eq 0 ]
