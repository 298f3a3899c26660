/* Unit tests of the keywords stage through the sluice test harness: the
 * stage is created from its descriptor with options given as strings, run
 * on a text, and its annotations inspected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sluice/sluice.h>
#include <string.h>

/* Defined by SLUICE_STAGE_DEFINE in src/keywords.c, compiled into this test. */
const SluiceStageDescriptor *sluice_stage_descriptor (void);

static const char *test_words = TEST_DIR "/words.txt";

/* A harness for the stage with these options (NULL-terminated pairs). */
static SluiceHarness *
make (const char *const *options)
{
  GError *e = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), DATA_DIR, options, &e);
  if (h == NULL)
    fail_msg ("create failed: %s", e->message);
  return h;
}

static SluiceDocument *
run (SluiceHarness *h, const char *text)
{
  GError *e = NULL;
  SluiceDocument *doc = sluice_harness_run (h, text, &e);
  assert_null (e);
  assert_non_null (doc);
  return doc;
}

/* The matched texts, comma-separated, in order. */
static char *
matches (SluiceDocument *doc, const char *type)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++)
    {
      SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
      if (strcmp (sluice_annotation_get_type (a), type) != 0)
        continue;
      g_autofree char *t = sluice_annotation_dup_text (doc, a);
      g_string_append_printf (s, "%s%s", s->len ? "," : "", t);
    }
  return g_string_free (s, FALSE);
}

static void
test_default_word_list (void **state G_GNUC_UNUSED)
{
  SluiceHarness *h = make (NULL);
  SluiceDocument *doc = run (h, "Each Stage of the pipeline is a plugin.");
  g_autofree char *m = matches (doc, "KEYWORD");
  assert_string_equal (m, "Stage,pipeline,plugin");
  assert_int_equal (sluice_attrs_get_int (sluice_document_get_meta (doc), "keywords_found", -1), 3);
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_whole_words_ignoring_case (void **state G_GNUC_UNUSED)
{
  const char *opts[] = { "words_file", test_words, NULL };
  SluiceHarness *h = make (opts);
  SluiceDocument *doc = run (h, "ALPHA, alphabet, beta-blocker; Alpha42 and 42.");
  g_autofree char *m = matches (doc, "KEYWORD");
  /* "alphabet" and "Alpha42" are other words; "beta" inside "beta-blocker"
   * is a word of its own. */
  assert_string_equal (m, "ALPHA,beta,42");
  /* The attribute gives the word as listed. */
  SluiceAnnotation *a = sluice_document_find_annotation (doc, "KEYWORD", "beta");
  assert_non_null (a);
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "keyword"), "Beta");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_unicode_case_folding (void **state G_GNUC_UNUSED)
{
  const char *opts[] = { "words_file", test_words, NULL };
  SluiceHarness *h = make (opts);
  SluiceDocument *doc = run (h, "L'ÉCOLE est dans la STRASSE, pas l'écoles.");
  g_autofree char *m = matches (doc, "KEYWORD");
  assert_string_equal (m, "ÉCOLE,STRASSE");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_case_sensitive_and_type (void **state G_GNUC_UNUSED)
{
  const char *opts[] = { "words_file", test_words, "case_sensitive", "true",
                         "type", "TERM", NULL };
  SluiceHarness *h = make (opts);
  SluiceDocument *doc = run (h, "alpha Alpha beta Beta école ÉCOLE");
  g_autofree char *m = matches (doc, "TERM");
  assert_string_equal (m, "alpha,Beta,école");
  g_autofree char *none = matches (doc, "KEYWORD");
  assert_string_equal (none, "");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_empty_and_wordless_texts (void **state G_GNUC_UNUSED)
{
  const char *opts[] = { "words_file", test_words, NULL };
  SluiceHarness *h = make (opts);
  const char *texts[] = { "", " ", "...!?", "\xe2\x80\x94", "alpha" };
  guint expect[] = { 0, 0, 0, 0, 1 };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      SluiceDocument *doc = run (h, texts[i]);
      assert_int_equal (sluice_document_get_n_annotations (doc), expect[i]);
      sluice_document_free (doc);
    }
  sluice_harness_free (h);
}

static void
test_bad_word_list (void **state G_GNUC_UNUSED)
{
  GError *e = NULL;
  g_autofree char *bad = g_build_filename (TEST_DIR, "bad-phrase.txt", NULL);
  const char *opts[] = { "words_file", bad, NULL };
  assert_null (sluice_harness_new (sluice_stage_descriptor (), DATA_DIR, opts, &e));
  assert_non_null (e);
  g_autofree char *where = g_strdup_printf ("%s:3:", bad);
  assert_non_null (strstr (e->message, where));
  assert_non_null (strstr (e->message, "'two words' is not a single word"));
  g_clear_error (&e);

  const char *missing[] = { "words_file", "/nonexistent/words.txt", NULL };
  assert_null (sluice_harness_new (sluice_stage_descriptor (), DATA_DIR, missing, &e));
  assert_non_null (e);
  assert_non_null (strstr (e->message, "/nonexistent/words.txt"));
  g_clear_error (&e);

  /* Options are validated against the table before create(). */
  const char *typo[] = { "case_sensitiv", "true", NULL };
  assert_null (sluice_harness_new (sluice_stage_descriptor (), DATA_DIR, typo, &e));
  assert_non_null (e);
  assert_non_null (strstr (e->message, "case_sensitive"));
  g_clear_error (&e);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_default_word_list),
    cmocka_unit_test (test_whole_words_ignoring_case),
    cmocka_unit_test (test_unicode_case_folding),
    cmocka_unit_test (test_case_sensitive_and_type),
    cmocka_unit_test (test_empty_and_wordless_texts),
    cmocka_unit_test (test_bad_word_list),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
