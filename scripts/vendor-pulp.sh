#!/usr/bin/env bash
# Rebuilds src/targets/pulp/vendor/pulp-2.6.0.zip from Debian's python3-pulp (see the README there).
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/lib/python3/dist-packages
[ -d "$src/pulp" ] || { echo "vendor-pulp: $src/pulp is missing (apt-get install python3-pulp)" >&2; exit 1; }
out="$PWD/src/targets/pulp/vendor/pulp-2.6.0.zip"
rm -f "$out"
(cd "$src" && find pulp -type f ! -path '*__pycache__*' ! -name 'pulp.cfg.*' | LC_ALL=C sort | TZ=UTC zip -q -X -D "$out" -@)
echo "vendor-pulp: wrote $out ($(stat -c %s "$out") bytes)"
