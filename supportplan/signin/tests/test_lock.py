"""The lock-out on every door: N wrong passwords, then even the right one is refused."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from supportplan.signin import lock

T = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
W = timedelta(minutes=15)


@pytest.mark.parametrize(
    "failures_minutes_ago,limit,expected_wait",
    [
        ([], 5, None),
        ([1, 2, 3, 4], 5, None),
        ([1, 2, 3, 4, 5], 5, timedelta(minutes=10)),  # the 5th most recent was 5 min ago
        ([1, 2, 3, 4, 16], 5, None),  # one fell out of the window
        ([0, 0, 0, 0, 0, 14], 5, timedelta(minutes=15)),
        ([14, 14, 14], 3, timedelta(minutes=1)),
    ],
)
def test_locked_until(failures_minutes_ago, limit, expected_wait):
    failures = [T - timedelta(minutes=m) for m in failures_minutes_ago]
    until = lock.locked_until(failures, now=T, limit=limit, window=W)
    assert (None if until is None else until - T) == expected_wait


def _wrong(client, url, data, n=5, **kw):
    for _ in range(n):
        response = client.post(url, data, **kw)
        assert response.status_code != 429


def test_web_login_locks_after_five_wrong_passwords(member):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _wrong(client, "/login/", {"login": "alice@acme.example", "password": "nope"})
    response = client.post(
        "/login/", {"login": "alice@acme.example", "password": "right-horse-battery"}
    )
    assert response.status_code == 429
    assert 800 < int(response["Retry-After"]) <= 900
    assert (
        "Too many wrong passwords for this account. Try again in 15 minutes."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_lock_message_in_chinese(member):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    _wrong(client, "/login/", {"login": "alice", "password": "nope"})
    response = client.post("/login/", {"login": "alice", "password": "right-horse-battery"})
    assert response.status_code == 429
    assert "密码错误次数过多，请 15 分钟后再试。" in response.content.decode()


def test_right_password_signs_in_by_username_or_email_and_clears_count(member):
    for login in ("alice", "alice@acme.example"):
        client = Client()
        _wrong(client, "/login/", {"login": login, "password": "nope"}, n=4)
        response = client.post("/login/", {"login": login, "password": "right-horse-battery"})
        assert response.status_code == 302 and client.session["_auth_user_id"] == str(member.pk)
    assert lock.check("alice", "127.0.0.1", now=T) is None


def test_admin_login_locks(member):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _wrong(client, "/admin/login/", {"username": "alice", "password": "nope"})
    response = client.post(
        "/admin/login/", {"username": "alice", "password": "right-horse-battery"}
    )
    assert response.status_code == 429


def test_api_token_locks_with_json_envelope(member):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    body = {"username": "alice", "password": "nope"}
    _wrong(client, "/api/token/", body, content_type="application/json")
    response = client.post(
        "/api/token/",
        {"username": "alice", "password": "right-horse-battery"},
        content_type="application/json",
    )
    assert response.status_code == 429
    data = response.json()
    assert data["code"] == "auth.locked"
    assert data["message"] == "Too many wrong passwords for this account. Try again in 15 minutes."
    assert 800 < data["retry_after_seconds"] <= 900


def test_lock_is_per_account_and_address(member):
    client = Client()
    _wrong(client, "/login/", {"login": "alice", "password": "nope"})
    other_ip = Client(REMOTE_ADDR="10.0.0.9")
    response = other_ip.post("/login/", {"login": "alice", "password": "right-horse-battery"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("saved", "expected"),
    [("zh-hans", "以 alice 成功登录。"), ("en", "Successfully signed in as alice.")],
)
def test_the_signed_in_message_is_in_the_persons_language_not_the_browsers(member, saved, expected):
    from django.contrib.messages import get_messages

    member.language = saved
    member.save(update_fields=["language"])
    browser = "en" if saved == "zh-hans" else "zh-hans"
    client = Client(HTTP_ACCEPT_LANGUAGE=browser)
    response = client.post("/login/", {"login": "alice", "password": "right-horse-battery"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
