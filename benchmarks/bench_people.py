"""The customers gen_cases.py makes, with an API token and a case body each: what
bench_cases.py and profile_open.py post to POST /api/cases/. Call after django.setup()."""

from __future__ import annotations


def openers() -> list[tuple[str, dict[str, str]]]:
    """(token, body) per bench customer: partner tenants ask general guidance, Tencent ones a
    usage question, both by ticket (what every plan allows)."""
    from rest_framework.authtoken.models import Token

    from supportplan.accounts.models import User

    out = []
    for user in User.objects.filter(username__startswith="bench-customer-").order_by("pk"):
        token, _ = Token.objects.get_or_create(user=user)
        n = int(user.username.rsplit("-", 1)[1])
        provider = "partner" if n % 6 < 3 else "tencent"
        out.append(
            (
                token.key,
                {
                    "provider": provider,
                    "channel": "ticket",
                    "severity": "general_guidance" if provider == "partner" else "usage_question",
                    "subject": "Benchmark case",
                    "description": "Opened by a benchmark in benchmarks/",
                },
            )
        )
    return out
