"""Erlang C against the published worked example (10 Erlangs: 100 contacts per half hour of
180 s, target 20 s) and the edge cases; the operator command as typed."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportplan.insights.erlang import agents_needed, erlang_c, service_level

# agents -> (probability of waiting, share answered within 20 s)
PUBLISHED = {11: (0.6821, 0.3896), 12: (0.4494, 0.6402), 13: (0.2853, 0.7956), 14: (0.1741, 0.8884)}


@pytest.mark.parametrize("agents", sorted(PUBLISHED))
def test_erlang_c_matches_the_published_table(agents):
    wait, level = PUBLISHED[agents]
    assert round(erlang_c(10, agents), 4) == wait
    assert round(service_level(10, agents, 180, 20), 4) == level


@pytest.mark.parametrize(
    ("goal", "agents"), [(0.5, 12), (0.7, 13), (0.8, 14), (0.85, 14), (0.9, 15)]
)
def test_agents_needed_is_the_smallest_that_meets_the_goal(goal, agents):
    got = agents_needed(
        calls_per_hour=200, aht_seconds=180, target_seconds=20, service_level_goal=goal
    )
    assert got.agents == agents
    assert got.occupancy == pytest.approx(10 / agents)


def test_edges():
    assert erlang_c(5, 5) == 1.0 and service_level(5, 5, 180, 20) == 0.0
    assert agents_needed(calls_per_hour=0, aht_seconds=300, target_seconds=60,
                         service_level_goal=0.9).agents == 0  # fmt: skip
    capped = agents_needed(calls_per_hour=200, aht_seconds=180, target_seconds=20,
                           service_level_goal=0.5, max_occupancy=0.75)  # fmt: skip
    assert capped.agents == 14  # 12 meet 50 %, but 10/13 = 77 % is busier than allowed
    with pytest.raises(ValueError):
        agents_needed(calls_per_hour=10, aht_seconds=0, target_seconds=20, service_level_goal=0.8)


def test_the_operator_command_prints_json():
    out = StringIO()
    call_command(
        "staffing", "erlang", "--calls-per-hour", "200", "--aht-seconds", "180",
        "--target-seconds", "20", "--service-level", "80", "--json", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue()) == {
        "agents": 14,
        "service_level": 0.8884,
        "occupancy": 0.7143,
    }
    with pytest.raises(CommandError, match="share between 0 and 1"):
        call_command("staffing", "erlang", "--calls-per-hour", "1", "--aht-seconds", "1",
                     "--target-seconds", "1", "--service-level", "0")  # fmt: skip
