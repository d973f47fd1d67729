#!/usr/bin/env bash
# Builds the project and runs the demo: a sample election that the
# project generates itself (seeded, so the same every time), counted by
# Scottish STV.  Prints the text report and writes the HTML report.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
mkdir -p build/demo
build/bench/genblt --ballots 20000 --candidates 12 --seats 4 --seed 2026 \
	--title "Demo society committee election" >build/demo/demo.blt
build/verifier/verifier count --rule scottish-stv --format text build/demo/demo.blt
build/verifier/verifier count --rule scottish-stv --format html \
	--output build/demo/report.html build/demo/demo.blt
build/verifier/verifier count --rule scottish-stv --format json \
	--output build/demo/result.json build/demo/demo.blt
echo
echo "Ballots: build/demo/demo.blt; reports: build/demo/report.html, build/demo/result.json"
