"""Issue 15.6: a read-only field that is sent is refused (400 naming it, in the JSON
envelope), never silently ignored with a 200, on every serializer that reads a request."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from supportplan.api.serializers import RefuseReadOnlyMixin
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core.testing import api_client

API_DIR = Path(__file__).resolve().parents[1]
# `SomeSerializer(data=…)`, `SomeSerializer(instance, data=…)` and `validated(SomeSerializer`
READS = re.compile(r"(\w+Serializer)\((?:[\w.]+, )?data=|(?:validated|_input)\((\w+Serializer)")


def _input_serializers() -> list[tuple[str, str]]:
    found = []
    for path in sorted(API_DIR.glob("*.py")):
        for m in READS.finditer(path.read_text()):
            found.append((path.stem, m.group(1) or m.group(2)))
    return sorted(set(found))


def test_the_scan_finds_the_write_serializers():
    names = {name for _module, name in _input_serializers()}
    assert {"TenantSerializer", "RobotSerializer", "BookingRequestSerializer"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize(("module", "name"), _input_serializers())
def test_every_serializer_that_reads_a_request_refuses_read_only_fields(module, name):
    cls = getattr(importlib.import_module(f"supportplan.api.{module}"), name)
    assert issubclass(cls, RefuseReadOnlyMixin), f"{module}.{name}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This field is read-only: it cannot be set here."),
        ("zh-hans", "该字段为只读，不能在此设置。"),
    ],
)
def test_patching_a_read_only_tenant_field_is_refused_and_changes_nothing(language, message):
    load_catalogs()
    tenant, admin, _systems = customer("partner", "basic")
    res = api_client(admin, language=language).patch(
        f"/api/tenants/{tenant.pk}/",
        {"in_proof_of_concept": True, "report_emails": ["ops@example.com"]},
        format="json",
    )
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "invalid"
    assert body["fields"] == {"in_proof_of_concept": [message]}
    tenant.refresh_from_db()
    assert tenant.in_proof_of_concept is False
    assert tenant.report_emails != ["ops@example.com"]


@pytest.mark.django_db
def test_a_writable_field_still_saves():
    load_catalogs()
    tenant, admin, _systems = customer("partner", "basic")
    res = api_client(admin).patch(
        f"/api/tenants/{tenant.pk}/", {"report_emails": ["ops@example.com"]}, format="json"
    )
    assert res.status_code == 200, res.json()
    assert res.json()["report_emails"] == ["ops@example.com"]


@pytest.mark.django_db
def test_a_created_object_with_its_id_sent_is_refused_not_given_another_id():
    load_catalogs()
    tenant, admin, _systems = customer("partner", "basic")
    before = tenant.systems.count()
    res = api_client(admin).post(
        f"/api/tenants/{tenant.pk}/systems/",
        {"id": 99, "name": "billing", "classification": "production"},
        format="json",
    )
    assert res.status_code == 400
    assert res.json()["fields"] == {"id": ["This field is read-only: it cannot be set here."]}
    assert tenant.systems.count() == before


def _integer_fields(serializer, prefix=""):
    from rest_framework import serializers

    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        child = getattr(field, "child", None)
        if isinstance(field, serializers.IntegerField):
            yield prefix + name, field
        if isinstance(child, serializers.IntegerField):
            yield f"{prefix}{name}[]", child
        if isinstance(field, serializers.Serializer):
            yield from _integer_fields(field, f"{prefix}{name}.")


@pytest.mark.parametrize(("module", "name"), _input_serializers())
def test_every_integer_a_request_carries_is_bounded(module, name):
    """Issue 15.12: an unbounded integer (days = 5,000,000) reached date arithmetic and was a
    500 OverflowError; every integer field that reads a request has a minimum and a maximum."""
    cls = getattr(importlib.import_module(f"supportplan.api.{module}"), name)
    unbounded = [
        field_name
        for field_name, field in _integer_fields(cls())
        if field.min_value is None or field.max_value is None
    ]
    assert unbounded == [], f"{module}.{name}"


def test_every_integer_a_web_form_carries_is_bounded():
    from django import forms

    from supportplan.web import forms as web_forms

    unbounded = [
        f"{cls.__name__}.{name}"
        for cls in vars(web_forms).values()
        if isinstance(cls, type) and issubclass(cls, forms.BaseForm)
        for name, field in getattr(cls, "base_fields", {}).items()
        # a DecimalField is an IntegerField to Django; max_digits bounds it
        if isinstance(field, forms.IntegerField)
        and not (isinstance(field, forms.DecimalField) and field.max_digits)
        and (field.min_value is None or field.max_value is None)
    ]
    assert unbounded == []


@pytest.mark.django_db
def test_null_report_emails_is_a_400_not_a_500():
    """Found by schemathesis: the column is NOT NULL, so null was an IntegrityError."""
    load_catalogs()
    tenant, admin, _systems = customer("partner", "basic")
    res = api_client(admin).patch(
        f"/api/tenants/{tenant.pk}/", {"report_emails": None}, format="json"
    )
    assert res.status_code == 400
    assert list(res.json()["fields"]) == ["report_emails"]
