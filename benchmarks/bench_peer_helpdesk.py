"""Opening a case over HTTP against django-helpdesk's REST create, in one run (issue 16).

Prints figures and the ratio; asserts nothing about speed. Target: supportplan >= 3x.

The peer is installed and seeded by this script, so anyone can re-run the comparison:
PyPI `django-helpdesk` in its own virtualenv (var/peer_helpdesk/venv, never the project's),
a small Django project written here (var/peer_helpdesk/project: helpdesk, DRF with
TokenAuthentication only, DEBUG off, the same database settings as supportplan's
production: CONN_MAX_AGE 60, health checks, server-side binding with prepared statements)
and its own database `bench_helpdesk` with one queue, staff agents with tokens and some
tickets. supportplan's side is its own database `bench_open` made by gen_cases.py (small:
a few tenants with plans in force, staff, a few thousand cases), opened by the bench
customers of bench_people.py, production settings.

Both servers are `gunicorn -c supportplan/config/gunicorn.py <app>` with the same
SUPPORTPLAN_WEB_WORKERS x SUPPORTPLAN_WEB_THREADS; the same N httpx clients post for the
same seconds against each, alternating rounds (ours, peer, ours, peer ...), so drift on
this shared machine hits both alike.

What each request does. supportplan: POST /api/cases/ checks the plan in force, the
entitlement and escort bookings, computes the SLA on fresh calendars, assigns a handler,
writes the case, its event, an audit entry, the notification dispatch and the SLA check job,
and answers the whole case. django-helpdesk: POST /api/tickets/ (TicketSerializer ->
TicketForm) writes the ticket and its opening follow-up and answers the ticket; by default
without a submitter address, so it renders and sends no e-mail (the peer at its lightest);
`--peer-mail` gives each ticket a submitter address (e-mail rendered, dummy backend).

Run: .venv/bin/python benchmarks/bench_peer_helpdesk.py [--seconds 20] [--clients 8]
     [--rounds 2] [--reset] [--peer-mail]
     (SUPPORTPLAN_WEB_WORKERS / SUPPORTPLAN_WEB_THREADS set the server shape for both)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--host", default="127.0.0.1:5432")
parser.add_argument("--db", default="bench_open", help="supportplan's database")
parser.add_argument("--peer-db", default="bench_helpdesk")
parser.add_argument("--peer-version", default="2.6.1", help="django-helpdesk from PyPI")
parser.add_argument("--peer-dir", default=str(ROOT / "var" / "peer_helpdesk"))
parser.add_argument("--seconds", type=float, default=20.0, help="per side, over all rounds")
parser.add_argument("--rounds", type=int, default=2)
parser.add_argument("--clients", type=int, default=8)
parser.add_argument("--port", type=int, default=8771, help="supportplan; the peer gets +1")
parser.add_argument("--tenants", type=int, default=12)
parser.add_argument("--cases", type=int, default=3000, help="existing cases/tickets each side")
parser.add_argument("--reset", action="store_true", help="remake both databases")
parser.add_argument("--peer-mail", action="store_true", help="tickets with a submitter address")
args = parser.parse_args()

OUR_URL = f"postgres://postgres@{args.host}/{args.db}"
PEER_URL = f"postgres://postgres@{args.host}/{args.peer_db}"
PEER = Path(args.peer_dir)
PEER_PY = PEER / "venv" / "bin" / "python"

PEER_SETTINGS = textwrap.dedent(
    """\
    # Written by benchmarks/bench_peer_helpdesk.py: the smallest project django-helpdesk
    # runs in, with production-like settings (no DEBUG, token auth only, the same database
    # settings as supportplan's production).
    import os
    from urllib.parse import urlparse

    _db = urlparse(os.environ["DATABASE_URL"])
    SECRET_KEY = "bench-only-peer-secret-key-" + "x" * 30
    DEBUG = False
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    INSTALLED_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "django.contrib.sites",
        "django.contrib.humanize",
        "rest_framework",
        "rest_framework.authtoken",
        "helpdesk",
    ]
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    ROOT_URLCONF = "peer_urls"
    WSGI_APPLICATION = "peer_wsgi.application"
    TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ]
            },
        }
    ]
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _db.path.lstrip("/"),
            "USER": _db.username or "postgres",
            "HOST": _db.hostname,
            "PORT": _db.port or 5432,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {"server_side_binding": True, "prepare_threshold": 5},
        }
    }
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    SITE_ID = 1
    USE_TZ = True
    TIME_ZONE = "Asia/Shanghai"
    LANGUAGE_CODE = "en"
    STATIC_URL = "/static/"
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    DEFAULT_FROM_EMAIL = "helpdesk@example.com"
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.TokenAuthentication"
        ],
    }
    HELPDESK_TEAMS_MODE_ENABLED = False
    HELPDESK_API_ENABLED = True
    LOGGING = {
        "version": 1,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": "WARNING"},
    }
    """
)

PEER_URLS = textwrap.dedent(
    """\
    from django.urls import include, path

    urlpatterns = [path("", include("helpdesk.urls"))]
    """
)

PEER_WSGI = textwrap.dedent(
    """\
    import os

    from django.core.wsgi import get_wsgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
    application = get_wsgi_application()
    """
)

# Run in the peer's venv: migrate, one queue, one staff agent with a token per supportplan
# bench customer, and `--cases` tickets of history; prints the tokens and the queue id.
PEER_SEED = textwrap.dedent(
    """\
    import json, os, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
    import django
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from helpdesk.models import Queue, Ticket

    agents, tickets = int(sys.argv[1]), int(sys.argv[2])
    call_command("migrate", verbosity=0)
    queue, _ = Queue.objects.get_or_create(
        slug="support", defaults={"title": "Support", "allow_public_submission": False}
    )
    User = get_user_model()
    keys = []
    for i in range(agents):
        user, made = User.objects.get_or_create(
            username=f"bench-agent-{i}",
            defaults={"is_staff": True, "email": f"agent-{i}@example.com"},
        )
        if made:
            user.set_unusable_password()
            user.save()
        keys.append(Token.objects.get_or_create(user=user)[0].key)
    have = Ticket.objects.count()
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            title=f"History {n}", queue=queue, created=now, modified=now,
            description="Seeded by bench_peer_helpdesk.py", status=Ticket.CLOSED_STATUS,
            priority=3,
        )
        for n in range(have, tickets)
    )
    print(json.dumps({"queue": queue.pk, "tokens": keys}))
    """
)


def admin(sql: str) -> str:
    out = subprocess.run(
        ["psql", f"postgres://postgres@{args.host}/postgres", "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def db_exists(name: str) -> bool:
    return admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def setup_peer() -> dict:
    """The peer's venv (made once), project files and database; its tokens and queue."""
    PEER.mkdir(parents=True, exist_ok=True)
    if not PEER_PY.exists():
        print(f"installing django-helpdesk {args.peer_version} into {PEER / 'venv'} ...")
        subprocess.run([sys.executable, "-m", "venv", str(PEER / "venv")], check=True)
    have = subprocess.run(
        [str(PEER_PY), "-c", "import importlib.metadata as m; print(m.version('django-helpdesk'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if have != args.peer_version:
        subprocess.run(
            [str(PEER_PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"django-helpdesk=={args.peer_version}", "gunicorn", "psycopg[binary]"],
            check=True,
        )  # fmt: skip
    project = PEER / "project"
    project.mkdir(exist_ok=True)
    for name, text in (
        ("peer_settings.py", PEER_SETTINGS),
        ("peer_urls.py", PEER_URLS),
        ("peer_wsgi.py", PEER_WSGI),
        ("peer_seed.py", PEER_SEED),
    ):
        (project / name).write_text(text)
    if args.reset and db_exists(args.peer_db):
        admin(f'DROP DATABASE "{args.peer_db}" WITH (FORCE)')
    if not db_exists(args.peer_db):
        admin(f'CREATE DATABASE "{args.peer_db}"')
    seeded = subprocess.run(
        [str(PEER_PY), "peer_seed.py", str(args.tenants), str(args.cases)],
        cwd=project,
        env=peer_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def peer_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VIRTUAL_ENV"))}
    env.update(DJANGO_SETTINGS_MODULE="peer_settings", DATABASE_URL=PEER_URL)
    env["PATH"] = f"{PEER / 'venv' / 'bin'}:{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(PEER / "project")
    for key in ("SUPPORTPLAN_WEB_WORKERS", "SUPPORTPLAN_WEB_THREADS"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def setup_ours() -> None:
    if args.reset or not db_exists(args.db):
        print(f"making {args.db} with gen_cases.py ...")
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "gen_cases.py"), "--db", args.db,
             "--rows", str(args.cases), "--tenants", str(args.tenants), "--reset"],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip


def main() -> None:
    from http_load import load, ms_fmt, prod_env, server_shape, start_gunicorn, stop

    setup_ours()
    peer = setup_peer()
    os.environ.update(
        DATABASE_URL=OUR_URL, DJANGO_SETTINGS_MODULE="supportplan.config.settings.dev"
    )
    os.environ.setdefault("SUPPORTPLAN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # apps added since gen_cases.py ran
    from bench_people import openers

    ours = [(f"Token {key}", body) for key, body in openers()]
    theirs = []
    for i, key in enumerate(peer["tokens"]):
        body = {
            "queue": peer["queue"],
            "title": "Benchmark case",
            "description": "Opened by a benchmark in benchmarks/",
            "priority": 3,
        }
        if args.peer_mail:
            body["submitter_email"] = f"customer-{i}@example.com"
        theirs.append((f"Token {key}", body))

    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    servers = {
        "supportplan": start_gunicorn(
            Path(sys.executable).parent / "gunicorn",
            "supportplan.config.wsgi",
            args.port,
            prod_env(OUR_URL),
            var / "bench_peer_ours_gunicorn.log",
            probe="/healthz",
        ),
        "helpdesk": start_gunicorn(
            PEER / "venv" / "bin" / "gunicorn",
            "peer_wsgi",
            args.port + 1,
            peer_env(),
            var / "bench_peer_helpdesk_gunicorn.log",
            cwd=PEER / "project",
        ),
    }
    sides = {
        "supportplan": (f"http://127.0.0.1:{args.port}", "/api/cases/", ours),
        "helpdesk": (f"http://127.0.0.1:{args.port + 1}", "/api/tickets/", theirs),
    }
    results: dict[str, list[dict]] = {name: [] for name in sides}
    try:
        print(
            f"== open a case over HTTP: {args.clients} concurrent clients, "
            f"gunicorn -c supportplan/config/gunicorn.py ({server_shape()}) for both, "
            f"{args.rounds} alternating rounds of {args.seconds / args.rounds:.1f} s a side"
        )
        for base, path, who in sides.values():
            load(base, path, 3, args.clients, who)  # warm up every worker and connection
        for _ in range(args.rounds):
            for name, (base, path, who) in sides.items():
                results[name].append(
                    load(base, path, args.seconds / args.rounds, args.clients, who)
                )
    finally:
        for proc in servers.values():
            stop(proc)

    merged = {}
    for name, rs in results.items():
        merged[name] = {
            "rps": statistics.mean(r["rps"] for r in rs),
            "p50": statistics.mean(r["p50"] for r in rs),
            "p95": max(r["p95"] for r in rs),
            "n": sum(r["n"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
            "rounds": " / ".join(f"{r['rps']:.1f}" for r in rs),
        }
    labels = {
        "supportplan": "supportplan POST /api/cases/",
        "helpdesk": f"django-helpdesk {args.peer_version} POST /api/tickets/",
    }
    for name, r in merged.items():
        print(
            f"{labels[name]:42} {r['rps']:7.1f} req/s (rounds {r['rounds']})  "
            f"p50={ms_fmt(r['p50'])}  p95={ms_fmt(r['p95'])}  requests={r['n']}  "
            f"errors={r['errors']}"
        )
    ratio = merged["supportplan"]["rps"] / merged["helpdesk"]["rps"]
    per_round = " / ".join(
        f"{a['rps'] / b['rps']:.2f}" for a, b in zip(*results.values(), strict=True)
    )
    print(f"supportplan / helpdesk throughput: {ratio:.2f}x (rounds {per_round}; target >= 3x)")


if __name__ == "__main__":
    main()
