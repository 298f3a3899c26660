/* translit unit tests: table-driven per scheme (our own pairs), mixed
 * scripts, NFD input, case rules, modes, bad scheme names and broken scheme
 * files.  Driven through SluiceHarness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <glib/gstdio.h>

#include <sluice/sluice.h>

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static SluiceHarness *
make (const char *scheme, const char *lang, const char *mode)
{
  const char *opts[] = { "scheme", scheme, "lang", lang, "mode", mode, NULL };
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), TRANSLIT_DATA_DIR, opts, &error);
  if (!h)
    fail_msg ("create(%s, %s): %s", scheme, lang, error->message);
  return h;
}

static char *
run_replace (SluiceHarness *h, const char *text)
{
  GError *error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, text, &error);
  if (!doc)
    fail_msg ("run: %s", error->message);
  char *out = g_strdup (sluice_document_get_text (doc, NULL));
  sluice_document_free (doc);
  return out;
}

typedef struct { const char *src, *expected; } Pair;

static void
check_pairs (const char *scheme, const char *lang, const Pair *pairs)
{
  SluiceHarness *h = make (scheme, lang, "replace");
  for (const Pair *p = pairs; p->src; p++)
    {
      char *got = run_replace (h, p->src);
      if (strcmp (got, p->expected) != 0)
        fail_msg ("%s/%s: '%s' -> '%s', expected '%s'", scheme, lang, p->src, got, p->expected);
      g_free (got);
    }
  sluice_harness_free (h);
}

/* ---- table-driven pairs per scheme (our own words, from the standards' rules) */

typedef struct { const char *scheme, *lang; const Pair *pairs; } Table;

static const Pair ru_bgn[] = {
  { "Щука", "Shchuka" }, { "ЩУКА", "SHCHUKA" }, { "ЩУка", "SHCHUka" },
  { "Ёж", "Yëzh" }, { "Семёнов", "Semënov" }, { "Подъезд", "Pod”yezd" }, { "Ель", "Yel’" },
  { "Заяц", "Zayats" }, { "Детская", "Det·skaya" }, { "Хабаровск", "Khabarovsk" }, { "Сыктывкар", "Syktyvkar" },
  { NULL, NULL } };
static const Pair ru_iso9[] = {
  { "Щука", "Ŝuka" }, { "Юрий Яковлев", "Ûrij Âkovlev" }, { "Съезд", "Sʺezd" }, { "Эхо", "Èho" },
  { "Ёлка", "Ëlka" }, { NULL, NULL } };
static const Pair ru_gost_b[] = {
  { "Царь", "Czar`" }, { "Цыплёнок", "Cy`plyonok" }, { "Щи", "Shhi" }, { "Хлеб", "Xleb" }, { NULL, NULL } };
static const Pair ru_ala[] = {
  { "Цена", "T͡sena" }, { "Юг", "I͡ug" }, { "Эра", "Ėra" }, { "Майка", "Maĭka" }, { NULL, NULL } };
static const Pair ru_icao[] = {
  { "Юлиан Щербаков", "Iulian Shcherbakov" }, { "Подъём", "Podieem" }, { "Соль", "Sol" }, { NULL, NULL } };
static const Pair ru_scientific[] = {
  { "Жизнь", "Žiznʹ" }, { "Хор", "Xor" }, { "Щука", "Ščuka" }, { NULL, NULL } };
static const Pair ru_wiki[] = {
  { "Ёлка", "Yolka" }, { "Большой", "Bolshoy" }, { "Дикий", "Diky" }, { "Воробьёв", "Vorobyov" },
  { "Объект", "Obyekt" }, { "Ильич", "Ilyich" }, { NULL, NULL } };
static const Pair ru_mosmetro[] = {
  { "Щукинская", "Schukinskaya" }, { "Новый", "Novy" }, { NULL, NULL } };
static const Pair uk_national[] = {
  { "Згурівка", "Zghurivka" }, { "Їжак", "Yizhak" }, { "Київ", "Kyiv" }, { "Юрій", "Yurii" },
  { "Львів", "Lviv" }, { "Знам’янка", "Znamianka" }, { "Ґудзь", "Gudz" }, { "Єнот", "Yenot" },
  { NULL, NULL } };
static const Pair uk_iso9[] = { { "Ґанок", "G̀anok" }, { "Їжа", "Ïža" }, { NULL, NULL } };
static const Pair be_bgn[] = {
  { "Гомель", "Homyel’" }, { "Слаўгарад", "Slawharad" }, { "Лёс", "Lyos" }, { NULL, NULL } };
static const Pair bg_bgn[] = {
  { "България", "Balgaria" }, { "Щастие", "Shtastie" }, { "Пловдив", "Plovdiv" }, { NULL, NULL } };
static const Pair sr_bgn[] = { { "Ђорђе Његош", "Đorđe Njegoš" }, { "Џеп", "Džep" }, { NULL, NULL } };
static const Pair mk_bgn[] = { { "Ѓорѓи Ќерка", "Gjorgji Kjerka" }, { "Ѕвезда", "Dzvezda" }, { NULL, NULL } };
static const Pair kk_bgn[] = { { "Қарағанды", "Qaraghandy" }, { "Өскемен", "Öskemen" }, { "Шың", "Shyng" }, { NULL, NULL } };
static const Pair ky_bgn[] = { { "Ысык-Көл", "Ysyk-Köl" }, { "Жалал-Абад", "Jalal-Abad" }, { NULL, NULL } };
static const Pair mn_bgn[] = { { "Улаанбаатар", "Ulaanbaatar" }, { "Өлгий", "Ölgii" }, { NULL, NULL } };
static const Pair az_bgn[] = { { "Шәки", "Şəki" }, { "Ҹәлилабад", "Cəlilabad" }, { "Гәнҹә", "Qəncə" }, { NULL, NULL } };
static const Pair hy_bgn[] = { { "Եղեգնաձոր", "Yeghegnadzor" }, { "Ոսկի", "Voski" }, { "Գյումրի", "Gyumri" }, { NULL, NULL } };
static const Pair hy_ala[] = { { "Թումանյան", "Tʻumanyan" }, { "Ուրարտու", "Urartu" }, { NULL, NULL } };
static const Pair ka_nat[] = { { "ქუთაისი", "kutaisi" }, { "წყალტუბო", "ts’q’alt’ubo" }, { NULL, NULL } };
static const Pair el_elot[] = {
  { "Θεσσαλονίκη", "Thessaloníki" }, { "ΑΘΗΝΑ", "ATHINA" }, { "Ευβοια", "Evvoia" },
  { "Ναύπακτος", "Náfpaktos" }, { "Μπάλος", "Bálos" }, { "Χανιά", "Chaniá" }, { NULL, NULL } };
static const Pair el_iso843[] = { { "Ηλεία", "Īleía" }, { "Ωρωπός", "Ōrōpós" }, { NULL, NULL } };

/* Arabic script: vowelled input (harakat), shaddah in either order around the
 * vowel, the article, tā’ marbūṭah, hamza seats; our own words. */
static const Pair ar_alalc[] = {
  { "كِتَاب", "kitāb" }, { "المَدرَسَة", "al-madrasah" },
  { "وِزَارَة الصِّحَّة", "wizārat al-ṣiḥḥah" },          /* construct t; sun letter not assimilated */
  { "قَاضٍ", "qāḍin" }, { "عَدُوّ", "‘adūw" }, { "المِصرِيّ", "al-miṣrī" },
  { "المِصرِيَّة", "al-miṣrīyah" }, { "ذَلِكَ", "dhālika" }, { "مَلَأ", "mala’a" },
  { "سَمَاء", "samā’" }, { "شَمس", "shams" }, { "بَيرُوت", "bayrūt" },
  { "\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f", "muḥammad" }, /* shaddah, fatha */
  { "\u0645\u064f\u062d\u064e\u0645\u064e\u0651\u062f", "muḥammad" }, /* fatha, shaddah */
  { "اللّٰه أَكبَر", "Allāh akbar" }, { "إِسلَام", "islām" }, { "آثَار", "āthār" },
  { "مُؤتَمَر", "mu’tamar" }, { "رِسَالَة، كِتَاب", "risālah, kitāb" },
  { NULL, NULL } };
static const Pair ar_bgn[] = {
  { "الشَّارِقَة", "Ash Shāriqah" }, { "تَلّ اللَّحْم", "Tall al Laḩm" }, { "حَلَب", "Ḩalab" },
  { "مَدِينَة الكُوَيْت", "Madīnat al Kuwayt" }, { "عَبْد الرَّحْمٰن", "‘Abd ar Raḩmān" },
  { "غَرْبِيّ", "Gharbī" }, { "صَنْعَاء", "Şan‘ā’" }, { "حَمَاة", "Ḩamāh" },
  { "الظَّهْرَان", "Az̧ Z̧ahrān" }, { NULL, NULL } };
static const Pair ar_un2017[] = {
  { "الشَّارِقَة", "Ash Shāriqah" }, { "طَرَابُلُس", "Ṯarābulus" }, { "حِمْص", "H̱ims̱" },
  { "وَادِي الرَّمْلَة", "Wādī ar Ramlah" }, { "الضِّنِّيَّة", "Aḏ Ḏinnīyah" }, { NULL, NULL } };
static const Pair fa_alalc[] = {
  { "تِهْرَان", "Tihrān" }, { "شِیرَاز", "Shīrāz" }, { "گُل", "Gul" }, { "خَانَهٔ مَن", "Khānah-’i Man" },
  { "ثَروَت", "S̄arvat" }, { "ذِکر", "Z̄ikr" }, { "الشَّمس", "al-Shams" }, { NULL, NULL } };

/* Punctuation a scheme maps joins a run when it touches the run's first or
 * last letter (Armenian « » ։); punctuation no scheme of the script maps
 * stays byte for byte. */
static const Pair hy_ala_punct[] = {
  { "«Մասիս» և «Արարատ»։", "\"Masis\" ev \"Ararat\"." }, { "Գյումրի։", "Gyumri." },
  { "(Մասիս)", "(Masis)" }, { NULL, NULL } };
static const Pair ru_bgn_punct[] = {
  { "«Москва» — \"Тверь\"", "«Moskva» — \"Tver’\"" }, { NULL, NULL } };

static const Table tables[] = {
  { "ala-lc", "hy", hy_ala_punct }, { "bgn-pcgn", "ru", ru_bgn_punct },
  { "ala-lc", "ar", ar_alalc }, { "bgn-pcgn", "ar", ar_bgn }, { "ungegn-2017", "ar", ar_un2017 },
  { "ala-lc", "fa", fa_alalc },
  { "bgn-pcgn", "ru", ru_bgn }, { "iso9", "ru", ru_iso9 }, { "gost-7.79-b", "ru", ru_gost_b },
  { "ala-lc", "ru", ru_ala }, { "icao", "ru", ru_icao }, { "scientific", "ru", ru_scientific },
  { "wikipedia", "ru", ru_wiki }, { "mosmetro", "ru", ru_mosmetro },
  { "national", "uk", uk_national }, { "bgn-pcgn", "uk", uk_national }, { "iso9", "uk", uk_iso9 },
  { "bgn-pcgn", "be", be_bgn }, { "bgn-pcgn", "bg", bg_bgn }, { "bgn-pcgn", "sr", sr_bgn },
  { "bgn-pcgn", "mk", mk_bgn }, { "bgn-pcgn", "kk", kk_bgn }, { "bgn-pcgn", "ky", ky_bgn },
  { "bgn-pcgn", "mn", mn_bgn }, { "bgn-pcgn", "az", az_bgn }, { "bgn-pcgn", "hy", hy_bgn },
  { "ala-lc", "hy", hy_ala }, { "national", "ka", ka_nat }, { "bgn-pcgn", "ka", ka_nat },
  { "elot-743", "el", el_elot }, { "bgn-pcgn", "el", el_elot }, { "iso-843", "el", el_iso843 },
};

static void
test_tables (void **state)
{
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    check_pairs (tables[i].scheme, tables[i].lang, tables[i].pairs);
}

/* Every bundled scheme file compiles (a broken one would fail create()). */
static void
test_all_schemes_load (void **state)
{
  g_autofree char *dir = g_build_filename (TRANSLIT_DATA_DIR, "schemes", NULL);
  GDir *d = g_dir_open (dir, 0, NULL);
  assert_non_null (d);
  const char *f;
  guint n = 0;
  while ((f = g_dir_read_name (d)))
    {
      if (!g_str_has_suffix (f, ".map") || strcmp (f, "ascii.map") == 0)
        continue;
      /* SCHEME.LANG.map; the scheme name may hold dots (gost-7.79-b) */
      g_autofree char *base = g_strndup (f, strlen (f) - 4);
      char *dot = strrchr (base, '.');
      assert_non_null (dot);
      *dot = 0;
      SluiceHarness *h = make (base, dot + 1, "replace");
      sluice_harness_free (h);
      n++;
    }
  g_dir_close (d);
  assert_true (n >= 60);
}

static void
test_case_rules (void **state)
{
  static const Pair p[] = {
    { "ЩУКА", "SHCHUKA" }, { "Щука", "Shchuka" }, { "щука", "shchuka" }, { "ЩУка", "SHCHUka" },
    { "Щ", "Shch" }, { "ЖЖ", "ZHZH" }, { "ЧАЙ Чай", "CHAY Chay" }, { NULL, NULL } };
  check_pairs ("bgn-pcgn", "ru", p);
}

static void
test_mixed_script (void **state)
{
  /* Latin, digits, emoji and Greek pass through byte for byte under a Cyrillic scheme. */
  static const Pair p[] = {
    { "Visit Москва in 2024 — ΑΘΗΝΑ too 🙂", "Visit Moskva in 2024 — ΑΘΗΝΑ too 🙂" },
    { "", "" }, { "plain ASCII only", "plain ASCII only" },
    { "Tschüß, Новгород!\nDone.", "Tschüß, Novgorod!\nDone." }, { NULL, NULL } };
  check_pairs ("bgn-pcgn", "ru", p);
}

static void
test_nfd_input (void **state)
{
  static const Pair p[] = {
    /* й as и + U+0306, ё as е + U+0308 */
    { "Чайковски\xd0\xb8\xcc\x86", "Chaykovskiy" }, { "\xd0\x95\xcc\x88лкино", "Yëlkino" }, { NULL, NULL } };
  check_pairs ("bgn-pcgn", "ru", p);
  static const Pair g[] = { { "Αθη\xce\xb7\xcc\x81να", "Athiína" }, { NULL, NULL } };
  check_pairs ("elot-743", "el", g);
}

static void
test_auto_lang (void **state)
{
  SluiceHarness *h = make ("bgn-pcgn", "auto", "annotate");
  GError *error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, "Київ and Москва and Қарағанды and Αθήνα and Երևան", &error);
  assert_non_null (doc);
  struct { const char *text, *lang, *latin, *script; } want[] = {
    { "Київ", "uk", "Kyiv", "Cyrl" }, { "Москва", "ru", "Moskva", "Cyrl" },
    { "Қарағанды", "kk", "Qaraghandy", "Cyrl" }, { "Αθήνα", "el", "Athína", "Grek" },
    { "Երևան", "hy", "Yerevan", "Armn" } };
  assert_int_equal (sluice_document_get_n_annotations (doc), G_N_ELEMENTS (want));
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    {
      SluiceAnnotation *a = sluice_document_find_annotation (doc, "TRANSLIT", want[i].text);
      assert_non_null (a);
      SluiceAttrs *at = sluice_annotation_get_attrs (a);
      assert_string_equal (sluice_attrs_get_string (at, "lang"), want[i].lang);
      assert_string_equal (sluice_attrs_get_string (at, "latin"), want[i].latin);
      assert_string_equal (sluice_attrs_get_string (at, "script"), want[i].script);
      assert_string_equal (sluice_attrs_get_string (at, "scheme"), "bgn-pcgn");
    }
  sluice_document_free (doc);
  sluice_harness_free (h);
}

/* ala-lc has Arabic and Persian files: Persian letters (پ ی ...) pick fa,
 * the rest falls back to ar. */
static void
test_auto_lang_arabic (void **state)
{
  SluiceHarness *h = make ("ala-lc", "auto", "annotate");
  GError *error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, "Book: كِتَاب; father: پِدَر.", &error);
  assert_non_null (doc);
  assert_int_equal (sluice_document_get_n_annotations (doc), 2);
  SluiceAnnotation *a = sluice_document_find_annotation (doc, "TRANSLIT", "كِتَاب");
  assert_non_null (a);
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "lang"), "ar");
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "script"), "Arab");
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "latin"), "kitāb");
  a = sluice_document_find_annotation (doc, "TRANSLIT", "پِدَر");
  assert_non_null (a);
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "lang"), "fa");
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "latin"), "Pidar");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_annotate_runs (void **state)
{
  SluiceHarness *h = make ("iso9", "ru", "annotate");
  GError *error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, "Say \"Добрый день, мир\" (hi) и пока", &error);
  assert_non_null (doc);
  /* Words of one script with the punctuation between them form one run. */
  assert_int_equal (sluice_document_get_n_annotations (doc), 2);
  SluiceAnnotation *a = sluice_document_find_annotation (doc, "TRANSLIT", "Добрый день, мир");
  assert_non_null (a);
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "latin"), "Dobryj denʹ, mir");
  assert_non_null (sluice_document_find_annotation (doc, "TRANSLIT", "и пока"));
  /* annotate never changes the text */
  assert_string_equal (sluice_document_get_text (doc, NULL), "Say \"Добрый день, мир\" (hi) и пока");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_replace_keeps_annotations (void **state)
{
  SluiceHarness *h = make ("bgn-pcgn", "ru", "replace");
  SluiceDocument *doc = sluice_document_new ("t", "Мэр Щукин visited Paris.", -1);
  /* "Paris" starts after the Cyrillic run; its annotation must move with it. */
  const char *text = sluice_document_get_text (doc, NULL);
  gsize ps = strstr (text, "Paris") - text;
  sluice_document_add_annotation (doc, "LOCATION", ps, ps + 5);
  gsize ws = strstr (text, "Щукин") - text;
  sluice_document_add_annotation (doc, "PERSON", ws, ws + strlen ("Щукин"));
  GError *error = NULL;
  assert_int_equal (sluice_harness_process (h, doc, &error), SLUICE_OK);
  assert_string_equal (sluice_document_get_text (doc, NULL), "Mer Shchukin visited Paris.");
  assert_non_null (sluice_document_find_annotation (doc, "LOCATION", "Paris"));
  /* Inside the replaced run the annotation widens to the whole replacement. */
  assert_non_null (sluice_document_find_annotation (doc, "PERSON", "Mer Shchukin"));
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_entities_mode (void **state)
{
  SluiceHarness *h = make ("bgn-pcgn", "auto", "entities");
  SluiceDocument *doc = sluice_document_new ("t", "Сергей Лавров met Anna in Київ.", -1);
  const char *text = sluice_document_get_text (doc, NULL);
  gsize s1 = 0, e1 = strlen ("Сергей Лавров");
  gsize s2 = strstr (text, "Anna") - text;
  gsize s3 = strstr (text, "Київ") - text;
  sluice_document_add_annotation (doc, "PERSON", s1, e1);
  sluice_document_add_annotation (doc, "PERSON", s2, s2 + 4);
  sluice_document_add_annotation (doc, "LOCATION", s3, s3 + strlen ("Київ"));
  GError *error = NULL;
  assert_int_equal (sluice_harness_process (h, doc, &error), SLUICE_OK);
  SluiceAttrs *a1 = sluice_annotation_get_attrs (sluice_document_get_annotation (doc, 0));
  SluiceAttrs *a2 = sluice_annotation_get_attrs (sluice_document_get_annotation (doc, 1));
  SluiceAttrs *a3 = sluice_annotation_get_attrs (sluice_document_get_annotation (doc, 2));
  assert_string_equal (sluice_attrs_get_string (a1, "latin"), "Sergey Lavrov");
  assert_false (sluice_attrs_has (a2, "latin"));
  assert_string_equal (sluice_attrs_get_string (a3, "latin"), "Kyiv");
  /* no new annotations, text unchanged */
  assert_int_equal (sluice_document_get_n_annotations (doc), 3);
  assert_string_equal (sluice_document_get_text (doc, NULL), "Сергей Лавров met Anna in Київ.");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_ascii (void **state)
{
  static const Pair p[] = {
    { "Xocalı", "Xocali" }, { "Şəki ŞƏKİ", "Seki SEKI" }, { "Ærøskøbing", "Aeroskobing" }, { "ÆRØ", "AERO" }, { "plain", "plain" },
    { NULL, NULL } };
  check_pairs ("ascii", "auto", p);
  /* after a scheme */
  const char *opts[] = { "scheme", "bgn-pcgn", "lang", "ru", "mode", "replace", "ascii", "true", NULL };
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), TRANSLIT_DATA_DIR, opts, &error);
  assert_non_null (h);
  char *got = run_replace (h, "Ёлкино, Подъезд");
  assert_string_equal (got, "Yelkino, Pod\"yezd");
  g_free (got);
  /* Latin text outside the scheme's script stays as it is. */
  got = run_replace (h, "Café Москва");
  assert_string_equal (got, "Café Moskva");
  g_free (got);
  sluice_harness_free (h);
}

static void
expect_create_error (const char *const *opts, const char *fragment)
{
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), TRANSLIT_DATA_DIR, opts, &error);
  if (h)
    fail_msg ("create succeeded; expected an error with '%s'", fragment);
  assert_non_null (error);
  if (!strstr (error->message, fragment))
    fail_msg ("error '%s' lacks '%s'", error->message, fragment);
  g_error_free (error);
}

static void
test_invalid_names (void **state)
{
  const char *o1[] = { "scheme", "no-such-scheme", "lang", "ru", NULL };
  expect_create_error (o1, "no scheme 'no-such-scheme' for lang 'ru'");
  const char *o2[] = { "scheme", "iso9", "lang", "xx", NULL };
  expect_create_error (o2, "no scheme 'iso9' for lang 'xx'");
  /* A typo gets the nearest scheme and the schemes of that language, sorted. */
  const char *o5[] = { "scheme", "bgn-pgcn", "lang", "ru", NULL };
  expect_create_error (o5, "did you mean 'bgn-pcgn'?; available for ru: ala-lc, ala-lc-alt, ascii, "
                           "bgn-pcgn, ");
  const char *o6[] = { "scheme", "isoo9", "lang", "auto", NULL };
  expect_create_error (o6, "did you mean 'iso9'?; available: ala-lc (ar az el fa hy ka ru uk), ");
  expect_create_error (o2, "no scheme at all for 'xx'; available: ala-lc (");
  const char *o3[] = { "scheme", "../etc", "lang", "ru", NULL };
  expect_create_error (o3, "invalid scheme name");
  const char *o4[] = { "scheme", "bgn-pcgn", "lang", "ru", "mode", "shout", NULL };
  GError *error = NULL;
  assert_null (sluice_harness_new (sluice_stage_descriptor (), TRANSLIT_DATA_DIR, o4, &error));
  g_clear_error (&error);
}

/* Broken scheme files in a user directory: FILE:LINE errors from create(). */
static void
test_broken_files (void **state)
{
  g_autofree char *dir = g_dir_make_tmp ("translit-XXXXXX", NULL);
  assert_non_null (dir);
  struct { const char *content, *where, *what; } cases[] = {
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\nа a\nб\n", ":6:", "has no target" },
    { "@standard x\n@edition 1\n@source me\n@script Qqqq\nа a\n", ":4:", "unknown script" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\nа a after=nothing\n", ":5:", "unknown class" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\nа a sometimes\n", ":5:", "unknown condition" },
    { "@standard x\n@edition 1\n@script Cyrl\nа a\n", ":1:", "missing @source" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\n@colour blue\n", ":5:", "unknown directive" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\nа \\uZZZZ\n", ":5:", "bad rule" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\n# only comments\n", ":1:", "no rules" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\n\xff\n", ":1:", "not valid UTF-8" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\n@case upside\nа a\n", ":5:", "@case" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\n@reorder-first а\nа a\n", ":5:", "combining marks" },
    { "@standard x\n@edition 1\n@source me\n@script Cyrl\nа a prefix=\n", ":5:", "bad prefix" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (dir, "broken.ru.map", NULL);
      assert_true (g_file_set_contents (path, cases[i].content, -1, NULL));
      const char *opts[] = { "scheme", "broken", "lang", "ru", "scheme_dirs", dir, NULL };
      g_autofree char *frag = g_strconcat (path, cases[i].where, NULL);
      expect_create_error (opts, frag);
      expect_create_error (opts, cases[i].what);
      g_unlink (path);
    }
  g_rmdir (dir);
}

/* A third-party scheme dropped into a directory named in the pipeline,
 * exercising every condition kind; it also shadows a bundled file. */
static void
test_user_scheme (void **state)
{
  g_autofree char *dir = g_dir_make_tmp ("translit-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "toy.ru.map", NULL);
  const char *content =
    "# a toy scheme\n@standard Toy\n@edition 1\n@source tests\n@script Cyrl\n@class vowel а о\n"
    "а A initial\nа á final\nа à after=vowel\nа a\nб B before=vowel\nб b\nоб ob! final\nо o\n"
    "\\u0432 w\n";
  assert_true (g_file_set_contents (path, content, -1, NULL));
  const char *opts[] = { "scheme", "toy", "lang", "ru", "mode", "replace", "scheme_dirs", dir, NULL };
  GError *error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), TRANSLIT_DATA_DIR, opts, &error);
  assert_non_null (h);
  char *got = run_replace (h, "аба оаб боб в");
  assert_string_equal (got, "ABá oàb Bob! w");
  g_free (got);
  sluice_harness_free (h);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_odd_input (void **state)
{
  SluiceHarness *h = make ("bgn-pcgn", "auto", "replace");
  /* 1 MiB single line of Cyrillic: no crash, full conversion */
  GString *big = g_string_new (NULL);
  while (big->len < (1u << 20))
    g_string_append (big, "щука ");
  char *got = run_replace (h, big->str);
  assert_true (g_str_has_prefix (got, "shchuka shchuka"));
  assert_null (strstr (got, "щ"));
  g_free (got);
  g_string_free (big, TRUE);
  /* lone combining marks, unassigned and private-use code points */
  got = run_replace (h, "\xcc\x86 \xf3\xa0\x80\x81 \xee\x80\x80 д\xcc\x86\xcc\x88");
  assert_non_null (got);
  g_free (got);
  /* Arabic edge cases: a lone article, lone ة, marks with no letter, a long
   * cluster of marks, tatweel, a mark-only tail, huge line of vowelled text. */
  static const char *const arabic[] = {
    "ال", "ة", "\u0651\u064e\u0650", "ب\u0651\u0651\u0651\u064e\u064e\u064e\u0652\u0670",
    "كـتـاب", "ة ة ة", "الله الله", "آ", "ء", "ىٰ", "\u064b", NULL };
  const char *schemes[][2] = { { "ala-lc", "ar" }, { "bgn-pcgn", "ar" }, { "ungegn-2017", "ar" },
                               { "ala-lc", "fa" } };
  for (gsize k = 0; k < G_N_ELEMENTS (schemes); k++)
    {
      SluiceHarness *ha = make (schemes[k][0], schemes[k][1], "replace");
      for (gsize i = 0; arabic[i]; i++)
        {
          got = run_replace (ha, arabic[i]);
          assert_true (g_utf8_validate (got, -1, NULL));
          g_free (got);
        }
      GString *line = g_string_new (NULL);
      while (line->len < (1u << 20))
        g_string_append (line, "مَدِينَة الشَّمس ");
      got = run_replace (ha, line->str);
      assert_null (strchr (got, '\n'));
      assert_true (g_utf8_strlen (got, -1) > 0);
      assert_null (strstr (got, "\u0645")); /* no Arabic letter left */
      g_free (got);
      g_string_free (line, TRUE);
      sluice_harness_free (ha);
    }
  sluice_harness_free (h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_tables),
    cmocka_unit_test (test_all_schemes_load),
    cmocka_unit_test (test_case_rules),
    cmocka_unit_test (test_mixed_script),
    cmocka_unit_test (test_nfd_input),
    cmocka_unit_test (test_auto_lang),
    cmocka_unit_test (test_auto_lang_arabic),
    cmocka_unit_test (test_annotate_runs),
    cmocka_unit_test (test_replace_keeps_annotations),
    cmocka_unit_test (test_entities_mode),
    cmocka_unit_test (test_ascii),
    cmocka_unit_test (test_invalid_names),
    cmocka_unit_test (test_broken_files),
    cmocka_unit_test (test_user_scheme),
    cmocka_unit_test (test_odd_input),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
