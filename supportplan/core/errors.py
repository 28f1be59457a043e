"""Domain errors: a stable code for machines and a translated message for people."""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal the user can act on.

    `code` is stable (dotted, e.g. ``case.severity_not_in_plan``) and documented in the API;
    `message` is a lazy translation rendered in the caller's language with `params`.
    """

    status = 400

    def __init__(
        self,
        code: str,
        message: str | Promise,
        *,
        status: int | None = None,
        field: str | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.message_template = message
        self.params = params
        self.field = field
        if status is not None:
            self.status = status
        super().__init__(code)

    @property
    def message(self) -> str:
        template = str(self.message_template)
        params = dict(self.params)
        if self.field is not None:
            params.setdefault("field", self.field)  # a message may name its field
        if not params:
            return template
        try:
            return template % {k: _render(v) for k, v in params.items()}
        except (KeyError, ValueError, TypeError):
            return template

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "params": {k: _render(v) for k, v in self.params.items()},
        }
        if self.field:
            body["field"] = self.field
        return body

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str | Promise | None = None, **params: Any) -> None:
        super().__init__(
            "not_found", _("%(what)s was not found."), what=what or _("object"), **params
        )


class PermissionDenied(DomainError):
    status = 403

    def __init__(
        self,
        code: str = "permission_denied",
        message: str | Promise | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code, message or _("You do not have permission to do this."), **params)


class Conflict(DomainError):
    status = 409


def _render(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, list | tuple):
        return [_render(v) for v in value]
    return value
