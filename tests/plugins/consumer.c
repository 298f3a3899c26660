/* Test stage that consumes TAGGED annotations (made by the opts test
 * stage): the pipeline's order check must put it after opts. */
#include <sluice/sluice.h>

static const char *const consumer_consumes[] = { "TAGGED", NULL };
static const char *const consumer_meta[] = { "tagged_count", NULL };

static SluiceStatus
consumer_process (gpointer instance, SluiceDocument *doc, GError **error)
{
  gint64 n = 0;
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++)
    if (g_strcmp0 (sluice_annotation_get_type (sluice_document_get_annotation (doc, i)),
                   "TAGGED") == 0)
      n++;
  sluice_attrs_set_int (sluice_document_get_meta (doc), "tagged_count", n);
  return SLUICE_OK;
}

SLUICE_STAGE_DEFINE (
  .name = "consumer", .version = "1.0.0", .license = "MIT",
  .summary = "test stage counting TAGGED annotations",
  .consumes = consumer_consumes, .produces_meta = consumer_meta,
  .process = consumer_process)
