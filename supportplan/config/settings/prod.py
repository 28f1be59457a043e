from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = False
SESSION_COOKIE_SECURE = env_bool("SUPPORTPLAN_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SUPPORTPLAN_SECURE_COOKIES", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not env("SUPPORTPLAN_SECRET_KEY"):
    raise RuntimeError(
        "SUPPORTPLAN_SECRET_KEY is not set: production needs a secret key from the environment."
    )
