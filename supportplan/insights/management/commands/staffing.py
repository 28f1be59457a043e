"""`supportplan staffing erlang --calls-per-hour N --aht-seconds S --target-seconds T
--service-level P [--json]`: the agents one interval needs, with the service level and the
occupancy they give."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportplan.insights.erlang import agents_needed


class Command(BaseCommand):
    help = "Staffing arithmetic (Erlang C) for support managers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        erlang = sub.add_parser("erlang", help="Agents needed for one interval.")
        erlang.add_argument("--calls-per-hour", type=float, required=True)
        erlang.add_argument(
            "--aht-seconds", type=float, required=True, help="Average handling time."
        )
        erlang.add_argument(
            "--target-seconds", type=float, required=True, help="Answer within this."
        )
        erlang.add_argument(
            "--service-level", type=float, required=True,
            help="Share answered within the target: 0.8 or 80 (per cent).",
        )  # fmt: skip
        erlang.add_argument("--max-occupancy", type=float, default=None)
        erlang.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        goal = options["service_level"]
        goal = goal / 100 if goal > 1 else goal
        try:
            result = agents_needed(
                calls_per_hour=options["calls_per_hour"], aht_seconds=options["aht_seconds"],
                target_seconds=options["target_seconds"], service_level_goal=goal,
                max_occupancy=options["max_occupancy"],
            )  # fmt: skip
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        answer = {
            "agents": result.agents,
            "service_level": round(result.service_level, 4),
            "occupancy": round(result.occupancy, 4),
        }
        if options["json"]:
            self.stdout.write(json.dumps(answer))
        else:
            self.stdout.write(
                f"agents needed:  {answer['agents']}\n"
                f"service level:  {answer['service_level']:.1%} answered within "
                f"{options['target_seconds']:g} s\n"
                f"occupancy:      {answer['occupancy']:.1%}"
            )
