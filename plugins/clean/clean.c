/* sluice clean stage — scraped feed text into clean paragraphs, with title,
 * byline, date and outlet in meta.  See README.md for the rules. */
#include "clean-private.h"
#include <string.h>

static const SluiceOptionSpec options[] = {
  /* character pass */
  { "newlines", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "CRLF and lone CR become LF" },
  { "strip_controls", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Remove control and format characters (zero-width spaces, BOM, soft hyphens, bidi marks)" },
  { "map_spaces", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "No-break, thin, ideographic and other space characters become a plain space" },
  { "nfc", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL, "Normalise to Unicode NFC" },
  { "decode_entities", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Decode HTML entities (&amp; &quot; &#8220; &#x201C; ...)" },
  { "quote_space", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Restore a missing space between a word and an opening double quote (that\xe2\x80\x9c" "Before)" },
  { "fold_quotes", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL,
    "Fold typographic quotes and guillemets to ASCII ' and \"" },
  { "fold_dashes", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL,
    "Fold typographic dashes and the minus sign to ASCII -" },
  /* line pass */
  { "collapse_spaces", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Runs of spaces and tabs inside a line become one space" },
  { "blank_lines", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Paragraphs are separated by exactly one blank line; no leading or trailing blank lines" },
  { "join_wraps", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Join hard-wrapped lines back into paragraphs" },
  { "dehyphenate", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Drop the hyphen of a word split across a wrap when the document spells it unhyphenated elsewhere" },
  { "join_broken_paragraphs", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Join a block that stops mid-sentence with the next block when that starts in lower case" },
  { "drop_junk", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Drop lines matched by the junk patterns (share widgets, script errors, cookie notices, ...)" },
  { "dedupe_title", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "A headline repeated as the next block is kept once" },
  { "extract_title", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Set meta.title from the opening headline (the headline stays in the text)" },
  { "extract_byline", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Move a 'By Name' line at the top or bottom to meta.byline" },
  { "extract_date", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Move a dateline at the top or bottom to meta.date (YYYY-MM-DD)" },
  { "extract_outlet", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Move an outlet line ('By Outlet', '(MENAFN- Outlet)', a closing signature) to meta.outlet" },
  { "report", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL,
    "List each removed line as 'rule: line' in meta.clean_removed" },
  { "max_junk_words", SLUICE_OPTION_INT, "25", FALSE, 1, 1000, NULL,
    "A pattern never fires on a line of more words than this" },
  { "max_title_words", SLUICE_OPTION_INT, "20", FALSE, 1, 1000, NULL,
    "A headline has at most this many words" },
  { "wrap_min_width", SLUICE_OPTION_INT, "40", FALSE, 10, 10000, NULL,
    "Text wrapped narrower than this (in characters) is not rejoined" },
  { "wrap_max_width", SLUICE_OPTION_INT, "120", FALSE, 10, 10000, NULL,
    "A line longer than this (in characters) is never a wrapped line" },
  { "patterns_file", SLUICE_OPTION_STRING, NULL, FALSE, 0, 0, NULL,
    "Pattern file replacing the bundled junk.patterns" },
  { "drop_patterns_file", SLUICE_OPTION_STRING, NULL, FALSE, 0, 0, NULL,
    "Extra pattern file, in the junk.patterns format, added to the bundled patterns" },
  { "drop_patterns", SLUICE_OPTION_STRING_LIST, "", FALSE, 0, 0, NULL,
    "Extra junk patterns (PCRE2, matched against the whole line, case-insensitive)" },
  { "outlets_file", SLUICE_OPTION_STRING, NULL, FALSE, 0, 0, NULL,
    "Extra outlet list (one name a line) added to the bundled outlets.txt" },
  { "outlet_words", SLUICE_OPTION_STRING_LIST,
    "News,Times,Post,Gazette,Herald,Courier,Tribune,Journal,Daily,Agency,Press,Wire,Chronicle,"
    "Observer,Telegraph,Monitor,Review,Media,Radio,TV,Television,Broadcasting,Magazine,Weekly,"
    "Ledger,Express,Reporter,Informer,Bulletin,Dispatch,Sentinel,Examiner,Inquirer,Gazeta,Vestnik",
    FALSE, 0, 0, NULL,
    "A name holding one of these words is an outlet's (for 'By X' lines and signatures)" },
  { NULL }
};

static const char *const produces_meta[] = { "title", "byline", "date", "outlet",
                                             "clean_removed", NULL };

static void clean_destroy (gpointer instance);

static gpointer
clean_create (const SluiceOptions *opts, GError **error)
{
  CleanStage *st = g_new0 (CleanStage, 1);
  g_autofree char *ppath = NULL;
  g_autofree char *opath = NULL;
#define B(field, name) st->field = sluice_options_get_bool (opts, name)
  B (newlines, "newlines");
  B (strip_controls, "strip_controls");
  B (map_spaces, "map_spaces");
  B (nfc, "nfc");
  B (decode_entities, "decode_entities");
  B (quote_space, "quote_space");
  B (fold_quotes, "fold_quotes");
  B (fold_dashes, "fold_dashes");
  B (collapse_spaces, "collapse_spaces");
  B (blank_lines, "blank_lines");
  B (join_wraps, "join_wraps");
  B (dehyphenate, "dehyphenate");
  B (join_broken, "join_broken_paragraphs");
  B (drop_junk, "drop_junk");
  B (dedupe_title, "dedupe_title");
  B (extract_title, "extract_title");
  B (extract_byline, "extract_byline");
  B (extract_date, "extract_date");
  B (extract_outlet, "extract_outlet");
  B (report, "report");
#undef B
  st->max_junk_words = sluice_options_get_int (opts, "max_junk_words");
  st->max_title_words = sluice_options_get_int (opts, "max_title_words");
  st->wrap_min_width = sluice_options_get_int (opts, "wrap_min_width");
  st->wrap_max_width = sluice_options_get_int (opts, "wrap_max_width");

  const char *data_dir = sluice_options_get_data_dir (opts);
  st->patterns = clean_patterns_new ();
  st->outlets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* patterns */
  const char *pf = sluice_options_get_string (opts, "patterns_file");
  ppath = pf && *pf ? sluice_options_resolve_path (opts, pf)
                    : g_build_filename (data_dir, "junk.patterns", NULL);
  if (!clean_patterns_add_file (st->patterns, ppath, error))
    goto fail;
  const char *dpf = sluice_options_get_string (opts, "drop_patterns_file");
  if (dpf && *dpf)
    {
      g_autofree char *path = sluice_options_resolve_path (opts, dpf);
      if (!clean_patterns_add_file (st->patterns, path, error))
        goto fail;
    }
  guint n_dp = 0;
  const char *const *dp = sluice_options_get_string_list (opts, "drop_patterns", &n_dp);
  for (guint i = 0; i < n_dp; i++)
    {
      const char *loc = sluice_options_get_location (opts, "drop_patterns");
      g_autofree char *src = g_strdup_printf ("%s%sdrop_patterns[%u]", loc ? loc : "",
                                              loc ? ": " : "", i);
      g_autofree char *name = g_strdup_printf ("drop_patterns[%u]", i);
      if (!clean_patterns_add (st->patterns, name, dp[i], src, error))
        goto fail;
    }
  if (!clean_patterns_compile (st->patterns, error))
    goto fail;

  /* outlets */
  opath = g_build_filename (data_dir, "outlets.txt", NULL);
  if (!clean_outlets_load (st->outlets, opath, error))
    goto fail;
  const char *of = sluice_options_get_string (opts, "outlets_file");
  if (of && *of)
    {
      g_autofree char *path = sluice_options_resolve_path (opts, of);
      if (!clean_outlets_load (st->outlets, path, error))
        goto fail;
    }
  guint n_ow = 0;
  const char *const *ow = sluice_options_get_string_list (opts, "outlet_words", &n_ow);
  st->outlet_words = g_new0 (char *, n_ow + 1);
  for (guint i = 0; i < n_ow; i++)
    st->outlet_words[i] = g_utf8_casefold (ow[i], -1);
  st->outlet_word_set = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n_ow; i++)
    g_hash_table_add (st->outlet_word_set, st->outlet_words[i]);

  /* "(MENAFN- Outlet)" attribution prefix */
  {
    int errcode;
    PCRE2_SIZE erroff;
    st->attribution = pcre2_compile (
        (PCRE2_SPTR) "^\\(\\s*MENAFN\\s*[-\xe2\x80\x93\xe2\x80\x94]\\s*([^()\\n]{1,80}?)\\s*\\)\\s*",
        PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &errcode, &erroff, NULL);
    g_assert (st->attribution != NULL);
    pcre2_jit_compile (st->attribution, PCRE2_JIT_COMPLETE);
  }
  return st;

fail:
  clean_destroy (st);
  return NULL;
}

static void
clean_destroy (gpointer instance)
{
  CleanStage *st = instance;
  if (st == NULL)
    return;
  clean_patterns_free (st->patterns);
  if (st->outlets)
    g_hash_table_unref (st->outlets);
  if (st->outlet_word_set)
    g_hash_table_unref (st->outlet_word_set);
  g_strfreev (st->outlet_words);
  if (st->attribution)
    pcre2_code_free (st->attribution);
  g_free (st);
}

static SluiceStatus
clean_process (gpointer instance, SluiceDocument *doc, GError **error)
{
  const CleanStage *st = instance;
  if (!clean_chars (st, doc, error))
    return SLUICE_DOC_ERROR;
  if (!clean_lines (st, doc, error))
    return SLUICE_DOC_ERROR;
  return SLUICE_OK;
}

SLUICE_STAGE_DEFINE (
  .flags = SLUICE_STAGE_REWRITES_TEXT,
  .name = "clean", .version = "1.0.0", .license = "MIT",
  .summary = "Scraped feed text into clean paragraphs, with title, byline, date and outlet in meta",
  .options = options, .produces_meta = produces_meta,
  .create = clean_create, .process = clean_process, .destroy = clean_destroy)
