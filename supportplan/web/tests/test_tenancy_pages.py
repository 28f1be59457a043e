"""Whole-portal tenancy attack: every page of supportplan.web, signed in (session) as tenant A's
admin and member, against tenant B's cases, files, bookings and reports.

PAGES classifies every named route of the portal and console; `test_every_page_is_classified`
fails when a page exists that the table does not know. Classes as in
supportplan/api/tests/test_tenancy_matrix.py: TENANT pages name one of B's objects and answer
404 to A (405 for a GET of a POST-only form), with the database unchanged; SELF pages show the
caller's own organisation whatever the query string says; STAFF pages do not exist for
customers (404); OPEN pages answer without signing in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse

from supportplan.api.tests.tenancy_world import World, diff, mentions_b, snapshot, world_context
from supportplan.api.tests.test_tenancy_matrix import _walk

pytestmark = pytest.mark.django_db

TENANT, STAFF, SELF, OPEN = "tenant", "staff", "self", "open"


@pytest.fixture(autouse=True)
def _payment_providers() -> None:
    """Overrides the package conftest's per-test MEDIA_ROOT: B's files live in the world's
    media directory, and a download must fail for tenancy, not for a missing file."""


@dataclass(frozen=True)
class Page:
    kind: str
    kwargs: Callable[[World], dict[str, Any]] | None = None
    post_only: bool = False
    body: Callable[[World], dict[str, Any]] | None = None
    query: dict[str, str] | None = None
    control: bool = True  # B's people open the same URL (GET)
    # A member may be turned away for lacking the admin role first (redirect with a message):
    # that says nothing about B.
    member_ok: frozenset[int] = frozenset()


def case_b(w: World, **extra: Any) -> dict[str, Any]:
    return {"case_id": w.obj["case"].pk, **extra}


def booking_b(w: World, **extra: Any) -> dict[str, Any]:
    return {"booking_id": w.obj["booking"].pk, **extra}


def _file(w: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("evil.txt", b"evil", content_type="text/plain")}


def _b_webauthn(w: World) -> dict[str, Any]:
    """One of B's member's security keys (allauth.mfa), for the key pages."""
    from allauth.mfa.models import Authenticator

    key, _created = Authenticator.objects.get_or_create(
        user=w.b_member,
        type=Authenticator.Type.WEBAUTHN,
        defaults={"data": {"name": "quokka key", "credential": {}, "passwordless": False}},
    )
    return {"pk": key.pk}


# Sign-in (django-allauth + supportplan.signin): pages about the signed-in person only.
SIGNIN_PAGES: dict[str, Page] = {
    **{
        name: Page(SELF)
        for name in (
            "account_login",
            "account_logout",
            "account_inactive",
            "account_signup",
            "account_reauthenticate",
            "account_request_reauthentication_code",
            "account_confirm_reauthentication_code",
            "account_email",
            "account_email_verification_sent",
            "account_change_password",
            "account_set_password",
            "account_reset_password",
            "account_confirm_login_code",
            "account_reset_password_from_key_done",
            "account_reset_password_done",
            "mfa_index",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_activate_totp",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
            "mfa_list_webauthn",
            "mfa_add_webauthn",
            "mfa_reauthenticate_webauthn",
            "socialaccount_login_cancelled",
            "socialaccount_login_error",
            "socialaccount_signup",
            "socialaccount_connections",
            "signin_sso_lookup",
            "signin_mfa_policy",
        )
    },  # fmt: skip
    "account_confirm_email": Page(SELF, kwargs=lambda w: {"key": "quokka-not-a-key"}),
    "account_reset_password_from_key": Page(
        SELF, kwargs=lambda w: {"uidb36": "zz", "key": "quokka-not-a-key"}
    ),
    "openid_connect_login": Page(OPEN, kwargs=lambda w: {"provider_id": "sso-nobody"}),
    "openid_connect_callback": Page(OPEN, kwargs=lambda w: {"provider_id": "sso-nobody"}),
    # SAML (allauth.socialaccount.providers.saml): an organisation's SAML app by its slug
    **{
        name: Page(OPEN, kwargs=lambda w: {"organization_slug": "nobody"})
        for name in ("saml_login", "saml_acs", "saml_finish_acs", "saml_sls", "saml_metadata")
    },
    # B's key by number: allauth asks A to re-authenticate first and then looks keys up
    # among A's own only; the page never shows B's key.
    "mfa_remove_webauthn": Page(SELF, kwargs=_b_webauthn),
    "mfa_edit_webauthn": Page(SELF, kwargs=_b_webauthn),
}

# Sign-in pages that turn A away (nothing set up yet, not an administrator, no provider
# error to show) or, for account_email, record A's own address on first sight: checked by
# test_refused_signin_pages_never_show_tenant_b instead.
SIGNIN_REFUSED = {
    "account_email": {200},
    "mfa_deactivate_totp": {404},
    "mfa_view_recovery_codes": {404},
    "mfa_download_recovery_codes": {404},
    "socialaccount_login_error": {401},
    "signin_mfa_policy": {200, 403},
}

PAGES: dict[str, Page] = {
    **SIGNIN_PAGES,
    "login": Page(OPEN),
    "healthz": Page(OPEN),  # supportplan.core.health: status only, no tenant data
    "readyz": Page(OPEN),
    "metrics": Page(OPEN),  # bearer token (404 when unset); counts by plan, never tenant
    "logout": Page(SELF),
    "set_language": Page(SELF),  # django.views.i18n
    "web:set_language": Page(SELF),
    "home": Page(SELF),
    "web:plans": Page(SELF),
    "web:plan_change": Page(SELF),
    "web:agreement": Page(SELF, kwargs=lambda w: {"provider": "partner"}),  # catalog data
    "web:statements": Page(SELF),
    "web:cases": Page(SELF),
    "web:case_new": Page(SELF),
    "web:scope_preview": Page(SELF),
    "web:case_quote": Page(SELF),
    "web:services": Page(SELF),
    "web:book": Page(SELF, kwargs=lambda w: {"provider": "partner", "service": "escort"}),
    "web:reports": Page(SELF),
    "web:org": Page(SELF),
    "web:org_save": Page(SELF, kwargs=lambda w: {"which": "system"}),
    "web:advisories": Page(SELF),
    "web:inbox": Page(SELF),
    "web:access_keys": Page(SELF),
    "web:api_keys": Page(SELF),
    "web:api_key_revoke": Page(
        TENANT, kwargs=lambda w: {"key_id": w.obj["api_key"].pk}, post_only=True
    ),
    "web:alert_receivers": Page(SELF),
    "web:im_groups": Page(SELF),
    "web:im_group_remove": Page(
        TENANT, kwargs=lambda w: {"group_id": w.obj["im_group"].pk}, post_only=True
    ),
    "web:case_vendor": Page(STAFF, kwargs=case_b),
    "web:alert_receiver_remove": Page(
        TENANT, kwargs=lambda w: {"receiver_id": w.obj["alert_receiver"].pk}, post_only=True
    ),
    "web:access_key_revoke": Page(
        TENANT, kwargs=lambda w: {"key_id": w.obj["access_key"].pk}, post_only=True
    ),
    "web:org_person": Page(
        TENANT,
        kwargs=lambda w: {"user_id": w.b_member.pk, "action": "deactivate"},
        post_only=True,
        body=lambda w: {"role": "customer_admin"},
    ),
    "web:org_invite": Page(SELF),  # always into the caller's own organisation
    "web:org_invitation": Page(
        TENANT,
        kwargs=lambda w: {"invitation_id": w.obj["invitation"].pk, "action": "resend"},
        post_only=True,
        body=lambda w: {},
    ),
    # the invited person's pages: no one signed in needed; the key in the session decides
    "web:invitation_open": Page(OPEN, kwargs=lambda w: {"key": "quokka-not-a-key"}),
    "web:invitation_accept": Page(OPEN),
    "web:console_onboarding": Page(STAFF),
    "web:console_tenant_approve": Page(
        STAFF, kwargs=lambda w: {"tenant_id": w.b.pk}, post_only=True, body=lambda w: {}
    ),
    "web:inbox_read": Page(SELF),  # tested: B's notice id leaves it unread
    # supportplan.insights: the advisor replays the caller's own tenant (members are sent home)
    "insights:plan_advisor": Page(SELF),
    "insights:staff_plan_advisor": Page(STAFF),
    "insights:staffing": Page(STAFF),
    "insights:staffing_csv": Page(STAFF),
    # B's objects
    "web:case": Page(TENANT, kwargs=case_b),
    "web:case_reply": Page(TENANT, kwargs=case_b, post_only=True, body=lambda w: {"body": "evil"}),
    "web:case_attach": Page(TENANT, kwargs=case_b, post_only=True, body=_file),
    "web:case_rate": Page(
        TENANT, kwargs=case_b, post_only=True, body=lambda w: {"score": "1", "comment": "evil"}
    ),
    "web:case_state": Page(
        TENANT, kwargs=lambda w: case_b(w, action="close"), post_only=True, body=lambda w: {}
    ),
    "web:attachment": Page(
        TENANT, kwargs=lambda w: case_b(w, attachment_id=w.obj["attachment"].pk)
    ),
    "web:booking": Page(TENANT, kwargs=booking_b),
    "web:booking_action": Page(
        TENANT,
        kwargs=lambda w: booking_b(w, action="cancel"),
        post_only=True,
        body=lambda w: {"reason": "evil"},
    ),
    "web:report": Page(TENANT, kwargs=lambda w: {"report_id": w.obj["report"].pk}),
    "web:report_download": Page(TENANT, kwargs=lambda w: {"report_id": w.obj["report"].pk}),
    "web:order": Page(TENANT, kwargs=lambda w: {"order_id": w.obj["order"].pk}),
    "web:order_cancel": Page(
        TENANT, kwargs=lambda w: {"order_id": w.obj["order"].pk}, post_only=True, body=lambda w: {}
    ),
    "web:order_pay": Page(
        TENANT,
        kwargs=lambda w: {"order_id": w.obj["order"].pk},
        post_only=True,
        body=lambda w: {"method": "test", "accept": "on", "agreement_version": "2026-01"},
    ),
    "web:advisory": Page(TENANT, kwargs=lambda w: {"advisory_id": w.obj["advisory"].pk}),
    "web:advisory_acknowledge": Page(
        TENANT,
        kwargs=lambda w: {"advisory_id": w.obj["advisory"].pk},
        post_only=True,
        body=lambda w: {},
    ),
    "web:org_robot": Page(
        TENANT,
        post_only=True,
        body=lambda w: {
            "robot_id": w.obj["robot"].pk,
            f"robot{w.obj['robot'].pk}-name": "evil",
            "robot-name": "evil",
            "robot-platform": "wecom",
        },  # fmt: skip
        member_ok=frozenset({302}),
    ),
    "web:org_robot_remove": Page(
        TENANT, kwargs=lambda w: {"robot_id": w.obj["robot"].pk}, post_only=True, body=lambda w: {}
    ),
    # a test message through B's robot: refused before anything is sent
    "web:org_robot_test": Page(
        TENANT, kwargs=lambda w: {"robot_id": w.obj["robot"].pk}, post_only=True, body=lambda w: {}
    ),
    # the staff console
    "web:queue": Page(STAFF),
    "web:console_case": Page(STAFF, kwargs=case_b),
    "web:console_action": Page(
        STAFF,
        kwargs=lambda w: case_b(w, action="reply"),
        post_only=True,
        body=lambda w: {"kind": "reply", "body": "evil"},
    ),
    "web:hotline": Page(STAFF),
    "web:tam": Page(STAFF),
    "web:dashboard": Page(STAFF),
    "web:staff_bookings": Page(STAFF),
    "web:staff_booking_action": Page(
        STAFF,
        kwargs=lambda w: booking_b(w, action="cancel"),
        post_only=True,
        body=lambda w: {"reason": "evil"},
    ),
    "web:staff_advisories": Page(STAFF),
    "web:staff_advisory": Page(STAFF, kwargs=lambda w: {"advisory_id": w.obj["advisory"].pk}),
    "web:staff_advisory_target": Page(
        STAFF,
        kwargs=lambda w: {
            "advisory_id": w.obj["advisory"].pk,
            "target_id": w.obj["advisory_target"].pk,
        },
        post_only=True,
        body=lambda w: {},
    ),
    "web:staff_payments": Page(STAFF),
    "web:staff_payment_confirm": Page(
        STAFF,
        kwargs=lambda w: {"payment_id": w.obj["payment"].pk},
        post_only=True,
        body=lambda w: {},
    ),
    "web:staff_payment_fail": Page(
        STAFF,
        kwargs=lambda w: {"payment_id": w.obj["payment"].pk},
        post_only=True,
        body=lambda w: {f"f{w.obj['payment'].pk}-reason": "evil"},
    ),
    "web:staff_reports": Page(STAFF),
    "web:staff_teams": Page(STAFF),
    "web:staff_team_robot_add": Page(
        STAFF, kwargs=lambda w: {"team_id": 1}, post_only=True, body=lambda w: {}
    ),
    "web:staff_team_robot": Page(
        STAFF,
        kwargs=lambda w: {"robot_id": w.obj["robot"].pk, "action": "remove"},
        post_only=True,
        body=lambda w: {},
    ),
    "web:staff_report_generate": Page(STAFF, post_only=True, body=lambda w: {}),
    "web:staff_report_send": Page(
        STAFF,
        kwargs=lambda w: {"report_id": w.obj["report"].pk},
        post_only=True,
        body=lambda w: {},
    ),
}

# Every other action a POST-only page of B's object accepts is attacked too.
ACTIONS = {
    "web:case_state": ["close", "reopen", "delete"],
    "web:org_person": ["role", "deactivate", "reactivate", "mfa-reset"],
    "web:org_invitation": ["resend", "withdraw"],
    "web:booking_action": ["cancel", "accept", "rate"],
    "web:console_action": ["reply", "severity", "escalate", "wait", "resolve", "take", "resume"],
    "web:staff_booking_action": ["confirm", "deliver", "cancel"],
}

LEAKS: dict[str, str] = {}


def web_routes() -> set[str]:
    names = set()
    for pattern, name, _cb in _walk(get_resolver().url_patterns):
        # The cloud ticket APIs and the alert webhooks are attacked by their own tests
        # (supportplan/compat/tests, supportplan/integrations/tests: signed or token requests).
        if pattern.startswith(("api/", "admin/", "compat/", "v2/servicerequest/", "integrations/")):
            continue
        if not name and pattern.startswith("accounts/social/"):
            continue  # allauth's unnamed redirects from its old addresses to accounts/3rdparty/
        assert name, f"unnamed page {pattern}: name it and classify it in PAGES"
        names.add(name)
    return names


WEB_ROUTES = web_routes()


def test_every_page_is_classified() -> None:
    unknown = sorted(WEB_ROUTES - set(PAGES))
    gone = sorted(set(PAGES) - WEB_ROUTES)
    assert not unknown, f"pages without a tenancy class: {unknown}; add them to PAGES in {__file__}"
    assert not gone, f"PAGES names pages that no longer exist: {gone}"


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with world_context(django_db_blocker) as w:
        yield w


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def url_of(name: str, page: Page, world: World, **override: Any) -> str:
    kwargs = page.kwargs(world) if page.kwargs else {}
    return reverse(name, kwargs={**kwargs, **override}) if kwargs else reverse(name)


def body_text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def _targets(kind: str) -> list[Any]:
    out = []
    for name, page in PAGES.items():
        if page.kind != kind or name not in WEB_ROUTES:
            continue
        for action in ACTIONS.get(name, [None]):
            for who in ("admin", "member"):
                marks = (
                    [pytest.mark.xfail(strict=True, reason=LEAKS[name])] if name in LEAKS else []
                )
                label = f"{name}-{action}-{who}" if action else f"{name}-{who}"
                out.append(pytest.param(name, action, who, id=label, marks=marks))
    return out


def _person(world: World, who: str) -> Any:
    return world.a_admin if who == "admin" else world.a_member


@pytest.mark.parametrize("name,action,who", _targets(TENANT) + _targets(STAFF))
def test_b_page_is_not_found_for_tenant_a(world: World, name: str, action: Any, who: str) -> None:
    page = PAGES[name]
    url = url_of(name, page, world, **({"action": action} if action else {}))
    client = signed_in(_person(world, who))
    before = snapshot()
    for method in ("get", "post", "delete"):
        if method == "post":
            response = client.post(url, page.body(world) if page.body else {})
        else:
            response = getattr(client, method)(url)
        expected = {405} if page.post_only and method != "post" else {404}
        if page.kind == STAFF and not (page.post_only and method != "post"):
            expected = {403, 404}
        if method == "post" and who == "member":
            expected |= page.member_ok
        assert response.status_code in expected, (
            f"{method.upper()} {url} as A's {who}: {response.status_code}, expected {expected}"
        )
        assert mentions_b(body_text(response), world) == []
    assert diff(before, snapshot()) == [], f"{url} as A's {who} changed the database"


def test_report_as_html_is_not_found_for_tenant_a(world: World) -> None:
    url = reverse("web:report_download", kwargs={"report_id": world.obj["report"].pk})
    for user in (world.a_admin, world.a_member):
        assert signed_in(user).get(url, {"format": "html"}).status_code == 404
    response = signed_in(world.b_member).get(url, {"format": "html"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_case_with_b_attachment_id_is_not_found(world: World) -> None:
    url = reverse(
        "web:attachment",
        kwargs={"case_id": world.own["case"].pk, "attachment_id": world.obj["attachment"].pk},
    )
    assert signed_in(world.a_member).get(url).status_code == 404
    own = reverse(
        "web:attachment",
        kwargs={"case_id": world.own["case"].pk, "attachment_id": world.own["attachment"].pk},
    )
    response = signed_in(world.a_member).get(own)
    assert (response.status_code, body_text(response)) == (200, "alpha")


@pytest.mark.parametrize(
    "name",
    [n for n, p in PAGES.items() if p.kind == TENANT and not p.post_only and n in WEB_ROUTES],
)
def test_control_b_opens_its_own_page(world: World, name: str) -> None:
    response = signed_in(world.b_member).get(url_of(name, PAGES[name], world))
    assert response.status_code == 200


ATTACK_QUERIES: list[Callable[[World], dict[str, Any]]] = [
    lambda w: {},
    lambda w: {"tenant": w.b.pk, "tenant_id": w.b.pk},
    lambda w: {"q": "quokka", "show": "all"},
    lambda w: {"q": f"#{w.obj['case'].pk}", "show": "done"},
    lambda w: {"provider": "partner", "tenant": w.b.pk, "description": "quokka"},
]

SELF_PAGES = [
    n
    for n, p in PAGES.items()
    if p.kind == SELF
    and n in WEB_ROUTES
    and n
    not in (
        "logout",
        "set_language",
        "web:set_language",
        "web:org_save",
        "web:org_invite",
        "web:inbox_read",
    )
    and n not in SIGNIN_REFUSED
]


@pytest.mark.parametrize("who", ["admin", "member"])
@pytest.mark.parametrize("name", SELF_PAGES)
def test_own_pages_never_show_tenant_b(world: World, name: str, who: str) -> None:
    client = signed_in(_person(world, who))
    url = url_of(name, PAGES[name], world)
    before = snapshot()
    for query in ATTACK_QUERIES:
        response = client.get(url, query(world), follow=True)
        assert response.status_code in (200, 400), (
            f"GET {url} {query(world)}: {response.status_code}"
        )
        leaked = mentions_b(body_text(response), world)
        assert leaked == [], f"GET {url} {query(world)} as A's {who} shows B: {leaked[:3]}"
    assert diff(before, snapshot()) == []


@pytest.mark.parametrize("who", ["admin", "member"])
@pytest.mark.parametrize("name", sorted(SIGNIN_REFUSED))
def test_refused_signin_pages_never_show_tenant_b(world: World, name: str, who: str) -> None:
    client = signed_in(_person(world, who))
    url = url_of(name, PAGES[name], world)
    for query in ATTACK_QUERIES:
        response = client.get(url, query(world), follow=True)
        assert response.status_code in SIGNIN_REFUSED[name], (url, response.status_code)
        assert mentions_b(body_text(response), world) == []


@pytest.mark.parametrize("name", ["home", "web:cases", "web:services", "web:reports", "web:org"])
def test_control_b_sees_its_own_data_on_its_pages(world: World, name: str) -> None:
    response = signed_in(world.b_admin).get(url_of(name, PAGES[name], world), follow=True)
    assert response.status_code == 200
    assert mentions_b(body_text(response), world) != []


def test_org_forms_only_write_the_own_organisation(world: World) -> None:
    """A hidden tenant field in the organisation form cannot move a write to B."""
    from supportplan.accounts.models import RegisteredSystem

    b_systems = list(RegisteredSystem.objects.filter(tenant=world.b).values_list("pk", "name"))
    client = signed_in(world.a_admin)
    response = client.post(
        reverse("web:org_save", kwargs={"which": "system"}),
        {
            "system-name": "alpha extra",
            "system-classification": "production",
            "system-tenant": world.b.pk,
            "tenant": world.b.pk,
            "tenant_id": world.b.pk,
        },  # fmt: skip
    )
    assert response.status_code in (302, 400)
    assert (
        list(RegisteredSystem.objects.filter(tenant=world.b).values_list("pk", "name")) == b_systems
    )
    response = client.post(
        reverse("web:org_save", kwargs={"which": "org"}),
        {
            "org-registered_email": "x@alpha.example",
            "org-report_emails": "",
            "org-language": "en",
            "tenant": world.b.pk,
        },  # fmt: skip
    )
    world.b.refresh_from_db()
    assert world.b.registered_email == "it@zeta-victim.example"


@pytest.mark.parametrize(
    "name", sorted(n for n, p in PAGES.items() if p.kind in (TENANT, STAFF) and n in WEB_ROUTES)
)
def test_anonymous_is_sent_to_sign_in(world: World, name: str) -> None:
    page = PAGES[name]
    url = url_of(name, page, world)
    before = snapshot()
    response = (
        Client().post(url, page.body(world) if page.body else {})
        if page.post_only
        else Client().get(url)
    )
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(reverse("login"))
    assert diff(before, snapshot()) == []


def test_customer_is_kept_out_of_the_admin(world: World) -> None:
    client = signed_in(world.a_admin)
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_tenant_change", args=[world.b.pk]),
        reverse("admin:reports_report_change", args=[world.obj["report"].pk]),
        reverse("admin:bookings_booking_change", args=[world.obj["booking"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
        assert mentions_b(body_text(response), world) == []


def test_case_form_cannot_use_b_system(world: World) -> None:
    from supportplan.cases.models import Case

    before = set(Case.objects.filter(system=world.obj["system"]).values_list("pk", flat=True))
    response = signed_in(world.a_member).post(
        reverse("web:case_new"),
        {
            "provider": "partner",
            "channel": "ticket",
            "severity": "general_guidance",
            "subject": "alpha q",
            "description": "how",
            "system": world.obj["system"].pk,
        },  # fmt: skip
    )
    assert response.status_code in (200, 302, 400)
    assert (
        set(Case.objects.filter(system=world.obj["system"]).values_list("pk", flat=True)) == before
    )
    assert mentions_b(body_text(response), world) == []


def test_marking_b_notice_read_leaves_it_unread(world: World) -> None:
    from supportplan.notifications.models import InAppNotification

    notice = world.obj["notification"]
    assert notice.read_at is None
    for user in (world.a_admin, world.a_member):
        signed_in(user).post(reverse("web:inbox_read"), {"id": notice.pk})
    assert InAppNotification.objects.get(pk=notice.pk).read_at is None
