#!/usr/bin/env bash
# base-image.sh — makes the tests' minimal Debian 12 image when it is missing: no registry
# is reachable from our machines, so a minimal bookworm is debootstrapped from the Debian
# mirror apt already uses and imported into podman under a name of this project's own
# (never docker.io/library/..., which would hide the real image on the host). The
# container test builds the Dockerfile on it (--build-arg BASE_IMAGE=...); the set-up and
# package tests start from it as "a bare Debian 12". `make check` removes it at the end
# (make clean-images). Idempotent; about 1-2 minutes the first time.
#   usage: base-image.sh          make it when missing
#          base-image.sh --name   print its name
set -euo pipefail
IMAGE=${TCPH_BASE_IMAGE:-localhost/tcp-health-exporter-base:bookworm}
if [ "${1:-}" = --name ]; then
	echo "$IMAGE"
	exit 0
fi
if podman image exists "$IMAGE"; then
	echo "base image $IMAGE: present"
	exit 0
fi
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
root=$(mktemp -d /tmp/tcph-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base image $IMAGE: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
	tail -n 20 "$root.log"
	rm -f "$root.log"
	echo "debootstrap failed" >&2
	exit 1
}
rm -f "$root.log"
# As slim as the real one: no apt lists, caches, docs or man pages.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* \
	"$root"/usr/share/man/* "$root"/usr/share/locale/*
tar -C "$root" -c . | podman import --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
echo "base image $IMAGE: imported ($(podman image inspect "$IMAGE" --format '{{.Size}}') bytes)"
