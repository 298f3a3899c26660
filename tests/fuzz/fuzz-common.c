/* sluice — shared helpers of the fuzz targets; see fuzz.h. */
#include "fuzz.h"
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fuzz_expect_critical = 0;
int fuzz_n_criticals = 0;
void (*fuzz_on_fail) (void) = NULL;

void
fuzz_fail (const char *file, int line, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  fprintf (stderr, "\nFUZZ INVARIANT BROKEN at %s:%d: ", file, line);
  vfprintf (stderr, format, ap);
  fputc ('\n', stderr);
  va_end (ap);
  fflush (stderr);
  if (fuzz_on_fail)
    fuzz_on_fail ();
  abort ();
}

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                 gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      if (!(level & G_LOG_LEVEL_ERROR) && fuzz_expect_critical > 0)
        {
          fuzz_n_criticals++;
          return G_LOG_WRITER_HANDLED;
        }
      const char *msg = "(no message)";
      const char *domain = "";
      for (gsize i = 0; i < n_fields; i++)
        {
          if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
            msg = fields[i].value;
          else if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
            domain = fields[i].value;
        }
      fuzz_fail (__FILE__, __LINE__, "unexpected GLib %s from '%s': %s",
                 (level & G_LOG_LEVEL_WARNING) ? "warning" : "critical", domain, msg);
    }
  return G_LOG_WRITER_HANDLED;  /* debug/info/message: quiet */
}

void
fuzz_init (void)
{
  static gboolean done = FALSE;
  if (done)
    return;
  done = TRUE;
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* ----------------------------------------------------------------- input */

guint8
fuzz_byte (FuzzInput *in)
{
  if (in->n == 0)
    return 0;
  in->n--;
  return *in->p++;
}

guint32
fuzz_u32 (FuzzInput *in)
{
  guint32 v = 0;
  for (int i = 0; i < 4; i++)
    v = (v << 8) | fuzz_byte (in);
  return v;
}

const uint8_t *
fuzz_bytes (FuzzInput *in, size_t max, size_t *len)
{
  size_t n = MIN (max, in->n);
  const uint8_t *p = in->p;
  in->p += n;
  in->n -= n;
  *len = n;
  return p;
}

/* ------------------------------------------------------------ documents */

SluiceDocument *
fuzz_document_from_bytes (const uint8_t *data, size_t size, gboolean markup)
{
  GString *clean = g_string_sized_new (size + 1);
  gsize n_repl = sluice_utf8_sanitize ((const char *) data, size, clean);
  gsize len = clean->len;
  SluiceDocument *doc = sluice_document_new_take (g_strdup ("fuzz"), g_strdup ("fuzz-input"),
                                                  g_string_free (clean, FALSE), len);
  if (n_repl)
    sluice_document_add_warning (doc, "%" G_GSIZE_FORMAT " invalid UTF-8 sequences replaced",
                                 n_repl);
  if (!markup)
    return doc;

  static const char *const types[] = { "PERSON", "LOCATION", "ORGANIZATION", "MISC" };
  const char *text = sluice_document_get_text (doc, NULL);
  gsize stack[64];
  guint depth = 0, n_anns = 0;
  for (gsize i = 0; i < len && n_anns < 4096; i++)
    {
      if (text[i] == '[')
        {
          if (depth < G_N_ELEMENTS (stack))
            stack[depth++] = i + 1;
        }
      else if (text[i] == ']' && depth > 0)
        {
          gsize start = stack[--depth];
          SluiceAnnotation *a = sluice_document_add_annotation (doc, types[n_anns % 4], start, i);
          FUZZ_ASSERT (a != NULL, "bracket annotation [%zu, %zu) refused", start, i);
          sluice_attrs_set_int (sluice_annotation_get_attrs (a), "fuzz_id", n_anns);
          n_anns++;
        }
      else if (text[i] == '|')
        {
          SluiceAnnotation *a = sluice_document_add_annotation (doc, "MARK", i, i);
          FUZZ_ASSERT (a != NULL, "empty annotation at %zu refused", i);
          n_anns++;
        }
    }
  return doc;
}

/* ----------------------------------------------------------- invariants */

static inline gboolean
on_boundary (const char *text, gsize len, gsize pos)
{
  return pos == 0 || pos == len || (pos < len && ((guchar) text[pos] & 0xC0) != 0x80);
}

void
fuzz_check_invariants (const SluiceDocument *doc)
{
  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  FUZZ_ASSERT (text != NULL, "document has no text");
  FUZZ_ASSERT (text[len] == '\0', "text not NUL-terminated at its length %zu", len);
  FUZZ_ASSERT (memchr (text, '\0', len) == NULL, "text holds a NUL byte");
  const char *bad = NULL;
  FUZZ_ASSERT (g_utf8_validate (text, (gssize) len, &bad),
               "text is not valid UTF-8 at byte %td", bad - text);
  FUZZ_ASSERT (sluice_document_get_id (doc) != NULL, "no id");

  guint n = sluice_document_get_n_annotations (doc);
  for (guint i = 0; i < n; i++)
    {
      const SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
      gsize s = sluice_annotation_get_start (a), e = sluice_annotation_get_end (a);
      const char *type = sluice_annotation_get_type (a);
      FUZZ_ASSERT (type != NULL && *type, "annotation %u has no type", i);
      FUZZ_ASSERT (s <= e && e <= len, "%s annotation %u: span [%zu, %zu) outside text of %zu bytes",
                   type, i, s, e, len);
      FUZZ_ASSERT (on_boundary (text, len, s) && on_boundary (text, len, e),
                   "%s annotation %u: span [%zu, %zu) not on character boundaries", type, i, s, e);
    }
  for (guint i = 0; i < sluice_document_get_n_views (doc); i++)
    {
      const char *v = sluice_document_get_view_text (doc, i);
      FUZZ_ASSERT (v != NULL && g_utf8_validate (v, -1, NULL), "view %u is not valid UTF-8", i);
    }
}

/* Byte offset of each code point of text, plus one entry for the end. */
static gsize *
code_point_offsets (const char *text, gsize len, gsize *n_chars)
{
  gsize n = sluice_utf8_count_chars (text, len);
  gsize *offs = g_new (gsize, n + 1);
  gsize k = 0;
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      FUZZ_ASSERT (k < n, "sluice_utf8_count_chars says %zu characters, there are more", n);
      offs[k++] = (gsize) (p - text);
    }
  FUZZ_ASSERT (k == n, "sluice_utf8_count_chars says %zu characters, g_utf8 counts %zu", n, k);
  offs[n] = len;
  *n_chars = n;
  return offs;
}

static gsize
byte_to_cp (const gsize *offs, gsize n_chars, gsize b)
{
  gsize lo = 0, hi = n_chars + 1;
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      if (offs[mid] < b)
        lo = mid + 1;
      else
        hi = mid;
    }
  FUZZ_ASSERT (lo <= n_chars && offs[lo] == b, "byte %zu is not a character boundary", b);
  return lo;
}

typedef struct {
  gsize start, end;           /* code points */
  guint index;
  const char *type;
} CpSpan;

static gint
cmp_span (gconstpointer pa, gconstpointer pb)
{
  const CpSpan *a = pa, *b = pb;
  if (a->start != b->start)
    return a->start < b->start ? -1 : 1;
  if (a->end != b->end)
    return a->end > b->end ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static const char *
member_string (JsonObject *o, const char *name, const char *what)
{
  JsonNode *n = json_object_get_member (o, name);
  FUZZ_ASSERT (n != NULL && JSON_NODE_HOLDS_VALUE (n)
               && json_node_get_value_type (n) == G_TYPE_STRING,
               "%s: member \"%s\" missing or not a string", what, name);
  return json_node_get_string (n);
}

static gint64
member_int (JsonObject *o, const char *name, const char *what)
{
  JsonNode *n = json_object_get_member (o, name);
  FUZZ_ASSERT (n != NULL && JSON_NODE_HOLDS_VALUE (n)
               && json_node_get_value_type (n) == G_TYPE_INT64,
               "%s: member \"%s\" missing or not an integer", what, name);
  return json_node_get_int (n);
}

void
fuzz_check_document (const SluiceDocument *doc)
{
  fuzz_check_invariants (doc);

  gsize len = 0;
  const char *text = sluice_document_get_text (doc, &len);
  GString *out = g_string_new (NULL);
  sluice_json_write_document (out, doc, sluice_document_get_n_views (doc) > 0);
  FUZZ_ASSERT (out->len > 0 && out->str[out->len - 1] == '\n', "JSON line does not end in \\n");
  FUZZ_ASSERT (memchr (out->str, '\n', out->len - 1) == NULL,
               "JSON line holds a raw newline before its end");
  const char *bad = NULL;
  FUZZ_ASSERT (g_utf8_validate (out->str, (gssize) out->len, &bad),
               "JSON line is not valid UTF-8 at byte %td: ...%.40s", bad - out->str, bad);

  /* sluice_document_to_json() is the same object without the newline. */
  char *js = sluice_document_to_json (doc);
  FUZZ_ASSERT (strlen (js) + 1 == out->len || sluice_document_get_n_views (doc) > 0,
               "sluice_document_to_json() and sluice_json_write_document() disagree");
  g_free (js);

  JsonParser *parser = json_parser_new_immutable ();
  GError *err = NULL;
  if (!json_parser_load_from_data (parser, out->str, (gssize) out->len, &err))
    fuzz_fail (__FILE__, __LINE__, "json-glib cannot parse the written line: %s\nline: %.2000s",
               err->message, out->str);
  JsonNode *root = json_parser_get_root (parser);
  FUZZ_ASSERT (root && JSON_NODE_HOLDS_OBJECT (root), "written JSON is not an object");
  JsonObject *obj = json_node_get_object (root);

  FUZZ_ASSERT (strcmp (member_string (obj, "id", "document"), sluice_document_get_id (doc)) == 0,
               "id differs after the round trip");
  const char *jtext = member_string (obj, "text", "document");
  FUZZ_ASSERT (strlen (jtext) == len && memcmp (jtext, text, len) == 0,
               "text differs after the round trip (%zu vs %zu bytes)", strlen (jtext), len);
  JsonNode *meta = json_object_get_member (obj, "meta");
  FUZZ_ASSERT (meta && JSON_NODE_HOLDS_OBJECT (meta), "meta missing or not an object");

  JsonNode *an = json_object_get_member (obj, "annotations");
  FUZZ_ASSERT (an && JSON_NODE_HOLDS_ARRAY (an), "annotations missing or not an array");
  JsonArray *arr = json_node_get_array (an);
  guint n = sluice_document_get_n_annotations (doc);
  FUZZ_ASSERT (json_array_get_length (arr) == n, "%u annotations written, the document has %u",
               json_array_get_length (arr), n);

  gsize n_chars = 0;
  gsize *offs = code_point_offsets (text, len, &n_chars);
  CpSpan *spans = g_new (CpSpan, n + 1);
  for (guint i = 0; i < n; i++)
    {
      const SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
      spans[i].start = byte_to_cp (offs, n_chars, sluice_annotation_get_start (a));
      spans[i].end = byte_to_cp (offs, n_chars, sluice_annotation_get_end (a));
      spans[i].index = i;
      spans[i].type = sluice_annotation_get_type (a);
    }
  qsort (spans, n, sizeof (CpSpan), (int (*) (const void *, const void *)) cmp_span);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *en = json_array_get_element (arr, i);
      FUZZ_ASSERT (JSON_NODE_HOLDS_OBJECT (en), "annotation %u is not an object", i);
      JsonObject *ao = json_node_get_object (en);
      gint64 s = member_int (ao, "start", "annotation");
      gint64 e = member_int (ao, "end", "annotation");
      FUZZ_ASSERT (0 <= s && s <= e && (gsize) e <= n_chars,
                   "annotation %u: [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   ") outside %zu code points", i, s, e, n_chars);
      FUZZ_ASSERT ((gsize) s == spans[i].start && (gsize) e == spans[i].end,
                   "annotation %u written as [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   "), expected [%zu, %zu) (order by start, longer first)",
                   i, s, e, spans[i].start, spans[i].end);
      FUZZ_ASSERT (strcmp (member_string (ao, "type", "annotation"), spans[i].type) == 0,
                   "annotation %u: type differs", i);
      const char *at = member_string (ao, "text", "annotation");
      gsize bs = offs[s], be = offs[e];
      FUZZ_ASSERT (strlen (at) == be - bs && memcmp (at, text + bs, be - bs) == 0,
                   "annotation %u [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   "): \"text\" is not the code-point slice", i, s, e);
      JsonNode *attrs = json_object_get_member (ao, "attrs");
      FUZZ_ASSERT (attrs == NULL || JSON_NODE_HOLDS_OBJECT (attrs), "annotation %u: attrs not an object", i);
    }
  g_free (spans);
  g_free (offs);
  g_object_unref (parser);
  g_string_free (out, TRUE);
}
