"""The Django admin for tenants and people. Saves go through supportplan.accounts.services
like the portal and the API, so a role, tier, activation, admin-site or TAM change made here
is checked by the same rules and leaves the same audit entry."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import services
from .models import CloudAccount, RegisteredSystem, Tenant, User


class RegisteredSystemInline(admin.TabularInline):
    model = RegisteredSystem
    extra = 0


class CloudAccountInline(admin.TabularInline):
    model = CloudAccount
    extra = 0


TENANT_FIELDS = services.TENANT_UPDATABLE


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "registered_email", "tam", "in_proof_of_concept"]
    search_fields = ["name", "slug", "registered_email"]
    inlines = [RegisteredSystemInline, CloudAccountInline]
    exclude = ["created_at"]

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        now = clock.now()
        fields = {f: form.cleaned_data[f] for f in form.changed_data if f in TENANT_FIELDS}
        if not change:
            made = services.tenant_create(
                name=obj.name,
                slug=obj.slug,
                registered_email=obj.registered_email,
                language=obj.language,
                report_emails=obj.report_emails,
                actor=request.user,  # type: ignore[arg-type]
                now=now,
            )
            for key in ("registered_email", "language", "report_emails"):
                fields.pop(key, None)
            obj.pk, obj.created_at, obj._state = made.pk, made.created_at, made._state
            for key in TENANT_FIELDS:  # what the service has not written yet
                setattr(obj, key, getattr(made, key))
        else:
            stored = Tenant.objects.get(pk=obj.pk)
            for key in TENANT_FIELDS:
                setattr(obj, key, getattr(stored, key))
            super().save_model(request, obj, form, change)  # name and short name
        services.tenant_update(tenant=obj, actor=request.user, now=now, **fields)  # type: ignore[arg-type]


class UserAdminForm(forms.ModelForm):
    """Refuses, beside the form, what the service would refuse on save (the last
    administrator, a customer given a staff role, a change one's role does not allow)."""

    actor: Any = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None or self.errors:
            return data
        stored = User.objects.get(pk=self.instance.pk)
        changes = {
            f: data[f]
            for f in services.ACCESS_FIELDS
            if f in data and getattr(stored, f) != data[f]
        }
        problem = services.access_change_problem(actor=self.actor, user=stored, changes=changes)
        if problem is not None:
            raise ValidationError(problem.message)
        return data


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "tenant", "handler_tier", "language", "on_shift"]
    list_filter = ["role", "handler_tier", "language", "tenant"]
    actions = ["deactivate", "reset_mfa"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("Support platform"),
            {"fields": ("role", "tenant", "handler_tier", "language", "phone", "on_shift")},
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Support platform"), {"fields": ("role", "tenant", "handler_tier", "language")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Moving a person to another organisation would carry their access with them,
        # unaudited: create a new person there instead (the form offers it on "add").
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "tenant") if obj is not None else readonly

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        return type("UserChangeForm", (UserAdminForm, form), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        now, actor = clock.now(), request.user
        if not change:
            data = form.cleaned_data
            made = services.user_create(
                username=obj.username,
                role=obj.role,
                tenant=obj.tenant,
                handler_tier=obj.handler_tier,
                language=obj.language,
                password=data.get("password1") or None,
                actor=actor,  # type: ignore[arg-type]
                now=now,
            )
            obj.__dict__.update(made.__dict__)
            return
        stored = User.objects.get(pk=obj.pk)
        access = {f: getattr(obj, f) for f in services.ACCESS_FIELDS}
        for key in services.ACCESS_FIELDS:
            setattr(obj, key, getattr(stored, key))
        super().save_model(request, obj, form, change)  # names, e-mail, language, password...
        changes = {k: v for k, v in access.items() if getattr(stored, k) != v}
        services.user_access_change(actor=actor, user=obj, now=now, **changes)  # type: ignore[arg-type]
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        groups = form.cleaned_data.pop("groups", None)
        permissions = form.cleaned_data.pop("user_permissions", None)
        super().save_related(request, form, formsets, change)
        if groups is not None and permissions is not None:
            services.user_permissions_set(
                actor=request.user,  # type: ignore[arg-type]
                user=form.instance,
                groups=groups,
                permissions=permissions,
                now=clock.now(),
            )

    @admin.action(description=_("Deactivate the selected people"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u, now: services.user_access_change(
            actor=request.user, user=u, now=now, is_active=False  # type: ignore[arg-type]
        ))  # fmt: skip

    @admin.action(description=_("Reset the second factors of the selected people"))
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u, now: services.user_mfa_reset(
            actor=request.user, user=u, now=now  # type: ignore[arg-type]
        ))  # fmt: skip

    def _each(self, request: HttpRequest, queryset: QuerySet[User], fn: Any) -> None:
        now, done = clock.now(), 0
        for person in queryset.order_by("pk"):
            try:
                fn(person, now)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{person.username}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(
                request, _("%(count)d people changed.") % {"count": done}, messages.SUCCESS
            )
