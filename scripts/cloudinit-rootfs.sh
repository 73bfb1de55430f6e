#!/bin/sh
# Builds the Debian rootfs in which service/cloudinit_test.go boots a real
# cloud-init first boot with systemd-nspawn (docs:
# ../shared/docs/test-environment.md §1a and §5). It is a copy of the
# systemd rootfs of `make nspawn-rootfs` (scripts/nspawn-rootfs.sh) plus
# cloud-init, curl and ca-certificates, installed in a chroot, and a
# cloud-init configuration for a container that shares the host's network:
#   - datasource NoCloud (the test writes the seed into the container);
#   - no network configuration (it would reconfigure the host's interface);
#   - no noise from what minbase lacks (locale generation, SSH host keys),
#     so that `cloud-init status` ends in `done`, not `error`.
# Needs root, the nspawn rootfs and the Debian mirror of the rootfs' apt
# sources. Cached in .cache/cloudinit-rootfs (git-ignored); the test boots
# it as the lower layer of an overlay, so it stays pristine. Built into
# $ROOT.tmp and renamed: an interrupted build leaves nothing half-done.
set -eu
ROOT=${1:-.cache/cloudinit-rootfs}
BASE=${2:-.cache/nspawn-rootfs}
if [ -x "$ROOT/usr/bin/cloud-init" ] && [ -e "$ROOT/etc/cloud/cloud.cfg.d/90-runnerctl-test.cfg" ]; then
    echo "cloud-init rootfs: $ROOT is there"
    exit 0
fi
if [ ! -x "$BASE/lib/systemd/systemd" ]; then
    echo "cloud-init rootfs: no systemd rootfs at $BASE: run \`make nspawn-rootfs\` first" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "cloud-init rootfs: needs root (chroot, mounts)" >&2
    exit 1
fi
TMP=$ROOT.tmp
rm -rf "$TMP"
cp -a "$BASE" "$TMP"

# apt in the chroot: /proc, /sys, /dev and DNS, in a private mount
# namespace so that nothing is left mounted on the host, whatever happens.
# No service is started in the chroot (policy-rc.d).
cp /etc/resolv.conf "$TMP/etc/resolv.conf" 2>/dev/null || true
printf '#!/bin/sh\nexit 101\n' >"$TMP/usr/sbin/policy-rc.d"
chmod 0755 "$TMP/usr/sbin/policy-rc.d"
unshare -m --propagation private sh -eu -c '
R=$1
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --bind /dev "$R/dev"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts" 2>/dev/null || true
mount -t tmpfs tmpfs "$R/tmp"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
inchroot() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
inchroot apt-get update -qq
if ! inchroot apt-get install -y -qq --no-install-recommends cloud-init curl ca-certificates; then
    # debootstrap-style half-configured packages (python3-cffi-backend):
    # finish them, then try again.
    inchroot apt-get -f install -y -qq
    inchroot apt-get install -y -qq --no-install-recommends cloud-init curl ca-certificates
fi
inchroot apt-get clean
' sh "$TMP"
rm -f "$TMP/usr/sbin/policy-rc.d"
rm -rf "$TMP/var/lib/apt/lists/"* 2>/dev/null || true

# A locale that needs no generation: cloud-init's locale module then
# finds it set and does nothing (it would otherwise run locale-gen).
echo 'LANG=C.UTF-8' >"$TMP/etc/default/locale"

# The image's own init-stage module list without `ssh`: minbase has no
# sshd and no ssh-keygen, and `ssh_genkeytypes: []` is not valid
# cloud-config (`cloud-init schema` warns at every boot).
MODULES=$(awk '/^cloud_init_modules:/ {f=1; next} f && /^ - / {if ($2 != "ssh") print; next} f {exit}' "$TMP/etc/cloud/cloud.cfg")
if [ -z "$MODULES" ]; then
    echo "cloud-init rootfs: no cloud_init_modules in $TMP/etc/cloud/cloud.cfg" >&2
    exit 1
fi
{
    cat <<'EOF'
# runnerctl's cloud-init test image (scripts/cloudinit-rootfs.sh): a
# container that shares the host's network namespace.
# The seed is in /var/lib/cloud/seed/nocloud/{user-data,meta-data}.
datasource_list: [ NoCloud, None ]
# Configuring the network would reconfigure the host's interface.
network: {config: disabled}
# The image's locale (C.UTF-8, /etc/default/locale) needs no generation.
locale: C.UTF-8
# /etc/cloud/cloud.cfg's list without ssh (no sshd, no ssh-keygen here).
cloud_init_modules:
EOF
    echo "$MODULES"
} >"$TMP/etc/cloud/cloud.cfg.d/90-runnerctl-test.cfg"
# No stale instance state or logs from the build.
rm -rf "$TMP/var/lib/cloud/instances" "$TMP/var/lib/cloud/instance" "$TMP/var/log/cloud-init"*.log
rm -rf "$ROOT"
mv "$TMP" "$ROOT"
echo "cloud-init rootfs: built $ROOT"
