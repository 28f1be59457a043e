"""`supportplan sla due --provider P --plan X --severity S --channel C --opened ISO`."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from supportplan.calendars import answers, selectors
from supportplan.calendars.cli import AnswerCommand, add_common
from supportplan.core.errors import DomainError


class Command(AnswerCommand):
    help = "SLA answers for operators: when is a first response due, and on which calendar."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        due = sub.add_parser("due", help="First-response due time of a new case.")
        due.add_argument("--provider", required=True, help="Provider code, e.g. partner.")
        due.add_argument("--plan", required=True, help="Plan code, e.g. vip.")
        due.add_argument("--severity", required=True, help="Severity code.")
        due.add_argument("--channel", required=True, help="Channel code, e.g. ticket.")
        due.add_argument(
            "--opened", required=True, help="When the case was opened, e.g. 2026-10-01T09:00+08:00."
        )
        due.add_argument(
            "--escort",
            action="append",
            default=[],
            metavar="DAY[..DAY]",
            help="A booked escort (whole days, Asia/Shanghai), e.g. 2026-11-28 or 2026-11-28..2026-11-30.",
        )
        due.add_argument(
            "--catalog-file",
            dest="catalog_file",
            help="Use this catalog file instead of the provider's loaded catalog.",
        )
        add_common(due)

    def handle(self, *args: Any, **options: Any) -> None:
        self.emit(options)

    def answer(self, options: dict[str, Any]) -> dict[str, Any]:
        catalog = _catalog(options["provider"], options.get("catalog_file"))
        return answers.sla_due(
            catalog,
            plan=options["plan"],
            severity=options["severity"],
            channel=options["channel"],
            opened=answers.parse_instant(options["opened"], "opened"),
            calendars=selectors.calendar_for,
            escort_days=[_days(text) for text in options["escort"]],
        )

    def text(self, answer: dict[str, Any]) -> list[str]:
        cal = answer["calendar"]
        lines = [
            _("due %(due)s") % {"due": answer["due"]},
            _(
                "first response < %(target)s for %(provider)s / %(plan)s / %(severity)s via %(channel)s, opened %(opened)s"
            )
            % answer,
            _("rule: %(rule)s; calendar %(code)s (%(tz)s)")
            % {"rule": answer["rule"], "code": cal["code"], "tz": cal["tz"]},
        ]
        spans = {", ".join(v) or "-" for v in cal["weekly"].values()}
        if len(spans) == 1:
            lines.append(_("  every day: %(spans)s") % {"spans": spans.pop()})
        else:
            for day, v in cal["weekly"].items():
                lines.append(f"  {day:<9} {', '.join(v) or '-'}")
        if cal["observes_holidays"]:
            lines.append(
                _(
                    "  statutory holidays close it; adjusted working days open %(spans)s; holiday data known for %(years)s"
                )
                % {
                    "spans": ", ".join(cal["adjusted_workday_windows"]),
                    "years": cal["holiday_years_known"],
                }
            )
        else:
            lines.append(_("  statutory holidays do not apply"))
        for line in answers.day_ranges(answer["special_days"]):
            lines.append(f"  {line}")
        for e in answer["escorts"]:
            lines.append(_("  escort %(start)s - %(end)s") % e)
        return lines


def _catalog(provider: str, path: str | None) -> Any:
    if path:
        from supportplan.catalog.files import read_catalog_file
        from supportplan.catalog.validation import CatalogInvalid

        try:
            catalog = read_catalog_file(Path(path))[1]
        except CatalogInvalid as exc:
            raise DomainError(
                "catalog.invalid",
                _("The catalog file was refused: %(problems)s"),
                problems="; ".join(exc.problems),
            ) from None
        if catalog.provider.code != provider:
            raise DomainError(
                "sla.provider_mismatch",
                _("%(file)s is the catalog of provider %(actual)s, not %(provider)s."),
                file=path,
                actual=catalog.provider.code,
                provider=provider,
            )
        return catalog
    from supportplan.catalog.selectors import current_catalog

    return current_catalog(provider)


def _days(text: str) -> tuple[date, date]:
    first, _sep, last = text.partition("..")
    a = answers.parse_day(first, "escort")
    b = answers.parse_day(last, "escort") if last else a
    if b < a:
        raise DomainError(
            "sla.escort_invalid",
            _("The escort %(value)s ends before it starts."),
            value=text,
        )
    return a, b
