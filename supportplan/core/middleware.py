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
        from django.conf import settings

        explicit = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user = getattr(request, "user", None)
        chosen = None
        if explicit in dict(settings.LANGUAGES):
            chosen = explicit
        elif user is not None and user.is_authenticated and getattr(user, "language", ""):
            chosen = user.language
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
