"""Organisation settings: contacts, technical contact, registered systems, cloud accounts,
report e-mails, IM group robot, users. Only customer administrators change them
(accounts.permissions.require_tenant_admin); members see them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.accounts import selectors as account_selectors
from supportplan.accounts import services as account_services
from supportplan.accounts.models import Role
from supportplan.accounts.permissions import require_tenant_admin
from supportplan.core.errors import DomainError
from supportplan.notifications import selectors as notif_selectors
from supportplan.notifications import services as notif_services
from supportplan.web.forms import (
    CloudAccountForm,
    OrganisationForm,
    RobotForm,
    SystemForm,
    TechnicalContactForm,
    UserForm,
)

from .common import call_service, customer_view, request_now, user_of


def _forms(tenant: Any, data: dict[str, Any] | None = None, which: str = "") -> dict[str, Any]:
    def bound(name: str) -> Any:
        return data if which == name else None

    return {
        "org_form": OrganisationForm(
            bound("org"),
            initial={
                "registered_email": tenant.registered_email,
                "report_emails": "\n".join(tenant.report_emails or []),
                "language": tenant.language,
            },
            prefix="org",
        ),
        "contact_form": TechnicalContactForm(
            bound("contact"),
            initial={
                "technical_contact_name": tenant.technical_contact_name,
                "technical_contact_email": tenant.technical_contact_email,
                "technical_contact_phone": tenant.technical_contact_phone,
            },
            prefix="contact",
        ),
        "system_form": SystemForm(bound("system"), prefix="system"),
        "cloud_form": CloudAccountForm(bound("cloud"), prefix="cloud"),
        "user_form": UserForm(bound("user"), prefix="user"),
    }


def _page(request: HttpRequest, forms: dict[str, Any], status: int = 200) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    user = request.user
    context = {
        "nav": "org",
        "tenant": tenant,
        "is_admin": user.role == Role.CUSTOMER_ADMIN,  # type: ignore[union-attr]
        "systems": account_selectors.systems_of(tenant),
        "cloud_accounts": account_selectors.cloud_accounts_of(tenant),
        "people": account_selectors.users_of(tenant),
        "role_choices": [
            (Role.CUSTOMER_MEMBER.value, Role.CUSTOMER_MEMBER.label),
            (Role.CUSTOMER_ADMIN.value, Role.CUSTOMER_ADMIN.label),
        ],
        **forms,
    }
    robots = list(notif_selectors.robots_of_tenant(tenant))
    robot_forms = forms.get("robot_forms") or {}
    context["robots"] = [
        {
            "robot": r,
            "form": robot_forms.get(r.pk)
            or RobotForm(robot=r, prefix=f"robot{r.pk}", initial={"name": r.name}),
        }
        for r in robots
    ]
    context["robot_form"] = forms.get("robot_form") or RobotForm(prefix="robot")
    from supportplan.signin.models import Invitation

    from .onboarding import InviteForm

    now = request_now(request)
    context["invite_form"] = forms.get("invite_form") or InviteForm(
        prefix="invite", initial={"language": tenant.language}
    )
    context["invitations"] = [
        {"invitation": i, "state": i.state_at(now)}
        for i in Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True).order_by(
            "-created_at", "-pk"
        )[:50]
    ]
    context["im"] = notif_selectors.im_entitlement(tenant, request_now(request), get_language())
    return render(request, "web/org/settings.html", context, status=status)


@customer_view
def settings_page(request: HttpRequest) -> HttpResponse:
    return _page(request, _forms(request.tenant))  # type: ignore[attr-defined]


@require_POST
@customer_view
def settings_save(request: HttpRequest, which: str) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    now, user = request_now(request), user_of(request)
    forms = _forms(tenant, request.POST, which)
    try:
        require_tenant_admin(user, tenant)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:org")
    form = {
        "org": forms["org_form"],
        "contact": forms["contact_form"],
        "system": forms["system_form"],
        "cloud": forms["cloud_form"],
        "user": forms["user_form"],
    }.get(which)
    if form is None:
        return redirect("web:org")
    if not form.is_valid():
        return _page(request, forms, status=400)
    data = form.cleaned_data
    if which in ("org", "contact"):
        ok, _r = call_service(
            request,
            form,
            account_services.tenant_update,
            tenant=tenant,
            actor=user,
            now=now,
            **data,
        )
    elif which == "system":
        ok, _r = call_service(
            request,
            form,
            account_services.system_register,
            tenant=tenant,
            actor=user,
            now=now,
            **data,
        )
    elif which == "cloud":
        ok, _r = call_service(
            request,
            form,
            account_services.cloud_account_add,
            tenant=tenant,
            actor=user,
            now=now,
            **data,
        )
    else:
        ok, _r = call_service(
            request, form, account_services.user_create, tenant=tenant, actor=user, now=now, **data
        )
    if not ok:
        return _page(request, forms, status=400)
    messages.success(
        request,
        {
            "org": _("The organisation's details were saved."),
            "contact": _("The technical contact was saved."),
            "system": _("The system was registered."),
            "cloud": _("The cloud account was added."),
        }.get(which, _("The new user was added.")),
    )
    anchor = {
        "org": "profile",
        "contact": "contact",
        "system": "systems",
        "cloud": "clouds",
        "user": "users",
    }
    return redirect(reverse("web:org") + "#" + anchor[which])


def _robot_of(tenant: Any, robot_id: Any) -> Any:
    robot = notif_selectors.robots_of_tenant(tenant).filter(pk=robot_id).first()
    if robot is None:
        from django.http import Http404

        raise Http404()
    return robot


@require_POST
@customer_view
def robot_save(request: HttpRequest) -> HttpResponse:
    """Add the organisation's IM group robot, or change one (name, webhook, secret). The
    secret is write-only: an empty field keeps the stored one; the page only says 'set'."""
    tenant = request.tenant  # type: ignore[attr-defined]
    now, user = request_now(request), user_of(request)
    try:
        require_tenant_admin(user, tenant)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:org")
    robot_id = request.POST.get("robot_id", "")
    robot = _robot_of(tenant, robot_id) if robot_id else None
    prefix = f"robot{robot.pk}" if robot else "robot"
    form = RobotForm(request.POST, robot=robot, prefix=prefix)
    forms = _forms(tenant)
    if robot is not None:
        forms["robot_forms"] = {robot.pk: form}
    else:
        forms["robot_form"] = form
    if not form.is_valid():
        return _page(request, forms, status=400)
    d = form.cleaned_data
    if robot is None:
        ok = add_robot(request, form, tenant=tenant)
    else:
        ok, _r = call_service(
            request,
            form,
            notif_services.robot_update,
            actor=user,
            robot=robot,
            now=now,
            name=d["name"],
            webhook_url=d["webhook_url"] or None,
            secret=d["secret"] or None,
            language=get_language(),
        )
    if not ok:
        return _page(request, forms, status=400)
    messages.success(
        request,
        _("The group robot was added.") if robot is None else _("The group robot was saved."),
    )
    return redirect(reverse("web:org") + "#robots")


@require_POST
@customer_view
def robot_remove(request: HttpRequest, robot_id: int) -> HttpResponse:
    tenant, now, user = request.tenant, request_now(request), request.user  # type: ignore[attr-defined]
    robot = _robot_of(tenant, robot_id)
    ok, _r = call_service(
        request, None, notif_services.robot_remove, actor=user, robot=robot, now=now
    )
    if ok:
        messages.success(request, _("Robot removed."))
    return redirect(reverse("web:org") + "#robots")


@require_POST
@customer_view
def robot_test(request: HttpRequest, robot_id: int) -> HttpResponse:
    """Send a test message now; the platform's answer comes back as the page's message."""
    tenant = request.tenant  # type: ignore[attr-defined]
    send_robot_test(request, _robot_of(tenant, robot_id))
    return redirect(reverse("web:org") + f"#robot-{robot_id}")


def add_robot(
    request: HttpRequest, form: RobotForm, *, tenant: Any = None, team: Any = None
) -> bool:
    """Add the robot a valid RobotForm describes, for a tenant's IM group or a staff team;
    a refusal lands on the form."""
    d = form.cleaned_data
    ok, _r = call_service(
        request,
        form,
        notif_services.robot_add,
        actor=user_of(request),
        tenant=tenant,
        team=team,
        platform=d["platform"],
        name=d["name"],
        webhook_url=d["webhook_url"],
        secret=d["secret"],
        now=request_now(request),
        language=get_language(),
    )
    return bool(ok)


def send_robot_test(request: HttpRequest, robot: Any) -> None:
    """A test message now; what the platform answered becomes the page's message."""
    ok, result = call_service(
        request,
        None,
        notif_services.robot_test,
        actor=user_of(request),
        robot=robot,
        now=request_now(request),
        language=get_language(),
    )
    if ok:
        (messages.success if result.ok else messages.error)(request, result.message)


PERSON_ACTIONS = ("role", "deactivate", "reactivate", "mfa-reset")


@require_POST
@customer_view
def person_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    """A customer administrator changes a colleague's role, deactivates or reactivates them,
    or removes their second factors (a lost phone). Checked and audited by the service; a
    person of another organisation is not found."""
    tenant = request.tenant  # type: ignore[attr-defined]
    now, user = request_now(request), user_of(request)
    person = account_selectors.users_of(tenant).filter(pk=user_id).first()
    if person is None or action not in PERSON_ACTIONS:
        from django.http import Http404

        raise Http404()
    if action == "mfa-reset":
        ok, _r = call_service(
            request, None, account_services.user_mfa_reset, actor=user, user=person, now=now
        )
        done = _(
            "The second factors of %(user)s were removed; they set up a new one at their next sign-in."
        )
    else:
        if action == "role":
            role = request.POST.get("role", "")
            if role not in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER):
                messages.error(request, _("Choose a role."))
                return redirect(reverse("web:org") + "#users")
            change: dict[str, Any] = {"role": role}
            done = _("The role of %(user)s was changed.")
        else:
            change = {"is_active": action == "reactivate"}
            done = (
                _("%(user)s can sign in again.")
                if action == "reactivate"
                else _("%(user)s is deactivated and can no longer sign in.")
            )
        ok, _r = call_service(
            request,
            None,
            account_services.user_access_change,
            actor=user,
            user=person,
            now=now,
            **change,
        )
    if ok:
        messages.success(request, done % {"user": person.get_full_name() or person.username})
    return redirect(reverse("web:org") + "#users")
