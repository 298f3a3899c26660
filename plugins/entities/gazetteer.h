/* entities — gazetteer tables: name normalisation, the binary image and lookup.
 *
 * Shared by the build-time compiler (data/entities-compile.c) and the stage.
 *
 * A name is split into tokens exactly as the stage splits text (gz_next_token):
 * runs of letters/digits/marks are words, every other non-space character is a
 * one-character token.  Its KEY is the tokens lower-cased and joined by one
 * space ("Cote d'Ivoire" -> "cote d ' ivoire"); typographic apostrophes and
 * dashes are folded to ' and -.  Keys are stored in an open-addressing hash
 * table together with every proper prefix of a key (so that matching can stop
 * extending as soon as no longer name can follow).
 *
 * Image layout (all integers host-endian guint32; the header records the byte
 * order and the compiler runs on the build host, so images are never shipped
 * between machines):
 *
 *   GzHeader | GzEntity[n_entities] | GzKey[n_keys] | guint64 slots[n_slots] |
 *   guint64 filter[n_filter_words] | strings
 *
 * A key's hash is built from its tokens' hashes (gz_tok_hash, a multiplicative
 * hash of the token's normalised bytes read eight at a time) with gz_hash_combine, so that the matcher hashes
 * each token of the text once and extends a name by one token in O(1).  The
 * filter is a two-bit Bloom filter over the hashes of all keys: most words of
 * a text are in no name, and it answers them from a few hundred KB that stay
 * in cache instead of probing the multi-MB table.
 *
 * Strings are NUL-terminated and addressed by offset into the string area.
 * Loading is a GMappedFile and a header check: no per-entry work.
 */
#ifndef ENTITIES_GAZETTEER_H
#define ENTITIES_GAZETTEER_H

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

#define GZ_MAGIC "SLENTGZ"
#define GZ_FORMAT_VERSION 3u
#define GZ_ENDIAN_MARK 0x01020304u
#define GZ_MAX_TOKENS 16
#define GZ_NONE 0xffffffffu

/* Entry classes.  The first five are output types; the others only feed the
 * rules (given names, titles, organisation words, ...). */
typedef enum {
  GZ_PERSON = 0,
  GZ_LOCATION,
  GZ_ORGANIZATION,
  GZ_MISC,
  GZ_DATE,
  GZ_GIVEN,        /* a given name: GIVEN + capitalised word(s) -> PERSON */
  GZ_TITLE,        /* a title or role before a person's name, excluded from it */
  GZ_ORG_SUFFIX,   /* last word of an organisation name ("Committee") */
  GZ_ORG_HEAD,     /* head of "<head> of/for X" organisation names ("Ministry") */
  GZ_LOC_HEAD,     /* head of "<head> of X" place names ("Republic") */
  GZ_MISC_SUFFIX,  /* last word of an event/document name ("War", "Treaty") */
  GZ_CONNECTOR,    /* lower-case word allowed inside a name ("of", "de") */
  GZ_STOP,         /* capitalised word that never starts a name ("The", "However") */
  GZ_PERSON_SUFFIX,/* "Jr.", "Sr." */
  GZ_TEAM_BETWEEN, /* between two teams ("beat", "drew with", "v") */
  GZ_TEAM_BEFORE,  /* before a team ("victory over", "defeat to") */
  GZ_TEAM_AFTER,   /* after a team ("striker", "fans", "side") */
  GZ_ORG_BEFORE,   /* before an organisation ("shares in", "analyst at") */
  GZ_ORG_AFTER,    /* after an organisation ("shares", "spokesman", "board") */
  GZ_ORG_NEAR,     /* before or after an organisation ("newspaper", "club", "firm") */
  GZ_NOT_ORG,      /* an all-capitals word that is no organisation ("CEO", "GDP", "USD") */
  GZ_N_CLASSES
} GzClass;

extern const char *const gz_class_names[GZ_N_CLASSES];
/* Parses a class name ("LOCATION", "title", ...; case-insensitive); -1 if unknown. */
int gz_class_from_name (const char *name);

typedef struct {
  char magic[8];
  guint32 version;
  guint32 endian;
  guint32 n_entities;
  guint32 n_keys;
  guint32 n_slots;        /* power of two */
  guint32 max_tokens;
  guint32 off_entities;
  guint32 off_keys;
  guint32 off_slots;       /* guint64 slots: hash << 32 | key index + 1, 0 empty */
  guint32 off_strings;
  guint32 size_strings;
  guint32 off_filter;
  guint32 n_filter_words; /* guint64 words, power of two */
  guint32 total_size;
} GzHeader;

typedef struct {
  guint32 norm;           /* string offset: canonical name */
  guint32 id;             /* string offset: id ("" when none) */
  guint32 cls;            /* GzClass */
} GzEntity;

#define GZ_KEY_FULL   1u  /* a whole name (entity valid) */
#define GZ_KEY_PREFIX 2u  /* a proper prefix of some longer name */
#define GZ_KEY_CLASS(k) (((k)->flags >> 8) & 0xffu)     /* GzClass of the entity (FULL keys) */
#define GZ_KEY_N_TOKENS(k) (((k)->flags >> 16) & 0xffu)

/* 32 bytes, 8-aligned: a key's record holds what matching needs (class, case
 * masks, the first 8 bytes of the key), so that a hit touches one record. */
typedef struct {
  guint32 str;            /* string offset of the key */
  guint32 len;            /* key length in bytes */
  guint32 hash;
  guint32 flags;          /* GZ_KEY_*; bits 8..15 the class, 16..23 the number of tokens */
  guint32 entity;         /* index into entities, GZ_NONE for prefix-only */
  guint16 cap_mask;       /* bit t: token t must start with a capital */
  guint16 acro_mask;      /* bit t: token t must be all capitals */
  guint64 head;           /* the key's first 8 bytes, byte i in bits 8i..8i+7, zero-padded */
} GzKey;

/* ------------------------------------------------------------- tokenising */

/* Token flags. */
#define GZ_TOK_WORD     (1u << 0)  /* letters/digits run (else one punctuation char) */
#define GZ_TOK_CAP      (1u << 1)  /* first character is an upper/title-case letter */
#define GZ_TOK_ALLCAPS  (1u << 2)  /* has letters, all upper case */
#define GZ_TOK_LOWER    (1u << 3)  /* first character is a lower-case letter */
#define GZ_TOK_DIGITS   (1u << 4)  /* only ASCII digits */
#define GZ_TOK_CASELESS (1u << 5)  /* first character is a letter of a caseless script */
#define GZ_TOK_NL       (1u << 6)  /* a newline in the gap before the token */
#define GZ_TOK_SPACE    (1u << 7)  /* some whitespace before the token */
#define GZ_TOK_PARA     (1u << 8)  /* two newlines (a blank line) before the token */
#define GZ_TOK_HASDIGIT (1u << 9)
#define GZ_TOK_ASCII    (1u << 10)

/* Scans the next token of text[*pos, len).  Returns FALSE at the end.  Writes
 * the token's byte span, its flags, and appends its lower-cased, folded form to
 * `norm` (when non-NULL). */
gboolean gz_next_token (const char *text, gsize len, gsize *pos, gsize *start, gsize *end,
                        guint32 *flags, GString *norm);

/* A token's hash: its normalised bytes read eight at a time (the last word
 * zero-padded, the length mixed in first), so that short words cost two
 * multiplications instead of one per byte. */
#define GZ_HASH_SEED G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)
#define GZ_HASH_M1 G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9)
#define GZ_HASH_M2 G_GUINT64_CONSTANT (0x94d049bb133111eb)

static inline guint64
gz_hash_mix (guint64 h, guint64 w)
{
  h = (h ^ w) * GZ_HASH_M1;
  return h ^ (h >> 29);
}

static inline guint32
gz_hash_final (guint64 h)
{
  h *= GZ_HASH_M2;
  return (guint32) (h >> 32);
}

/* A key's head (GzKey.head) from its bytes. */
static inline guint64
gz_key_head (const char *key, gsize len)
{
  guint64 w = 0;
  for (gsize i = 0; i < len && i < 8; i++)
    w |= (guint64) (guchar) key[i] << (8 * i);
  return w;
}

static inline guint32
gz_tok_hash (const char *s, gsize n)
{
  guint64 h = GZ_HASH_SEED ^ n;
  while (n >= 8) {
    guint64 w;
    memcpy (&w, s, 8);
    h = gz_hash_mix (h, GUINT64_FROM_LE (w));
    s += 8;
    n -= 8;
  }
  if (n > 0)
    h = gz_hash_mix (h, gz_key_head (s, n));
  return gz_hash_final (h);
}

/* The hash of a one-byte token. */
static inline guint32
gz_tok_hash_byte (guchar c)
{
  return gz_hash_final (gz_hash_mix (GZ_HASH_SEED ^ 1u, c));
}

/* gz_tok_hash of 1..16 bytes at s, with 16 bytes readable there. */
static inline guint32
gz_tok_hash_short (const char *s, gsize n)
{
  guint64 a, b;
  memcpy (&a, s, 8);
  memcpy (&b, s + 8, 8);
  a = GUINT64_FROM_LE (a);
  b = GUINT64_FROM_LE (b);
  guint64 h = GZ_HASH_SEED ^ n;
  if (n <= 8)
    return gz_hash_final (gz_hash_mix (h, a & (~G_GUINT64_CONSTANT (0) >> (64 - 8 * n))));
  h = gz_hash_mix (h, a);
  return gz_hash_final (gz_hash_mix (h, b & (~G_GUINT64_CONSTANT (0) >> (128 - 8 * n))));
}

/* The hash of a key of several tokens: the first token's hash, then each
 * further token's hash combined in. */
static inline guint32
gz_hash_combine (guint32 h, guint32 tok)
{
  h = (h << 13) | (h >> 19);
  return (h * 0x85ebca6bu) ^ tok;
}

/* The hash of a whole key ("cote d ' ivoire": tokens joined by one space). */
guint32 gz_key_hash (const char *key, gsize len);

/* The two filter bits of a hash, both in one 64-bit word (one cache line per
 * probe): the word, and the bit of each. */
#define GZ_FILTER_W(m) ((m) >> 12)
#define GZ_FILTER_B1(m) ((m) & 63u)
#define GZ_FILTER_B2(m) (((m) >> 6) & 63u)
static inline guint32
gz_filter_mix (guint32 h)
{
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

/* ------------------------------------------------------------------ tables */

typedef struct {
  const guint8 *base;
  const GzHeader *hdr;
  const GzEntity *entities;
  const GzKey *keys;
  const guint64 *slots;
  const guint64 *filter;
  const char *strings;
} GzTable;

/* Checks an image (magic, version, byte order, bounds) and fills `t`. */
gboolean gz_table_init (GzTable *t, const guint8 *data, gsize size, const char *what,
                        GError **error);
/* Looks a key up; NULL when absent. */
const GzKey *gz_table_lookup (const GzTable *t, const char *key, gsize len, guint32 hash);
/* The same by a linear search of all keys: the tests' reference. */
const GzKey *gz_table_lookup_slow (const GzTable *t, const char *key, gsize len);
/* FALSE when no key has this hash (the Bloom filter); TRUE means "maybe". */
static inline gboolean
gz_table_maybe (const GzTable *t, guint32 hash)
{
  guint32 m = gz_filter_mix (hash);
  guint64 w = t->filter[GZ_FILTER_W (m) & (t->hdr->n_filter_words - 1)];
  return ((w >> GZ_FILTER_B1 (m)) & (w >> GZ_FILTER_B2 (m)) & 1u) != 0;
}

/* The same when 8 bytes are readable at key (a padded buffer). */
static inline guint64
gz_key_head_padded (const char *key, gsize len)
{
  guint64 w;
  memcpy (&w, key, 8);
  w = GUINT64_FROM_LE (w);
  return len >= 8 ? w : w & ((G_GUINT64_CONSTANT (1) << (8 * len)) - 1);
}

/* The probe behind gz_table_lookup, without the filter test, given the key's head. */
static inline const GzKey *
gz_table_find (const GzTable *t, const char *key, gsize len, guint32 hash, guint64 head)
{
  guint32 mask = t->hdr->n_slots - 1;
  guint32 i = hash & mask;
  for (guint32 probes = 0; probes <= mask; probes++) {
    guint64 s = t->slots[i];
    if (s == 0)
      return NULL;
    if ((guint32) (s >> 32) == hash) {
      const GzKey *k = &t->keys[(guint32) s - 1];
      if (k->len == len && k->head == head &&
          (len <= 8 || memcmp (t->strings + k->str + 8, key + 8, len - 8) == 0))
        return k;
    }
    i = (i + 1) & mask;
  }
  return NULL;
}
static inline const char *
gz_table_string (const GzTable *t, guint32 off)
{
  return t->strings + off;
}

/* ----------------------------------------------------------------- builder */

typedef struct _GzBuilder GzBuilder;

GzBuilder *gz_builder_new (void);
void gz_builder_free (GzBuilder *b);
/* Adds a name for an entity (entity from gz_builder_add_entity).  The first
 * definition of a key wins; later ones are ignored (returns FALSE). */
guint32 gz_builder_add_entity (GzBuilder *b, GzClass cls, const char *norm, const char *id);
gboolean gz_builder_add_name (GzBuilder *b, guint32 entity, const char *name);
/* Parses a gazetteer text file's contents (format in README.md); errors name
 * `filename:LINE`. */
gboolean gz_builder_add_text (GzBuilder *b, const char *filename, const char *contents,
                              gsize len, GError **error);
/* Parses a rules file's word lists ("class: phrase | phrase"). */
gboolean gz_builder_add_rules (GzBuilder *b, const char *filename, const char *contents,
                               gsize len, GError **error);
guint gz_builder_get_n_entities (GzBuilder *b);
/* Only entries of the classes in `mask` (bit 1 << GzClass) are added from
 * then on (default: all). */
void gz_builder_set_class_mask (GzBuilder *b, guint32 mask);
#define GZ_CUE_CLASSES ((1u << GZ_TEAM_BETWEEN) | (1u << GZ_TEAM_BEFORE) | (1u << GZ_TEAM_AFTER) | \
                        (1u << GZ_ORG_BEFORE) | (1u << GZ_ORG_AFTER) | (1u << GZ_ORG_NEAR) | \
                        (1u << GZ_NOT_ORG))
/* Serialises the image. */
GBytes *gz_builder_finish (GzBuilder *b);

G_END_DECLS

#endif
