"""A malformed feed (and other unreadable inputs) is reported, moved to the
failed folder with NAME.error.json (stage, message, time), none of its
documents are written, the other files are processed, and later runs leave the
failed files alone until a person moves them back."""
import json
import os

from batchlib import check, inbox_files, main, pipeline, read_outputs, rss, sluice_batch, write


def test(work):
    inbox, out = os.path.join(work, "inbox"), os.path.join(work, "out")
    failed = os.path.join(work, "failed")
    os.mkdir(inbox)
    cfg = pipeline(work)
    good = rss([{"guid": "urn:good:%d" % k, "html": "good %d" % k} for k in range(3)])
    write(os.path.join(inbox, "good.rss"), good)
    # Mismatched tags after two well-formed items: nothing of it may come out.
    bad = rss([{"guid": "urn:bad:%d" % k, "html": "bad %d" % k} for k in range(2)])
    bad = bad.replace("</channel>", "<item><title>broken</item></channel>")
    write(os.path.join(inbox, "bad.rss"), bad)
    write(os.path.join(inbox, "page.xml"), "<?xml version='1.0'?><html><body>no feed</body></html>")
    write(os.path.join(inbox, "empty.atom"), "")
    write(os.path.join(inbox, "broken.jsonl"), '{"id":"ok1","text":"fine"}\n{"id":"x", "text": \n')
    write(os.path.join(inbox, "note.txt"), "A plain note.\n")
    write(os.path.join(inbox, "binary.txt"), b"\x00\x01\x02\xff\xfe" * 2000)

    r = sluice_batch(cfg, inbox, out, "--failed", failed)
    check(r.returncode == 1, "exit %d (want 1): %s" % (r.returncode, r.stderr))
    check(r.stdout == "", "stdout not empty")
    for name in ("bad.rss", "page.xml", "empty.atom", "broken.jsonl", "binary.txt"):
        check(name in r.stderr, "%s not reported: %s" % (name, r.stderr))
    ids = sorted(d["id"] for _, d in read_outputs(out))
    check(ids == ["note", "urn:good:0", "urn:good:1", "urn:good:2"], "outputs: %s" % ids)
    check(inbox_files(inbox) == [], "left in inbox: %s" % inbox_files(inbox))
    names = sorted(os.listdir(failed))
    want = []
    for n in ("bad.rss", "binary.txt", "broken.jsonl", "empty.atom", "page.xml"):
        want += [n, n + ".error.json"]
    check(names == sorted(want), "failed/: %s" % names)
    rep = json.load(open(os.path.join(failed, "bad.rss.error.json")))
    check(rep["file"] == "bad.rss" and rep["stage"] == "feed" and "malformed" in rep["message"]
          and rep["time"].endswith("Z"), "report: %s" % rep)
    rep = json.load(open(os.path.join(failed, "page.xml.error.json")))
    check("not an RSS or Atom feed" in rep["message"], "report: %s" % rep)
    rep = json.load(open(os.path.join(failed, "broken.jsonl.error.json")))
    check(rep["stage"] == "reader" and "broken.jsonl:2" in rep["message"], "report: %s" % rep)
    check(os.path.getsize(os.path.join(failed, "bad.rss")) == len(bad.encode()),
          "the failed file was altered")
    check(sorted(os.listdir(os.path.join(inbox, "done"))) == ["good.rss", "note.txt"], "done/")

    # Later runs leave failed/ alone.
    r = sluice_batch(cfg, inbox, out, "--failed", failed)
    check(r.returncode == 0 and r.stderr == "", "second run: %d %r" % (r.returncode, r.stderr))
    check(sorted(os.listdir(failed)) == sorted(want), "failed/ changed by a later run")

    # A person fixes the feed and moves it back.
    os.remove(os.path.join(failed, "bad.rss.error.json"))
    os.remove(os.path.join(failed, "bad.rss"))
    write(os.path.join(inbox, "bad.rss"),
          rss([{"guid": "urn:bad:%d" % k, "html": "fixed %d" % k} for k in range(2)]))
    r = sluice_batch(cfg, inbox, out, "--failed", failed)
    check(r.returncode == 0, "after the fix: %d %s" % (r.returncode, r.stderr))
    ids = sorted(d["id"] for _, d in read_outputs(out))
    check("urn:bad:0" in ids and "urn:bad:1" in ids, "fixed feed not processed: %s" % ids)


main(test)
