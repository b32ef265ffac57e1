#!/bin/bash
# Check the Prometheus rules and Grafana dashboards of tcp_health_exporter:
#   1. promtool check rules   on dashboards/prometheus/*.rules.yml
#   2. promtool test rules    on dashboards/prometheus/tests/*.yml
#   3. promtool check rules   on the copy shorten_for_test.sh writes (it must stay loadable);
#      every alert has for: 5s there, and TcpHealthExporterAbsent fires 5 s after the last
#      target went away (promtool test, with its unit test's annotations)
#   4. dashboards/lint.sh     (dashboards and rule files; see its header)
#   5. lint.sh's rules on rows, links and top-N panels each catch a broken copy of a
#      dashboard (exit 1, the expected problem line, that many problems), and pass the
#      unmodified copies
#   6. the top-N panels' queries (connections and abnormal closes), run by promtool, leave
#      out port 9978 with the dashboard's default exclude_port, and show it with exclude_port
#      cleared
#   7. the tcp.events panels' queries, run by promtool on made-up closes: abnormal and normal
#      closes apart, the retransmission ratio exact and absent where nothing was sent (no
#      division by zero), listener closes and events per second counted
#   8. with_runbook_url.sh    (make rules RUNBOOK_URL=... JOB_REGEX=...) moves every runbook
#      link and the job matcher, in the rules and in the PrometheusRule it writes; alerts
#      with the new job name fire (promtool test)
#
# usage: dashboards/check.sh
# PROMTOOL defaults to build/prometheus/usr/bin/promtool under the repository root
# (`make build/prometheus/usr/bin/promtool` unpacks it from Debian's prometheus package).
# Exits 0 when every step passes.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROMTOOL=${PROMTOOL:-$root/build/prometheus/usr/bin/promtool}
case $PROMTOOL in
*/*) PROMTOOL=$(cd "$(dirname "$PROMTOOL")" 2>/dev/null && pwd)/$(basename "$PROMTOOL") ;;
*) PROMTOOL=$(command -v "$PROMTOOL" || echo "$PROMTOOL") ;;
esac
if [ ! -x "$PROMTOOL" ]; then
	echo "check.sh: promtool not found at $PROMTOOL" >&2
	echo "check.sh: run 'make build/prometheus/usr/bin/promtool' in $root, or set PROMTOOL" >&2
	exit 2
fi
export PROMTOOL

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
step() { # title, command...
	local title=$1
	shift
	echo "== $title"
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $title"
		failed=$((failed + 1))
	fi
}

cd "$root" || exit 2
step "promtool check rules" "$PROMTOOL" check rules dashboards/prometheus/*.rules.yml
step "promtool test rules" "$PROMTOOL" test rules dashboards/prometheus/tests/*.yml
shortened() {
	mkdir -p "$tmp/short" || return 1
	dashboards/prometheus/shorten_for_test.sh "$tmp/short/alerts.rules.yml" &&
		"$PROMTOOL" check rules "$tmp/short/alerts.rules.yml" || return 1
	# Every alert is there with for: 5s; TcpHealthExporterAbsent (no range, no threshold) fires
	# 5 s after the last target went away, with the annotations its unit test expects.
	local want got
	want=$(grep -c '^ *- alert:' dashboards/prometheus/alerts.rules.yml)
	got=$(awk '/^ *- (alert|record):/ { a = /alert:/ } a && /^ *for: 5s$/ { n++; a = 0 } END { print n + 0 }' \
		"$tmp/short/alerts.rules.yml")
	[ "$want" = "$got" ] || { echo "shortened copy: $got alerts with for: 5s, want $want"; return 1; }
	mkdir -p "$tmp/short/tests"
	python3 - dashboards/prometheus/tests/alerts_test.yml >"$tmp/short/tests/absent_test.yml" <<'PY' || return 1
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
exp = next(a["exp_alerts"] for g in t["tests"] for a in g["alert_rule_test"]
           if a["alertname"] == "TcpHealthExporterAbsent" and a["exp_alerts"])
yaml.safe_dump({"rule_files": ["../alerts.rules.yml"], "evaluation_interval": "1s", "tests": [{
    "interval": "1s",
    "input_series": [{"series": 'up{job="tcp_health", instance="host1:9978"}', "values": "1 1 stale"}],
    "alert_rule_test": [
        {"eval_time": "6s", "alertname": "TcpHealthExporterAbsent", "exp_alerts": []},
        {"eval_time": "8s", "alertname": "TcpHealthExporterAbsent", "exp_alerts": exp}],
}]}, sys.stdout, sort_keys=False, width=1000)
PY
	"$PROMTOOL" test rules "$tmp/short/tests/absent_test.yml"
}
step "shortened alert rules load and fire" shortened
step "dashboard lint" dashboards/lint.sh

# lint_case NAME DASHBOARD JQ-PROGRAM PROBLEMS EXPECTED: lint.sh on DASHBOARD changed by
# JQ-PROGRAM must exit 1 with the line "FILE: EXPECTED" and PROBLEMS problems in all.
lint_case() {
	local name=$1 src=dashboards/grafana/$2 prog=$3 count=$4 want=$5 file out rc
	file=$tmp/lint-cases/$name.json
	jq "$prog" "$src" >"$file" || { echo "$name: jq failed"; return 1; }
	if cmp -s "$file" "$tmp/lint-cases/$2"; then
		echo "$name: the change left $2 as it was"
		return 1
	fi
	out=$(dashboards/lint.sh "$file" 2>&1)
	rc=$?
	if [ "$rc" != 1 ] || ! grep -qxF -- "$file: $want" <<<"$out" ||
		! grep -qxF "dashboard lint: 1 files, $count problems" <<<"$out"; then
		echo "$name: want exit 1, the line \"$file: $want\" and $count problems; got exit $rc:"
		sed 's/^/  | /' <<<"$out"
		return 1
	fi
	echo "  caught: $name"
}
lint_catches() {
	local detail_link='/d/tcp-health-port-detail/tcp-port-detail?${datasource:queryparam}&${job:queryparam}&var-instance=${__field.labels.instance}&var-port=${__field.labels.port}&${__url_time_range}'
	local top='(.panels[] | select(.type == "row") | .panels[] | select(.id == 36))'
	mkdir -p "$tmp/lint-cases"
	# Control: the dashboards as they are, copied to the same place, pass.
	for f in dashboards/grafana/*.json; do
		jq . "$f" >"$tmp/lint-cases/$(basename "$f")" || return 1
	done
	dashboards/lint.sh "$tmp"/lint-cases/*.json >"$tmp/lint-cases.out" 2>&1 ||
		{ echo "the unmodified copies fail:"; cat "$tmp/lint-cases.out"; return 1; }
	local ok=0
	# (a) rows: every row but the first collapsed, its panels nested.
	lint_case row-open tcp-health-overview.json '(.panels[] | select(.id == 22)).collapsed = false' 1 \
		'row 22 "Dead peers": not collapsed (every row but the first must be "collapsed": true)' || ok=1
	lint_case row-panels-outside tcp-port-detail.json \
		'.panels |= ([.[] | if .id == 21 then (., .panels[]) else . end] | map(if .id == 21 then .panels = [] else . end))' 6 \
		'row 21 "Retransmissions and keepalive": collapsed without nested panels (a collapsed row'"'"'s panels belong in its "panels" array)' || ok=1
	lint_case row-first-collapsed tcp-health-overview.json '(.panels[0]).collapsed = true' 1 \
		'row 1 "Summary": the first row is collapsed; keep it open (its headline panels show first)' || ok=1
	# (b) links: relative, to dashboards that exist.
	lint_case link-http tcp-health-overview.json \
		"$top.fieldConfig.defaults.links[0].url |= \"http://grafana.example:3000\" + ." 1 \
		"link \"Port detail for \${__field.labels.port} on \${__field.labels.instance}\": url http://grafana.example:3000$detail_link is absolute; link between dashboards relatively (/d/<uid>/...), never to a host" || ok=1
	lint_case link-https tcp-port-detail.json \
		'.links[0].url = "https://grafana.example/d/tcp-health-overview/tcp-health-overview"' 1 \
		'link "Overview": url https://grafana.example/d/tcp-health-overview/tcp-health-overview is absolute; link between dashboards relatively (/d/<uid>/...), never to a host' || ok=1
	lint_case link-no-time-range tcp-health-overview.json \
		"$top"'.fieldConfig.defaults.links[0].url |= (split("&${__url_time_range}") | join(""))' 1 \
		"link \"Port detail for \${__field.labels.port} on \${__field.labels.instance}\": data link ${detail_link%&*} lacks \${__url_time_range}" || ok=1
	lint_case link-unknown-uid tcp-port-detail.json '.links[0].url = "/d/tcp-health-overveiw/x"' 1 \
		'link "Overview": url /d/tcp-health-overveiw/x names dashboard uid tcp-health-overveiw, which no dashboard has' || ok=1
	# (c) top-N panels leave out $exclude_port, whose default is the exporter's port.
	lint_case topn-no-exclude tcp-health-overview.json \
		"$top"'.targets[0].expr |= (split("port!~\"$exclude_port\", ") | join(""))' 1 \
		'panel 36 "Top 10 ports by connections" target A: top-N panel without port!~"$exclude_port" (the exporter'"'"'s own port would crowd it)' || ok=1
	lint_case topk-elsewhere tcp-health-overview.json \
		'(.panels[] | select(.type == "row") | .panels[] | select(.id == 14)).targets[0].expr |= "topk(5, \(.))"' 2 \
		'panel 14 "CLOSE_WAIT by port" target A: top-N panel without port!~"$exclude_port" (the exporter'"'"'s own port would crowd it)' || ok=1
	lint_case exclude-default tcp-health-overview.json \
		'.templating.list |= map(if .name == "exclude_port" then .query = "" | .current = {text: "", value: ""} | .options = [] else . end)' 1 \
		'templating: no variable "exclude_port" (textbox, custom or constant) whose default includes 9978, for the top-N panels' || ok=1
	return $ok
}
step "lint catches broken rows, links and top-N panels" lint_catches

# The top-N panels' queries, run by promtool on a host where the exporter's own port 9978
# has the most connections and the most abnormal closes: with the dashboard's default
# exclude_port it is left out (and LISTEN sockets, and a port with only normal closes, too),
# with exclude_port cleared it is back.
topn_excludes() {
	local f default n=0
	mkdir -p "$tmp/topn"
	for f in dashboards/grafana/*.json; do
		default=$(jq -r '.templating.list[]? | select(.name == "exclude_port") | .current.value // .query' "$f")
		while IFS= read -r expr; do
			[ -n "$expr" ] || continue
			n=$((n + 1))
			python3 - "$expr" "$default" >"$tmp/topn/test$n.yml" <<'PY' || return 1
import sys, yaml
expr, default = sys.argv[1], sys.argv[2]
def grafana(e, exclude):  # the variables as Grafana writes them for job tcp_health, all instances and ports
    for k, v in (("${exclude_port}", exclude), ("$exclude_port", exclude), ("$job", "tcp_health"),
                 ("$instance", ".*"), ("$port", ".*"), ("${__rate_interval}", "2m"), ("$__rate_interval", "2m")):
        e = e.replace(k, v)
    return f"count by (port) ({e})"
series = lambda port, state, n: {"series": 'tcp_health_connections{job="tcp_health", instance="host1:9978", '
                                           f'port="{port}", role="server", state="{state}"}}', "values": f"{n}x5"}
closed = lambda port, role, outcome, n: {"series": 'tcp_health_connections_closed_total{job="tcp_health", '
                                                  f'instance="host1:9978", port="{port}", role="{role}", outcome="{outcome}"}}',
                                        "values": f"0+{n}x5"}
yaml.safe_dump({"rule_files": [], "evaluation_interval": "1m", "tests": [{
    "interval": "1m",
    "input_series": [series(9978, "established", 50), series(1202, "established", 5), series(1202, "listen", 1),
                     series(3720, "time_wait", 3), series(5432, "listen", 1),
                     closed(9978, "server", "retransmit_timeout", 50), closed(1202, "client", "connect_refused", 5),
                     closed(1202, "client", "normal", 100), closed(3720, "server", "keepalive_timeout", 3),
                     closed(5432, "server", "normal", 10), closed(5432, "server", "retransmit_timeout", 0)],
    "promql_expr_test": [
        {"expr": grafana(expr, default), "eval_time": "2m",
         "exp_samples": [{"labels": '{port="1202"}', "value": 1}, {"labels": '{port="3720"}', "value": 1}]},
        {"expr": grafana(expr, ""), "eval_time": "2m",
         "exp_samples": [{"labels": '{port="1202"}', "value": 1}, {"labels": '{port="3720"}', "value": 1},
                         {"labels": '{port="9978"}', "value": 1}]},
    ]}]}, sys.stdout, sort_keys=False, width=1000)
PY
			"$PROMTOOL" test rules "$tmp/topn/test$n.yml" >"$tmp/topn.out" 2>&1 ||
				{ echo "$f: $expr (exclude_port default \"$default\"):"; cat "$tmp/topn.out"; return 1; }
			echo "  $(basename "$f"): exclude_port \"$default\" leaves 9978 out of: $expr"
		done < <(jq -r 'def allpanels: (.panels // [])[] | ., (if .type == "row" then allpanels else empty end);
			allpanels | select(.type != "row")
			| select(((.title // "") | test("^\\s*top\\b"; "i"))
			         or ([.targets[]? | (.expr // "") | test("(?<![A-Za-z0-9_:])(topk|bottomk)\\s*\\(")] | any))
			| .targets[]?.expr // empty' "$f")
	done
	[ "$n" -gt 0 ] || { echo "no top-N panel found"; return 1; }
}
step "top-N panels leave out the exporter's port by default (promtool)" topn_excludes

# The tcp.events panels' queries, with the variables as Grafana fills them for port 1202 and
# every role, on closes made up for one host: the abnormal closes and the normal ones split,
# the retransmission ratio exact where closed connections sent segments and absent (not NaN,
# not +Inf) where they sent none, a listener restart counted and gone again, events per
# second. A panel renamed or missing fails the lookup.
events_panels() {
	mkdir -p "$tmp/events"
	jq -n '[inputs | (input_filename | sub(".*/"; "") | sub("\\.json$"; "")) as $f
		| def allpanels: (.panels // [])[] | ., (if .type == "row" then allpanels else empty end);
		  allpanels | select(.type != "row")
		| {key: "\($f) \(.title)", value: ([.targets[] | {(.refId): .expr}] | add)}] | from_entries' \
		dashboards/grafana/tcp-port-detail.json dashboards/grafana/tcp-health-overview.json \
		>"$tmp/events/exprs.json" || return 1
	python3 - "$tmp/events/exprs.json" >"$tmp/events/test.yml" <<'PY' || return 1
import json, sys, yaml
exprs = json.load(open(sys.argv[1]))
vals = {"$job": "tcp_health", "$instance": ".*", "$port": "1202", "$role": ".*", "$exclude_port": "9978",
        "$__rate_interval": "2m"}
def e(panel, ref):
    x = exprs[panel][ref]
    for k in sorted(vals, key=len, reverse=True):
        x = x.replace(k, vals[k])
    return x
s = lambda m, lab, v: {"series": f'{m}{{job="tcp_health", instance="host1:9978"{lab}}}', "values": v}
t = lambda expr, at, samples: {"expr": expr, "eval_time": at,
                               "exp_samples": [{"labels": l, "value": v} for l, v in samples]}
h = '{instance="host1:9978"}'
det, ov = "tcp-port-detail ", "tcp-health-overview "
closes = (("1202", "server", "normal", "0+120x10"), ("1202", "server", "retransmit_timeout", "0+60x10"),
          ("1202", "client", "connect_refused", "0+6x10"), ("1202", "client", "normal", "0x10"),
          ("3720", "server", "keepalive_timeout", "0+600x10"))  # 3720: not the selected port
segments = (("sent", "server", "0+1000x10"), ("retransmitted", "server", "0+20x10"),
            ("sent", "client", "0x10"), ("retransmitted", "client", "0x10"))  # client: nothing sent
yaml.safe_dump({"rule_files": [], "evaluation_interval": "1m", "tests": [{"interval": "1m", "input_series": [
    *(s("tcp_health_connections_closed_total", f', port="{p}", role="{r}", outcome="{o}"', v) for p, r, o, v in closes),
    *(s(f"tcp_health_closed_segments_{k}_total", f', port="1202", role="{r}"', v) for k, r, v in segments),
    s("tcp_health_listener_closed_total", ', port="1202"', "0 0 0 1 1 1 1 1 1 1 1"),
    s("tcp_health_listener_up", ', port="1202"', "1x10"),
    s("tcp_health_exporter_events_total", "", "0+600x10"),
    s("tcp_health_exporter_events_lost_total", "", "0 0 0 0 0 1 1 1 1 1 1"),
], "promql_expr_test": [
    t(e(det + "Closes by outcome", "A"), "5m", [('{role="server", outcome="retransmit_timeout"}', 1),
                                               ('{role="client", outcome="connect_refused"}', 0.1)]),
    t(e(det + "Closes by outcome", "B"), "5m", [('{role="server"}', 2), ('{role="client"}', 0)]),
    t("round(1000 * (" + e(det + "Retransmission ratio of closed connections", "A") + "))", "5m",
      [('{instance="host1:9978", role="server"}', 20)]),
    t(e(det + "Listener closes", "A"), "4m", [(h, 1)]),
    t(e(det + "Listener closes", "A"), "8m", [(h, 0)]),
    t(e(det + "Listener closes", "B"), "8m", [(h, 1)]),
    t(e(ov + "Closes by outcome", "A"), "5m", [
        ('{instance="host1:9978", port="1202", role="server", outcome="retransmit_timeout"}', 1),
        ('{instance="host1:9978", port="1202", role="client", outcome="connect_refused"}', 0.1)]),
    t(e(ov + "Events received and lost (per second)", "A"), "5m", [(h, 10)]),
    t(e(ov + "Events received and lost (per second)", "B"), "3m", [(h, 0)]),
    t("round(120 * " + e(ov + "Events received and lost (per second)", "B") + ")", "6m", [(h, 1)]),
]}]}, sys.stdout, sort_keys=False, width=1000)
PY
	"$PROMTOOL" test rules "$tmp/events/test.yml"
}
step "tcp.events panels' queries give the expected values (promtool)" events_panels
# RUNBOOK_URL: every runbook link moves to the given base, and the rules still load.
# split_prometheusrule FILE DIR: the PrometheusRule's groups back into DIR/alerts.rules.yml
# (the groups with alerts) and DIR/recording.rules.yml (the others), for promtool.
split_prometheusrule() {
	mkdir -p "$2" && python3 - "$1" "$2" <<'PY'
import sys, yaml
pr = yaml.safe_load(open(sys.argv[1]))
assert pr["apiVersion"] == "monitoring.coreos.com/v1" and pr["kind"] == "PrometheusRule", "not a PrometheusRule"
groups = pr["spec"]["groups"]
alerting = [g for g in groups if any("alert" in r for r in g["rules"])]
recording = [g for g in groups if g not in alerting]
for name, gs in (("alerts", alerting), ("recording", recording)):
    with open(f"{sys.argv[2]}/{name}.rules.yml", "w") as f:
        yaml.safe_dump({"groups": gs}, f, sort_keys=False, width=1000)
PY
}
runbook_url() {
	local url=https://wiki.example/tcp/runbook alerts links n f dir
	sh dashboards/with_runbook_url.sh "$tmp/rules" "$url" >/dev/null || return 1
	"$PROMTOOL" check rules "$tmp/rules/alerts.rules.yml" "$tmp/rules/recording.rules.yml" || return 1
	alerts=$(grep -c '^ *- alert:' dashboards/prometheus/alerts.rules.yml)
	for f in alerts.rules.yml prometheusrule.yaml; do
		links=$(grep -c "runbook_url: $url#tcphealth" "$tmp/rules/$f")
		[ "$alerts" = "$links" ] || { echo "$f: $links runbook links to $url for $alerts alerts"; return 1; }
	done
	# The PrometheusRule written beside them holds exactly their groups, and they load.
	split_prometheusrule "$tmp/rules/prometheusrule.yaml" "$tmp/rules-pr" || return 1
	for f in alerts recording; do
		python3 -c 'import sys, yaml; a, b = (yaml.safe_load(open(p))["groups"] for p in sys.argv[1:]); sys.exit(a != b)' \
			"$tmp/rules/$f.rules.yml" "$tmp/rules-pr/$f.rules.yml" ||
			{ echo "prometheusrule.yaml: its $f groups differ from $f.rules.yml"; return 1; }
	done
	"$PROMTOOL" check rules "$tmp/rules-pr/alerts.rules.yml" "$tmp/rules-pr/recording.rules.yml" || return 1
	! grep -rq 'file:///usr/share/doc/tcp-health-exporter' "$tmp/rules" ||
		{ echo "the default base is left in $(grep -rl 'file:///usr/share/doc/tcp-health-exporter' "$tmp/rules")"; return 1; }
	for f in "$tmp"/rules/*.json; do
		jq empty "$f" || return 1
	done
	# Refused: not a URL, or one that would break the YAML.
	! sh dashboards/with_runbook_url.sh "$tmp/bad" 'wiki/x' 2>/dev/null &&
		! sh dashboards/with_runbook_url.sh "$tmp/bad" 'https://x/"y' 2>/dev/null || return 1

	# JOB_REGEX: both job matchers move, in the rules and the PrometheusRule; the unit tests,
	# with their jobs renamed to match (the PodMonitor's job too) and the new runbook base,
	# pass against both.
	local job=node-tcp old='job=~".*tcp.?health.*"'
	JOB_REGEX=$job sh dashboards/with_runbook_url.sh "$tmp/rules-job" "$url" >/dev/null || return 1
	n=$(grep -cF "$old" dashboards/prometheus/alerts.rules.yml)
	[ "$n" -ge 2 ] || { echo "alerts.rules.yml: $n job matchers $old, want 2 or more (Down and Absent)"; return 1; }
	for f in alerts.rules.yml prometheusrule.yaml; do
		[ "$(grep -cF "job=~\"$job\"" "$tmp/rules-job/$f")" -ge 2 ] && ! grep -qF "$old" "$tmp/rules-job/$f" || {
			echo "JOB_REGEX=$job: $f has $(grep -cF "job=~\"$job\"" "$tmp/rules-job/$f") matchers job=~\"$job\" and $(grep -cF "$old" "$tmp/rules-job/$f") left as before"
			return 1
		}
	done
	split_prometheusrule "$tmp/rules-job/prometheusrule.yaml" "$tmp/rules-job/pr" || return 1
	for dir in "$tmp/rules-job" "$tmp/rules-job/pr"; do
		mkdir -p "$dir/tests"
		for f in dashboards/prometheus/tests/*.yml; do
			sed -e "s|job=\"tcp_health\"|job=\"$job\"|g; s|job: tcp_health\$|job: $job|; s|(job tcp_health)|(job $job)|g; s|(job tcp_health, |(job $job, |g" \
				-e "s|job=\"monitoring/tcp-health-exporter\"|job=\"$job\"|g" \
				-e "s|file:///usr/share/doc/tcp-health-exporter/runbook.md|$url|g" "$f" >"$dir/tests/$(basename "$f")"
		done
		"$PROMTOOL" test rules "$dir"/tests/*.yml >"$tmp/job-test.out" 2>&1 ||
			{ echo "JOB_REGEX=$job: the unit tests fail against $dir:"; cat "$tmp/job-test.out"; return 1; }
		echo "  unit tests pass with job $job against ${dir#"$tmp"/}"
	done
	# The old job name alone no longer counts: TcpHealthExporterAbsent fires (the alert the
	# unit test expects, after the same 10m).
	python3 - "$tmp/rules-job/tests/alerts_test.yml" >"$tmp/rules-job/tests/old_job_test.yml" <<'PY' || return 1
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
exp = next(a["exp_alerts"] for g in t["tests"] for a in g["alert_rule_test"]
           if a["alertname"] == "TcpHealthExporterAbsent" and a["exp_alerts"])
yaml.safe_dump({"rule_files": ["../alerts.rules.yml"], "evaluation_interval": "1m", "tests": [{
    "interval": "1m",
    "input_series": [{"series": 'up{job="tcp_health", instance="host1:9978"}', "values": "1x15"}],
    "alert_rule_test": [{"eval_time": "12m", "alertname": "TcpHealthExporterAbsent", "exp_alerts": exp}],
}]}, sys.stdout, sort_keys=False, width=1000)
PY
	"$PROMTOOL" test rules "$tmp/rules-job/tests/old_job_test.yml" >"$tmp/job-test.out" 2>&1 || {
		echo "JOB_REGEX=$job: TcpHealthExporterAbsent does not fire with only job tcp_health:"
		cat "$tmp/job-test.out"
		return 1
	}
	# Refused: a JOB_REGEX that would break the PromQL string.
	! JOB_REGEX='a"b' sh dashboards/with_runbook_url.sh "$tmp/bad" "$url" 2>/dev/null &&
		! JOB_REGEX='a\b' sh dashboards/with_runbook_url.sh "$tmp/bad" "$url" 2>/dev/null
}
step "RUNBOOK_URL and JOB_REGEX rewrite every runbook link and job matcher" runbook_url

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
