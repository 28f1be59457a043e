"""Several SLA sweeps at once on PostgreSQL (issue 14): breaches escalate and move open-case
counters between handlers; concurrent sweeps must neither deadlock nor fire anything twice,
and every counter must end equal to the handler's active cases."""

from __future__ import annotations

import pytest

from supportplan.accounts.models import Role, User
from supportplan.cases import sweep
from supportplan.cases.models import ACTIVE_STATE_VALUES, Case
from supportplan.core.models import AuditEntry
from supportplan.core.testing import race

from .factories import at, unanswered_backlog

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backlog(n: int) -> list[Case]:
    """`n` unanswered production-down cases spread by routing over three engineers; each
    breach escalates to the expert tier (three experts), so counters move both ways."""
    return unanswered_backlog(n, per_tier=3)


@pytest.mark.parametrize("workers", [2, 3])
def test_concurrent_sweeps_cannot_deadlock_and_fire_once(workers):
    cases = _backlog(60)
    as_of = at("2026-11-23T11:00:00+08:00")
    results = race(lambda i: sweep.case_sla_sweep(as_of=as_of, batch=4), threads=workers)
    ids = sorted(c.pk for c in cases)
    assert sorted(pk for r in results for pk in r.warned) == ids
    assert sorted(pk for r in results for pk in r.breached) == ids
    for action in ("case.sla.warning", "case.sla.breached", "case.escalated"):
        per_case = AuditEntry.objects.filter(action=action).values_list("target_id", flat=True)
        assert sorted(int(pk) for pk in per_case) == ids, action
    assert set(Case.objects.values_list("queue", flat=True)) == {"expert"}
    for handler in User.objects.filter(role__in=[Role.ENGINEER, Role.EXPERT]):
        active = Case.objects.filter(assignee=handler, state__in=ACTIVE_STATE_VALUES).count()
        assert handler.open_cases == active, handler.role
    experts = User.objects.filter(role=Role.EXPERT).values_list("open_cases", flat=True)
    assert sum(experts) == 60 and User.objects.filter(role=Role.ENGINEER, open_cases=0).count() == 3
