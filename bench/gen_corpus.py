#!/usr/bin/env python3
"""Generate a JSONL corpus of feed-like news text for sluice benchmarks.

Every word list and template below is invented for this benchmark (no text
is taken from any other source).  The output is deterministic for a given
--seed and --size-mb.

Each line is one document:
  {"id": "bench-000001", "text": "...", "meta": {"feed": ..., "lang": ...,
   "published": ..., "tags": [...], "score": 0.73, "words": 512, "paywall": false}}
and now and then an extra top-level member ("url") that sluice passes through.

The text looks like a scraped news feed item: a headline, sometimes a byline
and a dateline, paragraphs of sentences with names, places, numbers, dates
and quotes, curly quotes and dashes, a few Cyrillic and Greek names, and the
damage of scraping: share-widget lines, hard-wrapped paragraphs, runs of
blank lines, stray spaces.

  gen_corpus.py --size-mb 100 -o corpus.jsonl
  gen_corpus.py --size-mb 10 --cyrillic > ru.jsonl
"""
import argparse
import json
import random
import sys

FIRST = """Alice Amara Ben Bruno Carla Chen Daniel Dara Elena Emil Fatima Felix Grace
Gustav Hana Hugo Ines Isaac Jana Jonas Kemal Kira Leo Lina Marco Maya Nadia Nils
Olga Omar Paula Pedro Quinn Rosa Rafael Sara Simon Tariq Tessa Ulla Victor Vera
Walter Wen Xavier Yara Yusuf Zoe Martin Helen Oscar Priya""".split()

LAST = """Abbott Adeyemi Baxter Brandt Castell Dorsey Eklund Farrow Galvez Hartley
Ibarra Jansen Kowal Lindqvist Moreau Nakamura Okafor Petrov Quill Rinaldi Sato
Thornton Ueda Varga Whitlock Xu Yilmaz Zeller Marsh Kettering Oduya Fenwick
Delacroix Halloran Voss Brennan Castillo Mbeki Novak Pryce""".split()

# A few names in other scripts, used at a low rate.
CYR_NAMES = ["Алексей Воронов", "Мария Соколова", "Игорь Белов", "Дарья Лебедева",
             "Сергей Ковалёв", "Юлия Морозова", "Пётр Захаров", "Анна Громова"]
GREEK_NAMES = ["Νίκος Παππάς", "Ελένη Δημητρίου", "Γιώργος Κωνσταντίνου",
               "Μαρία Αλεξίου"]

PLACES = """Northbridge Port Avalon Kessington Marlow Bay Eastmere Dunmore Rivenhall
Lakeside Westbury Harrowgate Clearwater Ashford Greystone Millbrook Stonehaven
Fairport Redcliff Oakham Brightwater Thornbury Caldwell Penrose""".split()
COUNTRIES = ["Freedonia", "the Northern Isles", "Valdoria", "the Republic of Eastmark",
             "Costaverde", "Lunaria", "the Kingdom of Orsk", "Westland"]
ORGS = ["the Ministry of Transport", "Northbridge City Council", "Avalon Energy",
        "the National Statistics Office", "Harbor Freight Lines", "Greystone Bank",
        "the Parliamentary Budget Committee", "Clearwater University",
        "the Federation of Small Farms", "Redcliff Steelworks", "Bluefin Airways",
        "the Central Health Agency", "Marlow Tech Group", "the Port Authority"]
AGENCIES = ["Feedwire", "Daily Ledger", "Morning Courier", "Coastal Times",
            "Metro Bulletin", "Civic Post"]

ROLES = ["a spokeswoman for", "a spokesman for", "the chief executive of",
         "a senior analyst at", "the director of", "a board member of",
         "an economist at", "the chair of"]
SAID = ["said", "told reporters", "said in a statement", "wrote on social media",
        "said on Tuesday", "said late on Friday", "told the committee", "added"]
NOUNS = ["budget", "bridge", "rail line", "hospital", "harbour", "election", "tariff",
         "pension fund", "water supply", "school", "trade deal", "power plant",
         "housing scheme", "ferry service", "airport", "factory", "festival", "strike"]
ADJ = ["new", "delayed", "controversial", "long-awaited", "regional", "national",
       "temporary", "expanded", "revised", "first", "second", "final", "joint"]
VERBS = ["approved", "rejected", "postponed", "announced", "criticised", "opened",
         "closed", "expanded", "reviewed", "cancelled", "funded", "suspended"]
UNITS = ["people", "jobs", "homes", "passengers", "tonnes", "kilometres", "students",
         "households", "vehicles", "beds"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SPELLED = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
           "a dozen", "twenty", "a hundred", "several", "a few", "half a million"]
TAGS = ["politics", "economy", "transport", "health", "local", "energy", "weather",
        "business", "education", "culture", "sport", "world"]

JUNK = ["Share this article", "Share on Facebook | Share on X | Email",
        "Follow us on social media for the latest updates", "Advertisement",
        "Click here to subscribe to our newsletter", "Read more:", "Related stories",
        "Sign up for breaking news alerts", "© {agency} {year}. All rights reserved.",
        "Comments (0)", "Print this page", "Tap to see more photos",
        "Our journalism depends on readers like you. Support us today."]

# All-Cyrillic mode: an invented Russian-like vocabulary of common words.
RU_NAMES = ["Алексей Воронов", "Мария Соколова", "Игорь Белов", "Дарья Лебедева",
            "Сергей Ковалёв", "Юлия Морозова", "Пётр Захаров", "Анна Громова",
            "Николай Орлов", "Елена Фомина", "Павел Киселёв", "Ольга Суханова"]
RU_PLACES = ["Северск", "Озёрск", "Приморск", "Светлогорск", "Заречный", "Краснодольск",
             "Новоградск", "Белоречье", "Каменка", "Луговое"]
RU_ORGS = ["министерство транспорта", "городская дума", "областная администрация",
           "портовое управление", "центральный банк", "союз фермеров",
           "энергетическая компания", "университет"]
RU_SAID = ["сообщил", "заявила", "рассказал журналистам", "отметил", "написала в соцсетях",
           "подчеркнул", "добавила"]
RU_NOUNS = ["бюджет", "мост", "железную дорогу", "больницу", "порт", "школу", "завод",
            "фестиваль", "аэропорт", "водопровод", "жилой квартал", "паромную переправу"]
RU_ADJ = ["новый", "долгожданный", "региональный", "временный", "спорный", "совместный",
          "первый", "окончательный"]
RU_VERBS = ["одобрили", "отклонили", "отложили", "объявили", "открыли", "закрыли",
            "профинансировали", "приостановили", "пересмотрели"]
RU_UNITS = ["человек", "рабочих мест", "квартир", "пассажиров", "тонн", "километров",
            "студентов", "семей"]
RU_MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря"]
RU_JUNK = ["Поделиться", "Подписывайтесь на наш канал", "Реклама", "Читайте также:",
           "Все права защищены", "Комментарии (0)", "Версия для печати"]


class English:
    def __init__(self, rng):
        self.r = rng

    def person(self):
        r = self.r
        x = r.random()
        if x < 0.03:
            return r.choice(CYR_NAMES)
        if x < 0.045:
            return r.choice(GREEK_NAMES)
        if x < 0.15:
            return "%s %s. %s" % (r.choice(FIRST), r.choice("ABCDEFGHJKLMNPRSTW"), r.choice(LAST))
        return "%s %s" % (r.choice(FIRST), r.choice(LAST))

    def number(self):
        r = self.r
        k = r.randrange(9)
        if k == 0:
            return "%d" % r.randrange(2, 999)
        if k == 1:
            return "{:,}".format(r.randrange(1000, 9_000_000))
        if k == 2:
            return "%.1f%%" % (r.random() * 40)
        if k == 3:
            return "$%d million" % r.randrange(2, 900)
        if k == 4:
            return "€%.1f billion" % (r.random() * 20 + 0.1)
        if k == 5:
            return r.choice(SPELLED)
        if k == 6:
            return "%d,%03d" % (r.randrange(1, 99), r.randrange(1000))
        if k == 7:
            n = r.randrange(1, 40)
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10 if n // 10 != 1 else 0, "th")
            return "%d%s" % (n, suffix)
        return "%.2f" % (r.random() * 100)

    def date(self):
        r = self.r
        k = r.randrange(4)
        if k == 0:
            return "%s %d" % (r.choice(MONTHS), r.randrange(1, 29))
        if k == 1:
            return "on %s" % r.choice(DAYS)
        if k == 2:
            return "%d %s %d" % (r.randrange(1, 29), r.choice(MONTHS), r.randrange(1995, 2026))
        return "%d-%02d-%02d" % (r.randrange(2000, 2026), r.randrange(1, 13), r.randrange(1, 29))

    def q(self, s):
        # Straight or curly quotes, as feeds mix them.
        return ("\u201c%s\u201d" if self.r.random() < 0.6 else "\"%s\"") % s

    def sentence(self):
        r = self.r
        t = r.randrange(10)
        P, N, D = self.person, self.number, self.date
        if t == 0:
            s = "%s, %s %s, %s the %s %s would cost %s." % (
                P(), r.choice(ROLES), r.choice(ORGS), r.choice(SAID), r.choice(ADJ),
                r.choice(NOUNS), N())
        elif t == 1:
            s = "%s %s the %s %s for %s %s." % (
                r.choice(ORGS).capitalize(), r.choice(VERBS), r.choice(ADJ), r.choice(NOUNS),
                r.choice(PLACES), D())
        elif t == 2:
            s = "About %s %s in %s were affected, according to %s." % (
                N(), r.choice(UNITS), r.choice(PLACES), r.choice(ORGS))
        elif t == 3:
            s = "%s %s %s." % (self.q("We expect the %s to be %s by %s," % (
                r.choice(NOUNS), r.choice(VERBS), r.choice(MONTHS))), P(), r.choice(SAID))
        elif t == 4:
            s = "The figure rose by %s compared with %s, the highest since %d." % (
                N(), D(), r.randrange(1970, 2020))
        elif t == 5:
            s = "Talks between %s and %s \u2014 first proposed in %d \u2014 resumed %s." % (
                r.choice(COUNTRIES), r.choice(COUNTRIES), r.randrange(1990, 2024), D())
        elif t == 6:
            s = "%s, who visited %s last week, met %s and %s." % (
                P(), r.choice(PLACES), P(), P())
        elif t == 7:
            s = "Residents of %s say the %s has been %s for %s months." % (
                r.choice(PLACES), r.choice(NOUNS), r.choice(VERBS), r.choice(SPELLED))
        elif t == 8:
            s = "%s shares fell %s to %s in early trading in %s." % (
                r.choice(ORGS).replace("the ", "").title(), N(), N(), r.choice(PLACES))
        else:
            s = "It was not immediately clear whether %s would %s the %s; a decision is expected %s." % (
                r.choice(ORGS), r.choice(["appeal", "review", "block", "support"]),
                r.choice(NOUNS), D())
        if r.random() < 0.01:
            s = s.replace(" ", "  ", 1)           # stray double space
        return s

    def headline(self):
        r = self.r
        h = "%s %s %s %s" % (r.choice(PLACES), r.choice(NOUNS), r.choice(VERBS),
                             r.choice(["after vote", "amid protests", "as costs rise",
                                       "in surprise move", "", "despite warnings"]))
        return h.strip()

    def byline(self):
        return "By %s" % self.person()

    def dateline(self):
        r = self.r
        return "%s, %s %d (%s) \u2014 " % (r.choice(PLACES).upper(), r.choice(MONTHS),
                                         r.randrange(1, 29), r.choice(AGENCIES))

    def junk(self):
        r = self.r
        return r.choice(JUNK).format(agency=r.choice(AGENCIES), year=r.randrange(2015, 2026))


class Cyrillic(English):
    def person(self):
        return self.r.choice(RU_NAMES)

    def number(self):
        r = self.r
        k = r.randrange(4)
        if k == 0:
            return "%d" % r.randrange(2, 999)
        if k == 1:
            return "%d %03d" % (r.randrange(1, 999), r.randrange(1000))
        if k == 2:
            return "%.1f%%" % (r.random() * 40)
        return "%d млн рублей" % r.randrange(2, 900)

    def date(self):
        r = self.r
        return "%d %s" % (r.randrange(1, 29), r.choice(RU_MONTHS))

    def sentence(self):
        r = self.r
        t = r.randrange(5)
        if t == 0:
            s = "%s %s, что %s %s %s %s." % (
                self.person(), r.choice(RU_SAID), r.choice(RU_ORGS), r.choice(RU_VERBS),
                r.choice(RU_ADJ), r.choice(RU_NOUNS))
        elif t == 1:
            s = "В городе %s %s %s %s." % (r.choice(RU_PLACES), r.choice(RU_VERBS),
                                          r.choice(RU_NOUNS), self.date())
        elif t == 2:
            s = "По данным ведомства, пострадали около %s %s." % (self.number(), r.choice(RU_UNITS))
        elif t == 3:
            s = "\u00ab%s\u00bb, \u2014 %s %s." % (
                "Мы ожидаем решения до %s" % self.date(), r.choice(RU_SAID), self.person())
        else:
            s = "Стоимость проекта составила %s, сообщает %s." % (self.number(), r.choice(RU_ORGS))
        return s

    def headline(self):
        r = self.r
        return "В %s %s %s" % (r.choice(RU_PLACES), r.choice(RU_VERBS), r.choice(RU_NOUNS))

    def dateline(self):
        r = self.r
        return "%s, %s \u2014 " % (r.choice(RU_PLACES).upper(), self.date())

    def junk(self):
        return self.r.choice(RU_JUNK)

    def byline(self):
        return "Автор: %s" % self.person()


def wrap(text, width):
    """Hard-wrap a paragraph at `width` columns, as some feeds do."""
    out, line = [], ""
    for w in text.split(" "):
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = (line + " " + w) if line else w
    if line:
        out.append(line)
    return "\n".join(out)


def document(g, r):
    parts = [g.headline()]
    if r.random() < 0.4:
        parts.append(g.byline())
    wrapped = r.random() < 0.15
    width = r.choice([60, 68, 72, 76])
    n_par = max(1, int(r.expovariate(1 / 5)))
    for i in range(n_par):
        sents = [g.sentence() for _ in range(r.randrange(1, 7))]
        para = " ".join(sents)
        if i == 0 and r.random() < 0.5:
            para = g.dateline() + para
        if wrapped:
            para = wrap(para, width)
        parts.append(para)
        if r.random() < 0.08:
            parts.append(g.junk())
    if r.random() < 0.5:
        parts.append(g.junk())
    text = ""
    for p in parts:
        if text:
            sep = "\n\n"
            x = r.random()
            if x < 0.05:
                sep = "\n" * r.randrange(3, 9)    # blank-line runs
            elif x < 0.08:
                sep = "\n \n\t\n"
            text += sep
        text += p
    if r.random() < 0.05:
        text = "\n\n" + text + "   \n"
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=10.0,
                    help="stop after this many MB (10^6 bytes) of JSONL (default 10)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--cyrillic", action="store_true", help="all-Cyrillic text")
    ap.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    args = ap.parse_args()

    r = random.Random(args.seed)
    g = Cyrillic(r) if args.cyrillic else English(r)
    limit = int(args.size_mb * 1_000_000)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    written = 0
    n = 0
    buf = []
    while written < limit:
        n += 1
        text = document(g, r)
        doc = {
            "id": "bench-%07d" % n,
            "text": text,
            "meta": {
                "feed": r.choice(AGENCIES),
                "lang": "ru" if args.cyrillic else "en",
                "published": "%d-%02d-%02dT%02d:%02d:00Z" % (
                    r.randrange(2015, 2026), r.randrange(1, 13), r.randrange(1, 29),
                    r.randrange(24), r.randrange(60)),
                "tags": r.sample(TAGS, r.randrange(0, 4)),
                "score": round(r.random(), 3),
                "words": text.count(" ") + 1,
                "paywall": r.random() < 0.2,
            },
        }
        if r.random() < 0.1:
            doc["url"] = "https://news.example/%s/%d" % (r.choice(TAGS), n)
        line = json.dumps(doc, ensure_ascii=r.random() < 0.1) + "\n"
        written += len(line.encode("utf-8"))
        buf.append(line)
        if len(buf) >= 256:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    if out is not sys.stdout:
        out.close()
    else:
        out.flush()


if __name__ == "__main__":
    main()
