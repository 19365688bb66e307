#!/usr/bin/env bash
# Install the built .deb on this machine and check that Pacemaker and pcs see
# every agent; inspect the .rpm. Removes the package again unless it was
# installed before (or KEEP_INSTALLED=1).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
version=$(node -p "require('./package.json').version")
deb=dist/packages/lioha_${version}-1_all.deb
rpm=$(ls dist/packages/lioha-"$version"-1*.noarch.rpm)
agents=$(ls dist/resource.d/lioha)
fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; fail=1; fi; }

echo "== rpm: $rpm"
# Listings are captured first: `rpm ... | grep -q` under pipefail fails when grep exits early (SIGPIPE).
requires=$(rpm -qp --requires "$rpm" 2>/dev/null)
files=$(rpm -qpl "$rpm" 2>/dev/null)
grep -q 'nodejs >= 20' <<<"$requires" && echo "ok: rpm requires nodejs >= 20" || { echo "FAILED: rpm requires"; fail=1; }
for a in $agents; do
  grep -qx "/usr/lib/ocf/resource.d/lioha/$a" <<<"$files" && echo "ok: rpm ships $a" || { echo "FAILED: rpm lacks $a"; fail=1; }
done
grep -qx /usr/share/lioha/grafana/lioha.json <<<"$files" && echo "ok: rpm ships the Grafana dashboard" || { echo "FAILED: rpm lacks grafana/lioha.json"; fail=1; }

echo "== deb: $deb"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Depends\|Recommends\):/  \1:/p'
was_installed=0
dpkg-query -W -f='${Status}' lioha 2>/dev/null | grep -q 'install ok installed' && was_installed=1
cleanup() { [[ $was_installed == 1 || ${KEEP_INSTALLED:-} == 1 ]] || dpkg -r lioha >/dev/null 2>&1 || true; }
trap cleanup EXIT
# apt resolves the dependencies (nodejs, pacemaker) the way an admin's install would.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$deb" >/dev/null

listed=$(crm_resource --list-agents ocf:lioha)
for a in $agents; do
  check grep -qx "$a" <<<"$listed"
  check test -x "/usr/lib/ocf/resource.d/lioha/$a"
  # pcs validates the meta-data against its OCF schema before describing it.
  out=$(pcs resource describe "ocf:lioha:$a" 2>&1) && grep -q "ocf:lioha:$a" <<<"$out" && echo "ok: pcs resource describe ocf:lioha:$a" \
    || { echo "FAILED: pcs resource describe ocf:lioha:$a"; echo "$out" | head -5; fail=1; }
  check test -f "/usr/share/man/man7/ocf_lioha_$a.7.gz"
done
check sh -c "lioha --version | grep -qx '$version'"
check sh -c "lioha agents | grep -q 'ocf:lioha:'"
check sh -c "lioha-portald --version | grep -qx '$version'"
check test -f /usr/share/doc/lioha/copyright
check sh -c "node -e 'JSON.parse(require(\"fs\").readFileSync(\"/usr/share/lioha/grafana/lioha.json\",\"utf8\")).panels.length' "
check sh -c "lioha stats --root /nonexistent | grep -q '^lioha_lio_loaded 0$'"
exit $fail
