#!/usr/bin/env bash
# Fresh-machine check (npm run test:fresh): on clean Debian roots with only Node.js added the way the README
# says, clone this repository and run exactly the README's commands:
#     ./scripts/setup.sh && npm test      then      npm run demo
# Either failing fails the stage.
#
# Roots: mmdebstrap minbase + git + ca-certificates, nothing else, cached under /var/cache/lioha/fresh/ keyed on their
# inputs (suite, mirror, package list, this script's root recipe, the Node.js tarball).
#   bookworm (Debian 12): + Node.js 20 from the upstream tarball, unpacked into /usr/local as the README says
#   trixie   (Debian 13): + Debian's own nodejs and npm packages
# Each run unpacks the cached root into a new directory and works in its own mount and PID namespaces with
# /proc, /sys, /dev (private /dev/shm, /dev/pts) and a private /run, so the tests can create network
# namespaces. Only the machine's CA trust store and DNS configuration are copied in.
#
# Usage: test/fresh/run.sh [bookworm|trixie ...]   (default: both)
#   LIOHA_FRESH_CACHE=dir        cache directory (default /var/cache/lioha/fresh)
#   LIOHA_NODE_TARBALL=file      node-v20.*-linux-x64.tar.xz from nodejs.org (default: see node_tarball below)
#   LIOHA_FRESH_KEEP=1           keep the unpacked root afterwards
#   LIOHA_FRESH_BUILD_ONLY=1     only build (or find) the cached roots
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${LIOHA_FRESH_CACHE:-/var/cache/lioha/fresh} # machine-wide, keyed on inputs (a fresh clone in CI reuses it)
mirror=${LIOHA_FRESH_MIRROR:-http://deb.debian.org/debian}
security=${LIOHA_FRESH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
roots=("$@")
((${#roots[@]})) || roots=(bookworm trixie)

log() { printf '[fresh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot, namespaces)"
command -v mmdebstrap >/dev/null || {
  log "installing mmdebstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
}
mkdir -p "$cache"

# The Node.js 20 the README tells Debian 12 users to install: the upstream linux-x64 tarball, unpacked into
# /usr/local. With LIOHA_NODE_TARBALL unset and nodejs.org unreachable (CI can reach only the Debian and npm
# registries), the tarball is assembled in the upstream layout (bin/node, bin/npm -> ../lib/node_modules/npm/
# bin/npm-cli.js, bin/npx, bin/corepack, lib/node_modules/{npm,corepack}, include/node) from this machine's own
# Node.js 20 installation: the same official node binary and bundled npm, in the place the tarball puts them.
node_tarball() {
  if [ -n "${LIOHA_NODE_TARBALL:-}" ]; then echo "$LIOHA_NODE_TARBALL"; return; fi
  local node ver prefix out
  node=$(readlink -f "$(command -v node)") || die "no node on this machine to assemble the Node.js tarball from"
  ver=$("$node" -p process.version)
  [[ $ver == v20.* ]] || die "this machine's node is $ver; set LIOHA_NODE_TARBALL to a node-v20.*-linux-x64.tar.xz"
  out=$cache/node-$ver-linux-x64.tar.xz
  if [ ! -s "$out" ]; then
    prefix=$(dirname "$(dirname "$node")")
    [ -d "$prefix/lib/node_modules/npm" ] || die "npm not found under $prefix/lib/node_modules"
    local t
    t=$(mktemp -d "$cache/node.XXXXXX")
    local d=$t/node-$ver-linux-x64
    mkdir -p "$d/bin" "$d/lib/node_modules" "$d/include" "$d/share/doc/node"
    cp "$node" "$d/bin/node"
    cp -a "$prefix/lib/node_modules/npm" "$d/lib/node_modules/"
    [ -d "$prefix/lib/node_modules/corepack" ] && cp -a "$prefix/lib/node_modules/corepack" "$d/lib/node_modules/"
    [ -d "$prefix/include/node" ] && cp -a "$prefix/include/node" "$d/include/"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$d/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$d/bin/npx"
    [ -d "$d/lib/node_modules/corepack" ] && ln -s ../lib/node_modules/corepack/dist/corepack.js "$d/bin/corepack"
    XZ_OPT="-T0 -1" tar -C "$t" --owner=0 --group=0 --sort=name --mtime=@0 -cJf "$out.tmp" "node-$ver-linux-x64"
    mv "$out.tmp" "$out"
    rm -rf "$t"
  fi
  echo "$out"
}

# The root recipe. Everything that goes into a root is named here and in the cache key.
suite_sources() {
  case $1 in
    bookworm) printf '%s\n' "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main" ;;
    trixie) printf '%s\n' "deb $mirror trixie main" "deb $mirror trixie-updates main" "deb $security trixie-security main" ;;
    *) die "unknown root $1 (bookworm or trixie)" ;;
  esac
}
suite_packages() {
  case $1 in
    bookworm) echo git,ca-certificates ;;
    trixie) echo git,ca-certificates,nodejs,npm ;;
  esac
}

build_root() { # <suite> -> path of the cached root tarball
  local suite=$1 tarball="" key out
  [ "$suite" = bookworm ] && tarball=$(node_tarball)
  key=$( {
    suite_sources "$suite"; suite_packages "$suite"
    sed -n '/^# The root recipe/,/^# End of the root recipe/p' "$0"
    [ -n "$tarball" ] && sha256sum <"$tarball"
  } | sha256sum | cut -c1-16)
  out=$cache/$suite-$key.tar
  if [ ! -s "$out" ]; then
    log "$suite: building the root (mmdebstrap minbase + $(suite_packages "$suite"))"
    local t0=$SECONDS
    mapfile -t sources < <(suite_sources "$suite")
    mmdebstrap --quiet --format=tar --variant=minbase --include="$(suite_packages "$suite")" \
      ${tarball:+--customize-hook="tar -xJf '$tarball' -C \"\$1/usr/local\" --strip-components=1 --no-same-owner --exclude=CHANGELOG.md --exclude=LICENSE --exclude=README.md"} \
      "$suite" "$out.tmp" "${sources[@]}"
    mv "$out.tmp" "$out"
    # Older roots of this suite are stale (their inputs changed).
    find "$cache" -maxdepth 1 -name "$suite-*.tar" ! -name "$(basename "$out")" -type f -delete
    log "$suite: root built in $((SECONDS - t0)) s"
  fi
  echo "$out"
}
# End of the root recipe.

# Runs inside the new mount and PID namespaces: mounts, then the README's commands as root's login shell.
inside() { # <root dir> <suite>
  local r=$1
  # The root must be a mount point: ip netns (and unshare --propagation) change the propagation of "/".
  mount --bind "$r" "$r"
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"
  mount --rbind /dev "$r/dev"
  mount -t tmpfs -o mode=1777 shm "$r/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
  mount -t tmpfs -o mode=755 run "$r/run"
  mount -t tmpfs -o mode=1777 tmp "$r/tmp"
  mkdir -p "$r/run/lock"
  # The lioha checkout the user would have: a clone made inside the root, with the root's own git.
  mkdir -p "$r/mnt/origin.git"
  mount --bind -o ro "$work/origin.git" "$r/mnt/origin.git"
  local cmds
  cmds='set -e
cd /root
git clone -q /mnt/origin.git lioha
cd lioha
echo "[fresh] node $(command -v node) $(node --version), npm $(npm --version), PATH=$PATH"
set +e
t0=$(date +%s)
echo "[fresh] \$ ./scripts/setup.sh && npm test"
./scripts/setup.sh && npm test
test_rc=$?
t1=$(date +%s)
echo "[fresh] \$ npm run demo"
npm run demo
demo_rc=$?
t2=$(date +%s)
echo "[fresh] the Node.js the built agents use under Pacemaker'"'"'s PATH:"
dist/bin/lioha agents --check
echo "[fresh] setup.sh && npm test: exit $test_rc in $((t1 - t0)) s; npm run demo: exit $demo_rc in $((t2 - t1)) s"
[ $test_rc = 0 ] && [ $demo_rc = 0 ]'
  # env -i + login shell: the environment root gets on a freshly installed machine (PATH from /etc/profile).
  # NODE_EXTRA_CA_CERTS points Node (npm) at the copied trust store, as this machine's npmrc cafile does.
  exec chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt /bin/bash -l -c "$cmds"
}

if [ "${1:-}" = --inside ]; then
  work=$4
  inside "$2" "$3"
fi

head=$(git -C "$repo" rev-parse --short HEAD)
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] || log "note: uncommitted changes are not tested (the clone has HEAD $head)"
total0=$SECONDS
fail=0
summary=()
for suite in "${roots[@]}"; do
  t0=$SECONDS
  tar_file=$(build_root "$suite")
  tb=$((SECONDS - t0))
  if [ "${LIOHA_FRESH_BUILD_ONLY:-}" = 1 ]; then log "$suite: root $tar_file"; continue; fi
  work=$(mktemp -d "/tmp/lioha-fresh-$suite.XXXXXX")
  root=$work/root
  mkdir -p "$root"
  tar -C "$root" -xf "$tar_file"
  git clone -q --bare --no-local "$repo" "$work/origin.git"
  # The machine's DNS configuration (resolv.conf, hosts: a Debian installer writes a hosts file, mmdebstrap does
  # not) and CA trust store; nothing else.
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  cp -L /etc/hosts "$root/etc/hosts"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -L /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  fi
  log "$suite: running the README's commands on $head (root ready in ${tb} s)"
  t1=$SECONDS
  rc=0
  unshare --mount --pid --fork --kill-child --propagation private "$0" --inside "$root" "$suite" "$work" || rc=$?
  t=$((SECONDS - t1))
  if [ $rc = 0 ]; then summary+=("$suite: passed in ${t} s (root ${tb} s)"); else summary+=("$suite: FAILED (rc $rc) after ${t} s"); fail=1; fi
  log "${summary[-1]}"
  if [ "${LIOHA_FRESH_KEEP:-}" = 1 ]; then log "kept $work"; else rm -rf --one-file-system "$work"; fi
done
for s in "${summary[@]}"; do echo "test:fresh $s"; done
echo "test:fresh total $((SECONDS - total0)) s"
exit $fail
