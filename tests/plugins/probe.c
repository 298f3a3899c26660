/* Test stage for crash isolation (isolate = true; tests/e2e/sdk/).
 *
 * A document whose text contains one of these words makes it misbehave:
 *   SEGV   writes through a NULL pointer (SIGSEGV)
 *   ABORT  calls abort() (SIGABRT)
 *   HANG   sleeps forever (the core's timeout_ms must kill it)
 *   EXIT   calls exit(7) in the middle of the document
 *   FAIL   returns SLUICE_DOC_ERROR with a GError (an ordinary failure)
 * Any other document is processed normally, exercising everything the
 * isolation protocol must carry back:
 *   - with fix = true, a rewrite replaces each "&amp;" with "&" (annotations
 *     of earlier stages must be projected onto the new text);
 *   - each word "probe" becomes a PROBE annotation whose attrs hold one value
 *     of every type;
 *   - meta: probe_isolated (bool: running in another process than the one
 *     that called create()), probe_count (int).
 * With print = true it also prints to stdout, which must not reach the
 * output of an isolated run. */
#include <sluice/sluice.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const SluiceOptionSpec probe_options[] = {
  { "fix", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL, "Replace &amp; with &" },
  { "print", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL, "Print to stdout while processing" },
  { NULL }
};
static const char *const probe_produces[] = { "PROBE", NULL };
static const char *const probe_meta[] = { "probe_isolated", "probe_count", NULL };

typedef struct {
  pid_t create_pid;
  gboolean fix;
  gboolean print;
} Probe;

static gpointer
probe_create (const SluiceOptions *options, GError **error)
{
  Probe *p = g_new0 (Probe, 1);
  p->create_pid = getpid ();
  p->fix = sluice_options_get_bool (options, "fix");
  p->print = sluice_options_get_bool (options, "print");
  return p;
}

static void
probe_destroy (gpointer instance)
{
  g_free (instance);
}

/* Defeats the compiler's knowledge that the pointer is NULL. */

static SluiceStatus
probe_process (gpointer instance, SluiceDocument *doc, GError **error)
{
  const Probe *p = instance;
  gsize len;
  const char *text = sluice_document_get_text (doc, &len);

  if (strstr (text, "SEGV"))
    raise (SIGSEGV);   /* a real segfault, without undefined behaviour that
                          UBSan would stop first in sanitizer builds */
  if (strstr (text, "ABORT"))
    abort ();
  if (strstr (text, "HANG"))
    for (;;)
      pause ();
  if (strstr (text, "EXIT"))
    exit (7);   /* exit(), not _exit(): it would flush inherited stdio buffers */
  if (strstr (text, "FAIL"))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "probe refused document '%s'",
                   sluice_document_get_id (doc));
      return SLUICE_DOC_ERROR;
    }
  if (p->print)
    {
      printf ("probe was here\n");
      fflush (stdout);
    }

  if (p->fix && strstr (text, "&amp;"))
    {
      SluiceRewriter *rw = sluice_rewriter_new (doc);
      const char *s = text;
      const char *hit;
      while ((hit = strstr (s, "&amp;")))
        {
          sluice_rewriter_keep (rw, (gsize) (hit - text));
          sluice_rewriter_replace (rw, (gsize) (hit - text) + 5, "&", 1);
          s = hit + 5;
        }
      if (!sluice_rewriter_commit (rw, error))
        return SLUICE_DOC_ERROR;
      text = sluice_document_get_text (doc, &len);
    }

  gint64 n = 0;
  for (const char *s = text; (s = strstr (s, "probe")); s += 5)
    {
      SluiceAnnotation *a = sluice_document_add_annotation (doc, "PROBE", (gsize) (s - text),
                                                            (gsize) (s - text) + 5);
      SluiceAttrs *at = sluice_annotation_get_attrs (a);
      const char *list[] = { "x", "y\"z", "ünï", NULL };
      sluice_attrs_set_string (at, "s", "tab\there");
      sluice_attrs_set_int (at, "i", -n - 1);
      sluice_attrs_set_double (at, "d", 0.25 + (double) n);
      sluice_attrs_set_bool (at, "b", n % 2 == 0);
      sluice_attrs_set_null (at, "z");
      sluice_attrs_set_string_list (at, "l", list, -1);
      sluice_attrs_set_json (at, "j", "{\"k\":[1,2]}");
      n++;
    }
  SluiceAttrs *meta = sluice_document_get_meta (doc);
  sluice_attrs_set_bool (meta, "probe_isolated", getpid () != p->create_pid);
  sluice_attrs_set_int (meta, "probe_count", n);
  return SLUICE_OK;
}

SLUICE_STAGE_DEFINE (
  .name = "probe", .version = "1.0.0", .license = "MIT",
  .summary = "misbehaves on request: crash-isolation test stage",
  .flags = SLUICE_STAGE_REWRITES_TEXT,
  .options = probe_options, .produces = probe_produces, .produces_meta = probe_meta,
  .create = probe_create, .process = probe_process, .destroy = probe_destroy)
