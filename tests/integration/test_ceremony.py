"""The trustees' key ceremony through a real ballotd (protocol.md section
10, docs/trustee.md): three trustees (k = 2) make their keys with
`ballotctl trustee keygen`, run `ballotctl trustee ceremony` at the same
time, and the server sets the election key; then the server's refusals
(bad signature, non-member, order, duplicates, release before the close,
a wrong release) and the releases after the close, from which the test
rebuilds the election key itself.

Expected values are worked out here, independently of the C code: Y is
the sum of the dealers' C_i0 (P-256 arithmetic below), the released
shares are interpolated at 0 and x*G compared with Y, and the messages
the test forges are signed with the openssl command.

The trustee command: $BALLOTCTL_TRUSTEE (a command line, e.g. a test
driver) if set, else BUILD_DIR/ballotctl/ballotctl trustee if ballotctl
knows the command; otherwise the test is skipped (77).

usage: python3 test_ceremony.py BUILD_DIR
"""

import base64
import json
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ballotd_harness import (SKIP, Ballotd, assert_error,  # noqa: E402
                             binary_path, main)
from testcrypto import (G, N, b64u, ec_add, ec_mul, ed25519_sign,  # noqa: E402,F401
                        lp, point, point_bytes, unb64u)

# ---- P-256 (SEC 2 2.4.2), affine arithmetic: enough for a test ----
def ceremony_bytes(poll_hash, kind, frm, to, body):
    """protocol.md section 10, written out again here."""
    return (lp("ballot-ceremony/v1") + lp(poll_hash) + lp(kind) +
            lp(frm.to_bytes(8, "big")) + lp(to.to_bytes(8, "big")) +
            lp(body))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def trustee_cmd(build):
    env = os.environ.get("BALLOTCTL_TRUSTEE")
    if env:
        return shlex.split(env)
    ctl = os.path.join(build, "ballotctl", "ballotctl")
    if os.access(ctl, os.X_OK):
        r = subprocess.run([ctl, "trustee", "--help"], capture_output=True,
                           timeout=30)
        if r.returncode == 0 and b"keygen" in r.stdout:
            return [ctl, "trustee"]
    return None


class Trustee:
    def __init__(self, cmd, tmp, i):
        self.i = i
        self.key = os.path.join(tmp, "t%d.key" % i)
        self.state = os.path.join(tmp, "t%d.state" % i)
        r = subprocess.run(cmd + ["keygen", "--out", self.key],
                           capture_output=True, timeout=60, text=True)
        check(r.returncode == 0, "keygen: %r" % (r,))
        out = dict(line.split(" ", 1) for line in r.stdout.splitlines())
        self.sign_key, self.hpke_key = out["sign_key"], out["hpke_key"]
        check(os.stat(self.key).st_mode & 0o777 == 0o600, "key file mode")
        fields = dict(line.split(" ", 1) for line in
                      open(self.key).read().splitlines()[1:])
        self.seed = unb64u(fields["sign_secret"])
        check(fields["sign_key"] == self.sign_key, "key file sign_key")


def definition(pid, trustees):
    return {
        "format": "ballot-poll/1", "id": pid, "title": "Ceremony test",
        "ballot_size": 512, "min_class_size": 1,
        "contests": [{"id": "c", "title": "C", "seats": 1,
                      "candidates": [{"name": "A"}, {"name": "B"}]}],
        "trustees": {"k": 2, "members": [
            {"name": "T%d" % t.i, "sign_key": t.sign_key,
             "hpke_key": t.hpke_key} for t in trustees]},
    }


def make_poll(c, pid, trustees):
    text = json.dumps(definition(pid, trustees))
    r = c.post("/polls", text, content_type="application/json",
               organiser=True)
    if r.status == 501:
        return None
    check(r.status == 201, r)
    r = c.post("/polls/%s/roll" % pid, "voter_id\nv1\nv2\nv3\n",
               content_type="text/csv", organiser=True)
    check(r.status == 200, r)
    r = c.post("/polls/%s/ceremony" % pid, {}, organiser=True)
    check(r.status == 200 and r.json["state"] == "ceremony", r)
    return bytes.fromhex(c.get("/polls/%s" % pid).json["poll_hash"])


def messages(c, pid, after=0):
    r = c.get("/polls/%s/ceremony/messages?after=%d" % (pid, after))
    check(r.status == 200, r)
    return r.json["messages"]


def post_msg(c, pid, kind, frm, to, body, sig):
    return c.post("/polls/%s/ceremony/messages" % pid,
                  {"kind": kind, "from": frm, "to": to, "body": b64u(body),
                   "sig": b64u(sig)})


def signed(c, pid, ph, t, kind, to, body, tmp, frm=None):
    frm = t.i if frm is None else frm
    sig = ed25519_sign(t.seed, ceremony_bytes(ph, kind, frm, to, body), tmp)
    return post_msg(c, pid, kind, frm, to, body, sig)


def run_all(cmd, url, pid, trustees, extra=()):
    procs = [subprocess.Popen(
        cmd + ["ceremony", pid, "--key", t.key, "--index", str(t.i),
               "--state", t.state, "--server", url, "--timeout", "60",
               "--settle", "1"] + list(extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for t in trustees]
    outs = []
    for p in procs:
        try:
            o, e = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        outs.append((p.returncode, o, e))
    return outs


def test_ceremony(build):
    cmd = trustee_cmd(build)
    if cmd is None:
        print("no 'ballotctl trustee' in %s and no $BALLOTCTL_TRUSTEE: "
              "skipped" % build)
        sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="ceremony-test-")
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        url = "http://127.0.0.1:%d" % d.http_port
        ts = [Trustee(cmd, tmp, i) for i in (1, 2, 3)]
        # keygen never overwrites a key file.
        r = subprocess.run(cmd + ["keygen", "--out", ts[0].key],
                           capture_output=True, timeout=60)
        check(r.returncode == 3, "keygen over an existing file: %r" % (r,))

        ph = make_poll(c, "cer-a", ts)
        if ph is None:
            print("POST /polls is still the 501 stand-in: skipped")
            sys.exit(SKIP)

        # A key that is not member 1 is refused before anything is sent.
        r = subprocess.run(cmd + ["ceremony", "cer-a", "--key", ts[1].key,
                                  "--index", "1", "--state",
                                  os.path.join(tmp, "x.state"), "--server",
                                  url], capture_output=True, timeout=60)
        check(r.returncode == 1, "wrong index accepted: %r" % (r,))
        check(messages(c, "cer-a") == [], "a message was sent")

        outs = run_all(cmd, url, "cer-a", ts)
        for rc, o, e in outs:
            check(rc == 0, "ceremony: rc %d\n%s\n%s" % (rc, o, e))
        msgs = messages(c, "cer-a")
        kinds = [m["kind"] for m in msgs]
        check(kinds.count("commitments") == 3, kinds)
        check(kinds.count("shares") == 6, kinds)
        check(kinds.count("done") == 3, kinds)
        check("complaint" not in kinds, kinds)

        # Y = sum of C_i0, from the commitments bodies (3 + 65 t).
        y = None
        for m in msgs:
            if m["kind"] == "commitments":
                body = unb64u(m["body"])
                check(len(body) == 3 + 65 * 2 and body[0] == m["from"] and
                      body[1:3] == bytes([3, 2]), body[:3])
                y = ec_add(y, point(body[3:68]))
        ybytes = point_bytes(y)
        poll = c.get("/polls/cer-a").json
        check(unb64u(poll["election_key"]) == ybytes,
              "election key %r is not the sum of C_i0" %
              poll["election_key"])
        for m in msgs:
            if m["kind"] == "done":
                body = unb64u(m["body"])
                check(body[:65] == ybytes and
                      int.from_bytes(body[65:], "big") == 7, body[65:])
        states = c.get("/polls/cer-a/states").json
        recs = states["states"]
        done = [s for s in recs if s["kind"] == "ceremony-done"]
        check(len(done) == 1, recs)
        det = done[0]["details"]
        if isinstance(det, str):
            det = json.loads(det)
        check(det["election_key"] == b64u(ybytes) and
              det["qual"] == [1, 2, 3], det)
        # The state files keep x_I only (mode 0600).
        for t in ts:
            check(os.stat(t.state).st_mode & 0o777 == 0o600, "state mode")
            lines = open(t.state).read().splitlines()
            check("step done" in lines, lines)
            check(not any(l.startswith(("share ", "sealed "))
                          for l in lines), "dealing secrets left")

        # Running a trustee again resumes: nothing new is sent.
        before = len(messages(c, "cer-a"))
        outs = run_all(cmd, url, "cer-a", ts[:1])
        check(outs[0][0] == 0, outs)
        check(len(messages(c, "cer-a")) == before, "resume sent more")

        # After the ceremony, ceremony messages are refused.
        c1 = next(unb64u(m["body"]) for m in msgs
                  if m["kind"] == "commitments" and m["from"] == 1)
        c2 = next(unb64u(m["body"]) for m in msgs
                  if m["kind"] == "commitments" and m["from"] == 2)
        assert_error(signed(c, "cer-a", ph, ts[0], "commitments", 0,
                            bytes([1]) + c2[1:], tmp), 409, "wrong_state",
                     "over")

        # Release before the close: refused by the command and the server.
        x1 = unb64u(dict(l.split(" ", 1) for l in
                         open(ts[0].state).read().splitlines()[1:])["x"])
        r = subprocess.run(cmd + ["release", "cer-a", "--key", ts[0].key,
                                  "--state", ts[0].state, "--server", url],
                           capture_output=True, timeout=60)
        check(r.returncode == 1, "release before close: %r" % (r,))
        n0 = len(messages(c, "cer-a"))
        assert_error(signed(c, "cer-a", ph, ts[0], "release", 0,
                            bytes([1]) + x1, tmp), 409, "wrong_state")
        check(len(messages(c, "cer-a")) == n0, "refused release stored")

        # ---- refusals on a second poll, still in its ceremony ----
        phb = make_poll(c, "cer-b", ts)
        # shares before the dealer's commitments
        assert_error(signed(c, "cer-b", phb, ts[0], "shares", 2,
                            bytes([1, 2]) + bytes(113), tmp),
                     409, "wrong_state", "before its commitments")
        # one bit flipped in the signature, then in the body
        sig = ed25519_sign(ts[0].seed,
                           ceremony_bytes(phb, "commitments", 1, 0, c1), tmp)
        bad = bytearray(sig)
        bad[10] ^= 0x01
        assert_error(post_msg(c, "cer-b", "commitments", 1, 0, c1,
                              bytes(bad)), 422, "bad_signature")
        flipped = bytearray(c1)
        flipped[40] ^= 0x80
        assert_error(post_msg(c, "cer-b", "commitments", 1, 0,
                              bytes(flipped), sig), 422, "bad_signature")
        # signed by trustee 1, claimed from trustee 2
        assert_error(signed(c, "cer-b", phb, ts[0], "commitments", 0,
                            bytes([2]) + c1[1:], tmp, frm=2),
                     422, "bad_signature")
        # a signature made for the other poll
        assert_error(post_msg(c, "cer-b", "commitments", 1, 0, c1,
                              ed25519_sign(ts[0].seed, ceremony_bytes(
                                  ph, "commitments", 1, 0, c1), tmp)),
                     422, "bad_signature")
        # not a member
        assert_error(signed(c, "cer-b", phb, ts[0], "commitments", 0, c1,
                            tmp, frm=4), 400, "bad_request")
        # a malformed body, validly signed
        assert_error(signed(c, "cer-b", phb, ts[0], "commitments", 0,
                            c1[:-1], tmp), 400, "bad_request")
        # release while in the ceremony
        assert_error(signed(c, "cer-b", phb, ts[0], "release", 0,
                            bytes([1]) + x1, tmp), 409, "wrong_state")
        check(messages(c, "cer-b") == [], "a refused message was stored")
        # the first commitments are taken; the same again is answered
        # with the same seq; other commitments are refused
        r = post_msg(c, "cer-b", "commitments", 1, 0, c1, sig)
        check(r.status == 201 and r.json == {"seq": 1}, r)
        r = post_msg(c, "cer-b", "commitments", 1, 0, c1, sig)
        check(r.status == 200 and r.json == {"seq": 1}, r)
        assert_error(signed(c, "cer-b", phb, ts[0], "commitments", 0,
                            bytes([1]) + c2[1:], tmp), 409, "wrong_state",
                     "already sent")
        # a done whose Y is not the sum of its QUAL's commitments
        r = signed(c, "cer-b", phb, ts[1], "commitments", 0, c2, tmp)
        check(r.status == 201, r)
        assert_error(signed(c, "cer-b", phb, ts[0], "done", 0,
                            ybytes + (3).to_bytes(8, "big"), tmp),
                     422, "bad_key")
        # an answer without a complaint
        assert_error(signed(c, "cer-b", phb, ts[0], "answer", 0,
                            bytes([1, 2]) + bytes(31) + b"\x01", tmp),
                     409, "wrong_state")
        got = messages(c, "cer-b")
        check([(m["kind"], m["from"]) for m in got] ==
              [("commitments", 1), ("commitments", 2)], got)
        check(messages(c, "cer-b", after=1)[0]["seq"] == 2, "after=1")
        assert_error(c.get("/polls/cer-b/ceremony/messages?after=x"), 400,
                     "bad_request")
        assert_error(c.get("/polls/nope/ceremony/messages"), 404,
                     "not_found")

        # ---- after the close: releases ----
        r = c.post("/polls/cer-a/open", {}, organiser=True)
        check(r.status == 200, r)
        r = c.post("/polls/cer-a/close", {}, organiser=True)
        check(r.status == 200, r)
        wrong = bytearray(x1)
        wrong[31] ^= 0x01
        assert_error(signed(c, "cer-a", ph, ts[0], "release", 0,
                            bytes([1]) + bytes(wrong), tmp), 422,
                     "bad_share", "trustee 1")
        for t in ts[:2]:
            for _ in range(2):  # the second time is a harmless repeat
                r = subprocess.run(
                    cmd + ["release", "cer-a", "--key", t.key, "--state",
                           t.state, "--server", url],
                    capture_output=True, timeout=60, text=True)
                check(r.returncode == 0, "release: %r" % (r,))
        rel = [m for m in messages(c, "cer-a") if m["kind"] == "release"]
        check(sorted(m["from"] for m in rel) == [1, 2], rel)
        # Rebuild the election key from the two releases (Lagrange at 0).
        xs = {m["from"]: int.from_bytes(unb64u(m["body"])[1:], "big")
              for m in rel}
        key = 0
        for j, xj in xs.items():
            lam = 1
            for m in xs:
                if m != j:
                    lam = lam * m * pow(m - j, -1, N) % N
            key = (key + lam * xj) % N
        check(ec_mul(key, G) == y, "the releases do not rebuild Y")
        c.close()
        d.stop_ok()
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    if len(sys.argv) == 2 and not os.access(binary_path(sys.argv[1]),
                                            os.X_OK):
        print("no ballotd: skipped")
        sys.exit(SKIP)
    main([test_ceremony])
