/* entities — gazetteer tables (see gazetteer.h). */
#include "gazetteer.h"

#include <string.h>

const char *const gz_class_names[GZ_N_CLASSES] = {
  "PERSON", "LOCATION", "ORGANIZATION", "MISC", "DATE",
  "GIVEN", "title", "org-suffix", "org-head", "loc-head", "misc-suffix",
  "connector", "stop", "person-suffix",
  "team-between", "team-before", "team-after", "org-before", "org-after", "org-near", "not-org",
};

int
gz_class_from_name (const char *name)
{
  for (int i = 0; i < GZ_N_CLASSES; i++)
    if (g_ascii_strcasecmp (name, gz_class_names[i]) == 0)
      return i;
  return -1;
}

/* ------------------------------------------------------------- tokenising */

static inline gboolean
is_ascii_word (guchar c)
{
  return g_ascii_isalnum (c);
}

static inline gboolean
is_word_char (gunichar u)
{
  return g_unichar_isalnum (u) || g_unichar_ismark (u);
}

static gunichar
fold_punct (gunichar u)
{
  switch (u) {
  case 0x2018: case 0x2019: case 0x02BC: case 0x2032: case 0x0060: case 0x00B4:
    return '\'';
  case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2212:
    return '-';
  case 0x201C: case 0x201D: case 0x201E: case 0x00AB: case 0x00BB:
    return '"';
  default:
    return u;
  }
}

gboolean
gz_next_token (const char *text, gsize len, gsize *pos, gsize *start, gsize *end,
               guint32 *flags, GString *norm)
{
  gsize p = *pos;
  guint32 f = 0;
  int newlines = 0;

  /* Skip whitespace. */
  while (p < len) {
    guchar c = (guchar) text[p];
    if (c < 0x80) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        f |= GZ_TOK_SPACE;
        p++;
        continue;
      }
      if (c == '\n') {
        f |= GZ_TOK_SPACE | GZ_TOK_NL;
        newlines++;
        p++;
        continue;
      }
      break;
    }
    gunichar u = g_utf8_get_char_validated (text + p, len - p);
    if (u == (gunichar) -1 || u == (gunichar) -2)
      break;
    if (g_unichar_isspace (u) || u == 0x200B || u == 0xFEFF || u == 0x00AD) {
      f |= GZ_TOK_SPACE;
      if (u == 0x2028 || u == 0x2029 || u == 0x85) {
        f |= GZ_TOK_NL;
        newlines++;
      }
      p = g_utf8_next_char (text + p) - text;
      continue;
    }
    break;
  }
  if (newlines >= 2)
    f |= GZ_TOK_PARA;
  if (p >= len) {
    *pos = p;
    return FALSE;
  }

  *start = p;
  guchar c = (guchar) text[p];
  gboolean upper_seen = FALSE, lower_seen = FALSE, all_digits = TRUE, ascii = TRUE;

  if (c < 0x80 && !is_ascii_word (c)) {
    /* ASCII punctuation: one character. */
    p++;
    if (norm)
      g_string_append_c (norm, (char) c);
    *end = p;
    *pos = p;
    *flags = f | GZ_TOK_ASCII;
    return TRUE;
  }
  if (c >= 0x80) {
    gunichar u = g_utf8_get_char_validated (text + p, len - p);
    if (u == (gunichar) -1 || u == (gunichar) -2) {
      /* Invalid UTF-8 (cannot happen inside a document): a one-byte token. */
      p++;
      *end = p;
      *pos = p;
      *flags = f;
      return TRUE;
    }
    if (!is_word_char (u)) {
      gsize n = g_utf8_next_char (text + p) - (text + p);
      gunichar fu = fold_punct (u);
      if (norm) {
        if (fu < 0x80)
          g_string_append_c (norm, (char) fu);
        else
          g_string_append_len (norm, text + p, n);
      }
      p += n;
      *end = p;
      *pos = p;
      *flags = f;
      return TRUE;
    }
  }

  /* A word. */
  f |= GZ_TOK_WORD;
  gboolean first = TRUE;
  while (p < len) {
    c = (guchar) text[p];
    if (c < 0x80) {
      if (!is_ascii_word (c))
        break;
      if (c >= 'A' && c <= 'Z') {
        upper_seen = TRUE;
        if (first)
          f |= GZ_TOK_CAP;
        c = (guchar) (c + 32);
      } else if (c >= 'a' && c <= 'z') {
        lower_seen = TRUE;
        if (first)
          f |= GZ_TOK_LOWER;
      }
      if (c >= '0' && c <= '9')
        f |= GZ_TOK_HASDIGIT;
      else
        all_digits = FALSE;
      if (norm)
        g_string_append_c (norm, (char) c);
      p++;
    } else {
      gunichar u = g_utf8_get_char_validated (text + p, len - p);
      if (u == (gunichar) -1 || u == (gunichar) -2 || !is_word_char (u))
        break;
      gsize n = g_utf8_next_char (text + p) - (text + p);
      ascii = FALSE;
      all_digits = FALSE;
      if (g_unichar_isupper (u) || g_unichar_istitle (u)) {
        upper_seen = TRUE;
        if (first)
          f |= GZ_TOK_CAP;
      } else if (g_unichar_islower (u)) {
        lower_seen = TRUE;
        if (first)
          f |= GZ_TOK_LOWER;
      } else if (first && g_unichar_isalpha (u)) {
        f |= GZ_TOK_CASELESS;
      }
      if (norm) {
        gunichar l = g_unichar_tolower (u);
        char buf[8];
        int m = g_unichar_to_utf8 (l, buf);
        g_string_append_len (norm, buf, m);
      }
      p += n;
    }
    first = FALSE;
  }
  if (upper_seen && !lower_seen)
    f |= GZ_TOK_ALLCAPS;
  if (all_digits)
    f |= GZ_TOK_DIGITS;
  if (ascii)
    f |= GZ_TOK_ASCII;
  *end = p;
  *pos = p;
  *flags = f;
  return TRUE;
}

/* ------------------------------------------------------------------ tables */

gboolean
gz_table_init (GzTable *t, const guint8 *data, gsize size, const char *what, GError **error)
{
  memset (t, 0, sizeof *t);
  if (size < sizeof (GzHeader)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: too short for a gazetteer image", what);
    return FALSE;
  }
  const GzHeader *h = (const GzHeader *) data;
  if (memcmp (h->magic, GZ_MAGIC, 8) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a gazetteer image (bad magic)", what);
    return FALSE;
  }
  if (h->endian != GZ_ENDIAN_MARK) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: gazetteer image of another byte order; rebuild it", what);
    return FALSE;
  }
  if (h->version != GZ_FORMAT_VERSION) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s: gazetteer image format %u, this build reads %u; rebuild it", what,
                 h->version, GZ_FORMAT_VERSION);
    return FALSE;
  }
  guint64 ents_end = (guint64) h->off_entities + (guint64) h->n_entities * sizeof (GzEntity);
  guint64 keys_end = (guint64) h->off_keys + (guint64) h->n_keys * sizeof (GzKey);
  guint64 slots_end = (guint64) h->off_slots + (guint64) h->n_slots * 8;
  guint64 str_end = (guint64) h->off_strings + h->size_strings;
  guint64 filter_end = (guint64) h->off_filter + (guint64) h->n_filter_words * 8;
  if (h->total_size != size || ents_end > size || keys_end > size || slots_end > size ||
      str_end > size || filter_end > size || h->n_filter_words == 0 ||
      (h->n_filter_words & (h->n_filter_words - 1)) != 0 || (h->off_filter & 7) ||
      h->n_slots == 0 || (h->n_slots & (h->n_slots - 1)) != 0 ||
      h->size_strings == 0 || data[str_end - 1] != 0 || (h->off_entities & 3) ||
      (h->off_keys & 7) || (h->off_slots & 7)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: corrupt gazetteer image", what);
    return FALSE;
  }
  t->base = data;
  t->hdr = h;
  t->entities = (const GzEntity *) (data + h->off_entities);
  t->keys = (const GzKey *) (data + h->off_keys);
  t->slots = (const guint64 *) (data + h->off_slots);
  t->filter = (const guint64 *) (data + h->off_filter);
  t->strings = (const char *) (data + h->off_strings);
  return TRUE;
}

guint32
gz_key_hash (const char *key, gsize len)
{
  guint32 h = 0;
  gsize s = 0;
  gboolean first = TRUE;
  for (gsize i = 0; i <= len; i++) {
    if (i == len || key[i] == ' ') {
      guint32 th = gz_tok_hash (key + s, i - s);
      h = first ? th : gz_hash_combine (h, th);
      first = FALSE;
      s = i + 1;
    }
  }
  return h;
}

const GzKey *
gz_table_lookup (const GzTable *t, const char *key, gsize len, guint32 hash)
{
  if (!t->hdr || !gz_table_maybe (t, hash))
    return NULL;
  return gz_table_find (t, key, len, hash, gz_key_head (key, len));
}

const GzKey *
gz_table_lookup_slow (const GzTable *t, const char *key, gsize len)
{
  if (!t->hdr)
    return NULL;
  for (guint32 i = 0; i < t->hdr->n_keys; i++) {
    const GzKey *k = &t->keys[i];
    if (k->len == len && memcmp (t->strings + k->str, key, len) == 0)
      return k;
  }
  return NULL;
}

/* ----------------------------------------------------------------- builder */

typedef struct {
  GzKey key;
  char *str;
} BKey;

struct _GzBuilder {
  GArray *entities;        /* GzEntity with string offsets into `strings` */
  GPtrArray *keys;         /* BKey* */
  GHashTable *key_index;   /* char* key -> index+1 into keys */
  GString *strings;
  GHashTable *string_index; /* interned strings -> offset+1 */
  guint32 class_mask;
};

GzBuilder *
gz_builder_new (void)
{
  GzBuilder *b = g_new0 (GzBuilder, 1);
  b->entities = g_array_new (FALSE, FALSE, sizeof (GzEntity));
  b->keys = g_ptr_array_new ();
  b->key_index = g_hash_table_new (g_str_hash, g_str_equal);
  b->strings = g_string_new ("");
  g_string_append_c (b->strings, '\0'); /* offset 0: "" */
  b->string_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  b->class_mask = 0xffffffffu;
  return b;
}

void
gz_builder_free (GzBuilder *b)
{
  if (!b)
    return;
  for (guint i = 0; i < b->keys->len; i++) {
    BKey *k = b->keys->pdata[i];
    g_free (k->str);
    g_free (k);
  }
  g_ptr_array_free (b->keys, TRUE);
  g_hash_table_destroy (b->key_index);
  g_array_free (b->entities, TRUE);
  g_string_free (b->strings, TRUE);
  g_hash_table_destroy (b->string_index);
  g_free (b);
}

static guint32
intern (GzBuilder *b, const char *s)
{
  if (!s || !*s)
    return 0;
  gpointer v = g_hash_table_lookup (b->string_index, s);
  if (v)
    return GPOINTER_TO_UINT (v) - 1;
  guint32 off = (guint32) b->strings->len;
  g_string_append (b->strings, s);
  g_string_append_c (b->strings, '\0');
  g_hash_table_insert (b->string_index, g_strdup (s), GUINT_TO_POINTER (off + 1));
  return off;
}

guint32
gz_builder_add_entity (GzBuilder *b, GzClass cls, const char *norm, const char *id)
{
  GzEntity e = { intern (b, norm), intern (b, id), (guint32) cls };
  g_array_append_val (b->entities, e);
  return b->entities->len - 1;
}

void
gz_builder_set_class_mask (GzBuilder *b, guint32 mask)
{
  b->class_mask = mask;
}

guint
gz_builder_get_n_entities (GzBuilder *b)
{
  return b->entities->len;
}

static BKey *
builder_key (GzBuilder *b, const char *key, gsize len, gboolean *created)
{
  char *k = g_strndup (key, len);
  gpointer v = g_hash_table_lookup (b->key_index, k);
  if (v) {
    g_free (k);
    *created = FALSE;
    return b->keys->pdata[GPOINTER_TO_UINT (v) - 1];
  }
  BKey *bk = g_new0 (BKey, 1);
  bk->str = k;
  bk->key.len = (guint32) len;
  bk->key.hash = gz_key_hash (key, len);
  bk->key.entity = GZ_NONE;
  g_ptr_array_add (b->keys, bk);
  g_hash_table_insert (b->key_index, k, GUINT_TO_POINTER (b->keys->len));
  *created = TRUE;
  return bk;
}

gboolean
gz_builder_add_name (GzBuilder *b, guint32 entity, const char *name)
{
  GString *norm = g_string_new ("");
  gsize pos = 0, len = strlen (name), s, e;
  guint32 fl, cap = 0, acro = 0;
  guint n = 0;
  gsize prefix_ends[GZ_MAX_TOKENS];
  gboolean ok = TRUE;

  while (gz_next_token (name, len, &pos, &s, &e, &fl, norm)) {
    if (n >= GZ_MAX_TOKENS) {
      ok = FALSE;
      break;
    }
    if (fl & GZ_TOK_CAP)
      cap |= 1u << n;
    if ((fl & GZ_TOK_ALLCAPS) && g_utf8_strlen (name + s, e - s) >= 2 && !(fl & GZ_TOK_HASDIGIT))
      acro |= 1u << n;
    prefix_ends[n] = norm->len;
    g_string_append_c (norm, ' ');
    n++;
  }
  if (!ok || n == 0) {
    g_string_free (norm, TRUE);
    return FALSE;
  }
  g_string_truncate (norm, norm->len - 1);

  gboolean created;
  BKey *full = builder_key (b, norm->str, norm->len, &created);
  gboolean added = FALSE;
  if (!(full->key.flags & GZ_KEY_FULL)) {
    full->key.flags |= GZ_KEY_FULL;
    full->key.entity = entity;
    full->key.cap_mask = (guint16) cap;
    full->key.acro_mask = (guint16) acro;
    full->key.flags = (full->key.flags & ~0xff0000u) | (n << 16);
    added = TRUE;
  }
  for (guint i = 0; i + 1 < n; i++) {
    BKey *p = builder_key (b, norm->str, prefix_ends[i], &created);
    p->key.flags |= GZ_KEY_PREFIX;
    if (created)
      p->key.flags |= (i + 1) << 16;
  }
  g_string_free (norm, TRUE);
  return added;
}

static char *
strip_dup (const char *s, gsize n)
{
  while (n > 0 && g_ascii_isspace (*s)) {
    s++;
    n--;
  }
  while (n > 0 && g_ascii_isspace (s[n - 1]))
    n--;
  return g_strndup (s, n);
}

gboolean
gz_builder_add_text (GzBuilder *b, const char *filename, const char *contents, gsize len,
                     GError **error)
{
  if (!g_utf8_validate (contents, len, NULL)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:1: not valid UTF-8", filename);
    return FALSE;
  }
  const char *p = contents, *end = contents + len;
  guint line = 0;
  while (p < end) {
    const char *nl = memchr (p, '\n', end - p);
    const char *le = nl ? nl : end;
    line++;
    gsize n = le - p;
    if (n > 0 && p[n - 1] == '\r')
      n--;
    char *l = g_strndup (p, n);
    p = nl ? nl + 1 : end;
    const char *q = l;
    while (*q == ' ' || *q == '\t')
      q++;
    if (*q == '\0' || *q == '#') {
      g_free (l);
      continue;
    }
    char **f = g_strsplit (l, "\t", 5);
    guint nf = g_strv_length (f);
    gboolean ok = FALSE;
    if (nf < 3 || nf > 4) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s:%u: expected TYPE<TAB>ID<TAB>CANONICAL[<TAB>ALIAS|ALIAS...], got %u field(s)",
                   filename, line, nf);
    } else {
      int cls = gz_class_from_name (f[0]);
      g_strstrip (f[2]);
      if (cls < 0 || cls == GZ_DATE) {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                     "%s:%u: unknown type '%s' (PERSON, LOCATION, ORGANIZATION, MISC or GIVEN)",
                     filename, line, f[0]);
      } else if (f[2][0] == '\0') {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: empty canonical name",
                     filename, line);
      } else {
        g_strstrip (f[1]);
        const char *id = strcmp (f[1], "-") == 0 ? "" : f[1];
        guint32 ent = gz_builder_add_entity (b, (GzClass) cls, f[2], id);
        gz_builder_add_name (b, ent, f[2]);
        if (nf == 4) {
          char **al = g_strsplit (f[3], "|", -1);
          for (char **a = al; *a; a++) {
            char *s = strip_dup (*a, strlen (*a));
            if (*s)
              gz_builder_add_name (b, ent, s);
            g_free (s);
          }
          g_strfreev (al);
        }
        ok = TRUE;
      }
    }
    g_strfreev (f);
    g_free (l);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

gboolean
gz_builder_add_rules (GzBuilder *b, const char *filename, const char *contents, gsize len,
                      GError **error)
{
  if (!g_utf8_validate (contents, len, NULL)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:1: not valid UTF-8", filename);
    return FALSE;
  }
  const char *p = contents, *end = contents + len;
  guint line = 0;
  while (p < end) {
    const char *nl = memchr (p, '\n', end - p);
    const char *le = nl ? nl : end;
    line++;
    char *l = strip_dup (p, le - p);
    p = nl ? nl + 1 : end;
    if (l[0] == '\0' || l[0] == '#') {
      g_free (l);
      continue;
    }
    char *colon = strchr (l, ':');
    if (!colon || colon == l) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s:%u: expected 'class: phrase | phrase ...'", filename, line);
      g_free (l);
      return FALSE;
    }
    *colon = '\0';
    g_strstrip (l);
    int cls = gz_class_from_name (l);
    if (cls < 0 || cls == GZ_DATE) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s:%u: unknown class '%s' (title, org-suffix, org-head, loc-head, misc-suffix, "
                   "connector, stop, person-suffix, team-between, team-before, team-after, "
                   "org-before, org-after, org-near, not-org, GIVEN, PERSON, LOCATION, ORGANIZATION, MISC)",
                   filename, line, l);
      g_free (l);
      return FALSE;
    }
    char **al = g_strsplit (colon + 1, "|", -1);
    for (char **a = al; *a; a++) {
      char *s = strip_dup (*a, strlen (*a));
      if (*s && (b->class_mask >> cls) & 1u) {
        guint32 ent = gz_builder_add_entity (b, (GzClass) cls, s, "");
        gz_builder_add_name (b, ent, s);
      }
      g_free (s);
    }
    g_strfreev (al);
    g_free (l);
  }
  return TRUE;
}

static gsize
align_to (GByteArray *a, guint n)
{
  static const guint8 zeros[8] = { 0 };
  while (a->len & (n - 1))
    g_byte_array_append (a, zeros, 1);
  return a->len;
}
#define align4(a) align_to ((a), 4)

GBytes *
gz_builder_finish (GzBuilder *b)
{
  guint32 n_keys = b->keys->len;
  /* Key strings go after the entity strings. */
  for (guint i = 0; i < n_keys; i++) {
    BKey *k = b->keys->pdata[i];
    k->key.str = (guint32) b->strings->len;
    g_string_append_len (b->strings, k->str, k->key.len);
    g_string_append_c (b->strings, '\0');
  }
  guint32 n_slots = 16;
  while (n_slots < n_keys * 2u)
    n_slots <<= 1;
  guint64 *slots = g_new0 (guint64, n_slots);
  guint32 max_tokens = 0;
  const GzEntity *ents = (const GzEntity *) b->entities->data;
  for (guint i = 0; i < n_keys; i++) {
    BKey *k = b->keys->pdata[i];
    guint32 j = k->key.hash & (n_slots - 1);
    while (slots[j])
      j = (j + 1) & (n_slots - 1);
    slots[j] = ((guint64) k->key.hash << 32) | (i + 1);
    max_tokens = MAX (max_tokens, GZ_KEY_N_TOKENS (&k->key));
    k->key.head = gz_key_head (k->str, k->key.len);
    k->key.flags &= ~0xff00u;
    if (k->key.flags & GZ_KEY_FULL)
      k->key.flags |= (ents[k->key.entity].cls & 0xffu) << 8;
  }

  GzHeader h;
  memset (&h, 0, sizeof h);
  memcpy (h.magic, GZ_MAGIC, 8);
  h.version = GZ_FORMAT_VERSION;
  h.endian = GZ_ENDIAN_MARK;
  h.n_entities = b->entities->len;
  h.n_keys = n_keys;
  h.n_slots = n_slots;
  h.max_tokens = max_tokens;

  GByteArray *a = g_byte_array_new ();
  g_byte_array_append (a, (const guint8 *) &h, sizeof h);
  h.off_entities = (guint32) align4 (a);
  g_byte_array_append (a, (const guint8 *) b->entities->data, b->entities->len * sizeof (GzEntity));
  h.off_keys = (guint32) align_to (a, 8);
  for (guint i = 0; i < n_keys; i++) {
    BKey *k = b->keys->pdata[i];
    g_byte_array_append (a, (const guint8 *) &k->key, sizeof (GzKey));
  }
  h.off_slots = (guint32) align_to (a, 8);
  g_byte_array_append (a, (const guint8 *) slots, n_slots * 8);
  /* The filter: about 10 bits per key, two bits set per key. */
  guint32 n_words = 16;
  while ((guint64) n_words * 64 < (guint64) n_keys * 10)
    n_words <<= 1;
  guint64 *filter = g_new0 (guint64, n_words);
  for (guint i = 0; i < n_keys; i++) {
    guint32 m = gz_filter_mix (((BKey *) b->keys->pdata[i])->key.hash);
    filter[GZ_FILTER_W (m) & (n_words - 1)] |= (G_GUINT64_CONSTANT (1) << GZ_FILTER_B1 (m)) |
                                                (G_GUINT64_CONSTANT (1) << GZ_FILTER_B2 (m));
  }
  h.n_filter_words = n_words;
  h.off_filter = (guint32) align_to (a, 8);
  g_byte_array_append (a, (const guint8 *) filter, n_words * 8);
  g_free (filter);
  h.off_strings = (guint32) align4 (a);
  h.size_strings = (guint32) b->strings->len;
  g_byte_array_append (a, (const guint8 *) b->strings->str, b->strings->len);
  h.total_size = a->len;
  memcpy (a->data, &h, sizeof h);
  g_free (slots);
  return g_byte_array_free_to_bytes (a);
}
