/* Unit tests: input readers (files, directories, JSONL lines, limits,
 * invalid UTF-8 policy, binary files). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <glib/gstdio.h>
#include "core.h"

static char *tmpdir;

static int
setup (void **state)
{
  tmpdir = g_dir_make_tmp ("sluice-reader-XXXXXX", NULL);
  return tmpdir ? 0 : -1;
}

static void
rm_rf (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  if (d)
    {
      const char *n;
      while ((n = g_dir_read_name (d)))
        {
          g_autofree char *p = g_build_filename (path, n, NULL);
          rm_rf (p);
        }
      g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static int
teardown (void **state)
{
  rm_rf (tmpdir);
  g_free (tmpdir);
  return 0;
}

static char *
put (const char *rel, const char *data, gssize len)
{
  char *p = g_build_filename (tmpdir, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (p);
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (g_file_set_contents (p, data, len, NULL));
  return p;
}

/* Reads everything; returns ids (and error messages prefixed with "!"). */
static GPtrArray *
read_all (SluiceReader *r)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (;;)
    {
      GError *e = NULL;
      SluiceDocument *d = sluice_reader_next (r, &e);
      if (d == NULL && e == NULL)
        break;
      if (d == NULL)
        {
          g_ptr_array_add (out, g_strdup_printf ("!%s", e->message));
          g_error_free (e);
          continue;
        }
      g_ptr_array_add (out, g_strdup (sluice_document_get_id (d)));
      sluice_document_free (d);
    }
  return out;
}

static void
test_directory_sorted_hidden_skipped (void **state)
{
  g_free (put ("in/b.txt", "B", -1));
  g_free (put ("in/a.txt", "A", -1));
  g_free (put ("in/.hidden.txt", "H", -1));
  g_free (put ("in/.git/x.txt", "X", -1));
  g_free (put ("in/sub/c.txt", "C", -1));
  g_free (put ("in/d.jsonl", "{\"id\":\"d1\",\"text\":\"x\"}\n\n{\"id\":\"d2\",\"text\":\"y\"}", -1));
  g_autofree char *dir = g_build_filename (tmpdir, "in", NULL);
  const char *inputs[] = { dir, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, FALSE, FALSE);
  g_autoptr (GPtrArray) ids = read_all (r);
  sluice_reader_free (r);
  assert_int_equal (ids->len, 5);
  const char *want[] = { "a", "b", "d1", "d2", "c" };
  for (guint i = 0; i < 5; i++)
    assert_string_equal (g_ptr_array_index (ids, i), want[i]);
}

static void
test_jsonl_errors_name_line_and_continue (void **state)
{
  g_autofree char *p = put ("bad.jsonl",
                            "{\"id\":\"ok1\",\"text\":\"fine\"}\n"
                            "{\"id\":\"x\",\"text\":\n"
                            "{\"id\":\"nt\"}\n"
                            "{\"id\":\"num\",\"text\":5}\n"
                            "[1,2]\n"
                            "{\"text\":\"no id\"}\r\n", -1);
  const char *inputs[] = { p, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, FALSE, FALSE);
  g_autoptr (GPtrArray) ids = read_all (r);
  sluice_reader_free (r);
  assert_int_equal (ids->len, 6);
  assert_string_equal (g_ptr_array_index (ids, 0), "ok1");
  for (guint i = 1; i <= 4; i++)
    {
      const char *m = g_ptr_array_index (ids, i);
      assert_true (m[0] == '!');
      g_autofree char *where = g_strdup_printf ("bad.jsonl:%u: ", i + 1);
      if (strstr (m, where) == NULL)
        fail_msg ("message '%s' does not name %s", m, where);
    }
  assert_non_null (strstr (g_ptr_array_index (ids, 2), "text"));
  /* A line without an id gets FILE-STEM:LINE. */
  assert_string_equal (g_ptr_array_index (ids, 5), "bad:6");
}

static void
test_max_document_bytes (void **state)
{
  g_autofree char *big = g_strnfill (2000, 'a');
  g_autofree char *p = put ("big.txt", big, -1);
  g_autofree char *line = g_strdup_printf ("{\"id\":\"j\",\"text\":\"%s\"}\n{\"id\":\"small\",\"text\":\"s\"}\n", big);
  g_autofree char *q = put ("big.jsonl", line, -1);
  const char *inputs[] = { p, q, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, FALSE, FALSE);
  g_autoptr (GPtrArray) ids = read_all (r);
  sluice_reader_free (r);
  assert_int_equal (ids->len, 3);
  assert_non_null (strstr (g_ptr_array_index (ids, 0), "over max_document_bytes"));
  assert_non_null (strstr (g_ptr_array_index (ids, 1), "over max_document_bytes"));
  assert_string_equal (g_ptr_array_index (ids, 2), "small");
}

static void
test_invalid_utf8_replace_and_reject (void **state)
{
  g_autofree char *p = put ("bad.txt", "caf\xe9 \0x", 7);
  const char *inputs[] = { p, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, FALSE, FALSE);
  GError *e = NULL;
  SluiceDocument *d = sluice_reader_next (r, &e);
  assert_non_null (d);
  assert_string_equal (sluice_document_get_text (d, NULL), "caf\xef\xbf\xbd \xef\xbf\xbdx");
  const char *const *w = sluice_attrs_get_string_list (sluice_document_get_meta (d), "warnings", NULL);
  assert_non_null (w);
  assert_non_null (strstr (w[0], "2 invalid"));
  sluice_document_free (d);
  sluice_reader_free (r);

  r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, TRUE, FALSE);
  d = sluice_reader_next (r, &e);
  assert_null (d);
  assert_non_null (e);
  assert_non_null (strstr (e->message, "rejected"));
  assert_non_null (strstr (e->message, "bad.txt"));
  g_clear_error (&e);
  sluice_reader_free (r);
}

static void
test_binary_file_refused (void **state)
{
  char bin[4096];
  for (guint i = 0; i < sizeof bin; i++)
    bin[i] = (char) (i * 7 % 256);
  g_autofree char *p = put ("img.png", bin, sizeof bin);
  g_autofree char *t = put ("ok.txt", "plain", -1);
  const char *inputs[] = { p, t, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 100000, FALSE, FALSE);
  g_autoptr (GPtrArray) ids = read_all (r);
  sluice_reader_free (r);
  assert_int_equal (ids->len, 2);
  assert_non_null (strstr (g_ptr_array_index (ids, 0), "binary"));
  assert_string_equal (g_ptr_array_index (ids, 1), "ok");
}

static void
test_missing_input_reported (void **state)
{
  const char *inputs[] = { "/nonexistent/file.txt", NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, FALSE, FALSE);
  g_autoptr (GPtrArray) ids = read_all (r);
  sluice_reader_free (r);
  assert_int_equal (ids->len, 1);
  assert_non_null (strstr (g_ptr_array_index (ids, 0), "/nonexistent/file.txt"));
}

static void
test_meta_and_extra_passthrough (void **state)
{
  g_autofree char *p = put ("m.jsonl",
                            "{\"id\":7,\"lang\":\"en\",\"text\":\"t\",\"meta\":{\"title\":\"T\",\"n\":3,\"tags\":[\"a\",\"b\"],\"o\":{\"x\":1}}}\n", -1);
  const char *inputs[] = { p, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, FALSE, FALSE);
  GError *e = NULL;
  SluiceDocument *d = sluice_reader_next (r, &e);
  assert_non_null (d);
  assert_string_equal (sluice_document_get_id (d), "7");
  SluiceAttrs *m = sluice_document_get_meta (d);
  assert_string_equal (sluice_attrs_get_string (m, "title"), "T");
  assert_int_equal (sluice_attrs_get_int (m, "n", 0), 3);
  assert_int_equal (sluice_attrs_get_type (m, "tags"), SLUICE_VALUE_STRING_LIST);
  assert_int_equal (sluice_attrs_get_type (m, "o"), SLUICE_VALUE_JSON);
  g_autofree char *json = sluice_document_to_json (d);
  assert_non_null (strstr (json, "\"lang\":\"en\""));
  sluice_document_free (d);
  sluice_reader_free (r);
}

static void
test_input_warnings_kept (void **state)
{
  g_autofree char *p = put ("w.jsonl",
                            "{\"id\":\"w\",\"text\":\"a\\u0000b\",\"meta\":{\"warnings\":[\"upstream\"]}}\n", -1);
  const char *inputs[] = { p, NULL };
  SluiceReader *r = sluice_reader_new (inputs, SLUICE_INPUT_AUTO, 1000, FALSE, FALSE);
  GError *e = NULL;
  SluiceDocument *d = sluice_reader_next (r, &e);
  assert_non_null (d);
  guint n = 0;
  const char *const *w = sluice_attrs_get_string_list (sluice_document_get_meta (d), "warnings", &n);
  assert_int_equal (n, 2);
  assert_string_equal (w[0], "upstream");
  assert_non_null (strstr (w[1], "invalid UTF-8"));
  sluice_document_free (d);
  sluice_reader_free (r);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_directory_sorted_hidden_skipped, setup, teardown),
    cmocka_unit_test_setup_teardown (test_jsonl_errors_name_line_and_continue, setup, teardown),
    cmocka_unit_test_setup_teardown (test_max_document_bytes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_invalid_utf8_replace_and_reject, setup, teardown),
    cmocka_unit_test_setup_teardown (test_binary_file_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_input_reported, setup, teardown),
    cmocka_unit_test_setup_teardown (test_meta_and_extra_passthrough, setup, teardown),
    cmocka_unit_test_setup_teardown (test_input_warnings_kept, setup, teardown),
  };
  return cmocka_run_group_tests_name ("reader", tests, NULL, NULL);
}
