"""Publishing reaches exactly the targeted tenants, TAM first for enterprise care."""

from datetime import timedelta

import pytest

from supportplan.accounts.models import Role
from supportplan.advisories import selectors, services
from supportplan.advisories.models import NoticeReason, SoftwareItem, TargetStatus
from supportplan.core.errors import DomainError, PermissionDenied
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_user
from supportplan.notifications.models import InAppNotification, Outbox

from .factories import customer, dispatched, draft, staff

pytestmark = pytest.mark.django_db


def inbox(user, rule=None):
    qs = InAppNotification.objects.filter(user=user)
    if rule:
        qs = qs.filter(rule=rule)
    return list(qs.values_list("rule", flat=True))


def emails_to(address):
    return list(
        Outbox.objects.filter(channel="email", address=address).values_list("rule", flat=True)
    )


@pytest.fixture
def world(catalogs):
    tam = staff(Role.TAM, email="tam@provider.example", language="zh-hans")
    manager = staff(Role.SUPPORT_MANAGER, email="mgr@provider.example")
    vip = customer("partner", "vip", tam=tam, clouds=[("huawei", ["cn-north-4"])], language="en")
    dedicated = customer("partner", "dedicated", clouds=[("huawei", [])])
    tencent_only = customer("tencent", "s2", clouds=[("tencent", ["ap-guangzhou"])])
    people = {
        "vip_admin": make_user(
            Role.CUSTOMER_ADMIN, tenant=vip, email="admin@vip.example", language="en"
        ),
        "vip_member": make_user(Role.CUSTOMER_MEMBER, tenant=vip, email="ops@vip.example"),
        "ded_member": make_user(Role.CUSTOMER_MEMBER, tenant=dedicated, email="ops@ded.example"),
        "tc_member": make_user(Role.CUSTOMER_MEMBER, tenant=tencent_only, email="ops@tc.example"),
    }
    return {
        "tam": tam,
        "manager": manager,
        "vip": vip,
        "dedicated": dedicated,
        "tencent": tencent_only,
        **people,
    }


def test_publish_targets_matching_tenants_and_the_tam_hears_first(world):
    w = world
    advisory = draft(w["manager"])
    targets = services.advisory_publish(actor=w["manager"], advisory=advisory, now=T0)
    dispatched(T0)

    by_tenant = {t.tenant_id: t for t in targets}
    assert set(by_tenant) == {
        w["vip"].pk,
        w["dedicated"].pk,
    }  # the Tencent-only tenant is not on Huawei
    vip_t, ded_t = by_tenant[w["vip"].pk], by_tenant[w["dedicated"].pk]
    assert (vip_t.care, vip_t.status, vip_t.tam_id) == (
        True,
        TargetStatus.AWAITING_TAM,
        w["tam"].pk,
    )
    assert vip_t.contact_due == T0 + timedelta(hours=2)
    assert vip_t.notified_at is None
    assert (ded_t.care, ded_t.status, ded_t.notified_reason) == (
        False,
        "notified",
        NoticeReason.NO_ENTERPRISE_CARE,
    )

    # TAM first: the VIP customer's people have heard nothing yet, the TAM has a task
    assert inbox(w["vip_admin"]) == [] and inbox(w["vip_member"]) == []
    assert emails_to("admin@vip.example") == []
    assert inbox(w["tam"]) == ["advisory.tam_task"]
    assert emails_to("tam@provider.example") == ["advisory.tam_task"]
    tam_mail = Outbox.objects.get(address="tam@provider.example")
    assert tam_mail.subject.startswith("[预警通告] 请先对接 ")
    # the ordinary message-centre notice for the tenant without enterprise care
    assert inbox(w["ded_member"]) == ["advisory.notice"]
    assert "advisory.notice" in emails_to(w["dedicated"].registered_email)
    assert inbox(w["tc_member"]) == []
    # customers only see advisories once notified
    assert list(selectors.advisories_for_tenant(w["vip"])) == []
    assert list(selectors.advisories_for_tenant(w["dedicated"])) == [advisory]
    assert [t.pk for t in selectors.tasks_of(w["tam"])] == [vip_t.pk]

    # the TAM reaches the customer and records the agreed plan: now the customer is notified
    services.advisory_record_contact(
        actor=w["tam"],
        target=vip_t,
        now=T0 + timedelta(minutes=40),
        note="Called Mr. Wang",
        handling_plan="Patch the bastion hosts tonight 22:00-23:00",
    )
    dispatched(T0 + timedelta(minutes=40))
    vip_t.refresh_from_db()
    assert (vip_t.status, vip_t.notified_reason) == ("notified", NoticeReason.TAM_CONTACTED)
    assert vip_t.notified_at == T0 + timedelta(minutes=40)
    assert inbox(w["vip_admin"]) == ["advisory.notice"] and inbox(w["vip_member"]) == [
        "advisory.notice"
    ]
    notice = InAppNotification.objects.get(user=w["vip_admin"])
    en = notice.content_in("en")
    assert en["subject"] == "[Advisory] OpenSSH remote code execution"
    assert ["Agreed handling plan", "Patch the bastion hosts tonight 22:00-23:00"] in en["facts"]
    assert ["Recommended actions", "Upgrade to 9.8 or later."] in en["facts"]
    assert list(selectors.tasks_of(w["tam"])) == []

    # TAM-first order is visible in the audit log
    codes = list(
        AuditEntry.objects.filter(tenant=w["vip"], action__startswith="advisory.")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert codes == ["advisory.tam_task", "advisory.contacted", "advisory.notice"]

    # the customer acknowledges; the advisory shows who is reached
    services.advisory_acknowledge(
        actor=w["vip_member"], advisory=advisory, now=T0 + timedelta(hours=1)
    )
    dispatched(T0 + timedelta(hours=1))
    rows = {t.tenant_id: t for t in selectors.targets_of(advisory)}
    assert rows[w["vip"].pk].status == "acknowledged" and rows[w["vip"].pk].reached
    assert not rows[w["dedicated"].pk].reached
    assert inbox(w["tam"], "advisory.acknowledged") == ["advisory.acknowledged"]


def test_an_unrecorded_contact_is_escalated_and_the_customer_notified_anyway(world):
    w = world
    advisory = draft(w["manager"], contact_within=timedelta(minutes=30))
    services.advisory_publish(actor=w["manager"], advisory=advisory, now=T0)
    assert services.advisory_contact_sweep(now=T0 + timedelta(minutes=29)) == []
    [pk] = services.advisory_contact_sweep(now=T0 + timedelta(minutes=30))
    assert services.advisory_contact_sweep(now=T0 + timedelta(minutes=31)) == []  # once only
    dispatched(T0 + timedelta(minutes=31))
    target = selectors.target_of(advisory, w["vip"])
    assert target.pk == pk
    assert (target.notified_reason, target.overdue_at) == (
        NoticeReason.CONTACT_OVERDUE,
        T0 + timedelta(minutes=30),
    )
    assert inbox(w["vip_member"]) == ["advisory.notice"]
    assert inbox(w["manager"], "advisory.contact_overdue") == ["advisory.contact_overdue"]
    assert inbox(w["tam"], "advisory.contact_overdue") == ["advisory.contact_overdue"]


def test_software_inventory_narrows_the_target(world):
    w = world
    admin = w["vip_admin"]
    services.software_add(actor=admin, tenant=w["vip"], name="OpenSSH", version="9.3", now=T0)
    SoftwareItem.objects.create(tenant=w["dedicated"], name="OpenSSH", version="9.9", created_at=T0)
    advisory = draft(w["manager"], software=[{"name": "openssh", "versions": "<9.8"}])
    targets = services.advisory_publish(actor=w["manager"], advisory=advisory, now=T0)
    assert [(t.tenant_id, t.matched) for t in targets] == [
        (w["vip"].pk, ["cloud:huawei", "software:OpenSSH 9.3"])
    ]


def test_new_feature_without_scope_reaches_everyone(world):
    w = world
    advisory = draft(w["manager"], kind="new_product", severity="info", clouds=[], actions={})
    targets = services.advisory_publish(actor=w["manager"], advisory=advisory, now=T0)
    assert {t.tenant_id for t in targets} == {w["vip"].pk, w["dedicated"].pk, w["tencent"].pk}


def test_planned_events_are_refused_and_point_to_mdr(world):
    with pytest.raises(DomainError) as exc:
        draft(world["manager"], kind="planned_event")
    assert exc.value.code == "advisory.planned_event_out_of_scope"
    assert "https://support.huaweicloud.com/mdr/index.html" in exc.value.message


@pytest.mark.parametrize(
    "fields,code",
    [
        ({"kind": "rumour"}, "advisory.kind_unknown"),
        ({"severity": "apocalyptic"}, "advisory.severity_unknown"),
        ({"title": {"zh-hans": "只有中文"}}, "advisory.text_missing_language"),
        ({"actions": {"en": "English only"}}, "advisory.text_missing_language"),
        ({"clouds": ["aws"]}, "advisory.cloud_unknown"),
        (
            {"software": [{"name": "OpenSSH", "versions": "before 9.8"}]},
            "advisory.software_versions_invalid",
        ),
        ({"contact_within": timedelta(0)}, "advisory.contact_within_invalid"),
    ],
)
def test_bad_drafts_are_refused_with_a_stable_code(world, fields, code):
    with pytest.raises(DomainError) as exc:
        draft(world["manager"], **fields)
    assert exc.value.code == code


def test_only_the_customers_tam_or_a_manager_records_the_contact(world):
    w = world
    advisory = draft(w["manager"])
    services.advisory_publish(actor=w["manager"], advisory=advisory, now=T0)
    target = selectors.target_of(advisory, w["vip"])
    other_tam = staff(Role.TAM)
    with pytest.raises(PermissionDenied):
        services.advisory_record_contact(actor=other_tam, target=target, now=T0)
    with pytest.raises(PermissionDenied):
        services.advisory_record_contact(actor=w["vip_admin"], target=target, now=T0)
    with pytest.raises(PermissionDenied):
        draft(w["vip_admin"])
    with pytest.raises(DomainError) as exc:
        services.advisory_publish(actor=w["manager"], advisory=advisory, now=T0)
    assert exc.value.code == "advisory.already_published"
