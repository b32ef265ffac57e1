#!/usr/bin/env bash
# test_package.sh — the Debian package and `make install` for real:
#   - the man page against --help and groff (tests/package/check_manpage.sh);
#   - `make deb` builds build/tcp-health-exporter_VERSION_ARCH.deb, lintian finds no error,
#     systemd-analyze verify passes on the units as the package installs them;
#     `make deb MAINTAINER='Name <user@host>'` puts that name in Maintainer and the
#     changelog, and refuses a value of another shape;
#   - in a fresh container of the minimal Debian 12 base image (tests/container/base-image.sh):
#     `apt-get install ./….deb` fetches the dependencies and installs it with systemd not
#     running (the postinst only enables the service), the installed binary serves /metrics
#     (curled from the host), dpkg knows the conffile, man page, units, docs and dashboards;
#     `apt-get remove` leaves the conffile (and the service's enablement, which
#     deb-systemd-helper keeps until purge), `apt-get purge` leaves nothing: a listing of
#     /etc /usr /lib /opt /srv /var/lib before and after is the same;
#   - `make install DESTDIR=… PREFIX=…` installs the promised files with ExecStart
#     pointing at PREFIX, keeps an existing defaults file, and `make uninstall` removes all
#     but that defaults file.
#
# The container runs with host networking (apt reaches the Debian mirror, the host reaches
# the exporter); the exporter in it listens on 127.0.0.1 on a random port checked free.
# Container names carry the test's PID; the container is removed on every exit.
source "$(dirname "$0")/../integration/lib.sh"
it_begin podman make dpkg-deb dpkg-buildpackage dh lintian systemd-analyze groff man

NAME=tcph-package-test-$$
RUN=(podman run --runtime runc --cgroup-manager=cgroupfs --ulimit nofile=8192:8192 --ulimit nproc=512:512)
PKG=tcp-health-exporter
VERSION=$(cat "$IT_ROOT/VERSION")
ARCH=$(dpkg --print-architecture)
DEB_NAME=${PKG}_${VERSION}_${ARCH}.deb
DEB=$IT_ROOT/build/$DEB_NAME
DOC=/usr/share/doc/$PKG
SHARE=/usr/share/$PKG
DEFAULTS=/etc/default/tcp_health_exporter
test_start=$(now_ms)

cleanup_package() {
	podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
}
# As in test_container.sh: hand it_cleanup the test's exit status, not cleanup_package's.
trap 'rc=$?; set +e; trap - ERR; cleanup_package; (exit "$rc"); it_cleanup' EXIT

# ok/fail per "ok ..."/"FAIL: ..." line of a checking script's output.
count_lines() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "${line#ok   }" ;;
		"FAIL: "*) fail "${line#FAIL: }" ;;
		*) echo "  -- $line" ;;
		esac
	done <<<"$1"
}

section "man page (tests/package/check_manpage.sh)"
out=$(bash "$IT_ROOT/tests/package/check_manpage.sh" "$TCPH_BIN" "$IT_ROOT/docs/tcp_health_exporter.1" 2>&1) || true
count_lines "$out"

section "make deb MAINTAINER=..."
# The Maintainer is set at build time: in the control file and the changelog's trailer.
maint="Package Test O'Neill <package-test@tcp-health-exporter.invalid>"
rm -f "$DEB"
if make -C "$IT_ROOT" --no-print-directory deb MAINTAINER="$maint" >"$IT_TMP/deb-maint.log" 2>&1 && [ -f "$DEB" ]; then
	assert_eq "make deb MAINTAINER=…: Maintainer" "$maint" "$(dpkg-deb -f "$DEB" Maintainer)"
	assert_eq "make deb MAINTAINER=…: the changelog's trailer" " -- $maint" \
		"$(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ".$DOC/changelog.gz" | zcat | sed -n 's/^\( -- .*>\)  .*/\1/p')"
else
	tail -n 30 "$IT_TMP/deb-maint.log"
	fail "make deb MAINTAINER='$maint' did not make build/$DEB_NAME"
fi
rc=0
make -C "$IT_ROOT" --no-print-directory deb MAINTAINER=nobody >"$IT_TMP/deb-bad.log" 2>&1 || rc=$?
assert_eq "make deb MAINTAINER=nobody: refused, one line" "2 make deb: MAINTAINER='nobody' is not 'Name <user@host>'" \
	"$rc $(grep -m1 '^make deb:' "$IT_TMP/deb-bad.log")"

section "make deb"
rm -f "$DEB"
start=$(now_ms)
# Not through flock: `make package` runs this test inside the caller's make.
if make -C "$IT_ROOT" --no-print-directory deb >"$IT_TMP/deb.log" 2>&1 && [ -f "$DEB" ]; then
	ok "make deb: build/$DEB_NAME, $(stat -c %s "$DEB") bytes ($(($(now_ms) - start)) ms)"
else
	tail -n 30 "$IT_TMP/deb.log"
	die "make deb did not make build/$DEB_NAME"
fi
[ ! -e "$IT_ROOT/debian" ] && ok "the repository gained no top-level debian/" ||
	fail "$IT_ROOT/debian exists: the build must stay in build/deb/"
assert_eq "Package" "$PKG" "$(dpkg-deb -f "$DEB" Package)"
assert_eq "Version" "$VERSION" "$(dpkg-deb -f "$DEB" Version)"
assert_eq "Architecture" "$ARCH" "$(dpkg-deb -f "$DEB" Architecture)"
assert_eq "Maintainer: the Makefile's neutral default" "$(make -s -C "$IT_ROOT" --no-print-directory print-MAINTAINER)" \
	"$(dpkg-deb -f "$DEB" Maintainer)"
depends=$(dpkg-deb -f "$DEB" Depends)
echo "  -- Depends: $depends"
for lib in libmnl0 libmicrohttpd12 zlib1g libyaml-0-2 libgnutls30 libcrypt1 libjansson4 libsystemd0; do
	[[ ", $depends," =~ ,\ ${lib}[\ ,] ]] && ok "Depends on $lib (shlibs)" || fail "Depends lacks $lib: $depends"
done

section "lintian"
rc=0
lintian "$DEB" >"$IT_TMP/lintian.out" 2>&1 || rc=$?
errors=$(grep -c '^E: ' "$IT_TMP/lintian.out" || true)
warnings=$(grep -c '^W: ' "$IT_TMP/lintian.out" || true)
grep -E '^[EW]: ' "$IT_TMP/lintian.out" | sed 's/^/  |   /' || true
echo "  -- lintian: $errors errors, $warnings warnings"
if [ "$errors" = 0 ] && [ "$rc" = 0 ]; then
	ok "lintian $DEB_NAME: no errors ($warnings warnings)"
else
	fail "lintian: exit $rc, $errors errors: $(grep -E '^E: ' "$IT_TMP/lintian.out" | tr '\n' ' ')"
fi

section "the units as the package installs them"
root=$IT_TMP/deb-root
dpkg-deb -x "$DEB" "$root" || die "dpkg-deb -x failed"
unitdir=$root/lib/systemd/system
assert_contains "service: ExecStart is the package's binary" "$unitdir/tcp_health_exporter.service" \
	'ExecStart=/usr/bin/tcp_health_exporter $ARGS'
assert_not_contains "service: no /usr/local path left" "$unitdir/tcp_health_exporter.service" /usr/local/
assert_contains "service: dynamic user" "$unitdir/tcp_health_exporter.service" DynamicUser=yes
assert_contains "socket: ListenStream=9978" "$unitdir/tcp_health_exporter.socket" ListenStream=9978
# verify wants ExecStart's binary and Documentation='s man page where they are: a copy of
# the units pointing at the unpacked binary, with MANPATH at the unpacked man pages.
mkdir -p "$IT_TMP/verify"
for u in tcp_health_exporter.service tcp_health_exporter.socket; do
	sed "s#/usr/bin/tcp_health_exporter#$root/usr/bin/tcp_health_exporter#g" "$unitdir/$u" >"$IT_TMP/verify/$u"
done
if out=$(MANPATH=$root/usr/share/man systemd-analyze verify "$IT_TMP/verify/tcp_health_exporter.service" \
	"$IT_TMP/verify/tcp_health_exporter.socket" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify: the service and socket units"
else
	fail "systemd-analyze verify: $out"
fi

section "install, serve, remove, purge in a fresh minimal Debian 12"
bash "$IT_ROOT/tests/container/base-image.sh" || die "cannot make the base image"
BASE_IMAGE=$(bash "$IT_ROOT/tests/container/base-image.sh" --name)
"${RUN[@]}" -d --name "$NAME" --network host "$BASE_IMAGE" sleep 3600 >/dev/null || die "podman run $BASE_IMAGE failed"
in_ct() { podman exec -e DEBIAN_FRONTEND=noninteractive -w /root "$NAME" "$@"; }
podman cp "$DEB" "$NAME:/root/$DEB_NAME" || die "podman cp failed"
in_ct test ! -d /run/systemd/system || die "systemd runs in the container: the test wants it not running"
start=$(now_ms)
in_ct apt-get update -qq >"$IT_TMP/apt-update.log" 2>&1 || { tail "$IT_TMP/apt-update.log"; die "apt-get update failed in the container"; }
# The dependencies first, so that the listing before installing holds them and the
# comparison after purging shows only what the package itself leaves.
deps=$(tr ',' '\n' <<<"$depends" | sed 's/(.*)//; s/|.*//; s/ //g' | grep . | paste -sd ' ')
# shellcheck disable=SC2086 # one word per package
in_ct apt-get install -y -qq --no-install-recommends $deps >"$IT_TMP/apt-deps.log" 2>&1 ||
	{ tail "$IT_TMP/apt-deps.log"; die "apt-get install of the dependencies ($deps) failed"; }
echo "  -- apt-get update and the dependencies: $(($(now_ms) - start)) ms"
LISTING='find /etc /usr /lib /opt /srv /var/lib -xdev -path /var/lib/apt/lists -prune -o -print | sort'
in_ct sh -c "$LISTING" >"$IT_TMP/before.list" || die "listing failed"

if in_ct apt-get install -y "./$DEB_NAME" >"$IT_TMP/apt-install.log" 2>&1; then
	ok "apt-get install ./$DEB_NAME"
else
	tail -n 20 "$IT_TMP/apt-install.log"
	fail "apt-get install ./$DEB_NAME failed"
fi
assert_contains "apt-get installed the package alone (dependencies already there)" "$IT_TMP/apt-install.log" \
	"0 upgraded, 1 newly installed, 0 to remove"
assert_eq "dpkg status" "install ok installed $VERSION" "$(in_ct dpkg-query -W -f='${Status} ${Version}' "$PKG")"
conffiles=$(in_ct dpkg-query -W -f='${Conffiles}' "$PKG")
md5=$(in_ct md5sum "$DEFAULTS" | cut -d' ' -f1)
assert_eq "registered conffiles" "$DEFAULTS $md5" "$(sed 's/^ *//' <<<"$conffiles" | grep .)"
in_ct dpkg -L "$PKG" >"$IT_TMP/dpkg-L" || fail "dpkg -L $PKG failed"
for f in /usr/bin/tcp_health_exporter /usr/share/man/man1/tcp_health_exporter.1.gz \
	/lib/systemd/system/tcp_health_exporter.service /lib/systemd/system/tcp_health_exporter.socket \
	"$DEFAULTS" "$DOC/README.md" "$DOC/runbook.md" "$DOC/alerts.md.gz" "$DOC/status-api.md.gz" \
	"$DOC/architecture.md.gz" "$DOC/changelog.gz" "$DOC/copyright" \
	"$SHARE/grafana/tcp-health-overview.json" "$SHARE/grafana/tcp-port-detail.json" \
	"$SHARE/prometheus/alerts.rules.yml" "$SHARE/prometheus/recording.rules.yml" "$SHARE/systemd/netns.conf"; do
	grep -qx -- "$f" "$IT_TMP/dpkg-L" && ok "dpkg -L: $f" || fail "dpkg -L lacks $f"
done
grep -q 'CHANGELOG\.md' "$IT_TMP/dpkg-L" && ok "dpkg -L: $DOC/CHANGELOG.md(.gz)" || fail "dpkg -L lacks CHANGELOG.md"
# Every document of the Makefile's DOCS (README links them) but LICENSE (debian/copyright
# holds it), compressed or not as dh_compress decides by size.
for f in $(make -s -C "$IT_ROOT" --no-print-directory print-DOCS); do
	f=${f##*/}
	[ "$f" != LICENSE ] || continue
	grep -qxE -- "$DOC/${f//./\\.}(\.gz)?" "$IT_TMP/dpkg-L" && ok "dpkg -L: $DOC/$f(.gz), of DOCS" || fail "dpkg -L lacks $f of the Makefile's DOCS"
done
assert_not_contains "runbook.md is not compressed (the alerts link to it)" "$IT_TMP/dpkg-L" runbook.md.gz
assert_not_contains "no LICENSE beside copyright" "$IT_TMP/dpkg-L" "$DOC/LICENSE"
in_ct grep -ho 'file://[^#"]*#' "$SHARE/prometheus/alerts.rules.yml" | sort -u >"$IT_TMP/runbook-links"
assert_eq "the alert rules' runbook links" "file://$DOC/runbook.md#" "$(paste -sd ' ' "$IT_TMP/runbook-links")"
assert_eq "man page, gzipped roff" ".TH TCP_HEALTH_EXPORTER 1" \
	"$(in_ct sh -c 'zcat /usr/share/man/man1/tcp_health_exporter.1.gz | grep -m1 "^\.TH" | cut -d" " -f1-3')"
assert_eq "installed ExecStart" 'ExecStart=/usr/bin/tcp_health_exporter $ARGS' \
	"$(in_ct grep '^ExecStart=' /lib/systemd/system/tcp_health_exporter.service)"
# Enabled (for the next boot) although systemd does not run here; the socket is not.
assert_eq "service enabled by the postinst" /lib/systemd/system/tcp_health_exporter.service \
	"$(in_ct readlink /etc/systemd/system/multi-user.target.wants/tcp_health_exporter.service || true)"
in_ct test ! -e /etc/systemd/system/sockets.target.wants/tcp_health_exporter.socket &&
	ok "socket unit not enabled (the alternative to the service's own socket)" || fail "the socket unit was enabled"

# The installed binary, as nobody, on a random free port of the host's 127.0.0.1.
PORT=""
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 10000))
	if [ -z "$(ss -Htln "sport = :$p")" ]; then
		PORT=$p
		break
	fi
done
[ -n "$PORT" ] || die "no free port found"
podman exec -d --user 65534:65534 "$NAME" sh -c 'echo $$ >/tmp/exporter.pid; exec /usr/bin/tcp_health_exporter "$@" 2>/tmp/exporter.err' \
	sh "--web.listen-address=127.0.0.1:$PORT" "--listen-ports=$PORT" >/dev/null || die "podman exec of the exporter failed"
deadline=$(($(now_ms) + 15000))
until curl -s -o "$IT_TMP/metrics" --max-time 5 "http://127.0.0.1:$PORT/metrics"; do
	[ "$(now_ms)" -lt "$deadline" ] || { in_ct cat /tmp/exporter.err; die "the installed exporter did not answer on 127.0.0.1:$PORT"; }
	sleep 0.1
done
ok "the installed /usr/bin/tcp_health_exporter serves http://127.0.0.1:$PORT/metrics (as uid 65534)"
build_info=$(grep '^tcp_health_exporter_build_info{' "$IT_TMP/metrics" || true)
[[ $build_info == *"version=\"$VERSION\""*"} 1" ]] && ok "$build_info" ||
	fail "tcp_health_exporter_build_info with version=\"$VERSION\": got '$build_info'"
assert_metric "$IT_TMP/metrics" "tcp_health_listener_up{port=\"$PORT\"}" 1
pid=$(in_ct cat /tmp/exporter.pid)
# kill is a shell builtin there (minbase has no procps).
in_ct sh -c 'kill -TERM "$1"' sh "$pid" || fail "kill -TERM the exporter"
deadline=$(($(now_ms) + 10000))
while in_ct sh -c 'kill -0 "$1" 2>/dev/null' sh "$pid"; do
	[ "$(now_ms)" -lt "$deadline" ] || { fail "the exporter did not stop within 10 s of SIGTERM"; break; }
	sleep 0.1
done
[ -z "$(ss -Htln "sport = :$PORT")" ] && ok "SIGTERM: stopped, port $PORT closed" || fail "port $PORT still listening"

if in_ct apt-get remove -y "$PKG" >"$IT_TMP/apt-remove.log" 2>&1; then ok "apt-get remove"; else
	tail "$IT_TMP/apt-remove.log"
	fail "apt-get remove failed"
fi
assert_eq "dpkg status after remove" "deinstall ok config-files" "$(in_ct dpkg-query -W -f='${Status}' "$PKG")"
in_ct sh -c "$LISTING" >"$IT_TMP/removed.list" || die "listing failed"
# What remove may leave: the conffile; dpkg's record of a package in config-files state;
# and the service's enablement, which deb-systemd-helper keeps until purge so that a
# reinstall keeps the admin's choice.
expected_left="$DEFAULTS
/etc/systemd/system/multi-user.target.wants/tcp_health_exporter.service
/var/lib/dpkg/info/$PKG.list
/var/lib/dpkg/info/$PKG.postrm
/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/tcp_health_exporter.service
/var/lib/systemd/deb-systemd-helper-enabled/tcp_health_exporter.service.dsh-also
/var/lib/systemd/deb-systemd-helper-enabled/tcp_health_exporter.socket.dsh-also"
left=$(comm -13 "$IT_TMP/before.list" "$IT_TMP/removed.list")
gone=$(comm -23 "$IT_TMP/before.list" "$IT_TMP/removed.list")
assert_eq "after remove, left: the conffile, dpkg's record and the enablement" \
	"$(sort <<<"$expected_left" | paste -sd ' ')" "$(paste -sd ' ' <<<"$left")"
assert_eq "after remove, nothing of before is missing" "" "$gone"
assert_eq "the conffile is unchanged" "$md5" "$(in_ct md5sum "$DEFAULTS" | cut -d' ' -f1)"

if in_ct apt-get purge -y "$PKG" >"$IT_TMP/apt-purge.log" 2>&1; then ok "apt-get purge"; else
	tail "$IT_TMP/apt-purge.log"
	fail "apt-get purge failed"
fi
status=$(in_ct dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null) || status=not-installed
assert_eq "dpkg-query after purge" not-installed "$status"
in_ct sh -c "$LISTING" >"$IT_TMP/purged.list" || die "listing failed"
if cmp -s "$IT_TMP/before.list" "$IT_TMP/purged.list"; then
	ok "after purge: /etc /usr /lib /opt /srv /var/lib as before the install ($(wc -l <"$IT_TMP/before.list") paths)"
else
	fail "after purge the listing differs: $(diff "$IT_TMP/before.list" "$IT_TMP/purged.list" | grep '^[<>]' | tr '\n' ' ')"
fi
cleanup_package

section "make install / make uninstall into a staging directory"
stage=$IT_TMP/stage
# install_list: every file and link under the staging directory (directories aside).
install_list() { (cd "$stage" && find . ! -type d | sed 's/^\.//' | sort); }
make -C "$IT_ROOT" --no-print-directory install DESTDIR="$stage" PREFIX=/usr/local >"$IT_TMP/install.log" 2>&1 ||
	{ tail "$IT_TMP/install.log"; die "make install DESTDIR=$stage PREFIX=/usr/local failed"; }
expected=$(sort <<EOF
$DEFAULTS
/etc/systemd/system/tcp_health_exporter.service
/etc/systemd/system/tcp_health_exporter.socket
/usr/local/bin/tcp_health_exporter
/usr/local/share/man/man1/tcp_health_exporter.1
/usr/local/share/tcp-health-exporter/grafana/tcp-health-overview.json
/usr/local/share/tcp-health-exporter/grafana/tcp-port-detail.json
/usr/local/share/tcp-health-exporter/prometheus/alerts.rules.yml
/usr/local/share/tcp-health-exporter/prometheus/recording.rules.yml
/usr/local/share/tcp-health-exporter/systemd/netns.conf
/usr/local/share/doc/tcp-health-exporter/README.md
/usr/local/share/doc/tcp-health-exporter/CHANGELOG.md
/usr/local/share/doc/tcp-health-exporter/LICENSE
/usr/local/share/doc/tcp-health-exporter/runbook.md
/usr/local/share/doc/tcp-health-exporter/alerts.md
/usr/local/share/doc/tcp-health-exporter/status-api.md
/usr/local/share/doc/tcp-health-exporter/architecture.md
/usr/local/share/doc/tcp-health-exporter/serving.md
/usr/local/share/doc/tcp-health-exporter/cardinality.md
/usr/local/share/doc/tcp-health-exporter/netns.md
/usr/local/share/doc/tcp-health-exporter/benchmarks.md
/usr/local/share/doc/tcp-health-exporter/development.md
EOF
)
assert_eq "make install PREFIX=/usr/local: the files" "$(paste -sd ' ' <<<"$expected")" "$(install_list | paste -sd ' ')"
assert_eq "binary mode" 755 "$(stat -c %a "$stage/usr/local/bin/tcp_health_exporter")"
assert_eq "unit mode" 644 "$(stat -c %a "$stage/etc/systemd/system/tcp_health_exporter.service")"
assert_eq "ExecStart (PREFIX=/usr/local)" 'ExecStart=/usr/local/bin/tcp_health_exporter $ARGS' \
	"$(grep '^ExecStart=' "$stage/etc/systemd/system/tcp_health_exporter.service")"
assert_eq "defaults file: ARGS, as shipped" 'ARGS=""' "$(grep '^ARGS=' "$stage$DEFAULTS")"
assert_eq "rules link to the installed runbook" "file:///usr/local/share/doc/tcp-health-exporter/runbook.md#" \
	"$(grep -ho 'file://[^#"]*#' "$stage/usr/local/share/tcp-health-exporter/prometheus/alerts.rules.yml" | sort -u | paste -sd ' ')"
echo 'ARGS="--listen-ports=22"' >>"$stage$DEFAULTS"
make -C "$IT_ROOT" --no-print-directory install DESTDIR="$stage" PREFIX=/usr/local >"$IT_TMP/install2.log" 2>&1 ||
	{ tail "$IT_TMP/install2.log"; die "the second make install failed"; }
assert_eq "make install again keeps the edited defaults file" 'ARGS="--listen-ports=22"' "$(tail -n 1 "$stage$DEFAULTS")"
make -C "$IT_ROOT" --no-print-directory uninstall DESTDIR="$stage" PREFIX=/usr/local >"$IT_TMP/uninstall.log" 2>&1 ||
	{ tail "$IT_TMP/uninstall.log"; die "make uninstall failed"; }
assert_eq "make uninstall leaves only the defaults file" "$DEFAULTS" "$(install_list | paste -sd ' ')"
rm -rf "$stage"

# Another PREFIX: ExecStart rewritten, the units still where systemd looks, and the unit
# verified against the staged binary and man page.
make -C "$IT_ROOT" --no-print-directory install DESTDIR="$stage" PREFIX=/opt/tcph >"$IT_TMP/install3.log" 2>&1 ||
	{ tail "$IT_TMP/install3.log"; die "make install PREFIX=/opt/tcph failed"; }
assert_eq "ExecStart (PREFIX=/opt/tcph)" 'ExecStart=/opt/tcph/bin/tcp_health_exporter $ARGS' \
	"$(grep '^ExecStart=' "$stage/etc/systemd/system/tcp_health_exporter.service")"
assert_eq "netns drop-in ExecStart (PREFIX=/opt/tcph)" 'ExecStart=/opt/tcph/bin/tcp_health_exporter --netns=all $ARGS' \
	"$(grep '^ExecStart=/' "$stage/opt/tcph/share/tcp-health-exporter/systemd/netns.conf")"
mkdir -p "$IT_TMP/verify-opt"
for u in tcp_health_exporter.service tcp_health_exporter.socket; do
	sed "s#/opt/tcph/bin/#$stage/opt/tcph/bin/#g" "$stage/etc/systemd/system/$u" >"$IT_TMP/verify-opt/$u"
done
if out=$(MANPATH=$stage/opt/tcph/share/man systemd-analyze verify "$IT_TMP/verify-opt/tcp_health_exporter.service" \
	"$IT_TMP/verify-opt/tcp_health_exporter.socket" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify: the units of make install PREFIX=/opt/tcph"
else
	fail "systemd-analyze verify (PREFIX=/opt/tcph): $out"
fi
make -C "$IT_ROOT" --no-print-directory uninstall DESTDIR="$stage" PREFIX=/opt/tcph >"$IT_TMP/uninstall3.log" 2>&1 ||
	{ tail "$IT_TMP/uninstall3.log"; die "make uninstall PREFIX=/opt/tcph failed"; }
assert_eq "make uninstall PREFIX=/opt/tcph leaves only the defaults file" "$DEFAULTS" "$(install_list | paste -sd ' ')"
rm -rf "$stage"
make -C "$IT_ROOT" --no-print-directory install DESTDIR="$stage" PREFIX=/usr >"$IT_TMP/install4.log" 2>&1 ||
	{ tail "$IT_TMP/install4.log"; die "make install PREFIX=/usr failed"; }
assert_eq "PREFIX=/usr: the units in /lib/systemd/system, as the package has them" \
	"/lib/systemd/system/tcp_health_exporter.service /lib/systemd/system/tcp_health_exporter.socket" \
	"$(install_list | grep -E '\.(service|socket)$' | paste -sd ' ')"
rm -rf "$stage"

echo "  -- test duration: $((($(now_ms) - test_start) / 1000)) s"
it_end
