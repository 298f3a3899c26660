/* sluice — the JSONL writer.
 *
 * Hand-written rather than json-glib: building a JsonNode tree per document
 * and generating from it runs several times slower than the runner's target
 * (see bench/README.md for the measurement); json-glib stays the oracle of
 * tests/test_json.c, which parses everything written here.
 *
 * Format of one document (one line, no spaces):
 *   {"id":..,"source":..,"text":..,"meta":{..},
 *    "annotations":[{"type","start","end","text","stage","attrs":{..}}, ...]
 *    [,"views":[{"stage":..,"text":..}, ...]] <extra members>}
 * - start/end are Unicode code point offsets into "text", end exclusive;
 * - annotations are sorted by (start, -end, insertion order);
 * - doubles are written in the shortest form that reads back to the same
 *   double; an integral double always keeps a ".0" (20.0, -3.0, 1e+21), so a
 *   value that was a double stays a double for a reader that cares; NaN and
 *   infinities are written as null;
 * - strings: '"', '\\' and control characters U+0000..U+001F are escaped
 *   (\b \t \n \f \r or \u00XX); everything else, DEL and U+2028/U+2029
 *   included, is written as UTF-8 bytes.
 * - a NULL id or source is written as null.
 */
#include "internal.h"
#include "bytescan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif



/* memcpy for the short strings that are most copies here, without a call:
 * two overlapping loads and stores. */
static inline void
copy_small (char *o, const char *s, gsize n)
{
  if (n >= 8 && n <= 16)
    {
      guint64 a, b;
      memcpy (&a, s, 8);
      memcpy (&b, s + n - 8, 8);
      memcpy (o, &a, 8);
      memcpy (o + n - 8, &b, 8);
    }
  else if (n >= 4 && n < 8)
    {
      guint32 a, b;
      memcpy (&a, s, 4);
      memcpy (&b, s + n - 4, 4);
      memcpy (o, &a, 4);
      memcpy (o + n - 4, &b, 4);
    }
  else if (n > 0 && n < 4)
    {
      o[0] = s[0];
      o[n / 2] = s[n / 2];
      o[n - 1] = s[n - 1];
    }
  else if (n > 16)
    memcpy (o, s, n);
}

/* g_string_append_len without the overlap checks of g_string_insert_len.
 * put() and putc1() leave the terminating NUL to the end of each exported
 * function (terminate()): there is always room for it. */
static inline void
put (GString *out, const char *s, gsize n)
{
  if (G_LIKELY (out->len + n < out->allocated_len))
    {
      copy_small (out->str + out->len, s, n);
      out->len += n;
    }
  else
    g_string_append_len (out, s, n);
}

static inline void
putc1 (GString *out, char c)
{
  if (G_LIKELY (out->len + 1 < out->allocated_len))
    out->str[out->len++] = c;
  else
    g_string_append_c (out, c);
}

static inline void
terminate (GString *out)
{
  out->str[out->len] = '\0';
}

#define PUT_LIT(out, lit) put ((out), (lit), sizeof (lit) - 1)

static const char digit_pairs[201] =
  "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
  "8081828384858687888990919293949596979899";

/* Writes v in decimal at o (room for 20 bytes); returns the new end. */
static inline char *
write_uint (char *o, guint64 v)
{
  char buf[24];
  char *e = buf + sizeof buf;
  char *p = e;
  while (v >= 100)
    {
      guint d = (guint) (v % 100);
      v /= 100;
      p -= 2;
      memcpy (p, digit_pairs + 2 * d, 2);
    }
  if (v >= 10)
    {
      p -= 2;
      memcpy (p, digit_pairs + 2 * v, 2);
    }
  else
    *--p = (char) ('0' + v);
  gsize n = (gsize) (e - p);
  copy_small (o, p, n);
  return o + n;
}

static void
put_uint (GString *out, guint64 v)
{
  if (G_UNLIKELY (out->len + 21 >= out->allocated_len))
    {
      gsize at = out->len;
      g_string_set_size (out, at + 21 + 16);
      g_string_truncate (out, at);
    }
  out->len = (gsize) (write_uint (out->str + out->len, v) - out->str);
}

static void
put_int (GString *out, gint64 v)
{
  if (v < 0)
    {
      putc1 (out, '-');
      put_uint (out, (guint64) 0 - (guint64) v);
    }
  else
    put_uint (out, (guint64) v);
}

static const char hexdigits[] = "0123456789abcdef";

/* Bytes that must be escaped inside a JSON string. */
static const guint8 needs_escape[256] = {
  [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1, [0x07] = 1,
  [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1,
  [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
  [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1,
  ['"'] = 1, ['\\'] = 1,
};

/* Writes the escape sequence of byte c (one needs_escape[] byte) at o;
 * returns the new end. */
static inline char *
put_escape (char *o, guchar c)
{
  *o++ = '\\';
  switch (c)
    {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\t': *o++ = 't'; break;
    case '\n': *o++ = 'n'; break;
    case '\f': *o++ = 'f'; break;
    case '\r': *o++ = 'r'; break;
    default:
      *o++ = 'u';
      *o++ = '0';
      *o++ = '0';
      *o++ = hexdigits[c >> 4];
      *o++ = hexdigits[c & 0xF];
      break;
    }
  return o;
}

/* Makes room for n more bytes (and the NUL) without changing out->len. */
static inline void
reserve (GString *out, gsize n)
{
  if (G_UNLIKELY (out->len + n >= out->allocated_len))
    {
      gsize at = out->len;
      g_string_set_size (out, at + n + 16);
      g_string_truncate (out, at);
    }
}

/* A string known to hold no byte that needs escaping. */
static inline void
put_plain_string (GString *out, const char *s, gsize len)
{
  reserve (out, len + 2);
  char *o = out->str + out->len;
  *o++ = '"';
  copy_small (o, s, len);
  o += len;
  *o++ = '"';
  out->len = (gsize) (o - out->str);
}

/* The short-string path: 8 bytes at a time while no byte needs escaping,
 * then byte by byte.  The caller reserved len * 6 + 3 bytes. */
static inline char *
escape_short (char *o, const char *p, const char *end)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  while (end - p >= 8)
    {
      guint64 x = sluice_load64 (p);
      guint64 m = sluice_json_special64 (x);
      if (G_LIKELY (m == 0))
        {
          memcpy (o, &x, 8);
          o += 8;
          p += 8;
          continue;
        }
      /* The lowest flagged byte is exact (borrows only run upwards). */
      guint k = (guint) __builtin_ctzll (m) >> 3;
      memcpy (o, &x, 8);      /* room: len * 6 >= 8 here */
      o += k;
      o = put_escape (o, (guchar) p[k]);
      p += k + 1;
    }
#endif
  for (; p < end; p++)
    {
      guchar c = (guchar) *p;
      if (G_LIKELY (!needs_escape[c]))
        *o++ = (char) c;
      else
        o = put_escape (o, c);
    }
  return o;
}

void
sluice_json_append_string (GString *out, const char *s, gsize len)
{
  const char *p = s;
  const char *end = s + len;

  /* Short strings (keys, types, attribute values) are most calls: a word
   * loop beats the vector scan's set-up. */
  if (len <= 24)
    {
      reserve (out, len * 6 + 3);
      char *o = out->str + out->len;
      *o++ = '"';
      o = escape_short (o, p, end);
      *o++ = '"';
      *o = '\0';
      out->len = (gsize) (o - out->str);
      return;
    }

#ifdef __SSE2__
  /* One pass: 16 bytes loaded, stored and checked at a time, an escape
   * written where one is flagged.  Invariant at every step: room for the
   * rest unescaped, a 16-byte store run-ahead, the closing quote and the
   * NUL (lim - o >= end - p + 18); an escape (up to 6 bytes for 1) makes
   * more room when that would break it. */
  reserve (out, len + 19);
  const char *last = end - 16;  /* len > 24: inside the string */
  char *o = out->str + out->len;
  char *lim = out->str + out->allocated_len;
  *o++ = '"';
  for (;;)
    {
      guint mask = 0;
      while (p <= last)
        {
          __m128i x = _mm_loadu_si128 ((const __m128i *) p);
          _mm_storeu_si128 ((__m128i *) o, x);
          mask = (guint) _mm_movemask_epi8 (sluice_json_special16 (x));
          if (mask != 0)
            break;
          p += 16;
          o += 16;
        }
      guint k;
      if (mask != 0)
        k = (guint) __builtin_ctz (mask);
      else
        {
          /* Fewer than 16 bytes left: check the last 16 of the string
           * (len > 24) and keep the flags of the bytes from p on. */
          gsize rest = (gsize) (end - p);
          if (rest == 0)
            break;
          __m128i x = _mm_loadu_si128 ((const __m128i *) (end - 16));
          guint m = (guint) _mm_movemask_epi8 (sluice_json_special16 (x));
          m >>= 16 - rest;
          if (rest >= 16)
            __builtin_unreachable ();
          if (m == 0)
            {
              copy_small (o, p, rest);
              o += rest;
              break;
            }
          k = (guint) __builtin_ctz (m);
          copy_small (o, p, k);
        }
      p += k;
      o += k;
      if (G_UNLIKELY ((gsize) (lim - o) < (gsize) (end - p) + 23))
        {
          out->len = (gsize) (o - out->str);
          reserve (out, (gsize) (end - p) + (gsize) (end - p) / 4 + 64);
          o = out->str + out->len;
          lim = out->str + out->allocated_len;
        }
      o = put_escape (o, (guchar) *p);
      p++;
    }
  *o++ = '"';
  *o = '\0';
  out->len = (gsize) (o - out->str);
#else
  /* One reservation for the common case of few escapes. */
  reserve (out, len + 3);
  putc1 (out, '"');
  for (;;)
    {
      const char *q = sluice_json_find_special (p, end);
      if (q > p)
        put (out, p, q - p);
      if (q == end)
        break;
      reserve (out, 6);
      out->len = (gsize) (put_escape (out->str + out->len, (guchar) *q) - out->str);
      p = q + 1;
    }
  putc1 (out, '"');
  terminate (out);
#endif
}

static inline void
append_cstring (GString *out, const char *s)
{
  if (s == NULL)
    PUT_LIT (out, "null");
  else
    sluice_json_append_string (out, s, strlen (s));
}

/* Fast path for the common doubles (scores, amounts): d == M / 10^k with
 * an integer |M| < 2^53 and k <= 6.  The decimal M/10^k then reads back to d
 * exactly (strtod and the IEEE division M / 10^k both round the same
 * rational correctly) and, k being minimal, it is the shortest form — the
 * same digits %.15g gives, without printf and strtod. */
static gboolean
append_double_fast (GString *out, double d)
{
  static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
  static const guint64 i10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

  if (d == 0)
    {
      if (signbit (d))
        PUT_LIT (out, "-0.0");
      else
        PUT_LIT (out, "0.0");
      return TRUE;
    }
  double a = fabs (d);
  if (!(a >= 1e-4 && a < 1e15))
    return FALSE;               /* %g would use an exponent */
  for (guint k = 0; k < G_N_ELEMENTS (p10); k++)
    {
      double m = a * p10[k];
      if (m >= 9007199254740992.0)
        return FALSE;
      if (m == floor (m) && m / p10[k] == a)
        {
          guint64 im = (guint64) m;
          if (d < 0)
            putc1 (out, '-');
          put_uint (out, im / i10[k]);
          putc1 (out, '.');
          if (k == 0)
            putc1 (out, '0');
          else
            {
              char frac[8];
              guint64 f = im % i10[k];
              for (guint j = k; j > 0; j--)
                {
                  frac[j - 1] = (char) ('0' + f % 10);
                  f /= 10;
                }
              put (out, frac, k);
            }
          return TRUE;
        }
    }
  return FALSE;
}

static void
append_double (GString *out, double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (d))
    {
      PUT_LIT (out, "null");
      return;
    }
  if (append_double_fast (out, d))
    return;
  /* Shortest of %.15g, %.16g, %.17g that reads back to the same value. */
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], d);
      if (i == G_N_ELEMENTS (formats) - 1 || g_ascii_strtod (buf, NULL) == d)
        break;
    }
  g_string_append (out, buf);
  /* Integral: "20" -> "20.0" (but "1e+21" is already a double literal). */
  if (strpbrk (buf, ".eEn") == NULL)
    PUT_LIT (out, ".0");
}

void
sluice_json_append_attr_value (GString *out, const SluiceAttr *attr)
{
  switch (attr->type)
    {
    case SLUICE_VALUE_STRING:
      if (attr->value_shared && sluice_shared_header (attr->v.s)->plain)
        put_plain_string (out, attr->v.s, sluice_shared_header (attr->v.s)->len);
      else
        append_cstring (out, attr->v.s);
      break;
    case SLUICE_VALUE_INT:
      put_int (out, attr->v.i);
      break;
    case SLUICE_VALUE_DOUBLE:
      append_double (out, attr->v.d);
      break;
    case SLUICE_VALUE_BOOL:
      if (attr->v.b)
        PUT_LIT (out, "true");
      else
        PUT_LIT (out, "false");
      break;
    case SLUICE_VALUE_STRING_LIST:
      putc1 (out, '[');
      if (attr->v.list != NULL)
        for (guint i = 0; attr->v.list[i] != NULL; i++)
          {
            if (i > 0)
              putc1 (out, ',');
            append_cstring (out, attr->v.list[i]);
          }
      putc1 (out, ']');
      break;
    case SLUICE_VALUE_JSON:
      if (attr->v.s != NULL && attr->v.s[0] != '\0')
        g_string_append (out, attr->v.s);
      else
        PUT_LIT (out, "null");
      break;
    case SLUICE_VALUE_NULL:
    case SLUICE_VALUE_NONE:
    default:
      PUT_LIT (out, "null");
      break;
    }
  terminate (out);
}

void
sluice_json_append_attrs (GString *out, const SluiceAttrs *attrs)
{
  putc1 (out, '{');
  if (attrs != NULL)
    for (guint i = 0; i < attrs->n; i++)
      {
        const SluiceAttr *a = &attrs->items[i];
        /* The common attribute: a shared key and an integer, boolean, null
         * or shared string value, none needing escapes: one reservation,
         * then plain stores. */
        if (!a->key_owned && sluice_shared_header (a->key)->plain
            && (a->type == SLUICE_VALUE_INT || a->type == SLUICE_VALUE_BOOL
                || a->type == SLUICE_VALUE_NULL
                || (a->type == SLUICE_VALUE_STRING && a->value_shared
                    && sluice_shared_header (a->v.s)->plain)))
          {
            gsize klen = sluice_shared_header (a->key)->len;
            gsize vmax = a->type == SLUICE_VALUE_STRING ? sluice_shared_header (a->v.s)->len + 2 : 21;
            reserve (out, klen + 4 + vmax);
            char *o = out->str + out->len;
            if (i > 0)
              *o++ = ',';
            *o++ = '"';
            copy_small (o, a->key, klen);
            o += klen;
            *o++ = '"';
            *o++ = ':';
            switch (a->type)
              {
              case SLUICE_VALUE_INT:
                if (a->v.i < 0)
                  {
                    *o++ = '-';
                    o = write_uint (o, (guint64) 0 - (guint64) a->v.i);
                  }
                else
                  o = write_uint (o, (guint64) a->v.i);
                break;
              case SLUICE_VALUE_BOOL:
                if (a->v.b)
                  {
                    memcpy (o, "true", 4);
                    o += 4;
                  }
                else
                  {
                    memcpy (o, "false", 5);
                    o += 5;
                  }
                break;
              case SLUICE_VALUE_STRING:
                {
                  gsize vlen = sluice_shared_header (a->v.s)->len;
                  *o++ = '"';
                  copy_small (o, a->v.s, vlen);
                  o += vlen;
                  *o++ = '"';
                  break;
                }
              default:
                memcpy (o, "null", 4);
                o += 4;
                break;
              }
            out->len = (gsize) (o - out->str);
            continue;
          }
        if (i > 0)
          putc1 (out, ',');
        if (!a->key_owned && sluice_shared_header (a->key)->plain)
          put_plain_string (out, a->key, sluice_shared_header (a->key)->len);
        else
          append_cstring (out, a->key);
        putc1 (out, ':');
        sluice_json_append_attr_value (out, a);
      }
  putc1 (out, '}');
  terminate (out);
}

/* ------------------------------------------------------------ annotations */

typedef struct {
  gsize start, end;   /* bytes */
  guint idx;          /* insertion order */
} AnnRef;

/* x goes before y: by start, longer first.  Ties keep insertion order,
 * since the sort below is stable and refs start in insertion order. */
static inline gboolean
ann_before (const AnnRef *x, const AnnRef *y)
{
  return x->start < y->start || (x->start == y->start && x->end > y->end);
}

/* Stable sort of refs by ann_before: insertion sort of runs of 16, then
 * bottom-up merges through tmp (n entries).  Stages add annotations in a
 * few sorted runs, which this handles without qsort's indirect calls. */
static void
sort_refs (AnnRef *refs, AnnRef *tmp, guint n)
{
  const guint run = 16;
  for (guint lo = 0; lo < n; lo += run)
    {
      guint hi = MIN (lo + run, n);
      for (guint i = lo + 1; i < hi; i++)
        {
          AnnRef x = refs[i];
          guint j = i;
          while (j > lo && ann_before (&x, &refs[j - 1]))
            {
              refs[j] = refs[j - 1];
              j--;
            }
          refs[j] = x;
        }
    }
  AnnRef *src = refs, *dst = tmp;
  for (guint width = run; width < n; width *= 2)
    {
      for (guint lo = 0; lo < n; lo += 2 * width)
        {
          guint mid = MIN (lo + width, n), hi = MIN (lo + 2 * width, n);
          guint i = lo, j = mid, k = lo;
          if (mid == hi || !ann_before (&src[mid], &src[mid - 1]))
            {
              /* Already in order (a single sorted run): copy. */
              memcpy (dst + lo, src + lo, (hi - lo) * sizeof *src);
              continue;
            }
          while (i < mid && j < hi)
            dst[k++] = ann_before (&src[j], &src[i]) ? src[j++] : src[i++];
          while (i < mid)
            dst[k++] = src[i++];
          while (j < hi)
            dst[k++] = src[j++];
        }
      AnnRef *t = src;
      src = dst;
      dst = t;
    }
  if (src != refs)
    memcpy (refs, src, n * sizeof *refs);
}

/* Continuation bytes (10xxxxxx) in the word x, summed by a multiply. */
static inline gsize
conts64 (guint64 x)
{
  return (((x >> 7) & (~x >> 6) & SLUICE_ONES) * SLUICE_ONES) >> 56;
}

/* Code points in [p, end): bytes that are not continuation bytes.  At
 * least 8 bytes of the text lie before end when end - base >= 8: the last
 * 1..7 bytes are then counted from the word that ends at end, with the
 * bytes before p shifted out, instead of byte by byte. */
static inline gsize
count_chars_short (const char *base, const char *p, const char *end)
{
  gsize n = (gsize) (end - p);
  gsize conts = 0;
  while (end - p >= 8)
    {
      guint64 x = sluice_load64 (p);
      if (x & SLUICE_HIGHS)
        conts += conts64 (x);
      p += 8;
    }
  gsize rest = (gsize) (end - p);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  if (rest > 0 && end - base >= 8)
    {
      /* Little-endian: the last `rest` bytes are the high ones. */
      guint64 x = sluice_load64 (end - 8) >> (8 * (8 - rest));
      if (x & SLUICE_HIGHS)
        conts += conts64 (x);
      return n - conts;
    }
#endif
  for (; p < end; p++)
    conts += ((guchar) *p & 0xC0) == 0x80;
  return n - conts;
}

/* Annotation types and stage names are interned (permanent, one pointer per
 * string) and repeat within a document: their JSON form is worked out once
 * per document. */
typedef struct {
  const char *s;
  gsize len;
  gboolean plain;
} NameMemo;

#define N_NAME_MEMO 8

/* The memo entry of s, added if there is room, else filled in *tmp. */
static inline const NameMemo *
name_memo (const char *s, NameMemo *memo, guint *n_memo, NameMemo *tmp)
{
  for (guint i = 0; i < *n_memo; i++)
    if (memo[i].s == s)
      return &memo[i];
  NameMemo *m = *n_memo < N_NAME_MEMO ? &memo[(*n_memo)++] : tmp;
  m->s = s;
  m->len = strlen (s);
  m->plain = sluice_json_find_special (s, s + m->len) == s + m->len;
  return m;
}

static inline char *
write_lit (char *o, const char *lit, gsize n)
{
  memcpy (o, lit, n);
  return o + n;
}

#define WRITE_LIT(o, lit) write_lit ((o), (lit), sizeof (lit) - 1)

static inline char *
write_plain_string (char *o, const char *s, gsize len)
{
  *o++ = '"';
  copy_small (o, s, len);
  o += len;
  *o++ = '"';
  return o;
}

static void
append_name (GString *out, const char *s, NameMemo *memo, guint *n_memo)
{
  for (guint i = 0; i < *n_memo; i++)
    if (memo[i].s == s)
      {
        if (memo[i].plain)
          put_plain_string (out, s, memo[i].len);
        else
          sluice_json_append_string (out, s, memo[i].len);
        return;
      }
  gsize len = strlen (s);
  if (*n_memo < N_NAME_MEMO)
    {
      memo[*n_memo].s = s;
      memo[*n_memo].len = len;
      memo[*n_memo].plain = sluice_json_find_special (s, s + len) == s + len;
      (*n_memo)++;
    }
  sluice_json_append_string (out, s, len);
}

#define N_STACK_REFS 64

static void
write_annotations (GString *out, const SluiceDocument *doc)
{
  guint n = doc->annotations ? doc->annotations->len : 0;

  PUT_LIT (out, "\"annotations\":[");
  if (n == 0)
    {
      putc1 (out, ']');
      return;
    }

  AnnRef stack_refs[2 * N_STACK_REFS];
  AnnRef *refs = n <= N_STACK_REFS ? stack_refs : g_new (AnnRef, 2 * (gsize) n);

  for (guint i = 0; i < n; i++)
    {
      const SluiceAnnotation *ann = g_ptr_array_index (doc->annotations, i);
      gsize s = MIN (ann->start, doc->len);
      gsize e = MIN (MAX (ann->end, s), doc->len);
      refs[i].start = s;
      refs[i].end = e;
      refs[i].idx = i;
    }
  /* Stages mostly add annotations in order: sort only when needed. */
  gboolean sorted = TRUE;
  for (guint i = 1; i < n && sorted; i++)
    sorted = !ann_before (&refs[i], &refs[i - 1]);
  if (!sorted)
    sort_refs (refs, refs + n, n);

  /* Byte -> code point offsets: the starts are sorted, so a cursor moves
   * once over the text up to the last start; an end is its start plus the
   * code points of the annotation's text. */
  gsize at_byte = 0, at_cp = 0;
  NameMemo memo[N_NAME_MEMO];
  guint n_memo = 0;
  for (guint i = 0; i < n; i++)
    {
      const SluiceAnnotation *ann = g_ptr_array_index (doc->annotations, refs[i].idx);
      const char *text = doc->text + refs[i].start;
      gsize tlen = refs[i].end - refs[i].start;
      if (refs[i].start - at_byte >= 32)
        at_cp += sluice_utf8_count_chars (doc->text + at_byte, refs[i].start - at_byte);
      else
        at_cp += count_chars_short (doc->text, doc->text + at_byte, text);
      at_byte = refs[i].start;
      gsize end_cp = at_cp + (tlen >= 32 ? sluice_utf8_count_chars (text, tlen)
                                         : count_chars_short (doc->text, text, text + tlen));
      NameMemo tmp_type, tmp_stage;
      const NameMemo *mt = name_memo (ann->type, memo, &n_memo, &tmp_type);
      const NameMemo *ms = name_memo (ann->stage ? ann->stage : "", memo, &n_memo, &tmp_stage);
      if (G_LIKELY (mt->plain && ms->plain && tlen <= 24))
        {
          /* The common case at once: one reservation, then plain stores. */
          reserve (out, 80 + mt->len + ms->len + 2 * 20 + tlen * 6);
          char *o = out->str + out->len;
          if (i > 0)
            *o++ = ',';
          o = WRITE_LIT (o, "{\"type\":");
          o = write_plain_string (o, mt->s, mt->len);
          o = WRITE_LIT (o, ",\"start\":");
          o = write_uint (o, at_cp);
          o = WRITE_LIT (o, ",\"end\":");
          o = write_uint (o, end_cp);
          o = WRITE_LIT (o, ",\"text\":\"");
          o = escape_short (o, text, text + tlen);
          o = WRITE_LIT (o, "\",\"stage\":");
          o = write_plain_string (o, ms->s, ms->len);
          o = WRITE_LIT (o, ",\"attrs\":");
          out->len = (gsize) (o - out->str);
          sluice_json_append_attrs (out, &ann->attrs);
          putc1 (out, '}');
          continue;
        }
      if (i > 0)
        putc1 (out, ',');
      PUT_LIT (out, "{\"type\":");
      append_name (out, ann->type, memo, &n_memo);
      PUT_LIT (out, ",\"start\":");
      put_uint (out, at_cp);
      PUT_LIT (out, ",\"end\":");
      put_uint (out, end_cp);
      PUT_LIT (out, ",\"text\":");
      sluice_json_append_string (out, text, tlen);
      PUT_LIT (out, ",\"stage\":");
      append_name (out, ann->stage ? ann->stage : "", memo, &n_memo);
      PUT_LIT (out, ",\"attrs\":");
      sluice_json_append_attrs (out, &ann->attrs);
      putc1 (out, '}');
    }
  putc1 (out, ']');

  if (refs != stack_refs)
    g_free (refs);
}

void
sluice_json_write_document (GString *out, const SluiceDocument *doc, gboolean emit_views)
{
  PUT_LIT (out, "{\"id\":");
  append_cstring (out, doc->id);
  PUT_LIT (out, ",\"source\":");
  append_cstring (out, doc->source);
  PUT_LIT (out, ",\"text\":");
  sluice_json_append_string (out, doc->text ? doc->text : "", doc->text ? doc->len : 0);
  PUT_LIT (out, ",\"meta\":");
  sluice_json_append_attrs (out, &doc->meta);
  putc1 (out, ',');
  write_annotations (out, doc);

  if (emit_views && doc->views != NULL && doc->views->len > 0)
    {
      PUT_LIT (out, ",\"views\":[");
      for (guint i = 0; i < doc->views->len; i++)
        {
          const SluiceView *v = &g_array_index (doc->views, SluiceView, i);
          if (i > 0)
            putc1 (out, ',');
          PUT_LIT (out, "{\"stage\":");
          append_cstring (out, v->stage ? v->stage : "");
          PUT_LIT (out, ",\"text\":");
          sluice_json_append_string (out, v->text ? v->text : "", v->text ? v->len : 0);
          putc1 (out, '}');
        }
      putc1 (out, ']');
    }

  if (doc->extra_json != NULL && doc->extra_json_len > 0)
    g_string_append_len (out, doc->extra_json, doc->extra_json_len);
  PUT_LIT (out, "}\n");
  terminate (out);
}

char *
sluice_document_to_json (const SluiceDocument *doc)
{
  g_return_val_if_fail (doc != NULL, NULL);

  GString *out = g_string_sized_new (doc->len + 256);
  sluice_json_write_document (out, doc, doc->keep_views);
  if (out->len > 0 && out->str[out->len - 1] == '\n')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}
