#!/usr/bin/env python3
"""Writes Sources/VTPData/Resources/html5_entities.json from Python's html.entities.html5.

The table maps entity names as they follow '&' (e.g. "amp;", "amp", "eacute;") to their replacement
text. Python's html.unescape uses exactly this table, so the Swift tokenizer can mirror it.
Run from the repository root:  python3 scripts/gen_html5_entities.py
"""
import html.entities
import json
import pathlib
import sys

out = pathlib.Path(__file__).resolve().parent.parent / "Sources/VTPData/Resources/html5_entities.json"
table = dict(sorted(html.entities.html5.items()))
text = json.dumps(table, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
out.write_text(text + "\n", encoding="ascii")
print(f"wrote {len(table)} entities to {out} (Python {sys.version.split()[0]})")
