"""What organisations put in one poll (issue 7), end to end through a
real ballotd: one poll with

- `committee`: 3 seats, Scottish STV, at least one woman (a constraint
  that binds: the plain count elects three men);
- `north-rep` / `south-rep`: a regional seat each, voted only by that
  region's members;
- `youth-seat`: a reserved seat voted only by the youth section;
- `list`: an ordered list of 15 candidates (repeated STV);
- `mayor`: three options plus "None of these", counted by IRV;
- `motion`: a two-thirds referendum with an "Abstain" option and blank
  votes (abstentions shown, not in the base), passed exactly on the
  threshold; `motion-2`: a simple majority (the default) tied 40 to 40,
  not passed;

and 63 voters in 8 eligibility classes: north and south members, north
and south youth (weight 1), and delegates of weights 2, 3, 4 and 5 (from
the roll's `weight` column).  Three trustees (k = 2) run the real key
ceremony with `ballotctl trustee`; every voter votes with `ballotctl
vote` (real tokens, real casts); one north member, with the token and
cast key kept from their real vote, casts a ballot sealed by
tests/tools/forge-ballot (real HPKE) that also votes for `south-rep`, a
contest their class does not cover (the same token presented as
another class's is refused by the server).  Then the close, the releases,
`ballotctl tally`, `ballotctl publish`, and `verifier check` on the
directory and the tarball with receipts.  ORG_POLL_SHOW=1 prints what
`verifier check` reports for each tampered copy.

Expected values are worked out here, not taken from the code under test:
the ballots are designed so that each outcome follows by hand (see the
comments at each contest), the BLT files are rebuilt from the test's own
list of ballots, leaves and class weights, and the per-class counts come
from the roll the test wrote.  The record is then tampered with (a
ballot of an uncovered contest counted, weights inflated, the
referendum's threshold misapplied) and `verifier check` must name each
fault: file, entry and check.

usage: python3 test_org_poll.py BUILD_DIR
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ballotd_harness import (SKIP, Ballotd, CastKey,  # noqa: E402
                             binary_path, cast_bytes, main)
from realpoll import (Ctl, check, create_poll, import_roll,  # noqa: E402
                      run_ceremony)
from testcrypto import b64u, unb64u  # noqa: E402

PID = "org-poll"
STATE = {}

# ---- the poll ----

COMMITTEE = ["Mark", "Wendy", "Nils", "Vera", "Owen", "Paul"]
WOMEN = {"Wendy", "Vera"}
NORTH = ["Nora", "Ned", "Nina"]
SOUTH = ["Sam", "Sara", "Sven"]
YOUTH = ["Yan", "Yola", "Yusuf"]
LIST = ["Abbot", "Baker", "Cohen", "Dunn", "Evans", "Fox", "Gray",
        "Hale", "Ives", "Jones", "Khan", "Lowe", "Moss", "Nash", "Ortiz"]
# The members' consensus order for the list (0-based indexes into LIST).
CONSENSUS = [7, 2, 11, 0, 14, 5, 9, 3, 12, 1, 8, 13, 4, 10, 6]
MAYOR = ["Harbour plan", "Park plan", "Road plan", "None of these"]
MOTION = ["Yes", "No", "Abstain"]

DEFINITION = {
    "format": "ballot-poll/1", "id": PID,
    "title": "Annual conference ballot 2026",
    "revoting": True, "ballot_size": 1024, "min_class_size": 4,
    "contests": [
        {"id": "committee", "title": "National committee", "kind": "stv",
         "rule": "scottish-stv", "seats": 3,
         "candidates": [{"name": n, "categories": ["women"]} if n in WOMEN
                        else {"name": n} for n in COMMITTEE],
         "constraints": [{"category": "women", "min": 1}]},
        {"id": "north-rep", "title": "North region representative",
         "seats": 1, "candidates": [{"name": n} for n in NORTH]},
        {"id": "south-rep", "title": "South region representative",
         "seats": 1, "candidates": [{"name": n} for n in SOUTH]},
        {"id": "youth-seat", "title": "Youth section seat", "seats": 1,
         "candidates": [{"name": n} for n in YOUTH]},
        {"id": "list", "title": "Order of our list", "kind": "ordered-list",
         "rule": "scottish-stv",
         "candidates": [{"name": n} for n in LIST]},
        {"id": "mayor", "title": "Which plan for the site?",
         "kind": "option", "rule": "irv",
         "candidates": [{"name": n} for n in MAYOR]},
        {"id": "motion", "title": "Motion 3: change the rules",
         "kind": "referendum",
         "candidates": [{"name": n} for n in MOTION],
         "threshold": {"numerator": 2, "denominator": 3,
                       "abstentions": "excluded"}},
        {"id": "motion-2", "title": "Motion 4: affiliate",
         "kind": "referendum",
         "candidates": [{"name": "Yes"}, {"name": "No"}]},
    ],
}
CONTEST_IDS = [k["id"] for k in DEFINITION["contests"]]
COMMON = ["committee", "list", "mayor", "motion", "motion-2"]


def class_id(contests, weight):
    """protocol.md section 4, written here independently."""
    return "+".join(sorted(contests, key=lambda s: s.encode())) + \
        "*%d" % weight


# ---- the roll: 63 voters, 8 classes ----

def roster():
    """[(voter id, contests, weight)] in roll order."""
    v = []
    v += [("n%02d" % i, COMMON + ["north-rep"], 1) for i in range(1, 17)]
    v += [("y%02d" % i, COMMON + ["north-rep", "youth-seat"], 1)
          for i in range(1, 5)]
    v += [("s%02d" % i, COMMON + ["south-rep"], 1) for i in range(1, 17)]
    v += [("z%02d" % i, COMMON + ["south-rep", "youth-seat"], 1)
          for i in range(1, 4)]       # 3 < min_class_size 4: a small class
    for letter, w in (("a", 2), ("b", 3), ("c", 4), ("d", 5)):
        v += [("%s%02d" % (letter, i), COMMON, w) for i in range(1, 7)]
    return v


VOTERS = roster()
WEIGHT = {vid: w for vid, _, w in VOTERS}
CLASS = {vid: class_id(cs, w) for vid, cs, w in VOTERS}
CONTESTS_OF = {vid: set(cs) for vid, cs, _ in VOTERS}
FORGER = "n16"      # votes, then casts the forged ballot with its token
ABSENT = "s16"      # never votes: tokens issued < voters
BLANKER = "s15"     # votes only in south-rep, blank elsewhere


def design():
    """Every voter's choices (candidate names, best first) per contest.
    The totals below are weights, checked by tally_of() before voting."""
    D5 = ["d%02d" % i for i in range(1, 7)]
    D4 = ["c%02d" % i for i in range(1, 7)]
    D3 = ["b%02d" % i for i in range(1, 7)]
    D2 = ["a%02d" % i for i in range(1, 7)]
    # The 36 members who vote in the common contests.
    M = (["n%02d" % i for i in range(1, 16)] +
         ["y%02d" % i for i in range(1, 5)] +
         ["s%02d" % i for i in range(1, 15)] +
         ["z%02d" % i for i in range(1, 4)])
    assert len(M) == 36
    b = {vid: {} for vid, _, _ in VOTERS if vid != ABSENT}

    def give(contest, voters, names):
        for v in voters:
            assert contest not in b[v], (v, contest)
            b[v][contest] = list(names)

    # committee (bullet votes): Mark 30, Nils 25, Owen 20, Wendy 15,
    # Vera 10, Paul 5; 105 valid, quota floor(105/4)+1 = 27.
    give("committee", D5, ["Mark"])
    give("committee", D4 + M[0:1], ["Nils"])
    give("committee", D3 + M[1:3], ["Owen"])
    give("committee", D2 + M[3:6], ["Wendy"])
    give("committee", M[6:16], ["Vera"])
    give("committee", M[16:21], ["Paul"])
    # list: ballot type j (1..15) puts the consensus's j-th candidate
    # first, then the consensus order; type j totals 16 - j.
    order = [LIST[i] for i in CONSENSUS]

    def ltype(j):
        first = order[j - 1]
        return [first] + [n for n in order if n != first]
    groups = [D5[0:3], D5[3:5] + D4[0:1], D5[5:6] + D4[1:3], D4[3:6],
              D3[0:3] + D2[0:1], D3[3:5] + D2[1:3], D3[5:6] + D2[3:6]]
    at = 0
    for size in (8, 7, 6, 5, 4, 3, 2, 1):
        groups.append(M[at:at + size])
        at += size
    assert at == 36 and len(groups) == 15
    for j, g in enumerate(groups, 1):
        give("list", g, ltype(j))
    # mayor: Harbour 40, Park 35, None of these 25, Road 20.
    give("mayor", D5 + D2[0:5], ["Harbour plan"])
    give("mayor", D4 + D3[0:3] + D2[5:6], ["Park plan"])
    give("mayor", D3[3:6] + M[0:11], ["Road plan", "Park plan"])
    give("mayor", M[11:26], ["None of these"])
    give("mayor", M[26:36], ["None of these", "Harbour plan"])
    # motion: Yes 60, No 30, Abstain 10, blank 20 (+ BLANKER).
    give("motion", D5 + D4 + D2[0:3], ["Yes"])
    give("motion", D3 + D2[3:6] + M[0:6], ["No"])
    give("motion", M[6:16], ["Abstain"])
    # motion-2 (a simple majority, the default): Yes 40, No 40.
    give("motion-2", D5 + D2[0:5], ["Yes"])
    give("motion-2", D4 + D3[0:5] + M[0:1], ["No"])
    # north-rep: Nora 8, Ned 7, Nina 4 (then Ned).
    north = [v for v in M if v[0] in "ny"]
    assert len(north) == 19
    give("north-rep", north[0:8], ["Nora"])
    give("north-rep", north[8:15], ["Ned"])
    give("north-rep", north[15:19], ["Nina", "Ned"])
    # south-rep: Sam 10, Sara 6, Sven 2.
    south = [v for v in M if v[0] in "sz"] + [BLANKER]
    assert len(south) == 18
    give("south-rep", south[0:10], ["Sam"])
    give("south-rep", south[10:16], ["Sara"])
    give("south-rep", south[16:18], ["Sven"])
    # youth-seat: Yola 4, Yan 2, Yusuf 1.
    youth = [v for v in M if v[0] in "yz"]
    give("youth-seat", youth[0:4], ["Yola"])
    give("youth-seat", youth[4:6], ["Yan"])
    give("youth-seat", youth[6:7], ["Yusuf"])
    # The forger's first (real) ballot; everybody else: blank where
    # nothing was given.
    b[FORGER] = {"committee": ["Paul"], "list": ltype(15),
                 "mayor": ["Road plan"], "motion": ["No"],
                 "north-rep": ["Nina"]}
    for v, bal in b.items():
        for k in CONTESTS_OF[v]:
            bal.setdefault(k, [])
    return b


NAMES = {k["id"]: [c["name"] for c in k["candidates"]]
         for k in DEFINITION["contests"]}


def numbers(contest, names):
    return [NAMES[contest].index(n) + 1 for n in names]


def tally_of(ballots, contest):
    """First-preference weights per candidate name ('' = blank)."""
    t = {}
    for v, b in ballots.items():
        if contest in b:
            first = b[contest][0] if b[contest] else ""
            t[first] = t.get(first, 0) + WEIGHT[v]
    return t


def blt_quote(s):
    return '"' + s.replace('"', '""') + '"'


def expected_blt(contest, counted):
    """record.md's BLT from [(leaf, weight, ranks)] in leaf order."""
    k = [c for c in DEFINITION["contests"] if c["id"] == contest][0]
    n = len(k["candidates"])
    seats = {"stv": k.get("seats"), "ordered-list": n}.get(
        k.get("kind", "stv"), 1)
    lines = ["%d %d" % (n, seats)]
    for leaf, w, ranks in counted:
        lines.append(" ".join(["(L%d)" % leaf, str(w)] +
                              [str(r) for r in ranks] + ["0"]))
    lines.append("0")
    lines += [blt_quote(c) for c in NAMES[contest]] + [blt_quote(k["title"])]
    return "\n".join(lines) + "\n"


# ---- the run ----

def test_org_poll(build):
    for b in (os.path.join(build, "ballotctl", "ballotctl"),
              os.path.join(build, "verifier", "verifier"),
              os.path.join(build, "tests", "forge-ballot")):
        if not os.access(b, os.X_OK):
            print("no %s: skipped" % b)
            sys.exit(SKIP)
    tmp = STATE.setdefault("tmp", tempfile.mkdtemp(prefix="org-poll-"))
    with Ballotd(build) as d:
        d.start()
        run_poll(build, d, tmp)
        d.stop_ok()


def run_poll(build, d, tmp):
    c = d.client()
    url = "http://127.0.0.1:%d" % d.http_port
    ctl = Ctl(build, url)
    verifier = os.path.join(build, "verifier", "verifier")
    forge = os.path.join(build, "tests", "forge-ballot")
    ballots = design()

    # The designed totals (weights), before anything is cast.
    check(tally_of(ballots, "committee") == {
        "Mark": 30, "Nils": 25, "Owen": 20, "Wendy": 15, "Vera": 10,
        "Paul": 6, "": 16}, tally_of(ballots, "committee"))
    lt = tally_of(ballots, "list")
    check([lt[LIST[i]] for i in CONSENSUS] ==
          [16 - j for j in range(1, 15)] + [1 + 1], lt)  # + the forger
    check(tally_of(ballots, "mayor") == {
        "Harbour plan": 40, "Park plan": 35, "Road plan": 20 + 1,
        "None of these": 25, "": 1}, tally_of(ballots, "mayor"))
    check(tally_of(ballots, "motion-2") == {"Yes": 40, "No": 40, "": 41 + 1},
          tally_of(ballots, "motion-2"))
    check(tally_of(ballots, "motion") == {
        "Yes": 60, "No": 30 + 1, "Abstain": 10, "": 21},
        tally_of(ballots, "motion"))

    ts, defpath = create_poll(ctl, tmp, DEFINITION)
    o, e, rows = import_roll(ctl, PID, tmp, ["voter_id,name,weight,contests"] + [
        "%s,Voter %s,%d,%s" % (vid, vid, w, ";".join(cs))
        for vid, cs, w in VOTERS])
    check("63 credentials written" in o, (o, e))
    creds = {r["voter_id"]: (r["credential"], r["class"]) for r in rows}
    check({v: creds[v][1] for v in creds} == CLASS,
          "the classes of the credentials list")
    classes = sorted(set(CLASS.values()), key=lambda s: s.encode())
    check(len(classes) == 8, classes)
    small = class_id(COMMON + ["south-rep", "youth-seat"], 1)
    check(small == "committee+list+mayor+motion+motion-2+south-rep+"
          "youth-seat*1",
          small)
    # The import lists the classes and warns of the small one (3
    # voters, min_class_size 4), which stops the ceremony until the
    # organiser accepts it.
    check("8 eligibility classes:" in o and all(
        "  %s: %d voters\n" % (k, sum(1 for v in CLASS if CLASS[v] == k))
        in o for k in classes), o)
    check("warning: class %s has 3 voters, fewer than min_class_size 4"
          % small in e and e.count("warning: class") == 1, e)
    rc, o, e = ctl.run("poll", "ceremony", PID)
    check(rc != 0 and small in e and "(3)" in e,
          "ceremony with a small class: %d %s" % (rc, e))
    run_ceremony(ctl, PID, ts, "--allow-small-classes")
    ctl.ok("poll", "open", PID)
    poll = c.get("/polls/%s" % PID).json
    ph = bytes.fromhex(poll["poll_hash"])

    # ballotctl refuses locally a ballot in a contest the class does
    # not cover, before any token is asked for.
    bad = dict((k, numbers(k, v)) for k, v in ballots["n01"].items())
    bad["south-rep"] = [1]
    rc, o, e = ctl.run("vote", PID, "--credential", creds["n01"][0],
                       "--class", CLASS["n01"], "--ballot",
                       json.dumps(bad), "--receipt",
                       os.path.join(tmp, "refused.json"))
    check(rc != 0 and "south-rep" in e and
          not os.path.exists(os.path.join(tmp, "refused.json")),
          "a ballot outside the class: %d %s" % (rc, e))

    # ---- the votes ----
    final = {}      # voter -> leaf of the entry that counts
    receipts = []
    sent = {}       # class -> casts the board accepted (results' cast)
    tokfile = os.path.join(tmp, "token-forger")
    for vid, _, _ in VOTERS:
        if vid == ABSENT:
            continue
        rpath = os.path.join(tmp, "r-%s.json" % vid)
        bal = dict((k, numbers(k, v)) for k, v in ballots[vid].items())
        extra = ["--keep-token", tokfile] if vid == FORGER else []
        ctl.ok("vote", PID, "--credential", creds[vid][0], "--class",
               CLASS[vid], "--ballot", json.dumps(bal), "--receipt",
               rpath, *extra)
        sent[CLASS[vid]] = sent.get(CLASS[vid], 0) + 1
        final[vid] = json.load(open(rpath))["receipt"]["leaf_index"]
        receipts.append(rpath)
    check(sorted(final.values()) == list(range(62)), "62 leaves")

    # The forged ballot: the forger's class (north member) does not
    # cover south-rep; sealed with the real crypto, cast with the real
    # token and signed by the forger's real cast key.
    tok = json.load(open(tokfile))
    check(tok["class"] == CLASS[FORGER], tok)
    token, sig = unb64u(tok["prepared"]), unb64u(tok["sig"])
    key = CastKey(unb64u(tok["cast_key"]))
    check(key.pub == token[32:], "the token's msg is the cast key")
    forged_contests = {"south-rep": [1]}
    forged_contests.update(
        (k, numbers(k, v)) for k, v in ballots[FORGER].items())
    plain = json.dumps({"v": 1, "poll": PID, "class": CLASS[FORGER],
                        "contests": forged_contests},
                       separators=(",", ":")).encode()
    p = subprocess.run([forge, defpath, poll["election_key"],
                        CLASS[FORGER], b64u(token)], input=plain,
                       capture_output=True, timeout=60)
    check(p.returncode == 0, "forge-ballot: %r" % (p,))
    sealed = unb64u(p.stdout.decode().strip())
    check(len(sealed) == DEFINITION["ballot_size"] + 81, len(sealed))
    # The same token presented as a south member's (a class whose
    # contests include south-rep): its signature is under the north
    # class's key, so the server refuses the cast outright.
    south = CLASS["s01"]
    p2 = subprocess.run([forge, defpath, poll["election_key"], south,
                         b64u(token)], input=plain.replace(
                             CLASS[FORGER].encode(), south.encode()),
                        capture_output=True, timeout=60)
    check(p2.returncode == 0, "forge-ballot: %r" % (p2,))
    sealed2 = unb64u(p2.stdout.decode().strip())
    r = c.post("/polls/%s/casts" % PID, {
        "class": south, "token": b64u(token), "sig": b64u(sig),
        "ballot": b64u(sealed2),
        "cast_sig": b64u(key.sign(cast_bytes(ph, south, token, sealed2)))})
    check(r.status == 422 and r.json["error"] == "bad_signature" and
          "sig: not a valid token signature under the key of class " +
          south in r.json["message"], "a token of another class: %r" % (r,))
    r = c.post("/polls/%s/casts" % PID, {
        "class": CLASS[FORGER], "token": b64u(token), "sig": b64u(sig),
        "ballot": b64u(sealed),
        "cast_sig": b64u(key.sign(cast_bytes(ph, CLASS[FORGER], token,
                                             sealed)))})
    check(r.status == 200, r)
    sent[CLASS[FORGER]] += 1   # the forged ballot (a revote of its token)
    forged_leaf = r.json["leaf_index"]
    check(forged_leaf == 62, forged_leaf)
    forger_first = final.pop(FORGER)

    ctl.ok("poll", "close", PID)
    for t in (ts[0], ts[1]):
        ctl.ok("trustee", "release", PID, "--key", t.key, "--state",
               t.state)
    out = os.path.join(tmp, PID)
    o = ctl.ok("tally", PID, "--out", out)
    tarpath = out + ".record.tar"

    def rd(name):
        with open(os.path.join(out, name), "rb") as f:
            return f.read()

    # ---- keys.json and turnout, per class ----
    keys = json.loads(rd("keys.json"))
    voters_of = {k: sum(1 for v in CLASS if CLASS[v] == k) for k in classes}
    check([(k["id"], k["voters"]) for k in keys["classes"]] ==
          [(k, voters_of[k]) for k in classes], keys["classes"])
    res = json.loads(rd("results.json"))
    t = res["turnout"]
    check((t["voters"], t["tokens_issued"], t["ballots_cast"],
           t["counted"], t["invalid"]) == (63, 62, 63, 61, 1), t)
    want_bc = []
    for k in classes:
        members = [v for v in CLASS if CLASS[v] == k]
        want_bc.append({
            "id": k, "voters": len(members),
            "tokens_issued": sum(1 for v in members if v != ABSENT),
            # every entry sent for the class: the forger's class has
            # its real ballot and the forged one; the refused casts
            # (ballotctl's local refusal, the server's 422) are not on
            # the board.
            "cast": sent.get(k, 0),
            "counted": sum(1 for v in members if v in final),
            "weight": int(k.rsplit("*", 1)[1])})
    check(sum(sent.values()) == 63 and sent[CLASS[FORGER]] ==
          sum(1 for v in CLASS if CLASS[v] == CLASS[FORGER]) + 1, sent)
    got_bc = t["by_class"]
    check(got_bc == want_bc and
          [list(b) for b in got_bc] == [list(b) for b in want_bc],
          "by_class (members in record.md's order):\n%r\nexpected\n%r"
          % (got_bc, want_bc))
    iss = [json.loads(x) for x in rd("issuance.jsonl").splitlines()]
    check(sorted(r["class"] for r in iss) ==
          sorted(CLASS[v] for v in CLASS if v != ABSENT), "issuance")

    # ---- the forged ballot: invalid, not counted, supersedes ----
    bl = [json.loads(x) for x in rd("ballots.jsonl").splitlines()]
    check(len(bl) == 63, len(bl))
    fb = bl[forged_leaf]
    check(fb["valid"] is False and fb["reason"] == "unknown_contest" and
          fb["counted"] is False and fb["class"] == CLASS[FORGER] and
          json.loads(unb64u(fb["plaintext"])) == json.loads(plain), fb)
    check(bl[forger_first]["valid"] and not bl[forger_first]["counted"]
          and bl[forger_first]["superseded_by"] == forged_leaf,
          bl[forger_first])
    check(sum(b["counted"] for b in bl) == 61, "61 counted")

    # ---- the BLTs: the test's own ballots, leaves and weights ----
    counted = sorted((leaf, v) for v, leaf in final.items())
    for k in CONTEST_IDS:
        lines = [(leaf, WEIGHT[v], numbers(k, ballots[v][k]))
                 for leaf, v in counted if k in ballots[v]]
        exp = expected_blt(k, lines)
        got = rd("contests/%s.blt" % k).decode()
        check(got == exp, "contests/%s.blt:\n%s\nexpected:\n%s" %
              (k, got, exp))
    # No south-rep line comes from a north member's leaf.
    north_leaves = {final[v] for v in final if "south-rep" not in
                    CONTESTS_OF[v]}
    for line in rd("contests/south-rep.blt").decode().splitlines()[1:]:
        if line.startswith("(L"):
            check(int(line[2:line.index(")")]) not in north_leaves, line)
    # Weights 2..5 appear in the committee's BLT as the delegates'.
    wl = [int(x.split()[1]) for x in
          rd("contests/committee.blt").decode().splitlines()
          if x.startswith("(L")]
    check(sorted(set(wl)) == [1, 2, 3, 4, 5] and sum(wl) == 121, wl)

    # ---- the results, worked out by hand ----
    el = {k["id"]: k for k in res["contests"]}
    # committee: quota 27; Mark 30 elected at stage 1 (his 3 surplus
    # votes are bullet votes: non-transferable).  Plain count: Paul (6),
    # Vera (10), Wendy (15) excluded in turn; Nils and Owen fill the
    # seats.  With "women min 1": after Vera, Wendy is the only woman
    # left and guarded, so Owen (20) is excluded instead; Nils (25) and
    # Wendy (15) are elected, highest vote first.
    check(el["committee"]["elected"] == ["Mark", "Nils", "Wendy"],
          el["committee"])
    com = json.loads(rd("contests/committee.json"))
    check(com["valid_ballots"] == 105 and com["invalid_ballots"] == 16,
          (com["valid_ballots"], com["invalid_ballots"]))
    check(any("women" in (s.get("note") or "") for s in com["stages"]),
          "no constraint note in the committee's stages")
    check(rd("contests/committee.categories") ==
          b"category women min 1 max 3\ncandidate 2 women\n"
          b"candidate 4 women\n", rd("contests/committee.categories"))
    plain_count = subprocess.run(
        [verifier, "count", "--rule", "scottish-stv", "--seats", "3",
         os.path.join(out, "contests", "committee.blt")],
        capture_output=True, timeout=60)
    check(plain_count.returncode == 0, plain_count)
    pc = json.loads(plain_count.stdout)
    check(pc["elected"] == ["Mark", "Nils", "Owen"], pc["elected"])
    # Regional and reserved seats: north quota floor(19/2)+1 = 10: Nina
    # (4) out, her papers to Ned: Ned 11.  South: Sam 10 of 18 at stage
    # 1.  Youth: Yola 4 of 7 at stage 1.
    check(el["north-rep"]["elected"] == ["Ned"], el["north-rep"])
    check(el["south-rep"]["elected"] == ["Sam"], el["south-rep"])
    check(el["youth-seat"]["elected"] == ["Yola"], el["youth-seat"])
    # The ordered list: ballot type j puts the consensus's j-th first
    # and then follows the consensus; first-preference totals fall with
    # j (15, 14, ..., 2, 1 + the forger's 1 = 2 for the last, whose
    # ballot does not count).  Every transfer goes to the best-placed
    # continuing candidate of the consensus, so in each count that
    # candidate leads, the lowest is always the worst-placed one, and
    # the count for N seats elects the consensus's first N: the list is
    # the consensus order.
    order = [LIST[i] for i in CONSENSUS]
    check(el["list"]["elected"] == order, el["list"])
    lst = json.loads(rd("contests/list.json"))
    check(lst["order"] == order, lst["order"])
    # mayor (IRV): Harbour 40, Park 35, None 25, Road 20 of 120: no
    # majority; Road out, its 20 to Park (55); None out, 10 to Harbour
    # (50), 15 exhausted; Park 55 > 105 / 2.
    check(el["mayor"]["elected"] == ["Park plan"], el["mayor"])
    # motion: yes 60, no 30, abstentions 10 + 21 blank; two thirds of
    # those voting for or against: 60 x 3 = 180 >= 2 x 90 = 180: passed,
    # exactly on the threshold.
    check(el["motion"]["passed"] is True and el["motion"]["rule"] is None
          and el["motion"]["elected"] == [], el["motion"])
    mo = json.loads(rd("contests/motion.json"))
    check((mo["yes"], mo["no"], mo["abstain"], mo["base"]) ==
          (60, 30, 31, 90) and mo["threshold"] == {
              "numerator": 2, "denominator": 3, "comparison": "at-least",
              "abstentions": "excluded"} and
          mo["arithmetic"] == "60 x 3 = 180 >= 2 x 90 = 180", mo)
    # motion-2: more than half of yes + no: 40 x 2 = 80 <= 1 x 80 = 80:
    # a tie does not pass.
    check(el["motion-2"]["passed"] is False, el["motion-2"])
    m2 = json.loads(rd("contests/motion-2.json"))
    check((m2["yes"], m2["no"], m2["abstain"], m2["base"]) ==
          (40, 40, 41, 80) and m2["threshold"]["comparison"] ==
          "more-than" and m2["arithmetic"] == "40 x 2 = 80 <= 1 x 80 = 80",
          m2)
    for line in ("committee: Mark, Nils, Wendy", "north-rep: Ned",
                 "motion: passed"):
        check(line in o, "tally output %r lacks %r" % (o, line))
    html = rd("report.html").decode()
    check("unknown_contest" in html or "unknown contest" in html,
          "report.html does not show the invalid ballot's reason")

    # ---- verifier check: directory and tarball, with receipts ----
    rargs = []
    for rp in receipts[::7]:
        rargs += ["--receipt", rp]
    for target in (out, tarpath):
        p = subprocess.run([verifier, "check", target] + rargs,
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0 and p.stdout.startswith("OK"),
              "verifier check %s: %r" % (target, p))

    # ---- publish ----
    ctl.ok("publish", PID, tarpath)
    r = c.get("/polls/%s/record.tar" % PID)
    check(r.status == 200 and r.body == open(tarpath, "rb").read(), r)
    c.close()
    states = [json.loads(x) for x in rd("states.jsonl").splitlines()]
    STATE["open_line"] = str([s["kind"] for s in states].index("open") + 1)
    STATE.update(dir=out, verifier=verifier, forged_leaf=forged_leaf,
                 final=final, ballots=ballots, classes=classes)


# ---- tampered copies of the record ----

def vcheck(d):
    p = subprocess.run([STATE["verifier"], "check", "--format", "json", d],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode in (0, 1), "verifier check: %r" % (p,))
    return p.returncode, json.loads(p.stdout)


def expect(case, mutate, want):
    """want: [(file, where, check, text in what or None)]; each must be
    reported, and verifier check must exit 1."""
    d = os.path.join(STATE["tmp"], "case-%d" % STATE.setdefault("n", 0))
    STATE["n"] += 1
    shutil.copytree(STATE["dir"], d)
    mutate(d)
    rc, fails = vcheck(d)
    keys = [(f["file"], f["where"], f["check"]) for f in fails]
    check(rc == 1, "%s: exit %d, %r" % (case, rc, fails))
    for file, where, chk, text in want:
        hit = [f for f in fails
               if (f["file"], f["where"], f["check"]) == (file, where, chk)
               and (text is None or text in f["what"])]
        check(hit, "%s: expected %s:%s %s %r, got %r" % (
            case, file, where, chk, text, fails))
    if os.environ.get("ORG_POLL_SHOW"):
        for f in fails:
            print("    %s: %s:%s %s: %s" % (case, f["file"], f["where"],
                                           f["check"], f["what"]))
    shutil.rmtree(d)
    return keys


def rw_json(d, name, fn):
    p = os.path.join(d, name)
    with open(p) as f:
        o = json.load(f)
    fn(o)
    with open(p, "w") as f:
        f.write(json.dumps(o, separators=(",", ":")) + "\n")


def rw_lines(d, name, fn):
    p = os.path.join(d, name)
    with open(p) as f:
        rows = [json.loads(x) for x in f.read().splitlines()]
    fn(rows)
    with open(p, "w") as f:
        f.write("".join(json.dumps(r, separators=(",", ":")) + "\n"
                        for r in rows))


def rw_text(d, name, fn):
    p = os.path.join(d, name)
    with open(p) as f:
        t = f.read()
    t2 = fn(t)
    check(t2 != t, "%s unchanged" % name)
    with open(p, "w") as f:
        f.write(t2)


def test_org_tamper(build):
    if "dir" not in STATE:
        raise AssertionError("no record (test_org_poll failed)")
    fl = STATE["forged_leaf"]
    final = STATE["final"]

    def add_forged_line(t):
        ls = t.split("\n")
        check(ls[19] == "0", ls[:21])
        ls.insert(19, "(L%d) 1 1 0" % fl)
        return "\n".join(ls)

    # (a) The forged ballot (a north member voting for south-rep)
    # counted: its verdict made valid and its line added to the BLT.
    def count_forged(d):
        def verdict(rows):
            rows[fl].update(valid=True, reason=None, counted=True)
        rw_lines(d, "ballots.jsonl", verdict)

        rw_text(d, "contests/south-rep.blt", add_forged_line)
    # The forged line goes last: line 1 is the header, then 18 ballots.
    expect("a ballot of an uncovered contest counted", count_forged, [
        ("ballots.jsonl", str(fl + 1), "verdict", "unknown_contest"),
        ("contests/south-rep.blt", "20", "class-contest",
         "leaf %d" % fl),
    ])

    # ... and the BLT alone (ballots.jsonl left honest).
    expect("an uncovered contest's line in the BLT",
           lambda d: rw_text(d, "contests/south-rep.blt", add_forged_line),
           [("contests/south-rep.blt", "20", "class-contest",
             "does not cover contest south-rep")])

    # (b) Weights inflated.  A weight-5 delegate's line written with
    # weight 6 in the list's BLT, and the class's weight in results.json.
    d5 = class_id(COMMON, 5)
    d5_leaves = sorted(final[v] for v in final if CLASS[v] == d5)

    def inflate_blt(d):
        def blt(t):
            old = "(L%d) 5 " % d5_leaves[0]
            check(old in t, old)
            return t.replace(old, "(L%d) 6 " % d5_leaves[0], 1)
        rw_text(d, "contests/list.blt", blt)
    expect("a delegate's weight inflated in a BLT", inflate_blt, [
        ("contests/list.blt", "-", "class-weight",
         "%s: weighted ballots 31 exceed" % d5),
    ])

    def inflate_result(d):
        def res(o):
            for b in o["turnout"]["by_class"]:
                if b["id"] == d5:
                    b["weight"] = 6
        rw_json(d, "results.json", res)
    idx = STATE["classes"].index(d5)
    expect("a class's weight inflated in results.json", inflate_result, [
        ("results.json", "turnout.by_class[%d].weight" % idx, "results",
         None),
    ])

    # The class itself made heavier in keys.json: the signed open
    # record names every class (and its token key) as the roll made it.
    def heavier_class(d):
        def keys(o):
            for k in o["classes"]:
                if k["id"] == d5:
                    k["id"] = class_id(COMMON, 6)
        rw_json(d, "keys.json", keys)
    expect("a class's weight changed in keys.json", heavier_class, [
        ("states.jsonl", STATE["open_line"], "keys", "not in keys.json"),
    ])

    # Every line of the class written with more weight: the per-class
    # sum (weights cast <= weight x tokens issued) names the class.
    def inflate_all(d):
        def blt(t):
            for leaf in d5_leaves:
                t = t.replace("(L%d) 5 " % leaf, "(L%d) 7 " % leaf, 1)
            return t
        rw_text(d, "contests/committee.blt", blt)
    expect("a class's weight inflated on every line", inflate_all, [
        ("contests/committee.blt", "-", "class-weight",
         "%s: weighted ballots 42 exceed 30" % d5),
    ])

    # (c) The referendum's threshold misapplied: results.json says
    # passed when the arithmetic (with abstentions in the base, as a
    # wrong tally might do) says not, and the result file written with
    # another threshold than poll.json's.
    def not_passed(d):
        def res(o):
            for k in o["contests"]:
                if k["id"] == "motion":
                    k["passed"] = False
        rw_json(d, "results.json", res)
    mi = CONTEST_IDS.index("motion")
    expect("the referendum's result flipped", not_passed, [
        ("results.json", "contests[%d]" % mi, "results", "true"),
    ])

    def passed_on_tie(d):
        def res(o):
            for k in o["contests"]:
                if k["id"] == "motion-2":
                    k["passed"] = True
        rw_json(d, "results.json", res)
    expect("a tie reported as passed", passed_on_tie, [
        ("results.json", "contests[%d]" % CONTEST_IDS.index("motion-2"),
         "results", "passed is not the recount's false"),
    ])

    def passed_against_arithmetic(d):
        # The result file's own arithmetic says "<=", its "passed" true.
        rw_text(d, "contests/motion-2.json",
                lambda t: t.replace('"passed": false', '"passed": true'))
    expect("passed against the result's own arithmetic",
           passed_against_arithmetic, [
               ("contests/motion-2.json", "-", "recount", "passed"),
           ])

    def passed_on_tie_both(d):
        passed_on_tie(d)
        rw_text(d, "contests/motion-2.json", lambda t: t.replace(
            "40 x 2 = 80 <= 1 x 80 = 80", "40 x 2 = 80 >= 1 x 80 = 80")
            .replace('"comparison": "more-than"', '"comparison": "at-least"')
            .replace('"passed": false', '"passed": true'))
    expect("a tie passed as 'at least' half", passed_on_tie_both, [
        ("contests/motion-2.json", "-", "recount", "threshold"),
        ("results.json", "contests[%d]" % CONTEST_IDS.index("motion-2"),
         "results", "passed is not the recount's false"),
    ])

    def other_threshold(d):
        def res(t):
            return (t.replace('"numerator": 2, "denominator": 3, '
                              '"comparison": "at-least", '
                              '"abstentions": "excluded"',
                              '"numerator": 2, "denominator": 3, '
                              '"comparison": "at-least", '
                              '"abstentions": "counted"')
                    .replace('"base": 90', '"base": 121')
                    .replace("60 x 3 = 180 >= 2 x 90 = 180",
                             "60 x 3 = 180 < 2 x 121 = 242")
                    .replace('"passed": true', '"passed": false'))
        rw_text(d, "contests/motion.json", res)
        not_passed(d)
    expect("the referendum counted with abstentions in the base",
           other_threshold, [
               ("contests/motion.json", "-", "recount", "threshold"),
               ("results.json", "contests[%d]" % mi, "results", None),
           ])

    def simple_majority(d):
        # A result claiming a simple majority was the rule: "more than
        # 1/2" -- it passes too, but it is not poll.json's threshold.
        def res(t):
            return (t.replace('"numerator": 2, "denominator": 3, '
                              '"comparison": "at-least"',
                              '"numerator": 1, "denominator": 2, '
                              '"comparison": "more-than"')
                    .replace("60 x 3 = 180 >= 2 x 90 = 180",
                             "60 x 2 = 120 > 1 x 90 = 90"))
        rw_text(d, "contests/motion.json", res)
    expect("the referendum's threshold not poll.json's", simple_majority,
           [("contests/motion.json", "-", "recount", "threshold")])


def cleanup(build):
    if "tmp" in STATE:
        shutil.rmtree(STATE["tmp"], ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 2 and not os.access(binary_path(sys.argv[1]),
                                            os.X_OK):
        print("no ballotd: skipped")
        sys.exit(SKIP)
    main([test_org_poll, test_org_tamper, cleanup], time_limit=300)
