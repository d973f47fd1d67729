#!/usr/bin/env bash
# crypto-bench.sh: the crypto library's rates next to `openssl speed`'s.
#
# usage: bench/crypto-bench.sh [BUILD_DIR]      (default: build)
#
# Runs BUILD_DIR/bench/crypto-bench --json (every operation for a fixed CPU
# time), then `openssl speed` on the primitives those operations are made
# of, on the same machine and straight after, and writes to
# bench/results/crypto.txt one line per operation: our rate, the reference
# rate its cost model gives from openssl's figures, and ours / reference.
# docs/bench.md, section "Crypto", explains the models and how to read it.
#
# Environment: CRYPTO_BENCH_SECONDS (default 1, whole seconds, at most 10)
# per operation and per openssl test; CRYPTO_BENCH_RSA (default
# 2048,3072,4096) the blind RSA sizes.  The whole run takes about a
# minute with the defaults; each program is stopped after a time limit,
# so that the script always ends by itself.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-build}
secs=${CRYPTO_BENCH_SECONDS:-1}
rsa=${CRYPTO_BENCH_RSA:-2048,3072,4096}
results=$here/results/crypto.txt

die() {
	echo "crypto-bench: $*" >&2
	exit 1
}

[[ $# -le 1 ]] || die "usage: bench/crypto-bench.sh [BUILD_DIR]"
[[ $secs =~ ^([1-9]|10)$ ]] ||
	die "CRYPTO_BENCH_SECONDS must be a whole number from 1 to 10"
[[ $rsa =~ ^(2048|3072|4096)(,(2048|3072|4096))*$ ]] ||
	die "CRYPTO_BENCH_RSA must be a list of 2048, 3072, 4096"
command -v openssl >/dev/null || die "openssl (the command) is missing"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"

bench=$build/bench/crypto-bench
if [[ ! -x $bench ]]; then
	die "$bench not found: build first, e.g." \
		"cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release &&" \
		"cmake --build $build --target crypto-bench"
fi

# Figures from a debug or sanitized build are not comparable: say so in
# the file rather than refuse.
btype=unknown
sanitize=OFF
if [[ -f $build/CMakeCache.txt ]]; then
	btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
	sanitize=$(sed -n 's/^BALLOT_SANITIZE:[A-Z]*=//p' \
		"$build/CMakeCache.txt")
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/crypto-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Ours: about 25 operations of $secs CPU seconds, plus key generation and
# a 1,000,000-leaf tree.  The program itself gives up on an operation
# after 5 * $secs wall seconds, so this limit is only for a hang.
echo "crypto-bench: timing our operations" >&2
rc=0
timeout -k 5 $((60 + 25 * 5 * secs)) "$bench" --json --seconds "$secs" \
	--rsa "$rsa" >"$tmp/ours.json" 2>"$tmp/ours.err" || rc=$?
if ((rc != 0)); then
	die "crypto-bench failed (exit $rc): $(head -n 1 "$tmp/ours.err")"
fi

# openssl speed, machine-readable (-mr): "+F2:i:bits:sign/s:verify/s" for
# RSA, "+F5:i:bits:op/s:s/op" for ECDH, "+F6:i:bits:name:sign/s:verify/s"
# for EdDSA, "+F:i:name:bytes/s" for an -evp run with one -bytes size.
# One -evp cipher or digest per run.  Each run is limited in time; a run
# that fails leaves its primitives without a figure ("n/a" below).
ospeed() {
	local out=$1
	shift
	echo "crypto-bench: openssl speed $*" >&2
	if ! timeout -k 5 $((30 + 10 * secs)) openssl speed -mr \
		-seconds "$secs" "$@" >"$tmp/$out" 2>"$tmp/$out.err"; then
		echo "crypto-bench: openssl speed $* failed:" \
			"$(grep -v '^+' "$tmp/$out.err" | head -n 1)" >&2
	fi
}
rsa_algs=$(echo "$rsa" | sed 's/\([0-9]*\)/rsa\1/g; s/,/ /g')
# shellcheck disable=SC2086 # one word per algorithm
ospeed asym.txt $rsa_algs ecdhp256 ed25519
ospeed aes.txt -bytes 1024 -evp aes-256-gcm
ospeed sha1k.txt -bytes 1024 -evp sha256
ospeed sha65.txt -bytes 65 -evp sha256

# The reference primitives, one "key rate" per line, rates in ops/s.
{
	awk -F: '
	function num(x) { return x ~ /^[0-9]+(\.[0-9]*)?$/ && x + 0 > 0 }
	$1 == "+F2" && num($4) && num($5) {
		print "rsa" $3 ".sign", $4; print "rsa" $3 ".verify", $5 }
	$1 == "+F5" && $3 == 256 && num($4) { print "ecdh.p256", $4 }
	$1 == "+F6" && $4 == "Ed25519" && num($5) && num($6) {
		print "ed25519.sign", $5; print "ed25519.verify", $6 }
	' "$tmp/asym.txt"
	awk -F: -v key=aes256gcm.1024 -v size=1024 \
		'$1 == "+F" && tolower($3) == "aes-256-gcm" && $4 + 0 > 0 {
			printf "%s %.1f\n", key, $4 / size }' "$tmp/aes.txt"
	awk -F: -v key=sha256.1024 -v size=1024 \
		'$1 == "+F" && tolower($3) == "sha256" && $4 + 0 > 0 {
			printf "%s %.1f\n", key, $4 / size }' "$tmp/sha1k.txt"
	awk -F: -v key=sha256.65 -v size=65 \
		'$1 == "+F" && tolower($3) == "sha256" && $4 + 0 > 0 {
			printf "%s %.1f\n", key, $4 / size }' "$tmp/sha65.txt"
} >"$tmp/ref.txt"

# Ours, one "name<TAB>ops/s<TAB>us/op<TAB>model" per line (the model is
# "-" when there is none); crypto-bench writes one JSON object per line
# for this.
line='^{"name": "\([^"]*\)".*"ops_per_sec": \([0-9.]*\), '
line+='"us_per_op": \([0-9.]*\), "ref": "\([^"]*\)"}.*'
sed -n "s/$line/\\1\t\\2\t\\3\t\\4/p" "$tmp/ours.json" |
	sed 's/\t$/\t-/' >"$tmp/ours.txt"
[[ -s $tmp/ours.txt ]] || die "no results in crypto-bench's output"

{
	echo "# Crypto benchmark: bench/crypto-bench.sh (see docs/bench.md)"
	echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit:     $(git -C "$repo" rev-parse --short HEAD 2>/dev/null ||
		echo unknown)"
	echo "machine:    $(uname -m), $(nproc) CPUs, $(sed -n \
		's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "kernel:     $(uname -sr)"
	echo "openssl:    $(openssl version)"
	echo "compiler:   $(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' \
		"$build/CMakeCache.txt" 2>/dev/null | head -n 1)"
	echo "build:      $build ($btype, sanitizers $sanitize)"
	if [[ $btype != Release || $sanitize == ON ]]; then
		echo "WARNING:    not a plain Release build; the rates are" \
			"not representative"
	fi
	echo "timing:     $secs CPU s per operation and per openssl test," \
		"one thread"
	echo
	echo "openssl speed -seconds $secs, ops/s (aes/sha256: messages of" \
		"the size named):"
	awk '{ printf "  %-16s %12.1f\n", $1, $2 }' "$tmp/ref.txt"
	echo
	printf '%-28s %11s %9s  %-36s %11s %6s\n' operation "ops/s" "us/op" \
		"reference (openssl speed primitives)" "ref ops/s" ratio
	# ref = 1 / sum(count / rate) over the model's terms; "n/a" if one
	# of its primitives has no figure, "-" if the operation has none.
	awk -F'\t' -v reff="$tmp/ref.txt" '
	BEGIN {
		while ((getline l < reff) > 0) {
			split(l, f, " ")
			rate[f[1]] = f[2]
		}
	}
	{
		model = ""; t = 0; ok = $4 != "-"
		n = ok ? split($4, terms, " ") : 0
		for (i = 1; i <= n; i++) {
			split(terms[i], kv, ":")
			model = model (i > 1 ? " + " : "") \
				(kv[2] == 1 ? "" : kv[2] "x ") kv[1]
			if (kv[1] in rate)
				t += kv[2] / rate[kv[1]]
			else
				ok = 0
		}
		if ($4 == "-") {
			model = "-"; r = "-"; x = "-"
		} else if (!ok || t <= 0) {
			r = "n/a"; x = "-"
		} else {
			r = sprintf("%.1f", 1 / t)
			x = sprintf("%.2f", $2 * t)
		}
		printf "%-28s %11s %9s  %-36s %11s %6s\n", $1, $2, $3, \
			model, r, x
	}' "$tmp/ours.txt"
} >"$tmp/results"

mkdir -p "$(dirname "$results")"
cp "$tmp/results" "$results"
cat "$results"
