/* translit — romanise Cyrillic, Greek, Armenian, Georgian, Arabic... text
 * under named standards.  Schemes are data files (data/schemes/NAME.LANG.map, format
 * in README.md); this file finds the runs of text to convert and applies the
 * compiled schemes in one of three modes (annotate, replace, entities). */
#include <sluice/sluice.h>
#include <string.h>

#include "translit-scheme.h"

enum { MODE_ANNOTATE, MODE_REPLACE, MODE_ENTITIES };

#define MAX_SCRIPTS 8

typedef struct {
  GPtrArray *schemes;          /* TlScheme *: one per language */
  TlScheme *ascii;             /* the Latin folding table, or NULL */
  gboolean ascii_only;         /* scheme = ascii */
  int mode;
  char *scheme_name;
  GUnicodeScript scripts[MAX_SCRIPTS];
  guint n_scripts;
  gboolean latin;              /* one of the scripts is Latin */
  /* Per-BMP-code-point tables built in create(), so the hot loops make no
   * GLib Unicode calls: flags (CP_*) and the simple lower-case mapping. */
  /* Per script: punctuation and other non-letters a scheme of that script
   * maps (Armenian « » ։, Arabic ، ؟, Greek ;), which a run takes in when
   * they touch its first or last letter. */
  gunichar *edge[MAX_SCRIPTS];
  guint n_edge[MAX_SCRIPTS];
  guint8 *cp_flags;
  guint8 *cp_tl;               /* TL_* bits for the scheme engine */
  gunichar2 *cp_lower;
} Translit;

#define CP_RUN 1u      /* a letter of one of the stage's scripts */
#define CP_MARK 2u     /* a combining mark */
#define CP_ALPHA 4u    /* a letter of any script */
#define CP_UPPER 8u    /* an upper-case (or title-case) letter */
#define CP_SCRIPT_SHIFT 4 /* index into scripts[] in bits 4-6 */
#define CP_SCRIPT_MASK 7u
#define CP_CASED 0x80u /* a letter with case */

/* Per-call scratch: code points of a run and their case data (plain arrays
 * grown on demand, filled by next_run() while it scans), output buffers. */
typedef struct {
  gunichar *cps, *lower;
  guint8 *upper;
  gsize n, cap;
  gboolean decoded;            /* cps/lower/upper hold the run [rs, re) */
  GString *out, *tmp;
} Scratch;

static const SluiceOptionSpec translit_options[] = {
  { "scheme", SLUICE_OPTION_STRING, "bgn-pcgn", FALSE, 0, 0, NULL,
    "Romanisation scheme: a file SCHEME.LANG.map in scheme_dirs or data/schemes "
    "(bgn-pcgn, iso9, ala-lc, gost-7.79-b, icao, scientific, wikipedia, ...), or ascii" },
  { "lang", SLUICE_OPTION_STRING, "auto", FALSE, 0, 0, NULL,
    "Source language (ru, uk, be, bg, sr, mk, kk, ky, mn, az, hy, ka, el, ar, fa, ...) or auto: "
    "guess per run from its letters" },
  { "mode", SLUICE_OPTION_STRING, "annotate", FALSE, 0, 0, "annotate|replace|entities",
    "annotate: TRANSLIT annotations; replace: rewrite the text; entities: attrs.latin on entities" },
  { "scheme_dirs", SLUICE_OPTION_STRING_LIST, NULL, FALSE, 0, 0, NULL,
    "Extra directories of scheme files, searched before the bundled ones" },
  { "ascii", SLUICE_OPTION_BOOL, "false", FALSE, 0, 0, NULL,
    "Fold Latin letters with diacritics to ASCII after the scheme" },
  { NULL }
};

static const char *const translit_produces[] = { "TRANSLIT", NULL };
static const char *const translit_consumes[] = { "PERSON", "LOCATION", "ORGANIZATION", "MISC", NULL };

/* ------------------------------------------------------------------ create */

static void
translit_destroy (gpointer data)
{
  Translit *t = data;
  if (!t)
    return;
  if (t->schemes)
    g_ptr_array_free (t->schemes, TRUE);
  tl_scheme_free (t->ascii);
  g_free (t->scheme_name);
  for (guint i = 0; i < MAX_SCRIPTS; i++)
    g_free (t->edge[i]);
  g_free (t->cp_flags);
  g_free (t->cp_tl);
  g_free (t->cp_lower);
  g_free (t);
}

static gboolean
valid_name (const char *s)
{
  if (!s || !*s)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* The directories searched for scheme files, user ones first. */
static GPtrArray *
scheme_dirs (const SluiceOptions *opts)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;
  const char *const *user = sluice_options_get_string_list (opts, "scheme_dirs", &n);
  for (guint i = 0; user && i < n; i++)
    g_ptr_array_add (dirs, sluice_options_resolve_path (opts, user[i]));
  const char *data = sluice_options_get_data_dir (opts);
  if (data)
    g_ptr_array_add (dirs, g_build_filename (data, "schemes", NULL));
  return dirs;
}

static char *
where (const SluiceOptions *opts, const char *option)
{
  const char *loc = sluice_options_get_location (opts, option);
  return g_strdup (loc ? loc : "translit");
}

static int
cmp_str_ptr (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* For an unknown scheme: the schemes available (for `lang` only, unless it
 * is "auto" or has none: *all_langs), sorted, with their languages, and the nearest
 * scheme name as a hint ("" when none is close). */
static char *
list_available (GPtrArray *dirs, const char *scheme, const char *lang, char **hint,
                gboolean *all_langs)
{
  g_autoptr (GHashTable) langs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  gboolean any_lang = strcmp (lang, "auto") == 0;
  for (int pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < dirs->len; i++)
        {
          GDir *d = g_dir_open (g_ptr_array_index (dirs, i), 0, NULL);
          const char *f;
          while (d && (f = g_dir_read_name (d)))
            {
              if (!g_str_has_suffix (f, ".map"))
                continue;
              g_autofree char *base = g_strndup (f, strlen (f) - 4);
              char *dot = strrchr (base, '.');
              const char *flang = "any language"; /* ascii.map: any Latin text */
              if (dot && (dot == base || dot[1] == '\0'))
                continue;
              if (dot)
                {
                  *dot = '\0';
                  flang = dot + 1;
                }
              if (!any_lang && dot && strcmp (flang, lang) != 0)
                continue;
              GPtrArray *l = g_hash_table_lookup (langs, base);
              if (!l)
                {
                  l = g_ptr_array_new_with_free_func (g_free);
                  g_hash_table_insert (langs, g_strdup (base), l);
                }
              gboolean dup = FALSE;
              for (guint k = 0; k < l->len && !dup; k++)
                dup = strcmp (g_ptr_array_index (l, k), flang) == 0;
              if (!dup)
                g_ptr_array_add (l, g_strdup (flang));
            }
          if (d)
            g_dir_close (d);
        }
      /* Only the language-independent ascii: list every scheme instead. */
      if (g_hash_table_size (langs) > 1 || any_lang)
        break;
      g_hash_table_remove_all (langs);
      any_lang = TRUE;
    }
  *all_langs = any_lang;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, langs);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (names, k);
  g_ptr_array_sort (names, cmp_str_ptr);
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      GPtrArray *l = g_hash_table_lookup (langs, name);
      g_ptr_array_sort (l, cmp_str_ptr);
      if (out->len)
        g_string_append (out, ", ");
      g_string_append (out, name);
      if (any_lang)
        {
          g_string_append (out, " (");
          for (guint j = 0; j < l->len; j++)
            g_string_append_printf (out, "%s%s", j ? " " : "", (char *) g_ptr_array_index (l, j));
          g_string_append_c (out, ')');
        }
    }
  /* The name itself (a scheme of another language) is no hint. */
  const char *nearest = sluice_suggest (scheme, (const char *const *) names->pdata, names->len);
  if (nearest && strcmp (nearest, scheme) != 0)
    *hint = g_strdup_printf ("; did you mean '%s'?", nearest);
  else
    *hint = g_strdup ("");
  return g_string_free (out, FALSE);
}

static gboolean
add_script (Translit *t, TlScheme *s)
{
  GUnicodeScript sc = tl_scheme_get_script (s);
  if (sc == G_UNICODE_SCRIPT_LATIN)
    t->latin = TRUE;
  for (guint i = 0; i < t->n_scripts; i++)
    if (t->scripts[i] == sc)
      return TRUE;
  if (t->n_scripts == MAX_SCRIPTS)
    return FALSE;
  t->scripts[t->n_scripts++] = sc;
  return TRUE;
}

static void
build_tables (Translit *t)
{
  t->cp_flags = g_new0 (guint8, 0x10000);
  t->cp_tl = g_new0 (guint8, 0x10000);
  t->cp_lower = g_new (gunichar2, 0x10000);
  for (gunichar c = 0; c < 0x10000; c++)
    {
      gunichar l = g_unichar_tolower (c);
      t->cp_lower[c] = l < 0x10000 ? (gunichar2) l : (gunichar2) c;
      guint8 f = 0;
      if (c >= 0xD800 && c < 0xE000)
        {
          t->cp_flags[c] = 0;
          continue;
        }
      if (g_unichar_isalpha (c))
        {
          f |= CP_ALPHA;
          GUnicodeScript sc = g_unichar_get_script (c);
          for (guint i = 0; i < t->n_scripts; i++)
            if (t->scripts[i] == sc && (c >= 0x80 || t->latin))
              f |= CP_RUN | (guint8) (i << CP_SCRIPT_SHIFT);
        }
      else if (g_unichar_ismark (c))
        f |= CP_MARK;
      if (l != c || g_unichar_isupper (c) || g_unichar_istitle (c))
        f |= CP_UPPER;
      if ((f & CP_UPPER) || g_unichar_islower (c))
        f |= CP_CASED;
      t->cp_flags[c] = f;
      t->cp_tl[c] = ((f & CP_UPPER) ? TL_UPPER : 0) | ((f & CP_CASED) ? TL_CASED : 0)
                    | ((f & (CP_ALPHA | CP_MARK)) || (c < 0x80 && g_ascii_isalpha (c)) ? TL_WORD : 0);
    }
}

static gboolean
is_edge_char (gunichar c)
{
  return !g_unichar_isalpha (c) && !g_unichar_ismark (c) && !g_unichar_isspace (c)
         && !tl_is_apostrophe (c) && c != 0x2028 && c != 0x2029 && c >= 0x20;
}

static void
collect_edges (Translit *t)
{
  for (guint k = 0; k < t->schemes->len; k++)
    {
      const TlScheme *sch = g_ptr_array_index (t->schemes, k);
      guint si = 0;
      while (si < t->n_scripts && t->scripts[si] != tl_scheme_get_script (sch))
        si++;
      if (si == t->n_scripts || t->scripts[si] == G_UNICODE_SCRIPT_LATIN)
        continue;
      gunichar lo, hi;
      tl_scheme_get_range (sch, &lo, &hi);
      for (gunichar c = lo; c <= hi && c >= lo; c++)
        {
          if (!tl_scheme_maps (sch, c) || !is_edge_char (c))
            continue;
          gboolean seen = FALSE;
          for (guint e = 0; e < t->n_edge[si] && !seen; e++)
            seen = t->edge[si][e] == c;
          if (seen)
            continue;
          t->edge[si] = g_renew (gunichar, t->edge[si], t->n_edge[si] + 1);
          t->edge[si][t->n_edge[si]++] = c;
        }
    }
}

static gpointer
translit_create (const SluiceOptions *opts, GError **error)
{
  Translit *t = g_new0 (Translit, 1);
  const char *scheme = sluice_options_get_string (opts, "scheme");
  const char *lang = sluice_options_get_string (opts, "lang");
  const char *mode = sluice_options_get_string (opts, "mode");
  t->schemes = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_scheme_free);
  t->scheme_name = g_strdup (scheme);
  t->mode = g_strcmp0 (mode, "replace") == 0 ? MODE_REPLACE
            : g_strcmp0 (mode, "entities") == 0 ? MODE_ENTITIES : MODE_ANNOTATE;
  g_autoptr (GPtrArray) dirs = scheme_dirs (opts);
  g_autofree char *loc_scheme = where (opts, "scheme");
  g_autofree char *loc_lang = where (opts, "lang");

  if (!valid_name (scheme))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                   "%s: invalid scheme name '%s' (letters, digits, '-', '_' only)", loc_scheme,
                   scheme ? scheme : "");
      goto fail;
    }
  if (!valid_name (lang))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                   "%s: invalid lang '%s' (a language code such as ru, or auto)", loc_lang,
                   lang ? lang : "");
      goto fail;
    }

  /* The ASCII folding table: the scheme itself, or a pass after it. */
  gboolean want_ascii = strcmp (scheme, "ascii") == 0 || sluice_options_get_bool (opts, "ascii");
  if (want_ascii)
    {
      for (guint i = 0; i < dirs->len && !t->ascii; i++)
        {
          g_autofree char *path = g_build_filename (g_ptr_array_index (dirs, i), "ascii.map", NULL);
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            {
              t->ascii = tl_scheme_load (path, "ascii", "und", SLUICE_ERROR, SLUICE_ERROR_DATA, error);
              if (!t->ascii)
                goto fail;
            }
        }
      if (!t->ascii)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA,
                       "%s: the ASCII folding table ascii.map is missing from the scheme directories",
                       loc_scheme);
          goto fail;
        }
    }

  if (strcmp (scheme, "ascii") == 0)
    {
      t->ascii_only = TRUE;
      add_script (t, t->ascii);
      build_tables (t);
      return t;
    }

  if (strcmp (lang, "auto") != 0)
    {
      for (guint i = 0; i < dirs->len; i++)
        {
          g_autofree char *file = g_strdup_printf ("%s.%s.map", scheme, lang);
          g_autofree char *path = g_build_filename (g_ptr_array_index (dirs, i), file, NULL);
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            {
              TlScheme *s = tl_scheme_load (path, scheme, lang, SLUICE_ERROR, SLUICE_ERROR_DATA, error);
              if (!s)
                goto fail;
              g_ptr_array_add (t->schemes, s);
              add_script (t, s);
              break;
            }
        }
    }
  else
    {
      /* Every language of the scheme; a user directory shadows a bundled file. */
      g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autofree char *prefix = g_strconcat (scheme, ".", NULL);
      for (guint i = 0; i < dirs->len; i++)
        {
          GDir *d = g_dir_open (g_ptr_array_index (dirs, i), 0, NULL);
          if (!d)
            continue;
          GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
          const char *f;
          while ((f = g_dir_read_name (d)))
            if (g_str_has_prefix (f, prefix) && g_str_has_suffix (f, ".map")
                && strlen (f) > strlen (prefix) + 4 && !strchr (f + strlen (prefix), '/'))
              g_ptr_array_add (files, g_strdup (f));
          g_dir_close (d);
          g_ptr_array_sort (files, cmp_str_ptr);
          for (guint k = 0; k < files->len; k++)
            {
              const char *file = g_ptr_array_index (files, k);
              char *l = g_strndup (file + strlen (prefix), strlen (file) - strlen (prefix) - 4);
              if (strchr (l, '.') || g_hash_table_contains (seen, l))
                {
                  g_free (l);
                  continue;
                }
              g_hash_table_add (seen, l);
              g_autofree char *path = g_build_filename (g_ptr_array_index (dirs, i), file, NULL);
              TlScheme *s = tl_scheme_load (path, scheme, l, SLUICE_ERROR, SLUICE_ERROR_DATA, error);
              if (!s)
                {
                  g_ptr_array_free (files, TRUE);
                  goto fail;
                }
              g_ptr_array_add (t->schemes, s);
              if (!add_script (t, s))
                {
                  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                               "%s: scheme '%s' spans more than %d scripts", loc_scheme, scheme,
                               MAX_SCRIPTS);
                  g_ptr_array_free (files, TRUE);
                  goto fail;
                }
            }
          g_ptr_array_free (files, TRUE);
        }
    }
  if (t->schemes->len == 0)
    {
      g_autofree char *hint = NULL;
      gboolean all_langs = FALSE;
      g_autofree char *avail = list_available (dirs, scheme, lang, &hint, &all_langs);
      if (strcmp (lang, "auto") == 0)
        g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                     "%s: unknown scheme '%s' (no file %s.*.map)%s; available: %s", loc_scheme,
                     scheme, scheme, hint, avail);
      else if (all_langs)
        g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                     "%s: no scheme '%s' for lang '%s' (no file %s.%s.map), and no scheme at "
                     "all for '%s'%s; available: %s",
                     loc_scheme, scheme, lang, scheme, lang, lang, hint, avail);
      else
        g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                     "%s: no scheme '%s' for lang '%s' (no file %s.%s.map)%s; available for "
                     "%s: %s",
                     loc_scheme, scheme, lang, scheme, lang, hint, lang, avail);
      goto fail;
    }
  build_tables (t);
  collect_edges (t);
  return t;

fail:
  translit_destroy (t);
  return NULL;
}

/* ------------------------------------------------------------- run finding */

static inline gboolean
is_our_script (const Translit *t, GUnicodeScript sc)
{
  for (guint i = 0; i < t->n_scripts; i++)
    if (t->scripts[i] == sc)
      return TRUE;
  return FALSE;
}

/* A letter that starts or continues a run, in one of the stage's scripts.
 * For Latin (the ascii scheme), only letters outside ASCII start a run. */
static inline gboolean
is_run_letter (const Translit *t, gunichar c, GUnicodeScript *sc)
{
  if (c < 0x10000)
    {
      guint8 f = t->cp_flags[c];
      if (!(f & CP_RUN))
        return FALSE;
      *sc = t->scripts[(f >> CP_SCRIPT_SHIFT) & CP_SCRIPT_MASK];
      return TRUE;
    }
  if (c < 0x80)
    {
      if (t->latin && g_ascii_isalpha (c))
        {
          *sc = G_UNICODE_SCRIPT_LATIN;
          return TRUE;
        }
      return FALSE;
    }
  *sc = g_unichar_get_script (c);
  if (!is_our_script (t, *sc))
    return FALSE;
  return g_unichar_isalpha (c);
}

static inline gsize
skip_ascii (const char *text, gsize pos, gsize len)
{
  while (pos + 8 <= len)
    {
      guint64 w;
      memcpy (&w, text + pos, 8);
      if (w & G_GUINT64_CONSTANT (0x8080808080808080))
        break;
      pos += 8;
    }
  while (pos < len && (guchar) text[pos] < 0x80)
    pos++;
  return pos;
}

static inline gboolean
edge_has (const Translit *t, guint si, gunichar c)
{
  for (guint k = 0; k < t->n_edge[si]; k++)
    if (t->edge[si][k] == c)
      return TRUE;
  return FALSE;
}

static void
scratch_grow (Scratch *s, gsize need)
{
  gsize cap = MAX (MAX (need, s->cap * 2), 256);
  s->cps = g_renew (gunichar, s->cps, cap);
  s->lower = g_renew (gunichar, s->lower, cap);
  s->upper = g_renew (guint8, s->upper, cap);
  s->cap = cap;
}

/* Appends one code point with its lower-case form and case flag. */
static inline void
scratch_push (const Translit *t, Scratch *s, gunichar c)
{
  if (G_UNLIKELY (s->n >= s->cap))
    scratch_grow (s, s->n + 1);
  s->cps[s->n] = c;
  if (c < 0x10000)
    {
      s->lower[s->n] = t->cp_lower[c];
      s->upper[s->n] = t->cp_tl[c];
    }
  else
    {
      gunichar l = g_unichar_tolower (c);
      gboolean up = l != c || g_unichar_isupper (c) || g_unichar_istitle (c);
      s->lower[s->n] = l;
      s->upper[s->n] = (up ? TL_UPPER : 0) | (up || g_unichar_islower (c) ? TL_CASED : 0)
                       | (g_unichar_isalpha (c) || g_unichar_ismark (c) ? TL_WORD : 0);
    }
  s->n++;
}

/* Finds the next run at or after `from`: [*rs, *re), its script, and whether
 * it holds combining marks (then it is normalised to NFC first).  Runs are
 * words of one script with the spaces and punctuation between them (never a
 * newline); for Latin, only words with a non-ASCII letter.  The one decoding
 * pass also fills the scratch arrays with the run's code points
 * (s->decoded), except for Latin runs and runs with marks, which
 * convert_run() decodes again after normalising. */
static gboolean
next_run (const Translit *t, Scratch *s, const char *text, gsize len, gsize from, gsize *rs,
          gsize *re, GUnicodeScript *script, gboolean *marks)
{
  gsize pos = from;
  while (pos < len)
    {
      pos = skip_ascii (text, pos, len);
      if (pos >= len)
        return FALSE;
      gsize clen;
      gunichar c = tl_utf8_get (text + pos, &clen);
      GUnicodeScript sc;
      if (!is_run_letter (t, c, &sc))
        {
          pos += clen;
          continue;
        }
      gsize start = pos, end = pos + clen;
      *marks = FALSE;
      s->n = 0;
      scratch_push (t, s, c);
      gsize n_end = 1;
      if (sc == G_UNICODE_SCRIPT_LATIN)
        {
          /* Back up to the start of the word (ASCII letters too). */
          while (start > from)
            {
              const char *p = g_utf8_find_prev_char (text + from, text + start);
              if (!p)
                break;
              gunichar pc = g_utf8_get_char (p);
              GUnicodeScript ps;
              if (g_unichar_ismark (pc))
                *marks = TRUE;
              else if (!is_run_letter (t, pc, &ps) || ps != sc)
                break;
              start = p - text;
            }
        }
      gsize q = end;
      /* The scan loop keeps the scratch arrays and tables in locals: the
       * guint8 stores would otherwise force reloads through `s` and `t`. */
      const guint8 *const flags = t->cp_flags, *const tlf = t->cp_tl;
      const gunichar2 *const lowtab = t->cp_lower;
      gunichar *cps = s->cps, *low = s->lower;
      guint8 *up = s->upper;
      gsize n = s->n, cap = s->cap;
#define PUSH(ch)                                                                \
  do                                                                            \
    {                                                                           \
      gunichar ch_ = (ch);                                                      \
      if (G_UNLIKELY (n >= cap || ch_ >= 0x10000))                              \
        {                                                                       \
          s->n = n;                                                             \
          scratch_push (t, s, ch_);                                             \
          n = s->n;                                                             \
          cap = s->cap;                                                         \
          cps = s->cps;                                                         \
          low = s->lower;                                                       \
          up = s->upper;                                                        \
        }                                                                       \
      else                                                                      \
        {                                                                       \
          cps[n] = ch_;                                                         \
          low[n] = lowtab[ch_];                                                 \
          up[n] = tlf[ch_];                                                     \
          n++;                                                                  \
        }                                                                       \
    }                                                                           \
  while (0)
      while (q < len)
        {
          gsize dlen;
          gunichar d = (guchar) text[q];
          if (d < 0x80)
            dlen = 1;
          else
            d = tl_utf8_get (text + q, &dlen);
          guint8 f = d < 0x10000 ? flags[d] : 0;
          GUnicodeScript ds;
          if (f & CP_RUN)
            {
              if (t->scripts[(f >> CP_SCRIPT_SHIFT) & CP_SCRIPT_MASK] != sc)
                break;
              PUSH (d);
              n_end = n;
              q += dlen;
              end = q;
            }
          else if (d >= 0x10000 && is_run_letter (t, d, &ds))
            {
              if (ds != sc)
                break;
              PUSH (d);
              n_end = n;
              q += dlen;
              end = q;
            }
          else if (d >= 0x300 && (d < 0x10000 ? (f & CP_MARK) != 0 : g_unichar_ismark (d)))
            {
              *marks = TRUE;
              PUSH (d);
              n_end = n;
              q += dlen;
              end = q;
            }
          else if (sc == G_UNICODE_SCRIPT_LATIN)
            {
              /* Latin runs are single words (plus word-internal apostrophes). */
              if (tl_is_apostrophe (d))
                {
                  PUSH (d);
                  q += dlen;
                  continue;
                }
              break;
            }
          else if (d == '\n' || d == '\r' || d == 0x2028 || d == 0x2029
                   || (d < 0x10000 ? (f & CP_ALPHA) != 0 : g_unichar_isalpha (d)))
            break;
          else
            {
              PUSH (d);
              q += dlen;
            }
        }
#undef PUSH
      s->n = n_end;
      s->decoded = !*marks && sc != G_UNICODE_SCRIPT_LATIN;
      if (sc != G_UNICODE_SCRIPT_LATIN)
        {
          /* Punctuation the script's schemes map, touching the first or last
           * letter, belongs to the run (re-decoded in convert_run). */
          guint si = (t->cp_flags[c < 0x10000 ? c : 0] >> CP_SCRIPT_SHIFT) & CP_SCRIPT_MASK;
          if (c >= 0x10000)
            for (si = 0; si < t->n_scripts && t->scripts[si] != sc; si++)
              ;
          if (si < MAX_SCRIPTS && t->n_edge[si])
            {
              gsize b = start, e = end;
              while (b > from)
                {
                  const char *pp = g_utf8_find_prev_char (text + from, text + b);
                  if (!pp || !edge_has (t, si, g_utf8_get_char (pp)))
                    break;
                  b = (gsize) (pp - text);
                }
              while (e < len)
                {
                  gsize el;
                  gunichar ec = tl_utf8_get (text + e, &el);
                  if (!edge_has (t, si, ec))
                    break;
                  e += el;
                }
              if (b != start || e != end)
                {
                  start = b;
                  end = e;
                  s->decoded = FALSE;
                }
            }
        }
      if (sc == G_UNICODE_SCRIPT_LATIN)
        {
          /* Only words with a letter outside ASCII change. */
          gboolean non_ascii = *marks;
          for (gsize k = start; k < end && !non_ascii; k++)
            non_ascii = (guchar) text[k] >= 0x80;
          if (!non_ascii)
            {
              pos = end;
              continue;
            }
        }
      *rs = start;
      *re = end;
      *script = sc;
      return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------ conversion */

/* Nothing is allocated until a run is found: text without one costs no
 * allocation at all. */
static void
scratch_init (Scratch *s)
{
  memset (s, 0, sizeof *s);
}

static void
scratch_clear (Scratch *s)
{
  g_free (s->cps);
  g_free (s->lower);
  g_free (s->upper);
  if (s->out)
    g_string_free (s->out, TRUE);
  if (s->tmp)
    g_string_free (s->tmp, TRUE);
}

/* Decodes UTF-8 into the scratch arrays. */
static void
decode (const Translit *t, Scratch *s, const char *p, gsize len)
{
  s->n = 0;
  if (len + 1 > s->cap)
    scratch_grow (s, len + 1);
  const char *end = p + len;
  while (p < end)
    {
      gsize cl;
      gunichar c = tl_utf8_get (p, &cl);
      p += cl;
      scratch_push (t, s, c);
    }
}

static const TlScheme *
pick_scheme (const Translit *t, GUnicodeScript sc, const gunichar *lower, gsize n)
{
  const TlScheme *best = NULL, *fallback = NULL, *first = NULL;
  guint best_score = 0;
  for (guint i = 0; i < t->schemes->len; i++)
    {
      const TlScheme *s = g_ptr_array_index (t->schemes, i);
      if (tl_scheme_get_script (s) != sc)
        continue;
      if (!first)
        first = s;
      if (!fallback && tl_scheme_is_fallback (s))
        fallback = s;
      if (t->schemes->len > 1)
        {
          guint score = tl_scheme_detect_score (s, lower, n);
          if (score > best_score)
            {
              best_score = score;
              best = s;
            }
        }
    }
  return best ? best : fallback ? fallback : first;
}

/* Converts the run text[rs, re) into s->out; returns the scheme used (NULL
 * when none applies: the run's script has no scheme). */
static const TlScheme *
convert_run (const Translit *t, Scratch *s, const char *text, gsize rs, gsize re,
             GUnicodeScript sc, gboolean marks)
{
  g_autofree char *nfc = NULL;
  const char *p = text + rs;
  gsize len = re - rs;
  if (marks)
    {
      nfc = g_utf8_normalize (p, (gssize) len, G_NORMALIZE_NFC);
      if (nfc)
        {
          p = nfc;
          len = strlen (nfc);
        }
    }
  if (!s->out)
    {
      s->out = g_string_sized_new (256);
      s->tmp = g_string_sized_new (256);
    }
  g_string_truncate (s->out, 0);
  const TlScheme *scheme;
  if (t->ascii_only)
    scheme = t->ascii;
  else
    {
      if (!s->decoded)
        decode (t, s, p, len);
      s->decoded = FALSE;
      scheme = pick_scheme (t, sc, s->lower, s->n);
      if (!scheme)
        return NULL;
      if (tl_scheme_needs_prepare (scheme))
        tl_scheme_prepare (scheme, s->cps, s->lower, s->upper, s->n);
      tl_scheme_apply (scheme, s->cps, s->lower, s->upper, s->n, s->out);
      if (!t->ascii)
        return scheme;
      /* Fold the scheme's output. */
      g_string_truncate (s->tmp, 0);
      g_string_append_len (s->tmp, s->out->str, s->out->len);
      p = s->tmp->str;
      len = s->tmp->len;
      g_string_truncate (s->out, 0);
    }
  decode (t, s, p, len);
  s->decoded = FALSE;
  tl_scheme_apply (t->ascii, s->cps, s->lower, s->upper, s->n, s->out);
  return scheme;
}

static const char *
script_code (const TlScheme *scheme, GUnicodeScript sc)
{
  if (scheme && tl_scheme_get_script (scheme) == sc)
    return tl_scheme_get_script_code (scheme);
  return sc == G_UNICODE_SCRIPT_LATIN ? "Latn" : "Zyyy";
}

/* Transliterates a whole string (runs converted, the rest copied) into
 * `dst`; returns the number of runs converted. */
static guint
convert_string (const Translit *t, Scratch *s, const char *text, gsize len, GString *dst)
{
  gsize pos = 0, rs, re;
  GUnicodeScript sc;
  gboolean marks;
  guint runs = 0;
  while (next_run (t, s, text, len, pos, &rs, &re, &sc, &marks))
    {
      g_string_append_len (dst, text + pos, rs - pos);
      if (convert_run (t, s, text, rs, re, sc, marks))
        {
          g_string_append_len (dst, s->out->str, s->out->len);
          runs++;
        }
      else
        g_string_append_len (dst, text + rs, re - rs);
      pos = re;
    }
  g_string_append_len (dst, text + pos, len - pos);
  return runs;
}

/* ----------------------------------------------------------------- process */

static SluiceStatus
translit_process (gpointer data, SluiceDocument *doc, GError **error)
{
  const Translit *t = data;
  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  Scratch s;
  SluiceStatus status = SLUICE_OK;

  if (t->mode == MODE_ENTITIES)
    {
      /* Fast exit: nothing outside ASCII, nothing to add (ascii-only runs
       * on Latin need non-ASCII letters too). */
      if (skip_ascii (text, 0, len) >= len)
        return SLUICE_OK;
      scratch_init (&s);
      GString *latin = g_string_new (NULL);
      guint n = sluice_document_get_n_annotations (doc);
      for (guint i = 0; i < n; i++)
        {
          SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
          const char *type = sluice_annotation_get_type (a);
          if (g_strcmp0 (type, "TRANSLIT") == 0)
            continue;
          gsize as = sluice_annotation_get_start (a), ae = sluice_annotation_get_end (a);
          if (ae <= as || ae > len)
            continue;
          g_string_truncate (latin, 0);
          if (convert_string (t, &s, text + as, ae - as, latin) > 0)
            sluice_attrs_set_string_len (sluice_annotation_get_attrs (a), "latin", latin->str,
                                         latin->len);
        }
      g_string_free (latin, TRUE);
      scratch_clear (&s);
      return SLUICE_OK;
    }

  gsize pos = 0, rs, re;
  GUnicodeScript sc;
  gboolean marks;
  scratch_init (&s);
  if (!next_run (t, &s, text, len, 0, &rs, &re, &sc, &marks))
    {
      scratch_clear (&s);
      return SLUICE_OK;
    }
  SluiceRewriter *rw = t->mode == MODE_REPLACE ? sluice_rewriter_new (doc) : NULL;
  gboolean changed = FALSE;
  do
    {
      const TlScheme *scheme = convert_run (t, &s, text, rs, re, sc, marks);
      if (scheme)
        {
          if (rw)
            {
              if (s.out->len != re - rs || memcmp (s.out->str, text + rs, re - rs) != 0)
                {
                  sluice_rewriter_keep (rw, rs);
                  sluice_rewriter_replace (rw, re, s.out->str, (gssize) s.out->len);
                  changed = TRUE;
                }
            }
          else
            {
              SluiceAnnotation *a = sluice_document_add_annotation (doc, "TRANSLIT", rs, re);
              if (a)
                {
                  SluiceAttrs *at = sluice_annotation_get_attrs (a);
                  sluice_attrs_set_string_len (at, "latin", s.out->str, s.out->len);
                  sluice_attrs_set_static_string (at, "script", script_code (scheme, sc));
                  sluice_attrs_set_static_string (at, "lang", tl_scheme_get_lang (scheme));
                  sluice_attrs_set_static_string (at, "scheme", t->scheme_name);
                }
            }
        }
      pos = re;
    }
  while (next_run (t, &s, text, len, pos, &rs, &re, &sc, &marks));

  if (rw)
    {
      if (changed)
        {
          if (!sluice_rewriter_commit (rw, error))
            status = SLUICE_DOC_ERROR;
        }
      else
        sluice_rewriter_abort (rw);
    }
  scratch_clear (&s);
  return status;
}

SLUICE_STAGE_DEFINE (
  .flags = SLUICE_STAGE_REWRITES_TEXT,
  .name = "translit",
  .version = "1.0.0",
  .license = "MIT",
  .summary = "Romanises Cyrillic, Greek, Armenian, Georgian and Arabic-script text under named standards",
  .options = translit_options,
  .produces = translit_produces,
  .consumes = translit_consumes,
  .create = translit_create,
  .process = translit_process,
  .destroy = translit_destroy)
