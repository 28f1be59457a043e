"""The operator commands and the portal API give SPEC §2's answers exactly."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportplan.accounts.models import Role
from supportplan.catalog.services import catalog_load
from supportplan.core.testing import T0, api_client, make_user

pytestmark = pytest.mark.django_db

CATALOGS = Path(__file__).resolve().parents[3] / "catalogs"


@pytest.fixture
def catalogs():
    for name in ("partner.yaml", "tencent.yaml"):
        catalog_load(source=CATALOGS / name, actor=None, now=T0)


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--json")[0])


# --------------------------------------------------------------------------- CLI


SLA_DUE = [
    # plan, severity, channel, opened, due, calendar
    (
        "vip",
        "core_production_down",
        "ticket",
        "2026-10-01T09:00+08:00",
        "2026-10-01T09:10:00+08:00",
        "7x24",
    ),
    (
        "vip",
        "production_abnormal",
        "im_group",
        "2026-09-30T17:00+08:00",
        "2026-10-08T11:00:00+08:00",
        "5x8",
    ),
    (
        "basic",
        "general_guidance",
        "hotline",
        "2026-10-01T01:00:00Z",
        "2026-10-02T01:00:00+08:00",
        "7x24",
    ),
    (
        "dedicated",
        "core_production_down",
        "im_group",
        "2026-11-27T17:55+08:00",
        "2026-11-30T09:05:00+08:00",
        "5x8",
    ),
]


@pytest.mark.parametrize("plan,severity,channel,opened,due,calendar", SLA_DUE)
def test_sla_due_command(catalogs, plan, severity, channel, opened, due, calendar):
    args = ["sla", "due", "--provider", "partner", "--plan", plan, "--severity", severity]
    answer = run_json(*args, "--channel", channel, "--opened", opened)
    assert answer["due"] == due
    assert answer["calendar"]["code"] == calendar
    assert answer["missing_years"] == []


def test_sla_due_text_lists_the_calendar_facts(catalogs):
    out, _err = run(
        "sla",
        "due",
        "--provider",
        "partner",
        "--plan",
        "vip",
        "--severity",
        "production_abnormal",
        "--channel",
        "im_group",
        "--opened",
        "2026-09-30T17:00+08:00",
        "--lang",
        "en",
    )
    assert out.splitlines()[0] == "due 2026-10-08T11:00:00+08:00"
    assert "calendar 5x8 (Asia/Shanghai)" in out
    assert "2026-10-01..2026-10-07 holiday National Day" in out
    assert "holiday data known for 2004-2026" in out


def test_sla_due_escort_and_catalog_file():
    # no catalog loaded: --catalog-file reads the file directly
    answer = run_json(
        "sla",
        "due",
        "--provider",
        "partner",
        "--plan",
        "vip",
        "--severity",
        "core_production_down",
        "--channel",
        "im_group",
        "--opened",
        "2026-11-28T03:00+08:00",
        "--escort",
        "2026-11-28",
        "--catalog-file",
        str(CATALOGS / "partner.yaml"),
    )
    assert (answer["due"], answer["rule"]) == ("2026-11-28T03:10:00+08:00", "escort")
    assert answer["escorts"] == [
        {"start": "2026-11-28T00:00:00+08:00", "end": "2026-11-29T00:00:00+08:00"}
    ]


def test_sla_due_flags_missing_holiday_data(catalogs):
    out, err = run(
        "sla",
        "due",
        "--provider",
        "partner",
        "--plan",
        "vip",
        "--severity",
        "production_abnormal",
        "--channel",
        "im_group",
        "--opened",
        "2026-12-31T17:00+08:00",
        "--lang",
        "en",
    )
    assert out.splitlines()[0] == "due 2027-01-01T11:00:00+08:00"
    assert "WARNING calendar.holiday_data_missing: Holiday data missing for 2027" in err


@pytest.mark.parametrize(
    "args,code",
    [
        (
            [
                "--plan",
                "basic",
                "--severity",
                "core_production_down",
                "--channel",
                "ticket",
                "--opened",
                "2026-10-01T09:00+08:00",
            ],
            "case.severity_not_in_plan",
        ),
        (
            [
                "--plan",
                "vip",
                "--severity",
                "core_production_down",
                "--channel",
                "ticket",
                "--opened",
                "2026-10-01T09:00",
            ],
            "calendar.naive_datetime",
        ),
        (
            [
                "--plan",
                "vip",
                "--severity",
                "core_production_down",
                "--channel",
                "fax",
                "--opened",
                "2026-10-01T09:00+08:00",
            ],
            "sla.unknown_channel",
        ),
    ],
)
def test_sla_due_refusals_are_one_clear_line(catalogs, args, code):
    with pytest.raises(CommandError) as e:
        run("sla", "due", "--provider", "partner", *args, "--lang", "en")
    assert str(e.value).startswith(code + ": ")


def test_sla_due_without_loaded_catalog_says_how_to_load():
    with pytest.raises(CommandError) as e:
        run(
            "sla",
            "due",
            "--provider",
            "partner",
            "--plan",
            "vip",
            "--severity",
            "core_production_down",
            "--channel",
            "ticket",
            "--opened",
            "2026-10-01T09:00+08:00",
            "--lang",
            "en",
        )
    assert "supportplan catalog load" in str(e.value)


def test_calendar_workday_command():
    answer = run_json("calendar", "workday", "--after", "2026-11-23", "--n", "3")
    assert (answer["date"], answer["weekday"]) == ("2026-11-26", "Thursday")
    assert answer["starts_at"] == "2026-11-26T00:00:00+08:00"
    over = run_json("calendar", "workday", "--after", "2026-09-30", "--n", "3")
    assert over["date"] == "2026-10-10"
    assert [d["date"] for d in over["counted"]] == ["2026-10-08", "2026-10-09", "2026-10-10"]
    assert over["counted"][-1]["kind"] == "adjusted_workday"
    out, _ = run("calendar", "workday", "--after", "2026-11-23", "--n", "3", "--lang", "en")
    assert out.splitlines()[0] == "2026-11-26 (Thursday)"


@pytest.mark.parametrize(
    "month,deadline",
    [
        ("2026-01", "2026-01-13"),
        ("2026-05", "2026-05-15"),
        ("2026-10", "2026-10-17"),
        ("2026-02", "2026-02-10"),
    ],
)
def test_report_deadline_command(month, deadline):
    answer = run_json("report", "deadline", month)
    assert answer["deadline_date"] == deadline


def test_report_deadline_text_and_errors():
    out, _ = run("report", "deadline", "2026-10", "--lang", "en")
    assert out.splitlines()[0] == (
        "2026-10-17 (Saturday), by the end of the day, Asia/Shanghai "
        "(late from 2026-10-18T00:00:00+08:00)"
    )
    with pytest.raises(CommandError) as e:
        run("report", "deadline", "2026-13", "--lang", "en")
    assert str(e.value) == (
        "report.month_unreadable: Cannot read the month 2026-13: write it as YYYY-MM, e.g. 2026-10."
    )
    with pytest.raises(CommandError) as e:
        run("report", "deadline", "2026-13", "--lang", "zh-hans")
    assert (
        str(e.value)
        == "report.month_unreadable: 无法识别月份 2026-13：请写成 YYYY-MM，例如 2026-10。"
    )


def test_calendar_check_and_imports(tmp_path):
    answer = run_json("calendar", "check", "--as-of", "2026-11-23T09:00+08:00")
    assert answer["ok"] is False
    assert [(w["year"], w["level"]) for w in answer["warnings"]] == [(2027, "warning")]
    notice = tmp_path / "2027.yaml"
    notice.write_text(
        "year: 2027\ntitle: TEST (invented dates)\nholidays:\n"
        "  - {name: {zh-hans: 元旦, en: New Year's Day}, from: 2027-01-01, to: 2027-01-03}\n",
        encoding="utf-8",
    )
    imported = run_json("calendar", "import-notice", str(notice))
    assert (imported["years_created"], imported["added"]) == ([2027], 3)
    assert run_json("calendar", "check", "--as-of", "2026-11-23T09:00+08:00")["ok"] is True
    again = run_json("calendar", "import-library")
    assert again["added"] == 0 and 2026 in again["years_unchanged"]
    shown = run_json("calendar", "show", "5x8")
    assert shown["holiday_years_known"] == "2004-2027"
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nworkdays: [2027-03-03]\n", encoding="utf-8")
    with pytest.raises(CommandError) as e:
        run("calendar", "import-notice", str(bad), "--lang", "en")
    assert "workdays[0]: 2027-03-03 is a weekday" in str(e.value)


# --------------------------------------------------------------------------- API


@pytest.fixture
def customer():
    return make_user(Role.CUSTOMER_MEMBER)


API = pytest.mark.django_db  # the real URLconf (supportplan.config.urls)


@API
def test_api_sla_due(catalogs, customer):
    r = api_client(customer).get(
        "/api/sla/due/",
        {
            "provider": "partner",
            "plan": "vip",
            "severity": "core_production_down",
            "channel": "ticket",
            "opened": "2026-10-01T09:00+08:00",
        },
    )
    assert r.status_code == 200, r.content
    assert r.json()["due"] == "2026-10-01T09:10:00+08:00"
    assert r.json()["calendar"]["code"] == "7x24"


@API
def test_api_workday_and_deadline(customer):
    client = api_client(customer)
    r = client.get("/api/calendars/workday/", {"after": "2026-11-23", "n": "3"})
    assert (r.status_code, r.json()["date"]) == (200, "2026-11-26")
    r = client.get("/api/calendars/report-deadline/", {"month": "2026-05"})
    assert (r.status_code, r.json()["deadline_date"]) == (200, "2026-05-15")
    r = client.get("/api/calendars/5x8/")
    assert r.json()["weekly"]["monday"] == ["09:00-18:00"]
    r = client.get("/api/calendars/")
    assert [c["code"] for c in r.json()] == ["5x8", "7x24"]


@API
def test_api_refusals_in_both_languages(customer):
    r = api_client(customer, language="en").get("/api/calendars/workday/", {"after": "2026-11-23"})
    assert r.status_code == 400
    assert r.json()["code"] == "api.parameter_missing"
    assert r.json()["message"] == "The query parameter n is required."
    r = api_client(customer, language="zh-hans").get(
        "/api/calendars/report-deadline/", {"month": "2026/10"}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "report.month_unreadable"
    assert r.json()["message"] == "无法识别月份 2026/10：请写成 YYYY-MM，例如 2026-10。"
    r = api_client(customer, language="en").get("/api/calendars/9x9/")
    assert (r.status_code, r.json()["code"]) == (404, "calendar.unknown")


@API
def test_api_requires_sign_in_and_check_is_staff_only(customer):
    assert (
        api_client().get("/api/calendars/workday/", {"after": "2026-11-23", "n": "3"}).status_code
        == 401
    )
    assert api_client(customer).get("/api/calendars/check/").status_code == 403
    admin = make_user(Role.PLATFORM_ADMIN)
    r = api_client(admin).get("/api/calendars/check/")
    assert r.status_code == 200
    assert set(r.json()) == {"ok", "warnings"}


def test_entitlement_refusal_in_chinese_names_plans_in_chinese(catalogs):
    with pytest.raises(CommandError) as e:
        run(
            "sla",
            "due",
            "--provider",
            "partner",
            "--plan",
            "basic",
            "--severity",
            "core_production_down",
            "--channel",
            "ticket",
            "--opened",
            "2026-10-01T09:00+08:00",
            "--lang",
            "zh-hans",
        )
    assert str(e.value) == (
        "case.severity_not_in_plan: 基础级计划不包含严重性“核心生产系统不可用”；"
        "包含它的计划：专属级、VIP级（软通动力）。"
    )
