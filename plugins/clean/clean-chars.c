/* sluice clean stage — pass 1: characters.
 *
 * Bytes are scanned with a lookup table; plain ASCII (the bulk of feed text)
 * is kept untouched without any further work.  A "word" (a run of bytes
 * without ASCII whitespace) that holds a non-ASCII byte or an '&' is cleaned
 * as a whole by clean_word() and replaced when it changed.  CR and C0
 * controls are handled byte by byte. */
#include "clean-private.h"
#include <libxml/HTMLparser.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { B_PLAIN = 0, B_CR, B_CTRL, B_WORD };

static guint8 byte_class[256];

static void
init_byte_class (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      for (int b = 0; b < 256; b++)
        {
          guint8 c = B_PLAIN;
          if (b == '\r')
            c = B_CR;
          else if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7f)
            c = B_CTRL;
          else if (b >= 0x80 || b == '&')
            c = B_WORD;
          byte_class[b] = c;
        }
      g_once_init_leave (&done, 1);
    }
}

static inline gboolean
is_ascii_ws (guchar c)
{
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* Decodes one HTML entity at s (s[0] == '&'); returns its length (0 when it
 * is not a complete entity) and the code point in *cp. */
static gsize
decode_entity (const char *s, gsize len, gunichar *cp)
{
  if (len < 4 || s[0] != '&')
    return 0;
  gsize i = 1;
  if (s[1] == '#')
    {
      guint64 v = 0;
      gboolean hex = len > 2 && (s[2] == 'x' || s[2] == 'X');
      i = hex ? 3 : 2;
      gsize digits = 0;
      for (; i < len && digits < 8; i++, digits++)
        {
          int d = hex ? g_ascii_xdigit_value (s[i]) : g_ascii_digit_value (s[i]);
          if (d < 0)
            break;
          v = v * (hex ? 16 : 10) + (guint64) d;
        }
      if (digits == 0 || i >= len || s[i] != ';')
        return 0;
      if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        v = 0xFFFD;
      *cp = (gunichar) v;
      return i + 1;
    }
  char name[12];
  gsize n = 0;
  for (; i < len && n < sizeof name - 1 && g_ascii_isalnum (s[i]); i++)
    name[n++] = s[i];
  if (n == 0 || i >= len || s[i] != ';')
    return 0;
  name[n] = '\0';
  if (strcmp (name, "apos") == 0)
    {
      *cp = '\'';
      return i + 1;
    }
  const htmlEntityDesc *e = htmlEntityLookup ((const xmlChar *) name);
  if (e == NULL)
    return 0;
  *cp = e->value;
  return i + 1;
}

/* Code points that are NFC-stable, never compose with what precedes them and
 * are common in feeds: words made only of these skip normalisation.  A
 * conservative subset of the Unicode NFC quick check. */
static inline gboolean
nfc_safe (gunichar c)
{
  return c < 0x300
         || (c >= 0x388 && c <= 0x3CE)                     /* Greek letters */
         || (c >= 0x400 && c <= 0x482) || (c >= 0x48A && c <= 0x52F) /* Cyrillic */
         || (c >= 0x531 && c <= 0x587)                     /* Armenian */
         || (c >= 0x5D0 && c <= 0x5EA)                     /* Hebrew letters */
         || (c >= 0x621 && c <= 0x64A)                     /* Arabic letters */
         || (c >= 0x10D0 && c <= 0x10FF)                   /* Georgian */
         || (c >= 0x1E00 && c <= 0x1EFF)                   /* Latin ext. additional */
         || (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E)
         || (c >= 0x20A0 && c <= 0x20C0)                   /* currency */
         || (c >= 0x2100 && c <= 0x2125) || (c >= 0x2127 && c <= 0x2129)
         || (c >= 0x212C && c <= 0x2328) || (c >= 0x232B && c <= 0x2ADB)
         || (c >= 0x2ADD && c <= 0x2FFF)                   /* symbols, arrows */
         || (c >= 0x3040 && c <= 0x3098) || (c >= 0x30A0 && c <= 0x30F7) /* kana (no voicing marks) */
         || (c >= 0x4E00 && c <= 0x9FFF)                   /* CJK */
         || (c >= 0xAC00 && c <= 0xD7A3)                   /* Hangul syllables */
         || (c >= 0x1F300 && c <= 0x1FAFF);                /* emoji */
}

static inline gboolean
is_open_double_quote (gunichar c)
{
  return c == 0x201C || c == 0x201E || c == 0x00AB;
}

/* What fold_quotes makes of c: '\'' or '"', or 0 when c is no quote it folds.
 * Both the per-character path and clean_word_is_clean ask this. */
static inline char
quote_fold (gunichar c)
{
  switch (c)
    {
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x2039: case 0x203A:
      return '\'';
    case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033: case 0x00AB: case 0x00BB:
      return '"';
    default:
      return 0;
    }
}

/* A dash fold_dashes turns into '-'. */
static inline gboolean
is_foldable_dash (gunichar c)
{
  return (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

/* Appends the cleaned form of one character (already entity-decoded). */
static void
emit_char (const CleanStage *st, gunichar c, gunichar prev_out, GString *out,
           gboolean *need_nfc)
{
  if (c < 0x80)
    {
      if (st->strip_controls && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f))
        return;
      g_string_append_c (out, (char) c);
      return;
    }
  if (st->strip_controls)
    {
      if ((c >= 0x80 && c <= 0x9F && c != 0x85) || c == 0x00AD || c == 0xFEFF)
        return;
      if (c == 0x200C || c == 0x200D)
        {
          /* joiners matter between letters of scripts that use them */
          if (!(prev_out >= 0x300 && g_unichar_isalpha (prev_out)))
            return;
        }
      else if (g_unichar_type (c) == G_UNICODE_FORMAT)
        return;
    }
  if (st->map_spaces)
    {
      if (c == 0x85 || c == 0x2028)
        {
          g_string_append_c (out, '\n');
          return;
        }
      if (c == 0x2029)
        {
          g_string_append (out, "\n\n");
          return;
        }
      if (g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
        {
          g_string_append_c (out, ' ');
          return;
        }
    }
  char q;
  if (st->fold_quotes && (q = quote_fold (c)) != 0)
    {
      g_string_append_c (out, q);
      return;
    }
  if (st->fold_dashes && is_foldable_dash (c))
    {
      g_string_append_c (out, '-');
      return;
    }
  if (st->nfc && !nfc_safe (c))
    *need_nfc = TRUE;
  g_string_append_unichar (out, c);
}

gboolean
clean_word_is_clean (const CleanStage *st, const char *w, gsize len)
{
  if (st->decode_entities && memchr (w, '&', len) != NULL)
    return FALSE;
  gunichar prev = 0;
  const char *p = w, *end = w + len;
  while (p < end)
    {
      gunichar c;
      if ((guchar) *p < 0x80)
        {
          c = (guchar) *p++;
          if (c < 0x20 || c == 0x7f)
            return FALSE;
          prev = c;
          continue;
        }
      /* two- and three-byte sequences decoded here; anything else (four
       * bytes, invalid) takes the full path */
      guchar b0 = (guchar) p[0];
      if (b0 >= 0xC2 && b0 < 0xE0 && end - p >= 2 && ((guchar) p[1] & 0xC0) == 0x80)
        {
          c = ((gunichar) (b0 & 0x1F) << 6) | ((guchar) p[1] & 0x3F);
          p += 2;
        }
      else if (b0 >= 0xE0 && b0 < 0xF0 && end - p >= 3 && ((guchar) p[1] & 0xC0) == 0x80
               && ((guchar) p[2] & 0xC0) == 0x80)
        {
          c = ((gunichar) (b0 & 0x0F) << 12) | ((gunichar) ((guchar) p[1] & 0x3F) << 6)
              | ((guchar) p[2] & 0x3F);
          if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))
            return FALSE;
          p += 3;
        }
      else
        return FALSE;
      /* NFC-safe characters, less the C1 controls, no-break space and soft
       * hyphen below 0x300: none of them is a format or space character,
       * nor one that strip_controls or map_spaces treat specially */
      if (!nfc_safe (c) || c <= 0xA0 || c == 0xAD)
        return FALSE;
      if (st->fold_quotes && quote_fold (c) != 0)
        return FALSE;
      if (st->fold_dashes && is_foldable_dash (c))
        return FALSE;
      if (st->quote_space && is_open_double_quote (c) && prev != 0
          && (g_unichar_isalpha (prev) || g_unichar_isdigit (prev)))
        return FALSE;
      prev = c;
    }
  return TRUE;
}

void
clean_word (const CleanStage *st, const char *w, gsize len, GString *out, GString *tmp)
{
  gsize out_start = out->len;
  /* 1. entities, decoded until nothing changes (so that cleaning is
   *    idempotent on "&amp;amp;"), at most 4 rounds */
  const char *src = w;
  gsize src_len = len;
  if (st->decode_entities && memchr (w, '&', len) != NULL)
    {
      for (int round = 0; round < 4; round++)
        {
          g_string_truncate (tmp, 0);
          gboolean changed = FALSE;
          gsize i = 0;
          while (i < src_len)
            {
              const char *amp = memchr (src + i, '&', src_len - i);
              if (amp == NULL)
                {
                  g_string_append_len (tmp, src + i, src_len - i);
                  break;
                }
              gsize a = amp - src;
              g_string_append_len (tmp, src + i, a - i);
              gunichar cp;
              gsize el = decode_entity (src + a, src_len - a, &cp);
              if (el == 0)
                {
                  g_string_append_c (tmp, '&');
                  i = a + 1;
                }
              else
                {
                  g_string_append_unichar (tmp, cp);
                  i = a + el;
                  changed = TRUE;
                }
            }
          if (!changed)
            break;
          /* continue on the decoded text: copy it out of tmp first */
          if (src != w)
            g_free ((char *) src);
          src = g_strndup (tmp->str, tmp->len);
          src_len = tmp->len;
          if (memchr (src, '&', src_len) == NULL)
            break;
        }
    }

  /* 2. characters */
  gboolean need_nfc = FALSE;
  gunichar prev = 0;
  const char *p = src, *end = src + src_len;
  while (p < end)
    {
      gunichar c;
      if ((guchar) *p < 0x80)
        c = (guchar) *p++;
      else
        {
          c = g_utf8_get_char (p);
          p = g_utf8_next_char (p);
        }
      if (st->quote_space && is_open_double_quote (c) && prev != 0
          && (g_unichar_isalpha (prev) || g_unichar_isdigit (prev)))
        g_string_append_c (out, ' ');
      gsize before = out->len;
      emit_char (st, c, prev, out, &need_nfc);
      if (out->len > before)
        prev = g_utf8_get_char (g_utf8_find_prev_char (out->str + before,
                                                       out->str + out->len));
    }
  if (src != w)
    g_free ((char *) src);

  /* 3. NFC, only when a character outside the safe ranges is present */
  if (need_nfc)
    {
      g_autofree char *norm = g_utf8_normalize (out->str + out_start, out->len - out_start,
                                                G_NORMALIZE_NFC);
      if (norm != NULL)
        {
          g_string_truncate (out, out_start);
          g_string_append (out, norm);
        }
    }
}

gboolean
clean_chars (const CleanStage *st, SluiceDocument *doc, GError **error)
{
  init_byte_class ();
  gsize len;
  const char *text = sluice_document_get_text (doc, &len);
  const guchar *t = (const guchar *) text;
  SluiceRewriter *rw = NULL;
  GString *word = NULL, *tmp = NULL;
  gboolean any_word_work = st->strip_controls || st->map_spaces || st->nfc
                           || st->decode_entities || st->quote_space || st->fold_quotes
                           || st->fold_dashes;
  gsize i = 0;

  while (i < len)
    {
      /* fast path: skip plain bytes, 16 at a time where SSE2 is there */
#ifdef __SSE2__
      while (i + 16 <= len)
        {
          __m128i v = _mm_loadu_si128 ((const __m128i *) (t + i));
          /* signed: bytes >= 0x80 and < 0x20 (but LF and tab), '&', DEL */
          __m128i low = _mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20));
          __m128i ok = _mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\n')),
                                     _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\t')));
          __m128i special = _mm_or_si128 (_mm_andnot_si128 (ok, low),
                                          _mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('&')),
                                                        _mm_cmpeq_epi8 (v, _mm_set1_epi8 (0x7f))));
          guint32 mask = (guint32) _mm_movemask_epi8 (special);
          if (mask != 0)
            {
              i += (gsize) __builtin_ctz (mask);
              break;
            }
          i += 16;
        }
#endif
      while (i < len && byte_class[t[i]] == B_PLAIN)
        i++;
      if (i >= len)
        break;
      guint8 cls = byte_class[t[i]];
      if (cls == B_CR)
        {
          if (!st->newlines)
            {
              i++;
              continue;
            }
          if (rw == NULL)
            rw = sluice_rewriter_new (doc);
          sluice_rewriter_keep (rw, i);
          if (i + 1 < len && t[i + 1] == '\n')
            sluice_rewriter_delete (rw, i + 1);
          else
            sluice_rewriter_replace (rw, i + 1, "\n", 1);
          i++;
          continue;
        }
      if (cls == B_CTRL)
        {
          if (!st->strip_controls)
            {
              i++;
              continue;
            }
          if (rw == NULL)
            rw = sluice_rewriter_new (doc);
          sluice_rewriter_keep (rw, i);
          sluice_rewriter_delete (rw, i + 1);
          i++;
          continue;
        }
      /* B_WORD */
      if (!any_word_work)
        {
          i++;
          continue;
        }
      gsize cursor = rw ? sluice_rewriter_get_cursor (rw) : 0;
      gsize ws = i;
      while (ws > cursor && !is_ascii_ws (t[ws - 1]))
        ws--;
      gsize we = i;
      while (we < len && !is_ascii_ws (t[we]) && byte_class[t[we]] != B_CTRL)
        we++;
      /* most such words (a dash, quotes, Cyrillic, Greek) stay as they are */
      if (clean_word_is_clean (st, text + ws, we - ws))
        {
          i = we;
          continue;
        }
      if (word == NULL)
        {
          word = g_string_sized_new (64);
          tmp = g_string_sized_new (64);
        }
      g_string_truncate (word, 0);
      clean_word (st, text + ws, we - ws, word, tmp);
      /* A soft hyphen ending a line joins the word with the next line's. */
      gsize repl_end = we;
      if (st->strip_controls && we - ws >= 2 && t[we - 2] == 0xC2 && t[we - 1] == 0xAD)
        {
          gsize k = we;
          while (k < len && (t[k] == ' ' || t[k] == '\t'))
            k++;
          if (k < len && t[k] == '\r')
            k++;
          if (k < len && t[k] == '\n')
            {
              k++;
              while (k < len && (t[k] == ' ' || t[k] == '\t'))
                k++;
              if (k < len && !is_ascii_ws (t[k]))
                repl_end = k;
            }
        }
      if (repl_end != we || word->len != we - ws || memcmp (word->str, text + ws, word->len) != 0)
        {
          if (rw == NULL)
            rw = sluice_rewriter_new (doc);
          sluice_rewriter_keep (rw, ws);
          sluice_rewriter_replace (rw, repl_end, word->str, word->len);
        }
      i = repl_end > we ? repl_end : we;
    }
  if (word)
    {
      g_string_free (word, TRUE);
      g_string_free (tmp, TRUE);
    }
  if (rw == NULL)
    return TRUE;
  return sluice_rewriter_commit (rw, error);
}
