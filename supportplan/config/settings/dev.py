from .base import *  # noqa: F403
from .base import DATA_DIR, env, env_bool

DEBUG = env_bool("SUPPORTPLAN_DEBUG", True)

if not env("SUPPORTPLAN_EMAIL_BACKEND"):
    # `make run` needs no mail server: demo e-mails are written to var/mail/ to read.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
        }
    }
