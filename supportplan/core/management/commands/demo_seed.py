import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from supportplan import demo
from supportplan.core import clock

# Contexts that contribute demo steps register them on import.
DEMO_MODULES = [
    "supportplan.catalog.demo",
    "supportplan.calendars.demo",
    "supportplan.subscriptions.demo",
    "supportplan.cases.demo",
    "supportplan.bookings.demo",
    "supportplan.advisories.demo",
    "supportplan.reports.demo",
    "supportplan.notifications.demo",
]


class Command(BaseCommand):
    help = (
        "Create demo staff, tenants on plans of both providers, and sample activity (idempotent)."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        for module in DEMO_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
        ctx = demo.DemoContext(now=clock.now())
        with transaction.atomic():
            for step in demo.STEPS:
                step(ctx)
        for line in ctx.lines:
            self.stdout.write(line)
        self.stdout.write(demo.login_banner(ctx))
