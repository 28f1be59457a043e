"""`supportplan catalog load|diff|show|validate` — the operator's hands on plan catalogs."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportplan.accounts.models import User
from supportplan.catalog import selectors
from supportplan.catalog.diff import format_duration
from supportplan.catalog.domain import Catalog, Plan, Text
from supportplan.catalog.files import read_catalog_file, seed_catalog_paths
from supportplan.catalog.services import CatalogRefused, catalog_diff, catalog_load
from supportplan.catalog.validation import CatalogInvalid
from supportplan.core import clock


def _both(text: Text | None) -> str:
    if text is None:
        return "-"
    return text.zh_hans if text.zh_hans == text.en else f"{text.zh_hans} / {text.en}"


class Command(BaseCommand):
    # Operators load catalogs during deploys; the URL and template checks are not its business.
    requires_system_checks: list[str] = []

    help = (
        "Plan catalogs: validate, diff and load catalog files (each load is a new version; "
        "existing subscriptions and cases keep theirs), and show what plans include."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = sub.add_parser("load", help="Validate FILE(s) and load each as a new version.")
        load.add_argument("files", nargs="*", metavar="FILE")
        load.add_argument("--seeds", action="store_true", help="Load the shipped catalogs/*.yaml.")
        load.add_argument("--as", dest="username", help="Record this user as the loader.")
        diff = sub.add_parser("diff", help="Show what loading FILE would change, for whom.")
        diff.add_argument("file", metavar="FILE")
        diff.add_argument("--json", action="store_true", help="Machine-readable output.")
        validate = sub.add_parser("validate", help="Check FILE(s) without loading anything.")
        validate.add_argument("files", nargs="+", metavar="FILE")
        show = sub.add_parser("show", help="Print what the current plans include.")
        show.add_argument("--provider", help="Provider code (default: all).")
        show.add_argument("--plan", help="Plan code (default: all plans).")
        show.add_argument(
            "--catalog-version",
            dest="catalog_version",
            type=int,
            help="Version number (default: current).",
        )
        show.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "load":
            self._load(options)
        elif action == "diff":
            self._diff(options)
        elif action == "validate":
            self._validate(options)
        else:
            self._show(options)

    # ------------------------------------------------------------------ load / validate

    def _refuse(self, problems: list[str]) -> CommandError:
        for problem in problems:
            self.stderr.write(problem)
        return CommandError(
            f"catalog refused: {len(problems)} problem(s) listed above; nothing was loaded"
        )

    def _load(self, options: dict[str, Any]) -> None:
        files = [Path(f) for f in options["files"]]
        if options["seeds"]:
            files += seed_catalog_paths()
        if not files:
            raise CommandError("give a catalog FILE to load, or --seeds for catalogs/*.yaml")
        actor = None
        if options.get("username"):
            actor = User.objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['username']!r}")
        # Validate every file first: a run with one broken file loads nothing.
        problems: list[str] = []
        for path in files:
            try:
                read_catalog_file(path)
            except CatalogInvalid as exc:
                problems += exc.problems
        if problems:
            raise self._refuse(problems)
        now = clock.now()
        for path in files:
            try:
                result = catalog_load(source=path, actor=actor, now=now)
            except CatalogRefused as exc:
                raise self._refuse(exc.problems) from None
            v = result.version
            if result.created:
                self.stdout.write(
                    f"{v.provider.code}: loaded {path.name} as catalog version {v.number} "
                    f"({len(result.catalog.plans)} plans, sha256 {v.sha256[:12]})"
                )
            else:
                self.stdout.write(
                    f"{v.provider.code}: {path.name} is identical to version {v.number}; "
                    "nothing to load"
                )

    def _validate(self, options: dict[str, Any]) -> None:
        problems: list[str] = []
        for name in options["files"]:
            try:
                _data, catalog = read_catalog_file(name)
            except CatalogInvalid as exc:
                problems += exc.problems
                continue
            self.stdout.write(
                f"{Path(name).name}: valid ({catalog.provider.code}, "
                f"{len(catalog.plans)} plans, {len(catalog.software)} software entries)"
            )
        if problems:
            raise self._refuse(problems)

    # ------------------------------------------------------------------ diff

    def _diff(self, options: dict[str, Any]) -> None:
        try:
            report = catalog_diff(source=Path(options["file"]), as_of=clock.now())
        except CatalogRefused as exc:
            raise self._refuse(exc.problems) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        current = (
            f"version {report.current_number}" if report.current_number else "nothing loaded yet"
        )
        if report.identical:
            self.stdout.write(f"{report.provider}: identical to {current}; loading changes nothing")
            return
        self.stdout.write(f"{report.provider}: {len(report.changes)} change(s) against {current}")
        for change in report.changes:
            plans = f"  [plans: {', '.join(change.plans)}]" if change.plans else ""
            self.stdout.write(f"  {change}{plans}")
        self.stdout.write(
            "Who is affected (existing subscriptions and cases keep the version they were made under):"
        )
        for impact in report.impacts:
            if impact.usage is None:
                who = "tenants/subscriptions: unknown (no subscriptions app to count with)"
            else:
                who = (
                    f"{impact.usage.tenants} tenant(s), "
                    f"{impact.usage.subscriptions} subscription(s)"
                )
            self.stdout.write(f"  {impact.plan}: {len(impact.changes)} change(s); {who}")

    # ------------------------------------------------------------------ show

    def _catalogs(self, options: dict[str, Any]) -> list[tuple[Catalog, Any]]:
        codes = (
            [options["provider"]]
            if options.get("provider")
            else list(selectors.providers().values_list("code", flat=True))
        )
        if not codes:
            raise CommandError("no catalog is loaded; run: supportplan catalog load --seeds")
        result = []
        for code in codes:
            try:
                version = selectors.current_version(code)
            except selectors.CatalogNotLoaded as exc:
                raise CommandError(exc.message) from None
            if options.get("catalog_version"):
                number = options["catalog_version"]
                older = version.provider.versions.filter(number=number).first()
                if older is None:
                    raise CommandError(f"{code} has no catalog version {number}")
                version = older
            result.append((selectors.catalog_for_version(version.pk), version))
        return result

    def _show(self, options: dict[str, Any]) -> None:
        from supportplan.api.catalog import PlanSerializer, ProviderSerializer, _ProviderView

        blocks = []
        for catalog, version in self._catalogs(options):
            plans = list(catalog.plans)
            if options.get("plan"):
                plans = [p for p in plans if p.code == options["plan"]]
                if not plans:
                    known = ", ".join(p.code for p in catalog.plans)
                    raise CommandError(
                        f"{catalog.provider.code} has no plan {options['plan']!r} (plans: {known})"
                    )
            blocks.append((catalog, version, plans))
        if options["json"]:
            out = []
            for catalog, version, plans in blocks:
                body = dict(ProviderSerializer(_ProviderView(catalog, version)).data)
                body["plans"] = PlanSerializer(plans, many=True, context={"catalog": catalog}).data
                out.append(body)
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str))
            return
        for catalog, version, plans in blocks:
            p = catalog.provider
            self.stdout.write(
                f"{_both(p.name)} ({p.code}) — catalog version {version.number}, "
                f"loaded {version.loaded_at:%Y-%m-%d %H:%M} UTC from {version.source_name or '-'}"
            )
            for plan in plans:
                self._show_plan(catalog, plan)
            self.stdout.write("")

    def _show_plan(self, catalog: Catalog, plan: Plan) -> None:
        w = self.stdout.write
        currency = catalog.provider.currency
        if plan.default:
            price = "free, every customer has it"
        else:
            price = f"{currency} {plan.monthly_price:,} / month"
        terms = ", ".join(plan.billing_terms) or "-"
        w(f"\n  [{plan.code}] {_both(plan.name)} — {price}; terms: {terms}")
        w(f"    handler tier: {plan.handler_tier}")
        if plan.requires_technical_contact:
            w("    needs a named technical contact before service starts")
        w("    channels 支持渠道:")
        for pc in plan.channels:
            contact = f", {_both(pc.channel.contact)}" if pc.channel.contact else ""
            platforms = (
                f", {' / '.join(_both(x.name) for x in pc.channel.platforms)}"
                if pc.channel.platforms
                else ""
            )
            w(f"      {pc.code:<12} {_both(pc.name)} ({pc.channel.calendar}{contact}{platforms})")
        w("    severities → first response 案例严重性/响应时间:")
        if plan.response_note:
            w(f"      ({_both(plan.response_note)})")
        for st in plan.severity_targets:
            extra = ""
            if st.targets.resolution:
                extra += f", resolution {format_duration(st.targets.resolution)}"
            if st.targets.next_response:
                extra += f", next response {format_duration(st.targets.next_response)}"
            w(
                f"      {st.severity.code:<22} {_both(st.severity.name)}: "
                f"< {format_duration(st.targets.first_response)}{extra}"
            )
        w("    features 服务项目:")
        for f in plan.features:
            hours = f" ({f.calendar})" if f.calendar else ""
            w(f"      {f.code:<22} {_both(f.name)}{hours}")
        if plan.services:
            w("    value-added services 增值服务:")
        for g in plan.services:
            s = g.service
            if g.paid:
                per = "natural day" if s.unit == "natural_days" else "time"
                rule = f"paid add-on, {currency} {s.price:,} per {per}"
            else:
                unit = {"natural_days": "natural day(s)", "times": "time(s)"}[s.unit]
                rule = f"{g.quota} {unit} per annual order"
                if g.max_requests:
                    rule += f" in at most {g.max_requests} request(s)"
            rule += f"; terms: {', '.join(g.terms)}"
            if s.lead_time:
                rule += f"; apply {s.lead_time.working_days} working days ahead ({s.lead_time.enforcement})"
            if s.locks_order:
                rule += "; locks the order"
            w(f"      {s.code:<22} {_both(s.name)}: {rule}")
