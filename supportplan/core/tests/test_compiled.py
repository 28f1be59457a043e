"""core.compiled: a hot read's SQL compiled once, sent again with new values (issue 16).

On PostgreSQL the compiled path must be taken for every hot read of opening a case and give
exactly the ORM's rows; a shape whose parameters cannot be placed stays on the ORM."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction

from supportplan.accounts.models import Role, User
from supportplan.bookings import selectors as booking_selectors
from supportplan.calendars import selectors as calendar_selectors
from supportplan.cases import routing
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core import compiled
from supportplan.core.compiled import CompiledRead
from supportplan.core.testing import make_user
from supportplan.subscriptions import selectors as subscription_selectors

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def entry(read: CompiledRead):
    return read._local.__dict__.get("by_connection", {}).get("default")


def same_as_orm(read: CompiledRead, **values):
    rows = read.rows(**values)
    assert rows == list(read.build(**values))
    if ON_POSTGRES:
        got = entry(read)
        assert got is not None and got is not compiled._UNSAFE  # the compiled path ran
    else:
        assert entry(read) is None  # SQLite: always the ORM
    return rows


def test_every_hot_read_of_opening_is_compiled_and_answers_like_the_orm():
    load_catalogs()
    tenant, _user, _systems = customer("partner", "basic", start=NOW - timedelta(days=3))
    make_user(Role.ENGINEER, username="least-loaded")
    busy = make_user(Role.ENGINEER, username="busy")
    User.objects.filter(pk=busy.pk).update(open_cases=4)

    period = same_as_orm(
        subscription_selectors._PERIOD_AT,
        tenant_id=tenant.pk,
        provider_code="partner",
        as_of=NOW,
    )
    assert [(p[0], p[4] <= NOW < p[5]) for p in period] == [("basic", True)]
    assert (
        same_as_orm(
            subscription_selectors._PERIOD_AT,
            tenant_id=tenant.pk,
            provider_code="tencent",
            as_of=NOW,
        )
        == []
    )
    assert same_as_orm(calendar_selectors._REVISION, pk=1) == [(calendar_selectors.revision(),)]
    assert (
        same_as_orm(
            booking_selectors._ESCORTS,
            tenant_id=tenant.pk,
            first_day=date(2026, 11, 23),
            last_day=date(2026, 11, 24),
        )
        == []
    )
    handler = same_as_orm(routing._HANDLER, tier="engineer")
    assert routing._first(handler).username == "least-loaded"
    with transaction.atomic():
        free = same_as_orm(routing._FREE_HANDLER, tier="engineer")
        assert routing._first(free).username == "least-loaded"
        chosen = routing.route_to("engineer")
        assert chosen is not None and chosen.username == "least-loaded"
        assert chosen._state.db == "default" and not chosen._state.adding
    assert same_as_orm(routing._HANDLER, tier="expert") == []

    from rest_framework.authtoken.models import Token

    from supportplan.api import authentication

    key = Token.objects.create(user=_user).key
    token = authentication._token_from(same_as_orm(authentication._TOKEN, key=key)[0])
    assert (token.key, token.user.pk, token.user.tenant.pk) == (key, _user.pk, tenant.pk)
    assert same_as_orm(authentication._TOKEN, key="no-such-token") == []
    staff_key = Token.objects.create(user=busy).key
    staff_token = authentication._token_from(authentication._TOKEN.rows(key=staff_key)[0])
    assert staff_token.user.username == "busy" and staff_token.user.tenant is None


def test_the_compiled_statement_reads_fresh_rows_each_call():
    make_user(Role.EXPERT, username="first")
    assert routing._first(routing._HANDLER.rows(tier="expert")).username == "first"
    User.objects.filter(username="first").update(open_cases=9)
    make_user(Role.EXPERT, username="second")
    assert routing._first(routing._HANDLER.rows(tier="expert")).username == "second"


def test_a_shape_whose_parameters_cannot_be_placed_stays_on_the_orm():
    make_user(Role.EXPERT, username="x")
    ignored = CompiledRead(
        lambda tier: User.objects.filter(username="x").values_list("username"), tier="~s~"
    )
    models = CompiledRead(lambda tier: User.objects.filter(handler_tier=tier), tier="~s~")
    assert ignored.rows(tier="expert") == [("x",)]
    assert [u.username for u in models.rows(tier="expert")] == ["x"]
    if ON_POSTGRES:
        assert entry(ignored) is compiled._UNSAFE  # the sentinel never reached the SQL
        assert entry(models) is compiled._UNSAFE  # not a values_list: no tuples to hand back
    with pytest.raises(TypeError):
        ignored.rows(other="expert")
