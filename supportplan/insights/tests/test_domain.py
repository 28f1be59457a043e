"""The plan advisor and the staffing planner as tables: no database, real catalogs (the
shipped partner catalog) and the built-in calendars."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportplan.calendars.builtins import builtin_5x8, builtin_7x24
from supportplan.catalog.files import read_catalog_file
from supportplan.insights import domain
from supportplan.insights.domain import CaseFact, ServiceUse, TenantHistory

SH = ZoneInfo("Asia/Shanghai")
CATALOG = read_catalog_file(Path(__file__).resolve().parents[3] / "catalogs" / "partner.yaml")[1]
CALS = {"7x24": builtin_7x24(), "5x8": builtin_5x8()}
START = datetime(2026, 11, 2, tzinfo=SH)  # a Monday, no holiday in the fortnight
END = datetime(2026, 11, 16, tzinfo=SH)
AS_OF = END


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def case(created, severity, minutes, channel="ticket", system="production") -> CaseFact:
    reply = created + timedelta(minutes=minutes) if minutes is not None else None
    return CaseFact(created, severity, channel, system, reply)


def advise(current: str | None, cases, escorts=(), services=()):
    history = TenantHistory(START, END, tuple(cases), tuple(escorts), tuple(services))
    return domain.advise(
        CATALOG,
        CATALOG.plan(current) if current else None,
        history,
        calendars=CALS.__getitem__,
        business_hours=CALS["5x8"],
        as_of=AS_OF,
    )


NIGHT_CORE = [
    case(at(3, 23), "core_production_down", 5, system="core_production"),
    case(at(4, 2), "core_production_down", 5, system="core_production"),
    case(at(4, 10), "production_down", 40),
    case(at(2, 10), "general_guidance", 120, channel="im_group"),
]


def test_a_dedicated_tenant_with_night_outages_keeps_its_plan():
    advice = advise("dedicated", NIGHT_CORE)
    assert (advice.verdict, advice.plan.code) == ("stay", "dedicated")
    basic = advice.replay_of("basic")
    assert [(r.code, r.cases, r.outside_hours) for r in basic.refused_severities] == [
        ("core_production_down", 2, 2)
    ]
    assert [(r.code, r.cases) for r in basic.refused_channels] == [("im_group", 1)]
    # Basic keeps only the production-down case: answered in 40 min against 30 min.
    assert (basic.offered, basic.met, basic.missed, basic.price_difference) == (
        1,
        0,
        1,
        Decimal(-25520),
    )
    dedicated = advice.replay_of("dedicated")
    assert (dedicated.current, dedicated.offered, dedicated.met, dedicated.missed) == (
        True,
        4,
        3,
        1,
    )
    assert advice.headline("en") == "Keep Dedicated."
    assert advice.evidence("en") == [
        "Your plan Dedicated fits how you used support.",
        "2 of your 4 cases were “Core production system down” (2 of them outside business "
        "hours); Basic does not offer that severity.",
        "1 of your 4 cases came through “IM enterprise group”; Basic does not include that "
        "channel.",
        "Basic costs 25,520 CNY less per month.",
        "Under Dedicated, 3 of 4 first responses would have met the target.",
    ]
    zh = advice.evidence("zh-hans")
    assert zh[1] == (
        "您的 4 个工单中有 2 个是“核心生产系统不可用”（其中 2 个在工作时间以外）；"
        "基础级不提供该严重性。"
    )
    assert advice.headline("zh-hans") == "保留专属级。"


def test_guidance_only_on_dedicated_is_advised_to_downgrade():
    cases = [case(at(d, 11), "general_guidance", 60) for d in (2, 3, 4, 5, 6)]
    advice = advise("dedicated", cases)
    assert (advice.verdict, advice.plan.code) == ("downgrade", "basic")
    assert advice.evidence("en") == [
        "Basic includes every severity and channel your 5 cases used.",
        "Under Basic, 5 of 5 first responses would have met the target.",
        "Under Dedicated, 5 of 5 first responses would have met the target.",
        "Basic costs 25,520 CNY less per month.",
    ]


def test_core_outages_filed_as_production_down_on_basic_advise_upgrading():
    cases = [case(at(d, 20), "production_down", 20, system="core_production") for d in (2, 3, 4)]
    advice = advise("basic", cases)
    assert (advice.verdict, advice.plan.code) == ("upgrade", "dedicated")
    assert advice.evidence("en") == [
        "3 of your cases were production outages on core production systems; Dedicated offers "
        "“Core production system down” with a first response within 10 min.",
        "Dedicated costs 25,520 CNY more per month.",
    ]
    # two such cases are not enough evidence
    two = advise("basic", cases[:2])
    assert (two.verdict, two.plan.code) == ("stay", "basic")
    assert two.evidence("en")[1] == "No cheaper plan of iSoftStone covers what you used."


def test_escort_days_shorten_the_urgent_target_only_where_the_plan_has_escorts():
    # production down opened during a booked escort, answered after 15 minutes: Dedicated's
    # escort promises 10 min (the SLA engine's escort rule), Basic has no escort: 30 min.
    escort = (at(5, 0), at(6, 0))
    cases = [case(at(5, 14), "production_down", 15)]
    advice = advise("dedicated", cases, escorts=[escort])
    assert (advice.replay_of("dedicated").met, advice.replay_of("dedicated").missed) == (0, 1)
    assert (advice.replay_of("basic").met, advice.replay_of("basic").missed) == (1, 0)
    without = advise("dedicated", cases)
    assert without.replay_of("dedicated").met == 1


@pytest.mark.parametrize(
    ("minutes", "met"),
    [(9, 1), (10, 0), (None, 0)],  # a reply at exactly the due time is late; none is missed
)
def test_met_is_strictly_before_the_due_time(minutes, met):
    cases = [case(at(3, 12), "core_production_down", minutes, system="core_production")]
    replay = advise("vip", cases).replay_of("vip")
    assert (replay.met, replay.missed) == (met, 1 - met)


def test_the_im_group_target_runs_on_its_5x8_calendar():
    # Friday 17:30 general guidance in the IM group, answered Monday 10:00: 16 business hours
    # have not passed (0.5 h Friday + 1 h Monday), so it is on time; on a ticket (7x24) it
    # would be late.
    im = [case(at(6, 17, 30), "general_guidance", 60 * 64 + 30, channel="im_group")]
    assert advise("dedicated", im).replay_of("dedicated").met == 1
    ticket = [case(at(6, 17, 30), "general_guidance", 60 * 64 + 30)]
    assert advise("dedicated", ticket).replay_of("dedicated").met == 0


def test_more_escort_days_than_the_quota_advise_vip():
    cases = [case(at(3, 11), "general_guidance", 30)]
    advice = advise("dedicated", cases, services=[ServiceUse("escort", 2)])
    assert (advice.verdict, advice.plan.code) == ("upgrade", "vip")
    assert advice.evidence("en") == [
        "You used Escort service (basic) 2 times; Dedicated includes 1 per year.",
        "VIP costs 24,000 CNY more per month.",
    ]
    vip = advice.replay_of("vip")
    assert [(s.service, s.quota, s.used) for s in vip.services] == [
        ("availability_check", 1, 0),
        ("monitoring_optimisation", 1, 0),
        ("escort", 3, 2),
    ]


def test_no_cases_no_verdict_and_no_plan_picks_the_cheapest_that_fits():
    nothing = advise("vip", [])
    assert nothing.verdict == "nothing"
    assert nothing.evidence("en") == [
        "You opened no cases between 2026-11-02 and 2026-11-15: there is nothing to replay."
    ]
    choice = advise(None, NIGHT_CORE)
    assert (choice.verdict, choice.plan.code) == ("choose", "dedicated")


# --------------------------------------------------------------------------- staffing


def staffing(arrivals, roster, goal=0.8, aht=180, patience=120):
    return domain.plan_staffing(
        domain.StaffingInput(
            arrivals=tuple(arrivals),
            start=START,
            end=START + timedelta(days=7),
            tiers=("engineer", "expert"),
            roster=roster,
            telephone_channels=frozenset({"hotline"}),
            aht_seconds=aht,
            patience_seconds=patience,
            goal=goal,
        )
    )


def burst(n, channel="ticket", target=20, tier="engineer", day=2, hour=10):
    return [
        domain.Arrival(at(day, hour) + timedelta(seconds=i * 3600 // n), tier, channel, target)
        for i in range(n)
    ]


def test_erlang_c_cell_matches_the_published_example():
    # 200 contacts an hour of 180 s (10 Erlangs), 80 % within 20 s: 14 agents (Erlang C table)
    plan = staffing(burst(200), {"engineer": 12})
    cell = plan.grid("engineer")[0][10]
    assert (cell.arrivals_per_hour, cell.needed, cell.rostered, cell.gap, cell.level) == (
        200.0,
        14,
        12,
        -2,
        "short",
    )
    assert cell.method == "erlang_c"
    quiet = plan.grid("engineer")[0][11]
    assert (quiet.needed, quiet.level) == (0, "idle")
    assert plan.short_hours("engineer") == 1 and plan.short_hours("expert") == 0
    assert len(plan.cells) == 2 * 7 * 24


def test_the_hotline_is_planned_with_erlang_a():
    # Callers who hang up after 2 minutes on average leave the queue: 12 agents reach 80 %
    # where Erlang C, with everybody waiting for ever, needs 14.
    cell = staffing(burst(200, channel="hotline"), {"engineer": 12}).grid("engineer")[0][10]
    assert (cell.needed, cell.method, cell.level) == (12, "erlang_a", "tight")


def test_mixed_targets_are_each_measured_against_their_own():
    mixed = burst(100, target=20) + burst(100, target=3600)
    cell = staffing(mixed, {"engineer": 20}).grid("engineer")[0][10]
    assert cell.needed == 12  # half the contacts have an hour: 12 agents reach 80 % overall
    assert domain.staffing_rows(staffing(mixed, {}))[10] == {
        "tier": "engineer",
        "day": "mon",
        "hour": 10,
        "arrivals_per_hour": 200.0,
        "needed": 12,
        "rostered": 0,
        "gap": -12,
        "method": "erlang_c",
    }


@pytest.mark.parametrize(
    ("goal", "aht", "patience"), [(0, 180, 60), (1, 180, 60), (0.8, 0, 60), (0.8, 180, 0)]
)
def test_staffing_refuses_nonsense(goal, aht, patience):
    with pytest.raises(ValueError):
        staffing([], {}, goal=goal, aht=aht, patience=patience)
