"""Secrets never reach a log: a logging filter that redacts them from every record.

Installed on the root handlers in settings.LOGGING, so it covers the product's own loggers and
every library's (httpx/httpcore write request URLs at INFO; a WeCom webhook carries its key in
`?key=`, a DingTalk one in `?access_token=`). What it redacts:
- secret query parameters in any URL (key, access_token, token, sign, secret, signature, ...);
- known secret fields written as `name=value`, `name: value` or `"name": "value"`
  (password, secret, token, api_key, access_key, secret_key, credentials, authorization, ...);
- `Authorization: Token|Bearer|Api-Key <value>` headers.
The message is formatted once, redacted, and stored back with its arguments dropped; a
traceback is formatted and redacted the same way (exception messages often quote the URL).
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_QUERY_NAMES = (
    "key|access_token|accesstoken|token|sign|signature|secret|password|passwd|api_key|apikey"
    "|client_secret|refresh_token|id_token|code|x-amz-signature|x-amz-credential"
    "|x-amz-security-token|sessiontoken|webhook_key"
)
_QUERY = re.compile(rf"([?&;](?:{_QUERY_NAMES})=)[^&#\s'\"<>]+", re.IGNORECASE)

_FIELD_NAMES = (
    "password|passwd|new_password1|new_password2|secret|signing_secret|client_secret"
    "|token|access_token|refresh_token|api_key|apikey|access_key|access_key_id|secret_key"
    "|secret_access_key|sk|ak|credentials|webhook_url|csrfmiddlewaretoken|sessionid"
)
_FIELD = re.compile(
    rf"""(?P<name>["']?\b(?:{_FIELD_NAMES})\b["']?\s*[:=]\s*)(?P<q>["']?)(?P<value>(?!\[redacted\])[^"'\s,;&}}\]]+)""",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(
    r"(authorization[\"']?\s*[:=]\s*[\"']?(?:token|bearer|api-key|basic)\s+)[^\s\"',}]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """The text with every secret it carries replaced by [redacted]."""
    if not text:
        return text
    text = _AUTH_HEADER.sub(rf"\1{REDACTED}", text)
    text = _QUERY.sub(rf"\1{REDACTED}", text)
    return _FIELD.sub(lambda m: m.group("name") + m.group("q") + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Rewrites each record so that no handler after it can write a secret."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw template, redacted
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
