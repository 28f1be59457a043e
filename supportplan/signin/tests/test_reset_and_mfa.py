"""Password reset through the outbox and a real SMTP server; the second-factor requirement
with a real TOTP computation (pyotp)."""

import logging
import re
import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from supportplan.accounts.models import Role, User
from supportplan.core.testing import T0
from supportplan.notifications.models import Outbox
from supportplan.signin import policy
from supportplan.signin.models import MfaRequirement


@pytest.mark.django_db(transaction=True)
def test_password_reset_by_email_through_outbox_and_smtp(member, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client(
        HTTP_ACCEPT_LANGUAGE="zh-hans"
    )  # the reader's language wins: alice reads English
    response = client.post("/accounts/password/reset/", {"email": "alice@acme.example"})
    assert response.status_code == 302
    row = Outbox.objects.get(rule="signin.password_reset_key")
    assert (row.address, row.language, row.status) == ("alice@acme.example", "en", "sent")
    [message] = smtp.messages
    assert message["To"] == "alice@acme.example"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", text).group(0)
    assert "Password Reset" in message["Subject"]
    assert link.split("/key/")[1] not in caplog.text  # the link never reaches a log

    path = link.split("testserver", 1)[1] if "testserver" in link else "/" + link.split("/", 3)[3]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_path, {"password1": "new-zebra-staple-9", "password2": "new-zebra-staple-9"}
    )
    assert response.status_code == 302
    fresh = Client()
    response = fresh.post("/login/", {"login": "alice", "password": "new-zebra-staple-9"})
    assert response.status_code == 302 and fresh.session["_auth_user_id"] == str(member.pk)


def test_required_mfa_sends_the_person_to_set_it_up_then_totp_signs_in(member, tenant):
    # A code is accepted once (allauth marks it used): signing in again must use the next
    # 30-second window's code, which the product's tolerance of one window accepts now.
    admin = User.objects.create_user(
        "boss", password="x-boss-pass-1", role=Role.CUSTOMER_ADMIN, tenant=tenant
    )
    policy.mfa_requirement_set(actor=admin, tenant=tenant, required=True, now=T0)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/", {"login": "alice", "password": "right-horse-battery"})
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"

    page = client.get("/accounts/2fa/totp/activate/")
    assert page["Location"].startswith("/accounts/reauthenticate/")  # allauth asks again
    client.post(page["Location"], {"password": "right-horse-battery"})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=member, type="totp").exists()
    assert client.get("/").status_code == 200

    again = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = again.post("/login/", {"login": "alice", "password": "right-horse-battery"})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in again.session
    later = pyotp.TOTP(secret).at(int(time.time()) + 30)
    response = again.post("/accounts/2fa/authenticate/", {"code": later})
    assert response.status_code == 302 and again.session["_auth_user_id"] == str(member.pk)


def test_a_code_is_accepted_one_step_either_way_and_only_once(member):
    from allauth.mfa.totp.internal.auth import TOTP

    secret = pyotp.random_base32()
    totp = TOTP.activate(member, secret)
    if time.time() % 30 > 28:  # not as the window turns: the steps below are counted from now
        time.sleep(2.5)
    now = int(time.time())
    assert TOTP(totp.instance).validate_code(pyotp.TOTP(secret).at(now - 30))
    assert not TOTP(totp.instance).validate_code(pyotp.TOTP(secret).at(now + 90))
    code = pyotp.TOTP(secret).at(now + 30)
    assert TOTP(totp.instance).validate_code(code)
    assert not TOTP(totp.instance).validate_code(code)  # the same code again: a replay


def test_only_admins_set_the_requirement(member, tenant):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        policy.mfa_requirement_set(actor=member, tenant=tenant, required=True, now=T0)
    with pytest.raises(PermissionDenied):
        policy.mfa_requirement_set(actor=member, tenant=None, required=True, now=T0)
    staff_admin = User.objects.create_user("root", role=Role.PLATFORM_ADMIN)
    policy.mfa_requirement_set(actor=staff_admin, tenant=None, required=True, now=T0)
    assert MfaRequirement.objects.get(tenant=None).required is True
    engineer = User.objects.create_user("eng", role=Role.ENGINEER)
    assert policy.must_set_up_mfa(engineer) is True
    assert policy.must_set_up_mfa(member) is False
