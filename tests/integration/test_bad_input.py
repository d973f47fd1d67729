"""Bad input to ballotd's poll API: one case per row of the table below,
each with the exact status, error code and a fragment of the message
(api.md's error table; the member named as formats.md says), and a check
that nothing stored changed: every poll's definition, status, board,
state records and issuance log are read before and after each row and
must be byte-identical.

Python 3 standard library only.  Usage: python3 test_bad_input.py BUILD_DIR
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ballotd_harness as harness  # noqa: E402
from ballotd_harness import assert_error  # noqa: E402
from test_poll_api import (CAST_KEYS, Poll, b64url,  # noqa: E402
                           cast_bytes, check, definition, fake_sealed,
                           leaf_hash, off_curve_point, p256_point, prepare,
                           unb64url)

ORG = True
WRONG_ORG = "not-the-organiser-credential-at-all"


def poll_text(**changes):
    """A valid definition of poll "new-poll" with members changed (None
    deletes one)."""
    d = definition("new-poll")
    for k, v in changes.items():
        if v is None:
            del d[k]
        else:
            d[k] = v
    return json.dumps(d)


def contest_change(**changes):
    d = definition("new-poll")
    d["contests"][0].update(changes)
    return json.dumps(d)


def setup(c):
    """Four polls in four states, and tokens to misuse."""
    f = {}
    p = Poll(c, "bad-open")
    p.create()
    p.roll(4, 2)
    p.ceremony()
    p.election_key()
    p.open()
    # v0 casts once (its token is then used); v1 holds a token.
    f["used"] = p.get_token("v0")
    r, _ = p.cast(*f["used"])
    check(r.status == 200, "fixture cast %r" % r)
    f["held"] = p.get_token("v1")
    # A valid token of class a*2 (v4), to present as class a+b*1.
    f["other"] = p.get_token("v4")
    f["open"] = p

    d = Poll(c, "bad-draft", min_class_size=5)
    d.create()
    d.roll(4, 0)
    f["draft"] = d

    e = Poll(c, "bad-cer")
    e.create()
    e.roll(4, 0)
    e.ceremony()
    f["cer"] = e
    f["cer_token"] = e.get_token("v0")

    z = Poll(c, "bad-closed")
    z.create()
    z.roll(4, 0)
    z.ceremony()
    z.election_key()
    z.open()
    f["closed_token"] = z.get_token("v0")
    z.close()
    f["closed"] = z
    return f


def cast_body(ph, cls, prep, sig, sealed, key=None, **extra):
    """A cast of poll_hash ph, cast_sig by key (default: the token's own
    cast key, or a stranger's for a token prepare() did not make)."""
    key = key or CAST_KEYS.get(prep[32:]) or harness.CastKey()
    b = {"class": cls, "token": b64url(prep), "sig": b64url(sig),
         "ballot": b64url(sealed),
         "cast_sig": b64url(key.sign(cast_bytes(ph, cls, prep, sealed)))}
    b.update(extra)
    return b


def rows(c, f):
    """(name, thunk, status, code, fragment)."""
    p = f["open"]
    bs = p.defn["ballot_size"]
    cls, prep, sig = f["held"]
    ocls, oprep, osig = f["other"]
    ucls, uprep, usig = f["used"]

    def post(path, body, **kw):
        return lambda: c.post(path, body, **kw)

    def tok(poll, cred, blinded):
        return lambda: c.post("/polls/%s/tokens" % poll,
                              {"credential": cred,
                               "blinded": b64url(blinded)})

    good_blinded = p.keys["a+b*1"].blind(prepare())[0]
    v2 = p.creds["v2"]
    vid, secret = v2.rsplit(":", 1)
    wrong_secret = vid + ":" + ("Z" if secret[0] != "Z" else "Y") + \
        secret[1:]
    return [
        # --- JSON and the common checks
        ("malformed JSON", post("/polls", '{"format": ',
                                content_type="application/json",
                                organiser=ORG),
         400, "bad_json", "line"),
        ("duplicate key",
         post("/polls", poll_text()[:-1] + ', "id": "other"}',
              content_type="application/json", organiser=ORG),
         400, "bad_json", "duplicate"),
        ("oversize body", post("/polls", "x" * (70 * 1024),
                               content_type="application/json",
                               organiser=ORG),
         413, "too_large", None),
        ("wrong organiser credential",
         post("/polls", poll_text(), content_type="application/json",
              organiser=WRONG_ORG), 401, "unauthorized", None),
        ("no organiser credential",
         post("/polls/bad-draft/ceremony", {}), 401, "unauthorized", None),
        ("roll not CSV", post("/polls/bad-draft/roll", "voter_id\nx\n",
                              content_type="application/json",
                              organiser=ORG),
         415, "unsupported_media_type", None),
        # --- unknown poll
        ("unknown poll (read)", lambda: c.get("/polls/no-such-poll"),
         404, "not_found", "no-such-poll"),
        ("unknown poll (token)", tok("no-such-poll", v2, good_blinded),
         404, "not_found", "no-such-poll"),
        ("unknown poll (open)", post("/polls/no-such-poll/open", {},
                                     organiser=ORG),
         404, "not_found", "no-such-poll"),
        # --- invalid poll definitions
        ("definition: unknown member", post(
            "/polls", poll_text(colour="red"),
            content_type="application/json", organiser=ORG),
         400, "bad_json", "colour"),
        ("definition: missing title", post(
            "/polls", poll_text(title=None),
            content_type="application/json", organiser=ORG),
         400, "bad_json", "title"),
        ("definition: bad id", post(
            "/polls", poll_text(id="Bad_Id"),
            content_type="application/json", organiser=ORG),
         400, "bad_request", "id"),
        ("definition: seats 0", post(
            "/polls", contest_change(seats=0),
            content_type="application/json", organiser=ORG),
         400, "bad_request", "contests[0].seats"),
        ("definition: ballot_size too small", post(
            "/polls", poll_text(ballot_size=100),
            content_type="application/json", organiser=ORG),
         400, "bad_request", "ballot_size"),
        ("definition: k above the trustees", post(
            "/polls", poll_text(trustees={
                "k": 2, "members": definition("x")["trustees"]["members"]}),
            content_type="application/json", organiser=ORG),
         400, "bad_request", "k"),
        ("definition: HPKE key off the curve", post(
            "/polls", poll_text(trustees={"k": 1, "members": [
                {"name": "T", "sign_key": b64url(bytes(32)),
                 "hpke_key": b64url(off_curve_point())}]}),
            content_type="application/json", organiser=ORG),
         400, "bad_request", "hpke_key"),
        ("definition: seats a string", post(
            "/polls", contest_change(seats="1"),
            content_type="application/json", organiser=ORG),
         400, "bad_json", "seats"),
        ("definition: same id again", post(
            "/polls", json.dumps(definition("bad-open")),
            content_type="application/json", organiser=ORG),
         409, "exists", "bad-open"),
        # --- the roll
        ("roll: duplicate voter", post(
            "/polls/bad-draft/roll", "voter_id\nx1\nx2\nx1\n",
            content_type="text/csv", organiser=ORG),
         400, "bad_request", "line 4"),
        ("roll: unknown contest", post(
            "/polls/bad-draft/roll", "voter_id,contests\nx1,a;south\n",
            content_type="text/csv", organiser=ORG),
         400, "bad_request", "south"),
        ("roll: unknown column", post(
            "/polls/bad-draft/roll", "voter_id,age\nx1,3\n",
            content_type="text/csv", organiser=ORG),
         400, "bad_request", "age"),
        ("roll: bad weight", post(
            "/polls/bad-draft/roll", "voter_id,weight\nx1,0\n",
            content_type="text/csv", organiser=ORG),
         400, "bad_request", "weight"),
        ("roll after the ceremony", post(
            "/polls/bad-cer/roll", "voter_id\nx1\n",
            content_type="text/csv", organiser=ORG),
         409, "wrong_state", "draft"),
        # --- organiser actions in the wrong state
        ("open before the election key", post(
            "/polls/bad-cer/open", {}, organiser=ORG),
         409, "wrong_state", "key ceremony is not finished"),
        ("open a draft", post("/polls/bad-draft/open", {}, organiser=ORG),
         409, "wrong_state", "draft"),
        ("close a poll not open", post("/polls/bad-cer/close", {},
                                       organiser=ORG),
         409, "wrong_state", "ceremony"),
        ("ceremony: unknown member", post(
            "/polls/bad-draft/ceremony", {"allow": True}, organiser=ORG),
         400, "bad_json", "allow"),
        ("ceremony: small classes", post(
            "/polls/bad-draft/ceremony", {}, organiser=ORG),
         409, "small_classes", "a+b*1 (4)"),
        ("ceremony twice", post("/polls/bad-open/ceremony", {},
                                organiser=ORG),
         409, "wrong_state", "open"),
        ("schedule: closes before opens", lambda: c.request(
            "PUT", "/polls/bad-draft/schedule",
            {"opens": "2030-01-02T00:00:00Z",
             "closes": "2030-01-01T00:00:00Z"}, organiser=ORG),
         400, "bad_request", "closes"),
        ("schedule of a closed poll", lambda: c.request(
            "PUT", "/polls/bad-closed/schedule",
            {"opens": None, "closes": None}, organiser=ORG),
         409, "wrong_state", "closed"),
        ("test election key off the curve", post(
            "/polls/bad-cer/_test/election-key",
            {"election_key": b64url(off_curve_point())}, organiser=ORG),
         400, "bad_request", "election_key"),
        # --- tokens
        ("token before the ceremony", tok(
            "bad-draft", f["draft"].creds["v0"], good_blinded),
         409, "wrong_state", "draft"),
        ("token after the close", tok(
            "bad-closed", f["closed"].creds["v1"], good_blinded),
         409, "wrong_state", "closed"),
        ("bad credential", tok("bad-open", wrong_secret, good_blinded),
         403, "bad_credential", "does not match"),
        ("unknown voter id", tok("bad-open", "nobody:" + secret,
                                 good_blinded),
         403, "bad_credential", "does not match"),
        ("credential of another poll", tok(
            "bad-open", f["draft"].creds["v2"], good_blinded),
         403, "bad_credential", "does not match"),
        ("malformed credential", tok("bad-open", "v2:not-base32!",
                                     good_blinded),
         400, "bad_request", "credential"),
        ("blinded of the wrong size", tok("bad-open", v2, b"\x01" * 100),
         400, "bad_request", "blinded"),
        ("second token, different blinded", tok(
            "bad-open", p.creds["v1"], good_blinded),
         409, "token_already_issued", "different blinded"),
        ("token request with an extra member", post(
            "/polls/bad-open/tokens",
            {"credential": v2, "blinded": b64url(good_blinded), "x": 1}),
         400, "bad_json", "x"),
        # --- casts
        ("cast before the open", post(
            "/polls/bad-cer/casts",
            cast_body(f["cer"].hash, *f["cer_token"], fake_sealed(bs))),
         409, "wrong_state", "ceremony"),
        ("cast after the close", post(
            "/polls/bad-closed/casts",
            cast_body(f["closed"].hash, *f["closed_token"],
                      fake_sealed(bs))),
         409, "wrong_state", "closed"),
        ("forged token signature", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prep, os.urandom(255) + b"\x00",
                      fake_sealed(bs))),
         422, "bad_signature", "sig"),
        ("signature of another token", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prepare(), sig, fake_sealed(bs))),
         422, "bad_signature", "a+b*1"),
        ("token of another class", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, "a+b*1", oprep, osig, fake_sealed(bs))),
         422, "bad_signature", "a+b*1"),
        ("unknown class", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, "b*1", prep, sig, fake_sealed(bs))),
         400, "bad_request", "b*1"),
        ("class id out of order", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, "b+a*1", prep, sig, fake_sealed(bs))),
         400, "bad_request", "class"),
        ("reused token, no revoting", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, ucls, uprep, usig, fake_sealed(bs))),
         409, "token_used", "revoting"),
        ("ciphertext too short", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prep, sig, fake_sealed(bs)[:-1])),
         400, "bad_request", "ballot"),
        ("ciphertext too long", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prep, sig,
                      fake_sealed(bs) + b"\x00")),
         400, "bad_request", "ballot"),
        ("enc off the curve", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prep, sig,
                      off_curve_point() + os.urandom(bs + 16))),
         400, "bad_request", "enc"),
        ("enc compressed", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prep, sig,
                      b"\x02" + p256_point()[1:] + os.urandom(bs + 16))),
         400, "bad_request", "enc"),
        ("token of the wrong size", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prep[:63], sig, fake_sealed(bs))),
         400, "bad_request", "token"),
        ("cast with padding in base64url", post(
            "/polls/bad-open/casts",
            dict(cast_body(p.hash, cls, prep, sig, fake_sealed(bs)),
                 token=b64url(prep) + "==")),
         400, "bad_request", "token"),
        ("cast_sig by another key", post(
            "/polls/bad-open/casts",
            cast_body(p.hash, cls, prep, sig, fake_sealed(bs),
                      key=harness.CastKey())),
         422, "bad_signature", "cast_sig"),
        ("cast_sig over another ballot", post(
            "/polls/bad-open/casts",
            dict(cast_body(p.hash, cls, prep, sig, fake_sealed(bs)),
                 ballot=b64url(fake_sealed(bs)))),
         422, "bad_signature", "cast_sig"),
        ("cast_sig for another class", post(
            "/polls/bad-open/casts",
            dict(cast_body(p.hash, cls, prep, sig, fake_sealed(bs)),
                 cast_sig=b64url(CAST_KEYS[prep[32:]].sign(cast_bytes(
                     p.hash, "a*2", prep, fake_sealed(bs)))))),
         422, "bad_signature", "cast_sig"),
        ("cast_sig of the wrong size", post(
            "/polls/bad-open/casts",
            dict(cast_body(p.hash, cls, prep, sig, fake_sealed(bs)),
                 cast_sig=b64url(bytes(63)))),
         400, "bad_request", "cast_sig"),
        ("cast without cast_sig", post(
            "/polls/bad-open/casts",
            {"class": cls, "token": b64url(prep), "sig": b64url(sig),
             "ballot": b64url(fake_sealed(bs))}),
         400, "bad_json", "cast_sig"),
        ("cast with a missing member", post(
            "/polls/bad-open/casts",
            {"class": cls, "token": b64url(prep), "sig": b64url(sig)}),
         400, "bad_json", "ballot"),
        # --- public reads
        ("inclusion: bad leaf hash", lambda: c.get(
            "/polls/bad-open/board/inclusion?leaf_hash=XYZ"),
         400, "bad_request", "leaf_hash"),
        ("inclusion: unknown leaf", lambda: c.get(
            "/polls/bad-open/board/inclusion?leaf_hash=" + "ab" * 32),
         404, "not_found", "leaf"),
        ("inclusion: tree size past the board", lambda: c.get(
            "/polls/bad-open/board/inclusion?index=0&tree_size=99"),
         400, "bad_request", "tree_size"),
        ("entries: more than 1000", lambda: c.get(
            "/polls/bad-open/board/entries?start=0&end=1001"),
         400, "bad_request", "1000"),
        ("consistency: first after second", lambda: c.get(
            "/polls/bad-open/board/consistency?first=2&second=1"),
         400, "bad_request", "first"),
        ("sth of an empty board", lambda: c.get(
            "/polls/bad-cer/board/sth"),
         404, "not_found", "empty"),
    ]


def snapshot(c, f):
    shot = []
    for k in ("open", "draft", "cer", "closed"):
        shot += f[k].snapshot()
    # No poll was created by a refused POST /polls.
    for pid in ("new-poll", "other", "x"):
        shot.append((pid, c.get("/polls/" + pid).status))
    return shot


def test_bad_input_table(build):
    with harness.Ballotd(build, config={"test_election_key": "true"}) as d:
        d.start()
        c = d.client()
        f = setup(c)
        table = rows(c, f)
        check(len(table) >= 30, "at least 30 rows")
        failures = []
        for name, thunk, status, code, frag in table:
            before = snapshot(c, f)
            try:
                r = thunk()
                assert_error(r, status, code, frag)
            except AssertionError as e:
                failures.append("%s: %s" % (name, e))
                # A broken connection must not spoil the next rows.
                c.close()
                c = d.client()
                continue
            after = snapshot(c, f)
            if after != before:
                diff = [(a, b) for a, b in zip(before, after) if a != b]
                failures.append("%s: stored state changed: %r" %
                                (name, diff[:2]))
        print("%d rows, %d failed" % (len(table), len(failures)))
        check(not failures, "\n  ".join([""] + failures))
        # The fixtures' tokens still work: the refusals cost nothing.
        cls, prep, sig = f["held"]
        r, _ = f["open"].cast(cls, prep, sig)
        check(r.status == 200, "the held token casts after all: %r" % r)
        d.stop_ok()


def entry_fields(entry):
    """The lp fields of a board entry (protocol.md section 7)."""
    out, i = [], 0
    while i < len(entry):
        n = int.from_bytes(entry[i:i + 4], "big")
        out.append(entry[i + 4:i + 4 + n])
        i += 4 + n
    check(i == len(entry) and len(out) == 7 and
          out[0] == b"ballot-entry/v2", "entry fields %r" % out[:1])
    return out


def test_board_token_is_useless(build):
    """With revoting, a token and signature read from the board cannot
    replace the voter's ballot: a new ballot needs cast_sig by the
    voter's cast key (threat-model.md, "Revoting").  The same entry sent
    again is the same leaf; the voter's own revote is a new one."""
    with harness.Ballotd(build, config={"test_election_key": "true"}) as d:
        d.start()
        c = d.client()
        p = Poll(c, "revote-key", revoting=True)
        p.create()
        p.roll(4, 0)
        p.ceremony()
        p.election_key()
        p.open()
        cls, prep, sig = p.get_token("v0")
        r, _ = p.cast(cls, prep, sig)
        check(r.status == 200 and r.json["leaf_index"] == 0, "cast %r" % r)
        # What anyone reads from the board.
        ents = c.get("/polls/revote-key/board/entries?start=0&end=1").json
        eb = unb64url(ents["entries"][0]["entry"])
        _, eph, ecls, etok, esig, esealed, ecsig = entry_fields(eb)
        check(eph == p.hash and ecls.decode() == cls and etok == prep and
              esig == sig, "the board shows the token and its signature")
        before = p.snapshot()
        bs = p.defn["ballot_size"]
        # A new ballot under the copied token, signed by another key.
        thief = harness.CastKey()
        r = c.post("/polls/revote-key/casts",
                   cast_body(p.hash, cls, etok, esig, fake_sealed(bs),
                             key=thief))
        assert_error(r, 422, "bad_signature", "cast_sig")
        # A re-sealed ballot with the entry's cast_sig (no key at all).
        r = c.post("/polls/revote-key/casts",
                   {"class": cls, "token": b64url(etok), "sig": b64url(esig),
                    "ballot": b64url(fake_sealed(bs)),
                    "cast_sig": b64url(ecsig)})
        assert_error(r, 422, "bad_signature", "cast_sig")
        # The thief's own key as the token's msg: the token signature
        # no longer verifies.
        stolen = etok[:32] + thief.pub
        r = c.post("/polls/revote-key/casts",
                   cast_body(p.hash, cls, stolen, esig, fake_sealed(bs),
                             key=thief))
        assert_error(r, 422, "bad_signature", "sig")
        check(p.snapshot() == before, "the refusals changed nothing")
        # The entry's own bytes again: the same leaf, nothing new.
        r = c.post("/polls/revote-key/casts",
                   {"class": cls, "token": b64url(etok), "sig": b64url(esig),
                    "ballot": b64url(esealed), "cast_sig": b64url(ecsig)})
        check(r.status == 200 and r.json["leaf_index"] == 0 and
              r.json["leaf_hash"] == leaf_hash(eb).hex(),
              "a replayed entry is the same leaf: %r" % r)
        check(c.get("/polls/revote-key/board/sth").json["tree_size"] == 1,
              "no new leaf")
        # The voter, with the key, revotes.
        r, e2 = p.cast(cls, prep, sig)
        check(r.status == 200 and r.json["leaf_index"] == 1 and
              r.json["leaf_hash"] == leaf_hash(e2).hex(),
              "the voter's revote is a new leaf: %r" % r)
        d.stop_ok()


def test_test_route_off(build):
    """The test-only election-key route does not exist by default."""
    with harness.Ballotd(build) as d:
        d.start()
        c = d.client()
        p = Poll(c, "no-test-route")
        p.create()
        r = c.post("/polls/no-test-route/_test/election-key",
                   {"election_key": b64url(p256_point())}, organiser=True)
        assert_error(r, 404, "not_found", "no route")
        check(c.get("/polls/no-test-route").json["election_key"] is None,
              "no key set")
        d.stop_ok()


if __name__ == "__main__":
    harness.main([test_bad_input_table, test_board_token_is_useless,
                  test_test_route_off],
                 time_limit=300)
