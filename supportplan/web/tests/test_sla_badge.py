"""The SLA badge says its state once: "Breached 15m 48s ago" / "已超时 15分48秒"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django import template
from django.utils import translation

from supportplan.web.templatetags.web import sla_badge

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "late", "expected"),
    [
        ("en", True, "Breached</span> <time"),
        ("en", True, ">15m 48s ago</time>"),
        ("zh-hans", True, "已超时</span> <time"),
        ("zh-hans", True, ">15分48秒</time>"),
        ("en", False, ">15m 48s left</time>"),
        ("zh-hans", False, ">剩余 15分48秒</time>"),
    ],
)
def test_badge_text(lang, late, expected):
    due = (
        NOW - timedelta(minutes=15, seconds=48) if late else NOW + timedelta(minutes=15, seconds=48)
    )
    case = SimpleNamespace(
        first_response_due=due,
        first_responded_at=None,
        warn_at=None,
        sla_state="breached" if late else "running",
        state="open",
        paused_since=None,
    )
    with translation.override(lang):
        html = sla_badge(template.Context({"now": NOW}), case)
    assert expected in html
    assert html.count("已超时") <= 1 and html.count("Breached") <= 1


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "Technical contact: Ops"), ("zh-hans", "技术联系人：Ops")]
)
def test_label_separator_is_full_width_in_chinese(lang, expected):
    tpl = template.Template('{% load i18n web %}{% translate "Technical contact" %}{% colon %}Ops')
    with translation.override(lang):
        assert tpl.render(template.Context({})) == expected
