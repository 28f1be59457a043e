"""CaseSerializer answers from the columns (issue 16, opening a case): the same body, value
for value and type for type, as DRF's generic field-by-field path, for every shape a case
takes (with and without system, assignee, TAM, due time, resolution and closing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation
from rest_framework import serializers

from supportplan.accounts.models import Role
from supportplan.api.cases import CaseSerializer
from supportplan.cases import services
from supportplan.cases.models import Case
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core import clock
from supportplan.core.testing import make_user

pytestmark = pytest.mark.django_db


def generic(case: Case) -> dict:
    # DRF's own ModelSerializer path for the same fields (what the lean one must equal).
    return dict(serializers.ModelSerializer.to_representation(CaseSerializer(context={}), case))


def cases() -> list[Case]:
    load_catalogs()
    now = clock.now()
    start = now - timedelta(days=1)
    _t, partner, systems = customer("partner", "vip", start=start)
    _t2, tencent, tencent_systems = customer("tencent", "s2", start=start)
    opened = [
        # nobody on shift yet: no assignee
        services.case_open(
            actor=tencent, tenant=tencent.tenant, provider="tencent", channel="ticket",
            severity="usage_question", subject="Quota", description="How big may it get?",
            now=now,
        ),
    ]  # fmt: skip
    make_user(Role.SENIOR_EXPERT, first_name="Li", last_name="Wei")
    make_user(Role.EXPERT)
    opened += [
        services.case_open(
            actor=partner, tenant=partner.tenant, provider="partner", channel="ticket",
            severity="core_production_down", subject="Down", description="Everything stopped.",
            system=systems["core_production"], now=now,
        ),
        services.case_open(
            actor=partner, tenant=partner.tenant, provider="partner", channel="ticket",
            severity="general_guidance", subject="Resize", description="A bigger disk, please.",
            software_name="MySQL", software_version="8.0", now=now,
        ),
        services.case_open(
            actor=tencent, tenant=tencent.tenant, provider="tencent", channel="ticket",
            severity="business_down", subject="Stopped", description="Orders fail since 9:00.",
            system=tencent_systems["production"], now=now,
        ),
    ]  # fmt: skip
    staff = make_user(Role.SENIOR_EXPERT)
    done = services.case_resolve(actor=staff, case=opened[1], now=now + timedelta(minutes=5))
    services.case_close(actor=staff, case=done, now=now + timedelta(minutes=6))
    return list(Case.objects.select_related("tenant", "assignee", "system").order_by("pk"))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_lean_body_is_drfs_body(language):
    rows = cases()
    assert len(rows) == 4
    assert {c.assignee_id is None for c in rows} == {True, False}
    assert {c.system_id is None for c in rows} == {True, False}
    assert any(c.closed_at and c.resolved_at for c in rows)
    with translation.override(language):
        for case in rows:
            lean = CaseSerializer(case, context={}).data
            full = generic(case)
            assert list(lean) == list(full)  # the same keys in the same order
            assert dict(lean) == full
            assert {k: type(v) for k, v in lean.items()} == {k: type(v) for k, v in full.items()}
        listed = CaseSerializer(rows, many=True, context={}).data
        assert [dict(x) for x in listed] == [generic(c) for c in rows]


def test_subclasses_keep_the_generic_path():
    from supportplan.api.cases import CaseDetailSerializer

    case = cases()[0]
    assert type(CaseSerializer(case).to_representation(case)) is dict
    assert "thread" in CaseDetailSerializer.Meta.fields
    assert CaseDetailSerializer.to_representation is CaseSerializer.to_representation
    # CaseDetailSerializer's fields come through super(): its extra keys are there.
    fields = CaseDetailSerializer().fields
    assert "description" in fields and "sla" in fields
