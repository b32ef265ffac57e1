#!/usr/bin/env bash
# check_manpage.sh BIN MANPAGE — the hand-written man page cannot drift from the binary:
#   1. every flag that `BIN --help` prints (--web.listen-address, --[no-]collector.tcp,
#      --collector.NAME, ...) appears in MANPAGE as the same whole token;
#   2. groff -man -ww -z (every warning) and man --warnings say nothing about it.
# Flags the man page documents but --help does not print are listed as a note only (the
# man page may describe a flag before the binary has it). No root needed. Run by
# tests/package/test_package.sh (make package); by hand:
#   bash tests/package/check_manpage.sh build/tcp_health_exporter docs/tcp_health_exporter.1
# Exit status: 0 all good, 1 a problem (each printed as "FAIL: ...").
set -uo pipefail
if [ $# -ne 2 ]; then
	echo "usage: check_manpage.sh BIN MANPAGE" >&2
	exit 2
fi
bin=$1 page=$2
failed=0
bad() {
	failed=1
	echo "FAIL: $*"
}
[ -x "$bin" ] || { echo "FAIL: $bin is not an executable"; exit 1; }
[ -r "$page" ] || { echo "FAIL: $page cannot be read"; exit 1; }

# A flag: two dashes, an optional [no-], then a lower-case word of letters, digits, dots,
# dashes and underscores (NAME placeholders included), not ending in a dot or dash.
FLAG_RE='--(\[no-\])?[a-z][A-Za-z0-9._-]*[A-Za-z0-9]'
if ! help=$("$bin" --help 2>&1); then
	bad "$bin --help failed: $help"
fi
help_flags=$(grep -oE -- "$FLAG_RE" <<<"$help" | sort -u)
[ -n "$help_flags" ] || bad "$bin --help printed no flags"
# The man page's source without comments and roff escapes: \- is a dash, fonts and
# zero-width marks go.
man_flags=$(sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\f\[[^]]*\]//g' -e 's/\\f[BIRP1-4]//g' \
	-e 's/\\[&c|^]//g' -e 's/\\%//g' "$page" | grep -oE -- "$FLAG_RE" | sort -u)
missing=$(comm -23 <(echo "$help_flags") <(echo "$man_flags"))
if [ -z "$missing" ]; then
	echo "ok   all $(wc -l <<<"$help_flags") flags of --help are in $(basename "$page")"
else
	bad "flags printed by --help but missing from $page: $(paste -sd " " <<<"$missing")"
fi
extra=$(comm -13 <(echo "$help_flags") <(echo "$man_flags"))
[ -z "$extra" ] || echo "note: in $(basename "$page") but not in --help (yet): $(paste -sd " " <<<"$extra")"

# groff with every warning; man-db as lintian runs it (UTF-8, warnings on).
if out=$(groff -man -ww -z "$page" 2>&1) && [ -z "$out" ]; then
	echo "ok   groff -man -ww -z: no warnings"
else
	bad "groff -man -ww -z: $out"
fi
if out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) && [ -z "$out" ]; then
	echo "ok   man --warnings -l: no warnings"
else
	bad "man --warnings -l: $out"
fi
exit "$failed"
