/* sluice — fuzz target: the pipeline-file loader.
 *
 * The input is written to a temporary pipeline file and loaded with
 * sluice_pipeline_load(), with the build tree's plugins on the plugin path
 * (FUZZ_PLUGIN_DIR).  It must return a pipeline or an error, never both,
 * never neither, never crash.  A pipeline must be well formed (every stage
 * named, loaded, with options); an error must carry a message.  Stages are
 * not created (create() reads data files, which is the stages' business).
 *
 * Next to the pipeline file lies `inc.cfg`, a valid stage entry, so that the
 * corpus can exercise libconfig's @include.  The set of stages kept (`only`)
 * depends on the input's length: none given, {"clean"}, or
 * {"nosuch", "latin"}. */
#include "core.h"
#include "fuzz.h"
#include <glib/gstdio.h>
#include <string.h>

static char *tmp_dir;
static char *cfg_path;
static char *inc_path;

static void
cleanup (void)
{
  if (cfg_path)
    g_unlink (cfg_path);
  if (inc_path)
    g_unlink (inc_path);
  if (tmp_dir)
    g_rmdir (tmp_dir);
}

static void
setup (void)
{
  if (tmp_dir)
    return;
  GError *error = NULL;
  tmp_dir = g_dir_make_tmp ("sluice-fuzz-XXXXXX", &error);
  FUZZ_ASSERT (tmp_dir != NULL, "%s", error->message);
  g_chmod (tmp_dir, 0700);
  cfg_path = g_build_filename (tmp_dir, "pipeline.cfg", NULL);
  inc_path = g_build_filename (tmp_dir, "inc.cfg", NULL);
  static const char inc[] = "{ plugin = \"numbers\"; name = \"n2\"; vague = false; }\n";
  FUZZ_ASSERT (g_file_set_contents (inc_path, inc, -1, &error), "%s", error->message);
  atexit (cleanup);
  fuzz_on_fail = cleanup;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_init ();
  setup ();
  GError *error = NULL;
  if (!g_file_set_contents (cfg_path, (const char *) data, (gssize) size, &error))
    fuzz_fail (__FILE__, __LINE__, "cannot write %s: %s", cfg_path, error->message);

  static const char *const only_clean[] = { "clean", NULL };
  static const char *const only_two[] = { "nosuch", "latin", NULL };
  const char *const *only = size % 3 == 1 ? only_clean : size % 3 == 2 ? only_two : NULL;
  const char *const plugin_path[] = { FUZZ_PLUGIN_DIR, NULL };

  SluicePipeline *p = sluice_pipeline_load (cfg_path, only, plugin_path, &error);
  if (p == NULL)
    {
      FUZZ_ASSERT (error != NULL, "no pipeline and no error");
      FUZZ_ASSERT (error->message && *error->message, "an error without a message");
      if (!g_utf8_validate (error->message, -1, NULL))
        {
          char *esc = g_strescape (error->message, NULL);
          fuzz_fail (__FILE__, __LINE__, "error message is not UTF-8: \"%s\"", esc);
        }
      g_error_free (error);
      return 0;
    }
  FUZZ_ASSERT (error == NULL, "a pipeline and an error: %s", error->message);
  FUZZ_ASSERT (p->stages != NULL, "pipeline without a stage array");
  FUZZ_ASSERT (p->max_document_bytes > 0, "max_document_bytes is 0");
  for (guint i = 0; i < p->stages->len; i++)
    {
      SluiceStageInstance *st = g_ptr_array_index (p->stages, i);
      FUZZ_ASSERT (st && st->name && *st->name, "stage %u without a name", i);
      FUZZ_ASSERT (st->plugin && st->plugin->desc && st->plugin->desc->process,
                   "stage '%s' without a loaded plugin", st->name);
      FUZZ_ASSERT (st->options != NULL, "stage '%s' without options", st->name);
      FUZZ_ASSERT (!st->created && st->instance == NULL, "stage '%s' created by load", st->name);
      FUZZ_ASSERT (strcmp (sluice_options_get_stage_name (st->options), st->name) == 0,
                   "stage '%s': options name it '%s'", st->name,
                   sluice_options_get_stage_name (st->options));
      for (guint j = 0; j < i; j++)
        {
          SluiceStageInstance *o = g_ptr_array_index (p->stages, j);
          FUZZ_ASSERT (strcmp (o->name, st->name) != 0, "two stages named '%s'", st->name);
        }
    }
  if (p->warnings)
    for (guint i = 0; i < p->warnings->len; i++)
      {
        char *esc = g_strescape (p->warnings->pdata[i], NULL);
        FUZZ_ASSERT (g_utf8_validate (p->warnings->pdata[i], -1, NULL), "warning is not UTF-8: \"%s\"", esc);
        g_free (esc);
      }
  sluice_pipeline_free (p);
  return 0;
}
