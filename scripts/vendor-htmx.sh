#!/usr/bin/env bash
# Fetches the pinned htmx release from the npm registry (`npm pack`, which checks the tarball against the
# registry's SHA-512 integrity), and checks the file against the SHA-256 pinned here before replacing
# crates/web/assets/vendor/htmx.min.js. To upgrade: change both pins, run, commit.
# The test `vendored_htmx_matches_the_pinned_hash` (crates/web) fails if the committed file drifts.
set -euo pipefail
VERSION=2.0.8
SHA256=22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313
cd "$(dirname "$0")/.."
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$VERSION" >/dev/null && tar xzf "htmx.org-$VERSION.tgz")
file="$work/package/dist/htmx.min.js"
got=$(sha256sum "$file" | cut -d' ' -f1)
if [ "$got" != "$SHA256" ]; then
  echo "htmx.org@$VERSION dist/htmx.min.js has SHA-256 $got, expected $SHA256" >&2
  exit 1
fi
cp "$file" crates/web/assets/vendor/htmx.min.js
echo "vendored htmx.org@$VERSION ($got)"
