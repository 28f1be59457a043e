"""The promise before filing equals the opened case's due time (one code path), refusals are
the same, and a filed case's clock is explained from its event log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from supportplan.accounts.models import Role
from supportplan.cases import promise, services
from supportplan.core.errors import DomainError
from supportplan.core.testing import make_user

from .factories import at, customer, load_catalogs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogs(db):
    load_catalogs()


def _open(user, tenant, provider, severity, channel, now, system=None, im_platform="", **kw):
    return services.case_open(
        actor=user,
        tenant=tenant,
        provider=provider,
        channel=channel,
        severity=severity,
        subject="It broke",
        description="The thing stopped working.",
        system=system,
        im_platform=im_platform,
        now=now,
        **kw,
    )


COMBOS = [
    # (provider, plan, severity, channel, im_platform, system class, opened (Shanghai))
    ("partner", "vip", "core_production_down", "im_group", "wecom", "core_production",
     "2026-09-30T20:00:00+08:00"),
    ("partner", "vip", "core_production_down", "ticket", "", "core_production",
     "2026-09-30T20:00:00+08:00"),
    ("partner", "dedicated", "production_abnormal", "im_group", "welink", "production",
     "2026-10-09T17:00:00+08:00"),
    ("partner", "vip", "system_abnormal", "im_group", "wecom", "non_production",
     "2026-11-24T17:59:00+08:00"),
    ("partner", "vip", "system_abnormal", "im_group", "wecom", "non_production",
     "2026-11-24T18:00:00+08:00"),
    ("partner", "basic", "general_guidance", "ticket", "", None, "2026-02-13T17:00:00+08:00"),
    ("tencent", "s3", "business_down", "ticket", "", "production", "2026-10-01T03:00:00+08:00"),
    ("tencent", "s2", "business_abnormal", "im_group", "", "production",
     "2026-12-31T23:30:00+08:00"),
    ("tencent", "s4", "usage_question", "ticket", "", None, "2026-06-19T12:00:00+08:00"),
]  # fmt: skip


@pytest.mark.parametrize("provider,plan,severity,channel,im,cls,opened", COMBOS)
def test_quote_equals_the_opened_case(provider, plan, severity, channel, im, cls, opened):
    tenant, user, systems = customer(provider, plan)
    system = systems[cls] if cls else None
    now = at(opened)
    q = promise.sla_quote(
        actor=user, tenant=tenant, provider=provider, severity=severity, channel=channel,
        system=system, im_platform=im, now=now,
    )  # fmt: skip
    case = _open(user, tenant, provider, severity, channel, now, system, im)
    assert q.promise.due_at == case.first_response_due
    assert q.promise.calendar.code == case.sla_calendar
    assert q.promise.target == case.first_response_target
    assert q.promise.escort is case.sla_escort is False


def test_the_issue_15_example_and_its_ticket_offer():
    tenant, user, systems = customer("partner", "vip")
    now = at("2026-09-30T20:00:00+08:00")
    with translation.override("en"):
        q = promise.sla_quote(
            actor=user, tenant=tenant, provider="partner", severity="core_production_down",
            channel="im_group", system=systems["core_production"], now=now,
        )  # fmt: skip
    assert q.promise.due_at == at("2026-10-08T09:10:00+08:00")
    assert q.due_local == "2026-10-08 09:10"
    assert [(w.code, w.suggested_channel, w.suggested_due_at) for w in q.warnings] == [
        ("sla.channel_closed", "ticket", at("2026-09-30T20:10:00+08:00"))
    ]
    assert "2026-10-08 09:10" in q.warnings[0].message
    assert q.reasons[1].startswith("1–7 Oct are holidays")


def test_a_staff_quote_for_a_call_equals_the_logged_case():
    tenant, caller, systems = customer("partner", "vip")
    engineer = make_user(Role.ENGINEER)
    now = at("2026-10-03T02:00:00+08:00")
    q = promise.sla_quote(
        actor=engineer, tenant=tenant, provider="partner", severity="production_down",
        channel="hotline", system=systems["production"], now=now,
    )  # fmt: skip
    case = services.case_log_call(
        actor=engineer, tenant=tenant, requester=caller, channel="hotline", now=now,
        provider="partner", severity="production_down", subject="Call", description="Down",
        system=systems["production"],
    )  # fmt: skip
    assert q.promise.due_at == case.first_response_due == now + timedelta(minutes=30)
    assert q.warnings == []


def test_escort_day_quote_equals_the_opened_case():
    from supportplan.bookings import services as bookings

    tenant, user, systems = customer("partner", "vip")
    tam = make_user(Role.TAM)
    booking = bookings.booking_request(
        tenant=tenant, actor=None, service_code="escort", start_date=date(2026, 12, 19),
        days=1, event_kind="promotion", event_description="Sale", now=at("2026-11-23T10:00:00+08:00"),
    )  # fmt: skip
    bookings.booking_confirm(
        booking=booking, actor=tam, team=[tam], now=at("2026-11-23T11:00:00+08:00")
    )
    now = at("2026-12-19T20:00:00+08:00")  # Saturday night: the IM group is closed
    q = promise.sla_quote(
        actor=user, tenant=tenant, provider="partner", severity="production_down",
        channel="im_group", system=systems["production"], now=now,
    )  # fmt: skip
    case = _open(user, tenant, "partner", "production_down", "im_group", now,
                 systems["production"], "wecom")  # fmt: skip
    assert (q.promise.due_at, q.promise.escort) == (now + timedelta(minutes=10), True)
    assert (case.first_response_due, case.sla_escort) == (q.promise.due_at, True)
    assert q.warnings == []  # the escort answers sooner than any channel


REFUSALS = [
    # (plan, severity, channel, system class, code)
    ("basic", "core_production_down", "ticket", "core_production", "case.severity_not_in_plan"),
    ("basic", "production_down", "im_group", "production", "case.channel_not_in_plan"),
    ("vip", "production_down", "hotline", "production", "case.channel_staff_logged"),
    ("vip", "core_production_down", "ticket", "production", "case.severity_not_for_system"),
    ("vip", "no_such", "ticket", "production", "case.unknown_severity"),
]


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("plan,severity,channel,cls,code", REFUSALS)
def test_a_refused_quote_is_the_refusal_opening_gives(plan, severity, channel, cls, code, lang):
    tenant, user, systems = customer("partner", plan)
    now = at("2026-11-23T10:00:00+08:00")
    with translation.override(lang):
        with pytest.raises(DomainError) as quoted:
            promise.sla_quote(
                actor=user, tenant=tenant, provider="partner", severity=severity,
                channel=channel, system=systems[cls], im_platform="wecom", now=now,
            )  # fmt: skip
        with pytest.raises(DomainError) as opened:
            _open(user, tenant, "partner", severity, channel, now, systems[cls], "wecom")
        assert quoted.value.code == opened.value.code == code
        assert quoted.value.as_dict() == opened.value.as_dict()


def test_no_plan_refusal_is_the_same():
    tenant, user, _systems = customer(None, None)
    now = at("2026-11-23T10:00:00+08:00")
    with pytest.raises(DomainError) as quoted:
        promise.sla_quote(
            actor=user, tenant=tenant, provider="partner", severity="general_guidance",
            channel="ticket", now=now,
        )  # fmt: skip
    with pytest.raises(DomainError) as opened:
        _open(user, tenant, "partner", "general_guidance", "ticket", now)
    assert quoted.value.as_dict() == opened.value.as_dict()
    assert quoted.value.code == "case.no_plan"


def test_quote_needs_no_im_platform_yet_but_refuses_a_wrong_one():
    tenant, user, systems = customer("partner", "vip")
    now = at("2026-11-23T10:00:00+08:00")
    q = promise.sla_quote(
        actor=user, tenant=tenant, provider="partner", severity="general_guidance",
        channel="im_group", now=now,
    )  # fmt: skip
    assert q.promise.due_at == at("2026-11-24T17:00:00+08:00")
    with pytest.raises(DomainError) as err:
        promise.sla_quote(
            actor=user, tenant=tenant, provider="partner", severity="general_guidance",
            channel="im_group", im_platform="dingtalk", now=now,
        )  # fmt: skip
    assert err.value.code == "case.im_platform_invalid"


def test_case_clock_from_the_event_log():
    tenant, user, systems = customer("partner", "vip")
    engineer = make_user(Role.SENIOR_EXPERT)
    opened = at("2026-09-30T17:00:00+08:00")
    case = _open(user, tenant, "partner", "general_guidance", "im_group", opened, None, "wecom")
    services.case_wait_on_customer(actor=engineer, case=case, now=at("2026-09-30T17:30:00+08:00"))
    services.case_customer_reply(
        actor=user, case=case, body="Here it is", now=at("2026-10-08T10:00:00+08:00")
    )
    with translation.override("en"):
        c = promise.case_clock(case, user, at("2026-10-08T12:00:00+08:00"))
    assert [(line.step.kind, line.start_local) for line in c.lines] == [
        ("started", "2026-09-30 17:00"),
        ("running", "2026-09-30 17:00"),
        ("paused", "2026-09-30 17:30"),
        ("running", "2026-10-08 10:00"),
        ("now", "2026-10-08 12:00"),
        ("due", "2026-10-09 16:30"),
    ]
    assert c.lines[2].text == "Paused waiting on the customer: nothing counted."
    assert c.lines[1].step.business == timedelta(minutes=30)
    assert c.timer.consumed == timedelta(hours=2, minutes=30)
    assert c.due_local == "2026-10-09 16:30"
