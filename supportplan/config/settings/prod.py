from .base import *  # noqa: F403
from .base import env, env_bool, env_number

DEBUG = False
SESSION_COOKIE_SECURE = env_bool("SUPPORTPLAN_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SUPPORTPLAN_SECURE_COOKIES", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not env("SUPPORTPLAN_SECRET_KEY"):
    raise RuntimeError(
        "SUPPORTPLAN_SECRET_KEY is not set: production needs a secret key from the environment."
    )

# --- Access and secrets (issue 13): HTTPS only, HSTS, and a credentials key of its own. ---
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto, plain HTTP is redirected and
# browsers are told to use HTTPS for a year (SUPPORTPLAN_HSTS_SECONDS to change it).
SECURE_SSL_REDIRECT = env_bool("SUPPORTPLAN_SSL_REDIRECT", True)
# Load balancers and Prometheus probe the app servers directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(env_number("SUPPORTPLAN_HSTS_SECONDS") or 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SUPPORTPLAN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SUPPORTPLAN_HSTS_PRELOAD", True)
if not env("SUPPORTPLAN_CREDENTIALS_KEY"):
    raise RuntimeError(
        "SUPPORTPLAN_CREDENTIALS_KEY is not set: production encrypts stored robot webhooks and "
        "cloud credentials with its own key. Create one with `supportplan credentials new-key` "
        "and set it (comma-separated, newest first, to rotate)."
    )
# --- end of access and secrets ---
