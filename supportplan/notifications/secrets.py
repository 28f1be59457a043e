"""Robot webhooks and signing secrets are stored encrypted (Fernet) and never shown back.

The key is settings.CREDENTIALS_KEY (urlsafe base64, 32 bytes). Without one (development),
a key is derived from SECRET_KEY so a fresh checkout works; production sets its own key.
Settings are read at call time, never at import.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored value was encrypted with another key (CREDENTIALS_KEY changed)."""


def _fernet() -> Fernet:
    key = getattr(settings, "CREDENTIALS_KEY", "") or ""
    if not key:
        digest = hashlib.sha256(b"supportplan-credentials:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SecretUnreadable("stored secret cannot be decrypted with CREDENTIALS_KEY") from exc


def mask(value: str, keep: int = 4) -> str:
    """What staff may see of a secret: its last few characters."""
    if not value:
        return ""
    return "…" + value[-keep:] if len(value) > keep * 2 else "…"
