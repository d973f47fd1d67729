"""make_record.py: an election record (docs/record.md) from a real poll,
for the tests of `verifier check`.

The choice (written down as the brief asks): the record comes from a real
poll run through the real programs -- ballotd, `ballotctl trustee` for a
three-trustee ceremony (k = 2), `ballotctl vote` for every ballot -- and
is assembled here, independently of the record writer (`ballotctl
tally`), from the server's public GET routes and the trustees' released
shares.  Three things do not come from the GET routes:

- the plaintexts: this script does not decrypt (Python's standard library
  has no AES-GCM); it knows what each voter cast and writes what the
  ballot encoder (proto_ballot_encode) makes of it.  `verifier check`
  decrypts every ballot itself, so a wrong guess here shows up as a
  failing good record, never as a false pass;
- every signed tree head the server made (the API serves only the
  latest): read from the daemon's SQLite store after it stopped;
- the board's private key, read from the same store, handed back to the
  caller so that the tamper tests can re-sign forged tree heads (a
  forger with the board key is exactly what the consistency and root
  checks must catch).

The election private key is rebuilt here from the released shares
(Lagrange at 0, P-256 arithmetic below), and the results by running
`verifier count` on the BLT files this script writes.

usage (standalone): python3 make_record.py BUILD_DIR OUT_DIR
"""

import base64
import csv
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from ballotd_harness import (ORGANISER_CREDENTIAL, Ballotd,  # noqa: E402
                             CastKey, cast_bytes)
from testcrypto import (G, N, b64u, ec_add, ec_mul, ed25519_sign,  # noqa: E402,F401
                        lp, point, point_bytes, unb64u)

def sha256(b):
    return hashlib.sha256(b).digest()


def sth_bytes(size, root, ts, poll_hash):
    """protocol.md section 8: the 93 signed bytes of a tree head."""
    return (b"ballot-sth/v1" + size.to_bytes(8, "big") + root +
            ts.to_bytes(8, "big") + poll_hash)


def leaf_hash(entry):
    return sha256(b"\x00" + entry)


def merkle_root(leaves):
    """RFC 9162 2.1.1 MTH over leaf hashes."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + merkle_root(leaves[:k]) +
                  merkle_root(leaves[k:]))


def mgf1(seed, n):
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha384(seed + i.to_bytes(4, "big")).digest()
        i += 1
    return out[:n]


def emsa_pss_encode(msg, embits):
    """RFC 8017 9.1.1 with SHA-384, MGF1-SHA-384, a 48-byte salt."""
    emlen = (embits + 7) // 8
    mhash = hashlib.sha384(msg).digest()
    salt = os.urandom(48)
    h = hashlib.sha384(bytes(8) + mhash + salt).digest()
    db = bytes(emlen - 48 - 48 - 2) + b"\x01" + salt
    masked = bytearray(a ^ b for a, b in zip(db, mgf1(h, emlen - 49)))
    masked[0] &= 0xff >> (8 * emlen - embits)
    return bytes(masked) + h + b"\xbc"


def cast_undecryptable(c, cred, jwk, klass, poll_hash):
    """A token by the RFC 9474 steps written out here (Prepare, Blind,
    the server's BlindSign, Finalize; msg the public key of a fresh cast
    key), then a sealed ballot that is a valid P-256 point followed by
    random bytes, signed with the cast key: the server takes it (it
    cannot look inside), and the tally must find it does not decrypt."""
    n = int.from_bytes(unb64u(jwk["n"]), "big")
    e = int.from_bytes(unb64u(jwk["e"]), "big")
    key = CastKey()
    prepared = os.urandom(32) + key.pub
    m = int.from_bytes(emsa_pss_encode(prepared, n.bit_length() - 1), "big")
    while True:
        r = int.from_bytes(os.urandom(256), "big") % n
        if r > 1:
            break
    blinded = m * pow(r, e, n) % n
    resp = c.post("/polls/%s/tokens" % POLL_ID,
                  {"credential": cred,
                   "blinded": b64u(blinded.to_bytes(256, "big"))})
    assert resp.status == 200, resp
    bs = int.from_bytes(unb64u(resp.json["blind_sig"]), "big")
    sig = bs * pow(r, -1, n) % n
    assert pow(sig, e, n) == m, "the blind signature does not finalize"
    enc = point_bytes(ec_mul(int.from_bytes(os.urandom(31), "big"), G))
    ballot = enc + os.urandom(256 + 16)
    resp = c.post("/polls/%s/casts" % POLL_ID,
                  {"class": klass, "token": b64u(prepared),
                   "sig": b64u(sig.to_bytes(256, "big")),
                   "ballot": b64u(ballot),
                   "cast_sig": b64u(key.sign(cast_bytes(
                       poll_hash, klass, prepared, ballot)))})
    assert resp.status == 200, resp
    return resp.json["leaf_index"]


def blt_quote(s):
    return '"' + s.replace('"', '""') + '"\n'


# ---- the poll ----

POLL_ID = "vrec"
CONTESTS = [
    {"id": "committee", "title": "The committee", "seats": 2,
     "rule": "scottish-stv",
     "candidates": [{"name": "Ann", "categories": ["women"]},
                    {"name": "Bob"},
                    {"name": "Cat", "categories": ["north", "women"]},
                    {"name": "Dan", "categories": ["north"]}],
     "constraints": [{"category": "women", "min": 1}]},
    {"id": "motion", "title": "The motion", "kind": "referendum",
     "seats": 1, "candidates": [{"name": "Yes"}, {"name": "No"}]},
]
# voter id, contests (None: all), weight, the ballot cast (None: abstains)
VOTERS = [
    ("v00", None, 1, {"committee": [1, 2, 3], "motion": [1]}),
    ("v01", None, 1, {"committee": [2, 1], "motion": [2]}),
    ("v02", None, 1, {"committee": [3, 1, 2, 4], "motion": [1]}),
    ("v03", None, 1, {"committee": [1, 3], "motion": []}),
    ("v04", None, 1, {"committee": [4, 2], "motion": [1]}),
    ("v05", None, 1, {"committee": [], "motion": [2]}),
    ("v06", None, 1, None),
    ("v07", "committee", 1, {"committee": [2, 3]}),
    ("v08", "committee", 1, {"committee": [1]}),
    ("v09", "committee", 1, None),
    ("v10", "committee", 2, {"committee": [3, 2, 1]}),
    ("v11", "committee", 2, {"committee": [4, 1]}),
]


def class_of(contests, weight):
    ids = sorted(c["id"] for c in CONTESTS) if contests is None \
        else [contests]
    return "+".join(ids) + "*%d" % weight


def plaintext(cls, ballot):
    """What proto_ballot_encode writes: no white space, the contests in
    the definition's order."""
    parts = ",".join('"%s":[%s]' % (cid, ",".join(map(str, ballot[cid])))
                     for cid in [c["id"] for c in CONTESTS] if cid in ballot)
    return ('{"v":1,"poll":"%s","class":"%s","contests":{%s}}' %
            (POLL_ID, cls, parts)).encode()


def run(cmd, timeout=120, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=timeout, **kw)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s\n%s" %
                             (" ".join(cmd), r.returncode, r.stdout,
                              r.stderr))
    return r.stdout


def get(c, path):
    r = c.get(path)
    if r.status != 200:
        raise AssertionError("GET %s: %r" % (path, r))
    return r.json


def make_record(build, out, tmp):
    """Runs the poll and writes the record directory `out`; returns a dict
    with "dir", "tar" (the tarball), "receipts" (paths, by leaf index),
    "board_sk" (32 bytes) and "poll_hash"."""
    ctl = os.path.join(build, "ballotctl", "ballotctl")
    verifier = os.path.join(build, "verifier", "verifier")
    env = dict(os.environ, BALLOT_ORGANISER_CREDENTIAL=ORGANISER_CREDENTIAL)
    d = Ballotd(build)
    with d:
        d.start()
        c = d.client()
        url = "http://127.0.0.1:%d" % d.http_port
        srv = ["--server", url]
        # Trustees: keys, then the poll that names them.
        trustees = []
        for i in (1, 2, 3):
            key = os.path.join(tmp, "t%d.key" % i)
            kv = dict(l.split(" ", 1) for l in
                      run([ctl, "trustee", "keygen", "--out",
                           key]).splitlines())
            trustees.append({"i": i, "key": key,
                             "state": os.path.join(tmp, "t%d.state" % i),
                             "sign_key": kv["sign_key"],
                             "hpke_key": kv["hpke_key"]})
        definition = {
            "format": "ballot-poll/1", "id": POLL_ID,
            "title": "A poll for verifier check", "revoting": False,
            "ballot_size": 256, "min_class_size": 1,
            "contests": CONTESTS,
            "trustees": {"k": 2, "members": [
                {"name": "T%d" % t["i"], "sign_key": t["sign_key"],
                 "hpke_key": t["hpke_key"]} for t in trustees]},
        }
        dpath = os.path.join(tmp, "def.json")
        with open(dpath, "w") as f:
            json.dump(definition, f, indent=1)
        run([ctl] + srv + ["poll", "create", dpath], env=env)
        roll = os.path.join(tmp, "roll.csv")
        with open(roll, "w") as f:
            f.write("voter_id,weight,contests\n")
            for vid, cs, w, _ in VOTERS:
                f.write("%s,%d,%s\n" % (vid, w, cs or ""))
        creds = os.path.join(tmp, "creds.csv")
        run([ctl] + srv + ["roll", "import", POLL_ID, roll, "--out", creds],
            env=env)
        cred, vclass = {}, {}
        with open(creds, newline="") as f:
            for row in csv.DictReader(f):
                cred[row["voter_id"]] = row["credential"]
                vclass[row["voter_id"]] = row["class"]
        run([ctl] + srv + ["poll", "ceremony", POLL_ID], env=env)
        procs = [subprocess.Popen(
            [ctl, "trustee", "ceremony", POLL_ID, "--key", t["key"],
             "--index", str(t["i"]), "--state", t["state"], "--server",
             url, "--timeout", "60", "--settle", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for t in trustees]
        try:
            for p in procs:
                o, e = p.communicate(timeout=120)
                if p.returncode != 0:
                    raise AssertionError("trustee ceremony: %s %s" % (o, e))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        run([ctl] + srv + ["poll", "open", POLL_ID], env=env)
        # Vote.
        receipts = {}
        plains = {}
        for vid, cs, w, ballot in VOTERS:
            if ballot is None:
                continue
            rpath = os.path.join(tmp, "receipt-%s.json" % vid)
            cpath = os.path.join(tmp, "cred-%s" % vid)
            with open(cpath, "w") as f:
                f.write(cred[vid] + "\n")
            run([ctl] + srv + ["vote", POLL_ID, "--credential-file", cpath,
                               "--ballot", json.dumps(ballot), "--receipt",
                               rpath, "--class", vclass[vid]])
            assert vclass[vid] == class_of(cs, w), vclass[vid]
            rec = json.load(open(rpath))
            r = rec.get("receipt", rec)
            receipts[r["leaf_index"]] = rpath
            plains[r["leaf_index"]] = plaintext(class_of(cs, w), ballot)
        # One ballot that does not decrypt, cast by v06.
        g = get(c, "/polls/" + POLL_ID)
        jwk = [k for k in g["classes"]
               if k["id"] == vclass["v06"]][0]["token_key"]["jwk"]
        bad_leaf = cast_undecryptable(c, cred["v06"], jwk, vclass["v06"],
                                      bytes.fromhex(g["poll_hash"]))
        plains[bad_leaf] = None
        run([ctl] + srv + ["poll", "close", POLL_ID], env=env)
        for t in (trustees[0], trustees[2]):
            run([ctl, "trustee", "release", POLL_ID, "--key", t["key"],
                 "--state", t["state"], "--server", url])
        # The real record writer, when there is one, on the same poll.
        tally = None
        if subprocess.run([ctl, "tally", "--help"], capture_output=True,
                          timeout=30).returncode == 0:
            tdir = out.rstrip("/") + "-tally"
            r = subprocess.run([ctl] + srv + ["tally", POLL_ID, "--out",
                                              tdir], env=env,
                               capture_output=True, text=True, timeout=300)
            tally = {"dir": tdir, "rc": r.returncode, "out": r.stdout,
                     "err": r.stderr}
        info = get(c, "/polls/" + POLL_ID)
        states = get(c, "/polls/%s/states" % POLL_ID)["states"]
        msgs = get(c, "/polls/%s/ceremony/messages" % POLL_ID)["messages"]
        issuance = get(c, "/polls/%s/issuance?start=0&end=1000" %
                       POLL_ID)["issuance"]
        entries = get(c, "/polls/%s/board/entries?start=0&end=1000" %
                      POLL_ID)["entries"]
        c.close()
        d.stop_ok()
        db = sqlite3.connect(d.db)
        pid, board_sk = db.execute(
            "SELECT pid, board_sk FROM polls WHERE id = ?",
            (POLL_ID,)).fetchone()
        sths = db.execute("SELECT tree_size, root, timestamp_ms, signature "
                          "FROM tree_heads WHERE pid = ? ORDER BY "
                          "tree_size", (pid,)).fetchall()
        db.close()

    defbytes = info["definition"].encode()
    poll_hash = sha256(lp("ballot-poll/v1") + lp(defbytes))
    assert poll_hash.hex() == info["poll_hash"]
    ph = poll_hash.hex()
    files = {}

    def jl(rows):
        return "".join(json.dumps(r) + "\n" for r in rows).encode()

    files["poll.json"] = defbytes
    classes = info["classes"]
    files["keys.json"] = json.dumps({
        "poll": POLL_ID, "poll_hash": ph, "board_key": info["board_key"],
        "election_key": info["election_key"],
        "classes": [{"id": k["id"], "token_key": k["token_key"]["spki"],
                     "voters": k["voters"]} for k in classes]},
        indent=1).encode() + b"\n"
    rows, prev = [], bytes(32)
    for s in states:
        det = s["details"] if isinstance(s["details"], str) \
            else json.dumps(s["details"], separators=(",", ":"))
        rows.append({"n": s["n"], "kind": s["kind"], "time_ms": s["time_ms"],
                     "details": json.loads(det),
                     "details_bytes": b64u(det.encode()),
                     "prev": prev.hex(), "hash": s["hash"],
                     "signature": s["signature"]})
        prev = bytes.fromhex(s["hash"])
    files["states.jsonl"] = jl(rows)
    closed_ms = [s["time_ms"] for s in states if s["kind"] == "closed"][0]
    files["ceremony.jsonl"] = jl(
        [{k: m[k] for k in ("seq", "kind", "from", "to", "body", "sig")}
         for m in msgs])
    files["issuance.jsonl"] = jl(
        [{"seq": r["seq"], "pseudonym": r["pseudonym"], "class": r["class"]}
         for r in issuance])
    files["board/entries.jsonl"] = jl(
        [{"leaf_index": e["leaf_index"], "leaf_hash": e["leaf_hash"],
          "entry": e["entry"]} for e in entries])
    files["board/sths.jsonl"] = jl(
        [{"tree_size": s[0], "root": s[1].hex(), "timestamp_ms": s[2],
          "signature": b64u(s[3])} for s in sths])
    # The election key from the releases (Lagrange at 0).
    xs = {m["from"]: int.from_bytes(unb64u(m["body"])[1:], "big")
          for m in msgs if m["kind"] == "release"}
    key = 0
    for j, xj in xs.items():
        lam = 1
        for m in xs:
            if m != j:
                lam = lam * m * pow(m - j, -1, N) % N
        key = (key + lam * xj) % N
    y = point_bytes(ec_mul(key, G))
    assert b64u(y) == info["election_key"], "releases do not rebuild Y"
    files["election-key.json"] = json.dumps({
        "private_key": key.to_bytes(32, "big").hex(), "public_key": b64u(y),
        "shares_used": sorted(xs), "shares_rejected": []},
        indent=1).encode() + b"\n"
    ballots = []
    for e in entries:
        i = e["leaf_index"]
        ok = plains[i] is not None
        ballots.append({"leaf_index": i, "token_id": e["token_id"],
                        "class": e["class"],
                        "plaintext": b64u(plains[i]) if ok else None,
                        "valid": ok,
                        "reason": None if ok else "does not decrypt",
                        "counted": ok, "superseded_by": None})
    files["ballots.jsonl"] = jl(ballots)
    weight = {k["id"]: int(k["id"].rsplit("*", 1)[1]) for k in classes}
    # BLTs and counts.
    results_contests = []
    for ci, con in enumerate(CONTESTS):
        kind = con.get("kind", "stv")
        seats = con["seats"] if kind in ("stv", "ordered-list") else 1
        text = "%d %d\n" % (len(con["candidates"]), seats)
        for b in ballots:
            if not b["counted"]:
                continue
            bal = json.loads(unb64u(b["plaintext"]))["contests"]
            if con["id"] in bal:
                text += "(L%d) %d" % (b["leaf_index"], weight[b["class"]])
                text += "".join(" %d" % r for r in bal[con["id"]]) + " 0\n"
        text += "0\n" + "".join(blt_quote(x["name"])
                                for x in con["candidates"])
        text += blt_quote(con["title"])
        path = "contests/%s.blt" % con["id"]
        files[path] = text.encode()
        bltf = os.path.join(tmp, "c%d.blt" % ci)
        with open(bltf, "wb") as f:
            f.write(files[path])
        if con.get("constraints"):
            # record.md: one line per constraint (min and max always
            # written, max defaulting to the seats), then each candidate
            # with a constrained category, in the constraints' order.
            cat = "".join("category %s min %d max %d\n" %
                          (k["category"], k.get("min", 0),
                           k.get("max", con["seats"]))
                          for k in con["constraints"])
            for j, cand in enumerate(con["candidates"]):
                cs = [k["category"] for k in con["constraints"]
                      if k["category"] in cand.get("categories", [])]
                if cs:
                    cat += "candidate %d %s\n" % (j + 1, " ".join(cs))
            files["contests/%s.categories" % con["id"]] = cat.encode()
            catf = os.path.join(tmp, "c%d.categories" % ci)
            with open(catf, "w") as f:
                f.write(cat)
        if kind == "referendum":
            args = ["--method", "referendum"]
        else:
            args = ["--method", "stv", "--rule", con["rule"], "--seats",
                    str(seats)]
        if con.get("constraints"):
            args += ["--categories", catf]
        res = run([verifier, "count"] + args + [bltf])
        files["contests/%s.json" % con["id"]] = res.encode()
        got = json.loads(res)
        entry = {"id": con["id"], "kind": kind, "rule": con.get("rule"),
                 "seats": seats, "elected": got.get("elected", [])}
        if kind == "referendum":
            entry["passed"] = got["passed"]
        entry["result"] = "contests/%s.json" % con["id"]
        results_contests.append(entry)
    by_class = []
    for k in classes:
        by_class.append({
            "id": k["id"], "voters": k["voters"],
            "tokens_issued": sum(1 for r in issuance
                                 if r["class"] == k["id"]),
            # every board entry of the class, counted or not
            "cast": sum(1 for e in entries if e["class"] == k["id"]),
            "counted": sum(1 for b in ballots
                           if b["class"] == k["id"] and b["counted"]),
            "weight": weight[k["id"]]})
    files["results.json"] = json.dumps({
        "poll": POLL_ID, "poll_hash": ph, "title": definition["title"],
        "turnout": {"voters": sum(k["voters"] for k in classes),
                    "tokens_issued": len(issuance),
                    "ballots_cast": len(entries),
                    "counted": sum(1 for b in ballots if b["counted"]),
                    "invalid": sum(1 for b in ballots if not b["valid"]), "by_class": by_class},
        "contests": results_contests}, indent=1).encode() + b"\n"
    files["README.txt"] = (b"The election record of poll vrec.  Check it "
                           b"with: verifier check .\n")
    files["report.html"] = (b"<!DOCTYPE html><html><head><meta charset="
                            b"\"utf-8\"><title>vrec</title></head><body>"
                            b"<p>A test record.</p></body></html>\n")
    write_dir(out, files)
    tarpath = out.rstrip("/") + ".record.tar"
    write_tar(tarpath, POLL_ID, files, closed_ms // 1000)
    return {"dir": out, "tar": tarpath, "files": files,
            "receipts": [receipts[i] for i in sorted(receipts)],
            "board_sk": bytes(board_sk), "poll_hash": poll_hash,
            "bad_leaf": bad_leaf, "tally": tally,
            "trustee_seeds": {t["i"]: trustee_seed(t["key"])
                              for t in trustees}}


def trustee_seed(path):
    """The Ed25519 seed in a `ballotctl trustee keygen` key file."""
    fields = dict(l.split(" ", 1) for l in
                  open(path).read().splitlines()[1:])
    return unb64u(fields["sign_secret"])


ORDER = ["README.txt", "poll.json", "keys.json", "states.jsonl",
         "ceremony.jsonl", "issuance.jsonl", "board/entries.jsonl",
         "board/sths.jsonl", "election-key.json", "ballots.jsonl"]


def ordered(files):
    rest = sorted(k for k in files if k.startswith("contests/"))
    tail = [k for k in ("results.json", "report.html") if k in files]
    first = [k for k in ORDER if k in files]
    other = sorted(set(files) - set(first) - set(rest) - set(tail))
    return first + rest + tail + other


def write_dir(out, files):
    for name in ordered(files):
        path = os.path.join(out, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(files[name])


def write_tar(path, top, files, mtime):
    """record.md: ustar, regular files only, 0644, uid/gid 0."""
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for name in ordered(files):
            ti = tarfile.TarInfo("%s/%s" % (top, name))
            ti.size = len(files[name])
            ti.mode = 0o644
            ti.mtime = mtime
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            t.addfile(ti, io.BytesIO(files[name]))


if __name__ == "__main__":
    import tempfile
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    tmp = tempfile.mkdtemp(prefix="make-record-")
    r = make_record(sys.argv[1], sys.argv[2], tmp)
    print("record %s, tarball %s, %d receipts" %
          (r["dir"], r["tar"], len(r["receipts"])))
