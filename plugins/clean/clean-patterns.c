/* sluice clean stage — line patterns (PCRE2), outlet list, date parsing. */
#include "clean-private.h"
#include <stdlib.h>
#include <string.h>

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

CleanPatternSet *
clean_patterns_new (void)
{
  CleanPatternSet *set = g_new0 (CleanPatternSet, 1);
  set->patterns = g_ptr_array_new_with_free_func (pattern_free);
  for (guint i = 0; i < N_GROUPS; i++)
    set->group_nums[i] = g_array_new (FALSE, FALSE, sizeof (guint32));
  return set;
}

void
clean_patterns_free (CleanPatternSet *set)
{
  if (set == NULL)
    return;
  g_ptr_array_unref (set->patterns);
  for (guint i = 0; i < N_GROUPS; i++)
    g_array_unref (set->group_nums[i]);
  if (set->combined)
    pcre2_code_free (set->combined);
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

gboolean
clean_patterns_compile (CleanPatternSet *set, GError **error)
{
  if (set->patterns->len == 0)
    return TRUE;
  GString *re = g_string_new ("^(?:");
  for (guint i = 0; i < set->patterns->len; i++)
    {
      CleanPattern *pat = g_ptr_array_index (set->patterns, i);
      g_string_append_printf (re, "%s(*MARK:%u)(?:%s)", i ? "|" : "", i, pat->regex);
    }
  /* The whole line must match; trailing blanks are allowed. */
  g_string_append (re, ")\\s*$");
  set->combined = compile_one (re->str, "combined line patterns", error);
  g_string_free (re, TRUE);
  if (set->combined == NULL)
    return FALSE;
  set->jit = pcre2_jit_compile (set->combined, PCRE2_JIT_COMPLETE) == 0;

  for (guint g = 0; g < N_GROUPS; g++)
    {
      PCRE2_SPTR first, last;
      int rc = pcre2_substring_nametable_scan (set->combined, (PCRE2_SPTR) group_names[g],
                                               &first, &last);
      if (rc < 0)
        continue;
      uint32_t entry_size;
      pcre2_pattern_info (set->combined, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
      for (PCRE2_SPTR e = first; e <= last; e += entry_size)
        {
          guint32 num = ((guint32) e[0] << 8) | e[1];
          g_array_append_val (set->group_nums[g], num);
        }
    }
  return TRUE;
}

static void
group_span (const CleanPatternSet *set, guint g, const PCRE2_SIZE *ov, guint32 n_pairs,
            gssize *s, gssize *e)
{
  *s = *e = -1;
  GArray *nums = set->group_nums[g];
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

gboolean
clean_patterns_match (const CleanPatternSet *set, const char *subject, gsize len,
                      pcre2_match_data *md, CleanPatMatch *out)
{
  out->index = -1;
  if (set->combined == NULL)
    return FALSE;
  int rc = pcre2_match (set->combined, (PCRE2_SPTR) subject, len, 0, PCRE2_NO_UTF_CHECK, md,
                        NULL);
  if (rc < 0)
    return FALSE;
  PCRE2_SPTR mark = pcre2_get_mark (md);
  if (mark == NULL)
    return FALSE;
  out->index = atoi ((const char *) mark);
  const PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
  guint32 n = pcre2_get_ovector_count (md);
  group_span (set, 0, ov, n, &out->byline_s, &out->byline_e);
  group_span (set, 1, ov, n, &out->outlet_s, &out->outlet_e);
  group_span (set, 2, ov, n, &out->year_s, &out->year_e);
  group_span (set, 3, ov, n, &out->month_s, &out->month_e);
  group_span (set, 4, ov, n, &out->day_s, &out->day_e);
  return TRUE;
}

/* ----------------------------------------------------------------- outlets */

char *
clean_outlet_key (const char *s, gssize len)
{
  g_autofree char *folded = g_utf8_casefold (s, len);
  GString *key = g_string_sized_new (strlen (folded));
  gboolean space = FALSE;
  for (const char *p = folded; *p; p++)
    {
      if (g_ascii_isspace (*p))
        space = TRUE;
      else
        {
          if (space && key->len > 0)
            g_string_append_c (key, ' ');
          space = FALSE;
          g_string_append_c (key, *p);
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
  if (strict || st->outlet_words == NULL)
    return FALSE;
  /* A word such as "News" or "Gazette" among the name's words. */
  char **words = g_strsplit (key, " ", -1);
  gboolean found = FALSE;
  for (guint i = 0; words[i] && !found; i++)
    {
      /* strip punctuation around the word ("Times," "(News)") */
      char *w = words[i];
      gsize wl = strlen (w);
      while (wl > 0 && g_ascii_ispunct (w[wl - 1]))
        w[--wl] = '\0';
      while (*w && g_ascii_ispunct (*w))
        w++;
      for (guint j = 0; st->outlet_words[j] && !found; j++)
        found = strcmp (w, st->outlet_words[j]) == 0;
    }
  g_strfreev (words);
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
