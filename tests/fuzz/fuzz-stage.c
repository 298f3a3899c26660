/* sluice — fuzz target: one bundled stage's process() through the harness.
 *
 * Compiled once per stage with the stage's sources linked in:
 *   -DFUZZ_STAGE_CLEAN / _ENTITIES / _NUMBERS / _TRANSLIT
 *   -DFUZZ_DATA_DIR="<builddir>/plugins/<name>/data"
 *
 * Input layout:
 *   byte 0      which option set (below), modulo their number
 *   byte 1      flags: 1 = add bracket annotations ("[...]" -> PERSON,
 *               LOCATION, ..., '|' -> empty MARK) before the stage runs,
 *               2 = keep views, 4 = run the stage a second time on its output
 *   the rest    the text (invalid UTF-8 and NULs are replaced, as the reader does)
 *
 * Checks: process() returns OK, or DOC_ERROR with a message (never FATAL);
 * the document invariants and the JSON round trip hold (fuzz_check_document);
 * a stage without SLUICE_STAGE_REWRITES_TEXT (and translit outside replace
 * mode) leaves the text byte for byte unchanged; translit's entities mode
 * adds no annotation. */
#include "fuzz.h"
#include <sluice/harness.h>
#include <string.h>

typedef struct {
  gboolean replaces;          /* may rewrite the text */
  gboolean no_new_annotations;
  const char *opts[16];
} Config;

static const Config configs[] = {
#if defined(FUZZ_STAGE_CLEAN)
  { TRUE, FALSE, { NULL } },
  { TRUE, FALSE, { "report", "true", "fold_quotes", "true", "fold_dashes", "true", NULL } },
  { TRUE, FALSE, { "nfc", "false", "join_wraps", "false", "dehyphenate", "false",
                   "drop_junk", "false", "map_spaces", "false", "quote_space", "false", NULL } },
  { TRUE, FALSE, { "newlines", "false", "strip_controls", "false", "collapse_spaces", "false",
                   "blank_lines", "false", "decode_entities", "false",
                   "join_broken_paragraphs", "false", NULL } },
  { TRUE, FALSE, { "extract_title", "false", "extract_byline", "false", "extract_date", "false",
                   "extract_outlet", "false", "dedupe_title", "false", NULL } },
#elif defined(FUZZ_STAGE_ENTITIES)
  { FALSE, FALSE, { NULL } },
  { FALSE, FALSE, { "guess_persons", "false", NULL } },
  { FALSE, FALSE, { "types", "PERSON,DATE", NULL } },
  { FALSE, FALSE, { "types", "LOCATION,ORGANIZATION,MISC", "guess_persons", "false", NULL } },
#elif defined(FUZZ_STAGE_NUMBERS)
  { FALSE, FALSE, { NULL } },
  { FALSE, FALSE, { "vague", "false", NULL } },
  { FALSE, FALSE, { "max_numbers", "3", NULL } },
#elif defined(FUZZ_STAGE_TRANSLIT)
  { FALSE, FALSE, { NULL } },                                            /* bgn-pcgn auto annotate */
  { TRUE, FALSE, { "mode", "replace", NULL } },                          /* bgn-pcgn auto replace */
  { TRUE, FALSE, { "scheme", "iso9", "lang", "ru", "mode", "replace", NULL } },
  { TRUE, FALSE, { "scheme", "ala-lc", "lang", "auto", "mode", "replace", "ascii", "true", NULL } },
  { TRUE, FALSE, { "scheme", "ascii", "mode", "replace", NULL } },
  { FALSE, TRUE, { "mode", "entities", NULL } },
  { FALSE, FALSE, { "scheme", "gost-7.79-b", "lang", "ru", NULL } },
  { TRUE, FALSE, { "scheme", "ala-lc", "lang", "hy", "mode", "replace", NULL } },
  { TRUE, FALSE, { "scheme", "bgn-pcgn", "lang", "ka", "mode", "replace", NULL } },
  { TRUE, FALSE, { "scheme", "ala-lc", "lang", "ar", "mode", "replace", NULL } },
  { TRUE, FALSE, { "scheme", "elot-743", "lang", "el", "mode", "replace", NULL } },
  { FALSE, FALSE, { "scheme", "ala-lc", "lang", "fa", "ascii", "true", NULL } },
  { TRUE, FALSE, { "scheme", "wikipedia", "lang", "ru", "mode", "replace", "ascii", "true", NULL } },
  { FALSE, TRUE, { "scheme", "iso9", "lang", "uk", "mode", "entities", "ascii", "true", NULL } },
#else
#error "define FUZZ_STAGE_<NAME>"
#endif
};

#define N_CONFIGS G_N_ELEMENTS (configs)
static SluiceHarness *harnesses[N_CONFIGS];

static SluiceHarness *
get_harness (guint k)
{
  if (harnesses[k] == NULL)
    {
      GError *error = NULL;
      harnesses[k] = sluice_harness_new (sluice_stage_descriptor (), FUZZ_DATA_DIR,
                                         configs[k].opts, &error);
      if (harnesses[k] == NULL)
        fuzz_fail (__FILE__, __LINE__, "option set %u: harness: %s", k, error->message);
    }
  return harnesses[k];
}

static void
run_once (SluiceHarness *h, SluiceDocument *doc, const Config *cfg)
{
  gsize len0 = 0;
  char *before = g_strdup (sluice_document_get_text (doc, &len0));
  guint n0 = sluice_document_get_n_annotations (doc);

  GError *error = NULL;
  SluiceStatus st = sluice_harness_process (h, doc, &error);
  FUZZ_ASSERT (st != SLUICE_FATAL, "process() returned SLUICE_FATAL: %s",
               error ? error->message : "(no message)");
  if (st == SLUICE_DOC_ERROR)
    {
      FUZZ_ASSERT (error && error->message && *error->message, "DOC_ERROR without a message");
      g_error_free (error);
    }
  else
    FUZZ_ASSERT (st == SLUICE_OK && error == NULL, "status %d, error %s", st,
                 error ? error->message : "(none)");

  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  gboolean rewrites = (sluice_stage_descriptor ()->flags & SLUICE_STAGE_REWRITES_TEXT) != 0;
  if (!rewrites || !cfg->replaces)
    FUZZ_ASSERT (len == len0 && memcmp (text, before, len) == 0,
                 "the text changed although this stage/mode does not rewrite it");
  if (cfg->no_new_annotations)
    FUZZ_ASSERT (sluice_document_get_n_annotations (doc) == n0,
                 "%u annotations added in a mode that adds none",
                 sluice_document_get_n_annotations (doc) - n0);
  g_free (before);
  fuzz_check_document (doc);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_init ();
  FuzzInput in = { data, size };
  guint k = fuzz_byte (&in) % N_CONFIGS;
  guint flags = fuzz_byte (&in);
  SluiceHarness *h = get_harness (k);

  SluiceDocument *doc = fuzz_document_from_bytes (in.p, in.n, (flags & 1) != 0);
  if (flags & 2)
    sluice_document_set_keep_views (doc, TRUE);
  fuzz_check_invariants (doc);
  run_once (h, doc, &configs[k]);
  if (flags & 4)
    run_once (h, doc, &configs[k]);
  sluice_document_free (doc);
  return 0;
}
