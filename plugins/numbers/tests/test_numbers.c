#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sluice/sluice.h>

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static void
test_smoke (void **state)
{
  (void) state;
  g_autoptr (GError) error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), NUMBERS_DATA_DIR, NULL, &error);
  assert_non_null (h);
  SluiceDocument *doc = sluice_harness_run (h, "613 people", &error);
  assert_non_null (doc);
  assert_non_null (sluice_document_find_annotation (doc, "NUMBER", "613"));
  sluice_document_free (doc);
  sluice_harness_free (h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_smoke),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
