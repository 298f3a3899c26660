"""The same feed dropped twice yields no duplicate documents: items are keyed
by guid (scoped by the feed's link or id unless the guid is a URI) or, without
a guid, by link, in the SQLite state database; duplicates inside one feed and
across files of one run are dropped too."""
import os
import sqlite3

from batchlib import atom, check, main, pipeline, read_outputs, rss, sluice_batch, write


def ids_of(out):
    return [d["id"] for _, d in read_outputs(out)]


def test(work):
    inbox, out = os.path.join(work, "inbox"), os.path.join(work, "out")
    os.mkdir(inbox)
    cfg = pipeline(work)
    items = [{"guid": "https://news.example.org/a/%d" % k, "title": "A%d" % k,
              "html": "<p>story %d</p>" % k} for k in range(10)]
    feed = rss(items)

    write(os.path.join(inbox, "news.rss"), feed)
    r = sluice_batch(cfg, inbox, out)
    check(r.returncode == 0 and len(ids_of(out)) == 10, "first drop: %s" % r.stderr)

    # The downloader drops the very same file again, under the same name.
    write(os.path.join(inbox, "news.rss"), feed)
    r = sluice_batch(cfg, inbox, out)
    check(r.returncode == 0, "second drop: %s" % r.stderr)
    check("10 skipped" in r.stderr, "summary should count 10 skipped: %r" % r.stderr)
    ids = ids_of(out)
    check(sorted(ids) == sorted(it["guid"] for it in items), "duplicates: %s" % sorted(ids))
    check(len(os.listdir(os.path.join(inbox, "done"))) == 2, "both copies should be in done/")

    # A later download overlaps: only the new items come out.
    items2 = items[5:] + [{"guid": "https://news.example.org/a/%d" % k, "html": "new %d" % k}
                          for k in range(10, 15)]
    write(os.path.join(inbox, "news.rss"), rss(items2))
    r = sluice_batch(cfg, inbox, out)
    ids = ids_of(out)
    check(len(ids) == 15 and len(set(ids)) == 15, "overlap: %d ids, %d distinct" % (len(ids), len(set(ids))))

    # Non-URI guids are scoped by the feed: guid "1" of two different feeds is
    # two items; the same feed again is not.
    write(os.path.join(inbox, "x.rss"), rss([{"guid": "1", "html": "x one"}], link="https://x.example/"))
    write(os.path.join(inbox, "y.rss"), rss([{"guid": "1", "html": "y one"}], link="https://y.example/"))
    r = sluice_batch(cfg, inbox, out)
    check(len(ids_of(out)) == 17, "scoped guids: %s" % ids_of(out))
    write(os.path.join(inbox, "x2.rss"), rss([{"guid": "1", "html": "x one"}], link="https://x.example/"))
    r = sluice_batch(cfg, inbox, out)
    check(len(ids_of(out)) == 17, "the same scoped guid came out twice")

    # Items without guid are keyed by link; duplicates inside one feed dropped;
    # in --out-mode run, two copies in the same run count once.
    linked = [{"link": "https://news.example.org/l/%d" % (k % 3), "html": "l"} for k in range(6)]
    write(os.path.join(inbox, "links.rss"), rss(linked))
    entries = [{"id": "urn:example:e%d" % k, "html": "<p>e</p>"} for k in range(4)]
    write(os.path.join(inbox, "e1.atom"), atom(entries))
    write(os.path.join(inbox, "e2.atom"), atom(entries))
    r = sluice_batch(cfg, inbox, out, "--out-mode", "run")
    check(r.returncode == 0, r.stderr)
    ids = ids_of(out)
    new = sorted(i for i in ids if "/l/" in i or i.startswith("urn:example:"))
    check(len(ids) == 17 + 3 + 4 and new == sorted(
        ["https://news.example.org/l/%d" % k for k in range(3)] +
        ["urn:example:e%d" % k for k in range(4)]), "links/atom: %s" % new)

    # The record: one row per item, nothing pending.
    db = sqlite3.connect(os.path.join(inbox, ".sluice-state.sqlite"))
    n_items = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    n_units = db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    db.close()
    check(n_items == 24 and n_units == 0, "state: %d items, %d pending units" % (n_items, n_units))

    # --state elsewhere starts a fresh record: the same feed comes out again.
    write(os.path.join(inbox, "news.rss"), feed)
    r = sluice_batch(cfg, inbox, os.path.join(work, "out2"), "--state", os.path.join(work, "other.sqlite"))
    check(len(ids_of(os.path.join(work, "out2"))) == 10, "--state not honoured")


main(test)
