"""Case services on the real catalogs, calendars and subscriptions: exact due times, tiers,
TAM, every transition's audit entry, warnings and breaches firing exactly once."""

from __future__ import annotations

import pytest
from django.utils import translation

from supportplan.accounts.models import Role
from supportplan.cases import selectors, services, sweep
from supportplan.cases.models import Case, CaseState, CommunicationKind
from supportplan.core.errors import DomainError
from supportplan.core.models import AuditEntry
from supportplan.core.testing import make_user, race

from .factories import at, customer, load_catalogs, minutes

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def catalogs(db):
    load_catalogs()


@pytest.fixture
def staff(db):
    return {
        "engineer": make_user(Role.ENGINEER),
        "expert": make_user(Role.EXPERT),
        "senior": make_user(Role.SENIOR_EXPERT),
        "tam": make_user(Role.TAM),
        "manager": make_user(Role.SUPPORT_MANAGER, handler_tier="senior_expert"),
    }


def open_case(user, tenant, provider, severity, system=None, channel="ticket", now=None, **kw):
    return services.case_open(
        actor=user,
        tenant=tenant,
        provider=provider,
        channel=channel,
        severity=severity,
        subject="It broke",
        description="The thing stopped working at 08:55.",
        system=system,
        now=now or at("2026-11-23T10:00:00+08:00"),
        **kw,
    )


def refusal(fn, *args, **kwargs):
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    return info.value


def actions(case):
    return list(
        AuditEntry.objects.filter(target_type="cases.case", target_id=str(case.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


# --------------------------------------------------------------------------- what each plan allows

# provider, plan, severities it may file on a core production system by ticket
ALLOWED = {
    ("partner", "basic"): {"production_down", "production_abnormal", "system_abnormal", "general_guidance"},
    ("partner", "dedicated"): {"core_production_down", "production_down", "production_abnormal", "system_abnormal", "general_guidance"},
    ("partner", "vip"): {"core_production_down", "production_down", "production_abnormal", "system_abnormal", "general_guidance"},
    ("tencent", "s4"): {"business_down", "business_abnormal", "usage_question"},
    ("tencent", "s3"): {"business_down", "business_abnormal", "usage_question"},
    ("tencent", "s2"): {"business_down", "business_abnormal", "usage_question"},
    ("tencent", "s1"): {"business_down", "business_abnormal", "usage_question"},
}  # fmt: skip
SEVERITIES = {
    "partner": ["core_production_down", "production_down", "production_abnormal", "system_abnormal", "general_guidance"],
    "tencent": ["business_down", "business_abnormal", "usage_question"],
}  # fmt: skip
IM_OK = {("partner", "dedicated"), ("partner", "vip"), ("tencent", "s2"), ("tencent", "s1")}


@pytest.mark.parametrize(("provider", "plan"), sorted(ALLOWED))
def test_each_plan_opens_exactly_what_it_allows(staff, provider, plan):
    tenant, user, systems = customer(provider, plan)
    core = systems["core_production"]
    for severity in SEVERITIES[provider]:
        if severity in ALLOWED[(provider, plan)]:
            case = open_case(user, tenant, provider, severity, core)
            assert case.state == CaseState.OPEN and case.plan_code == plan
        else:
            err = refusal(open_case, user, tenant, provider, severity, core)
            assert err.code == "case.severity_not_in_plan"
    im = "wecom" if provider == "partner" else ""
    severity = SEVERITIES[provider][-1]
    if (provider, plan) in IM_OK:
        assert open_case(user, tenant, provider, severity, channel="im_group", im_platform=im)
    else:
        err = refusal(
            open_case, user, tenant, provider, severity, channel="im_group", im_platform=im
        )
        assert err.code == "case.channel_not_in_plan"
    err = refusal(open_case, user, tenant, provider, severity, channel="hotline")
    assert err.code == "case.channel_staff_logged"


def test_partner_tenant_without_a_plan_is_told_which_plans_include_cases():
    tenant, user, systems = customer(None, None)
    err = refusal(open_case, user, tenant, "partner", "general_guidance")
    assert err.code == "case.no_plan"
    assert err.status == 403
    with translation.override("en"):
        assert err.as_dict()["params"]["plans"] == "Basic, Dedicated, VIP (iSoftStone)"
    with translation.override("zh-hans"):
        assert err.as_dict()["params"]["plans"] == "基础级、专属级、VIP级（软通动力）"
    assert not Case.objects.exists()


def test_a_non_production_system_cannot_be_production_down():
    tenant, user, systems = customer("partner", "vip")
    err = refusal(open_case, user, tenant, "partner", "production_down", systems["non_production"])
    assert err.code == "case.severity_not_for_system"
    assert open_case(user, tenant, "partner", "system_abnormal", systems["non_production"])


def test_another_tenants_system_is_not_found():
    tenant, user, systems = customer("partner", "vip")
    other, _u, other_systems = customer("partner", "vip")
    err = refusal(
        open_case, user, tenant, "partner", "general_guidance", other_systems["production"]
    )
    assert err.code == "not_found"
    err = refusal(open_case, user, other, "partner", "general_guidance")
    assert err.code == "not_found"


# --------------------------------------------------------------------------- due times, tier, TAM


def test_vip_core_production_down_by_ticket_is_due_in_ten_minutes(staff):
    tenant, user, systems = customer("partner", "vip", tam=staff["tam"])
    case = open_case(
        user, tenant, "partner", "core_production_down", systems["core_production"],
        now=at("2026-10-01T09:00:00+08:00"),
    )  # fmt: skip
    assert case.first_response_due == at("2026-10-01T09:10:00+08:00")
    assert case.sla_calendar == "7x24"
    assert case.handler_tier == "senior_expert" and case.queue == "senior_expert"
    assert case.tam_id == staff["tam"].pk
    assert case.assignee_id == staff["senior"].pk
    opened = AuditEntry.objects.get(action="case.opened", target_id=str(case.pk))
    # Assigned at opening (one entry), and severe: the TAM is told too.
    assert opened.data["notify"] == [staff["senior"].pk, staff["tam"].pk]
    assert opened.data["assignee_id"] == staff["senior"].pk
    assert opened.data["due"] == "2026-10-01T01:10:00+00:00"


def test_partner_im_group_runs_on_5x8_over_the_october_holiday(staff):
    tenant, user, systems = customer("partner", "dedicated")
    case = open_case(
        user, tenant, "partner", "production_down", systems["production"],
        channel="im_group", im_platform="wecom", now=at("2026-09-30T17:50:00+08:00"),
    )  # fmt: skip
    # 10 minutes on Wed 30 Sep, then closed 1-7 Oct (National Day), 20 minutes on Thu 8 Oct.
    assert case.sla_calendar == "5x8"
    assert case.first_response_due == at("2026-10-08T09:20:00+08:00")
    assert case.handler_tier == "expert" and case.tam_id is None


def test_same_case_by_ticket_runs_on_7x24(staff):
    tenant, user, systems = customer("partner", "dedicated")
    case = open_case(
        user, tenant, "partner", "production_down", systems["production"],
        now=at("2026-09-30T17:50:00+08:00"),
    )  # fmt: skip
    assert case.first_response_due == at("2026-09-30T18:20:00+08:00")


@pytest.mark.parametrize(
    ("provider", "plan", "severity", "due", "tier", "has_tam"),
    [
        ("partner", "basic", "production_down", "2026-11-23T10:30:00+08:00", "engineer", False),
        ("partner", "basic", "general_guidance", "2026-11-24T02:00:00+08:00", "engineer", False),
        ("partner", "dedicated", "core_production_down", "2026-11-23T10:10:00+08:00", "expert", False),
        ("partner", "vip", "production_abnormal", "2026-11-23T13:00:00+08:00", "senior_expert", True),
        ("tencent", "s4", "business_down", "2026-11-23T12:00:00+08:00", "engineer", False),
        ("tencent", "s3", "business_down", "2026-11-23T10:30:00+08:00", "engineer", False),
        ("tencent", "s3", "business_abnormal", "2026-11-23T11:00:00+08:00", "engineer", False),
        ("tencent", "s2", "business_down", "2026-11-23T10:15:00+08:00", "expert", False),
        ("tencent", "s1", "usage_question", "2026-11-23T11:00:00+08:00", "senior_expert", True),
    ],
)  # fmt: skip
def test_due_time_tier_and_tam_per_plan(staff, provider, plan, severity, due, tier, has_tam):
    tenant, user, systems = customer(provider, plan, tam=staff["tam"])
    case = open_case(user, tenant, provider, severity, systems["core_production"])
    assert case.first_response_due == at(due)
    assert case.handler_tier == tier
    assert case.tam_id == (staff["tam"].pk if has_tam else None)


def test_severity_change_recomputes_from_creation(staff):
    tenant, user, systems = customer("partner", "basic")
    case = open_case(user, tenant, "partner", "general_guidance", systems["production"])
    assert case.first_response_due == at("2026-11-24T02:00:00+08:00")
    err = refusal(
        services.case_change_severity, actor=user, case=case, severity="production_down",
        reason="", now=at("2026-11-23T10:05:00+08:00"),
    )  # fmt: skip
    assert err.code == "case.reason_required"
    err = refusal(
        services.case_change_severity, actor=user, case=case, severity="core_production_down",
        reason="down", now=at("2026-11-23T10:05:00+08:00"),
    )  # fmt: skip
    assert err.code == "case.severity_not_in_plan"
    case = services.case_change_severity(
        actor=user, case=case, severity="production_down", reason="the shop is down",
        now=at("2026-11-23T10:05:00+08:00"),
    )  # fmt: skip
    assert case.first_response_due == at("2026-11-23T10:30:00+08:00")
    entry = AuditEntry.objects.get(action="case.severity_changed")
    assert entry.data["old"] == "general_guidance" and entry.data["new"] == "production_down"
    assert entry.data["reason"] == "the shop is down"


def test_waiting_on_customer_pauses_the_clock(staff):
    tenant, user, systems = customer("partner", "vip")
    case = open_case(
        user, tenant, "partner", "production_abnormal", systems["production"],
        now=at("2026-11-23T09:00:00+08:00"),
    )  # fmt: skip
    assert case.first_response_due == at("2026-11-23T12:00:00+08:00")
    senior = staff["senior"]
    services.case_wait_on_customer(actor=senior, case=case, now=at("2026-11-23T09:30:00+08:00"))
    case.refresh_from_db()
    assert case.state == CaseState.WAITING_ON_CUSTOMER
    assert case.sla_state == "paused" and case.first_response_due is None
    services.case_reply(actor=user, case=case, body="here", now=at("2026-11-23T11:30:00+08:00"))
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS
    assert case.first_response_due == at("2026-11-23T14:00:00+08:00")
    services.case_reply(actor=senior, case=case, body="fixed", now=at("2026-11-23T11:40:00+08:00"))
    case.refresh_from_db()
    assert case.sla_state == "met" and case.first_response_due is None
    assert case.first_responded_at == at("2026-11-23T11:40:00+08:00")


def test_lifecycle_writes_one_audit_entry_per_transition(staff):
    tenant, user, systems = customer("tencent", "s2")
    expert = staff["expert"]
    t = at("2026-11-23T10:00:00+08:00")
    case = open_case(user, tenant, "tencent", "business_abnormal", systems["production"], now=t)
    services.case_reply(actor=expert, case=case, body="Looking", now=t + minutes(5))
    services.case_add_note(actor=expert, case=case, body="db host 10.0.0.3", now=t + minutes(6))
    services.case_wait_on_customer(actor=expert, case=case, now=t + minutes(7))
    services.case_reply(actor=user, case=case, body="logs attached", now=t + minutes(20))
    services.case_resolve(actor=expert, case=case, now=t + minutes(30), summary="index added")
    services.case_reopen(actor=user, case=case, now=t + minutes(40), reason="slow again")
    services.case_resolve(actor=expert, case=case, now=t + minutes(50))
    services.case_close(actor=user, case=case, now=t + minutes(60))
    services.case_rate(actor=user, case=case, score=5, comment="quick", now=t + minutes(61))
    assert actions(case) == [
        "case.opened",
        "case.replied",
        "case.note_added",
        "case.waiting_on_customer",
        "case.customer_replied",
        "case.resolved",
        "case.reopened",
        "case.resolved",
        "case.closed",
        "case.rated",
    ]
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.rating.score == 5
    # Customers never see internal notes.
    kinds = [c.kind for c in selectors.thread_of(case, user)]
    assert CommunicationKind.INTERNAL_NOTE not in kinds
    assert CommunicationKind.INTERNAL_NOTE in [c.kind for c in selectors.thread_of(case, expert)]
    err = refusal(services.case_rate, actor=user, case=case, score=4, now=t + minutes(62))
    assert err.code == "case.already_rated"
    err = refusal(services.case_reopen, actor=user, case=case, now=t + minutes(63))
    assert err.code == "case.closed_cannot_reopen"


def test_customer_cannot_add_internal_notes_or_wait(staff):
    tenant, user, systems = customer("partner", "basic")
    case = open_case(user, tenant, "partner", "general_guidance")
    assert (
        refusal(services.case_add_note, actor=user, case=case, body="x", now=case.created_at).code
        == "case.staff_only"
    )
    assert (
        refusal(services.case_wait_on_customer, actor=user, case=case, now=case.created_at).code
        == "case.staff_only"
    )


@pytest.mark.parametrize("score", [0, 6])
def test_rating_is_one_to_five_by_the_requester(staff, score):
    tenant, user, systems = customer("partner", "basic")
    colleague = make_user(Role.CUSTOMER_MEMBER, tenant=tenant)
    case = open_case(user, tenant, "partner", "general_guidance")
    assert (
        refusal(services.case_rate, actor=user, case=case, score=5, now=case.created_at).code
        == "case.rating_not_resolved"
    )
    services.case_resolve(actor=user, case=case, now=case.created_at + minutes(1))
    assert (
        refusal(
            services.case_rate, actor=user, case=case, score=score, now=case.created_at + minutes(2)
        ).code
        == "case.rating_invalid"
    )
    assert (
        refusal(
            services.case_rate,
            actor=colleague,
            case=case,
            score=4,
            now=case.created_at + minutes(2),
        ).code
        == "case.rating_requester_only"
    )


def test_quiet_period_closes_resolved_cases_once(staff):
    tenant, user, systems = customer("partner", "basic")
    case = open_case(user, tenant, "partner", "general_guidance")
    resolved = at("2026-11-23T11:00:00+08:00")
    services.case_resolve(actor=staff["engineer"], case=case, now=resolved)
    assert services.close_quiet_cases(as_of=resolved + services.quiet_period() - minutes(1)) == []
    closes = resolved + services.quiet_period()
    assert services.close_quiet_cases(as_of=closes) == [case.pk]
    assert services.close_quiet_cases(as_of=closes + minutes(5)) == []
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.closed_at == closes
    entry = AuditEntry.objects.get(action="case.closed", target_id=str(case.pk))
    assert entry.data["automatic"] is True and entry.actor is None


# --------------------------------------------------------------------------- hotline and scope


def test_hotline_calls_are_logged_by_staff(staff):
    tenant, user, systems = customer("partner", "basic")
    engineer = staff["engineer"]
    case = services.case_log_call(
        actor=engineer, tenant=tenant, requester=user, channel="hotline",
        severity="production_down", subject="Called in", description="Shop down",
        system=systems["production"], provider="partner", now=at("2026-11-23T10:00:00+08:00"),
    )  # fmt: skip
    assert case.channel == "hotline" and case.logged_by_id == engineer.pk
    assert case.requester_id == user.pk
    assert case.first_response_due == at("2026-11-23T10:30:00+08:00")
    err = refusal(
        services.case_log_call, actor=engineer, tenant=tenant, requester=None, channel="hotline",
        severity="general_guidance", subject="x", description="y", provider="partner",
        now=at("2026-11-23T10:00:00+08:00"),
    )  # fmt: skip
    assert err.code == "case.requester_required"


def test_out_of_scope_software_is_flagged_and_best_effort_recorded(staff):
    tenant, user, systems = customer("tencent", "s3")
    case = open_case(
        user, tenant, "tencent", "usage_question",
        software_name="OpenVPN", software_version="2.3", software_platform="linux",
    )  # fmt: skip
    assert case.out_of_scope is True
    assert case.out_of_scope_code == "software_not_in_catalog"
    assert case.out_of_scope_where["en"].startswith("Please ask the software provider")
    assert case.software_code == "openvpn"
    engineer = staff["engineer"]
    services.case_decide_best_effort(
        actor=engineer, case=case, help=True, note="known fix", now=case.created_at + minutes(3)
    )
    case.refresh_from_db()
    assert case.best_effort is True and case.best_effort_by_id == engineer.pk
    entry = AuditEntry.objects.get(action="case.best_effort_decided")
    assert entry.data["help"] is True


def test_same_software_is_in_scope_for_the_partner(staff):
    tenant, user, systems = customer("partner", "basic")
    case = open_case(
        user, tenant, "partner", "general_guidance",
        software_name="OpenVPN", software_version="2.3", software_platform="linux",
    )  # fmt: skip
    assert case.out_of_scope is False and case.software_code == "openvpn"


# --------------------------------------------------------------------------- routing


def test_assignment_balances_open_load_among_on_shift_staff():
    tenant, user, systems = customer("partner", "basic")
    a = make_user(Role.ENGINEER)
    b = make_user(Role.ENGINEER)
    off = make_user(Role.ENGINEER)
    off.on_shift = False
    off.save(update_fields=["on_shift"])
    got = [open_case(user, tenant, "partner", "general_guidance").assignee_id for _ in range(4)]
    assert got == [a.pk, b.pk, a.pk, b.pk]


def test_higher_tier_may_take_lower_tier_cases_never_the_reverse(staff):
    tenant, user, systems = customer("partner", "vip")
    vip_case = open_case(user, tenant, "partner", "general_guidance")
    err = refusal(
        services.case_take, actor=staff["engineer"], case=vip_case, now=vip_case.created_at
    )
    assert err.code in ("not_found", "case.tier_too_low")
    basic_tenant, basic_user, _s = customer("partner", "basic")
    basic_case = open_case(basic_user, basic_tenant, "partner", "general_guidance")
    services.case_take(actor=staff["senior"], case=basic_case, now=basic_case.created_at)
    basic_case.refresh_from_db()
    assert basic_case.assignee_id == staff["senior"].pk
    err = refusal(
        services.case_assign, actor=staff["manager"], case=vip_case, assignee=staff["expert"],
        now=vip_case.created_at,
    )  # fmt: skip
    assert err.code == "case.tier_too_low"


def test_queue_is_ordered_by_due_time_and_respects_tiers(staff):
    tenant, user, systems = customer("partner", "basic")
    vip_tenant, vip_user, vip_systems = customer("partner", "vip", tam=staff["tam"])
    t = at("2026-11-23T10:00:00+08:00")
    slow = open_case(user, tenant, "partner", "general_guidance", now=t)
    fast = open_case(user, tenant, "partner", "production_down", systems["production"], now=t)
    vip = open_case(
        vip_user, vip_tenant, "partner", "core_production_down", vip_systems["core_production"],
        now=t,
    )  # fmt: skip
    assert [c.pk for c in selectors.agent_queue(staff["engineer"])] == [fast.pk, slow.pk]
    assert [c.pk for c in selectors.agent_queue(staff["senior"])] == [vip.pk, fast.pk, slow.pk]
    assert [c.pk for c in selectors.agent_queue(staff["tam"])] == [vip.pk, fast.pk, slow.pk]


# --------------------------------------------------------------------------- warnings and breaches


def test_warning_and_breach_fire_exactly_once_and_escalate(staff):
    tenant, user, systems = customer("partner", "basic")
    t = at("2026-11-23T10:00:00+08:00")
    case = open_case(user, tenant, "partner", "production_down", systems["production"], now=t)
    # 30 min target: warnings at 75 % (10:22:30) and 5 min before (10:25); the first counts.
    assert case.warn_at == at("2026-11-23T10:22:30+08:00")
    assert sweep.case_sla_sweep(as_of=t + minutes(22)).warned == []
    first = sweep.case_sla_sweep(as_of=t + minutes(23))
    assert first.warned == [case.pk] and first.breached == []
    assert sweep.case_sla_sweep(as_of=t + minutes(29)).warned == []
    breach = sweep.case_sla_sweep(as_of=t + minutes(30))
    assert breach.breached == [case.pk]
    assert sweep.case_sla_sweep(as_of=t + minutes(45)).breached == []
    case.refresh_from_db()
    assert case.sla_warned and case.sla_breached and case.sla_state == "breached"
    assert case.queue == "expert" and case.escalation_level == 1
    assert case.assignee_id == staff["expert"].pk
    assert actions(case).count("case.sla.warning") == 1
    assert actions(case).count("case.sla.breached") == 1
    escalated = AuditEntry.objects.get(action="case.escalated", target_id=str(case.pk))
    assert escalated.data["from_queue"] == "engineer" and escalated.data["to_queue"] == "expert"
    assert escalated.data["support_manager_ids"] == [staff["manager"].pk]
    warning = AuditEntry.objects.get(action="case.sla.warning", target_id=str(case.pk))
    assert staff["engineer"].pk in warning.data["notify"]
    assert staff["manager"].pk in warning.data["queue_lead_ids"]


def test_a_late_first_reply_records_the_breach_once(staff):
    tenant, user, systems = customer("partner", "basic")
    t = at("2026-11-23T10:00:00+08:00")
    case = open_case(user, tenant, "partner", "production_down", systems["production"], now=t)
    services.case_reply(actor=staff["engineer"], case=case, body="sorry", now=t + minutes(31))
    case.refresh_from_db()
    assert case.sla_breached and case.sla_state == "breached"
    assert sweep.case_sla_sweep(as_of=t + minutes(40)).breached == []
    assert actions(case).count("case.sla.breached") == 1
    assert case.queue == "engineer"  # answered: no escalation


def test_met_case_never_warns(staff):
    tenant, user, systems = customer("partner", "basic")
    t = at("2026-11-23T10:00:00+08:00")
    case = open_case(user, tenant, "partner", "production_down", systems["production"], now=t)
    services.case_reply(actor=staff["engineer"], case=case, body="on it", now=t + minutes(5))
    result = sweep.case_sla_sweep(as_of=t + minutes(60))
    assert result.warned == [] and result.breached == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_fire_each_warning_and_breach_once(staff):
    load_catalogs()
    tenant, user, systems = customer("partner", "basic")
    t = at("2026-11-23T10:00:00+08:00")
    cases = [
        open_case(user, tenant, "partner", "production_down", systems["production"], now=t)
        for _ in range(40)
    ]
    results = race(lambda i: sweep.case_sla_sweep(as_of=t + minutes(31), batch=7), threads=4)
    warned = sorted(pk for r in results for pk in r.warned)
    breached = sorted(pk for r in results for pk in r.breached)
    ids = sorted(c.pk for c in cases)
    assert warned == ids and breached == ids
    assert AuditEntry.objects.filter(action="case.sla.warning").count() == 40
    assert AuditEntry.objects.filter(action="case.sla.breached").count() == 40
    assert AuditEntry.objects.filter(action="case.escalated").count() == 40
