"""Cloud credentials at rest: encrypted JSON, never shown back.

The key ring lives in one place, supportplan.core.secrets (docs/reports.md: rotating the key).
"""

from __future__ import annotations

from typing import Any

from supportplan.core import secrets


def encrypt(secret: dict[str, Any]) -> str:
    return secrets.encrypt_json(secret)


def decrypt(token: str) -> dict[str, Any]:
    try:
        return secrets.decrypt_json(token)
    except secrets.SecretUnreadable:
        raise ValueError(
            "stored credentials cannot be decrypted with the current CREDENTIALS_KEY; "
            "enter the credentials again"
        ) from None
