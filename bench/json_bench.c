/* sluice — JSONL read/write micro-benchmark: the core's hand-written reader
 * and writer (core/json_reader.c, core/json_writer.c) against json-glib doing
 * the same job (JsonParser -> SluiceDocument, SluiceDocument -> JsonBuilder ->
 * JsonGenerator).
 *
 *   json_bench [--impl sluice|glib|both] [--annotate K] [--repeat R] FILE.jsonl
 *
 * The file is read into memory once; each implementation then turns every
 * line into a SluiceDocument (parse, timed as "read") and writes each
 * document back as a JSONL line into a buffer flushed to /dev/null ("write").
 * --annotate K adds an annotation on every K-th word so that the writer's
 * code point conversion and sorting are measured too.  Throughput is input
 * bytes (MB = 10^6 bytes) over the CPU time of each phase (CLOCK_THREAD_CPUTIME_ID,
 * so other load on the machine does not count); the best of R runs is
 * printed.  Not a test: nothing here asserts a time.
 */
#include "internal.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 256

typedef struct {
  const char *line;
  gsize len;
} Line;

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);   /* CPU time: robust on a busy machine */
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------- sluice */

static SluiceDocument *
sluice_read (const Line *l, GString *scratch, guint lineno)
{
  char *id = NULL, *text = NULL;
  gsize text_len = 0;
  guint n_replaced = 0;
  SluiceAttrs meta;
  g_autoptr (GError) error = NULL;

  sluice_attrs_init (&meta);
  g_string_truncate (scratch, 0);
  if (!sluice_json_parse_document (l->line, l->len, &id, &text, &text_len, &n_replaced,
                                   &meta, scratch, &error))
    {
      g_printerr ("line %u: %s\n", lineno, error->message);
      sluice_attrs_clear (&meta);
      return NULL;
    }
  if (!sluice_utf8_is_clean (text, text_len))
    {
      GString *clean = g_string_sized_new (text_len + 16);
      n_replaced += sluice_utf8_sanitize (text, text_len, clean);
      g_free (text);
      text_len = clean->len;
      text = g_string_free (clean, FALSE);
    }
  SluiceDocument *doc = sluice_document_new_take (id, g_strdup_printf ("bench:%u", lineno),
                                                  text, text_len);
  sluice_attrs_clear (&doc->meta);
  doc->meta = meta;
  if (scratch->len > 0)
    sluice_document_take_extra_json (doc, g_strndup (scratch->str, scratch->len), scratch->len);
  return doc;
}

/* ---------------------------------------------------------- json-glib */

static void
glib_meta_member (JsonObject *obj, const char *key, JsonNode *node, gpointer data)
{
  SluiceAttrs *meta = data;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      sluice_attrs_set_null (meta, key);
      return;
    case JSON_NODE_VALUE:
      {
        GType t = json_node_get_value_type (node);
        if (t == G_TYPE_STRING)
          sluice_attrs_set_string (meta, key, json_node_get_string (node));
        else if (t == G_TYPE_INT64)
          sluice_attrs_set_int (meta, key, json_node_get_int (node));
        else if (t == G_TYPE_DOUBLE)
          sluice_attrs_set_double (meta, key, json_node_get_double (node));
        else if (t == G_TYPE_BOOLEAN)
          sluice_attrs_set_bool (meta, key, json_node_get_boolean (node));
        return;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *arr = json_node_get_array (node);
        guint n = json_array_get_length (arr);
        const char **list = g_newa (const char *, n + 1);
        gboolean strings = TRUE;
        for (guint i = 0; i < n && strings; i++)
          {
            JsonNode *e = json_array_get_element (arr, i);
            if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
              list[i] = json_node_get_string (e);
            else
              strings = FALSE;
          }
        if (strings)
          {
            list[n] = NULL;
            sluice_attrs_set_string_list (meta, key, list, n);
            return;
          }
      }
      G_GNUC_FALLTHROUGH;
    case JSON_NODE_OBJECT:
    default:
      {
        char *raw = json_to_string (node, FALSE);
        sluice_attrs_set_json (meta, key, raw);
        g_free (raw);
      }
    }
}

static SluiceDocument *
glib_read (JsonParser *parser, const Line *l, guint lineno)
{
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, l->line, l->len, &error))
    {
      g_printerr ("line %u: %s\n", lineno, error->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  JsonObject *obj = json_node_get_object (root);
  const char *text = json_object_get_string_member_with_default (obj, "text", NULL);
  if (text == NULL)
    return NULL;
  gsize text_len = strlen (text);
  GString *clean = g_string_sized_new (text_len + 1);
  sluice_utf8_sanitize (text, text_len, clean);
  gsize clean_len = clean->len;
  char *id = NULL;
  JsonNode *idn = json_object_get_member (obj, "id");
  if (idn != NULL && JSON_NODE_HOLDS_VALUE (idn))
    {
      if (json_node_get_value_type (idn) == G_TYPE_STRING)
        id = g_strdup (json_node_get_string (idn));
      else
        id = json_to_string (idn, FALSE);
    }
  SluiceDocument *doc = sluice_document_new_take (id, g_strdup_printf ("bench:%u", lineno),
                                                  g_string_free (clean, FALSE), clean_len);
  JsonNode *meta = json_object_get_member (obj, "meta");
  if (meta != NULL && JSON_NODE_HOLDS_OBJECT (meta))
    json_object_foreach_member (json_node_get_object (meta), glib_meta_member, &doc->meta);

  GString *extra = NULL;
  JsonObjectIter it;
  const char *name;
  JsonNode *member;
  json_object_iter_init (&it, obj);
  while (json_object_iter_next (&it, &name, &member))
    {
      if (strcmp (name, "id") == 0 || strcmp (name, "text") == 0 || strcmp (name, "meta") == 0
          || strcmp (name, "source") == 0 || strcmp (name, "annotations") == 0
          || strcmp (name, "views") == 0)
        continue;
      if (extra == NULL)
        extra = g_string_new (NULL);
      g_string_append_c (extra, ',');
      sluice_json_append_string (extra, name, strlen (name));
      g_string_append_c (extra, ':');
      char *raw = json_to_string (member, FALSE);
      g_string_append (extra, raw);
      g_free (raw);
    }
  if (extra != NULL)
    {
      gsize n = extra->len;
      sluice_document_take_extra_json (doc, g_string_free (extra, FALSE), n);
    }
  return doc;
}

static void
glib_add_attrs (JsonBuilder *b, const SluiceAttrs *attrs)
{
  json_builder_begin_object (b);
  for (guint i = 0; i < attrs->n; i++)
    {
      const SluiceAttr *a = &attrs->items[i];
      json_builder_set_member_name (b, a->key);
      switch (a->type)
        {
        case SLUICE_VALUE_STRING: json_builder_add_string_value (b, a->v.s); break;
        case SLUICE_VALUE_INT: json_builder_add_int_value (b, a->v.i); break;
        case SLUICE_VALUE_DOUBLE: json_builder_add_double_value (b, a->v.d); break;
        case SLUICE_VALUE_BOOL: json_builder_add_boolean_value (b, a->v.b); break;
        case SLUICE_VALUE_STRING_LIST:
          json_builder_begin_array (b);
          for (guint k = 0; a->v.list[k] != NULL; k++)
            json_builder_add_string_value (b, a->v.list[k]);
          json_builder_end_array (b);
          break;
        case SLUICE_VALUE_JSON:
          {
            JsonNode *j = json_from_string (a->v.s, NULL);
            if (j != NULL)
              json_builder_add_value (b, j);
            else
              json_builder_add_null_value (b);
          }
          break;
        default:
          json_builder_add_null_value (b);
          break;
        }
    }
  json_builder_end_object (b);
}

typedef struct { gsize start, end; guint idx; } Ref;

static int
ref_cmp (const void *a, const void *b)
{
  const Ref *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end > y->end ? -1 : 1;
  return x->idx < y->idx ? -1 : 1;
}

static void
glib_write (JsonGenerator *gen, GString *out, const SluiceDocument *doc)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, doc->id);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, doc->source);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, doc->text);
  json_builder_set_member_name (b, "meta");
  glib_add_attrs (b, &doc->meta);
  json_builder_set_member_name (b, "annotations");
  json_builder_begin_array (b);
  guint n = doc->annotations->len;
  Ref *refs = g_new (Ref, n + 1);
  for (guint i = 0; i < n; i++)
    {
      const SluiceAnnotation *a = g_ptr_array_index (doc->annotations, i);
      refs[i] = (Ref) { a->start, a->end, i };
    }
  qsort (refs, n, sizeof *refs, ref_cmp);
  for (guint i = 0; i < n; i++)
    {
      /* The straightforward way: count code points from the start. */
      const SluiceAnnotation *a = g_ptr_array_index (doc->annotations, refs[i].idx);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, a->type);
      json_builder_set_member_name (b, "start");
      json_builder_add_int_value (b, g_utf8_strlen (doc->text, a->start));
      json_builder_set_member_name (b, "end");
      json_builder_add_int_value (b, g_utf8_strlen (doc->text, a->end));
      json_builder_set_member_name (b, "text");
      char *t = g_strndup (doc->text + a->start, a->end - a->start);
      json_builder_add_string_value (b, t);
      g_free (t);
      json_builder_set_member_name (b, "stage");
      json_builder_add_string_value (b, a->stage);
      json_builder_set_member_name (b, "attrs");
      glib_add_attrs (b, &a->attrs);
      json_builder_end_object (b);
    }
  g_free (refs);
  json_builder_end_array (b);
  json_builder_end_object (b);

  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  gsize len;
  char *s = json_generator_to_data (gen, &len);
  /* (extra members would need re-parsing here; the bench corpus has few) */
  g_string_append_len (out, s, len);
  g_string_append_c (out, '\n');
  g_free (s);
  json_node_unref (root);
  g_object_unref (b);
}

/* -------------------------------------------------------------- driver */

static void
annotate (SluiceDocument *doc, guint every)
{
  if (every == 0)
    return;
  guint k = 0;
  const char *t = doc->text;
  gsize i = 0;
  while (i < doc->len)
    {
      while (i < doc->len && (t[i] == ' ' || t[i] == '\n'))
        i++;
      gsize s = i;
      while (i < doc->len && t[i] != ' ' && t[i] != '\n')
        i++;
      if (i > s && ++k % every == 0)
        {
          SluiceAnnotation *a = sluice_document_add_annotation (doc, "WORD", s, i);
          if (a != NULL)
            sluice_attrs_set_int (sluice_annotation_get_attrs (a), "n", k);
        }
    }
}

typedef struct {
  double read, write;
  gsize out_bytes;
  guint failed;
} Result;

static Result
run_once (const char *impl, const Line *lines, guint n, guint every, FILE *sink)
{
  Result r = { 0 };
  GString *out = g_string_sized_new (4 << 20);
  GString *scratch = g_string_new (NULL);
  JsonParser *parser = json_parser_new_immutable ();
  JsonGenerator *gen = json_generator_new ();
  gboolean use_glib = strcmp (impl, "glib") == 0;
  SluiceDocument *docs[BATCH];

  for (guint i0 = 0; i0 < n; i0 += BATCH)
    {
      guint m = MIN (BATCH, n - i0);
      double t0 = now ();
      for (guint k = 0; k < m; k++)
        {
          docs[k] = use_glib ? glib_read (parser, &lines[i0 + k], i0 + k + 1)
                             : sluice_read (&lines[i0 + k], scratch, i0 + k + 1);
          if (docs[k] == NULL)
            r.failed++;
        }
      double t1 = now ();
      for (guint k = 0; k < m; k++)
        if (docs[k] != NULL)
          annotate (docs[k], every);
      double t2 = now ();
      for (guint k = 0; k < m; k++)
        {
          if (docs[k] == NULL)
            continue;
          if (use_glib)
            glib_write (gen, out, docs[k]);
          else
            sluice_json_write_document (out, docs[k], FALSE);
          if (out->len >= (4 << 20))
            {
              fwrite (out->str, 1, out->len, sink);
              r.out_bytes += out->len;
              g_string_truncate (out, 0);
            }
        }
      double t3 = now ();
      for (guint k = 0; k < m; k++)
        if (docs[k] != NULL)
          sluice_document_free (docs[k]);
      r.read += t1 - t0;
      r.write += t3 - t2;
    }
  fwrite (out->str, 1, out->len, sink);
  fflush (sink);
  r.out_bytes += out->len;
  g_string_free (out, TRUE);
  g_string_free (scratch, TRUE);
  g_object_unref (parser);
  g_object_unref (gen);
  return r;
}

int
main (int argc, char **argv)
{
  const char *impl = "both";
  gint every = 0;
  gint repeat = 3;
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "impl", 'i', 0, G_OPTION_ARG_STRING, &impl, "sluice, glib or both (default both)", "IMPL" },
    { "annotate", 'a', 0, G_OPTION_ARG_INT, &every, "annotate every K-th word (default 0: none)", "K" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "runs; the best is shown (default 3)", "R" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("FILE.jsonl");
  g_option_context_set_summary (ctx, "Throughput of the JSONL reader and writer: sluice's own vs json-glib.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error ? error->message : "usage: json_bench [OPTION...] FILE.jsonl");
      return 2;
    }

  char *data;
  gsize size;
  if (!g_file_get_contents (argv[1], &data, &size, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (Line));
  for (const char *p = data, *end = data + size; p < end;)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *le = nl ? nl : end;
      if (le > p)
        g_array_append_val (lines, ((Line) { p, le - p }));
      p = le + 1;
    }

  FILE *sink = fopen ("/dev/null", "w");
  if (sink == NULL)
    return 1;
  double mb = size / 1e6;
  printf ("%s: %.1f MB, %u lines, annotate every %d words\n", argv[1], mb, lines->len, every);
  const char *impls[] = { "sluice", "glib" };
  for (guint i = 0; i < G_N_ELEMENTS (impls); i++)
    {
      if (strcmp (impl, "both") != 0 && strcmp (impl, impls[i]) != 0)
        continue;
      Result best = { 1e300, 1e300, 0, 0 };
      for (gint k = 0; k < MAX (repeat, 1); k++)
        {
          Result r = run_once (impls[i], (const Line *) lines->data, lines->len, every, sink);
          best.read = MIN (best.read, r.read);
          best.write = MIN (best.write, r.write);
          best.out_bytes = r.out_bytes;
          best.failed = r.failed;
        }
      printf ("%-7s read %8.1f MB/s   write %8.1f MB/s   (output %.1f MB, %u bad lines)\n",
              impls[i], mb / best.read, mb / best.write, best.out_bytes / 1e6, best.failed);
    }
  fclose (sink);
  g_array_unref (lines);
  g_free (data);
  return 0;
}
