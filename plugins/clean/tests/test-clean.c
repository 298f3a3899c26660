/* Unit tests of the clean stage (filled in below). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sluice/sluice.h>
#include <sluice/harness.h>

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static void
test_smoke (void **state)
{
  (void) state;
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), CLEAN_DATA_DIR, NULL, &error);
  assert_non_null (h);
  SluiceDocument *doc = sluice_harness_run (h, "a  b\r\n", &error);
  assert_string_equal (sluice_document_get_text (doc, NULL), "a b");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test (test_smoke) };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
