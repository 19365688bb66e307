#!/bin/bash
# Builds (or reuses) the lab's guest: a Debian bookworm kernel + modules, an uncompressed vmlinux,
# a busybox initramfs and an ext4 root image made by mmdebstrap. Output: $LAB_CACHE/current[-<suite>]/{vmlinux,vmlinuz,initrd.img,root.img,kver}.
# The cache key covers the kernel package version, the guest package list, the Node binary and these scripts,
# so a change in any of them rebuilds and an unchanged tree is reused (prints the path and exits quickly).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$LAB_DIR/host-deps.sh"

# LAB_KERNEL_SUITE=trixie: the guest (still a bookworm userland) boots that suite's kernel instead, from a
# private apt state under $LAB_CACHE (the host's apt is left alone). The build is linked as current-<suite>.
apt_opts=()
if [ -n "${LAB_KERNEL_SUITE:-}" ]; then
  ka="$LAB_CACHE/apt-$LAB_KERNEL_SUITE"
  mkdir -p "$ka/lists/partial" "$ka/cache/archives/partial" "$ka/prefs"
  echo "deb $LAB_MIRROR $LAB_KERNEL_SUITE main" > "$ka/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$ka/sources.list" -o Dir::Etc::sourceparts=/dev/null -o "Dir::State::Lists=$ka/lists"
    -o "Dir::Cache=$ka/cache" -o "Dir::Etc::preferencesparts=$ka/prefs")
  [ -n "$(ls "$ka/lists" 2>/dev/null | grep -v partial)" ] || apt-get "${apt_opts[@]}" update -qq
fi
kpkg=${LAB_KERNEL_PKG:-$(apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/{print $2; exit}')}
[ -n "$kpkg" ] || { [ -n "${LAB_KERNEL_SUITE:-}" ] || apt-get update -qq; kpkg=$(apt-cache "${apt_opts[@]}" depends linux-image-amd64 | awk '/Depends: linux-image-6/{print $2; exit}'); }
[ -n "$kpkg" ] || lab_die "cannot resolve the kernel package (apt-cache depends linux-image-amd64)"
kpkg_ver=$(apt-cache "${apt_opts[@]}" policy "$kpkg" | awk '/Candidate:/{print $2}')
current="current${LAB_KERNEL_SUITE:+-$LAB_KERNEL_SUITE}"
node_bin=$(command -v node) || lab_die "node is not installed on the host"

key=$( {
  echo "$kpkg $kpkg_ver $LAB_SUITE $LAB_MIRROR"
  echo "${LAB_PACKAGES[*]}"
  sha256sum "$node_bin" | cut -d' ' -f1
  cat "$LAB_DIR/build.sh" "$LAB_DIR/initramfs-init.sh" "$LAB_DIR/extract-vmlinux.py"
} | sha256sum | cut -c1-16)
out="$LAB_CACHE/build/$key"
if [ -f "$out/complete" ]; then
  ln -sfn "build/$key" "$LAB_CACHE/$current"
  lab_log "reusing $out"
  exit 0
fi
rm -rf "$out"; mkdir -p "$out"
work=$(mktemp -d "$LAB_CACHE/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s.%N)
stamp() { printf '%-10s %6.1f s\n' "$1" "$(echo "$(date +%s.%N) - $2" | bc)" | tee -a "$out/build-times.txt" >&2; }

# --- kernel and modules ------------------------------------------------------------------
t=$(date +%s.%N)
lab_log "kernel: $kpkg $kpkg_ver"
(cd "$work" && apt-get "${apt_opts[@]}" download -qq "$kpkg=$kpkg_ver" >/dev/null)
dpkg -x "$work"/"$kpkg"_*.deb "$work/k"
# trixie's kernel packages are merged-/usr: modules under usr/lib/modules
[ -d "$work/k/lib/modules" ] || { [ -d "$work/k/usr/lib/modules" ] && mkdir -p "$work/k/lib" && ln -s ../usr/lib/modules "$work/k/lib/modules"; }
kver=$(ls "$work/k/lib/modules" | head -1)
depmod -b "$work/k" "$kver"
echo "$kver" > "$out/kver"
cp "$work/k/boot/vmlinuz-$kver" "$out/vmlinuz"
if python3 "$LAB_DIR/extract-vmlinux.py" "$out/vmlinuz" "$out/vmlinux" >&2; then :; else lab_log "no vmlinux extracted; the runner will boot vmlinuz"; fi
stamp kernel "$t"

# --- initramfs: busybox + the modules that reach virtio disks, ext4 and 9p -----------------
t=$(date +%s.%N)
ird="$work/initrd"; mkdir -p "$ird"/{bin,modules,newroot}
cp /bin/busybox "$ird/bin/busybox"
cp "$LAB_DIR/initramfs-init.sh" "$ird/init"; chmod +x "$ird/init"
: > "$ird/modules/order"
for m in virtio_pci virtio_blk virtio_net 9pnet_virtio 9p crc32c_generic crc32c_intel ext4; do
  modprobe -d "$work/k" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}' | while read -r f; do
    b=$(basename "$f"); b=${b%.xz}; b=${b%.zst}
    grep -qx "$b" "$ird/modules/order" && continue
    case "$f" in *.xz) xz -dc "$f" > "$ird/modules/$b" ;; *.zst) zstd -qdc "$f" > "$ird/modules/$b" ;; *) cp "$f" "$ird/modules/$b" ;; esac
    echo "$b" >> "$ird/modules/order"
  done
done
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.img"
stamp initramfs "$t"

# --- root image --------------------------------------------------------------------------
t=$(date +%s.%N)
rootdir="$work/root"
pkgs=$(IFS=,; echo "${LAB_PACKAGES[*]}")
mmdebstrap --quiet --variant=minbase --include="$pkgs" --components=main \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  "$LAB_SUITE" "$rootdir" \
  "deb $LAB_MIRROR $LAB_SUITE main" "deb $LAB_MIRROR $LAB_SUITE-updates main" "deb $LAB_SECURITY_MIRROR $LAB_SUITE-security main" >&2
stamp mmdebstrap "$t"
t=$(date +%s.%N)
mkdir -p "$rootdir/lib/modules" "$rootdir/lab/repo" "$rootdir/lab/out"
cp -a "$work/k/lib/modules/$kver" "$rootdir/lib/modules/"
cp "$node_bin" "$rootdir/usr/local/bin/node"
echo lab > "$rootdir/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 lab\n' > "$rootdir/etc/hosts"
echo 'InitiatorName=iqn.2016-09.com.example:lab-initiator' > "$rootdir/etc/iscsi/initiatorname.iscsi"
rm -rf "$rootdir/var/cache/apt/archives/"*.deb "$rootdir/var/lib/apt/lists/"*
used=$(du -sm "$rootdir" | cut -f1)
truncate -s $(( (used + 700) ))M "$out/root.img"
mkfs.ext4 -q -F -L labroot -d "$rootdir" "$out/root.img"
stamp image "$t"
stamp total "$t0"
touch "$out/complete"
ln -sfn "build/$key" "$LAB_CACHE/$current"
# keep the builds some current* link points at (one per kernel suite)
keep=$(for l in "$LAB_CACHE"/current*; do [ -L "$l" ] && basename "$(readlink "$l")"; done)
for b in "$LAB_CACHE"/build/*; do echo "$keep" | grep -qx "$(basename "$b")" || rm -rf "$b"; done
lab_log "built $out"
