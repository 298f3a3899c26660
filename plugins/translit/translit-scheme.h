/* translit — scheme files: parsing, compiling and applying one scheme.
 *
 * A scheme file (`SCHEME.LANG.map`, format in README.md) is compiled by
 * tl_scheme_load() into a read-only TlScheme: a direct per-code-point table
 * over the range of source letters, a sequence trie below it, context classes
 * and per-rule outputs precomputed in lower, title and upper case.
 * tl_scheme_apply() is reentrant: any number of threads may call it on the
 * same scheme with their own output buffers.
 */
#ifndef TRANSLIT_SCHEME_H
#define TRANSLIT_SCHEME_H

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

typedef struct _TlScheme TlScheme;

/* Parses and compiles a scheme file.  `scheme_name` and `lang` are recorded
 * (the file's own @lang wins when present).  On a malformed file: NULL and a
 * SLUICE_ERROR_DATA-like error `FILE:LINE: message` in `error` (domain given
 * by the caller via `error_domain`/`error_code`). */
TlScheme *tl_scheme_load (const char *path, const char *scheme_name, const char *lang,
                          GQuark error_domain, gint error_code, GError **error);
void tl_scheme_free (TlScheme *scheme);

const char *tl_scheme_get_name (const TlScheme *scheme);
const char *tl_scheme_get_lang (const TlScheme *scheme);
const char *tl_scheme_get_path (const TlScheme *scheme);
GUnicodeScript tl_scheme_get_script (const TlScheme *scheme);
/* The ISO 15924 code given in @script ("Cyrl"). */
const char *tl_scheme_get_script_code (const TlScheme *scheme);
gboolean tl_scheme_is_fallback (const TlScheme *scheme);
/* How many code points of `cps` are in the scheme's @detect set. */
guint tl_scheme_detect_score (const TlScheme *scheme, const gunichar *lower, gsize n);

/* Whether the scheme has a rule whose source starts with `cp`. */
gboolean tl_scheme_maps (const TlScheme *scheme, gunichar cp);
/* The range of code points that start a rule. */
void tl_scheme_get_range (const TlScheme *scheme, gunichar *lo, gunichar *hi);

/* Whether tl_scheme_prepare() has work to do (an @reorder-first list). */
gboolean tl_scheme_needs_prepare (const TlScheme *scheme);
/* Reorders combining marks in place as the scheme's @reorder-first asks;
 * call on the decoded run before tl_scheme_apply(). */
void tl_scheme_prepare (const TlScheme *scheme, gunichar *cps, gunichar *lower, guint8 *upper,
                        gsize n);

/* Per-code-point flag bits passed to tl_scheme_apply() (`flags`). */
#define TL_UPPER 1u   /* an upper-case or title-case letter */
#define TL_WORD 2u    /* a letter or combining mark: part of a word */
#define TL_CASED 4u   /* a letter with case (upper, lower or title) */

/* Transliterates the code points `cps[0..n)` (`lower` holds their lower-case
 * forms, `flags` their TL_* bits) and appends UTF-8 to `out`.  Code points
 * without a rule are copied unchanged. */
void tl_scheme_apply (const TlScheme *scheme, const gunichar *cps, const gunichar *lower,
                      const guint8 *upper, gsize n, GString *out);

/* Apostrophe-like signs that count as word-internal between two letters. */
static inline gboolean
tl_is_apostrophe (gunichar c)
{
  return c == 0x27 || c == 0x2019 || c == 0x02BC || c == 0x02BB;
}

/* Decodes one code point of VALID UTF-8 (the core guarantees valid text). */
static inline gunichar
tl_utf8_get (const char *s, gsize *len)
{
  const guchar *p = (const guchar *) s;
  if (p[0] < 0x80)
    {
      *len = 1;
      return p[0];
    }
  if ((p[0] & 0xE0) == 0xC0)
    {
      *len = 2;
      return ((gunichar) (p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    }
  if ((p[0] & 0xF0) == 0xE0)
    {
      *len = 3;
      return ((gunichar) (p[0] & 0x0F) << 12) | ((gunichar) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
  *len = 4;
  return ((gunichar) (p[0] & 0x07) << 18) | ((gunichar) (p[1] & 0x3F) << 12)
         | ((gunichar) (p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

/* Appends n bytes to a GString without the general insert path. */
static inline void
tl_string_append (GString *out, const char *s, gsize n)
{
  if (out->len + n + 1 > out->allocated_len)
    {
      gsize len = out->len;
      g_string_set_size (out, len + n + 64);
      out->len = len;
    }
  memcpy (out->str + out->len, s, n);
  out->len += n;
  out->str[out->len] = 0;
}

static inline void
tl_string_append_unichar (GString *out, gunichar c)
{
  char buf[6];
  tl_string_append (out, buf, (gsize) g_unichar_to_utf8 (c, buf));
}

G_END_DECLS

#endif /* TRANSLIT_SCHEME_H */
