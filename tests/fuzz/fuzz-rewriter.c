/* sluice — fuzz target: the rewriter (keep / replace / delete / insert,
 * commit / abort) and annotation projection.
 *
 * Input layout:
 *   bytes 0-1   text length L (big endian, clamped to what is left)
 *   byte 2      flags: 1 = keep views
 *   L bytes     the text (sanitised as the reader does)
 *   the rest    operations, one opcode byte each (value % 8):
 *     0 annotate  two position bytes -> a valid span (snapped to characters)
 *     1 annotate  two raw byte offsets (may be invalid: then a critical and
 *                 NULL are expected, and nothing is added)
 *     2 keep      position        3 replace  position, string
 *     4 delete    position        5 insert   string
 *     6 commit (then a new rewrite starts)   7 abort (likewise)
 *   position: one byte p; p < 0xC0: the cursor plus (p % 64) characters;
 *   otherwise the cursor plus a signed byte offset from the next byte (may
 *   land before the cursor, past the end or inside a character).
 *   string: a length byte (% 32) and that many raw bytes (may be invalid
 *   UTF-8 or hold NUL).
 *
 * An independent model of the documented contract (include/sluice/document.h)
 * predicts the cursor, the new text and whether commit succeeds; after a
 * commit every annotation's survival and new span are checked against the
 * rule: a non-empty annotation survives when it covers old text that maps to
 * new text (a kept piece, or a replaced piece with a non-empty replacement);
 * its new span runs from the earliest to the latest new byte those pieces
 * give (a kept piece maps byte for byte, a replaced one contributes its whole
 * replacement).  An empty annotation always survives; inside a kept piece it
 * moves with it, at the end of the old text it lands at the end of the new.
 * A failed commit and an abort leave text, annotations and views untouched. */
#include "fuzz.h"
#include <string.h>

typedef struct {
  gsize os, oe, ns, ne;
  gboolean keep;
} Seg;

typedef struct {
  const char *old;            /* the document text when the rewrite began */
  gsize old_len;
  gsize cursor;
  GString *out;
  GArray *segs;
  gboolean misuse;
} Model;

typedef struct {
  gint64 id;
  const char *type;
  gsize start, end;
} Snap;

static gint64 next_id;

static void
model_begin (Model *m, const SluiceDocument *doc)
{
  m->old = sluice_document_get_text (doc, &m->old_len);
  m->cursor = 0;
  m->out = g_string_new (NULL);
  m->segs = g_array_new (FALSE, FALSE, sizeof (Seg));
  m->misuse = FALSE;
}

static void
model_end (Model *m)
{
  g_string_free (m->out, TRUE);
  g_array_unref (m->segs);
}

static gboolean
model_check (Model *m, gsize old_end)
{
  if (m->misuse)
    return FALSE;
  if (old_end < m->cursor || old_end > m->old_len
      || (old_end < m->old_len && ((guchar) m->old[old_end] & 0xC0) == 0x80))
    {
      m->misuse = TRUE;
      return FALSE;
    }
  return TRUE;
}

static void
model_keep (Model *m, gsize old_end)
{
  if (!model_check (m, old_end) || old_end == m->cursor)
    return;
  Seg s = { m->cursor, old_end, m->out->len, m->out->len + (old_end - m->cursor), TRUE };
  g_string_append_len (m->out, m->old + m->cursor, (gssize) (old_end - m->cursor));
  g_array_append_val (m->segs, s);
  m->cursor = old_end;
}

static void
model_replace (Model *m, gsize old_end, const char *t, gsize n)
{
  if (!model_check (m, old_end))
    return;
  if (n > 0 && (memchr (t, '\0', n) != NULL || !g_utf8_validate (t, (gssize) n, NULL)))
    {
      m->misuse = TRUE;
      return;
    }
  if (old_end == m->cursor && n == 0)
    return;
  Seg s = { m->cursor, old_end, m->out->len, m->out->len + n, FALSE };
  g_string_append_len (m->out, t, (gssize) n);
  g_array_append_val (m->segs, s);
  m->cursor = old_end;
}

/* ------------------------------------------------------------ snapshots */

static GArray *
snapshot (const SluiceDocument *doc)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (Snap));
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++)
    {
      SluiceAnnotation *ann = sluice_document_get_annotation (doc, i);
      Snap s = { sluice_attrs_get_int (sluice_annotation_get_attrs (ann), "fuzz_id", -1),
                 sluice_annotation_get_type (ann),
                 sluice_annotation_get_start (ann), sluice_annotation_get_end (ann) };
      g_array_append_val (a, s);
    }
  return a;
}

static void
expect_snapshot (const SluiceDocument *doc, GArray *want, const char *when)
{
  GArray *got = snapshot (doc);
  FUZZ_ASSERT (got->len == want->len, "%s: %u annotations, expected %u", when, got->len, want->len);
  for (guint i = 0; i < got->len; i++)
    {
      Snap *g = &g_array_index (got, Snap, i), *w = &g_array_index (want, Snap, i);
      FUZZ_ASSERT (g->id == w->id && g->start == w->start && g->end == w->end
                   && strcmp (g->type, w->type) == 0,
                   "%s: annotation %u is id %" G_GINT64_FORMAT " [%zu, %zu), expected id %"
                   G_GINT64_FORMAT " [%zu, %zu)",
                   when, i, g->id, g->start, g->end, w->id, w->start, w->end);
    }
  g_array_unref (got);
}

/* Expected annotations after a successful commit of `m` (complete). */
static GArray *
project (const Model *m, GArray *before)
{
  GArray *want = g_array_new (FALSE, FALSE, sizeof (Snap));
  const Seg *segs = (const Seg *) (void *) m->segs->data;
  guint n = m->segs->len;
  gsize new_len = m->out->len;
  for (guint i = 0; i < before->len; i++)
    {
      Snap s = g_array_index (before, Snap, i);
      gsize a = s.start, b = s.end;
      if (a == b)
        {
          /* Exact only where the contract is: inside a kept piece, or at the end. */
          gsize pos = G_MAXSIZE;
          if (a == m->old_len)
            pos = new_len;
          for (guint k = 0; k < n && pos == G_MAXSIZE; k++)
            if (segs[k].keep && segs[k].os <= a && a < segs[k].oe)
              pos = segs[k].ns + (a - segs[k].os);
          s.start = s.end = pos;      /* G_MAXSIZE: anywhere valid */
          g_array_append_val (want, s);
          continue;
        }
      gsize ns = G_MAXSIZE, ne = 0;
      for (guint k = 0; k < n; k++)
        {
          const Seg *g = &segs[k];
          if (g->oe <= g->os || g->ne <= g->ns || g->oe <= a || b <= g->os)
            continue;                 /* maps nothing, or does not overlap */
          gsize ps = g->keep ? g->ns + (MAX (a, g->os) - g->os) : g->ns;
          gsize pe = g->keep ? g->ns + (MIN (b, g->oe) - g->os) : g->ne;
          ns = MIN (ns, ps);
          ne = MAX (ne, pe);
        }
      if (ns == G_MAXSIZE)
        continue;                     /* dropped */
      s.start = ns;
      s.end = ne;
      g_array_append_val (want, s);
    }
  return want;
}

static void
expect_projection (const SluiceDocument *doc, GArray *want)
{
  GArray *got = snapshot (doc);
  FUZZ_ASSERT (got->len == want->len, "after commit: %u annotations survive, expected %u",
               got->len, want->len);
  for (guint i = 0; i < got->len; i++)
    {
      Snap *g = &g_array_index (got, Snap, i), *w = &g_array_index (want, Snap, i);
      FUZZ_ASSERT (g->id == w->id, "after commit: annotation %u is id %" G_GINT64_FORMAT
                   ", expected id %" G_GINT64_FORMAT, i, g->id, w->id);
      if (w->start == G_MAXSIZE)
        FUZZ_ASSERT (g->start == g->end, "empty annotation id %" G_GINT64_FORMAT
                     " became [%zu, %zu)", g->id, g->start, g->end);
      else
        FUZZ_ASSERT (g->start == w->start && g->end == w->end,
                     "after commit: annotation id %" G_GINT64_FORMAT " at [%zu, %zu), expected [%zu, %zu)",
                     g->id, g->start, g->end, w->start, w->end);
    }
  g_array_unref (got);
}

/* ------------------------------------------------------------ positions */

static gsize
advance_chars (const char *text, gsize len, gsize pos, guint n)
{
  while (n-- > 0 && pos < len)
    pos = (gsize) (g_utf8_next_char (text + pos) - text);
  return MIN (pos, len);
}

static gsize
pick_pos (FuzzInput *in, const char *text, gsize len, gsize cursor)
{
  guint8 p = fuzz_byte (in);
  if (p < 0xC0)
    return advance_chars (text, len, cursor, p % 64);
  gint8 off = (gint8) fuzz_byte (in);
  gssize v = (gssize) cursor + off;
  return v < 0 ? 0 : (gsize) v;
}

static gsize
snap_back (const char *text, gsize len, gsize pos)
{
  pos = MIN (pos, len);
  while (pos > 0 && pos < len && ((guchar) text[pos] & 0xC0) == 0x80)
    pos--;
  return pos;
}

static void
add_annotation (SluiceDocument *doc, gsize s, gsize e, gboolean raw)
{
  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  if (!raw)
    {
      s = snap_back (text, len, s);
      e = snap_back (text, len, e);
      if (s > e)
        {
          gsize t = s; s = e; e = t;
        }
    }
  gboolean valid = s <= e && e <= len
    && (s == len || ((guchar) text[s] & 0xC0) != 0x80)
    && (e == len || ((guchar) text[e] & 0xC0) != 0x80);
  int before = fuzz_n_criticals;
  fuzz_expect_critical++;
  SluiceAnnotation *a = sluice_document_add_annotation (doc, (next_id & 1) ? "A" : "B", s, e);
  fuzz_expect_critical--;
  if (valid)
    {
      FUZZ_ASSERT (a != NULL && fuzz_n_criticals == before,
                   "valid span [%zu, %zu) of %zu bytes refused", s, e, len);
      sluice_attrs_set_int (sluice_annotation_get_attrs (a), "fuzz_id", next_id++);
    }
  else
    FUZZ_ASSERT (a == NULL && fuzz_n_criticals == before + 1,
                 "invalid span [%zu, %zu) of %zu bytes accepted or not reported", s, e, len);
}

/* ----------------------------------------------------------------- target */

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_init ();
  next_id = 0;
  FuzzInput in = { data, size };
  size_t want_len = ((size_t) fuzz_byte (&in) << 8) | fuzz_byte (&in);
  guint flags = fuzz_byte (&in);
  size_t tlen;
  const uint8_t *t = fuzz_bytes (&in, want_len, &tlen);
  SluiceDocument *doc = fuzz_document_from_bytes (t, tlen, FALSE);
  sluice_document_set_keep_views (doc, (flags & 1) != 0);

  SluiceRewriter *rw = sluice_rewriter_new (doc);
  Model m;
  model_begin (&m, doc);
  guint n_ops = 0;
  while (in.n > 0 && n_ops++ < 4096)
    {
      guint op = fuzz_byte (&in) % 8;
      gsize len = 0;
      const char *text = sluice_document_get_text (doc, &len);
      switch (op)
        {
        case 0:
        case 1:
          {
            gsize s, e;
            if (op == 0)
              {
                s = advance_chars (text, len, 0, fuzz_byte (&in));
                e = advance_chars (text, len, s, fuzz_byte (&in) % 32);
              }
            else
              {
                s = fuzz_byte (&in) * (gsize) 3;
                e = s + (gsize) (fuzz_byte (&in) % 16);
                if (fuzz_byte (&in) & 1)
                  {
                    gsize x = s; s = e; e = x;
                  }
              }
            add_annotation (doc, s, e, op == 1);
            break;
          }
        case 2:
        case 4:
          {
            gsize p = pick_pos (&in, text, len, m.cursor);
            if (op == 2)
              {
                sluice_rewriter_keep (rw, p);
                model_keep (&m, p);
              }
            else
              {
                sluice_rewriter_delete (rw, p);
                model_replace (&m, p, NULL, 0);
              }
            break;
          }
        case 3:
        case 5:
          {
            gsize p = op == 3 ? pick_pos (&in, text, len, m.cursor) : m.cursor;
            size_t n;
            const uint8_t *s = fuzz_bytes (&in, fuzz_byte (&in) % 32, &n);
            /* A private copy: the rewriter must not read past n. */
            char *copy = g_malloc (n + 1);
            memcpy (copy, s, n);
            if (op == 3)
              sluice_rewriter_replace (rw, p, copy, (gssize) n);
            else
              sluice_rewriter_insert (rw, copy, (gssize) n);
            model_replace (&m, p, copy, n);
            g_free (copy);
            break;
          }
        case 6:
        case 7:
          {
            GArray *before = snapshot (doc);
            char *old_text = g_strndup (text, len);
            guint old_views = sluice_document_get_n_views (doc);
            gboolean ok = FALSE;
            GError *error = NULL;
            if (op == 6)
              {
                model_keep (&m, m.old_len);
                ok = sluice_rewriter_commit (rw, &error);
                FUZZ_ASSERT (ok == !m.misuse, "commit returned %d, the model expects %d (%s)",
                             ok, !m.misuse, error ? error->message : "no error");
                FUZZ_ASSERT (ok || (error && error->message && *error->message),
                             "failed commit without a message");
                g_clear_error (&error);
              }
            else
              sluice_rewriter_abort (rw);
            gsize nlen = 0;
            const char *ntext = sluice_document_get_text (doc, &nlen);
            if (ok)
              {
                FUZZ_ASSERT (nlen == m.out->len && memcmp (ntext, m.out->str, nlen) == 0,
                             "new text differs from the model's (%zu vs %zu bytes)",
                             nlen, m.out->len);
                GArray *want = project (&m, before);
                expect_projection (doc, want);
                g_array_unref (want);
                if (flags & 1)
                  {
                    FUZZ_ASSERT (sluice_document_get_n_views (doc) == old_views + 1,
                                 "no view kept");
                    FUZZ_ASSERT (strcmp (sluice_document_get_view_text (doc, old_views),
                                         old_text) == 0, "the kept view is not the old text");
                  }
              }
            else
              {
                FUZZ_ASSERT (nlen == len && strcmp (ntext, old_text) == 0,
                             "a failed commit or an abort changed the text");
                expect_snapshot (doc, before, op == 6 ? "after a failed commit" : "after abort");
                FUZZ_ASSERT (sluice_document_get_n_views (doc) == old_views,
                             "a failed commit or an abort added a view");
              }
            fuzz_check_invariants (doc);
            g_free (old_text);
            g_array_unref (before);
            model_end (&m);
            rw = sluice_rewriter_new (doc);
            model_begin (&m, doc);
            break;
          }
        }
      if (op >= 2 && op <= 5)
        {
          FUZZ_ASSERT (sluice_rewriter_get_cursor (rw) == m.cursor,
                       "cursor %zu, the model says %zu", sluice_rewriter_get_cursor (rw), m.cursor);
          FUZZ_ASSERT (sluice_rewriter_get_new_length (rw) == m.out->len,
                       "new length %zu, the model says %zu",
                       sluice_rewriter_get_new_length (rw), m.out->len);
        }
    }
  sluice_rewriter_abort (rw);
  model_end (&m);
  fuzz_check_document (doc);
  sluice_document_free (doc);
  return 0;
}
