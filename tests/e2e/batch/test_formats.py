"""Inputs and options: RSS 2.0 / RSS 1.0 / Atom items as documents with
meta.title/link/date/guid and their HTML as text; .txt and .jsonl through the
runner; --out-mode run; --delete-done; --max-files; --log-format json; usage
errors; silence when there is nothing to do; the example pipeline
config/feed.cfg when its stages are built."""
import json
import os
import subprocess

from batchlib import (FEED_PIPELINE, SLUICE, check, inbox_files, main, pipeline, read_outputs,
                      sluice_batch, write)

RSS2 = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Harbour &amp; Co</title><link>https://harbour.example/</link>
<item>
  <title>Ferry &amp;amp; timetable</title>
  <link>https://harbour.example/ferry</link>
  <guid>https://harbour.example/ferry</guid>
  <pubDate>Tue, 10 Jun 2003 04:00:00 EST</pubDate>
  <description>&lt;p&gt;First &amp;eacute;t&amp;eacute; para&lt;/p&gt;&lt;script&gt;var x = 1;&lt;/script&gt;&lt;style&gt;p {}&lt;/style&gt;&lt;p&gt;Second   para&lt;br&gt;next line&lt;/p&gt;&lt;ul&gt;&lt;li&gt;one&lt;/li&gt;&lt;li&gt;two&lt;/li&gt;&lt;/ul&gt;</description>
</item>
<item>
  <title>Encoded wins</title>
  <link>https://harbour.example/enc</link>
  <dc:date>2024-02-29T23:15:00+01:00</dc:date>
  <description>short teaser</description>
  <content:encoded><![CDATA[<div>Full <b>body</b> &amp; more &#8212; text</div><pre>a  b
c</pre>]]></content:encoded>
</item>
<item><title>No date</title><description>plain &amp;lt;text&amp;gt;</description></item>
<item><title>Odd date</title><guid isPermaLink="false">odd-1</guid><pubDate>sometime soon</pubDate><description>x</description></item>
</channel></rss>
"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>R</title><link>https://rdf.example/</link></channel>
<item rdf:about="https://rdf.example/1"><title>One</title><link>https://rdf.example/1</link>
<description>Hello &lt;em&gt;RDF&lt;/em&gt;</description><dc:date>2003-12-13</dc:date></item>
</rdf:RDF>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:uuid:feed-a</id>
<entry><title type="html">Big &lt;i&gt;news&lt;/i&gt;</title>
<link rel="self" href="https://a.example/self"/><link rel="alternate" href="https://a.example/e1"/>
<id>urn:uuid:e1</id><updated>2003-12-13T18:30:02Z</updated><published>2003-12-13T08:29:29-04:00</published>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <em>there</em></p><p>Again</p></div></content></entry>
<entry><title>Text entry</title><id>urn:uuid:e2</id><updated>2004-01-01T00:00:00Z</updated>
<summary>Line one
line two &lt;not a tag&gt;</summary></entry>
</feed>
"""


def test(work):
    cfg = pipeline(work)
    inbox, out = os.path.join(work, "inbox"), os.path.join(work, "out")
    os.mkdir(inbox)
    write(os.path.join(inbox, "harbour.rss"), RSS2)
    write(os.path.join(inbox, "r.rdf"), RDF)
    write(os.path.join(inbox, "a.atom"), ATOM)
    write(os.path.join(inbox, "sniffed.dat"), ATOM.replace("urn:uuid:e", "urn:uuid:s"))
    write(os.path.join(inbox, "note.txt"), "Just a note.\n")
    write(os.path.join(inbox, "lines.jsonl"), '{"id":"L1","text":"one","meta":{"k":"v"}}\n{"text":"two"}\n')
    r = sluice_batch(cfg, inbox, out, "--log-format", "json", "-j", "1")
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    check(r.stdout == "", "stdout")
    events = [json.loads(l) for l in r.stderr.splitlines()]
    check(len(events) == 1 and events[0]["event"] == "summary" and events[0]["files"] == 6
          and events[0]["documents"] == 12 and events[0]["failed"] == 0 and "seconds" in events[0],
          "json summary: %s" % r.stderr)
    docs = {d["id"]: (f, d) for f, d in read_outputs(out)}
    check(sorted(os.listdir(out)) == ["a.jsonl", "harbour.jsonl", "lines.jsonl", "note.jsonl",
                                      "r.jsonl", "sniffed.jsonl"], "outputs: %s" % os.listdir(out))

    f, d = docs["https://harbour.example/ferry"]
    check(d["text"] == "First été para\n\nSecond para\nnext line\n\none\n\ntwo", "html: %r" % d["text"])
    check(d["meta"] == {"title": "Ferry & timetable", "link": "https://harbour.example/ferry",
                        "date": "2003-06-10T04:00:00-05:00", "guid": "https://harbour.example/ferry"},
          "meta: %s" % d["meta"])
    check(d["source"].endswith("harbour.rss:1"), "source %s" % d["source"])
    f, d = docs["https://harbour.example/enc"]
    check(d["text"] == "Full body & more \u2014 text\n\na  b\nc", "content:encoded: %r" % d["text"])
    check(d["meta"]["date"] == "2024-02-29T23:15:00+01:00" and "guid" not in d["meta"], d["meta"])
    f, d = docs["harbour:3"]
    check(d["text"] == "plain <text>" and "date" not in d["meta"], "no guid/link: %s" % d)
    f, d = docs["odd-1"]
    check("date" not in d["meta"] and any("sometime soon" in w for w in d["meta"]["warnings"]),
          "unreadable date: %s" % d["meta"])
    f, d = docs["https://rdf.example/1"]
    check(d["text"] == "Hello RDF" and d["meta"]["date"] == "2003-12-13T00:00:00Z", "rdf: %s" % d)
    f, d = docs["urn:uuid:e1"]
    check(d["text"] == "Hello there\n\nAgain" and d["meta"]["title"] == "Big news"
          and d["meta"]["link"] == "https://a.example/e1"
          and d["meta"]["date"] == "2003-12-13T08:29:29-04:00", "atom: %s" % d)
    f, d = docs["urn:uuid:e2"]
    check(d["text"] == "Line one\nline two <not a tag>", "atom text: %r" % d["text"])
    check("urn:uuid:s1" in docs, "a feed without a feed extension was not sniffed")
    check(docs["note"][1]["text"] == "Just a note.\n", "txt")
    check(docs["L1"][1]["meta"] == {"k": "v"} and "lines:2" in docs, "jsonl: %s" % sorted(docs))

    # Nothing to do: silent, exit 0; -v prints the summary.
    r = sluice_batch(cfg, inbox, out)
    check(r.returncode == 0 and r.stderr == "" and r.stdout == "", "not silent: %r" % r.stderr)
    r = sluice_batch(cfg, inbox, out, "-v")
    check(r.returncode == 0 and "0 files" in r.stderr, "-v: %r" % r.stderr)

    # --out-mode run, --delete-done, --max-files.
    inbox2, out2 = os.path.join(work, "inbox2"), os.path.join(work, "out2")
    os.mkdir(inbox2)
    for k in range(5):
        write(os.path.join(inbox2, "n%d.txt" % k), "note %d\n" % k, age=100 - k)
    r = sluice_batch(cfg, inbox2, out2, "--out-mode", "run", "--delete-done", "--max-files", "3")
    check(r.returncode == 0, r.stderr)
    outs = os.listdir(out2)
    check(len(outs) == 1 and outs[0].startswith("batch-") and outs[0].endswith(".jsonl"), outs)
    check([d["id"] for _, d in read_outputs(out2)] == ["n0", "n1", "n2"], "oldest first, 3 files")
    check(inbox_files(inbox2) == ["n3.txt", "n4.txt"], "max-files / delete-done: %s" % inbox_files(inbox2))
    check(not os.path.exists(os.path.join(inbox2, "done")), "--delete-done made done/")
    check("2 left for a later run" in r.stderr, r.stderr)

    # Usage errors: exit 2, nothing touched.
    for args in (["--out-mode", "daily"], ["--log-format", "xml"], ["--settle-seconds", "-1"],
                 ["extra-arg"], ["--done", os.path.join(work, "d"), "--delete-done"]):
        r = sluice_batch(cfg, inbox2, out2, *args)
        check(r.returncode == 2 and "sluice: error:" in r.stderr, "%s: %d %r" % (args, r.returncode, r.stderr))
    r = subprocess.run([SLUICE, "batch", "--inbox", inbox2], stderr=subprocess.PIPE, universal_newlines=True)
    check(r.returncode == 2 and "-c PIPELINE" in r.stderr, "missing options: %r" % r.stderr)
    bad_cfg = pipeline(work, "pipeline = { stages = ( { plugin = \"no-such-stage\"; } ); };\n", "bad.cfg")
    r = sluice_batch(bad_cfg, inbox2, out2)
    check(r.returncode == 2 and "bad.cfg" in r.stderr, "bad pipeline: %d %r" % (r.returncode, r.stderr))
    r = sluice_batch(cfg, inbox2, inbox2)
    check(r.returncode == 2, "out == inbox accepted")
    check(inbox_files(inbox2) == ["n3.txt", "n4.txt"], "a usage error touched the inbox")
    r = subprocess.run([SLUICE, "batch", "--help"], stdout=subprocess.PIPE, universal_newlines=True)
    for word in ("--settle-seconds", "--max-seconds", "--max-files", "--out-mode", "--state",
                 "--delete-done", "--log-format", "Exit codes", "  5  "):
        check(word in r.stdout, "--help lacks %s" % word)

    # The example feed pipeline, once its stages are built.
    chk = subprocess.run([SLUICE, "check", FEED_PIPELINE], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    if chk.returncode != 0:
        print("config/feed.cfg not usable in this build (stages missing?): part skipped")
        return
    inbox3, out3 = os.path.join(work, "inbox3"), os.path.join(work, "out3")
    os.mkdir(inbox3)
    write(os.path.join(inbox3, "harbour.rss"), RSS2)
    r = sluice_batch(FEED_PIPELINE, inbox3, out3)
    check(r.returncode == 0, "feed.cfg: %d %s" % (r.returncode, r.stderr))
    docs = read_outputs(out3)
    check(len(docs) == 4 and all(d["meta"].get("title") for _, d in docs), "feed.cfg output")


main(test)
