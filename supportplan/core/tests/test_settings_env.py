"""Deployment settings read from the environment: numbers are checked with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from supportplan.config.settings.base import env_number

ROOT = Path(__file__).resolve().parents[3]


def test_env_number_reads_positive_numbers(monkeypatch):
    monkeypatch.setenv("SUPPORTPLAN_X", " 12.5 ")
    assert env_number("SUPPORTPLAN_X") == 12.5
    monkeypatch.delenv("SUPPORTPLAN_X")
    assert env_number("SUPPORTPLAN_X") is None


@pytest.mark.parametrize("raw", ["abc", "0", "-3", "nan"])
def test_env_number_names_the_variable_and_the_fix(monkeypatch, raw):
    monkeypatch.setenv("SUPPORTPLAN_X", raw)
    with pytest.raises(ImproperlyConfigured) as info:
        env_number("SUPPORTPLAN_X")
    assert str(info.value) == (
        f"SUPPORTPLAN_X={raw!r}: expected a positive number, e.g. SUPPORTPLAN_X=30"
    )


def test_tuning_variables_reach_the_settings():
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="supportplan.config.settings.base",
        SUPPORTPLAN_SITE_URL="https://support.example.cn",
        SUPPORTPLAN_SLA_WARN_PERCENT="75",
        SUPPORTPLAN_ATTACHMENT_MAX_MB="5",
        SUPPORTPLAN_NOTIFICATIONS_GIVE_UP_HOURS="12",
        SUPPORTPLAN_ADVISORY_TAM_CONTACT_MINUTES="90",
        SUPPORTPLAN_ROBOT_EXTRA_HOSTS="im.example.cn, hooks.example.cn",
    )
    env.pop("DATABASE_URL", None)
    code = (
        "from django.conf import settings as s; "
        "print(s.SUPPORTPLAN_SITE_URL, s.SUPPORTPLAN_SLA_WARN_PERCENT, "
        "s.SUPPORTPLAN_ATTACHMENT_MAX_BYTES, s.NOTIFICATIONS_GIVE_UP_AFTER, "
        "s.ADVISORY_TAM_CONTACT_WITHIN, s.NOTIFICATIONS_ROBOT_EXTRA_HOSTS)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    assert out == (
        "https://support.example.cn 75 5242880 12:00:00 1:30:00 "
        "('im.example.cn', 'hooks.example.cn')"
    )


@pytest.mark.parametrize(
    ("url", "switch", "expected"),
    [
        ("postgres://u@db:5432/sp", None, {"server_side_binding": True, "prepare_threshold": 5}),
        ("postgres://u@db:5432/sp", "0", {}),
        # what the URL says wins over the default
        (
            "postgres://u@db:5432/sp?sslmode=require&prepare_threshold=0",
            None,
            {"sslmode": "require", "prepare_threshold": 0, "server_side_binding": True},
        ),
    ],
)
def test_postgres_prepared_statements_are_on_unless_switched_off(
    monkeypatch, url, switch, expected
):
    from supportplan.config.settings.base import database_from_env

    monkeypatch.setenv("DATABASE_URL", url)
    if switch is None:
        monkeypatch.delenv("SUPPORTPLAN_DB_PREPARED_STATEMENTS", raising=False)
    else:
        monkeypatch.setenv("SUPPORTPLAN_DB_PREPARED_STATEMENTS", switch)
    assert database_from_env().get("OPTIONS", {}) == expected


def test_sqlite_url_gets_sqlite_options_not_postgres_ones(monkeypatch, tmp_path):
    from supportplan.config.settings.base import SQLITE_OPTIONS, database_from_env

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    config = database_from_env()
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == f"{tmp_path}/x.sqlite3"
    assert config["OPTIONS"] == SQLITE_OPTIONS
    assert config["CONN_MAX_AGE"] == 0


def test_sqlite_url_serves_a_real_command(tmp_path):
    """`DATABASE_URL=sqlite:///…` migrates and answers (it crashed on a PostgreSQL-only option)."""
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path}/sp.sqlite3",
        DJANGO_SETTINGS_MODULE="supportplan.config.settings.base",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sp.sqlite3").stat().st_size > 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@db/sp", "DATABASE_URL names 'django.db.backends.mysql'"),
        ("ftp://nowhere", "DATABASE_URL is not a database address"),
    ],
)
def test_unsupported_database_url_is_refused_with_the_fix(monkeypatch, url, message):
    from supportplan.config.settings.base import database_from_env

    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_env()
