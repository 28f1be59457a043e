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


# --- NUL characters (%00): one middleware for every parameter of every route ---

NUL_URLS = [
    ("/api/cases/?state=%00", "state"),
    ("/api/cases/?q=a%00b", "q"),
    ("/api/cases/?queue=%00", "queue"),
    ("/api/cases/?severity=%00", "severity"),
    ("/api/cases/?provider=%00", "provider"),
    ("/api/sla/due/?provider=%00&severity=x", "provider"),
    ("/api/calendars/workday/?calendar=%00&after=2026-10-01&n=1", "calendar"),
    ("/api/cases/entitlements/?provider=%00", "provider"),
    ("/api/cases/?x%00y=1", "x%00y"),
]


@pytest.fixture
def engineer(db):
    from supportplan.accounts.models import Role
    from supportplan.core.testing import make_user

    return make_user(Role.ENGINEER)


@pytest.mark.parametrize(("url", "name"), NUL_URLS)
def test_a_nul_character_in_an_api_parameter_is_a_400_naming_it(engineer, url, name):
    res = api_client(engineer).get(url)
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "invalid"
    assert body["message"] == (
        f"The parameter {name} contains a NUL character (%00), which no text may contain. "
        "Remove it and try again."
    )
    assert body["fields"] == {name: [body["message"]]}


def test_a_nul_character_in_a_web_parameter_is_a_readable_page(client, engineer):
    client.force_login(engineer)
    res = client.get("/cases/?q=%00", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert res.status_code == 400
    assert res["Content-Type"] == "text/html; charset=utf-8"
    page = res.content.decode()
    assert "参数 q 含有 NUL 字符（%00），任何文本都不能包含它。请删除后重试。" in page
    assert "Traceback" not in page


def test_a_nul_character_in_a_web_form_field_is_refused_before_the_view(client, engineer):
    client.force_login(engineer)
    res = client.post(
        "/cases/new/",
        "subject=a%00b",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert res.status_code == 400
    assert "The parameter subject contains a NUL character" in res.content.decode()


@pytest.mark.postgres
@pytest.mark.parametrize(("url", "name"), NUL_URLS[:8])
def test_nul_parameters_never_reach_postgresql(engineer, url, name):
    # Without the middleware psycopg refuses the query ("cannot contain NUL") and it is a 500.
    res = api_client(engineer).get(url)
    assert (res.status_code, res.json()["fields"]) == (400, {name: [res.json()["message"]]})


@pytest.mark.postgres
def test_a_nul_character_in_a_json_string_never_reaches_postgresql(engineer):
    res = api_client(engineer).post(
        "/api/cases/", '{"subject": "disk\\u0000full"}', content_type="application/json"
    )
    assert res.status_code == 400
    assert res.json() == {
        "code": "parse_error",
        "message": "The JSON body contains a NUL character (\\u0000) in subject, which no "
        "text may contain. Remove it and try again.",
    }


# --- JSON bodies: nesting and size ---


@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 100_000 + "]" * 100_000])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(engineer, body):
    res = api_client(engineer).post("/api/cases/", body, content_type="application/json")
    assert res.status_code == 400
    assert res.json() == {
        "code": "parse_error",
        "message": "The JSON body is nested more than 32 levels deep. Send a flatter body.",
    }


def test_json_nested_just_past_the_bound_is_refused_and_at_the_bound_is_parsed(engineer):
    client = api_client(engineer)
    deep = '{"subject": ' + "[" * 31 + "1" + "]" * 31 + "}"  # 32 levels: the body and 31 lists
    res = client.post("/api/cases/", deep, content_type="application/json")
    assert res.json()["code"] != "parse_error"
    deeper = '{"subject": ' + "[" * 32 + "1" + "]" * 32 + "}"
    res = client.post("/api/cases/", deeper, content_type="application/json")
    assert res.json()["code"] == "parse_error"


def test_a_json_body_over_the_upload_limit_is_413_with_the_envelope(engineer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"subject": "' + "x" * 2000 + '"}'
    res = api_client(engineer).post("/api/cases/", body, content_type="application/json")
    assert res.status_code == 413
    assert res.json() == {
        "code": "request_too_large",
        "message": "The request body is larger than 1000 bytes. Send less data (attachments "
        "are uploaded one file at a time).",
    }


def test_a_form_body_over_the_upload_limit_is_413_with_the_envelope(engineer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api_client(engineer)
    res = client.post(
        "/api/cases/", "subject=" + "x" * 2000, content_type="application/x-www-form-urlencoded"
    )
    assert res.status_code == 413
    assert res.json()["code"] == "request_too_large"


# --- Django's own errors under /api/ ---


def test_an_unknown_api_route_is_a_404_envelope(engineer):
    res = api_client(engineer, language="zh-hans").get("/api/no-such-thing/")
    assert res.status_code == 404
    assert res.json() == {"code": "not_found", "message": "未找到。"}


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/cases/null,null/", "/api/a/b/c/"])
def test_an_unknown_api_route_is_a_404_envelope_with_debug_on_too(engineer, settings, path):
    settings.DEBUG = True  # `make run`: Django's handler404 is not used, the route answers
    res = api_client(engineer).get(path)
    assert res.status_code == 404
    assert res.json() == {"code": "not_found", "message": "Not found."}


def test_a_post_to_an_unknown_api_route_is_a_404_envelope_not_a_csrf_page(engineer):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(engineer)
    res = client.post("/api/orders/null,null/cancel/")
    assert res.status_code == 404
    assert res.json() == {"code": "not_found", "message": "未找到。"}  # the person's language


def test_an_api_path_without_its_slash_is_still_redirected(engineer):
    res = api_client(engineer).get("/api/cases")
    assert (res.status_code, res["Location"]) == (301, "/api/cases/")


def test_an_unknown_web_route_is_still_a_page(client):
    res = client.get("/no-such-thing/")
    assert res.status_code == 404
    assert res["Content-Type"].startswith("text/html")


def test_a_disallowed_host_is_a_400_envelope(engineer):
    res = api_client(engineer).get("/api/cases/", HTTP_HOST="evil.example")
    assert res.status_code == 400
    assert res.json() == {"code": "bad_request", "message": "The request could not be understood."}


def test_an_unexpected_error_is_a_500_envelope(engineer, monkeypatch):
    from rest_framework.test import APIClient

    from supportplan.api import cases

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cases.CaseViewSet, "list", boom)
    client = APIClient(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(engineer)
    res = client.get("/api/cases/")
    assert res.status_code == 500
    assert res.json() == {
        "code": "server_error",
        "message": "Something went wrong on our side. Try again later.",
    }


# --- A lost database: 503 + Retry-After, the envelope for the API, a plain page for the web ---


@pytest.fixture
def database_gone(engineer):
    """The real connection pointed at a port where nothing listens: every query fails with
    the driver's own OperationalError, as when the database server is down."""
    import socket

    from django.db import connection

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port))
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def _client(engineer):
    from rest_framework.test import APIClient

    return APIClient(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_database_is_a_503_envelope_with_retry_after(engineer, database_gone):
    res = _client(engineer).get("/api/cases/", HTTP_AUTHORIZATION="Token whatever")
    assert res.status_code == 503
    assert res["Retry-After"] == "30"
    assert res.json() == {
        "code": "service_unavailable",
        "message": "服务暂时无法连接数据库，请一分钟后重试。",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_database_is_a_plain_503_page_on_the_web(engineer, request):
    from django.test import Client

    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(engineer)  # the session lives in the database, read on the next page
    request.getfixturevalue("database_gone")
    res = client.get("/cases/")
    assert res.status_code == 503
    assert res["Retry-After"] == "30"
    assert "The service cannot reach its database right now." in res.content.decode()


def test_a_script_without_accept_language_is_answered_in_its_persons_language(engineer):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from supportplan.accounts import api_keys
    from supportplan.accounts.models import ApiKeyScope
    from supportplan.core import clock

    engineer.language = "en"
    engineer.save(update_fields=["language"])
    token = Token.objects.create(user=engineer).key
    made = api_keys.api_key_create(
        actor=engineer, user=engineer, name="script", scope=ApiKeyScope.FULL, days=30,
        now=clock.now(),
    )  # fmt: skip
    for header in (f"Token {token}", f"Bearer {made.secret}"):
        bare = APIClient(HTTP_AUTHORIZATION=header)
        assert bare.get("/api/cases/999999/").json()["message"] == "Case was not found."
        asked = APIClient(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert asked.get("/api/cases/999999/").json()["message"] == "未找到工单。"
