"""Crash safety: `sluice batch` killed with SIGKILL at random instants (and at
every step of its commit protocol), then run again.  At the end every
document of every good input is in the outputs exactly once, every output file
is complete JSONL, no temporary file or unfinished commit is left, and the bad
inputs are in failed/ with their report and none of their documents out.

New inputs arrive every round: a text file, a JSONL file, an RSS feed whose
items overlap the previous round's feed (dedup across files), now and then an
Atom feed and a malformed feed; the output mode alternates between file and run.
"""
import os
import random
import subprocess
import time

from batchlib import (SLUICE, check, inbox_files, main, pending_units, pipeline, read_outputs,
                      rss, atom, sluice_batch, temp_files, write)

MIN_RANDOM_KILLS = 60
STEPS = ["begin", "written", "committed", "renamed", "retired", "reported"]
# also "recovering": see below


def add_round(inbox, r, expected):
    write(os.path.join(inbox, "t%03d.txt" % r), "Text number %d.\nIt has two lines.\n" % r)
    expected.add("t%03d" % r)
    lines = []
    for k in range(20):
        lines.append('{"id":"j%03d_%02d","text":"line %d of round %d"}' % (r, k, k, r))
        expected.add("j%03d_%02d" % (r, k))
    write(os.path.join(inbox, "j%03d.jsonl" % r), "\n".join(lines) + "\n")
    items = []
    for k in range(30):
        g = "g%05d" % (r * 15 + k)
        items.append({"guid": g, "title": "Item %s" % g, "html": "<p>Body of <b>%s</b></p>" % g,
                      "date": "Tue, 10 Jun 2003 04:00:00 GMT"})
        expected.add(g)
    for k in range(6):
        link = "https://news.example.org/l%05d" % (r * 3 + k)
        items.append({"link": link, "title": "Linked", "html": "linked item"})
        expected.add(link)
    write(os.path.join(inbox, "feed%03d.rss" % r), rss(items))
    if r % 4 == 1:
        entries = [{"id": "urn:example:e%05d" % (r * 5 + k), "title": "Entry",
                    "html": "<div>entry %d</div>" % k, "updated": "2024-01-02T03:04:05Z"}
                   for k in range(10)]
        for e in entries:
            expected.add(e["id"])
        write(os.path.join(inbox, "a%03d.atom" % r), atom(entries))
    if r % 5 == 2:
        bad = rss([{"guid": "bad%03d_%d" % (r, k), "html": "x"} for k in range(5)])
        write(os.path.join(inbox, "bad%03d.rss" % r), bad[: len(bad) - 40])  # cut short


def test(work):
    rnd = random.Random(int(os.environ.get("SEED", "0")) or None)
    inbox = os.path.join(work, "inbox")
    out = os.path.join(work, "out")
    os.mkdir(inbox)
    cfg = pipeline(work)
    expected = set()
    base = [SLUICE, "batch", "-c", cfg, "--inbox", inbox, "--out", out, "--settle-seconds", "0",
            "-j", "2"]

    # Calibrate: how long does a round take when nobody kills it?
    add_round(inbox, 0, expected)
    t0 = time.monotonic()
    r0 = sluice_batch(cfg, inbox, out, "--settle-seconds", "0")
    span = max(time.monotonic() - t0, 0.05)
    check(r0.returncode == 0, "calibration run: exit %d: %s"
          % (r0.returncode, r0.stderr))

    kills = random_kills = 0
    r = 1
    env = dict(os.environ)
    # Deterministic kills at every step of the protocol, in both modes.
    for step in STEPS:
        for nth in (1, 2, 3):
            for mode in ("file", "run"):
                add_round(inbox, r, expected)
                r += 1
                env["SLUICE_BATCH_KILL_AT"] = "%s:%d" % (step, nth)
                p = subprocess.run(base + ["--out-mode", mode], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                check(p.stdout == b"", "stdout not empty")
                if p.returncode == -9:
                    kills += 1
                read_outputs(out)   # every visible output complete at every instant
    # A run killed while it recovers the unit a killed run left committed but
    # not renamed: the unit must still be undone, never taken as written.
    for mode in ("file", "run"):
        for step in ("committed:1", "recovering:1"):
            add_round(inbox, r, expected)
            r += 1
            env["SLUICE_BATCH_KILL_AT"] = step
            p = subprocess.run(base + ["--out-mode", mode], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            check(p.returncode == -9, "no kill at %s (exit %d)" % (step, p.returncode))
            kills += 1
            read_outputs(out)
    env.pop("SLUICE_BATCH_KILL_AT")

    # Random kills.
    while random_kills < MIN_RANDOM_KILLS:
        if r < 400:
            add_round(inbox, r, expected)
            r += 1
        mode = rnd.choice(["file", "file", "run"])
        p = subprocess.Popen(base + ["--out-mode", mode], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0, span * 1.5))
        p.kill()
        rc = p.wait()
        if rc == -9:
            kills += 1
            random_kills += 1
        check(rc in (-9, 0, 1), "run exited with %d" % rc)
        docs = read_outputs(out)
        ids = [d["id"] for _, d in docs]
        check(len(ids) == len(set(ids)), "a document appears twice after a kill")

    # The run after the last kill completes everything.
    final = sluice_batch(cfg, inbox, out, "--settle-seconds", "0")
    check(final.returncode in (0, 1), "final run: exit %d: %s" % (final.returncode, final.stderr))
    final = sluice_batch(cfg, inbox, out, "--settle-seconds", "0")
    check(final.returncode == 0 and final.stderr == "",
          "second final run should have nothing to do: %d %r" % (final.returncode, final.stderr))

    docs = read_outputs(out)
    ids = [d["id"] for _, d in docs]
    dups = sorted({i for i in ids if ids.count(i) > 1}) if len(ids) != len(set(ids)) else []
    check(not dups, "documents present twice: %s" % dups[:10])
    missing = sorted(expected - set(ids))
    check(not missing, "documents missing: %d, e.g. %s" % (len(missing), missing[:10]))
    extra = sorted(set(ids) - expected)
    check(not extra, "unexpected documents (from failed files?): %s" % extra[:10])
    check(inbox_files(inbox) == [], "inputs left in the inbox: %s" % inbox_files(inbox))
    check(temp_files(out, os.path.join(inbox, "done"), os.path.join(inbox, "failed")) == [],
          "temporary files left")
    check(pending_units(os.path.join(inbox, ".sluice-state.sqlite")) == 0,
          "unfinished commits left in the state database")
    failed = sorted(os.listdir(os.path.join(inbox, "failed")))
    bad = [n for n in failed if not n.endswith(".error.json")]
    check(all(n.startswith("bad") for n in bad), "good files in failed/: %s" % bad)
    check(len(bad) == len({n[:6] for n in bad}), "a bad file in failed/ twice: %s" % bad)
    for n in failed:
        if n.endswith(".error.json"):
            check(n[: -len(".error.json")] in failed, "orphan report %s" % n)
    for n in bad:
        check(n + ".error.json" in failed, "no report for %s" % n)
    n_bad = sum(1 for k in range(r) if k % 5 == 2)
    check(len(bad) == n_bad, "%d bad files in failed/, want %d" % (len(bad), n_bad))
    done = os.listdir(os.path.join(inbox, "done"))
    check(len(done) == len(set(done)) and not any(n.startswith("bad") for n in done),
          "done/ holds a bad file")
    print("rounds %d, kills %d (%d at random instants, run span %.3f s), documents %d"
          % (r, kills, random_kills, span, len(ids)))
    check(kills >= 50, "only %d kills" % kills)


main(test)
