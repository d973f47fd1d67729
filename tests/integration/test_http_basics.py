"""The HTTP core of ballotd: listeners, keep-alive, TLS, the common
checks of the route table (404, 405, 415, 413, 401, bad_json), answers
from another thread, concurrency, clean stop, configuration errors and
the anonymity of the cast route's log lines.

usage: python3 test_http_basics.py BUILD_DIR
"""

import hashlib
import http.client
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ballotd_harness import (ORGANISER_CREDENTIAL, Ballotd, Client,  # noqa
                             HarnessError, assert_error, main, run_ballotd)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def test_health_http_keepalive(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        r = c.get("/healthz")
        check(r.status == 200 and r.json == {"ok": True}, r)
        check(r.header("content-type") == "application/json", r.headers)
        sock = c.socket()
        check(sock is not None, "no socket after the first answer")
        for _ in range(200):
            r = c.get("/healthz")
            check(r.status == 200 and r.json == {"ok": True}, r)
            # The same socket every time: the connection was kept.
            check(c.socket() is sock, "connection not kept alive")
        c.close()
        d.stop_ok()


def test_health_https_keepalive(build):
    with Ballotd(build, tls=True, plain=False) as d:
        d.start()
        c = d.client()
        r = c.get("/healthz")
        check(r.status == 200 and r.json == {"ok": True}, r)
        sock = c.socket()
        check(sock.version() in ("TLSv1.2", "TLSv1.3"), sock.version())
        for _ in range(100):
            r = c.get("/healthz")
            check(r.status == 200, r)
            check(c.socket() is sock, "TLS connection not kept alive")
        c.close()
        # TLS 1.2 is accepted ...
        ctx = ssl.create_default_context(cafile=d.cert)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        c = Client("127.0.0.1", d.https_port, ssl_context=ctx)
        check(c.get("/healthz").status == 200, "TLS 1.2 refused")
        check(c.socket().version() == "TLSv1.2", c.socket().version())
        c.close()
        # No session resumption, in TLS 1.2 or 1.3: a resumed session
        # would tie the cast's connection to the token's.
        for ver in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = ssl.create_default_context(cafile=d.cert)
            ctx.minimum_version = ctx.maximum_version = ver
            sess = None
            for attempt in (1, 2):
                raw = socket.create_connection(("127.0.0.1", d.https_port),
                                               timeout=5)
                s = ctx.wrap_socket(raw, server_hostname="127.0.0.1",
                                    session=sess)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                data = b""
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
                check(data.startswith(b"HTTP/1.1 200"), data[:100])
                check(not s.session_reused, "%s: a session was resumed" %
                      ver)
                sess = s.session
                check(sess is None or not sess.has_ticket,
                      "%s: the server issued a session ticket" % ver)
                s.close()
        # ... TLS 1.1 and below are not (whatever the client allows).
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(d.cert)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            pass
        c = Client("127.0.0.1", d.https_port, ssl_context=ctx)
        try:
            c.get("/healthz")
            raise AssertionError("a TLS 1.1 handshake succeeded")
        except (ssl.SSLError, OSError):
            pass
        c.close()
        # Plain HTTP to the TLS port gets no answer in clear.
        c = Client("127.0.0.1", d.https_port, timeout=5)
        try:
            r = c.get("/healthz")
            check(r.status != 200, "plain HTTP served on the TLS port")
        except (OSError, http.client.HTTPException):
            pass
        c.close()
        d.stop_ok()


def test_not_found(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        for path in ("/", "/nope", "/healthz/", "/polls/x/unknown",
                     "/polls//status", "/polls/a%2Fb/status",
                     "/polls/x/status/more", "/_test/async"):
            assert_error(c.get(path), 404, "not_found")
        # Still the same connection after errors.
        check(c.get("/healthz").status == 200, "after 404s")
        d.stop_ok()


def test_method_not_allowed(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        r = c.request("PUT", "/healthz")
        assert_error(r, 405, "method_not_allowed")
        check(r.header("allow") == "GET", r.headers)
        r = c.get("/polls")
        assert_error(r, 405, "method_not_allowed")
        check(r.header("allow") == "POST", r.headers)
        r = c.request("DELETE", "/polls/x/ceremony/messages")
        assert_error(r, 405, "method_not_allowed")
        check(r.header("allow") == "GET, POST", r.headers)
        r = c.request("POST", "/polls/x/schedule", {"opens": None})
        check(r.header("allow") == "PUT", r.headers)
        d.stop_ok()


def test_unsupported_media_type(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        body = '{"credential": "c", "blinded": "b"}'
        assert_error(c.post("/polls/x/tokens", body,
                            content_type="text/plain"),
                     415, "unsupported_media_type")
        assert_error(c.post("/polls/x/tokens", body), 415,
                     "unsupported_media_type")
        assert_error(c.post("/polls/x/tokens", body,
                            content_type="application/jsonp"),
                     415, "unsupported_media_type")
        # The roll wants CSV, not JSON.
        assert_error(c.post("/polls/x/roll", body,
                            content_type="application/json",
                            organiser=True),
                     415, "unsupported_media_type")
        # Parameters and case are allowed; the checks pass and the
        # handler answers (its own refusal, not the media type's).
        r = c.post("/polls/x/tokens", body,
                   content_type="Application/JSON; charset=utf-8")
        assert_error(r, 400, "bad_request", "credential")
        r = c.post("/polls/x/roll", "voter_id\n1\n",
                   content_type="text/csv", organiser=True)
        assert_error(r, 404, "not_found", "poll 'x'")
        d.stop_ok()


def test_too_large(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        # Exactly the 64 KiB limit of the tokens route passes ...
        head = b'{"credential": "c", "blinded": "'
        fill = 65536 - len(head) - 2
        body = head + b"A" * fill + b'"}'
        check(len(body) == 65536, len(body))
        r = c.post("/polls/x/tokens", body,
                   content_type="application/json")
        assert_error(r, 400, "bad_request", "credential")
        # ... one byte more does not.
        body = head + b"A" * (fill + 1) + b'"}'
        r = c.post("/polls/x/tokens", body,
                   content_type="application/json")
        assert_error(r, 413, "too_large", "65536")
        # The cast route allows 128 KiB: 100 KiB passes the size check.
        body = (b'{"class": "c", "token": "t", "sig": "s", "cast_sig": "x", '
                b'"ballot": "' + b"B" * 100000 + b'"}')
        assert_error(c.post("/polls/x/casts", body,
                            content_type="application/json"),
                     404, "not_found", "poll 'x'")
        # A GET takes no body.
        assert_error(c.request("GET", "/healthz", body=b"x"), 413,
                     "too_large")
        d.stop_ok()
    # Over the server-wide limit: libevent's own 413 (not JSON).
    with Ballotd(build, config={"max_body": "70000"}) as d:
        d.start()
        c = d.client()
        body = b'{"a": "' + b"A" * 80000 + b'"}'
        try:
            r = c.post("/polls/x/casts", body,
                       content_type="application/json")
            check(r.status == 413, r)
        except (OSError, http.client.HTTPException):
            pass  # libevent may close before we finish sending
        c = d.client()
        check(c.get("/healthz").status == 200, "alive after a 413")
        d.stop_ok()


def test_bad_json(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()

        def tok(body):
            return c.post("/polls/x/tokens", body,
                          content_type="application/json")

        r = tok('{"credential": "c",\n "blinded": }')
        assert_error(r, 400, "bad_json", "line 2")
        check("column" in r.json["message"], r.json)
        r = tok('{"credential": "c", "blinded": "b", "credential": "d"}')
        assert_error(r, 400, "bad_json", "duplicate")
        assert_error(tok('["credential", "blinded"]'), 400, "bad_json",
                     "object")
        assert_error(tok('{"credential": "c"}'), 400, "bad_json",
                     "blinded")
        assert_error(tok('{"credential": "c", "blinded": "b", "x": 1}'),
                     400, "bad_json", "'x'")
        assert_error(tok(""), 400, "bad_json")
        assert_error(tok(b'{"credential": "\xff", "blinded": "b"}'), 400,
                     "bad_json")
        assert_error(tok('{"credential": "c", "blinded": "b"} x'), 400,
                     "bad_json")
        assert_error(tok('{"credential": "\\u0000", "blinded": "b"}'),
                     400, "bad_json")
        # {} routes take exactly {}.
        assert_error(c.post("/polls/x/open", {"now": True},
                            organiser=True), 400, "bad_json", "'now'")
        assert_error(c.post("/polls/x/open", {}, organiser=True), 404,
                     "not_found", "poll 'x'")
        # A well-formed body passes to the handler.
        assert_error(tok('{"credential": "c", "blinded": "b"}'), 400,
                     "bad_request", "credential")
        d.stop_ok()


def test_unauthorized(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        r = c.post("/polls", {})
        assert_error(r, 401, "unauthorized")
        check((r.header("www-authenticate") or "").startswith("Bearer"),
              r.headers)
        for bad in ("wrong", ORGANISER_CREDENTIAL + "x",
                    ORGANISER_CREDENTIAL[:-1], " "):
            assert_error(c.post("/polls", {}, organiser=bad), 401,
                         "unauthorized")
        assert_error(c.post("/polls", {}, headers={
            "Authorization": "Basic " + ORGANISER_CREDENTIAL}), 401,
            "unauthorized")
        assert_error(c.request("PUT", "/polls/x/schedule",
                               {"opens": None, "closes": None}),
                     401, "unauthorized")
        # With the credential, the handler sees the (empty) definition.
        assert_error(c.post("/polls", {}, organiser=True), 400,
                     "bad_json", "format")
        # Voter and public routes need no organiser credential.
        assert_error(c.get("/polls/x"), 404, "not_found", "poll 'x'")
        # The credential never reaches the log.
        check(ORGANISER_CREDENTIAL not in d.log(), "credential logged")
        d.stop_ok()
    # The file may hold the hash instead of the credential.
    h = hashlib.sha256(b"another-credential-for-tests").hexdigest()
    with Ballotd(build, credential_text="sha256:%s\n" % h) as d:
        d.start()
        c = d.client()
        assert_error(c.post("/polls", {}, organiser=True), 401,
                     "unauthorized")
        assert_error(c.post("/polls", {},
                            organiser="another-credential-for-tests"),
                     400, "bad_json", "format")
        assert_error(c.post("/polls", {}, organiser="sha256:" + h), 401,
                     "unauthorized")
        d.stop_ok()


def _timed_get(d, path, out, i):
    c = d.client(timeout=20)
    t0 = time.monotonic()
    try:
        r = c.get(path)
        out[i] = (r, time.monotonic() - t0)
    except Exception as e:  # reported by the caller
        out[i] = (e, time.monotonic() - t0)
    finally:
        c.close()


def test_async(build):
    with Ballotd(build, config={"test_routes": "true"}, threads=2) as d:
        d.start()
        c = d.client()
        t0 = time.monotonic()
        r = c.get("/_test/async?ms=300")
        dt = time.monotonic() - t0
        check(r.status == 200 and r.json == {"ok": True, "delay_ms": 300},
              r)
        check(0.29 <= dt < 5, "answered after %.3fs" % dt)
        # Keep-alive holds across an answer from another thread.
        sock = c.socket()
        check(c.get("/_test/async?ms=0").status == 200, "ms=0")
        check(c.socket() is sock, "connection not kept")
        # A client that leaves before its answer: the late answer is
        # dropped safely (the sanitizer build would catch a use after
        # free) and the daemon keeps serving.
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", d.http_port), 5)
            s.sendall(b"GET /_test/async?ms=200 HTTP/1.1\r\n"
                      b"Host: x\r\n\r\n")
            time.sleep(0.02)
            s.close()
        time.sleep(0.5)
        check(c.get("/healthz").status == 200, "after early closes")
        check(d.proc.poll() is None, "daemon died")
        assert_error(c.get("/_test/async?ms=abc"), 400, "bad_request")
        assert_error(c.get("/_test/async?ms=5001"), 400, "bad_request")
        # 40 waiting requests on 2 loops do not block them: /healthz on
        # another connection answers at once, and all 40 end together.
        out = [None] * 40
        ths = [threading.Thread(target=_timed_get,
                                args=(d, "/_test/async?ms=800", out, i))
               for i in range(40)]
        for t in ths:
            t.start()
        time.sleep(0.2)
        c2 = d.client()
        t0 = time.monotonic()
        check(c2.get("/healthz").status == 200, "healthz while waiting")
        check(time.monotonic() - t0 < 0.5, "a loop was blocked")
        for t in ths:
            t.join(20)
        for r, dt in out:
            check(isinstance(r, object) and getattr(r, "status", 0) == 200,
                  r)
            check(dt < 5, "async answer took %.2fs" % dt)
        d.stop_ok()


def test_concurrent(build):
    with Ballotd(build, config={"test_routes": "true"}) as d:
        d.start()
        n = 200
        out = [None] * n
        paths = ["/healthz", "/_test/async?ms=50", "/polls/p%d/status",
                 "/nope"]
        ths = []
        for i in range(n):
            p = paths[i % 4].replace("%d", str(i))
            ths.append(threading.Thread(target=_timed_get,
                                        args=(d, p, out, i)))
        barrier_start = time.monotonic()
        for t in ths:
            t.start()
        for t in ths:
            t.join(30)
        check(time.monotonic() - barrier_start < 30, "too slow")
        want = [200, 200, 404, 404]
        for i, (r, _) in enumerate(out):
            check(getattr(r, "status", None) == want[i % 4],
                  "request %d: %r" % (i, r))
        check(out[2][0].json["error"] == "not_found", out[2])
        lines = [l for l in d.log().splitlines() if " GET " in l]
        check(len(lines) >= n, "%d request lines logged" % len(lines))
        d.stop_ok()


def test_sigterm_inflight(build):
    with Ballotd(build, config={"test_routes": "true"}) as d:
        d.start()
        idle = d.client()
        check(idle.get("/healthz").status == 200, "healthz")
        out = [None] * 5
        ths = [threading.Thread(target=_timed_get,
                                args=(d, "/_test/async?ms=1500", out, i))
               for i in range(5)]
        for t in ths:
            t.start()
        time.sleep(0.4)
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        time.sleep(0.3)
        # New connections are refused at once ...
        try:
            s = socket.create_connection(("127.0.0.1", d.http_port), 2)
            s.close()
            raise AssertionError("a new connection was accepted")
        except OSError:
            pass
        # ... and a new request on an open connection gets 503.
        r = idle.get("/healthz")
        assert_error(r, 503, "unavailable")
        check(r.header("connection") == "close", r.headers)
        for t in ths:
            t.join(10)
        for r, dt in out:
            check(getattr(r, "status", None) == 200, "in flight: %r" % (r,))
        rc = d.proc.wait(10)
        check(rc == 0, "exit status %d:\n%s" % (rc, d.log()))
        check(time.monotonic() - t0 < 5, "stop took too long")
        check("SIGTERM: stopping" in d.log(), d.log())
    # Past shutdown_timeout, waiting requests get 503 and the exit is 0.
    with Ballotd(build, config={"test_routes": "true",
                                "shutdown_timeout": "1"}) as d:
        d.start()
        out = [None]
        t = threading.Thread(target=_timed_get,
                             args=(d, "/_test/async?ms=4000", out, 0))
        t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        d.signal(signal.SIGINT)
        t.join(10)
        assert_error(out[0][0], 503, "unavailable")
        check(out[0][1] < 3, "cut off after %.2fs" % out[0][1])
        rc = d.proc.wait(15)
        check(rc == 0, "exit status %d" % rc)
        check(time.monotonic() - t0 < 12, "stop took too long")
        check("answered 503" in d.log(), d.log())


def test_restart_and_kill9(build):
    with Ballotd(build) as d:
        d.start()
        port = d.http_port
        d.kill9()
        check(d.proc.returncode == -signal.SIGKILL, d.proc.returncode)
        d.restart()
        check(d.http_port == port, "restarted on another port")
        check(d.client().get("/healthz").status == 200, "after restart")
        d.stop_ok()
        d.restart()
        d.stop_ok()


def test_cast_log_anonymous(build):
    with Ballotd(build) as d:
        d.start()
        c = d.client()
        marker = "BODYMARKER7f3a"
        casts = [
            c.post("/polls/p/casts", {"class": marker, "token": "t",
                                      "sig": "s", "ballot": "b",
                                      "cast_sig": "x"}),
            c.post("/polls/p/casts", '{"class": ', content_type=
                   "application/json"),
            c.post("/polls/p/casts", "x", content_type="text/plain"),
            c.get("/polls/p/casts"),
        ]
        check([r.status for r in casts] == [404, 400, 415, 405],
              [r.status for r in casts])
        check(c.get("/healthz").status == 200, "healthz")
        c.close()
        d.stop_ok()
        log = d.log()
        cast_lines = [l for l in log.splitlines() if "/casts" in l]
        check(len(cast_lines) >= 4, "cast requests not logged:\n" + log)
        for l in cast_lines:
            check("127.0.0.1" not in l and " from " not in l,
                  "address in a cast line: " + l)
        # The other routes do log it: the check above can fail.
        check(re.search(r"GET /healthz 200 .* from 127\.0\.0\.1:\d+", log),
              "healthz line without address:\n" + log)
        check(marker not in log, "a request body reached the log")


def _start_error(build, args, code=1):
    rc, err = run_ballotd(build, args)
    check(rc == code, "exit %d, wanted %d: %s" % (rc, code, err))
    return err


def test_config_errors(build):
    with Ballotd(build) as d:
        base = ["--db", d.db, "--organiser-credential-file", d.cred_file]
        conf = os.path.join(d.dir, "bad.conf")
        cases = [
            ("# comment\n\nthreads = 2\nfrobnicate = 1\n",
             "bad.conf:4: unknown key 'frobnicate'"),
            ("http = 127.0.0.1:0\nthreads = 0\n",
             "bad.conf:2: threads: expected a whole number from 1 to 256"),
            ("threads 4\n", "bad.conf:1: expected 'key = value'"),
            ("threads = 2\nlog_level = debug\nthreads = 3\n",
             "bad.conf:3: threads given twice"),
            ("db =\n", "bad.conf:1: db: empty value"),
            ("= 4\n", "bad.conf:1: missing key"),
            ("http = localhost:80\n", "bad.conf:1: bad IPv4 address"),
            ("http = 127.0.0.1:99999\n", "bad.conf:1: bad port"),
            ("test_routes = yes\n", "bad.conf:1: test_routes: expected"),
            ("log_level = loud\n", "bad.conf:1: log_level: expected"),
            ("timeout = 0\n", "bad.conf:1: timeout"),
            ("# x\n" + "threads = " + "1" * 2000 + "\n",
             "bad.conf:2: line longer than"),
        ]
        for text, want in cases:
            with open(conf, "w") as f:
                f.write(text)
            err = _start_error(build, ["--config", conf] + base)
            check(want in err, "wanted %r in %r" % (want, err))
        err = _start_error(build, ["--config", os.path.join(d.dir, "no")])
        check("No such file" in err, err)
        # Flags: named in the message; a flag overrides the file.
        err = _start_error(build, base + ["--http", "127.0.0.1:0",
                                          "--threads", "300"])
        check("--threads: threads: expected" in err, err)
        err = _start_error(build, base + ["--http", "127.0.0.1:0",
                                          "--log-level", "x"])
        check("--log-level" in err, err)
        with open(conf, "w") as f:
            f.write("http = 127.0.0.1:0\nthreads = 0x\n")
        err = _start_error(build, ["--config", conf] + base)
        check("bad.conf:2" in err, err)
        _start_error(build, base + ["--bogus"], code=2)
        _start_error(build, base + ["--http", "127.0.0.1:0", "extra"],
                     code=2)
        err = _start_error(build, base)
        check("no listener" in err, err)
        err = _start_error(build, base + ["--listen", "127.0.0.1:0"])
        check("needs --cert and --key" in err, err)
        err = _start_error(build, ["--http", "127.0.0.1:0",
                                   "--organiser-credential-file",
                                   d.cred_file])
        check("no database" in err, err)
        err = _start_error(build, ["--http", "127.0.0.1:0", "--db", d.db])
        check("no organiser credential" in err, err)
        short = os.path.join(d.dir, "short.cred")
        with open(short, "w") as f:
            f.write("tooshort\n")
        err = _start_error(build, ["--http", "127.0.0.1:0", "--db", d.db,
                                   "--organiser-credential-file", short])
        check("16 to 256 characters" in err, err)
        with open(short, "w") as f:
            f.write("sha256:abcd\n")
        err = _start_error(build, ["--http", "127.0.0.1:0", "--db", d.db,
                                   "--organiser-credential-file", short])
        check("64 lowercase hex" in err, err)
        # A certificate that does not exist.
        err = _start_error(build, base + [
            "--listen", "127.0.0.1:0", "--cert", os.path.join(d.dir, "c"),
            "--key", os.path.join(d.dir, "k")])
        check("cannot load the certificate" in err, err)
        rc, out = run_ballotd(build, ["--version"])
        check(rc == 0, rc)
        rc, out = run_ballotd(build, ["--help"])
        check(rc == 0, rc)


def test_plain_http_refused_off_loopback(build):
    with Ballotd(build) as d:
        base = ["--db", d.db, "--organiser-credential-file", d.cred_file]
        for addr in ("0.0.0.0:8080", "192.0.2.1:8080", "[::]:8080",
                     "10.1.2.3:0"):
            err = _start_error(build, base + ["--http", addr])
            check("refusing plain HTTP on %s" % addr in err, err)
        # Loopback is fine, IPv4 (all of 127/8) or IPv6.
        d.extra_config["http"] = "127.0.0.2:0"
        d.start()
        d.stop_ok()


if __name__ == "__main__":
    main([test_health_http_keepalive, test_health_https_keepalive,
          test_not_found, test_method_not_allowed,
          test_unsupported_media_type, test_too_large, test_bad_json,
          test_unauthorized, test_async, test_concurrent,
          test_sigterm_inflight, test_restart_and_kill9,
          test_cast_log_anonymous, test_config_errors,
          test_plain_http_refused_off_loopback])
