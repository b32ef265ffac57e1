#!/usr/bin/env bash
# test_netns.sh — one exporter, many network namespaces (--netns=all and --netns=NAMES).
#
#   1. four namespaces with their own listeners (one port number shared by two of them),
#      CLOSE_WAIT / TIME_WAIT / ESTABLISHED sockets and, in one, its own ephemeral port
#      range; an exporter in a fifth namespace with --netns=all: in one scrape every
#      namespace's series equal what `ss` shows in that namespace; sysctls per namespace.
#   2. attribution: processes in their own namespaces (no bind mount) inside a Kubernetes
#      pod's and a Docker container's cgroup (cgroup v2): netns="ino_<inode>", pod_uid,
#      container_id.
#   3. churn: 200 namespaces made and deleted in rounds of 50 between scrapes; afterwards
#      the exporter holds no fd, socket or namespace of theirs and serves none of their
#      series.
#   4. --netns.max=2 with more namespaces present.
#   5. --netns=A,B,missing: only A and B, not_found counted.
#   6. missing privileges: exit 2 with one line; names mode without CAP_SYS_PTRACE runs.
#   7. --no-collector.tcp.histograms.
#   8. --listen-ports: expected in the exporter's own namespace with --netns=all, in each
#      named one with --netns=NAMES.
# Other namespaces on the machine (other tests, containers) are seen too: only the
# namespaces made here are asserted on.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk stat unshare setpriv lsns od

# ---- helpers ----------------------------------------------------------------------------

# ns_series SCRAPE NS: the sample lines of namespace NS with its netns (and pod_uid,
# container_id) labels taken out — what an exporter inside NS alone would have written.
ns_series() {
	awk -v pre="netns=\"$2\"" '
		/^#/ { next }
		{
			i = index($0, "{")
			if (i == 0) next
			name = substr($0, 1, i - 1)
			rest = substr($0, i + 1)
			if (substr(rest, 1, length(pre)) != pre) next
			rest = substr(rest, length(pre) + 1)
			if (substr(rest, 1, 1) == ",") rest = substr(rest, 2)
			sub(/^pod_uid="[^"]*",?/, "", rest)
			sub(/^container_id="[^"]*",?/, "", rest)
			if (substr(rest, 1, 1) == "}") print name substr(rest, 2)
			else print name "{" rest
		}' "$1"
}

# netns_labels SCRAPE: the distinct netns label values of the samples, one a line.
netns_labels() {
	{ grep -v '^#' "$1" || true; } | { grep -o '{netns="[^"]*"' || true; } |
		sed 's/^{netns="//; s/"$//' | sort -u
}

# assert_ge DESCRIPTION MIN ACTUAL: ACTUAL is a number >= MIN.
assert_ge() {
	if [[ $3 =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		ok "$1 $3 (>= $2)"
	else
		fail "$1: expected >= $2 got '${3:-absent}'"
	fi
}

# assert_present FILE SERIES: FILE has a sample of exactly SERIES.
assert_present() {
	if [ -n "$(metric_value "$1" "$2")" ]; then
		ok "present: $2"
	else
		fail "absent: $2"
	fi
}

# c NS PORT ROLE STATE VALUE: tcp_health_connections of namespace NS in the scrape $CF.
c() { assert_metric "$CF" "tcp_health_connections{netns=\"$1\",port=\"$2\",role=\"$3\",state=\"$4\"}" "$5"; }

# scrape_ok LABEL NS URL FILE: a scrape that must succeed (set-up).
scrape_ok() {
	scrape "$2" "$3" "$4" || die "$1: scraping $3 failed"
}

NSFS_DEV=$(stat -L -c %d /proc/self/ns/net)

# fd_state PID: "FDS SOCKETS NSFS" — open fds, sockets among them, namespace files among
# them (nsfs: opened through /proc/PID/ns/net, shown as net:[inode], or through a bind
# mount under /run/netns, shown as that path or "/" once it is unmounted).
fd_state() {
	local fds sockets nsfs
	fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	sockets=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l)
	nsfs=$(held_inodes "$1" | wc -l)
	echo "$fds $sockets $nsfs"
}

# held_inodes PID: inodes of the namespace files PID holds open, one a line (repeats kept).
held_inodes() {
	{ stat -L -c '%d %i' "/proc/$1/fd/"* 2>/dev/null || true; } |
		awk -v dev="$NSFS_DEV" '$1 == dev { print $2 }'
}

# fd_quiet PID VAR: waits (bounded, 5 s) until fd_state PID reads the same twice 0.3 s
# apart (the scrape's HTTP connection closes on the exporter's side a moment after curl
# exits) and stores it in VAR.
fd_quiet() {
	local prev="" cur deadline=$(($(now_ms) + 5000))
	while :; do
		cur=$(fd_state "$1")
		[ "$cur" = "$prev" ] && break
		[ "$(now_ms)" -lt "$deadline" ] || break
		prev=$cur
		sleep 0.3
	done
	printf -v "$2" '%s' "$cur"
}

# live_elsewhere INODE: some process or bind mount (not an fd) has namespace INODE now.
live_elsewhere() {
	{ stat -L -c '%i' /proc/[0-9]*/ns/net /run/netns/* /var/run/netns/* /run/docker/netns/* \
		2>/dev/null || true; } | grep -qx "$1"
}

# forget_netns PREFIX: our namespaces whose names start with PREFIX were deleted by the
# test itself; cleanup need not try again.
forget_netns() {
	local keep=() n
	for n in "${IT_NETNS[@]}"; do [[ $n == "$1"* ]] || keep+=("$n"); done
	IT_NETNS=("${keep[@]}")
}

# ---- 1. four namespaces, one scrape, each against ss -------------------------------------
section "1. --netns=all: four namespaces in one scrape, each equal to ss in that namespace"
netns_create NS1
netns_create NS2
netns_create NS3
netns_create NS4
netns_create NS_E # the exporters' own
# 21000 lies inside NS3's range but outside the kernel default: an exporter that read the
# range of another namespace would label its client ends port="21000", not "other".
in_ns "$NS3" sysctl -q -w net.ipv4.ip_local_port_range="20000 50000" ||
	die "cannot set ip_local_port_range in $NS3"
sockstate_start s1 "$NS1" listen 127.0.0.1 1202 listen 0.0.0.0 3720 \
	established 127.0.0.1 3720 3 closewait 127.0.0.1 1202 timewait 127.0.0.1 1202
sockstate_start s2 "$NS2" listen 127.0.0.1 1202 listen :: 1720 \
	established ::1 1720 2 established 127.0.0.1 1202 1 closewait 127.0.0.1 1202 \
	timewait 127.0.0.1 1202
sockstate_start s3 "$NS3" listen 127.0.0.1 21000 established 127.0.0.1 21000 2 \
	listen 127.0.0.1 5060 established 127.0.0.1 5060 1 closewait 127.0.0.1 5060 \
	timewait 127.0.0.1 5060
sockstate_start s4 "$NS4" listen 127.0.0.1 8080 established 127.0.0.1 8080 4 \
	closewait 127.0.0.1 8080 timewait 127.0.0.1 8080 listen 127.0.0.1 9090
URL=http://127.0.0.1:9978/metrics
# --netns.max above the default: other tests' namespaces on a busy machine must not push
# the churn's 50 (named tcph-netns-…, after tcph-bench-… in the order) over the limit.
exporter_start exporter "$NS_E" "$TCPH_BIN" 127.0.0.1:9978 --netns=all --netns.max=1024
EXP_PID=$(bg_pid exporter)

MINE=("$NS1" "$NS2" "$NS3" "$NS4")
for ns in "${MINE[@]}"; do ss_snapshot "$ns" "" "$IT_TMP/$ns.before"; done
scrape_ok "1" "$NS_E" "$URL" "$IT_TMP/all.prom"
for ns in "${MINE[@]}"; do ss_snapshot "$ns" "" "$IT_TMP/$ns.after"; done
M=$IT_TMP/all.prom

assert_metric "$M" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
assert_metric "$M" 'tcp_health_scrape_collector_success{collector="sysctl"}' 1
assert_metric "$M" 'tcp_health_scrape_collector_success{collector="netstat"}' 1
assert_ge "tcp_health_exporter_netns_scanned (ours: 5)" 5 "$(metric_value "$M" tcp_health_exporter_netns_scanned)"
netns_labels "$M" >"$IT_TMP/all.labels"
for ns in "${MINE[@]}" "$NS_E"; do
	assert_eq "netns=\"$ns\" is served" "$ns" "$(grep -x -- "$ns" "$IT_TMP/all.labels" || true)"
done
assert_no_series "$M" '(pod_uid|container_id)=""' 'no empty pod_uid or container_id label'
promtool_check all "$M"

i=0
for ns in "${MINE[@]}"; do
	i=$((i + 1))
	ns_series "$M" "$ns" >"$IT_TMP/ns$i.prom"
	crosscheck "ns$i" "$ns" "$IT_TMP/ns$i.prom" "$IT_TMP/$ns.before" "$IT_TMP/$ns.after" "" "" "" 250
	read -r lo hi < <(in_ns "$ns" cat /proc/sys/net/ipv4/ip_local_port_range)
	assert_metric "$M" "tcp_health_sysctl_ip_local_port_range_low{netns=\"$ns\"}" "$lo"
	assert_metric "$M" "tcp_health_sysctl_ip_local_port_range_high{netns=\"$ns\"}" "$hi"
	# The per-namespace self-metrics and kernel counters carry the label too.
	assert_present "$M" "tcp_health_exporter_dump_retries_total{netns=\"$ns\"}"
	assert_present "$M" "tcp_health_kernel_curr_estab{netns=\"$ns\"}"
done
assert_eq "NS3's range is its own" "20000 50000" \
	"$(metric_value "$M" "tcp_health_sysctl_ip_local_port_range_low{netns=\"$NS3\"}") $(metric_value "$M" "tcp_health_sysctl_ip_local_port_range_high{netns=\"$NS3\"}")"
# Exact values besides ss: the shared port 1202 counted in each namespace for itself.
CF=$M
c "$NS1" 1202 server listen 1
c "$NS1" 1202 server close_wait 1
c "$NS1" 1202 client time_wait 1
c "$NS1" 3720 server established 3
c "$NS2" 1202 server listen 1
c "$NS2" 1202 server established 1
c "$NS2" 1202 server close_wait 1
c "$NS2" 1720 server established 2
c "$NS3" 21000 server established 2
c "$NS3" other client established 2 # remote 21000 is ephemeral in NS3
c "$NS3" 5060 client time_wait 1
c "$NS4" 8080 server established 4
c "$NS4" 9090 server listen 1
assert_no_series "$M" "^tcp_health_connections\\{netns=\"$NS3\",port=\"21000\",role=\"client\"" \
	"NS3: no client series for its ephemeral port 21000"
assert_no_series "$M" "^tcp_health_connections\\{netns=\"($NS3|$NS4)\",port=\"1202\"" \
	"NS3, NS4: no series for port 1202, which only NS1 and NS2 use"
for fam in tcp_health_connection_idle_seconds_count tcp_health_rtt_seconds_count; do
	assert_present "$M" "$fam{netns=\"$NS1\",port=\"3720\",role=\"server\"}" # on by default
done

# ---- 2. attribution from cgroups ----------------------------------------------------------
section "2. netns, pod_uid, container_id of namespaces without a name, from their cgroups"
CG_ROOT=""
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ]; then
		CG_ROOT=$d
		break
	fi
done
[ -n "$CG_ROOT" ] || die "no cgroup v2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup"

# cg_mkdir PATH: creates PATH under CG_ROOT, each new directory queued for removal.
cg_mkdir() {
	local part dir=$CG_ROOT
	local IFS=/
	for part in $1; do
		dir=$dir/$part
		[ -d "$dir" ] && continue
		mkdir "$dir" || die "cannot create cgroup $dir"
		IT_RMDIRS+=("$dir")
	done
}

# cg_sockstate NAME CGROUP PORT: a process that moves itself into CGROUP, then makes its own
# network namespace (unshare, so no bind mount: only its pid shows it), brings lo up and
# runs sockstate with a listener on PORT and one connection to it.
cg_sockstate() {
	local name=$1 cg=$CG_ROOT/$2 port=$3
	(
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
		# shellcheck disable=SC2016 # expanded by the inner sh
		exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh \
			"$TOOLS/sockstate" --timeout 300 listen 127.0.0.1 "$port" established 127.0.0.1 "$port" 1
	) >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err" &
	IT_PID[$name]=$!
	bg_wait_ready "$name" 10
}

# lowest_pid INODE: the lowest pid whose network namespace is INODE.
lowest_pid() {
	{ stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null || true; } |
		awk -v ino="$1" '$1 == ino { split($2, p, "/"); print p[3] }' | sort -n | head -n 1
}

POD_UID=$(cat /proc/sys/kernel/random/uuid)
CID_POD=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
CID_DOCKER=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
POD_CG=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID//-/_}.slice/cri-containerd-$CID_POD.scope
DOCKER_CG=system.slice/docker-$CID_DOCKER.scope
cg_mkdir "$POD_CG"
cg_mkdir "$DOCKER_CG"
cg_sockstate pod "$POD_CG" 4444
cg_sockstate docker "$DOCKER_CG" 4445
for name in pod docker; do
	pid=$(bg_pid "$name")
	cg=$POD_CG
	[ "$name" = pod ] || cg=$DOCKER_CG
	grep -qx "0::/$cg" "/proc/$pid/cgroup" || die "$name: pid $pid is not in /$cg: $(cat "/proc/$pid/cgroup")"
	ino=$(stat -L -c %i "/proc/$pid/ns/net")
	low=$(lowest_pid "$ino")
	[ "$low" = "$pid" ] || die "$name: the lowest pid in namespace $ino is $low, not $pid"
	printf -v "INO_${name^^}" '%s' "$ino"
done
scrape_ok "2" "$NS_E" "$URL" "$IT_TMP/cg.prom"
M=$IT_TMP/cg.prom
P="netns=\"ino_$INO_POD\",pod_uid=\"$POD_UID\",container_id=\"$CID_POD\""
D="netns=\"ino_$INO_DOCKER\",container_id=\"$CID_DOCKER\""
assert_metric "$M" "tcp_health_connections{$P,port=\"4444\",role=\"server\",state=\"listen\"}" 1
assert_metric "$M" "tcp_health_connections{$P,port=\"4444\",role=\"server\",state=\"established\"}" 1
assert_metric "$M" "tcp_health_connections{$D,port=\"4445\",role=\"server\",state=\"listen\"}" 1
assert_metric "$M" "tcp_health_connections{$D,port=\"4445\",role=\"client\",state=\"established\"}" 1
# Every series of each namespace carries the same labels.
for pair in "pod|$INO_POD|$P" "docker|$INO_DOCKER|$D"; do
	IFS='|' read -r name ino labels <<<"$pair"
	all=$(grep -c "{netns=\"ino_$ino\"[,}]" "$M" || true)
	with=$(grep -cF "{$labels" "$M" || true)
	if [ "$all" -gt 0 ] && [ "$all" = "$with" ]; then
		ok "$name: all $all series of netns=\"ino_$ino\" carry {$labels}"
	else
		fail "$name: $with of $all series of netns=\"ino_$ino\" carry {$labels}: $(grep "{netns=\"ino_$ino\"" "$M" | grep -vF "{$labels" | head -n 2 | tr '\n' ' ')"
	fi
done
if grep -v '^0::' "/proc/$(bg_pid docker)/cgroup" | grep -q kubepods; then
	echo "  note: this test runs inside a Kubernetes pod (cgroup v1 paths): not asserting the docker namespace has no pod_uid"
else
	assert_no_series "$M" "\\{netns=\"ino_$INO_DOCKER\",pod_uid=" "docker: no pod_uid label"
fi
assert_no_series "$M" '(pod_uid|container_id)=""' 'no empty pod_uid or container_id label'
promtool_check cg "$M"

# ---- 3. churn --------------------------------------------------------------------------------
section "3. churn: 200 namespaces made and deleted in rounds of 50 between scrapes"
scrape_ok "3 baseline" "$NS_E" "$URL" "$IT_TMP/churn0.prom"
fd_quiet "$EXP_PID" BASE
held_inodes "$EXP_PID" | sort >"$IT_TMP/base.inodes"
echo "  baseline: fds, sockets, namespace fds of the exporter: $BASE"
CHURN=tcph-netns-$$-churn
: >"$IT_TMP/churn.inodes"
for round in 1 2 3 4; do
	batch=()
	for i in $(seq 1 50); do batch+=("$CHURN-$round-$i"); done
	IT_NETNS+=("${batch[@]}")
	# One ip process for the 50 (ip netns add per namespace is 50 forks and execs).
	printf 'netns add %s\n' "${batch[@]}" | ip -batch - || die "round $round: ip netns add failed"
	stat -L -c %i "${batch[@]/#//run/netns/}" >"$IT_TMP/round$round.inodes" || die "stat of the new namespaces"
	cat "$IT_TMP/round$round.inodes" >>"$IT_TMP/churn.inodes"
	f=$IT_TMP/churn$round.prom
	scrape_ok "3 round $round" "$NS_E" "$URL" "$f"
	# ours: these 50, NS1-NS4, NS_E, the pod's and the container's
	assert_ge "round $round: tcp_health_exporter_netns_found (ours: 57)" 57 \
		"$(metric_value "$f" tcp_health_exporter_netns_found)"
	assert_metric "$f" tcp_health_exporter_netns_over_limit 0
	assert_eq "round $round: the 50 new names among the netns labels" 50 \
		"$(netns_labels "$f" | grep -c "^$CHURN-$round-" || true)"
	held_inodes "$EXP_PID" | sort -u >"$IT_TMP/held"
	assert_eq "round $round: the exporter holds the 50 new namespaces open" 50 \
		"$(sort -u "$IT_TMP/round$round.inodes" | comm -12 - "$IT_TMP/held" | wc -l)"
	# Delete while scraping: whatever vanishes mid-scan, the scrape must still answer.
	printf 'netns del %s\n' "${batch[@]}" | ip -batch - &
	del_pid=$!
	during=200
	scrape "$NS_E" "$URL" "$IT_TMP/during" || during="not 200"
	wait "$del_pid" || die "round $round: ip netns del failed"
	forget_netns "$CHURN-$round-"
	assert_eq "round $round: the scrape while the namespaces were being deleted" 200 "$during"
	f=$IT_TMP/churn$round.after.prom
	scrape_ok "3 round $round after" "$NS_E" "$URL" "$f"
	assert_eq "round $round: netns labels of the deleted namespaces after the next scrape" 0 \
		"$(netns_labels "$f" | grep -c "^$CHURN-$round-" || true)"
	# Inode numbers are reused once a namespace is freed: one the exporter still holds is
	# a leak unless some process or bind mount has that inode now (a new namespace).
	leaked=""
	for ino in $(held_inodes "$EXP_PID" | sort -u | comm -12 - <(sort -u "$IT_TMP/round$round.inodes")); do
		live_elsewhere "$ino" || leaked="$leaked $ino"
	done
	assert_eq "round $round: deleted namespaces the exporter still holds" "" "${leaked# }"
done
f=$IT_TMP/churn.final.prom
scrape_ok "3 final" "$NS_E" "$URL" "$f"
assert_no_series "$f" "netns=\"$CHURN-" "no series of a deleted namespace after the final scrape"
fd_quiet "$EXP_PID" END
held_inodes "$EXP_PID" | sort >"$IT_TMP/end.inodes"
read -r base_fds base_sockets base_nsfs <<<"$BASE"
read -r end_fds end_sockets end_nsfs <<<"$END"
if cmp -s "$IT_TMP/base.inodes" "$IT_TMP/end.inodes"; then
	assert_eq "exporter fds after the churn (baseline $base_fds)" "$base_fds" "$end_fds"
	assert_eq "exporter sockets after the churn (baseline $base_sockets)" "$base_sockets" "$end_sockets"
else
	# Namespaces of others came or went meanwhile: each target (but the exporter's own
	# namespace, there throughout) is one namespace fd and one sock_diag socket, so compare
	# what does not depend on how many there are.
	echo "  note: other namespaces came or went during the churn (namespace fds $base_nsfs -> $end_nsfs)"
	assert_eq "exporter fds minus 2 per namespace fd, after the churn" \
		"$((base_fds - 2 * base_nsfs))" "$((end_fds - 2 * end_nsfs))"
	assert_eq "exporter sockets minus 1 per namespace fd, after the churn" \
		"$((base_sockets - base_nsfs))" "$((end_sockets - end_nsfs))"
fi
leaked=""
for ino in $(sort -u "$IT_TMP/end.inodes" | comm -12 - <(sort -u "$IT_TMP/churn.inodes")); do
	live_elsewhere "$ino" || leaked="$leaked $ino"
done
assert_eq "namespace fds of the exporter on any of the 200 deleted namespaces" "" "${leaked# }"
# lsns lists namespaces of processes and bind mounts (util-linux 2.38 does not look at
# open fds, which the check above covers).
alive=""
for ino in $(lsns -t net -n -o NS | tr -d ' ' | sort -u | comm -12 - <(sort -u "$IT_TMP/churn.inodes")); do
	what=$(lsns -t net -n -o NS,NSFS,PID,COMMAND | awk -v i="$ino" '$1 == i' | head -n 1)
	case $what in
	*"$CHURN"* | *" $EXP_PID "*) alive="$alive [$what]" ;;
	*) echo "  note: inode $ino of a deleted namespace now belongs to another namespace: $what" ;;
	esac
done
assert_eq "deleted namespaces still alive per lsns" "" "${alive# }"
assert_metric "$f" 'tcp_health_exporter_netns_skipped_total{reason="error"}' 0

# ---- 4. --netns.max ---------------------------------------------------------------------------
section "4. --netns.max=2: two namespaces scanned, the rest counted over the limit"
exporter_start limited "$NS_E" "$TCPH_BIN" 127.0.0.1:9979 --netns=all --netns.max=2
scrape_ok "4" "$NS_E" http://127.0.0.1:9979/metrics "$IT_TMP/max1.prom"
scrape_ok "4" "$NS_E" http://127.0.0.1:9979/metrics "$IT_TMP/max2.prom"
for k in 1 2; do
	f=$IT_TMP/max$k.prom
	found=$(metric_value "$f" tcp_health_exporter_netns_found)
	assert_ge "max scrape $k: tcp_health_exporter_netns_found (ours: 7)" 7 "$found"
	assert_metric "$f" tcp_health_exporter_netns_scanned 2
	assert_metric "$f" tcp_health_exporter_netns_over_limit "$((${found:-0} - 2))"
	assert_eq "max scrape $k: distinct netns labels" 2 "$(netns_labels "$f" | wc -l)"
done
over1=$(metric_value "$IT_TMP/max1.prom" 'tcp_health_exporter_netns_skipped_total{reason="over_limit"}')
over2=$(metric_value "$IT_TMP/max2.prom" 'tcp_health_exporter_netns_skipped_total{reason="over_limit"}')
limit2=$(metric_value "$IT_TMP/max2.prom" tcp_health_exporter_netns_over_limit)
assert_eq "skipped_total{reason=\"over_limit\"} grows by the second scrape's over_limit ($over1 -> $over2)" \
	"${limit2:-?}" "$((${over2:-0} - ${over1:-0}))"
fd_quiet "$(bg_pid limited)" LIMITED
# The exporter's own namespace (which its workers return to) and one per target, except
# when a target is the exporter's own namespace: that one is scanned without an fd.
want=3 own="not among"
if netns_labels "$IT_TMP/max2.prom" | grep -qx -- "$NS_E"; then want=2 own=among; fi
assert_eq "namespace fds held by the --netns.max=2 exporter (its own namespace $own the two)" \
	"$want" "$(awk '{ print $3 }' <<<"$LIMITED")"

# ---- 5. names --------------------------------------------------------------------------------
section "5. --netns=A,B,missing: only the named namespaces"
MISSING=tcph-netns-$$-missing
exporter_start named "$NS_E" "$TCPH_BIN" 127.0.0.1:9980 "--netns=$NS1,$NS2,$MISSING"
scrape_ok "5" "$NS_E" http://127.0.0.1:9980/metrics "$IT_TMP/names1.prom"
scrape_ok "5" "$NS_E" http://127.0.0.1:9980/metrics "$IT_TMP/names2.prom"
f=$IT_TMP/names2.prom
assert_eq "netns labels" "$(printf '%s\n' "$NS1" "$NS2" | sort | tr '\n' ' ')" \
	"$(netns_labels "$f" | tr '\n' ' ')"
assert_not_contains "the exporter's own namespace is not served" "$f" "netns=\"$NS_E\""
assert_metric "$f" tcp_health_exporter_netns_found 2
assert_metric "$f" tcp_health_exporter_netns_scanned 2
nf1=$(metric_value "$IT_TMP/names1.prom" 'tcp_health_exporter_netns_skipped_total{reason="not_found"}')
nf2=$(metric_value "$f" 'tcp_health_exporter_netns_skipped_total{reason="not_found"}')
assert_ge "skipped_total{reason=\"not_found\"} after the first scrape" 1 "$nf1"
assert_eq "skipped_total{reason=\"not_found\"} grows by 1 per scrape ($nf1 -> $nf2)" 1 "$((${nf2:-0} - ${nf1:-0}))"
CF=$f
c "$NS1" 1202 server listen 1
c "$NS2" 1202 server listen 1
c "$NS2" 1720 server established 2

# ---- 6. privileges -----------------------------------------------------------------------------
section "6. without the privileges: exit 2 with one line"
# refused DESCRIPTION NEEDLE CMD...: CMD (the exporter under setpriv) exits 2 within 10 s
# with exactly one line on stderr containing NEEDLE and nothing on stdout.
refused() {
	local desc=$1 needle=$2 rc=0 problems=() lines err
	shift 2
	timeout -k 2 10 ip netns exec "$NS_E" "$@" >"$IT_TMP/priv.out" 2>"$IT_TMP/priv.err" || rc=$?
	err=$(head -c 400 "$IT_TMP/priv.err" | tr '\n' '|')
	lines=$(awk 'END { print NR }' "$IT_TMP/priv.err")
	[ "$rc" = 2 ] || problems+=("exit status: expected 2 got $rc")
	[ "$lines" = 1 ] || problems+=("stderr lines: expected 1 got $lines: $err")
	grep -qF -- "$needle" "$IT_TMP/priv.err" || problems+=("stderr does not say '$needle': $err")
	[ ! -s "$IT_TMP/priv.out" ] || problems+=("stdout not empty: $(head -c 200 "$IT_TMP/priv.out")")
	if [ ${#problems[@]} = 0 ]; then
		ok "$desc: exit 2: $(head -n 1 "$IT_TMP/priv.err")"
	else
		for p in "${problems[@]}"; do fail "$desc: $p"; done
	fi
}
NOPTRACE=(setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
refused "--netns=all without CAP_SYS_PTRACE" "missing: CAP_SYS_PTRACE (" \
	"${NOPTRACE[@]}" "$TCPH_BIN" --web.listen-address=127.0.0.1:9990 --netns=all
refused "--netns=all as uid 65534" "missing: CAP_SYS_ADMIN CAP_SYS_PTRACE (" \
	"${NOBODY[@]}" "$TCPH_BIN" --web.listen-address=127.0.0.1:9990 --netns=all
refused "--netns=NAMES as uid 65534" "missing: CAP_SYS_ADMIN (" \
	"${NOBODY[@]}" "$TCPH_BIN" --web.listen-address=127.0.0.1:9990 "--netns=$NS1"
# Names mode opens bind mounts, not other processes' files: CAP_SYS_PTRACE is not needed.
bg_start noptrace "$NS_E" "${NOPTRACE[@]}" "$TCPH_BIN" --web.listen-address=127.0.0.1:9982 "--netns=$NS1"
http_wait noptrace "$NS_E" http://127.0.0.1:9982/-/healthy 10
capeff=$(awk '/^CapEff:/ { print $2 }' "/proc/$(bg_pid noptrace)/status")
(((16#$capeff >> 19) & 1)) && die "the setpriv'd exporter still has CAP_SYS_PTRACE (CapEff $capeff)"
scrape_ok "6" "$NS_E" http://127.0.0.1:9982/metrics "$IT_TMP/noptrace.prom"
assert_metric "$IT_TMP/noptrace.prom" "tcp_health_connections{netns=\"$NS1\",port=\"1202\",role=\"server\",state=\"listen\"}" 1

# ---- 7. no histograms ---------------------------------------------------------------------------
section "7. --no-collector.tcp.histograms"
exporter_start nohist "$NS_E" "$TCPH_BIN" 127.0.0.1:9981 --netns=all --no-collector.tcp.histograms
scrape_ok "7" "$NS_E" http://127.0.0.1:9981/metrics "$IT_TMP/nohist.prom"
f=$IT_TMP/nohist.prom
assert_no_series "$f" '^tcp_health_(connection_idle_seconds|rtt_seconds)(_bucket|_sum|_count)?[{ ]' \
	'no idle or RTT histogram series'
assert_not_contains "no HELP/TYPE of the histograms either" "$f" "# TYPE tcp_health_rtt_seconds"
CF=$f
c "$NS1" 1202 server listen 1
c "$NS1" 3720 server established 3
for series in "tcp_health_unacked_segments{netns=\"$NS1\",port=\"3720\",role=\"server\"}" \
	"tcp_health_sysctl_somaxconn{netns=\"$NS1\"}" "tcp_health_kernel_curr_estab{netns=\"$NS1\"}" \
	"tcp_health_listener_info{netns=\"$NS1\",port=\"1202\",address=\"127.0.0.1\",family=\"ipv4\",process=\"sockstate\"}"; do
	assert_present "$f" "$series"
done
promtool_check nohist "$f"

# ---- 8. expected ports ---------------------------------------------------------------------------
section "8. --listen-ports: expected where the exporter is pointed, not in every container"
# 1202 listens in NS1 and NS2; 4444 listens nowhere. With --netns=all only the exporter's
# own namespace expects them; with names, each named namespace does.
exporter_start expect_all "$NS_E" "$TCPH_BIN" 127.0.0.1:9984 --netns=all --listen-ports=1202,4444
scrape_ok "8" "$NS_E" http://127.0.0.1:9984/metrics "$IT_TMP/expect_all.prom"
f=$IT_TMP/expect_all.prom
assert_metric "$f" "tcp_health_listener_up{netns=\"$NS_E\",port=\"4444\"}" 0
assert_metric "$f" "tcp_health_listener_up{netns=\"$NS_E\",port=\"1202\"}" 0
assert_metric "$f" "tcp_health_listener_up{netns=\"$NS1\",port=\"1202\"}" 1
assert_eq "namespaces reporting 4444 down (only the exporter's own)" 1 \
	"$(grep -c '^tcp_health_listener_up{netns="[^"]*",port="4444"} 0$' "$f" || true)"
assert_no_series "$f" "^tcp_health_listener_up\\{netns=\"($NS3|$NS4)\",port=\"(1202|4444)\"\\}" \
	"no expected-port series in other containers' namespaces"
exporter_start expect_named "$NS_E" "$TCPH_BIN" 127.0.0.1:9985 "--netns=$NS1,$NS3" --listen-ports=1202,4444
scrape_ok "8" "$NS_E" http://127.0.0.1:9985/metrics "$IT_TMP/expect_named.prom"
f=$IT_TMP/expect_named.prom
assert_metric "$f" "tcp_health_listener_up{netns=\"$NS1\",port=\"1202\"}" 1
assert_metric "$f" "tcp_health_listener_up{netns=\"$NS1\",port=\"4444\"}" 0
assert_metric "$f" "tcp_health_listener_up{netns=\"$NS3\",port=\"1202\"}" 0
assert_metric "$f" "tcp_health_listener_up{netns=\"$NS3\",port=\"4444\"}" 0

# ---- the end ---------------------------------------------------------------------------------------
assert_not_contains "the --netns=all exporter logged no error" "$(bg_err exporter)" "level=error"
for name in exporter limited named noptrace nohist expect_all expect_named; do stop_clean "$name"; done

it_end
