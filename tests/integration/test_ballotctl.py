"""ballotctl, the organiser's and voter's command line.

Part 1 needs no server working: every --help, usage errors (exit 2),
missing files (exit 3), network failures (exit 3), plain http to a host
that is not loopback, --insecure off 127.0.0.1, local checks of a poll
definition and of malformed receipt files (exit 1, with the message),
and the server's refusals turned into one line (401 from a real ballotd,
whose route table checks the credential before any handler).

Part 2 is the whole flow against a real ballotd: create a poll of two
contests, import a roll of 20 voters, ceremony, open, vote for each
voter, check each receipt, close, check the receipts against the final
head, and a receipt with one bit of its leaf hash flipped must fail.
Each stage needs server routes; while the daemon answers 501 for a route
a stage needs (or the election key cannot be made), the rest of the flow
is skipped with a message naming the route, and the program exits 77
(skipped) if nothing failed.  Nothing here stands in for the server.

usage: python3 test_ballotctl.py BUILD_DIR
"""

import base64
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SKIP = 77
ORG_CRED = "test-organiser-credential-0123456789"


class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Ctl:
    """Runs ballotctl with a time limit; returns (rc, stdout, stderr)."""

    def __init__(self, build):
        self.bin = os.path.join(build, "ballotctl", "ballotctl")
        self.env = dict(os.environ)
        for k in ("BALLOT_SERVER", "BALLOT_ORGANISER_CREDENTIAL"):
            self.env.pop(k, None)

    def run(self, *args, env=None, timeout=60):
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run([self.bin] + list(args), env=e,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def expect(self, rc, *args, err=None, out=None, **kw):
        got = self.run(*args, **kw)
        if got[0] != rc or (err is not None and err not in got[2]) or \
                (out is not None and out not in got[1]):
            raise AssertionError(
                "ballotctl %s: expected exit %d%s%s, got %d\nstdout: %s\n"
                "stderr: %s" % (" ".join(args), rc,
                                " with %r on stderr" % err if err else "",
                                " with %r on stdout" % out if out else "",
                                got[0], got[1], got[2]))
        return got


COMMANDS = ["poll create", "roll import", "poll ceremony", "poll open",
            "poll close", "poll schedule", "poll status", "vote",
            "check-receipt", "board sth", "board entries"]

# A port nothing listens on: bound, then closed (so connect is refused).
def dead_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- part 1


def test_help(ctl, tmp):
    rc, out, _ = ctl.expect(0, "--help")
    for c in COMMANDS:
        check(c in out, "--help does not list %r" % c)
    check("Exit codes" in out, "--help does not give the exit codes")
    check("trustee keygen | ceremony | release" in out,
          "--help does not mention the trustee commands")
    ctl.expect(0, "help", out="usage: ballotctl")
    for group in ("poll", "roll", "board"):
        rc, out, _ = ctl.expect(0, group, "--help")
        check("usage: ballotctl [global options] %s SUBCOMMAND" % group
              in out, out)
    for c in COMMANDS:
        rc, out, err = ctl.expect(0, *(c.split() + ["--help"]))
        check(out.startswith("usage: ballotctl [global options] " + c),
              "%s --help: %r" % (c, out[:80]))
        check("Exit codes" in out, "%s --help lacks the exit codes" % c)
        check(err == "", "%s --help wrote to stderr: %r" % (c, err))
    # --help wins over everything else on the line, even bad arguments.
    ctl.expect(0, "vote", "not a poll!", "--help", out="--receipt")


def test_usage_errors(ctl, tmp):
    srv = ["--server", "http://127.0.0.1:%d" % dead_port()]
    ctl.expect(2)  # nothing at all
    ctl.expect(2, "frobnicate", err='unknown command "frobnicate"')
    ctl.expect(2, "--frob", err="unknown option --frob")
    ctl.expect(2, "poll", err="a subcommand is needed")
    ctl.expect(2, "poll", "frob", err="unknown subcommand frob")
    ctl.expect(2, *srv, "poll", "status",
               err="expected 1 argument (usage: ballotctl poll status POLL)")
    ctl.expect(2, *srv, "poll", "status", "a", "b",
               err='unexpected argument "b"')
    ctl.expect(2, *srv, "poll", "status", "a", "--colour", "red",
               err="unknown option --colour")
    ctl.expect(2, *srv, "poll", "status", "Bad_Id",
               err='"Bad_Id" is not a poll id')
    ctl.expect(2, *srv, "poll", "status", "a" * 64, err="is not a poll id")
    ctl.expect(2, *srv, "roll", "import", "p", "roll.csv",
               err="--out is required")
    ctl.expect(2, *srv, "poll", "schedule", "p", "--opens", "none",
               err="--closes is required")
    ctl.expect(2, *srv, "poll", "schedule", "p", "--opens", "tomorrow",
               "--closes", "none", err="--opens tomorrow: expected an RFC "
               "3339 UTC time", env={"BALLOT_ORGANISER_CREDENTIAL": ORG_CRED})
    ctl.expect(2, *srv, "poll", "schedule", "p",
               "--opens", "2026-12-02T00:00:00Z",
               "--closes", "2026-12-01T00:00:00Z",
               err="--closes must be later than --opens",
               env={"BALLOT_ORGANISER_CREDENTIAL": ORG_CRED})
    ctl.expect(2, *srv, "board", "entries", "p", "--start", "5", "--end",
               "2", err="start <= end")
    ctl.expect(2, *srv, "board", "entries", "p", "--start", "-1", "--end",
               "2", err="start <= end")
    ctl.expect(2, *srv, "poll", "status", "p", "--timeout", "0",
               err="--timeout 0: expected whole seconds")
    ctl.expect(2, *srv, "poll", "status", "p", "--timeout",
               err="--timeout needs a value")
    ctl.expect(2, *srv, "poll", "status", "p", "--json", "--json",
               "--server", "http://127.0.0.1:1", "--out", "x",
               err="unknown option --out")
    # No server given, or a malformed one.
    ctl.expect(2, "poll", "status", "p", err="no server")
    ctl.expect(2, "--server", "ftp://127.0.0.1", "poll", "status", "p",
               err="expected https://HOST")
    ctl.expect(2, "--server", "https://127.0.0.1:99999", "poll", "status",
               "p", err="bad port")
    ctl.expect(2, "--server", "https://user@example.org", "poll", "status",
               "p", err="user names")
    # Organiser commands without a credential.
    ctl.expect(2, *srv, "poll", "open", "p",
               err="needs the organiser credential")
    # vote: exactly one of each pair.
    ctl.expect(2, *srv, "vote", "p", "--receipt", os.path.join(tmp, "r"),
               "--ballot", "{}", err="one of --credential")
    ctl.expect(2, *srv, "vote", "p", "--receipt", os.path.join(tmp, "r"),
               "--credential", "v1:x", "--credential-file", "f",
               "--ballot", "{}", err="one of --credential")
    ctl.expect(2, *srv, "vote", "p", "--credential", "v1:x", "--ballot",
               "{}", err="--receipt is required")
    # A revote takes the token file instead of a credential, and keeps
    # it as it is.
    ctl.expect(2, *srv, "vote", "p", "--receipt", os.path.join(tmp, "r"),
               "--revote", "t", "--credential", "v1:x", "--ballot", "{}",
               err="one of --credential")
    ctl.expect(2, *srv, "vote", "p", "--receipt", os.path.join(tmp, "r"),
               "--revote", "t", "--keep-token", "k", "--ballot", "{}",
               err="--keep-token with --revote")
    # A malformed credential is refused before anything is sent.
    ctl.expect(2, *srv, "vote", "p", "--receipt", os.path.join(tmp, "r"),
               "--credential", "v1:NOT-A-CREDENTIAL", "--ballot", "{}",
               err="credential:")
    check(not os.path.exists(os.path.join(tmp, "r.state")),
          "a state file was left by a refused command line")


def test_plain_http_and_insecure(ctl, tmp):
    for url in ("http://192.0.2.1", "http://example.org:8080",
                "http://[2001:db8::1]:80"):
        ctl.expect(2, "--server", url, "poll", "status", "p",
                   err="plain http is allowed only to a loopback address")
    ctl.expect(2, "--server", "https://192.0.2.1", "--insecure", "poll",
               "status", "p", err="--insecure is for tests against "
               "https://127.0.0.1 only")
    ctl.expect(2, "--server", "http://127.0.0.1:1", "--insecure", "poll",
               "status", "p", err="--insecure is for tests")
    # Loopback in any spelling is allowed (and then refused by the network).
    port = dead_port()
    for host in ("127.0.0.1", "localhost", "127.1.2.3"):
        ctl.expect(3, "--server", "http://%s:%d" % (host, port), "poll",
                   "status", "p", err="connect")


def test_files_and_network(ctl, tmp):
    port = dead_port()
    srv = ["--server", "http://127.0.0.1:%d" % port]
    org = {"BALLOT_ORGANISER_CREDENTIAL": ORG_CRED}
    missing = os.path.join(tmp, "no-such-file.json")
    ctl.expect(3, *srv, "poll", "create", missing, env=org,
               err="no-such-file.json: No such file or directory")
    ctl.expect(3, *srv, "check-receipt", "p", missing,
               err="No such file or directory")
    ctl.expect(3, *srv, "roll", "import", "p", missing, "--out",
               os.path.join(tmp, "creds.csv"), env=org,
               err="No such file or directory")
    ctl.expect(3, *srv, "vote", "p", "--credential-file", missing,
               "--ballot", "{}", "--receipt", os.path.join(tmp, "r.json"),
               err="No such file or directory")
    ctl.expect(3, *srv, "poll", "open", "p", "--organiser-credential-file",
               missing, err="No such file or directory")
    # The connection is refused: a network error.
    ctl.expect(3, *srv, "poll", "status", "p",
               err="GET http://127.0.0.1:%d/polls/p/status: connect: "
               "Connection refused" % port)
    ctl.expect(3, *srv, "board", "sth", "p", err="Connection refused")
    # roll import never overwrites the credentials file.
    roll = os.path.join(tmp, "roll.csv")
    with open(roll, "w") as f:
        f.write("voter_id\nv1\n")
    creds = os.path.join(tmp, "existing.csv")
    with open(creds, "w") as f:
        f.write("precious\n")
    ctl.expect(3, *srv, "roll", "import", "p", roll, "--out", creds,
               env=org, err="never overwritten")
    with open(creds) as f:
        check(f.read() == "precious\n", "the credentials file was changed")
    # ... and leaves no empty file behind when the import fails.
    fresh = os.path.join(tmp, "fresh.csv")
    ctl.expect(3, *srv, "roll", "import", "p", roll, "--out", fresh,
               env=org, err="Connection refused")
    check(not os.path.exists(fresh), "an empty credentials file was left")
    # vote never overwrites a receipt.
    ctl.expect(3, *srv, "vote", "p", "--credential",
               "v1:ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZW", "--ballot", "{}",
               "--receipt", creds, err="never overwritten")
    # An empty credential file.
    empty = os.path.join(tmp, "empty")
    open(empty, "w").close()
    ctl.expect(3, *srv, "poll", "open", "p", "--organiser-credential-file",
               empty, err="the first line is empty")


def trustee_keys(tmp, n):
    """n trustees' public keys made with the openssl command: an Ed25519
    signing key (raw 32 bytes: the end of its SPKI DER) and a P-256 key
    (the 65-byte uncompressed point: the end of its SPKI DER)."""
    if shutil.which("openssl") is None:
        raise Skip("the openssl command is needed to make trustee keys")
    out = []
    for i in range(n):
        ed = os.path.join(tmp, "ed%d.pem" % i)
        ec = os.path.join(tmp, "ec%d.pem" % i)
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519",
                        "-out", ed], check=True, capture_output=True)
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC",
                        "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", ec], check=True, capture_output=True)
        edpub = subprocess.run(["openssl", "pkey", "-in", ed, "-pubout",
                                "-outform", "DER"], check=True,
                               capture_output=True).stdout
        ecpub = subprocess.run(["openssl", "pkey", "-in", ec, "-pubout",
                                "-outform", "DER"], check=True,
                               capture_output=True).stdout
        check(len(edpub) == 44 and len(ecpub) == 91,
              "unexpected SPKI sizes %d %d" % (len(edpub), len(ecpub)))
        check(ecpub[-65] == 4, "not an uncompressed point")
        out.append((b64url(edpub[-32:]), b64url(ecpub[-65:])))
    return out


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def definition(poll_id, keys):
    return {
        "format": "ballot-poll/1",
        "id": poll_id,
        "title": "Test poll of ballotctl",
        "revoting": False,
        "ballot_size": 512,
        "min_class_size": 5,
        "contests": [
            {"id": "committee", "title": "Committee", "kind": "stv",
             "rule": "scottish-stv", "seats": 2,
             "candidates": [{"name": "Anne"}, {"name": "Bob"},
                            {"name": "Carol"}, {"name": "Dan"}]},
            {"id": "motion", "title": "Motion", "kind": "referendum",
             "candidates": [{"name": "Yes"}, {"name": "No"}]},
        ],
        "trustees": {"k": 2, "members": [
            {"name": "Trustee %d" % (i + 1), "sign_key": s, "hpke_key": h}
            for i, (s, h) in enumerate(keys)]},
    }


def test_local_checks(ctl, tmp):
    """What ballotctl refuses before sending anything (exit 1)."""
    srv = ["--server", "http://127.0.0.1:%d" % dead_port()]
    org = {"BALLOT_ORGANISER_CREDENTIAL": ORG_CRED}
    d = definition("local", trustee_keys(tmp, 2))
    d["contests"][0]["seats"] = 5
    path = os.path.join(tmp, "bad-def.json")
    with open(path, "w") as f:
        json.dump(d, f)
    ctl.expect(1, *srv, "poll", "create", path, env=org,
               err="contests[0].seats: expected a whole number from 1 to "
               "4, found 5")
    with open(path, "w") as f:
        f.write('{"format": "ballot-poll/1", "format": "x"}')
    ctl.expect(1, *srv, "poll", "create", path, env=org,
               err="duplicate object key")


def good_receipt_shape():
    """A receipt of the right shape (its signatures are not valid: the
    checks below stop at the shape, before any signature is looked at)."""
    leaf = "ab" * 32
    return {"poll": "p", "poll_hash": "11" * 32, "leaf_index": 2,
            "leaf_hash": leaf,
            "sth": {"tree_size": 3, "root": "22" * 32,
                    "timestamp_ms": 1796000000000, "poll_hash": "11" * 32,
                    "signature": b64url(bytes(64))},
            "inclusion": ["33" * 32, "44" * 32],
            "receipt_sig": b64url(bytes(64)), "tracker": "ababa-babab"}


def test_malformed_receipts(ctl, tmp):
    srv = ["--server", "http://127.0.0.1:%d" % dead_port()]
    path = os.path.join(tmp, "receipt.json")

    def refused(doc, message, text=None):
        with open(path, "w") as f:
            f.write(text if text is not None else json.dumps(doc))
        ctl.expect(1, *srv, "check-receipt", "p", path, err=message)

    def wrapped(r, **extra):
        d = {"format": "ballotctl-receipt/1", "receipt": r,
             "board_key": b64url(bytes(32)), "entry": b64url(b"x")}
        d.update(extra)
        return d

    refused(None, "line 1", text="{not json")
    refused(None, "duplicate object key",
            text='{"format": "ballotctl-receipt/1", "format": "x"}')
    refused([], "(top level): expected an object")
    r = good_receipt_shape()
    r["leaf_index"] = 3
    refused(wrapped(r), "receipt.sth.tree_size: 3 does not cover "
            "leaf_index 3")
    refused(r, "sth.tree_size: 3 does not cover leaf_index 3")  # bare
    r = good_receipt_shape()
    r["tracker"] = "ababa-babac"
    refused(wrapped(r), 'receipt.tracker: expected "ababa-babab" (from '
            'leaf_hash), found "ababa-babac"')
    r = good_receipt_shape()
    del r["receipt_sig"]
    refused(wrapped(r), "receipt_sig")
    r = good_receipt_shape()
    r["sth"]["poll_hash"] = "12" * 32
    refused(wrapped(r), "receipt.")
    refused(wrapped(good_receipt_shape(), colour="red"),
            "colour: unknown member")
    refused({"format": "ballotctl-receipt/2",
             "receipt": good_receipt_shape()},
            'format: expected "ballotctl-receipt/1"')
    refused(wrapped(good_receipt_shape(), board_key="AAAA"),
            "board_key: expected 32 bytes in base64url")
    refused(wrapped(good_receipt_shape(), entry="A=="),
            "entry: expected the board entry in base64url")
    refused({"format": "ballotctl-receipt/1"}, "receipt: missing member")
    # The right shape, but for another poll than the one named.
    refused(wrapped(dict(good_receipt_shape(), poll="q")),
            'FAIL poll: the receipt is for poll "q", not "p"')


def test_server_refusals(ctl, tmp, harness):
    """The server's error bodies as one line, against a real ballotd:
    the route table checks the organiser credential before any handler,
    so these answers exist whatever is implemented."""
    with harness.Ballotd(ctl.build) as d:
        d.start()
        srv = ["--server", "http://127.0.0.1:%d" % d.http_port]
        path = os.path.join(tmp, "def.json")
        with open(path, "w") as f:
            json.dump(definition("refusals", trustee_keys(tmp, 2)), f)
        ctl.expect(1, *srv, "poll", "create", path,
                   env={"BALLOT_ORGANISER_CREDENTIAL": "wrong-credential-"
                        "0123456789"},
                   err="ballotctl: server refused: 401 unauthorized: ")
        _, _, err = ctl.expect(1, *srv, "poll", "open", "p",
                               env={"BALLOT_ORGANISER_CREDENTIAL": "x" * 20})
        check(re.search(r"^ballotctl: server refused: 401 unauthorized: "
                        r".+ \(POST /polls/p/open\)$", err, re.M), err)
        check(len(err.strip().splitlines()) == 1, "more than one line: %r"
              % err)
        d.stop_ok()


def test_tls(ctl, tmp, harness):
    with harness.Ballotd(ctl.build, tls=True, plain=False) as d:
        d.start()
        url = "https://127.0.0.1:%d" % d.https_port
        # The system store does not know the test's certificate.
        ctl.expect(3, "--server", url, "poll", "status", "p",
                   err="TLS: the server's certificate was refused")
        # The certificate names 127.0.0.1, not localhost.
        ctl.expect(3, "--server", "https://localhost:%d" % d.https_port,
                   "--cacert", d.cert, "poll", "status", "p",
                   err="hostname mismatch")
        ctl.expect(3, "--server", url, "--cacert",
                   os.path.join(tmp, "no-such-ca.pem"), "poll", "status",
                   "p", err="--cacert")
        # With the right CA (or --insecure) the server is reached: any
        # answer that is an HTTP status (not a TLS error) will do.
        for extra in (["--cacert", d.cert], ["--insecure"]):
            rc, out, err = ctl.run("--server", url, *extra, "poll",
                                   "status", "no-such-poll")
            check(rc in (0, 1) and "TLS" not in err,
                  "over TLS: %d %r" % (rc, err))
        # Plain http to a TLS port: not an HTTP answer.
        ctl.expect(3, "--server", "http://127.0.0.1:%d" % d.https_port,
                   "--timeout", "5", "poll", "status", "p")
        d.stop_ok()


# ---------------------------------------------------------------- part 2


def blocked(stage, route, got):
    """Skip the rest of the flow if the daemon answered 501 for route."""
    rc, out, err = got
    if rc == 1 and "501 not_implemented" in err:
        raise Skip("flow stopped at %s: ballotd answers 501 for %s"
                   % (stage, route))


def p256_point(tmp):
    """A P-256 public key (65-byte uncompressed point) made by openssl."""
    key = os.path.join(tmp, "election.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", key], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    check(len(der) == 91 and der[-65] == 4, "not a P-256 SPKI")
    return der[-65:]


def start_flow_daemon(harness, build):
    """A ballotd with the test-only election key route switched on
    (test_election_key = true), or without it if this ballotd does not
    know the setting.  Returns (daemon, has_test_key)."""
    d = harness.Ballotd(build, config={"test_election_key": "true"})
    try:
        d.start()
        return d, True
    except harness.HarnessError as e:
        d.close()
        if "test_election_key" not in str(e):
            raise
    d = harness.Ballotd(build)
    d.start()
    return d, False


def set_test_election_key(d, pid, tmp):
    """POST /polls/{id}/_test/election-key (tests only): the key the
    trustees' ceremony would make.  Skips when the route is missing."""
    c = d.client()
    try:
        r = c.post("/polls/%s/_test/election-key" % pid,
                   {"election_key": b64url(p256_point(tmp))},
                   organiser=True)
    finally:
        c.close()
    if r.status in (404, 405, 501):
        raise Skip("flow stopped before poll open: no election key; "
                   "ballotd answers %d for POST /polls/{id}/_test/"
                   "election-key and the trustees' ceremony "
                   "(POST /polls/{id}/ceremony/messages) needs the "
                   "trustee tools" % r.status)
    check(r.status == 200, "setting the test election key: %r" % r)


class DropProxy:
    """A TCP relay to the daemon that loses the answers to the first
    `drops` casts: the request reaches ballotd, which stores the entry and
    answers, and the connection is cut before the answer reaches the
    voter, as a network failure would.  Nothing is invented: every byte
    the voter gets comes from ballotd."""

    def __init__(self, port, drops):
        import socket
        import threading
        self.upstream = port
        self.drops = drops
        self.dropped = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.upstream))
            state = {"cast": False}
            threading.Thread(target=self._up, args=(c, u, state),
                             daemon=True).start()
            threading.Thread(target=self._down, args=(u, c, state),
                             daemon=True).start()

    def _up(self, c, u, state):
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                if b"POST " in b and b"/casts HTTP/1.1" in b:
                    with self.lock:
                        if self.dropped < self.drops:
                            self.dropped += 1
                            state["cast"] = True
                u.sendall(b)
        except OSError:
            pass
        finally:
            try:
                u.shutdown(1)
            except OSError:
                pass

    def _down(self, u, c, state):
        try:
            while True:
                b = u.recv(65536)
                if not b:
                    break
                if state["cast"]:
                    break   # the answer is lost
                c.sendall(b)
        except OSError:
            pass
        finally:
            # shutdown, not close alone: it wakes the other thread's
            # recv and sends the voter the end of the connection.
            for x in (c, u):
                try:
                    x.shutdown(2)
                except OSError:
                    pass
                x.close()

    def close(self):
        self.stopped = True
        self.sock.close()


def test_flow(ctl, tmp, harness):
    d, test_key = start_flow_daemon(harness, ctl.build)
    with d:
        srv = ["--server", "http://127.0.0.1:%d" % d.http_port]
        org = {"BALLOT_ORGANISER_CREDENTIAL": ORG_CRED}
        pid = "flow-test"

        # Create.
        path = os.path.join(tmp, "def.json")
        with open(path, "w") as f:
            json.dump(definition(pid, trustee_keys(tmp, 3)), f, indent=2)
        got = ctl.run(*srv, "poll", "create", path, env=org)
        blocked("poll create", "POST /polls", got)
        check(got[0] == 0, got)
        check("poll flow-test created" in got[1] and "state draft" in
              got[1], got[1])
        # The same id again is refused (one line, exit 1).
        rc, _, err = ctl.run(*srv, "poll", "create", path, env=org)
        check(rc == 1 and "server refused: 409" in err, (rc, err))
        got = ctl.run(*srv, "poll", "schedule", pid, "--opens", "none",
                      "--closes", "2099-12-31T23:59:59Z", env=org)
        blocked("poll schedule", "PUT /polls/{id}/schedule", got)
        check(got[0] == 0, got)

        # Roll: 12 voters in both contests, 8 in the committee only.
        roll = os.path.join(tmp, "roll.csv")
        with open(roll, "w") as f:
            f.write("voter_id,email,name,contests\n")
            for i in range(20):
                f.write("v%02d,v%02d@example.org,Voter %d,%s\n" %
                        (i, i, i, "" if i < 12 else "committee"))
        creds_path = os.path.join(tmp, "creds.csv")
        got = ctl.run(*srv, "roll", "import", pid, roll, "--out",
                      creds_path, env=org)
        blocked("roll import", "POST /polls/{id}/roll", got)
        check(got[0] == 0, got)
        check("20 credentials written" in got[1], got[1])
        check(os.stat(creds_path).st_mode & 0o777 == 0o600,
              "credentials file mode %o" % os.stat(creds_path).st_mode)
        with open(creds_path, newline="") as f:
            rows = list(csv.DictReader(f))
        check(len(rows) == 20, "%d credentials" % len(rows))
        classes = {r["voter_id"]: r["class"] for r in rows}
        check(classes["v00"] == "committee+motion*1" and
              classes["v19"] == "committee*1", classes)
        # Never twice into the same file.
        rc, _, err = ctl.run(*srv, "roll", "import", pid, roll, "--out",
                             creds_path, env=org)
        check(rc == 3 and "never overwritten" in err, (rc, err))

        got = ctl.run(*srv, "poll", "ceremony", pid, env=org)
        blocked("poll ceremony", "POST /polls/{id}/ceremony", got)
        check(got[0] == 0 and "ceremony" in got[1], got)

        # A poll whose only class is under min_class_size (default 10):
        # refused unless the organiser says otherwise.
        small = definition("flow-small", trustee_keys(tmp, 2))
        del small["min_class_size"]
        spath = os.path.join(tmp, "small.json")
        with open(spath, "w") as f:
            json.dump(small, f)
        sroll = os.path.join(tmp, "small.csv")
        with open(sroll, "w") as f:
            f.write("voter_id\na\nb\nc\n")
        check(ctl.run(*srv, "poll", "create", spath, env=org)[0] == 0,
              "create flow-small")
        check(ctl.run(*srv, "roll", "import", "flow-small", sroll, "--out",
                      os.path.join(tmp, "small-creds.csv"),
                      env=org)[0] == 0, "roll of flow-small")
        rc, _, err = ctl.run(*srv, "poll", "ceremony", "flow-small", env=org)
        check(rc == 1 and "409 small_classes" in err, (rc, err))
        rc, out, err = ctl.run(*srv, "poll", "ceremony", "flow-small",
                               "--allow-small-classes", env=org)
        check(rc == 0 and "state ceremony" in out, (rc, out, err))

        # The election key comes from the trustees' ceremony (trustee
        # tools, POST /polls/{id}/ceremony/messages), which this test
        # cannot run; the daemon's test-only route stands in for it.
        if not test_key:
            raise Skip("flow stopped before poll open: this ballotd has "
                       "no test_election_key setting, and the trustees' "
                       "ceremony needs the trustee tools")
        set_test_election_key(d, pid, tmp)
        got = ctl.run(*srv, "poll", "open", pid, env=org)
        blocked("poll open", "POST /polls/{id}/open", got)
        check(got[0] == 0 and "open" in got[1], got)

        # Vote, each voter; the motion only for those who have it.
        receipts = []
        for i, row in enumerate(rows):
            ballot = {"committee": [(i % 4) + 1, ((i + 1) % 4) + 1]}
            if row["class"].startswith("committee+motion"):
                ballot["motion"] = [] if i == 3 else [1 + i % 2]
            rpath = os.path.join(tmp, "receipt-%s.json" % row["voter_id"])
            credf = os.path.join(tmp, "cred-%s" % row["voter_id"])
            with open(credf, "w") as f:
                f.write(row["credential"] + "\n")
            args = ["vote", pid, "--credential-file", credf, "--ballot",
                    json.dumps(ballot), "--receipt", rpath]
            if i == 0:
                # No token is kept where the poll allows no revoting.
                kt = os.path.join(tmp, "kept-token")
                got = ctl.run("--server", "http://127.0.0.1:%d" %
                              d.http_port, *args, "--keep-token", kt)
                check(got[0] == 1 and "--keep-token: poll %s does not "
                      "allow revoting" % pid in got[2] and
                      not os.path.exists(kt) and
                      not os.path.exists(rpath + ".state"), got)
            if i < 2:
                # The answer to the cast is lost: once (i = 0: ballotctl
                # sends the same bytes again on a new connection), or
                # every time (i = 1: it gives up, keeps its state, and
                # the next run resumes and sends them again).  Either
                # way the server answers the same receipt, and the board
                # holds the entry once (the tree size is checked below).
                px = DropProxy(d.http_port, 1 if i == 0 else 3)
                try:
                    got = ctl.run("--server", "http://127.0.0.1:%d" %
                                  px.port, *args)
                finally:
                    px.close()
                blocked("vote", "POST /polls/{id}/tokens or casts", got)
                check(px.dropped == (1 if i == 0 else 3),
                      "answers lost: %d" % px.dropped)
                check("sending the same cast again (1 of 2)" in got[2],
                      got)
                if i == 1:
                    check(got[0] == 3 and "run the same command again"
                          in got[2], got)
                    with open(rpath + ".state") as f:
                        check(json.load(f)["step"] == "sealed",
                              "state not saved before the cast")
                    got = ctl.run(*srv, *args)
                    check("resuming from %s.state (step: sealed)" % rpath
                          in got[1], got)
            else:
                got = ctl.run(*srv, *args)
                blocked("vote", "POST /polls/{id}/tokens or casts", got)
            check(got[0] == 0, got)
            m = re.search(r"tracker ([0-9a-f]{5}-[0-9a-f]{5})", got[1])
            check(m, got[1])
            check(not os.path.exists(rpath + ".state"),
                  "state file left after a vote")
            with open(rpath) as f:
                rf = json.load(f)
            check(rf["receipt"]["tracker"] == m.group(1), rf)
            # The leaf hash is H(0x00 || entry), worked out here.
            import hashlib
            entry = base64.urlsafe_b64decode(rf["entry"] + "==")
            check(hashlib.sha256(b"\x00" + entry).hexdigest() ==
                  rf["receipt"]["leaf_hash"], "leaf hash of the entry")
            receipts.append(rpath)

        # A voter cannot get a second token for another blinded message.
        credf = os.path.join(tmp, "cred-v00")
        rc, _, err = ctl.run(*srv, "vote", pid, "--credential-file", credf,
                             "--ballot", '{"committee":[1],"motion":[1]}',
                             "--receipt", os.path.join(tmp, "again.json"))
        check(rc == 1 and "409 token_already_issued" in err, (rc, err))
        # A ballot that is not valid is refused before anything is sent.
        rc, _, err = ctl.run(*srv, "vote", pid, "--credential-file",
                             os.path.join(tmp, "cred-v19"), "--ballot",
                             '{"committee":[2,2]}', "--receipt",
                             os.path.join(tmp, "bad.json"))
        check(rc == 1 and "committee[1]: candidate 2 is ranked twice" in err,
              (rc, err))

        for rp in receipts:
            got = ctl.run(*srv, "check-receipt", pid, rp)
            blocked("check-receipt", "GET /polls/{id}/board/...", got)
            check(got[0] == 0 and "honoured" in got[1], got)

        got = ctl.run(*srv, "poll", "status", pid)
        blocked("poll status", "GET /polls/{id}/status", got)
        check(got[0] == 0 and "open" in got[1], got)

        got = ctl.run(*srv, "poll", "close", pid, env=org)
        blocked("poll close", "POST /polls/{id}/close", got)
        check(got[0] == 0 and "final tree head: 20 entries, signature "
              "verified" in got[1], got)
        # Closed means closed: a cast now is refused.
        rc, _, err = ctl.run(*srv, "vote", pid, "--credential-file",
                             os.path.join(tmp, "cred-v19"), "--ballot",
                             '{"committee":[1]}', "--receipt",
                             os.path.join(tmp, "late.json"))
        check(rc == 1 and "server refused: 409" in err, (rc, err))
        rc, out, err = ctl.run(*srv, "board", "sth", pid)
        check(rc == 0 and "tree_size 20" in out, (rc, out, err))
        for rp in receipts:
            rc, out, err = ctl.run(*srv, "check-receipt", pid, rp)
            check(rc == 0 and "tree of 20 leaves" in out, (rc, out, err))
        rc, out, err = ctl.run(*srv, "board", "entries", pid, "--start",
                               "0", "--end", "20")
        check(rc == 0 and len(out.splitlines()) == 20, (rc, out, err))
        rc, out2, err = ctl.run(*srv, "board", "entries", pid)
        check(rc == 0 and out2 == out, (rc, out2, err))
        rc, out2, err = ctl.run(*srv, "board", "entries", pid, "--start",
                                "18")
        check(rc == 0 and out2.splitlines() == out.splitlines()[18:],
              (rc, out2, err))
        for rp in receipts:
            with open(rp) as f:
                lh = json.load(f)["receipt"]["leaf_hash"]
            check(lh in out, "leaf %s not among the entries" % lh)

        # One bit of the leaf hash (past the tracker's digits) flipped.
        with open(receipts[0]) as f:
            rf = json.load(f)
        lh = bytearray(bytes.fromhex(rf["receipt"]["leaf_hash"]))
        lh[31] ^= 1
        rf["receipt"]["leaf_hash"] = lh.hex()
        bad = os.path.join(tmp, "tampered.json")
        with open(bad, "w") as f:
            json.dump(rf, f)
        rc, out, err = ctl.run(*srv, "check-receipt", pid, bad)
        check(rc == 1 and "FAIL leaf hash" in err, (rc, out, err))
        # Without the entry, the signature catches it.
        del rf["entry"]
        with open(bad, "w") as f:
            json.dump(rf, f)
        rc, out, err = ctl.run(*srv, "check-receipt", pid, bad)
        check(rc == 1 and "FAIL receipt signature" in err, (rc, out, err))
        d.stop_ok()


# ---------------------------------------------------------------- main


def main():
    if len(sys.argv) != 2:
        print("usage: %s BUILD_DIR" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    build = os.path.abspath(sys.argv[1])
    ctl = Ctl(build)
    ctl.build = build
    if not os.access(ctl.bin, os.X_OK):
        print("no ballotctl in %s: skipped" % build)
        sys.exit(SKIP)
    signal.alarm(540)
    try:
        import ballotd_harness as harness
    except ImportError:
        harness = None
    have_daemon = harness is not None and os.access(
        harness.binary_path(build), os.X_OK)

    offline = [test_help, test_usage_errors, test_plain_http_and_insecure,
               test_files_and_network, test_local_checks,
               test_malformed_receipts]
    online = [test_server_refusals, test_tls, test_flow]
    failed = skipped = 0
    for t in offline + online:
        tmp = tempfile.mkdtemp(prefix="ballotctl-test-")
        t0 = time.monotonic()
        try:
            if t in online:
                if not have_daemon:
                    raise Skip("no ballotd in %s" % build)
                t(ctl, tmp, harness)
            else:
                t(ctl, tmp)
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (t.__name__, e))
        except Exception as e:  # report every test, then fail
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e))
        else:
            print("ok   %s (%.2fs)" % (t.__name__, time.monotonic() - t0))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout.flush()
    print("%d of %d tests failed, %d skipped" %
          (failed, len(offline) + len(online), skipped))
    sys.exit(1 if failed else SKIP if skipped else 0)


if __name__ == "__main__":
    main()
