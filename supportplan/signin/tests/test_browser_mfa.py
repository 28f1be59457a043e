"""In the browser (Playwright + Debian's chromium): an organisation requires a second factor;
the person signs in, is sent to set one up, activates TOTP with a real computation (pyotp),
and the next sign-in asks for a code."""

import os
from pathlib import Path

import pyotp
import pytest

from supportplan.accounts.models import Role, User
from supportplan.core.testing import T0
from supportplan.signin import policy

# Playwright's sync API keeps an event loop in this thread; the ORM calls are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.fixture
def page(live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "en"})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.base = live_server.url  # type: ignore[attr-defined]
        yield page
        browser.close()


def _sign_in(page, login: str, password: str) -> None:
    page.goto(f"{page.base}/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_required_totp_in_the_browser(page, member, tenant):
    admin = User.objects.create_user(
        "boss", password="x-boss-pass-1", role=Role.CUSTOMER_ADMIN, tenant=tenant
    )
    policy.mfa_requirement_set(actor=admin, tenant=tenant, required=True, now=T0)

    _sign_in(page, "alice@acme.example", "right-horse-battery")
    page.goto(f"{page.base}/")
    assert page.url == f"{page.base}/accounts/2fa/"
    assert "requires two-factor sign-in" in page.inner_text("main")

    page.goto(f"{page.base}/accounts/2fa/totp/activate/")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", "right-horse-battery")
        with page.expect_navigation():
            page.click("main button[type=submit]")
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")  # allauth shows the new codes
    assert "Authenticator app activated." in page.inner_text("main")
    page.goto(f"{page.base}/")
    assert page.url == f"{page.base}/"  # no longer sent to set up a factor

    page.context.clear_cookies()
    _sign_in(page, "alice", "right-horse-battery")
    assert page.url.startswith(f"{page.base}/accounts/2fa/authenticate/")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_url(f"{page.base}/")
    assert "Welcome, alice." in page.inner_text("main")
