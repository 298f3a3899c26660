/* Unit tests: typed attrs, documents and annotations, rewrites and the
 * projection of annotations (against a brute-force model). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "internal.h"

static void
test_attrs_types (void **state)
{
  SluiceAttrs a;
  sluice_attrs_init (&a);
  sluice_attrs_set_string (&a, "s", "x");
  sluice_attrs_set_int (&a, "i", -5);
  sluice_attrs_set_double (&a, "d", 0.25);
  sluice_attrs_set_bool (&a, "b", TRUE);
  sluice_attrs_set_null (&a, "n");
  const char *l[] = { "p", "q", NULL };
  sluice_attrs_set_string_list (&a, "l", l, -1);
  sluice_attrs_set_json (&a, "j", "{\"k\":[1,2]}");
  assert_int_equal (sluice_attrs_size (&a), 7);
  assert_string_equal (sluice_attrs_get_string (&a, "s"), "x");
  assert_int_equal (sluice_attrs_get_int (&a, "i", 0), -5);
  assert_true (sluice_attrs_get_double (&a, "i", 0) == -5.0);
  assert_true (sluice_attrs_get_double (&a, "d", 0) == 0.25);
  assert_true (sluice_attrs_get_bool (&a, "b", FALSE));
  assert_int_equal (sluice_attrs_get_type (&a, "n"), SLUICE_VALUE_NULL);
  assert_int_equal (sluice_attrs_get_type (&a, "missing"), SLUICE_VALUE_NONE);
  assert_null (sluice_attrs_get_string (&a, "i"));
  guint n = 0;
  const char *const *got = sluice_attrs_get_string_list (&a, "l", &n);
  assert_int_equal (n, 2);
  assert_string_equal (got[1], "q");
  assert_string_equal (sluice_attrs_get_json (&a, "j"), "{\"k\":[1,2]}");
  /* Replacing keeps the position; removing closes the gap. */
  sluice_attrs_set_string (&a, "i", "now a string");
  assert_string_equal (sluice_attrs_key_at (&a, 1), "i");
  assert_string_equal (sluice_attrs_get_string (&a, "i"), "now a string");
  assert_true (sluice_attrs_remove (&a, "s"));
  assert_false (sluice_attrs_remove (&a, "s"));
  assert_string_equal (sluice_attrs_key_at (&a, 0), "i");
  sluice_attrs_append_string (&a, "l", "r");
  sluice_attrs_append_string (&a, "new", "first");
  assert_int_equal (g_strv_length ((char **) sluice_attrs_get_string_list (&a, "l", NULL)), 3);
  assert_string_equal (sluice_attrs_get_string_list (&a, "new", NULL)[0], "first");
  /* Setting a string from a pointer into its own old value. */
  sluice_attrs_set_string (&a, "i", sluice_attrs_get_string (&a, "i") + 4);
  assert_string_equal (sluice_attrs_get_string (&a, "i"), "a string");
  sluice_attrs_clear (&a);
}

/* sluice_attrs_set_static_string: what set_string would store, by the
 * caller's pointers; many distinct pointers (more than the per-thread slots,
 * so that slots are shared and overwritten) keep their own values; a value
 * that changes behind its pointer is seen after sluice_attrs_forget_static,
 * which the core calls when a stage instance is destroyed. */
#define N_STATIC 5000

static void
test_attrs_static_strings (void **state)
{
  (void) state;
  static char values[N_STATIC][16];
  static char keys[64][8];
  for (guint i = 0; i < N_STATIC; i++)
    g_snprintf (values[i], sizeof values[i], "v%u", i);
  for (guint k = 0; k < 64; k++)
    g_snprintf (keys[k], sizeof keys[k], "k%u", k);

  for (guint round = 0; round < 3; round++)   /* round 0 fills the slots, 1-2 hit */
    for (guint i = 0; i < N_STATIC; i++)
      {
        SluiceAttrs a;
        sluice_attrs_init (&a);
        const char *key = keys[(i * 7 + round) % 64];
        sluice_attrs_set_int (&a, "first", 1);
        sluice_attrs_set_static_string (&a, key, values[i]);
        sluice_attrs_set_static_string (&a, "lit", "a literal");
        assert_int_equal (sluice_attrs_size (&a), 3);
        assert_string_equal (sluice_attrs_key_at (&a, 1), key);
        assert_string_equal (sluice_attrs_get_string (&a, key), values[i]);
        assert_string_equal (sluice_attrs_get_string (&a, "lit"), "a literal");
        /* The document's copy, not the caller's pointer: the shared ones. */
        assert_ptr_not_equal (sluice_attrs_get_string (&a, key), values[i]);
        const SluiceAttr *at = sluice_attrs_lookup (&a, "lit");
        assert_false (at->key_owned);
        assert_true (at->value_shared);
        /* Replacing keeps the position, also across the two setters. */
        sluice_attrs_set_static_string (&a, "first", values[(i + 1) % N_STATIC]);
        assert_string_equal (sluice_attrs_key_at (&a, 0), "first");
        assert_string_equal (sluice_attrs_get_string (&a, "first"), values[(i + 1) % N_STATIC]);
        sluice_attrs_set_string (&a, key, "plain");
        assert_string_equal (sluice_attrs_get_string (&a, key), "plain");
        sluice_attrs_clear (&a);
      }

  /* Same JSON as set_string, for a value that needs escaping too. */
  SluiceAttrs s, t;
  sluice_attrs_init (&s);
  sluice_attrs_init (&t);
  static const char quoted[] = "say \"hi\"\t\\ ünï";
  sluice_attrs_set_static_string (&s, "q", quoted);
  sluice_attrs_set_static_string (&s, "q2", quoted);
  sluice_attrs_set_string (&t, "q", quoted);
  sluice_attrs_set_string (&t, "q2", quoted);
  GString *js = g_string_new (NULL), *jt = g_string_new (NULL);
  sluice_json_append_attrs (js, &s);
  sluice_json_append_attrs (jt, &t);
  assert_string_equal (js->str, jt->str);
  g_string_free (js, TRUE);
  g_string_free (jt, TRUE);
  sluice_attrs_clear (&t);

  /* Not valid UTF-8, too long for the shared table, NULL: as set_string. */
  static const char bad[] = "a\xff" "b";
  sluice_attrs_set_static_string (&s, "bad", bad);
  assert_string_equal (sluice_attrs_get_string (&s, "bad"), "a\xef\xbf\xbd" "b");
  sluice_attrs_set_static_string (&s, "bad", bad);
  assert_string_equal (sluice_attrs_get_string (&s, "bad"), "a\xef\xbf\xbd" "b");
  static const char longv[] = "a value longer than the forty-eight bytes that the shared table keeps";
  sluice_attrs_set_static_string (&s, "long", longv);
  sluice_attrs_set_static_string (&s, "long", longv);
  assert_string_equal (sluice_attrs_get_string (&s, "long"), longv);
  sluice_attrs_set_static_string (&s, "long", NULL);
  assert_int_equal (sluice_attrs_get_type (&s, "long"), SLUICE_VALUE_NULL);

  /* An instance destroyed, another one whose string sits at the same
   * address: the new content, not the remembered one. */
  static char reused[16] = "before";
  sluice_attrs_set_static_string (&s, "r", reused);
  assert_string_equal (sluice_attrs_get_string (&s, "r"), "before");
  sluice_attrs_forget_static ();
  strcpy (reused, "after");
  sluice_attrs_set_static_string (&s, "r", reused);
  assert_string_equal (sluice_attrs_get_string (&s, "r"), "after");
  sluice_attrs_clear (&s);
}

/* The per-thread caches in front of the shared key and value tables are
 * found by the caller's pointer and checked by content: a buffer reused with
 * one byte changed, at every position and length, must not get the old
 * string back. */
static void
test_attrs_reused_buffer (void **state)
{
  SluiceAttrs a;
  sluice_attrs_init (&a);
  char buf[64];
  for (gsize len = 1; len <= 50; len++)
    {
      for (gsize pos = 0; pos < len; pos++)
        {
          memset (buf, 'a', len);
          buf[len] = '\0';
          sluice_attrs_set_string_len (&a, "v", buf, len);
          assert_string_equal (sluice_attrs_get_string (&a, "v"), buf);
          buf[pos] = 'b';
          sluice_attrs_set_string_len (&a, "v", buf, len);
          assert_string_equal (sluice_attrs_get_string (&a, "v"), buf);

          /* Keys likewise: a changed key is another key. */
          SluiceAttrs k;
          sluice_attrs_init (&k);
          buf[pos] = 'a';
          sluice_attrs_set_int (&k, buf, 1);
          buf[pos] = 'b';
          sluice_attrs_set_int (&k, buf, 2);
          assert_int_equal (sluice_attrs_size (&k), 2);
          assert_string_equal (sluice_attrs_key_at (&k, 1), buf);
          assert_int_equal (sluice_attrs_get_int (&k, buf, 0), 2);
          sluice_attrs_clear (&k);
        }
      /* Same bytes, one longer, then one shorter. */
      memset (buf, 'a', len + 1);
      buf[len] = '\0';
      sluice_attrs_set_string_len (&a, "v", buf, len);
      buf[len] = 'a';
      buf[len + 1] = '\0';
      sluice_attrs_set_string_len (&a, "v", buf, len + 1);
      assert_string_equal (sluice_attrs_get_string (&a, "v"), buf);
      buf[len] = '\0';
      sluice_attrs_set_string_len (&a, "v", buf, len);
      assert_string_equal (sluice_attrs_get_string (&a, "v"), buf);
    }
  sluice_attrs_clear (&a);
}

/* Keys beyond the shared key table are owned by their map and still behave
 * like any other key (input documents may bring unboundedly many). */
static void
test_attrs_many_distinct_keys (void **state)
{
  for (guint i = 0; i < 10000; i++)
    {
      SluiceAttrs a;
      sluice_attrs_init (&a);
      char key[32];
      g_snprintf (key, sizeof key, "key-%u", i);
      sluice_attrs_set_int (&a, key, i);
      sluice_attrs_set_int (&a, "common", 1);
      char again[32];
      g_snprintf (again, sizeof again, "key-%u", i);   /* another buffer, same text */
      sluice_attrs_set_int (&a, again, i + 1);
      assert_int_equal (sluice_attrs_size (&a), 2);
      assert_int_equal (sluice_attrs_get_int (&a, key, 0), i + 1);
      assert_true (sluice_attrs_remove (&a, again));
      assert_int_equal (sluice_attrs_size (&a), 1);
      sluice_attrs_clear (&a);
    }
}

static void
test_document_sanitises_input (void **state)
{
  const char raw[] = "ok\0bad\xff\xfe end";
  SluiceDocument *d = sluice_document_new ("id1", raw, sizeof raw - 1);
  gsize len;
  const char *t = sluice_document_get_text (d, &len);
  assert_true (g_utf8_validate (t, (gssize) len, NULL));
  assert_int_equal (strlen (t), len);
  assert_non_null (strstr (t, "ok\xef\xbf\xbd" "bad"));
  const char *const *w = sluice_attrs_get_string_list (sluice_document_get_meta (d), "warnings", NULL);
  assert_non_null (w);
  assert_non_null (strstr (w[0], "3 invalid"));
  sluice_document_free (d);
}

static void
test_annotation_spans_are_checked (void **state)
{
  SluiceDocument *d = sluice_document_new ("x", "Žal a", -1);  /* Ž is 2 bytes */
  assert_non_null (sluice_document_add_annotation (d, "T", 0, 2));
  assert_null (sluice_document_add_annotation (d, "T", 1, 3));   /* inside Ž */
  assert_null (sluice_document_add_annotation (d, "T", 3, 2));   /* reversed */
  assert_null (sluice_document_add_annotation (d, "T", 0, 99));  /* past the end */
  assert_int_equal (sluice_document_get_n_annotations (d), 1);
  SluiceAnnotation *a = sluice_document_find_annotation (d, "T", "Ž");
  assert_non_null (a);
  g_autofree char *txt = sluice_annotation_dup_text (d, a);
  assert_string_equal (txt, "Ž");
  sluice_document_free (d);
}

/* --------------------------------------------------------------- rewrites */

static void
test_rewrite_basic_projection (void **state)
{
  /* "Hello   big  world" -> "Hello big world", annotations follow. */
  SluiceDocument *d = sluice_document_new ("x", "Hello   big  world", -1);
  sluice_document_set_keep_views (d, TRUE);
  SluiceAnnotation *big = sluice_document_add_annotation (d, "W", 8, 11);
  SluiceAnnotation *world = sluice_document_add_annotation (d, "W", 13, 18);
  sluice_document_add_annotation (d, "SPACE", 5, 8);   /* "   " */
  SluiceRewriter *rw = sluice_rewriter_new (d);
  sluice_rewriter_keep (rw, 5);
  sluice_rewriter_replace (rw, 8, " ", 1);
  sluice_rewriter_keep (rw, 11);
  sluice_rewriter_replace (rw, 13, " ", 1);
  assert_true (sluice_rewriter_commit (rw, NULL));
  assert_string_equal (sluice_document_get_text (d, NULL), "Hello big world");
  assert_int_equal (sluice_annotation_get_start (big), 6);
  assert_int_equal (sluice_annotation_get_end (big), 9);
  assert_int_equal (sluice_annotation_get_start (world), 10);
  assert_int_equal (sluice_annotation_get_end (world), 15);
  SluiceAnnotation *sp = sluice_document_find_annotation (d, "SPACE", NULL);
  assert_int_equal (sluice_annotation_get_start (sp), 5);
  assert_int_equal (sluice_annotation_get_end (sp), 6);   /* widened to the group */
  assert_int_equal (sluice_document_get_n_views (d), 1);
  assert_string_equal (sluice_document_get_view_text (d, 0), "Hello   big  world");
  sluice_document_free (d);
}

static void
test_rewrite_drops_and_clamps (void **state)
{
  SluiceDocument *d = sluice_document_new ("x", "keep JUNK keep", -1);
  sluice_document_add_annotation (d, "INSIDE", 5, 9);     /* JUNK: dropped */
  sluice_document_add_annotation (d, "PARTLY", 0, 7);     /* "keep JU": clamped to "keep " */
  SluiceRewriter *rw = sluice_rewriter_new (d);
  sluice_rewriter_keep (rw, 5);
  sluice_rewriter_delete (rw, 10);
  assert_true (sluice_rewriter_commit (rw, NULL));
  assert_string_equal (sluice_document_get_text (d, NULL), "keep keep");
  assert_null (sluice_document_find_annotation (d, "INSIDE", NULL));
  assert_non_null (sluice_document_find_annotation (d, "PARTLY", "keep "));
  sluice_document_free (d);
}

static void
test_rewrite_rejects_misuse (void **state)
{
  SluiceDocument *d = sluice_document_new ("x", "aЖb", -1);
  SluiceRewriter *rw = sluice_rewriter_new (d);
  sluice_rewriter_keep (rw, 2);              /* inside Ж */
  GError *e = NULL;
  assert_false (sluice_rewriter_commit (rw, &e));
  assert_non_null (strstr (e->message, "inside a UTF-8 character"));
  g_clear_error (&e);
  rw = sluice_rewriter_new (d);
  sluice_rewriter_replace (rw, 1, "\xff", 1);
  assert_false (sluice_rewriter_commit (rw, &e));
  assert_non_null (strstr (e->message, "not valid UTF-8"));
  g_clear_error (&e);
  rw = sluice_rewriter_new (d);
  sluice_rewriter_keep (rw, 3);
  sluice_rewriter_keep (rw, 1);              /* backwards */
  assert_false (sluice_rewriter_commit (rw, &e));
  g_clear_error (&e);
  assert_string_equal (sluice_document_get_text (d, NULL), "aЖb");
  sluice_document_free (d);
}

/* The brute-force model: every old byte and every new byte carries the id of
 * the piece it belongs to (each kept byte its own id; a replaced group one
 * id shared by its old and new bytes; an insert new bytes only; a delete old
 * bytes only).  A projected annotation is the smallest span covering every
 * new byte whose id appears among its old bytes; none: the annotation is gone. */
static const char *const alphabet[] = { "a", "b", " ", "\n", "é", "€", "𝄞", "Ж" };

static void
random_chars (GRand *r, GString *s, int n)
{
  for (int i = 0; i < n; i++)
    g_string_append (s, alphabet[g_rand_int_range (r, 0, G_N_ELEMENTS (alphabet))]);
}

static void
test_rewrite_random_against_model (void **state)
{
  GRand *r = g_rand_new_with_seed (20261123);
  for (int iter = 0; iter < 5000; iter++)
    {
      GString *old = g_string_new (NULL);
      random_chars (r, old, g_rand_int_range (r, 0, 25));
      /* Character boundaries of the old text. */
      GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gsize));
      for (const char *p = old->str;; p = g_utf8_next_char (p))
        {
          gsize b = (gsize) (p - old->str);
          g_array_append_val (bounds, b);
          if (*p == '\0')
            break;
        }
      guint nchars = bounds->len - 1;
      SluiceDocument *d = sluice_document_new ("r", old->str, (gssize) old->len);
      int nann = g_rand_int_range (r, 0, 8);
      gsize *as = g_new (gsize, nann + 1), *ae = g_new (gsize, nann + 1);
      for (int k = 0; k < nann; k++)
        {
          guint i = (guint) g_rand_int_range (r, 0, (gint32) nchars + 1);
          guint j = (guint) g_rand_int_range (r, 0, (gint32) nchars + 1);
          if (i > j) { guint t = i; i = j; j = t; }
          if (i == j)
            j = MIN (i + 1, nchars);
          as[k] = g_array_index (bounds, gsize, i);
          ae[k] = g_array_index (bounds, gsize, j);
          SluiceAnnotation *a = sluice_document_add_annotation (d, "A", as[k], ae[k]);
          sluice_attrs_set_int (sluice_annotation_get_attrs (a), "k", k);
        }
      int *gid_old = g_new0 (int, old->len + 1);
      GArray *gid_new = g_array_new (FALSE, FALSE, sizeof (int));
      GString *expect = g_string_new (NULL);
      int next_id = 1;
      SluiceRewriter *rw = sluice_rewriter_new (d);
      guint c = 0;
      while (c < nchars || g_rand_int_range (r, 0, 4) == 0)
        {
          int op = c < nchars ? g_rand_int_range (r, 0, 4) : 2;
          guint want = (guint) g_rand_int_range (r, 1, 4);   /* MIN evaluates twice */
          guint k = MIN (want, nchars - c);
          gsize ob = g_array_index (bounds, gsize, c);
          if (op == 0)          /* keep */
            {
              gsize oe = g_array_index (bounds, gsize, c + k);
              for (gsize b = ob; b < oe; b++)
                {
                  int id = next_id++;
                  gid_old[b] = id;
                  g_array_append_val (gid_new, id);
                }
              g_string_append_len (expect, old->str + ob, (gssize) (oe - ob));
              sluice_rewriter_keep (rw, oe);
              c += k;
            }
          else if (op == 1 || op == 3)   /* replace (op 3: delete) */
            {
              gsize oe = g_array_index (bounds, gsize, c + k);
              GString *rep = g_string_new (NULL);
              if (op == 1)
                random_chars (r, rep, g_rand_int_range (r, 0, 4));
              int id = next_id++;
              for (gsize b = ob; b < oe; b++)
                gid_old[b] = id;
              for (gsize b = 0; b < rep->len; b++)
                g_array_append_val (gid_new, id);
              g_string_append_len (expect, rep->str, (gssize) rep->len);
              sluice_rewriter_replace (rw, oe, rep->str, (gssize) rep->len);
              g_string_free (rep, TRUE);
              c += k;
            }
          else                  /* insert */
            {
              GString *ins = g_string_new (NULL);
              random_chars (r, ins, g_rand_int_range (r, 1, 4));
              int id = next_id++;
              for (gsize b = 0; b < ins->len; b++)
                g_array_append_val (gid_new, id);
              g_string_append_len (expect, ins->str, (gssize) ins->len);
              sluice_rewriter_insert (rw, ins->str, (gssize) ins->len);
              g_string_free (ins, TRUE);
              if (c >= nchars)
                break;
            }
        }
      GError *ce = NULL;
      if (!sluice_rewriter_commit (rw, &ce))
        fail_msg ("iter %d: commit failed: %s", iter, ce->message);
      gsize nlen;
      const char *nt = sluice_document_get_text (d, &nlen);
      assert_int_equal (nlen, expect->len);
      assert_memory_equal (nt, expect->str, nlen);

      /* Compare every annotation with the model. */
      guint seen = 0;
      for (int k = 0; k < nann; k++)
        {
          gsize ms = G_MAXSIZE, me = 0;
          for (gsize nb = 0; nb < gid_new->len; nb++)
            {
              int id = g_array_index (gid_new, int, nb);
              gboolean in = FALSE;
              for (gsize b = as[k]; b < ae[k] && !in; b++)
                in = gid_old[b] == id;
              if (in)
                {
                  ms = MIN (ms, nb);
                  me = MAX (me, nb + 1);
                }
            }
          SluiceAnnotation *found = NULL;
          for (guint i = 0; i < sluice_document_get_n_annotations (d); i++)
            {
              SluiceAnnotation *a = sluice_document_get_annotation (d, i);
              if (sluice_attrs_get_int (sluice_annotation_get_attrs (a), "k", -1) == k)
                found = a;
            }
          if (ae[k] == as[k])
            continue;   /* zero-width: only an empty text makes one */
          if (ms == G_MAXSIZE)
            {
              if (found)
                fail_msg ("iter %d: annotation %d [%zu,%zu) of '%s' should be gone, is [%zu,%zu) of '%s'",
                          iter, k, as[k], ae[k], old->str, found->start, found->end, nt);
              continue;
            }
          if (found == NULL)
            fail_msg ("iter %d: annotation %d [%zu,%zu) of '%s' dropped, model [%zu,%zu) of '%s'",
                      iter, k, as[k], ae[k], old->str, ms, me, nt);
          if (found->start != ms || found->end != me)
            fail_msg ("iter %d: annotation %d [%zu,%zu) of '%s' -> [%zu,%zu), model [%zu,%zu) of '%s'",
                      iter, k, as[k], ae[k], old->str, found->start, found->end, ms, me, nt);
          /* Offsets land on character boundaries of the new text. */
          assert_true (g_utf8_validate (nt + found->start, (gssize) (found->end - found->start), NULL));
          seen++;
        }
      (void) seen;
      g_free (gid_old);
      g_array_unref (gid_new);
      g_string_free (expect, TRUE);
      g_free (as);
      g_free (ae);
      g_array_unref (bounds);
      g_string_free (old, TRUE);
      sluice_document_free (d);
    }
  g_rand_free (r);
}

/* A stage's bad strings never make the output invalid. */
static void
test_stage_strings_are_made_valid (void **state)
{
  SluiceDocument *d = sluice_document_new ("s", "abc", -1);
  SluiceAnnotation *a = sluice_document_add_annotation (d, "T", 0, 3);
  SluiceAttrs *at = sluice_annotation_get_attrs (a);
  sluice_attrs_set_string (at, "bad", "x\xff\xfey");
  sluice_attrs_set_string (at, "k\xc3", "v");
  const char *list[] = { "ok", "\xe2\x82", NULL };
  sluice_attrs_set_string_list (at, "l", list, -1);
  sluice_attrs_set_json (at, "j", "{\"unterminated\": ");
  sluice_attrs_set_json (at, "ok", "[1, {\"a\": null}]");
  assert_int_equal (sluice_attrs_get_type (at, "j"), SLUICE_VALUE_NULL);
  assert_string_equal (sluice_attrs_get_json (at, "ok"), "[1, {\"a\": null}]");
  assert_true (g_utf8_validate (sluice_attrs_get_string (at, "bad"), -1, NULL));
  assert_null (sluice_document_add_annotation (d, "T\xff", 0, 1));
  char *json = sluice_document_to_json (d);
  assert_true (g_utf8_validate (json, -1, NULL));
  assert_non_null (strstr (json, "\"j\":null"));
  g_free (json);
  sluice_document_free (d);
}

static void
test_document_json_roundtrip_invariant (void **state)
{
  SluiceDocument *d = sluice_document_new ("j", "Ж𝄞 \"q\"\ttab", -1);
  sluice_document_add_annotation (d, "X", 2, 6);   /* 𝄞 */
  char *json = sluice_document_to_json (d);
  assert_non_null (strstr (json, "\"start\":1,\"end\":2"));
  assert_null (strchr (json, '\n'));
  g_free (json);
  sluice_document_free (d);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    /* First: test_attrs_many_distinct_keys fills the process's key table,
     * after which static keys are copied like any other. */
    cmocka_unit_test (test_attrs_static_strings),
    cmocka_unit_test (test_attrs_types),
    cmocka_unit_test (test_attrs_many_distinct_keys),
    cmocka_unit_test (test_attrs_reused_buffer),
    cmocka_unit_test (test_document_sanitises_input),
    cmocka_unit_test (test_annotation_spans_are_checked),
    cmocka_unit_test (test_rewrite_basic_projection),
    cmocka_unit_test (test_rewrite_drops_and_clamps),
    cmocka_unit_test (test_rewrite_rejects_misuse),
    cmocka_unit_test (test_rewrite_random_against_model),
    cmocka_unit_test (test_stage_strings_are_made_valid),
    cmocka_unit_test (test_document_json_roundtrip_invariant),
  };
  return cmocka_run_group_tests_name ("document", tests, NULL, NULL);
}
