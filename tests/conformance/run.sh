#!/usr/bin/env bash
# Runs one set of the shared STV reference cases through `verifier count`
# and compares the authoritative fields with the set's own compare.py.
# Usage: run.sh VERIFIER SET [CASES_DIR] [SOURCE_DIR]
# The cases are found in CASES_DIR, else $STV_CASES, else
# SOURCE_DIR/../shared/stv-cases.  Absent cases: exit 77 (ctest: skipped).
set -u
verifier=$1 set=$2 cases=${3:-} src=${4:-.}
[ -n "$cases" ] || cases=${STV_CASES:-$src/../shared/stv-cases}
if [ ! -f "$cases/compare.py" ] || [ ! -d "$cases/$set" ]; then
	echo "SKIPPED: no reference cases at $cases/$set (set STV_CASES or -DSTV_CASES=...)"
	exit 77
fi
exec python3 "$cases/compare.py" "$cases/$set" --jobs "$(nproc)" \
	--cmd "$verifier count --rule {rule} --seats {seats} --format json {blt}"
