"""Every string a person reads has a Chinese translation, and the committed .mo files say
what the .po files say (nothing is compiled at run time)."""

import gettext
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO_FILES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def _entries(po: Path) -> list[tuple[str | None, str, str, bool]]:
    """(context, msgid, msgstr, fuzzy) for each entry but the header; plurals are skipped."""
    out = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if "msgid_plural" in block:
            continue
        m = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if not m:
            continue
        msgid = "".join(json.loads(x) for x in re.findall(r'".*"', m.group(1)))
        if not msgid:
            continue
        msgstr = "".join(json.loads(x) for x in re.findall(r'".*"', m.group(2)))
        ctx = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        context = "".join(json.loads(x) for x in re.findall(r'".*"', ctx.group(1))) if ctx else None
        fuzzy = bool(re.search(r"^#,.*\bfuzzy\b", block, re.M))
        out.append((context, msgid, msgstr, fuzzy))
    return out


def test_every_app_with_strings_has_a_chinese_catalog():
    assert len(PO_FILES) >= 10


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parts[-5])
def test_catalog_is_complete_and_compiled(po: Path):
    entries = _entries(po)
    untranslated = [msgid for _, msgid, msgstr, _ in entries if not msgstr]
    fuzzy = [msgid for _, msgid, _, is_fuzzy in entries if is_fuzzy]
    assert untranslated == [], f"untranslated in {po}"
    assert fuzzy == [], f"fuzzy (guessed) translations in {po}"
    with open(po.with_suffix(".mo"), "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = [
        msgid
        for context, msgid, msgstr, _ in entries
        if (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], f"{po.with_suffix('.mo')} is older than its .po: run compilemessages"


def test_domain_error_message_may_name_its_field():
    from supportplan.core.errors import DomainError

    error = DomainError(
        "x.bad", "Cannot read %(field)s=%(value)s.", field="after", value="2026-13-01"
    )
    assert error.message == "Cannot read after=2026-13-01."
    assert error.as_dict()["field"] == "after"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parts[-5])
def test_every_string_in_the_source_is_in_its_catalog(po: Path, tmp_path: Path):
    """makemessages on a copy of the app: a string a person reads that no catalog lists
    (added to the code, never to the .po) would show in English to Chinese readers."""
    import shutil
    import subprocess
    import sys

    app = po.parents[3]
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        # django-admin, not `python -m django`: the app's own selectors.py would shadow the
        # standard library's from the working directory
        [Path(sys.executable).parent / "django-admin", "makemessages", "-l", "zh_Hans"],
        cwd=copy,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT.parent),
            "DJANGO_SETTINGS_MODULE": "supportplan.config.settings.test",
        },
        check=True,
        capture_output=True,
    )
    fresh = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    missing = [msgid for _, msgid, msgstr, fuzzy in _entries(fresh) if not msgstr or fuzzy]
    assert missing == [], f"strings without a Chinese translation in {app.name}: {missing}"
