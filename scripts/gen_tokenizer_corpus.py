#!/usr/bin/env python3
"""Generates Tests/VTPDataTests/Fixtures/tokenizer/corpus_cases.json: a seeded random corpus of
multilingual captions ("legit") and UTF-8 mojibake made from them ("mojibake": read as Windows-1252
or Latin-1, twice, with no-break spaces turned into spaces, only one word damaged, or lost bytes shown
as U+FFFD), with the official tokenizer's cleaning and ids.

The captions deliberately put accented capitals next to symbols and quotes far more often than real
text does, to stress the mojibake detection. The Swift tests require a minimum agreement rate rather
than exact equality, since SwiftVTP's ftfy-style fixer is an independent, smaller implementation.

Usage: python3 scripts/gen_tokenizer_corpus.py --reference VTP/vtp/tokenizers/text_tokenizer.py
"""
import argparse
import json
import pathlib
import random
import sys

from tokenizer_reference import load_reference

WORDS = """the a photo of cat dog café naïve résumé crème brûlée über schön Straße Fuß Müller Zürich Ångström
São Paulo coração ação não irmã maçã à às Ça garçon façade déjà vu voilà où être Noël Zoë coöperate
Dvořák Łódź zażółć gęślą jaźń źdźbło świat być Kraków Škoda český řeka žluťoučký kůň
Smørrebrød Ærø Øre blåbær årstid Ísland þetta eða ð ñandú mañana niño piña España ¿Qué ¡Hola!
árvíztűrő tükörfúrógép Győr İstanbul Türkçe ğüşıöç Ελληνικά Γειά σου Σίσυφος ΟΔΟΣ
Привет мир Россия всё Сёмга ВСЁ Ёлка Київ їжак ґанок Беларусь Ўзбекистан
日本語 東京タワー こんにちは カタカナ ﾊﾝｶｸ 你好 世界 中文 한국어 안녕하세요 שלום עברית العربية مرحبا
हिन्दी ภาษาไทย ქართული Հայերեն 🍕 😀 👍🏽 ❤️ 🇫🇷 ™ © ® ° ± ½ ¼ ² ³ € £ ¥ ¢ § ¶ • … — – « » “ ” ‘ ’ „ ‚
ÉCOLE CAFÉ JOSÉ ÀÉÎÕÜ MÜNCHEN STRASSE ÑANDÚ ÇA ÉTÉ HIVER ÅR ØST ÆBLE × ÷ µ ß""".split()
SEPARATORS = [" ", " ", " ", " ", ", ", ". ", "! ", "? ", " — ", "… ", ": ", "; ", " (", ") ", " “", "” ",
              " ‘", "’ ", " «", "» ", "\u00a0", " - "]
ENDINGS = ["", ".", "!", "…", "”", "™", "’s"]


def caption(rng):
    count = rng.randint(1, 8)
    text = ""
    for index in range(count):
        word = rng.choice(WORDS)
        roll = rng.random()
        if roll < 0.15:
            word = word.upper()
        elif roll < 0.3:
            word = word.capitalize()
        text += word + (rng.choice(SEPARATORS) if index < count - 1 else rng.choice(ENDINGS))
    return text


def bake(text, codec):
    return text.encode("utf-8").decode(codec)


def mojibake(rng, text):
    roll = rng.random()
    if roll < 0.35:
        return bake(text, "sloppy-windows-1252")
    if roll < 0.5:
        return bake(text, "latin-1")
    if roll < 0.6:
        return bake(bake(text, "sloppy-windows-1252"), "sloppy-windows-1252")
    if roll < 0.75:
        return bake(text, "sloppy-windows-1252").replace("\u00a0", " ")
    if roll < 0.9:
        words = text.split(" ")
        index = rng.randrange(len(words))
        words[index] = bake(words[index], "sloppy-windows-1252")
        return " ".join(words)
    return bake(text, "sloppy-windows-1252").replace("\x9d", "\ufffd").replace("\x81", "\ufffd")


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True, help="vtp/tokenizers/text_tokenizer.py of a VTP checkout")
    parser.add_argument("--bpe", default=str(root / "Sources/VTPData/Resources/bpe_simple_vocab_16e6.txt.gz"))
    parser.add_argument("--out", default=str(root / "Tests/VTPDataTests/Fixtures/tokenizer/corpus_cases.json"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--legit", type=int, default=800)
    parser.add_argument("--mojibake", type=int, default=400)
    args = parser.parse_args()

    import ftfy
    import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252
    module, tokenizer = load_reference(args.reference, args.bpe)
    rng = random.Random(args.seed)
    legit = [caption(rng) for _ in range(args.legit)]
    baked = [mojibake(rng, text) for text in legit[: args.mojibake]]
    cases = [{"kind": "legit", "text": text} for text in legit] + [{"kind": "mojibake", "text": text} for text in baked]
    for case in cases:
        case["cleaned"] = module._clean_lower(case["text"])
        case["encoded"] = tokenizer.encode(case["text"])
    out = {
        "description": "Seeded random corpus (scripts/gen_tokenizer_corpus.py) with the official VTP tokenizer's "
                       "cleaning and ids; kind is legit (correct text) or mojibake.",
        "versions": {"python": sys.version.split()[0], "ftfy": ftfy.__version__, "seed": args.seed},
        "cases": cases,
    }
    pathlib.Path(args.out).write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
