"""Issue 13: every page carries Django's Content-Security-Policy, without 'unsafe-inline'."""

from django.test import Client


def test_pages_carry_the_strict_policy(db):
    response = Client().get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
