#!/bin/bash
# Produces each way a TCP socket ends (tests/data/events/destroy_cases.py) in two fresh netns and
# records the sock_diag destroy events of both sides with build/tools/destroy_events.
# Usage (root): record.sh OUTDIR [CASE...]   -> OUTDIR/CASE.RUN.{client,server}.{txt,raw/}
set -u
OUT=$1; shift
HERE=$(cd "$(dirname "$0")" && pwd); TOOL=$HERE/../../../build/tools/destroy_events
CASES=${*:-a b c d e e_uto f g_cc_nodata g_cc_data g_sc_nodata g_sc_data g_retr h_queued h_mapped i_client i_server j k l m n_a n_e n_h_queued n_mapped}
cleanup() { ip netns del evr-a 2>/dev/null; ip netns del evr-b 2>/dev/null; }
trap cleanup EXIT INT TERM
cleanup
ip netns add evr-a; ip netns add evr-b
ip link add evr-va netns evr-a type veth peer name evr-vb netns evr-b
for n in a b; do
  ip -n evr-$n link set lo up; ip -n evr-$n link set evr-v$n up
done
ip -n evr-a addr add 198.18.50.1/24 dev evr-va; ip -n evr-b addr add 198.18.50.2/24 dev evr-vb
ip -n evr-a addr add 2001:db8:50::1/64 dev evr-va nodad; ip -n evr-b addr add 2001:db8:50::2/64 dev evr-vb nodad
ip netns exec evr-a sysctl -qw net.ipv4.tcp_syn_retries=2 net.ipv4.tcp_retries2=3
ip netns exec evr-b nft add table inet evr
ip netns exec evr-b nft add chain inet evr pre '{ type filter hook prerouting priority -300; }'
mkdir -p "$OUT"; sleep 1
for c in $CASES; do for run in 1 2; do
  ip netns exec evr-b nft flush chain inet evr pre
  pids=()
  for side in client server; do
    ns=evr-a; [ $side = server ] && ns=evr-b
    d=$OUT/$c.$run.$side; rm -rf "$d.raw"; mkdir -p "$d.raw"
    ip netns exec $ns "$TOOL" --record "$d.raw" --timeout 90 > "$d.txt" 2> "$d.err" & pids+=($!)
  done
  until grep -q ready "$OUT/$c.$run.client.txt" && grep -q ready "$OUT/$c.$run.server.txt"; do sleep 0.05; done
  sp=
  if grep -q "^    if case.*\"$c\"\|case == \"$c\"\|\"$c\"[,)]" <(sed -n '/^def server/,$p' "$HERE/destroy_cases.py"); then
    ip netns exec evr-b python3 "$HERE/destroy_cases.py" server $c > "$OUT/$c.$run.srvapp" 2>&1 & sp=$!
    sleep 0.3
  fi
  ip netns exec evr-a timeout 150 python3 "$HERE/destroy_cases.py" client $c > "$OUT/$c.$run.cliapp" 2>&1
  if [ -n "$sp" ]; then sleep 1; kill $sp 2>/dev/null; wait $sp 2>/dev/null; fi
  sleep 1.5
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null
  echo "== $c run $run: client $(grep -c family= $OUT/$c.$run.client.txt) msgs, server $(grep -c family= $OUT/$c.$run.server.txt) msgs; $(tr '\n' ' ' < $OUT/$c.$run.cliapp)"
done; done
