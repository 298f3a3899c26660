"""A feed of 10,000 items: every item comes out once, and memory stays flat —
the feed is read as a stream, so the peak resident set of the 10,000-item run
stays within a few MiB of a 1,000-item run of the same feed (figures printed).
No timing is asserted."""
import os
import re
import shutil
import subprocess

from batchlib import SLUICE, check, main, pipeline, read_outputs, rss, write

PARA = ("<p>The harbour board met on Tuesday and agreed the winter timetable for the "
        "island ferries, with &amp; without the extra sailing on Fridays.</p>")


def peak_rss_kib(cmd):
    """Peak RSS of cmd: /usr/bin/time -v when available, else getrusage.
    Under AddressSanitizer, freed memory sits in a quarantine that grows with
    the work done; it is switched off so that the figure means the same."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                           ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0").lstrip(":")
    if os.path.exists("/usr/bin/time"):
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.PIPE, env=env,
                           stderr=subprocess.PIPE, universal_newlines=True)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        check(m, "no figure from /usr/bin/time: %s" % p.stderr[-500:])
        return p.returncode, int(m.group(1)), p.stderr
    import resource
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       universal_newlines=True)
    return p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.stderr


def run_feed(work, n, tag):
    inbox, out = os.path.join(work, "inbox-" + tag), os.path.join(work, "out-" + tag)
    os.mkdir(inbox)
    items = [{"guid": "urn:big:%s:%d" % (tag, k), "title": "Item %d" % k,
              "link": "https://news.example.org/%d" % k, "date": "Mon, 01 Jan 2024 10:00:00 GMT",
              "html": PARA * 3} for k in range(n)]
    write(os.path.join(inbox, "big.rss"), rss(items))
    size = os.path.getsize(os.path.join(inbox, "big.rss"))
    cfg = pipeline(work)
    rc, kib, err = peak_rss_kib([SLUICE, "batch", "-c", cfg, "--inbox", inbox, "--out", out])
    check(rc == 0, "exit %d: %s" % (rc, err))
    docs = read_outputs(out)
    ids = [d["id"] for _, d in docs]
    check(len(ids) == n and len(set(ids)) == n, "%d items in, %d (%d distinct) out"
          % (n, len(ids), len(set(ids))))
    check(all(d["meta"]["date"] == "2024-01-01T10:00:00Z" for _, d in docs[:10]), "meta.date")
    shutil.rmtree(out)
    return kib, size


def test(work):
    small, small_size = run_feed(work, 1000, "small")
    big, big_size = run_feed(work, 10000, "big")
    print("peak RSS: 1,000 items (%.1f MiB feed) %d KiB; 10,000 items (%.1f MiB feed) %d KiB"
          % (small_size / 2**20, small, big_size / 2**20, big))
    # A whole-document parse would hold the 10x bigger tree (tens of MiB).
    check(big - small < 8 * 1024, "memory grows with the feed: %d KiB vs %d KiB" % (big, small))


main(test)
