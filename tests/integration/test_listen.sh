#!/usr/bin/env bash
# test_listen.sh — where the exporter listens: --web.listen-address given several times
# serves on each (IPv4 and IPv6, the same snapshots, a SIGHUP reload moves every address
# to the new configuration at once), bad combinations are refused with one line and exit
# code 2 (the same address twice, more than 8, an address already taken, the flag together
# with --web.systemd-socket); and systemd socket activation for real with systemd's own
# systemd-socket-activate: the exporter serves on the sockets it is handed (a scrape that
# arrives before the exporter has started waits in the accept queue and is answered),
# refuses sockets it was not told to use and the flag without sockets; the shipped
# tcp_health_exporter.socket passes `systemd-analyze verify` with the service.
# The two-address instance is the ASan/UBSan build and must exit 0 without a report.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin curl ss systemd-socket-activate systemd-analyze prlimit

if [ -z "${TCPH_ASAN_BIN:-}" ] || [ ! -x "$TCPH_ASAN_BIN" ]; then
	die "TCPH_ASAN_BIN '${TCPH_ASAN_BIN:-}' is not an executable"
fi
[ -x "$TOOLS/bcrypt" ] || die "'$TOOLS/bcrypt' is not an executable"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
EXPORTER_START_TIMEOUT=30
export LC_ALL=C

# Every port lives in this test's own namespace: nothing on the host can clash with it.
P4=19720 P6=19721 BUSY=19722 SA4=19723 SA6=19724 SA_BAD=19725
netns_create NS
in_ns "$NS" sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0 2>/dev/null || true
HASH=$("$TOOLS/bcrypt" secret) || die "cannot make a bcrypt hash"
WEB=$IT_TMP/web.yml

# code URL CURL-ARGS...: the HTTP status, or 000 when the request failed.
code() {
	local url=$1
	shift
	in_ns "$NS" curl -gs -o /dev/null --max-time 10 -w '%{http_code}' "$@" "$url" || true
}

# refused NAME EXPECTED-LINE ARGS...: the exporter exits 2 with exactly one line on stderr,
# which holds EXPECTED-LINE.
refused() {
	local what=$1 line=$2 rc=0
	shift 2
	in_ns "$NS" timeout 20 "$TCPH_BIN" "$@" >"$IT_TMP/refused.out" 2>"$IT_TMP/refused.err" || rc=$?
	assert_eq "$what: exit code" 2 "$rc"
	assert_eq "$what: lines on stderr" 1 "$(wc -l <"$IT_TMP/refused.err")"
	assert_contains "$what: the line says why" "$IT_TMP/refused.err" "$line"
}

section "two --web.listen-address: IPv4 and IPv6, both served"
# An empty file would be refused (it sets up neither TLS nor auth): one user, secret0.
HASH0=$("$TOOLS/bcrypt" secret0) || die "cannot make a bcrypt hash"
printf 'basic_auth_users:\n  prom: %s\n' "'$HASH0'" >"$WEB"
scrape0() { in_ns "$NS" curl -gsS --max-time 10 -u prom:secret0 -o "$2" -w '%{http_code}' "$1" | grep -qx 200; }
bg_start two "$NS" "$TCPH_ASAN_BIN" --web.listen-address=127.0.0.1:$P4 "--web.listen-address=[::1]:$P6" \
	--web.config.file="$WEB" --listen-ports=$P4,$P6
http_wait two "$NS" "http://127.0.0.1:$P4/-/healthy" 30
http_wait two "$NS" "http://[::1]:$P6/-/healthy" 30
pid=$(bg_pid two)
assert_eq "listening sockets of the exporter's process" 2 \
	"$(in_ns "$NS" ss -Htlnp | grep -c "pid=$pid,")"
assert_contains "one start-up line names both addresses" "$(bg_err two)" "serving /metrics on 127.0.0.1:$P4, [::1]:$P6 (http, basic auth)"
assert_contains "the next names the status page on the first" "$(bg_err two)" "status page on http://127.0.0.1:$P4/"
scrape0 "http://127.0.0.1:$P4/metrics" "$IT_TMP/v4.prom" || fail "scrape over IPv4"
scrape0 "http://[::1]:$P6/metrics" "$IT_TMP/v6.prom" || fail "scrape over IPv6"
# It sees itself listen on both: the listener metrics of the two ports.
for f in v4 v6; do
	assert_metric "$IT_TMP/$f.prom" "tcp_health_listener_up{port=\"$P4\"}" 1
	assert_metric "$IT_TMP/$f.prom" "tcp_health_listener_up{port=\"$P6\"}" 1
done
assert_eq "/-/ready over IPv6" 200 "$(code "http://[::1]:$P6/-/ready" -u prom:secret0)"
assert_eq "status API over IPv4" 200 "$(code "http://127.0.0.1:$P4/api/v1/status" -u prom:secret0)"
# One exporter behind both addresses: the scan counter of a scrape over IPv6 continues
# the one over IPv4 (each scrape here is a scan of its own: they are made one after the
# other).
scans_v4=$(metric_value "$IT_TMP/v4.prom" tcp_health_exporter_scans_total)
scans_v6=$(metric_value "$IT_TMP/v6.prom" tcp_health_exporter_scans_total)
if [ -n "$scans_v4" ] && [ -n "$scans_v6" ] && [ "$scans_v6" -eq $((scans_v4 + 1)) ]; then
	ok "one exporter behind both addresses: scans_total $scans_v4 (IPv4), then $scans_v6 (IPv6)"
else
	fail "scans_total over IPv4 then IPv6: '$scans_v4' -> '$scans_v6'"
fi

section "SIGHUP: every address moves to the new configuration"
printf 'basic_auth_users:\n  prom: %s\n' "'$HASH'" >"$WEB.tmp" && mv "$WEB.tmp" "$WEB"
marks=$(wc -l <"$(bg_err two)")
kill -HUP "$pid"
deadline=$(($(now_ms) + 10000))
until tail -n "+$((marks + 1))" "$(bg_err two)" | grep -q "SIGHUP: web configuration re-read"; do
	[ "$(now_ms)" -lt "$deadline" ] || { fail "no reload line in the log within 10 s"; break; }
	sleep 0.05
done
assert_eq "IPv4 without a password after the reload" 401 "$(code "http://127.0.0.1:$P4/metrics")"
assert_eq "IPv6 without a password after the reload" 401 "$(code "http://[::1]:$P6/metrics")"
assert_eq "IPv4 with the password" 200 "$(code "http://127.0.0.1:$P4/metrics" -u prom:secret)"
assert_eq "IPv6 with the password" 200 "$(code "http://[::1]:$P6/metrics" -u prom:secret)"
# As with exporter-toolkit, basic auth covers every path, the probes included.
assert_eq "/-/healthy asks for the password too" 401 "$(code "http://[::1]:$P6/-/healthy")"
section "a reload that cannot start its servers keeps serving on every address"
# The open-file limit is lowered step by step under what a new server needs (the web
# config file, a duplicate of each listening socket, libmicrohttpd's epoll and signalling
# descriptors per thread), so reloads fail at every point of the start, including after
# the first address's daemon started and before the second's. Each failed reload must
# leave both addresses serving with the previous users; the first that fits succeeds.
# The limit is counted from the descriptors open at each step (a failed start may leak
# the duplicate libmicrohttpd did not take, by design) and set back before each check, so
# that the old server can accept the checking connections.
HASH2=$("$TOOLS/bcrypt" secret2) || die "cannot make a bcrypt hash"
# Only the soft limit moves (raising a hard limit back is not allowed); `extra` is the
# number of free descriptor numbers below it, counting the gaps between open ones.
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
[ -n "$soft" ] || die "cannot read the exporter's open-file limit"
# limit_with_free PID N: the lowest limit below which exactly N descriptor numbers are free.
limit_with_free() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n |
		awk -v want="$2" '{ open[$1] = 1 } END { free = 0; for (l = 0; ; l++) { if (free == want) { print l; exit } if (!(l in open)) free++ } }'
}
users=secret next=secret2 failed_reloads=0 reloaded=0 broken=0
for extra in $(seq 0 40); do
	limit=$(limit_with_free "$pid" "$extra")
	prlimit --pid "$pid" --nofile="$limit:" || die "prlimit failed"
	printf 'basic_auth_users:\n  prom: %s\n' "'$([ "$next" = secret ] && echo "$HASH" || echo "$HASH2")'" >"$WEB.tmp" &&
		mv "$WEB.tmp" "$WEB"
	marks=$(wc -l <"$(bg_err two)")
	kill -HUP "$pid"
	deadline=$(($(now_ms) + 10000))
	until tail -n "+$((marks + 1))" "$(bg_err two)" | grep -q "SIGHUP: "; do
		[ "$(now_ms)" -lt "$deadline" ] || die "no SIGHUP line in the log within 10 s (limit $limit)"
		sleep 0.05
	done
	prlimit --pid "$pid" --nofile="$soft:" || die "prlimit failed"
	if tail -n "+$((marks + 1))" "$(bg_err two)" | grep -q "SIGHUP: keeping the previous"; then
		failed_reloads=$((failed_reloads + 1))
		for url in "http://127.0.0.1:$P4/metrics" "http://[::1]:$P6/metrics"; do
			got=$(code "$url" -u "prom:$users")
			[ "$got" = 200 ] || { broken=$((broken + 1)); echo "  limit $limit: $url with the previous password: $got"; }
		done
		continue
	fi
	users=$next
	reloaded=1
	break
done
echo "  -- $failed_reloads reloads failed under open-file limits just above the descriptors open; the next succeeded"
tail -n 40 "$(bg_err two)" | grep "SIGHUP: keeping" | sed 's/.*msg=/  |   /' | sort | uniq -c | sed 's/^/  | /' | head -n 8
[ "$failed_reloads" -ge 3 ] && ok "reloads failed at $failed_reloads points of the start" ||
	fail "only $failed_reloads reloads failed: the limits did not reach into the server start"
assert_eq "a reload succeeded once the limit allowed it" 1 "$reloaded"
# The case that matters most: the first address's daemon started, the second's did not.
if grep -q "http: only 1 of 2 listening sockets got a server" "$(bg_err two)"; then
	ok "a reload failed after starting one of its two daemons (and was retired)"
else
	fail "no reload failed half-way (no 'only 1 of 2' line): the partial start was not exercised"
fi
assert_eq "addresses that stopped serving after a failed reload" 0 "$broken"
for url in "http://127.0.0.1:$P4/metrics" "http://[::1]:$P6/metrics"; do
	assert_eq "$url with the new password" 200 "$(code "$url" -u "prom:$users")"
done
stop_clean two
assert_eq "no listening socket left on either port" 0 \
	"$(in_ns "$NS" ss -Htln "( sport = :$P4 or sport = :$P6 )" | wc -l)"

section "refused: one line, exit code 2"
refused "the same address twice" "invalid --web.listen-address '127.0.0.1:$P4': given twice" \
	--web.listen-address=127.0.0.1:$P4 --web.listen-address=127.0.0.1:$P4
nine=()
for i in 1 2 3 4 5 6 7 8 9; do nine+=("--web.listen-address=127.0.0.1:$((P4 + 10 + i))"); done
refused "nine addresses" "too many --web.listen-address: at most 8" "${nine[@]}"
sockstate_start busy "$NS" listen 127.0.0.1 $BUSY
refused "the second address is taken" "cannot listen on '127.0.0.1:$BUSY': Address already in use" \
	--web.listen-address=127.0.0.1:$P4 --web.listen-address=127.0.0.1:$BUSY
assert_eq "the first address was released again" 0 "$(in_ns "$NS" ss -Htln "sport = :$P4" | wc -l)"
refused "--web.systemd-socket with --web.listen-address" "exclude each other" \
	--web.systemd-socket --web.listen-address=127.0.0.1:$P4
refused "--web.systemd-socket without sockets" "--web.systemd-socket: systemd passed no sockets" \
	--web.systemd-socket

section "socket activation (systemd-socket-activate)"
# systemd-socket-activate binds both, waits for the first connection, then execs the
# exporter in its own process with LISTEN_FDS=2: the first scrape is made before the
# exporter runs and is answered by it.
bg_start activated "$NS" systemd-socket-activate -l 127.0.0.1:$SA4 -l "[::1]:$SA6" \
	"$TCPH_BIN" --web.systemd-socket --listen-ports=$SA4,$SA6
deadline=$(($(now_ms) + 10000))
until [ "$(in_ns "$NS" ss -Htln "( sport = :$SA4 or sport = :$SA6 )" | wc -l)" = 2 ]; do
	[ "$(now_ms)" -lt "$deadline" ] || die "systemd-socket-activate did not listen"
	sleep 0.05
done
assert_eq "not started before the first connection" 0 "$(grep -c 'serving' "$(bg_err activated)")"
scrape "$NS" "http://127.0.0.1:$SA4/metrics" "$IT_TMP/sa.prom" || fail "the first (activating) scrape"
assert_metric "$IT_TMP/sa.prom" "tcp_health_listener_up{port=\"$SA4\"}" 1
assert_metric "$IT_TMP/sa.prom" "tcp_health_listener_up{port=\"$SA6\"}" 1
assert_eq "IPv6 socket from systemd" 200 "$(code "http://[::1]:$SA6/metrics")"
assert_contains "it says where the sockets come from" "$(bg_err activated)" \
	"serving /metrics on 127.0.0.1:$SA4, [::1]:$SA6 (from systemd) (http)"
pid=$(bg_pid activated)
assert_eq "the activated process is the exporter" "$(readlink -f "$TCPH_BIN")" "$(readlink -f "/proc/$pid/exe")"
it_stop activated TERM 10
assert_eq "exit code on SIGTERM" 0 "$IT_STOP_RC"

# The usual mistake: the .socket unit and the exporter's own address are the same port.
# The refusal must say why, not fail to bind with "Address already in use".
bg_start unasked "$NS" systemd-socket-activate -l 127.0.0.1:$SA_BAD "$TCPH_BIN" --web.listen-address=127.0.0.1:$SA_BAD
deadline=$(($(now_ms) + 10000))
until in_ns "$NS" ss -Htln "sport = :$SA_BAD" | grep -q .; do
	[ "$(now_ms)" -lt "$deadline" ] || die "systemd-socket-activate did not listen"
	sleep 0.05
done
in_ns "$NS" curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$SA_BAD/" || true
it_stop unasked none 10
assert_eq "sockets from systemd without --web.systemd-socket: exit code" 2 "$IT_STOP_RC"
assert_contains "and one line says so" "$(bg_err unasked)" \
	"started with 1 listening socket(s) from systemd (socket activation) but without --web.systemd-socket"
assert_not_contains "not a bind failure" "$(bg_err unasked)" "Address already in use"

section "the shipped units"
mkdir -p "$IT_TMP/units"
sed "s#/usr/local/bin/tcp_health_exporter#$(realpath "$TCPH_BIN")#" \
	"$IT_ROOT/deploy/systemd/tcp_health_exporter.service" >"$IT_TMP/units/tcp_health_exporter.service"
cp "$IT_ROOT/deploy/systemd/tcp_health_exporter.socket" "$IT_TMP/units/"
# --man=no: Documentation=man:tcp_health_exporter(1) exists once installed (make install,
# the package), not on this host.
if out=$(systemd-analyze verify --man=no "$IT_TMP/units/tcp_health_exporter.socket" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify tcp_health_exporter.socket (with the service)"
else
	fail "systemd-analyze verify tcp_health_exporter.socket: $out"
fi
assert_contains "the socket listens where the exporter would" "$IT_TMP/units/tcp_health_exporter.socket" "ListenStream=9978"
it_end
