#!/usr/bin/env bash
# test_tls.sh — --web.config.file for real: a test CA made here with openssl, TLS and mTLS
# accepted and refused with curl, basic auth accepted and refused, plain HTTP to the TLS
# port failing cleanly, bad config files refused at start-up (one line, exit 2), and the
# real Prometheus server scraping over TLS with basic auth using the matching scrape config.
source "$(dirname "$0")/lib.sh"
it_begin openssl jq

PROMETHEUS=$(dirname "$PROMTOOL")/prometheus
[ -x "$PROMETHEUS" ] || die "no prometheus binary beside $PROMTOOL"
PORT=19500
# The TLS and auth paths run in the ASan/UBSan build when there is one.
SERVER_BIN=${TCPH_ASAN_BIN:-$TCPH_BIN}
PKI=$IT_TMP/pki
mkdir -p "$PKI"

# ---- a test PKI: CA, server (localhost, 127.0.0.1), a trusted client, an untrusted one ----
ec() { openssl req "$@" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes 2>>"$IT_TMP/openssl.err"; }
sign() { # sign NAME CA [EXTFILE]
	openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.crt" -CAkey "$PKI/$2.key" -CAcreateserial \
		-out "$PKI/$1.crt" -days 2 ${3:+-extfile "$3"} 2>>"$IT_TMP/openssl.err"
}
ec -x509 -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 2 -subj "/CN=test CA" || die "openssl CA"
ec -x509 -keyout "$PKI/rogue-ca.key" -out "$PKI/rogue-ca.crt" -days 2 -subj "/CN=rogue CA" || die "openssl rogue CA"
ec -keyout "$PKI/server.key" -out "$PKI/server.csr" -subj "/CN=localhost" || die "openssl server"
# The server's certificate is for TLS servers only: it must not pass as a client's.
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$PKI/server.ext"
sign server ca "$PKI/server.ext" || die "openssl sign server"
printf 'extendedKeyUsage=clientAuth\n' >"$PKI/client.ext"
ec -keyout "$PKI/client.key" -out "$PKI/client.csr" -subj "/CN=prometheus" || die "openssl client"
sign client ca "$PKI/client.ext" || die "openssl sign client"
ec -keyout "$PKI/rogue.key" -out "$PKI/rogue.csr" -subj "/CN=rogue" || die "openssl rogue"
sign rogue rogue-ca || die "openssl sign rogue"
# bcrypt (cost 10) of the password; Debian's openssl cannot make one, tests/tools/bcrypt can.
HASH=$("$TOOLS/bcrypt" s3cret) || die "cannot make a bcrypt hash"

config() { # config FILE: writes stdin to FILE in the PKI directory (paths relative to it)
	cat >"$PKI/$1"
}
config tls.yml <<EOF2
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: '$HASH'
EOF2
config mtls.yml <<EOF2
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
EOF2
config anycert.yml <<EOF2
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS13
  client_auth_type: RequireAnyClientCert
  client_ca_file: ca.crt
EOF2

netns_create ns_tls
NS=$ns_tls

# start_tls NAME CONFIG: the exporter with --web.config.file, waited for over TLS (any HTTP
# answer, 401 included, means it is serving).
start_tls() {
	local deadline
	bg_start "$1" "$NS" "$SERVER_BIN" --web.listen-address=127.0.0.1:$PORT --web.config.file="$PKI/$2"
	deadline=$(($(now_ms) + 10000))
	until in_ns "$NS" curl -s -o /dev/null --max-time 1 --cacert "$PKI/ca.crt" "https://localhost:$PORT/"; do
		kill -0 "$(bg_pid "$1")" 2>/dev/null || die "exporter with $2 exited: $(cat "$(bg_err "$1")")"
		[ "$(now_ms)" -lt "$deadline" ] || die "exporter with $2 did not answer over TLS"
		sleep 0.05
	done
}

# code CURL-ARGS...: the HTTP status, or "000/EXIT" when curl failed (TLS refused etc.)
code() {
	local out rc=0
	out=$(in_ns "$NS" curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$@") || rc=$?
	[ "$rc" = 0 ] && echo "$out" || echo "000/$rc"
}
BASE="https://localhost:$PORT"
CA=(--cacert "$PKI/ca.crt")

section "TLS with basic auth"
start_tls tls tls.yml
assert_contains "the start-up log gives the status page as https" "$(bg_err tls)" "status page on https://127.0.0.1:$PORT/"
assert_eq "right password over TLS" 200 "$(code "${CA[@]}" -u prom:s3cret "$BASE/metrics")"
# The scheme is case-insensitive (RFC 9110 §11.1): "basic" used to get 401.
b64() { printf "$1" | base64 -w0; }
for scheme in basic BASIC bAsIc; do
	assert_eq "scheme '$scheme' with the right password" 200 \
		"$(code "${CA[@]}" -H "Authorization: $scheme $(b64 'prom:s3cret')" "$BASE/metrics")"
done
# A NUL in the credentials: libmicrohttpd's C strings cut "s3cret\0junk" to "s3cret", 200.
assert_eq "password with a NUL (s3cret\\0junk)" 401 \
	"$(code "${CA[@]}" -H "Authorization: Basic $(b64 'prom:s3cret\0junk')" "$BASE/metrics")"
assert_eq "user with a NUL (prom\\0x)" 401 \
	"$(code "${CA[@]}" -H "Authorization: Basic $(b64 'prom\0x:s3cret')" "$BASE/metrics")"
assert_eq "another scheme (Basicx)" 401 \
	"$(code "${CA[@]}" -H "Authorization: Basicx $(b64 'prom:s3cret')" "$BASE/metrics")"
assert_eq "not base64" 401 "$(code "${CA[@]}" -H "Authorization: Basic pr*m" "$BASE/metrics")"
# Padded standard base64 only, as Go's exporter-toolkit reads it: "prom:s3cret" is 11 bytes,
# so its token ends in one '='; without it the token is refused.
unpadded=$(b64 'prom:s3cret'); unpadded=${unpadded%=}
assert_eq "base64 without its padding" 401 \
	"$(code "${CA[@]}" -H "Authorization: Basic $unpadded" "$BASE/metrics")"
assert_eq "right password after them (none of them held the client)" 200 \
	"$(code "${CA[@]}" -u prom:s3cret "$BASE/metrics")"
assert_eq "wrong password" 401 "$(code "${CA[@]}" -u prom:wrong "$BASE/metrics")"
sleep 1.1 # a client with a wrong password waits a second for its next check (below)
assert_eq "unknown user" 401 "$(code "${CA[@]}" -u nobody:s3cret "$BASE/metrics")"
sleep 1.1
assert_eq "no credentials" 401 "$(code "${CA[@]}" "$BASE/metrics")"
assert_eq "landing page needs credentials too" 401 "$(code "${CA[@]}" "$BASE/")"
hdr=$(in_ns "$NS" curl -s -D - -o /dev/null "${CA[@]}" "$BASE/metrics" | tr -d '\r')
printf '%s\n' "$hdr" >"$IT_TMP/hdr"
assert_contains "401 carries WWW-Authenticate" "$IT_TMP/hdr" 'WWW-Authenticate: Basic realm="tcp_health_exporter"'
assert_eq "plain HTTP to the TLS port fails cleanly" "000/52" "$(code "http://127.0.0.1:$PORT/metrics")"
assert_eq "unauthenticated HEAD gets 401" 401 "$(code "${CA[@]}" -I "$BASE/metrics")"
for method in POST DELETE; do
	assert_eq "unauthenticated $method gets 401 before anything else" 401 \
		"$(code "${CA[@]}" -X "$method" "$BASE/metrics")"
done
assert_eq "unauthenticated unknown path gets 401, not 404" 401 "$(code "${CA[@]}" "$BASE/nope")"
# Debian's curl will not speak TLS 1.0/1.1 at all, so ask openssl, at the security level that
# still allows them, and prove the same client gets TLS 1.2 through.
tls_handshake() { # tls_handshake FLAG: 0 when a handshake with only that version succeeds
	in_ns "$NS" timeout 5 openssl s_client -connect 127.0.0.1:$PORT -servername localhost \
		"$1" -cipher 'DEFAULT@SECLEVEL=0' -CAfile "$PKI/ca.crt" </dev/null >"$IT_TMP/s_client.out" 2>&1
}
tls_handshake -tls1_1 && fail "TLS 1.1 handshake succeeded" || ok "TLS 1.1 is refused by the server"
tls_handshake -tls1 && fail "TLS 1.0 handshake succeeded" || ok "TLS 1.0 is refused by the server"
tls_handshake -tls1_2 && ok "the same client gets TLS 1.2 through" || fail "TLS 1.2 handshake failed: $(tail -n 3 "$IT_TMP/s_client.out")"
section "wrong passwords cannot keep the serving threads busy"
assert_eq "wrong password" 401 "$(code "${CA[@]}" -u prom:wrong1 "$BASE/metrics")"
# The next attempt from the same address is held (no bcrypt, no thread) until the penalty
# second is over, then answered 429: a client that ignores Retry-After cannot spin.
start_ms=$(now_ms)
hdr=$(in_ns "$NS" curl -s -D - -o /dev/null "${CA[@]}" -u prom:wrong2 "$BASE/metrics" | tr -d '\r')
held_ms=$(($(now_ms) - start_ms))
printf '%s\n' "$hdr" >"$IT_TMP/hdr429"
assert_eq "another one at once: 429, no bcrypt" 429 "$(head -n 1 "$IT_TMP/hdr429" | awk '{ print $2 }')"
assert_contains "429 carries Retry-After" "$IT_TMP/hdr429" "Retry-After: 1"
if [ "$held_ms" -ge 300 ] && [ "$held_ms" -le 1500 ]; then
	ok "the 429 came when the penalty second was over (${held_ms} ms)"
else
	fail "the 429 came after ${held_ms} ms, not at the end of the penalty second"
fi
assert_eq "the right (remembered) password is still accepted at once" 200 \
	"$(code "${CA[@]}" -u prom:s3cret "$BASE/metrics")"
sleep 1.1
assert_eq "after a second a wrong password is checked again" 401 "$(code "${CA[@]}" -u prom:wrong4 "$BASE/metrics")"
sleep 1.1
assert_eq "the server certificate verifies against the test CA" 200 \
	"$(code --cacert "$PKI/ca.crt" -u prom:s3cret "$BASE/metrics")"
assert_eq "an untrusting client refuses the server" "000/60" \
	"$(code --cacert "$PKI/rogue-ca.crt" -u prom:s3cret "$BASE/metrics")"
in_ns "$NS" curl -s "${CA[@]}" -u prom:s3cret "$BASE/metrics" -o "$IT_TMP/tls-metrics" || true
assert_contains "metrics served over TLS" "$IT_TMP/tls-metrics" 'tcp_health_scrape_collector_success{collector="tcp"} 1'
assert_eq "exporter still up after the refusals" 0 "$(kill -0 "$(bg_pid tls)" 2>/dev/null; echo $?)"

section "Prometheus scrapes over TLS with basic auth"
mkdir -p "$IT_TMP/prom"
cat >"$IT_TMP/prom/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tcp_health
    scheme: https
    tls_config:
      ca_file: $PKI/ca.crt
      server_name: localhost
    basic_auth:
      username: prom
      password: s3cret
    static_configs:
      - targets: ['127.0.0.1:$PORT']
  - job_name: tcp_health_wrong_password
    scheme: https
    tls_config:
      ca_file: $PKI/ca.crt
      server_name: localhost
    basic_auth:
      username: prom
      password: wrong
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF2
bg_start prometheus "$NS" "$PROMETHEUS" --config.file="$IT_TMP/prom/prometheus.yml" \
	--storage.tsdb.path="$IT_TMP/prom/data" --web.listen-address=127.0.0.1:19590
http_wait prometheus "$NS" http://127.0.0.1:19590/-/ready 30
deadline=$(($(now_ms) + 20000))
while :; do
	targets=$(in_ns "$NS" curl -s http://127.0.0.1:19590/api/v1/targets || true)
	good=$(printf '%s' "$targets" | jq -r '.data.activeTargets[]? | select(.labels.job == "tcp_health") | .health' 2>/dev/null || true)
	bad=$(printf '%s' "$targets" | jq -r '.data.activeTargets[]? | select(.labels.job == "tcp_health_wrong_password") | .lastError' 2>/dev/null || true)
	if [ "$good" = up ] && [ -n "$bad" ]; then
		break
	fi
	[ "$(now_ms)" -lt "$deadline" ] || break
	sleep 0.5
done
assert_eq "Prometheus target with the right password" up "$good"
# 401, or 429 when its previous attempt, a second ago at most, failed too.
if [[ $bad == *"401 Unauthorized"* || $bad == *"429 Too Many Requests"* ]]; then
	ok "Prometheus target with the wrong password is refused ($bad)"
else
	fail "Prometheus target with the wrong password: lastError '$bad'"
fi
it_stop prometheus
it_stop tls
assert_eq "exporter exit status" 0 "$IT_STOP_RC"

section "mutual TLS"
start_tls mtls mtls.yml
assert_eq "trusted client certificate" 200 \
	"$(code "${CA[@]}" --cert "$PKI/client.crt" --key "$PKI/client.key" "$BASE/metrics")"
assert_eq "no client certificate" 403 "$(code "${CA[@]}" "$BASE/metrics")"
assert_eq "client certificate from another CA" 403 \
	"$(code "${CA[@]}" --cert "$PKI/rogue.crt" --key "$PKI/rogue.key" "$BASE/metrics")"
assert_eq "the CA's server-only certificate used as a client's" 403 \
	"$(code "${CA[@]}" --cert "$PKI/server.crt" --key "$PKI/server.key" "$BASE/metrics")"
it_stop mtls
assert_eq "exporter exit status" 0 "$IT_STOP_RC"

section "RequireAnyClientCert, TLS 1.3 only"
start_tls anycert anycert.yml
assert_eq "any client certificate, even from another CA" 200 \
	"$(code "${CA[@]}" --cert "$PKI/rogue.crt" --key "$PKI/rogue.key" "$BASE/metrics")"
assert_eq "no client certificate" 403 "$(code "${CA[@]}" "$BASE/metrics")"
assert_eq "TLS 1.2 refused with min_version TLS13" "000/35" \
	"$(code "${CA[@]}" --cert "$PKI/client.crt" --key "$PKI/client.key" --tls-max 1.2 "$BASE/metrics")"
it_stop anycert
assert_eq "exporter exit status" 0 "$IT_STOP_RC"
for name in tls mtls anycert; do
	assert_not_contains "$name: no sanitizer report" "$(bg_err "$name")" "Sanitizer"
	assert_not_contains "$name: no undefined behaviour" "$(bg_err "$name")" "runtime error"
done

section "bad config files: one line on stderr, exit 2"
bad_config() { # bad_config DESCRIPTION EXPECTED-TEXT (config on stdin)
	local rc=0 lines
	config bad.yml
	in_ns "$NS" timeout 10 "$SERVER_BIN" --web.listen-address=127.0.0.1:$PORT \
		--web.config.file="$PKI/bad.yml" >"$IT_TMP/bad.out" 2>"$IT_TMP/bad.err" || rc=$?
	lines=$(wc -l <"$IT_TMP/bad.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$2" "$IT_TMP/bad.err"; then
		ok "$1: $(cat "$IT_TMP/bad.err")"
	else
		fail "$1: exit $rc, $lines lines: $(cat "$IT_TMP/bad.err")"
	fi
}
printf 'tls_server_config: [\n' | bad_config "malformed YAML" "line"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n' |
	bad_config "unreadable key" "missing.key"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: rogue.key\n' |
	bad_config "key of another certificate" "cannot use cert_file"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS10\n' |
	bad_config "weak TLS version" "is weak"
printf 'basic_auth_users:\n  prom: s3cret\n' | bad_config "plain-text password" "not a bcrypt hash"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n' |
	bad_config "client verification without a CA" "client_ca_file"
printf 'tls_config:\n  cert_file: server.crt\n' | bad_config "unknown key" "'tls_config' is not supported"
printf 'basic_auth_users:\n  a: "%s"\nbasic_auth_users:\n  b: "%s"\n  c: "%s"\n' "$HASH" "$HASH" "$HASH" |
	bad_config "a section given twice" "'basic_auth_users' is given twice"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n' |
	bad_config "client certificates without a CA to ask with" "client_ca_file"
printf 'basic_auth_users:\n  prom: "%s"\n' "$("$TOOLS/bcrypt" x 16)" | bad_config "bcrypt cost too high" "too slow"
rc=0
in_ns "$NS" "$TCPH_BIN" --web.config.file="$PKI/none.yml" 2>"$IT_TMP/bad.err" || rc=$?
assert_eq "missing config file: exit status" 2 "$rc"
assert_contains "missing config file: named" "$IT_TMP/bad.err" "none.yml"
it_end
