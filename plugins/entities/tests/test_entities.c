#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sluice/sluice.h>

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static void
test_basic (void **state)
{
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), ENTITIES_DATA_DIR, NULL, &error);
  assert_non_null (h);
  SluiceDocument *doc = sluice_harness_run (h, "President Ilham Aliyev visited Baku.", &error);
  assert_non_null (sluice_document_find_annotation (doc, "PERSON", "Ilham Aliyev"));
  sluice_document_free (doc);
  sluice_harness_free (h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test (test_basic) };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
