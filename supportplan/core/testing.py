"""Shared test helpers: factories for tenants and people, an API client per user.

Factories call the real services so tests go through the one write path.
"""

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rest_framework.test import APIClient

from supportplan.accounts import services as account_services
from supportplan.accounts.models import Role, Tenant, User

# A fixed instant for tests: Monday 2026-11-23 10:00 Asia/Shanghai.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

# What a response holding a secret shown once (or a private report) answers: Django's
# add_never_cache_headers, so no browser or proxy keeps a copy.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"

_seq = itertools.count(1)


def make_tenant(name: str | None = None, *, now: datetime = T0, **fields: Any) -> Tenant:
    n = next(_seq)
    tenant = account_services.tenant_create(
        name=name or f"Tenant {n}",
        slug=fields.pop("slug", f"tenant-{n}"),
        registered_email=fields.pop("registered_email", f"it{n}@tenant{n}.example"),
        now=now,
    )
    fields.setdefault("technical_contact_name", f"Contact {n}")
    fields.setdefault("technical_contact_email", f"ops{n}@tenant{n}.example")
    account_services.tenant_update(tenant=tenant, actor=None, now=now, **fields)
    return tenant


def make_user(
    role: str = Role.CUSTOMER_MEMBER,
    *,
    tenant: Tenant | None = None,
    username: str | None = None,
    now: datetime = T0,
    **fields: Any,
) -> User:
    n = next(_seq)
    if role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER) and tenant is None:
        tenant = make_tenant(now=now)
    tiers = {
        Role.ENGINEER: "engineer",
        Role.EXPERT: "expert",
        Role.SENIOR_EXPERT: "senior_expert",
        Role.TAM: "senior_expert",
    }
    fields.setdefault("handler_tier", tiers.get(role, ""))  # type: ignore[call-overload]
    return account_services.user_create(
        username=username or f"{role}-{n}",
        role=role,
        tenant=tenant,
        email=fields.pop("email", f"{role.replace('_', '.')}{n}@example.com"),
        password=fields.pop("password", "pw-for-tests-123"),
        now=now,
        **fields,
    )


def api_client(user: User | None = None, *, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


def race[R](work: Callable[[int], R], threads: int) -> list[R]:
    """Run `work(0)` … `work(threads - 1)` in as many threads, released together by a barrier,
    each on its own database connection (closed at the end): for concurrency tests on
    PostgreSQL. Returns the results in thread order; if any thread raised, the first error
    is raised here once every thread has finished (a thread cannot fail the test itself)."""
    from django.db import connection

    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return results


def on_a_new_thread[R](fn: Callable[[], R]) -> R:
    """`fn()` on a thread that has run nothing yet, so whatever it keeps per thread (the
    report charts' figures and glyphs) starts empty; its error, if any, is raised here."""
    out: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return out[0]  # type: ignore[no-any-return]
