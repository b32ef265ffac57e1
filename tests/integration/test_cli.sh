#!/usr/bin/env bash
# test_cli.sh — the command line and the process life cycle, in a network namespace:
# every bad flag or unusable address exits 2 with exactly one line on stderr naming the
# offending value and leaves no process behind; --help and --version exit 0 on stdout;
# SIGTERM and SIGINT stop a running exporter with status 0 and free its port.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk

netns_create NS
BUSY_PORT=9990
# Something else already listening, for the "address in use" case.
sockstate_start busy "$NS" listen 127.0.0.1 "$BUSY_PORT"

# leftover_pids: pids in the namespace other than the ones this test keeps running.
leftover_pids() {
	local pid keep=" ${IT_PID[*]} " left=""
	for pid in $(ip netns pids "$NS"); do
		case $keep in *" $pid "*) ;; *) left="$left $pid" ;; esac
	done
	echo "${left# }"
}

# rejected DESCRIPTION NEEDLE ARGS...: the exporter, run with ARGS, must exit 2 within
# 10 s with exactly one line on stderr containing NEEDLE, nothing on stdout, and leave no
# process in the namespace. A valid listen address comes first so that an exporter that
# wrongly accepts ARGS serves harmlessly inside the namespace until `timeout` stops it.
rejected() {
	local desc=$1 needle=$2 rc=0 problems=() lines err left
	shift 2
	timeout -k 2 10 ip netns exec "$NS" "$TCPH_BIN" --web.listen-address=127.0.0.1:9978 "$@" \
		>"$IT_TMP/cli.out" 2>"$IT_TMP/cli.err" || rc=$?
	err=$(head -c 400 "$IT_TMP/cli.err" | tr '\n' '|')
	lines=$(awk 'END { print NR }' "$IT_TMP/cli.err")
	[ "$rc" = 2 ] || problems+=("exit status: expected 2 got $rc")
	[ "$lines" = 1 ] || problems+=("stderr lines: expected 1 got $lines: $err")
	grep -qF -- "$needle" "$IT_TMP/cli.err" || problems+=("stderr does not name '$needle': $err")
	[ ! -s "$IT_TMP/cli.out" ] || problems+=("stdout not empty: $(head -c 200 "$IT_TMP/cli.out")")
	left=$(leftover_pids)
	[ -z "$left" ] || problems+=("processes left in the namespace: $left")
	if [ ${#problems[@]} = 0 ]; then
		ok "$desc: exit 2: $(head -n 1 "$IT_TMP/cli.err")"
	else
		for p in "${problems[@]}"; do fail "$desc: $p"; done
	fi
}

section "rejected flags and addresses"
rejected "unknown flag" "--no-such-flag" --no-such-flag
rejected "unknown short flag" "-x" -x
# getopt_long took unique prefixes: --lis was --listen-ports. Whole names only now.
rejected "abbreviated flag --lis" "unknown flag '--lis' (see --help)" --lis 3720
rejected "abbreviated flag --listen-port" "unknown flag '--listen-port'" --listen-port 3720
rejected "abbreviated flag --listen=3720" "unknown flag '--listen'" --listen=3720
rejected "abbreviated negation --no-collector.tcp.hist" "'--no-collector.tcp.hist'" --no-collector.tcp.hist
rejected "a switch given a value" "--web.systemd-socket takes no value" --web.systemd-socket=yes
rejected "stray argument" "stray" stray
# A second value replaced the first (only 23 was watched); each flag once now, but the
# repeatable --web.listen-address (given once already by rejected itself).
rejected "--listen-ports given twice" "flag '--listen-ports' given twice (see --help; only --web.listen-address may be repeated)" \
	--listen-ports=22 --listen-ports=23
rejected "--max-ports given twice, separate values" "flag '--max-ports' given twice" --max-ports 10 --max-ports 20
rejected "--netns given twice" "flag '--netns' given twice" --netns=self --netns=self
rejected "--web.config.file given twice" "flag '--web.config.file' given twice" \
	--web.config.file=/nonexistent/a --web.config.file=/nonexistent/b
rejected "--log.level given twice" "flag '--log.level' given twice" --log.level=debug --log.level=error
rejected "--collector.tcp with --no-collector.tcp" "flag '--[no-]collector.tcp' given twice" \
	--collector.tcp --no-collector.tcp
rejected "a switch given twice" "flag '--web.systemd-socket' given twice" --web.systemd-socket --web.systemd-socket
rejected "--listen-ports without a value" "--listen-ports" --listen-ports
rejected "--listen-ports 0" "'0'" --listen-ports 0
rejected "--listen-ports 65536" "65536" --listen-ports 65536
rejected "--listen-ports 12a" "12a" --listen-ports 12a
rejected "--listen-ports 1,,2" "1,,2" --listen-ports 1,,2
rejected "--listen-ports 1202," "1202," --listen-ports 1202,
rejected "--listen-ports 20-10 (reversed range)" "20-10" --listen-ports 20-10
rejected "--client-ports -5" "-5" --client-ports -5
rejected "--max-ports 0" "'0'" --max-ports 0
rejected "--max-ports abc" "abc" --max-ports abc
rejected "--max-ports 5000 (above the limit)" "5000" --max-ports 5000
rejected "--listen-ports with more ports than --max-ports" "1,2,3" --max-ports 2 --listen-ports 1,2,3
rejected "--idle-threshold 0" "'0'" --idle-threshold 0
rejected "--idle-threshold 5x (unknown unit)" "5x" --idle-threshold 5x
rejected "--idle-threshold 1500ms (not whole seconds)" "1500ms" --idle-threshold 1500ms
rejected "--idle-threshold 8d (above a week)" "8d" --idle-threshold 8d
rejected "--web.max-requests -1" "-1" --web.max-requests -1
rejected "--web.max-requests lots" "lots" --web.max-requests lots
rejected "--web.max-connections 0" "'0'" --web.max-connections 0
rejected "--web.max-connections 70000 (above the limit)" "70000" --web.max-connections 70000
rejected "--web.max-connections-per-ip x" "'x'" --web.max-connections-per-ip x
rejected "--web.read-timeout 10ms (below 100ms)" "10ms" --web.read-timeout 10ms
rejected "--web.read-timeout 1.5s" "1.5s" --web.read-timeout 1.5s
rejected "--web.write-timeout 2h (above 1h)" "2h" --web.write-timeout 2h
rejected "--web.write-timeout empty" "--web.write-timeout" --web.write-timeout=
rejected "--no-collector.nosuch" "--no-collector.nosuch" --no-collector.nosuch
rejected "--log.level loud" "loud" --log.level loud
rejected "--log.format xml" "xml" --log.format xml
rejected "--web.telemetry-path relative" "relative" --web.telemetry-path relative
rejected "--web.telemetry-path /" "'/'" --web.telemetry-path /
rejected "--web.telemetry-path /-/healthy" "serves it already" --web.telemetry-path /-/healthy
rejected "--web.telemetry-path /api/v1/status" "serves it already" --web.telemetry-path /api/v1/status
rejected "--web.listen-address port 99999" "127.0.0.1:99999" --web.listen-address=127.0.0.1:99999
rejected "--web.listen-address port 0" "127.0.0.1:0" --web.listen-address=127.0.0.1:0
rejected "--web.listen-address port abc" "127.0.0.1:abc" --web.listen-address=127.0.0.1:abc
rejected "--web.listen-address without a port" "'127.0.0.1'" --web.listen-address=127.0.0.1
rejected "--web.listen-address [::1]9978" "[::1]9978" "--web.listen-address=[::1]9978"
rejected "--web.listen-address already in use" "127.0.0.1:$BUSY_PORT" \
	"--web.listen-address=127.0.0.1:$BUSY_PORT"
# 198.18.0.1 (a benchmarking address) is configured nowhere in this namespace.
rejected "--web.listen-address not on this host" "198.18.0.1:9978" \
	--web.listen-address=198.18.0.1:9978

section "--help and --version"
for flag in --help --version; do
	rc=0
	timeout -k 2 10 ip netns exec "$NS" "$TCPH_BIN" "$flag" >"$IT_TMP/cli.out" 2>"$IT_TMP/cli.err" || rc=$?
	assert_eq "$flag: exit status" 0 "$rc"
	assert_eq "$flag: stderr" "" "$(cat "$IT_TMP/cli.err")"
	if [ "$flag" = --help ]; then
		for word in Usage --web.listen-address --web.telemetry-path --listen-ports --client-ports \
			--max-ports --log.level --log.format --web.disable-exporter-metrics \
			--collector.disable-defaults --version --web.max-requests --web.max-connections \
			--web.max-connections-per-ip --web.read-timeout --web.write-timeout SIGHUP \
			'--[no-]web.status.exclude-self'; do
			assert_contains "--help mentions $word" "$IT_TMP/cli.out" "$word"
		done
	else
		assert_contains "--version prints the version" "$IT_TMP/cli.out" \
			"tcp_health_exporter version $(cat "$IT_ROOT/VERSION")"
	fi
done

section "durations with units are accepted"
exporter_start durations "$NS" "$TCPH_BIN" 127.0.0.1:9978 --idle-threshold 5m \
	--web.read-timeout 1m30s --web.write-timeout=500ms --no-web.status.exclude-self
if scrape "$NS" http://127.0.0.1:9978/metrics "$IT_TMP/durations.prom"; then
	ok "--idle-threshold 5m --web.read-timeout 1m30s --web.write-timeout=500ms --no-web.status.exclude-self: serves"
else
	fail "--idle-threshold 5m --web.read-timeout 1m30s --web.write-timeout=500ms --no-web.status.exclude-self: scrape failed"
fi
it_stop durations TERM 5

section "--log.format=json: one JSON object a line"
# A web config that cannot be read makes a warning with a quoted path in it on SIGHUP.
exporter_start jsonlog "$NS" "$TCPH_BIN" 127.0.0.1:9978 --log.format=json --log.level=debug
scrape "$NS" http://127.0.0.1:9978/metrics "$IT_TMP/jsonlog.prom" || fail "scrape with --log.format=json failed"
it_stop jsonlog TERM 5
lines=$(wc -l <"$(bg_err jsonlog)")
parsed=$(jq -c 'select((.ts | type) == "string" and (.level | test("^(debug|info|warn|error)$")) and (.msg | type) == "string")' \
	"$(bg_err jsonlog)" 2>"$IT_TMP/jq.err" | wc -l)
if [ "$lines" -ge 2 ] && [ "$parsed" = "$lines" ]; then
	ok "--log.format=json: all $lines lines are JSON objects with ts, level and msg"
else
	fail "--log.format=json: $parsed of $lines lines parse: $(head -c 300 "$IT_TMP/jq.err") $(head -n 3 "$(bg_err jsonlog)")"
fi
assert_contains "--log.format=json: the start line" "$(bg_err jsonlog)" '"level":"info","msg":"tcp_health_exporter '
assert_eq "durations: exit status after SIGTERM" 0 "$IT_STOP_RC"

section "--no-collector.tcp"
exporter_start notcp "$NS" "$TCPH_BIN" 127.0.0.1:9978 --no-collector.tcp
if scrape "$NS" http://127.0.0.1:9978/metrics "$IT_TMP/notcp.prom"; then
	ok "scrape with --no-collector.tcp"
	assert_no_series "$IT_TMP/notcp.prom" '^tcp_health_(connections|listener_up)\{' \
		"--no-collector.tcp: no tcp collector families"
	assert_no_series "$IT_TMP/notcp.prom" 'collector="tcp"' "--no-collector.tcp: no collector=\"tcp\" series"
	assert_no_series "$IT_TMP/notcp.prom" '^tcp_health_scrape_collector_success\{.*\} 0$' \
		"--no-collector.tcp: every remaining collector succeeds"
else
	fail "scrape with --no-collector.tcp failed"
fi
it_stop notcp TERM 5
assert_eq "--no-collector.tcp: exit status after SIGTERM" 0 "$IT_STOP_RC"

section "stopping with SIGTERM and SIGINT"
for sig in TERM INT; do
	exporter_start "run_$sig" "$NS" "$TCPH_BIN" 127.0.0.1:9978
	it_stop "run_$sig" "$sig" 5
	assert_eq "SIG$sig: exit status (within 5 s)" 0 "$IT_STOP_RC"
	assert_eq "SIG$sig: nothing listens on 9978 afterwards" "" \
		"$(in_ns "$NS" ss -tlnH 'sport = :9978')"
	assert_eq "SIG$sig: processes left in the namespace" "" "$(leftover_pids)"
done

# Under strace: every close() of the clean shutdown must succeed. A close() that fails
# with EBADF means an fd was closed twice; in a threaded program the second close can
# hit an unrelated fd that reused the number.
section "clean shutdown closes each fd once (strace)"
command -v strace >/dev/null 2>&1 || die "strace is not installed (make check-deps installs it)"
{
	bg_start traced "$NS" strace -f -qq -e trace=close,shutdown -o "$IT_TMP/strace.txt" \
		"$TCPH_BIN" --web.listen-address=127.0.0.1:9978
	http_wait traced "$NS" http://127.0.0.1:9978/metrics 15
	in_ns "$NS" curl -s -o /dev/null --max-time 10 http://127.0.0.1:9978/metrics || true
	exporter_pid=$(cat /proc/"$(bg_pid traced)"/task/*/children 2>/dev/null | awk '{ print $1; exit }')
	if [ -z "$exporter_pid" ]; then
		fail "cannot find the exporter under strace (pid $(bg_pid traced))"
	else
		kill -TERM "$exporter_pid"
		it_stop traced none 10 # strace exits with the exporter's status
		assert_eq "exit status under strace" 0 "$IT_STOP_RC"
		bad=$(grep -E '^[0-9]+ +close\([0-9]+\) += -1 EBADF' "$IT_TMP/strace.txt" || true)
		if [ -z "$bad" ]; then
			ok "no close() failed with EBADF during start-up, scrape and shutdown"
		else
			fail "an fd was closed twice: $(printf '%s' "$bad" | tr -s ' ' | tr '\n' ';')"
		fi
	fi
}

it_end
