"""`supportplan reports generate --month 2026-10 [--tenant slug] [--no-send] [--force]`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from supportplan.core import clock
from supportplan.core.errors import DomainError
from supportplan.reports import services
from supportplan.reports.data import Month


class Command(BaseCommand):
    help = "Monthly service reports: generate (and send) a month's reports, with progress."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser(
            "generate", help="Generate every entitled tenant's report for a month."
        )
        gen.add_argument("--month", required=True, help="The month the report is about, YYYY-MM.")
        gen.add_argument("--tenant", help="Only this tenant (short name).")
        gen.add_argument("--no-send", action="store_true", help="Generate without e-mailing.")
        gen.add_argument(
            "--force", action="store_true", help="Regenerate finished reports (with --tenant)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options.get("language") or "en")
        try:
            month = Month.parse(options["month"])
            now = clock.now()
            if options["force"]:
                if not options["tenant"]:
                    raise CommandError("--force regenerates one tenant's report: add --tenant SLUG")
                from supportplan.accounts.models import Tenant

                tenant = Tenant.objects.filter(slug=options["tenant"]).first()
                if tenant is None:
                    raise CommandError(f"No tenant has the short name {options['tenant']}.")
                out = services.report_generate(tenant=tenant, month=month, now=now, force=True)
                self.stdout.write(f"{tenant.slug}: {out.report.status}")
                return
            deadline = services.report_deadline(month)
            self.stdout.write(
                f"Reports for {month.label} (deliver by {deadline.day:%Y-%m-%d}, Asia/Shanghai)"
            )

            def progress(i: int, total: int, line: services.BatchLine) -> None:
                if line.sent:
                    state = "generated, e-mail queued" if line.created else "e-mail queued"
                elif line.status == "not_generated":
                    state = "not generated"
                elif not line.created:
                    state = f"{line.status} (already done)"
                else:
                    state = line.status
                reason = f" — {line.reason}" if line.reason else ""
                self.stdout.write(f"[{i}/{total}] {line.tenant}: {state}{reason}")
                self.stdout.flush()

            lines = services.reports_generate_month(
                month=month,
                now=now,
                tenant_slug=options["tenant"],
                send=not options["no_send"],
                progress=progress,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        done = sum(1 for x in lines if x.status != "not_generated")
        self.stdout.write(
            self.style.SUCCESS(
                f"{done} of {len(lines)} reports ready or sent; "
                f"{len(lines) - done} not generated; {sum(1 for x in lines if x.sent)} e-mails queued now "
                "(a report is 'sent' once every recipient's mail server accepted it)."
            )
        )
