#!/bin/bash
# Check the Prometheus rules and Grafana dashboards of tcp_health_exporter:
#   1. promtool check rules   on dashboards/prometheus/*.rules.yml
#   2. promtool test rules    on dashboards/prometheus/tests/*.yml
#   3. promtool check rules   on the copy shorten_for_test.sh writes (it must stay loadable)
#   4. dashboards/lint.sh     (dashboards and rule files; see its header)
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

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
