"""Fixtures for the advisor and planner: shipped catalogs, customers on real plans (bought
through the subscriptions services, as the portal tests do), staff of each role, and case
history rows written in bulk (the advisor only reads them; one test goes through case_open)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from supportplan.accounts.models import Role
from supportplan.core import clock
from supportplan.core.testing import make_user
from supportplan.web.tests.conftest import load_catalogs, make_customer


@pytest.fixture
def catalogs(db):
    load_catalogs()


@pytest.fixture
def people(db):
    start = clock.now() - timedelta(days=2)
    return {
        "manager": make_user(
            Role.SUPPORT_MANAGER,
            username="mgr",
            now=start,
            language="en",
            handler_tier="senior_expert",
        ),  # fmt: skip
        "business": make_user(Role.BUSINESS_MANAGER, username="biz", now=start, language="en"),
        "engineer": make_user(
            Role.ENGINEER, username="eng", now=start, language="en", handler_tier="engineer"
        ),  # fmt: skip
        "engineer2": make_user(
            Role.ENGINEER, username="eng2", now=start, language="en", handler_tier="engineer"
        ),  # fmt: skip
        "expert": make_user(
            Role.EXPERT, username="exp", now=start, language="en", handler_tier="expert"
        ),  # fmt: skip
    }


@pytest.fixture
def dedicated(catalogs):
    return make_customer("partner", "dedicated", name="Jinhai Bank", since=timedelta(days=120))


def local(days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = (clock.now().astimezone(clock.BUSINESS_TZ) - timedelta(days=days_ago)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.BUSINESS_TZ)


def add_cases(customer: Any, rows: list[tuple[datetime, str, str, str, int | None]],
              *, plan: str = "dedicated", tier: str = "expert",
              target: timedelta = timedelta(minutes=30)) -> None:  # fmt: skip
    """(created, severity, channel, system class, minutes to the first reply or None)."""
    from supportplan.cases.models import Case, CaseState
    from supportplan.catalog.selectors import current_version

    version = current_version("partner").pk
    Case.objects.bulk_create(
        Case(
            tenant=customer.tenant,
            requester=customer.admin,
            system_class=system,
            provider="partner",
            channel=channel,
            severity=severity,
            subject="history",
            description="history",
            plan_code=plan,
            catalog_version_id=version,
            handler_tier=tier,
            queue=tier,
            state=CaseState.CLOSED,
            created_at=created,
            updated_at=created,
            first_response_target=target,
            first_responded_at=created + timedelta(minutes=minutes)
            if minutes is not None
            else None,
        )
        for created, severity, channel, system, minutes in rows
    )


def night_history(customer: Any) -> None:
    add_cases(
        customer,
        [
            (local(10, 23), "core_production_down", "ticket", "core_production", 5),
            (local(9, 2), "core_production_down", "ticket", "core_production", 5),
            (local(8, 10), "production_down", "ticket", "production", 40),
            (local(7, 10), "general_guidance", "im_group", "production", 120),
        ],
    )
