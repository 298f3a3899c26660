"""Stage failures, with the core's test stage tests/plugins/sluice-probe.so (a
document containing FAIL makes it return an error): with on_error = "pass" the
document is written, the error logged, the file done, exit 1; with
on_error = "abort" the file goes to failed/ with the stage named in its
report, the run stops (exit 4) and the files after it wait for the next run.
Skipped (77) when the probe stage is not built."""
import json
import os
import sys

from batchlib import SLUICE, check, inbox_files, main, pipeline, read_outputs, rss, sluice_batch, write

PROBE = os.path.join(os.path.dirname(SLUICE), "tests", "plugins", "sluice-probe.so")
if not os.path.exists(PROBE):
    print("no %s: skipped" % PROBE)
    sys.exit(77)


def test(work):
    for policy in ("pass", "abort"):
        cfg = pipeline(work, 'pipeline = { on_error = "%s"; stages = ( { plugin = "%s"; } ); };\n'
                       % (policy, PROBE), policy + ".cfg")
        inbox, out = os.path.join(work, "in-" + policy), os.path.join(work, "out-" + policy)
        os.mkdir(inbox)
        write(os.path.join(inbox, "a.txt"), "fine\n", age=300)
        write(os.path.join(inbox, "b.rss"), rss([{"guid": "urn:b:1", "html": "ok"},
                                                 {"guid": "urn:b:2", "html": "please FAIL"}]), age=200)
        write(os.path.join(inbox, "c.txt"), "also fine\n", age=100)
        r = sluice_batch(cfg, inbox, out)
        ids = sorted(d["id"] for _, d in read_outputs(out))
        if policy == "pass":
            check(r.returncode == 1, "pass: exit %d: %s" % (r.returncode, r.stderr))
            check("stage 'probe'" in r.stderr and "urn:b:2" in r.stderr, "not logged: %r" % r.stderr)
            check(ids == ["a", "c", "urn:b:1", "urn:b:2"], "pass: %s" % ids)
            check(inbox_files(inbox) == [], "pass: left %s" % inbox_files(inbox))
        else:
            check(r.returncode == 4, "abort: exit %d: %s" % (r.returncode, r.stderr))
            check(ids == ["a"], "abort: %s" % ids)
            check(inbox_files(inbox) == ["c.txt"], "abort: inbox %s" % inbox_files(inbox))
            rep = json.load(open(os.path.join(inbox, "failed", "b.rss.error.json")))
            check(rep["stage"] == "probe" and rep.get("document") == "urn:b:2"
                  and "probe refused" in rep["message"], "report %s" % rep)
            # The next run takes the rest; the items of the failed feed were not recorded.
            r = sluice_batch(cfg, inbox, out)
            check(r.returncode == 0 and inbox_files(inbox) == [], "rest: %d %r" % (r.returncode, r.stderr))


main(test)
