#!/usr/bin/env bash
# verifier-bench.sh: how long `verifier check` takes on a real election
# record of 100,000 ballots, next to the sum of what its crypto operations
# cost on the same machine, and how much memory it needs.
#
# usage: bench/verifier-bench.sh [BUILD_DIR]      (default: build)
#
# Makes the record for real: BUILD_DIR/ballotd/ballotd in a temporary
# directory (a fresh self-signed P-256 certificate, HTTPS and plain HTTP
# on 127.0.0.1, threads = nproc, no test routes), three trustees who run
# the real key ceremony with `ballotctl trustee` (k = 2), a roll of
# BENCH_BALLOTS voters in one class, and BUILD_DIR/bench/recordgen casting
# one ballot per voter over HTTPS keep-alive connections (token, Finalize,
# seal, cast).  Then the close, two releases, `ballotctl tally --out DIR`,
# and `verifier check DIR` with --jobs 1 and --jobs nproc under
# /usr/bin/time; `verifier count` of the contest's BLT alone (the STV
# recount's share); `crypto-bench --json --rsa 2048` for the prices of the
# operations the record needs.  Writes bench/results/verifier.txt;
# docs/bench.md, section "verifier", explains the figures.
#
# Environment: BENCH_BALLOTS (default 100000, 100..1000000) voters and
# ballots; BENCH_CLIENTS (default 16) recordgen's connections;
# BENCH_CHECK_TIMEOUT (default 300) seconds per `verifier check` run (one
# that passes it is reported as unfinished, and the script exits 1);
# BENCH_BUDGET (default 900) seconds for the whole run: every program runs
# under `timeout` with what is left, so the script stops by itself.  The
# daemon is stopped and the temporary directory removed on any exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-build}
nballots=${BENCH_BALLOTS:-100000}
nclients=${BENCH_CLIENTS:-16}
check_timeout=${BENCH_CHECK_TIMEOUT:-300}
budget=${BENCH_BUDGET:-900}
results=$here/results/verifier.txt
t_begin=$(date +%s)

die() {
	echo "verifier-bench: $*" >&2
	exit 1
}
say() { echo "verifier-bench: $*" >&2; }

[[ $# -le 1 ]] || die "usage: bench/verifier-bench.sh [BUILD_DIR]"
[[ $nballots =~ ^[1-9][0-9]*$ && $nballots -ge 100 &&
	$nballots -le 1000000 ]] ||
	die "BENCH_BALLOTS must be a whole number from 100 to 1000000"
[[ $nclients =~ ^[1-9][0-9]*$ && $nclients -le 256 ]] ||
	die "BENCH_CLIENTS must be a whole number from 1 to 256"
[[ $check_timeout =~ ^[1-9][0-9]*$ ]] ||
	die "BENCH_CHECK_TIMEOUT must be a whole number of seconds"
[[ $budget =~ ^[1-9][0-9]*$ && $budget -ge 60 && $budget -le 7200 ]] ||
	die "BENCH_BUDGET must be a whole number of seconds, 60 to 7200"
for cmd in openssl python3 timeout; do
	command -v "$cmd" >/dev/null || die "$cmd (the command) is missing"
done
[[ -x /usr/bin/time ]] ||
	die "/usr/bin/time (GNU time, Debian package 'time') is missing"
ballotd=$build/ballotd/ballotd
ballotctl=$build/ballotctl/ballotctl
verifier=$build/verifier/verifier
recordgen=$build/bench/recordgen
cryptobench=$build/bench/crypto-bench
for b in "$ballotd" "$ballotctl" "$verifier" "$recordgen" "$cryptobench"; do
	[[ -x $b ]] || die "$b not found: build first, e.g." \
		"cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release &&" \
		"cmake --build $build --target ballotd ballotctl verifier" \
		"recordgen crypto-bench"
done

btype=unknown
sanitize=OFF
srcdir=unknown
if [[ -f $build/CMakeCache.txt ]]; then
	btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
	sanitize=$(sed -n 's/^BALLOT_SANITIZE:[A-Z]*=//p' \
		"$build/CMakeCache.txt")
	srcdir=$(sed -n 's/^CMAKE_HOME_DIRECTORY:[A-Z]*=//p' \
		"$build/CMakeCache.txt")
fi

# Seconds left of the budget (at least 1: `timeout 0` would not stop).
left() {
	local l=$((budget - ($(date +%s) - t_begin)))
	((l > 0)) || die "the budget of $budget s is spent (BENCH_BUDGET)"
	echo "$l"
}
# A step's cap: its own limit or what is left, whichever is smaller.
cap() {
	local l
	l=$(left)
	echo $(($1 < l ? $1 : l))
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/verifier-bench.XXXXXX")
# The database on tmpfs when there is one: every token issue is a commit
# and an fsync of its own (docs/store.md), which would make the record's
# generation take minutes of waiting on the disk; what is measured here
# reads only the record.
dbdir=$tmp
if [[ -d /dev/shm && -w /dev/shm ]]; then
	dbdir=$(mktemp -d /dev/shm/verifier-bench-db.XXXXXX)
fi
# shellcheck source=bench/bench-daemon.sh
. "$here/bench-daemon.sh"
daemon_pid=
trustee_pids=()
child=
# Runs a command in the background and waits for it, so that a signal to
# the script is handled at once and cleanup can stop the command (and
# the program under /usr/bin/time or timeout).
run() {
	local rc=0
	"$@" &
	child=$!
	wait "$child" || rc=$?
	child=
	return "$rc"
}
cleanup() {
	local p
	if [[ -n $child ]]; then
		pkill -TERM -P "$child" 2>/dev/null || true
		kill -TERM "$child" 2>/dev/null || true
	fi
	for p in "${trustee_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	bench_daemon_stop
	rm -rf "$tmp"
	[[ $dbdir == "$tmp" ]] || rm -rf "$dbdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the daemon -------------------------------------------------------
bench_daemon_start "$ballotd" "$tmp" "$dbdir/ballot.db"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

url=http://127.0.0.1:$http_port
ctl() {
	timeout "$(cap 300)" "$ballotctl" --server "$url" \
		--organiser-credential-file "$tmp/organiser.cred" \
		--timeout 120 "$@"
}
tctl() { # the trustees' commands take no organiser credential
	timeout "$(cap 300)" "$ballotctl" --server "$url" --timeout 120 "$@"
}

# --- the poll: three trustees, the roll, the ceremony -----------------
poll=vbench-$nballots
for i in 1 2 3; do
	tctl trustee keygen --out "$tmp/t$i.key" >"$tmp/t$i.pub" ||
		die "ballottctl trustee keygen failed"
done
python3 - "$tmp" "$poll" <<'EOF'
import json, sys
tmp, pid = sys.argv[1], sys.argv[2]
members = []
for i in (1, 2, 3):
    f = dict(l.split(" ", 1) for l in open("%s/t%d.pub" % (tmp, i))
             .read().splitlines())
    members.append({"name": "Trustee %d" % i, "sign_key": f["sign_key"],
                    "hpke_key": f["hpke_key"]})
names = ["Ada", "Ben", "Cleo", "Dev", "Eun", "Femi", "Gus", "Hana"]
d = {"format": "ballot-poll/1", "id": pid,
     "title": "Verifier benchmark", "revoting": False,
     "ballot_size": 1024, "min_class_size": 1,
     "contests": [{"id": "council", "title": "Council", "kind": "stv",
                   "rule": "scottish-stv", "seats": 3,
                   "candidates": [{"name": n} for n in names]}],
     "trustees": {"k": 2, "members": members}}
open(tmp + "/def.json", "w").write(json.dumps(d, indent=1) + "\n")
EOF
t0=$(date +%s.%N)
ctl poll create "$tmp/def.json" >/dev/null || die "poll create failed"
python3 -c '
import sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    f.write("voter_id\n")
    for i in range(n):
        f.write("v%d\n" % i)' "$nballots" "$tmp/roll.csv"
ctl roll import "$poll" "$tmp/roll.csv" --out "$tmp/creds.csv" \
	>/dev/null || die "roll import failed"
ctl poll ceremony "$poll" >/dev/null || die "poll ceremony failed"
for i in 1 2 3; do
	timeout "$(cap 180)" "$ballotctl" trustee ceremony "$poll" \
		--key "$tmp/t$i.key" --index "$i" --state "$tmp/t$i.state" \
		--server "$url" --timeout 120 --settle 1 \
		>"$tmp/t$i.out" 2>&1 &
	trustee_pids+=($!)
done
for p in "${trustee_pids[@]}"; do
	wait "$p" || die "a trustee's ceremony failed:" \
		"$(cat "$tmp"/t?.out)"
done
trustee_pids=()
ctl poll open "$poll" >/dev/null || die "poll open failed"
t_setup=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - \
	float(sys.argv[1])))" "$t0" "$(date +%s.%N)")

# --- the votes --------------------------------------------------------
say "$nballots voters vote over $nclients HTTPS connections..."
run timeout "$(cap 840)" "$recordgen" --connect "127.0.0.1:$https_port" \
	--cafile "$tmp/cert.pem" --poll "$poll" \
	--credentials "$tmp/creds.csv" --clients "$nclients" \
	>"$tmp/recordgen.json" || die "recordgen failed (see above)"
rm -f "$tmp/creds.csv"

# --- close, two releases, the tally -----------------------------------
ctl poll close "$poll" >/dev/null || die "poll close failed"
for i in 1 3; do
	tctl trustee release "$poll" --key "$tmp/t$i.key" \
		--state "$tmp/t$i.state" >/dev/null ||
		die "trustee $i's release failed"
done
daemon_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$daemon_pid/status")
say "ballotctl tally..."
mkdir "$tmp/rec"
rec=$tmp/rec/$poll
run /usr/bin/time -f '%e %M %U %S' -o "$tmp/time.tally" \
	timeout "$(cap 600)" "$ballotctl" --server "$url" --timeout 120 \
	tally "$poll" --out "$rec" >"$tmp/tally.out" 2>&1 ||
	die "ballotctl tally failed: $(tail -n 5 "$tmp/tally.out")"

# The daemon is not needed any more: it would only share the CPUs.
kill -TERM "$daemon_pid"
timeout 30 tail --pid="$daemon_pid" -f /dev/null || true
wait "$daemon_pid" || true
daemon_pid=

# --- the prices -------------------------------------------------------
# First, so that the checks may use the rest of the budget.
say "crypto-bench --json --rsa 2048..."
run timeout "$(cap 300)" "$cryptobench" --json --rsa 2048 --seconds 1 \
	>"$tmp/crypto.json" || die "crypto-bench failed"

# --- the recount alone ------------------------------------------------
# What `verifier check` spends on the STV count: the same count of the
# same BLT, by `verifier count`.
for r in 1 2 3; do
	run /usr/bin/time -f '%e %M %U %S' -o "$tmp/time.count$r" \
		timeout "$(cap 300)" "$verifier" count --method stv \
		--rule scottish-stv --seats 3 --output "$tmp/count.json" \
		"$rec/contests/council.blt" ||
		die "verifier count failed"
done
cmp -s "$tmp/count.json" "$rec/contests/council.json" ||
	die "verifier count does not print contests/council.json"

# --- verifier check ---------------------------------------------------
# A run that passes its cap is reported as timed out (the figures still
# get written); any other failure, or a check that does not hold, stops
# the script.
timed_out=0
check() { # JOBS NAME CAP
	local rc=0
	say "verifier check --jobs $1 (at most $3 s)..."
	run /usr/bin/time -f '%e %M %U %S' -o "$tmp/time.$2" \
		timeout "$3" "$verifier" check --jobs "$1" "$rec" \
		>"$tmp/check.$2" 2>&1 || rc=$?
	if ((rc == 124)); then
		echo "timeout $3" >"$tmp/status.$2"
		timed_out=1
		say "verifier check --jobs $1 did not finish in $3 s"
		return 0
	fi
	((rc == 0)) || die "verifier check --jobs $1 failed (exit $rc):" \
		"$(tail -n 5 "$tmp/check.$2")"
	grep -q '^OK ' "$tmp/check.$2" ||
		die "verifier check --jobs $1 did not say OK: $(tail -n 5 \
			"$tmp/check.$2")"
	echo ok >"$tmp/status.$2"
}
wall() { tail -n 1 "$tmp/time.$1" | cut -d' ' -f1; }
# Each run's cap: BENCH_CHECK_TIMEOUT, or its share of what is left.
check_cap() { # RUNS_STILL_TO_GO
	local l
	l=$(left)
	l=$(((l - 5) / $1))
	((l >= 5)) || die "the budget of $budget s is spent (BENCH_BUDGET)"
	echo $((l < check_timeout ? l : check_timeout))
}
check 1 j1 "$(check_cap 2)"
check "$nproc" jn "$(check_cap 1)"
# Again, for the spread, when both finished and there is time.
if ((timed_out == 0)) && python3 -c 'import sys
sys.exit(0 if float(sys.argv[1]) + float(sys.argv[2]) + 30 < float(sys.argv[3])
         else 1)' "$(wall j1)" "$(wall jn)" "$(left)"; then
	check 1 j1b "$(check_cap 2)"
	check "$nproc" jnb "$(check_cap 1)"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the results file -------------------------------------------------
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
export VB_TMP=$tmp VB_REC=$rec VB_OUT=$results VB_NPROC=$nproc \
	VB_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" VB_COMMIT=$commit \
	VB_MACHINE="$(uname -m), $nproc CPUs, $cpu" VB_KERNEL="$(uname -sr)" \
	VB_OPENSSL="$(openssl version)" VB_BUILD="$build" VB_BTYPE=$btype \
	VB_SAN=$sanitize VB_SRC=$srcdir VB_LOAD0="$load_start" \
	VB_LOAD1="$load_end" VB_SETUP=$t_setup VB_DHWM=$daemon_hwm \
	VB_TOTAL=$(($(date +%s) - t_begin)) VB_BUDGET=$budget \
	VB_CHECKCAP=$check_timeout \
	VB_DB=$([[ $dbdir == "$tmp" ]] && echo "the temporary directory" ||
		echo "tmpfs (/dev/shm)")
python3 - <<'EOF'
import base64, json, math, os
E = os.environ
tmp, rec, out = E["VB_TMP"], E["VB_REC"], E["VB_OUT"]
nproc = int(E["VB_NPROC"])


def tm(name):
    e, m, u, s = open(os.path.join(tmp, "time." + name)).read().split()[-4:]
    return float(e), int(m) / 1024, float(u) + float(s)


def lines(p):
    with open(os.path.join(rec, p), "rb") as f:
        return [json.loads(x) for x in f]


def count_lines(p):
    with open(os.path.join(rec, p), "rb") as f:
        return sum(1 for _ in f)


def size_mb(p):
    return os.path.getsize(os.path.join(rec, p)) / 2**20


gen = json.load(open(os.path.join(tmp, "recordgen.json")))
us = {r["name"]: r["us_per_op"] for r in
      json.load(open(os.path.join(tmp, "crypto.json")))["results"]}
n = count_lines("board/entries.jsonl")
states = count_lines("states.jsonl")
cer = lines("ceremony.jsonl")
sths = count_lines("board/sths.jsonl")
poll = json.load(open(os.path.join(rec, "poll.json")))
k = poll["trustees"]["k"]
releases = sum(1 for m in cer if m["kind"] == "release")
with open(os.path.join(rec, "board/entries.jsonl"), "rb") as f:
    e0 = json.loads(f.readline())["entry"]
entry = base64.urlsafe_b64decode(e0 + "=" * (-len(e0) % 4))
tag = entry[4:4 + int.from_bytes(entry[:4], "big")].decode()
cast_sig = tag != "ballot-entry/v1"   # v2: one more Ed25519 per entry
log2n = math.log2(max(n, 2))
ecdh = us["dkg.check_release"] / 3    # its model: k = 3 ECDH

# The cost model: (what, count, microseconds each).
model = [
    ("RSA-PSS verify (token)", n, us["brsa2048.verify"]),
    ("HPKE open + unpad", n, us["hpke.open_1k"]),
    ("SHA-256 leaf hash", n, us["sha256.leaf_1k"]),
]
if cast_sig:
    model.append(("Ed25519 verify (cast_sig)", n, us["ed25519.verify_sth"]))
model += [
    ("Merkle node hash (rebuild)", n - 1, us["merkle.frontier_append"]),
    ("Ed25519 verify (tree heads)", sths, us["ed25519.verify_sth"]),
    ("root + consistency per head", sths,
     log2n * us["merkle.frontier_append"] +
     us["merkle.inclusion_proof_1m"] + us["merkle.consistency_verify_1m"]),
    ("Ed25519 verify (states, ceremony)", states + len(cer),
     us["ed25519.verify_sth"]),
    ("DKG (releases, rebuild, x*G)", 1,
     (releases * k + k * k + 1 + 1) * ecdh),
]
total_us = sum(c * u for _, c, u in model)
def runs(*names):
    """(wall, peak MiB, CPU s) of the runs that finished; the cap of the
    first that timed out, else None."""
    done, cap = [], None
    for nm in names:
        p = os.path.join(tmp, "status." + nm)
        if not os.path.exists(p):
            continue
        st = open(p).read().split()
        if st[0] == "ok":
            done.append(tm(nm))
        elif cap is None:
            cap = int(st[1])
    return done, cap


j1, j1cap = runs("j1", "j1b")
jn, jncap = runs("jn", "jnb")
cnt = [tm("count%d" % r) for r in (1, 2, 3)]
tally = tm("tally")
best = lambda rs: min(r[0] for r in rs)
peak = lambda rs: max(r[1] for r in rs)
cpu = lambda rs: min(r[2] for r in rs)
stv = sorted(r[0] for r in cnt)[1]
model_s = total_us / 1e6
res = json.load(open(os.path.join(rec, "results.json")))

L = []
w = L.append
w("# Verifier benchmark: bench/verifier-bench.sh (see docs/bench.md)")
w("date:       " + E["VB_DATE"])
w("commit:     %s (built from %s)" % (E["VB_COMMIT"], E["VB_SRC"]))
w("machine:    " + E["VB_MACHINE"])
w("kernel:     " + E["VB_KERNEL"])
w("openssl:    " + E["VB_OPENSSL"])
w("build:      %s (%s, sanitizers %s)" % (E["VB_BUILD"], E["VB_BTYPE"],
                                         E["VB_SAN"]))
if E["VB_BTYPE"] != "Release" or E["VB_SAN"] != "OFF":
    w("WARNING: not a plain Release build: do not compare these figures")
w("load avg:   %s at the start, %s at the end (1, 5, 15 min)" %
  (E["VB_LOAD0"], E["VB_LOAD1"]))
w("")
w("The record: %d ballots (%s), 1 class, 1 STV contest (8 candidates, 3 "
  "seats), ballot_size %d;" % (n, tag, poll["ballot_size"]))
w("  %d tree heads, %d state records, %d ceremony messages (3 trustees, "
  "k = %d, %d releases);" % (sths, states, len(cer), k, releases))
w("  board/entries.jsonl %.0f MiB, ballots.jsonl %.0f MiB; counted %d, "
  "elected %s" % (size_mb("board/entries.jsonl"), size_mb("ballots.jsonl"),
                  res["turnout"]["counted"],
                  ", ".join(res["contests"][0]["elected"])))
w("  made by: real ceremony %s s; recordgen %d voters in %.0f s (%.0f/s, "
  "%d clients, %d errors); daemon peak %.0f MiB" %
  (E["VB_SETUP"], gen["casts"], gen["seconds"], gen["per_second"],
   gen["clients"], gen["errors"], int(E["VB_DHWM"]) / 1024))
w("")
w("%-34s %10s %10s %9s %6s" % ("cost model (crypto-bench, 1 core)",
                                "count", "us each", "seconds", "share"))
for what, c, u in model:
    w("%-34s %10d %10.3f %9.2f %5.1f%%" % (what, c, u, c * u / 1e6,
                                          100 * c * u / total_us))
w("%-34s %10s %10s %9.2f" % ("sum", "", "", total_us / 1e6))
w("")
w("%-34s %8s %8s %9s %8s" % ("run (best of <=2; STV median of 3)", "wall s",
                            "CPU s", "peak MiB", "ratio"))
w("%-34s %8.2f %8.2f %9.0f %8s" % ("ballotctl tally (over HTTP)", tally[0],
                                   tally[2], tally[1], ""))
for label, rs, capped in (("verifier check --jobs 1", j1, j1cap),
                          ("verifier check --jobs %d" % nproc, jn, jncap)):
    if rs:
        w("%-34s %8.2f %8.2f %9.0f %8.2f" % (label, best(rs), cpu(rs),
                                             peak(rs), best(rs) / model_s))
    else:
        w("%-34s %8s %8s %9s %8s" % (label, ">%d" % capped, "-", "-",
                                     ">%.0f" % (capped / model_s)))
w("%-34s %8.2f %8.2f %9.0f %8s" % ("verifier count (the STV recount)", stv,
                                   sorted(r[2] for r in cnt)[1],
                                   peak(cnt), ""))
w("")
w("ratio = wall s / the model's sum (1.00: nothing but the crypto); "
  ">N s: stopped at its time cap, unfinished.")
if j1 and jn:
    w("Speed-up with %d jobs: %.2fx.  Of --jobs 1: the STV recount %.1f%%, "
      "the modelled crypto %.1f%%," % (nproc, best(j1) / best(jn),
                                       100 * stv / best(j1),
                                       100 * model_s / best(j1)))
    w("the rest (reading, JSON, the other checks) %.1f%%." %
      (100 * (1 - (stv + model_s) / best(j1))))
else:
    base = best(j1) if j1 else j1cap
    w("Of --jobs 1 (at least %.0f s): the STV recount at most %.1f%%, the "
      "modelled crypto at most %.1f%%." % (base, 100 * stv / base,
                                           100 * model_s / base))
w("The daemon's database was on %s.  Whole benchmark: %s s "
  "(BENCH_BUDGET %s, BENCH_CHECK_TIMEOUT %s)." %
  (E["VB_DB"], E["VB_TOTAL"], E["VB_BUDGET"], E["VB_CHECKCAP"]))
open(out, "w").write("\n".join(L) + "\n")
EOF
cat "$results"
((timed_out == 0)) || die "a verifier check did not finish in time: see" \
	"$results"
