"""`supportplan scope check --provider tencent --software openvpn --version 2.3 [--platform linux] [--json]`

Asks the provider's current catalog whether a third-party software question is in scope,
the same check a case makes when it is opened.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from supportplan.catalog.domain import scope_check


class Command(BaseCommand):
    help = "Third-party software scope: is SOFTWARE VERSION on PLATFORM supported by a provider?"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="Check one software/version/platform.")
        check.add_argument(
            "--provider", required=True, help="Provider code, e.g. partner, tencent."
        )
        check.add_argument(
            "--software", required=True, help="Name or alias, e.g. openvpn, 'SQL Server'."
        )
        check.add_argument(
            "--version", dest="sw_version", default="", help="e.g. 2.3, '2008 R2 SP3'."
        )
        check.add_argument("--platform", default="", help="linux or windows (or e.g. 'CentOS 7').")
        check.add_argument("--lang", default="en", help="Language of the reason: en or zh-hans.")
        check.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args: Any, **options: Any) -> None:
        from supportplan.catalog.selectors import CatalogNotLoaded, current_catalog

        try:
            catalog = current_catalog(options["provider"])
        except CatalogNotLoaded as exc:
            raise CommandError(exc.message) from None
        result = scope_check(
            catalog, options["software"], options["sw_version"] or None, options["platform"] or None
        )
        lang = options["lang"]
        entry = result.entry
        body = {
            "provider": catalog.provider.code,
            "software": options["software"],
            "version": options["sw_version"] or None,
            "platform": result.platform,
            "in_scope": result.in_scope,
            "reason_code": result.reason_code,
            "reason": result.reason.as_dict(),
            "where_to_go": result.where_to_go.as_dict() if result.where_to_go else None,
            "matched": result.matched,
            "entry": None
            if entry is None
            else {
                "code": entry.code,
                "name": entry.name.as_dict(),
                "category": entry.category.code,
                "versions": {pv.platform: pv.text for pv in entry.versions},
                "scope": entry.scope.as_dict(),
            },
        }
        if options["json"]:
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        with translation.override(lang):
            verdict = "IN SCOPE" if result.in_scope else "OUT OF SCOPE"
            self.stdout.write(f"{verdict} ({result.reason_code})")
            self.stdout.write(f"reason: {result.reason.get(lang)}")
            if entry is not None:
                versions = "; ".join(f"{pv.platform}: {pv.text}" for pv in entry.versions)
                self.stdout.write(
                    f"catalog entry: {entry.name.get(lang)} [{entry.code}] — {versions}"
                )
                self.stdout.write(f"supported: {entry.scope.get(lang)}")
            if result.where_to_go is not None:
                self.stdout.write(f"where to go instead: {result.where_to_go.get(lang)}")
