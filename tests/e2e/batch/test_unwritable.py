"""An --out that cannot be written: a clear error naming the folder, exit 3,
and the inputs untouched (still in the inbox, same bytes, same mtime; nothing
in done/ or failed/).  Cases: --out is a regular file; --out is a read-only
folder (as root, the run drops to user nobody with setpriv, since root may
write anywhere; skipped when that is not possible)."""
import os
import shutil
import stat
import subprocess

from batchlib import SLUICE, check, main, pipeline, rss, sluice_batch, write


def snapshot(inbox):
    return sorted((n, os.stat(os.path.join(inbox, n)).st_mtime_ns, open(os.path.join(inbox, n), "rb").read())
                  for n in os.listdir(inbox) if not n.startswith(".") and
                  os.path.isfile(os.path.join(inbox, n)))


def fill(inbox):
    write(os.path.join(inbox, "a.txt"), "alpha\n")
    write(os.path.join(inbox, "b.jsonl"), '{"id":"b1","text":"beta"}\n')
    write(os.path.join(inbox, "c.rss"), rss([{"guid": "urn:c:1", "html": "gamma"}]))


def untouched(inbox, before, work):
    check(snapshot(inbox) == before, "inputs changed")
    for d in ("done", "failed"):
        p = os.path.join(inbox, d)
        check(not os.path.isdir(p) or os.listdir(p) == [], "%s/ not empty" % d)


def test(work):
    cfg = pipeline(work)
    # 1. --out names a regular file.
    inbox = os.path.join(work, "inbox1")
    os.mkdir(inbox)
    fill(inbox)
    before = snapshot(inbox)
    outfile = os.path.join(work, "not-a-folder")
    write(outfile, "I am a file\n")
    r = sluice_batch(cfg, inbox, outfile)
    check(r.returncode == 3, "exit %d (want 3): %s" % (r.returncode, r.stderr))
    check(outfile in r.stderr and "sluice: error:" in r.stderr, "unclear error: %r" % r.stderr)
    check(r.stdout == "", "stdout")
    untouched(inbox, before, work)

    # 2. --out is a folder without write permission.
    inbox = os.path.join(work, "inbox2")
    out = os.path.join(work, "ro-out")
    os.mkdir(inbox)
    os.mkdir(out)
    fill(inbox)
    before = snapshot(inbox)
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            print("case 2 skipped: root without setpriv")
            return
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        for p in (work, inbox, cfg):
            os.chmod(p, 0o777 if os.path.isdir(p) else 0o644)
        for n in os.listdir(inbox):
            os.chmod(os.path.join(inbox, n), 0o666)
        probe = subprocess.run(prefix + [SLUICE, "--version"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        if probe.returncode != 0:
            print("case 2 skipped: user nobody cannot run %s" % SLUICE)
            return
    os.chmod(out, 0o555)
    p = subprocess.run(prefix + [SLUICE, "batch", "-c", cfg, "--inbox", inbox, "--out", out],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    os.chmod(out, 0o755)
    check(p.returncode == 3, "exit %d (want 3): %s" % (p.returncode, p.stderr))
    check(out in p.stderr and "Permission denied" in p.stderr, "unclear error: %r" % p.stderr)
    check(os.listdir(out) == [], "something was written in the read-only folder")
    untouched(inbox, before, work)
    print("errors seen:", r.stderr.strip(), "|", p.stderr.strip())


main(test)
