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

    try:
        try:
            execute_from_command_line(["supportplan", *sys.argv[1:]])
        finally:
            sys.stdout.flush()  # also after `--help`'s SystemExit
    except BrokenPipeError:
        # The reader went away (`supportplan … | head -1`): that is not an error of the
        # command. Point stdout at /dev/null so the interpreter's final flush stays quiet, and
        # exit as a command killed by SIGPIPE would (128 + 13), as coreutils do in a pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)


if __name__ == "__main__":
    main()
