#!/usr/bin/env bash
# `verifier count` as a user meets it: help, formats, standard input,
# errors with file:line:column, exit codes, seeded draws.
# Usage: count.sh VERIFIER DIR
set -u
v=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() { # want-rc description command...
	local want=$1 what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "$what: exit $rc, want $want ($(head -c 300 "$tmp/err"))"
}

# A tie for fewest (B and C, 1 vote each) that only a lot can settle.
printf '3 1\n2 1 0\n1 2 0\n1 3 0\n0\n"A"\n"B"\n"C"\n"Tie"\n' >"$tmp/tie.blt"

expect_rc 0 "count --help" "$v" count --help
grep -q "usage: verifier count" "$tmp/out" || fail "--help prints no usage"
expect_rc 0 "verifier --help" "$v" --help
expect_rc 2 "no command" "$v"
expect_rc 2 "unknown command" "$v" frobnicate
expect_rc 2 "unknown rule" "$v" count --rule borda "$tmp/tie.blt"
grep -q "unknown rule 'borda'" "$tmp/err" || fail "unknown rule message"
expect_rc 2 "bad seats" "$v" count --seats 0 "$tmp/tie.blt"
expect_rc 2 "bad format" "$v" count --format xml "$tmp/tie.blt"
expect_rc 2 "bad seed" "$v" count --seed -3 "$tmp/tie.blt"
expect_rc 2 "two files" "$v" count "$tmp/tie.blt" "$tmp/tie.blt"
expect_rc 3 "missing file" "$v" count "$tmp/nonexistent.blt"
grep -q "No such file" "$tmp/err" || fail "missing file message"

printf '3 1\n1 1 4 0\n0\n"A"\n"B"\n"C"\n' >"$tmp/bad.blt"
expect_rc 3 "malformed file" "$v" count --rule irv "$tmp/bad.blt"
grep -q "bad.blt:2:5: candidate number 4 is out of range" "$tmp/err" ||
	fail "malformed file message: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "a malformed file still printed a result"

expect_rc 1 "too many seats" "$v" count --rule irv --seats 2 "$tmp/tie.blt"
grep -q "irv fills one seat" "$tmp/err" || fail "irv seats message"

# Standard input, and the three formats.
"$v" count --rule irv - <"$tmp/tie.blt" >"$tmp/stdin.json" || fail "stdin count"
"$v" count --rule irv "$tmp/tie.blt" >"$tmp/file.json" || fail "file count"
cmp -s "$tmp/stdin.json" "$tmp/file.json" || fail "stdin and file differ"
python3 - "$tmp/file.json" <<'PY' || fail "json content"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rule"] == "irv" and r["elected"] == ["A"], r
# Unseeded, the lot falls on B, the first of B and C in the file.
assert r["stages"][1]["action"] == "exclude" and r["stages"][1]["candidate"] == "B", r["stages"]
assert any("tie by lot" in n and "first in ballot-file order" in n for n in r["notes"]), r["notes"]
assert r["seed"] is None
PY
"$v" count --rule irv --format text "$tmp/tie.blt" >"$tmp/out.txt" || fail "text format"
grep -q "Stage 2: exclusion of B" "$tmp/out.txt" || fail "text report lacks the stage"
"$v" count --rule irv --format html --output "$tmp/out.html" "$tmp/tie.blt" || fail "html format"
grep -q "<svg" "$tmp/out.html" || fail "html has no chart"
if grep -Eq "<script|https?://|@import|<link" "$tmp/out.html"; then
	fail "html report is not self-contained"
fi

# Seeded draws: recorded, and reproducible.  Over 20 seeds both B and C
# must be drawn at least once (the chance that a fair draw never picks
# one of them is 2 * 2^-20).
seen=""
for s in $(seq 1 20); do
	"$v" count --rule irv --seed "$s" "$tmp/tie.blt" >"$tmp/s1.json" || fail "seed $s"
	"$v" count --rule irv --seed "$s" "$tmp/tie.blt" >"$tmp/s2.json" || fail "seed $s again"
	cmp -s "$tmp/s1.json" "$tmp/s2.json" || fail "seed $s is not reproducible"
	seen="$seen $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["seed"]==int(sys.argv[2]); print(r["stages"][1]["candidate"])' "$tmp/s1.json" "$s")"
done
case "$seen" in *B*) ;; *) fail "seeded draws never chose B:$seen" ;; esac
case "$seen" in *C*) ;; *) fail "seeded draws never chose C:$seen" ;; esac

[ "$fails" -eq 0 ] && echo "all checks passed"
exit "$((fails > 0))"
