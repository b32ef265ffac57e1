#!/usr/bin/env bash
# Re-records the netlink dumps in this folder (root; needs python3 and build/tools/record_dump).
# Usage: record.sh [one-walk]   (one-walk: only dump_one_walk.bin, leaving the other two alone)
# A fresh network namespace holds exactly these TCP sockets while both families are dumped
# (dump_ipv4.bin, dump_ipv6.bin: one v2 request each) and dumped at once (dump_one_walk.bin:
# the one-walk TCPDIAG_GETSOCK request, the same 12 records as TCPDIAG_GETSOCK messages,
# the families as the kernel's walk interleaves them):
#   IPv4: LISTEN 127.0.0.1:1202 (backlog 5), LISTEN 0.0.0.0:3720 (backlog 16),
#         2 connections to 127.0.0.1:3720 (4 ESTABLISHED sockets),
#         1 connection to 3720 whose client end closed (server CLOSE_WAIT, client FIN_WAIT2),
#         1 connection to 3720 closed by the client first (client end TIME_WAIT)      = 9 records
#   IPv6: LISTEN [::]:1720 (backlog 8), 1 connection to [::1]:1720 (2 ESTABLISHED)   = 3 records
# tests/unit/test_sockdiag.c asserts exactly this content.
set -euo pipefail
cd "$(dirname "$0")"
ns=tcph-record-$$
ip netns add "$ns"
trap 'kill $pid 2>/dev/null || true; ip netns del "$ns"' EXIT
ip -n "$ns" link set lo up
ip netns exec "$ns" python3 - <<'PY' &
import socket, time, os, signal
def listen(fam, addr, port, backlog):
    s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(backlog); return s
def pair(fam, addr, port, lst):
    c = socket.socket(fam, socket.SOCK_STREAM); c.connect((addr, port)); a, _ = lst.accept(); return c, a
keep = [listen(socket.AF_INET, "127.0.0.1", 1202, 5)]
l3720 = listen(socket.AF_INET, "0.0.0.0", 3720, 16); keep.append(l3720)
for _ in range(2): keep.extend(pair(socket.AF_INET, "127.0.0.1", 3720, l3720))
c, a = pair(socket.AF_INET, "127.0.0.1", 3720, l3720); c.close(); keep.append(a)        # CLOSE_WAIT / FIN_WAIT2
c, a = pair(socket.AF_INET, "127.0.0.1", 3720, l3720); c.close(); time.sleep(0.2); a.close()  # TIME_WAIT
l1720 = listen(socket.AF_INET6, "::", 1720, 8); keep.append(l1720)
keep.extend(pair(socket.AF_INET6, "::1", 1720, l1720))
time.sleep(0.5)
open("/tmp/tcph-record-ready", "w").close()
signal.pause()
PY
pid=$!
for _ in $(seq 50); do [ -e /tmp/tcph-record-ready ] && break; sleep 0.1; done
rm -f /tmp/tcph-record-ready
ip netns exec "$ns" ss -tan
if [ "${1:-}" != one-walk ]; then
	ip netns exec "$ns" ../../build/tools/record_dump ipv4 dump_ipv4.bin
	ip netns exec "$ns" ../../build/tools/record_dump ipv6 dump_ipv6.bin
fi
ip netns exec "$ns" ../../build/tools/record_dump one-walk dump_one_walk.bin
ls -l dump_ipv4.bin dump_ipv6.bin dump_one_walk.bin
