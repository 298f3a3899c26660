/* sluice clean stage — pass 2: lines and blocks.
 *
 * The text (already through the character pass: LF line ends, plain spaces)
 * is cut into lines.  Each line is classified (blank, body, dropped, title),
 * then one rewrite rebuilds the text: line contents with their blank runs
 * collapsed, and between two kept lines a separator chosen by the rules
 * ("\n\n" between paragraphs, " " for a rejoined hard wrap or broken
 * paragraph, "" after a hyphen, "\n" for a line that is short for a reason).
 * Dropped lines and blank runs simply fall inside a replaced separator. */
#define _GNU_SOURCE
#include "clean-private.h"
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { L_BLANK = 0, L_BODY, L_DROP, L_TITLE };
enum { END_OTHER = 0, END_TERMINAL, END_OPEN, END_HYPHEN };

typedef struct {
  gsize start, end;     /* the raw line, without its '\n' */
  gsize cs, ce;         /* content: blanks stripped (cs may skip a prefix) */
  guint32 words;        /* capped at the stage's largest limit + 1 */
  guint32 chars;        /* capped at wrap_max_width + 1 */
  gint32 pat;           /* pattern index, -1: none */
  guint8 kind;
  guint8 end_class;
  guint8 starts_lower, starts_upper, list_item, heading;
  guint8 has_runs;      /* two blanks in a row or a tab inside the content */
} Line;

typedef struct {
  const CleanStage *st;
  SluiceDocument *doc;
  SluiceAttrs *meta;
  const char *text;
  gsize len;
  Line *lines;
  guint n_lines;
  pcre2_match_data *md;
  GString *scratch;
  guint32 word_cap;
  /* matches of metadata patterns from the pattern pass, reused by
   * take_meta_line() (the first few; others are matched again) */
  struct { guint line; gsize cs, ce; CleanPatMatch m; } meta_seen[8];
  guint n_meta;
} Ctx;

#define LINE(c, i) (&(c)->lines[(i)])

/* ------------------------------------------------------------ line facts */

static inline gboolean
is_closer (gunichar c)
{
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x201D || c == 0x2019
         || c == 0x00BB || c == 0x203A || c == '*';
}

static inline gboolean
is_terminal (gunichar c)
{
  return c == '.' || c == '!' || c == '?' || c == ':' || c == ';' || c == 0x2026 || c == 0x3002
         || c == 0xFF01 || c == 0xFF1F;
}

static guint8
end_class (const char *s, gsize n)
{
  if (n == 0)
    return END_OTHER;
  /* the common ends: an ASCII letter, digit, comma or sentence end */
  guchar last = (guchar) s[n - 1];
  if (g_ascii_isalnum (last) || last == ',')
    return END_OPEN;
  if (last == '.' || last == '!' || last == '?' || last == ':' || last == ';')
    return END_TERMINAL;
  const char *end = s + n;
  const char *p = g_utf8_find_prev_char (s, end);
  gunichar c = g_utf8_get_char (p);
  if (c == '-' && p > s)
    {
      const char *q = g_utf8_find_prev_char (s, p);
      gunichar b = g_utf8_get_char (q);
      return g_unichar_isalpha (b) ? END_HYPHEN : END_OTHER;
    }
  if (g_unichar_isalnum (c) || c == ',')
    return END_OPEN;
  /* skip closing quotes and brackets: ."  .”  .) */
  while (is_closer (c) && p > s)
    {
      p = g_utf8_find_prev_char (s, p);
      c = g_utf8_get_char (p);
    }
  return is_terminal (c) ? END_TERMINAL : END_OTHER;
}

static gboolean
is_list_item (const char *s, gsize n)
{
  if (n < 2)
    return FALSE;
  guchar c = s[0];
  if ((c == '-' || c == '*' || c == '+') && s[1] == ' ')
    return TRUE;
  if (c >= 0x80)
    {
      gunichar u = g_utf8_get_char (s);
      const char *next = g_utf8_next_char (s);
      gsize used = next - s;
      if ((u == 0x2022 || u == 0x00B7 || u == 0x2013 || u == 0x2014 || u == 0x25AA
           || u == 0x25E6 || u == 0x25CF || u == 0x2023 || u == 0x2043)
          && used < n && s[used] == ' ')
        return TRUE;
      return FALSE;
    }
  gsize i = 0;
  while (i < n && i < 3 && g_ascii_isdigit (s[i]))
    i++;
  if (i > 0 && i + 1 < n && (s[i] == '.' || s[i] == ')') && s[i + 1] == ' ')
    return TRUE;
  if (g_ascii_islower (c) && s[1] == ')' && n > 2 && s[2] == ' ')
    return TRUE;
  return FALSE;
}

/* Words (runs of bytes other than ' ' and '\t', capped at word_cap + 1),
 * characters (capped at char_cap) and blank runs (a tab, or two spaces in a
 * row) of s[0..n).  The plain byte-by-byte version is the reference; the
 * SSE2 version (16 bytes a step) must agree with it (tests compare them). */
void
clean_measure_ref (const char *s, gsize n, guint32 word_cap, guint32 char_cap,
                   guint32 *words_out, guint32 *chars_out, guint8 *runs_out)
{
  const guchar *t = (const guchar *) s;
  guint32 words = 0;
  gboolean in_word = FALSE;
  for (gsize i = 0; i < n; i++)
    {
      gboolean sp = t[i] == ' ' || t[i] == '\t';
      if (!sp && !in_word)
        {
          if (++words > word_cap)
            break;
        }
      in_word = !sp;
    }
  guint32 chars = 0, runs = 0;
  for (gsize i = 0; i < n; i++)
    {
      guchar ch = t[i];
      chars += (ch & 0xC0) != 0x80;
      runs |= (ch == '\t') | ((ch == ' ') & (i + 1 < n && t[i + 1] == ' '));
    }
  *words_out = words;
  *chars_out = MIN (chars, char_cap);
  *runs_out = runs != 0;
}

void
clean_measure (const char *s, gsize n, guint32 word_cap, guint32 char_cap,
               guint32 *words_out, guint32 *chars_out, guint8 *runs_out)
{
#if defined(__SSE2__) && defined(__x86_64__)
  const guchar *t = (const guchar *) s;
  guint64 words = 0, cont = 0;
  guint32 runs = 0, prev_nb = 0, prev_sp = 0;
  gsize i = 0;
  if (n >= 16)
    {
      /* per byte: 0xFF where true; counts summed with SAD every step */
      const __m128i space = _mm_set1_epi8 (' '), tab = _mm_set1_epi8 ('\t');
      const __m128i lead = _mm_set1_epi8 ((char) 0xC0), ones = _mm_set1_epi8 (1);
      const __m128i zero = _mm_setzero_si128 ();
      __m128i nb_prev = zero, sp_prev = zero, acc_words = zero, acc_cont = zero, acc_runs = zero;
      for (; i + 16 <= n; i += 16)
        {
          __m128i v = _mm_loadu_si128 ((const __m128i *) (t + i));
          __m128i sp = _mm_cmpeq_epi8 (v, space);
          __m128i tb = _mm_cmpeq_epi8 (v, tab);
          /* signed: 0x80..0xBF (continuation bytes) are the bytes < (char) 0xC0 */
          __m128i ct = _mm_cmplt_epi8 (v, lead);
          __m128i nb = _mm_andnot_si128 (_mm_or_si128 (sp, tb), _mm_cmpeq_epi8 (v, v));
          /* the byte before each byte: shifted in from the previous step */
          __m128i nb_before = _mm_or_si128 (_mm_slli_si128 (nb, 1), _mm_srli_si128 (nb_prev, 15));
          __m128i sp_before = _mm_or_si128 (_mm_slli_si128 (sp, 1), _mm_srli_si128 (sp_prev, 15));
          __m128i starts = _mm_andnot_si128 (nb_before, nb);
          acc_words = _mm_add_epi64 (acc_words, _mm_sad_epu8 (_mm_and_si128 (starts, ones), zero));
          acc_cont = _mm_add_epi64 (acc_cont, _mm_sad_epu8 (_mm_and_si128 (ct, ones), zero));
          acc_runs = _mm_or_si128 (acc_runs, _mm_or_si128 (tb, _mm_and_si128 (sp, sp_before)));
          nb_prev = nb;
          sp_prev = sp;
        }
      if (i < n)
        {
          /* the rest: the last 16 bytes of s, the ones already counted
           * masked off (the byte before the first new one is in the block) */
          static const guint8 ramp[32] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                           0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
          __m128i valid = _mm_loadu_si128 ((const __m128i *) (ramp + (n - i)));
          __m128i v = _mm_loadu_si128 ((const __m128i *) (t + n - 16));
          __m128i sp = _mm_cmpeq_epi8 (v, space);
          __m128i tb = _mm_cmpeq_epi8 (v, tab);
          __m128i ct = _mm_and_si128 (_mm_cmplt_epi8 (v, lead), valid);
          __m128i nb = _mm_andnot_si128 (_mm_or_si128 (sp, tb), _mm_cmpeq_epi8 (v, v));
          __m128i starts = _mm_and_si128 (_mm_andnot_si128 (_mm_slli_si128 (nb, 1), nb), valid);
          __m128i pairs = _mm_and_si128 (sp, _mm_slli_si128 (sp, 1));
          acc_words = _mm_add_epi64 (acc_words, _mm_sad_epu8 (_mm_and_si128 (starts, ones), zero));
          acc_cont = _mm_add_epi64 (acc_cont, _mm_sad_epu8 (_mm_and_si128 (ct, ones), zero));
          acc_runs = _mm_or_si128 (acc_runs, _mm_and_si128 (_mm_or_si128 (tb, pairs), valid));
          i = n;
        }
      words = (guint64) _mm_cvtsi128_si64 (acc_words)
              + (guint64) _mm_cvtsi128_si64 (_mm_unpackhi_epi64 (acc_words, acc_words));
      cont = (guint64) _mm_cvtsi128_si64 (acc_cont)
             + (guint64) _mm_cvtsi128_si64 (_mm_unpackhi_epi64 (acc_cont, acc_cont));
      runs = _mm_movemask_epi8 (acc_runs) != 0;
      prev_nb = (_mm_movemask_epi8 (nb_prev) >> 15) & 1;
      prev_sp = (_mm_movemask_epi8 (sp_prev) >> 15) & 1;
    }
  for (; i < n; i++)
    {
      guint32 sp = t[i] == ' ', tb = t[i] == '\t';
      guint32 nb = !(sp | tb);
      words += nb & !prev_nb;
      cont += (t[i] & 0xC0) == 0x80;
      runs |= tb | (prev_sp & sp);
      prev_nb = nb;
      prev_sp = sp;
    }
  *words_out = (guint32) MIN (words, (guint64) word_cap + 1);
  *chars_out = (guint32) MIN ((guint64) n - cont, (guint64) char_cap);
  *runs_out = runs != 0;
#else
  clean_measure_ref (s, n, word_cap, char_cap, words_out, chars_out, runs_out);
#endif
}

static void
measure_line (Ctx *c, Line *l)
{
  const CleanStage *st = c->st;
  const guchar *t = (const guchar *) c->text;
  gsize cs = l->start, ce = l->end;
  while (cs < ce && (t[cs] == ' ' || t[cs] == '\t'))
    cs++;
  while (ce > cs && (t[ce - 1] == ' ' || t[ce - 1] == '\t'))
    ce--;
  l->cs = cs;
  l->ce = ce;
  l->pat = -1;
  if (cs == ce)
    {
      l->kind = L_BLANK;
      return;
    }
  l->kind = L_BODY;
  gsize n = ce - cs;
  const char *s = c->text + cs;

  clean_measure (s, n, c->word_cap, (guint32) st->wrap_max_width + 1, &l->words, &l->chars,
                 &l->has_runs);

  if (t[cs] < 0x80)
    {
      /* ASCII: no title-case letters, lower/upper are a-z/A-Z */
      l->starts_lower = g_ascii_islower (t[cs]);
      l->starts_upper = g_ascii_isupper (t[cs]);
    }
  else
    {
      gunichar first = g_utf8_get_char (s);
      l->starts_lower = g_unichar_islower (first);
      l->starts_upper = g_unichar_isupper (first) || g_unichar_istitle (first);
    }
  l->end_class = end_class (s, n);
  l->list_item = is_list_item (s, n);

  /* ALL-CAPS heading: short, two or more capitals, no lower-case letter */
  l->heading = FALSE;
  if (l->chars <= st->wrap_max_width)
    {
      guint upper = 0;
      gboolean lower = FALSE;
      for (const char *p = s; p < s + n && !lower; p = g_utf8_next_char (p))
        {
          if ((guchar) *p < 0x80)
            {
              lower = g_ascii_islower (*p);
              upper += g_ascii_isupper (*p);
              continue;
            }
          gunichar u = g_utf8_get_char (p);
          if (g_unichar_islower (u))
            lower = TRUE;
          else if (g_unichar_isupper (u))
            upper++;
        }
      l->heading = !lower && upper >= 2;
    }
}

/* ---------------------------------------------------------------- report */

static void
collapse_into (GString *out, const char *s, gsize n)
{
  /* nothing to collapse: no tab or newline, no blank at either end, no two
   * spaces in a row */
  if (n > 0 && s[0] != ' ' && s[n - 1] != ' ' && memchr (s, '\t', n) == NULL
      && memchr (s, '\n', n) == NULL && memmem (s, n, "  ", 2) == NULL)
    {
      g_string_append_len (out, s, n);
      return;
    }
  gboolean space = FALSE;
  for (gsize i = 0; i < n; i++)
    {
      char ch = s[i];
      if (ch == ' ' || ch == '\t' || ch == '\n')
        space = TRUE;
      else
        {
          if (space && out->len > 0)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_c (out, ch);
        }
    }
}

static void
report (Ctx *c, const char *rule, gsize s, gsize e)
{
  if (!c->st->report)
    return;
  GString *g = c->scratch;
  g_string_assign (g, rule);
  g_string_append (g, ": ");
  collapse_into (g, c->text + s, e - s);
  sluice_attrs_append_string (c->meta, "clean_removed", g->str);
}

static void
drop_line (Ctx *c, guint i, const char *rule)
{
  Line *l = LINE (c, i);
  l->kind = L_DROP;
  report (c, rule, l->cs, l->ce);
}

/* Sets meta[key] to the collapsed text unless the key exists. */
static void
set_meta (Ctx *c, const char *key, const char *s, gsize n)
{
  if (sluice_attrs_has (c->meta, key))
    return;
  GString *g = c->scratch;
  g_string_truncate (g, 0);
  collapse_into (g, s, n);
  /* trim punctuation a capture may drag along */
  while (g->len > 0 && strchr (",;:|/-", g->str[g->len - 1]) != NULL)
    g_string_truncate (g, g->len - 1);
  if (g->len > 0)
    sluice_attrs_set_string (c->meta, key, g->str);
}

/* --------------------------------------------------------------- metadata */

static gboolean
line_match (Ctx *c, guint i, CleanPatMatch *m)
{
  Line *l = LINE (c, i);
  return clean_patterns_match (c->st->patterns, c->text + l->cs, l->ce - l->cs, c->md, m);
}

/* A metadata line (byline, outlet, date): records it and says whether the
 * line is consumed.  Junk lines are not handled here. */
static gboolean
take_meta_line (Ctx *c, guint i)
{
  const CleanStage *st = c->st;
  Line *l = LINE (c, i);
  const CleanPattern *pat = g_ptr_array_index (st->patterns->patterns, l->pat);
  CleanPatMatch m;
  gboolean known = FALSE;
  for (guint k = 0; k < c->n_meta && !known; k++)
    if (c->meta_seen[k].line == i && c->meta_seen[k].cs == l->cs && c->meta_seen[k].ce == l->ce)
      {
        m = c->meta_seen[k].m;
        known = TRUE;
      }
  if (!known && !line_match (c, i, &m))
    return FALSE;
  if (m.index != l->pat)
    return FALSE;
  const char *s = c->text + l->cs;
  switch (pat->kind)
    {
    case CLEAN_PAT_BYLINE:
      {
        const char *b = s + m.byline_s;
        gsize bl = m.byline_e - m.byline_s;
        gboolean outlet = clean_is_outlet (st, b, bl, FALSE);
        if (outlet ? !st->extract_outlet : !st->extract_byline)
          return FALSE;
        set_meta (c, outlet ? "outlet" : "byline", b, bl);
        if (m.outlet_s >= 0 && st->extract_outlet)
          set_meta (c, "outlet", s + m.outlet_s, m.outlet_e - m.outlet_s);
        break;
      }
    case CLEAN_PAT_OUTLET:
      if (!st->extract_outlet)
        return FALSE;
      set_meta (c, "outlet", s + m.outlet_s, m.outlet_e - m.outlet_s);
      break;
    case CLEAN_PAT_DATE:
      {
        char iso[11];
        if (!st->extract_date
            || !clean_make_date (s + m.year_s, m.year_e - m.year_s, s + m.month_s,
                                 m.month_e - m.month_s, s + m.day_s, m.day_e - m.day_s, iso))
          return FALSE;
        if (!sluice_attrs_has (c->meta, "date"))
          sluice_attrs_set_string (c->meta, "date", iso);
        break;
      }
    default:
      return FALSE;
    }
  drop_line (c, i, pat->name);
  return TRUE;
}

static inline gboolean
is_gap (const Line *l)
{
  return l->kind == L_BLANK || l->kind == L_DROP;
}

/* The line stands alone: blank/dropped lines (or the edges) around it. */
static gboolean
alone (Ctx *c, guint i)
{
  return (i == 0 || is_gap (LINE (c, i - 1)))
         && (i + 1 >= c->n_lines || is_gap (LINE (c, i + 1)) || LINE (c, i + 1)->pat >= 0);
}

static gboolean
has_body_after (Ctx *c, guint i)
{
  for (guint j = i + 1; j < c->n_lines; j++)
    {
      Line *l = LINE (c, j);
      if (l->kind == L_BODY && l->pat < 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
title_candidate (Ctx *c, guint i)
{
  Line *l = LINE (c, i);
  if (l->words > c->st->max_title_words || l->list_item)
    return FALSE;
  /* alone in its block (a byline or dateline may follow right under it), or
   * followed by a paragraph longer than a wrapped line (a text with a
   * paragraph a line: counted over the following lines of the block, so that
   * the answer is the same once they are joined) */
  if (i > 0 && !is_gap (LINE (c, i - 1)))
    return FALSE;
  if (i + 1 < c->n_lines && !is_gap (LINE (c, i + 1)))
    {
      Line *nx = LINE (c, i + 1);
      gboolean meta_next = FALSE;
      if (nx->pat >= 0)
        {
          const CleanPattern *p = g_ptr_array_index (c->st->patterns->patterns, nx->pat);
          meta_next = p->kind != CLEAN_PAT_JUNK;
        }
      if (!meta_next)
        {
          guint64 total = 0;
          for (guint j = i + 1; j < c->n_lines && !is_gap (LINE (c, j)); j++)
            total += LINE (c, j)->chars + 1;
          if (total <= (guint64) c->st->wrap_max_width)
            return FALSE;
        }
    }
  /* a headline is not followed by the rest of its sentence */
  for (guint j = i + 1; j < c->n_lines; j++)
    {
      Line *nx = LINE (c, j);
      if (nx->kind == L_BLANK || nx->pat >= 0)
        continue;
      if (nx->starts_lower)
        return FALSE;
      break;
    }
  gsize n = l->ce - l->cs;
  const char *s = c->text + l->cs;
  const char *last = g_utf8_find_prev_char (s, s + n);
  gunichar lc = g_utf8_get_char (last);
  if (lc == '.' || lc == ',' || lc == ';' || lc == ':' || lc == '-')
    return FALSE;
  gboolean letter = FALSE;
  for (const char *p = s; p < s + n && !letter; p = g_utf8_next_char (p))
    letter = g_unichar_isalpha (g_utf8_get_char (p));
  return letter && (l->starts_upper || !g_unichar_isalpha (g_utf8_get_char (s)))
         && has_body_after (c, i);
}

static gboolean
same_text (Ctx *c, const Line *a, const Line *b)
{
  gsize la = a->ce - a->cs, lb = b->ce - b->cs;
  /* cheap rejection before casefolding: lengths differ beyond what case
   * and blank runs can explain */
  if (la > 2 * lb + 8 || lb > 2 * la + 8)
    return FALSE;
  g_autofree char *ka = clean_outlet_key (c->text + a->cs, a->ce - a->cs);
  g_autofree char *kb = clean_outlet_key (c->text + b->cs, b->ce - b->cs);
  return strcmp (ka, kb) == 0;
}

/* Does `needle` occur in the text outside [skip_s, skip_e)? */
static gboolean
occurs_elsewhere (Ctx *c, const char *needle, gsize nl, gsize skip_s, gsize skip_e)
{
  const char *p = c->text, *end = c->text + c->len;
  while (p < end)
    {
      const char *hit = memmem (p, end - p, needle, nl);
      if (hit == NULL)
        return FALSE;
      gsize off = hit - c->text;
      if (off + nl <= skip_s || off >= skip_e)
        return TRUE;
      p = hit + 1;
    }
  return FALSE;
}

static gboolean
signature_candidate (Ctx *c, guint i)
{
  Line *l = LINE (c, i);
  if (l->words > 6 || l->chars > 60 || !l->starts_upper || !alone (c, i)
      || l->end_class == END_TERMINAL || l->list_item)
    return FALSE;
  const char *s = c->text + l->cs;
  gsize n = l->ce - l->cs;
  gunichar lc = g_utf8_get_char (g_utf8_find_prev_char (s, s + n));
  if (lc == ',' || lc == '-')
    return FALSE;
  if (clean_is_outlet (c->st, s, n, TRUE))
    return TRUE;
  /* every word capitalised (small joining words allowed) */
  static const char *const small[] = { "of", "the", "and", "de", "du", "la", "le", "el",
                                       "al", "des", "der", "di", "da", "y", "&", NULL };
  const char *p = s, *end = s + n;
  while (p < end)
    {
      while (p < end && *p == ' ')
        p++;
      const char *w = p;
      while (p < end && *p != ' ')
        p++;
      if (w == p)
        break;
      gunichar f = g_utf8_get_char (w);
      if (g_unichar_isupper (f) || g_unichar_isdigit (f))
        continue;
      gboolean ok = FALSE;
      for (guint k = 0; small[k] && !ok; k++)
        ok = strlen (small[k]) == (gsize) (p - w) && strncmp (small[k], w, p - w) == 0;
      if (!ok)
        return FALSE;
    }
  /* ... and an outlet by its name, or named elsewhere in the document */
  return clean_is_outlet (c->st, s, n, FALSE) || occurs_elsewhere (c, s, n, l->start, l->end);
}

/* "(MENAFN- Outlet) " at the start of the first body line. */
static void
take_attribution (Ctx *c, guint i)
{
  const CleanStage *st = c->st;
  Line *l = LINE (c, i);
  if (st->attribution == NULL || !st->extract_outlet)
    return;
  pcre2_match_data *md = c->md;
  int rc = pcre2_match (st->attribution, (PCRE2_SPTR) (c->text + l->cs), l->ce - l->cs, 0,
                        PCRE2_NO_UTF_CHECK, md, NULL);
  if (rc < 2)
    return;
  const PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
  set_meta (c, "outlet", c->text + l->cs + ov[2], ov[3] - ov[2]);
  report (c, "attribution", l->cs, l->cs + ov[1]);
  l->cs += ov[1];
  if (l->cs >= l->ce)
    l->kind = L_DROP;
}

/* ------------------------------------------------------------------ joins */

static gboolean
word_ci_at (const char *p, const char *end, const char *a, gsize al, const char *b, gsize bl)
{
  return (gsize) (end - p) >= al + bl && g_ascii_strncasecmp (p, a, al) == 0
         && g_ascii_strncasecmp (p + al, b, bl) == 0;
}

static inline gboolean
is_word_byte (guchar ch)
{
  return g_ascii_isalnum (ch) || ch >= 0x80;
}

/* The hyphen rule: "infra-" + "structure" loses its hyphen only when the
 * document spells the word without it elsewhere ("infrastructure") and never
 * with it ("infra-structure"). */
static gboolean
drop_wrap_hyphen (Ctx *c, const Line *a, const Line *b)
{
  const char *t = c->text;
  gsize he = a->ce - 1;          /* the hyphen */
  gsize xs = he;
  while (xs > a->cs && is_word_byte (t[xs - 1]))
    xs--;
  gsize ye = b->cs;
  while (ye < b->ce && is_word_byte (t[ye]))
    ye++;
  gsize xl = he - xs, yl = ye - b->cs;
  if (xl == 0 || yl == 0 || c->len > (1u << 20))
    return FALSE;
  gboolean joined = FALSE, hyphenated = FALSE;
  const char *end = t + c->len;
  for (const char *p = t; p < end; p++)
    {
      if (p > t && is_word_byte (p[-1]))
        continue;
      if (g_ascii_tolower (*p) != g_ascii_tolower (t[xs]))
        continue;
      if (word_ci_at (p, end, t + xs, xl, t + b->cs, yl)
          && (p + xl + yl == end || !is_word_byte (p[xl + yl])))
        joined = TRUE;
      if ((gsize) (end - p) > xl + 1 + yl && g_ascii_strncasecmp (p, t + xs, xl) == 0
          && p[xl] == '-' && g_ascii_strncasecmp (p + xl + 1, t + b->cs, yl) == 0
          && (p + xl + 1 + yl == end || !is_word_byte (p[xl + 1 + yl])))
        hyphenated = TRUE;
    }
  return joined && !hyphenated;
}

/* Characters of the first word of b (up to a blank or just past a hyphen). */
static guint32
first_word_chars (Ctx *c, const Line *b)
{
  guint32 n = 0;
  for (gsize i = b->cs; i < b->ce; i++)
    {
      guchar ch = c->text[i];
      if (ch == ' ' || ch == '\t')
        break;
      n += (ch & 0xC0) != 0x80;
      if (ch == '-' && n > 1)
        break;
    }
  return n;
}

/* Separator kinds between two kept lines. */
enum { SEP_KEEP_NL = 0, SEP_PARA, SEP_SPACE, SEP_NONE, SEP_DEHYPHEN };

static int
join_sep (Ctx *c, const Line *a, const Line *b)
{
  if (a->end_class == END_HYPHEN && (b->starts_lower || b->starts_upper
                                     || g_unichar_isdigit (g_utf8_get_char (c->text + b->cs))))
    {
      if (c->st->dehyphenate && b->starts_lower && drop_wrap_hyphen (c, a, b))
        return SEP_DEHYPHEN;
      return SEP_NONE;
    }
  return SEP_SPACE;
}

/* The rewriter, created at the first change, with keeps gathered until a
 * change needs them (consecutive keeps make one segment anyway). */
typedef struct {
  SluiceDocument *doc;
  SluiceRewriter *rw;
  gsize cur;            /* where the rewrite stands (the rewriter lags behind) */
} LazyRewriter;

static void
lazy_flush (LazyRewriter *l)
{
  if (l->rw == NULL)
    l->rw = sluice_rewriter_new (l->doc);
  sluice_rewriter_keep (l->rw, l->cur);
}

static inline void
lazy_keep (LazyRewriter *l, gsize pos)
{
  if (pos >= l->cur)
    l->cur = pos;
  else
    {
      /* backwards: let the rewriter record the error */
      lazy_flush (l);
      sluice_rewriter_keep (l->rw, pos);
    }
}

static void
lazy_replace (LazyRewriter *l, gsize end, const char *text, gsize len)
{
  lazy_flush (l);
  sluice_rewriter_replace (l->rw, end, text, (gssize) len);
  l->cur = sluice_rewriter_get_cursor (l->rw);
}

static void
lazy_delete (LazyRewriter *l, gsize end)
{
  lazy_flush (l);
  sluice_rewriter_delete (l->rw, end);
  l->cur = sluice_rewriter_get_cursor (l->rw);
}

/* ------------------------------------------------------------------ main */

gboolean
clean_lines (const CleanStage *st, SluiceDocument *doc, GError **error)
{
  Ctx c = { 0 };
  c.st = st;
  c.doc = doc;
  c.meta = sluice_document_get_meta (doc);
  c.text = sluice_document_get_text (doc, &c.len);
  c.word_cap = (guint32) MAX (MAX (st->max_junk_words, st->max_title_words), 8);
  if (c.len == 0)
    return TRUE;

  /* lines, written in place (the array grows by doubling) */
  Line stack_lines[64];
  guint cap = G_N_ELEMENTS (stack_lines);
  c.lines = stack_lines;
  c.n_lines = 0;
  gsize pos = 0;
  while (pos <= c.len)
    {
      const char *nl = memchr (c.text + pos, '\n', c.len - pos);
      gsize e = nl ? (gsize) (nl - c.text) : c.len;
      if (c.n_lines == cap)
        {
          Line *more = g_new (Line, 2 * cap);
          memcpy (more, c.lines, cap * sizeof (Line));
          if (c.lines != stack_lines)
            g_free (c.lines);
          c.lines = more;
          cap *= 2;
        }
      Line *l = LINE (&c, c.n_lines);
      *l = (Line) { 0 };
      l->start = pos;
      l->end = e;
      measure_line (&c, l);
      c.n_lines++;
      if (nl == NULL)
        break;
      pos = e + 1;
    }
  guint n = c.n_lines;
  c.scratch = g_string_sized_new (128);
  if (st->patterns->full.code != NULL)
    c.md = pcre2_match_data_create_from_pattern (st->patterns->full.code, NULL);
  else
    c.md = pcre2_match_data_create (16, NULL);

  /* 1. patterns, on short lines only */
  if (st->patterns->full.code != NULL)
    for (guint i = 0; i < n; i++)
      {
        Line *l = LINE (&c, i);
        if (l->kind != L_BODY || l->words > st->max_junk_words)
          continue;
        CleanPatMatch m;
        if (line_match (&c, i, &m))
          {
            l->pat = m.index;
            const CleanPattern *pat = g_ptr_array_index (st->patterns->patterns, m.index);
            if (pat->kind != CLEAN_PAT_JUNK && c.n_meta < G_N_ELEMENTS (c.meta_seen))
              {
                c.meta_seen[c.n_meta].line = i;
                c.meta_seen[c.n_meta].cs = l->cs;
                c.meta_seen[c.n_meta].ce = l->ce;
                c.meta_seen[c.n_meta].m = m;
                c.n_meta++;
              }
          }
      }

  /* 2. the head: junk, metadata, the title and its repeat, up to the body */
  gint title = -1;
  guint i = 0;
  for (; i < n; i++)
    {
      Line *l = LINE (&c, i);
      if (l->kind == L_BLANK)
        continue;
      if (l->pat >= 0)
        {
          const CleanPattern *pat = g_ptr_array_index (st->patterns->patterns, l->pat);
          if (pat->kind == CLEAN_PAT_JUNK)
            {
              if (st->drop_junk)
                {
                  drop_line (&c, i, pat->name);
                  continue;
                }
            }
          else if (take_meta_line (&c, i))
            continue;
        }
      if (title < 0 && title_candidate (&c, i))
        {
          title = (gint) i;
          l->kind = L_TITLE;
          if (st->extract_title)
            set_meta (&c, "title", c.text + l->cs, l->ce - l->cs);
          continue;
        }
      if (title >= 0 && st->dedupe_title && alone (&c, i)
          && same_text (&c, l, LINE (&c, (guint) title)))
        {
          drop_line (&c, i, "title_repeat");
          continue;
        }
      take_attribution (&c, i);
      if (l->kind == L_DROP)
        continue;
      break;
    }
  guint head_end = i;

  /* 3. the tail: junk, metadata, a signature line */
  guint tail_start = n;
  for (gint j = (gint) n - 1; j > (gint) head_end; j--)
    {
      Line *l = LINE (&c, (guint) j);
      if (l->kind == L_BLANK)
        continue;
      if (l->kind != L_BODY)
        break;
      if (l->pat >= 0)
        {
          const CleanPattern *pat = g_ptr_array_index (st->patterns->patterns, l->pat);
          if (pat->kind == CLEAN_PAT_JUNK)
            {
              if (st->drop_junk)
                {
                  drop_line (&c, (guint) j, pat->name);
                  continue;
                }
            }
          else if (take_meta_line (&c, (guint) j))
            continue;
        }
      if (st->extract_outlet && signature_candidate (&c, (guint) j))
        {
          set_meta (&c, "outlet", c.text + l->cs, l->ce - l->cs);
          drop_line (&c, (guint) j, "signature");
          continue;
        }
      tail_start = (guint) j;
      break;
    }

  /* 4. junk between paragraphs: a matching line that does not continue a
   *    sentence from the line above */
  if (st->drop_junk)
    for (guint j = head_end; j < n && j <= tail_start; j++)
      {
        Line *l = LINE (&c, j);
        if (l->kind != L_BODY || l->pat < 0)
          continue;
        const CleanPattern *pat = g_ptr_array_index (st->patterns->patterns, l->pat);
        if (pat->kind != CLEAN_PAT_JUNK)
          continue;
        Line *prev = j > 0 ? LINE (&c, j - 1) : NULL;
        if (prev == NULL || is_gap (prev) || prev->kind == L_TITLE
            || prev->end_class == END_TERMINAL || prev->pat >= 0)
          drop_line (&c, j, pat->name);
      }

  /* 5. the wrap width: the longest line that is followed by another line of
   *    its block, among lines no longer than wrap_max_width.  It counts only
   *    when the text looks wrapped: at least two such lines, and half of
   *    them, reach within width/8 of it. */
  guint32 width = 0, n_cand = 0, n_near = 0;
  for (guint j = 0; j + 1 < n; j++)
    {
      Line *a = LINE (&c, j), *b = LINE (&c, j + 1);
      if (a->kind == L_BODY && b->kind == L_BODY && a->chars <= st->wrap_max_width
          && !b->list_item)
        {
          n_cand++;
          width = MAX (width, a->chars);
        }
    }
  guint32 slack = width / 8;
  if (width >= st->wrap_min_width)
    for (guint j = 0; j + 1 < n; j++)
      {
        Line *a = LINE (&c, j), *b = LINE (&c, j + 1);
        if (a->kind == L_BODY && b->kind == L_BODY && a->chars <= st->wrap_max_width
            && !b->list_item && a->chars + slack >= width)
          n_near++;
      }
  /* a wrapped text has (almost) no line longer than its width */
  guint32 n_body = 0, n_long = 0;
  for (guint j = 0; j < n; j++)
    {
      Line *a = LINE (&c, j);
      if (a->kind != L_BODY)
        continue;
      n_body++;
      n_long += a->chars > width;
    }
  if (width < st->wrap_min_width || n_near < 2 || n_near * 2 < n_cand || n_long * 10 > n_body)
    width = 0;

  /* 6. separators: for each kept line, what goes between it and the kept
   *    line before it */
  guint *keep = g_new (guint, n), n_keep = 0;
  int *seps = g_new (int, n);
  guint64 logical = 0;   /* characters of the line being rebuilt (joins included) */
  for (guint j = 0; j < n; j++)
    {
      Line *b = LINE (&c, j);
      if (b->kind != L_BODY && b->kind != L_TITLE)
        continue;
      int sep = SEP_PARA;
      if (n_keep > 0)
        {
          guint pj = keep[n_keep - 1];
          Line *a = LINE (&c, pj);
          gboolean gap = j > pj + 1;
          if (a->kind == L_TITLE || b->kind == L_TITLE)
            sep = SEP_PARA;
          else if (gap)
            {
              if (st->join_broken && b->starts_lower && !b->list_item && !a->heading
                  && (a->end_class == END_OPEN || a->end_class == END_HYPHEN))
                sep = join_sep (&c, a, b);
            }
          else
            {
              sep = SEP_KEEP_NL;
              if (!b->list_item && !a->heading)
                {
                  /* the next word would not have fitted on the line: a wrap
                   * (no slack after a sentence end) */
                  guint32 need = a->chars + (a->end_class == END_HYPHEN ? 0 : 1)
                                 + first_word_chars (&c, b);
                  gboolean open = a->end_class == END_OPEN || a->end_class == END_HYPHEN;
                  guint32 min_open = width ? width / 2 : (guint32) st->wrap_min_width;
                  guint32 limit = width - (a->end_class == END_TERMINAL ? 0 : slack);
                  if (st->join_wraps && width > 0 && a->chars <= st->wrap_max_width
                      && need > limit)
                    sep = join_sep (&c, a, b);
                  else if (st->join_wraps && open && logical >= min_open
                           && (b->starts_lower || a->end_class == END_HYPHEN))
                    sep = join_sep (&c, a, b);
                  else if (st->blank_lines && logical > (guint64) st->wrap_max_width
                           && a->end_class == END_TERMINAL)
                    sep = SEP_PARA;   /* one paragraph a line: make the break a blank line */
                }
            }
        }
      if (sep == SEP_SPACE || sep == SEP_NONE || sep == SEP_DEHYPHEN)
        logical += b->chars + 1;
      else
        logical = b->chars;
      keep[n_keep] = j;
      seps[n_keep] = sep;
      n_keep++;
    }

  /* 7. the rewrite */
  LazyRewriter lrw = { doc, NULL, 0 }, *rw = &lrw;
  gboolean changed = FALSE;
  for (guint q = 0; q < n_keep; q++)
    {
      guint j = keep[q];
      Line *b = LINE (&c, j);
      int sep = seps[q];
      if (q == 0)
        {
          if (b->cs > 0)
            {
              gboolean dropped = FALSE;
              for (guint k = 0; k < j; k++)
                dropped |= LINE (&c, k)->kind == L_DROP;
              /* leading blank lines stay only when told to and nothing was
               * dropped before the first kept line */
              if (!st->blank_lines && !dropped)
                lazy_keep (rw, b->start);
              if (b->cs > rw->cur)
                {
                  lazy_delete (rw, b->cs);
                  changed = TRUE;
                }
            }
        }
      else
        {
          guint pj = keep[q - 1];
          Line *a = LINE (&c, pj);
          gboolean dropped = FALSE;
          for (guint k = pj + 1; k < j; k++)
            dropped |= LINE (&c, k)->kind == L_DROP;
          const char *sp = NULL;
          switch (sep)
            {
            case SEP_KEEP_NL: sp = "\n"; break;
            case SEP_PARA: sp = "\n\n"; break;
            case SEP_SPACE: sp = " "; break;
            case SEP_NONE: sp = ""; break;
            case SEP_DEHYPHEN: sp = ""; break;
            default: g_assert_not_reached ();
            }
          gsize from = rw->cur;   /* a->ce, or the hyphen */
          if (sep == SEP_PARA && !st->blank_lines && !dropped)
            {
              /* keep the original blank run, only strip blanks around it */
              GString *g = c.scratch;
              g_string_truncate (g, 0);
              for (gsize k = from; k < b->cs; k++)
                if (c.text[k] == '\n')
                  g_string_append_c (g, '\n');
              if (g->len != b->cs - from)
                {
                  lazy_replace (rw, b->cs, g->str, g->len);
                  changed = TRUE;
                }
            }
          else
            {
              gsize sl = strlen (sp);
              if (b->cs - from != sl || memcmp (c.text + from, sp, sl) != 0)
                {
                  lazy_replace (rw, b->cs, sp, sl);
                  changed = TRUE;
                }
            }
          (void) a;
        }
      /* b's content, blank runs collapsed; a hyphen dropped by the next
       * separator is left out */
      gsize ce = b->ce;
      if (q + 1 < n_keep && seps[q + 1] == SEP_DEHYPHEN)
        ce = b->ce - 1;
      lazy_keep (rw, b->cs);
      if (st->collapse_spaces && b->has_runs)
        {
          const char *t = c.text;
          gsize k = b->cs;
          /* runs to collapse start with two blanks or contain a tab; the next
           * of each is looked up again only once it has been passed */
          const char *tab = memchr (t + k, '\t', ce - k);
          const char *dbl = memmem (t + k, ce - k, "  ", 2);
          while (k < ce)
            {
              if (tab != NULL && tab < t + k)
                tab = memchr (t + k, '\t', ce - k);
              if (dbl != NULL && dbl < t + k)
                dbl = memmem (t + k, ce - k, "  ", 2);
              const char *hit = dbl && tab ? MIN (dbl, tab) : (dbl ? dbl : tab);
              if (hit == NULL)
                break;
              gsize h = hit - t, e = h;
              while (h > k && t[h - 1] == ' ')
                h--;
              while (e < ce && (t[e] == ' ' || t[e] == '\t'))
                e++;
              if (e - h > 1 || t[h] == '\t')
                {
                  lazy_keep (rw, h);
                  lazy_replace (rw, e, " ", 1);
                  changed = TRUE;
                }
              k = e;
            }
        }
      lazy_keep (rw, ce);
    }
  if (n_keep == 0)
    {
      /* nothing kept */
      lazy_delete (rw, c.len);
      changed = TRUE;
    }
  else
    {
      guint last = keep[n_keep - 1];
      Line *a = LINE (&c, last);
      gboolean dropped = FALSE;
      for (guint k = last + 1; k < n; k++)
        dropped |= LINE (&c, k)->kind == L_DROP;
      if (a->ce < c.len && (st->blank_lines || dropped))
        {
          lazy_delete (rw, c.len);
          changed = TRUE;
        }
      else if (a->end > a->ce)
        {
          lazy_delete (rw, a->end);
          changed = TRUE;
        }
    }
  g_free (keep);
  g_free (seps);

  gboolean ok = TRUE;
  if (changed)
    ok = sluice_rewriter_commit (rw->rw, error);
  else if (rw->rw != NULL)
    sluice_rewriter_abort (rw->rw);

  pcre2_match_data_free (c.md);
  g_string_free (c.scratch, TRUE);
  if (c.lines != stack_lines)
    g_free (c.lines);
  return ok;
}
