#!/usr/bin/env bash
# Install what building and testing lioha needs on Debian 12 (idempotent, fast when done).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pacemaker corosync pcs crmsh pacemaker-cli-utils resource-agents drbd-utils libxml2-utils
  iproute2 iputils-ping nftables procps psmisc hyperfine time libiscsi-bin
  prometheus)  # promtool: `promtool check metrics` on lioha stats output
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Installing pacemaker/corosync must not leave daemons running (no systemd here anyway).
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.lioha-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
