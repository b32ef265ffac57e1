#!/usr/bin/env bash
# check_docs.sh — the documentation says what the build does. Each check compares a list
# in README.md or the Dockerfile with its source of truth and prints one line:
#   1. README's build dependencies      = the Makefile's BUILD_DEPS
#   2. README's test dependencies       = the Makefile's CHECK_DEPS (and PACKAGE_DEPS)
#   3. the Dockerfile's build packages  = BUILD_DEPS (the image builds with the same set)
#   4. the Dockerfile's runtime packages = the Debian packages of the shared libraries the
#      built binary loads (ldd + dpkg -S), so the image neither misses nor carries one
#   5. every --flag of `tcp_health_exporter --help` is in README and in the man page
#   6. README links docs/architecture.md, which exists, and nothing in the repository
#      points outside it (../shared)
#   7. the timing table of docs/development.md has a row per step of make check
#      (CHECK_STEPS), in order
#   8. VERSION, the CHANGELOG's newest release heading and the binary's --version agree,
#      and deploy/'s image tags and app.kubernetes.io/version name that version
#   9. every relative link in README.md and docs/*.md points at a file that exists, and
#      its #anchor (also a link within the page) at a heading of that file
# usage: tests/docs/check_docs.sh   (TCPH_BIN: the built binary, default build/tcp_health_exporter)
# Exit status 0 when every check passes, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
BIN=${TCPH_BIN:-build/tcp_health_exporter}
[ -x "$BIN" ] || { echo "check_docs.sh: '$BIN' is not built" >&2; exit 2; }
passed=0 failed=0
ok() { echo "  ok   $1"; passed=$((passed + 1)); }
bad() { echo "  FAIL: $1"; failed=$((failed + 1)); }
words() { tr -s ' \t\n' '\n' | sed '/^$/d' | sort -u; }
# same DESCRIPTION A B: two word lists hold the same words; prints the difference if not.
same() {
	local d
	if d=$(diff <(echo "$2" | words) <(echo "$3" | words)); then
		ok "$1 ($(echo "$2" | words | wc -l) packages)"
	else
		bad "$1: $(echo "$d" | grep '^[<>]' | tr '\n' ' ')"
	fi
}
make_var() { make -s --no-print-directory print-"$1"; }
# readme_list VAR: the backquoted package list README gives after "(… `VAR` in the Makefile)"
# or "`VAR` (`…`)".
readme_build=$(awk '/^Build dependencies/,/^$/' README.md | tr '\n' ' ' | sed -n 's/.*Makefile): `\([^`]*\)`.*/\1/p')
readme_package=$(awk '/PACKAGE_DEPS/,/^$/' README.md | tr '\n' ' ' | sed -n 's/.*`PACKAGE_DEPS` (`\([^`]*\)`).*/\1/p')
readme_check=$(awk '/CHECK_DEPS/,/^$/' README.md | tr '\n' ' ' | sed -n 's/.*`CHECK_DEPS` (`\([^`]*\)`).*/\1/p')
[ -n "$readme_build" ] || bad "README: no build dependency list found"
[ -n "$readme_check" ] || bad "README: no CHECK_DEPS list found"
same "README's build dependencies are BUILD_DEPS" "$readme_build" "$(make_var BUILD_DEPS)"
same "README's test dependencies are CHECK_DEPS" "$readme_check" "$(make_var CHECK_DEPS)"
[ -n "$readme_package" ] || bad "README: no PACKAGE_DEPS list found"
same "README's packaging tools are PACKAGE_DEPS" "$readme_package" "$(make_var PACKAGE_DEPS)"

# Dockerfile: the apt-get install lists of the two stages, in order.
docker_lists=$(awk '
	/apt-get install/ { grab = 1; n++; next }
	grab && /&&/ { grab = 0 }
	grab { gsub(/\\/, ""); print n, $0 }' Dockerfile)
docker_build=$(echo "$docker_lists" | awk '$1 == 1 { $1 = ""; print }')
docker_run=$(echo "$docker_lists" | awk '$1 == 2 { $1 = ""; print }')
same "the Dockerfile's build stage installs BUILD_DEPS" "$docker_build" "$(make_var BUILD_DEPS)"
# The libraries the binary itself needs (DT_NEEDED), located the way the loader does.
needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
libs=$(ldd "$BIN" | awk -v needed="$needed" 'BEGIN { n = split(needed, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
	$1 in want && $3 ~ /^\// { print $3 }')
runtime=$(for l in $libs; do dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l" 2>/dev/null; done |
	cut -d: -f1 | sort -u | grep -v -x -E 'libc6|libgcc-s1' )
# libc6 and libgcc-s1 are essential in every Debian image; the rest must be listed.
same "the Dockerfile's runtime stage installs the packages of the binary's libraries" "$docker_run" "$runtime"

# Whole flags only (--web.max-connections must not pass on --web.max-connections-per-ip),
# the --[no-]NAME forms as --help prints them; the man page's roff source with its
# escapes (\-, \fB...\fR) taken off.
missing_readme="" missing_man=""
sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\\[.*\]//g' docs/tcp_health_exporter.1 >"${TMPDIR:-/tmp}/tcph-man.$$" 2>/dev/null || true
whole() { # whole FLAG FILE: FLAG occurs, followed by no further flag character
	local re
	re=$(printf '%s' "$1" | sed 's/[].[]/\\&/g')
	grep -qE -- "${re}([^a-z0-9.-]|$)" "$2"
}
for flag in $("$BIN" --help | grep -oE -- '--(\[no-\])?[a-z][a-zA-Z0-9.-]*' | grep -v '[A-Z]' | sed 's/[.-]$//' | sort -u); do
	whole "$flag" README.md || missing_readme="$missing_readme $flag"
	whole "$flag" "${TMPDIR:-/tmp}/tcph-man.$$" || missing_man="$missing_man $flag"
done
rm -f "${TMPDIR:-/tmp}/tcph-man.$$"
[ -z "$missing_readme" ] && ok "every --help flag is in README" || bad "flags missing from README:$missing_readme"
[ -z "$missing_man" ] && ok "every --help flag is in the man page" || bad "flags missing from docs/tcp_health_exporter.1:$missing_man"

if [ -f docs/architecture.md ] && grep -q '](docs/architecture.md)' README.md; then
	ok "README links docs/architecture.md"
else
	bad "README does not link an existing docs/architecture.md"
fi
outside=$(git grep -l -e '\.\./shared' -- . ':!tests/docs/check_docs.sh' 2>/dev/null || grep -rl --exclude-dir=build --exclude-dir=.git --exclude=check_docs.sh -e '\.\./shared' . || true)
[ -z "$outside" ] && ok "nothing points outside the repository (../shared)" || bad "pointing outside the repository: $outside"

version=$(cat VERSION)
changelog=$(grep -m1 -o '^## \[\?[0-9][0-9.]*' CHANGELOG.md | grep -o '[0-9][0-9.]*')
binary=$("$BIN" --version | grep -o 'version [0-9][0-9.]*' | cut -d' ' -f2)
if [ "$version" = "$changelog" ] && [ "$version" = "$binary" ]; then
	ok "version $version in VERSION, CHANGELOG and --version"
else
	bad "versions disagree: VERSION $version, CHANGELOG $changelog, --version $binary"
fi
# The timing table (docs/development.md, linked from README's quick start) has a row for
# every step of make check (CHECK_STEPS), in order.
steps=$(make_var CHECK_STEPS)
table=$(awk '/^`make check` runs/ { on = 1 } on && /^\| `make [a-z-]+`/ { s = $0; sub(/^\| `make /, "", s); sub(/`.*/, "", s); printf "%s ", s } on && /^$/ && seen { exit } on && /^\|/ { seen = 1 }' docs/development.md | sed 's/ $//')
[ "$table" = "$steps" ] && ok "docs/development.md's timing table has one row per make check step, in order ($steps)" ||
	bad "docs/development.md's timing table rows '$table' are not CHECK_STEPS '$steps'"

# The example deployments run this version's image.
stale=$(grep -rnoE 'tcp_health_exporter:[0-9][0-9.]*|app.kubernetes.io/version: "[0-9.]+"' deploy |
	grep -v -e "tcp_health_exporter:$version\$" -e "version: \"$version\"" || true)
[ -z "$stale" ] && ok "deploy/ names version $version everywhere" || bad "deploy/ names another version: $stale"
# Links between the documents: README's sections moved to docs/ and back must stay
# reachable. Outside fenced code blocks; the anchors as GitHub makes them from headings
# (lower case, punctuation but - and _ dropped, spaces to -, -1, -2 for repeats).
anchors() { # anchors FILE: one a line
	awk '/^```/ { code = !code; next }
	!code && /^#+ / { h = $0; sub(/^#+ +/, "", h); h = tolower(h); gsub(/[^a-z0-9 _-]/, "", h); gsub(/ /, "-", h)
		n = seen[h]++; print (n ? h "-" n : h) }' "$1"
}
links() { # links FILE: the targets of FILE's [text](target) links, one a line
	awk '/^```/ { code = !code; next }
	!code { s = $0; while (match(s, /\]\([^) ]+\)/)) { print substr(s, RSTART + 2, RLENGTH - 3); s = substr(s, RSTART + RLENGTH) } }' "$1"
}
broken="" n_links=0
for doc in README.md docs/*.md; do
	while IFS= read -r target; do
		case $target in http://* | https://* | mailto:*) continue ;; esac
		n_links=$((n_links + 1))
		path=${target%%#*} anchor=""
		[[ $target != *#* ]] || anchor=${target#*#}
		if [ -z "$path" ]; then file=$doc; else file=$(dirname "$doc")/$path; fi
		if [ ! -e "$file" ]; then
			broken="$broken $doc:($target: no such file)"
		elif [ -n "$anchor" ] && [[ $file == *.md ]] && ! anchors "$file" | grep -qxF -- "$anchor"; then
			broken="$broken $doc:($target: no such heading)"
		fi
	done < <(links "$doc")
done
[ "$n_links" -gt 0 ] && [ -z "$broken" ] && ok "the $n_links relative links of README.md and docs/*.md reach their files and headings" ||
	bad "broken links (of $n_links):$broken"

echo "docs: $passed passed, $failed failed"
[ "$failed" = 0 ]
