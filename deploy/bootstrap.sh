#!/bin/sh
# bootstrap.sh — the README's two commands, on a bare Debian 12 as root:
#   sh deploy/bootstrap.sh run    [ARGS="--listen-ports 1202,3720,1720"]
#   sh deploy/bootstrap.sh check
# A minimal Debian (debootstrap --variant=minbase, a slim container image) has neither
# make nor a compiler. This installs make with apt-get when it is missing and hands over
# to `make run` or `make check`, which install the rest of what they need (the Makefile's
# BUILD_DEPS and CHECK_DEPS) the same way. With make already there it only hands over.
# POSIX sh on purpose: bash is not guaranteed either (dash is /bin/sh on Debian).
set -eu
cd "$(dirname "$0")/.."

case ${1:-} in
run | check) target=$1 ;;
*)
	echo "usage: sh deploy/bootstrap.sh run|check [MAKE-VARIABLES...]" >&2
	exit 2
	;;
esac
shift

if ! command -v make >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "bootstrap.sh: make is missing; run as root (it installs the Debian package make), or apt-get install make" >&2
		exit 1
	fi
	command -v apt-get >/dev/null 2>&1 || {
		echo "bootstrap.sh: make is missing and this is not Debian (no apt-get); install make and run make $target" >&2
		exit 1
	}
	echo "bootstrap.sh: installing make"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make >/dev/null
fi
exec make "$target" "$@"
