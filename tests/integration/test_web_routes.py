#!/usr/bin/env python3
"""What ballotd adds for the voter's pages (docs/api.md, docs/operator.md
"The pages"), against the real daemon on 127.0.0.1:

- the page files under web_root: types, the security headers, and every
  path that must not name a file (dot segments, hidden files, symbolic
  links, directories, unknown types, escapes);
- POST /polls/{id}/voter: the class for a credential, refused like the
  token route for a wrong one, nothing stored;
- the token answer closes its connection;
- GET board/find by tracker code;
- GET results and record/... from a published record, byte for byte.

Usage: test_web_routes.py BUILD_DIR
"""
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ballotd_harness as harness  # noqa: E402
from test_poll_api import (Poll, b64url, check, check_receipt,  # noqa: E402
                           leaf_hash, prepare, run_tests)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")


def raw_get(port, path):
    """GET path exactly as given (no client-side normalisation): (status
    line, raw answer)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Connection: close\r\n\r\n" % path).encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    finally:
        s.close()
    return data.split(b"\r\n", 1)[0].decode(), data


def make_root(tmp):
    root = os.path.join(tmp, "web")
    os.makedirs(os.path.join(root, "app"))
    os.makedirs(os.path.join(root, "adir.js"))
    files = {"index.html": b"<!doctype html><title>index</title>\n",
             "app/vote.js": b"export const x = 1;\n",
             "style.css": b"body { color: black }\n",
             ".secret.html": b"hidden\n",
             "notes.md": b"not a served type\n"}
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    outside = os.path.join(tmp, "outside.html")
    with open(outside, "wb") as f:
        f.write(b"outside the root\n")
    os.symlink(outside, os.path.join(root, "link.html"))
    return root, files


def test_pages(build):
    tmp = tempfile.mkdtemp(prefix="web-routes-")
    try:
        root, files = make_root(tmp)
        with harness.Ballotd(build, config={"web_root": root}) as d:
            d.start()
            c = d.client()
            for path, name, ctype in (
                    ("/", "index.html", "text/html; charset=utf-8"),
                    ("/index.html", "index.html", "text/html; charset=utf-8"),
                    ("/app/vote.js", "app/vote.js",
                     "text/javascript; charset=utf-8"),
                    ("/style.css", "style.css", "text/css; charset=utf-8")):
                r = c.get(path)
                check(r.status == 200 and r.body == files[name],
                      "%s: %r" % (path, r))
                check(r.header("Content-Type") == ctype,
                      "%s type %r" % (path, r.header("Content-Type")))
                check(r.header("Content-Security-Policy") == PAGE_CSP,
                      "%s CSP %r" % (path,
                                     r.header("Content-Security-Policy")))
                check(r.header("Referrer-Policy") == "no-referrer" and
                      r.header("X-Frame-Options") == "DENY" and
                      r.header("X-Content-Type-Options") == "nosniff" and
                      r.header("Cache-Control") == "no-cache",
                      "%s headers %r" % (path, r.headers))
            # The API keeps its own headers: no page policy, no-store.
            r = c.get("/healthz")
            check(r.header("Content-Security-Policy") is None and
                  r.header("Cache-Control") == "no-store", "healthz headers")
            # Paths that must not name a file: a JSON 404, nothing served.
            for path in ("/.secret.html", "/app/../index.html",
                         "/app/./vote.js", "/%2e%2e/outside.html",
                         "/../outside.html", "/link.html", "/adir.js",
                         "/notes.md", "/app/", "/app//vote.js",
                         "/missing.html", "/index.html%00.js"):
                status, data = raw_get(d.http_port, path)
                check(" 404 " in status + " " and
                      b'"error":"not_found"' in data and
                      b"outside the root" not in data and
                      b"hidden" not in data,
                      "%s: %s\n%r" % (path, status, data[:300]))
            # Only GET and HEAD read pages; a POST finds no route.
            r = c.post("/index.html", {})
            harness.assert_error(r, 404, "not_found")
            r = c.request("HEAD", "/index.html")
            check(r.status == 200 and r.body == b"", "HEAD: %r" % r)
            # Routes win over files.
            r = c.get("/healthz")
            check(r.json == {"ok": True}, "healthz")
            d.stop_ok()
        # The repository's own pages, as demo.sh serves them.
        with harness.Ballotd(build, config={
                "web_root": os.path.join(REPO, "web")}) as d:
            d.start()
            r = d.client().get("/crypto/hpke.js")
            with open(os.path.join(REPO, "web", "crypto", "hpke.js"),
                      "rb") as f:
                check(r.status == 200 and r.body == f.read(),
                      "web/crypto/hpke.js served: %r" % r)
            d.stop_ok()
        # Without web_root: no pages at all.
        with harness.Ballotd(build) as d:
            d.start()
            r = d.client().get("/")
            harness.assert_error(r, 404, "not_found", "no route")
            d.stop_ok()
        # A web_root that is not a directory: the daemon does not start.
        rc = harness.run_ballotd(build, [
            "--http", "127.0.0.1:0", "--db", os.path.join(tmp, "x.db"),
            "--organiser-credential-file", os.path.join(tmp, "nocred"),
            "--web-root", os.path.join(root, "index.html")])
        check(rc[0] == 1 and "web_root" in rc[1] and
              "not a directory" in rc[1], "bad web_root: %r" % (rc,))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_voter_route_find_and_close(build):
    with harness.Ballotd(build, config={"test_election_key": "true"}) as d:
        d.start()
        c = d.client()
        p = Poll(c, "webr").create()
        p.roll(4, 3)
        p.ceremony()
        p.election_key()
        p.open()
        v = "v0"
        r = c.post("/polls/webr/voter", {"credential": p.creds[v]})
        check(r.status == 200 and r.json == {
            "voter_id": v, "class": p.classes[v], "token_issued": False,
            "state": "open"}, "voter: %r" % r)
        other = [x for x in p.classes if p.classes[x] != p.classes[v]][0]
        r = c.post("/polls/webr/voter", {"credential": p.creds[other]})
        check(r.status == 200 and r.json["class"] == p.classes[other],
              "the other class: %r" % r)
        before = p.snapshot()
        # A wrong secret and an unknown voter: the same answer.
        # One symbol of the secret changed (not the last, whose low bits
        # must be zero): well formed, but nobody's credential.
        vid, secret = p.creds[v].split(":")
        wrong = "%s:%s%s" % (vid, "B" if secret[0] != "B" else "C",
                             secret[1:])
        for cred in (wrong, "nobody:" + p.creds[v].split(":")[1]):
            r = c.post("/polls/webr/voter", {"credential": cred})
            harness.assert_error(r, 403, "bad_credential",
                                 "credential: does not match a voter of "
                                 "poll 'webr'")
        r = c.post("/polls/webr/voter", {"credential": "no-colon"})
        harness.assert_error(r, 400, "bad_request", "credential: expected")
        r = c.post("/polls/webr/voter", {"credential": 7})
        harness.assert_error(r, 400, "bad_json", "credential")
        r = c.post("/polls/webr/voter", {"credential": p.creds[v], "x": 1})
        harness.assert_error(r, 400, "bad_json")
        r = c.post("/polls/nosuch/voter", {"credential": p.creds[v]})
        harness.assert_error(r, 404, "not_found")
        check(p.snapshot() == before, "refused voter requests store nothing")

        # A token request that names another class than the voter's is
        # refused before anything is signed or stored.
        wrong = other_class = p.classes[other]
        key = p.keys[other_class]
        blinded, _ = key.blind(prepare())
        r = c.post("/polls/webr/tokens", {"credential": p.creds[v],
                                          "blinded": b64url(blinded),
                                          "class": wrong})
        harness.assert_error(
            r, 409, "wrong_class",
            "class: this credential's voter is in class %s, not %s" %
            (p.classes[v], wrong))
        r = c.post("/polls/webr/tokens", {"credential": p.creds[v],
                                          "blinded": b64url(blinded),
                                          "class": "a+b"})
        harness.assert_error(r, 400, "bad_request", "is not a class id")
        check(p.snapshot() == before, "a wrong class stores nothing")
        r = c.post("/polls/webr/voter", {"credential": p.creds[v]})
        check(r.json["token_issued"] is False, "no token after wrong_class")

        # The token answer closes the connection; the next request opens
        # a new one.  (Naming the right class is accepted.)
        key = p.keys[p.classes[v]]
        prepared = prepare()
        blinded, inv = key.blind(prepared)
        r = c.post("/polls/webr/tokens", {"credential": p.creds[v],
                                          "blinded": b64url(blinded),
                                          "class": p.classes[v]})
        check(r.status == 200 and
              (r.header("Connection") or "").lower() == "close",
              "token answer: Connection %r" % r.header("Connection"))
        r = c.post("/polls/webr/voter", {"credential": p.creds[v]})
        check(r.status == 200 and r.json["token_issued"] is True,
              "token_issued after the token: %r" % r)

        # ballotctl vote with a wrong --class: refused by the server before
        # signing, so the voter can still vote with the right class.
        ctl = os.path.join(build, "ballotctl", "ballotctl")
        if os.access(ctl, os.X_OK):
            tmp = tempfile.mkdtemp(prefix="web-routes-ctl-")
            try:
                a2 = [x for x in p.classes if p.classes[x] == "a*2"][0]
                env = dict(os.environ, BALLOT_SERVER="http://127.0.0.1:%d" %
                           d.http_port)
                base = [ctl, "vote", "webr", "--credential", p.creds[a2],
                        "--state", os.path.join(tmp, "state")]
                q = subprocess.run(base + ["--class", "a+b*1", "--ballot",
                                           '{"a":[2,1],"b":[1]}', "--receipt",
                                           os.path.join(tmp, "r1.json")],
                                   env=env, capture_output=True, text=True,
                                   timeout=60)
                check(q.returncode == 1 and
                      "this credential's voter is in class a*2" in q.stderr,
                      "vote --class wrong: %r" % (q,))
                r = c.post("/polls/webr/voter", {"credential": p.creds[a2]})
                check(r.json["token_issued"] is False,
                      "no token after a wrong --class")
                shutil.rmtree(tmp)
                os.makedirs(tmp)
                q = subprocess.run(base + ["--ballot", '{"a":[2,1]}',
                                           "--receipt",
                                           os.path.join(tmp, "r2.json")],
                                   env=env, capture_output=True, text=True,
                                   timeout=60)
                check(q.returncode == 0, "vote with the right class: %r" %
                      (q,))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

        # Casts, then find each by its tracker code.
        receipts = []
        for voter in ("v1", "v2", "v3"):
            cls, prep, sig = p.get_token(voter)
            r, entry = p.cast(cls, prep, sig)
            receipts.append((check_receipt(p, r, entry), entry))
        for rc, entry in receipts:
            for form in (rc["tracker"], rc["tracker"].replace("-", ""),
                         rc["tracker"].upper()):
                r = c.get("/polls/webr/board/find?tracker=" + form)
                check(r.status == 200 and r.json == {"matches": [{
                    "leaf_index": rc["leaf_index"],
                    "leaf_hash": leaf_hash(entry).hex()}]},
                    "find %s: %r" % (form, r))
        # A code of no leaf: no match (flip the last digit).
        t = receipts[0][0]["tracker"]
        t2 = t[:-1] + ("0" if t[-1] != "0" else "1")
        r = c.get("/polls/webr/board/find?tracker=" + t2)
        check(r.status == 200 and all(m["leaf_hash"][:10] == t2.replace(
            "-", "") for m in r.json["matches"]), "find other: %r" % r)
        for bad in ("", "abcd", "abcde-fghij", "0123456789a", "01234--5678",
                    "012345-6789"):
            r = c.get("/polls/webr/board/find?tracker=" + bad)
            harness.assert_error(r, 400, "bad_request", "tracker:")
        r = c.get("/polls/webr/board/find")
        harness.assert_error(r, 400, "bad_request", "tracker:")
        d.stop_ok()


def record_tar(poll_id, members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) \
            as t:
        for name, data in members:
            ti = tarfile.TarInfo("%s/%s" % (poll_id, name))
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def test_results_routes(build):
    with harness.Ballotd(build, config={"test_election_key": "true"}) as d:
        d.start()
        c = d.client()
        p = Poll(c, "webres").create()
        p.roll(4, 3)
        p.ceremony()
        p.election_key()
        p.open()
        for path in ("/results", "/record/results.json",
                     "/record/contests/a.json"):
            r = c.get("/polls/webres" + path)
            harness.assert_error(r, 404, "not_found",
                                 "poll 'webres' is open: its record is not "
                                 "published")
        p.close()
        results = json.dumps({"poll": "webres", "x": "é"}).encode()
        contest = b'{"contest": "a"}\n'
        report = b"<!doctype html><p>report</p>\n"
        long_name = "contests/" + "b" * 95 + ".json"  # uses the prefix field
        tar = record_tar("webres", [
            ("README.txt", b"readme\n"), ("results.json", results),
            ("contests/a.json", contest), ("contests/a.blt", b"2 1\n"),
            (long_name, b"{}\n"), ("report.html", report)])
        r = c.request("POST", "/polls/webres/record", body=tar,
                      headers={"Content-Type": "application/x-tar"},
                      organiser=True)
        check(r.status == 200 and r.json["state"] == "published",
              "publish: %r" % r)
        for path, data, ctype in (
                ("/results", results, "application/json"),
                ("/record/results.json", results, "application/json"),
                ("/record/contests/a.json", contest, "application/json"),
                ("/record/contests/a.blt", b"2 1\n",
                 "text/plain; charset=utf-8"),
                ("/record/" + long_name, b"{}\n", "application/json"),
                ("/record/README.txt", b"readme\n",
                 "text/plain; charset=utf-8"),
                ("/record/report.html", report, "text/html; charset=utf-8")):
            r = c.get("/polls/webres" + path)
            check(r.status == 200 and r.body == data and
                  r.header("Content-Type") == ctype,
                  "%s: %r %r" % (path, r, r.header("Content-Type")))
        r = c.get("/polls/webres/record/report.html")
        check("script-src" not in r.header("Content-Security-Policy") and
              "default-src 'none'" in r.header("Content-Security-Policy"),
              "report.html runs no script: %r" %
              r.header("Content-Security-Policy"))
        for path, msg in (("/record/contests/zz.json", "no file"),
                          ("/record/keys.json", "no file"),
                          ("/record/poll.tar", "not a file the server"),
                          ("/record/contests", "not a file the server")):
            r = c.get("/polls/webres" + path)
            harness.assert_error(r, 404, "not_found", msg)
        d.stop_ok()


if __name__ == "__main__":
    run_tests([test_pages, test_voter_route_find_and_close,
               test_results_routes])
