"""Independent crypto for the Python tests, from the standard library and
the openssl command only: P-256 affine arithmetic (SEC 2 2.4.2), the
protocol's lp() and base64url, and Ed25519 signing with openssl.

Written apart from the C library on purpose, so that a test built on it
checks the C code rather than repeating it.  Not a module of tests: ctest
runs only test_*.py.
"""
import base64
import os
import subprocess

# ---- P-256 (SEC 2 2.4.2), affine arithmetic ----
P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff
A = P - 3
N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
G = (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
     0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5)


def ec_add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % P == 0:
        return None
    if p == q:
        lam = (3 * p[0] * p[0] + A) * pow(2 * p[1], -1, P) % P
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (lam * lam - p[0] - q[0]) % P
    return (x, (lam * (p[0] - x) - p[1]) % P)


def ec_mul(k, p):
    r = None
    while k:
        if k & 1:
            r = ec_add(r, p)
        p = ec_add(p, p)
        k >>= 1
    return r


def point(b):
    """A 65-byte uncompressed point as (x, y)."""
    assert len(b) == 65 and b[0] == 4, b
    return (int.from_bytes(b[1:33], "big"), int.from_bytes(b[33:], "big"))


def point_bytes(p):
    return b"\x04" + p[0].to_bytes(32, "big") + p[1].to_bytes(32, "big")


# ---- encodings (protocol.md section 2) ----

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def lp(b):
    if isinstance(b, str):
        b = b.encode()
    return len(b).to_bytes(4, "big") + b


# ---- Ed25519 with the openssl command ----

def ed25519_sign(seed, msg, tmp):
    """Signs msg with the 32-byte seed, given to openssl as RFC 8410
    PKCS#8; tmp is a directory for the two short-lived files."""
    der = bytes.fromhex("302e020100300506032b657004220420") + seed
    kf = os.path.join(tmp, "sign.der")
    mf = os.path.join(tmp, "msg.bin")
    with open(kf, "wb") as f:
        f.write(der)
    with open(mf, "wb") as f:
        f.write(msg)
    try:
        out = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin",
                              "-keyform", "DER", "-inkey", kf, "-in", mf],
                             check=True, capture_output=True,
                             timeout=30).stdout
    finally:
        os.unlink(kf)
        os.unlink(mf)
    assert len(out) == 64
    return out
