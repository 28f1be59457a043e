"""One Chinese word per concept (docs/glossary.md) and full-width punctuation in Chinese
text, across every app's zh-Hans catalog, so a rejected synonym cannot come back."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo"))

# The glossary's choice, and the words it rejects for the same concept.
REJECTED = {
    "故障级别": "严重性",
    "严重级别": "严重性",
    "问题级别": "严重性",
    "严重程度": "严重性",
    "案例": "工单",  # 客户案例 (the showcase) is another concept and stays
    "套餐": "支持计划",
}
CJK = "\u4e00-\u9fff"
# ASCII , ; : ! ? ( ) touching a Chinese character, or a full stop ending Chinese text.
ASCII_PUNCT = re.compile(rf"[{CJK}][,;:!?()]|[,;:!?()][{CJK}]|[{CJK}]\.(?=\s|$)")


def _translations() -> list[tuple[str, str, str]]:
    rows = []
    for mo in CATALOGS:
        with mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        for key, value in catalog.items():
            if key and isinstance(value, str):
                rows.append((mo.parts[-5], str(key), value))
    return rows


def test_every_app_has_a_compiled_catalog():
    assert len(CATALOGS) >= 10


@pytest.mark.parametrize(("rejected", "chosen"), sorted(REJECTED.items()))
def test_no_rejected_synonym_in_any_catalog(rejected, chosen):
    hits = [
        f"{app}: {key!r} -> {value!r}"
        for app, key, value in _translations()
        if rejected in value.replace("客户案例", "")
    ]
    assert hits == [], f"use {chosen} (docs/glossary.md), not {rejected}"


def test_chinese_text_uses_full_width_punctuation():
    hits = [
        f"{app}: {value!r}" for app, _key, value in _translations() if ASCII_PUNCT.search(value)
    ]
    assert hits == []


def _zh_values(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "zh-hans" and isinstance(value, str):
                yield path, value
            else:
                yield from _zh_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _zh_values(value, f"{path}[{i}]")


@pytest.mark.parametrize(("rejected", "chosen"), sorted(REJECTED.items()))
def test_no_rejected_synonym_in_the_shipped_plan_catalogs(rejected, chosen):
    import yaml

    hits = [
        f"{yaml_file.name}{path}: {value!r}"
        for yaml_file in sorted((ROOT.parent / "catalogs").glob("*.yaml"))
        for path, value in _zh_values(yaml.safe_load(yaml_file.read_text(encoding="utf-8")))
        if rejected in value.replace("客户案例", "")
    ]
    assert hits == [], f"use {chosen} (docs/glossary.md), not {rejected}"


def test_the_shipped_plan_catalogs_use_full_width_punctuation_in_chinese():
    import yaml

    hits = [
        f"{yaml_file.name}{path}: {value!r}"
        for yaml_file in sorted((ROOT.parent / "catalogs").glob("*.yaml"))
        for path, value in _zh_values(yaml.safe_load(yaml_file.read_text(encoding="utf-8")))
        if ASCII_PUNCT.search(value)
    ]
    assert hits == []
