"""The API's JSON parser: every body that is not plain, shallow, NUL-free JSON is a 400."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .errors import too_big_message

# No operation of the API takes a body nested deeper than a handful of levels; the bound keeps
# every later step (validation, rendering, audit) far from the interpreter's recursion limit.
MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus: a body nested too deeply is a clear 400 (it was a 500
    `RecursionError`), and so is a NUL character in any key or string (PostgreSQL cannot
    store one: it was a 500 at the first query)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            _check_size(request)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        check_json(data)
        return data


def _check_size(request: Any) -> None:
    """Django bounds form bodies by DATA_UPLOAD_MAX_MEMORY_SIZE; DRF streams JSON past it."""
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit is not None and length > limit:
        raise RequestDataTooBig(too_big_message())


def check_json(data: Any) -> None:
    """Walk the parsed body without recursion; raise ParseError naming what is wrong."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(_nul(where))
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise ParseError(_too_deep())
        if isinstance(value, dict):
            for key, inner in value.items():
                path = f"{where}.{key}" if where else str(key)
                if "\x00" in key:
                    raise ParseError(_nul(path.replace("\x00", "\\u0000")))
                stack.append((inner, depth + 1, path))
        else:
            for index, inner in enumerate(value):
                stack.append((inner, depth + 1, f"{where}[{index}]"))


def _too_deep() -> str:
    return _("The JSON body is nested more than %(max)d levels deep. Send a flatter body.") % {
        "max": MAX_DEPTH
    }


def _nul(where: str) -> str:
    return _(
        "The JSON body contains a NUL character (\\u0000) in %(field)s, which no text may "
        "contain. Remove it and try again."
    ) % {"field": where or _("the body")}
