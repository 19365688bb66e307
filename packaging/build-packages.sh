#!/usr/bin/env bash
# Build the .deb (dpkg-deb) and .rpm (rpmbuild, from Debian's rpm package) from
# the compiled output, through the shared `make install` entry point.
# Output: dist/packages/lioha_<version>-1_all.deb and lioha-<version>-1.noarch.rpm
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
version=$(node -p "require('./package.json').version")
out=$top/dist/packages
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

[[ ${NO_BUILD:-} == 1 && -x dist/bin/lioha ]] || npm run -s build
scripts/host-tools.sh install package

stage=$(mktemp -d /tmp/lioha-pkg.XXXXXX)
trap 'rm -rf "$stage"' EXIT
make -s -C packaging install DESTDIR="$stage/root"
mkdir -p "$out"

# Debian
size=$(du -sk "$stage/root" | cut -f1)
mkdir -p "$stage/deb"
cp -a "$stage/root/." "$stage/deb/"
mkdir -p "$stage/deb/DEBIAN"
# Dependencies from the one list of host tools: depends = needed with default parameters.
sed -e "s/@VERSION@/$version-1/" -e "s/@SIZE@/$size/" \
  -e "s/@DEPENDS@/$(scripts/host-tools.sh deb-field depends)/" -e "s/@RECOMMENDS@/$(scripts/host-tools.sh deb-field recommends)/" \
  packaging/debian/control.in > "$stage/deb/DEBIAN/control"
(cd "$stage/deb" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/deb/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$stage/deb" "$out/lioha_${version}-1_all.deb" >/dev/null

# RPM
top_rpm=$stage/rpmbuild
mkdir -p "$top_rpm"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
tar -C "$stage/root" --owner=0 --group=0 -czf "$top_rpm/SOURCES/lioha-$version.tar.gz" .
{
  scripts/host-tools.sh rpm-field depends | sed 's/^/Requires:       /'
  scripts/host-tools.sh rpm-field recommends | sed 's/^/Recommends:     /'
} > "$stage/rpm-deps"
sed -e "/^@REQUIRES@$/r $stage/rpm-deps" -e '/^@REQUIRES@$/d' -e '/^@RECOMMENDS@$/d' packaging/rpm/lioha.spec > "$stage/lioha.spec"
rpmbuild --quiet -bb --nodeps \
  --define "_topdir $top_rpm" --define "lioha_version $version" \
  --define "_build_id_links none" --define "__os_install_post %{nil}" \
  "$stage/lioha.spec"
cp "$top_rpm"/RPMS/noarch/lioha-"$version"-1*.noarch.rpm "$out/"

ls -l "$out"
