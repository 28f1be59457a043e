"""Opening a case is the hottest write (issue 4 performance): guard what it asks the database.

Each statement is named; a new one (a lookup that could be cached, a lazy foreign key, a
notification rendered in the request) fails here first. Rendering and fan-out of the messages
run after commit in the notifications dispatch task, so the request writes one dispatch row.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from supportplan.accounts.models import Role
from supportplan.cases import services
from supportplan.cases.models import Case
from supportplan.core.testing import make_user

from .factories import at, customer, load_catalogs

pytestmark = pytest.mark.django_db

NOW = at("2026-11-23T10:00:00+08:00")

# What one opening by a partner Basic customer asks, once the process has seen the catalog
# version and the calendars (both cached per process: versions never change, calendars by
# revision token).
OPEN_STATEMENTS = [
    "SELECT subscriptions_period",  # the plan in force (joined with its catalog plan row)
    # escorts covering the moment: the SLA intervals and the escort teams to tell, one query
    # (bookings' audit subscriber reads the answer from the case.opened entry)
    "SELECT bookings_booking",
    "SELECT accounts_user",  # the least-loaded on-shift handler of the tier (stored counters)
    "SELECT calendars_calendarrevision",  # is the cached calendar still current?
    "INSERT cases_case",
    "UPDATE accounts_user",  # the assignee's open-case counter
    "INSERT cases_caseevent",  # the SLA event log's "created"
    "INSERT core_auditentry",  # case.opened
    "INSERT notifications_dispatch",  # the notification intent (no rendering here)
]


def statements(queries: list[dict[str, str]]) -> list[str]:
    """'VERB table' per statement, without the savepoints of nested atomic blocks."""
    out = []
    for q in queries:
        sql = q["sql"].strip()
        if re.match(r"(SAVEPOINT|RELEASE SAVEPOINT|BEGIN|COMMIT)\b", sql, re.I):
            continue
        verb = sql.split()[0].upper()
        out.append(f"{verb} {_main_table(sql)}")
    return out


def _main_table(sql: str) -> str:
    """The table after the statement's own FROM / INTO / UPDATE (not one in a subquery)."""
    depth = 0
    for m in re.finditer(r'[()]|\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I):
        if m.group(0) == "(":
            depth += 1
        elif m.group(0) == ")":
            depth -= 1
        elif depth == 0:
            return m.group(1)
    return "?"


@pytest.fixture
def basic_customer(db):
    load_catalogs()
    make_user(Role.ENGINEER)
    make_user(Role.ENGINEER)
    tenant, user, _systems = customer("partner", "basic")
    return tenant, user


def open_one(tenant, user, n: int):
    return services.case_open(
        actor=user,
        tenant=tenant,
        provider="partner",
        channel="ticket",
        severity="general_guidance",
        subject=f"Question {n}",
        description="How do I resize the volume?",
        now=NOW,
    )


def test_opening_a_case_asks_the_database_only_what_it_must(basic_customer):
    tenant, user = basic_customer
    open_one(tenant, user, 1)  # the process sees the catalog version and calendars once
    with CaptureQueriesContext(connection) as ctx:
        case = open_one(tenant, user, 2)
    assert statements(ctx.captured_queries) == OPEN_STATEMENTS
    assert case.assignee is not None  # routed, and the person came with the routing query


def test_the_open_case_endpoint_adds_only_the_token_lookup(basic_customer):
    tenant, user = basic_customer
    token = Token.objects.create(user=user)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {
        "provider": "partner",
        "channel": "ticket",
        "severity": "general_guidance",
        "subject": "Question",
        "description": "How do I resize the volume?",
    }
    assert client.post("/api/cases/", body, format="json").status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        res = client.post("/api/cases/", body, format="json")
    assert res.status_code == 201, res.content
    # the token comes with its person and their tenant; the response needs no further query:
    # catalog names from the cache, the assignee from routing, the requester from the request
    assert statements(ctx.captured_queries) == ["SELECT authtoken_token", *OPEN_STATEMENTS]
    assert res.json()["assignee"]["role"] == Role.ENGINEER


@pytest.mark.postgres
def test_the_cases_table_is_vacuumed_after_one_percent_changes():
    """The console's counts stay an index-only scan (migration cases/0005)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [Case._meta.db_table])
        (options,) = cursor.fetchone()
    assert sorted(options) == [
        "autovacuum_analyze_scale_factor=0.02",
        "autovacuum_vacuum_insert_scale_factor=0.01",
        "autovacuum_vacuum_scale_factor=0.01",
    ]
