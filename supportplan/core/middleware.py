from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ActivateUserLanguageMiddleware:
    """A signed-in person's saved language wins over the browser's Accept-Language.

    An explicit `?lang=` or the language cookie (set by the switcher) still wins over both.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = reader_language(request, getattr(request, "user", None))
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


def reader_language(request: HttpRequest, user: object) -> str | None:
    """The language a signed-in reader chose: `?lang=` or the switcher's cookie, else the
    person's saved language; None when neither says (the browser's Accept-Language stands)."""
    from django.conf import settings

    explicit = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if explicit in dict(settings.LANGUAGES):
        return explicit
    if user is not None and getattr(user, "is_authenticated", False):
        return getattr(user, "language", "") or None
    return None


def activate_api_caller_language(request: HttpRequest, user: object) -> None:
    """An API caller authenticated by key or token (after the middleware ran): the person's
    saved language, unless the call names one (`?lang=`, the cookie, or Accept-Language,
    which a script sets on purpose)."""
    from django.conf import settings

    explicit = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    language = getattr(user, "language", "")
    if explicit or request.META.get("HTTP_ACCEPT_LANGUAGE") or not language:
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language


def is_api_request(request: HttpRequest) -> bool:
    """The API answers every refusal with its JSON envelope; the web with a page."""
    return request.path_info.startswith("/api/")


def plain_page(title: str, message: str, *, status: int) -> HttpResponse:
    """A self-contained page: no template, no context processor, no database.

    For refusals that happen before (or instead of) the site's pages can be drawn: a request
    refused by a middleware, or a database that cannot be reached.
    """
    from django.utils.html import escape
    from django.utils.translation import gettext as _

    language = translation.get_language() or "en"
    back = _("Back to the start page")  # outside the f-string: xgettext cannot see inside one
    body = (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        f'<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;'
        f' padding: 0 1rem; line-height: 1.5">'
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
        f'<p><a href="/">{escape(back)}</a></p>'
        f"</body></html>"
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class RejectNulBytesMiddleware:
    """A NUL character (%00) in the path, a query parameter or a form field is refused with a
    400 naming the parameter, before any view runs.

    No text column can hold NUL on PostgreSQL: the driver refuses the query and every view
    that filters or saves by a parameter would answer 500. One check here covers every route.
    JSON bodies are checked by the API's JSON parser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = self._offending(request)
        if name is None:
            return self.get_response(request)
        from django.utils.translation import gettext as _

        message = _(
            "The parameter %(name)s contains a NUL character (%%00), which no text may "
            "contain. Remove it and try again."
        ) % {"name": name}
        if is_api_request(request):
            from django.http import JsonResponse

            from supportplan.api.errors import error_body

            return JsonResponse(
                error_body("invalid", message, fields={name: [message]}), status=400
            )
        return plain_page(_("Bad request"), message, status=400)

    @staticmethod
    def _offending(request: HttpRequest) -> str | None:
        if "\x00" in request.path_info:
            return "path"
        sources = [request.GET]
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            sources.append(request.POST)  # multipart is left to the views' upload handlers
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return key.replace("\x00", "%00")
        return None
