#!/usr/bin/env bash
# `verifier count --method ordered-list|referendum` from the command line.
# Usage: methods.sh VERIFIER DIR
set -u
v=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The profile of tests/unit/test_methods.c: B, A, C, D.
printf '4 1\n35 1 0\n30 2 3 0\n25 3 2 0\n10 4 2 0\n0\n"A"\n"B"\n"C"\n"D"\n"List"\n' >"$tmp/list.blt"
"$v" count --method ordered-list "$tmp/list.blt" >"$tmp/list.json" || fail "ordered list"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["order"]==["B","A","C","D"], r["order"]; assert len(r["counts"])==4 and r["counts"][3]["count"] is None' "$tmp/list.json" || fail "ordered list order"
"$v" count --method ordered-list --format text "$tmp/list.blt" | grep -q " 1. B" || fail "ordered list text"
"$v" count --method ordered-list --rule irv "$tmp/list.blt" 2>"$tmp/err" && fail "irv list accepted"
grep -q "needs an STV rule" "$tmp/err" || fail "irv list message"

# 400 : 200 with 12 abstentions.
printf '3 1\n400 1 0\n200 2 0\n4 0\n6 3 0\n2 1=2 0\n0\n"Yes"\n"No"\n"Abstain"\n"Q"\n' >"$tmp/ref.blt"
"$v" count --method referendum --threshold 2/3 "$tmp/ref.blt" >"$tmp/r.json" || fail "referendum"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["passed"] is True and r["base"]==600 and r["abstain"]==12, r' "$tmp/r.json" || fail "referendum json"
"$v" count --method referendum --threshold 2/3 --abstentions counted "$tmp/ref.blt" >"$tmp/r2.json" || fail "referendum counted"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["passed"] is False and r["base"]==612, r' "$tmp/r2.json" || fail "abstentions counted"
"$v" count --method referendum --threshold 2/3 --more-than "$tmp/ref.blt" >"$tmp/r3.json" || fail "strict"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["passed"] is False and r["threshold"]["comparison"]=="more-than", r' "$tmp/r3.json" || fail "more-than at exactly 2/3"
# Default: a simple majority (more than half).
"$v" count --method referendum "$tmp/ref.blt" >"$tmp/r4.json" || fail "default threshold"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=r["threshold"]; assert (t["numerator"],t["denominator"],t["comparison"])==(1,2,"more-than"), t' "$tmp/r4.json" || fail "default is a simple majority"
"$v" count --method referendum --threshold 3/2 "$tmp/ref.blt" 2>/dev/null; [ $? -eq 2 ] || fail "3/2 accepted"
"$v" count --method referendum --threshold two-thirds "$tmp/ref.blt" 2>/dev/null; [ $? -eq 2 ] || fail "bad threshold accepted"
"$v" count --method referendum "$tmp/list.blt" 2>"$tmp/err"; [ $? -eq 1 ] || fail "4 options accepted"
"$v" count --method plurality "$tmp/ref.blt" 2>/dev/null; [ $? -eq 2 ] || fail "unknown method accepted"

[ "$fails" -eq 0 ] && echo "all checks passed"
exit "$((fails > 0))"
