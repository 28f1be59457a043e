"""Verify Huawei Cloud's SDK-HMAC-SHA256 signatures with huaweicloudsdkcore's own signer.

The SDK signs the method, the canonical path, the sorted query, the headers it names in
SignedHeaders and the body's SHA-256; the request is rebuilt as the SDK's own `SdkRequest`
from what arrived and signed again with the stored secret at the client's `X-Sdk-Date`.
"""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime

from django.http import HttpRequest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from .keys import secret_of
from .models import AccessKey
from .sigv4 import MAX_SKEW, Refused, remember

_AUTH = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<key>[^,\s]+),\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


def _refused(message: str, status: int = 401) -> Refused:
    return Refused("APIGW.0301", f"Incorrect IAM authentication information: {message}", status)


def verify(
    request: HttpRequest, body: bytes, *, now: datetime, once: bool, unsigned_body: bool = False
) -> AccessKey:
    """`unsigned_body`: a multipart upload, whose body the SDK leaves out of the signature
    (X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD); anywhere else that header is refused, or a
    signed JSON request could carry another body."""
    match = _AUTH.match(request.headers.get("Authorization", "").strip())
    if match is None:
        raise _refused("the Authorization header is not an SDK-HMAC-SHA256 signature")
    raw_date = request.headers.get("X-Sdk-Date", "")
    try:
        signed_at = datetime.strptime(raw_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise _refused("the X-Sdk-Date header is missing or not a date") from None
    if abs(now - signed_at) > MAX_SKEW:
        raise _refused("the request time differs from the server's by more than 5 minutes")
    key = (
        AccessKey.objects.select_related("user", "user__tenant")
        .filter(access_key_id=match["key"])
        .first()
    )
    if key is None or not key.user.is_active or key.revoked_at is not None:
        raise _refused("the access key is unknown or revoked")
    if not key.usable_at(now):
        raise _refused("the access key has expired")
    unsigned = request.headers.get("X-Sdk-Content-Sha256")
    if unsigned is not None and not (unsigned_body and unsigned == "UNSIGNED-PAYLOAD"):
        raise _refused("this request's body must be signed")
    signed = match["headers"].split(";")
    headers: dict[str, str] = {}
    for name in signed:
        value = request.headers.get(name)
        if value is None:
            raise _refused(f"the signed header {name} is missing")
        headers[name] = value
    query = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    rebuilt = SdkRequest(
        method=request.method or "GET",
        schema=request.scheme,
        host=request.get_host(),
        resource_path=request.path,
        query_params=query,
        header_params=headers,
        body=b"-" if unsigned else body,
    )
    signer = Signer(BasicCredentials(key.access_key_id, secret_of(key)))
    canonical = signer._process_canonical_request(rebuilt, signed)
    string_to_sign = signer._process_string_to_sign(canonical, signed_at.replace(tzinfo=None))
    expected = signer._sign_string_to_sign(string_to_sign, secret_of(key))
    if not hmac.compare_digest(expected, match["signature"]):
        raise _refused("verify aksk signature fail")
    if once:
        try:
            remember(match["signature"], now)
        except Refused:
            raise _refused("this signed request was already received (a replay)", 400) from None
    AccessKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
