/* sluice — the one-stage test harness (include/sluice/harness.h). */
#include "core.h"
#include "sluice-config.h"
#define SLUICE_DATADIR_FALLBACK SLUICE_DATADIR

struct _SluiceHarness {
  const SluiceStageDescriptor *desc;
  SluiceOptions *options;
  gpointer instance;
};

SluiceHarness *
sluice_harness_new (const SluiceStageDescriptor *desc, const char *data_dir,
                    const char *const *options, GError **error)
{
  g_return_val_if_fail (desc != NULL, NULL);
  if (!sluice_descriptor_check (desc, "harness", error))
    return NULL;
  g_autofree char *dir = data_dir ? g_strdup (data_dir)
                                  : g_build_filename (SLUICE_DATADIR_FALLBACK, desc->name, NULL);
  g_autofree char *cwd = g_get_current_dir ();
  SluiceOptions *opts = sluice_options_new (desc, desc->name, dir, cwd, error);
  if (opts == NULL)
    return NULL;
  for (guint i = 0; options && options[i]; i += 2)
    {
      if (options[i + 1] == NULL)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                       "harness: option '%s' has no value", options[i]);
          sluice_options_free (opts);
          return NULL;
        }
      if (!sluice_options_set_from_string (opts, options[i], options[i + 1], NULL, error))
        {
          sluice_options_free (opts);
          return NULL;
        }
    }
  if (!sluice_options_check_required (opts, "harness", error))
    {
      sluice_options_free (opts);
      return NULL;
    }
  gpointer instance = NULL;
  if (desc->create)
    {
      GError *e = NULL;
      instance = desc->create (opts, &e);
      if (e)
        {
          g_propagate_error (error, e);
          sluice_options_free (opts);
          return NULL;
        }
    }
  SluiceHarness *h = g_new0 (SluiceHarness, 1);
  h->desc = desc;
  h->options = opts;
  h->instance = instance;
  return h;
}

SluiceStatus
sluice_harness_process (SluiceHarness *h, SluiceDocument *doc, GError **error)
{
  g_return_val_if_fail (h != NULL && doc != NULL, SLUICE_FATAL);
  sluice_document_set_current_stage (doc, h->desc->name);
  GError *e = NULL;
  SluiceStatus st = h->desc->process (h->instance, doc, &e);
  sluice_document_set_current_stage (doc, NULL);
  if (st != SLUICE_OK && e == NULL)
    g_set_error (&e, SLUICE_ERROR, SLUICE_ERROR_FAILED, "stage '%s' failed without saying why",
                 h->desc->name);
  if (st == SLUICE_OK)
    g_clear_error (&e);
  else
    g_propagate_error (error, e);
  return st;
}

SluiceDocument *
sluice_harness_run (SluiceHarness *h, const char *text, GError **error)
{
  g_return_val_if_fail (h != NULL, NULL);
  SluiceDocument *doc = sluice_document_new ("test", text, -1);
  if (sluice_harness_process (h, doc, error) != SLUICE_OK)
    {
      sluice_document_free (doc);
      return NULL;
    }
  return doc;
}

const SluiceOptions *
sluice_harness_get_options (SluiceHarness *h)
{
  g_return_val_if_fail (h != NULL, NULL);
  return h->options;
}

void
sluice_harness_free (SluiceHarness *h)
{
  if (h == NULL)
    return;
  if (h->desc->destroy)
    h->desc->destroy (h->instance);
  sluice_attrs_forget_static ();
  sluice_options_free (h->options);
  g_free (h);
}
