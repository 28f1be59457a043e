import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand

from supportplan.core import clock, schedule


class Command(BaseCommand):
    help = "Enqueue periodic jobs (SLA sweep, notification retries, monthly reports) at their interval."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now and exit.")
        parser.add_argument("--tick", type=float, default=15.0, help="Seconds between checks.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        for config in apps.get_app_configs():
            if config.name.startswith("supportplan."):
                try:
                    importlib.import_module(f"{config.name}.tasks")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.tasks":
                        raise
        last_run: dict = {}
        while True:
            now = clock.now()
            for job in schedule.due_jobs(last_run, now):
                job.enqueue(now)
                last_run[job.name] = now
                self.stdout.write(f"{now:%Y-%m-%d %H:%M:%S}Z enqueued {job.name}")
            if options["once"]:
                return
            time.sleep(options["tick"])
