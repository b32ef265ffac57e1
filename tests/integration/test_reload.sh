#!/usr/bin/env bash
# test_reload.sh — SIGHUP re-reads --web.config.file while the exporter (the ASan/UBSan
# build) keeps its process and its listening socket: new users at once (also on a
# connection kept alive from before the reload), a 1.8 MB scrape in flight across the
# reload finishes whole, a broken file keeps the old configuration (one log line, the
# reload gauges say so), a rotated TLS certificate is presented to new connections, TLS can
# be switched off (an empty file cannot switch it off: refused), and a SIGHUP without
# --web.config.file is harmless. Every instance must
# then exit 0 on SIGTERM with no sanitizer report.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin openssl awk base64 ss

if [ -z "${TCPH_ASAN_BIN:-}" ] || [ ! -x "$TCPH_ASAN_BIN" ]; then
	die "TCPH_ASAN_BIN '${TCPH_ASAN_BIN:-}' is not an executable"
fi
[ -x "$TOOLS/bcrypt" ] || die "'$TOOLS/bcrypt' is not an executable"
# Leaks are reported at exit; any UBSan finding aborts (the build has no recovery).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
EXPORTER_START_TIMEOUT=30 # read by exporter_start: the sanitizer build starts slowly
export LC_ALL=C

PORT=19700     # basic auth over HTTP: users, keep-alive, in-flight scrape, broken file
TLS_PORT=19701 # TLS certificate rotation, then TLS switched off
NOCONF_PORT=19702
DATA=$IT_ROOT/tests/data/tls
WEB=$IT_TMP/web.yml
HASH_OLD=$("$TOOLS/bcrypt" old) || die "cannot make a bcrypt hash"
HASH_NEW=$("$TOOLS/bcrypt" new) || die "cannot make a bcrypt hash"

netns_create NS
# Small socket buffers in this namespace (per-namespace sysctls), so that most of a large
# response waits in the exporter, not in the kernel, while a client reads slowly.
in_ns "$NS" sysctl -q -w net.ipv4.tcp_rmem="4096 65536 131072" net.ipv4.tcp_wmem="4096 65536 131072" ||
	die "cannot set the namespace's TCP buffer sizes"

# ---- helpers -----------------------------------------------------------------------------

# put_config FILE: stdin becomes FILE in one rename, as a configuration tool would write it.
put_config() {
	cat >"$1.tmp" && mv -f "$1.tmp" "$1"
}

# code SRC CURL-ARGS...: the HTTP status of one request made from address SRC (each check
# uses its own address: a wrong password holds the next attempt from the same address for
# a second), or "000/EXIT" when curl failed.
code() {
	local src=$1 out rc=0
	shift
	out=$(in_ns "$NS" curl -s -o /dev/null --max-time 10 --interface "$src" -w '%{http_code}' "$@") || rc=$?
	[ "$rc" = 0 ] && echo "$out" || echo "000/$rc"
}

# metrics SRC URL FILE CURL-ARGS...: a scrape into FILE; 0 on 200.
metrics() {
	local src=$1 url=$2 file=$3 got
	shift 3
	got=$(in_ns "$NS" curl -s --max-time 10 --interface "$src" -o "$file" -w '%{http_code}' "$@" "$url") || true
	[ "$got" = 200 ] || { fail "scrape of $url from $src: HTTP '$got'"; return 1; }
}

# listen_inodes PORT: the inode of every listening socket on PORT (ss -e shows ino:N).
listen_inodes() {
	in_ns "$NS" ss -tlneH "sport = :$1" 2>/dev/null | grep -o 'ino:[0-9]*' | cut -d: -f2 | sort | tr '\n' ' ' | sed 's/ $//'
}

# greater A B: A > B numerically.
greater() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

threads_of() { find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# process_id PID: "PID/START" (start time in clock ticks): another process, even one that
# got the same pid, has another start time.
process_id() { echo "$1/$(awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null)"; }

# ---- basic auth over HTTP ----------------------------------------------------------------
# 500 listeners make the scrape body about 1.8 MB: far more than the socket buffers hold,
# so a slow client is still being written to by the old server after the reload.
listen_args=()
for p in $(seq 20000 20499); do listen_args+=(listen 127.0.0.1 "$p"); done
sockstate_start sockets "$NS" "${listen_args[@]}"

put_config "$WEB" <<EOF2
basic_auth_users:
  prom: '$HASH_OLD'
EOF2
# A read deadline longer than the default 10 s: the kept-alive connections below wait,
# idle, through the slow scrape and the reload; on a loaded machine (two test runs at
# once) that took over 10 s and the deadline, not the reload, closed them.
exporter_start auth "$NS" "$TCPH_ASAN_BIN" 127.0.0.1:$PORT --web.config.file="$WEB" --max-ports=4096 --web.read-timeout=60s
BASE=http://127.0.0.1:$PORT

section "users change on SIGHUP"
assert_eq "password 'old' before the reload" 200 "$(code 127.0.0.10 -u prom:old "$BASE/metrics")"
metrics 127.0.0.11 "$BASE/metrics" "$IT_TMP/m0" -u prom:old || true
assert_metric "$IT_TMP/m0" tcp_health_exporter_config_last_reload_successful 1
ts0=$(metric_value "$IT_TMP/m0" tcp_health_exporter_config_last_reload_success_timestamp_seconds)
body_len=$(wc -c <"$IT_TMP/m0")
pid0=$(bg_pid auth)
proc0=$(process_id "$pid0")
ino0=$(listen_inodes $PORT)
threads0=$(threads_of "$pid0")
echo "  before: process $proc0 (pid/start), listening socket inode $ino0, $threads0 threads, start timestamp $ts0, body $body_len bytes"
[ -n "$ino0" ] || die "no listening socket on port $PORT"

# Connections kept alive across the reload, with a bash /dev/tcp client rather than curl:
# the request after the reload is sent only once the test says the reload is done, and a
# /dev/tcp descriptor cannot silently reconnect, so both answers come over the one
# connection that the old server accepted (curl with two URLs would decide by itself when
# to send the second request and whether to reuse the connection).
cat >"$IT_TMP/keepalive.sh" <<'EOF2'
# keepalive.sh PORT AUTH1 AUTH2 TRIGGER: two GET / on one connection (AUTH: base64 of
# user:password), the second once the file TRIGGER exists. Prints "first CODE" and
# "second CODE [close]" ("close": the server said Connection: close).
set -u
export LC_ALL=C
trap '' PIPE
exec 3<>"/dev/tcp/127.0.0.1/$1" || { echo "connect failed"; exit 1; }
ask() {
	local line status len=0 body close=""
	printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n\r\n' "$1" >&3 2>/dev/null ||
		{ echo "write-failed"; return; }
	IFS= read -r -t 10 line <&3 || { echo "no-answer"; return; }
	status=${line#* }
	status=${status%% *}
	while IFS= read -r -t 10 line <&3; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		case ${line,,} in
		content-length:*) len=${line#*:} len=${len// /} ;;
		connection:*close*) close=" close" ;;
		esac
	done
	if [ "$len" -gt 0 ]; then IFS= read -r -N "$len" -t 10 body <&3 || { echo "short-body"; return; }; fi
	echo "$status$close"
}
echo "first $(ask "$2")"
for _ in $(seq 300); do [ -e "$4" ] && break; sleep 0.05; done
echo "second $(ask "$3")"
EOF2
b64() { printf '%s' "$1" | base64 -w0; }
bg_start ka_new "$NS" bash "$IT_TMP/keepalive.sh" $PORT "$(b64 prom:old)" "$(b64 prom:new)" "$IT_TMP/go_new"
bg_start ka_old "$NS" bash "$IT_TMP/keepalive.sh" $PORT "$(b64 prom:old)" "$(b64 prom:old)" "$IT_TMP/go_old"
deadline=$(($(now_ms) + 10000))
until grep -q '^first' "$(bg_out ka_new)" && grep -q '^first' "$(bg_out ka_old)"; do
	[ "$(now_ms)" -lt "$deadline" ] || die "the keep-alive clients got no first answer"
	sleep 0.02
done
for ka in ka_new ka_old; do
	assert_eq "$ka: first request on the connection, password 'old', before the reload" "first 200" \
		"$(grep '^first' "$(bg_out $ka)")"
done
ka_conns=$(in_ns "$NS" ss -tnH state established "( dport = :$PORT and src 127.0.0.1 )" | awk '{ print $3 }' | tr '\n' ' ')
echo "  kept-alive connections (client ends): $ka_conns"

# A scrape in flight across the reload: curl writes the 1.8 MB body into a pipe that is
# read 64 KiB every 50 ms (at most 1.3 MB/s), so curl stops reading the socket and the
# exporter's writes back up. (curl 7.88's --limit-rate does not pace the socket reads: it
# had the whole body at once.)
cat >"$IT_TMP/slowread.sh" <<'EOF2'
# slowread.sh SRC URL USER:PASS OUT: the body to OUT, headers to OUT.hdr, curl's
# "CODE SIZE" to OUT.curl; prints curl's exit status.
curl -sS --max-time 60 --interface "$1" -u "$3" -D "$4.hdr" \
	-w '%{stderr}%{http_code} %{size_download}\n' "$2" 2>"$4.curl" |
	while :; do
		n=$(dd bs=64k count=1 2>/dev/null | tee -a "$4" | wc -c)
		[ "$n" -gt 0 ] || break
		sleep 0.05
	done
echo "curl_exit=${PIPESTATUS[0]}"
EOF2
: >"$IT_TMP/slow.body"
bg_start slow "$NS" bash "$IT_TMP/slowread.sh" 127.0.0.12 "$BASE/metrics" prom:old "$IT_TMP/slow.body"
deadline=$(($(now_ms) + 10000))
until [ "$(stat -c %s "$IT_TMP/slow.body")" -gt 100000 ]; do
	bg_running slow || die "the slow scrape ended before the reload: $(cat "$(bg_out slow)" "$IT_TMP/slow.body.curl")"
	[ "$(now_ms)" -lt "$deadline" ] || die "the slow scrape did not start"
	sleep 0.02
done

put_config "$WEB" <<EOF2
basic_auth_users:
  prom: '$HASH_NEW'
EOF2
mark=$(log_lines auth)
got=$(stat -c %s "$IT_TMP/slow.body")
# What the kernel holds of the response: the exporter's Send-Q and curl's Recv-Q.
sendq=$(in_ns "$NS" ss -tnH state established "( sport = :$PORT and dst 127.0.0.12 )" | awk '{ s += $2 } END { print s + 0 }')
recvq=$(in_ns "$NS" ss -tnH state established "( dport = :$PORT and src 127.0.0.12 )" | awk '{ s += $1 } END { print s + 0 }')
hup_ms=$(now_ms)
kill -HUP "$pid0"
wait_log auth "$mark" "SIGHUP: web configuration re-read from $WEB (http, basic auth)" 10 || true
echo "  reload logged $(($(now_ms) - hup_ms)) ms after SIGHUP"
threads_during=$(threads_of "$pid0")

assert_eq "password 'old' after the reload" 401 "$(code 127.0.0.13 -u prom:old "$BASE/metrics")"
assert_eq "password 'new' after the reload" 200 "$(code 127.0.0.14 -u prom:new "$BASE/metrics")"
assert_eq "same process (pid/start time)" "$proc0" "$(process_id "$pid0")"
assert_eq "same listening socket (inode), and only one" "$ino0" "$(listen_inodes $PORT)"
metrics 127.0.0.15 "$BASE/metrics" "$IT_TMP/m1" -u prom:new || true
assert_metric "$IT_TMP/m1" tcp_health_exporter_config_last_reload_successful 1
ts1=$(metric_value "$IT_TMP/m1" tcp_health_exporter_config_last_reload_success_timestamp_seconds)
greater "$ts1" "$ts0" && ok "reload success timestamp moved: $ts0 -> $ts1" ||
	fail "reload success timestamp did not move: $ts0 -> $ts1"

section "connections kept alive from before the reload: users are the current ones"
# One at a time: both come from 127.0.0.1, and a refused password holds that address's
# next attempt for a second.
touch "$IT_TMP/go_new"
deadline=$(($(now_ms) + 15000))
while bg_running ka_new && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
touch "$IT_TMP/go_old"
while bg_running ka_old && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
ka_new_second=$(grep '^second' "$(bg_out ka_new)" || echo 'second (none)')
ka_old_second=$(grep '^second' "$(bg_out ka_old)" || echo 'second (none)')
echo "  answers after the reload: '$ka_new_second' (new), '$ka_old_second' (old)"
assert_eq "kept-alive connection, password 'new' after the reload" "second 200" "$ka_new_second"
# A 401 closes the connection (Connection: close); either way is fine here.
assert_eq "kept-alive connection, password 'old' after the reload" "second 401" "${ka_old_second% close}"

section "a scrape in flight across the reload"
deadline=$(($(now_ms) + 30000))
while bg_running slow && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
end_ms=$(now_ms)
it_stop slow none 1
slow_len=$(tr -d '\r' <"$IT_TMP/slow.body.hdr" | awk -F': ' 'tolower($1) == "content-length" { print $2 }')
slow_got=$(stat -c %s "$IT_TMP/slow.body")
# Between the socket and the file: the pipe (64 KiB) and curl's buffer (100 KiB at most).
pending=$((slow_len - got - sendq - recvq - 65536 - 102400))
echo "  at SIGHUP: $got bytes in the file, $sendq in the server's Send-Q, $recvq in curl's Recv-Q;" \
	"at least $pending of $slow_len bytes still in the exporter; the download ended $((end_ms - hup_ms)) ms after SIGHUP"
assert_eq "slow scrape: curl exit status" "curl_exit=0" "$(cat "$(bg_out slow)")"
assert_eq "slow scrape: status and length (curl -w)" "200 $slow_len" "$(cat "$IT_TMP/slow.body.curl")"
assert_eq "slow scrape: body length = Content-Length" "$slow_len" "$slow_got"
[ "$(tail -c 1 "$IT_TMP/slow.body" | od -An -c | tr -d ' ')" = '\n' ] &&
	ok "slow scrape: the body ends with a whole line" || fail "slow scrape: the body is cut mid-line"
[ "$pending" -gt 0 ] && ok "the old server wrote at least $pending bytes after the reload" ||
	fail "the response may have left the exporter before SIGHUP ($pending): the check proves nothing"
# The old server (its own pool threads) is stopped once its connections are gone.
deadline=$(($(now_ms) + 5000))
while [ "$(threads_of "$pid0")" -gt "$threads0" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
threads_after=$(threads_of "$pid0")
echo "  threads: $threads0 before, $threads_during during the reload, $threads_after once drained"
greater "$threads_during" "$threads0" && ok "a second server ran beside the old one" ||
	fail "no extra server threads during the reload ($threads0 -> $threads_during)"
assert_eq "the old server stopped once drained (thread count back)" "$threads0" "$threads_after"

section "a broken file keeps the previous configuration"
printf 'basic_auth_users: [\n  prom: x\n' | put_config "$WEB"
mark=$(log_lines auth)
kill -HUP "$pid0"
wait_log auth "$mark" "keeping the previous web configuration" 10 || true
sleep 0.3 # anything else the reload would log
log_since auth "$mark" >"$IT_TMP/broken.log"
sed 's/^/  | /' "$IT_TMP/broken.log"
# (The reaper may log a refusal summary meanwhile: only error and reload lines count.)
grep 'level=error' "$IT_TMP/broken.log" >"$IT_TMP/broken.errors" || true
assert_eq "new error lines after the broken reload" 1 "$(wc -l <"$IT_TMP/broken.errors")"
assert_contains "the error line names the file" "$IT_TMP/broken.errors" "$WEB"
assert_not_contains "no reload reported done" "$IT_TMP/broken.log" "re-read"
assert_eq "password 'new' still accepted" 200 "$(code 127.0.0.16 -u prom:new "$BASE/metrics")"
assert_eq "password 'old' still refused" 401 "$(code 127.0.0.17 -u prom:old "$BASE/metrics")"
metrics 127.0.0.18 "$BASE/metrics" "$IT_TMP/m2" -u prom:new || true
assert_metric "$IT_TMP/m2" tcp_health_exporter_config_last_reload_successful 0
assert_eq "reload success timestamp unchanged" "$ts1" \
	"$(metric_value "$IT_TMP/m2" tcp_health_exporter_config_last_reload_success_timestamp_seconds)"
assert_eq "same listening socket" "$ino0" "$(listen_inodes $PORT)"

put_config "$WEB" <<EOF2
basic_auth_users:
  prom: '$HASH_NEW'
EOF2
mark=$(log_lines auth)
kill -HUP "$pid0"
wait_log auth "$mark" "SIGHUP: web configuration re-read" 10 || true
metrics 127.0.0.19 "$BASE/metrics" "$IT_TMP/m3" -u prom:new || true
assert_metric "$IT_TMP/m3" tcp_health_exporter_config_last_reload_successful 1
ts3=$(metric_value "$IT_TMP/m3" tcp_health_exporter_config_last_reload_success_timestamp_seconds)
greater "$ts3" "$ts1" && ok "fixed file: timestamp moved: $ts1 -> $ts3" ||
	fail "fixed file: timestamp did not move: $ts1 -> $ts3"
assert_eq "same process after three reloads" "$proc0" "$(process_id "$pid0")"
it_stop sockets

# ---- TLS: certificate rotation, then TLS off -----------------------------------------------
section "TLS certificate rotation"
PKI=$IT_TMP/pki
mkdir -p "$PKI"
# A second server certificate from the same test CA (as tests/data/tls/make.sh makes the
# first); an explicit random serial, so that nothing is written beside the CA.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/server2.key" \
	-out "$PKI/server2.csr" -subj "/CN=localhost" 2>>"$IT_TMP/openssl.err" || die "openssl req"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$PKI/server2.ext"
openssl x509 -req -in "$PKI/server2.csr" -CA "$DATA/ca.crt" -CAkey "$DATA/ca.key" \
	-set_serial "0x$(openssl rand -hex 12)" -days 2 -extfile "$PKI/server2.ext" \
	-out "$PKI/server2.crt" 2>>"$IT_TMP/openssl.err" || die "openssl x509 -req"
TLSWEB=$IT_TMP/tls.yml
put_config "$TLSWEB" <<EOF2
tls_server_config:
  cert_file: $DATA/server.crt
  key_file: $DATA/server.key
EOF2
bg_start tls "$NS" "$TCPH_ASAN_BIN" --web.listen-address=127.0.0.1:$TLS_PORT --web.config.file="$TLSWEB"
deadline=$(($(now_ms) + 30000))
until in_ns "$NS" curl -s -o /dev/null --max-time 1 --cacert "$DATA/ca.crt" "https://localhost:$TLS_PORT/"; do
	bg_running tls || die "the TLS exporter exited: $(tail -n 5 "$(bg_err tls)")"
	[ "$(now_ms)" -lt "$deadline" ] || die "the TLS exporter did not answer over TLS"
	sleep 0.05
done
TBASE=https://localhost:$TLS_PORT
CA=(--cacert "$DATA/ca.crt")
# presented: serial and SHA-256 fingerprint of the certificate a new connection gets.
presented() {
	in_ns "$NS" timeout 5 openssl s_client -connect 127.0.0.1:$TLS_PORT -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -serial -fingerprint -sha256 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}
id_of() { openssl x509 -in "$1" -noout -serial -fingerprint -sha256 | tr '\n' ' ' | sed 's/ $//'; }
cert1=$(id_of "$DATA/server.crt")
cert2=$(id_of "$PKI/server2.crt")
tls_pid=$(bg_pid tls)
tls_proc=$(process_id "$tls_pid")
tls_ino=$(listen_inodes $TLS_PORT)
assert_eq "before: the first certificate" "$cert1" "$(presented)"
assert_eq "before: https verifies against the test CA" 200 "$(code 127.0.0.20 "${CA[@]}" "$TBASE/metrics")"
put_config "$TLSWEB" <<EOF2
tls_server_config:
  cert_file: $PKI/server2.crt
  key_file: $PKI/server2.key
EOF2
mark=$(log_lines tls)
kill -HUP "$tls_pid"
wait_log tls "$mark" "SIGHUP: web configuration re-read from $TLSWEB (https)" 10 || true
assert_eq "after: new connections get the second certificate" "$cert2" "$(presented)"
assert_eq "after: https still verifies" 200 "$(code 127.0.0.21 "${CA[@]}" "$TBASE/metrics")"
assert_eq "same process" "$tls_proc" "$(process_id "$tls_pid")"
assert_eq "same listening socket" "$tls_ino" "$(listen_inodes $TLS_PORT)"

section "an empty file is refused: TLS stays on"
# An empty file would read as "no TLS, no auth": refused, the previous configuration kept.
put_config "$TLSWEB" </dev/null
mark=$(log_lines tls)
kill -HUP "$tls_pid"
wait_log tls "$mark" "keeping the previous web configuration" 10 || true
log_since tls "$mark" | grep -q "sets up neither TLS nor basic auth" && ok "the error line says why" ||
	fail "no 'sets up neither TLS nor basic auth' after the empty reload: $(log_since tls "$mark" | tail -n 3)"
assert_eq "after: https still verifies" 200 "$(code 127.0.0.30 "${CA[@]}" "$TBASE/metrics")"
assert_eq "after: plain HTTP to the TLS port still fails" "000/52" "$(code 127.0.0.31 "http://127.0.0.1:$TLS_PORT/metrics")"
metrics 127.0.0.32 "$TBASE/metrics" "$IT_TMP/m3e" "${CA[@]}" || true
assert_metric "$IT_TMP/m3e" tcp_health_exporter_config_last_reload_successful 0

section "TLS switched off (basic auth instead)"
put_config "$TLSWEB" <<EOF2
basic_auth_users:
  prom: '$HASH_NEW'
EOF2
assert_eq "before: plain HTTP to the TLS port fails" "000/52" "$(code 127.0.0.22 "http://127.0.0.1:$TLS_PORT/metrics")"
mark=$(log_lines tls)
kill -HUP "$tls_pid"
wait_log tls "$mark" "SIGHUP: web configuration re-read from $TLSWEB (http, basic auth)" 10 || true
assert_eq "after: plain HTTP with the password" 200 "$(code 127.0.0.23 -u prom:new "http://127.0.0.1:$TLS_PORT/metrics")"
assert_eq "after: plain HTTP without it" 401 "$(code 127.0.0.33 "http://127.0.0.1:$TLS_PORT/metrics")"
https_after=$(code 127.0.0.24 "${CA[@]}" "$TBASE/metrics")
[[ $https_after == 000/* ]] && ok "after: https fails ($https_after)" || fail "after: https answered $https_after"
assert_eq "same listening socket" "$tls_ino" "$(listen_inodes $TLS_PORT)"
metrics 127.0.0.25 "http://127.0.0.1:$TLS_PORT/metrics" "$IT_TMP/m4" -u prom:new || true
assert_metric "$IT_TMP/m4" tcp_health_exporter_config_last_reload_successful 1

# ---- no --web.config.file ------------------------------------------------------------------
section "SIGHUP without --web.config.file"
exporter_start noconf "$NS" "$TCPH_ASAN_BIN" 127.0.0.1:$NOCONF_PORT
metrics 127.0.0.26 "http://127.0.0.1:$NOCONF_PORT/metrics" "$IT_TMP/m5" || true
mark=$(log_lines noconf)
kill -HUP "$(bg_pid noconf)"
wait_log noconf "$mark" "SIGHUP: no --web.config.file to re-read" 10 && ok "logged: nothing to re-read" || true
assert_eq "still serving" 200 "$(code 127.0.0.27 "http://127.0.0.1:$NOCONF_PORT/metrics")"
bg_running noconf && ok "still running" || fail "exited on SIGHUP"
metrics 127.0.0.28 "http://127.0.0.1:$NOCONF_PORT/metrics" "$IT_TMP/m6" || true
assert_metric "$IT_TMP/m6" tcp_health_exporter_config_last_reload_successful 1
# Nothing was re-read: the timestamp still says when the exporter started.
assert_eq "reload success timestamp unchanged by a SIGHUP with nothing to re-read" \
	"$(metric_value "$IT_TMP/m5" tcp_health_exporter_config_last_reload_success_timestamp_seconds)" \
	"$(metric_value "$IT_TMP/m6" tcp_health_exporter_config_last_reload_success_timestamp_seconds)"

section "SIGTERM after all that"
stop_clean auth
stop_clean tls
stop_clean noconf
it_end
