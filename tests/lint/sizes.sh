#!/usr/bin/env bash
# sizes.sh — one job per file, kept small enough to read: no source file of exporter/,
# collectors/ or lib/ is over 700 lines and no function in them is over 120 lines.
#
# A function is counted from the line of its name (the first line of its definition at
# column 0 that holds a "(") to its closing brace at column 0, both included; the project's
# style puts a function's opening brace at column 0, and nothing else there. Each file or
# function over its limit is printed, then "sizes: N files, M functions, K over". Then the
# check is shown to catch broken copies of the tree: a file one line over, a function one
# line over (with a signature on two lines), and to pass both at the limit exactly.
# usage: tests/lint/sizes.sh   Exit status 0 when nothing is over and every case is caught,
# 1 otherwise, 2 when there is nothing to check.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FILE_MAX=700
FUNCTION_MAX=120

# sizes DIR: checks DIR/{exporter,collectors,lib}/*.c, naming files relative to DIR.
sizes() (
	cd "$1" || exit 2
	shopt -s nullglob
	local files=(exporter/*.c collectors/*.c lib/*.c)
	[ "${#files[@]}" -gt 0 ] || { echo "sizes: no source files under $1" >&2; exit 2; }
	awk -v file_max="$FILE_MAX" -v function_max="$FUNCTION_MAX" '
	function file_done() {
		if (file == "")
			return
		if (lines > file_max) {
			printf "%s: %d lines, over %d\n", file, lines, file_max
			over++
		}
		if (in_function) {
			printf "%s:%d: %s() has no closing brace at column 0\n", file, start, name
			over++
		}
	}
	FNR == 1 { file_done(); file = FILENAME; files++; candidate = 0; in_function = 0 }
	{ lines = FNR }
	# The first line of a definition at column 0: a type or the name itself, never a
	# brace, a preprocessor line, a comment or an indented continuation.
	!in_function && /^[A-Za-z_]/ && /\(/ { candidate = FNR; candidate_text = $0 }
	!in_function && /^[A-Za-z_]/ && /;[ \t]*$/ { candidate = 0 }
	!in_function && /^\{/ && candidate {
		in_function = 1
		start = candidate
		name = candidate_text
		sub(/\(.*/, "", name)
		sub(/.*[^A-Za-z0-9_]/, "", name)
	}
	in_function && /^\}/ {
		functions++
		length_ = FNR - start + 1
		if (length_ > function_max) {
			printf "%s:%d: %s() is %d lines, over %d\n", file, start, name, length_, function_max
			over++
		}
		in_function = 0
		candidate = 0
	}
	END {
		file_done()
		printf "sizes: %d files, %d functions, %d over\n", files, functions, over
		if (functions == 0)
			exit 2
		exit over > 0
	}' "${files[@]}"
)

out=$(sizes "$root")
rc=$?
echo "$out"
[ "$rc" = 2 ] && exit 2

# The check catches broken copies. size_case NAME SETUP WANT: SETUP (shell run in a fresh
# copy of the tree's sources) must make the check print exactly WANT (lines); a NAME that
# ends in "passes" is a copy at a limit, which must not be caught.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n_files=$(cd "$root" && ls exporter/*.c collectors/*.c lib/*.c | wc -l)
n_functions=$(sed -n 's/^sizes: [0-9]* files, \([0-9]*\) functions, .*/\1/p' <<<"$out")
size_case() {
	local name=$1 setup=$2 want=$3 got
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree"
	(cd "$root" && cp --parents exporter/*.c collectors/*.c lib/*.c "$tmp/tree/")
	(cd "$tmp/tree" && eval "$setup") || { echo "  missed: $name: its set-up failed"; return 1; }
	got=$(sizes "$tmp/tree")
	if [ "$got" = "$want" ]; then
		case $name in *passes) echo "  ok:     $name" ;; *) echo "  caught: $name" ;; esac
	else
		echo "  missed: $name: want '$(tr '\n' ';' <<<"$want")', got '$(tr '\n' ';' <<<"$got")'"
		return 1
	fi
}
# pad FILE N: appends comment lines to FILE until it has N lines.
pad() {
	local have
	have=$(wc -l <"$1")
	while [ "$have" -lt "$2" ]; do
		echo "/* padding */" >>"$1"
		have=$((have + 1))
	done
}
# function_of FILE N: appends a function of N lines, its signature on two lines, to FILE.
function_of() {
	{
		echo
		echo "int sizes_case_function(int a,"
		echo "			int b)"
		echo "{"
		for ((i = 0; i < $2 - 5; i++)); do echo "	a += b;"; done
		echo "	return a;"
		echo "}"
	} >>"$1"
}
caught=0
# A control first: if the tree itself is over, the cases' counts shift and say nothing.
if [ "$rc" = 0 ]; then
	clean="sizes: $n_files files, $n_functions functions, 0 over"
	size_case "a copy of the tree passes" ":" "$clean" || caught=1
	size_case "a file of $FILE_MAX lines passes" "pad lib/utf8.c $FILE_MAX" "$clean" || caught=1
	size_case "a file of $((FILE_MAX + 1)) lines" "pad lib/utf8.c $((FILE_MAX + 1))" \
		"lib/utf8.c: $((FILE_MAX + 1)) lines, over $FILE_MAX
sizes: $n_files files, $n_functions functions, 1 over" || caught=1
	start=$(($(wc -l <"$root/lib/procfs.c") + 2))
	size_case "a function of $FUNCTION_MAX lines passes" "function_of lib/procfs.c $FUNCTION_MAX" \
		"sizes: $n_files files, $((n_functions + 1)) functions, 0 over" || caught=1
	size_case "a function of $((FUNCTION_MAX + 1)) lines" "function_of lib/procfs.c $((FUNCTION_MAX + 1))" \
		"lib/procfs.c:$start: sizes_case_function() is $((FUNCTION_MAX + 1)) lines, over $FUNCTION_MAX
sizes: $n_files files, $((n_functions + 1)) functions, 1 over" || caught=1
	size_case "a closing brace not at column 0" \
		"function_of lib/procfs.c 10 && sed -i '\$d' lib/procfs.c && echo ' }' >>lib/procfs.c" \
		"lib/procfs.c:$start: sizes_case_function() has no closing brace at column 0
sizes: $n_files files, $n_functions functions, 1 over" || caught=1
	[ "$caught" = 0 ] && echo "sizes: the check catches each of its broken copies" ||
		echo "sizes: FAIL: a case was missed"
fi
[ "$rc" = 0 ] && [ "$caught" = 0 ]
