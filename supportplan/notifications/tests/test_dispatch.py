"""The dispatch table: what each audit code sends, to whom, through which channel."""

import pytest

from supportplan.accounts.models import Role
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_tenant, make_user
from supportplan.notifications import dispatch, secrets
from supportplan.notifications.models import InAppNotification, Outbox, Robot

from .factories import case_entry, run_dispatch, tenant_on

pytestmark = pytest.mark.django_db

SAMPLE = {
    "case_id": 7, "subject": "Disk full", "severity": "production_down", "provider": "partner",
    "queue": "expert", "to_queue": "senior_expert", "service": "escort", "plan": "vip",
    "to_plan": "vip", "period": "2026-10", "title": {"zh-hans": "标题", "en": "Title"},
    "tenant_name": "Jinhai", "reason": "r", "summary": "s", "due": "2026-11-23T02:30:00+00:00",
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(dispatch.RULES))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_rule_renders_a_complete_subject_in_both_languages(db, catalogs, code, language):
    entry = AuditEntry(action=code, at=T0, data=SAMPLE)
    content = dispatch.render(dispatch.RULES[code], entry, language)
    assert content.subject and "%(" not in content.subject
    assert content.intro and content.footer
    if language == "zh-hans":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in content.subject + content.intro), (
            content.subject
        )


def test_plan_and_service_codes_are_shown_by_their_catalog_names(catalogs):
    entry = AuditEntry(
        action="booking.confirmed", at=T0, data={**SAMPLE, "start_date": "2026-11-24"}
    )
    zh = dispatch.render(dispatch.RULES["booking.confirmed"], entry, "zh-hans")
    en = dispatch.render(dispatch.RULES["booking.confirmed"], entry, "en")
    assert zh.subject == "服务已确认：云上保障护航服务（基础版）"
    assert ("服务计划", "VIP级") in zh.facts
    assert en.subject == "Service confirmed: Escort service (basic)"


def test_flow_steps_are_silent_and_unknown_codes_of_known_contexts_get_a_generic_notice(catalogs):
    assert dispatch.rule_for("order.payment_started") is None
    assert dispatch.rule_for("tenant.updated") is None
    assert dispatch.rule_for("booking.moved_to_mars") is dispatch.PREFIX_RULES["booking."]


def test_no_im_group_message_for_a_plan_without_the_im_group_channel(catalogs, robot_receiver):
    tenant = tenant_on("partner", "basic")
    # a robot left over from an earlier plan (the service refuses new ones without im_group)
    Robot.objects.create(
        tenant=tenant, platform="wecom", name="old", webhook_encrypted=secrets.encrypt("http://127.0.0.1:9/x"),
        webhook_hint="-", created_at=T0, updated_at=T0,
    )  # fmt: skip
    case_entry("case.resolved", tenant, provider="partner", plan="basic")
    assert not Outbox.objects.filter(channel="im").exists()


def test_a_customer_never_hears_of_another_tenants_event(catalogs):
    mine = tenant_on("partner", "basic")
    stranger = make_user(Role.CUSTOMER_MEMBER, tenant=make_tenant(), email="s@other.example")
    case_entry("case.replied", mine, notify=[stranger.pk])
    assert not Outbox.objects.exists() and not InAppNotification.objects.exists()


def test_a_dispatch_bug_does_not_undo_the_business_action_and_is_visible(catalogs, monkeypatch):
    def broken(entry):
        raise RuntimeError("template bug")

    tenant = tenant_on("partner", "basic")
    monkeypatch.setitem(
        dispatch.RULES,
        "case.replied",
        dispatch.Rule("cases", "s", "i", people=broken),  # type: ignore[arg-type]
    )
    entry = case_entry("case.replied", tenant)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    row = Outbox.objects.get(entry=entry)
    assert row.status == "failed" and "template bug" in row.last_error


def test_real_purchase_and_case_reach_the_customer_and_the_tam(catalogs):
    from supportplan.cases import services as cases

    tam = make_user(Role.TAM, email="tam@provider.example")
    tenant = make_tenant(language="en", tam=tam)
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant, email="admin@bank.example", language="en")
    from supportplan.subscriptions.tests.factories import buy

    buy(tenant, "partner", "vip", actor=admin)
    run_dispatch(T0)
    paid = Outbox.objects.get(rule="order.paid", address="admin@bank.example")
    assert paid.subject == "Payment received: VIP"
    assert Outbox.objects.filter(
        rule="subscription.activated", address="admin@bank.example"
    ).exists()

    from supportplan.accounts.services import system_register

    system = system_register(
        tenant=tenant, name="Core banking", classification="core_production", now=T0
    )
    case = cases.case_open(
        actor=admin, tenant=tenant, provider="partner", channel="ticket", severity="core_production_down",
        subject="Core banking down", description="All branches offline", now=T0, system=system,
    )  # fmt: skip
    run_dispatch(T0)
    opened = Outbox.objects.filter(rule="case.opened")
    assert set(opened.values_list("address", flat=True)) >= {"admin@bank.example"}
    assert (
        opened.get(address="admin@bank.example").subject
        == f"[Case #{case.pk}] Opened: Core banking down"
    )
    audit = AuditEntry.objects.get(action="case.opened")
    assert tam.pk in audit.data["notify"]  # an urgent severity tells the TAM at once
    assert InAppNotification.objects.filter(user=tam, rule="case.opened").exists()
    assert Outbox.objects.filter(rule="case.opened", address="tam@provider.example").exists()
