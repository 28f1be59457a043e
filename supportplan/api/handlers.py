"""Django's own error answers (400, 403, 404, 500) and a lost database, for the API and the web.

Django answers these before or outside any DRF view (an unknown route, a disallowed Host, a
body over the upload limit, an exception in a middleware), so DRF's exception handler never
sees them. Under /api/ each is the API's JSON envelope; elsewhere Django's own pages, except a
database that cannot be reached: 503 with Retry-After and a plain page that needs no database.
"""

from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from supportplan.core.middleware import is_api_request, plain_page

from .errors import error_body, too_big_message

# Seconds a client should wait before trying again when the database is unreachable.
RETRY_AFTER_SECONDS = 30


def _json(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        if is_api_request(request):
            return _json("request_too_large", too_big_message(), 413)
        # The form's text is kept in the tab by app.js (sessionStorage) and comes back with Back.
        return plain_page(
            _("Request too large"),
            _("%(limit)s Go back to the form: this browser kept what you typed.")
            % {"limit": too_big_message()},
            status=413,
        )
    if is_api_request(request):
        return _json("bad_request", _("The request could not be understood."), 400)
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return _json("permission_denied", _("You do not have permission to do this."), 403)
    return defaults.permission_denied(request, exception)  # type: ignore[arg-type]


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return _json("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block: the exception is the one being handled.
    exception = sys.exc_info()[1]
    if database_unavailable(exception):
        return database_unavailable_response(request)
    if is_api_request(request):
        return _json("server_error", _("Something went wrong on our side. Try again later."), 500)
    return defaults.server_error(request)


def database_unavailable(exception: BaseException | None) -> bool:
    return isinstance(exception, OperationalError | InterfaceError)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    message = _("The service cannot reach its database right now. Try again in a minute.")
    response: HttpResponse
    if is_api_request(request):
        response = _json("service_unavailable", message, 503)
    else:
        response = plain_page(_("Service unavailable"), message, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
