/* Unit tests of the entities stage, through the SluiceHarness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sluice/sluice.h>

#include "gazetteer.h"
#include "entities.h"

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static SluiceHarness *
harness (const char *const *opts)
{
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), ENTITIES_DATA_DIR, opts, &error);
  if (!h)
    fail_msg ("harness: %s", error->message);
  return h;
}

static SluiceHarness *shared_h;

static int
setup (void **state)
{
  shared_h = harness (NULL);
  return 0;
}

static int
teardown (void **state)
{
  sluice_harness_free (shared_h);
  return 0;
}

static SluiceDocument *
run (const char *text)
{
  GError *error = NULL;
  SluiceDocument *doc = sluice_harness_run (shared_h, text, &error);
  if (!doc)
    fail_msg ("run: %s", error->message);
  return doc;
}

/* An annotation of `type` covering exactly `text`, or fail. */
static SluiceAnnotation *
expect (SluiceDocument *doc, const char *type, const char *text)
{
  SluiceAnnotation *a = sluice_document_find_annotation (doc, type, text);
  if (!a) {
    char *json = sluice_document_to_json (doc);
    fail_msg ("no %s '%s' in %s", type, text, json);
  }
  return a;
}

static void
expect_none (SluiceDocument *doc, const char *type, const char *text)
{
  if (sluice_document_find_annotation (doc, type, text)) {
    char *json = sluice_document_to_json (doc);
    fail_msg ("unexpected %s '%s' in %s", type ? type : "*", text ? text : "*", json);
  }
}

static const char *
attr (SluiceAnnotation *a, const char *key)
{
  return sluice_attrs_get_string (sluice_annotation_get_attrs (a), key);
}

/* ------------------------------------------------------------ tokeniser */

static void
test_tokens_and_keys (void **state)
{
  const char *s = "  Côte d’Ivoire–BAKU\n";
  gsize pos = 0, st, en;
  guint32 fl;
  GString *norm = g_string_new ("");
  guint n = 0;
  while (gz_next_token (s, strlen (s), &pos, &st, &en, &fl, norm)) {
    g_string_append_c (norm, ' ');
    n++;
  }
  assert_int_equal (n, 6);
  assert_string_equal (norm->str, "côte d ' ivoire - baku ");
  g_string_free (norm, TRUE);
}

/* The process() tokeniser (ASCII fast path) agrees with gz_next_token on every
 * token: spans, flags, normalised form and hash. */
/* The inline country-id test agrees with the strcmp chain it replaced, on
 * the ids it accepts, near misses and every truncation and one-byte change of
 * them. */
static void
test_country_ids (void **state)
{
  (void) state;
  static const char *const ids[] = {
    "", "i", "iso", "iso3166-", "iso3166-1", "iso3166-1:", "iso3166-1:AZ", "iso3166-2:AZ-XCI",
    "iso3166-2:GB-ENG", "iso3166-2:GB-SCT", "iso3166-2:GB-WLS", "iso3166-2:GB-NIR",
    "iso3166-2:GB-ENGX", "iso3166-2:GB-EN", "iso3166-2:GB-", "iso3166-3:GB-ENG",
    "iso3166-11:", "Iso3166-1:X", "iso639:az", "geonames:147774", "demonym:AZ", NULL,
  };
  char buf[32];
  for (guint i = 0; ids[i]; i++) {
    g_assert_true (entities_is_country_id_check (ids[i]));
    gsize n = strlen (ids[i]);
    for (gsize k = 0; k <= n; k++) {
      memcpy (buf, ids[i], k);
      buf[k] = '\0';
      if (!entities_is_country_id_check (buf))
        fail_msg ("id '%s'", buf);
      for (guint c = 1; c < 128 && k < n; c++) {
        memcpy (buf, ids[i], n + 1);
        buf[k] = (char) c;
        if (!entities_is_country_id_check (buf))
          fail_msg ("id '%s'", buf);
      }
    }
  }
}

/* The phrase-end filter in front of phrases_before changes no answer: fixed
 * phrases of the rule file, and random text over their words and others. */
static void
test_phrases_before (void **state)
{
  (void) state;
  const char *rules = ENTITIES_DATA_DIR "/rules.txt";
  static const char *const cases[] = {
    "Deputy Foreign Minister Khalaf Khalafov met Mr. Smith and Dr Who.",
    "Leicestershire beat Somerset; Essex v. Kent; Hull drew with Barnet after a victory over Orrell.",
    "shares in Tramlot rose, an analyst at Kestrel said, the head of State spoke.",
    "MR. X, PRESIDENT Y, the secretary-general of the UN", "", "x", NULL,
  };
  guint total = 0;
  for (guint i = 0; cases[i]; i++) {
    guint found = 0;
    char *why = entities_phrases_check (rules, cases[i], strlen (cases[i]), &found);
    if (why)
      fail_msg ("'%s': %s", cases[i], why);
    total += found;
  }
  /* The fixtures do hold phrases, so a filter that dropped them would show. */
  assert_true (total >= 8);
  static const char *const pieces[] = { "beat", "drew", "with", "victory", "over", "shares",
                                        "in", "analyst", "at", "Mr", ".", "Deputy", "Foreign",
                                        "Minister", "v", "Kent", "the", "of", "head", "State",
                                        "-", "chief", "executive", "\n", "Ж", "’", "MP" };
  GRand *r = g_rand_new_with_seed (11);
  GString *s = g_string_new ("");
  for (guint k = 0; k < 2000; k++) {
    g_string_truncate (s, 0);
    guint n = g_rand_int_range (r, 0, 16);
    for (guint j = 0; j < n; j++) {
      g_string_append (s, pieces[g_rand_int_range (r, 0, G_N_ELEMENTS (pieces))]);
      if (g_rand_int_range (r, 0, 4))
        g_string_append_c (s, ' ');
    }
    guint found = 0;
    char *why = entities_phrases_check (rules, s->str, s->len, &found);
    if (why)
      fail_msg ("'%s': %s", s->str, why);
  }
  g_string_free (s, TRUE);
  g_rand_free (r);
}

static void
test_fast_tokenizer (void **state)
{
  static const char *const cases[] = {
    "", " ", "a", "A", "9", "Hello, World!", "  Côte d’Ivoire–BAKU\n", "Café au lait",
    "naïve résumé", "ABC123 abc123 123 1a2B", "x\n\n\ny\r\n\tz\v\fq", "Ходжалы Khojaly",
    "O'Neill’s\u00a0Al-Hadid", "word\u2014word word\u2019s", "ǅemal İstanbul ß ẞ",
    "tab\tsep\u2028line\u3000ideo", "e\u0301 a\u0308b", "MIXEDcase mixedCASE",
    "\u200bzero\u200bwidth\u00adsoft", "العربية فارسی ქართული Հայաստան", "x#y$z%^&*()",
    "1992-02-25/26", "\x7f\x01ctrl", NULL,
  };
  for (guint i = 0; cases[i]; i++) {
    char *why = entities_tokenizer_check (cases[i], strlen (cases[i]));
    if (why)
      fail_msg ("'%s': %s", cases[i], why);
  }
  /* Random strings over a mixed alphabet. */
  static const char *const pieces[] = { "a", "Z", "q", "7", " ", "\n", "\t", ".", "-", "'",
                                        "é", "É", "ж", "Ж", "’", "—", "\u00a0", "\u0301",
                                        "ფ", "中", "😀", "İ", "\r", "\"", "–", "“", "”",
                                        "€", "«", "©", "\u2028", "\u2026" };
  GRand *r = g_rand_new_with_seed (4);
  GString *s = g_string_new ("");
  /* Short strings, and long ones that cross the tokeniser's 64-byte windows. */
  for (guint k = 0; k < 4000; k++) {
    g_string_truncate (s, 0);
    guint n = g_rand_int_range (r, 0, k < 3000 ? 40 : 400);
    for (guint j = 0; j < n; j++)
      g_string_append (s, pieces[g_rand_int_range (r, 0, G_N_ELEMENTS (pieces))]);
    char *why = entities_tokenizer_check (s->str, s->len);
    if (why)
      fail_msg ("'%s': %s", s->str, why);
  }
  g_string_free (s, TRUE);
  g_rand_free (r);
  /* Every character of the first planes between words, after a word and
   * alone: the fast paths for non-ASCII punctuation take exactly the
   * characters that gz_next_token makes a punctuation token of. */
  for (gunichar u = 0x80; u < 0x3000; u++) {
    char ch[8], buf[64];
    ch[g_unichar_to_utf8 (u, ch)] = '\0';
    for (guint k = 0; k < 4; k++) {
      gsize l = (gsize) (k == 0 ? g_snprintf (buf, sizeof buf, "a %s b", ch)
                         : k == 1 ? g_snprintf (buf, sizeof buf, "Word%s", ch)
                         : k == 2 ? g_snprintf (buf, sizeof buf, "%s", ch)
                                  : g_snprintf (buf, sizeof buf, "\"Q.%s%sX\n", ch, ch));
      char *why = entities_tokenizer_check (buf, l);
      if (!why)
        why = entities_scan_check (buf, l);
      if (why)
        fail_msg ("U+%04X in '%s': %s", u, buf, why);
    }
  }
}

/* The one-pass token scan agrees with the reference computations of line and
 * sentence flags, month names, date and name starts and lower-case words. */
static void
test_scan_tokens (void **state)
{
  static const char *const cases[] = {
    "", "a", "May", "MAY 3", "may", "Sept. 4, 1999", "September 2020 in Jan and DEC",
    "Mayday Marches Junes Sep sep SEPT Septembe", "HULL 0 BARNET 0\nHull 1 Barnet 2\n",
    "He said. She left! Why? Yes: no; \"Quoted\" (Paren) \u201cTypo\u201d Next",
    "ALL CAPS HEADLINE HERE\nnormal line with Words\n\nPara Start", "x\0y Z",
    "Jean-Luc O'Neill J. R. Ewing", "\u0425\u043e\u0434\u0436\u0430\u043b\u044b Khojaly \u10e5\u10d0",
    "1992-02-25 24th 2020-2023 3rd", NULL,
  };
  for (guint i = 0; cases[i]; i++) {
    gsize len = strlen (cases[i]);
    if (i == 11)
      len = 5;   /* with the NUL byte */
    char *why = entities_scan_check (cases[i], len);
    if (why)
      fail_msg ("case %u: %s", i, why);
  }
  static const char *const pieces[] = { "May", "may", "Jan", "JUNE", "sept", "Sept", "march",
                                        "Word", "word", "WORD", "7", "1999", "12th", " ", " ",
                                        "\n", "\n\n", ".", "!", "\"", "(", "-", "'", ",",
                                        "\u201c", "\u00c9t\u00e9", "\u0416", "\u10e4" };
  GRand *r = g_rand_new_with_seed (7);
  GString *s = g_string_new ("");
  /* Short strings, and long ones that cross the tokeniser's 64-byte windows. */
  for (guint k = 0; k < 2500; k++) {
    g_string_truncate (s, 0);
    guint n = g_rand_int_range (r, 0, k < 2000 ? 30 : 300);
    for (guint j = 0; j < n; j++) {
      g_string_append (s, pieces[g_rand_int_range (r, 0, G_N_ELEMENTS (pieces))]);
      if (g_rand_boolean (r))
        g_string_append_c (s, ' ');
    }
    char *why = entities_scan_check (s->str, s->len);
    if (why)
      fail_msg ("'%s': %s", s->str, why);
  }
  /* Documents with more lower-case words than the list is searched for
   * (the hashed set), some of them also written capitalised. */
  static const char *const words[] = { "alpha", "beta", "gamma", "delta", "the", "of", "Alpha",
                                       "Gamma", "Zeta", "zeta", "Omega", "rho", "Rho", "x1" };
  for (guint k = 0; k < 20; k++) {
    g_string_truncate (s, 0);
    guint n = g_rand_int_range (r, 200, 1500);
    for (guint j = 0; j < n; j++) {
      guint w = g_rand_int_range (r, 0, G_N_ELEMENTS (words));
      if (w == 0 && g_rand_int_range (r, 0, 4) == 0)
        g_string_append_printf (s, "w%u ", g_rand_int_range (r, 0, 500));
      else
        g_string_append_printf (s, "%s%s", words[w], g_rand_int_range (r, 0, 9) ? " " : ". ");
    }
    char *why = entities_scan_check (s->str, s->len);
    if (why)
      fail_msg ("long text %u: %s", k, why);
  }
  g_string_free (s, TRUE);
  g_rand_free (r);
}

static void
test_builder_errors (void **state)
{
  GzBuilder *b = gz_builder_new ();
  GError *error = NULL;
  const char *bad = "# comment\nLOCATION\t-\tFoo\nPLANET\t-\tMars\n";
  assert_false (gz_builder_add_text (b, "x.tsv", bad, strlen (bad), &error));
  assert_non_null (strstr (error->message, "x.tsv:3:"));
  g_clear_error (&error);
  const char *bad2 = "LOCATION only-two-fields\n";
  assert_false (gz_builder_add_text (b, "y.tsv", bad2, strlen (bad2), &error));
  assert_non_null (strstr (error->message, "y.tsv:1:"));
  g_clear_error (&error);
  const char *bad3 = "title President\n";
  assert_false (gz_builder_add_rules (b, "r.txt", bad3, strlen (bad3), &error));
  assert_non_null (strstr (error->message, "r.txt:1:"));
  g_clear_error (&error);
  gz_builder_free (b);
}

static void
test_image_checks (void **state)
{
  GzBuilder *b = gz_builder_new ();
  const char *g = "LOCATION\tx:1\tFoo Bar\tFooville\n";
  assert_true (gz_builder_add_text (b, "g", g, strlen (g), NULL));
  GBytes *img = gz_builder_finish (b);
  gsize size;
  const guint8 *data = g_bytes_get_data (img, &size);
  GzTable t;
  assert_true (gz_table_init (&t, data, size, "img", NULL));
  const char *k = "foo bar";
  const GzKey *key = gz_table_lookup (&t, k, strlen (k), gz_key_hash (k, strlen (k)));
  assert_non_null (key);
  assert_string_equal (gz_table_string (&t, t.entities[key->entity].id), "x:1");
  k = "foo";
  key = gz_table_lookup (&t, k, 3, gz_key_hash (k, 3));
  assert_non_null (key);
  assert_true (key->flags & GZ_KEY_PREFIX);
  assert_false (key->flags & GZ_KEY_FULL);
  /* Truncated and version-bumped images are refused. */
  GError *error = NULL;
  assert_false (gz_table_init (&t, data, size - 4, "img", &error));
  g_clear_error (&error);
  guint8 *copy = g_memdup2 (data, size);
  ((GzHeader *) copy)->version = GZ_FORMAT_VERSION + 1;
  assert_false (gz_table_init (&t, copy, size, "img", &error));
  assert_non_null (strstr (error->message, "rebuild"));
  g_clear_error (&error);
  g_free (copy);
  g_bytes_unref (img);
  gz_builder_free (b);
}

/* The image's lookup (hash-carrying slots, a key's first 8 bytes in its record,
 * the one-word filter; the padded-head variant the stage uses) agrees with a
 * linear search of all keys, for every key and for near misses; every key of
 * the bundled image is found as itself. */
static const GzKey *
padded_find (const GzTable *t, const char *key, gsize len)
{
  guint32 h = gz_key_hash (key, len);
  if (!gz_table_maybe (t, h))
    return NULL;
  char *buf = g_malloc0 (len + 16);
  memcpy (buf, key, len);
  const GzKey *k = gz_table_find (t, buf, len, h, gz_key_head_padded (buf, len));
  g_free (buf);
  return k;
}

static void
test_lookup_paths (void **state)
{
  const char *g =
    "LOCATION\tx:1\tFoo Bar\tFooville|Fo|F|Foobarbazquux|Foobarba|Foobarbaz Quux Long Name\n"
    "ORGANIZATION\t-\tGreat Northern Widget Company of Zembla\tGNWC|G N W C\n"
    "PERSON\t-\tAnna-Lena O'Brien\tA. L. O'Brien\n"
    "MISC\t-\t\u0425\u043e\u0434\u0436\u0430\u043b\u044b \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8\n"
    "GIVEN\t-\tAbcdefgh\n";
  GzBuilder *b = gz_builder_new ();
  assert_true (gz_builder_add_text (b, "g", g, strlen (g), NULL));
  GBytes *img = gz_builder_finish (b);
  gsize size;
  const guint8 *data = g_bytes_get_data (img, &size);
  GzTable t;
  assert_true (gz_table_init (&t, data, size, "img", NULL));
  guint found = 0;
  for (guint32 i = 0; i < t.hdr->n_keys; i++) {
    const GzKey *k = &t.keys[i];
    const char *ks = gz_table_string (&t, k->str);
    GString *v = g_string_new (ks);
    /* The key itself, then near misses: one byte changed, cut, extended. */
    for (guint m = 0; m <= v->len + 2; m++) {
      GString *q = g_string_new (ks);
      if (m > 0 && m <= v->len)
        q->str[m - 1] ^= 1;
      else if (m == v->len + 1)
        g_string_truncate (q, q->len > 0 ? q->len - 1 : 0);
      else if (m == v->len + 2)
        g_string_append (q, "x");
      const GzKey *ref = gz_table_lookup_slow (&t, q->str, q->len);
      const GzKey *fast = gz_table_lookup (&t, q->str, q->len, gz_key_hash (q->str, q->len));
      if (ref != fast || padded_find (&t, q->str, q->len) != ref)
        fail_msg ("lookup of '%s' disagrees with the linear search", q->str);
      found += m == 0 && fast == k;
      g_string_free (q, TRUE);
    }
    g_string_free (v, TRUE);
  }
  /* Every key is found by the fast lookup as itself. */
  assert_int_equal (found, t.hdr->n_keys);
  g_bytes_unref (img);
  gz_builder_free (b);

  /* The bundled image. */
  char *path = g_build_filename (ENTITIES_DATA_DIR, "entities.gzt", NULL);
  GMappedFile *mf = g_mapped_file_new (path, FALSE, NULL);
  assert_non_null (mf);
  assert_true (gz_table_init (&t, (const guint8 *) g_mapped_file_get_contents (mf),
                              g_mapped_file_get_length (mf), path, NULL));
  for (guint32 i = 0; i < t.hdr->n_keys; i++) {
    const GzKey *k = &t.keys[i];
    const char *ks = gz_table_string (&t, k->str);
    if (gz_table_lookup (&t, ks, k->len, gz_key_hash (ks, k->len)) != k ||
        padded_find (&t, ks, k->len) != k)
      fail_msg ("bundled key '%s' not found as itself", ks);
    if ((k->flags & GZ_KEY_FULL) && GZ_KEY_CLASS (k) != t.entities[k->entity].cls)
      fail_msg ("bundled key '%s': class %u, entity's %u", ks, GZ_KEY_CLASS (k),
                t.entities[k->entity].cls);
  }
  g_mapped_file_unref (mf);
  g_free (path);
}

/* -------------------------------------------------------------- matcher */

static void
test_gazetteer_match (void **state)
{
  SluiceDocument *doc = run ("Talks in Baku and Tbilisi ended; Turkey and Azerbaijan signed.");
  SluiceAnnotation *a = expect (doc, "LOCATION", "Baku");
  assert_string_equal (attr (a, "id"), "geonames:587084");
  assert_string_equal (attr (a, "source"), "gazetteer");
  expect (doc, "LOCATION", "Tbilisi");
  a = expect (doc, "LOCATION", "Turkey");
  assert_string_equal (attr (a, "id"), "iso3166-1:TR");
  expect (doc, "LOCATION", "Azerbaijan");
  sluice_document_free (doc);
}

static void
test_case_rules (void **state)
{
  SluiceDocument *doc = run ("We ate turkey with friends. TURKEY AND GREECE MEET IN ATHENS");
  expect_none (doc, "LOCATION", "turkey");
  expect (doc, "LOCATION", "TURKEY");
  expect (doc, "LOCATION", "GREECE");
  expect (doc, "LOCATION", "ATHENS");
  sluice_document_free (doc);
  /* An acronym needs capitals: "us" is no country. */
  doc = run ("Tell us about the US economy.");
  expect_none (doc, NULL, "us");
  expect (doc, "LOCATION", "US");
  sluice_document_free (doc);
}

static void
test_longest_match (void **state)
{
  SluiceDocument *doc = run ("The UN Security Council met. Delegates of the United Arab Emirates spoke.");
  expect (doc, "ORGANIZATION", "UN Security Council");
  expect_none (doc, "ORGANIZATION", "UN");
  expect (doc, "LOCATION", "United Arab Emirates");
  sluice_document_free (doc);
}

static void
test_scripts_one_id (void **state)
{
  const char *forms[] = { "Khojaly", "Xocalı", "Khodzhaly", "Ходжалы", "Խոջալու" };
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++) {
    char *text = g_strdup_printf ("Residents of %s remember.", forms[i]);
    SluiceDocument *doc = run (text);
    SluiceAnnotation *a = expect (doc, "LOCATION", forms[i]);
    assert_string_equal (attr (a, "id"), "geonames:147774");
    assert_string_equal (attr (a, "norm"), "Khojaly");
    sluice_document_free (doc);
    g_free (text);
  }
  SluiceDocument *doc = run ("Встреча прошла в Баку, а затем в Тбилиси.");
  expect (doc, "LOCATION", "Баку");
  sluice_document_free (doc);
}

/* ---------------------------------------------------------------- rules */

typedef struct {
  const char *text;
  const char *type;
  const char *span;
  const char *not_span;   /* must not be tagged as anything (NULL: no check) */
} RuleCase;

static const RuleCase rule_cases[] = {
  { "Deputy Foreign Minister Khalaf Khalafov arrived.", "PERSON", "Khalaf Khalafov", "Deputy Foreign Minister Khalaf Khalafov" },
  { "President Zorblat Quenton spoke.", "PERSON", "Zorblat Quenton", "President Zorblat Quenton" },
  { "Talks with Mr. Vrontok ended.", "PERSON", "Vrontok", "Mr. Vrontok" },
  { "yesterday spokesman Trelvin Osk said so.", "PERSON", "Trelvin Osk", NULL },
  { "A letter from Margaret Wexlerbee arrived.", "PERSON", "Margaret Wexlerbee", NULL },
  { "The Zandor Heritage Foundation opened.", "ORGANIZATION", "Zandor Heritage Foundation", NULL },
  { "A Kelvaro Youth Committee report.", "ORGANIZATION", "Kelvaro Youth Committee", NULL },
  { "The Drovan Council met.", "ORGANIZATION", "Drovan Council", NULL },
  { "The Supreme Court of Drovania ruled.", "ORGANIZATION", "Supreme Court of Drovania", NULL },
  { "The Ministry of Foreign Affairs said.", "ORGANIZATION", "Ministry of Foreign Affairs", NULL },
  { "The Organization of Quendi States met.", "ORGANIZATION", "Organization of Quendi States", NULL },
  { "The Velorian Parliament voted.", "ORGANIZATION", "Velorian Parliament", NULL },
  { "Deputies of the Milli Majlis voted.", "ORGANIZATION", "Milli Majlis", NULL },
  { "The 366th Kestrel Regiment advanced.", "ORGANIZATION", "Kestrel Regiment", NULL },
  { "Envoys of the Republic of Zembla met.", "LOCATION", "Republic of Zembla", NULL },
  { "After the Treaty of Velmont was signed.", "MISC", "Treaty of Velmont", NULL },
  { "Armenian-Azerbaijani talks resumed.", "MISC", "Armenian-Azerbaijani", NULL },
  { "the \"Justice for Khojaly\" campaign", "MISC", "Justice for Khojaly", NULL },
};

static void
test_rules (void **state)
{
  for (guint i = 0; i < G_N_ELEMENTS (rule_cases); i++) {
    const RuleCase *c = &rule_cases[i];
    SluiceDocument *doc = run (c->text);
    SluiceAnnotation *a = expect (doc, c->type, c->span);
    assert_string_equal (attr (a, "source"), strcmp (c->type, "ORGANIZATION") == 0 &&
                         strcmp (c->span, "Milli Majlis") == 0 ? "gazetteer" : "rule");
    if (c->not_span)
      expect_none (doc, NULL, c->not_span);
    sluice_document_free (doc);
  }
}

/* Organisations from context: text, type, span with that type, a span that
 * must NOT have that type (or NULL), and the source of the first span. */
typedef struct {
  const char *text, *type, *span, *not_span, *source;
} OrgCase;

static const OrgCase org_cases[] = {
  /* Teams named after places, by a cue between, before or after. */
  { "Ganja beat Sumgait by an innings.", "ORGANIZATION", "Ganja", NULL, "rule" },
  { "Ganja beat Sumgait by an innings.", "ORGANIZATION", "Sumgait", NULL, "rule" },
  { "Later Ganja drew with Marlow at home.", "ORGANIZATION", "Marlow", NULL, "rule" },
  { "A 3-1 victory over Marlow lifted them.", "ORGANIZATION", "Marlow", NULL, "rule" },
  { "The Marlow striker scored twice.", "ORGANIZATION", "Marlow", NULL, "rule" },
  /* A country stays a place (national teams). */
  { "Azerbaijan beat Marlow 2-0.", "LOCATION", "Azerbaijan", "Azerbaijan", "gazetteer" },
  { "England beat Marlow 2-0.", "LOCATION", "England", NULL, "gazetteer" },
  /* Results and standings lines: a name followed by a score. */
  { "Results:\nMarlow 2 Trevick 1\nQuellby 0 Ganja 0\n", "ORGANIZATION", "Quellby", NULL, "rule" },
  { "Results:\nMarlow 2 Trevick 1\nQuellby 0 Ganja 0\n", "ORGANIZATION", "Ganja", NULL, "rule" },
  { "Standings:\nZarvex 4 3 1 0 9 2 10\n", "ORGANIZATION", "Zarvex", NULL, "rule" },
  /* ... but not in a sentence, and not a person's score. */
  { "In Ganja 5 people were hurt on Monday.", "LOCATION", "Ganja", "Ganja", "gazetteer" },
  /* A fixture line. */
  { "Schedule\nGANJA AT MARLOW\n", "ORGANIZATION", "MARLOW", NULL, "rule" },
  /* A city and a plural nickname. */
  { "The Marlow Gryphons won again.", "ORGANIZATION", "Marlow Gryphons", NULL, "rule" },
  /* Companies by their legal form; "and" separates two of them. */
  { "Veltrona AG said profits rose.", "ORGANIZATION", "Veltrona AG", NULL, "rule" },
  { "Marvex Corp. fell while Dunwell Co. rose.", "ORGANIZATION", "Dunwell Co.", NULL, "rule" },
  { "Tramlot SA and Kestrel Holdings agreed.", "ORGANIZATION", "Tramlot SA", "Tramlot SA and Kestrel Holdings", "rule" },
  { "Tramlot SA and Kestrel Holdings agreed.", "ORGANIZATION", "Kestrel Holdings", NULL, "rule" },
  { "The Ministry of Culture and Tourism said.", "ORGANIZATION", "Ministry of Culture and Tourism", NULL, "rule" },
  /* Companies known by their cues (names in no list). */
  { "Shares in Veltrona rose 4 percent.", "ORGANIZATION", "Veltrona", NULL, "rule" },
  { "Veltrona shares rose 4 percent.", "ORGANIZATION", "Veltrona", NULL, "rule" },
  { "Quorbin 's board met on Tuesday.", "ORGANIZATION", "Quorbin", NULL, "rule" },
  { "said an analyst at Brastow Kimmel in London.", "ORGANIZATION", "Brastow Kimmel", NULL, "rule" },
  { "the mineral water firm Multavo said.", "ORGANIZATION", "Multavo", NULL, "rule" },
  { "the Zavrenski news agency reported.", "ORGANIZATION", "Zavrenski", NULL, "rule" },
  /* Unlisted acronyms outside headlines, except listed non-organisations. */
  { "He defended his QBF title on Friday.", "ORGANIZATION", "QBF", NULL, "rule" },
  { "The CEO resigned and GDP fell.", "ORGANIZATION", NULL, "CEO", NULL },
  { "The CEO resigned and GDP fell.", "ORGANIZATION", NULL, "GDP", NULL },
  /* Document consistency: the team's other mentions follow. */
  { "Ganja beat Sumgait.\nSumgait are now fourth.", "ORGANIZATION", "Sumgait", NULL, NULL },
};

static void
test_org_context (void **state)
{
  for (guint i = 0; i < G_N_ELEMENTS (org_cases); i++) {
    const OrgCase *c = &org_cases[i];
    SluiceDocument *doc = run (c->text);
    if (c->source) {
      SluiceAnnotation *a = expect (doc, c->type, c->span);
      assert_string_equal (attr (a, "source"), c->source);
    }
    if (c->not_span)
      expect_none (doc, "ORGANIZATION", c->not_span);
    sluice_document_free (doc);
  }
  /* Every mention of a team named in a sports context is an organisation. */
  SluiceDocument *doc = run ("Ganja beat Sumgait by 39 runs.\nSumgait had won in May, "
                             "and Sumgait fans were quiet.");
  guint n = 0;
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++) {
    SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
    char *t = sluice_annotation_dup_text (doc, a);
    if (strcmp (t, "Sumgait") == 0) {
      assert_string_equal (sluice_annotation_get_type (a), "ORGANIZATION");
      n++;
    }
    g_free (t);
  }
  assert_int_equal (n, 3);
  sluice_document_free (doc);
  /* A person named by the first name keeps being a person. */
  doc = run ("Jansuar Khelm won the final. Jansuar beat Ganja 3-0.");
  expect (doc, "PERSON", "Jansuar");
  sluice_document_free (doc);
}

static void
test_acronym_alias (void **state)
{
  SluiceDocument *doc = run ("The Quorvan Development Agency (QDA) was founded. Later QDA grew.");
  expect (doc, "ORGANIZATION", "Quorvan Development Agency");
  guint n = 0;
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++) {
    SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
    char *t = sluice_annotation_dup_text (doc, a);
    if (strcmp (t, "QDA") == 0) {
      assert_string_equal (sluice_annotation_get_type (a), "ORGANIZATION");
      assert_string_equal (attr (a, "norm"), "Quorvan Development Agency");
      assert_string_equal (attr (a, "source"), "document");
      n++;
    }
    g_free (t);
  }
  assert_int_equal (n, 2);
  sluice_document_free (doc);
}

/* ---------------------------------------------------------- consistency */

static void
test_consistency (void **state)
{
  SluiceDocument *doc = run ("President Hikmet Hajiyev spoke. Later, Hajiyev added that Hajiyev's plan works.");
  expect (doc, "PERSON", "Hikmet Hajiyev");
  guint n = 0;
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++) {
    SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
    char *t = sluice_annotation_dup_text (doc, a);
    if (strcmp (t, "Hajiyev") == 0) {
      assert_string_equal (sluice_annotation_get_type (a), "PERSON");
      assert_string_equal (attr (a, "norm"), "Hikmet Hajiyev");
      assert_string_equal (attr (a, "source"), "document");
      n++;
    }
    g_free (t);
  }
  assert_int_equal (n, 2);
  sluice_document_free (doc);
  /* A place name that is the surname of a person of the document is the person. */
  doc = run ("Coach Michael Jordan won. Jordan celebrated.");
  SluiceAnnotation *a = NULL;
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++) {
    SluiceAnnotation *x = sluice_document_get_annotation (doc, i);
    if (sluice_annotation_get_start (x) == strlen ("Coach Michael Jordan won. "))
      a = x;
  }
  assert_non_null (a);
  assert_string_equal (sluice_annotation_get_type (a), "PERSON");
  sluice_document_free (doc);
}

/* ---------------------------------------------------------------- dates */

typedef struct {
  const char *text;
  const char *span;
  const char *value;
  const char *meta_date;
} DateCase;

static const DateCase date_cases[] = {
  { "On February 25-26, 1992, it happened.", "February 25-26, 1992", "1992-02-25/1992-02-26", NULL },
  { "Held on 26 February 2020 in Baku.", "26 February 2020", "2020-02-26", NULL },
  { "Published 2024-02-26 by us.", "2024-02-26", "2024-02-26", NULL },
  { "It opens on February 24 again.", "February 24", "--02-24", NULL },
  { "It opens on February 24 again.", "February 24", "2024-02-24", "2024-02-20" },
  { "It closed on December 28.", "December 28", "2023-12-28", "2024-01-05" },
  { "During the night of 25-26 February 1992 troops came.", "25-26 February 1992", "1992-02-25/1992-02-26", NULL },
  { "Due February 26, they said.", "February 26", "--02-26", NULL },
  { "Founded in March 2008 here.", "March 2008", "2008-03", NULL },
  { "A plan for 2020-2023 was drafted.", "2020-2023", "2020/2023", NULL },
  { "It was built in 1948 by them.", "1948", "1948", NULL },
  { "Signed on the 24th of February 2022.", "24th of February 2022", "2022-02-24", NULL },
  { "Sales fell in September.", "September", "--09", NULL },
  /* A full month name ends before the sentence's full stop; an abbreviation keeps its own. */
  { "The railway said so on 2 August.", "2 August", "--08-02", NULL },
  { "The railway said so on 2 Aug. in Tbilisi.", "2 Aug.", "--08-02", NULL },
  { "It was signed on Sept. 4, 1999 in Oslo.", "Sept. 4, 1999", "1999-09-04", NULL },
  { "Talks resumed on July 22.", "July 22", "--07-22", NULL },
};

static void
test_dates (void **state)
{
  for (guint i = 0; i < G_N_ELEMENTS (date_cases); i++) {
    const DateCase *c = &date_cases[i];
    SluiceDocument *doc = sluice_document_new ("d", c->text, -1);
    if (c->meta_date)
      sluice_attrs_set_string (sluice_document_get_meta (doc), "date", c->meta_date);
    assert_int_equal (sluice_harness_process (shared_h, doc, NULL), SLUICE_OK);
    SluiceAnnotation *a = expect (doc, "DATE", c->span);
    assert_string_equal (attr (a, "value"), c->value);
    sluice_document_free (doc);
  }
}

static void
test_not_dates (void **state)
{
  SluiceDocument *doc = run ("May I ask? He paid $1992 for 2000 apples, 1,992 in all. Call 2024-02.");
  expect_none (doc, "DATE", NULL);
  sluice_document_free (doc);
}

/* ------------------------------------------------- whole documents, edge */

static void
test_golden_document (void **state)
{
  /* A document of our own, with every expected entity listed. */
  const char *text =
    "Ministers meet in Tbilisi\n\n"
    "Georgian Prime Minister Irakli Garibashvili met Azerbaijani Foreign Minister Jeyhun Bayramov "
    "in Tbilisi on 14 March 2023. Garibashvili said the Shanghai Cooperation Organisation and the "
    "European Union (EU) were watching the South Caucasus. The talks, hosted by the Georgian "
    "Institute of Politics, followed a meeting in Ankara in January.\n";
  static const char *const want[][2] = {
    { "LOCATION", "Tbilisi" }, { "MISC", "Georgian" }, { "PERSON", "Irakli Garibashvili" },
    { "MISC", "Azerbaijani" }, { "PERSON", "Jeyhun Bayramov" }, { "DATE", "14 March 2023" },
    { "PERSON", "Garibashvili" }, { "ORGANIZATION", "Shanghai Cooperation Organisation" },
    { "ORGANIZATION", "European Union" }, { "ORGANIZATION", "EU" },
    { "LOCATION", "South Caucasus" }, { "ORGANIZATION", "Georgian Institute of Politics" },
    { "LOCATION", "Ankara" }, { "DATE", "January" },
  };
  SluiceDocument *doc = run (text);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    expect (doc, want[i][0], want[i][1]);
  /* Titles are never inside a person's span; nothing nests. */
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++) {
    SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
    for (guint j = 0; j < sluice_document_get_n_annotations (doc); j++) {
      SluiceAnnotation *b = sluice_document_get_annotation (doc, j);
      if (i != j)
        assert_false (sluice_annotation_get_start (a) < sluice_annotation_get_end (b) &&
                      sluice_annotation_get_start (b) < sluice_annotation_get_end (a));
    }
  }
  expect_none (doc, NULL, "Prime Minister Irakli Garibashvili");
  sluice_document_free (doc);
}

static void
test_no_entities (void **state)
{
  const char *texts[] = { "", " \n\n\t", "the cat sat on the mat and nothing happened at all.",
                          "12345 678 ... !!! ???", "\xef\xbf\xbd\xcc\x81\xcc\x81 a\xcc\x81" };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    SluiceDocument *doc = run (texts[i]);
    assert_int_equal (sluice_document_get_n_annotations (doc), 0);
    sluice_document_free (doc);
  }
}

static void
test_text_unchanged (void **state)
{
  const char *text = "LONDON 1996-08-30\nWest Indian all-rounder Phil Simmons took four for 38 .\n";
  SluiceDocument *doc = run (text);
  assert_string_equal (sluice_document_get_text (doc, NULL), text);
  for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++) {
    SluiceAnnotation *a = sluice_document_get_annotation (doc, i);
    assert_true (sluice_annotation_get_end (a) <= strlen (text));
  }
  sluice_document_free (doc);
}

static void
test_hostile (void **state)
{
  /* 100,000 capitalised words in a row, then a 16 MiB line. */
  GString *s = g_string_new ("");
  for (guint i = 0; i < 100000; i++)
    g_string_append_printf (s, "Qwx%c%c ", 'a' + i % 26, 'a' + (i / 26) % 26);
  SluiceDocument *doc = run (s->str);
  assert_string_equal (sluice_document_get_text (doc, NULL), s->str);
  sluice_document_free (doc);
  g_string_truncate (s, 0);
  while (s->len < 16u * 1024 * 1024)
    g_string_append (s, "President Ilham Aliyev met officials in Baku on 26 February 2020. ");
  doc = run (s->str);
  assert_true (sluice_document_get_n_annotations (doc) > 100000);
  sluice_document_free (doc);
  g_string_free (s, TRUE);
}

/* ------------------------------------------------------------- options */

static void
test_user_gazetteer_and_rules (void **state)
{
  char *dir = g_dir_make_tmp ("entities-XXXXXX", NULL);
  char *gaz = g_build_filename (dir, "mine.tsv", NULL);
  char *rules = g_build_filename (dir, "mine.rules", NULL);
  g_file_set_contents (gaz, "# mine\nORGANIZATION\tmine:1\tGlorbex Holdings\tGlorbex|GLX\n", -1, NULL);
  g_file_set_contents (rules, "title: Grand Vizier\n", -1, NULL);
  const char *opts[] = { "gazetteers", gaz, "rules", rules, "types", "PERSON,ORGANIZATION", NULL };
  SluiceHarness *h = harness (opts);
  SluiceDocument *doc = sluice_harness_run (h, "GLX hired Grand Vizier Oztrel Pavano in Baku.", NULL);
  SluiceAnnotation *a = expect (doc, "ORGANIZATION", "GLX");
  assert_string_equal (attr (a, "id"), "mine:1");
  assert_string_equal (attr (a, "norm"), "Glorbex Holdings");
  expect (doc, "PERSON", "Oztrel Pavano");
  expect_none (doc, "LOCATION", "Baku");  /* types filter */
  sluice_document_free (doc);
  sluice_harness_free (h);

  /* A broken user file is a FILE:LINE error from create(). */
  g_file_set_contents (gaz, "LOCATION\t-\tOk\nNOPE\t-\tBad\n", -1, NULL);
  const char *opts2[] = { "gazetteers", gaz, NULL };
  GError *error = NULL;
  assert_null (sluice_harness_new (sluice_stage_descriptor (), ENTITIES_DATA_DIR, opts2, &error));
  assert_non_null (error);
  char *want = g_strdup_printf ("%s:2:", gaz);
  assert_non_null (strstr (error->message, want));
  g_free (want);
  g_clear_error (&error);
  g_unlink (gaz);
  g_unlink (rules);
  g_rmdir (dir);
  g_free (gaz);
  g_free (rules);
  g_free (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_tokens_and_keys),
    cmocka_unit_test (test_fast_tokenizer),
    cmocka_unit_test (test_scan_tokens),
    cmocka_unit_test (test_builder_errors),
    cmocka_unit_test (test_image_checks),
    cmocka_unit_test (test_lookup_paths),
    cmocka_unit_test (test_gazetteer_match),
    cmocka_unit_test (test_case_rules),
    cmocka_unit_test (test_longest_match),
    cmocka_unit_test (test_scripts_one_id),
    cmocka_unit_test (test_rules),
    cmocka_unit_test (test_org_context),
    cmocka_unit_test (test_acronym_alias),
    cmocka_unit_test (test_consistency),
    cmocka_unit_test (test_dates),
    cmocka_unit_test (test_not_dates),
    cmocka_unit_test (test_country_ids),
    cmocka_unit_test (test_phrases_before),
    cmocka_unit_test (test_golden_document),
    cmocka_unit_test (test_no_entities),
    cmocka_unit_test (test_text_unchanged),
    cmocka_unit_test (test_hostile),
    cmocka_unit_test (test_user_gazetteer_and_rules),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
