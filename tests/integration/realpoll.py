"""A real poll through ballotd and ballotctl, for the end-to-end tests
(test_tally, test_org_poll, test_web_e2e, test_web_org): three trustees
made with `ballotctl trustee keygen`, the definition with their keys,
the roll, the real key ceremony run by the three trustees at once.

Each step checks its own outcome and raises AssertionError with the
command's output when it fails; the tests check the rest.
"""
import csv
import json
import os
import subprocess

from ballotd_harness import ORGANISER_CREDENTIAL
from test_ceremony import Trustee, run_all


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Ctl:
    """ballotctl against one server, with the test organiser credential."""

    def __init__(self, build, url):
        self.bin = os.path.join(build, "ballotctl", "ballotctl")
        self.env = dict(os.environ)
        self.env.pop("BALLOT_SERVER", None)
        self.env["BALLOT_ORGANISER_CREDENTIAL"] = ORGANISER_CREDENTIAL
        self.url = url

    def run(self, *args, timeout=120):
        p = subprocess.run([self.bin, "--server", self.url] + list(args),
                           env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, text=True)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args):
        rc, o, e = self.run(*args)
        check(rc == 0, "ballotctl %s: exit %d\n%s\n%s" % (
            " ".join(args), rc, o, e))
        return o


def create_poll(ctl, tmp, definition, k=2, n=3):
    """Makes n trustees, adds them (threshold k) to a copy of definition,
    and creates the poll.  Returns (trustees, path of the definition)."""
    ts = [Trustee([ctl.bin, "trustee"], tmp, i) for i in range(1, n + 1)]
    defn = dict(definition)
    defn["trustees"] = {"k": k, "members": [
        {"name": "T%d" % t.i, "sign_key": t.sign_key,
         "hpke_key": t.hpke_key} for t in ts]}
    defpath = os.path.join(tmp, "def.json")
    with open(defpath, "w") as f:
        json.dump(defn, f, indent=1)
    ctl.ok("poll", "create", defpath)
    return ts, defpath


def import_roll(ctl, pid, tmp, lines):
    """Writes the roll (lines of CSV, the header first), imports it, and
    returns (ballotctl's output, its warnings, the credentials list as
    dicts)."""
    roll = os.path.join(tmp, "roll.csv")
    with open(roll, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    creds_path = os.path.join(tmp, "creds.csv")
    rc, out, err = ctl.run("roll", "import", pid, roll, "--out", creds_path)
    check(rc == 0, "roll import: exit %d\n%s\n%s" % (rc, out, err))
    with open(creds_path, newline="") as f:
        return out, err, list(csv.DictReader(f))


def run_ceremony(ctl, pid, trustees, *args):
    """`poll ceremony` (with args), then every trustee's side of it."""
    ctl.ok("poll", "ceremony", pid, *args)
    for rc, o, e in run_all([ctl.bin, "trustee"], ctl.url, pid, trustees):
        check(rc == 0, "trustee ceremony: %d\n%s\n%s" % (rc, o, e))
