"""SAML 2.0 sign-in per organisation (allauth's saml provider, python3-saml) against a real
SAML IdP (samlify, saml_idp/idp.js) on 127.0.0.1, over plain HTTP: the happy path, an IdP's
answer addressed to another organisation's app, a tampered and an unsigned assertion."""

import os
import re

import httpx
import pytest

from supportplan.accounts.models import Role, Tenant, User
from supportplan.core.testing import T0
from supportplan.signin.models import SsoConfig, SsoProtocol

from .saml_support import idp_answer, post_to_acs, response_xml, start_sign_in, with_xml

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

SIGNATURE_REFUSED = (
    "The identity provider's answer was not signed by this organisation's identity provider, "
    "or was changed after signing. You were not signed in."
)
NOT_FOR_THIS = (
    "The identity provider's answer was not meant for this sign-in (another organisation's "
    "address, expired or malformed). You were not signed in."
)


@pytest.fixture
def beta(db):
    return Tenant.objects.create(
        name="Beta", slug="beta", registered_email="it@beta.example", created_at=T0
    )


@pytest.fixture
def client(live_server):
    with httpx.Client(headers={"Accept-Language": "en"}) as c:
        yield c


def _alert(html: str) -> str:
    match = re.search(r'<p class="error" role="alert">([^<]*)</p>', html)
    assert match, html[:800]
    from html import unescape

    return unescape(match.group(1))


def test_first_saml_sign_in_creates_the_person_in_the_organisation_only(
    saml_idp, live_server, client, tenant, beta
):
    saml_idp.configure(tenant, "acme", ["acme.example"])
    saml_idp.configure(beta, "beta", ["beta.example"])

    idp_url = start_sign_in(client, live_server.url, "acme")
    assert idp_url.startswith(f"{saml_idp.sso_url('acme')}?SAMLRequest=")
    acs, posted = idp_answer(idp_url, "alice@acme.example")
    assert acs == f"{live_server.url}/accounts/saml/acme/acs/"
    done = post_to_acs(client, acs, posted)

    assert (done.status_code, done.headers.get("location")) == (302, "/")
    alice = User.objects.get(email="alice@acme.example")
    assert (alice.tenant, alice.role, alice.is_provider_staff, alice.language) == (
        tenant, Role.CUSTOMER_MEMBER, False, "zh-hans",
    )  # fmt: skip
    account = alice.socialaccount_set.get()
    assert (account.provider, account.uid) == ("sso-acme", "alice@acme.example")
    assert User.objects.filter(tenant=beta).count() == 0
    assert client.get(f"{live_server.url}/").status_code == 200  # signed in


def test_second_saml_sign_in_links_to_the_existing_person(saml_idp, live_server, client, member):
    saml_idp.configure(member.tenant, "acme", ["acme.example"])
    before = User.objects.count()

    acs, posted = idp_answer(start_sign_in(client, live_server.url, "acme"), member.email)
    done = post_to_acs(client, acs, posted)

    assert (done.status_code, done.headers.get("location")) == (302, "/")
    assert User.objects.count() == before
    assert member.socialaccount_set.get().provider == "sso-acme"


@pytest.mark.parametrize("claims_betas_entity_id", [False, True])
def test_acme_idps_answer_cannot_sign_anyone_into_beta(
    saml_idp, live_server, client, tenant, beta, claims_betas_entity_id
):
    """Acme's IdP (its own key) answers Beta's app for a beta.example address. Beta trusts
    only its own IdP: the issuer is not Beta's IdP; and if Beta's configuration names the
    same entity id (as a forger would claim), the signature is not by Beta's certificate.
    Either way nobody is created or signed in."""
    saml_idp.configure(tenant, "acme", ["acme.example"])
    betas = saml_idp.configure(beta, "beta", ["beta.example"])
    if claims_betas_entity_id:
        betas.saml_entity_id = saml_idp.entity_id("acme")
        betas.save()
    before = set(User.objects.values_list("pk", flat=True))

    idp_url = start_sign_in(client, live_server.url, "acme")
    acs, posted = idp_answer(idp_url, "eve@beta.example", sp="beta")
    assert acs == f"{live_server.url}/accounts/saml/beta/acs/"
    done = post_to_acs(client, acs, posted)

    assert done.status_code == 403
    assert _alert(done.text) == (SIGNATURE_REFUSED if claims_betas_entity_id else NOT_FOR_THIS)
    assert set(User.objects.values_list("pk", flat=True)) == before
    assert client.get(f"{live_server.url}/").status_code == 302  # to the sign-in page


def test_acmes_answer_replayed_at_betas_address_is_refused(
    saml_idp, live_server, client, tenant, beta
):
    """Beta trusts the same certificate (one IdP for both): Beta's address still refuses an
    answer whose destination and audience are Acme's."""
    saml_idp.configure(tenant, "acme", ["acme.example", "beta.example"])
    saml_idp.configure(beta, "beta", ["beta.example"], cert_of="acme")
    before = set(User.objects.values_list("pk", flat=True))

    acs, posted = idp_answer(start_sign_in(client, live_server.url, "acme"), "eve@beta.example")
    done = post_to_acs(client, f"{live_server.url}/accounts/saml/beta/acs/", posted)

    assert done.status_code == 403
    assert _alert(done.text) == NOT_FOR_THIS
    assert set(User.objects.values_list("pk", flat=True)) == before


def test_a_tampered_assertion_is_refused(saml_idp, live_server, client, tenant):
    saml_idp.configure(tenant, "acme", ["acme.example"])
    User.objects.create_user(
        "boss", email="boss@acme.example", role=Role.CUSTOMER_ADMIN, tenant=tenant
    )
    acs, posted = idp_answer(start_sign_in(client, live_server.url, "acme"), "zhang@acme.example")
    xml = response_xml(posted)
    assert xml.count("zhang@acme.example") == 2  # NameID and the e-mail attribute
    forged = with_xml(posted, xml.replace("zhang@acme.example", "boss@acme.example"))

    done = post_to_acs(client, acs, forged)

    assert done.status_code == 403
    assert _alert(done.text) == SIGNATURE_REFUSED
    assert not User.objects.filter(email="zhang@acme.example").exists()
    assert client.get(f"{live_server.url}/").status_code == 302  # boss not signed in


def test_an_unsigned_assertion_is_refused(saml_idp, live_server, client, tenant):
    saml_idp.configure(tenant, "acme", ["acme.example"])
    acs, posted = idp_answer(start_sign_in(client, live_server.url, "acme"), "alice@acme.example")
    xml = response_xml(posted)
    unsigned = re.sub(r"<ds:Signature .*?</ds:Signature>", "", xml, flags=re.S)
    assert "Signature" not in unsigned and unsigned != xml

    done = post_to_acs(client, acs, with_xml(posted, unsigned))

    assert done.status_code == 403
    assert _alert(done.text) == SIGNATURE_REFUSED
    assert not User.objects.filter(email="alice@acme.example").exists()


def test_refusal_is_in_the_readers_language(saml_idp, live_server, tenant):
    saml_idp.configure(tenant, "acme", ["acme.example"])
    with httpx.Client(headers={"Accept-Language": "zh-Hans"}) as client:
        acs, posted = idp_answer(
            start_sign_in(client, live_server.url, "acme"), "alice@acme.example"
        )
        forged = with_xml(posted, response_xml(posted).replace("Alice Liddell", "Mallory"))
        done = post_to_acs(client, acs, forged)
    assert done.status_code == 403
    assert _alert(done.text) == (
        "身份提供方的应答不是由本组织的身份提供方签名的，或在签名后被改动过。您没有登录。"
    )


def test_staff_saml_lands_a_provider_engineer(saml_idp, live_server, client, db):
    saml_idp.configure(None, "staff", ["provider.example"])

    acs, posted = idp_answer(
        start_sign_in(client, live_server.url, "staff"), "sam@provider.example"
    )
    done = post_to_acs(client, acs, posted)

    assert done.status_code == 302
    sam = User.objects.get(email="sam@provider.example")
    assert (sam.tenant, sam.role, sam.is_provider_staff) == (None, Role.ENGINEER, True)


def test_product_metadata_names_its_acs_for_the_idp_administrator(
    saml_idp, live_server, client, tenant
):
    saml_idp.configure(tenant, "acme", ["acme.example"])
    answer = client.get(f"{live_server.url}/accounts/saml/acme/metadata/")
    assert answer.status_code == 200
    assert f'entityID="{live_server.url}/accounts/saml/acme/metadata/"' in answer.text
    assert f'Location="{live_server.url}/accounts/saml/acme/acs/"' in answer.text


@pytest.mark.parametrize(
    "fields,errors",
    [
        (
            {},
            {
                "saml_entity_id": ["Required for this protocol."],
                "saml_sso_url": ["Required for this protocol."],
                "saml_x509cert": ["Required for this protocol."],
            },
        ),
        (
            {
                "saml_entity_id": "https://idp.example/",
                "saml_sso_url": "https://idp.example/sso",
                "saml_x509cert": "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----",
            },
            {"saml_x509cert": ["Not an X.509 certificate in PEM (or base64 DER) form."]},
        ),
    ],
)
def test_saml_configuration_is_checked(tenant, fields, errors):
    from django.core.exceptions import ValidationError

    config = SsoConfig(
        tenant=tenant, protocol=SsoProtocol.SAML, provider_id="acme", name="Acme", **fields
    )
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            config.full_clean()
        assert refused.value.message_dict == errors
