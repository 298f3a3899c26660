/* Unit tests of the clean stage, through the SluiceHarness.
 *
 *  - rule tables: one row per rule, with cases where it must fire and cases
 *    where it must not (a short real sentence, a list, a quotation, a
 *    one-line paragraph, an ALL-CAPS heading);
 *  - golden documents: data/samples/ and tests/golden/ inputs against
 *    tests/golden/<case>.expected.txt and <case>.meta (key=value lines);
 *  - idempotence on every input of the tables and every golden document;
 *  - odd input: empty, only junk, only whitespace, a 16 MiB single line;
 *  - annotations made before the stage stay aligned; metadata is never
 *    overwritten; the report; data-file and option errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <sluice/sluice.h>
#include <sluice/harness.h>
#include "clean-private.h"

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static SluiceHarness *
harness (const char *const *opts)
{
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), CLEAN_DATA_DIR, opts, &error);
  if (h == NULL)
    fail_msg ("harness: %s", error->message);
  return h;
}

static char *
clean_with (SluiceHarness *h, const char *text, SluiceDocument **doc_out)
{
  GError *error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, text, &error);
  if (doc == NULL)
    fail_msg ("run: %s", error->message);
  char *out = g_strdup (sluice_document_get_text (doc, NULL));
  if (doc_out)
    *doc_out = doc;
  else
    sluice_document_free (doc);
  return out;
}

static void
assert_idempotent (SluiceHarness *h, const char *cleaned, const char *what)
{
  char *again = clean_with (h, cleaned, NULL);
  if (strcmp (again, cleaned) != 0)
    fail_msg ("not idempotent on %s:\n--- once\n%s\n--- twice\n%s", what, cleaned, again);
  g_free (again);
}

/* ------------------------------------------------------------ rule table */

typedef struct {
  const char *name;
  const char *opts[9];      /* name, value, ..., NULL */
  const char *input;
  const char *expected;     /* text after cleaning */
  const char *meta_key;     /* NULL: no meta check */
  const char *meta_value;   /* NULL: the key must be absent */
} Case;

#define NO_OPTS { NULL }

static const Case cases[] = {
  /* 1. Unicode */
  { "crlf", NO_OPTS, "One.\r\nTwo.\r\n\r\nThree.\rFour.", "One.\nTwo.\n\nThree.\nFour.", NULL, NULL },
  { "crlf off", { "newlines", "false", NULL }, "a\r\nb", "a\r\nb", NULL, NULL },
  { "zero width and bom", NO_OPTS, "\xef\xbb\xbf" "embank\xe2\x80\x8bment", "embankment", NULL, NULL },
  { "soft hyphen inside a word", NO_OPTS, "Develop\xc2\xad" "ment", "Development", NULL, NULL },
  { "soft hyphen at a line end joins", NO_OPTS,
    "The ministry approved the agri\xc2\xad\nculture budget for the year.",
    "The ministry approved the agriculture budget for the year.", NULL, NULL },
  { "controls off", { "strip_controls", "false", NULL }, "a\xe2\x80\x8b" "b", "a\xe2\x80\x8b" "b", NULL, NULL },
  { "bidi marks", NO_OPTS, "\xe2\x80\x8fKyiv\xe2\x80\x8e", "Kyiv", NULL, NULL },
  { "zwnj kept between Persian letters", NO_OPTS, "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85",
    "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85", NULL, NULL },
  { "nbsp and thin space", NO_OPTS, "9.8\xc2\xa0million and 5\xe2\x80\x89km", "9.8 million and 5 km", NULL, NULL },
  { "nbsp off", { "map_spaces", "false", NULL }, "9.8\xc2\xa0million", "9.8\xc2\xa0million", NULL, NULL },
  { "nfc", NO_OPTS, "Cafe\xcc\x81 in Yerevan", "Caf\xc3\xa9 in Yerevan", NULL, NULL },
  { "nfc off", { "nfc", "false", NULL }, "Cafe\xcc\x81", "Cafe\xcc\x81", NULL, NULL },
  { "nfc of Cyrillic with combining breve", NO_OPTS, "\xd0\xb8\xcc\x86", "\xd0\xb9", NULL, NULL },
  { "entities", NO_OPTS, "Economy &amp; Trade &quot;fragile&quot; &#8220;x&#x201D; &laquo;Ларс&raquo; &apos;a&apos;",
    "Economy & Trade \"fragile\" \xe2\x80\x9cx\xe2\x80\x9d \xc2\xab\xd0\x9b\xd0\xb0\xd1\x80\xd1\x81\xc2\xbb 'a'", NULL, NULL },
  { "entity nbsp becomes space", NO_OPTS, "5&nbsp;km", "5 km", NULL, NULL },
  { "not an entity", NO_OPTS, "AT&T and R&D &unknown; &", "AT&T and R&D &unknown; &", NULL, NULL },
  { "double-encoded entity", NO_OPTS, "Tom &amp;amp; Jerry", "Tom & Jerry", NULL, NULL },
  { "entities off", { "decode_entities", "false", NULL }, "a &amp; b", "a &amp; b", NULL, NULL },
  { "space before opening quote", NO_OPTS, "He said that\xe2\x80\x9c" "Before noon\xe2\x80\x9d.",
    "He said that \xe2\x80\x9c" "Before noon\xe2\x80\x9d.", NULL, NULL },
  { "space before opening quote via entity", NO_OPTS, "said that&#8220;the corridor&#8221; is",
    "said that \xe2\x80\x9cthe corridor\xe2\x80\x9d is", NULL, NULL },
  { "no space before closing quote or apostrophe", NO_OPTS, "Azerbaijanis\xe2\x80\x99 voice \xe2\x80\x9cyes\xe2\x80\x9d",
    "Azerbaijanis\xe2\x80\x99 voice \xe2\x80\x9cyes\xe2\x80\x9d", NULL, NULL },
  { "quote space off", { "quote_space", "false", NULL }, "that\xe2\x80\x9c" "Before", "that\xe2\x80\x9c" "Before", NULL, NULL },
  { "quotes kept by default", NO_OPTS, "\xe2\x80\x9cWe\xe2\x80\x99re ready\xe2\x80\x9d \xe2\x80\x94 he said",
    "\xe2\x80\x9cWe\xe2\x80\x99re ready\xe2\x80\x9d \xe2\x80\x94 he said", NULL, NULL },
  { "fold quotes and dashes", { "fold_quotes", "true", "fold_dashes", "true", NULL },
    "\xe2\x80\x9cWe\xe2\x80\x99re ready\xe2\x80\x9d \xe2\x80\x94 \xc2\xabok\xc2\xbb", "\"We're ready\" - \"ok\"", NULL, NULL },

  /* 2. whitespace */
  { "runs of spaces and tabs", NO_OPTS, "  a   b\t\tc.  \n\n\n\n\nD   ", "a b c.\n\nD", NULL, NULL },
  { "collapse off", { "collapse_spaces", "false", NULL }, "a   b", "a   b", NULL, NULL },
  { "leading and trailing blank lines", NO_OPTS, "\n\n\nText here.\n\n\n", "Text here.", NULL, NULL },
  { "blank lines off keeps the run", { "blank_lines", "false", NULL }, "One.\n\n\n\nTwo.", "One.\n\n\n\nTwo.", NULL, NULL },

  /* 3. hard wraps */
  { "hard wrap joined", NO_OPTS,
    "The regional council has approved a plan to build a new bridge\n"
    "over the river near the old town, the mayor told reporters on\n"
    "Friday after a meeting that lasted almost three hours in the\n"
    "city hall of the regional capital.\n",
    "The regional council has approved a plan to build a new bridge over the river near the old town, the mayor told reporters on Friday after a meeting that lasted almost three hours in the city hall of the regional capital.",
    NULL, NULL },
  { "wrap: list items stay", NO_OPTS,
    "The plan has three parts, according to the document seen by the\n"
    "newspaper and the two other papers that published it on Monday:\n"
    "- a new runway;\n- a terminal;\n- a rail link.",
    "The plan has three parts, according to the document seen by the newspaper and the two other papers that published it on Monday:\n- a new runway;\n- a terminal;\n- a rail link.",
    NULL, NULL },
  { "wrap: numbered list stays", NO_OPTS,
    "1. Open the valve\n2. Close the door\n3. Leave", "1. Open the valve\n2. Close the door\n3. Leave", NULL, NULL },
  { "short lines are not a wrap (address)", NO_OPTS,
    "Ministry of Transport\n12 Harbour Street\nRiga", "Ministry of Transport\n12 Harbour Street\nRiga", NULL, NULL },
  { "short lines are not a wrap (poem)", NO_OPTS,
    "Rest in Peace!\nWe will remember.", "Rest in Peace!\nWe will remember.", NULL, NULL },
  { "wrap: a short closing line stays", NO_OPTS,
    "The regional council has approved a plan to build a new bridge\n"
    "over the river near the old town, the mayor told reporters on\n"
    "Friday after a meeting that lasted almost three hours.\n"
    "Thank you!",
    "The regional council has approved a plan to build a new bridge over the river near the old town, the mayor told reporters on Friday after a meeting that lasted almost three hours.\n\nThank you!",
    NULL, NULL },
  { "wrap: ALL-CAPS heading stays", NO_OPTS,
    "KEY FACTS ABOUT THE NEW BRIDGE OVER THE RIVER IN THE OLD TOWN\n"
    "The regional council has approved a plan to build a new bridge\n"
    "over the river near the old town, the mayor told reporters on\n"
    "Friday after a meeting that lasted almost three hours.",
    "KEY FACTS ABOUT THE NEW BRIDGE OVER THE RIVER IN THE OLD TOWN\n\n"
    "The regional council has approved a plan to build a new bridge over the river near the old town, the mayor told reporters on Friday after a meeting that lasted almost three hours.",
    NULL, NULL },
  { "wrap off", { "join_wraps", "false", NULL },
    "The regional council has approved a plan to build a new bridge\n"
    "over the river near the old town, the mayor told reporters on\n"
    "Friday after a meeting that lasted almost three hours.",
    "The regional council has approved a plan to build a new bridge\n"
    "over the river near the old town, the mayor told reporters on\n"
    "Friday after a meeting that lasted almost three hours.",
    NULL, NULL },
  { "one paragraph a line: not joined, break made a blank line", NO_OPTS,
    "The Port of Gdynia handled 1.1 million containers in 2023, up 6 percent from a year earlier, the port authority said on Tuesday.\n"
    "Board member Katarzyna Lis said the growth came from new services to Scandinavia and to the Baltic states this year.",
    "The Port of Gdynia handled 1.1 million containers in 2023, up 6 percent from a year earlier, the port authority said on Tuesday.\n\n"
    "Board member Katarzyna Lis said the growth came from new services to Scandinavia and to the Baltic states this year.",
    NULL, NULL },

  /* hyphen rule */
  { "hyphen: dropped when the document spells the word without it", NO_OPTS,
    "The cost of the runway, the terminal and the access road infra-\n"
    "structure is put at 184 million euros, and the new infrastructure\n"
    "should be ready for the winter season of 2027, the minister said.",
    "The cost of the runway, the terminal and the access road infrastructure is put at 184 million euros, and the new infrastructure should be ready for the winter season of 2027, the minister said.",
    NULL, NULL },
  { "hyphen: a compound keeps it", NO_OPTS,
    "A spokeswoman for the residents of the old town called it a long-\n"
    "standing problem that the council had ignored for many years now.",
    "A spokeswoman for the residents of the old town called it a long-standing problem that the council had ignored for many years now.",
    NULL, NULL },
  { "hyphen: capitalised second part keeps it", NO_OPTS,
    "The talks on the future of the region were held in the Nagorno-\n"
    "Karabakh capital on Monday, officials from both sides confirmed.",
    "The talks on the future of the region were held in the Nagorno-Karabakh capital on Monday, officials from both sides confirmed.",
    NULL, NULL },
  { "hyphen rule off keeps the hyphen", { "dehyphenate", "false", NULL },
    "The cost of the runway, the terminal and the access road infra-\n"
    "structure is put at 184 million euros, and the new infrastructure\n"
    "should be ready for the winter season of 2027, the minister said.",
    "The cost of the runway, the terminal and the access road infra-structure is put at 184 million euros, and the new infrastructure should be ready for the winter season of 2027, the minister said.",
    NULL, NULL },

  /* 4. broken paragraphs */
  { "broken paragraph joined", NO_OPTS,
    "Armenian troops committed the massacre during the aggression\n\nagainst the people in the town, he said.",
    "Armenian troops committed the massacre during the aggression against the people in the town, he said.",
    NULL, NULL },
  { "broken: terminal punctuation stops it", NO_OPTS,
    "The talks ended on Monday.\n\nofficials said nothing more.",
    "The talks ended on Monday.\n\nofficials said nothing more.", NULL, NULL },
  { "broken: upper-case start stops it", NO_OPTS,
    "Khojaly genocide remembered in Baku\n\nSome 600 people attended the ceremony on Tuesday.",
    "Khojaly genocide remembered in Baku\n\nSome 600 people attended the ceremony on Tuesday.", NULL, NULL },
  { "broken: a quotation after a colon stays apart", NO_OPTS,
    "The minister said:\n\n\xe2\x80\x9cwe will not give up.\xe2\x80\x9d",
    "The minister said:\n\n\xe2\x80\x9cwe will not give up.\xe2\x80\x9d", NULL, NULL },
  { "broken off", { "join_broken_paragraphs", "false", NULL },
    "The talks ended during\n\nthe night.", "The talks ended during\n\nthe night.", NULL, NULL },

  /* 5. junk */
  { "share widgets", NO_OPTS,
    "The port reopened on Monday after the storm.\n\nShare on Facebook\nTweet\nWhatsApp\n\nin Tumblr",
    "The port reopened on Monday after the storm.", NULL, NULL },
  { "script error boilerplate", NO_OPTS,
    "Error message\n\nMissing or incomplete installation of the Slick carousel library! Please follow the instructions from INSTALL.txt to get it.\n\nThe port reopened on Monday after the storm.",
    "The port reopened on Monday after the storm.", NULL, NULL },
  { "junk between paragraphs", NO_OPTS,
    "The port reopened on Monday.\n\nAdvertisement\n\nShips queued outside.\nPhoto: Jan Kowalski / press service\n\nRead more: Storm hits the coast\nWe use cookies to improve your experience. By continuing you accept our cookie policy.\nFollow us on Telegram\nSubscribe to our newsletter\nTags: ports, storms\n\xc2\xa9 2024 Harbour Gazette. All rights reserved.",
    "The port reopened on Monday.\n\nShips queued outside.", NULL, NULL },
  { "junk: a short real sentence stays", NO_OPTS,
    "Related talks were held in Vienna on Monday.\n\nThe ministers shared a meal.\n\nPrint media reported the visit.",
    "Related talks were held in Vienna on Monday.\n\nThe ministers shared a meal.\n\nPrint media reported the visit.", NULL, NULL },
  { "junk: a long line is never dropped", { "drop_patterns", "Photo.*", NULL },
    "Photo exhibitions opened in twelve cities across the country on Saturday, drawing thousands of visitors to galleries and museums that had been closed for a year.",
    "Photo exhibitions opened in twelve cities across the country on Saturday, drawing thousands of visitors to galleries and museums that had been closed for a year.", NULL, NULL },
  { "junk: max_junk_words", { "max_junk_words", "2", NULL },
    "Body text here.\n\nShare on Facebook", "Body text here.\n\nShare on Facebook", NULL, NULL },
  { "junk: inside a wrapped sentence stays", NO_OPTS,
    "The group said it would publish its findings and would\nshare\nthem with the public on Friday, the spokesman told reporters.",
    "The group said it would publish its findings and would share them with the public on Friday, the spokesman told reporters.", NULL, NULL },
  { "junk off", { "drop_junk", "false", NULL }, "Text.\n\nAdvertisement", "Text.\n\nAdvertisement", NULL, NULL },
  { "user drop_patterns", { "drop_patterns", "Listen to this article,Audio: .*", NULL },
    "Listen to this article\n\nThe port reopened.\n\nAudio: 3 minutes", "The port reopened.", NULL, NULL },

  /* 6. repeated title */
  { "repeated title kept once", NO_OPTS,
    "Ferry link opens in May\n\nFerry link opens in May\n\nThe ferry line will open in May, the authority said.",
    "Ferry link opens in May\n\nThe ferry line will open in May, the authority said.",
    "title", "Ferry link opens in May" },
  { "title dedupe off", { "dedupe_title", "false", NULL },
    "Ferry link opens in May\n\nFerry link opens in May\n\nThe ferry line will open in May, the authority said.",
    "Ferry link opens in May\n\nFerry link opens in May\n\nThe ferry line will open in May, the authority said.",
    NULL, NULL },
  { "no title when the text opens with a sentence", NO_OPTS,
    "The ferry line will open in May, the authority said.\n\nTickets cost 65 euros.",
    "The ferry line will open in May, the authority said.\n\nTickets cost 65 euros.", "title", NULL },
  { "a one-line paragraph alone is not a title", NO_OPTS, "Rest in Peace", "Rest in Peace", "title", NULL },
  { "title extraction off", { "extract_title", "false", NULL },
    "Ferry link opens\n\nThe ferry line will open in May, the authority said.",
    "Ferry link opens\n\nThe ferry line will open in May, the authority said.", "title", NULL },

  /* 7. metadata */
  { "byline", NO_OPTS, "By Abdul Kerimkhanov\n\nThe talks ended on Monday.", "The talks ended on Monday.",
    "byline", "Abdul Kerimkhanov" },
  { "by outlet (bundled list)", NO_OPTS, "By Azernews\n\n\n\nThe talks ended on Monday.", "The talks ended on Monday.",
    "outlet", "Azernews" },
  { "by outlet (outlet word)", NO_OPTS, "By Danube Courier\n\nThe talks ended on Monday.", "The talks ended on Monday.",
    "outlet", "Danube Courier" },
  { "byline with outlet", NO_OPTS, "By Jane Doe, Baltic Times\n\nThe talks ended on Monday.", "The talks ended on Monday.",
    "outlet", "Baltic Times" },
  { "byline: a sentence starting with By stays", NO_OPTS,
    "By the end of the decade the farm could cover 4 percent of demand.",
    "By the end of the decade the farm could cover 4 percent of demand.", "byline", NULL },
  { "byline in the middle stays", NO_OPTS, "The talks ended.\n\nBy Jane Doe\n\nThey resume in May.",
    "The talks ended.\n\nBy Jane Doe\n\nThey resume in May.", "byline", NULL },
  { "byline off", { "extract_byline", "false", NULL }, "By Jane Doe\n\nThe talks ended.",
    "By Jane Doe\n\nThe talks ended.", "byline", NULL },
  { "menafn attribution", NO_OPTS, "(MENAFN- AzerNews) The talks ended on Monday.", "The talks ended on Monday.",
    "outlet", "AzerNews" },
  { "signature line (named in the text)", NO_OPTS,
    "The correspondent of Vestnik Kavkaza reported it.\n\n\nVestnik Kavkaza\n\nin Tumblr",
    "The correspondent of Vestnik Kavkaza reported it.", "outlet", "Vestnik Kavkaza" },
  { "signature line (bundled list)", NO_OPTS, "The talks ended.\n\nReuters", "The talks ended.", "outlet", "Reuters" },
  { "a closing line is not a signature", NO_OPTS, "The talks ended.\n\nRest in Peace!",
    "The talks ended.\n\nRest in Peace!", "outlet", NULL },
  { "a capitalised closing line unknown elsewhere stays", NO_OPTS, "The talks ended.\n\nLong Live Peace",
    "The talks ended.\n\nLong Live Peace", "outlet", NULL },
  { "outlet off", { "extract_outlet", "false", NULL }, "The talks ended.\n\nReuters", "The talks ended.\n\nReuters",
    "outlet", NULL },
  { "leading date", NO_OPTS, "26 February 2020\n\nThe talks ended.", "The talks ended.", "date", "2020-02-26" },
  { "dateline keyword ISO", NO_OPTS, "date 2024-02-26\n\nThe talks ended.", "The talks ended.", "date", "2024-02-26" },
  { "date month first with time", NO_OPTS, "Published: Feb 3, 2021 14:30\n\nThe talks ended.", "The talks ended.",
    "date", "2021-02-03" },
  { "date with weekday", NO_OPTS, "Wednesday, 8 November 2023\n\nThe talks ended.", "The talks ended.",
    "date", "2023-11-08" },
  { "numeric date", NO_OPTS, "08.11.2023\n\nThe talks ended.", "The talks ended.", "date", "2023-11-08" },
  { "invalid date is not a dateline", NO_OPTS, "31 February 2020\n\nThe talks ended.",
    "31 February 2020\n\nThe talks ended.", "date", NULL },
  { "a date inside a sentence stays", NO_OPTS, "On 26 February 2020 the talks ended.",
    "On 26 February 2020 the talks ended.", "date", NULL },
  { "date off", { "extract_date", "false", NULL }, "26 February 2020\n\nThe talks ended.",
    "26 February 2020\n\nThe talks ended.", "date", NULL },

  /* odd input */
  { "empty", NO_OPTS, "", "", NULL, NULL },
  { "only whitespace", NO_OPTS, " \t\n\n \r\n\xc2\xa0\n", "", NULL, NULL },
  { "only junk", NO_OPTS, "Error message\n\nShare on Facebook\nTweet\n\nin Tumblr", "", NULL, NULL },
  { "only invisible characters", NO_OPTS, "\xe2\x80\x8b\xc2\xad\xef\xbb\xbf", "", NULL, NULL },
};

static gboolean
idempotent (SluiceHarness *h, const char *cleaned, const char *what)
{
  char *again = clean_with (h, cleaned, NULL);
  gboolean ok = strcmp (again, cleaned) == 0;
  if (!ok)
    print_error ("not idempotent on %s:\n--- once\n%s\n--- twice\n%s\n", what, cleaned, again);
  g_free (again);
  return ok;
}

static void
test_rules (void **state)
{
  (void) state;
  guint failures = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *k = &cases[i];
      SluiceHarness *h = harness (k->opts);
      SluiceDocument *doc = NULL;
      char *out = clean_with (h, k->input, &doc);
      if (strcmp (out, k->expected) != 0)
        {
          print_error ("case '%s':\n--- expected\n%s\n--- got\n%s\n", k->name, k->expected, out);
          failures++;
        }
      if (k->meta_key)
        {
          const char *v = sluice_attrs_get_string (sluice_document_get_meta (doc), k->meta_key);
          if ((k->meta_value == NULL && v != NULL)
              || (k->meta_value != NULL && g_strcmp0 (v, k->meta_value) != 0))
            {
              print_error ("case '%s': meta.%s: expected '%s', got '%s'\n", k->name, k->meta_key,
                           k->meta_value ? k->meta_value : "(absent)", v ? v : "(absent)");
              failures++;
            }
        }
      failures += !idempotent (h, out, k->name);
      g_free (out);
      sluice_document_free (doc);
      sluice_harness_free (h);
    }
  if (failures)
    fail_msg ("%u rule case(s) failed", failures);
}

/* ---------------------------------------------------------------- golden */

static void
check_golden (SluiceHarness *h, const char *input_path, const char *id)
{
  g_autofree char *input = NULL, *expected = NULL, *meta_text = NULL;
  g_autofree char *exp_path = g_strdup_printf ("%s/golden/%s.expected.txt", CLEAN_TEST_DIR, id);
  g_autofree char *meta_path = g_strdup_printf ("%s/golden/%s.meta", CLEAN_TEST_DIR, id);
  assert_true (g_file_get_contents (input_path, &input, NULL, NULL));
  if (!g_file_get_contents (exp_path, &expected, NULL, NULL))
    fail_msg ("missing %s", exp_path);
  if (!g_file_get_contents (meta_path, &meta_text, NULL, NULL))
    fail_msg ("missing %s", meta_path);

  SluiceDocument *doc = NULL;
  char *out = clean_with (h, input, &doc);
  if (strcmp (out, expected) != 0)
    fail_msg ("golden %s:\n--- expected\n%s\n--- got\n%s", id, expected, out);

  SluiceAttrs *meta = sluice_document_get_meta (doc);
  char **lines = g_strsplit (meta_text, "\n", -1);
  guint n_expected = 0;
  for (guint i = 0; lines[i]; i++)
    {
      if (*lines[i] == '\0')
        continue;
      char *eq = strchr (lines[i], '=');
      assert_non_null (eq);
      *eq = '\0';
      n_expected++;
      const char *got = sluice_attrs_get_string (meta, lines[i]);
      if (g_strcmp0 (got, eq + 1) != 0)
        fail_msg ("golden %s: meta.%s expected '%s', got '%s'", id, lines[i], eq + 1,
                  got ? got : "(absent)");
    }
  if (sluice_attrs_size (meta) != n_expected)
    fail_msg ("golden %s: %u meta keys, expected %u (first: %s)", id, sluice_attrs_size (meta),
              n_expected, sluice_attrs_size (meta) ? sluice_attrs_key_at (meta, 0) : "-");
  g_strfreev (lines);

  assert_idempotent (h, out, id);
  g_free (out);
  sluice_document_free (doc);
}

static guint
golden_dir (SluiceHarness *h, const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  assert_non_null (d);
  const char *name;
  guint n = 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_suffix (name, ".txt") || g_str_has_suffix (name, ".expected.txt"))
        continue;
      g_autofree char *id = g_strndup (name, strlen (name) - 4);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      check_golden (h, path, id);
      n++;
    }
  g_dir_close (d);
  return n;
}

static void
test_golden (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  g_autofree char *gdir = g_build_filename (CLEAN_TEST_DIR, "golden", NULL);
  guint n = golden_dir (h, CLEAN_SAMPLES_DIR) + golden_dir (h, gdir);
  assert_true (n >= 8);
  sluice_harness_free (h);
}

/* ------------------------------------------------------------- odd input */

static void
test_huge_single_line (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  gsize size = 16u << 20;
  GString *g = g_string_sized_new (size + 64);
  static const char *const words[] = { "word ", "caf\xc3\xa9  ", "x&amp;y ", "\xe2\x80\x8bzw ",
                                       "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 " };
  for (guint i = 0; g->len < size; i++)
    g_string_append (g, words[i % G_N_ELEMENTS (words)]);
  SluiceDocument *doc = NULL;
  char *out = clean_with (h, g->str, &doc);
  gsize n = strlen (out);
  assert_true (n > size / 2 && n < size);
  assert_null (strchr (out, '\n'));
  assert_null (strstr (out, "  "));
  assert_null (strstr (out, "&amp;"));
  assert_null (strstr (out, "\xe2\x80\x8b"));
  assert_true (g_str_has_prefix (out, "word caf\xc3\xa9 x&y zw \xd0\x9c"));
  g_free (out);
  sluice_document_free (doc);
  g_string_free (g, TRUE);
  sluice_harness_free (h);
}

/* --------------------------------------------------- annotations and meta */

static void
test_annotations_stay_aligned (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  const char *text = "By Jane Doe\n\nThe  talks of the two foreign ministers\xc2\xa0in   Baku\r\nended on Monday, the agency\n\nsaid.";
  SluiceDocument *doc = sluice_document_new ("a", text, -1);
  const char *baku = strstr (text, "Baku");
  const char *monday = strstr (text, "Monday");
  assert_non_null (sluice_document_add_annotation (doc, "LOCATION", baku - text, baku - text + 4));
  assert_non_null (sluice_document_add_annotation (doc, "DATE", monday - text, monday - text + 6));
  assert_int_equal (sluice_harness_process (h, doc, NULL), SLUICE_OK);
  const char *out = sluice_document_get_text (doc, NULL);
  assert_string_equal (out, "The talks of the two foreign ministers in Baku ended on Monday, the agency said.");
  SluiceAnnotation *a = sluice_document_find_annotation (doc, "LOCATION", "Baku");
  assert_non_null (a);
  assert_int_equal (sluice_annotation_get_start (a), strstr (out, "Baku") - out);
  assert_non_null (sluice_document_find_annotation (doc, "DATE", "Monday"));
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_meta_never_overwritten (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  SluiceDocument *doc = sluice_document_new ("m", "Ferry link opens\n\nBy Jane Doe\n26 February 2020\n\n"
                                                  "The ferry line opens in May, the authority said.\n\nReuters", -1);
  SluiceAttrs *meta = sluice_document_get_meta (doc);
  sluice_attrs_set_string (meta, "title", "Given title");
  sluice_attrs_set_string (meta, "byline", "Given Author");
  sluice_attrs_set_string (meta, "date", "2001-01-01");
  sluice_attrs_set_string (meta, "outlet", "Given Outlet");
  assert_int_equal (sluice_harness_process (h, doc, NULL), SLUICE_OK);
  assert_string_equal (sluice_attrs_get_string (meta, "title"), "Given title");
  assert_string_equal (sluice_attrs_get_string (meta, "byline"), "Given Author");
  assert_string_equal (sluice_attrs_get_string (meta, "date"), "2001-01-01");
  assert_string_equal (sluice_attrs_get_string (meta, "outlet"), "Given Outlet");
  /* the lines still go */
  assert_string_equal (sluice_document_get_text (doc, NULL),
                       "Ferry link opens\n\nThe ferry line opens in May, the authority said.");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_report (void **state)
{
  (void) state;
  const char *opts[] = { "report", "true", NULL };
  SluiceHarness *h = harness (opts);
  SluiceDocument *doc = NULL;
  g_free (clean_with (h, "Error message\n\nBy Jane Doe\n\nThe talks ended.\n\nShare  on Facebook", &doc));
  guint n = 0;
  const char *const *removed = sluice_attrs_get_string_list (sluice_document_get_meta (doc),
                                                             "clean_removed", &n);
  assert_non_null (removed);
  assert_int_equal (n, 3);
  assert_string_equal (removed[0], "cms_error: Error message");
  assert_string_equal (removed[1], "byline: By Jane Doe");
  assert_string_equal (removed[2], "share: Share on Facebook");
  sluice_document_free (doc);
  sluice_harness_free (h);

  /* off by default */
  h = harness (NULL);
  g_free (clean_with (h, "Error message\n\nText.", &doc));
  assert_false (sluice_attrs_has (sluice_document_get_meta (doc), "clean_removed"));
  sluice_document_free (doc);
  sluice_harness_free (h);
}

/* ------------------------------------------------------ files and errors */

static char *
write_temp (const char *contents)
{
  char *path = NULL;
  int fd = g_file_open_tmp ("clean-test-XXXXXX", &path, NULL);
  assert_true (fd >= 0);
  close (fd);
  assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static void
test_pattern_file_errors (void **state)
{
  (void) state;
  g_autofree char *bad = write_temp ("# comment\n\nok   fine\nbroken   (unclosed\n");
  const char *opts[] = { "drop_patterns_file", bad, NULL };
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), CLEAN_DATA_DIR, opts, &error);
  assert_null (h);
  assert_non_null (error);
  g_autofree char *where = g_strdup_printf ("%s:4:", bad);
  if (strstr (error->message, where) == NULL)
    fail_msg ("error does not name FILE:LINE: %s", error->message);
  g_clear_error (&error);

  g_autofree char *noname = write_temp ("justaregex\n");
  const char *opts2[] = { "drop_patterns_file", noname, NULL };
  assert_null (sluice_harness_new (sluice_stage_descriptor (), CLEAN_DATA_DIR, opts2, &error));
  g_autofree char *where2 = g_strdup_printf ("%s:1:", noname);
  assert_non_null (strstr (error->message, where2));
  g_clear_error (&error);

  const char *opts3[] = { "drop_patterns", "ok,(bad", NULL };
  assert_null (sluice_harness_new (sluice_stage_descriptor (), CLEAN_DATA_DIR, opts3, &error));
  assert_non_null (strstr (error->message, "drop_patterns[1]"));
  g_clear_error (&error);

  const char *opts4[] = { "patterns_file", "/nonexistent/junk.patterns", NULL };
  assert_null (sluice_harness_new (sluice_stage_descriptor (), CLEAN_DATA_DIR, opts4, &error));
  assert_non_null (strstr (error->message, "/nonexistent/junk.patterns:0:"));
  g_clear_error (&error);

  g_unlink (bad);
  g_unlink (noname);
}

static void
test_user_files (void **state)
{
  (void) state;
  /* an extra pattern file, with a metadata pattern */
  g_autofree char *pf = write_temp ("promo    (?:limited offer|buy now)!?\n"
                                    "editor   Edited by (?<byline>\\p{Lu}\\p{L}+ \\p{Lu}\\p{L}+)\n");
  g_autofree char *of = write_temp ("# mine\nNorthern Lights Weekly Digest\n");
  const char *opts[] = { "drop_patterns_file", pf, "outlets_file", of, NULL };
  SluiceHarness *h = harness (opts);
  SluiceDocument *doc = NULL;
  char *out = clean_with (h, "Edited by Anna Berg\n\nThe talks ended.\n\nBuy now!\n\nNorthern lights weekly digest", &doc);
  assert_string_equal (out, "The talks ended.");
  SluiceAttrs *meta = sluice_document_get_meta (doc);
  assert_string_equal (sluice_attrs_get_string (meta, "byline"), "Anna Berg");
  assert_string_equal (sluice_attrs_get_string (meta, "outlet"), "Northern lights weekly digest");
  g_free (out);
  sluice_document_free (doc);
  sluice_harness_free (h);

  /* a replacement pattern file: the bundled patterns are gone */
  g_autofree char *only = write_temp ("promo    buy now!?\n");
  const char *opts2[] = { "patterns_file", only, NULL };
  h = harness (opts2);
  out = clean_with (h, "Text.\n\nBuy now!\n\nShare on Facebook", NULL);
  assert_string_equal (out, "Text.\n\nShare on Facebook");
  g_free (out);
  sluice_harness_free (h);
  g_unlink (pf);
  g_unlink (of);
  g_unlink (only);
}

static void
test_descriptor (void **state)
{
  (void) state;
  const SluiceStageDescriptor *d = sluice_stage_descriptor ();
  assert_string_equal (d->name, "clean");
  assert_true (d->flags & SLUICE_STAGE_REWRITES_TEXT);
  gboolean title = FALSE, removed = FALSE;
  for (guint i = 0; d->produces_meta[i]; i++)
    {
      title |= strcmp (d->produces_meta[i], "title") == 0;
      removed |= strcmp (d->produces_meta[i], "clean_removed") == 0;
    }
  assert_true (title && removed);
}

/* The fast line measure (16 bytes a step) agrees with the byte-by-byte
 * reference on fixed lines and on random lines of blanks, ASCII and UTF-8,
 * at every length around the 16-byte steps. */
static void
check_measure (const char *s, gsize n, guint32 word_cap, guint32 char_cap)
{
  guint32 w1, c1, w2, c2;
  guint8 r1, r2;
  clean_measure (s, n, word_cap, char_cap, &w1, &c1, &r1);
  clean_measure_ref (s, n, word_cap, char_cap, &w2, &c2, &r2);
  if (w1 != w2 || c1 != c2 || r1 != r2)
    fail_msg ("measure of '%.*s' (%zu bytes, caps %u/%u): fast %u/%u/%u, reference %u/%u/%u",
              (int) n, s, n, word_cap, char_cap, w1, c1, r1, w2, c2, r2);
}

static void
test_measure_fast_path (void **state)
{
  (void) state;
  static const char *const fixed[] = {
    "", "a", " ", "\t", "a b", "a  b", "a\tb", "ab cd ef gh ij kl mn op qr st uv",
    "fifteen bytes..  two spaces after sixteen", "0123456789abcde  f",
    "0123456789abcdef ghijklmnopqrstu v", "caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d na\xc3\xafve",
    "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 \xd1\x80\xd0\xb5\xd0\xba\xd0\xb0",
  };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    for (guint32 cap = 1; cap < 8; cap++)
      check_measure (fixed[i], strlen (fixed[i]), cap, cap * 3);
  static const char *const pieces[] = { " ", "  ", "\t", "a", "Zz", "\xc3\xa9", "\xe2\x80\x94",
                                        "\xf0\x9f\x98\x80", "\x80", "\xbf", "\xc0", "\xff", "." };
  GRand *rand = g_rand_new_with_seed (20261204);
  GString *line = g_string_new (NULL);
  for (guint round = 0; round < 20000; round++)
    {
      g_string_truncate (line, 0);
      guint want = g_rand_int_range (rand, 0, 90);
      while (line->len < want)
        g_string_append (line, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
      guint32 wcap = g_rand_int_range (rand, 1, 30), ccap = g_rand_int_range (rand, 1, 120);
      /* every prefix: lengths on both sides of each 16-byte step */
      for (gsize n = 0; n <= line->len; n++)
        check_measure (line->str, n, wcap, ccap);
    }
  g_string_free (line, TRUE);
  g_rand_free (rand);
}

/* The line-pattern prefilter (a subset of patterns by first byte, the full
 * alternation for lines holding a required literal) finds the same pattern
 * and the same captures as the full alternation, on the bundled patterns
 * plus user patterns of the kinds the prefilter treats differently. */
static const char *const prefilter_user_patterns[] = {
  "(?-i)KELVIN\\s+\\d+",                 /* case-sensitive, a k */
  "\\d+\\s+sleeps? left",                /* \d first: no start set under UCP */
  ".{0,40}\\bpowered by\\b.{0,40}",      /* any first byte: a required literal */
  ".*(?:left|right) column.*",           /* any first byte, literal after a group */
  "(\\w+) again and \\1",                 /* a back-reference: never prefiltered */
  "(?:listen)?",                         /* may match the empty line */
  "\\x{17F}hare this|\\p{Lu}{2,} ONLY",  /* escapes with arguments */
  NULL,
};

static const char *const prefilter_lines[] = {
  "Share this", "SHARE THIS ARTICLE:", "ſhare this", "share", "Tweet | Like | Print",
  "12 comments", "\xd9\xa3 comments", "\xd9\xa1\xd9\xa2 shares", "Comments (4)",
  "By Anna Berg", "by anna berg", "BY ANNA BERG, Harbor Freight Lines", "Author: Tom Wu",
  "Source: Daily Ledger", "Via: Lakeside Gazette", "via facebook",
  "26 February 2020", "Wed, 26 Feb 2020 14:30", "date 2024-02-26", "2024-02-26T10:00:00Z",
  "Published: February 26, 2020", "26.02.2020 10:15", "\xd9\xa2\xd9\xa6 February 2020",
  "All rights reserved.", "(c) 2021 Some Outlet. All rights reserved",
  "Some Outlet 2021 all rights reserved", "Some Outlet — ALL RIGHTS RESERVED", "all right then",
  "Everything is all right reserved for later", "© 2020 Reuters", "©Photo: Jan Novak",
  "Photo: Jan Novak", "\xd1\x84\xd0\xbe\xd1\x82\xd0\xbe: \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
  "\xd0\xa4\xd0\x9e\xd0\xa2\xd0\x9e: \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "Getty Images / AFP",
  "Read more: The harbour story", "Related", "Advertisement", "ad", "[ad]", "Tags: port, ferry",
  "Home", "Menu", "Back to top", "Loading...", "Please wait...", "Enable JavaScript",
  "This website uses cookies to improve things", "Accept all cookies", "Got it!",
  "Follow us on Telegram", "Subscribe to our newsletter", "Stay informed with us",
  "KELVIN 12", "Kelvin 12", "\xe2\x84\xaa" "ELVIN 12", "3 sleeps left", "\xd9\xa3 sleeps left",
  "Proudly powered by Nothing", "proudly POWERED BY nothing at all", "powered-by",
  "See the left column here", "right column", "Hello again and Hello", "hello again and bye",
  "listen", "", "\xc5\xbfhare this", "ABC ONLY", "Talks between Westland and Freedonia resumed.",
  "The ferry left at noon.", "Residents of Harrowgate say the strike has been announced.",
  "\"We expect the school to be criticised by October,\" Quinn Xu said.", "- a list item",
  "1. first", "\xe2\x80\x9cQuoted\xe2\x80\x9d", "\x7f odd", "\xc2\xa0nbsp", "K", "s", "\xe2\x84\xaa",
};

static void
check_prefilter (const CleanPatternSet *set, pcre2_match_data *md, const char *line, gsize n)
{
  CleanPatMatch a, b;
  gboolean ma = clean_patterns_match (set, line, n, md, &a);
  gboolean mb = clean_patterns_match_full (set, line, n, md, &b);
  if (ma != mb || a.index != b.index
      || (ma && (a.byline_s != b.byline_s || a.byline_e != b.byline_e || a.outlet_s != b.outlet_s
                 || a.outlet_e != b.outlet_e || a.year_s != b.year_s || a.year_e != b.year_e
                 || a.month_s != b.month_s || a.month_e != b.month_e || a.day_s != b.day_s
                 || a.day_e != b.day_e)))
    fail_msg ("prefilter disagrees on '%.*s': pattern %d, full alternation %d", (int) n, line,
              a.index, b.index);
}

static void
test_prefilter_agrees (void **state)
{
  (void) state;
  CleanPatternSet *set = clean_patterns_new ();
  GError *error = NULL;
  g_autofree char *bundled = g_build_filename (CLEAN_DATA_DIR, "junk.patterns", NULL);
  assert_true (clean_patterns_add_file (set, bundled, &error));
  for (guint i = 0; prefilter_user_patterns[i]; i++)
    assert_true (clean_patterns_add (set, "user", prefilter_user_patterns[i], "test", &error));
  assert_true (clean_patterns_compile (set, &error));
  /* the prefilter is in use: literals found, and some first bytes rule
   * some patterns out */
  assert_true (set->n_literals >= 2);
  assert_true (set->subsets->len > 1);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern (set->full.code, NULL);

  guint matched = 0;
  for (guint i = 0; i < G_N_ELEMENTS (prefilter_lines); i++)
    {
      const char *l = prefilter_lines[i];
      check_prefilter (set, md, l, strlen (l));
      CleanPatMatch m;
      matched += clean_patterns_match_full (set, l, strlen (l), md, &m);
      /* case variants, and with blanks after */
      g_autofree char *up = g_utf8_strup (l, -1);
      g_autofree char *down = g_utf8_strdown (l, -1);
      g_autofree char *sp = g_strconcat (l, "  ", NULL);
      check_prefilter (set, md, up, strlen (up));
      check_prefilter (set, md, down, strlen (down));
      check_prefilter (set, md, sp, strlen (sp));
    }
  assert_true (matched > G_N_ELEMENTS (prefilter_lines) / 2);

  /* random lines made of the fixtures' words and the odd characters */
  static const char *const words[] = {
    "share", "this", "by", "Anna", "Berg", "all", "rights", "reserved", "right", "12", "\xd9\xa3",
    "comments", "photo:", "\xc2\xa9", "2020", "Feb", "26", "powered", "left", "column", "kelvin",
    "\xe2\x84\xaa", "\xc5\xbf", "again", "and", "the", "ferry", ":", "|", "-", "(c)", "source:",
    "via", "facebook", "read", "more", "Reuters", "getty", "images", "/", "\xd1\x84\xd0\xbe\xd1\x82\xd0\xbe",
  };
  GRand *rand = g_rand_new_with_seed (4122026);
  GString *line = g_string_new (NULL);
  for (guint round = 0; round < 20000; round++)
    {
      g_string_truncate (line, 0);
      guint nw = g_rand_int_range (rand, 1, 7);
      for (guint w = 0; w < nw; w++)
        {
          if (w > 0)
            g_string_append_c (line, ' ');
          g_string_append (line, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
        }
      check_prefilter (set, md, line->str, line->len);
    }
  g_string_free (line, TRUE);
  g_rand_free (rand);
  pcre2_match_data_free (md);
  clean_patterns_free (set);
}

/* The required literal is found only where it is certain. */
static void
test_required_literal (void **state)
{
  (void) state;
  static const struct { const char *regex, *literal; } lit_cases[] = {
    { ".{0,100}\\ball rights reserved\\.?.{0,100}", "all right" },  /* no k or s */
    { ".*(?:left|right) column.*", " column" },
    { "\\p{Lu}abc.*", "abc" },
    { "\\x41bcd.*", "bcd" },
    { "\\x{41}bcd", "bcd" },
    { ".*foo(bar)?bazz?", "foo" },
    { ".*fooo?", "foo" },
    { "(?x) all right", NULL },
    { ".*all right|other", NULL },
    { "(*ACCEPT)all right", NULL },
    { ".*\\Qall right\\E", NULL },
    { ".*[abc]def.*", "def" },
    { ".*[]xyz]def", "def" },
    { ".*abc{2,3}", NULL },  /* "ab": too short */
    { ".*abcd{2,3}", "abc" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (lit_cases); i++)
    {
      g_autofree char *lit = clean_required_literal (lit_cases[i].regex);
      if (g_strcmp0 (lit, lit_cases[i].literal) != 0)
        fail_msg ("required literal of '%s': '%s', expected '%s'", lit_cases[i].regex,
                  lit ? lit : "(none)", lit_cases[i].literal ? lit_cases[i].literal : "(none)");
    }
}

/* The outlet key's plain-ASCII path (lowering) agrees with casefolding. */
static char *
outlet_key_reference (const char *s, gssize len)
{
  g_autofree char *folded = g_utf8_casefold (s, len);
  GString *key = g_string_new (NULL);
  gboolean space = FALSE;
  for (const char *p = folded; *p; p++)
    {
      if (g_ascii_isspace (*p))
        space = TRUE;
      else
        {
          if (space && key->len > 0)
            g_string_append_c (key, ' ');
          space = FALSE;
          g_string_append_c (key, *p);
        }
    }
  return g_string_free (key, FALSE);
}

static void
test_outlet_key_fast_path (void **state)
{
  (void) state;
  GRand *rand = g_rand_new_with_seed (777);
  GString *s = g_string_new (NULL);
  for (guint round = 0; round < 5000; round++)
    {
      g_string_truncate (s, 0);
      guint n = g_rand_int_range (rand, 0, 40);
      for (guint i = 0; i < n; i++)
        {
          guint r = g_rand_int_range (rand, 0, 100);
          if (r < 5)
            g_string_append (s, "\xc3\x89");   /* a non-ASCII word now and then */
          else if (r < 20)
            g_string_append_c (s, " \t\n"[r % 3]);
          else
            g_string_append_c (s, (char) g_rand_int_range (rand, 0x20, 0x7f));
        }
      for (int with_len = 0; with_len < 2; with_len++)
        {
          gssize len = with_len ? (gssize) s->len : -1;
          g_autofree char *fast = clean_outlet_key (s->str, len);
          g_autofree char *ref = outlet_key_reference (s->str, len);
          if (strcmp (fast, ref) != 0)
            fail_msg ("outlet key of '%s': '%s', casefolded '%s'", s->str, fast, ref);
        }
    }
  g_string_free (s, TRUE);
  g_rand_free (rand);
}

/* The quick "word stays as it is" check never says so of a word that
 * clean_word() changes, under several option sets; and it does say so of
 * plain dashes, quotes and Cyrillic. */
static void
test_word_fast_path (void **state)
{
  (void) state;
  static const char *const pieces[] = {
    "a", "Z", "7", ".", "'", "\"", "\xe2\x80\x94" /* em dash */, "\xe2\x80\x93",
    "\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\x9e", "\xe2\x80\x98", "\xe2\x80\x99",
    "\xc2\xab", "\xc2\xbb", "\xe2\x82\xac" /* euro */, "\xc2\xa9", "\xc2\xa0" /* nbsp */,
    "\xc2\xad" /* soft hyphen */, "\xe2\x80\x8b" /* zwsp */, "\xe2\x80\x8d" /* zwj */,
    "\xef\xbb\xbf" /* bom */, "\xe2\x80\xa8", "\xc2\x85", "\xc2\x9c", "\xcc\x81" /* combining acute */,
    "\xd0\xb9", "\xd0\xb8", "\xce\xac", "\xce\xb1", "\xe3\x80\x80" /* ideographic space */,
    "\xe2\x80\xaf" /* narrow nbsp */, "\xe2\x88\x92" /* minus */, "\xef\xbc\xa1" /* fullwidth A */,
    "\xf0\x9f\x98\x80", "&amp;", "&", "&#8220;", "e\xcc\x81", "\xe2\x81\xa0",
  };
  GRand *rand = g_rand_new_with_seed (31337);
  GString *w = g_string_new (NULL), *out = g_string_new (NULL), *tmp = g_string_new (NULL);
  guint fast = 0, slow = 0;
  for (guint opt = 0; opt < 4; opt++)
    {
      CleanStage st = { 0 };
      st.strip_controls = st.map_spaces = st.nfc = st.decode_entities = st.quote_space = TRUE;
      st.fold_quotes = opt == 1;
      st.fold_dashes = opt == 2;
      if (opt == 3)
        st.nfc = st.quote_space = st.strip_controls = FALSE;
      for (guint round = 0; round < 20000; round++)
        {
          g_string_truncate (w, 0);
          guint n = g_rand_int_range (rand, 1, 6);
          for (guint k = 0; k < n; k++)
            g_string_append (w, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
          if (!clean_word_is_clean (&st, w->str, w->len))
            {
              slow++;
              continue;
            }
          fast++;
          g_string_truncate (out, 0);
          clean_word (&st, w->str, w->len, out, tmp);
          if (out->len != w->len || memcmp (out->str, w->str, w->len) != 0)
            fail_msg ("word '%s' taken as clean, but cleaned into '%s' (options %u)", w->str,
                      out->str, opt);
        }
    }
  assert_true (fast > 1000 && slow > 1000);
  CleanStage st = { 0 };
  st.strip_controls = st.map_spaces = st.nfc = st.decode_entities = st.quote_space = TRUE;
  static const char *const plain[] = { "\xe2\x80\x94", "\xe2\x80\x9cQuote,\xe2\x80\x9d",
                                       "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
                                       "\xe2\x82\xac" "12" };
  for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
    assert_true (clean_word_is_clean (&st, plain[i], strlen (plain[i])));
  g_string_free (w, TRUE);
  g_string_free (out, TRUE);
  g_string_free (tmp, TRUE);
  g_rand_free (rand);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_descriptor),
    cmocka_unit_test (test_rules),
    cmocka_unit_test (test_golden),
    cmocka_unit_test (test_huge_single_line),
    cmocka_unit_test (test_annotations_stay_aligned),
    cmocka_unit_test (test_meta_never_overwritten),
    cmocka_unit_test (test_report),
    cmocka_unit_test (test_pattern_file_errors),
    cmocka_unit_test (test_user_files),
    cmocka_unit_test (test_measure_fast_path),
    cmocka_unit_test (test_prefilter_agrees),
    cmocka_unit_test (test_required_literal),
    cmocka_unit_test (test_outlet_key_fast_path),
    cmocka_unit_test (test_word_fast_path),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
