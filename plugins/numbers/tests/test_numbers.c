/* Unit tests of the numbers stage, driven through the SluiceHarness.
 *
 * Table-driven: every form the issue lists, with its exact span, value, kind,
 * qualifier, unit and currency; sentences that must give no number; overflow; hostile
 * input (16 MiB of digits, 16 MiB of number words), which must finish (the scanner is
 * linear: no timing assertion). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <sluice/sluice.h>

#include "numbers-lexicon.h"
#include "numbers-scan.h"

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static SluiceHarness *
harness (const char *const *opts)
{
  g_autoptr (GError) error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), NUMBERS_DATA_DIR, opts, &error);
  if (h == NULL)
    fail_msg ("harness: %s", error->message);
  return h;
}

/* One expected NUMBER.  value NAN: a range (then min/max); NULL strings: absent. */
typedef struct {
  const char *input;
  const char *span;
  double value;
  const char *kind;
  const char *qualifier;
  const char *unit;
  const char *currency;
  double min, max;
} Case;

#define R NAN
#define NONE NULL

static const Case cases[] = {
  /* digits, separators, decimals */
  { "The siege lasted 1,275 days.", "1,275", 1275, "cardinal", "exact", "days" },
  { "Some 20,000 fled.", "20,000", 20000, "cardinal", "approx" },
  { "It grew 2.5 times.", "2.5", 2.5, "decimal", "exact", "times" },
  { "A ratio of 0.75 was set.", "0.75", 0.75, "decimal", "exact" },
  { "only .5 of it", ".5", 0.5, "decimal", "exact" },
  { "40 000 tonnes", "40 000", 40000, "cardinal", "exact", "tonnes" },
  { "a rate of 12,34,567.89", "12,34,567.89", 1234567.89, "decimal", "exact" },
  { "minus -9.25 here", "-9.25", -9.25, "decimal", "exact" },
  /* number words */
  { "one", "one", 1, "cardinal", "exact" },
  { "twenty six", "twenty six", 26, "cardinal", "exact" },
  { "TWENTY six", "TWENTY six", 26, "cardinal", "exact" },
  { "twenty-six", "twenty-six", 26, "cardinal", "exact" },
  { "one hundred and six", "one hundred and six", 106, "cardinal", "exact" },
  { "a thousand", "a thousand", 1000, "cardinal", "exact" },
  { "one million", "one million", 1e6, "cardinal", "exact" },
  { "two and a half million", "two and a half million", 2.5e6, "fraction", "exact" },
  { "twenty-one trillion three hundred", "twenty-one trillion three hundred", 21000000000300.0,
    "cardinal", "exact" },
  { "nine point nought four", "nine point nought four", 9.04, "decimal", "exact" },
  { "half a dozen eggs", "half a dozen", 6, "fraction", "exact", "eggs" },
  { "4 thousand 3 hundred and 21", "4 thousand 3 hundred and 21", 4321, "cardinal", "exact" },
  { "three lakh crore", "three lakh crore", 3e12, "cardinal", "exact" },
  /* vague counts */
  { "dozens of people", "dozens", 24, "cardinal", "approx" },
  { "hundreds of thousands of refugees", "hundreds of thousands", 200000, "cardinal", "approx" },
  /* mixed */
  { "1.2 million", "1.2 million", 1.2e6, "cardinal", "exact" },
  { "2.5 billion", "2.5 billion", 2.5e9, "cardinal", "exact" },
  { "20 thousand", "20 thousand", 20000, "cardinal", "exact" },
  { "3bn users", "3bn", 3e9, "cardinal", "exact", "users" },
  { "10k runners", "10k", 10000, "cardinal", "exact", "runners" },
  /* ordinals */
  { "the 366th motorized infantry regiment", "366th", 366, "ordinal", "exact", "regiment" },
  { "the 32nd day", "32nd", 32, "ordinal", "exact", "day" },
  { "the 28th anniversary of", "28th", 28, "ordinal", "exact", "anniversary" },
  { "the first time", "first", 1, "ordinal", "exact", "time" },
  { "the twenty-sixth session", "twenty-sixth", 26, "ordinal", "exact", "session" },
  { "one hundred twenty-fifth", "one hundred twenty-fifth", 125, "ordinal", "exact" },
  /* percentages */
  { "20 percent", "20 percent", 20, "percent", "exact" },
  { "20%", "20%", 20, "percent", "exact" },
  { "twenty percent", "twenty percent", 20, "percent", "exact" },
  { "20 per cent", "20 per cent", 20, "percent", "exact" },
  { "nearly 20 percent of the land", "20 percent", 20, "percent", "approx" },
  { "minus five percent", "minus five percent", -5, "percent", "exact" },
  /* fractions */
  { "one fifth of the land", "one fifth", 0.2, "fraction", "exact" },
  { "a third of voters", "a third", 1.0 / 3, "fraction", "exact" },
  { "half of them", "half", 0.5, "fraction", "exact" },
  { "two-thirds of the seats", "two-thirds", 2.0 / 3, "fraction", "exact" },
  { "3/4 of a cup", "3/4", 0.75, "fraction", "exact" },
  { "one twenty-fifth", "one twenty-fifth", 0.04, "fraction", "exact" },
  { "one hundred and thirty fifths", "one hundred and thirty fifths", 26, "fraction", "exact" },
  { "one hundred thirty-fifths", "one hundred thirty-fifths", 100.0 / 35, "fraction", "exact" },
  { "two and fifty-four hundredths", "two and fifty-four hundredths", 2.54, "fraction", "exact" },
  { "1 in 5 adults", "1 in 5", 0.2, "fraction", "exact", "adults" },
  { "two out of five hundred", "two out of five hundred", 0.004, "fraction", "exact" },
  { "one over three", "one over three", 1.0 / 3, "fraction", "exact" },
  { "six million and two thirds", "six million and two thirds", 6e6 + 2e6 / 3, "fraction", "exact" },
  { "the result is \xe2\x85\x94", "\xe2\x85\x94", 2.0 / 3, "fraction", "exact" },
  /* ranges */
  { "On February 25-26, 1992", "25-26", R, "range", "exact", NONE, NONE, 25, 26 },
  { "Plan for 2020-2023 was", "2020-2023", R, "range", "exact", NONE, NONE, 2020, 2023 },
  { "between 10 and 15 people", "10 and 15", R, "range", "exact", "people", NONE, 10, 15 },
  { "10 to 15 people", "10 to 15", R, "range", "exact", "people", NONE, 10, 15 },
  { "from 2 to 3 million", "2 to 3 million", R, "range", "exact", NONE, NONE, 2e6, 3e6 },
  { "between negative ten and fifteen", "negative ten and fifteen", R, "range", "exact", NONE,
    NONE, -10, 15 },
  { "sizes 5k-20k", "5k-20k", R, "range", "exact", NONE, NONE, 5000, 20000 },
  { "above 1000 and below 1500", "1000 and below 1500", R, "range", "exact", NONE, NONE, 1000,
    1500 },
  /* qualifiers */
  { "more than 30 years", "30", 30, "cardinal", "more_than", "years" },
  { "over 20 people", "20", 20, "cardinal", "more_than", "people" },
  { "about 613 civilians", "613", 613, "cardinal", "approx", "civilians" },
  { "around 8 men", "8", 8, "cardinal", "approx", "men" },
  { "ABOUT 7 ships", "7", 7, "cardinal", "approx", "ships" },
  { "cost \xe2\x82\xac" "40 million", "40 million", 4e7, "cardinal", "exact", "eur", "EUR" },
  { "almost 9 hours", "9", 9, "cardinal", "approx", "hours" },
  { "as many as 613 people", "613", 613, "cardinal", "at_most", "people" },
  { "at least 10 homes", "10", 10, "cardinal", "at_least", "homes" },
  { "up to 11 boats", "11", 11, "cardinal", "at_most", "boats" },
  { "fewer than 12 cars", "12", 12, "cardinal", "less_than", "cars" },
  { "less than 13 days", "13", 13, "cardinal", "less_than", "days" },
  { "Some 1,275 residents were taken hostage", "1,275", 1275, "cardinal", "approx", "residents" },
  { "500 or more", "500", 500, "cardinal", "at_least" },
  { "less than 5000 or equal", "5000", 5000, "cardinal", "at_most" },
  { "more than 1/2 of them", "1/2", 0.5, "fraction", "more_than" },
  /* money */
  { "$2.5 billion", "2.5 billion", 2.5e9, "cardinal", "exact", "usd", "USD" },
  { "AZN 1.2 million", "1.2 million", 1.2e6, "cardinal", "exact", "azn", "AZN" },
  { "1.5 bn euros", "1.5 bn", 1.5e9, "cardinal", "exact", "eur", "EUR" },
  { "USD 300", "300", 300, "cardinal", "exact", "usd", "USD" },
  { "\xe2\x82\xac" "40m", "40m", 4e7, "cardinal", "exact", "eur", "EUR" },
  { "more than $5 million", "5 million", 5e6, "cardinal", "more_than", "usd", "USD" },
  { "hundred thousand dollars", "hundred thousand", 1e5, "cardinal", "exact", "usd", "USD" },
  /* counted nouns */
  { "613 civilians", "613", 613, "cardinal", "exact", "civilians" },
  { "106 women", "106", 106, "cardinal", "exact", "women" },
  { "63 children", "63", 63, "cardinal", "exact", "children" },
  { "70 elderly people", "70", 70, "cardinal", "exact", "people" },
  { "Four UN Security Council resolutions", "Four", 4, "cardinal", "exact", "resolutions" },
  { "more than one million Azerbaijanis", "one million", 1e6, "cardinal", "more_than",
    "azerbaijanis" },
  { "lost one parent.", "one", 1, "cardinal", "exact", "parent" },
  { "a 44-day war", "44", 44, "cardinal", "exact", "day" },
  { "the fate of 150 of them", "150", 150, "cardinal", "exact" },
  /* years and dates */
  { "in 1992 the", "1992", 1992, "year", "exact" },
  { "the 1948 Convention on", "1948", 1948, "year", "exact" },
  { "on 26 February 1992 by", "26", 26, "cardinal", "exact" },
  { "February 24, 1994 law", "1994", 1994, "year", "exact" },
  { "in the 1990s", "1990s", 1990, "year", "exact" },
  { "2000 people", "2000", 2000, "cardinal", "exact", "people" },
  /* misc */
  { "192.168.1.2", "168", 168, "cardinal", "exact" },
  { "1e10", "1e10", 1e10, "cardinal", "exact" },
  { "6.23x10^-4", "6.23x10^-4", 6.23e-4, "decimal", "exact" },
  { "2.5^-1", "2.5^-1", 0.4, "decimal", "exact" },
  { "5,00", "5,00", 5, "cardinal", "exact" },
  /* overflow: a double, not a wrapped integer */
  { "99999999999999999999999 people", "99999999999999999999999", 1e23, "cardinal", "exact",
    "people" },
};

static void
check_case (SluiceHarness *h, const Case *c)
{
  g_autoptr (GError) error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, c->input, &error);
  assert_non_null (doc);
  SluiceAnnotation *ann = sluice_document_find_annotation (doc, "NUMBER", c->span);
  if (ann == NULL) {
    GString *got = g_string_new (NULL);
    for (guint i = 0; i < sluice_document_get_n_annotations (doc); i++) {
      g_autofree char *tx = sluice_annotation_dup_text (doc, sluice_document_get_annotation (doc, i));
      g_string_append_printf (got, " '%s'", tx);
    }
    fail_msg ("'%s': no NUMBER '%s' (got:%s)", c->input, c->span, got->str);
  }
  SluiceAttrs *a = sluice_annotation_get_attrs (ann);
  const char *kind = sluice_attrs_get_string (a, "kind");
  if (g_strcmp0 (kind, c->kind) != 0)
    fail_msg ("'%s': kind %s, expected %s", c->input, kind, c->kind);
  if (isnan (c->value)) {
    assert_int_equal (sluice_attrs_get_type (a, "value"), SLUICE_VALUE_NULL);
    double mn = sluice_attrs_get_double (a, "min", NAN), mx = sluice_attrs_get_double (a, "max", NAN);
    if (!(fabs (mn - c->min) <= 1e-9 * fabs (c->min) && fabs (mx - c->max) <= 1e-9 * fabs (c->max)))
      fail_msg ("'%s': range %g..%g, expected %g..%g", c->input, mn, mx, c->min, c->max);
  } else {
    double v = sluice_attrs_get_double (a, "value", NAN);
    if (!(fabs (v - c->value) <= 1e-9 * fmax (1, fabs (c->value))))
      fail_msg ("'%s': value %.17g, expected %.17g", c->input, v, c->value);
  }
  const char *q = sluice_attrs_get_string (a, "qualifier");
  if (g_strcmp0 (q, c->qualifier) != 0)
    fail_msg ("'%s': qualifier %s, expected %s", c->input, q, c->qualifier);
  const char *u = sluice_attrs_get_string (a, "unit");
  if (g_strcmp0 (u, c->unit) != 0)
    fail_msg ("'%s': unit %s, expected %s", c->input, u ? u : "(none)", c->unit ? c->unit : "(none)");
  const char *cur = sluice_attrs_get_string (a, "currency");
  if (g_strcmp0 (cur, c->currency) != 0)
    fail_msg ("'%s': currency %s, expected %s", c->input, cur ? cur : "(none)",
              c->currency ? c->currency : "(none)");
  sluice_document_free (doc);
}

static void
test_forms (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (h, &cases[i]);
  sluice_harness_free (h);
}

/* Russian (lang = ru): our own sentences, one expected NUMBER each. */
static const Case ru_cases[] = {
  /* digits: space groups, decimal comma */
  { "Погибли 613 человек.", "613", 613, "cardinal", "exact", "человек" },
  { "Эвакуировали 40 000 жителей.", "40 000", 40000, "cardinal", "exact", "жителей" },
  { "Рост составил 2,5 раза.", "2,5", 2.5, "decimal", "exact", "раза" },
  { "В списке 1 500,5 тонны.", "1 500,5", 1500.5, "decimal", "exact", "тонны" },
  /* number words in every case */
  { "Их было двадцать шесть.", "двадцать шесть", 26, "cardinal", "exact" },
  { "ДВАДЦАТЬ шесть", "ДВАДЦАТЬ шесть", 26, "cardinal", "exact" },
  { "сто двадцать пять тысяч", "сто двадцать пять тысяч", 125000, "cardinal", "exact" },
  { "Двести двадцать пять человек", "Двести двадцать пять", 225, "cardinal", "exact", "человек" },
  { "около трёхсот сорока домов", "трёхсот сорока", 340, "cardinal", "approx", "домов" },
  { "с пятьюстами сотрудниками", "пятьюстами", 500, "cardinal", "exact", "сотрудниками" },
  { "тысяча двести", "тысяча двести", 1200, "cardinal", "exact" },
  { "две тысячи двадцать", "две тысячи двадцать", 2020, "cardinal", "exact" },
  { "Полтора миллиона человек", "Полтора миллиона", 1.5e6, "cardinal", "exact", "человек" },
  { "два с половиной миллиона", "два с половиной миллиона", 2.5e6, "fraction", "exact" },
  { "трое детей", "трое", 3, "cardinal", "exact", "детей" },
  { "ещё двое получили ранения", "двое", 2, "cardinal", "exact" },
  { "полмиллиона", "полмиллиона", 5e5, "cardinal", "exact" },
  /* scales after digits, abbreviations with their period */
  { "1,2 млн человек", "1,2 млн", 1.2e6, "cardinal", "exact", "человек" },
  { "5 тыс. зрителей", "5 тыс.", 5000, "cardinal", "exact", "зрителей" },
  { "3 миллиарда", "3 миллиарда", 3e9, "cardinal", "exact" },
  { "5 млн. 300 тыс. штук", "5 млн. 300 тыс.", 5300000, "cardinal", "exact", "штук" },
  /* vague counts */
  { "тысячи людей вышли", "тысячи", 2000, "cardinal", "approx", "людей" },
  { "сотни тысяч беженцев", "сотни тысяч", 200000, "cardinal", "approx", "беженцев" },
  { "десятки миллионов", "десятки миллионов", 2e7, "cardinal", "approx" },
  { "для миллионов семей", "миллионов", 2e6, "cardinal", "approx", "семей" },
  /* ordinals: words and hyphenated digits */
  { "первый раз", "первый", 1, "ordinal", "exact", "раз" },
  { "двадцать шестая сессия", "двадцать шестая", 26, "ordinal", "exact", "сессия" },
  { "сто двадцать пятого полка", "сто двадцать пятого", 125, "ordinal", "exact", "полка" },
  { "на 366-м заседании", "366-м", 366, "ordinal", "exact", "заседании" },
  { "5-е место", "5-е", 5, "ordinal", "exact", "место" },
  { "в 1990-х годах", "1990-х", 1990, "year", "exact" },
  /* percentages */
  { "20 процентов", "20 процентов", 20, "percent", "exact" },
  { "20%", "20%", 20, "percent", "exact" },
  { "двадцать процентов", "двадцать процентов", 20, "percent", "exact" },
  { "почти 20 процентов земли", "20 процентов", 20, "percent", "approx" },
  { "на 3 процентных пункта", "3 процентных пункта", 3, "percent", "exact" },
  /* fractions */
  { "одна пятая территории", "одна пятая", 0.2, "fraction", "exact", "территории" },
  { "две пятых голосов", "две пятых", 0.4, "fraction", "exact", "голосов" },
  { "треть избирателей", "треть", 1.0 / 3, "fraction", "exact", "избирателей" },
  { "две трети мест", "две трети", 2.0 / 3, "fraction", "exact", "мест" },
  { "три четверти", "три четверти", 0.75, "fraction", "exact" },
  { "половина жителей", "половина", 0.5, "fraction", "exact", "жителей" },
  { "три десятых процента", "три десятых процента", 0.3, "percent", "exact" },
  /* ranges */
  { "от 10 до 15 человек", "10 до 15", R, "range", "exact", "человек", NONE, 10, 15 },
  { "между 5 и 7 млн", "5 и 7 млн", R, "range", "exact", NONE, NONE, 5e6, 7e6 },
  { "в 2020-2023 годах", "2020-2023", R, "range", "exact", NONE, NONE, 2020, 2023 },
  { "не менее 30 и не более 50 участников", "30 и не более 50", R, "range", "exact", "участников",
    NONE, 30, 50 },
  /* qualifiers */
  { "Более 100 человек", "100", 100, "cardinal", "more_than", "человек" },
  { "свыше 200 домов", "200", 200, "cardinal", "more_than", "домов" },
  { "около 20 машин", "20", 20, "cardinal", "approx", "машин" },
  { "примерно 8 часов", "8", 8, "cardinal", "approx", "часов" },
  { "не менее 10 школ", "10", 10, "cardinal", "at_least", "школ" },
  { "по меньшей мере 10 школ", "10", 10, "cardinal", "at_least", "школ" },
  { "менее 13 дней", "13", 13, "cardinal", "less_than", "дней" },
  { "ОКОЛО 20 домов", "20", 20, "cardinal", "approx", "домов" },
  { "не более 5 лет", "5", 5, "cardinal", "at_most", "лет" },
  { "до 11 лодок", "11", 11, "cardinal", "at_most", "лодок" },
  { "решение ожидается до 1 июля", "1", 1, "cardinal", "exact" },
  { "100 с лишним человек", "100", 100, "cardinal", "more_than", "человек" },
  { "500 и более", "500", 500, "cardinal", "at_least" },
  /* money */
  { "2,5 млрд рублей", "2,5 млрд", 2.5e9, "cardinal", "exact", "rub", "RUB" },
  { "$5 млн", "5 млн", 5e6, "cardinal", "exact", "usd", "USD" },
  { "300 долларов", "300", 300, "cardinal", "exact", "usd", "USD" },
  { "40 млн евро", "40 млн", 4e7, "cardinal", "exact", "eur", "EUR" },
  { "5 тыс. руб.", "5 тыс.", 5000, "cardinal", "exact", "rub", "RUB" },
  { "100 \xe2\x82\xbd", "100", 100, "cardinal", "exact", "rub", "RUB" },
  { "USD 300", "300", 300, "cardinal", "exact", "usd", "USD" },
  { "1,2 млн манатов", "1,2 млн", 1.2e6, "cardinal", "exact", "azn", "AZN" },
  { "более 5 миллионов долларов", "5 миллионов", 5e6, "cardinal", "more_than", "usd", "USD" },
  /* counted nouns past adjectives; substantivised participles */
  { "Пять новых жилых домов", "Пять", 5, "cardinal", "exact", "домов" },
  { "10 погибших", "10", 10, "cardinal", "exact", "погибших" },
  /* years and dates */
  { "В 2020 году", "2020", 2020, "year", "exact" },
  { "1 января 2021 года", "2021", 2021, "year", "exact" },
  { "1 января 2021 года", "1", 1, "cardinal", "exact" },
  { "в 2000 километрах", "2000", 2000, "cardinal", "exact", "километрах" },
  { "до 2025 года", "2025", 2025, "year", "exact" },
  { "около 1990 года", "1990", 1990, "year", "approx" },
};

static void
test_ru_forms (void **state)
{
  (void) state;
  const char *opts[] = { "lang", "ru", NULL };
  SluiceHarness *h = harness (opts);
  for (guint i = 0; i < G_N_ELEMENTS (ru_cases); i++)
    check_case (h, &ru_cases[i]);
  sluice_harness_free (h);
}

/* Russian texts with no number. */
static const char *const ru_no_numbers[] = {
  "",
  "Один из лучших фильмов года.",
  "резолюция 1325 принята",
  "Документ № 15 подписан",
  "телефон 123-45-67",
  "семью переселили",             /* "семью": family, not seven */
  "Столица, пятница и тысячелетие",   /* number words only as whole words */
  "в третью очередь",             /* an ordinal form; "треть" forms are fractions only */
};

static void
test_ru_not_numbers (void **state)
{
  (void) state;
  const char *opts[] = { "lang", "ru", NULL };
  SluiceHarness *h = harness (opts);
  for (guint i = 0; i < G_N_ELEMENTS (ru_no_numbers); i++) {
    g_autoptr (GError) error = NULL;
    SluiceDocument *doc = sluice_harness_run (h, ru_no_numbers[i], &error);
    assert_non_null (doc);
    for (guint k = 0; k < sluice_document_get_n_annotations (doc); k++) {
      SluiceAnnotation *ann = sluice_document_get_annotation (doc, k);
      g_autofree char *tx = sluice_annotation_dup_text (doc, ann);
      SluiceAttrs *a = sluice_annotation_get_attrs (ann);
      /* "третью" in "в третью очередь" is the ordinal 3: fine; no fraction */
      if (g_strcmp0 (sluice_attrs_get_string (a, "kind"), "ordinal") == 0 &&
          g_strcmp0 (tx, "третью") == 0)
        continue;
      fail_msg ("'%s': unexpected NUMBER '%s'", ru_no_numbers[i], tx);
    }
    sluice_document_free (doc);
  }
  sluice_harness_free (h);
}

/* Digit values are computed without strtod where that is exact: strtod is the oracle. */
static void
test_digit_values (void **state)
{
  (void) state;
  static const char *const nums[] = {
    "0.1", "0.3", "2.675", "123456789012345.67", "9007199254740991", "9007199254740993",
    "1.0000000000000000000001", "0.000000000000000000000123", "3.14159265358979323846",
    "99999999999999999999", "4503599627370497.5", "1.7976931348623157", "0.30000000000000004",
  };
  SluiceHarness *h = harness (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (nums); i++) {
    g_autofree char *text = g_strdup_printf ("x %s y", nums[i]);
    g_autoptr (GError) error = NULL;
    SluiceDocument *doc = sluice_harness_run (h, text, &error);
    SluiceAnnotation *ann = sluice_document_find_annotation (doc, "NUMBER", nums[i]);
    if (ann == NULL)
      fail_msg ("no NUMBER '%s'", nums[i]);
    double v = sluice_attrs_get_double (sluice_annotation_get_attrs (ann), "value", NAN);
    double want = g_ascii_strtod (nums[i], NULL);
    if (v != want)
      fail_msg ("'%s': %.17g, strtod says %.17g", nums[i], v, want);
    sluice_document_free (doc);
  }
  sluice_harness_free (h);
}

/* The bundled lexicon data/LANG.txt, loaded or the test fails. */
static NumLexicon *
load_bundled_lexicon (const char *lang)
{
  g_autofree char *file = g_strdup_printf ("%s.txt", lang);
  g_autofree char *path = g_build_filename (NUMBERS_DATA_DIR, file, NULL);
  g_autoptr (GError) error = NULL;
  NumLexicon *lx = num_lexicon_load (path, lang, &error);
  if (lx == NULL)
    fail_msg ("%s: %s", path, error->message);
  return lx;
}

static void
check_phrase_first (const NumPhraseFirst *f, GHashTable *phrases, const char *what)
{
  GHashTableIter it;
  gpointer key, val;
  guint n = 0;
  g_hash_table_iter_init (&it, phrases);
  while (g_hash_table_iter_next (&it, &key, &val)) {
    g_auto (GStrv) tokens = g_strsplit (key, " ", -1);
    guint k = g_strv_length (tokens);
    const char *first = tokens[0];
    gsize l = strlen (first);
    assert_true (l > 0);
    if (!num_phrase_first_pass (f, k, (guchar) first[0], (guchar) first[l - 1]))
      fail_msg ("%s: '%s' is filtered out", what, (const char *) key);
    n++;
  }
  assert_true (n > 0);
}

/* The first-token filters of the prefix-qualifier and currency-prefix tables let every
 * phrase of their table through (the tables stay the oracle), as the scanner asks:
 * first and last byte of the first token, number of tokens; and they do reject. */
static void
test_phrase_first (void **state)
{
  (void) state;
  static const char *const langs[] = { "en", "ru" };
  for (guint li = 0; li < G_N_ELEMENTS (langs); li++) {
    NumLexicon *lx = load_bundled_lexicon (langs[li]);
    check_phrase_first (&lx->qual_first, lx->prefix_qual, "prefix_qual");
    check_phrase_first (&lx->cur_first, lx->currency_pre, "currency_pre");
    /* one-token phrases: every entry knows its own qualifier and currency */
    GHashTableIter it;
    gpointer key, val;
    guint nq = 0, nc = 0;
    g_hash_table_iter_init (&it, lx->words);
    while (g_hash_table_iter_next (&it, &key, &val)) {
      const NumLex *l = val;
      assert_int_equal (l->qual1, GPOINTER_TO_INT (g_hash_table_lookup (lx->prefix_qual, key)));
      assert_ptr_equal (l->cur1, g_hash_table_lookup (lx->currency_pre, key));
      nq += l->qual1 != 0;
      nc += l->cur1 != NULL;
    }
    assert_true (nq > 0 && nc > 0);
    if (strcmp (langs[li], "en") == 0) {
      /* "more than 5", "US $ 5" pass; "# to 5", "fell $ 5" (frequent in news) do not */
      assert_true (num_phrase_first_pass (&lx->qual_first, 2, 'm', 'e'));
      assert_false (num_phrase_first_pass (&lx->qual_first, 2, '#', '#'));
      assert_true (num_phrase_first_pass (&lx->cur_first, 2, 'U', 'S'));
      assert_false (num_phrase_first_pass (&lx->cur_first, 2, 'f', 'l'));
    }
    /* bytes of non-ASCII letters are not filtered (lower-casing may change them) */
    assert_true (num_phrase_first_pass (&lx->qual_first, 2, 0xD0, 0xB0));
    num_lexicon_free (lx);
  }
}

/* The open-addressing word table answers as the GHashTable it is built from (the
 * oracle), in any case; the Cyrillic lower-casing and letter tests agree with GLib. */
static void
test_word_table (void **state)
{
  (void) state;
  static const char *const langs[] = { "en", "ru" };
  for (guint li = 0; li < G_N_ELEMENTS (langs); li++) {
    NumLexicon *lx = load_bundled_lexicon (langs[li]);
    GHashTableIter it;
    gpointer key, val;
    guint n = 0;
    g_hash_table_iter_init (&it, lx->words);
    while (g_hash_table_iter_next (&it, &key, &val)) {
      const char *k = key;
      const NumLex *want = num_lexicon_lookup (lx, k, k, strlen (k));
      if (((const NumLex *) val)->cased)
        continue;   /* case-sensitive entries are looked up as written */
      assert_ptr_equal (num_lexicon_find (lx, k, strlen (k), NULL), want);
      g_autofree char *up = g_utf8_strup (k, -1);
      if (strlen (up) == strlen (k) && num_lexicon_find (lx, up, strlen (up), NULL) != want)
        fail_msg ("%s: '%s' (as '%s') not found", langs[li], k, up);
      /* the inline table of short ASCII words answers as the FNV table */
      assert_ptr_equal (num_lexicon_find (lx, up, strlen (up), NULL),
                        num_lexicon_find_any (lx, up, strlen (up), NULL));
      assert_ptr_equal (num_lexicon_find (lx, k, strlen (k), NULL),
                        num_lexicon_find_any (lx, k, strlen (k), NULL));
      n++;
    }
    assert_true (n > 100);
    static const char *const nonwords[] = { "zzz", "onee", "thre", "тысячаа", "пят", "x", "" };
    static const char *const mixed[] = { "One", "oNE", "Bn", "BN", "bn", "M", "m", "K", "the", "The",
                                         "@", "[", "`", "{", "Z", "z", "a1", "ONE\x7f", "twentyone" };
    for (guint c = 0; c < 128; c++) {   /* the one-byte table answers as the slots */
      char b = (char) c;
      assert_ptr_equal (num_lexicon_find_exact_fast (lx, &b, 1), num_lexicon_find_exact (lx, &b, 1));
    }
    assert_non_null (num_lexicon_find_exact_fast (lx, "$", 1));
    for (guint i = 0; i < G_N_ELEMENTS (mixed); i++)
      assert_ptr_equal (num_lexicon_find (lx, mixed[i], strlen (mixed[i]), NULL),
                        num_lexicon_find_any (lx, mixed[i], strlen (mixed[i]), NULL));
    for (guint i = 0; i < G_N_ELEMENTS (nonwords); i++) {
      assert_null (num_lexicon_lookup (lx, nonwords[i], nonwords[i], strlen (nonwords[i])));
      assert_null (num_lexicon_find (lx, nonwords[i], strlen (nonwords[i]), NULL));
    }
    num_lexicon_free (lx);
  }
  for (gunichar u = 0x400; u < 0x480; u++) {
    char in[8], out[NUM_WORDBUF];
    gint l = g_unichar_to_utf8 (u, in);
    in[l] = '\0';
    guint32 h;
    assert_true (num_word_lower (in, (gsize) l, out, &h) == l);
    g_autofree char *want = g_utf8_strdown (in, -1);
    assert_string_equal (out, want);
    assert_true (g_unichar_isalpha (u));   /* the scanner's lead-byte D0/D1 fast path */
  }
  /* the scanner steps over U+2010-U+2027 (E2 80 90-A7) as no letter and no numeral */
  for (gunichar u = 0x2010; u <= 0x2027; u++) {
    char in[8];
    gint l = g_unichar_to_utf8 (u, in);
    assert_int_equal (l, 3);
    assert_true ((guchar) in[0] == 0xE2 && (guchar) in[1] == 0x80);
    assert_false (g_unichar_isalpha (u) || g_unichar_isdigit (u));
  }
}

/* The data format: "FORM | FORM = VALUE", settings, errors as FILE:LINE. */
static void
test_lexicon_format (void **state)
{
  (void) state;
  g_autofree char *dir = g_dir_make_tmp ("numbers-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "xx.txt", NULL);
  const char *opts[] = { "lexicon", path, NULL };
  g_assert_true (g_file_set_contents (path,
    "[setting]\ndecimal = comma\n[cardinal]\nuno | una | UNOS = 1\ndos = 2\n"
    "[scale]\nmil | miles = 1000\n", -1, NULL));
  g_autoptr (GError) error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), NUMBERS_DATA_DIR, opts, &error);
  assert_non_null (h);
  static const struct { const char *text, *span; double v; } want[] = {
    { "una mil", "una mil", 1000 }, { "unos", "unos", 1 }, { "dos miles", "dos miles", 2000 },
    { "3,5", "3,5", 3.5 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    SluiceDocument *doc = sluice_harness_run (h, want[i].text, &error);
    SluiceAnnotation *ann = sluice_document_find_annotation (doc, "NUMBER", want[i].span);
    if (ann == NULL)
      fail_msg ("'%s': no NUMBER '%s'", want[i].text, want[i].span);
    assert_true (sluice_attrs_get_double (sluice_annotation_get_attrs (ann), "value", NAN) ==
                 want[i].v);
    sluice_document_free (doc);
  }
  sluice_harness_free (h);
  static const struct { const char *text; const char *line; } bad[] = {
    { "[cardinal]\none = 1\n[setting]\ndecimal = maybe\n", ":4:" },
    { "[cardinal]\none |  | uno = 1\n", ":2:" },
    { "[cardinal]\nmil | miles = 1000\n", ":2:" },       /* 1000 is no cardinal */
    { "[ordinal_suffix]\n-th = 1\n", ":2:" },             /* takes no value */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_true (g_file_set_contents (path, bad[i].text, -1, NULL));
    g_clear_error (&error);
    h = sluice_harness_new (sluice_stage_descriptor (), NUMBERS_DATA_DIR, opts, &error);
    assert_null (h);
    g_autofree char *where = g_strdup_printf ("%s%s", path, bad[i].line);
    if (error == NULL || strstr (error->message, where) == NULL)
      fail_msg ("'%s': error '%s' does not name %s", bad[i].text, error ? error->message : "",
                where);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* Texts with no number at all. */
static const char *const no_numbers[] = {
  "",
  "a",
  "an",
  "the 180ml liquid",
  "1m isn't a number.",
  "This one you is not correct",
  "Which one do you prefer?",
  "One of the bloodiest pages",
  "Security Council resolution No. 1325. In this",
  "Resolution No. 8/42-C was adopted",
  "resolution 1325 says",
  "on 2/26 the",
  "on 02/26/2020 and 2020-02-26 and 25.02.2020",
  "at 10:30 am",
  "+1-222-2222-2222 is a phone number.",
  "ISBN 978-3-16-148410-0",
  "COVID-19 and F-16 and A320 and 3D and x86",
  "see http://example.com/a%20b?id=42 now",
  "mail me at user42@example.com",
  "the 5G network",
  "The table shows the % of increase",
  "How do I calculate a percentage?",
  "Show me the previous one.",
  "I was a current student last semester",
  "in the first half",
};

static void
test_not_numbers (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (no_numbers); i++) {
    g_autoptr (GError) error = NULL;
    SluiceDocument *doc = sluice_harness_run (h, no_numbers[i], &error);
    assert_non_null (doc);
    guint n = 0;
    for (guint k = 0; k < sluice_document_get_n_annotations (doc); k++) {
      SluiceAnnotation *ann = sluice_document_get_annotation (doc, k);
      if (g_strcmp0 (sluice_annotation_get_type (ann), "NUMBER") != 0)
        continue;
      /* "first" in "in the first half" is an ordinal: fine; "half" is not a number */
      g_autofree char *tx = sluice_annotation_dup_text (doc, ann);
      if (g_strcmp0 (tx, "first") == 0)
        continue;
      fail_msg ("'%s': unexpected NUMBER '%s'", no_numbers[i], tx);
      n++;
    }
    assert_int_equal (n, 0);
    sluice_document_free (doc);
  }
  sluice_harness_free (h);
}

static guint
count_numbers (SluiceDocument *doc)
{
  guint n = 0;
  for (guint k = 0; k < sluice_document_get_n_annotations (doc); k++)
    n += g_strcmp0 (sluice_annotation_get_type (sluice_document_get_annotation (doc, k)),
                    "NUMBER") == 0;
  return n;
}

/* Several numbers in one text, in order, with the spans the eval README asks for. */
static void
test_sentence (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  g_autoptr (GError) error = NULL;
  SluiceDocument *doc = sluice_harness_run (h,
    "As many as 613 people, including 63 children, 106 women and 70 old people were killed. "
    "More than 40 and less than 10, more than 10 and less than 40.", &error);
  assert_non_null (doc);
  assert_int_equal (count_numbers (doc), 7);
  SluiceAnnotation *r = sluice_document_find_annotation (doc, "NUMBER", "10 and less than 40");
  assert_non_null (r);
  SluiceAttrs *a = sluice_annotation_get_attrs (r);
  assert_string_equal (sluice_attrs_get_string (a, "kind"), "range");
  assert_int_equal (sluice_attrs_get_int (a, "min", 0), 10);
  assert_int_equal (sluice_attrs_get_int (a, "max", 0), 40);
  assert_false (sluice_attrs_get_bool (a, "min_inclusive", TRUE));
  SluiceAnnotation *m = sluice_document_find_annotation (doc, "NUMBER", "40");
  assert_non_null (m);
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (m), "qualifier"),
                       "more_than");
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_option_vague (void **state)
{
  (void) state;
  const char *opts[] = { "vague", "false", NULL };
  SluiceHarness *h = harness (opts);
  g_autoptr (GError) error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, "dozens of people and thousands more", &error);
  assert_non_null (doc);
  assert_int_equal (count_numbers (doc), 0);
  sluice_document_free (doc);
  sluice_harness_free (h);
}

static void
test_bad_lexicon (void **state)
{
  (void) state;
  g_autofree char *dir = g_dir_make_tmp ("numbers-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bad.txt", NULL);
  g_assert_true (g_file_set_contents (path, "[cardinal]\none = 1\n[nosuch]\nx\n", -1, NULL));
  const char *opts[] = { "lexicon", path, NULL };
  g_autoptr (GError) error = NULL;
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), NUMBERS_DATA_DIR, opts, &error);
  assert_null (h);
  assert_non_null (error);
  g_autofree char *want = g_strdup_printf ("%s:3:", path);
  if (strstr (error->message, want) == NULL)
    fail_msg ("error '%s' does not name %s", error->message, want);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "[cardinal]\none\n", -1, NULL));
  h = sluice_harness_new (sluice_stage_descriptor (), NUMBERS_DATA_DIR, opts, &error);
  assert_null (h);
  assert_non_null (strstr (error->message, ":2:"));
  g_clear_error (&error);
  const char *opts2[] = { "lang", "xx", NULL };
  h = sluice_harness_new (sluice_stage_descriptor (), NUMBERS_DATA_DIR, opts2, &error);
  assert_null (h);
  g_unlink (path);
  g_rmdir (dir);
}

#define HOSTILE (16u << 20)

/* 16 MiB of digits: one run, no number (beyond a double), linear scan. */
static void
test_hostile_digits (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  char *text = g_malloc (HOSTILE + 1);
  memset (text, '9', HOSTILE);
  text[HOSTILE] = '\0';
  g_autoptr (GError) error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, text, &error);
  assert_non_null (doc);
  assert_int_equal (count_numbers (doc), 0);
  sluice_document_free (doc);
  /* digits with separators and spaces: every group is scanned once */
  for (gsize i = 0; i < HOSTILE; i++)
    text[i] = "1,234 5.6-7/"[i % 12];
  doc = sluice_harness_run (h, text, &error);
  assert_non_null (doc);
  sluice_document_free (doc);
  g_free (text);
  sluice_harness_free (h);
}

/* 16 MiB of number words: the look-ahead per number is bounded, so the scan is linear.
 * With no cap every number is reported; with the default cap (100000) the output stops
 * there and a warning says so. */
static void
test_hostile_words (void **state)
{
  (void) state;
  const char *opts[] = { "max_numbers", "0", NULL };
  SluiceHarness *h = harness (opts);
  static const char unit[] = "twenty one hundred and six and a half thousand ";
  gsize ul = sizeof unit - 1;
  char *text = g_malloc (HOSTILE + 1);
  for (gsize i = 0; i < HOSTILE; i++)
    text[i] = unit[i % ul];
  text[HOSTILE] = '\0';
  g_autoptr (GError) error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, text, &error);
  assert_non_null (doc);
  guint n = count_numbers (doc);
  assert_true (n > HOSTILE / 1000);
  for (guint k = 0; k < sluice_document_get_n_annotations (doc); k += 997) {
    SluiceAttrs *a = sluice_annotation_get_attrs (sluice_document_get_annotation (doc, k));
    assert_true (isfinite (sluice_attrs_get_double (a, "value", NAN)));
  }
  sluice_document_free (doc);
  sluice_harness_free (h);

  h = harness (NULL);
  static const char w2[] = "twenty ";
  for (gsize i = 0; i < HOSTILE; i++)
    text[i] = w2[i % 7];
  doc = sluice_harness_run (h, text, &error);
  assert_non_null (doc);
  /* "twenty twenty" never joins: one number per word, up to the cap */
  assert_int_equal (count_numbers (doc), 100000);
  guint nw = 0;
  sluice_attrs_get_string_list (sluice_document_get_meta (doc), "warnings", &nw);
  assert_true (nw >= 1);
  sluice_document_free (doc);
  g_free (text);
  sluice_harness_free (h);
}

/* 16 MiB of Russian number words and Cyrillic text: linear, every value finite. */
static void
test_hostile_ru (void **state)
{
  (void) state;
  const char *opts[] = { "lang", "ru", "max_numbers", "0", NULL };
  SluiceHarness *h = harness (opts);
  static const char unit[] = "двадцать одна тысяча двести пятого с половиной миллионов тысячи ";
  gsize ul = sizeof unit - 1;
  char *text = g_malloc (HOSTILE + 1);
  gsize n = 0;
  while (n + ul <= HOSTILE) {
    memcpy (text + n, unit, ul);
    n += ul;
  }
  text[n] = '\0';
  g_autoptr (GError) error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, text, &error);
  assert_non_null (doc);
  assert_true (count_numbers (doc) > HOSTILE / 1000);
  for (guint k = 0; k < sluice_document_get_n_annotations (doc); k += 997) {
    SluiceAttrs *a = sluice_annotation_get_attrs (sluice_document_get_annotation (doc, k));
    assert_true (isfinite (sluice_attrs_get_double (a, "value", NAN)));
  }
  sluice_document_free (doc);
  g_free (text);
  sluice_harness_free (h);
}

static void
test_odd_unicode (void **state)
{
  (void) state;
  SluiceHarness *h = harness (NULL);
  static const char *const texts[] = {
    "\xc2\xa0" "40\xc2\xa0" "000\xe2\x80\xaf" "people \xe2\x88\x92" "5 \xef\xbf\xbd 7\xcc\x81",
    "\xd0\xbe\xd0\xb4\xd0\xb8\xd0\xbd 5 \xe2\x80\x93 6 \xd9\xa3",
    "1\xc2\xbd cups, \xe2\x85\x9e",
  };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autoptr (GError) error = NULL;
    SluiceDocument *doc = sluice_harness_run (h, texts[i], &error);
    assert_non_null (doc);
    for (guint k = 0; k < sluice_document_get_n_annotations (doc); k++) {
      SluiceAnnotation *ann = sluice_document_get_annotation (doc, k);
      assert_true (sluice_annotation_get_end (ann) > sluice_annotation_get_start (ann));
    }
    sluice_document_free (doc);
  }
  g_autoptr (GError) error = NULL;
  SluiceDocument *doc = sluice_harness_run (h, "\xc2\xa0" "40\xc2\xa0" "000 people", &error);
  assert_non_null (sluice_document_find_annotation (doc, "NUMBER", "40\xc2\xa0" "000"));
  sluice_document_free (doc);
  sluice_harness_free (h);
}

/* ------------------------------------------- the vectorised skip vs the byte loop */

static void
collect_item (const NumItem *it, gpointer user_data)
{
  /* the lexicon's copies the stage sets without copying must say what the arrays say */
  if (it->currency_lx && strcmp (it->currency_lx, it->currency) != 0)
    fail_msg ("currency_lx '%s', currency '%s'", it->currency_lx, it->currency);
  if (it->currency[0] && !it->currency_lx)
    fail_msg ("currency '%s' without the lexicon's copy", it->currency);
  if (it->unit_lx && strcmp (it->unit_lx, it->unit) != 0)
    fail_msg ("unit_lx '%s', unit '%s'", it->unit_lx, it->unit);
  g_array_append_vals (user_data, it, 1);
}

static gboolean
same_double (double a, double b)
{
  return (isnan (a) && isnan (b)) || a == b;
}

/* Scans `text` with options `fast` and `slow`; every item must agree.  Returns the
 * number of items. */
static guint
scan_two (const NumLexicon *lx, const char *text, gsize len, const NumScanOptions *fast,
          const NumScanOptions *slow)
{
  g_autoptr (GArray) a = g_array_new (FALSE, TRUE, sizeof (NumItem));
  g_autoptr (GArray) b = g_array_new (FALSE, TRUE, sizeof (NumItem));
  num_scan (lx, fast, text, len, collect_item, a);
  num_scan (lx, slow, text, len, collect_item, b);
  if (a->len != b->len)
    fail_msg ("%u items with the fast path, %u with its oracle in '%.*s'", a->len, b->len,
              (int) MIN (len, 200), text);
  for (guint i = 0; i < a->len; i++) {
    const NumItem *x = &g_array_index (a, NumItem, i), *y = &g_array_index (b, NumItem, i);
    if (x->start != y->start || x->end != y->end || x->kind != y->kind || x->qual != y->qual ||
        !same_double (x->value, y->value) || !same_double (x->min, y->min) ||
        !same_double (x->max, y->max) || x->vague != y->vague || x->percent != y->percent ||
        strcmp (x->unit, y->unit) != 0 || strcmp (x->currency, y->currency) != 0)
      fail_msg ("item %u differs: [%zu, %zu) '%.*s' vs [%zu, %zu) '%.*s'", i, x->start, x->end,
                (int) (x->end - x->start), text + x->start, y->start, y->end,
                (int) (y->end - y->start), text + y->start);
  }
  return a->len;
}

/* Scans `text` with the byte loop and with the vectorised skip. */
static guint
scan_both (const NumLexicon *lx, const char *text, gsize len)
{
  NumScanOptions fast = { .vague = TRUE, .max_items = 0, .byte_loop = FALSE };
  NumScanOptions slow = fast;
  slow.byte_loop = TRUE;
  return scan_two (lx, text, len, &fast, &slow);
}

/* Scans `text` with the shortcuts of the phrase grammar and without them. */
static guint
scan_ref (const NumLexicon *lx, const char *text, gsize len)
{
  NumScanOptions fast = { .vague = TRUE, .max_items = 0, .byte_loop = FALSE };
  NumScanOptions slow = fast;
  slow.reference = TRUE;
  return scan_two (lx, text, len, &fast, &slow);
}

/* Text from a fixed pseudo-random walk over pieces that start numbers, look like them,
 * or do not (ASCII and Cyrillic words, digits glued to letters, long words across the
 * 64-byte windows of the skip, NBSP, quotes, signs), with every separator. */
static char *
random_text (guint32 seed, gsize want, gsize *len)
{
  static const char *const pieces[] = {
    "the", "a", "an", "one", "two", "twenty", "six", "hundred", "thousand", "million", "bn",
    "first", "third", "thirds", "half", "dozen", "dozens", "percent", "per", "cent", "more",
    "than", "about", "over", "under", "at", "least", "or", "and", "between", "to", "from",
    "people", "days", "civilians", "in", "since", "May", "January", "No", "resolution", "USD",
    "US", "dollars", "euros", "minus", "point", "nought", "of", "out", "zero", "ten", "tens",
    "A320", "3D", "x86", "5G", "COVID", "F", "mid", "1,275", "40", "000", "2.5", ".5", "3/4",
    "2/26", "10:30", "1990s", "366th", "5th", "3bn", "10k", "40m", "1e6", "2020", "1992",
    "25-26", "+1-222-2222", "192.168.1.2", "25.02.2020", "99999999999999999999999",
    "Supercalifragilisticexpialidociousandthensomemorelettersuntilitislongerthansixtyfour",
    "onetwothreefourfivesixseveneightnineteneleventwelvethirteenfourteenfifteen",
    "\xd0\xb4\xd0\xb2\xd0\xb0", "\xd1\x82\xd1\x8b\xd1\x81\xd1\x8f\xd1\x87\xd0\xb8",
    "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9", "na\xc3\xafve5", "\xc2\xbd", "\xe2\x85\x94", "\xe2\x88\x92" "5",
    "\xe2\x80\x9cquoted\xe2\x80\x9d", "www.example.com/a?b=5", "user@example.com", "#5",
    "$", "\xe2\x82\xac", "%", "~", "-", "+", ".", ",", "(", ")", "\"", "'", "/", ":",
  };
  static const char *const seps[] = { " ", " ", " ", "", "-", ", ", ". ", "\n", "\n\n", "\xc2\xa0", "\t" };
  GString *g = g_string_new (NULL);
  guint32 x = seed;
  while (g->len < want) {
    x = x * 1664525u + 1013904223u;
    g_string_append (g, pieces[(x >> 8) % G_N_ELEMENTS (pieces)]);
    x = x * 1664525u + 1013904223u;
    g_string_append (g, seps[(x >> 8) % G_N_ELEMENTS (seps)]);
  }
  *len = g->len;
  return g_string_free (g, FALSE);
}

static void
test_fast_skip (void **state)
{
  (void) state;
  static const char *const langs[] = { "en", "ru" };
  for (guint li = 0; li < G_N_ELEMENTS (langs); li++) {
    NumLexicon *lx = load_bundled_lexicon (langs[li]);
    guint total = 0;
    /* every table case, alone and at every offset in a 64-byte window */
    const Case *tab = li == 0 ? cases : ru_cases;
    gsize ntab = li == 0 ? G_N_ELEMENTS (cases) : G_N_ELEMENTS (ru_cases);
    for (gsize i = 0; i < ntab; i++) {
      for (guint pad = 0; pad < 70; pad += (pad < 8 ? 1 : 7)) {
        g_autofree char *sp = g_strnfill (pad, pad % 3 == 0 ? ' ' : 'x');
        g_autofree char *text = g_strdup_printf ("%s %s.", sp, tab[i].input);
        total += scan_both (lx, text, strlen (text));
      }
    }
    /* pseudo-random text, long and short (tails shorter than a window) */
    for (guint32 seed = 1; seed <= 40; seed++) {
      gsize len;
      g_autofree char *text = random_text (seed, seed <= 20 ? seed * 7 : 20000, &len);
      total += scan_both (lx, text, len);
    }
    assert_true (total > 1000);
    num_lexicon_free (lx);
  }
}

/* The shortcuts of the phrase grammar (a digit numeral alone, ...) give what the
 * general grammar gives: every table case, in sentences with each kind of token after
 * it, and pseudo-random text. */
static void
test_phrase_shortcut (void **state)
{
  (void) state;
  static const char *const langs[] = { "en", "ru" };
  static const char *const after[] = {
    "", ".", ",", " people", " People", " million", " and 5", " to 9", "-9", " - 9", " \xe2\x80\x94 9",
    "%", " percent", " per cent", " of them", " out of 9", " over 9", " in 9", " or more", " a",
    " dollars", " usd", " \xe2\x82\xac", " May", " year", " \xd0\xb3\xd0\xbe\xd0\xb4\xd0\xb0",
    " \xd1\x87\xd0\xb5\xd0\xbb\xd0\xbe\xd0\xb2\xd0\xb5\xd0\xba", "\n\n9 people", " ~ 9",
    "~9", "/4", " half", " point five", " th", "th", " second", " days ago", " (9)", " 9",
    " and the", " and,", " and\n\n9", " and a half", " and one", " and minus 2", " to the",
    " to.", " to\n\n9", " to early", " - early", "-early", " \xe2\x80\x94 resumed",
    " \xe2\x80\x93 the", "\xe2\x80\x94the", "\xe2\x80\x94" "5", " ~ the", "-", " -", " to minus 5",
    " to a million", " in a", " and an", " and five", " to hundreds", " over half", " to nine", " in the", " in early", " in 9 cases", " over the",
    " over nine", " but less than 9", " but the", " or more people", " and more", " minus",
    " dozens", " \xd0\xb8 5", " \xd0\xb8 \xd0\xb2\xd1\x81\xd0\xb5", " \xd0\xb4\xd0\xbe 9",
  };
  static const char *const before[] = {
    "", "the ", "about ", "more than ", "No. ", "$", "US$ ", "between 2 and ", "in ", "since ",
    "May ", "minus ", "a ", "from ", "more than 2 and ", "\xd0\xbc\xd0\xb5\xd0\xb6\xd0\xb4\xd1\x83 ", "\xd0\xbe\xd0\xba\xd0\xbe\xd0\xbb\xd0\xbe ", "\xe2\x84\x96 ",
  };
  static const char *const nums[] = { "5", "1", "0", "-0", "-20", "1992", "2,5", "2.5", "1,275", "40 000",
                                       "12.0", "1990s", "5th", "3bn", "40m", "1e6", "3/4",
                                       "2020-02-26", "02/26/2020", "25.02.2020", "1.2.3",
                                       "10:30", "-2020-02-26" };
  for (guint li = 0; li < G_N_ELEMENTS (langs); li++) {
    NumLexicon *lx = load_bundled_lexicon (langs[li]);
    guint total = 0;
    const Case *tab = li == 0 ? cases : ru_cases;
    gsize ntab = li == 0 ? G_N_ELEMENTS (cases) : G_N_ELEMENTS (ru_cases);
    for (gsize i = 0; i < ntab; i++)
      for (guint k = 0; k < G_N_ELEMENTS (after); k++) {
        g_autofree char *text = g_strdup_printf ("%s%s", tab[i].input, after[k]);
        total += scan_ref (lx, text, strlen (text));
      }
    for (guint b = 0; b < G_N_ELEMENTS (before); b++)
      for (guint n = 0; n < G_N_ELEMENTS (nums); n++)
        for (guint k = 0; k < G_N_ELEMENTS (after); k++) {
          g_autofree char *text = g_strdup_printf ("%s%s%s", before[b], nums[n], after[k]);
          total += scan_ref (lx, text, strlen (text));
        }
    for (guint32 seed = 1; seed <= 40; seed++) {
      gsize len;
      g_autofree char *text = random_text (seed, seed <= 20 ? seed * 7 : 20000, &len);
      total += scan_ref (lx, text, len);
    }
    assert_true (total > 5000);
    num_lexicon_free (lx);
  }
}

/* num_is_integral (v) is v == floor (v) */
static void
test_integral (void **state)
{
  (void) state;
  const double fixed[] = { 0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, 1e-300, -1e-300, 1e300, -1e300,
                           4503599627370495.5, 4503599627370496.0, -4503599627370495.5,
                           9007199254740993.0, 9.2233720368547758e18, -9.2233720368547758e18,
                           1e19, -1e19, INFINITY, -INFINITY, NAN, -NAN, 0.1, 1990.0, 23.31 };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    if (num_is_integral (fixed[i]) != (fixed[i] == floor (fixed[i])))
      fail_msg ("num_is_integral (%g) is wrong", fixed[i]);
  guint64 x = 88172645463325252u;
  for (guint i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double v;
    memcpy (&v, &x, sizeof v);                  /* any bit pattern */
    double w = (double) (gint64) (x >> 20) / (double) (1u << (x % 24));   /* near integers */
    assert_true (num_is_integral (v) == (v == floor (v)));
    assert_true (num_is_integral (w) == (w == floor (w)));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_forms),
    cmocka_unit_test (test_ru_forms),
    cmocka_unit_test (test_ru_not_numbers),
    cmocka_unit_test (test_digit_values),
    cmocka_unit_test (test_word_table),
    cmocka_unit_test (test_phrase_first),
    cmocka_unit_test (test_fast_skip),
    cmocka_unit_test (test_phrase_shortcut),
    cmocka_unit_test (test_integral),
    cmocka_unit_test (test_lexicon_format),
    cmocka_unit_test (test_hostile_ru),
    cmocka_unit_test (test_not_numbers),
    cmocka_unit_test (test_sentence),
    cmocka_unit_test (test_option_vague),
    cmocka_unit_test (test_bad_lexicon),
    cmocka_unit_test (test_odd_unicode),
    cmocka_unit_test (test_hostile_digits),
    cmocka_unit_test (test_hostile_words),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
