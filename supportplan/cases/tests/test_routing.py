"""Load-balanced routing on stored open-case counters (issue 4: "assignment balances open load
among available staff on shift").

`User.open_cases` must equal the number of active cases assigned to the person after every
transition; routing picks the least-loaded on-shift handler of the tier by it.
"""

from __future__ import annotations

import pytest

from supportplan.accounts.models import Role, User
from supportplan.cases import routing, services
from supportplan.cases.models import ACTIVE_STATE_VALUES, Case
from supportplan.core.testing import race

from .factories import at, customer, load_catalogs, minutes

T = at("2026-11-23T10:00:00+08:00")


@pytest.fixture(autouse=True)
def catalogs(db):
    load_catalogs()


def open_case(user, tenant, now=T, provider="partner", severity="general_guidance"):
    return services.case_open(
        actor=user, tenant=tenant, provider=provider, channel="ticket", severity=severity,
        subject="It broke", description="The thing stopped working at 08:55.", now=now,
    )  # fmt: skip


def counters(*users: User) -> list[int]:
    return [User.objects.get(pk=u.pk).open_cases for u in users]


def actual(user: User) -> int:
    return Case.objects.filter(assignee=user, state__in=ACTIVE_STATE_VALUES).count()


def make_staff(role: str, **kw) -> User:
    from supportplan.core.testing import make_user

    return make_user(role, **kw)


@pytest.mark.django_db
def test_counter_follows_every_transition_of_a_case():
    a = make_staff(Role.ENGINEER)
    b = make_staff(Role.ENGINEER)
    expert = make_staff(Role.EXPERT)
    manager = make_staff(Role.SUPPORT_MANAGER, handler_tier="senior_expert")
    tenant, user, _systems = customer("partner", "basic")

    case = open_case(user, tenant)
    assert case.assignee_id == a.pk
    assert counters(a, b, expert) == [1, 0, 0]

    services.case_reply(actor=a, case=case, body="Looking at it.", now=T + minutes(5))
    services.case_wait_on_customer(actor=a, case=case, now=T + minutes(6))
    assert counters(a, b, expert) == [1, 0, 0]  # in progress, waiting: still active

    services.case_assign(actor=manager, case=case, assignee=b, now=T + minutes(7))
    assert counters(a, b, expert) == [0, 1, 0]

    services.case_resolve(actor=b, case=case, now=T + minutes(8))
    assert counters(a, b, expert) == [0, 0, 0]

    services.case_reopen(actor=user, case=case, now=T + minutes(9), reason="Back again.")
    assert counters(a, b, expert) == [0, 1, 0]

    services.case_escalate(actor=manager, case=case, now=T + minutes(10), reason="Stuck.")
    case.refresh_from_db()
    assert case.assignee_id == expert.pk  # an engineer may not hold an expert-queue case
    assert counters(a, b, expert) == [0, 0, 1]

    services.case_resolve(actor=expert, case=case, now=T + minutes(11))
    services.case_close(actor=user, case=case, now=T + minutes(12))
    assert counters(a, b, expert) == [0, 0, 0]
    assert [actual(u) for u in (a, b, expert)] == [0, 0, 0]


@pytest.mark.django_db
def test_routing_goes_to_the_least_loaded_on_shift_handler_of_the_tier():
    a = make_staff(Role.ENGINEER)
    b = make_staff(Role.ENGINEER)
    off = make_staff(Role.ENGINEER)
    off.on_shift = False
    off.save(update_fields=["on_shift"])
    make_staff(Role.EXPERT)  # another tier: never chosen for an engineer-queue case
    tenant, user, _systems = customer("partner", "basic")
    first = [open_case(user, tenant) for _ in range(3)]
    assert [c.assignee_id for c in first] == [a.pk, b.pk, a.pk]
    services.case_resolve(actor=a, case=first[0], now=T + minutes(1))
    services.case_resolve(actor=a, case=first[2], now=T + minutes(1))
    # a: 0 open, b: 1 open -> a twice (a reaches 1, ties go to the lower id), then b
    assert [open_case(user, tenant).assignee_id for _ in range(3)] == [a.pk, a.pk, b.pk]
    assert counters(a, b, off) == [2, 2, 0]


@pytest.mark.django_db
def test_nobody_on_shift_leaves_the_case_unassigned_in_its_queue():
    off = make_staff(Role.ENGINEER)
    off.on_shift = False
    off.save(update_fields=["on_shift"])
    tenant, user, _systems = customer("partner", "basic")
    case = open_case(user, tenant)
    assert case.assignee_id is None and case.queue == "engineer"
    assert counters(off) == [0]


@pytest.mark.django_db
def test_recount_heals_counters_changed_behind_the_orm():
    a = make_staff(Role.ENGINEER)
    b = make_staff(Role.ENGINEER)
    tenant, user, _systems = customer("partner", "basic")
    for _ in range(3):
        open_case(user, tenant)
    assert counters(a, b) == [2, 1]
    assert routing.recount_open_cases() == 0  # nothing to heal
    User.objects.filter(pk=a.pk).update(open_cases=9)
    Case.objects.filter(assignee=b).update(state="closed")  # bypasses Case.save
    assert routing.recount_open_cases() == 2
    assert counters(a, b) == [2, 0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_keep_exact_counters_and_spread_over_people():
    load_catalogs()
    staff = [make_staff(Role.ENGINEER) for _ in range(4)]
    tenant, user, _systems = customer("partner", "basic")
    race(lambda i: [open_case(user, tenant) for _ in range(5)], threads=8)
    assert Case.objects.filter(assignee__isnull=True).count() == 0
    loads = counters(*staff)
    assert loads == [actual(u) for u in staff]
    assert sum(loads) == 40
    # SKIP LOCKED spreads concurrent openings; the stored counts keep the spread tight
    assert max(loads) - min(loads) <= 8, loads
