"""The quota ledger: grants for annual orders and the expiry of what a quota year left."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from supportplan.catalog.domain import Plan
from supportplan.core.audit import audit_log
from supportplan.core.locking import lock_rows

from .. import domain, selectors
from ..models import LedgerKind, Order, QuotaBucket, QuotaEntry, Subscription


def _grant_quotas(
    order: Order,
    subscription: Subscription,
    plan: Plan,
    start: date,
    end: date,
    now: datetime,
    *,
    top_up_from: date | None = None,
) -> None:
    """Annual orders grant each quota-limited service once per quota year; monthly orders
    grant nothing. An upgrade tops the base order's buckets up to the new plan's quota
    (years from `top_up_from` on)."""
    if order.term != domain.ANNUAL:
        return
    for grant in plan.services:
        if grant.quota is None or not grant.available_on(order.term):
            continue
        for year_start, year_end in domain.quota_years(start, end):
            if top_up_from is not None and year_end <= top_up_from:
                continue
            bucket, _created = QuotaBucket.objects.get_or_create(
                order=order,
                service_code=grant.code,
                valid_from=year_start,
                defaults={
                    "tenant": order.tenant,
                    "subscription": subscription,
                    "unit": grant.service.unit,
                    "max_requests": grant.max_requests,
                    "valid_until": year_end,
                },
            )
            (bucket,) = lock_rows(QuotaBucket, [bucket.pk])
            if bucket.max_requests != grant.max_requests:
                QuotaBucket.objects.filter(pk=bucket.pk).update(max_requests=grant.max_requests)
            granted = sum(
                QuotaEntry.objects.filter(bucket=bucket, kind=LedgerKind.GRANT).values_list(
                    "quantity", flat=True
                )
            )
            missing = grant.quota - granted
            if missing <= 0:
                continue
            QuotaEntry.objects.create(
                tenant=order.tenant,
                bucket=bucket,
                kind=LedgerKind.GRANT,
                quantity=missing,
                at=now,
                note=f"{order.number} {plan.code}",
            )
            audit_log(
                action="quota.granted",
                at=now,
                tenant=order.tenant,
                target=bucket,
                data={
                    "service": grant.code,
                    "quantity": missing,
                    "unit": grant.service.unit,
                    "valid_from": year_start.isoformat(),
                    "valid_until": year_end.isoformat(),
                    "order": order.number,
                },
            )


def quota_expire_lapsed(*, now: datetime) -> int:
    """Write an `expire` entry for what is left in buckets whose quota year is over."""
    today = domain.local_date(now)
    done = 0
    lapsed = QuotaBucket.objects.filter(valid_until__lte=today).exclude(
        entries__kind=LedgerKind.EXPIRE
    )
    for bucket_id in lapsed.values_list("pk", flat=True).distinct():
        with transaction.atomic():
            (bucket,) = lock_rows(QuotaBucket, [bucket_id])
            if bucket.entries.filter(kind=LedgerKind.EXPIRE).exists():
                continue
            (balance,) = selectors.balances([bucket])
            left = balance.available
            if left <= 0:
                continue
            QuotaEntry.objects.create(
                tenant_id=bucket.tenant_id, bucket=bucket, kind=LedgerKind.EXPIRE,
                quantity=left, at=now, note="quota year over",
            )  # fmt: skip
            audit_log(
                action="quota.expired", at=now, tenant=bucket.tenant, target=bucket,
                data={"service": bucket.service_code, "quantity": left,
                      "valid_until": bucket.valid_until.isoformat()},
            )  # fmt: skip
            done += 1
    return done
