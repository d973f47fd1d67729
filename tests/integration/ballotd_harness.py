"""ballotd_harness: start, talk to and stop a real ballotd in tests.

Python 3 standard library only.  Every daemon runs on 127.0.0.1, with its
configuration, credential file, certificate and database in a temporary
directory that is removed afterwards; every wait is bounded.

    with Ballotd(build_dir, tls=True) as d:
        d.start()
        c = d.client()                # keep-alive HTTP/1.1 over http.client
        r = c.get("/healthz")
        assert r.status == 200 and r.json == {"ok": True}
        assert_error(c.post("/polls", {}), 401, "unauthorized")
        d.stop()                      # SIGTERM, must exit 0

Ports: unless given, the daemon binds port 0 and the harness reads the
real ports from its "listening on" log lines; restart() reuses them.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ORGANISER_CREDENTIAL = "test-organiser-credential-0123456789"

SKIP = 77


class HarnessError(AssertionError):
    pass


def binary_path(build_dir):
    return os.path.join(build_dir, "ballotd", "ballotd")


def make_cert(directory):
    """A self-signed P-256 certificate for 127.0.0.1; returns (cert, key)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    if shutil.which("openssl") is None:
        raise HarnessError("the openssl command is needed for TLS tests")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, timeout=30,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        self.json = None
        if self.headers.get("content-type", "").startswith(
                "application/json"):
            try:
                self.json = json.loads(body.decode("utf-8"))
            except ValueError:
                self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:200])


class Client:
    """HTTP/1.1 with keep-alive: one connection, reused until closed."""

    def __init__(self, host, port, cafile=None, timeout=10,
                 ssl_context=None):
        if cafile is not None or ssl_context is not None:
            ctx = ssl_context or ssl.create_default_context(cafile=cafile)
            self.conn = http.client.HTTPSConnection(
                host, port, context=ctx, timeout=timeout)
        else:
            self.conn = http.client.HTTPConnection(host, port,
                                                   timeout=timeout)

    def request(self, method, path, body=None, headers=None,
                content_type=None, organiser=None):
        """body: bytes, str, or any other value sent as JSON.
        organiser: True for the test credential, or a string to send."""
        hdrs = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if organiser is True:
            organiser = ORGANISER_CREDENTIAL
        if organiser:
            hdrs["Authorization"] = "Bearer " + organiser
        self.conn.request(method, path, body=body, headers=hdrs)
        r = self.conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def socket(self):
        """The connection's socket (None when closed): to check reuse."""
        return self.conn.sock

    def close(self):
        self.conn.close()


def assert_error(resp, status, code, message_contains=None):
    """resp is an error answer of api.md: the status, JSON, exactly
    {"error": code, "message": non-empty text}."""
    if resp.status != status:
        raise HarnessError("expected status %d, got %r" % (status, resp))
    if resp.json is None:
        raise HarnessError("expected a JSON error body, got %r" % (resp,))
    if set(resp.json) != {"error", "message"}:
        raise HarnessError("error body members: %r" % (resp.json,))
    if resp.json["error"] != code:
        raise HarnessError("expected error %r, got %r" % (code, resp.json))
    msg = resp.json["message"]
    if not isinstance(msg, str) or not msg:
        raise HarnessError("empty error message: %r" % (resp.json,))
    if message_contains is not None and message_contains not in msg:
        raise HarnessError("message %r lacks %r" % (msg, message_contains))


class Ballotd:
    """One ballotd process and its temporary directory.

    config: extra `key = value` settings (dict); args: extra flags.
    tls: serve HTTPS too (a fresh self-signed certificate); plain: serve
    plain HTTP on 127.0.0.1 (default).
    """

    def __init__(self, build_dir, tls=False, plain=True, config=None,
                 args=(), threads=4, credential=ORGANISER_CREDENTIAL,
                 credential_text=None):
        self.binary = binary_path(build_dir)
        self.dir = tempfile.mkdtemp(prefix="ballotd-test-")
        self.db = os.path.join(self.dir, "ballot.db")
        self.conf = os.path.join(self.dir, "ballotd.conf")
        self.cred_file = os.path.join(self.dir, "organiser.cred")
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.tls = tls
        self.plain = plain
        self.extra_config = dict(config or {})
        self.args = list(args)
        self.threads = threads
        self.proc = None
        self.http_host = self.https_host = "127.0.0.1"
        self.http_port = 0
        self.https_port = 0
        self.cert = self.key = None
        self.log_offset = 0
        with open(self.cred_file, "w") as f:
            f.write(credential_text if credential_text is not None
                    else credential + "\n")
        os.chmod(self.cred_file, 0o600)
        if tls:
            self.cert, self.key = make_cert(self.dir)

    def write_config(self):
        lines = ["# written by ballotd_harness",
                 "db = %s" % self.db,
                 "organiser_credential_file = %s" % self.cred_file,
                 "threads = %d" % self.threads,
                 "log_level = info"]
        if self.plain:
            lines.append("http = 127.0.0.1:%d" % self.http_port)
        if self.tls:
            lines += ["listen = 127.0.0.1:%d" % self.https_port,
                      "cert = %s" % self.cert, "key = %s" % self.key]
        for k, v in self.extra_config.items():
            lines = [l for l in lines if not l.startswith(k + " =")]
            lines.append("%s = %s" % (k, v))
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, timeout=10):
        """Starts the daemon and waits until /healthz answers."""
        if self.proc is not None and self.proc.poll() is None:
            raise HarnessError("already running")
        self.write_config()
        with open(self.log_path, "ab") as log:
            self.log_offset = log.tell()
            self.proc = subprocess.Popen(
                [self.binary, "--config", self.conf] + self.args,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=log)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise HarnessError("ballotd exited with %d at start:\n%s" %
                                   (self.proc.returncode, self.log()))
            self._read_ports()
            if self._ready():
                return self
            if time.monotonic() > deadline:
                self.kill9()
                raise HarnessError("ballotd did not answer /healthz within "
                                   "%ss:\n%s" % (timeout, self.log()))
            time.sleep(0.02)

    def _read_ports(self):
        text = self.log(since_start=True)
        m = re.search(r"listening on http://([0-9.]+):(\d+)", text)
        if m:
            self.http_host, self.http_port = m.group(1), int(m.group(2))
        m = re.search(r"listening on https://([0-9.]+):(\d+)", text)
        if m:
            self.https_host, self.https_port = m.group(1), int(m.group(2))

    def _ready(self):
        if (self.plain and not self.http_port) or \
                (self.tls and not self.https_port):
            return False
        try:
            c = self.client(timeout=2)
            try:
                r = c.get("/healthz")
            finally:
                c.close()
            return r.status == 200 and r.json == {"ok": True}
        except (OSError, http.client.HTTPException):
            return False

    def client(self, tls=None, timeout=10):
        """A keep-alive client: HTTPS if the daemon has no plain port or
        tls is True."""
        if tls is None:
            tls = not self.plain
        if tls:
            return Client(self.https_host, self.https_port, cafile=self.cert,
                          timeout=timeout)
        return Client(self.http_host, self.http_port, timeout=timeout)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        """SIGTERM, then waits; returns the exit status (kills -9 and
        raises if it does not exit in time)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise HarnessError("ballotd did not exit within %ss of SIGTERM"
                               % timeout)

    def stop_ok(self, timeout=20):
        rc = self.stop(timeout)
        if rc != 0:
            raise HarnessError("ballotd exited %r after SIGTERM:\n%s" %
                               (rc, self.log()))

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self, timeout=10):
        """Starts again on the same ports and the same database."""
        if self.proc is not None and self.proc.poll() is None:
            raise HarnessError("still running; stop() or kill9() first")
        return self.start(timeout)

    def log(self, since_start=False):
        """The daemon's stderr (of every run, or of the last start)."""
        try:
            with open(self.log_path, "rb") as f:
                if since_start:
                    f.seek(self.log_offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def close(self):
        self.kill9()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CastKey:
    """A voter's cast key (protocol.md section 5): an Ed25519 key pair
    whose public key is the token's msg; every cast is signed with it.
    Python has no Ed25519, so the openssl command does the work: the
    seed as RFC 8410 PKCS#8, the public key from its SPKI."""

    PKCS8 = bytes.fromhex("302e020100300506032b657004220420")
    SPKI = bytes.fromhex("302a300506032b6570032100")

    def __init__(self, seed=None):
        self.seed = seed if seed is not None else os.urandom(32)
        out = self._openssl(["pkey", "-inform", "DER", "-pubout",
                             "-outform", "DER"], self.PKCS8 + self.seed)
        if len(out) != 44 or not out.startswith(self.SPKI):
            raise HarnessError("openssl pkey: not an Ed25519 SPKI")
        self.pub = out[12:]

    @staticmethod
    def _openssl(args, stdin, files=()):
        with tempfile.TemporaryDirectory(prefix="castkey-") as tmp:
            names = []
            for i, data in enumerate(files):
                n = os.path.join(tmp, "f%d" % i)
                with open(n, "wb") as f:
                    f.write(data)
                names.append(n)
            args = [a.format(*names) for a in args]
            r = subprocess.run(["openssl"] + args, input=stdin,
                               capture_output=True, timeout=30)
            if r.returncode != 0:
                raise HarnessError("openssl %s: %s" %
                                   (args[0], r.stderr.decode()))
            return r.stdout

    def sign(self, msg):
        """Ed25519 (RFC 8032) of msg: 64 bytes."""
        out = self._openssl(["pkeyutl", "-sign", "-rawin", "-keyform",
                             "DER", "-inkey", "{0}", "-in", "{1}"], b"",
                            (self.PKCS8 + self.seed, msg))
        if len(out) != 64:
            raise HarnessError("openssl pkeyutl: %d bytes" % len(out))
        return out

    @classmethod
    def verify(cls, pub, msg, sig):
        try:
            cls._openssl(["pkeyutl", "-verify", "-pubin", "-rawin",
                          "-keyform", "DER", "-inkey", "{0}", "-in", "{1}",
                          "-sigfile", "{2}"], b"", (cls.SPKI + pub, msg, sig))
        except HarnessError:
            return False
        return True


def _lp(b):
    if isinstance(b, str):
        b = b.encode()
    return len(b).to_bytes(4, "big") + b


def cast_bytes(poll_hash, class_id, token, sealed):
    """What cast_sig signs (protocol.md section 7)."""
    return (_lp("ballot-cast/v1") + _lp(poll_hash) + _lp(class_id) +
            _lp(token) + _lp(sealed))


def board_entry(poll_hash, class_id, token, sig, sealed, cast_sig):
    """A board entry (protocol.md section 7)."""
    return (_lp("ballot-entry/v2") + _lp(poll_hash) + _lp(class_id) +
            _lp(token) + _lp(sig) + _lp(sealed) + _lp(cast_sig))


def run_ballotd(build_dir, args, timeout=10):
    """Runs ballotd to completion (for start-up errors): (rc, stderr)."""
    p = subprocess.run([binary_path(build_dir)] + list(args),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def main(tests, time_limit=300):
    """Runs test functions taking the build directory; exits 0, 1, or 77
    when there is no ballotd to test."""
    if len(sys.argv) != 2:
        print("usage: %s BUILD_DIR" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    build_dir = sys.argv[1]
    if not os.access(binary_path(build_dir), os.X_OK):
        print("no ballotd in %s: skipped" % build_dir)
        sys.exit(SKIP)
    signal.signal(signal.SIGALRM, _time_up)
    signal.alarm(time_limit)
    failed = 0
    for t in tests:
        t0 = time.monotonic()
        try:
            t(build_dir)
        except Exception as e:  # report every test, then fail
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e))
            import traceback
            traceback.print_exc()
        else:
            print("ok   %s (%.2fs)" % (t.__name__, time.monotonic() - t0))
        sys.stdout.flush()
    print("%d of %d tests failed" % (failed, len(tests)))
    sys.exit(1 if failed else 0)


def _time_up(signum, frame):
    raise HarnessError("time limit of the test program reached")
