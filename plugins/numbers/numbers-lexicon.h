/* numbers — the per-language lexicon (data/<lang>.txt), read once by create().
 *
 * One word can play several roles ("in" is a fraction connector, a year cue and a
 * unit stop word), so single words map to one NumLex with a role bit set; multi-word
 * phrases (qualifiers, "per cent", "out of") live in phrase tables keyed on their
 * lower-case words joined by single spaces.  Read-only after loading.
 */
#ifndef NUMBERS_LEXICON_H
#define NUMBERS_LEXICON_H

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

enum {
  NR_CARD = 1u << 0,      /* cardinal word: one, twenty, zero */
  NR_ORD = 1u << 1,       /* ordinal word (maybe plural, a fraction denominator) */
  NR_SCALE = 1u << 2,     /* hundred, thousand, million, dozen, lakh, bn */
  NR_FRAC = 1u << 3,      /* half, quarter(s): a denominator that is no ordinal */
  NR_ART = 1u << 4,       /* a, an: "one" before a scale or a denominator */
  NR_AND = 1u << 5,       /* and */
  NR_POINT = 1u << 6,     /* point: decimal point in words */
  NR_NEG = 1u << 7,       /* minus, negative */
  NR_PCT = 1u << 8,       /* percent (single-word percent signs) */
  NR_VAGUE = 1u << 9,     /* dozens, hundreds, thousands */
  NR_OVER = 1u << 10,     /* fraction connector: over, in ("1 in 5") */
  NR_TO = 1u << 11,       /* range connector: to, through */
  NR_BETWEEN = 1u << 12,  /* range opener: between (takes "and") */
  NR_MONTH = 1u << 13,    /* month names (dates: days, years) */
  NR_STOP = 1u << 14,     /* never a counted noun */
  NR_CURRENCY = 1u << 15, /* currency word or code: dollars, usd */
  NR_YEARCUE = 1u << 16,  /* a 4-digit number after it is a year: in, since */
  NR_ONEDET = 1u << 17,   /* makes a lone "one"/"half" a pronoun: this one, which one */
  NR_IDCUE = 1u << 18,    /* last token of an identifier cue: resolution, "." of "no ." */
  NR_PLURAL = 1u << 19,   /* irregular plural noun: people, children */
  NR_OUT = 1u << 20,      /* first word of "out of" */
  NR_OF = 1u << 21,       /* of */
  NR_OR = 1u << 22,       /* or */
  NR_QLAST = 1u << 23,    /* last token of a prefix qualifier phrase ("than", "about", "~") */
  NR_PFIRST = 1u << 24,   /* first word of a postfix qualifier phrase ("or") */
  NR_PCT1 = 1u << 25,     /* first word of a multi-word percent phrase ("per") */
  NR_CURPRE = 1u << 26,   /* last token of a currency prefix ("$", "usd"; any case) */
  NR_RANGE_AND = 1u << 27,/* joins two bounds: "between 5 and 7", "more than 5 and less than 9" */
  NR_YEARWORD = 1u << 28, /* a 4-digit number before it is a year: "2020 году", "2020 г." */
};

/* Cardinal subtypes, for the compound grammar. */
enum { NC_NONE = 0, NC_ZERO, NC_UNIT, NC_TEEN, NC_TENS, NC_HUND };

/* Ordinal subtypes. */
enum { NO_NONE = 0, NO_UNIT, NO_TEEN, NO_TENS, NO_SCALE, NO_HUND };

typedef struct {
  guint32 roles;
  guint8 ctype;           /* NC_* */
  guint8 otype;           /* NO_* */
  guint8 ord_plural;      /* "fifths" */
  guint8 nodenom;         /* bare "first"/"second": never a denominator */
  guint8 scale_abbr;      /* "bn", "M": only after a numeral */
  guint8 scale_dot;       /* "тыс.": a period right after it belongs to it */
  guint8 frac_plural;     /* "quarters", "halves" */
  guint8 frac_needs_num;  /* "quarter": needs "a"/a numerator or a scale after it */
  guint8 is_dozen;
  guint8 qual_lens;       /* bit k: a prefix qualifier of k tokens ends with this token */
  guint8 id_lens;         /* the same for identifier cues */
  guint8 cur_lens;        /* the same for currency prefixes */
  guint8 qual1;           /* prefix_qual[key]: the qualifier the word alone is (NQ_*, 0 none) */
  double card;
  double ord;
  double scale;
  double denom;           /* NR_FRAC */
  double vague;           /* NR_VAGUE: the unit counted ("hundreds" -> 100) */
  char *cased;            /* non-NULL: the word matches only in exactly this case */
  char *currency;         /* NR_CURRENCY: ISO 4217 code, upper case (NUM_ISO_SIZE bytes:
                           * num_iso_lower() gives its lower case) */
  const char *cur1;       /* currency_pre[key] (owned by it), or NULL */
} NumLex;

typedef struct {
  guint32 hash;           /* num_word_hash of the lower-case key; slot empty when key NULL */
  guint32 len;
  const char *key;        /* lower-case UTF-8 (owned by NumLexicon.words) */
  const NumLex *lex;
  guint64 k8;             /* the first 8 bytes of key, zero-padded (keys of up to 8 bytes
                           * are compared as one number) */
} NumSlot;

/* The ASCII keys of up to 8 bytes again, by their bytes as one number: an ASCII word
 * of up to 8 letters is lower-cased into a guint64 and found with one multiply. */
typedef struct {
  guint64 k8;             /* the key's bytes, zero-padded; 0: empty slot */
  guint32 len;
  const NumLex *lex;
} NumSlot8;

static inline guint32
num_hash8 (guint64 k8, guint shift)
{
  return (guint32) ((k8 * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> shift);
}

#define NUM_WORDBUF 64    /* longest word (bytes, lower case) looked up */

/* The trig2w entry of the first two bytes of a word, each & 31. */
#define NUM_TRIG2W_INDEX(a31, b31) ((guint) (a31) | ((guint) (b31) << 8))

/* The lexicon's ISO 4217 codes are stored as "USD\0usd\0" (NUM_ISO_SIZE bytes). */
#define NUM_ISO_SIZE 8

/* The lower case of a lexicon-owned ISO code ("usd" of "USD"). */
static inline const char *
num_iso_lower (const char *iso)
{
  return iso + 4;
}

/* Qualifier codes. */
typedef enum {
  NQ_NONE = 0,
  NQ_EXACT,
  NQ_APPROX,
  NQ_MORE_THAN,
  NQ_AT_LEAST,
  NQ_LESS_THAN,
  NQ_AT_MOST,
  NQ_OR_EQUAL,    /* postfix "or equal (to)": more_than -> at_least, less_than -> at_most */
  NQ_BLOCK,       /* a phrase that is no qualifier ("< >"): blocks shorter matches */
} NumQual;

/* The first tokens of the phrases of one table (prefix qualifiers, currency prefixes),
 * by the phrase's number of tokens k (index MIN (k, 7)): bit b of first[k] (last[k])
 * when some phrase of k tokens has a first token that starts (ends) with the ASCII byte
 * b.  Bytes >= 0x80 are not filtered.  A run of tokens whose first token fails cannot be
 * a phrase of the table: the scanner skips joining it and the hash lookup. */
typedef struct {
  guint64 first[8][2];
  guint64 last[8][2];
} NumPhraseFirst;

static inline gboolean
num_bit128 (const guint64 *set, guchar b)
{
  return b >= 0x80 || ((set[b >> 6] >> (b & 63)) & 1);
}

/* FALSE when no phrase of k tokens of the table starts with a token whose first and
 * last bytes (as joined for the lookup: lower-cased, digits as "#") are first, last. */
static inline gboolean
num_phrase_first_pass (const NumPhraseFirst *f, guint k, guchar first, guchar last)
{
  k = MIN (k, 7u);
  return num_bit128 (f->first[k], first) && num_bit128 (f->last[k], last);
}

typedef struct {
  char *lang;
  GHashTable *words;        /* lower-case word -> NumLex* (owned) */
  GHashTable *prefix_qual;  /* phrase -> GINT_TO_POINTER (NumQual) */
  GHashTable *postfix_qual; /* phrase -> NumQual */
  GHashTable *percent;      /* phrase -> 1 (multi-word and symbols: "per cent", "%") */
  GHashTable *currency_pre; /* symbol or code before a numeral -> ISO (owned strings) */
  GHashTable *currency_post;/* word after a numeral -> ISO */
  GHashTable *suffix;       /* glued suffix ("k", "bn") -> NumLex* (scale, scale_abbr=money-only) */
  GHashTable *id_cue;       /* phrase before an identifier: "no .", "#" */
  GHashTable *denominators; /* "2", "3", ... accepted as a/b fraction denominators */
  GHashTable *ord_suffix;   /* after digits: "th", "-й" (lower case) */
  GHashTable *decade_suffix;/* after digits: "s", "-х" ("1990s") */
  GPtrArray *adj_suffix;    /* word endings skipped before the counted noun ("ых") */
  GPtrArray *unit_stop_suffix; /* word endings that end the search for it ("ли": verbs) */
  gboolean decimal_comma;   /* "2,5" is 2.5 (setting decimal = comma) */
  gboolean unit_first_noun; /* the counted noun is the first word not ending in an
                             * adjective suffix (setting unit = first_noun) */
  /* Trigger filter: (first letter, second letter, last letter, length) of the ASCII
   * words that can start a number. */
  guint8 *filter;
  guint64 trig2w[32 * 256]; /* trig2 again, indexed by NUM_TRIG2W_INDEX (first & 31,
                             * second & 31), the two bytes as one little-endian number
                             * & 0x1F1F (the bytes of a letter in either case; 27 of
                             * every 256 entries are used); bit 1 is never set,
                             * bits 31-63 are all bit 31 (lengths >= 31), so a length
                             * below 64 needs no clamp */
  guint32 trig2[26 * 26];   /* trigger words by their first two ASCII letters: bit l for
                             * a length l (31: longer) */
  guint8 *filter_all;       /* the same for every ASCII word of the lexicon */
  guint8 *filter_behind;    /* words with a role the look-behind asks about (NUM_BEHIND_ROLES) */
  guint8 *filter_artneg;    /* words with NR_ART or NR_NEG */
  gboolean has_non_ascii;   /* some trigger word starts with a non-ASCII letter */
  /* The words of `words` again in an open-addressing table (built once by load):
   * one probe of a hash computed while lower-casing, no strlen/strcmp/str_hash. */
  NumSlot *slots;
  guint32 slot_mask;
  NumSlot8 *slots8;         /* the ASCII keys of 1-8 bytes (built once by load) */
  const NumLex *byte1[128]; /* num_lexicon_find_exact() of each one-byte ASCII string */
  guint32 slot8_shift;      /* 64 - log2 (size of slots8) */
  guint32 slot8_mask;
  gboolean digit_last;      /* some cue phrase ends with a digit (no look-behind gating) */
  guint max_prefix_words;   /* longest prefix-qualifier phrase, in tokens */
  NumPhraseFirst qual_first;/* of prefix_qual */
  NumPhraseFirst cur_first; /* of currency_pre */
  guint max_postfix_words;
} NumLexicon;

NumLexicon *num_lexicon_load (const char *path, const char *lang, GError **error);
void num_lexicon_free (NumLexicon *lx);

/* `word` lower-case ASCII or UTF-8, `len` bytes; `orig` the word as written (for
 * case-sensitive entries).  The GHashTable path: the oracle of num_lexicon_find(). */
const NumLex *num_lexicon_lookup (const NumLexicon *lx, const char *lower, const char *orig,
                                  gsize len);

/* Lower-cases the UTF-8 word [w, w+len) into `out` (NUL-terminated, NUM_WORDBUF bytes)
 * and returns its length, or -1 when it does not fit.  ASCII and Cyrillic by table,
 * other letters by g_unichar_tolower().  `*hash` gets num_word_hash of the result. */
gssize num_word_lower (const char *w, gsize len, char *out, guint32 *hash);

/* num_lexicon_find() through the FNV table (any word). */
const NumLex *num_lexicon_find_any (const NumLexicon *lx, const char *w, gsize len, char *low);

/* The entry of the word as written in the text ([w, w+len), any case), or NULL; with
 * `low` non-NULL the lower-case word is left there (NUM_WORDBUF bytes; "" when too
 * long).  Allocation-free; safe on many threads.  An ASCII word of 1-8 bytes is
 * lower-cased into one number and found in slots8 (inline); others in the FNV table. */
static inline const NumLex *
num_lexicon_find (const NumLexicon *lx, const char *w, gsize len, char *low)
{
  if (low == NULL && len - 1 < 8) {
    guint64 x = 0;
    guint hi = 0;
    for (gsize i = 0; i < len; i++) {
      guint c = (guchar) w[i];
      hi |= c;
      c += (guint) ((c - 'A') < 26u) << 5;   /* ASCII lower case */
      x |= (guint64) c << (8 * i);
    }
    if (!(hi & 0x80)) {
      for (guint32 i = num_hash8 (x, lx->slot8_shift);; i = (i + 1) & lx->slot8_mask) {
        const NumSlot8 *sl = &lx->slots8[i];
        if (sl->k8 == 0)
          return NULL;
        if (sl->k8 == x && sl->len == (guint32) len) {
          const NumLex *l = sl->lex;
          if (l->cased && (strlen (l->cased) != len || memcmp (l->cased, w, len) != 0))
            return NULL;
          return l;
        }
      }
    }
  }
  return num_lexicon_find_any (lx, w, len, low);
}

/* The entry of [w, w+len) exactly as written (punctuation: no case to fold). */
const NumLex *num_lexicon_find_exact (const NumLexicon *lx, const char *w, gsize len);

/* The same, a one-byte ASCII token ("$", ".") from a table. */
static inline const NumLex *
num_lexicon_find_exact_fast (const NumLexicon *lx, const char *w, gsize len)
{
  if (len == 1 && (guchar) w[0] < 0x80)
    return lx->byte1[(guchar) w[0]];
  return num_lexicon_find_exact (lx, w, len);
}

/* A filter: (first, second, last letter, length) bits for ASCII words, then
 * (first letter, last letter, length) hashed to 2^16 bits for Cyrillic words. */
#define NUM_FILTER_ASCII_BYTES (26 * 26 * 26 * 32 / 8)
#define NUM_FILTER_BYTES (NUM_FILTER_ASCII_BYTES + 65536 / 8)

/* Lower case of a 2-byte Cyrillic letter D0/D1 xx (U+0400-U+047F), same length. */
static inline void
num_cyr_lower (guchar a, guchar b, guchar *oa, guchar *ob)
{
  if (a == 0xD0 && b >= 0x80 && b <= 0x8F) {         /* Ѐ-Џ -> ѐ-џ */
    *oa = 0xD1;
    *ob = (guchar) (b + 0x10);
  } else if (a == 0xD0 && b >= 0x90 && b <= 0x9F) {  /* А-П -> а-п */
    *oa = 0xD0;
    *ob = (guchar) (b + 0x20);
  } else if (a == 0xD0 && b >= 0xA0 && b <= 0xAF) {  /* Р-Я -> р-я */
    *oa = 0xD1;
    *ob = (guchar) (b - 0x20);
  } else if (a == 0xD1 && b >= 0xA0 && !(b & 1)) {   /* Ѡ Ѣ ... (U+0460-047F, even = upper) */
    *oa = a;
    *ob = (guchar) (b + 1);
  } else {
    *oa = a;
    *ob = b;
  }
}

/* Bit index of a word that begins and ends with a Cyrillic letter, or -1. */
static inline gint
num_filter_cyr_index (const char *w, gsize len)
{
  const guchar *u = (const guchar *) w;
  if (len < 4 || (u[0] != 0xD0 && u[0] != 0xD1) || (u[len - 2] != 0xD0 && u[len - 2] != 0xD1))
    return -1;
  guchar a, b;
  num_cyr_lower (u[0], u[1], &a, &b);
  guint f = ((guint) (a & 1) << 6) | (b & 0x3F);
  num_cyr_lower (u[len - 2], u[len - 1], &a, &b);
  guint l = ((guint) (a & 1) << 6) | (b & 0x3F);
  guint n = len > 63 ? 63 : (guint) len;
  return (gint) ((((f << 13) | (l << 6) | n) * 2654435761u) >> 16);
}

/* TRUE when an ASCII word (letters only, any case) may be in `bits`. */
static inline gboolean
num_lexicon_filter_bits (const guint8 *bits, const char *w, gsize len)
{
  if (len < 2)
    return len == 1 && bits == NULL;
  guint a = (guint) ((w[0] | 0x20) - 'a'), b = (guint) ((w[1] | 0x20) - 'a');
  guint c = (guint) ((w[len - 1] | 0x20) - 'a');
  if (a > 25 || b > 25 || c > 25)
    return TRUE;
  guint l = len > 31 ? 31 : (guint) len;
  guint idx = ((a * 26 + b) * 26 + c) * 32 + l;
  return (bits[idx >> 3] >> (idx & 7)) & 1;
}

/* TRUE when any word may be in `bits` (ASCII and Cyrillic words are filtered, others
 * pass). */
static inline gboolean
num_lexicon_filter_any (const guint8 *bits, const char *w, gsize len)
{
  guchar c0 = (guchar) w[0];
  if (c0 < 0x80) {
    if ((guchar) w[len - 1] >= 0x80 || (len == 2 && (guchar) w[1] >= 0x80))
      return TRUE;
    return len < 2 || num_lexicon_filter_bits (bits, w, len);
  }
  gint i = num_filter_cyr_index (w, len);
  if (i < 0)
    return TRUE;
  const guint8 *cb = bits + NUM_FILTER_ASCII_BYTES;
  return (cb[i >> 3] >> (i & 7)) & 1;
}

/* TRUE when an ASCII word may be a trigger word (a number word). */
static inline gboolean
num_lexicon_filter (const NumLexicon *lx, const char *w, gsize len)
{
  return num_lexicon_filter_bits (lx->filter, w, len);
}

/* Roles the look-behind of a finished number asks about. */
#define NUM_BEHIND_ROLES (NR_ART | NR_NEG | NR_ONEDET | NR_ORD | NR_BETWEEN | NR_IDCUE | \
                          NR_CURPRE | NR_QLAST | NR_MONTH | NR_YEARCUE)

#define NUM_TRIGGER_ROLES (NR_CARD | NR_ORD | NR_SCALE | NR_FRAC | NR_VAGUE | NR_PCT)

G_END_DECLS

#endif
