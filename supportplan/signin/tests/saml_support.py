"""The test SAML IdP (saml_idp/idp.js, samlify) as a pytest fixture, and the steps of a SAML
sign-in over plain HTTP (httpx against the live server), for the SAML tests."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from supportplan.signin.models import SsoConfig, SsoProtocol
from supportplan.signin.tests.node_idp import running_idp

IDP_DIR = Path(__file__).parent / "saml_idp"
SLUGS = ("acme", "beta", "staff")


def key_and_cert(common_name: str) -> tuple[str, str]:
    """A fresh RSA key and self-signed certificate, as an IdP's signing pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650 * 3))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class SamlIdp:
    base: str
    certs: dict[str, str]

    def entity_id(self, slug: str) -> str:
        return f"{self.base}/{slug}"

    def sso_url(self, slug: str) -> str:
        return f"{self.base}/{slug}/sso"

    def configure(self, tenant, slug: str, domains: list[str], *, cert_of: str = "") -> SsoConfig:
        """The SsoConfig an administrator would enter for IdP `slug` (its certificate, or
        another IdP's with `cert_of`)."""
        config = SsoConfig(
            tenant=tenant,
            protocol=SsoProtocol.SAML,
            provider_id=slug,
            name=f"{slug.title()} SAML",
            saml_entity_id=self.entity_id(slug),
            saml_sso_url=self.sso_url(slug),
            saml_x509cert=self.certs[cert_of or slug],
            email_domains=domains,
        )
        config.full_clean()
        config.save()
        return config


@pytest.fixture(scope="module")
def saml_idp(live_server, tmp_path_factory):
    """`node idp.js` on a free port: one IdP per slug, each with its own signing key."""
    pairs = {slug: key_and_cert(f"test IdP {slug}") for slug in SLUGS}
    config_file = tmp_path_factory.mktemp("saml_idp") / "config.json"
    config_file.write_text(json.dumps({s: {"key": k, "cert": c} for s, (k, c) in pairs.items()}))
    with running_idp(
        IDP_DIR, package="samlify", what="SAML IdP", args=[live_server.url, str(config_file)],
        probe="/health", ready=lambda body, _base: body == b"ok",
    ) as base:  # fmt: skip
        yield SamlIdp(base=base, certs={slug: cert for slug, (_, cert) in pairs.items()})


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in {html[:500]}"
    return unescape(match.group(1))


def start_sign_in(client: httpx.Client, base: str, slug: str) -> str:
    """The product's SAML sign-in button (allauth asks for a POST): the IdP URL it sends to."""
    form = client.get(f"{base}/accounts/saml/{slug}/login/")
    assert form.status_code == 200, form.text[:300]
    answer = client.post(
        f"{base}/accounts/saml/{slug}/login/",
        data={"csrfmiddlewaretoken": _hidden(form.text, "csrfmiddlewaretoken")},
        headers={"Referer": f"{base}/accounts/saml/{slug}/login/"},
    )
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["location"]


def idp_answer(idp_url: str, email: str, *, sp: str = "") -> tuple[str, dict[str, str]]:
    """Sign in on the IdP's page: the ACS address and the form the IdP's page would post."""
    with httpx.Client() as idp:
        page = idp.get(idp_url + (f"&sp={sp}" if sp else ""))
        assert page.status_code == 200, page.text[:300]
        fields = {"email": email, "SAMLRequest": _hidden(page.text, "SAMLRequest")}
        if 'name="RelayState"' in page.text:
            fields["RelayState"] = _hidden(page.text, "RelayState")
        if sp:
            fields["sp"] = sp
        login_path = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert login_path
        base = idp_url.split("/", 3)
        done = idp.post(f"{base[0]}//{base[2]}{login_path.group(1)}", data=fields)
        assert done.status_code == 200, done.text[:500]
    acs = unescape(re.search(r'<form id="saml" method="post" action="([^"]+)"', done.text).group(1))  # type: ignore[union-attr]
    posted = {"SAMLResponse": _hidden(done.text, "SAMLResponse")}
    if 'name="RelayState"' in done.text:
        posted["RelayState"] = _hidden(done.text, "RelayState")
    return acs, posted


def post_to_acs(client: httpx.Client, acs: str, posted: dict[str, str]) -> httpx.Response:
    """What the IdP's auto-submitting page does, then allauth's redirect to its finish step."""
    answer = client.post(acs, data=posted)
    assert answer.status_code == 302, answer.text[:300]
    return client.get(str(httpx.URL(acs).join(answer.headers["location"])))


def response_xml(posted: dict[str, str]) -> str:
    return base64.b64decode(posted["SAMLResponse"]).decode()


def with_xml(posted: dict[str, str], xml: str) -> dict[str, str]:
    return {**posted, "SAMLResponse": base64.b64encode(xml.encode()).decode()}
