/* sluice clean stage — line patterns (PCRE2), outlet list, date parsing. */
#include "clean-private.h"
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char *const group_names[] = { "byline", "outlet", "year", "month", "day" };
#define N_GROUPS G_N_ELEMENTS (group_names)


static void
pattern_free (gpointer p)
{
  CleanPattern *pat = p;
  g_free (pat->name);
  g_free (pat->source);
  g_free (pat->regex);
  g_free (pat);
}

static void
alternation_clear (CleanAlternation *alt)
{
  if (alt->code)
    pcre2_code_free (alt->code);
  alt->code = NULL;
  for (guint i = 0; i < N_GROUPS; i++)
    if (alt->group_nums[i])
      g_array_unref (alt->group_nums[i]);
}

CleanPatternSet *
clean_patterns_new (void)
{
  CleanPatternSet *set = g_new0 (CleanPatternSet, 1);
  set->patterns = g_ptr_array_new_with_free_func (pattern_free);
  set->subsets = g_ptr_array_new ();
  return set;
}

void
clean_patterns_free (CleanPatternSet *set)
{
  if (set == NULL)
    return;
  g_ptr_array_unref (set->patterns);
  alternation_clear (&set->full);
  for (guint i = 0; i < set->subsets->len; i++)
    {
      CleanAlternation *alt = g_ptr_array_index (set->subsets, i);
      alternation_clear (alt);
      g_free (alt);
    }
  g_ptr_array_unref (set->subsets);
  g_free (set->subset_of);
  for (guint i = 0; i < set->n_literals; i++)
    g_free (set->literals[i]);
  g_free (set);
}

#define COMPILE_FLAGS (PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_DUPNAMES)

static pcre2_code *
compile_one (const char *regex, const char *where, GError **error)
{
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code *code = pcre2_compile ((PCRE2_SPTR) regex, PCRE2_ZERO_TERMINATED, COMPILE_FLAGS,
                                    &errcode, &erroff, NULL);
  if (code == NULL)
    {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message (errcode, msg, sizeof msg);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s: bad pattern at offset %zu: %s",
                   where, (size_t) erroff, (const char *) msg);
    }
  return code;
}

gboolean
clean_patterns_add (CleanPatternSet *set, const char *name, const char *regex,
                    const char *source, GError **error)
{
  pcre2_code *code = compile_one (regex, source, error);
  if (code == NULL)
    return FALSE;
  gboolean has[N_GROUPS];
  for (guint i = 0; i < N_GROUPS; i++)
    has[i] = pcre2_substring_number_from_name (code, (PCRE2_SPTR) group_names[i]) >= 0
             || pcre2_substring_number_from_name (code, (PCRE2_SPTR) group_names[i])
                == PCRE2_ERROR_NOUNIQUESUBSTRING;
  pcre2_code_free (code);

  CleanPattern *pat = g_new0 (CleanPattern, 1);
  if (has[2] || has[3] || has[4])
    {
      if (!(has[2] && has[3] && has[4]))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA,
                       "%s: a date pattern needs all three groups (?<year>) (?<month>) (?<day>)",
                       source);
          g_free (pat);
          return FALSE;
        }
      pat->kind = CLEAN_PAT_DATE;
    }
  else if (has[0])
    pat->kind = CLEAN_PAT_BYLINE;
  else if (has[1])
    pat->kind = CLEAN_PAT_OUTLET;
  else
    pat->kind = CLEAN_PAT_JUNK;
  pat->name = g_strdup (name);
  pat->source = g_strdup (source);
  pat->regex = g_strdup (regex);
  g_ptr_array_add (set->patterns, pat);
  return TRUE;
}

static gboolean
valid_rule_name (const char *s, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!(g_ascii_isalnum (s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
      return FALSE;
  return TRUE;
}

gboolean
clean_patterns_add_file (CleanPatternSet *set, const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr (GError) ioerr = NULL;
  if (!g_file_get_contents (path, &contents, &len, &ioerr))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:0: cannot read pattern file: %s",
                   path, ioerr->message);
      return FALSE;
    }
  if (!g_utf8_validate_len (contents, len, NULL))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:0: not valid UTF-8", path);
      return FALSE;
    }
  char **lines = g_strsplit (contents, "\n", -1);
  gboolean ok = TRUE;
  for (guint i = 0; lines[i] != NULL && ok; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (*line == '\0' || *line == '#')
        continue;
      gsize nlen = strcspn (line, " \t");
      g_autofree char *where = g_strdup_printf ("%s:%u", path, i + 1);
      if (!valid_rule_name (line, nlen) || line[nlen] == '\0')
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA,
                       "%s: expected 'RULE-NAME  REGEX' (a name of [A-Za-z0-9_.-], blanks, a regex)",
                       where);
          ok = FALSE;
          break;
        }
      line[nlen] = '\0';
      char *regex = g_strstrip (line + nlen + 1);
      ok = clean_patterns_add (set, line, regex, where, error);
    }
  g_strfreev (lines);
  return ok;
}

/* Compiles the alternation of the patterns whose index is in `members`
 * (in order), anchored at the start, the whole line to match. */
static gboolean
alternation_compile (const CleanPatternSet *set, const guint *members, guint n,
                     CleanAlternation *alt, GError **error)
{
  GString *re = g_string_new ("^(?:");
  for (guint k = 0; k < n; k++)
    {
      CleanPattern *pat = g_ptr_array_index (set->patterns, members[k]);
      g_string_append_printf (re, "%s(*MARK:%u)(?:%s)", k ? "|" : "", members[k], pat->regex);
    }
  /* The whole line must match; trailing blanks are allowed. */
  g_string_append (re, ")\\s*$");
  alt->code = compile_one (re->str, "combined line patterns", error);
  g_string_free (re, TRUE);
  if (alt->code == NULL)
    return FALSE;
  alt->jit = pcre2_jit_compile (alt->code, PCRE2_JIT_COMPLETE) == 0;

  for (guint g = 0; g < N_GROUPS; g++)
    {
      alt->group_nums[g] = g_array_new (FALSE, FALSE, sizeof (guint32));
      PCRE2_SPTR first, last;
      int rc = pcre2_substring_nametable_scan (alt->code, (PCRE2_SPTR) group_names[g],
                                               &first, &last);
      if (rc < 0)
        continue;
      uint32_t entry_size;
      pcre2_pattern_info (alt->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
      for (PCRE2_SPTR e = first; e <= last; e += entry_size)
        {
          guint32 num = ((guint32) e[0] << 8) | e[1];
          g_array_append_val (alt->group_nums[g], num);
        }
    }
  return TRUE;
}

static inline void
bit_set (guint8 *map, guint b)
{
  map[b / 8] |= (guint8) (1u << (b % 8));
}

static inline gboolean
bit_get (const guint8 *map, guint b)
{
  return (map[b / 8] >> (b % 8)) & 1;
}

/* Possible first bytes of a match of `regex`, from PCRE2's start-of-match
 * analysis of the pattern compiled unanchored on its own.  FALSE (and all
 * bytes possible) when PCRE2 has none. */
static gboolean
start_bytes (const char *regex, uint32_t flags, guint8 map[32])
{
  memset (map, 0xFF, 32);
  g_autofree char *re = g_strdup_printf ("(?:%s)", regex);
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code *code = pcre2_compile ((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED, flags, &errcode,
                                    &erroff, NULL);
  if (code == NULL)
    return FALSE;
  gboolean ok = FALSE;
  uint32_t type = 0, backrefs = 0;
  pcre2_pattern_info (code, PCRE2_INFO_FIRSTCODETYPE, &type);
  pcre2_pattern_info (code, PCRE2_INFO_BACKREFMAX, &backrefs);
  if (backrefs > 0)
    ;   /* group numbers differ inside the alternation: no prefilter */
  else if (type == 1)
    {
      uint32_t cu = 0;
      pcre2_pattern_info (code, PCRE2_INFO_FIRSTCODEUNIT, &cu);
      memset (map, 0, 32);
      bit_set (map, cu & 0xFF);
      /* the info does not say whether it is caseless: allow both cases, and
       * the lead bytes of the Kelvin sign and the long s */
      if (g_ascii_isalpha (cu))
        {
          bit_set (map, g_ascii_toupper (cu));
          bit_set (map, g_ascii_tolower (cu));
          if (g_ascii_tolower (cu) == 'k')
            bit_set (map, 0xE2);
          if (g_ascii_tolower (cu) == 's')
            bit_set (map, 0xC5);
        }
      ok = TRUE;
    }
  else if (type == 0)
    {
      const guint8 *bits = NULL;
      if (pcre2_pattern_info (code, PCRE2_INFO_FIRSTBITMAP, &bits) == 0 && bits != NULL)
        {
          memcpy (map, bits, 32);
          ok = TRUE;
        }
    }
  pcre2_code_free (code);
  return ok;
}

/* Recursion and subroutine calls by number or name: their meaning changes
 * inside the alternation, so such a pattern is never prefiltered. */
static gboolean
has_calls (const char *regex)
{
  return strstr (regex, "(?R") || strstr (regex, "(?&") || strstr (regex, "(?P>")
         || strstr (regex, "\\g") || strstr (regex, "(?0") || strstr (regex, "(?1")
         || strstr (regex, "(?2") || strstr (regex, "(?3") || strstr (regex, "(?4")
         || strstr (regex, "(?5") || strstr (regex, "(?6") || strstr (regex, "(?7")
         || strstr (regex, "(?8") || strstr (regex, "(?9") || strstr (regex, "(?+")
         || strstr (regex, "(?-1") || strstr (regex, "(?-2") || strstr (regex, "(?-3")
         || strstr (regex, "(?-4") || strstr (regex, "(?-5") || strstr (regex, "(?-6")
         || strstr (regex, "(?-7") || strstr (regex, "(?-8") || strstr (regex, "(?-9");
}

/* Length of a quantifier at p ("?", "*", "+", "{n}", "{n,}", "{n,m}", "{,m}"
 * with an optional lazy/possessive suffix), 0 when none. */
static gsize
quantifier_len (const char *p)
{
  gsize n = 0;
  if (*p == '?' || *p == '*' || *p == '+')
    n = 1;
  else if (*p == '{')
    {
      gsize i = 1;
      while (g_ascii_isdigit (p[i]) || p[i] == ',' || p[i] == ' ')
        i++;
      if (p[i] == '}' && i > 1)
        n = i + 1;
    }
  if (n > 0 && (p[n] == '?' || p[n] == '+'))
    n++;
  return n;
}

/* Length of the escape at p (p[0] == '\\') with its argument: \x41,
 * \x{41}, \o{101}, \p{Lu}, \pL, \N{U+41}, \g{1}, \k<name>, \012, \12 ... */
static gsize
escape_len (const char *p)
{
  char e = p[1];
  if (e == '\0')
    return 1;
  if ((guchar) e >= 0x80)
    return 1;   /* an escaped non-ASCII character: its bytes follow */
  gsize i = 2;
  if (strchr ("xopPNgk", e) != NULL && (p[2] == '{' || p[2] == '<' || p[2] == '\''))
    {
      char close = p[2] == '{' ? '}' : p[2] == '<' ? '>' : '\'';
      const char *q = strchr (p + 3, close);
      return q ? (gsize) (q - p) + 1 : strlen (p);
    }
  if (e == 'x')
    while (i < 4 && g_ascii_isxdigit (p[i]))
      i++;
  else if (e == 'p' || e == 'P')
    i += p[2] != '\0';
  else if (e == 'g' || g_ascii_isdigit (e))
    {
      if (e == 'g' && (p[2] == '-' || p[2] == '+'))
        i++;
      while (g_ascii_isdigit (p[i]))
        i++;
    }
  return i;
}

char *
clean_required_literal (const char *regex)
{
  /* give up on what could change the meaning of plain characters or end a
   * match early: extended mode, verbs, \Q...\E, \c */
  for (const char *p = regex; (p = strstr (p, "(?")) != NULL; p += 2)
    {
      const char *q = p + 2;
      while (g_ascii_isalpha (*q) || *q == '-' || *q == '^')
        if (*q++ == 'x')
          return NULL;
    }
  if (strstr (regex, "(*") || strstr (regex, "\\Q") || strstr (regex, "\\E")
      || strstr (regex, "\\c"))
    return NULL;

  GString *run = g_string_new (NULL);
  GString *best = g_string_new (NULL);
  gboolean give_up = FALSE;
  int depth = 0;
  const char *p = regex;
  while (*p && !give_up)
    {
      char lit = 0;     /* a plain character at the top level */
      gsize len = 1;
      if (*p == '\\')
        {
          len = escape_len (p);
          if (len == 2 && !g_ascii_isalnum (p[1]))
            lit = p[1];
        }
      else if (*p == '[')
        {
          /* a class, to its closing ']' ("[]...]" and "[^]...]" hold a ']') */
          gsize i = 1;
          if (p[i] == '^')
            i++;
          if (p[i] == ']')
            i++;
          while (p[i] && p[i] != ']')
            {
              if (p[i] == '\\' && p[i + 1])
                i++;
              else if (p[i] == '[' && p[i + 1] == ':')
                {
                  const char *e = strstr (p + i + 2, ":]");
                  if (e)
                    i = (gsize) (e - p) + 1;
                }
              i++;
            }
          if (p[i] != ']')
            give_up = TRUE;
          len = i + 1;
        }
      else if (*p == '(')
        depth++;
      else if (*p == ')')
        give_up = --depth < 0;
      else if (*p == '|')
        give_up = depth == 0;
      else if ((guchar) *p < 0x80 && strchr ("^$.?*+{", *p) == NULL)
        lit = *p;
      if (give_up)
        break;
      p += len;
      gsize q = quantifier_len (p);
      p += q;
      /* k and s match the Kelvin sign and the long s without case: not plain */
      char low = g_ascii_tolower (lit);
      if (depth == 0 && lit != 0 && q == 0 && low != 'k' && low != 's' && g_ascii_isprint (lit))
        g_string_append_c (run, low);
      else
        {
          if (run->len > best->len)
            g_string_assign (best, run->str);
          g_string_truncate (run, 0);
        }
    }
  if (run->len > best->len)
    g_string_assign (best, run->str);
  g_string_free (run, TRUE);
  if (give_up || depth != 0 || best->len < 3)
    {
      g_string_free (best, TRUE);
      return NULL;
    }
  return g_string_free (best, FALSE);
}

gboolean
clean_patterns_compile (CleanPatternSet *set, GError **error)
{
  guint n = set->patterns->len;
  if (n == 0)
    return TRUE;
  g_autofree guint *members = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    members[i] = i;
  if (!alternation_compile (set, members, n, &set->full, error))
    return FALSE;

  /* 1. each pattern's start bytes, else its required literal.  \d, \w ...
   *    under UCP keep PCRE2 from a start set; their ASCII members are the
   *    same without UCP, so the set without UCP plus every byte >= 0x80
   *    serves. */
  for (guint i = 0; i < n; i++)
    {
      CleanPattern *pat = g_ptr_array_index (set->patterns, i);
      pat->literal = -1;
      if (has_calls (pat->regex))
        {
          memset (pat->starts, 0xFF, sizeof pat->starts);
          continue;
        }
      if (start_bytes (pat->regex, COMPILE_FLAGS, pat->starts))
        continue;
      if (start_bytes (pat->regex, COMPILE_FLAGS & ~PCRE2_UCP, pat->starts))
        {
          for (guint b = 0x80; b < 0x100; b++)
            bit_set (pat->starts, b);
          continue;
        }
      if (set->n_literals < CLEAN_MAX_LITERALS)
        {
          char *lit = clean_required_literal (pat->regex);
          if (lit != NULL)
            {
              pat->literal = (gint) set->n_literals;
              set->literals[set->n_literals] = lit;
              set->literal_len[set->n_literals] = strlen (lit);
              set->literal_upper0[set->n_literals] = g_ascii_toupper (lit[0]);
              set->literal_upper1[set->n_literals] = g_ascii_toupper (lit[1]);
              set->n_literals++;
            }
        }
    }

  /* 2. which patterns can match a line starting with two given ASCII bytes:
   *    PCRE2's partial matching on the two bytes says NOMATCH only when no
   *    longer subject could match (verbs, back-references and recursion
   *    are not asked: always possible) */
  g_autofree pcre2_code **probe = g_new0 (pcre2_code *, n);
  for (guint i = 0; i < n; i++)
    {
      CleanPattern *pat = g_ptr_array_index (set->patterns, i);
      if (pat->literal >= 0 || has_calls (pat->regex) || strstr (pat->regex, "(*") != NULL)
        continue;
      g_autofree char *re = g_strdup_printf ("(?:%s)", pat->regex);
      int errcode;
      PCRE2_SIZE erroff;
      probe[i] = pcre2_compile ((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED,
                                COMPILE_FLAGS | PCRE2_ANCHORED, &errcode, &erroff, NULL);
      uint32_t backrefs = 0;
      if (probe[i] != NULL)
        pcre2_pattern_info (probe[i], PCRE2_INFO_BACKREFMAX, &backrefs);
      if (backrefs > 0)
        {
          pcre2_code_free (probe[i]);
          probe[i] = NULL;
        }
      else if (probe[i] != NULL)
        pcre2_jit_compile (probe[i], PCRE2_JIT_PARTIAL_HARD);
    }
  pcre2_match_data *pmd = pcre2_match_data_create (1, NULL);

  /* 3. one alternation per distinct subset of patterns possible after the
   *    first byte, or the first two when both are ASCII (a line holding a
   *    literal goes to the full alternation; a subset that does not compile
   *    on its own, too) */
  set->subset_of = g_new (guint16, 256 + 128 * 128);
  /* too many patterns for the subset keys: no prefilter */
  gboolean keyed = n < 255 * 255;
  for (guint k = 0; k < 256 + 128 * 128; k++)
    set->subset_of[k] = CLEAN_SUBSET_FULL;
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GString *key = g_string_new (NULL);
  for (guint k = 0; keyed && k < 256 + 128 * 128; k++)
    {
      guint b = k < 256 ? k : (k - 256) / 128;
      guchar two[2] = { (guchar) b, (guchar) ((k - 256) % 128) };
      /* a printable first byte is nearly always followed by a printable
       * one: the rare others (one-character lines, a tab or a non-ASCII
       * character second) take the full alternation rather than an
       * alternation of their own */
      if (k < 256 && g_ascii_isprint (b))
        continue;   /* stays CLEAN_SUBSET_FULL */
      if (k >= 256 && !(g_ascii_isprint (two[0]) && g_ascii_isprint (two[1])))
        {
          set->subset_of[k] = set->subset_of[b];
          continue;
        }
      guint m = 0;
      g_string_truncate (key, 0);
      for (guint i = 0; i < n; i++)
        {
          CleanPattern *pat = g_ptr_array_index (set->patterns, i);
          if (pat->literal >= 0 || !bit_get (pat->starts, b))
            continue;
          if (k >= 256 && probe[i] != NULL
              && pcre2_match (probe[i], (PCRE2_SPTR) two, 2, 0, PCRE2_PARTIAL_HARD, pmd, NULL)
                 == PCRE2_ERROR_NOMATCH)
            continue;
          members[m++] = i;
          /* the key: each member's index in two non-zero bytes */
          g_string_append_c (key, (char) (1 + i % 255));
          g_string_append_c (key, (char) (1 + (i / 255) % 255));
        }
      if (m == 0)
        {
          set->subset_of[k] = CLEAN_SUBSET_NONE;
          continue;
        }
      if (m == n)
        {
          set->subset_of[k] = CLEAN_SUBSET_FULL;
          continue;
        }
      gpointer idx;
      if (!g_hash_table_lookup_extended (seen, key->str, NULL, &idx))
        {
          CleanAlternation *alt = g_new0 (CleanAlternation, 1);
          if (alternation_compile (set, members, m, alt, NULL))
            {
              g_ptr_array_add (set->subsets, alt);
              idx = GUINT_TO_POINTER (set->subsets->len - 1);
            }
          else
            {
              alternation_clear (alt);
              g_free (alt);
              idx = GUINT_TO_POINTER (CLEAN_SUBSET_FULL);
            }
          g_hash_table_insert (seen, g_strdup (key->str), idx);
        }
      set->subset_of[k] = (guint16) GPOINTER_TO_UINT (idx);
    }
  g_string_free (key, TRUE);
  g_hash_table_unref (seen);
  pcre2_match_data_free (pmd);
  for (guint i = 0; i < n; i++)
    if (probe[i] != NULL)
      pcre2_code_free (probe[i]);
  return TRUE;
}

static void
group_span (const CleanAlternation *alt, guint g, const PCRE2_SIZE *ov, guint32 n_pairs,
            gssize *s, gssize *e)
{
  *s = *e = -1;
  GArray *nums = alt->group_nums[g];
  for (guint i = 0; i < nums->len; i++)
    {
      guint32 num = g_array_index (nums, guint32, i);
      if (num < n_pairs && ov[2 * num] != PCRE2_UNSET)
        {
          *s = (gssize) ov[2 * num];
          *e = (gssize) ov[2 * num + 1];
          return;
        }
    }
}

static gboolean
alternation_match (const CleanAlternation *alt, const char *subject, gsize len,
                   pcre2_match_data *md, CleanPatMatch *out)
{
  int rc = alt->jit ? pcre2_jit_match (alt->code, (PCRE2_SPTR) subject, len, 0, 0, md, NULL)
                    : pcre2_match (alt->code, (PCRE2_SPTR) subject, len, 0, PCRE2_NO_UTF_CHECK, md,
                                   NULL);
  if (rc < 0)
    return FALSE;
  PCRE2_SPTR mark = pcre2_get_mark (md);
  if (mark == NULL)
    return FALSE;
  out->index = atoi ((const char *) mark);
  const PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
  guint32 n = pcre2_get_ovector_count (md);
  group_span (alt, 0, ov, n, &out->byline_s, &out->byline_e);
  group_span (alt, 1, ov, n, &out->outlet_s, &out->outlet_e);
  group_span (alt, 2, ov, n, &out->year_s, &out->year_e);
  group_span (alt, 3, ov, n, &out->month_s, &out->month_e);
  group_span (alt, 4, ov, n, &out->day_s, &out->day_e);
  return TRUE;
}

gboolean
clean_patterns_match_full (const CleanPatternSet *set, const char *subject, gsize len,
                           pcre2_match_data *md, CleanPatMatch *out)
{
  out->index = -1;
  if (set->full.code == NULL)
    return FALSE;
  return alternation_match (&set->full, subject, len, md, out);
}

/* Does the (lower-case ASCII) literal occur in s, ignoring ASCII case? */
static gboolean
has_literal (const char *s, gsize n, const char *lit, gsize ll, char u0, char u1)
{
  if (n < ll)
    return FALSE;
  const char c0 = lit[0], c1 = lit[1];
  gsize i = 0;
#ifdef __SSE2__
  /* candidates: the first two characters, in either case, 16 places a step */
  const __m128i l0 = _mm_set1_epi8 (c0), h0 = _mm_set1_epi8 (u0);
  const __m128i l1 = _mm_set1_epi8 (c1), h1 = _mm_set1_epi8 (u1);
  for (; i + 16 + 1 <= n; i += 16)
    {
      __m128i a = _mm_loadu_si128 ((const __m128i *) (s + i));
      __m128i b = _mm_loadu_si128 ((const __m128i *) (s + i + 1));
      __m128i hit = _mm_and_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (a, l0), _mm_cmpeq_epi8 (a, h0)),
                                   _mm_or_si128 (_mm_cmpeq_epi8 (b, l1), _mm_cmpeq_epi8 (b, h1)));
      guint32 mask = (guint32) _mm_movemask_epi8 (hit);
      while (mask != 0)
        {
          gsize at = i + (gsize) __builtin_ctz (mask);
          if (at + ll <= n && g_ascii_strncasecmp (s + at, lit, ll) == 0)
            return TRUE;
          mask &= mask - 1;
        }
    }
#endif
  for (; i + ll <= n; i++)
    if ((s[i] == c0 || s[i] == u0) && g_ascii_strncasecmp (s + i + 1, lit + 1, ll - 1) == 0)
      return TRUE;
  return FALSE;
}

gboolean
clean_patterns_match (const CleanPatternSet *set, const char *subject, gsize len,
                      pcre2_match_data *md, CleanPatMatch *out)
{
  out->index = -1;
  if (set->full.code == NULL)
    return FALSE;
  const guchar *u = (const guchar *) subject;
  guint16 idx = len >= 2 && u[0] < 0x80 && u[1] < 0x80 ? set->subset_of[256 + u[0] * 128 + u[1]]
                : len > 0                             ? set->subset_of[u[0]]
                                                      : CLEAN_SUBSET_FULL;
  for (guint i = 0; i < set->n_literals && idx != CLEAN_SUBSET_FULL; i++)
    if (has_literal (subject, len, set->literals[i], set->literal_len[i], set->literal_upper0[i],
                     set->literal_upper1[i]))
      idx = CLEAN_SUBSET_FULL;
  if (idx == CLEAN_SUBSET_NONE)
    return FALSE;
  const CleanAlternation *alt = idx == CLEAN_SUBSET_FULL ? &set->full
                                                         : g_ptr_array_index (set->subsets, idx);
  return alternation_match (alt, subject, len, md, out);
}

/* ----------------------------------------------------------------- outlets */

char *
clean_outlet_key (const char *s, gssize len)
{
  gsize n = len < 0 ? strlen (s) : (gsize) len;
  gboolean ascii = TRUE;
  for (gsize i = 0; i < n && s[i] != '\0'; i++)
    if ((guchar) s[i] >= 0x80)
      {
        ascii = FALSE;
        break;
      }
  /* casefolding plain ASCII is lowering it (and stops at a NUL, too) */
  g_autofree char *folded = ascii ? NULL : g_utf8_casefold (s, len);
  const char *src = ascii ? s : folded;
  gsize src_len = ascii ? n : strlen (folded);
  GString *key = g_string_sized_new (src_len);
  gboolean space = FALSE;
  for (const char *p = src; p < src + src_len && *p; p++)
    {
      if (g_ascii_isspace (*p))
        space = TRUE;
      else
        {
          if (space && key->len > 0)
            g_string_append_c (key, ' ');
          space = FALSE;
          g_string_append_c (key, ascii ? g_ascii_tolower (*p) : *p);
        }
    }
  return g_string_free (key, FALSE);
}

gboolean
clean_outlets_load (GHashTable *outlets, const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr (GError) ioerr = NULL;
  if (!g_file_get_contents (path, &contents, &len, &ioerr))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:0: cannot read outlet list: %s",
                   path, ioerr->message);
      return FALSE;
    }
  if (!g_utf8_validate_len (contents, len, NULL))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s:0: not valid UTF-8", path);
      return FALSE;
    }
  char **lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (*line == '\0' || *line == '#')
        continue;
      if (g_utf8_strlen (line, -1) > 100)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA,
                       "%s:%u: outlet name longer than 100 characters", path, i + 1);
          g_strfreev (lines);
          return FALSE;
        }
      char *key = clean_outlet_key (line, -1);
      g_hash_table_replace (outlets, key, key);
    }
  g_strfreev (lines);
  return TRUE;
}

gboolean
clean_is_outlet (const CleanStage *st, const char *s, gsize len, gboolean strict)
{
  if (len == 0 || len > 400)
    return FALSE;
  g_autofree char *key = clean_outlet_key (s, len);
  if (g_hash_table_contains (st->outlets, key))
    return TRUE;
  if (strict || st->outlet_words == NULL || key[0] == '\0')
    return FALSE;
  /* A word such as "News" or "Gazette" among the name's words. */
  gboolean found = FALSE;
  char buf[128];
  for (const char *p = key;;)
    {
      const char *sp = strchr (p, ' ');
      const char *e = sp ? sp : p + strlen (p);
      /* strip punctuation around the word ("Times," "(News)") */
      const char *ws = p, *we = e;
      while (we > ws && g_ascii_ispunct (we[-1]))
        we--;
      while (ws < we && g_ascii_ispunct (*ws))
        ws++;
      gsize wl = we - ws;
      char *w = wl < sizeof buf ? buf : g_malloc (wl + 1);
      memcpy (w, ws, wl);
      w[wl] = '\0';
      found = g_hash_table_contains (st->outlet_word_set, w);
      if (w != buf)
        g_free (w);
      if (found || sp == NULL)
        break;
      p = sp + 1;
    }
  return found;
}

/* ------------------------------------------------------------------- dates */

gboolean
clean_make_date (const char *y, gsize yl, const char *m, gsize ml, const char *d, gsize dl,
                 char out[11])
{
  static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec" };
  if (yl != 4 || dl < 1 || dl > 2 || ml < 1)
    return FALSE;
  int year = 0, day = 0, month = 0;
  for (gsize i = 0; i < yl; i++)
    {
      if (!g_ascii_isdigit (y[i]))
        return FALSE;
      year = year * 10 + (y[i] - '0');
    }
  for (gsize i = 0; i < dl; i++)
    {
      if (!g_ascii_isdigit (d[i]))
        return FALSE;
      day = day * 10 + (d[i] - '0');
    }
  if (g_ascii_isdigit (m[0]))
    {
      if (ml > 2)
        return FALSE;
      for (gsize i = 0; i < ml; i++)
        {
          if (!g_ascii_isdigit (m[i]))
            return FALSE;
          month = month * 10 + (m[i] - '0');
        }
    }
  else
    {
      if (ml < 3)
        return FALSE;
      for (int i = 0; i < 12; i++)
        if (g_ascii_strncasecmp (m, months[i], 3) == 0)
          month = i + 1;
    }
  if (year < 1800 || year > 2200 || !g_date_valid_dmy (day, month, year))
    return FALSE;
  g_snprintf (out, 11, "%04d-%02d-%02d", year, month, day);
  return TRUE;
}
