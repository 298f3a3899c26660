/* numbers — the scanner.
 *
 * One pass over the text.  Most bytes are skipped by a tight loop: a word is looked
 * up only when its (first, second, last letter, length) passes the lexicon's filter,
 * and only digits and trigger words start the phrase parser.  The phrase parser reads
 * a bounded window of tokens (MAXT) lazily, so the work per number is bounded and
 * the whole scan is linear in the text length.  Nothing is allocated per token.
 */
#include "numbers-scan.h"

#include <math.h>
#include <string.h>
#include <stdlib.h>

#define MAXT 48               /* tokens one phrase may look at */
#define MAX_LOOSE_AND 3       /* "twenty and three and three fifths" */
#define WORDBUF NUM_WORDBUF   /* longest word looked up */
#define MAX_DIGITS 320        /* longer digit runs are no numbers (beyond double) */

/* ------------------------------------------------------------ characters */

static inline gboolean is_digit (guchar c) { return c >= '0' && c <= '9'; }
static inline gboolean is_alpha_ascii (guchar c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

/* Width of the (valid) UTF-8 char at p. */
static inline gsize
u8len (guchar c)
{
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static inline gboolean
is_alpha_at (const char *t, gsize len, gsize p)
{
  guchar c = (guchar) t[p];
  if (c < 0x80)
    return is_alpha_ascii (c);
  if (p + u8len (c) > len)
    return FALSE;
  /* U+0400-U+047F (lead bytes D0, D1) are all letters (as g_unichar_isalpha says;
   * tests/test_numbers.c checks it) */
  if (c == 0xD0 || c == 0xD1)
    return TRUE;
  return g_unichar_isalpha (g_utf8_get_char (t + p));
}

/* Whitespace at p: its byte width, 0 when none.  NBSP, thin and narrow spaces count. */
static inline gsize
space_at (const char *t, gsize len, gsize p)
{
  guchar c = (guchar) t[p];
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
    return 1;
  if (c == 0xC2 && p + 1 < len && (guchar) t[p + 1] == 0xA0)
    return 2;
  if (c == 0xE2 && p + 2 < len && (guchar) t[p + 1] == 0x80) {
    guchar d = (guchar) t[p + 2];
    if ((d >= 0x80 && d <= 0x8B) || d == 0xAF)   /* U+2000-200B, U+202F */
      return 3;
  }
  return 0;
}

/* 1: an ASCII space; 2: the lead byte of a space space_at() knows (NBSP, U+2000...);
 * 0: no space. */
static const guint8 space_class[256] = {
  [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1, [0xC2] = 2, [0xE2] = 2,
};

/* Skips whitespace from p; *gap: 0 none, 1 some, 2 a blank line. */
static gsize
skip_space (const char *t, gsize len, gsize p, guint8 *gap)
{
  guint nl = 0;
  guint8 g = 0;
  while (p < len) {
    guint8 k = space_class[(guchar) t[p]];
    if (k == 0)
      break;
    gsize w = k == 1 ? 1 : space_at (t, len, p);
    if (w == 0)
      break;
    nl += t[p] == '\n';
    g = 1;
    p += w;
  }
  *gap = nl >= 2 ? 2 : g;
  return p;
}

/* ASCII letters, for the word loops */
static const guint8 ascii_letter[256] = { ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1 };

static gsize
word_end (const char *t, gsize len, gsize p)
{
  const guchar *u = (const guchar *) t;
  while (p < len && ascii_letter[u[p]])
    p++;
  while (p < len) {
    guchar c = u[p];
    if (c < 0x80) {
      if (!is_alpha_ascii (c))
        break;
      p++;
    } else if ((c == 0xD0 || c == 0xD1) && p + 1 < len) {
      /* Cyrillic run: two bytes a letter */
      do
        p += 2;
      while (p + 1 < len && (u[p] == 0xD0 || u[p] == 0xD1) && (u[p + 1] & 0xC0) == 0x80);
    } else if (is_alpha_at (t, len, p)) {
      p += u8len (c);
    } else {
      break;
    }
  }
  return p;
}

/* End of the run of non-space characters from p. */
static gsize
run_end (const char *t, gsize len, gsize p)
{
  while (p < len && space_at (t, len, p) == 0)
    p += u8len ((guchar) t[p]);
  return p > len ? len : p;
}

/* Lower-cases [p, q) into buf (NUL-terminated, WORDBUF bytes); FALSE when too long. */
static inline gboolean
lower_word (const char *t, gsize p, gsize q, char *buf)
{
  guint32 h;
  return num_word_lower (t + p, q - p, buf, &h) >= 0;
}

static const NumLex *
lookup_word (const NumLexicon *lx, const char *t, gsize p, gsize q)
{
  /* the (first, second, last letter, length) filter answers most */
  if (!num_lexicon_filter_any (lx->filter_all, t + p, q - p))
    return NULL;
  return num_lexicon_find (lx, t + p, q - p, NULL);
}

/* ---------------------------------------------------------- digit numerals */

enum { NF_INT, NF_DEC, NF_ORD, NF_FRAC, NF_POW, NF_DECADE };

typedef struct {
  double value;
  guint8 form;
  guint8 plain;        /* only digits: no sign, separator, point, suffix */
  guint8 needs_money;  /* "40m": a money-only suffix */
  guint8 scaled;       /* a suffix scale was applied ("3bn") */
  guint8 skip;         /* no number (identifier, date, code); resume at the token end */
  guint8 neg;
  guint ndigits;       /* integer digits */
  double suffix_scale;
} NumLit;

static const struct { gunichar u; double v; } vulgar[] = {
  { 0x00BC, 0.25 }, { 0x00BD, 0.5 }, { 0x00BE, 0.75 }, { 0x2150, 1.0 / 7 }, { 0x2151, 1.0 / 9 },
  { 0x2152, 0.1 }, { 0x2153, 1.0 / 3 }, { 0x2154, 2.0 / 3 }, { 0x2155, 0.2 }, { 0x2156, 0.4 },
  { 0x2157, 0.6 }, { 0x2158, 0.8 }, { 0x2159, 1.0 / 6 }, { 0x215A, 5.0 / 6 }, { 0x215B, 0.125 },
  { 0x215C, 0.375 }, { 0x215D, 0.625 }, { 0x215E, 0.875 },
};

static double
vulgar_value (const char *t, gsize len, gsize p)
{
  guchar c = (guchar) t[p];
  /* U+00BC-00BE are C2 BC-BE, U+2150-215E are E2 85 90-9E */
  if (c == 0xC2) {
    if (p + 2 > len || (guchar) t[p + 1] < 0xBC || (guchar) t[p + 1] > 0xBE)
      return 0;
  } else if (c != 0xE2 || p + 3 > len || (guchar) t[p + 1] != 0x85) {
    return 0;
  }
  gunichar u = g_utf8_get_char (t + p);
  for (guint i = 0; i < G_N_ELEMENTS (vulgar); i++)
    if (vulgar[i].u == u)
      return vulgar[i].v;
  return 0;
}

static gsize
digits_end (const char *t, gsize len, gsize p)
{
  while (p < len && is_digit ((guchar) t[p]))
    p++;
  return p;
}

/* The value of digits t[p, q) with no decimal mark, q - p <= 15 characters
 * (no overflow of 2^53); separators are skipped. */
static inline double
digits_value_short (const char *t, gsize p, gsize q)
{
  guint64 v = 0;
  for (gsize i = p; i < q; i++) {
    guint d = (guint) ((guchar) t[i] - '0');
    if (d < 10)
      v = v * 10 + d;
  }
  return (double) v;
}

/* digits_value() for the cases digits_value_short() does not take. */
static G_GNUC_NO_INLINE double
digits_value_any (const char *t, gsize p, gsize q, gsize point)
{
  static const double p10[23] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                  1e22 };
  guint64 m = 0;
  guint nfrac = 0;
  gboolean after = FALSE, exact = TRUE;
  for (gsize i = p; i < q; i++) {
    guchar c = (guchar) t[i];
    if (point && i == point) {
      after = TRUE;
      continue;
    }
    if (!is_digit (c))
      continue;
    if (m > ((G_GUINT64_CONSTANT (1) << 53) - 1 - (c - '0')) / 10) {
      exact = FALSE;
      break;
    }
    m = m * 10 + (c - '0');
    nfrac += after;
  }
  if (exact && nfrac <= 22)
    return nfrac ? (double) m / p10[nfrac] : (double) m;

  char buf[80];
  gsize n = 0;
  double acc = 0;
  gboolean big = FALSE;
  for (gsize i = p; i < q; i++) {
    char c = t[i];
    if (point && i == point)
      c = '.';
    else if (!is_digit ((guchar) c))
      continue;
    if (n < sizeof buf - 1)
      buf[n++] = c;
    else
      big = TRUE;
    if (c != '.' && !(point && i > point))
      acc = acc * 10 + (c - '0');
  }
  buf[n] = '\0';
  if (big)
    return acc;   /* beyond 79 characters only the integer part matters */
  return g_ascii_strtod (buf, NULL);
}

/* Value of a numeral written with digits and separators in [p, q): separators
 * (',' and spaces) are dropped, `point` is the offset of the decimal mark or 0.
 * Exact without strtod when the digits fit in 2^53 and at most 22 follow the point
 * (an exact integer divided by an exact power of ten is correctly rounded, as strtod
 * is); otherwise g_ascii_strtod. */
static inline double
digits_value (const char *t, gsize p, gsize q, gsize point)
{
  if (point == 0 && q - p <= 15)
    return digits_value_short (t, p, q);
  return digits_value_any (t, p, q, point);
}

static gboolean
sign_context (const char *t, gsize p)
{
  /* A sign is preceded by the start, a space or an opening bracket, and not by a
   * numeral ("25 - 26" is a range). */
  if (p == 0)
    return TRUE;
  guchar c = (guchar) t[p - 1];
  if (!(c == ' ' || c == '\t' || c == '\n' || c == '(' || c == '[' || c == '"' || c == '='))
    return FALSE;
  gsize i = p;
  while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
    i--;
  return !(i > 0 && is_digit ((guchar) t[i - 1]));
}

/* Is there a plausible all-numeric date in the dotted/slashed groups a.b.c? */
static gboolean
date_like (double a, double b, guint clen)
{
  return ((a >= 1 && a <= 31 && b >= 1 && b <= 12) || (a >= 1 && a <= 12 && b >= 1 && b <= 31)) &&
         (clen == 2 || clen == 4);
}

/* The form a suffix after `ndigits` plain digits of value `v` gives: NF_DECADE for a
 * decade suffix after 4 digits ("1990s", "1990-х") or after tens ("90s", unless it is
 * an ordinal suffix too), NF_ORD for an ordinal suffix ("5th", "5-й"), -1 for none. */
static int
suffix_form (const NumLexicon *lx, const char *low, guint ndigits, double v)
{
  gboolean dec = g_hash_table_contains (lx->decade_suffix, low);
  gboolean ord = g_hash_table_contains (lx->ord_suffix, low);
  if (dec && ndigits == 4)
    return NF_DECADE;
  if (ord)
    return NF_ORD;
  if (dec && ndigits == 2 && fmod (v, 10) == 0)
    return NF_DECADE;
  return -1;
}

/* Bytes after the digits that can make more of a numeral (a slash, a colon, a hyphen,
 * a power, a suffix or letters glued to it: ASCII letters and any non-ASCII byte). */
static const guint8 numeral_tail[256] = {
  ['/'] = 1, [':'] = 1, ['-'] = 1, ['^'] = 1, ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1,
  [0x80 ... 0xFF] = 1,
};

/* Scans a digit numeral at p (a digit, a sign, a leading point or a vulgar fraction).
 * Returns its end. */
static gsize
scan_numlit (const NumLexicon *lx, const char *t, gsize len, gsize p, NumLit *nl)
{
  memset (nl, 0, sizeof *nl);
  gsize q = p;
  nl->plain = TRUE;
  guchar c = (guchar) t[q];
  gboolean plus = FALSE;

  /* glued to a word or a code before it: "A320", "%20", "x86" */
  if (p > 0) {
    guchar b = (guchar) t[p - 1];
    gboolean glued = is_alpha_ascii (b) || b == '_' || b == '%' || b == '#' || b == '@' ||
                     b == '&' || b == '\\';
    if (!glued && b >= 0x80) {
      gsize s = p - 1;
      while (s > 0 && ((guchar) t[s] & 0xC0) == 0x80)
        s--;
      glued = g_unichar_isalpha (g_utf8_get_char (t + s));
    }
    if (!glued && b == '-' && p >= 2 && is_alpha_ascii ((guchar) t[p - 2])) {
      /* "COVID-19", "F-16", "Su-25" are codes; "mid-2020", "under-21" are not */
      gsize s = p - 1;
      while (s > 0 && is_alpha_ascii ((guchar) t[s - 1]) && p - s < 32)
        s--;
      for (gsize i = s; i < p - 1; i++)
        if (t[i] >= 'A' && t[i] <= 'Z')
          glued = TRUE;
    }
    if (glued) {
      nl->skip = TRUE;
      return run_end (t, len, p);
    }
  }

  double vv = vulgar_value (t, len, q);
  if (vv > 0) {
    nl->form = NF_FRAC;
    nl->value = vv;
    nl->plain = FALSE;
    return q + u8len (c);
  }

  if (c == '-' || c == '+') {
    nl->neg = c == '-';
    plus = c == '+';
    nl->plain = FALSE;
    q++;
  } else if (c == 0xE2 && q + 2 < len && (guchar) t[q + 1] == 0x88 && (guchar) t[q + 2] == 0x92) {
    nl->neg = TRUE;   /* U+2212 MINUS SIGN */
    nl->plain = FALSE;
    q += 3;
  }
  if (plus) {
    /* "+1-222-2222-2222", "+44 20 ...": phone numbers */
    nl->skip = TRUE;
    return run_end (t, len, p);
  }

  gsize istart = q;
  gsize iend = digits_end (t, len, q);
  guint l0 = (guint) (iend - istart);
  gsize point = 0;
  q = iend;
  gboolean in_dotted = p >= 2 && t[p - 1] == '.' && is_digit ((guchar) t[p - 2]);

  if (l0 == 0) {
    /* ".5" */
    if (t[q] == '.' && q + 1 < len && is_digit ((guchar) t[q + 1])) {
      point = q;
      q = digits_end (t, len, q + 1);
      nl->form = NF_DEC;
      nl->plain = FALSE;
      nl->value = digits_value (t, istart, q, point);
      goto suffix;
    }
    nl->skip = TRUE;
    return p + 1;
  }
  if (l0 > MAX_DIGITS) {
    nl->skip = TRUE;
    return run_end (t, len, p);
  }
  nl->ndigits = l0;

  /* a decimal comma where the language writes one ("2,5"; setting decimal = comma),
   * unless more comma groups follow ("1,2,3") */
  if (lx->decimal_comma && q + 1 < len && t[q] == ',' && is_digit ((guchar) t[q + 1]) &&
      !in_dotted) {
    gsize e = digits_end (t, len, q + 1);
    if (!(e + 1 < len && (t[e] == ',' || t[e] == '.') && is_digit ((guchar) t[e + 1]))) {
      point = q;
      q = e;
      nl->plain = FALSE;
    }
  }
  /* thousands separators: 1,275  12,34,567  40 000; a decimal comma: 5,00 */
  if (point) {
    /* "2,5": no grouping after a decimal comma */
  } else if (q + 1 < len && t[q] == ',' && is_digit ((guchar) t[q + 1])) {
    gsize g = q;
    guint ngroups = 0, n3 = 0, n2 = 0, last = 0;
    gboolean two_then_three = TRUE;
    while (g + 1 < len && t[g] == ',' && is_digit ((guchar) t[g + 1])) {
      gsize e = digits_end (t, len, g + 1);
      guint k = (guint) (e - g - 1);
      if (k != 2 && k != 3)
        break;
      if (last == 3 && k == 2)
        two_then_three = FALSE;
      ngroups++;
      n3 += k == 3;
      n2 += k == 2;
      last = k;
      g = e;
      if (ngroups > 100000000)
        break;
    }
    gboolean after_digit = g < len && is_digit ((guchar) t[g]);
    if (ngroups > 0 && !after_digit && n2 == 0 && l0 <= 3) {
      q = g;          /* western grouping */
      nl->plain = FALSE;
    } else if (ngroups >= 2 && !after_digit && last == 3 && n3 == 1 && two_then_three && l0 <= 2) {
      q = g;          /* Indian grouping */
      nl->plain = FALSE;
    } else if (ngroups == 1 && n2 == 1 && l0 <= 3 && !after_digit &&
               !(g + 1 < len && (t[g] == ',' || t[g] == '.') && is_digit ((guchar) t[g + 1]))) {
      point = q;      /* decimal comma */
      q = g;
      nl->plain = FALSE;
    }
  } else if (l0 <= 3 && !in_dotted) {
    /* space-grouped: "40 000" (a single space-like char, then exactly 3 digits) */
    gsize g = q;
    for (;;) {
      gsize w = g < len ? space_at (t, len, g) : 0;
      if (w == 0 || t[g] == '\n' || t[g] == '\t')
        break;
      gsize d = g + w;
      gsize e = digits_end (t, len, d);
      if (e - d != 3 || (e < len && (is_alpha_ascii ((guchar) t[e]) ||
                                      (t[e] == ',' && !lx->decimal_comma) ||
                                      (t[e] == '.' && e + 1 < len && is_digit ((guchar) t[e + 1])))))
        break;
      g = e;
      nl->plain = FALSE;
    }
    q = g;
    /* "1 500,5" */
    if (lx->decimal_comma && q > iend && q + 1 < len && t[q] == ',' && is_digit ((guchar) t[q + 1])) {
      gsize e = digits_end (t, len, q + 1);
      if (!(e + 1 < len && (t[e] == ',' || t[e] == '.') && is_digit ((guchar) t[e + 1]))) {
        point = q;
        q = e;
      }
    }
  }

  /* decimal point, or a dotted sequence (192.168.1.2, 25.02.2020) */
  if (!point && q + 1 < len && t[q] == '.' && is_digit ((guchar) t[q + 1])) {
    gsize e = digits_end (t, len, q + 1);
    if (in_dotted || (e + 1 < len && t[e] == '.' && is_digit ((guchar) t[e + 1]))) {
      if (!in_dotted) {
        /* a dotted sequence: a date is skipped whole, anything else is read as
         * separate integers (this one ends here) */
        gsize g2 = digits_end (t, len, e + 1);
        guint ngroups = 3;
        gsize g = g2;
        while (g + 1 < len && t[g] == '.' && is_digit ((guchar) t[g + 1])) {
          g = digits_end (t, len, g + 1);
          ngroups++;
        }
        if (ngroups == 3 && nl->plain &&
            date_like (digits_value (t, istart, q, 0), digits_value (t, q + 1, e, 0),
                       (guint) (g2 - e - 1))) {
          nl->skip = TRUE;
          return run_end (t, len, p);
        }
      }
      nl->form = NF_INT;
      nl->value = digits_value (t, istart, q, 0);
      if (nl->neg)
        nl->value = -nl->value;
      return q;
    }
    point = q;
    q = e;
    nl->plain = FALSE;
  }
  nl->form = point ? NF_DEC : NF_INT;
  nl->value = digits_value (t, istart, q, point);
  /* each check below up to done: wants one of these bytes right after the digits */
  if (!numeral_tail[(guchar) t[q]])
    goto done;

  /* slash: a fraction "3/4", or a date / code: "2/26", "1/2/2020", "8/42-C" */
  if (q + 1 < len && t[q] == '/' && is_digit ((guchar) t[q + 1]) && nl->form == NF_INT) {
    gsize e = digits_end (t, len, q + 1);
    gboolean more = e < len && (t[e] == '/' || t[e] == '-' || is_alpha_ascii ((guchar) t[e]) ||
                                (t[e] == '.' && e + 1 < len && is_digit ((guchar) t[e + 1])));
    char den[16];
    gsize dl = e - q - 1;
    if (!more && nl->plain && dl < sizeof den) {
      memcpy (den, t + q + 1, dl);
      den[dl] = '\0';
      double num = nl->value, dv = g_ascii_strtod (den, NULL);
      if (num > 0 && num < dv && g_hash_table_contains (lx->denominators, den)) {
        nl->form = NF_FRAC;
        nl->value = num / dv;
        nl->plain = FALSE;
        if (nl->neg)
          nl->value = -nl->value;
        return e;
      }
    }
    nl->skip = TRUE;
    return run_end (t, len, p);
  }
  /* time or ratio "10:30": all-numeric, skipped */
  if (q + 1 < len && t[q] == ':' && is_digit ((guchar) t[q + 1])) {
    nl->skip = TRUE;
    return run_end (t, len, p);
  }
  /* three or more hyphenated groups: phone numbers, ISBNs, ISO dates */
  if (q + 1 < len && t[q] == '-' && is_digit ((guchar) t[q + 1])) {
    gsize e = digits_end (t, len, q + 1);
    if (e + 1 < len && t[e] == '-' && is_digit ((guchar) t[e + 1])) {
      nl->skip = TRUE;
      return run_end (t, len, p);
    }
  }

  /* powers: 1e10, 1.3e6, 1.1^23, 2.5^-1, 6.23x10^-4 */
  if (q + 1 < len && (t[q] == 'e' || t[q] == 'E')) {
    gsize e = q + 1;
    gboolean eneg = FALSE;
    if (e < len && (t[e] == '-' || t[e] == '+')) {
      eneg = t[e] == '-';
      e++;
    }
    gsize ee = digits_end (t, len, e);
    if (ee > e && ee - e <= 3 && !(ee < len && is_alpha_at (t, len, ee))) {
      double x = digits_value (t, e, ee, 0);
      nl->value *= pow (10, eneg ? -x : x);
      nl->form = NF_POW;
      nl->plain = FALSE;
      q = ee;
      goto done;
    }
  }
  {
    gsize e = q;
    gboolean times10 = FALSE;
    if (e + 3 < len && (t[e] == 'x' || t[e] == 'X') && t[e + 1] == '1' && t[e + 2] == '0' &&
        t[e + 3] == '^') {
      times10 = TRUE;
      e += 3;
    } else if (e + 4 < len && (guchar) t[e] == 0xC3 && (guchar) t[e + 1] == 0x97 &&
               t[e + 2] == '1' && t[e + 3] == '0' && t[e + 4] == '^') {
      times10 = TRUE;
      e += 4;
    }
    if (e < len && t[e] == '^') {
      gsize x0 = e + 1;
      gboolean eneg = FALSE;
      if (x0 < len && (t[x0] == '-' || t[x0] == '+')) {
        eneg = t[x0] == '-';
        x0++;
      }
      gsize x1 = digits_end (t, len, x0);
      if (x1 > x0 && x1 - x0 <= 3) {
        double x = digits_value (t, x0, x1, 0);
        if (eneg)
          x = -x;
        nl->value = times10 ? nl->value * pow (10, x) : pow (nl->value, x);
        nl->form = NF_POW;
        nl->plain = FALSE;
        q = x1;
        goto done;
      }
    }
  }

suffix:
  /* a hyphenated ordinal or decade suffix: "5-й", "1990-х" (data [ordinal_suffix],
   * [decade_suffix]) */
  if (q + 1 < len && t[q] == '-' && nl->form == NF_INT && nl->plain &&
      is_alpha_at (t, len, q + 1)) {
    gsize e = word_end (t, len, q + 1);
    char low[NUM_WORDBUF];
    guint32 h;
    gboolean next_ok = e >= len || !(is_alpha_at (t, len, e) || is_digit ((guchar) t[e]));
    if (next_ok && e - q < 16 && num_word_lower (t + q, e - q, low, &h) >= 0) {
      int f = suffix_form (lx, low, l0, nl->value);
      if (f >= 0) {
        nl->form = (guint8) f;
        nl->plain = FALSE;
        q = e;
        goto done;
      }
    }
  }
  /* letters glued to the numeral: ordinal suffix, decade, scale suffix, or a code */
  if (q < len && is_alpha_at (t, len, q)) {
    gsize e = word_end (t, len, q);
    char low[NUM_WORDBUF];
    gsize sl = e - q;
    guint32 h;
    if (sl < 8 && num_word_lower (t + q, sl, low, &h) >= 0) {
      gboolean next_ok = e >= len || !(is_alpha_at (t, len, e) || is_digit ((guchar) t[e]));
      int f = next_ok && nl->form == NF_INT && nl->plain ? suffix_form (lx, low, l0, nl->value) : -1;
      if (f >= 0) {
        nl->form = (guint8) f;
        nl->plain = FALSE;
        q = e;
        goto done;
      }
      if (next_ok && nl->form != NF_POW) {
        char orig[8];
        memcpy (orig, t + q, sl);
        orig[sl] = '\0';
        const NumLex *sx = g_hash_table_lookup (lx->suffix, orig);
        if (sx == NULL) {
          sx = g_hash_table_lookup (lx->suffix, low);
          if (sx && sx->cased)
            sx = NULL;
        }
        if (sx) {
          nl->value *= sx->scale;
          nl->suffix_scale = sx->scale;
          nl->scaled = TRUE;
          nl->needs_money = sx->scale_abbr;
          nl->plain = FALSE;
          if (nl->form == NF_DEC && nl->value == floor (nl->value))
            nl->form = NF_INT;
          q = e;
          goto done;
        }
      }
    }
    nl->skip = TRUE;
    return run_end (t, len, p);
  }

done:
  if (q < len && (is_digit ((guchar) t[q]) || (t[q] == '_'))) {
    nl->skip = TRUE;
    return run_end (t, len, p);
  }
  if (nl->neg)
    nl->value = -nl->value;
  if (!isfinite (nl->value))
    nl->skip = TRUE;
  return q;
}

/* ----------------------------------------------------------------- tokens */

typedef enum { TK_END = 0, TK_WORD, TK_NUM, TK_PUNCT } TokType;

typedef struct {
  TokType type;
  guint8 gap;          /* whitespace before it: 0 none, 1 some, 2 a blank line */
  gsize start, end;
  const NumLex *lex;   /* TK_WORD: NULL when not in the lexicon */
  guint32 roles;       /* TK_WORD: lex->roles, else 0 */
  gunichar ch;         /* TK_PUNCT */
  NumLit num;          /* TK_NUM */
} Tok;

typedef struct {
  const char *text;
  gsize len;
  const NumLexicon *lx;
  Tok t[MAXT + 1];
  int n;
  gsize pos;
} Stream;

static void
stream_init (Stream *s, const NumLexicon *lx, const char *text, gsize len, gsize pos)
{
  s->text = text;
  s->len = len;
  s->lx = lx;
  s->n = 0;
  s->pos = pos;
}

static gboolean
numlit_start (const char *t, gsize len, gsize p)
{
  guchar c = (guchar) t[p];
  if (is_digit (c))
    return TRUE;
  if (c == '.' && p + 1 < len && is_digit ((guchar) t[p + 1]) &&
      !(p > 0 && (is_digit ((guchar) t[p - 1]) || is_alpha_ascii ((guchar) t[p - 1]))))
    return TRUE;
  if ((c == '-' || c == '+') && p + 1 < len && is_digit ((guchar) t[p + 1]) && sign_context (t, p))
    return TRUE;
  if (c == 0xE2 && p + 3 < len && (guchar) t[p + 1] == 0x88 && (guchar) t[p + 2] == 0x92 &&
      is_digit ((guchar) t[p + 3]) && sign_context (t, p))
    return TRUE;
  if (vulgar_value (t, len, p) > 0)
    return TRUE;
  return FALSE;
}

static G_GNUC_NO_INLINE const Tok *
tok_fill (Stream *s, int i)
{
  static const Tok end_tok = { .type = TK_END };
  while (s->n <= i) {
    if (s->n >= MAXT)
      return &end_tok;
    Tok *k = &s->t[s->n];
    memset (k, 0, sizeof *k);
    gsize p = skip_space (s->text, s->len, s->pos, &k->gap);
    if (p >= s->len) {
      k->type = TK_END;
      k->start = k->end = s->len;
      s->pos = s->len;
      s->n++;
      continue;
    }
    k->start = p;
    if (ascii_letter[(guchar) s->text[p]]) {
      /* an ASCII letter starts no numeral: a word (as below); the run of ASCII letters
       * stops at the NUL after the text at the latest, word_end() goes on after it */
      const guchar *u = (const guchar *) s->text;
      gsize q = p + 1;
      while (ascii_letter[u[q]])
        q++;
      k->type = TK_WORD;
      k->end = u[q] < 0x80 ? q : word_end (s->text, s->len, q);
      k->lex = lookup_word (s->lx, s->text, p, k->end);
      k->roles = k->lex ? k->lex->roles : 0;
    } else if (numlit_start (s->text, s->len, p)) {
      k->type = TK_NUM;
      k->end = scan_numlit (s->lx, s->text, s->len, p, &k->num);
      if (k->end <= p)
        k->end = p + 1;
    } else if (is_alpha_at (s->text, s->len, p)) {
      k->type = TK_WORD;
      k->end = word_end (s->text, s->len, p);
      k->lex = lookup_word (s->lx, s->text, p, k->end);
      k->roles = k->lex ? k->lex->roles : 0;
    } else {
      k->type = TK_PUNCT;
      guchar c = (guchar) s->text[p];
      k->ch = c < 0x80 ? c : g_utf8_get_char (s->text + p);
      k->end = p + u8len ((guchar) s->text[p]);
    }
    s->pos = k->end;
    s->n++;
  }
  return &s->t[i];
}

/* Token i of the phrase window, lexed on first use. */
static inline const Tok *
tok (Stream *s, int i)
{
  if (G_LIKELY (i < s->n))
    return &s->t[i];
  return tok_fill (s, i);
}

static inline guint32
roles (const Tok *k)
{
  return k->roles;
}

static inline gboolean
is_hyphen (gunichar ch)
{
  return ch == '-' || ch == 0x2010 || ch == 0x2011;
}

static inline gboolean
is_dash (gunichar ch)
{
  return is_hyphen (ch) || ch == 0x2012 || ch == 0x2013 || ch == 0x2014 || ch == '~';
}

/* ----------------------------------------------------- the value grammar */

enum { L_START, L_ART, L_ZERO, L_UNIT, L_TEEN, L_TENS, L_HUND, L_SCALE, L_AND, L_FRAC, L_NUM,
       L_NUMDEC, L_DONE };

typedef struct {
  double value;
  int first, last;            /* token span, inclusive */
  gboolean is_frac, is_ord, is_dec, is_words, is_vague, is_pow;
  gboolean art_ord;           /* "a fifth": fraction unless a noun follows */
  gboolean ord_nodenom;       /* "second" */
  double bare_den;            /* "twenty fifths" with no numerator: 25 */
  double end_scale;           /* ends with a scale >= 1000 (for "2 to 3 million") */
  gboolean single_one;        /* the word "one" alone */
  gboolean single_half;       /* the word "half" alone */
  gboolean year_plain;        /* one plain 4-digit numeral */
  gboolean needs_money;
  gboolean has_numlit;
  gboolean has_scale;
  gboolean neg;
} Val;

typedef struct {
  double total, cur, base;
  int last, end_tok;
  gboolean frac, hund;
  double last_scale;
} Snap;

static gboolean
is_power_of_ten (double d)
{
  if (d < 10)
    return FALSE;
  double l = log10 (d);
  return fabs (l - round (l)) < 1e-9;
}

/* Parses one value starting at token i0. */
static gboolean
parse_val (Stream *s, int i0, Val *v)
{
  memset (v, 0, sizeof *v);
  v->first = i0;
  int i = i0;
  double sign = 1;
  const Tok *t = tok (s, i);

  if ((roles (t) & NR_NEG) && !(roles (t) & (NR_CARD | NR_ORD))) {
    const Tok *n = tok (s, i + 1);
    if (n->gap >= 2 || !(n->type == TK_WORD || (n->type == TK_NUM && !n->num.neg && !n->num.skip)))
      return FALSE;
    sign = -1;
    v->neg = TRUE;
    i++;
    t = n;
  }

  if (t->type == TK_NUM) {
    if (t->num.skip)
      return FALSE;
    v->has_numlit = TRUE;
    v->needs_money = t->num.needs_money;
    if (t->num.form != NF_INT && t->num.form != NF_DEC) {
      v->value = sign * t->num.value;
      v->last = i;
      v->is_ord = t->num.form == NF_ORD;
      v->is_frac = t->num.form == NF_FRAC;
      v->is_pow = t->num.form == NF_POW;
      v->is_dec = t->num.form == NF_POW && v->value != floor (v->value);
      v->year_plain = FALSE;
      if (t->num.form == NF_DECADE)
        v->year_plain = TRUE;
      /* "2½" */
      if (t->num.form == NF_INT || t->num.form == NF_FRAC) {}
      return TRUE;
    }
    if (t->num.scaled) {
      v->value = sign * t->num.value;
      v->last = i;
      v->has_scale = TRUE;
      v->end_scale = t->num.suffix_scale >= 1000 ? t->num.suffix_scale : 0;
      return TRUE;
    }
  }

  double total = 0, cur = 0, base = 0, last_scale = INFINITY;
  double cur_at_and = 0, total_at_and = 0, tens_val = 0;
  int last = L_START, end_tok = -1, prev_before_and = L_START;
  gboolean hund = FALSE, frac = FALSE, ord = FALSE, dec = FALSE, words = FALSE;
  gboolean proper_and = FALSE, tens_after_and = FALSE, frac_after_bigscale = FALSE;
  gboolean art_at_start = FALSE, half_a = FALSE;
  int loose_ands = 0;
  gboolean loose_pending = FALSE, dot_after = FALSE, last_scale_abbr = FALSE;
  Snap snap = { 0 };
  double end_scale = 0;

  for (;;) {
    int j = i;
    gboolean hy = FALSE;
    t = tok (s, j);
    if (t->type == TK_PUNCT && is_hyphen (t->ch) && end_tok >= 0 &&
        tok (s, end_tok)->type == TK_WORD) {
      const Tok *n = tok (s, j + 1);
      if (n->type == TK_WORD && (roles (n) & (NR_CARD | NR_ORD | NR_FRAC)) && n->gap == t->gap &&
          t->gap < 2) {
        hy = TRUE;
        j++;
        t = n;
      }
    }
    if (j > i0 && t->gap >= 2)
      break;
    if (t->type == TK_END || last == L_DONE)
      break;
    guint32 r = roles (t);
    const NumLex *lx = t->lex;
    gboolean accepted = FALSE;

    if (t->type == TK_NUM) {
      const NumLit *nl = &t->num;
      if (nl->skip || (nl->neg && j > i0) || (nl->form != NF_INT && nl->form != NF_DEC) ||
          (nl->scaled && last != L_START))
        break;
      if (last == L_START) {
        cur = nl->value;
        last = nl->form == NF_INT ? L_NUM : L_NUMDEC;
        v->has_numlit = TRUE;
        v->year_plain = nl->plain && nl->ndigits == 4 && !nl->neg;
        dec = nl->form == NF_DEC;
        accepted = TRUE;
      } else if (last == L_AND && proper_and && nl->form == NF_INT && t->gap > 0 &&
                 nl->value < (prev_before_and == L_HUND ? 100 : last_scale) && nl->value > 0) {
        cur += nl->value;
        last = L_NUM;
        accepted = TRUE;
      } else if (last == L_SCALE && nl->form == NF_INT && nl->value < 1000 && nl->value > 0) {
        const Tok *n = tok (s, j + 1);
        guint32 nr = roles (n);
        if ((nr & NR_SCALE) && (!n->lex->scale_abbr || last_scale_abbr) && n->gap == 1) {
          /* "5 million 300 thousand", "5 млн 300 тыс" (abbreviations after abbreviations) */
          cur = nl->value;
          last = L_NUM;
          accepted = TRUE;
        }
      }
    } else if (t->type == TK_WORD && lx != NULL) {
      if ((r & NR_CARD) && !(r & NR_ART)) {
        guint8 ct = lx->ctype;
        double cv = lx->card;
        words = TRUE;
        if (ct == NC_ZERO) {
          if (last == L_START) {
            cur = 0;
            last = L_ZERO;
            accepted = TRUE;
          }
        } else if (last == L_TENS && ct == NC_UNIT) {
          cur += cv;
          last = L_UNIT;
          accepted = TRUE;
        } else if (ct == NC_HUND) {
          /* a hundreds word ("двести"): starts a group, tens and units may follow */
          if (last == L_START || last == L_SCALE) {
            cur += cv;
            hund = TRUE;
            last = L_HUND;
            accepted = TRUE;
          }
        } else if (last == L_START || last == L_AND || last == L_HUND || last == L_SCALE) {
          if (last == L_HUND || last == L_SCALE || last == L_START || last == L_AND) {
            gboolean was_and = last == L_AND;
            cur += cv;
            last = ct == NC_UNIT ? L_UNIT : ct == NC_TEEN ? L_TEEN : L_TENS;
            if (ct == NC_TENS) {
              tens_val = cv;
              tens_after_and = was_and;
            }
            accepted = TRUE;
          }
        }
      } else if ((r & NR_SCALE) && lx->scale == 100 && !lx->scale_abbr &&
                 !(last == L_START && (r & NR_VAGUE))) {
        words = TRUE;
        if ((last == L_UNIT || last == L_TEEN || last == L_TENS) && !hund && cur < 100 &&
            !(last == L_TENS && tens_val == 0)) {
          double group = cur;
          if (proper_and)
            group = cur - cur_at_and;
          if (group < 100 && group > 0 && (!proper_and || prev_before_and != L_HUND)) {
            cur = cur - group + group * 100;
            hund = TRUE;
            last = L_HUND;
            accepted = TRUE;
          }
        } else if (last == L_START || last == L_ART) {
          cur = 100;
          hund = TRUE;
          last = L_HUND;
          accepted = TRUE;
        } else if (last == L_NUM && cur < 100 && cur > 0 && !hund && t->gap == 1) {
          cur *= 100;
          hund = TRUE;
          last = L_HUND;
          accepted = TRUE;
        }
      } else if ((r & NR_SCALE) && !(last == L_START && (r & NR_VAGUE))) {
        /* (a word that is also vague, "тысячи", is vague at the start) */
        double S = lx->scale;
        gboolean abbr = lx->scale_abbr;
        if (abbr && t->gap == 0)
          break;
        if ((last == L_UNIT || last == L_TEEN || last == L_TENS || last == L_HUND ||
             last == L_NUM || last == L_NUMDEC || last == L_ART || (last == L_FRAC && !ord)) &&
            S < last_scale && !(abbr && last == L_ART) && cur > 0) {
          if (base > 0 && frac) {
            cur += base;
            base = 0;
          }
          total += cur * S;
          cur = 0;
          last_scale = S;
          last = lx->is_dozen ? L_DONE : L_SCALE;
          hund = FALSE;
          end_scale = S >= 1000 ? S : 0;
          v->has_scale = TRUE;
          proper_and = FALSE;
          frac_after_bigscale = FALSE;
          words = words || !abbr;
          accepted = TRUE;
          dot_after = lx->scale_dot;
          last_scale_abbr = abbr;
          if (lx->is_dozen)
            end_tok = j;
        } else if (last == L_START && !abbr && !lx->is_dozen) {
          total = S;
          last_scale = S;
          last = L_SCALE;
          end_scale = S >= 1000 ? S : 0;
          v->has_scale = TRUE;
          words = TRUE;
          accepted = TRUE;
        } else if (last == L_SCALE && S > last_scale && cur == 0 && total > 0 && !abbr) {
          total *= S;
          last_scale = S;
          end_scale = S;
          accepted = TRUE;
        }
      } else if (r & NR_AND) {
        const Tok *n = tok (s, j + 1);
        guint32 nr = roles (n);
        gboolean num_next = (nr & (NR_CARD | NR_ART)) ||
                            ((nr & NR_ORD) && (last == L_HUND || last == L_SCALE)) ||
                            ((nr & NR_FRAC) && !n->lex->frac_needs_num &&
                             (last == L_UNIT || last == L_TEEN || last == L_TENS ||
                              last == L_NUM)) ||   /* "два с половиной" */
                            (n->type == TK_NUM && !n->num.skip && !n->num.neg);
        if (n->gap >= 2 || !num_next)
          break;
        if (last == L_HUND || last == L_SCALE) {
          snap.total = total;
          prev_before_and = last;
          proper_and = TRUE;
          cur_at_and = cur;
          total_at_and = total;
          last = L_AND;
          i = j + 1;
          continue;   /* not accepted until something follows */
        } else if ((last == L_UNIT || last == L_TEEN || last == L_TENS || last == L_NUM ||
                    (last == L_FRAC && !ord)) && loose_ands < MAX_LOOSE_AND) {
          if (!loose_pending) {
            snap = (Snap) { total, cur, base, last, end_tok, frac, hund, last_scale };
            loose_pending = TRUE;
          }
          loose_ands++;
          base += total + cur;
          total = cur = 0;
          last_scale = INFINITY;
          hund = FALSE;
          proper_and = FALSE;
          cur_at_and = 0;
          prev_before_and = last;
          last = L_AND;
          i = j + 1;
          continue;
        }
        break;
      } else if (r & NR_ART) {
        const Tok *n = tok (s, j + 1);
        guint32 nr = roles (n);
        if (n->gap >= 2)
          break;
        if (last == L_START) {
          if ((nr & (NR_FRAC | NR_ORD)) || ((nr & NR_SCALE) && !n->lex->scale_abbr)) {
            cur = 1;
            last = L_ART;
            art_at_start = TRUE;
            accepted = TRUE;
          }
        } else if (last == L_AND) {
          if ((nr & NR_FRAC) || ((nr & NR_ORD) && !n->lex->ord_plural && !n->lex->nodenom)) {
            last = L_ART;
            i = j + 1;
            continue;
          }
        } else if (last == L_FRAC && !half_a && cur == 0.5 && total == 0 && base == 0 &&
                   (nr & NR_SCALE) && !n->lex->scale_abbr) {
          half_a = TRUE;   /* "half a dozen", "half a million" */
          i = j + 1;
          continue;
        }
      } else if (r & NR_FRAC) {
        double d = lx->denom, num = -1;
        const Tok *n = tok (s, j + 1);
        gboolean scale_next = (roles (n) & NR_SCALE) && !n->lex->scale_abbr && n->gap < 2;
        if (last == L_AND && !proper_and && !lx->frac_needs_num) {
          num = 1;               /* "два с половиной": and a half */
        } else if (last == L_START) {
          if (!lx->frac_needs_num || scale_next)
            num = 1;
          if (!lx->frac_needs_num && !scale_next)
            v->single_half = TRUE;
        } else if (last == L_ART) {
          num = 1;
        } else if (last == L_UNIT || last == L_TEEN || last == L_TENS || last == L_NUM) {
          num = proper_and ? cur - cur_at_and : cur;
        }
        if (num < 0)
          break;
        double f = num / d;
        if (last == L_AND && !proper_and)
          cur = f;                  /* the loose "and" moved the integer into base */
        else if (last == L_ART && !art_at_start)
          cur = cur + f;            /* "... and a half" */
        else if (proper_and && last != L_ART)
          cur = cur_at_and + f;
        else if (last == L_ART)
          cur = f;
        else
          cur = (proper_and ? cur_at_and : 0) + f;
        if (proper_and && prev_before_and == L_SCALE && cur_at_and == 0 && last_scale >= 1000)
          frac_after_bigscale = TRUE;
        frac = TRUE;
        words = TRUE;
        loose_pending = FALSE;
        last = L_FRAC;
        accepted = TRUE;
      } else if (r & NR_ORD) {
        double o = lx->ord;
        guint8 ot = lx->otype;
        words = TRUE;
        if (!lx->ord_plural) {
          if (last == L_START) {
            cur = o;
            ord = TRUE;
            v->ord_nodenom = lx->nodenom;
            accepted = TRUE;
          } else if (last == L_TENS && ot == NO_UNIT) {
            cur += o;
            ord = TRUE;
            accepted = TRUE;
          } else if ((last == L_HUND || last == L_SCALE || (last == L_AND && proper_and)) &&
                     ot != NO_SCALE && !(ot == NO_HUND && last != L_SCALE)) {
            cur += o;
            ord = TRUE;
            accepted = TRUE;
          } else if (ot == NO_SCALE && (last == L_UNIT || last == L_TEEN || last == L_TENS ||
                                        last == L_HUND || last == L_ART || last == L_NUM)) {
            if ((last == L_ART && art_at_start) ||
                (last == L_UNIT && cur == 1 && total == 0 && base == 0 && end_tok == i0)) {
              cur = 1 / o;
              frac = TRUE;
            } else {
              double group = proper_and ? cur - cur_at_and : cur;
              if (proper_and) {
                cur = cur_at_and + group * o;
              } else {
                cur = group * o;
              }
              ord = TRUE;
            }
            accepted = TRUE;
          } else if (last == L_ART && !lx->nodenom) {
            double f = 1 / o;
            if (art_at_start) {
              cur = f;
              v->art_ord = TRUE;
            } else {
              cur += f;   /* "... and a third" */
              if (proper_and && prev_before_and == L_SCALE && cur_at_and == 0 && last_scale >= 1000)
                frac_after_bigscale = TRUE;
            }
            frac = TRUE;
            loose_pending = FALSE;
            accepted = TRUE;
          } else if ((last == L_UNIT || last == L_TEEN) && !lx->nodenom && ot != NO_SCALE &&
                     !proper_and && total == 0) {
            cur = cur / o;   /* "one fifth" */
            frac = TRUE;
            loose_pending = FALSE;
            accepted = TRUE;
          }
          if (accepted && !frac)
            ord = TRUE;
        } else if (!lx->nodenom) {
          /* a plural ordinal: a denominator */
          double den = o, num = -1, intpart = 0;
          if (last == L_TENS && ot == NO_UNIT && (hy || !tens_after_and)) {
            den = tens_val + o;
            num = total + cur - tens_val;
            if (num == 0 && base == 0) {
              v->bare_den = den;
              num = tens_val;
              den = o;
            }
          } else if (last == L_UNIT || last == L_TEEN || last == L_TENS || last == L_HUND ||
                     last == L_NUM || last == L_SCALE) {
            num = total + cur;
            if (proper_and && is_power_of_ten (o) && cur - cur_at_and < o && cur - cur_at_and > 0) {
              intpart = total_at_and + cur_at_and;
              num = cur - cur_at_and;
            }
          }
          if (num < 0)
            break;
          if (proper_and && prev_before_and == L_SCALE && cur_at_and == 0 && den == o &&
              intpart == 0) {
            /* "six million and two thirds": two thirds of a million */
            cur = cur / den;
            if (last_scale >= 1000)
              frac_after_bigscale = TRUE;
          } else {
            total = 0;
            cur = intpart + num / den;
          }
          frac = TRUE;
          loose_pending = FALSE;
          accepted = TRUE;
        }
        if (accepted) {
          end_tok = j;
          i = j + 1;
          last = L_DONE;
          continue;
        }
      } else if (r & NR_POINT) {
        if (last == L_ZERO || last == L_UNIT || last == L_TEEN || last == L_TENS ||
            last == L_HUND || last == L_SCALE) {
          char digs[24];
          guint nd = 0;
          int k = j + 1;
          gboolean prev_tens = FALSE;
          for (;;) {
            const Tok *d = tok (s, k);
            if (d->gap >= 2 || nd >= 18)
              break;
            if (d->type == TK_PUNCT && is_hyphen (d->ch) && prev_tens &&
                (roles (tok (s, k + 1)) & NR_CARD) && tok (s, k + 1)->lex->ctype == NC_UNIT) {
              k++;
              continue;
            }
            guint32 dr = roles (d);
            if ((dr & NR_CARD) && !(dr & NR_ART)) {
              const NumLex *dl = d->lex;
              if (dl->ctype == NC_ZERO || dl->ctype == NC_UNIT) {
                /* after a tens word: its unit ("seventy-one") */
                if (prev_tens && dl->ctype == NC_UNIT) {
                  digs[nd - 1] = (char) ('0' + (int) dl->card);
                } else {
                  digs[nd++] = (char) ('0' + (int) dl->card);
                }
                prev_tens = FALSE;
              } else {
                int tv = (int) dl->card;
                digs[nd++] = (char) ('0' + tv / 10);
                digs[nd++] = (char) ('0' + tv % 10);
                prev_tens = dl->ctype == NC_TENS;
              }
              k++;
              continue;
            }
            break;
          }
          if (nd > 0) {
            digs[nd] = '\0';
            char buf[32];
            g_snprintf (buf, sizeof buf, "0.%s", digs);
            cur += g_ascii_strtod (buf, NULL);
            dec = TRUE;
            end_tok = k - 1;
            i = k;
            last = L_DONE;
            continue;
          }
        }
      } else if ((r & NR_VAGUE) && last == L_START) {
        double val = lx->vague * 2;
        int k = j + 1;
        int endk = j;
        for (;;) {
          const Tok *of = tok (s, k), *n = tok (s, k + 1);
          if ((roles (of) & NR_OF) && (roles (n) & NR_VAGUE) && n->gap < 2 && of->gap < 2) {
            val *= n->lex->vague;
            endk = k + 1;
            k += 2;
            continue;
          }
          /* a scale right after the vague word: "сотни тысяч", "десятки миллионов" */
          if ((roles (of) & NR_SCALE) && !of->lex->scale_abbr && of->gap == 1 &&
              of->lex->scale > lx->vague && endk == j) {
            val *= of->lex->scale;
            endk = k;
            k += 1;
            continue;
          }
          break;
        }
        cur = val;
        v->is_vague = TRUE;
        words = TRUE;
        end_tok = endk;
        i = endk + 1;
        last = L_DONE;
        continue;
      }
    }
    if (!accepted)
      break;
    end_tok = j;
    i = j + 1;
    if (dot_after) {
      /* "5 тыс.": the abbreviation's period */
      const Tok *d = tok (s, j + 1);
      if (d->type == TK_PUNCT && d->ch == '.' && d->gap == 0) {
        end_tok = j + 1;
        i = j + 2;
      }
      dot_after = FALSE;
    }
    if (ord)
      last = L_DONE;
  }

  if (loose_pending) {
    total = snap.total;
    cur = snap.cur;
    base = snap.base;
    end_tok = snap.end_tok;
    frac = snap.frac;
    last_scale = snap.last_scale;
  }
  if (end_tok < i0 || end_tok < 0)
    return FALSE;
  {
    const Tok *lt = tok (s, end_tok);
    if ((roles (lt) & (NR_ART | NR_NEG)) && !(roles (lt) & (NR_CARD | NR_ORD)))
      return FALSE;
  }
  if (frac_after_bigscale && isfinite (last_scale)) {
    total += cur * last_scale;
    cur = 0;
  }
  v->value = sign * (base + total + cur);
  v->last = end_tok;
  v->is_frac = frac;
  v->is_ord = ord && !frac;
  v->is_dec = dec && !num_is_integral (v->value);
  v->is_words = words;
  v->end_scale = end_scale;
  if (end_tok != i0 || v->neg)
    v->single_half = FALSE;
  v->single_one = !v->neg && end_tok == i0 && (roles (tok (s, i0)) & NR_CARD) &&
                  tok (s, i0)->lex->ctype == NC_UNIT && tok (s, i0)->lex->card == 1;
  if (!(end_tok == v->first + (v->neg ? 1 : 0)) || v->neg || v->has_scale || frac || ord)
    v->year_plain = FALSE;
  if (!isfinite (v->value))
    return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------- look-behind */

typedef struct {
  gsize start, end;
  gboolean word;      /* letters */
  gboolean num;       /* digits */
  const NumLex *lex;  /* words; punctuation that ends a cue ("$", "." of "no .") */
} Prev;

/* The up to `max` tokens before `pos` (nearest first), not across a blank line;
 * the first `have` of `out` are already filled (by an earlier call with the same pos).
 * Words are looked up only when the lexicon's filter lets them through. */
static int
prev_tokens_more (const NumLexicon *lx, const guint8 *filter, const char *t, gsize pos, Prev *out,
                  int have, int max)
{
  int n = have;
  gsize p = have > 0 ? out[have - 1].start : pos;
  while (n < max && p > 0) {
    /* skip whitespace backwards */
    guint nl = 0;
    for (;;) {
      if (p == 0)
        break;
      guchar c = (guchar) t[p - 1];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        nl += c == '\n';
        p--;
        continue;
      }
      if (c == 0xA0 && p >= 2 && (guchar) t[p - 2] == 0xC2) {
        p -= 2;
        continue;
      }
      if (p >= 3 && (guchar) t[p - 3] == 0xE2 && (guchar) t[p - 2] == 0x80 &&
          (((guchar) t[p - 1] >= 0x80 && (guchar) t[p - 1] <= 0x8B) || (guchar) t[p - 1] == 0xAF)) {
        p -= 3;
        continue;
      }
      break;
    }
    if (p == 0 || nl >= 2)
      break;
    Prev *k = &out[n];
    k->word = k->num = FALSE;
    k->lex = NULL;
    k->end = p;
    guchar c = (guchar) t[p - 1];
    if (is_digit (c)) {
      while (p > 0 && (is_digit ((guchar) t[p - 1]) || ((t[p - 1] == ',' || t[p - 1] == '.') && p > 1 &&
                                                        is_digit ((guchar) t[p - 2]))))
        p--;
      k->num = TRUE;
    } else if (is_alpha_ascii (c)) {
      gsize b = p - 1, lo = p > 61 ? p - 61 : 0;   /* at most 61 letters back */
      while (b > lo && ascii_letter[(guchar) t[b - 1]])
        b--;
      if (b > 0 && (guchar) t[b - 1] >= 0x80)
        goto unicode_word;   /* ASCII letters after other letters */
      p = b;
      k->word = TRUE;
      if (p < k->end - 1 && !num_lexicon_filter_bits (filter, t + p, k->end - p))
        k->lex = NULL;
      else
        k->lex = num_lexicon_find (lx, t + p, k->end - p, NULL);
    } else {
    unicode_word:;
      gsize s = p - 1;
      while (s > 0 && ((guchar) t[s] & 0xC0) == 0x80)
        s--;
      if (is_alpha_at (t, pos, s)) {
        gsize b = s;
        while (b > 0 && p - b <= 60) {
          /* Cyrillic run backwards: two bytes a letter */
          while (b >= 2 && ((guchar) t[b - 2] == 0xD0 || (guchar) t[b - 2] == 0xD1) &&
                 ((guchar) t[b - 1] & 0xC0) == 0x80 && p - b <= 60)
            b -= 2;
          if (b == 0 || p - b > 60)
            break;
          guchar cb = (guchar) t[b - 1];
          if (cb < 0x80) {
            if (!is_alpha_ascii (cb))
              break;
            b--;
            continue;
          }
          gsize s2 = b - 1;
          while (s2 > 0 && ((guchar) t[s2] & 0xC0) == 0x80)
            s2--;
          if (!is_alpha_at (t, pos, s2))
            break;
          b = s2;
          if (p - b > 60)
            break;
        }
        p = b;
        k->word = TRUE;
        k->lex = num_lexicon_filter_any (filter, t + p, k->end - p)
                 ? num_lexicon_find (lx, t + p, k->end - p, NULL) : NULL;
      } else {
        p = s;
        k->lex = num_lexicon_find_exact_fast (lx, t + p, k->end - p);
      }
    }
    k->start = p;
    n++;
  }
  return n;
}

/* With every word looked up. */
static inline int
prev_tokens (const NumLexicon *lx, const char *t, gsize pos, Prev *out, int max)
{
  return prev_tokens_more (lx, lx->filter_all, t, pos, out, 0, max);
}

/* Is the look-behind token the word `w` (lower-case ASCII), in any case? */
static inline gboolean
prev_is (const char *t, const Prev *k, const char *w)
{
  gsize l = strlen (w);
  if (k->end - k->start != l)
    return FALSE;
  for (gsize i = 0; i < l; i++) {
    guchar c = (guchar) t[k->start + i];
    if (w[i] >= 'a' && w[i] <= 'z' && c >= 'A' && c <= 'Z')
      c = (guchar) (c + 32);
    if (c != (guchar) w[i])
      return FALSE;
  }
  return TRUE;
}

/* Joins prev[from+k-1] ... prev[from] with spaces, lower-cased (as written when
 * `orig`); digit runs are "#". */
static gboolean
join_prev (const char *t, const Prev *pv, int from, int k, gboolean orig, char *buf, gsize size)
{
  gsize n = 0;
  for (int x = from + k - 1; x >= from; x--) {
    const char *w = t + pv[x].start;
    gsize l = pv[x].end - pv[x].start;
    if (pv[x].num) {
      w = "#";
      l = 1;
    }
    if (l == 0 || n + l + 2 >= size || l >= NUM_WORDBUF)
      return FALSE;
    if (n)
      buf[n++] = ' ';
    if (orig || !pv[x].word) {
      memcpy (buf + n, w, l);
      n += l;
    } else {
      guint32 h;
      gssize m = num_word_lower (w, l, buf + n, &h);
      if (m < 0 || n + (gsize) m + 2 >= size)
        return FALSE;
      n += (gsize) m;
    }
  }
  buf[n] = '\0';
  return TRUE;
}

/* Can pv[from + k - 1] ... pv[from], joined by join_prev (lower-cased unless `orig`),
 * be a phrase of the table whose first-token filter is f?  FALSE only when it cannot:
 * then neither the join nor the hash lookup is needed (the table is the oracle:
 * test_phrase_first). */
static inline gboolean
phrase_first_pass (const NumPhraseFirst *f, const char *t, const Prev *pv, int from, int k,
                   gboolean orig)
{
  const Prev *x = &pv[from + k - 1];
  guchar a, b;
  if (x->num) {
    a = b = '#';
  } else {
    if (x->end <= x->start)
      return TRUE;
    a = (guchar) t[x->start];
    b = (guchar) t[x->end - 1];
    if (!orig && x->word) {
      a = (guchar) g_ascii_tolower (a);
      b = (guchar) g_ascii_tolower (b);
    }
  }
  return num_phrase_first_pass (f, (guint) k, a, b);
}

/* ------------------------------------------------------------ the scanner */

typedef struct {
  const NumLexicon *lx;
  const NumScanOptions *opts;
  const char *text;
  gsize len;
  NumEmitFunc emit;
  gpointer ud;
  guint count;
  gboolean have_pending;
  NumItem pending;
  gboolean full;
  /* the look-behind of the last trigger (filter_behind), reused by finish_item */
  gsize pv_pos;
  int pv_n;
  Prev pv[7];
} Scan;

static void
flush (Scan *sc)
{
  if (sc->have_pending) {
    sc->emit (&sc->pending, sc->ud);
    sc->have_pending = FALSE;
  }
}

/* Is the text between a and b empty (spaces, a comma) or one [range_and] word? */
static gboolean
between_is_join (const NumLexicon *lx, const char *t, gsize a, gsize b)
{
  while (a < b && (t[a] == ' ' || t[a] == ',' || t[a] == '\t'))
    a++;
  while (b > a && (t[b - 1] == ' ' || t[b - 1] == '\t'))
    b--;
  if (a == b)
    return TRUE;
  if (word_end (t, b, a) != b)
    return FALSE;
  const NumLex *l = num_lexicon_find (lx, t + a, b - a, NULL);
  return l && (l->roles & NR_RANGE_AND);
}

static void
push_item (Scan *sc, const NumItem *it)
{
  if (sc->opts->max_items && sc->count >= sc->opts->max_items) {
    sc->full = TRUE;
    return;
  }
  sc->count++;
  if (sc->have_pending) {
    NumItem *p = &sc->pending;
    if ((p->qual == NQ_MORE_THAN || p->qual == NQ_AT_LEAST) &&
        (it->qual == NQ_LESS_THAN || it->qual == NQ_AT_MOST) && p->kind != NK_RANGE &&
        it->kind != NK_RANGE && p->value < it->value && it->qual_start > p->end &&
        between_is_join (sc->lx, sc->text, p->end, it->qual_start) && p->qual_start < p->start) {
      NumItem m = *p;
      m.kind = NK_RANGE;
      m.min = p->value;
      m.max = it->value;
      m.value = NAN;
      m.min_open = p->qual == NQ_MORE_THAN;
      m.max_open = it->qual == NQ_LESS_THAN;
      m.qual = NQ_EXACT;
      m.end = it->end;
      m.percent = p->kind == NK_PERCENT;
      if (!m.unit[0]) {
        memcpy (m.unit, it->unit, sizeof m.unit);
        m.unit_lx = it->unit_lx;
      }
      sc->count--;
      sc->pending = m;
      return;
    }
    flush (sc);
  }
  sc->pending = *it;
  sc->have_pending = TRUE;
}

/* `w`, `l` bytes as written (any case). */
static gboolean
looks_plural (const char *w, gsize l)
{
  if (l < 3 || (w[l - 1] | 0x20) != 's')
    return FALSE;
  char a = w[l - 2] == '\'' ? '\'' : (char) (w[l - 2] | 0x20);
  if (a == 's' || a == 'u' || a == 'i' || a == '\'')
    return FALSE;
  return TRUE;
}

/* Does lower-case `w` end with one of `suffixes` ([adjective_suffix],
 * [unit_stop_suffix]), with at least two characters before it? */
static gboolean
ends_with_any (const GPtrArray *suffixes, const char *w)
{
  gsize wl = strlen (w);
  for (guint i = 0; i < suffixes->len; i++) {
    const char *sfx = g_ptr_array_index (suffixes, i);
    gsize sl = strlen (sfx);
    if (wl >= sl + 4 && memcmp (w + wl - sl, sfx, sl) == 0)
      return TRUE;
  }
  return FALSE;
}

/* `unit` (usize bytes) := [p, q) lower-cased, cut as g_strlcpy() would cut it; FALSE
 * (unit untouched) when the word is too long to lower-case. */
static gboolean
set_unit (const char *t, gsize p, gsize q, char *unit, gsize usize)
{
  char buf[WORDBUF];
  guint32 h;
  gssize n = num_word_lower (t + p, q - p, buf, &h);
  if (n < 0)
    return FALSE;
  gsize m = MIN ((gsize) n, usize - 1);
  memcpy (unit, buf, m);
  unit[m] = '\0';
  return TRUE;
}

/* The counted noun after token k; returns the token index after it, or k. */
static int
find_unit (Scan *sc, Stream *s, int k, gboolean plural, gboolean ordinal, char *unit, gsize usize)
{
  const Tok *t = tok (s, k);
  unit[0] = '\0';
  if (t->type == TK_PUNCT && is_hyphen (t->ch) && t->gap == 0 && tok (s, k + 1)->type == TK_WORD &&
      tok (s, k + 1)->gap == 0) {
    /* "44-day", "70-year-old": the hyphenated noun, singular by grammar */
    t = tok (s, k + 1);
    if (!ordinal && !(roles (t) & (NR_STOP | NR_CARD | NR_ORD | NR_SCALE | NR_PCT)))
      set_unit (sc->text, t->start, t->end, unit, usize);
    return k;
  }
  if (t->type != TK_WORD || t->gap >= 2 || t->gap == 0)
    return k;
  if (!plural && t->lex && (t->lex->roles & NR_ORD) && t->lex->nodenom && !(t->lex->roles & NR_STOP)) {
    /* "one second": a unit, not an ordinal */
    set_unit (sc->text, t->start, t->end, unit, usize);
    return k + 1;
  }
  int cand = -1;
  if (sc->lx->unit_first_noun) {
    /* the first word that does not end like an adjective ("пять жилых домов" -> домов) */
    for (int n = 0; n < 4; n++) {
      const Tok *w = tok (s, k + n);
      if (w->type != TK_WORD || w->gap >= 2 || (n > 0 && w->gap == 0))
        break;
      guint32 r = roles (w);
      if (r & (NR_STOP | NR_MONTH | NR_CARD | NR_ORD | NR_SCALE | NR_PCT | NR_CURRENCY | NR_AND |
               NR_OF | NR_OR | NR_TO | NR_ART | NR_VAGUE | NR_FRAC | NR_NEG | NR_IDCUE | NR_YEARCUE))
        break;
      char buf[WORDBUF];
      if (!lower_word (sc->text, w->start, w->end, buf))
        break;
      if (!(r & NR_PLURAL) && ends_with_any (sc->lx->unit_stop_suffix, buf))
        break;
      if (!(r & NR_PLURAL) && ends_with_any (sc->lx->adj_suffix, buf))
        continue;
      g_strlcpy (unit, buf, usize);
      return k + n + 1;
    }
    unit[0] = '\0';
    return k;
  }
  for (int n = 0; n < 4; n++) {
    const Tok *w = tok (s, k + n);
    if (w->type != TK_WORD || w->gap >= 2 || (n > 0 && w->gap == 0))
      break;
    guint32 r = roles (w);
    if (r & (NR_STOP | NR_MONTH | NR_CARD | NR_ORD | NR_SCALE | NR_PCT | NR_CURRENCY | NR_AND |
             NR_OF | NR_OR | NR_TO | NR_ART | NR_VAGUE | NR_FRAC | NR_NEG | NR_IDCUE | NR_YEARCUE))
      break;
    if (w->end - w->start >= WORDBUF)
      break;
    if (plural) {
      /* "-is" is singular ("crisis") except in capitalised demonyms ("Azerbaijanis") */
      const char *x = sc->text + w->start;
      gsize bl = w->end - w->start;
      gboolean demonym = bl > 4 && (x[bl - 2] | 0x20) == 'i' && (x[bl - 1] | 0x20) == 's' &&
                         g_unichar_isupper (g_utf8_get_char (x));
      if ((r & NR_PLURAL) || looks_plural (x, bl) || demonym) {
        set_unit (sc->text, w->start, w->end, unit, usize);
        return k + n + 1;
      }
    } else {
      cand = k + n;
      /* a following hyphen or punctuation ends the noun phrase */
    }
  }
  if (!plural && cand >= 0) {
    const Tok *w = tok (s, cand);
    set_unit (sc->text, w->start, w->end, unit, usize);
    return cand + 1;
  }
  unit[0] = '\0';
  return k;
}

static NumQual
qual_lookup (GHashTable *h, const char *phrase)
{
  gpointer v = g_hash_table_lookup (h, phrase);
  return v ? (NumQual) GPOINTER_TO_INT (v) : NQ_NONE;
}

/* The look-behind of finish_item, read lazily: at most `cap` tokens (what the token
 * before the number can need), and only as far as a check asks.  behind (b, k) is
 * what an eager read of `cap` tokens would give for "are there k tokens?". */
typedef struct {
  const NumLexicon *lx;
  const char *t;
  gsize pos;
  Prev *pv;
  int *n;
  int cap;
} Behind;

static inline int
behind (Behind *b, int want)
{
  if (want > b->cap)
    want = b->cap;
  if (want > *b->n)
    *b->n = prev_tokens_more (b->lx, b->lx->filter_behind, b->t, b->pos, b->pv, *b->n, want);
  return *b->n;
}

/* Fills an item from a value and the text around it, and pushes it.  Returns the
 * token index after everything consumed (postfix qualifier, currency, unit). */
static int
finish_item (Scan *sc, Stream *s, const Val *a, int after, NumItem *it, gboolean is_range,
             gboolean opened_by_between)
{
  const NumLexicon *lx = sc->lx;
  const char *t = sc->text;
  /* only words with a role in NUM_BEHIND_ROLES are looked up; handle() may have read
   * the first token (sc->pv is the look-behind of sc->pv_pos, extended in place) */
  if (sc->pv_pos != it->start) {
    sc->pv_pos = it->start;
    sc->pv_n = prev_tokens_more (lx, lx->filter_behind, t, it->start, sc->pv, 0, 1);
  }
  Behind b = { lx, t, it->start, sc->pv, &sc->pv_n, 0 };
  const Prev *pv = sc->pv;
  int np = sc->pv_n;
  if (np > 0) {
    /* more context only where a qualifier, currency or identifier cue may end, and only
     * as many tokens as the longest such phrase ending there; read when a check asks */
    int need = 0;
    const NumLex *l0 = pv[0].lex;
    if (lx->digit_last || (l0 && (l0->roles & NR_BETWEEN)) ||
        (pv[0].word && prev_is (t, &pv[0], "the")))
      need = 7;
    else if (l0 && (l0->roles & NR_CURPRE))
      need = 2 + (int) lx->max_prefix_words;        /* "about US $ 5" */
    else if (l0 && (l0->roles & (NR_QLAST | NR_IDCUE))) {
      /* the highest bit of the lengths (as g_bit_nth_msf, which loops over the bits) */
      guint lens = (guint) (l0->qual_lens | l0->id_lens);
      need = lens ? 31 - __builtin_clz (lens) : -1;
    }
    if (a->year_plain && !pv[0].word && !pv[0].num && prev_is (t, &pv[0], ","))
      need = MAX (need, 3);
    b.cap = MAX (np, MIN (need, 7));
  }
  int o = 0;
  gboolean year_explicit = FALSE;
  it->qual_start = it->start;
  it->currency[0] = '\0';

  /* "between" was consumed by the range */
  if (opened_by_between && np > 0 && pv[0].lex && (pv[0].lex->roles & NR_BETWEEN)) {
    it->qual_start = pv[0].start;
    o = 1;
  }

  /* identifiers, currency and qualifiers before the number end with a token of the
   * lexicon ("the" of "more than the tenth" too): nothing to read without one */
  NumQual q = NQ_NONE;
  if (np > 0 && (lx->digit_last || pv[0].lex != NULL ||
                 (pv[0].word && prev_is (t, &pv[0], "the")))) {
    /* identifiers: "No. 1325", "resolution 1325", "#5" */
    if (!is_range && behind (&b, o + 1) > o && !a->is_words && a->has_numlit &&
        ((pv[o].lex && (pv[o].lex->roles & NR_IDCUE)) || lx->digit_last)) {
      char buf[64];
      guint lens = lx->digit_last ? 0xFF : pv[o].lex->id_lens;
      for (int k = MIN (3, behind (&b, o + 3) - o); k >= 1; k--) {
        if ((lens & (1u << k)) && join_prev (t, pv, o, k, FALSE, buf, sizeof buf) &&
            g_hash_table_contains (lx->id_cue, buf))
          return -1;
      }
    }

    /* currency before: "$", "US $", "AZN", "€" (a symbol or a word in capitals) */
    gboolean cur_cand = behind (&b, o + 1) > o && ((pv[o].lex && (pv[o].lex->roles & NR_CURPRE)) || lx->digit_last);
    guint cur_lens = !cur_cand ? 0 : lx->digit_last ? 0xFF : pv[o].lex->cur_lens;
    for (int k = cur_cand ? MIN (2, behind (&b, o + 2) - o) : 0; k >= 1; k--) {
      char buf[64];
      if (k == 1 && (cur_lens & 2u) && pv[o].lex && !pv[o].word && !pv[o].num &&
          pv[o].end - pv[o].start + 2 < sizeof buf) {
        /* one symbol as written, e.g. "$": its entry is the phrase (found exactly) */
        const char *iso = pv[o].lex->cur1;
        if (iso && pv[o].end + 1 >= it->start) {
          g_strlcpy (it->currency, iso, sizeof it->currency);
          it->currency_lx = iso;
          o += k;
          break;
        }
        continue;
      }
      if (!(cur_lens & (1u << k)) || !phrase_first_pass (&lx->cur_first, t, pv, o, k, TRUE) ||
          !join_prev (t, pv, o, k, TRUE, buf, sizeof buf))
        continue;
      const char *iso = g_hash_table_lookup (lx->currency_pre, buf);
      if (iso && pv[o].end + 1 >= it->start) {
        g_strlcpy (it->currency, iso, sizeof it->currency);
        it->currency_lx = iso;
        o += k;
        break;
      }
    }

    /* prefix qualifier, longest first; comparatives may skip a "the" */
    int maxw = (int) lx->max_prefix_words;
    for (int skip_the = 0; skip_the <= 1 && q == NQ_NONE; skip_the++) {
      int oo = o;
      if (skip_the) {
        if (!(behind (&b, o + 1) > o && pv[o].word && prev_is (t, &pv[o], "the")))
          break;
        oo = o + 1;
      }
      gboolean qcand = behind (&b, oo + 1) > oo && ((pv[oo].lex && (pv[oo].lex->roles & NR_QLAST)) || lx->digit_last);
      guint qlens = !qcand ? 0 : lx->digit_last ? 0xFF : pv[oo].lex->qual_lens;
      for (int k = qcand ? maxw : 0; k >= 1; k--) {
        char buf[128];
        NumQual x;
        if (!(qlens & (1u << k)) || behind (&b, oo + k) < oo + k)
          continue;
        if (k == 1 && pv[oo].lex && !pv[oo].num && pv[oo].end - pv[oo].start < NUM_WORDBUF) {
          /* one token: its entry's key is the lower-cased word (or the symbol as written),
           * which is what join_prev would look up */
          x = (NumQual) pv[oo].lex->qual1;
        } else {
          if (!phrase_first_pass (&lx->qual_first, t, pv, oo, k, FALSE) ||
              !join_prev (t, pv, oo, k, FALSE, buf, sizeof buf))
            continue;
          x = qual_lookup (lx->prefix_qual, buf);
        }
        if (x == NQ_NONE)
          continue;
        if (skip_the && !(x == NQ_MORE_THAN || x == NQ_LESS_THAN || x == NQ_AT_LEAST ||
                          x == NQ_AT_MOST))
          break;
        q = x;
        it->qual_start = pv[oo + k - 1].start;
        break;
      }
    }
  }
  if (q == NQ_BLOCK)
    q = NQ_NONE;
  /* a day before a month name is a date: "до 1 июля" (until July 1) bounds no quantity */
  if ((q == NQ_AT_MOST || q == NQ_LESS_THAN || q == NQ_AT_LEAST || q == NQ_MORE_THAN) &&
      !is_range && a->has_numlit && !a->is_words && it->kind == NK_CARDINAL &&
      it->value >= 1 && it->value <= 31 && it->value == floor (it->value)) {
    const Tok *n = tok (s, after);
    if (n->type == TK_WORD && n->gap == 1 && (roles (n) & NR_MONTH))
      q = NQ_NONE;
  }

  /* a lone "one" or "half" after a determiner is a pronoun: "this one", "the first half" */
  if ((a->single_one || a->single_half) && !is_range && np > 0) {
    const Prev *p0 = &pv[0];
    const Tok *n = tok (s, after);
    gboolean noun_next = a->single_one && n->type == TK_WORD && n->gap == 1 &&
                         !(roles (n) & (NR_STOP | NR_OF)) &&
                         !g_unichar_isupper (g_utf8_get_char (t + n->start));
    if (p0->lex && (p0->lex->roles & (NR_ONEDET | NR_ORD)) && !noun_next)
      return -2;
    if (a->single_half && p0->lex && (p0->lex->roles & NR_ART))
      return -2;
  }
  if (a->single_one && !is_range) {
    const Tok *n = tok (s, after);
    if ((roles (n) & NR_OF) || (n->type == TK_WORD && n->lex && (n->lex->roles & NR_ONEDET) &&
                                (n->lex->roles & NR_STOP) && n->gap == 1 &&
                                g_ascii_strncasecmp (t + n->start, "another", 7) == 0))
      return -2;
  }

  /* years */
  if (!is_range && a->year_plain && it->kind == NK_CARDINAL && fabs (a->value) >= 1000 &&
      fabs (a->value) < 2200 && !it->currency[0]) {
    gboolean year = FALSE;
    const Tok *n = tok (s, after);
    if (np > 0 && pv[0].lex && (pv[0].lex->roles & (NR_MONTH | NR_YEARCUE))) {
      year = TRUE;
      year_explicit = (pv[0].lex->roles & NR_MONTH) != 0;
    } else if (behind (&b, 3) > 2 && !pv[0].word && prev_is (t, &pv[0], ",") && pv[1].num && pv[2].lex &&
               (pv[2].lex->roles & NR_MONTH)) {
      year = year_explicit = TRUE;
    } else if (n->type == TK_WORD && n->gap == 1 && (roles (n) & NR_YEARWORD)) {
      year = year_explicit = TRUE;        /* "2020 году", "2020 г." */
    } else {
      gboolean noun_next = n->type == TK_WORD && n->gap == 1 &&
                           !(roles (n) & (NR_STOP | NR_MONTH)) &&
                           !g_unichar_isupper (g_utf8_get_char (t + n->start));
      year = !noun_next;
    }
    if (year)
      it->kind = NK_YEAR;
  }
  if (a->year_plain && a->has_numlit && !a->is_words && it->kind == NK_CARDINAL && a->is_ord == FALSE &&
      a->value >= 1000 && a->value < 2200 && a->last == a->first && tok (s, a->first)->num.form == NF_DECADE)
    it->kind = NK_YEAR;

  /* after the numeral: currency word, postfix qualifier, unit */
  int k = after;
  {
    const Tok *n = tok (s, k);
    const NumLex *cl = n->type == TK_WORD ? n->lex
                       : n->type == TK_PUNCT && n->gap <= 1
                         ? num_lexicon_find_exact_fast (lx, t + n->start, n->end - n->start) : NULL;
    if (cl && n->gap <= 1 && (cl->roles & NR_CURRENCY) && cl->currency) {
      /* "5 dollars", "5 рублей", "5 ₽" */
      if (!it->currency[0]) {
        g_strlcpy (it->currency, cl->currency, sizeof it->currency);
        it->currency_lx = cl->currency;
      }
      k++;
    }
  }
  NumQual post = NQ_NONE;
  {
    int maxp = (roles (tok (s, k)) & NR_PFIRST) ? (int) lx->max_postfix_words : 0;
    for (int w = maxp; w >= 1 && post == NQ_NONE; w--) {
      char buf[128];
      gsize n = 0;
      gboolean okp = TRUE;
      for (int x = 0; x < w; x++) {
        const Tok *pt = tok (s, k + x);
        if (pt->type == TK_END || pt->type == TK_NUM || pt->gap >= 2) {
          okp = FALSE;
          break;
        }
        char lw[WORDBUF];
        if (!lower_word (t, pt->start, pt->end, lw)) {
          okp = FALSE;
          break;
        }
        gsize l = strlen (lw);
        if (n + l + 2 >= sizeof buf) {
          okp = FALSE;
          break;
        }
        if (n)
          buf[n++] = ' ';
        memcpy (buf + n, lw, l);
        n += l;
      }
      if (!okp)
        continue;
      buf[n] = '\0';
      post = qual_lookup (lx->postfix_qual, buf);
      if (post != NQ_NONE) {
        /* "12 and more than 194": the "more" belongs to the next number */
        const Tok *nx = tok (s, k + w);
        char nw[WORDBUF];
        if (nx->type == TK_NUM || (roles (nx) & (NR_CARD | NR_ART)) ||
            (nx->type == TK_WORD && nx->gap == 1 && lower_word (t, nx->start, nx->end, nw) &&
             strcmp (nw, "than") == 0)) {
          post = NQ_NONE;
          continue;
        }
        /* "500 or more people": do not let "more" start anything */
        k += w;
      }
    }
  }
  if (post == NQ_AT_LEAST || post == NQ_AT_MOST || post == NQ_MORE_THAN || post == NQ_LESS_THAN)
    q = post;
  else if (post == NQ_OR_EQUAL) {
    if (q == NQ_MORE_THAN)
      q = NQ_AT_LEAST;
    else if (q == NQ_LESS_THAN)
      q = NQ_AT_MOST;
  }
  if (a->is_vague) {
    q = NQ_APPROX;
    it->vague = TRUE;
  }
  if (is_range && q != NQ_APPROX)
    q = NQ_EXACT;
  /* "до 2025 года" (before 2025): a bound on a dated year is a preposition of time */
  if (year_explicit && (q == NQ_AT_MOST || q == NQ_LESS_THAN || q == NQ_AT_LEAST ||
                              q == NQ_MORE_THAN))
    q = NQ_NONE;
  it->qual = q == NQ_NONE ? NQ_EXACT : q;

  /* money-only suffix ("40m") without a currency: not a number */
  if (a->needs_money && !it->currency[0])
    return -2;

  it->unit[0] = '\0';
  if (it->currency[0]) {
    for (gsize x = 0; it->currency[x]; x++)
      it->unit[x] = (char) g_ascii_tolower (it->currency[x]);
    it->unit[strlen (it->currency)] = '\0';
    it->unit_lx = num_iso_lower (it->currency_lx);
  } else if (it->kind != NK_PERCENT && it->kind != NK_YEAR && !it->percent) {
    gboolean plural = !(it->kind == NK_ORDINAL || it->kind == NK_FRACTION ||
                        (!is_range && fabs (it->value) == 1));
    int nk = find_unit (sc, s, k, plural, it->kind == NK_ORDINAL, it->unit, sizeof it->unit);
    /* resume after a unit that is a number word ("one second") */
    const Tok *ut = tok (s, nk > k ? nk - 1 : k);
    if (nk > k && ut->lex && (ut->lex->roles & NUM_TRIGGER_ROLES))
      k = nk;
  }
  push_item (sc, it);
  return k;
}

static void
item_init (NumItem *it, gsize start, gsize end, double value, NumKind kind)
{
  memset (it, 0, sizeof *it);
  it->start = start;
  it->end = end;
  it->value = value;
  it->kind = kind;
  it->min = it->max = NAN;
}

static NumKind
kind_of (const Val *a)
{
  if (a->is_frac)
    return NK_FRACTION;
  if (a->is_ord)
    return NK_ORDINAL;
  if (!num_is_integral (a->value))
    return NK_DECIMAL;
  return NK_CARDINAL;
}

/* Is token k a percent sign or word?  Returns the number of tokens (0: no). */
static int
percent_at (Scan *sc, Stream *s, int k)
{
  const Tok *p = tok (s, k);
  if (p->gap >= 2 || p->type == TK_END)
    return 0;
  if (p->type == TK_PUNCT && (p->ch == '%' || p->ch == 0x066A || p->ch == 0xFF05))
    return 1;
  if (p->type != TK_WORD)
    return 0;
  if (p->gap == 0 || !(roles (p) & (NR_PCT | NR_PCT1)))
    return 0;
  char buf[2 * WORDBUF + 2];
  if (!lower_word (sc->text, p->start, p->end, buf))
    return 0;
  const Tok *p2 = tok (s, k + 1);
  if (p2->type == TK_WORD && p2->gap == 1) {
    gsize l = strlen (buf);
    buf[l] = ' ';
    if (lower_word (sc->text, p2->start, p2->end, buf + l + 1) &&
        g_hash_table_contains (sc->lx->percent, buf))
      return 2;
    buf[l] = '\0';
  }
  if (p->lex && (p->lex->roles & NR_PCT))
    return 1;
  return 0;
}

/* The end of do_phrase for a value that is no range: the item over tokens
 * 0..last_tok, finished and pushed; returns the byte offset to resume at. */
static gsize
finish_single (Scan *sc, Stream *s, Val *a, int last_tok, NumKind kind)
{
  NumItem it;
  gsize end = tok (s, last_tok)->end;
  gsize start = tok (s, 0)->start;
  /* "a third term": an ordinal; "a third of", "a third": a fraction */
  if (a->art_ord) {
    const Tok *n = tok (s, last_tok + 1);
    if (n->type == TK_WORD && n->gap == 1 && !(roles (n) & (NR_STOP | NR_OF | NR_AND | NR_OR))) {
      a->is_frac = FALSE;
      a->is_ord = TRUE;
      a->value = 1 / a->value;
      a->value = round (a->value);
      kind = NK_ORDINAL;
      start = tok (s, 1)->start;
    }
  }
  item_init (&it, start, end, a->value, kind);
  if (a->is_pow && kind == NK_CARDINAL && a->value != floor (a->value))
    it.kind = NK_DECIMAL;
  int nk = finish_item (sc, s, a, last_tok + 1, &it, FALSE, FALSE);
  if (nk == -1) {
    /* an identifier: skip its whole run ("8/42-C") */
    return run_end (sc->text, sc->len, tok (s, 0)->start);
  }
  if (nk >= 0 && nk > last_tok + 1)
    return MAX (end, tok (s, nk - 1)->end);
  return end;
}

/* Roles of the words a value can start with (parse_val fails on any other word). */
#define NUM_VALUE_START_ROLES (NR_NEG | NR_CARD | NR_SCALE | NR_ART | NR_FRAC | NR_ORD | NR_VAGUE)

/* Can token k start no value (parse_val (s, k) fails, and no "and" takes it for a
 * numeral)?  Punctuation, the end, a blank line before it, a word without a role a
 * value starts with. */
static inline gboolean
no_value_at (Stream *s, int k)
{
  const Tok *n = tok (s, k);
  return n->type == TK_END || n->type == TK_PUNCT || n->gap >= 2 ||
         (n->type == TK_WORD && !(n->roles & NUM_VALUE_START_ROLES));
}

/* Can token 1 neither continue a digit numeral at token 0 (parse_val) nor make it a
 * fraction, percent or range (do_phrase)?  Then do_phrase's answer is the numeral
 * alone, and numeral_alone() gives it without the general grammar.  "and", "to",
 * "over" ("1 in 5") and dashes qualify when no value follows them. */
static inline gboolean
inert_after_numeral (Stream *s)
{
  const Tok *n = tok (s, 1);
  if (n->type == TK_END || n->type == TK_NUM || n->gap >= 2)
    return TRUE;
  if (n->type == TK_PUNCT) {
    if (n->ch == '%' || n->ch == 0x066A || n->ch == 0xFF05)
      return FALSE;
    return !is_dash (n->ch) || no_value_at (s, 2);   /* "5-9", "5 - 9", "20~100" */
  }
  guint32 r = n->roles;
  if (r & (NR_CARD | NR_ORD | NR_SCALE | NR_FRAC | NR_ART | NR_POINT | NR_PCT | NR_PCT1 | NR_OUT))
    return FALSE;
  if (r & (NR_AND | NR_TO | NR_RANGE_AND | NR_OVER))
    return no_value_at (s, 2);
  return TRUE;
}

/* What parse_val (s, 0, v) gives for a digit numeral at token 0 that is no sign, scale
 * or other form than an integer or a decimal, followed by an inert token; FALSE when
 * it is not such a numeral (then the general grammar reads it). */
static inline gboolean
numeral_alone (Stream *s, Val *v)
{
  const Tok *t0 = tok (s, 0);
  const NumLit *nl = &t0->num;
  if (t0->type != TK_NUM || nl->skip || (nl->form != NF_INT && nl->form != NF_DEC) || nl->scaled ||
      !inert_after_numeral (s))
    return FALSE;
  memset (v, 0, sizeof *v);
  v->has_numlit = TRUE;
  v->needs_money = nl->needs_money;
  v->year_plain = nl->plain && nl->ndigits == 4 && !nl->neg;
  double zero = 0;
  v->value = 1.0 * (zero + zero + nl->value);   /* as parse_val sums it (-0 becomes 0) */
  v->is_dec = nl->form == NF_DEC && !num_is_integral (v->value);
  return isfinite (v->value);
}

/* Parses the phrase starting at token 0 of `s`; returns the byte offset to resume
 * scanning at. */
static gsize
do_phrase (Scan *sc, Stream *s, gsize fallback_end)
{
  const char *t = sc->text;
  Val a;
  const Tok *t0 = tok (s, 0);

  /* the commonest phrase, a digit numeral alone: as below, without the grammar */
  if (!sc->opts->reference && numeral_alone (s, &a))
    return finish_single (sc, s, &a, 0, kind_of (&a));

  /* "percent of 10" */
  if ((roles (t0) & NR_PCT) && !(roles (t0) & (NR_CARD | NR_ORD))) {
    const Tok *of = tok (s, 1);
    Val b;
    if ((roles (of) & NR_OF) && of->gap == 1 && parse_val (s, 2, &b) && !b.is_ord &&
        !b.is_vague && tok (s, 2)->gap == 1) {
      Prev pv[2];
      int np = prev_tokens (sc->lx, t, t0->start, pv, 1);
      gboolean det = np > 0 && (pv[0].num || (pv[0].lex && (pv[0].lex->roles &
                                                             (NR_ART | NR_ONEDET | NR_CARD | NR_STOP))));
      if (!det) {
        NumItem it;
        item_init (&it, t0->start, tok (s, b.last)->end, b.value, NK_PERCENT);
        it.qual = NQ_EXACT;
        it.qual_start = it.start;
        push_item (sc, &it);
        return tok (s, b.last)->end;
      }
    }
    return t0->end;
  }

  if (!parse_val (s, 0, &a))
    return t0->type == TK_NUM ? t0->end : 0;
  if (a.is_vague && !sc->opts->vague)
    return tok (s, a.last)->end;

  int j = a.last + 1;
  NumItem it;
  NumKind kind = kind_of (&a);

  /* "one twenty-fifth", "twenty twenty fifths", "one one hundred and fifth" */
  if (a.is_words && !a.is_frac && !a.is_ord && !a.has_scale && a.value > 0 &&
      a.value == floor (a.value) && !a.is_vague) {
    const Tok *n = tok (s, j);
    if (n->type == TK_WORD && (roles (n) & (NR_CARD | NR_ORD)) && n->gap == 1) {
      Val b;
      if (parse_val (s, j, &b) && !b.neg) {
        double den = 0;
        if (b.bare_den > 0)
          den = b.bare_den;
        else if (b.is_ord && !b.ord_nodenom && a.value == 1)
          den = b.value;
        if (den > 0) {
          a.value = a.value / den;
          a.is_frac = TRUE;
          a.last = b.last;
          a.single_one = FALSE;
          kind = NK_FRACTION;
          j = a.last + 1;
        }
      }
    }
  }

  /* "1 over 3", "2 in 5", "two out of five hundred" */
  if (!a.is_frac && !a.is_ord && !a.is_dec && num_is_integral (a.value) && !a.is_vague) {
    const Tok *c = tok (s, j);
    int k = -1;
    gboolean is_in = FALSE;
    if ((roles (c) & NR_OVER) && c->gap == 1) {
      k = j + 1;
      is_in = g_ascii_strncasecmp (t + c->start, "over", 4) != 0;
    } else if ((roles (c) & NR_OUT) && c->gap == 1 && (roles (tok (s, j + 1)) & NR_OF)) {
      k = j + 2;
      is_in = TRUE;
    }
    Val b;
    if (k > 0 && tok (s, k)->gap == 1) {
      if (parse_val (s, k, &b) && !b.is_frac && !b.is_ord && !b.is_dec && b.value > 0 &&
          b.value == floor (b.value) && !b.is_vague && !b.neg &&
          (is_in ? fabs (a.value) < b.value : fabs (a.value) <= b.value) &&
          !(is_in && b.year_plain) && !(b.has_numlit && tok (s, k)->num.form != NF_INT)) {
        a.value = a.value / b.value;
        a.is_frac = TRUE;
        a.last = b.last;
        a.single_one = FALSE;
        a.year_plain = FALSE;
        kind = NK_FRACTION;
        j = a.last + 1;
      }
    }
  }

  /* percent */
  int pc = (!a.is_ord && !a.is_vague) ? percent_at (sc, s, j) : 0;
  if (pc) {
    kind = NK_PERCENT;
    a.single_one = FALSE;
    a.single_half = FALSE;
    a.year_plain = FALSE;
    j += pc;
  }
  int last_tok = j - 1;

  /* ranges: 25-26, 5k-20k, 20~100, 10 to 15, between 10 and 15, from 2 to 3 million */
  if (!a.is_vague && !a.is_ord) {
    const Tok *c = tok (s, j);
    int k = -1;
    gboolean by_between = FALSE;
    if (c->type == TK_PUNCT && is_dash (c->ch) && a.has_numlit && !a.is_words && c->gap == 0 &&
        tok (s, j + 1)->gap == 0 && tok (s, j + 1)->type == TK_NUM)
      k = j + 1;
    else if (c->type == TK_PUNCT && (c->ch == 0x2013 || c->ch == 0x2014) && c->gap == 1 &&
             tok (s, j + 1)->gap == 1)
      k = j + 1;
    else if ((roles (c) & NR_TO) && c->gap == 1)
      k = j + 1;
    else if ((roles (c) & NR_RANGE_AND) && c->gap == 1) {
      Prev pv[2];
      int np = prev_tokens (sc->lx, t, tok (s, 0)->start, pv, 1);
      if (np > 0 && pv[0].lex && (pv[0].lex->roles & NR_BETWEEN) &&
          g_ascii_strncasecmp (t + pv[0].start, "from", 4) != 0) {
        k = j + 1;
        by_between = TRUE;
      }
    }
    Val b;
    if (k > 0 && tok (s, k)->gap < 2 && parse_val (s, k, &b) && !b.is_ord && !b.is_vague &&
        !b.needs_money && !(kind == NK_FRACTION) == !b.is_frac) {
      double lo = a.value, hi = b.value;
      const Tok *bt = tok (s, k);
      /* "2020-23" */
      if (a.year_plain && bt->type == TK_NUM && bt->num.plain && bt->num.ndigits == 2 &&
          c->type == TK_PUNCT && hi < 100 && hi > fmod (lo, 100))
        hi = lo - fmod (lo, 100) + hi;
      /* "from 2 to 3 million" */
      if (b.end_scale > 0 && a.end_scale == 0 && !a.has_scale && lo * b.end_scale < hi)
        lo *= b.end_scale;
      int bj = b.last + 1;
      int bpc = kind == NK_PERCENT ? 0 : percent_at (sc, s, bj);
      if (lo < hi || by_between) {
        item_init (&it, tok (s, 0)->start, tok (s, bpc ? bj + bpc - 1 : b.last)->end, NAN,
                   NK_RANGE);
        it.min = MIN (lo, hi);
        it.max = MAX (lo, hi);
        it.percent = kind == NK_PERCENT || bpc > 0;
        a.single_one = FALSE;
        a.single_half = FALSE;
        a.year_plain = FALSE;
        int nk = finish_item (sc, s, &a, bpc ? bj + bpc : bj, &it, TRUE, by_between);
        if (nk >= 0)
          return MAX (tok (s, nk > 0 ? nk - 1 : 0)->end, it.end);
        return it.end;
      }
    }
  }

  return finish_single (sc, s, &a, last_tok, kind);
}

/* Is the digit at p inside a URL, an e-mail address or a query string? */
static gboolean
in_urlish (const char *t, gsize p)
{
  gsize b = p;
  guint n = 0;
  while (b > 0 && n < 512 && !(t[b - 1] == ' ' || t[b - 1] == '\n' || t[b - 1] == '\t')) {
    b--;
    n++;
  }
  for (gsize i = b; i + 1 < p; i++) {
    if (t[i] == '@' || t[i] == '=' || t[i] == '?' ||
        (t[i] == ':' && t[i + 1] == '/') || (i + 4 <= p && g_ascii_strncasecmp (t + i, "www.", 4) == 0))
      return TRUE;
  }
  return FALSE;
}

static gsize
handle (Scan *sc, gsize p, gsize word_q, const NumLex *lex)
{
  Stream s;
  const char *t = sc->text;
  gsize start = p;

  if (lex == NULL && in_urlish (t, p))
    return run_end (t, sc->len, p);

  /* a digit numeral that is no number ("2020-02-26", "1.2.3"): whatever is before it,
   * do_phrase ends after it (a sign word before it fails in parse_val, then the
   * numeral alone does), so the look-behind is not read */
  gsize fallback = word_q ? word_q : p + 1;
  gboolean lexed = FALSE;   /* s is a stream from p */
  if (lex == NULL && !sc->opts->reference) {
    stream_init (&s, sc->lx, t, sc->len, p);
    lexed = TRUE;
    const Tok *t0 = tok (&s, 0);
    if (t0->type == TK_NUM && t0->num.skip)
      return t0->end <= p ? fallback : t0->end;
  }

  /* look one token back for "a"/"an" (before a scale, fraction or ordinal) and
   * "minus"/"negative"; finish_item() reads further back only where a cue may end */
  Prev *pv = sc->pv;
  int np = prev_tokens_more (sc->lx, sc->lx->filter_behind, t, p, pv, 0, 1);
  sc->pv_pos = p;
  sc->pv_n = np;
  if (np > 0 && pv[0].word && pv[0].lex) {
    guint32 r = pv[0].lex->roles;
    gboolean scale_like = lex && (lex->roles & (NR_SCALE | NR_FRAC | NR_ORD)) &&
                          !(lex->roles & NR_CARD);
    if ((r & NR_ART) && scale_like)
      start = pv[0].start;
    else if ((r & NR_NEG) && !(r & NR_CARD))
      start = pv[0].start;
  }
  if (!lexed || start != p)
    stream_init (&s, sc->lx, t, sc->len, start);
  gsize r = do_phrase (sc, &s, fallback);
  if (r == 0 && start != p) {
    /* the article/sign did not fit: again from the trigger itself */
    stream_init (&s, sc->lx, t, sc->len, p);
    r = do_phrase (sc, &s, fallback);
  }
  if (r <= p)
    r = fallback;
  return r;
}

/* Byte classes of the main loop: 0 skip, 1 ASCII letter, 2 digit, 3 may start a
 * numeral (. - +), 4 non-ASCII, 5 NUL (the end of the text, or an embedded NUL). */
static const guint8 byte_class[256] = {
  [0] = 5, ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 2, ['.'] = 3, ['-'] = 3,
  ['+'] = 3, [0x80 ... 0xFF] = 4,
};

#if defined(__SSE2__)
#include <emmintrin.h>

/* Bit i of the result: byte i of the 16 at s is in [lo, lo + n) (unsigned). */
static inline guint32
range16 (__m128i v, guchar lo, guchar n)
{
  __m128i x = _mm_add_epi8 (v, _mm_set1_epi8 ((char) (guchar) (0x80 - lo)));
  return (guint32) _mm_movemask_epi8 (_mm_cmplt_epi8 (x, _mm_set1_epi8 ((char) (guchar) (0x80 + n))));
}

/* The masks of one 64-byte window, kept between calls: the main loop comes back to
 * the same window after each number or candidate word. */
typedef struct {
  gboolean valid;
  gsize base;
  guint64 L;      /* ASCII letters */
  guint64 S;      /* bytes the byte loop stops at */
  guint64 HD;     /* non-ASCII bytes and digits (end a letter run that must be looked at) */
} SkipWin;

static void
skip_win_fill (SkipWin *win, const guchar *u, gsize len, gsize base)
{
  const guchar *w = u + base;
  guchar pad[80];
  if (base + 64 >= len) {
    /* the last window: the bytes up to the NUL at len, then zeros */
    gsize n = len - base + 1;
    memcpy (pad, u + base, n);
    memset (pad + n, 0, sizeof pad - n);
    w = pad;
  }
  guint64 L = 0, D = 0, H = 0, Z = 0, P = 0;
  for (int k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128 ((const __m128i *) (w + 16 * k));
    __m128i lo = _mm_or_si128 (v, _mm_set1_epi8 (0x20));
    L |= (guint64) range16 (lo, 'a', 26) << (16 * k);
    D |= (guint64) range16 (v, '0', 10) << (16 * k);
    H |= (guint64) (guint32) _mm_movemask_epi8 (v) << (16 * k);
    Z |= (guint64) (guint32) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_setzero_si128 ())) << (16 * k);
    __m128i pm = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('.')),
                                             _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('-'))),
                               _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('+')));
    P |= (guint64) (guint32) _mm_movemask_epi8 (pm) << (16 * k);
  }
  guint64 dnext = (D >> 1) | ((guint64) is_digit (w[64]) << 63);
  win->valid = TRUE;
  win->base = base;
  win->L = L;
  win->S = D | H | Z | (P & dnext);
  win->HD = H | D;
}

/* The first position >= p the main loop has to look at, 64 bytes at a time: a byte that
 * is not an ASCII letter and not skipped by the byte loop (a digit, a non-ASCII byte, a
 * NUL, "." "-" "+" before a digit), or the start of a run of ASCII letters that the byte
 * loop would not skip: one followed by a digit or a non-ASCII byte, or one whose first
 * two letters and length pass the trigger filters (lx->trig2, lx->filter): then
 * *word_end_out is set to its end (else 0).  A letter at p itself starts a run, as in
 * the byte loop.  Returns len (or the position of a NUL) at the end.  Reads text[len]
 * (NUL) but nothing after it. */
static gsize
fast_skip (const NumLexicon *lx, const guchar *u, gsize len, gsize p, gsize *word_end_out,
           SkipWin *win)
{
  *word_end_out = 0;
  gboolean first = TRUE;
  for (;;) {
    if (!win->valid || p < win->base || p - win->base >= 64)
      skip_win_fill (win, u, len, p);
    gsize base = win->base;
    guint off = (guint) (p - base);
    guint64 L = win->L, S = win->S;
    guint64 starts = L & ~(L << 1);
    if (first)
      starts |= L & (G_GUINT64_CONSTANT (1) << off);     /* a letter at p starts a run */
    else if (base > 0 && is_alpha_ascii (u[base - 1]))
      starts &= ~G_GUINT64_CONSTANT (1);                 /* the run began before the window */
    guint64 from = ~G_GUINT64_CONSTANT (0) << off;
    guint64 Sm = S & from;
    /* letters are never in S: the runs that start before the first stop byte are
     * looked at in order, then the stop byte is the answer */
    guint64 W = starts & from & (Sm ? (Sm & -Sm) - 1 : ~G_GUINT64_CONSTANT (0));
    guint64 nL = ~L, HD = win->HD;
    gsize next = base + 64;
    while (W) {
      guint i = (guint) __builtin_ctzll (W);
      /* a run of ASCII letters [base + i, q) */
      guint64 m = nL >> i;
      const guchar *x = u + base + i;
      gsize q, wl;
      if (G_LIKELY (m != 0)) {
        guint j = i + (guint) __builtin_ctzll (m);
        if ((HD >> j) & 1)
          return base + i;
        wl = j - i;                         /* < 64: trig2w has a bit for it */
        q = base + j;
      } else {
        /* it goes on past the window (text[len] is NUL: the run stops there) */
        q = base + 64;
        while (is_alpha_ascii (u[q]))
          q++;
        if (u[q] >= 0x80 || is_digit (u[q]))
          return base + i;
        next = q;
        W = 0;
        wl = q - (base + i);
        wl = wl > 63 ? 63 : wl;
      }
      /* (a run of one letter: x[1] is no letter, and no length-1 bit is set) */
      guint16 x01;
      memcpy (&x01, x, 2);
      if (((lx->trig2w[GUINT16_FROM_LE (x01) & 0x1F1Fu] >> wl) & 1) &&
          num_lexicon_filter (lx, (const char *) x, q - (base + i))) {
        *word_end_out = q;
        return base + i;
      }
      W &= W - 1;
    }
    if (Sm)   /* (a run that goes past the window has no stop byte after it) */
      return base + (guint) __builtin_ctzll (Sm);
    p = next;
    first = FALSE;
  }
}
#endif

gboolean
num_scan (const NumLexicon *lx, const NumScanOptions *opts, const char *text, gsize len,
          NumEmitFunc emit, gpointer user_data)
{
  Scan sc = { lx, opts, text, len, emit, user_data, 0, FALSE, { 0 }, FALSE, G_MAXSIZE, 0, { { 0 } } };
  gsize p = 0;
  const guchar *u = (const guchar *) text;
  /* text[len] is NUL (sluice_document_get_text): the inner loops stop at it */
  g_return_val_if_fail (text[len] == '\0', TRUE);
#if defined(__SSE2__)
  SkipWin win = { FALSE, 0, 0, 0, 0 };
#endif
  while (p < len && !sc.full) {
#if defined(__SSE2__)
    if (G_LIKELY (!opts->byte_loop)) {
      gsize q;
      p = fast_skip (lx, u, len, p, &q, &win);
      if (q) {
        /* an ASCII word that passed the filters, followed by ASCII that is no digit: as
         * the byte loop below does with it */
        const NumLex *l = lookup_word (lx, text, p, q);
        if (l && (l->roles & NUM_TRIGGER_ROLES) && !(l->scale_abbr && !(l->roles & ~NR_SCALE)) &&
            !(p > 0 && is_digit ((guchar) text[p - 1]))) {
          p = handle (&sc, p, q, l);
          continue;
        }
        p = q;
        continue;
      }
    }
#endif
    while (byte_class[u[p]] == 0)
      p++;
    if (p >= len)
      break;
    guchar c = u[p];
    if (byte_class[c] == 5) {   /* an embedded NUL */
      p++;
      continue;
    }
    if (byte_class[c] == 1) {
      gsize q = p + 1;
      while (byte_class[u[q]] == 1)
        q++;
      gboolean pass;
      if (q < len && (guchar) text[q] >= 0x80) {
        q = word_end (text, len, q);
        pass = num_lexicon_filter (lx, text + p, q - p);
      } else {
        /* ASCII letters only: (first two letters -> lengths) first, then the full filter */
        gsize wl = q - p;
        pass = wl >= 2 &&
               ((lx->trig2[(guint) ((u[p] | 0x20) - 'a') * 26 + (guint) ((u[p + 1] | 0x20) - 'a')] >>
                 (wl > 31 ? 31 : wl)) & 1) &&
               num_lexicon_filter (lx, text + p, wl);
      }
      if (pass) {
        const NumLex *l = lookup_word (lx, text, p, q);
        if (l && (l->roles & NUM_TRIGGER_ROLES) && !(l->scale_abbr && !(l->roles & ~NR_SCALE))) {
          /* not glued to digits before it ("3D" is skipped by the digit scanner) */
          if (!(p > 0 && is_digit ((guchar) text[p - 1]))) {
            p = handle (&sc, p, q, l);
            continue;
          }
        }
      }
      p = q;
      /* a digit glued after letters belongs to a code ("A320"): skip it too */
      if (p < len && is_digit ((guchar) text[p]))
        p = run_end (text, len, p);
      continue;
    }
    if (is_digit (c)) {
      p = handle (&sc, p, 0, NULL);
      continue;
    }
    if (c < 0x80) {
      if ((c == '.' || c == '-' || c == '+') && numlit_start (text, len, p)) {
        p = handle (&sc, p, 0, NULL);
        continue;
      }
      p++;
      continue;
    }
    /* U+2010-U+2027 (dashes, quotes, the ellipsis): no letter, no numeral (as below) */
    if (c == 0xE2 && u[p + 1] == 0x80 && u[p + 2] >= 0x90 && u[p + 2] <= 0xA7) {
      p += 3;
      continue;
    }
    /* non-ASCII: a Cyrillic letter (lead byte D0/D1) starts a word, never a numeral */
    if (c != 0xD0 && c != 0xD1 && numlit_start (text, len, p)) {
      p = handle (&sc, p, 0, NULL);
      continue;
    }
    if (is_alpha_at (text, len, p)) {
      gsize q = word_end (text, len, p);
      if (lx->has_non_ascii && num_lexicon_filter_any (lx->filter, text + p, q - p)) {
        const NumLex *l = lookup_word (lx, text, p, q);
        if (l && (l->roles & NUM_TRIGGER_ROLES) && !l->scale_abbr) {
          p = handle (&sc, p, q, l);
          continue;
        }
      }
      p = q;
      continue;
    }
    p += u8len (c);
  }
  flush (&sc);
  return !sc.full;
}

const char *
num_kind_name (NumKind k)
{
  static const char *const names[] = { "cardinal", "ordinal", "percent", "fraction", "decimal",
                                        "range", "year" };
  return names[k];
}

const char *
num_qual_name (NumQual q)
{
  switch (q) {
  case NQ_APPROX: return "approx";
  case NQ_MORE_THAN: return "more_than";
  case NQ_AT_LEAST: return "at_least";
  case NQ_LESS_THAN: return "less_than";
  case NQ_AT_MOST: return "at_most";
  default: return "exact";
  }
}
