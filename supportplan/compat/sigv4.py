"""Verify AWS Signature Version 4 with botocore's own signer (never a re-derivation).

The request is rebuilt from what the client signed (method, path, query, the signed headers,
the body) and signed again with the stored secret at the client's own timestamp; the two
signatures must be equal. Clock skew beyond five minutes and a signature seen before (a
replay) are refused, as AWS refuses them.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from .keys import secret_of
from .models import AccessKey, SeenSignature

MAX_SKEW = timedelta(minutes=5)
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s]+)/(?P<date>\d{8})/(?P<region>[^/\s]+)/"
    r"(?P<service>[^/\s]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Refused(Exception):
    code: str  # AWS's own error type, e.g. InvalidSignatureException
    message: str
    status: int = 400


def verify(
    request: HttpRequest, body: bytes, *, service: str, now: datetime, once: bool = True
) -> AccessKey:
    """The key that signed `request`; `once`: refuse a signature seen before (writes)."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise Refused("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    match = _AUTH.match(header.strip())
    if match is None:
        raise Refused(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
            "of an AWS4-HMAC-SHA256 signature.",
        )
    amz_date = request.headers.get("X-Amz-Date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Refused(
            "IncompleteSignatureException", "The X-Amz-Date header is missing or not a date."
        ) from None
    if match["service"] != service or match["date"] != amz_date[:8]:
        raise Refused(
            "InvalidSignatureException", "Credential should be scoped to a valid service and date."
        )
    if abs(now - signed_at) > MAX_SKEW:
        raise Refused(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than "
            f"{(now - MAX_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
            f"({now.strftime('%Y%m%dT%H%M%SZ')} - 5 min.)"
            if signed_at < now
            else f"Signature not yet current: {amz_date} is still later than "
            f"{(now + MAX_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
            f"({now.strftime('%Y%m%dT%H%M%SZ')} + 5 min.)",
        )
    key = (
        AccessKey.objects.select_related("user", "user__tenant")
        .filter(access_key_id=match["key"])
        .first()
    )
    if key is None or not key.user.is_active or key.revoked_at is not None:
        raise Refused(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    if not key.usable_at(now):
        raise Refused(
            "ExpiredTokenException", "The security token included in the request is expired."
        )

    signed = match["headers"].split(";")
    headers = {}
    for name in signed:
        value = request.headers.get(name)
        if value is None:
            raise Refused("InvalidSignatureException", f"The signed header {name} is missing.")
        headers[name] = value
    url = f"{request.scheme}://{request.headers.get('Host', '')}{request.get_full_path()}"
    rebuilt = AWSRequest(method=request.method, url=url, data=body, headers=headers)
    rebuilt.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(key.access_key_id, secret_of(key)), service, match["region"])
    canonical = signer.canonical_request(rebuilt)
    expected = signer.signature(signer.string_to_sign(rebuilt, canonical), rebuilt)
    if not hmac.compare_digest(expected, match["signature"]):
        raise Refused(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your Secret Access Key and signing method.",
        )
    if once:
        remember(match["signature"], now)
    AccessKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def remember(signature: str, now: datetime) -> None:
    """Refuse a signature seen before; forget those that could no longer be replayed."""
    SeenSignature.objects.filter(seen_at__lt=now - 2 * MAX_SKEW).delete()
    try:
        with transaction.atomic():
            SeenSignature.objects.create(signature=signature, seen_at=now)
    except IntegrityError:
        raise Refused(
            "InvalidSignatureException",
            "This request was already received: a signed request is accepted once.",
        ) from None
