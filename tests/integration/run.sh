#!/usr/bin/env bash
# run.sh — runs every tests/integration/test_*.sh, each in its own bash process, and
# prints one summary line: "integration: N passed, M failed[, K skipped]".
# A test exits 0 (passed), 77 (skipped: e.g. not root) or anything else (failed).
# Exit status: 1 if any test failed, else 0.
#
# Environment: TCPH_BIN, TCPH_ASAN_BIN, PROMTOOL, TOOLS (see the Makefile's integration
# target); IT_FILTER=REGEX runs only the tests whose name matches.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
passed=0 failed=0 skipped=0
failed_names=()
# A test that hangs despite its own bounded waits is stopped here.
per_test_timeout=${IT_TEST_TIMEOUT:-240}

for test in "$here"/test_*.sh; do
	[ -e "$test" ] || continue
	name=$(basename "$test" .sh)
	if [ -n "${IT_FILTER:-}" ] && ! [[ $name =~ $IT_FILTER ]]; then
		continue
	fi
	echo "== $name"
	start=${EPOCHREALTIME/./}
	timeout -k 10 "$per_test_timeout" bash "$test"
	rc=$?
	end=${EPOCHREALTIME/./}
	secs=$(awk -v us=$((end - start)) 'BEGIN { printf "%.1f", us / 1e6 }')
	case $rc in
	0)
		passed=$((passed + 1))
		echo "PASS $name (${secs}s)"
		;;
	77)
		skipped=$((skipped + 1))
		echo "SKIP $name (${secs}s)"
		;;
	124 | 137)
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "FAIL $name (${secs}s): timed out after ${per_test_timeout}s"
		;;
	*)
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "FAIL $name (${secs}s)"
		;;
	esac
done

[ "$failed" = 0 ] || echo "failed tests: ${failed_names[*]}"
summary="integration: $passed passed, $failed failed"
[ "$skipped" = 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]
