/* End-to-end tests of crash isolation (issue 8.6) through the real `sluice`
 * binary: a stage that segfaults, aborts, exits or hangs on some documents
 * (tests/plugins/probe.c) runs with `isolate = true`; the run must go on,
 * every other document must be processed, the error report must name the
 * signal or the timeout, and the exit code must be 1.
 *
 * Argument 1: the sluice binary.  SLUICE_TEST_PLUGINS: the test stages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

static const char *sluice_bin;

#define assert_contains(haystack, needle)                                           \
  do {                                                                              \
    const char *h_ = (haystack), *n_ = (needle);                                    \
    if (h_ == NULL || strstr (h_, n_) == NULL)                                      \
      fail_msg ("expected to find \"%s\" in \"%s\"", n_, h_ ? h_ : "(null)");       \
  } while (0)

typedef struct {
  char *dir;
  char *cfg;
  char *input;
  char *errors;
  char *out;          /* stdout of the run */
  char *err;          /* stderr of the run */
  int status;         /* exit code */
  GPtrArray *docs;    /* JsonObject*, output in order */
  GPtrArray *reports; /* JsonObject*, error report records */
} Run;

static void
write_file (const char *path, const char *text)
{
  assert_true (g_file_set_contents (path, text, -1, NULL));
}

static Run *
run_new (const char *pipeline_stages, const char *pipeline_extra)
{
  Run *r = g_new0 (Run, 1);
  GError *e = NULL;
  r->dir = g_dir_make_tmp ("sluice-isolate-XXXXXX", &e);
  assert_null (e);
  r->cfg = g_build_filename (r->dir, "pipeline.cfg", NULL);
  r->input = g_build_filename (r->dir, "in.jsonl", NULL);
  r->errors = g_build_filename (r->dir, "errors.jsonl", NULL);
  g_autofree char *text = g_strdup_printf ("pipeline = {\n"
                                           "  plugin_path = \"%s\";\n"
                                           "  %s\n"
                                           "  stages = (\n%s\n  );\n"
                                           "};\n",
                                           SLUICE_TEST_PLUGINS,
                                           pipeline_extra ? pipeline_extra : "",
                                           pipeline_stages);
  write_file (r->cfg, text);
  r->docs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  r->reports = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  return r;
}

static void
run_free (Run *r)
{
  g_unlink (r->cfg);
  g_unlink (r->input);
  g_unlink (r->errors);
  g_rmdir (r->dir);
  g_free (r->dir);
  g_free (r->cfg);
  g_free (r->input);
  g_free (r->errors);
  g_free (r->out);
  g_free (r->err);
  g_ptr_array_unref (r->docs);
  g_ptr_array_unref (r->reports);
  g_free (r);
}

/* Parses JSONL text into objects; every line must be a JSON object. */
static void
parse_jsonl (const char *text, GPtrArray *into)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      g_autoptr (JsonParser) p = json_parser_new ();
      GError *e = NULL;
      if (!json_parser_load_from_data (p, lines[i], -1, &e))
        fail_msg ("output line %u is not JSON (%s): %s", i + 1, e->message, lines[i]);
      JsonNode *root = json_parser_get_root (p);
      assert_true (JSON_NODE_HOLDS_OBJECT (root));
      g_ptr_array_add (into, json_object_ref (json_node_get_object (root)));
    }
}

/* Runs sluice on `input` (JSONL) with extra arguments. */
static void
run_sluice (Run *r, const char *input, const char *const *extra_args)
{
  write_file (r->input, input);
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) sluice_bin);
  g_ptr_array_add (argv, "run");
  g_ptr_array_add (argv, "-c");
  g_ptr_array_add (argv, r->cfg);
  g_ptr_array_add (argv, "--errors");
  g_ptr_array_add (argv, r->errors);
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, r->input);
  g_ptr_array_add (argv, NULL);
  GError *e = NULL;
  int wait_status = 0;
  assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                             &r->out, &r->err, &wait_status, &e));
  assert_null (e);
  g_ptr_array_free (argv, TRUE);
  assert_true (WIFEXITED (wait_status));
  r->status = WEXITSTATUS (wait_status);
  parse_jsonl (r->out, r->docs);
  g_autofree char *report = NULL;
  if (g_file_get_contents (r->errors, &report, NULL, NULL))
    parse_jsonl (report, r->reports);
}

static JsonObject *
doc_by_id (Run *r, const char *id)
{
  for (guint i = 0; i < r->docs->len; i++)
    {
      JsonObject *o = g_ptr_array_index (r->docs, i);
      if (g_strcmp0 (json_object_get_string_member (o, "id"), id) == 0)
        return o;
    }
  return NULL;
}

static const char *
report_for (Run *r, const char *id)
{
  for (guint i = 0; i < r->reports->len; i++)
    {
      JsonObject *o = g_ptr_array_index (r->reports, i);
      JsonNode *n = json_object_get_member (o, "id");
      if (n && JSON_NODE_HOLDS_VALUE (n) && g_strcmp0 (json_node_get_string (n), id) == 0)
        return json_object_get_string_member (o, "message");
    }
  return NULL;
}

static guint
n_annotations (JsonObject *doc, const char *type)
{
  JsonArray *a = json_object_get_array_member (doc, "annotations");
  guint n = 0;
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (a, i), "type"),
                   type) == 0)
      n++;
  return n;
}

/* text[start:end] == annotation.text, in code points, for every annotation. */
static void
check_offsets (JsonObject *doc)
{
  const char *text = json_object_get_string_member (doc, "text");
  JsonArray *a = json_object_get_array_member (doc, "annotations");
  glong n_chars = g_utf8_strlen (text, -1);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *an = json_array_get_object_element (a, i);
      gint64 s = json_object_get_int_member (an, "start");
      gint64 e = json_object_get_int_member (an, "end");
      assert_true (0 <= s && s <= e && e <= n_chars);
      g_autofree char *sub = g_utf8_substring (text, s, e);
      assert_string_equal (sub, json_object_get_string_member (an, "text"));
    }
}

static gboolean
meta_bool (JsonObject *doc, const char *key)
{
  JsonObject *meta = json_object_get_object_member (doc, "meta");
  return json_object_has_member (meta, key) && json_object_get_boolean_member (meta, key);
}

static const char mixed_input[] =
  "{\"id\":\"ok1\",\"text\":\"a probe &amp; another probe\"}\n"
  "{\"id\":\"segv\",\"text\":\"this one says SEGV\"}\n"
  "{\"id\":\"ok2\",\"text\":\"probe after the crash\"}\n"
  "{\"id\":\"abort\",\"text\":\"probe ABORT\"}\n"
  "{\"id\":\"hang\",\"text\":\"HANG forever\"}\n"
  "{\"id\":\"exit\",\"text\":\"EXIT now\"}\n"
  "{\"id\":\"fail\",\"text\":\"FAIL politely\"}\n"
  "{\"id\":\"ok3\",\"text\":\"Ünïcödé probe at the end\"}\n";

static void
check_mixed (const char *jobs)
{
  Run *r = run_new ("    { plugin = \"probe\"; isolate = true; timeout_ms = 300; }", NULL);
  const char *args[] = { "-j", jobs, NULL };
  run_sluice (r, mixed_input, args);
  /* Some documents failed: exit code 1, not a crash of sluice. */
  assert_int_equal (r->status, 1);
  /* Everything is written (on_error = "pass"), in input order. */
  assert_int_equal (r->docs->len, 8);
  const char *order[] = { "ok1", "segv", "ok2", "abort", "hang", "exit", "fail", "ok3" };
  for (guint i = 0; i < 8; i++)
    assert_string_equal (json_object_get_string_member (g_ptr_array_index (r->docs, i), "id"),
                         order[i]);
  /* The healthy documents were processed in a child process. */
  const char *ok[] = { "ok1", "ok2", "ok3" };
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *d = doc_by_id (r, ok[i]);
      assert_non_null (d);
      assert_true (meta_bool (d, "probe_isolated"));
      assert_true (n_annotations (d, "PROBE") >= 1);
      check_offsets (d);
      assert_null (report_for (r, ok[i]));
    }
  /* The rewrite made in the child reached the output. */
  assert_string_equal (json_object_get_string_member (doc_by_id (r, "ok1"), "text"),
                       "a probe & another probe");
  assert_int_equal (n_annotations (doc_by_id (r, "ok1"), "PROBE"), 2);
  /* The failed ones pass through without the stage's output. */
  assert_int_equal (n_annotations (doc_by_id (r, "segv"), "PROBE"), 0);
  assert_false (meta_bool (doc_by_id (r, "abort"), "probe_isolated"));
  /* The error report names the signal or the timeout. */
  assert_contains (report_for (r, "segv"), "stage crashed (SIGSEGV)");
  assert_contains (report_for (r, "abort"), "stage crashed (SIGABRT)");
  assert_contains (report_for (r, "hang"), "timed out after 300 ms");
  assert_contains (report_for (r, "exit"), "exited with status 7");
  assert_contains (report_for (r, "fail"), "probe refused document 'fail'");
  assert_int_equal (r->reports->len, 5);
  run_free (r);
}

static void
test_crashes_fail_only_their_document_j1 (void **state)
{
  check_mixed ("1");
}

static void
test_crashes_fail_only_their_document_j2 (void **state)
{
  check_mixed ("2");
}

/* on_error = "skip": the crashed documents are left out, the rest written. */
static void
test_skip (void **state)
{
  Run *r = run_new ("    { plugin = \"probe\"; isolate = true; timeout_ms = 300; }",
                    "on_error = \"skip\";");
  const char *args[] = { "-j", "2", NULL };
  run_sluice (r, mixed_input, args);
  assert_int_equal (r->status, 1);
  assert_int_equal (r->docs->len, 3);
  assert_non_null (doc_by_id (r, "ok1"));
  assert_non_null (doc_by_id (r, "ok2"));
  assert_non_null (doc_by_id (r, "ok3"));
  run_free (r);
}

/* Isolated or not, a stage gives the same output: text, rewrites projected
 * onto earlier annotations, attributes of every type, views, metadata. */
static void
test_same_output_as_in_process (void **state)
{
  const char *input =
    "{\"id\":\"1\",\"text\":\"probe &amp; probe &amp;&amp; Ωmega probe\",\"meta\":{\"k\":\"v\",\"n\":[1,\"x\"]}}\n"
    "{\"id\":\"2\",\"text\":\"\"}\n"
    "{\"id\":\"3\",\"text\":\"no match at all\",\"extra\":{\"kept\":true}}\n"
    "{\"id\":\"4\",\"text\":\"&amp;probe&amp;\"}\n";
  const char *args[] = { "-j", "2", "--emit-views", NULL };
  /* The first instance only annotates (fix = false), the second rewrites:
   * the first one's annotations must be projected through the rewrite. */
  Run *a = run_new ("    { plugin = \"probe\"; name = \"first\"; fix = false; },\n"
                    "    { plugin = \"probe\"; name = \"second\"; isolate = true; }", NULL);
  Run *b = run_new ("    { plugin = \"probe\"; name = \"first\"; fix = false; },\n"
                    "    { plugin = \"probe\"; name = \"second\"; }", NULL);
  run_sluice (a, input, args);
  run_sluice (b, input, args);
  assert_int_equal (a->status, 0);
  assert_int_equal (b->status, 0);
  assert_int_equal (a->docs->len, 4);
  assert_int_equal (b->docs->len, 4);
  for (guint i = 0; i < a->docs->len; i++)
    {
      JsonObject *da = g_ptr_array_index (a->docs, i);
      JsonObject *db = g_ptr_array_index (b->docs, i);
      check_offsets (da);
      assert_true (meta_bool (da, "probe_isolated"));
      assert_false (meta_bool (db, "probe_isolated"));
      /* Apart from that one flag (and the input's path), the documents are
       * identical. */
      json_object_remove_member (da, "source");
      json_object_remove_member (db, "source");
      json_object_remove_member (json_object_get_object_member (da, "meta"), "probe_isolated");
      json_object_remove_member (json_object_get_object_member (db, "meta"), "probe_isolated");
      g_autoptr (JsonNode) na = json_node_init_object (json_node_alloc (), da);
      g_autoptr (JsonNode) nb = json_node_init_object (json_node_alloc (), db);
      g_autofree char *ja = json_to_string (na, FALSE);
      g_autofree char *jb = json_to_string (nb, FALSE);
      assert_string_equal (ja, jb);
    }
  JsonObject *d1 = g_ptr_array_index (a->docs, 0);
  assert_string_equal (json_object_get_string_member (d1, "text"), "probe & probe && Ωmega probe");
  /* 3 from the first instance, projected, and 3 from the second. */
  assert_int_equal (n_annotations (d1, "PROBE"), 6);
  JsonArray *views = json_object_get_array_member (d1, "views");
  assert_non_null (views);
  assert_true (json_array_get_length (views) >= 1);
  run_free (a);
  run_free (b);
}

/* What an isolated stage prints on stdout must not reach the output. */
static void
test_child_stdout_kept_out_of_output (void **state)
{
  Run *r = run_new ("    { plugin = \"probe\"; isolate = true; print = true; }", NULL);
  const char *args[] = { "-j", "2", NULL };
  run_sluice (r, "{\"id\":\"a\",\"text\":\"probe\"}\n{\"id\":\"b\",\"text\":\"probe\"}\n", args);
  assert_int_equal (r->status, 0);
  assert_int_equal (r->docs->len, 2);     /* every stdout line parsed as a document */
  assert_null (strstr (r->out, "probe was here"));
  assert_contains (r->err, "probe was here");
  run_free (r);
}

/* Many documents, crashes sprinkled in, several workers: each crash is
 * followed by a restart and every healthy document is processed. */
static void
test_many_documents_with_crashes (void **state)
{
  GString *in = g_string_new (NULL);
  guint n = 300, crashes = 0;
  for (guint i = 0; i < n; i++)
    {
      const char *word = i % 37 == 5 ? "SEGV" : i % 53 == 7 ? "ABORT" : "probe";
      if (word[0] != 'p')
        crashes++;
      g_string_append_printf (in, "{\"id\":\"d%u\",\"text\":\"doc %u %s &amp; probe\"}\n", i, i, word);
    }
  Run *r = run_new ("    { plugin = \"probe\"; isolate = true; }", NULL);
  const char *args[] = { "-j", "3", NULL };
  run_sluice (r, in->str, args);
  assert_int_equal (r->status, 1);
  assert_int_equal (r->docs->len, n);
  if (r->reports->len != crashes)
    {
      for (guint i = 0; i < r->reports->len; i++)
        {
          JsonObject *o = g_ptr_array_index (r->reports, i);
          g_printerr ("report: %s: %s\n", json_object_get_string_member (o, "id"),
                      json_object_get_string_member (o, "message"));
        }
      fail_msg ("%u error reports for %u crashing documents", r->reports->len, crashes);
    }
  guint processed = 0;
  for (guint i = 0; i < r->docs->len; i++)
    if (meta_bool (g_ptr_array_index (r->docs, i), "probe_isolated"))
      processed++;
  assert_int_equal (processed, n - crashes);
  g_string_free (in, TRUE);
  run_free (r);
}

/* `isolate` must be a boolean; timeout_ms a non-negative integer. */
static void
test_bad_isolate_settings (void **state)
{
  Run *r = run_new ("    { plugin = \"probe\"; isolate = \"yes\"; timeout_ms = -5; }", NULL);
  run_sluice (r, "{\"id\":\"a\",\"text\":\"x\"}\n", NULL);
  assert_int_equal (r->status, 2);
  assert_contains (r->err, "'isolate' must be true or false");
  assert_contains (r->err, "'timeout_ms' must be an integer from 0 to");
  run_free (r);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      g_printerr ("usage: %s SLUICE-BINARY\n", argv[0]);
      return 2;
    }
  sluice_bin = argv[1];
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_crashes_fail_only_their_document_j1),
    cmocka_unit_test (test_crashes_fail_only_their_document_j2),
    cmocka_unit_test (test_skip),
    cmocka_unit_test (test_same_output_as_in_process),
    cmocka_unit_test (test_child_stdout_kept_out_of_output),
    cmocka_unit_test (test_many_documents_with_crashes),
    cmocka_unit_test (test_bad_isolate_settings),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
