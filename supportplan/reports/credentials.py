"""Cloud credentials at rest: Fernet-encrypted JSON, never shown back.

The key is settings.CREDENTIALS_KEY (a Fernet key: urlsafe base64 of 32 bytes). When it
is unset (development), a key is derived from SECRET_KEY so `make run` works; production
sets its own key (docs/reports.md). Rotating the key means re-saving the credentials.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = getattr(settings, "CREDENTIALS_KEY", "") or ""
    if not key:
        digest = hashlib.sha256(
            ("supportplan-credentials|" + settings.SECRET_KEY).encode()
        ).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(secret: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(secret, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(token.encode())))
    except InvalidToken:
        raise ValueError(
            "stored credentials cannot be decrypted with the current CREDENTIALS_KEY; "
            "enter the credentials again"
        ) from None
