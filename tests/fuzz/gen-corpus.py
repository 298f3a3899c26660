#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Every seed is written here by hand (our own invented text, never copied from
anywhere), so the corpus can be regenerated and reviewed.  Files named
crash-* / regress-* in the corpus directories are minimised findings of real
fuzzing runs: this script never touches them.

    tests/fuzz/gen-corpus.py            # rewrite the seed-* files
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clear_seeds():
    for target in os.listdir(CORPUS) if os.path.isdir(CORPUS) else []:
        d = os.path.join(CORPUS, target)
        for f in os.listdir(d):
            if f.startswith("seed-"):
                os.unlink(os.path.join(d, f))


# ----------------------------------------------------------------- texts
CAPS = " ".join("%s%s" % (chr(65 + i % 26), "orvath"[: 1 + i % 6]) for i in range(10000))

TEXTS = {
    "empty": b"",
    "plain": "On 3 March 2024 the mayor of Port Elling, Dana Whitcombe, said the new ferry "
             "would carry 1,200 passengers a day, up 15% from last year, at a cost of $4.5m.",
    "wrap-crlf": "The harbour authority announced on Tues-\r\nday that the berth would re-\r\n"
                 "open after three weeks of\r\nrepairs.\r\n\r\n\r\nBy Sam Ortolan\r\n",
    "entities": "Fish &amp; chips &#x1F41F; &#0; &#xD800; &#99999999999; &nbsp;&nbsp; &bogus; "
                "&lt;b&gt;bold&lt;/b&gt; &#x110000; &#; &#x; &amp",
    "invalid-utf8": b"caf\xc3 \xe9t\xe9 \xff\xfe \xed\xa0\x80 surrogate \xf4\x90\x80\x80 "
                    b"overlong \xc0\xaf \xe0\x80\xaf nul\x00here \x80\x80\x80 end\xe2\x82",
    "huge-numbers": "123456789012345678901234567890 1e99999 -1e-99999 0x7fffffffffffffff "
                    "1,000,000,000,000,000,000,000,000 -0.000000000000000000001 3.5 billion "
                    "twelve thousand million billion trillion 9223372036854775808 "
                    "18446744073709551616 " + "9" * 400 + " 1." + "0" * 300 + "1 %",
    "combining": "и\u0306 е\u0308лка " + "a" + "\u0301" * 200 + " \u0627\u064e\u0644\u0652"
                 "\u0639\u064e\u0631\u064e\u0628\u0650\u064a\u0651\u064e\u0629 "
                 "\u0301 leading mark Й\u0306\u0306 q\u0323\u0307",
    "rtl": "\u05e9\u05dc\u05d5\u05dd \u202e\u0645\u0631\u062d\u0628\u0627\u202c \u200f(1)\u200e "
           "\u0645\u0648\u0633\u0643\u0648 \u06f1\u06f2\u06f3 \u0661\u0662\u0663\u066b\u0664 "
           "\u0628\u0631\u0644\u064a\u0646\u060c \u0637\u0647\u0631\u0627\u0646\u061f",
    "cyrillic": "Иван Петрович Сидоров приехал в Санкт-Петербург 12 января 2023 года. "
                "Щёлково, Объединённый, подъезд, Їжак з'їв ґудзик, Ўладзімір, Ђорђе, Љубљана, "
                "Ѓорѓи, Қазақстан, Өлгий, Үрүмчи.",
    "greek-armenian-georgian": "Αθήνα Θεσσαλονίκη ΨΥΧΗ ψυχή; «Մասիս»։ Երևան, Գյումրի՝ "
                               "Ա. ვალერი თბილისი ქუთაისი ჭიათურა",
    "caps-10k": CAPS,
    "long-line": "a" * 65536,
    "blank": "\n\n\r\n\r\r\n   \t\t\n \u00a0\u2028\u2029\u3000\n",
    "controls": "".join(chr(c) for c in range(1, 32)) + "\u007f\u0085\u200b\u200c\u200d"
                "\ufeff\ufffd\ufffe\uffff text \u2060 end",
    "markup": "[Иван Петров] visited [Москва] | and [[nested] spans] ] [ unbalanced "
              "[Αθήνα|] [|] [] ||| [Երևան]",
    "markup-clean": "[Breaking News]\n\nBy [Ana Ruiz]\nPublished [2024-05-06]\n\n"
                    "The [city coun-\ncil] met | today.\nAdvertisement\nShare this article\n",
    "dates": "31/02/2024, 2024-13-45, on Feb 30, 1 January 99999999999, 00:00, 24:61, "
             "12th of Never 1999, 1999-2000, '99, the 1990s, Q3 2024, 29 February 1900",
    "junk": "Advertisement\nShare this article\nShare on Facebook\nClick here to subscribe\n"
            "Error 500: Internal Server Error\nCookie policy\nRead more:\n\n\n\n"
            "By John Smith and Mary Jones, Staff Reporters\nUpdated: 2024-01-02 10:00 GMT\n",
    "emoji": "\U0001F600\U0001F1FA\U0001F1E6 \U0001F468\u200d\U0001F469\u200d\U0001F467 "
             "\u0030\ufe0f\u20e3 \U0001F3F3\ufe0f\u200d\U0001F308 \U000E0001 \U0010FFFD",
    "digits": "1 234 567,89 ١٢٣ ۴۵۶ １２３ ⅓ ½ ² ³ ⑤ Ⅻ 12\u00a0345 12\u202f345 1'000'000 "
              "1.234.567 0,5 -5 −5 +5 ±5 5° 5km 5 km/h 100 000 00",
    "money": "$5bn, €1.2m, £300k, ¥10 000, 50%, 3/4, 7.5 per cent, 1 in 10, 2 dozen eggs, "
             "about 300 people, nearly 40 ships, more than a million tonnes, 1st, 22nd, 103rd",
    "punct": "...!!!???;;;:::---___***///\\\\\\'''\"\"\"((()))[[[]]]{{{}}}<<<>>>«»„“”‘’—–-",
    "mixed-scripts": "Moskva/Москва/Μόσχα/Մոսկվա/მოსკოვი/موسكو/مسکو/Маскве Київ-Kyiv "
                     "ГАЗПРОМ АО «Газпром» ООО 'Ромашка' Bolshoi Большой",
    "nfd-cyrillic": "Ио\u0306сиф Заи\u0306цев е\u0308ж Е\u0308лкино",
    "hyphen-wrap": "state-of-the-\nart multi-\nline co-\noperation e-\nmail\n- bullet\n"
                   "-\n--\n",
    "quotes": "\"Hello,\" she said. 'Quoted' “curly” ‘single’ „low” «guillemets» ‹single› "
              "‚low single‘ ″ ′ ` ´",
    "whitespace": " \t \u00a0 \u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                  "\u200a\u202f\u205f\u3000 a \t b  \n  \n\t\n c",
    "uk-apostrophes": "Під'їзд, м’ята, ім'я, Ґрунт, Святослав Вакарчук, Запоріжжя, "
                      "Дніпро, в'язень, п'ять",
    "persian": "تهران، اصفهان و شیراز؛ گفتگو با پژوهشگر ژاله در سال ۱۴۰۲",
    "html": "<p>Para &amp; one</p><br/><script>alert(1)</script><!-- c --> <a href='x'>l</a>",
}

STAGES = {"clean": 5, "entities": 4, "numbers": 3, "translit": 14}


def stage_seeds():
    names = sorted(TEXTS)
    for stage, n_cfg in STAGES.items():
        i = 0
        for name in names:
            text = TEXTS[name]
            if isinstance(text, str):
                text = text.encode("utf-8", "surrogatepass")
            # config index cycles; flags: markup, views, second pass in turn
            variants = 2 if stage == "translit" else 1
            for v in range(variants):
                k = i % n_cfg
                flags = [1, 0, 3, 5, 7, 2][i % 6]
                if name.startswith("markup"):
                    flags |= 1
                write(stage, "%s-%d" % (name, k), bytes([k, flags]) + text)
                i += 1


# ---------------------------------------------------------------- json
def json_seeds():
    J = {
        "simple": '{"id":"a","text":"Hello world"}',
        "numeric-id": '{"id":42,"text":"x"}',
        "float-id": '{"id":1.5e300,"text":"x","meta":{}}',
        "neg-id": '{"id":-0,"text":""}',
        "huge-id": '{"id":123456789012345678901234567890123,"text":"x"}',
        "no-id": '{"text":"no id here"}',
        "null-id": '{"id":null,"text":"x"}',
        "obj-id": '{"id":{"a":1},"text":"x"}',
        "meta-types": '{"text":"t","meta":{"s":"x","i":9223372036854775807,'
                      '"i2":-9223372036854775808,"big":18446744073709551616,"d":1e308,'
                      '"d2":-0.0,"tiny":5e-324,"over":1e400,"b":true,"f":false,"n":null,'
                      '"l":["a","b"],"mixed":[1,"a"],"obj":{"k":{"k":[1,2,{"x":null}]}},'
                      '"empty":[],"eo":{},"warnings":["old"]}}',
        "extra": '{"text":"x","lang":"en","tags":[1,2,{"a":[]}],"source":"ignored",'
                 '"annotations":[{"start":0}],"views":[],"n":1e5,"t":true}',
        "escapes": '{"id":"\\u00e9","text":"\\u00e9\\ud83d\\ude00 \\n\\t\\"\\\\\\/\\b\\f\\r'
                   '\\u001f\\u007f\\u2028"}',
        "lone-high": '{"text":"a\\ud800b"}',
        "lone-low": '{"text":"\\udc00x"}',
        "two-high": '{"text":"\\ud800\\ud800"}',
        "high-at-end": '{"text":"end\\ud83d"}',
        "surrogate-meta": '{"text":"x","meta":{"\\ud800":"\\udfff","k":["\\ud800"]},'
                          '"id":"\\udc00"}',
        "nul-escape": '{"id":"a\\u0000b","text":"a\\u0000b","meta":{"k\\u0000":"v\\u0000"}}',
        "unterminated-string": '{"text":"abc',
        "unterminated-object": '{"text":"abc"',
        "unterminated-escape": '{"text":"abc\\',
        "unterminated-u": '{"text":"abc\\u12',
        "trailing-garbage": '{"text":"a"} x',
        "two-objects": '{"text":"a"}{"text":"b"}',
        "trailing-comma": '{"text":"a",}',
        "deep-meta": '{"text":"x","meta":{"d":' + "[" * 5000 + "]" * 5000 + "}}",
        "deep-extra": '{"text":"x","deep":' + '{"a":' * 3000 + "1" + "}" * 3000 + "}",
        "deep-unclosed": '{"text":"x","deep":' + "[" * 20000,
        "huge-numbers": '{"text":"x","meta":{"a":1' + "0" * 400 + ',"b":-1' + "0" * 400 +
                        ',"c":0.' + "0" * 400 + '1,"d":1e-400,"e":1e' + "9" * 30 + "}}",
        "bad-numbers": '{"text":"x","meta":{"a":01}}',
        "bad-numbers2": '{"text":"x","meta":{"a":1.}}',
        "bad-numbers3": '{"text":"x","meta":{"a":-}}',
        "bad-numbers4": '{"text":"x","meta":{"a":NaN,"b":Infinity}}',
        "bad-numbers5": '{"text":"x","meta":{"a":.5}}',
        "dup-keys": '{"text":"a","text":"b","id":"1","id":"2","meta":{"k":1,"k":"two"}}',
        "text-number": '{"text":5}',
        "text-null": '{"text":null}',
        "text-array": '{"text":["a"]}',
        "no-text": '{"id":"x"}',
        "array-root": '["text","x"]',
        "empty": "",
        "ws-only": " \t\r\n ",
        "bom": '\ufeff{"text":"bom"}',
        "combining-rtl": '{"text":"e\\u0301 \\u05e9\\u05dc\\u05d5\\u05dd \\u0627\\u0644 '
                         '\\u202e\\u0645\\u0631\\u062d\\u0628\\u0627 Й\\u0306"}',
        "key-escape": '{"te\\u0078t":"via escape","\\u0069d":"esc"}',
        "bad-escapes": '{"text":"\\x41"}',
        "bad-escapes2": '{"text":"\\uZZZZ"}',
        "raw-control": '{"text":"a\x01b\x1fc"}',
        "raw-newline": '{"text":"a\nb"}',
        "crlf": '{"text":"crlf"}\r\n',
        "meta-not-object": '{"text":"x","meta":[1,2]}',
        "meta-string": '{"text":"x","meta":"s"}',
        "literal-typos": '{"text":"x","meta":{"a":tru,"b":nul,"c":fals}}',
    }
    for name, s in J.items():
        write("json", name, s)
    write("json", "caps-10k", json.dumps({"id": "caps", "text": CAPS}))
    write("json", "many-escapes", json.dumps({"text": "\"\\\n\t\u0001" * 2000}))
    write("json", "raw-invalid-utf8", b'{"id":"\xff\xfe","text":"caf\xc3 \xed\xa0\x80 \xc0\xaf",'
          b'"meta":{"\xe9":"\xf4\x90\x80\x80","l":["\x80"]},"x\xff":"\xfe"}')
    write("json", "raw-nul", b'{"text":"a\x00b","meta":{"k":"v\x00"}}')
    write("json", "nul-outside", b'{"text":"a"}\x00')
    for name, text in sorted(TEXTS.items()):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if len(text) < 2000:
            write("json", "text-" + name, json.dumps({"id": name, "text": text,
                                                      "meta": {"n": len(text)}},
                                                     ensure_ascii=(len(name) % 2 == 0)))


# ------------------------------------------------------------ pipeline
def pipeline_seeds():
    P = {
        "readme": '''pipeline = {
  plugin_path = [ "plugins" ];
  on_error = "pass";
  invalid_utf8 = "replace";
  max_document_bytes = 16777216;
  stages = (
    { plugin = "clean"; },
    { plugin = "translit"; name = "latin"; scheme = "bgn-pcgn"; lang = "ru"; mode = "replace"; }
  );
  output = { format = "jsonl"; emit_views = false; };
};
''',
        "all-stages": '''pipeline = { stages = (
  { plugin = "clean"; report = true; fold_quotes = true; },
  { plugin = "entities"; types = ["PERSON", "DATE"]; guess_persons = false; },
  { plugin = "numbers"; vague = false; max_numbers = 10; },
  { plugin = "translit"; scheme = "iso9"; lang = "uk"; mode = "entities"; ascii = true; }
); };
''',
        "empty-stages": 'pipeline = { stages = (); };',
        "no-stages": 'pipeline = { on_error = "skip"; };',
        "misspelt": 'pipeline = { stgaes = ( { plugn = "clean"; } ); on_eror = "pass"; };',
        "misspelt-option": 'pipeline = { stages = ( { plugin = "translit"; schem = "iso9"; } ); };',
        "misspelt-plugin": 'pipeline = { stages = ( { plugin = "clena"; } ); };',
        "bad-types": 'pipeline = { on_error = 5; max_document_bytes = -1; invalid_utf8 = true; '
                     'stages = ( { plugin = "numbers"; max_numbers = "ten"; vague = 1; } ); };',
        "zero-max": 'pipeline = { max_document_bytes = 0; stages = (); };',
        "huge-max": 'pipeline = { max_document_bytes = 0x7fffffffffffffffL; stages = (); };',
        "float-max": 'pipeline = { max_document_bytes = 1e300; stages = (); };',
        "stages-group": 'pipeline = { stages = { plugin = "clean"; }; };',
        "stages-scalar": 'pipeline = { stages = "clean"; };',
        "stage-not-group": 'pipeline = { stages = ( "clean", 5, ["x"] ); };',
        "no-pipeline": 'stages = ( { plugin = "clean"; } );',
        "pipeline-scalar": 'pipeline = 5;',
        "extra-top": 'pipeline = { stages = (); }; other = 1; again = { x = 2; };',
        "dup-names": 'pipeline = { stages = ( { plugin = "clean"; }, { plugin = "clean"; } ); };',
        "dup-names2": 'pipeline = { stages = ( { plugin = "numbers"; name = "latin"; }, '
                      '{ plugin = "translit"; name = "latin"; } ); };',
        "plugin-paths": 'pipeline = { stages = ( { plugin = "/nonexistent/sluice-x.so"; }, '
                        '{ plugin = "../../../etc/passwd"; }, { plugin = ""; }, '
                        '{ plugin = "cle\u00e1n"; }, { plugin = "./"; }, { plugin = "/"; } ); };',
        "plugin-path-types": 'pipeline = { plugin_path = [ 1, 2 ]; stages = (); };',
        "plugin-path-string": 'pipeline = { plugin_path = "plugins"; stages = ( { plugin = "clean"; } ); };',
        "plugin-path-empty": 'pipeline = { plugin_path = ""; plugin_path2 = (); stages = (); };',
        "plugin-path-list": 'pipeline = { plugin_path = ( "a", "b", ("c") ); stages = (); };',
        "include": 'pipeline = { stages = (\n  { plugin = "clean"; },\n@include "inc.cfg"\n); };\n',
        "include-missing": 'pipeline = { stages = (\n@include "nosuch.cfg"\n); };\n',
        "include-self": '@include "pipeline.cfg"\npipeline = { stages = (); };\n',
        "include-abs-missing": '@include "/nonexistent/dir/x.cfg"\n',
        "unterminated": 'pipeline = { stages = ( { plugin = "clean',
        "unterminated-group": 'pipeline = { stages = ( { plugin = "clean"; }',
        "garbage": b"\x00\x01\x02\xff\xfe{{{;;;===\"\"\"",
        "nul-in-string": b'pipeline = { stages = ( { plugin = "cle\x00an"; } ); };',
        "invalid-utf8": b'pipeline = { stages = ( { plugin = "clean"; name = "\xff\xfe\xc3"; } ); };',
        "deep-lists": 'pipeline = { x = ' + "(" * 5000 + ")" * 5000 + '; stages = (); };',
        "deep-groups": 'pipeline = { stages = ( { plugin = "numbers"; lexicon = ' +
                       "{ a = " * 2000 + "1" + "; }" * 2000 + "; } ); };",
        "isolate": 'pipeline = { stages = ( { plugin = "numbers"; isolate = true; timeout_ms = 10; },'
                   ' { plugin = "clean"; isolate = "yes"; timeout_ms = -5; },'
                   ' { plugin = "entities"; timeout_ms = 99999999999L; } ); };',
        "output": 'pipeline = { output = { format = "xml"; emit_views = 1; extra = 2; }; stages = (); };',
        "output-scalar": 'pipeline = { output = "jsonl"; stages = (); };',
        "reject": 'pipeline = { invalid_utf8 = "reject"; on_error = "abort"; stages = (); };',
        "bad-choices": 'pipeline = { invalid_utf8 = "drop"; on_error = "explode"; stages = ( '
                       '{ plugin = "translit"; mode = "shout"; } ); };',
        "translit-options": 'pipeline = { stages = ( { plugin = "translit"; scheme = "nosuch"; '
                            'lang = "xx"; scheme_dirs = ["a", "/b", ""]; ascii = "true"; } ); };',
        "out-of-range": 'pipeline = { stages = ( { plugin = "numbers"; max_numbers = 1000000000000L; },'
                        ' { plugin = "numbers"; name = "n2"; max_numbers = -1; },'
                        ' { plugin = "numbers"; name = "n3"; max_numbers = 3.5; } ); };',
        "list-types": 'pipeline = { stages = ( { plugin = "entities"; types = ["PERSON", 5]; '
                      'gazetteers = "one.tsv"; rules = ( "a", ["b"] ); } ); };',
        "long-name": 'pipeline = { stages = ( { plugin = "clean"; name = "' + "n" * 10000 + '"; } ); };',
        "odd-names": 'pipeline = { stages = ( { plugin = "clean"; name = ""; }, '
                     '{ plugin = "numbers"; name = "with space"; }, '
                     '{ plugin = "entities"; name = 5; } ); };',
        "order-warning": 'pipeline = { stages = ( { plugin = "translit"; mode = "entities"; }, '
                         '{ plugin = "entities"; } ); };',
        "comments": '# comment\n// another\n/* block */ pipeline = { stages = ( /* x */ ); };',
        "unterminated-comment": 'pipeline = { stages = (); }; /* never closed',
        "hex-octal": 'pipeline = { max_document_bytes = 0x10; stages = ( { plugin = "numbers"; '
                     'max_numbers = 010; } ); };',
        "escapes": 'pipeline = { stages = ( { plugin = "cl\\x65an"; name = "a\\tb\\n\\"q\\""; } ); };',
        "setting-names": 'pipeline = { stages = ( { plugin = "clean"; * = 1; 9x = 2; } ); };',
        "empty": '',
        "only-ws": '\n\n   \t\n',
        "colon-syntax": 'pipeline: { stages: ( { plugin: "numbers" } ) }',
        "string-concat": 'pipeline = { stages = ( { plugin = "cle" "an"; } ); };',
    }
    for name, s in P.items():
        write("pipeline", name, s)


# ------------------------------------------------------------ rewriter
def rewriter_seeds():
    def seed(text, flags, ops):
        if isinstance(text, str):
            text = text.encode("utf-8", "surrogatepass")
        return bytes([len(text) >> 8, len(text) & 255, flags]) + text + bytes(ops)

    def s(b):
        if isinstance(b, str):
            b = b.encode("utf-8")
        return [len(b)] + list(b)

    KEEP, REPL, DEL, INS, COMMIT, ABORT = 2, 3, 4, 5, 6, 7
    R = {
        "empty-commit": seed("", 0, [COMMIT]),
        "empty-insert": seed("", 1, [INS] + s("new") + [COMMIT, COMMIT]),
        "keep-all": seed("hello world", 1, [0, 0, 5, 0, 6, 3, KEEP, 5, COMMIT]),
        "replace-word": seed("Привет, мир", 1, [0, 0, 6, 0, 8, 3, KEEP, 8, REPL, 3] + s("world")
                             + [COMMIT]),
        "delete-span": seed("one two three", 0, [0, 4, 3, 0, 0, 13, KEEP, 4, DEL, 4, COMMIT]),
        "insert-middle": seed("ab", 0, [0, 0, 2, KEEP, 1, INS] + s("XYZ") + [COMMIT]),
        "insert-end": seed("ab", 0, [0, 2, 0, 0, 0, 2, KEEP, 2, INS] + s("!") + [COMMIT]),
        "invalid-replacement": seed("abc", 1, [0, 0, 3, REPL, 1] + [2, 0xc3, 0x28] + [COMMIT]),
        "nul-replacement": seed("abc", 0, [0, 0, 3, REPL, 1] + [3, 0x61, 0, 0x62] + [COMMIT]),
        "split-char": seed("héllo", 0, [0, 0, 5, KEEP, 0xC0, 2, COMMIT]),
        "backwards": seed("abcdef", 0, [KEEP, 4, KEEP, 0xC0, 0xFE, COMMIT]),
        "past-end": seed("abc", 0, [KEEP, 0xC0, 0x70, COMMIT]),
        "abort": seed("abcdef", 1, [0, 1, 2, KEEP, 2, DEL, 2, ABORT, COMMIT]),
        "invalid-annotation": seed("añb", 0, [1, 0, 5, 0, 1, 1, 1, 0, 1, 2, 3, 1, 0, 200, 0, 0]),
        "multi-commit": seed("ааа ббб ввв", 1, [0, 0, 3, 0, 4, 3, 0, 8, 3, KEEP, 2, REPL, 3]
                             + s("x") + [COMMIT, 0, 0, 11, DEL, 1, COMMIT, INS] + s("é")
                             + [COMMIT, ABORT]),
        "empty-annotations": seed("abc", 0, [0, 0, 0, 0, 3, 0, 0, 1, 0, KEEP, 1, DEL, 1, INS]
                                  + s("Q") + [COMMIT]),
        "delete-everything": seed("gone gone", 1, [0, 0, 4, 0, 5, 4, 0, 0, 9, DEL, 63, COMMIT]),
        "replace-widen": seed("a bc d", 0, [0, 2, 1, 0, 1, 2, KEEP, 2, REPL, 2] + s("BBBB")
                              + [COMMIT]),
        "combining": seed("e\u0301\u0301x\u05e9\u05dc", 0, [0, 0, 3, 0, 1, 2, KEEP, 1, REPL, 2]
                          + s("E") + [DEL, 1, INS] + s("\u202e") + [COMMIT]),
        "emoji": seed("\U0001F600a\U0001F1FA\U0001F1E6b", 1, [0, 0, 2, 0, 1, 3, KEEP, 1,
                      REPL, 2] + s(":)") + [KEEP, 0xC0, 1, COMMIT]),
        "invalid-text": seed(b"a\xffb\x00c\xed\xa0\x80d", 0, [0, 0, 8, KEEP, 2, REPL, 2]
                             + s("ok") + [COMMIT]),
        "split-insert": seed("ab", 0, [KEEP, 1, INS, 1, 0xe2, INS, 2, 0x82, 0xac, COMMIT]),
        "caps": seed(CAPS[:60000], 1, [0, 10, 20, 0, 200, 31, KEEP, 63, DEL, 63, REPL, 63]
                     + s("lower") + [INS] + s("x" * 31) + [COMMIT] * 3),
        "many-ops": seed("abcdefghijklmnopqrstuvwxyz", 0,
                         [x for i in range(200) for x in ([0, i % 26, i % 5, KEEP, 0] if i % 3
                                                           else [DEL, 1, INS, 1, 0x41 + i % 26])]
                         + [COMMIT]),
        "garbage": bytes(range(256)) * 4,
    }
    for name, data in R.items():
        write("rewriter", name, data)


def main():
    clear_seeds()
    stage_seeds()
    json_seeds()
    pipeline_seeds()
    rewriter_seeds()
    for t in sorted(os.listdir(CORPUS)):
        print("%-10s %3d files" % (t, len(os.listdir(os.path.join(CORPUS, t)))))


if __name__ == "__main__":
    sys.exit(main())
