"""Demo step: the staff teams whose IM groups hear of their queues' cases (no robot: the demo
makes no calls outside this machine; managers add one on the console's Teams page).
Idempotent."""

from supportplan.demo import DemoContext, register_step

from .models import Team

TEAMS = [
    ("frontline", "一线工程师 Frontline engineers", ["engineer"], ["engineer", "engineer2"]),
    ("experts", "技术专家 Experts", ["expert", "senior_expert"], ["expert", "senior"]),
]


@register_step
def seed_teams(ctx: DemoContext) -> None:
    for code, name, queues, members in TEAMS:
        team, created = Team.objects.get_or_create(
            code=code, defaults={"name": name, "queues": queues}
        )
        if created:
            team.members.add(*[ctx.people[m] for m in members if m in ctx.people])
            ctx.lines.append(f"team {code}: queues {', '.join(queues)}")
