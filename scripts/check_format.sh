#!/usr/bin/env bash
# Fails when any C++ file under src/ tests/ fuzz/ bench/ is not clang-formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files -co --exclude-standard -- 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'fuzz/*.cc' 'fuzz/*.h' 'bench/*.cc' 'bench/*.h' || true)
[ -z "$files" ] && exit 0
echo "$files" | xargs clang-format --dry-run --Werror
