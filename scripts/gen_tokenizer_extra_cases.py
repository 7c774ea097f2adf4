#!/usr/bin/env python3
"""Generates Tests/VTPDataTests/Fixtures/tokenizer/extra_cases.json with the official tokenizer.

Every expectation comes from the reference implementation, never from SwiftVTP:
  * `fixed`:   ftfy.fix_text(text)                       (ftfy 6.3.1)
  * `cleaned`: the reference cleaning (fix_text, html.unescape x2, whitespace, lower)
  * `encoded`: SimpleTokenizer.encode(text)
  * `decoded`: SimpleTokenizer.decode(encoded)

Usage (needs `pip install ftfy==6.3.1 regex`; torch is not needed):
  python3 scripts/gen_tokenizer_extra_cases.py --reference VTP/vtp/tokenizers/text_tokenizer.py \
      --bpe shared/data/bpe_simple_vocab_16e6.txt.gz
"""
import argparse
import json
import pathlib
import sys

from tokenizer_reference import load_reference

CASES = {
    # Hand-made damaged forms (NBSP turned into a space, lost bytes shown as U+FFFD or '?'), plus the
    # generated mojibake of MOJIBAKE_SOURCES below.
    "mojibake": [
        "voilÃ le travail", "Ã  la carte", "dÃ©jÃ vu", "He said â€œhelloâ€\ufffd loudly",
        "a café and a cafÃ©", "😀 and cafÃ©", "â€œquotedâ€\x9d", "itâ€™s 5Â°C â€” coldâ€¦",
        "naÃ¯ve cafÃ©\nsecond line with cafÃ©", "multiple\tÃ©\tmojibake", "a\x85b", "price\x80 5",
        "Â£100 for a Â½ pint", "100Â km",
    ],
    "not_mojibake": [
        "CAFÉ—GOOD", "„Straße“ und „Fuß“", "JOSÉ… said", "naïve café — “quoted”", "Ångström",
        "São Paulo", "SÃO PAULO", "Dvořák", "Ærø", "Øre", "Müller’s", "ÉCOLE NORMALE", "¡Hola!",
        "½ cup", "50 °C", "ÀÉÎÕÜ", "Ça va", "Ñandú", "Łódź", "àéîõü", "Mañana» dijo", "Straße…",
        "10 × 20", "© 2024 ACME™", "Noël", "Zoë’s", "Ω ≈ 3", "€100", "Γειά σου", "Россия", "Ελλάς",
        "日本語のテキスト", "עברית", "العربية", "ﾊﾝｶｸ", "ÉTÉ—HIVER",
    ],
    "quotes": [
        "“Hello,” she said. ‘It’s fine.’", "‛odd‟ quotes", "ʼokina", "don’t", "I‘m", "„low“",
        "‚single‘", "it´s", "«guillemets»", "″double prime″",
    ],
    "width": [
        "ＬＯＵＤ　ＮＯＩＳＥＳ", "Ｕﾀｰﾝ", "１２３４", "ｈｅｌｌｏ！", "ｶﾞｷﾞｸﾞ", "ﾊﾟﾝ", "￥５００",
        "（ｆｕｌｌ）　ｗｉｄｔｈ", "ﾟ", "￣", "ﾠhangul filler",
    ],
    "ligatures": [
        "ﬂuﬃeﬆ", "ﬁnance ofﬁce", "ĳsselmeer Ĳ", "ǅemal ǆ Ǆ", "ﬅ", "ﬀ ﬄ", "ŉ", "ǈ ǋ ǲ",
    ],
    "entities": [
        "&ldquo;hi&rdquo;", "it&#8217;s", "it&#x2019;s", "&amp;lt;", "AT&T", "&notit;", "this&not that",
        "&EACUTE;", "P&EACUTE;REZ", "BUNDESSTRA&SZLIG;E", "&ntilde; &Ntilde; &NTILDE; &nTILDE;",
        "&#0;x", "&#128;", "&#x80;", "a&#1;b", "&#xD800;", "&#x110000;", "&#99999999999;", "a&#13;b",
        "&ampxyz", "&amp", "&lt;b&gt; <tag> &ldquo;x&rdquo;", "line1 <b>\n&ldquo;line2&rdquo;",
        "&nbsp;x&nbsp;", "&#65;&#x42;&#X43;", "&Jscr;ohn", "&fjlig;", "&NotEqualTilde;", "&frac12; cup",
        "&copy2024", "&sup2;", "&#59;", "&#x;", "&#;", "&", "&&amp;&", "&hellip;", "&mdash;&ndash;",
        "&eacute", "&Eacute", "&amp;amp;amp;", "&apos;s", "&#39;s", "&#x27;t", "&quot;&QUOT;", "&LT;",
        "&lte;", "&ltx", "&#65", "&#x41x", "&#8220;quote&#8221;", "&abcdefghijklmnopqrstuvwxyzabcdefghij;",
        "&#xFFFE;", "&#x1FFFF;", "&#xFDD0;", "&#x7F;", "&#x9D;", "&#12;x", "Caf&eacute; &amp; cr&egrave;me",
    ],
    "controls": [
        "\x1b[31mred\x1b[0m text", "\x1b[1;32;40mbold\x1b[m", "a\x00b\x07c\ufeffd\u200be", "x\x85y",
        "l1\u2028l2\u2029l3", "cr\rlf\r\nend", "\x1c\x1d\x1e\x1f", "\u206aarabic\u206f", "obj\ufffcrepl",
        "tab\x0bvt\x0cff", "del\x7fete", "zwj\u200dzwnj\u200c", "rtl\u200fmark",
    ],
    "normalization": [
        "e\u0301", "A\u030a", "\u1112\u1161\u11ab", "\u212b", "\u2126", "o\u0308\u0301", "\u0958",
        "ḱ\u0323", "\uf900",
    ],
    "whitespace": [
        "\u3000ideographic\u3000", "\u00a0nbsp\u00a0", "\u2009thin\u200aspace", "a\u1680b", "x\u202fy",
        "  \t\n  ", "\u180emongolian", "\u2060wj",
    ],
    "case": [
        "ΟΔΟΣ", "İstanbul", "ΣΑΣ Σ ΑΣ.", "ǅ", "ẞ", "ΌΣΟΣ", "Σ", "AΣ\u0301B", "ǲ", "ᾈ", "ＩＳ",
    ],
    "pretokenizer": [
        "it'ſ", "<start_of_text>hello", "<end_of_text>", "<START_OF_TEXT>", "don''t", "rock'n'roll",
        "'s'", "x'LL", "a_b-c", "٣٤٥", "①②", "Ⅻ", "½", "x³", "🇫🇷", "👨‍👩‍👧", "a\u0301", "<<start_of_text>>",
        "<ſtart_of_text>", "'re're", "'ve'm'd", "ab12cd", "...!!!???", "@@@", "こんにちは世界123",
        "e-mail's", "🍕🍕🍕", "$$$100", "'", "''", "'S", "C++", "x86_64", "ǅ'S",
    ],
    "long": [
        "the " * 100,
        "supercalifragilisticexpialidocious " * 5,
        "🍕" * 40,
        "a" * 300,
    ],
}


# Correct text; the generator adds its UTF-8 bytes read as Windows-1252 (sloppy: unassigned bytes as
# Latin-1) and as Latin-1, and some of them mis-decoded twice.
MOJIBAKE_SOURCES = [
    "café", "don’t stop", "“quoted”", "Été à Paris", "😀 smile", "naïve résumé", "über schön",
    "Привет мир", "你好世界", "こんにちは", "العربية", "שלום", "zażółć gęślą jaźń", "Ελληνικά",
    "¿Qué pasa?", "árvíztűrő tükörfúrógép", "Smørrebrød", "piña colada", "ça va", "☃ snowman", "€50",
    "façade", "Crème brûlée", "Zürich", "Ångström", "İstanbul’da", "Dvořák", "São Paulo", "Ærø",
    "“Bonjour” — dit-il…", "The café’s menu", "ÉCOLE", "Straße", "résumé", "coöperate", "niño",
]


def mojibake_cases():
    import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252
    texts = []
    for source in MOJIBAKE_SOURCES:
        raw = source.encode("utf-8")
        for codec in ("sloppy-windows-1252", "latin-1"):
            once = raw.decode(codec)
            if once not in texts:
                texts.append(once)
        twice = raw.decode("sloppy-windows-1252").encode("utf-8").decode("sloppy-windows-1252")
        if len(source) < 8 and twice not in texts:
            texts.append(twice)
    return texts


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True, help="vtp/tokenizers/text_tokenizer.py of a VTP checkout")
    parser.add_argument("--bpe", default=str(root / "Sources/VTPData/Resources/bpe_simple_vocab_16e6.txt.gz"))
    parser.add_argument("--out", default=str(root / "Tests/VTPDataTests/Fixtures/tokenizer/extra_cases.json"))
    args = parser.parse_args()

    import ftfy
    import regex
    module, tokenizer = load_reference(args.reference, args.bpe)
    cases = []
    CASES["mojibake"] = CASES["mojibake"] + mojibake_cases()
    for category, texts in CASES.items():
        for text in texts:
            encoded = tokenizer.encode(text)
            cases.append({
                "category": category,
                "text": text,
                "fixed": ftfy.fix_text(text),
                "cleaned": module._clean_lower(text),
                "encoded": encoded,
                "decoded": tokenizer.decode(encoded),
            })
    out = {
        "description": "Extra tokenizer expectations generated by scripts/gen_tokenizer_extra_cases.py with the "
                       "official VTP SimpleTokenizer (vtp/tokenizers/text_tokenizer.py) and ftfy. fixed = "
                       "ftfy.fix_text(text); cleaned = the tokenizer's cleaning; encoded = encode(text); "
                       "decoded = decode(encoded).",
        "versions": {"python": sys.version.split()[0], "ftfy": ftfy.__version__, "regex": regex.__version__},
        "cases": cases,
    }
    pathlib.Path(args.out).write_text(json.dumps(out, ensure_ascii=True, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
