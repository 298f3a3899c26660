"""Files still being written are left for a later run: names ending in .part
or .tmp, hidden files, files modified within --settle-seconds (default 5),
and anything below the top level of the inbox."""
import os
import time

from batchlib import check, inbox_files, main, pipeline, read_outputs, sluice_batch, write


def test(work):
    inbox, out = os.path.join(work, "inbox"), os.path.join(work, "out")
    os.makedirs(os.path.join(inbox, "sub"))
    cfg = pipeline(work)
    write(os.path.join(inbox, "a.txt.part"), "being downloaded\n")
    write(os.path.join(inbox, "b.rss.tmp"), "<rss><channel>")
    write(os.path.join(inbox, ".c.txt"), "hidden\n")
    write(os.path.join(inbox, "sub", "d.txt"), "below the top level\n")
    write(os.path.join(inbox, "fresh.txt"), "written just now\n", age=0)
    write(os.path.join(inbox, "old.txt"), "settled long ago\n", age=120)

    r = sluice_batch(cfg, inbox, out)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    check(r.stdout == "", "stdout not empty: %r" % r.stdout)
    check("1 files" in r.stderr and "1 left for a later run" in r.stderr,
          "summary should count 1 file and 1 deferred: %r" % r.stderr)
    ids = [d["id"] for _, d in read_outputs(out)]
    check(ids == ["old"], "only old.txt should have been processed, got %s" % ids)
    check(sorted(os.listdir(inbox)) == sorted(
        [".c.txt", ".sluice-batch.lock", ".sluice-state.sqlite", "a.txt.part", "b.rss.tmp",
         "done", "failed", "fresh.txt", "sub"]), "inbox: %s" % sorted(os.listdir(inbox)))
    check(os.listdir(os.path.join(inbox, "sub")) == ["d.txt"], "sub/ touched")

    # A longer settle time keeps a file that is a minute old.
    write(os.path.join(inbox, "minute.txt"), "one minute old\n", age=60)
    r = sluice_batch(cfg, inbox, out, "--settle-seconds", "3600")
    check(r.returncode == 0 and r.stderr == "", "nothing to do must be silent: %r" % r.stderr)
    check("minute.txt" in inbox_files(inbox), "minute.txt processed despite --settle-seconds 3600")

    # The download finishes: renamed to its real name; the fresh file ages.
    os.rename(os.path.join(inbox, "a.txt.part"), os.path.join(inbox, "a.txt"))
    t = time.time() - 30
    os.utime(os.path.join(inbox, "fresh.txt"), (t, t))
    r = sluice_batch(cfg, inbox, out)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    ids = sorted(d["id"] for _, d in read_outputs(out))
    check(ids == ["a", "fresh", "minute", "old"], "got %s" % ids)
    check(inbox_files(inbox) == ["b.rss.tmp"], "left in inbox: %s" % inbox_files(inbox))

    # --settle-seconds 0 takes a file written this instant.
    write(os.path.join(inbox, "now.txt"), "now\n", age=0)
    r = sluice_batch(cfg, inbox, out, "--settle-seconds", "0")
    check(r.returncode == 0 and "now" in [d["id"] for _, d in read_outputs(out)],
          "--settle-seconds 0: %r" % r.stderr)


main(test)
