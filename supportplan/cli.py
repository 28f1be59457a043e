"""The `supportplan` console command: every operator command of the product lives under it.

It wraps Django's management commands so operators type `supportplan catalog load FILE`
instead of `python manage.py catalog load FILE`. The installed command runs with production
settings unless DJANGO_SETTINGS_MODULE says otherwise; `make run` and `manage.py` use the
development settings of a source checkout.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.prod")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["supportplan", *sys.argv[1:]])


if __name__ == "__main__":
    main()
