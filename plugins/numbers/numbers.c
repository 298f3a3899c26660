/* numbers — the stage: NUMBER annotations with value, kind, qualifier, unit, currency.
 * The grammar lives in numbers-scan.c, the words in data/<lang>.txt. */
#include <sluice/sluice.h>
#include <math.h>
#include <string.h>

#include "numbers-lexicon.h"
#include "numbers-scan.h"

typedef struct {
  NumLexicon *lx;
  NumScanOptions scan;
} Numbers;

static const SluiceOptionSpec options[] = {
  { "lang", SLUICE_OPTION_STRING, "en", FALSE, 0, 0, NULL,
    "Language of the number words: reads data/<lang>.txt from the stage's data directory" },
  { "lexicon", SLUICE_OPTION_STRING, NULL, FALSE, 0, 0, NULL,
    "A lexicon file to use instead of data/<lang>.txt (relative to the pipeline file)" },
  { "vague", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Also annotate vague counts (\"dozens\", \"hundreds of thousands\") with qualifier approx" },
  { "max_numbers", SLUICE_OPTION_INT, "100000", FALSE, 0, 1e9, NULL,
    "At most this many NUMBER annotations per document (0: no limit); a warning says when "
    "a document hit the limit" },
  { NULL }
};

static const char *const produces[] = { "NUMBER", NULL };
static const char *const produces_meta[] = { "warnings", NULL };

static gpointer
numbers_create (const SluiceOptions *opts, GError **error)
{
  const char *lang = sluice_options_get_string (opts, "lang");
  const char *lexicon = sluice_options_get_string (opts, "lexicon");
  g_autofree char *path = NULL;
  if (lang == NULL || lang[0] == '\0' || strchr (lang, '/') || strchr (lang, '.')) {
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, "numbers: bad lang '%s'",
                 lang ? lang : "");
    return NULL;
  }
  if (lexicon && lexicon[0])
    path = sluice_options_resolve_path (opts, lexicon);
  else {
    g_autofree char *file = g_strdup_printf ("%s.txt", lang);
    path = g_build_filename (sluice_options_get_data_dir (opts), file, NULL);
  }
  NumLexicon *lx = num_lexicon_load (path, lang, error);
  if (lx == NULL)
    return NULL;
  Numbers *nb = g_new0 (Numbers, 1);
  nb->lx = lx;
  nb->scan.vague = sluice_options_get_bool (opts, "vague");
  nb->scan.max_items = (guint) sluice_options_get_int (opts, "max_numbers");
  return nb;
}

static void
set_num (SluiceAttrs *attrs, const char *key, double v)
{
  if (isnan (v))
    sluice_attrs_set_null (attrs, key);
  else if (num_is_integral (v) && fabs (v) < 9007199254740992.0)
    sluice_attrs_set_int (attrs, key, (gint64) v);
  else
    sluice_attrs_set_double (attrs, key, v);
}

static void
emit (const NumItem *it, gpointer user_data)
{
  SluiceDocument *doc = user_data;
  SluiceAnnotation *ann = sluice_document_add_annotation (doc, "NUMBER", it->start, it->end);
  if (ann == NULL)
    return;
  SluiceAttrs *a = sluice_annotation_get_attrs (ann);
  set_num (a, "value", it->kind == NK_RANGE ? NAN : it->value);
  sluice_attrs_set_static_string (a, "kind", num_kind_name (it->kind));
  if (it->kind == NK_RANGE) {
    set_num (a, "min", it->min);
    set_num (a, "max", it->max);
    if (it->min_open)
      sluice_attrs_set_bool (a, "min_inclusive", FALSE);
    if (it->max_open)
      sluice_attrs_set_bool (a, "max_inclusive", FALSE);
    if (it->percent)
      sluice_attrs_set_bool (a, "percent", TRUE);
  }
  sluice_attrs_set_static_string (a, "qualifier", num_qual_name (it->qual));
  /* the currency and its unit are the lexicon's strings, which live as long as the
   * instance: no copy */
  if (it->unit_lx)
    sluice_attrs_set_static_string (a, "unit", it->unit_lx);
  else if (it->unit[0])
    sluice_attrs_set_string (a, "unit", it->unit);
  if (it->currency_lx)
    sluice_attrs_set_static_string (a, "currency", it->currency_lx);
  else if (it->currency[0])
    sluice_attrs_set_string (a, "currency", it->currency);
  if (it->vague)
    sluice_attrs_set_bool (a, "vague", TRUE);
}

static SluiceStatus
numbers_process (gpointer instance, SluiceDocument *doc, GError **error)
{
  Numbers *nb = instance;
  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  if (!num_scan (nb->lx, &nb->scan, text, len, emit, doc))
    sluice_document_add_warning (doc, "numbers: more than %u numbers; the rest of the text was "
                                 "not scanned (option max_numbers)", nb->scan.max_items);
  return SLUICE_OK;
}

static void
numbers_destroy (gpointer instance)
{
  Numbers *nb = instance;
  if (nb == NULL)
    return;
  num_lexicon_free (nb->lx);
  g_free (nb);
}

SLUICE_STAGE_DEFINE (
  .name = "numbers",
  .version = "0.1.0",
  .license = "MIT",
  .summary = "Numbers in digits and words: value, kind, qualifier, counted unit, currency",
  .options = options,
  .produces = produces,
  .produces_meta = produces_meta,
  .create = numbers_create,
  .process = numbers_process,
  .destroy = numbers_destroy)
