/* sluice — the JSONL document reader.
 *
 * A strict RFC 8259 parser for one line holding one JSON object, written by
 * hand because json-glib (a JsonNode tree per line, then copying the text out
 * of it) is several times slower than the runner's target: see bench/README.md.
 * tests/test_json.c checks it against json-glib on thousands of random
 * documents.
 *
 * Strictness: no trailing commas, no comments, no single quotes, no leading
 * zeros or '+' in numbers, no raw control characters in strings, only the
 * escapes of RFC 8259, nothing but whitespace after the object, nesting at
 * most 512 deep.  Errors say what was expected and the (1-based, byte)
 * column where it went wrong.
 *
 * Decoding: \uXXXX escapes with surrogate pairs; a lone surrogate or \u0000
 * becomes U+FFFD and is counted in *n_replaced.  Raw bytes are copied as they
 * are into "text" (the caller sanitises it); in id, meta keys and values and
 * in passed-through members, invalid UTF-8 is replaced here (and counted) so
 * that everything the writer copies out is valid UTF-8.
 */
#include "internal.h"
#include "bytescan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_DEPTH 512


typedef struct {
  const char *base;
  const char *p;
  const char *end;
  guint depth;
  guint n_replaced;
  GError **error;
  gboolean failed;
} Parser;

static gboolean fail (Parser *ps, const char *at, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Parser *ps, const char *at, const char *format, ...)
{
  if (ps->failed)
    return FALSE;
  ps->failed = TRUE;
  va_list ap;
  va_start (ap, format);
  char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (ps->error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s at column %" G_GSIZE_FORMAT,
               msg, (gsize) (at - ps->base) + 1);
  g_free (msg);
  return FALSE;
}

/* A description of the character at `at`, for messages. */
static const char *
describe (const char *at, const char *end, char buf[16])
{
  if (at >= end)
    return "end of line";
  guchar c = (guchar) *at;
  if (c >= 0x20 && c < 0x7F)
    g_snprintf (buf, 16, "'%c'", c);
  else
    g_snprintf (buf, 16, "byte 0x%02X", c);
  return buf;
}

static gboolean
expected (Parser *ps, const char *what)
{
  char buf[16];
  return fail (ps, ps->p, "expected %s but found %s", what, describe (ps->p, ps->end, buf));
}

static inline void
skip_ws (Parser *ps)
{
  if (G_LIKELY (ps->p < ps->end && (guchar) *ps->p > ' '))
    return;                     /* the usual case: nothing to skip */
  if (ps->p + 1 < ps->end && *ps->p == ' ' && (guchar) ps->p[1] > ' ')
    {
      ps->p++;                  /* the next usual case: one space (", ") */
      return;
    }
  while (ps->p < ps->end)
    {
      char c = *ps->p;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        ps->p++;
      else
        break;
    }
}

static inline int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* ------------------------------------------------------------------ strings */

/* ps->p at the opening quote.  Checks the string and leaves ps->p after the
 * closing quote; *raw / *raw_len: the bytes between the quotes; *escaped:
 * whether they hold a backslash. */
static gboolean
scan_string (Parser *ps, const char **raw, gsize *raw_len, gboolean *escaped)
{
  const char *p = ps->p + 1;
  const char *end = ps->end;
  gboolean esc = FALSE;

  *raw = p;
  for (;;)
    {
      p = sluice_json_find_special (p, end);
      if (p >= end)
        return fail (ps, ps->p, "unterminated string");
      guchar c = (guchar) *p;
      if (c == '"')
        break;
      if (c == '\\')
        {
          esc = TRUE;
          if (p + 1 >= end)
            return fail (ps, ps->p, "unterminated string");
          switch (p[1])
            {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
              p += 2;
              break;
            case 'u':
              if (end - p < 6 || hexval (p[2]) < 0 || hexval (p[3]) < 0 || hexval (p[4]) < 0
                  || hexval (p[5]) < 0)
                return fail (ps, p, "invalid \\u escape (four hex digits expected)");
              p += 6;
              break;
            default:
              {
                char buf[16];
                return fail (ps, p, "invalid escape '\\' followed by %s",
                             describe (p + 1, end, buf));
              }
            }
          continue;
        }
      if (c < 0x20)
        return fail (ps, p, "control character U+%04X in a string (must be escaped)", c);
      p++;
    }
  *raw_len = p - *raw;
  *escaped = esc;
  ps->p = p + 1;
  return TRUE;
}

/* g_unichar_to_utf8() without the call (u is a scalar value). */
static inline char *
put_utf8 (char *o, gunichar u)
{
  if (u < 0x80)
    *o++ = (char) u;
  else if (u < 0x800)
    {
      *o++ = (char) (0xC0 | (u >> 6));
      *o++ = (char) (0x80 | (u & 0x3F));
    }
  else if (u < 0x10000)
    {
      *o++ = (char) (0xE0 | (u >> 12));
      *o++ = (char) (0x80 | ((u >> 6) & 0x3F));
      *o++ = (char) (0x80 | (u & 0x3F));
    }
  else
    {
      *o++ = (char) (0xF0 | (u >> 18));
      *o++ = (char) (0x80 | ((u >> 12) & 0x3F));
      *o++ = (char) (0x80 | ((u >> 6) & 0x3F));
      *o++ = (char) (0x80 | (u & 0x3F));
    }
  return o;
}

static inline guint
hex4 (const char *p)
{
  return (hexval (p[0]) << 12) | (hexval (p[1]) << 8) | (hexval (p[2]) << 4) | hexval (p[3]);
}

/* A raw JSON value passed through may hold \uD800-style escapes of lone
 * surrogates: valid JSON syntax, but not a character, and json-glib (like
 * most parsers) rejects them.  Rewrites each to \uFFFD in place (same
 * length) and returns how many.  The value is already known to be valid
 * JSON, so backslashes only occur as escapes inside strings. */
guint
sluice_json_fix_lone_surrogates (char *p, gsize len)
{
  guint n = 0;
  char *end = p + len;
  while ((p = memchr (p, '\\', (gsize) (end - p))) != NULL)
    {
      if (p + 1 < end && p[1] == 'u' && end - p >= 6)
        {
          /* The value is valid JSON: \u is followed by four hex digits. */
          guint v = hex4 (p + 2);
          if (v >= 0xD800 && v <= 0xDBFF)
            {
              guint w = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4 (p + 8) : 0;
              if (w >= 0xDC00 && w <= 0xDFFF)
                {
                  p += 12;
                  continue;
                }
            }
          if (v >= 0xD800 && v <= 0xDFFF)
            {
              memcpy (p + 2, "fffd", 4);
              n++;
            }
          p += 6;
        }
      else
        p += 2;
      if (p >= end)
        break;
    }
  return n;
}

/* Decodes an already scanned string body into `out` (room for raw_len + 1
 * bytes; decoding never grows).  Returns the decoded length; NUL-terminates. */
static gsize
decode_string (Parser *ps, const char *raw, gsize raw_len, char *out)
{
  const char *p = raw;
  const char *end = raw + raw_len;
  char *o = out;

  while (p < end)
    {
      const char *bs = memchr (p, '\\', end - p);
      if (bs == NULL)
        bs = end;
      memcpy (o, p, bs - p);
      o += bs - p;
      p = bs;
      if (p >= end)
        break;
      char e = p[1];
      p += 2;
      switch (e)
        {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
          {
            guint u = hex4 (p);
            p += 4;
            if (u >= 0xD800 && u <= 0xDBFF)
              {
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u')
                  {
                    guint lo = hex4 (p + 2);
                    if (lo >= 0xDC00 && lo <= 0xDFFF)
                      {
                        p += 6;
                        o = put_utf8 (o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                        break;
                      }
                  }
                u = 0xFFFD;
                ps->n_replaced++;
              }
            else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0)
              {
                u = 0xFFFD;
                ps->n_replaced++;
              }
            o = put_utf8 (o, u);
            break;
          }
        default:
          g_assert_not_reached ();  /* scan_string checked every escape */
        }
    }
  *o = '\0';
  return o - out;
}

/* The fast path for long strings (the text): scans and decodes the string
 * at ps->p (its opening quote) in one pass into `out`, which has room for
 * ps->end - ps->p bytes (the 16-byte stores run ahead of the decoded bytes,
 * never past the raw length), and checks the raw bytes as UTF-8 on the way.
 * Returns the decoded length (out[len] = NUL) with ps->p after the closing
 * quote and *clean = whether the raw bytes were valid UTF-8 (the decoded
 * text is then valid UTF-8 without NUL: escapes only ever add whole
 * characters, and \u0000 becomes U+FFFD), or -1 with ps->p and
 * ps->n_replaced unchanged on any syntax error: the caller then takes the
 * scan_string() path, whose error message is the one reported. */
static gssize
decode_string_fast (Parser *ps, char *out, gboolean *clean)
{
  const char *p = ps->p + 1;
  const char *end = ps->end;
  char *o = out;
  guint replaced = 0;
  gboolean dirty = FALSE;
  /* The last start of a whole 16-byte block (never before the quote). */
  const char *last = end - ps->p >= 17 ? end - 16 : ps->p;

  for (;;)
    {
#ifdef __SSE2__
      guint mask = 0;
      while (p <= last)
        {
          __m128i x = _mm_loadu_si128 ((const __m128i *) p);
          _mm_storeu_si128 ((__m128i *) o, x);
          /* A byte >= 0x80 flags itself (its top bit). */
          __m128i m = _mm_or_si128 (sluice_json_special16 (x), x);
          mask = (guint) _mm_movemask_epi8 (m);
          if (mask != 0)
            break;
          p += 16;
          o += 16;
        }
      if (mask != 0)
        {
          guint k = (guint) __builtin_ctz (mask);
          p += k;
          o += k;
        }
      else
#endif
        {
          const char *q = sluice_json_find_special_or_high (p, end);
          memcpy (o, p, (gsize) (q - p));
          o += q - p;
          p = q;
          if (p >= end)
            return -1;              /* unterminated */
        }

      guchar c = (guchar) *p;
      if (c == '"')
        break;
      if (c == '\\')
        {
        escape:
          if (end - p < 2)
            return -1;
          /* Escapes come in runs ("\n\n" between paragraphs): another one
           * right after is handled here, without a vector block. */
#define NEXT_ESCAPE() \
          if (p < end && *p == '\\') \
            goto escape; \
          continue
          switch (p[1])
            {
            case '"': *o++ = '"'; p += 2; NEXT_ESCAPE ();
            case '\\': *o++ = '\\'; p += 2; NEXT_ESCAPE ();
            case '/': *o++ = '/'; p += 2; NEXT_ESCAPE ();
            case 'b': *o++ = '\b'; p += 2; NEXT_ESCAPE ();
            case 'f': *o++ = '\f'; p += 2; NEXT_ESCAPE ();
            case 'n': *o++ = '\n'; p += 2; NEXT_ESCAPE ();
            case 'r': *o++ = '\r'; p += 2; NEXT_ESCAPE ();
            case 't': *o++ = '\t'; p += 2; NEXT_ESCAPE ();
#undef NEXT_ESCAPE
            case 'u':
              break;
            default:
              return -1;
            }
          if (end - p < 6 || hexval (p[2]) < 0 || hexval (p[3]) < 0 || hexval (p[4]) < 0
              || hexval (p[5]) < 0)
            return -1;
          guint u = hex4 (p + 2);
          p += 6;
          if (u >= 0xD800 && u <= 0xDBFF)
            {
              if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hexval (p[2]) >= 0
                  && hexval (p[3]) >= 0 && hexval (p[4]) >= 0 && hexval (p[5]) >= 0)
                {
                  guint lo = hex4 (p + 2);
                  if (lo >= 0xDC00 && lo <= 0xDFFF)
                    {
                      p += 6;
                      o = put_utf8 (o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                      continue;
                    }
                }
              u = 0xFFFD;
              replaced++;
            }
          else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0)
            {
              u = 0xFFFD;
              replaced++;
            }
          o = put_utf8 (o, u);
          continue;
        }
      if (c < 0x20)
        return -1;                  /* a raw control character */

#ifdef __SSE2__
      /* A two-byte character (Cyrillic, Greek, Latin accents): text in such
       * a script is checked 16 bytes at a time — every byte plain ASCII or
       * part of a well-formed two-byte sequence (C2..DF then 80..BF); a
       * lead byte in the last place is left to the next block. */
      if (c >= 0xC2 && c <= 0xDF)
        {
          const char *from = p;
          const __m128i lo2 = _mm_set1_epi8 ((char) 0xC2);
          const __m128i hi2 = _mm_set1_epi8 ((char) 0xDF);
          const __m128i c0 = _mm_set1_epi8 ((char) 0xC0);
          while (p <= last)
            {
              __m128i x = _mm_loadu_si128 ((const __m128i *) p);
              guint spec = (guint) _mm_movemask_epi8 (sluice_json_special16 (x));
              guint lead = (guint) _mm_movemask_epi8 (
                _mm_and_si128 (_mm_cmpeq_epi8 (_mm_max_epu8 (x, lo2), x),
                               _mm_cmpeq_epi8 (_mm_min_epu8 (x, hi2), x)));
              guint cont = (guint) _mm_movemask_epi8 (_mm_cmplt_epi8 (x, c0));   /* 80..BF */
              guint high = (guint) _mm_movemask_epi8 (x);
              guint n = 16;
              if (lead & 0x8000)
                {
                  n = 15;
                  lead &= 0x7FFF;
                  high &= 0x7FFF;
                }
              if (spec != 0 || ((lead << 1) & 0xFFFF) != cont || (high & ~(lead | cont)) != 0)
                break;
              _mm_storeu_si128 ((__m128i *) o, x);
              p += n;
              o += n;
            }
          if (p != from)
            continue;
        }
#endif
      /* Non-ASCII: whole sequences while they last (a run of Cyrillic or
       * CJK stays here), then back to the vector loop. */
      do
        {
          guint n = sluice_utf8_seq_len ((const guchar *) p, (gsize) (end - p));
          if (G_UNLIKELY (n == 0))
            {
              dirty = TRUE;         /* left for the caller's sanitising */
              n = 1;
            }
          for (guint i = 0; i < n; i++)
            o[i] = p[i];
          o += n;
          p += n;
        }
      while (p < end && (guchar) *p >= 0x80);
    }

  *o = '\0';
  ps->p = p + 1;
  ps->n_replaced += replaced;
  *clean = !dirty;
  return o - out;
}

/* ps->p at a string's opening quote.  When the string is plain ASCII (no
 * escape, no control character, no byte >= 0x80: already clean UTF-8 as it
 * stands, the common case for member names and short values), sets *raw and
 * *len to its bytes, moves ps->p past it and returns TRUE; otherwise FALSE
 * with nothing changed. */
static inline gboolean
plain_string (Parser *ps, const char **raw, gsize *len)
{
  const char *p = ps->p + 1;
  const char *q = sluice_json_find_special_or_high (p, ps->end);
  if (G_LIKELY (q < ps->end && *q == '"'))
    {
      *raw = p;
      *len = (gsize) (q - p);
      ps->p = q + 1;
      return TRUE;
    }
  return FALSE;
}

/* Parses a string at ps->p into a new NUL-terminated buffer. */
static char *
parse_string_dup (Parser *ps, gsize *len)
{
  const char *raw;
  gsize raw_len;
  gboolean escaped;

  if (!scan_string (ps, &raw, &raw_len, &escaped))
    return NULL;
  char *s = g_malloc (raw_len + 1);
  if (!escaped)
    {
      memcpy (s, raw, raw_len);
      s[raw_len] = '\0';
      *len = raw_len;
    }
  else
    *len = decode_string (ps, raw, raw_len, s);
  return s;
}

/* Makes a decoded string valid UTF-8 (counting replacements); takes s. */
static char *
make_clean (Parser *ps, char *s, gsize *len)
{
  if (sluice_utf8_is_clean (s, *len))
    return s;
  GString *g = g_string_sized_new (*len + 8);
  ps->n_replaced += sluice_utf8_sanitize (s, *len, g);
  g_free (s);
  *len = g->len;
  return g_string_free (g, FALSE);
}

static char *
parse_clean_string (Parser *ps, gsize *len)
{
  const char *raw;
  if (plain_string (ps, &raw, len))
    {
      char *c = g_malloc (*len + 1);
      memcpy (c, raw, *len);
      c[*len] = '\0';
      return c;
    }
  char *s = parse_string_dup (ps, len);
  return s ? make_clean (ps, s, len) : NULL;
}

/* ------------------------------------------------------------------ values */

static gboolean skip_value (Parser *ps);

/* ps->p at the first character of a number.  Leaves ps->p after it;
 * *is_int: no fraction and no exponent. */
static gboolean
scan_number (Parser *ps, gboolean *is_int)
{
  const char *p = ps->p;
  const char *end = ps->end;
  const char *start = p;

  *is_int = TRUE;
  if (p < end && *p == '-')
    p++;
  if (p >= end || !g_ascii_isdigit (*p))
    {
      ps->p = p;
      return expected (ps, "a digit");
    }
  if (*p == '0')
    {
      p++;
      if (p < end && g_ascii_isdigit (*p))
        return fail (ps, start, "number with a leading zero");
    }
  else
    while (p < end && g_ascii_isdigit (*p))
      p++;
  if (p < end && *p == '.')
    {
      *is_int = FALSE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        {
          ps->p = p;
          return expected (ps, "a digit after '.'");
        }
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      *is_int = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        {
          ps->p = p;
          return expected (ps, "a digit in the exponent");
        }
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  ps->p = p;
  return TRUE;
}

static gboolean
scan_literal (Parser *ps, const char *word, gsize n)
{
  if ((gsize) (ps->end - ps->p) >= n && memcmp (ps->p, word, n) == 0)
    {
      ps->p += n;
      return TRUE;
    }
  char buf[16];
  return fail (ps, ps->p, "invalid literal starting with %s (expected a JSON value)",
               describe (ps->p, ps->end, buf));
}

static gboolean
enter (Parser *ps)
{
  if (++ps->depth > MAX_DEPTH)
    return fail (ps, ps->p, "nesting deeper than %d levels", MAX_DEPTH);
  return TRUE;
}

typedef enum { NEXT_MORE, NEXT_DONE, NEXT_ERROR } Next;

/* After an element of an array or object: a ',' and another element, or
 * the closing bracket (which leaves the nesting level). */
static Next
after_element (Parser *ps, char close, const char *what)
{
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == ',')
    {
      ps->p++;
      skip_ws (ps);
      if (ps->p < ps->end && *ps->p == close)
        {
          fail (ps, ps->p, "trailing comma in %s", what);
          return NEXT_ERROR;
        }
      return NEXT_MORE;
    }
  if (ps->p < ps->end && *ps->p == close)
    {
      ps->p++;
      ps->depth--;
      return NEXT_DONE;
    }
  if (close == ']')
    expected (ps, "',' or ']'");
  else
    expected (ps, "',' or '}'");
  return NEXT_ERROR;
}

static gboolean
skip_array (Parser *ps)
{
  if (!enter (ps))
    return FALSE;
  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == ']')
    {
      ps->p++;
      ps->depth--;
      return TRUE;
    }
  for (;;)
    {
      if (!skip_value (ps))
        return FALSE;
      Next n = after_element (ps, ']', "array");
      if (n != NEXT_MORE)
        return n == NEXT_DONE;
    }
}

static gboolean
skip_object (Parser *ps)
{
  if (!enter (ps))
    return FALSE;
  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == '}')
    {
      ps->p++;
      ps->depth--;
      return TRUE;
    }
  for (;;)
    {
      const char *raw;
      gsize raw_len;
      gboolean esc;
      if (ps->p >= ps->end || *ps->p != '"')
        return expected (ps, "a string (member name)");
      if (!scan_string (ps, &raw, &raw_len, &esc))
        return FALSE;
      skip_ws (ps);
      if (ps->p >= ps->end || *ps->p != ':')
        return expected (ps, "':'");
      ps->p++;
      if (!skip_value (ps))
        return FALSE;
      Next n = after_element (ps, '}', "object");
      if (n != NEXT_MORE)
        return n == NEXT_DONE;
    }
}

/* Validates any value at ps->p (after optional whitespace) and moves past it. */
static gboolean
skip_value (Parser *ps)
{
  skip_ws (ps);
  if (ps->p >= ps->end)
    return expected (ps, "a JSON value");
  switch (*ps->p)
    {
    case '"':
      {
        const char *raw;
        gsize raw_len;
        gboolean esc;
        return scan_string (ps, &raw, &raw_len, &esc);
      }
    case '{':
      return skip_object (ps);
    case '[':
      return skip_array (ps);
    case 't':
      return scan_literal (ps, "true", 4);
    case 'f':
      return scan_literal (ps, "false", 5);
    case 'n':
      return scan_literal (ps, "null", 4);
    default:
      if (*ps->p == '-' || g_ascii_isdigit (*ps->p))
        {
          gboolean is_int;
          return scan_number (ps, &is_int);
        }
      return expected (ps, "a JSON value");
    }
}

/* Skips a value (after whitespace); returns a NUL-terminated copy of its raw
 * text, made valid UTF-8. */
static char *
dup_raw_value (Parser *ps, gsize *len)
{
  skip_ws (ps);
  const char *start = ps->p;
  if (!skip_value (ps))
    return NULL;
  *len = ps->p - start;
  return make_clean (ps, g_strndup (start, *len), len);
}

/* ------------------------------------------------------------------- meta */

/* Stack buffer with heap fallback for decoded keys and short values. */
typedef struct {
  char stack[256];
  char *heap;
} Scratch;

static char *
scratch_get (Scratch *sc, gsize n)
{
  if (n <= sizeof sc->stack)
    return sc->stack;
  g_free (sc->heap);
  sc->heap = g_malloc (n);
  return sc->heap;
}

/* Parses a string at ps->p into scratch (clean UTF-8).  The result may be
 * heap-allocated by make_clean: *owned is set then. */
static char *
parse_string_scratch (Parser *ps, Scratch *sc, gsize *len, char **owned)
{
  const char *raw;
  gsize raw_len;
  gboolean escaped;

  *owned = NULL;
  if (!scan_string (ps, &raw, &raw_len, &escaped))
    return NULL;
  char *s = scratch_get (sc, raw_len + 1);
  if (escaped)
    *len = decode_string (ps, raw, raw_len, s);
  else
    {
      memcpy (s, raw, raw_len);
      s[raw_len] = '\0';
      *len = raw_len;
    }
  if (!sluice_utf8_is_clean (s, *len))
    {
      GString *g = g_string_sized_new (*len + 8);
      ps->n_replaced += sluice_utf8_sanitize (s, *len, g);
      *len = g->len;
      *owned = g_string_free (g, FALSE);
      return *owned;
    }
  return s;
}

/* parse_string_scratch() with the common case inline: a plain string
 * (keys, most values) is copied straight into the scratch buffer. */
static inline char *
string_to_scratch (Parser *ps, Scratch *sc, gsize *len, char **owned)
{
  const char *raw;
  gsize raw_len;

  if (G_LIKELY (plain_string (ps, &raw, &raw_len)))
    {
      char *s = scratch_get (sc, raw_len + 1);
#ifdef __SSE2__
      /* Short, with 16 bytes of the line in reach from its start: one
       * load and store instead of a memcpy call. */
      if (raw_len < 16 && ps->end - raw >= 16)
        _mm_storeu_si128 ((__m128i *) s, _mm_loadu_si128 ((const __m128i *) raw));
      else
#endif
        memcpy (s, raw, raw_len);
      s[raw_len] = '\0';
      *len = raw_len;
      *owned = NULL;
      return s;
    }
  return parse_string_scratch (ps, sc, len, owned);
}

/* A string array at ps->p: TRUE when every element is a string, having set
 * meta[key] to the list; FALSE with ps->p unchanged (and no error)
 * otherwise, or FALSE with ps->failed on a syntax error.  Plain elements (the
 * usual tags) are collected in a stack buffer, others in heap copies:
 * sluice_attrs_set_string_list() copies them all anyway. */
#define LIST_STACK_ITEMS 32
#define LIST_STACK_BYTES 512

static gboolean
try_string_list (Parser *ps, SluiceAttrs *meta, const char *key)
{
  const char *save = ps->p;
  const char *items_stack[LIST_STACK_ITEMS];
  const char **items = items_stack;
  guint n = 0, cap = LIST_STACK_ITEMS;
  char buf[LIST_STACK_BYTES];
  gsize used = 0;
  GPtrArray *heap = NULL;       /* element copies not in buf */
  gboolean ok = FALSE;

  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == ']')
    {
      ps->p++;
      ok = TRUE;
      goto done;
    }
  for (;;)
    {
      skip_ws (ps);
      if (ps->p >= ps->end || *ps->p != '"')
        break;
      if (n == cap)
        {
          cap *= 2;
          if (items == items_stack)
            items = g_memdup2 (items_stack, sizeof items_stack);
          items = g_renew (const char *, items, cap);
        }
      const char *raw;
      gsize len;
      gboolean plain = plain_string (ps, &raw, &len);
      if (plain && used + len + 1 <= sizeof buf)
        {
          memcpy (buf + used, raw, len);
          buf[used + len] = '\0';
          items[n++] = buf + used;
          used += len + 1;
        }
      else
        {
          char *c;
          if (plain)
            c = g_strndup (raw, len);   /* buf is full */
          else if ((c = parse_clean_string (ps, &len)) == NULL)
            goto failed;
          if (heap == NULL)
            heap = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (heap, c);
          items[n++] = c;
        }
      skip_ws (ps);
      if (ps->p < ps->end && *ps->p == ',')
        {
          ps->p++;
          continue;
        }
      if (ps->p < ps->end && *ps->p == ']')
        {
          ps->p++;
          ok = TRUE;
          goto done;
        }
      break;
    }
failed:
  ps->p = save;
done:
  if (ok)
    sluice_attrs_set_string_list (meta, key, items, n);
  if (heap != NULL)
    g_ptr_array_unref (heap);
  if (items != items_stack)
    g_free (items);
  return ok;
}

/* Clinger's fast path for "-?digits.digits" (no exponent) with at most 15
 * significant digits: mantissa / 10^k with both exact is correctly rounded,
 * so it equals what strtod returns.  FALSE: use strtod. */
static gboolean
decimal_fast (const char *s, gsize n, double *out)
{
  static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                1e11, 1e12, 1e13, 1e14, 1e15 };
  const char *p = s, *end = s + n;
  gboolean neg = FALSE;
  guint64 mant = 0;
  guint digits = 0, frac = 0;
  gboolean in_frac = FALSE;

  if (p < end && *p == '-')
    {
      neg = TRUE;
      p++;
    }
  for (; p < end; p++)
    {
      if (*p == '.')
        {
          in_frac = TRUE;
          continue;
        }
      if (*p < '0' || *p > '9')
        return FALSE;           /* exponent */
      if (mant != 0 || *p != '0')
        digits++;
      if (digits > 15)
        return FALSE;
      mant = mant * 10 + (guint64) (*p - '0');
      if (in_frac)
        frac++;
    }
  if (frac >= G_N_ELEMENTS (p10))
    return FALSE;
  double d = (double) mant / p10[frac];
  *out = neg ? -d : d;
  return TRUE;
}

static gboolean
parse_meta_value (Parser *ps, SluiceAttrs *meta, const char *key)
{
  skip_ws (ps);
  if (ps->p >= ps->end)
    return expected (ps, "a JSON value");

  char c = *ps->p;
  switch (c)
    {
    case '"':
      {
        Scratch sc;
        sc.heap = NULL;     /* not `= { 0 }`: that clears the whole stack buffer */
        char *owned;
        gsize len;
        char *s = string_to_scratch (ps, &sc, &len, &owned);
        if (s != NULL)
          sluice_attrs_set_clean_string_len (meta, key, s, len);
        g_free (owned);
        g_free (sc.heap);
        return s != NULL;
      }
    case 't':
      if (!scan_literal (ps, "true", 4))
        return FALSE;
      sluice_attrs_set_bool (meta, key, TRUE);
      return TRUE;
    case 'f':
      if (!scan_literal (ps, "false", 5))
        return FALSE;
      sluice_attrs_set_bool (meta, key, FALSE);
      return TRUE;
    case 'n':
      if (!scan_literal (ps, "null", 4))
        return FALSE;
      sluice_attrs_set_null (meta, key);
      return TRUE;
    case '[':
      {
        if (try_string_list (ps, meta, key))
          return TRUE;
        if (ps->failed)
          return FALSE;
        break;   /* a mixed array: keep it as raw JSON */
      }
    case '{':
      break;
    default:
      if (c == '-' || g_ascii_isdigit (c))
        {
          const char *start = ps->p;
          gboolean is_int;
          if (!scan_number (ps, &is_int))
            return FALSE;
          char buf[64];
          double d_fast;
          gsize n = ps->p - start;
          if (n < sizeof buf)
            {
              memcpy (buf, start, n);
              buf[n] = '\0';
              char *stop = NULL;
              errno = 0;
              if (is_int && n <= 18)
                {
                  /* Up to 18 digits cannot overflow a gint64: no strtoll. */
                  const char *d = buf;
                  gboolean neg = *d == '-';
                  gint64 v = 0;
                  for (d += neg; *d; d++)
                    v = v * 10 + (*d - '0');
                  sluice_attrs_set_int (meta, key, neg ? -v : v);
                  return TRUE;
                }
              if (is_int)
                {
                  gint64 v = g_ascii_strtoll (buf, &stop, 10);
                  if (errno == 0 && stop == buf + n)
                    {
                      sluice_attrs_set_int (meta, key, v);
                      return TRUE;
                    }
                }
              else if (decimal_fast (buf, n, &d_fast))
                {
                  sluice_attrs_set_double (meta, key, d_fast);
                  return TRUE;
                }
              else
                {
                  double d = g_ascii_strtod (buf, &stop);
                  if (errno == 0 && stop == buf + n && isfinite (d))
                    {
                      sluice_attrs_set_double (meta, key, d);
                      return TRUE;
                    }
                }
            }
          /* Out of range for gint64 / double, or very long: keep the exact
           * text as a raw JSON value. */
          char *raw = g_strndup (start, n);
          sluice_attrs_set_json_trusted (meta, key, raw);
          g_free (raw);
          return TRUE;
        }
      return expected (ps, "a JSON value");
    }

  /* Objects and mixed arrays: the raw text. */
  gsize len;
  char *raw = dup_raw_value (ps, &len);
  if (raw == NULL)
    return FALSE;
  sluice_attrs_set_json_trusted (meta, key, raw);
  g_free (raw);
  return TRUE;
}

static gboolean
parse_meta (Parser *ps, SluiceAttrs *meta)
{
  if (!enter (ps))
    return FALSE;
  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == '}')
    {
      ps->p++;
      ps->depth--;
      return TRUE;
    }
  for (;;)
    {
      if (ps->p >= ps->end || *ps->p != '"')
        return expected (ps, "a string (member name)");
      Scratch sc;
      sc.heap = NULL;
      char *owned;
      gsize klen;
      char *key = string_to_scratch (ps, &sc, &klen, &owned);
      gboolean ok = key != NULL;
      if (ok)
        {
          skip_ws (ps);
          if (ps->p >= ps->end || *ps->p != ':')
            ok = expected (ps, "':'");
          else
            {
              ps->p++;
              /* The shared copy of the key: the setters find it in their
               * cache by pointer, with no UTF-8 check. */
              const char *shared = sluice_intern_clean_key (key, klen);
              ok = parse_meta_value (ps, meta, shared ? shared : key);
            }
        }
      g_free (owned);
      g_free (sc.heap);
      if (!ok)
        return FALSE;
      skip_ws (ps);
      if (ps->p < ps->end && *ps->p == ',')
        {
          ps->p++;
          skip_ws (ps);
          if (ps->p < ps->end && *ps->p == '}')
            return fail (ps, ps->p, "trailing comma in object");
          continue;
        }
      if (ps->p < ps->end && *ps->p == '}')
        {
          ps->p++;
          ps->depth--;
          return TRUE;
        }
      return expected (ps, "',' or '}'");
    }
}

/* --------------------------------------------------------------- document */

typedef enum { KEY_OTHER, KEY_ID, KEY_TEXT, KEY_META, KEY_DROP } KeyKind;

static KeyKind
classify_key (const char *raw, gsize len, gboolean escaped)
{
  if (escaped)
    return KEY_OTHER;   /* decoded below if needed */
  switch (len)
    {
    case 2:
      return memcmp (raw, "id", 2) == 0 ? KEY_ID : KEY_OTHER;
    case 4:
      if (memcmp (raw, "text", 4) == 0)
        return KEY_TEXT;
      if (memcmp (raw, "meta", 4) == 0)
        return KEY_META;
      return KEY_OTHER;
    case 5:
      return memcmp (raw, "views", 5) == 0 ? KEY_DROP : KEY_OTHER;
    case 6:
      return memcmp (raw, "source", 6) == 0 ? KEY_DROP : KEY_OTHER;
    case 11:
      return memcmp (raw, "annotations", 11) == 0 ? KEY_DROP : KEY_OTHER;
    default:
      return KEY_OTHER;
    }
}

gboolean
sluice_json_validate_value (const char *json, gsize len, GError **error)
{
  Parser ps = { .base = json, .p = json, .end = json + len, .error = error };
  if (!skip_value (&ps))
    return FALSE;
  skip_ws (&ps);
  if (ps.p < ps.end)
    {
      fail (&ps, ps.p, "text after the JSON value");
      return FALSE;
    }
  return TRUE;
}

gboolean
sluice_json_parse_document (const char *line, gsize len,
                            char **id, char **text, gsize *text_len,
                            guint *n_replaced,
                            SluiceAttrs *meta, GString *extra,
                            GError **error)
{
  return sluice_json_parse_document_full (line, len, id, text, text_len, NULL, n_replaced, meta,
                                          extra, error);
}

gboolean
sluice_json_parse_document_full (const char *line, gsize len,
                                 char **id, char **text, gsize *text_len,
                                 gboolean *text_clean, guint *n_replaced,
                                 SluiceAttrs *meta, GString *extra,
                                 GError **error)
{
  Parser ps = { .base = line, .p = line, .end = line + len, .error = error };
  char *the_id = NULL;
  char *the_text = NULL;
  gsize the_text_len = 0;
  gboolean the_text_clean = FALSE;
  gboolean have_text = FALSE;
  gsize extra_start = extra ? extra->len : 0;

  g_return_val_if_fail (line != NULL || len == 0, FALSE);

  skip_ws (&ps);
  if (ps.p >= ps.end || *ps.p != '{')
    {
      expected (&ps, "'{' (a JSON object)");
      goto failed;
    }
  ps.depth = 1;
  ps.p++;
  skip_ws (&ps);
  if (ps.p < ps.end && *ps.p == '}')
    ps.p++;
  else
    for (;;)
      {
        const char *raw;
        gsize raw_len;
        gboolean esc;
        const char *key_start = ps.p;

        if (ps.p >= ps.end || *ps.p != '"')
          {
            expected (&ps, "a string (member name)");
            goto failed;
          }
        if (plain_string (&ps, &raw, &raw_len))
          esc = FALSE;
        else if (!scan_string (&ps, &raw, &raw_len, &esc))
          goto failed;
        const char *key_end = ps.p;
        KeyKind kind = classify_key (raw, raw_len, esc);
        if (esc)
          {
            /* A key written with escapes ("t\u0065xt") means the same. */
            Scratch sc;
            sc.heap = NULL;
            char *buf = scratch_get (&sc, raw_len + 1);
            /* Decoded only to classify it: what decoding replaces here is
             * not replaced in the output (other members pass through raw). */
            guint before = ps.n_replaced;
            gsize dlen = decode_string (&ps, raw, raw_len, buf);
            ps.n_replaced = before;
            kind = classify_key (buf, dlen, FALSE);
            g_free (sc.heap);
          }
        skip_ws (&ps);
        if (ps.p >= ps.end || *ps.p != ':')
          {
            expected (&ps, "':'");
            goto failed;
          }
        ps.p++;
        skip_ws (&ps);
        const char *value_start = ps.p;

        switch (kind)
          {
          case KEY_TEXT:
            if (ps.p >= ps.end || *ps.p != '"')
              {
                if (!skip_value (&ps))
                  goto failed;
                fail (&ps, value_start, "\"text\" is not a string");
                goto failed;
              }
            g_free (the_text);
            {
              gsize room = (gsize) (ps.end - ps.p);
              the_text = g_malloc (room);
              gssize n = decode_string_fast (&ps, the_text, &the_text_clean);
              if (n >= 0)
                {
                  the_text_len = (gsize) n;
                  /* Room is the rest of the line: give back what the
                   * members after the text took when that is much (a
                   * realloc costs more than decoding 1 KB). */
                  gsize waste = room - the_text_len - 1;
                  if (waste > 1024 || waste > the_text_len / 2)
                    the_text = g_realloc (the_text, the_text_len + 1);
                }
              else
                {
                  /* A syntax error: scan_string reports it. */
                  g_free (the_text);
                  the_text = parse_string_dup (&ps, &the_text_len);
                  if (the_text == NULL)
                    goto failed;
                  the_text_clean = FALSE;
                }
            }
            have_text = TRUE;
            break;

          case KEY_ID:
            g_clear_pointer (&the_id, g_free);
            if (ps.p < ps.end && *ps.p == '"')
              {
                gsize idlen;
                the_id = parse_clean_string (&ps, &idlen);
                if (the_id == NULL)
                  goto failed;
              }
            else if (ps.p < ps.end && (*ps.p == '-' || g_ascii_isdigit (*ps.p)))
              {
                gboolean is_int;
                if (!scan_number (&ps, &is_int))
                  goto failed;
                the_id = g_strndup (value_start, ps.p - value_start);
              }
            else if (ps.p < ps.end && *ps.p == 'n')
              {
                if (!scan_literal (&ps, "null", 4))   /* null: no id */
                  goto failed;
              }
            else
              {
                if (!skip_value (&ps))
                  goto failed;
                fail (&ps, value_start, "\"id\" is not a string or a number");
                goto failed;
              }
            break;

          case KEY_META:
            if (meta != NULL)
              {
                sluice_attrs_clear (meta);   /* a repeated "meta": the last wins */
                sluice_attrs_init (meta);
              }
            if (ps.p < ps.end && *ps.p == '{')
              {
                if (meta != NULL)
                  {
                    if (!parse_meta (&ps, meta))
                      goto failed;
                  }
                else if (!skip_value (&ps))
                  goto failed;
              }
            else if (ps.p < ps.end && *ps.p == 'n')
              {
                if (!scan_literal (&ps, "null", 4))   /* null: no metadata */
                  goto failed;
              }
            else
              {
                if (!skip_value (&ps))
                  goto failed;
                fail (&ps, value_start, "\"meta\" is not an object");
                goto failed;
              }
            break;

          case KEY_DROP:
            if (!skip_value (&ps))
              goto failed;
            break;

          case KEY_OTHER:
          default:
            if (!skip_value (&ps))
              goto failed;
            if (extra != NULL)
              {
                gsize at = extra->len;
                g_string_append_c (extra, ',');
                gsize key_at = extra->len;
                g_string_append_len (extra, key_start, key_end - key_start);
                /* A NUL in a member name ("id\u0000") reads as another name
                 * ("id") to C-string readers: make it U+FFFD. */
                for (char *k = extra->str + key_at; (k = strstr (k, "\\u0000")) != NULL; k += 6)
                  {
                    /* Only an escape, not an escaped backslash before "u0000". */
                    gsize bs = 0;
                    for (char *b = k; b > extra->str + key_at && b[-1] == '\\'; b--)
                      bs++;
                    if (bs % 2 == 0)
                      memcpy (k + 2, "fffd", 4);
                  }
                g_string_append_c (extra, ':');
                g_string_append_len (extra, value_start, ps.p - value_start);
                const char *m = extra->str + at;
                gsize mlen = extra->len - at;
                ps.n_replaced += sluice_json_fix_lone_surrogates (extra->str + at, mlen);
                if (!sluice_utf8_is_clean (m, mlen))
                  {
                    /* Replace invalid bytes (they can only be inside
                     * strings, so the JSON stays valid). */
                    char *copy = g_strndup (m, mlen);
                    g_string_truncate (extra, at);
                    ps.n_replaced += sluice_utf8_sanitize (copy, mlen, extra);
                    g_free (copy);
                  }
              }
            break;
          }

        skip_ws (&ps);
        if (ps.p < ps.end && *ps.p == ',')
          {
            ps.p++;
            skip_ws (&ps);
            if (ps.p < ps.end && *ps.p == '}')
              {
                fail (&ps, ps.p, "trailing comma in object");
                goto failed;
              }
            continue;
          }
        if (ps.p < ps.end && *ps.p == '}')
          {
            ps.p++;
            break;
          }
        expected (&ps, "',' or '}'");
        goto failed;
      }

  skip_ws (&ps);
  if (ps.p < ps.end)
    {
      char buf[16];
      fail (&ps, ps.p, "unexpected %s after the JSON object", describe (ps.p, ps.end, buf));
      goto failed;
    }
  if (!have_text)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "no \"text\" member");
      goto failed;
    }

  *id = the_id;
  *text = the_text;
  *text_len = the_text_len;
  if (text_clean != NULL)
    *text_clean = the_text_clean;
  if (n_replaced != NULL)
    *n_replaced = ps.n_replaced;
  return TRUE;

failed:
  g_free (the_id);
  g_free (the_text);
  if (extra != NULL)
    g_string_truncate (extra, extra_start);
  *id = NULL;
  *text = NULL;
  *text_len = 0;
  if (text_clean != NULL)
    *text_clean = FALSE;
  if (n_replaced != NULL)
    *n_replaced = 0;
  return FALSE;
}
