#!/usr/bin/env bash
# Prepare rootful podman (runc, file events, fixed ulimits) with storage under $VRG_PODMAN_DIR and
# make sure the base image `docker.io/library/python:3.12-slim` exists there without a registry:
# a Debian bookworm rootfs from debootstrap (Python, pip, git, CA certificates) imported under that
# name, so the unchanged `FROM python:3.12-slim` builds with `--pull=never`. Idempotent: a warm
# machine keeps the image in $VRG_PODMAN_DIR and this script returns in about a second.
# Prints the two `export` lines tests need (CONTAINERS_STORAGE_CONF, CONTAINERS_CONF) on stdout.
set -euo pipefail
DIR=${VRG_PODMAN_DIR:-/var/tmp/vrg-podman}
BASE=docker.io/library/python:3.12-slim
MIRROR=${VRG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$DIR"
cat > "$DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
runroot = "$DIR/run"
graphroot = "$DIR/storage"
CONF
# crun refuses hybrid cgroups here and root's default rlimits are refused: runc + fixed ulimits.
cat > "$DIR/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_STORAGE_CONF=$DIR/storage.conf CONTAINERS_CONF=$DIR/containers.conf
exec 9>"$DIR/lock"
flock 9  # two test runs on one machine must not debootstrap into the same folder
if ! podman image exists "$BASE"; then
  start=$SECONDS
  rootfs=$DIR/rootfs
  rm -rf "$rootfs"
  timeout 900 debootstrap --variant=minbase \
    --include=python3,python3-pip,python3-venv,git,ca-certificates \
    bookworm "$rootfs" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 \
    || { echo "debootstrap failed; see $DIR/debootstrap.log" >&2; exit 1; }
  # Like python:*-slim: pip may install into the system, and `python` exists.
  rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED
  ln -sf python3 "$rootfs/usr/bin/python"
  # Trust the host's extra CAs (a proxy's) inside the base only; nothing of this is committed.
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" \
    2>/dev/null || true
  chroot "$rootfs" update-ca-certificates >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/{doc,man,locale}/*
  tar --numeric-owner -C "$rootfs" -c . | timeout 300 podman import -q \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$BASE" >/dev/null
  rm -rf "$rootfs"
  echo "base image $BASE built in $((SECONDS - start))s" >&2
fi
echo "export CONTAINERS_STORAGE_CONF=$DIR/storage.conf"
echo "export CONTAINERS_CONF=$DIR/containers.conf"
