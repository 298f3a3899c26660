/* sluice — documents and annotations. */
#include "internal.h"
#include <string.h>

/* Annotations are allocated and freed by the hundred thousand, a whole
 * document's at once: a small per-thread pool of freed blocks spares malloc
 * and free most of that (glibc's per-size cache holds only 7 of this size).
 * Bounded, so memory stays flat; blocks freed on one thread and allocated on
 * another just fall back to malloc.  Off under AddressSanitizer, which would
 * otherwise not see a use after free of an annotation. */
#if defined(__SANITIZE_ADDRESS__)
#define ANN_POOL_MAX 0
#elif defined(__has_feature)
#if __has_feature (address_sanitizer)
#define ANN_POOL_MAX 0
#endif
#endif
#ifndef ANN_POOL_MAX
#define ANN_POOL_MAX 512
#endif

#if ANN_POOL_MAX > 0
typedef struct {
  guint n;
  SluiceAnnotation *items[ANN_POOL_MAX];
} AnnPool;

/* The thread's pool: found through a __thread pointer (cheaper than
 * g_private_get); the GPrivate is there to free it when the thread ends. */
static __thread AnnPool *tls_pool __attribute__ ((tls_model ("initial-exec")));

static void
ann_pool_free (gpointer p)
{
  AnnPool *pool = p;
  if (tls_pool == pool)
    tls_pool = NULL;
  for (guint i = 0; i < pool->n; i++)
    g_free (pool->items[i]);
  g_free (pool);
}

static GPrivate ann_pool_key = G_PRIVATE_INIT (ann_pool_free);

static inline AnnPool *
ann_pool (void)
{
  AnnPool *pool = tls_pool;
  if (G_UNLIKELY (pool == NULL))
    {
      pool = g_new (AnnPool, 1);
      pool->n = 0;
      g_private_set (&ann_pool_key, pool);
      tls_pool = pool;
    }
  return pool;
}
#endif

static SluiceAnnotation *
annotation_alloc (void)
{
#if ANN_POOL_MAX > 0
  AnnPool *pool = ann_pool ();
  if (pool->n > 0)
    return pool->items[--pool->n];
#endif
  return g_new (SluiceAnnotation, 1);
}

static void
annotation_free (gpointer p)
{
  SluiceAnnotation *a = p;
  sluice_attrs_clear (&a->attrs);
#if ANN_POOL_MAX > 0
  AnnPool *pool = ann_pool ();
  if (pool->n < ANN_POOL_MAX)
    {
      pool->items[pool->n++] = a;
      return;
    }
#endif
  g_free (a);
}

SluiceDocument *
sluice_document_new_take (char *id, char *source, char *text, gsize len)
{
  SluiceDocument *doc = g_new0 (SluiceDocument, 1);
  doc->id = id ? id : g_strdup ("");
  doc->source = source ? source : g_strdup ("");
  doc->text = text ? text : g_strdup ("");
  doc->len = text ? len : 0;
  sluice_attrs_init (&doc->meta);
  doc->annotations = g_ptr_array_new_with_free_func (annotation_free);
  static const char *empty;   /* g_intern_static_string takes a global lock */
  const char *e = g_atomic_pointer_get (&empty);
  if (G_UNLIKELY (e == NULL))
    {
      e = g_intern_static_string ("");
      g_atomic_pointer_set (&empty, e);
    }
  doc->current_stage = e;
  return doc;
}

SluiceDocument *
sluice_document_new (const char *id, const char *text, gssize len)
{
  if (text == NULL)
    text = "";
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  GString *clean = g_string_sized_new (n + 1);
  gsize replaced = sluice_utf8_sanitize (text, n, clean);
  gsize clean_len = clean->len;
  SluiceDocument *doc = sluice_document_new_take (g_strdup (id ? id : ""), g_strdup (""),
                                                  g_string_free (clean, FALSE), clean_len);
  if (replaced > 0)
    sluice_document_add_warning (doc, "invalid UTF-8: %" G_GSIZE_FORMAT
                                 " invalid sequence(s) or NUL byte(s) replaced with U+FFFD",
                                 replaced);
  return doc;
}

void
sluice_document_free (SluiceDocument *doc)
{
  if (doc == NULL)
    return;
  g_free (doc->id);
  g_free (doc->source);
  g_free (doc->text);
  sluice_attrs_clear (&doc->meta);
  g_ptr_array_unref (doc->annotations);
  if (doc->views)
    {
      for (guint i = 0; i < doc->views->len; i++)
        g_free (g_array_index (doc->views, SluiceView, i).text);
      g_array_unref (doc->views);
    }
  g_free (doc->extra_json);
  g_free (doc);
}

const char *
sluice_document_get_id (const SluiceDocument *doc)
{
  g_return_val_if_fail (doc != NULL, NULL);
  return doc->id;
}

const char *
sluice_document_get_source (const SluiceDocument *doc)
{
  g_return_val_if_fail (doc != NULL, NULL);
  return doc->source;
}

const char *
sluice_document_get_text (const SluiceDocument *doc, gsize *len)
{
  g_return_val_if_fail (doc != NULL, NULL);
  if (len)
    *len = doc->len;
  return doc->text;
}

SluiceAttrs *
sluice_document_get_meta (SluiceDocument *doc)
{
  g_return_val_if_fail (doc != NULL, NULL);
  return &doc->meta;
}

void
sluice_document_add_warning (SluiceDocument *doc, const char *format, ...)
{
  g_return_if_fail (doc != NULL && format != NULL);
  va_list ap;
  va_start (ap, format);
  char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  sluice_attrs_append_string (&doc->meta, "warnings", msg);
  g_free (msg);
}

static inline gboolean
is_char_boundary (const char *text, gsize len, gsize pos)
{
  return pos == 0 || pos >= len || ((guchar) text[pos] & 0xC0) != 0x80;
}

SluiceAnnotation *
sluice_document_add_annotation (SluiceDocument *doc, const char *type, gsize start, gsize end)
{
  g_return_val_if_fail (doc != NULL, NULL);
  g_return_val_if_fail (type != NULL && *type != '\0', NULL);
  const char *itype = sluice_intern_clean (type);
  if (G_UNLIKELY (itype == NULL))
    {
      g_critical ("stage '%s' added an annotation whose type is not valid UTF-8 on document "
                  "'%s'; it was ignored", doc->current_stage, doc->id);
      return NULL;
    }
  if (start > end || end > doc->len
      || !is_char_boundary (doc->text, doc->len, start)
      || !is_char_boundary (doc->text, doc->len, end))
    {
      g_critical ("stage '%s' added a %s annotation with an invalid span [%" G_GSIZE_FORMAT
                  ", %" G_GSIZE_FORMAT ") on document '%s' (text length %" G_GSIZE_FORMAT
                  " bytes); it was ignored",
                  doc->current_stage, type, start, end, doc->id, doc->len);
      /* Also in the output, so that it is not lost among log lines. */
      sluice_document_add_warning (doc, "stage '%s': a %s annotation with an invalid span [%"
                                   G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") was ignored",
                                   doc->current_stage, type, start, end);
      return NULL;
    }
  if (G_UNLIKELY (doc->annotations->len == 0))
    {
      /* Room for a typical document's annotations at once, rather than
       * regrowing from 16: made on the first one, so that documents without
       * annotations do not pay for it (an empty array is swapped for a
       * pre-sized one; nothing holds the old one across this call). */
      g_ptr_array_unref (doc->annotations);
      doc->annotations = g_ptr_array_new_full (32, annotation_free);
    }
  SluiceAnnotation *a = annotation_alloc ();
  a->type = itype;
  a->stage = doc->current_stage;
  a->start = start;
  a->end = end;
  sluice_attrs_init_inline (&a->attrs, a->inline_attrs, SLUICE_ANNOTATION_INLINE_ATTRS);
  g_ptr_array_add (doc->annotations, a);
  return a;
}

guint
sluice_document_get_n_annotations (const SluiceDocument *doc)
{
  g_return_val_if_fail (doc != NULL, 0);
  return doc->annotations->len;
}

SluiceAnnotation *
sluice_document_get_annotation (const SluiceDocument *doc, guint index)
{
  g_return_val_if_fail (doc != NULL && index < doc->annotations->len, NULL);
  return g_ptr_array_index (doc->annotations, index);
}

SluiceAnnotation *
sluice_document_find_annotation (const SluiceDocument *doc, const char *type, const char *text)
{
  g_return_val_if_fail (doc != NULL, NULL);
  gsize tlen = text ? strlen (text) : 0;
  for (guint i = 0; i < doc->annotations->len; i++)
    {
      SluiceAnnotation *a = g_ptr_array_index (doc->annotations, i);
      if (type && strcmp (a->type, type) != 0)
        continue;
      if (text && (a->end - a->start != tlen || memcmp (doc->text + a->start, text, tlen) != 0))
        continue;
      return a;
    }
  return NULL;
}

const char *
sluice_annotation_get_type (const SluiceAnnotation *ann)
{
  g_return_val_if_fail (ann != NULL, NULL);
  return ann->type;
}

gsize
sluice_annotation_get_start (const SluiceAnnotation *ann)
{
  g_return_val_if_fail (ann != NULL, 0);
  return ann->start;
}

gsize
sluice_annotation_get_end (const SluiceAnnotation *ann)
{
  g_return_val_if_fail (ann != NULL, 0);
  return ann->end;
}

const char *
sluice_annotation_get_stage (const SluiceAnnotation *ann)
{
  g_return_val_if_fail (ann != NULL, NULL);
  return ann->stage;
}

SluiceAttrs *
sluice_annotation_get_attrs (SluiceAnnotation *ann)
{
  g_return_val_if_fail (ann != NULL, NULL);
  return &ann->attrs;
}

char *
sluice_annotation_dup_text (const SluiceDocument *doc, const SluiceAnnotation *ann)
{
  g_return_val_if_fail (doc != NULL && ann != NULL, NULL);
  return g_strndup (doc->text + ann->start, ann->end - ann->start);
}

guint
sluice_document_get_n_views (const SluiceDocument *doc)
{
  g_return_val_if_fail (doc != NULL, 0);
  return doc->views ? doc->views->len : 0;
}

const char *
sluice_document_get_view_text (const SluiceDocument *doc, guint index)
{
  g_return_val_if_fail (doc != NULL && doc->views && index < doc->views->len, NULL);
  return g_array_index (doc->views, SluiceView, index).text;
}

const char *
sluice_document_get_view_stage (const SluiceDocument *doc, guint index)
{
  g_return_val_if_fail (doc != NULL && doc->views && index < doc->views->len, NULL);
  return g_array_index (doc->views, SluiceView, index).stage;
}

void
sluice_document_set_keep_views (SluiceDocument *doc, gboolean keep)
{
  g_return_if_fail (doc != NULL);
  doc->keep_views = keep;
}

void
sluice_document_set_current_stage (SluiceDocument *doc, const char *stage)
{
  doc->current_stage = sluice_intern (stage ? stage : "");
}

void
sluice_document_take_extra_json (SluiceDocument *doc, char *json, gsize len)
{
  g_free (doc->extra_json);
  doc->extra_json = json;
  doc->extra_json_len = json ? len : 0;
}
