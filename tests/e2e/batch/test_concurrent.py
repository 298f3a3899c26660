"""One run at a time: while a run holds the inbox lock, a second run exits at
once with code 5 and a one-line message, touching nothing; pairs of runs
started together never process a file twice; a lock held by a killed run
never blocks the next one (the kill test covers that at length)."""
import fcntl
import os
import subprocess
import time

from batchlib import (SLUICE, check, inbox_files, main, pipeline, read_outputs, rss,
                      sluice_batch, write)


def lock_is_held(path):
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test(work):
    inbox, out = os.path.join(work, "inbox"), os.path.join(work, "out")
    os.mkdir(inbox)
    cfg = pipeline(work)
    lock = os.path.join(inbox, ".sluice-batch.lock")
    expected = set()

    # A long run (a big feed) and a second run while it holds the lock.
    items = [{"guid": "urn:big:%d" % k, "html": "<p>item %d " % k + "words " * 60 + "</p>"}
             for k in range(40000)]
    expected |= {it["guid"] for it in items}
    write(os.path.join(inbox, "big.rss"), rss(items))
    write(os.path.join(inbox, "small.txt"), "small\n")
    expected.add("small")
    base = [SLUICE, "batch", "-c", cfg, "--inbox", inbox, "--out", out]
    first = subprocess.Popen(base, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not lock_is_held(lock) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    check(first.poll() is None, "the first run ended before the test saw its lock")
    t0 = time.monotonic()
    second = sluice_batch(cfg, inbox, out)
    waited = time.monotonic() - t0
    held = first.poll() is None
    check(held, "the first run ended while the second ran; make the input bigger")
    check(second.returncode == 5, "second run: exit %d (want 5): %r" % (second.returncode, second.stderr))
    check(second.stdout == "", "second run wrote on stdout")
    lines = second.stderr.splitlines()
    check(len(lines) == 1 and "another run" in lines[0], "want one line, got %r" % second.stderr)
    fo, fe = first.communicate(timeout=120)
    check(first.returncode == 0, "first run: exit %d: %s" % (first.returncode, fe))
    print("second run refused in %.3f s while the first held the lock" % waited)

    # JSON log of a refused run: one JSON line.
    fd = os.open(lock, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    write(os.path.join(inbox, "waiting.txt"), "waits\n")
    r = sluice_batch(cfg, inbox, out, "--log-format", "json")
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    check(r.returncode == 5 and len(r.stderr.splitlines()) == 1
          and r.stderr.startswith('{"event":"locked"'), "json locked line: %r" % r.stderr)
    check("waiting.txt" in inbox_files(inbox), "a locked-out run touched the inbox")
    expected.add("waiting")

    # Pairs started at the same moment.
    for rnd in range(8):
        for k in range(4):
            write(os.path.join(inbox, "p%d_%d.txt" % (rnd, k)), "pair %d %d\n" % (rnd, k))
            expected.add("p%d_%d" % (rnd, k))
        a = subprocess.Popen(base, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        b = subprocess.Popen(base, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        a.communicate(timeout=60)
        b.communicate(timeout=60)
        codes = sorted([a.returncode, b.returncode])
        check(codes in ([0, 0], [0, 5]), "pair %d exit codes %s" % (rnd, codes))

    ids = [d["id"] for _, d in read_outputs(out)]
    check(len(ids) == len(set(ids)), "a document was written twice")
    check(set(ids) == expected, "missing: %s" % sorted(expected - set(ids))[:5])
    check(inbox_files(inbox) == [], "left: %s" % inbox_files(inbox))


main(test)
