"""Run the subscriptions sweep once for an instant (replayable: --as-of 2027-01-01T00:00+08:00)."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportplan.core import clock
from supportplan.subscriptions.services import subscriptions_sweep


class Command(BaseCommand):
    help = "Start waiting plans, place automatic renewals, expire lapsed subscriptions and quota."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", help="ISO instant with a time zone (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = clock.now()
        if options.get("as_of"):
            as_of = datetime.fromisoformat(options["as_of"])
            if as_of.tzinfo is None:
                raise CommandError("--as-of needs a time zone, e.g. 2027-01-01T00:00+08:00")
        counts = subscriptions_sweep(now=as_of)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
