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
    "套餐": "计划",  # a plan is 支持计划 / 服务计划 (and its catalog 服务目录)
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


# An English count with "(s)" (day(s), month(s)): counts are said with ngettext / npgettext.
MAYBE_PLURAL = re.compile(r"\w\(s\)")


def _msgids() -> list[tuple[str, str]]:
    rows = []
    for po in sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")):
        for match in re.finditer(r'^msgid "(.*)"\n((?:".*"\n)*)', po.read_text("utf-8"), re.M):
            text = match.group(1) + "".join(
                line[1:-1] for line in match.group(2).splitlines() if line
            )
            rows.append((po.parts[-5], text))
    return rows


def test_counts_are_pluralised_not_written_with_s_in_brackets():
    hits = [f"{app}: {text!r}" for app, text in _msgids() if MAYBE_PLURAL.search(text)]
    assert hits == []


# --------------------------------------------------------------------------- rendered pages
# What people read on the pages, in zh-Hans: system notes, names instead of codes.

ENGLISH_NOTES = (
    "Waiting on customer",
    "Resolved",
    "Closed",
    "Reopened",
    "Severity ",
    "Best effort",
    "→",
)


def _thread_bodies(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", body).strip()
        for body in re.findall(r'<li class="system">.*?<div class="body">(.*?)</div>', html, re.S)
    ]


def _case_with_every_system_note(customer, staff):
    from django.utils import timezone

    from supportplan.cases import services as cases
    from supportplan.core import clock

    now = clock.now()
    eng = staff["expert"]
    case = cases.case_open(
        actor=customer.admin,
        tenant=customer.tenant,
        provider="partner",
        channel="ticket",
        severity="production_abnormal",
        subject="Slow checkout",
        description="Checkout takes 20 s since the upgrade; MySQL 5.7 on Linux.",
        system=customer.systems["production"],
        software_name="MySQL",
        software_version="5.7",
        software_platform="linux",
        now=now,
    )
    step = iter(range(1, 100))

    def later():
        return now + timezone.timedelta(seconds=next(step))

    cases.case_take(actor=eng, case=case, now=later())
    cases.case_change_severity(
        actor=customer.admin,
        case=case,
        severity="production_down",
        reason="Checkout is down now",
        now=later(),
    )
    cases.case_wait_on_customer(actor=eng, case=case, now=later())
    cases.case_resume(actor=eng, case=case, now=later())
    cases.case_flag_out_of_scope(actor=eng, case=case, code="code_development", now=later())
    cases.case_decide_best_effort(actor=eng, case=case, help=True, note="一次性协助", now=later())
    cases.case_decide_best_effort(actor=eng, case=case, help=False, now=later())
    cases.case_resolve(actor=eng, case=case, summary="索引已重建", now=later())
    cases.case_reopen(actor=customer.admin, case=case, reason="又变慢了", now=later())
    cases.case_resolve(actor=eng, case=case, now=later())
    cases.case_close(actor=customer.admin, case=case, now=later())
    return case


def test_every_system_note_on_the_case_page_is_chinese(catalogs, staff):
    from django.urls import reverse

    from .conftest import client_for, make_customer

    customer = make_customer("partner", "dedicated", name="Huaxia Logistics")
    case = _case_with_every_system_note(customer, staff)
    for client, url in (
        (client_for(customer.admin, "zh-hans"), reverse("web:case", args=[case.pk])),
        (client_for(staff["manager"], "zh-hans"), reverse("web:console_case", args=[case.pk])),
    ):
        html = client.get(url).content.decode()
        assert _thread_bodies(html) == [
            "严重性由“生产系统异常”改为“生产系统不可用”。Checkout is down now",
            "等待客户",
            "尽力而为：此工单超出服务范围，我们仍会协助处理。一次性协助",
            "尽力而为：此工单超出服务范围，我们不予处理。",
            "已解决。索引已重建",
            "已重新打开。又变慢了",
            "已解决。",
            "已关闭。",
        ]
        for english in ENGLISH_NOTES:
            assert english not in " ".join(_thread_bodies(html)), english
        # The software's platform by its name, never its code.
        assert "MySQL 5.7 （Linux）" in html
        assert "(linux)" not in html


def test_system_notes_stored_as_english_text_before_codes_render_in_chinese(catalogs, staff):
    """Rows written before system notes stored an event code (only the English body): the
    migration gives them one, and the page renders whatever it could not read as stored."""
    import importlib

    from django.apps import apps as django_apps
    from django.urls import reverse

    from supportplan.cases.models import Communication

    from .conftest import client_for, make_customer

    customer = make_customer("partner", "dedicated", name="Huaxia Logistics")
    case = _case_with_every_system_note(customer, staff)
    old = {
        "severity_changed": "Severity production_abnormal → production_down: Checkout is down",
        "waiting_on_customer": "Waiting on customer",
        "resolved": "Resolved. 索引已重建",
        "reopened": "Reopened: 又变慢了",
        "closed": "Closed",
    }
    rows = list(case.communications.filter(kind="system").order_by("id"))
    for row in rows:
        event = row.data["event"]
        if event == "best_effort":
            row.body = "Best effort: yes. 一次性协助" if row.data["help"] else "Best effort: no."
        else:
            row.body = old[event] if event != "resolved" or row.data["summary"] else "Resolved."
        row.data = {"state": row.data.get("state")} if "state" in row.data else {}
        if event == "severity_changed":
            row.data = {"old": "production_abnormal", "new": "production_down"}
        row.save(update_fields=["body", "data"])

    client = client_for(customer.admin, "zh-hans")
    url = reverse("web:case", args=[case.pk])
    expected = [
        "严重性由“生产系统异常”改为“生产系统不可用”。Checkout is down",
        "等待客户",
        "尽力而为：此工单超出服务范围，我们仍会协助处理。一次性协助",
        "尽力而为：此工单超出服务范围，我们不予处理。",
        "已解决。索引已重建",
        "已重新打开。又变慢了",
        "已解决。",
        "已关闭。",
    ]
    # Rendered from the English body before the migration ran ...
    assert _thread_bodies(client.get(url).content.decode()) == expected
    # ... and the migration stores the code for those rows.
    migration = importlib.import_module(
        "supportplan.cases.migrations.0004_system_notes_event_codes"
    )
    migration.store_codes(django_apps, None)
    events = [Communication.objects.get(pk=r.pk).data.get("event") for r in rows]
    assert events == [
        "severity_changed",
        "waiting_on_customer",
        "best_effort",
        "best_effort",
        "resolved",
        "reopened",
        "resolved",
        "closed",
    ]
    assert _thread_bodies(client.get(url).content.decode()) == expected


def test_statement_lines_say_the_order_kind_once_and_count_years(catalogs):
    from django.urls import reverse

    from .conftest import client_for, make_customer

    customer = make_customer("partner", "dedicated", name="Huaxia Logistics")
    zh = client_for(customer.admin, "zh-hans").get(reverse("web:statements")).content.decode()
    assert "购买 · 购买" not in zh
    assert re.search(r"<td>购买 专属级 1 年（订单 SP\d+）</td>", zh)
    en = client_for(customer.admin, "en").get(reverse("web:statements")).content.decode()
    assert re.search(r"<td>Purchase Dedicated, 1 year \(order SP\d+\)</td>", en)
    assert "year(s)" not in en


def test_advisory_and_system_clouds_are_named_not_coded(catalogs, staff):
    from django.urls import reverse

    from supportplan.accounts import services as accounts
    from supportplan.advisories import services as advisories
    from supportplan.core import clock

    from .conftest import client_for, make_customer

    customer = make_customer("partner", "basic", name="Qingyun Retail")  # notified at once
    now = clock.now()
    accounts.cloud_account_add(
        tenant=customer.tenant, cloud="huawei", account_id="hw-0001", now=now
    )
    advisory = advisories.advisory_create(
        actor=staff["manager"],
        kind="security_vulnerability",
        severity="critical",
        title={"zh-hans": "OpenSSH 漏洞", "en": "OpenSSH vulnerability"},
        body={"zh-hans": "请升级。", "en": "Upgrade."},
        clouds=["huawei"],
        now=now,
    )
    advisories.advisory_publish(actor=staff["manager"], advisory=advisory, now=now)
    html = (
        client_for(customer.admin, "zh-hans")
        .get(reverse("web:advisory", args=[advisory.pk]))
        .content.decode()
    )
    assert "<li>华为云</li>" in html
    assert "<li>huawei</li>" not in html
