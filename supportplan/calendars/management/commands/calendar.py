"""`supportplan calendar workday|check|import-library|import-notice|show`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportplan.accounts.models import User
from supportplan.calendars import answers, selectors, services
from supportplan.calendars.cli import AnswerCommand, add_common
from supportplan.core import clock
from supportplan.core.errors import DomainError


class Command(AnswerCommand):
    help = (
        "Business calendars: the N-th working day after a date, holiday-data checks, "
        "importing holidays from chinesecalendar or from an official notice file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        wd = sub.add_parser("workday", help="The N-th working day after a date.")
        wd.add_argument("--after", required=True, help="Date, e.g. 2026-11-23 (not counted).")
        wd.add_argument("--n", type=int, required=True, help="How many working days.")
        wd.add_argument("--calendar", default="5x8", help="Calendar code (default 5x8).")
        add_common(wd)
        check = sub.add_parser("check", help="Is holiday data there for this and next year?")
        check.add_argument("--as-of", dest="as_of", help="Instant to check at (default now).")
        add_common(check)
        lib = sub.add_parser("import-library", help="Copy chinesecalendar's data (idempotent).")
        lib.add_argument("--year", type=int, action="append", dest="years", help="Only this year.")
        lib.add_argument(
            "--force", action="store_true", help="Also overwrite years an admin edited."
        )
        lib.add_argument("--as", dest="username", help="Record this user as the actor.")
        add_common(lib)
        notice = sub.add_parser("import-notice", help="Import a year's official notice file.")
        notice.add_argument("file", metavar="FILE")
        notice.add_argument("--as", dest="username", help="Record this user as the actor.")
        add_common(notice)
        show = sub.add_parser("show", help="Windows and known holiday years of a calendar.")
        show.add_argument("code", nargs="?", default="5x8")
        add_common(show)

    def handle(self, *args: Any, **options: Any) -> None:
        self.emit(options)

    # ------------------------------------------------------------------ answers

    def answer(self, options: dict[str, Any]) -> dict[str, Any]:
        action = options["action"]
        if action == "workday":
            cal = selectors.calendar_for(options["calendar"])
            return answers.workday(cal, answers.parse_day(options["after"]), options["n"])
        if action == "check":
            at = (
                answers.parse_instant(options["as_of"], "as-of")
                if options["as_of"]
                else clock.now()
            )
            warnings = selectors.holiday_data_warnings(at)
            return {
                "as_of": answers.iso(at),
                "ok": not warnings,
                "warnings": [
                    {
                        "code": w.code,
                        "level": w.level,
                        "region": w.region,
                        "year": w.year,
                        "calendars": list(w.calendars),
                        "message": w.message,
                    }
                    for w in warnings
                ],
            }
        if action == "import-library":
            report = services.holidays_import_library(
                at=clock.now(),
                actor=self._actor(options),
                years=options["years"],
                force=options["force"],
            )
            return {"action": "import-library", **report.as_dict()}
        if action == "import-notice":
            report = services.holidays_import_notice_file(
                options["file"], at=clock.now(), actor=self._actor(options)
            )
            return {"action": "import-notice", "file": options["file"], **report.as_dict()}
        cal = selectors.calendar_for(options["code"])
        return answers.calendar_facts(cal)

    def _actor(self, options: dict[str, Any]) -> User | None:
        name = options.get("username")
        if not name:
            return None
        user = User.objects.filter(username=name).first()
        if user is None:
            raise DomainError("calendar.actor_unknown", _("There is no user %(name)s."), name=name)
        return user

    def text(self, answer: dict[str, Any]) -> list[str]:
        if "n" in answer and "after" in answer:
            lines = [
                f"{answer['date']} ({_(answer['weekday'])})",
                ngettext(
                    "%(n)s working day after %(after)s on calendar %(calendar)s",
                    "%(n)s working days after %(after)s on calendar %(calendar)s",
                    int(answer["n"]),
                )
                % {"n": answer["n"], "after": answer["after"], "calendar": answer["calendar"]},
            ]
            if answer["skipped"]:
                lines.append(
                    _("not counted: %(days)s")
                    % {"days": "; ".join(answers.day_ranges(answer["skipped"]))}
                )
            return lines
        if "ok" in answer:
            if answer["ok"]:
                return [
                    _("Holiday data is complete for this year (and next year, from 1 November).")
                ]
            lines = []
            for w in answer["warnings"]:
                lines.append(f"{w['level'].upper()} {w['message']}")
            answer["warnings"] = []  # already printed
            return lines
        if answer.get("action") in ("import-library", "import-notice"):
            return [
                _(
                    "years created: %(c)s; updated: %(u)s; unchanged: %(n)s; skipped (edited by an administrator or a notice; use --force): %(s)s"
                )
                % {
                    "c": _list(answer["years_created"]),
                    "u": _list(answer["years_updated"]),
                    "n": _list(answer["years_unchanged"]),
                    "s": _list(answer["years_skipped"]),
                },
                _("days added: %(a)s, changed: %(c)s, removed: %(r)s")
                % {"a": answer["added"], "c": answer["changed"], "r": answer["removed"]},
            ]
        lines = [f"{answer['code']} ({answer['tz']})"]
        for day, spans in answer["weekly"].items():
            lines.append(f"  {day:<9} {', '.join(spans) or '-'}")
        if answer["observes_holidays"]:
            lines.append(f"  adjusted  {', '.join(answer['adjusted_workday_windows'])}")
            lines.append(
                _("holiday data known for: %(years)s") % {"years": answer["holiday_years_known"]}
            )
        else:
            lines.append(_("statutory holidays do not apply"))
        return lines


def _list(values: list[int]) -> str:
    return ", ".join(map(str, values)) or "-"


__all__ = ["Command", "CommandError"]
