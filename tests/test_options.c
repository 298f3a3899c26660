/* Unit tests: option validation against a stage's table (from text and
 * from libconfig settings), typed accessors, suggestions, the harness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "core.h"

static const SluiceOptionSpec opts_table[] = {
  { "scheme", SLUICE_OPTION_STRING, "bgn-pcgn", FALSE, 0, 0, "bgn-pcgn|iso9|ala-lc", "scheme" },
  { "max_junk_words", SLUICE_OPTION_INT, "12", FALSE, 1, 100, NULL, "words" },
  { "ratio", SLUICE_OPTION_DOUBLE, "0.5", FALSE, 0, 1, NULL, "ratio" },
  { "report", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL, "report" },
  { "words", SLUICE_OPTION_STRING_LIST, "a,b", FALSE, 0, 0, NULL, "words" },
  { "lexicon", SLUICE_OPTION_STRING, NULL, TRUE, 0, 0, NULL, "required file" },
  { NULL }
};

typedef struct { const SluiceOptions *opts; } Inst;

static gpointer
t_create (const SluiceOptions *o, GError **error)
{
  if (strcmp (sluice_options_get_string (o, "lexicon"), "fail") == 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "lexicon:3: bad entry");
      return NULL;
    }
  Inst *i = g_new0 (Inst, 1);
  i->opts = o;
  return i;
}

static SluiceStatus
t_process (gpointer inst, SluiceDocument *doc, GError **error)
{
  Inst *i = inst;
  gsize len;
  sluice_document_get_text (doc, &len);
  SluiceAnnotation *a = sluice_document_add_annotation (doc, "ALL", 0, len);
  sluice_attrs_set_int (sluice_annotation_get_attrs (a), "max",
                        sluice_options_get_int (i->opts, "max_junk_words"));
  return SLUICE_OK;
}

static void
t_destroy (gpointer inst)
{
  g_free (inst);
}

static const SluiceStageDescriptor desc = {
  .abi_major = SLUICE_ABI_MAJOR, .abi_minor = SLUICE_ABI_MINOR,
  .struct_size = sizeof (SluiceStageDescriptor), .name = "opt", .version = "1",
  .options = opts_table, .create = t_create, .process = t_process, .destroy = t_destroy,
};

static void
test_defaults_and_accessors (void **state)
{
  SluiceOptions *o = sluice_options_new (&desc, "inst", "/data", "/cfg", NULL);
  assert_non_null (o);
  assert_string_equal (sluice_options_get_string (o, "scheme"), "bgn-pcgn");
  assert_int_equal (sluice_options_get_int (o, "max_junk_words"), 12);
  assert_true (sluice_options_get_double (o, "ratio") == 0.5);
  assert_false (sluice_options_get_bool (o, "report"));
  guint n;
  const char *const *w = sluice_options_get_string_list (o, "words", &n);
  assert_int_equal (n, 2);
  assert_string_equal (w[1], "b");
  assert_null (sluice_options_get_string (o, "lexicon"));
  assert_false (sluice_options_is_set (o, "scheme"));
  assert_string_equal (sluice_options_get_stage_name (o), "inst");
  assert_string_equal (sluice_options_get_data_dir (o), "/data");
  g_autofree char *rel = sluice_options_resolve_path (o, "lists/x.txt");
  assert_string_equal (rel, "/cfg/lists/x.txt");
  g_autofree char *abs = sluice_options_resolve_path (o, "/etc/x");
  assert_string_equal (abs, "/etc/x");
  GError *e = NULL;
  assert_false (sluice_options_check_required (o, "p.cfg:3", &e));
  assert_non_null (strstr (e->message, "p.cfg:3: stage 'inst': required option 'lexicon'"));
  g_clear_error (&e);
  sluice_options_free (o);
}

static void
expect_text_error (const char *name, const char *value, const char *fragment)
{
  SluiceOptions *o = sluice_options_new (&desc, "inst", NULL, NULL, NULL);
  GError *e = NULL;
  assert_false (sluice_options_set_from_string (o, name, value, "f.cfg:7", &e));
  assert_non_null (e);
  if (strstr (e->message, fragment) == NULL || strstr (e->message, "f.cfg:7") == NULL)
    fail_msg ("%s = %s: message '%s' lacks '%s' or the location", name, value, e->message, fragment);
  g_error_free (e);
  sluice_options_free (o);
}

static void
test_text_validation (void **state)
{
  expect_text_error ("max_junk_word", "3", "did you mean 'max_junk_words'");
  expect_text_error ("sheme", "iso9", "did you mean 'scheme'");
  expect_text_error ("scheme", "iso-9", "did you mean 'iso9'");
  expect_text_error ("scheme", "klingon", "allowed values");
  expect_text_error ("max_junk_words", "many", "expects an integer");
  expect_text_error ("max_junk_words", "0", "out of range");
  expect_text_error ("max_junk_words", "101", "out of range");
  expect_text_error ("ratio", "1.5", "out of range");
  expect_text_error ("ratio", "nan", "expects a number");
  expect_text_error ("report", "maybe", "expects true or false");
  SluiceOptions *o = sluice_options_new (&desc, "inst", NULL, NULL, NULL);
  assert_true (sluice_options_set_from_string (o, "words", " x , y,z", NULL, NULL));
  assert_string_equal (sluice_options_get_string_list (o, "words", NULL)[1], "y");
  assert_true (sluice_options_set_from_string (o, "report", "true", "f.cfg:9", NULL));
  assert_true (sluice_options_get_bool (o, "report"));
  assert_string_equal (sluice_options_get_location (o, "report"), "f.cfg:9");
  sluice_options_free (o);
}

static void
test_setting_validation (void **state)
{
  config_t cfg;
  config_init (&cfg);
  assert_true (config_read_string (&cfg,
                                   "a = { scheme = 5;\n"
                                   "  max_junk_words = 3.5;\n"
                                   "  ratio = 1;\n"
                                   "  words = [\"p\", \"q\"];\n"
                                   "  report = true;\n"
                                   "  lexicon = \"l.txt\"; };\n"));
  config_setting_t *g = config_lookup (&cfg, "a");
  SluiceOptions *o = sluice_options_new (&desc, "inst", NULL, NULL, NULL);
  GError *e = NULL;
  assert_false (sluice_options_set_from_setting (o, config_setting_get_member (g, "scheme"), "p.cfg", &e));
  assert_non_null (strstr (e->message, "p.cfg:1: stage 'inst': option 'scheme' expects a string, got an integer"));
  g_clear_error (&e);
  assert_false (sluice_options_set_from_setting (o, config_setting_get_member (g, "max_junk_words"), "p.cfg", &e));
  assert_non_null (strstr (e->message, "p.cfg:2:"));
  g_clear_error (&e);
  /* An integer is a fine number. */
  assert_true (sluice_options_set_from_setting (o, config_setting_get_member (g, "ratio"), "p.cfg", NULL));
  assert_true (sluice_options_get_double (o, "ratio") == 1.0);
  assert_true (sluice_options_set_from_setting (o, config_setting_get_member (g, "words"), "p.cfg", NULL));
  assert_string_equal (sluice_options_get_string_list (o, "words", NULL)[0], "p");
  assert_true (sluice_options_set_from_setting (o, config_setting_get_member (g, "lexicon"), "p.cfg", NULL));
  assert_true (sluice_options_check_required (o, NULL, NULL));
  sluice_options_free (o);
  config_destroy (&cfg);
}

static void
test_harness (void **state)
{
  GError *e = NULL;
  const char *missing[] = { NULL };
  assert_null (sluice_harness_new (&desc, NULL, missing, &e));
  assert_non_null (strstr (e->message, "required option 'lexicon'"));
  g_clear_error (&e);
  const char *bad[] = { "lexicon", "fail", NULL };
  assert_null (sluice_harness_new (&desc, NULL, bad, &e));
  assert_non_null (strstr (e->message, "lexicon:3: bad entry"));
  g_clear_error (&e);
  const char *good[] = { "lexicon", "x", "max_junk_words", "42", NULL };
  SluiceHarness *h = sluice_harness_new (&desc, "/tmp", good, &e);
  assert_non_null (h);
  SluiceDocument *d = sluice_harness_run (h, "héllo", &e);
  assert_non_null (d);
  SluiceAnnotation *a = sluice_document_find_annotation (d, "ALL", "héllo");
  assert_non_null (a);
  assert_string_equal (sluice_annotation_get_stage (a), "opt");
  assert_int_equal (sluice_attrs_get_int (sluice_annotation_get_attrs (a), "max", 0), 42);
  sluice_document_free (d);
  sluice_harness_free (h);
}

static void
test_suggest (void **state)
{
  const char *c[] = { "clean", "entities", "numbers", "translit" };
  assert_string_equal (sluice_suggest ("nubmers", c, 4), "numbers");
  assert_string_equal (sluice_suggest ("Clean", c, 4), "clean");
  assert_null (sluice_suggest ("zzzzzz", c, 4));
  const char *d[] = { "count", "opts" };
  assert_string_equal (sluice_suggest ("cuont", d, 2), "count");
  assert_string_equal (sluice_suggest ("opst", d, 2), "opts");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_defaults_and_accessors),
    cmocka_unit_test (test_text_validation),
    cmocka_unit_test (test_setting_validation),
    cmocka_unit_test (test_harness),
    cmocka_unit_test (test_suggest),
  };
  return cmocka_run_group_tests_name ("options", tests, NULL, NULL);
}
