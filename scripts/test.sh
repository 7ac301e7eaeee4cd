#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, checks formatting, runs unit tests,
# replays the fuzz corpus, then the end-to-end tests against the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_deps.sh
./scripts/build.sh
./scripts/check_format.sh
./scripts/install_geo_db.sh
echo "== unit tests"
./build/unit_tests --gtest_brief=1
echo "== fuzzers (short run)"
./scripts/fuzz.sh 20
echo "== end-to-end tests"
PORTICO_BIN="$PWD/build/portico" /usr/bin/python3 -m pytest -q -x tests/e2e "$@"
