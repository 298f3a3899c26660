/* sluice — rewrites with alignment, and annotation projection.
 *
 * A rewrite is a sequence of segments that tile the old text from 0 to its
 * length, in order: kept pieces (copied verbatim, byte-for-byte alignment)
 * and replaced pieces (old bytes -> new bytes as one group; a delete is a
 * replacement by nothing, an insert a replacement of nothing).  Projection
 * maps each annotation boundary through the segment that contains it. */
#include "internal.h"
#include <string.h>

typedef struct {
  gsize old_start, old_end;
  gsize new_start, new_end;
  gboolean keep;
} Segment;

struct _SluiceRewriter {
  SluiceDocument *doc;
  GString *out;
  GArray *segs;
  gsize cursor;
  char *error;          /* first misuse, reported by commit */
};

SluiceRewriter *
sluice_rewriter_new (SluiceDocument *doc)
{
  g_return_val_if_fail (doc != NULL, NULL);
  SluiceRewriter *rw = g_new0 (SluiceRewriter, 1);
  rw->doc = doc;
  rw->out = g_string_sized_new (doc->len + doc->len / 8 + 16);
  rw->segs = g_array_sized_new (FALSE, FALSE, sizeof (Segment), 64);
  return rw;
}

gsize
sluice_rewriter_get_cursor (const SluiceRewriter *rw)
{
  g_return_val_if_fail (rw != NULL, 0);
  return rw->cursor;
}

gsize
sluice_rewriter_get_new_length (const SluiceRewriter *rw)
{
  g_return_val_if_fail (rw != NULL, 0);
  return rw->out->len;
}

static gboolean
check_old_end (SluiceRewriter *rw, gsize old_end, const char *what)
{
  if (rw->error)
    return FALSE;
  const SluiceDocument *doc = rw->doc;
  if (old_end < rw->cursor || old_end > doc->len)
    {
      rw->error = g_strdup_printf ("%s: position %" G_GSIZE_FORMAT " is outside [cursor %"
                                   G_GSIZE_FORMAT ", length %" G_GSIZE_FORMAT "]",
                                   what, old_end, rw->cursor, doc->len);
      return FALSE;
    }
  if (old_end < doc->len && ((guchar) doc->text[old_end] & 0xC0) == 0x80)
    {
      rw->error = g_strdup_printf ("%s: position %" G_GSIZE_FORMAT
                                   " is inside a UTF-8 character", what, old_end);
      return FALSE;
    }
  return TRUE;
}

void
sluice_rewriter_keep (SluiceRewriter *rw, gsize old_end)
{
  g_return_if_fail (rw != NULL);
  if (!check_old_end (rw, old_end, "keep") || old_end == rw->cursor)
    return;
  gsize n = old_end - rw->cursor;
  gsize new_start = rw->out->len;
  g_string_append_len (rw->out, rw->doc->text + rw->cursor, n);
  Segment *last = rw->segs->len ? &g_array_index (rw->segs, Segment, rw->segs->len - 1) : NULL;
  if (last && last->keep && last->old_end == rw->cursor && last->new_end == new_start)
    {
      last->old_end = old_end;
      last->new_end = rw->out->len;
    }
  else
    {
      Segment s = { rw->cursor, old_end, new_start, rw->out->len, TRUE };
      g_array_append_val (rw->segs, s);
    }
  rw->cursor = old_end;
}

void
sluice_rewriter_replace (SluiceRewriter *rw, gsize old_end, const char *text, gssize len)
{
  g_return_if_fail (rw != NULL);
  if (!check_old_end (rw, old_end, "replace"))
    return;
  gsize n = text == NULL ? 0 : len < 0 ? strlen (text) : (gsize) len;
  if (n > 0 && !sluice_utf8_is_clean (text, n))
    {
      rw->error = g_strdup_printf ("replacement text at old position %" G_GSIZE_FORMAT
                                   " is not valid UTF-8 or holds a NUL byte", rw->cursor);
      return;
    }
  if (old_end == rw->cursor && n == 0)
    return;
  Segment s = { rw->cursor, old_end, rw->out->len, rw->out->len + n, FALSE };
  if (n)
    g_string_append_len (rw->out, text, n);
  g_array_append_val (rw->segs, s);
  rw->cursor = old_end;
}

void
sluice_rewriter_delete (SluiceRewriter *rw, gsize old_end)
{
  sluice_rewriter_replace (rw, old_end, NULL, 0);
}

void
sluice_rewriter_insert (SluiceRewriter *rw, const char *text, gssize len)
{
  g_return_if_fail (rw != NULL);
  sluice_rewriter_replace (rw, rw->cursor, text, len);
}

static void
rewriter_free (SluiceRewriter *rw)
{
  g_string_free (rw->out, TRUE);
  g_array_unref (rw->segs);
  g_free (rw->error);
  g_free (rw);
}

void
sluice_rewriter_abort (SluiceRewriter *rw)
{
  if (rw)
    rewriter_free (rw);
}

/* First segment with old_end > p (the one holding byte p), or NULL at the end. */
static const Segment *
seg_containing_start (const Segment *segs, guint n, gsize p)
{
  guint lo = 0, hi = n;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (segs[mid].old_end > p)
        hi = mid;
      else
        lo = mid + 1;
    }
  return lo < n ? &segs[lo] : NULL;
}

/* Last segment with old_start < p (the one holding byte p - 1), or NULL. */
static const Segment *
seg_containing_end (const Segment *segs, guint n, gsize p)
{
  guint lo = 0, hi = n;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (segs[mid].old_start < p)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo > 0 ? &segs[lo - 1] : NULL;
}

/* A segment that carries old text into the new text. */
static inline gboolean
seg_maps (const Segment *s)
{
  return s->old_end > s->old_start && s->new_end > s->new_start;
}

/* Where an annotation starting at old byte p starts in the new text.  A start
 * inside deleted text moves forward to the next old text that survives
 * (skipping text inserted in between, which the annotation did not cover). */
static gsize
project_start (const Segment *segs, guint n, gsize p, gsize new_len)
{
  const Segment *s = seg_containing_start (segs, n, p);
  if (s == NULL)
    return new_len;
  if (s->keep)
    return s->new_start + (p - s->old_start);
  for (const Segment *end = segs + n; s < end; s++)
    if (seg_maps (s))
      return s->new_start;
  return new_len;
}

/* Where an annotation ending at old byte p ends; symmetric to project_start. */
static gsize
project_end (const Segment *segs, guint n, gsize p)
{
  const Segment *s = seg_containing_end (segs, n, p);
  if (s == NULL)
    return 0;
  if (s->keep)
    return s->new_start + (p - s->old_start);
  for (;; s--)
    {
      if (seg_maps (s))
        return s->new_end;
      if (s == segs)
        return 0;
    }
}

gboolean
sluice_rewriter_commit (SluiceRewriter *rw, GError **error)
{
  g_return_val_if_fail (rw != NULL, FALSE);
  SluiceDocument *doc = rw->doc;
  sluice_rewriter_keep (rw, doc->len);
  if (rw->error)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "stage '%s': invalid rewrite of document '%s': %s",
                   doc->current_stage, doc->id, rw->error);
      rewriter_free (rw);
      return FALSE;
    }

  const Segment *segs = (const Segment *) (void *) rw->segs->data;
  guint nsegs = rw->segs->len;
  gsize new_len = rw->out->len;

  /* Project annotations, dropping those whose text vanished entirely. */
  GPtrArray *anns = doc->annotations;
  guint kept = 0;
  for (guint i = 0; i < anns->len; i++)
    {
      SluiceAnnotation *a = g_ptr_array_index (anns, i);
      gsize s = project_start (segs, nsegs, a->start, new_len);
      gsize e = a->end == a->start ? s : project_end (segs, nsegs, a->end);
      if (a->end > a->start && e <= s)
        {
          sluice_attrs_clear (&a->attrs);
          g_free (a);
          continue;
        }
      a->start = s;
      a->end = e < s ? s : e;
      anns->pdata[kept++] = a;
    }
  /* Shrink without running the free function on the moved pointers. */
  anns->len = kept;

  if (doc->keep_views)
    {
      if (doc->views == NULL)
        doc->views = g_array_new (FALSE, FALSE, sizeof (SluiceView));
      SluiceView v = { doc->text, doc->len, doc->current_stage };
      g_array_append_val (doc->views, v);
    }
  else
    g_free (doc->text);

  doc->len = new_len;
  doc->text = g_string_free (rw->out, FALSE);
  rw->out = NULL;
  g_array_unref (rw->segs);
  g_free (rw);
  return TRUE;
}
