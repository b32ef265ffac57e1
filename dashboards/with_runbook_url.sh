#!/bin/sh
# with_runbook_url.sh OUTDIR URL — the alert rules, recording rules and Grafana dashboards
# with their runbook links pointing at URL instead of the installed package's copy
# (file:///usr/share/doc/tcp-health-exporter/runbook.md). URL is where your copy of
# docs/runbook.md is served; each alert appends its #anchor. `make rules RUNBOOK_URL=...`
# runs this into build/rules/ and checks the rules with promtool.
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
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for f in "$here"/prometheus/alerts.rules.yml "$here"/prometheus/recording.rules.yml "$here"/grafana/*.json; do
	sed "s|$DEFAULT|$url|g" "$f" >"$out/$(basename "$f")"
done
echo "with_runbook_url.sh: rules and dashboards in $out link to $url"
