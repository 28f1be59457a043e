"""`supportplan access-keys create --user USERNAME [--json]` / `revoke ACCESS_KEY_ID` / `list`."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportplan.accounts.models import User
from supportplan.compat.keys import access_key_create, access_key_revoke
from supportplan.compat.models import AccessKey
from supportplan.core import clock


class Command(BaseCommand):
    help = "Create, list and revoke the access-key pairs of the cloud ticket APIs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create", help="A new pair for a person (the secret is shown once)."
        )
        create.add_argument("--user", required=True, metavar="USERNAME")
        create.add_argument(
            "--days", type=int, default=365, help="Valid this many days (0: no expiry)."
        )
        create.add_argument("--provider", default="", help="File cases under this provider's plan.")
        create.add_argument("--description", default="")
        create.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="Revoke a pair at once.")
        revoke.add_argument("access_key_id")
        listing = sub.add_parser("list", help="A person's pairs (never their secrets).")
        listing.add_argument("--user", required=True, metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        action = options["action"]
        if action == "create":
            user = self._user(options["user"])
            days = options["days"]
            if not 0 <= days <= 3650:
                raise CommandError("--days must be between 0 (no expiry) and 3650.")
            made = access_key_create(
                actor=None, user=user, now=now,
                lifetime=timedelta(days=days) if days else None,
                description=options["description"], provider=options["provider"],
            )  # fmt: skip
            pair = {
                "access_key_id": made.key.access_key_id,
                "secret_access_key": made.secret_access_key,
            }
            if options["json"]:
                self.stdout.write(json.dumps(pair))
            else:
                expires = made.key.expires_at.date().isoformat() if made.key.expires_at else "never"
                self.stdout.write(
                    f"access key id:      {pair['access_key_id']}\n"
                    f"secret access key:  {pair['secret_access_key']}\n"
                    f"expires:            {expires}\n"
                    "The secret is shown only now: store it where the script reads it."
                )
        elif action == "revoke":
            key = AccessKey.objects.filter(access_key_id=options["access_key_id"]).first()
            if key is None:
                raise CommandError(f"No access key {options['access_key_id']}.")
            access_key_revoke(actor=None, key=key, now=now)
            self.stdout.write(f"revoked {key.access_key_id}")
        else:
            user = self._user(options["user"])
            for key in user.access_keys.all():
                state = (
                    "revoked"
                    if key.revoked_at
                    else ("expired" if not key.usable_at(now) else "active")
                )
                self.stdout.write(
                    f"{key.access_key_id}  {state}  created {key.created_at:%Y-%m-%d}"
                )

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}: give the person's username.")
        return user
