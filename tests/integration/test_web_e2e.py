#!/usr/bin/env python3
"""The voter's page end to end, in Debian's Chromium (issue 6).

A real ballotd on 127.0.0.1 serves the repository's web/ folder; three
trustees run the real key ceremony with `ballotctl trustee`; ten voters
vote in one poll (an STV committee and an option ballot with "None of
these"):

- five through the page, driven like people by tests/web/voter.mjs
  (playwright-core, headless Chromium): mouse voters and keyboard-only
  voters, from the link with the credential in the fragment and from the
  typed form, one reloading after the token, one after sealing, one just
  before the cast, each resuming; each saves the receipt file the page
  offers for download;
- five with `ballotctl vote`;

then every browser receipt passes `ballotctl check-receipt` (and a copy
with one byte of its signature changed fails), the board page finds a
browser voter's tracker code and checks its inclusion in the page, the
poll closes, two trustees release, `ballotctl tally` and `ballotctl
publish` make and publish one record, the results page shows the winners,
and `verifier check` passes on the record with all ten receipts.

Expected results are designed, not computed by the code under test: with
10 ballots and 2 seats the Droop quota is 4, and the committee's first
preferences are Alex 5, Sam 4, Jo 1 (Alex first, with a surplus); the
chair's are Dana 6 of 10.  Every
browser ballot, decrypted in the record, must be exactly the choices the
driver was given.

Screenshots of every step and page, at 1280 and 360 px wide, are left in
BUILD_DIR/artefacts/web-e2e/.

usage: python3 test_web_e2e.py BUILD_DIR     (exit 77: no node, Chromium
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

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
WEB_TESTS = os.path.join(REPO, "tests", "web")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PID = "web-e2e"
COMMITTEE = ["Alex MORGAN", "Sam PATEL", "Jo KOWALSKI", "Ruth OKAFOR",
             "Lee CHEN", "Re-open nominations"]
CHAIR = ["Dana WRIGHT", "Kim ADEYEMI", "None of these"]
DEFINITION = {
    "format": "ballot-poll/1", "id": PID, "title": "Web test society 2026",
    "revoting": False, "ballot_size": 512, "min_class_size": 5,
    "contests": [
        {"id": "committee", "title": "Committee", "kind": "stv",
         "rule": "scottish-stv", "seats": 2,
         "candidates": [{"name": n} for n in COMMITTEE]},
        {"id": "chair", "title": "Chair", "kind": "option", "rule": "irv",
         "seats": 1, "candidates": [{"name": n} for n in CHAIR]},
    ],
}
# voter: (committee, chair, how).  how: None for ballotctl, else the
# page driver's options.
VOTERS = {
    "v01": ([1, 3], [1], {"mode": "mouse", "via": "link"}),
    "v02": ([1, 2], [1], {"mode": "keyboard", "via": "link"}),
    "v03": ([2, 1], [2], {"mode": "mouse", "via": "form",
                          "reload_at": "token"}),
    "v04": ([2], [1], {"mode": "mouse", "via": "link", "reload_at": "cast",
                       "phone": True}),
    "v05": ([3, 2, 1], [3], {"mode": "keyboard", "via": "link",
                             "reload_at": "seal"}),
    "v06": ([1, 4], [1], None),
    "v07": ([1], [2], None),
    "v08": ([2, 5], [1], None),
    "v09": ([2, 6], [2], None),
    "v10": ([1, 3], [1], None),
}
ELECTED = {"committee": ["Alex MORGAN", "Sam PATEL"],
           "chair": ["Dana WRIGHT"]}


def tools_missing():
    if shutil.which("node") is None:
        return "no node"
    if not os.access(CHROMIUM, os.X_OK):
        return "no Chromium at %s" % CHROMIUM
    if not os.path.isdir(os.path.join(WEB_TESTS, "node_modules",
                                      "playwright-core")):
        return "no playwright-core: run `npm ci` in tests/web"
    for f in ("voter.mjs", "pages.mjs"):
        if not os.path.exists(os.path.join(WEB_TESTS, f)):
            return "no tests/web/%s" % f
    return None


def node(script, args, timeout):
    p = subprocess.run(["node", os.path.join(WEB_TESTS, script)] + args,
                       capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    check(p.returncode == 0, "%s %s: exit %d\n%s\n%s" % (
        script, " ".join(args), p.returncode, p.stdout[-4000:],
        p.stderr[-4000:]))
    return p.stdout


def test_web_e2e(build):
    why = tools_missing()
    if why:
        print("%s: skipped" % why)
        sys.exit(SKIP)
    verifier = os.path.join(build, "verifier", "verifier")
    shots = os.path.join(build, "artefacts", "web-e2e")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    tmp = tempfile.mkdtemp(prefix="web-e2e-")
    try:
        with Ballotd(build, config={"web_root": os.path.join(REPO, "web")}) \
                as d:
            d.start()
            run_poll(build, d, tmp, verifier, shots)
            d.stop_ok()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_poll(build, d, tmp, verifier, shots):
    c = d.client()
    url = "http://127.0.0.1:%d" % d.http_port
    ctl = Ctl(build, url)
    ts, _ = create_poll(ctl, tmp, DEFINITION)
    _, _, rows = import_roll(ctl, PID, tmp, ["voter_id,name"] + [
        "%s,Voter %s" % (v, v[1:]) for v in VOTERS])
    creds = {r["voter_id"]: r["credential"] for r in rows}
    run_ceremony(ctl, PID, ts)
    ctl.ok("poll", "open", PID)

    # ---- the votes: the page and ballotctl, interleaved ----
    receipts = {}
    batch, phone = [], []
    for v, (committee, chair, how) in VOTERS.items():
        rpath = os.path.join(tmp, "receipt-%s.json" % v)
        receipts[v] = rpath
        choices = {"committee": committee, "chair": chair}
        if how is None:
            ctl.ok("vote", PID, "--credential", creds[v], "--ballot",
                   json.dumps(choices), "--receipt", rpath)
            continue
        item = {"credential": creds[v], "choices": choices,
                "mode": how["mode"], "receipt_out": rpath,
                "via": how["via"]}
        if "reload_at" in how:
            item["reload_at"] = how["reload_at"]
        (phone if how.get("phone") else batch).append(item)
    for items, width, name in ((batch, 1280, "desktop"),
                               (phone, 360, "phone")):
        bpath = os.path.join(tmp, "batch-%s.json" % name)
        with open(bpath, "w") as f:
            json.dump(items, f, indent=1)
        out = node("voter.mjs", ["--base", url, "--poll", PID, "--batch",
                                 bpath, "--width", str(width),
                                 "--screenshots", os.path.join(shots, name)],
                   timeout=400)
        check(out.count("ok   ") >= len(items), "voter.mjs: %s" % out)
    # At phone width: a ballotctl voter's credential is used, and the
    # page says so instead of voting; a wrong credential is refused.
    node("voter.mjs", ["--base", url, "--poll", PID, "--credential",
                       creds["v06"], "--expect-error", "already-voted",
                       "--width", "360", "--screenshots",
                       os.path.join(shots, "phone-already-voted")],
         timeout=120)
    # One symbol of the secret changed (not the last, whose low bits
    # must be zero): well formed, but nobody's credential.
    vid, secret = creds["v07"].split(":")
    bad = "%s:%s%s" % (vid, "B" if secret[0] != "B" else "C", secret[1:])
    node("voter.mjs", ["--base", url, "--poll", PID, "--credential", bad,
                       "--expect-error", "bad-credential", "--width", "360"],
         timeout=120)
    # A credential with a symbol missing: the page says it is incomplete.
    node("voter.mjs", ["--base", url, "--poll", PID, "--credential",
                       creds["v07"][:-1], "--expect-error",
                       "malformed-credential"], timeout=120)

    # ---- each browser receipt, checked by ballotctl; a forged one fails
    for v, (_, _, how) in VOTERS.items():
        check(os.path.exists(receipts[v]), "no receipt for %s" % v)
        o = ctl.ok("check-receipt", PID, receipts[v])
        check("latest inclusion" in o, "check-receipt %s: %s" % (v, o))
    rec = json.load(open(receipts["v01"]))
    check(rec.get("format") == "ballotctl-receipt/1" and
          rec["server"] == url and "entry" in rec and "board_key" in rec,
          "the page's receipt file: %r" % rec)
    forged = dict(rec)
    forged["receipt"] = dict(rec["receipt"])
    sig = bytearray(base64.urlsafe_b64decode(
        forged["receipt"]["receipt_sig"] + "=="))
    sig[5] ^= 1
    forged["receipt"]["receipt_sig"] = base64.urlsafe_b64encode(
        bytes(sig)).decode().rstrip("=")
    fpath = os.path.join(tmp, "forged.json")
    with open(fpath, "w") as f:
        json.dump(forged, f)
    rc, o, e = ctl.run("check-receipt", PID, fpath)
    check(rc == 1 and "receipt signature" in e,
          "a forged receipt signature: %d %s %s" % (rc, o, e))

    # ---- close, release, tally, publish ----
    st = c.get("/polls/%s/status" % PID).json
    check(st["tree_size"] == 10 and sum(k["entries"] for k in st["classes"]) == 10,
          "status after the votes: %r" % st)
    ctl.ok("poll", "close", PID)
    for t in (ts[0], ts[2]):
        ctl.ok("trustee", "release", PID, "--key", t.key, "--state",
               t.state)
    out = os.path.join(tmp, PID)
    o = ctl.ok("tally", PID, "--out", out)
    check("committee: Alex MORGAN, Sam PATEL" in o and
          "chair: Dana WRIGHT" in o, "tally: %s" % o)
    tarpath = out + ".record.tar"
    ctl.ok("publish", PID, tarpath)

    # Every browser ballot is exactly what its voter chose.
    ballots = {}
    with open(os.path.join(out, "ballots.jsonl")) as f:
        for line in f:
            b = json.loads(line)
            ballots[b["leaf_index"]] = b
    for v, (committee, chair, how) in VOTERS.items():
        leaf = json.load(open(receipts[v]))["receipt"]["leaf_index"]
        b = ballots[leaf]
        check(b["valid"] and b["counted"], "%s's ballot: %r" % (v, b))
        plain = json.loads(base64.urlsafe_b64decode(b["plaintext"] + "=="))
        check(plain == {"v": 1, "poll": PID, "class": b["class"],
                        "contests": {"committee": committee,
                                     "chair": chair}},
              "%s's ballot decrypts to %r" % (v, plain))

    # ---- the board and results pages ----
    tracker = json.load(open(receipts["v03"]))["receipt"]["tracker"]
    # The board page finds v03's tracker and honours v03's receipt file
    # (the one the page downloaded), and reports forgeries of both.
    node("pages.mjs", ["--base", url, "--poll", PID, "--tracker", tracker,
                       "--receipt", receipts["v03"],
                       "--expect-elected", json.dumps(ELECTED),
                       "--screenshots", os.path.join(shots, "pages")],
         timeout=180)

    # ---- one record, one verification, every receipt ----
    args = [verifier, "check", tarpath]
    for v in VOTERS:
        args += ["--receipt", receipts[v]]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "verifier check: %d\n%s\n%s" % (
        p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    # The report says each contest's rule in plain words.
    r = c.get("/polls/%s/record/report.html" % PID)
    check(r.status == 200 and
          b"<strong>The rule:</strong> 2 seats, by the single transferable "
          b"vote (the Scottish STV rules (2007))." in r.body and
          b"One choice among 3 options, by instant runoff" in r.body,
          "report.html rules: %r" % r.body[:300])
    # The published record as the server gives it is the same file.
    r = c.get("/polls/%s/record.tar" % PID)
    check(r.status == 200 and r.body == open(tarpath, "rb").read(),
          "record.tar")


if __name__ == "__main__":
    main([test_web_e2e], time_limit=560)
