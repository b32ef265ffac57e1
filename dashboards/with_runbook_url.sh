#!/bin/sh
# with_runbook_url.sh OUTDIR URL — the alert rules, recording rules, Grafana dashboards and
# the Prometheus Operator's PrometheusRule (prometheusrule.yaml, both rule files' groups) with
# their runbook links pointing at URL instead of the installed package's copy
# (file:///usr/share/doc/tcp-health-exporter/runbook.md). URL is where your copy of
# docs/runbook.md is served; each alert appends its #anchor. `make rules RUNBOOK_URL=...`
# runs this into build/rules/ and checks the rules with promtool.
#
# JOB_REGEX (environment; `make rules JOB_REGEX=...` passes it): the scrape job name(s) of
# your exporter targets, a PromQL regular expression, replacing the matcher
# job=~".*tcp.?health.*" of TcpHealthExporterDown and TcpHealthExporterAbsent in the alert
# rules and the PrometheusRule. Unset or empty: unchanged. No double quote, backslash or
# newline.
set -eu
DEFAULT=file:///usr/share/doc/tcp-health-exporter/runbook.md
if [ $# -ne 2 ]; then
	echo "usage: with_runbook_url.sh OUTDIR URL" >&2
	exit 2
fi
out=$1 url=$2
case $url in
http://?* | https://?* | file:///?*) ;;
*)
	echo "with_runbook_url.sh: RUNBOOK_URL '$url' is not an http://, https:// or file:/// URL" >&2
	exit 2
	;;
esac
# Characters that would break the YAML or JSON they are written into, or the anchor.
case $url in
*[\"\'\\\#\ \	\|]*)
	echo "with_runbook_url.sh: RUNBOOK_URL '$url' holds a quote, backslash, '#', '|' or blank" >&2
	exit 2
	;;
esac
JOB_DEFAULT='job=~".*tcp.?health.*"'
job=${JOB_REGEX:-}
case $job in
*[\"\\]* | *"
"*)
	printf "with_runbook_url.sh: JOB_REGEX '%s' holds a double quote, backslash or newline\n" "$job" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "$job" ] && ! grep -qF "$JOB_DEFAULT" "$here/prometheus/alerts.rules.yml"; then
	echo "with_runbook_url.sh: no $JOB_DEFAULT in alerts.rules.yml to replace with JOB_REGEX" >&2
	exit 2
fi
mkdir -p "$out"
sh "$here/prometheusrule.sh" >"$out/prometheusrule.yaml.tmp"
for f in "$here"/prometheus/alerts.rules.yml "$here"/prometheus/recording.rules.yml "$here"/grafana/*.json \
	"$out/prometheusrule.yaml.tmp"; do
	name=$(basename "$f" .tmp)
	# URL for the default runbook base, then JOB_REGEX for the job matcher (as literal text).
	sed "s|$DEFAULT|$url|g" "$f" >"$out/$name.url"
	awk -v old="$JOB_DEFAULT" -v new="job=~\"$job\"" -v on="${job:+1}" '
	on { out = ""; while ((i = index($0, old)) > 0) { out = out substr($0, 1, i - 1) new; $0 = substr($0, i + length(old)) } $0 = out $0 }
	{ print }' "$out/$name.url" >"$out/$name"
	rm -f "$out/$name.url"
done
rm -f "$out/prometheusrule.yaml.tmp"
echo "with_runbook_url.sh: rules, dashboards and PrometheusRule in $out link to $url${job:+; job=~\"$job\"}"
