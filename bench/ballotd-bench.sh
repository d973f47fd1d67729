#!/usr/bin/env bash
# ballotd-bench.sh: token issues and casts per second through ballotd,
# next to the ceiling `openssl speed` gives on the same machine, and the
# memory 10,000 idle connections cost.
#
# usage: bench/ballotd-bench.sh [BUILD_DIR]      (default: build)
#
# Starts BUILD_DIR/ballotd/ballotd in a temporary directory (a fresh
# self-signed P-256 certificate, HTTPS and plain HTTP on 127.0.0.1,
# threads = nproc, test_election_key = true), runs BUILD_DIR/bench/loadgen
# for tokens and casts at 1, 10 and 100 clients over TLS keep-alive
# connections, holds 10,000 idle TCP connections on the plain HTTP
# listener (checking /healthz meanwhile and reading VmRSS from
# /proc/PID/status), stops the daemon, runs
# `openssl speed -mr -seconds 1 rsa2048 ed25519`, and writes
# bench/results/ballotd.txt.  docs/bench.md, section "ballotd", explains
# the figures and the ceilings.
#
# Environment: BALLOTD_BENCH_SECONDS (default 10, 1..60) caps each timed
# run; BALLOTD_BENCH_IDLE (default 10000) the idle connections.  Every
# program runs under `timeout`; the daemon is killed on any exit.  About
# three minutes on a 2-CPU machine, most of it blinding tokens and asking
# for the casts' tokens (the untimed preparation).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-build}
secs=${BALLOTD_BENCH_SECONDS:-10}
idle=${BALLOTD_BENCH_IDLE:-10000}
results=$here/results/ballotd.txt

# Requests planned per run (the run stops earlier at $secs seconds):
# enough voters to keep every client busy for the whole run.
tokens_counts=(3000 8000 20000)
casts_counts=(4000 10000 20000)
clients=(1 10 100)

die() {
	echo "ballotd-bench: $*" >&2
	exit 1
}

[[ $# -le 1 ]] || die "usage: bench/ballotd-bench.sh [BUILD_DIR]"
[[ $secs =~ ^[1-9][0-9]?$ && $secs -le 60 ]] ||
	die "BALLOTD_BENCH_SECONDS must be a whole number from 1 to 60"
[[ $idle =~ ^[1-9][0-9]*$ && $idle -le 100000 ]] ||
	die "BALLOTD_BENCH_IDLE must be a whole number from 1 to 100000"
for cmd in openssl python3 timeout; do
	command -v "$cmd" >/dev/null || die "$cmd (the command) is missing"
done
ballotd=$build/ballotd/ballotd
loadgen=$build/bench/loadgen
for b in "$ballotd" "$loadgen"; do
	[[ -x $b ]] || die "$b not found: build first, e.g." \
		"cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release &&" \
		"cmake --build $build --target ballotd loadgen"
done

btype=unknown
sanitize=OFF
if [[ -f $build/CMakeCache.txt ]]; then
	btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
	sanitize=$(sed -n 's/^BALLOT_SANITIZE:[A-Z]*=//p' \
		"$build/CMakeCache.txt")
fi

# The idle connections need a descriptor each, in the helper that opens
# them and in the daemon (which raises its soft limit to the hard one).
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $((idle + 200)) ]]; then
	die "the hard limit on open files is $hard: $idle idle connections" \
		"need $((idle + 200)) (raise it, or set BALLOTD_BENCH_IDLE)"
fi
ulimit -n "$hard"

# shellcheck source=bench/bench-daemon.sh
. "$here/bench-daemon.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ballotd-bench.XXXXXX")
daemon_pid=
cleanup() {
	bench_daemon_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the daemon -------------------------------------------------------
# timeout 120 (bench-daemon.sh): the idle connections must outlive the
# measurement.
bench_daemon_start "$ballotd" "$tmp" "$tmp/ballot.db" "test_election_key = true"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- idle connections -------------------------------------------------
# First, on the fresh daemon: later, memory the load runs freed but the
# allocator kept would hide what the connections cost.
idle_rc=0
timeout 120 python3 - "$daemon_pid" "$http_port" "$idle" \
	>"$tmp/idle.txt" <<'EOF' || idle_rc=$?
import http.client, json, os, socket, sys, time
pid, port, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def status(key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])        # kB
    return -1

def nfds():
    return len(os.listdir("/proc/%d/fd" % pid))

def healthz(sock=None):
    t0 = time.monotonic()
    try:
        if sock is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            r = c.getresponse()
            ok = r.status == 200 and json.loads(r.read()) == {"ok": True}
            c.close()
        else:
            sock.settimeout(5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            ok = data.startswith(b"HTTP/1.1 200") and \
                data.endswith(b'{"ok":true}')
    except (OSError, ValueError, http.client.HTTPException):
        ok = False
    return ok, 1e3 * (time.monotonic() - t0)

time.sleep(1)
before, fds0 = status("VmRSS"), nfds()
socks, failed, t0 = [], 0, time.monotonic()
for _ in range(n):
    s = socket.socket()
    s.settimeout(10)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        failed += 1
        s.close()
opened = time.monotonic() - t0
# Wait (bounded) until the daemon has accepted them all.
deadline = time.monotonic() + 30
while nfds() < fds0 + len(socks) and time.monotonic() < deadline:
    time.sleep(0.1)
accepted = nfds() - fds0
time.sleep(1)
held = status("VmRSS")
hok, hms = healthz()
# A few of the held connections still answer too.
sample = [socks[i] for i in range(0, len(socks), max(1, len(socks) // 10))]
sok = sum(1 for s in sample if healthz(s)[0])
for s in socks:
    s.close()
time.sleep(2)
after = status("VmRSS")
print("idle_requested=%d" % n)
print("idle_opened=%d" % len(socks))
print("idle_failed=%d" % failed)
print("idle_accepted=%d" % accepted)
print("idle_open_seconds=%.2f" % opened)
print("rss_before_kb=%d" % before)
print("rss_held_kb=%d" % held)
print("rss_released_kb=%d" % after)
print("healthz_ok=%d" % hok)
print("healthz_ms=%.2f" % hms)
print("held_sample=%d" % len(sample))
print("held_sample_ok=%d" % sok)
EOF
[[ -s $tmp/idle.txt ]] || idle_rc=1
grep -q '^healthz_ok=1$' "$tmp/idle.txt" || idle_rc=1
kill -0 "$daemon_pid" 2>/dev/null ||
	die "ballotd died while holding the idle connections"

# --- the load runs ----------------------------------------------------
: >"$tmp/runs.jsonl"
for mode in tokens casts; do
	for i in 0 1 2; do
		c=${clients[$i]}
		if [[ $mode == tokens ]]; then n=${tokens_counts[$i]}; else
			n=${casts_counts[$i]}; fi
		echo "ballotd-bench: $mode, $c clients, up to $n requests or" \
			"${secs}s..." >&2
		if ! timeout 600 "$loadgen" --connect "127.0.0.1:$https_port" \
			--tls --cafile "$tmp/cert.pem" \
			--organiser-credential-file "$tmp/organiser.cred" \
			--mode "$mode" --clients "$c" --count "$n" \
			--duration "$secs" --server-pid "$daemon_pid" \
			--json >>"$tmp/runs.jsonl"; then
			echo "ballotd-bench: loadgen $mode $c failed" >&2
			echo "{\"mode\": \"$mode\", \"clients\": $c," \
				"\"failed\": true}" >>"$tmp/runs.jsonl"
		fi
	done
done

# --- fsync on the database's file system ------------------------------
# Every token issue is its own commit (docs/store.md), so this bounds it.
fsync_rc=0
timeout 30 python3 - "$tmp" >"$tmp/fsync.txt" <<'EOF' || fsync_rc=$?
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
out = []
# Appending (the file grows: metadata too), then overwriting one block
# (what a WAL that has been reset sees), 0.5 s each.
for grow in (True, False):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    n, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < 0.5:
        if grow:
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
        else:
            os.pwrite(fd, b"x" * 4096, 0)
            os.fdatasync(fd)
        n += 1
    out.append("%.0f" % (1e6 * (time.monotonic() - t0) / n))
    os.close(fd)
os.unlink(path)
print(" ".join(out))
EOF
[[ $fsync_rc -eq 0 ]] || echo "n/a n/a" >"$tmp/fsync.txt"

peak_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$daemon_pid/status" || true)
peak_kb=${peak_kb:-0}

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- stop the daemon --------------------------------------------------
kill -TERM "$daemon_pid"
stop_rc=0
timeout 30 tail --pid="$daemon_pid" -f /dev/null || stop_rc=$?
wait "$daemon_pid" || stop_rc=$?
daemon_pid=
warns=$(grep -c -E ' (warn|error): ' "$tmp/ballotd.log" || true)

# --- the ceilings -----------------------------------------------------
timeout 60 openssl speed -mr -seconds 1 rsa2048 ed25519 \
	>"$tmp/speed.txt" 2>/dev/null || true

# --- the results file -------------------------------------------------
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
python3 - "$tmp" "$results" <<EOF
import json, os, sys
tmp, out = sys.argv[1], sys.argv[2]
runs = [json.loads(l) for l in open(os.path.join(tmp, "runs.jsonl"))]
idle = dict(l.strip().split("=", 1)
            for l in open(os.path.join(tmp, "idle.txt")) if "=" in l)
fsync_us = open(os.path.join(tmp, "fsync.txt")).read().split()
sign = verify = ed_sign = None
for line in open(os.path.join(tmp, "speed.txt")):
    f = line.strip().split(":")
    if f[0] == "+F2" and f[2] == "2048":
        sign, verify = float(f[3]), float(f[4])
    if f[0] == "+F6" and f[3] == "Ed25519":
        ed_sign = float(f[4])
nproc = $nproc
L = []
w = L.append
w("# ballotd benchmark: bench/ballotd-bench.sh (see docs/bench.md)")
w("date:       $(date -u '+%Y-%m-%d %H:%M UTC')")
w("commit:     $commit")
w("machine:    $(uname -m), $nproc CPUs, $cpu")
w("kernel:     $(uname -sr)")
w("openssl:    $(openssl version)")
w("build:      $build ($btype, sanitizers $sanitize)")
if "$btype" != "Release" or "$sanitize" != "OFF":
    w("WARNING: not a plain Release build: do not compare these figures")
w("daemon:     threads = $nproc, log_level = warn, TLS 1.3 (P-256 "
  "certificate), one poll per run, one database for all runs")
w("load avg:   $load_start at the start, $load_end after the load runs "
  "(1, 5, 15 min; above 0 means other work shared the CPUs)")
w("client:     loadgen on the same machine (it shares the CPUs); casts: one "
  "keep-alive TLS connection per client, handshake before the clock; tokens: "
  "the server closes each token answer's connection, so every token "
  "request makes a new TLS connection, inside the clock")
w("")
if sign and verify and ed_sign:
    w("openssl speed -seconds 1 (one core), ops/s: rsa2048.sign %.1f  "
      "rsa2048.verify %.1f  ed25519.sign %.1f" % (sign, verify, ed_sign))
else:
    w("openssl speed: no figures (the ceilings are n/a)")
w("the database's file system: 4 KiB append + fsync %s us, 4 KiB "
  "overwrite + fdatasync %s us" % (fsync_us[0], fsync_us[1]))
w("")
w("Ceilings, ops/s, with min(clients, CPUs) cores busy:")
w("  token = 1 RSA-2048 sign + 1 verify (BlindSign re-checks)")
w("  cast A = 1 RSA-2048 verify + 1/B Ed25519 sign (the batch's tree "
  "head; B = clients, the largest batch)")
w("  cast B = cast A + 1 Ed25519 sign (the receipt the store signs)")
w("")
w("%-6s %7s %6s %3s %7s %7s %7s %7s %7s %7s %5s %7s %5s %7s %5s" %
  ("mode", "clients", "ok", "err", "per s", "p50 ms", "p90 ms",
   "p99 ms", "max ms", "ceiling", "ratio", "ceil B", "ratio",
   "srv us", "busy"))
for r in runs:
    if r.get("failed"):
        w("%-6s %7d FAILED (see the script's output)" %
          (r["mode"], r["clients"]))
        continue
    c = r["clients"]
    cores = min(c, nproc)
    cA = cB = None
    if sign and verify and ed_sign:
        if r["mode"] == "tokens":
            cA = cores / (1 / sign + 1 / verify)
        else:
            cA = cores / (1 / verify + 1 / (c * ed_sign))
            cB = cores / (1 / verify + 1 / (c * ed_sign) + 1 / ed_sign)
    fmt = lambda x: "%7.0f" % x if x else "%7s" % "n/a"
    rat = lambda x: "%5.2f" % (r["per_second"] / x) if x else "%5s" % "-"
    # The daemon's CPU per request, and how busy the CPUs were (daemon
    # and loadgen together) over the run.
    srv = "%7.0f" % (1e6 * r["server_cpu_s"] / r["ok"]) \
        if r["server_cpu_s"] >= 0 and r["ok"] else "%7s" % "n/a"
    busy = "%4.0f%%" % (100 * (max(r["server_cpu_s"], 0) +
                               r["client_cpu_s"]) /
                        (nproc * r["seconds"])) if r["seconds"] else "    -"
    w("%-6s %7d %6d %3d %7.1f %7.2f %7.2f %7.2f %7.2f %s %s %s %s %s %s" %
      (r["mode"], c, r["ok"], r["errors"], r["per_second"], r["p50_ms"],
       r["p90_ms"], r["p99_ms"], r["max_ms"], fmt(cA), rat(cA),
       fmt(cB) if r["mode"] == "casts" else "%7s" % "",
       rat(cB) if r["mode"] == "casts" else "%5s" % "", srv, busy))
w("")
w("ok: answered 200 with the expected body; srv us: the daemon's CPU "
  "(user + system) per request;")
w("busy: CPU used by the daemon and loadgen / (CPUs x seconds).  Each "
  "run's count checked against /status:")
for r in runs:
    if not r.get("failed"):
        w("  %-6s %3d clients: %6d planned, %.2f s, server counted %d" %
          (r["mode"], r["clients"], r["planned"], r["seconds"],
           r["server_count"]))
w("")
if idle:
    w("Idle connections (plain HTTP listener, no request sent; on the "
      "fresh daemon, before the load runs):")
    w("  opened %s of %s (%s failed) in %s s; the daemon accepted %s" %
      (idle["idle_opened"], idle["idle_requested"], idle["idle_failed"],
       idle["idle_open_seconds"], idle["idle_accepted"]))
    b, h, a = (int(idle[k]) for k in ("rss_before_kb", "rss_held_kb",
                                      "rss_released_kb"))
    n = max(1, int(idle["idle_accepted"]))
    w("  VmRSS before %.1f MiB, while held %.1f MiB (+%.1f MiB, %.1f KiB "
      "per connection), after closing %.1f MiB" %
      (b / 1024, h / 1024, (h - b) / 1024, (h - b) / n, a / 1024))
    w("  /healthz on a new connection while held: %s in %s ms; on %s of "
      "%s held connections: ok" %
      ("ok" if idle["healthz_ok"] == "1" else "FAILED",
       idle["healthz_ms"], idle["held_sample_ok"], idle["held_sample"]))
else:
    w("Idle connections: the helper failed (no figures)")
w("  daemon peak VmHWM over the whole run: %.1f MiB" % ($peak_kb / 1024))
w("daemon: exit status %d after SIGTERM; %d warn/error lines in its log "
  "(the test_election_key warnings: 1 + one per run)" % ($stop_rc, $warns))
open(out, "w").write("\n".join(L) + "\n")
EOF
cat "$results"
[[ $idle_rc -eq 0 && $stop_rc -eq 0 ]] || die "see $results"
