/* sluice — ordered typed key/value maps for annotation attributes and
 * document metadata.  Maps are small (a handful of keys), so a flat array
 * with linear search beats a hash table; keys are interned. */
#include "internal.h"
#include "bytescan.h"
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <errno.h>

#define INTERN_CACHE_BITS 8
#define INTERN_CACHE (1u << INTERN_CACHE_BITS)

typedef struct {
  const char *src;
  const char *interned;
} InternSlot;

/* Behind the caches by pointer, one per thread by content: keys and values
 * parsed from input documents arrive in the same scratch buffer with new
 * content each time, and would otherwise go to the locked table. */
#define CONTENT_CACHE 2048
#define VALUE_CACHE_BITS 11
#define VALUE_CACHE (1u << VALUE_CACHE_BITS)

/* A shared string by the hash of its content: the hash is compared first,
 * so that a miss does not touch the string (a cache miss of its own). */
typedef struct {
  guint64 hash;
  const char *s;
} ContentSlot;

/* Keys and values given to sluice_attrs_set_static_string(), by the
 * caller's pointer alone (no compare of the content: the caller promised it
 * does not change), mapped to the shared table's copies.  gen: the
 * static_generation the slot was filled in; a stage instance destroyed
 * makes every slot stale, since its strings' addresses may be reused. */
typedef struct {
  const char *src;
  const char *shared;
  guint gen;
} StaticSlot;

#define STATIC_KEY_CACHE_BITS 8
#define STATIC_KEY_CACHE (1u << STATIC_KEY_CACHE_BITS)
#define STATIC_VALUE_CACHE_BITS 10
#define STATIC_VALUE_CACHE (1u << STATIC_VALUE_CACHE_BITS)

/* The thread's caches, described where they are used.  Two for interned
 * strings: pointers from g_intern_string and from the key table differ for
 * the same text, and keys must always resolve to the same pointer. */
typedef struct {
  InternSlot intern[INTERN_CACHE];
  InternSlot key[INTERN_CACHE];
  InternSlot type[INTERN_CACHE];
  ContentSlot content[2][CONTENT_CACHE];   /* keys, values */
  InternSlot value[VALUE_CACHE];
  StaticSlot static_keys[STATIC_KEY_CACHE];
  StaticSlot static_values[STATIC_VALUE_CACHE];
} ThreadCaches;

/* Found through one __thread pointer of the initial-exec model: no
 * __tls_get_addr call per access, as the caches themselves as __thread
 * arrays of a shared library had (and 8 bytes of static TLS, not the
 * caches' ~140 KiB, in case libsluice is ever dlopen()ed).  The GPrivate frees them when the
 * thread ends. */
static __thread ThreadCaches *tls_caches __attribute__ ((tls_model ("initial-exec")));

static void
thread_caches_free (gpointer p)
{
  if (tls_caches == p)
    tls_caches = NULL;
  munmap (p, sizeof (ThreadCaches));
}

static GPrivate thread_caches_key = G_PRIVATE_INIT (thread_caches_free);

static __attribute__ ((noinline)) ThreadCaches *
thread_caches_new (void)
{
  /* Straight from mmap (zeroed), not malloc: a block this large (~140 KiB)
   * comes from AddressSanitizer's secondary allocator, whose lock it does
   * not take around fork().  A worker making its caches while another one
   * forked an isolated stage's child left that lock held in the child,
   * which hung on its next large allocation (sdk-isolate timed out in half
   * of its ASan runs).  glibc's malloc takes its locks around fork, but the
   * caches need no allocator at all. */
  ThreadCaches *c = mmap (NULL, sizeof (ThreadCaches), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (c == MAP_FAILED)
    g_error ("out of memory: %s", g_strerror (errno));
  g_private_set (&thread_caches_key, c);
  tls_caches = c;
  return c;
}

static inline ThreadCaches *
thread_caches (void)
{
  ThreadCaches *c = tls_caches;
  if (G_UNLIKELY (c == NULL))
    c = thread_caches_new ();
  return c;
}

/* Slot of pointer s in a direct-mapped cache of 2^bits slots.  A
 * multiplicative hash: string literals sit a few bytes apart, so address
 * bits dropped by a shift would put neighbours in the same slot. */
static inline guint
ptr_hash (const void *s, guint bits)
{
  return (guint) (((guint64) (guintptr) s * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> (64 - bits));
}

static inline InternSlot *
cache_slot (InternSlot *cache, const char *s)
{
  return &cache[ptr_hash (s, INTERN_CACHE_BITS)];
}

const char *
sluice_intern (const char *s)
{
  InternSlot *slot = cache_slot (thread_caches ()->intern, s);
  /* Same address and same content: the caller's buffer may have been reused. */
  if (slot->src == s && strcmp (slot->interned, s) == 0)
    return slot->interned;
  slot->src = s;
  slot->interned = g_intern_string (s);
  return slot->interned;
}

/* Annotation types: a cache of its own, which holds only strings that passed
 * the UTF-8 check, so that a hit needs no check. */

const char *
sluice_intern_clean (const char *s)
{
  InternSlot *slot = cache_slot (thread_caches ()->type, s);
  if (slot->src == s && strcmp (slot->interned, s) == 0)
    return slot->interned;
  if (!sluice_utf8_is_clean (s, strlen (s)))
    return NULL;
  slot->src = s;
  slot->interned = g_intern_string (s);
  return slot->interned;
}

#define MAX_SHARED_KEYS 4096

/* A table of at most `max` permanent strings shared by every thread: what
 * keeps the keys and short values of input documents from growing memory
 * without bound (past `max`, callers keep their own copies).  Its lock is
 * taken around fork(): isolated stages run in children forked from worker
 * threads.  A plain mutex, since a child cannot unlock a pthread rwlock its
 * parent's thread held. */
typedef struct {
  guint64 hash;        /* content_hash of s */
  const char *s;       /* NULL: empty */
} FrozenSlot;

typedef struct {
  GMutex lock;
  GHashTable *table;   /* string -> itself; never freed */
  guint max;
  gint full;           /* atomic: table has max strings, and never changes again */
  /* Made when the table fills, before `full` is set: the same strings in an
   * open-addressing array keyed by the content hash callers already have,
   * so that a lookup in the full table (read by every worker, mostly for
   * values it does not hold) is one or two probes and a compare of 64-bit
   * hashes, instead of GLib's rehash of the string, two arrays and a
   * strcmp.  On the 100 MB bench corpus with entities, those lookups were
   * 9% of the run's time (sampled), mostly cache misses. */
  FrozenSlot *frozen;
  guint frozen_bits;
} SharedTable;

static void shared_table_freeze (SharedTable *t);

static SharedTable shared_keys = { .max = MAX_SHARED_KEYS };
static SharedTable shared_values = { .max = SLUICE_SHARED_VALUES_MAX };

static void tables_prepare (void)
{
  g_mutex_lock (&shared_keys.lock);
  g_mutex_lock (&shared_values.lock);
}

static void tables_release (void)
{
  g_mutex_unlock (&shared_values.lock);
  g_mutex_unlock (&shared_keys.lock);
}

static gpointer
tables_init (gpointer unused)
{
  shared_keys.table = g_hash_table_new (g_str_hash, g_str_equal);
  shared_values.table = g_hash_table_new (g_str_hash, g_str_equal);
  pthread_atfork (tables_prepare, tables_release, tables_release);
  return NULL;
}

/* The table's copy of s (NUL-terminated), added if there is room; or NULL. */
static const char *
shared_table_get (SharedTable *t, const char *s)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, tables_init, NULL);
  g_mutex_lock (&t->lock);
  const char *k = g_hash_table_lookup (t->table, s);
  if (k == NULL && g_hash_table_size (t->table) < t->max)
    {
      /* With its length and whether JSON needs it escaped in front (see
       * sluice_shared_header), for the writer. */
      gsize len = strlen (s);
      SluiceSharedHeader *h = g_malloc (sizeof *h + len + 1);
      char *copy = (char *) (h + 1);
      memcpy (copy, s, len + 1);
      h->len = (guint32) len;
      h->plain = sluice_json_find_special (copy, copy + len) == copy + len;
      g_hash_table_add (t->table, copy);
      k = copy;
      if (g_hash_table_size (t->table) == t->max)
        {
          shared_table_freeze (t);
          /* A full barrier (GLib's atomics are sequentially consistent): a
           * reader that sees full also sees the frozen index. */
          g_atomic_int_set (&t->full, 1);
        }
    }
  g_mutex_unlock (&t->lock);
  return k;
}


/* memcmp (a, b, n) == 0 for the short strings compared here, without a
 * call: words, the last one overlapping. */
static inline gboolean
bytes_equal (const char *a, const char *b, gsize n)
{
  if (n >= 8)
    {
      for (gsize i = 0; i + 8 < n; i += 8)
        if (sluice_load64 (a + i) != sluice_load64 (b + i))
          return FALSE;
      return sluice_load64 (a + n - 8) == sluice_load64 (b + n - 8);
    }
  if (n >= 4)
    {
      guint32 a0, a1, b0, b1;
      memcpy (&a0, a, 4);
      memcpy (&a1, a + n - 4, 4);
      memcpy (&b0, b, 4);
      memcpy (&b1, b + n - 4, 4);
      return a0 == b0 && a1 == b1;
    }
  for (gsize i = 0; i < n; i++)
    if (a[i] != b[i])
      return FALSE;
  return TRUE;
}

static inline guint64
content_hash (const char *s, gsize len)
{
  guint64 h = len * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  const char *end = s + len;
  if (len >= 8)
    {
      for (; end - s > 8; s += 8)
        {
          h = (h ^ sluice_load64 (s)) * G_GUINT64_CONSTANT (0xFF51AFD7ED558CCD);
          h ^= h >> 32;
        }
      /* The last 8 bytes, overlapping the previous word. */
      h = (h ^ sluice_load64 (end - 8)) * G_GUINT64_CONSTANT (0xFF51AFD7ED558CCD);
    }
  else
    for (; s < end; s++)
      h = (h ^ (guchar) *s) * G_GUINT64_CONSTANT (0x100000001B3);
  h ^= h >> 29;
  return h;
}

static inline guint
frozen_index (guint64 h, guint bits)
{
  return (guint) ((h * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> (64 - bits));
}

static void
shared_table_freeze (SharedTable *t)
{
  guint bits = 1;
  while ((1u << bits) < 2 * t->max)
    bits++;
  guint mask = (1u << bits) - 1;
  FrozenSlot *f = g_new0 (FrozenSlot, (gsize) mask + 1);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, t->table);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      const char *k = key;
      guint64 h = content_hash (k, sluice_shared_header (k)->len);
      guint i = frozen_index (h, bits);
      while (f[i].s != NULL)
        i = (i + 1) & mask;
      f[i].hash = h;
      f[i].s = k;
    }
  t->frozen = f;
  t->frozen_bits = bits;
}

/* The string of full table t equal to s[0, len) with content hash h, or
 * NULL.  At most half the slots are used, so an empty one ends every run. */
static inline const char *
frozen_lookup (const SharedTable *t, guint64 h, const char *s, gsize len)
{
  guint mask = (1u << t->frozen_bits) - 1;
  for (guint i = frozen_index (h, t->frozen_bits);; i = (i + 1) & mask)
    {
      const FrozenSlot *f = &t->frozen[i];
      if (f->s == NULL)
        return NULL;
      if (f->hash == h && sluice_shared_header (f->s)->len == len && bytes_equal (f->s, s, len))
        return f->s;
    }
}

/* The string of table t equal to s (clean, NUL-terminated, len bytes), or
 * NULL when t is full.  Once full, the table never changes again, and is
 * read without the lock (no contention between workers).  A per-thread
 * cache of strings found missing (by 64-bit hash) was tried: with entities,
 * only 4% of the lookups after the table fills are repeats, and it saved
 * nothing measurable. */
static const char *
shared_lookup (SharedTable *t, guint which, const char *s, gsize len)
{
  ThreadCaches *c = thread_caches ();
  guint64 h = content_hash (s, len);
  ContentSlot *slot = &c->content[which][h % CONTENT_CACHE];
  const char *k = slot->s;
  if (slot->hash == h && k != NULL && sluice_shared_header (k)->len == len
      && bytes_equal (k, s, len))
    return k;
  if (g_atomic_int_get (&t->full))
    k = frozen_lookup (t, h, s, len);
  else
    k = shared_table_get (t, s);
  if (k)
    {
      slot->hash = h;
      slot->s = k;
    }
  return k;
}

/* The shared key equal to s when this thread's cache has it, else NULL. */
static inline const char *
key_cache_lookup (const char *s)
{
  InternSlot *slot = cache_slot (thread_caches ()->key, s);
  if (slot->src == s && strcmp (slot->interned, s) == 0)
    return slot->interned;
  return NULL;
}

const char *
sluice_intern_key (const char *s)
{
  const char *k = key_cache_lookup (s);
  if (k)
    return k;
  InternSlot *slot = cache_slot (thread_caches ()->key, s);
  k = shared_lookup (&shared_keys, 0, s, strlen (s));
  if (k)
    {
      slot->src = s;
      slot->interned = k;
    }
  return k;
}

/* A copy of s that is valid UTF-8 without NUL: what the stage gave, or with
 * bad bytes replaced by U+FFFD (a stage bug must not produce invalid JSON). */
static char *
clean_dup (const char *s, gsize len)
{
  if (G_LIKELY (sluice_utf8_is_clean (s, len)))
    return g_strndup (s, len);
  GString *g = g_string_sized_new (len + 8);
  sluice_utf8_sanitize (s, len, g);
  return g_string_free (g, FALSE);
}

void
sluice_attrs_init (SluiceAttrs *attrs)
{
  attrs->items = NULL;
  attrs->n = 0;
  attrs->alloc = 0;
  attrs->items_inline = FALSE;
}

void
sluice_attrs_init_inline (SluiceAttrs *attrs, SluiceAttr *storage, guint n_storage)
{
  attrs->items = storage;
  attrs->n = 0;
  attrs->alloc = n_storage;
  attrs->items_inline = TRUE;
}

static void
attr_clear_value (SluiceAttr *a)
{
  switch (a->type)
    {
    case SLUICE_VALUE_STRING:
      if (!a->value_shared)
        g_free (a->v.s);
      a->value_shared = FALSE;
      break;
    case SLUICE_VALUE_JSON:
      g_free (a->v.s);
      break;
    case SLUICE_VALUE_STRING_LIST:
      g_strfreev (a->v.list);
      break;
    default:
      break;
    }
  a->type = SLUICE_VALUE_NULL;
}

void
sluice_attrs_clear (SluiceAttrs *attrs)
{
  for (guint i = 0; i < attrs->n; i++)
    {
      attr_clear_value (&attrs->items[i]);
      if (attrs->items[i].key_owned)
        g_free ((char *) attrs->items[i].key);
    }
  if (attrs->items_inline)
    attrs->n = 0;     /* keep using the owner's storage */
  else
    {
      g_free (attrs->items);
      sluice_attrs_init (attrs);
    }
}

const SluiceAttr *
sluice_attrs_lookup (const SluiceAttrs *attrs, const char *key)
{
  if (attrs == NULL || key == NULL)
    return NULL;
  /* Interned keys compare by pointer first; fall back to strcmp for keys
   * the caller did not intern. */
  for (guint i = 0; i < attrs->n; i++)
    if (attrs->items[i].key == key)
      return &attrs->items[i];
  for (guint i = 0; i < attrs->n; i++)
    if (strcmp (attrs->items[i].key, key) == 0)
      return &attrs->items[i];
  return NULL;
}

/* Short string values repeat endlessly ("rule", "cardinal", a country's
 * canonical name): they come from a bounded shared table instead of a copy
 * per annotation.  Same scheme as keys: a per-thread cache by the caller's
 * pointer in front, a bounded SharedTable behind it,
 * and an ordinary copy once it is full. */
#define MAX_SHARED_VALUE_LEN 48
/* value[0, len) is clean UTF-8 of at most MAX_SHARED_VALUE_LEN bytes. */
static inline InternSlot *
value_slot (const char *value)
{
  return &thread_caches ()->value[ptr_hash (value, VALUE_CACHE_BITS)];
}

/* The shared value equal to value[0, len) when this thread's cache has it,
 * else NULL.  value may hold anything (NUL, bad UTF-8): it is compared with
 * the cached string's stored length. */
static inline const char *
value_cache_lookup (const char *value, gsize len)
{
  InternSlot *slot = value_slot (value);
  if (slot->src == value && sluice_shared_header (slot->interned)->len == len
      && bytes_equal (slot->interned, value, len))
    return slot->interned;
  return NULL;
}

static const char *
shared_value (const char *value, gsize len)
{
  InternSlot *slot = value_slot (value);
  char buf[MAX_SHARED_VALUE_LEN + 1];
  memcpy (buf, value, len);
  buf[len] = '\0';
  const char *v = shared_lookup (&shared_values, 1, buf, len);
  if (v)
    {
      slot->src = value;
      slot->interned = v;
    }
  return v;
}

/* The slot for key, emptied, appending one if needed.  shared: the shared
 * key equal to key, or NULL when the key table is full (key is then clean
 * and the slot owns a copy).  Stored keys are interned, so a shared key is
 * found by a pointer compare. */
static inline SluiceAttr *
attrs_slot_for (SluiceAttrs *attrs, const char *shared, const char *key)
{
  SluiceAttr *a = NULL;
  for (guint i = 0; i < attrs->n && a == NULL; i++)
    if (shared ? attrs->items[i].key == shared
               : attrs->items[i].key_owned && strcmp (attrs->items[i].key, key) == 0)
      a = &attrs->items[i];
  if (a != NULL)
    {
      attr_clear_value (a);
      return a;
    }
  if (attrs->n == attrs->alloc)
    {
      guint alloc = attrs->alloc ? attrs->alloc * 2 : 8;
      if (attrs->items_inline)
        {
          SluiceAttr *heap = g_new (SluiceAttr, alloc);
          memcpy (heap, attrs->items, attrs->n * sizeof (SluiceAttr));
          attrs->items = heap;
          attrs->items_inline = FALSE;
        }
      else
        attrs->items = g_renew (SluiceAttr, attrs->items, alloc);
      attrs->alloc = alloc;
    }
  a = &attrs->items[attrs->n++];
  a->key_owned = shared == NULL;
  a->value_shared = FALSE;
  a->key = shared ? shared : g_strdup (key);
  a->type = SLUICE_VALUE_NULL;
  return a;
}

/* Returns the slot for key, emptied, appending one if needed. */
static SluiceAttr *
attrs_slot (SluiceAttrs *attrs, const char *key)
{
  g_autofree char *fixed = NULL;
  /* A cache hit is a shared key, which is clean. */
  const char *shared = key_cache_lookup (key);
  if (shared == NULL)
    {
      if (G_UNLIKELY (!sluice_utf8_is_clean (key, strlen (key))))
        key = fixed = clean_dup (key, strlen (key));
      shared = sluice_intern_key (key);
    }
  return attrs_slot_for (attrs, shared, key);
}

void
sluice_attrs_set_null (SluiceAttrs *attrs, const char *key)
{
  g_return_if_fail (attrs != NULL && key != NULL);
  attrs_slot (attrs, key)->type = SLUICE_VALUE_NULL;
}

void
sluice_attrs_set_string (SluiceAttrs *attrs, const char *key, const char *value)
{
  g_return_if_fail (attrs != NULL && key != NULL);
  if (value == NULL)
    {
      sluice_attrs_set_null (attrs, key);
      return;
    }
  sluice_attrs_set_string_len (attrs, key, value, strlen (value));
}

static inline void
set_string_len (SluiceAttrs *attrs, const char *key, const char *value, gsize len,
                gboolean known_clean)
{
  /* Shared (no copy) when short and clean; else a copy, made before the
   * slot is emptied: value may point into the value being replaced. */
  const char *shared = NULL;
  if (len <= MAX_SHARED_VALUE_LEN)
    {
      /* A cache hit is a shared value, which is clean. */
      shared = value_cache_lookup (value, len);
      if (shared == NULL && (known_clean || sluice_utf8_is_clean (value, len)))
        shared = shared_value (value, len);
    }
  char *copy = shared ? NULL : known_clean ? g_strndup (value, len) : clean_dup (value, len);
  SluiceAttr *a = attrs_slot (attrs, key);
  a->type = SLUICE_VALUE_STRING;
  a->v.s = shared ? (char *) shared : copy;
  a->value_shared = shared != NULL;
}

void
sluice_attrs_set_string_len (SluiceAttrs *attrs, const char *key, const char *value, gsize len)
{
  g_return_if_fail (attrs != NULL && key != NULL && (value != NULL || len == 0));
  if (value == NULL)
    value = "";
  set_string_len (attrs, key, value, len, FALSE);
}

void
sluice_attrs_set_clean_string_len (SluiceAttrs *attrs, const char *key, const char *value,
                                   gsize len)
{
  set_string_len (attrs, key, value, len, TRUE);
}

/* Bumped (see sluice_attrs_forget_static) whenever a stage instance is
 * destroyed: the static strings it passed may be freed, and their addresses
 * reused for other content, so every thread's static slots go stale. */
static gint static_generation = 1;

void
sluice_attrs_forget_static (void)
{
  g_atomic_int_inc (&static_generation);
}

/* Sets key (shared: its shared key) to v, a string of the shared value table. */
static inline void
set_shared_value (SluiceAttrs *attrs, const char *shared, const char *key, const char *v)
{
  SluiceAttr *a = attrs_slot_for (attrs, shared, key);
  a->type = SLUICE_VALUE_STRING;
  a->v.s = (char *) v;
  a->value_shared = TRUE;
}

static void
set_static_string_slow (SluiceAttrs *attrs, const char *key, const char *value,
                        StaticSlot *ks, StaticSlot *vs, guint gen)
{
  gsize klen = strlen (key), vlen = strlen (value);
  const char *k = NULL, *v = NULL;
  if (sluice_utf8_is_clean (key, klen))
    k = sluice_intern_key (key);
  if (k != NULL && vlen <= MAX_SHARED_VALUE_LEN && sluice_utf8_is_clean (value, vlen))
    v = shared_lookup (&shared_values, 1, value, vlen);
  if (v == NULL)
    {
      /* Too long, not clean, or a table is full: what set_string does (a
       * copy; bad bytes repaired), and nothing remembered. */
      set_string_len (attrs, key, value, vlen, FALSE);
      return;
    }
  ks->src = key;
  ks->shared = k;
  ks->gen = gen;
  vs->src = value;
  vs->shared = v;
  vs->gen = gen;
  set_shared_value (attrs, k, key, v);
}

void
sluice_attrs_set_static_string (SluiceAttrs *attrs, const char *key, const char *value)
{
  g_return_if_fail (attrs != NULL && key != NULL);
  if (G_UNLIKELY (value == NULL))
    {
      sluice_attrs_set_null (attrs, key);
      return;
    }
  /* Both found by pointer in this thread's static slots: no length, no
   * hash of the content, no compare, no UTF-8 check (all done once, when
   * the slots were filled). */
  ThreadCaches *c = thread_caches ();
  guint gen = (guint) g_atomic_int_get (&static_generation);
  StaticSlot *ks = &c->static_keys[ptr_hash (key, STATIC_KEY_CACHE_BITS)];
  StaticSlot *vs = &c->static_values[ptr_hash (value, STATIC_VALUE_CACHE_BITS)];
  if (G_LIKELY (ks->src == key && vs->src == value && ks->gen == gen && vs->gen == gen))
    {
      set_shared_value (attrs, ks->shared, key, vs->shared);
      return;
    }
  set_static_string_slow (attrs, key, value, ks, vs, gen);
}

const char *
sluice_intern_clean_key (const char *key, gsize len)
{
  return shared_lookup (&shared_keys, 0, key, len);
}

void
sluice_attrs_set_int (SluiceAttrs *attrs, const char *key, gint64 value)
{
  g_return_if_fail (attrs != NULL && key != NULL);
  SluiceAttr *a = attrs_slot (attrs, key);
  a->type = SLUICE_VALUE_INT;
  a->v.i = value;
}

void
sluice_attrs_set_double (SluiceAttrs *attrs, const char *key, double value)
{
  g_return_if_fail (attrs != NULL && key != NULL);
  SluiceAttr *a = attrs_slot (attrs, key);
  a->type = SLUICE_VALUE_DOUBLE;
  a->v.d = value;
}

void
sluice_attrs_set_bool (SluiceAttrs *attrs, const char *key, gboolean value)
{
  g_return_if_fail (attrs != NULL && key != NULL);
  SluiceAttr *a = attrs_slot (attrs, key);
  a->type = SLUICE_VALUE_BOOL;
  a->v.b = value ? TRUE : FALSE;
}

void
sluice_attrs_set_string_list (SluiceAttrs *attrs, const char *key,
                              const char *const *values, gssize n)
{
  g_return_if_fail (attrs != NULL && key != NULL);
  gsize count = 0;
  if (values != NULL)
    count = n < 0 ? g_strv_length ((char **) values) : (gsize) n;
  char **copy = g_new (char *, count + 1);
  for (gsize i = 0; i < count; i++)
    copy[i] = values[i] ? clean_dup (values[i], strlen (values[i])) : g_strdup ("");
  copy[count] = NULL;
  SluiceAttr *a = attrs_slot (attrs, key);
  a->type = SLUICE_VALUE_STRING_LIST;
  a->v.list = copy;
}

void
sluice_attrs_append_string (SluiceAttrs *attrs, const char *key, const char *value)
{
  g_return_if_fail (attrs != NULL && key != NULL && value != NULL);
  SluiceAttr *a = (SluiceAttr *) sluice_attrs_lookup (attrs, key);
  if (a == NULL || a->type != SLUICE_VALUE_STRING_LIST)
    {
      const char *none[] = { NULL };
      sluice_attrs_set_string_list (attrs, key, none, 0);
      a = (SluiceAttr *) sluice_attrs_lookup (attrs, key);
    }
  guint len = g_strv_length (a->v.list);
  a->v.list = g_renew (char *, a->v.list, len + 2);
  a->v.list[len] = clean_dup (value, strlen (value));
  a->v.list[len + 1] = NULL;
}

void
sluice_attrs_set_json_trusted (SluiceAttrs *attrs, const char *key, const char *json)
{
  char *copy = g_strdup (json);
  SluiceAttr *a = attrs_slot (attrs, key);
  a->type = SLUICE_VALUE_JSON;
  a->v.s = copy;
}

void
sluice_attrs_set_json (SluiceAttrs *attrs, const char *key, const char *json)
{
  g_return_if_fail (attrs != NULL && key != NULL && json != NULL);
  /* What a stage hands us is checked (with our strict parser: json-glib
   * would create GObjects, which deadlocks in forked isolated children), so
   * that the line we write is always valid JSON. */
  GError *e = NULL;
  gsize len = strlen (json);
  if (!sluice_utf8_is_clean (json, len) || !sluice_json_validate_value (json, len, &e))
    {
      g_critical ("attribute '%s': not one valid JSON value (%s); stored as null", key,
                  e ? e->message : "invalid UTF-8");
      g_clear_error (&e);
      sluice_attrs_set_null (attrs, key);
      return;
    }
  char *copy = g_strndup (json, len);
  sluice_json_fix_lone_surrogates (copy, len);
  SluiceAttr *a = attrs_slot (attrs, key);
  a->type = SLUICE_VALUE_JSON;
  a->v.s = copy;
}

gboolean
sluice_attrs_remove (SluiceAttrs *attrs, const char *key)
{
  SluiceAttr *a = (SluiceAttr *) sluice_attrs_lookup (attrs, key);
  if (a == NULL)
    return FALSE;
  attr_clear_value (a);
  if (a->key_owned)
    g_free ((char *) a->key);
  guint i = (guint) (a - attrs->items);
  memmove (&attrs->items[i], &attrs->items[i + 1], (attrs->n - i - 1) * sizeof (SluiceAttr));
  attrs->n--;
  return TRUE;
}

gboolean
sluice_attrs_has (const SluiceAttrs *attrs, const char *key)
{
  return sluice_attrs_lookup (attrs, key) != NULL;
}

SluiceValueType
sluice_attrs_get_type (const SluiceAttrs *attrs, const char *key)
{
  const SluiceAttr *a = sluice_attrs_lookup (attrs, key);
  return a ? a->type : SLUICE_VALUE_NONE;
}

const char *
sluice_attrs_get_string (const SluiceAttrs *attrs, const char *key)
{
  const SluiceAttr *a = sluice_attrs_lookup (attrs, key);
  return a && a->type == SLUICE_VALUE_STRING ? a->v.s : NULL;
}

gint64
sluice_attrs_get_int (const SluiceAttrs *attrs, const char *key, gint64 fallback)
{
  const SluiceAttr *a = sluice_attrs_lookup (attrs, key);
  if (a == NULL)
    return fallback;
  if (a->type == SLUICE_VALUE_INT)
    return a->v.i;
  if (a->type == SLUICE_VALUE_DOUBLE && a->v.d > (double) G_MININT64 && a->v.d < (double) G_MAXINT64)
    return (gint64) a->v.d;
  return fallback;
}

double
sluice_attrs_get_double (const SluiceAttrs *attrs, const char *key, double fallback)
{
  const SluiceAttr *a = sluice_attrs_lookup (attrs, key);
  if (a == NULL)
    return fallback;
  if (a->type == SLUICE_VALUE_DOUBLE)
    return a->v.d;
  if (a->type == SLUICE_VALUE_INT)
    return (double) a->v.i;
  return fallback;
}

gboolean
sluice_attrs_get_bool (const SluiceAttrs *attrs, const char *key, gboolean fallback)
{
  const SluiceAttr *a = sluice_attrs_lookup (attrs, key);
  return a && a->type == SLUICE_VALUE_BOOL ? a->v.b : fallback;
}

const char *const *
sluice_attrs_get_string_list (const SluiceAttrs *attrs, const char *key, guint *n)
{
  const SluiceAttr *a = sluice_attrs_lookup (attrs, key);
  if (a == NULL || a->type != SLUICE_VALUE_STRING_LIST)
    {
      if (n)
        *n = 0;
      return NULL;
    }
  if (n)
    *n = g_strv_length (a->v.list);
  return (const char *const *) a->v.list;
}

const char *
sluice_attrs_get_json (const SluiceAttrs *attrs, const char *key)
{
  const SluiceAttr *a = sluice_attrs_lookup (attrs, key);
  return a && a->type == SLUICE_VALUE_JSON ? a->v.s : NULL;
}

guint
sluice_attrs_size (const SluiceAttrs *attrs)
{
  return attrs ? attrs->n : 0;
}

const char *
sluice_attrs_key_at (const SluiceAttrs *attrs, guint i)
{
  g_return_val_if_fail (attrs != NULL && i < attrs->n, NULL);
  return attrs->items[i].key;
}

void
sluice_attrs_copy (SluiceAttrs *dest, const SluiceAttrs *src)
{
  for (guint i = 0; i < src->n; i++)
    {
      const SluiceAttr *a = &src->items[i];
      switch (a->type)
        {
        case SLUICE_VALUE_STRING: sluice_attrs_set_string (dest, a->key, a->v.s); break;
        case SLUICE_VALUE_JSON: sluice_attrs_set_json_trusted (dest, a->key, a->v.s); break;
        case SLUICE_VALUE_INT: sluice_attrs_set_int (dest, a->key, a->v.i); break;
        case SLUICE_VALUE_DOUBLE: sluice_attrs_set_double (dest, a->key, a->v.d); break;
        case SLUICE_VALUE_BOOL: sluice_attrs_set_bool (dest, a->key, a->v.b); break;
        case SLUICE_VALUE_STRING_LIST:
          sluice_attrs_set_string_list (dest, a->key, (const char *const *) a->v.list, -1);
          break;
        default: sluice_attrs_set_null (dest, a->key); break;
        }
    }
}
