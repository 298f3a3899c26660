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

#ifdef __SSE2__
/* 0xFF in each byte of x that is '"', '\\' or < 0x20 (JSON string
 * specials).  x ^ 0x02 turns '"' (0x22) into 0x20, keeps 0x00..0x1F below
 * 0x20 and every other byte above it: one unsigned "<= 0x20" test finds
 * the controls and the quote. */
static inline __m128i
sluice_json_special16 (__m128i x)
{
  __m128i y = _mm_xor_si128 (x, _mm_set1_epi8 (0x02));
  return _mm_or_si128 (_mm_cmpeq_epi8 (_mm_min_epu8 (y, _mm_set1_epi8 (0x20)), y),
                       _mm_cmpeq_epi8 (x, _mm_set1_epi8 ('\\')));
}
#endif

/* The first byte in [p, end) that is '"', '\\' or < 0x20, or end: where a
 * JSON string must be escaped (writer) or ends / has an escape (reader). */
static inline const char *
sluice_json_find_special (const char *p, const char *end)
{
#ifdef __SSE2__
  while (end - p >= 16)
    {
      __m128i x = _mm_loadu_si128 ((const __m128i *) p);
      __m128i m = sluice_json_special16 (x);
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

/* The first byte in [p, end) that is '"', '\\', < 0x20 or >= 0x80, or end:
 * where a JSON string ends, has an escape, or stops being plain ASCII. */
static inline const char *
sluice_json_find_special_or_high (const char *p, const char *end)
{
#ifdef __SSE2__
  while (end - p >= 16)
    {
      __m128i x = _mm_loadu_si128 ((const __m128i *) p);
      __m128i m = _mm_or_si128 (sluice_json_special16 (x), x);
      int mask = _mm_movemask_epi8 (m);
      if (mask != 0)
        return p + __builtin_ctz (mask);
      p += 16;
    }
#endif
  while (end - p >= 8)
    {
      guint64 x = sluice_load64 (p);
      if (sluice_json_special64 (x) | (x & SLUICE_HIGHS))
        break;
      p += 8;
    }
  while (p < end && (guchar) *p >= 0x20 && (guchar) *p < 0x80 && *p != '"' && *p != '\\')
    p++;
  return p;
}

/* Length of the well-formed UTF-8 sequence (Unicode Table 3-7) that starts
 * with the byte p[0] >= 0x80, with `avail` bytes in reach; 0 when it is
 * ill-formed. */
static inline guint
sluice_utf8_seq_len (const unsigned char *p, gsize avail)
{
  unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF)
    return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF)
    {
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
      unsigned char hi = c == 0xED ? 0x9F : 0xBF;
      return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
  if (c >= 0xF0 && c <= 0xF4)
    {
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
      unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
      return avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80
             && (p[3] & 0xC0) == 0x80 ? 4 : 0;
    }
  return 0;
}

#endif /* SLUICE_BYTESCAN_H */
