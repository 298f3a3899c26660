/* numbers — loading a language lexicon (data/<lang>.txt).  Format: README.md. */
#include "numbers-lexicon.h"

#include <sluice/sluice.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>

typedef enum {
  S_NONE, S_CARDINAL, S_ORDINAL, S_SCALE, S_FRACTION, S_ARTICLE, S_AND, S_POINT, S_NEGATIVE,
  S_PERCENT, S_VAGUE, S_OVER, S_OUT, S_OF, S_OR, S_TO, S_BETWEEN, S_PREFIX_QUAL, S_POSTFIX_QUAL,
  S_CURRENCY_PREFIX, S_CURRENCY_WORD, S_SUFFIX, S_ID_CUE, S_MONTH, S_STOP, S_YEAR_CUE,
  S_ONE_DET, S_PLURAL_NOUN, S_DENOMINATOR, S_ORD_SUFFIX, S_DECADE_SUFFIX, S_ADJ_SUFFIX,
  S_SETTING, S_RANGE_AND, S_YEAR_WORD, S_UNIT_STOP_SUFFIX,
} Section;

static const struct { const char *name; Section s; } sections[] = {
  { "cardinal", S_CARDINAL }, { "ordinal", S_ORDINAL }, { "scale", S_SCALE },
  { "fraction", S_FRACTION }, { "article", S_ARTICLE }, { "and", S_AND },
  { "point", S_POINT }, { "negative", S_NEGATIVE }, { "percent", S_PERCENT },
  { "vague", S_VAGUE }, { "fraction_connector", S_OVER }, { "out", S_OUT }, { "of", S_OF },
  { "or", S_OR }, { "range_connector", S_TO }, { "range_opener", S_BETWEEN },
  { "prefix_qualifier", S_PREFIX_QUAL }, { "postfix_qualifier", S_POSTFIX_QUAL },
  { "currency_prefix", S_CURRENCY_PREFIX }, { "currency_word", S_CURRENCY_WORD },
  { "suffix", S_SUFFIX }, { "identifier_cue", S_ID_CUE }, { "month", S_MONTH },
  { "stop", S_STOP }, { "year_cue", S_YEAR_CUE }, { "pronoun_cue", S_ONE_DET },
  { "plural_noun", S_PLURAL_NOUN }, { "denominator", S_DENOMINATOR },
  { "ordinal_suffix", S_ORD_SUFFIX }, { "decade_suffix", S_DECADE_SUFFIX },
  { "adjective_suffix", S_ADJ_SUFFIX }, { "setting", S_SETTING }, { "range_and", S_RANGE_AND },
  { "year_word", S_YEAR_WORD }, { "unit_stop_suffix", S_UNIT_STOP_SUFFIX },
};

static const struct { const char *name; NumQual q; } qualifiers[] = {
  { "exact", NQ_EXACT }, { "approx", NQ_APPROX }, { "more_than", NQ_MORE_THAN },
  { "at_least", NQ_AT_LEAST }, { "less_than", NQ_LESS_THAN }, { "at_most", NQ_AT_MOST },
  { "or_equal", NQ_OR_EQUAL }, { "none", NQ_BLOCK },
};

static void
lex_free (gpointer p)
{
  NumLex *l = p;
  g_free (l->cased);
  g_free (l->currency);
  g_free (l);
}

void
num_lexicon_free (NumLexicon *lx)
{
  if (lx == NULL)
    return;
  g_free (lx->lang);
  g_clear_pointer (&lx->words, g_hash_table_unref);
  g_clear_pointer (&lx->prefix_qual, g_hash_table_unref);
  g_clear_pointer (&lx->postfix_qual, g_hash_table_unref);
  g_clear_pointer (&lx->percent, g_hash_table_unref);
  g_clear_pointer (&lx->currency_pre, g_hash_table_unref);
  g_clear_pointer (&lx->currency_post, g_hash_table_unref);
  g_clear_pointer (&lx->suffix, g_hash_table_unref);
  g_clear_pointer (&lx->id_cue, g_hash_table_unref);
  g_clear_pointer (&lx->denominators, g_hash_table_unref);
  g_clear_pointer (&lx->ord_suffix, g_hash_table_unref);
  g_clear_pointer (&lx->decade_suffix, g_hash_table_unref);
  g_clear_pointer (&lx->adj_suffix, g_ptr_array_unref);
  g_clear_pointer (&lx->unit_stop_suffix, g_ptr_array_unref);
  g_free (lx->filter);
  g_free (lx->filter_all);
  g_free (lx->filter_behind);
  g_free (lx->filter_artneg);
  g_free (lx->slots);
  g_free (lx->slots8);
  g_free (lx);
}

/* Lower-cases UTF-8 `s` into a new string (ASCII fast path). */
static char *
lower_dup (const char *s)
{
  for (const char *p = s; *p; p++)
    if ((guchar) *p >= 0x80)
      return g_utf8_strdown (s, -1);
  return g_ascii_strdown (s, -1);
}

static NumLex *
get_word (NumLexicon *lx, const char *word)
{
  g_autofree char *low = lower_dup (word);
  NumLex *l = g_hash_table_lookup (lx->words, low);
  if (l == NULL) {
    l = g_new0 (NumLex, 1);
    g_hash_table_insert (lx->words, g_steal_pointer (&low), l);
  }
  return l;
}

static gboolean
parse_number (const char *s, double *out)
{
  char *end = NULL;
  errno = 0;
  double v = g_ascii_strtod (s, &end);
  if (end == s || *end != '\0' || errno != 0 || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

/* Normalises a phrase: lower case, single spaces. */
static char *
norm_phrase_full (const char *s, gboolean lower)
{
  g_autofree char *low = lower ? lower_dup (s) : g_strdup (s);
  g_auto (GStrv) parts = g_strsplit_set (low, " \t", -1);
  GString *out = g_string_new (NULL);
  guint n = 0;
  for (guint i = 0; parts[i]; i++) {
    if (parts[i][0] == '\0')
      continue;
    if (n++)
      g_string_append_c (out, ' ');
    g_string_append (out, parts[i]);
  }
  return g_string_free (out, FALSE);
}

static char *
norm_phrase (const char *s)
{
  return norm_phrase_full (s, TRUE);
}

/* Gives the first or last word of `phrase` a role (when it is a word). */
static void
mark_word (NumLexicon *lx, const char *phrase, gboolean last, guint32 role)
{
  g_auto (GStrv) parts = g_strsplit (phrase, " ", -1);
  guint n = g_strv_length (parts);
  if (n == 0)
    return;
  const char *w = parts[last ? n - 1 : 0];
  if (g_unichar_isalpha (g_utf8_get_char (w)))
    get_word (lx, w)->roles |= role;
}

/* Gives the last token of `phrase` a role, tokenised as the scanner's look-behind
 * does: a run of letters, or else one character ("US$" -> "$", "no ." -> "."). */
static guint count_words (const char *phrase);

static void
mark_last_token (NumLexicon *lx, const char *phrase, guint32 role)
{
  guint nw = MIN (count_words (phrase), 7);
  const char *end = phrase + strlen (phrase);
  const char *p = g_utf8_find_prev_char (phrase, end);
  if (p == NULL)
    return;
  if (g_unichar_isalpha (g_utf8_get_char (p))) {
    const char *b = p;
    while (b > phrase) {
      const char *q = g_utf8_find_prev_char (phrase, b);
      if (q == NULL || !g_unichar_isalpha (g_utf8_get_char (q)))
        break;
      b = q;
    }
    p = b;
  } else if (g_unichar_isdigit (g_utf8_get_char (p))) {
    lx->digit_last = TRUE;    /* the look-behind cannot gate on this one */
    return;
  }
  g_autofree char *w = g_strndup (p, (gsize) (end - p));
  NumLex *l = get_word (lx, w);
  l->roles |= role;
  if (role == NR_QLAST)
    l->qual_lens |= (guint8) (1u << nw);
  else if (role == NR_IDCUE)
    l->id_lens |= (guint8) (1u << nw);
  else if (role == NR_CURPRE)
    l->cur_lens |= (guint8) (1u << nw);
}

static guint
count_words (const char *phrase)
{
  guint n = 1;
  for (const char *p = phrase; *p; p++)
    n += *p == ' ';
  return n;
}

static void
filter_set (guint8 *bits, gboolean *non_ascii, const char *w)
{
  gsize len = strlen (w);
  if (len < 2)
    return;
  if ((guchar) w[0] >= 0x80) {
    *non_ascii = TRUE;
    gint i = num_filter_cyr_index (w, len);
    if (i >= 0)
      bits[NUM_FILTER_ASCII_BYTES + (i >> 3)] |= (guint8) (1u << (i & 7));
    return;
  }
  guint a = (guint) ((w[0] | 0x20) - 'a'), b = (guint) ((w[1] | 0x20) - 'a');
  guint c = (guint) ((w[len - 1] | 0x20) - 'a');
  if (a > 25 || b > 25 || c > 25) {
    *non_ascii = TRUE;   /* non-letters: the filter passes those anyway */
    return;
  }
  guint l = len > 31 ? 31 : (guint) len;
  guint idx = ((a * 26 + b) * 26 + c) * 32 + l;
  bits[idx >> 3] |= (guint8) (1u << (idx & 7));
}

static void
filter_add (NumLexicon *lx, const char *w)
{
  filter_set (lx->filter, &lx->has_non_ascii, w);
  gsize len = strlen (w);
  if (len >= 2 && (guchar) w[0] < 0x80) {
    guint a = (guint) ((w[0] | 0x20) - 'a'), b = (guint) ((w[1] | 0x20) - 'a');
    if (a < 26 && b < 26) {
      lx->trig2[a * 26 + b] |= 1u << (len > 31 ? 31 : len);
      lx->trig2w[NUM_TRIG2W_INDEX (a + 1, b + 1)] |= len >= 31 ? ~G_GUINT64_CONSTANT (0) << 31
                                                      : G_GUINT64_CONSTANT (1) << len;
    }
  }
}

/* ------------------------------------------------------- the fast word table */

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static const guchar ascii_lower[128] = {
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
  50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
  'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's',
  't', 'u', 'v', 'w', 'x', 'y', 'z',
  91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
  112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127,
};

static inline gssize
word_lower (const char *w, gsize len, char *out, guint32 *hash)
{
  const guchar *s = (const guchar *) w;
  guint32 h = FNV_OFFSET;
  gsize n = 0, i = 0;
  if (len >= NUM_WORDBUF)
    return -1;
  /* ASCII run: one byte in, one byte out */
  for (; i < len; i++) {
    guchar c = s[i];
    if (c & 0x80)
      break;
    c = ascii_lower[c];
    out[i] = (char) c;
    h = (h ^ c) * FNV_PRIME;
  }
  n = i;
  while (i < len) {
    guchar c = s[i];
    if (c < 0x80) {
      c = (guchar) (c + (((guint) (c - 'A') < 26u) << 5));
      out[n++] = (char) c;
      h = (h ^ c) * FNV_PRIME;
      i++;
    } else if ((c == 0xD0 || c == 0xD1) && i + 1 < len) {
      guchar a, b;
      num_cyr_lower (c, s[i + 1], &a, &b);
      out[n++] = (char) a;
      out[n++] = (char) b;
      h = (h ^ a) * FNV_PRIME;
      h = (h ^ b) * FNV_PRIME;
      i += 2;
    } else {
      const char *next = g_utf8_find_next_char (w + i, w + len);
      gsize cl = next ? (gsize) (next - (w + i)) : len - i;
      gunichar u = g_unichar_tolower (g_utf8_get_char_validated (w + i, (gssize) cl));
      char tmp[8];
      gsize ol = u < 0x110000 ? (gsize) g_unichar_to_utf8 (u, tmp) : 0;
      if (ol == 0) {            /* invalid: keep the bytes */
        memcpy (tmp, w + i, cl);
        ol = cl;
      }
      if (n + ol >= NUM_WORDBUF)
        return -1;
      for (gsize k = 0; k < ol; k++) {
        out[n++] = tmp[k];
        h = (h ^ (guchar) tmp[k]) * FNV_PRIME;
      }
      i += cl;
    }
    if (n + 2 >= NUM_WORDBUF)
      return -1;
  }
  out[n] = '\0';
  *hash = h;
  return (gssize) n;
}

gssize
num_word_lower (const char *w, gsize len, char *out, guint32 *hash)
{
  return word_lower (w, len, out, hash);
}

/* The first 8 bytes of s (n of them), zero-padded. */
static inline guint64
first8 (const char *s, gsize n)
{
  guint64 x = 0;
  memcpy (&x, s, MIN (n, 8));
  return x;
}

static guint32
key_hash (const char *key)
{
  guint32 h = FNV_OFFSET;
  for (const guchar *p = (const guchar *) key; *p; p++)
    h = (h ^ *p) * FNV_PRIME;
  return h;
}

/* The first-token filter of a table of phrases (tokens joined by single spaces). */
static void
phrase_first_build (NumPhraseFirst *f, GHashTable *phrases)
{
  GHashTableIter it;
  gpointer key, val;
  memset (f, 0, sizeof *f);
  g_hash_table_iter_init (&it, phrases);
  while (g_hash_table_iter_next (&it, &key, &val)) {
    const char *p = key;
    const char *sp = strchr (p, ' ');
    gsize seg = sp ? (gsize) (sp - p) : strlen (p);
    guint k = 1;
    for (const char *q = p; *q; q++)
      k += *q == ' ';
    k = MIN (k, 7u);
    if (seg == 0) {
      /* cannot be matched (joined tokens are never empty); keep it passing anyway */
      memset (f->first[k], 0xFF, sizeof f->first[k]);
      memset (f->last[k], 0xFF, sizeof f->last[k]);
      continue;
    }
    guchar a = (guchar) p[0], b = (guchar) p[seg - 1];
    if (a < 0x80)
      f->first[k][a >> 6] |= G_GUINT64_CONSTANT (1) << (a & 63);
    if (b < 0x80)
      f->last[k][b >> 6] |= G_GUINT64_CONSTANT (1) << (b & 63);
  }
}

static void
build_slots (NumLexicon *lx)
{
  guint n = g_hash_table_size (lx->words);
  guint size = 16;
  while (size < 2 * n + 2)
    size *= 2;
  lx->slots = g_new0 (NumSlot, size);
  lx->slot_mask = size - 1;
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init (&it, lx->words);
  while (g_hash_table_iter_next (&it, &key, &val)) {
    guint32 h = key_hash (key);
    guint32 i = h & lx->slot_mask;
    while (lx->slots[i].key)
      i = (i + 1) & lx->slot_mask;
    gsize kl = strlen (key);
    lx->slots[i] = (NumSlot) { h, (guint32) kl, key, val, first8 (key, kl) };
  }
  /* the short ASCII keys again, by their 8 bytes */
  guint bits = 4;
  while ((1u << bits) < 2 * n + 2)
    bits++;
  lx->slots8 = g_new0 (NumSlot8, 1u << bits);
  lx->slot8_shift = 64 - bits;
  guint32 mask8 = (1u << bits) - 1;
  lx->slot8_mask = mask8;
  g_hash_table_iter_init (&it, lx->words);
  while (g_hash_table_iter_next (&it, &key, &val)) {
    const char *k = key;
    gsize kl = strlen (k);
    gboolean ascii = kl >= 1 && kl <= 8;
    for (gsize x = 0; ascii && x < kl; x++)
      ascii = (guchar) k[x] < 0x80;
    if (!ascii)
      continue;
    guint64 k8 = first8 (k, kl);
    guint32 i = num_hash8 (k8, lx->slot8_shift);
    while (lx->slots8[i].k8)
      i = (i + 1) & mask8;
    lx->slots8[i] = (NumSlot8) { k8, (guint32) kl, val };
  }
}

const NumLex *
num_lexicon_find_exact (const NumLexicon *lx, const char *w, gsize len)
{
  guint32 h = FNV_OFFSET;
  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) w[i]) * FNV_PRIME;
  for (guint32 i = h & lx->slot_mask;; i = (i + 1) & lx->slot_mask) {
    const NumSlot *sl = &lx->slots[i];
    if (sl->key == NULL)
      return NULL;
    if (sl->hash == h && sl->len == (guint32) len && memcmp (sl->key, w, len) == 0)
      return sl->lex;
  }
}

const NumLex *
num_lexicon_find_any (const NumLexicon *lx, const char *w, gsize len, char *low)
{
  char buf[NUM_WORDBUF];
  char *out = low ? low : buf;
  guint32 h;
  memset (out, 0, 8);   /* words of up to 8 bytes are compared as one zero-padded guint64 */
  gssize n = word_lower (w, len, out, &h);
  if (n < 0) {
    out[0] = '\0';
    return NULL;
  }
  guint64 x8;
  memcpy (&x8, out, 8);
  for (guint32 i = h & lx->slot_mask;; i = (i + 1) & lx->slot_mask) {
    const NumSlot *sl = &lx->slots[i];
    if (sl->key == NULL)
      return NULL;
    if (sl->hash == h && sl->len == (guint32) n &&
        (n <= 8 ? sl->k8 == x8 : memcmp (sl->key, out, (gsize) n) == 0)) {
      const NumLex *l = sl->lex;
      if (l->cased && (strlen (l->cased) != len || memcmp (l->cased, w, len) != 0))
        return NULL;
      return l;
    }
  }
}

#define FAIL(...) G_STMT_START {                                                  \
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:%u: %s", path, lineno, \
                 (msg = g_strdup_printf (__VA_ARGS__)));                          \
    g_free (msg);                                                                 \
    goto fail;                                                                    \
  } G_STMT_END

NumLexicon *
num_lexicon_load (const char *path, const char *lang, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  GError *local = NULL;
  if (!g_file_get_contents (path, &contents, &length, &local)) {
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s: %s", path, local->message);
    g_error_free (local);
    return NULL;
  }
  if (!g_utf8_validate (contents, (gssize) length, NULL)) {
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:1: not valid UTF-8", path);
    return NULL;
  }

  NumLexicon *lx = g_new0 (NumLexicon, 1);
  lx->lang = g_strdup (lang);
  lx->words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, lex_free);
  lx->prefix_qual = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lx->postfix_qual = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lx->percent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lx->currency_pre = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lx->currency_post = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lx->suffix = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, lex_free);
  lx->id_cue = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lx->denominators = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lx->ord_suffix = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lx->decade_suffix = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lx->adj_suffix = g_ptr_array_new_with_free_func (g_free);
  lx->unit_stop_suffix = g_ptr_array_new_with_free_func (g_free);
  lx->filter = g_malloc0 (NUM_FILTER_BYTES);
  lx->filter_all = g_malloc0 (NUM_FILTER_BYTES);
  lx->filter_behind = g_malloc0 (NUM_FILTER_BYTES);
  lx->filter_artneg = g_malloc0 (NUM_FILTER_BYTES);

  Section sec = S_NONE;
  guint lineno = 0;
  char *msg = NULL;
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (guint li = 0; lines[li]; li++) {
    char *line = lines[li];
    lineno = li + 1;
    g_strstrip (line);
    if (line[0] == '#')
      continue;
    char *hash = strstr (line, " # ");
    if (hash)
      *hash = '\0';
    g_strstrip (line);
    if (line[0] == '\\')     /* "\#": a literal '#' entry */
      line++;
    if (line[0] == '\0')
      continue;
    if (line[0] == '[') {
      char *close = strchr (line, ']');
      if (close == NULL || close[1] != '\0')
        FAIL ("malformed section header '%s'", line);
      *close = '\0';
      sec = S_NONE;
      for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
        if (strcmp (line + 1, sections[i].name) == 0)
          sec = sections[i].s;
      if (sec == S_NONE)
        FAIL ("unknown section '[%s]'", line + 1);
      continue;
    }
    if (sec == S_NONE)
      FAIL ("entry before any [section]");

    /* "PHRASE" or "PHRASE = VALUE FLAGS..." */
    char *eq = g_strrstr (line, " = ");
    char *key = line, *rest = NULL;
    if (eq) {
      *eq = '\0';
      rest = eq + 3;
      g_strstrip (key);
      g_strstrip (rest);
    }
    if (key[0] == '\0')
      FAIL ("empty entry");
    g_auto (GStrv) fields = rest ? g_strsplit_set (rest, " \t", -1) : g_new0 (char *, 1);
    /* drop empty fields */
    guint nf = 0;
    for (guint i = 0; fields[i]; i++) {
      if (fields[i][0] == '\0') {
        g_free (fields[i]);
        continue;
      }
      fields[nf++] = fields[i];
    }
    fields[nf] = NULL;
    gboolean flag_plural = FALSE, flag_nodenom = FALSE, flag_abbr = FALSE, flag_case = FALSE,
             flag_dozen = FALSE, flag_needsnum = FALSE, flag_money = FALSE, flag_dot = FALSE;
    for (guint i = 1; i < nf; i++) {
      const char *f = fields[i];
      if (strcmp (f, "plural") == 0) flag_plural = TRUE;
      else if (strcmp (f, "nodenom") == 0) flag_nodenom = TRUE;
      else if (strcmp (f, "abbr") == 0) flag_abbr = TRUE;
      else if (strcmp (f, "case") == 0) flag_case = TRUE;
      else if (strcmp (f, "dozen") == 0) flag_dozen = TRUE;
      else if (strcmp (f, "needsnum") == 0) flag_needsnum = TRUE;
      else if (strcmp (f, "money") == 0) flag_money = TRUE;
      else if (strcmp (f, "dot") == 0) flag_dot = TRUE;
      else
        FAIL ("unknown flag '%s'", f);
    }
    gboolean needs_value = sec == S_CARDINAL || sec == S_ORDINAL || sec == S_SCALE ||
                           sec == S_FRACTION || sec == S_VAGUE || sec == S_PREFIX_QUAL ||
                           sec == S_POSTFIX_QUAL || sec == S_CURRENCY_PREFIX ||
                           sec == S_CURRENCY_WORD || sec == S_SUFFIX || sec == S_SETTING;
    if (needs_value && nf == 0)
      FAIL ("'%s' needs a value (\"%s = VALUE\")", key, key);
    if (!needs_value && nf > 0)
      FAIL ("'%s': this section takes no value", key);
    /* "FORM | FORM | ... = VALUE": inflected forms sharing a value and flags */
    g_auto (GStrv) alts = g_strsplit (key, " | ", -1);
    for (guint ai = 0; alts[ai]; ai++) {
      key = g_strstrip (alts[ai]);
      if (key[0] == '\0' || strchr (key, '|'))
        FAIL ("empty form in '%s'", line);
      gboolean multi = strchr (key, ' ') != NULL;
      gboolean word_section = sec == S_CARDINAL || sec == S_ORDINAL || sec == S_SCALE ||
                              sec == S_FRACTION || sec == S_ARTICLE || sec == S_AND ||
                              sec == S_POINT || sec == S_NEGATIVE || sec == S_VAGUE ||
                              sec == S_OVER || sec == S_OUT || sec == S_OF || sec == S_OR ||
                              sec == S_TO || sec == S_BETWEEN || sec == S_MONTH ||
                              sec == S_STOP || sec == S_YEAR_CUE || sec == S_ONE_DET ||
                              sec == S_PLURAL_NOUN || sec == S_SUFFIX || sec == S_RANGE_AND ||
                              sec == S_YEAR_WORD;
      if (word_section && multi)
        FAIL ("'%s': one word expected in this section", key);

      double v = 0;
      if (needs_value && sec != S_PREFIX_QUAL && sec != S_POSTFIX_QUAL &&
          sec != S_CURRENCY_PREFIX && sec != S_CURRENCY_WORD && sec != S_SETTING &&
          !parse_number (fields[0], &v))
        FAIL ("'%s': bad number '%s'", key, fields[0]);

      switch (sec) {
      case S_CARDINAL: {
        NumLex *l = get_word (lx, key);
        l->roles |= NR_CARD;
        l->card = v;
        if (v == 0) l->ctype = NC_ZERO;
        else if (v > 0 && v < 10) l->ctype = NC_UNIT;   /* 1-9, and 1.5 ("полтора") */
        else if (v < 20 && v == floor (v)) l->ctype = NC_TEEN;
        else if (v < 100 && fmod (v, 10) == 0) l->ctype = NC_TENS;
        else if (v < 1000 && fmod (v, 100) == 0) l->ctype = NC_HUND;  /* "двести" */
        else FAIL ("'%s': cardinals are 0-19, the tens and the hundreds (use [scale] for %g)",
                   key, v);
        filter_add (lx, key);
        break;
      }
      case S_ORDINAL: {
        NumLex *l = get_word (lx, key);
        l->roles |= NR_ORD;
        l->ord = v;
        l->ord_plural = flag_plural;
        l->nodenom = flag_nodenom;
        if (v >= 1 && v < 10) l->otype = NO_UNIT;
        else if (v >= 10 && v < 20) l->otype = NO_TEEN;
        else if (v >= 20 && v < 100 && fmod (v, 10) == 0) l->otype = NO_TENS;
        else if (v >= 200 && v < 1000 && fmod (v, 100) == 0) l->otype = NO_HUND;  /* "двухсотый" */
        else if (v >= 100) l->otype = NO_SCALE;
        else FAIL ("'%s': bad ordinal value %g", key, v);
        filter_add (lx, key);
        break;
      }
      case S_SCALE: {
        NumLex *l = get_word (lx, key);
        l->roles |= NR_SCALE;
        l->scale = v;
        l->scale_abbr = flag_abbr;
        l->scale_dot = flag_dot;
        l->is_dozen = flag_dozen;
        if (flag_case)
          l->cased = g_strdup (key);
        if (!flag_abbr)
          filter_add (lx, key);
        break;
      }
      case S_FRACTION: {
        NumLex *l = get_word (lx, key);
        l->roles |= NR_FRAC;
        l->denom = v;
        l->frac_plural = flag_plural;
        l->frac_needs_num = flag_needsnum;
        if (v < 2)
          FAIL ("'%s': a denominator is at least 2", key);
        filter_add (lx, key);
        break;
      }
      case S_VAGUE: {
        NumLex *l = get_word (lx, key);
        l->roles |= NR_VAGUE;
        l->vague = v;
        filter_add (lx, key);
        break;
      }
      case S_ARTICLE: get_word (lx, key)->roles |= NR_ART; break;
      case S_AND: get_word (lx, key)->roles |= NR_AND; break;
      case S_RANGE_AND: get_word (lx, key)->roles |= NR_RANGE_AND; break;
      case S_YEAR_WORD: get_word (lx, key)->roles |= NR_YEARWORD | NR_STOP; break;
      case S_POINT: get_word (lx, key)->roles |= NR_POINT; break;
      case S_NEGATIVE: get_word (lx, key)->roles |= NR_NEG; break;
      case S_OVER: get_word (lx, key)->roles |= NR_OVER; break;
      case S_OUT: get_word (lx, key)->roles |= NR_OUT; break;
      case S_OF: get_word (lx, key)->roles |= NR_OF; break;
      case S_OR: get_word (lx, key)->roles |= NR_OR; break;
      case S_TO: get_word (lx, key)->roles |= NR_TO; break;
      case S_BETWEEN: get_word (lx, key)->roles |= NR_BETWEEN; break;
      case S_MONTH: get_word (lx, key)->roles |= NR_MONTH; break;
      case S_STOP: get_word (lx, key)->roles |= NR_STOP; break;
      case S_YEAR_CUE: get_word (lx, key)->roles |= NR_YEARCUE; break;
      case S_ONE_DET: get_word (lx, key)->roles |= NR_ONEDET; break;
      case S_PLURAL_NOUN: get_word (lx, key)->roles |= NR_PLURAL; break;
      case S_PERCENT: {
        char *p = norm_phrase (key);
        if (!multi && g_unichar_isalpha (g_utf8_get_char (p))) {
          get_word (lx, p)->roles |= NR_PCT;
          filter_add (lx, p);
        }
        if (multi)
          mark_word (lx, p, FALSE, NR_PCT1);
        g_hash_table_replace (lx->percent, p, GINT_TO_POINTER (1));
        break;
      }
      case S_PREFIX_QUAL:
      case S_POSTFIX_QUAL: {
        NumQual q = NQ_NONE;
        for (guint i = 0; i < G_N_ELEMENTS (qualifiers); i++)
          if (strcmp (fields[0], qualifiers[i].name) == 0)
            q = qualifiers[i].q;
        if (q == NQ_NONE)
          FAIL ("'%s': unknown qualifier '%s'", key, fields[0]);
        char *p = norm_phrase (key);
        guint n = count_words (p);
        if (n > 6)
          FAIL ("'%s': qualifier phrases have at most 6 words", key);
        if (sec == S_PREFIX_QUAL)
          mark_last_token (lx, p, NR_QLAST);
        else
          mark_word (lx, p, FALSE, NR_PFIRST);
        if (sec == S_PREFIX_QUAL) {
          lx->max_prefix_words = MAX (lx->max_prefix_words, n);
          g_hash_table_replace (lx->prefix_qual, p, GINT_TO_POINTER (q));
        } else {
          lx->max_postfix_words = MAX (lx->max_postfix_words, n);
          g_hash_table_replace (lx->postfix_qual, p, GINT_TO_POINTER (q));
        }
        break;
      }
      case S_CURRENCY_PREFIX:
      case S_CURRENCY_WORD: {
        if (strlen (fields[0]) != 3)
          FAIL ("'%s': '%s' is no ISO 4217 code", key, fields[0]);
        /* "USD\0usd\0": the code, then its lower case (the unit of a money amount), both
         * living as long as the lexicon (the stage sets them as static strings) */
        char *iso = g_malloc0 (NUM_ISO_SIZE);
        for (int x = 0; x < 3; x++) {
          iso[x] = g_ascii_toupper (fields[0][x]);
          iso[x + 4] = g_ascii_tolower (fields[0][x]);
        }
        if (sec == S_CURRENCY_PREFIX) {
          char *cp = norm_phrase_full (key, FALSE);
          mark_last_token (lx, cp, NR_CURPRE);
          g_hash_table_replace (lx->currency_pre, cp, iso);
        } else {
          if (multi) {
            g_free (iso);
            FAIL ("'%s': one word expected in this section", key);
          }
          NumLex *l = get_word (lx, key);
          l->roles |= NR_CURRENCY;
          g_free (l->currency);
          l->currency = g_memdup2 (iso, NUM_ISO_SIZE);
          g_hash_table_replace (lx->currency_post, norm_phrase (key), iso);
        }
        break;
      }
      case S_SUFFIX: {
        NumLex *l = g_new0 (NumLex, 1);
        l->roles = NR_SCALE;
        l->scale = v;
        l->scale_abbr = flag_money;   /* money-only suffix */
        if (flag_case)
          l->cased = g_strdup (key);
        g_hash_table_replace (lx->suffix, flag_case ? g_strdup (key) : lower_dup (key), l);
        break;
      }
      case S_ID_CUE: {
        char *p = norm_phrase (key);
        mark_last_token (lx, p, NR_IDCUE);
        g_hash_table_replace (lx->id_cue, p, GINT_TO_POINTER (1));
        }
        break;
      case S_ORD_SUFFIX:
      case S_DECADE_SUFFIX:
        if (strlen (key) >= 16)
          FAIL ("'%s': suffixes have at most 15 bytes", key);
        g_hash_table_replace (sec == S_ORD_SUFFIX ? lx->ord_suffix : lx->decade_suffix,
                              lower_dup (key), GINT_TO_POINTER (1));
        break;
      case S_ADJ_SUFFIX:
        g_ptr_array_add (lx->adj_suffix, lower_dup (key));
        break;
      case S_UNIT_STOP_SUFFIX:
        g_ptr_array_add (lx->unit_stop_suffix, lower_dup (key));
        break;
      case S_SETTING:
        if (strcmp (key, "decimal") == 0 && strcmp (fields[0], "comma") == 0)
          lx->decimal_comma = TRUE;
        else if (strcmp (key, "decimal") == 0 && strcmp (fields[0], "point") == 0)
          lx->decimal_comma = FALSE;
        else if (strcmp (key, "unit") == 0 && strcmp (fields[0], "plural_s") == 0)
          lx->unit_first_noun = FALSE;
        else if (strcmp (key, "unit") == 0 && strcmp (fields[0], "first_noun") == 0)
          lx->unit_first_noun = TRUE;
        else
          FAIL ("unknown setting '%s = %s' (decimal = point|comma, unit = plural_s|first_noun)",
                key, fields[0]);
        break;
      case S_DENOMINATOR:
        if (!parse_number (key, &v) || v < 2 || v != floor (v))
          FAIL ("'%s': a denominator is an integer >= 2", key);
        g_hash_table_replace (lx->denominators, g_strdup (key), GINT_TO_POINTER (1));
        break;
      case S_NONE:
        break;
      }
    }
  }
  {
    GHashTableIter it;
    gpointer key, val;
    gboolean dummy = FALSE;
    g_hash_table_iter_init (&it, lx->words);
    while (g_hash_table_iter_next (&it, &key, &val)) {
      NumLex *l = val;
      /* one-token phrases, answered without joining and hashing (test_phrase_first) */
      l->qual1 = (guint8) GPOINTER_TO_INT (g_hash_table_lookup (lx->prefix_qual, key));
      l->cur1 = g_hash_table_lookup (lx->currency_pre, key);
      filter_set (lx->filter_all, &dummy, key);
      if (l->roles & NUM_BEHIND_ROLES)
        filter_set (lx->filter_behind, &dummy, key);
      if (l->roles & (NR_ART | NR_NEG))
        filter_set (lx->filter_artneg, &dummy, key);
    }
  }
  build_slots (lx);
  for (guint c = 0; c < 128; c++) {
    char b = (char) c;
    lx->byte1[c] = num_lexicon_find_exact (lx, &b, 1);
  }
  phrase_first_build (&lx->qual_first, lx->prefix_qual);
  phrase_first_build (&lx->cur_first, lx->currency_pre);
  if (g_hash_table_size (lx->words) == 0) {
    lineno = 1;
    msg = NULL;
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:1: no entries", path);
    goto fail;
  }
  return lx;

fail:
  num_lexicon_free (lx);
  return NULL;
}

const NumLex *
num_lexicon_lookup (const NumLexicon *lx, const char *lower, const char *orig, gsize len)
{
  const NumLex *l = g_hash_table_lookup (lx->words, lower);
  if (l && l->cased && strncmp (l->cased, orig, len) != 0)
    return NULL;
  return l;
}
