#!/bin/sh
# Re-fetch the JavaScript vendored into graphkit/report/vendor from npm and check each package
# against the pinned version, tarball integrity and file hash recorded in VENDOR.json.
# Usage: tools/vendor-js.sh            (needs npm and python3; writes only into vendor/)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/graphkit/report/vendor"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -c "
import json
for p in json.load(open('$vendor/VENDOR.json'))['packages']:
    print(p['package'], p['version'], p['tarball_integrity'], p['from'], p['file'], p['sha256'], p['licence_file'])
" > "$tmp/packages"
while read -r pkg version integrity src file sha licence; do
  mkdir "$tmp/$pkg" && cd "$tmp/$pkg"
  npm pack --silent "$pkg@$version" >/dev/null
  tarball=$(ls ./*.tgz)
  got=$(python3 -c "import base64,hashlib; print('sha512-'+base64.b64encode(hashlib.sha512(open('$tarball','rb').read()).digest()).decode())")
  [ "$got" = "$integrity" ] || { echo "$pkg: tarball integrity mismatch: $got" >&2; exit 1; }
  tar xzf "$tarball"
  echo "$sha  $src" | sha256sum -c - >/dev/null || { echo "$pkg: $src hash differs from VENDOR.json" >&2; exit 1; }
  cp "$src" "$vendor/$file"
  cp package/LICENSE* "$vendor/$licence"
  echo "vendored $pkg@$version into $vendor"
done < "$tmp/packages"
