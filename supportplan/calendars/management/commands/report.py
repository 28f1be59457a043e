"""`supportplan report deadline YYYY-MM`: the monthly-report delivery deadline (SPEC §2).

Lives in the calendars app because the rule is calendar arithmetic; other `report`
subcommands can be added here or moved with the reports app.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportplan.calendars import answers, selectors
from supportplan.calendars.cli import AnswerCommand, add_common


class Command(AnswerCommand):
    help = "Monthly service reports: the delivery deadline of a month."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        deadline = sub.add_parser("deadline", help="Delivery deadline of month YYYY-MM.")
        deadline.add_argument("month", metavar="YYYY-MM")
        add_common(deadline)

    def handle(self, *args: Any, **options: Any) -> None:
        self.emit(options)

    def answer(self, options: dict[str, Any]) -> dict[str, Any]:
        return answers.report_deadline(selectors.working_days_calendar(), options["month"])

    def text(self, answer: dict[str, Any]) -> list[str]:
        lines = [
            _("%(date)s (%(weekday)s), by the end of the day, Asia/Shanghai (late from %(due)s)")
            % {
                "date": answer["deadline_date"],
                "weekday": _(answer["weekday"]),
                "due": answer["due_at"],
            },
        ]
        rest = answer["holiday_rest_days"]
        lines.append(
            ngettext(
                "the 10th, plus %(n)s statutory-holiday rest day on the 1st-10th%(days)s",
                "the 10th, plus %(n)s statutory-holiday rest days on the 1st-10th%(days)s",
                len(rest),
            )
            % {"n": len(rest), "days": f": {', '.join(rest)}" if rest else ""}
        )
        if answer["pushed_over"]:
            lines.append(
                _("moved past holidays: %(days)s") % {"days": ", ".join(answer["pushed_over"])}
            )
        return lines
