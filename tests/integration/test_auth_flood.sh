#!/usr/bin/env bash
# test_auth_flood.sh — wrong passwords from many addresses cannot starve the right one.
# 32 clients (127.0.0.2-33, tests/tools/hostile wrongpass) try a wrong password in a loop
# for 10 s against basic auth (bcrypt cost 10) over plain HTTP, while Prometheus's stand-in
# (127.0.0.200) scrapes every 0.5 s with the right, already remembered password: every
# scrape must be 200 and quick. A right password never used before must still get through
# the password thread's queue within seconds. The throttle must show: 429s, and no more
# bcrypts (401s) than one per address and penalty second. What the clients saw and what
# the exporter counted must agree. Then a shorter flood of curl loops against TLS + basic
# auth, with the right client scraping over https.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk openssl sort

[ -x "$TOOLS/hostile" ] || die "'$TOOLS/hostile' is not an executable"
[ -x "$TOOLS/bcrypt" ] || die "'$TOOLS/bcrypt' is not an executable"
PORT=19600
TLS_PORT=19601
CLIENTS=32      # flooding addresses 127.0.0.2 .. 127.0.0.33
DURATION=10     # s, plain HTTP flood
TLS_DURATION=5  # s, TLS flood
GOOD=127.0.0.200 # the right client
LATE=127.0.0.201 # the right password of another user, first used during the flood
DATA=$IT_ROOT/tests/data/tls
HASH=$("$TOOLS/bcrypt" s3cret) || die "cannot make a bcrypt hash"
HASH_LATE=$("$TOOLS/bcrypt" l4te) || die "cannot make a bcrypt hash"

netns_create NS

cat >"$IT_TMP/auth.yml" <<EOF2
basic_auth_users:
  prom: '$HASH'
  late: '$HASH_LATE'
EOF2
cat >"$IT_TMP/tls.yml" <<EOF2
tls_server_config:
  cert_file: $DATA/server.crt
  key_file: $DATA/server.key
basic_auth_users:
  prom: '$HASH'
EOF2

# timed SRC CURL-ARGS...: one request from SRC; prints "CODE MILLISECONDS" (curl's own
# time_total, so the ip-netns-exec start-up is not counted); CODE 000 when curl failed.
timed() {
	local src=$1 out
	shift
	out=$(in_ns "$NS" curl -s -o /dev/null --max-time 10 --interface "$src" \
		-w '%{http_code} %{time_total}' "$@") || true
	awk -v o="${out:-000 0}" 'BEGIN { split(o, f, " "); printf "%s %d\n", f[1], f[2] * 1000 + 0.5 }'
}

# refused FILE REASON: tcp_health_exporter_http_refused_total{reason=REASON}, 0 if absent
# (check_refusal_series makes sure that they are there).
refused() {
	local v
	v=$(metric_value "$1" "tcp_health_exporter_http_refused_total{reason=\"$2\"}")
	echo "${v:-0}"
}
check_refusal_series() {
	local r
	for r in unauthorized auth_throttled auth_queue_full; do
		[ -n "$(metric_value "$1" "tcp_health_exporter_http_refused_total{reason=\"$r\"}")" ] ||
			fail "no tcp_health_exporter_http_refused_total{reason=\"$r\"} in the scrape"
	done
}


# good_scrapes SAMPLES START_MS PREFIX CURL-ARGS...: the right client, every 0.5 s from
# START_MS + 250; "CODE MS" lines to $IT_TMP/PREFIX.samples. Calls on_sample K after each
# sample (hook for the late client).
on_sample() { :; }
good_scrapes() {
	local n=$1 start=$2 prefix=$3 k wait_ms
	shift 3
	: >"$IT_TMP/$prefix.samples"
	for ((k = 0; k < n; k++)); do
		wait_ms=$((start + 250 + k * 500 - $(now_ms)))
		[ "$wait_ms" -le 0 ] || sleep "$(awk -v m="$wait_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
		timed "$GOOD" "$@" >>"$IT_TMP/$prefix.samples"
		on_sample "$k"
	done
}

# check_good PREFIX LIMIT_MS: every sample 200, the p99 under LIMIT_MS.
check_good() {
	local prefix=$1 limit=$2 stats bad
	awk '{ print $2 }' "$IT_TMP/$prefix.samples" >"$IT_TMP/$prefix.ms"
	stats=$(percentiles "$IT_TMP/$prefix.ms")
	echo "  right client ($prefix): $stats ms; all: $(tr "\n" " " <"$IT_TMP/$prefix.ms")"
	bad=$(awk '$1 != 200' "$IT_TMP/$prefix.samples" | tr '\n' ' ')
	assert_eq "$prefix: every scrape with the right password is 200 (the others)" "" "$bad"
	[ "$(percentile_field "$stats" p99)" -lt "$limit" ] && ok "$prefix: p99 $(percentile_field "$stats" p99) ms < $limit ms" ||
		fail "$prefix: p99 $(percentile_field "$stats" p99) ms, not under $limit ms ($stats)"
}

# ---- plain HTTP ----------------------------------------------------------------------------
section "basic auth over HTTP: $CLIENTS addresses with a wrong password for $DURATION s"
exporter_start plain "$NS" "$TCPH_BIN" 127.0.0.1:$PORT --web.config.file="$IT_TMP/auth.yml"
URL=http://127.0.0.1:$PORT/metrics
warm=$(timed "$GOOD" -u prom:s3cret "$URL")
assert_eq "the right password, first use (one bcrypt, then remembered): ${warm#* } ms" 200 "${warm%% *}"
scrape_good() { in_ns "$NS" curl -s --max-time 10 --interface "$GOOD" -u prom:s3cret -o "$1" "$URL"; }
scrape_good "$IT_TMP/before" || die "scrape of the counters failed"
check_refusal_series "$IT_TMP/before"

for ((i = 2; i < 2 + CLIENTS; i++)); do
	bg_start "hostile$i" "$NS" "$TOOLS/hostile" --source "127.0.0.$i" --auth prom:wrong \
		--duration "$DURATION" wrongpass 127.0.0.1 $PORT
done
deadline=$(($(now_ms) + 10000))
for ((i = 2; i < 2 + CLIENTS; i++)); do
	until grep -q '^ready' "$(bg_out "hostile$i")" 2>/dev/null; do
		bg_running "hostile$i" || die "hostile$i exited: $(cat "$(bg_err "hostile$i")")"
		[ "$(now_ms)" -lt "$deadline" ] || die "hostile$i was not ready"
		sleep 0.02
	done
done
flood_start=$(now_ms)

# 3 s into the flood, a right password the exporter has not seen yet: it needs a bcrypt,
# so it waits in the password thread's queue behind the flood's.
on_sample() {
	[ "$1" = 5 ] || return 0
	bg_start late "$NS" curl -s -o /dev/null --max-time 20 --interface "$LATE" -u late:l4te \
		-w '%{http_code} %{time_total}' "$URL"
}
good_scrapes $((DURATION * 2)) "$flood_start" plain -u prom:s3cret "$URL"
on_sample() { :; }

# Every hostile loop stops at its deadline after its current request (at most a held
# second and the queue later).
for ((i = 2; i < 2 + CLIENTS; i++)); do
	it_stop "hostile$i" none 15
	[ "$IT_STOP_RC" = 0 ] || fail "hostile$i: exit status $IT_STOP_RC"
done
flood_ms=$(($(now_ms) - flood_start))
declare -A sum=([requests]=0 [s401]=0 [s429]=0 [s503]=0 [other]=0)
min401=999999 max401=0 min429=999999 max429=0 over=""
for ((i = 2; i < 2 + CLIENTS; i++)); do
	line=$(grep '^done' "$(bg_out "hostile$i")" || true)
	[ -n "$line" ] || { fail "hostile$i printed no totals"; continue; }
	declare -A got=()
	for kv in ${line#done }; do got[${kv%%=*}]=${kv#*=}; done
	for k in requests s401 s429 s503 other; do sum[$k]=$((sum[$k] + ${got[$k]:-0})); done
	a=${got[s401]:-0} b=${got[s429]:-0}
	((a < min401)) && min401=$a
	((a > max401)) && max401=$a
	((b < min429)) && min429=$b
	((b > max429)) && max429=$b
	# Per address: attempts alternate bcrypt (401) and held (429), starting with a bcrypt,
	# and bcrypts are at least a penalty second apart.
	if ((b > a || a > DURATION + 1 || a < 1)); then over+="127.0.0.$i:$line; "; fi
done
# When each loop printed its totals (the .out file's mtime), from the start of the flood.
ends=$(for ((i = 2; i < 2 + CLIENTS; i++)); do stat -c %.3Y "$(bg_out "hostile$i")"; done |
	awk -v s="$flood_start" '{ t = $1 * 1000 - s; if (NR == 1 || t < lo) lo = t; if (t > hi) hi = t }
		END { printf "%d-%d ms", lo, hi }')
echo "  the hostile loops ended $ends after the flood began (duration $((DURATION * 1000)) ms)"
deadline=$(($(now_ms) + 20000))
while bg_running late && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
it_stop late none 1
late_out=$(cat "$(bg_out late)")
scrape_good "$IT_TMP/after" || die "scrape of the counters failed"

check_good plain 200
late_ms=$(awk -v t="${late_out#* }" 'BEGIN { printf "%d", t * 1000 + 0.5 }')
echo "  first use of another right password during the flood: HTTP ${late_out%% *} after $late_ms ms"
assert_eq "that password is accepted" 200 "${late_out%% *}"
# It waits behind at most one check per flooding address (an address with a check pending
# is held, not queued): CLIENTS + 1 bcrypts at the pace the password thread kept during the
# flood (flood time / bcrypts: an over-estimate when the thread idled), with 50 % and
# 0.5 s to spare; and "a few seconds" in any case.
per_bcrypt=$((flood_ms / (sum[s401] > 0 ? sum[s401] : 1)))
late_bound=$(((CLIENTS + 1) * per_bcrypt * 3 / 2 + 500))
((late_bound < 10000)) || late_bound=10000
[ "$late_ms" -le "$late_bound" ] &&
	ok "it waited $late_ms ms <= $late_bound ms ($((CLIENTS + 1)) bcrypts of ~$per_bcrypt ms, +50 %, +0.5 s; at most 10 s)" ||
	fail "it waited $late_ms ms > $late_bound ms ($((CLIENTS + 1)) bcrypts of ~$per_bcrypt ms, +50 %, +0.5 s; at most 10 s)"

e401=$(($(refused "$IT_TMP/after" unauthorized) - $(refused "$IT_TMP/before" unauthorized)))
e429=$(($(refused "$IT_TMP/after" auth_throttled) - $(refused "$IT_TMP/before" auth_throttled)))
efull=$(($(refused "$IT_TMP/after" auth_queue_full) - $(refused "$IT_TMP/before" auth_queue_full)))
echo "  hostile clients: requests=${sum[requests]} 401=${sum[s401]} 429=${sum[s429]} 503=${sum[s503]}" \
	"other=${sum[other]} (per address: 401 $min401-$max401, 429 $min429-$max429) in $flood_ms ms"
echo "  exporter counters: unauthorized +$e401, auth_throttled +$e429, auth_queue_full +$efull"
echo "  password thread: ${sum[s401]} bcrypts in ${flood_ms} ms," \
	"$(awk -v n="${sum[s401]}" -v t="$flood_ms" 'BEGIN { printf "%.1f/s, %.0f ms each if it never idled", n * 1000 / t, t / (n ? n : 1) }')"
assert_eq "every hostile request got 401 or 429 (requests - 401 - 429)" 0 \
	$((sum[requests] - sum[s401] - sum[s429]))
assert_eq "exporter's unauthorized = the clients' 401s" "${sum[s401]}" "$e401"
assert_eq "exporter's auth_throttled = the clients' 429s" "${sum[s429]}" "$e429"
# At most one check per address waits at a time (a pending address is held), so at most
# 33 of the 64 places are ever taken.
assert_eq "exporter's auth_queue_full (at most $((CLIENTS + 1)) checks can wait)" 0 "$efull"
[ "$e429" -gt 0 ] && ok "the throttle engaged: $e429 attempts held and answered 429" ||
	fail "no attempt was throttled"
# Each address gets one bcrypt, then its next attempt is held until the penalty second
# after that bcrypt is over and answered 429, and only the attempt after that is checked
# again. So bcrypts of one address are more than a second apart (plus the time it waits in
# the queue): at most DURATION + 1 per address in DURATION seconds (one at 0, the last
# begun before the end), CLIENTS * (DURATION + 1) in all.
bound=$((CLIENTS * (DURATION + 1)))
[ "${sum[s401]}" -le "$bound" ] && ok "bcrypts (401s) ${sum[s401]} <= $CLIENTS x ($DURATION s / 1 s + 1) = $bound" ||
	fail "bcrypts (401s) ${sum[s401]} > $bound"
[ "${sum[requests]}" -le $((2 * bound)) ] &&
	ok "attempts ${sum[requests]} <= 2 x $bound: throttled clients are held, not answered at once" ||
	fail "attempts ${sum[requests]} > $((2 * bound)): throttled clients spin"
assert_eq "per address: 1 <= 401s <= $((DURATION + 1)) and 429s <= 401s (offenders)" "" "$over"
it_stop plain TERM 10
assert_eq "exporter exit status" 0 "$IT_STOP_RC"

# ---- TLS -----------------------------------------------------------------------------------
section "TLS + basic auth: $CLIENTS addresses with a wrong password for $TLS_DURATION s"
# hostile speaks plain HTTP only: the flood here is curl loops, one TLS connection each.
bg_start tls "$NS" "$TCPH_BIN" --web.listen-address=127.0.0.1:$TLS_PORT --web.config.file="$IT_TMP/tls.yml"
TURL=https://localhost:$TLS_PORT/metrics
TLS_ARGS=(--cacert "$DATA/ca.crt" --resolve "localhost:$TLS_PORT:127.0.0.1")
deadline=$(($(now_ms) + 10000))
until in_ns "$NS" curl -s -o /dev/null --max-time 1 "${TLS_ARGS[@]}" "$TURL"; do
	bg_running tls || die "the TLS exporter exited: $(cat "$(bg_err tls)")"
	[ "$(now_ms)" -lt "$deadline" ] || die "the TLS exporter did not answer over TLS"
	sleep 0.05
done
warm=$(timed "$GOOD" "${TLS_ARGS[@]}" -u prom:s3cret "$TURL")
assert_eq "https, the right password, first use" 200 "${warm%% *}"
in_ns "$NS" curl -s --max-time 10 --interface "$GOOD" "${TLS_ARGS[@]}" -u prom:s3cret -o "$IT_TMP/tls.before" "$TURL" ||
	die "scrape of the counters failed"
check_refusal_series "$IT_TMP/tls.before"
cat >"$IT_TMP/tlsflood.sh" <<'EOF2'
# tlsflood.sh SRC SECONDS CURL-ARGS...: wrong-password requests in a loop; one code a line.
src=$1 end=$((${EPOCHREALTIME/./} / 1000 + $2 * 1000))
shift 2
while [ $((${EPOCHREALTIME/./} / 1000)) -lt "$end" ]; do
	curl -s -o /dev/null --max-time 15 --interface "$src" -u prom:wrong -w '%{http_code}\n' "$@"
done
EOF2
for ((i = 2; i < 2 + CLIENTS; i++)); do
	bg_start "tlsflood$i" "$NS" bash "$IT_TMP/tlsflood.sh" "127.0.0.$i" "$TLS_DURATION" "${TLS_ARGS[@]}" "$TURL"
done
flood_start=$(now_ms)
good_scrapes $((TLS_DURATION * 2)) "$flood_start" tls "${TLS_ARGS[@]}" -u prom:s3cret "$TURL"
for ((i = 2; i < 2 + CLIENTS; i++)); do
	it_stop "tlsflood$i" none 20
	[ "$IT_STOP_RC" = 0 ] || fail "tlsflood$i: exit status $IT_STOP_RC"
done
flood_ms=$(($(now_ms) - flood_start))
in_ns "$NS" curl -s --max-time 10 --interface "$GOOD" "${TLS_ARGS[@]}" -u prom:s3cret -o "$IT_TMP/tls.after" "$TURL" ||
	die "scrape of the counters failed"
cat "$IT_TMP"/tlsflood*.out >"$IT_TMP/tlsflood.codes"
t_all=$(wc -l <"$IT_TMP/tlsflood.codes")
t401=$(grep -cx 401 "$IT_TMP/tlsflood.codes" || true)
t429=$(grep -cx 429 "$IT_TMP/tlsflood.codes" || true)
e401=$(($(refused "$IT_TMP/tls.after" unauthorized) - $(refused "$IT_TMP/tls.before" unauthorized)))
e429=$(($(refused "$IT_TMP/tls.after" auth_throttled) - $(refused "$IT_TMP/tls.before" auth_throttled)))
efull=$(($(refused "$IT_TMP/tls.after" auth_queue_full) - $(refused "$IT_TMP/tls.before" auth_queue_full)))
check_good tls 1000
echo "  curl loops: requests=$t_all 401=$t401 429=$t429 other=$((t_all - t401 - t429)) in $flood_ms ms"
echo "  exporter counters: unauthorized +$e401, auth_throttled +$e429, auth_queue_full +$efull"
assert_eq "every TLS flood request got 401 or 429 (others)" 0 $((t_all - t401 - t429))
assert_eq "exporter's unauthorized = the loops' 401s" "$t401" "$e401"
assert_eq "exporter's auth_throttled = the loops' 429s" "$t429" "$e429"
assert_eq "exporter's auth_queue_full" 0 "$efull"
[ "$e429" -gt 0 ] && ok "the throttle engaged over TLS: $e429" || fail "no attempt was throttled over TLS"
bound=$((CLIENTS * (TLS_DURATION + 1)))
[ "$t401" -le "$bound" ] && ok "bcrypts (401s) $t401 <= $bound" || fail "bcrypts (401s) $t401 > $bound"
it_stop tls TERM 10
assert_eq "exporter exit status" 0 "$IT_STOP_RC"
it_end
