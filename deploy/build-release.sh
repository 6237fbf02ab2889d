#!/usr/bin/env bash
# Release build: static binaries of the service for the office box,
# linux/amd64 and linux/arm64 (a Raspberry-class board), with the version
# stamped in (wartemarke --version prints it). The store is pure Go, so
# CGO_ENABLED=0 gives one file without shared libraries to copy.
#
#   deploy/build-release.sh [OUTDIR]                 # into dist/
#   VERSION=1.4.0 deploy/build-release.sh            # the version to stamp
#   ARCHES=arm64 deploy/build-release.sh /tmp/out    # one architecture
#
# VERSION defaults to `git describe --tags --always --dirty`.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-dist}"
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}"
version="${version//[^A-Za-z0-9._+-]/-}"   # safe in file names and ldflags
arches="${ARCHES:-amd64 arm64}"

mkdir -p "$out"
bins=()
for arch in $arches; do
  name="wartemarke-$version-linux-$arch"
  CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$version" -o "$out/$name" ./server
  bins+=("$name")
  echo "built $out/$name"
done
(cd "$out" && sha256sum "${bins[@]}" > "SHA256SUMS-$version")
echo "checksums in $out/SHA256SUMS-$version"
