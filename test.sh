#!/usr/bin/env bash
# Builds everything and runs every test, twice: a normal build (warnings
# are errors) and a sanitizer build (AddressSanitizer + UBSan).  The STV
# reference cases are read from ../shared/stv-cases (or $STV_CASES); when
# they are absent those tests are reported as skipped.
#   ./test.sh            both builds
#   ./test.sh --quick    the normal build only
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
# The browser tests' one npm package (playwright-core, pinned in the
# lock file; it drives Debian's Chromium and downloads no browser).
(cd tests/web && npm ci --silent --no-audit --no-fund)
jobs=$(nproc)
run() { # build-dir cmake-options...
	local dir=$1
	shift
	cmake -S . -B "$dir" -DBALLOT_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
	(cd "$dir" && ctest --output-on-failure -j "$jobs")
}
echo "== normal build: build/"
run build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "${1:-}" != "--quick" ]; then
	echo "== sanitizer build (ASan + UBSan): build-asan/"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		run build-asan -DCMAKE_BUILD_TYPE=Debug -DBALLOT_SANITIZE=ON
fi
echo "== all tests passed"
