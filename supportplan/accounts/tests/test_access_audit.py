"""Every change of who may do what leaves an audit entry with the value before and after,
whichever door it came through: the service, the portal, the API, the Django admin."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.forms import CheckboxInput, SplitDateTimeWidget
from django.test import Client
from django.urls import reverse

from supportplan.accounts import services
from supportplan.accounts.models import Role, Tenant, User
from supportplan.core.errors import DomainError, NotFound, PermissionDenied
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, api_client, make_tenant, make_user

pytestmark = pytest.mark.django_db


def entries(target: Any, prefix: str = "") -> list[tuple[str, Any, dict[str, Any]]]:
    qs = AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk), action__startswith=prefix
    ).order_by("pk")
    return [(e.action, e.actor_id, e.data) for e in qs]


@pytest.fixture
def org() -> dict[str, Any]:
    tenant = make_tenant("Acme")
    return {
        "tenant": tenant,
        "admin": make_user(
            Role.CUSTOMER_ADMIN, tenant=tenant, username="acme-admin", language="en"
        ),
        "member": make_user(Role.CUSTOMER_MEMBER, tenant=tenant, username="acme-bob"),
    }


@pytest.fixture
def platform_admin() -> User:
    return make_user(Role.PLATFORM_ADMIN, username="root-admin", language="en")


# --------------------------------------------------------------------------- the service


def test_role_change_is_audited_with_before_and_after(org):
    services.user_access_change(
        actor=org["admin"], user=org["member"], now=T0, role=Role.CUSTOMER_ADMIN
    )
    assert entries(org["member"], "user.role") == [
        (
            "user.role.changed",
            org["admin"].pk,
            {"username": "acme-bob", "before": "customer_member", "after": "customer_admin"},
        )
    ]


def test_promotion_to_platform_admin_brings_the_admin_site_and_says_so(platform_admin):
    engineer = make_user(Role.ENGINEER, username="eng-1")
    services.user_access_change(
        actor=platform_admin, user=engineer, now=T0, role=Role.PLATFORM_ADMIN
    )
    engineer.refresh_from_db()
    assert (engineer.is_staff, engineer.is_superuser) == (True, True)
    assert [a for a, _actor, _d in entries(engineer, "user.") if a != "user.created"] == [
        "user.role.changed",
        "user.admin_site.changed",
        "user.superuser.changed",
    ]


def test_unchanged_values_write_nothing(org):
    services.user_access_change(
        actor=org["admin"], user=org["member"], now=T0, role=Role.CUSTOMER_MEMBER
    )
    assert entries(org["member"], "user.role") == []


def test_last_administrator_cannot_be_demoted_or_deactivated(org):
    other = make_user(Role.CUSTOMER_ADMIN, tenant=org["tenant"], username="acme-carol")
    services.user_access_change(actor=other, user=org["admin"], now=T0, is_active=False)
    with pytest.raises(DomainError) as exc:
        services.user_access_change(actor=None, user=other, now=T0, role=Role.CUSTOMER_MEMBER)
    assert exc.value.code == "user.last_admin"
    assert User.objects.get(pk=other.pk).role == Role.CUSTOMER_ADMIN


def test_a_member_changes_nothing_and_another_tenant_is_not_found(org):
    with pytest.raises(PermissionDenied):
        services.user_access_change(actor=org["member"], user=org["admin"], now=T0, is_active=False)
    stranger = make_user(Role.CUSTOMER_ADMIN, username="other-admin")
    with pytest.raises(NotFound):
        services.user_access_change(actor=stranger, user=org["member"], now=T0, is_active=False)
    assert User.objects.get(pk=org["member"].pk).is_active is True
    assert entries(org["member"], "user.deactivated") == []


def test_customers_cannot_be_given_staff_roles(org, platform_admin):
    with pytest.raises(DomainError) as exc:
        services.user_access_change(
            actor=platform_admin, user=org["member"], now=T0, role=Role.PLATFORM_ADMIN
        )
    assert exc.value.code == "user.role_side"


def test_handler_tier_by_support_manager_but_not_roles(platform_admin):
    manager = make_user(Role.SUPPORT_MANAGER, username="mgr", handler_tier="senior_expert")
    engineer = make_user(Role.ENGINEER, username="eng-2")
    services.user_access_change(actor=manager, user=engineer, now=T0, handler_tier="expert")
    assert entries(engineer, "user.handler_tier") == [
        (
            "user.handler_tier.changed",
            manager.pk,
            {"username": "eng-2", "before": "engineer", "after": "expert"},
        )
    ]
    with pytest.raises(PermissionDenied) as exc:
        services.user_access_change(actor=manager, user=engineer, now=T0, role=Role.EXPERT)
    assert exc.value.code == "user.manage_forbidden"


def test_mfa_reset_removes_the_factors_and_is_audited(org):
    Authenticator.objects.create(user=org["member"], type=Authenticator.Type.TOTP, data={})
    Authenticator.objects.create(
        user=org["member"], type=Authenticator.Type.RECOVERY_CODES, data={}
    )
    removed = services.user_mfa_reset(actor=org["admin"], user=org["member"], now=T0)
    assert removed == ["recovery_codes", "totp"]
    assert not Authenticator.objects.filter(user=org["member"]).exists()
    assert entries(org["member"], "user.mfa") == [
        ("user.mfa.reset", org["admin"].pk, {"username": "acme-bob", "removed": removed})
    ]


def test_tam_and_business_manager_assignment_is_audited(org):
    tam = make_user(Role.TAM, username="tam-1")
    biz = make_user(Role.BUSINESS_MANAGER, username="biz-1")
    manager = make_user(Role.SUPPORT_MANAGER, username="mgr-2")
    tenant = org["tenant"]
    services.tenant_update(tenant=tenant, actor=manager, now=T0, tam=tam, business_manager=biz)
    assert entries(tenant, "tenant.tam") + entries(tenant, "tenant.business_manager") == [
        ("tenant.tam.changed", manager.pk, {"before": None, "after": tam.pk}),
        ("tenant.business_manager.changed", manager.pk, {"before": None, "after": biz.pk}),
    ]
    with pytest.raises(PermissionDenied):  # a customer does not choose its own TAM
        services.tenant_update(tenant=tenant, actor=org["admin"], now=T0, tam=None)
    with pytest.raises(DomainError) as exc:  # an engineer is not a TAM
        services.tenant_update(
            tenant=tenant, actor=manager, now=T0, tam=make_user(Role.ENGINEER, username="e3")
        )
    assert exc.value.code == "tenant.bad_assignee"


# --------------------------------------------------------------------------- the portal


def test_portal_role_change_and_deactivation(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org["admin"])
    member = org["member"]
    response = client.post(
        reverse("web:org_person", args=[member.pk, "role"]), {"role": "customer_admin"}
    )
    assert response.status_code == 302
    response = client.post(reverse("web:org_person", args=[member.pk, "deactivate"]))
    assert response.status_code == 302
    assert entries(member, "user.")[1:] == [
        (
            "user.role.changed",
            org["admin"].pk,
            {"username": "acme-bob", "before": "customer_member", "after": "customer_admin"},
        ),
        (
            "user.deactivated",
            org["admin"].pk,
            {"username": "acme-bob", "before": True, "after": False},
        ),
    ]
    page = client.get(reverse("web:org")).content.decode()
    assert "Deactivated" in page


def test_portal_refusal_is_a_message_in_chinese(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org["member"])
    response = client.post(
        reverse("web:org_person", args=[org["admin"].pk, "deactivate"]), follow=True
    )
    assert response.status_code == 200
    assert "只有" in response.content.decode()
    assert User.objects.get(pk=org["admin"].pk).is_active


def test_portal_person_of_another_tenant_is_not_found(org):
    stranger = make_user(Role.CUSTOMER_MEMBER, username="stranger")
    client = Client()
    client.force_login(org["admin"])
    response = client.post(reverse("web:org_person", args=[stranger.pk, "deactivate"]))
    assert response.status_code == 404
    assert User.objects.get(pk=stranger.pk).is_active


# --------------------------------------------------------------------------- the API


def test_api_role_change_deactivation_and_mfa_reset(org):
    client = api_client(org["admin"])
    member = org["member"]
    url = reverse("person-detail", args=[member.pk])
    response = client.patch(url, {"role": "customer_admin"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "customer_admin"
    response = client.patch(url, {"is_active": False}, format="json")
    assert response.json()["is_active"] is False
    Authenticator.objects.create(user=member, type=Authenticator.Type.TOTP, data={})
    response = client.post(reverse("person-mfa-reset", args=[member.pk]))
    assert response.json() == {"removed": ["totp"]}
    assert [a for a, actor, _d in entries(member, "user.") if actor == org["admin"].pk] == [
        "user.role.changed",
        "user.deactivated",
        "user.mfa.reset",
    ]


def test_api_refusals_use_the_envelope(org):
    response = api_client(org["member"]).patch(
        reverse("person-detail", args=[org["admin"].pk]), {"is_active": False}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "tenant.admin_required"
    response = api_client(org["admin"]).patch(
        reverse("person-detail", args=[org["admin"].pk]), {"role": "customer_member"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "user.change_self"
    stranger = make_user(Role.CUSTOMER_MEMBER, username="stranger2")
    response = api_client(org["admin"]).patch(
        reverse("person-detail", args=[stranger.pk]), {"is_active": False}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# --------------------------------------------------------------------------- the Django admin


def admin_form_data(client: Client, url: str) -> dict[str, Any]:
    """What the browser would post back unchanged from an admin change page."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, SplitDateTimeWidget):
            for i, part in enumerate(widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else str(part)
        elif isinstance(widget, CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = value
    for inline in response.context.get("inline_admin_formsets", []):
        management = inline.formset.management_form
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{key}"] = management[key].value()
        for sub in inline.formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value is not None and value is not False:
                    data[sub.add_prefix(name)] = "on" if value is True else value
    return data


@pytest.fixture
def admin_client(platform_admin) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(platform_admin)
    return client


def test_admin_user_change_form_goes_through_the_service(org, admin_client, platform_admin):
    member = org["member"]
    url = reverse("admin:accounts_user_change", args=[member.pk])
    data = admin_form_data(admin_client, url)
    data["role"] = "customer_admin"
    data.pop("is_active")
    data["first_name"] = "Bob"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.role, member.is_active, member.first_name) == ("customer_admin", False, "Bob")
    assert entries(member, "user.")[1:] == [
        (
            "user.role.changed",
            platform_admin.pk,
            {"username": "acme-bob", "before": "customer_member", "after": "customer_admin"},
        ),
        (
            "user.deactivated",
            platform_admin.pk,
            {"username": "acme-bob", "before": True, "after": False},
        ),
    ]


def test_admin_refuses_demoting_the_last_administrator_on_the_form(org, admin_client):
    url = reverse("admin:accounts_user_change", args=[org["admin"].pk])
    data = admin_form_data(admin_client, url)
    data["role"] = "customer_member"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "only administrator" in response.content.decode()
    assert User.objects.get(pk=org["admin"].pk).role == "customer_admin"
    assert entries(org["admin"], "user.role") == []


def test_admin_superuser_flag_and_groups_are_audited(org, admin_client, platform_admin):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="report editors")
    engineer = make_user(Role.ENGINEER, username="eng-9")
    url = reverse("admin:accounts_user_change", args=[engineer.pk])
    data = admin_form_data(admin_client, url)
    data["is_superuser"] = "on"
    data["groups"] = [str(group.pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert entries(engineer, "user.")[1:] == [
        (
            "user.superuser.changed",
            platform_admin.pk,
            {"username": "eng-9", "before": False, "after": True},
        ),
        (
            "user.permissions.changed",
            platform_admin.pk,
            {
                "username": "eng-9",
                "before": {"groups": [], "permissions": []},
                "after": {"groups": ["report editors"], "permissions": []},
            },
        ),
    ]


def test_admin_actions_deactivate_and_reset_mfa(org, admin_client, platform_admin):
    member = org["member"]
    Authenticator.objects.create(user=member, type=Authenticator.Type.TOTP, data={})
    changelist = reverse("admin:accounts_user_changelist")
    for action in ("deactivate", "reset_mfa"):
        response = admin_client.post(
            changelist, {"action": action, "_selected_action": [str(member.pk)]}
        )
        assert response.status_code == 302
    assert [(a, actor) for a, actor, _d in entries(member, "user.")][1:] == [
        ("user.deactivated", platform_admin.pk),
        ("user.mfa.reset", platform_admin.pk),
    ]


def test_admin_tenant_tam_change_goes_through_the_service(org, admin_client, platform_admin):
    tam = make_user(Role.TAM, username="tam-9")
    tenant = org["tenant"]
    url = reverse("admin:accounts_tenant_change", args=[tenant.pk])
    data = admin_form_data(admin_client, url)
    data["tam"] = str(tam.pk)
    data["name"] = "Acme Holdings"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant.refresh_from_db()
    assert (tenant.name, tenant.tam_id) == ("Acme Holdings", tam.pk)
    assert entries(tenant, "tenant.tam") == [
        ("tenant.tam.changed", platform_admin.pk, {"before": None, "after": tam.pk})
    ]


def test_admin_new_tenant_and_person_are_created_by_the_services(admin_client, platform_admin):
    data = admin_form_data(admin_client, reverse("admin:accounts_tenant_add"))
    data.update(name="Beta Ltd", slug="beta", registered_email="it@beta.example", language="en")
    response = admin_client.post(reverse("admin:accounts_tenant_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant = Tenant.objects.get(slug="beta")
    assert tenant.created_at is not None
    assert entries(tenant, "tenant.created") == [
        ("tenant.created", platform_admin.pk, {"name": "Beta Ltd"})
    ]
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "beta-admin",
            "usable_password": "true",
            "password1": "long-enough-pass-42",
            "password2": "long-enough-pass-42",
            "role": "customer_admin",
            "tenant": str(tenant.pk),
            "language": "en",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    person = User.objects.get(username="beta-admin")
    assert person.check_password("long-enough-pass-42")
    assert entries(person, "user.") == [
        ("user.created", platform_admin.pk, {"role": "customer_admin"})
    ]


def test_admin_cannot_move_a_person_to_another_organisation(org, admin_client):
    other = make_tenant("Other Org")
    member = org["member"]
    url = reverse("admin:accounts_user_change", args=[member.pk])
    data = admin_form_data(admin_client, url)
    assert "tenant" not in data
    data["tenant"] = str(other.pk)
    response = admin_client.post(url, data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.tenant == org["tenant"]
