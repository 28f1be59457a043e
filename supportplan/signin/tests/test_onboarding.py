"""Onboarding without the admin site: staff create an organisation and invite its
administrator (the e-mail goes through the outbox and a real SMTP server, in the
organisation's language); the invited person follows the link and joins; invitations expire,
are re-sent and withdrawn; self-registration waits for staff approval before any case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from supportplan.accounts import services as accounts
from supportplan.accounts.models import CloudAccount, Role, Tenant, User
from supportplan.core import clock
from supportplan.core.errors import DomainError
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_tenant, make_user
from supportplan.signin import invitations
from supportplan.signin.models import Invitation


def link_path(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"/invitations/[\w-]+/", text).group(0)


def signed_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_business_manager_onboards_an_organisation_and_its_admin_joins(smtp, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    from supportplan.cases.tests.factories import load_catalogs

    load_catalogs()
    manager = make_user(Role.BUSINESS_MANAGER, username="biz", language="en")
    tam = make_user(Role.TAM, username="tam-li")
    response = signed_in(manager).post(
        reverse("web:console_onboarding"),
        {
            "name": "Jinhai Bank",
            "registered_email": "it@jinhai.example",
            "language": "zh-hans",
            "technical_contact_name": "Wang Wei",
            "technical_contact_email": "ops@jinhai.example",
            "cloud_accounts": "huawei hw-001\ntencent 1000123",
            "tam": tam.pk,
            "business_manager": manager.pk,
            "admin_email": "Admin@Jinhai.example",
        },
    )
    assert response.status_code == 302, re.findall(
        r"errorlist[^<]*<li>([^<]*)", response.content.decode()
    )
    tenant = Tenant.objects.get(name="Jinhai Bank")
    assert (tenant.tam, tenant.business_manager, tenant.technical_contact_name) == (
        tam, manager, "Wang Wei",
    )  # fmt: skip
    assert sorted(CloudAccount.objects.filter(tenant=tenant).values_list("cloud", "account_id")) == [
        ("huawei", "hw-001"), ("tencent", "1000123"),
    ]  # fmt: skip
    [message] = smtp.messages
    assert message["To"] == "admin@jinhai.example"
    assert message["Subject"] == "邀请您加入 supportplan 上的 Jinhai Bank"
    path = link_path(message)
    key = path.split("/")[2]
    assert not Invitation.objects.filter(key_hash__contains=key).exists()  # only a fingerprint

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == reverse("web:invitation_accept")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Jinhai Bank" in page.content.decode()
    response = client.post(
        reverse("web:invitation_accept"),
        {"username": "jinhai-admin", "first_name": "Li", "last_name": "Na",
         "password1": "Quiet-River-2026", "password2": "Quiet-River-2026"},
    )  # fmt: skip
    assert response.status_code == 302
    person = User.objects.get(username="jinhai-admin")
    assert (person.role, person.tenant, person.email, person.language) == (
        Role.CUSTOMER_ADMIN, tenant, "admin@jinhai.example", "zh-hans",
    )  # fmt: skip
    assert EmailAddress.objects.get(user=person).verified
    assert client.session["_auth_user_id"] == str(person.pk)
    invitation = Invitation.objects.get()
    assert [
        (e.action, e.actor_id)
        for e in AuditEntry.objects.filter(action__startswith="invitation.").order_by("pk")
    ] == [("invitation.sent", manager.pk), ("invitation.accepted", person.pk)]
    assert AuditEntry.objects.get(action="invitation.accepted").data == {
        "email": "admin@jinhai.example", "role": "customer_admin", "user_id": person.pk,
    }  # fmt: skip
    # the link is used up
    again = Client()
    again.get(path)
    response = again.get(reverse("web:invitation_accept"))
    assert response.status_code == 404
    assert invitation.state_at(T0) == "accepted"
    assert key not in caplog.text  # the link never reaches a log


@pytest.mark.django_db
def test_only_account_management_roles_onboard():
    engineer = make_user(Role.ENGINEER, username="eng")
    response = signed_in(engineer).post(reverse("web:console_onboarding"), {"name": "X"})
    assert response.status_code == 403
    assert not Tenant.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_onboarding_form_errors_are_clear_and_nothing_is_half_made():
    manager = make_user(Role.SUPPORT_MANAGER, username="mgr", language="en")
    existing = make_tenant("Taken Ltd")
    response = signed_in(manager).post(
        reverse("web:console_onboarding"),
        {"name": "Taken Ltd", "registered_email": "a@b.example", "language": "en",
         "admin_email": "boss@b.example", "cloud_accounts": "mars 1"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Line 1: write the cloud" in response.content.decode()
    response = signed_in(manager).post(
        reverse("web:console_onboarding"),
        {"name": "Taken Ltd", "registered_email": "a@b.example", "language": "en",
         "admin_email": "boss@b.example"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "A tenant named Taken Ltd already exists." in response.content.decode()
    assert Tenant.objects.filter(name="Taken Ltd").get() == existing
    assert not Invitation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_expired_invitation_is_resent_with_a_new_link(smtp, monkeypatch):
    tenant = make_tenant("Acme", language="en")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant, username="acme-admin", language="en")
    client = signed_in(admin)
    response = client.post(
        reverse("web:org_invite"),
        {"invite-email": "carol@acme.example", "invite-role": "customer_member",
         "invite-language": "en"},
    )  # fmt: skip
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    first = link_path(smtp.messages[0])
    assert smtp.messages[0]["Subject"] == "You are invited to Acme on supportplan"

    later = invitation.expires_at + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    visitor.get(first)
    response = visitor.get(reverse("web:invitation_accept"))
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert "Expired" in client.get(reverse("web:org")).content.decode()

    response = client.post(reverse("web:org_invitation", args=[invitation.pk, "resend"]))
    assert response.status_code == 302
    second = link_path(smtp.messages[1])
    assert second != first
    visitor.get(first)
    assert visitor.get(reverse("web:invitation_accept")).status_code == 404
    visitor.get(second)
    assert visitor.get(reverse("web:invitation_accept")).status_code == 200
    resent = AuditEntry.objects.get(action="invitation.resent")
    assert (resent.actor_id, resent.data["email"]) == (admin.pk, "carol@acme.example")


@pytest.mark.django_db
def test_member_cannot_invite_and_withdrawn_links_stop(settings):
    tenant = make_tenant("Acme")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant, username="acme-admin", language="en")
    member = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, username="acme-bob")
    signed_in(member).post(
        reverse("web:org_invite"),
        {
            "invite-email": "x@acme.example",
            "invite-role": "customer_admin",
            "invite-language": "en",
        },
    )
    assert not Invitation.objects.exists()
    invitation = invitations.invitation_send(
        actor=admin, tenant=tenant, email="dan@acme.example", role="customer_member", now=T0
    )
    with pytest.raises(DomainError) as exc:
        invitations.invitation_send(
            actor=admin, tenant=tenant, email="DAN@acme.example", role="customer_member", now=T0
        )
    assert exc.value.code == "invitation.pending"
    with pytest.raises(DomainError) as exc:
        invitations.invitation_send(
            actor=admin, tenant=tenant, email=member.email, role="customer_member", now=T0
        )
    assert exc.value.code == "invitation.email_taken"
    signed_in(admin).post(reverse("web:org_invitation", args=[invitation.pk, "withdraw"]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    other = make_user(Role.CUSTOMER_ADMIN, username="other-admin")
    response = signed_in(other).post(reverse("web:org_invitation", args=[invitation.pk, "resend"]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_sign_up_is_closed_unless_the_provider_enables_it(settings):
    settings.ACCOUNT_ALLOW_SIGNUPS = False
    response = Client().post(
        "/accounts/signup/",
        {"organisation": "Sneaky", "email": "a@sneaky.example", "username": "sneak",
         "password1": "Quiet-River-2026", "password2": "Quiet-River-2026"},
    )  # fmt: skip
    assert not User.objects.filter(username="sneak").exists()
    assert not Tenant.objects.filter(name="Sneaky").exists()
    assert response.status_code == 200


@pytest.mark.django_db
def test_self_registered_organisation_waits_for_verification_and_approval(settings):
    from supportplan.cases import services as cases
    from supportplan.cases.tests.factories import load_catalogs

    load_catalogs()
    settings.ACCOUNT_ALLOW_SIGNUPS = True
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/accounts/signup/",
        {"organisation": "Nova Retail", "email": "cto@nova.example", "username": "nova-cto",
         "password1": "Quiet-River-2026", "password2": "Quiet-River-2026"},
    )  # fmt: skip
    assert response.status_code == 302
    person = User.objects.get(username="nova-cto")
    tenant = person.tenant
    assert (tenant.name, tenant.awaiting_approval, person.role) == (
        "Nova Retail", True, Role.CUSTOMER_ADMIN,
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="tenant.registered", tenant=tenant).count() == 1
    with pytest.raises(DomainError) as exc:
        cases.case_open(
            actor=person, tenant=tenant, provider="partner", channel="ticket",
            severity="general_guidance", subject="hello", description="first", now=T0,
        )  # fmt: skip
    assert exc.value.code == "case.organisation_pending"
    assert "waiting for the provider's approval" in exc.value.message

    manager = make_user(Role.SUPPORT_MANAGER, username="mgr", language="en")
    staff = signed_in(manager)
    page = staff.get(reverse("web:console_onboarding")).content.decode()
    assert "Nova Retail" in page
    response = staff.post(reverse("web:console_tenant_approve", args=[tenant.pk]), follow=True)
    assert "has not verified their e-mail address" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.awaiting_approval
    EmailAddress.objects.filter(user=person).update(verified=True)
    staff.post(reverse("web:console_tenant_approve", args=[tenant.pk]))
    tenant.refresh_from_db()
    assert not tenant.awaiting_approval
    entry = AuditEntry.objects.get(action="tenant.approved")
    assert (entry.actor_id, entry.tenant_id) == (manager.pk, tenant.pk)


@pytest.mark.django_db
def test_accept_refuses_a_weak_password_on_the_form():
    tenant = make_tenant("Acme")
    invitations.invitation_send(
        actor=None, tenant=tenant, email="eve@acme.example", role="customer_member", now=T0
    )
    invitation = Invitation.objects.get()
    key = "known-key"
    Invitation.objects.filter(pk=invitation.pk).update(
        key_hash=invitations._digest(key), expires_at=clock.now() + timedelta(days=1)
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get(f"/invitations/{key}/")
    response = client.post(
        reverse("web:invitation_accept"),
        {"username": "eve", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="eve").exists()
    assert accounts  # the services module is the one write path (imported for readers)


@pytest.mark.django_db
def test_single_sign_on_sign_up_form_asks_no_organisation():
    """allauth builds the SSO sign-up form on ACCOUNT_SIGNUP_FORM_CLASS too; there the IdP's
    organisation places the person, so no organisation is asked (nor created)."""
    from allauth.socialaccount.forms import SignupForm as SsoSignupForm
    from allauth.socialaccount.models import SocialAccount, SocialLogin

    login = SocialLogin(user=User(email="a@acme.example"), account=SocialAccount(provider="x"))
    assert "organisation" not in SsoSignupForm(sociallogin=login).fields
    from supportplan.signin.forms import SignupForm

    assert "organisation" in SignupForm().fields
