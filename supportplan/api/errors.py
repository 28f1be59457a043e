"""Every API error is JSON with a stable code and a message in the caller's language."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from supportplan.core.errors import DomainError
from supportplan.core.tenancy import TenantRequired

logger = logging.getLogger(__name__)

# Built at import: every text here is lazy, rendered in the language of the request that
# reads it (a plain gettext would freeze the language active at import for every caller).
_DRF_CODES = {
    exceptions.NotAuthenticated: ("auth.required", gettext_lazy("Sign in or send an API token.")),
    exceptions.AuthenticationFailed: ("auth.failed", None),
    exceptions.PermissionDenied: ("permission_denied", None),
    exceptions.NotFound: ("not_found", None),
    exceptions.MethodNotAllowed: ("method_not_allowed", None),
    exceptions.ParseError: ("parse_error", None),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
    exceptions.Throttled: ("throttled", None),
    exceptions.NotAcceptable: ("not_acceptable", None),
}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def too_big_message() -> str:
    from django.conf import settings

    return _(
        "The request body is larger than %(limit)d bytes. Send less data (attachments "
        "are uploaded one file at a time)."
    ) % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("request_too_large", too_big_message()), status=413)
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, TenantRequired):
        return Response(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )

    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first = _first_message(fields)
        return Response(
            error_body(
                "invalid",
                _("Please correct the highlighted fields: %(detail)s") % {"detail": first},
                fields=fields,
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        code, message = "error", str(exc.detail)
        for cls, (mapped, text) in _DRF_CODES.items():
            if getattr(exc, "envelope_code", None):  # an exception that names its own code
                code = exc.envelope_code  # type: ignore[attr-defined]
                break
            if isinstance(exc, cls):
                code = mapped
                message = str(text) if text else str(exc.detail)
                break
        response = Response(error_body(code, message), status=exc.status_code)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
        return response
    return None


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return inner if key == "non_field_errors" else f"{key}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)
