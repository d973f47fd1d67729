"""The tally and the published election record (docs/record.md) through a
real ballotd: three trustees (k = 2) run the real key ceremony with
`ballotctl trustee`; 40 voters in two classes vote with `ballotctl vote`
in three contests (an STV committee of 2 seats, an IRV option contest and
a referendum); one voter revotes (revoting is on: `vote --keep-token`,
then `vote --revote`); another voter's kept token is used for a cast
whose sealed ballot does not decrypt (sent by hand, signed with the cast
key from the token file: ballotctl refuses invalid ballots locally, so
no decrypting-but-invalid ballot can be made with it); then the close, the
releases, `ballotctl tally`, `ballotctl publish` and GET record.tar.

Expected values are worked out here from the ballots the test cast: the
BLT lines (from each voter's receipt leaf, class weight and choices), the
winners (designed to be clear: see BALLOTS), the record's layout and
tarball order (record.md), x*G = Y in Python P-256 arithmetic.  Every
contest's JSON is compared with what `verifier count` prints for its BLT.

usage: python3 test_tally.py BUILD_DIR
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ballotd_harness import (SKIP, Ballotd, CastKey,  # noqa: E402
                             binary_path, cast_bytes, main)
from realpoll import (Ctl, check, create_poll, import_roll,  # noqa: E402
                      run_ceremony)
from testcrypto import G, b64u, ec_mul, point, unb64u  # noqa: E402

PID = "tally-test"
COMMITTEE = ["Anne", "Bob \"B\" Jones", "Cat", "Dan"]
MAYOR = ["Xena", "Yuri", "Zoe"]
MOTION = ["Yes", "No"]

DEFINITION = {
    "format": "ballot-poll/1", "id": PID, "title": "Tally test 2026",
    "revoting": True, "ballot_size": 512, "min_class_size": 1,
    "contests": [
        {"id": "committee", "title": "Committee", "kind": "stv",
         "rule": "scottish-stv", "seats": 2,
         "candidates": [{"name": n} for n in COMMITTEE]},
        {"id": "mayor", "title": "Mayor", "kind": "option", "rule": "irv",
         "seats": 1, "candidates": [{"name": n} for n in MAYOR]},
        {"id": "motion", "title": "Motion 1", "kind": "referendum",
         "candidates": [{"name": n} for n in MOTION]},
    ],
}
CLASS_A = "committee+mayor+motion*1"   # v01..v34
CLASS_B = "committee*2"                # v35..v40 (sorts first: '*' < '+')


def ballot_of(i):
    """Voter i's (1..40) choices.  Designed outcome, counting weights:
    committee first preferences Anne 13+6 = 19 (v02 does not count),
    Bob 12, Cat 5+6 = 11, Dan 2, one blank: 44 valid, Scottish quota
    15, so Anne at stage 1 and Bob, the only other with a surplus
    transfer, last; mayor Xena 19 of 32 valid, a majority at stage 1;
    motion Yes 21, No 8: passed (more than half of yes + no)."""
    if i >= 35:
        return {"committee": [1] if i <= 37 else [3, 1]}
    b = {}
    b["committee"] = ([1, 2] if i <= 14 else [2, 3] if i <= 26 else
                      [3, 4] if i <= 31 else [4] if i <= 33 else [])
    b["mayor"] = ([1] if i <= 20 else [2, 1] if i <= 28 else
                  [3, 2] if i <= 33 else [])
    b["motion"] = [1] if i <= 22 else [2] if i <= 30 else []
    return b


# v01 first votes this, then revotes ballot_of(1).
FIRST_V01 = {"committee": [3], "mayor": [2], "motion": [2]}


def lp_fields(b):
    out = []
    while b:
        n = int.from_bytes(b[:4], "big")
        out.append(b[4:4 + n])
        b = b[4 + n:]
    return out


def blt_quote(s):
    return '"' + s.replace('"', '""') + '"'


def expected_blt(contest, ncand, seats, names, title, counted):
    """record.md's BLT: counted = [(leaf, weight, ranks)] in leaf order."""
    lines = ["%d %d" % (ncand, seats)]
    for leaf, w, ranks in counted:
        lines.append(" ".join(["(L%d)" % leaf, str(w)] +
                              [str(r) for r in ranks] + ["0"]))
    lines.append("0")
    lines += [blt_quote(n) for n in names] + [blt_quote(title)]
    return "\n".join(lines) + "\n"


def layout(contests):
    files = ["README.txt", "poll.json", "keys.json", "states.jsonl",
             "ceremony.jsonl", "issuance.jsonl", "board/entries.jsonl",
             "board/sths.jsonl", "election-key.json", "ballots.jsonl"]
    files += sorted(["contests/%s.blt" % c for c in contests] +
                    ["contests/%s.json" % c for c in contests])
    return files + ["results.json", "report.html"]


def test_tally(build):
    ctl_bin = os.path.join(build, "ballotctl", "ballotctl")
    verifier = os.path.join(build, "verifier", "verifier")
    for b in (ctl_bin, verifier):
        if not os.access(b, os.X_OK):
            print("no %s: skipped" % b)
            sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="tally-test-")
    try:
        with Ballotd(build) as d:
            d.start()
            tarbytes = run_poll(build, d, tmp, verifier)
            # The record survives a restart (its table is made on first
            # use; the store's start-up checks must accept it).
            d.stop_ok()
            d.restart()
            r = d.client().get("/polls/%s/record.tar" % PID)
            check(r.status == 200 and r.body == tarbytes, r)
            d.stop_ok()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_poll(build, d, tmp, verifier):
    c = d.client()
    url = "http://127.0.0.1:%d" % d.http_port
    ctl = Ctl(build, url)
    ts, defpath = create_poll(ctl, tmp, DEFINITION)
    _, _, rows = import_roll(ctl, PID, tmp, ["voter_id,weight,contests"] + [
        "v%02d,%s" % (i, "2,committee" if i >= 35 else ",")
        for i in range(1, 41)])
    creds = {r["voter_id"]: (r["credential"], r["class"]) for r in rows}
    check(creds["v01"][1] == CLASS_A and creds["v40"][1] == CLASS_B, creds)
    run_ceremony(ctl, PID, ts)
    ctl.ok("poll", "open", PID)
    poll = c.get("/polls/%s" % PID).json
    ph = bytes.fromhex(poll["poll_hash"])

    # Refused before the close.
    out = os.path.join(tmp, PID)
    rc, o, e = ctl.run("tally", PID, "--out", out)
    check(rc == 1 and "closed" in e and not os.path.exists(out),
          "tally while open: %d %s" % (rc, e))

    # ---- the votes ----
    final = {}   # voter -> (leaf, weight, ballot) of the entry that counts
    receipts = {}
    casts = {CLASS_A: 0, CLASS_B: 0}   # board entries sent, per class

    def vote(i, ballot, name=None, extra=()):
        v = "v%02d" % i
        rpath = os.path.join(tmp, name or "r%s.json" % v)
        args = ["vote", PID, "--ballot", json.dumps(ballot), "--receipt",
                rpath] + list(extra)
        if "--revote" not in extra:
            args += ["--credential", creds[v][0]]
        ctl.ok(*args)
        casts[CLASS_B if i >= 35 else CLASS_A] += 1
        r = json.load(open(rpath))
        receipts[v] = r
        return r

    # v01 and v02 keep their tokens (and cast keys) for later.
    tokf = {i: os.path.join(tmp, "token-v%02d" % i) for i in (1, 2)}
    for i in range(1, 41):
        b = FIRST_V01 if i == 1 else ballot_of(i)
        r = vote(i, b, extra=["--keep-token", tokf[i]] if i in tokf else [])
        final["v%02d" % i] = (r["receipt"]["leaf_index"],
                              2 if i >= 35 else 1, b)
    # v01 revotes with its kept token.
    first_v01 = final["v01"][0]
    f = lp_fields(unb64u(receipts["v01"]["entry"]))
    check(f[0] == b"ballot-entry/v2" and f[1] == ph and
          f[2] == CLASS_A.encode() and len(f) == 7, "v01 entry fields")
    r = vote(1, ballot_of(1), name="rv01b.json",
             extra=["--revote", tokf[1]])
    revote_v01 = r["receipt"]["leaf_index"]
    check(revote_v01 > first_v01, "revote leaf")
    f2 = lp_fields(unb64u(r["entry"]))
    check(f2[3] == f[3] and f2[4] == f[4] and f2[5] != f[5],
          "the revote: the same token, a new ballot")
    final["v01"] = (revote_v01, 1, ballot_of(1))
    # A token file whose cast key is not the token's is refused before
    # anything is sent.
    with open(tokf[1]) as fh:
        tf = json.load(fh)
    tf["cast_key"] = b64u(bytes(32))
    badtok = os.path.join(tmp, "token-bad")
    with open(badtok, "w") as fh:
        json.dump(tf, fh)
    rc, o, e = ctl.run("vote", PID, "--revote", badtok, "--ballot",
                       json.dumps(ballot_of(1)), "--receipt",
                       os.path.join(tmp, "rv01c.json"))
    check(rc == 1 and "cast_key is not the key in the token" in e,
          "a token file with another key: %d %s" % (rc, e))
    # v02's token, used again for a sealed ballot that does not decrypt,
    # signed with v02's cast key (from its token file).
    first_v02 = final["v02"][0]
    f = lp_fields(unb64u(receipts["v02"]["entry"]))
    with open(tokf[2]) as fh:
        key = CastKey(unb64u(json.load(fh)["cast_key"]))
    check(key.pub == f[3][32:], "the token file's key is the token's msg")
    bad = f[5][:65] + bytes((x ^ 0x5a) for x in f[5][65:])
    r = c.post("/polls/%s/casts" % PID, {
        "class": CLASS_A, "token": b64u(f[3]), "sig": b64u(f[4]),
        "ballot": b64u(bad),
        "cast_sig": b64u(key.sign(cast_bytes(ph, CLASS_A, f[3], bad)))})
    check(r.status == 200, r)
    casts[CLASS_A] += 1
    garbage_v02 = r.json["leaf_index"]
    del final["v02"]

    ctl.ok("poll", "close", PID)
    # One release is not enough (k = 2).
    ctl.ok("trustee", "release", PID, "--key", ts[0].key, "--state",
           ts[0].state)
    rc, o, e = ctl.run("tally", PID, "--out", out)
    check(rc == 1 and "1 valid release of the 2 needed" in e and
          "trustee 1: valid" in e and not os.path.exists(out),
          "tally with one release: %d %s" % (rc, e))
    ctl.ok("trustee", "release", PID, "--key", ts[2].key, "--state",
           ts[2].state)
    o = ctl.ok("tally", PID, "--out", out)
    check("committee: Anne, Bob \"B\" Jones" in o and "mayor: Xena" in o
          and "motion: passed" in o, o)
    # Never overwritten.
    rc, o2, e = ctl.run("tally", PID, "--out", out)
    check(rc == 3 and "exists" in e, "tally over a record: %d %s" % (rc, e))

    # ---- the directory ----
    contests = ["committee", "mayor", "motion"]
    want = layout(contests)
    got = sorted(os.path.relpath(os.path.join(dp, fn), out)
                 for dp, _, fns in os.walk(out) for fn in fns)
    check(got == sorted(want), "layout: %s" % got)
    files = {n: open(os.path.join(out, n), "rb").read() for n in want}
    check(files["poll.json"] == open(defpath, "rb").read(), "poll.json")
    for n in want:
        if n.endswith(".json"):
            json.loads(files[n])
        elif n.endswith(".jsonl"):
            check(files[n].endswith(b"\n") or not files[n], n)
            for line in files[n].decode().splitlines():
                json.loads(line)
    keys = json.loads(files["keys.json"])
    check(keys["poll_hash"] == ph.hex() and
          keys["election_key"] == poll["election_key"] and
          [k["id"] for k in keys["classes"]] == [CLASS_B, CLASS_A], keys)
    states = [json.loads(x) for x in files["states.jsonl"].splitlines()]
    check([s["n"] for s in states] == list(range(len(states))) and
          states[0]["prev"] == "0" * 64 and
          all(states[k]["prev"] == states[k - 1]["hash"]
              for k in range(1, len(states))) and
          states[-1]["kind"] == "closed", [s["kind"] for s in states])
    for s in states:
        check(json.loads(unb64u(s["details_bytes"])) == s["details"], s)
    cer = [json.loads(x) for x in files["ceremony.jsonl"].splitlines()]
    check([m["kind"] for m in cer].count("release") == 2, "releases")
    iss = [json.loads(x) for x in files["issuance.jsonl"].splitlines()]
    check(len(iss) == 40, len(iss))
    ents = [json.loads(x) for x in files["board/entries.jsonl"].splitlines()]
    check([e["leaf_index"] for e in ents] == list(range(42)) and
          set(ents[0]) == {"leaf_index", "leaf_hash", "entry"}, ents[0])
    sths = [json.loads(x) for x in files["board/sths.jsonl"].splitlines()]
    sizes = [s["tree_size"] for s in sths]
    check(sizes == sorted(set(sizes)) and sizes[-1] == 42 and
          sths[-1]["root"] == states[-1]["details"]["sth"]["root"], sizes)

    # The rebuilt key: x*G = Y, from shares 1 and 3.
    ek = json.loads(files["election-key.json"])
    x = int(ek["private_key"], 16)
    y = point(unb64u(poll["election_key"]))
    check(ec_mul(x, G) == y, "private key * G != the election key")
    check(ek["shares_used"] == [1, 3] and ek["shares_rejected"] == [] and
          ek["public_key"] == poll["election_key"], ek)

    # ballots.jsonl: the revote and the entry that does not decrypt.
    bl = [json.loads(x) for x in files["ballots.jsonl"].splitlines()]
    check(len(bl) == 42, len(bl))
    byleaf = {b["leaf_index"]: b for b in bl}
    check(byleaf[first_v01]["superseded_by"] == revote_v01 and
          byleaf[first_v01]["valid"] and not byleaf[first_v01]["counted"],
          byleaf[first_v01])
    check(byleaf[revote_v01]["counted"] and
          byleaf[revote_v01]["superseded_by"] is None and
          byleaf[revote_v01]["token_id"] == byleaf[first_v01]["token_id"],
          byleaf[revote_v01])
    check(byleaf[garbage_v02] == {
        "leaf_index": garbage_v02,
        "token_id": byleaf[first_v02]["token_id"], "class": CLASS_A,
        "plaintext": None, "valid": False, "reason": "does not decrypt",
        "counted": False, "superseded_by": None}, byleaf[garbage_v02])
    check(byleaf[first_v02]["superseded_by"] == garbage_v02 and
          not byleaf[first_v02]["counted"], byleaf[first_v02])
    pt = json.loads(unb64u(byleaf[revote_v01]["plaintext"]))
    check(pt == {"v": 1, "poll": PID, "class": CLASS_A,
                 "contests": ballot_of(1)}, pt)
    check(sum(b["counted"] for b in bl) == 39, "39 counted")

    # The BLTs, from the test's own list of counted ballots.
    counted = sorted(final.values())
    specs = {"committee": (4, 2, COMMITTEE, "Committee"),
             "mayor": (3, 1, MAYOR, "Mayor"),
             "motion": (2, 1, MOTION, "Motion 1")}
    for cid, (nc, seats, names, title) in specs.items():
        lines = [(leaf, w, b[cid]) for leaf, w, b in counted if cid in b]
        exp = expected_blt(cid, nc, seats, names, title, lines)
        check(files["contests/%s.blt" % cid].decode() == exp,
              "contests/%s.blt:\n%s\nexpected:\n%s" % (
                  cid, files["contests/%s.blt" % cid].decode(), exp))
    # verifier count prints each contest's JSON exactly.
    args = {"committee": ["--method", "stv", "--rule", "scottish-stv",
                          "--seats", "2"],
            "mayor": ["--method", "stv", "--rule", "irv", "--seats", "1"],
            "motion": ["--method", "referendum", "--threshold", "1/2",
                       "--more-than", "--abstentions", "excluded"]}
    for cid in contests:
        p = subprocess.run([verifier, "count"] + args[cid] +
                           [os.path.join(out, "contests", cid + ".blt")],
                           capture_output=True, timeout=60)
        check(p.returncode == 0 and
              p.stdout == files["contests/%s.json" % cid],
              "verifier count %s: %r" % (cid, p))
    res = json.loads(files["results.json"])
    el = {k["id"]: k for k in res["contests"]}
    check(el["committee"]["elected"] == ["Anne", "Bob \"B\" Jones"] and
          el["mayor"]["elected"] == ["Xena"] and
          el["motion"]["passed"] is True, res["contests"])
    t = res["turnout"]
    check((t["voters"], t["tokens_issued"], t["ballots_cast"], t["counted"],
           t["invalid"]) == (40, 40, 42, 39, 1), t)
    check([(b["id"], b["counted"], b["weight"]) for b in t["by_class"]] ==
          [(CLASS_B, 6, 2), (CLASS_A, 33, 1)], t["by_class"])
    # cast: every entry the test sent of the class, the revote and the
    # cast that does not decrypt included (class A: 34 + 2 = 36).
    check(casts == {CLASS_A: 36, CLASS_B: 6}, casts)
    check(sum(casts.values()) == t["ballots_cast"], casts)
    want_bc = [
        {"id": CLASS_B, "voters": 6, "tokens_issued": 6,
         "cast": casts[CLASS_B], "counted": 6, "weight": 2},
        {"id": CLASS_A, "voters": 34, "tokens_issued": 34,
         "cast": casts[CLASS_A], "counted": 33, "weight": 1}]
    check(t["by_class"] == want_bc and
          [list(b) for b in t["by_class"]] == [list(b) for b in want_bc],
          "by_class (members in record.md's order):\n%r\nexpected\n%r"
          % (t["by_class"], want_bc))
    com = json.loads(files["contests/committee.json"])
    check(com["invalid_ballots"] == 1 and com["valid_ballots"] == 44, com)
    html = files["report.html"].decode()
    check(html.startswith("<!DOCTYPE html>") and "does not decrypt" in html
          and "<script" not in html and "Xena" in html, "report.html")
    # The class table: weight, voters, tokens issued, ballots cast,
    # counted.
    check("<th>Tokens issued</th><th>Ballots cast</th><th>Counted</th>"
          in html, "report.html: no Ballots cast column")
    for b in want_bc:
        row = "<tr><td>%s</td>%s</tr>" % (b["id"], "".join(
            "<td>%d</td>" % b[k] for k in ("weight", "voters",
                                           "tokens_issued", "cast",
                                           "counted")))
        check(row in html, "report.html: no row %s" % row)

    # ---- the tarball ----
    tarpath = out + ".record.tar"
    tarbytes = open(tarpath, "rb").read()
    with tarfile.open(tarpath, format=tarfile.USTAR_FORMAT) as tf:
        members = tf.getmembers()
        check([m.name for m in members] == [PID + "/" + n for n in want],
              [m.name for m in members])
        for m in members:
            check(m.isreg() and m.mode == 0o644 and m.uid == 0 and
                  m.gid == 0 and m.mtime == states[-1]["time_ms"] // 1000,
                  m.name)
            check(tf.extractfile(m).read() == files[m.name[len(PID) + 1:]],
                  m.name)

    # The independent checker, when this build has it (docs/verifier.md).
    h = subprocess.run([verifier, "--help"], capture_output=True, text=True,
                       timeout=30)
    if "check" in h.stdout + h.stderr:
        for target in (out, tarpath):
            p = subprocess.run([verifier, "check", target],
                               capture_output=True, text=True, timeout=120)
            check(p.returncode == 0, "verifier check %s: %r" % (target, p))

    # ---- publish ----
    r = c.get("/polls/%s/record.tar" % PID)
    check(r.status == 404, "record before publishing: %r" % r)
    ctl.ok("publish", PID, tarpath)
    r = c.get("/polls/%s/record.tar" % PID)
    check(r.status == 200 and r.body == tarbytes and
          r.header("content-type") == "application/x-tar", r)
    check(c.get("/polls/%s" % PID).json["state"] == "published", "state")
    rc, o, e = ctl.run("publish", PID, tarpath)
    check(rc == 1 and "409" in e, "publish twice: %d %s" % (rc, e))
    # Not a tarball of this poll.
    rc, o, e = ctl.run("publish", PID, defpath)
    check(rc == 1 and "not the record tarball" in e, e)
    r = c.post("/polls/%s/record" % PID, b"x" * 2048,
               content_type="application/x-tar", organiser=True)
    check(r.status == 400, r)
    r = c.post("/polls/%s/record" % PID, tarbytes,
               content_type="application/x-tar")
    check(r.status == 401, r)
    # The heads' list pages by size.
    r = c.get("/polls/%s/board/sths?start=%d" % (PID, sizes[-1]))
    check(r.status == 200 and [s["tree_size"] for s in r.json["sths"]] ==
          [sizes[-1]], r)
    r = c.get("/polls/%s/board/sths?start=x" % PID)
    check(r.status == 400, r)
    c.close()
    return tarbytes


if __name__ == "__main__":
    if len(sys.argv) == 2 and not os.access(binary_path(sys.argv[1]),
                                            os.X_OK):
        print("no ballotd: skipped")
        sys.exit(SKIP)
    main([test_tally], time_limit=170)
