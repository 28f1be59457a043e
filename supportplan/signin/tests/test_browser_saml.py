"""SAML single sign-on in the real browser (Playwright + Debian's chromium) through the test
SAML IdP (samlify, saml_idp/idp.js): the product's sign-in page -> "single sign-on" -> the
work e-mail -> the IdP's sign-in page -> its auto-posting answer -> back in the product,
signed in, in the configuring organisation only."""

import os

import pytest

from supportplan.accounts.models import Role, Tenant, User
from supportplan.core.testing import T0

from .test_browser_sso import EN, ZH

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SAML_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language,texts", [("en", EN), ("zh-hans", ZH)])
def test_customer_signs_in_through_the_organisations_saml_idp(
    saml_idp, browser_for, live_server, tenant, language, texts
):
    beta = Tenant.objects.create(
        name="Beta", slug="beta", registered_email="it@beta.example", created_at=T0
    )
    saml_idp.configure(tenant, "acme", ["acme.example"])
    saml_idp.configure(beta, "beta", ["beta.example"])
    sso_link, find = texts
    page = browser_for(language)

    page.goto(f"{page.base}/login/")
    page.click(f'main a:has-text("{sso_link}")')
    page.wait_for_url("**/accounts/sso/")
    page.fill("#id_q", "alice@acme.example")
    with page.expect_navigation():
        page.click(f'main button:has-text("{find}")')
    assert page.inner_text("main .sso-button") == (
        "Sign in with Acme SAML" if language == "en" else "使用 Acme SAML 登录"
    )
    _shot(page, f"saml-1-lookup-{language}")
    with page.expect_navigation():
        page.click("main .sso-button")
    page.wait_for_url(f"{saml_idp.sso_url('acme')}?SAMLRequest=**")  # the IdP's own page
    assert page.inner_text("h1") == "Test SAML IdP (acme)"
    page.fill("#email", "alice@acme.example")
    _shot(page, f"saml-2-idp-{language}")
    page.click("#sign-in")  # the IdP's answer posts itself to the product's ACS
    page.wait_for_url(f"{page.base}/")
    page.wait_for_load_state("load")
    _shot(page, f"saml-3-signed-in-{language}")

    # people SSO creates get the organisation's language (Acme's: zh-hans)
    assert "Alice Liddell · Acme" in page.inner_text("header")
    assert "客户门户" in page.inner_text("header")
    alice = User.objects.get(email="alice@acme.example")
    assert (alice.tenant, alice.role) == (tenant, Role.CUSTOMER_MEMBER)
    assert alice.socialaccount_set.get().provider == "sso-acme"
    assert User.objects.filter(tenant=beta).count() == 0
