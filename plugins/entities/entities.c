/* entities — people, places, organisations, dates and MISC names from
 * gazetteers, rules and document consistency.  See README.md. */
#include <sluice/sluice.h>
#include <string.h>
#include <stdio.h>

#include "gazetteer.h"
#include "entities.h"

#if defined(__SSE2__) && G_BYTE_ORDER == G_LITTLE_ENDIAN
#include <emmintrin.h>
#define ENTITIES_SSE2 1
#endif

/* Extra token flags (above gazetteer.h's). */
#define T_CAPSLINE  (1u << 16)
#define T_SENTSTART (1u << 17)
#define T_USED      (1u << 18)   /* inside a DATE */
#define T_TABLE     (1u << 19)   /* on a line of names and numbers (results, standings) */
#define T_DATEISH   (1u << 20)   /* may start a date: has a digit, or is a month name */
#define T_MONTH_SHIFT 24         /* bits 24..27: the month of a month name (1..12), else 0 */
#define T_DERIVED   (T_CAPSLINE | T_SENTSTART | T_TABLE | T_DATEISH | (15u << T_MONTH_SHIFT))

#define MAX_ATOMS 24
#define MAX_TABLES 2

typedef struct {
  guint32 start, end;   /* bytes */
  guint32 norm, nlen;   /* into the norm buffer */
  guint32 flags;
  guint32 hash;         /* gz_tok_hash of the normalised bytes */
} Tok;

/* One slot of a per-document map from a normalised token range to a candidate.
 * A slot is empty unless its `gen` is the map's: the slots are reused from
 * document to document without being cleared. */
typedef struct {
  guint32 hash, off, len;
  gint cand;
  guint32 gen;
} MapSlot;

typedef struct {
  MapSlot *slots;
  guint32 mask;
  guint32 gen;
} NameMap;

/* Per-call working memory, reused across documents (a pool in the instance:
 * process() takes one, returns it when done, so no per-document allocation
 * once the buffers have grown to the documents' size). */
typedef struct {
  Tok *tk;
  gsize tk_cap;
  char *nb;
  gsize nb_cap;
  GString *slow;           /* one token's normalised form on the Unicode path */
  GArray *cands;
  guint cands_cap;         /* elements cands is known to have room for */
  guint32 *lower_set;
  gsize lower_cap;
  MapSlot *maps;
  gsize maps_cap;
  guint32 maps_gen;        /* of the maps' slots in use (see MapSlot) */
  guint32 *starts;         /* tokens that may start a name (the token scan) */
  guint32 *lowers;         /* hashes of the lower-case words (the token scan) */
  guint32 *dates;          /* tokens that may start a date (the token scan) */
  guint n_starts, n_lowers, n_dates;
  gsize idx_cap;
} Scratch;

/* Month names ("january", "jan", "sept", ...) by token hash: a collision-free
 * multiplicative hash over MONTH_SLOTS slots, so that the per-token test is one
 * load and compare; a hit is confirmed by comparing the bytes. */
#define MONTH_BITS 7
#define MONTH_SLOTS (1u << MONTH_BITS)
typedef struct {
  guint32 mul;
  guint32 hash[MONTH_SLOTS];
  guint8 val[MONTH_SLOTS];
  guint8 len[MONTH_SLOTS];
  const char *key[MONTH_SLOTS];
} MonthTable;

/* The hashes of the last tokens of a table's names of some classes, as a
 * bitmap: a token that ends none of them ends no phrase of those classes
 * (phrases_before). */
#define PHRASE_END_BITS 12
/* And the hashes of those names themselves (whole keys), so that the
 * candidate phrases of one to four tokens ending at a token that passed the
 * first map are looked up only when one of them may be such a name. */
#define PHRASE_KEY_BITS 14
/* And the hashes of their first tokens (same size as the end map), so that
 * the hash of a phrase is combined only when its first token may start one. */
typedef struct {
  guint64 bits[1u << (PHRASE_END_BITS - 6)];
  guint64 firsts[1u << (PHRASE_END_BITS - 6)];
  guint64 keys[1u << (PHRASE_KEY_BITS - 6)];
  guint32 classes;          /* of the names counted (bit 1 << GzClass) */
} PhraseEnds;

struct _Entities {
  GMappedFile *mapped;
  GBytes *user_img;
  GBytes *rules_img;
  GzTable tables[MAX_TABLES];
  guint n_tables;
  GzTable rules;            /* name words: titles, organisation words, connectors... */
  GBytes *cues_img;
  GzTable cues;             /* context cues: team-*, org-before/after, not-org */
  PhraseEnds rules_ends, cues_ends;
  guint type_mask;
  gboolean guess_persons;
  MonthTable months;
  GMutex pool_lock;        /* guards `pool` only: the rest is read-only after create() */
  GPtrArray *pool;         /* idle Scratch */
};

static const char *const type_names[] = { "PERSON", "LOCATION", "ORGANIZATION", "MISC", "DATE" };

enum { SRC_GAZ, SRC_RULE, SRC_DOC };
static const char *const source_names[] = { "gazetteer", "rule", "document" };

typedef struct {
  guint32 ts, te;          /* token range [ts, te) */
  gint type;               /* GzClass 0..4, -1 unknown, -2 dropped */
  gint source;
  const GzTable *t;        /* gazetteer entity (or NULL) */
  const GzEntity *ent;
  gint antecedent;         /* candidate whose norm/id this one borrows, -1 none */
  guint8 guess;            /* a PERSON guessed from capitalisation alone */
  guint8 org_ctx;          /* made an ORGANIZATION by its context (team, company cues) */
  char value[48];          /* DATE value */
} Cand;

typedef struct {
  const char *text;
  gsize len;
  Tok *tk;
  guint n;
  const char *nb;          /* norm buffer */
  const Entities *E;
  GArray *cands;           /* Cand */
  Scratch *sc;
  guint32 *lower_set;      /* hashes of lower-case words (built when needed) */
  guint32 lower_mask;
  guint64 lower_bits[64];  /* bit (LOWER_BIT) of the hash of each lower-case word */
  const guint32 *lowers;   /* hashes of the lower-case words (with repeats) */
  guint n_lowers;
  const guint32 *starts;   /* tokens that may start a name, in order */
  guint n_starts;
  const guint32 *dates;    /* tokens that may start a date (T_DATEISH), in order */
  guint n_dates;
  int meta_year, meta_month, meta_day;
} Doc;

/* ------------------------------------------------------------- utilities */

static inline gboolean
tok_is_n (const Doc *d, guint i, const char *s, gsize l)
{
  return i < d->n && d->tk[i].nlen == l && memcmp (d->nb + d->tk[i].norm, s, l) == 0;
}
#define tok_is(d, i, lit) tok_is_n ((d), (i), (lit), sizeof (lit) - 1)

static inline gboolean
name_word (const Tok *t)
{
  return (t->flags & GZ_TOK_WORD) && (t->flags & (GZ_TOK_CAP | GZ_TOK_CASELESS)) &&
         !(t->flags & GZ_TOK_DIGITS) && !(t->flags & T_USED);
}

static inline gboolean
attached (const Tok *t)
{
  return !(t->flags & GZ_TOK_SPACE);
}

static void
lower_set_add (Doc *d, guint32 h)
{
  if (h == 0)
    h = 1;
  guint32 i = h & d->lower_mask;
  for (;;) {
    guint32 v = d->lower_set[i];
    if ((v == 0) | (v == h))
      break;
    i = (i + 1) & d->lower_mask;
  }
  d->lower_set[i] = h;
}

/* Is h the hash of a lower-case word of the document?  By a search of the
 * list (the compiler vectorises the loop)... */
static gboolean
lower_list_has (const Doc *d, guint32 h)
{
  guint32 found = 0;
  for (guint k = 0; k < d->n_lowers; k++)
    found |= d->lowers[k] == h;
  return found != 0;
}

/* ... or in the hashed set (build_lower_set). */
static gboolean
lower_hash_has (const Doc *d, guint32 h)
{
  if (h == 0)
    h = 1;
  guint32 i = h & d->lower_mask;
  while (d->lower_set[i]) {
    if (d->lower_set[i] == h)
      return TRUE;
    i = (i + 1) & d->lower_mask;
  }
  return FALSE;
}

/* The bit of h in lower_bits. */
#define LOWER_BIT_WORD(h) ((h) >> 26)
#define LOWER_BIT(h) (G_GUINT64_CONSTANT (1) << (((h) >> 20) & 63u))

static void build_lower_set (Doc *d);

/* Up to this many lower-case words are searched in a list, more are hashed. */
#define LOWER_SCAN_MAX 256

/* Is h the hash of a lower-case word of the document?  Most words asked
 * about (names) are not: a bitmap of the lower-case words' hashes answers
 * them.  The others are searched in the list, or in a hashed set built at
 * the first such question of a document with many lower-case words. */
static gboolean
lower_set_has (Doc *d, guint32 h)
{
  if (!(d->lower_bits[LOWER_BIT_WORD (h)] & LOWER_BIT (h)))
    return FALSE;
  if (d->n_lowers <= LOWER_SCAN_MAX)
    return lower_list_has (d, h);
  if (!d->lower_set)
    build_lower_set (d);
  return lower_hash_has (d, h);
}

static inline guint32
tok_hash (const Doc *d, guint i)
{
  return d->tk[i].hash;
}

/* ------------------------------------------------------------- matching */

typedef struct {
  guint len;               /* tokens */
  guint cls;               /* GzClass of ent */
  const GzTable *t;
  const GzEntity *ent;
} Match;

static gboolean
case_ok (const GzKey *k, const Tok *tk)
{
  for (guint j = 0, n = GZ_KEY_N_TOKENS (k); j < n; j++) {
    guint32 f = tk[j].flags;
    if (f & GZ_TOK_CASELESS)
      continue;
    if ((k->acro_mask >> j) & 1u) {
      if (!(f & GZ_TOK_ALLCAPS))
        return FALSE;
    } else if ((k->cap_mask >> j) & 1u) {
      if (!(f & (GZ_TOK_CAP | GZ_TOK_ALLCAPS)))
        return FALSE;
    }
  }
  return TRUE;
}

/* match_table past the filter test of token i's hash. */
static __attribute__ ((noinline)) void
match_table_probe (const Doc *d, const GzTable *t, guint i, Match *best)
{
  guint32 h = d->tk[i].hash;
  guint maxt = t->hdr->max_tokens;
  const char *base = d->nb + d->tk[i].norm;
  for (guint k = 0; k < maxt && i + k < d->n; k++) {
    const Tok *tk = &d->tk[i + k];
    if (k > 0) {
      if (tk->flags & (GZ_TOK_NL | T_USED))
        break;
      h = gz_hash_combine (h, tk->hash);
    }
    /* The filter for the first token was tested above. */
    if (k > 0 && !gz_table_maybe (t, h))
      break;
    gsize klen = tk->norm + tk->nlen - d->tk[i].norm;
    const GzKey *key = gz_table_find (t, base, klen, h, gz_key_head_padded (base, klen));
    if (!key)
      break;
    if ((key->flags & GZ_KEY_FULL) && k + 1 > best->len && case_ok (key, &d->tk[i])) {
      best->len = k + 1;
      best->cls = GZ_KEY_CLASS (key);
      best->t = t;
      best->ent = &t->entities[key->entity];
    }
    if (!(key->flags & GZ_KEY_PREFIX))
      break;
  }
}

/* Longest name of `t` starting at token i.  Most words start no name: the
 * filter answers, inline, without touching the table. */
static inline void
match_table (const Doc *d, const GzTable *t, guint i, Match *best)
{
  if (t->hdr && gz_table_maybe (t, d->tk[i].hash))
    match_table_probe (d, t, i, best);
}

/* Best match at i over the gazetteers and the rule words.  Ties go to a real
 * entity over a rule word, and to a rule word over a given name. */
static inline __attribute__ ((always_inline)) void
match_at (const Doc *d, guint i, Match *m)
{
  /* A later table's name replaces g only when longer (match_table_probe
   * updates on a strictly longer match): the first table wins ties. */
  Match g, r;
  g.len = 0;
  r.len = 0;
  for (guint t = 0; t < d->E->n_tables; t++)
    match_table (d, &d->E->tables[t], i, &g);
  match_table (d, &d->E->rules, i, &r);
  if (g.len == 0 && r.len == 0) {
    m->len = 0;
    return;
  }
  if (r.len > g.len)
    *m = r;
  else if (g.len > r.len)
    *m = g;
  else if (g.cls == GZ_GIVEN)
    *m = r;
  else if (g.cls <= GZ_MISC)
    *m = g;
  else
    *m = r;
}

/* The classes (bit 1 << GzClass) of the phrases of table t ending exactly at
 * token `end` (exclusive), up to 4 tokens long: one exact lookup per length. */
static inline gboolean
phrase_ends_has (const PhraseEnds *pe, guint32 h)
{
  h &= (1u << PHRASE_END_BITS) - 1;
  return (pe->bits[h >> 6] >> (h & 63)) & 1u;
}

static inline gboolean
phrase_firsts_has (const PhraseEnds *pe, guint32 h)
{
  h &= (1u << PHRASE_END_BITS) - 1;
  return (pe->firsts[h >> 6] >> (h & 63)) & 1u;
}

/* A key hash's bit in PhraseEnds.keys (mixed: the low bits of a hash also
 * choose its table slot). */
static inline guint32
phrase_key_bit (guint32 h)
{
  return (h * 0x9e3779b1u) >> (32 - PHRASE_KEY_BITS);
}

static inline gboolean
phrase_keys_has (const PhraseEnds *pe, guint32 h)
{
  guint32 b = phrase_key_bit (h);
  return (pe->keys[b >> 6] >> (b & 63)) & 1u;
}

static void
phrase_ends_init (PhraseEnds *pe, const GzTable *t, guint32 classes)
{
  memset (pe, 0, sizeof *pe);
  pe->classes = classes;
  if (!t->hdr)
    return;
  for (guint32 i = 0; i < t->hdr->n_keys; i++) {
    const GzKey *k = &t->keys[i];
    if (!(k->flags & GZ_KEY_FULL) || !((classes >> GZ_KEY_CLASS (k)) & 1u))
      continue;
    /* Keys are normalised tokens joined by one space. */
    const char *key = gz_table_string (t, k->str);
    gsize e = k->len, b = e;
    while (b > 0 && key[b - 1] != ' ')
      b--;
    guint32 h = gz_tok_hash (key + b, e - b) & ((1u << PHRASE_END_BITS) - 1);
    pe->bits[h >> 6] |= G_GUINT64_CONSTANT (1) << (h & 63);
    gsize f = 0;
    while (f < e && key[f] != ' ')
      f++;
    h = gz_tok_hash (key, f) & ((1u << PHRASE_END_BITS) - 1);
    pe->firsts[h >> 6] |= G_GUINT64_CONSTANT (1) << (h & 63);
    guint32 kb = phrase_key_bit (k->hash);
    pe->keys[kb >> 6] |= G_GUINT64_CONSTANT (1) << (kb & 63);
  }
}

static guint32
phrases_before_ref (const Doc *d, const GzTable *t, guint end)
{
  guint32 mask = 0;
  if (!t->hdr)
    return 0;
  for (guint k = 1; k <= 4 && k <= end; k++) {
    guint s = end - k;
    if (d->tk[s].flags & T_USED)
      break;
    guint32 h = d->tk[s].hash;
    for (guint j = s + 1; j < end; j++)
      h = gz_hash_combine (h, d->tk[j].hash);
    if (gz_table_maybe (t, h)) {
      const Tok *last = &d->tk[end - 1];
      const char *kp = d->nb + d->tk[s].norm;
      gsize klen = last->norm + last->nlen - d->tk[s].norm;
      const GzKey *key = gz_table_find (t, kp, klen, h, gz_key_head_padded (kp, klen));
      if (key && (key->flags & GZ_KEY_FULL) && case_ok (key, &d->tk[s]))
        mask |= 1u << GZ_KEY_CLASS (key);
    }
    if (s > 0 && (d->tk[s].flags & GZ_TOK_NL))
      break;
  }
  return mask;
}

/* The same for the classes of pe (other bits may be missing), answered at
 * once for the many tokens that end no phrase of those classes. */
static inline guint32
phrases_before (const Doc *d, const GzTable *t, const PhraseEnds *pe, guint end)
{
  if (end == 0 || !phrase_ends_has (pe, d->tk[end - 1].hash))
    return 0;
  /* phrases_before_ref, with each candidate's hash tested against the
   * names of pe's classes before the table. */
  guint32 mask = 0;
  for (guint k = 1; k <= 4 && k <= end; k++) {
    guint s = end - k;
    if (d->tk[s].flags & T_USED)
      break;
    /* A phrase's hash is combined only when its first token may start one. */
    if (phrase_firsts_has (pe, d->tk[s].hash)) {
      guint32 h = d->tk[s].hash;
      for (guint j = s + 1; j < end; j++)
        h = gz_hash_combine (h, d->tk[j].hash);
      if (phrase_keys_has (pe, h)) {
        const Tok *last = &d->tk[end - 1];
        const char *kp = d->nb + d->tk[s].norm;
        gsize klen = last->norm + last->nlen - d->tk[s].norm;
        const GzKey *key = gz_table_find (t, kp, klen, h, gz_key_head_padded (kp, klen));
        if (key && (key->flags & GZ_KEY_FULL) && case_ok (key, &d->tk[s]))
          mask |= 1u << GZ_KEY_CLASS (key);
      }
    }
    if (s > 0 && (d->tk[s].flags & GZ_TOK_NL))
      break;
  }
  return mask;
}

/* The classes asked for before a token: titles ("Minister X"), and the
 * team and organisation cues of org_context. */
#define RULES_BEFORE_CLASSES (1u << GZ_TITLE)
#define CUES_BEFORE_CLASSES ((1u << GZ_TEAM_BETWEEN) | (1u << GZ_TEAM_BEFORE) | \
                             (1u << GZ_ORG_BEFORE) | (1u << GZ_ORG_NEAR))

static gboolean
rule_before (const Doc *d, guint end, GzClass cls)
{
  g_assert ((RULES_BEFORE_CLASSES >> cls) & 1u);
  return (phrases_before (d, &d->E->rules, &d->E->rules_ends, end) >> cls) & 1u;
}

static guint
add_cand (Doc *d, guint ts, guint te, gint type, gint source, const Match *m)
{
  /* Filled in place: no zeroed copy of the whole record (value[] is only
   * read for dates, which set it). */
  guint idx = d->cands->len;
  Scratch *sc = d->sc;
  if (G_LIKELY (idx < sc->cands_cap)) {
    /* Room known to be there (reserved below): no call per candidate.  The
     * array neither clears nor zero-terminates, so its length is all that
     * changes. */
    d->cands->len = idx + 1;
  } else {
    sc->cands_cap = 2 * idx + 64;
    g_array_set_size (d->cands, sc->cands_cap);
    g_array_set_size (d->cands, idx + 1);
  }
  Cand *c = &g_array_index (d->cands, Cand, idx);
  c->ts = ts;
  c->te = te;
  c->type = type;
  c->source = source;
  c->t = m ? m->t : NULL;
  c->ent = m ? m->ent : NULL;
  c->antecedent = -1;
  c->guess = 0;
  c->org_ctx = 0;
  c->value[0] = '\0';
  return idx;
}

/* ---------------------------------------------------------------- dates */

static int
month_of (const Doc *d, guint i)
{
  return i < d->n ? (int) ((d->tk[i].flags >> T_MONTH_SHIFT) & 15u) : 0;
}

/* Month names by hash (see MonthTable); the first twelve are the full names,
 * in month order. */
static const struct {
  const char *name;
  guint8 month;
} month_names[] = {
  { "january", 1 }, { "february", 2 }, { "march", 3 }, { "april", 4 }, { "may", 5 },
  { "june", 6 }, { "july", 7 }, { "august", 8 }, { "september", 9 }, { "october", 10 },
  { "november", 11 }, { "december", 12 }, { "jan", 1 }, { "feb", 2 }, { "mar", 3 },
  { "apr", 4 }, { "jun", 6 }, { "jul", 7 }, { "aug", 8 }, { "sep", 9 }, { "sept", 9 },
  { "oct", 10 }, { "nov", 11 }, { "dec", 12 },
};

/* 1 when token j is a "." glued to month token i (month m) and that month is
 * cut short ("Aug.", "Sept."): the abbreviation's dot, part of the date.  A
 * full name's dot ends the sentence ("on 2 August.").  Else 0. */
static inline guint
month_dot (const Doc *d, guint i, guint j, int m)
{
  return j < d->n && tok_is (d, j, ".") && attached (&d->tk[j])
         && d->tk[i].nlen < strlen (month_names[m - 1].name);
}

/* The reference for the month bits that the token scan sets (tests compare them). */
static int
month_of_ref (const Doc *d, guint i)
{
  static const char *const full[] = { "january", "february", "march", "april", "may", "june",
                                      "july", "august", "september", "october", "november",
                                      "december" };
  if (i >= d->n || !(d->tk[i].flags & (GZ_TOK_CAP | GZ_TOK_ALLCAPS)) || !(d->tk[i].flags & GZ_TOK_ASCII))
    return 0;
  guint l = d->tk[i].nlen;
  if (l < 3 || l > 9)
    return 0;
  const guchar *s = (const guchar *) d->nb + d->tk[i].norm;
  int m;
#define M3(a, b, c) (((guint32) (a) << 16) | ((guint32) (b) << 8) | (guint32) (c))
  switch (M3 (s[0], s[1], s[2])) {
  case M3 ('j', 'a', 'n'): m = 1; break;
  case M3 ('f', 'e', 'b'): m = 2; break;
  case M3 ('m', 'a', 'r'): m = 3; break;
  case M3 ('a', 'p', 'r'): m = 4; break;
  case M3 ('m', 'a', 'y'): m = 5; break;
  case M3 ('j', 'u', 'n'): m = 6; break;
  case M3 ('j', 'u', 'l'): m = 7; break;
  case M3 ('a', 'u', 'g'): m = 8; break;
  case M3 ('s', 'e', 'p'): m = 9; break;
  case M3 ('o', 'c', 't'): m = 10; break;
  case M3 ('n', 'o', 'v'): m = 11; break;
  case M3 ('d', 'e', 'c'): m = 12; break;
  default: return 0;
  }
#undef M3
  if (l == 3)
    return m;
  if (l == 4 && m == 9 && s[3] == 't')
    return 9;
  if (strlen (full[m - 1]) == l && memcmp (full[m - 1], s, l) == 0)
    return m;
  return 0;
}

/* A day number (1..31), possibly "24th". -1 otherwise. */
static inline __attribute__ ((always_inline)) int
day_of (const Doc *d, guint i)
{
  if (i >= d->n || !(d->tk[i].flags & GZ_TOK_HASDIGIT))
    return -1;
  const char *s = d->nb + d->tk[i].norm;
  guint l = d->tk[i].nlen, k = 0;
  int v = 0;
  while (k < l && k < 2 && g_ascii_isdigit (s[k]))
    v = v * 10 + (s[k++] - '0');
  if (k == 0 || v < 1 || v > 31)
    return -1;
  if (k == l)
    return v;
  if (l - k == 2 && (memcmp (s + k, "st", 2) == 0 || memcmp (s + k, "nd", 2) == 0 ||
                     memcmp (s + k, "rd", 2) == 0 || memcmp (s + k, "th", 2) == 0))
    return v;
  return -1;
}

static int
year_of (const Doc *d, guint i)
{
  if (i >= d->n || !(d->tk[i].flags & GZ_TOK_DIGITS) || d->tk[i].nlen != 4)
    return -1;
  const char *s = d->nb + d->tk[i].norm;
  int v = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  return v >= 1000 && v <= 2999 ? v : -1;
}

static int
digits_val (const Doc *d, guint i, guint len)
{
  if (i >= d->n || !(d->tk[i].flags & GZ_TOK_DIGITS) || d->tk[i].nlen != len)
    return -1;
  const char *s = d->nb + d->tk[i].norm;
  int v = 0;
  for (guint k = 0; k < len; k++)
    v = v * 10 + (s[k] - '0');
  return v;
}

static inline __attribute__ ((always_inline)) gboolean
is_dash (const Doc *d, guint i)
{
  return tok_is (d, i, "-") || tok_is (d, i, "/");
}

/* A number glued to the date on the left or right ("1,992", "1992.5")? */
static gboolean
glued_number (const Doc *d, guint s, guint e)
{
  if (s >= 2 && attached (&d->tk[s]) && (tok_is (d, s - 1, ",") || tok_is (d, s - 1, ".")) &&
      attached (&d->tk[s - 1]) && (d->tk[s - 2].flags & GZ_TOK_HASDIGIT))
    return TRUE;
  if (e + 1 < d->n && attached (&d->tk[e]) && (tok_is (d, e, ",") || tok_is (d, e, ".")) &&
      attached (&d->tk[e + 1]) && (d->tk[e + 1].flags & GZ_TOK_HASDIGIT))
    return TRUE;
  if (s >= 1 && attached (&d->tk[s]) && (tok_is (d, s - 1, "$") || (d->tk[s - 1].flags & GZ_TOK_WORD)))
    return TRUE;
  if (e < d->n && attached (&d->tk[e]) && ((d->tk[e].flags & GZ_TOK_WORD) || tok_is (d, e, "%")))
    return TRUE;
  return FALSE;
}

/* Writes v as `w` digits (v in 0 .. 10^w - 1). */
static char *
put_digits (char *p, int v, int w)
{
  if (v < 0)
    v = 0;
  for (int k = w - 1; k >= 0; k--) {
    p[k] = (char) ('0' + v % 10);
    v /= 10;
  }
  return p + w;
}

/* "YYYY-MM-DD", or "--MM-DD" when the year is unknown; returns the end. */
static char *
fmt_day (const Doc *d, char *p, int y, int m, int day)
{
  if (y <= 0 && d->meta_year > 0) {
    y = d->meta_year;
    /* More than six months after the document's date: last year's. */
    int diff = (m - d->meta_month) * 31 + (day - d->meta_day);
    if (diff > 6 * 31)
      y--;
  }
  if (y > 0) {
    p = put_digits (p, y, 4);
  } else {
    *p++ = '-';
  }
  *p++ = '-';
  p = put_digits (p, m, 2);
  *p++ = '-';
  return put_digits (p, day, 2);
}

/* val holds at least 48 bytes. */
static void
date_value (const Doc *d, char *buf, int y, int m, int d1, int d2)
{
  char *p = fmt_day (d, buf, y, m, d1);
  if (d2 > 0) {
    *p++ = '/';
    p = fmt_day (d, p, y, m, d2);
  }
  *p = '\0';
}

/* "YYYY", "YYYY-MM", "YYYY-MM-DD" (fields < 0 are left out), "--MM" when y < 0. */
static void
ymd_value (char *buf, int y, int m, int day)
{
  char *p = buf;
  if (y >= 0) {
    p = put_digits (p, y, 4);
  } else {
    *p++ = '-';
  }
  if (m >= 0) {
    *p++ = '-';
    p = put_digits (p, m, 2);
  }
  if (day >= 0) {
    *p++ = '-';
    p = put_digits (p, day, 2);
  }
  *p = '\0';
}

static gboolean
year_context (const Doc *d, guint i)
{
  static const char *const before[] = { "in", "since", "until", "till", "by", "from", "of",
                                        "during", "before", "after", "early", "late", "mid",
                                        "year", "through", "circa", "around",
                                        "spring", "summer", "autumn", "fall", "winter", "end",
                                        NULL };
  if (i == 0)
    return FALSE;
  if (!(d->tk[i - 1].flags & GZ_TOK_LOWER))
    return FALSE;
  for (int k = 0; before[k]; k++)
    if (tok_is_n (d, i - 1, before[k], strlen (before[k])))
      return TRUE;
  return FALSE;
}

/* Tries a date at token i; returns the end token (exclusive) or 0. */
static guint
date_at (const Doc *d, guint i, char *val)
{
  const Tok *tk = d->tk;
  int m, day, day2 = 0, y;
  guint j;

  /* ISO 2024-02-26 (attached). */
  if ((y = year_of (d, i)) > 0 && i + 4 < d->n && tok_is (d, i + 1, "-") && attached (&tk[i + 1]) &&
      attached (&tk[i + 2]) && tok_is (d, i + 3, "-") && attached (&tk[i + 3]) &&
      attached (&tk[i + 4])) {
    int mm = digits_val (d, i + 2, 2), dd = digits_val (d, i + 4, 2);
    if (mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31 && !glued_number (d, i, i + 5)) {
      ymd_value (val, y, mm, dd);
      return i + 5;
    }
  }
  /* Year range 2020-2023. */
  if ((y = year_of (d, i)) > 0 && i + 2 < d->n && is_dash (d, i + 1) && attached (&tk[i + 1]) &&
      attached (&tk[i + 2])) {
    int y2 = year_of (d, i + 2);
    if (y2 > y && y2 - y < 200 && !glued_number (d, i, i + 3)) {
      {
        char *p = put_digits (val, y, 4);
        *p++ = '/';
        p = put_digits (p, y2, 4);
        *p = '\0';
      }
      return i + 3;
    }
  }
  /* Month Day[-Day2][,] [Year] | Month Year | Month alone. */
  if ((m = month_of (d, i)) > 0) {
    j = i + 1;
    j += month_dot (d, i, j, m);
    if ((day = day_of (d, j)) > 0 && !(tk[j].flags & GZ_TOK_NL)) {
      guint k = j + 1;
      if (k + 1 < d->n && is_dash (d, k) && (day2 = day_of (d, k + 1)) > day)
        k += 2;
      else
        day2 = 0;
      guint k2 = k;
      if (k2 < d->n && tok_is (d, k2, ","))
        k2++;
      if ((y = year_of (d, k2)) > 0 && !glued_number (d, k2, k2 + 1)) {
        date_value (d, val, y, m, day, day2);
        return k2 + 1;
      }
      if (glued_number (d, j, k))
        return 0;
      date_value (d, val, 0, m, day, day2);
      return k;
    }
    if ((y = year_of (d, j)) > 0 && !glued_number (d, j, j + 1)) {
      ymd_value (val, y, m, -1);
      return j + 1;
    }
    /* A month name alone: only a full name, and May/March only after a cue. */
    if (d->tk[i].nlen > 3 && (m != 5 && m != 3 ? TRUE : year_context (d, i)) &&
        !(tk[i].flags & GZ_TOK_ALLCAPS)) {
      ymd_value (val, -1, m, -1);
      return i + 1;
    }
    return 0;
  }
  /* Day[-Day2] [of] Month [,] [Year]. */
  if ((day = day_of (d, i)) > 0) {
    j = i + 1;
    if (j + 1 < d->n && is_dash (d, j) && (day2 = day_of (d, j + 1)) > day)
      j += 2;
    else
      day2 = 0;
    if (tok_is (d, j, "of"))
      j++;
    if ((m = month_of (d, j)) > 0 && !(i > 0 && attached (&tk[i]) && (tk[i - 1].flags & GZ_TOK_HASDIGIT))) {
      guint k = j + 1;
      k += month_dot (d, j, k, m);
      guint k2 = k;
      if (k2 < d->n && tok_is (d, k2, ","))
        k2++;
      if ((y = year_of (d, k2)) > 0 && !glued_number (d, k2, k2 + 1)) {
        date_value (d, val, y, m, day, day2);
        return k2 + 1;
      }
      date_value (d, val, 0, m, day, day2);
      return k;
    }
    return 0;
  }
  /* A year alone, after a cue word ("in 1992", "since 2008"). */
  if ((y = year_of (d, i)) > 0 && y >= 1500 && y <= 2100 &&
      (year_context (d, i) || (i > 0 && tok_is (d, i - 1, "the") && i + 1 < d->n &&
                               (d->tk[i + 1].flags & GZ_TOK_CAP))) &&
      !glued_number (d, i, i + 1)) {
    ymd_value (val, y, -1, -1);
    return i + 1;
  }
  return 0;
}

static void
find_dates (Doc *d)
{
  guint next = 0;
  for (guint q = 0; q < d->n_dates; q++) {
    guint i = d->dates[q];
    if (i < next)
      continue;
    char val[48];
    guint e = date_at (d, i, val);
    if (e > i) {
      guint c = add_cand (d, i, e, GZ_DATE, SRC_RULE, NULL);
      memcpy (g_array_index (d->cands, Cand, c).value, val, sizeof val);
      for (guint k = i; k < e; k++)
        d->tk[k].flags |= T_USED;
      next = e;
    }
  }
}

/* ---------------------------------------------------------------- names */

typedef struct {
  guint s, e;      /* tokens */
  gint cls;        /* GzClass or -1 plain */
  Match m;
} Atom;

static inline gboolean
is_entity_cls (gint c)
{
  return c >= GZ_PERSON && c <= GZ_MISC;
}

static inline __attribute__ ((always_inline)) void
emit_unknown (Doc *d, guint s, guint e)
{
  /* A sentence opener that the document also writes in lower case is a common word. */
  if (e == s + 1 && (d->tk[s].flags & T_SENTSTART) && lower_set_has (d, tok_hash (d, s)))
    return;
  add_cand (d, s, e, -1, SRC_RULE, NULL);
}

/* Does a run of atoms hold a word that the document also writes in lower
 * case ("Refugee Women" next to "women")?  Then it is no person's name. */
static gboolean
run_has_common_word (Doc *d, const Atom *a, guint k, guint run)
{
  for (guint r = 0; r < run; r++)
    for (guint t = a[k + r].s; t < a[k + r].e; t++)
      if ((d->tk[t].flags & GZ_TOK_WORD) && !(d->tk[t].flags & T_SENTSTART) &&
          lower_set_has (d, tok_hash (d, t)))
        return TRUE;
  return FALSE;
}

static inline __attribute__ ((always_inline)) void
analyse (Doc *d, Atom *a, guint na, gboolean person_ctx, gboolean caps)
{
  guint k = 0;
  while (k < na) {
    gint c = a[k].cls;
    if (c == GZ_CONNECTOR || c == GZ_STOP || c == GZ_PERSON_SUFFIX) {
      k++;
      continue;
    }
    if (c == GZ_TITLE) {
      person_ctx = TRUE;
      k++;
      continue;
    }
    /* Organisation: up to the last organisation word (or the end of an
     * "<head> of ..." name), stopping at a title. */
    {
      gint org_end = -1;
      gboolean head_of = FALSE, seen_conn = FALSE;
      guint m;
      for (m = k; m < na; m++) {
        gint cm = a[m].cls;
        if (cm == GZ_TITLE || cm == GZ_STOP)
          break;
        if (cm == GZ_CONNECTOR) {
          /* "Tramlot SA and Kestrel Holdings": two names, unless the first
           * is a "<head> of ..." name ("Ministry of Culture and Tourism"). */
          if (org_end >= (gint) k && !head_of && (tok_is (d, a[m].s, "and") || tok_is (d, a[m].s, "or")))
            break;
          seen_conn = TRUE;
        }
        if (cm == GZ_ORG_SUFFIX || cm == GZ_ORG_HEAD ||
            (cm == GZ_ORGANIZATION && m > k && !seen_conn)) {
          if (cm != GZ_ORG_HEAD)
            org_end = (gint) m;
          if (m + 1 < na && a[m + 1].cls == GZ_CONNECTOR &&
              (tok_is (d, a[m + 1].s, "of") || tok_is (d, a[m + 1].s, "for") ||
               tok_is (d, a[m + 1].s, "on")))
            head_of = TRUE;
        }
        if (head_of && cm != GZ_CONNECTOR && cm != GZ_GIVEN)
          org_end = (gint) m;
        if (head_of && cm == GZ_GIVEN && m > k)
          break;
      }
      if (org_end > (gint) k || (org_end == (gint) k && c == GZ_ORGANIZATION)) {
        if (org_end == (gint) k)
          add_cand (d, a[k].s, a[k].e, GZ_ORGANIZATION, SRC_GAZ, &a[k].m);
        else
          add_cand (d, a[k].s, a[org_end].e, GZ_ORGANIZATION, SRC_RULE, NULL);
        k = org_end + 1;
        person_ctx = FALSE;
        continue;
      }
    }
    /* "Republic of X" and friends. */
    if (c == GZ_LOC_HEAD && k + 2 < na && a[k + 1].cls == GZ_CONNECTOR && tok_is (d, a[k + 1].s, "of")) {
      guint m = k + 2;
      while (m + 1 < na && a[m + 1].cls != GZ_TITLE && a[m + 1].cls != GZ_GIVEN && m < k + 5)
        m++;
      add_cand (d, a[k].s, a[m].e, GZ_LOCATION, SRC_RULE, NULL);
      k = m + 1;
      continue;
    }
    /* Events, documents: up to the last MISC word. */
    {
      gint end = -1;
      gboolean of = FALSE;
      for (guint m = k; m < na; m++) {
        if (a[m].cls == GZ_TITLE || a[m].cls == GZ_STOP || (of && a[m].cls == GZ_GIVEN))
          break;
        if (a[m].cls == GZ_MISC_SUFFIX) {
          end = (gint) m;
          /* "Treaty of Velmont": the name goes on after "of". */
          if (m + 2 < na && a[m + 1].cls == GZ_CONNECTOR && tok_is (d, a[m + 1].s, "of"))
            of = TRUE;
        } else if (of && a[m].cls != GZ_CONNECTOR) {
          end = (gint) m;
        }
      }
      if (end > (gint) k) {
        add_cand (d, a[k].s, a[end].e, GZ_MISC, SRC_RULE, NULL);
        k = end + 1;
        continue;
      }
    }
    if (is_entity_cls (c) && !(person_ctx && c != GZ_PERSON && k + 1 < na && a[k + 1].cls == -1)) {
      add_cand (d, a[k].s, a[k].e, c, a[k].m.ent ? SRC_GAZ : SRC_RULE, &a[k].m);
      k++;
      person_ctx = FALSE;
      continue;
    }
    /* People. */
    guint run = 0;
    while (k + run < na && run < 5) {
      gint cr = a[k + run].cls;
      if (cr == -1 || cr == GZ_GIVEN || (run > 0 && cr == GZ_PERSON_SUFFIX) ||
          (person_ctx && is_entity_cls (cr) && run == 0) ||
          /* "Michael Jordan": a one-word place after a given name is a surname. */
          (run > 0 && (a[k].cls == GZ_GIVEN || person_ctx) && is_entity_cls (cr) &&
           a[k + run].e == a[k + run].s + 1))
        run++;
      else
        break;
    }
    if (run > 0) {
      if (caps && !person_ctx) {
        for (guint r = 0; r < run; r++)
          emit_unknown (d, a[k + r].s, a[k + r].e);
      } else if (person_ctx || (a[k].cls == GZ_GIVEN && run >= 2)) {
        add_cand (d, a[k].s, a[k + run - 1].e, GZ_PERSON, SRC_RULE, NULL);
      } else if (run >= 2 && d->E->guess_persons && !run_has_common_word (d, a, k, run)) {
        guint s = k;
        if ((d->tk[a[s].s].flags & T_SENTSTART) && a[s].cls == -1 &&
            lower_set_has (d, tok_hash (d, a[s].s)))
          s++;
        if (k + run - s >= 2) {
          guint ci = add_cand (d, a[s].s, a[k + run - 1].e, GZ_PERSON, SRC_RULE, NULL);
          gboolean guess = TRUE;
          for (guint r = s; r < k + run; r++)
            if (a[r].cls != -1 || a[r].e != a[r].s + 1)   /* given name, initial, "Jr." */
              guess = FALSE;
          g_array_index (d->cands, Cand, ci).guess = (guint8) guess;
        } else
          emit_unknown (d, a[s].s, a[k + run - 1].e);
      } else {
        emit_unknown (d, a[k].s, a[k + run - 1].e);
      }
      k += run;
      person_ctx = FALSE;
      continue;
    }
    k++;
  }
}

static inline __attribute__ ((always_inline)) gboolean
is_quote (const Doc *d, guint i)
{
  return tok_is (d, i, "\"") || tok_is (d, i, "\u00ab") || tok_is (d, i, "\u00bb");
}

static void
find_names (Doc *d)
{
  /* The tokens that may start a name (capitalised, all-capitals or caseless
   * words) are listed by the token scan; `next` is the first token not yet
   * consumed by a chunk. */
  guint next = 0;
  for (guint q = 0; q < d->n_starts; q++) {
    guint i = d->starts[q];
    if (i < next)
      continue;
    const Tok *t = &d->tk[i];
    if (t->flags & T_USED)
      continue;
    gboolean caps = (t->flags & T_CAPSLINE) != 0;
    Atom a[MAX_ATOMS];
    guint na = 0, j = i;
    while (j < d->n && na < MAX_ATOMS) {
      const Tok *tj = &d->tk[j];
      if (j > i && (tj->flags & (GZ_TOK_NL | T_USED)))
        break;
      if (name_word (tj)) {
        Match m = { 0 };
        match_at (d, j, &m);
        if (m.len > 0) {
          a[na].s = j;
          a[na].e = j + m.len;
          a[na].cls = (gint) m.cls;
          a[na].m = m;
        } else {
          a[na].s = j;
          a[na].e = j + 1;
          a[na].cls = -1;
          memset (&a[na].m, 0, sizeof (Match));
        }
        if (na == 0 && a[na].cls == GZ_STOP)
          break;
        na++;
        j = a[na - 1].e;
        continue;
      }
      if (na == 0)
        break;
      /* "Armenian-Azerbaijani": two MISC names joined by a hyphen. */
      if (tok_is (d, j, "-") && attached (tj) && j + 1 < d->n && attached (&d->tk[j + 1]) &&
          a[na - 1].cls == GZ_MISC && name_word (&d->tk[j + 1])) {
        Match m2 = { 0 };
        match_at (d, j + 1, &m2);
        if (m2.len > 0 && m2.cls == GZ_MISC) {
          a[na - 1].e = j + 1 + m2.len;
          a[na - 1].m.ent = NULL;
          j = a[na - 1].e;
          continue;
        }
      }
      /* Joiners inside a name: "Al-Hadid", "O'Neill", initials "J. R.". */
      if ((tok_is (d, j, "-") || tok_is (d, j, "'")) && attached (tj) && j + 1 < d->n &&
          attached (&d->tk[j + 1]) && name_word (&d->tk[j + 1]) && a[na - 1].cls == -1) {
        a[na - 1].e = j + 2;
        j += 2;
        continue;
      }
      if (tok_is (d, j, ".") && attached (tj) && a[na - 1].cls == -1 &&
          a[na - 1].e == a[na - 1].s + 1 && d->tk[a[na - 1].s].end - d->tk[a[na - 1].s].start == 1 &&
          j + 1 < d->n && name_word (&d->tk[j + 1])) {
        a[na - 1].e = j + 1;
        j++;
        continue;
      }
      /* Lower-case connectors followed by a capitalised word. */
      if ((tj->flags & GZ_TOK_LOWER) || tok_is (d, j, "&")) {
        guint k = j;
        while (k < d->n && k < j + 3 && !(d->tk[k].flags & (GZ_TOK_NL | T_USED))) {
          Match r = { 0 };
          match_table (d, &d->E->rules, k, &r);
          if (r.len == 1 && r.cls == GZ_CONNECTOR)
            k++;
          else
            break;
        }
        if (k > j && k < d->n && name_word (&d->tk[k]) && !(d->tk[k].flags & GZ_TOK_NL) &&
            na + (k - j) < MAX_ATOMS) {
          for (guint c = j; c < k; c++) {
            a[na].s = c;
            a[na].e = c + 1;
            a[na].cls = GZ_CONNECTOR;
            memset (&a[na].m, 0, sizeof (Match));
            na++;
          }
          j = k;
          continue;
        }
      }
      /* A comma inside "Committee for Family, Women and Children Affairs" is
       * beyond these rules: a name ends at punctuation. */
      break;
    }
    if (na == 0) {
      next = (j > i) ? j : i + 1;
      continue;
    }
    /* A quoted title-case phrase of two or more words ("Justice for Khojaly")
     * names a campaign, a work or an event. */
    guint qe = a[na - 1].e;
    if (!caps && na >= 3 && i > 0 && qe < d->n && is_quote (d, i - 1) && is_quote (d, qe) &&
        attached (&d->tk[i]) && attached (&d->tk[qe]) &&
        !(na == 1 && is_entity_cls (a[0].cls))) {
      add_cand (d, i, qe, GZ_MISC, SRC_RULE, NULL);
      next = qe;
      continue;
    }
    gboolean person_ctx = rule_before (d, i, GZ_TITLE);
    analyse (d, a, na, person_ctx, caps);
    next = a[na - 1].e;
  }
}

/* ---------------------------------------------------------- consistency */

/* ------------------------------------------------------ organisation cues */

/* The class of the longest rule phrase starting at token i (-1 none); its
 * length in *len. */
static inline __attribute__ ((always_inline)) gint
cue_at (const Doc *d, guint i, guint *len)
{
  Match r = { 0 };
  if (i < d->n && !(d->tk[i].flags & GZ_TOK_NL))
    match_table (d, &d->E->cues, i, &r);
  *len = r.len;
  return r.len ? (gint) r.cls : -1;
}

/* A country, national teams included: ISO 3166-1 entries, and the four
 * ISO 3166-2:GB subdivisions whose category is "country". */
static gboolean
is_country_id_ref (const char *id)
{
  return g_str_has_prefix (id, "iso3166-1:") || strcmp (id, "iso3166-2:GB-ENG") == 0 ||
         strcmp (id, "iso3166-2:GB-SCT") == 0 || strcmp (id, "iso3166-2:GB-WLS") == 0 ||
         strcmp (id, "iso3166-2:GB-NIR") == 0;
}

/* The same without a call for the common ids ("geonames:...", none): every
 * country id starts "iso3166-", and the GB ones are "iso3166-2:GB-XXX". */
static inline gboolean
is_country_id (const char *id)
{
  if (id[0] != 'i' || strncmp (id, "iso3166-", 8) != 0)
    return FALSE;
  if (id[8] == '1')
    return id[9] == ':';
  return id[8] == '2' && (strcmp (id + 9, ":GB-ENG") == 0 || strcmp (id + 9, ":GB-SCT") == 0 ||
                          strcmp (id + 9, ":GB-WLS") == 0 || strcmp (id + 9, ":GB-NIR") == 0);
}

/* For the tests: TRUE when is_country_id agrees with the reference on id. */
gboolean
entities_is_country_id_check (const char *id)
{
  return is_country_id (id) == is_country_id_ref (id);
}

static gboolean
is_country (const Cand *x)
{
  if (!x->ent)
    return FALSE;
  return is_country_id (gz_table_string (x->t, x->ent->id));
}

/* May context make this candidate an organisation?  Places other than
 * countries (national teams are the country), unknown names and guessed
 * persons. */
static inline __attribute__ ((always_inline)) gboolean
org_eligible (const Cand *x, gboolean places)
{
  if (x->type < 0 || (x->type == GZ_PERSON && x->guess))
    return TRUE;
  return places && x->type == GZ_LOCATION && x->ent && !is_country (x);
}

static gboolean
line_is (const Doc *d, guint i, gboolean start)
{
  if (start)
    return i == 0 || (d->tk[i].flags & GZ_TOK_NL);
  return i >= d->n || (d->tk[i].flags & GZ_TOK_NL);
}

/* Sports teams and companies known by their context:
 *  - a team-between phrase on either side ("Leicestershire beat Somerset",
 *    "Essex v Kent"), a team-before phrase before ("victory over Orrell"),
 *    a team-after phrase after ("Newcastle striker");
 *  - a name followed by a number on a results or standings line
 *    ("Hull 0 Barnet 0", "Haitai 64 2 43 .596");
 *  - a fixture line "X at Y" / "X v Y";
 *  - for names in no gazetteer: an org-before phrase before ("shares in X",
 *    "analyst at X"), an org-after phrase after ("X shares", "X's board");
 * Countries stay places.  Document consistency spreads the type to the
 * name's other mentions. */
static void
org_context (Doc *d)
{
  GArray *cs = d->cands;
  for (guint c = 0; c < cs->len; c++) {
    Cand *x = &g_array_index (cs, Cand, c);
    if (!org_eligible (x, TRUE))
      continue;
    /* A city and a plural nickname: "Seattle Mariners", "Boston Red Sox". */
    if (x->type == GZ_LOCATION && c + 1 < cs->len) {
      Cand *y = &g_array_index (cs, Cand, c + 1);
      const Tok *last = &d->tk[y->te - 1];
      if (y->ts == x->te && y->te - y->ts <= 2 && (y->type == -1 || (y->type == GZ_PERSON && y->guess)) &&
          !(d->tk[y->ts].flags & GZ_TOK_NL) && (last->flags & GZ_TOK_WORD) && last->nlen >= 4 &&
          (d->nb[last->norm + last->nlen - 1] == 's' || d->nb[last->norm + last->nlen - 1] == 'x') &&
          !(last->flags & GZ_TOK_ALLCAPS)) {
        x->te = y->te;
        x->type = GZ_ORGANIZATION;
        x->source = SRC_RULE;
        x->org_ctx = 1;
        x->t = NULL;
        x->ent = NULL;
        y->type = -2;
        continue;
      }
    }
    guint ts = x->ts, te = x->te, len;
    gboolean team = FALSE, org = FALSE;
    gint after = cue_at (d, te, &len);
    guint32 before = phrases_before (d, &d->E->cues, &d->E->cues_ends, ts);
    if (after == GZ_TEAM_BETWEEN || after == GZ_TEAM_AFTER)
      team = TRUE;
    else if (before & ((1u << GZ_TEAM_BETWEEN) | (1u << GZ_TEAM_BEFORE)))
      team = TRUE;
    else if ((d->tk[ts].flags & T_TABLE) && te < d->n && (d->tk[te].flags & GZ_TOK_DIGITS) &&
             x->type != GZ_PERSON &&
             !(d->tk[te].flags & (GZ_TOK_NL | T_USED)) &&
             !(ts > 0 && tok_is (d, ts - 1, "(")))
      team = TRUE;
    else if (line_is (d, ts, TRUE) && (tok_is (d, te, "at") || after == GZ_TEAM_BETWEEN)) {
      /* "KANSAS CITY AT DETROIT": the line is two names around "at". */
      guint k = te + 1;
      for (guint o = c + 1; o < cs->len && o < c + 3; o++) {
        Cand *y = &g_array_index (cs, Cand, o);
        if (y->ts == k && line_is (d, y->te, FALSE) && org_eligible (y, TRUE)) {
          team = TRUE;
          y->type = GZ_ORGANIZATION;
          y->source = SRC_RULE;
          y->org_ctx = 1;
        }
      }
    }
    if (!team && org_eligible (x, FALSE)) {
      guint e = te;
      if (tok_is (d, e, "'") && tok_is (d, e + 1, "s"))
        e += 2;
      gint cls = cue_at (d, e, &len);
      if (cls == GZ_ORG_AFTER || (cls == GZ_ORG_NEAR && e == te))
        org = TRUE;
      else if (before & ((1u << GZ_ORG_BEFORE) | (1u << GZ_ORG_NEAR)))
        org = TRUE;
    }
    if (team || org) {
      x->type = GZ_ORGANIZATION;
      x->source = SRC_RULE;
      x->org_ctx = 1;
    }
  }
}

/* After consistency: a word still unknown that is all capitals, 2-5 letters
 * long, outside a headline ("the WBA title"), is an organisation's acronym
 * unless listed as not-org ("CEO", "GDP", "USD"). */
static void
acronyms (Doc *d)
{
  for (guint c = 0; c < d->cands->len; c++) {
    Cand *x = &g_array_index (d->cands, Cand, c);
    guint ts = x->ts, len;
    if (x->type != -1 || x->te != ts + 1)
      continue;
    guint32 f = d->tk[ts].flags, n = d->tk[ts].end - d->tk[ts].start;
    if ((f & GZ_TOK_ALLCAPS) && (f & GZ_TOK_ASCII) && !(f & (T_CAPSLINE | GZ_TOK_HASDIGIT)) &&
        n >= 2 && n <= 5 && cue_at (d, ts, &len) != GZ_NOT_ORG) {
      x->type = GZ_ORGANIZATION;
      x->source = SRC_RULE;
    }
  }
}

/* The key of a token range: its normalised bytes (tokens joined by one space
 * in the norm buffer) and their hash, combined from the tokens' hashes. */
typedef struct {
  guint32 hash, off, len;
} RangeKey;

static RangeKey
range_key (const Doc *d, guint ts, guint te)
{
  RangeKey k;
  k.hash = d->tk[ts].hash;
  for (guint t = ts + 1; t < te; t++)
    k.hash = gz_hash_combine (k.hash, d->tk[t].hash);
  k.off = d->tk[ts].norm;
  k.len = d->tk[te - 1].norm + d->tk[te - 1].nlen - d->tk[ts].norm;
  return k;
}

static void
map_init (NameMap *m, MapSlot *slots, guint32 n, guint32 gen)
{
  m->slots = slots;
  m->mask = n - 1;
  m->gen = gen;
}

/* The slot of `k`: its own, or the empty one where it would go. */
static MapSlot *
map_slot (const Doc *d, const NameMap *m, RangeKey k)
{
  guint32 i = k.hash & m->mask;
  for (;;) {
    MapSlot *s = &m->slots[i];
    if (s->gen != m->gen)
      return s;
    if (s->hash == k.hash && s->len == k.len &&
        memcmp (d->nb + s->off, d->nb + k.off, k.len) == 0)
      return s;
    i = (i + 1) & m->mask;
  }
}

/* Maps are sized to twice the number of entries they can receive, so a free
 * slot always remains. */
static void
map_put (const Doc *d, NameMap *m, RangeKey k, gint cand, gboolean replace)
{
  MapSlot *s = map_slot (d, m, k);
  if (s->gen == m->gen && !replace)
    return;
  s->hash = k.hash;
  s->off = k.off;
  s->len = k.len;
  s->cand = cand;
  s->gen = m->gen;
}

/* The candidate of `k`, -1 when absent. */
static gint
map_get (const Doc *d, const NameMap *m, RangeKey k)
{
  const MapSlot *s = map_slot (d, m, k);
  return s->gen == m->gen ? s->cand : -1;
}

static void
consistency (Doc *d)
{
  GArray *cs = d->cands;
  if (cs->len == 0)
    return;
  NameMap typed, surname, given;
  guint n0 = cs->len;
  /* typed gets at most two keys per candidate, surname one. */
  guint32 nt = 16, ns = 16;
  while (nt < 4 * n0)
    nt <<= 1;
  while (ns < 2 * n0)
    ns <<= 1;
  Scratch *sc = d->sc;
  if (sc->maps_cap < (gsize) nt + 2 * ns) {
    g_free (sc->maps);
    sc->maps_cap = (gsize) nt + 2 * ns;
    sc->maps = g_new0 (MapSlot, sc->maps_cap);   /* gen 0: empty */
    sc->maps_gen = 0;
  }
  /* A new generation empties the three maps (which share it: their slots
   * do not overlap) without clearing them. */
  if (G_UNLIKELY (++sc->maps_gen == 0)) {
    memset (sc->maps, 0, sc->maps_cap * sizeof (MapSlot));
    sc->maps_gen = 1;
  }
  map_init (&typed, sc->maps, nt, sc->maps_gen);
  map_init (&surname, sc->maps + nt, ns, sc->maps_gen);
  map_init (&given, sc->maps + nt + ns, ns, sc->maps_gen);

  for (guint c = 0; c < n0; c++) {
    Cand *x = &g_array_index (cs, Cand, c);
    if (x->type < 0 || x->type == GZ_DATE)
      continue;
    map_put (d, &typed, range_key (d, x->ts, x->te), (gint) c, x->org_ctx);
    if (x->type == GZ_PERSON && x->te - x->ts >= 2 && (d->tk[x->te - 1].flags & GZ_TOK_WORD))
      map_put (d, &surname, range_key (d, x->te - 1, x->te), (gint) c, FALSE);
    if (x->type == GZ_PERSON && x->te - x->ts >= 2 && (d->tk[x->ts].flags & GZ_TOK_WORD) &&
        d->tk[x->ts].nlen >= 3)
      map_put (d, &given, range_key (d, x->ts, x->ts + 1), (gint) c, FALSE);
    /* "Organization of Islamic Conference (OIC)": the acronym is an alias here. */
    guint e = x->te;
    if (x->te - x->ts >= 2 && e + 2 < d->n && tok_is (d, e, "(") && tok_is (d, e + 2, ")") &&
        (d->tk[e + 1].flags & GZ_TOK_ALLCAPS) && d->tk[e + 1].nlen >= 2) {
      map_put (d, &typed, range_key (d, e + 1, e + 2), (gint) c, TRUE);
      gboolean present = FALSE;
      for (guint o = c + 1; o < cs->len && o < c + 4 && !present; o++)
        present = g_array_index (cs, Cand, o).ts == e + 1;
      if (!present) {
        gint type = x->type;
        guint n = add_cand (d, e + 1, e + 2, type, SRC_DOC, NULL);
        g_array_index (cs, Cand, n).antecedent = (gint) c;
      }
    }
  }

  for (guint c = 0; c < cs->len; c++) {
    Cand *x = &g_array_index (cs, Cand, c);
    if (x->type == GZ_DATE || x->type == -2 || (x->type >= 0 && x->source == SRC_DOC))
      continue;
    if (x->type < 0 || (x->te - x->ts == 1 && x->type != GZ_PERSON)) {
      RangeKey k = range_key (d, x->ts, x->te);
      gint v;
      if ((v = map_get (d, &surname, k)) >= 0) {
        x->type = GZ_PERSON;
        x->source = SRC_DOC;
        x->antecedent = v;
        x->t = NULL;
        x->ent = NULL;
      } else if ((x->type < 0 || x->org_ctx) && x->te == x->ts + 1 &&
                 (v = map_get (d, &given, k)) >= 0) {
        /* "Jansher Khan" ... "Jansher beat Nicol": a person named by the first name. */
        x->type = GZ_PERSON;
        x->source = SRC_DOC;
        x->antecedent = v;
        x->t = NULL;
        x->ent = NULL;
        x->org_ctx = 0;
      } else if (x->type < 0 && (v = map_get (d, &typed, k)) >= 0) {
        x->type = g_array_index (cs, Cand, v).type;
        x->source = SRC_DOC;
        x->antecedent = v;
      }
    }
    /* "Leicestershire beat Somerset" ... "Somerset 83": the team's other mentions. */
    if (x->type >= 0 && !x->org_ctx && org_eligible (x, TRUE)) {
      gint v = map_get (d, &typed, range_key (d, x->ts, x->te));
      if (v >= 0 && v != (gint) c && g_array_index (cs, Cand, v).org_ctx) {
        x->type = GZ_ORGANIZATION;
        x->source = SRC_DOC;
        x->antecedent = v;
        x->t = NULL;
        x->ent = NULL;
      }
    }
  }
}

/* ----------------------------------------------------------------- emit */

static void
emit (Doc *d, SluiceDocument *doc)
{
  for (guint c = 0; c < d->cands->len; c++) {
    Cand *x = &g_array_index (d->cands, Cand, c);
    if (x->type < 0 || !(d->E->type_mask & (1u << x->type)))
      continue;
    guint32 s = d->tk[x->ts].start, e = d->tk[x->te - 1].end;
    SluiceAnnotation *ann = sluice_document_add_annotation (doc, type_names[x->type], s, e);
    if (!ann)
      continue;
    SluiceAttrs *at = sluice_annotation_get_attrs (ann);
    Cand *src = x;
    int hops = 0;
    while (src->antecedent >= 0 && hops++ < 4)
      src = &g_array_index (d->cands, Cand, src->antecedent);
    if (x->type == GZ_DATE) {
      sluice_attrs_set_string_len (at, "norm", d->text + s, e - s);
      sluice_attrs_set_string (at, "value", x->value);
    } else if (src->ent) {
      /* Gazetteer strings live as long as the instance: static for the core. */
      sluice_attrs_set_static_string (at, "norm", gz_table_string (src->t, src->ent->norm));
      const char *id = gz_table_string (src->t, src->ent->id);
      if (*id)
        sluice_attrs_set_static_string (at, "id", id);
    } else {
      guint32 ss = d->tk[src->ts].start, se = d->tk[src->te - 1].end;
      sluice_attrs_set_string_len (at, "norm", d->text + ss, se - ss);
    }
    sluice_attrs_set_static_string (at, "source", source_names[x->source]);
  }
}

/* -------------------------------------------------------------- process */

/* The reference for the line and sentence flags that the token scan sets. */
static void
mark_lines_ref (Doc *d)
{
  guint i = 0;
  while (i < d->n) {
    guint j = i + 1;
    while (j < d->n && !(d->tk[j].flags & GZ_TOK_NL))
      j++;
    guint allcaps = 0, other = 0, lower = 0, digits = 0;
    for (guint k = i; k < j; k++) {
      guint32 f = d->tk[k].flags;
      lower += (f & GZ_TOK_LOWER) != 0;
      digits += (f & GZ_TOK_DIGITS) != 0;
      if (!(f & GZ_TOK_WORD) || (f & GZ_TOK_DIGITS) || (f & GZ_TOK_CASELESS))
        continue;
      if (f & GZ_TOK_ALLCAPS)
        allcaps++;
      else
        other++;
    }
    gboolean caps = allcaps >= 1 && allcaps > 2 * other;
    /* Results and standings: "Hull 0 Barnet 0", "Haitai 64 2 43 .596". */
    gboolean table = digits >= 2 && 2 * lower <= digits;
    for (guint k = i; k < j; k++) {
      if (caps)
        d->tk[k].flags |= T_CAPSLINE;
      if (table)
        d->tk[k].flags |= T_TABLE;
      if (k == i) {
        d->tk[k].flags |= T_SENTSTART;
      } else {
        const Tok *p = &d->tk[k - 1];
        if (!(p->flags & GZ_TOK_WORD)) {
          const char *s = d->nb + p->norm;
          if (p->nlen == 1 && strchr (".!?:;\"(", s[0]))
            d->tk[k].flags |= T_SENTSTART;
          else if (p->nlen > 1)   /* typographic quotes and other non-ASCII punctuation */
            d->tk[k].flags |= T_SENTSTART;
        }
      }
    }
    i = j;
  }
}

static inline guint
month_slot (const MonthTable *mt, guint32 h)
{
  return (h * mt->mul) >> (32 - MONTH_BITS);
}

static void
month_table_init (MonthTable *mt)
{
  /* Tries odd multipliers until the names' hashes fall in distinct slots
   * (deterministic: the first few tries succeed). */
  guint32 mul = 0x9e3779b1u;
  for (guint tries = 0;; tries++) {
    if (tries == 100000)
      g_error ("entities: no multiplier separates the month names' hashes");
    memset (mt, 0, sizeof *mt);
    mt->mul = mul;
    gboolean ok = TRUE;
    for (guint k = 0; k < G_N_ELEMENTS (month_names) && ok; k++) {
      gsize l = strlen (month_names[k].name);
      guint32 h = gz_tok_hash (month_names[k].name, l);
      guint slot = month_slot (mt, h);
      if (mt->key[slot]) {
        ok = FALSE;
        break;
      }
      mt->hash[slot] = h;
      mt->val[slot] = month_names[k].month;
      mt->len[slot] = (guint8) l;
      mt->key[slot] = month_names[k].name;
    }
    if (ok)
      return;
    mul = mul * 1664525u + 1013904223u;
    mul |= 1u;
  }
}

/* Characters that end a sentence or open a quotation or parenthesis: the word
 * after them starts a sentence ('\0' too, as strchr() found it). */
static const guint8 sent_punct[256] = {
  ['.'] = 1, ['!'] = 1, ['?'] = 1, [':'] = 1, [';'] = 1, ['"'] = 1, ['('] = 1, [0] = 1,
};

/* Flags of a line of tokens [i, j): ALL-CAPS headline, results table. */
static void
line_flags (Tok *tk, guint i, guint j, guint allcaps, guint other, guint lower, guint digits)
{
  gboolean caps = allcaps >= 1 && allcaps > 2 * other;
  /* Results and standings: "Hull 0 Barnet 0", "Haitai 64 2 43 .596". */
  gboolean table = digits >= 2 && 2 * lower <= digits;
  if (!caps && !table)
    return;
  guint32 add = (caps ? T_CAPSLINE : 0) | (table ? T_TABLE : 0);
  for (guint k = i; k < j; k++)
    tk[k].flags |= add;
}

static void
build_lower_set (Doc *d)
{
  Scratch *sc = d->sc;
  gsize sz = 16;
  while (sz < d->n_lowers * 2u + 16)
    sz <<= 1;
  if (sc->lower_cap < sz) {
    g_free (sc->lower_set);
    sc->lower_set = g_new (guint32, sz);
    sc->lower_cap = sz;
  }
  memset (sc->lower_set, 0, sz * sizeof (guint32));
  d->lower_set = sc->lower_set;
  d->lower_mask = (guint32) sz - 1;
  for (guint k = 0; k < d->n_lowers; k++)
    lower_set_add (d, d->lowers[k]);
}

/* A token's contribution to its line's counts, by its six low flags (WORD,
 * CAP, ALLCAPS, LOWER, DIGITS, CASELESS): a word with letters of a cased
 * script counts as ALL-CAPS or other; lower-case words and numbers.  Two
 * 32-bit counts to a word: a document has fewer than 2^31 tokens. */
G_STATIC_ASSERT (((GZ_TOK_WORD | GZ_TOK_CAP | GZ_TOK_ALLCAPS | GZ_TOK_LOWER | GZ_TOK_DIGITS |
                   GZ_TOK_CASELESS) & ~63u) == 0);
#define LINE_A(f) ((((f) & (GZ_TOK_WORD | GZ_TOK_DIGITS | GZ_TOK_CASELESS)) != GZ_TOK_WORD) ? 0 : \
                   ((f) & GZ_TOK_ALLCAPS) ? G_GUINT64_CONSTANT (1) : G_GUINT64_CONSTANT (1) << 32)
#define LINE_B(f) ((((f) & GZ_TOK_LOWER) ? G_GUINT64_CONSTANT (1) : 0) | \
                   (((f) & GZ_TOK_DIGITS) ? G_GUINT64_CONSTANT (1) << 32 : 0))
#define LINE4(M, b) M (b), M (b + 1), M (b + 2), M (b + 3)
#define LINE16(M, b) LINE4 (M, b), LINE4 (M, b + 4), LINE4 (M, b + 8), LINE4 (M, b + 12)
static const guint64 line_counts_a[64] = {
  LINE16 (LINE_A, 0u), LINE16 (LINE_A, 16u), LINE16 (LINE_A, 32u), LINE16 (LINE_A, 48u)
};
static const guint64 line_counts_b[64] = {
  LINE16 (LINE_B, 0u), LINE16 (LINE_B, 16u), LINE16 (LINE_B, 32u), LINE16 (LINE_B, 48u)
};
/* Bit 0: a lower-case word; bit 1: a word (not a number) that may start a
 * name: capitalised, all capitals or of a caseless script. */
#define SCAN_B(f) ((((f) & GZ_TOK_LOWER) ? 1u : 0u) | \
                   ((((f) & (GZ_TOK_WORD | GZ_TOK_DIGITS)) == GZ_TOK_WORD && \
                     ((f) & (GZ_TOK_CAP | GZ_TOK_CASELESS | GZ_TOK_ALLCAPS)) != 0) ? 2u : 0u))
static const guint8 scan_bits[64] = {
  LINE16 (SCAN_B, 0u), LINE16 (SCAN_B, 16u), LINE16 (SCAN_B, 32u), LINE16 (SCAN_B, 48u)
};

/* The state of the token scan, which the tokeniser runs on each token as it
 * is made (see scan_one). */
typedef struct {
  const MonthTable *mt;
  guint32 ss;              /* T_SENTSTART when the next token starts a sentence */
  guint line;              /* first token of the current line */
  /* The current line's counts, two to a word: ALL-CAPS words (low half) and
   * other cased words (high half); lower-case words and numbers. */
  guint64 caps_other, lower_digits;
  guint ns, nlow, ndates;
} Scan;

/* Scans token k just made, with as few data-dependent branches as possible
 * (the flags of neighbouring words are unpredictable): line and sentence
 * flags, month names, the tokens that may start a date or a name, and the
 * words written in lower case. */
static inline void
scan_one (Scratch *sc, Scan *st, guint k, guint32 ss_after)
{
  Tok *t = &sc->tk[k];
  const MonthTable *mt = st->mt;
  guint32 f = t->flags;
  if (k > 0 && (f & GZ_TOK_NL)) {
    line_flags (sc->tk, st->line, k, (guint32) st->caps_other, (guint32) (st->caps_other >> 32),
                (guint32) st->lower_digits, (guint32) (st->lower_digits >> 32));
    st->line = k;
    st->caps_other = st->lower_digits = 0;
    st->ss = T_SENTSTART;
  }
  guint sb = scan_bits[f & 63u];
  st->caps_other += line_counts_a[f & 63u];
  st->lower_digits += line_counts_b[f & 63u];
  sc->lowers[st->nlow] = t->hash;
  st->nlow += sb & 1u;
  sc->starts[st->ns] = k;
  st->ns += sb >> 1;
  /* A month name: capitalised (or all capitals) ASCII. */
  guint slot = month_slot (mt, t->hash);
  guint32 m = mt->hash[slot] == t->hash ? mt->val[slot] : 0;
  m &= -(guint32) ((f & (GZ_TOK_CAP | GZ_TOK_ALLCAPS)) != 0 && (f & GZ_TOK_ASCII) != 0);
  if (G_UNLIKELY (m) && (mt->len[slot] != t->nlen ||
                         memcmp (mt->key[slot], sc->nb + t->norm, t->nlen) != 0))
    m = 0;
  guint dateish = m != 0 || (f & GZ_TOK_HASDIGIT);
  f |= st->ss | (m << T_MONTH_SHIFT) | (dateish ? T_DATEISH : 0);
  t->flags = f;
  sc->dates[st->ndates] = k;
  st->ndates += dateish;
  st->ss = ss_after;
}

/* T_SENTSTART when a sentence starts after token t: after punctuation that
 * ends a sentence, and after non-ASCII punctuation (typographic quotes).
 * The tokeniser's ASCII paths know it without this. */
static inline guint32
sentence_after (const Scratch *sc, const Tok *t)
{
  guint nl = t->nlen;
  guint punct = !(t->flags & GZ_TOK_WORD);
  return (punct & (((nl == 1) & sent_punct[(guchar) sc->nb[t->norm]]) | (nl > 1))) ? T_SENTSTART : 0;
}

/* After the tokeniser: the lists, and the set of lower-case words. */
static void
scan_finish (Doc *d)
{
  Scratch *sc = d->sc;
  d->starts = sc->starts;
  d->n_starts = sc->n_starts;
  d->dates = sc->dates;
  d->n_dates = sc->n_dates;
  d->lowers = sc->lowers;
  d->n_lowers = sc->n_lowers;
  d->lower_set = NULL;
  memset (d->lower_bits, 0, sizeof d->lower_bits);
  for (guint k = 0; k < d->n_lowers; k++) {
    guint32 h = d->lowers[k];
    d->lower_bits[LOWER_BIT_WORD (h)] |= LOWER_BIT (h);
  }
}

static void
scratch_grow_idx (Scratch *sc, gsize need)
{
  if (sc->idx_cap >= need)
    return;
  sc->idx_cap = MAX (need, 2 * sc->idx_cap);
  sc->starts = g_renew (guint32, sc->starts, sc->idx_cap);
  sc->lowers = g_renew (guint32, sc->lowers, sc->idx_cap);
  sc->dates = g_renew (guint32, sc->dates, sc->idx_cap);
}

/* ------------------------------------------------------------ tokeniser */

/* Byte classes of the ASCII fast path. */
enum { C_SP = 1, C_NL, C_UP, C_LO, C_DI, C_PU, C_HI };

/* Bits of an ASCII word byte: W any, D digit, L lower, U upper (0x20: OR-ing
 * it into the byte lower-cases it). */
enum { WB_W = 0x01, WB_D = 0x02, WB_L = 0x04, WB_U = 0x20 };
static const guint8 word_bits[256] = {
  ['0' ... '9'] = WB_W | WB_D, ['A' ... 'Z'] = WB_W | WB_U, ['a' ... 'z'] = WB_W | WB_L,
};

static const guint8 byte_class[256] = {
  [0 ... 8] = C_PU, ['\t'] = C_SP, ['\n'] = C_NL, [11 ... 13] = C_SP, [14 ... 31] = C_PU,
  [' '] = C_SP, [33 ... 47] = C_PU, ['0' ... '9'] = C_DI, [58 ... 64] = C_PU,
  ['A' ... 'Z'] = C_UP, [91 ... 96] = C_PU, ['a' ... 'z'] = C_LO, [123 ... 127] = C_PU,
  [128 ... 255] = C_HI,
};

/* Non-ASCII punctuation that gz_next_token makes a one-character token of
 * (neither space nor letter, digit or mark): U+2010..U+2027 (dashes, quotes,
 * bullets, ellipsis), U+2030..U+203E, the euro sign, and « » © £ °.  Returns
 * the folded ASCII byte (fold_punct), 0 when the token keeps its bytes, -1
 * for anything else; *n: the character's length.  s is NUL-terminated. */
static inline gint
hi_punct (const guchar *s, guint *n)
{
  if (s[0] == 0xe2) {
    guint u;
    if (s[1] == 0x80 && ((s[2] >= 0x90 && s[2] <= 0xa7) || (s[2] >= 0xb0 && s[2] <= 0xbe)))
      u = 0x2000 + (s[2] - 0x80);
    else if (s[1] == 0x82 && s[2] == 0xac)
      u = 0x20ac;
    else
      return -1;
    *n = 3;
    switch (u) {
    case 0x2018: case 0x2019: case 0x2032:
      return '\'';
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014:
      return '-';
    case 0x201c: case 0x201d: case 0x201e:
      return '"';
    default:
      return 0;
    }
  }
  if (s[0] == 0xc2) {
    *n = 2;
    switch (s[1]) {
    case 0xab: case 0xbb:
      return '"';
    case 0xa9: case 0xa3: case 0xb0:
      return 0;
    default:
      return -1;
    }
  }
  return -1;
}

static void
scratch_grow_nb (Scratch *sc, gsize need)
{
  gsize cap = MAX (sc->nb_cap * 2, need + 64);
  sc->nb = g_realloc (sc->nb, cap);
  sc->nb_cap = cap;
}

#ifdef ENTITIES_SSE2
/* A window of 64 bytes of the text as bit masks (bit i: byte base + i), and
 * its bytes lower-cased, for the tokeniser's window path: a token is found
 * from the masks by counting bits instead of byte by byte. */
typedef struct {
  gsize base;
  gsize pos;               /* base + the end of the last token taken from the window */
  guint64 tok;             /* token starts not yet taken: words' first bytes, other non-space bytes */
  guint64 wend;            /* last bytes of words not yet taken (not bit 63: the word may go on) */
  guint64 word;            /* ASCII letters and digits */
  guint64 up, lo, dig;     /* upper-case, lower-case letters, digits */
  guint64 space;           /* ASCII whitespace, newlines included */
  guint64 nl;              /* newlines (those before `pos` cleared) */
  guint64 hi;              /* bytes >= 0x80 */
  guint64 end;             /* bits at and after the end of the text */
  guint64 stop;            /* end | hi: where the window path stops */
  guint64 clean;           /* the bit after each word of lower-case letters only */
  guchar low[64 + 16];     /* the bytes, letters lower-cased */
} Win;

static inline void
win_load (Win *w, const guchar *t, gsize p, gsize len)
{
  guchar pad[64];
  const guchar *src = t + p;
  gsize avail = len - p;
  w->base = p;
  w->end = 0;
  if (avail < 64) {
    /* Near the end: a zero-padded copy (the text is readable up to its NUL only). */
    memset (pad, 0, sizeof pad);
    memcpy (pad, src, avail);
    src = pad;
    w->end = ~G_GUINT64_CONSTANT (0) << avail;
  }
  guint64 word = 0, up = 0, lo = 0, dig = 0, sp = 0, nl = 0, hi = 0;
  for (guint k = 0; k < 4; k++) {
    __m128i x = _mm_loadu_si128 ((const __m128i *) (src + 16 * k));
    __m128i lc = _mm_or_si128 (x, _mm_set1_epi8 (0x20));
    __m128i al = _mm_and_si128 (_mm_cmpgt_epi8 (lc, _mm_set1_epi8 ('a' - 1)),
                                _mm_cmplt_epi8 (lc, _mm_set1_epi8 ('z' + 1)));
    __m128i di = _mm_and_si128 (_mm_cmpgt_epi8 (x, _mm_set1_epi8 ('0' - 1)),
                                _mm_cmplt_epi8 (x, _mm_set1_epi8 ('9' + 1)));
    __m128i small = _mm_and_si128 (_mm_cmpgt_epi8 (x, _mm_set1_epi8 (8)),
                                   _mm_cmplt_epi8 (x, _mm_set1_epi8 (14)));
    __m128i isnl = _mm_cmpeq_epi8 (x, _mm_set1_epi8 ('\n'));
    __m128i issp = _mm_or_si128 (small, _mm_cmpeq_epi8 (x, _mm_set1_epi8 (' ')));
    __m128i bit5 = _mm_and_si128 (x, _mm_set1_epi8 (0x20));
    __m128i isup = _mm_andnot_si128 (_mm_cmpeq_epi8 (bit5, _mm_set1_epi8 (0x20)), al);
    _mm_storeu_si128 ((__m128i *) (w->low + 16 * k),
                      _mm_or_si128 (x, _mm_and_si128 (al, _mm_set1_epi8 (0x20))));
    guint sh = 16 * k;
    guint64 a = (guint64) (guint) _mm_movemask_epi8 (al);
    guint64 u = (guint64) (guint) _mm_movemask_epi8 (isup);
    guint64 d = (guint64) (guint) _mm_movemask_epi8 (di);
    word |= (a | d) << sh;
    up |= u << sh;
    lo |= (a & ~u) << sh;
    dig |= d << sh;
    sp |= (guint64) (guint) _mm_movemask_epi8 (issp) << sh;
    nl |= (guint64) (guint) _mm_movemask_epi8 (isnl) << sh;
    hi |= (guint64) (guint) _mm_movemask_epi8 (x) << sh;
  }
  w->pos = p;
  w->tok = (word & ~(word << 1)) | ~(word | sp);
  w->wend = word & ~(word >> 1) & ~(G_GUINT64_CONSTANT (1) << 63);
  w->word = word;
  w->up = up;
  w->lo = lo;
  w->dig = dig;
  w->space = sp;
  w->nl = nl;
  w->hi = hi;
  w->stop = w->end | hi;
  /* Adding each word's first bit to its lower-case letters carries out of
   * the word (onto the non-word byte after it) exactly when all its bytes
   * are lower-case letters; otherwise the carry stops inside the word. */
  w->clean = (lo + (word & ~(word << 1))) & ~word;
}
#endif

/* Splits the text into tokens exactly as gz_next_token does (it stays the
 * reference, and takes over for anything but ASCII words, punctuation and
 * spaces), writing each token's normalised form into the norm buffer followed
 * by one space, and hashing it on the way. */
static gsize
tokenize (Scratch *sc, const MonthTable *mt, const char *text, gsize len)
{
  g_return_val_if_fail (text[len] == '\0', 0);
  const guchar *t = (const guchar *) text;
  gsize p = 0, n = 0, nl_len = 0;
  /* Invariant before each token: room for 2 bytes per remaining input byte
   * (an ASCII token and its separator never take more). */
  if (sc->nb_cap < 2 * len + 64)
    scratch_grow_nb (sc, 2 * len + 64);
  if (sc->tk_cap < len / 3 + 16) {
    g_free (sc->tk);
    sc->tk_cap = len / 3 + 16;
    sc->tk = g_new (Tok, sc->tk_cap);
  }
  scratch_grow_idx (sc, sc->tk_cap);
  Scan scan;
  memset (&scan, 0, sizeof scan);
  scan.mt = mt;
  scan.ss = T_SENTSTART;
#ifdef ENTITIES_SSE2
  Win win;
  if (len > 0)
    win_load (&win, t, 0, len);
#endif
  for (;;) {
#ifdef ENTITIES_SSE2
    /* The window path: an ASCII word or punctuation character whose gap and
     * token lie inside the window.  Anything else (non-ASCII bytes next to
     * the token, a word of more than 16 bytes, a gap and token longer than a
     * window, growing the buffers) goes to the byte-wise path below. */
    if (G_LIKELY (p < len && n < sc->tk_cap && sc->nb_cap - nl_len >= 2 * (len - p) + 16)) {
      /* The window is valid where it was loaded: the path below keeps its
       * state in locals, and the byte-wise path always moves p on. */
      if (p != win.pos)
        win_load (&win, t, p, len);
      for (;;) {
        const gsize base = win.base;
        const guint64 wword = win.word, wup = win.up, wlo = win.lo, wdig = win.dig;
        const guint64 whi = win.hi, wend = win.end, wstop = win.stop, wclean = win.clean;
        const guchar *low = win.low;
        guint64 tk = win.tok, ends = win.wend, nls = win.nl;
        guint r = (guint) (p - base);
        for (;;) {
          if (!tk)
            goto reload;      /* only spaces up to the window's end */
          guint64 bit = tk & -tk;
          if (wstop & bit) {
            if (wend & bit) {
              p = len;        /* only whitespace is left */
              goto done;
            }
            goto out;         /* non-ASCII: the byte-wise path */
          }
          guint s = (guint) __builtin_ctzll (tk);
          guint64 nlm = nls & (bit - 1);
          guint32 f = GZ_TOK_ASCII | (s > r ? GZ_TOK_SPACE : 0);
          Tok *tok = &sc->tk[n];
          char *o = sc->nb + nl_len;
          guint32 h, ssa = 0;
          guint e, wl;
          if (wword & bit) {
            guint64 wb = ends & -ends;
            if (!wb)
              goto reload;    /* the word may go on past the window */
            e = (guint) __builtin_ctzll (wb) + 1;
            wl = e - s;
            if (wl > 16 || (whi & (wb << 1)))
              goto out;       /* a long word, or one that may go on in non-ASCII letters */
            guint64 rm = (wb << 1) - bit;
            ends &= ends - 1;
            _mm_storeu_si128 ((__m128i *) o, _mm_loadu_si128 ((const __m128i *) (low + s)));
            h = gz_tok_hash_short (o, wl);
            if (((wclean & (wb << 1)) != 0) & (nlm == 0)) {
              /* A word of lower-case ASCII letters, not after a newline (most
               * words): its flags are known, and all scan_one () does for it
               * is count it and list it among the lower-case words. */
              tok->start = (guint32) (base + s);
              tok->end = (guint32) (base + e);
              tok->flags = f | GZ_TOK_WORD | GZ_TOK_LOWER | scan.ss;
              tok->norm = (guint32) nl_len;
              tok->nlen = wl;
              tok->hash = h;
              o[wl] = ' ';
              nl_len += wl + 1;
              scan.caps_other += line_counts_a[GZ_TOK_WORD | GZ_TOK_LOWER];
              scan.lower_digits += line_counts_b[GZ_TOK_WORD | GZ_TOK_LOWER];
              sc->lowers[scan.nlow++] = h;
              scan.ss = 0;
              goto next;
            }
            guint64 upm = wup & rm, lom = wlo & rm;
            f |= GZ_TOK_WORD | ((wup & bit) ? GZ_TOK_CAP : 0) | ((wlo & bit) ? GZ_TOK_LOWER : 0) |
                 ((guint32) ((upm != 0) & (lom == 0)) * GZ_TOK_ALLCAPS) |
                 ((guint32) ((wdig & rm) != 0) * GZ_TOK_HASDIGIT) |
                 ((guint32) (((upm | lom) == 0)) * GZ_TOK_DIGITS);
          } else {
            e = s + 1;
            wl = 1;
            guchar b = low[s];
            o[0] = (char) b;
            h = gz_tok_hash_byte (b);
            ssa = sent_punct[b] ? T_SENTSTART : 0;
            if (!nlm) {
              /* ASCII punctuation, not after a newline: no counts, lists or month. */
              tok->start = (guint32) (base + s);
              tok->end = (guint32) (base + e);
              tok->flags = f | scan.ss;
              tok->norm = (guint32) nl_len;
              tok->nlen = 1;
              tok->hash = h;
              o[1] = ' ';
              nl_len += 2;
              scan.ss = ssa;
              goto next;
            }
          }
          if (nlm)
            f |= GZ_TOK_NL | ((nlm & (nlm - 1)) ? GZ_TOK_PARA : 0);
          tok->start = (guint32) (base + s);
          tok->end = (guint32) (base + e);
          tok->flags = f;
          tok->norm = (guint32) nl_len;
          tok->nlen = wl;
          tok->hash = h;
          o[wl] = ' ';
          nl_len += wl + 1;
          scan_one (sc, &scan, (guint) n, ssa);
        next:
          n++;
          tk &= tk - 1;
          nls ^= nlm;
          r = e;
          p = base + e;
          if (G_UNLIKELY (n >= sc->tk_cap))
            goto out;
        }
      reload:
        if (base == p)
          break;              /* gap and token longer than a window */
        win_load (&win, t, p, len);
      }
    out:
      if (p >= len)
        break;
    }
#endif
    gsize gap = p;
    guint32 f = 0;
    guint nls = 0;
    guint c = C_PU;
    while (p < len && (c = byte_class[t[p]]) <= C_NL) {
      f |= GZ_TOK_SPACE;
      if (c == C_NL) {
        f |= GZ_TOK_NL;
        nls++;
      }
      p++;
    }
    if (p >= len)
      break;
    if (nls >= 2)
      f |= GZ_TOK_PARA;
    if (G_UNLIKELY (n == sc->tk_cap)) {
      sc->tk_cap *= 2;
      sc->tk = g_renew (Tok, sc->tk, sc->tk_cap);
      scratch_grow_idx (sc, sc->tk_cap);
    }
    if (G_UNLIKELY (sc->nb_cap - nl_len < 2 * (len - p) + 16))
      scratch_grow_nb (sc, nl_len + 2 * (len - p) + 16);
    Tok *tok = &sc->tk[n];
    char *o = sc->nb + nl_len;
    guint32 h;
    gsize s = p;
    if (c == C_PU) {
      o[0] = (char) t[p];
      h = gz_tok_hash_byte (t[p]);
      p++;
      f |= GZ_TOK_ASCII;
    } else if (c != C_HI) {
      guint seen = 0, ch;
      guint32 wf = 0;          /* ALLCAPS, HASDIGIT, DIGITS */
      f |= GZ_TOK_WORD | (c == C_UP ? GZ_TOK_CAP : c == C_LO ? GZ_TOK_LOWER : 0);
#ifdef ENTITIES_SSE2
      /* Sixteen bytes at a time: the word's length from a mask of ASCII
       * letters and digits, lower-cased by OR-ing 0x20 into the letters.
       * The text is readable up to its NUL (text[len]); the norm buffer has
       * room for 16 bytes (invariant above). */
      if (G_LIKELY (p + 16 <= len + 1)) {
        __m128i x = _mm_loadu_si128 ((const __m128i *) (t + p));
        __m128i lc = _mm_or_si128 (x, _mm_set1_epi8 (0x20));
        __m128i al = _mm_and_si128 (_mm_cmpgt_epi8 (lc, _mm_set1_epi8 ('a' - 1)),
                                    _mm_cmplt_epi8 (lc, _mm_set1_epi8 ('z' + 1)));
        __m128i di = _mm_and_si128 (_mm_cmpgt_epi8 (x, _mm_set1_epi8 ('0' - 1)),
                                    _mm_cmplt_epi8 (x, _mm_set1_epi8 ('9' + 1)));
        guint wm = (guint) _mm_movemask_epi8 (_mm_or_si128 (al, di));
        guint wl = (guint) __builtin_ctz (~wm);
        if (wl < 16) {
          __m128i lowbit = _mm_and_si128 (x, _mm_set1_epi8 (0x20));
          _mm_storeu_si128 ((__m128i *) o, _mm_or_si128 (x, _mm_and_si128 (al, _mm_set1_epi8 (0x20))));
          guint lm = (1u << wl) - 1;
          guint am = (guint) _mm_movemask_epi8 (al) & lm;
          guint up = (guint) _mm_movemask_epi8 (_mm_andnot_si128 (_mm_cmpeq_epi8 (lowbit, _mm_set1_epi8 (0x20)), al)) & lm;
          guint lo = am & ~up;
          guint dg = (guint) _mm_movemask_epi8 (di) & lm;
          /* The flags of `seen` below, without branches. */
          wf = ((guint32) ((up != 0) & (lo == 0)) * GZ_TOK_ALLCAPS) |
               ((guint32) (dg != 0) * GZ_TOK_HASDIGIT) | ((guint32) (am == 0) * GZ_TOK_DIGITS);
          h = gz_tok_hash_short (o, wl);
          p += wl;
          ch = t[p];
          goto word_end;
        }
      }
#endif
      {
        /* The text is NUL-terminated (a document guarantee): the NUL ends the word. */
        char *o0 = o;
        ch = t[p];
        guint b = word_bits[ch];
        do {
          seen |= b;
          ch |= b & WB_U;
          *o++ = (char) ch;
          ch = t[++p];
          b = word_bits[ch];
        } while (b);
        h = gz_tok_hash (o0, (gsize) (o - o0));
        if ((seen & WB_U) && !(seen & WB_L))
          wf |= GZ_TOK_ALLCAPS;
        if (seen & WB_D)
          wf |= GZ_TOK_HASDIGIT;
        if (!(seen & (WB_U | WB_L)))
          wf |= GZ_TOK_DIGITS;
      }
#ifdef ENTITIES_SSE2
    word_end:
#endif
      if (ch >= 0x80) {
        /* A letter or mark may continue the word ("Café"). */
        gunichar u = g_utf8_get_char_validated (text + p, len - p);
        if (u != (gunichar) -1 && u != (gunichar) -2 &&
            (g_unichar_isalnum (u) || g_unichar_ismark (u)))
          goto slow;
      }
      f |= wf | GZ_TOK_ASCII;
    } else {
      /* Common non-ASCII punctuation (dashes, typographic quotes, the euro
       * sign) without gz_next_token: a one-character token, folded. */
      guint hn;
      gint fold = hi_punct (t + p, &hn);
      if (fold < 0)
        goto slow;
      guint nlen = 1;
      if (fold > 0) {
        o[0] = (char) fold;
        h = gz_tok_hash_byte ((guchar) fold);
      } else {
        memcpy (o, t + p, hn);
        nlen = hn;
        h = gz_tok_hash (o, hn);
      }
      tok->start = (guint32) s;
      tok->end = (guint32) (p + hn);
      tok->flags = f;
      tok->norm = (guint32) nl_len;
      tok->nlen = nlen;
      tok->hash = h;
      p += hn;
      nl_len += nlen;
      sc->nb[nl_len++] = ' ';
      /* sentence_after (): a folded quote ends a sentence, a mark of more
       * than one byte too. */
      scan_one (sc, &scan, (guint) n, (nlen > 1 || sent_punct[(guchar) o[0]]) ? T_SENTSTART : 0);
      n++;
      continue;
    }
    tok->start = (guint32) s;
    tok->end = (guint32) p;
    tok->flags = f;
    tok->norm = (guint32) nl_len;
    tok->nlen = (guint32) (p - s);
    tok->hash = h;
    nl_len += p - s;
    sc->nb[nl_len++] = ' ';
    /* sentence_after (): an ASCII word never ends a sentence, an ASCII
     * punctuation token is its byte. */
    scan_one (sc, &scan, (guint) n, (guint32) ((c == C_PU) & sent_punct[t[s]]) * T_SENTSTART);
    n++;
    continue;

  slow:
    {
      gsize pos = gap, st, en;
      guint32 fl;
      g_string_truncate (sc->slow, 0);
      if (!gz_next_token (text, len, &pos, &st, &en, &fl, sc->slow))
        break;
      if (sc->nb_cap - nl_len < sc->slow->len + 2 * (len - pos) + 16)
        scratch_grow_nb (sc, nl_len + sc->slow->len + 2 * (len - pos) + 16);
      tok = &sc->tk[n];
      memcpy (sc->nb + nl_len, sc->slow->str, sc->slow->len);
      tok->start = (guint32) st;
      tok->end = (guint32) en;
      tok->flags = fl;
      tok->norm = (guint32) nl_len;
      tok->nlen = (guint32) sc->slow->len;
      tok->hash = gz_tok_hash (sc->slow->str, sc->slow->len);
      nl_len += sc->slow->len;
      sc->nb[nl_len++] = ' ';
      scan_one (sc, &scan, (guint) n, sentence_after (sc, tok));
      n++;
      p = pos;
    }
  }
#ifdef ENTITIES_SSE2
done:
#endif
  sc->nb[nl_len] = '\0';
  if (n > 0)
    line_flags (sc->tk, scan.line, (guint) n, (guint32) scan.caps_other,
                (guint32) (scan.caps_other >> 32), (guint32) scan.lower_digits,
                (guint32) (scan.lower_digits >> 32));
  sc->n_starts = scan.ns;
  sc->n_lowers = scan.nlow;
  sc->n_dates = scan.ndates;
  return n;
}

static Scratch *scratch_new (void);
static void scratch_free (gpointer p);

/* For the tests: tokenises `text` (NUL-terminated at len) with the fast path
 * and with gz_next_token alone, and says where they first differ (NULL when
 * they agree; g_free the message). */
char *
entities_tokenizer_check (const char *text, gsize len)
{
  Scratch *sc = scratch_new ();
  MonthTable *mt = g_new (MonthTable, 1);
  month_table_init (mt);
  gsize n = tokenize (sc, mt, text, len);
  GString *norm = g_string_new ("");
  gsize pos = 0, st, en, i = 0;
  guint32 fl;
  char *why = NULL;
  for (;; i++) {
    gsize off = norm->len;
    if (!gz_next_token (text, len, &pos, &st, &en, &fl, norm))
      break;
    if (i >= n) {
      why = g_strdup_printf ("token %zu: missing", i);
      break;
    }
    const Tok *t = &sc->tk[i];
    gsize nl = norm->len - off;
    if (t->start != st || t->end != en || (t->flags & ~T_DERIVED) != fl || t->nlen != nl ||
        memcmp (sc->nb + t->norm, norm->str + off, nl) != 0 ||
        t->hash != gz_tok_hash (norm->str + off, nl)) {
      why = g_strdup_printf ("token %zu [%zu,%zu) flags %x: fast [%u,%u) flags %x norm '%.*s' "
                             "vs '%.*s'", i, st, en, fl, t->start, t->end, t->flags,
                             (int) t->nlen, sc->nb + t->norm, (int) nl, norm->str + off);
      break;
    }
    g_string_append_c (norm, ' ');
  }
  if (!why && i != n)
    why = g_strdup_printf ("%zu tokens, expected %zu", n, i);
  g_string_free (norm, TRUE);
  g_free (mt);
  scratch_free (sc);
  return why;
}

/* For the tests: runs the token scan on `text` and compares what it derives with
 * the reference computations (mark_lines_ref, month_of_ref, the plain
 * conditions for date and name starts, a linear search for lower-case words).
 * NULL when they agree, else where they differ (g_free it). */
char *
entities_scan_check (const char *text, gsize len)
{
  Scratch *sc = scratch_new ();
  MonthTable *mt = g_new (MonthTable, 1);
  month_table_init (mt);
  Doc d;
  memset (&d, 0, sizeof d);
  d.text = text;
  d.len = len;
  d.sc = sc;
  d.n = (guint) tokenize (sc, mt, text, len);
  d.tk = sc->tk;
  d.nb = sc->nb;
  scan_finish (&d);
  guint32 *fast = g_new (guint32, d.n + 1);
  for (guint k = 0; k < d.n; k++) {
    fast[k] = d.tk[k].flags;
    d.tk[k].flags &= ~T_DERIVED;
  }
  mark_lines_ref (&d);
  char *why = NULL;
  guint q = 0, qd = 0;
  for (guint k = 0; k < d.n && !why; k++) {
    guint32 f = d.tk[k].flags;
    guint32 m = (guint32) month_of_ref (&d, k);
    f |= m << T_MONTH_SHIFT;
    if ((f & GZ_TOK_WORD) && (f & (GZ_TOK_HASDIGIT | GZ_TOK_CAP | GZ_TOK_ALLCAPS)) &&
        ((f & GZ_TOK_HASDIGIT) || m > 0))
      f |= T_DATEISH;
    if (f != fast[k])
      why = g_strdup_printf ("token %u '%.*s': flags %x, expected %x", k, (int) d.tk[k].nlen,
                             d.nb + d.tk[k].norm, fast[k], f);
    gboolean start = (f & GZ_TOK_WORD) && !(f & GZ_TOK_DIGITS) &&
                     (f & (GZ_TOK_CAP | GZ_TOK_CASELESS | GZ_TOK_ALLCAPS));
    if (!why && start != (q < d.n_starts && d.starts[q] == k))
      why = g_strdup_printf ("token %u '%.*s': name start %d, expected %d", k, (int) d.tk[k].nlen,
                             d.nb + d.tk[k].norm, !start, start);
    q += start;
    gboolean dateish = (f & T_DATEISH) != 0;
    if (!why && dateish != (qd < d.n_dates && d.dates[qd] == k))
      why = g_strdup_printf ("token %u '%.*s': date start %d, expected %d", k, (int) d.tk[k].nlen,
                             d.nb + d.tk[k].norm, !dateish, dateish);
    qd += dateish;
    gboolean lower = FALSE;
    for (guint o = 0; o < d.n && !lower; o++)
      lower = (d.tk[o].flags & GZ_TOK_LOWER) && d.tk[o].hash == d.tk[k].hash;
    gboolean listed = lower_list_has (&d, d.tk[k].hash);
    gboolean asked = lower_set_has (&d, d.tk[k].hash);
    if (!d.lower_set)
      build_lower_set (&d);
    gboolean hashed = lower_hash_has (&d, d.tk[k].hash);
    if (!why && (lower != listed || lower != hashed || lower != asked))
      why = g_strdup_printf ("token %u '%.*s': lower-case list says %d, set %d, bitmap and "
                             "either %d", k, (int) d.tk[k].nlen, d.nb + d.tk[k].norm, listed,
                             hashed, asked);
  }
  if (!why && q != d.n_starts)
    why = g_strdup_printf ("%u name starts, expected %u", d.n_starts, q);
  if (!why && qd != d.n_dates)
    why = g_strdup_printf ("%u date starts, expected %u", d.n_dates, qd);
  g_free (fast);
  g_free (mt);
  scratch_free (sc);
  return why;
}

/* For the tests: phrases_before (with the phrase-end filter) agrees with
 * phrases_before_ref for every token of `text`, on the rule and cue tables
 * built from the rule file at `rules_path`.  NULL when they agree, else where
 * they differ (g_free it); *n_found counts positions with a phrase. */
char *
entities_phrases_check (const char *rules_path, const char *text, gsize len, guint *n_found)
{
  char *contents = NULL, *why = NULL;
  gsize clen = 0;
  GError *e = NULL;
  GzBuilder *rb = gz_builder_new (), *cb = gz_builder_new ();
  gz_builder_set_class_mask (rb, ~GZ_CUE_CLASSES);
  gz_builder_set_class_mask (cb, GZ_CUE_CLASSES);
  if (!g_file_get_contents (rules_path, &contents, &clen, &e) ||
      !gz_builder_add_rules (rb, rules_path, contents, clen, &e) ||
      !gz_builder_add_rules (cb, rules_path, contents, clen, &e)) {
    why = g_strdup (e->message);
    g_error_free (e);
    g_free (contents);
    gz_builder_free (rb);
    gz_builder_free (cb);
    return why;
  }
  g_free (contents);
  GBytes *img[2] = { gz_builder_finish (rb), gz_builder_finish (cb) };
  gz_builder_free (rb);
  gz_builder_free (cb);
  GzTable t[2];
  PhraseEnds pe[2];
  for (guint i = 0; i < 2 && !why; i++) {
    gsize sz;
    const guint8 *p = g_bytes_get_data (img[i], &sz);
    if (!gz_table_init (&t[i], p, sz, "rules", &e)) {
      why = g_strdup (e->message);
      g_error_free (e);
    } else
      phrase_ends_init (&pe[i], &t[i], i == 0 ? RULES_BEFORE_CLASSES : CUES_BEFORE_CLASSES);
  }
  Scratch *sc = scratch_new ();
  MonthTable *mt = g_new (MonthTable, 1);
  month_table_init (mt);
  Doc d;
  memset (&d, 0, sizeof d);
  d.text = text;
  d.len = len;
  d.sc = sc;
  d.n = (guint) tokenize (sc, mt, text, len);
  d.tk = sc->tk;
  d.nb = sc->nb;
  *n_found = 0;
  for (guint end = 0; end <= d.n && !why; end++)
    for (guint i = 0; i < 2 && !why; i++) {
      guint32 fast = phrases_before (&d, &t[i], &pe[i], end) & pe[i].classes;
      guint32 ref = phrases_before_ref (&d, &t[i], end) & pe[i].classes;
      *n_found += ref != 0;
      if (fast != ref)
        why = g_strdup_printf ("table %u, phrases before token %u: %x, expected %x", i, end,
                               fast, ref);
    }
  g_free (mt);
  scratch_free (sc);
  g_bytes_unref (img[0]);
  g_bytes_unref (img[1]);
  return why;
}

/* -------------------------------------------------------------- scratch */

static Scratch *
scratch_new (void)
{
  Scratch *sc = g_new0 (Scratch, 1);
  sc->slow = g_string_new ("");
  sc->cands = g_array_new (FALSE, FALSE, sizeof (Cand));
  return sc;
}

static Scratch *
scratch_take (const Entities *E)
{
  Entities *mut = (Entities *) E;
  Scratch *sc = NULL;
  g_mutex_lock (&mut->pool_lock);
  if (mut->pool->len > 0)
    sc = g_ptr_array_steal_index_fast (mut->pool, mut->pool->len - 1);
  g_mutex_unlock (&mut->pool_lock);
  return sc ? sc : scratch_new ();
}

static void
scratch_free (gpointer p)
{
  Scratch *sc = p;
  g_free (sc->tk);
  g_free (sc->nb);
  g_string_free (sc->slow, TRUE);
  g_array_free (sc->cands, TRUE);
  g_free (sc->lower_set);
  g_free (sc->maps);
  g_free (sc->starts);
  g_free (sc->lowers);
  g_free (sc->dates);
  g_free (sc);
}

/* Buffers grown by a huge document are not kept (16 MiB of text would pin
 * some 100 MB per worker). */
#define SCRATCH_KEEP_BYTES (8u << 20)

static void
scratch_give (const Entities *E, Scratch *sc)
{
  Entities *mut = (Entities *) E;
  if (sc->nb_cap > SCRATCH_KEEP_BYTES) {
    g_free (sc->nb);
    sc->nb = NULL;
    sc->nb_cap = 0;
    g_free (sc->tk);
    sc->tk = NULL;
    sc->tk_cap = 0;
  }
  if (sc->idx_cap * 4 > SCRATCH_KEEP_BYTES) {
    g_free (sc->starts);
    g_free (sc->lowers);
    g_free (sc->dates);
    sc->starts = sc->lowers = sc->dates = NULL;
    sc->idx_cap = 0;
  }
  if (sc->lower_cap * 4 > SCRATCH_KEEP_BYTES) {
    g_free (sc->lower_set);
    sc->lower_set = NULL;
    sc->lower_cap = 0;
  }
  if (sc->maps_cap * sizeof (MapSlot) > SCRATCH_KEEP_BYTES) {
    g_free (sc->maps);
    sc->maps = NULL;
    sc->maps_cap = 0;
  }
  if (sc->cands->len * sizeof (Cand) > SCRATCH_KEEP_BYTES) {
    g_array_free (sc->cands, TRUE);
    sc->cands = g_array_new (FALSE, FALSE, sizeof (Cand));
    sc->cands_cap = 0;
  }
  g_array_set_size (sc->cands, 0);
  g_mutex_lock (&mut->pool_lock);
  g_ptr_array_add (mut->pool, sc);
  g_mutex_unlock (&mut->pool_lock);
}

SluiceStatus
entities_process_text (const Entities *E, SluiceDocument *doc)
{
  gsize len;
  const char *text = sluice_document_get_text (doc, &len);
  if (len == 0 || len >= G_MAXUINT32 / 2)
    return SLUICE_OK;

  Doc d;
  memset (&d, 0, sizeof d);
  d.text = text;
  d.len = len;
  d.E = E;

  const char *md = sluice_attrs_get_string (sluice_document_get_meta (doc), "date");
  if (md && strlen (md) >= 10 && sscanf (md, "%4d-%2d-%2d", &d.meta_year, &d.meta_month, &d.meta_day) != 3)
    d.meta_year = 0;

  Scratch *sc = scratch_take (E);
  d.sc = sc;
  d.n = (guint) tokenize (sc, &E->months, text, len);
  d.tk = sc->tk;
  d.nb = sc->nb;
  d.cands = sc->cands;

  scan_finish (&d);
  find_dates (&d);
  find_names (&d);
  org_context (&d);
  consistency (&d);
  acronyms (&d);
  emit (&d, doc);

  scratch_give (E, sc);
  return SLUICE_OK;
}

/* ---------------------------------------------------------- life cycle */

static gboolean
load_text_files (GzBuilder *b, GzBuilder *b2, const SluiceOptions *opts, const char *option,
                 gboolean rules, guint *n_loaded, GError **error)
{
  guint n = 0;
  const char *const *files = sluice_options_get_string_list (opts, option, &n);
  for (guint i = 0; i < n; i++) {
    if (!files[i][0])
      continue;
    char *path = sluice_options_resolve_path (opts, files[i]);
    char *contents = NULL;
    gsize len = 0;
    GError *e = NULL;
    gboolean ok = g_file_get_contents (path, &contents, &len, &e);
    if (ok)
      ok = rules ? gz_builder_add_rules (b, path, contents, len, &e) &&
                   (!b2 || gz_builder_add_rules (b2, path, contents, len, &e))
                 : gz_builder_add_text (b, path, contents, len, &e);
    g_free (contents);
    g_free (path);
    if (!ok) {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s", e->message);
      g_error_free (e);
      return FALSE;
    }
    (*n_loaded)++;
  }
  return TRUE;
}

void
entities_free (Entities *E)
{
  if (!E)
    return;
  if (E->mapped)
    g_mapped_file_unref (E->mapped);
  if (E->user_img)
    g_bytes_unref (E->user_img);
  if (E->rules_img)
    g_bytes_unref (E->rules_img);
  if (E->cues_img)
    g_bytes_unref (E->cues_img);
  if (E->pool)
    g_ptr_array_free (E->pool, TRUE);
  g_mutex_clear (&E->pool_lock);
  g_free (E);
}

Entities *
entities_new (const SluiceOptions *opts, GError **error)
{
  Entities *E = g_new0 (Entities, 1);
  g_mutex_init (&E->pool_lock);
  E->pool = g_ptr_array_new_with_free_func (scratch_free);
  month_table_init (&E->months);
  const char *data_dir = sluice_options_get_data_dir (opts);

  /* Types to output. */
  guint n = 0;
  const char *const *types = sluice_options_get_string_list (opts, "types", &n);
  for (guint i = 0; i < n; i++)
    for (guint t = 0; t < G_N_ELEMENTS (type_names); t++)
      if (strcmp (types[i], type_names[t]) == 0)
        E->type_mask |= 1u << t;
  if (n == 0)
    E->type_mask = 0x1f;
  E->guess_persons = sluice_options_get_bool (opts, "guess_persons");

  /* User gazetteers first: their names win over the bundled ones. */
  GzBuilder *ub = gz_builder_new ();
  guint n_user = 0;
  if (!load_text_files (ub, NULL, opts, "gazetteers", FALSE, &n_user, error)) {
    gz_builder_free (ub);
    entities_free (E);
    return NULL;
  }
  if (n_user > 0) {
    E->user_img = gz_builder_finish (ub);
    gsize sz;
    const guint8 *p = g_bytes_get_data (E->user_img, &sz);
    if (!gz_table_init (&E->tables[E->n_tables++], p, sz, "user gazetteers", error)) {
      gz_builder_free (ub);
      entities_free (E);
      return NULL;
    }
  }
  gz_builder_free (ub);

  if (sluice_options_get_bool (opts, "bundled")) {
    char *path = g_build_filename (data_dir, "entities.gzt", NULL);
    GError *e = NULL;
    E->mapped = g_mapped_file_new (path, FALSE, &e);
    if (!E->mapped || !gz_table_init (&E->tables[E->n_tables++],
                                      (const guint8 *) g_mapped_file_get_contents (E->mapped),
                                      g_mapped_file_get_length (E->mapped), path, &e)) {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s", e->message);
      g_error_free (e);
      g_free (path);
      entities_free (E);
      return NULL;
    }
    g_free (path);
  }

  /* Rules: the user's files first, then the bundled rules.txt. */
  GzBuilder *rb = gz_builder_new (), *cb = gz_builder_new ();
  gz_builder_set_class_mask (rb, ~GZ_CUE_CLASSES);
  gz_builder_set_class_mask (cb, GZ_CUE_CLASSES);
  guint n_rules = 0;
  gboolean ok = load_text_files (rb, cb, opts, "rules", TRUE, &n_rules, error);
  if (ok) {
    char *path = g_build_filename (data_dir, "rules.txt", NULL);
    char *contents = NULL;
    gsize len = 0;
    GError *e = NULL;
    ok = g_file_get_contents (path, &contents, &len, &e) &&
         gz_builder_add_rules (rb, path, contents, len, &e) &&
         gz_builder_add_rules (cb, path, contents, len, &e);
    if (!ok) {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA, "%s", e->message);
      g_error_free (e);
    }
    g_free (contents);
    g_free (path);
  }
  if (ok) {
    E->rules_img = gz_builder_finish (rb);
    gsize sz;
    const guint8 *p = g_bytes_get_data (E->rules_img, &sz);
    ok = gz_table_init (&E->rules, p, sz, "rules", error);
  }
  if (ok) {
    E->cues_img = gz_builder_finish (cb);
    gsize sz;
    const guint8 *p = g_bytes_get_data (E->cues_img, &sz);
    ok = gz_table_init (&E->cues, p, sz, "rules (cues)", error);
  }
  if (ok) {
    phrase_ends_init (&E->rules_ends, &E->rules, RULES_BEFORE_CLASSES);
    phrase_ends_init (&E->cues_ends, &E->cues, CUES_BEFORE_CLASSES);
  }
  gz_builder_free (rb);
  gz_builder_free (cb);
  if (!ok) {
    entities_free (E);
    return NULL;
  }
  return E;
}
