#!/usr/bin/env python3
"""End-to-end tests of the sluice binary: the CLI contract, the JSONL output
contract (valid JSON, code-point offsets, text[start:end] == annotation.text),
error handling and exit codes.  Run by `meson test` (suite e2e)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SLUICE = os.environ.get("SLUICE", "build/sluice")
SRC = os.environ.get("SLUICE_SRCDIR", ".")
SAMPLE_DIR = os.path.join(SRC, "data", "samples")
SAMPLES = sorted(os.path.join(SAMPLE_DIR, f) for f in os.listdir(SAMPLE_DIR) if f.endswith(".txt"))

EXIT_OK, EXIT_DOC_FAILED, EXIT_CONFIG, EXIT_IO, EXIT_ABORTED = 0, 1, 2, 3, 4


def run(*args, stdin=None, check_rc=None):
    p = subprocess.run([SLUICE, *args], input=stdin, capture_output=True, timeout=300)
    if check_rc is not None and p.returncode != check_rc:
        raise AssertionError(f"sluice {' '.join(args)}: exit {p.returncode}, want {check_rc}\n"
                             f"stderr: {p.stderr.decode(errors='replace')[-2000:]}")
    return p


def parse_jsonl(data: bytes):
    docs = []
    for n, line in enumerate(data.decode("utf-8").split("\n")):
        if not line:
            continue
        docs.append(json.loads(line))
    return docs


def check_contract(test, docs):
    for d in docs:
        for key in ("id", "source", "text", "meta", "annotations"):
            test.assertIn(key, d, f"document {d.get('id')} lacks '{key}'")
        text = d["text"]
        for a in d["annotations"]:
            for key in ("type", "start", "end", "text", "stage", "attrs"):
                test.assertIn(key, a)
            test.assertTrue(0 <= a["start"] <= a["end"] <= len(text), a)
            test.assertEqual(text[a["start"]:a["end"]], a["text"],
                             f"doc {d['id']}: {a['type']} annotation text differs from text[start:end]")


class Core(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-e2e-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name, data=None, mode="w"):
        p = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if data is not None:
            with open(p, mode) as f:
                f.write(data)
        return p

    def pipeline(self, body, name="p.cfg"):
        return self.path(name, body)

    # ------------------------------------------------------------ samples
    def test_default_pipeline_on_bundled_samples(self):
        self.assertGreaterEqual(len(SAMPLES), 3, "bundled samples missing")
        p = run("run", *SAMPLES, check_rc=EXIT_OK)
        docs = parse_jsonl(p.stdout)
        self.assertEqual([d["id"] for d in docs], [os.path.basename(f)[:-4] for f in SAMPLES])
        check_contract(self, docs)
        for d in docs:
            self.assertTrue(d["text"].strip(), f"{d['id']}: empty text")

    def test_jobs_do_not_change_output(self):
        outs = [run("run", "-j", str(j), *SAMPLES, check_rc=EXIT_OK).stdout for j in (1, 2, 8)]
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(outs[0], outs[2])

    def test_text_output_and_stdin(self):
        p = run("run", "--stages", "", "--output-format", "text", stdin=b"hello\n", check_rc=EXIT_OK)
        self.assertEqual(p.stdout, b"hello\n\n")
        p = run("run", "-c", self.pipeline('pipeline = { stages = (); output = { format = "text"; }; };'),
                "--input-format", "jsonl", "-",
                stdin=b'{"id":"a","text":"x"}\n{"id":"b","text":"y\\nz"}\n', check_rc=EXIT_OK)
        self.assertEqual(p.stdout, b"x\ny\nz\n")

    def test_jsonl_passthrough_and_unicode_offsets(self):
        cfg = self.pipeline("pipeline = { stages = (); };")
        line = json.dumps({"id": "u", "text": "𝄞 Жук \u2028 \"q\"", "meta": {"k": "v", "n": 2},
                           "extra": {"nested": [1, 2]}}) + "\n"
        p = run("run", "-c", cfg, "--input-format", "jsonl", stdin=line.encode(), check_rc=EXIT_OK)
        (d,) = parse_jsonl(p.stdout)
        self.assertEqual(d["text"], "𝄞 Жук \u2028 \"q\"")
        self.assertEqual(d["meta"], {"k": "v", "n": 2})
        self.assertEqual(d["extra"], {"nested": [1, 2]})
        self.assertEqual(d["source"], "<stdin>:1")

    # ---------------------------------------------------------- bad input
    def test_malformed_lines_reported_run_continues(self):
        src = self.path("in.jsonl", '{"id":"a","text":"ok"}\n{bad json\n{"id":"c"}\n{"id":"d","text":"ok"}\n')
        errs = self.path("errors.jsonl")
        cfg = self.pipeline("pipeline = { stages = (); };")
        p = run("run", "-c", cfg, "--errors", errs, src, check_rc=EXIT_DOC_FAILED)
        self.assertEqual([d["id"] for d in parse_jsonl(p.stdout)], ["a", "d"])
        with open(errs) as f:
            records = [json.loads(l) for l in f]
        self.assertEqual(len(records), 2)
        self.assertIn("in.jsonl:2:", records[0]["message"])
        self.assertIn("in.jsonl:3:", records[1]["message"])

    def test_invalid_utf8_nul_empty_binary(self):
        d = os.path.join(self.tmp, "mixed")
        self.path("mixed/a_invalid.txt", b"caf\xe9 \x00 ok", mode="wb")
        self.path("mixed/b_empty.txt", b"", mode="wb")
        self.path("mixed/c_binary.bin", bytes(range(256)) * 64, mode="wb")
        self.path("mixed/.hidden.txt", "never read")
        os.mkfifo(os.path.join(d, "d_fifo"))          # would block a reader forever
        p = run("run", d, check_rc=EXIT_DOC_FAILED)
        self.assertIn(b"d_fifo: not a regular file", p.stderr)
        docs = parse_jsonl(p.stdout)
        self.assertEqual([x["id"] for x in docs], ["a_invalid", "b_empty"])
        self.assertIn("\ufffd", docs[0]["text"])
        self.assertTrue(any("invalid UTF-8" in w for w in docs[0]["meta"]["warnings"]))
        self.assertIn(b"c_binary.bin", p.stderr)
        self.assertIn(b"binary", p.stderr)
        check_contract(self, docs)
        cfg = self.pipeline('pipeline = { invalid_utf8 = "reject"; stages = (); };')
        p = run("run", "-c", cfg, os.path.join(d, "a_invalid.txt"), check_rc=EXIT_DOC_FAILED)
        self.assertEqual(p.stdout, b"")
        self.assertIn(b"rejected", p.stderr)

    def test_oversized_document_rejected_not_truncated(self):
        cfg = self.pipeline("pipeline = { max_document_bytes = 1000; stages = (); };")
        big = self.path("big.txt", "word " * 400)
        small = self.path("small.txt", "fine")
        p = run("run", "-c", cfg, big, small, check_rc=EXIT_DOC_FAILED)
        self.assertEqual([d["id"] for d in parse_jsonl(p.stdout)], ["small"])
        self.assertIn(b"over max_document_bytes", p.stderr)
        self.assertIn(b"big.txt", p.stderr)

    # -------------------------------------------------------- config errors
    def test_broken_config_file_line(self):
        cfg = self.pipeline("pipeline = {\n  stages = (\n    { plugin = \"clean\" }\n  );\n  oops\n};\n")
        p = run("run", "-c", cfg, stdin=b"x", check_rc=EXIT_CONFIG)
        self.assertIn(f"{cfg}:".encode(), p.stderr)
        p = run("check", "-c", cfg, check_rc=EXIT_CONFIG)
        self.assertRegex(p.stderr.decode(), r"p\.cfg:\d+: ")

    def test_unknown_settings_suggest(self):
        cfg = self.pipeline('pipeline = {\n  on_eror = "skip";\n  stages = ();\n};\n')
        p = run("check", "-c", cfg, check_rc=EXIT_CONFIG)
        self.assertIn(b"p.cfg:2: unknown setting 'on_eror'", p.stderr)
        self.assertIn(b"did you mean 'on_error'", p.stderr)
        cfg = self.pipeline('pipeline = { stages = ( { plugin = "no_such_stage"; } ); };', "q.cfg")
        p = run("check", "-c", cfg, check_rc=EXIT_CONFIG)
        self.assertIn(b"q.cfg:1:", p.stderr)
        self.assertIn(b"no_such_stage", p.stderr)
        p = run("check", "-c", self.pipeline("pipeline = { stages = (); };", "ok.cfg"), check_rc=EXIT_OK)
        p = run("run", "-c", os.path.join(self.tmp, "missing.cfg"), stdin=b"", check_rc=EXIT_CONFIG)
        self.assertIn(b"missing.cfg: no such file", p.stderr)

    def test_errors_in_included_files_name_them(self):
        self.path("inc/stages.cfg", 'stages = (\n  { plugin = "no_such_stage";\n    x = 1; }\n);\n')
        cfg = self.pipeline('pipeline = {\n  @include "inc/stages.cfg"\n};\n')
        p = run("check", "-c", cfg, check_rc=EXIT_CONFIG)
        self.assertIn(b"inc/stages.cfg:2:", p.stderr)

    def test_stages_filter_suggests(self):
        cfg = self.pipeline("pipeline = { stages = (); };")
        p = run("run", "-c", cfg, "--stages", "nubmers", stdin=b"x", check_rc=EXIT_CONFIG)
        self.assertIn(b"no stage named 'nubmers'", p.stderr)

    def test_usage_errors(self):
        run("frobnicate", check_rc=EXIT_CONFIG)
        run("run", "--no-such-flag", check_rc=EXIT_CONFIG)
        run("run", "--output-format", "xml", check_rc=EXIT_CONFIG)
        p = run("--version", check_rc=EXIT_OK)
        self.assertIn(b"sluice ", p.stdout)
        for cmd in ("run", "check", "plugins"):
            p = run(cmd, "--help", check_rc=EXIT_OK)
            self.assertIn(b"Usage:", p.stdout)

    # ------------------------------------------------------------- output
    def test_output_failure_exit_code(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        cfg = self.pipeline("pipeline = { stages = (); };")
        p = run("run", "-c", cfg, "-o", "/dev/full", *SAMPLES, check_rc=EXIT_IO)
        self.assertIn(b"/dev/full", p.stderr)
        self.assertIn(b"write failed", p.stderr)

    def test_output_never_overwrites_an_input(self):
        cfg = self.pipeline("pipeline = { stages = (); };")
        src = self.path("same.jsonl", '{"id":"a","text":"keep me"}\n')
        p = run("run", "-c", cfg, src, "-o", src, check_rc=EXIT_CONFIG)
        self.assertIn(b"also an input", p.stderr)
        with open(src) as f:
            self.assertIn("keep me", f.read())

    def test_other_commands_check_stdout(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        with open("/dev/full", "w") as full:
            p = subprocess.run([SLUICE, "plugins"], stdout=full, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, EXIT_IO, p.stderr)

    def test_closed_pipe_is_an_io_error(self):
        cfg = self.pipeline("pipeline = { stages = (); };")
        big = self.path("many.jsonl", "".join(json.dumps({"id": str(i), "text": "x" * 500}) + "\n"
                                              for i in range(20000)))
        proc = subprocess.Popen([SLUICE, "run", "-c", cfg, big], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdout.read(100)
        proc.stdout.close()
        err = proc.stderr.read()
        self.assertEqual(proc.wait(timeout=60), EXIT_IO, err)

    def test_output_file_and_views(self):
        out = self.path("out.jsonl")
        run("run", "-o", out, "--emit-views", *SAMPLES, check_rc=EXIT_OK)
        with open(out, "rb") as f:
            docs = parse_jsonl(f.read())
        check_contract(self, docs)
        rewritten = [d for d in docs if d.get("views")]
        for d in rewritten:
            for v in d["views"]:
                self.assertIn("stage", v)
                self.assertIn("text", v)

    def test_bundled_pipeline_files_are_valid(self):
        cfgdir = os.path.join(SRC, "config")
        have = set(docs_names())
        for name in sorted(os.listdir(cfgdir)):
            if not name.endswith(".cfg"):
                continue
            path = os.path.join(cfgdir, name)
            with open(path) as f:
                body = f.read()
            needed = {n for n in ("clean", "entities", "numbers", "translit") if f'"{n}"' in body}
            if not needed <= have:
                continue   # a stage this build lacks
            run("check", "-c", path, check_rc=EXIT_OK)

    def test_isolated_exit_does_not_duplicate_output(self):
        probe = os.path.join(os.environ.get("SLUICE_BUILDDIR", "build"), "tests", "plugins",
                             "sluice-probe.so")
        if not os.path.exists(probe):
            self.skipTest("test plugin not built")
        cfg = self.pipeline('pipeline = { stages = ( { plugin = "%s"; isolate = true; } ); };' % probe)
        src = self.path("in.jsonl", "".join(
            json.dumps({"id": str(i), "text": ("EXIT " if i in (300, 700) else "") + "x" * 200}) + "\n"
            for i in range(1000)))
        out = self.path("out.jsonl")
        run("run", "-c", cfg, "-j", "2", "-o", out, src, check_rc=EXIT_DOC_FAILED)
        with open(out, "rb") as f:
            docs = parse_jsonl(f.read())
        ids = [d["id"] for d in docs]
        self.assertEqual(len(ids), len(set(ids)), "a document was written twice")
        self.assertEqual(len(ids), 1000)

    def test_plugins_listing(self):
        p = run("plugins", check_rc=EXIT_OK)
        for d in docs_names():
            self.assertIn(d.encode(), p.stdout)


def docs_names():
    """Bundled stages that this build has."""
    build = os.environ.get("SLUICE_BUILDDIR", "build")
    names = []
    for n in ("clean", "entities", "numbers", "translit"):
        if os.path.exists(os.path.join(build, "plugins", n, f"sluice-{n}.so")):
            names.append(n)
    return names


if __name__ == "__main__":
    unittest.main(verbosity=2)
