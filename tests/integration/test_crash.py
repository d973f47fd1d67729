"""Crash test: ballotd killed with SIGKILL while voters cast.

A poll is opened (the test-only election key route stands in for the
trustees' ceremony: this test is about durability), then 8 client threads
run `ballotctl vote` for fresh voters (real blind-signed tokens and sealed
ballots of the poll's size) while the daemon is killed with SIGKILL 5
times at random (seeded) moments and restarted on the same database each
time.  A vote that loses its connection is run again with the same
command line: ballotctl resumes from its state file (the same blinded
message, or the same sealed ballot).  A monitor thread fetches GET
board/sth all along and keeps every distinct signed head.

Checks:
  - after each restart, every receipt written before that kill is on the
    board (GET board/inclusion by leaf hash, same leaf index);
  - after the close, every receipt passes `ballotctl check-receipt`
    against the final head, and the board holds exactly one entry per
    voter (revoting is off: a cast sent again after a lost answer must
    not be a second entry);
  - every signed head seen verifies under the board key (openssl) and is
    consistent with the final head (GET board/consistency, checked here
    with RFC 9162's algorithm); two heads of one size have one root;
  - PRAGMA integrity_check of the database, opened read-only after the
    final clean stop, is "ok".

usage: python3 test_crash.py BUILD_DIR
"""

import concurrent.futures
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ballotd_harness as harness  # noqa: E402
from ballotd_harness import SKIP, Ballotd  # noqa: E402
from test_e2e import ed25519_verify  # noqa: E402
from test_poll_api import (Poll, u64, unb64url,  # noqa: E402
                           verify_consistency)

SEED = 7041
VOTERS = int(os.environ.get("BALLOT_CRASH_VOTERS", "400"))
CLIENTS = 8
KILLS = 5
DEADLINE = 150          # seconds for the whole voting phase


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def test_crash(build):
    ctl = os.path.join(build, "ballotctl", "ballotctl")
    if not os.access(ctl, os.X_OK):
        print("no ballotctl in %s: skipped" % build)
        sys.exit(SKIP)
    rng = random.Random(SEED)
    tmp = tempfile.mkdtemp(prefix="crash-test-")
    t0 = time.monotonic()
    try:
        with Ballotd(build, config={"test_election_key": "true"}) as d:
            _run(d, ctl, rng, tmp, t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(d, ctl, rng, tmp, t0):
    d.start()
    c = d.client()
    p = Poll(c, "crash", min_class_size=1, ballot_size=256)
    p.create()
    p.roll(VOTERS, 0)
    p.ceremony()
    p.election_key()
    p.open()
    g = c.get("/polls/crash").json
    board_key = unb64url(g["board_key"])
    c.close()
    url = "http://127.0.0.1:%d" % d.http_port
    env = dict(os.environ)
    env.pop("BALLOT_SERVER", None)

    voters = sorted(p.creds, key=lambda v: int(v[1:]))
    jobs = []
    for v in voters:
        credf = os.path.join(tmp, "cred-%s" % v)
        with open(credf, "w") as f:
            f.write(p.creds[v] + "\n")
        ballot = {"a": rng.sample([1, 2, 3], rng.randint(1, 3)),
                  "b": [rng.randint(1, 2)]}
        jobs.append((v, credf, json.dumps(ballot),
                     os.path.join(tmp, "r-%s.json" % v)))

    lock = threading.Lock()
    done = {}               # voter -> receipt path, once the file is there
    runs = {"total": 0, "retried": 0, "resumed": 0}
    stop = threading.Event()
    deadline = time.monotonic() + DEADLINE

    def vote(job):
        v, credf, ballot, rpath = job
        for attempt in range(60):
            if time.monotonic() > deadline or stop.is_set():
                raise AssertionError("vote %s: out of time or stopped"
                                     % v)
            r = subprocess.run(
                [ctl, "--server", url, "--timeout", "10", "vote", "crash",
                 "--credential-file", credf, "--ballot", ballot,
                 "--receipt", rpath], env=env, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=60)
            with lock:
                runs["total"] += 1
                runs["retried"] += attempt > 0
                runs["resumed"] += "resuming from" in r.stdout
            if r.returncode == 0:
                check(os.path.exists(rpath), "no receipt file for %s" % v)
                with lock:
                    done[v] = rpath
                return
            # 3: the network (the daemon was killed): run it again.
            check(r.returncode == 3, "vote %s: exit %d\n%s\n%s" %
                  (v, r.returncode, r.stdout, r.stderr))
            time.sleep(0.1)
        raise AssertionError("vote %s: 60 attempts" % v)

    heads = {}

    def monitor():
        cl = None
        while not stop.is_set():
            try:
                if cl is None:
                    cl = harness.Client("127.0.0.1", d.http_port, timeout=5)
                r = cl.get("/polls/crash/board/sth")
                if r.status == 200:
                    h = r.json
                    with lock:
                        heads[json.dumps(h, sort_keys=True)] = h
                else:
                    check(r.status == 404, "board/sth: %r" % r)
            except (OSError, http.client.HTTPException):
                if cl is not None:
                    cl.close()
                cl = None
                time.sleep(0.02)
            time.sleep(0.005)
        if cl is not None:
            cl.close()

    kills = []

    def killer():
        for k in range(KILLS):
            time.sleep(rng.uniform(0.2, 0.9))
            with lock:
                held = dict(done)
            check(len(held) < VOTERS, "the voters were done before kill "
                  "%d: raise BALLOT_CRASH_VOTERS" % (k + 1))
            d.kill9()
            time.sleep(rng.uniform(0.0, 0.3))
            d.restart(timeout=30)
            # Every receipt written before the kill is on the board.
            cl = d.client()
            try:
                for v, rpath in held.items():
                    with open(rpath) as f:
                        rc = json.load(f)["receipt"]
                    r = cl.get("/polls/crash/board/inclusion?leaf_hash=%s"
                               % rc["leaf_hash"])
                    check(r.status == 200 and r.json["leaf_index"] ==
                          rc["leaf_index"], "after kill %d, the receipt of "
                          "%s (leaf %d) is lost: %r" %
                          (k + 1, v, rc["leaf_index"], r))
            finally:
                cl.close()
            kills.append(len(held))

    mon = threading.Thread(target=monitor, daemon=True)
    mon.start()
    tv = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(CLIENTS + 1) as ex:
        kf = ex.submit(killer)
        futs = [ex.submit(vote, j) for j in jobs]
        errors = []
        for f in [kf] + futs:
            try:
                f.result(timeout=DEADLINE + 30)
            except Exception as e:  # collect, then fail with the first
                errors.append(e)
                stop.set()
    tv = time.monotonic() - tv
    stop.set()
    mon.join(10)
    if errors:
        raise errors[0]
    check(len(kills) == KILLS, "kills: %r" % kills)
    check(len(done) == VOTERS, "%d of %d voted" % (len(done), VOTERS))

    # Close, then every receipt against the final head.
    c = d.client()
    closed = p.__class__.close(_with_client(p, c))
    final = closed["sth"]
    check(final is not None and final["tree_size"] == VOTERS,
          "one entry per voter: final head %r" % final)
    leaves = set()
    for v, rpath in done.items():
        with open(rpath) as f:
            leaves.add(json.load(f)["receipt"]["leaf_index"])
    check(leaves == set(range(VOTERS)), "receipts cover every leaf once")
    # One token per voter, whatever was sent again: the status and the
    # issuance log (distinct pseudonyms, one per voter).
    st = c.get("/polls/crash/status").json
    check([(x["voters"], x["tokens_issued"], x["tokens_cast"], x["entries"])
           for x in st["classes"]] == [(VOTERS,) * 4], "status %r" % st)
    iss = []
    while True:
        r = c.get("/polls/crash/issuance?start=%d" % len(iss))
        check(r.status == 200, "issuance: %r" % r)
        if not r.json["issuance"]:
            break
        iss += r.json["issuance"]
    check(len(iss) == VOTERS and [x["seq"] for x in iss] ==
          list(range(iss[0]["seq"], iss[0]["seq"] + VOTERS)) and
          len({x["pseudonym"] for x in iss}) == VOTERS,
          "issuance log: %d records" % len(iss))

    def check_receipt(rpath):
        r = subprocess.run([ctl, "--server", url, "check-receipt", "crash",
                            rpath], env=env, capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 0 and "honoured" in r.stdout and
              "tree head of %d leaves" % VOTERS in r.stdout,
              "check-receipt %s: %d\n%s\n%s" %
              (rpath, r.returncode, r.stdout, r.stderr))
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as ex:
        list(ex.map(check_receipt, sorted(done.values())))

    # Every head seen: signed, and consistent with the final one.  (A new
    # connection: the daemon closes one idle for 30 s.)
    c.close()
    c = d.client()
    froot = bytes.fromhex(final["root"])
    fsize = final["tree_size"]
    by_size = {}
    for h in heads.values():
        check(h["poll_hash"] == p.hash.hex(), "head of another poll")
        root = bytes.fromhex(h["root"])
        msg = (b"ballot-sth/v1" + u64(h["tree_size"]) + root +
               u64(h["timestamp_ms"]) + p.hash)
        check(ed25519_verify(board_key, msg, unb64url(h["signature"]), tmp),
              "signature of the head of size %d" % h["tree_size"])
        check(by_size.setdefault(h["tree_size"], root) == root,
              "two roots for tree size %d" % h["tree_size"])
        check(0 < h["tree_size"] <= fsize, "head size %d" % h["tree_size"])
        r = c.get("/polls/crash/board/consistency?first=%d&second=%d" %
                  (h["tree_size"], fsize))
        check(r.status == 200, "consistency: %r" % r)
        check(verify_consistency(h["tree_size"], fsize,
                                 [bytes.fromhex(x) for x in r.json["proof"]],
                                 root, froot),
              "the head of size %d is not a prefix of the final head" %
              h["tree_size"])
    check(len(heads) >= KILLS, "only %d heads seen" % len(heads))
    # The verifier itself can fail: a root with one bit flipped.
    h = min(by_size)
    if h < fsize:
        r = c.get("/polls/crash/board/consistency?first=%d&second=%d" %
                  (h, fsize))
        bad = bytearray(by_size[h])
        bad[0] ^= 1
        check(not verify_consistency(
            h, fsize, [bytes.fromhex(x) for x in r.json["proof"]],
            bytes(bad), froot), "a forged root passed")
    c.close()
    d.stop_ok()
    bad = re.findall(r".* 5\d\d [0-9.]+ms.*|.*runtime error.*", d.log())
    check(not bad, "server errors in the log: %s" % bad[:5])

    db = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
    try:
        res = db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()
    check(res == [("ok",)], "integrity_check: %r" % res)
    print("  %d voters, %d clients, %d kills (receipts held at each: %s); "
          "%d ballotctl runs (%d retries, %d resumed from a state file); "
          "%d distinct heads; voting %.1fs, total %.1fs" %
          (VOTERS, CLIENTS, KILLS, kills, runs["total"], runs["retried"],
           runs["resumed"], len(heads), tv, time.monotonic() - t0))


def _with_client(p, c):
    q = Poll.__new__(Poll)
    q.__dict__.update(p.__dict__)
    q.c = c
    return q


if __name__ == "__main__":
    harness.main([test_crash], time_limit=180)
