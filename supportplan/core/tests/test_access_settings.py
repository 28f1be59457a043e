"""Issue 13: yes/no settings refuse unknown words; production passes `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from supportplan.config.settings.base import env_bool

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", None),
    ],
)
def test_env_bool_reads_the_accepted_words(monkeypatch, raw, expected):
    monkeypatch.setenv("SUPPORTPLAN_X", raw)
    assert env_bool("SUPPORTPLAN_X", True) is (True if expected is None else expected)


def test_env_bool_refuses_an_unknown_word_naming_the_variable(monkeypatch):
    monkeypatch.setenv("SUPPORTPLAN_SECURE_COOKIES", "ture")
    with pytest.raises(ImproperlyConfigured) as info:
        env_bool("SUPPORTPLAN_SECURE_COOKIES", True)
    assert str(info.value) == (
        "SUPPORTPLAN_SECURE_COOKIES='ture' is not a yes/no value: use one of "
        "1, true, yes, on (yes) or 0, false, no, off (no)."
    )


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    # Nothing of the test run's own environment: no SUPPORTPLAN_* settings, no database of the
    # suite, and not the async-unsafe switch the browser tests set in this process.
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SUPPORTPLAN_")
        and k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")
    }
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, *code.split()], cwd=ROOT, env=environ, capture_output=True, text=True
    )


PROD = {
    "DJANGO_SETTINGS_MODULE": "supportplan.config.settings.prod",
    "SUPPORTPLAN_SECRET_KEY": "k" * 20 + "-Zq8r!x2Lm9pV4tB7nC1sD6fG3hJ0wE5yU",
    "SUPPORTPLAN_CREDENTIALS_KEY": Fernet.generate_key().decode(),
}


def test_production_settings_pass_check_deploy():
    done = _run("manage.py check --deploy --fail-level WARNING", **PROD)
    # silenced: models.W047/W040, the PostgreSQL-only index features SQLite ignores
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("System check identified no issues ("), done.stdout
    assert done.stderr.strip() == ""


def test_production_refuses_to_start_without_a_credentials_key():
    env = {k: v for k, v in PROD.items() if k != "SUPPORTPLAN_CREDENTIALS_KEY"}
    done = _run("manage.py check", **env)
    assert done.returncode == 1
    assert "SUPPORTPLAN_CREDENTIALS_KEY is not set" in done.stderr


def test_a_misspelt_boolean_stops_start_up(monkeypatch):
    done = _run("manage.py check", **PROD, SUPPORTPLAN_SECURE_COOKIES="ture")
    assert done.returncode == 1
    assert "SUPPORTPLAN_SECURE_COOKIES='ture' is not a yes/no value" in done.stderr
