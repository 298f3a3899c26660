/* sluice — fuzz target: the JSONL document parser and the JSON writer.
 *
 * The input is one JSONL line.  Whatever sluice_json_parse_document() accepts
 * becomes a document the way the reader builds one (text sanitised, input
 * meta, pass-through members), gets annotations over its words (with string
 * attrs holding the word, and a double taken from the raw input bits, so NaN,
 * infinities and denormals reach the writer), and must then
 *   - keep every document invariant and survive the JSON round trip through
 *     json-glib (fuzz_check_document: same id and text, each annotation's
 *     text equal to its code-point slice, sorted);
 *   - read back through sluice_json_parse_document() to the same id and text
 *     with nothing replaced;
 *   - reach a fixed point: write(parse(L)) == L for a line L the writer wrote
 *     (annotations aside, which the parser drops by design).
 * A rejected line must come with an error message. */
#include "fuzz.h"
#include <string.h>

typedef struct {
  char *id;
  char *text;
  gsize text_len;
  guint n_replaced;
  SluiceAttrs meta;
  GString *extra;
} Parsed;

static gboolean
parse (const char *line, gsize len, Parsed *p, GError **error)
{
  memset (p, 0, sizeof *p);
  sluice_attrs_init (&p->meta);
  p->extra = g_string_new (NULL);
  gboolean ok = sluice_json_parse_document (line, len, &p->id, &p->text, &p->text_len,
                                            &p->n_replaced, &p->meta, p->extra, error);
  if (ok)
    FUZZ_ASSERT (p->text != NULL, "parse succeeded without a text");
  return ok;
}

static void
parsed_clear (Parsed *p)
{
  g_free (p->id);
  g_free (p->text);
  sluice_attrs_clear (&p->meta);
  g_string_free (p->extra, TRUE);
}

/* As core/reader.c does it: sanitise, meta first then warnings, extras. */
static SluiceDocument *
make_document (Parsed *p)
{
  GString *clean = g_string_sized_new (p->text_len + 1);
  gsize n_bad = sluice_utf8_sanitize (p->text, p->text_len, clean);
  gsize len = clean->len;
  SluiceDocument *doc = sluice_document_new_take (p->id ? g_strdup (p->id) : g_strdup ("fuzz:1"),
                                                  g_strdup ("fuzz.jsonl:1"),
                                                  g_string_free (clean, FALSE), len);
  if (n_bad + p->n_replaced)
    sluice_document_add_warning (doc, "%" G_GSIZE_FORMAT " invalid characters replaced",
                                 n_bad + p->n_replaced);
  if (p->meta.n > 0)
    {
      SluiceAttrs warn = doc->meta;
      doc->meta = p->meta;
      sluice_attrs_copy (&doc->meta, &warn);
      sluice_attrs_clear (&warn);
      sluice_attrs_init (&p->meta);
    }
  if (p->extra->len)
    {
      FUZZ_ASSERT (g_str_has_prefix (p->extra->str, ",\""),
                   "pass-through members do not start with ,\": %.80s", p->extra->str);
      sluice_document_take_extra_json (doc, g_strndup (p->extra->str, p->extra->len),
                                       p->extra->len);
    }
  return doc;
}

static void
annotate_words (SluiceDocument *doc, const uint8_t *raw, size_t raw_size)
{
  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  guint n = 0;
  gsize i = 0;
  while (i < len && n < 256)
    {
      while (i < len && g_ascii_isspace (text[i]))
        i++;
      gsize s = i;
      while (i < len && !g_ascii_isspace (text[i]))
        i++;
      if (i == s)
        break;
      SluiceAnnotation *a = sluice_document_add_annotation (doc, (n & 1) ? "WORD" : "TOKEN", s, i);
      FUZZ_ASSERT (a != NULL, "word annotation [%zu, %zu) refused", s, i);
      SluiceAttrs *at = sluice_annotation_get_attrs (a);
      sluice_attrs_set_string_len (at, "word", text + s, i - s);
      sluice_attrs_set_int (at, "n", (gint64) n * G_GINT64_CONSTANT (0x100000001) - 7);
      if (raw_size >= 8)
        {
          double d;
          memcpy (&d, raw + (n * 3) % (raw_size - 7), sizeof d);
          sluice_attrs_set_double (at, "d", d);
        }
      const char *list[] = { "", text + s, "\"\\", NULL };
      sluice_attrs_set_string_list (at, "list", list, -1);
      n++;
    }
  /* The whole text, twice (ties keep insertion order), and empty spans at both ends. */
  sluice_document_add_annotation (doc, "ALL", 0, len);
  sluice_document_add_annotation (doc, "ALL", 0, len);
  sluice_document_add_annotation (doc, "EMPTY", len, len);
  sluice_document_add_annotation (doc, "EMPTY", 0, 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_init ();
  Parsed p;
  GError *error = NULL;
  if (!parse ((const char *) data, size, &p, &error))
    {
      FUZZ_ASSERT (error != NULL && error->message && *error->message,
                   "rejected line without an error message");
      g_error_free (error);
      parsed_clear (&p);
      return 0;
    }
  FUZZ_ASSERT (error == NULL, "success with an error set");

  SluiceDocument *doc = make_document (&p);
  parsed_clear (&p);
  annotate_words (doc, data, size);
  fuzz_check_document (doc);

  /* Read the written line back. */
  GString *l1 = g_string_new (NULL);
  sluice_json_write_document (l1, doc, FALSE);
  Parsed q;
  if (!parse (l1->str, l1->len - 1, &q, &error))
    fuzz_fail (__FILE__, __LINE__, "the writer's own line is rejected: %s\nline: %.2000s",
               error->message, l1->str);
  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  FUZZ_ASSERT (q.id && strcmp (q.id, sluice_document_get_id (doc)) == 0, "id changed on re-read");
  FUZZ_ASSERT (q.text_len == len && memcmp (q.text, text, len) == 0, "text changed on re-read");
  FUZZ_ASSERT (q.n_replaced == 0, "re-reading a clean text replaced %u characters", q.n_replaced);
  FUZZ_ASSERT (g_utf8_validate (q.text, (gssize) q.text_len, NULL), "re-read text is not UTF-8");

  /* Fixed point: the second write of a re-read line equals the first. */
  SluiceDocument *d2 = make_document (&q);
  parsed_clear (&q);
  GString *l2 = g_string_new (NULL);
  sluice_json_write_document (l2, d2, FALSE);
  Parsed r;
  if (!parse (l2->str, l2->len - 1, &r, &error))
    fuzz_fail (__FILE__, __LINE__, "the writer's own line is rejected: %s\nline: %.2000s",
               error->message, l2->str);
  SluiceDocument *d3 = make_document (&r);
  parsed_clear (&r);
  GString *l3 = g_string_new (NULL);
  sluice_json_write_document (l3, d3, FALSE);
  if (!g_string_equal (l2, l3))
    fuzz_fail (__FILE__, __LINE__, "write(parse(L)) != L\nL:  %.2000s\nL': %.2000s",
               l2->str, l3->str);

  g_string_free (l1, TRUE);
  g_string_free (l2, TRUE);
  g_string_free (l3, TRUE);
  sluice_document_free (d3);
  sluice_document_free (d2);
  sluice_document_free (doc);
  return 0;
}
