"""Demo data for `make run`: staff of every role, tenants on plans of both providers.

Idempotent: running it again leaves existing demo data alone. Each context adds its own
step to STEPS (catalogs, subscriptions, cases, bookings, reports...). Every step goes
through the real services, so the demo is what a real operator would have produced.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import translation

from supportplan.accounts import services as accounts
from supportplan.accounts.models import Role, Tenant, User

DEMO_PASSWORD = "demo-pass-2026"


@dataclass
class DemoContext:
    now: datetime
    people: dict[str, User] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def history_start(now: datetime) -> datetime:
    """09:00 Asia/Shanghai on the 1st of the month before `now`: annual demo customers buy
    their plan then, so last month (the monthly report's month) has real activity."""
    from supportplan.core.clock import BUSINESS_TZ

    local = now.astimezone(BUSINESS_TZ)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return local.replace(year=year, month=month, day=1, hour=9, minute=0, second=0, microsecond=0)


STAFF = [
    # username, role, handler tier, first name, last name, language
    ("admin", Role.PLATFORM_ADMIN, "", "平台", "管理员", "zh-hans"),
    ("manager", Role.SUPPORT_MANAGER, "senior_expert", "Mei", "Lin", "zh-hans"),
    ("engineer", Role.ENGINEER, "engineer", "Wei", "Zhang", "zh-hans"),
    ("engineer2", Role.ENGINEER, "engineer", "Jun", "Li", "en"),
    ("expert", Role.EXPERT, "expert", "Fang", "Wang", "zh-hans"),
    ("senior", Role.SENIOR_EXPERT, "senior_expert", "Hao", "Chen", "zh-hans"),
    ("tam", Role.TAM, "senior_expert", "Ling", "Zhao", "zh-hans"),
    ("bizmgr", Role.BUSINESS_MANAGER, "", "Qiang", "Sun", "zh-hans"),
    ("architect", Role.ARCHITECT, "", "Yan", "Zhou", "en"),
]

# slug, name, provider, plan, language, systems. Every text a tenant's people read is in the
# tenant's language only (names, systems, cases, replies, bookings): a mixed demo would hide
# a page that shows the wrong language.
TENANTS = [
    (
        "qingyun",
        "青云零售",
        "partner",
        "basic",
        "zh-hans",
        [("网上商城", "production"), ("测试环境", "non_production")],
    ),
    (
        "huaxia",
        "华夏物流",
        "partner",
        "dedicated",
        "zh-hans",
        [("调度核心系统", "core_production"), ("合作伙伴门户", "production")],
    ),
    (
        "jinhai",
        "Jinhai Bank",
        "partner",
        "vip",
        "en",
        [
            ("Core banking", "core_production"),
            ("Mobile app API", "production"),
            ("UAT", "non_production"),
        ],
    ),
    ("xiaomu", "小木工作室", "tencent", "s4", "zh-hans", [("博客", "production")]),
    (
        "dongfang",
        "东方游戏",
        "tencent",
        "s2",
        "zh-hans",
        [("游戏服务器", "core_production"), ("预发布环境", "non_production")],
    ),
    (
        "beichen",
        "Beichen Media",
        "tencent",
        "s1",
        "en",
        [("Streaming", "core_production"), ("CMS", "production")],
    ),
]


def in_language[T](language: str, texts: dict[str, T]) -> T:
    """The demo text for a tenant's language (zh-hans or en)."""
    return texts["zh-hans" if language.lower().startswith("zh") else "en"]


def seed_people(ctx: DemoContext) -> None:
    for username, role, tier, first, last, lang in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.user_create(
                username=username,
                role=role,
                handler_tier=tier,
                first_name=first,
                last_name=last,
                email=f"{username}@provider.example",
                password=DEMO_PASSWORD,
                language=lang,
                now=ctx.now,
            )
        ctx.people[username] = user
    for slug, name, provider, plan, lang, systems in TENANTS:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = accounts.tenant_create(
                name=name,
                slug=slug,
                registered_email=f"it@{slug}.example",
                language=lang,
                report_emails=[f"cio@{slug}.example"],
                now=ctx.now,
            )
            accounts.tenant_update(
                tenant=tenant,
                actor=None,
                now=ctx.now,
                technical_contact_name=in_language(
                    lang, {"zh-hans": f"{name}运维组", "en": f"{name} Ops"}
                ),
                technical_contact_email=f"ops@{slug}.example",
                technical_contact_phone="+86 10 5555 0100",
                tam=ctx.people["tam"] if plan in ("vip", "s1") else None,
                business_manager=ctx.people["bizmgr"] if plan in ("s2", "s1") else None,
                architect=ctx.people["architect"] if plan == "s1" else None,
            )
            for system_name, classification in systems:
                accounts.system_register(
                    tenant=tenant, name=system_name, classification=classification, now=ctx.now
                )
            for role, suffix in ((Role.CUSTOMER_ADMIN, "admin"), (Role.CUSTOMER_MEMBER, "user")):
                accounts.user_create(
                    username=f"{slug}-{suffix}",
                    role=role,
                    tenant=tenant,
                    email=f"{suffix}@{slug}.example",
                    password=DEMO_PASSWORD,
                    language=lang,
                    now=ctx.now,
                    first_name=in_language(lang, {"zh-hans": name, "en": slug.title()}),
                    last_name=in_language(
                        lang,
                        {
                            "zh-hans": "管理员" if suffix == "admin" else "成员",
                            "en": suffix.title(),
                        },
                    ),
                )
        ctx.tenants[slug] = tenant
        ctx.extra.setdefault("plans", {})[slug] = (provider, plan)


STEPS: list[Callable[[DemoContext], None]] = [seed_people]


def register_step(step: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
    STEPS.append(step)
    return step


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _role_label(role: str) -> str:
    with translation.override("en"):
        english = str(Role(role).label)
    with translation.override("zh-hans"):
        chinese = str(Role(role).label)
    return f"{english} / {chinese}"


def login_table(ctx: DemoContext) -> str:
    rows = [("User name", "Role", "Tenant / plan")]
    for username, role, *_ in STAFF:
        rows.append((username, _role_label(role), "-"))
    for slug, name, provider, plan, *_ in TENANTS:
        for suffix, role in (("admin", Role.CUSTOMER_ADMIN), ("user", Role.CUSTOMER_MEMBER)):
            rows.append((f"{slug}-{suffix}", _role_label(role), f"{name} · {provider}/{plan}"))
    width = [max(_width(r[i]) for r in rows) for i in range(3)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c + " " * (width[i] - _width(c)) for i, c in enumerate(cells)).rstrip()

    lines = [line(r) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in width))
    return "\n".join(lines) + f"\n\nPassword for every demo account: {DEMO_PASSWORD}"


def site_address() -> str:
    """Where the demo answers: the site URL the settings carry (`make run` sets
    SUPPORTPLAN_SITE_URL from HOST and PORT), never a fixed port."""
    from django.conf import settings

    return str(settings.SUPPORTPLAN_SITE_URL).rstrip("/") + "/"


def login_banner(ctx: DemoContext) -> str:
    return f"\nDemo log-ins ({site_address()}):\n" + login_table(ctx)
