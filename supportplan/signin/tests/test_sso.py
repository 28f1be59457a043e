"""Single sign-on configuration: the lookup page, allauth apps built from SsoConfig with the
secret decrypted only in memory, and the rules that keep a person in the configuring tenant."""

from types import SimpleNamespace

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from django.test import Client, RequestFactory

from supportplan.accounts.models import Role, Tenant, User
from supportplan.core.testing import T0
from supportplan.signin import sso
from supportplan.signin.adapters import SocialAccountAdapter
from supportplan.signin.models import SsoConfig


@pytest.fixture
def configs(tenant):
    other = Tenant.objects.create(
        name="Beta", slug="beta", registered_email="it@beta.example", created_at=T0
    )
    acme = SsoConfig(
        tenant=tenant,
        provider_id="acme",
        name="Acme Keycloak",
        issuer="http://127.0.0.1:1/realms/acme",
        client_id="acme-client",
        email_domains=["acme.example"],
    )
    acme.client_secret = "acme-secret-value"
    acme.save()
    beta = SsoConfig.objects.create(
        tenant=other,
        provider_id="beta",
        name="Beta Azure AD",
        issuer="http://127.0.0.1:1/beta",
        client_id="beta-client",
        email_domains=["beta.example"],
    )
    staff = SsoConfig.objects.create(
        tenant=None,
        provider_id="staff",
        name="Provider staff IdP",
        issuer="http://127.0.0.1:1/staff",
        client_id="staff-client",
        email_domains=["provider.example"],
    )
    return SimpleNamespace(acme=acme, beta=beta, staff=staff, other=other)


def test_secret_is_stored_encrypted(configs):
    stored = SsoConfig.objects.values_list("client_secret_encrypted", flat=True).get(
        pk=configs.acme.pk
    )
    assert "acme-secret-value" not in stored
    assert SsoConfig.objects.get(pk=configs.acme.pk).client_secret == "acme-secret-value"
    [app] = sso.social_apps(provider="sso-acme")
    assert (app.provider, app.provider_id, app.client_id, app.secret) == (
        "openid_connect", "sso-acme", "acme-client", "acme-secret-value",
    )  # fmt: skip
    assert app.settings["server_url"] == "http://127.0.0.1:1/realms/acme"


@pytest.mark.parametrize(
    "query,expected",
    [
        ("bob@acme.example", {"Acme Keycloak"}),
        ("BOB@Beta.Example", {"Beta Azure AD"}),
        ("acme", {"Acme Keycloak"}),
        ("staff", {"Provider staff IdP"}),
        ("bob@elsewhere.example", set()),
    ],
)
def test_lookup_page_finds_the_idp_by_domain_or_slug(configs, query, expected):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/sso/", {"q": query}).content.decode()
    shown = {n for n in ("Acme Keycloak", "Beta Azure AD", "Provider staff IdP") if n in page}
    assert shown == expected


class _Login(SimpleNamespace):
    connected = None

    def connect(self, request, user):
        self.connected = user


def _sociallogin(provider_id, email, user=None, verified=True):
    return _Login(
        account=SimpleNamespace(provider=provider_id, extra_data={}),
        email_addresses=[SimpleNamespace(email=email, verified=verified)],
        is_existing=user is not None,
        user=user,
    )


def _request():
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "en"
    return request


def test_beta_domain_cannot_be_created_into_acme(configs):
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(
            _request(), _sociallogin("sso-acme", "eve@beta.example")
        )
    assert refused.value.response.status_code == 403


def test_unverified_email_is_refused(configs):
    with pytest.raises(ImmediateHttpResponse):
        SocialAccountAdapter().pre_social_login(
            _request(), _sociallogin("sso-acme", "bob@acme.example", verified=False)
        )


def test_existing_person_of_another_tenant_is_not_linked(configs):
    User.objects.create_user(
        "mallory", email="mallory@acme.example", role=Role.CUSTOMER_MEMBER, tenant=configs.other
    )
    with pytest.raises(ImmediateHttpResponse):
        SocialAccountAdapter().pre_social_login(
            _request(), _sociallogin("sso-acme", "mallory@acme.example")
        )


def test_existing_person_of_the_tenant_is_linked(configs, member):
    login = _sociallogin("sso-acme", "alice@acme.example")
    SocialAccountAdapter().pre_social_login(_request(), login)
    assert login.connected == member


def test_new_person_lands_in_the_configuring_tenant_or_staff(configs, tenant):
    user = User(username="new")
    sso.place_new_user(user, configs.acme, {})
    assert (user.tenant, user.role) == (tenant, Role.CUSTOMER_MEMBER)
    staff = User(username="new-staff")
    sso.place_new_user(staff, configs.staff, {})
    assert (staff.tenant, staff.role) == (None, Role.ENGINEER)


def test_lookup_page_lets_its_buttons_go_on_to_the_idps_shown(configs):
    """The button posts to allauth, which redirects to the IdP; the browser checks that
    redirect against the page's CSP form-action (found with the real IdP in the browser)."""
    csp = Client().get("/accounts/sso/", {"q": "acme"}).headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:1;" in csp + ";"
    plain = Client().get("/accounts/sso/").headers["Content-Security-Policy"]
    assert "form-action 'self';" in plain + ";"
