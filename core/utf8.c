/* sluice — UTF-8 helpers: validation with an ASCII fast path, sanitising
 * (invalid sequences and NUL bytes -> U+FFFD) and code point counting.
 *
 * Feed text is mostly ASCII with a few curly quotes, dashes and names in
 * other scripts, so every function walks ASCII 16 bytes at a time (SSE2, or
 * 8 bytes at a time with word tricks elsewhere) and does per-byte work only
 * around non-ASCII characters. */
#include "internal.h"
#include "bytescan.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ONES  SLUICE_ONES
#define HIGHS SLUICE_HIGHS


/* Non-zero when some byte of x is 0x00 or >= 0x80. */
static inline guint64
zero_or_high (guint64 x)
{
  return ((x - ONES) | x) & HIGHS;
}

/* The first byte in [p, end) that is 0x00 or >= 0x80, or end. */
static inline const guchar *
skip_ascii (const guchar *p, const guchar *end)
{
#ifdef __SSE2__
  const __m128i zero = _mm_setzero_si128 ();
  while (end - p >= 16)
    {
      __m128i x = _mm_loadu_si128 ((const __m128i *) p);
      int mask = _mm_movemask_epi8 (_mm_or_si128 (x, _mm_cmpeq_epi8 (x, zero)));
      if (mask != 0)
        return p + __builtin_ctz (mask);
      p += 16;
    }
#endif
  while (end - p >= 8 && !zero_or_high (sluice_load64 ((const char *) p)))
    p += 8;
  while (p < end && *p != 0 && *p < 0x80)
    p++;
  return p;
}

/* Length of the longest prefix of `in` that is valid UTF-8 without NUL.
 *
 * The multi-byte part follows Table 3-7 of the Unicode Standard ("Well-Formed
 * UTF-8 Byte Sequences") — the same rules as g_utf8_validate_len(), which
 * tests/test_json.c uses as the oracle on random bytes.  It is written out
 * here because GLib's validator runs at about 700 MB/s on Cyrillic text,
 * which would make validation the slowest step of reading a document. */
static gsize
valid_prefix (const char *in, gsize len)
{
  const guchar *p = (const guchar *) in;
  const guchar *end = p + len;

  for (;;)
    {
      p = skip_ascii (p, end);
      if (p == end)
        return len;
      while (p < end)
        {
          guchar c = *p;
          if (c < 0x80)
            {
              if (c == 0)
                return p - (const guchar *) in;
              break;            /* back to the fast path */
            }
          gsize avail = end - p;
          if (c >= 0xC2 && c <= 0xDF)
            {
              if (avail < 2 || (p[1] & 0xC0) != 0x80)
                return p - (const guchar *) in;
              p += 2;
            }
          else if (c >= 0xE0 && c <= 0xEF)
            {
              guchar lo = c == 0xE0 ? 0xA0 : 0x80;
              guchar hi = c == 0xED ? 0x9F : 0xBF;
              if (avail < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
                return p - (const guchar *) in;
              p += 3;
            }
          else if (c >= 0xF0 && c <= 0xF4)
            {
              guchar lo = c == 0xF0 ? 0x90 : 0x80;
              guchar hi = c == 0xF4 ? 0x8F : 0xBF;
              if (avail < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80
                  || (p[3] & 0xC0) != 0x80)
                return p - (const guchar *) in;
              p += 4;
            }
          else
            return p - (const guchar *) in;
        }
      if (p == end)
        return len;
    }
}

gboolean
sluice_utf8_is_clean (const char *in, gsize len)
{
  /* Short ASCII strings (attribute values, keys) are the common call. */
  if (len < 16)
    {
      gsize i = 0;
      while (i < len && (guchar) (in[i] - 1) < 0x7F)   /* 0x01..0x7F */
        i++;
      if (i == len)
        return TRUE;
    }
  return valid_prefix (in, len) == len;
}

/* Length of the maximal subpart of an ill-formed sequence starting at p
 * (Unicode 15, section 3.9, "U+FFFD Substitution of Maximal Subparts"):
 * the bytes that start a well-formed sequence but do not complete one; at
 * least one byte. */
static gsize
maximal_subpart (const guchar *p, gsize avail)
{
  guchar b = p[0];
  guint need;
  guchar lo = 0x80, hi = 0xBF;

  if (b >= 0xC2 && b <= 0xDF)
    need = 1;
  else if (b >= 0xE0 && b <= 0xEF)
    {
      need = 2;
      if (b == 0xE0)
        lo = 0xA0;
      else if (b == 0xED)
        hi = 0x9F;
    }
  else if (b >= 0xF0 && b <= 0xF4)
    {
      need = 3;
      if (b == 0xF0)
        lo = 0x90;
      else if (b == 0xF4)
        hi = 0x8F;
    }
  else
    return 1;   /* NUL, stray continuation byte, C0, C1, F5..FF */

  gsize n = 1;
  if (n < avail && p[n] >= lo && p[n] <= hi)
    {
      n++;
      while (n <= need && n < avail && p[n] >= 0x80 && p[n] <= 0xBF)
        n++;
    }
  /* n == need + 1 would be a complete, valid sequence: the caller only asks
   * about positions where validation failed, so that cannot happen. */
  return MIN (n, (gsize) need);
}

gsize
sluice_utf8_sanitize (const char *in, gsize len, GString *out)
{
  gsize replaced = 0;
  gsize done = 0;

  while (done < len)
    {
      gsize ok = valid_prefix (in + done, len - done);
      g_string_append_len (out, in + done, ok);
      done += ok;
      if (done == len)
        break;
      done += maximal_subpart ((const guchar *) in + done, len - done);
      g_string_append_len (out, "\xEF\xBF\xBD", 3);
      replaced++;
    }
  return replaced;
}

gsize
sluice_utf8_count_chars (const char *text, gsize len)
{
  const char *p = text;
  const char *end = text + len;
  gsize conts = 0;

  /* Count continuation bytes (10xxxxxx); every other byte starts a code
   * point.  Branch-free per word, with a shortcut for all-ASCII words. */
#ifdef __SSE2__
  /* Continuation bytes 0x80..0xBF are exactly the signed bytes < -64. */
  const __m128i lim = _mm_set1_epi8 (-64);
  while (end - p >= 16)
    {
      __m128i x = _mm_loadu_si128 ((const __m128i *) p);
      int mask = _mm_movemask_epi8 (_mm_cmplt_epi8 (x, lim));
      if (mask)   /* popcount is a library call without -mpopcnt */
        conts += __builtin_popcount (mask);
      p += 16;
    }
#endif
  while (end - p >= 8)
    {
      guint64 x = sluice_load64 (p);
      if (x & HIGHS)
        /* One bit per continuation byte, summed by a multiply (no popcnt
         * instruction in the baseline x86-64 target). */
        conts += (((x >> 7) & (~x >> 6) & ONES) * ONES) >> 56;
      p += 8;
    }
  for (; p < end; p++)
    if (((guchar) *p & 0xC0) == 0x80)
      conts++;
  return len - conts;
}
