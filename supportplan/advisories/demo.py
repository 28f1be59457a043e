"""Demo step: one published security advisory that reaches the VIP tenant TAM-first.

金海银行 (VIP, enterprise care) and 华夏物流 (Dedicated) run Huawei Cloud and OpenSSH; the
advisory about OpenSSH < 9.8 gives the TAM ("tam") a contact task for 金海银行, while 华夏物流
gets the ordinary message-centre notice at once. Log in as `tam` to see the task, as
`jinhai-admin` to see that nothing arrived yet, as `huaxia-user` to read the notice.
Idempotent: the advisory is published once.
"""

from datetime import timedelta

from supportplan.accounts.models import CloudAccount, User
from supportplan.accounts.services import cloud_account_add
from supportplan.demo import DemoContext, register_step

from . import services
from .models import Advisory, SoftwareItem

TITLE = {
    "zh-hans": "OpenSSH 远程代码执行漏洞（CVE-2024-6387）",
    "en": "OpenSSH remote code execution (CVE-2024-6387)",
}

_INVENTORY = {
    # slug: (region, OpenSSH version)
    "jinhai": ("cn-north-4", "9.3"),
    "huaxia": ("cn-east-3", "8.9"),
}


@register_step
def publish_demo_advisory(ctx: DemoContext) -> None:
    if Advisory.objects.filter(title__en=TITLE["en"]).exists():
        return
    for slug, (region, version) in _INVENTORY.items():
        tenant = ctx.tenants.get(slug)
        if tenant is None:
            continue
        if not CloudAccount.objects.filter(tenant=tenant, cloud="huawei").exists():
            cloud_account_add(
                tenant=tenant,
                cloud="huawei",
                account_id=f"demo-{slug}-huawei",
                display_name=f"{slug} Huawei Cloud",
                regions=[region],
                now=ctx.now,
            )
        if not SoftwareItem.objects.filter(tenant=tenant, name="OpenSSH").exists():
            admin = tenant.users.filter(username=f"{slug}-admin").first()
            actor = admin or User.objects.get(username="admin")
            services.software_add(
                actor=actor, tenant=tenant, name="OpenSSH", version=version, now=ctx.now
            )
    author = ctx.people.get("manager") or User.objects.get(username="manager")
    advisory = services.advisory_create(
        actor=author,
        kind="security_vulnerability",
        severity="critical",
        title=TITLE,
        body={
            "zh-hans": "OpenSSH 服务端存在信号处理竞争条件漏洞（regreSSHion），"
            "未经认证的攻击者可能以 root 身份远程执行代码。影响 9.8 之前的版本。",
            "en": "A signal-handler race in the OpenSSH server (regreSSHion) may let an "
            "unauthenticated attacker run code as root. Versions before 9.8 are affected.",
        },
        actions={
            "zh-hans": "升级 OpenSSH 至 9.8 或更高版本；无法立即升级时，将 LoginGraceTime 设为 0 "
            "并通过安全组限制 22 端口的访问来源。",
            "en": "Upgrade OpenSSH to 9.8 or later; until then set LoginGraceTime to 0 and "
            "restrict port 22 to known sources with security groups.",
        },
        clouds=["huawei"],
        products=["ECS"],
        software=[{"name": "OpenSSH", "versions": "<9.8"}],
        contact_within=timedelta(hours=4),
        now=ctx.now,
    )
    targets = services.advisory_publish(actor=author, advisory=advisory, now=ctx.now)
    for target in targets:
        how = "TAM contact task first" if target.care else "message-centre notice"
        ctx.lines.append(f"Advisory #{advisory.pk} → {target.tenant.slug}: {how}")
