"""Helpers of the `sluice batch` end-to-end tests: fixtures written on the fly
(all text invented here), runs of the real binary, and the output invariant.

Usage of every test script: python3 test_X.py SLUICE_BINARY
"""
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.realpath(__file__))
SOURCE_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SLUICE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.environ.get("SLUICE", "sluice")

EMPTY_PIPELINE = "pipeline = { stages = (); };\n"
FEED_PIPELINE = os.path.join(SOURCE_ROOT, "config", "feed.cfg")


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def main(fn):
    """Runs fn(workdir) in a fresh temporary folder; exit 0 / 1 for meson."""
    work = tempfile.mkdtemp(prefix="sluice-batch-")
    try:
        fn(work)
    except Failure as e:
        print("FAIL:", e, file=sys.stderr)
        print("work dir kept:", work, file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("ok")


def write(path, data, age=60.0):
    """Writes a file whose mtime is `age` seconds in the past (settled)."""
    mode = "wb" if isinstance(data, bytes) else "w"
    kw = {} if isinstance(data, bytes) else {"encoding": "utf-8"}
    with open(path, mode, **kw) as f:
        f.write(data)
    t = time.time() - age
    os.utime(path, (t, t))


def pipeline(work, text=EMPTY_PIPELINE, name="pipeline.cfg"):
    p = os.path.join(work, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def rss(items, link="https://news.example.org/", title="Example news"):
    """items: dicts with guid/link/title/html/date (any may be missing)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n',
           "<channel><title>%s</title><link>%s</link>\n" % (escape(title), escape(link))]
    for it in items:
        out.append("<item>")
        if "title" in it:
            out.append("<title>%s</title>" % escape(it["title"]))
        if "link" in it:
            out.append("<link>%s</link>" % escape(it["link"]))
        if "guid" in it:
            out.append('<guid isPermaLink="false">%s</guid>' % escape(it["guid"]))
        if "date" in it:
            out.append("<pubDate>%s</pubDate>" % escape(it["date"]))
        if "html" in it:
            out.append("<description>%s</description>" % escape(it["html"]))
        out.append("</item>\n")
    out.append("</channel></rss>\n")
    return "".join(out)


def atom(entries, feed_id="urn:example:feed"):
    out = ['<?xml version="1.0" encoding="utf-8"?>\n',
           '<feed xmlns="http://www.w3.org/2005/Atom"><title>Example</title><id>%s</id>\n' % feed_id]
    for e in entries:
        out.append("<entry>")
        if "title" in e:
            out.append("<title>%s</title>" % escape(e["title"]))
        if "link" in e:
            out.append('<link rel="alternate" href="%s"/>' % escape(e["link"]))
        if "id" in e:
            out.append("<id>%s</id>" % escape(e["id"]))
        if "updated" in e:
            out.append("<updated>%s</updated>" % e["updated"])
        if "html" in e:
            out.append('<content type="html">%s</content>' % escape(e["html"]))
        out.append("</entry>\n")
    out.append("</feed>\n")
    return "".join(out)


def sluice_batch(cfg, inbox, out, *extra, env=None, timeout=120):
    args = [SLUICE, "batch", "-c", cfg, "--inbox", inbox, "--out", out] + list(extra)
    e = dict(os.environ)
    e.pop("SLUICE_BATCH_KILL_AT", None)
    if env:
        e.update(env)
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=e, timeout=timeout, universal_newlines=True)


def inbox_files(inbox):
    """Regular, visible files at the top of the inbox."""
    return sorted(n for n in os.listdir(inbox)
                  if not n.startswith(".") and os.path.isfile(os.path.join(inbox, n)))


def read_outputs(out):
    """All documents of all visible output files, checking that each file is
    complete JSONL.  Returns a list of (file, document)."""
    docs = []
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        check(data.endswith(b"\n"), "%s: not ending with a newline (half written?)" % path)
        for i, line in enumerate(data.decode("utf-8").split("\n")[:-1]):
            try:
                d = json.loads(line)
            except ValueError as e:
                raise Failure("%s:%d: not JSON (%s): %r" % (path, i + 1, e, line[:200]))
            check(isinstance(d, dict) and "id" in d and "text" in d,
                  "%s:%d: not a document" % (path, i + 1))
            docs.append((name, d))
    return docs


def temp_files(*dirs):
    found = []
    for d in dirs:
        if os.path.isdir(d):
            found += [os.path.join(d, n) for n in os.listdir(d) if n.startswith(".sluice-tmp.")]
    return found


def pending_units(state):
    db = sqlite3.connect(state)
    try:
        return db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    finally:
        db.close()


def summary_line(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("sluice batch: ") and " files, " in l]
    return lines[-1] if lines else None
