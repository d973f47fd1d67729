#!/usr/bin/env bash
# stv-bench.sh: times the STV core on a million ballots.
#
# usage: bench/stv-bench.sh [BUILD_DIR]      (default: build)
#
# Generates once, and keeps under BUILD_DIR/bench-data, a 1,000,000-ballot,
# 20-candidate, 9-seat BLT file from a fixed seed; times the reader alone
# (bench/parse-bench) and then `verifier count --format json` by each rule,
# RUNS times each; writes the figures to bench/results/stv.txt.  docs/bench.md
# explains how to read them.
#
# Environment: STV_BENCH_RUNS (default 5) runs per rule; STV_BENCH_TIMEOUT
# (default 600) seconds after which one run is stopped, so that the script
# always ends by itself.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-build}
runs=${STV_BENCH_RUNS:-5}
limit=${STV_BENCH_TIMEOUT:-600}
results=$here/results/stv.txt

ballots=1000000
candidates=20
seats=9
seed=20260101

die() {
	echo "stv-bench: $*" >&2
	exit 1
}

[[ $runs =~ ^[1-9][0-9]*$ ]] || die "STV_BENCH_RUNS must be a whole number"
[[ $limit =~ ^[1-9][0-9]*$ ]] || die "STV_BENCH_TIMEOUT must be seconds"
[[ $# -le 1 ]] || die "usage: bench/stv-bench.sh [BUILD_DIR]"

# GNU time gives wall seconds and peak RSS of the one process measured;
# the shell's own `time` keyword gives no memory figure.
if [[ ! -x /usr/bin/time ]]; then
	die "/usr/bin/time is missing: install GNU time (Debian: apt-get" \
		"install time); .ci/run installs it"
fi
command -v timeout >/dev/null || die "timeout (coreutils) is missing"

verifier=$build/verifier/verifier
genblt=$build/bench/genblt
parse=$build/bench/parse-bench
for p in "$verifier" "$genblt" "$parse"; do
	if [[ ! -x $p ]]; then
		die "$p not found: build first, e.g." \
			"cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release &&" \
			"cmake --build $build"
	fi
done

# Timings of a debug or sanitized build mean little; say so in the file
# rather than refuse, so that such a run is still useful for a quick look.
btype=unknown
sanitize=OFF
if [[ -f $build/CMakeCache.txt ]]; then
	btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
	sanitize=$(sed -n 's/^BALLOT_SANITIZE:[A-Z]*=//p' \
		"$build/CMakeCache.txt")
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stv-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The data set, generated once.  A rebuilt genblt may write other
# ballots, so a data file older than the generator is made again.
data_dir=$build/bench-data
data=$data_dir/stv-${ballots}b-${candidates}c-${seats}s-seed$seed.blt
mkdir -p "$data_dir"
if [[ ! -s $data || $genblt -nt $data ]]; then
	echo "stv-bench: generating $data" >&2
	timeout "$limit" "$genblt" --ballots "$ballots" \
		--candidates "$candidates" --seats "$seats" --seed "$seed" \
		--title "Benchmark ward, $ballots ballots" >"$data.tmp" ||
		die "genblt failed"
	mv "$data.tmp" "$data"
fi

# The reader alone: parse-bench does its own repeats and timing.
echo "stv-bench: timing the reader" >&2
if ! timeout "$limit" "$parse" "$data" "$runs" >"$tmp/parse" \
	2>"$tmp/parse.err"; then
	die "parse-bench failed: $(head -n 1 "$tmp/parse.err")"
fi
pget() { sed -n "s/^$1 //p" "$tmp/parse"; }

# median FILE: the middle of the sorted numbers (the lower middle of an
# even count).
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# bench_rule RULE LABEL [OPTION...]: runs the count RUNS times and prints
# the rule's result line.
bench_rule() {
	local rule=$1 label=$2 i rc
	local -a extra=("${@:3}")
	local times=$tmp/$label.times rss=$tmp/$label.rss

	: >"$times"
	: >"$rss"
	for ((i = 1; i <= runs; i++)); do
		rc=0
		# timeout signals its whole process group, so the verifier
		# under /usr/bin/time is stopped too.
		timeout -k 10 "$limit" /usr/bin/time -f '%e %M' \
			-o "$tmp/tm" "$verifier" count --rule "$rule" \
			${extra[@]+"${extra[@]}"} --format json "$data" >"$tmp/out.json" \
			2>"$tmp/err" || rc=$?
		if ((rc == 124 || rc == 137)); then
			printf '%-14s TIMED OUT after %ss (run %d)\n' \
				"$label" "$limit" "$i"
			return
		fi
		if ((rc != 0)); then
			printf '%-14s FAILED (exit %d): %s\n' "$label" "$rc" \
				"$(grep -v '^Command exited' "$tmp/err" |
					head -n 1)"
			return
		fi
		read -r secs kb <"$tmp/tm"
		echo "$secs" >>"$times"
		echo "$kb" >>"$rss"
	done
	local med min max mb valid elected
	med=$(median "$times")
	min=$(sort -n "$times" | head -n 1)
	max=$(sort -n "$times" | tail -n 1)
	mb=$(sort -n "$rss" | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }')
	valid=$(sed -n 's/^  "valid_ballots": \([0-9]*\),$/\1/p' \
		"$tmp/out.json")
	# The top-level "elected" list is the one line that starts so.
	elected=$(grep -m 1 '^  "elected": \[' "$tmp/out.json" |
		awk -F'", "' '/\[\]/ { print 0; next } { print NF }')
	printf '%-14s %8s %8s %8s %9s %10s %8s\n' "$label" "$med" "$min" \
		"$max" "$mb" "${valid:-?}" "${elected:-?}"
}

{
	echo "# STV benchmark: bench/stv-bench.sh (see docs/bench.md)"
	echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit:     $(git -C "$repo" rev-parse --short HEAD 2>/dev/null ||
		echo unknown)"
	echo "machine:    $(uname -m), $(nproc) CPUs, $(sed -n \
		's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "kernel:     $(uname -sr)"
	echo "compiler:   $(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' \
		"$build/CMakeCache.txt" 2>/dev/null | head -n 1)"
	echo "build:      $build ($btype, sanitizers $sanitize)"
	if [[ $btype != Release || $sanitize == ON ]]; then
		echo "WARNING:    not a plain Release build; the times are" \
			"not representative"
	fi
	echo "data:       $(basename "$data") ($(pget bytes) bytes)"
	echo "            $ballots ballots, $candidates candidates," \
		"$seats seats, genblt seed $seed"
	echo "            $(pget rankings) distinct rankings after grouping," \
		"$(pget papers) valid papers"
	echo "runs:       $runs per rule, at most ${limit}s each"
	echo
	echo "reader alone (stv_blt_read, in memory, CLOCK_MONOTONIC):"
	echo "            median $(pget median) s, min $(pget min) s," \
		"max $(pget max) s"
	echo
	echo "verifier count --format json (read file + parse + count +" \
		"JSON), wall seconds:"
	printf '%-14s %8s %8s %8s %9s %10s %8s\n' rule median min max \
		"peak MB" valid elected
	for rule in scottish-stv meek wigm ers97; do
		echo "stv-bench: timing $rule" >&2
		bench_rule "$rule" "$rule"
	done
	echo "stv-bench: timing irv" >&2
	bench_rule irv "irv (1 seat)" --seats 1
} >"$tmp/results"

mkdir -p "$(dirname "$results")"
cp "$tmp/results" "$results"
cat "$results"
