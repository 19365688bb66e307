#!/usr/bin/env bash
# Queries and installs the host tools declared in scripts/host-tools.list (the one list).
#   host-tools.sh packages <use>...     Debian packages for those uses (test demo bench package fresh lab agent)
#   host-tools.sh install <use>...      apt-get install the missing ones (idempotent; apt only when something is missing)
#   host-tools.sh deb-field <relation>  a Debian control field value for the agents' tools (depends|recommends|suggests)
#   host-tools.sh rpm-field <relation>  the same as RPM dependencies, one per line
set -euo pipefail
list=$(dirname "$0")/host-tools.list

# rows: command deb rpm uses relation (comments and blank lines dropped)
rows() { awk '!/^[[:space:]]*(#|$)/ { print $1, $2, $3, $4, $5 }' "$list"; }

# Debian packages (with "a|b" alternatives) whose uses include any of the given ones ("agent" matches agent:*).
deb_for_uses() {
  local want=" $* "
  rows | while read -r cmd deb rpm uses rel; do
    [ "$deb" = - ] && continue
    IFS=, read -ra us <<<"$uses"
    for u in "${us[@]}"; do
      if [[ $want == *" $u "* || ( $u == agent:* && $want == *" agent "* ) ]]; then echo "$deb"; break; fi
    done
  done | sort -u
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# One package per line: an installed alternative, else the first one.
resolve() {
  while read -r alts; do
    local pick=${alts%%|*}
    IFS='|' read -ra as <<<"$alts"
    for a in "${as[@]}"; do if installed "$a"; then pick=$a; break; fi; done
    echo "$pick"
  done
}

case ${1:-} in
  packages) shift; deb_for_uses "$@" | resolve ;;
  install)
    shift
    missing=()
    while read -r p; do installed "$p" || missing+=("$p"); done < <(deb_for_uses "$@" | resolve)
    if ((${#missing[@]})); then
      echo "setup: installing ${missing[*]}" >&2
      SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
      export DEBIAN_FRONTEND=noninteractive
      $SUDO apt-get update -qq
      $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    ;;
  deb-field)
    rows | awk -v rel="$2" '$4 ~ /agent:/ && $5 == rel && $2 != "-" { gsub(/\|/, " | ", $2); if (!seen[$2]++) out = out (out ? ", " : "") $2 } END { print out }'
    ;;
  rpm-field)
    rows | awk -v rel="$2" '$4 ~ /agent:/ && $5 == rel && $3 != "-" { if (!seen[$3]++) print $3 }'
    ;;
  *) echo "usage: $0 packages|install <use>... | deb-field|rpm-field <relation>" >&2; exit 2 ;;
esac
