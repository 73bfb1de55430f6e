#!/bin/sh
# Builds the Debian rootfs in which service/e2e_test.go boots a real
# systemd with systemd-nspawn (docs: ../shared/docs/test-environment.md
# §1a). Needs root, debootstrap and the Debian mirror of this host's apt
# sources. The rootfs is cached in .cache/nspawn-rootfs (git-ignored); the
# tests boot it with --volatile=overlay, so it stays pristine.
set -eu
ROOT=${1:-.cache/nspawn-rootfs}
if [ -x "$ROOT/lib/systemd/systemd" ]; then
    echo "nspawn rootfs: $ROOT is there"
    exit 0
fi
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [ -z "$MIRROR" ]; then
    MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
mkdir -p "$(dirname "$ROOT")"
rm -rf "$ROOT.tmp"
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$ROOT.tmp" "${MIRROR:-http://deb.debian.org/debian}"
mv "$ROOT.tmp" "$ROOT"
echo "nspawn rootfs: built $ROOT"
