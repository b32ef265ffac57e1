#!/bin/bash
# Check the Prometheus rules and Grafana dashboards of tcp_health_exporter:
#   1. promtool check rules   on dashboards/prometheus/*.rules.yml
#   2. promtool test rules    on dashboards/prometheus/tests/*.yml
#   3. promtool check rules   on the copy shorten_for_test.sh writes (it must stay loadable)
#   4. dashboards/lint.sh     (dashboards and rule files; see its header)
#   5. with_runbook_url.sh    (make rules RUNBOOK_URL=...) moves every runbook link
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
	dashboards/prometheus/shorten_for_test.sh "$tmp/alerts.short.rules.yml" &&
		"$PROMTOOL" check rules "$tmp/alerts.short.rules.yml"
}
step "shortened alert rules load" shortened
step "dashboard lint" dashboards/lint.sh
# RUNBOOK_URL: every runbook link moves to the given base, and the rules still load.
runbook_url() {
	local url=https://wiki.example/tcp/runbook alerts links
	sh dashboards/with_runbook_url.sh "$tmp/rules" "$url" >/dev/null || return 1
	"$PROMTOOL" check rules "$tmp/rules/alerts.rules.yml" "$tmp/rules/recording.rules.yml" || return 1
	alerts=$(grep -c '^ *- alert:' dashboards/prometheus/alerts.rules.yml)
	links=$(grep -c "runbook_url: $url#tcphealth" "$tmp/rules/alerts.rules.yml")
	[ "$alerts" = "$links" ] || { echo "$links runbook links to $url for $alerts alerts"; return 1; }
	! grep -rq 'file:///usr/share/doc/tcp-health-exporter' "$tmp/rules" ||
		{ echo "the default base is left in $(grep -rl 'file:///usr/share/doc/tcp-health-exporter' "$tmp/rules")"; return 1; }
	for f in "$tmp"/rules/*.json; do
		jq empty "$f" || return 1
	done
	# Refused: not a URL, or one that would break the YAML.
	! sh dashboards/with_runbook_url.sh "$tmp/bad" 'wiki/x' 2>/dev/null &&
		! sh dashboards/with_runbook_url.sh "$tmp/bad" 'https://x/"y' 2>/dev/null
}
step "RUNBOOK_URL rewrites every runbook link" runbook_url

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
