/* Tests of the core's JSON writer and reader and the UTF-8 helpers.
 *
 * json-glib is the oracle: everything the writer produces is parsed back with
 * JsonParser and compared with the document it came from, and the reader is
 * fed lines made by JsonGenerator and compared with what JsonParser reads
 * from the same lines.  GLib's g_utf8_validate_len() / g_utf8_strlen() are
 * the oracles of the UTF-8 helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "bytescan.h"

/* ---------------------------------------------------------------- helpers */

static JsonNode *
parse_with_glib (const char *json, gssize len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  if (!json_parser_load_from_data (parser, json, len, &error))
    fail_msg ("json-glib rejects our output: %s\n%.300s", error->message, json);
  return json_node_copy (json_parser_get_root (parser));
}

/* Writes doc with our writer and returns the json-glib object of the line. */
static JsonNode *
write_and_parse (const SluiceDocument *doc, gboolean emit_views)
{
  GString *out = g_string_new (NULL);
  sluice_json_write_document (out, doc, emit_views);
  assert_true (out->len > 0);
  assert_int_equal (out->str[out->len - 1], '\n');
  /* One line: no raw newline (or other control character) inside. */
  for (gsize i = 0; i + 1 < out->len; i++)
    assert_true ((guchar) out->str[i] >= 0x20);
  assert_true (g_utf8_validate (out->str, out->len, NULL));
  JsonNode *root = parse_with_glib (out->str, out->len);
  g_string_free (out, TRUE);
  assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return root;
}

/* The JSON literal our writer makes for a string. */
static char *
json_string (const char *s, gsize len)
{
  GString *out = g_string_new (NULL);
  sluice_json_append_string (out, s, len);
  return g_string_free (out, FALSE);
}

/* Code point substring, as a JSON reader with code point strings sees it. */
static char *
cp_substring (const char *text, gint64 start, gint64 end)
{
  glong n = g_utf8_strlen (text, -1);
  assert_true (start >= 0 && start <= end && end <= n);
  return g_utf8_substring (text, start, end);
}

/* Checks that the attrs (ours) and a json-glib object hold the same values. */
static void
assert_attrs_equal_json (const SluiceAttrs *attrs, JsonObject *obj)
{
  assert_int_equal (json_object_get_size (obj), attrs->n);
  GList *members = json_object_get_members (obj);   /* in order */
  GList *l = members;
  for (guint i = 0; i < attrs->n; i++, l = l->next)
    {
      const SluiceAttr *a = &attrs->items[i];
      assert_string_equal (l->data, a->key);
      JsonNode *v = json_object_get_member (obj, a->key);
      switch (a->type)
        {
        case SLUICE_VALUE_NULL:
          assert_true (JSON_NODE_HOLDS_NULL (v));
          break;
        case SLUICE_VALUE_STRING:
          assert_true (JSON_NODE_HOLDS_VALUE (v));
          assert_string_equal (json_node_get_string (v), a->v.s);
          break;
        case SLUICE_VALUE_INT:
          assert_int_equal (json_node_get_value_type (v), G_TYPE_INT64);
          assert_true (json_node_get_int (v) == a->v.i);
          break;
        case SLUICE_VALUE_DOUBLE:
          if (!isfinite (a->v.d))
            assert_true (JSON_NODE_HOLDS_NULL (v));
          else
            {
              /* Stays a double (integral values keep a ".0") and round-trips. */
              assert_int_equal (json_node_get_value_type (v), G_TYPE_DOUBLE);
              assert_true (json_node_get_double (v) == a->v.d);
            }
          break;
        case SLUICE_VALUE_BOOL:
          assert_int_equal (json_node_get_value_type (v), G_TYPE_BOOLEAN);
          assert_int_equal (json_node_get_boolean (v), a->v.b);
          break;
        case SLUICE_VALUE_STRING_LIST:
          {
            JsonArray *arr = json_node_get_array (v);
            guint n = g_strv_length (a->v.list);
            assert_int_equal (json_array_get_length (arr), n);
            for (guint k = 0; k < n; k++)
              assert_string_equal (json_array_get_string_element (arr, k), a->v.list[k]);
            break;
          }
        case SLUICE_VALUE_JSON:
          {
            g_autoptr (JsonNode) expect = json_from_string (a->v.s, NULL);
            assert_non_null (expect);
            assert_true (json_node_equal (expect, v));
            break;
          }
        default:
          fail_msg ("unexpected attr type %d", a->type);
        }
    }
  g_list_free (members);
}

/* Checks the annotations of `root` against doc: count, order, offsets,
 * text[start:end] == text, stage, attrs. */
static void
assert_annotations_match (const SluiceDocument *doc, JsonObject *root)
{
  const char *text = json_object_get_string_member (root, "text");
  JsonArray *anns = json_object_get_array_member (root, "annotations");
  guint n = doc->annotations->len;
  assert_int_equal (json_array_get_length (anns), n);

  gboolean *seen = g_new0 (gboolean, n);
  gint64 prev_start = -1, prev_end = -1;
  guint prev_idx = 0;
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (anns, i);
      gint64 start = json_object_get_int_member (o, "start");
      gint64 end = json_object_get_int_member (o, "end");
      g_autofree char *sub = cp_substring (text, start, end);
      assert_string_equal (sub, json_object_get_string_member (o, "text"));

      /* Which of ours is it?  Every test annotation carries its insertion
       * index in attrs.seq. */
      JsonObject *attrs = json_object_get_object_member (o, "attrs");
      guint idx = json_object_get_int_member (attrs, "seq");
      assert_true (idx < n);
      assert_false (seen[idx]);
      seen[idx] = TRUE;
      const SluiceAnnotation *a = g_ptr_array_index (doc->annotations, idx);
      assert_string_equal (json_object_get_string_member (o, "type"), a->type);
      assert_string_equal (json_object_get_string_member (o, "stage"), a->stage);
      /* Offsets: code points before the byte offsets. */
      assert_true (start == (gint64) g_utf8_strlen (doc->text, a->start));
      assert_true (end == (gint64) g_utf8_strlen (doc->text, a->end));
      assert_attrs_equal_json (&a->attrs, attrs);

      /* Sorted by (start, -end, insertion order). */
      if (i > 0)
        {
          assert_true (start >= prev_start);
          if (start == prev_start)
            {
              assert_true (end <= prev_end);
              if (end == prev_end)
                assert_true (idx > prev_idx);
            }
        }
      prev_start = start;
      prev_end = end;
      prev_idx = idx;
    }
  g_free (seen);
}

/* ------------------------------------------------------------- randomness */

/* A random Unicode scalar value (never NUL, never a surrogate), weighted
 * towards what breaks writers: ASCII, controls, quotes, backslashes, line and
 * paragraph separators, other scripts and characters outside the BMP. */
static gunichar
random_char (GRand *r)
{
  switch (g_rand_int_range (r, 0, 16))
    {
    case 0: return g_rand_int_range (r, 1, 0x20);                 /* controls */
    case 1: { static const gunichar s[] = { '"', '\\', '/', 0x7F, 0x2028, 0x2029, 0xFEFF, 0xFFFD };
              return s[g_rand_int_range (r, 0, G_N_ELEMENTS (s))]; }
    case 2: return g_rand_int_range (r, 0x80, 0x800);              /* 2 bytes */
    case 3: return g_rand_int_range (r, 0x400, 0x500);             /* Cyrillic */
    case 4: return g_rand_int_range (r, 0x4E00, 0xA000);           /* CJK */
    case 5: { gunichar c = g_rand_int_range (r, 0x800, 0x10000);
              return (c >= 0xD800 && c <= 0xDFFF) ? 0xE000 : c; }
    case 6: return g_rand_int_range (r, 0x1F300, 0x1FA00);         /* emoji */
    case 7: return g_rand_int_range (r, 0x10000, 0x110000);        /* astral */
    default: return g_rand_int_range (r, 0x20, 0x7F);              /* ASCII */
    }
}

static char *
random_text (GRand *r, guint max_chars, gsize *len)
{
  GString *s = g_string_new (NULL);
  guint n = g_rand_int_range (r, 0, max_chars + 1);
  for (guint i = 0; i < n; i++)
    g_string_append_unichar (s, random_char (r));
  *len = s->len;
  return g_string_free (s, FALSE);
}

static double
random_double (GRand *r)
{
  switch (g_rand_int_range (r, 0, 6))
    {
    case 0: return g_rand_int_range (r, -1000, 1000);              /* integral */
    case 1: return g_rand_double_range (r, -1e6, 1e6);
    case 2: return ldexp (g_rand_double (r), g_rand_int_range (r, -1070, 1020));
    case 3:
      {
        guint64 bits = ((guint64) g_rand_int (r) << 32) | g_rand_int (r);
        double d;
        memcpy (&d, &bits, sizeof d);
        return isfinite (d) ? d : 1.5;
      }
    case 4: return g_rand_int_range (r, 0, 4) == 0 ? -0.0 : 0.1 * g_rand_int_range (r, 1, 100);
    default: return 1e15 * g_rand_int_range (r, 1, 100000);         /* big integral */
    }
}

/* Sets a random attribute of every type under `key`. */
static void
set_random_attr (GRand *r, SluiceAttrs *attrs, const char *key)
{
  gsize len;
  switch (g_rand_int_range (r, 0, 8))
    {
    case 0: sluice_attrs_set_null (attrs, key); break;
    case 1:
      {
        g_autofree char *s = random_text (r, 12, &len);
        sluice_attrs_set_string (attrs, key, s);
        break;
      }
    case 2:
      {
        gint64 v = (gint64) (((guint64) g_rand_int (r) << 32) | g_rand_int (r));
        sluice_attrs_set_int (attrs, key, g_rand_boolean (r) ? v : g_rand_int_range (r, -9, 100));
        break;
      }
    case 3: sluice_attrs_set_double (attrs, key, random_double (r)); break;
    case 4: sluice_attrs_set_bool (attrs, key, g_rand_boolean (r)); break;
    case 5:
      {
        guint n = g_rand_int_range (r, 0, 4);
        char *items[5] = { NULL };
        for (guint i = 0; i < n; i++)
          items[i] = random_text (r, 6, &len);
        sluice_attrs_set_string_list (attrs, key, (const char *const *) items, n);
        for (guint i = 0; i < n; i++)
          g_free (items[i]);
        break;
      }
    case 6: sluice_attrs_set_json (attrs, key, "{\"a\":[1,2.5,\"x\",null,{\"b\":true}]}"); break;
    default: sluice_attrs_set_string (attrs, key, "plain");
    }
}

/* Byte offsets of the character boundaries of s. */
static GArray *
boundaries (const char *s, gsize len)
{
  GArray *b = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (const char *p = s; p < s + len; p = g_utf8_next_char (p))
    {
      gsize off = p - s;
      g_array_append_val (b, off);
    }
  g_array_append_val (b, len);
  return b;
}

/* A document with random text, meta and annotations (attrs.seq = insertion
 * index). */
static SluiceDocument *
random_document (GRand *r, guint i)
{
  gsize len;
  char *text = random_text (r, g_rand_int_range (r, 0, 4) == 0 ? 400 : 40, &len);
  g_autofree char *id = g_strdup_printf ("doc-%u-%s", i, g_rand_boolean (r) ? "\"q\"\\" : "é😀");
  SluiceDocument *doc = sluice_document_new_take (g_strdup (id), g_strdup ("random:1"), text, len);

  guint nmeta = g_rand_int_range (r, 0, 6);
  for (guint k = 0; k < nmeta; k++)
    {
      g_autofree char *key = g_strdup_printf ("m%u%s", k, g_rand_boolean (r) ? "\n\"ключ\"" : "");
      set_random_attr (r, &doc->meta, key);
    }

  GArray *b = boundaries (text, len);
  guint nann = g_rand_int_range (r, 0, 12);
  for (guint k = 0; k < nann; k++)
    {
      guint x = g_rand_int_range (r, 0, b->len);
      guint y = g_rand_int_range (r, 0, b->len);
      if (g_rand_int_range (r, 0, 5) == 0)
        y = x;                                   /* empty span */
      if (k > 0 && g_rand_int_range (r, 0, 5) == 0)
        {
          /* duplicate span of an earlier annotation: insertion order decides */
          const SluiceAnnotation *prev = g_ptr_array_index (doc->annotations, doc->annotations->len - 1);
          for (x = 0; g_array_index (b, gsize, x) != prev->start; x++)
            ;
          for (y = 0; g_array_index (b, gsize, y) != prev->end; y++)
            ;
        }
      sluice_document_set_current_stage (doc, g_rand_boolean (r) ? "entities" : "numbers");
      SluiceAnnotation *a = sluice_document_add_annotation (doc, g_rand_boolean (r) ? "PERSON" : "NUMBER",
                                                            g_array_index (b, gsize, MIN (x, y)),
                                                            g_array_index (b, gsize, MAX (x, y)));
      assert_non_null (a);
      sluice_attrs_set_int (&a->attrs, "seq", doc->annotations->len - 1);
      guint nattrs = g_rand_int_range (r, 0, 3);
      for (guint m = 0; m < nattrs; m++)
        {
          g_autofree char *key = g_strdup_printf ("a%u", m);
          set_random_attr (r, &a->attrs, key);
        }
    }
  g_array_unref (b);
  return doc;
}

/* ------------------------------------------------------------ UTF-8 tests */

static void
test_utf8_sanitize_table (void **state)
{
  static const struct {
    const char *in;
    gsize in_len;
    const char *out;
    gsize replaced;
  } cases[] = {
    { "", 0, "", 0 },
    { "plain ascii", 11, "plain ascii", 0 },
    { "Щука 😀", 13, "Щука 😀", 0 },
    { "a\0b", 3, "a\xEF\xBF\xBD" "b", 1 },                       /* NUL */
    { "\x80", 1, "\xEF\xBF\xBD", 1 },                           /* stray continuation */
    { "\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD", 2 },            /* overlong '/' */
    { "\xE0\x80\xAF", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3 },
    { "\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3 },  /* surrogate */
    { "\xF4\x90\x80\x80", 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 4 },
    { "\xE2\x82", 2, "\xEF\xBF\xBD", 1 },                       /* truncated at end */
    { "x\xF0\x9F\x98", 4, "x\xEF\xBF\xBD", 1 },
    { "\xFF\xFE", 2, "\xEF\xBF\xBD\xEF\xBF\xBD", 2 },
    /* Unicode 15, Table 3-8 (maximal subparts): */
    { "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13,
      "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d", 6 },
    { "caf\xE9 cr\xE8me", 10, "caf\xEF\xBF\xBD cr\xEF\xBF\xBDme", 2 },  /* Latin-1 */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GString *out = g_string_new ("prefix:");
      gsize n = sluice_utf8_sanitize (cases[i].in, cases[i].in_len, out);
      assert_int_equal (n, cases[i].replaced);
      assert_string_equal (out->str + 7, cases[i].out);
      assert_int_equal (sluice_utf8_is_clean (cases[i].in, cases[i].in_len), cases[i].replaced == 0);
      g_string_free (out, TRUE);
    }
}

/* Random byte strings (mostly valid with damage) against GLib. */
static void
test_utf8_random_vs_glib (void **state)
{
  GRand *r = g_rand_new_with_seed (7);
  for (guint iter = 0; iter < 20000; iter++)
    {
      gsize len;
      char *s = random_text (r, 60, &len);
      /* Damage a few bytes: random values, NULs, cut sequences. */
      guint ndamage = g_rand_int_range (r, 0, 4);
      for (guint k = 0; k < ndamage && len > 0; k++)
        s[g_rand_int_range (r, 0, len)] = (char) g_rand_int_range (r, 0, 256);
      gsize cut = len > 0 && g_rand_boolean (r) ? (gsize) g_rand_int_range (r, 0, len + 1) : len;

      gboolean glib_ok = g_utf8_validate_len (s, cut, NULL);
      assert_int_equal (sluice_utf8_is_clean (s, cut), glib_ok);

      GString *out = g_string_new (NULL);
      gsize n = sluice_utf8_sanitize (s, cut, out);
      assert_true (g_utf8_validate_len (out->str, out->len, NULL));
      assert_true (sluice_utf8_is_clean (out->str, out->len));
      if (glib_ok)
        {
          assert_int_equal (n, 0);
          assert_int_equal (out->len, cut);
          assert_memory_equal (out->str, s, cut);
        }
      else
        assert_true (n > 0);
      /* Counting code points on the clean result, at every prefix. */
      for (gsize k = 0; k <= out->len; k++)
        if (k == out->len || ((guchar) out->str[k] & 0xC0) != 0x80)
          assert_int_equal (sluice_utf8_count_chars (out->str, k), g_utf8_strlen (out->str, k));
      g_string_free (out, TRUE);
      g_free (s);
    }
  g_rand_free (r);
}

static void
test_utf8_long_runs (void **state)
{
  /* Long ASCII and non-ASCII runs cross every block size of the fast paths. */
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < 1000; i++)
    g_string_append (s, i % 3 == 0 ? "abcdefghijklmnopq" : i % 3 == 1 ? "Привет, мир" : "😀😀😀");
  assert_true (sluice_utf8_is_clean (s->str, s->len));
  assert_int_equal (sluice_utf8_count_chars (s->str, s->len), g_utf8_strlen (s->str, s->len));
  for (gsize at = 0; at < 200; at++)
    {
      char saved = s->str[at];
      s->str[at] = '\0';
      assert_false (sluice_utf8_is_clean (s->str, s->len));
      s->str[at] = (char) 0xFF;
      assert_false (sluice_utf8_is_clean (s->str, s->len));
      s->str[at] = saved;
    }
  g_string_free (s, TRUE);
}

/* ----------------------------------------------------------- writer tests */

static void
test_write_string_escapes (void **state)
{
  static const struct { const char *in; gsize len; const char *out; } cases[] = {
    { "", 0, "\"\"" },
    { "a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"" },
    { "\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"" },
    { "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"" },
    { "a\0b", 3, "\"a\\u0000b\"" },
    { "\xE2\x80\xA8\xE2\x80\xA9", 6, "\"\xE2\x80\xA8\xE2\x80\xA9\"" },   /* U+2028/9 raw */
    { "😀 Щ", 7, "\"😀 Щ\"" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = json_string (cases[i].in, cases[i].len);
      assert_string_equal (s, cases[i].out);
    }

  /* Every control character, alone and inside longer text (past the
   * 16-byte blocks of the fast path), read back by json-glib. */
  for (guint c = 1; c < 0x20; c++)
    for (guint pos = 0; pos < 40; pos += 13)
      {
        char buf[64];
        memset (buf, 'x', sizeof buf);
        buf[pos] = (char) c;
        buf[50] = '\0';
        g_autofree char *lit = json_string (buf, 50);
        g_autofree char *arr = g_strdup_printf ("[%s]", lit);
        g_autoptr (JsonNode) root = parse_with_glib (arr, -1);
        assert_string_equal (json_array_get_string_element (json_node_get_array (root), 0), buf);
        for (const char *p = lit; *p; p++)
          assert_true ((guchar) *p >= 0x20);
      }
}

/* The escaping rule written out byte by byte: the oracle of the writer's
 * word-at-a-time and vector paths. */
static char *
slow_json_string (const char *s, gsize len)
{
  GString *out = g_string_new ("\"");
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\r': g_string_append (out, "\\r"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* Random byte strings of every length around the fast paths' block sizes,
 * specials at every position, written after a prefix of random length (so
 * the output buffer's fill level varies): ours must equal the slow rule. */
static void
test_write_string_fast_paths (void **state)
{
  static const guchar alphabet[] = { 'a', 'Z', ' ', '~', 0x7F, 0x80, 0xC3, 0xA9, 0xFF, '"',
                                     '\\', '\n', '\t', 0x00, 0x01, 0x1F, 0x20, '/', 0x5C - 1 };
  GRand *r = g_rand_new_with_seed (771);
  GString *out = g_string_new (NULL);
  for (guint round = 0; round < 20000; round++)
    {
      guint len = g_rand_int_range (r, 0, round % 10 == 0 ? 200 : 50);
      guint density = g_rand_int_range (r, 0, 4);   /* 0: none, else one in 2^k */
      char buf[200];
      for (guint i = 0; i < len; i++)
        {
          if (density != 0 && g_rand_int_range (r, 0, 1 << (2 * density)) == 0)
            buf[i] = (char) alphabet[g_rand_int_range (r, 0, G_N_ELEMENTS (alphabet))];
          else
            buf[i] = (char) g_rand_int_range (r, 0x20, 0x7F) == '"' ? 'q'
                     : (char) g_rand_int_range (r, 0x21, 0x5B);
        }
      g_string_truncate (out, 0);
      guint prefix = g_rand_int_range (r, 0, 40);
      for (guint i = 0; i < prefix; i++)
        g_string_append_c (out, 'p');
      sluice_json_append_string (out, buf, len);
      g_autofree char *want = slow_json_string (buf, len);
      assert_int_equal (out->len, prefix + strlen (want));
      assert_memory_equal (out->str + prefix, want, strlen (want));
      assert_int_equal (out->str[out->len], '\0');
      /* Into a string with no room to spare: escapes make room as they go
       * (the ASan build checks they never write past it). */
      GString *tight = g_string_new ("p");
      sluice_json_append_string (tight, buf, len);
      assert_int_equal (tight->len, 1 + strlen (want));
      assert_memory_equal (tight->str + 1, want, strlen (want));
      assert_int_equal (tight->str[tight->len], '\0');
      g_string_free (tight, TRUE);
    }
  /* Nothing but escapes, the worst growth (6 bytes for 1). */
  for (guint len = 0; len < 200; len++)
    {
      char buf[200];
      for (guint i = 0; i < len; i++)
        buf[i] = (char) (i % 3 == 0 ? 0x01 : i % 3 == 1 ? '"' : '\n');
      GString *tight = g_string_new (NULL);
      sluice_json_append_string (tight, buf, len);
      g_autofree char *want = slow_json_string (buf, len);
      assert_string_equal (tight->str, want);
      g_string_free (tight, TRUE);
    }
  g_string_free (out, TRUE);
  g_rand_free (r);
}

static void
test_write_doubles (void **state)
{
  static const struct { double d; const char *out; } cases[] = {
    { 20.0, "20.0" }, { -3.0, "-3.0" }, { 0.0, "0.0" }, { -0.0, "-0.0" },
    { 0.1, "0.1" }, { 2.5, "2.5" }, { 1.0 / 3.0, "0.3333333333333333" },
    { 1e21, "1e+21" }, { 1e-7, "1e-07" }, { 123456789.0, "123456789.0" },
    { 1e15, "1e+15" }, { 123456789012.0, "123456789012.0" }, { 5e-324, "4.94065645841247e-324" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SluiceAttr a = { .key = "k", .type = SLUICE_VALUE_DOUBLE, .v.d = cases[i].d };
      GString *out = g_string_new (NULL);
      sluice_json_append_attr_value (out, &a);
      assert_string_equal (out->str, cases[i].out);
      g_string_free (out, TRUE);
    }
  static const double nonfinite[] = { NAN, INFINITY, -INFINITY };
  for (guint i = 0; i < G_N_ELEMENTS (nonfinite); i++)
    {
      SluiceAttr a = { .key = "k", .type = SLUICE_VALUE_DOUBLE, .v.d = nonfinite[i] };
      GString *out = g_string_new (NULL);
      sluice_json_append_attr_value (out, &a);
      assert_string_equal (out->str, "null");
      g_string_free (out, TRUE);
    }
  /* Round trip through json-glib for many doubles, kept as doubles. */
  GRand *r = g_rand_new_with_seed (3);
  for (guint i = 0; i < 20000; i++)
    {
      double d = random_double (r);
      SluiceAttr a = { .key = "k", .type = SLUICE_VALUE_DOUBLE, .v.d = d };
      GString *out = g_string_new ("[");
      sluice_json_append_attr_value (out, &a);
      g_string_append_c (out, ']');
      g_autoptr (JsonNode) root = parse_with_glib (out->str, -1);
      JsonNode *v = json_array_get_element (json_node_get_array (root), 0);
      assert_int_equal (json_node_get_value_type (v), G_TYPE_DOUBLE);
      assert_true (json_node_get_double (v) == d);
      /* Shortest: no more than 17 significant digits. */
      assert_true (out->len < 2 + 26);
      g_string_free (out, TRUE);
    }
  g_rand_free (r);
}

static void
test_write_document_shape (void **state)
{
  SluiceDocument *doc = sluice_document_new ("d1", "Visit Москва 😀 now", -1);
  sluice_document_set_current_stage (doc, "entities");
  /* Inserted out of order: the writer sorts. */
  SluiceAnnotation *a2 = sluice_document_add_annotation (doc, "WORD", 24, 27);   /* now */
  SluiceAnnotation *a1 = sluice_document_add_annotation (doc, "LOCATION", 6, 18); /* Москва */
  SluiceAnnotation *a3 = sluice_document_add_annotation (doc, "EMOJI", 19, 23);
  assert_non_null (a1);
  assert_non_null (a2);
  assert_non_null (a3);
  sluice_attrs_set_string (&a1->attrs, "lang", "ru");
  sluice_attrs_set_int (&a2->attrs, "n", -7);
  sluice_attrs_set_double (&a3->attrs, "score", NAN);

  g_autofree char *line = sluice_document_to_json (doc);
  assert_string_equal (line,
    "{\"id\":\"d1\",\"source\":\"\",\"text\":\"Visit Москва 😀 now\",\"meta\":{},\"annotations\":["
    "{\"type\":\"LOCATION\",\"start\":6,\"end\":12,\"text\":\"Москва\",\"stage\":\"entities\",\"attrs\":{\"lang\":\"ru\"}},"
    "{\"type\":\"EMOJI\",\"start\":13,\"end\":14,\"text\":\"😀\",\"stage\":\"entities\",\"attrs\":{\"score\":null}},"
    "{\"type\":\"WORD\",\"start\":15,\"end\":18,\"text\":\"now\",\"stage\":\"entities\",\"attrs\":{\"n\":-7}}]}");

  /* write_document is the same plus the newline. */
  GString *out = g_string_new (NULL);
  sluice_json_write_document (out, doc, FALSE);
  g_autofree char *with_nl = g_strconcat (line, "\n", NULL);
  assert_string_equal (out->str, with_nl);
  g_string_free (out, TRUE);
  /* The annotations themselves were not reordered. */
  assert_ptr_equal (g_ptr_array_index (doc->annotations, 0), a2);
  sluice_document_free (doc);
}

static void
test_write_empty_text (void **state)
{
  SluiceDocument *doc = sluice_document_new ("empty", "", 0);
  sluice_document_set_current_stage (doc, "s");
  SluiceAnnotation *a = sluice_document_add_annotation (doc, "EMPTY", 0, 0);
  sluice_attrs_set_int (&a->attrs, "seq", 0);
  g_autoptr (JsonNode) root = write_and_parse (doc, TRUE);
  JsonObject *o = json_node_get_object (root);
  assert_string_equal (json_object_get_string_member (o, "text"), "");
  assert_false (json_object_has_member (o, "views"));
  assert_annotations_match (doc, o);
  sluice_document_free (doc);
}

static void
test_write_meta_all_types (void **state)
{
  SluiceDocument *doc = sluice_document_new ("m", "text", -1);
  SluiceAttrs *meta = sluice_document_get_meta (doc);
  const char *list[] = { "a", "b\"", "ж", NULL };
  sluice_attrs_set_string (meta, "string", "va\\lue\n");
  sluice_attrs_set_int (meta, "int_max", G_MAXINT64);
  sluice_attrs_set_int (meta, "int_min_plus", G_MININT64 + 1);
  sluice_attrs_set_int (meta, "zero", 0);
  sluice_attrs_set_double (meta, "double", 2.5);
  sluice_attrs_set_double (meta, "integral", 20.0);
  sluice_attrs_set_double (meta, "nan", NAN);
  sluice_attrs_set_bool (meta, "yes", TRUE);
  sluice_attrs_set_bool (meta, "no", FALSE);
  sluice_attrs_set_null (meta, "nothing");
  sluice_attrs_set_string_list (meta, "list", list, -1);
  sluice_attrs_set_string_list (meta, "empty_list", NULL, 0);
  sluice_attrs_set_json (meta, "json", "{\"nested\":[1,{\"x\":null}]}");
  sluice_attrs_set_string (meta, "key \"quoted\"\t", "v");
  g_autoptr (JsonNode) root = write_and_parse (doc, FALSE);
  JsonObject *o = json_node_get_object (root);
  assert_attrs_equal_json (meta, json_object_get_object_member (o, "meta"));
  /* json-glib cannot hold G_MININT64 as a literal everywhere; check ours. */
  sluice_attrs_set_int (meta, "int_min", G_MININT64);
  g_autofree char *line = sluice_document_to_json (doc);
  assert_non_null (strstr (line, "\"int_min\":-9223372036854775808"));
  assert_non_null (strstr (line, "\"nan\":null"));
  assert_non_null (strstr (line, "\"integral\":20.0"));
  assert_non_null (strstr (line, "\"empty_list\":[]"));
  sluice_document_free (doc);
}

static void
test_write_views_and_extra (void **state)
{
  SluiceDocument *doc = sluice_document_new ("v", "Hello  world", -1);
  sluice_document_set_keep_views (doc, TRUE);
  sluice_document_set_current_stage (doc, "clean");
  SluiceRewriter *rw = sluice_rewriter_new (doc);
  sluice_rewriter_keep (rw, 5);
  sluice_rewriter_replace (rw, 7, " ", 1);
  g_autoptr (GError) error = NULL;
  assert_true (sluice_rewriter_commit (rw, &error));
  const char *extra = ",\"url\":\"http://x\",\"n\":[1,{\"a\":2}]";
  sluice_document_take_extra_json (doc, g_strdup (extra), strlen (extra));

  g_autoptr (JsonNode) root = write_and_parse (doc, TRUE);
  JsonObject *o = json_node_get_object (root);
  assert_string_equal (json_object_get_string_member (o, "text"), "Hello world");
  JsonArray *views = json_object_get_array_member (o, "views");
  assert_int_equal (json_array_get_length (views), 1);
  JsonObject *v0 = json_array_get_object_element (views, 0);
  assert_string_equal (json_object_get_string_member (v0, "stage"), "clean");
  assert_string_equal (json_object_get_string_member (v0, "text"), "Hello  world");
  assert_string_equal (json_object_get_string_member (o, "url"), "http://x");
  g_autoptr (JsonNode) n_expect = json_from_string ("[1,{\"a\":2}]", NULL);
  assert_true (json_node_equal (n_expect, json_object_get_member (o, "n")));

  /* Without emit_views: no "views" member, extra members still there. */
  g_autoptr (JsonNode) root2 = write_and_parse (doc, FALSE);
  assert_false (json_object_has_member (json_node_get_object (root2), "views"));
  assert_true (json_object_has_member (json_node_get_object (root2), "url"));
  sluice_document_free (doc);
}

/* Thousands of random documents: write with ours, read with json-glib. */
static void
test_write_random_documents (void **state)
{
  GRand *r = g_rand_new_with_seed (20240611);
  for (guint i = 0; i < 4000; i++)
    {
      SluiceDocument *doc = random_document (r, i);
      g_autoptr (JsonNode) root = write_and_parse (doc, FALSE);
      JsonObject *o = json_node_get_object (root);
      assert_string_equal (json_object_get_string_member (o, "id"), doc->id);
      assert_string_equal (json_object_get_string_member (o, "source"), doc->source);
      assert_string_equal (json_object_get_string_member (o, "text"), doc->text);
      assert_attrs_equal_json (&doc->meta, json_object_get_object_member (o, "meta"));
      assert_annotations_match (doc, o);
      sluice_document_free (doc);
    }
  g_rand_free (r);
}

/* Many annotations (past the writer's on-stack table), nested and
 * overlapping, in order, in random order and with repeated spans (the
 * writer's merge sort must keep insertion order among equal spans), over long
 * non-ASCII text with long and short gaps: every offset checked against
 * g_utf8_pointer_to_offset. */
static void
test_write_many_annotations_offsets (void **state)
{
  GRand *r = g_rand_new_with_seed (4242);
  for (guint round = 0; round < 300; round++)
    {
      GString *t = g_string_new (NULL);
      guint nchars = g_rand_int_range (r, 0, 3000);
      gboolean ascii = g_rand_int_range (r, 0, 4) == 0;
      for (guint i = 0; i < nchars; i++)
        g_string_append_unichar (t, ascii ? (gunichar) g_rand_int_range (r, 0x20, 0x7F)
                                          : random_char (r));
      gsize len = t->len;
      SluiceDocument *doc = sluice_document_new_take (g_strdup ("d"), g_strdup ("s"),
                                                      g_string_free (t, FALSE), len);
      GArray *b = boundaries (doc->text, len);
      guint nann = g_rand_int_range (r, 0, 200);
      gboolean in_order = g_rand_boolean (r);
      guint at = 0;
      for (guint k = 0; k < nann; k++)
        {
          guint x, y;
          if (in_order)
            {
              guint step = g_rand_int_range (r, 0, 60), width = g_rand_int_range (r, 0, 50);
              at = MIN (at + step, b->len - 1);
              x = at;
              y = MIN (x + width, b->len - 1);
            }
          else
            {
              x = g_rand_int_range (r, 0, b->len);
              y = g_rand_int_range (r, 0, b->len);
            }
          if (k > 0 && g_rand_int_range (r, 0, 4) == 0)
            {
              /* The span of an earlier one: insertion order decides. */
              const SluiceAnnotation *prev = g_ptr_array_index (doc->annotations,
                                                                g_rand_int_range (r, 0, doc->annotations->len));
              for (x = 0; g_array_index (b, gsize, x) != prev->start; x++)
                ;
              for (y = 0; g_array_index (b, gsize, y) != prev->end; y++)
                ;
            }
          SluiceAnnotation *a = sluice_document_add_annotation (doc, k % 3 ? "NUMBER" : "X\"Y",
                                                                g_array_index (b, gsize, MIN (x, y)),
                                                                g_array_index (b, gsize, MAX (x, y)));
          assert_non_null (a);
          sluice_attrs_set_int (&a->attrs, "seq", doc->annotations->len - 1);
        }
      g_autoptr (JsonNode) root = write_and_parse (doc, FALSE);
      JsonObject *o = json_node_get_object (root);
      assert_annotations_match (doc, o);
      /* And directly against g_utf8_pointer_to_offset. */
      JsonArray *anns = json_object_get_array_member (o, "annotations");
      for (guint i = 0; i < json_array_get_length (anns); i++)
        {
          JsonObject *ao = json_array_get_object_element (anns, i);
          guint idx = json_object_get_int_member (json_object_get_object_member (ao, "attrs"), "seq");
          const SluiceAnnotation *a = g_ptr_array_index (doc->annotations, idx);
          assert_int_equal (json_object_get_int_member (ao, "start"),
                            g_utf8_pointer_to_offset (doc->text, doc->text + a->start));
          assert_int_equal (json_object_get_int_member (ao, "end"),
                            g_utf8_pointer_to_offset (doc->text, doc->text + a->end));
        }
      g_array_unref (b);
      sluice_document_free (doc);
    }
  g_rand_free (r);
}

/* Keys and short values come from the shared tables, whose entries carry
 * their length and whether JSON needs them escaped: values with quotes,
 * backslashes, controls (in keys too), and a reused buffer whose new
 * content starts like the old one. */
static void
test_write_shared_strings (void **state)
{
  SluiceDocument *doc = sluice_document_new_take (g_strdup ("d"), g_strdup ("s"), g_strdup (""), 0);
  char buf[16];
  strcpy (buf, "ab");
  sluice_attrs_set_string_len (&doc->meta, "k\"1", buf, 2);
  memcpy (buf, "ab\0x", 4);
  sluice_attrs_set_string_len (&doc->meta, "k\\2", buf, 4);          /* NUL: not shared */
  strcpy (buf, "ab\"c");
  sluice_attrs_set_string_len (&doc->meta, "k\n3", buf, 4);
  sluice_attrs_set_string_len (&doc->meta, "plain", buf, 2);
  sluice_attrs_set_string_len (&doc->meta, "sub", buf + 1, 3);
  GString *out = g_string_new (NULL);
  sluice_json_append_attrs (out, &doc->meta);
  assert_string_equal (out->str, "{\"k\\\"1\":\"ab\",\"k\\\\2\":\"ab\xEF\xBF\xBDx\","
                       "\"k\\n3\":\"ab\\\"c\",\"plain\":\"ab\",\"sub\":\"b\\\"c\"}");
  g_string_free (out, TRUE);
  g_autoptr (JsonNode) root = write_and_parse (doc, FALSE);
  assert_attrs_equal_json (&doc->meta, json_object_get_object_member (json_node_get_object (root), "meta"));
  sluice_document_free (doc);
}

/* ----------------------------------------------------------- reader tests */

typedef struct {
  char *id;
  char *text;
  gsize text_len;
  guint n_replaced;
  SluiceAttrs meta;
  GString *extra;
  GError *error;
  gboolean ok;
  gboolean text_clean;
} Parsed;

static void
parse (Parsed *p, const char *line, gssize len)
{
  memset (p, 0, sizeof *p);
  sluice_attrs_init (&p->meta);
  p->extra = g_string_new (NULL);
  gsize n = len < 0 ? strlen (line) : (gsize) len;
  p->ok = sluice_json_parse_document_full (line, n, &p->id, &p->text, &p->text_len,
                                           &p->text_clean, &p->n_replaced, &p->meta, p->extra,
                                           &p->error);
  if (p->ok)
    /* The flag the reader trusts instead of validating the text again. */
    assert_int_equal (p->text_clean, sluice_utf8_is_clean (p->text, p->text_len));
  else
    assert_false (p->text_clean);
  /* The plain entry point reads the same. */
  char *id2 = NULL, *text2 = NULL;
  gsize tl2 = 0;
  guint nr2 = 0;
  SluiceAttrs meta2;
  sluice_attrs_init (&meta2);
  GString *extra2 = g_string_new (NULL);
  GError *e2 = NULL;
  gboolean ok2 = sluice_json_parse_document (line, n, &id2, &text2, &tl2, &nr2, &meta2, extra2, &e2);
  assert_int_equal (ok2, p->ok);
  if (ok2)
    {
      assert_int_equal (tl2, p->text_len);
      assert_memory_equal (text2, p->text, tl2);
      assert_int_equal (nr2, p->n_replaced);
      assert_string_equal (extra2->str, p->extra->str);
    }
  else
    assert_string_equal (e2->message, p->error->message);
  g_free (id2);
  g_free (text2);
  sluice_attrs_clear (&meta2);
  g_string_free (extra2, TRUE);
  g_clear_error (&e2);
}

static void
parsed_clear (Parsed *p)
{
  g_free (p->id);
  g_free (p->text);
  sluice_attrs_clear (&p->meta);
  g_string_free (p->extra, TRUE);
  g_clear_error (&p->error);
}

static void
test_read_basic (void **state)
{
  Parsed p;
  parse (&p, " {\"id\":\"a1\",\"text\":\"x\\ny\\t\\\"q\\\" \\\\ \\/ \\b\\f\\r\\u00e9\\u0416\"} \r\n", -1);
  assert_true (p.ok);
  assert_string_equal (p.id, "a1");
  assert_string_equal (p.text, "x\ny\t\"q\" \\ / \b\f\ré\xD0\x96");
  assert_int_equal (p.text_len, strlen (p.text));
  assert_int_equal (p.n_replaced, 0);
  assert_int_equal (p.meta.n, 0);
  assert_int_equal (p.extra->len, 0);
  parsed_clear (&p);

  /* id: numbers as their text, null or absent: none */
  static const struct { const char *line; const char *id; } ids[] = {
    { "{\"id\":42,\"text\":\"\"}", "42" },
    { "{\"id\":-1.5e3,\"text\":\"\"}", "-1.5e3" },
    { "{\"id\":null,\"text\":\"\"}", NULL },
    { "{\"text\":\"\"}", NULL },
    { "{\"id\":\"first\",\"text\":\"\",\"id\":\"second\"}", "second" },   /* last wins */
    { "{\"i\\u0064\":\"escaped key\",\"text\":\"\"}", "escaped key" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      parse (&p, ids[i].line, -1);
      assert_true (p.ok);
      assert_string_equal (p.text, "");
      if (ids[i].id == NULL)
        assert_null (p.id);
      else
        assert_string_equal (p.id, ids[i].id);
      parsed_clear (&p);
    }

  /* text: last wins too */
  parse (&p, "{\"text\":\"one\",\"text\":\"two\"}", -1);
  assert_true (p.ok);
  assert_string_equal (p.text, "two");
  parsed_clear (&p);
}

static void
test_read_unicode_escapes (void **state)
{
  static const struct { const char *json; const char *text; guint replaced; } cases[] = {
    { "\\ud83d\\ude00", "😀", 0 },                          /* surrogate pair */
    { "\\uD83D\\uDE00x", "😀x", 0 },
    { "\\udbff\\udfff", "\xF4\x8F\xBF\xBF", 0 },             /* U+10FFFF */
    { "a\\ud83d", "a\xEF\xBF\xBD", 1 },                      /* lone high at end */
    { "\\ud83dx", "\xEF\xBF\xBDx", 1 },                      /* high then text */
    { "\\ude00", "\xEF\xBF\xBD", 1 },                        /* lone low */
    { "\\ud83d\\u0041", "\xEF\xBF\xBD" "A", 1 },             /* high then BMP escape */
    { "\\ud83d\\ud83d\\ude00", "\xEF\xBF\xBD😀", 1 },        /* high, then a pair */
    { "\\u0000", "\xEF\xBF\xBD", 1 },                        /* NUL */
    { "a\\u0000b\\u0000", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD", 2 },
    { "\\u2028\\u00A0", "\xE2\x80\xA8\xC2\xA0", 0 },
    { "raw 😀 \xD0\x96", "raw 😀 \xD0\x96", 0 },
    { "bad \xFF\xC0 bytes", "bad \xFF\xC0 bytes", 0 },       /* copied, left to the caller */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("{\"text\":\"%s\"}", cases[i].json);
      Parsed p;
      parse (&p, line, -1);
      assert_true (p.ok);
      assert_string_equal (p.text, cases[i].text);
      assert_int_equal (p.n_replaced, cases[i].replaced);
      parsed_clear (&p);
    }
}

static void
test_read_meta_types (void **state)
{
  Parsed p;
  parse (&p, "{\"text\":\"t\",\"meta\":{"
             "\"s\":\"str\\u00e9\",\"i\":-12,\"big\":123456789012345678901234567890,"
             "\"d\":2.5,\"e\":1E3,\"z\":0,\"t\":true,\"f\":false,\"n\":null,"
             "\"list\":[\"a\", \"b\"],\"empty\":[],\"mixed\":[1, \"a\", null],"
             "\"obj\":{\"k\": [1, 2]},\"huge\":1e400,\"s\":\"again\",\"bad\":\"\xFF\"}}", -1);
  assert_true (p.ok);
  const SluiceAttrs *m = &p.meta;
  assert_int_equal (sluice_attrs_size (m), 15);
  /* a repeated key keeps its first position and its last value */
  assert_string_equal (sluice_attrs_key_at (m, 0), "s");
  assert_string_equal (sluice_attrs_get_string (m, "s"), "again");
  assert_int_equal (sluice_attrs_get_type (m, "i"), SLUICE_VALUE_INT);
  assert_int_equal (sluice_attrs_get_int (m, "i", 0), -12);
  assert_int_equal (sluice_attrs_get_type (m, "big"), SLUICE_VALUE_JSON);
  assert_string_equal (sluice_attrs_get_json (m, "big"), "123456789012345678901234567890");
  assert_int_equal (sluice_attrs_get_type (m, "d"), SLUICE_VALUE_DOUBLE);
  assert_true (sluice_attrs_get_double (m, "d", 0) == 2.5);
  assert_int_equal (sluice_attrs_get_type (m, "e"), SLUICE_VALUE_DOUBLE);
  assert_true (sluice_attrs_get_double (m, "e", 0) == 1000.0);
  assert_int_equal (sluice_attrs_get_type (m, "z"), SLUICE_VALUE_INT);
  assert_int_equal (sluice_attrs_get_type (m, "t"), SLUICE_VALUE_BOOL);
  assert_true (sluice_attrs_get_bool (m, "t", FALSE));
  assert_int_equal (sluice_attrs_get_type (m, "f"), SLUICE_VALUE_BOOL);
  assert_false (sluice_attrs_get_bool (m, "f", TRUE));
  assert_int_equal (sluice_attrs_get_type (m, "n"), SLUICE_VALUE_NULL);
  guint n;
  const char *const *list = sluice_attrs_get_string_list (m, "list", &n);
  assert_int_equal (n, 2);
  assert_string_equal (list[0], "a");
  assert_string_equal (list[1], "b");
  assert_int_equal (sluice_attrs_get_type (m, "empty"), SLUICE_VALUE_STRING_LIST);
  sluice_attrs_get_string_list (m, "empty", &n);
  assert_int_equal (n, 0);
  assert_string_equal (sluice_attrs_get_json (m, "mixed"), "[1, \"a\", null]");
  assert_string_equal (sluice_attrs_get_json (m, "obj"), "{\"k\": [1, 2]}");
  assert_string_equal (sluice_attrs_get_json (m, "huge"), "1e400");
  assert_string_equal (sluice_attrs_get_string (m, "bad"), "\xEF\xBF\xBD");
  assert_int_equal (p.n_replaced, 1);
  parsed_clear (&p);

  /* A repeated "meta": the last one wins whole; null means none. */
  parse (&p, "{\"meta\":{\"a\":1,\"b\":2},\"text\":\"t\",\"meta\":{\"c\":3}}", -1);
  assert_true (p.ok);
  assert_int_equal (sluice_attrs_size (&p.meta), 1);
  assert_int_equal (sluice_attrs_get_int (&p.meta, "c", 0), 3);
  parsed_clear (&p);
  parse (&p, "{\"meta\":null,\"text\":\"t\"}", -1);
  assert_true (p.ok);
  assert_int_equal (sluice_attrs_size (&p.meta), 0);
  parsed_clear (&p);
}

static void
test_read_extra_members (void **state)
{
  Parsed p;
  parse (&p, "{\"id\":\"x\",\"url\":\"http://e/\\u00e9\",\"source\":\"dropped\",\"text\":\"t\","
             "\"annotations\":[{\"type\":\"OLD\"}],\"n\": [1, {\"a\": 2.50}],\"views\":[],"
             "\"flag\":true,\"bad\":\"\xC3\"}", -1);
  assert_true (p.ok);
  assert_string_equal (p.extra->str,
                       ",\"url\":\"http://e/\\u00e9\",\"n\":[1, {\"a\": 2.50}],\"flag\":true,"
                       "\"bad\":\"\xEF\xBF\xBD\"");
  assert_int_equal (p.n_replaced, 1);

  /* Through a document and the writer: valid JSON, members kept, the
   * input's source and annotations replaced by the core's. */
  SluiceDocument *doc = sluice_document_new_take (p.id, g_strdup ("in.jsonl:1"), p.text, p.text_len);
  p.id = NULL;
  p.text = NULL;
  sluice_document_take_extra_json (doc, g_strndup (p.extra->str, p.extra->len), p.extra->len);
  g_autoptr (JsonNode) root = write_and_parse (doc, FALSE);
  JsonObject *o = json_node_get_object (root);
  assert_string_equal (json_object_get_string_member (o, "source"), "in.jsonl:1");
  assert_int_equal (json_array_get_length (json_object_get_array_member (o, "annotations")), 0);
  assert_string_equal (json_object_get_string_member (o, "url"), "http://e/é");
  assert_true (json_object_get_boolean_member (o, "flag"));
  sluice_document_free (doc);
  parsed_clear (&p);
}

/* Every rejected form, with the message it gets. */
static void
test_read_malformed (void **state)
{
  g_autofree char *deep_bad = NULL;
  g_autofree char *deep_ok = NULL;
  {
    GString *s = g_string_new ("{\"text\":\"t\",\"x\":");
    for (guint i = 0; i < 512; i++)
      g_string_append_c (s, '[');
    for (guint i = 0; i < 512; i++)
      g_string_append_c (s, ']');
    g_string_append_c (s, '}');
    deep_bad = g_string_free (s, FALSE);
    s = g_string_new ("{\"text\":\"t\",\"x\":");
    for (guint i = 0; i < 511; i++)
      g_string_append_c (s, '[');
    for (guint i = 0; i < 511; i++)
      g_string_append_c (s, ']');
    g_string_append_c (s, '}');
    deep_ok = g_string_free (s, FALSE);
  }
  const struct { const char *line; gssize len; const char *message; } cases[] = {
    { "", 0, "expected '{' (a JSON object) but found end of line at column 1" },
    { "   ", 3, "expected '{' (a JSON object) but found end of line at column 4" },
    { "[1]", -1, "expected '{' (a JSON object) but found '[' at column 1" },
    { "\"text\"", -1, "expected '{' (a JSON object) but found '\"' at column 1" },
    { "{\"text\":\"a\",}", -1, "trailing comma in object at column 13" },
    { "{\"text\":\"a\"", -1, "expected ',' or '}' but found end of line at column 12" },
    { "{\"text\":\"a\"} x", -1, "unexpected 'x' after the JSON object at column 14" },
    { "{\"text\":\"a\"}{}", -1, "unexpected '{' after the JSON object at column 13" },
    { "{\"text\":\"a\\q\"}", -1, "invalid escape '\\' followed by 'q' at column 11" },
    { "{\"text\":\"a\\u12\"}", -1, "invalid \\u escape (four hex digits expected) at column 11" },
    { "{\"text\":\"a\\uZZZZ\"}", -1, "invalid \\u escape (four hex digits expected) at column 11" },
    { "{\"text\":\"abc", -1, "unterminated string at column 9" },
    { "{\"text\":\"abc\\", -1, "unterminated string at column 9" },
    { "{\"text\":\"a\tb\"}", -1, "control character U+0009 in a string (must be escaped) at column 11" },
    { "{\"text\":\"a\nb\"}", -1, "control character U+000A in a string (must be escaped) at column 11" },
    { "{\"text\":\"a\0b\"}", 14, "control character U+0000 in a string (must be escaped) at column 11" },
    { "{\"id\":\"x\"}", -1, "no \"text\" member" },
    { "{}", -1, "no \"text\" member" },
    { "{\"text\":5}", -1, "\"text\" is not a string at column 9" },
    { "{\"text\":null}", -1, "\"text\" is not a string at column 9" },
    { "{\"text\":\"a\",\"id\":[1]}", -1, "\"id\" is not a string or a number at column 18" },
    { "{\"text\":\"a\",\"id\":true}", -1, "\"id\" is not a string or a number at column 18" },
    { "{\"text\":\"a\",\"meta\":[]}", -1, "\"meta\" is not an object at column 20" },
    { "{\"text\":\"a\",\"meta\":\"m\"}", -1, "\"meta\" is not an object at column 20" },
    { "{\"text\":\"a\",\"x\":[1,2,]}", -1, "trailing comma in array at column 22" },
    { "{\"text\":\"a\",\"x\":[1 2]}", -1, "expected ',' or ']' but found '2' at column 20" },
    { "{\"text\":\"a\",\"x\":01}", -1, "number with a leading zero at column 17" },
    { "{\"text\":\"a\",\"x\":1.}", -1, "expected a digit after '.' but found '}' at column 19" },
    { "{\"text\":\"a\",\"x\":1e}", -1, "expected a digit in the exponent but found '}' at column 19" },
    { "{\"text\":\"a\",\"x\":-}", -1, "expected a digit but found '}' at column 18" },
    { "{\"text\":\"a\",\"x\":+1}", -1, "expected a JSON value but found '+' at column 17" },
    { "{\"text\":\"a\",\"x\":.5}", -1, "expected a JSON value but found '.' at column 17" },
    { "{\"text\":\"a\",\"x\":tru}", -1, "invalid literal starting with 't' (expected a JSON value) at column 17" },
    { "{\"text\":\"a\",\"x\":NaN}", -1, "expected a JSON value but found 'N' at column 17" },
    { "{\"text\":\"a\",\"x\":'s'}", -1, "expected a JSON value but found ''' at column 17" },
    { "{\"text\":\"a\",\"x\":}", -1, "expected a JSON value but found '}' at column 17" },
    { "{\"text\" \"a\"}", -1, "expected ':' but found '\"' at column 9" },
    { "{text:\"a\"}", -1, "expected a string (member name) but found 't' at column 2" },
    { "{\"text\":\"a\",,}", -1, "expected a string (member name) but found ',' at column 13" },
    { "{\"text\":\"a\" // c}", -1, "expected ',' or '}' but found '/' at column 13" },
    { "{\"text\":\"a\",\"meta\":{\"k\":1,}}", -1, "trailing comma in object at column 27" },
    { "{\"text\":\"a\",\"meta\":{\"k\"}}", -1, "expected ':' but found '}' at column 24" },
    { "{\"text\":\"a\",\"meta\":{\"k\":[\"a\",]}}", -1, "trailing comma in array at column 30" },
    { "{\"text\":\"a\",\"meta\":{\"k\":{\"a\":1,}}}", -1, "trailing comma in object at column 32" },
    { "{\"text\":\"a\",\"x\":{\"y\":[}}", -1, "expected a JSON value but found '}' at column 23" },
    { "{\"text\":\"a\",\"x\":\"\\u00\"}", -1, "invalid \\u escape (four hex digits expected) at column 18" },
    { "{\"text\":\"\xFF\",\"x\":\xFF}", -1, "expected a JSON value but found byte 0xFF at column 17" },
    { deep_bad, -1, "nesting deeper than 512 levels at column 528" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Parsed p;
      parse (&p, cases[i].line, cases[i].len);
      if (p.ok)
        fail_msg ("accepted: %s", cases[i].line);
      assert_non_null (p.error);
      assert_true (g_error_matches (p.error, SLUICE_ERROR, SLUICE_ERROR_INPUT));
      if (strcmp (p.error->message, cases[i].message) != 0)
        fail_msg ("case %u: %s\n  got:      %s\n  expected: %s", i, cases[i].line,
                  p.error->message, cases[i].message);
      assert_null (p.id);
      assert_null (p.text);
      assert_int_equal (p.extra->len, 0);
      parsed_clear (&p);
    }

  Parsed p;
  parse (&p, deep_ok, -1);
  assert_true (p.ok);
  assert_int_equal (p.extra->len, strlen (deep_ok) - strlen ("{\"text\":\"t\"") - 1);
  parsed_clear (&p);

  /* A failure after extra members leaves `extra` as it was. */
  GString *extra = g_string_new ("keep");
  char *id = NULL, *text = NULL;
  gsize tl;
  guint nr;
  SluiceAttrs meta;
  sluice_attrs_init (&meta);
  const char *bad = "{\"a\":1,\"text\":\"t\",\"b\":[}";
  assert_false (sluice_json_parse_document (bad, strlen (bad), &id, &text, &tl, &nr, &meta, extra, NULL));
  assert_string_equal (extra->str, "keep");
  sluice_attrs_clear (&meta);
  g_string_free (extra, TRUE);
}

/* Replaces every non-ASCII character of a JSON text by \uXXXX escapes
 * (surrogate pairs above the BMP), as ensure_ascii writers do.  Non-ASCII
 * only occurs inside strings, so the result means the same. */
static char *
ascii_escape (const char *json)
{
  GString *out = g_string_new (NULL);
  for (const char *p = json; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c < 0x80)
        g_string_append_c (out, (char) c);
      else if (c < 0x10000)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_printf (out, "\\u%04X\\u%04X", 0xD800 + ((c - 0x10000) >> 10),
                                0xDC00 + ((c - 0x10000) & 0x3FF));
    }
  return g_string_free (out, FALSE);
}

static void
add_random_json_value (GRand *r, JsonBuilder *b, guint depth)
{
  gsize len;
  switch (g_rand_int_range (r, 0, depth > 2 ? 6 : 8))
    {
    case 0: json_builder_add_null_value (b); break;
    case 1: json_builder_add_boolean_value (b, g_rand_boolean (r)); break;
    case 2: json_builder_add_int_value (b, (gint64) g_rand_int (r) - G_MAXINT32); break;
    case 3: json_builder_add_double_value (b, g_rand_double_range (r, -1e5, 1e5)); break;
    case 4:
    case 5:
      {
        g_autofree char *s = random_text (r, 10, &len);
        json_builder_add_string_value (b, s);
        break;
      }
    case 6:
      {
        json_builder_begin_array (b);
        guint n = g_rand_int_range (r, 0, 4);
        gboolean strings = g_rand_boolean (r);
        for (guint i = 0; i < n; i++)
          {
            if (strings)
              {
                g_autofree char *s = random_text (r, 6, &len);
                json_builder_add_string_value (b, s);
              }
            else
              add_random_json_value (r, b, depth + 1);
          }
        json_builder_end_array (b);
        break;
      }
    default:
      {
        json_builder_begin_object (b);
        guint n = g_rand_int_range (r, 0, 4);
        for (guint i = 0; i < n; i++)
          {
            g_autofree char *k = g_strdup_printf ("k%u", i);
            json_builder_set_member_name (b, k);
            add_random_json_value (r, b, depth + 1);
          }
        json_builder_end_object (b);
      }
    }
}

/* Compares one meta value of ours with the json-glib node it came from. */
static void
assert_meta_value (const SluiceAttr *a, JsonNode *v)
{
  switch (json_node_get_node_type (v))
    {
    case JSON_NODE_NULL:
      assert_int_equal (a->type, SLUICE_VALUE_NULL);
      return;
    case JSON_NODE_VALUE:
      {
        GType t = json_node_get_value_type (v);
        if (t == G_TYPE_STRING)
          {
            assert_int_equal (a->type, SLUICE_VALUE_STRING);
            assert_string_equal (a->v.s, json_node_get_string (v));
          }
        else if (t == G_TYPE_INT64)
          {
            assert_int_equal (a->type, SLUICE_VALUE_INT);
            assert_true (a->v.i == json_node_get_int (v));
          }
        else if (t == G_TYPE_DOUBLE)
          {
            assert_int_equal (a->type, SLUICE_VALUE_DOUBLE);
            assert_true (a->v.d == json_node_get_double (v));
          }
        else
          {
            assert_int_equal (a->type, SLUICE_VALUE_BOOL);
            assert_int_equal (a->v.b, json_node_get_boolean (v));
          }
        return;
      }
    case JSON_NODE_ARRAY:
      if (a->type == SLUICE_VALUE_STRING_LIST)
        {
          JsonArray *arr = json_node_get_array (v);
          assert_int_equal (g_strv_length (a->v.list), json_array_get_length (arr));
          for (guint i = 0; a->v.list[i]; i++)
            assert_string_equal (a->v.list[i], json_array_get_string_element (arr, i));
          return;
        }
      G_GNUC_FALLTHROUGH;
    default:
      {
        assert_int_equal (a->type, SLUICE_VALUE_JSON);
        g_autoptr (JsonNode) ours = json_from_string (a->v.s, NULL);
        assert_non_null (ours);
        assert_true (json_node_equal (ours, v));
        /* an all-string array is never left as raw JSON */
        if (JSON_NODE_HOLDS_ARRAY (v))
          {
            JsonArray *arr = json_node_get_array (v);
            gboolean all_strings = TRUE;
            for (guint i = 0; i < json_array_get_length (arr); i++)
              {
                JsonNode *e = json_array_get_element (arr, i);
                all_strings &= JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING;
              }
            assert_false (all_strings);
          }
      }
    }
}

/* Thousands of random lines made by json-glib's generator, read by ours and
 * compared with what json-glib's parser reads from the same line. */
static void
test_read_random_vs_glib (void **state)
{
  GRand *r = g_rand_new_with_seed (99);
  JsonGenerator *gen = json_generator_new ();
  static const char *const extra_names[] = { "url", "source", "annotations", "views", "lang\"x", "ts" };

  for (guint iter = 0; iter < 4000; iter++)
    {
      gsize len;
      JsonBuilder *b = json_builder_new ();
      json_builder_begin_object (b);
      guint order = g_rand_int_range (r, 0, 3);
      for (guint part = 0; part < 4; part++)
        {
          guint which = (part + order) % 4;
          if (which == 0)
            {
              json_builder_set_member_name (b, "id");
              if (g_rand_boolean (r))
                {
                  g_autofree char *s = random_text (r, 8, &len);
                  json_builder_add_string_value (b, s);
                }
              else
                json_builder_add_int_value (b, g_rand_int_range (r, -100000, 100000));
            }
          else if (which == 1)
            {
              json_builder_set_member_name (b, "text");
              g_autofree char *s = random_text (r, g_rand_int_range (r, 0, 5) == 0 ? 500 : 50, &len);
              json_builder_add_string_value (b, s);
            }
          else if (which == 2 && g_rand_int_range (r, 0, 4) != 0)
            {
              json_builder_set_member_name (b, "meta");
              json_builder_begin_object (b);
              guint n = g_rand_int_range (r, 0, 6);
              for (guint k = 0; k < n; k++)
                {
                  g_autofree char *key = g_strdup_printf ("m%u%s", k, g_rand_boolean (r) ? "é\t" : "");
                  json_builder_set_member_name (b, key);
                  add_random_json_value (r, b, 1);
                }
              json_builder_end_object (b);
            }
          else if (which == 3)
            {
              guint n = g_rand_int_range (r, 0, 3);
              for (guint k = 0; k < n; k++)
                {
                  json_builder_set_member_name (b, extra_names[g_rand_int_range (r, 0, G_N_ELEMENTS (extra_names))]);
                  add_random_json_value (r, b, 1);
                }
            }
        }
      json_builder_end_object (b);
      JsonNode *root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, g_rand_int_range (r, 0, 8) == 0);
      g_autofree char *generated = json_generator_to_data (gen, NULL);
      /* json-glib 1.6 writes U+001F unescaped (it escapes only < 0x1F) and
       * reads raw control characters back; RFC 8259 (and our reader) does
       * not allow them, so escape it here. */
      if (strchr (generated, 0x1F) != NULL)
        {
          GString *fixed = g_string_new (NULL);
          for (const char *c = generated; *c; c++)
            if (*c == 0x1F)
              g_string_append (fixed, "\\u001f");
            else
              g_string_append_c (fixed, *c);
          g_free (generated);
          generated = g_string_free (fixed, FALSE);
        }
      char *line = generated;
      g_autofree char *escaped = NULL;
      if (g_rand_int_range (r, 0, 3) == 0)
        line = escaped = ascii_escape (generated);

      /* The oracle's reading of the line. */
      g_autoptr (JsonNode) expect = parse_with_glib (line, -1);
      JsonObject *eo = json_node_get_object (expect);

      Parsed p;
      parse (&p, line, -1);
      if (!p.ok)
        fail_msg ("rejected: %s\n%s", p.error->message, line);
      assert_int_equal (p.n_replaced, 0);

      JsonNode *idn = json_object_get_member (eo, "id");
      if (json_node_get_value_type (idn) == G_TYPE_STRING)
        assert_string_equal (p.id, json_node_get_string (idn));
      else
        {
          g_autofree char *num = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (idn));
          assert_string_equal (p.id, num);
        }
      const char *etext = json_object_get_string_member (eo, "text");
      assert_int_equal (p.text_len, strlen (etext));
      assert_string_equal (p.text, etext);
      assert_true (p.text_clean);

      if (json_object_has_member (eo, "meta"))
        {
          JsonObject *em = json_object_get_object_member (eo, "meta");
          assert_int_equal (sluice_attrs_size (&p.meta), json_object_get_size (em));
          GList *members = json_object_get_members (em);
          guint k = 0;
          for (GList *l = members; l; l = l->next, k++)
            {
              assert_string_equal (p.meta.items[k].key, l->data);
              assert_meta_value (&p.meta.items[k], json_object_get_member (em, l->data));
            }
          g_list_free (members);
        }
      else
        assert_int_equal (sluice_attrs_size (&p.meta), 0);

      /* extra: exactly the other members, as JSON, the core's own dropped */
      g_autofree char *extra_obj = g_strdup_printf ("{%s}", p.extra->len ? p.extra->str + 1 : "");
      g_autoptr (JsonNode) extra_node = parse_with_glib (extra_obj, -1);
      JsonObject *xo = json_node_get_object (extra_node);
      guint n_expected_extra = 0;
      GList *members = json_object_get_members (eo);
      for (GList *l = members; l; l = l->next)
        {
          const char *name = l->data;
          if (!strcmp (name, "id") || !strcmp (name, "text") || !strcmp (name, "meta")
              || !strcmp (name, "source") || !strcmp (name, "annotations") || !strcmp (name, "views"))
            {
              assert_false (json_object_has_member (xo, name));
              continue;
            }
          n_expected_extra++;
          assert_true (json_object_has_member (xo, name));
          assert_true (json_node_equal (json_object_get_member (xo, name),
                                        json_object_get_member (eo, name)));
        }
      g_list_free (members);
      assert_int_equal (json_object_get_size (xo), n_expected_extra);

      parsed_clear (&p);
      json_node_unref (root);
      g_object_unref (b);
    }
  g_object_unref (gen);
  g_rand_free (r);
}


static void
append_u_escape (GString *s, guint v, gboolean upper)
{
  if (upper)
    g_string_append_printf (s, "\\u%04X", v);
  else
    g_string_append_printf (s, "\\u%04x", v);
}

/* The text is scanned, decoded and checked as UTF-8 in one pass: random
 * texts of raw characters, escapes of every kind, lone surrogates, invalid
 * UTF-8 bytes and (sometimes) one syntax error, against what they must
 * decode to (built alongside), GLib's UTF-8 validator and the error
 * messages of the reader's string scanner.  Texts up to a few hundred
 * bytes: every position relative to the 16-byte blocks. */
static void
test_read_text_one_pass (void **state)
{
  static const char *const bad[] = { "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                     "\xc0\xaf", "\x80", "\xf0\x9f\x98", "\xef\xbf", "\xf5", "\xbf\x80",
                                     "\xc1\x81", "\xd0" };
  static const struct { const char *json, *dec; } simple[] = {
    { "\\n", "\n" }, { "\\\"", "\"" }, { "\\\\", "\\" }, { "\\/", "/" }, { "\\b", "\b" },
    { "\\f", "\f" }, { "\\r", "\r" }, { "\\t", "\t" },
  };
  GRand *r = g_rand_new_with_seed (2026);
  guint n_dirty = 0, n_errors = 0;

  for (guint iter = 0; iter < 6000; iter++)
    {
      GString *body = g_string_new (NULL);   /* the string as JSON, without quotes */
      GString *want = g_string_new (NULL);   /* what it decodes to */
      GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gsize));   /* part boundaries */
      guint want_repl = 0;
      guint nparts = g_rand_int_range (r, 0, g_rand_int_range (r, 0, 4) == 0 ? 200 : 30);
      gboolean with_bad = g_rand_int_range (r, 0, 3) == 0;
      /* Mostly two-byte characters and short ASCII runs (a Cyrillic text),
       * for the reader's 16-byte check of two-byte scripts. */
      gboolean two_byte = g_rand_int_range (r, 0, 3) == 0;
      for (guint k = 0; k < nparts; k++)
        {
          g_array_append_val (cuts, body->len);
          if (with_bad && two_byte && g_rand_int_range (r, 0, 4) == 0)
            {
              const char *b = bad[g_rand_int_range (r, 0, G_N_ELEMENTS (bad))];
              g_string_append (body, b);
              g_string_append (want, b);
              continue;
            }
          switch (g_rand_int_range (r, 0, 10))
            {
            case 0:
              if (with_bad)
                {
                  const char *b = bad[g_rand_int_range (r, 0, G_N_ELEMENTS (bad))];
                  g_string_append (body, b);
                  g_string_append (want, b);
                  break;
                }
              /* fall through */
            case 1:
              {
                guint e = g_rand_int_range (r, 0, G_N_ELEMENTS (simple));
                g_string_append (body, simple[e].json);
                g_string_append (want, simple[e].dec);
                break;
              }
            case 2:
              {
                gunichar c = random_char (r);
                gboolean upper = g_rand_boolean (r);
                if (c >= 0x10000)
                  {
                    append_u_escape (body, 0xD800 + ((c - 0x10000) >> 10), upper);
                    append_u_escape (body, 0xDC00 + ((c - 0x10000) & 0x3FF), upper);
                  }
                else
                  append_u_escape (body, c, upper);
                g_string_append_unichar (want, c);
                break;
              }
            case 3:
              {
                /* \u0000 and lone surrogates: U+FFFD, counted.  A lone high
                 * one is followed by something that is not a low one. */
                guint v;
                switch (g_rand_int_range (r, 0, 3))
                  {
                  case 0: v = 0; break;
                  case 1: v = g_rand_int_range (r, 0xD800, 0xDC00); break;
                  default: v = g_rand_int_range (r, 0xDC00, 0xE000); break;
                  }
                g_string_append_printf (body, "\\u%04x", v);
                g_string_append (want, "\xEF\xBF\xBD");
                want_repl++;
                if (v >= 0xD800 && v < 0xDC00)
                  {
                    const char *after = g_rand_boolean (r) ? "x" : "\\u0041";
                    g_string_append (body, after);
                    g_string_append_c (want, after[0] == 'x' ? 'x' : 'A');
                  }
                break;
              }
            case 4:
            case 5:
              {
                guint n = g_rand_int_range (r, 0, two_byte ? 3 : 40);
                for (guint i = 0; i < n; i++)
                  {
                    char c = (char) g_rand_int_range (r, 0x20, 0x7F);
                    if (c == '"' || c == '\\')
                      c = ' ';
                    g_string_append_c (body, c);
                    g_string_append_c (want, c);
                  }
                break;
              }
            default:
              {
                gunichar c = random_char (r);
                if (two_byte)
                  for (guint i = g_rand_int_range (r, 0, 12); i > 0; i--)
                    {
                      gunichar t = g_rand_boolean (r) ? (gunichar) g_rand_int_range (r, 0x400, 0x500)
                                                      : (gunichar) g_rand_int_range (r, 0x80, 0x800);
                      g_string_append_unichar (body, t);
                      g_string_append_unichar (want, t);
                    }
                if (c < 0x20 || c == '"' || c == '\\')
                  g_string_append_printf (body, "\\u%04x", c);
                else
                  g_string_append_unichar (body, c);
                g_string_append_unichar (want, c);
                break;
              }
            }
        }
      g_array_append_val (cuts, body->len);

      const char *head = g_rand_boolean (r) ? "{\"id\":\"a\",\"text\":" : "{\"text\" : ";
      gsize col0 = strlen (head) + 1;          /* column of the opening quote */
      char *expect_error = NULL;
      if (g_rand_int_range (r, 0, 6) == 0)
        {
          gsize at = g_array_index (cuts, gsize, g_rand_int_range (r, 0, cuts->len));
          guint kind = g_rand_int_range (r, 0, 4);
          if (kind == 3)
            {
              g_string_truncate (body, at);    /* the line ends inside the string */
              expect_error = g_strdup_printf ("unterminated string at column %" G_GSIZE_FORMAT, col0);
            }
          else
            {
              static const char *const inject[] = { "\x01", "\\q", "\\u12G4" };
              guchar ctl = (guchar) g_rand_int_range (r, 1, 0x20);
              char ctl_s[2] = { (char) ctl, '\0' };
              g_string_insert (body, at, kind == 0 ? ctl_s : inject[kind]);
              gsize col = col0 + 1 + at;
              if (kind == 0)
                expect_error = g_strdup_printf ("control character U+%04X in a string (must be "
                                                "escaped) at column %" G_GSIZE_FORMAT, ctl, col);
              else if (kind == 1)
                expect_error = g_strdup_printf ("invalid escape '\\' followed by 'q' at column %"
                                                G_GSIZE_FORMAT, col);
              else
                expect_error = g_strdup_printf ("invalid \\u escape (four hex digits expected) at "
                                                "column %" G_GSIZE_FORMAT, col);
            }
        }
      /* Raw invalid UTF-8 in the short strings too (id, a meta key, a
       * value, a list item): replaced there by the reader, and counted. */
      const char *sbad[4];
      GString *sclean[4];
      for (guint k = 0; k < 4; k++)
        {
          sbad[k] = with_bad && g_rand_boolean (r) ? bad[g_rand_int_range (r, 0, G_N_ELEMENTS (bad))] : "";
          sclean[k] = g_string_new (NULL);
          want_repl += sluice_utf8_sanitize (sbad[k], strlen (sbad[k]), sclean[k]);
        }
      g_autofree char *line = expect_error != NULL && g_str_has_prefix (expect_error, "unterminated")
                              ? g_strdup_printf ("%s\"%s", head, body->str)
                              : g_strdup_printf ("%s\"%s\",\"meta\":{\"k%s\":\"v%s\",\"l\":[\"%s\"]},"
                                                 "\"id\":\"i%s\"}", head, body->str, sbad[0],
                                                 sbad[1], sbad[2], sbad[3]);

      Parsed p;
      parse (&p, line, -1);
      if (expect_error != NULL)
        {
          if (p.ok)
            fail_msg ("accepted, expected \"%s\":\n%s", expect_error, line);
          assert_string_equal (p.error->message, expect_error);
          n_errors++;
        }
      else
        {
          if (!p.ok)
            fail_msg ("rejected: %s\n%s", p.error->message, line);
          assert_int_equal (p.text_len, want->len);
          assert_memory_equal (p.text, want->str, want->len);
          assert_int_equal (p.text[p.text_len], '\0');
          assert_int_equal (p.n_replaced, want_repl);
          gboolean glib_clean = g_utf8_validate_len (want->str, want->len, NULL);
          assert_int_equal (p.text_clean, glib_clean);
          n_dirty += !glib_clean;
          g_autofree char *key = g_strconcat ("k", sclean[0]->str, NULL);
          g_autofree char *value = g_strconcat ("v", sclean[1]->str, NULL);
          g_autofree char *id = g_strconcat ("i", sclean[3]->str, NULL);
          assert_string_equal (sluice_attrs_get_string (&p.meta, key), value);
          guint nl = 0;
          const char *const *l = sluice_attrs_get_string_list (&p.meta, "l", &nl);
          assert_int_equal (nl, 1);
          assert_string_equal (l[0], sclean[2]->str);
          assert_string_equal (p.id, id);
        }
      parsed_clear (&p);
      g_free (expect_error);
      for (guint k = 0; k < 4; k++)
        g_string_free (sclean[k], TRUE);
      g_array_unref (cuts);
      g_string_free (body, TRUE);
      g_string_free (want, TRUE);
    }
  /* The generator reached both kinds. */
  assert_true (n_dirty > 100);
  assert_true (n_errors > 100);
  g_rand_free (r);

  /* One bad byte at every position of a two-byte text, behind 0..3 ASCII
   * bytes (every place in a 16-byte block, the last one included). */
  static const char *const strays[] = { "\x80", "\xbf", "\xd0", "\xc1", "\xe0", "\"", "\\u00e9" };
  for (guint lead_in = 0; lead_in < 4; lead_in++)
    for (guint k = 0; k <= 48; k += 2)
      for (guint st = 0; st < G_N_ELEMENTS (strays); st++)
        {
          GString *body = g_string_new (NULL);
          for (guint i = 0; i < lead_in; i++)
            g_string_append_c (body, 'a');
          for (guint i = 0; i < 32; i++)
            {
              if (2 * i == k)
                g_string_append (body, strays[st]);
              g_string_append (body, i % 5 == 4 ? " д" : "\xd0\xb4");   /* "д" */
            }
          g_autofree char *line = g_strdup_printf ("{\"text\":\"%s\",\"id\":\"x\"}", body->str);
          Parsed p;
          parse (&p, line, -1);
          if (st == 5)
            {
              assert_false (p.ok);   /* a raw quote ends the string early */
              parsed_clear (&p);
              g_string_free (body, TRUE);
              continue;
            }
          assert_true (p.ok);
          assert_int_equal (p.n_replaced, 0);
          if (st == 6)
            {
              assert_true (p.text_clean);
              assert_non_null (strstr (p.text, "\xc3\xa9"));
              assert_int_equal (p.text_len, body->len - 4);
            }
          else
            {
              assert_false (p.text_clean);
              assert_int_equal (p.text_len, body->len);
              assert_memory_equal (p.text, body->str, body->len);
            }
          parsed_clear (&p);
          g_string_free (body, TRUE);
        }
}

/* Reader then writer: the text and meta survive unchanged. */
static void
test_read_write_round_trip (void **state)
{
  GRand *r = g_rand_new_with_seed (5);
  for (guint i = 0; i < 2000; i++)
    {
      SluiceDocument *doc = random_document (r, i);
      GString *out = g_string_new (NULL);
      sluice_json_write_document (out, doc, FALSE);
      Parsed p;
      parse (&p, out->str, out->len);
      if (!p.ok)
        fail_msg ("rejected our own output: %s\n%s", p.error->message, out->str);
      assert_string_equal (p.id, doc->id);
      assert_int_equal (p.text_len, doc->len);
      assert_memory_equal (p.text, doc->text, doc->len);
      assert_int_equal (p.meta.n, doc->meta.n);
      for (guint k = 0; k < doc->meta.n; k++)
        {
          GString *a = g_string_new (NULL), *b = g_string_new (NULL);
          sluice_json_append_attr_value (a, &doc->meta.items[k]);
          sluice_json_append_attr_value (b, &p.meta.items[k]);
          assert_string_equal (p.meta.items[k].key, doc->meta.items[k].key);
          /* Same JSON for the same value (raw JSON values keep their text). */
          assert_string_equal (a->str, b->str);
          g_string_free (a, TRUE);
          g_string_free (b, TRUE);
        }
      assert_int_equal (p.extra->len, 0);   /* "source", "annotations" dropped */
      parsed_clear (&p);
      g_string_free (out, TRUE);
      sluice_document_free (doc);
    }
  g_rand_free (r);
}

static void
test_read_huge_line (void **state)
{
  /* A 16 MiB text with escapes every so often. */
  gsize n = 16 << 20;
  GString *line = g_string_sized_new (n + 64);
  g_string_append (line, "{\"id\":\"big\",\"text\":\"");
  for (gsize i = 0; line->len < n; i++)
    g_string_append (line, i % 50 == 0 ? "\\n\\u00e9\\ud83d\\ude00" : "lorem ipsum ");
  g_string_append (line, "\"}");
  Parsed p;
  parse (&p, line->str, line->len);
  assert_true (p.ok);
  assert_true (sluice_utf8_is_clean (p.text, p.text_len));
  assert_true (p.text_len > n / 100 * 95 && p.text_len < n);
  GString *out = g_string_new (NULL);
  SluiceDocument *doc = sluice_document_new_take (p.id, g_strdup ("x"), p.text, p.text_len);
  p.id = p.text = NULL;
  sluice_json_write_document (out, doc, FALSE);
  assert_non_null (strstr (out->str, "\\né😀lorem"));
  g_string_free (out, TRUE);
  sluice_document_free (doc);
  parsed_clear (&p);
  g_string_free (line, TRUE);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_utf8_sanitize_table),
    cmocka_unit_test (test_utf8_random_vs_glib),
    cmocka_unit_test (test_utf8_long_runs),
    cmocka_unit_test (test_write_string_escapes),
    cmocka_unit_test (test_write_string_fast_paths),
    cmocka_unit_test (test_write_many_annotations_offsets),
    cmocka_unit_test (test_write_shared_strings),
    cmocka_unit_test (test_write_doubles),
    cmocka_unit_test (test_write_document_shape),
    cmocka_unit_test (test_write_empty_text),
    cmocka_unit_test (test_write_meta_all_types),
    cmocka_unit_test (test_write_views_and_extra),
    cmocka_unit_test (test_write_random_documents),
    cmocka_unit_test (test_read_basic),
    cmocka_unit_test (test_read_unicode_escapes),
    cmocka_unit_test (test_read_meta_types),
    cmocka_unit_test (test_read_extra_members),
    cmocka_unit_test (test_read_malformed),
    cmocka_unit_test (test_read_random_vs_glib),
    cmocka_unit_test (test_read_text_one_pass),
    cmocka_unit_test (test_read_write_round_trip),
    cmocka_unit_test (test_read_huge_line),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
