"""SLA policies and timers: exact due times, states and pauses from event logs."""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportplan.calendars.builtins import builtin_5x8, builtin_7x24
from supportplan.catalog.files import read_catalog_file
from supportplan.core.errors import DomainError
from supportplan.sla.domain import (
    DEFAULT_RULES,
    CaseEvent,
    Escort,
    PolicyContext,
    TimerState,
    WarningConfig,
    escort_from_service,
    first_response_due,
    policy_from_catalog,
    replay,
    resolve_policy,
    uniform_first_response_rule,
)

SH = ZoneInfo("Asia/Shanghai")
CAL5 = builtin_5x8()
C24 = builtin_7x24()
CALS = {"5x8": CAL5, "7x24": C24}
ROOT = Path(__file__).resolve().parents[3]
PARTNER = read_catalog_file(ROOT / "catalogs" / "partner.yaml")[1]
TENCENT = read_catalog_file(ROOT / "catalogs" / "tencent.yaml")[1]


def sh(*a: int) -> datetime:
    return datetime(*a, tzinfo=SH)


def ev(kind: str, at: datetime, severity: str | None = None) -> CaseEvent:
    return CaseEvent(kind, at, severity)


def partner_policy(plan, channel, opened, escorts=()):
    return lambda severity: policy_from_catalog(
        PARTNER,
        plan=plan,
        severity=severity,
        channel=channel,
        opened_at=opened,
        calendars=CALS.__getitem__,
        escorts=escorts,
    )


# --------------------------------------------------------------------------- policy


DUE_CASES = [
    # (id, catalog, plan, severity, channel, opened, due, calendar, source)
    (
        "spec-cli-vip-core-ticket",
        PARTNER,
        "vip",
        "core_production_down",
        "ticket",
        sh(2026, 10, 1, 9),
        sh(2026, 10, 1, 9, 10),
        "7x24",
        "plan",
    ),
    (
        "basic-prod-down-hotline",
        PARTNER,
        "basic",
        "production_down",
        "hotline",
        sh(2026, 10, 1, 23, 50),
        sh(2026, 10, 2, 0, 20),
        "7x24",
        "plan",
    ),
    (
        "dedicated-im-5x8-national-day",
        PARTNER,
        "dedicated",
        "production_abnormal",
        "im_group",
        sh(2026, 9, 30, 17),
        sh(2026, 10, 8, 11),
        "5x8",
        "plan",
    ),
    (
        "vip-im-adjusted-saturday",
        PARTNER,
        "vip",
        "production_abnormal",
        "im_group",
        sh(2026, 10, 9, 17),
        sh(2026, 10, 10, 11),
        "5x8",
        "plan",
    ),
    (
        "vip-im-general-16h",
        PARTNER,
        "vip",
        "general_guidance",
        "im_group",
        sh(2026, 11, 23, 14),
        sh(2026, 11, 25, 12),
        "5x8",
        "plan",
    ),
    (
        "vip-im-core-10m-at-17:55",
        PARTNER,
        "vip",
        "core_production_down",
        "im_group",
        sh(2026, 11, 27, 17, 55),
        sh(2026, 11, 30, 9, 5),
        "5x8",
        "plan",
    ),
    (
        "s4-any-severity-2h",
        TENCENT,
        "s4",
        "business_down",
        "ticket",
        sh(2026, 10, 1, 9),
        sh(2026, 10, 1, 11),
        "7x24",
        "plan",
    ),
    (
        "s4-usage-2h",
        TENCENT,
        "s4",
        "usage_question",
        "hotline",
        sh(2026, 10, 1, 9),
        sh(2026, 10, 1, 11),
        "7x24",
        "plan",
    ),
    (
        "s3-business-down-30m",
        TENCENT,
        "s3",
        "business_down",
        "ticket",
        sh(2026, 10, 1, 9),
        sh(2026, 10, 1, 9, 30),
        "7x24",
        "plan",
    ),
    (
        "s1-im-15m-7x24",
        TENCENT,
        "s1",
        "business_down",
        "im_group",
        sh(2026, 10, 3, 3),
        sh(2026, 10, 3, 3, 15),
        "7x24",
        "plan",
    ),
]


@pytest.mark.parametrize(
    "catalog,plan,severity,channel,opened,due,calendar,source",
    [c[1:] for c in DUE_CASES],
    ids=[c[0] for c in DUE_CASES],
)
def test_first_response_due_from_catalog(
    catalog, plan, severity, channel, opened, due, calendar, source
):
    policy = policy_from_catalog(
        catalog,
        plan=plan,
        severity=severity,
        channel=channel,
        opened_at=opened,
        calendars=CALS.__getitem__,
    )
    assert policy.first_response.calendar.code == calendar
    assert policy.first_response.source == source
    r = first_response_due(policy, opened)
    assert r.value == due
    assert r.missing_years == ()


ESCORT = Escort(sh(2026, 11, 28), sh(2026, 11, 29), timedelta(minutes=10), C24)


@pytest.mark.parametrize(
    "severity,opened,escorts,due,source",
    [
        # urgent, during the escort day, on the 5x8 IM group: 10 min on 7x24
        ("core_production_down", sh(2026, 11, 28, 3), (ESCORT,), sh(2026, 11, 28, 3, 10), "escort"),
        ("production_down", sh(2026, 11, 28, 23, 59), (ESCORT,), sh(2026, 11, 29, 0, 9), "escort"),
        # the same case without an escort waits for Monday's service hours
        ("core_production_down", sh(2026, 11, 28, 3), (), sh(2026, 11, 30, 9, 10), "plan"),
        # the escort ends at midnight (half-open): plan rules again
        (
            "core_production_down",
            sh(2026, 11, 29, 0, 0),
            (ESCORT,),
            sh(2026, 11, 30, 9, 10),
            "plan",
        ),
        # not urgent: the plan's own target and calendar
        ("general_guidance", sh(2026, 11, 28, 3), (ESCORT,), sh(2026, 12, 1, 16), "plan"),
    ],
)
def test_escort_override(severity, opened, escorts, due, source):
    policy = partner_policy("vip", "im_group", opened, escorts)(severity)
    assert policy.first_response.source == source
    assert first_response_due(policy, opened).value == due


def test_escort_never_weakens_a_shorter_target():
    ctx = PolicyContext("p", "x", "sev", True, "ticket", sh(2026, 11, 28, 3), (ESCORT,))
    p = resolve_policy(ctx, first_response=timedelta(minutes=5), channel_calendar=C24)
    assert p.first_response.duration == timedelta(minutes=5)
    assert p.first_response.source == "escort"


def test_escort_from_catalog_service():
    e = escort_from_service(
        PARTNER.service("escort"), sh(2026, 11, 28), sh(2026, 11, 29), CALS.__getitem__
    )
    assert e is not None
    assert (e.urgent_first_response, e.calendar.code) == (timedelta(minutes=10), "7x24")
    assert (
        escort_from_service(
            TENCENT.service("expert_escort"), sh(2026, 11, 28), sh(2026, 11, 29), CALS.__getitem__
        )
        is None
    )


def test_uniform_first_response_hook_for_s4():
    rule = uniform_first_response_rule("tencent", "s4", timedelta(hours=2), "s4_accepted_within_2h")
    ctx = PolicyContext("tencent", "s4", "business_down", True, "ticket", sh(2026, 10, 1, 9))
    p = resolve_policy(
        ctx,
        first_response=timedelta(minutes=30),
        channel_calendar=C24,
        rules=(*DEFAULT_RULES, rule),
    )
    assert p.first_response.duration == timedelta(hours=2)
    assert p.first_response.source == "s4_accepted_within_2h"
    other = PolicyContext("tencent", "s3", "business_down", True, "ticket", sh(2026, 10, 1, 9))
    p3 = resolve_policy(
        other, first_response=timedelta(minutes=30), channel_calendar=C24, rules=(rule,)
    )
    assert p3.first_response.duration == timedelta(minutes=30)


def test_entitlement_errors_name_the_plans():
    with pytest.raises(DomainError) as e:
        partner_policy("basic", "ticket", sh(2026, 10, 1, 9))("core_production_down")
    assert e.value.code == "case.severity_not_in_plan"
    assert e.value.params["plans"] == "Dedicated, VIP (iSoftStone)"
    with pytest.raises(DomainError) as e:
        partner_policy("basic", "im_group", sh(2026, 10, 1, 9))("production_down")
    assert e.value.code == "case.channel_not_in_plan"
    assert e.value.params["plans"] == "Dedicated, VIP (iSoftStone)"
    with pytest.raises(DomainError) as e:
        partner_policy("gold", "ticket", sh(2026, 10, 1, 9))("production_down")
    assert e.value.code == "sla.unknown_plan"
    assert e.value.params["known"] == "basic, dedicated, vip"


def test_target_must_be_positive():
    ctx = PolicyContext("p", "x", "sev", False, "ticket", sh(2026, 10, 1, 9))
    with pytest.raises(DomainError) as e:
        resolve_policy(ctx, first_response=timedelta(0), channel_calendar=C24)
    assert e.value.code == "sla.target_invalid"


# --------------------------------------------------------------------------- timers


def test_reply_one_second_before_due_is_met_at_due_is_breached():
    opened = sh(2026, 10, 1, 9)
    pol = partner_policy("vip", "ticket", opened)
    base = [ev("created", opened, "core_production_down")]
    met = replay(
        [*base, ev("first_staff_response", sh(2026, 10, 1, 9, 9, 59))],
        pol,
        as_of=sh(2026, 10, 1, 12),
    )
    fr = met.first_response
    assert (fr.state, fr.due_at, fr.consumed, fr.breached_at) == (
        TimerState.MET,
        sh(2026, 10, 1, 9, 10),
        timedelta(minutes=9, seconds=59),
        None,
    )
    late = replay(
        [*base, ev("first_staff_response", sh(2026, 10, 1, 9, 10))], pol, as_of=sh(2026, 10, 1, 12)
    )
    assert late.first_response.state is TimerState.BREACHED
    assert late.first_response.breached_at == sh(2026, 10, 1, 9, 10)
    assert late.first_response.stopped_at == sh(2026, 10, 1, 9, 10)


def test_running_then_breached_without_reply():
    opened = sh(2026, 10, 1, 9)
    pol = partner_policy("vip", "ticket", opened)
    log = [ev("created", opened, "core_production_down")]
    running = replay(log, pol, as_of=sh(2026, 10, 1, 9, 9, 59)).first_response
    assert (running.state, running.due_at, running.remaining) == (
        TimerState.RUNNING,
        sh(2026, 10, 1, 9, 10),
        timedelta(seconds=1),
    )
    breached = replay(log, pol, as_of=sh(2026, 10, 1, 9, 10)).first_response
    assert (breached.state, breached.breached_at, breached.remaining) == (
        TimerState.BREACHED,
        sh(2026, 10, 1, 9, 10),
        timedelta(0),
    )


def test_waiting_on_customer_pauses_across_nights_5x8():
    # VIP IM group (5x8), general guidance 16 h, opened Mon 2026-11-23 10:00.
    opened = sh(2026, 11, 23, 10)
    pol = partner_policy("vip", "im_group", opened)
    log = [
        ev("created", opened, "general_guidance"),
        ev("waiting_on_customer", sh(2026, 11, 23, 12)),  # 2 h consumed
        ev("customer_replied", sh(2026, 11, 25, 15)),  # 14 h left: Wed 3 h, Thu 9 h, Fri 2 h
    ]
    paused = replay(log, pol, as_of=sh(2026, 11, 24, 10)).first_response
    assert paused.state is TimerState.PAUSED
    assert paused.due_at is None
    assert (paused.consumed, paused.remaining) == (timedelta(hours=2), timedelta(hours=14))
    assert [(p.start, p.end, p.reason) for p in paused.paused] == [
        (sh(2026, 11, 23, 12), None, "waiting_on_customer")
    ]
    running = replay(log, pol, as_of=sh(2026, 11, 25, 16)).first_response
    assert running.state is TimerState.RUNNING
    assert running.due_at == sh(2026, 11, 27, 11)
    assert running.consumed == timedelta(hours=3)
    assert [(p.start, p.end) for p in running.paused] == [
        (sh(2026, 11, 23, 12), sh(2026, 11, 25, 15))
    ]


def test_pause_across_national_day():
    # Dedicated IM group (5x8), system abnormal 8 h, opened Wed 2026-09-30 17:00.
    opened = sh(2026, 9, 30, 17)
    pol = partner_policy("dedicated", "im_group", opened)
    log = [
        ev("created", opened, "system_abnormal"),
        ev("waiting_on_customer", sh(2026, 9, 30, 17, 30)),
        ev("customer_replied", sh(2026, 10, 3, 10)),  # a holiday: nothing runs until Oct 8
        ev("first_staff_response", sh(2026, 10, 8, 16, 29, 59)),
    ]
    fr = replay(log, pol, as_of=sh(2026, 10, 9, 9)).first_response
    assert fr.state is TimerState.MET
    assert fr.due_at == sh(2026, 10, 8, 16, 30)
    assert fr.consumed == timedelta(hours=7, minutes=59, seconds=59)


def test_severity_change_recomputes_from_creation():
    # Basic ticket (7x24): general guidance 16 h, raised to production down (30 min).
    opened = sh(2026, 10, 1, 9)
    pol = partner_policy("basic", "ticket", opened)
    early = [
        ev("created", opened, "general_guidance"),
        ev("severity_changed", sh(2026, 10, 1, 9, 20), "production_down"),
    ]
    r = replay(early, pol, as_of=sh(2026, 10, 1, 9, 25))
    assert r.severity == "production_down"
    assert (r.first_response.state, r.first_response.due_at) == (
        TimerState.RUNNING,
        sh(2026, 10, 1, 9, 30),
    )
    # Before the change the old target applied:
    before = replay(early, pol, as_of=sh(2026, 10, 1, 9, 19))
    assert before.first_response.due_at == sh(2026, 10, 2, 1, 0)
    late = [
        ev("created", opened, "general_guidance"),
        ev("severity_changed", sh(2026, 10, 1, 9, 40), "production_down"),
    ]
    r = replay(late, pol, as_of=sh(2026, 10, 1, 9, 41))
    assert r.first_response.state is TimerState.BREACHED
    assert r.first_response.breached_at == sh(2026, 10, 1, 9, 30)
    # lowering the severity gives more time, still counted from creation
    lowered = [
        ev("created", opened, "production_down"),
        ev("severity_changed", sh(2026, 10, 1, 9, 10), "system_abnormal"),
    ]
    assert replay(lowered, pol, as_of=sh(2026, 10, 1, 10)).first_response.due_at == sh(
        2026, 10, 1, 17
    )


def test_severity_change_to_urgent_during_escort_uses_escort_target():
    opened = sh(2026, 11, 28, 3)
    pol = partner_policy("vip", "im_group", opened, (ESCORT,))
    log = [
        ev("created", opened, "general_guidance"),
        ev("severity_changed", sh(2026, 11, 28, 3, 5), "core_production_down"),
    ]
    fr = replay(log, pol, as_of=sh(2026, 11, 28, 3, 6)).first_response
    assert (fr.due_at, fr.calendar, fr.source) == (sh(2026, 11, 28, 3, 10), "7x24", "escort")


def test_resolved_without_reply_stops_and_reopen_resumes():
    opened = sh(2026, 10, 1, 9)
    pol = partner_policy("basic", "ticket", opened)
    log = [ev("created", opened, "production_down"), ev("resolved", sh(2026, 10, 1, 9, 10))]
    fr = replay(log, pol, as_of=sh(2026, 10, 1, 12)).first_response
    assert (fr.state, fr.stopped_at, fr.consumed) == (
        TimerState.STOPPED,
        sh(2026, 10, 1, 9, 10),
        timedelta(minutes=10),
    )
    reopened = [*log, ev("reopened", sh(2026, 10, 1, 11))]
    fr = replay(reopened, pol, as_of=sh(2026, 10, 1, 11, 5)).first_response
    assert (fr.state, fr.due_at) == (TimerState.RUNNING, sh(2026, 10, 1, 11, 20))
    assert [(p.start, p.end, p.reason) for p in fr.paused] == [
        (sh(2026, 10, 1, 9, 10), sh(2026, 10, 1, 11), "resolved")
    ]


def _with_targets(resolution, next_response, cal=C24):
    def policy_for(severity):
        ctx = PolicyContext("p", "x", severity, False, "ticket", sh(2026, 10, 1, 9))
        return resolve_policy(
            ctx,
            first_response=timedelta(minutes=30),
            resolution=resolution,
            next_response=next_response,
            channel_calendar=cal,
        )

    return policy_for


def test_resolution_and_next_response_targets():
    pol = _with_targets(timedelta(hours=24), timedelta(hours=4))
    log = [
        ev("created", sh(2026, 10, 1, 9), "s"),
        ev("first_staff_response", sh(2026, 10, 1, 9, 5)),
        ev("customer_replied", sh(2026, 10, 1, 10)),  # cycle 1 due 14:00
        ev("customer_replied", sh(2026, 10, 1, 11)),  # same cycle
        ev("staff_replied", sh(2026, 10, 1, 13)),  # met
        ev("customer_replied", sh(2026, 10, 1, 15)),  # cycle 2 due 19:00
        ev("resolved", sh(2026, 10, 2, 8)),  # resolution consumed 23 h: met
        ev("reopened", sh(2026, 10, 2, 10)),  # 1 h left -> due 11:00
    ]
    at_resolve = replay(log, pol, as_of=sh(2026, 10, 2, 9))
    assert at_resolve.resolution.state is TimerState.MET
    assert at_resolve.resolution.consumed == timedelta(hours=23)
    cycles = at_resolve.next_response_cycles
    assert [(c.started_at, c.state, c.due_at) for c in cycles] == [
        (sh(2026, 10, 1, 10), TimerState.MET, sh(2026, 10, 1, 14)),
        (sh(2026, 10, 1, 15), TimerState.BREACHED, sh(2026, 10, 1, 19)),
    ]
    assert at_resolve.next_response == cycles[-1]
    after = replay(log, pol, as_of=sh(2026, 10, 2, 12))
    res = after.resolution
    assert (res.state, res.breached_at, res.consumed) == (
        TimerState.BREACHED,
        sh(2026, 10, 2, 11),
        timedelta(hours=25),
    )
    assert [(p.start, p.end, p.reason) for p in res.paused] == [
        (sh(2026, 10, 2, 8), sh(2026, 10, 2, 10), "resolved")
    ]


def test_no_optional_targets_in_seed_catalogs():
    opened = sh(2026, 10, 1, 9)
    r = replay(
        [ev("created", opened, "production_down")],
        partner_policy("vip", "ticket", opened),
        as_of=opened,
    )
    assert (r.resolution, r.next_response) == (None, None)


def test_warning_points_percentage_and_before():
    # VIP IM group (5x8), general guidance 16 h, opened Mon 2026-11-23 09:00.
    opened = sh(2026, 11, 23, 9)
    pol = partner_policy("vip", "im_group", opened)
    log = [ev("created", opened, "general_guidance")]
    fr = replay(log, pol, as_of=sh(2026, 11, 24, 13)).first_response
    assert fr.due_at == sh(2026, 11, 24, 16)
    assert [(w.code, w.at, w.reached) for w in fr.warnings] == [
        ("75%", sh(2026, 11, 24, 12), True),  # 12 h of 16
        ("before:300s", sh(2026, 11, 24, 15, 55), False),
    ]
    config = WarningConfig(percentages=(50, 90), before=(timedelta(hours=1), timedelta(hours=10)))
    fr = replay(log, pol, as_of=sh(2026, 11, 23, 10), warnings=config).first_response
    assert [(w.code, w.at) for w in fr.warnings] == [
        ("50%", sh(2026, 11, 23, 17)),  # 8 h
        ("90%", sh(2026, 11, 24, 14, 24)),  # 14 h 24 min
        ("before:3600s", sh(2026, 11, 24, 15)),
        ("before:36000s", sh(2026, 11, 23, 15)),  # 6 h
    ]
    # paused before reaching the warning: not known yet
    paused = replay(
        [*log, ev("waiting_on_customer", sh(2026, 11, 23, 10))], pol, as_of=sh(2026, 11, 23, 11)
    ).first_response
    assert [w.at for w in paused.warnings] == [None, None]
    with pytest.raises(DomainError):
        WarningConfig(percentages=(100,))


def test_replay_is_deterministic_and_order_independent():
    opened = sh(2026, 11, 23, 10)
    pol = partner_policy("vip", "im_group", opened)
    log = [
        ev("created", opened, "production_abnormal"),
        ev("waiting_on_customer", sh(2026, 11, 23, 11)),
        ev("customer_replied", sh(2026, 11, 24, 10)),
        ev("severity_changed", sh(2026, 11, 24, 10, 30), "system_abnormal"),
        ev("first_staff_response", sh(2026, 11, 24, 15)),
    ]
    a = replay(log, pol, as_of=sh(2026, 11, 25, 9))
    shuffled = log[:]
    random.Random(7).shuffle(shuffled)
    b = replay(shuffled, pol, as_of=sh(2026, 11, 25, 9))
    assert a == b
    assert a.first_response.state is TimerState.MET
    assert a.first_response.due_at == sh(2026, 11, 24, 17)  # 8 h: 1 h Mon + 7 h Tue from 10:00


def test_missing_holiday_data_flagged_on_timers():
    opened = sh(2026, 12, 31, 17)
    pol = partner_policy("vip", "im_group", opened)
    fr = replay([ev("created", opened, "production_abnormal")], pol, as_of=opened).first_response
    assert fr.due_at == sh(2027, 1, 1, 11)
    assert fr.missing_years == (2027,)


@pytest.mark.parametrize(
    "log,code",
    [
        ([], "sla.log_invalid"),
        ([CaseEvent("waiting_on_customer", datetime(2026, 10, 1, tzinfo=UTC))], "sla.log_invalid"),
        (
            [CaseEvent("created", datetime(2026, 10, 1, tzinfo=UTC), "production_down")] * 2,
            "sla.log_invalid",
        ),
        ([CaseEvent("created", datetime(2026, 10, 1), "production_down")], "sla.log_invalid"),
        ([CaseEvent("exploded", datetime(2026, 10, 1, tzinfo=UTC))], "sla.log_invalid"),
        ([CaseEvent("created", datetime(2026, 10, 1, tzinfo=UTC))], "sla.log_invalid"),
        (
            [CaseEvent("created", datetime(2026, 10, 3, tzinfo=UTC), "production_down")],
            "sla.as_of_before_creation",
        ),
    ],
)
def test_bad_logs_are_refused_clearly(log, code):
    pol = partner_policy("vip", "ticket", sh(2026, 10, 1, 9))
    with pytest.raises(DomainError) as e:
        replay(log, pol, as_of=datetime(2026, 10, 2, tzinfo=UTC))
    assert e.value.code == code
