"""The API's error envelope: one JSON shape for every non-2xx, in the caller's language."""

from __future__ import annotations

import pytest

from supportplan.core.testing import api_client

pytestmark = pytest.mark.django_db

SIGN_IN = {"en": "Sign in or send an API token.", "zh-hans": "请登录或提供 API 令牌。"}


@pytest.mark.parametrize("order", [("zh-hans", "en"), ("en", "zh-hans")])
def test_the_sign_in_message_follows_each_callers_language_whatever_came_before(order):
    for language in (*order, *order):
        res = api_client(language=language).get("/api/cases/")
        assert res.status_code == 401
        assert res.json()["code"] == "auth.required"
        assert res.json()["message"] == SIGN_IN[language]
