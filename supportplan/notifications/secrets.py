"""Robot webhooks and signing secrets are stored encrypted and never shown back.

The key ring lives in one place, supportplan.core.secrets; this module keeps the names the
notifications app uses.
"""

from supportplan.core.secrets import SecretUnreadable, decrypt, encrypt, mask

__all__ = ["SecretUnreadable", "decrypt", "encrypt", "mask"]
