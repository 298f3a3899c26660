/* sluice — a one-stage test harness for stage authors.
 *
 * No pipeline file, no dlopen: create a stage straight from its descriptor
 * with options given as strings, run it on a text, inspect the annotations.
 *
 *     const char *opts[] = { "scheme", "iso9", "lang", "ru", NULL };
 *     g_autoptr (GError) error = NULL;
 *     SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (),
 *                                            DATA_DIR, opts, &error);
 *     SluiceDocument *doc = sluice_harness_run (h, "Щука", &error);
 *     ... sluice_document_get_text (doc, NULL) ...
 *     sluice_document_free (doc);
 *     sluice_harness_free (h);
 *
 * Options go through the same validation as a pipeline file's (unknown names,
 * types, ranges, choices), with values parsed from text according to the
 * option's declared type: "true"/"false", numbers, and comma-separated lists.
 */
#ifndef SLUICE_HARNESS_H
#define SLUICE_HARNESS_H

#include <sluice/stage.h>

G_BEGIN_DECLS

typedef struct _SluiceHarness SluiceHarness;

/* `options`: NULL-terminated name, value, name, value, ...; may be NULL.
 * `data_dir`: the stage's data directory (NULL: the installed one).
 * NULL with `error` set when validation or create() fails. */
SluiceHarness *sluice_harness_new (const SluiceStageDescriptor *descriptor,
                                   const char *data_dir,
                                   const char *const *options,
                                   GError **error);
/* Runs the stage on a new document holding `text` (id "test").  Returns the
 * document (free with sluice_document_free()), or NULL with `error` set when
 * the stage returned SLUICE_DOC_ERROR or SLUICE_FATAL. */
SluiceDocument *sluice_harness_run (SluiceHarness *harness, const char *text, GError **error);
/* Runs the stage on a document the caller built (e.g. with metadata or
 * annotations from an earlier stage). */
SluiceStatus sluice_harness_process (SluiceHarness *harness, SluiceDocument *doc, GError **error);
const SluiceOptions *sluice_harness_get_options (SluiceHarness *harness);
void sluice_harness_free (SluiceHarness *harness);

G_END_DECLS

#endif /* SLUICE_HARNESS_H */
