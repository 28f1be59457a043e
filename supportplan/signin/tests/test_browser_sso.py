"""Single sign-on through a real OpenID Connect provider in the real browser: node-oidc-provider
(oidc_idp/idp.js) on 127.0.0.1, Playwright + Debian's chromium. The product's sign-in page ->
"single sign-on" -> the work e-mail -> the IdP's own sign-in and consent pages -> back to the
product, signed in, in the configuring organisation only (staff: in the console). People the
adapter's rules refuse see the refusal page, in their language."""

import json
import os
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from supportplan.accounts.models import Role, Tenant, User
from supportplan.core.testing import T0
from supportplan.signin.models import SsoConfig
from supportplan.signin.tests.node_idp import running_idp

# Playwright's sync API keeps an event loop in this thread; the ORM calls are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
IDP_DIR = Path(__file__).parent / "oidc_idp"


def _NOT_LOOPBACK(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host not in ("127.0.0.1", "localhost") and not url.startswith(("data:", "about:"))


@pytest.fixture(scope="module")
def idp(live_server):
    """`node idp.js` on a free port, its redirect URIs pointing at the live server."""
    with running_idp(
        IDP_DIR, package="oidc-provider", what="IdP (node-oidc-provider)",
        args=[live_server.url], probe="/.well-known/openid-configuration",
        ready=lambda body, base: json.loads(body)["issuer"] == base,
    ) as issuer:  # fmt: skip
        yield SimpleNamespace(issuer=issuer)


@pytest.fixture
def browser_for(live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

        def make(language: str = "en"):
            locale = "zh-CN" if language == "zh-hans" else "en-US"
            header = "zh-Hans" if language == "zh-hans" else "en"
            context = browser.new_context(
                locale=locale, extra_http_headers={"Accept-Language": header}
            )
            context.set_default_timeout(15_000)
            # loopback only: the IdP's dev pages would fetch a web font from the internet
            context.route(_NOT_LOOPBACK, lambda route: route.abort())
            page = context.new_page()
            page.base = live_server.url  # type: ignore[attr-defined]
            return page

        yield make
        browser.close()


def _config(idp, tenant, provider_id: str, domains: list[str]) -> SsoConfig:
    config = SsoConfig(
        tenant=tenant,
        provider_id=provider_id,
        name=f"{provider_id.title()} test IdP",
        issuer=idp.issuer,
        client_id=f"{provider_id}-client",
        email_domains=domains,
    )
    config.client_secret = f"{provider_id}-secret-for-tests-only"
    config.save()
    return config


def _sign_in_through_idp(page, typed: str, login: str, sso_link: str, find: str) -> None:
    """The product's sign-in page -> SSO lookup -> the IdP's pages -> back to the product."""
    page.goto(f"{page.base}/login/")
    page.click(f'main a:has-text("{sso_link}")')
    page.wait_for_url("**/accounts/sso/")
    page.fill("#id_q", typed)
    with page.expect_navigation():
        page.click(f'main button:has-text("{find}")')
    with page.expect_navigation():
        page.click("main .sso-button")
    page.wait_for_url(f"{page.idp}/interaction/**")  # the IdP's own sign-in page
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: the test IdP's dev page checks none")
    page.click("button.login-submit")
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    assert page.inner_text("h1") == "Authorize"  # the IdP's consent page
    page.click("button.login-submit")
    page.wait_for_url(f"{page.base}/**")
    page.wait_for_load_state("load")


EN = ("Sign in with your organisation's single sign-on", "Find my sign-in")
ZH = ("使用贵组织的单点登录", "查找我的登录方式")


def test_customer_signs_in_through_the_organisations_idp(idp, browser_for, tenant):
    other = Tenant.objects.create(
        name="Beta", slug="beta", registered_email="it@beta.example", created_at=T0
    )
    _config(idp, tenant, "acme", ["acme.example"])
    page = browser_for("en")
    page.idp = idp.issuer

    _sign_in_through_idp(page, "alice@acme.example", "alice@acme.example", *EN)

    assert page.url == f"{page.base}/"
    # the header names the person (the IdP's name claim) and their organisation; the page is
    # in the organisation's language (Acme's: zh-hans), the rule for people SSO creates
    assert "Alice Liddell · Acme" in page.inner_text("header")
    assert "客户门户" in page.inner_text("header")
    alice = User.objects.get(email="alice@acme.example")
    assert (alice.tenant, alice.role, alice.is_provider_staff) == (
        tenant, Role.CUSTOMER_MEMBER, False,
    )  # fmt: skip
    assert alice.socialaccount_set.get().provider == "sso-acme"
    assert User.objects.filter(tenant=other).count() == 0


def test_staff_sign_in_through_the_staff_idp_lands_in_the_console(idp, browser_for, db):
    _config(idp, None, "staff", ["provider.example"])
    page = browser_for("en")
    page.idp = idp.issuer

    _sign_in_through_idp(page, "staff", "sam@provider.example", *EN)

    sam = User.objects.get(email="sam@provider.example")
    assert (sam.tenant, sam.role, sam.is_provider_staff) == (None, Role.ENGINEER, True)
    assert page.url.startswith(f"{page.base}/console/")  # the staff queue, not the portal


@pytest.mark.parametrize(
    "login,existing_elsewhere,message",
    [
        (
            "eve@beta.example",
            False,
            "您的身份提供方未确认属于本组织允许域名的邮箱地址，请联系管理员。",
        ),
        ("mallory@acme.example", True, "使用该邮箱的人员属于另一个组织，无法通过此单点登录进入。"),
    ],
)
def test_person_of_another_organisation_is_refused_on_acmes_idp(
    idp, browser_for, tenant, login, existing_elsewhere, message
):
    beta = Tenant.objects.create(
        name="Beta", slug="beta", registered_email="it@beta.example", created_at=T0
    )
    if existing_elsewhere:  # an acme.example address, but the person is Beta's
        User.objects.create_user(
            "mallory", email=login, role=Role.CUSTOMER_MEMBER, tenant=beta, language="zh-hans"
        )
    _config(idp, tenant, "acme", ["acme.example"])
    page = browser_for("zh-hans")
    page.idp = idp.issuer
    before = set(User.objects.values_list("pk", flat=True))

    _sign_in_through_idp(page, "acme", login, *ZH)

    assert "/accounts/oidc/sso-acme/login/callback/" in page.url
    assert page.inner_text("main h1") == "单点登录被拒绝"
    assert page.inner_text("main [role=alert]") == message
    assert set(User.objects.values_list("pk", flat=True)) == before  # nobody created
    page.goto(f"{page.base}/")
    assert page.url.startswith(f"{page.base}/login/")  # and nobody signed in
