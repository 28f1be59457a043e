"""Who may do what: the one place permissions are decided.

Customers see only their own tenant. Provider staff see every tenant, but a few actions are
restricted to roles (e.g. only platform admins manage catalogs and people).
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from supportplan.core.errors import NotFound, PermissionDenied

from .models import TIER_RANK, Role, Tenant, User

MANAGE_TENANTS = frozenset(
    {Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER, Role.TAM, Role.BUSINESS_MANAGER}
)
MANAGE_PEOPLE = frozenset({Role.PLATFORM_ADMIN})
# Create customer organisations in the console and approve self-registered ones.
ONBOARD_ORGANISATIONS = frozenset(
    {Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER, Role.BUSINESS_MANAGER}
)
HANDLE_CASES = frozenset(
    {
        Role.ENGINEER,
        Role.EXPERT,
        Role.SENIOR_EXPERT,
        Role.TAM,
        Role.SUPPORT_MANAGER,
        Role.PLATFORM_ADMIN,
    }
)


def is_staff(user: Any) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.role not in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER)
    )


def has_role(user: Any, roles: frozenset[str] | set[str]) -> bool:
    return bool(user and user.is_authenticated and user.role in roles)


def visible_tenants(user: User) -> QuerySet[Tenant]:
    if is_staff(user):
        return Tenant.objects.all()
    if user.is_authenticated and user.tenant_id:
        return Tenant.objects.filter(pk=user.tenant_id)
    return Tenant.objects.none()


def tenant_for(user: User, tenant_id: int | str | None) -> Tenant:
    """The tenant `user` may act on. A tenant the user may not see is reported as not found."""
    if not is_staff(user):
        if tenant_id not in (None, "", user.tenant_id, str(user.tenant_id)):
            raise NotFound(_("Tenant"))
        if user.is_authenticated and user.tenant is not None:
            return user.tenant  # loaded with the user by the API's token authentication
        tenant_id = user.tenant_id
    if tenant_id in (None, ""):
        raise NotFound(_("Tenant"))
    try:
        return visible_tenants(user).get(pk=int(tenant_id))  # type: ignore[arg-type]
    except (Tenant.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Tenant")) from None


def require_role(user: Any, roles: frozenset[str] | set[str]) -> None:
    if not has_role(user, roles):
        raise PermissionDenied()


def require_tenant_admin(user: User, tenant: Tenant) -> None:
    """Customer admins manage their own organisation; account-management staff manage any."""
    if is_staff(user):
        require_role(user, MANAGE_TENANTS)
        return
    if user.role != Role.CUSTOMER_ADMIN or user.tenant_id != tenant.pk:
        raise PermissionDenied(
            "tenant.admin_required",
            _("Only an administrator of your organisation can change this."),
        )


def may_manage_keys_of(actor: Any, owner: Any) -> bool:
    """A person manages their own keys (cloud-API access keys, API keys); a customer admin
    those of their organisation's people; a platform administrator anyone's."""
    if actor.pk == owner.pk or actor.is_superuser or actor.role == Role.PLATFORM_ADMIN:
        return True
    return bool(
        owner.tenant_id and actor.tenant_id == owner.tenant_id and actor.role == Role.CUSTOMER_ADMIN
    )


# Staff who look after people: a support manager sets handler tiers (who takes which queue);
# everything else about staff is the platform administrator's.
SET_HANDLER_TIERS = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER})


def require_may_manage_person(actor: Any, person: User, aspects: set[str]) -> None:
    """May `actor` change `aspects` (role, handler_tier, is_active, is_staff, is_superuser, mfa)
    of `person`? A customer administrator manages the people of their own organisation (a
    person of another organisation is "not found"); account-management staff manage any
    customer's people; provider staff are managed by platform administrators (handler tiers
    also by support managers). Admin-site flags are the platform administrator's alone."""
    if not (actor and actor.is_authenticated):
        raise PermissionDenied()
    if actor.is_superuser or actor.role == Role.PLATFORM_ADMIN:
        return
    if aspects & {"is_staff", "is_superuser"}:
        raise PermissionDenied(
            "user.admin_flags_forbidden",
            _("Only a platform administrator gives access to the admin site."),
        )
    if person.role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER):
        if is_staff(actor):
            require_role(actor, MANAGE_TENANTS)
            return
        if actor.tenant_id != person.tenant_id:
            raise NotFound(_("Person"))
        if actor.role != Role.CUSTOMER_ADMIN:
            raise PermissionDenied(
                "tenant.admin_required",
                _("Only an administrator of your organisation can change this."),
            )
        return
    if not is_staff(actor):
        raise NotFound(_("Person"))
    if aspects <= {"handler_tier"} and actor.role in SET_HANDLER_TIERS:
        return
    raise PermissionDenied(
        "user.manage_forbidden",
        _("Only a platform administrator changes the roles and access of provider staff."),
    )


def people_visible_to(user: Any) -> QuerySet[User]:
    """The people `user` may look up: their own organisation's, or (staff) everyone."""
    if is_staff(user):
        return User.objects.all()
    if user and user.is_authenticated and user.tenant_id:
        return User.objects.filter(tenant_id=user.tenant_id)
    return User.objects.none()


def tier_may_handle(staff_tier: str, case_tier: str) -> bool:
    """A higher tier may take lower-tier cases, never the reverse."""
    return TIER_RANK.get(staff_tier, 0) >= TIER_RANK.get(case_tier, 99)  # type: ignore[call-overload]


# --------------------------------------------------------------------------- support cases
# Who sees and works which cases (used by supportplan.cases selectors and services).

SEE_ALL_CASES = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER})
CASE_HANDLER_ROLES = frozenset({Role.ENGINEER, Role.EXPERT, Role.SENIOR_EXPERT, Role.TAM})
ASSIGN_CASES = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER})


def case_visibility(user: Any) -> Q | None:
    """A filter on Case for what `user` may read; None means every case (managers).

    Customers: their own tenant. Handlers: queues of their tier and below, plus cases assigned
    to them. A TAM also sees every case of the tenants they manage; business managers and
    architects see (read only) the cases of their tenants.
    """
    if not (user and user.is_authenticated):
        return Q(pk__in=[])
    if user.role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER):
        return Q(tenant_id=user.tenant_id) if user.tenant_id else Q(pk__in=[])
    if user.role in SEE_ALL_CASES:
        return None
    q = Q(assignee_id=user.pk)
    if user.role in CASE_HANDLER_ROLES and user.handler_tier:
        tiers = [t for t in TIER_RANK if tier_may_handle(user.handler_tier, t)]
        q |= Q(queue__in=[str(t) for t in tiers])
    if user.role == Role.TAM:
        q |= Q(tenant__tam_id=user.pk)
    if user.role == Role.BUSINESS_MANAGER:
        q |= Q(tenant__business_manager_id=user.pk)
    if user.role == Role.ARCHITECT:
        q |= Q(tenant__architect_id=user.pk)
    return q


def may_work_case(user: Any, case: Any) -> bool:
    """Reply, note, wait on customer, resolve, escalate: handlers whose tier covers the case's
    queue, the assignee, the tenant's TAM, and managers."""
    if not is_staff(user):
        return False
    if user.role in SEE_ALL_CASES:
        return True
    if case.assignee_id == user.pk:
        return True
    if user.role == Role.TAM and case.tenant.tam_id == user.pk:
        return True
    return user.role in CASE_HANDLER_ROLES and tier_may_handle(user.handler_tier, case.queue)


def may_take_case(user: Any, case: Any) -> bool:
    """Taking a case into one's own hands needs a tier at least the queue's (never the reverse)."""
    return (
        is_staff(user)
        and user.role in CASE_HANDLER_ROLES | SEE_ALL_CASES
        and tier_may_handle(user.handler_tier, case.queue)
    )


def may_assign_cases(user: Any) -> bool:
    return has_role(user, ASSIGN_CASES)


def may_act_as_customer(user: Any, case: Any) -> bool:
    """A person of the case's tenant (customer admin or member)."""
    return bool(
        user
        and user.is_authenticated
        and user.role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER)
        and user.tenant_id == case.tenant_id
    )


# --------------------------------------------------------------------------- orders & bookings
# Used by supportplan.api.subscriptions / bookings (the services themselves do not check roles).

CONFIRM_PAYMENTS = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER, Role.BUSINESS_MANAGER})
MANAGE_BOOKINGS = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER, Role.TAM})


def require_may_buy(user: User, tenant: Tenant) -> None:
    """Orders, agreement acceptance, payment, plan changes: the tenant's administrators, or
    account-management staff on its behalf."""
    require_tenant_admin(user, tenant)


def require_may_confirm_payments(user: Any) -> None:
    """Bank transfers are confirmed by finance-facing staff only."""
    if not has_role(user, CONFIRM_PAYMENTS):
        raise PermissionDenied(
            "payment.confirm_forbidden",
            _(
                "Only platform administrators, support managers and business managers confirm payments."
            ),
        )


def require_may_request_booking(user: Any, tenant: Tenant) -> None:
    """Any person of the tenant may apply for a service of its plan; staff on its behalf."""
    if is_staff(user):
        require_role(user, MANAGE_BOOKINGS | MANAGE_TENANTS)
        return
    if not (user and user.is_authenticated and user.tenant_id == tenant.pk):
        raise NotFound(_("Tenant"))


def require_may_manage_bookings(user: Any) -> None:
    """Confirm (assign people) and deliver: support managers, TAMs, platform admins."""
    if not has_role(user, MANAGE_BOOKINGS):
        raise PermissionDenied(
            "booking.manage_forbidden",
            _("Only support managers, TAMs and platform administrators schedule services."),
        )


def require_booking_customer(user: Any, tenant: Tenant) -> None:
    """Accepting and rating a delivered service is the customer's word."""
    if not (
        user
        and user.is_authenticated
        and user.role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER)
        and user.tenant_id == tenant.pk
    ):
        raise PermissionDenied(
            "booking.customer_only",
            _("Only the customer accepts and rates a delivered service."),
        )
