from django.db.models import QuerySet

from .models import CloudAccount, RegisteredSystem, Tenant, User


def systems_of(tenant: Tenant) -> QuerySet[RegisteredSystem]:
    return RegisteredSystem.objects.for_tenant(tenant).order_by("name")


def cloud_accounts_of(tenant: Tenant) -> QuerySet[CloudAccount]:
    return CloudAccount.objects.for_tenant(tenant).order_by("cloud", "account_id")


def users_of(tenant: Tenant) -> QuerySet[User]:
    return User.objects.filter(tenant=tenant).order_by("username")
