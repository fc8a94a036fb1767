#!/bin/sh
# Install what argofs needs to build, test and run its demo, from Debian's
# archive, when any of it is missing. Safe to run again; does nothing when
# everything is there. Needs root (or sudo) only when something is missing.
set -eu

packages="meson ninja-build pkg-config gcc clang libfuse3-dev fuse3
libcurl4-openssl-dev libjansson-dev libyaml-dev libcmocka-dev
python3 python3-yaml openssl vim curl nghttp2-proxy valgrind
man-db groff-base systemd util-linux"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
