#!/bin/bash
# Install the Debian packages privmem needs, if any are missing. As root it
# runs apt-get itself; otherwise it prints the one line to run and fails.
set -eu

pkgs=(meson ninja-build pkg-config gcc g++ clang python3 binutils
      libjson-c-dev libcap-dev libssl-dev gnuplot-nox libclang-rt-14-dev)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "privmem: missing Debian packages; run as root:" >&2
	echo "  $line" >&2
	exit 1
fi
echo "privmem: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
