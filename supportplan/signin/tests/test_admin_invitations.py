"""Invitations in the Django admin: listed and searched; re-send and withdraw are admin actions
that call signin.invitations (permission check, audit entry, a new e-mail through the real
SMTP path), never a second write path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from supportplan.accounts.models import Role
from supportplan.core import clock
from supportplan.core.models import AuditEntry
from supportplan.core.testing import make_tenant, make_user
from supportplan.signin import invitations
from supportplan.signin.models import Invitation

from .test_onboarding import link_path

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "admin:signin_invitation_changelist"


@pytest.fixture
def world(smtp):
    acme = make_tenant("Acme", language="en")
    beta = make_tenant("Beta", language="zh-hans")
    root = make_user(Role.PLATFORM_ADMIN, username="root-admin", language="en")
    now = clock.now()
    carol = invitations.invitation_send(
        actor=root, tenant=acme, email="carol@acme.example", role=Role.CUSTOMER_MEMBER, now=now
    )
    dave = invitations.invitation_send(
        actor=root, tenant=beta, email="dave@beta.example", role=Role.CUSTOMER_ADMIN, now=now
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(root)
    return {"root": root, "carol": carol, "dave": dave, "client": client, "smtp": smtp}


def _rows(html: str) -> list[str]:
    import re

    return re.findall(r'<th class="field-email"><a href="[^"]+">([^<]+)</a>', html)


def test_invitations_are_listed_and_searched_by_address_and_organisation(world):
    client = world["client"]
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert sorted(_rows(page)) == ["carol@acme.example", "dave@beta.example"]
    assert '<td class="field-state">pending</td>' in page
    assert _rows(client.get(reverse(CHANGELIST), {"q": "beta"}).content.decode()) == [
        "dave@beta.example"
    ]
    assert _rows(client.get(reverse(CHANGELIST), {"q": "carol@"}).content.decode()) == [
        "carol@acme.example"
    ]
    # nothing to add or delete by hand, and the link's key is not shown
    assert client.get(reverse("admin:signin_invitation_add")).status_code == 403
    detail = client.get(reverse("admin:signin_invitation_change", args=[world["carol"].pk]))
    assert detail.status_code == 200 and "key_hash" not in detail.content.decode()


def test_resend_from_the_admin_sends_a_new_link_and_is_audited(world, monkeypatch):
    carol, client, smtp = world["carol"], world["client"], world["smtp"]
    first = link_path(smtp.messages[0])
    later = carol.expires_at + timedelta(hours=1)  # expired: the case re-sending is for
    monkeypatch.setattr(clock, "now", lambda: later)
    assert (
        '<td class="field-state">expired</td>' in client.get(reverse(CHANGELIST)).content.decode()
    )

    answer = client.post(
        reverse(CHANGELIST), {"action": "resend", "_selected_action": [str(carol.pk)]}, follow=True
    )

    assert "1 re-sent." in answer.content.decode()
    carol.refresh_from_db()
    assert (carol.sent_at, carol.expires_at) == (later, later + timedelta(days=7))
    assert [m["To"] for m in smtp.messages] == [
        "carol@acme.example", "dave@beta.example", "carol@acme.example",
    ]  # fmt: skip
    assert link_path(smtp.messages[2]) != first
    entry = AuditEntry.objects.get(action="invitation.resent")
    assert (entry.actor_id, entry.tenant_id, entry.data["email"]) == (
        world["root"].pk, carol.tenant_id, "carol@acme.example",
    )  # fmt: skip


def test_withdraw_from_the_admin_closes_the_link_and_is_audited(world, monkeypatch):
    carol, dave, client = world["carol"], world["dave"], world["client"]
    at = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: at)

    answer = client.post(
        reverse(CHANGELIST),
        {"action": "withdraw", "_selected_action": [str(carol.pk), str(dave.pk)]},
        follow=True,
    )

    assert "2 withdrawn." in answer.content.decode()
    assert set(Invitation.objects.values_list("email", "revoked_at")) == {
        ("carol@acme.example", at),
        ("dave@beta.example", at),
    }
    assert sorted(
        AuditEntry.objects.filter(action="invitation.withdrawn").values_list(
            "data__email", flat=True
        )
    ) == ["carol@acme.example", "dave@beta.example"]

    # a closed invitation is refused by the service, and the admin says so per row
    again = client.post(
        reverse(CHANGELIST), {"action": "resend", "_selected_action": [str(carol.pk)]}, follow=True
    )
    assert (
        '<li class="error">This invitation was already accepted or withdrawn. '
        "(carol@acme.example)</li>" in again.content.decode()
    )
    assert AuditEntry.objects.filter(action="invitation.resent").count() == 0
