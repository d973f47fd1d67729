"""`verifier check` on a real election record and on tampered copies.

The record comes from tests/verifier/make_record.py: a real poll through
ballotd, `ballotctl trustee` (three trustees, k = 2) and `ballotctl vote`
(ten ballots, plus one cast by hand that does not decrypt), assembled
from the server's public routes -- see that file for why.  Every tamper
case changes one thing in a copy and asserts the exact failure
`verifier check` must report: the file, the entry (line, member or "-")
and the check's name.  Forged tree heads and ceremony messages are
signed with the real keys (the board key from the daemon's store, the
trustees' from their key files), so the checks that must catch them are
the root, consistency and share checks, not the signatures.

usage: python3 test_verifier.py BUILD_DIR
"""

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "verifier"))
from ballotd_harness import SKIP, binary_path, main  # noqa: E402
import make_record as mr  # noqa: E402

STATE = {}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def record(build):
    """The good record, made once."""
    if "error" in STATE:
        raise AssertionError("no record: %s" % STATE["error"])
    if "rec" not in STATE:
        tmp = STATE.setdefault("tmp",
                               tempfile.mkdtemp(prefix="verifier-test-"))
        STATE["bin"] = os.path.join(build, "verifier", "verifier")
        STATE["n"] = 0
        try:
            STATE["rec"] = mr.make_record(build, os.path.join(tmp, "vrec"),
                                          tmp)
        except Exception as e:
            STATE["error"] = "%s: %s" % (type(e).__name__, e)
            raise
    return STATE["rec"]


def verifier(*args, timeout=120):
    r = subprocess.run([STATE["bin"]] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def run_check(path, *extra):
    rc, out, err = verifier("check", "--format", "json", path, *extra)
    check(rc in (0, 1), "verifier check %s: exit %d\n%s%s" %
          (path, rc, out, err))
    return rc, json.loads(out)


def copy():
    STATE["n"] += 1
    d = os.path.join(STATE["tmp"], "case%02d" % STATE["n"])
    shutil.copytree(STATE["rec"]["dir"], d)
    return d


def lines(d, name):
    with open(os.path.join(d, name)) as f:
        return [json.loads(l) for l in f.read().splitlines()]


def write_lines(d, name, rows):
    with open(os.path.join(d, name), "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def flip(b64, byte, bit=0x01):
    b = bytearray(mr.unb64u(b64))
    b[byte] ^= bit
    return mr.b64u(bytes(b))


def sign_sth(size, root, ts):
    rec = STATE["rec"]
    return mr.b64u(mr.ed25519_sign(
        rec["board_sk"], mr.sth_bytes(size, root, ts, rec["poll_hash"]),
        STATE["tmp"]))


def leaves_of(d):
    return [mr.leaf_hash(mr.unb64u(e["entry"]))
            for e in lines(d, "board/entries.jsonl")]


def expect(case, mutate, file, where, chk, contains=None, absent=None,
           extra=()):
    """Applies mutate to a copy; verifier check must exit 1 and report
    (file, where, chk) -- and not (absent) if given."""
    d = copy()
    mutate(d)
    rc, fails = run_check(d, *extra)
    keys = [(f["file"], f["where"], f["check"]) for f in fails]
    check(rc == 1, "%s: exit %d, failures %r" % (case, rc, fails))
    hit = [f for f in fails
           if (f["file"], f["where"], f["check"]) == (file, where, chk)]
    check(hit, "%s: expected %s:%s %s, got %r" % (case, file, where, chk,
                                                   keys))
    if contains:
        check(any(contains in f["what"] for f in hit),
              "%s: %r not in %r" % (case, contains, hit))
    if absent:
        check(absent not in keys, "%s: %r reported: %r" %
              (case, absent, fails))
    shutil.rmtree(d)


# ---- the good record ----

def test_good_record(build):
    rec = record(build)
    rc, out, err = verifier("check", rec["dir"])
    check(rc == 0 and out.startswith("OK "), (rc, out, err))
    check("11 entries" in out and "2 contests recounted" in out, out)
    receipts = []
    for r in rec["receipts"]:
        receipts += ["--receipt", r]
    rc, out, err = verifier("check", "--jobs", "1", rec["tar"], *receipts)
    check(rc == 0 and "10 receipts" in out, (rc, out, err))
    rc, fails = run_check(rec["dir"], "--jobs", "7")
    check(rc == 0 and fails == [], fails)


# ---- the board ----

def test_board_tampering(build):
    rec = record(build)
    bad = rec["bad_leaf"]

    def added(d):
        # A new entry whose token was never issued: a fresh token and
        # signatures made of random bytes.
        es = lines(d, "board/entries.jsonl")
        entry = (mr.lp("ballot-entry/v2") + mr.lp(rec["poll_hash"]) +
                 mr.lp("committee*1") + mr.lp(os.urandom(64)) +
                 mr.lp(os.urandom(256)) + mr.lp(os.urandom(337)) +
                 mr.lp(os.urandom(64)))
        es.append({"leaf_index": len(es),
                   "leaf_hash": mr.leaf_hash(entry).hex(),
                   "entry": mr.b64u(entry)})
        write_lines(d, "board/entries.jsonl", es)
    expect("ballot added", added, "board/entries.jsonl", "12",
           "token-signature")
    expect("ballot added", added, "board/entries.jsonl", "-",
           "final-head")

    def dropped(d):
        es = lines(d, "board/entries.jsonl")
        del es[4]
        for i, e in enumerate(es):
            e["leaf_index"] = i
        write_lines(d, "board/entries.jsonl", es)
    expect("ballot dropped", dropped, "board/entries.jsonl", "-",
           "final-head", contains="10 entries")
    expect("ballot dropped", dropped, "board/sths.jsonl", "5", "sth-root")

    def altered(d):
        es = lines(d, "board/entries.jsonl")
        b = bytearray(mr.unb64u(es[3]["entry"]))
        b[-64 - 4 - 5] ^= 0x10  # a bit of the sealed ballot's ciphertext
        es[3]["entry"] = mr.b64u(bytes(b))
        write_lines(d, "board/entries.jsonl", es)
    expect("ballot altered", altered, "board/entries.jsonl", "4",
           "leaf-hash")
    expect("ballot altered", altered, "ballots.jsonl", "4", "decryption",
           contains="does not decrypt")

    def altered_rehashed(d):
        altered(d)
        es = lines(d, "board/entries.jsonl")
        es[3]["leaf_hash"] = mr.leaf_hash(mr.unb64u(es[3]["entry"])).hex()
        write_lines(d, "board/entries.jsonl", es)
    expect("ballot altered, leaf hash redone", altered_rehashed,
           "board/sths.jsonl", "4", "sth-root",
           absent=("board/entries.jsonl", "4", "leaf-hash"))

    def reordered(d):
        es = lines(d, "board/entries.jsonl")
        for k in ("leaf_hash", "entry"):
            es[2][k], es[3][k] = es[3][k], es[2][k]
        write_lines(d, "board/entries.jsonl", es)
    expect("ballots reordered", reordered, "board/sths.jsonl", "3",
           "sth-root")
    expect("ballots reordered", reordered, "ballots.jsonl", "3", "ballots")

    def reused(d):
        es = lines(d, "board/entries.jsonl")
        dup = dict(es[1])
        dup["leaf_index"] = len(es)
        # The same token under a new leaf: the entry again, byte for
        # byte (a new ballot would need the voter's cast key for its
        # cast_sig; the "cast signature forged" row is that case).
        es.append(dup)
        write_lines(d, "board/entries.jsonl", es)
    expect("token reused", reused, "board/entries.jsonl", "12",
           "token-reused", contains="leaf 1")

    def forged_sig(d):
        es = lines(d, "board/entries.jsonl")
        b = bytearray(mr.unb64u(es[2]["entry"]))
        # lp(label) lp(hash) lp(class) lp(token) lp(sig): a byte of sig
        off = 0
        for _ in range(4):
            off += 4 + int.from_bytes(b[off:off + 4], "big")
        b[off + 4 + 100] ^= 0x04
        es[2]["entry"] = mr.b64u(bytes(b))
        es[2]["leaf_hash"] = mr.leaf_hash(bytes(b)).hex()
        write_lines(d, "board/entries.jsonl", es)
    expect("forged token signature", forged_sig, "board/entries.jsonl", "3",
           "token-signature")

    def forged_cast_sig(d):
        # A new sealed ballot under leaf 2's token, with a cast_sig not
        # made by the key in the token (a byte of the original changed):
        # what a server without the voter's key would have to write.
        # The heads are re-signed with the board key over the altered
        # tree, so only the cast signature gives it away.
        es = lines(d, "board/entries.jsonl")
        b = bytearray(mr.unb64u(es[2]["entry"]))
        b[-64 - 4 - 5] ^= 0x10  # the sealed ballot's ciphertext
        b[-7] ^= 0x01           # cast_sig (the last lp field)
        es[2]["entry"] = mr.b64u(bytes(b))
        es[2]["leaf_hash"] = mr.leaf_hash(bytes(b)).hex()
        write_lines(d, "board/entries.jsonl", es)
        hs = lines(d, "board/sths.jsonl")
        lv = leaves_of(d)
        for h in hs:
            root = mr.merkle_root(lv[:h["tree_size"]])
            h["root"] = root.hex()
            h["signature"] = sign_sth(h["tree_size"], root,
                                      h["timestamp_ms"])
        write_lines(d, "board/sths.jsonl", hs)
    expect("cast signature forged", forged_cast_sig, "board/entries.jsonl",
           "3", "cast-signature", contains="leaf 2",
           absent=("board/sths.jsonl", "3", "sth-root"))

    def resigned(d):
        # The head of size 6 re-signed with the board key over another
        # tree: the same entries but leaf 2 changed.
        hs = lines(d, "board/sths.jsonl")
        lv = leaves_of(d)
        lv[2] = hashlib.sha256(b"another ballot").digest()
        h = hs[5]
        check(h["tree_size"] == 6, h)
        root = mr.merkle_root(lv[:6])
        h["root"] = root.hex()
        h["signature"] = sign_sth(6, root, h["timestamp_ms"])
        write_lines(d, "board/sths.jsonl", hs)
    expect("head re-signed over another tree", resigned, "board/sths.jsonl",
           "6", "sth-root",
           absent=("board/sths.jsonl", "6", "sth-signature"))
    expect("head re-signed over another tree", resigned, "board/sths.jsonl",
           "7", "sth-consistency")

    def inconsistent(d):
        # Two validly signed heads of the same size with different roots
        # (a split view).
        hs = lines(d, "board/sths.jsonl")
        h = dict(hs[3])
        root = mr.merkle_root([hashlib.sha256(b"x%d" % i).digest()
                               for i in range(4)])
        h["root"] = root.hex()
        h["timestamp_ms"] += 1
        h["signature"] = sign_sth(4, root, h["timestamp_ms"])
        hs.insert(4, h)
        write_lines(d, "board/sths.jsonl", hs)
    expect("two inconsistent heads", inconsistent, "board/sths.jsonl", "5",
           "sth-consistency", contains="lines 4 and 5")

    def bad_sth_sig(d):
        hs = lines(d, "board/sths.jsonl")
        hs[0]["signature"] = flip(hs[0]["signature"], 7)
        write_lines(d, "board/sths.jsonl", hs)
    expect("head signature broken", bad_sth_sig, "board/sths.jsonl", "1",
           "sth-signature")

    def last_head_dropped(d):
        hs = lines(d, "board/sths.jsonl")
        write_lines(d, "board/sths.jsonl", hs[:-1])
    expect("final head missing", last_head_dropped, "board/sths.jsonl",
           "10", "final-head")

    # A receipt whose leaf is not on the board any more.
    last = rec["receipts"][-1]
    r = json.load(open(last))
    r = r.get("receipt", r)

    def drop_last(d):
        es = lines(d, "board/entries.jsonl")
        del es[r["leaf_index"]]
        for i, e in enumerate(es):
            e["leaf_index"] = i
        write_lines(d, "board/entries.jsonl", es)
    expect("receipt's leaf missing", drop_last, last, "leaf_index",
           "receipt", extra=("--receipt", last))
    # ... and a receipt from another board (its signature broken).
    forged = os.path.join(STATE["tmp"], "forged-receipt.json")
    doc = json.load(open(rec["receipts"][0]))
    inner = doc.get("receipt", doc)
    inner["receipt_sig"] = flip(inner["receipt_sig"], 3)
    with open(forged, "w") as f:
        json.dump(doc, f)
    expect("receipt signature broken", lambda d: None, forged,
           "receipt_sig", "receipt", extra=("--receipt", forged))
    check(bad is not None, "no undecryptable ballot")


# ---- decryptions, verdicts, counts ----

def test_tally_tampering(build):
    rec = record(build)
    bad = rec["bad_leaf"]

    def wrong_plain(d):
        bs = lines(d, "ballots.jsonl")
        p = mr.unb64u(bs[4]["plaintext"]).replace(b"[4,2]", b"[2,4]")
        check(p != mr.unb64u(bs[4]["plaintext"]), "ballot 4 unchanged")
        bs[4]["plaintext"] = mr.b64u(p)
        write_lines(d, "ballots.jsonl", bs)
    expect("wrong decryption", wrong_plain, "ballots.jsonl", "5",
           "decryption")

    def invalid_to_valid(d):
        bs = lines(d, "ballots.jsonl")
        check(bs[bad]["valid"] is False, bs[bad])
        bs[bad].update(valid=True, reason=None, counted=True)
        write_lines(d, "ballots.jsonl", bs)
    expect("invalid ballot made valid", invalid_to_valid, "ballots.jsonl",
           str(bad + 1), "verdict", contains="does not decrypt")

    def not_counted(d):
        bs = lines(d, "ballots.jsonl")
        bs[0]["counted"] = False
        write_lines(d, "ballots.jsonl", bs)
    expect("counted ballot dropped from the count", not_counted,
           "ballots.jsonl", "1", "verdict")

    def swapped_winners(d):
        r = json.loads(read(d, "results.json"))
        el = r["contests"][0]["elected"]
        check(len(el) == 2, el)
        el.reverse()
        write(d, "results.json", json.dumps(r).encode())
    expect("two winners swapped", swapped_winners, "results.json",
           "contests[0]", "results")

    def stage_total(d):
        r = json.loads(read(d, "contests/committee.json"))
        v = r["stages"][0]["votes"]
        v["Bob"] = "%.5f" % (float(v["Bob"]) + 0.00001)
        text = read(d, "contests/committee.json").decode()
        old = json.loads(text)["stages"][0]["votes"]["Bob"]
        i = text.index('"Bob": "%s"' % old)
        text = text[:i] + '"Bob": "%s"' % v["Bob"] + \
            text[i + len('"Bob": "%s"' % old):]
        write(d, "contests/committee.json", text.encode())
    expect("a stage total changed by 0.00001", stage_total,
           "contests/committee.json", "-", "recount",
           contains="stage 1, candidate Bob")

    def blt_line(d):
        t = read(d, "contests/committee.blt").decode().split("\n")
        check(t[2].startswith("(L1) 1 2 1 0"), t[2])
        t[2] = "(L1) 1 1 2 0"
        write(d, "contests/committee.blt", "\n".join(t).encode())
    expect("a BLT line changed", blt_line, "contests/committee.blt", "3",
           "blt")

    def passed(d):
        r = json.loads(read(d, "results.json"))
        check(r["contests"][1]["kind"] == "referendum", r)
        r["contests"][1]["passed"] = not r["contests"][1]["passed"]
        write(d, "results.json", json.dumps(r).encode())
    expect("referendum outcome flipped", passed, "results.json",
           "contests[1]", "results")

    def categories(d):
        t = read(d, "contests/committee.categories")
        check(t.startswith(b"category women min 1 max 2\n"), t)
        write(d, "contests/committee.categories",
              t.replace(b"min 1", b"min 0", 1))
    expect("a constraint changed", categories,
           "contests/committee.categories", "1", "categories")

    def turnout(d):
        r = json.loads(read(d, "results.json"))
        r["turnout"]["counted"] += 1
        write(d, "results.json", json.dumps(r).encode())
    expect("turnout changed", turnout, "results.json", "turnout.counted",
           "results")

    # The class of the entry that does not decrypt: it has one entry
    # more than counted ballots (the poll has no revoting, so as many
    # entries as tokens).
    bad_cls = lines(rec["dir"], "ballots.jsonl")[bad]["class"]
    good_bc = json.loads(read(rec["dir"], "results.json"))["turnout"][
        "by_class"]
    ci = [b["id"] for b in good_bc].index(bad_cls)
    n_ent = sum(1 for b in lines(rec["dir"], "ballots.jsonl")
                if b["class"] == bad_cls)
    check(good_bc[ci]["cast"] == n_ent and
          good_bc[ci]["counted"] == n_ent - 1, good_bc[ci])

    def cast_changed(d):
        r = json.loads(read(d, "results.json"))
        r["turnout"]["by_class"][ci]["cast"] -= 1
        write(d, "results.json", json.dumps(r).encode())
    expect("results.json by_class cast changed", cast_changed,
           "results.json", "turnout.by_class[%d].cast" % ci, "results",
           contains="class %s: recorded another number, recomputed %d" %
           (bad_cls, n_ent))

    def cast_missing(d):
        r = json.loads(read(d, "results.json"))
        del r["turnout"]["by_class"][ci]["cast"]
        write(d, "results.json", json.dumps(r).encode())
    expect("results.json by_class cast left out", cast_missing,
           "results.json", "turnout.by_class[%d].cast" % ci, "results",
           contains="no number")

    def fewer_issued_than_cast(d):
        # One token of the bad entry's class leaves the log: its counted
        # ballots still have tokens (one entry is not counted), but it
        # has more entries than tokens in a poll without revoting.
        rows = lines(d, "issuance.jsonl")
        drop = [i for i, r in enumerate(rows) if r["class"] == bad_cls][0]
        write_lines(d, "issuance.jsonl", rows[:drop] + rows[drop + 1:])
    expect("more entries than tokens", fewer_issued_than_cast,
           "issuance.jsonl", "-", "class-count",
           contains="class %s: %d ballots cast, but only %d tokens issued"
           % (bad_cls, n_ent, n_ent - 1))

    def fewer_issued(d):
        # The issuance log loses the tokens of class committee*2: its
        # two counted ballots have no tokens behind them.
        rows = [r for r in lines(d, "issuance.jsonl")
                if r["class"] != "committee*2"]
        write_lines(d, "issuance.jsonl", rows)
    expect("more ballots than tokens", fewer_issued, "issuance.jsonl", "-",
           "class-count", contains="committee*2")

    def pseudonym_twice(d):
        # A second token for the voter of line 3: the same pseudonym
        # at the end of the log.
        rows = lines(d, "issuance.jsonl")
        dup = dict(rows[2])
        dup["seq"] = len(rows)
        write_lines(d, "issuance.jsonl", rows + [dup])
    # The record's log has 11 lines (as the "not JSON" row also knows).
    expect("a pseudonym issued twice", pseudonym_twice, "issuance.jsonl",
           "12", "issuance", contains="pseudonym issued twice (line 3)")


# ---- the poll, states, ceremony, keys ----

def test_record_tampering(build):
    rec = record(build)

    def poll_byte(d):
        p = read(d, "poll.json")
        i = p.index(b"A poll for verifier check")
        write(d, "poll.json", p[:i] + b"B" + p[i + 1:])
    expect("poll.json changed by one byte", poll_byte, "keys.json",
           "poll_hash", "poll-hash")
    expect("poll.json changed by one byte", poll_byte, "states.jsonl", "1",
           "state-chain")

    def state_sig(d):
        ss = lines(d, "states.jsonl")
        ss[2]["signature"] = flip(ss[2]["signature"], 20)
        write_lines(d, "states.jsonl", ss)
    expect("a state record's signature broken", state_sig, "states.jsonl",
           "3", "state-signature")

    def state_dropped(d):
        ss = lines(d, "states.jsonl")
        del ss[1]
        write_lines(d, "states.jsonl", ss)
    expect("a state record dropped", state_dropped, "states.jsonl", "2",
           "state-chain")

    def state_details(d):
        ss = lines(d, "states.jsonl")
        ss[0]["details"]["voters"] += 1
        write_lines(d, "states.jsonl", ss)
    expect("details not details_bytes", state_details, "states.jsonl", "1",
           "state-details")

    def cer_sig(d):
        ms = lines(d, "ceremony.jsonl")
        ms[0]["sig"] = flip(ms[0]["sig"], 33)
        write_lines(d, "ceremony.jsonl", ms)
    expect("a ceremony message's signature broken", cer_sig,
           "ceremony.jsonl", "1", "ceremony-signature")

    def wrong_share(d):
        # Trustee 1 releases another share, validly signed by trustee 1.
        ms = lines(d, "ceremony.jsonl")
        m = [m for m in ms if m["kind"] == "release" and m["from"] == 1][0]
        body = bytearray(mr.unb64u(m["body"]))
        body[-1] ^= 0x01
        msg = (mr.lp("ballot-ceremony/v1") + mr.lp(rec["poll_hash"]) +
               mr.lp("release") + mr.lp((1).to_bytes(8, "big")) +
               mr.lp((0).to_bytes(8, "big")) + mr.lp(bytes(body)))
        m["body"] = mr.b64u(bytes(body))
        m["sig"] = mr.b64u(mr.ed25519_sign(rec["trustee_seeds"][1], msg,
                                           STATE["tmp"]))
        write_lines(d, "ceremony.jsonl", ms)
    expect("a wrong share", wrong_share, "ceremony.jsonl", "-", "release",
           contains="trustee 1")
    expect("a wrong share", wrong_share, "election-key.json",
           "shares_used", "key-interpolation")

    def key_changed(d):
        k = json.loads(read(d, "election-key.json"))
        x = (int(k["private_key"], 16) + 1) % mr.N
        k["private_key"] = x.to_bytes(32, "big").hex()
        write(d, "election-key.json", json.dumps(k).encode())
    expect("the rebuilt key changed", key_changed, "election-key.json",
           "private_key", "election-key")

    def keys_board(d):
        k = json.loads(read(d, "keys.json"))
        k["board_key"] = flip(k["board_key"], 0)
        write(d, "keys.json", json.dumps(k).encode())
    expect("keys.json's board key replaced", keys_board, "states.jsonl",
           "4", "keys")

    def missing(d):
        os.unlink(os.path.join(d, "ballots.jsonl"))
    expect("ballots.jsonl missing", missing, "ballots.jsonl", "-",
           "missing")

    def not_jsonl(d):
        with open(os.path.join(d, "issuance.jsonl"), "a") as f:
            f.write("{\"seq\": 1,\n")
    expect("a line that is not JSON", not_jsonl, "issuance.jsonl", "12",
           "format")


# ---- the tarball reader and the command line ----

def tar_bytes(members):
    """members: (name, data, type) in order; a ustar archive."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w",
                      format=tarfile.USTAR_FORMAT) as t:
        for name, data, typ in members:
            ti = tarfile.TarInfo(name)
            ti.type = typ
            ti.size = len(data) if typ == tarfile.REGTYPE else 0
            if typ == tarfile.SYMTYPE:
                ti.linkname = "/etc/passwd"
            t.addfile(ti, io.BytesIO(data) if data else None)
    return bio.getvalue()


def test_tarball_and_usage(build):
    rec = record(build)
    tmp = STATE["tmp"]
    good = open(rec["tar"], "rb").read()

    def refused(data, what):
        p = os.path.join(tmp, "bad.tar")
        with open(p, "wb") as f:
            f.write(data)
        rc, out, err = verifier("check", p)
        check(rc == 3 and what in err, "%s: exit %d, %r" % (what, rc, err))

    b = bytearray(good)
    b[150] ^= 0x01  # inside the first header's checksum field
    refused(bytes(b), "checksum")
    b = bytearray(good)
    b[0] ^= 0x01  # the first member's name: checksum no longer matches
    refused(bytes(b), "checksum")
    at = good.index(b"vrec/board/entries.jsonl")
    check(at % 512 == 0, at)
    refused(good[:at + 1024], "runs past the archive")
    refused(good[:1000], "512-byte blocks")
    refused(tar_bytes([("../poll.json", b"{}", tarfile.REGTYPE)]), "'..'")
    refused(tar_bytes([("/poll.json", b"{}", tarfile.REGTYPE)]),
            "absolute")
    refused(tar_bytes([("vrec/poll.json", b"", tarfile.SYMTYPE)]),
            "not a regular file")
    refused(tar_bytes([("vrec/", b"", tarfile.DIRTYPE)]),
            "not a regular file")
    refused(tar_bytes([("a/poll.json", b"1", tarfile.REGTYPE),
                       ("a/poll.json", b"2", tarfile.REGTYPE)]),
            "appears twice")
    # A readable but empty archive: every file missing, exit 1.
    p = os.path.join(tmp, "empty.tar")
    with open(p, "wb") as f:
        f.write(bytes(1024))
    rc, out, err = verifier("check", p)
    check(rc == 1 and "FAIL poll.json:- missing:" in out, (rc, out, err))

    rc, out, err = verifier("check", "--format", "xml", rec["dir"])
    check(rc == 2 and "unknown format" in err, (rc, err))
    rc, out, err = verifier("check", "--jobs", "0", rec["dir"])
    check(rc == 2 and "--jobs" in err, (rc, err))
    rc, out, err = verifier("check")
    check(rc == 2, (rc, err))
    rc, out, err = verifier("check", os.path.join(tmp, "nope"))
    check(rc == 3 and "No such file" in err, (rc, err))
    rc, out, err = verifier("check", "--help")
    check(rc == 0 and out.startswith("usage: verifier check"), out)
    rc, out, err = verifier("--help")
    check(rc == 0 and "  check " in out, out)
    # Text format: FAIL <file>:<where> <check>: <what>, then a count.
    d = copy()
    ss = lines(d, "states.jsonl")
    ss[2]["signature"] = flip(ss[2]["signature"], 20)
    write_lines(d, "states.jsonl", ss)
    rc, out, err = verifier("check", d)
    check(rc == 1 and out.splitlines()[0].startswith(
        "FAIL states.jsonl:3 state-signature: ") and
        out.splitlines()[-1] == "1 check failed", out)


def test_real_tally(build):
    """If `ballotctl tally` exists, its record must pass too."""
    t = record(build)["tally"]
    if t is None:
        print("    (no 'ballotctl tally' yet: its record is not checked)")
        return
    check(t["rc"] == 0, "ballotctl tally: exit %d\n%s%s" %
          (t["rc"], t["out"], t["err"]))
    receipts = []
    for r in record(build)["receipts"]:
        receipts += ["--receipt", r]
    for path in (t["dir"], t["dir"] + ".record.tar"):
        rc, out, err = verifier("check", path, *receipts)
        check(rc == 0, "verifier check of ballotctl tally's record %s: "
              "exit %d\n%s%s" % (path, rc, out, err))
    print("    ballotctl tally's record passes: %s" % out.strip())


def cleanup(build):
    if "tmp" in STATE:
        shutil.rmtree(STATE["tmp"], ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 2:
        b = sys.argv[1]
        ctl = os.path.join(b, "ballotctl", "ballotctl")
        if not os.access(binary_path(b), os.X_OK) or \
                not os.access(ctl, os.X_OK) or \
                not os.access(os.path.join(b, "verifier", "verifier"),
                              os.X_OK):
            print("no ballotd, ballotctl or verifier: skipped")
            sys.exit(SKIP)
    main([test_good_record, test_board_tampering, test_tally_tampering,
          test_record_tampering, test_tarball_and_usage, test_real_tally,
          cleanup], time_limit=600)
