"""API authentication classes: personal API keys (`Authorization: Bearer spk_…`, or
`Api-Key spk_…`) with their scope, and the older per-person DRF token."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from supportplan.accounts import api_keys
from supportplan.accounts.models import ApiKeyScope, Tenant, User
from supportplan.core import clock
from supportplan.core.compiled import CompiledRead
from supportplan.core.middleware import activate_api_caller_language

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CASES_PREFIX = "/api/cases/"


class ApiKeyScopeDenied(exceptions.APIException):
    """A valid key used beyond its scope: 403 with its own code, so a script's author sees
    at once that the key, not the person, lacks the right."""

    status_code = 403
    envelope_code = "api_key.scope"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "api-key")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        if not raw.startswith(api_keys.KEY_START):
            return None  # another kind of bearer token: not ours to judge
        key = api_keys.api_key_check(raw, now=clock.now())
        if key is None:
            raise exceptions.AuthenticationFailed(_("This API key is unknown, revoked or expired."))
        if key.scope == ApiKeyScope.READ_ONLY and request.method not in SAFE_METHODS:
            raise ApiKeyScopeDenied(_("This API key may only read (its scope is read only)."))
        if key.scope == ApiKeyScope.CASES and not request.path_info.startswith(CASES_PREFIX):
            raise ApiKeyScopeDenied(
                _("This API key may only use /api/cases/ (its scope is cases only).")
            )
        activate_api_caller_language(request, key.user)
        return (key.user, key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the person's tenant in the same query: nearly
    every API call scopes by it, and this saves each one a second round trip."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is not None:
            activate_api_caller_language(request, found[0])
        return found

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        rows = _TOKEN.rows(key=key)
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = _token_from(rows[0])
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


# The token with its person and their tenant, as one row of every column of the three (what
# select_related("user", "user__tenant") loads): read on every token-authenticated request,
# so compiled once (core.compiled).
_TOKEN_COLUMNS = [f.attname for f in Token._meta.concrete_fields]
_USER_COLUMNS = [f.attname for f in User._meta.concrete_fields]
_TENANT_COLUMNS = [f.attname for f in Tenant._meta.concrete_fields]
_TOKEN = CompiledRead(
    lambda key: Token.objects.filter(key=key).values_list(
        *_TOKEN_COLUMNS,
        *(f"user__{name}" for name in _USER_COLUMNS),
        *(f"user__tenant__{name}" for name in _TENANT_COLUMNS),
    )[:1],
    key="~sentinel-token~",
)


def _token_from(row: tuple[Any, ...]) -> Token:
    a, b = len(_TOKEN_COLUMNS), len(_TOKEN_COLUMNS) + len(_USER_COLUMNS)
    token = Token.from_db(DEFAULT_DB_ALIAS, _TOKEN_COLUMNS, row[:a])
    user = User.from_db(DEFAULT_DB_ALIAS, _USER_COLUMNS, row[a:b])
    tenant_row = row[b:]
    tenant = (
        None
        if tenant_row[0] is None
        else Tenant.from_db(DEFAULT_DB_ALIAS, _TENANT_COLUMNS, tenant_row)
    )
    Token._meta.get_field("user").set_cached_value(token, user)
    User._meta.get_field("tenant").set_cached_value(user, tenant)
    return token


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The OpenAPI security scheme of ApiKeyAuthentication."""

    target_class = "supportplan.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "spk_<prefix>_<secret>",
            "description": "A personal API key (/api/api-keys/); its scope limits what it may do.",
        }
