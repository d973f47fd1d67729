#!/usr/bin/env python3
"""The revoting gate: a daemon refuses polls with revoting unless its
configuration says `unsafe_revoting = true`.

In this version a board entry carries the token and its signature in the
clear, so with revoting anyone who reads the board could cast a new ballot
under someone else's token (docs/threat-model.md, "Revoting").  The
harness turns the option on for the other tests; this test turns it off.

Usage: test_revoting_gate.py BUILD_DIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ballotd_harness import Ballotd, assert_error, main  # noqa: E402

# Trustee keys are only checked for form when a poll is created.
SIGN_KEY = "Pl4fG7MObybASZ-K2NRa6LniA3ly0YmeIuxyPkVO72E"
HPKE_KEY = ("BJ0IFCIDuiCPWBfU4dpWTgAbmTbb6l3Uf4JUy4brkjsFxHXtM6G10Y-3o7Rx6Mbd"
            "jJ1sBzy5zQLxq0t9E8q-zAE")


def definition(pid, revoting):
    return json.dumps({
        "format": "ballot-poll/1", "id": pid, "title": "Gate",
        "revoting": revoting, "ballot_size": 512, "min_class_size": 1,
        "contests": [{"id": "c", "title": "C", "seats": 1,
                      "candidates": [{"name": "A"}, {"name": "B"}]}],
        "trustees": {"k": 1, "members": [
            {"name": "T", "sign_key": SIGN_KEY, "hpke_key": HPKE_KEY}]},
    })


def post(c, text):
    return c.post("/polls", text, content_type="application/json",
                  organiser=True)


def test_refused_by_default(build):
    with Ballotd(build, config={"unsafe_revoting": "false"}) as d:
        d.start()
        c = d.client()
        assert_error(post(c, definition("gate-on", True)), 400,
                     "bad_request", "revoting: not available")
        # Nothing was stored: the id is still free, and without revoting
        # the same poll is accepted.
        assert_error(c.get("/polls/gate-on"), 404, "not_found")
        r = post(c, definition("gate-off", False))
        if r.status != 201:
            raise AssertionError("a poll without revoting: %r" % (r,))
        d.stop_ok()


def test_allowed_when_configured(build):
    with Ballotd(build, config={"unsafe_revoting": "true"}) as d:
        d.start()
        r = post(d.client(), definition("gate-on", True))
        if r.status != 201:
            raise AssertionError("unsafe_revoting = true: %r" % (r,))
        d.stop_ok()


if __name__ == "__main__":
    main([test_refused_by_default, test_allowed_when_configured])
