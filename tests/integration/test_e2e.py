"""End to end: a whole poll through ballotctl and a real ballotd, with no
test-only shortcut (test_election_key stays off, and the test checks that
its route answers 404).

  1. three trustees (k = 2) make their keys with `ballotctl trustee
     keygen`; the poll definition names them: a 3-seat scottish-stv
     committee of 7 candidates and a 1-seat irv office of 4, revoting
     allowed;
  2. `ballotctl poll create`, `roll import` of 300 voters in two classes
     (200 voters in both contests, 100 in the committee only), `poll
     ceremony`, the three `trustee ceremony` processes at the same time,
     `poll open`;
  3. every voter votes with `ballotctl vote` (8 at a time, random valid
     rankings from a seeded RNG); 20 of them vote again (below);
  4. `poll close`; every receipt (first votes and revotes) passes
     `ballotctl check-receipt` against the final head; the board has
     exactly one entry per vote and revote, each receipt's entry at its
     index; the status counts per class; the state records' hash chain
     (recomputed here) and their signatures (openssl); the final head in
     the `closed` record;
  5. two trustees `release` their shares; the election private key is
     rebuilt here (P-256 Lagrange at 0) and x*G compared with Y, which is
     also recomputed as the sum of the dealers' C_i0.

Revoting: the 20 revoters' first `ballotctl vote` has `--keep-token
FILE` (the token, its signature and the cast key, mode 0600); their
second is `ballotctl vote --revote FILE` with new choices and no
credential: a real sealed ballot under the same token, signed by the same
cast key (its cast_sig is checked here with openssl against the key in
the token).  A plain second `vote` for the same credential must be
refused (409 token_already_issued).

BALLOT_E2E_VOTERS (default 300) scales the roll, for slow builds: two
thirds in both contests, one third in the committee only.

usage: python3 test_e2e.py BUILD_DIR
"""

import concurrent.futures
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ballotd_harness as harness  # noqa: E402
from ballotd_harness import SKIP, Ballotd, assert_error  # noqa: E402
from testcrypto import G, N, ec_add, ec_mul, point, point_bytes  # noqa
from test_poll_api import (H, b64url, lp, u64, unb64url,  # noqa: E402
                           verify_inclusion)

SEED = 20261122
PARALLEL = 8
POLL = "e2e-2026"
COMMITTEE = ["Ann", "Bea", "Cal", "Dee", "Eli", "Fay", "Gus"]
OFFICE = ["Hal", "Ivy", "Jon", "Kim"]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Ctl:
    def __init__(self, build, url):
        self.bin = os.path.join(build, "ballotctl", "ballotctl")
        self.env = dict(os.environ)
        self.env.pop("BALLOT_SERVER", None)
        self.env["BALLOT_ORGANISER_CREDENTIAL"] = \
            harness.ORGANISER_CREDENTIAL
        self.srv = ["--server", url]

    def run(self, *args, timeout=120):
        p = subprocess.run([self.bin] + self.srv + list(args), env=self.env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, **kw):
        rc, out, err = self.run(*args, **kw)
        check(rc == 0, "ballotctl %s: exit %d\n%s\n%s" %
              (" ".join(args), rc, out, err))
        return out


def ed25519_verify(pub, msg, sig, tmp):
    """Ed25519 with the openssl command (RFC 8410 SPKI of the raw key)."""
    kf = os.path.join(tmp, "pub.der")
    mf = os.path.join(tmp, "msg.bin")
    sf = os.path.join(tmp, "sig.bin")
    for f, b in ((kf, bytes.fromhex("302a300506032b6570032100") + pub),
                 (mf, msg), (sf, sig)):
        with open(f, "wb") as fh:
            fh.write(b)
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-rawin",
                        "-keyform", "DER", "-inkey", kf, "-in", mf,
                        "-sigfile", sf], capture_output=True, timeout=30)
    return r.returncode == 0


def parse_entry(entry):
    """The lp fields of a board entry (protocol.md section 7)."""
    out, i = [], 0
    while i < len(entry):
        n = int.from_bytes(entry[i:i + 4], "big")
        out.append(entry[i + 4:i + 4 + n])
        i += 4 + n
    check(i == len(entry) and len(out) == 7 and
          out[0] == b"ballot-entry/v2", "entry fields")
    return out


def random_ranking(rng, n, blank_ok=True):
    """A valid ranking: some of 1..n, each once, best first; now and
    then a blank ([])."""
    if blank_ok and rng.random() < 0.05:
        return []
    k = rng.randint(1, n)
    return rng.sample(range(1, n + 1), k)


def definition(members):
    return {
        "format": "ballot-poll/1", "id": POLL,
        "title": "End-to-end poll",
        "revoting": True, "ballot_size": 512, "min_class_size": 10,
        "contests": [
            {"id": "committee", "title": "Committee", "kind": "stv",
             "rule": "scottish-stv", "seats": 3,
             "candidates": [{"name": c} for c in COMMITTEE]},
            {"id": "office", "title": "Office", "kind": "option",
             "rule": "irv", "seats": 1,
             "candidates": [{"name": c} for c in OFFICE]},
        ],
        "trustees": {"k": 2, "members": members},
    }


def pmap(fn, items):
    """fn over items, PARALLEL at a time; results in order."""
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as ex:
        return list(ex.map(fn, items))


def test_e2e(build):
    nvoters = int(os.environ.get("BALLOT_E2E_VOTERS", "300"))
    check(nvoters >= 30, "BALLOT_E2E_VOTERS must be at least 30")
    n_both = nvoters * 2 // 3
    n_comm = nvoters - n_both
    n_revote = min(20, nvoters // 15)
    ctl_bin = os.path.join(build, "ballotctl", "ballotctl")
    if not os.access(ctl_bin, os.X_OK):
        print("no ballotctl in %s: skipped" % build)
        sys.exit(SKIP)
    rng = random.Random(SEED)
    tmp = tempfile.mkdtemp(prefix="e2e-test-")
    times = {}
    t0 = time.monotonic()
    try:
        with Ballotd(build) as d:
            d.start()
            c = d.client()
            url = "http://127.0.0.1:%d" % d.http_port
            ctl = Ctl(build, url)

            # 1. Trustees' keys and the definition.
            trustees = []
            for i in (1, 2, 3):
                key = os.path.join(tmp, "t%d.key" % i)
                out = ctl.ok("trustee", "keygen", "--out", key, "--name",
                             "Trustee %d" % i)
                fields = dict(l.split(" ", 1) for l in out.splitlines())
                member = json.loads(fields["member"])
                check(member["sign_key"] == fields["sign_key"] and
                      member["hpke_key"] == fields["hpke_key"],
                      "keygen: member entry %r" % member)
                trustees.append({"i": i, "key": key, "member": member,
                                 "state": os.path.join(tmp,
                                                       "t%d.state" % i)})
            dpath = os.path.join(tmp, "poll.json")
            with open(dpath, "w") as f:
                json.dump(definition([t["member"] for t in trustees]), f,
                          indent=1)
            with open(dpath, "rb") as f:
                dbytes = f.read()
            ph = H(lp("ballot-poll/v1") + lp(dbytes))
            out = ctl.ok("poll", "create", dpath)
            check(ph.hex() in out and "state draft" in out, out)

            # 2. Roll, ceremony, trustees, open.
            roll = os.path.join(tmp, "roll.csv")
            with open(roll, "w") as f:
                f.write("voter_id,email,name,contests\n")
                for i in range(nvoters):
                    f.write("v%03d,v%03d@example.org,Voter %d,%s\n" %
                            (i, i, i, "" if i < n_both else "committee"))
            creds_path = os.path.join(tmp, "creds.csv")
            out = ctl.ok("roll", "import", POLL, roll, "--out", creds_path)
            check("%d credentials written" % nvoters in out, out)
            with open(creds_path, newline="") as f:
                rows = list(csv.DictReader(f))
            check(len(rows) == nvoters, "%d credentials" % len(rows))
            both, comm = "committee+office*1", "committee*1"
            voters = []
            for i, row in enumerate(rows):
                check(row["voter_id"] == "v%03d" % i, row["voter_id"])
                check(row["class"] == (both if i < n_both else comm),
                      "class of %s: %s" % (row["voter_id"], row["class"]))
                credf = os.path.join(tmp, "cred-%s" % row["voter_id"])
                with open(credf, "w") as f:
                    f.write(row["credential"] + "\n")
                voters.append({"id": row["voter_id"], "class": row["class"],
                               "cred": credf})
            out = ctl.ok("poll", "ceremony", POLL)
            check("ceremony" in out, out)
            # No shortcut: the test-only route is not there.
            assert_error(c.post("/polls/%s/_test/election-key" % POLL,
                                {"election_key": b64url(point_bytes(G))},
                                organiser=True), 404, "not_found")
            # Open before the trustees are done: refused.
            rc, out, err = ctl.run("poll", "open", POLL)
            check(rc == 1 and "409 wrong_state" in err, (rc, out, err))
            ts = time.monotonic()
            procs = [subprocess.Popen(
                [ctl_bin, "trustee", "ceremony", POLL, "--key", t["key"],
                 "--index", str(t["i"]), "--state", t["state"],
                 "--server", url, "--timeout", "60", "--settle", "1"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True) for t in trustees]
            outs = []
            try:
                for p in procs:
                    o, e = p.communicate(timeout=150)
                    outs.append((p.returncode, o, e))
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
            for rc, o, e in outs:
                check(rc == 0, "trustee ceremony: exit %d\n%s\n%s" %
                      (rc, o, e))
            times["ceremony"] = time.monotonic() - ts
            # Y = sum of the dealers' C_i0, from the public transcript.
            msgs = c.get("/polls/%s/ceremony/messages" % POLL).json[
                "messages"]
            y = None
            for m in msgs:
                if m["kind"] == "commitments":
                    y = ec_add(y, point(unb64url(m["body"])[3:68]))
            check(sorted(m["from"] for m in msgs
                         if m["kind"] == "commitments") == [1, 2, 3],
                  "three dealers")
            c.close()
            c = d.client()
            g = c.get("/polls/" + POLL).json
            check(unb64url(g["election_key"]) == point_bytes(y),
                  "the election key is the sum of the C_i0")
            for rc, o, e in outs:
                check("election_key %s" % g["election_key"] in o,
                      "a trustee printed another key: %s" % o)
            board_key = unb64url(g["board_key"])
            out = ctl.ok("poll", "open", POLL)
            check("open" in out, out)

            # 3. Votes, PARALLEL at a time.
            for v in voters:
                v["ballot"] = {"committee": random_ranking(rng, 7)}
                if v["class"] == both:
                    v["ballot"]["office"] = random_ranking(rng, 4)

            def vote(v, ballot, rpath, state=None, extra=(), cred=True):
                args = ["vote", POLL, "--ballot", json.dumps(ballot),
                        "--receipt", rpath] + list(extra)
                if cred:
                    args += ["--credential-file", v["cred"]]
                if state:
                    args += ["--state", state]
                rc, out, err = ctl.run(*args)
                check(rc == 0, "vote %s: exit %d\n%s\n%s" %
                      (v["id"], rc, out, err))
                m = re.search(r"ballot cast in %s: leaf (\d+), verified"
                              % POLL, out)
                check(m, "vote %s: %s" % (v["id"], out))
                check(not os.path.exists(state or rpath + ".state"),
                      "state file left after the vote of %s" % v["id"])
                with open(rpath) as f:
                    rf = json.load(f)
                check(rf["receipt"]["leaf_index"] == int(m.group(1)),
                      "receipt file of %s" % v["id"])
                return out, rf

            # The revoters keep their token (and its cast key).
            revoters = rng.sample(voters, n_revote)
            for v in revoters:
                v["token_file"] = os.path.join(tmp, "token-%s" % v["id"])

            def first_vote(v):
                v["receipt"] = os.path.join(tmp, "r-%s.json" % v["id"])
                keep = (["--keep-token", v["token_file"]]
                        if "token_file" in v else [])
                v["out"], v["rf"] = vote(v, v["ballot"], v["receipt"],
                                         extra=keep)
                if keep:
                    check("token kept in %s" % v["token_file"] in v["out"]
                          and os.stat(v["token_file"]).st_mode & 0o777 ==
                          0o600, "token file of %s" % v["id"])
            ts = time.monotonic()
            pmap(first_vote, voters)
            times["votes"] = time.monotonic() - ts
            check(sorted(v["rf"]["receipt"]["leaf_index"] for v in voters)
                  == list(range(nvoters)), "one leaf per vote")

            # A second plain `vote` gets no second token.
            rc, out, err = ctl.run(
                "vote", POLL, "--credential-file", voters[0]["cred"],
                "--ballot", json.dumps(voters[0]["ballot"]), "--receipt",
                os.path.join(tmp, "again.json"))
            check(rc == 1 and "409 token_already_issued" in err,
                  (rc, out, err))

            # Revotes: `vote --revote` with the kept token; new choices.
            def cast_sig_ok(e, what):
                lab, eph, cls, token, sig, sealed, csig = e
                msg = (lp("ballot-cast/v1") + lp(eph) + lp(cls) +
                       lp(token) + lp(sealed))
                vtmp = tempfile.mkdtemp(dir=tmp)
                check(ed25519_verify(token[32:], msg, csig, vtmp),
                      "cast_sig of %s: by the key in the token" % what)
                shutil.rmtree(vtmp)

            def revote(v):
                e1 = parse_entry(unb64url(v["rf"]["entry"]))
                lab, eph, cls, token, sig, sealed, csig = e1
                check(eph == ph and cls.decode() == v["class"],
                      "entry of %s" % v["id"])
                cast_sig_ok(e1, v["id"])
                nb = {"committee": random_ranking(rng_r[v["id"]], 7,
                                                  False)}
                if v["class"] == both:
                    nb["office"] = random_ranking(rng_r[v["id"]], 4, False)
                v["ballot2"] = nb
                v["receipt2"] = os.path.join(tmp, "r2-%s.json" % v["id"])
                out, v["rf2"] = vote(v, nb, v["receipt2"],
                                     extra=["--revote", v["token_file"]],
                                     cred=False)
                check("it replaces your earlier ballot" in out, out)
                e2 = parse_entry(unb64url(v["rf2"]["entry"]))
                check(e2[3] == token and e2[4] == sig and e2[5] != sealed
                      and e2[6] != csig,
                      "the revote of %s: same token, new ballot" % v["id"])
                cast_sig_ok(e2, v["id"] + "'s revote")
            rng_r = {v["id"]: random.Random("%d-%s" % (SEED, v["id"]))
                     for v in revoters}
            pmap(revote, revoters)
            total = nvoters + n_revote
            check(sorted(v["rf2"]["receipt"]["leaf_index"]
                         for v in revoters) ==
                  list(range(nvoters, total)), "revotes are later leaves")

            # 4. Close; every receipt against the final head.
            out = ctl.ok("poll", "close", POLL)
            check("final tree head: %d entries, signature verified" % total
                  in out, out)
            receipts = [v["receipt"] for v in voters] + \
                [v["receipt2"] for v in revoters]

            def check_receipt(rp):
                rc, out, err = ctl.run("check-receipt", POLL, rp)
                check(rc == 0 and "honoured" in out and
                      "under the tree head of %d leaves" % total in out,
                      "check-receipt %s: exit %d\n%s\n%s" %
                      (rp, rc, out, err))
            ts = time.monotonic()
            pmap(check_receipt, receipts)
            times["check-receipt"] = time.monotonic() - ts
            # ... and it can fail: one bit of an entry's sealed ballot.
            with open(receipts[0]) as f:
                rf = json.load(f)
            eb = bytearray(unb64url(rf["entry"]))
            eb[-1] ^= 1
            rf["entry"] = b64url(bytes(eb))
            bad = os.path.join(tmp, "tampered.json")
            with open(bad, "w") as f:
                json.dump(rf, f)
            rc, out, err = ctl.run("check-receipt", POLL, bad)
            check(rc == 1 and "FAIL leaf hash" in err, (rc, out, err))

            # The board: exactly one entry per vote, each receipt's own.
            # (A new connection: the daemon closes one idle for its
            # timeout, 30 s, which the votes may take in a slow build.)
            c.close()
            c = d.client()
            sth = c.get("/polls/%s/board/sth" % POLL).json
            check(sth["tree_size"] == total, "final size %r" % sth)
            entries = []
            while len(entries) < total:
                r = c.get("/polls/%s/board/entries?start=%d" %
                          (POLL, len(entries)))
                check(r.status == 200 and r.json["entries"], r)
                entries += r.json["entries"]
            check(len(entries) == total, "%d entries" % len(entries))
            r = c.get("/polls/%s/board/entries?start=%d" % (POLL, total))
            check(r.status == 200 and r.json["entries"] == [],
                  "nothing past the final head")
            for i, e in enumerate(entries):
                check(e["leaf_index"] == i and e["leaf_hash"] ==
                      H(b"\x00" + unb64url(e["entry"])).hex(),
                      "entry %d" % i)
            for v in voters + revoters:
                for key in ("rf", "rf2"):
                    if key not in v:
                        continue
                    rc_ = v[key]["receipt"]
                    e = entries[rc_["leaf_index"]]
                    check(e["entry"] == v[key]["entry"] and
                          e["leaf_hash"] == rc_["leaf_hash"],
                          "the entry of %s's receipt" % v["id"])
            # One inclusion proof checked here too, against the final root.
            rc0 = voters[-1]["rf"]["receipt"]
            inc = c.get("/polls/%s/board/inclusion?leaf_hash=%s" %
                        (POLL, rc0["leaf_hash"])).json
            check(verify_inclusion(
                rc0["leaf_index"], total, bytes.fromhex(rc0["leaf_hash"]),
                [bytes.fromhex(x) for x in inc["proof"]],
                bytes.fromhex(sth["root"])), "inclusion (Python)")

            # Status counts per class.
            st = c.get("/polls/%s/status" % POLL).json
            check(st["state"] == "closed" and st["tree_size"] == total, st)
            cls = {x["id"]: x for x in st["classes"]}
            rev = {both: 0, comm: 0}
            for v in revoters:
                rev[v["class"]] += 1
            for cid, n in ((both, n_both), (comm, n_comm)):
                check(cls[cid]["voters"] == n and
                      cls[cid]["tokens_issued"] == n and
                      cls[cid]["tokens_cast"] == n and
                      cls[cid]["entries"] == n + rev[cid],
                      "status of %s: %r (revotes %d)" %
                      (cid, cls[cid], rev[cid]))
            check(set(cls) == {both, comm}, "classes %r" % list(cls))
            iss = []
            while True:
                r = c.get("/polls/%s/issuance?start=%d" % (POLL, len(iss)))
                check(r.status == 200, r)
                if not r.json["issuance"]:
                    break
                iss += r.json["issuance"]
            check(len(iss) == nvoters and
                  sum(x["class"] == comm for x in iss) == n_comm and
                  len({x["pseudonym"] for x in iss}) == nvoters,
                  "issuance log of %d" % len(iss))

            # The state records: chain and signatures.
            states = c.get("/polls/%s/states" % POLL).json
            check(unb64url(states["board_key"]) == board_key, "board key")
            kinds = [s["kind"] for s in states["states"]]
            check(kinds == ["roll", "ceremony", "ceremony-done", "open",
                            "closed"], "state kinds %r" % kinds)
            prev = bytes(32)
            for i, s in enumerate(states["states"]):
                rec = (lp("ballot-state/v1") + lp(ph) + lp(u64(i)) +
                       lp(s["kind"]) + lp(u64(s["time_ms"])) +
                       lp(s["details"].encode()) + lp(prev))
                check(s["n"] == i and unb64url(s["record"]) == rec,
                      "record %d bytes" % i)
                check(s["hash"] == H(rec).hex(), "h_%d = H(rec_%d)" % (i, i))
                check(ed25519_verify(board_key, rec,
                                     unb64url(s["signature"]), tmp),
                      "signature of state record %d" % i)
                prev = H(rec)
            det = [json.loads(s["details"]) for s in states["states"]]
            check(det[0]["voters"] == nvoters, det[0])
            check(det[2]["election_key"] == g["election_key"] and
                  det[2]["qual"] == [1, 2, 3], det[2])
            check(det[3]["election_key"] == g["election_key"], det[3])
            check(det[4]["tree_size"] == total and
                  det[4]["sth"]["root"] == sth["root"], det[4])
            sth_bytes = (b"ballot-sth/v1" + u64(total) +
                         bytes.fromhex(sth["root"]) +
                         u64(sth["timestamp_ms"]) + ph)
            check(len(sth_bytes) == 93 and ed25519_verify(
                board_key, sth_bytes, unb64url(sth["signature"]), tmp),
                "the final head's signature")

            # 5. Two trustees release; the key is rebuilt here.
            for t in (trustees[0], trustees[2]):
                ctl.ok("trustee", "release", POLL, "--key", t["key"],
                       "--state", t["state"])
            rel = [m for m in c.get("/polls/%s/ceremony/messages" %
                                    POLL).json["messages"]
                   if m["kind"] == "release"]
            check(sorted(m["from"] for m in rel) == [1, 3], rel)
            xs = {}
            for m in rel:
                body = unb64url(m["body"])
                check(len(body) == 33 and body[0] == m["from"], body)
                xs[m["from"]] = int.from_bytes(body[1:], "big")
            key = 0
            for j, xj in xs.items():
                lam = 1
                for m in xs:
                    if m != j:
                        lam = lam * m * pow(m - j, -1, N) % N
                key = (key + lam * xj) % N
            check(ec_mul(key, G) == y,
                  "the released shares do not rebuild the election key")
            # One share alone does not (k = 2).
            check(ec_mul(xs[1], G) != y, "one share is the key")
            c.close()
            d.stop_ok()
            bad = re.findall(r".* 5\d\d [0-9.]+ms.*|.*runtime error.*",
                             d.log())
            check(not bad, "server errors in the log: %s" % bad[:5])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("  %d voters (%d + %d), %d revotes; ceremony %.1fs, votes %.1fs, "
          "check-receipt %.1fs, total %.1fs" %
          (nvoters, n_both, n_comm, n_revote, times["ceremony"],
           times["votes"], times["check-receipt"], time.monotonic() - t0))


if __name__ == "__main__":
    harness.main([test_e2e], time_limit=int(
        os.environ.get("BALLOT_E2E_TIME_LIMIT", "300")))
