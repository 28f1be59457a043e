import time

from django.core.management.base import BaseCommand

from supportplan.core import clock, schedule


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs (SLA sweep, notification retries, monthly reports) at their "
        "interval. Run two or three on PostgreSQL: one leads, the others wait as standbys."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now and exit.")
        parser.add_argument("--tick", type=float, default=15.0, help="Seconds between checks.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        schedule.load_jobs()
        holder = schedule.holder_name()
        leader = False
        while True:
            leader = schedule.tick(clock.now(), holder, leader)
            if options["once"]:
                return
            time.sleep(options["tick"])
