#!/usr/bin/env bash
# CI hook for tests/acceptance/test_container.py: install rootful podman, runc and debootstrap from Debian's
# packages, then build (or find cached) the registry-free base image. Exits non-zero where that
# cannot work (not root, no apt-get): .ci/run then goes on and the container test skips, saying why.
set -euo pipefail
here=$(dirname "$0")
start=$SECONDS
if ! command -v podman >/dev/null || ! command -v runc >/dev/null \
    || ! command -v debootstrap >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[container] not root: cannot install podman" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "[container] no apt-get: cannot install podman" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends podman runc debootstrap uidmap \
    slirp4netns containernetworking-plugins fuse-overlayfs iptables >/dev/null
  echo "[container] podman installed in $((SECONDS - start))s"
fi
start=$SECONDS
bash "$here/podman-base.sh" >/dev/null
echo "[container] base image ready in $((SECONDS - start))s (cached under ${VRG_PODMAN_DIR:-/var/tmp/vrg-podman})"
