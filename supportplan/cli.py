"""The `supportplan` console command: every operator command of the product lives under it.

It wraps Django's management commands so operators type `supportplan catalog load FILE`
instead of `python manage.py catalog load FILE`.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["supportplan", *sys.argv[1:]])


if __name__ == "__main__":
    main()
