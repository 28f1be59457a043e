"""Every list is paged with a ceiling: a limit beyond it (even beyond the database's integer
range) is read as the ceiling, never sent to the database."""

from __future__ import annotations

import pytest

from supportplan.accounts.models import Role
from supportplan.api.pagination import MAX_LIMIT
from supportplan.core.testing import api_client, make_tenant, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("limit", ["2568816212049048281033738289152", str(MAX_LIMIT + 1)])
def test_a_limit_beyond_the_ceiling_is_read_as_the_ceiling(limit):
    admin = make_user(Role.PLATFORM_ADMIN, username="root")
    for _ in range(4):
        make_tenant()
    answer = api_client(admin).get(f"/api/tenants/?limit={limit}&offset=1")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] == 4
    assert len(body["results"]) == 3
    assert body["next"] is None
    assert body["previous"] == f"http://testserver/api/tenants/?limit={MAX_LIMIT}"


def test_an_offset_beyond_the_database_range_is_an_empty_page():
    admin = make_user(Role.PLATFORM_ADMIN, username="root")
    make_tenant()
    answer = api_client(admin).get("/api/tenants/?offset=2568816212049048281033738289152")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["count"], answer.json()["results"]) == (1, [])


def test_the_schema_states_the_ceiling():
    schema = api_client().get("/api/schema/?format=json").json()
    limit = next(
        p for p in schema["paths"]["/api/tenants/"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert limit["schema"] == {"type": "integer", "minimum": 0}
    assert f"at most {MAX_LIMIT}" in limit["description"]
