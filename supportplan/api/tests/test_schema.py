"""The OpenAPI schema covers every endpoint without a guess: no error, no warning."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_with_no_errors_or_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/cases/", "/api/sla/due/", "/api/calendars/workday/", "/api/subscriptions/"):
        assert f"{path}:" in text


def test_swagger_ui_is_served_from_the_installed_package(client, django_user_model):
    from supportplan.core.testing import make_user

    user = make_user("engineer")
    client.force_login(user)
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


BARE_ARRAYS = [
    "/api/calendars/",
    "/api/plans/",
    "/api/cases/{id}/attachments/",
    "/api/tenants/{id}/cloud-accounts/",
    "/api/tenants/{id}/systems/",
    "/api/tenants/{id}/users/",
    "/api/cases/queue/",
    "/api/reports/at-risk/",
]


@pytest.mark.parametrize("path", BARE_ARRAYS)
def test_operations_that_answer_a_bare_array_are_not_declared_paginated(schema, path):
    """Issue 15.15: these answer a JSON array; the schema declared {count, results, …}."""
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    assert _resolve(schema, body["schema"])["type"] == "array"


def test_advisory_targets_declares_its_summary_and_acknowledge_its_answer(schema):
    ops = schema["paths"]
    targets = ops["/api/advisories/{id}/targets/"]["get"]["responses"]["200"]
    body = _resolve(schema, targets["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"reached", "not_reached", "targets"}
    ack = ops["/api/advisories/{id}/acknowledge/"]["post"]["responses"]["200"]
    ref = ack["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/CustomerTarget")


@pytest.mark.parametrize(
    ("component", "field"),
    [("Booking", "event_kind"), ("User", "handler_tier"), ("Target", "notified_reason")],
)
def test_blank_choices_that_answers_carry_are_in_the_schema(schema, component, field):
    prop = schema["components"]["schemas"][component]["properties"][field]
    allowed = []
    for option in prop.get("oneOf") or prop.get("anyOf") or [prop]:
        allowed += _resolve(schema, option).get("enum", [])
    assert "" in allowed


def test_people_that_may_be_missing_are_nullable(schema):
    props = schema["components"]["schemas"]["CaseDetail"]["properties"]
    for field in ("assignee", "tam"):
        assert props[field].get("nullable") is True, field


def test_every_operation_lists_its_error_answers_in_the_envelope(schema):
    missing = [
        f"{method.upper()} {path} {status}"
        for path, item in schema["paths"].items()
        for method, op in item.items()
        for status in ("400", "401", "403", "404", "409")
        if status not in op["responses"]
    ]
    assert missing == []
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message"]


def test_no_component_carries_an_internal_docstring(schema):
    described = {
        name: c["description"]
        for name, c in schema["components"]["schemas"].items()
        if c.get("description") and not name.endswith("Enum")
    }
    assert set(described) <= {"CaseMoved", "CustomerTarget", "Error"}, described


@pytest.mark.parametrize(
    ("component", "field", "limit"),
    [
        ("OpenCase", "subject", 200),
        ("OpenCase", "description", 20_000),
        ("OpenCase", "software_name", 100),
        ("Body", "body", 50_000),
        ("Severity", "reason", 2_000),
        ("Summary", "summary", 5_000),
        ("Message", "message", 5_000),
    ],
)
def test_the_schema_states_the_longest_text_a_case_takes(schema, component, field, limit):
    """Issue 15.13: a client learns the limit before sending (the API refuses past it)."""
    props = schema["components"]["schemas"][f"{component}Request"]["properties"]
    assert props[field]["maxLength"] == limit
