"""A WebAuthn security key, end to end through allauth.mfa's real pages and fido2's real
verification: a software authenticator (an ES256 key made here, "none" attestation) is added
as a second factor, then answers the sign-in challenge; a wrong signature is refused."""

from __future__ import annotations

import hashlib
import json
import os
import struct

import pytest
from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from fido2 import cbor
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode

RP_ID = "testserver"  # the Django test client's host, which allauth uses as the RP id
ORIGIN = "http://testserver"


class SoftKey:
    """One credential of a software authenticator (user presence always given)."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": False}
        ).encode()

    def _auth_data(self, attested: bytes = b"") -> bytes:
        self.counter += 1
        flags = 0x01 | (0x40 if attested else 0)  # user present, attested credential data
        return (
            hashlib.sha256(RP_ID.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", self.counter)
            + attested
        )

    def register(self, options: dict) -> dict:
        assert options["publicKey"]["rp"]["id"] == RP_ID
        public = cbor.encode(dict(ES256.from_cryptography_key(self.private.public_key())))
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth_data = self._auth_data(attested + public)
        attestation = cbor.encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["publicKey"]["challenge"])
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(attestation),
            },
            "clientExtensionResults": {},
        }

    def sign(self, options: dict, *, tamper: bool = False) -> dict:
        allowed = [websafe_decode(c["id"]) for c in options["publicKey"]["allowCredentials"]]
        assert self.credential_id in allowed
        client_data = self._client_data("webauthn.get", options["publicKey"]["challenge"])
        auth_data = self._auth_data()
        signature = self.private.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        if tamper:
            auth_data = auth_data[:-1] + bytes([auth_data[-1] ^ 1])
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(auth_data),
                "signature": websafe_encode(signature),
            },
            "clientExtensionResults": {},
        }


def _js_data(response) -> dict:
    return response.context["js_data"]


@pytest.fixture
def insecure_origin(settings):
    """The test client speaks plain http (SUPPORTPLAN_WEBAUTHN_INSECURE_ORIGIN=1)."""
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


def test_security_key_is_added_and_then_signs_in(member, insecure_origin):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert (
        client.post("/login/", {"login": "alice", "password": "right-horse-battery"}).status_code
        == 302
    )
    page = client.get("/accounts/2fa/webauthn/add/")
    if page.status_code == 302:  # allauth asks for the password again before adding a key
        client.post(page["Location"], {"password": "right-horse-battery"})
        page = client.get("/accounts/2fa/webauthn/add/")
    assert page.status_code == 200
    key = SoftKey()
    credential = key.register(_js_data(page)["creation_options"])
    response = client.post(
        "/accounts/2fa/webauthn/add/", {"name": "desk key", "credential": json.dumps(credential)}
    )
    assert response.status_code == 302, response.context["form"].errors
    stored = Authenticator.objects.get(user=member, type=Authenticator.Type.WEBAUTHN)
    assert stored.wrap().name == "desk key"

    # a new sign-in now needs the key
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = other.post("/login/", {"login": "alice", "password": "right-horse-battery"})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    page = other.get("/accounts/2fa/authenticate/")
    options = _js_data(page)["request_options"]
    bad = other.post(
        "/accounts/2fa/authenticate/",
        {"credential": json.dumps(key.sign(options, tamper=True))},
    )
    assert "_auth_user_id" not in other.session
    assert bad.status_code == 200
    page = other.get("/accounts/2fa/authenticate/")
    response = other.post(
        "/accounts/2fa/authenticate/",
        {"credential": json.dumps(key.sign(_js_data(page)["request_options"]))},
    )
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(member.pk)
