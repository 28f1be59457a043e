"""Fill empty msgstr entries of a .po file from a JSON/py dict of {msgid: translation}.

Used by developers when adding zh-Hans translations:
    python scripts/po_fill.py supportplan/<app>/locale/zh_Hans/LC_MESSAGES/django.po translations.json
Prints the msgids still untranslated so none is left behind. Exits 1 if any remain.
"""

import json
import re
import sys


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(po_text: str, table: dict[str, str]) -> tuple[str, list[str]]:
    blocks = po_text.split("\n\n")
    missing: list[str] = []
    out = []
    for block in blocks:
        m = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if not m or "msgid_plural" in block:
            out.append(block)
            continue
        msgid = _unquote(re.findall(r'".*"', m.group(1)))
        msgstr = _unquote(re.findall(r'".*"', m.group(2)))
        if msgid == "":
            out.append(block)
            continue
        if re.search(r"^#,.*\bfuzzy\b", block, re.M):
            # A fuzzy msgstr is makemessages' guess from a similar string: never keep it.
            block = re.sub(r"^(#,.*?)\s*\bfuzzy\b,?", r"\1", block, flags=re.M)
            block = re.sub(r"^#,\s*$\n?", "", block, flags=re.M)
            block = re.sub(r"^#\| .*\n?", "", block, flags=re.M)
            start = block.index("msgstr ")
            block = block[:start] + 'msgstr ""'
            msgstr = ""
        if not msgstr:
            if msgid in table:
                start = block.index("msgstr ")
                block = block[:start] + "msgstr " + _quote(table[msgid])
            else:
                missing.append(msgid)
        out.append(block)
    return "\n\n".join(out), missing


if __name__ == "__main__":
    po_path, table_path = sys.argv[1], sys.argv[2]
    with open(table_path, encoding="utf-8") as f:
        table = json.load(f)
    with open(po_path, encoding="utf-8") as f:
        text, missing = fill(f.read(), table)
    with open(po_path, "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    for msgid in missing:
        print("untranslated:", msgid)
    sys.exit(1 if missing else 0)
