#!/bin/sh
# Re-fetch the JavaScript vendored into graphkit/report/vendor from npm and check it against
# the pinned version, tarball integrity and file hash recorded in VENDOR.json.
# Usage: tools/vendor-js.sh            (needs npm and python3; writes only into vendor/)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/graphkit/report/vendor"
field() { python3 -c "import json,sys; print(json.load(open('$vendor/VENDOR.json'))['$1'])"; }
pkg=$(field package); version=$(field version); integrity=$(field tarball_integrity)
src=$(field from); file=$(field file); sha=$(field sha256)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "$pkg@$version" >/dev/null
tarball=$(ls ./*.tgz)
got=$(python3 -c "import base64,hashlib,sys; print('sha512-'+base64.b64encode(hashlib.sha512(open('$tarball','rb').read()).digest()).decode())")
[ "$got" = "$integrity" ] || { echo "tarball integrity mismatch: $got" >&2; exit 1; }
tar xzf "$tarball"
echo "$sha  $src" | sha256sum -c - >/dev/null || { echo "$src hash differs from VENDOR.json" >&2; exit 1; }
cp "$src" "$vendor/$file"
cp package/LICENSE-MIT package/LICENSE-APACHE-2.0 "$vendor/"
echo "vendored $pkg@$version into $vendor"
