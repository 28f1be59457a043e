"""Two tenants and everything they can own, built once through the real services, for the
whole-product tenancy attack suites (test_tenancy_matrix, web test_tenancy_pages).

Tenant A ("alpha") is the attacker; tenant B ("zeta") is the victim. Every text B owns carries
the marker "zeta" so a response can be searched for a leak without knowing its shape.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings

from supportplan.subscriptions.selectors import current_agreement_version

# Monday 2026-11-23 10:00 Asia/Shanghai: plans bought on 2026-01-01 are in force.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MARK_B = "zeta"
MARK_A = "alpha"
# A word only B's case holds that is not the marker: pages that echo the query string back
# (links, search boxes) do not look like a leak when it is the search term.
SEARCH = {MARK_B: "quokka", MARK_A: "wombat"}


@dataclass
class World:
    now: datetime
    a: Any  # tenant A (attacker)
    b: Any  # tenant B (victim)
    a_admin: Any
    a_member: Any
    b_admin: Any
    b_member: Any
    staff: dict[str, Any]
    obj: dict[str, Any] = field(default_factory=dict)  # B's objects by kind
    own: dict[str, Any] = field(default_factory=dict)  # A's objects by kind (controls)
    media: str = ""


def _upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def _populate(now: datetime) -> World:
    from supportplan.accounts import services as accounts
    from supportplan.accounts.models import Role
    from supportplan.advisories import services as advisories
    from supportplan.bookings import services as bookings
    from supportplan.cases import attachments as case_files
    from supportplan.cases import services as cases
    from supportplan.cases.tests.factories import customer, load_catalogs
    from supportplan.core.testing import make_user
    from supportplan.notifications import services as notifications
    from supportplan.notifications.models import InAppNotification, Outbox
    from supportplan.reports import services as reports
    from supportplan.reports.data import Month
    from supportplan.subscriptions import services as subs
    from supportplan.subscriptions.models import Subscription

    load_catalogs()
    staff = {
        "admin": make_user(Role.PLATFORM_ADMIN, username="tw-admin", now=now),
        "manager": make_user(
            Role.SUPPORT_MANAGER, username="tw-mgr", handler_tier="senior_expert", now=now
        ),
        "tam": make_user(Role.TAM, username="tw-tam", now=now),
        "engineer": make_user(Role.ENGINEER, username="tw-eng", now=now),
    }
    a, a_admin, a_systems = customer("partner", "vip", tam=staff["tam"])
    b, b_admin, b_systems = customer("partner", "vip", tam=staff["tam"])
    accounts.tenant_update(tenant=a, actor=None, now=now, registered_email="it@alpha.example")
    accounts.tenant_update(
        tenant=b,
        actor=None,
        now=now,
        registered_email="it@zeta-victim.example",
        report_emails=["cfo@zeta-victim.example"],
        technical_contact_name="Zeta Contact",
    )
    # Names are read-only through the API; give B a marker name directly (not a workflow).
    type(b).objects.filter(pk=b.pk).update(name="Zeta Victim Holdings", slug="zeta-victim")
    type(a).objects.filter(pk=a.pk).update(name="Alpha Attacker Ltd")
    b.refresh_from_db()
    a.refresh_from_db()
    a_member = make_user(Role.CUSTOMER_MEMBER, tenant=a, username="alpha-member", now=now)
    b_member = make_user(Role.CUSTOMER_MEMBER, tenant=b, username="zeta-member", now=now)

    w = World(now, a, b, a_admin, a_member, b_admin, b_member, staff)
    w.obj["tenant"] = b
    w.own["tenant"] = a
    w.obj["system"] = accounts.system_register(
        tenant=b, name="zeta core ledger", classification="core_production", now=now
    )
    w.own["system"] = a_systems["production"]
    w.obj["cloud_account"] = accounts.cloud_account_add(
        tenant=b, cloud="huawei", account_id="zeta-hw-1", display_name="zeta hw", now=now
    )

    def open_case(tenant: Any, user: Any, system: Any, mark: str) -> Any:
        case = cases.case_open(
            actor=user,
            tenant=tenant,
            provider="partner",
            channel="ticket",
            severity="production_down",
            subject=f"{mark} database down",
            description=f"{mark} ledger refuses connections ({SEARCH[mark]})",
            system=system,
            now=now,
        )
        cases.case_reply(actor=user, case=case, body=f"{mark} more detail", now=now)
        return case

    w.obj["case"] = open_case(b, b_member, w.obj["system"], MARK_B)
    w.own["case"] = open_case(a, a_member, a_systems["production"], MARK_A)
    w.obj["attachment"] = case_files.case_attach(
        actor=b_member, case=w.obj["case"], upload=_upload("zeta.txt", "zeta secret"), now=now
    )
    w.own["attachment"] = case_files.case_attach(
        actor=a_member, case=w.own["case"], upload=_upload("alpha.txt", "alpha"), now=now
    )

    # A pending order (bank transfer waiting for staff) gives B an order and a payment.
    order = subs.order_place(
        tenant=b,
        actor=b_admin,
        provider_code="tencent",
        plan_code="s3",
        term="monthly",
        count=1,
        now=now,
    )
    subs.order_accept_agreement(
        order=order, actor=b_admin, version=current_agreement_version(order.provider_code), now=now
    )
    w.obj["payment"] = subs.order_pay(order=order, actor=b_admin, method="bank_transfer", now=now)
    w.obj["order"] = order
    w.obj["subscription"] = Subscription.objects.get(tenant=b, provider_code="partner")
    w.own["subscription"] = Subscription.objects.get(tenant=a, provider_code="partner")

    w.obj["booking"] = bookings.booking_request(
        tenant=b,
        actor=b_member,
        service_code="escort",
        start_date=date(2026, 12, 14),
        days="1",
        event_kind="launch",
        event_description="zeta launch",
        now=now,
    )
    w.own["booking"] = bookings.booking_request(
        tenant=a,
        actor=a_member,
        service_code="escort",
        start_date=date(2026, 12, 15),
        days="1",
        event_kind="launch",
        event_description="alpha launch",
        now=now,
    )

    w.obj["data_source"] = reports.data_source_add(
        tenant=b, kind="demo", settings={"seed": "zeta", "instances": 2}, now=now
    )
    w.obj["report"] = reports.report_generate(tenant=b, month=Month(2026, 10), now=now).report
    assert w.obj["report"].pdf_file, "B's report must be READY with a PDF for the attack"

    w.obj["robot"] = notifications.robot_add(
        actor=b_admin,
        tenant=b,
        platform="wecom",
        name="zeta ops group",
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=zeta-secret",
        now=now,
    )
    w.obj["software"] = advisories.software_add(
        actor=b_admin, tenant=b, name="zetasoft", version="1.0", system=w.obj["system"], now=now
    )
    advisory = advisories.advisory_create(
        actor=staff["manager"],
        kind="security_vulnerability",
        severity="critical",
        title={"zh-hans": "zeta 漏洞", "en": "zeta vulnerability"},
        body={"zh-hans": "zeta 华为云", "en": "zeta on huawei"},
        clouds=["huawei"],
        contact_within=timedelta(hours=2),
        now=now,
    )
    targets = advisories.advisory_publish(actor=staff["manager"], advisory=advisory, now=now)
    assert [t.tenant_id for t in targets] == [b.pk], "the advisory must reach B only"
    # Enterprise care: B's people are told once their TAM has reached them.
    w.obj["advisory_target"] = advisories.advisory_record_contact(
        actor=staff["tam"], target=targets[0], note="zeta called", now=now
    )
    w.obj["advisory"] = advisory
    # What the notification dispatch task does once these events commit (tests never commit).
    notifications.dispatch_pending(now=now)

    notice = InAppNotification.objects.filter(tenant=b).order_by("pk").first()
    assert notice is not None, "B's people must have a notice in the message centre"
    w.obj["notification"] = notice
    outbox = Outbox.objects.filter(tenant=b).order_by("pk").first()
    assert outbox is not None, "B must have outgoing messages in the delivery log"
    w.obj["outbox"] = outbox
    from supportplan.compat.keys import access_key_create

    w.obj["access_key"] = access_key_create(
        actor=None, user=b_admin, now=now, description=f"{MARK_B} backup script"
    ).key
    from supportplan.accounts.api_keys import api_key_create

    w.obj["api_key"] = api_key_create(
        actor=None, user=b_admin, scope="full", days=30, now=now, name=f"{MARK_B} deploy script"
    ).key
    from supportplan.signin.invitations import invitation_send

    w.obj["invitation"] = invitation_send(
        actor=b_admin, tenant=b, email="quokka@zeta-victim.example", role="customer_member",
        now=now,
    )  # fmt: skip
    from supportplan.integrations.services import alert_receiver_create

    w.obj["alert_receiver"] = alert_receiver_create(
        actor=b_admin,
        tenant=b,
        name=f"{MARK_B} prometheus",
        default_severity="system_abnormal",
        provider="partner",
        now=now,
    ).receiver
    from supportplan.integrations.im_setup import im_group_connect

    w.obj["im_group"] = im_group_connect(
        actor=b_admin, tenant=b, platform="welink", name=f"{MARK_B} welink group",
        secrets={"app_secret": f"{MARK_B}-welink-secret"}, chat_id=f"{MARK_B}-chat", now=now, provider="partner",
    ).group  # fmt: skip
    return w


@contextlib.contextmanager
def world_context(django_db_blocker: Any) -> Iterator[World]:
    """Build the world once inside a transaction that is rolled back at the end; the tests'
    own transactions nest inside it as savepoints."""
    from supportplan.core import clock

    media = tempfile.TemporaryDirectory(prefix="tenancy-media-")
    with contextlib.ExitStack() as stack:
        stack.enter_context(media)
        stack.enter_context(
            override_settings(
                MEDIA_ROOT=media.name,
                SUPPORTPLAN_PAYMENT_PROVIDERS=["bank_transfer", "test"],
                NOTIFICATIONS_ROBOT_EXTRA_HOSTS=["127.0.0.1"],
            )
        )
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        mp.setattr(clock, "now", lambda: NOW)
        stack.enter_context(django_db_blocker.unblock())
        with transaction.atomic():
            world = _populate(NOW)
            world.media = media.name
            yield world
            transaction.set_rollback(True)


# --------------------------------------------------------------------------- change detection

# Sessions change with every sign-in; the rest is reference data no request writes (and the
# large holiday tables would only slow the comparison down).
_SKIP_MODELS = {
    "sessions.session",
    "admin.logentry",
    "contenttypes.contenttype",
    "auth.permission",
    "calendars.holidayday",
    "calendars.holidayyear",
}


def _models() -> list[Any]:
    return [
        m
        for m in apps.get_models()
        if m._meta.label_lower not in _SKIP_MODELS and not m._meta.proxy and m._meta.managed
    ]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the product owns (the world is small): a write that slipped
    through anywhere shows up as a difference."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for model in _models():
        names = [f.attname for f in model._meta.concrete_fields]
        out[model._meta.label_lower] = list(model._base_manager.order_by("pk").values_list(*names))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changed = []
    for label, rows in after.items():
        old = before.get(label, [])
        if rows != old:
            added = len(rows) - len(old)
            changed.append(f"{label}: {len(old)} -> {len(rows)} rows ({added:+d})")
    return changed


def b_markers(world: World) -> list[str]:
    """Strings that only tenant B's data contains."""
    from supportplan.subscriptions.models import Order

    if "markers" not in world.obj:
        orders = Order.objects.filter(tenant=world.b)
        world.obj["markers"] = [MARK_B, *(o.number.lower() for o in orders)]
    return list(world.obj["markers"])


def mentions_b(payload: Any, world: World) -> list[str]:
    """Where `payload` (decoded JSON or text) shows tenant B's data."""
    found: list[str] = []
    markers = b_markers(world)

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("tenant", "tenant_id") and inner == world.b.pk:
                    found.append(f"{path}.{key}={inner}")
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for n, inner in enumerate(value):
                walk(inner, f"{path}[{n}]")
        elif isinstance(value, str):
            low = value.lower()
            hits = [m for m in markers if m in low]
            if hits:
                found.append(f"{path}: {hits} in {value[:80]!r}")

    walk(payload, "$")
    return found
