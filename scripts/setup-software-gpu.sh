#!/usr/bin/env bash
# Installs Mesa's lavapipe (a Vulkan driver that runs on the CPU) so that Dawn has an adapter on
# a machine without a GPU. Dawn refuses lavapipe before Mesa 24, and Debian 12 ships 22.x, so on
# Debian 12 the driver comes from bookworm-backports. Idempotent: when a recent enough lavapipe is
# already installed it says so and exits at once.
set -euo pipefail

say() { echo "[setup-software-gpu] $*"; }
min_major=24

mesa_major() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] || { echo 0; return; }
  v=${v#*:}          # drop an epoch ("1:25.0.7-2~bpo12+1" -> "25.0.7-2~bpo12+1")
  echo "${v%%.*}"
}

# The loader check reads ldconfig's whole listing first: piped into `grep -q` under pipefail,
# ldconfig died of SIGPIPE whenever grep matched early, and the check failed about 1 time in 5.
have_lavapipe() {
  [ "$(mesa_major)" -ge "$min_major" ] && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 \
    && [[ "$(ldconfig -p 2>/dev/null)" == *libvulkan.so.1* ]]
}

if have_lavapipe; then
  say "lavapipe from Mesa $(mesa_major) is installed; nothing to do."
  exit 0
fi

. /etc/os-release 2>/dev/null || true
codename=${VERSION_CODENAME:-unknown}
backports=/etc/apt/sources.list.d/dawnflow-bookworm-backports.sources

if [ "$codename" = bookworm ]; then
  install_cmd="apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1"
else
  install_cmd="apt-get install -y --no-install-recommends mesa-vulkan-drivers libvulkan1"
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "dawnflow needs a WebGPU adapter; with no GPU it runs on Mesa's lavapipe (Mesa >= $min_major)." >&2
  echo "Run this script as root, or do it by hand:" >&2
  if [ "$codename" = bookworm ]; then
    echo "  sudo sh -c 'sed \"s/^Suites:.*/Suites: bookworm-backports/\" /etc/apt/sources.list.d/debian.sources | awk \"/^Types:/&&++n>1{exit}1\" > $backports'" >&2
  fi
  echo "  sudo apt-get update && sudo $install_cmd" >&2
  exit 1
fi

if [ "$codename" = bookworm ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  say "adding bookworm-backports (same archive and keyring as the main Debian entry) in $backports"
  # Take the first stanza of debian.sources (the main archive), keep its URIs and keyring.
  awk '/^Types:/ && ++n > 1 { exit } { print }' /etc/apt/sources.list.d/debian.sources \
    | sed 's/^Suites:.*/Suites: bookworm-backports/' > "$backports"
fi

say "apt-get update"
apt-get update -qq
say "$install_cmd"
DEBIAN_FRONTEND=noninteractive $install_cmd >/dev/null
if have_lavapipe; then
  say "installed lavapipe from Mesa $(mesa_major)."
else
  echo "[setup-software-gpu] installed packages but found no lavapipe from Mesa >= $min_major;" \
    "check 'apt-cache policy mesa-vulkan-drivers'." >&2
  exit 1
fi
