/* Unit tests: the runner writes in input order whatever the number of
 * workers, and applies on_error (pass / skip / abort) and fatal errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include "core.h"

static SluiceStatus
tag_process (gpointer inst, SluiceDocument *doc, GError **error)
{
  gsize len;
  const char *t = sluice_document_get_text (doc, &len);
  /* Uneven work so that documents finish out of order. */
  g_usleep ((gulong) (g_str_hash (t) % 300));
  SluiceAnnotation *a = sluice_document_add_annotation (doc, "ALL", 0, len);
  sluice_attrs_set_int (sluice_annotation_get_attrs (a), "bytes", (gint64) len);
  if (strstr (t, "FATAL"))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED, "cannot go on");
      return SLUICE_FATAL;
    }
  if (strstr (t, "FAIL"))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED, "document says FAIL");
      return SLUICE_DOC_ERROR;
    }
  return SLUICE_OK;
}

static const char *const tag_produces[] = { "ALL", NULL };
static const SluiceStageDescriptor tag_desc = {
  .abi_major = SLUICE_ABI_MAJOR, .abi_minor = SLUICE_ABI_MINOR,
  .struct_size = sizeof (SluiceStageDescriptor),
  .name = "tag", .version = "1", .summary = "test", .produces = tag_produces,
  .process = tag_process,
};

static SluicePlugin tag_plugin = { (char *) "test", NULL, &tag_desc, (char *) "." };

static SluicePipeline *
make_pipeline (SluiceOnError on_error)
{
  SluicePipeline *p = g_new0 (SluicePipeline, 1);
  p->stages = g_ptr_array_new ();
  p->on_error = on_error;
  p->max_document_bytes = SLUICE_DEFAULT_MAX_DOCUMENT_BYTES;
  SluiceStageInstance *st = g_new0 (SluiceStageInstance, 1);
  st->name = g_strdup ("tag");
  st->plugin_name = g_strdup ("tag");
  st->plugin = &tag_plugin;
  st->options = sluice_options_new (&tag_desc, "tag", ".", ".", NULL);
  st->created = TRUE;
  g_ptr_array_add (p->stages, st);
  return p;
}

typedef struct {
  GPtrArray *ids;
  guint64 exit_code;
  SluiceRunStats stats;
  char *errors;
} Result;

static void
run_on (const char *input, guint jobs, SluiceOnError on_error, Result *res)
{
  SluicePipeline *p = make_pipeline (on_error);
  char *outbuf = NULL, *errbuf = NULL;
  size_t errlen = 0;
  FILE *out = tmpfile ();     /* the runner writes to a real file descriptor */
  FILE *err = open_memstream (&errbuf, &errlen);
  SluiceRunConfig cfg = { 0 };
  cfg.pipeline = p;
  cfg.jobs = jobs;
  cfg.out = out;
  cfg.out_name = "memory";
  cfg.errors = err;
  cfg.errors_json = TRUE;
  const char *inputs[] = { input, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_JSONL, 1 << 20, FALSE, FALSE);
  memset (&res->stats, 0, sizeof res->stats);
  sluice_run (&cfg, r, &res->stats);
  sluice_reader_free (r);
  long outlen = ftell (out);
  g_assert (outlen >= 0);
  rewind (out);
  outbuf = malloc ((size_t) outlen + 1);
  g_assert (fread (outbuf, 1, (size_t) outlen, out) == (size_t) outlen);
  outbuf[outlen] = '\0';
  fclose (out);
  fclose (err);
  res->exit_code = (guint64) sluice_run_exit_code (&res->stats);
  res->ids = g_ptr_array_new_with_free_func (g_free);
  /* Every output line must parse with json-glib and be in order. */
  g_auto (GStrv) lines = g_strsplit (outbuf, "\n", -1);
  for (guint i = 0; lines[i] && *lines[i]; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      GError *e = NULL;
      if (!json_parser_load_from_data (parser, lines[i], -1, &e))
        fail_msg ("output line %u is not JSON: %s", i, e->message);
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      g_ptr_array_add (res->ids, g_strdup (json_object_get_string_member (o, "id")));
      JsonArray *anns = json_object_get_array_member (o, "annotations");
      const char *text = json_object_get_string_member (o, "text");
      if (json_array_get_length (anns) == 1)
        {
          JsonObject *a = json_array_get_object_element (anns, 0);
          assert_int_equal (json_object_get_int_member (a, "end"), g_utf8_strlen (text, -1));
        }
    }
  res->errors = errbuf;
  free (outbuf);
  sluice_pipeline_free (p);
}

static void
result_clear (Result *r)
{
  g_ptr_array_unref (r->ids);
  free (r->errors);
  sluice_run_stats_clear (&r->stats);
}

static char *
write_input (guint n, const char *special_every)
{
  char *path = NULL;
  int fd = g_file_open_tmp ("sluice-runner-XXXXXX.jsonl", &path, NULL);
  g_assert (fd >= 0);
  close (fd);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      const char *extra = special_every && i % 10 == 3 ? special_every : "";
      g_string_append_printf (s, "{\"id\":\"d%u\",\"text\":\"document %u %s Ж\"}\n", i, i, extra);
    }
  g_file_set_contents (path, s->str, (gssize) s->len, NULL);
  g_string_free (s, TRUE);
  return path;
}

static void
test_order_any_jobs (void **state)
{
  g_autofree char *in = write_input (600, NULL);
  guint jobs[] = { 1, 2, 8 };
  for (guint j = 0; j < G_N_ELEMENTS (jobs); j++)
    {
      Result r;
      run_on (in, jobs[j], SLUICE_ON_ERROR_PASS, &r);
      assert_int_equal (r.ids->len, 600);
      for (guint i = 0; i < 600; i++)
        {
          g_autofree char *want = g_strdup_printf ("d%u", i);
          if (strcmp (g_ptr_array_index (r.ids, i), want) != 0)
            fail_msg ("-j %u: line %u is %s, want %s", jobs[j], i,
                      (char *) g_ptr_array_index (r.ids, i), want);
        }
      assert_int_equal (r.exit_code, SLUICE_EXIT_OK);
      assert_int_equal (r.stats.written, 600);
      result_clear (&r);
    }
  g_unlink (in);
}

static void
test_on_error_pass_and_skip (void **state)
{
  g_autofree char *in = write_input (100, "FAIL");
  for (guint jobs = 1; jobs <= 4; jobs += 3)
    {
      Result r;
      run_on (in, jobs, SLUICE_ON_ERROR_PASS, &r);
      assert_int_equal (r.ids->len, 100);          /* passed through */
      assert_int_equal (r.stats.failed, 10);
      assert_int_equal (r.exit_code, SLUICE_EXIT_DOC_FAILED);
      assert_non_null (strstr (r.errors, "\"id\":\"d3\""));
      assert_non_null (strstr (r.errors, "\"stage\":\"tag\""));
      assert_non_null (strstr (r.errors, "document says FAIL"));
      result_clear (&r);

      run_on (in, jobs, SLUICE_ON_ERROR_SKIP, &r);
      assert_int_equal (r.ids->len, 90);           /* left out */
      assert_int_equal (r.stats.skipped, 10);
      assert_int_equal (r.exit_code, SLUICE_EXIT_DOC_FAILED);
      for (guint i = 0; i < r.ids->len; i++)
        assert_string_not_equal (g_ptr_array_index (r.ids, i), "d13");
      result_clear (&r);
    }
  g_unlink (in);
}

static void
test_abort_and_fatal_stop_the_run (void **state)
{
  g_autofree char *in = write_input (200, "FAIL");
  Result r;
  run_on (in, 1, SLUICE_ON_ERROR_ABORT, &r);
  assert_int_equal (r.exit_code, SLUICE_EXIT_ABORTED);
  assert_int_equal (r.ids->len, 3);                /* d0..d2, then d3 fails */
  result_clear (&r);
  g_unlink (in);

  g_autofree char *in2 = write_input (200, "FATAL");
  for (guint jobs = 2; jobs <= 8; jobs *= 2)
    {
      run_on (in2, jobs, SLUICE_ON_ERROR_PASS, &r);
      assert_int_equal (r.exit_code, SLUICE_EXIT_ABORTED);
      /* Every document before the failing one (d3), whatever -j is. */
      assert_int_equal (r.ids->len, 3);
      assert_int_equal (r.stats.written, 3);
      result_clear (&r);
    }
  run_on (in2, 4, SLUICE_ON_ERROR_PASS, &r);
  /* Whatever was written is a prefix of the input, in order. */
  for (guint i = 0; i < r.ids->len; i++)
    {
      g_autofree char *want = g_strdup_printf ("d%u", i);
      assert_string_equal (g_ptr_array_index (r.ids, i), want);
    }
  result_clear (&r);
  g_unlink (in2);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_order_any_jobs),
    cmocka_unit_test (test_on_error_pass_and_skip),
    cmocka_unit_test (test_abort_and_fatal_stop_the_run),
  };
  return cmocka_run_group_tests_name ("runner", tests, NULL, NULL);
}
