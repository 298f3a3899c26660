/* sluice — word-at-a-time and SSE2 byte scanning shared by the UTF-8
 * helpers and the JSON reader and writer.  Not installed. */
#ifndef SLUICE_BYTESCAN_H
#define SLUICE_BYTESCAN_H

#include <glib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SLUICE_ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define SLUICE_HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

static inline guint64
sluice_load64 (const char *p)
{
  guint64 x;
  memcpy (&x, p, sizeof x);
  return x;
}

/* Non-zero when x holds a byte < 0x20, '"' or '\\' (JSON string specials). */
static inline guint64
sluice_json_special64 (guint64 x)
{
  guint64 q = x ^ (SLUICE_ONES * '"');
  guint64 b = x ^ (SLUICE_ONES * '\\');
  guint64 ctl = (x - SLUICE_ONES * 0x20) & ~x;
  guint64 zq = (q - SLUICE_ONES) & ~q;
  guint64 zb = (b - SLUICE_ONES) & ~b;
  return (ctl | zq | zb) & SLUICE_HIGHS;
}

/* The first byte in [p, end) that is '"', '\\' or < 0x20, or end: where a
 * JSON string must be escaped (writer) or ends / has an escape (reader). */
static inline const char *
sluice_json_find_special (const char *p, const char *end)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i bslash = _mm_set1_epi8 ('\\');
  const __m128i ctl = _mm_set1_epi8 (0x1F);
  while (end - p >= 16)
    {
      __m128i x = _mm_loadu_si128 ((const __m128i *) p);
      __m128i m = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (x, quote), _mm_cmpeq_epi8 (x, bslash)),
                                _mm_cmpeq_epi8 (_mm_min_epu8 (x, ctl), x));
      int mask = _mm_movemask_epi8 (m);
      if (mask != 0)
        return p + __builtin_ctz (mask);
      p += 16;
    }
#endif
  while (end - p >= 8 && !sluice_json_special64 (sluice_load64 (p)))
    p += 8;
  while (p < end && (guchar) *p >= 0x20 && *p != '"' && *p != '\\')
    p++;
  return p;
}

#endif /* SLUICE_BYTESCAN_H */
