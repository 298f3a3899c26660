/* keywords — tags the words of a user word list in each document.
 *
 * An example of an out-of-tree sluice stage (see README.md and
 * docs/PLUGINS.md in sluice): it includes only <sluice/sluice.h>, declares
 * its options in a table, loads its data in create() with FILE:LINE errors,
 * and keeps its instance read-only so process() can run on many threads.
 *
 * Word list: one word per line, UTF-8; blank lines and lines starting with
 * '#' are ignored.  A word is a run of letters, digits and combining marks.
 * A document word matches when it equals a listed word (after Unicode case
 * folding unless case_sensitive = true); parts of words never match. */
#include <sluice/sluice.h>
#include <string.h>

#define MAX_WORD_BYTES 256

static const SluiceOptionSpec keywords_options[] = {
  { "words_file", SLUICE_OPTION_STRING, NULL, FALSE, 0, 0, NULL,
    "Word list, one word per line (relative to the pipeline file); "
    "default: words.txt in the stage's data directory" },
  { "case_sensitive", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL,
    "Match case exactly (default: ignore case, with Unicode case folding)" },
  { "type", SLUICE_OPTION_STRING, "KEYWORD", FALSE, 0, 0, NULL,
    "Annotation type of the matches" },
  { NULL }
};
/* The default type; a pipeline may choose another with `type`. */
static const char *const keywords_produces[] = { "KEYWORD", NULL };
static const char *const keywords_meta[] = { "keywords_found", NULL };

typedef struct {
  GHashTable *words;          /* lookup key -> the word as listed */
  gboolean case_sensitive;
  char *type;
  gsize max_len;              /* longest key, in bytes */
} Keywords;

static gboolean
is_word_char (gunichar c)
{
  if (c < 0x80)
    return g_ascii_isalnum ((char) c);
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

static gboolean
is_ascii (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) s[i] >= 0x80)
      return FALSE;
  return TRUE;
}

/* The lookup key of a word: itself, ASCII-lowercased, or case-folded.
 * Writes into buf (size MAX_WORD_BYTES + 1) when it fits, else returns a
 * newly allocated string in *heap. */
static const char *
word_key (const Keywords *kw, const char *s, gsize len, char *buf, char **heap)
{
  *heap = NULL;
  if (!kw->case_sensitive && !is_ascii (s, len))
    return *heap = g_utf8_casefold (s, (gssize) len);
  if (len > MAX_WORD_BYTES)
    return *heap = g_strndup (s, len);
  for (gsize i = 0; i < len; i++)
    buf[i] = kw->case_sensitive ? s[i] : g_ascii_tolower (s[i]);
  buf[len] = '\0';
  return buf;
}

static void
keywords_destroy (gpointer instance)
{
  Keywords *kw = instance;
  if (kw == NULL)
    return;
  if (kw->words)
    g_hash_table_unref (kw->words);
  g_free (kw->type);
  g_free (kw);
}

static gboolean
load_words (Keywords *kw, const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize size = 0;
  GError *e = NULL;
  if (!g_file_get_contents (path, &contents, &size, &e))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s: cannot read the word list: %s",
                   path, e->message);
      g_error_free (e);
      return FALSE;
    }
  guint lineno = 0;
  char *line = contents, *end = contents + size;
  while (line < end)
    {
      char *nl = memchr (line, '\n', (gsize) (end - line));
      char *next = nl ? nl + 1 : end;
      gsize len = (gsize) ((nl ? nl : end) - line);
      lineno++;
      if (!g_utf8_validate (line, (gssize) len, NULL) || memchr (line, '\0', len))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:%u: not valid UTF-8 text",
                       path, lineno);
          return FALSE;
        }
      /* Trim ASCII white space (and a CR of CRLF files). */
      while (len > 0 && g_ascii_isspace (line[len - 1]))
        len--;
      while (len > 0 && g_ascii_isspace (*line))
        line++, len--;
      if (len == 0 || line[0] == '#')
        {
          line = next;
          continue;
        }
      for (const char *p = line; p < line + len; p = g_utf8_next_char (p))
        if (!is_word_char (g_utf8_get_char (p)))
          {
            g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA,
                         "%s:%u: '%.*s' is not a single word (letters and digits only)",
                         path, lineno, (int) len, line);
            return FALSE;
          }
      if (len > MAX_WORD_BYTES)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA,
                       "%s:%u: word longer than %d bytes", path, lineno, MAX_WORD_BYTES);
          return FALSE;
        }
      char buf[MAX_WORD_BYTES + 1];
      char *heap;
      const char *key = word_key (kw, line, len, buf, &heap);
      if (!g_hash_table_contains (kw->words, key))
        {
          kw->max_len = MAX (kw->max_len, strlen (key));
          g_hash_table_insert (kw->words, g_strdup (key), g_strndup (line, len));
        }
      g_free (heap);
      line = next;
    }
  if (g_hash_table_size (kw->words) == 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s: the word list has no words", path);
      return FALSE;
    }
  return TRUE;
}

static gpointer
keywords_create (const SluiceOptions *options, GError **error)
{
  Keywords *kw = g_new0 (Keywords, 1);
  kw->case_sensitive = sluice_options_get_bool (options, "case_sensitive");
  kw->type = g_strdup (sluice_options_get_string (options, "type"));
  kw->words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *file = sluice_options_get_string (options, "words_file");
  g_autofree char *path = file ? sluice_options_resolve_path (options, file)
                               : g_build_filename (sluice_options_get_data_dir (options),
                                                   "words.txt", NULL);
  if (*kw->type == '\0')
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, "option 'type' must not be empty");
      keywords_destroy (kw);
      return NULL;
    }
  if (!load_words (kw, path, error))
    {
      keywords_destroy (kw);
      return NULL;
    }
  return kw;
}

/* Runs concurrently on several threads: reads kw, writes only doc. */
static SluiceStatus
keywords_process (gpointer instance, SluiceDocument *doc, GError **error G_GNUC_UNUSED)
{
  const Keywords *kw = instance;
  gsize len;
  const char *text = sluice_document_get_text (doc, &len);
  gint64 found = 0;
  gsize i = 0;
  while (i < len)
    {
      /* Skip to the start of a word; ASCII bytes without decoding. */
      guchar b = (guchar) text[i];
      if (b < 0x80 ? !g_ascii_isalnum (b) : !is_word_char (g_utf8_get_char (text + i)))
        {
          i += b < 0x80 ? 1 : (gsize) (g_utf8_next_char (text + i) - (text + i));
          continue;
        }
      gsize start = i;
      while (i < len)
        {
          b = (guchar) text[i];
          if (b < 0x80)
            {
              if (!g_ascii_isalnum (b))
                break;
              i++;
            }
          else
            {
              if (!is_word_char (g_utf8_get_char (text + i)))
                break;
              i = (gsize) (g_utf8_next_char (text + i) - text);
            }
        }
      gsize wlen = i - start;
      /* Case folding can change the length (ß -> ss), so only a case-
       * sensitive match may skip words longer than every listed one. */
      if (kw->case_sensitive && wlen > kw->max_len)
        continue;
      char buf[MAX_WORD_BYTES + 1];
      char *heap;
      const char *key = word_key (kw, text + start, wlen, buf, &heap);
      const char *listed = g_hash_table_lookup (kw->words, key);
      g_free (heap);
      if (listed == NULL)
        continue;
      SluiceAnnotation *a = sluice_document_add_annotation (doc, kw->type, start, i);
      if (a)
        {
          sluice_attrs_set_string (sluice_annotation_get_attrs (a), "keyword", listed);
          found++;
        }
    }
  sluice_attrs_set_int (sluice_document_get_meta (doc), "keywords_found", found);
  return SLUICE_OK;
}

SLUICE_STAGE_DEFINE (
  .name = "keywords",
  .version = "1.0.0",
  .license = "MIT",
  .summary = "Tags the words of a user word list",
  .options = keywords_options,
  .produces = keywords_produces,
  .produces_meta = keywords_meta,
  .create = keywords_create,
  .process = keywords_process,
  .destroy = keywords_destroy)
