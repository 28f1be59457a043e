"""Shared plumbing of the calendar / sla / report commands: --json, --lang, and refusals
printed as one clear line (never a traceback)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from supportplan.core.errors import DomainError


def add_common(parser: ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    parser.add_argument(
        "--lang",
        choices=["zh-hans", "en"],
        help="Language of messages (default: the site language, zh-hans).",
    )


class AnswerCommand(BaseCommand):
    """Subclasses implement answer(options) -> dict and text(answer) -> list of lines."""

    # Read-only answers for operators: do not refuse because of unrelated system checks.
    requires_system_checks: list[str] = []  # type: ignore[assignment]

    def answer(self, options: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def text(self, answer: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def emit(self, options: dict[str, Any]) -> None:
        lang = options.get("lang")
        with translation.override(lang) if lang else _nothing():
            try:
                answer = self.answer(options)
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from None
            if options.get("json"):
                self.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2))
            else:
                for line in self.text(answer):
                    self.stdout.write(line)
                for w in answer.get("warnings", []):
                    self.stderr.write(f"WARNING {w['code']}: {w['message']}")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
