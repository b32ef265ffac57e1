#!/usr/bin/env bash
# check_docs.sh — the documentation says what the build does. Each check compares a list
# in README.md or the Dockerfile with its source of truth and prints one line:
#   1. README's build dependencies      = the Makefile's BUILD_DEPS
#   2. README's test dependencies       = the Makefile's CHECK_DEPS (and PACKAGE_DEPS)
#   3. the Dockerfile's build packages  = BUILD_DEPS (the image builds with the same set)
#   4. the Dockerfile's runtime packages = the Debian packages of the shared libraries the
#      built binary loads (ldd + dpkg -S), so the image neither misses nor carries one
#   5. every --flag of `tcp_health_exporter --help` is in README and in the man page
#   5b. every row of the flag table (tests/tools/flag_table) has an entry in --help, a row in
#      README's Flags table stating the same default (where the README states one) and a
#      place in the man page, and README's Flags table has no row the table lacks; the
#      rows marked repeatable, and only they, are said to be so in all three; each of
#      these is shown to catch a broken copy
#   6. README links docs/architecture.md, which exists, and nothing in the repository
#      points outside it (../shared)
#   7. the timing table of docs/development.md has a row per step of make check
#      (CHECK_STEPS), in order
#   8. VERSION, the CHANGELOG's newest release heading and the binary's --version agree,
#      and deploy/'s image tags and app.kubernetes.io/version name that version
#   9. every relative link in README.md and docs/*.md points at a file that exists, and
#      its #anchor (also a link within the page) at a heading of that file
# usage: tests/docs/check_docs.sh   (TCPH_BIN: the built binary, default build/tcp_health_exporter;
#        TCPH_FLAG_TABLE: the table printer, default build/tools/flag_table)
# Exit status 0 when every check passes, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
BIN=${TCPH_BIN:-build/tcp_health_exporter}
[ -x "$BIN" ] || { echo "check_docs.sh: '$BIN' is not built" >&2; exit 2; }
FLAG_TABLE=${TCPH_FLAG_TABLE:-build/tools/flag_table}
[ -x "$FLAG_TABLE" ] || { echo "check_docs.sh: '$FLAG_TABLE' is not built (make $FLAG_TABLE)" >&2; exit 2; }
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
# Each library's package by its real path, else by the path ldd gave. One dpkg -S for all
# the real paths and one for the rest: each call reads dpkg's whole file list (seconds).
# owned_paths: the paths of dpkg -S lines ("pkg[, pkg]: path") on stdin.
owned_paths() { sed -n 's/.*: //p'; }
real=() ; for l in $libs; do real+=("$(readlink -f "$l")"); done
by_real=$( [ ${#real[@]} = 0 ] || dpkg -S "${real[@]}" 2>/dev/null || true)
rest=() i=0
for l in $libs; do
	owned_paths <<<"$by_real" | grep -qxF -- "${real[i]}" || rest+=("$l")
	i=$((i + 1))
done
by_link=$( [ ${#rest[@]} = 0 ] || dpkg -S "${rest[@]}" 2>/dev/null || true)
runtime=$(printf '%s\n' "$by_real" "$by_link" | sed '/^$/d' | cut -d: -f1 | sort -u | grep -v -x -E 'libc6|libgcc-s1' )
# libc6 and libgcc-s1 are essential in every Debian image; the rest must be listed.
same "the Dockerfile's runtime stage installs the packages of the binary's libraries" "$docker_run" "$runtime"

# Whole flags only (--web.max-connections must not pass on --web.max-connections-per-ip),
# the --[no-]NAME forms as --help prints them; the man page's roff source with its
# escapes (\-, \fB...\fR) taken off. The checks are awk programs that read each file
# once (a grep per flag and file took most of this script's time).
# AWK_WHOLE: whole(LINE, FLAG): FLAG occurs in LINE, followed by no further flag character.
AWK_WHOLE='function whole(l, n,   i, c) {
	while ((i = index(l, n)) > 0) {
		c = substr(l, i + length(n), 1)
		if (c == "" || c !~ /[a-z0-9.-]/) return 1
		l = substr(l, i + 1)
	}
	return 0
}'
# missing FLAGS FILE: the flags (one a line in the file FLAGS) that FILE does not hold
# whole, each after a space.
missing() {
	awk "$AWK_WHOLE"'
	FILENAME == ARGV[1] { f[++n] = $0; next }
	{ for (k = 1; k <= n; k++) if (!(k in seen) && whole($0, f[k])) seen[k] = 1 }
	END { for (k = 1; k <= n; k++) if (!(k in seen)) printf " %s", f[k] }' "$1" "$2"
}
flags_file=$(mktemp)
sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\\[.*\]//g' docs/tcp_health_exporter.1 >"${TMPDIR:-/tmp}/tcph-man.$$" 2>/dev/null || true
"$BIN" --help | grep -oE -- '--(\[no-\])?[a-z][a-zA-Z0-9.-]*' | grep -v '[A-Z]' | sed 's/[.-]$//' | sort -u >"$flags_file"
missing_readme=$(missing "$flags_file" README.md)
missing_man=$(missing "$flags_file" "${TMPDIR:-/tmp}/tcph-man.$$")
rm -f "${TMPDIR:-/tmp}/tcph-man.$$" "$flags_file"
[ -z "$missing_readme" ] && ok "every --help flag is in README" || bad "flags missing from README:$missing_readme"
[ -z "$missing_man" ] && ok "every --help flag is in the man page" || bad "flags missing from docs/tcp_health_exporter.1:$missing_man"

# The flag table against its three descriptions. flag_problems TABLE HELP README MAN prints
# one line per problem: TABLE is flag_table's output (display name, kind, placeholder,
# default, owner, help), HELP the --help text, README the README, MAN the man page.
strip_roff() { sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\f\[[^]]*\]//g' -e 's/\\f[BIRP1-4]//g' -e 's/\\[&c|^%]//g' "$1"; }
# AWK_PROBLEMS: reads HELP, MAN (stripped), README's rows and TABLE, in that order, and
# prints the problems, row after row of the table:
#   - --help has no entry for it: no line "  FLAG" followed by "=", " " or the line's end;
#   - the man page lacks it (not whole);
#   - README's Flags table has no row for it, or gives it another default;
#   - repeatable or once: the README row says "(repeatable)", the --help entry (its head
#     and the lines indented by 3 after it) the word "repeatable", the man page entry (the
#     lines after a .TP head naming it whole, up to the next .TP/.SH/.SS/.PP; joined by
#     spaces) "May be given several times", each only when the table's row is repeatable;
# then each README row naming a flag that no row of the table has (with no README row at
# all: one with an empty name).
AWK_PROBLEMS=$AWK_WHOLE'
function help_has(n,   k, l, c) {
	for (k = 1; k <= nh; k++) {
		l = help[k]
		if (substr(l, 1, length(n) + 2) == "  " n) {
			c = substr(l, length(n) + 3, 1)
			if (c == "=" || c == " " || c == "") return 1
		}
	}
	return 0
}
function help_times(n,   k, l, c, on) {
	on = 0
	for (k = 1; k <= nh; k++) {
		l = help[k]
		if (on && l ~ /^   /) { if (l ~ /(^|[^A-Za-z0-9_])repeatable([^A-Za-z0-9_]|$)/) return "repeatable"; continue }
		on = 0
		c = substr(l, length(n) + 3, 1)
		if (index(l, "  " n) == 1 && (c == "=" || c == " " || c == "")) {
			on = 1
			if (l ~ /(^|[^A-Za-z0-9_])repeatable([^A-Za-z0-9_]|$)/) return "repeatable"
		}
	}
	return "once"
}
function man_has(n,   k) {
	for (k = 1; k <= nm; k++) if (whole(man[k], n)) return 1
	return 0
}
function man_times(n,   k, l, on, head, i, c, text) {
	on = head = 0
	text = ""
	for (k = 1; k <= nm; k++) {
		l = man[k]
		if (l ~ /^\.(TP|SH|SS|PP)/) { on = 0; head = l ~ /^\.TP/; continue }
		if (head) {
			head = 0; i = index(l, n); c = substr(l, i + length(n), 1)
			if (i && c !~ /[a-z0-9.-]/) on = 1
			continue
		}
		if (on) text = text l " "
	}
	return index(text, "May be given several times") ? "repeatable" : "once"
}
FILENAME == ARGV[1] { help[++nh] = $0; next }
FILENAME == ARGV[2] { man[++nm] = $0; next }
FILENAME == ARGV[3] { rname[++nr] = $1; if (!($1 in rdef)) { rdef[$1] = $2; rrep[$1] = $3 } next }
{ name = $1; def = $4; owner = $5; times = $6; tname[name] = 1
	if (!help_has(name)) print "--help has no entry for " name " (" owner ")"
	if (!man_has(name)) print "the man page lacks " name " (" owner ")"
	if (!(name in rdef)) print "README'"'"'s Flags table has no row for " name " (" owner ")"
	else if (rdef[name] != "" && rdef[name] != def)
		print "README gives " name " the default '"'"'" rdef[name] "'"'"', the table '"'"'" def "'"'"'"
	if ((name in rrep) && rrep[name] != times) print "README'"'"'s Flags table says " name " is " rrep[name] ", the table " times
	said = help_times(name)
	if (said != times) print "--help says " name " is " said ", the table " times
	said = man_times(name)
	if (said != times) print "the man page says " name " is " said ", the table " times
}
END {
	if (nr == 0) rname[++nr] = ""
	for (k = 1; k <= nr; k++)
		if (!(rname[k] in tname)) print "README'"'"'s Flags table has " rname[k] ", which no row of the table has"
}'
flag_problems() {
	local table=$1 help=$2 readme=$3 man=$4 man_text rows
	man_text=$(mktemp)
	rows=$(mktemp)
	strip_roff "$man" >"$man_text"
	# README's Flags table: "flag<TAB>default<TAB>repeatable|once" for every flag named in
	# a row's first cell.
	awk '/^## Flags/ { on = 1; next } on && /^## / { exit } on && /^\| `--/' "$readme" |
		awk -F'|' '{ def = $3; gsub(/`/, "", def); gsub(/^ +| +$/, "", def); rep = index($4, "(repeatable)") ? "repeatable" : "once"
			n = split($2, w, /[` ,]+/); for (i = 1; i <= n; i++) if (w[i] ~ /^--/) { sub(/=.*/, "", w[i]); print w[i] "\t" def "\t" rep } }' >"$rows"
	[ -s "$rows" ] || echo "README: no Flags table found"
	awk -F'\t' "$AWK_PROBLEMS" "$help" "$man_text" "$rows" "$table"
	rm -f "$man_text" "$rows"
}
flag_dir=$(mktemp -d)
"$FLAG_TABLE" >"$flag_dir/table" && "$BIN" --help >"$flag_dir/help" || bad "flag_table or --help failed"
rows=$(wc -l <"$flag_dir/table")
problems=$(flag_problems "$flag_dir/table" "$flag_dir/help" README.md docs/tcp_health_exporter.1)
if [ -z "$problems" ] && [ "$rows" -gt 20 ]; then
	ok "all $rows rows of the flag table are in --help, README's Flags table (same defaults) and the man page, the repeatable ones said to be so"
else
	bad "the flag table ($rows rows) and its descriptions disagree: $(tr '\n' ';' <<<"$problems")"
fi
# Each of those checks catches a broken copy. flag_case NAME FILE SED WANT: fresh copies of
# --help, README and the man page, FILE (help, README or man) edited by the sed script SED;
# WANT is the one problem line the check must print then.
flag_case() {
	local name=$1 which=$2 script=$3 want=$4 got
	cp "$flag_dir/help" "$flag_dir/help.case"
	cp README.md "$flag_dir/README.case"
	cp docs/tcp_health_exporter.1 "$flag_dir/man.case"
	sed -i "$script" "$flag_dir/$which.case"
	got=$(flag_problems "$flag_dir/table" "$flag_dir/help.case" "$flag_dir/README.case" "$flag_dir/man.case")
	if [ "$got" = "$want" ]; then
		echo "  caught: $name"
	else
		echo "  missed: $name: want '$want', got '$(tr '\n' ';' <<<"$got")'"
		return 1
	fi
}
# The cases, four words each: what is broken, which copy, the sed script, the one line
# the check must print.
cases=(
	"a README row dropped" README '/^| `--max-ports=N`/d'
		"README's Flags table has no row for --max-ports (tcp)"
	"a README default changed" README 's/^\(| `--netns.max=N` | \)256 /\125 /'
		"README gives --netns.max the default '25', the table '256'"
	"a bool's default turned over" README 's/^\(| `--\[no-\]web.status.exclude-self` | \)on /\1off /'
		"README gives --[no-]web.status.exclude-self the default 'off', the table 'on'"
	"a README row for no flag" README '/^| `--help`, `--version`/a | `--web.frobnicate=N` | 3 | not a flag |'
		"README's Flags table has --web.frobnicate, which no row of the table has"
	"a flag gone from the man page" man 's/web\.max\\-connections\\-per\\-ip/web.max\\-conns\\-per\\-ip/g'
		"the man page lacks --web.max-connections-per-ip (web)"
	"an entry gone from --help" help '/^  --idle-threshold=/d'
		"--help has no entry for --idle-threshold (tcp)"
	"a README row's repeatable mark dropped" README 's/^\(| `--web.listen-address=ADDR` | `:9978` | \)(repeatable) /\1/'
		"README's Flags table says --web.listen-address is once, the table repeatable"
	"a README row marked repeatable that is not" README 's/^\(| `--max-ports=N` | 250 | \)/\1(repeatable) /'
		"README's Flags table says --max-ports is repeatable, the table once"
	"the man page's repeatable sentence gone" man 's/^May be given several times/May be given/'
		"the man page says --web.listen-address is once, the table repeatable"
	"a --help entry claims repeatable" help 's/^\(  --max-ports=N .*\)$/\1 repeatable/'
		"--help says --max-ports is repeatable, the table once"
)
caught=0
for ((i = 0; i < ${#cases[@]}; i += 4)); do
	flag_case "${cases[@]:i:4}" || caught=1
done
[ "$caught" = 0 ] && ok "the flag table checks catch each of $((${#cases[@]} / 4)) broken copies" || bad "a flag table check missed a broken copy"
rm -rf "$flag_dir"

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
