#!/usr/bin/env python3
"""What organisations put in one poll (issue 7), through the voter's page.

A real ballotd on 127.0.0.1 serves the repository's web/ folder; three
trustees run the real key ceremony with `ballotctl trustee`; one poll
holds

- `committee`: 3 seats, Scottish STV, "at least 2 women" (a constraint
  that binds: the plain count elects three men);
- `north-rep` / `south-rep`: a regional seat each, voted only by that
  region (the roll's `contests` column);
- `list`: an ordered list of 6 candidates (repeated STV);
- `motion`: a two-thirds referendum, abstentions not in the base;

and 12 voters in 3 eligibility classes: 5 north members (weight 1), 4
south members (weight 1), 3 north delegates (weight 3, the roll's `weight`
column).  Four vote in the page, driven by tests/web/voter.mjs in
Debian's Chromium: a north member (mouse, from the link), a south member
(keyboard only, from the link), a delegate (mouse, the typed form) and a
delegate on a 360 px phone (keyboard only); the other eight with
`ballotctl vote`.  For each page voter the driver checks, on the ballot,
exactly the contests of their class (not the other region's), the
delegates' "counts 3 times" note (and its absence for the others), the
committee's constraint sentence, the list's method sentence and the
referendum's two-thirds sentence.  Then the close, two releases,
`ballotctl tally` and `ballotctl publish`; every ballot decrypts to the
choices made; each contest's BLT is rebuilt here from the test's own
ballots, leaves and weights (a delegate's line has weight 3); the
results are the ones worked out by hand below; `verifier count` without
the categories file elects someone else (the rule binds); tests/web/
pages.mjs checks the results page (the list's order, the referendum's
outcome and arithmetic); `verifier check` passes on the tarball with
every receipt.

Screenshots are left in BUILD_DIR/artefacts/web-org/.

usage: python3 test_web_org.py BUILD_DIR     (exit 77: no node, Chromium
or playwright-core)
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ballotd_harness import SKIP, Ballotd, main  # noqa: E402
from realpoll import (Ctl, check, create_poll, import_roll,  # noqa: E402
                      run_ceremony)
from test_tally import expected_blt  # noqa: E402
from test_web_e2e import node, tools_missing  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PID = "web-org"

COMMITTEE = ["Mark", "Wendy", "Nils", "Vera", "Owen", "Una"]
WOMEN = {"Wendy", "Vera", "Una"}
NORTH = ["Nora", "Ned", "Nina"]
SOUTH = ["Sam", "Sara", "Sven"]
LIST = ["Abbot", "Baker", "Cohen", "Dunn", "Evans", "Fox"]
MOTION = ["Yes", "No", "Abstain"]

DEFINITION = {
    "format": "ballot-poll/1", "id": PID, "title": "Delegate conference 2026",
    "revoting": False, "ballot_size": 512, "min_class_size": 3,
    "contests": [
        {"id": "committee", "title": "National committee", "kind": "stv",
         "rule": "scottish-stv", "seats": 3,
         "candidates": [{"name": n, "categories": ["women"]} if n in WOMEN
                        else {"name": n} for n in COMMITTEE],
         "constraints": [{"category": "women", "min": 2}]},
        {"id": "north-rep", "title": "North region representative",
         "seats": 1, "candidates": [{"name": n} for n in NORTH]},
        {"id": "south-rep", "title": "South region representative",
         "seats": 1, "candidates": [{"name": n} for n in SOUTH]},
        {"id": "list", "title": "Order of our list", "kind": "ordered-list",
         "rule": "scottish-stv", "candidates": [{"name": n} for n in LIST]},
        {"id": "motion", "title": "Motion 1: change the rules",
         "kind": "referendum", "candidates": [{"name": n} for n in MOTION],
         "threshold": {"numerator": 2, "denominator": 3,
                       "abstentions": "excluded"}},
    ],
}
CONTEST_IDS = [k["id"] for k in DEFINITION["contests"]]
NAMES = {k["id"]: [c["name"] for c in k["candidates"]]
         for k in DEFINITION["contests"]}
NORTH_CS = ["committee", "north-rep", "list", "motion"]
SOUTH_CS = ["committee", "south-rep", "list", "motion"]


def class_id(contests, weight):
    """protocol.md section 4, written here independently: the contest ids
    in byte order joined by '+', then '*' and the weight."""
    return "+".join(sorted(contests, key=lambda s: s.encode())) + \
        "*%d" % weight


# The roll: (voter, contests, weight).
ROLL = ([("n%02d" % i, NORTH_CS, 1) for i in range(1, 6)] +
        [("s%02d" % i, SOUTH_CS, 1) for i in range(1, 5)] +
        [("d%02d" % i, NORTH_CS, 3) for i in range(1, 4)])
WEIGHT = {v: w for v, _, w in ROLL}
CLASS = {v: class_id(cs, w) for v, cs, w in ROLL}
CONTESTS_OF = {v: cs for v, cs, _ in ROLL}

# The list's consensus order; ballot type j puts its j-th candidate first,
# then follows it.
CONSENSUS = ["Cohen", "Abbot", "Fox", "Baker", "Evans", "Dunn"]


def ltype(j):
    first = CONSENSUS[j - 1]
    return [first] + [n for n in CONSENSUS if n != first]


# Every voter's choices, by name, best first ([] = blank).
BALLOTS = {
    "n01": {"committee": ["Wendy", "Vera"], "north-rep": ["Nora", "Ned"],
            "list": ltype(4), "motion": ["Yes"]},
    "n02": {"committee": ["Mark"], "north-rep": ["Nora"],
            "list": ltype(1), "motion": ["Yes"]},
    "n03": {"committee": ["Nils"], "north-rep": ["Nora", "Nina"],
            "list": ltype(1), "motion": ["Abstain"]},
    "n04": {"committee": ["Vera", "Nils"], "north-rep": ["Nora"],
            "list": ltype(4), "motion": []},
    "n05": {"committee": ["Mark"], "north-rep": ["Nora"],
            "list": ltype(1), "motion": []},
    "s01": {"committee": ["Wendy", "Una"], "south-rep": ["Sara", "Sam"],
            "list": ltype(5), "motion": ["Abstain"]},
    "s02": {"committee": ["Mark"], "south-rep": ["Sam"],
            "list": ltype(2), "motion": ["No"]},
    "s03": {"committee": [], "south-rep": ["Sam", "Sven"],
            "list": ltype(2), "motion": []},
    "s04": {"committee": [], "south-rep": ["Sam", "Sara"],
            "list": ltype(3), "motion": []},
    "d01": {"committee": ["Mark"], "north-rep": ["Nina", "Nora"],
            "list": ltype(1), "motion": ["Yes"]},
    "d02": {"committee": ["Nils", "Wendy"], "north-rep": ["Nina"],
            "list": ltype(2), "motion": ["Yes"]},
    "d03": {"committee": ["Owen", "Vera"], "north-rep": ["Ned", "Nina"],
            "list": ltype(3), "motion": ["No"]},
}
# The page voters: the driver's options (the rest vote with ballotctl).
PAGE = {
    "n01": {"mode": "mouse", "via": "link"},
    "s01": {"mode": "keyboard", "via": "link"},
    "d01": {"mode": "mouse", "via": "form"},
    "d02": {"mode": "keyboard", "via": "link", "phone": True},
}

# ---- the results, worked out by hand ----
#
# committee: first preferences (weights) Mark 6 (n02, n05, s02, d01 x3:
# bullet votes), Nils 4 (n03; d02 x3 then Wendy), Owen 3 (d03 x3 then
# Vera), Wendy 2 (n01 then Vera; s01 then Una), Vera 1 (n04 then Nils),
# Una 0; s03 and s04 blank: 16 valid, quota floor(16/4)+1 = 5.
#   Plain count: Mark 6 elected at stage 1, his surplus of 1 is
#   non-transferable (bullet votes).  Una (0) then Vera (1) excluded:
#   n04's paper to Nils, 5 = quota, elected.  One seat, Owen 3, Wendy 2:
#   Wendy excluded (her papers go to excluded Vera and Una: exhausted),
#   Owen is the only one left: Mark, Nils, Owen -- no woman.
#   With "women min 2": after Mark, the 2 seats left must both go to
#   women, so Nils and Owen are doomed (electing either would make that
#   impossible) and excluded: d02's 3 go to Wendy (2 + 3 = 5, quota:
#   elected), d03's 3 to Vera (1 + 3 = 4); one seat, Vera 4, Una 0: Una
#   out, Vera elected.  In whichever order the doomed go: Mark, Wendy,
#   Vera.
COMMITTEE_ELECTED = ["Mark", "Wendy", "Vera"]
COMMITTEE_PLAIN = ["Mark", "Nils", "Owen"]
# north-rep: Nora 5 (n01..n05), Nina 6 (d01, d02: 3 each), Ned 3 (d03,
# then Nina): 14, quota 8.  Ned out, his 3 to Nina: 9, elected.  (Counted
# one vote each it would be Nora 5 of 8 at stage 1: the weights decide.)
# south-rep: Sam 3 (s02, s03, s04) of 4, quota 3: elected at stage 1.
# list: type j first preferences: 1 (Cohen) n02 n03 n05 d01 = 6, 2
# (Abbot) s02 s03 d02 = 5, 3 (Fox) s04 d03 = 4, 4 (Baker) n01 n04 = 2,
# 5 (Evans) s01 = 1, 6 (Dunn) 0; 18 valid.  Every later preference
# follows the consensus, so every transfer goes to the best-placed
# continuing candidate of the consensus:
#   1 seat, quota 10: Dunn, Evans (to Cohen 7), Baker (Cohen 9), Fox
#   (Cohen 13) out: Cohen.
#   2 seats, quota 7: Dunn out, Evans to Cohen: 7, elected; Baker out,
#   to Abbot: 7, elected: Abbot.
#   3 seats, quota 5: Cohen 6 and Abbot 5 elected at stage 1; Cohen's
#   surplus goes to Fox (about 5), Dunn and Evans out (Evans to Fox): Fox.
#   4 seats, quota 4: Cohen, Abbot, Fox elected at stage 1; their
#   surpluses and Evans's paper go to Baker: Baker.
#   5 seats, quota 4: the same, then Baker; Evans 1 against Dunn 0:
#   Evans; Dunn last.
LIST_ORDER = ["Cohen", "Abbot", "Fox", "Baker", "Evans", "Dunn"]
# motion: yes n01 n02 d01 d02 = 1 + 1 + 3 + 3 = 8; no s02 d03 = 4;
# abstain n03 s01 = 2 and blank n04 n05 s03 s04 = 4: 6 abstentions, not
# in the base.  Two thirds of 12: 8 x 3 = 24 >= 2 x 12 = 24: passed,
# exactly on the threshold.
MOTION_ARITHMETIC = "8 x 3 = 24 >= 2 x 12 = 24"
ELECTED = {"committee": COMMITTEE_ELECTED, "north-rep": ["Nina"],
           "south-rep": ["Sam"], "list": LIST_ORDER}

# What the ballot must say, in the voter's words (docs/voter.md).
CONSTRAINT_SENTENCE = "Rule: at least 2 women must be elected."
THRESHOLD_SENTENCE = ("Passes with at least two thirds of the votes cast, "
                      "abstentions not counted.")
LIST_SENTENCE = "one more seat each time, until every place is filled"
WEIGHT_SENTENCE = "Your vote counts 3 times"


def numbers(contest, names):
    return [NAMES[contest].index(n) + 1 for n in names]


def tally_of(contest):
    """First-preference weights per name ('' = blank)."""
    t = {}
    for v, b in BALLOTS.items():
        if contest in b:
            first = b[contest][0] if b[contest] else ""
            t[first] = t.get(first, 0) + WEIGHT[v]
    return t


def test_web_org(build):
    why = tools_missing()
    if why:
        print("%s: skipped" % why)
        sys.exit(SKIP)
    verifier = os.path.join(build, "verifier", "verifier")
    shots = os.path.join(build, "artefacts", "web-org")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    tmp = tempfile.mkdtemp(prefix="web-org-")
    try:
        with Ballotd(build, config={"web_root": os.path.join(REPO, "web")}) \
                as d:
            d.start()
            run_poll(build, d, tmp, verifier, shots)
            d.stop_ok()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_poll(build, d, tmp, verifier, shots):
    # The designed first preferences, before anything is cast.
    check(set(BALLOTS) == set(WEIGHT) and all(
        set(BALLOTS[v]) == set(CONTESTS_OF[v]) for v in BALLOTS),
        "every voter has a choice (maybe blank) in each contest of theirs")
    check(tally_of("committee") == {"Mark": 6, "Nils": 4, "Owen": 3,
                                    "Wendy": 2, "Vera": 1, "": 2},
          tally_of("committee"))
    check(tally_of("north-rep") == {"Nora": 5, "Nina": 6, "Ned": 3},
          tally_of("north-rep"))
    check(tally_of("south-rep") == {"Sam": 3, "Sara": 1},
          tally_of("south-rep"))
    check(tally_of("list") == {"Cohen": 6, "Abbot": 5, "Fox": 4,
                               "Baker": 2, "Evans": 1},
          tally_of("list"))
    check(tally_of("motion") == {"Yes": 8, "No": 4, "Abstain": 2, "": 4},
          tally_of("motion"))

    c = d.client()
    url = "http://127.0.0.1:%d" % d.http_port
    ctl = Ctl(build, url)
    ts, _ = create_poll(ctl, tmp, DEFINITION)
    o, _, rows = import_roll(ctl, PID, tmp, ["voter_id,name,weight,contests"] + [
        "%s,Voter %s,%d,%s" % (v, v, w, ";".join(cs)) for v, cs, w in ROLL])
    check("3 eligibility classes:" in o, o)
    creds = {r["voter_id"]: r["credential"] for r in rows}
    check({r["voter_id"]: r["class"] for r in rows} == CLASS,
          "the classes of the credentials: %r" % rows)
    run_ceremony(ctl, PID, ts)
    ctl.ok("poll", "open", PID)

    # The driver's class check can fail: a south member's ballot
    # expected to show north-rep is reported, and nothing is cast (the
    # page only asked for the voter's class: s03 still votes below).
    bad = [{"credential": creds["s03"], "choices": {},
            "receipt_out": os.path.join(tmp, "never.json"),
            "expect_contests": NORTH_CS}]
    bpath = os.path.join(tmp, "batch-wrong-class.json")
    with open(bpath, "w") as f:
        json.dump(bad, f)
    p = subprocess.run(["node", os.path.join(REPO, "tests", "web",
                                             "voter.mjs"),
                        "--base", url, "--poll", PID, "--batch", bpath],
                       capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    check(p.returncode == 1 and "the ballot shows the contests" in p.stderr
          and not os.path.exists(os.path.join(tmp, "never.json")),
          "voter.mjs with the wrong contests: %d\n%s\n%s" % (
              p.returncode, p.stdout, p.stderr))

    # ---- the votes: ballotctl first, then the page ----
    receipts = {}
    batch, phone = [], []
    for v, b in BALLOTS.items():
        rpath = os.path.join(tmp, "receipt-%s.json" % v)
        receipts[v] = rpath
        choices = {k: numbers(k, names) for k, names in b.items()}
        how = PAGE.get(v)
        if how is None:
            ctl.ok("vote", PID, "--credential", creds[v], "--class",
                   CLASS[v], "--ballot", json.dumps(choices), "--receipt",
                   rpath)
            continue
        shown = [k for k in CONTEST_IDS if k in CONTESTS_OF[v]]
        other = "south-rep" if "north-rep" in shown else "north-rep"
        want = [{"in": "#rule-committee", "text": CONSTRAINT_SENTENCE},
                {"in": "#rule-motion", "text": THRESHOLD_SENTENCE},
                {"in": "#rule-list", "text": LIST_SENTENCE},
                # the answers of the question, with "Abstain"
                {"in": "#candidates-motion", "text": "Abstain"},
                # the women marked on the committee's candidates
                {"in": "#cand-committee-2", "text": "(women)"}]
        unwanted = [{"in": "#rule-committee", "text": "at most"},
                    # the other region's title appears nowhere
                    {"in": "#step-ballot",
                     "text": [k["title"] for k in DEFINITION["contests"]
                              if k["id"] == other][0]}]
        if WEIGHT[v] == 3:
            want += [{"in": "#rule-%s" % k, "text": WEIGHT_SENTENCE}
                     for k in shown]
        else:
            unwanted.append({"in": "#step-ballot", "text": "Your vote counts"})
        item = {"credential": creds[v], "choices": choices,
                "mode": how["mode"], "receipt_out": rpath, "via": how["via"],
                "expect_contests": shown, "expect_text": want,
                "expect_no_text": unwanted}
        (phone if how.get("phone") else batch).append(item)
    for items, width, name in ((batch, 1280, "desktop"),
                               (phone, 360, "phone")):
        bpath = os.path.join(tmp, "batch-%s.json" % name)
        with open(bpath, "w") as f:
            json.dump(items, f, indent=1)
        out = node("voter.mjs", ["--base", url, "--poll", PID, "--batch",
                                 bpath, "--width", str(width), "--timeout",
                                 "120", "--screenshots",
                                 os.path.join(shots, name)],
                   timeout=400)
        check(out.count("ok   ") == len(items), "voter.mjs: %s" % out)

    for v in BALLOTS:
        check(os.path.exists(receipts[v]), "no receipt for %s" % v)
    st = c.get("/polls/%s/status" % PID).json
    check(st["tree_size"] == 12, "status after the votes: %r" % st)

    # ---- close, release, tally, publish ----
    ctl.ok("poll", "close", PID)
    for t in (ts[0], ts[2]):
        ctl.ok("trustee", "release", PID, "--key", t.key, "--state",
               t.state)
    out = os.path.join(tmp, PID)
    o = ctl.ok("tally", PID, "--out", out)
    check("committee: Mark, Wendy, Vera" in o and "motion: passed" in o,
          "tally: %s" % o)
    tarpath = out + ".record.tar"
    ctl.ok("publish", PID, tarpath)

    def rd(name):
        with open(os.path.join(out, name), "rb") as f:
            return f.read()

    # Every ballot is exactly what its voter chose, in their class.
    leaf_of = {v: json.load(open(receipts[v]))["receipt"]["leaf_index"]
               for v in BALLOTS}
    check(sorted(leaf_of.values()) == list(range(12)), leaf_of)
    ballots = {}
    for line in rd("ballots.jsonl").decode().splitlines():
        b = json.loads(line)
        ballots[b["leaf_index"]] = b
    for v, names in BALLOTS.items():
        b = ballots[leaf_of[v]]
        check(b["valid"] and b["counted"] and b["class"] == CLASS[v],
              "%s's ballot: %r" % (v, b))
        plain = json.loads(base64.urlsafe_b64decode(b["plaintext"] + "=="))
        want = {k: numbers(k, names[k]) for k in CONTEST_IDS if k in names}
        check(plain == {"v": 1, "poll": PID, "class": CLASS[v],
                        "contests": want},
              "%s's ballot decrypts to %r, expected %r" % (v, plain, want))

    # The BLTs, rebuilt from the test's own ballots, leaves and weights.
    by_leaf = sorted((leaf, v) for v, leaf in leaf_of.items())
    for k in DEFINITION["contests"]:
        cid = k["id"]
        seats = {"stv": k.get("seats"), "ordered-list": len(NAMES[cid])}.get(
            k.get("kind", "stv"), 1)
        lines = [(leaf, WEIGHT[v], numbers(cid, BALLOTS[v][cid]))
                 for leaf, v in by_leaf if cid in BALLOTS[v]]
        exp = expected_blt(cid, len(NAMES[cid]), seats, NAMES[cid],
                           k["title"], lines)
        got = rd("contests/%s.blt" % cid).decode()
        check(got == exp, "contests/%s.blt:\n%s\nexpected:\n%s" %
              (cid, got, exp))
    # The page delegates' ballots carry weight 3.
    for v in ("d01", "d02"):
        line = "(L%d) 3 %s 0" % (leaf_of[v], " ".join(
            str(n) for n in numbers("list", BALLOTS[v]["list"])))
        check(line in rd("contests/list.blt").decode().splitlines(),
              "%s's line %r not in list.blt" % (v, line))

    # ---- the results ----
    res = json.loads(rd("results.json"))
    el = {k["id"]: k for k in res["contests"]}
    for cid, names in ELECTED.items():
        check(el[cid]["elected"] == names, "%s: %r" % (cid, el[cid]))
    check(el["motion"]["passed"] is True, el["motion"])
    mo = json.loads(rd("contests/motion.json"))
    check((mo["yes"], mo["no"], mo["abstain"], mo["base"]) == (8, 4, 6, 12)
          and mo["arithmetic"] == MOTION_ARITHMETIC, mo)
    com = json.loads(rd("contests/committee.json"))
    check(com["valid_ballots"] == 16 and com["invalid_ballots"] == 2,
          (com["valid_ballots"], com["invalid_ballots"]))
    check(any("women" in (s.get("note") or "") for s in com["stages"]),
          "no constraint note in the committee's stages")
    lst = json.loads(rd("contests/list.json"))
    check(lst["order"] == LIST_ORDER, lst["order"])
    # The rule binds: the same BLT counted without the categories file
    # elects three men.
    blt = os.path.join(out, "contests", "committee.blt")
    p = subprocess.run([verifier, "count", "--rule", "scottish-stv",
                        "--seats", "3", blt], capture_output=True,
                       timeout=60)
    check(p.returncode == 0, p)
    check(json.loads(p.stdout)["elected"] == COMMITTEE_PLAIN, p.stdout)
    p = subprocess.run([verifier, "count", "--rule", "scottish-stv",
                        "--seats", "3", "--categories",
                        os.path.join(out, "contests",
                                     "committee.categories"), blt],
                       capture_output=True, timeout=60)
    check(p.returncode == 0 and
          json.loads(p.stdout)["elected"] == COMMITTEE_ELECTED, p)
    c.close()

    # ---- the results page ----
    tracker = json.load(open(receipts["d01"]))["receipt"]["tracker"]
    texts = [
        {"in": "#arithmetic-motion",
         "text": "Arithmetic: %s → passed" % MOTION_ARITHMETIC},
        {"in": "#result-motion",
         "text": "Threshold: at least two thirds (2/3) of the votes cast, "
                 "abstentions not counted: yes 8 of 12"},
        {"in": "#result-motion", "text": THRESHOLD_SENTENCE},
        {"in": "#result-committee", "text": CONSTRAINT_SENTENCE},
        # the two doomed men, and why, under the stage table
        {"in": "#notes-committee-0", "text": "Nils excluded: electing them "
                                             "could no longer meet the "
                                             "constraints"},
        {"in": "#notes-committee-0", "text": "Owen excluded: electing them "
                                             "could no longer meet the "
                                             "constraints"},
        {"in": "#notes-committee-0", "text": "women (min 2)"},
        {"in": "#result-list", "text": "Order of the list"},
        {"in": "#result-list", "text": LIST_SENTENCE},
        {"in": "#turnout", "text": "Ballots counted\n12"},
    ]
    args = ["--base", url, "--poll", PID, "--tracker", tracker,
            "--receipt", receipts["d01"],
            "--expect-elected", json.dumps(ELECTED),
            "--expect-passed", json.dumps({"motion": True}),
            "--screenshots", os.path.join(shots, "pages")]
    for t in texts:
        args += ["--expect-text", json.dumps(t)]
    node("pages.mjs", args, timeout=180)

    # ---- one record, one verification, every receipt ----
    args = [verifier, "check", tarpath]
    for v in BALLOTS:
        args += ["--receipt", receipts[v]]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    check(p.returncode == 0 and p.stdout.startswith("OK"),
          "verifier check: %d\n%s\n%s" % (
              p.returncode, p.stdout[-3000:], p.stderr[-3000:]))


if __name__ == "__main__":
    main([test_web_org], time_limit=560)
