#!/bin/bash
# Installs the host tools the lab needs on a Debian 12 machine (idempotent; apt only when something is missing).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
missing=()
for p in "${LAB_HOST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  lab_log "installing host packages: ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
