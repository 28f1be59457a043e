"""`supportplan credentials new-key | rotate`: the key ring for secrets stored encrypted.

Rotating a key: put a new key in front of SUPPORTPLAN_CREDENTIALS_KEY (comma-separated,
newest first), restart, run `supportplan credentials rotate`, then drop the old key.
Every model field whose name ends in `_encrypted` holds a value of supportplan.core.secrets.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction

from supportplan.core import secrets


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, models.TextField) and f.name.endswith("_encrypted")
        ]
        if names:
            found.append((model, names))
    return found


def rotate_all() -> tuple[int, list[str]]:
    """Re-encrypts every stored secret with the newest key: (values rewritten, unreadable)."""
    rewritten, unreadable = 0, []
    for model, names in encrypted_fields():
        label = model._meta.label
        for pk in model._default_manager.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                row = (
                    model._default_manager.select_for_update(of=("self",))
                    .filter(pk=pk)
                    .order_by()
                    .values(*names)
                )
                current = row.first()
                if current is None:
                    continue
                changes = {}
                for name in names:
                    if not current[name]:
                        continue
                    try:
                        changes[name] = secrets.rotate(current[name])
                    except secrets.SecretUnreadable:
                        unreadable.append(f"{label} {pk} {name}")
                if changes:
                    model._default_manager.filter(pk=pk).update(**changes)
                    rewritten += len(changes)
    return rewritten, unreadable


class Command(BaseCommand):
    help = "Create a credentials key, or re-encrypt every stored secret with the newest key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("new-key", help="Print a new key for SUPPORTPLAN_CREDENTIALS_KEY.")
        sub.add_parser(
            "rotate", help="Re-encrypt every stored secret with the first key of the ring."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new-key":
            self.stdout.write(secrets.new_key())
            return
        if not secrets.configured_keys():
            raise CommandError(
                "SUPPORTPLAN_CREDENTIALS_KEY is not set: put the new key first "
                "(comma-separated, newest first) before rotating."
            )
        rewritten, unreadable = rotate_all()
        self.stdout.write(f"Re-encrypted {rewritten} stored secret(s) with the newest key.")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} stored secret(s) cannot be decrypted with any key and were "
                "left unchanged; add the key they were written with, or enter them again: "
                + "; ".join(unreadable)
            )
