/* Test stage with an option table covering every option type, a choice
 * list, ranges and a required option: pipeline-file validation tests
 * (tests/test_loader.c).  It tags the whole text as TAGGED. */
#include <sluice/sluice.h>

static const SluiceOptionSpec opts_options[] = {
  { "mode", SLUICE_OPTION_STRING, "fast", FALSE, 0, 0, "fast|slow", "How hard to try" },
  { "count", SLUICE_OPTION_INT, "3", FALSE, 1, 10, NULL, "How many times" },
  { "ratio", SLUICE_OPTION_DOUBLE, "0.5", FALSE, 0, 1, NULL, "A fraction" },
  { "verbose", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL, "Say more" },
  { "words", SLUICE_OPTION_STRING_LIST, "a,b", FALSE, 0, 0, NULL, "Some words" },
  { "label", SLUICE_OPTION_STRING, NULL, TRUE, 0, 0, NULL, "Required label" },
  { NULL }
};
static const char *const opts_produces[] = { "TAGGED", NULL };

static SluiceStatus
opts_process (gpointer instance, SluiceDocument *doc, GError **error)
{
  const SluiceOptions *o = instance;
  gsize len;
  sluice_document_get_text (doc, &len);
  SluiceAnnotation *a = sluice_document_add_annotation (doc, "TAGGED", 0, len);
  if (a)
    {
      sluice_attrs_set_string (sluice_annotation_get_attrs (a), "label",
                               sluice_options_get_string (o, "label"));
      sluice_attrs_set_int (sluice_annotation_get_attrs (a), "count",
                            sluice_options_get_int (o, "count"));
    }
  return SLUICE_OK;
}

/* The options outlive the instance (the core frees them after destroy), so
 * the instance may simply be the options. */
static gpointer
opts_create (const SluiceOptions *options, GError **error)
{
  return (gpointer) options;
}

SLUICE_STAGE_DEFINE (
  .name = "opts", .version = "1.0.0", .license = "MIT",
  .summary = "test stage with one option of every type",
  .options = opts_options, .produces = opts_produces,
  .create = opts_create, .process = opts_process)
