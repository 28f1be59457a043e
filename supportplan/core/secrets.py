"""Secrets at rest (robot webhooks and signing secrets, cloud credentials): one key ring.

settings.CREDENTIALS_KEY (env SUPPORTPLAN_CREDENTIALS_KEY) holds one or more Fernet keys,
comma-separated, newest first (MultiFernet): new values are written with the first key and
every key still decrypts, so a key is rotated by putting a new one in front and running
`supportplan credentials rotate` (re-encrypts every stored value with the newest key), after
which the old key can be dropped. Production refuses to start without a key
(settings/prod.py).

Before this module there were two copies that derived a key from SECRET_KEY with different
salts (notifications and reports); both derived keys stay in the ring after the configured
ones, so values stored by either still decrypt. Without a configured key (development), the
first derived key writes. Settings are read at call time, never at import.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The salts of the two former copies: notifications/secrets.py and reports/credentials.py.
_LEGACY_SALTS = ("supportplan-credentials:", "supportplan-credentials|")


class SecretUnreadable(Exception):
    """The stored value was encrypted with a key that is no longer in CREDENTIALS_KEY."""


def configured_keys() -> list[str]:
    raw = getattr(settings, "CREDENTIALS_KEY", "") or ""
    return [k.strip() for k in raw.split(",") if k.strip()]


def _derived_key(salt: str) -> bytes:
    digest = hashlib.sha256((salt + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _ring() -> MultiFernet:
    fernets = []
    for n, key in enumerate(configured_keys(), 1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError:
            raise ImproperlyConfigured(
                f"SUPPORTPLAN_CREDENTIALS_KEY: key {n} is not a Fernet key (urlsafe base64 of "
                "32 bytes). Create one with `supportplan credentials new-key`."
            ) from None
    fernets.extend(Fernet(_derived_key(salt)) for salt in _LEGACY_SALTS)
    return MultiFernet(fernets)


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _unreadable(exc: InvalidToken) -> SecretUnreadable:
    return SecretUnreadable(
        "stored secret cannot be decrypted with any key in SUPPORTPLAN_CREDENTIALS_KEY"
    )


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return _ring().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _ring().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise _unreadable(exc) from exc


def encrypt_json(value: dict[str, Any]) -> str:
    return encrypt(json.dumps(value, sort_keys=True))


def decrypt_json(token: str) -> dict[str, Any]:
    return dict(json.loads(decrypt(token))) if token else {}


def rotate(token: str) -> str:
    """The same secret encrypted with the newest key (SecretUnreadable if no key reads it)."""
    if not token:
        return ""
    try:
        return _ring().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise _unreadable(exc) from exc


def mask(value: str, keep: int = 4) -> str:
    """What staff may see of a secret: its last few characters."""
    if not value:
        return ""
    return "…" + value[-keep:] if len(value) > keep * 2 else "…"
